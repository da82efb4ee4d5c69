#!/usr/bin/env bash
# End-to-end tests of the op-log (--op-log FILE, s3d.oplog): every store
# operation logged exactly once from every thread (.tsv, .jsonl, both with
# .zst), lossless back-pressure against a slow reader, the fields of each
# operation on file://, the Lua API, a killed run's log, and option errors.
# Logs are read back with zstd and a Lua reader (cjson) of the format.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
command -v zstd >/dev/null || { echo "Bail out! zstd not found (tests/install-deps.sh installs it)"; exit 1; }
MiB=1048576
# sizes: tasks x gets per thread (part 1), gets of the back-pressure and
# crash runs; under valgrind much smaller
if [ "${VALGRIND:-}" = 1 ]; then
    TASKS=4 GETS=50 BP_GETS=20000 VG=1
else
    TASKS=32 GETS=500 BP_GETS=80000 VG=0
fi

# --- Lua: the reader of an op-log and its checks -----------------------------
# P.read(path) -> entries, info: path is .tsv or .jsonl, optionally .zst (then
# read through zstd -dc). Each entry is checked: 13 fields (TSV) or every field
# with its type (JSONL), a known op, RFC 3339 times with 9 digits and a Z,
# duration_ns == end - start exactly, start <= first_byte <= end. info: lines
# (entries), bad (entries failing a check), first_bad (why), header (TSV: the
# first line is the header), complete (the text ends with a newline).
cat >oplogcheck.lua <<'LUA'
local cjson = require "cjson"
local P = {}
P.names = { "idx", "thread", "op", "client_id", "n_objects", "bytes", "endpoint", "file",
  "error", "start", "first_byte", "end", "duration_ns" }
P.header = table.concat(P.names, "\t")
local OPS = { GET = true, PUT = true, HEAD = true, LIST = true, DELETE = true,
  DELETE_BATCH = true, CREATE_CONTAINER = true, DELETE_CONTAINER = true }
local NUMS = { idx = true, thread = true, n_objects = true, bytes = true, duration_ns = true }

local function days(y, m, d) -- days since 1970-01-01 of a civil date
  if m <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local doy = math.floor((153 * ((m + 9) % 12) + 2) / 5) + d - 1
  return era * 146097 + yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy - 719468
end
-- "2026-01-02T03:04:05.123456789Z" -> {seconds since the epoch, ns}; nil if malformed
function P.time(s)
  if type(s) ~= "string" then return nil end
  local Y, Mo, D, h, mi, se, ns =
    s:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)T(%d%d):(%d%d):(%d%d)%.(%d%d%d%d%d%d%d%d%d)Z$")
  if not Y then return nil end
  Mo, D, h, mi, se = tonumber(Mo), tonumber(D), tonumber(h), tonumber(mi), tonumber(se)
  if Mo < 1 or Mo > 12 or D < 1 or D > 31 or h > 23 or mi > 59 or se > 60 then return nil end
  return { days(tonumber(Y), Mo, D) * 86400 + h * 3600 + mi * 60 + se, tonumber(ns) }
end
-- a - b in ns, exact for differences below 2^53 ns
function P.diff(a, b) return (a[1] - b[1]) * 1e9 + (a[2] - b[2]) end

local function validate(e)
  if not OPS[e.op] then return nil, "unknown op " .. tostring(e.op) end
  if e.client_id ~= "" then return nil, "client_id not empty: " .. e.client_id end
  local ts, te = P.time(e.start), P.time(e["end"])
  if not ts then return nil, "bad start " .. tostring(e.start) end
  if not te then return nil, "bad end " .. tostring(e["end"]) end
  local d = P.diff(te, ts)
  if d ~= e.duration_ns then
    return nil, ("duration_ns %.0f but end - start = %.0f"):format(e.duration_ns, d)
  end
  if e.first_byte ~= nil then
    local tf = P.time(e.first_byte)
    if not tf then return nil, "bad first_byte " .. tostring(e.first_byte) end
    if P.diff(tf, ts) < 0 or P.diff(te, tf) < 0 then
      return nil, "first_byte " .. e.first_byte .. " outside " .. e.start .. " .. " .. e["end"]
    end
    e.tf = tf
  end
  e.ts, e.te = ts, te
  return e
