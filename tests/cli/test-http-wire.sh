#!/usr/bin/env bash
# HTTP/1.1 on the wire: tests/servers/http-edge.js (a raw-TCP S3-ish server on
# 127.0.0.1 whose key names pick how it answers, byte for byte) checks that the
# HTTP client of s3:// reads every legal framing right (chunked with extensions,
# odd hex and trailers; a body ended by the close; 100 Continue nobody asked for;
# 24 KiB of headers; a HEAD answer that says chunked but has no body; an answer
# trickling in one byte per segment), keeps connections alive and reuses them,
# notices a connection the server closed while idle (or closes on the next
# request) and resends on a new one, and reports a cut body or a non-HTTP answer
# as an error naming the URI, in bounded time.
# Every case runs once per client in S3D_HTTP_CLIENTS (default "native curl"),
# exported as S3DLUA_HTTP_CLIENT.
. "$(dirname "$0")/lib.sh"
SERVERS=$(cd "$(dirname "$0")/../servers" && pwd)
cd "$T" || exit 1
command -v curl >/dev/null || { echo "Bail out! curl is not installed"; exit 1; }
command -v openssl >/dev/null || { echo "Bail out! openssl is not installed"; exit 1; }

# Seconds one command may take: the slowest (a bytewise answer, a cut body retried
# 4 times with backoff) take < 1 s.
BOUND=${S3D_WIRE_BOUND:-5}
[ "${VALGRIND:-}" = 1 ] && BOUND=60
LIMIT=$((BOUND * 3)) # killed after this (exit 124)

fake_s3 "$SERVERS/http-edge.js" edge-key edge-secret
B=b

