#!/usr/bin/env bash
# tests/interop/test_libcoap_psk.sh - DTLS-PSK (coaps://) interop with libcoap
# 4.3.1 (libcoap3-bin): `coapsec client` against coap-server-openssl and
# coap-server-gnutls, and coap-client-openssl / coap-client-gnutls against
# `coapsec server`: PUT then GET of the same 1,000 bytes (RFC 7252 §9.1 over
# DTLS 1.2). Every pairing is captured with tshark and must show a ServerHello
# with TLS_PSK_WITH_AES_128_CCM_8 (0xC0A8, RFC 6655) and nothing else.
# Also: a libcoap client with a wrong key gets no response and our server
# reports the failed handshake. One PASS/FAIL line per case, then
# "N passed, M failed"; exits non-zero if any case failed.
#
# Quirks (see docs/INTEROP.md): libcoap -k takes the key as raw text; the
# gnutls tools need tests/interop/gnutls-ccm8-only.config (GnuTLS override,
# via GNUTLS_SYSTEM_PRIORITY_FILE) to prefer CCM_8, libcoap-openssl picks it
# because we offer/accept only it; coap-client exits 0 on failure, so its
# output is checked (-v 6 logs each PDU as "v:1 t:ACK c:2.05 ..."); libcoap
# clients send an IP-literal SNI, which our server must tolerate.
HERE=$(case $0 in */*) echo "${0%/*}" ;; *) echo . ;; esac)
. "$HERE/lib.sh" || { echo "FAIL: cannot load lib.sh" >&2; exit 1; }
. "$HERE/tshark.sh" || die "cannot load tshark.sh"
trap 'cap_stop_all; cs_cleanup' EXIT
require_coapsec
require_cmd coap-server-openssl coap-server-gnutls coap-client-openssl coap-client-gnutls \
    tshark ss cmp head grep
GNUTLS_CFG=$(cd "$HERE" && pwd)/gnutls-ccm8-only.config
[ -r "$GNUTLS_CFG" ] || die "missing $GNUTLS_CFG"

T=$CS_TMP
ID=Client_identity
KEY=secretPSK-0123456789 # libcoap 4.3.1 -k is raw text
head -c 1000 /dev/urandom >"$T/big.bin"

# suite_ok FILE PORT: every ServerHello in the capture chose 0xc0a8 (and there is one).
suite_ok() {
    local s
    s=$(cap_suites "$1" "$2" | sort -u)
    [ "$s" = 0xc0a8 ] || {
        echo "  (suites seen on port $2: '${s:-none}')"
        return 1
    }
}

# ---- coapsec client -> libcoap servers ------------------------------------------------
# ours_vs NAME SERVER [ENV...]: start the libcoap server, PUT + GET with our client.
ours_vs() {
    local name=$1 server=$2 p pid
    shift 2
    p=$(free_udp_port 2)
    start_bg "$name-srv" env "$@" "$server" -A 127.0.0.1 -p "$p" -k "$KEY" -d 10
    pid=$CS_LAST_PID
    wait_for_udp_port $((p + 1))
    if ! cap_start lo $((p + 1)) "$T/$name.pcapng"; then
        fail "$name: capture" "tshark could not start"
        stop_bg "$pid"
        return
    fi
    local U=coaps://127.0.0.1:$((p + 1))
    run_ours "$COAPSEC" client -B 10 -v 1 -u "$ID" -k "$KEY" -m put -f "$T/big.bin" "$U/data" \
        >"$T/$name-put.out" 2>"$T/$name-put.err"
    local put=$?
    run_ours "$COAPSEC" client -B 10 -v 1 -u "$ID" -k "$KEY" -o "$T/$name.got" "$U/data" \
        >"$T/$name-get.out" 2>"$T/$name-get.err"
    local get=$?
    cap_stop
    stop_bg "$pid"
    check "coapsec client -> $server: PUT 1000 bytes -> 2.01" \
        bash -c '[ "$0" = 0 ] && grep -q "2.01 Created" "$1"' "$put" "$T/$name-put.err"
    check "coapsec client -> $server: GET returns the same bytes" \
        bash -c '[ "$0" = 0 ] && cmp -s "$1" "$2"' "$get" "$T/big.bin" "$T/$name.got"
    check "coapsec client -> $server: -v reports 0xC0A8" \
        grep -q "DTLS: TLS_PSK_WITH_AES_128_CCM_8 (0xC0A8)" "$T/$name-get.err"
    check "coapsec client -> $server: capture shows 0xc0a8 only" suite_ok "$T/$name.pcapng" $((p + 1))
}
ours_vs l-openssl coap-server-openssl
ours_vs l-gnutls coap-server-gnutls GNUTLS_SYSTEM_PRIORITY_FILE="$GNUTLS_CFG"

# ---- libcoap clients -> coapsec server ---------------------------------------------------
Q=$(free_udp_port 2)
start_ours coapsec-server "$COAPSEC" server -A 127.0.0.1 -p "$Q" -k "$KEY" -v 3
wait_for_udp_port $((Q + 1))
V=coaps://127.0.0.1:$((Q + 1))

# theirs_vs NAME CLIENT [ENV...]: PUT + GET with a libcoap client against our server.
theirs_vs() {
    local name=$1 client=$2
    shift 2
    if ! cap_start lo $((Q + 1)) "$T/$name.pcapng"; then
        fail "$name: capture" "tshark could not start"
        return
    fi
    env "$@" "$client" -B 10 -v 6 -u "$ID" -k "$KEY" -m put -f "$T/big.bin" "$V/$name" \
        >"$T/$name-put.out" 2>&1
    env "$@" "$client" -B 10 -u "$ID" -k "$KEY" -o "$T/$name.got" "$V/$name" \
        >"$T/$name-get.out" 2>&1
    cap_stop
    check "$client -> coapsec server: PUT 1000 bytes -> 2.01" grep -q "t:ACK c:2.01 " "$T/$name-put.out"
    check "$client -> coapsec server: GET returns the same bytes" cmp -s "$T/big.bin" "$T/$name.got"
    check "$client -> coapsec server: capture shows 0xc0a8 only" suite_ok "$T/$name.pcapng" $((Q + 1))
}
theirs_vs c-openssl coap-client-openssl
theirs_vs c-gnutls coap-client-gnutls GNUTLS_SYSTEM_PRIORITY_FILE="$GNUTLS_CFG"
check "coapsec server logged 0xC0A8 with identity $ID" \
    grep -q "0xC0A8.*identity '$ID'" "$T/coapsec-server.log"

# Wrong key from libcoap: no response, and our server says why.
coap-client-openssl -B 4 -v 6 -u "$ID" -k wrong-key-0123456789 "$V/c-openssl" >"$T/wrong.out" 2>&1
check "coap-client-openssl with a wrong key gets no 2.05" bash -c '! grep -q "c:2.05" "$0"' "$T/wrong.out"
check "coapsec server reports the wrong key" grep -q "failed: wrong key or identity" "$T/coapsec-server.log"

finish