end

function P.parse_tsv(line)
  local f = {}
  for x in (line .. "\t"):gmatch("(.-)\t") do f[#f + 1] = x end
  if #f ~= 13 then return nil, #f .. " fields" end
  local e = {}
  for i, n in ipairs(P.names) do e[n] = f[i] end
  for n in pairs(NUMS) do
    if not e[n]:match("^%d+$") then return nil, n .. " is not a number: " .. e[n] end
    e[n] = tonumber(e[n])
  end
  if e.first_byte == "" then e.first_byte = nil end
  return validate(e)
end

function P.parse_json(line)
  local ok, o = pcall(cjson.decode, line)
  if not ok or type(o) ~= "table" then return nil, "not JSON: " .. tostring(o) end
  for _, n in ipairs(P.names) do
    local v = o[n]
    if v == nil then return nil, "no field " .. n end
    if NUMS[n] then
      if type(v) ~= "number" or v < 0 or v ~= math.floor(v) then return nil, n .. " not a count" end
    elseif n == "first_byte" then
      if v == cjson.null then o.first_byte = nil
      elseif type(v) ~= "string" then return nil, "first_byte neither null nor a string" end
    elseif type(v) ~= "string" then
      return nil, n .. " is not a string"
    end
  end
  local nf = 0
  for _ in pairs(o) do nf = nf + 1 end
  if nf ~= 13 - (o.first_byte == nil and 1 or 0) then return nil, nf .. " fields" end
  return validate(o)
end

function P.read(path)
  local text
  if path:match("%.zst$") then
    local p = assert(io.popen("zstd -dc -- '" .. path .. "' 2>/dev/null"))
    text = p:read("*a")
    p:close()
  else
    local f = assert(io.open(path, "rb"))
    text = f:read("*a")
    f:close()
  end
  local json = path:match("%.jsonl") ~= nil
  local info = { lines = 0, bad = 0, complete = text == "" or text:sub(-1) == "\n",
    header = json }
  local entries, first = {}, true
  for line in text:gmatch("([^\n]*)\n") do
    if first and not json then
      info.header = line == P.header
    else
      local e, why = (json and P.parse_json or P.parse_tsv)(line)
      if e then
        entries[#entries + 1] = e
      else
        info.bad = info.bad + 1
        info.first_bad = info.first_bad or ("line " .. (#entries + info.bad) .. ": " .. why
          .. ": " .. line:sub(1, 300))
      end
    end
    first = false
  end
  if not info.complete then info.bad = info.bad + 1 info.first_bad = info.first_bad or "a cut last line" end
  info.lines = #entries + info.bad
  return entries, info
end

-- emits a check as a line the shell turns into TAP: ok<TAB>what or not ok<TAB>what<TAB>detail
function P.check(ok, what, detail)
  if ok then print("ok\t" .. what)
  else print("not ok\t" .. what .. "\t" .. tostring(detail):gsub("[\t\n]", " ")) end
end
return P
LUA

# summary.lua LOG: facts of a whole log as key<TAB>value lines: entries, bad,
# first_bad, header, complete, idx (dense: exactly 0..N-1 once each; else what
# is wrong), threads (thread:count ...), ops (op:count ...), dup (entries with
# the same op and file as an earlier one), mismatch (null:// keys start tN/: the
# thread column is not N)
cat >summary.lua <<'LUA'
local P = dofile("oplogcheck.lua")
local entries, info = P.read(arg[1])
local seen, dups, miss, threads, ops, opfile, mismatch = {}, 0, 0, {}, {}, {}, 0
for _, e in ipairs(entries) do
  if seen[e.idx] then dups = dups + 1 end
  seen[e.idx] = true
  threads[e.thread] = (threads[e.thread] or 0) + 1
  ops[e.op] = (ops[e.op] or 0) + 1
  local k = e.op .. " " .. e.file
  if opfile[k] then opfile.dup = (opfile.dup or 0) + 1 end
  opfile[k] = true
  local t = e.file:match("^null://t(%d+)/")
  if t and tonumber(t) ~= e.thread then mismatch = mismatch + 1 end
end
for i = 0, #entries - 1 do if not seen[i] then miss = miss + 1 end end
local function sorted(t, numeric)
  local ks, out = {}, {}
  for k in pairs(t) do ks[#ks + 1] = k end
  table.sort(ks)
  for _, k in ipairs(ks) do out[#out + 1] = k .. ":" .. t[k] end
  return table.concat(out, " ")
end
print("entries\t" .. #entries)
print("bad\t" .. info.bad)
print("first_bad\t" .. (info.first_bad or ""):gsub("[\t\n]", " "))
print("header\t" .. tostring(info.header))
print("complete\t" .. tostring(info.complete))
print("idx\t" .. ((dups == 0 and miss == 0) and "dense" or (dups .. " duplicated, " .. miss .. " missing")))
print("threads\t" .. sorted(threads))
print("ops\t" .. sorted(ops))
print("dup\t" .. (opfile.dup or 0))
print("mismatch\t" .. mismatch)
LUA

declare -A R
# summarize LOG: fills R from summary.lua (R[ran] = yes when it worked)
summarize() {
    R=()
    local k v
    while IFS=$'\t' read -r k v; do R[$k]=$v; done < <("$S3DLUA" run summary.lua "$1" 2>"$T/.sumerr")
    [ -n "${R[entries]:-}" ] && R[ran]=yes || R[ran]="no: $(head -c 500 "$T/.sumerr")"
}

# --- 1. lossless under concurrency: 2 threads, every format ------------------
# work.lua TASKS GETS: TASKS tasks, each GETS gets + put + stat + delete on
# null://, keys prefixed tN/ (N = the thread), all distinct
cat >work.lua <<'LUA'
local ntasks, ngets = tonumber(arg[1]), tonumber(arg[2])
local th = s3d.thread.id
local st = assert(s3d.open("null://"))
local tasks = {}
for t = 1, ntasks do
  tasks[t] = s3d.spawn(function()
    for i = 1, ngets do assert(st:get(("t%d/%d/%d"):format(th, t, i), { discard = true })) end
    local k = ("t%d/p%d"):format(th, t)
    assert(st:put(k, "hello"))
    assert(st:stat(k))
    assert(st:delete(k))
  end)
end
assert(s3d.wait(tasks) == 0, "a task failed")
LUA
PER_THREAD=$((TASKS * (GETS + 3)))
for f in w.tsv w.tsv.zst w.jsonl w.jsonl.zst; do
    s --threads 2 --op-log "$f" run work.lua "$TASKS" "$GETS"
    is "$f: the 2-thread run exits 0" 0 "$rc"
    is "$f: the run prints nothing on stderr" "" "$err"
    if [ "${f%.zst}" != "$f" ]; then
        zstd -t -q "$f" 2>"$T/.zerr"
        is "$f: zstd decodes it cleanly" "0 " "$? $(cat "$T/.zerr")"
    fi
    summarize "$f"
    is "$f: the log reads back" yes "${R[ran]}"
    is "$f: one entry per operation ($((2 * PER_THREAD)))" $((2 * PER_THREAD)) "${R[entries]:-}"
    is "$f: every entry is well-formed (13 fields, times, duration_ns = end - start)" "0 " "${R[bad]:-} ${R[first_bad]:-}"
    [ "${f#*.jsonl}" = "$f" ] && is "$f: the TSV header comes first" true "${R[header]:-}"
    is "$f: the log ends with a whole line" true "${R[complete]:-}"
    is "$f: idx is exactly 0..N-1, each once" dense "${R[idx]:-}"
    is "$f: each thread's entries, exactly" "1:$PER_THREAD 2:$PER_THREAD" "${R[threads]:-}"
    is "$f: every operation, exactly" \
        "DELETE:$((2 * TASKS)) GET:$((2 * TASKS * GETS)) HEAD:$((2 * TASKS)) PUT:$((2 * TASKS))" "${R[ops]:-}"
    is "$f: no operation is logged twice" 0 "${R[dup]:-}"
    is "$f: the thread column is the thread that made the operation" 0 "${R[mismatch]:-}"
done

# more threads than the writer's 64 blocks: each thread holds a block of its own
if [ "$VG" = 0 ]; then
    timeout 15 "$S3DLUA" --threads 65 --op-log many.tsv -e \
        'local st = s3d.open("null://") for i = 1, 3 do assert(st:get("t" .. s3d.thread.id .. "/" .. i, {discard = true})) end' \
        >/dev/null 2>"$T/.err"
    rc=$?
    is "--threads 65 --op-log: the run ends (not stuck waiting for a block) and exits 0" 0 "$rc"
    summarize many.tsv
    is "--threads 65: 3 entries from each of the 65 threads" "195 dense 0 0" \
        "${R[entries]:-} ${R[idx]:-} ${R[bad]:-} ${R[mismatch]:-}"
fi

# --- 2. back-pressure: the log is a FIFO drained slowly ----------------------
# bp.lua N: 8 tasks make N null:// gets in all, with ~230-byte keys tT/x.../i
cat >bp.lua <<'LUA'
local n = tonumber(arg[1])
local st = assert(s3d.open("null://"))
local pre = ("t%d/%s/"):format(s3d.thread.id, string.rep("x", 220))
local tasks = {}
for t = 1, 8 do
  tasks[t] = s3d.spawn(function()
    for i = t, n, 8 do assert(st:get(pre .. i, { discard = true })) end
  end)
end
assert(s3d.wait(tasks) == 0, "a task failed")
LUA
mkfifo fifo.tsv
# the reader: 256 KiB, then a pause, until the end of the log (at most 120 s)
timeout 120 bash -c 'while :; do
    c=$(dd bs=256k iflag=fullblock count=1 status=none | tee -a bp-read.tsv | wc -c)
    [ "$c" -eq 0 ] && break
    sleep 0.01
done <fifo.tsv' &
reader=$!
start=$SECONDS
# GNU time measures the run's max RSS (the memory check below needs it)
TIMEIT=()
[ -x /usr/bin/time ] && [ "$VG" = 0 ] && TIMEIT=(/usr/bin/time -f %M -o bp.rss)
timeout 120 "${TIMEIT[@]}" "$S3DLUA" --threads 2 --op-log fifo.tsv run bp.lua "$BP_GETS" \
    >/dev/null 2>"$T/.err"
rc=$?
wait "$reader"
is "FIFO log read slowly: the run ends and exits 0 ($((SECONDS - start)) s)" "0 " "$rc $(head -c 300 "$T/.err")"
bytes=$(stat -c %s bp-read.tsv 2>/dev/null || echo 0)
if [ "$VG" = 0 ]; then
    if [ "$bytes" -gt $((32 * MiB)) ]; then
        pass "the log ($bytes bytes) is far more than the 16 MiB that may wait"
    else
        fail "the log is far more than 16 MiB" "$bytes bytes"
    fi
fi
summarize bp-read.tsv
is "the reader got one entry per get ($((2 * BP_GETS)))" $((2 * BP_GETS)) "${R[entries]:-}"
is "the reader's entries are whole and well-formed" "0 true true" "${R[bad]:-} ${R[header]:-} ${R[complete]:-}"
is "the reader's idx are exactly 0..N-1, each once" dense "${R[idx]:-}"
is "the reader got each thread's entries" "1:$BP_GETS 2:$BP_GETS" "${R[threads]:-}"
is "no get is logged twice" "0 0" "${R[dup]:-} ${R[mismatch]:-}"
if [ -s bp.rss ]; then
    # the lines waiting are bounded: memory stays near that of a run without a log
    /usr/bin/time -f %M -o base.rss "$S3DLUA" --threads 2 run bp.lua "$BP_GETS" >/dev/null 2>&1
    base=$(cat base.rss) rss=$(tail -n 1 bp.rss)
    if [ $((rss - base)) -le $((26 * 1024)) ]; then
        pass "while the writer waits, memory stays bounded (max RSS $rss KiB, $base without a log)"
    else
        fail "memory stays bounded while the writer waits (<= 16 MiB of lines + 10 MiB)" \
            "max RSS $rss KiB with the FIFO log, $base KiB without a log"
    fi
fi

# --- 3. the fields of each operation on file:// ------------------------------
# fields.lua DIR: a known sequence of operations; prints the LIST's entry count
cat >fields.lua <<'LUA'
local dir = arg[1]
local st = assert(s3d.open("file://" .. dir .. "/"))
assert(st:put("a.bin", string.rep("a", 1000)))                -- 0 PUT 1000
assert(#assert(st:get("a.bin")) == 1000)                      -- 1 GET 1000
assert(#assert(st:get("a.bin", { offset = 10, length = 100 }))) -- 2 GET 100
assert(st:stat("a.bin"))                                      -- 3 HEAD
local w = assert(st:writer("w.bin"))
assert(st:stat("a.bin"))                                      -- 4 HEAD, the writer open
s3d.sleep(0.02)
assert(w:write(string.rep("w", 300)))
assert(w:write(string.rep("w", 200)))
assert(w:write(string.rep("w", 500)))
assert(w:commit() == 1000)                                    -- 5 PUT 1000
local ab = assert(st:writer("aborted.bin"))                   -- (not logged)
assert(ab:write("zzz"))
ab:close()
local r = assert(st:reader("a.bin"))                          -- 6 HEAD
assert(#assert(r:read_at(0, 100)) == 100)                     -- 7 GET 100
assert(#assert(r:read(50)) == 50)                             -- 8 GET 50
r:close()
local page = assert(st:list_page("", false))                  -- 9 LIST
assert(st:delete("w.bin"))                                    -- 10 DELETE
for i = 1, 3 do assert(st:put("b" .. i, "b")) end             -- 11..13 PUT 1
assert(st:delete_many({ "b1", "b2", "b3" }) == 3)             -- 14 DELETE_BATCH 3
assert(st:get("missing.bin") == nil)                          -- 15 GET, error
assert(st:put("tab\there\nnl.bin", "xyz"))                    -- 16 PUT 3
assert(#assert(st:get("tab\there\nnl.bin")) == 3)             -- 17 GET 3
st:create_bucket()                                            -- 18 CREATE_CONTAINER
st:delete_bucket()                                            -- 19 DELETE_CONTAINER
print(#page)
LUA
# check-fields.lua LOG DIR NLIST: the entries of fields.lua, one by one
cat >check-fields.lua <<'LUA'
local P = dofile("oplogcheck.lua")
local path, dir, nlist = arg[1], arg[2], tonumber(arg[3])
local json = path:match("%.jsonl") ~= nil
local c = P.check
local es, info = P.read(path)
c(info.bad == 0 and info.complete and info.header, "every entry is well-formed: times RFC 3339 with 9 digits, duration_ns == end - start, start <= first_byte <= end", info.first_bad)
c(#es == 20, "20 entries: one per operation, none for the writer's open/writes or the aborted writer", #es)
if #es ~= 20 then return end
local base = "file://" .. dir .. "/"
local tabkey = "tab\there\nnl.bin"
local want = {
  { "PUT", 1, 1000, "a.bin" }, { "GET", 1, 1000, "a.bin" }, { "GET", 1, 100, "a.bin" },
  { "HEAD", 1, nil, "a.bin" }, { "HEAD", 1, nil, "a.bin" }, { "PUT", 1, 1000, "w.bin" },
  { "HEAD", 1, nil, "a.bin" }, { "GET", 1, 100, "a.bin" }, { "GET", 1, 50, "a.bin" },
  { "LIST", nlist, nil, "" }, { "DELETE", 1, nil, "w.bin" },
  { "PUT", 1, 1, "b1" }, { "PUT", 1, 1, "b2" }, { "PUT", 1, 1, "b3" },
  { "DELETE_BATCH", 3, nil, "" }, { "GET", 1, 0, "missing.bin" },
  { "PUT", 1, 3, tabkey }, { "GET", 1, 3, tabkey },
  { "CREATE_CONTAINER", 1, nil, "" }, { "DELETE_CONTAINER", 1, nil, "" },
}
local what = { "put", "get", "ranged get (100 of 1000)", "stat", "stat while a writer is open",
  "writer (3 writes, commit)", "reader open", "reader read_at", "reader read", "list_page",
  "delete", "put b1", "put b2", "put b3", "delete_many of 3 keys", "get of a missing key",
  "put of a key with a tab and a newline", "get of that key", "create_bucket", "delete_bucket" }
for i, w in ipairs(want) do
  local e = es[i]
  local file = base .. w[4]
  if not json then file = file:gsub("\t", "%%09"):gsub("\n", "%%0A") end
  local got = ("%s n_objects=%s bytes=%s file=%s idx=%s thread=%s endpoint=[%s]"):format(e.op, e.n_objects, e.bytes, e.file, e.idx, e.thread, e.endpoint)
  c(e.op == w[1] and e.n_objects == w[2] and (w[3] == nil or e.bytes == w[3]) and e.file == file
    and e.idx == i - 1 and e.thread == 1 and e.endpoint == "",
    ("%s: %s, n_objects %s%s, file = the full URI, endpoint empty"):format(what[i], w[1], w[2], w[3] and (", bytes " .. w[3]) or ""), got)
end
-- no error but for the missing key and the buckets file:// does not have
for i, e in ipairs(es) do
  if i ~= 16 and i < 19 and e.error ~= "" then c(false, "operations that worked have no error", i - 1 .. ": " .. e.error) end
end
local miss = es[16]
c(miss.error:lower():find("not found", 1, true) or miss.error:lower():find("no such", 1, true),
  "the missing key's GET has an error naming the reason", "[" .. miss.error .. "]")
c(es[19].error ~= "" and es[20].error ~= "", "bucket operations on file:// are logged with their error", es[19].error .. " | " .. es[20].error)
-- the writer: one PUT timed from its open, before the stat made after the open
local put, head = es[6], es[5]
c(P.diff(head.ts, put.ts) >= 0 and P.diff(put.te, head.te) >= 0,
  "the writer's PUT starts at its open (before the stat made after it) and ends after",
  "PUT " .. put.start .. " .. " .. put["end"] .. ", HEAD " .. head.start)
c(put.duration_ns >= 20e6, "the writer's PUT lasts from the open through the 20 ms pause", put.duration_ns)
-- first_byte: reads have one, within the operation
local nfb = 0
for _, i in ipairs({ 2, 3, 8, 9, 18 }) do if es[i].first_byte then nfb = nfb + 1 end end
c(nfb == 5, "gets and reader reads have a first_byte", nfb .. " of 5")
c(es[1].first_byte == nil, "a put has no first_byte", tostring(es[1].first_byte))
-- in time order: each operation starts after the previous one ended
local ordered = true
for i = 2, #es do
  if i ~= 6 and P.diff(es[i].ts, es[i - 1].te) < 0 then ordered = false end
end
c(ordered, "sequential operations do not overlap in time", "")
LUA
for f in fields.tsv fields.jsonl fields.jsonl.zst; do
    mkdir "d-$f"
    s --op-log "$f" run fields.lua "$T/d-$f"
    is "$f: the fields workload exits 0" "0 " "$rc $err"
    if [ "$rc" = 0 ]; then
        "$S3DLUA" run check-fields.lua "$f" "$T/d-$f" "$out" >"$T/.chk" 2>"$T/.err"
        is "$f: the field checker runs" "0 " "$? $(head -c 300 "$T/.err")"
        tap_from "$T/.chk" "$f: "
    fi
done
# the raw text: a tab and a newline in a key, escaped
has "TSV: a key's tab and newline are %09 and %0A" $'\t'"file://$T/d-fields.tsv/tab%09here%0Anl.bin"$'\t' "$(cat fields.tsv)"
has "JSONL: a key's tab and newline are JSON escapes" 'tab\u0009here\u000anl.bin"' "$(cat fields.jsonl)"
is "TSV: every line has 13 fields" 0 "$(awk -F'\t' 'NF != 13' fields.tsv | wc -l)"
is "TSV: 21 lines (header + 20)" 21 "$(wc -l <fields.tsv)"

# --- 4. the Lua API: s3d.oplog.open, st:with_oplog, log:count, log:close -----
cat >api.lua <<'LUA'
local P = dofile("oplogcheck.lua")
local c = P.check
local dir, path = arg[1], arg[2]
local log = s3d.oplog.open(path)
c(log:path() == path, "log:path() is the path", log:path())
local st = assert(s3d.open("file://" .. dir .. "/"))
local lst = st:with_oplog(log)
assert(lst:put("logged.bin", "12345"))
assert(lst:get("logged.bin"))
assert(lst:stat("logged.bin"))
assert(st:put("plain.bin", "abc"))
assert(st:get("plain.bin"))
assert(st:stat("plain.bin"))
assert(st:delete("plain.bin"))
assert(st:get("logged.bin"))
c(log:count() == 3, "log:count() counts the operations through st:with_oplog(log), not those through st", log:count())
local log2 = s3d.oplog.open(path)
local lst2 = st:with_oplog(log2)
assert(lst2:get("logged.bin", { offset = 1, length = 2 }))
c(log:count() == 4 and log2:count() == 4, "s3d.oplog.open of the same path again is the same log (counts add up)", log:count() .. " " .. log2:count())
local ok, err = log:close()
c(ok == true, "log:close() returns true", err)
local es, info = P.read(path)
c(#es == 4 and info.bad == 0 and info.complete and info.header, "right after close the file holds every entry, whole",
  #es .. " entries, " .. info.bad .. " bad " .. tostring(info.first_bad))
local ops, plain = {}, false
for _, e in ipairs(es) do
  ops[#ops + 1] = e.op .. " " .. e.file:sub(#dir + 9) .. " " .. e.bytes .. " " .. e.idx
  if e.file:find("plain.bin", 1, true) then plain = true end
end
c(table.concat(ops, ",") == "PUT logged.bin 5 0,GET logged.bin 5 1,HEAD logged.bin 0 2,GET logged.bin 2 3",
  "the entries are the logged handles' operations, in order", table.concat(ops, ","))
c(not plain, "nothing done through the original handle is in the log", "")
local bad = dir .. "/no/such/dir/x.tsv"
local ok2, e2 = pcall(s3d.oplog.open, bad)
c(not ok2 and tostring(e2):find(bad, 1, true) and tostring(e2):find("No such file", 1, true),
  "s3d.oplog.open of an impossible path raises naming the path and the reason", tostring(e2))
LUA
mkdir api
for f in api.tsv api.jsonl.zst; do
    "$S3DLUA" run api.lua "$T/api" "$T/$f" >"$T/.chk" 2>"$T/.err"
    is "$f: the API script exits 0" "0 " "$? $(head -c 300 "$T/.err")"
    tap_from "$T/.chk" "$f: "
done

# --- 5. a killed run leaves a readable log -----------------------------------
# crash.lua: gets without end, 200 at a time with a 2 ms pause (a log of a
# size quick to check, still many 256 KiB blocks a second)
cat >crash.lua <<'LUA'
local st = assert(s3d.open("null://"))
local i = 0
while true do
  for _ = 1, 200 do
    i = i + 1
    assert(st:get("t1/c/" .. i, { discard = true }))
  end
  s3d.sleep(0.002)
end
LUA
"$S3DLUA" --op-log crash.tsv.zst run crash.lua >/dev/null 2>&1 &
pid=$!
sleep 1
for _ in $(seq 600); do # under valgrind: until a few blocks are out
    [ "$(stat -c %s crash.tsv.zst 2>/dev/null || echo 0)" -ge 65536 ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null
    is "the long run is killed with SIGKILL" 137 "$?"
    zstd -dc crash.tsv.zst >crash.tsv 2>/dev/null # a cut last frame may fail: its lines must still be whole
    summarize crash.tsv
    is "the killed run's log reads back" yes "${R[ran]}"
    if [ "${R[entries]:-0}" -gt 0 ]; then
        pass "the killed run's log holds entries (${R[entries]})"
    else
        fail "the killed run's log holds entries" "0 entries"
    fi
    is "every line zstd gives is whole and well-formed (13 fields)" "0  true true" \
        "${R[bad]:-} ${R[first_bad]:-} ${R[header]:-} ${R[complete]:-}"
    is "the killed run's entries are idx 0..N-1 (one thread: in order)" dense "${R[idx]:-}"
else
    wait "$pid"
    fail "the long run is still running after 1 s, to be killed" "it ended with status $?"
fi

# --- 6. errors and a CLI command -----------------------------------------------
s --op-log /nonexistent/dir/x.tsv ls file:///tmp/
is "--op-log in a missing directory exits 1" 1 "$rc"
has "the message names the path" "/nonexistent/dir/x.tsv" "$err"
has "the message names the reason" "No such file or directory" "$err"
s --op-log
is "--op-log without a value is a usage error (2)" 2 "$rc"
has "--op-log without a value says what it needs" "--op-log" "$err"
s --op-log= ls file:///tmp/
is "--op-log= (empty) is a usage error (2)" 2 "$rc"
mkdir -p lsdir && printf 1 >lsdir/one && printf 22 >lsdir/two
s --op-log ls.jsonl ls "file://$T/lsdir/"
is "a CLI command with --op-log exits 0" 0 "$rc"
summarize ls.jsonl
is "ls logs its listing: one LIST entry" "1 LIST:1 0" "${R[entries]:-} ${R[ops]:-} ${R[bad]:-}"
has "the LIST entry counts the 2 objects" '"n_objects":2' "$(cat ls.jsonl)"

# --- 7. long keys, a closed log reopened, one file by two names ---------------
cat >edge.lua <<'EOF2'
local log = s3d.oplog.open("edge.jsonl")
local st = assert(s3d.open("null://")):with_oplog(log)
assert(st:get(("k"):rep(3000), { discard = true }))     -- a 3000-byte key: written whole
assert(st:get("x" .. ("\195\169"):rep(5000), { discard = true })) -- cut at 8 KiB, not inside a character
assert(log:close())
local cjson = require "cjson"
local lines = {}
for l in io.lines("edge.jsonl") do lines[#lines + 1] = cjson.decode(l) end
print(#lines, #lines[1].file, #lines[2].file <= 8192 and #lines[2].file > 8000,
  lines[2].file:sub(-2) == "\195\169")
local again = s3d.oplog.open("edge.jsonl") -- closed, so opened anew (truncated)
assert(assert(s3d.open("null://")):with_oplog(again):get("after", { discard = true }))
local same = s3d.oplog.open("./edge.jsonl") -- another name of the same file: the same log
assert(assert(s3d.open("null://")):with_oplog(same):get("viadot", { discard = true }))
print(again:count(), same:count())
assert(again:close())
local n = 0
for _ in io.lines("edge.jsonl") do n = n + 1 end
print(n)
EOF2
out=$(timeout -k 2 120 "$S3DLUA" run edge.lua 2>&1)
is "long keys, a reopened log, two names of one file" "2	3007	true	true
2	2
2" "$out"

# --- 8. a FIFO log whose reader quits: an error naming the log, not death by SIGPIPE
rm -f quit.fifo && mkfifo quit.fifo
(head -c 1000 quit.fifo >/dev/null &)
timeout -k 2 120 "$S3DLUA" --op-log quit.fifo -e \
    'local st = s3d.open("null://") for i = 1, 20000 do st:get("k" .. i, {discard = true}) end' \
    >/dev/null 2>quit.err
is "a log whose reader quit: exit 1 (not killed by SIGPIPE)" 1 "$?"
has "a log whose reader quit: the error names the log and the reason" "op-log quit.fifo: Broken pipe" "$(cat quit.err)"

finish
