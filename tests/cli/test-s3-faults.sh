#!/usr/bin/env bash
# s3:// under injected faults: tests/servers/faulty.js (an in-memory S3 on
# 127.0.0.1 that answers 5xx, SlowDown, drops or cuts connections as a key's
# name or its /__fault endpoint asks, and counts the requests per key) checks
# the retries of store_s3.c: idempotent requests retried on transport errors,
# 500/502/503/504 and SlowDown, 4 attempts, no retry of 4xx, a cut body never
# returned as success, and every command ends in bounded time.
# A server that stops sending is cut by the low-speed timeout (1 s here through
# the store option); S3DLUA_SLOW_TESTS=1 adds the default one (30 s per attempt,
# ~2.5 min).
. "$(dirname "$0")/lib.sh"
SERVERS=$(cd "$(dirname "$0")/../servers" && pwd)
cd "$T" || exit 1
command -v curl >/dev/null || { echo "Bail out! curl is not installed"; exit 1; }

# Seconds one command may take: the longest backoff of 4 attempts is < 1 s.
BOUND=${S3D_FAULTS_BOUND:-5}
[ "${VALGRIND:-}" = 1 ] && BOUND=60
LIMIT=$((BOUND * 3)) # killed after this (exit 124)

fake_s3 "$SERVERS/faulty.js" faulty-key faulty-secret
B=faults

# seed KEY FILE: stores an object without faults or counting
seed() { ctl -X PUT --data-binary "@$2" "$EP/__object/$B/$1" >/dev/null; }
# stored KEY FILE: what the server holds for KEY, into FILE
stored() { ctl -o "$2" "$EP/__object/$B/$1" 2>/dev/null; }
# reqs KEY [METHOD]: requests the server got for KEY
reqs() { ctl "$EP/__stats/$B/$1${2:+?method=$2}"; }
# fault KEY QUERY: replaces KEY's faults (see faulty.js)
fault() { ctl -X POST "$EP/__fault/$B/$1?$2" >/dev/null; }
# retries: the -v retry lines of the last run
retries() { printf '%s\n' "$err" | grep -c 'retrying '; }

