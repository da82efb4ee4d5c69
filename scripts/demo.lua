-- demo.lua: write then read back a few hundred objects with many operations in
-- flight on a store (default: file:// under a fresh temp dir), verify every
-- byte, and report ops/s, MB/s and latency percentiles.
--   s3dlua run scripts/demo.lua [URI] [objects] [size] [in-flight]
local s3d = require "s3dlua"

local tmpdir
local uri = arg[1]
if not uri then
  tmpdir = os.tmpname()
  os.remove(tmpdir)
  uri = "file://" .. tmpdir .. "/"
end
local nobj = tonumber(arg[2]) or 400
local size = s3d.size(arg[3] or "256KiB")
local inflight = tonumber(arg[4]) or 64

local store = assert(s3d.open(uri))
local put_lat = s3d.stats.histogram("default")
local get_lat = s3d.stats.histogram("default")

-- One payload per object slot pattern: distinct content per object so a
-- read-back that returned the wrong object would be caught.
local block = {}
for i = 1, 256 do block[i] = string.char((i * 131) % 256) end
block = table.concat(block)
local base = block:rep(math.ceil(size / #block)):sub(1, size - 16)
local function payload(i) return string.format("%016d", i) .. base end

local function run_phase(name, hist, op)
  local next_i, failed = 0, 0
  local t0 = s3d.now()
  local tasks = {}
  for w = 1, inflight do
    tasks[w] = s3d.spawn(function()
      while true do
        next_i = next_i + 1
        local i = next_i
        if i > nobj then return end
        local s = s3d.now()
        local ok, err = op(i)
        hist:record(s3d.now() - s)
        if not ok then
          failed = failed + 1
          io.stderr:write(name, " failed: ", tostring(err), "\n")
        end
      end
    end)
  end
  s3d.wait(tasks)
  local secs = (s3d.now() - t0) / 1e9
  print(string.format("%-4s %5d ops  %8.0f ops/s  %8.1f MB/s  %d failed", name, nobj,
    nobj / secs, nobj * size / secs / 1e6, failed))
  print("     latency " .. hist:report())
  return failed
end

print(string.format("s3dlua demo: %d objects of %s on %s, %d in flight", nobj,
  s3d.fmt_size(size), uri, inflight))
local failed = run_phase("PUT", put_lat, function(i)
  return store:put(string.format("demo/obj-%05d.bin", i), payload(i))
end)
failed = failed + run_phase("GET", get_lat, function(i)
  local buf, err = store:get(string.format("demo/obj-%05d.bin", i))
  if not buf then return nil, err end
  if #buf ~= size or buf:tostring() ~= payload(i) then return nil, "content mismatch" end
  return true
end)

if tmpdir then
  for e in store:list("demo/") do store:delete(e.key) end
  store:delete("")
  os.remove(tmpdir)
end
if failed > 0 then os.exit(1) end
