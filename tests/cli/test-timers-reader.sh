#!/usr/bin/env bash
# End-to-end tests of the pieces replay is built on:
#  A. s3d.sleep_until(t): in a task and at top level, never early and late by
#     microseconds; a past t returns at once without yielding; many sleepers
#     wake by due time, equal times in the order they slept; a short wait
#     after a long one; next to s3d.sleep; bad arguments.
#  B. s3d.park() / task:wake(): wake after and before park, wakes do not add
#     up, a finished task, park outside a task, a task that is never woken.
#  C. the light op-log reader (s3d.oplog.reader(path, {light = true})): every
#     field equal to the table mode's on the writer's logs and foreign ones,
#     e:table(), exact t_ns, STAT as HEAD, the reused record, errors and
#     skip_bad, close, lines longer than the reader's 1 MiB chunks, no final
#     newline, CRLF, a log of exactly 1 or 2 MiB.
#  D. light reading is at least 2x faster than tables (a regression guard).
# Under valgrind (VALGRIND=1) sizes are smaller and the timing checks are
# left out; the logic is the same.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/oplog-fixtures.sh" # write_foreign_logs
cd "$T" || exit 1
command -v zstd >/dev/null || { echo "Bail out! zstd not found (tests/install-deps.sh installs it)"; exit 1; }
# TMO: bound of a check script; NT: tasks of the wake-order check; NS: sleeps
# of each precision check; PP: park/wake ping-pongs; SPEED: entries of the
# speed check's log
# HANG: bound of a check of a few small files (one that hangs is killed)
if [ "${VALGRIND:-}" = 1 ]; then
    VG=1 TMO=600 HANG=30 NT=40 NS=20 PP=100 SPEED=20000
else
    VG=0 TMO=60 HANG=5 NT=200 NS=200 PP=2000 SPEED=200000
fi

# lua WHAT SCRIPT ARGS...: runs a check script (bounded by LTMO, else TMO),
# its checks become TAP
lua() {
    local what=$1
    shift
    timeout -k 2 "${LTMO:-$TMO}" "$S3DLUA" run "$@" >"$T/.chk" 2>"$T/.err"
    local rc=$?
    local why=
    [ "$rc" != 124 ] || why=" (killed after ${LTMO:-$TMO} s: it hangs)"
    is "$what: the check script ends and exits 0" "0 " "$rc$why $(head -c 600 "$T/.err")"
    tap_from "$T/.chk" "$what: "
}

# common.lua: check(ok, what, detail) prints a check line (stdout is line
# buffered: the checks printed before a crash are kept); fmt(v) shows a value;
# read_table / read_light read a whole log; diff compares the two modes
cat >common.lua <<'LUA'
io.stdout:setvbuf("line")
local C = {}
local function esc(c) return ("\\x%02x"):format(c:byte()) end
function C.check(ok, what, detail)
  what = what:gsub("%c", esc)
  if ok then print("ok\t" .. what)
  else print("not ok\t" .. what .. "\t" .. (tostring(detail):gsub("[\t\n]", " "))) end
end
function C.fmt(v)
  if type(v) == "number" then
    return v == math.floor(v) and math.abs(v) < 1e18 and ("%.0f"):format(v) or ("%.9f"):format(v)
  elseif type(v) == "string" then
    if #v > 80 then v = v:sub(1, 40) .. ("...(%d bytes)..."):format(#v) .. v:sub(-20) end
    return "[" .. v:gsub("[%c\128-\255]", esc) .. "]"
  end
  return tostring(v)
end
C.FIELDS = { "idx", "thread", "op", "client_id", "n_objects", "bytes", "endpoint", "file",
  "error", "start", "first_byte", "end", "duration_ns", "t_ns", "line" }
