#!/usr/bin/env bash
# tests/interop/test_libcoap_pki.sh - CoAP over DTLS 1.2 with
# TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 (0xC0AE, RFC 7251) between the coapsec
# tool and libcoap 4.3.1's tools (libcoap3-bin), with certificates (-c -j -C,
# RFC 5246 §7.4.2, mutual) and raw public keys (-M, RFC 7250):
#   coapsec client -> coap-server-gnutls / coap-server-openssl (PKI)
#   coap-client-gnutls / coap-client-openssl -> coapsec server (PKI), our
#     server at --mtu 256: every datagram it sends is <= 256 bytes, so its
#     Certificate flight goes out fragmented (RFC 6347 §4.2.3)
#   coapsec client <-> coap-*-gnutls with raw public keys, both directions
#     (libcoap trusts any raw key; OUR side pins theirs with --rpk-trust);
#     our server holds a certificate chain AND its raw key, and must present
#     the raw key to coap-client-gnutls -M (server_certificate_type choice,
#     RFC 7250 §4.2), shown in the capture
#   refusals named on our side: an unpinned libcoap raw key, a server from an
#     unknown CA.
# Each handshake is captured with tshark: the ServerHello must choose 0xc0ae.
# Fixtures: tests/interop/keys.sh (server cert with SAN IP:127.0.0.1).
# Quirks (see docs/INTEROP.md): the gnutls tools need
# gnutls-ccm8-only.config (GNUTLS_SYSTEM_PRIORITY_FILE) to choose CCM_8;
# libcoap clients send an IP-literal SNI; -M takes the EC PRIVATE KEY PEM;
# coap-client exits 0 on failure, so its output is checked.
HERE=$(case $0 in */*) echo "${0%/*}" ;; *) echo . ;; esac)
. "$HERE/lib.sh" || { echo "FAIL: cannot load lib.sh" >&2; exit 1; }
. "$HERE/tshark.sh" || die "cannot load tshark.sh"
trap 'cap_stop_all; cs_cleanup' EXIT
require_coapsec
require_cmd coap-server-openssl coap-server-gnutls coap-client-openssl coap-client-gnutls \
    tshark openssl ss grep head awk od
GNUTLS_CFG=$(cd "$HERE" && pwd)/gnutls-ccm8-only.config
[ -r "$GNUTLS_CFG" ] || die "missing $GNUTLS_CFG"

T=$CS_TMP
K=$T/keys
bash "$HERE/keys.sh" "$K" || die "keys.sh failed"
"$COAPSEC" keygen key "$T/rogue-rpk.pem" >"$T/rogue.fp" || die "coapsec keygen failed"
FP_SRV=$("$COAPSEC" keygen fingerprint "$K/server.key")
FP_CLI=$("$COAPSEC" keygen fingerprint "$K/client.key")
FP_ROGUE=$(cat "$T/rogue.fp")
echo "$FP_SRV" >"$T/trust-server.txt"
cp "$K/client.pub.pem" "$T/trust-client.txt" # PEM form of the pin

# suite_ok FILE PORT: every ServerHello in the capture chose 0xc0ae (and there is one).
suite_ok() {
    local s
    s=$(cap_suites "$1" "$2" | sort -u)
    [ "$s" = 0xc0ae ] || {
        echo "  (suites seen on port $2: '${s:-none}')"
        return 1
    }
}

# ---- coapsec client -> libcoap servers ------------------------------------------------
# ours_vs NAME SERVER-ARGS-STRING CLIENT-ARGS-STRING SERVER [ENV...]
ours_vs() {
    local name=$1 sargs=$2 cargs=$3 server=$4 p pid
    shift 4
    p=$(free_udp_port 2)
    # shellcheck disable=SC2086 # the argument strings are word lists
    start_bg "$name-srv" env "$@" "$server" -A 127.0.0.1 -p "$p" $sargs -d 10 -v 6
    pid=$CS_LAST_PID
    wait_for_udp_port $((p + 1))
    if ! cap_start lo $((p + 1)) "$T/$name.pcapng"; then
        fail "$name: capture" "tshark could not start"
        stop_bg "$pid"
        return
    fi
    # shellcheck disable=SC2086
    run_ours "$COAPSEC" client -B 10 -v 1 $cargs "coaps://127.0.0.1:$((p + 1))/" \
        >"$T/$name.out" 2>"$T/$name.err"
    local rc=$?
    cap_stop
    stop_bg "$pid"
    check "$name: coapsec client -> $server: 2.05 with libcoap's banner" \
        bash -c '[ "$0" = 0 ] && grep -q "This is a test server made with libcoap" "$1"' "$rc" "$T/$name.out"
    check "$name: -v reports 0xC0AE" grep -q "(0xC0AE)" "$T/$name.err"
    check "$name: capture shows 0xc0ae only" suite_ok "$T/$name.pcapng" $((p + 1))
}
PKI_S="-c $K/server.crt -j $K/server.key -C $K/ca.crt"
PKI_C="-c $K/client.crt -j $K/client.key -C $K/ca.crt"
ours_vs pki-gnutls "$PKI_S" "$PKI_C" coap-server-gnutls GNUTLS_SYSTEM_PRIORITY_FILE="$GNUTLS_CFG"
check "pki-gnutls: our client validated the server certificate" \
    grep -q "server authenticated by X.509 '" "$T/pki-gnutls.err"
ours_vs pki-openssl "$PKI_S" "$PKI_C" coap-server-openssl
check "pki-openssl: libcoap saw our client certificate" \
    grep -q "coapsec-test-client" "$T/pki-openssl-srv.log"
ours_vs rpk-gnutls "-M $K/server.key" "-M $K/client.key --rpk-trust $T/trust-server.txt" \
    coap-server-gnutls GNUTLS_SYSTEM_PRIORITY_FILE="$GNUTLS_CFG"
check "rpk-gnutls: our client pinned libcoap's raw key" \
    grep -q "server authenticated by raw public key $FP_SRV" "$T/rpk-gnutls.err"

# Refusal on our side: a libcoap server whose CA we do not trust.
p=$(free_udp_port 2)
start_bg untrusted-srv coap-server-openssl -A 127.0.0.1 -p "$p" -c "$K/rogue.crt" -j "$K/rogue.key" -d 10
pid=$CS_LAST_PID
wait_for_udp_port $((p + 1))
run_ours "$COAPSEC" client -B 10 $PKI_C "coaps://127.0.0.1:$((p + 1))/" >"$T/untrusted.out" 2>"$T/untrusted.err"
rc=$?
stop_bg "$pid"
check "coapsec client refuses coap-server-openssl with an unknown CA, says why" \
    bash -c '[ "$0" = 3 ] && grep -q "handshake failed: untrusted CA" "$1"' "$rc" "$T/untrusted.err"

# ---- libcoap clients -> coapsec server (certificates, --mtu 256) ------------------------
Q=$(free_udp_port 2)
start_ours coapsec-server "$COAPSEC" server -A 127.0.0.1 -p "$Q" -c "$K/server.crt" -j "$K/server.key" \
    -C "$K/ca.crt" --rpk-trust "$T/trust-client.txt" --mtu 256 -v 3
PKISRV=$CS_LAST_PID
wait_for_udp_port $((Q + 1))
V=coaps://127.0.0.1:$((Q + 1))

# theirs_vs NAME CLIENT CLIENT-ARGS-STRING [ENV...]
theirs_vs() {
    local name=$1 client=$2 cargs=$3
    shift 3
    if ! cap_start lo $((Q + 1)) "$T/$name.pcapng"; then
        fail "$name: capture" "tshark could not start"
        return
    fi
    # shellcheck disable=SC2086
    env "$@" "$client" -B 10 -v 6 $cargs "$V/" >"$T/$name.out" 2>&1
    cap_stop
    check "$name: $client -> coapsec server: 2.05 with our banner" \
        bash -c 'grep -q "t:ACK c:2.05 " "$0" && grep -q "This is coapsec" "$0"' "$T/$name.out"
    check "$name: capture shows 0xc0ae only" suite_ok "$T/$name.pcapng" $((Q + 1))
    local max
    max=$(cap_max_payload "$T/$name.pcapng" $((Q + 1)))
    check "$name: --mtu 256: every datagram from our server <= 256 bytes (largest $max)" \
        test "$max" -gt 0 -a "$max" -le 256
}
theirs_vs pki-c-gnutls coap-client-gnutls "$PKI_C" GNUTLS_SYSTEM_PRIORITY_FILE="$GNUTLS_CFG"
theirs_vs pki-c-openssl coap-client-openssl "$PKI_C"
# The server's Certificate (> 256 bytes) went out in several fragments.
nfrag=$(tshark -r "$T/pki-c-openssl.pcapng" -d udp.port==$((Q + 1)),dtls \
    -Y "udp.srcport == $((Q + 1)) && dtls.handshake.type == 11" -T fields -e dtls.handshake.fragment_length 2>/dev/null |
    tr ',' '\n' | grep -c .)
check "pki-c-openssl: our Certificate message went out in >= 2 fragments ($nfrag)" test "$nfrag" -ge 2
check "coapsec server validated libcoap's client certificate" \
    grep -q "authenticated by X.509 'coapsec-test-client'" "$T/coapsec-server.log"
stop_bg "$PKISRV"

# Raw public keys: our server holds BOTH its certificate chain and its raw
# key (-c -j) and pins only libcoap's raw key (--rpk-trust, no -C).
# coap-client-gnutls -M offers client_certificate_type {RawPublicKey} and
# server_certificate_type {X.509, RawPublicKey}: X.509 first, yet it has no
# CA. The engine's rule (RFC 7250 §4.2, dtls.h prefer_rpk: a client that
# authenticates with a raw key only gets our raw key) must make our server
# present its raw key, not the chain libcoap would refuse as unknown_ca.
Q=$(free_udp_port 2)
start_ours coapsec-rpk-server "$COAPSEC" server -A 127.0.0.1 -p "$Q" -c "$K/server.crt" \
    -j "$K/server.key" --rpk-trust "$T/trust-client.txt" --mtu 256 -v 3
RPKSRV=$CS_LAST_PID
wait_for_udp_port $((Q + 1))
V=coaps://127.0.0.1:$((Q + 1))
theirs_vs rpk-c-gnutls coap-client-gnutls "-M $K/client.key" GNUTLS_SYSTEM_PRIORITY_FILE="$GNUTLS_CFG"
check "coapsec server pinned libcoap's raw key" \
    grep -q "authenticated by raw public key $FP_CLI" "$T/coapsec-rpk-server.log"
# In the capture: libcoap listed X.509 first for the server, our ServerHello
# chose RawPublicKey, and our Certificate message is the bare SPKI of
# server.key (RFC 7250 §3), not the chain.
# sct_first MSGTYPE DIR: the first type of the server_certificate_type
# extension in the first handshake message MSGTYPE on our port (DIR: src|dst).
sct_first() {
    tshark -r "$T/rpk-c-gnutls.pcapng" -d "udp.port==$((Q + 1)),dtls" -V \
        -Y "udp.$2port == $((Q + 1)) && dtls.handshake.type == $1" 2>/dev/null |
        awk '/Extension: server_certificate_type/ { s = 1; next }
             s && /Certificate Type: / { sub(/.*Certificate Type: /, ""); print; exit }'
}
sh_sct=$(sct_first 2 src)
ch_sct=$(sct_first 1 dst)
check "rpk-c-gnutls: libcoap lists X.509 first for the server ('$ch_sct')" \
    test "$ch_sct" = "X.509 (0x00)"
check "rpk-c-gnutls: our ServerHello chose server_certificate_type RawPublicKey ('$sh_sct')" \
    test "$sh_sct" = "Raw Public Key (0x02)"
spki_hex=$(od -An -v -tx1 "$K/server.pub.der" | tr -d ' \n')
certs=$(tshark -r "$T/rpk-c-gnutls.pcapng" -d "udp.port==$((Q + 1)),dtls" \
    -Y "udp.srcport == $((Q + 1)) && dtls.handshake.type == 11" -T fields \
    -e dtls.handshake.certificate 2>/dev/null | tr ',' '\n' | sed '/^$/d' | sort -u)
check "rpk-c-gnutls: our Certificate message is server.key's raw SPKI (RFC 7250 §3)" \
    test -n "$spki_hex" -a "$certs" = "$spki_hex"

# Refusal on our side: a libcoap client with a raw key we did not pin.
GNUTLS_SYSTEM_PRIORITY_FILE="$GNUTLS_CFG" coap-client-gnutls -B 5 -v 6 -M "$T/rogue-rpk.pem" "$V/" \
    >"$T/rogue.out" 2>&1
check "unpinned libcoap raw key: no response" bash -c '! grep -q "c:2.05" "$0"' "$T/rogue.out"
check "coapsec server refuses it, naming the key" \
    grep -q "failed: unknown raw public key ($FP_ROGUE)" "$T/coapsec-rpk-server.log"
stop_bg "$RPKSRV"
finish
