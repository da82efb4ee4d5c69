#!/usr/bin/env bash
# End-to-end tests of s3dlua replay (lua/s3dlua/replay.lua): a real workload
# captured with --op-log and replayed onto file:// with --map and --target
# (objects of the logged sizes, the same op counts as `oplog stats`);
# --prepare; --dry-run's exact schedule (sorted by start, --speed, --fast,
# --window); --filter/--match/--from/--to; the timing of the schedule at
# several speeds (the report and the replay's own op-log); lateness with
# --concurrency 1; --stop-on-error; the replay's own op-log (and a replay of
# it); warp logs of bare keys; errors and usage errors; the Lua API (on_op,
# dry_run as a function, replay.format); --json.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
command -v zstd >/dev/null || { echo "Bail out! zstd not found (tests/install-deps.sh installs it)"; exit 1; }
command -v python3 >/dev/null || { echo "Bail out! python3 not found"; exit 1; }
# BOUND: a replay command should end within it (LIMIT: killed after);
# GAP: seconds between the ops of the captured workload; NT entries TGAP_MS
# apart in the timing log (~1 s); NB PUTs of 8 MiB due at once; SGAP_MS between
# the ops of the --stop-on-error log; ST: the speed of the replays of hand-written
# logs where a read follows its PUT closely (a read must not overtake its PUT).
# Under valgrind fewer entries, longer gaps, and no checks of how close to the
# schedule.
if [ "${VALGRIND:-}" = 1 ]; then
    VG=1 BOUND=90 GAP=0.2 NT=50 TGAP_MS=20 NB=3 SGAP_MS=100 ST=(--speed 0.1)
else
    VG=0 BOUND=10 GAP=0.02 NT=200 TGAP_MS=5 NB=8 SGAP_MS=20 ST=()
fi
LIMIT=$((BOUND * 3))
# r ARGS...: run (lib.sh: bounded; out, err, rc, ms), then valgrind's own
# warnings (lines "--PID-- ...", e.g. an unhandled syscall) dropped from err;
# a memory error still fails (exit 99)
r() { run "$@"; err=$(printf '%s\n' "$err" | grep -v '^--[0-9]*-- ' || true); }
MiB=1048576

