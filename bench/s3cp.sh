#!/bin/bash
# bench/s3cp.sh - `s3dlua cp` against rclone on a real Ceph radosgw (127.0.0.1), same run.
#
#   make && bench/s3cp.sh              (standalone: installs rclone and the Ceph packages when
#                                       missing, starts its own radosgw, makes the data, stops it)
#   BENCH_DIR=/mnt/nvme bench/s3cp.sh  work directory on a real disk (default /var/tmp)
#
# Figures (all wall time of whole processes, process start included; MB = 1e6 bytes):
#   - cp -r of BENCH_FILES files of BENCH_FILE_KIB (1000 x 1 MiB) local dir -> s3 and s3 -> dir:
#     s3dlua cp -r -j N vs rclone copy --transfers N (N = BENCH_JOBS, 16); both tools' defaults;
#     and rclone with its integrity extras off ("lean", see the notes printed below)
#   - one BENCH_BIG_MIB (256 MiB) object: PUT (s3dlua cp FILE s3://.. vs rclone copyto), GET to
#     /dev/null (s3dlua get -o /dev/null and > /dev/null vs rclone cat > /dev/null) and GET to a
#     local file (s3dlua cp s3://.. FILE vs rclone copyto)
# Every destination is new and is removed after its run (and `sync` before every run); the sides
# rotate order every repetition; rows are medians of BENCH_REPS (3) runs. The rows print
# ours, the baseline, ratio = ours / baseline and the target where the S3 issue sets one.
# Knobs: BENCH_REPS (3), BENCH_FILES (1000), BENCH_FILE_KIB (1024), BENCH_BIG_MIB (256),
# BENCH_JOBS (16), BENCH_ONLY="up down big" (any subset), S3DLUA (./s3dlua).
# Never hands /dev/null (or any device) to rclone: `rclone copyto REMOTE /dev/null` replaces the
# device node with a regular file on its retry (seen with rclone 1.60, as root).
set -u -o pipefail
export LC_ALL=C
cd "$(dirname "$0")/.." || exit 1

S3DLUA=${S3DLUA:-./s3dlua}
BENCH_DIR=${BENCH_DIR:-/var/tmp}
REPS=${BENCH_REPS:-3}
NFILES=${BENCH_FILES:-1000}
FILE_KIB=${BENCH_FILE_KIB:-1024}
BIG_MIB=${BENCH_BIG_MIB:-256}
JOBS=${BENCH_JOBS:-16}
ONLY=${BENCH_ONLY:-up down big}
TMO="timeout --foreground -k 5 300" # no step may hang the run; Ctrl-C still reaches it
BUCKET=s3cp-bench

BENCH_NAME=s3cp
# shellcheck source=bench/lib.sh
. bench/lib.sh # the cwd is the project root (see the cd above)
note() { echo "# $*"; }
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo

[ -x "$S3DLUA" ] || die "$S3DLUA not built (make)"
command -v timeout >/dev/null || die "timeout (coreutils) not found"

# ---- tools: rclone (Debian package) and the Ceph packages tests/servers/radosgw.sh uses ----
if ! command -v rclone >/dev/null; then
    echo "s3cp: installing rclone (apt-get install rclone)" >&2
    export DEBIAN_FRONTEND=noninteractive
    { $SUDO apt-get install -y -qq rclone >/dev/null 2>&1 ||
        { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq rclone; }; } >&2 ||
        die "cannot install rclone (apt-get install rclone)"
fi
command -v rclone >/dev/null || die "rclone not found after installing it"
if ! command -v radosgw >/dev/null || ! command -v ceph-osd >/dev/null; then
    tests/servers/install.sh >&2 || die "tests/servers/install.sh failed"
fi

