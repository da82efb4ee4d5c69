#!/bin/bash
# bench/http.sh - s3:// GETs through our client (libcurl multi on libuv, every request signed
# with SigV4) against wrk, both fetching the same files from one nginx worker on 127.0.0.1 in
# the same run, with the same threads and connections.
#
#   bash bench/http.sh                installs nginx and wrk with apt-get if missing (as root)
#
# nginx runs from a private prefix (its own nginx.conf, pid, logs and temp paths in one mktemp -d
# directory under BENCH_DIR, default /var/tmp) on a free port, one worker, access_log off,
# sendfile on, keepalive_requests 1000000, and is stopped (and the directory removed) on exit,
# also on Ctrl-C; it is started under `timeout` so it cannot outlive a killed run by long.
# ours  = s3dlua --threads T run bench/http_get.lua s3://bench/ KEY C SECS: T threads x C tasks,
#         each looping store:get(key, {discard = true}), path-style GET /bench/KEY, signed
#         (dummy AWS keys; nginx ignores the Authorization header); run once through our
#         own HTTP/1.1 client (the default for http://) and once through libcurl
#         (S3DLUA_HTTP_CLIENT=curl), for comparison: the target rows are the native ones
# wrk   = wrk -tT -c(T*C) -dSECS --latency http://127.0.0.1:PORT/bench/KEY
# Figures are medians of BENCH_REPS runs with ours and wrk interleaved (the order alternates).
# Knobs: BENCH_REPS (3), BENCH_HTTP_SECS (5), BENCH_HTTP_THREADS (2), BENCH_HTTP_CONNS (16
# per thread), BENCH_HTTP_MODE (discard | into: a per-task buffer), BENCH_ONLY="1m 4k",
# BENCH_HTTP_CLIENTS ("native curl").
set -u -o pipefail
export LC_ALL=C
cd "$(dirname "$0")/.." || exit 1

S3DLUA=${S3DLUA:-./s3dlua}
BENCH_DIR=${BENCH_DIR:-/var/tmp}
REPS=${BENCH_REPS:-3}
SECS=${BENCH_HTTP_SECS:-5}
THREADS=${BENCH_HTTP_THREADS:-2}
CONNS=${BENCH_HTTP_CONNS:-16} # per thread, for both sides
MODE=${BENCH_HTTP_MODE:-discard}
ONLY=${BENCH_ONLY:-1m 4k}
CLIENTS=${BENCH_HTTP_CLIENTS:-native curl} # ours through each: native (default) and libcurl
TMO="timeout --foreground -k 5 $((SECS * 4 + 60))" # no step may hang the run
NGINX_MAX_SECS=$(((REPS * 4 + 4) * (SECS + 10) + 120)) # nginx's own bound: the whole run and more

BENCH_NAME=http
# shellcheck source=bench/lib.sh
. bench/lib.sh # the cwd is the project root (see the cd above)

[ -x "$S3DLUA" ] || die "$S3DLUA not built (make)"
case "$MODE" in discard | into) ;; *) die "BENCH_HTTP_MODE must be discard or into" ;; esac

# ---- nginx and wrk: Debian's packages ----
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [ ! -x "$NGINX" ] || ! command -v wrk >/dev/null; then
    [ "$(id -u)" = 0 ] || die "nginx or wrk missing: apt-get install nginx wrk (as root)"
    echo "# installing nginx and wrk (apt-get)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx wrk >&2 ||
        { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx wrk >&2; } ||
        die "apt-get install nginx wrk failed"
    echo "# note: the package may have started the system nginx (port 80); it is not used here" >&2
    NGINX=$(command -v nginx || echo /usr/sbin/nginx)
fi
[ -x "$NGINX" ] || die "nginx not found"
command -v wrk >/dev/null || die "wrk not found"
command -v ss >/dev/null || die "ss not found (iproute2)"

