-- randread.lua - random aligned reads over one page-cached file: TASKS tasks, each
-- with its own reader, doing r:read_at(random offset, buf, BS) until DURATION
-- seconds have passed; every read's latency goes into one histogram.
-- usage: s3dlua run bench/randread.lua DIR KEY [BS [TASKS [DURATION [SEED]]]]
-- prints one line of key=value pairs (ops, secs, iops, mbps, p50_us, p99_us).
local s3d = require "s3dlua"

local dir, key = assert(arg[1], "DIR needed"), assert(arg[2], "KEY needed")
local bs = s3d.size(arg[3] or "64KiB")
local ntasks = tonumber(arg[4] or 64)
local duration = s3d.duration(arg[5] or 5)
local seed = tonumber(arg[6] or 42)

local st = assert(s3d.open("file://" .. dir .. "/"))
local size = assert(st:stat(key)).size
local nblocks = math.floor(size / bs)
assert(nblocks > 0, "file smaller than one block")

local lat = s3d.stats.histogram("default")
local ops, bytes, short = 0, 0, 0
local t_start = s3d.now()
local deadline = t_start + duration * 1e9

local tasks = {}
for w = 1, ntasks do
  tasks[w] = s3d.spawn(function()
    local r = assert(st:reader(key))
    local buf = s3d.buffer(bs)
    -- Park-Miller LCG per task: reproducible offsets, no shared RNG state
    local x = (seed * 7919 + w * 104729) % 2147483647
    if x == 0 then x = 1 end
    local now = s3d.now
    while true do
      x = (x * 16807) % 2147483647
      local off = (x % nblocks) * bs
      local t0 = now()
      local n = assert(r:read_at(off, buf, bs))
      local t1 = now()
      lat:record(t1 - t0)
      ops = ops + 1
      bytes = bytes + n
      if n ~= bs then short = short + 1 end
      if t1 >= deadline then break end
    end
    r:close()
  end)
end
assert(s3d.wait(tasks) == 0, "a reader task failed")
local secs = (s3d.now() - t_start) / 1e9
print(("ops=%d secs=%.3f iops=%.0f mbps=%.1f p50_us=%.1f p99_us=%.1f short=%d"):format(
  ops, secs, ops / secs, bytes / secs / 1e6, lat:percentile(50) / 1e3,
  lat:percentile(99) / 1e3, short))
