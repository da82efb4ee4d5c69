-- s3dlua.datagen (s3d.datagen): data with exact dedup and compression ratios
-- (src/datagen.h has the model), putting it into any store without holding
-- the object, and seeded size samplers for workloads.
--
--   local gen = s3d.datagen.new { size = "64MiB", dedup = 4, compress = 2, seed = 7 }
--   st:put("obj", gen)                      -- streamed: two 4 MiB buffers whatever the size
--   gen:fill(buf [, n]) / gen:fill_at(buf, offset [, n]) / gen:block(i)
--   s3d.datagen.verify(buf, gen_or_opts, offset) -> true | false, first wrong offset
--   local size = s3d.datagen.sizes.lognormal("1MiB", "256KiB", 42)   size() -> bytes
local C = require "s3dlua.datagen_c"
local sched = require "s3dlua.sched"
local pieces = require "s3dlua.pieces"

local M = { new = C.new, verify = C.verify, rng = C.rng }
-- s3d.datagen{size = "1MiB", seed = i} is s3d.datagen.new{...} (DESIGN 4's shorthand)
setmetatable(M, { __call = function(_, opts) return C.new(opts) end })

local CHUNK = pieces.CHUNK
local gen_mt = debug.getregistry()["s3dlua.datagen"]

function M.is_generator(x) return getmetatable(x) == gen_mt end

-- st:put(key, gen) (or datagen.put(st, key, gen [, on_bytes])): one PUT up to
-- CHUNK bytes; above, a writer fed from two buffers, the next one generated
-- while the last one is being written. on_bytes(n) is called as bytes go out.
function M.put(st, key, gen, on_bytes)
  local size = gen:size()
  if not size then error("put of a generator without a size", 2) end
  local bufs = pieces.task_buffers("datagen", 2, CHUNK) -- reused by every put of the task
  if size <= CHUNK then
    gen:fill_at(bufs[1], 0, size)
    local n, err = st:put(key, bufs[1])
    if n and on_bytes then on_bytes(n) end
    return n, err
  end
  local w, err = st:writer(key)
  if not w then return nil, err end
  local pending, off, k = nil, 0, 1
  local function finish_write()
    local n, werr = pending:join()
    if not n then return nil, werr end
    if on_bytes then on_bytes(n) end
    return n
  end
  while off < size do
    local buf = bufs[k]
    off = off + gen:fill_at(buf, off, CHUNK)
    if pending then
      local ok, werr = finish_write()
      if not ok then w:close() return nil, werr end
    end
    pending = sched.spawn(function() return w:write(buf) end)
    k = 3 - k
  end
  local ok, werr = finish_write()
  if not ok then w:close() return nil, werr end
  local n
  n, err = w:commit()
  if not n then return nil, err end
  return size
end

---------------------------------------------------------------- size samplers
-- Each returns a function giving the next size in bytes (a whole number);
-- the same seed gives the same sequence. Sizes may be numbers or "4KiB".
local floor, exp, log, sqrt = math.floor, math.exp, math.log, math.sqrt
local size = sched.size
M.sizes = {}

function M.sizes.fixed(n)
  n = size(n)
  return function() return n end
end

-- whole numbers in [lo, hi], each as likely
function M.sizes.uniform(lo, hi, seed)
  lo, hi = size(lo), size(hi)
  if hi < lo then error("uniform: hi < lo", 2) end
  local r, span = C.rng(seed), hi - lo + 1
  return function() return lo + floor(r:uniform() * span) end
end

-- log-normal with the given mean and standard deviation of the sizes
-- themselves (not of their logarithm), clamped to [opts.min (1), opts.max]
function M.sizes.lognormal(mean, stddev, seed, opts)
  mean, stddev = size(mean), size(stddev)
  if mean <= 0 then error("lognormal: the mean must be > 0", 2) end
  local s2 = log(1 + (stddev * stddev) / (mean * mean))
  local mu, sigma = log(mean) - s2 / 2, sqrt(s2)
  local lo = opts and opts.min and size(opts.min) or 1
  local hi = opts and opts.max and size(opts.max) or math.huge
  local r = C.rng(seed)
  return function()
    local v = floor(exp(mu + sigma * r:normal()) + 0.5)
    if v < lo then v = lo elseif v > hi then v = hi end
    return v
  end
end

-- weighted({ {size, weight}, ... }, seed): each size with probability weight / total
function M.sizes.weighted(list, seed)
  local sizes, cum, total = {}, {}, 0
  for i, e in ipairs(list) do
    local w = tonumber(e[2])
    if not w or w < 0 then error("weighted: entry " .. i .. " needs {size, weight >= 0}", 2) end
    total = total + w
    sizes[i], cum[i] = size(e[1]), total
  end
  if total <= 0 then error("weighted: the weights add up to 0", 2) end
  local r, n = C.rng(seed), #cum
  return function()
    local x = r:uniform() * total
    local a, b = 1, n -- the first i with cum[i] > x
    while a < b do
      local m = floor((a + b) / 2)
      if cum[m] > x then b = m else a = m + 1 end
    end
    return sizes[a]
  end
end

return M
