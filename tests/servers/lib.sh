# shellcheck shell=bash
# Shared helpers for tests/servers/*.sh (sourced, not run). Bash only.
#
# Layout: every server lives in its own directory $S3D_SERVERS_DIR/<name>
# (default S3D_SERVERS_DIR=/tmp/s3dlua-servers-$UID). The directory holds the
# server's data, its logs (log/), `pids` ("name pid" per line: only those are
# ever killed), `env` (the export lines `start` prints) and `health_url`.

SERVERS_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
S3D_SERVERS_DIR=${S3D_SERVERS_DIR:-/tmp/s3dlua-servers-$(id -u)}

die() {
    echo "$SERVER_NAME: $*" >&2
    exit 1
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

# phase MSG: notes the time since $t0 in $DIR/log/setup.out (and on stderr
# when S3D_SERVERS_VERBOSE=1).
phase() {
    local line
    line="$SERVER_NAME: $(elapsed "$t0") s: $*"
    echo "$line" >>"$DIR/log/setup.out"
    [ "${S3D_SERVERS_VERBOSE:-0}" != 1 ] || echo "$line" >&2
}

# Serializes start/stop of one kind of server (fd 9 on the script itself, so
# no lock file is left behind). Daemons must be started with 9>&- so they do
# not inherit the lock.
lock_server() {
    exec 9<"$0" || die "cannot open $0 for locking"
    flock -w 120 9 || die "timed out waiting for another start/stop to finish"
}

# free_ports N: prints N distinct free TCP ports on 127.0.0.1 (kernel-chosen).
free_ports() {
    node -e '
const net = require("net"), n = +process.argv[1], ports = [], servers = [];
(function next() {
  if (ports.length === n) { servers.forEach(s => s.close()); console.log(ports.join(" ")); return; }
  const s = net.createServer();
  s.on("error", e => { console.error(e.message); process.exit(1); });
  s.listen(0, "127.0.0.1", () => { ports.push(s.address().port); servers.push(s); next(); });
})();' "$1"
}

# spawn NAME CMD...: runs CMD in the background in its own session, in $DIR,
# stdin from /dev/null, stdout+stderr appended to $DIR/log/NAME.out, and records
# its pid in $DIR/pids. (bash's background children are not process-group
# leaders, so setsid execs in place and $! is the daemon's own pid.)
spawn() {
    local name=$1
    shift
    (cd "$DIR" && exec setsid "$@") </dev/null >>"$DIR/log/$name.out" 2>&1 9>&- &
    echo "$name $!" >>"$DIR/pids"
    disown $! # no "Killed" job report if fail() kills it
}

# running PID: true if PID exists and is not a zombie (builtins only: cheap).
running() {
    local stat
    { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
    stat=${stat##*) }
    [ "${stat%% *}" != Z ]
}

# pid_ours PID: true if PID is running (not a zombie) and runs in $DIR (see
# spawn), so a recycled pid is never killed.
pid_ours() {
    [ -n "${DIR_REAL:-}" ] || DIR_REAL=$(cd "$DIR" 2>/dev/null && pwd -P) || return 1
    running "$1" && [ "$(readlink "/proc/$1/cwd" 2>/dev/null)" = "$DIR_REAL" ]
}

# all_alive: true if every recorded process is still running.
all_alive() {
    local name pid
    [ -s "$DIR/pids" ] || return 1
    while read -r name pid; do
        pid_ours "$pid" || return 1
    done <"$DIR/pids"
}

# alive NAME: true if the recorded process NAME is still running.
alive() {
    local pid
    pid=$(awk -v n="$1" '$1 == n { print $2 }' "$DIR/pids" 2>/dev/null | tail -1)
    [ -n "$pid" ] && pid_ours "$pid"
}

# await_exit MS: polls every 20 ms until none of $pids runs (returns 0) or MS
# have passed (returns 1); leaves the ones still running in $pids.
await_exit() {
    local i pid left
    for ((i = 0; i <= $1 / 20; i++)); do
        left=""
        for pid in $pids; do running "$pid" && left="$left $pid"; done
        pids=$left
        [ -n "$pids" ] || return 0
        sleep 0.02
    done
    return 1
}

# kill_all GRACE_MS: SIGTERM to every recorded process, SIGKILL to those still
# running after GRACE_MS milliseconds, then waits (bounded, 5 s) until all are gone.
kill_all() {
    local grace=$1 pids="" name pid
    [ -f "$DIR/pids" ] || return 0
    while read -r name pid; do
        pid_ours "$pid" && pids="$pids $pid"
    done <"$DIR/pids"
    [ -n "$pids" ] || return 0
    # shellcheck disable=SC2086
    kill -TERM $pids 2>/dev/null
    await_exit "$grace" && return 0
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null
    await_exit 5000 && return 0
    echo "$SERVER_NAME: processes still running after SIGKILL:$pids" >&2
    return 1
}

# remove_dir: deletes $DIR and, when empty, $S3D_SERVERS_DIR.
remove_dir() {
    rm -rf "$DIR"
    rmdir "$S3D_SERVERS_DIR" 2>/dev/null
    return 0
}

# show_logs: the tail of every log under $DIR/log, on stderr.
show_logs() {
    local f
    for f in "$DIR"/log/*; do
        [ -s "$f" ] || continue
        echo "---- tail of $f" >&2
        tail -n "${S3D_SERVERS_LOG_LINES:-25}" "$f" >&2
    done
}

# fail MSG: start failed: print MSG and the logs, kill what was started and
# remove the directory (kept when S3D_SERVERS_KEEP=1).
fail() {
    echo "$SERVER_NAME: start failed: $*" >&2
    show_logs
    kill_all 500
    if [ "${S3D_SERVERS_KEEP:-0}" = 1 ]; then
        echo "$SERVER_NAME: kept $DIR" >&2
    else
        remove_dir
    fi
    exit 1
}

# http_code URL: the HTTP status of an unauthenticated GET (000: no answer).
http_code() {
    curl -s --noproxy '*' -o /dev/null -w '%{http_code}' --max-time 2 "$1" 2>/dev/null
}

# wait_http URL TIMEOUT PROCNAME: waits until URL answers any HTTP status;
# fails early if PROCNAME dies.
wait_http() {
    local url=$1 timeout=$2 proc=$3 since=$SECONDS code
    while :; do
        code=$(http_code "$url")
        [ "$code" != 000 ] && [ -n "$code" ] && return 0
        alive "$proc" || fail "$proc exited before $url answered"
        ((SECONDS - since >= timeout)) && fail "$url did not answer within ${timeout}s"
        sleep 0.1
    done
}

# wait_port PORT TIMEOUT PROCNAME: waits until 127.0.0.1:PORT accepts a TCP
# connection; fails early if PROCNAME dies.
wait_port() {
    local port=$1 timeout=$2 proc=$3 since=$SECONDS
    until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
        alive "$proc" || fail "$proc exited before port $port accepted connections"
        ((SECONDS - since >= timeout)) && fail "port $port did not accept connections within ${timeout}s"
        sleep 0.02
    done
}

# running_env: prints $DIR/env if the server there is fully up (every
# process alive and $DIR/health_url answering), else fails.
running_env() {
    [ -s "$DIR/env" ] && [ -s "$DIR/health_url" ] && all_alive || return 1
    [ "$(http_code "$(cat "$DIR/health_url")")" != 000 ] || return 1
    cat "$DIR/env"
}

# stop_server: kills what $DIR/pids lists (SIGTERM, then SIGKILL after
# S3D_SERVERS_GRACE_MS, default 500) and removes $DIR.
stop_server() {
    kill_all "${S3D_SERVERS_GRACE_MS:-500}" || return 1
    remove_dir
}

# server_main start|stop|env|status: the command line of every server script.
# The script sets SERVER_NAME, DIR, REQUIRED_CMDS, NODE_MODULES (packages
# needed in tests/servers/node_modules) and defines server_start,
# which starts the processes (spawn), waits until they serve and writes
# $DIR/env and $DIR/health_url.
server_main() {
    local out t
    case "${1:-}" in
    start)
        lock_server
        if out=$(running_env); then
            echo "$out"
            return 0
        fi
        if [ -e "$DIR" ]; then
            stop_server || die "cannot stop the old instance in $DIR"
        fi
        for t in $REQUIRED_CMDS; do
            command -v "$t" >/dev/null || die "$t not found: run $SERVERS_HERE/install.sh"
        done
        for t in ${NODE_MODULES:-}; do
            [ -f "$SERVERS_HERE/node_modules/$t/package.json" ] ||
                die "$t is not installed: run $SERVERS_HERE/install.sh"
        done
        t0=$(now)
        mkdir -p "$DIR/log" || die "cannot create $DIR"
        DIR_REAL=$(cd "$DIR" && pwd -P)
        : >"$DIR/pids"
        server_start
        phase "up: $(grep -v '^export S3D_' "$DIR/env" | head -1)"
        cat "$DIR/env"
        ;;
    stop)
        lock_server
        stop_server
        ;;
    env)
        running_env || die "not running"
        ;;
    status)
        running_env >/dev/null
        ;;
    *)
        echo "usage: $0 start|stop|env|status" >&2
        return 2
        ;;
    esac
}
