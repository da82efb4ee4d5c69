-- null.lua - the runtime alone: TASKS tasks doing store:get(key, {discard=true}) on null://
-- (every operation completes on the next loop turn, no I/O) for DURATION seconds.
-- Runs once per --threads thread: each thread prints its own line, and done() (thread 1,
-- after every thread has finished and the named counters are merged) prints the total.
-- usage: s3dlua [--threads N] run bench/null.lua [TASKS [DURATION [SIZE]]]
-- prints: thread=I ops= secs= ops_per_s=   then   threads=N total_ops= ops_per_s= per_thread=
local s3d = require "s3dlua"

local ntasks = tonumber(arg[1] or 64)
local duration = s3d.duration(arg[2] or 3)
local size = arg[3] or "4KiB"

local st = assert(s3d.open("null://", { size = size }))
local ops = s3d.stats.counter("ops")
local nsecs = s3d.stats.counter("ns") -- summed over threads, for the mean duration
local opt = { discard = true }
local t0 = s3d.now()
local deadline = t0 + duration * 1e9
local count = 0
local tasks = {}
for w = 1, ntasks do
  tasks[w] = s3d.spawn(function()
    local now, get = s3d.now, st.get
    local key = "k" .. w
    local n = 0
    repeat
      for _ = 1, 64 do assert(get(st, key, opt)) end -- check the clock every 64 gets
      n = n + 64
    until now() >= deadline
    count = count + n
  end)
end
assert(s3d.wait(tasks) == 0, "a task failed")
local ns = s3d.now() - t0
ops:add(count)
nsecs:add(ns)
print(("thread=%d ops=%d secs=%.3f ops_per_s=%.0f"):format(s3d.thread.id, count, ns / 1e9,
  count / (ns / 1e9)))

function done()
  local nthreads = s3d.thread.count
  local total, secs = ops:get(), nsecs:get() / 1e9 / nthreads
  print(("threads=%d total_ops=%d ops_per_s=%.0f per_thread=%.0f"):format(nthreads, total,
    total / secs, total / secs / nthreads))
end
