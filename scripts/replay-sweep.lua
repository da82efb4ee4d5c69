-- replay-sweep.lua: how fast can a target take this workload? Replays an
-- op-log at speeds 1, 2, 4, ... onto a target until the ops stop starting on
-- time (p99 lateness above a limit) or fail, and prints one line per speed:
-- the highest speed that kept up is the target's headroom for this workload.
--   s3dlua run scripts/replay-sweep.lua LOG TARGET_URI [P99_LIMIT_MS [MAX_SPEED]]
--   e.g. s3dlua run scripts/replay-sweep.lua run.tsv.zst s3://bench/sweep/ 5 64
local replay = require "s3dlua.replay"

local log, target = arg[1], arg[2]
local limit_us = (tonumber(arg[3]) or 5) * 1000
local max_speed = tonumber(arg[4]) or 64
if not (log and target) then
  io.stderr:write("usage: s3dlua run scripts/replay-sweep.lua LOG TARGET_URI [P99_LIMIT_MS [MAX_SPEED]]\n")
  os.exit(2)
end

print(string.format("%8s %9s %8s %12s %12s %10s", "speed", "ops", "failed", "ops/s", "late p99 us",
  "wall s"))
local best, speed, prepared = nil, 1, false
while speed <= max_speed do
  local r = replay.run { log = log, target = target, speed = speed, prepare = not prepared }
  prepared = true
  local ops = r.done + r.failed
  print(string.format("%8g %9d %8d %12.1f %12.1f %10.3f", speed, ops, r.failed,
    r.wall_s > 0 and ops / r.wall_s or 0, r.lateness.p99_us, r.wall_s))
  if r.failed > 0 or r.lateness.p99_us > limit_us then break end
  best, speed = speed, speed * 2
end
print(best and string.format("kept up up to speed %g (p99 lateness <= %.1f ms)", best, limit_us / 1000)
  or "did not keep up even at speed 1")