# ---- work directory: a real disk (page-cached), never a tmpfs ----
[ -d "$BENCH_DIR" ] || die "BENCH_DIR=$BENCH_DIR is not a directory"
BENCH_DIR=$(readlink -f "$BENCH_DIR")
FSTYPE=$(stat -f -c %T "$BENCH_DIR")
case "$FSTYPE" in tmpfs | ramfs) die "BENCH_DIR=$BENCH_DIR is on $FSTYPE, not a disk" ;; esac
FILES_BYTES=$((NFILES * FILE_KIB * 1024))
BIG_BYTES=$((BIG_MIB * 1048576))
# disk: the source files, one downloaded copy, the big file and one download of it
need_kib=$(((FILES_BYTES * 2 + BIG_BYTES * 2) / 1024 + 262144))
avail_kib=$(df -Pk "$BENCH_DIR" | awk 'NR == 2 { print $4 }')
[ "$avail_kib" -ge "$need_kib" ] || die "$BENCH_DIR has $((avail_kib / 1024)) MiB free, need $((need_kib / 1024))"
# memstore (RAM, as written): the download source, one upload in flight, the big source, and
# every deleted big upload: radosgw deletes multipart tails only in its garbage collection
# (hours later), so those stay in the OSD's memory until the server stops
STORE_BYTES=$((FILES_BYTES * 2 + BIG_BYTES * (3 * REPS + 1) + 536870912))
export S3D_RADOSGW_MEMSTORE_BYTES=${S3D_RADOSGW_MEMSTORE_BYTES:-$STORE_BYTES}
need_mem_kib=$(((S3D_RADOSGW_MEMSTORE_BYTES + FILES_BYTES * 2 + BIG_BYTES * 2) / 1024))
avail_mem_kib=$(awk '/MemAvailable/ { print $2 }' /proc/meminfo)
[ "$avail_mem_kib" -ge "$need_mem_kib" ] ||
    die "only $((avail_mem_kib / 1024)) MiB of memory available, need about $((need_mem_kib / 1024)) (the server's memstore and the page cache; try BENCH_FILES, BENCH_BIG_MIB, BENCH_REPS)"

