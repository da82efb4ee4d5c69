-- tasks.lua - what a task costs.
--   mem N:   spawns N tasks that each s3d.sleep(SLEEP) and, once every one of them is
--            suspended, measures the Lua heap (collectgarbage "count") and the process RSS
--            (/proc/self/statm) against the same figures before spawning.
--            prints: n= lua_bytes_per_task= rss_bytes_per_task= suspended= finished_early=
--   rate N [ROUNDS]: spawns N trivial tasks and waits for them, ROUNDS times (best round).
--            prints: n= secs= tasks_per_s=
--   mem-co N, rate-co N [ROUNDS]: the same with bare coroutines (coroutine.create, a
--            yield instead of the sleep, resumed by a plain loop): the floor a task
--            built on a coroutine can reach, measured by the same code.
-- usage: s3dlua run bench/tasks.lua mem 100000 [SLEEP] | rate 200000 [3] | mem-co N | rate-co N
local s3d = require "s3dlua"

local mode, n = arg[1], tonumber(arg[2] or 10000)

local function rss_bytes()
  local f = assert(io.open("/proc/self/statm"))
  local line = f:read("*l")
  f:close()
  local resident = tonumber(line:match("^%d+%s+(%d+)"))
  return resident * 4096 -- getconf PAGESIZE; 4 KiB on the machines we bench on
end

local function settle()
  collectgarbage("collect")
  collectgarbage("collect") -- finalizers of the first pass, then their garbage
end

if mode == "mem" then
  local sleep = tonumber(arg[3] or 0.5)
  local started, finished = 0, 0
  local function body()
    started = started + 1
    s3d.sleep(sleep)
    finished = finished + 1
  end
  local tasks = {}
  tasks[1] = s3d.spawn(function() end) -- warm up: first timer, pools, metatables
  s3d.wait(tasks)
  tasks[1] = nil
  settle()
  local lua0, rss0 = collectgarbage("count") * 1024, rss_bytes()
  local t0 = s3d.now()
  for i = 1, n do tasks[i] = s3d.spawn(body) end
  -- run the loop until every task has started and sits in its sleep
  while started < n do s3d.sleep(0.001) end
  settle()
  local lua1, rss1 = collectgarbage("count") * 1024, rss_bytes()
  local suspended, early = started - finished, finished
  local setup = (s3d.now() - t0) / 1e9
  assert(s3d.wait(tasks) == 0, "a sleeping task failed")
  print(("n=%d lua_bytes_per_task=%.0f rss_bytes_per_task=%.0f suspended=%d " ..
    "finished_early=%d setup_secs=%.3f"):format(n, (lua1 - lua0) / n, (rss1 - rss0) / n,
    suspended, early, setup))
elseif mode == "mem-co" then
  local cos = {}
  local yield = coroutine.yield
  local function body() yield() end
  settle()
  local lua0, rss0 = collectgarbage("count") * 1024, rss_bytes()
  for i = 1, n do
    cos[i] = coroutine.create(body)
    coroutine.resume(cos[i]) -- now suspended in yield, like a task in its sleep
  end
  settle()
  local lua1, rss1 = collectgarbage("count") * 1024, rss_bytes()
  for i = 1, n do assert(coroutine.resume(cos[i])) end
  print(("n=%d lua_bytes_per_task=%.0f rss_bytes_per_task=%.0f"):format(n, (lua1 - lua0) / n,
    (rss1 - rss0) / n))
elseif mode == "rate-co" then
  local rounds = tonumber(arg[3] or 3)
  local function trivial() end
  local create, resume = coroutine.create, coroutine.resume
  local best = math.huge
  for _ = 1, rounds do
    local cos = {}
    settle()
    local t0 = s3d.now()
    for i = 1, n do cos[i] = create(trivial) end -- create all, then run all, like spawn/wait
    for i = 1, n do resume(cos[i]) end
    local secs = (s3d.now() - t0) / 1e9
    if secs < best then best = secs end
  end
  print(("n=%d secs=%.4f tasks_per_s=%.0f"):format(n, best, n / best))
elseif mode == "rate" then
  local rounds = tonumber(arg[3] or 3)
  local function trivial() end
  local best = math.huge
  for _ = 1, rounds do
    local tasks = {}
    settle()
    local t0 = s3d.now()
    for i = 1, n do tasks[i] = s3d.spawn(trivial) end
    assert(s3d.wait(tasks) == 0)
    local secs = (s3d.now() - t0) / 1e9
    if secs < best then best = secs end
  end
  print(("n=%d secs=%.4f tasks_per_s=%.0f"):format(n, best, n / best))
else
  error("usage: tasks.lua mem|mem-co N [SLEEP] | rate|rate-co N [ROUNDS]")
end
