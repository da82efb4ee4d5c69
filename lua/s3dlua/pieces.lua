-- s3dlua.pieces: what copying, indexing and generating share.
--   pieces.each(st, key, size, bufs, fn): the object in CHUNK pieces, in order,
--     fn(buf) for each; the pieces after the one fn has are fetched meanwhile,
--     #bufs of them at once (independent ranged gets: one connection each on
--     s3://). Memory is #bufs chunks whatever the size. Stops at fn's first
--     nil, err. -> true | nil, err
--   pieces.task_buffers(name, n, size): n buffers for the calling task (or the
--     main thread), made on its first call and reused: buffer memory lives
--     outside the Lua heap, so buffers made per object would pile up faster
--     than the collector notices them.
local sched = require "s3dlua.sched"
local store = require "s3dlua.store"

local M = { CHUNK = 4 * 1024 * 1024 }
local CHUNK = M.CHUNK

function M.each(st, key, size, bufs, fn)
  local n = #bufs
  local pieces = math.ceil(size / CHUNK)
  local reads = {}
  local function fetch(i)
    local off = (i - 1) * CHUNK
    local want = math.min(CHUNK, size - off)
    local opt = { offset = off, length = want, into = bufs[(i - 1) % n + 1] }
    reads[i] = sched.spawn(function()
      local got, err = st:get(key, opt)
      if got and got ~= want then
        return nil, string.format("%s: %d bytes at offset %d, expected %d (did the object change?)",
          st:uri(key), got, off, want)
      end
      return got, err
    end)
  end
  for i = 1, math.min(n, pieces) do fetch(i) end
  local ok, err = true, nil
  for i = 1, pieces do
    local got, rerr = reads[i]:join()
    reads[i] = nil
    if not got then ok, err = nil, rerr break end
    ok, err = fn(bufs[(i - 1) % n + 1])
    if not ok then break end
    if i + n <= pieces then fetch(i + n) end
  end
  for _, t in pairs(reads) do t:join() end -- their buffers must be free before reuse
  return ok, err
end

local by_task = setmetatable({}, { __mode = "k" })
local main_thread = {}

function M.task_buffers(name, n, size)
  local co = coroutine.running()
  local mine = main_thread
  if co then
    mine = by_task[co]
    if not mine then
      mine = {}
      by_task[co] = mine
    end
  end
  local bufs = mine[name]
  if not bufs then
    bufs = {}
    for i = 1, n do bufs[i] = store.buffer(size) end
    mine[name] = bufs
  end
  return bufs
end

return M
