#!/usr/bin/env bash
# test_dtls_cert_openssl.sh - raw DTLS 1.2 interop of the coapsec engine
# (tests/dtls/dtls_driver) with OpenSSL's s_server and s_client on
# TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 (0xC0AE), X.509 P-256 certificates and
# mutual authentication (RFC 5246 §7.4, RFC 8422): data both ways, the peer
# identity each side validated, at the full MTU and at a 256-byte MTU (our
# Certificate flight fragmented), plus refusals of an untrusted, expired and
# misnamed server certificate by our client. Fixtures: keys.sh. Every
# successful case proves 0xC0AE from the peer's own report.
set -u
. "$(dirname "$0")/lib.sh"

require_cmd openssl ss timeout
DRIVER=${COAPSEC_BUILD:-}/tests/dtls/dtls_driver
[ -x "$DRIVER" ] || die "dtls_driver not built at '$DRIVER' (target dtls_driver)"
K=$CS_TMP/keys
bash "$(dirname "$0")/keys.sh" "$K" || die "keys.sh failed"
OSSL=(-cipher 'ECDHE-ECDSA-AES128-CCM8' -groups P-256 -sigalgs ECDSA+SHA256)

# our client -> s_server. $1 case, $2 mtu, $3 server cert name, $4 our --name,
# $5 expected error text ("" = must succeed)
client_to_s_server() {
    local name=$1 mtu=$2 scert=$3 dial=$4 want_err=$5 port
    port=$(free_udp_port)
    local mtu_o="" mtu_d=()
    [ -n "$mtu" ] && mtu_o="-mtu $mtu" && mtu_d=(--mtu "$mtu")
    start_bg "ss-$name" bash -c "(sleep 2; echo hello-from-openssl-server; sleep 30) | \
        exec openssl s_server -dtls1_2 -accept 127.0.0.1:$port -cert $K/$scert.crt \
        -key $K/$scert.key -CAfile $K/ca.crt -Verify 1 -verify_return_error ${OSSL[*]} $mtu_o"
    local spid=$CS_LAST_PID
    wait_for_udp_port "$port"
    (echo hello-from-coapsec-client; sleep 4) |
        timeout 20 "${CS_WRAP[@]}" "$DRIVER" client --cert "$K/client.crt" --key "$K/client.key" --ca "$K/ca.crt" \
            --name "$dial" "${mtu_d[@]}" 127.0.0.1 "$port" >"$CS_TMP/cl-$name.log" 2>&1
    local rc=$?
    sleep 0.3
    stop_bg "$spid"
    local s="$CS_TMP/ss-$name.log" c="$CS_TMP/cl-$name.log" why=""
    if [ -z "$want_err" ]; then
        [ $rc = 0 ] || why="driver exit $rc"
        grep -q 'CIPHER is ECDHE-ECDSA-AES128-CCM8' "$s" || why="$why; s_server did not report ECDHE-ECDSA-AES128-CCM8"
        grep -q 'subject=CN = coapsec-test-client' "$s" || why="$why; s_server did not verify our certificate"
        grep -q '^suite 0xC0AE' "$c" || why="$why; driver did not negotiate 0xC0AE"
        grep -q '^peer-auth x509' "$c" || why="$why; driver did not validate the chain"
        grep -q '^peer-name localhost' "$c" || why="$why; wrong peer name"
        grep -q 'hello-from-coapsec-client' "$s" || why="$why; s_server did not get our data"
        grep -q '^recv: hello-from-openssl-server' "$c" || why="$why; we did not get s_server's data"
        if [ -n "$mtu" ]; then
            local m
            m=$(sed -n 's/^max-dgram //p' "$c" | head -1)
            [ -n "$m" ] && [ "$m" -le "$mtu" ] || why="$why; our datagrams exceed MTU ($m)"
        fi
    else
        [ $rc != 0 ] || why="driver succeeded"
        grep -q "^error: .*$want_err" "$c" || why="$why; no '$want_err' refusal"
        grep -q '^suite' "$c" && why="$why; driver established"
    fi
    if [ -z "$why" ]; then pass "$name"; else
        fail "$name" "$why"
        sed 's/^/  s_server: /' "$s" | tail -20
        sed 's/^/  driver: /' "$c"
    fi
}

