#!/bin/bash
# cli-devnull-repro.sh - shows why bench/run.sh never runs `s3dlua get URI -o /dev/null`:
# `get -o PATH` writes a temporary file beside PATH and renames it over PATH, so a device
# node (or a symlink) at PATH is replaced by a regular file holding the data. With
# PATH=/dev/null, run as root, that would put the object into /dev (RAM) and turn /dev/null
# into a regular file for the whole machine. This reproduces it on a private copy of the
# null device (mknod, when root) or on a symlink to /dev/null, in a temporary directory;
# /dev/null itself is never touched.
# usage: S3DLUA=./s3dlua bench/cli-devnull-repro.sh      exit 0 = the bug is still present
set -u
S3DLUA=$(readlink -f "${S3DLUA:-./s3dlua}")
d=$(mktemp -d "${BENCH_DIR:-/var/tmp}/s3dlua-repro.XXXXXX") || exit 2
trap 'rm -rf -- "$d"' EXIT
printf 'hello\n' >"$d/src.txt"
if [ "$(id -u)" = 0 ] && mknod "$d/null" c 1 3 2>/dev/null; then
    what="a character device (mknod c 1 3, same as /dev/null)"
else
    ln -s /dev/null "$d/null"
    what="a symlink to /dev/null"
fi
echo "before: $d/null is $what"
ls -l "$d/null"
"$S3DLUA" get "file://$d/src.txt" -o "$d/null"
echo "s3dlua get ... -o $d/null: exit $?"
ls -l "$d/null"
if [ -f "$d/null" ] && [ ! -L "$d/null" ]; then
    echo "BUG: $d/null is now a regular file containing: $(cat "$d/null")"
    exit 0
fi
echo "fixed: the output was written through to the device"
exit 1