[ -d "$BENCH_DIR" ] || die "BENCH_DIR=$BENCH_DIR is not a directory"
W=$(mktemp -d "$(readlink -f "$BENCH_DIR")/s3dlua-http.XXXXXX") || die "cannot create a directory in $BENCH_DIR"
NGPID=""
cleanup() {
    if [ -n "$NGPID" ] && kill -0 "$NGPID" 2>/dev/null; then
        kill -TERM "$NGPID" 2>/dev/null # timeout passes it on: nginx's fast shutdown
        for _ in $(seq 50); do kill -0 "$NGPID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$NGPID" 2>/dev/null
        wait "$NGPID" 2>/dev/null
    fi
    rm -rf -- "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# a private copy: someone rebuilding ./s3dlua meanwhile cannot change the binary under test
mkdir -p "$W/bin" "$W/ng/www/bench" "$W/ng/tmp" || die "cannot create directories in $W"
cp "$S3DLUA" "$W/bin/s3dlua" || die "cannot copy $S3DLUA"
S3DLUA=$W/bin/s3dlua

# ---- the files nginx serves (page cache) ----
declare -A KEY=([1m]=obj-1m.bin [4k]=obj-4k.bin) SIZE=([1m]=1048576 [4k]=4096)
declare -A LABEL=([1m]="1 MiB" [4k]="4 KiB")
for s in 1m 4k; do
    head -c "${SIZE[$s]}" /dev/urandom >"$W/ng/www/bench/${KEY[$s]}" || die "cannot write ${KEY[$s]}"
done
echo signed >"$W/ng/www/bench/signed-check.bin"

# ---- nginx: one worker, own prefix, a free port ----
free_port() {
    local used p
    used=$(ss -Htan | awk '{ n = split($4, a, ":"); print a[n] }' | sort -u)
    for _ in $(seq 100); do
        p=$((20000 + RANDOM % 30000))
        grep -qx "$p" <<<"$used" || { echo "$p"; return 0; }
    done
    return 1
}
ngx_conf() { # PORT
    cat <<EOF
$([ "$(id -u)" = 0 ] && echo "user root;")
worker_processes 1;
daemon off;
master_process on;
pid $W/ng/nginx.pid;
error_log $W/ng/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    keepalive_timeout 120s;
    default_type application/octet-stream;
    client_body_temp_path $W/ng/tmp/body;
    proxy_temp_path $W/ng/tmp/proxy;
    fastcgi_temp_path $W/ng/tmp/fastcgi;
    uwsgi_temp_path $W/ng/tmp/uwsgi;
    scgi_temp_path $W/ng/tmp/scgi;
    log_format auth '\$request_method \$uri \$http_authorization';
    server {
        listen 127.0.0.1:$1 backlog=1024;
        root $W/ng/www;
        location = /nginx_status { stub_status; }
        # the one key whose requests are logged: proof that ours are signed
        location = /bench/signed-check.bin { access_log $W/ng/auth.log auth; }
    }
}
EOF
}
# ngx_status -> "accepts handled requests" from stub_status (this request included)
ngx_status() ( # a subshell: a failed exec (nginx not up yet) must not end the script
    exec 3<>"/dev/tcp/127.0.0.1/$PORT" || exit 1
    printf 'GET /nginx_status HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
    timeout 5 cat <&3 | awk '/^ *[0-9]+ +[0-9]+ +[0-9]+[ \r]*$/ { print $1, $2, $3 }'
)
ngx_ticks() { awk '{ print $14 + $15 }' "/proc/$WORKER/stat"; } # worker CPU, clock ticks
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 }' /proc/stat; } # busy total
# CPUs busy with anything but nginx and the client: "busy0 total0" "busy1 total1" nginx_ticks client_cpu_s
others() {
    awk -v a="$1" -v b="$2" -v n="$3" -v c="$4" -v h="$CLK_TCK" -v cpus="$(nproc)" 'BEGIN {
        split(a, x, " "); split(b, y, " "); secs = (y[2] - x[2]) / h / cpus
        o = ((y[1] - x[1]) - n) / h - c; if (o < 0) o = 0; printf "%.2f", o / secs }'
}

