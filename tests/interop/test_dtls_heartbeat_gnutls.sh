#!/usr/bin/env bash
# test_dtls_heartbeat_gnutls.sh - DTLS Heartbeat (RFC 6520) interop of the
# coapsec engine (tests/dtls/dtls_driver --heartbeat) with GnuTLS, the only
# peer with heartbeat (OpenSSL 3.0 has none), over TLS_PSK_WITH_AES_128_CCM_8:
#  - gnutls-serv --heartbeat pings our client when it sends the line
#    **HEARTBEAT**; our answer reaches GnuTLS's "response matches" branch and
#    gnutls-serv reports no ping error;
#  - our server pings gnutls-cli --heartbeat after 400 ms of quiet and gets
#    matching responses ("heartbeat-answered");
#  - control cases: without our --heartbeat, gnutls-serv says "No heartbeat in
#    this session"; a gnutls-cli without --heartbeat is never pinged
#    ("heartbeat 0", no answer expected, the session stays up).
set -u
. "$(dirname "$0")/lib.sh"

require_cmd gnutls-serv gnutls-cli ss timeout
DRIVER=${COAPSEC_BUILD:-}/tests/dtls/dtls_driver
[ -x "$DRIVER" ] || die "dtls_driver not built at '$DRIVER' (target dtls_driver)"

ID=Client_identity
KEY=73656372657450534b # "secretPSK"
PRIO='NONE:+VERS-DTLS1.2:+AES-128-CCM-8:+AEAD:+PSK:+COMP-NULL:+SIGN-ALL:+GROUP-SECP256R1'
echo "$ID:$KEY" >"$CS_TMP/psk.txt"

# our client (with or without --heartbeat) -> gnutls-serv --echo --heartbeat
client_to_gnutls_serv() {
    local name=$1 hb=$2 port
    port=$(free_udp_port)
    start_bg "gs-$name" gnutls-serv -d 4 --udp --port "$port" --echo --heartbeat \
        --pskpasswd "$CS_TMP/psk.txt" --priority "$PRIO"
    local spid=$CS_LAST_PID
    wait_for_udp_port "$port"
    local hbo=()
    [ "$hb" = 1 ] && hbo=(--heartbeat 0)
    (echo '**HEARTBEAT**'; sleep 2) |
        timeout 20 "${CS_WRAP[@]}" "$DRIVER" client --psk-id $ID --psk-hex $KEY "${hbo[@]}" \
            --wait-ms 1500 127.0.0.1 "$port" >"$CS_TMP/cl-$name.log" 2>&1
    local rc=$?
    sleep 0.3
    stop_bg "$spid"
    local s="$CS_TMP/gs-$name.log" c="$CS_TMP/cl-$name.log" why=""
    [ $rc = 0 ] || why="driver exit $rc"
    grep -q '^suite 0xC0A8' "$c" || why="$why; no 0xC0A8 session"
    grep -q 'Processing 14 bytes command: \*\*HEARTBEAT\*\*' "$s" ||
        why="$why; gnutls-serv did not get the **HEARTBEAT** command"
    if [ "$hb" = 1 ]; then
        grep -q "Parsing extension 'Heartbeat/15'" "$s" || why="$why; no heartbeat extension from us"
        grep -q '^heartbeat 1' "$c" || why="$why; driver did not see the extension answered"
        # gnutls 3.7.9 lib/ext/heartbeat.c:380 is "pong received, payload matches"
        grep -q '_gnutls_heartbeat_handle\]:380' "$s" || why="$why; gnutls got no matching pong"
        grep -qE '^ping: |No heartbeat in this session' "$s" && why="$why; gnutls-serv ping failed"
    else
        grep -q 'No heartbeat in this session' "$s" ||
            why="$why; gnutls-serv pinged a client that did not negotiate heartbeat"
        grep -q '^heartbeat 0' "$c" || why="$why; driver thinks heartbeat was negotiated"
    fi
    if [ -z "$why" ]; then pass "$name"; else
        fail "$name" "$why"
        grep -v ASSERT "$s" | sed 's/^/  gnutls-serv: /' | tail -25
        sed 's/^/  driver: /' "$c"
    fi
}

# gnutls-cli (with or without --heartbeat) -> our server pinging every 400 ms of quiet
gnutls_cli_to_server() {
    local name=$1 hb=$2 port
    port=$(free_udp_port)
    start_ours "srv-$name" "$DRIVER" server --psk-id $ID --psk-hex $KEY --heartbeat 400 \
        127.0.0.1 "$port"
    local spid=$CS_LAST_PID
    wait_for_udp_port "$port"
    local hbo=()
    [ "$hb" = 1 ] && hbo=(--heartbeat)
    (echo hello-from-gnutls-cli; sleep 2.5) |
        timeout 3 gnutls-cli --udp --port "$port" "${hbo[@]}" --pskusername $ID --pskkey $KEY \
            --priority "$PRIO" 127.0.0.1 >"$CS_TMP/gc-$name.log" 2>&1
    sleep 0.3
    stop_bg "$spid"
    local s="$CS_TMP/srv-$name.log" c="$CS_TMP/gc-$name.log" why=""
    grep -q '(PSK)-(AES-128-CCM-8)' "$c" || why="gnutls-cli did not report (PSK)-(AES-128-CCM-8)"
    grep -q '^recv: hello-from-gnutls-cli' "$s" || why="$why; server did not get the data"
    grep -q '^dead' "$s" && why="$why; server declared the peer dead"
    local n
    n=$(grep -c '^heartbeat-answered' "$s")
    if [ "$hb" = 1 ]; then
        grep -q '^heartbeat 1' "$s" || why="$why; heartbeat not negotiated"
        [ "$n" -ge 2 ] || why="$why; only $n heartbeat responses from gnutls-cli"
    else
        grep -q '^heartbeat 0' "$s" || why="$why; heartbeat negotiated with a client without it"
        [ "$n" = 0 ] || why="$why; heartbeats answered by a client without heartbeat?"
    fi
    if [ -z "$why" ]; then pass "$name"; else
        fail "$name" "$why"
        sed 's/^/  gnutls-cli: /' "$c" | tail -25
        sed 's/^/  server: /' "$s"
    fi
}

client_to_gnutls_serv "gnutls-serv pings coapsec-client" 1
client_to_gnutls_serv "gnutls-serv, coapsec-client without heartbeat" 0
gnutls_cli_to_server "coapsec-server pings gnutls-cli" 1
gnutls_cli_to_server "coapsec-server, gnutls-cli without heartbeat" 0
finish
