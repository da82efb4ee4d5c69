-- s3dlua.test: the TAP-style helper of the Lua tests (tests/lua/test-*.lua).
-- Each check prints "ok N - name" or "not ok N - name"; done() exits 1 if any
-- check failed. Used as: local t = require "s3dlua.test".
local M = { n = 0, failed = 0 }

local function report(pass, name, detail)
  M.n = M.n + 1
  if pass then
    print(string.format("ok %d - %s", M.n, name))
  else
    M.failed = M.failed + 1
    -- the first caller outside this file is the test line that failed
    local level, where = 2, debug.getinfo(2, "Sl")
    while where and where.short_src:find("s3dlua/test.lua", 1, true) do
      level = level + 1
      where = debug.getinfo(level, "Sl")
    end
    where = where or { short_src = "?", currentline = 0 }
    print(string.format("not ok %d - %s (%s:%d)", M.n, name, where.short_src, where.currentline))
    if detail then print("#   " .. detail:gsub("\n", "\n#   ")) end
  end
  return pass
end

function M.ok(cond, name, detail) return report(not not cond, name, detail) end

function M.eq(got, want, name)
  return report(got == want, name,
    string.format("got %s, want %s", tostring(got), tostring(want)))
end

-- Checks that fn raises an error whose message contains `pattern` (plain text).
function M.raises(fn, pattern, name)
  local ok, err = pcall(fn)
  return report(not ok and tostring(err):find(pattern, 1, true) ~= nil, name,
    ok and "no error raised" or ("error was: " .. tostring(err)))
end

-- The error code of a store call's results: t.code(st:get(k)) == "not_found".
function M.code(v, err)
  if v ~= nil and v ~= false then return nil end
  return type(err) == "table" and err.code or err
end

-- A fresh directory under TMPDIR (default /tmp), removed by cleanup().
function M.tmpdir()
  local base = os.getenv("TMPDIR") or "/tmp"
  local p = io.popen("mktemp -d " .. base .. "/s3dlua-test.XXXXXX")
  local dir = p:read("*l")
  p:close()
  M.dirs = M.dirs or {}
  M.dirs[#M.dirs + 1] = dir
  return dir
end

-- Ends a test file: `return t.done()` makes the run's exit status 1 on failure
-- (returning, unlike os.exit, lets the runtime close and free everything).
function M.done()
  for _, d in ipairs(M.dirs or {}) do os.execute("rm -rf '" .. d .. "'") end
  print(string.format("# %d checks, %d failed", M.n, M.failed))
  return M.failed == 0 and 0 or 1
end

return M
