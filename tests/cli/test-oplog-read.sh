#!/usr/bin/env bash
# End-to-end tests of the op-log reader (s3d.oplog.reader): logs written by
# the real writer (.tsv, .jsonl, both with .zst) read back field by field;
# foreign formats written here by hand (warp 15 and 11 columns, s3dlio, the
# minimal 6 columns, comma-separated, header aliases); errors naming
# path:line and the field, and skip_bad; memory that does not grow with the
# size of the log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/oplog-fixtures.sh" # write_foreign_logs
cd "$T" || exit 1
command -v zstd >/dev/null || { echo "Bail out! zstd not found (tests/install-deps.sh installs it)"; exit 1; }
# sizes of the streaming check (entries of the big log, 10x fewer in the
# small one); under valgrind much smaller, and no memory comparison. TMO:
# bound of a check script; HANG: of reading 1000 lines (a reader that loops)
if [ "${VALGRIND:-}" = 1 ]; then
    BIG=20000 VG=1 TMO=300 HANG=60
else
    BIG=2000000 VG=0 TMO=60 HANG=10
fi
SMALL=$((BIG / 10))

# lua WHAT SCRIPT ARGS...: runs a check script (bounded), its checks become TAP
lua() {
    local what=$1
    shift
    timeout -k 2 "$TMO" "$S3DLUA" run "$@" >"$T/.chk" 2>"$T/.err"
    local rc=$?
    is "$what: the check script ends and exits 0" "0 " "$rc $(head -c 400 "$T/.err")"
    tap_from "$T/.chk" "$what: "
}

# common.lua: check(ok, what, detail) prints a check line; read_all(path,
# opts) -> ok, error message, entries, reader; fmt(v) shows a value (strings
# with control bytes and bytes >= 0x80 as \xNN)
cat >common.lua <<'LUA'
local C = {}
local function esc(c) return ("\\x%02x"):format(c:byte()) end
function C.check(ok, what, detail)
  what = what:gsub("%c", esc)
  if ok then print("ok\t" .. what)
  else print("not ok\t" .. what .. "\t" .. (tostring(detail):gsub("[\t\n]", " "))) end