# gen KEY SIZE FILE: what http-edge.js serves for a key never PUT (AES-128-CTR
# keystream, key MD5(KEY), IV 0), made here independently
gen() {
    head -c "$2" /dev/zero | openssl enc -aes-128-ctr -nosalt \
        -K "$(printf %s "$1" | md5sum | cut -c1-32)" -iv 00000000000000000000000000000000 >"$3"
}
md5of() { md5sum <"$1" | cut -c1-32; }
# same WHAT GOT WANT: the file GOT holds exactly the bytes of WANT
same() {
    if cmp -s "$2" "$3"; then pass "$1"; else
        fail "$1" "$(ls -l "$2" 2>&1)" "$(cmp "$2" "$3" 2>&1 | head -1)"
    fi
}
# absent WHAT FILE: no (partial) file was left
absent() { if [ ! -e "$2" ]; then pass "$1"; else fail "$1" "$(ls -l "$2")"; fi; }
# reqs KEY [METHOD]: requests the server got for KEY since the last zero
reqs() { ctl "$EP/__stats/$B/$1${2:+?method=$2}"; }
zero() { ctl -X POST "$EP/__reset" >/dev/null; }
# counts: "connections=C requests=R" since the last zero (connections that carried
# an S3 request)
counts() {
    ctl "$EP/__stats" | sed -n 's/^{"connections":\([0-9]*\),"requests":\([0-9]*\),.*/connections=\1 requests=\2/p'
}
# failed_with WHAT URI: the last run exited 1 and its error names URI and a reason
failed_with() {
    local line reason
    is "$1: exits 1" 1 "$rc"
    line=$(printf '%s\n' "$err" | grep -F -m 1 "$2")
    if [ -z "$line" ]; then fail "$1: the error names $2" "stderr: $err"; return; fi
    reason=${line##*: }
    if [ -n "${reason// /}" ] && [ "$reason" != "$line" ]; then
        pass "$1: the error names $2 and a reason ($reason)"
    else
        fail "$1: the error names $2 and a reason" "line: $line"
    fi
}
# no_retry WHAT: the last -v run logged no retry of the store (a stale connection
# is the HTTP client's business: a new one, not a backoff)
no_retry() {
    is "$1: no retry of the store (-v)" 0 "$(printf '%s\n' "$err" | grep -c 'retrying ')"
}

# ops.lua OP...: one output line per OP
#   get:KEY[:FILE]  "ok <bytes> same|different" (FILE: what it must hold) | "err <code> <status> <message>"
#   stat:KEY        "ok <size> <etag>"
#   put:KEY:FILE    "ok <bytes>"
#   del:KEY         "ok"
#   sleep:SECONDS   (no line)
cat >ops.lua <<EOF
local st = assert(s3d.open("s3://$B/"))
EOF
cat >>ops.lua <<'EOF'
local function slurp(p) local f = assert(io.open(p, "rb")) local d = f:read("*a") f:close() return d end
local function err(e) print("err " .. tostring(e.code) .. " " .. tostring(e.status) .. " " .. tostring(e)) end
for _, a in ipairs(arg) do
  local op, key, file = a:match("^(%w+):([^:]*):?(.*)$")
  if op == "get" then
    local b, e = st:get(key)
    if not b then err(e)
    elseif file ~= "" then print("ok " .. #b .. " " .. (b:tostring() == slurp(file) and "same" or "different"))
    else print("ok " .. #b) end
  elseif op == "stat" then
    local i, e = st:stat(key)
    if not i then err(e) else print("ok " .. string.format("%d", i.size) .. " " .. tostring(i.etag)) end
  elseif op == "put" then
    local n, e = st:put(key, slurp(file))
    if not n then err(e) else print("ok " .. n) end
  elseif op == "del" then
    local ok, e = st:delete(key)
    if not ok then err(e) else print("ok") end
  elseif op == "sleep" then
    s3d.sleep(tonumber(key))
  else
    error("ops.lua: " .. a)
  end
end
EOF
# many.lua KEY TASKS GETS FILE: TASKS tasks each GET KEY GETS times one after the
# other; prints "<good> good, <bad> bad[; first problem]"
cat >many.lua <<EOF
local st = assert(s3d.open("s3://$B/"))
EOF
cat >>many.lua <<'EOF'
local key, tasks, gets = arg[1], tonumber(arg[2]), tonumber(arg[3])
local f = assert(io.open(arg[4], "rb")) local want = f:read("*a") f:close()
local good, bad, first = 0, 0, nil
local t = {}
for i = 1, tasks do
  t[i] = s3d.spawn(function()
    for _ = 1, gets do
      local b, e = st:get(key)
      if b and b:tostring() == want then good = good + 1 else
        bad = bad + 1
        first = first or (b and ("different bytes: " .. #b) or tostring(e))
      end
    end
  end)
end
s3d.wait(t)
print(good .. " good, " .. bad .. " bad" .. (first and ("; " .. first) or ""))
EOF

MTIME=2025-01-01T00:00:00Z
head -c 300000 /dev/urandom >up.bin

for c in ${S3D_HTTP_CLIENTS:-native curl}; do
    export S3DLUA_HTTP_CLIENT=$c
    echo "# ---- S3DLUA_HTTP_CLIENT=$c"
    p="[$c]"

    # the client asked for is the one at work (-vvv shows whose trace it is)
    run -vvv stat "s3://$B/plain-$c"
    if [ "$c" = native ]; then
        has "$p -vvv: our own client carries the request" "(s3dlua's HTTP/1.1 client)" "$err"
    else
        has "$p -vvv: libcurl carries the request" "Connected to 127.0.0.1 (127.0.0.1) port $PORT" "$err"
        lacks "$p -vvv: not our own client" "s3dlua's HTTP/1.1 client" "$err"
    fi
    has "$p -vvv: the signature is masked" "Authorization: [redacted]" "$err"
    lacks "$p -vvv: the secret never shows" "edge-secret" "$err"

    # ---- the reference: Content-Length, keep-alive ------------------------------
    k=plain-$c
    gen "$k" 100000 "$k.want"
    run get "s3://$B/$k" -o "$k.got"
    is "$p get -o plain: exits 0" 0 "$rc"
    same "$p get -o plain: the object's bytes" "$k.got" "$k.want"
    run stat "s3://$B/$k"
    has "$p stat plain: size" "size:  100000 " "$out"
    has "$p stat plain: mtime from Last-Modified" "mtime: $MTIME" "$out"
    has "$p stat plain: ETag" "etag:  \"$(md5of "$k.want")\"" "$out"
    k=missing-$c
    run run ops.lua "get:$k" "stat:$k"
    is "$p missing key: GET and HEAD not_found 404" \
        "err not_found 404 s3://$B/$k: HTTP 404 NoSuchKey: The specified key does not exist.
err not_found 404 s3://$B/$k: not found (HTTP 404)" "$out"

    # ---- chunked: chunk sizes 1..300000, hex in both cases, leading zeros,
    # extensions (quoted, bad whitespace), a trailer after the last chunk ----------
    k=chunked-$c
    gen "$k" 600000 "$k.want"
    run get "s3://$B/$k" -o "$k.got"
    is "$p get -o chunked: exits 0" 0 "$rc"
    same "$p get -o chunked: the object's bytes" "$k.got" "$k.want"
    quick "$p get -o chunked"
    run stat "s3://$B/$k"
    has "$p stat chunked (HEAD answers Content-Length): size" "size:  600000 " "$out"
    zero
    run run ops.lua "get:$k:$T/$k.want" "get:$k:$T/$k.want" "get:$k:$T/$k.want" \
        "get:plain-$c:$T/plain-$c.want"
    is "$p 3 chunked GETs then a plain one: all the object's bytes" \
        "ok 600000 same
ok 600000 same
ok 600000 same
ok 100000 same" "$out"
    is "$p chunked answers end at their trailer: one connection for the 4 GETs" \
        "connections=1 requests=4" "$(counts)"
    k=chunked-8m-$c
    gen "$k" 8388608 "$k.want"
    run get "s3://$B/$k" -o "$k.got"
    is "$p get -o chunked 8 MiB (two ranged reads, 206 chunked): exits 0" 0 "$rc"
    same "$p get -o chunked 8 MiB: the object's bytes" "$k.got" "$k.want"
    quick "$p get -o chunked 8 MiB"
    run run ops.lua "get:$k:$T/$k.want"
    is "$p Lua get of chunked 8 MiB (one 200 chunked): the object's bytes" "ok 8388608 same" "$out"
    quick "$p Lua get of chunked 8 MiB"
    k=chunked-put-$c
    run put up.bin "s3://$B/$k"
    is "$p put, the answer chunked (empty body, trailer): exits 0" 0 "$rc"
    run get "s3://$B/$k" -o "$k.got"
    same "$p get -o of what was put, chunked: the bytes put" "$k.got" up.bin

    # ---- bytewise: every byte its own TCP segment --------------------------------
    k=bytewise-$c
    gen "$k" 100 "$k.want"
    run get "s3://$B/$k" -o "$k.got"
    is "$p get -o bytewise: exits 0" 0 "$rc"
    same "$p get -o bytewise: the object's bytes" "$k.got" "$k.want"
    quick "$p get -o bytewise"
    run stat "s3://$B/$k"
    has "$p stat bytewise: size" "size:  100 " "$out"
    has "$p stat bytewise: mtime" "mtime: $MTIME" "$out"
    has "$p stat bytewise: ETag" "etag:  \"$(md5of "$k.want")\"" "$out"
    k=bytewise-chunked-$c
    gen "$k" 100 "$k.want"
    zero
    run run ops.lua "get:$k:$T/$k.want" "get:$k:$T/$k.want"
    is "$p Lua get bytewise chunked, twice: the object's bytes" "ok 100 same
ok 100 same" "$out"
    is "$p bytewise chunked: the connection is reused" "connections=1 requests=2" "$(counts)"
    quick "$p Lua get bytewise chunked"

    # ---- Connection: close --------------------------------------------------------
    k=close-$c
    gen "$k" 100000 "$k.want"
    zero
    run -v run ops.lua "get:$k:$T/$k.want" "get:$k:$T/$k.want" "get:$k:$T/$k.want" \
        "stat:$k" "get:$k:$T/$k.want"
    is "$p Connection: close, 5 requests: all fine" "ok 100000 same
ok 100000 same
ok 100000 same
ok 100000 \"$(md5of "$k.want")\"
ok 100000 same" "$out"
    is "$p Connection: close: a new connection for each request" \
        "connections=5 requests=5" "$(counts)"
    no_retry "$p Connection: close"
    run put up.bin "s3://$B/close-put-$c"
    is "$p put, the answer Connection: close: exits 0" 0 "$rc"
    ctl -o close-put.back "$EP/__object/$B/close-put-$c"
    same "$p put, the answer Connection: close: the server holds the bytes" close-put.back up.bin

    # ---- closed by the server while idle, nothing said ----------------------------
    k=idleclose-$c
    gen "$k" 100000 "$k.want"
    zero
    run -v run ops.lua "get:$k:$T/$k.want" sleep:0.25 "get:$k:$T/$k.want" sleep:0.25 "stat:$k"
    is "$p idle connection closed by the server: the next requests are fine" "ok 100000 same
ok 100000 same
ok 100000 \"$(md5of "$k.want")\"" "$out"
    is "$p idle close: each request on a new connection, none lost" \
        "connections=3 requests=3" "$(counts)"
    no_retry "$p idle close"
    quick "$p idle close"
    # the same race made deterministic: a reused connection closes on the request
    k=dropreused-$c
    gen "$k" 100000 "$k.want"
    zero
    run -v run ops.lua "get:$k:$T/$k.want" "get:$k:$T/$k.want" "get:$k:$T/$k.want"
    is "$p reused connection closed without an answer: every GET fine" "ok 100000 same
ok 100000 same
ok 100000 same" "$out"
    is "$p reused connection closed: each dropped request resent once on a new connection" \
        "connections=3 requests=5" "$(counts)"
    no_retry "$p reused connection closed"
    run get "s3://$B/$k" -o "$k.got"
    same "$p get -o (HEAD, then GET on the reused connection, dropped): the bytes" "$k.got" "$k.want"

    # ---- a body delimited by the end of the connection ----------------------------
    k=eof-$c
    gen "$k" 100000 "$k.want"
    run get "s3://$B/$k" -o "$k.got"
    is "$p get -o, body ended by the close: exits 0" 0 "$rc"
    same "$p get -o, body ended by the close: the object's bytes" "$k.got" "$k.want"
    quick "$p get -o, body ended by the close"
    zero
    run -v run ops.lua "get:$k:$T/$k.want" "get:$k:$T/$k.want" "get:plain-$c:$T/plain-$c.want" \
        "get:eof-0-$c"
    is "$p Lua gets of close-delimited bodies (one empty)" "ok 100000 same
ok 100000 same
ok 100000 same
ok 0" "$out"
    # eof, eof: closed after each; plain: kept; eof-0 on plain's connection, then closed
    is "$p close-delimited bodies: not read past, no reuse after them" "connections=3 requests=4" "$(counts)"
    no_retry "$p close-delimited bodies"

    # ---- an interim 100 Continue nobody asked for ----------------------------------
    k=continue-$c
    gen "$k" 100000 "$k.want"
    run get "s3://$B/$k" -o "$k.got"
    is "$p get -o after 100 Continue: exits 0" 0 "$rc"
    same "$p get -o after 100 Continue: the object's bytes" "$k.got" "$k.want"
    run stat "s3://$B/$k"
    has "$p stat after 100 Continue: the final answer's size" "size:  100000 " "$out"
    has "$p stat after 100 Continue: the final answer's ETag" "etag:  \"$(md5of "$k.want")\"" "$out"
    run put up.bin "s3://$B/continue-put-$c"
    is "$p put answered 100 then 200: exits 0" 0 "$rc"
    ctl -o continue-put.back "$EP/__object/$B/continue-put-$c"
    same "$p put answered 100 then 200: the server holds the bytes" continue-put.back up.bin
    zero
    run run ops.lua "get:$k:$T/$k.want" "stat:$k" "get:$k:$T/$k.want"
    is "$p 100 Continue: keep-alive after it" "connections=1 requests=3" "$(counts)"

    # ---- 24 KiB of headers ---------------------------------------------------------
    k=bigheaders-$c
    gen "$k" 100000 "$k.want"
    run stat "s3://$B/$k"
    is "$p stat with 24 KiB of headers: exits 0" 0 "$rc"
    has "$p stat with 24 KiB of headers: size" "size:  100000 " "$out"
    has "$p stat with 24 KiB of headers: ETag (after them)" "etag:  \"$(md5of "$k.want")\"" "$out"
    run get "s3://$B/$k" -o "$k.got"
    same "$p get -o with 24 KiB of headers: the object's bytes" "$k.got" "$k.want"

    # ---- a 404 whose XML comes chunked; HEAD says chunked, has no body --------------
    k=errchunked-$c
    run stat "s3://$B/$k"
    failed_with "$p stat, 404 HEAD 'chunked' without a body" "s3://$B/$k"
    has "$p stat, 404 HEAD: not found" "not found (HTTP 404)" "$err"
    quick "$p stat, 404 HEAD 'chunked' without a body"
    run get "s3://$B/$k" -o "$k.got"
    failed_with "$p get -o errchunked" "s3://$B/$k"
    absent "$p get -o errchunked: no file" "$k.got"
    zero
    run run ops.lua "get:$k" "stat:$k" "get:$k" "get:plain-$c:$T/plain-$c.want"
    is "$p Lua errchunked: not_found 404 with S3's code and message, then a plain GET" \
        "err not_found 404 s3://$B/$k: HTTP 404 NoSuchKey: The specified key does not exist.
err not_found 404 s3://$B/$k: not found (HTTP 404)
err not_found 404 s3://$B/$k: HTTP 404 NoSuchKey: The specified key does not exist.
ok 100000 same" "$out"
    is "$p errchunked: the error bodies are read to their end, one connection" \
        "connections=1 requests=4" "$(counts)"
    quick "$p Lua errchunked"

    # ---- Content-Length promised, half sent, closed ---------------------------------
    k=short-$c
    run get "s3://$B/$k" -o "$k.got"
    failed_with "$p get -o, body cut short of Content-Length" "s3://$B/$k"
    absent "$p get -o, body cut short: no partial file" "$k.got"
    quick "$p get -o, body cut short"
    run run ops.lua "get:short-lua-$c"
    case "$out" in
    "err connection nil s3://$B/short-lua-$c: "?*) pass "$p Lua get, body cut short: a connection error naming the key" ;;
    *) fail "$p Lua get, body cut short: a connection error naming the key" "got: $out" ;;
    esac
    is "$p Lua get, body cut short: retried, 4 attempts" 4 "$(reqs "short-lua-$c" GET)"

    # ---- chunked, cut at a chunk boundary before the last chunk -----------------------
    k=shortchunked-$c
    run get "s3://$B/$k" -o "$k.got"
    failed_with "$p get -o, chunked body without its last chunk" "s3://$B/$k"
    absent "$p get -o, chunked body cut: no partial file" "$k.got"
    quick "$p get -o, chunked body cut"
    run run ops.lua "get:shortchunked-lua-$c"
    case "$out" in
    "err connection nil s3://$B/shortchunked-lua-$c: "?*) pass "$p Lua get, chunked body cut: a connection error naming the key" ;;
    *) fail "$p Lua get, chunked body cut: a connection error naming the key" "got: $out" ;;
    esac
    is "$p Lua get, chunked body cut: retried, 4 attempts" 4 "$(reqs "shortchunked-lua-$c" GET)"

    # ---- not HTTP at all ----------------------------------------------------------------
    k=garbage-$c
    run stat "s3://$B/$k"
    failed_with "$p stat, answer 'hello' (not HTTP)" "s3://$B/$k"
    quick "$p stat, answer 'hello'"
    run get "s3://$B/$k" -o "$k.got"
    failed_with "$p get -o, answer 'hello'" "s3://$B/$k"
    absent "$p get -o, answer 'hello': no file" "$k.got"
    quick "$p get -o, answer 'hello'"
    run run ops.lua "get:$k"
    case "$out" in
    "err connection nil s3://$B/$k: "?*) pass "$p Lua get, answer 'hello': a connection error naming the key" ;;
    *) fail "$p Lua get, answer 'hello': a connection error naming the key" "got: $out" ;;
    esac
    quick "$p Lua get, answer 'hello'"

    # ---- HEAD: Content-Length 12345 and no body --------------------------------------------
    k=head-$c
    gen "$k" 12345 "$k.want"
    run stat "s3://$B/$k"
    has "$p stat: HEAD's Content-Length is the size" "size:  12345 " "$out"
    quick "$p stat head"
    run get "s3://$B/$k" -o "$k.got"
    same "$p get -o after HEAD: the object's 12345 bytes" "$k.got" "$k.want"
    zero
    run run ops.lua "stat:$k" "get:$k:$T/$k.want" "stat:$k" "get:$k:$T/$k.want"
    is "$p HEAD, GET, HEAD, GET" "ok 12345 \"$(md5of "$k.want")\"
