#!/bin/sh
# Installs the Debian packages s3dlua builds, tests and benchmarks with.
# Idempotent and quiet: does nothing when every package is already present.
set -e
PKGS="build-essential pkg-config luajit libluajit-5.1-dev libuv1-dev libcurl4-openssl-dev
libssl-dev libzstd-dev zstd lua-cjson-dev libedit-dev libexpat1-dev libisal-dev zlib1g-dev
valgrind fio openssl curl"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
