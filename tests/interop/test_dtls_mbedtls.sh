#!/usr/bin/env bash
# test_dtls_mbedtls.sh - raw DTLS 1.2 interop of the coapsec engine
# (tests/dtls/dtls_driver) with Mbed TLS 2.28 (tests/interop/peers/
# mbedtls_peer.c, build target mbedtls_peer), both directions:
#   - TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 (0xC0AE) with X.509 P-256
#     certificates and mutual authentication (RFC 7251, RFC 8422), also at
#     a 256-byte MTU (fragmented Certificate flights, RFC 6347 §4.2.3);
#   - TLS_PSK_WITH_AES_128_CCM_8 (0xC0A8, RFC 4279 + RFC 6655).
# Each case checks data both ways and the suite reported by mbedtls_peer
# itself ("suite <name> 0x<hex>") and by our driver.
set -u
. "$(dirname "$0")/lib.sh"

require_cmd ss timeout openssl
DRIVER=${COAPSEC_BUILD:-}/tests/dtls/dtls_driver
PEER=${COAPSEC_BUILD:-}/tests/interop/mbedtls_peer
[ -x "$DRIVER" ] || die "dtls_driver not built at '$DRIVER' (target dtls_driver)"
[ -x "$PEER" ] || die "mbedtls_peer not built at '$PEER' (target mbedtls_peer)"
K=$CS_TMP/keys
bash "$(dirname "$0")/keys.sh" "$K" || die "keys.sh failed"
ID=Client_identity
HEX=73656372657450534b

# $1 mode (cert|psk) -> credentials for our side / for mbedtls_peer, per role
ours() { # $1 mode $2 role
    if [ "$1" = psk ]; then echo "--psk-id $ID --psk-hex $HEX"; else
        echo "--cert $K/$2.crt --key $K/$2.key --ca $K/ca.crt"
    fi
}
theirs() {
    if [ "$1" = psk ]; then echo "--psk-id $ID --psk-hex $HEX"; else
        echo "--cert $K/$2.crt --key $K/$2.key --ca $K/ca.crt"
    fi
}

# our client -> mbedtls_peer server. $1 case, $2 mode, $3 mtu
client_to_peer() {
    local name=$1 mode=$2 mtu=$3 port want
    port=$(free_udp_port)
    want=$([ "$mode" = psk ] && echo 0xC0A8 || echo 0xC0AE)
    local mtu_a=()
    [ -n "$mtu" ] && mtu_a=(--mtu "$mtu")
    # shellcheck disable=SC2046
    start_bg "mp-$name" "$PEER" server --host 127.0.0.1 --port "$port" $(theirs "$mode" server) \
        "${mtu_a[@]}" --count 1 --timeout 15
    local spid=$CS_LAST_PID
    wait_for_udp_port "$port"
    # shellcheck disable=SC2046
    (echo hello-from-coapsec-client; sleep 2) |
        timeout 20 "${CS_WRAP[@]}" "$DRIVER" client $(ours "$mode" client) "${mtu_a[@]}" 127.0.0.1 "$port" \
            >"$CS_TMP/cl-$name.log" 2>&1
    local rc=$?
    sleep 0.3
    stop_bg "$spid"
    local s="$CS_TMP/mp-$name.log" c="$CS_TMP/cl-$name.log" why=""
    [ $rc = 0 ] || why="driver exit $rc"
    grep -qi "^suite .* $want" "$s" || why="$why; mbedtls_peer did not report $want"
    grep -q "^suite $want" "$c" || why="$why; driver did not negotiate $want"
    grep -q '^recv: hello-from-coapsec-client' "$c" || why="$why; no echo"
    if [ "$mode" = cert ]; then
        grep -q '^peer-cert .*coapsec-test-client' "$s" || why="$why; mbedtls_peer did not verify us"
        grep -q '^peer-name localhost' "$c" || why="$why; driver did not validate the server"
    fi
    if [ -n "$mtu" ]; then
        local m
        m=$(sed -n 's/^max-dgram //p' "$c" | head -1)
        [ -n "$m" ] && [ "$m" -le "$mtu" ] || why="$why; our datagrams exceed MTU ($m)"
    fi
    if [ -z "$why" ]; then pass "$name"; else
        fail "$name" "$why"
        sed 's/^/  mbedtls_peer: /' "$s" | tail -20
        sed 's/^/  driver: /' "$c"
    fi
}

# mbedtls_peer client -> our server. $1 case, $2 mode, $3 mtu
peer_to_server() {
    local name=$1 mode=$2 mtu=$3 port want
    port=$(free_udp_port)
    want=$([ "$mode" = psk ] && echo 0xC0A8 || echo 0xC0AE)
    local mtu_a=() name_a=()
    [ -n "$mtu" ] && mtu_a=(--mtu "$mtu")
    [ "$mode" = cert ] && name_a=(--name localhost)
    # shellcheck disable=SC2046
    start_ours "srv-$name" "$DRIVER" server $(ours "$mode" server) "${mtu_a[@]}" 127.0.0.1 "$port"
    local spid=$CS_LAST_PID
    wait_for_udp_port "$port"
    # shellcheck disable=SC2046
    echo hello-from-mbedtls |
        timeout 20 "$PEER" client --host 127.0.0.1 --port "$port" $(theirs "$mode" client) \
            "${name_a[@]}" "${mtu_a[@]}" --timeout 10 >"$CS_TMP/mc-$name.out" \
            2>"$CS_TMP/mc-$name.log"
    local rc=$?
    sleep 0.3
    stop_bg "$spid"
    local s="$CS_TMP/srv-$name.log" c="$CS_TMP/mc-$name.log" why=""
    [ $rc = 0 ] || why="mbedtls_peer exit $rc"
    grep -qi "^suite .* $want" "$c" || why="$why; mbedtls_peer did not report $want"
    grep -q "^suite $want" "$s" || why="$why; server did not negotiate $want"
    grep -q '^recv: hello-from-mbedtls' "$s" || why="$why; server did not get the data"
    grep -q '^hello-from-mbedtls' "$CS_TMP/mc-$name.out" || why="$why; mbedtls_peer got no echo"
    if [ "$mode" = cert ]; then
        grep -q '^peer-name coapsec-test-client' "$s" || why="$why; server did not validate the client"
    else
        grep -q "^identity $ID" "$s" || why="$why; server did not see the PSK identity"
    fi
    if [ -n "$mtu" ]; then
        local m
        m=$(sed -n 's/^max-dgram //p' "$s" | head -1)
        [ -n "$m" ] && [ "$m" -le "$mtu" ] || why="$why; our datagrams exceed MTU ($m)"
    fi
    if [ -z "$why" ]; then pass "$name"; else
        fail "$name" "$why"
        sed 's/^/  mbedtls_peer: /' "$c" | tail -20
        sed 's/^/  server: /' "$s"
    fi
}

client_to_peer "coapsec-client->mbedtls cert" cert ""
peer_to_server "mbedtls->coapsec-server cert" cert ""
client_to_peer "coapsec-client->mbedtls cert mtu256" cert 256
peer_to_server "mbedtls->coapsec-server cert mtu256" cert 256
client_to_peer "coapsec-client->mbedtls psk" psk ""
peer_to_server "mbedtls->coapsec-server psk" psk ""
finish
