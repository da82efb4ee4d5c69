#!/usr/bin/env bash
# s3:// against real servers started here on 127.0.0.1: s3rver (lenient, quick)
# and Ceph radosgw (strict: checks SigV4, exact S3 semantics). For each: the
# Lua suite (tests/s3/suite.lua), the CLI, interop with an independent client
# (curl's own SigV4), a wrong secret, and a server killed mid-transfer.
. "$(dirname "$0")/lib.sh"
SERVERS=$(cd "$(dirname "$0")/../servers" && pwd)
SUITE=$(cd "$(dirname "$0")/../s3" && pwd)/suite.lua
export S3D_SERVERS_DIR="$T/servers"
cd "$T" || exit 1
"$SERVERS/install.sh" >/dev/null || { echo "Bail out! cannot install the test servers"; exit 1; }

# curl_s3 METHOD URL [BODY_FILE]: curl's own SigV4 (it needs x-amz-content-sha256 given)
curl_s3() {
    local sha body=()
    if [ -n "${3:-}" ]; then
        sha=$(sha256sum <"$3" | cut -c1-64)
        body=(--data-binary "@$3")
    else
        sha=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
    fi
    curl -sS --noproxy '*' --max-time 30 -X "$1" -o "$T/curl.out" -w '%{http_code}' \
        --aws-sigv4 "aws:amz:${AWS_REGION:-us-east-1}:s3" \
        --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
        -H "x-amz-content-sha256: $sha" "${body[@]}" "$2"
}