PORT="" WORKER=""
for attempt in 1 2 3; do
    PORT=$(free_port) || die "no free port"
    ngx_conf "$PORT" >"$W/ng/nginx.conf"
    rm -f "$W/ng/nginx.pid"
    timeout -k 5 "$NGINX_MAX_SECS" "$NGINX" -p "$W/ng/" -c "$W/ng/nginx.conf" -e "$W/ng/error.log" \
        >"$W/ng/stdout" 2>&1 &
    NGPID=$!
    for _ in $(seq 50); do
        [ -s "$W/ng/nginx.pid" ] && ngx_status >/dev/null 2>&1 && break
        kill -0 "$NGPID" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$NGPID" 2>/dev/null && [ -n "$(ngx_status 2>/dev/null)" ]; then break; fi
    kill "$NGPID" 2>/dev/null
    wait "$NGPID" 2>/dev/null
    NGPID=""
    grep -q 'Address already in use' "$W/ng/error.log" "$W/ng/stdout" 2>/dev/null || break
done
[ -n "$NGPID" ] || die "nginx did not start: $(cat "$W/ng/error.log" "$W/ng/stdout" 2>/dev/null | tail -3)"
MASTER=$(cat "$W/ng/nginx.pid")
WORKER=$(pgrep -P "$MASTER" | head -1)
[ -n "$WORKER" ] || die "no nginx worker under master $MASTER"
CLK_TCK=$(getconf CLK_TCK)

# our client's environment: the S3 settings, nothing inherited that could change the route
# (a proxy, a profile, another endpoint); the keys are dummies, so requests are signed
S3ENV=(env -u AWS_PROFILE -u AWS_SESSION_TOKEN -u AWS_ENDPOINT_URL_S3 -u AWS_DEFAULT_REGION
    -u http_proxy -u HTTP_PROXY -u https_proxy -u HTTPS_PROXY -u all_proxy -u ALL_PROXY
    AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
    AWS_ENDPOINT_URL="http://127.0.0.1:$PORT" AWS_REGION=us-east-1
    AWS_ACCESS_KEY_ID=AKIDBENCHEXAMPLE AWS_SECRET_ACCESS_KEY=bench/secret/not/checked)

"${S3ENV[@]}" $TMO "$S3DLUA" get s3://bench/signed-check.bin >"$W/check.out" 2>&1 ||
    die "s3dlua get s3://bench/signed-check.bin failed: $(cat "$W/check.out")"
grep -q 'AWS4-HMAC-SHA256 Credential=AKIDBENCHEXAMPLE/[0-9]*/us-east-1/s3/aws4_request' "$W/ng/auth.log" ||
    die "our request reached nginx unsigned: $(cat "$W/ng/auth.log")"

# ---- helpers ----
kv() { awk -v k="$2" '{ for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) { print substr($i, length(k) + 2); exit } }' <<<"$1"; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
note() { echo "# $*"; }

# timed FILE CMD...: stdout to FILE, stderr to FILE.err, "user sys" CPU seconds to FILE.cpu
timed() {
    local f=$1 TIMEFORMAT='%3U %3S'
    shift
    { time "$@" >"$f" 2>"$f.err"; } 2>"$f.cpu"
}
cpu_s() { awk '{ print $1 + $2 }' "$1.cpu"; }
# established client-side connections to nginx, sampled in the middle and near the end of a run
probe_conns() { # FILE
    local half
    half=$(awk -v s="$SECS" 'BEGIN { print s / 2 }')
    sleep "$half"
    ss -Htn state established "( dport = :$PORT )" | wc -l >"$1"
    sleep "$(awk -v s="$SECS" -v h="$half" 'BEGIN { d = s - h - 0.5; print (d > 0 ? d : 0) }')"
    ss -Htn state established "( dport = :$PORT )" | wc -l >>"$1"
}
# wrk's "1.90GB" (binary units) -> MB/s (10^6 bytes)
wrk_mbps() {
    awk '/^Transfer\/sec:/ { v = $2; m = 1
        if (v ~ /KB$/) m = 1024; else if (v ~ /MB$/) m = 1024 ^ 2; else if (v ~ /GB$/) m = 1024 ^ 3; else if (v ~ /TB$/) m = 1024 ^ 4
        sub(/[KMGT]?B$/, "", v); printf "%.1f", v * m / 1e6 }' "$1"
}
# wrk --latency's "99%   74.51ms" -> microseconds
wrk_lat_us() { # FILE PERCENT
    awk -v p="$2%" '$1 == p { v = $2; m = 1
        if (v ~ /us$/) m = 1; else if (v ~ /ms$/) m = 1e3; else if (v ~ /s$/) m = 1e6
        sub(/[um]?s$/, "", v); printf "%.1f", v * m }' "$1"
}