-- read_table(path, opts) -> ok, message, entries (tables), reader
function C.read_table(path, opts)
  local es, rd = {}, nil
  local ok, msg = pcall(function()
    local it, r = s3d.oplog.reader(path, opts)
    rd = r
    for e in it, r do es[#es + 1] = e end
  end)
  return ok, ok and "" or tostring(msg), es, rd
end
-- read_light(path, opts) -> ok, message, entries (every field read from the
-- record, first_byte as it is: 0 when absent), copies (e:table()), reader,
-- whether every step returned the same record
function C.read_light(path, opts)
  local o = { light = true, skip_bad = opts and opts.skip_bad }
  local direct, copies, rd, first, reused = {}, {}, nil, nil, true
  local ok, msg = pcall(function()
    local it, r = s3d.oplog.reader(path, o)
    rd = r
    for e in it, r do
      if first == nil then first = e elseif not rawequal(first, e) then reused = false end
      local d = {}
      for _, k in ipairs(C.FIELDS) do d[k] = e[k] end
      direct[#direct + 1] = d
      copies[#copies + 1] = e:table()
    end
  end)
  return ok, ok and "" or tostring(msg), direct, copies, rd, reused
end
-- diff_light(tables, direct): the first differences of the light fields
-- (first_byte 0 standing for the table's nil)
function C.diff_light(T, L)
  local bad = {}
  for i = 1, math.max(#T, #L) do
    local t, l = T[i], L[i]
    if not t or not l then
      bad[#bad + 1] = ("entry %d: %s in table mode, %s in light mode"):format(i, t and "one" or "none", l and "one" or "none")
    else
      for _, k in ipairs(C.FIELDS) do
        local want = t[k]
        if k == "first_byte" and want == nil then want = 0 end
        if l[k] ~= want or type(l[k]) ~= type(want) then
          bad[#bad + 1] = ("line %s %s: table %s, light %s"):format(C.fmt(t.line), k, C.fmt(t[k]), C.fmt(l[k]))
        end
      end
    end
    if #bad >= 4 then break end
  end
  return bad
end
-- diff_tables(a, b): the first differences of two lists of tables (every key of both)
function C.diff_tables(A, B)
  local bad = {}
  for i = 1, math.max(#A, #B) do
    local a, b = A[i] or {}, B[i] or {}
    for k, v in pairs(a) do
      if b[k] ~= v then bad[#bad + 1] = ("entry %d %s: %s vs %s"):format(i, k, C.fmt(v), C.fmt(b[k])) end
    end
    for k, v in pairs(b) do
      if a[k] == nil then bad[#bad + 1] = ("entry %d %s: nil vs %s"):format(i, k, C.fmt(v)) end
    end
    if #bad >= 4 then break end
  end
  return bad
end
-- compare(path, n, opts, what): both modes read path alike (n entries, or any number when nil)
function C.compare(path, n, opts, what)
  what = what or path
  local okT, msgT, T, rdT = C.read_table(path, opts)
  local okL, msgL, L, Lt, rdL, reused = C.read_light(path, opts)
  C.check(okT and okL, what .. ": both modes read it without error", msgT .. " | " .. msgL)
  C.check(#L == #T and (n == nil or #T == n), what .. ": both modes read " .. (n or #T) .. " entries",
    #T .. " in table mode, " .. #L .. " in light mode")
  local bad = C.diff_light(T, L)
  C.check(#bad == 0, what .. ": every field of every light entry equals the table mode's", table.concat(bad, "; "))
  bad = C.diff_tables(T, Lt)
  C.check(#bad == 0, what .. ": e:table() equals the table mode's entry (same keys, same values)", table.concat(bad, "; "))
  C.check(reused, what .. ": the light iterator returns one record, reused at each step", "a new record at some step")
  if opts and opts.skip_bad then
    C.check(rdT and rdL and rdL:skipped() == rdT:skipped(), what .. ": rd:skipped() is the same in both modes",
      tostring(rdT and rdT:skipped()) .. " vs " .. tostring(rdL and rdL:skipped()))
  end
  return T, L
end
-- 13-column TSV lines of our writer's format
C.HEADER = "idx\tthread\top\tclient_id\tn_objects\tbytes\tendpoint\tfile\terror\tstart\tfirst_byte\tend\tduration_ns"
function C.tsv(idx, op, bytes, file, err)
  return ("%d\t%d\t%s\tc%d\t1\t%d\thttp://e:%d\t%s\t%s\t2024-01-01T00:%02d:%02d.%09dZ\t\t\t%d"):format(
    idx, idx % 7, op, idx % 3, bytes, idx % 5, file, err or "", idx % 60, (idx * 7) % 60, idx * 1000003 % 1000000000,
    1000 + idx)
end
-- a long string of n bytes that does not repeat with a period of 1 MiB
function C.long(n, seed)
  local unit = ("%s-0123456789abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJKLMNOPQRSTUVWXY/"):format(seed)
  local s = unit:rep(math.ceil(n / #unit))
  return s:sub(1, n - #seed - 1) .. "#" .. seed
end
return C
LUA

# --- A. s3d.sleep_until --------------------------------------------------------
# timers.lua VG NT NS: precision in a task and at top level, a past t, order,
# a long and a short wait, s3d.sleep next to it, bad arguments
cat >timers.lua <<'LUA'
local C = dofile("common.lua")
local check = C.check
local VG, NT, NS = arg[1] == "1", tonumber(arg[2]), tonumber(arg[3])
local now = s3d.now
local U = VG and 10 or 1 -- time scale of the ordering checks (valgrind is ~50x slower)

local function us(ns) return ("%.1f us"):format(ns / 1e3) end
-- precise(WHAT, lateness list): never early; median and max (not under valgrind)
local function precise(what, lat)
  table.sort(lat)
  local med, max, min = lat[math.ceil(#lat / 2)], lat[#lat], lat[1]
  check(#lat == NS, what .. ": " .. NS .. " waits", #lat)
  check(min >= 0, what .. ": never returns before t (s3d.now() >= t)", "earliest: " .. us(min))
  if not VG then
    check(med < 200e3, what .. ": median lateness below 200 us (" .. us(med) .. ")", us(med))
    check(max < 50e6, what .. ": max lateness below 50 ms (" .. us(max) .. ")", us(max))
  end
end
-- waits of 0.2 to 2.45 ms (the timerfd and spin paths), lateness of each
local function waits(lat)
  for i = 1, NS do
    local t = now() + 200e3 + (i % 10) * 250e3
    s3d.sleep_until(t)
    lat[#lat + 1] = now() - t
  end
end

-- in a task
do
  local lat, inside = {}, nil
  local t = s3d.spawn(function()
    inside = s3d.in_task()
    waits(lat)
  end)
  s3d.wait(t)
  check(inside == true, "the first waits run in a task", tostring(inside))
  precise("in a task", lat)
end

-- at top level: it blocks, and tasks run meanwhile
do
  check(not s3d.in_task(), "the top level is not a task", "in a task")
  local lat = {}
  waits(lat)
  precise("at top level", lat)
  local tlate
  local t0 = now()
  local x = s3d.spawn(function()
    local d = t0 + 5e6 * U
    s3d.sleep_until(d)
    tlate = now() - d
  end)
  s3d.sleep_until(t0 + 20e6 * U)
  local late = now() - (t0 + 20e6 * U)
  check(tlate and tlate >= 0 and late >= 0,
    "at top level: a task's sleep_until (5 ms) completes while the top level sleeps until 20 ms",
    ("task lateness %s, top level %s"):format(tlate and us(tlate) or "never woke", us(late)))
  s3d.wait(x)
end

-- a past t returns at once without yielding
do
  local ran = false
  local x = s3d.spawn(function() ran = true end)
  local t0 = now()
  s3d.sleep_until(t0 - 1e6)
  s3d.sleep_until(t0)
  s3d.sleep_until(1)
  s3d.sleep_until(0)
  s3d.sleep_until(-5)
  local took = now() - t0
  check(not ran, "top level: past times (t - 1 ms, t, 1, 0, -5) return without running the loop (a task spawned before has not started)",
    "the task ran")
  if not VG then check(took < 50e6, "top level: past times return at once (" .. us(took) .. ")", us(took)) end
  s3d.wait(x)
  local order = {}
  local a = s3d.spawn(function()
    local y = s3d.spawn(function() order[#order + 1] = "other" end)
    local t1 = now()
    s3d.sleep_until(t1 - 1)
    s3d.sleep_until(t1 - 1e9)
    s3d.sleep_until(t1)
    order[#order + 1] = "past"
    s3d.sleep_until(now() + 1e6) -- a real wait yields: the other task runs
    order[#order + 1] = "future"
    s3d.wait(y)
  end)
  s3d.wait(a)
  check(table.concat(order, " ") == "past other future",
    "in a task: a past t does not yield (a task spawned before runs only at the next real wait)",
    table.concat(order, " "))
end

-- many sleepers: by due time, equal times in the order they slept
do
  local base = now() + (VG and 3e9 or 40e6)
  local slept, seq, woke, late_start = {}, 0, {}, 0
  for i = 1, NT do
    -- odd i: one of 20 times 50 us apart (NT/40 tasks each, spawned out of
    -- order); even i: times of their own, latest first, among those
    local due = i % 2 == 1 and base + ((math.floor(i / 2) * 7) % 20) * 50e3 or base + (NT - i) * 4.5e3 + 1
    s3d.spawn(function()
      seq = seq + 1
      slept[i] = { seq = seq, due = due }
      if now() >= due then late_start = late_start + 1 end
      s3d.sleep_until(due)
      woke[#woke + 1] = { i = i, late = now() - due }
    end)
  end
  s3d.wait()
  check(late_start == 0, "order: every task slept before its time came (the check is meaningful)",
    late_start .. " tasks started after their due time")
  local want = {}
  for i = 1, NT do want[i] = i end
  table.sort(want, function(a, b)
    if slept[a].due ~= slept[b].due then return slept[a].due < slept[b].due end
    return slept[a].seq < slept[b].seq
  end)
  local got, first_bad, early = {}, nil, 0
  for k, w in ipairs(woke) do
    got[k] = w.i
    if w.late < 0 then early = early + 1 end
    if not first_bad and w.i ~= want[k] then
      first_bad = ("wake %d: task %d (due +%s, slept #%d), expected task %d (due +%s, slept #%d)"):format(k, w.i,
        us(slept[w.i].due - base), slept[w.i].seq, want[k], us(slept[want[k]].due - base), slept[want[k]].seq)
    end
  end
  check(#woke == NT, "order: all " .. NT .. " tasks woke", #woke)
  check(early == 0, "order: none woke before its time", early .. " early")
  check(first_bad == nil, "order: " .. NT .. " tasks wake by due time, equal times in the order they slept", first_bad)
  if not VG then
    table.sort(woke, function(a, b) return a.late < b.late end)
    local max = woke[#woke] and woke[#woke].late or 0
    check(max < 50e6, "order: max lateness of the " .. NT .. " below 50 ms (" .. us(max) .. ")", us(max))
  end
end

-- a long wait, then another task's shorter one: the timer is re-armed earlier
do
  local LONG, SHORT = (VG and 4e9 or 1e9), 20e6 * U
  local ev, lateS, lateL = {}, nil, nil
  local t0 = now()
  local a = s3d.spawn(function()
    s3d.sleep_until(t0 + LONG)
    lateL = now() - (t0 + LONG)
    ev[#ev + 1] = "long"
  end)
  local b = s3d.spawn(function()
    s3d.sleep(0.002) -- the long one is armed first
    local d = now() + SHORT
    s3d.sleep_until(d)
    lateS = now() - d
    ev[#ev + 1] = "short"
  end)
  s3d.wait(a, b)
  check(table.concat(ev, " ") == "short long", "a long wait then a shorter one: the shorter wakes first",
    table.concat(ev, " "))
  check(lateS and lateS >= 0 and (VG or lateS < 50e6),
    "the shorter one (20 ms, after a 1 s one) is on time: lateness " .. (lateS and us(lateS) or "?"),
    lateS and us(lateS))
  check(lateL and lateL >= 0 and (VG or lateL < 50e6), "the long one is on time too: lateness " .. (lateL and us(lateL) or "?"),
    lateL and us(lateL))
end

-- next to s3d.sleep (libuv's millisecond timers) in other tasks and in the same task
do
  local ev = {}
  local t0 = now()
  s3d.spawn(function() s3d.sleep(0.02 * U) ev[#ev + 1] = "sleep20" end)
  s3d.spawn(function() s3d.sleep_until(t0 + 10e6 * U) ev[#ev + 1] = "until10" end)
  s3d.spawn(function() s3d.sleep_until(t0 + 30e6 * U) ev[#ev + 1] = "until30" end)
  s3d.spawn(function() s3d.sleep(0.04 * U) ev[#ev + 1] = "sleep40" end)
  s3d.wait()
  check(table.concat(ev, " ") == "until10 sleep20 until30 sleep40",
    "s3d.sleep and sleep_until in four tasks wake in time order", table.concat(ev, " "))
  local early, total = 0, nil
  local x = s3d.spawn(function()
    local t1 = now()
    for _ = 1, 10 do
      s3d.sleep(0.001)
      local d = now() + 500e3
      s3d.sleep_until(d)
      if now() < d then early = early + 1 end
      s3d.sleep(0)
    end
    total = now() - t1
  end)
  s3d.wait(x)
  check(early == 0 and total and total >= 5e6,
    "one task alternating s3d.sleep(1 ms), sleep_until(+0.5 ms) and sleep(0) ten times: sleep_until never early",
    ("%d early, %s in all"):format(early, total and us(total) or "?"))
  -- a task yielding all the time (s3d.sleep(0)) does not starve the timer
  -- and s3d.sleep next to it, started at any phase of the millisecond, is not early either
  local stop, spins, late, short, shortest = false, 0, nil, 0, math.huge
  local y = s3d.spawn(function() while not stop do spins = spins + 1 s3d.sleep(0) end end)
  local z = s3d.spawn(function()
    local d = now() + 5e6 * U
    s3d.sleep_until(d)
    late = now() - d
    for i = 1, 20 do
      s3d.sleep_until(now() + 100e3 + (i * 37 % 100) * 9e3)
      local t1 = now()
      s3d.sleep(0.002)
      local took = now() - t1
      if took < 2e6 then short = short + 1 end
      if took < shortest then shortest = took end
    end
    stop = true
  end)
  s3d.wait(y, z)
  check(late and late >= 0 and (VG or late < 50e6) and spins > 0,
    "a task yielding with s3d.sleep(0) all along does not delay another's sleep_until: lateness " .. (late and us(late) or "?"),
    ("lateness %s, %d yields"):format(late and us(late) or "?", spins))
  check(short == 0, "while another task yields all along, s3d.sleep(0.002) after a sleep_until never returns before 2 ms",
    ("%d of 20 returned early, the shortest after %s"):format(short, us(shortest)))
end

-- bad arguments
do
  local ok, err = pcall(s3d.sleep_until, "soon")
  check(not ok and tostring(err):find("number expected", 1, true), "sleep_until('soon') raises 'number expected'", ok and "no error" or err)
  ok, err = pcall(s3d.sleep_until)
  check(not ok and tostring(err):find("number expected", 1, true), "sleep_until() raises 'number expected'", ok and "no error" or err)
  ok, err = pcall(s3d.sleep_until, {})
  check(not ok, "sleep_until({}) raises", "no error")
  local msg
  s3d.wait(s3d.spawn(function() ok, msg = pcall(s3d.sleep_until, "later") end))
  check(not ok and tostring(msg):find("number expected", 1, true), "in a task too, sleep_until('later') raises",
    ok and "no error" or msg)
end
LUA
lua "sleep_until" timers.lua "$VG" "$NT" "$NS"

# an hour's wait, then another task's 20 ms one: the short one is on time;
# the script then ends by os.exit (the long one would keep it alive)
cat >hour.lua <<'LUA'
local C = dofile("common.lua")
local VG = arg[1] == "1"
local t0 = s3d.now()
local long_woke = false
s3d.spawn(function() s3d.sleep_until(t0 + 3600e9) long_woke = true end)
s3d.spawn(function()
  s3d.sleep(0.002) -- the hour is armed first
  local d = s3d.now() + 20e6
  s3d.sleep_until(d)
  local late = s3d.now() - d
  C.check(late >= 0 and (VG or late < 50e6) and not long_woke,
    ("a 20 ms wait after another task's one-hour wait is on time: lateness %.1f us"):format(late / 1e3),
    ("lateness %.1f us, the long one woke: %s"):format(late / 1e3, tostring(long_woke)))
  io.stdout:flush()
  os.exit(0)
end)
s3d.wait()
C.check(false, "os.exit ends the script", "s3d.wait() returned")
LUA
lua "sleep_until an hour" hour.lua "$VG"

# sleep_until from a plain coroutine inside a task cannot block: it raises,
# and must leave nothing behind in the timer (the task then goes on past the
# time it asked for, and sleeps again)
cat >nested.lua <<'LUA'
local C = dofile("common.lua")
local check = C.check
local t = s3d.spawn(function()
  -- ten times: a waiter left behind in the timer points into a C stack frame
  -- long gone, and fires while the task sleeps past its time
  local raised, last = 0, nil
  for _ = 1, 10 do
    local ok, err = pcall(coroutine.wrap(function() s3d.sleep_until(s3d.now() + 20e6) end))
    if not ok and tostring(err):find("blocking call", 1, true) then raised = raised + 1 else last = ok and "no error" or err end
    s3d.sleep(0.025) -- past the time asked for
  end
  check(raised == 10, "sleep_until in a plain coroutine inside a task raises the blocking-call error (10 times)",
    raised .. " raised; " .. tostring(last))
  local early = 0
  for _ = 1, 20 do
    local e = s3d.now() + 300e3
    s3d.sleep_until(e)
    if s3d.now() < e then early = early + 1 end
  end
  check(early == 0, "the task goes on: 20 more sleep_until, none early", early .. " early")
end)
check(s3d.wait() == 0, "the task ends without failing", "failed")
local d = s3d.now() + 2e6
coroutine.wrap(function() s3d.sleep_until(d) end)()
check(s3d.now() >= d, "at top level, sleep_until in a plain coroutine blocks (no task, no loop running)", "early")
LUA
lua "sleep_until in a coroutine" nested.lua

# --- B. s3d.park and task:wake ----------------------------------------------------
cat >park.lua <<'LUA'
local C = dofile("common.lua")
local check = C.check
local PP = tonumber(arg[1])

-- a parked task stays parked until a wake, which resumes it on the next loop turn
do
  local resumed = false
  local p = s3d.spawn(function() s3d.park() resumed = true end)
  s3d.sleep(0.02)
  check(not resumed, "a parked task stays parked (20 ms, nobody wakes it)", "it resumed")
  p:wake()
  check(not resumed, "wake() does not resume the task inside the call (next loop turn)", "it resumed inside wake()")
  s3d.wait(p)
  check(resumed and p:status() == "done", "a parked task resumes after wake and ends", p:status())
end

-- a wake before park is not lost: park returns at once, without yielding
do
  for _, case in ipairs({ "before the task started", "while it sleeps" }) do
    local ticks, during
    ticks = 0
    local p = s3d.spawn(function()
      s3d.sleep(0.01)
      local before = ticks
      s3d.park()
      during = ticks - before
    end)
    local ticker = s3d.spawn(function()
      for _ = 1, 200 do
        if during then break end
        ticks = ticks + 1
        s3d.sleep(0.001)
      end
    end)
    if case == "before the task started" then
      p:wake()
    else
      s3d.spawn(function() s3d.sleep(0.002) p:wake() end)
    end
    local ok, err = pcall(s3d.wait, p, ticker)
    check(ok and during == 0, "a wake " .. case .. " (before park) is not lost: park returns at once, no other task runs",
      ok and ("park took " .. tostring(during) .. " ticks of another task") or err)
  end
end

-- two wakes, then park twice: the first returns at once, the second parks
do
  local stage = 0
  local p = s3d.spawn(function()
    s3d.sleep(0.01)
    s3d.park()
    stage = 1
    s3d.park()
    stage = 2
  end)
  p:wake()
  p:wake()
  s3d.sleep(0.05)
  check(stage == 1, "two wakes before park: the first park returns at once, the second really parks (wakes do not add up)",
    "stage " .. stage)
  p:wake()
  s3d.wait(p)
  check(stage == 2, "the next wake resumes the second park", "stage " .. stage)
end

-- a finished task: wake is harmless
do
  local d = s3d.spawn(function() return 42 end)
  s3d.wait(d)
  local ok, err = pcall(function() d:wake() d:wake() end)
  check(ok and d:status() == "done" and d:join() == 42, "wake of a finished task (twice) is harmless: done, join still 42",
    ok and d:status() or err)
  check(s3d.wait() == 0, "s3d.wait() after it has nothing to wait for", "a failure")
end

-- park outside a task raises
do
  local ok, err = pcall(s3d.park)
  check(not ok and tostring(err):find("only a task can park", 1, true), "park at top level raises 'only a task can park'",
    ok and "no error" or err)
  local ok2, err2
  s3d.wait(s3d.spawn(function() ok2, err2 = pcall(coroutine.wrap(function() s3d.park() end)) end))
  check(not ok2 and tostring(err2):find("only a task can park", 1, true),
    "park in a plain coroutine inside a task raises 'only a task can park'", ok2 and "no error" or err2)
end

-- woken tasks resume in the order of their wakes
do
  local order, ts = {}, {}
  for i = 1, 20 do ts[i] = s3d.spawn(function() s3d.park() order[#order + 1] = i end) end
  s3d.sleep(0.01)
  for _, i in ipairs({ 7, 20, 1, 13, 2, 19, 3, 18, 4, 17, 5, 16, 6, 15, 8, 14, 9, 12, 10, 11 }) do ts[i]:wake() end
  s3d.wait()
  check(table.concat(order, " ") == "7 20 1 13 2 19 3 18 4 17 5 16 6 15 8 14 9 12 10 11",
    "20 parked tasks resume in the order they were woken", table.concat(order, " "))
end

-- ping-pong between two tasks: wakes before and after park, many times
do
  local a, b
  local ca, cb = 0, 0
  a = s3d.spawn(function() for _ = 1, PP do ca = ca + 1 b:wake() s3d.park() end end)
  b = s3d.spawn(function() for _ = 1, PP do s3d.park() cb = cb + 1 a:wake() end end)
  local ok, failed = pcall(s3d.wait)
  check(ok and failed == 0 and ca == PP and cb == PP, PP .. " park/wake round trips between two tasks end",
    ("%s, a %d, b %d"):format(ok and "no error" or failed, ca, cb))
end
LUA
lua "park/wake" park.lua "$PP"

# a parked task that nothing wakes: s3d.wait() must not hang; it reports the
# task, which fails the run (exit 1); t:join() on it raises
BOUND=$((TMO / 2)) LIMIT=$TMO
cat >stuck-wait.lua <<'LUA'
io.stdout:setvbuf("line")
s3d.spawn(function() s3d.park() end)
print("wait", s3d.wait())
print("after")
LUA
run run stuck-wait.lua
quick "a parked task nobody wakes, s3d.wait()"
is "a parked task nobody wakes: s3d.wait() returns 1 (one task failed), the script goes on, exit 1" \
    $'1 wait\t1 after' "$rc $(printf '%s' "$out" | tr '\n' ' ' | sed 's/ $//')"
has "a parked task nobody wakes: stderr says a task is suspended with nothing to wake it" \
    "1 task(s) are suspended with nothing left to wake them" "$err"
cat >stuck-join.lua <<'LUA'
io.stdout:setvbuf("line")
local t = s3d.spawn(function() s3d.park() end)
print(pcall(t.join, t))
LUA
run run stuck-join.lua
quick "a parked task nobody wakes, t:join()"
has "a parked task nobody wakes: t:join() at top level raises a deadlock error" \
    $'false\tdeadlock: waiting for an operation but nothing is left to run' "$out"
is "a parked task nobody wakes, joined: the run exits 1" 1 "$rc"
cat >stuck-end.lua <<'LUA'
s3d.spawn(function() s3d.park() end)
LUA
run run stuck-end.lua
quick "a parked task nobody wakes, the script ends"
is "a script ending with a parked task nobody wakes exits 1 and says why" \
    "1 s3dlua: 1 task(s) are suspended with nothing left to wake them" "$rc $(printf '%s' "$err" | head -n 1 | sed 's/ (a coroutine.*//')"
# after wait() gave the task up, a wake: the run must still end cleanly
cat >stuck-wake.lua <<'LUA'
io.stdout:setvbuf("line")
local t = s3d.spawn(function() s3d.park() end)
print("wait", s3d.wait())
t:wake()
print("end")
LUA
run run stuck-wake.lua
quick "a task woken after s3d.wait() gave it up, then the script ends"
is "a task woken after s3d.wait() gave it up, then the script ends: exit 1, no crash" $'1 wait\t1 end' \
    "$rc $(printf '%s' "$out" | tr '\n' ' ' | sed 's/ $//')"
cat >stuck-respawn.lua <<'LUA'
io.stdout:setvbuf("line")
local t = s3d.spawn(function() s3d.park() end)
print("wait", s3d.wait())
t:wake()
s3d.sleep(0.01) -- the woken task runs and ends
local ran = false
local u = s3d.spawn(function() s3d.sleep(0.01) ran = true end)
print("wait", s3d.wait(), ran, u:status())
LUA
run run stuck-respawn.lua
quick "a task spawned after a given-up task was woken, s3d.wait()"
is "after a given-up task was woken and ended, s3d.wait() still waits for a new task (and the run ends without a crash)" \
    $'1 wait\t1 wait\t0\ttrue\tdone' "$rc $(printf '%s' "$out" | tr '\n' ' ' | sed 's/ $//')"

# --- C. the light reader ---------------------------------------------------------
# C1. logs of the real writer: file:// put/get/stat/delete/list on two threads
cat >work.lua <<'LUA'
local dir, me = arg[1], s3d.thread.id
local st = assert(s3d.open("file://" .. dir .. "/"))
local ts = {}
for w = 1, 4 do
  ts[w] = s3d.spawn(function()
    for i = 1, 10 do
      local k = ("t%d/w%d/%d"):format(me, w, i)
      assert(st:put(k, string.rep("x", i * 100)))                      -- PUT
      assert(#assert(st:get(k)) == i * 100)                             -- GET
      assert(#assert(st:get(k, { offset = 5, length = 10 })) == 10)     -- GET, a range
      assert(st:stat(k))                                               -- HEAD
      assert(st:delete(k))                                             -- DELETE
    end
  end)
end
assert(s3d.wait(ts) == 0)
local KEY = 'odd\tkey\nwith \195\169 "q" \\ ' .. me
assert(st:put(KEY, "12345"))                                           -- PUT
assert(#assert(st:get(KEY)) == 5)                                      -- GET
assert(st:get("missing-" .. me) == nil)                                -- GET, an error
assert(st:list_page("", false))                                        -- LIST
LUA
mkdir work
for f in w.tsv w.jsonl w.tsv.zst w.jsonl.zst; do
    rm -rf work && mkdir work
    s --threads 2 --op-log "$f" run work.lua "$T/work"
    err=$(printf '%s\n' "$err" | grep -Ev '^--[0-9]+-- ') # valgrind's warnings (not errors: those exit 99)
    is "$f: the writer's run (2 threads, 204 file:// operations each) exits 0, nothing on stderr" "0 " "$rc ${err:-}"
done
cat >cmp.lua <<'LUA'
local C = dofile("common.lua")
-- cmp.lua N PATH...: each log read alike in both modes, N entries each ("-": any)
local n = tonumber(arg[1])
for i = 2, #arg do C.compare(arg[i], n) end
LUA
lua "writer's logs" cmp.lua 408 w.tsv w.jsonl w.tsv.zst w.jsonl.zst

# C2. foreign logs, by hand (tests/cli/oplog-fixtures.sh, as test-oplog-read.sh)
write_foreign_logs
lua "foreign logs" cmp.lua - warp.csv.zst legacy.csv s3dlio.tsv minimal.tsv comma.csv crlf.csv alias.tsv \
    foreign.jsonl empty.tsv header-only.tsv

# C3. t_ns, STAT as HEAD, the reused record, unknown fields
# tns: starts with 9-digit fractions; t_ns hand-computed (the first start is
# 2024-01-01T00:00:00.000000001Z)
printf '%s\n' \
    $'op\tfile\tbytes\tstart\tduration_ns\terror' \
    $'GET\tf1\t1\t2024-01-01T00:00:00.000000001Z\t10\t' \
    $'GET\tf2\t1\t2024-01-01T00:00:00.000000002Z\t10\t' \
    $'GET\tf3\t1\t2024-01-03T00:00:00.000000001Z\t10\t' \
    $'GET\tf4\t1\t2023-12-31T23:59:59.999999999Z\t10\t' \
    $'GET\tf5\t1\t2024-01-01T01:00:00.000000001+01:00\t10\t' \
    $'GET\tf6\t1\t2024-01-01T00:00:59.123456789Z\t10\t' \
    $'GET\tf7\t1\t2024-03-01T00:00:00.5Z\t10\t' \
    $'GET\tf8\t1\t2024-04-14T00:00:00.000000002Z\t10\t' \
    $'GET\tf9\t1\t2023-12-30T00:00:00.000000000-05:00\t10\t' \
    $'STAT\tf10\t1\t2024-01-01T00:00:00.000000001-00:00\t10\t' >tns.tsv
# the same after a bad first line, read with skip_bad: t_ns counts from the first good entry
{ head -n 1 tns.tsv; printf 'GET\tbad\t1\t2024-01-01T00:00:00Z\tsoon\t\n'; tail -n +2 tns.tsv; } >tns-skip.tsv
zstd -q -c tns.tsv >tns.tsv.zst
printf '%s\n' \
    '{"op":"GET","file":"j1","start":"2024-06-30T23:59:59.999999999Z","duration_ns":1}' \
    '{"op":"STAT","file":"j2","start":"2024-07-01T00:00:00.000000000Z","duration_ns":1}' \
    '{"op":"STATS","file":"j3","start":"2024-07-01T00:00:00.000000001+00:00","duration_ns":1}' \
    '{"op":"HEAD","file":"j4","start":"2024-06-30T00:00:00Z","duration_ns":1}' >tns.jsonl
cat >tns.lua <<'LUA'
local C = dofile("common.lua")
local check, fmt = C.check, C.fmt
local want = {
  0, 1, 172800000000000, -2, 0, 59123456788, 5184000499999999, 8985600000000001, -154800000000001, 0 }
local wantj = { 0, 1, 2, -86399999999999 }
for _, c in ipairs({ { "tns.tsv", want }, { "tns.tsv.zst", want }, { "tns-skip.tsv", want, true }, { "tns.jsonl", wantj } }) do
  local path, w, skip = c[1], c[2], c[3]
  local T, L = C.compare(path, #w, skip and { skip_bad = true } or nil)
  for _, m in ipairs({ { "table", T }, { "light", L } }) do
    local mode, es = m[1], m[2]
    local bad = {}
    for i, x in ipairs(w) do
      local got = es[i] and es[i].t_ns
      if got ~= x then bad[#bad + 1] = ("line %s: expected %s, got %s"):format(es[i] and es[i].line, fmt(x), fmt(got)) end
    end
    check(#bad == 0, ("%s, %s mode: t_ns is the exact ns since the first entry's start (1 ns, -2 ns, days, 104 days + 1 ns)"):format(path, mode),
      table.concat(bad, "; "))
  end
end
-- STAT is HEAD, and only STAT
do
  local ops = {}
  for e in s3d.oplog.reader("tns.jsonl", { light = true }) do ops[#ops + 1] = e.op end
  check(table.concat(ops, " ") == "GET HEAD STATS HEAD", "light: STAT reads as HEAD (STATS and HEAD stay)", table.concat(ops, " "))
  ops = {}
  for e in s3d.oplog.reader("tns.tsv", { light = true }) do ops[#ops + 1] = e.op end
  check(ops[10] == "HEAD", "light, TSV: STAT reads as HEAD", ops[10])
  ops = {}
  for e in s3d.oplog.reader("warp.csv.zst", { light = true }) do ops[#ops + 1] = e.op end
  check(table.concat(ops, " ") == "PUT GET HEAD DELETE LIST", "light, warp .zst: STAT reads as HEAD", table.concat(ops, " "))
end
-- one record, valid until the next step; e:table() copies that outlive it
do
  local okT, _, T = C.read_table("s3dlio.tsv")
  local it, rd = s3d.oplog.reader("s3dlio.tsv", { light = true })
  local e1 = it(rd)
  local idx1, file1 = e1.idx, e1.file
  local saved, saved2 = e1:table(), e1:table()
  local e2 = it(rd)
  local fb2, copy2 = e2.first_byte, e2:table()
  check(rawequal(e1, e2) and type(e1) == "cdata", "each step returns the same record (one cdata)",
    type(e1) .. " " .. tostring(e1) .. " " .. tostring(e2))
  check(e1.idx == 1 and e1.file == "s3://bkt/data/f1.npz",
    "a record kept from step 1 shows step 2's entry (valid until the next step only)", fmt(e1.idx) .. " " .. fmt(e1.file))
  local e3 = it(rd)
  local e4 = it(rd)
  local e5 = it(rd)
  check(e5 == nil and e4 and e4.idx == 3, "the iterator ends after the 4 entries", tostring(e5))
  check(saved ~= saved2, "e:table() makes a new table each call", "the same table")
  local bad = C.diff_tables({ T[1] }, { saved })
  check(okT and idx1 == 0 and file1 == "s3://bkt/data/f0.npz" and #bad == 0,
    "an e:table() saved at step 1 survives the next steps, equal to table mode's entry", table.concat(bad, "; "))
  check(saved.first_byte == T[1].first_byte and fb2 == 0 and copy2.first_byte == nil and T[2].first_byte == nil,
    "first_byte: e:table() keeps one; an absent one is 0 in the record and nil in e:table() (as in table mode)",
    fmt(saved.first_byte) .. " " .. fmt(fb2) .. " " .. fmt(copy2.first_byte))
  rd:close()
  local it2, rd2 = s3d.oplog.reader("s3dlio.tsv", { light = true })
  local e = it2(rd2)
  check(e.no_such_field == nil and e.first_byte > 0, "an unknown field of a record reads nil", fmt(e.no_such_field))
  rd2:close()
end
LUA
lua "t_ns, HEAD, the record" tns.lua

# C4. errors: path:line and the field from the light iterator; skip_bad; a cut
# .zst; close
write_bad_logs # tests/cli/oplog-fixtures.sh
zstd -q -c badnum.tsv >badnum.tsv.zst
cat >lerr.lua <<'LUA'
local C = dofile("common.lua")
local check = C.check
-- a bad line: the light iterator raises what table mode raises, after the same entries
for _, c in ipairs({
  { "badnum.tsv", "badnum.tsv:3: field 'bytes': '12x' is not a number", 1 },
  { "badnum.tsv.zst", "badnum.tsv.zst:3: field 'bytes': '12x' is not a number", 1 },
  { "badtime.tsv", "badtime.tsv:4: field 'start'", 2 },
  { "count.tsv", "count.tsv:3: 12 fields, the header has 13", 1 },
  { "bad.jsonl", "bad.jsonl:2: field 'bytes'", 1 },
  { "mixed.tsv", "mixed.tsv:3: field 'bytes'", 1 },
}) do
  local path, needle, n = c[1], c[2], c[3]
  local okT, msgT, T = C.read_table(path)
  local okL, msgL, L = C.read_light(path)
  check(not okL and msgL:find(needle, 1, true), path .. ": the light iterator raises '" .. needle .. "'",
    okL and ("no error, " .. #L .. " entries") or msgL)
  -- both carry the position of the loop that called the iterator (common.lua:N:), which differs
  local function bare(m) return (m:gsub("^[%w%._/-]+%.lua:%d+: ", "")) end
  check(not okT and bare(msgL) == bare(msgT), path .. ": with the same message as table mode", msgL .. " | " .. msgT)
  check(#L == n and #T == n, path .. ": after the " .. n .. " good entries before it", #L .. " light, " .. #T .. " table")
end
-- skip_bad: the same good entries in both modes, the bad lines counted
for _, path in ipairs({ "mixed.tsv", "mixed.tsv.zst", "bad.jsonl" }) do
  local n = path == "bad.jsonl" and 2 or 3
  local T, L = C.compare(path, n, { skip_bad = true }, path .. " with skip_bad")
  local lines = {}
  for _, e in ipairs(L) do lines[#lines + 1] = e.line end
  check(table.concat(lines, " ") == (n == 3 and "2 4 7" or "1 4"), path .. " with skip_bad: light entries of the good lines",
    table.concat(lines, " "))
  local it, rd = s3d.oplog.reader(path, { light = true, skip_bad = true })
  for _ in it, rd do end
  check(rd:skipped() == (n == 3 and 3 or 2), path .. " with skip_bad: rd:skipped() (the second value of reader) counts the bad lines",
    rd:skipped())
end
-- a cut .zst raises, with skip_bad too, in both modes
for _, light in ipairs({ false, true }) do
  for _, skip in ipairs({ false, true }) do
    local what = ("trunc.tsv.zst (%s%s)"):format(light and "light" or "table", skip and ", skip_bad" or "")
    local ok, msg, es
    if light then ok, msg, es = C.read_light("trunc.tsv.zst", { skip_bad = skip })
    else ok, msg, es = C.read_table("trunc.tsv.zst", { skip_bad = skip }) end
    check(not ok and msg:find("trunc.tsv.zst:", 1, true) and msg:find("zstd frame", 1, true),
      what .. ": a .zst cut inside a frame raises naming the path", ok and ("no error, " .. #es .. " entries") or msg)
    check(#es == 1, what .. ": after the 1 entry before the cut line", #es)
  end
end
-- a corrupt .zst with skip_bad: the good frame's entries, then an error
do
  local ok, msg, es, _, rd = C.read_light("corrupt.tsv.zst", { skip_bad = true })
  check(#es == 999 and (not ok and msg:find("zstd", 1, true) or (ok and rd and rd:skipped() > 0)),
    "corrupt .zst, light, skip_bad: the 999 entries, then the corruption raised (or counted)",
    ("%s, %d entries, %s"):format(ok and "no error" or "error", #es, msg))
end
-- close: iterating after rd:close() ends (no error, no entry); close twice is harmless
for _, light in ipairs({ false, true }) do
  local mode = light and "light" or "table"
  local it, rd = s3d.oplog.reader("s3dlio.tsv", { light = light })
  local e = it(rd)
  local first = e and e.idx
  rd:close()
  local n = 0
  local ok, msg = pcall(function() for _ in it, rd do n = n + 1 end end)
  check(first == 0 and ok and n == 0, mode .. ": after rd:close(), iterating ends cleanly without entries",
    ("%s, %d entries"):format(ok and "no error" or msg, n))
  local ok2, msg2 = pcall(function() rd:close() end)
  check(ok2, mode .. ": rd:close() twice is harmless", msg2)
  check(rd:error() == "the reader is closed" and rd:skipped() == 0, mode .. ": rd:error() after close says the reader is closed",
    rd:error())
end
-- closing a .zst reader while its input thread is busy
do
  local it, rd = s3d.oplog.reader(arg[1], { light = true })
  local n = 0
  for _ = 1, 10 do if it(rd) then n = n + 1 end end
  rd:close()
  local it2, rd2 = s3d.oplog.reader(arg[1], { light = true })
  local e = it2(rd2)
  local ok = e and e.idx >= 0
  rd2 = nil
  it2 = nil
  collectgarbage()
  collectgarbage()
  check(n == 10 and ok, "a big .zst: close after 10 entries (input thread busy), or drop the reader to the GC", n)
end
-- a missing file raises at once in light mode too
do
  local ok, msg = pcall(s3d.oplog.reader, "nosuch.tsv", { light = true })
  check(not ok and tostring(msg):find("nosuch.tsv: No such file or directory", 1, true),
    "light: a missing file raises in s3d.oplog.reader", ok and "no error" or msg)
end
LUA
# the speed log doubles as the big .zst of the close check
cat >gen.lua <<'LUA'
local n = tonumber(arg[1])
local st = assert(s3d.open("null://"))
for i = 1, n do assert(st:get("obj/" .. i, { discard = true })) end
LUA
timeout -k 2 "$TMO" "$S3DLUA" --op-log speed.tsv.zst run gen.lua "$SPEED" >/dev/null 2>"$T/.err"
is "speed.tsv.zst: $SPEED GETs on null:// written" "0 " "$? $(head -c 300 "$T/.err")"
lua "light errors" lerr.lua speed.tsv.zst

# C5. long lines (longer than the reader's 1 MiB chunks), no final newline,
# CRLF, sizes of exactly 1 and 2 MiB, a line or a CRLF cut by the 1 MiB
# boundary; each plain and .zst
cat >edge.lua <<'LUA'
-- edge.lua: the files and what each holds; edge.lua write: writes them
local C = dofile("common.lua")
local MiB = 1048576
local files = {}
local function add(name, lines, want, eol, final)
  eol = eol or "\n"
  local text = table.concat(lines, eol) .. (final == false and "" or eol)
  local copy = {} -- the entries so far (fill goes on adding to want)
  for i, x in ipairs(want) do copy[i] = x end
  files[#files + 1] = { name = name, text = text, want = copy }
end
-- entry(i, op, bytes, file, err) -> the TSV line and what it reads as
local function entry(lines, want, idx, op, bytes, file, err)
  lines[#lines + 1] = C.tsv(idx, op, bytes, file, err)
  want[#want + 1] = { line = #lines, idx = idx, op = op == "STAT" and "HEAD" or op, bytes = bytes, file = file,
    error = err or "", duration_ns = 1000 + idx }
end
-- long lines: 1.5 MiB of key, 1.5 MiB of error, 2.5 MiB of key (over 3 chunks)
do
  local l, w = { C.HEADER }, {}
  entry(l, w, 0, "PUT", 1, "s3://b/short0")
  entry(l, w, 1, "GET", 2, "s3://b/" .. C.long(1.5 * MiB, "k1"))
  entry(l, w, 2, "STAT", 3, "s3://b/short2")
  entry(l, w, 3, "GET", 4, "s3://b/e", "HTTP 500 " .. C.long(1.5 * MiB, "e3"))
  entry(l, w, 4, "PUT", 5, "s3://b/" .. C.long(2.5 * MiB, "k4"))
  entry(l, w, 5, "DELETE", 6, "s3://b/short5")
  add("long.tsv", l, w)
  local j = {}
  for i, x in ipairs(w) do
    j[i] = ('{"idx":%d,"op":"%s","bytes":%d,"file":"%s","error":"%s","start":"2024-01-01T00:00:%02d.5Z","duration_ns":%d}'):format(
      x.idx, x.op, x.bytes, x.file, x.error, i, x.duration_ns)
  end
  local wj = {}
  for i, x in ipairs(w) do wj[i] = { line = i, idx = x.idx, op = x.op, bytes = x.bytes, file = x.file, error = x.error,
    duration_ns = x.duration_ns } end
  add("long.jsonl", j, wj)
end
-- no final newline; CRLF; CRLF and no final newline
do
  local l, w = { C.HEADER }, {}
  for i = 0, 4 do entry(l, w, i, "GET", i * 10, "s3://b/n" .. i, i == 4 and "last error" or nil) end
  add("nonl.tsv", l, w, "\n", false)
  add("crlf.tsv", l, w, "\r\n")
  add("crlf-nonl.tsv", l, w, "\r\n", false)
  local m = { "op\tfile\tbytes\tstart\tduration_ns\terror" }
  local wm = {}
  for i = 1, 3 do
    m[#m + 1] = ("GET\ts3://b/m%d\t%d\t2024-01-01T00:00:0%d.5Z\t%d\t%s"):format(i, i, i, 100 + i, i == 3 and "boom" or "")
    wm[#wm + 1] = { line = i + 1, op = "GET", file = "s3://b/m" .. i, bytes = i, error = i == 3 and "boom" or "",
      duration_ns = 100 + i }
  end
  add("crlf-minimal.tsv", m, wm, "\r\n") -- the error column last: "" and "boom", not "\r"
  local jl, wjl = {}, {}
  for i = 1, 3 do
    jl[i] = ('{"op":"PUT","file":"j%d","bytes":%d,"start":"2024-01-01T00:00:0%dZ","duration_ns":%d,"error":"%s"}'):format(
      i, i, i, i, i == 2 and "e" or "")
    wjl[i] = { line = i, op = "PUT", file = "j" .. i, bytes = i, error = i == 2 and "e" or "", duration_ns = i }
  end
  add("crlf.jsonl", jl, wjl, "\r\n")
end
-- sizes to the byte: lines are padded so that a line ends exactly at TARGET
-- bytes (counting its eol); fill adds lines until then
local function fill(l, w, target, eol)
  local function size()
    local n = 0
    for _, x in ipairs(l) do n = n + #x + #eol end
    return n
  end
  local total = size()
  local function pad_line(len) -- an entry whose line (with eol) is len bytes
    local idx = #w
    local base = #C.tsv(idx, "GET", idx, "s3://b/p" .. idx .. "/", nil) + #eol
    entry(l, w, idx, "GET", idx, "s3://b/p" .. idx .. "/" .. ("p"):rep(len - base), nil)
    total = total + len
  end
  while target - total > 1300 do pad_line(150 + (#w * 37) % 150) end
  local r = target - total
  pad_line(math.floor(r / 2))
  pad_line(r - math.floor(r / 2))
  assert(size() == target, "fill: " .. size() .. " bytes, not " .. target)
end
do
  local l, w = { C.HEADER }, {}
  fill(l, w, MiB, "\n")
  add("exact1.tsv", l, w)
  fill(l, w, 2 * MiB, "\n")
  add("exact2.tsv", l, w) -- a line ends at 1 MiB and the file at 2 MiB
  l, w = { C.HEADER }, {}
  fill(l, w, MiB + 1, "\n")
  entry(l, w, #w, "PUT", 7, "s3://b/after")
  add("nl-next.tsv", l, w) -- the newline of a line is the first byte of the second MiB
  l, w = { C.HEADER }, {}
  fill(l, w, MiB + 1, "\r\n")
  entry(l, w, #w, "PUT", 8, "s3://b/after-crlf")
  add("crlf-cut.tsv", l, w, "\r\n") -- CR the last byte of the first MiB, LF the first of the second
end
if arg[1] == "write" then
  for _, f in ipairs(files) do
    local h = assert(io.open(f.name, "wb"))
    h:write(f.text)
    h:close()
  end
  return
end
-- edge.lua check NAME...: those files, plain and .zst, in both modes, against what they hold
local check, fmt = C.check, C.fmt
local pick = {}
for i = 2, #arg do pick[arg[i]] = true end
for _, f in ipairs(files) do
  for _, path in ipairs(pick[f.name] and { f.name, f.name .. ".zst" } or {}) do
    local T, L = C.compare(path, #f.want)
    for _, m in ipairs({ { "table", T }, { "light", L } }) do
      local mode, es = m[1], m[2]
      local bad
      for i, x in ipairs(f.want) do
        local e = es[i] or {}
        for k, v in pairs(x) do
          if e[k] ~= v and not bad then
            local d = ""
            if type(v) == "string" and type(e[k]) == "string" then
              local p = 1
              while p <= #v and v:byte(p) == e[k]:byte(p) do p = p + 1 end
              d = (" (%d vs %d bytes, differ at byte %d)"):format(#e[k], #v, p)
            end
            bad = ("entry %d %s: expected %s, got %s%s"):format(i, k, fmt(v), fmt(e[k]), d)
          end
        end
      end
      check(bad == nil, ("%s, %s mode: every entry as written (%d bytes)"):format(path, mode, #f.text), bad)
    end
  end
end
LUA
timeout -k 2 "$TMO" "$S3DLUA" run edge.lua write >/dev/null 2>"$T/.err"
is "edge.lua writes the edge-case logs" "0 " "$? $(head -c 300 "$T/.err")"
for f in long.tsv long.jsonl nonl.tsv crlf.tsv crlf-nonl.tsv crlf-minimal.tsv crlf.jsonl exact1.tsv exact2.tsv nl-next.tsv crlf-cut.tsv; do
    zstd -q -f -c "$f" >"$f.zst"
done
is "exact1.tsv and exact2.tsv are exactly 1 and 2 MiB" "1048576 2097152" "$(stat -c %s exact1.tsv) $(stat -c %s exact2.tsv)"
is "nl-next.tsv: byte 1048576 ends a line's text, the next is its newline" "x0a" \
    "$(head -c 1048577 nl-next.tsv | tail -c 1 | od -An -tx1 | tr -d ' ' | sed 's/^/x/')"
is "crlf-cut.tsv: bytes 1048576 and 1048577 are CR and LF" "0d0a" \
    "$(head -c 1048577 crlf-cut.tsv | tail -c 2 | od -An -tx1 | tr -d ' ')"
lua "long lines, line ends, sizes" edge.lua check long.tsv long.jsonl crlf.tsv crlf-minimal.tsv crlf.jsonl \
    exact1.tsv exact2.tsv nl-next.tsv crlf-cut.tsv
# without a final newline: one file a run, bounded (a reader that hangs is killed)
for f in nonl.tsv crlf-nonl.tsv; do
    LTMO=$HANG lua "no final newline ($f)" edge.lua check "$f"
done
# the iterator called again after it ended: nil again, at once
cat >again.lua <<'LUA'
local C = dofile("common.lua")
local light = arg[1] == "light"
local it, rd = s3d.oplog.reader("s3dlio.tsv", { light = light })
local n = 0
while it(rd) do n = n + 1 end
C.check(n == 4, "4 entries, then nil", n)
C.check(it(rd) == nil, "called again after the end: nil again (no hang)", "an entry")
rd:close()
LUA
for m in table light; do
    LTMO=$HANG lua "$m mode, after the end" again.lua "$m"
done

# --- D. speed: light records at least 2x faster than tables (same run) --------------
cat >speed.lua <<'LUA'
local C = dofile("common.lua")
local check = C.check
local path, N, VG = arg[1], tonumber(arg[2]), arg[3] == "1"
local function run(light)
  local t0 = s3d.now()
  local n, sum, gets = 0, 0, 0
  for e in s3d.oplog.reader(path, { light = light }) do
    n = n + 1
    sum = sum + e.bytes + e.duration_ns + e.t_ns
    if e.op == "GET" then gets = gets + 1 end
  end
  return s3d.now() - t0, n, sum, gets
end
local best, res = { [false] = math.huge, [true] = math.huge }, {}
for _ = 1, VG and 1 or 3 do
  for _, light in ipairs({ false, true }) do
    local dt, n, sum, gets = run(light)
    if dt < best[light] then best[light] = dt end
    res[light] = ("%d %.0f %d"):format(n, sum, gets)
  end
end
check(res[true] == res[false] and res[true]:match("^%d+") == tostring(N),
  "light and table mode read the same " .. N .. " entries (count, sum of bytes + duration_ns + t_ns, GETs)",
  res[false] .. " vs " .. res[true])
if not VG then
  local ratio = best[false] / best[true]
  check(ratio >= 2, ("light is at least 2x faster than tables: %.0f ms vs %.0f ms (%.1fx, %.2f M entries/s)"):format(
    best[true] / 1e6, best[false] / 1e6, ratio, N / best[true] * 1e3), ("%.2fx"):format(ratio))
end
LUA
lua "speed" speed.lua speed.tsv.zst "$SPEED" "$VG"

finish