ok 12345 same
ok 12345 \"$(md5of "$k.want")\"
ok 12345 same" "$out"
    is "$p HEAD answers have no body: all on one connection" "connections=1 requests=4" "$(counts)"

    # ---- PUT, DELETE -------------------------------------------------------------------------
    k=plain-put-$c
    run put up.bin "s3://$B/$k"
    is "$p put: exits 0" 0 "$rc"
    ctl -o put.back "$EP/__object/$B/$k"
    same "$p put: the server holds the bytes" put.back up.bin
    run stat "s3://$B/$k"
    has "$p stat after put: size" "size:  300000 " "$out"
    has "$p stat after put: ETag" "etag:  \"$(md5of up.bin)\"" "$out"
    run get "s3://$B/$k" -o "$k.got"
    same "$p get -o after put: the bytes put" "$k.got" up.bin
    run rm "s3://$B/$k"
    is "$p rm (204): exits 0" 0 "$rc"
    is "$p rm: one DELETE" 1 "$(reqs "$k" DELETE)"
    run stat "s3://$B/$k"
    failed_with "$p stat after rm" "s3://$B/$k"
    has "$p stat after rm: not found" "not found (HTTP 404)" "$err"
    zero
    run run ops.lua "put:$k:$T/up.bin" "get:$k:$T/up.bin" "del:$k" "get:$k" "put:$k:$T/up.bin" \
        "stat:$k"
    is "$p Lua put, get, delete, get, put, stat" "ok 300000
