-- test-stats.lua - the s3dlua.stats module: histograms (ns in, ns out), counters, rates.
local stats = require "s3dlua.stats"

local n = 0
local function ok(cond, name)
  n = n + 1
  print((cond and "ok " or "not ok ") .. n .. " - " .. name)
  return cond
end
local function near(got, want, rel)
  return math.abs(got - want) <= rel * math.abs(want)
end
local function raises(f, ...)
  return not pcall(f, ...)
end

-- Default preset: microsecond storage, 3 digits, up to 1 s.
local h = stats.histogram()
ok(h:count() == 0 and h:percentile(99) == 0 and h:max() == 0, "new histogram is empty")
ok(h:report() == "n=0", "empty report")
local sum, sq = 0, 0
for i = 1, 1000 do
  h:record(i * 1000) -- 1 us .. 1 ms
  sum = sum + i * 1000
end
local mean = sum / 1000
for i = 1, 1000 do sq = sq + (i * 1000 - mean) ^ 2 end
ok(h:count() == 1000, "count")
ok(h:min() == 1000 and h:max() == 1e6, "min and max in ns")
ok(h:percentile(50) == 500e3 and h:percentile(99) == 990e3, "p50 and p99 in ns")
ok(h:percentile(99.9) == 999e3 and h:percentile(100) == 1e6, "p99.9 and p100")
ok(near(h:mean(), mean, 1e-3), "mean")
ok(near(h:stdev(), math.sqrt(sq / 1000), 1e-3), "stdev")
ok(h:report() == "n=1000 p50=500us p90=900us p99=990us p99.9=999us p99.99=1.00ms max=1.00ms",
   "report: " .. h:report())
local t = h:percentiles()
ok(t.p50 == 500e3 and t.p90 == 900e3 and t.p95 == 950e3 and t.p99 == 990e3, "percentiles table")
ok(t.p99_9 == 999e3 and t.p99_99 == 1e6 and t.max == 1e6 and t.min == 1000, "percentiles tail")
ok(t.count == 1000 and near(t.mean, mean, 1e-3) and t.overflow == 0, "percentiles count, mean")
ok(tostring(h):match("^histogram #%d+: n=1000 ") ~= nil, "tostring: " .. tostring(h))
ok(h:name():match("^#%d+$") ~= nil, "unnamed histogram gets #<index>")

h:record(2e6, 10)
ok(h:count() == 1010 and h:max() == 2e6, "record with a count")
h:reset()
ok(h:count() == 0 and h:max() == 0 and h:percentile(50) == 0, "reset")

local r = stats.histogram()
r:record(1499)
r:record(1500)
ok(r:min() == 1000 and r:max() == 2000, "us storage rounds to the nearest microsecond")
r:record(-5)
ok(r:min() == 0 and r:count() == 3, "negative durations count as 0")

-- Nanosecond storage keeps sub-microsecond values.
local hn = stats.histogram { unit = "ns", digits = 3, highest = "1s" }
hn:record(1234)
ok(hn:min() == 1234 and hn:percentile(50) == 1234, "unit ns is exact below 2048 ns")
ok(hn:report() == "n=1 p50=1.23us p90=1.23us p99=1.23us p99.9=1.23us p99.99=1.23us max=1.23us",
   "ns report: " .. hn:report())

-- Presets.
local hf = stats.histogram "high_frequency"
hf:record(50e6)
ok(near(hf:percentile(50), 50e6, 1e-2), "high_frequency: 2 digits")
hf:record(200e6)
ok(hf:overflow() == 1 and hf:max() == 100e6, "high_frequency: clamped at 100 ms")
ok(hf:report():match(" overflow=1$") ~= nil, "report shows overflow")
local tr = stats.histogram { preset = "training" }
tr:record(5e9)
ok(tr:max() == 5e9 and tr:overflow() == 0, "training: 10 s")
local inf = stats.histogram "inference"
inf:record(123456789)
ok(near(inf:percentile(50), 123457e3, 1e-4), "inference: 4 digits")
local lo = stats.histogram { lowest = "10us", highest = 1e8, digits = 2 }
lo:record(5e7)
ok(near(lo:percentile(50), 5e7, 1e-2), "lowest/highest as duration and number")

