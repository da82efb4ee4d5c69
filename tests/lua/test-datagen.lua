-- s3d.datagen against its contract (src/datagen.h, lua/s3dlua/datagen.lua):
-- determinism and slicing, dedup and compression layout, verify, option
-- errors, st:put of generators on file:// and null://, and the size samplers.
local s3d = require "s3dlua"
local t = require "s3dlua.test"
local ffi = require "ffi"
local dg = s3d.datagen

local KiB, MiB, PAGE = 1024, 1024 * 1024, 4096
local VG = os.getenv("VALGRIND") == "1" -- under valgrind: smaller sizes, fewer draws
local floor, ceil = math.floor, math.ceil

local function bytes(gen, off, n) -- the generator's bytes [off, off + n) as a string
  local b = s3d.buffer(n > 0 and n or 1)
  local got = gen:fill_at(b, off, n)
  assert(got == #b)
  return b:tostring()
end

-- how many 8-byte words at the same aligned place are equal in two strings
local function same_words(a, b)
  local n = floor(math.min(#a, #b) / 8)
  local pa = ffi.cast("const uint64_t *", ffi.cast("const char *", a))
  local pb = ffi.cast("const uint64_t *", ffi.cast("const char *", b))
  local same = 0
  for i = 0, n - 1 do
    if pa[i] == pb[i] then same = same + 1 end
  end
  return same
end

local function distinct(list)
  local set, n = {}, 0
  for _, s in ipairs(list) do
    if not set[s] then set[s], n = true, n + 1 end
  end
  return n
end

-------------------------------------------------------------- determinism
do
  local S = 3 * MiB + 12345
  local cases = {
    { size = S, seed = 42 },
    { size = S, seed = "0x2a", dedup = 2, compress = 3, block = "64KiB" },
    { size = S, seed = 7, index = 3, compress = 5, block = 8192 },
  }
  local pieces = { 1, 7, 4095, MiB + 3, 13, 8, 65537, 4096, 3 }
  for ci, o in ipairs(cases) do
    local name = "case " .. ci
    local g1, g2 = dg.new(o), dg.new(o)
    t.eq(g1:size(), S, name .. ": size()")
    local whole = bytes(g1, 0, S)
    t.eq(#whole, S, name .. ": fill_at(0, size) gives size bytes")
    t.ok(whole == bytes(g2, 0, S), name .. ": two generators with the same options give the same bytes")

    -- fill in pieces of odd sizes
    local b, parts, k, total, over = s3d.buffer(16), {}, 0, 0, false
    while true do
      k = k % #pieces + 1
      local n = g1:fill(b, pieces[k])
      if n ~= #b then over = true end
      if n == 0 then break end
      parts[#parts + 1] = b:tostring()
      total = total + n
      if g1:tell() ~= total then over = true end
    end
    t.ok(not over, name .. ": fill returns the buffer's length and tell follows it")
    t.eq(total, S, name .. ": fill stops exactly at the size")
    t.ok(table.concat(parts) == whole, name .. ": fill in odd pieces == fill_at of the whole")
    t.eq(g1:fill(b, 100), 0, name .. ": fill at the end returns 0")
    t.eq(#b, 0, name .. ": ...and leaves an empty buffer")
    t.eq(g1:tell(), S, name .. ": tell stays at the size")

    -- blocks
    local blk = dg.new(o):options().block
    local nblocks, blocks = ceil(S / blk), {}
    for i = 0, nblocks - 1 do blocks[#blocks + 1] = g2:block(i):tostring() end
    t.ok(table.concat(blocks) == whole, name .. ": concatenated blocks == the whole")
    t.eq(#blocks[nblocks], S - (nblocks - 1) * blk, name .. ": the last block is cut at the size")
    t.eq(#g2:block(nblocks), 0, name .. ": a block past the end is empty")

    -- unaligned slices
    local bad = {}
    for _, r in ipairs { { 1, 1 }, { 7, 9 }, { 4095, 2 }, { 4097, 8193 }, { blk - 3, 11 },
      { MiB - 5, 70000 }, { 2 * MiB + 1, MiB + 3 }, { S - 5, 5 } } do
      local off, n = r[1], r[2]
      if bytes(g2, off, n) ~= whole:sub(off + 1, off + n) then bad[#bad + 1] = off .. "+" .. n end
    end
    t.eq(table.concat(bad, " "), "", name .. ": fill_at at unaligned offsets == the slice")
    local fb = s3d.buffer(16)
    t.eq(g2:fill_at(fb, S - 10, 1000), 10, name .. ": fill_at near the end stops at the size")
    t.ok(fb:tostring() == whole:sub(-10), name .. ": ...with the last bytes")
    t.eq(g2:fill_at(fb, S + 5, 10), 0, name .. ": fill_at past the end gives 0 bytes")

    -- seek and tell
    g2:seek(S - 100)
    t.eq(g2:tell(), S - 100, name .. ": tell after seek")
    t.eq(g2:fill(fb, 1000), 100, name .. ": fill after seek stops at the size")
    t.ok(fb:tostring() == whole:sub(-100), name .. ": fill after seek gives the bytes there")
    g2:seek(12345)
    g2:fill(fb, 777)
    t.ok(fb:tostring() == whole:sub(12346, 12345 + 777), name .. ": seek to the middle")
    g2:fill_at(fb, 5, 5)
    t.eq(g2:tell(), 12345 + 777, name .. ": fill_at does not move fill's place")
    g2:seek(S + 1)
    t.eq(g2:fill(fb, 10), 0, name .. ": fill after a seek past the end gives 0")
  end

  -- fill without n uses the buffer's capacity
  local g = dg.new { size = 10 * KiB, seed = 1 }
  local b = s3d.buffer(3000)
  local cap = b:cap()
  t.eq(g:fill(b), math.min(cap, 10 * KiB), "fill(buf) fills the buffer's capacity")
  t.ok(b:tostring() == bytes(g, 0, #b), "fill(buf) gives the first bytes")

  -- an unbounded generator: the pattern goes on, and it matches a sized one
  local u = dg.new { seed = 5, compress = 2 }
  t.eq(u:size(), nil, "an unbounded generator has no size")
  local sized = dg.new { seed = 5, compress = 2, size = 3 * MiB }
  t.ok(bytes(u, 0, 3 * MiB) == bytes(sized, 0, 3 * MiB), "unbounded == sized over the size (dedup 1)")
  t.eq(#bytes(u, 5 * 2 ^ 40 + 3, 10000), 10000, "an unbounded generator fills far offsets")

  -- the same seed written differently
  local a = bytes(dg.new { size = MiB, seed = 31 }, 0, 65536)
  t.ok(a == bytes(dg.new { size = MiB, seed = "31" }, 0, 65536), "seed 31 == seed \"31\"")
  t.ok(a == bytes(dg.new { size = MiB, seed = "0x1f" }, 0, 65536), "seed 31 == seed \"0x1f\"")
  local big = dg.new { size = MiB, seed = "18446744073709551615" }
  t.eq(big:options().seed, "18446744073709551615", "a 64-bit seed string is kept whole")
  t.eq(dg.new { size = MiB, seed = 31 }:options().seed, "31", "options().seed")
  local opt = dg.new { size = "2MiB", dedup = 2, compress = 3, block = "64KiB" }:options()
  t.ok(opt.size == 2 * MiB and opt.dedup == 2 and opt.compress == 3 and opt.block == 65536,
    "options() gives the options back")
end

------------------------------------------------ seeds and indexes differ
do
  local function blk(o) o.size = o.size or 4 * MiB return dg.new(o):block(0):tostring() end
  local s1, s2 = blk { seed = 1 }, blk { seed = 2 }
  t.eq(same_words(s1, s1), #s1 / 8, "(the word comparison sees equal words)")
  t.ok(s1 ~= s2, "different seeds give different blocks")
  t.eq(same_words(s1, s2), 0, "different seeds share no aligned 8-byte word")
  local i0, i1 = blk { seed = 1, index = 0 }, blk { seed = 1, index = 1 }
  t.ok(i0 ~= i1, "different indexes with the same seed give different blocks")
  t.eq(same_words(i0, i1), 0, "different indexes share no aligned 8-byte word")
  t.ok(i0 ~= s1 and blk { seed = 2, index = 1 } ~= i1, "an index changes the seed's data")
  t.ok(blk { seed = 1, index = 1 } == i1, "the same seed and index give the same block")
  -- within one object: every unique block differs from the others
  local g = dg.new { size = 8 * MiB, seed = 3 }
  local b0, b1, b7 = g:block(0):tostring(), g:block(1):tostring(), g:block(7):tostring()
  t.ok(b0 ~= b1 and b1 ~= b7 and b0 ~= b7, "the blocks of one object differ (dedup 1)")
  t.eq(same_words(b0, b1) + same_words(b1, b7), 0, "...in every aligned word")
  -- compressed data: the random heads of different seeds differ too
  local c1, c2 = blk { seed = 1, compress = 4 }, blk { seed = 2, compress = 4 }
  local heads_same = 0
  for p = 0, #c1 / PAGE - 1 do
    if c1:sub(p * PAGE + 1, p * PAGE + 1024) == c2:sub(p * PAGE + 1, p * PAGE + 1024) then
      heads_same = heads_same + 1
    end
  end
  t.eq(heads_same, 0, "compress 4: no page head is shared by two seeds")
end

------------------------------------------------------------------- dedup
do
  -- 8 KiB blocks, 51 blocks (the last one 100 bytes): ceil(51 / 4) = 13 unique
  local blk, nblocks, N = 8 * KiB, 51, 4
  local S = (nblocks - 1) * blk + 100
  local g = dg.new { size = S, block = blk, dedup = N, seed = 9 }
  local nu = ceil(nblocks / N)
  local blocks = {}
  for i = 0, nblocks - 1 do blocks[i] = g:block(i):tostring() end
  local wrong = {}
  for i = 0, nblocks - 2 do
    if blocks[i] ~= blocks[i % nu] then wrong[#wrong + 1] = i end
  end
  t.eq(table.concat(wrong, " "), "", "dedup 4: block i == block (i mod ceil(nblocks/4))")
  t.ok(blocks[nblocks - 1] == blocks[(nblocks - 1) % nu]:sub(1, 100),
    "dedup 4: the cut last block is the start of its unique block")
  local full = {}
  for i = 0, nblocks - 2 do full[#full + 1] = blocks[i] end
  t.eq(distinct(full), nu, "dedup 4: exactly ceil(nblocks/4) distinct blocks")
  local shared = 0
  for i = 0, nu - 1 do
    for j = i + 1, nu - 1 do shared = shared + same_words(blocks[i], blocks[j]) end
  end
  t.eq(shared, 0, "dedup 4: unique blocks share no aligned 8-byte word")
  local whole = bytes(g, 0, S)
  local period = nu * blk
  t.ok(whole:sub(period + 1, 2 * period) == whole:sub(1, period), "dedup 4: the object repeats with the period")

  -- 1 MiB blocks, several ratios, with compression on top
  for _, c in ipairs { { 10, 1 }, { 10, 2 }, { 10, 3 }, { 10, 7 }, { 10, 10 }, { 3, 7 }, { 10, 16 } } do
    local nb, n = c[1], c[2]
    local gg = dg.new { size = nb * MiB, dedup = n, compress = 2, seed = 11 }
    local u = ceil(nb / n)
    local list, ok = {}, true
    for i = 0, nb - 1 do
      list[#list + 1] = gg:block(i):tostring()
      if list[#list] ~= list[i % u + 1] then ok = false end
    end
    t.ok(ok and distinct(list) == u,
      string.format("dedup %d over %d blocks: %d distinct, block i == block i mod %d", n, nb, u, u))
  end
  local g40 = dg.new { size = 40 * MiB, dedup = 8, seed = 2 }
  t.ok(g40:block(37):tostring() == g40:block(2):tostring(), "dedup 8 over 40 blocks: block 37 == block 2")
end

---------------------------------------------------------------- compress
do
  local function layout_errors(g, size)
    local s, errs = bytes(g, 0, size), {}
    local N = g:options().compress
    local r = ceil(PAGE / N)
    r = ceil(r / 8) * 8
    if r > PAGE then r = PAGE end
    local zeros = string.rep("\0", PAGE - r)
    local z8 = string.rep("\0", 8)
    for p = 0, size / PAGE - 1 do
      local page = s:sub(p * PAGE + 1, (p + 1) * PAGE)
      if page:sub(r + 1) ~= zeros then errs[#errs + 1] = "page " .. p .. ": tail not zero" end
      if page:sub(1, 8) == z8 or page:sub(r - 7, r) == z8 then
        errs[#errs + 1] = "page " .. p .. ": head has a zero word at its start or end"
      end
      local seen, nd = {}, 0
      for i = 1, r do
        local ch = page:byte(i)
        if not seen[ch] then seen[ch], nd = true, nd + 1 end
      end
      if nd < math.min(200, r / 4) then errs[#errs + 1] = "page " .. p .. ": head has " .. nd .. " byte values" end
      if #errs > 5 then break end
    end
    return table.concat(errs, "; "), r
  end
  for _, N in ipairs { 1, 2, 3, 4, 5, 6, 7, 8, 13, 100, 512, 4096, 100000 } do
    local g = dg.new { size = 256 * KiB, compress = N, seed = N }
    local errs, r = layout_errors(g, 256 * KiB)
    t.eq(errs, "", string.format("compress %d: every page is %d random-looking bytes then zeros", N, r))
  end
  local errs = layout_errors(dg.new { size = 3 * MiB, compress = 3, dedup = 2, block = "64KiB", seed = 4 }, 3 * MiB)
  t.eq(errs, "", "compress 3 with dedup 2 and 64 KiB blocks keeps the page layout")
  local s = bytes(dg.new { size = MiB, compress = 1 }, 0, MiB)
  local zw = 0
  for i = 0, MiB / 8 - 1 do
    if s:sub(i * 8 + 1, i * 8 + 8) == "\0\0\0\0\0\0\0\0" then zw = zw + 1 end
  end
  t.eq(zw, 0, "compress 1: no zero word in 1 MiB")
end

------------------------------------------------------------------ verify
do
  local o = { size = 5 * MiB + 3, dedup = 2, compress = 3, seed = 77, block = "64KiB" }
  local g = dg.new(o)
  local off, n = 1234567, 300001
  local s = bytes(g, off, n)
  local b = s3d.buffer(n)
  g:fill_at(b, off, n)
  t.eq(dg.verify(b, g, off), true, "verify: a buffer at its offset, with the generator")
  t.eq(dg.verify(s, o, off), true, "verify: a string at its offset, with the options")
  t.eq(dg.verify(bytes(g, 0, 5000), g), true, "verify: offset defaults to 0")
  for _, p in ipairs { 0, 1, 4095, 16383, 16384, 100000, n - 1 } do
    local c = s:byte(p + 1)
    local bad = s:sub(1, p) .. string.char((c + 1) % 256) .. s:sub(p + 2)
    local ok, at = dg.verify(bad, g, off)
    t.ok(ok == false and at == off + p, "verify: one wrong byte at " .. p .. " is found at its absolute offset",
      string.format("got %s, %s; want false, %d", tostring(ok), tostring(at), off + p))
  end
  local ok, at = dg.verify(s, g, off + 8)
  t.ok(ok == false and type(at) == "number" and at >= off + 8 and at < off + 8 + n,
    "verify: the right bytes at a wrong offset are wrong", tostring(ok) .. " " .. tostring(at))
  ok = dg.verify(s, { size = o.size, dedup = 2, compress = 3, seed = 78, block = "64KiB" }, off)
  t.eq(ok, false, "verify: another seed's options do not verify")
  ok = dg.verify(s, { size = o.size, dedup = 2, compress = 3, seed = 77 }, off)
  t.eq(ok, false, "verify: another block size does not verify")
  t.eq(dg.verify("", g, 5), true, "verify: nothing to compare is right")
  t.raises(function() dg.verify(s, { compress = 0 }, 0) end, "compress", "verify with bad options raises")
end

------------------------------------------------------------------ errors
do
  local function raises(o, pat, name) t.raises(function() dg.new(o) end, pat, name) end
  raises({ size = MiB, compress = 0 }, "compress must be", "compress 0 raises")
  raises({ size = MiB, compress = 2.5 }, "compress must be", "compress 2.5 raises")
  raises({ size = MiB, dedup = 0 }, "dedup must be", "dedup 0 raises")
  raises({ size = MiB, dedup = -2 }, "dedup must be", "dedup -2 raises")
  raises({ dedup = 2 }, "dedup needs the size", "dedup > 1 without a size raises")
  raises({ size = MiB, block = 5000 }, "a multiple of 4 KiB", "a block of 5000 bytes raises")
  raises({ size = MiB, block = 2048 }, "a multiple of 4 KiB", "a block below 4 KiB raises")
  raises({ size = MiB, block = 0 }, "a multiple of 4 KiB", "a block of 0 raises")
  raises({ size = MiB, seed = "12x" }, "is not a decimal number", "a bad seed string raises")
  raises({ size = MiB, seed = " -1" }, "is not a decimal number", "a seed with a space and sign raises")
  raises({ size = MiB, seed = "+5" }, "is not a decimal number", "a seed with a sign raises")
  raises({ size = MiB, seed = "0xfg" }, "is not a hex number", "a bad hex seed raises")
  raises({ size = MiB, seed = "18446744073709551616" }, "above 2^64", "a seed of 2^64 raises")
  t.eq(dg.new({ seed = "18446744073709551615" }):options().seed, "18446744073709551615",
    "2^64-1 is the largest seed")
  t.eq(dg.new({ seed = "010" }):options().seed, "10", "a seed with a leading 0 is decimal, not octal")
  do -- size 0 is an empty object, not an endless one
    local e = dg.new { size = 0 }
    local eb = s3d.buffer(16)
    t.eq(e:size(), 0, "size 0: an empty object")
    t.eq(e:fill(eb), 0, "size 0: fill gives nothing")
    t.eq(dg.new({}):size(), nil, "no size: no end")
  end
  raises({ size = MiB, seed = "" }, "seed", "an empty seed string raises")
  raises({ size = MiB, seed = -1 }, "seed", "a negative seed raises")
  raises({ size = MiB, seed = "-1" }, "seed", "a negative seed string raises")
  raises({ size = MiB, seed = 1.5 }, "seed", "a fractional seed raises")
  raises({ size = MiB, seed = 2 ^ 60 }, "seed", "a seed number above 2^53 raises")
  raises({ size = MiB, index = -1 }, "index", "a negative index raises")
  raises({ size = "lots" }, "bad size", "a bad size raises")
  t.raises(function() dg.new() end, "table expected", "new() without options raises")
  local null = assert(s3d.open("null://"))
  t.raises(function() null:put("k", dg.new { seed = 1 }) end, "without a size",
    "put of an unbounded generator raises")
end

------------------------------------------------------ st:put(key, gen)
do
  local dir = t.tmpdir()
  local st = assert(s3d.open("file://" .. dir .. "/"))
  local null = assert(s3d.open("null://"))
  local sizes = { MiB + 5, 4 * MiB, 4 * MiB + 1, VG and 5 * MiB + 7 or 13 * MiB + 7 }
  for i, size in ipairs(sizes) do
    local o = { size = size, dedup = 2, compress = 3, seed = 100 + i }
    local g = dg.new(o)
    local key = "gen/obj-" .. size
    t.eq(st:put(key, g), size, "file put of a generator of " .. size .. " bytes returns the size")
    t.eq(g:tell(), 0, "put does not move the generator's fill place")
    t.eq(st:stat(key).size, size, "the object has the size (" .. size .. ")")
    local back = st:get(key)
    t.eq(back and #back, size, "the object reads back whole (" .. size .. ")")
    local ok, at = dg.verify(back, o, 0)
    t.ok(ok, "the object read back verifies (" .. size .. ")", "first wrong byte at " .. tostring(at))
    t.eq(null:put(key, dg.new(o)), size, "null put of " .. size .. " bytes returns the size")
  end
  -- several streamed puts at once from tasks, with on_bytes
  local size, counted, tasks = VG and 5 * MiB + 1 or 9 * MiB + 1, {}, {}
  for i = 1, 3 do
    tasks[i] = s3d.spawn(function()
      local sum = 0
      local n = dg.put(st, "tasks/" .. i, dg.new { size = size, index = i, seed = 5, compress = 2 },
        function(k) sum = sum + k end)
      counted[i] = (n == size and sum == size)
    end)
  end
  t.eq(s3d.wait(tasks), 0, "three streamed puts from tasks")
  local good = 0
  for i = 1, 3 do
    local back = st:get("tasks/" .. i)
    if counted[i] and back and #back == size
      and dg.verify(back, { size = size, index = i, seed = 5, compress = 2 }) then
      good = good + 1
    end
  end
  t.eq(good, 3, "puts from tasks: right sizes, on_bytes adds up, data verifies")
end

--------------------------------------------------------------- samplers
do
  local sz = dg.sizes
  local DRAWS = VG and 20000 or 100000
  local LN_DRAWS = VG and 40000 or 200000

  local function seq(f, n)
    local out = {}
    for i = 1, n do out[i] = f() end
    return table.concat(out, ",")
  end

  -- fixed
  local f = sz.fixed("4KiB")
  t.ok(f() == 4096 and f() == 4096, "fixed gives its size every time")
  t.raises(function() sz.fixed("zz") end, "bad size", "fixed with a bad size raises")

  -- same seed, same sequence; another seed, another one
  local makers = {
    uniform = function(seed) return sz.uniform("1KiB", "1MiB", seed) end,
    lognormal = function(seed) return sz.lognormal("1MiB", "256KiB", seed) end,
    weighted = function(seed) return sz.weighted({ { 1, 1 }, { 2, 1 }, { 3, 1 }, { 4, 1 } }, seed) end,
  }
  for name, mk in pairs(makers) do
    t.ok(seq(mk(5), 200) == seq(mk(5), 200), name .. ": the same seed gives the same sequence")
    t.ok(seq(mk(5), 200) ~= seq(mk(6), 200), name .. ": another seed gives another sequence")
    t.ok(seq(mk("5"), 50) == seq(mk(5), 50), name .. ": seed \"5\" == seed 5")
  end

  -- uniform
  local lo, hi = 1000, 3 * MiB
  local u, sum, outside, frac = sz.uniform(lo, hi, 17), 0, 0, 0
  local vmin, vmax = math.huge, -math.huge
  for _ = 1, DRAWS do
    local v = u()
    if v < lo or v > hi then outside = outside + 1 end
    if v ~= floor(v) then frac = frac + 1 end
    vmin, vmax = math.min(vmin, v), math.max(vmax, v)
    sum = sum + v
  end
  local mean, want = sum / DRAWS, (lo + hi) / 2
  t.eq(outside, 0, "uniform stays in [lo, hi]")
  t.eq(frac, 0, "uniform gives whole numbers")
  t.ok(math.abs(mean - want) / want < 0.02, "uniform: the mean is within 2% of (lo+hi)/2",
    string.format("mean %.1f, want %.1f", mean, want))
  t.ok(vmin - lo < (hi - lo) * 0.01 and hi - vmax < (hi - lo) * 0.01, "uniform spans the whole range")
  local small, counts = sz.uniform(0, 3, 99), { [0] = 0, 0, 0, 0 }
  local bad = 0
  for _ = 1, DRAWS do
    local v = small()
    if counts[v] then counts[v] = counts[v] + 1 else bad = bad + 1 end
  end
  local even = bad == 0
  for v = 0, 3 do
    if math.abs(counts[v] / DRAWS - 0.25) > 0.02 then even = false end
  end
  t.ok(even, "uniform(0, 3): each of 0..3 about 1/4, both ends included",
    string.format("%d %d %d %d, %d outside", counts[0], counts[1], counts[2], counts[3], bad))
  local one = sz.uniform("4KiB", "4KiB", 1)
  t.ok(one() == 4096 and one() == 4096, "uniform(lo, lo) gives lo")
  t.raises(function() sz.uniform(10, 5, 1) end, "hi < lo", "uniform with hi < lo raises")
  t.raises(function() sz.uniform("x", 5, 1) end, "bad size", "uniform with a bad size raises")
  t.raises(function() sz.uniform(1, 5, -3) end, "seed", "uniform with a negative seed raises")

  -- lognormal: mean and standard deviation of the sizes themselves
  for _, c in ipairs { { MiB, 256 * KiB, 11 }, { 64 * KiB, 64 * KiB, 12 }, { 10 * MiB, 15 * MiB, 13 } } do
    local m, sd, seed = c[1], c[2], c[3]
    local ln = sz.lognormal(m, sd, seed)
    local s1, s2, bad_v = 0, 0, 0
    for _ = 1, LN_DRAWS do
      local v = ln()
      if v < 1 or v ~= floor(v) then bad_v = bad_v + 1 end
      s1 = s1 + v
      s2 = s2 + v * v
    end
    local gm = s1 / LN_DRAWS
    local gsd = math.sqrt(s2 / LN_DRAWS - gm * gm)
    local tol_sd = 0.05
    t.ok(math.abs(gm - m) / m < 0.03, string.format("lognormal(%d, %d): the mean is within 3%%", m, sd),
      string.format("mean %.1f", gm))
    -- with stddev > mean the sample stddev of a log-normal converges slowly:
    -- 200k draws are enough at cv 1 (kurtosis 38), not at cv 1.5 (kurtosis ~ 680)
    if sd <= m then
      t.ok(math.abs(gsd - sd) / sd < tol_sd, string.format("lognormal(%d, %d): the stddev is within 5%%", m, sd),
        string.format("stddev %.1f", gsd))
    end
    t.eq(bad_v, 0, string.format("lognormal(%d, %d): whole numbers >= 1", m, sd))
  end
  local clamped = sz.lognormal("1MiB", "1MiB", 3, { min = "512KiB", max = "2MiB" })
  local below, above, at_min, at_max = 0, 0, 0, 0
  for _ = 1, DRAWS / 2 do
    local v = clamped()
    if v < 512 * KiB then below = below + 1 end
    if v > 2 * MiB then above = above + 1 end
    if v == 512 * KiB then at_min = at_min + 1 end
    if v == 2 * MiB then at_max = at_max + 1 end
  end
  t.ok(below == 0 and above == 0, "lognormal clamps to [min, max]", below .. " below, " .. above .. " above")
  t.ok(at_min > 0 and at_max > 0, "lognormal: both clamps are reached", at_min .. " at min, " .. at_max .. " at max")
  local tiny = sz.lognormal(2, 100, 4)
  local lt1 = 0
  for _ = 1, 10000 do if tiny() < 1 then lt1 = lt1 + 1 end end
  t.eq(lt1, 0, "lognormal: the default minimum is 1")
  t.raises(function() sz.lognormal(0, 10, 1) end, "mean must be > 0", "lognormal with mean 0 raises")
  t.raises(function() sz.lognormal("x", 10, 1) end, "bad size", "lognormal with a bad mean raises")
  t.raises(function() sz.lognormal(10, 1, "nope") end, "seed", "lognormal with a bad seed raises")

  -- weighted
  local list = { { "1KiB", 0 }, { "4KiB", 1 }, { "1MiB", 0 }, { "64KiB", 3 }, { "16MiB", 6 }, { 7, 0 } }
  local w = sz.weighted(list, 21)
  local cnt, other = {}, 0
  for _ = 1, DRAWS do
    local v = w()
    cnt[v] = (cnt[v] or 0) + 1
  end
  for v, c in pairs(cnt) do
    if v ~= 4096 and v ~= 65536 and v ~= 16 * MiB then other = other + c end
  end
  t.eq(other, 0, "weighted: zero weights are never drawn")
  local want_f = { [4096] = 0.1, [65536] = 0.3, [16 * MiB] = 0.6 }
  local off_by = {}
  for v, p in pairs(want_f) do
    local got = (cnt[v] or 0) / DRAWS
    if math.abs(got - p) > 0.02 then off_by[#off_by + 1] = string.format("%d: %.4f not %.2f", v, got, p) end
  end
  t.eq(table.concat(off_by, "; "), "", "weighted: frequencies within 2% of weight/total")
  local w1 = sz.weighted({ { 100, 0.5 } }, 1)
  t.ok(w1() == 100 and w1() == 100, "weighted with one entry gives it")
  t.raises(function() sz.weighted({ { 1, -1 } }, 1) end, "weight >= 0", "weighted: a negative weight raises")
  t.raises(function() sz.weighted({ { 1, "x" } }, 1) end, "weight >= 0", "weighted: a non-number weight raises")
  t.raises(function() sz.weighted({ { 1 } }, 1) end, "weight >= 0", "weighted: a missing weight raises")
  t.raises(function() sz.weighted({ { 1, 0 }, { 2, 0 } }, 1) end, "add up to 0", "weighted: all-zero weights raise")
  t.raises(function() sz.weighted({}, 1) end, "add up to 0", "weighted: an empty list raises")
  t.raises(function() sz.weighted({ { "zz", 1 } }, 1) end, "bad size", "weighted: a bad size raises")
end

-- s3d.datagen{...} is s3d.datagen.new{...}
do
  local a, b = s3d.buffer(1), s3d.buffer(1)
  dg { size = 70000, seed = 9, compress = 2 }:fill(a, 70000)
  dg.new { size = 70000, seed = 9, compress = 2 }:fill(b, 70000)
  t.eq(a:len() == 70000 and a:tostring() == b:tostring(), true, "s3d.datagen{...} is datagen.new{...}")
end

return t.done()
