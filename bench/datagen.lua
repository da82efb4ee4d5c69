-- datagen.lua - generated data streamed to standard output (point it at /dev/null):
-- each thread makes its share of one SIZE-byte object with gen:fill_at into one
-- BLOCK-sized buffer and writes it to fd 1. The figures go to stderr, from done():
--   threads= bytes= secs= gbps=   (GB = 10^9 bytes; secs: the threads' mean time)
-- usage: s3dlua [--threads N] run bench/datagen.lua SIZE [COMPRESS [DEDUP [BLOCK]]] >/dev/null
local s3d = require "s3dlua"
local util = s3d.util

local size = s3d.size(arg[1] or "4GiB")
local compress = tonumber(arg[2] or 1)
local dedup = tonumber(arg[3] or 1)
local block = s3d.size(arg[4] or "1MiB")

local gen = s3d.datagen.new { size = size, compress = compress, dedup = dedup, block = block }
local t, n = s3d.thread.id, s3d.thread.count
local share = math.ceil(size / block / n) * block -- whole blocks per thread
local from, to = (t - 1) * share, math.min(size, t * share)
local buf = s3d.buffer(block)
local c_bytes = s3d.stats.counter("bytes")
local c_ns = s3d.stats.counter("ns") -- summed over threads: their mean time
local t0 = s3d.now()
local off = from
while off < to do
  local got = gen:fill_at(buf, off, math.min(block, to - off))
  local ok, err = util.write(1, buf)
  if not ok then error("write: " .. tostring(err)) end
  off = off + got
end
c_ns:add(s3d.now() - t0)
c_bytes:add(off - from)

function done()
  local bytes, secs = c_bytes:get(), c_ns:get() / 1e9 / n
  io.stderr:write(string.format("threads=%d bytes=%d secs=%.4f gbps=%.2f\n", n, bytes, secs,
    bytes / secs / 1e9))
end
