#!/usr/bin/env bash
# test_dtls_psk_gnutls.sh - raw DTLS 1.2 interop of the coapsec engine
# (tests/dtls/dtls_driver) with GnuTLS's gnutls-serv (echo) and gnutls-cli,
# forced to TLS_PSK_WITH_AES_128_CCM_8 (0xC0A8): data both ways, at the full
# MTU and at a 256-byte MTU on both sides, plus a wrong key (our server must
# answer with a fatal bad_record_mac). Every case proves the suite from the
# peer's own report ("(PSK)-(AES-128-CCM-8)" or the echo of our data).
set -u
. "$(dirname "$0")/lib.sh"

require_cmd gnutls-serv gnutls-cli ss timeout
DRIVER=${COAPSEC_BUILD:-}/tests/dtls/dtls_driver
[ -x "$DRIVER" ] || die "dtls_driver not built at '$DRIVER' (target dtls_driver)"

ID=Client_identity
KEY=73656372657450534b # "secretPSK"
PRIO='NONE:+VERS-DTLS1.2:+AES-128-CCM-8:+AEAD:+PSK:+COMP-NULL:+SIGN-ALL:+GROUP-SECP256R1'
echo "$ID:$KEY" >"$CS_TMP/psk.txt"

# our client -> gnutls-serv --echo (it binds 0.0.0.0: we talk to 127.0.0.1 only).
client_to_gnutls_serv() {
    local name=$1 mtu=$2 port
    port=$(free_udp_port)
    local mtu_o=() mtu_d=()
    [ -n "$mtu" ] && mtu_o=(--mtu "$mtu") && mtu_d=(--mtu "$mtu")
    start_bg "gs-$name" gnutls-serv -d 4 --udp --port "$port" --echo --pskpasswd "$CS_TMP/psk.txt" \
        --pskhint oneM2M --priority "$PRIO" "${mtu_o[@]}"
    local spid=$CS_LAST_PID
    wait_for_udp_port "$port"
    (echo hello-from-coapsec-client; sleep 1) |
        timeout 20 "${CS_WRAP[@]}" "$DRIVER" client --psk-id $ID --psk-hex $KEY "${mtu_d[@]}" 127.0.0.1 "$port" \
            >"$CS_TMP/cl-$name.log" 2>&1
    local rc=$?
    sleep 0.3
    stop_bg "$spid"
    local s="$CS_TMP/gs-$name.log" c="$CS_TMP/cl-$name.log" why=""
    [ $rc = 0 ] || why="driver exit $rc"
    grep -q 'Selected cipher suite: GNUTLS_PSK_AES_128_CCM_8' "$s" ||
        why="$why; gnutls-serv did not report GNUTLS_PSK_AES_128_CCM_8"
    grep -q '^suite 0xC0A8' "$c" || why="$why; driver did not negotiate 0xC0A8"
    grep -q 'hello-from-coapsec-client' "$s" || why="$why; gnutls-serv did not get our data"
    grep -q '^recv: hello-from-coapsec-client' "$c" || why="$why; no echo from gnutls-serv"
    if [ -n "$mtu" ]; then
        local m
        m=$(sed -n 's/^max-dgram //p' "$c" | head -1)
        [ -n "$m" ] && [ "$m" -le "$mtu" ] || why="$why; our datagrams exceed MTU ($m)"
    fi
    if [ -z "$why" ]; then pass "$name"; else
        fail "$name" "$why"
        grep -v ASSERT "$s" | sed 's/^/  gnutls-serv: /' | tail -25
        sed 's/^/  driver: /' "$c"
    fi
}

# gnutls-cli -> our server (echoes). $3 = key the client uses.
gnutls_cli_to_server() {
    local name=$1 mtu=$2 ckey=$3 port
    port=$(free_udp_port)
    local mtu_o=() mtu_d=()
    [ -n "$mtu" ] && mtu_o=(--mtu "$mtu") && mtu_d=(--mtu "$mtu")
    start_ours "srv-$name" "$DRIVER" server --psk-id $ID --psk-hex $KEY --hint oneM2M "${mtu_d[@]}" \
        127.0.0.1 "$port"
    local spid=$CS_LAST_PID
    wait_for_udp_port "$port"
    (echo hello-from-gnutls-cli; sleep 1) |
        timeout 10 gnutls-cli --udp --port "$port" --pskusername $ID --pskkey "$ckey" \
            --priority "$PRIO" "${mtu_o[@]}" 127.0.0.1 >"$CS_TMP/gc-$name.log" 2>&1
    sleep 0.3
    stop_bg "$spid"
    local s="$CS_TMP/srv-$name.log" c="$CS_TMP/gc-$name.log" why=""
    if [ "$ckey" = "$KEY" ]; then
        grep -q '(PSK)-(AES-128-CCM-8)' "$c" || why="gnutls-cli did not report (PSK)-(AES-128-CCM-8)"
        grep -q "Connected as '$ID'" "$c" || why="$why; gnutls-cli not connected as $ID"
        grep -q '^suite 0xC0A8' "$s" || why="$why; server did not negotiate 0xC0A8"
        grep -q '^recv: hello-from-gnutls-cli' "$s" || why="$why; server did not get the data"
        grep -q '^hello-from-gnutls-cli' "$c" || why="$why; gnutls-cli did not get the echo"
        if [ -n "$mtu" ]; then
            local m
            m=$(sed -n 's/^max-dgram //p' "$s" | head -1)
            [ -n "$m" ] && [ "$m" -le "$mtu" ] || why="$why; our datagrams exceed MTU ($m)"
        fi
    else
        grep -qi 'Bad record MAC\|bad_record_mac\|Received alert \[20\]' "$c" ||
            why="gnutls-cli did not receive bad_record_mac"
        grep -q 'alert bad_record_mac sent' "$s" || why="$why; server did not report the alert"
        grep -q '^suite' "$s" && why="$why; server established with a wrong key"
    fi
    if [ -z "$why" ]; then pass "$name"; else
        fail "$name" "$why"
        sed 's/^/  gnutls-cli: /' "$c" | tail -25
        sed 's/^/  server: /' "$s"
    fi
}

client_to_gnutls_serv "coapsec-client->gnutls-serv" ""
gnutls_cli_to_server "gnutls-cli->coapsec-server" "" "$KEY"
client_to_gnutls_serv "coapsec-client->gnutls-serv mtu256" 256
gnutls_cli_to_server "gnutls-cli->coapsec-server mtu256" 256 "$KEY"
gnutls_cli_to_server "gnutls-cli->coapsec-server wrong-key" "" 0badbadbad
finish
