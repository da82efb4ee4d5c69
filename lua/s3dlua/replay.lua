-- s3dlua.replay: replays an op-log (ours, s3dlio's or warp's) against any
-- store, at any speed (DESIGN 5).
--
--   local replay = require "s3dlua.replay"
--   local report = replay.run{ log = "run.tsv.zst", target = "file:///tmp/t/", speed = 10 }
--   print(replay.format(report))
--
-- Options: log (path), speed (> 0, default 1), fast (ignore the schedule),
-- concurrency (ops in flight, default 1000), target (URI: each entry's
-- scheme://bucket/ or file:/// root is replaced by it; a bare key is joined
-- to it), map ({"s3://old/=file:///new/", ...} or {{from, to}, ...}: prefix
-- rules, first match wins, before target), filter ({"GET", "PUT"} or
-- "GET,PUT"), match (a glob on the logged URI), from / to (seconds after the
-- first entry's start, or RFC 3339 times), on_op(e) (e = {op=, uri=, bytes=,
-- t=, src=}: change it in place; return false to skip it), prepare (first
-- create every object whose first access is not a PUT, size from the log),
-- dry_run (print the schedule, no I/O; a function receives each line),
-- stop_on_error, oplog (a path: this replay's own op-log), window (seconds of
-- log time an entry may come late in the file and still be put in order,
-- default 5; logs are written in completion order), skip_bad.
--
-- The schedule is absolute: entry i starts at anchor + (t_i - t_first) /
-- speed, t from the log's start times and the anchor one monotonic clock
-- reading, so waits never add up to drift. s3d.sleep_until keeps it to
-- microseconds. A worker pool (at most `concurrency` tasks) runs the ops; an op
-- due while all are busy starts when one frees, and how late each op started
-- goes into the lateness histogram.
local s3d = require "s3dlua"
local util = require "s3dlua.util"
local datagen = require "s3dlua.datagen"
local rd = require "s3dlua.oplog_read"

local M = {}
local CHUNK = 4 * 1024 * 1024
local DISCARD = { discard = true }
local RUNS = { GET = true, GET_RANGE = true, PUT = true, HEAD = true, DELETE = true, LIST = true,
  CREATE_CONTAINER = true, DELETE_CONTAINER = true }
local READS = { GET = true, GET_RANGE = true, HEAD = true, DELETE = true }

local function op_set(filter)
  if not filter then return nil end
  local set = {}
  if type(filter) == "string" then
    for op in filter:gmatch("[^,%s]+") do set[op:upper()] = true end
  else
    for _, op in ipairs(filter) do set[op:upper()] = true end
  end
  if set.STAT then set.HEAD = true end
  return set
end

-- "30s", 30 -> seconds after the first entry; "2026-...Z" -> absolute seconds
-- (M.when: the CLI checks --from/--to with it)
local function when(v, name)
  if v == nil then return nil end
  if type(v) == "string" and v:match("^%d%d%d%d%-") then
    local t = rd.parse_time(v)
    if not t then error(name .. ": '" .. v .. "' is not an RFC 3339 time", 0) end
    return { abs = t }
  end
  local ok, s = pcall(s3d.duration, v)
  if not ok then error(name .. ": '" .. tostring(v) .. "' is not a duration or an RFC 3339 time", 0) end
  return { rel = s }
end

M.when = when

