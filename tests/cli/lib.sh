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

# fake_s3 SERVER_JS KEY_ID SECRET: starts one of the node test servers
# (tests/servers/faulty.js, http-edge.js: they print their port first and end
# with the test), stops it at exit, and points the AWS_* variables at it.
# Sets PORT, EP and SERVER_PID; bails out when the server does not start.
fake_s3() {
    local name
    name=$(basename "$1")
    command -v node >/dev/null || { echo "Bail out! node is not installed (tests/servers/install.sh)"; exit 1; }
    FAULTY_PARENT_PID=$$ EDGE_PARENT_PID=$$ node "$1" >"$T/$name.out" 2>"$T/$name.err" &
    SERVER_PID=$!
    trap 'kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; rm -rf "$T"' EXIT
    PORT=
    for _ in $(seq 200); do
        PORT=$(head -n 1 "$T/$name.out" 2>/dev/null)
        case "$PORT" in '' | *[!0-9]*) PORT= ;; *) break ;; esac
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.05
    done
    [ -n "$PORT" ] || { echo "Bail out! $name did not start: $(tail -5 "$T/$name.err")"; exit 1; }
    pass "$name listens on 127.0.0.1:$PORT"
    EP=http://127.0.0.1:$PORT
    export AWS_ENDPOINT_URL=$EP AWS_ACCESS_KEY_ID=$2 AWS_SECRET_ACCESS_KEY=$3
    export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
    unset AWS_ENDPOINT_URL_S3 AWS_PROFILE AWS_SESSION_TOKEN
    export no_proxy="127.0.0.1${no_proxy:+,$no_proxy}" NO_PROXY="127.0.0.1${NO_PROXY:+,$NO_PROXY}"
}

# run CMD...: like s (out, err, rc), killed after LIMIT s (the caller sets BOUND
# and LIMIT); ms = its time; slow collects the commands that took BOUND s or
# more; a sanitizer or valgrind report is a failure of its own.
slow=
run() {
    local t0
    t0=$(date +%s%N)
    timeout -k 2 "$LIMIT" "$S3DLUA" "$@" >"$T/.out" 2>"$T/.err"
    rc=$?
    ms=$((($(date +%s%N) - t0) / 1000000))
    if [ "$(stat -c %s "$T/.out")" -le 65536 ]; then out=$(tr -d '\000' <"$T/.out"); else
        out="($(stat -c %s "$T/.out") bytes)"
    fi
    err=$(cat "$T/.err")
    [ "$ms" -lt $((BOUND * 1000)) ] || slow="$slow${slow:+; }$* ($ms ms, exit $rc)"
    [ "$rc" -ne 99 ] || fail "no valgrind report: $*" "$(tail -5 "$T/.err")"
    case "$err" in *"ERROR: AddressSanitizer"* | *"ERROR: LeakSanitizer"* | *"runtime error: "*)
        fail "no sanitizer report: $*" "$(printf '%s\n' "$err" | grep -m 3 -E 'Sanitizer|runtime error')" ;;
    esac
}
# quick WHAT: the last run ended within BOUND seconds
quick() {
    if [ "$ms" -lt $((BOUND * 1000)) ]; then pass "$1: ends in bounded time (< ${BOUND} s)"; else
        fail "$1: ends in bounded time (< ${BOUND} s)" "took $ms ms, exit $rc"
    fi
}
# ctl ARGS...: curl to the fake server's control endpoints
ctl() { curl -sS --noproxy '*' --max-time 5 "$@"; }

# tap_from FILE PREFIX: lines "ok<TAB>what" / "not ok<TAB>what<TAB>detail"
# printed by a test's Lua checks become TAP checks (prefixed with PREFIX)
tap_from() {
    local st what detail
    while IFS=$'\t' read -r st what detail; do
        case "$st" in
        ok) pass "$2$what" ;;
        "not ok") fail "$2$what" "$detail" ;;
        *) fail "$2: unexpected output line" "$st $what $detail" ;;
        esac
    done <"$1"
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
