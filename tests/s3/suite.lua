-- The S3 suite: run against a real server by tests/cli/test-s3.sh with the
-- AWS_* variables pointing at it. arg[1] is the server ("s3rver", "radosgw")
-- for the checks only a strict server passes; arg[2] a fresh bucket name.
local s3d = require "s3dlua"
local t = require "s3dlua.test"
local server, bucket = arg[1], arg[2]
local strict = server == "radosgw"

local root = assert(s3d.open("s3://" .. bucket .. "/"))
t.eq(root:create_bucket(), true, server .. ": create bucket")
local code = t.code(root:create_bucket())
t.ok(code == "exists" or code == nil, server .. ": creating it again is exists or idempotent", code)

-- put / get / stat / delete
t.eq(root:put("a/hello.txt", "hello s3"), 8, "put returns the bytes")
t.eq(root:get("a/hello.txt"):tostring(), "hello s3", "get returns them")
local info = root:stat("a/hello.txt")
t.eq(info.size, 8, "stat size")
t.ok(info.etag and #info.etag > 2, "stat has an etag", tostring(info.etag))
t.ok(math.abs(info.mtime - os.time()) < 300, "stat mtime is recent", info.mtime)
t.eq(root:get("a/hello.txt", { discard = true }), 8, "get with discard counts bytes")
local into = s3d.buffer(64)
t.eq(root:get("a/hello.txt", { into = into }), 8, "get into a buffer")
t.eq(into:tostring(), "hello s3", "buffer content")
local v, err = root:get("a/missing")
local c = t.code(v, err)
t.eq(c, "not_found", "missing key is not_found")
t.eq(tostring(err):sub(1, #("s3://" .. bucket)), "s3://" .. bucket, "the error names the URI")
t.ok(tostring(err):find("404", 1, true), "the error names the HTTP status", tostring(err))
t.eq(err.status, 404, "err.status")
v, err = root:stat("a/missing")
c = t.code(v, err)
t.eq(c, "not_found", "HEAD of a missing key is not_found")
local nob = s3d.open("s3://no-such-bucket-" .. bucket .. "/")
v, err = nob:get("x")
c = t.code(v, err)
t.eq(c, "not_found", "a missing bucket is not_found")
t.ok(tostring(err):find("NoSuchBucket", 1, true), "the error carries S3's code", tostring(err))

-- ranges
local body = {}
for i = 0, 9999 do body[#body + 1] = string.format("%05d", i) end
body = table.concat(body) -- 50000 bytes
assert(root:put("r/range.bin", body))
t.eq(root:get("r/range.bin", { offset = 5, length = 10 }):tostring(), body:sub(6, 15), "offset+length")
t.eq(root:get("r/range.bin", { offset = 49990 }):tostring(), body:sub(49991), "offset to the end")
if strict then
  t.eq(root:get("r/range.bin", { suffix = 7 }):tostring(), body:sub(-7), "suffix range")
else
  local sv, serr = root:get("r/range.bin", { suffix = 7 })
  t.ok(sv == nil or sv:tostring() == body:sub(-7),
    "a server that misreads a suffix range is caught, not trusted", tostring(serr))
end
v, err = root:get("r/range.bin", { offset = 60000 })
c = t.code(v, err)
t.ok(v == nil, "a range past the end fails", tostring(c))

-- odd keys
local odd = { "sp ace/x y.txt", "plus+sign", "pct%20lit", "uni-ü-日本.bin", "tilde~and=eq&amp",
  "star*(paren)", "deep/a/b/c/d/e.txt" }
for _, k in ipairs(odd) do
  local ok = root:put("odd/" .. k, "v:" .. k)
  local back = ok and root:get("odd/" .. k)
  t.ok(back and back:tostring() == "v:" .. k, "odd key round trip: " .. k)
end
local listed = {}
for e in root:list("odd/", { recursive = true }) do listed[e.key] = true end
local all = true
for _, k in ipairs(odd) do all = all and listed["odd/" .. k] end
t.ok(all, "odd keys are listed with their exact names")

-- 1500 keys: listing pages of 1000 are hidden behind the iterator
local N = 1500
local tasks = {}
for w = 1, 50 do
  tasks[w] = s3d.spawn(function()
    for i = w, N, 50 do assert(root:put(("many/%05d"):format(i), "x")) end
  end)
end
t.eq(s3d.wait(tasks), 0, "1500 puts from 50 tasks")
local n, sorted, prev = 0, true, ""
for e in root:list("many/") do
  n = n + 1
  if e.key <= prev then sorted = false end
  prev = e.key
end
t.eq(n, N, "listing 1500 keys crosses pages")
t.ok(sorted, "listing is in key order")
local page, token = root:list_page("many/", true)
t.eq(#page, 1000, "a page holds 1000 keys")
t.ok(token ~= nil, "a truncated page has a continuation token")

-- nested delimiter listing
for _, k in ipairs { "n/x/1", "n/x/2", "n/y/1", "n/z", "n/x/deep/1" } do assert(root:put(k, k)) end
local names = {}
for _, e in ipairs(root:ls("n/")) do names[#names + 1] = e.key .. (e.is_prefix and "(P)" or "") end
t.eq(table.concat(names, " "), "n/x/(P) n/y/(P) n/z", "delimiter listing: objects and common prefixes")
names = {}
for _, e in ipairs(root:ls("n/x/")) do names[#names + 1] = e.key .. (e.is_prefix and "(P)" or "") end
t.eq(table.concat(names, " "), "n/x/1 n/x/2 n/x/deep/(P)", "one level down")
t.eq(#root:ls("n/", { recursive = true }), 5, "recursive listing")
local sub = assert(s3d.open("s3://" .. bucket .. "/n/x/"))
names = {}
for _, e in ipairs(sub:ls("")) do names[#names + 1] = e.key end
t.eq(table.concat(names, " "), "1 2 deep/", "a store opened at a prefix lists relative keys")
t.eq(sub:get("deep/1"):tostring(), "n/x/deep/1", "and reads them")

-- 64 MiB through the multipart writer, bytes identical
local part = {}
for i = 1, 16 do part[i] = string.char(65 + i) end
local chunk = table.concat(part):rep(65536) -- 1 MiB of varying bytes
local w = assert(root:writer("big/64m.bin"))
local total = 0
for i = 1, 64 do
  local piece = string.format("%08d", i) .. chunk:sub(9)
  assert(w:write(piece))
  total = total + #piece
end
t.eq(t.code(root:stat("big/64m.bin")), "not_found", "nothing is visible before commit")
t.eq(w:commit(), total, "multipart commit returns the total")
local st64 = root:stat("big/64m.bin")
t.eq(st64.size, 64 * 1048576, "the object has 64 MiB")
if strict then
  t.ok(st64.etag:find("%-8\"?$"), "a multipart ETag ends in -<parts> (8 parts of 8 MiB)", st64.etag)
end
local r = assert(root:reader("big/64m.bin"))
local rb, same, i = s3d.buffer("1MiB"), true, 0
while true do
  local got = assert(r:read(rb, 1048576))
  if got == 0 then break end
  i = i + 1
  if rb:tostring() ~= string.format("%08d", i) .. chunk:sub(9) then same = false end
end
r:close()
t.ok(same and i == 64, "the 64 MiB come back identical", i .. " MiB read")
if strict then -- s3rver answers AbortMultipartUpload with 405
  local w2 = assert(root:writer("big/aborted.bin"))
  assert(w2:write(chunk:rep(9))) -- 9 MiB: one part uploaded
  t.eq(w2:close(), true, "aborting a multipart upload succeeds")
  t.eq(t.code(root:stat("big/aborted.bin")), "not_found", "an aborted multipart leaves no object")
end

-- delete 2500 keys in DeleteObjects batches of 1000
for w = 1, 50 do
  tasks[w] = s3d.spawn(function()
    for k = w, 2500, 50 do assert(root:put(("del/%05d"):format(k), "d")) end
  end)
end
s3d.wait(tasks)
local keys = {}
for e in root:list("del/") do keys[#keys + 1] = e.key end
t.eq(#keys, 2500, "2500 keys to delete")
local deleted, failures = root:delete_many(keys)
t.eq(deleted, 2500, "delete_many deletes 2500 keys (3 requests)")
t.eq(#failures, 0, "with no failures")
t.eq(#root:ls("del/", { recursive = true }), 0, "nothing left under del/")
assert(root:put("del/a&b<c>'q\"", "x"))
t.eq(root:delete_many({ "del/a&b<c>'q\"" }), 1, "delete_many escapes keys in its XML")
t.eq(t.code(root:stat("del/a&b<c>'q\"")), "not_found", "the odd key is gone")
t.eq(root:delete_many({}), 0, "an empty batch deletes nothing")
local single = 0
for k = 1, 20 do assert(root:put("one/" .. k, "x")) end
for k = 1, 20 do if root:delete("one/" .. k) then single = single + 1 end end
t.eq(single, 20, "single deletes")

-- generated data: put streams a generator (a multipart upload above 16 MiB)
local gsize = 20 * 1048576 + 5
local gen = s3d.datagen.new { size = gsize, dedup = 2, compress = 3, seed = 11 }
t.eq(root:put("gen/20m.bin", gen), gsize, "put of a 20 MiB generator")
local gb = assert(root:get("gen/20m.bin"))
t.eq(gb:len(), gsize, "the generated object has its size")
t.eq(s3d.datagen.verify(gb, gen, 0), true, "the generated object verifies")
local gpart = assert(root:get("gen/20m.bin", { offset = 12345678, length = 100000 }))
t.eq(s3d.datagen.verify(gpart, gen, 12345678), true, "a range of it verifies at its offset")

-- TFRecord over s3://: written by our writer (with its index), indexed again
-- from ranged GETs with CRCs checked, read back in order and by record
local tw = assert(s3d.tfrecord.writer(root, "tf/a.tfrecord", { index = true }))
local recs = {}
for k = 1, 300 do
  recs[k] = string.rep(string.char(k % 251), (k * 7919) % 70000)
  assert(tw:write(recs[k]))
end
local nrec, nbytes = tw:commit()
t.eq(nrec, 300, "tfrecord writer: 300 records")
t.eq(assert(root:stat("tf/a.tfrecord")).size, nbytes, "tfrecord writer: the object has every byte")
t.eq(s3d.tfrecord.index(root, "tf/a.tfrecord", { verify = true, dst_key = "tf/again.idx" }), 300,
  "tfrecord index over ranged GETs, CRCs checked")
t.eq(assert(root:get("tf/again.idx")):tostring(), assert(root:get("tf/a.tfrecord.idx")):tostring(),
  "the index equals the writer's")
local in_order = 0
for d, k in s3d.tfrecord.records(root, "tf/a.tfrecord", { verify = true }) do
  if d == recs[k] then in_order = in_order + 1 end
end
t.eq(in_order, 300, "tfrecord records come back in order")
local tf = assert(s3d.tfrecord.open(root, "tf/a.tfrecord", { verify = true }))
t.eq(tf:record(123), recs[123], "tfrecord random access to record 123")

-- a bucket with objects cannot be deleted; an empty one can
local rb_ok, rb_err = root:delete_bucket()
local rb_code = t.code(rb_ok, rb_err)
t.ok(not rb_ok and (rb_code == "not_empty" or rb_code == "http_409"), "delete of a non-empty bucket fails", tostring(rb_err))
return t.done()
