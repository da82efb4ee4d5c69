#!/bin/bash
# bench/run.sh - s3dlua benchmarks, each against a baseline measured in the same run.
#
#   make bench                        (= make all benches; S3DLUA=./s3dlua O=obj bench/run.sh)
#   BENCH_DIR=/mnt/nvme bench/run.sh  work directory on a real disk (default /var/tmp)
#
# Prints one table row per figure: ours, the baseline, ratio = ours / baseline, and which way
# is better. Figures are medians of several runs with ours and the baselines interleaved, so
# drift on a shared machine hits both alike. Every file goes into one
# mktemp -d directory under BENCH_DIR, removed on exit (also on Ctrl-C). Knobs for quick
# runs: BENCH_SIZE_MIB (1024), BENCH_SEQ_REPS (5), BENCH_REPS (3, random reads and the rest),
# BENCH_RR_SECS (2), BENCH_NULL_SECS (2), BENCH_DATAGEN_GIB (4), BENCH_TFR_MIB (2048),
# BENCH_OPLOG_LINES (10000000), BENCH_REPLAY_OPS (100000),
# BENCH_ONLY="seq rand hist tasks null datagen tfrecord oplog replay" (any subset).
set -u -o pipefail
export LC_ALL=C
cd "$(dirname "$0")/.." || exit 1

S3DLUA=${S3DLUA:-./s3dlua}
O=${O:-obj}
BENCH_DIR=${BENCH_DIR:-/var/tmp}
SIZE_MIB=${BENCH_SIZE_MIB:-1024}
SEQ_REPS=${BENCH_SEQ_REPS:-5} # page-cache writes on a shared VM stall now and then: 5 for medians
REPS=${BENCH_REPS:-3}
RR_SECS=${BENCH_RR_SECS:-2}
NULL_SECS=${BENCH_NULL_SECS:-2}
ONLY=${BENCH_ONLY:-seq rand hist tasks null datagen tfrecord oplog replay}
TMO="timeout --foreground -k 5 300" # no step may hang the run; Ctrl-C still reaches it

BENCH_NAME=bench
# shellcheck source=bench/lib.sh
. bench/lib.sh # the cwd is the project root (see the cd above)

[ -x "$S3DLUA" ] || die "$S3DLUA not built (make)"
command -v dd >/dev/null || die "dd not found"
HAVE_FIO=0
command -v fio >/dev/null && HAVE_FIO=1

# ---- work directory: a real disk, never /dev/shm or another tmpfs ----
[ -d "$BENCH_DIR" ] || die "BENCH_DIR=$BENCH_DIR is not a directory"
BENCH_DIR=$(readlink -f "$BENCH_DIR")
case "$BENCH_DIR/" in /dev/shm/* | /run/* | /dev/*) die "BENCH_DIR=$BENCH_DIR is memory, not a disk" ;; esac
FSTYPE=$(stat -f -c %T "$BENCH_DIR")
case "$FSTYPE" in tmpfs | ramfs) die "BENCH_DIR=$BENCH_DIR is on $FSTYPE, not a disk" ;; esac
need_kib=$(((SIZE_MIB * 2 + 256) * 1024))
avail_kib=$(df -Pk "$BENCH_DIR" | awk 'NR == 2 { print $4 }')
[ "$avail_kib" -ge "$need_kib" ] || die "$BENCH_DIR has $((avail_kib / 1024)) MiB free, need $((need_kib / 1024))"
avail_mem_kib=$(awk '/MemAvailable/ { print $2 }' /proc/meminfo)
[ "$avail_mem_kib" -ge "$need_kib" ] || die "only $((avail_mem_kib / 1024)) MiB of memory available: the ${SIZE_MIB} MiB file would not stay in the page cache (try BENCH_SIZE_MIB)"
W=$(mktemp -d "$BENCH_DIR/s3dlua-bench.XXXXXX") || die "cannot create a directory in $BENCH_DIR"
cleanup() { rm -rf -- "$W"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
# Run private copies: other people rebuilding ./s3dlua or $O/bench/* meanwhile cannot change
# (or, mid-link, break) the binaries under measurement. The Lua library is embedded.
mkdir -p "$W/bin" || die "cannot create $W/bin"
cp "$S3DLUA" "$W/bin/s3dlua" || die "cannot copy $S3DLUA"
S3DLUA=$W/bin/s3dlua
for b in bench_crc32c bench_hist bench_memset bench_pread bench_seq; do
    [ -x "$O/bench/$b" ] || die "$O/bench/$b not built (make benches)"
    cp "$O/bench/$b" "$W/bin/" || die "cannot copy $O/bench/$b"
done
O_BENCH=$W/bin

# libuv's thread pool, where file:// runs its blocking calls: its threads start with the first
# file operation, so count them then (the runtime may set its own default size)
POOL=$("$S3DLUA" -e 's3d.open("file:///"):stat("")
  for l in io.lines("/proc/self/status") do
    local n = l:match("^Threads:%s*(%d+)") if n then print(n - 1) end end') || die "$S3DLUA does not run"
BYTES=$((SIZE_MIB * 1048576))
DATA=$W/data.bin # the page-cached file every read benchmark uses

# ---- helpers ----
# kv "line" key -> the value of key= in a line of key=value pairs ("" if absent)
kv() { awk -v k="$2" '{ for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) { print substr($i, length(k) + 2); exit } }' <<<"$1"; }
# median of the numbers given as arguments (the lower middle one for an even count)
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
best() { printf '%s\n' "$@" | sort -g | tail -1; }
note() { echo "# $*"; }


# dd's own clock: "N bytes (...) copied, S s, ..." -> S
dd_secs() { sed -n 's/.* copied, \([0-9.e+-]*\) s,.*/\1/p' | tail -1; }
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.1f", b / s / 1e6 }'; }

