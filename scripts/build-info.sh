#!/bin/sh
# Writes build/build-info.json: what `husk --version` reports.
set -eu
cd "$(dirname "$0")/.."
version=$(node -p "require('./package.json').version")
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD 2>/dev/null || commit="$commit-dirty"
libseccomp=$(pkg-config --modversion libseccomp 2>/dev/null || echo unknown)
mkdir -p build
printf '{"version":"%s","commit":"%s","libseccomp":"%s"}\n' "$version" "$commit" "$libseccomp" > build/build-info.json