declare -A R
# one run of ours through CLIENT (native: our HTTP/1.1 client; curl: libcurl's multi):
# figures into R[<client>_<size>_<figure>] as space-separated lists
run_ours() { # SIZE CLIENT
    local s=$1 o=$2 f=$W/ours s0 s1 t0 t1 m0 m1 line
    s0=$(ngx_status) t0=$(ngx_ticks) m0=$(machine_ticks)
    probe_conns "$W/conns" &
    local probe=$!
    timed "$f" "${S3ENV[@]}" S3DLUA_HTTP_CLIENT="$o" $TMO "$S3DLUA" --threads "$THREADS" run bench/http_get.lua \
        s3://bench/ "${KEY[$s]}" "$CONNS" "$SECS" "$MODE" || die "http_get.lua failed: $(tail -3 "$f.err")"
    wait "$probe"
    t1=$(ngx_ticks) s1=$(ngx_status) m1=$(machine_ticks)
    line=$(grep '^threads=' "$f") || die "http_get.lua printed no totals: $(cat "$f")"
    [ "$(kv "$line" errors)" = 0 ] || die "http_get.lua: errors: $line; $(head -3 "$f.err")"
    [ "$(kv "$line" bytes)" = "$(($(kv "$line" ops) * SIZE[$s]))" ] || die "http_get.lua: bytes != ops x size: $line"
    local ops secs
    ops=$(kv "$line" ops) secs=$(kv "$line" secs)
    R[${o}_${s}_rps]+=" $(kv "$line" ops_per_s)"
    R[${o}_${s}_mbps]+=" $(kv "$line" mbps)"
    R[${o}_${s}_p50]+=" $(kv "$line" p50_us)"
    R[${o}_${s}_p99]+=" $(kv "$line" p99_us)"
    R[${o}_${s}_cpu]+=" $(awk -v c="$(cpu_s "$f")" -v n="$ops" 'BEGIN { printf "%.1f", c / n * 1e6 }')"
    R[${o}_${s}_ngx]+=" $(awk -v t="$((t1 - t0))" -v h="$CLK_TCK" -v n="$ops" 'BEGIN { printf "%.1f", t / h / n * 1e6 }')"
    R[${o}_${s}_busy]+=" $(awk -v c="$(cpu_s "$f")" -v s="$secs" 'BEGIN { printf "%.2f", c / s }')"
    # connections nginx accepted during the run (minus the stub_status request itself)
    # and requests it served beyond our GETs (the HEAD of each thread, the status request)
    R[${o}_${s}_accepts]+=" $(($(cut -d' ' -f1 <<<"$s1") - $(cut -d' ' -f1 <<<"$s0") - 1))"
    R[${o}_${s}_extra]+=" $(($(cut -d' ' -f3 <<<"$s1") - $(cut -d' ' -f3 <<<"$s0") - 1 - ops))"
    R[${o}_${s}_est]+=" $(paste -sd/ "$W/conns")"
    R[${o}_${s}_others]+=" $(others "$m0" "$m1" "$((t1 - t0))" "$(cpu_s "$f")")"
}
run_wrk() { # SIZE
    local s=$1 f=$W/wrk s0 s1 t0 t1 m0 m1 rps
    s0=$(ngx_status) t0=$(ngx_ticks) m0=$(machine_ticks)
    probe_conns "$W/conns" &
    local probe=$!
    timed "$f" $TMO wrk -t"$THREADS" -c"$((THREADS * CONNS))" -d"${SECS}s" --latency \
        "http://127.0.0.1:$PORT/bench/${KEY[$s]}" || die "wrk failed: $(tail -3 "$f.err")"
    wait "$probe"
    t1=$(ngx_ticks) s1=$(ngx_status) m1=$(machine_ticks)
    ! grep -qE 'Non-2xx|Socket errors' "$f" || die "wrk saw errors: $(grep -E 'Non-2xx|Socket errors' "$f")"
    rps=$(awk '/^Requests\/sec:/ { print $2 }' "$f")
    [ -n "$rps" ] || die "no Requests/sec in wrk's output: $(cat "$f")"
    local n
    n=$(awk '/requests in/ { print $1 }' "$f")
    R[wrk_${s}_rps]+=" $rps"
    R[wrk_${s}_mbps]+=" $(awk -v r="$rps" -v b="${SIZE[$s]}" 'BEGIN { printf "%.1f", r * b / 1e6 }')"
    R[wrk_${s}_xfer]+=" $(wrk_mbps "$f")"
    R[wrk_${s}_p50]+=" $(wrk_lat_us "$f" 50)"
    R[wrk_${s}_p99]+=" $(wrk_lat_us "$f" 99)"
    R[wrk_${s}_cpu]+=" $(awk -v c="$(cpu_s "$f")" -v n="$n" 'BEGIN { printf "%.1f", c / n * 1e6 }')"
    R[wrk_${s}_ngx]+=" $(awk -v t="$((t1 - t0))" -v h="$CLK_TCK" -v n="$n" 'BEGIN { printf "%.1f", t / h / n * 1e6 }')"
    R[wrk_${s}_busy]+=" $(awk -v c="$(cpu_s "$f")" -v s="$SECS" 'BEGIN { printf "%.2f", c / s }')"
    R[wrk_${s}_accepts]+=" $(($(cut -d' ' -f1 <<<"$s1") - $(cut -d' ' -f1 <<<"$s0") - 1))"
    R[wrk_${s}_est]+=" $(paste -sd/ "$W/conns")"
    R[wrk_${s}_others]+=" $(others "$m0" "$m1" "$((t1 - t0))" "$(cpu_s "$f")")"
}
m() { # median of R[key], n/a when empty
    local -a v
    read -ra v <<<"${R[$1]:-}"
    if [ "${#v[@]}" -gt 0 ]; then median "${v[@]}"; else echo n/a; fi
}