# pj PYTHON: runs PYTHON with j = the JSON document in $out (prints what it prints)
# (or "not JSON: " and the start of the text)
pyj() { python3 -c "import json,sys
t = sys.stdin.read()
try:
    j = json.loads(t)
except ValueError:
    print('not JSON: ' + t[:200].replace(chr(10), ' '))
    sys.exit(0)
$1" 2>&1; }
pj() { printf '%s' "$out" | pyj "$1"; }
# lastj PYTHON: the same on the last line of $out
lastj() { printf '%s\n' "$out" | tail -n 1 | pyj "$1"; }
# sizes DIR: "relative/path size" of every file under DIR, sorted
sizes() { (cd "$1" 2>/dev/null && find . -type f -printf '%P %s\n' | LC_ALL=C sort); }
# ops of a replay's --json report, "OP=n" sorted
REPOPS='print(" ".join("%s=%d" % (o["op"], o["n"]) for o in sorted(j["ops"], key=lambda o: o["op"])))'

# our 13 columns; e IDX OP BYTES URI START: one entry (end = start)
H=$'idx\tthread\top\tclient_id\tn_objects\tbytes\tendpoint\tfile\terror\tstart\tfirst_byte\tend\tduration_ns'
e() { printf '%s\t1\t%s\t\t1\t%s\t\t%s\t\t%s\t\t%s\t1000\n' "$1" "$2" "$3" "$4" "$5" "$5"; }
D=2026-01-01T00:00

# gen.lua OUT N GAP_NS URI_PREFIX OP BYTES [KEYS]: N entries GAP_NS apart
# from 2026-01-01T00:00:00Z, keys URI_PREFIX0 .. URI_PREFIX(KEYS-1) in turn
cat >gen.lua <<'LUA'
local out, n, gap, pre, op, bytes = arg[1], tonumber(arg[2]), tonumber(arg[3]), arg[4], arg[5], tonumber(arg[6])
local keys = tonumber(arg[7] or arg[2])
local f = assert(io.open(out, "w"))
f:write("idx\tthread\top\tclient_id\tn_objects\tbytes\tendpoint\tfile\terror\tstart\tfirst_byte\tend\tduration_ns\n")
local base = 1767225600 -- 2026-01-01T00:00:00Z
for i = 0, n - 1 do
  local ns = i * gap
  local t = os.date("!%Y-%m-%dT%H:%M:%S", base + math.floor(ns / 1e9)) .. string.format(".%09dZ", ns % 1e9)
  f:write(string.format("%d\t1\t%s\t\t1\t%d\t\t%s%d\t\t%s\t\t%s\t1000\n", i, op, bytes, pre, i % keys, t, t))
end
f:close()
LUA
# starts.lua LOG: "op<TAB>file<TAB>bytes" of every entry, sorted by start
cat >starts.lua <<'LUA'
local es = {}
for e in s3d.oplog.reader(arg[1]) do es[#es + 1] = { e.start, e.op, e.file, e.bytes } end
table.sort(es, function(a, b) return a[1] < b[1] end)
for _, x in ipairs(es) do print(("%s\t%s\t%d"):format(x[2], x[3], x[4])) end
LUA
# dev.lua REPLAY_LOG LOG SPEED: entries of each, and the least and the most
# (in us) by which the replay's starts, sorted, differ from LOG's starts / SPEED
# (both measured from their first start: an op late by d shows as +d, all
# the others as -d when the first one is late)
cat >dev.lua <<'LUA'
local speed = tonumber(arg[3])
local a, b = {}, {}
for e in s3d.oplog.reader(arg[2]) do a[#a + 1] = e.start end
for e in s3d.oplog.reader(arg[1]) do b[#b + 1] = e.start end
table.sort(a)
table.sort(b)
local mn, mx = math.huge, -math.huge
for i = 1, math.min(#a, #b) do
  local d = (b[i] - b[1]) - (a[i] - a[1]) / speed
  mn, mx = math.min(mn, d), math.max(mx, d)
end
print(#a, #b, math.floor(mn * 1e6), math.floor(mx * 1e6))
LUA

# --- 1. capture a real workload, replay it with --map and --target ------------
# w.lua URI GAP: PUTs of 6 sizes (one above the 4 MiB chunk: streamed), GETs, a
# stat, a PUT then a DELETE; GAP s between ops (the replay keeps the gaps: a
# DELETE must not overtake its PUT)
cat >w.lua <<'LUA'
local st = assert(s3d.open(arg[1]))
local gap = tonumber(arg[2])
local sizes = { 0, 1, 1000, 65536, 300000, 5000000 }
local function key(i) return i == 6 and "sub/dir/obj6" or "obj" .. i end
for i, n in ipairs(sizes) do assert(st:put(key(i), string.rep("z", n))) s3d.sleep(gap) end
for i = 1, 4 do assert(st:get(key(i), { discard = true })) s3d.sleep(gap) end
assert(st:stat("obj3")) s3d.sleep(gap)
assert(st:put("gone", "abc")) s3d.sleep(gap)
assert(st:delete("gone"))
LUA
mkdir src
r --op-log w.tsv run w.lua "file://$T/src/" "$GAP"
is "workload: captured with --op-log, exit 0" "0 " "$rc $err"
r oplog stats --json w.tsv
logops=$(pj 'print(" ".join("%s=%d" % (o["op"], o["ops"]) for o in sorted(j["ops"], key=lambda o: o["op"]) if o["op"] != "ALL"))')
is "workload: oplog stats counts 13 ops (7 PUT, 4 GET, 1 HEAD, 1 DELETE)" "DELETE=1 GET=4 HEAD=1 PUT=7" "$logops"
# the objects the log leaves: its PUTs minus its DELETEs, "path size" under ROOT
want_objects() {
    awk -F'\t' -v pre="file://$T/src/" 'NR > 1 && index($8, pre) == 1 {
        k = substr($8, length(pre) + 1)
        if ($3 == "PUT") s[k] = $6; else if ($3 == "DELETE") delete s[k]
    } END { for (k in s) print k, s[k] }' w.tsv | LC_ALL=C sort
}
want=$(want_objects)
is "workload: the log leaves 6 objects (sanity)" 6 "$(printf '%s\n' "$want" | wc -l)"

r --op-log r.tsv replay w.tsv --map "file://$T/src/=file://$T/dst/" --json
is "--map: exit 0" "0 " "$rc $err"
is "--map: the report's op counts are the log's" "$logops" "$(pj "$REPOPS")"
is "--map: done 13, failed 0, nothing skipped" "13 0 13 0" \
    "$(pj 'print(j["done"], j["failed"], j["counts"]["selected"], j["counts"]["filtered"])')"
is "--map: every object the log PUT (and did not DELETE) is under dst/ with the logged size" "$want" "$(sizes dst)"
[ -e dst/gone ] && fail "--map: the object PUT then DELETEd is gone" "dst/gone exists" ||
    pass "--map: the object PUT then DELETEd is gone"
is "--map: the source is untouched" "$want" "$(sizes src)"

# 8. the replay's own op-log: one entry per op, retargeted, in schedule order
r replay w.tsv --map "file://$T/src/=file://$T/dst/" --dry-run
sched=$(printf '%s\n' "$out" | cut -f 2-4)
is "--dry-run --map: 13 lines of schedule" 13 "$(printf '%s\n' "$sched" | grep -c .)"
is "own op-log: one entry per replayed op" 13 "$(($(wc -l <r.tsv) - 1))"
is "own op-log: every URI is retargeted (under dst/)" 13 "$(awk -F'\t' -v p="file://$T/dst/" 'NR > 1 && index($8, p) == 1' r.tsv | wc -l)"
is "own op-log: no errors" 0 "$(awk -F'\t' 'NR > 1 && $9 != ""' r.tsv | wc -l)"
r run starts.lua r.tsv
is "own op-log: sorted by start, its op, URI, bytes are the dry run's schedule" "$sched" "$out"
# a replay can be replayed
r replay r.tsv --map "file://$T/dst/=file://$T/dst4/"
is "a replay of the replay's op-log: exit 0" "0 " "$rc $err"
is "a replay of the replay's op-log: the same objects" "$want" "$(sizes dst4)"

r replay w.tsv --target "file://$T/dst2/"
is "--target: exit 0" "0 " "$rc $err"
has "--target: the text report says 13 ops, 0 failed" "replay w.tsv: 13 ops, 0 failed" "$out"
is "--target: objects under dst2/<absolute path without its leading />" \
    "$(printf '%s\n' "$want" | sed "s|^|${T#/}/src/|")" "$(sizes dst2)"
r replay w.tsv --target "dst3" --filter PUT --json
is "--target as a plain path (dst3) and --filter PUT: exit 0" "0 " "$rc $err"
is "--filter PUT: only the 7 PUTs run, 6 filtered" "PUT=7 6" "$(pj "$REPOPS"'; print(j["counts"]["filtered"])' | tr '\n' ' ' | sed 's/ $//')"
is "--filter PUT: all 7 objects (the DELETE filtered out: gone stays)" \
    "$(printf '%s\n' "$want" "gone 3" | LC_ALL=C sort | sed "s|^|${T#/}/src/|")" "$(sizes dst3)"

# --- 2. --prepare onto an empty target ------------------------------------------
# a, b, e read before any PUT (a read with 1234 and 1000 bytes: the largest
# wins); w written first, then read (not prepared)
{
    echo "$H"
    e 0 GET 1234 file:///orig/d/a "$D:00.000000000Z"
    e 1 HEAD 0 file:///orig/d/b "$D:00.010000000Z"
    e 2 GET 77 file:///orig/d/b "$D:00.020000000Z"
    e 3 GET 1000 file:///orig/d/a "$D:00.030000000Z"
    e 4 HEAD 0 file:///orig/d/e "$D:00.040000000Z"
    e 5 PUT 10 file:///orig/d/w "$D:00.050000000Z"
    e 6 GET 10 file:///orig/d/w "$D:00.090000000Z"
} >g.tsv
r replay g.tsv --target "file://$T/p/" "${ST[@]}"
is "without --prepare on an empty target: exit 1" 1 "$rc"
has "without --prepare: 7 ops, 5 failed" "7 ops, 5 failed" "$out"
has "without --prepare: an error line names the URI" "error: GET file://$T/p/orig/d/a: " "$out"
has "without --prepare: an error line for the HEAD" "error: HEAD file://$T/p/orig/d/e: " "$out"
rm -rf p
r replay g.tsv --target "file://$T/p/" --prepare "${ST[@]}"
is "--prepare: exit 0" "0 " "$rc $err"
has "--prepare: 7 ops, 0 failed" "7 ops, 0 failed" "$out"
has "--prepare: 3 objects prepared (w is written by the log)" "prepared 3 objects" "$out"
is "--prepare: the objects, of the largest logged read size" \
    "$(printf 'orig/d/a 1234\norig/d/b 77\norig/d/e 0\norig/d/w 10')" "$(sizes p)"
r replay g.tsv --target "file://$T/p2/" --prepare --json "${ST[@]}"
is "--prepare --json: prepared objects and bytes, 0 failures" "3 1311 0 0" \
    "$(pj 'print(j["prepared"]["objects"], j["prepared"]["bytes"], j["prepared"]["failed"], j["failed"])')"

# --- 3. --dry-run: the schedule, exactly ---------------------------------------
# lines not in start order (written in completion order)
{
    echo "$H"
    e 0 GET 100 file:///x/a "$D:00.000000000Z"
    e 1 HEAD 0 file:///x/b "$D:00.250000000Z"
    e 2 PUT 7 file:///x/c "$D:01.500000000Z"
    e 3 GET 50 file:///x/b "$D:00.100000000Z"
} >u.tsv
r replay u.tsv --dry-run --target "file://$T/dry/"
is "--dry-run: exit 0" 0 "$rc"
is "--dry-run: the schedule sorted by start, offsets from the first entry" \
    "$(printf '+0.000000\tGET\tfile://%s/dry/x/a\t100\n+0.100000\tGET\tfile://%s/dry/x/b\t50\n+0.250000\tHEAD\tfile://%s/dry/x/b\t0\n+1.500000\tPUT\tfile://%s/dry/x/c\t7' "$T" "$T" "$T" "$T")" "$out"
is "--dry-run: the summary on stderr" "dry run: 4 ops over 1.500000 s of schedule (speed 1)" "$err"
[ -e dry ] && fail "--dry-run: no I/O (the target is not created)" "$(find dry)" ||
    pass "--dry-run: no I/O (the target is not created)"
r replay u.tsv --dry-run --speed 2
is "--dry-run --speed 2: offsets halved" \
    "$(printf '+0.000000\tGET\tfile:///x/a\t100\n+0.050000\tGET\tfile:///x/b\t50\n+0.125000\tHEAD\tfile:///x/b\t0\n+0.750000\tPUT\tfile:///x/c\t7')" "$out"
r replay u.tsv --dry-run --speed 0.1
is "--dry-run --speed 0.1: offsets stretched tenfold" "+0.000000 +1.000000 +2.500000 +15.000000" "$(printf '%s\n' "$out" | cut -f 1 | tr '\n' ' ' | sed 's/ $//')"
r replay u.tsv --dry-run --fast
is "--dry-run --fast: every offset 0, same order" \
    "$(printf '+0.000000\tGET\tfile:///x/a\t100\n+0.000000\tGET\tfile:///x/b\t50\n+0.000000\tHEAD\tfile:///x/b\t0\n+0.000000\tPUT\tfile:///x/c\t7')" "$out"
has "--dry-run --fast: the summary says fast" "(speed 1, fast)" "$err"
# an entry later in the file than --window (5 s) allows: with --window 10 in
# order; by default it starts late and the report says so
{
    echo "$H"
    e 0 PUT 1 "file://$T/oo/a" "$D:01.000000000Z"
    e 1 PUT 2 "file://$T/oo/b" "$D:08.000000000Z"
    e 2 PUT 3 "file://$T/oo/c" "$D:02.000000000Z"
    e 3 PUT 4 "file://$T/oo/d" "$D:00.000000000Z"
} >oo.tsv
r replay oo.tsv --dry-run --window 10
is "--dry-run --window 10: an entry 8 s late in the file is put in order" \
    "$(printf '+0.000000\tPUT\tfile://%s/oo/d\t4\n+1.000000\tPUT\tfile://%s/oo/a\t1\n+2.000000\tPUT\tfile://%s/oo/c\t3\n+8.000000\tPUT\tfile://%s/oo/b\t2' "$T" "$T" "$T" "$T")" "$out"
r replay oo.tsv --dry-run
lacks "--dry-run: an entry beyond --window gets an offset that is a number (not '+-1.000000')" "+-" "$out"
r replay oo.tsv --speed 100
is "an entry beyond --window, real run at --speed 100: exit 0" "0 " "$rc $err"
has "an entry beyond --window: the report counts it as late" "1 entries came later in the log than --window allows" "$out"
is "an entry beyond --window: all 4 objects written" "$(printf 'a 1\nb 2\nc 3\nd 4')" "$(sizes oo)"

# --- 4. --filter, --match, --from, --to ------------------------------------------
# dry WHAT EXPECTED ARGS...: the dry run's lines, "OFFSET OP URI" joined by ';'
dry() {
    local what=$1 want=$2
    shift 2
    r replay u.tsv --dry-run "$@"
    is "$what" "0 $want" "$rc $(printf '%s\n' "$out" | cut -f 1-3 | tr '\t\n' ' ;' | sed 's/;$//')"
}
dry "--filter GET" "+0.000000 GET file:///x/a;+0.100000 GET file:///x/b" --filter GET
has "--filter GET: the summary says 2 skipped by the filters" "skipped: 2 by the filters" "$err"
dry "--filter head,put (case-insensitive)" "+0.000000 HEAD file:///x/b;+1.250000 PUT file:///x/c" --filter head,put
dry "--filter STAT is HEAD" "+0.000000 HEAD file:///x/b" --filter STAT
has "--filter STAT: 3 skipped by the filters" "skipped: 3 by the filters" "$err"
dry "--match '*/b'" "+0.000000 GET file:///x/b;+0.150000 HEAD file:///x/b" --match '*/b'
dry "--match '*/[ac]' --filter PUT" "+0.000000 PUT file:///x/c" --match '*/[ac]' --filter PUT
dry "--from 0.2 --to 1 (seconds after the first entry)" "+0.000000 HEAD file:///x/b" --from 0.2 --to 1
dry "--from 250ms --to 1.5s (durations)" "+0.000000 HEAD file:///x/b;+1.250000 PUT file:///x/c" --from 250ms --to 1.5s
dry "--to 0.2" "+0.000000 GET file:///x/a;+0.100000 GET file:///x/b" --to 0.2
dry "--from/--to as RFC 3339 UTC times" "+0.000000 GET file:///x/b;+0.150000 HEAD file:///x/b" \
    --from 2026-01-01T00:00:00.05Z --to 2026-01-01T00:00:00.3Z
dry "--from as an RFC 3339 time with +01:00" "+0.000000 HEAD file:///x/b;+1.250000 PUT file:///x/c" \
    --from 2026-01-01T01:00:00.2+01:00
# a log whose first line is not its earliest start (completion order): the
# window is measured from the first entry, as the dry run's offsets are
{
    echo "$H"
    e 0 GET 1 file:///x/a "$D:00.500000000Z"
    e 1 GET 2 file:///x/b "$D:00.000000000Z"
    e 2 GET 3 file:///x/c "$D:01.000000000Z"
} >v.tsv
r replay v.tsv --dry-run
is "first line not the earliest: the schedule" "0 +0.000000 file:///x/b;+0.500000 file:///x/a;+1.000000 file:///x/c" \
    "$rc $(printf '%s\n' "$out" | cut -f 1,3 | tr '\t\n' ' ;' | sed 's/;$//')"
r replay v.tsv --dry-run --from 0
is "first line not the earliest: --from 0 keeps every entry" 3 "$(printf '%s\n' "$out" | grep -c .)"
r replay v.tsv --dry-run --to 0.6
is "first line not the earliest: --to 0.6 keeps the entries the schedule shows at +0 and +0.5" \
    "file:///x/b file:///x/a" "$(printf '%s\n' "$out" | cut -f 3 | tr '\n' ' ' | sed 's/ $//')"
# real runs: --filter with --match on the captured log
r replay w.tsv --map "file://$T/src/=file://$T/dst5/" --filter GET,PUT --match '*/obj[12]' --json
is "--filter GET,PUT --match '*/obj[12]', real run: exit 0" "0 " "$rc $err"
is "--filter GET,PUT --match '*/obj[12]': 2 PUTs, 2 GETs, 9 filtered" "GET=2 PUT=2 9" \
    "$(pj "$REPOPS"'; print(j["counts"]["filtered"])' | tr '\n' ' ' | sed 's/ $//')"
is "--filter GET,PUT --match '*/obj[12]': the 2 objects" "$(printf 'obj1 0\nobj2 1')" "$(sizes dst5)"
r replay w.tsv --map "file://$T/src/=file://$T/dst6/" --filter PUT
has "--filter PUT, text report: skipped: 6 by the filters" "skipped: 6 by the filters" "$out"

# --- 5. timing: a ~1 s log at --speed 1, 2, 0.5 -----------------------------------
r run gen.lua tm.tsv "$NT" $((TGAP_MS * 1000000)) "file://$T/tm/o" GET 4096 20
is "timing log: $NT GETs ${TGAP_MS} ms apart written" "0 " "$rc $err"
span_ms=$(((NT - 1) * TGAP_MS))
r replay tm.tsv --prepare --fast
is "timing log: --prepare --fast: exit 0" "0 " "$rc $err"
has "timing log: 20 objects prepared" "prepared 20 objects" "$out"
has "timing log: --fast runs every entry" "$NT ops, 0 failed" "$out"
lacks "--fast: no schedule line in the report" "schedule:" "$out"
for sp in 1 2 0.5; do
    rm -f "rt$sp.tsv"
    r --op-log "rt$sp.tsv" replay tm.tsv --speed "$sp" --json
    wall=$ms
    is "--speed $sp: exit 0, all $NT done" "0 $NT 0" "$rc $(pj 'print(j["done"], j["failed"])')"
    is "--speed $sp: span_s is the log's, expected_s = span / speed" "ok" \
        "$(pj "s, x = j['span_s'], j['expected_s']
print('ok' if abs(s - $span_ms / 1000) < 1e-6 and abs(x - s / $sp) < 1e-6 else 'span %r expected %r' % (s, x))")"
    is "--speed $sp: lateness fields (p50 p90 p99 p99.9 max mean, n = $NT)" "ok" \
        "$(pj "l = j['lateness']
ok = all(isinstance(l.get(k), (int, float)) and l[k] >= 0 for k in ('p50_us', 'p90_us', 'p99_us', 'p999_us', 'max_us', 'mean_us'))
print('ok' if ok and l.get('n') == $NT else l)")"
    if [ "$VG" = 0 ]; then
        is "--speed $sp: schedule_s within 2% (or 5 ms) of expected_s" "ok" \
            "$(pj "x, s = j['expected_s'], j['schedule_s']
print('ok' if abs(s - x) <= max(0.02 * x, 0.005) else 'expected %.6f schedule %.6f' % (x, s))")"
        exp_ms=$(python3 -c "print(int($span_ms / $sp))")
        if [ "$wall" -ge "$exp_ms" ] && [ "$wall" -le $((exp_ms + 1500)) ]; then
            pass "--speed $sp: the command took the schedule's time (${exp_ms} ms <= $wall ms <= +1.5 s)"
        else
            fail "--speed $sp: the command took the schedule's time" "expected ${exp_ms} ms .. +1.5 s, took $wall ms"
        fi
        r run dev.lua "rt$sp.tsv" tm.tsv "$sp"
        read -r na nb dmin dmax <<<"$out"
        if [ "${na:-}" = "$NT" ] && [ "${nb:-}" = "$NT" ] && [ $((${dmax:-99999} - ${dmin:-0})) -le 50000 ]; then
            pass "--speed $sp: own op-log: the starts keep the log's gaps / $sp (all within 50 ms; got $dmin .. $dmax us)"
        else
            fail "--speed $sp: own op-log: the starts keep the log's gaps / $sp (all within 50 ms)" "$out $err"
        fi
    else
        is "--speed $sp: schedule_s not early (>= expected_s - 5 ms)" "ok" \
            "$(pj "x, s = j['expected_s'], j['schedule_s']
print('ok' if s >= x - 0.005 else 'expected %.6f schedule %.6f' % (x, s))")"
    fi
done
# --from/--to on a real run: the entries from 0.4975 s to 0.7025 s
want_n=0
for i in $(seq 0 $((NT - 1))); do
    t=$((i * TGAP_MS * 10))
    [ "$t" -ge 4975 ] && [ "$t" -le 7025 ] && want_n=$((want_n + 1))
done
r replay tm.tsv --from 0.4975 --to 0.7025 --fast --json
is "--from 0.4975 --to 0.7025, real run: $want_n done, $((NT - want_n)) filtered" "0 $want_n $((NT - want_n))" \
    "$rc $(pj 'print(j["done"], j["counts"]["filtered"])')"

# --- 6. --concurrency 1, ops slower than the gaps: late, all done ------------------
r run gen.lua big.tsv "$NB" 0 "file://$T/big/b" PUT $((8 * MiB))
r replay big.tsv --concurrency 1 --json
is "--concurrency 1, $NB PUTs of 8 MiB due at once: exit 0, all done" "0 $NB 0" "$rc $(pj 'print(j["done"], j["failed"])')"
is "--concurrency 1: lateness p99 > 1 ms and at least ($NB/2 - 1) PUT p50s (ops wait for each other)" "ok" \
    "$(pj "l = j['lateness']; p = [o for o in j['ops'] if o['op'] == 'PUT'][0]
print('ok' if l['p99_us'] > 1000 and l['p99_us'] >= ($NB // 2 - 1) * p['p50_us'] else 'lateness p99 %r, PUT p50 %r' % (l['p99_us'], p['p50_us']))")"
is "--concurrency 1: the last op started about when the ones before it were done (schedule_s ~ lateness max)" "ok" \
    "$(pj "l = j['lateness']
print('ok' if abs(j['schedule_s'] * 1e6 - l['max_us']) <= 0.01 * l['max_us'] + 100 else 'schedule_s %r, lateness max %r us' % (j['schedule_s'], l['max_us']))")"
is "--concurrency 1: every object 8 MiB" "$NB" "$(sizes big | grep -c " $((8 * MiB))$")"

# --- 7. --stop-on-error --------------------------------------------------------------
{
    echo "$H"
    for i in 0 1 2 3 4 5 6 7 8 9; do
        t=$(printf '%s:00.%09dZ' "$D" $((i * SGAP_MS * 1000000)))
        if [ "$i" = 2 ]; then e "$i" GET 10 "file://$T/so/missing" "$t"; else e "$i" PUT 10 "file://$T/so/k$i" "$t"; fi
    done
} >so.tsv
r replay so.tsv --stop-on-error
is "--stop-on-error, the 3rd op fails: exit 1" 1 "$rc"
has "--stop-on-error: the report says it stopped" "stopped at the first error" "$out"
has "--stop-on-error: the error names the URI" "error: GET file://$T/so/missing" "$out"
nops=$(printf '%s\n' "$out" | sed -n 's/^replay so.tsv: \([0-9]*\) ops.*/\1/p')
if [ -n "$nops" ] && [ "$nops" -ge 3 ] && [ "$nops" -lt 10 ]; then pass "--stop-on-error: fewer ops than entries ($nops of 10)"; else
    fail "--stop-on-error: fewer ops than entries" "ops: '${nops}'" "$out"
fi
rm -rf so
r replay so.tsv --stop-on-error --concurrency 1 --json
is "--stop-on-error --concurrency 1: exactly 2 done, 1 failed, stopped" "1 2 1 True" \
    "$rc $(pj 'print(j["done"], j["failed"], j["stopped"])')"
is "--stop-on-error --concurrency 1: only k0 and k1 written" "$(printf 'k0 10\nk1 10')" "$(sizes so)"
rm -rf so
r replay so.tsv
is "without --stop-on-error: exit 1, every op run" "1" "$rc"
has "without --stop-on-error: 10 ops, 1 failed" "10 ops, 1 failed" "$out"
lacks "without --stop-on-error: not stopped" "stopped" "$out"
is "without --stop-on-error: the 9 PUTs written" 9 "$(sizes so | wc -l)"

# --- 9. warp's format: bare keys, +01:00 times with trimmed fractions ------------
printf '%s\n' \
    $'idx\tthread\top\tclient_id\tn_objects\tbytes\tendpoint\tfile\terror\tstart\tfirst_byte\tlast_byte\tend\tduration_ns\tcat' \
    '# warp comment' \
    $'0\t1\tPUT\tclient-1\t1\t4096\thttp://10.0.0.1:9000\tprefix/obj1\t\t2024-03-05T10:20:30.5+01:00\t\t\t2024-03-05T10:20:30.625+01:00\t125000000\t0' \
    $'1\t2\tPUT\tclient-1\t1\t100\thttp://10.0.0.1:9000\tprefix/obj2\t\t2024-03-05T10:20:30.52+01:00\t\t\t2024-03-05T10:20:30.625+01:00\t105000000\t0' \
    $'2\t2\tGET\tclient-1\t1\t4096\thttp://10.0.0.2:9000\tprefix/obj1\t\t2024-03-05T10:20:30.6+01:00\t2024-03-05T10:20:30.61+01:00\t2024-03-05T10:20:30.62+01:00\t2024-03-05T10:20:30.620001+01:00\t20001000\t1' \
    $'3\t1\tSTAT\tclient-2\t1\t0\thttp://10.0.0.1:9000\tprefix/obj2\t\t2024-03-05T10:20:30.65+01:00\t\t\t2024-03-05T10:20:30.650001+01:00\t1000\t2' \
    '# Warp version: 1.0.0 - 1a2b3c4' >warp.csv
zstd -q -c warp.csv >warp.csv.zst
wsched=$(printf '+0.000000\tPUT\tfile://%s/w/prefix/obj1\t4096\n+0.020000\tPUT\tfile://%s/w/prefix/obj2\t100\n+0.100000\tGET\tfile://%s/w/prefix/obj1\t4096\n+0.150000\tHEAD\tfile://%s/w/prefix/obj2\t0' "$T" "$T" "$T" "$T")
r replay warp.csv --dry-run --target "file://$T/w"
is "warp log: dry run, bare keys joined to --target (no trailing /)" "0 $wsched" "$rc $out"
r replay warp.csv.zst --dry-run --target "file://$T/w/"
is "warp log .zst: the same schedule" "0 $wsched" "$rc $out"
r replay warp.csv.zst --target "file://$T/w/" "${ST[@]}"
is "warp log: replayed onto --target, exit 0" "0 " "$rc $err"
has "warp log: 4 ops, 0 failed" "replay warp.csv.zst: 4 ops, 0 failed" "$out"
is "warp log: the objects" "$(printf 'prefix/obj1 4096\nprefix/obj2 100')" "$(sizes w)"
r replay warp.csv
is "warp log without --target: exit 1" 1 "$rc"
has "warp log without --target: the error says to use --target" "prefix/obj1: not a URI (replay a log of bare keys with --target)" "$out"

# --- 10. errors ----------------------------------------------------------------------
r replay nosuch.tsv
is "a missing log: exit 1" 1 "$rc"
has "a missing log: the error names it" "nosuch.tsv: No such file or directory" "$err"
{
    echo "$H"
    e 0 PUT 5 "file://$T/b/k0" "$D:00.000000000Z"
    printf '1\t1\tPUT\t\t1\t12x\t\tfile://%s/b/k1\t\t%s:00.01Z\t\t%s:00.01Z\t1000\n' "$T" "$D" "$D"
    e 2 PUT 6 "file://$T/b/k2" "$D:00.020000000Z"
} >bad.tsv
r replay bad.tsv
is "a bad line: exit 1" 1 "$rc"
has "a bad line: the error names file:line" "bad.tsv:3:" "$err"
has "a bad line: the error names the field" "field 'bytes'" "$err"
lacks "a bad line: a plain error, no stack traceback" "stack traceback" "$err"
r replay bad.tsv --dry-run
is "a bad line, --dry-run: exit 1, the error names file:line and the field" "1 s3dlua: replay bad.tsv:3: field 'bytes': '12x' is not a number" "$rc $err"
r replay bad.tsv --prepare
is "a bad line, --prepare: exit 1, the error names file:line and the field" "1 s3dlua: replay bad.tsv:3: field 'bytes': '12x' is not a number" "$rc $err"
rm -rf b
r replay bad.tsv --skip-bad
is "a bad line with --skip-bad: exit 0" "0 " "$rc $err"
has "--skip-bad: the report counts the bad line" "skipped: 1 bad lines" "$out"
has "--skip-bad: the 2 good entries run" "2 ops, 0 failed" "$out"
is "--skip-bad: their objects" "$(printf 'k0 5\nk2 6')" "$(sizes b)"
r replay bad.tsv --skip-bad --dry-run
has "--skip-bad --dry-run: the summary counts the bad line" "1 bad lines" "$err"
# usage errors: exit 2, naming the option
usage() {
    local what=$1 needle=$2
    shift 2
    r replay "$@"
    is "$what: usage error (exit 2)" 2 "$rc"
    has "$what: the error says why" "$needle" "$err"
}
usage "--speed 0" "--speed needs a number > 0" u.tsv --speed 0
usage "--speed -1" "--speed needs a number" u.tsv --speed -1
usage "--speed abc" "'abc'" u.tsv --speed abc
usage "--concurrency 0" "--concurrency needs a number > 0" u.tsv --concurrency 0
usage "--map without =" "--map 'foo' is not FROM=TO" u.tsv --map foo
usage "--map without a value" "--map needs FROM=TO" u.tsv --map
usage "an unknown option" "unknown option --frob" u.tsv --frob
usage "replay with no log" "replay needs one op-log" --speed 2
usage "replay with two logs" "replay needs one op-log" u.tsv v.tsv
usage "--from xyz" "--from needs seconds after the first entry (30, 1m) or an RFC 3339 time, not 'xyz'" u.tsv --dry-run --from xyz
usage "--to with a bad date" "an RFC 3339 time, not '2026-13-99T00:00:00Z'" u.tsv --dry-run --to 2026-13-99T00:00:00Z
r replay --help
is "replay --help: exit 0, the usage" "0 usage: s3dlua replay OPLOG" "$rc $(printf '%s\n' "$out" "$err" | grep -m 1 -o '^usage: s3dlua replay OPLOG')"

# --- 11. the Lua API ---------------------------------------------------------------------
r run gen.lua lo.tsv 5 1000000 file:///orig/o PUT 100
# api.lua LOG TARGET: on_op sees each entry, skips o3, renames and resizes o1
cat >api.lua <<'LUA'
local replay = require "s3dlua.replay"
local function check(ok, what, detail)
  if ok then print("ok\t" .. what) else print("not ok\t" .. what .. "\t" .. tostring(detail):gsub("[\t\n]", " ")) end
end
local seen = {}
local r = replay.run { log = arg[1], target = arg[2], fast = true, on_op = function(e)
  seen[#seen + 1] = e
  if e.src:match("o3$") then return false end
  if e.src:match("o1$") then
    e.uri = e.uri .. ".renamed"
    e.bytes = 777
  end
end }
local got = {}
for _, e in ipairs(seen) do got[#got + 1] = ("%s %s %s %d"):format(e.op, e.src, e.uri, e.bytes) end
local want = {}
for i = 0, 4 do
  want[#want + 1] = ("PUT file:///orig/o%d %sorig/o%d%s %d"):format(i, arg[2], i, i == 1 and ".renamed" or "", i == 1 and 777 or 100)
end
check(table.concat(got, ";") == table.concat(want, ";"), "on_op sees op, src, uri (retargeted), bytes of each entry",
  table.concat(got, ";"))
local ts = {}
for _, e in ipairs(seen) do ts[#ts + 1] = type(e.t) == "number" and ("%.0f"):format(e.t) or tostring(e.t) end
check(table.concat(ts, " ") == "0 1000000 2000000 3000000 4000000", "on_op: e.t is the start in ns after the first entry",
  table.concat(ts, " "))
check(r.done == 4 and r.failed == 0 and r.counts.hook == 1, "run: 4 done, 0 failed, 1 skipped by on_op",
  ("%s %s %s"):format(r.done, r.failed, r.counts.hook))
local text = replay.format(r)
check(type(text) == "string" and text:find("4 ops, 0 failed", 1, true) and text:find("skipped: 1 by on_op", 1, true),
  "replay.format(r): the text report", text)
-- dry_run as a function: gets each line, no I/O
local lines = {}
local d = replay.run { log = arg[1], target = arg[2] .. "dry/", speed = 4, dry_run = function(l) lines[#lines + 1] = l end }
check(#lines == 5 and lines[2] == ("+0.000250\tPUT\t%sdry/orig/o1\t100"):format(arg[2]),
  "dry_run = function: receives each schedule line (speed 4)", table.concat(lines, ";"))
check(replay.format(d):find("dry run: 5 ops over 0.001000 s", 1, true), "replay.format of a dry run", replay.format(d))
-- an error in on_op is raised by replay.run
local ok, err = pcall(replay.run, { log = arg[1], target = arg[2] .. "err/", fast = true,
  on_op = function(e) if e.src:match("o2$") then error("hook boom", 0) end end })
check(not ok and tostring(err):find("hook boom", 1, true), "an error in on_op: replay.run raises it",
  ok and ("returned, done " .. tostring(err and err.done)) or err)
-- bad options
local ok2, err2 = pcall(replay.run, { log = arg[1], speed = 0 })
check(not ok2 and tostring(err2):find("speed", 1, true), "speed = 0: replay.run raises", err2)
local ok3, err3 = pcall(replay.run, { log = arg[1], map = { "nothing" }, dry_run = function() end })
check(not ok3 and tostring(err3):find("is not FROM=TO", 1, true), "map without '=': replay.run raises", err3)
LUA
r run api.lua lo.tsv "file://$T/lo/"
is "api.lua: exits 0" "0 " "$rc $(printf '%s' "$err" | head -c 400)"
printf '%s\n' "$out" >api.out
tap_from api.out "Lua API: "
# on_op runs as entries come due, so the ops before the one whose hook
# raised (o0, o1) were replayed under err/ and nothing after it
is "Lua API: rewritten keys and sizes landed, o3 skipped; under err/ only o0 and o1" \
    "$(printf 'err/orig/o0 100\nerr/orig/o1 100\norig/o0 100\norig/o1.renamed 777\norig/o2 100\norig/o4 100')" "$(sizes lo)"
[ -e lo/dry ] && fail "Lua API: dry_run made no I/O" "$(find lo/dry)" || pass "Lua API: dry_run made no I/O"

# --- 12. --json ---------------------------------------------------------------------------
r replay g.tsv --target "file://$T/p/" --json "${ST[@]}"
is "--json: exit 0, parses, has done/failed/ops/lateness/span_s/expected_s/schedule_s" "0 ok" \
    "$rc $(pj "missing = [k for k in ('done', 'failed', 'ops', 'lateness', 'span_s', 'expected_s', 'schedule_s', 'wall_s', 'stopped', 'counts') if k not in j]
print('ok' if not missing else 'missing %s' % missing)")"
is "--json: values (7 done, 0 failed, span 0.09 s, 4 GET 2 HEAD 1 PUT)" "7 0 0.09 GET=4 HEAD=2 PUT=1" \
    "$(pj 'print(j["done"], j["failed"], round(j["span_s"], 9))
'"$REPOPS" | tr '\n' ' ' | sed 's/ $//')"
r replay g.tsv --target "file://$T/nowhere/" --json "${ST[@]}"
is "--json with failures: exit 1, failed 5, 5 errors named" "1 5 5" \
    "$rc $(pj 'print(j["failed"], len(j["errors"]))')"
r replay u.tsv --dry-run --json
is "--dry-run --json: exit 0" "0" "$rc"
lacks "--dry-run --json: no serialisation error" "Cannot serialise" "$err"
is "--dry-run --json: the last line is the JSON report (4 entries)" "True 4" "$(lastj 'print(j.get("dry_run"), j.get("entries"))')"

is "every replay command ended within ${BOUND} s" "" "$slow"
finish
