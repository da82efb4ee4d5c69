-- s3dlua.cli: the storage commands (ls stat get put rm cp). main(arg) runs in
-- every runtime thread; data-moving commands split their objects between the
-- threads by index, and thread 1 draws the progress bar for all of them.
local s3d = require "s3dlua"
local util = require "s3dlua.util"
local progress = require "s3dlua.progress"
local pieces = require "s3dlua.pieces"
local cjson = require "cjson"

local M = {}
local THREAD, NTHREADS = s3d.thread.id, s3d.thread.count
local CHUNK = 4 * 1024 * 1024

local function eprintf(fmt, ...)
  io.stderr:write(string.format(fmt, ...))
end

-- A Lua error as a user should read it: no "file.lua:12:" location, and the
-- reason inside "bad argument #1 to 'x' (...)".
local function plain_error(e)
  e = tostring(e):gsub("^[%w_/.-]+%.lua:%d+: ", "")
  return (e:gsub("^bad argument #%d+ to '[^']*' %((.*)%)$", "%1"))
end

-- Errors of the command line itself: exit status 2.
local UsageError = {}
local function usage_error(msg) error(setmetatable({ msg = msg }, UsageError), 0) end

local help = {
  ls = [[
usage: s3dlua ls URI [-r] [--pattern GLOB] [--regex RE] [--json]
Lists the objects under URI (a prefix; a directory on file://). Directories or
common prefixes show as PRE unless -r lists everything below them.
  -r, --recursive    list every object under the prefix
  --pattern GLOB     keep objects whose name (last path part) matches GLOB
  --regex RE         keep objects whose key below URI matches the POSIX regex RE
  --json             one JSON object per line: uri, key, size, mtime, is_prefix
example: s3dlua ls -r file:///data/train/ --pattern '*.tfrecord']],
  stat = [[
usage: s3dlua stat URI [--json]
Prints the size, modification time and type (and ETag where the store has one).
example: s3dlua stat file:///data/train/shard-0001.tfrecord]],
  get = [[
usage: s3dlua get URI [-o FILE|-] [--offset N --length N] [-q]
       s3dlua get -r URI -o DIR [-j N] [-q]
Reads an object to FILE (written atomically) or to standard output (-, the
default). --offset/--length read a byte range (sizes like 4KiB are accepted).
-r downloads every object under the prefix URI into DIR.
example: s3dlua get file:///data/a.bin --offset 1MiB --length 4KiB -o part.bin]],
  put = [[
usage: s3dlua put FILE URI [-q]
       s3dlua put URI --num N --size SIZE [--template T] [--dedup N] [--compress N]
                  [--seed S] [--block SIZE] [-j N] [-q]
Writes the local FILE as the object URI (URI ending in / appends FILE's name).
With --num, creates N objects of generated data (see datagen) under the prefix
URI, named by the template (default obj_{}_of_{}.dat: the index from 0, then
N); each object's seed comes from --seed (default 0) and its index, so no two
objects share a block. -j N objects in flight (default 16), shared by the
--threads OS threads (default: all cores).
example: s3dlua put s3://bench/train/ --num 1000 --size 20MiB --dedup 2 --compress 3]],
  ["tfrecord-index"] = [[
usage: s3dlua tfrecord-index SRC [DST] [--verify] [-j N]
Writes NVIDIA DALI's index of a TFRecord file ("<offset> <size>" per record,
byte-identical to DALI's tfrecord2idx) to DST, by default SRC.idx beside it.
SRC may be a prefix ending in / (every file under it but *.idx) or a glob
(s3://b/train/*.tfrecord): one index per file, -j N files at once (default 4,
shared by --threads), DST then a directory/prefix for them. --verify checks
both CRC-32Cs of every record. A truncated or corrupt file is an error naming
the record and its offset, and leaves no index.
example: s3dlua tfrecord-index s3://bench/train/ --verify -j 8]],
  ["tfrecord-gen"] = [[
usage: s3dlua tfrecord-gen URI --records N --size DIST [--seed S] [--compress N]
                           [--no-index]
Writes a TFRecord file of N records of generated data (see datagen) and its
DALI index (URI.idx). DIST: a size (64KiB), uniform:MIN:MAX,
lognormal:MEAN:STDDEV, or weighted:SIZE=W,SIZE=W,...
example: s3dlua tfrecord-gen s3://bench/t.tfrecord --records 10000 --size lognormal:100KiB:30KiB]],
  oplog = [[
usage: s3dlua oplog stats FILE [--json]
       s3dlua oplog convert IN OUT
stats: operations by type, bytes, errors, the time span, rates and latency
percentiles (from each entry's duration) of an op-log: ours, s3dlio's or warp's,
TSV/CSV/JSONL, plain or zstd. convert: every entry of IN into OUT, in the format
OUT's name says (.tsv, .jsonl, + .zst), times to the nanosecond.
example: s3dlua oplog stats run.tsv.zst]],
  replay = [[
usage: s3dlua replay OPLOG [--target URI] [--map FROM=TO ...] [--speed X] [--fast]
                     [--concurrency N] [--filter GET,PUT] [--match GLOB]
                     [--from T] [--to T] [--prepare] [--dry-run] [--stop-on-error]
                     [--window SECS] [--skip-bad] [--json]
Runs the operations of an op-log (ours, s3dlio's or warp's; TSV/CSV/JSONL,
plain or zstd) again, each at its logged start time scaled by 1/X: --speed 10
replays a 10-minute log in 1 minute, 0.1 stretches it tenfold; --fast ignores
the times. PUTs write generated data of the logged size; GETs read and discard.
--target URI replaces each entry's scheme://bucket/ (or file:/// root) by URI;
--map FROM=TO replaces a URI prefix (repeatable, checked first). --concurrency
caps the ops in flight (default 1000): an op due while all are busy starts late
and the report says by how much. --filter keeps these ops, --match URIs matching
GLOB, --from/--to a time window (seconds after the first entry, or RFC 3339).
--prepare first creates every object the log reads before writing it, so an
empty target works. --dry-run prints the schedule (offset, op, URI, bytes)
without I/O. With --op-log FILE the replay logs its own operations.
Exit status: 0 when every op succeeded, 1 when one failed.
example: s3dlua replay run.tsv.zst --target file:///tmp/replay/ --speed 10 --prepare]],
  datagen = [[
usage: s3dlua datagen --size SIZE [--dedup N] [--compress N] [--seed S] [--block SIZE]
                      [-o URI|-]
Writes SIZE bytes of generated data to standard output (-, the default) or as
the object URI (a plain path is a local file). 1 block (--block, default 1MiB)
in N is unique with --dedup N; every 4 KiB compresses about N:1 with
--compress N (1: not at all). The same options give the same bytes anywhere.
example: s3dlua datagen --size 1GiB --dedup 4 --compress 2 -o file:///tmp/dd4c2.bin]],
  rm = [[
usage: s3dlua rm URI [-r] [-j N]
Deletes the object URI; -r deletes every object under the prefix URI (and on
file:// the emptied directories).
example: s3dlua rm -r file:///tmp/bench-run-7/]],
  mb = [[
usage: s3dlua mb URI
Creates the bucket of URI (s3://bucket).
example: s3dlua --endpoint-url http://127.0.0.1:7480 mb s3://bench]],
  rb = [[
usage: s3dlua rb URI
Deletes the (empty) bucket of URI; rm -r its objects first.
example: s3dlua rb s3://bench]],
  cp = [[
usage: s3dlua cp SRC DST [-r] [-j N] [-q]
Copies between any two stores (plain paths are local files). A DST ending in /
receives SRC's name. -r copies every object under the prefix SRC to the prefix
DST keeping relative names. -j N objects in flight in total (default 16); the
objects are shared among --threads OS threads (default: all cores). A progress
bar with bytes/s and ETA is drawn on stderr when it is a terminal, unless -q.
example: s3dlua cp -r -j 32 file:///data/train/ direct:///mnt/nvme/train/]],
}

-- Parses args by spec: flags = {["-r"]="recursive", ...}, values = {["-o"]="output", ...}.
local function parse(args, flags, values)
  local opts, pos = {}, {}
  local i = 1
  while i <= #args do
    local a = args[i]
    local name, inline = a:match("^(%-%-[%w-]+)=(.*)$")
    if name then a = name end
    if a == "--help" or a == "-h" then
      opts.help = true
    elseif a == "-q" or a == "--quiet" then
      opts.quiet = true
    elseif flags[a] then
      opts[flags[a]] = true
    elseif values[a] then
      local v = inline
      if not v then
        i = i + 1
        v = args[i]
        if v == nil then usage_error(a .. " needs a value") end
      end
      opts[values[a]] = v
    elseif a ~= "-" and a:sub(1, 1) == "-" then
      usage_error("unknown option " .. a)
    else
      pos[#pos + 1] = a
    end
    i = i + 1
  end
  return opts, pos
end

local function fail(cmd, err)
  error({ cli = true, msg = cmd .. " " .. tostring(err) }, 0)
end

local function open_uri(cmd, uri)
  local st, key = s3d.open_uri(s3d.to_uri(uri))
  if not st then fail(cmd, key) end
  return st, key
end

local function json(t)
  return (cjson.encode(t):gsub("\\/", "/"))
end

local function iso_time(t)
  if not t then return "-" end
  return os.date("!%Y-%m-%dT%H:%M:%SZ", math.floor(t))
end

local function basename(path) return path:match("([^/]*)/?$") end

-- A directory on file-like stores is a prefix: add the slash the user left out.
local function as_prefix(st, key)
  if key == "" or key:sub(-1) == "/" then return key end
  local info = st:stat(key)
  if info and info.is_dir then return key .. "/" end
  return key
end

---------------------------------------------------------------- progress bar
local Progress = {}
Progress.__index = Progress

-- The bar appears once a copy has run this long (S3DLUA_PROGRESS_DELAY seconds).
local PROGRESS_DELAY = tonumber(os.getenv("S3DLUA_PROGRESS_DELAY") or "") or 0.5

local function new_progress(quiet)
  local p = setmetatable({ start = s3d.now(), drawn = false }, Progress)
  p.enabled = THREAD == 1 and not quiet and util.isatty(2)
  return p
end

function Progress:draw(final)
  local tb, tobj, db, dobj = progress.get()
  local secs = (s3d.now() - self.start) / 1e9
  if not final and secs < PROGRESS_DELAY then return end
  local rate = secs > 0 and db / secs or 0
  local pct = tb > 0 and db / tb or 0
  local eta = rate > 0 and (tb - db) / rate or 0
  local width = 24
  local fill = math.floor(pct * width + 0.5)
  io.stderr:write(string.format("\r[%s%s] %3d%%  %s / %s  %s/s  %d/%d objects  ETA %ds \27[K",
    string.rep("#", fill), string.rep(".", width - fill), math.floor(pct * 100),
    s3d.fmt_size(db), s3d.fmt_size(tb), s3d.fmt_size(rate), dobj, tobj, math.ceil(eta)))
  self.drawn = true
end

function Progress:run(is_done)
  if not self.enabled then return end
  self.task = s3d.spawn(function()
    while not is_done() do
      s3d.sleep(0.2)
      if not is_done() then self:draw(false) end
    end
  end)
end

function Progress:finish()
  if self.drawn or (self.enabled and (s3d.now() - self.start) / 1e9 >= PROGRESS_DELAY) then
    self:draw(true)
    io.stderr:write("\n")
  end
end

---------------------------------------------------------------- copying
-- Streams object skey of src (size bytes) into writer w, pieces fetched
-- ahead (pieces.each) and written in order.
local function stream_copy(src, skey, size, w, bufs)
  local total = 0
  local ok, err = pieces.each(src, skey, size, bufs, function(buf)
    local wrote, werr = w:write(buf)
    if not wrote then return nil, werr end
    total = total + wrote
    progress.add(3, wrote)
    return true
  end)
  if not ok then return nil, err end
  return total
end

-- Copies one object; returns bytes or nil, err. An object whose size is
-- known (from the listing or a stat) and fits in a chunk is one GET and one
-- PUT. Larger ones stream through a writer (stream_copy): memory stays bounded
-- and nothing is visible at dst until the commit.
local function copy_object(src, skey, dst, dkey, bufs, size)
  local err
  if not size then
    local st
    st, err = src:stat(skey)
    if not st then return nil, err end
    size = st.size
  end
  if size <= CHUNK then
    local n
    n, err = src:get(skey, { into = bufs[1] })
    if not n then return nil, err end
    n, err = dst:put(dkey, bufs[1])
    if not n then return nil, err end
    progress.add(3, n)
    return n
  end
  local w
  w, err = dst:writer(dkey)
  if not w then return nil, err end
  local total
  total, err = stream_copy(src, skey, size, w, bufs)
  if not total then w:close() return nil, err end
  local n
  n, err = w:commit()
  if not n then return nil, err end
  return total
end

-- Runs fn(item) over items with `jobs` tasks in flight; returns failures.
local function parallel(items, jobs, fn)
  local next_i, failures = 0, 0
  local tasks = {}
  for w = 1, math.max(1, math.min(jobs, #items)) do
    tasks[w] = s3d.spawn(function()
      while true do
        next_i = next_i + 1
        local item = items[next_i]
        if not item then return end
        if not fn(item) then failures = failures + 1 end
      end
    end)
  end
  -- an fn that raised has printed its traceback; it failed too
  return failures + s3d.wait(tasks)
end

local function per_thread_jobs(j)
  return math.max(1, math.ceil(j / NTHREADS))
end

local function add_bytes(n) progress.add(3, n) end

-- Copies a list of {src=, skey=, dst=, dkey=, size=} jobs (this thread's share);
-- an item with gen= (datagen options) instead of src/skey puts generated data.
local function copy_all(cmd, items, opts)
  local my = {}
  local bytes = 0
  for i, it in ipairs(items) do
    if (i - 1) % NTHREADS == THREAD - 1 then
      my[#my + 1] = it
      bytes = bytes + (it.size or 0)
    end
  end
  progress.add(1, bytes)
  progress.add(2, #my)
  local bar = new_progress(opts.quiet)
  local finished = false
  bar:run(function() return finished end)
  local jobs = per_thread_jobs(tonumber(opts.jobs) or 16)
  -- chunk buffers per worker task, reused for every object: two (one piece
  -- read ahead while one is written) when many objects keep the workers busy;
  -- with fewer objects than workers, the idle workers' share goes to reading
  -- ahead within each object (up to 8: 32 MiB and 7 reads in flight)
  local nbuf = math.max(2, math.min(8, math.floor(2 * jobs / math.max(1, #my))))
  local bufs = {}
  local failures = parallel(my, jobs, function(it)
    local co = coroutine.running()
    local pair = bufs[co]
    if not pair then
      pair = {}
      for i = 1, nbuf do pair[i] = s3d.buffer(CHUNK) end
      bufs[co] = pair
    end
    local t0 = s3d.now()
    local n, err
    if it.gen then -- generated data (put --num): a generator per object, made here
      n, err = s3d.datagen.put(it.dst, it.dkey, s3d.datagen.new(it.gen), add_bytes)
    else
      n, err = copy_object(it.src, it.skey, it.dst, it.dkey, pair, it.size)
    end
    local from = it.gen and "generated" or it.src:uri(it.skey)
    if not n then
      eprintf("s3dlua: %s %s -> %s: %s\n", cmd, from, it.dst:uri(it.dkey),
        tostring(type(err) == "table" and err.detail or err))
      return false
    end
    progress.add(4, 1)
    util.log(1, string.format("%s %s -> %s: %d bytes in %.3f ms", cmd, from,
      it.dst:uri(it.dkey), n, (s3d.now() - t0) / 1e6))
    return true
  end)
  finished = true
  if bar.task then bar.task:join() end
  bar:finish()
  return failures == 0 and 0 or 1
end

local function dst_key_for(dkey, name)
  if dkey == "" or dkey:sub(-1) == "/" then return dkey .. name end
  return dkey
end

-- Builds the copy list for SRC -> DST (single object or -r).
local function plan_copy(cmd, src_uri, dst_uri, recursive)
  local src, skey = open_uri(cmd, src_uri)
  local dst, dkey = open_uri(cmd, dst_uri)
  local items = {}
  if recursive then
    local prefix = as_prefix(src, skey)
    if dkey ~= "" and dkey:sub(-1) ~= "/" then dkey = dkey .. "/" end
    local entries, err = src:ls(prefix, { recursive = true })
    if not entries then fail(cmd, err) end
    for _, e in ipairs(entries) do
      if not e.is_prefix then
        items[#items + 1] = { src = src, skey = e.key, dst = dst,
          dkey = dkey .. e.key:sub(#prefix + 1), size = e.size }
      end
    end
    if #items == 0 and THREAD == 1 then
      eprintf("s3dlua: %s %s: no objects under this prefix\n", cmd, src:uri(prefix))
    end
    return items
  end
  local info, err = src:stat(skey)
  if not info then fail(cmd, err) end
  if info.is_dir then fail(cmd, src:uri(skey) .. ": is a directory (use -r)") end
  items[1] = { src = src, skey = skey, dst = dst, dkey = dst_key_for(dkey, basename(skey)),
    size = info.size }
  return items
end

---------------------------------------------------------------- commands
local commands = {}

---------------------------------------------------------------- oplog
local function oplog_stats(path, as_json)
  local by, order = {}, {}
  local first, last, n = math.huge, 0, 0
  local all = s3d.stats.histogram { preset = "training" } -- up to 10 s, 3 digits
  local ok, err = pcall(function()
    for e in s3d.oplog.reader(path, { light = true }) do
      local o = by[e.op]
      if not o then
        o = { op = e.op, n = 0, bytes = 0, errors = 0, h = s3d.stats.histogram { preset = "training" } }
        by[e.op] = o
        order[#order + 1] = e.op
      end
      o.n, o.bytes = o.n + 1, o.bytes + e.bytes
      if e.error ~= "" then o.errors = o.errors + 1 end
      o.h:record(e.duration_ns)
      all:record(e.duration_ns)
      n = n + 1
      if e.start < first then first = e.start end
      if e["end"] > last then last = e["end"] end
    end
  end)
  if not ok then fail("oplog", plain_error(err)) end
  table.sort(order)
  local span = n > 0 and last - first or 0
  local function row(name, o, h)
    return { op = name, ops = o.n, bytes = o.bytes, errors = o.errors,
      ops_per_s = span > 0 and o.n / span or 0, mb_per_s = span > 0 and o.bytes / span / 1e6 or 0,
      p50_us = h:percentile(50) / 1e3, p90_us = h:percentile(90) / 1e3, p99_us = h:percentile(99) / 1e3,
      p999_us = h:percentile(99.9) / 1e3, max_us = h:max() / 1e3 }
  end
  local rows, tot = {}, { n = 0, bytes = 0, errors = 0 }
  for _, op in ipairs(order) do
    local o = by[op]
    rows[#rows + 1] = row(op, o, o.h)
    tot.n, tot.bytes, tot.errors = tot.n + o.n, tot.bytes + o.bytes, tot.errors + o.errors
  end
  rows[#rows + 1] = row("ALL", tot, all)
  if as_json then
    print(json { file = path, entries = n, span_s = span, ops = rows })
    return 0
  end
  print(string.format("%s: %d entries over %.3f s", path, n, span))
  print(string.format("%-18s %10s %14s %7s %11s %9s %10s %10s %10s %10s %10s", "op", "ops", "bytes",
    "errors", "ops/s", "MB/s", "p50 us", "p90 us", "p99 us", "p99.9 us", "max us"))
  for _, r in ipairs(rows) do
    print(string.format("%-18s %10d %14d %7d %11.1f %9.2f %10.1f %10.1f %10.1f %10.1f %10.1f", r.op,
      r.ops, r.bytes, r.errors, r.ops_per_s, r.mb_per_s, r.p50_us, r.p90_us, r.p99_us, r.p999_us,
      r.max_us))
  end
  return 0
end

commands.oplog = function(args)
  local opts, pos = parse(args, { ["--json"] = "json" }, {})
  if opts.help then return "help" end
  if THREAD ~= 1 then return 0 end
  if pos[1] == "stats" and #pos == 2 then return oplog_stats(pos[2], opts.json) end
  if pos[1] == "convert" and #pos == 3 then
    local ok, n = pcall(s3d.oplog.convert, pos[2], pos[3])
    if not ok then fail("oplog", plain_error(n)) end
    util.log(1, string.format("oplog convert %s -> %s: %d entries", pos[2], pos[3], n))
    return 0
  end
  usage_error("oplog stats FILE | oplog convert IN OUT")
end

---------------------------------------------------------------- replay
commands.replay = function(args)
  local flags = { ["--fast"] = "fast", ["--prepare"] = "prepare", ["--dry-run"] = "dry_run",
    ["--stop-on-error"] = "stop_on_error", ["--skip-bad"] = "skip_bad", ["--json"] = "json" }
  local values = { ["--target"] = "target", ["--speed"] = "speed", ["--concurrency"] = "concurrency",
    ["--filter"] = "filter", ["--match"] = "match", ["--from"] = "from", ["--to"] = "to",
    ["--window"] = "window" }
  -- --map may be given several times
  local maps, rest = {}, {}
  local i = 1
  while i <= #args do
    local a = args[i]
    if a == "--map" then
      if not args[i + 1] then usage_error("--map needs FROM=TO") end
      maps[#maps + 1] = args[i + 1]
      i = i + 1
    elseif a:match("^%-%-map=") then
      maps[#maps + 1] = a:sub(7)
    else
      rest[#rest + 1] = a
    end
    i = i + 1
  end
  local opts, pos = parse(rest, flags, values)
  if opts.help then return "help" end
  if #pos ~= 1 then usage_error("replay needs one op-log") end
  if THREAD ~= 1 then return 0 end -- one schedule: the other threads would replay it again
  for _, m in ipairs(maps) do
    if not m:find("=", 1, true) then usage_error("--map '" .. m .. "' is not FROM=TO") end
  end
  local function number(name, v, min)
    if v == nil then return nil end
    local n = tonumber(v)
    if not n or n < min or n ~= n or n == math.huge then
      usage_error(name .. " needs a number" .. (min > 0 and " > 0" or "") .. ", not '" .. v .. "'")
    end
    return n
  end
  local speed = number("--speed", opts.speed, 0)
  if speed == 0 then usage_error("--speed needs a number > 0, not '" .. opts.speed .. "'") end
  local conc = number("--concurrency", opts.concurrency, 1)
  local replay = require "s3dlua.replay"
  for _, k in ipairs { "from", "to" } do
    local v = opts[k]
    if v and not pcall(replay.when, tonumber(v) or v, k) then
      usage_error("--" .. k .. " needs seconds after the first entry (30, 1m) or an RFC 3339 time, not '" .. v .. "'")
    end
  end
  local o = { log = pos[1], target = opts.target and s3d.to_uri(opts.target), map = maps,
    speed = speed, fast = opts.fast, concurrency = conc and math.floor(conc), filter = opts.filter,
    match = opts.match, from = tonumber(opts.from) or opts.from, to = tonumber(opts.to) or opts.to,
    prepare = opts.prepare, stop_on_error = opts.stop_on_error, skip_bad = opts.skip_bad,
    window = number("--window", opts.window, 0) }
  if opts.dry_run then o.dry_run = function(line) print(line) end end
  local ok, report = pcall(replay.run, o)
  if not ok then fail("replay", plain_error(report)) end
  if opts.json then
    print(json(report))
  elseif opts.dry_run then
    io.stderr:write(replay.format(report), "\n")
  else
    print(replay.format(report))
  end
  return (report.failed or 0) > 0 and 1 or 0
end

---------------------------------------------------------------- tfrecord
local GLOB_CHARS = "[%*%?%[]"

-- The TFRecord files SRC names: {st=, key=} for one file, every file under a
-- prefix (not *.idx) or those whose key matches a glob.
local function tfrecord_sources(cmd, src_uri)
  local st, key = open_uri(cmd, src_uri)
  local g = key:find(GLOB_CHARS)
  if not g and key ~= "" and key:sub(-1) ~= "/" then
    local info = st:stat(key)
    if not (info and info.is_dir) then return st, { key }, nil end
    key = key .. "/" -- a directory named without its slash
  end
  local _, depth = key:gsub("/", "") -- a glob's * stays within its directory, as in a shell
  local prefix = g and key:sub(1, g - 1):match("^(.*/)") or (g and "" or key)
  local entries, err = st:ls(prefix, { recursive = true })
  if not entries then fail(cmd, err) end
  local keys = {}
  for _, e in ipairs(entries) do
    if not e.is_prefix and not e.key:match("%.idx$") and
      (not g or (select(2, e.key:gsub("/", "")) == depth and util.glob(key, e.key))) then
      keys[#keys + 1] = e.key
    end
  end
  table.sort(keys)
  return st, keys, prefix
end

commands["tfrecord-index"] = function(args)
  local opts, pos = parse(args, { ["--verify"] = "verify" }, { ["-j"] = "jobs", ["--jobs"] = "jobs" })
  if opts.help then return "help" end
  if #pos < 1 or #pos > 2 then usage_error("tfrecord-index needs SRC [DST]") end
  local st, keys, prefix = tfrecord_sources("tfrecord-index", pos[1])
  if #keys == 0 then fail("tfrecord-index", pos[1] .. ": no files") end
  local dst, dkey
  if pos[2] then dst, dkey = open_uri("tfrecord-index", pos[2]) end
  local items = {}
  for i, key in ipairs(keys) do
    if (i - 1) % NTHREADS == THREAD - 1 then
      local it = { key = key, dst = dst or st, dkey = key .. ".idx" }
      if dst and (prefix or dkey == "" or dkey:sub(-1) == "/") then
        local base = prefix and key:sub(#prefix + 1) or basename(key)
        it.dkey = (dkey == "" or dkey:sub(-1) == "/") and dkey .. base .. ".idx" or dkey .. "/" .. base .. ".idx"
      elseif dst then
        it.dkey = dkey
      end
      items[#items + 1] = it
    end
  end
  local jobs = per_thread_jobs(tonumber(opts.jobs) or 4)
  local failures = parallel(items, jobs, function(it)
    local t0 = s3d.now()
    local n, err = s3d.tfrecord.index(st, it.key, { verify = opts.verify, dst = it.dst, dst_key = it.dkey })
    if not n then
      eprintf("s3dlua: tfrecord-index %s\n", tostring(err))
      return false
    end
    util.log(1, string.format("tfrecord-index %s -> %s: %d records%s in %.3f ms", st:uri(it.key),
      it.dst:uri(it.dkey), n, opts.verify and " verified" or "", (s3d.now() - t0) / 1e6))
    return true
  end)
  return failures == 0 and 0 or 1
end

-- "64KiB" | "uniform:MIN:MAX" | "lognormal:MEAN:SD" | "weighted:S=W,S=W" -> sampler
local function size_sampler(spec, seed)
  local kind, rest = spec:match("^(%a+):(.*)$")
  local sizes = s3d.datagen.sizes
  local ok, f = pcall(function()
    if not kind then return sizes.fixed(spec) end
    if kind == "uniform" or kind == "lognormal" then
      local a, b = rest:match("^([^:]+):([^:]+)$")
      if not a then error(kind .. " needs two values (" .. kind .. ":A:B)", 0) end
      return sizes[kind](a, b, seed)
    end
    if kind == "weighted" then
      local list = {}
      for item in rest:gmatch("[^,]+") do
        local sz, w = item:match("^([^=]+)=([%d.]+)$")
        if not sz then error("weighted needs SIZE=WEIGHT,... ('" .. item .. "')", 0) end
        list[#list + 1] = { sz, tonumber(w) }
      end
      return sizes.weighted(list, seed)
    end
    error("unknown distribution '" .. kind .. "' (uniform, lognormal, weighted)", 0)
  end)
  if not ok then usage_error("--size " .. spec .. ": " .. plain_error(f)) end
  return f
end

commands["tfrecord-gen"] = function(args)
  local opts, pos = parse(args, { ["--no-index"] = "no_index" }, { ["--records"] = "records",
    ["--size"] = "size", ["--seed"] = "seed", ["--compress"] = "compress" })
  if opts.help then return "help" end
  if #pos ~= 1 then usage_error("tfrecord-gen needs one URI") end
  local n = tonumber(opts.records)
  if not n or n < 0 or n ~= math.floor(n) then usage_error("--records N: a whole number") end
  if not opts.size then usage_error("--size is needed") end
  local seed = opts.seed or 0
  local next_size = size_sampler(opts.size, seed)
  local compress = tonumber(opts.compress or 1)
  local okg, gen = pcall(s3d.datagen.new, { seed = seed, compress = compress })
  if not okg then usage_error((plain_error(gen):gsub("^datagen: ", ""))) end
  if THREAD ~= 1 then return 0 end
  local st, key = open_uri("tfrecord-gen", pos[1])
  local w, err = s3d.tfrecord.writer(st, key, { index = not opts.no_index })
  if not w then fail("tfrecord-gen", err) end
  local buf = s3d.buffer(65536)
  for _ = 1, n do
    gen:fill(buf, next_size())
    local ok
    ok, err = w:write(buf)
    if not ok then w:close() fail("tfrecord-gen", err) end
  end
  local records, bytes = w:commit()
  if not records then fail("tfrecord-gen", bytes) end
  util.log(1, string.format("tfrecord-gen %s: %d records, %d bytes", st:uri(key), records, bytes))
  return 0
end

function commands.ls(args)
  local opts, pos = parse(args, { ["-r"] = "recursive", ["--recursive"] = "recursive",
    ["--json"] = "json" }, { ["--pattern"] = "pattern", ["--regex"] = "regex" })
  if opts.help then return "help" end
  if #pos ~= 1 then usage_error("ls needs one URI") end
  local st, key = open_uri("ls", pos[1])
  local prefix = as_prefix(st, key)
  local re
  if opts.regex then
    local msg
    re, msg = util.regex(opts.regex)
    if not re then usage_error(msg) end
  end
  local entries, err = st:ls(prefix, { recursive = opts.recursive })
  if not entries then fail("ls", err) end
  if #entries == 0 and key ~= "" and (st:scheme() == "file" or st:scheme() == "direct") then
    -- a directory that does not exist is an error; an object store just has no such keys
    local _, serr = st:stat((prefix:gsub("/$", "")))
    if serr and serr.code == "not_found" then fail("ls", serr) end
  end
  local out = {}
  for _, e in ipairs(entries) do
    local rel = e.key:sub(#prefix + 1)
    local keep = true
    if opts.pattern and not util.glob(opts.pattern, basename(e.key)) then keep = false end
    if re and not re:match(e.key:sub(#prefix + 1)) then keep = false end
    if keep then
      local uri = st:uri(e.key)
      if opts.json then
        out[#out + 1] = json({ uri = uri, key = rel, size = e.size,
          mtime = e.is_prefix and nil or iso_time(e.mtime), is_prefix = e.is_prefix or false })
      elseif e.is_prefix then
        out[#out + 1] = string.format("%20s  %14s  %s", "", "PRE", uri)
      else
        out[#out + 1] = string.format("%20s  %14d  %s", iso_time(e.mtime), e.size, uri)
      end
    end
  end
  if #out > 0 then io.stdout:write(table.concat(out, "\n"), "\n") end
  return 0
end

function commands.stat(args)
  local opts, pos = parse(args, { ["--json"] = "json" }, {})
  if opts.help then return "help" end
  if #pos ~= 1 then usage_error("stat needs one URI") end
  local st, key = open_uri("stat", pos[1])
  local info, err = st:stat(key)
  if not info then fail("stat", err) end
  local uri = st:uri(key)
  local kind = info.is_dir and "directory" or "object"
  if opts.json then
    print(json({ uri = uri, size = info.size, mtime = iso_time(info.mtime),
      type = kind, etag = info.etag }))
  else
    print("uri:   " .. uri)
    print("size:  " .. string.format("%d", info.size) .. " (" .. s3d.fmt_size(info.size) .. ")")
    print("mtime: " .. iso_time(info.mtime))
    print("type:  " .. kind)
    if info.etag then print("etag:  " .. info.etag) end
  end
  return 0
end

local function write_stdout(st, key, opts)
  local r, err = st:reader(key)
  if not r then fail("get", err) end
  local buf = s3d.buffer(CHUNK)
  local remaining = opts.length and s3d.size(opts.length) or math.huge
  local off = opts.offset and s3d.size(opts.offset) or 0
  if opts.offset and off >= r:size() and r:size() > 0 then
    r:close()
    fail("get", st:uri(key) .. ": range starts past the end (" .. r:size() .. " bytes)")
  end
  while remaining > 0 do
    local n
    n, err = r:read(buf, math.min(CHUNK, remaining))
    if not n then r:close() fail("get", err) end
    if n == 0 then break end
    local ok, werr = util.write(1, buf)
    if not ok then r:close() fail("get", "stdout: " .. werr) end
    remaining = remaining - n
  end
  r:close()
end

function commands.get(args)
  local opts, pos = parse(args, { ["-r"] = "recursive", ["--recursive"] = "recursive" },
    { ["-o"] = "output", ["--output"] = "output", ["--offset"] = "offset",
      ["--length"] = "length", ["-j"] = "jobs", ["--jobs"] = "jobs" })
  if opts.help then return "help" end
  if #pos ~= 1 then usage_error("get needs one URI") end
  if opts.recursive then
    local dir = opts.output or "."
    if dir == "-" then usage_error("get -r needs a directory (-o DIR)") end
    return copy_all("get", plan_copy("get", pos[1], dir:gsub("/?$", "/"), true), opts)
  end
  local st, key = open_uri("get", pos[1])
  if THREAD ~= 1 then return 0 end
  local out = opts.output or "-"
  if out == "-" then
    if opts.offset then
      -- reader reads sequentially from 0; a range uses one ranged get.
      local buf, err = st:get(key, { offset = opts.offset, length = opts.length })
      if not buf then fail("get", err) end
      local ok, werr = util.write(1, buf)
      if not ok then fail("get", "stdout: " .. werr) end
      return 0
    end
    write_stdout(st, key, opts)
    return 0
  end
  local dst, dkey = open_uri("get", out)
  if opts.offset or opts.length then
    local buf, err = st:get(key, { offset = opts.offset or 0, length = opts.length })
    if not buf then fail("get", err) end
    local ok
    ok, err = dst:put(dkey, buf)
    if not ok then fail("get", err) end
    return 0
  end
  return copy_all("get", plan_copy("get", pos[1], out, false), opts)
end

local GEN_VALUES = { ["--size"] = "size", ["--dedup"] = "dedup", ["--compress"] = "compress",
  ["--seed"] = "seed", ["--block"] = "block" }

-- datagen options from the command line, checked by making a generator
local function gen_options(cmd, opts)
  if not opts.size then usage_error("--size is needed") end
  local g = { size = opts.size, block = opts.block, seed = opts.seed }
  for _, k in ipairs { "dedup", "compress" } do
    if opts[k] then
      g[k] = tonumber(opts[k])
      if not g[k] then usage_error("--" .. k .. " " .. opts[k] .. ": a number") end
    end
  end
  local ok, err = pcall(s3d.datagen.new, g)
  if not ok then usage_error((plain_error(err):gsub("^datagen: ", ""))) end
  return g
end

function commands.datagen(args)
  local values = { ["-o"] = "output", ["--output"] = "output" }
  for k, v in pairs(GEN_VALUES) do values[k] = v end
  local opts, pos = parse(args, {}, values)
  if opts.help then return "help" end
  if #pos ~= 0 then usage_error("datagen takes no positional arguments") end
  local gen = s3d.datagen.new(gen_options("datagen", opts))
  if THREAD ~= 1 then return 0 end
  local out = opts.output or "-"
  if out ~= "-" then
    local st, key = open_uri("datagen", out)
    local n, err = st:put(key, gen)
    if not n then fail("datagen", err) end
    return 0
  end
  local piece = 1024 * 1024 -- a buffer that stays in the CPU's cache between writes
  local buf = s3d.buffer(piece)
  while true do
    local n = gen:fill(buf, piece)
    if n == 0 then break end
    local ok, werr = util.write(1, buf)
    if not ok then fail("datagen", "stdout: " .. werr) end
  end
  return 0
end

-- put URI --num N --size S [--template T]: N generated objects
local function put_generated(opts, pos)
  if #pos ~= 1 then usage_error("put --num needs one URI (a prefix)") end
  local num = tonumber(opts.num)
  if not num or num < 1 or num ~= math.floor(num) then
    usage_error("--num " .. tostring(opts.num) .. ": a whole number >= 1")
  end
  local g = gen_options("put", opts)
  local tmpl = opts.template or "obj_{}_of_{}.dat"
  local dst, dkey = open_uri("put", pos[1])
  if dkey ~= "" and dkey:sub(-1) ~= "/" then dkey = dkey .. "/" end
  local items = {}
  for i = 0, num - 1 do
    local vals, k = { i, num }, 0
    local name = tmpl:gsub("{}", function() k = k + 1 return tostring(vals[k] or "") end)
    local gi = { index = i }
    for key, v in pairs(g) do gi[key] = v end
    items[#items + 1] = { dst = dst, dkey = dkey .. name, gen = gi, size = s3d.size(g.size) }
  end
  return copy_all("put", items, opts)
end

function commands.put(args)
  local values = { ["-j"] = "jobs", ["--jobs"] = "jobs", ["--num"] = "num",
    ["--template"] = "template" }
  for k, v in pairs(GEN_VALUES) do values[k] = v end
  local opts, pos = parse(args, {}, values)
  if opts.help then return "help" end
  if opts.num then return put_generated(opts, pos) end
  if #pos ~= 2 then usage_error("put needs FILE and URI") end
  if pos[2]:match("^[%a][%w+.-]*://") == nil then
    usage_error("put FILE URI: the destination must be a URI (" .. pos[2] .. ")")
  end
  return copy_all("put", plan_copy("put", pos[1], pos[2], false), opts)
end

function commands.cp(args)
  local opts, pos = parse(args, { ["-r"] = "recursive", ["--recursive"] = "recursive" },
    { ["-j"] = "jobs", ["--jobs"] = "jobs" })
  if opts.help then return "help" end
  if #pos ~= 2 then usage_error("cp needs SRC and DST") end
  if opts.jobs and (not tonumber(opts.jobs) or tonumber(opts.jobs) < 1) then
    usage_error("-j needs a positive number")
  end
  return copy_all("cp", plan_copy("cp", pos[1], pos[2], opts.recursive), opts)
end

function commands.rm(args)
  local opts, pos = parse(args, { ["-r"] = "recursive", ["--recursive"] = "recursive" },
    { ["-j"] = "jobs", ["--jobs"] = "jobs" })
  if opts.help then return "help" end
  if #pos ~= 1 then usage_error("rm needs one URI") end
  local st, key = open_uri("rm", pos[1])
  if not opts.recursive then
    local info = st:stat(key)
    if info and info.is_dir then fail("rm", st:uri(key) .. ": is a directory (use -r)") end
    local ok, err = st:delete(key)
    if not ok then fail("rm", err) end
    return 0
  end
  local prefix = as_prefix(st, key)
  local entries, err = st:ls(prefix, { recursive = true })
  if not entries then fail("rm", err) end
  local keys = {}
  for _, e in ipairs(entries) do
    if not e.is_prefix then keys[#keys + 1] = e.key end
  end
  -- batches of 1000 keys (one DeleteObjects request on S3), a few in flight
  local batches = {}
  for i = 1, #keys, 1000 do batches[#batches + 1] = { unpack(keys, i, math.min(i + 999, #keys)) } end
  local failures = 0
  parallel(batches, tonumber(opts.jobs) or 4, function(batch)
    local n, bad = st:delete_many(batch)
    if not n then
      eprintf("s3dlua: rm %s\n", tostring(bad))
      failures = failures + #batch
      return false
    end
    for _, f in ipairs(bad) do eprintf("s3dlua: rm %s: %s\n", st:uri(f.key), f.error) end
    failures = failures + #bad
    return #bad == 0
  end)
  if failures == 0 and (st:scheme() == "file" or st:scheme() == "direct") and
      prefix:sub(-1) == "/" then
    local ok, derr = st:delete(prefix)
    if not ok and derr.code ~= "not_found" then fail("rm", derr) end
  end
  return failures == 0 and 0 or 1
end

local function bucket_cmd(name, method)
  return function(args)
    local opts, pos = parse(args, {}, {})
    if opts.help then return "help" end
    if #pos ~= 1 then usage_error(name .. " needs one URI") end
    local st = open_uri(name, pos[1])
    local ok, err = st[method](st)
    if not ok then fail(name, err) end
    return 0
  end
end
commands.mb = bucket_cmd("mb", "create_bucket")
commands.rb = bucket_cmd("rb", "delete_bucket")

-- main(arg): arg[0] is the command name. Returns the exit status.
function M.main(arg)
  local name = arg[0]
  local cmd = commands[name]
  if not cmd then
    eprintf("s3dlua: unknown command '%s' (try s3dlua --help)\n", tostring(name))
    return 2
  end
  local args = {}
  for i = 1, #arg do args[i] = arg[i] end
  local ok, res = pcall(cmd, args)
  if ok then
    if res == "help" then
      if THREAD == 1 then print(help[name]) end
      return 0
    end
    return res or 0
  end
  if getmetatable(res) == UsageError then
    if THREAD ~= 1 then return 2 end -- every thread parsed the same line: one says so
    eprintf("s3dlua: %s: %s\n%s\n", name, res.msg, help[name])
    return 2
  end
  if type(res) == "table" and res.cli then
    if THREAD == 1 then eprintf("s3dlua: %s\n", res.msg) end
    return 1
  end
  error(res, 0)
end

return M
