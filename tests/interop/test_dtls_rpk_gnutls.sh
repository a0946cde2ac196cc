#!/usr/bin/env bash
# test_dtls_rpk_gnutls.sh - raw DTLS 1.2 interop of the coapsec engine
# (tests/dtls/dtls_driver) with gnutls-serv and gnutls-cli using RFC 7250 raw
# public keys on TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 (0xC0AE), mutual. Neither
# gnutls tool pins the peer's key (gnutls-cli needs --insecure), so the
# cases prove that OUR side checks it: the SPKI fingerprint we accepted
# equals SHA-256 of the peer's public key file, and an unlisted key is
# refused ("unknown raw public key (sha256:...)") by our client and our
# server. 0xC0AE is proven by gnutls-cli's Description line or, for
# gnutls-serv, by the ServerHello captured with tshark.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tshark.sh"
trap 'cap_stop_all; cs_cleanup' EXIT

require_cmd gnutls-serv gnutls-cli ss timeout openssl tshark
DRIVER=${COAPSEC_BUILD:-}/tests/dtls/dtls_driver
[ -x "$DRIVER" ] || die "dtls_driver not built at '$DRIVER' (target dtls_driver)"
K=$CS_TMP/keys
bash "$(dirname "$0")/keys.sh" "$K" || die "keys.sh failed"
P_RPK='NONE:+VERS-DTLS1.2:+AES-128-CCM-8:+AEAD:+ECDHE-ECDSA:+GROUP-SECP256R1:+SIGN-ECDSA-SHA256:+COMP-NULL:+CTYPE-SRV-RAWPK:+CTYPE-CLI-RAWPK'
DESC='(DTLS1.2-Raw Public Key)-(ECDHE-SECP256R1)-(ECDSA-SHA256)-(AES-128-CCM-8)'
fp() { openssl dgst -sha256 -r "$1" | cut -d' ' -f1; }
SRV_FP=$(fp "$K/server.pub.der")
CLI_FP=$(fp "$K/client.pub.der")

# our client -> gnutls-serv. $1 case, $2 the key we trust, $3 expected refusal
client_to_serv() {
    local name=$1 trust=$2 want_err=$3 port
    port=$(free_udp_port)
    start_bg "gs-$name" gnutls-serv --udp --port "$port" --echo --rawpkkeyfile "$K/server.pk8.key" \
        --rawpkfile "$K/server.pub.pem" --require-client-cert --priority "$P_RPK"
    local spid=$CS_LAST_PID
    wait_for_udp_port "$port"
    cap_start lo "$port" "$CS_TMP/cap-$port.pcapng" || die "cannot capture"
    (echo hello-rpk-from-coapsec; sleep 2) |
        timeout 20 "${CS_WRAP[@]}" "$DRIVER" client --rpk-key "$K/client.key" --rpk-trust "$K/$trust" --rpk-only \
            127.0.0.1 "$port" >"$CS_TMP/cl-$name.log" 2>&1
    local rc=$?
    sleep 0.3
    cap_stop
    stop_bg "$spid"
    local c="$CS_TMP/cl-$name.log" why="" suites
    suites=$(cap_suites "$CS_TMP/cap-$port.pcapng" "$port" | sort -u | tr '\n' ' ')
    [ "$suites" = "0xc0ae " ] || why="ServerHello suites on the wire: '$suites'"
    if [ -z "$want_err" ]; then
        [ $rc = 0 ] || why="$why; driver exit $rc"
        grep -q '^suite 0xC0AE' "$c" || why="$why; driver did not negotiate 0xC0AE"
        grep -q '^peer-auth rpk' "$c" || why="$why; not a raw public key"
        grep -q "^peer-key sha256:$SRV_FP\$" "$c" || why="$why; accepted key is not server.pub.der"
        grep -q '^recv: hello-rpk-from-coapsec' "$c" || why="$why; no echo"
    else
        [ $rc != 0 ] || why="$why; driver succeeded"
        grep -qF "error: $want_err" "$c" || why="$why; no '$want_err' refusal"
        grep -q '^suite' "$c" && why="$why; driver established"
    fi
    if [ -z "$why" ]; then pass "$name"; else
        fail "$name" "$why"
        sed 's/^/  gnutls-serv: /' "$CS_TMP/gs-$name.log" | tail -20
        sed 's/^/  driver: /' "$c"
    fi
}

# gnutls-cli -> our server. $1 case, $2 the key our server trusts, $3 refusal
cli_to_server() {
    local name=$1 trust=$2 want_err=$3 port
    port=$(free_udp_port)
    start_ours "srv-$name" "$DRIVER" server --rpk-key "$K/server.key" --rpk-trust "$K/$trust" \
        --rpk-only 127.0.0.1 "$port"
    local spid=$CS_LAST_PID
    wait_for_udp_port "$port"
    (echo hello-rpk-from-gnutls; sleep 2) |
        timeout 10 gnutls-cli --udp --port "$port" --rawpkkeyfile "$K/client.pk8.key" \
            --rawpkfile "$K/client.pub.pem" --priority "$P_RPK" --insecure 127.0.0.1 \
            >"$CS_TMP/gc-$name.log" 2>&1
    sleep 0.3
    stop_bg "$spid"
    local s="$CS_TMP/srv-$name.log" c="$CS_TMP/gc-$name.log" why=""
    if [ -z "$want_err" ]; then
        grep -qF "$DESC" "$c" || why="gnutls-cli did not report $DESC"
        grep -q '^suite 0xC0AE' "$s" || why="$why; server did not negotiate 0xC0AE"
        grep -q '^peer-auth rpk' "$s" || why="$why; not a raw public key"
        grep -q "^peer-key sha256:$CLI_FP\$" "$s" || why="$why; accepted key is not client.pub.der"
        grep -q '^recv: hello-rpk-from-gnutls' "$s" || why="$why; server did not get the data"
        grep -q '^hello-rpk-from-gnutls' "$c" || why="$why; gnutls-cli did not get the echo"
    else
        grep -qF "error: $want_err" "$s" || why="server did not refuse with '$want_err'"
        grep -q '^suite' "$s" && why="$why; server established"
    fi
    if [ -z "$why" ]; then pass "$name"; else
        fail "$name" "$why"
        sed 's/^/  gnutls-cli: /' "$c" | tail -25
        sed 's/^/  server: /' "$s"
    fi
}

client_to_serv "coapsec-client->gnutls-serv rpk" server.pub.der ""
cli_to_server "gnutls-cli->coapsec-server rpk" client.pub.pem ""
client_to_serv "coapsec-client refuses unknown server key" client.pub.der \
    "unknown raw public key (sha256:$SRV_FP)"
cli_to_server "coapsec-server refuses unknown client key" server.pub.pem \
    "unknown raw public key (sha256:$CLI_FP)"
finish