W=$(mktemp -d "$BENCH_DIR/s3dlua-s3cp.XXXXXX") || die "cannot create a directory in $BENCH_DIR"
# a private servers directory: never the test suite's radosgw, never another user's
export S3D_SERVERS_DIR=$W/servers
SERVER_UP=0
cleanup() {
    if [ "$SERVER_UP" = 1 ]; then
        timeout -k 5 60 tests/servers/radosgw.sh stop >/dev/null 2>&1 ||
            echo "s3cp: radosgw.sh stop failed (S3D_SERVERS_DIR=$S3D_SERVERS_DIR)" >&2
    fi
    rm -rf -- "$W"
    [ -c /dev/null ] || echo "s3cp: WARNING: /dev/null is no longer a character device!" >&2
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$W/bin" "$W/src" "$W/servers" || die "cannot create directories in $W"
# a private copy: others rebuilding ./s3dlua meanwhile cannot change the binary under test
cp "$S3DLUA" "$W/bin/s3dlua" || die "cannot copy $S3DLUA"
S3DLUA=$W/bin/s3dlua
"$S3DLUA" --version >/dev/null || die "$S3DLUA does not run"

# ---- radosgw ----
srv=$($TMO tests/servers/radosgw.sh start) || die "radosgw.sh start failed: $srv"
SERVER_UP=1
eval "$srv"
case "$AWS_ENDPOINT_URL" in http://127.0.0.1:*) ;; *) die "unexpected endpoint $AWS_ENDPOINT_URL" ;; esac
SRV_PIDS=$(awk '$1 == "osd" || $1 == "rgw" { print $2 }' "$S3D_RADOSGW_DIR/pids")

# rclone: a remote named "bench" from the environment only; the config path is a file in $W that
# does not exist (rclone never writes over anything of ours or the machine's). The CA bundle
# variables the machine sets make rclone 1.60 fail even on plain http ("LoadCustomCABundleError:
# unable to load custom CA bundle, HTTPClient's transport unsupported type"): unset for rclone.
RCL=$W/bin/rclone-bench # a script, not a function: timeout and /usr/bin/time run it
{
    echo '#!/bin/bash'
    printf 'exec env -u AWS_CA_BUNDLE -u CURL_CA_BUNDLE -u REQUESTS_CA_BUNDLE RCLONE_CONFIG=%q' "$W/rclone.conf"
    printf ' RCLONE_CONFIG_BENCH_%s' TYPE=s3 PROVIDER=Ceph REGION=us-east-1 FORCE_PATH_STYLE=true
    printf ' RCLONE_CONFIG_BENCH_ENDPOINT=%q' "$AWS_ENDPOINT_URL"
    printf ' RCLONE_CONFIG_BENCH_ACCESS_KEY_ID=%q' "$AWS_ACCESS_KEY_ID"
    printf ' RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY=%q' "$AWS_SECRET_ACCESS_KEY"
    printf ' rclone "$@"\n'
} >"$RCL" || die "cannot write $RCL"
chmod +x "$RCL" || die "cannot chmod $RCL"
s3d() { "$S3DLUA" "$@"; }

# ---- helpers ----
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.1f", b / s / 1e6 }'; }

# CPU seconds (user+system) used so far by the OSD and radosgw processes
srv_cpu() {
    local p t=0 hz
    hz=$(getconf CLK_TCK)
    for p in $SRV_PIDS; do
        t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
    done
    awk -v t="$t" -v hz="$hz" 'BEGIN { printf "%.2f", t / hz }'
}
HAVE_TIME=0
[ -x /usr/bin/time ] && HAVE_TIME=1
# timed OUTFILE CMD...: runs CMD (stdout to OUTFILE, stderr to $W/err), sets WALL (s), CCPU
# (client user+sys s, n/a without /usr/bin/time) and SCPU (server CPU s during the run)
timed() {
    local out=$1 s0 t0 t1 rc
    shift
    sync
    s0=$(srv_cpu)
    t0=$EPOCHREALTIME
    if [ "$HAVE_TIME" = 1 ]; then
        $TMO /usr/bin/time -o "$W/time" -f '%U %S' "$@" >"$out" 2>"$W/err"
    else
        $TMO "$@" >"$out" 2>"$W/err"
    fi
    rc=$?
    t1=$EPOCHREALTIME
    WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    SCPU=$(awk -v a="$s0" -v b="$(srv_cpu)" 'BEGIN { printf "%.2f", b - a }')
    CCPU=n/a
    [ "$HAVE_TIME" = 1 ] && [ -s "$W/time" ] && CCPU=$(awk 'END { printf "%.2f", $(NF - 1) + $NF }' "$W/time")
    if [ "$rc" != 0 ]; then
        echo "s3cp: failed (exit $rc): $*" >&2
        tail -5 "$W/err" >&2
    fi
    return "$rc"
}
# s3_count PREFIX: "OBJECTS BYTES" under s3://BUCKET/PREFIX (ls of an empty prefix fails: "0 0")
s3_count() { s3d ls -r "s3://$BUCKET/$1" | awk '{ n++; b += $2 } END { printf "%d %d", n, b }'; }
s3_clear() { # removes everything under PREFIX and checks it is gone
    $TMO "$S3DLUA" rm -r -q "s3://$BUCKET/$1" >/dev/null 2>&1
    [ "$(s3_count "$1" 2>/dev/null)" = "0 0" ] || die "s3dlua rm -r s3://$BUCKET/$1 left objects behind"
}

# ---- data: NFILES random files, one big random file, all in the page cache ----
head -c "$FILES_BYTES" /dev/urandom | (cd "$W/src" && split -b "$((FILE_KIB * 1024))" -d -a 5 - f) ||
    die "cannot write the source files"
[ "$(find "$W/src" -type f | wc -l)" = "$NFILES" ] || die "expected $NFILES source files"
head -c "$BIG_BYTES" /dev/urandom >"$W/big.bin" || die "cannot write $W/big.bin"
sync
cat "$W"/src/* "$W/big.bin" >/dev/null

s3d mb "s3://$BUCKET" >/dev/null || die "s3dlua mb s3://$BUCKET failed"
NTHREADS=$(nproc)

echo "s3dlua cp vs rclone on radosgw  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "# $("$S3DLUA" --version); $(rclone version 2>/dev/null | head -1); $(radosgw --version 2>/dev/null | awk '{ print "ceph", $3 }')"
echo "# $(uname -sr); $NTHREADS CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')); $(awk '/MemTotal/ { printf "%.1f GiB RAM", $2 / 1048576 }' /proc/meminfo)"
echo "# radosgw (beast, one memstore OSD, $((S3D_RADOSGW_MEMSTORE_BYTES >> 20)) MiB) at $AWS_ENDPOINT_URL on the same CPUs as the clients"
echo "# work dir $W ($FSTYPE); $NFILES files x $FILE_KIB KiB, one ${BIG_MIB} MiB object; medians of $REPS runs, sides interleaved, order rotated"
echo "# load at start $(cut -d' ' -f1-3 /proc/loadavg) (other users' jobs share these CPUs: they hit every side alike)"
note "s3dlua: cp -r -j N = N objects in flight in total, over --threads = $NTHREADS (all cores, its cp default);"
note "  -j defaults to 16, so 'defaults' is the same command without flags; PUT bodies are signed"
note "  (x-amz-content-sha256 = the body's SHA-256, which radosgw verifies); GETs verify nothing;"
note "  a download is HEAD + GET per object; objects > 4 MiB stream in 4 MiB ranged GETs, up to 7 ahead of the write for a lone object"
note "rclone (Go, uses all cores): --transfers N files in flight; defaults --transfers 4 --checkers 8;"
note "  kept its default integrity behaviour in the target rows (what users run): PUT with Content-MD5"
note "  and UNSIGNED-PAYLOAD, X-Amz-Meta-Mtime, a HEAD after every upload to check it; GET checks"
note "  the MD5 against the ETag and sets the file's mtime from the metadata. 'lean' rows turn that"
note "  off (--s3-disable-checksum --s3-no-head up, --ignore-checksum down) to show its floor."
note "  Files of 250 MiB or more (--multi-thread-cutoff) download with 4 streams (--multi-thread-streams)"
note "  to a local file; 'rclone cat' is one stream. Uploads > 200 MiB (--s3-upload-cutoff) are"
note "  multipart, 5 MiB chunks, 4 in flight; s3dlua: puts above 16 MiB are multipart, 8 MiB parts, 4 in flight."
echo
header

# ---- 1. cp -r local -> s3 ----
if want up; then
    declare -A UP UPS UPC
    up_run() { # NAME CMD... (the destination prefix is $P)
        local name=$1 cnt
        shift
        timed "$W/out" "$@" || die "$name upload failed"
        cnt=$(s3_count "$P")
        [ "$cnt" = "$NFILES $FILES_BYTES" ] || die "$name upload: s3://$BUCKET/$P holds $cnt (objects bytes), expected $NFILES $FILES_BYTES"
        UP[$name]+=" $(mbps "$FILES_BYTES" "$WALL")"
        UPS[$name]+=" $SCPU"
        UPC[$name]+=" $CCPU"
        s3_clear "$P"
    }
    up_ours() { P=up/ours$1/; up_run ours "$S3DLUA" cp -q -r -j "$JOBS" "$W/src/" "s3://$BUCKET/$P"; }
    up_oursdef() { P=up/oursdef$1/; up_run oursdef "$S3DLUA" cp -q -r "$W/src/" "s3://$BUCKET/$P"; }
    up_rc() { P=up/rc$1/; up_run rc "$RCL" copy --transfers "$JOBS" "$W/src" "bench:$BUCKET/$P"; }
    up_rcdef() { P=up/rcdef$1/; up_run rcdef "$RCL" copy "$W/src" "bench:$BUCKET/$P"; }
    up_rclean() { P=up/rclean$1/; up_run rclean "$RCL" copy --transfers "$JOBS" --s3-disable-checksum --s3-no-head "$W/src" "bench:$BUCKET/$P"; }
    sides=(up_ours up_rc up_oursdef up_rcdef up_rclean)
    for i in $(seq "$REPS"); do
        for j in $(seq 0 $((${#sides[@]} - 1))); do ${sides[(i + j) % ${#sides[@]}]} "$i"; done
    done
    note "upload runs MB/s | server CPU s (osd+rgw) | client CPU s:"
    for k in ours oursdef rc rcdef rclean; do note "  $k:${UP[$k]} |${UPS[$k]} |${UPC[$k]}"; done
    m() { local -a v; read -ra v <<<"$1"; median "${v[@]}"; }
    row "cp -r up ${NFILES}x${FILE_KIB}KiB, -j $JOBS" "MB/s" "$(m "${UP[ours]}")" "rclone copy --transfers $JOBS" "$(m "${UP[rc]}")" higher 1.2
    row "cp -r up, defaults (-j 16, --threads $NTHREADS)" "MB/s" "$(m "${UP[oursdef]}")" "rclone copy (defaults: --transfers 4)" "$(m "${UP[rcdef]}")" higher
    row "cp -r up, -j $JOBS" "MB/s" "$(m "${UP[ours]}")" "rclone lean: --transfers $JOBS, no md5/HEAD" "$(m "${UP[rclean]}")" higher
    row "cp -r up, -j $JOBS: server CPU per run" "s" "$(m "${UPS[ours]}")" "rclone copy --transfers $JOBS" "$(m "${UPS[rc]}")" lower
    [ "$HAVE_TIME" = 1 ] && row "cp -r up, -j $JOBS: client CPU per run" "s" "$(m "${UPC[ours]}")" "rclone copy --transfers $JOBS" "$(m "${UPC[rc]}")" lower
fi

# ---- 2. cp -r s3 -> local ----
if want down; then
    s3d cp -q -r -j "$JOBS" "$W/src/" "s3://$BUCKET/data/" || die "cannot upload the download source"
    [ "$(s3_count data/)" = "$NFILES $FILES_BYTES" ] || die "download source incomplete: $(s3_count data/)"
    declare -A DN DNS DNC
    dn_run() { # NAME CMD... (the destination is $W/dl)
        local name=$1
        shift
        rm -rf -- "$W/dl"
        timed "$W/out" "$@" || die "$name download failed"
        diff -r -q "$W/src" "$W/dl" >"$W/diff" 2>&1 || die "$name download differs from the source: $(head -3 "$W/diff")"
        DN[$name]+=" $(mbps "$FILES_BYTES" "$WALL")"
        DNS[$name]+=" $SCPU"
        DNC[$name]+=" $CCPU"
        rm -rf -- "$W/dl"
    }
    dn_ours() { dn_run ours "$S3DLUA" cp -q -r -j "$JOBS" "s3://$BUCKET/data/" "$W/dl/"; }
    dn_oursdef() { dn_run oursdef "$S3DLUA" cp -q -r "s3://$BUCKET/data/" "$W/dl/"; }
    dn_rc() { dn_run rc "$RCL" copy --transfers "$JOBS" "bench:$BUCKET/data" "$W/dl"; }
    dn_rcdef() { dn_run rcdef "$RCL" copy "bench:$BUCKET/data" "$W/dl"; }
    dn_rclean() { dn_run rclean "$RCL" copy --transfers "$JOBS" --ignore-checksum "bench:$BUCKET/data" "$W/dl"; }
    sides=(dn_ours dn_rc dn_oursdef dn_rcdef dn_rclean)
    for i in $(seq "$REPS"); do
        for j in $(seq 0 $((${#sides[@]} - 1))); do ${sides[(i + j) % ${#sides[@]}]}; done
    done
    note "download runs MB/s | server CPU s (osd+rgw) | client CPU s:"
    for k in ours oursdef rc rcdef rclean; do note "  $k:${DN[$k]} |${DNS[$k]} |${DNC[$k]}"; done
    m() { local -a v; read -ra v <<<"$1"; median "${v[@]}"; }
    row "cp -r down ${NFILES}x${FILE_KIB}KiB, -j $JOBS" "MB/s" "$(m "${DN[ours]}")" "rclone copy --transfers $JOBS" "$(m "${DN[rc]}")" higher 1.2
    row "cp -r down, defaults (-j 16, --threads $NTHREADS)" "MB/s" "$(m "${DN[oursdef]}")" "rclone copy (defaults: --transfers 4)" "$(m "${DN[rcdef]}")" higher
    row "cp -r down, -j $JOBS" "MB/s" "$(m "${DN[ours]}")" "rclone lean: --transfers $JOBS --ignore-checksum" "$(m "${DN[rclean]}")" higher
    row "cp -r down, -j $JOBS: server CPU per run" "s" "$(m "${DNS[ours]}")" "rclone copy --transfers $JOBS" "$(m "${DNS[rc]}")" lower
    [ "$HAVE_TIME" = 1 ] && row "cp -r down, -j $JOBS: client CPU per run" "s" "$(m "${DNC[ours]}")" "rclone copy --transfers $JOBS" "$(m "${DNC[rc]}")" lower
    s3_clear data/
fi

# ---- 3. one big object ----
if want big; then
    # `get -o /dev/null` used to replace the device with a regular file: time it only when this
    # binary writes devices in place (checked on a private device node by cli-devnull-repro.sh)
    devnull_ok=0
    S3DLUA=$S3DLUA BENCH_DIR=$W $TMO bash bench/cli-devnull-repro.sh >/dev/null 2>&1
    [ $? = 1 ] && devnull_ok=1
    [ "$devnull_ok" = 1 ] || note "NOT timing 'get -o /dev/null': this binary replaces a device given to -o"
    declare -A BG
    big_put() { # NAME KEY CMD...
        local name=$1 key=$2 size
        shift 2
        timed "$W/out" "$@" || die "$name big put failed"
        size=$(s3d stat --json "s3://$BUCKET/$key" | sed -n 's/.*"size":\([0-9]*\).*/\1/p')
        [ "$size" = "$BIG_BYTES" ] || die "$name big put: s3://$BUCKET/$key has ${size:-no} size, expected $BIG_BYTES"
        BG[$name]+=" $(mbps "$BIG_BYTES" "$WALL")"
        s3_clear "$key"
    }
    big_get() { # NAME OUT CMD...   (OUT = a file to compare, or /dev/null)
        local name=$1 out=$2
        shift 2
        rm -f -- "$W/big.out"
        if [ "$out" = /dev/null ]; then
            timed /dev/null "$@" || die "$name big get failed"
        else
            timed "$W/out" "$@" || die "$name big get failed"
            cmp -s "$W/big.bin" "$out" || die "$name big get: $out differs from the source"
        fi
        BG[$name]+=" $(mbps "$BIG_BYTES" "$WALL")"
        rm -f -- "$W/big.out"
    }
    s3d cp -q "$W/big.bin" "s3://$BUCKET/big" || die "cannot upload the big source"
    bp_ours() { big_put put_ours "bigput/ours$1" "$S3DLUA" cp -q "$W/big.bin" "s3://$BUCKET/bigput/ours$1"; }
    bp_rc() { big_put put_rc "bigput/rc$1" "$RCL" copyto "$W/big.bin" "bench:$BUCKET/bigput/rc$1"; }
    bp_rclean() { big_put put_rclean "bigput/rclean$1" "$RCL" copyto --s3-disable-checksum --s3-no-head "$W/big.bin" "bench:$BUCKET/bigput/rclean$1"; }
    bg_null() { [ "$devnull_ok" = 1 ] && big_get get_null /dev/null "$S3DLUA" get -q "s3://$BUCKET/big" -o /dev/null; }
    bg_stdout() { big_get get_stdout /dev/null "$S3DLUA" get -q "s3://$BUCKET/big"; }
    bg_rccat() { big_get get_rccat /dev/null "$RCL" cat "bench:$BUCKET/big"; }
    bg_file() { big_get get_file "$W/big.out" "$S3DLUA" cp -q "s3://$BUCKET/big" "$W/big.out"; }
    bg_rcfile() { big_get get_rcfile "$W/big.out" "$RCL" copyto "bench:$BUCKET/big" "$W/big.out"; }
    sides=(bp_ours bp_rc bp_rclean bg_null bg_rccat bg_stdout bg_file bg_rcfile)
    for i in $(seq "$REPS"); do
        for j in $(seq 0 $((${#sides[@]} - 1))); do ${sides[(i + j) % ${#sides[@]}]} "$i"; done
    done
    [ -c /dev/null ] || die "/dev/null is no longer a character device!"
    note "${BIG_MIB} MiB object runs MB/s:"
    for k in put_ours put_rc put_rclean get_null get_stdout get_rccat get_file get_rcfile; do note "  $k:${BG[$k]:- n/a}"; done
    m() { local -a v; read -ra v <<<"${BG[$1]:-}"; if [ "${#v[@]}" -gt 0 ]; then median "${v[@]}"; else echo n/a; fi; }
    row "PUT ${BIG_MIB} MiB: cp FILE s3://" "MB/s" "$(m put_ours)" "rclone copyto FILE (defaults)" "$(m put_rc)" higher
    row "PUT ${BIG_MIB} MiB: cp FILE s3://" "MB/s" "$(m put_ours)" "rclone copyto lean, no md5/HEAD" "$(m put_rclean)" higher
    row "GET ${BIG_MIB} MiB: get -o /dev/null" "MB/s" "$(m get_null)" "rclone cat > /dev/null" "$(m get_rccat)" higher
    row "GET ${BIG_MIB} MiB: get > /dev/null" "MB/s" "$(m get_stdout)" "rclone cat > /dev/null" "$(m get_rccat)" higher
    row "GET ${BIG_MIB} MiB: cp s3:// FILE" "MB/s" "$(m get_file)" "rclone copyto FILE (4 streams)" "$(m get_rcfile)" higher
    s3_clear big
fi

echo
echo "summary ($(date -u +%H:%M:%SZ), load $(cut -d' ' -f1-3 /proc/loadavg)):"
header
printf '%s\n' "${ROWS[@]}"