echo "s3dlua benchmarks  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "# $("$S3DLUA" --version); $(fio --version 2>/dev/null || echo 'fio missing'); $(dd --version | head -1)"
echo "# $(uname -sr); $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')); $(awk '/MemTotal/ { printf "%.1f GiB RAM", $2 / 1048576 }' /proc/meminfo)"
echo "# work dir $W ($FSTYPE on $(df -P "$W" | awk 'NR == 2 { print $1 }')); ${SIZE_MIB} MiB files; libuv pool $POOL threads${UV_THREADPOOL_SIZE:+ (UV_THREADPOOL_SIZE)}"
echo "# medians of $SEQ_REPS (sequential) / $REPS (others) runs, ours and baseline interleaved; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# ratio = ours / baseline; 'better' says which direction wins for that unit"
header

# ---- 1. sequential write and read of one file vs dd, bs=1M, page cache ----
if want seq || want rand; then
    $TMO dd if=/dev/zero of="$DATA" bs=1M count="$SIZE_MIB" conv=fsync status=none || die "cannot write $DATA"
    cat "$DATA" >/dev/null # in the page cache and clean: nothing is written back meanwhile
fi

if want seq; then
    note "seq write: ${SIZE_MIB} x 1 MiB, both into the page cache (no fsync on either side: dd without"
    note "  conv=fsync, our commit = close+rename); target removed and 'sync' before every run so no"
    note "  writeback of a previous run overlaps; dd's own clock vs s3d.now() around writer()..commit()"
    note "  second baseline: bench_seq, a C write() loop from one zeroed buffer (dd also reads"
    note "  /dev/zero for every block, which our writer does not)"
    note "  one untimed warm-up write first: the first write after laying out the data file runs"
    note "  at a fraction of the speed whoever does it; the order of the three rotates every run"
    ours=() base=() raw=()
    fresh() { rm -f "$W/w.bin" && sync; }
    w_ours() {
        out=$($TMO "$S3DLUA" run bench/seq.lua write "$W" w.bin 1MiB "$SIZE_MIB") || die "seq write failed: $out"
        [ "$(kv "$out" bytes)" = "$BYTES" ] || die "seq write wrote $(kv "$out" bytes) bytes"
        ours+=("$(kv "$out" mbps)")
    }
    w_dd() {
        secs=$($TMO dd if=/dev/zero of="$W/w.bin" bs=1M count="$SIZE_MIB" 2>&1 | dd_secs)
        base+=("$(mbps "$BYTES" "$secs")")
    }
    w_c() {
        out=$($TMO "$O_BENCH/bench_seq" write "$W/w.bin" 1048576 "$SIZE_MIB") || die "bench_seq write failed"
        raw+=("$(kv "$out" mbps)")
    }
    fresh
    $TMO "$O_BENCH/bench_seq" write "$W/w.bin" 1048576 "$SIZE_MIB" >/dev/null || die "warm-up write failed"
    sides=(w_ours w_dd w_c)
    for i in $(seq "$SEQ_REPS"); do
        for j in 0 1 2; do
            fresh
            ${sides[(i + j) % 3]}
        done
    done
    fresh
    note "  runs MB/s: ours ${ours[*]}; dd ${base[*]}; C loop ${raw[*]}"
    note "  best: ours $(best "${ours[@]}"), dd $(best "${base[@]}"), C loop $(best "${raw[@]}") (the rows use medians)"
    row "seq write 1 MiB blocks (writer+commit)" "MB/s" "$(median "${ours[@]}")" "dd if=/dev/zero bs=1M" "$(median "${base[@]}")" higher 0.9
    row "seq write 1 MiB blocks (writer+commit)" "MB/s" "$(median "${ours[@]}")" "C write() loop (bench_seq)" "$(median "${raw[@]}")" higher

    note "seq read: the data file, in the page cache, 1 MiB reads to EOF; the order rotates every run"
    ours=() base=() raw=()
    r_ours() {
        out=$($TMO "$S3DLUA" run bench/seq.lua read "$W" data.bin 1MiB) || die "seq read failed: $out"
        [ "$(kv "$out" bytes)" = "$BYTES" ] || die "seq read read $(kv "$out" bytes) bytes"
        ours+=("$(kv "$out" mbps)")
    }
    r_dd() {
        secs=$($TMO dd if="$DATA" of=/dev/null bs=1M 2>&1 | dd_secs)
        base+=("$(mbps "$BYTES" "$secs")")
    }
    r_c() {
        out=$($TMO "$O_BENCH/bench_seq" read "$DATA" 1048576) || die "bench_seq read failed"
        raw+=("$(kv "$out" mbps)")
    }
    cat "$DATA" >/dev/null # still cached after the writes, and warm
    sides=(r_ours r_dd r_c)
    for i in $(seq "$SEQ_REPS"); do
        for j in 0 1 2; do ${sides[(i + j) % 3]}; done
    done
    note "  runs MB/s: ours ${ours[*]}; dd ${base[*]}; C loop ${raw[*]}"
    note "  best: ours $(best "${ours[@]}"), dd $(best "${base[@]}"), C loop $(best "${raw[@]}") (the rows use medians)"
    row "seq read 1 MiB blocks (reader:read)" "MB/s" "$(median "${ours[@]}")" "dd of=/dev/null bs=1M" "$(median "${base[@]}")" higher 0.9
    row "seq read 1 MiB blocks (reader:read)" "MB/s" "$(median "${ours[@]}")" "C read() loop (bench_seq)" "$(median "${raw[@]}")" higher

    # `get -o PATH` used to write a temp file beside PATH and rename it over PATH: with
    # PATH=/dev/null, as root, that replaces the machine's /dev/null. Only time it when the
    # binary passes the check on a private device node (bench/cli-devnull-repro.sh exits 1).
    devnull_ok=0
    S3DLUA=$S3DLUA BENCH_DIR=$W $TMO bash bench/cli-devnull-repro.sh >/dev/null 2>&1
    [ $? = 1 ] && devnull_ok=1
    note "CLI: 's3dlua get URI > /dev/null' (stdout) and 'get URI -o /dev/null' vs dd, all timed as"
    note "  whole processes (process start included)"
    [ "$devnull_ok" = 1 ] || note "  NOT timing '-o /dev/null': this binary replaces a device given to -o (bench/cli-devnull-repro.sh)"
    ours=() outo=() base=()
    wall() { awk -v b="$BYTES" -v a="$1" -v c="$2" 'BEGIN { printf "%.1f", b / (c - a) / 1e6 }'; }
    for i in $(seq "$SEQ_REPS"); do
        t0=$EPOCHREALTIME
        $TMO "$S3DLUA" get "file://$DATA" >/dev/null || die "s3dlua get failed"
        t1=$EPOCHREALTIME
        $TMO dd if="$DATA" of=/dev/null bs=1M status=none
        t2=$EPOCHREALTIME
        ours+=("$(wall "$t0" "$t1")")
        base+=("$(wall "$t1" "$t2")")
        if [ "$devnull_ok" = 1 ]; then
            t0=$EPOCHREALTIME
            $TMO "$S3DLUA" get -q "file://$DATA" -o /dev/null || die "s3dlua get -o /dev/null failed"
            t1=$EPOCHREALTIME
            outo+=("$(wall "$t0" "$t1")")
        fi
    done
    [ -c /dev/null ] || die "/dev/null is no longer a character device!"
    note "  runs MB/s: ours > /dev/null ${ours[*]}; ours -o /dev/null ${outo[*]:-skipped}; dd ${base[*]}"
    row "CLI get file:// > /dev/null (wall)" "MB/s" "$(median "${ours[@]}")" "dd of=/dev/null bs=1M (wall)" "$(median "${base[@]}")" higher
    [ "$devnull_ok" = 1 ] &&
        row "CLI get file:// -o /dev/null (wall)" "MB/s" "$(median "${outo[@]}")" "dd of=/dev/null bs=1M (wall)" "$(median "${base[@]}")" higher
