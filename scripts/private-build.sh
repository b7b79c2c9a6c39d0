#!/bin/sh
# Copy the working tree to DIR and build there, so that several people (or sessions) working in
# one checkout do not rebuild build/ under each other's running tests. Run tests from DIR:
#   sh scripts/private-build.sh /tmp/me && cd /tmp/me && make test-unit
set -eu
dir=${1:?usage: private-build.sh DIR}
src=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$dir"
rsync -a --delete --exclude /node_modules --exclude /build --exclude /bundles/out --exclude /.git "$src/" "$dir/"
[ -e "$dir/node_modules" ] || ln -s "$src/node_modules" "$dir/node_modules"
make -C "$dir" all
