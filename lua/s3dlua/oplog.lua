-- s3dlua.oplog (s3d.oplog): op-logs, one entry per store operation.
--   local log = s3d.oplog.open("run.tsv.zst")   -- .tsv or .jsonl, optionally .zst
--   local st = s3d.open("s3://bench/"):with_oplog(log)
--   ... every operation through st is logged (all threads share the log of a path) ...
--   log:count(), log:path(), log:close() (one thread: everything on disk now;
--   otherwise the log is written out when the run ends)
-- `s3dlua --op-log FILE CMD ...` does the same for every store a command or
-- script opens. Format: DESIGN 5 (the 13 TSV columns of s3dlio/warp).
local store = require "s3dlua.store"
-- for e in s3d.oplog.reader(path [, {skip_bad = true}]) do ... end (work in progress)
local rd = require "s3dlua.oplog_read"
-- s3d.oplog.convert(in, out): every entry of in, written in out's format (by name)
return { open = store.oplog_open, reader = rd.reader, convert = rd.convert }
