#!/bin/bash
# s3rver.sh start|stop|env|status: s3rver (tests/servers/node_modules, see
# install.sh) on 127.0.0.1, a lenient S3 server (path-style; credentials
# S3RVER/S3RVER).
#
#   eval "$(tests/servers/s3rver.sh start)"   # prints export lines; reuses a running one
#   tests/servers/smoke.sh
#   tests/servers/s3rver.sh stop
#
# Data and logs in $S3D_SERVERS_DIR/s3rver (default /tmp/s3dlua-servers-$UID);
# the port is picked free at start. S3D_S3RVER_TIMEOUT (s, default 30);
# S3D_S3RVER_LOG=1 keeps s3rver's per-request log (log/s3rver.out).
# s3rver 3.7 on node 20 answers ListObjectsV2 with HTTP 500
# (ERR_OSSL_EVP_UNSUPPORTED) unless node runs with --openssl-legacy-provider.
set -u
SERVER_NAME=s3rver
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
DIR=$S3D_SERVERS_DIR/s3rver
REQUIRED_CMDS="node curl flock setsid"
NODE_MODULES=s3rver
TIMEOUT=${S3D_S3RVER_TIMEOUT:-30}

server_start() {
    local port silent=--silent
    mkdir -p "$DIR/data" || fail "cannot create $DIR/data"
    port=$(free_ports 1) || fail "cannot find a free port"
    [ "${S3D_S3RVER_LOG:-0}" = 1 ] && silent=
    NODE_OPTIONS="--openssl-legacy-provider${NODE_OPTIONS:+ $NODE_OPTIONS}" \
        spawn s3rver node "$SERVERS_HERE/node_modules/s3rver/bin/s3rver.js" \
        -d "$DIR/data" -a 127.0.0.1 -p "$port" --no-vhost-buckets $silent
    wait_http "http://127.0.0.1:$port/" "$TIMEOUT" s3rver
    echo "http://127.0.0.1:$port/" >"$DIR/health_url"
    cat >"$DIR/env" <<EOF
export AWS_ENDPOINT_URL=http://127.0.0.1:$port
export AWS_ACCESS_KEY_ID=S3RVER
export AWS_SECRET_ACCESS_KEY=S3RVER
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
export S3D_S3_SERVER=s3rver
export S3D_S3RVER_DIR=$(printf %q "$DIR")
EOF
}

server_main "$@"
