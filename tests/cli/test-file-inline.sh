#!/usr/bin/env bash
# file:// serves small GETs and stats on the loop thread when the path and
# the bytes are cached (openat2 RESOLVE_CACHED, preadv2 RWF_NOWAIT) and sends
# everything else to the thread pool. Both ways must give the same bytes,
# sizes and errors: objects below and above the inline limit (256 KiB), in
# and out of the page cache, whole, ranged and suffix reads, into a buffer
# and discarded, stats of files and directories, and the errors.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
mkdir -p d/sub
head -c 1000 /dev/urandom >d/small
head -c $((256 * 1024)) /dev/urandom >d/limit
head -c $((256 * 1024 + 1)) /dev/urandom >d/over
head -c 3000000 /dev/urandom >d/big
: >d/empty

cat >check.lua <<'LUA'
local dir, evict = arg[1], arg[2] == "evict"
local st = assert(s3d.open("file://" .. dir .. "/"))
local function check(ok, what, detail)
  if ok then print("ok\t" .. what) else print("not ok\t" .. what .. "\t" .. tostring(detail)) end
end
local function file(name)
  local f = assert(io.open(dir .. "/" .. name, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end
local tag = evict and " (evicted)" or " (cached)"
for _, name in ipairs { "small", "limit", "over", "big", "empty" } do
  local want = file(name)
  if evict then os.execute("dd if=" .. dir .. "/" .. name .. " iflag=nocache count=0 status=none") end
  local got = assert(st:get(name))
  check(got:tostring() == want, name .. ": whole GET gives the file's bytes" .. tag, #got)
  local n = assert(st:get(name, { discard = true }))
  check(n == #want, name .. ": discarded GET counts its bytes" .. tag, n)
  if #want > 10 then
    local r = assert(st:get(name, { offset = 7, length = 5 }))
    check(r:tostring() == want:sub(8, 12), name .. ": range 7+5" .. tag, r:tostring())
    local sfx = assert(st:get(name, { suffix = 9 }))
    check(sfx:tostring() == want:sub(-9), name .. ": suffix 9" .. tag)
    local tail = assert(st:get(name, { offset = #want - 3 }))
    check(tail:tostring() == want:sub(-3), name .. ": from offset size-3 to the end" .. tag)
    local buf = s3d.buffer(16)
    local c = assert(st:get(name, { into = buf, offset = 1, length = 4 }))
    check(c == 4 and buf:tostring() == want:sub(2, 5), name .. ": into a buffer" .. tag, c)
  end
  local info = assert(st:stat(name))
  check(info.size == #want and not info.is_dir, name .. ": stat size and type" .. tag, info.size)
  local _, err = st:get(name, { offset = #want + 1 })
  check(err and tostring(err):find("past the end", 1, true), name .. ": a range past the end is an error" .. tag, err)
end
local info = assert(st:stat("sub"))
check(info.is_dir, "stat of a directory says is_dir")
local _, err = st:get("sub")
check(err and tostring(err):find("is a directory", 1, true), "GET of a directory: is a directory", err)
_, err = st:get("missing")
check(err and err.code == "not_found", "GET of a missing file: not_found", err and err.code)
_, err = st:stat("missing")
check(err and err.code == "not_found", "stat of a missing file: not_found", err and err.code)
_, err = st:get("small/x")
check(err and err.code ~= nil, "GET below a file: an error", err)
-- 200 GETs in flight at once, mixing both paths: every one correct
local want = { small = file("small"), over = file("over") }
local bad = 0
for i = 1, 200 do
  s3d.spawn(function()
    local name = i % 2 == 0 and "small" or "over"
    local got = st:get(name)
    if not got or got:tostring() ~= want[name] then bad = bad + 1 end
  end)
end
s3d.wait()
check(bad == 0, "200 concurrent GETs, small and over the limit, all correct" .. tag, bad)
LUA

for mode in cached evict; do
    timeout -k 2 120 "$S3DLUA" run check.lua "$T/d" "$mode" >"$T/chk.out" 2>"$T/chk.err"
    is "$mode: the check script exits 0" "0 " "$? $(head -c 300 "$T/chk.err")"
    tap_from "$T/chk.out" "$mode: "
done
finish