-- Bad input raises.
ok(raises(stats.histogram, "nope"), "unknown preset raises")
ok(raises(stats.histogram, { digits = 6 }), "digits 6 raises")
ok(raises(stats.histogram, { unit = "ms" }), "unit ms raises")
ok(raises(stats.histogram, { highest = "soon" }), "bad duration raises")
ok(raises(stats.histogram, { lowest = "1s", highest = "1s" }), "highest < 2 * lowest raises")
ok(raises(stats.histogram, 42), "a number raises")
ok(raises(h.percentile, h, 101), "percentile 101 raises")
ok(raises(h.record, h, 1, -1), "negative count raises")
ok(raises(h.record, {}, 1), "record on a non-histogram raises")
ok(h.__gc == nil, "__gc is not reachable as a method")

-- Named histograms: one per name per state.
local a = stats.histogram { name = "lat" }
ok(rawequal(stats.histogram { name = "lat" }, a), "same name, same histogram")
ok(raises(stats.histogram, { name = "lat", preset = "inference" }), "same name, other layout raises")
ok(stats.histograms().lat == a and a:name() == "lat", "stats.histograms() lists by name")

-- Merge.
local x, y = stats.histogram(), stats.histogram()
for i = 1, 500 do x:record(i * 1000) end
for i = 501, 1000 do y:record(i * 1000) end
ok(rawequal(x:merge(y), x), "merge returns the destination")
ok(x:count() == 1000 and x:percentile(99) == 990e3 and x:min() == 1000 and x:max() == 1e6,
   "merge of halves == whole")
ok(y:count() == 500, "merge leaves the source alone")
local xn = stats.histogram { unit = "ns" }
xn:record(1500)
xn:merge(x)
ok(xn:count() == 1001 and xn:min() == 1000 and xn:max() == 1e6, "merge us into ns")
ok(near(xn:percentile(50), 500e3, 2e-3), "merge us into ns: p50")
local coarse = stats.histogram "high_frequency"
coarse:merge(x)
ok(coarse:count() == 1000 and near(coarse:percentile(90), 900e3, 1e-2), "merge into 2 digits")
ok(raises(x.merge, x, x), "merge into itself raises")

-- Counters.
local c = stats.counter "bytes"
c:add(5)
c:add()
ok(c:get() == 6, "counter adds")
ok(rawequal(stats.counter "bytes", c) and stats.counters().bytes == c, "counters by name")
c:add(2 ^ 40)
ok(c:get() == 2 ^ 40 + 6, "counter is 64-bit")
c:reset()
ok(c:get() == 0, "counter reset")
ok(stats.counter():name():match("^#%d+$") ~= nil, "unnamed counter gets #<index>")
ok(tostring(c) == "counter bytes: 0", "counter tostring")

-- Rate meters (busy-wait: the test runs without an event loop).
local function wait_until(rm, s) while rm:elapsed() < s do end end
local rm = stats.rate()
rm:add(100)
wait_until(rm, 0.2)
ok(near(rm:rate(), 100 / rm:elapsed(), 0.1), "rate over the time since creation: " .. rm:rate())
ok(rm:total() == 100, "rate total")
local short = stats.rate(0.05)
short:add(10)
wait_until(short, 0.15)
ok(short:rate() == 0 and short:total() == 10, "events leave the window")
local steady = stats.rate(0.1)
for k = 1, 300 do
  wait_until(steady, k * 0.001)
  steady:add(1)
end
ok(near(steady:rate(), 1000, 0.15), "steady 1000/s over a 0.1 s window: " .. steady:rate())
ok(raises(stats.rate, 0) and raises(stats.rate, -1), "window <= 0 raises")
