-- s3dlua: the module scripts require. It gathers the C modules (scheduler,
-- stores, stats) and adds what is easiest in Lua: the list iterator that hides
-- paging, waiting on several tasks, URI splitting.
local sched = require "s3dlua.sched"
local store = require "s3dlua.store"
local stats = require "s3dlua.stats"
local util = require "s3dlua.util"

local M = {
  spawn = sched.spawn, sleep = sched.sleep, sleep_until = sched.sleep_until,
  park = sched.park, now = sched.now,
  size = sched.size, duration = sched.duration, duration_ns = sched.duration_ns,
  fmt_size = sched.fmt_size, in_task = sched.in_task, thread = sched.thread,
  open = store.open, buffer = store.buffer, codes = store.codes,
  stats = stats, util = util, version = "0.1",
}

-- h:record(ns) through the FFI: a direct, JIT-compiled call into C (see
-- s3d_histogram_record_ns). The method table is only reachable from a
-- histogram, so the self passed here is one; a count goes the classic way.
do
  local ffi = require "ffi"
  ffi.cdef "void s3d_histogram_record_ns(void *h, double ns);"
  local C = ffi.C
  local methods_t = debug.getregistry()["s3dlua.histogram"].__index
  local classic = methods_t.record
  methods_t.record = function(h, ns, count)
    if count ~= nil or type(ns) ~= "number" then return classic(h, ns, count) end
    C.s3d_histogram_record_ns(h, ns)
  end
end

-- s3d.wait() waits for every task (top level only); s3d.wait(t1, t2, ...) or
-- s3d.wait{t1, t2} joins the given tasks and returns how many failed.
function M.wait(...)
  local n = select("#", ...)
  if n == 0 then return sched.wait_all() end
  local failed = 0
  local function join(t)
    local ok = t:join()
    if ok == nil and t:status() == "failed" then failed = failed + 1 end
  end
  for i = 1, n do
    local t = select(i, ...)
    if type(t) == "table" then
      for _, x in ipairs(t) do join(x) end
    else
      join(t)
    end
  end
  return failed
end

local methods = store.methods

-- st:put(key, generator) streams generated data (s3dlua.datagen)
local datagen = require "s3dlua.datagen"
M.datagen = datagen
M.tfrecord = require "s3dlua.tfrecord"
M.oplog = require "s3dlua.oplog"
do
  local c_put, is_gen, put_gen = methods.put, datagen.is_generator, datagen.put
  function methods:put(key, body, ...)
    if is_gen(body) then return put_gen(self, key, body) end
    return c_put(self, key, body, ...)
  end
end

-- for entry in store:list(prefix, {recursive = true}) do ... end
-- Entries are {key=, size=, mtime=, is_prefix=}; pages are fetched as needed.
-- A listing error is raised (use store:ls for nil, err).
function methods:list(prefix, opts)
  local recursive = opts and opts.recursive
  local page, token, i = nil, nil, 0
  local done = false
  return function()
    while true do
      if page and i < #page then
        i = i + 1
        return page[i]
      end
      if done then return nil end
      local err
      page, token = self:list_page(prefix or "", recursive, token)
      if not page then
        err = token
        error(err, 2)
      end
      i = 0
      done = token == nil
    end
  end
end

-- store:ls(prefix, opts) -> array of entries | nil, err
function methods:ls(prefix, opts)
  local out, token = {}, nil
  repeat
    local page, t = self:list_page(prefix or "", opts and opts.recursive, token)
    if not page then return nil, t end
    for _, e in ipairs(page) do out[#out + 1] = e end
    token = t
  until token == nil
  return out
end

local flat = { file = true, direct = true, null = true }

-- s3d.split_uri("file:///a/b.dat") -> "file:///", "a/b.dat"
-- s3d.split_uri("s3://bucket/k/x") -> "s3://bucket/", "k/x"
-- Returns nil, message for a string that is not a URI.
function M.split_uri(uri)
  local scheme, rest = uri:match("^([%a][%w+.-]*)://(.*)$")
  if not scheme then return nil, uri .. ": not a URI (expected scheme://...)" end
  if flat[scheme] then
    if rest:sub(1, 1) == "/" then return scheme .. ":///", rest:sub(2) end
    return scheme .. "://", rest
  end
  local bucket, key = rest:match("^([^/]*)/?(.*)$")
  return scheme .. "://" .. bucket .. "/", key
end

-- s3d.to_uri("data/x") -> "file:///abs/data/x"; URIs pass through unchanged.
function M.to_uri(s)
  if s:match("^[%a][%w+.-]*://") then return s end
  if s:sub(1, 1) ~= "/" then
    local cwd = util.cwd()
    s = (s == "." or s == "./") and cwd .. "/" or cwd .. "/" .. s:gsub("^%./", "")
  end
  return "file://" .. s
end

-- s3d.open_uri(uri) -> store, key | nil, err: the store at the URI's
-- root (bucket or file system) and the key the URI names.
function M.open_uri(uri, opts)
  local root, key = M.split_uri(uri)
  if not root then return nil, setmetatable({ code = "bad_uri", message = key, uri = uri },
    { __tostring = function(e) return e.message end }) end
  local st, err = store.open(root, opts)
  if not st then
    -- name the URI the caller gave, not just its root
    local detail = tostring(err):sub(#root + 3)
    if err and err.message then err.message, err.uri = uri .. ": " .. detail, uri end
    return nil, err
  end
  return st, key
end

return M
