#!/usr/bin/env bash
# test_dtls_psk_openssl.sh - raw DTLS 1.2 interop of the coapsec engine
# (tests/dtls/dtls_driver) with OpenSSL's s_server and s_client, forced to
# TLS_PSK_WITH_AES_128_CCM_8 (0xC0A8): data both ways, at the full MTU and at
# a 256-byte MTU on both sides, plus a wrong key (our server must answer with
# a fatal bad_record_mac). Every case proves 0xC0A8 from the peer's own report.
set -u
. "$(dirname "$0")/lib.sh"

require_cmd openssl ss timeout
DRIVER=${COAPSEC_BUILD:-}/tests/dtls/dtls_driver
[ -x "$DRIVER" ] || die "dtls_driver not built at '$DRIVER' (target dtls_driver)"

ID=Client_identity
KEY=73656372657450534b # "secretPSK"
CIPHER='PSK-AES128-CCM8@SECLEVEL=0'

# our client -> openssl s_server. $1 = case name, $2 = mtu ("" for default)
client_to_s_server() {
    local name=$1 mtu=$2 port
    port=$(free_udp_port)
    local mtu_o=() mtu_d=() hint=oneM2M
    [ -n "$mtu" ] && mtu_o=(-mtu "$mtu") && mtu_d=(--mtu "$mtu")
    # at the small MTU a 240-byte hint makes s_server fragment its ServerKeyExchange
    [ -n "$mtu" ] && hint=$(printf 'h%.0s' $(seq 1 240))
    # s_server exits at stdin EOF: keep it open, and type a line once the client is in.
    start_bg "ss-$name" bash -c "(sleep 2; echo hello-from-openssl-server; sleep 30) | \
        exec openssl s_server -dtls1_2 -accept 127.0.0.1:$port -nocert -psk_identity $ID \
        -psk $KEY -psk_hint $hint -cipher '$CIPHER' ${mtu_o[*]}"
    local spid=$CS_LAST_PID
    wait_for_udp_port "$port"
    (echo hello-from-coapsec-client; sleep 4) |
        timeout 20 "${CS_WRAP[@]}" "$DRIVER" client --psk-id $ID --psk-hex $KEY "${mtu_d[@]}" 127.0.0.1 "$port" \
            >"$CS_TMP/cl-$name.log" 2>&1
    local rc=$?
    sleep 0.3
    stop_bg "$spid"
    local s="$CS_TMP/ss-$name.log" c="$CS_TMP/cl-$name.log"
    local why=""
    [ $rc = 0 ] || why="driver exit $rc"
    grep -q 'CIPHER is PSK-AES128-CCM8' "$s" || why="$why; s_server did not report PSK-AES128-CCM8"
    grep -q '^suite 0xC0A8' "$c" || why="$why; driver did not negotiate 0xC0A8"
    grep -q 'hello-from-coapsec-client' "$s" || why="$why; s_server did not get our data"
    grep -q '^recv: hello-from-openssl-server' "$c" || why="$why; we did not get s_server's data"
    if [ -n "$mtu" ]; then
        local m
        m=$(sed -n 's/^max-dgram //p' "$c" | head -1)
        [ -n "$m" ] && [ "$m" -le "$mtu" ] || why="$why; our datagrams exceed MTU ($m)"
    fi
    if [ -z "$why" ]; then pass "$name"; else
        fail "$name" "$why"
        sed 's/^/  s_server: /' "$s" | tail -20
        sed 's/^/  driver: /' "$c"
    fi
}

# openssl s_client -> our server. $1 = case name, $2 = mtu, $3 = key the client uses
s_client_to_server() {
    local name=$1 mtu=$2 ckey=$3 port
    port=$(free_udp_port)
    local mtu_o=() mtu_d=()
    [ -n "$mtu" ] && mtu_o=(-mtu "$mtu") && mtu_d=(--mtu "$mtu")
    start_ours "srv-$name" "$DRIVER" server --psk-id $ID --psk-hex $KEY --hint oneM2M "${mtu_d[@]}" \
        127.0.0.1 "$port"
    local spid=$CS_LAST_PID
    wait_for_udp_port "$port"
    (echo hello-from-openssl-client; sleep 2) |
        timeout 10 openssl s_client -dtls1_2 -connect 127.0.0.1:"$port" -psk_identity $ID \
            -psk "$ckey" -cipher "$CIPHER" "${mtu_o[@]}" >"$CS_TMP/sc-$name.log" 2>&1
    sleep 0.3
    stop_bg "$spid"
    local s="$CS_TMP/srv-$name.log" c="$CS_TMP/sc-$name.log" why=""
    if [ "$ckey" = "$KEY" ]; then
        grep -q 'Cipher is PSK-AES128-CCM8' "$c" || why="s_client did not report PSK-AES128-CCM8"
        grep -q '^suite 0xC0A8' "$s" || why="$why; server did not negotiate 0xC0A8"
        grep -q '^recv: hello-from-openssl-client' "$s" || why="$why; server did not get the data"
        # the echo comes back to s_client (it prints it on its own line)
        grep -q '^hello-from-openssl-client' "$c" || why="$why; s_client did not get the echo"
        if [ -n "$mtu" ]; then
            local m
            m=$(sed -n 's/^max-dgram //p' "$s" | head -1)
            [ -n "$m" ] && [ "$m" -le "$mtu" ] || why="$why; our datagrams exceed MTU ($m)"
        fi
    else
        grep -qi 'bad record mac' "$c" || why="s_client did not receive bad_record_mac"
        grep -q 'alert bad_record_mac sent' "$s" || why="$why; server did not report the alert"
        grep -q '^suite' "$s" && why="$why; server established with a wrong key"
    fi
    if [ -z "$why" ]; then pass "$name"; else
        fail "$name" "$why"
        sed 's/^/  s_client: /' "$c" | tail -25
        sed 's/^/  server: /' "$s"
    fi
}

client_to_s_server "coapsec-client->s_server" ""
s_client_to_server "s_client->coapsec-server" "" "$KEY"
client_to_s_server "coapsec-client->s_server mtu256" 256
s_client_to_server "s_client->coapsec-server mtu256" 256 "$KEY"
s_client_to_server "s_client->coapsec-server wrong-key" "" 0badbadbad
finish
