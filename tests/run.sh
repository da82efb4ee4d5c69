#!/bin/bash
# Runs every test: C unit tests ($O/tests/test_*), Lua tests (tests/lua/test-*.lua
# run by the binary) and CLI end-to-end tests (tests/cli/test-*.sh). Each prints
# TAP lines; this script counts them and ends with "N passed, M failed".
# A test program that exits non-zero without a failed check counts one failure.
cd "$(dirname "$0")/.." || exit 1
S3DLUA=${S3DLUA:-./s3dlua}
O=${O:-obj}
# VALGRIND=1: every program (C tests and the binary) runs under tests/valgrind.sh.
WRAP=()
if [ "${VALGRIND:-}" = 1 ]; then
    WRAP=("$PWD/tests/valgrind.sh")
    wrapper=$(mktemp)
    printf '#!/bin/sh\nexec %s %s "$@"\n' "$PWD/tests/valgrind.sh" "$(readlink -f "$S3DLUA")" >"$wrapper"
    chmod +x "$wrapper"
    S3DLUA=$wrapper
fi
export S3DLUA
export S3DLUA_ABS
S3DLUA_ABS=$(readlink -f "$S3DLUA")
pass=0 fail=0
log=$(mktemp)
trap 'rm -f "$log" ${wrapper:+"$wrapper"}' EXIT

run_one() {
    local name=$1
    shift
    local start=$SECONDS
    "$@" >"$log" 2>&1
    local rc=$?
    local p f
    p=$(grep -c '^ok ' "$log")
    f=$(grep -c '^not ok ' "$log")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1
        echo "not ok - $name exited with status $rc" >>"$log"
    fi
    pass=$((pass + p))
    fail=$((fail + f))
    printf '%-40s %4d passed, %d failed (%ds)\n' "$name" "$p" "$f" $((SECONDS - start))
    if [ "$f" -ne 0 ]; then
        grep -v '^ok ' "$log" | head -60 | sed 's/^/    /'
    fi
}

filter=${1:-}
for t in "$O"/tests/test_*; do
    [ -x "$t" ] || continue
    case "$t" in *"$filter"*) ;; *) continue ;; esac
    run_one "c/$(basename "$t")" "${WRAP[@]}" "$t"
done
for t in tests/lua/test-*.lua; do
    case "$t" in *"$filter"*) ;; *) continue ;; esac
    run_one "lua/$(basename "$t")" "$S3DLUA" run "$t"
done
for t in tests/cli/test-*.sh; do
    case "$t" in *"$filter"*) ;; *) continue ;; esac
    run_one "cli/$(basename "$t")" bash "$t"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
