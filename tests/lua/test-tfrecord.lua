-- s3d.tfrecord against its contract (lua/s3dlua/tfrecord.lua, src/tfrecord.h):
-- CRC-32C known answers and the TFRecord mask, the writer's framing, records()
-- and open():record() reading back what was written, the index (DALI's
-- "<offset> <size>" lines) from the writer and from index(), records crossing
-- the 4 MiB pieces, corrupt and truncated files (errors naming the record and
-- its offset, no index left behind), null:// and missing files.
local s3d = require "s3dlua"
local t = require "s3dlua.test"
local tf = s3d.tfrecord

local KiB, MiB = 1024, 1024 * 1024
local CHUNK = 4 * MiB -- the pieces index() and records() read, and the writer's buffer
local floor = math.floor

-- little-endian encodings, computed here independently of the C code
local function le32(v)
  local b = {}
  for i = 1, 4 do b[i] = string.char(v % 256) v = floor(v / 256) end
  return table.concat(b)
end
local function le64(v) -- v < 2^53
  local b = {}
  for i = 1, 8 do b[i] = string.char(v % 256) v = floor(v / 256) end
  return table.concat(b)
end
-- a record framed by hand: length, masked CRC of the length, data, masked CRC of the data
local function frame(data)
  local len = le64(#data)
  return len .. le32(tf.mask(tf.crc32c(len))) .. data .. le32(tf.mask(tf.crc32c(data)))
end
-- DALI's index of records of these sizes, from offset 0
local function index_of(sizes)
  local lines, off = {}, 0
  for i, n in ipairs(sizes) do
    lines[i] = string.format("%d %d\n", off, n + 16)
    off = off + n + 16
  end
  return table.concat(lines)
end
local function errmsg(err) return type(err) == "table" and err.message or tostring(err) end
local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end
local function write_file(path, data)
  local f = assert(io.open(path, "wb"))
  f:write(data)
  f:close()
end
local function read_file(path)
  local f = assert(io.open(path, "rb"))
  local d = f:read("*a")
  f:close()
  return d
end

---------------------------------------------------------------- CRC-32C
do
  local c = tf.crc32c
  -- RFC 3720 B.4
  t.eq(c(string.rep("\0", 32)), 0x8a9136aa, "crc32c of 32 zero bytes (RFC 3720 B.4)")
  t.eq(c(string.rep("\255", 32)), 0x62a8ab43, "crc32c of 32 bytes 0xff (RFC 3720 B.4)")
  local asc, desc = {}, {}
  for i = 0, 31 do asc[#asc + 1] = string.char(i) desc[#desc + 1] = string.char(31 - i) end
  t.eq(c(table.concat(asc)), 0x46dd794e, "crc32c of 32 ascending bytes 0..31 (RFC 3720 B.4)")
  t.eq(c(table.concat(desc)), 0x113fdb5c, "crc32c of 32 descending bytes 31..0 (RFC 3720 B.4)")
  t.eq(c("123456789"), 0xe3069283, "crc32c('123456789') = 0xe3069283 (the check value)")
  t.eq(c(""), 0, "crc32c of nothing is 0")
  t.eq(c("", 0x12345678), 0x12345678, "crc32c of nothing continues the given crc unchanged")
  t.eq(c(s3d.buffer("123456789")), 0xe3069283, "crc32c of a buffer")
  -- chaining
  t.eq(c("56789", c("1234")), 0xe3069283, "crc32c('56789', crc32c('1234')) == crc32c('123456789')")
  local a = string.rep("abcdefghijklmnopqrstuvwxyz", 1000) .. "x"
  local b = string.rep("\1\2\3\250", 3333)
  t.eq(c(b, c(a)), c(a .. b), "chaining: crc32c(b, crc32c(a)) == crc32c(a .. b) (26 KB, 13 KB)")
  local big = string.rep(table.concat(asc), 40000) -- 1.25 MB: the fast paths of ISA-L
  local k = 777777
  t.eq(c(big:sub(k + 1), c(big:sub(1, k))), c(big), "chaining at an odd split of 1.25 MB")
  local parts, crc = { 1, 2, 3, 5, 8, 13, 63, 64, 65, 255, 256, 4097 }, 0
  local off = 0
  for _, n in ipairs(parts) do crc = c(big:sub(off + 1, off + n), crc) off = off + n end
  t.eq(crc, c(big:sub(1, off)), "chaining over pieces of 1..4097 bytes")
  -- the mask, computed by hand: ((c >> 15) | (c << 17)) + 0xa282ead8 mod 2^32
  t.eq(tf.mask(0), 0xa282ead8, "mask(0) = 0xa282ead8")
  t.eq(tf.mask(1), 0xa284ead8, "mask(1) = 0x20000 + 0xa282ead8")
  t.eq(tf.mask(0x80000000), 0xa283ead8, "mask(0x80000000) = 0x10000 + 0xa282ead8")
  t.eq(tf.mask(0xffffffff), 0xa282ead7, "mask(0xffffffff) wraps mod 2^32")
  t.eq(tf.mask(0x12345678), 0x4f730f40, "mask(0x12345678) = 0xacf02468 + 0xa282ead8 mod 2^32")
  t.eq(tf.mask(0xe3069283), 0xc78ab0e5, "mask(0xe3069283)")
end

---------------------------------------------------------------- writer, records, open
local dir = t.tmpdir()
local st = assert(s3d.open("file://" .. dir .. "/"))

-- record data: slices of a generated pool (distinct, incompressible bytes)
local pool
do
  local g = s3d.datagen.new { seed = 11, size = 2 * MiB + 7 }
  local b = s3d.buffer(2 * MiB + 7)
  g:fill_at(b, 0, 2 * MiB + 7)
  pool = b:tostring()
end
local function data_of(i, n)
  local o = (i * 7919) % (#pool - n + 1)
  return pool:sub(o + 1, o + n)
end

do
  local sizes = { 0, 1, 7, 4096, MiB + 3, 0 }
  for i = 1, 2200 do sizes[#sizes + 1] = (i * 7919) % 4001 end -- ~4.4 MB more: crosses 4 MiB
  sizes[#sizes + 1] = 0
  local recs, total = {}, 0
  for i, n in ipairs(sizes) do
    recs[i] = data_of(i, n)
    total = total + n + 16
  end
  t.ok(total > CHUNK + MiB, "the records take more than 4 MiB + 1 MiB (" .. total .. " bytes)")

  local w = assert(tf.writer(st, "a.tfrecord", { index = true }))
  local ok = true
  for _, d in ipairs(recs) do ok = ok and w:write(d) == true end
  t.ok(ok, "writer:write returns true for every record")
  t.ok(not exists(dir .. "/a.tfrecord"), "nothing appears before commit")
  local nrec, nbytes = w:commit()
  t.eq(nrec, #recs, "commit returns the record count")
  t.eq(nbytes, total, "commit returns the bytes written")
  local raw = read_file(dir .. "/a.tfrecord")
  t.eq(#raw, total, "the file has every record and 16 bytes of framing each")
  local framed = {}
  for i, d in ipairs(recs) do framed[i] = frame(d) end
  t.ok(raw == table.concat(framed), "the file is the records framed by hand (length, masked CRCs)")
  local want_idx = index_of(sizes)
  t.ok(read_file(dir .. "/a.tfrecord.idx") == want_idx, "the writer's index is DALI's '<offset> <size>' lines")

  -- index() writes the same, and returns the record count
  local n, err = tf.index(st, "a.tfrecord", { dst_key = "a.idx2" })
  t.eq(n, #recs, "index returns the record count", errmsg(err))
  t.ok(read_file(dir .. "/a.idx2") == want_idx, "index() == the writer's index (dst_key)")
  n, err = tf.index(st, "a.tfrecord", { dst_key = "a.idx3", verify = true })
  t.eq(n, #recs, "index with verify passes a good file")
  t.ok(read_file(dir .. "/a.idx3") == want_idx, "index with verify == the writer's index")
  local st2 = assert(s3d.open("file://" .. dir .. "/other/"))
  n = tf.index(st, "a.tfrecord", { dst = st2, dst_key = "sub/a.idx" })
  t.eq(n, #recs, "index to another store (dst)")
  t.ok(exists(dir .. "/other/sub/a.idx") and read_file(dir .. "/other/sub/a.idx") == want_idx,
    "the index lands at dst_key in dst")
  os.remove(dir .. "/a.tfrecord.idx")
  n = tf.index(st, "a.tfrecord")
  t.eq(n, #recs, "index without options")
  t.ok(exists(dir .. "/a.tfrecord.idx") and read_file(dir .. "/a.tfrecord.idx") == want_idx,
    "index writes key .. '.idx' by default")

  -- records(): strings, in order
  for _, verify in ipairs { false, true } do
    local got, bad, idx_ok = 0, {}, true
    for d, i in tf.records(st, "a.tfrecord", { verify = verify }) do
      got = got + 1
      if i ~= got then idx_ok = false end
      if type(d) ~= "string" or d ~= recs[got] then bad[#bad + 1] = got end
    end
    local v = verify and " (verify)" or ""
    t.eq(got, #recs, "records() yields every record" .. v)
    t.eq(table.concat(bad, " "), "", "records() yields them identical and in order" .. v)
    t.ok(idx_ok, "records() yields the record number from 1 as the second value" .. v)
  end
  -- records() into a buffer
  local into = s3d.buffer(16)
  local got, bad, same = 0, {}, true
  for d in tf.records(st, "a.tfrecord", { into = into }) do
    got = got + 1
    if d ~= into then same = false end
    if #d ~= #recs[got] or d:tostring() ~= recs[got] then bad[#bad + 1] = got end
  end
  t.eq(got, #recs, "records(into=buf) yields every record")
  t.ok(same, "records(into=buf) yields the buffer itself")
  t.eq(table.concat(bad, " "), "", "records(into=buf): identical and in order")

  -- open():record(k)
  local f = assert(tf.open(st, "a.tfrecord"))
  local fv = assert(tf.open(st, "a.tfrecord", { verify = true }))
  t.eq(f:count(), #recs, "open():count()")
  t.eq(fv:count(), #recs, "open{verify}:count()")
  local ks = { 1, 2, 3, 4, 5, 6, #recs }
  for k = 7, #recs, 97 do ks[#ks + 1] = k end
  for _, k in ipairs { 1, 6, #recs } do ks[#ks + 1] = k end -- the 0-byte ones again, in another order
  local buf = s3d.buffer(8)
  for _, case in ipairs {
    { f, false, "" }, { f, true, " with a buffer" },
    { fv, false, " (verify)" }, { fv, true, " (verify) with a buffer" } } do
    local file, use_buf, name = case[1], case[2], case[3]
    local wrong = {}
    for _, k in ipairs(ks) do
      if use_buf then
        local r, rerr = file:record(k, buf)
        if r ~= #recs[k] or buf:tostring() ~= recs[k] then
          wrong[#wrong + 1] = string.format("%d (%d bytes: got %s, %s bytes in buf%s)", k, #recs[k],
            tostring(r), #buf, rerr and ", " .. errmsg(rerr) or "")
        end
      else
        local r, rerr = file:record(k)
        if r ~= recs[k] then
          wrong[#wrong + 1] = string.format("%d (%d bytes: got %s%s)", k, #recs[k],
            type(r) == "string" and #r .. " bytes" or tostring(r), rerr and ", " .. errmsg(rerr) or "")
        end
      end
    end
    t.eq(table.concat(wrong, "; "), "", "open():record(k)" .. name .. " == the record written")
  end
  t.raises(function() f:record(0) end, "not in the index", "record(0) raises")
  t.raises(function() f:record(#recs + 1) end, "not in the index", "record(count + 1) raises")
  local g = assert(tf.open(st, "a.tfrecord", { index = "a.idx2" }))
  t.eq(g:count(), #recs, "open{index=key} reads that index")
  t.eq(g:record(5), recs[5], "open{index=key}:record(5)")
end

-- records whose header, footer and a 0-byte record meet the 4 MiB piece boundaries
do
  local L0 = CHUNK - 21            -- record 1 starts 5 bytes before 4 MiB: its length straddles
  local L1 = 100                   -- record 2 starts at 4 MiB + 111
  local L2 = CHUNK - 125           -- record 2's data CRC starts at 8 MiB - 2: the footer straddles
  local L3 = CHUNK - 18            -- record 3 at 8 MiB + 2 ends at 12 MiB
  local sizes = { L0, L1, L2, L3, 0, 4, 0 } -- a 0-byte record at exactly 12 MiB
  local recs = {}
  for i, n in ipairs(sizes) do recs[i] = string.rep(string.char(64 + i), n) end
  recs[6] = "tail"
  local w = assert(tf.writer(st, "edge.tfrecord", { index = true }))
  for _, d in ipairs(recs) do assert(w:write(d)) end
  assert(w:commit())
  local want_idx = index_of(sizes)
  t.ok(want_idx:find("\n" .. (CHUNK - 5) .. " 116\n", 1, true) and want_idx:find("\n" .. 3 * CHUNK .. " 16\n", 1, true),
    "the edge file has a record at 4 MiB - 5 and a 0-byte one at 12 MiB")
  t.ok(read_file(dir .. "/edge.tfrecord.idx") == want_idx, "edges: the writer's index")
  local n = tf.index(st, "edge.tfrecord", { dst_key = "edge.idx2", verify = true })
  t.eq(n, #recs, "edges: index with verify counts every record")
  t.ok(read_file(dir .. "/edge.idx2") == want_idx, "edges: index across the piece boundaries")
  local got, bad = 0, {}
  for d in tf.records(st, "edge.tfrecord", { verify = true }) do
    got = got + 1
    if d ~= recs[got] then bad[#bad + 1] = got end
  end
  t.eq(got, #recs, "edges: records() yields every record")
  t.eq(table.concat(bad, " "), "", "edges: records() across the piece boundaries")
end

-- a record of more than two 4 MiB pieces
do
  local huge = string.rep(pool:sub(1, MiB), 9) .. "12345" -- 9 MiB + 5
  local recs = { "a", huge, "", "z" }
  local w = assert(tf.writer(st, "big9.tfrecord", { index = true }))
  for _, d in ipairs(recs) do assert(w:write(d)) end
  assert(w:commit())
  local want_idx = index_of { 1, #huge, 0, 1 }
  t.ok(read_file(dir .. "/big9.tfrecord.idx") == want_idx, "9 MiB record: the writer's index")
  t.eq(tf.index(st, "big9.tfrecord", { dst_key = "big9.idx2", verify = true }), 4, "9 MiB record: index with verify")
  t.ok(read_file(dir .. "/big9.idx2") == want_idx, "9 MiB record: index() == the writer's")
  local got, bad = 0, {}
  for d in tf.records(st, "big9.tfrecord", { verify = true }) do
    got = got + 1
    if d ~= recs[got] then bad[#bad + 1] = got end
  end
  t.eq(got, 4, "9 MiB record: records() yields 4 records")
  t.eq(table.concat(bad, " "), "", "9 MiB record: records() yields them identical")
  local f = assert(tf.open(st, "big9.tfrecord", { verify = true }))
  t.ok(f:record(2) == huge, "9 MiB record: open{verify}:record(2)")
  local b = s3d.buffer(16)
  t.eq(f:record(2, b), #huge, "9 MiB record: open{verify}:record(2, buf) returns the length")
  t.ok(b:tostring() == huge, "...and fills the buffer")
  -- an index whose last line has no newline
  write_file(dir .. "/big9.nonl", "0 17\n17 " .. (#huge + 16))
  local g, gerr = tf.open(st, "big9.tfrecord", { index = "big9.nonl" })
  t.eq(g and g:count(), 2, "open() takes an index whose last line lacks its newline", errmsg(gerr))
  t.eq(g and g:record(1), "a", "...and reads through it")
end

-- an empty file: no records, an empty index
do
  assert(st:put("empty.tfrecord", ""))
  local n, err = tf.index(st, "empty.tfrecord", { verify = true })
  t.eq(n, 0, "an empty file has 0 records", errmsg(err))
  t.ok(exists(dir .. "/empty.tfrecord.idx"), "an empty file gets an index")
  t.eq(exists(dir .. "/empty.tfrecord.idx") and read_file(dir .. "/empty.tfrecord.idx"), "",
    "...and it is empty")
  local got = 0
  for _ in tf.records(st, "empty.tfrecord") do got = got + 1 end
  t.eq(got, 0, "records() of an empty file yields nothing")
  local f, ferr = tf.open(st, "empty.tfrecord")
  t.eq(f and f:count(), 0, "open() of an empty file with an empty index: count 0", errmsg(ferr))
  local w = assert(tf.writer(st, "empty2.tfrecord", { index = true }))
  t.eq(w:commit(), 0, "a writer with no records commits 0 records")
  t.eq(read_file(dir .. "/empty2.tfrecord"), "", "...an empty file")
  t.eq(read_file(dir .. "/empty2.tfrecord.idx"), "", "...and an empty index")
end

---------------------------------------------------------------- corrupt inputs
do
  local d0, d1, d2 = "0123456789", string.rep("b", 20), string.rep("c", 30)
  -- offsets 0, 26, 62; 108 bytes
  local good = frame(d0) .. frame(d1) .. frame(d2)
  t.eq(#good, 108, "the corrupt cases start from 3 records in 108 bytes")
  local function uri(key) return "file://" .. dir .. "/" .. key end
  -- checks index(key) fails (with verify or not) naming `want`, leaves no .idx,
  -- and that records() raises the same message
  local function bad_case(key, data, verify, want, name)
    write_file(dir .. "/" .. key, data)
    local n, err = tf.index(st, key, { verify = verify })
    t.eq(n, nil, name .. ": index fails")
    t.eq(t.code(n, err), "invalid", name .. ": err.code is 'invalid'")
    local msg = errmsg(err)
    t.eq(msg, uri(key) .. ": " .. want, name .. ": the message names the URI, record and offset")
    t.eq(tostring(err), msg, name .. ": tostring(err) is the message")
    t.ok(not exists(dir .. "/" .. key .. ".idx"), name .. ": no index is left behind")
    local ls = io.popen("ls -A '" .. dir .. "'"):read("*a")
    t.ok(not ls:find(key .. ".idx", 1, true), name .. ": no temporary index either", ls)
    local ok, rerr = pcall(function()
      for _ in tf.records(st, key, { verify = verify }) do end
    end)
    t.ok(not ok, name .. ": records() raises")
    t.eq(errmsg(rerr), uri(key) .. ": " .. want, name .. ": records() raises the same message")
    t.eq(t.code(nil, rerr), "invalid", name .. ": records() raises an 'invalid' error")
  end

  -- a flipped data byte: only verify sees it
  local flip = good:sub(1, 26 + 12 + 5) .. "B" .. good:sub(26 + 12 + 7)
  t.eq(#flip, 108, "the flipped file keeps its size")
  write_file(dir .. "/flip.tfrecord", flip)
  local n, err = tf.index(st, "flip.tfrecord")
  t.eq(n, 3, "a flipped data byte: index without verify succeeds", errmsg(err))
  t.eq(exists(dir .. "/flip.tfrecord.idx") and read_file(dir .. "/flip.tfrecord.idx"), "0 26\n26 36\n62 46\n",
    "...with the right index")
  local got = {}
  for d in tf.records(st, "flip.tfrecord") do got[#got + 1] = d end
  t.eq(table.concat(got, "|"), d0 .. "|bbbbbBbbbbbbbbbbbbbb|" .. d2, "records() without verify yields the flipped data")
  os.remove(dir .. "/flip.tfrecord.idx")
  local d1f = "bbbbbBbbbbbbbbbbbbbb"
  bad_case("flip.tfrecord", flip, true, string.format(
    "record 1 at offset 26: the data's CRC does not match (stored 0x%08x, computed 0x%08x): corrupt data",
    tf.mask(tf.crc32c(d1)), tf.mask(tf.crc32c(d1f))), "a flipped data byte with verify")

  -- open():record on the flipped file through a good index
  write_file(dir .. "/flip.tfrecord.idx", "0 26\n26 36\n62 46\n")
  local fv = assert(tf.open(st, "flip.tfrecord", { verify = true }))
  t.eq(fv:record(1), d0, "open{verify}:record(1) of the flipped file is fine")
  t.eq(fv:record(3), d2, "open{verify}:record(3) of the flipped file is fine")
  local r, rerr = fv:record(2)
  t.eq(t.code(r, rerr), "invalid", "open{verify}:record(2) of the flipped record fails 'invalid'")
  t.ok(errmsg(rerr):find(uri("flip.tfrecord") .. ": record 1 ", 1, true) and errmsg(rerr):find("offset 26", 1, true)
    and errmsg(rerr):find("data's CRC does not match", 1, true),
    "...naming the URI, record 1, offset 26 and the data's CRC", errmsg(rerr))
  t.eq(errmsg(rerr):find("record 0", 1, true), nil, "...without a second, inner record number", errmsg(rerr))
  local fn = assert(tf.open(st, "flip.tfrecord"))
  t.eq(fn:record(2), d1f, "open():record(2) without verify returns the flipped data")
  os.remove(dir .. "/flip.tfrecord.idx")

  -- a flipped length byte: the length's CRC (checked before the length is used)
  local lflip = good:sub(1, 62) .. "\14" .. good:sub(64)
  bad_case("lflip.tfrecord", lflip, true,
    "record 2 at offset 62: the length's CRC does not match (a corrupt length field, or not a TFRecord file)",
    "a flipped length byte with verify")
  local lflip7 = good:sub(1, 26 + 7) .. "\1" .. good:sub(26 + 9)
  bad_case("lflip7.tfrecord", lflip7, true,
    "record 1 at offset 26: the length's CRC does not match (a corrupt length field, or not a TFRecord file)",
    "a flipped high length byte with verify")
  bad_case("lflip7.tfrecord", lflip7, false,
    "record 1 at offset 26: length 72057594037927956 runs past the end of the file (108 bytes): "
    .. "truncated, or a corrupt length", "a flipped high length byte without verify")

  -- truncations
  for _, verify in ipairs { false, true } do
    local v = verify and " (verify)" or ""
    bad_case("trunc-data.tfrecord", good:sub(1, 84), verify,
      "record 2 at offset 62: length 30 runs past the end of the file (84 bytes): truncated, or a corrupt length",
      "a truncated payload" .. v)
    bad_case("trunc-len.tfrecord", good:sub(1, 67), verify,
      "record 2 at offset 62: the file ends inside its length field (5 of 12 header bytes)",
      "a truncated length (5 bytes)" .. v)
    bad_case("trunc-len1.tfrecord", good:sub(1, 1), verify,
      "record 0 at offset 0: the file ends inside its length field (1 of 12 header bytes)",
      "a 1-byte file" .. v)
    bad_case("trunc-foot.tfrecord", good:sub(1, 106), verify,
      "record 2 at offset 62: length 30 runs past the end of the file (106 bytes): truncated, or a corrupt length",
      "a truncated footer" .. v)
    -- a huge declared length with a valid length CRC
    local hl = "\255\255\255\255\255\255\255\015"
    local huge = good:sub(1, 62) .. hl .. le32(tf.mask(tf.crc32c(hl))) .. string.rep("x", 50)
    bad_case("huge.tfrecord", huge, verify,
      "record 2 at offset 62: length 1152921504606846975 runs past the end of the file (124 bytes): "
      .. "truncated, or a corrupt length", "a huge declared length" .. v)
  end
  -- records() yields the good records before raising
  write_file(dir .. "/t2.tfrecord", good:sub(1, 67))
  local seen = {}
  local ok, rerr = pcall(function() for d in tf.records(st, "t2.tfrecord") do seen[#seen + 1] = d end end)
  t.ok(not ok and #seen == 2 and seen[1] == d0 and seen[2] == d1,
    "records() of a truncated file yields the 2 whole records, then raises", errmsg(rerr))
  -- a file past a 4 MiB piece with a bad record in the second piece
  local big = frame(string.rep("q", CHUNK)) .. frame("ok") .. frame("bad")
  big = big:sub(1, #big - 7) .. "X" .. big:sub(#big - 5) -- "bad" becomes "Xad"
  local off2 = CHUNK + 16 + 18
  bad_case("big.tfrecord", big, true, string.format(
    "record 2 at offset %d: the data's CRC does not match (stored 0x%08x, computed 0x%08x): corrupt data",
    off2, tf.mask(tf.crc32c("bad")), tf.mask(tf.crc32c("Xad"))), "a bad record after 4 MiB, verify")
end

---------------------------------------------------------------- null:// and missing files
do
  local nst = assert(s3d.open("null://"))
  local w = assert(tf.writer(nst, "x.tfrecord", { index = true }))
  for _, d in ipairs { "", "abc", string.rep("z", 5000) } do assert(w:write(d)) end
  local nrec, nbytes = w:commit()
  t.eq(nrec, 3, "null://: a writer commits its record count")
  t.eq(nbytes, 48 + 5003, "null://: ...and its bytes")
  -- a null:// object is 1 MiB of filler, not a TFRecord file
  local n, err = tf.index(nst, "x.tfrecord")
  t.eq(t.code(n, err), "invalid", "null://: index of the filler is 'invalid'")
  t.ok(errmsg(err):find("null://x.tfrecord: record 0 at offset 0: ", 1, true), "...naming record 0 at offset 0",
    errmsg(err))
  local ok, rerr = pcall(function() for _ in tf.records(nst, "x.tfrecord") do end end)
  t.ok(not ok and t.code(nil, rerr) == "invalid", "null://: records() raises 'invalid'", errmsg(rerr))

  local n2, e2 = tf.index(st, "missing.tfrecord")
  t.eq(t.code(n2, e2), "not_found", "index of a missing file: not_found")
  t.eq(errmsg(e2), "file://" .. dir .. "/missing.tfrecord: not found", "...naming it")
  t.ok(not exists(dir .. "/missing.tfrecord.idx"), "...and writes no index")
  local ok2, r2 = pcall(function() for _ in tf.records(st, "missing.tfrecord") do end end)
  t.ok(not ok2 and t.code(nil, r2) == "not_found", "records() of a missing file raises not_found", errmsg(r2))
  local f, fe = tf.open(st, "missing.tfrecord")
  t.eq(t.code(f, fe), "not_found", "open() of a file without an index: not_found")
  write_file(dir .. "/junk.idx", "0 16\nfoo\n")
  local j, je = tf.open(st, "whatever", { index = "junk.idx" })
  t.eq(t.code(j, je), "invalid", "open() with a malformed index: invalid")
  t.ok(errmsg(je):find("line 2", 1, true), "...naming the line", errmsg(je))
end

return t.done()
