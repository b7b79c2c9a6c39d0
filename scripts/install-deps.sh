#!/bin/sh
# Installs what building and testing husk needs on a Debian machine, as root. Idempotent: only
# missing packages are installed, so a machine that has them pays one dpkg query.
set -eu

# build: libseccomp for seccomp-bpf; the OCI schemas; musl-tools for the daemon-mode front end
# (build/bin/husk, static against musl: it starts ~0.5 ms faster than against glibc); tests: a static busybox for the rootfs,
# runc as the reference, uidmap for user-namespace tests, iproute2 for netns tests,
# golang-github-containers-common for Podman's default seccomp profile
# (/usr/share/containers/seccomp.json; Debian has no package named containers-common);
# the client tests (test/clients): containerd (its runc v2 shim and ctr) and podman (conmon comes
# with it), containernetworking-plugins and iptables for Podman's default CNI bridge network.
# The tests start a containerd of their own and never use a system one.
PACKAGES="build-essential python3 libseccomp-dev musl-tools pkg-config golang-github-opencontainers-specs-dev busybox-static runc uidmap iproute2 procps util-linux golang-github-containers-common containerd podman containernetworking-plugins iptables rsync"

missing=""
for pkg in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
done

if [ -n "$missing" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "husk: missing Debian packages:$missing (run as root to install them)" >&2
    exit 1
  fi
  echo "installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  # shellcheck disable=SC2086
  apt-get install -y -q --no-install-recommends $missing
fi