# s_client -> our server. $1 case, $2 mtu, $3 client cert name, $4 expected result
s_client_to_server() {
    local name=$1 mtu=$2 ccert=$3 want_err=$4 port
    port=$(free_udp_port)
    local mtu_o=() mtu_d=()
    [ -n "$mtu" ] && mtu_o=(-mtu "$mtu") && mtu_d=(--mtu "$mtu")
    start_ours "srv-$name" "$DRIVER" server --cert "$K/server.crt" --key "$K/server.key" \
        --ca "$K/ca.crt" "${mtu_d[@]}" 127.0.0.1 "$port"
    local spid=$CS_LAST_PID
    wait_for_udp_port "$port"
    (echo hello-from-openssl-client; sleep 2) |
        timeout 10 openssl s_client -dtls1_2 -connect 127.0.0.1:"$port" -cert "$K/$ccert.crt" \
            -key "$K/$ccert.key" -CAfile "$K/ca.crt" -verify_return_error -verify_ip 127.0.0.1 \
            "${OSSL[@]}" "${mtu_o[@]}" >"$CS_TMP/sc-$name.log" 2>&1
    sleep 0.3
    stop_bg "$spid"
    local s="$CS_TMP/srv-$name.log" c="$CS_TMP/sc-$name.log" why=""
    if [ -z "$want_err" ]; then
        grep -q 'Cipher is ECDHE-ECDSA-AES128-CCM8' "$c" || why="s_client did not report ECDHE-ECDSA-AES128-CCM8"
        grep -q 'Verify return code: 0 (ok)' "$c" || why="$why; s_client did not verify our chain"
        grep -q '^suite 0xC0AE' "$s" || why="$why; server did not negotiate 0xC0AE"
        grep -q '^peer-name coapsec-test-client' "$s" || why="$why; server did not validate the client"
        grep -q '^recv: hello-from-openssl-client' "$s" || why="$why; server did not get the data"
        grep -q '^hello-from-openssl-client' "$c" || why="$why; s_client did not get the echo"
        if [ -n "$mtu" ]; then
            local m
            m=$(sed -n 's/^max-dgram //p' "$s" | head -1)
            [ -n "$m" ] && [ "$m" -le "$mtu" ] || why="$why; our datagrams exceed MTU ($m)"
        fi
    else
        grep -q "^error: .*$want_err" "$s" || why="server did not refuse with '$want_err'"
        grep -q '^suite' "$s" && why="$why; server established"
        grep -qi 'alert' "$c" || why="$why; s_client got no alert"
    fi
    if [ -z "$why" ]; then pass "$name"; else
        fail "$name" "$why"
        sed 's/^/  s_client: /' "$c" | tail -25
        sed 's/^/  server: /' "$s"
    fi
}

client_to_s_server "coapsec-client->s_server" "" server 127.0.0.1 ""
s_client_to_server "s_client->coapsec-server" "" client ""
client_to_s_server "coapsec-client->s_server dns-name" "" server localhost ""
client_to_s_server "coapsec-client->s_server mtu256" 256 server 127.0.0.1 ""
s_client_to_server "s_client->coapsec-server mtu256" 256 client ""
client_to_s_server "coapsec-client refuses rogue CA" "" rogue 127.0.0.1 "untrusted CA"
client_to_s_server "coapsec-client refuses expired" "" expired 127.0.0.1 "certificate expired"
client_to_s_server "coapsec-client refuses other name" "" otherhost 127.0.0.1 "name mismatch: dialled 127.0.0.1"
s_client_to_server "coapsec-server refuses rogue client" "" rogue "untrusted CA"
finish
