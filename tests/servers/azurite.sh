#!/bin/bash
# azurite.sh start|stop|env|status: azurite's Blob service only
# (tests/servers/node_modules, see install.sh) on 127.0.0.1, data in memory,
# with the well-known development account devstoreaccount1.
#
#   eval "$(tests/servers/azurite.sh start)"   # prints export lines; reuses a running one
#   node tests/servers/azure-smoke.js          # SharedKey checks against it (TAP)
#   tests/servers/azurite.sh stop
#
# Logs in $S3D_SERVERS_DIR/azurite (default /tmp/s3dlua-servers-$UID); the port
# is picked free at start. S3D_AZURITE_TIMEOUT (s, default 30).
# azurite 3.35 on node 20: --inMemoryPersistence cannot be combined with
# --location, so it runs with its working directory in $DIR instead.
set -u
SERVER_NAME=azurite
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
DIR=$S3D_SERVERS_DIR/azurite
REQUIRED_CMDS="node curl flock setsid"
NODE_MODULES=azurite
TIMEOUT=${S3D_AZURITE_TIMEOUT:-30}
ACCOUNT=devstoreaccount1
KEY=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==

server_start() {
    local port
    port=$(free_ports 1) || fail "cannot find a free port"
    spawn azurite node "$SERVERS_HERE/node_modules/azurite/dist/src/blob/main.js" \
        --blobHost 127.0.0.1 --blobPort "$port" --inMemoryPersistence \
        --silent --disableTelemetry --skipApiVersionCheck
    wait_http "http://127.0.0.1:$port/$ACCOUNT?comp=list" "$TIMEOUT" azurite
    echo "http://127.0.0.1:$port/$ACCOUNT?comp=list" >"$DIR/health_url"
    cat >"$DIR/env" <<EOF
export AZURE_STORAGE_CONNECTION_STRING='DefaultEndpointsProtocol=http;AccountName=$ACCOUNT;AccountKey=$KEY;BlobEndpoint=http://127.0.0.1:$port/$ACCOUNT;'
export AZURE_STORAGE_ACCOUNT=$ACCOUNT
export AZURE_STORAGE_KEY=$KEY
export AZURE_STORAGE_BLOB_ENDPOINT=http://127.0.0.1:$port/$ACCOUNT
export S3D_AZURITE_DIR=$(printf %q "$DIR")
EOF
}

server_main "$@"
