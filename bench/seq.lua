-- seq.lua - sequential file:// transfer of one object in BS pieces, timed with s3d.now()
-- from opening the stream to commit (write) or close (read).
-- usage: s3dlua run bench/seq.lua write DIR KEY [BS [COUNT]]   (writer: COUNT x BS of zeros)
--        s3dlua run bench/seq.lua read DIR KEY [BS]            (reader: r:read(buf, BS) to EOF)
-- prints: bytes= secs= mbps=
local s3d = require "s3dlua"

local mode, dir, key = arg[1], arg[2], arg[3]
assert(mode == "write" or mode == "read", "usage: seq.lua write|read DIR KEY [BS [COUNT]]")
local bs = s3d.size(arg[4] or "1MiB")
local count = tonumber(arg[5] or 1024)
local st = assert(s3d.open("file://" .. dir .. "/"))

local function check(v, err)
  if v == nil then error(tostring(err), 2) end
  return v
end

local bytes, t0 = 0, nil
if mode == "write" then
  local buf = s3d.buffer(string.rep("\0", bs)) -- like dd's /dev/zero blocks
  t0 = s3d.now()
  local w = check(st:writer(key))
  for _ = 1, count do bytes = bytes + check(w:write(buf)) end
  check(w:commit())
else
  local buf = s3d.buffer(bs)
  t0 = s3d.now()
  local r = check(st:reader(key))
  while true do
    local n = check(r:read(buf, bs))
    if n == 0 then break end
    bytes = bytes + n
  end
  r:close()
end
local secs = (s3d.now() - t0) / 1e9
print(("bytes=%d secs=%.4f mbps=%.1f"):format(bytes, secs, bytes / secs / 1e6))
