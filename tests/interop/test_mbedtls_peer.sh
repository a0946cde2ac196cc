#!/usr/bin/env bash
# test_mbedtls_peer.sh - proves the Mbed TLS test peer (tests/interop/peers/
# mbedtls_peer.c) interoperates with OpenSSL before coapsec's own DTLS engine
# is tested against it. Each case runs one pairing on a fresh free loopback
# UDP port, checks the application data crossed in both directions, and reads
# the negotiated suite from the captured ServerHello (tshark.sh):
#   0xc0a8 TLS_PSK_WITH_AES_128_CCM_8          (RFC 6655, RFC 7925 4.2)
#   0xc0ae TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8  (RFC 7251, RFC 7925 4.4)
# plus the --mtu 256 fragmentation (RFC 6347 4.2.3) and two refusals
# (no client certificate under mutual authentication; wrong PSK).
# Prints one PASS/FAIL line per case and "N passed, M failed"; exits non-zero
# if anything failed or a needed program (mbedtls_peer, openssl, tshark, ss)
# is missing. Env: COAPSEC_BUILD (build dir), COAPSEC_SRC (source dir);
# KEEP=1 keeps the temporary directory (logs, captures) for debugging.
set -u

SRC=${COAPSEC_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${COAPSEC_BUILD:-$SRC/build}
PEER=$BUILD/tests/interop/mbedtls_peer
HERE=$SRC/tests/interop

[ -f "$HERE/lib.sh" ] && . "$HERE/lib.sh"
. "$HERE/peerlib.sh"
. "$HERE/tshark.sh"

T=$(mktemp -d /tmp/coapsec-mbedtls-peer.XXXXXX)
cleanup() {
    pl_kill_all
    cap_stop_all
    declare -F cs_cleanup >/dev/null && cs_cleanup # lib.sh's own trap, replaced below
    if [ "${KEEP:-0}" = 1 ]; then
        echo "kept $T"
    else
        rm -rf "$T"
    fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# pick_port: lib.sh's free_udp_port when present, else peerlib.sh's.
pick_port() {
    if declare -F free_udp_port >/dev/null; then
        free_udp_port
    else
        pl_free_udp_port
    fi
}

PSK_ID=Client_identity
PSK_HEX=73656372657450534b
K=$T/keys
OSSL_CERT_OPTS=(-cipher 'ECDHE-ECDSA-AES128-CCM8' -groups P-256 -sigalgs ECDSA+SHA256)

missing=
[ -x "$PEER" ] || missing="$missing $PEER (build target mbedtls_peer)"
for prog in openssl tshark ss timeout mkfifo; do
    command -v "$prog" >/dev/null 2>&1 || missing="$missing $prog"
done
if [ -n "$missing" ]; then
    pl_fail prerequisites "missing:$missing"
    pl_summary
    exit 1
fi
if ! bash "$HERE/keys.sh" "$K"; then
    pl_fail prerequisites "keys.sh failed"
    pl_summary
    exit 1
fi

# check_suite NAME PCAP PORT WANT: every ServerHello carried WANT.
check_suite() {
    local got
    got=$(cap_suites "$2" "$3" | sort -u | tr '\n' ' ')
    if [ "$got" != "$4 " ]; then
        echo "  $1: ServerHello suites on the wire: '${got}', want '$4'" >&2
        return 1
    fi
}

# show FILE...: print logs of a failed case (indented) for the ctest output.
show() {
    local f
    for f in "$@"; do
        [ -f "$f" ] || continue
        echo "  --- $f" >&2
        sed -n '1,40s/^/  | /p' "$f" >&2
    done
}

# start_s_server CASE PORT ARGS...: openssl s_server with stdin on a FIFO
# that fd 7 holds open read-write (s_server exits at stdin EOF, and the open
# never blocks even if s_server dies). Sets SRV_PID.
start_s_server() {
    local c=$1 port=$2
    shift 2
    mkfifo "$T/$c.srv.in"
    exec 7<>"$T/$c.srv.in"
    openssl s_server -dtls1_2 -accept "127.0.0.1:$port" "$@" \
        <"$T/$c.srv.in" >"$T/$c.srv.out" 2>&1 7>&- 8>&- &
    SRV_PID=$!
    pl_track "$SRV_PID"
    pl_wait_udp "$port" 10
}

stop_s_server() {
    exec 7>&-
    pl_wait_pid "$SRV_PID" 3
}

# Case: mbedtls_peer client -> openssl s_server. $1 name, $2 want suite,
# $3 extra check, then the s_server options, "--", the client options.
case_mbed_client() {
    local name=$1 want=$2 c=$3
    shift 3
    local srv=() cli=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        srv+=("$1")
        shift
    done
    shift
    cli=("$@")
    local port pcap=$T/$c.pcapng why=
    port=$(pick_port) || {
        pl_fail "$name" "no free port"
        return
    }
    cap_start lo "$port" "$pcap" || {
        pl_fail "$name" "capture did not start"
        return
    }
    if ! start_s_server "$c" "$port" "${srv[@]}"; then
        cap_stop
        stop_s_server
        pl_fail "$name" "openssl s_server did not bind"
        show "$T/$c.srv.out"
        return
    fi
    mkfifo "$T/$c.cli.in"
    exec 8<>"$T/$c.cli.in"
    timeout 30 "$PEER" client --port "$port" --timeout 10 "${cli[@]}" \
        <"$T/$c.cli.in" >"$T/$c.cli.out" 2>"$T/$c.cli.err" 7>&- 8>&- &
    local cpid=$!
    pl_track "$cpid"
    echo "hello-from-mbedtls-$c" >&8
    exec 8>&-
    # s_server prints what it receives; once it has the line, it answers.
    if pl_wait_grep "^hello-from-mbedtls-$c" "$T/$c.srv.out" 15; then
        echo "hello-from-openssl-$c" >&7
    else
        why="s_server never received the client's record"
    fi
    pl_wait_pid "$cpid" 20
    local rc=$PL_STATUS
    stop_s_server
    cap_stop
    if [ -z "$why" ] && [ "$rc" -ne 0 ]; then
        why="mbedtls_peer client exited $rc"
    fi
    if [ -z "$why" ] && ! grep -qx "hello-from-openssl-$c" "$T/$c.cli.out"; then
        why="client did not print the server's record"
    fi
    local wname
    [ "$want" = 0xc0a8 ] && wname=TLS-PSK-WITH-AES-128-CCM-8
    [ "$want" = 0xc0ae ] && wname=TLS-ECDHE-ECDSA-WITH-AES-128-CCM-8
    if [ -z "$why" ] && ! grep -qx "suite $wname $want" "$T/$c.cli.err"; then
        why="client did not report suite $wname $want"
    fi
    if [ -z "$why" ] && ! check_suite "$name" "$pcap" "$port" "$want"; then
        why="wrong suite on the wire"
    fi
    if [ -z "$why" ] && [ -n "$EXTRA" ] && ! eval "$EXTRA"; then
        why="check failed: $EXTRA_DESC"
    fi
    if [ -n "$why" ]; then
        pl_fail "$name" "$why"
        show "$T/$c.cli.err" "$T/$c.cli.out" "$T/$c.srv.out"
    else
        pl_pass "$name"
    fi
}

# Case: openssl s_client -> mbedtls_peer server --count 1. $1 name, $2 want
# suite ("" = the handshake must fail), $3 case id, then server options,
# "--", s_client options.
case_mbed_server() {
    local name=$1 want=$2 c=$3
    shift 3
    local srv=() cli=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        srv+=("$1")
        shift
    done
    shift
    cli=("$@")
    local port pcap=$T/$c.pcapng why=
    port=$(pick_port) || {
        pl_fail "$name" "no free port"
        return
    }
    cap_start lo "$port" "$pcap" || {
        pl_fail "$name" "capture did not start"
        return
    }
    "$PEER" server --port "$port" --count 1 --timeout 5 "${srv[@]}" \
        >"$T/$c.srv.out" 2>"$T/$c.srv.err" 7>&- 8>&- &
    local spid=$!
    pl_track "$spid"
    if ! pl_wait_grep '^listening ' "$T/$c.srv.err" 10 || ! pl_wait_udp "$port" 5; then
        cap_stop
        pl_fail "$name" "mbedtls_peer server did not start"
        show "$T/$c.srv.err"
        return
    fi
    mkfifo "$T/$c.cli.in"
    exec 8<>"$T/$c.cli.in"
    timeout 30 openssl s_client -dtls1_2 -connect "127.0.0.1:$port" "${cli[@]}" \
        <"$T/$c.cli.in" >"$T/$c.cli.out" 2>&1 7>&- 8>&- &
    local cpid=$!
    pl_track "$cpid"
    echo "hello-from-openssl-$c" >&8
    local echoed=0 src=
    if [ -n "$want" ]; then
        pl_wait_grep "^hello-from-openssl-$c\$" "$T/$c.cli.out" 15
    else
        pl_wait_pid "$spid" 15 # a refused session ends the --count 1 server
        src=$PL_STATUS
    fi
    exec 8>&- # EOF: s_client sends close_notify and exits
    # (a refused s_client may hang in its handshake; it is stopped after 2 s)
    pl_wait_pid "$cpid" "$([ -n "$want" ] && echo 10 || echo 2)"
    if [ -z "$src" ]; then
        pl_wait_pid "$spid" 15
        src=$PL_STATUS
    fi
    grep -qx "hello-from-openssl-$c" "$T/$c.cli.out" && echoed=1
    cap_stop
    if [ -z "$want" ]; then
        # Refusal expected: no data, server fails the session and exits 1.
        if [ "$echoed" = 1 ]; then
            why="data was echoed although the handshake should fail"
        elif [ "$src" -ne 1 ]; then
            why="server exited $src, want 1 (failed session)"
        elif ! grep -q '^error: handshake' "$T/$c.srv.err"; then
            why="server printed no handshake error"
        elif grep -q '^suite ' "$T/$c.srv.err"; then
            why="server reported a completed handshake"
        fi
    else
        local wname
        [ "$want" = 0xc0a8 ] && wname=TLS-PSK-WITH-AES-128-CCM-8
        [ "$want" = 0xc0ae ] && wname=TLS-ECDHE-ECDSA-WITH-AES-128-CCM-8
        if [ "$echoed" != 1 ]; then
            why="s_client did not get its record echoed"
        elif [ "$src" -ne 0 ]; then
            why="mbedtls_peer server exited $src"
        elif ! grep -qx "suite $wname $want" "$T/$c.srv.err"; then
            why="server did not report suite $wname $want"
        elif ! check_suite "$name" "$pcap" "$port" "$want"; then
            why="wrong suite on the wire"
        fi
    fi
    if [ -z "$why" ] && [ -n "$EXTRA" ] && ! eval "$EXTRA"; then
        why="check failed: $EXTRA_DESC"
    fi
    if [ -n "$why" ]; then
        pl_fail "$name" "$why"
        show "$T/$c.srv.err" "$T/$c.cli.out"
    else
        pl_pass "$name"
    fi
}

PSK_SRV=(-nocert -psk_identity "$PSK_ID" -psk "$PSK_HEX" -psk_hint oneM2M -cipher PSK-AES128-CCM8)
PSK_CLI=(-psk_identity "$PSK_ID" -psk "$PSK_HEX" -cipher PSK-AES128-CCM8)
PSK_MBED=(--psk-id "$PSK_ID" --psk-hex "$PSK_HEX")
CERT_MBED_SRV=(--cert "$K/server.crt" --key "$K/server.key" --ca "$K/ca.crt")
CERT_MBED_CLI=(--cert "$K/client.crt" --key "$K/client.key" --ca "$K/ca.crt")

# 1. RFC 6655 / RFC 7925 4.2: PSK, mbedtls client -> OpenSSL server (which
#    also sends an identity hint the client must tolerate).
EXTRA_DESC='s_server reports PSK-AES128-CCM8'
EXTRA='grep -q "CIPHER is PSK-AES128-CCM8" "$T/$c.srv.out"'
case_mbed_client "psk: mbedtls_peer client -> openssl s_server" 0xc0a8 psk-cli \
    "${PSK_SRV[@]}" -- "${PSK_MBED[@]}"

# 2. PSK, OpenSSL client -> mbedtls echo server (cookie exchange first).
EXTRA_DESC='s_client reports PSK-AES128-CCM8'
EXTRA='grep -q "Cipher is PSK-AES128-CCM8" "$T/$c.cli.out"'
case_mbed_server "psk: openssl s_client -> mbedtls_peer server" 0xc0a8 psk-srv \
    "${PSK_MBED[@]}" -- "${PSK_CLI[@]}"

# 3. RFC 7251 / RFC 7925 4.4: certificates, mutual authentication,
#    mbedtls client -> OpenSSL server requiring a client certificate.
EXTRA_DESC='s_server saw the client certificate, client verified CN=localhost'
EXTRA='grep -q "coapsec-test-client" "$T/$c.srv.out" && grep -qx "peer-cert CN=localhost" "$T/$c.cli.err"'
case_mbed_client "cert: mbedtls_peer client -> openssl s_server (mutual)" 0xc0ae cert-cli \
    -cert "$K/server.crt" -key "$K/server.key" -CAfile "$K/ca.crt" -Verify 1 \
    -verify_return_error "${OSSL_CERT_OPTS[@]}" -- "${CERT_MBED_CLI[@]}" --name localhost

# 4. Certificates, OpenSSL client (with certificate) -> mbedtls server.
EXTRA_DESC='s_client verified the server, server verified the client certificate'
EXTRA='grep -q "Verify return code: 0 (ok)" "$T/$c.cli.out" && grep -qx "peer-cert CN=coapsec-test-client" "$T/$c.srv.err"'
case_mbed_server "cert: openssl s_client -> mbedtls_peer server (mutual)" 0xc0ae cert-srv \
    "${CERT_MBED_SRV[@]}" -- -cert "$K/client.crt" -key "$K/client.key" -CAfile "$K/ca.crt" \
    -verify_return_error -verify_ip 127.0.0.1 "${OSSL_CERT_OPTS[@]}"

# 5. RFC 6347 4.2.3 / 4.1.1.1: --mtu 256 makes the mbedtls server fragment
#    its certificate flight; no datagram it sends may exceed 256 bytes, and
#    the flight must be larger than that (else nothing was proven).
EXTRA_DESC='every server datagram <= 256 bytes, flight > 768 bytes'
EXTRA='m=$(cap_max_payload "$pcap" "$port"); s=$(cap_sum_payload "$pcap" "$port");
       [ "$m" -gt 0 ] && [ "$m" -le 256 ] && [ "$s" -gt 768 ] ||
       { echo "  largest datagram from server $m bytes, total $s" >&2; false; }'
case_mbed_server "mtu 256: openssl s_client -> mbedtls_peer server --mtu 256 (cert)" 0xc0ae mtu \
    "${CERT_MBED_SRV[@]}" --mtu 256 -- -cert "$K/client.crt" -key "$K/client.key" \
    -CAfile "$K/ca.crt" -verify_return_error "${OSSL_CERT_OPTS[@]}"

# 6. RFC 7925 4.4 mutual authentication is required: s_client without a
#    certificate is refused by the mbedtls server.
EXTRA= EXTRA_DESC=
case_mbed_server "refusal: s_client without certificate -> mbedtls_peer server" "" nocert \
    "${CERT_MBED_SRV[@]}" -- -CAfile "$K/ca.crt" "${OSSL_CERT_OPTS[@]}"

# 7. A wrong PSK: DTLS drops the undecryptable Finished silently, so the
#    mbedtls client must give up at --timeout with an error and status 1.
name="refusal: mbedtls_peer client with wrong PSK -> openssl s_server"
port=$(pick_port)
if start_s_server wrongpsk "$port" "${PSK_SRV[@]}"; then
    start=$SECONDS
    echo hello | timeout 30 "$PEER" client --port "$port" --timeout 3 --psk-id "$PSK_ID" \
        --psk-hex 0011223344556677 >"$T/wrongpsk.cli.out" 2>"$T/wrongpsk.cli.err" 7>&-
    rc=$?
    stop_s_server
    why=
    if [ "$rc" -ne 1 ]; then
        why="client exited $rc, want 1"
    elif ! grep -q '^error: handshake' "$T/wrongpsk.cli.err"; then
        why="no handshake error printed"
    elif grep -q 'hello\|CIPHER is' "$T/wrongpsk.srv.out"; then
        why="s_server completed the handshake or got data"
    elif [ $((SECONDS - start)) -gt 10 ]; then
        why="took $((SECONDS - start)) s with --timeout 3"
    fi
    if [ -n "$why" ]; then
        pl_fail "$name" "$why"
        show "$T/wrongpsk.cli.err" "$T/wrongpsk.srv.out"
    else
        pl_pass "$name"
    fi
else
    stop_s_server
    pl_fail "$name" "openssl s_server did not bind"
fi

pl_summary