fi

# ---- 2. 64 KiB random reads, 64 in flight, page-cached file ----
if want rand; then
    note "random 64 KiB reads over the ${SIZE_MIB} MiB page-cached file, ${RR_SECS}s per run:"
    note "  ours = 64 tasks, one reader each, read_at(random aligned offset) [file:// runs pread on"
    note "  libuv's pool of $POOL threads]; fio io_uring iodepth=64 = one thread, 64 in flight (the"
    note "  same shape as our one loop thread with 64 requests out); fio psync numjobs=$POOL = as many"
    note "  threads doing pread as our pool has; pread loop = one thread, one read at a time."
    note "  fio: direct=0 invalidate=0 (keeps the page cache) norandommap; latency = submit..complete"
    [ "$POOL" != 4 ] && note "  'ours, pool 4' = the same run with UV_THREADPOOL_SIZE=4 (libuv's own default)"
    note "  qd1 4 KiB: one task, one read_at at a time, vs the pread loop: the cost of one trip"
    note "  through the runtime (submit, pool thread, completion, resume) when the read itself is ~1 us"
    fio_rr() { # ioengine-args...
        $TMO fio --name=rr --filename="$DATA" --rw=randread --bs=64k --direct=0 --invalidate=0 \
            --norandommap --randrepeat=1 --time_based --runtime="$RR_SECS" --lat_percentiles=1 --thread \
            --output-format=json "$@" 2>/dev/null | "$S3DLUA" run bench/fio_json.lua
    }
    declare -A R
    for i in $(seq "$REPS"); do
        out=$($TMO "$S3DLUA" run bench/randread.lua "$W" data.bin 64KiB 64 "$RR_SECS" $((41 + i))) || die "randread failed: $out"
        [ "$(kv "$out" short)" = 0 ] || die "randread: short reads: $out"
        for k in iops mbps p50_us p99_us; do R[ours_$k]+=" $(kv "$out" $k)"; done
        if [ "$HAVE_FIO" = 1 ]; then
            out=$(fio_rr --ioengine=io_uring --iodepth=64) || out=""
            for k in iops mbps p50_us p99_us; do R[uring_$k]+=" $(kv "$out" $k)"; done
            out=$(fio_rr --ioengine=psync --numjobs="$POOL" --group_reporting) || out=""
            for k in iops mbps p50_us p99_us; do R[psync_$k]+=" $(kv "$out" $k)"; done
        fi
        out=$($TMO "$O_BENCH/bench_pread" "$DATA" 65536 "$RR_SECS" $((41 + i))) || die "bench_pread failed"
        for k in iops mbps p50_us p99_us; do R[pread_$k]+=" $(kv "$out" $k)"; done
        if [ "$POOL" != 4 ]; then
            out=$(UV_THREADPOOL_SIZE=4 $TMO "$S3DLUA" run bench/randread.lua "$W" data.bin 64KiB 64 "$RR_SECS" $((41 + i))) || die "randread (pool 4) failed: $out"
            for k in iops p50_us p99_us; do R[pool4_$k]+=" $(kv "$out" $k)"; done
        fi
        out=$($TMO "$S3DLUA" run bench/randread.lua "$W" data.bin 4KiB 1 1 $((41 + i))) || die "randread qd1 failed: $out"
        for k in iops p50_us p99_us; do R[qd1_$k]+=" $(kv "$out" $k)"; done
        out=$($TMO "$O_BENCH/bench_pread" "$DATA" 4096 1 $((41 + i))) || die "bench_pread 4K failed"
        for k in iops p50_us p99_us; do R[pqd1_$k]+=" $(kv "$out" $k)"; done
    done
    note "  runs IOPS: ours${R[ours_iops]}; io_uring${R[uring_iops]:- n/a}; psync x$POOL${R[psync_iops]:- n/a}; pread loop${R[pread_iops]}${R[pool4_iops]:+; ours pool 4${R[pool4_iops]}}"
    note "  runs qd1 4K IOPS: ours${R[qd1_iops]}; pread loop${R[pqd1_iops]}"
    m() { # median of R[key], n/a when empty
        local -a v
        read -ra v <<<"${R[$1]:-}"
        if [ "${#v[@]}" -gt 0 ]; then median "${v[@]}"; else echo n/a; fi
    }
    row "randread 64K x64 IOPS" "IOPS" "$(m ours_iops)" "fio io_uring iodepth=64" "$(m uring_iops)" higher 0.9
    row "randread 64K x64 MB/s" "MB/s" "$(m ours_mbps)" "fio io_uring iodepth=64" "$(m uring_mbps)" higher
    row "randread 64K x64 p50 latency" "us" "$(m ours_p50_us)" "fio io_uring iodepth=64" "$(m uring_p50_us)" lower
    row "randread 64K x64 p99 latency" "us" "$(m ours_p99_us)" "fio io_uring iodepth=64" "$(m uring_p99_us)" lower
    row "randread 64K x64 IOPS" "IOPS" "$(m ours_iops)" "fio psync numjobs=$POOL (threads)" "$(m psync_iops)" higher
    row "randread 64K x64 IOPS" "IOPS" "$(m ours_iops)" "pread loop, 1 thread, qd1" "$(m pread_iops)" higher
    row "randread 64K x64 MB/s" "MB/s" "$(m ours_mbps)" "pread loop, 1 thread, qd1" "$(m pread_mbps)" higher
    row "randread 64K p50 (ours qd64 / loop qd1)" "us" "$(m ours_p50_us)" "pread loop, 1 thread, qd1" "$(m pread_p50_us)" lower
    row "randread 64K p99 (ours qd64 / loop qd1)" "us" "$(m ours_p99_us)" "pread loop, 1 thread, qd1" "$(m pread_p99_us)" lower
    if [ "$POOL" != 4 ]; then
        row "randread 64K x64 IOPS, pool $POOL" "IOPS" "$(m ours_iops)" "ours, pool 4 (UV_THREADPOOL_SIZE=4)" "$(m pool4_iops)" higher
        row "randread 64K x64 p99, pool $POOL" "us" "$(m ours_p99_us)" "ours, pool 4 (UV_THREADPOOL_SIZE=4)" "$(m pool4_p99_us)" lower
    fi
    row "read_at 4K qd1 (1 task) IOPS" "IOPS" "$(m qd1_iops)" "pread loop 4K, 1 thread, qd1" "$(m pqd1_iops)" higher
    row "read_at 4K qd1 (1 task) p50 latency" "us" "$(m qd1_p50_us)" "pread loop 4K, 1 thread, qd1" "$(m pqd1_p50_us)" lower
