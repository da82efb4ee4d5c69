-- file:// and null:// through the store interface, from tasks and from the top level.
local s3d = require "s3dlua"
local t = require "s3dlua.test"

local dir = t.tmpdir()
local st = assert(s3d.open("file://" .. dir .. "/"))
t.eq(st:uri(), "file://" .. dir .. "/", "store URI is canonical with a trailing slash")
t.eq(st:uri("a/b"), "file://" .. dir .. "/a/b", "uri(key) joins the key")

-- put/get/stat at the top level (blocking)
t.eq(st:put("x/one.txt", "hello world"), 11, "put returns the bytes written")
local buf = st:get("x/one.txt")
t.eq(buf and buf:tostring(), "hello world", "get returns the bytes")
t.eq(#buf, 11, "#buffer is its length")
t.eq(buf:tostring(7), "world", "buffer:tostring(i) slices like string.sub")
local info = st:stat("x/one.txt")
t.eq(info.size, 11, "stat size")
t.ok(math.abs(info.mtime - os.time()) < 60, "stat mtime is recent")
t.eq(info.is_dir, false, "an object is not a directory")
t.eq(st:stat("x").is_dir, true, "a directory stats as one")

-- ranges
t.eq(st:get("x/one.txt", { offset = 6 }):tostring(), "world", "range from an offset to the end")
t.eq(st:get("x/one.txt", { offset = 2, length = 3 }):tostring(), "llo", "offset + length")
t.eq(st:get("x/one.txt", { offset = 6, length = 100 }):tostring(), "world", "a length past the end is cut")
t.eq(st:get("x/one.txt", { suffix = 5 }):tostring(), "world", "a suffix range reads the last bytes")
t.eq(st:get("x/one.txt", { suffix = 500 }):tostring(), "hello world", "a suffix longer than the object reads it all")
t.raises(function() st:get("x/one.txt", { suffix = 5, offset = 1 }) end, "cannot be combined",
  "suffix with offset raises")
local v, err = st:get("x/one.txt", { offset = 50 })
local code = err and err.code
t.ok(v == nil and code == "invalid", "a range past the end is an error", tostring(err))

-- into a reused buffer, and discard
local into = s3d.buffer("4KiB")
t.eq(st:get("x/one.txt", { into = into }), 11, "get into a buffer returns the count")
t.eq(into:tostring(), "hello world", "the buffer holds the bytes")
t.eq(st:get("x/one.txt", { discard = true }), 11, "discard counts without keeping")

-- errors carry stable codes and name the URI
v, err = st:get("x/missing")
code = err and err.code
t.eq(v, nil, "missing object gives nil")
t.eq(code, "not_found", "missing object code")
t.raises(function() assert(st:get("x/missing")) end, "file://" .. dir .. "/x/missing: not found",
  "assert(store:get()) raises the whole message")
t.eq(err.code, "not_found", "err.code")
t.eq(tostring(err), "file://" .. dir .. "/x/missing: not found", "the message names the URI")
v, err = st:get("x")
code = err and err.code
t.eq(code, "is_dir", "get of a directory")
v, err = st:delete("x/missing")
code = err and err.code
t.eq(code, "not_found", "delete of a missing object")
v, err = st:stat("nope/nope")
code = err and err.code
t.eq(code, "not_found", "stat of a missing object")
local bad, berr = s3d.open("nosuch://x/")
local bcode = berr and berr.code
t.ok(bad == nil and bcode == "bad_uri" and tostring(berr):find("unknown scheme 'nosuch'", 1, true),
  "an unknown scheme names itself", tostring(berr))
bad, berr = s3d.open("just/a/path")
bcode = berr and berr.code
t.eq(bcode, "bad_uri", "a path is not a URI")
t.raises(function() st:get(42) end, "string expected", "a wrong key type raises")
t.raises(function() st:put("k", {}) end, "string or s3dlua.buffer expected", "a wrong body type raises")

-- odd keys
local odd = "we ird/ke y+%20ü#?.bin"
t.eq(st:put(odd, "odd"), 3, "put with spaces, +, %, unicode")
t.eq(st:get(odd):tostring(), "odd", "read back the odd key")

-- many operations in flight from tasks
local N, payload = 200, string.rep("ab", 5000)
local tasks = {}
for w = 1, 32 do
  tasks[w] = s3d.spawn(function()
    for i = w, N, 32 do
      assert(st:put(("many/%04d"):format(i), payload .. i))
    end
  end)
end
t.eq(s3d.wait(tasks), 0, "200 puts from 32 tasks")
local bad_reads = 0
for w = 1, 32 do
  tasks[w] = s3d.spawn(function()
    for i = w, N, 32 do
      local b = st:get(("many/%04d"):format(i))
      if not b or b:tostring() ~= payload .. i then bad_reads = bad_reads + 1 end
    end
  end)
end
s3d.wait(tasks)
t.eq(bad_reads, 0, "200 gets from 32 tasks return the right bytes")

-- listing: sorted, prefixes, recursive, name-part prefixes, paging hidden
local keys = {}
for e in st:list("many/") do keys[#keys + 1] = e.key end
t.eq(#keys, N, "list iterates every key")
t.eq(keys[1], "many/0001", "listing is sorted")
local top = st:ls("")
local names = {}
for _, e in ipairs(top) do names[#names + 1] = e.key .. (e.is_prefix and "(P)" or "") end
t.eq(table.concat(names, " "), "many/(P) we ird/(P) x/(P)", "non-recursive list shows common prefixes")
t.eq(#st:ls("", { recursive = true }), N + 2, "recursive list shows every object")
t.eq(#st:ls("many/01"), 100, "a key prefix that is not a directory filters names")
t.eq(#st:ls("does/not/exist/"), 0, "a missing prefix lists nothing")

-- streams: writer invisible until commit, abort leaves nothing, reader chunks
local w = assert(st:writer("big/file.bin"))
local chunk = string.rep("0123456789abcdef", 65536) -- 1 MiB
for _ = 1, 5 do assert(w:write(chunk)) end
t.eq(t.code(st:stat("big/file.bin")), "not_found", "an uncommitted write is not visible")
t.eq(w:commit(), 5 * #chunk, "commit returns the total")
t.eq(st:stat("big/file.bin").size, 5 * #chunk, "committed object has every byte")
local w2 = assert(st:writer("big/aborted.bin"))
w2:write("partial")
w2:close()
t.eq(t.code(st:stat("big/aborted.bin")), "not_found", "an aborted write leaves nothing")
local r = assert(st:reader("big/file.bin"))
t.eq(r:size(), 5 * #chunk, "reader knows the size")
local rb, total, same = s3d.buffer("1MiB"), 0, true
while true do
  local n = assert(r:read(rb, 300000))
  if n == 0 then break end
  local off = total % #chunk
  local expect = (chunk .. chunk):sub(off + 1, off + n)
  if rb:tostring() ~= expect then same = false end
  total = total + n
end
r:close()
t.eq(total, 5 * #chunk, "reader returns every byte in chunks")
t.ok(same, "reader chunks have the right content")
local listing_names = {}
for _, e in ipairs(st:ls("big/")) do listing_names[#listing_names + 1] = e.key end
t.eq(table.concat(listing_names, ","), "big/file.bin", "no temporary files are listed")

-- fadvise modes are accepted; bad ones raise
for _, mode in ipairs { "auto", "normal", "sequential", "random", "dontneed" } do
  local s2 = s3d.open("file://" .. dir .. "/", { fadvise = mode })
  t.eq(s2:get("big/file.bin", { discard = true }), 5 * #chunk, "get with fadvise=" .. mode)
end
t.raises(function() s3d.open("file:///tmp/", { fadvise = "fast" }) end, "invalid option 'fast'",
  "an unknown fadvise mode raises")

-- delete, and removal of an emptied directory tree
t.eq(st:delete("x/one.txt"), true, "delete returns true")
t.eq(t.code(st:get("x/one.txt")), "not_found", "deleted object is gone")
for e in st:list("many/") do st:delete(e.key) end
t.eq(st:delete("many/"), true, "an emptied directory tree can be removed")
v, err = st:delete("big/")
code = err and err.code
t.eq(code, "not_empty", "a directory with objects is not removed")

-- null://: writes discarded, reads generated
local null = assert(s3d.open("null://", { size = "64KiB" }))
t.eq(null:put("k", "data"), 4, "null put")
local nb = null:get("k")
t.eq(#nb, 65536, "null get returns the configured size")
t.eq(null:get("k", { discard = true }), 65536, "null discard")
t.eq(#null:get("k", { offset = 1000, length = 10 }), 10, "null ranges")
t.eq(null:stat("k").size, 65536, "null stat")
local nt = {}
for i = 1, 100 do nt[i] = s3d.spawn(function() for _ = 1, 10 do null:get("k", { discard = true }) end end) end
t.eq(s3d.wait(nt), 0, "1000 null gets from 100 tasks")
return t.done()