NCONN=$((THREADS * CONNS))
echo "s3dlua http benchmark  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "# $("$S3DLUA" --version); libcurl $(dpkg-query -W -f '${Version}' libcurl4 2>/dev/null || echo '?'); $("$NGINX" -v 2>&1 | sed 's/^nginx version: //'); $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
echo "# $(uname -sr); $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')); load $(cut -d' ' -f1-3 /proc/loadavg)"
note "nginx: 1 worker (pid $WORKER) on 127.0.0.1:$PORT, sendfile, access_log off, keepalive_requests 1000000,"
note "  files in the page cache under $W/ng/www"
note "ours: s3dlua --threads $THREADS run bench/http_get.lua s3://bench/KEY, $CONNS tasks per thread each looping"
note "  store:get(key, {$([ "$MODE" = into ] && echo "into = buf" || echo "discard = true")}) for ${SECS}s: GET /bench/KEY path-style, SigV4-signed (checked: nginx logged"
note "  'Authorization: AWS4-HMAC-SHA256 Credential=...' for a test key); wrk: wrk -t$THREADS -c$NCONN -d${SECS}s --latency"
note "  = $THREADS threads x $CONNS connections, the same shape. Medians of $REPS runs, ours and wrk interleaved."
note "$(nproc) CPUs shared by nginx, the client under test and anything else running: the same for both"
note "  sides, so the client's own CPU per request decides how much is left for nginx"
note "MB/s counts body bytes (10^6) on both sides: wrk's = Requests/sec x object size (its Transfer/sec,"
note "  headers included, is in the notes); latency = one GET, request to last byte (wrk --latency)"
note "CPU/req = the client's user+sys CPU time / requests; nginx/req = the worker's CPU time / requests"
header

