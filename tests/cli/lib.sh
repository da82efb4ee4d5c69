# lib.sh - helpers of the CLI end-to-end tests: run the real binary, check
# its output and exit status, print TAP lines. Source it; end with `finish`.
set -u
S3DLUA=$(readlink -f "${S3DLUA:-./s3dlua}")
[ -x "$S3DLUA" ] || { echo "Bail out! $S3DLUA not found"; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/s3dlua-cli.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
n=0
failed=0

# s CMD...: runs s3dlua; sets out, err, rc.
s() {
    "$S3DLUA" "$@" >"$T/.out" 2>"$T/.err"
    rc=$?
    out=$(cat "$T/.out")
    err=$(cat "$T/.err")
}

pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() {
    n=$((n + 1))
    failed=$((failed + 1))
    echo "not ok $n - $1"
    shift
    for line in "$@"; do echo "#   $line"; done
}
# is WHAT EXPECTED ACTUAL
is() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected: $2" "got:      $3"; fi; }
# has WHAT NEEDLE HAYSTACK
has() { case "$3" in *"$2"*) pass "$1" ;; *) fail "$1" "missing: $2" "in:      $3" ;; esac; }
# lacks WHAT NEEDLE HAYSTACK
lacks() { case "$3" in *"$2"*) fail "$1" "unexpected: $2" "in: $3" ;; *) pass "$1" ;; esac; }
finish() {
    echo "# $n checks, $failed failed"
    [ "$failed" -eq 0 ]
}
