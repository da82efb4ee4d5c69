-- fio_json.lua - reads fio's --output-format=json on stdin and prints the read side of the
-- first job (the group with --group_reporting) as key=value, like the other bench scripts.
-- usage: fio ... --output-format=json | s3dlua run bench/fio_json.lua
-- prints: iops= mbps= p50_us= p99_us= (latencies: fio's total latency, submit to complete,
-- with --lat_percentiles=1; 0 when fio did not time the I/Os)
local cjson = require "cjson"

local text = io.read("*a")
local start = text:find("{", 1, true) -- fio may print warnings before the JSON
if not start then error("fio printed no JSON:\n" .. text) end
local doc = cjson.decode(text:sub(start))
local r = assert(doc.jobs and doc.jobs[1] and doc.jobs[1].read, "no read results in fio JSON")
local pct = r.lat_ns and r.lat_ns.percentile
if type(pct) ~= "table" then pct = {} end
print(("iops=%.0f mbps=%.1f p50_us=%.1f p99_us=%.1f"):format(r.iops, r.bw_bytes / 1e6,
  (pct["50.000000"] or 0) / 1e3, (pct["99.000000"] or 0) / 1e3))
