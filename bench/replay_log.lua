-- replay_log.lua - writes a synthetic op-log for the replay benchmark: N
-- entries started GAP_NS apart (exactly), GETs of 4 KiB objects spread over
-- NOBJ keys under ROOT (a URI prefix) and every PUT_EVERY-th entry a PUT
-- (default 10; 0: GETs only), in our 13-column TSV.
-- usage: s3dlua run bench/replay_log.lua OUT N GAP_NS [PUT_EVERY [NOBJ [ROOT]]]
local out, n, gap = arg[1], tonumber(arg[2]), tonumber(arg[3])
local put_every = tonumber(arg[4] or 10)
local nobj, root = tonumber(arg[5] or 1000), arg[6] or "s3://bench/replay/"
assert(out and n and gap, "usage: replay_log.lua OUT N GAP_NS [PUT_EVERY [NOBJ [ROOT]]]")
local f = assert(io.open(out, "w"))
f:write("idx\tthread\top\tclient_id\tn_objects\tbytes\tendpoint\tfile\terror\tstart\tfirst_byte\tend\tduration_ns\n")
local base = 1795514400 -- 2026-11-24T10:00:00Z
local function rfc(ns)
  local s = math.floor(ns / 1e9)
  return os.date("!%Y-%m-%dT%H:%M:%S", base + s) .. string.format(".%09dZ", ns - s * 1e9)
end
local buf = {}
for i = 0, n - 1 do
  local t = i * gap
  local op = put_every > 0 and i % put_every == put_every - 1 and "PUT" or "GET"
  buf[#buf + 1] = string.format("%d\t1\t%s\t\t1\t4096\t\t%sobj%d\t\t%s\t\t%s\t20000\n", i, op, root,
    (i * 7919) % nobj, rfc(t), rfc(t + 20000))
  if #buf == 4096 then f:write(table.concat(buf)) buf = {} end
end
f:write(table.concat(buf))
f:close()