end
function C.read_all(path, opts)
  local es, rd = {}, nil
  local ok, msg = pcall(function()
    local it, r = s3d.oplog.reader(path, opts)
    rd = r
    for e in it, r do es[#es + 1] = e end
  end)
  return ok, ok and "" or tostring(msg), es, rd
end
function C.fmt(v)
  if type(v) == "number" then
    return v == math.floor(v) and math.abs(v) < 1e15 and ("%d"):format(v) or ("%.9f"):format(v)
  elseif type(v) == "table" then
    return ("%d.%09d"):format(v[1], v[2])
  elseif type(v) == "string" then -- control bytes and bytes >= 0x80 as \xNN
    return "[" .. v:gsub("[%c\128-\255]", esc) .. "]"
  end
  return tostring(v)
end
C.FIELDS = { "idx", "thread", "op", "client_id", "n_objects", "bytes", "endpoint", "file",
  "error", "start", "first_byte", "end", "duration_ns", "line" }
C.TIMES = { start = true, first_byte = true, ["end"] = true }
-- a time read as seconds (a double) against {seconds, ns}: to the microsecond
-- (the double of a 2020s date holds ~0.25 us)
function C.same_time(got, want)
  if want == nil then return got == nil end
  return type(got) == "number" and math.abs(got - (want[1] + want[2] / 1e9)) <= 5e-7
end
return C
LUA

# --- 1. round trip: logs of the real writer read back ------------------------
# rt.lua DIR: thread 1 makes known operations on file://DIR/, thread 2 on null://
cat >rt.lua <<'LUA'
local dir = arg[1]
local KEY = 'we"ird\tkey\nwith \195\169 and \\ back'
if s3d.thread.id == 1 then
  local st = assert(s3d.open("file://" .. dir .. "/"))
  assert(st:put("a.bin", string.rep("a", 1000)))                      -- PUT 1000
  assert(st:put("empty.bin", ""))                                      -- PUT 0
  assert(#assert(st:get("a.bin")) == 1000)                             -- GET 1000
  assert(#assert(st:get("a.bin", { offset = 10, length = 100 })) == 100) -- GET 100
  assert(st:stat("a.bin"))                                             -- HEAD
  assert(st:get("missing.bin") == nil)                                 -- GET, error
  assert(st:put(KEY, "12345"))                                         -- PUT 5
  assert(#assert(st:get(KEY)) == 5)                                    -- GET 5
  assert(st:delete("empty.bin"))                                       -- DELETE
  assert(#assert(st:list_page("", false)) == 2)                        -- LIST 2
else
  local st = assert(s3d.open("null://"))
  for i = 1, 50 do assert(st:put("p/" .. i, string.rep("x", i * 10))) end -- PUT i*10
  for i = 1, 50 do assert(st:get("g/" .. i, { discard = true })) end      -- GET 1 MiB
  assert(st:stat("s"))                                                    -- HEAD
  assert(st:delete("d"))                                                  -- DELETE
end
LUA
# rt-check.lua LOG RAW FMT DIR T0 T1: LOG read by s3d.oplog.reader against RAW
# (its text, decompressed) parsed here independently (FMT tsv or jsonl), and
# against the operations of rt.lua; the run was between T0 and T1 (epoch s)
cat >rt-check.lua <<'LUA'
local C = dofile("common.lua")
local cjson = require "cjson"
local check, fmt = C.check, C.fmt
local path, raw, kind, dir, t0, t1 = arg[1], arg[2], arg[3], arg[4], tonumber(arg[5]), tonumber(arg[6])
local KEY = 'we"ird\tkey\nwith \195\169 and \\ back'
local ok, msg, es = C.read_all(path)
check(ok, "reads without error", msg)
-- the raw lines, by number
local lines = {}
local f = assert(io.open(raw, "rb"))
local text = f:read("*a")
f:close()
for l in text:gmatch("([^\n]*)\n") do lines[#lines + 1] = l end
local first = kind == "tsv" and 2 or 1
local ndata = #lines - first + 1
check(#es == ndata and ndata == 112, "one entry per line of the log (112)", #es .. " entries, " .. ndata .. " lines")

local function days(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local doy = math.floor((153 * ((m + 9) % 12) + 2) / 5) + d - 1
  return era * 146097 + yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy - 719468
end
local function ptime(s) -- the writer's "2026-01-02T03:04:05.123456789Z" -> {s, ns}
  if s == nil or s == "" or s == cjson.null then return nil end
  local Y, Mo, D, h, mi, se, ns = s:match("^(%d+)%-(%d+)%-(%d+)T(%d+):(%d+):(%d+)%.(%d+)Z$")
  assert(Y, "the writer wrote a time this test does not parse: " .. s)
  return { days(tonumber(Y), tonumber(Mo), tonumber(D)) * 86400 + h * 3600 + mi * 60 + se, tonumber(ns) }
end
local function parse(l) -- one raw line -> the fields as written
  local r = {}
  if kind == "tsv" then
    local x = {}
    for v in (l .. "\t"):gmatch("(.-)\t") do x[#x + 1] = v end
    assert(#x == 13, "13 fields in " .. l)
    for i = 1, 13 do r[C.FIELDS[i]] = x[i] end
  else
    r = cjson.decode(l)
  end
  for _, k in ipairs({ "idx", "thread", "n_objects", "bytes", "duration_ns" }) do r[k] = tonumber(r[k]) end
  for k in pairs(C.TIMES) do r[k] = ptime(r[k]) end
  return r
end

-- every field of every entry as written, and each line read once
local bad, seen, lines_bad = {}, {}, 0
for _, e in ipairs(es) do
  local l = lines[e.line]
  if type(e.line) ~= "number" or e.line < first or not l or seen[e.line] then
    lines_bad = lines_bad + 1
  else
    seen[e.line] = true
    local w = parse(l)
    for _, k in ipairs(C.FIELDS) do
      if k ~= "line" then
        local same
        if C.TIMES[k] then same = C.same_time(e[k], w[k]) else same = e[k] == w[k] end
        if not same and #bad < 5 then
          bad[#bad + 1] = ("line %d %s: wrote %s, read %s"):format(e.line, k, fmt(w[k]), fmt(e[k]))
        end
      end
    end
  end
end
check(lines_bad == 0, "e.line is the entry's line in the file, each line once", lines_bad .. " entries with a wrong line")
check(#bad == 0, "every field of every entry is what the writer wrote (times to the microsecond)", table.concat(bad, "; "))

-- idx: exactly 0..N-1
local idx, dup = {}, 0
for _, e in ipairs(es) do
  if idx[e.idx] then dup = dup + 1 end
  idx[e.idx] = e
end
local miss = 0
for i = 0, #es - 1 do if not idx[i] then miss = miss + 1 end end
check(dup == 0 and miss == 0, "idx is exactly 0..N-1, each once", dup .. " duplicated, " .. miss .. " missing")

-- times: start..end is duration_ns, first_byte within, all during the run
local tbad
for _, e in ipairs(es) do
  local d = e["end"] - e.start - e.duration_ns / 1e9
  if math.abs(d) > 1e-6 then tbad = tbad or ("idx %d: end - start - duration_ns/1e9 = %.9f"):format(e.idx, d) end
  if e.first_byte and (e.first_byte < e.start - 1e-6 or e.first_byte > e["end"] + 1e-6) then
    tbad = tbad or ("idx %d: first_byte %.9f outside %.9f .. %.9f"):format(e.idx, e.first_byte, e.start, e["end"])
  end
  if e.start < t0 - 1 or e["end"] > t1 + 1 then
    tbad = tbad or ("idx %d: %.6f .. %.6f not within the run %d .. %d"):format(e.idx, e.start, e["end"], t0, t1)
  end
end
check(tbad == nil, "end - start == duration_ns/1e9 (within 1 us), start <= first_byte <= end, times within the run", tbad)

-- the operations of rt.lua, thread by thread, in idx order
local by = { {}, {} }
for i = 0, #es - 1 do
  local e = idx[i]
  if e and by[e.thread] then by[e.thread][#by[e.thread] + 1] = e end
end
local base = "file://" .. dir .. "/"
local key = kind == "tsv" and KEY:gsub("\t", "%%09"):gsub("\n", "%%0A") or KEY
local want1 = {
  { "PUT", 1000, "a.bin" }, { "PUT", 0, "empty.bin" }, { "GET", 1000, "a.bin" }, { "GET", 100, "a.bin" },
  { "HEAD", 0, "a.bin" }, { "GET", 0, "missing.bin", "not found" }, { "PUT", 5, key }, { "GET", 5, key },
  { "DELETE", 0, "empty.bin" }, { "LIST", 0, "", nil, 2 },
}
local function show(e)
  return ("%s %s %s n=%s [%s]"):format(e.op, fmt(e.bytes), e.file, fmt(e.n_objects), e.error)
end
local got1, wb1 = {}, nil
for i, w in ipairs(want1) do
  local e = by[1][i]
  if e then got1[#got1 + 1] = show(e) end
  if not e or e.op ~= w[1] or e.bytes ~= w[2] or e.file ~= base .. w[3] or e.error ~= (w[4] or "")
    or e.n_objects ~= (w[5] or 1) or e.client_id ~= "" or e.endpoint ~= "" then
    wb1 = wb1 or ("op %d: expected %s %d %s%s [%s], got %s"):format(i, w[1], w[2], base, w[3], w[4] or "", e and show(e) or "nothing")
  end
end
check(#by[1] == 10 and wb1 == nil, "thread 1: the 10 file:// operations, in order (op, bytes, n_objects, file, error)",
  (wb1 or "") .. " (" .. #by[1] .. " entries)")
check(by[1][7] and by[1][7].file == base .. key,
  "the key with a tab, a newline, a quote, a backslash and an e-acute reads back as written (" .. kind .. ")",
  by[1][7] and by[1][7].file)
local wb2
for i = 1, 102 do
  local e = by[2][i]
  local w
  if i <= 50 then w = { "PUT", i * 10, "null://p/" .. i }
  elseif i <= 100 then w = { "GET", 1048576, "null://g/" .. (i - 50) }
  elseif i == 101 then w = { "HEAD", 0, "null://s" }
  else w = { "DELETE", 0, "null://d" } end
  if not e or e.op ~= w[1] or e.bytes ~= w[2] or e.file ~= w[3] or e.error ~= "" or e.n_objects ~= 1 then
    wb2 = wb2 or ("op %d: expected %s %d %s, got %s"):format(i, w[1], w[2], w[3], e and show(e) or "nothing")
  end
end
check(#by[2] == 102 and wb2 == nil, "thread 2: 50 PUTs of 10..500 bytes, 50 GETs, HEAD, DELETE on null://, in order",
  (wb2 or "") .. " (" .. #by[2] .. " entries)")
LUA
mkdir rtdir
t0=$(date +%s)
for f in rt.tsv rt.tsv.zst rt.jsonl rt.jsonl.zst; do
    rm -rf rtdir && mkdir rtdir
    s --threads 2 --op-log "$f" run rt.lua "$T/rtdir"
    is "$f: the writer's run exits 0, nothing on stderr" "0 " "$rc ${err:-}"
done
t1=$(date +%s)
for f in rt.tsv rt.jsonl; do zstd -q -dc "$f.zst" >"$f.zst.raw"; done
is "the .zst logs are zstd (magic 28 b5 2f fd)" "28b52ffd 28b52ffd" \
    "$(head -c 4 rt.tsv.zst | od -An -tx1 | tr -d ' \n') $(head -c 4 rt.jsonl.zst | od -An -tx1 | tr -d ' \n')"
# named by what they are not: the format comes from the content
cp rt.tsv.zst rt-tsv-zst.log
cp rt.jsonl.zst rt-jsonl-zst.log
cp rt.tsv rt-plain.tsv.zst
cp rt.jsonl rt-plain-jsonl.tsv
for c in "rt.tsv rt.tsv tsv" "rt.tsv.zst rt.tsv.zst.raw tsv" "rt.jsonl rt.jsonl jsonl" \
    "rt.jsonl.zst rt.jsonl.zst.raw jsonl" "rt-tsv-zst.log rt.tsv.zst.raw tsv" \
    "rt-jsonl-zst.log rt.jsonl.zst.raw jsonl" "rt-plain.tsv.zst rt.tsv tsv" \
    "rt-plain-jsonl.tsv rt.jsonl jsonl"; do
    read -r log raw kind <<<"$c"
    lua "$log" rt-check.lua "$log" "$raw" "$kind" "$T/rtdir" "$t0" "$t1"
done

# --- 2. foreign formats, written by hand ---------------------------------------
write_foreign_logs

# foreign.lua: each file against its entries, every field (times as {s, ns},
# hand-computed: e.g. 2024-03-05T10:20:30+01:00 = 1709630430)
cat >foreign.lua <<'LUA'
local C = dofile("common.lua")
local check, fmt = C.check, C.fmt
local function t(s, ns) return { s, ns } end
local DEFAULT = { idx = 0, thread = 0, n_objects = 0, bytes = 0, client_id = "", endpoint = "", error = "" }
local function expect(path, what, want)
  local ok, msg, es = C.read_all(path)
  check(ok, what .. ": " .. path .. " reads without error", msg)
  check(#es == #want, what .. ": " .. #want .. " entries", #es .. " entries")
  for i, w in ipairs(want) do
    local e = es[i] or {}
    local bad = {}
    for _, k in ipairs(C.FIELDS) do
      local wv = w[k]
      if wv == nil then wv = DEFAULT[k] end
      local same
      if C.TIMES[k] then same = C.same_time(e[k], wv) else same = e[k] == wv end
      if not same then bad[#bad + 1] = ("%s: expected %s, got %s"):format(k, fmt(wv), fmt(e[k])) end
    end
    check(#bad == 0, ("%s: %s:%d (%s %s) every field"):format(what, path, w.line, w.op, w.file), table.concat(bad, "; "))
  end
end

expect("warp.csv.zst", "warp 15 columns, .zst, offsets, trimmed fractions, # comments", {
  { line = 3, idx = 0, thread = 1, op = "PUT", client_id = "client-1", n_objects = 1, bytes = 4096,
    endpoint = "http://10.0.0.1:9000", file = "bench/obj.1", start = t(1709630430, 500000000),
    ["end"] = t(1709630430, 625000000), duration_ns = 125000000 },
  { line = 4, idx = 1, thread = 2, op = "GET", client_id = "client-1", n_objects = 1, bytes = 4096,
    endpoint = "http://10.0.0.2:9000", file = "bench/obj.1", start = t(1709630431, 123000000),
    first_byte = t(1709630431, 123500000), ["end"] = t(1709630431, 124001000), duration_ns = 1001000 },
  { line = 5, idx = 2, thread = 1, op = "HEAD", client_id = "client-2", n_objects = 1, bytes = 0,
    endpoint = "http://10.0.0.1:9000", file = "bench/obj.1", start = t(1709630432, 0),
    ["end"] = t(1709630432, 1000), duration_ns = 1000 },
  { line = 6, idx = 3, thread = 3, op = "DELETE", client_id = "client-2", n_objects = 1,
    endpoint = "http://10.0.0.1:9000", file = "bench/obj.1", error = "Access Denied.",
    start = t(1709679599, 999999000), ["end"] = t(1709679600, 1000), duration_ns = 2000 },
  { line = 7, idx = 4, thread = 4, op = "LIST", client_id = "client-2", n_objects = 25,
    endpoint = "http://10.0.0.1:9000", file = "bench/", start = t(1721012400, 250000000),
    ["end"] = t(1721012400, 500000000), duration_ns = 250000000 },
})
expect("legacy.csv", "warp legacy 11 columns", {
  { line = 2, idx = 0, thread = 7, op = "GET", n_objects = 1, bytes = 1048576, file = "warp/obj-a",
    start = t(1583035199, 750000000), first_byte = t(1583035200, 123), ["end"] = t(1583035200, 500000000),
    duration_ns = 750000000 },
  { line = 3, idx = 1, thread = 8, op = "PUT", n_objects = 1, bytes = 10, file = "warp/obj-b",
    error = "io: timeout", start = t(1583035200, 0), ["end"] = t(1583035200, 1000), duration_ns = 1000 },
})
expect("s3dlio.tsv", "s3dlio 13 columns", {
  { line = 2, idx = 0, thread = 12, op = "GET", n_objects = 1, bytes = 262144, endpoint = "https://s3.example.com",
    file = "s3://bkt/data/f0.npz", start = t(1748779200, 1), first_byte = t(1748779200, 10000000),
    ["end"] = t(1748779200, 20000001), duration_ns = 20000000 },
  { line = 3, idx = 1, thread = 13, op = "HEAD", n_objects = 1, endpoint = "https://s3.example.com",
    file = "s3://bkt/data/f1.npz", start = t(1748779200, 500000000), ["end"] = t(1748779200, 500100000),
    duration_ns = 100000 },
  { line = 4, idx = 2, thread = 12, op = "LIST", n_objects = 7, endpoint = "https://s3.example.com",
    file = "s3://bkt/data/", start = t(1748779201, 0), ["end"] = t(1748779201, 3000000), duration_ns = 3000000 },
  { line = 5, idx = 3, thread = 13, op = "PUT", n_objects = 1, bytes = 1000, endpoint = "https://s3.example.com",
    file = "s3://bkt/out/x", error = "HTTP 500", start = t(1748779201, 100000000),
    ["end"] = t(1748779201, 200000000), duration_ns = 100000000 },
})
expect("minimal.tsv", "minimal 6 columns (end = start + duration_ns)", {
  { line = 2, op = "GET", file = "s3://b/k1", bytes = 10, start = t(1704067200, 250000000),
    ["end"] = t(1704067200, 250005000), duration_ns = 5000 },
  { line = 3, op = "PUT", file = "s3://b/k2", bytes = 5, error = "HTTP 503 SlowDown",
    start = t(1704067199, 500000000), ["end"] = t(1704067200, 250000000), duration_ns = 750000000 },
  { line = 4, op = "HEAD", file = "s3://b/k3", start = t(1704067201, 0), ["end"] = t(1704067201, 0),
    duration_ns = 0 },
})
expect("comma.csv", "comma-separated (duration_ns = end - start)", {
  { line = 2, idx = 0, thread = 1, op = "GET", n_objects = 1, bytes = 2048, file = "bkt/a",
    start = t(946684800, 2000), first_byte = t(946684800, 3000), ["end"] = t(946684800, 10000), duration_ns = 8000 },
  { line = 3, idx = 1, thread = 2, op = "HEAD", n_objects = 1, file = "bkt/b", error = "NoSuchKey",
    start = t(946684799, 900000000), ["end"] = t(946684800, 100000000), duration_ns = 200000000 },
  { line = 4, idx = 2, thread = 1, op = "DELETE", n_objects = 1, file = "bkt/c",
    start = t(946684800, 0), ["end"] = t(946684800, 500000000), duration_ns = 500000000 },
})
expect("crlf.csv", "comma-separated with CRLF line ends", {
  { line = 2, op = "GET", file = "bkt/x", bytes = 1, start = t(1704067200, 0), ["end"] = t(1704067200, 1000000),
    duration_ns = 1000000 },
  { line = 3, op = "PUT", file = "bkt/y", bytes = 2, start = t(1704067201, 0), ["end"] = t(1704067201, 2000000),
    duration_ns = 2000000 },
})
expect("alias.tsv", "header names in mixed case, Operation and T_START", {
  { line = 2, op = "GET", file = "k/1", bytes = 100, start = t(1704067200, 1000), ["end"] = t(1704067200, 1999),
    duration_ns = 999 },
  { line = 3, op = "HEAD", file = "k/2", error = "not found", start = t(1704067202, 0),
    ["end"] = t(1704067202, 1), duration_ns = 1 },
})
expect("alias2.csv", "Start_Time, END, Thread, IDX (comma)", {
  { line = 2, idx = 9, thread = 4, op = "PUT", file = "k/3", bytes = 3, start = t(1704067203, 0),
    ["end"] = t(1704067203, 500000000), duration_ns = 500000000 },
})
expect("foreign.jsonl", "JSONL with spaces, any field order, JSON escapes", {
  { line = 1, idx = 3, thread = 2, op = "GET", n_objects = 1, bytes = 12,
    file = 's3://b/line\nbreak\ttab "q" back\\slash \195\169 /', start = t(1704067200, 500000000),
    ["end"] = t(1704067201, 0), duration_ns = 500000000 },
  { line = 2, idx = 4, op = "PUT", file = "emoji \240\159\152\128", start = t(1704067202, 0),
    ["end"] = t(1704067202, 7), duration_ns = 7 },
})
expect("empty.tsv", "an empty file", {})
expect("header-only.tsv", "a header without entries", {})
LUA
lua "foreign formats" foreign.lua

# --- 3. errors: path:line and the field; skip_bad -------------------------------
write_bad_logs # tests/cli/oplog-fixtures.sh

cat >errors.lua <<'LUA'
local C = dofile("common.lua")
local check, read_all = C.check, C.read_all
-- err PATH NEEDLES WHAT: reading PATH raises, the message holds every needle
local function err(path, needles, what, nentries)
  local ok, msg, es = read_all(path)
  local miss = {}
  for _, n in ipairs(needles) do if not msg:find(n, 1, true) then miss[#miss + 1] = n end end
  check(not ok and #miss == 0, what .. ": raises naming " .. table.concat(needles, " and "),
    ok and ("no error, " .. #es .. " entries") or ("message: " .. msg))
  if nentries then
    check(#es == nentries, what .. ": the " .. nentries .. " good entries before it are read", #es)
  end
end
err("badnum.tsv", { "badnum.tsv:3:", "field 'bytes'", "12x" }, "a bad number", 1)
err("badtime.tsv", { "badtime.tsv:4:", "field 'start'" }, "a bad time", 2)
err("badfb.csv.zst", { "badfb.csv.zst:4:", "field 'first_byte'" }, "a bad offset (+0100) in warp .zst, after a # line", 1)
err("count.tsv", { "count.tsv:3:", "12 fields" }, "12 fields of 13", 1)
err("notlog.csv", { "notlog.csv:1:", "not an op-log header" }, "a CSV that is not an op-log")
err("notlog2.txt", { "notlog2.txt:3:", "not an op-log header" }, "text after a comment and an empty line")
err("nosuch.tsv", { "nosuch.tsv", "No such file or directory" }, "a missing file")
err("bad.jsonl", { "bad.jsonl:2:", "field 'bytes'" }, "JSONL: a bytes that is not a number", 1)
err("mixed.tsv", { "mixed.tsv:3:", "field 'bytes'" }, "mixed good and bad lines, without skip_bad", 1)
do
  local ok, msg = pcall(s3d.oplog.reader, "nosuch.tsv")
  check(not ok and msg:find("nosuch.tsv: No such file or directory", 1, true),
    "a missing file: s3d.oplog.reader itself raises (before the loop)", ok and "no error" or msg)
end

-- skip_bad: the bad lines are skipped and counted, the good ones read
for _, path in ipairs({ "mixed.tsv", "mixed.tsv.zst" }) do
  local ok, msg, es, rd = read_all(path, { skip_bad = true })
  check(ok, path .. " with skip_bad: no error", msg)
  local got = {}
  for _, e in ipairs(es) do got[#got + 1] = ("%d:%d:%s:%d"):format(e.line, e.idx, e.file, e.bytes) end
  check(table.concat(got, " ") == "2:0:null://k0:100 4:2:null://k2:200 7:5:null://k5:300",
    path .. " with skip_bad: the 3 good entries (line:idx:file:bytes)", table.concat(got, " "))
  local e = es[2] or {}
  check(C.same_time(e.start, { 1704067204, 500000000 }) and C.same_time(e["end"], { 1704067204, 750000000 })
    and e.duration_ns == 250000000, path .. " with skip_bad: a good entry's times",
    C.fmt(e.start) .. " " .. C.fmt(e["end"]) .. " " .. C.fmt(e.duration_ns))
  check(rd and rd:skipped() == 3, path .. " with skip_bad: skipped() counts the 3 bad lines", rd and rd:skipped())
end
do
  local ok, msg, es, rd = read_all("bad.jsonl", { skip_bad = true })
  local got = {}
  for _, e in ipairs(es) do got[#got + 1] = e.line .. ":" .. e.file end
  check(ok and table.concat(got, " ") == "1:j0 4:j3" and rd:skipped() == 2,
    "bad.jsonl with skip_bad: entries of lines 1 and 4, 2 skipped",
    msg .. " " .. table.concat(got, " ") .. " skipped " .. tostring(rd and rd:skipped()))
end

-- truncated .zst: the end of the input inside a frame is an error, not the end
-- of the log (else its last line, cut, reads as "1234" instead of 123456789)
do
  local ok, msg, es = read_all("trunc.tsv.zst")
  local durs = {}
  for _, e in ipairs(es) do durs[#durs + 1] = e.file .. ":" .. C.fmt(e.duration_ns) end
  check(not ok and msg:find("trunc.tsv.zst", 1, true),
    "a .zst cut inside a frame: raises naming the path (not a silent end)",
    ok and ("no error; entries " .. table.concat(durs, " ")) or msg)
end
LUA
lua "errors" errors.lua

# corrupt .zst: in processes of their own, bounded (a reader that loops is killed)
cat >corrupt.lua <<'LUA'
local C = dofile("common.lua")
local path, skip = arg[1], arg[2] == "skip"
local ok, msg, es, rd = C.read_all(path, { skip_bad = skip })
print(ok, #es, rd and rd:skipped() or "-", (msg:gsub("[\t\n]", " ")))
LUA
zstd -q -t corrupt.tsv.zst 2>/dev/null
is "corrupt.tsv.zst: zstd -t says it is corrupt" 1 "$?"
timeout -k 2 "$TMO" "$S3DLUA" run corrupt.lua corrupt.tsv.zst >"$T/.c" 2>"$T/.err"
rc=$?
IFS=$'\t' read -r cok cn cskip cmsg <"$T/.c"
is "corrupt .zst: the reader ends and raises" "0 false" "$rc ${cok:-}"
is "corrupt .zst: the 999 entries of the good frame are read first" 999 "${cn:-}"
has "corrupt .zst: the error names the path" "corrupt.tsv.zst" "${cmsg:-}"
has "corrupt .zst: the error says zstd" "zstd" "${cmsg:-}"
case "${cmsg:-}" in
*corrupt.tsv.zst:[0-9]*:*) pass "corrupt .zst: the error names the line where the data went bad (path:line:)" ;;
*) fail "corrupt .zst: the error names the line where the data went bad (path:line:)" "message: ${cmsg:-} $(head -c 300 "$T/.err")" ;;
esac
timeout -k 2 "$HANG" "$S3DLUA" run corrupt.lua corrupt.tsv.zst skip >"$T/.c" 2>"$T/.err"
rc=$?
IFS=$'\t' read -r cok cn cskip cmsg <"$T/.c"
case "${cok:-}:${cskip:-}" in false:* | true:[1-9]*) raised_or_counted=1 ;; *) raised_or_counted=0 ;; esac
if [ "$rc" = 0 ] && [ "${cn:-}" = 999 ] && [ "$raised_or_counted" = 1 ]; then
    pass "corrupt .zst with skip_bad: ends, the 999 good entries read, the corruption raised or counted"
else
    fail "corrupt .zst with skip_bad: ends, the 999 good entries read, the corruption raised or counted" \
        "exit $rc$([ "$rc" = 124 ] && echo " (killed by timeout after $HANG s: the reader loops)"), ok=${cok:-} entries=${cn:-} skipped=${cskip:-} ${cmsg:-}"
fi

# --- 4. streaming: memory does not grow with the log ----------------------------
cat >gen.lua <<'LUA'
local n = tonumber(arg[1])
local st = assert(s3d.open("null://"))
for i = 1, n do assert(st:get("obj/" .. i, { discard = true })) end
LUA
# big.lua LOG: count, sum of idx, every entry a GET of 1 MiB, peak RSS (KiB)
cat >big.lua <<'LUA'
local n, sidx, maxidx, other = 0, 0, -1, 0
for e in s3d.oplog.reader(arg[1]) do
  n = n + 1
  sidx = sidx + e.idx
  if e.idx > maxidx then maxidx = e.idx end
  if e.op ~= "GET" or e.bytes ~= 1048576 or e.file ~= "null://obj/" .. (e.idx + 1) then other = other + 1 end
end
local hwm = "?"
for l in io.lines("/proc/self/status") do hwm = l:match("^VmHWM:%s*(%d+)") or hwm end
print(("%d %.0f %d %d %s"):format(n, sidx, maxidx, other, hwm))
LUA
declare -A SIZE=([big]=$BIG [small]=$SMALL) RSS=()
for name in big small; do
    timeout -k 2 120 "$S3DLUA" --op-log "$name.tsv.zst" run gen.lua "${SIZE[$name]}" >/dev/null 2>"$T/.err"
    is "$name log: ${SIZE[$name]} GETs on null:// written to $name.tsv.zst" "0 " "$? $(head -c 300 "$T/.err")"
done
for name in big small; do
    N=${SIZE[$name]}
    rm -f "$name.rss"
    TIMEIT=()
    [ "$VG" = 0 ] && [ -x /usr/bin/time ] && TIMEIT=(/usr/bin/time -f %M -o "$name.rss")
    t=$SECONDS
    timeout -k 2 120 "${TIMEIT[@]}" "$S3DLUA" run big.lua "$name.tsv.zst" >"$name.out" 2>"$T/.err"
    is "$name log ($(stat -c %s "$name.tsv.zst") bytes): read to the end ($((SECONDS - t)) s)" "0 " \
        "$? $(head -c 300 "$T/.err")"
    read -r cnt sidx maxidx other hwm <"$name.out"
    is "$name log: every entry read once (count, sum and max of idx), each the GET of its key" \
        "$N $((N * (N - 1) / 2)) $((N - 1)) 0" "${cnt:-} ${sidx:-} ${maxidx:-} ${other:-}"
    # peak RSS in KiB: GNU time's, else VmHWM seen by the script at its end
    if [ -s "$name.rss" ]; then RSS[$name]=$(tail -n 1 "$name.rss"); else RSS[$name]=${hwm:-0}; fi
done
if [ "$VG" = 0 ]; then
    if [ $((RSS[big] - RSS[small])) -le 4096 ]; then
        pass "reading $BIG entries takes no more memory than $SMALL (peak RSS ${RSS[big]} vs ${RSS[small]} KiB)"
    else
        fail "reading $BIG entries takes no more memory than $SMALL (within 4 MiB)" \
            "peak RSS ${RSS[big]} KiB for $BIG entries, ${RSS[small]} KiB for $SMALL"
    fi
fi

# --- oplog stats and oplog convert (CLI) ----------------------------------------
printf 'op\tfile\tbytes\tstart\tduration_ns\terror\nGET\ta\t100\t2024-01-01T00:00:00Z\t1000000\t\nGET\tb\t300\t2024-01-01T00:00:01Z\t3000000\t\nPUT\tc\t50\t2024-01-01T00:00:01.5Z\t2000000\tboom\n' >cli6.tsv
s oplog stats cli6.tsv --json
is "oplog stats exits 0" 0 "$rc"
st=$(printf '%s' "$out" | "$S3DLUA" -e 'local j = require("cjson").decode(io.read("*a"))
  local by = {} for _, r in ipairs(j.ops) do by[r.op] = r end
  print(j.entries, string.format("%.3f", j.span_s), by.GET.ops, by.GET.bytes, by.PUT.errors, by.ALL.ops, by.ALL.bytes)')
is "oplog stats: entries, span (first start to last end), per op and in all" "3	1.502	2	400	1	3	450" "$st"
s oplog stats cli6.tsv
has "oplog stats prints a table with percentiles" "p99 us" "$out"
s oplog convert cli6.tsv cli6.jsonl.zst
is "oplog convert exits 0" 0 "$rc"
conv=$("$S3DLUA" -e 'for e in s3d.oplog.reader("cli6.jsonl.zst") do io.write(e.op, " ", e.file, " ", e.bytes, " ", e.duration_ns, " ", e.error, ";") end')
is "oplog convert: every entry, nanoseconds and errors kept" "GET a 100 1000000 ;GET b 300 3000000 ;PUT c 50 2000000 boom;" "$conv"
s oplog stats no-such.tsv
is "oplog stats of a missing file exits 1" 1 "$rc"
has "oplog stats of a missing file names it" "no-such.tsv" "$err"
s oplog frob
is "oplog frob is a usage error" 2 "$rc"

finish