fi
rm -f "$DATA"

# ---- 3. histogram record cost ----
if want hist; then
    note "histograms: bench_hist (C, 100M records per loop), then h:record from a script"
    hout=$($TMO "$O_BENCH/bench_hist") || die "bench_hist failed"
    sed 's/^/#   /' <<<"$hout"
    c_array=$(awk '/^baseline counts/ { print $(NF - 3) }' <<<"$hout")
    c_hdr=$(awk '/^hdr_record \(default preset\)/ { for (i = 1; i < NF; i++) if ($(i + 1) == "ns/op") { print $i; exit } }' <<<"$hout")
    row "hdr_record (C, default preset)" "ns/op" "$c_hdr" "counts[v>>10]++ (C array)" "$c_array" lower
    out=$($TMO "$S3DLUA" run bench/hist.lua 10000000) || die "hist.lua failed"
    note "  s3dlua run bench/hist.lua (best of 3 x 10M, JIT on): $out"
    rec=$(kv "$out" record_ns) loop=$(kv "$out" loop_ns) cm=$(kv "$out" cmethod_ns)
    row "Lua h:record(ns), incl. loop+LCG" "ns/op" "$rec" "same loop calling h:count()" "$cm" lower
    row "Lua h:record(ns), loop subtracted" "ns/op" "$(awk -v a="$rec" -v b="$loop" 'BEGIN { printf "%.2f", a - b }')" \
        "hdr_record in C (bench_hist)" "$c_hdr" lower
