#!/usr/bin/env bash
# test_dtls_resume_openssl.sh - DTLS 1.2 session resumption (RFC 5246 §7.3
# abbreviated handshake; RFC 5077 tickets) between the coapsec engine
# (tests/dtls/dtls_driver --resume) and OpenSSL / GnuTLS over
# TLS_PSK_WITH_AES_128_CCM_8:
#  - openssl s_client -sess_out, then -sess_in, against our server: the second
#    s_client reports "Reused" and our server "resumed 1";
#  - gnutls-cli --resume against our server: "This is a resumed session";
#  - our client against openssl s_server: the second connection offers the
#    ticket and is resumed ("resumed 1"), data flows.
set -u
. "$(dirname "$0")/lib.sh"

require_cmd openssl gnutls-cli ss timeout
DRIVER=${COAPSEC_BUILD:-}/tests/dtls/dtls_driver
[ -x "$DRIVER" ] || die "dtls_driver not built at '$DRIVER' (target dtls_driver)"

ID=Client_identity
KEY=73656372657450534b # "secretPSK"
PRIO='NONE:+VERS-DTLS1.2:+AES-128-CCM-8:+AEAD:+PSK:+COMP-NULL:+SIGN-ALL:+GROUP-SECP256R1'

# openssl s_client twice (session saved in a file) -> our server
s_client_to_server() {
    local name="openssl s_client -sess_out/-sess_in -> coapsec-server" port why=""
    port=$(free_udp_port)
    start_ours srv-ossl "$DRIVER" server --psk-id $ID --psk-hex $KEY --resume 127.0.0.1 "$port"
    local spid=$CS_LAST_PID
    wait_for_udp_port "$port"
    local i
    for i in 1 2; do
        local inout=(-sess_out "$CS_TMP/sess.pem")
        [ $i = 2 ] && inout=(-sess_in "$CS_TMP/sess.pem")
        (echo "hello-$i"; sleep 1) |
            timeout 10 openssl s_client -dtls1_2 -connect 127.0.0.1:"$port" -psk_identity $ID \
                -psk $KEY -cipher PSK-AES128-CCM8 "${inout[@]}" >"$CS_TMP/sc-$i.log" 2>&1
    done
    sleep 0.3
    stop_bg "$spid"
    local s="$CS_TMP/srv-ossl.log"
    grep -q '^New, TLSv1.2, Cipher is PSK-AES128-CCM8' "$CS_TMP/sc-1.log" ||
        why="first s_client: no new PSK-AES128-CCM8 session"
    grep -q '^Reused, TLSv1.2, Cipher is PSK-AES128-CCM8' "$CS_TMP/sc-2.log" ||
        why="$why; second s_client did not reuse the session"
    [ "$(grep -c '^resumed 0' "$s")" = 1 ] || why="$why; server: not one full handshake"
    [ "$(grep -c '^resumed 1' "$s")" = 1 ] || why="$why; server: not one resumed handshake"
    grep -q '^recv: hello-2' "$s" || why="$why; no data on the resumed session"
    if [ -z "$why" ]; then pass "$name"; else
        fail "$name" "$why"
        sed 's/^/  s_client 2: /' "$CS_TMP/sc-2.log" | tail -20
        sed 's/^/  server: /' "$s"
    fi
}

# gnutls-cli --resume -> our server
gnutls_cli_to_server() {
    local name="gnutls-cli --resume -> coapsec-server" port why=""
    port=$(free_udp_port)
    start_ours srv-gnutls "$DRIVER" server --psk-id $ID --psk-hex $KEY --resume 127.0.0.1 "$port"
    local spid=$CS_LAST_PID
    wait_for_udp_port "$port"
    (sleep 3) | timeout 6 gnutls-cli --udp --port "$port" --resume --pskusername $ID \
        --pskkey $KEY --priority "$PRIO" 127.0.0.1 >"$CS_TMP/gc.log" 2>&1
    sleep 0.3
    stop_bg "$spid"
    local s="$CS_TMP/srv-gnutls.log"
    grep -q 'This is a resumed session' "$CS_TMP/gc.log" || why="gnutls-cli: not resumed"
    grep -q '^resumed 1' "$s" || why="$why; server: no resumed handshake"
    if [ -z "$why" ]; then pass "$name"; else
        fail "$name" "$why"
        sed 's/^/  gnutls-cli: /' "$CS_TMP/gc.log" | tail -20
        sed 's/^/  server: /' "$s"
    fi
}

# our client (connects twice) -> openssl s_server
client_to_s_server() {
    local name="coapsec-client --resume -> openssl s_server" port why=""
    port=$(free_udp_port)
    start_bg s_server bash -c "sleep 8 | exec openssl s_server -dtls1_2 -accept 127.0.0.1:$port \
        -nocert -psk_identity $ID -psk $KEY -cipher PSK-AES128-CCM8"
    local spid=$CS_LAST_PID
    wait_for_udp_port "$port"
    echo hello-from-coapsec |
        timeout 10 "${CS_WRAP[@]}" "$DRIVER" client --psk-id $ID --psk-hex $KEY --resume \
            --wait-ms 500 127.0.0.1 "$port" >"$CS_TMP/cl.log" 2>&1
    local rc=$?
    stop_bg "$spid"
    local c="$CS_TMP/cl.log"
    [ $rc = 0 ] || why="driver exit $rc"
    grep -q '^resumed 0' "$c" || why="$why; no first (full) handshake"
    grep -q '^reconnect offering a ticket' "$c" || why="$why; s_server issued no ticket"
    grep -q '^resumed 1' "$c" || why="$why; second handshake not resumed"
    grep -q 'hello-from-coapsec' "$CS_TMP/s_server.log" || why="$why; s_server got no data"
    if [ -z "$why" ]; then pass "$name"; else
        fail "$name" "$why"
        sed 's/^/  s_server: /' "$CS_TMP/s_server.log" | tail -20
        sed 's/^/  driver: /' "$c"
    fi
}

s_client_to_server
gnutls_cli_to_server
client_to_s_server
finish
