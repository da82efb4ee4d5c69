-- oplog_read.lua - reads an op-log through s3d.oplog.reader and prints
-- entries= secs= per_s= (entries a second). MODE light (the default): light
-- records, reading the op and bytes of each entry; keys: light records, the
-- key (file) of each entry made a Lua string as well, as a replay does;
-- table: one Lua table per entry.
-- usage: s3dlua run bench/oplog_read.lua FILE [light|keys|table]
local s3d = require "s3dlua"
local path, mode = arg[1], arg[2] or "light"
local keys = mode ~= "light"
local t0 = s3d.now()
local n, bytes, keylen, ops = 0, 0, 0, {}
for e in s3d.oplog.reader(path, { light = mode ~= "table" }) do
  n = n + 1
  bytes = bytes + e.bytes
  local op = e.op
  ops[op] = (ops[op] or 0) + 1
  if keys then keylen = keylen + #e.file end
end
local secs = (s3d.now() - t0) / 1e9
print(string.format("entries=%d secs=%.3f per_s=%.0f bytes=%d keylen=%d", n, secs, n / secs, bytes,
  keylen))
