-- s3dlua.oplog (s3d.oplog): op-logs, one entry per store operation.
--   local log = s3d.oplog.open("run.tsv.zst")   -- .tsv or .jsonl, optionally .zst
--   local st = s3d.open("s3://bench/"):with_oplog(log)
--   ... every operation through st is logged (all threads share the log of a path) ...
--   log:count(), log:path(), log:close() (one thread: everything on disk now;
--   otherwise the log is written out when the run ends)
-- `s3dlua --op-log FILE CMD ...` does the same for every store a command or
-- script opens. Format: DESIGN 5 (the 13 TSV columns of s3dlio/warp).
--
--   for e in s3d.oplog.reader(path_or_uri [, {skip_bad = true, light = true}]) do ... end
-- reads ours, s3dlio's and warp's logs (TSV/CSV/JSONL, plain or zstd) in fixed
-- memory, from a file or any store's URI (s3://b/run.tsv.zst). An entry has idx thread op client_id n_objects bytes endpoint file
-- error, start first_byte end (seconds since the epoch), duration_ns, t_ns
-- (exact ns since the first entry's start) and line. Plain entries are tables;
-- with light = true each entry is one reused FFI record, valid until the next
-- step (4-5x faster: strings are made only when a field is read; e:table()
-- copies one out). A bad line raises "file:line: ..."; with skip_bad it is
-- skipped and counted (rd:skipped(), rd being the iterator's second value).
local ffi = require "ffi"
local store = require "s3dlua.store"
local rd = require "s3dlua.oplog_read"

ffi.cdef [[
typedef struct s3d_oplog_light {
  double idx, thread, n_objects, bytes, duration_ns, line;
  double start, first_byte, end, t_ns;
  const char *op_p, *client_id_p, *endpoint_p, *file_p, *error_p;
  int32_t op_n, client_id_n, endpoint_n, file_n, error_n;
} s3d_oplog_light;
int s3d_oplog_next_light(void *reader, s3d_oplog_light *out);
]]
local C, str = ffi.C, ffi.string

local FIELDS = { "idx", "thread", "op", "client_id", "n_objects", "bytes", "endpoint", "file",
  "error", "start", "first_byte", "end", "duration_ns", "t_ns", "line" }
local getters = {
  op = function(e) return str(e.op_p, e.op_n) end,
  client_id = function(e) return str(e.client_id_p, e.client_id_n) end,
  endpoint = function(e) return str(e.endpoint_p, e.endpoint_n) end,
  file = function(e) return str(e.file_p, e.file_n) end,
  error = function(e) return str(e.error_p, e.error_n) end,
}
local methods = {
  -- e:table(): the entry as a plain table that outlives the step
  table = function(e)
    local t = {}
    for _, k in ipairs(FIELDS) do t[k] = e[k] end
    if t.first_byte == 0 then t.first_byte = nil end
    return t
  end,
}
ffi.metatype("s3d_oplog_light", {
  __index = function(e, k)
    local g = getters[k]
    if g then return g(e) end
    return methods[k]
  end,
})

-- A log in an object store is fetched (4 MiB ranged GETs, two ahead) into
-- a temporary file first: the reader then streams it from disk in fixed
-- memory, and the temporary file is gone as soon as the reader has it open.
local function fetch(uri)
  local s3d, pieces = require "s3dlua", require "s3dlua.pieces"
  local st, key = s3d.open_uri(uri)
  if not st then error(tostring(key), 0) end
  local info, err = st:stat(key)
  if not info then error(uri .. ": " .. tostring(err), 0) end
  local path = os.tmpname()
  local f = assert(io.open(path, "wb"))
  local bufs = pieces.task_buffers("oplog", 2, pieces.CHUNK)
  local ok, perr = pieces.each(st, key, info.size, bufs, function(buf)
    local wrote, werr = f:write(buf:tostring())
    if not wrote then return nil, path .. ": " .. tostring(werr) end
    return true
  end)
  local closed, cerr = f:close()
  if not ok or not closed then
    os.remove(path)
    error(uri .. ": " .. tostring(perr or cerr), 0)
  end
  return path
end

local function reader(path, opts)
  local scheme = type(path) == "string" and path:match("^([%a][%w+.-]*)://")
  local fetched
  if scheme == "file" or scheme == "direct" then
    path = path:gsub("^%a+://", "")
  elseif scheme then
    fetched = fetch(path)
    opts = setmetatable({ name = path }, { __index = opts })
    path = fetched
  end
  local okr, it, state = pcall(rd.reader, path, opts)
  if fetched then os.remove(fetched) end -- the reader holds it open
  if not okr then error(it, 2) end
  if not (opts and opts.light) then return it, state end
  local rec, next_light = ffi.new("s3d_oplog_light"), C.s3d_oplog_next_light
  return function()
    local rc = next_light(state, rec)
    if rc == 1 then return rec end
    if rc == 0 then return nil end
    error(state:error(), 2)
  end, state
end

-- s3d.oplog.convert(in, out): every entry of in, written in out's format (by name)
-- s3d.oplog.parse_time("2026-11-24T10:00:00.5+01:00") -> seconds since the epoch | nil
return { open = store.oplog_open, reader = reader, convert = rd.convert, parse_time = rd.parse_time }
