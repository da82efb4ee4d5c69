#!/bin/bash
# install.sh: installs what tests/servers/*.sh need, when missing.
#   - Debian packages: ceph-mon ceph-osd radosgw ceph-common (radosgw.sh), curl,
#     and npm only when `npm` is not on the PATH (nodesource's nodejs ships its
#     own npm and conflicts with Debian's);
#   - s3rver and azurite, pinned by package.json + package-lock.json, into
#     tests/servers/node_modules (`npm ci`).
# Idempotent and quiet: when everything is there it only runs a few checks.
# Runs as root or through sudo; no stdin needed; any cwd.
set -u
HERE=$(cd "$(dirname "$0")" && pwd -P)
exec 9<"$0" && flock -w 900 9 # one install at a time

PKGS="ceph-mon ceph-osd radosgw ceph-common curl"
command -v npm >/dev/null || PKGS="$PKGS npm"
command -v node >/dev/null || PKGS="$PKGS nodejs"

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "tests/servers/install.sh: apt-get install$missing" >&2
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    log=$(mktemp)
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086
    if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends $missing; } \
        </dev/null >"$log" 2>&1; then
        tail -n 30 "$log" >&2
        rm -f "$log"
        echo "tests/servers/install.sh: apt-get failed" >&2
        exit 1
    fi
    rm -f "$log"
fi

# node_modules is current when the hidden lockfile npm writes there is newer
# than package-lock.json and both servers are present.
nm=$HERE/node_modules
if [ ! -f "$nm/.package-lock.json" ] || [ "$HERE/package-lock.json" -nt "$nm/.package-lock.json" ] ||
    [ ! -f "$nm/s3rver/package.json" ] || [ ! -f "$nm/azurite/package.json" ]; then
    echo "tests/servers/install.sh: npm ci (s3rver, azurite)" >&2
    log=$(mktemp)
    if ! (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error) </dev/null >"$log" 2>&1; then
        tail -n 30 "$log" >&2
        rm -f "$log"
        echo "tests/servers/install.sh: npm ci failed" >&2
        exit 1
    fi
    rm -f "$log"
    touch "$nm/.package-lock.json"
fi
exit 0
