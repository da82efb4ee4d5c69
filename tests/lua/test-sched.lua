-- The scheduler: tasks, join, wait, sleep, blocking calls outside tasks.
local s3d = require "s3dlua"
local t = require "s3dlua.test"

-- spawn/join returns the task's results; tasks start on the next loop turn
local order = {}
local a = s3d.spawn(function(x, y) order[#order + 1] = "a"; return x + y, "done" end, 2, 3)
order[#order + 1] = "main"
local r1, r2 = a:join()
t.eq(r1, 5, "join returns the first result")
t.eq(r2, "done", "join returns every result")
t.eq(order[1], "main", "a spawned task starts after the spawner yields")
t.eq(a:status(), "done", "status of a finished task")
t.eq(a:join(), 5, "joining twice returns the results again")

-- a failing task fails alone; join returns nil, traceback
local bad = s3d.spawn(function() error("boom in task") end)
local v, err = bad:join()
t.ok(v == nil and tostring(err):find("boom in task", 1, true), "join of a failed task gives nil, err")
t.ok(tostring(err):find("traceback", 1, true), "the error carries a traceback")
t.eq(bad:status(), "failed", "status of a failed task")

-- sleep inside tasks overlaps; s3d.now is monotonic ns
local t0 = s3d.now()
local ts = {}
for i = 1, 10 do ts[i] = s3d.spawn(function() s3d.sleep(0.05) return i end) end
t.eq(s3d.wait(ts), 0, "wait{tasks} returns the number of failed tasks")
local ms = (s3d.now() - t0) / 1e6
t.ok(ms >= 49 and ms < 500, "10 concurrent 50 ms sleeps take ~50 ms, not 500", ms .. " ms")
t0 = s3d.now()
s3d.sleep("20ms")
ms = (s3d.now() - t0) / 1e6
t.ok(ms >= 19 and ms < 300, "top-level sleep blocks for its duration", ms .. " ms")

-- tasks spawning tasks and joining them
local outer = s3d.spawn(function()
  local inner = {}
  for i = 1, 5 do inner[i] = s3d.spawn(function() s3d.sleep(0.001) return i * i end) end
  local sum = 0
  for i = 1, 5 do sum = sum + inner[i]:join() end
  return sum
end)
t.eq(outer:join(), 55, "a task joins the tasks it spawned")
local _, werr = s3d.spawn(function() s3d.wait() end):join()
t.ok(tostring(werr):find("cannot run inside a task", 1, true),
  "s3d.wait() inside a task is refused with a reason", tostring(werr))

-- s3d.sleep(0) lets other tasks run (cooperative yield)
local seq = {}
local p = s3d.spawn(function() for i = 1, 3 do seq[#seq + 1] = "p" .. i; s3d.sleep(0) end end)
local q = s3d.spawn(function() for i = 1, 3 do seq[#seq + 1] = "q" .. i; s3d.sleep(0) end end)
s3d.wait(p, q)
t.eq(table.concat(seq, ","), "p1,q1,p2,q2,p3,q3", "sleep(0) interleaves tasks")

-- in_task
t.eq(s3d.in_task(), false, "top level is not a task")
t.eq(s3d.spawn(function() return s3d.in_task() end):join(), true, "a task knows it is one")

-- thousands of tasks: memory per task stays small
collectgarbage("collect")
local before = collectgarbage("count")
local many = {}
local N = 10000
for i = 1, N do many[i] = s3d.spawn(function() s3d.sleep(0.01) end) end
collectgarbage("collect")
local per_task = (collectgarbage("count") - before) * 1024 / N
print(string.format("# %d suspended-to-be tasks: %.0f bytes of Lua heap per task", N, per_task))
t.ok(per_task < 4096, "a queued task costs under 4 KiB of Lua memory", per_task .. " bytes")
t.eq(s3d.wait(many), 0, "10000 tasks all finish")

-- sizes and durations
t.eq(s3d.size("4KiB"), 4096, "4KiB")
t.eq(s3d.size("1MB"), 1000000, "1MB")
t.eq(s3d.size("2GiB"), 2 * 1024 ^ 3, "2GiB")
t.eq(s3d.size(123), 123, "numbers are bytes")
t.eq(s3d.duration("30s"), 30, "30s")
t.eq(s3d.duration("500ms"), 0.5, "500ms")
t.eq(s3d.duration("250us"), 0.00025, "250us")
t.eq(s3d.duration("2m"), 120, "2m")
t.raises(function() s3d.size("4XB") end, "bad size '4XB'", "a bad size names itself")
t.raises(function() s3d.duration("soon") end, "bad duration 'soon'", "a bad duration names itself")
t.raises(function() s3d.size("-1") end, "bad size", "negative sizes are refused")
t.raises(function() s3d.spawn(42) end, "function expected", "spawn checks its argument")

t.eq(s3d.thread.id, 1, "thread id defaults to 1")
t.eq(s3d.thread.count, 1, "thread count defaults to 1")
return t.done()
