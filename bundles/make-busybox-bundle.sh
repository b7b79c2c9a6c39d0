#!/bin/bash
# Build a minimal OCI bundle whose rootfs is the host's static busybox.
#
#   bundles/make-busybox-bundle.sh <dir> [--rootless]
#
# <dir>/rootfs   busybox-static + one symlink per applet, the usual empty dirs,
#                /etc/passwd and /etc/group (root, user 1000, nobody 65534)
# <dir>/config.json
#                the default spec of `runc spec` (or `husk spec` when runc is
#                absent) with process.terminal=false so it runs without a tty.
#                Tests edit the config per case; this script keeps the default.
#
# Nothing binary lives in the repository: busybox is copied from the host.
set -euo pipefail

BUSYBOX=${BUSYBOX:-/bin/busybox}
REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

die() { echo "make-busybox-bundle: $*" >&2; exit 1; }

usage() { die "usage: $0 <dir> [--rootless]"; }

parse_args() {
    BUNDLE_DIR=""
    ROOTLESS=""
    for arg in "$@"; do
        case "$arg" in
            --rootless) ROOTLESS="--rootless" ;;
            -*) usage ;;
            *) [ -z "$BUNDLE_DIR" ] || usage; BUNDLE_DIR=$arg ;;
        esac
    done
    [ -n "$BUNDLE_DIR" ] || usage
}

require_static_busybox() {
    [ -x "$BUSYBOX" ] ||
        die "$BUSYBOX not found: install Debian's busybox-static package (apt-get install busybox-static)"
    # A dynamically linked busybox (Debian's "busybox" package) would need the
    # host's libc inside the rootfs: it has an ELF interpreter, a static one has none.
    if command -v readelf > /dev/null && readelf -l "$BUSYBOX" | grep -q 'Requesting program interpreter'; then
        die "$BUSYBOX is dynamically linked: install Debian's busybox-static package (apt-get install busybox-static)"
    fi
}

populate_rootfs() {
    local rootfs=$1
    mkdir -p "$rootfs"/{bin,dev,etc,proc,root,run,sys,tmp,var,usr}
    chmod 1777 "$rootfs/tmp"
    chmod 700 "$rootfs/root"
    cp "$BUSYBOX" "$rootfs/bin/busybox"
    link_applets "$rootfs/bin"
    write_user_database "$rootfs/etc"
}

# One relative symlink per applet, all in /bin (on the default PATH).
# perl-base is essential on Debian and creates ~270 links without ~270 forks.
link_applets() {
    local bindir=$1
    "$BUSYBOX" --list | grep -vx busybox |
        (cd "$bindir" && perl -ne 'chomp; symlink("busybox", $_) or die "symlink $_: $!\n"')
}

write_user_database() {
    local etc=$1
    cat > "$etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
user:x:1000:1000:user:/tmp:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
    cat > "$etc/group" <<'GROUP'
root:x:0:
user:x:1000:
nogroup:x:65534:
GROUP
}

spec_generator() {
    if command -v runc > /dev/null; then
        echo runc
    elif [ -x "$REPO_DIR/bin/husk" ]; then
        echo "$REPO_DIR/bin/husk"
    else
        die "need runc or $REPO_DIR/bin/husk to generate config.json"
    fi
}

write_config() {
    local dir=$1 generator
    generator=$(spec_generator)
    rm -f "$dir/config.json"
    (cd "$dir" && "$generator" spec $ROOTLESS)
    sed -i 's/"terminal": true/"terminal": false/' "$dir/config.json"
    grep -q '"terminal": false' "$dir/config.json" ||
        die "could not set process.terminal=false in $dir/config.json"
}

main() {
    parse_args "$@"
    require_static_busybox
    mkdir -p "$BUNDLE_DIR"
    [ ! -e "$BUNDLE_DIR/rootfs" ] || die "$BUNDLE_DIR/rootfs already exists"
    populate_rootfs "$BUNDLE_DIR/rootfs"
    write_config "$BUNDLE_DIR"
}

main "$@"