# warm-up: nginx's worker, the page cache, the client binaries
$TMO wrk -t1 -c4 -d1s "http://127.0.0.1:$PORT/bench/${KEY[4k]}" >/dev/null 2>&1
"${S3ENV[@]}" $TMO "$S3DLUA" run bench/http_get.lua s3://bench/ "${KEY[4k]}" 4 0.5 >/dev/null 2>&1

SIZES=()
for s in 1m 4k; do want "$s" && SIZES+=("$s"); done
for i in $(seq "$REPS"); do
    for s in "${SIZES[@]}"; do
        if [ $((i % 2)) = 1 ]; then
            for o in $CLIENTS; do run_ours "$s" "$o"; done
            run_wrk "$s"
        else
            run_wrk "$s"
            for o in $CLIENTS; do run_ours "$s" "$o"; done
        fi
    done
done

for s in "${SIZES[@]}"; do
    L=${LABEL[$s]}
    for o in $CLIENTS; do
        note "GET $L, ours through $o: runs req/s${R[${o}_${s}_rps]}; MB/s${R[${o}_${s}_mbps]}"
        note "  client CPU us/req${R[${o}_${s}_cpu]} (CPUs busy${R[${o}_${s}_busy]}); nginx worker CPU us/req${R[${o}_${s}_ngx]}"
        note "  CPUs busy with other processes${R[${o}_${s}_others]}; connections nginx accepted per run${R[${o}_${s}_accepts]};"
        note "  established (mid/end of run)${R[${o}_${s}_est]}; requests beyond our GETs (a HEAD per thread)${R[${o}_${s}_extra]}"
    done
    note "GET $L, wrk: runs req/s${R[wrk_${s}_rps]}; MB/s (body)${R[wrk_${s}_mbps]}; Transfer/sec${R[wrk_${s}_xfer]}"
    note "  client CPU us/req${R[wrk_${s}_cpu]} (CPUs busy${R[wrk_${s}_busy]}); nginx worker CPU us/req${R[wrk_${s}_ngx]}"
    note "  CPUs busy with other processes${R[wrk_${s}_others]}; connections accepted per run${R[wrk_${s}_accepts]} (one more"
    note "  at start-up to test the address); established (mid/end of run)${R[wrk_${s}_est]}"
    tgt_mb="" tgt_rq=""
    [ "$s" = 1m ] && tgt_mb=1.0
    [ "$s" = 4k ] && tgt_rq=0.7
    for o in $CLIENTS; do
        via="" t_mb=$tgt_mb t_rq=$tgt_rq
        if [ "$o" = curl ]; then via=" via libcurl" t_mb="" t_rq=""; fi # for comparison
        row "GET $L signed$via, ${THREADS}x$CONNS conns" "MB/s" "$(m ${o}_${s}_mbps)" "wrk -t$THREADS -c$NCONN (body bytes)" "$(m wrk_${s}_mbps)" higher $t_mb
        row "GET $L signed$via, ${THREADS}x$CONNS conns" "req/s" "$(m ${o}_${s}_rps)" "wrk -t$THREADS -c$NCONN" "$(m wrk_${s}_rps)" higher $t_rq
        row "GET $L$via p50 latency" "us" "$(m ${o}_${s}_p50)" "wrk -t$THREADS -c$NCONN --latency" "$(m wrk_${s}_p50)" lower
        row "GET $L$via p99 latency" "us" "$(m ${o}_${s}_p99)" "wrk -t$THREADS -c$NCONN --latency" "$(m wrk_${s}_p99)" lower
        row "GET $L$via client CPU per request" "us/req" "$(m ${o}_${s}_cpu)" "wrk -t$THREADS -c$NCONN" "$(m wrk_${s}_cpu)" lower
    done
done

echo
echo "summary ($(date -u +%H:%M:%SZ), load $(cut -d' ' -f1-3 /proc/loadavg)):"
header
printf '%s\n' "${ROWS[@]}"
