#!/bin/sh
# `make test-daemon`: the integration suite again, through the front end (build/bin/husk) and a
# private `husk daemon` (docs/daemon.md), so that both ways of running husk pass the same tests.
# The daemon listens on a socket of its own and is stopped on the way out, pass or fail.
set -eu
cd "$(dirname "$0")/.."
dir=$(mktemp -d /tmp/husk-daemon-test.XXXXXX)
socket="$dir/daemon.sock"
# --idle-exit: a daemon left by a killed run goes away on its own.
bin/husk daemon --socket "$socket" --idle-exit 120 >"$dir/daemon.log" 2>&1 &
daemon=$!
stop() {
  kill "$daemon" 2>/dev/null || true
  wait "$daemon" 2>/dev/null || true
  rm -rf "$dir"
}
trap stop EXIT INT TERM
for _ in $(seq 100); do [ -S "$socket" ] && break; sleep 0.1; done
[ -S "$socket" ] || { echo "husk daemon did not start:"; cat "$dir/daemon.log"; exit 1; }
HUSK_DAEMON_SOCKET="$socket" HUSK_TEST_RUNTIME="$PWD/build/bin/husk" \
  ${NODE:-node} --test --test-concurrency=1 --test-reporter=spec build/ts/test/integration/
