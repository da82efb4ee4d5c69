# lib.sh - what the benchmark scripts share: failing with a reason, choosing
# parts (BENCH_ONLY), and the result table (one row per figure, with the ratio
# against its baseline and the target). Source it after setting BENCH_NAME and ONLY.

die() { # called as `cmd || die msg`: $? is still cmd's status here
    local rc=$?
    case $rc in 130 | 143) echo "$BENCH_NAME: interrupted" >&2; exit 130 ;; esac
    [ "$rc" = 124 ] && set -- "$* (timed out)"
    echo "$BENCH_NAME: $*" >&2
    exit 1
}
want() { case " $ONLY " in *" $1 "*) return 0 ;; esac; return 1; }

ROWS=()
# row NAME UNIT OURS BASELINE_NAME BASELINE BETTER(higher|lower) [TARGET]
row() {
    local line
    line=$(awk -v n="$1" -v u="$2" -v a="$3" -v bn="$4" -v b="$5" -v better="$6" -v t="${7:-}" '
    function fmt(x) { if (x == "" || x == "n/a") return "n/a"; return (x >= 100 || x == int(x)) ? sprintf("%.0f", x) : sprintf("%.2f", x) }
    BEGIN {
        r = (a != "" && b != "" && a != "n/a" && b != "n/a" && b + 0 != 0) ? sprintf("%.2fx", a / b) : "n/a"
        v = ""
        if (t != "" && r != "n/a") {
            ok = better == "higher" ? a / b >= t : a / b <= t
            v = (ok ? "ok" : "MISS") " (" (better == "higher" ? ">=" : "<=") t ")"
            if (!ok && sprintf("%.2f", a / b) + 0 == t + 0) r = sprintf("%.3fx", a / b) # 0.998x, not "1.00x MISS"
        }
        printf "%-44s %-11s %11s  %-34s %11s %7s  %-6s %s", n, u, fmt(a), bn, fmt(b), r, better, v
    }')
    ROWS+=("$line")
    echo "$line"
}
header() { printf '%-44s %-11s %11s  %-34s %11s %7s  %-6s %s\n' benchmark unit ours baseline value ratio better target; }
