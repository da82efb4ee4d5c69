-- oplog_gen.lua - N operations on null:// (16 tasks, 4 GETs to 1 PUT of 4 KiB)
-- for a big op-log: run as `s3dlua --op-log FILE run bench/oplog_gen.lua N`,
-- so the log is written by the real writer, in completion order.
local s3d = require "s3dlua"
local n = tonumber(arg[1]) or error("usage: s3dlua --op-log FILE run bench/oplog_gen.lua N")
local st = assert(s3d.open("null://bench/", { size = "4KiB" }))
local per, opt = math.ceil(n / 16), { discard = true }
for w = 1, 16 do
  s3d.spawn(function()
    for i = 1, math.min(per, n - (w - 1) * per) do
      if i % 5 == 0 then
        assert(st:put("train/" .. w .. "/" .. i, "x"))
      else
        assert(st:get("train/" .. w .. "/" .. (i % 1000), opt))
      end
    end
  end)
end
s3d.wait()
