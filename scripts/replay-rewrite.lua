-- replay-rewrite.lua: a replay schedule in Lua. Replays an op-log onto a
-- target with the entries rewritten on the way: PUT sizes scaled, DELETEs
-- dropped (keep the data set), keys spread over 16 hashed prefixes (as a
-- sharded bucket layout would), and the report printed.
--   s3dlua run scripts/replay-rewrite.lua LOG TARGET_URI [SIZE_SCALE [SPEED]]
--   e.g. s3dlua run scripts/replay-rewrite.lua run.tsv.zst file:///tmp/rw/ 2 4
local replay = require "s3dlua.replay"

local log, target = arg[1], arg[2]
local scale, speed = tonumber(arg[3] or 1), tonumber(arg[4] or 1)
if not (log and target) then
  io.stderr:write("usage: s3dlua run scripts/replay-rewrite.lua LOG TARGET_URI [SIZE_SCALE [SPEED]]\n")
  os.exit(2)
end
if not target:match("/$") then target = target .. "/" end

local function shard(key)
  local h = 0
  for i = 1, #key do h = (h * 31 + key:byte(i)) % 65536 end
  return string.format("%02x/", h % 16)
end

local report = replay.run {
  log = log,
  speed = speed,
  prepare = true, -- objects read before written are created first
  on_op = function(e)
    if e.op == "DELETE" then return false end
    local _, key = s3d.split_uri(e.src)
    key = key or e.src -- a bare key (warp)
    e.uri = target .. shard(key) .. key
    if e.op == "PUT" then e.bytes = math.floor(e.bytes * scale) end
  end,
}
print(replay.format(report))
os.exit(report.failed == 0 and 0 or 1)