ok 300000 same
ok
err not_found 404 s3://$B/$k: HTTP 404 NoSuchKey: The specified key does not exist.
ok 300000
ok 300000 \"$(md5of up.bin)\"" "$out"
    is "$p put/get/delete (204 without a body): one connection" "connections=1 requests=6" "$(counts)"

    # ---- keep-alive and concurrency -------------------------------------------------------
    k=plain-1000-$c
    gen "$k" 1000 "$k.want"
    zero
    run run many.lua "$k" 1 200 "$T/$k.want"
    is "$p 200 sequential GETs in one task: all the object's bytes" "200 good, 0 bad" "$out"
    is "$p 200 sequential GETs in one task: one connection" "connections=1 requests=200" "$(counts)"
    quick "$p 200 sequential GETs"
    zero
    run run many.lua "$k" 64 20 "$T/$k.want"
    is "$p 64 tasks x 20 GETs: all the object's bytes" "1280 good, 0 bad" "$out"
    cr=$(counts)
    conns=${cr#connections=}
    conns=${conns%% *}
    is "$p 64 tasks x 20 GETs: 1280 requests" "requests=1280" "${cr#* }"
    if [ -n "$conns" ] && [ "$conns" -le 64 ]; then pass "$p 64 tasks x 20 GETs: at most 64 connections ($conns)"; else
        fail "$p 64 tasks x 20 GETs: at most 64 connections" "$cr"
    fi
    quick "$p 64 tasks x 20 GETs"
    is "$p every command ended in bounded time (< ${BOUND} s)" "" "$slow"
    slow=
done

# the store option overrides the environment; bad names are refused
out=$(S3DLUA_HTTP_CLIENT=native timeout -k 2 "$LIMIT" "$S3DLUA" -vvv -e \
    "local st = assert(s3d.open('s3://$B/', {http_client = 'curl'})); print(assert(st:stat('plain-native')).size)" 2>&1)
has "http_client = 'curl' beats S3DLUA_HTTP_CLIENT=native" "Connected to 127.0.0.1 (127.0.0.1) port $PORT" "$out"
has "http_client = 'curl': the object is there" "100000" "$out"
out=$(S3DLUA_HTTP_CLIENT=curl timeout -k 2 "$LIMIT" "$S3DLUA" -vvv -e \
    "local st = assert(s3d.open('s3://$B/', {http_client = 'native'})); print(assert(st:stat('plain-native')).size)" 2>&1)
has "http_client = 'native' beats S3DLUA_HTTP_CLIENT=curl" "(s3dlua's HTTP/1.1 client)" "$out"
out=$(timeout -k 2 "$LIMIT" "$S3DLUA" -e "print(s3d.open('s3://$B/', {http_client = 'h2'}))" 2>&1)
has "http_client = 'h2' is refused, naming the choices" "http_client 'h2': native or curl" "$out"
S3DLUA_HTTP_CLIENT=h2 run stat "s3://$B/plain-native"
is "S3DLUA_HTTP_CLIENT=h2: stat exits 1" 1 "$rc"
has "S3DLUA_HTTP_CLIENT=h2 is refused, naming the choices" "S3DLUA_HTTP_CLIENT='h2': native or curl" "$err"

sj=$(ctl "$EP/__stats")
is "the server could parse every request" '"malformed":0' "$(printf '%s' "$sj" | grep -o '"malformed":[0-9]*')"
if kill -0 "$SERVER_PID" 2>/dev/null; then pass "http-edge.js is still up"; else
    fail "http-edge.js is still up" "$(tail -5 "$T/edge.err")"
fi
finish
