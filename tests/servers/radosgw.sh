#!/bin/bash
# radosgw.sh start|stop|env|status: a one-host Ceph cluster (one mon, one
# memstore OSD, no mgr, auth none) with radosgw on 127.0.0.1, for tests that
# need a strict S3 server (SigV4 checked, path-style). See DESIGN.md section 6.
#
#   eval "$(tests/servers/radosgw.sh start)"   # prints export lines; reuses a running one
#   tests/servers/smoke.sh                     # curl checks against $AWS_ENDPOINT_URL
#   tests/servers/radosgw.sh stop              # kills it, removes its directory
#
# Everything lives in $S3D_SERVERS_DIR/radosgw (default /tmp/s3dlua-servers-$UID),
# with its own ceph.conf passed as -c to every tool; ports are picked free at start.
# Settings: S3D_RADOSGW_TIMEOUT (s, default 60), S3D_RADOSGW_MEMSTORE_BYTES
# (OSD capacity, default 4 GiB, RAM used only as written), S3D_SERVERS_KEEP=1
# (keep the directory when start fails), S3D_RADOSGW_CONF_EXTRA (lines appended
# to ceph.conf, after the [client.rgw.a] section), S3D_SERVERS_VERBOSE=1 (phase
# times on stderr). Needs install.sh to have run.
set -u
SERVER_NAME=radosgw
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
DIR=$S3D_SERVERS_DIR/radosgw
CONF=$DIR/ceph.conf
ACCESS_KEY=${S3D_RADOSGW_ACCESS_KEY:-S3DLUATESTACCESSKEY0}
SECRET_KEY=${S3D_RADOSGW_SECRET_KEY:-s3dluaTestSecretKey000000000000000000000}
TIMEOUT=${S3D_RADOSGW_TIMEOUT:-60}
REQUIRED_CMDS="ceph-mon ceph-osd radosgw radosgw-admin ceph monmaptool node curl flock setsid timeout"
unset CEPH_ARGS CEPH_CONF

ceph_cli() { timeout 30 ceph -c "$CONF" --connect-timeout 20 "$@"; }

write_conf() {
    local mon_port=$1 rgw_port=$2 asok="$DIR/run/\$name.asok"
    # unix socket paths are limited to 107 bytes: no admin socket if too long
    [ ${#DIR} -gt 80 ] && asok=""
    cat >"$CONF" <<EOF
# written by tests/servers/radosgw.sh: a throwaway test cluster
[global]
fsid = $(cat /proc/sys/kernel/random/uuid)
mon host = v2:127.0.0.1:$mon_port
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
ms bind msgr1 = false
ms bind msgr2 = true
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon warn on pool no redundancy = false
mon warn on insecure global id reclaim allowed = false
mon data avail warn = 1
mon data avail crit = 0
paxos propose interval = 0.05
paxos min wait = 0.01
run dir = $DIR/run
pid file =
admin socket = $asok
log file = $DIR/log/\$name.log
mon cluster log file = $DIR/log/cluster.log
crash dir = $DIR/crash

[mon]
mon data = $DIR/mon/\$cluster-\$id

[osd]
osd objectstore = memstore
osd data = $DIR/osd/\$cluster-\$id
memstore device bytes = ${S3D_RADOSGW_MEMSTORE_BYTES:-4294967296}

[client]
# an op sent while no OSD is up waits for the next osdmap, asked for only on
# the objecter tick (default 5 s): radosgw then sometimes starts 5 s late
objecter tick interval = 0.25

[client.rgw.a]
# without it radosgw loops on "get_initial_auth_request returned -13"
ms mon client mode = crc secure
rgw frontends = beast endpoint=127.0.0.1:$rgw_port
rgw data = $DIR/rgw
${S3D_RADOSGW_CONF_EXTRA:-}
EOF
}

server_start() {
    local ports mon_port rgw_port fsid osd_uuid osd_id
    mkdir -p "$DIR"/{run,mon,osd/ceph-0,rgw,crash} || fail "cannot create $DIR"
    ports=$(free_ports 2) || fail "cannot find free ports"
    read -r mon_port rgw_port <<<"$ports"
    write_conf "$mon_port" "$rgw_port"
    fsid=$(awk '$1 == "fsid" { print $3 }' "$CONF")

    # mon
    monmaptool --create --addv a "[v2:127.0.0.1:$mon_port]" --fsid "$fsid" "$DIR/monmap" \
        >>"$DIR/log/setup.out" 2>&1 || fail "monmaptool failed"
    ceph-mon -c "$CONF" --mkfs -i a --monmap "$DIR/monmap" >>"$DIR/log/setup.out" 2>&1 ||
        fail "ceph-mon --mkfs failed"
    spawn mon ceph-mon -c "$CONF" -f -i a
    # a client that finds no mon listening retries only after 3 s (mon client
    # hunt interval): wait for the port first
    wait_port "$mon_port" "$TIMEOUT" mon
    phase "mon listening"

    # osd (registering it waits for the mon to answer)
    osd_uuid=$(cat /proc/sys/kernel/random/uuid)
    osd_id=$(ceph_cli osd new "$osd_uuid" 2>>"$DIR/log/setup.out") || fail "ceph osd new failed"
    [ "$osd_id" = 0 ] || fail "ceph osd new returned '$osd_id', expected 0"
    phase "osd registered"
    ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$osd_uuid" >>"$DIR/log/setup.out" 2>&1 ||
        fail "ceph-osd --mkfs failed"
    spawn osd ceph-osd -c "$CONF" -f -i 0
    phase "osd started"

    # radosgw (creates its pools, waiting for the OSD), then the S3 user
    spawn rgw radosgw -c "$CONF" -f -n client.rgw.a
    wait_http "http://127.0.0.1:$rgw_port/" "$TIMEOUT" rgw
    phase "radosgw answers"
    timeout 30 radosgw-admin -c "$CONF" user create --uid s3dlua --display-name s3dlua \
        --access-key "$ACCESS_KEY" --secret "$SECRET_KEY" >>"$DIR/log/setup.out" 2>&1 ||
        fail "radosgw-admin user create failed"
    phase "user created"

    echo "http://127.0.0.1:$rgw_port/" >"$DIR/health_url"
    cat >"$DIR/env" <<EOF
export AWS_ENDPOINT_URL=http://127.0.0.1:$rgw_port
export AWS_ACCESS_KEY_ID=$ACCESS_KEY
export AWS_SECRET_ACCESS_KEY=$SECRET_KEY
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
export S3D_S3_SERVER=radosgw
export S3D_RADOSGW_DIR=$(printf %q "$DIR")
EOF
}

server_main "$@"