fi

# ---- 4. per-task memory and spawn rate ----
if want tasks; then
    note "tasks: N tasks in s3d.sleep(1) (1 s, not 0.5: spawning, starting and collecting 100k"
    note "  takes ~0.3-0.4 s here and every task must still be asleep when measured) vs N bare"
    note "  coroutines suspended in coroutine.yield(); Lua heap = collectgarbage('count') delta"
    note "  after a full collect, RSS = /proc/self/statm delta"
    for n in 10000 100000; do
        out=$($TMO "$S3DLUA" run bench/tasks.lua mem "$n" 1) || die "tasks mem failed: $out"
        [ "$(kv "$out" suspended)" = "$n" ] || note "  WARNING: only $(kv "$out" suspended) of $n tasks were asleep when measured"
        co=$($TMO "$S3DLUA" run bench/tasks.lua mem-co "$n") || die "tasks mem-co failed: $co"
        note "  $n: ours $out; coroutines $co"
        row "task memory, $n asleep: Lua heap" "B/task" "$(kv "$out" lua_bytes_per_task)" "bare coroutine (yielded)" "$(kv "$co" lua_bytes_per_task)" lower
        row "task memory, $n asleep: RSS" "B/task" "$(kv "$out" rss_bytes_per_task)" "bare coroutine (yielded)" "$(kv "$co" rss_bytes_per_task)" lower
    done
    out=$($TMO "$S3DLUA" run bench/tasks.lua rate 200000 "$REPS") || die "tasks rate failed"
    co=$($TMO "$S3DLUA" run bench/tasks.lua rate-co 200000 "$REPS") || die "tasks rate-co failed"
    note "  rate (best of $REPS x 200k): ours $out; coroutines $co"
    row "spawn+finish 200k trivial tasks" "tasks/s" "$(kv "$out" tasks_per_s)" "coroutine.create+resume" "$(kv "$co" tasks_per_s)" higher
fi

# ---- 5. runtime overhead on null:// ----
if want null; then
    note "null:// (no I/O; completes on the next loop turn): 64 tasks x store:get(key, {discard=true})"
    note "  for ${NULL_SECS}s, 4 KiB objects; baseline fio ioengine=null bs=4k iodepth=64 gtod_reduce=1"
    note "  (fio's framework alone, no per-I/O clock either), --thread numjobs=N for N threads"
    fio_null() {
        $TMO fio --name=null --ioengine=null --size=1g --rw=read --bs=4k --iodepth=64 \
            --gtod_reduce=1 --time_based --runtime="$NULL_SECS" --thread --group_reporting \
            --output-format=json "$@" 2>/dev/null | "$S3DLUA" run bench/fio_json.lua
    }
    t1=() t2=() f1=() f2=() sc=()
    for i in $(seq "$REPS"); do
        o1=$($TMO "$S3DLUA" run bench/null.lua 64 "$NULL_SECS" 4KiB) || die "null.lua failed: $o1"
        o2=$($TMO "$S3DLUA" --threads 2 run bench/null.lua 64 "$NULL_SECS" 4KiB) || die "null.lua --threads 2 failed: $o2"
        [ "$i" = 1 ] && sed 's/^/#   first run, 2 threads: /' <<<"$o2"
        t1+=("$(kv "$(grep '^threads=' <<<"$o1")" ops_per_s)")
        t2+=("$(kv "$(grep '^threads=' <<<"$o2")" ops_per_s)")
        sc+=("$(awk -v a="${t2[-1]}" -v b="${t1[-1]}" 'BEGIN { printf "%.2f", a / b }')")
        if [ "$HAVE_FIO" = 1 ]; then
            f1+=("$(kv "$(fio_null --numjobs=1)" iops)")
            f2+=("$(kv "$(fio_null --numjobs=2)" iops)")
        fi
    done
    note "  runs ops/s: ours 1 thread ${t1[*]}; 2 threads ${t2[*]} (scaling ${sc[*]}); fio 1 job ${f1[*]:-n/a}; 2 jobs ${f2[*]:-n/a}"
    mf() { if [ "$#" -gt 0 ]; then median "$@"; else echo n/a; fi; }
    row "null:// get discard, 64 tasks, 1 thread" "ops/s" "$(median "${t1[@]}")" "fio null iodepth=64, 1 job" "$(mf "${f1[@]}")" higher
    row "null:// get discard, 64 tasks, --threads 2" "ops/s" "$(median "${t2[@]}")" "fio null iodepth=64, 2 jobs" "$(mf "${f2[@]}")" higher
    row "null:// scaling 2 threads / 1 thread" "x" "$(median "${sc[@]}")" "ideal on $(nproc) CPUs" "$(($(nproc) < 2 ? 1 : 2))" higher