local function retargeter(o)
  local maps = {}
  for _, m in ipairs(o.map or {}) do
    local from, to
    if type(m) == "string" then
      from, to = m:match("^(.-)=(.*)$")
    else
      from, to = m[1], m[2]
    end
    if not from or from == "" then error("map: '" .. tostring(m) .. "' is not FROM=TO", 0) end
    maps[#maps + 1] = { from, to }
  end
  local target = o.target
  if target and not target:match("/$") then target = target .. "/" end
  return function(uri)
    for _, m in ipairs(maps) do
      if uri:sub(1, #m[1]) == m[1] then return m[2] .. uri:sub(#m[1] + 1) end
    end
    if target then
      local root, key = s3d.split_uri(uri)
      if not root then key = uri:gsub("^/+", "") end -- a bare key (warp logs name no bucket)
      return target .. key
    end
    return uri
  end
end

---------------------------------------------------------------- entries in start order
-- A min-heap on (t, seq): the log is in completion order, so an entry may
-- come after entries that started later; it is held until `window` of log
-- time has been read past it.
local function before(a, b) return a.t < b.t or (a.t == b.t and a.seq < b.seq) end

local function heap_push(h, x)
  local i = #h + 1
  while i > 1 do
    local p = math.floor(i / 2)
    if not before(x, h[p]) then break end
    h[i] = h[p]
    i = p
  end
  h[i] = x
end

local function heap_pop(h)
  local top, last = h[1], h[#h]
  h[#h] = nil
  local n, i = #h, 1
  if n == 0 then return top end
  while true do
    local c = 2 * i
    if c > n then break end
    if c < n and before(h[c + 1], h[c]) then c = c + 1 end
    if not before(h[c], last) then break end
    h[i] = h[c]
    i = c
  end
  h[i] = last
  return top
end

-- Returns next() -> the next selected entry in start order | nil, the
-- counts table (read, selected, skipped by reason) and the reader.
local function entries(o)
  local counts = { read = 0, selected = 0, filtered = 0, hook = 0, unsupported = {} }
  local it, state = s3d.oplog.reader(o.log, { light = true, skip_bad = o.skip_bad })
  local ops, match = op_set(o.filter), o.match
  local from, to = when(o.from, "from"), when(o.to, "to")
  local retarget, on_op = retargeter(o), o.on_op
  local window = (o.window or 5) * 1e9
  local heap, newest, exhausted, seq = {}, -math.huge, false, 0
  local MAX_HELD = 1000000

  -- cheap filters as entries are read; the time window, on_op and the op
  -- check once they come out in start order, with times counted from the
  -- earliest start read by then (the log's start, unless an entry is later
  -- in the file than the window allows)
  local origin, earliest = nil, math.huge
  local function take(e)
    local t, op = e.t_ns, e.op
    if t > newest then newest = t end
    if t < earliest then earliest = t end
    if ops and not ops[op] then counts.filtered = counts.filtered + 1 return nil end
    local src = e.file
    if match and not util.glob(match, src) then counts.filtered = counts.filtered + 1 return nil end
    seq = seq + 1
    return { t = t, op = op, src = src, bytes = e.bytes, seq = seq, start = e.start }
  end

  local function fill()
    while not exhausted and #heap < MAX_HELD and (#heap == 0 or newest < heap[1].t + window) do
      local e = it()
      if not e then
        exhausted = true
        break
      end
      counts.read = counts.read + 1
      local en = take(e)
      if en then heap_push(heap, en) end
    end
  end

  -- the entry, "filtered", "skipped" (counted already) or "past" (--to: stop)
  local function admit(en)
    local rel = (en.t - origin) / 1e9
    if from and (from.rel and rel < from.rel or from.abs and en.start < from.abs) then
      return "filtered"
    end
    if to and (to.rel and rel > to.rel or to.abs and en.start > to.abs) then return "past" end
    en.uri = retarget(en.src)
    if on_op and on_op(en) == false then
      counts.hook = counts.hook + 1
      return "skipped"
    end
    if not RUNS[en.op] then
      counts.unsupported[en.op] = (counts.unsupported[en.op] or 0) + 1
      return "skipped"
    end
    return en
  end

  return function()
    while true do
      fill()
      if #heap == 0 then return nil end
      local en = heap_pop(heap)
      origin = origin or earliest
      local r = admit(en)
      if type(r) == "table" then
        counts.selected = counts.selected + 1
        return r
      end
      if r == "past" then -- what is left is later still
        counts.filtered = counts.filtered + 1 + #heap
        heap, exhausted = {}, true
        return nil
      end
      if r == "filtered" then counts.filtered = counts.filtered + 1 end
    end
  end, counts, state
end

---------------------------------------------------------------- running ops
local function new_runner(o)
  local stores, log = {}, o.oplog and s3d.oplog.open(o.oplog)
  local function store_for(uri)
    local root, key = s3d.split_uri(uri)
    if not root then return nil, uri .. ": not a URI (replay a log of bare keys with --target)" end
    local st = stores[root]
    if st == nil then
      local err
      st, err = s3d.open(root)
      if not st then
        st = { failed = tostring(err) }
      elseif log then
        st = st:with_oplog(log)
      end
      stores[root] = st
    end
    if st.failed then return nil, st.failed end
    return st, key
  end

  -- w: the worker's own state (its buffer, reused by every PUT it makes)
  local function put_generated(st, key, en, w)
    local n = en.bytes
    if n == 0 then return st:put(key, "") end
    local gen = datagen.new { size = n, seed = en.seq }
    if n > CHUNK then return st:put(key, gen) end -- streamed from the task's buffers
    if not w.buf or w.buf:cap() < n then w.buf = s3d.buffer(math.max(n, 65536)) end
    gen:fill_at(w.buf, 0, n)
    return st:put(key, w.buf)
  end

  return function(en, w)
    local st, key = store_for(en.uri)
    if not st then return nil, key end
    local op = en.op
    if op == "GET" then return st:get(key, DISCARD) end
    if op == "PUT" then return put_generated(st, key, en, w) end
    if op == "HEAD" then return st:stat(key) end
    if op == "DELETE" then return st:delete(key) end
    if op == "GET_RANGE" then
      if en.bytes == 0 then return st:get(key, DISCARD) end
      return st:get(key, { offset = 0, length = en.bytes, discard = true })
    end
    if op == "LIST" then return st:list_page(key, false) end
    if op == "CREATE_CONTAINER" then return st:create_bucket() end
    if op == "DELETE_CONTAINER" then return st:delete_bucket() end
    return nil, "cannot replay op " .. op
  end
end

local function new_stats()
  return { ops = {}, order = {}, failed = 0, done = 0, bytes = 0, errors = {},
    lateness = s3d.stats.histogram { unit = "ns", highest = "1h", digits = 3 } }
end

local function op_stats(stats, op)
  local s = stats.ops[op]
  if not s then
    s = { n = 0, failed = 0, bytes = 0, lat = s3d.stats.histogram { highest = "1h", digits = 3 } }
    stats.ops[op] = s
    stats.order[#stats.order + 1] = op
  end
  return s
end

-- A pool of at most `cap` worker tasks running the entries next() gives, each
-- at its due time (en.due, monotonic ns; nil: now). Returns when all are done.
local function run_pool(next_entry, cap, run_op, stats, o, sched)
  local queue, qh, qt = {}, 1, 0
  local idle, workers, busy = {}, {}, 0
  local stopping, waiting = false, false
  local me -- the dispatcher's task

  local function worker(i)
    local self_t = workers[i]
    local w = {}
    while true do
      if qh > qt then
        if stopping then return end
        idle[#idle + 1] = self_t
        s3d.park()
      else
        local en = queue[qh]
        queue[qh] = nil
        qh = qh + 1
        busy = busy + 1
        local t0 = s3d.now()
        if en.due then stats.lateness:record(t0 > en.due and t0 - en.due or 0) end
        if t0 > stats.last_start then stats.last_start = t0 end
        local ok, err = run_op(en, w)
        local s = op_stats(stats, en.op)
        s.lat:record(s3d.now() - t0)
        s.n = s.n + 1
        if ok == nil then
          s.failed, stats.failed = s.failed + 1, stats.failed + 1
          if #stats.errors < 10 then
            stats.errors[#stats.errors + 1] = en.op .. " " .. en.uri .. ": " .. tostring(err)
          end
          if o.stop_on_error then stopping, stats.stopped = true, true end
        else
          stats.done = stats.done + 1
          local b = en.op == "PUT" and en.bytes or (en.op:sub(1, 3) == "GET" and ok or 0)
          if type(b) ~= "number" then b = en.bytes end
          s.bytes, stats.bytes = s.bytes + b, stats.bytes + b
        end
        busy = busy - 1
        if waiting then
          waiting = false
          me:wake()
        end
      end
    end
  end

  local fatal -- a reader error: the run stops and run() raises it
  me = s3d.spawn(function()
    while not stopping do
      local ok, en = pcall(next_entry)
      if not ok then fatal = en break end
      if not en then break end
      if sched then en.due = sched(en) end
      if en.due then s3d.sleep_until(en.due) end
      while busy + (qt - qh + 1) >= cap and not stopping do
        waiting = true
        s3d.park()
      end
      if stopping then break end
      -- out of order: a start earlier than one already given out (the entry
      -- came later in the file than the window allows)
      local t = en.t -- (nil for --prepare's objects)
      if t and t < (stats.t_last or t) then stats.out_of_order = (stats.out_of_order or 0) + 1 end
      if t and (not stats.t_last or t > stats.t_last) then stats.t_last = t end
      qt = qt + 1
      queue[qt] = en
      local sleeper = table.remove(idle)
      if sleeper then
        sleeper:wake()
      elseif #workers < cap then
        workers[#workers + 1] = s3d.spawn(worker, #workers + 1)
      end
      s3d.sleep(0) -- let the worker start it now, before the next wait
    end
    stopping = true
    for _, t in ipairs(idle) do t:wake() end
    idle = {}
  end)
  s3d.wait(me)
  s3d.wait(workers)
  if fatal then error(fatal, 0) end
end

---------------------------------------------------------------- prepare
-- Every object whose first access (in start order) is not a PUT, with the
-- largest size any read of it logged.
local function objects_to_prepare(o)
  local next_entry = entries(o)
  local first, size, order = {}, {}, {}
  while true do
    local en = next_entry()
    if not en then break end
    local u = en.uri
    if first[u] == nil then
      first[u] = en.op
      order[#order + 1] = u
    end
    if READS[en.op] and en.bytes > (size[u] or 0) then size[u] = en.bytes end
  end
  local list = {}
  for _, u in ipairs(order) do
    if READS[first[u]] then
      list[#list + 1] = { op = "PUT", uri = u, bytes = size[u] or 0, seq = #list + 1 }
    end
  end
  return list
end

---------------------------------------------------------------- the run
function M.run(o)
  assert(type(o) == "table" and o.log, "replay.run{log = PATH, ...}")
  local speed = o.speed or 1
  if type(speed) ~= "number" or speed <= 0 or speed ~= speed or speed == math.huge then
    error("speed must be a number > 0, not " .. tostring(o.speed), 0)
  end
  local cap = o.concurrency or 1000
  if type(cap) ~= "number" or cap < 1 then error("concurrency must be >= 1", 0) end
  local report = { log = o.log, speed = speed, fast = o.fast or false, concurrency = cap }

  if o.dry_run then
    local out = type(o.dry_run) == "function" and o.dry_run or print
    local next_entry, counts, rdr = entries(o)
    local t_first, n, last = nil, 0, 0
    while true do
      local en = next_entry()
      if not en then break end
      t_first = t_first or en.t
      -- negative: an entry later in the file than --window allows
      local at = o.fast and 0 or (en.t - t_first) / speed / 1e9
      out(string.format("%+.6f\t%s\t%s\t%d", at, en.op, en.uri, en.bytes))
      n, last = n + 1, math.max(last, at)
    end
    report.dry_run, report.entries, report.counts = true, n, counts
    report.schedule_s, report.skipped = last, rdr:skipped()
    return report
  end

  local run_op = new_runner(o)
  if o.prepare then
    local list = objects_to_prepare(o)
    local i = 0
    local pstats = new_stats()
    pstats.last_start = 0
    run_pool(function() i = i + 1 return list[i] end, cap, run_op, pstats, {}, nil)
    report.prepared = { objects = #list, bytes = pstats.bytes, failed = pstats.failed,
      errors = pstats.errors }
  end

  local next_entry, counts, rdr = entries(o)
  local stats = new_stats()
  local anchor, t_first
  stats.last_start = 0
  local function sched(en)
    if not t_first then
      t_first = en.t
      anchor = s3d.now() + 1e6 -- the first op 1 ms from now: set-up is not lateness
    end
    if o.fast then return nil end
    return anchor + (en.t - t_first) / speed
  end
  run_pool(next_entry, cap, run_op, stats, o, sched)
  local t_end = s3d.now()

  report.counts, report.failed, report.done = counts, stats.failed, stats.done
  report.skipped = rdr:skipped()
  report.stopped = stats.stopped or false
  report.bytes, report.errors = stats.bytes, stats.errors
  report.out_of_order = stats.out_of_order or 0
  local t_last = stats.t_last
  report.span_s = t_first and t_last and (t_last - t_first) / 1e9 or 0
  report.expected_s = report.span_s / speed
  report.schedule_s = anchor and math.max(0, stats.last_start - anchor) / 1e9 or 0
  report.wall_s = anchor and math.max(0, t_end - anchor) / 1e9 or 0
  local function pct(h)
    return { p50_us = h:percentile(50) / 1e3, p90_us = h:percentile(90) / 1e3,
      p99_us = h:percentile(99) / 1e3, p999_us = h:percentile(99.9) / 1e3, max_us = h:max() / 1e3,
      mean_us = h:mean() / 1e3, n = h:count() }
  end
  report.lateness = pct(stats.lateness)
  report.ops = {}
  table.sort(stats.order)
  for _, op in ipairs(stats.order) do
    local s = stats.ops[op]
    local r = pct(s.lat)
    r.op, r.n, r.failed, r.bytes = op, s.n, s.failed, s.bytes
    report.ops[#report.ops + 1] = r
  end
  return report
end

-- The report as text, for people.
function M.format(r)
  local out = {}
  local function p(...) out[#out + 1] = string.format(...) end
  if r.dry_run then
    p("dry run: %d ops over %.6f s of schedule (speed %g%s)", r.entries, r.schedule_s, r.speed,
      r.fast and ", fast" or "")
  else
    p("replay %s: %d ops, %d failed, %s in %.3f s (speed %g%s, concurrency %d)%s", r.log,
      r.done + r.failed, r.failed, s3d.fmt_size(r.bytes), r.wall_s, r.speed,
      r.fast and ", fast" or "", r.concurrency, r.stopped and "; stopped at the first error" or "")
    if r.prepared then
      p("  prepared %d objects (%s), %d failed", r.prepared.objects, s3d.fmt_size(r.prepared.bytes),
        r.prepared.failed)
    end
    if not r.fast then
      local exp = r.expected_s
      p("  schedule: log span %.6f s / speed %g = %.6f s; the last op started at %.6f s (%+.3f%%)",
        r.span_s, r.speed, exp, r.schedule_s, exp > 0 and (r.schedule_s - exp) / exp * 100 or 0)
      local l = r.lateness
      p("  lateness: p50 %.1f us, p90 %.1f, p99 %.1f, p99.9 %.1f, max %.1f us", l.p50_us, l.p90_us,
        l.p99_us, l.p999_us, l.max_us)
    end
    p("  %-16s %9s %7s %12s %10s %10s %10s %10s", "op", "ops", "failed", "MB/s", "p50 us", "p99 us",
      "p99.9 us", "max us")
    for _, o in ipairs(r.ops) do
      p("  %-16s %9d %7d %12.2f %10.1f %10.1f %10.1f %10.1f", o.op, o.n, o.failed,
        r.wall_s > 0 and o.bytes / r.wall_s / 1e6 or 0, o.p50_us, o.p99_us, o.p999_us, o.max_us)
    end
  end
  local c = r.counts
  local skipped = {}
  if c.filtered > 0 then skipped[#skipped + 1] = c.filtered .. " by the filters" end
  if c.hook > 0 then skipped[#skipped + 1] = c.hook .. " by on_op" end
  for op, n in pairs(c.unsupported) do skipped[#skipped + 1] = n .. " " .. op .. " (not replayable)" end
  if (r.skipped or 0) > 0 then skipped[#skipped + 1] = r.skipped .. " bad lines" end
  if #skipped > 0 then p("  skipped: %s", table.concat(skipped, ", ")) end
  if (r.out_of_order or 0) > 0 then
    p("  %d entries came later in the log than --window allows and started late", r.out_of_order)
  end
  for _, e in ipairs(r.errors or {}) do p("  error: %s", e) end
  return table.concat(out, "\n")
end

return M
