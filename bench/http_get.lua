-- http_get.lua - GETs of one key over and over: TASKS tasks per thread, each looping
-- store:get(key, {discard = true}) (or {into = buf}, one buffer per task) until DURATION
-- seconds have passed. wrk's model: with --threads N every thread runs this script with its
-- own loop and connections, so N threads x TASKS tasks = the connections in use (one
-- request in flight per task; libcurl keeps each connection for the next request).
-- Every GET's latency goes into the histogram "lat" and ops/bytes into named counters;
-- after all threads end they are merged into thread 1, where done() prints the totals.
-- usage: s3dlua [--threads N] run bench/http_get.lua URI KEY [TASKS [DURATION [discard|into]]]
--   URI e.g. s3://bench/ (endpoint, credentials, region from AWS_* as the AWS CLI)
-- prints: thread=I ops= bytes= secs=   per thread, then in done():
--   threads=N tasks=T ops= bytes= secs= ops_per_s= mbps= p50_us= p99_us= max_us= errors=
local s3d = require "s3dlua"

local uri = assert(arg[1], "URI needed (s3://bucket/)")
local key = assert(arg[2], "KEY needed")
local ntasks = tonumber(arg[3] or 16)
local duration = s3d.duration(arg[4] or 5)
local mode = arg[5] or "discard"
assert(mode == "discard" or mode == "into", "mode must be discard or into")

local st = assert(s3d.open(uri))
-- the object's size, once, for the per-task buffers (and a check the key is there)
local size = assert(st:stat(key)).size

local c_ops = s3d.stats.counter("ops")
local c_bytes = s3d.stats.counter("bytes")
local c_ns = s3d.stats.counter("ns") -- summed over threads, for the mean duration
local c_err = s3d.stats.counter("errors")
local lat = s3d.stats.histogram { name = "lat" } -- default preset: 1 ns .. 1 s, 3 digits

local t_start = s3d.now()
local deadline = t_start + duration * 1e9
local ops, bytes, errors = 0, 0, 0
local tasks = {}
for w = 1, ntasks do
  tasks[w] = s3d.spawn(function()
    local opt = mode == "into" and { into = s3d.buffer(size) } or { discard = true }
    local now, get = s3d.now, st.get
    local n, nb = 0, 0
    while true do
      local t0 = now()
      local got, err = get(st, key, opt)
      local t1 = now()
      if not got then
        errors = errors + 1
        if errors <= 3 then io.stderr:write("http_get: ", tostring(err), "\n") end
        if errors >= 100 then error("too many errors, last: " .. tostring(err)) end
      else
        lat:record(t1 - t0)
        n = n + 1
        nb = nb + got
      end
      if t1 >= deadline then break end
    end
    ops, bytes = ops + n, bytes + nb
  end)
end
assert(s3d.wait(tasks) == 0, "a task failed")
local ns = s3d.now() - t_start
c_ops:add(ops)
c_bytes:add(bytes)
c_ns:add(ns)
c_err:add(errors)
print(("thread=%d ops=%d bytes=%d secs=%.3f"):format(s3d.thread.id, ops, bytes, ns / 1e9))

function done()
  local nthreads = s3d.thread.count
  local total, nbytes = c_ops:get(), c_bytes:get()
  local secs = c_ns:get() / 1e9 / nthreads
  print(("threads=%d tasks=%d ops=%d bytes=%d secs=%.3f ops_per_s=%.0f mbps=%.1f p50_us=%.1f p99_us=%.1f max_us=%.1f errors=%d")
    :format(nthreads, ntasks, total, nbytes, secs, total / secs, nbytes / secs / 1e6,
      lat:percentile(50) / 1e3, lat:percentile(99) / 1e3, lat:percentiles().max / 1e3,
      c_err:get()))
end