fi

# ---- 6. data generation ----
if want datagen; then
    DG_GIB=${BENCH_DATAGEN_GIB:-4}
    note "datagen: ${DG_GIB} GiB of one object generated into one 1 MiB buffer (gen:fill_at) and written"
    note "  to /dev/null (bench/datagen.lua); baselines: memset of a 64 MiB buffer (memory write"
    note "  bandwidth, past the caches) and of a 1 MiB buffer (in cache, as our block), bench_memset;"
    note "  and for the CLI, s3dlua datagen --size ${DG_GIB}GiB > /dev/null vs dd if=/dev/zero bs=64M (wall)"
    declare -A DG=()
    dg() { # KEY ARGS...: one bench/datagen.lua run into DG[KEY]
        local k=$1 out
        shift
        out=$($TMO "$S3DLUA" "$@" 2>&1 >/dev/null) || die "datagen.lua failed: $out"
        DG[$k]+=" $(kv "$(grep '^threads=' <<<"$out")" gbps)"
    }
    for i in $(seq "$REPS"); do
        DG[mem64]+=" $(kv "$($TMO "$O_BENCH/bench_memset" $((64 << 20)) $((DG_GIB << 30)))" gbps)"
        DG[mem1]+=" $(kv "$($TMO "$O_BENCH/bench_memset" $((1 << 20)) $((DG_GIB << 30)))" gbps)"
        for c in 1 2 4 8; do dg "c$c" run bench/datagen.lua "${DG_GIB}GiB" "$c"; done
        dg d4 run bench/datagen.lua "${DG_GIB}GiB" 1 4
        dg t2 --threads 2 run bench/datagen.lua "${DG_GIB}GiB"
        t0=$(date +%s%N)
        $TMO "$S3DLUA" datagen --size "${DG_GIB}GiB" >/dev/null || die "s3dlua datagen failed"
        DG[cli]+=" $(awk -v n="$(($(date +%s%N) - t0))" -v b=$((DG_GIB << 30)) 'BEGIN { printf "%.2f", b / n }')"
        t0=$(date +%s%N)
        $TMO dd if=/dev/zero of=/dev/null bs=64M count=$((DG_GIB * 16)) status=none || die "dd failed"
        DG[dd]+=" $(awk -v n="$(($(date +%s%N) - t0))" -v b=$((DG_GIB << 30)) 'BEGIN { printf "%.2f", b / n }')"
    done
    for k in mem64 mem1 c1 c2 c4 c8 d4 t2 cli dd; do note "  runs GB/s $k:${DG[$k]}"; done
    dm() { local -a v; read -ra v <<<"${DG[$1]}"; median "${v[@]}"; }
    row "datagen compress 1, 1 thread -> /dev/null" "GB/s" "$(dm c1)" "memset 64 MiB buffer (memory bw)" "$(dm mem64)" higher 0.5
    row "datagen compress 1, 1 thread -> /dev/null" "GB/s" "$(dm c1)" "memset 1 MiB buffer (in cache)" "$(dm mem1)" higher
    for c in 2 4 8; do
        row "datagen compress $c, 1 thread" "GB/s" "$(dm c$c)" "memset 64 MiB buffer (memory bw)" "$(dm mem64)" higher
    done
    row "datagen dedup 4, 1 thread" "GB/s" "$(dm d4)" "memset 64 MiB buffer (memory bw)" "$(dm mem64)" higher
    row "datagen compress 1, --threads 2" "GB/s" "$(dm t2)" "datagen compress 1, 1 thread" "$(dm c1)" higher
    row "CLI datagen > /dev/null (wall)" "GB/s" "$(dm cli)" "dd if=/dev/zero bs=64M (wall)" "$(dm dd)" higher
fi

