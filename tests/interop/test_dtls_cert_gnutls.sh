#!/usr/bin/env bash
# test_dtls_cert_gnutls.sh - raw DTLS 1.2 interop of the coapsec engine
# (tests/dtls/dtls_driver) with GnuTLS's gnutls-serv and gnutls-cli on
# TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 (0xC0AE), X.509 P-256 certificates,
# mutual authentication (RFC 5246 §7.4, RFC 8422): data both ways, the
# identities validated on each side, one case at a 256-byte MTU, and a
# gnutls-cli with an untrusted certificate refused by our server. Every
# successful case proves 0xC0AE: gnutls-cli's Description line, or for
# gnutls-serv (which does not log it) the ServerHello captured by tshark.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tshark.sh"
trap 'cap_stop_all; cs_cleanup' EXIT

require_cmd gnutls-serv gnutls-cli ss timeout openssl tshark
DRIVER=${COAPSEC_BUILD:-}/tests/dtls/dtls_driver
[ -x "$DRIVER" ] || die "dtls_driver not built at '$DRIVER' (target dtls_driver)"
K=$CS_TMP/keys
bash "$(dirname "$0")/keys.sh" "$K" || die "keys.sh failed"
P_X509='NONE:+VERS-DTLS1.2:+AES-128-CCM-8:+AEAD:+ECDHE-ECDSA:+GROUP-SECP256R1:+SIGN-ECDSA-SHA256:+COMP-NULL:+CTYPE-X509'
DESC='(DTLS1.2-X.509)-(ECDHE-SECP256R1)-(ECDSA-SHA256)-(AES-128-CCM-8)'

# our client -> gnutls-serv (echo). $1 case, $2 mtu
client_to_serv() {
    local name=$1 mtu=$2 port
    port=$(free_udp_port)
    local mtu_d=() mtu_g=()
    [ -n "$mtu" ] && mtu_d=(--mtu "$mtu") && mtu_g=(--mtu "$mtu")
    # gnutls-serv listens on every address: we only ever talk to 127.0.0.1
    start_bg "gs-$name" gnutls-serv --udp --port "$port" --echo --x509certfile "$K/server.crt" \
        --x509keyfile "$K/server.key" --x509cafile "$K/ca.crt" --require-client-cert \
        --verify-client-cert --priority "$P_X509" "${mtu_g[@]}"
    local spid=$CS_LAST_PID
    wait_for_udp_port "$port"
    cap_start lo "$port" "$CS_TMP/cap-$port.pcapng" || die "cannot capture"
    (echo hello-from-coapsec-client; sleep 2) |
        timeout 20 "${CS_WRAP[@]}" "$DRIVER" client --cert "$K/client.crt" --key "$K/client.key" --ca "$K/ca.crt" \
            "${mtu_d[@]}" 127.0.0.1 "$port" >"$CS_TMP/cl-$name.log" 2>&1
    local rc=$?
    sleep 0.3
    cap_stop
    stop_bg "$spid"
    local s="$CS_TMP/gs-$name.log" c="$CS_TMP/cl-$name.log" why="" suites
    suites=$(cap_suites "$CS_TMP/cap-$port.pcapng" "$port" | sort -u | tr '\n' ' ')
    [ $rc = 0 ] || why="driver exit $rc"
    [ "$suites" = "0xc0ae " ] || why="$why; ServerHello suites on the wire: '$suites'"
    # gnutls-serv runs with --require-client-cert --verify-client-cert: the
    # echo only comes back after it verified our certificate.
    grep -q '^suite 0xC0AE' "$c" || why="$why; driver did not negotiate 0xC0AE"
    grep -q '^peer-name localhost' "$c" || why="$why; driver did not validate the server"
    grep -q '^recv: hello-from-coapsec-client' "$c" || why="$why; no echo"
    if [ -n "$mtu" ]; then
        local m
        m=$(sed -n 's/^max-dgram //p' "$c" | head -1)
        [ -n "$m" ] && [ "$m" -le "$mtu" ] || why="$why; our datagrams exceed MTU ($m)"
    fi
    if [ -z "$why" ]; then pass "$name"; else
        fail "$name" "$why"
        sed 's/^/  gnutls-serv: /' "$s" | tail -20
        sed 's/^/  driver: /' "$c"
    fi
}

# gnutls-cli -> our server. $1 case, $2 client cert name, $3 expected refusal
cli_to_server() {
    local name=$1 ccert=$2 want_err=$3 port
    port=$(free_udp_port)
    start_ours "srv-$name" "$DRIVER" server --cert "$K/server.crt" --key "$K/server.key" \
        --ca "$K/ca.crt" 127.0.0.1 "$port"
    local spid=$CS_LAST_PID
    wait_for_udp_port "$port"
    (echo hello-from-gnutls-cli; sleep 2) |
        timeout 10 gnutls-cli --udp --port "$port" --x509cafile "$K/ca.crt" \
            --x509certfile "$K/$ccert.crt" --x509keyfile "$K/$ccert.key" --priority "$P_X509" \
            127.0.0.1 >"$CS_TMP/gc-$name.log" 2>&1
    sleep 0.3
    stop_bg "$spid"
    local s="$CS_TMP/srv-$name.log" c="$CS_TMP/gc-$name.log" why=""
    if [ -z "$want_err" ]; then
        grep -qF "$DESC" "$c" || why="gnutls-cli did not report $DESC"
        grep -q 'The certificate is trusted' "$c" || why="$why; gnutls-cli did not trust our chain"
        grep -q '^suite 0xC0AE' "$s" || why="$why; server did not negotiate 0xC0AE"
        grep -q '^peer-name coapsec-test-client' "$s" || why="$why; server did not validate the client"
        grep -q '^recv: hello-from-gnutls-cli' "$s" || why="$why; server did not get the data"
        grep -q '^hello-from-gnutls-cli' "$c" || why="$why; gnutls-cli did not get the echo"
    else
        grep -q "^error: .*$want_err" "$s" || why="server did not refuse with '$want_err'"
        grep -q '^suite' "$s" && why="$why; server established"
    fi
    if [ -z "$why" ]; then pass "$name"; else
        fail "$name" "$why"
        sed 's/^/  gnutls-cli: /' "$c" | tail -25
        sed 's/^/  server: /' "$s"
    fi
}

client_to_serv "coapsec-client->gnutls-serv" ""
cli_to_server "gnutls-cli->coapsec-server" client ""
client_to_serv "coapsec-client->gnutls-serv mtu256" 256
cli_to_server "coapsec-server refuses rogue client" rogue "untrusted CA"
finish