# without an endpoint: AWS, virtual-hosted (path-style for bucket names with dots);
# nothing is reachable here, so the error shows which host was asked
out=$(env -u AWS_ENDPOINT_URL -u AWS_ENDPOINT_URL_S3 AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=y \
    AWS_REGION=eu-west-1 AWS_CONFIG_FILE=/nonexistent "$S3DLUA" -vvv stat s3://my-bucket/k 2>&1)
has "AWS endpoints are virtual-hosted" "https://my-bucket.s3.eu-west-1.amazonaws.com/k" "$out"
out=$(env -u AWS_ENDPOINT_URL -u AWS_ENDPOINT_URL_S3 AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=y \
    AWS_REGION=eu-west-1 AWS_CONFIG_FILE=/nonexistent "$S3DLUA" -vvv stat s3://my.dotted.bucket/k 2>&1)
has "a bucket with dots is path-style on AWS" "https://s3.eu-west-1.amazonaws.com/my.dotted.bucket/k" "$out"

for server in s3rver radosgw; do
    if ! env_lines=$("$SERVERS/$server.sh" start </dev/null 2>"$T/start.err"); then
        fail "$server starts" "$(tail -5 "$T/start.err")"
        continue
    fi
    eval "$env_lines"
    pass "$server starts"
    B="s3dlua-$server-$$"

    # the Lua suite through each HTTP client (ours for http://, libcurl), its
    # TAP lines re-numbered into ours
    for client in native curl; do
        S3DLUA_HTTP_CLIENT=$client "$S3DLUA" run "$SUITE" "$server" "$B-$client" \
            >"$T/suite.out" 2>"$T/suite.err"
        src=$?
        while IFS= read -r line; do
            case "$line" in
            "ok "*) pass "$server, $client: ${line#ok * - }" ;;
            "not ok "*) fail "$server, $client: ${line#not ok * - }" ;;
            "#   "*) echo "$line" ;;
            esac
        done <"$T/suite.out"
        [ "$src" -eq 0 ] || fail "$server, $client: suite exits 0" "$(tail -5 "$T/suite.err")"
    done

    # CLI
    C="c-$B"
    s mb "s3://$C"
    is "$server: mb exits 0" 0 "$rc"
    mkdir -p tree/sub && printf 'one' >tree/1.txt && printf 'two' >tree/sub/2.txt
    head -c 9000000 /dev/urandom >tree/sub/big.bin
    s cp -r tree/ "s3://$C/up/" -j 4
    is "$server: cp -r file -> s3 exits 0" 0 "$rc"
    s ls -r "s3://$C/up/"
    is "$server: ls -r lists what cp uploaded" 3 "$(echo "$out" | grep -c "s3://$C/up/")"
    s ls --json "s3://$C/up/"
    has "$server: ls --json shows the prefix" '"key":"sub/"' "$out"
    s stat "s3://$C/up/sub/big.bin"
    has "$server: stat size" "size:  9000000" "$out"
    s cp -r "s3://$C/up/" down/
    is "$server: cp -r s3 -> file exits 0" 0 "$rc"
    diff -r tree down >/dev/null && pass "$server: the round trip is identical" ||
        fail "$server: the round trip is identical"
    s cp -r "s3://$C/up/" "s3://$C/copy/"
    is "$server: cp -r s3 -> s3 exits 0" 0 "$rc"
    s get "s3://$C/copy/sub/big.bin" -o big.back
    cmp -s big.back tree/sub/big.bin && pass "$server: s3 -> s3 copy is identical" ||
        fail "$server: s3 -> s3 copy is identical"
    s get "s3://$C/up/1.txt"
    is "$server: get to stdout" "one" "$out"
    s get "s3://$C/up/missing"
    is "$server: get of a missing key exits 1" 1 "$rc"
    has "$server: the error names command, URI and status" "s3dlua: get s3://$C/up/missing: not found (HTTP 404)" "$err"

    # interop: ours read by curl, curl's read by us
    code=$(curl_s3 GET "$AWS_ENDPOINT_URL/$C/up/sub/big.bin")
    is "$server: curl reads what we wrote (HTTP)" 200 "$code"
    cmp -s "$T/curl.out" tree/sub/big.bin && pass "$server: curl gets our bytes" ||
        fail "$server: curl gets our bytes"
    printf 'written by curl' >curl-body.txt
    code=$(curl_s3 PUT "$AWS_ENDPOINT_URL/$C/from-curl.txt" curl-body.txt)
    is "$server: curl writes an object (HTTP)" 200 "$code"
    s get "s3://$C/from-curl.txt"
    is "$server: we read what curl wrote" "written by curl" "$out"

    if [ "$server" = radosgw ]; then
        AWS_SECRET_ACCESS_KEY=wrong-secret s get "s3://$C/up/1.txt"
        is "$server: a wrong secret exits 1" 1 "$rc"
        has "$server: a wrong secret is signature_mismatch (HTTP 403 SignatureDoesNotMatch)" \
            "HTTP 403 SignatureDoesNotMatch" "$err"
        lacks "$server: the secret is not printed" "wrong-secret" "$err"
        AWS_SESSION_TOKEN=session-token-value s -vvv get "s3://$C/up/1.txt"
        has "$server: -vvv traces the requests" "GET /$C/up/1.txt" "$err"
        has "$server: the trace shows a token header was sent" "x-amz-security-token: [redacted]" "$err"
        lacks "$server: the session token is never printed" "session-token-value" "$err"
        lacks "$server: nor the signature" "Signature=" "$err"

        # the AWS CLI's files: a named profile with keys, region and endpoint
        mkdir -p home/.aws
        printf '[bench]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
            "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" >home/.aws/credentials
        printf '[profile bench]\nregion = us-east-1\nendpoint_url = %s\n' "$AWS_ENDPOINT_URL" \
            >home/.aws/config
        out=$(env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_ENDPOINT_URL -u AWS_REGION \
            -u AWS_DEFAULT_REGION HOME="$T/home" AWS_PROFILE=bench "$S3DLUA" get "s3://$C/up/1.txt" 2>&1)
        is "$server: credentials, region and endpoint from ~/.aws (AWS_PROFILE)" "one" "$out"
        out=$(env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_ENDPOINT_URL HOME="$T/home" \
            AWS_PROFILE=nosuch "$S3DLUA" --endpoint-url "$AWS_ENDPOINT_URL" get "s3://$C/up/1.txt" 2>&1)
        has "$server: an unknown profile means no credentials: refused" "HTTP 403 AccessDenied" "$out"

        # store options: 5 MiB parts, 2 in flight -> a 12 MiB object has 3 parts
        s -e "local st = assert(s3d.open('s3://$C/', {part_size = '5MiB', part_concurrency = 2}))
              local w = assert(st:writer('opt/12m.bin'))
              local mib = string.rep('m', 1048576)
              for _ = 1, 12 do assert(w:write(mib)) end
              assert(w:commit())
              local info = assert(st:stat('opt/12m.bin'))
              print(info.size, info.etag)"
        has "$server: part_size/part_concurrency options give 3 parts" "12582912	" "$out"
        has "$server: the ETag counts the parts" '-3"' "$out"
        # a put above multipart_threshold is a multipart upload straight from the buffer
        s -e "local st = assert(s3d.open('s3://$C/', {part_size = '5MiB', multipart_threshold = '8MiB'}))
              local body = string.rep('0123456789abcdef', 1048576) -- 16 MiB
              print(assert(st:put('opt/put16m.bin', body)))
              local info = assert(st:stat('opt/put16m.bin'))
              print(info.size, info.etag)
              print(st:get('opt/put16m.bin'):tostring() == body)"
        has "$server: a 16 MiB put returns its size" "16777216" "$out"
        has "$server: it went up as 4 parts of 5 MiB" '-4"' "$out"
        has "$server: and reads back identical" "true" "$out"
        s -e "s3d.open('s3://$C/', {part_size = '1MiB'})"
        is "$server: a bad option raises" 1 "$rc"
        has "$server: the bad option is named" "part_size '1MiB': 5 MiB to 5 GiB" "$err"
        s rm -r "s3://$C/opt/"
        s -e "local st = s3d.open('s3://$C/'); local _, e = st:get('up/1.txt'); print(e and e.code)"
        is "$server: the Lua code of a good request is nil" "nil" "$out"
        AWS_SECRET_ACCESS_KEY=wrong-secret s -e "local _, e = s3d.open('s3://$C/'):get('up/1.txt'); print(e and e.code)"
        is "$server: Lua sees signature_mismatch" "signature_mismatch" "$out"
    fi

    s rm -r "s3://$C/"
    is "$server: rm -r exits 0" 0 "$rc"
    s rb "s3://$C"
    is "$server: rb of the emptied bucket exits 0" 0 "$rc"
    s ls "s3://$C/"
    has "$server: the bucket is gone" "NoSuchBucket" "$err"

    if [ "$server" = s3rver ]; then
        # TLS: verification on by default, --ca-bundle, and verify_tls=false
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=s3dlua-test-ca \
            -keyout ca.key -out ca.pem >/dev/null 2>&1
        openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout srv.key -out srv.csr \
            >/dev/null 2>&1
        printf 'subjectAltName=IP:127.0.0.1\n' >san.ext
        openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
            -extfile san.ext -out srv.pem >/dev/null 2>&1
        port=${AWS_ENDPOINT_URL##*:}
        node "$SERVERS/tls-proxy.js" srv.pem srv.key "$port" >tls.port 2>tls.err &
        tlspid=$!
        for _ in $(seq 50); do [ -s tls.port ] && break; sleep 0.1; done
        TLS_EP="https://127.0.0.1:$(cat tls.port)"
        s mb "s3://t-$B"
        env -u AWS_CA_BUNDLE -u CURL_CA_BUNDLE "$S3DLUA" --endpoint-url "$TLS_EP" ls "s3://t-$B/" \
            >tls.out 2>&1
        tls_rc=$?
        is "$server over TLS: an unknown CA is refused (exit 1)" 1 "$tls_rc"
        has "$server over TLS: the error says the certificate is not trusted" "certificate" \
            "$(cat tls.out)"
        s --endpoint-url "$TLS_EP" --ca-bundle ca.pem put tree/1.txt "s3://t-$B/one.txt"
        is "$server over TLS: --ca-bundle trusts the test CA" 0 "$rc"
        s --endpoint-url "$TLS_EP" --ca-bundle ca.pem get "s3://t-$B/one.txt"
        is "$server over TLS: the object comes back" "one" "$out"
        out=$(env -u AWS_CA_BUNDLE "$S3DLUA" -e "local st = assert(s3d.open('s3://t-$B/',
            {endpoint = '$TLS_EP', verify_tls = false})) print(st:get('one.txt'):tostring())" 2>&1)
        is "$server over TLS: verify_tls=false skips verification" "one" "$out"
        kill "$tlspid" 2>/dev/null

        # a server killed mid-transfer: an error, no hang, no file left behind
        s mb "s3://k-$B"
        head -c 200000000 /dev/zero >huge.bin
        s put huge.bin "s3://k-$B/huge.bin"
        is "$server: a 200 MB put" 0 "$rc"
        "$S3DLUA" get "s3://k-$B/huge.bin" -o killed.bin 2>killed.err &
        getpid=$!
        sleep 0.3
        pkill -9 -f "s3rver.*$S3D_SERVERS_DIR" || true
        start=$SECONDS
        wait "$getpid"
        grc=$?
        is "$server: a get cut by a dead server exits 1" 1 "$grc"
        [ $((SECONDS - start)) -lt 30 ] && pass "$server: it does not hang" || fail "$server: it hung"
        [ ! -e killed.bin ] && pass "$server: no partial file is left as if complete" ||
            fail "$server: a partial file was left" "$(ls -la killed.bin)"
        has "$server: the error names the URI" "s3://k-$B/huge.bin" "$(cat killed.err)"
        rm -f huge.bin
    fi
    "$SERVERS/$server.sh" stop >/dev/null 2>&1
done
finish