# Lua: `lua CODE ARGS...` runs with st = the bucket's store and
# show(v, err) printing "ok <bytes or value>" or "err <code> <status> <message>".
PRELUDE='local st = assert(s3d.open("s3://'$B'/"))
local function show(v, e)
  if v ~= nil then print("ok " .. (type(v) == "number" and v or #v))
  else print("err " .. tostring(e.code) .. " " .. tostring(e.status) .. " " .. tostring(e)) end
end
local function slurp(p) local f = assert(io.open(p, "rb")) local d = f:read("*a") f:close() return d end
'
lua() {
    local code=$1
    shift
    run -e "$PRELUDE$code" "$@"
}

printf 'hello world' >hello.txt
head -c 3000000 /dev/urandom >three.bin  # one read of the CLI (CHUNK is 4 MiB)
head -c 10000000 /dev/urandom >ten.bin   # several reads

# ---- 503 twice, then fine: 3 requests --------------------------------------
seed g-fail503x2 hello.txt
lua 'local b, e = st:get("g-fail503x2") print(b and b:tostring() or tostring(e))'
is "GET fail503x2 (Lua): the third attempt's body" "hello world" "$out"
is "GET fail503x2 (Lua): exactly 3 requests" 3 "$(reqs g-fail503x2 GET)"
quick "GET fail503x2 (Lua)"

seed c-get503 hello.txt
fault c-get503 "status=503&times=2&methods=GET"
run -v get "s3://$B/c-get503" -o c-get503.out
is "get -o, 2 x 503 on GET: exits 0" 0 "$rc"
is "get -o, 2 x 503 on GET: the bytes" "hello world" "$(cat c-get503.out 2>/dev/null)"
is "get -o, 2 x 503 on GET: exactly 3 GETs" 3 "$(reqs c-get503 GET)"
is "get -o, 2 x 503 on GET: -v logs each retry" 2 "$(retries)"
has "get -o: -v names method, path, attempt and S3 code" \
    "retrying GET /$B/c-get503 in" "$err"
has "get -o: -v counts attempts (2nd)" "(attempt 2 of 4): ServiceUnavailable" "$err"
has "get -o: -v counts attempts (3rd)" "(attempt 3 of 4): ServiceUnavailable" "$err"
quick "get -o, 2 x 503 on GET"

# the op-log shows every request sent: each failed attempt, then the GET that worked
seed c-oplog503 hello.txt
fault c-oplog503 "status=503&times=2&methods=GET"
run --op-log "$T/retries.tsv" get "s3://$B/c-oplog503" -o c-oplog503.out
is "--op-log, 2 x 503: exits 0" 0 "$rc"
# the GET operation (its time spans every attempt), each failed attempt, the local PUT
ol=$(tail -n +2 "$T/retries.tsv" | awk -F'\t' '$3 == "GET" || $3 == "PUT" { print $3 "|" $6 "|" $7 "|" $8 "|" $9 }' | sort)
is "--op-log, 2 x 503: the GET, two failed attempts, the local PUT" \
    "GET|0|$EP|s3://$B/c-oplog503|attempt 1 of 4: HTTP 503 ServiceUnavailable
GET|0|$EP|s3://$B/c-oplog503|attempt 2 of 4: HTTP 503 ServiceUnavailable
GET|11|$EP|s3://$B/c-oplog503|
PUT|11||file://$T/c-oplog503.out|" "$ol"
is "--op-log, 2 x 503: a HEAD first" "HEAD" "$(tail -n +2 "$T/retries.tsv" | sort -t "$(printf '\t')" -k10,10 | head -1 | cut -f3)"

seed c-fail503x2 hello.txt
run -v stat "s3://$B/c-fail503x2"
is "stat (HEAD) fail503x2: exits 0" 0 "$rc"
has "stat (HEAD) fail503x2: the size" "size:  11" "$out"
is "stat (HEAD) fail503x2: exactly 3 HEADs" 3 "$(reqs c-fail503x2 HEAD)"
is "stat (HEAD) fail503x2: -v logs 2 retries" 2 "$(retries)"

for s in 502 504; do
    seed "g-fail${s}x1" hello.txt
    lua "show(st:get('g-fail${s}x1'))"
    is "GET, one HTTP $s: retried and fine" "ok 11" "$out"
    is "GET, one HTTP $s: 2 requests" 2 "$(reqs "g-fail${s}x1" GET)"
done

# ---- SlowDown ---------------------------------------------------------------
seed g-slowdownx3 hello.txt
run -v -e "$PRELUDE"'local b, e = st:get("g-slowdownx3") print(b and b:tostring() or tostring(e))'
is "GET slowdownx3: the 4th attempt succeeds" "hello world" "$out"
is "GET slowdownx3: exactly 4 requests" 4 "$(reqs g-slowdownx3 GET)"
is "GET slowdownx3: -v logs 3 retries" 3 "$(retries)"
has "GET slowdownx3: -v names SlowDown" "(attempt 4 of 4): SlowDown" "$err"
quick "GET slowdownx3"

seed g-slowdownx4 hello.txt
lua 'show(st:get("g-slowdownx4"))'
is "GET slowdownx4: fails with slow_down (HTTP 503 SlowDown)" \
    "err slow_down 503 s3://$B/g-slowdownx4: HTTP 503 SlowDown: Please reduce your request rate." "$out"
is "GET slowdownx4: exactly 4 attempts" 4 "$(reqs g-slowdownx4 GET)"
quick "GET slowdownx4"

# ---- always 500: 4 attempts, then the error --------------------------------
run -v put hello.txt "s3://$B/p-always500"
is "put always500: exits 1" 1 "$rc"
has "put always500: the error names the URI and HTTP 500 InternalError" \
    "s3://$B/p-always500: HTTP 500 InternalError" "$err"
is "put always500: exactly 4 attempts" 4 "$(reqs p-always500 PUT)"
is "put always500: -v logs 3 retries" 3 "$(retries)"
has "put always500: -v shows the last retry" "(attempt 4 of 4): InternalError" "$err"
quick "put always500"

run get "s3://$B/g-always500" -o g-always500.out
is "get always500: exits 1" 1 "$rc"
# its first request is a HEAD: no body, so no S3 code to show
has "get always500: the error names the URI and HTTP 500" \
    "s3dlua: get s3://$B/g-always500: HTTP 500" "$err"
is "get always500: exactly 4 attempts" 4 "$(reqs g-always500)"
[ ! -e g-always500.out ] && pass "get always500: no output file" ||
    fail "get always500: no output file" "$(ls -l g-always500.out)"
quick "get always500"

lua 'show(st:get("l-always500"))'
is "Lua get always500: code http_500, status 500, message with URI" \
    "err http_500 500 s3://$B/l-always500: HTTP 500 InternalError: We encountered an internal error. Please try again." "$out"
is "Lua get always500: exactly 4 attempts" 4 "$(reqs l-always500 GET)"
quick "Lua get always500"

# ---- 4xx are not retried ----------------------------------------------------
lua 'show(st:get("g-always403"))'
has "GET always403: access_denied" "err access_denied 403 s3://$B/g-always403: HTTP 403 AccessDenied" "$out"
is "GET always403: one request (not retried)" 1 "$(reqs g-always403 GET)"
lua 'show(st:get("g-always400"))'
has "GET always400: http_400" "err http_400 400 s3://$B/g-always400: HTTP 400 BadRequest" "$out"
is "GET always400: one request (not retried)" 1 "$(reqs g-always400 GET)"
lua 'show(st:get("g-missing"))'
has "GET of a missing key: not_found" "err not_found 404" "$out"
is "GET of a missing key: one request" 1 "$(reqs g-missing GET)"

# ---- PUT is idempotent: retried ---------------------------------------------
run -v put three.bin "s3://$B/p-fail503x2"
is "put fail503x2: exits 0" 0 "$rc"
is "put fail503x2: exactly 3 PUTs" 3 "$(reqs p-fail503x2 PUT)"
stored p-fail503x2 p-fail503x2.back
cmp -s p-fail503x2.back three.bin && pass "put fail503x2: the server holds the whole body" ||
    fail "put fail503x2: the server holds the whole body" "$(ls -l p-fail503x2.back 2>&1)"
quick "put fail503x2"

lua 'show(st:put("l-fail503x2", slurp(arg[1])))' "$T/three.bin"
is "Lua put fail503x2: returns the size" "ok 3000000" "$out"
is "Lua put fail503x2: exactly 3 PUTs" 3 "$(reqs l-fail503x2 PUT)"

# ---- connections dropped with no answer (transport errors) -------------------
seed g-dropx2 hello.txt
lua 'show(st:get("g-dropx2"))'
is "GET dropx2 (no answer twice): retried and fine" "ok 11" "$out"
is "GET dropx2: exactly 3 requests" 3 "$(reqs g-dropx2 GET)"
lua 'show(st:put("p-dropx1", slurp(arg[1])))' "$T/hello.txt"
is "PUT dropx1: retried and fine" "ok 11" "$out"
is "PUT dropx1: 2 requests" 2 "$(reqs p-dropx1 PUT)"
stored p-dropx1 p-dropx1.back
is "PUT dropx1: the server holds the body" "hello world" "$(cat p-dropx1.back 2>/dev/null)"

# ---- a body cut in the middle: retried, never returned as success ----------
seed l-reset three.bin
lua 'local b, e = st:get("l-reset") if not b then print(tostring(e)) else
  print(#b .. " " .. (b:tostring() == slurp(arg[1]) and "same" or "different")) end' "$T/three.bin"
is "Lua get reset: the whole object, byte for byte" "3000000 same" "$out"
is "Lua get reset: 2 GETs" 2 "$(reqs l-reset GET)"
quick "Lua get reset"

seed c-reset three.bin
run -v get "s3://$B/c-reset" -o c-reset.out
is "get -o reset: exits 0" 0 "$rc"
cmp -s c-reset.out three.bin && pass "get -o reset: the file is the object" ||
    fail "get -o reset: the file is the object" "$(ls -l c-reset.out 2>&1)"
has "get -o reset: -v logs the retry" "retrying GET /$B/c-reset" "$err"
quick "get -o reset"

# stdout and big objects go through a reader: sequential ranged reads
seed s-reset three.bin
run get "s3://$B/s-reset"
is "get reset > stdout: exits 0" 0 "$rc"
cmp -s "$T/.out" three.bin && pass "get reset > stdout: exactly the object's bytes" ||
    fail "get reset > stdout: exactly the object's bytes" \
        "wrote $(stat -c %s "$T/.out") bytes, the object has 3000000 ($(reqs s-reset GET) GETs)"

seed big-reset ten.bin
run get "s3://$B/big-reset" -o big-reset.out
is "get -o of 10 MB, one read cut: exits 0" 0 "$rc"
cmp -s big-reset.out ten.bin && pass "get -o of 10 MB, one read cut: the file is the object" ||
    fail "get -o of 10 MB, one read cut: the file is the object" \
        "wrote $(stat -c %s big-reset.out 2>/dev/null || echo no) bytes, the object has 10000000"

seed big-reset2 ten.bin
fault big-reset2 "kind=reset&times=1&skip=1"
run get "s3://$B/big-reset2" -o big-reset2.out
is "get -o of 10 MB, the second read cut: exits 0" 0 "$rc"
cmp -s big-reset2.out ten.bin && pass "get -o of 10 MB, the second read cut: the file is the object" ||
    fail "get -o of 10 MB, the second read cut: the file is the object" \
        "wrote $(stat -c %s big-reset2.out 2>/dev/null || echo no) bytes, the object has 10000000" \
        "$(cmp big-reset2.out ten.bin 2>&1 | head -1)"

seed r-get503 hello.txt
fault r-get503 "status=503&times=1&methods=GET"
lua 'local r = assert(st:reader("r-get503")) local t = {}
  while true do local b, e = r:read(4) if not b then if e then t[#t+1] = tostring(e) end break end
  t[#t + 1] = b:tostring() end r:close() print(table.concat(t, "|"))'
is "reader:read after a retried read goes on where it was" "hell|o wo|rld" "$out"

seed r-reset ten.bin
lua 'local r = assert(st:reader("r-reset")) local b, e = r:read_at(1000000, 2000000)
  print(b and (b:tostring() == slurp(arg[1]):sub(1000001, 3000000) and "same" or "different") or tostring(e))' \
    "$T/ten.bin"
is "reader:read_at of a cut range: the range's bytes" "same" "$out"

seed l-resetx9 three.bin
lua 'show(st:get("l-resetx9"))'
case "$out" in
"err connection "*"s3://$B/l-resetx9"*) pass "Lua get, every body cut: a connection error, no data" ;;
*) fail "Lua get, every body cut: a connection error, no data" "got: $out" ;;
esac
is "Lua get, every body cut: exactly 4 attempts" 4 "$(reqs l-resetx9 GET)"
seed c-resetx9 three.bin
run get "s3://$B/c-resetx9" -o c-resetx9.out
is "get -o, every body cut: exits 1" 1 "$rc"
[ ! -e c-resetx9.out ] && pass "get -o, every body cut: no partial file" ||
    fail "get -o, every body cut: no partial file" "$(ls -l c-resetx9.out)"
quick "get -o, every body cut"

# headers, a stall, then the connection dies (not a low-speed timeout: 0.8 s)
seed stall three.bin
fault stall "kind=hang&ms=800&times=1"
lua 'local b, e = st:get("stall") print(b and (b:tostring() == slurp(arg[1]) and "same" or "different") or tostring(e))' \
    "$T/three.bin"
is "GET stalled then dropped: retried, the whole object" "same" "$out"
is "GET stalled then dropped: 2 GETs" 2 "$(reqs stall GET)"
quick "GET stalled then dropped"

# ---- full jitter: two processes do not back off in lockstep ----------------
run -v get "s3://$B/j1-always503" -o /dev/null
d1=$(printf '%s\n' "$err" | sed -n 's/.*retrying .* in \([0-9]*\) ms.*/\1/p' | tr '\n' ' ')
run -v get "s3://$B/j2-always503" -o /dev/null
d2=$(printf '%s\n' "$err" | sed -n 's/.*retrying .* in \([0-9]*\) ms.*/\1/p' | tr '\n' ' ')
is "jitter: 3 backoff delays logged" 3 "$(echo "$d1" | wc -w)"
if [ -n "$d1" ] && [ "$d1" != "$d2" ]; then pass "jitter: two runs draw different backoff delays"; else
    fail "jitter: two runs draw different backoff delays" "run 1: $d1" "run 2: $d2" \
        "(rand() is never seeded: every process retries at the same moments)"
fi

# ---- a server that stops sending: the low-speed timeout ----------------------
# (default 30 s per attempt; the store option low_speed_time makes it 1 s)
seed hangx1 hello.txt
lua 'local st = assert(s3d.open("s3://'$B'/", { low_speed_time = "1s" }))
  show(st:get("hangx1"))'
is "GET hangx1, low_speed_time 1s: timed out, retried, fine" "ok 11" "$out"
is "GET hangx1: 2 GETs" 2 "$(reqs hangx1 GET)"
quick "GET hangx1"
seed hang hello.txt
lua 'local st = assert(s3d.open("s3://'$B'/", { low_speed_time = "1s", max_attempts = 2 }))
  show(st:get("hang"))'
has "GET hang, max_attempts 2: timeout" "err timeout nil s3://$B/hang: Operation too slow" "$out"
is "GET hang, max_attempts 2: 2 GETs" 2 "$(reqs hang GET)"
quick "GET hang, max_attempts 2"
lua 'local st = assert(s3d.open("s3://'$B'/", { max_attempts = 1 }))
  show(st:get("m-always503"))'
has "max_attempts 1: no retry" "err http_503 503 s3://$B/m-always503: HTTP 503 ServiceUnavailable" "$out"
is "max_attempts 1: 1 request" 1 "$(reqs m-always503 GET)"

if [ "${S3DLUA_SLOW_TESTS:-}" = 1 ]; then # the defaults: 30 s per attempt, 4 attempts
    seed slow-hangx1 hello.txt
    t0=$SECONDS
    LIMIT=60 lua 'show(st:get("slow-hangx1"))'
    is "GET hangx1, default timeout: retried, fine" "ok 11" "$out"
    is "GET hangx1, default timeout: 2 GETs" 2 "$(reqs slow-hangx1 GET)"
    [ $((SECONDS - t0)) -lt 45 ] && pass "GET hangx1, default timeout: under 45 s" ||
        fail "GET hangx1, default timeout: under 45 s" "$((SECONDS - t0)) s"
    seed slow-hang hello.txt
    t0=$SECONDS
    LIMIT=200 lua 'show(st:get("slow-hang"))'
    has "GET hang, default timeout: timeout after 4 attempts" \
        "err timeout nil s3://$B/slow-hang: Operation too slow" "$out"
    is "GET hang, default timeout: 4 GETs" 4 "$(reqs slow-hang GET)"
    [ $((SECONDS - t0)) -lt 150 ] && pass "GET hang, default timeout: under 150 s" ||
        fail "GET hang, default timeout: under 150 s" "$((SECONDS - t0)) s"
else
    echo "# skipped: the default low-speed timeout (30 s x 4 attempts); S3DLUA_SLOW_TESTS=1 runs it"
fi

kill -0 "$SERVER_PID" 2>/dev/null && pass "faulty.js is still up" ||
    fail "faulty.js is still up" "$(tail -5 "$T/faulty.err")"
finish
