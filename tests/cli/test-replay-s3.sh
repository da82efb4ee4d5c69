#!/usr/bin/env bash
# Op-logs and replay over s3:// (s3rver started here on 127.0.0.1): a log read
# straight from a bucket (oplog stats, replay), a file:// workload replayed
# onto a bucket with --prepare, the replay's own op-log, and errors that name
# the log's URI.
. "$(dirname "$0")/lib.sh"
SERVERS=$(cd "$(dirname "$0")/../servers" && pwd)
export S3D_SERVERS_DIR="$T/servers"
cd "$T" || exit 1
"$SERVERS/install.sh" >/dev/null || { echo "Bail out! cannot install the test servers"; exit 1; }
if ! env_lines=$("$SERVERS/s3rver.sh" start </dev/null 2>"$T/start.err"); then
    echo "Bail out! s3rver does not start: $(tail -3 "$T/start.err")"
    exit 1
fi
eval "$env_lines"
trap '"$SERVERS/s3rver.sh" stop >/dev/null 2>&1; rm -rf "$T"' EXIT
B=s3dlua-replay-$$
BOUND=30 LIMIT=60
run mb "s3://$B"
is "make the bucket" "0 " "$rc $err"

# a file:// workload, logged: 12 PUTs of known sizes, 36 GETs, 2 stats, 1 delete
mkdir -p src
cat >work.lua <<'LUA'
local s3d = require "s3dlua"
local st = assert(s3d.open(arg[1]))
for i = 1, 12 do assert(st:put("d/obj" .. i, s3d.datagen { size = 1000 * i + 7, seed = i })) end
for r = 1, 3 do
  for i = 1, 12 do assert(st:get("d/obj" .. i)) end
  s3d.sleep(0.01)
end
assert(st:stat("d/obj1"))
assert(st:stat("d/obj2"))
assert(st:delete("d/obj12"))
LUA
run --op-log work.tsv.zst run work.lua "file://$T/src/"
is "the workload runs with --op-log" "0 " "$rc $err"
run put work.tsv.zst "s3://$B/logs/work.tsv.zst"
is "put the log into the bucket" "0 " "$rc $err"

# read from the bucket: the same stats as from the local file
local_stats=$("$S3DLUA" oplog stats work.tsv.zst | tail -n +2)
s3_stats=$("$S3DLUA" oplog stats "s3://$B/logs/work.tsv.zst")
is "oplog stats of s3:// equals that of the local file" "$local_stats" "$(tail -n +2 <<<"$s3_stats")"
has "51 entries" "s3://$B/logs/work.tsv.zst: 51 entries" "$s3_stats"

# replay from the bucket onto the bucket: --map the file:// root to a prefix.
# One op at a time: on s3rver a PUT takes longer than the workload left
# before its first GET, and a replay keeps the log's times, not its order.
out=$("$S3DLUA" --op-log replay.tsv replay "s3://$B/logs/work.tsv.zst" \
    --map "file://$T/src/=s3://$B/replayed/" --concurrency 1 --json 2>&1)
rc=$?
is "replay s3:// -> s3:// exits 0" 0 "$rc"
has "51 ops done" '"done":51' "$out"
has "none failed" '"failed":0' "$out"
for i in 1 5 11; do
    size=$("$S3DLUA" stat "s3://$B/replayed/d/obj$i" --json | sed -n 's/.*"size":\([0-9]*\).*/\1/p')
    is "replayed object obj$i has the logged size" $((1000 * i + 7)) "$size"
done
out=$("$S3DLUA" stat "s3://$B/replayed/d/obj12" 2>&1)
has "the logged delete was replayed" "not found" "$out"
# (the log's own fetch, a HEAD and a GET of logs/work.tsv.zst, is logged too)
count=$("$S3DLUA" -e 'local n = 0 for e in s3d.oplog.reader(arg[1]) do
  if e.file:find("/replayed/", 1, true) then n = n + 1 end end print(n)' replay.tsv)
is "the replay's own op-log has one entry per replayed op" 51 "$count"

# --prepare onto an empty prefix: only the reads (GET/HEAD) of the log
out=$("$S3DLUA" replay "s3://$B/logs/work.tsv.zst" --target "s3://$B/prepared/" \
    --filter GET,HEAD --prepare --json 2>&1)
is "replay --prepare --filter GET,HEAD exits 0" 0 "$?"
has "38 reads done" '"done":38' "$out"
has "12 objects prepared" '"objects":12' "$out"
size=$("$S3DLUA" stat "s3://$B/prepared${T}/src/d/obj3" --json | sed -n 's/.*"size":\([0-9]*\).*/\1/p')
is "a prepared object has the size the log read" 3007 "$size"

# errors name the log's URI
out=$("$S3DLUA" replay "s3://$B/logs/missing.tsv" 2>&1)
is "a missing log: exit 1" 1 "$?"
has "a missing log: the URI is named" "s3://$B/logs/missing.tsv" "$out"
has "a missing log: not found" "not found" "$out"
printf 'idx\tthread\top\tclient_id\tn_objects\tbytes\tendpoint\tfile\terror\tstart\tfirst_byte\tend\tduration_ns\n0\t1\tGET\t\t1\tlots\t\ts3://x/k\t\t2026-11-24T10:00:00Z\t\t2026-11-24T10:00:01Z\t1\n' >bad.tsv
run put bad.tsv "s3://$B/logs/bad.tsv"
is "put a bad log" "0 " "$rc $err"
out=$("$S3DLUA" replay "s3://$B/logs/bad.tsv" --target "s3://$B/x/" 2>&1)
is "a bad line in an s3:// log: exit 1" 1 "$?"
has "the error names the URI, the line and the field" "s3://$B/logs/bad.tsv:2: field 'bytes'" "$out"
left=$(find /tmp -maxdepth 1 -name 'lua_*' -newer bad.tsv 2>/dev/null | wc -l) # os.tmpname's
is "no temporary copy of a fetched log is left behind" 0 "$left"
finish
