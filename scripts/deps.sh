#!/bin/bash
# deps.sh - install the Debian 12 packages coapsec needs, and only the missing
# ones. Idempotent. As root it runs apt-get; otherwise it prints the
# apt-get line to run and exits 1.
#   build: cmake gcc make pkg-config libssl-dev
#   tests: libcmocka-dev clang libclang-rt-14-dev (fuzzing, sanitizers)
#   peers: libcoap3-bin gnutls-bin openssl tshark libmbedtls-dev
#   tools used by the test scripts: iproute2 (ss), procps, xxd, python3 absent-safe
set -eu
PKGS="cmake gcc make pkg-config libssl-dev libcmocka-dev clang libclang-rt-14-dev \
libcoap3-bin gnutls-bin openssl tshark libmbedtls-dev iproute2 procps xxd"
missing=""
for p in $PKGS; do
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$st" in *"install ok installed"*) ;; *) missing="$missing $p" ;; esac
done
if [ -z "$missing" ]; then
    echo "deps: all packages present"
    exit 0
fi
echo "deps: missing:$missing"
if [ "$(id -u)" != 0 ]; then
    echo "deps: run as root:  apt-get update && apt-get install -y$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends $missing