# ---- 7. TFRecord indexing ----
if want tfrecord; then
    TFR_MIB=${BENCH_TFR_MIB:-2048}
    TFR=$W/bench.tfrecord
    # records of ~128 KiB (log-normal, sd 32 KiB): TFR_MIB * 8 of them
    $TMO "$S3DLUA" tfrecord-gen "$TFR" --records $((TFR_MIB * 8)) --size lognormal:128KiB:32KiB \
        --no-index || die "tfrecord-gen failed"
    TFR_BYTES=$(stat -c %s "$TFR")
    cat "$TFR" >/dev/null # page cache
    note "tfrecord: tfrecord-index of one $((TFR_BYTES >> 20)) MiB file ($((TFR_MIB * 8)) records of ~128 KiB) in the"
    note "  page cache; without --verify a local file is read header to header (data hopped over),"
    note "  with --verify every byte is read (4 MiB ranged reads, 4 in flight) and CRC-checked;"
    note "  page cache (wall time of the whole process, index written to $W) vs cat FILE > /dev/null;"
    note "  CRC-32C: ISA-L crc32_iscsi (ours) vs a plain SSE4.2 crc32 loop on a 1 MiB buffer (bench_crc32c)"
    TFS=$W/small.tfrecord # the same size in records of 0..2000 bytes: the parser's own cost shows
    $TMO "$S3DLUA" tfrecord-gen "$TFS" --records $((TFR_MIB * 1024)) --size uniform:0:2000 \
        --no-index || die "tfrecord-gen failed"
    cat "$TFS" >/dev/null
    note "  and one of the same size in $((TFR_MIB * 1024)) records of 0..2000 bytes (uniform)"
    declare -A TF=()
    wall_gbps() { # CMD...: runs it, prints GB/s of TFR_BYTES
        local t0
        t0=$(date +%s%N)
        "$@" || return 1
        awk -v n="$(($(date +%s%N) - t0))" -v b="$TFR_BYTES" 'BEGIN { printf "%.2f", b / n }'
    }
    for i in $(seq "$REPS"); do
        TF[cat]+=" $(wall_gbps sh -c "cat '$TFR' >/dev/null")" || die "cat failed"
        TF[idx]+=" $(wall_gbps $TMO "$S3DLUA" tfrecord-index "$TFR" "$W/bench.idx")" || die "tfrecord-index failed"
        TF[ver]+=" $(wall_gbps $TMO "$S3DLUA" tfrecord-index --verify "$TFR" "$W/bench.idx")" || die "tfrecord-index --verify failed"
        TF[scat]+=" $(wall_gbps sh -c "cat '$TFS' >/dev/null")" || die "cat failed"
        TF[sidx]+=" $(wall_gbps $TMO "$S3DLUA" tfrecord-index "$TFS" "$W/small.idx")" || die "tfrecord-index failed"
        out=$($TMO "$O_BENCH/bench_crc32c" $((1 << 20)) $((4 << 30))) || die "bench_crc32c failed: $out"
        TF[isal]+=" $(kv "$out" isal_gbps)"
        TF[sse]+=" $(kv "$out" sse42_gbps)"
    done
    [ "$(wc -l <"$W/bench.idx")" = $((TFR_MIB * 8)) ] || die "the index has $(wc -l <"$W/bench.idx") lines"
    for k in cat idx ver scat sidx isal sse; do note "  runs GB/s $k:${TF[$k]}"; done
    tm() { local -a v; read -ra v <<<"${TF[$1]}"; median "${v[@]}"; }
    row "tfrecord-index $((TFR_BYTES >> 20)) MiB, page cache" "GB/s" "$(tm idx)" "cat FILE > /dev/null" "$(tm cat)" higher 0.8
    row "tfrecord-index --verify (both CRCs)" "GB/s" "$(tm ver)" "cat FILE > /dev/null" "$(tm cat)" higher
    row "tfrecord-index, records of 0..2000 B" "GB/s" "$(tm sidx)" "cat FILE > /dev/null" "$(tm scat)" higher
    row "CRC-32C, 1 MiB in cache" "GB/s" "$(tm isal)" "SSE4.2 crc32 loop" "$(tm sse)" higher
    rm -f "$TFR" "$TFS" "$W/bench.idx" "$W/small.idx"
fi

# ---- 8. op-log reader ----
if want oplog; then
    OL_LINES=${BENCH_OPLOG_LINES:-10000000}
    OL=$W/bench-oplog.tsv.zst
    note "op-log reader: a ${OL_LINES}-entry .tsv.zst written by the real writer (bench/oplog_gen.lua on"
    note "  null://, 16 tasks, completion order), read by bench/oplog_read.lua: s3d.oplog.reader with"
    note "  light records reading op and bytes of each entry, the same with each key made a Lua string"
    note "  (as a replay does), and with a table per entry; baseline: zstd -dc FILE > /dev/null"
    note "  (decompression alone, lines/s)."
    note "  Peak RSS (GNU time %M) minus that of s3dlua running an empty script."
    command -v zstd >/dev/null || die "zstd not found"
    $TMO "$S3DLUA" --op-log "$OL" run bench/oplog_gen.lua "$OL_LINES" || die "oplog_gen.lua failed"
    [ "$(zstd -dc "$OL" | wc -l)" = $((OL_LINES + 1)) ] || die "the generated log does not have $OL_LINES entries"
    echo 'return 0' >"$W/empty.lua"
    rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
    declare -A OR=()
    for i in $(seq "$REPS"); do
        t0=$(date +%s%N)
        zstd -dc "$OL" >/dev/null || die "zstd -dc failed"
        OR[zstd]+=" $(awk -v n="$OL_LINES" -v t="$(($(date +%s%N) - t0))" 'BEGIN { printf "%.3f", n / t * 1e3 }')"
        out=$(/usr/bin/time -f "rss_kb=%M" $TMO "$S3DLUA" run bench/oplog_read.lua "$OL" light 2>&1) || die "oplog_read.lua failed: $out"
        [ "$(kv "$out" entries)" = "$OL_LINES" ] || die "the reader saw $(kv "$out" entries) entries"
        OR[light]+=" $(awk -v v="$(kv "$out" per_s)" 'BEGIN { printf "%.3f", v / 1e6 }')"
        OR[rss]+=" $(kv "$out" rss_kb)"
        out=$($TMO "$S3DLUA" run bench/oplog_read.lua "$OL" keys) || die "oplog_read.lua keys failed: $out"
        OR[keys]+=" $(awk -v v="$(kv "$out" per_s)" 'BEGIN { printf "%.3f", v / 1e6 }')"
        OR[base]+=" $(rss "$S3DLUA" run "$W/empty.lua")"
    done
    out=$($TMO "$S3DLUA" run bench/oplog_read.lua "$OL" table) || die "oplog_read.lua table failed: $out"
    OR[table]=$(awk -v v="$(kv "$out" per_s)" 'BEGIN { printf "%.3f", v / 1e6 }')
    for k in zstd light keys rss base; do note "  runs $k:${OR[$k]}"; done
    om() { local -a v; read -ra v <<<"${OR[$1]}"; median "${v[@]}"; }
    row "op-log reader, light records" "M entr/s" "$(om light)" "goal (issue 7)" 3 higher 1.0
    row "op-log reader, light records" "M entr/s" "$(om light)" "zstd -dc > /dev/null, lines" "$(om zstd)" higher
    row "op-log reader, light, + each key a string" "M entr/s" "$(om keys)" "light records" "$(om light)" higher
    row "op-log reader, a table per entry" "M entr/s" "${OR[table]}" "light records" "$(om light)" higher
    row "op-log reader peak RSS above an empty run" "MB" "$(awk -v a="$(om rss)" -v b="$(om base)" 'BEGIN { printf "%.1f", (a - b) / 1024 }')" "goal (issue 7)" 8 lower 1.0
    rm -f "$OL"
fi

# ---- 9. replay ----
if want replay; then
    RP_OPS=${BENCH_REPLAY_OPS:-100000}
    note "replay: ${RP_OPS}-entry logs (bench/replay_log.lua: 4 KiB objects over 1000 keys), entries"
    note "  50 us x SPEED apart, so that every speed replays at 20 000 ops/s for $((RP_OPS / 20000)) s:"
    note "  s3dlua replay LOG --target URI --speed SPEED --json (file:// under BENCH_DIR, --prepare"
    note "  first; null:// is the engine alone). GETs only for the goal rows; then 9 GETs to 1 PUT at"
    note "  speed 1, where each PUT writes a temporary file and renames it over the old one."
    note "  Lateness: how long after its scheduled time each op started. Schedule error: when the"
    note "  last op started vs span / speed. Goals from issue 7."
    declare -A RP=()
    # replay_one NAME LOG SPEED TARGET: the figures of one replay into RP[NAME-*]
    replay_one() {
        local args=() out fig
        case "$4" in file://*) rm -rf "$W/replay" && args=(--prepare) ;; esac
        out=$($TMO "$S3DLUA" replay "$2" --target "$4" --speed "$3" --json "${args[@]}") || die "replay $1 failed: $out"
        # the JSON report, read by s3dlua itself (lua-cjson): no jq needed
        fig=$("$S3DLUA" -e 'local r = require("cjson").decode(io.read("*a"))
            local l, put = r.lateness, 0
            for _, o in ipairs(r.ops) do if o.op == "PUT" then put = o.p99_us end end
            print(("p99=%.1f err=%.4f done=%d p50=%.1f p999=%.1f max=%.1f put_p99=%.1f"):format(l.p99_us,
              math.abs(r.schedule_s - r.expected_s) / r.expected_s * 100, r.done, l.p50_us,
              l.p999_us, l.max_us, put))' <<<"$out") || die "cannot read the replay report: $out"
        [ "$(kv "$fig" done)" = "$RP_OPS" ] || die "replay $1 did $(kv "$fig" done) of $RP_OPS ops"
        RP[$1-p99]=$(kv "$fig" p99)
        RP[$1-err]=$(kv "$fig" err)
        RP[$1-put]=$(kv "$fig" put_p99)
        note "  $1: lateness us $fig"
    }
    for sp in 0.1 1 10; do
        gap=$(awk -v s="$sp" 'BEGIN { printf "%d", 50000 * s }')
        $TMO "$S3DLUA" run bench/replay_log.lua "$W/replay-$sp.tsv" "$RP_OPS" "$gap" 0 || die "replay_log.lua failed"
        replay_one "null-$sp" "$W/replay-$sp.tsv" "$sp" null://bench/
        replay_one "file-$sp" "$W/replay-$sp.tsv" "$sp" "file://$W/replay/"
        rm -f "$W/replay-$sp.tsv"
    done
    $TMO "$S3DLUA" run bench/replay_log.lua "$W/replay-mix.tsv" "$RP_OPS" 50000 10 || die "replay_log.lua failed"
    replay_one mix "$W/replay-mix.tsv" 1 "file://$W/replay/"
    rm -f "$W/replay-mix.tsv"
    for sp in 0.1 1 10; do
        row "replay file:// GETs 20k/s speed $sp: late p99" "us" "${RP[file-$sp-p99]}" "goal (issue 7)" 100 lower 1.0
        row "replay file:// speed $sp: schedule error" "%" "${RP[file-$sp-err]}" "goal (issue 7)" 1 lower 1.0
        row "replay null:// 20k/s speed $sp: late p99" "us" "${RP[null-$sp-p99]}" "goal (issue 7)" 100 lower 1.0
    done
    row "replay file:// 9 GET:1 PUT 20k/s: late p99" "us" "${RP[mix-p99]}" "goal (issue 7)" 100 lower
    row "  the same run: PUT latency p99" "us" "${RP[mix-put]}" "goal for lateness" 100 lower
    rm -rf "$W/replay"
fi

echo
echo "summary ($(date -u +%H:%M:%SZ), load $(cut -d' ' -f1-3 /proc/loadavg)):"
header
printf '%s\n' "${ROWS[@]}"
