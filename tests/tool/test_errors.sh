#!/usr/bin/env bash
# tests/tool/test_errors.sh - every failure a user can cause gets its own
# one-line message from the `coapsec` tool naming the cause and the fix
# (tools/explain.c), with the exit status of docs/CLI.md: an unknown PSK
# identity (RFC 4279 §2 unknown_psk_identity), a wrong key (the Finished
# does not verify, RFC 5246 §7.4.9: bad_record_mac), a certificate from an
# untrusted CA (unknown_ca), an expired certificate (certificate_expired,
# with its date), a chain off P-256 (RFC 8422 / TS-0008: wrong curve), no
# common cipher suite (handshake_failure; tool server and openssl s_server
# with a GCM-only list), no answer (handshake timeout), a port in use, an
# unreadable key file, malformed URIs (RFC 7252 §6.1) - both sides where
# both see it. Also the -v scale: library messages at their libcoap levels
# and every session event at -v 8.
set -u
. "$(case $0 in */*) echo "${0%/*}" ;; *) echo . ;; esac)/../interop/lib.sh" || {
    echo "FAIL: cannot load lib.sh" >&2
    exit 1
}
require_coapsec
require_cmd ss openssl grep timeout
C=$COAPSEC
T=$CS_TMP
K=$T/keys
bash "$COAPSEC_SRC/tests/interop/keys.sh" "$K" || die "keys.sh failed"
KA=alice-key-0123456789ab

# run NAME EXPECTED_RC CLIENT-ARGS...: stderr in $T/NAME.err
run() {
    local name=$1 want=$2 rc
    shift 2
    run_ours "$C" client "$@" >"$T/$name.out" 2>"$T/$name.err"
    rc=$?
    if [ "$rc" != "$want" ]; then
        fail "$name" "exit $rc, wanted $want; stderr: $(head -c 600 "$T/$name.err")"
        return 1
    fi
    return 0
}
# one_line NAME TEXT: the client printed exactly one line, and it holds TEXT.
one_line() {
    [ "$(wc -l <"$T/$1.err")" = 1 ] && grep -qF -- "$2" "$T/$1.err"
}
# server_says LOG TEXT: wait up to 3 s for TEXT in a server log.
server_says() {
    local i
    for ((i = 0; i < 30; i++)); do
        grep -qF -- "$2" "$1" && return 0
        sleep 0.1
    done
    return 1
}

# --- PSK: unknown identity, wrong key ---------------------------------------------------
printf ',alice,%s\n' "$KA" >"$T/ids.txt"
P=$(free_udp_port 2)
start_ours psk "$C" server -A 127.0.0.1 -p "$P" -i "$T/ids.txt" -v 1
SPSK=$CS_LAST_PID
wait_for_udp_port $((P + 1))
U=coaps://127.0.0.1:$((P + 1))
if run unknown-id 3 -B 10 -u mallory -k "$KA" "$U/"; then
    check "unknown identity: cause and fix, one line" one_line unknown-id \
        "coapsec client: handshake failed: unknown PSK identity (unknown_psk_identity): the server does not know PSK identity 'mallory': check -u, or add the identity to the server (coapsec server -i FILE)"
    check "  ... server: names the identity file and -k" server_says "$T/psk.log" \
        "failed: unknown PSK identity (unknown_psk_identity): a client offered a PSK identity that is neither in the identity file (-i)"
fi
if run wrong-key 3 -B 10 -u alice -k wrong-key-0123456789 "$U/"; then
    check "wrong key: cause and fix, one line" one_line wrong-key \
        "coapsec client: handshake failed: wrong key or identity (bad_record_mac): the server holds a different pre-shared key for identity 'alice': check -k"
    check "  ... server: compare the keys" server_says "$T/psk.log" \
        "failed: wrong key or identity (bad_record_mac): the client's pre-shared key differs from ours"
fi

# --- port in use ------------------------------------------------------------------------
"$C" server -A 127.0.0.1 -p "$P" -k "$KA" >"$T/inuse.out" 2>"$T/inuse.err"
rc=$?
check "port in use: exit 3, cause and fix" bash -c '[ "$0" = 3 ] && [ "$(wc -l <"$1")" = 1 ] &&
    grep -qF "coapsec server: cannot listen on 127.0.0.1 port $2: Address already in use: another server" "$1" &&
    grep -qF "pick another port with -p" "$1"' "$rc" "$T/inuse.err" $((P + 1))
stop_bg "$SPSK"

# --- no answer ------------------------------------------------------------------------------
Z=$(free_udp_port)
if run no-answer 3 -B 3 -u alice -k "$KA" "coaps://127.0.0.1:$Z/"; then
    check "no answer: names the address, the wait and what to check" one_line no-answer \
        "handshake failed: no answer from the peer (timeout): nothing came back from 127.0.0.1:$Z within 3 s: is the server running, and is this its coaps port?"
fi

# --- certificates ---------------------------------------------------------------------------
P=$(free_udp_port 2)
start_ours cert "$C" server -A 127.0.0.1 -p "$P" -c "$K/server.crt" -j "$K/server.key" -C "$K/ca.crt" -v 1
SC=$CS_LAST_PID
wait_for_udp_port $((P + 1))
U=coaps://127.0.0.1:$((P + 1))
if run untrusted 3 -B 10 -c "$K/client.crt" -j "$K/client.key" -C "$K/rogue-ca.crt" "$U/"; then
    check "untrusted CA: names the peer, the alert and -C/-R" one_line untrusted \
        "(unknown_ca): the certificate of 127.0.0.1:$((P + 1)) is not signed by a CA we trust: pass that CA with -C FILE (or a bundle of roots with -R FILE)"
fi
if run rogue-client 3 -B 10 -c "$K/rogue.crt" -j "$K/rogue.key" -C "$K/ca.crt" "$U/"; then
    check "client certificate refused: the client is told what the server wants" one_line rogue-client \
        "the peer rejected our certificate or raw public key (unknown_ca from the peer): 127.0.0.1:$((P + 1)) does not accept our certificate"
    check "  ... server: the client's CA is unknown, pass it with -C" server_says "$T/cert.log" \
        "(unknown_ca): the certificate of the client is not signed by a CA we trust: pass that CA with -C FILE"
fi
if run no-client-cert 3 -B 10 -C "$K/ca.crt" "$U/"; then
    check "no client certificate: the client is told the server wants one" one_line no-client-cert \
        "(handshake_failure): 127.0.0.1:$((P + 1)) most likely requires a client certificate or raw public key and we presented none: give -c CERT -j KEY or -M KEY"
    check "  ... server: the client sent no certificate" server_says "$T/cert.log" \
        "sent no certificate"
fi
if run psk-to-cert 3 -B 10 -u alice -k "$KA" "$U/"; then
    check "no common suite (tool server): names both suites" one_line psk-to-cert \
        "handshake failed: the server refused the handshake (handshake_failure): 127.0.0.1:$((P + 1)) has no cipher suite in common with us (or lacks credentials for it): coapsec speaks TLS_PSK_WITH_AES_128_CCM_8"
    check "  ... server: the client offered none of ours" server_says "$T/cert.log" \
        "failed: peer offered no suite of ours (handshake_failure): the client offered no cipher suite this server has credentials for"
fi
stop_bg "$SC"

P=$(free_udp_port 2)
start_ours expired "$C" server -A 127.0.0.1 -p "$P" -c "$K/expired.crt" -j "$K/expired.key"
SE=$CS_LAST_PID
wait_for_udp_port $((P + 1))
if run expired 3 -B 10 -C "$K/ca.crt" "coaps://127.0.0.1:$((P + 1))/"; then
    check "expired certificate: the date, renew or check the clock" one_line expired \
        "expired on 2021-01-01 00:00:00 UTC) (certificate_expired): the certificate of 127.0.0.1:$((P + 1)) has expired: have it renewed"
fi
stop_bg "$SE"

P=$(free_udp_port 2)
start_ours p384 "$C" server -A 127.0.0.1 -p "$P" -c "$K/p384-leaf-chain.crt" -j "$K/p384-leaf.key"
S3=$CS_LAST_PID
wait_for_udp_port $((P + 1))
if run wrong-curve 3 -B 10 -C "$K/ca.crt" "coaps://127.0.0.1:$((P + 1))/"; then
    check "P-384 in the chain: wrong curve, P-256 only" one_line wrong-curve \
        "handshake failed: wrong curve (certificate at depth 1; certificate key is not on curve P-256) (unsupported_certificate): TS-0008 allows only P-256 (secp256r1) keys"
fi
stop_bg "$S3"

# --- no common suite: openssl s_server with a GCM-only PSK cipher list ----------------------
P=$(free_udp_port)
start_bg ossl bash -c "sleep 60 | exec openssl s_server -dtls1_2 -accept 127.0.0.1:$P -nocert \
    -psk_identity alice -psk $(printf %s "$KA" | od -An -tx1 | tr -d ' \n') -cipher PSK-AES128-GCM-SHA256"
SO=$CS_LAST_PID
wait_for_udp_port "$P"
if run gcm-only 3 -B 10 -u alice -k "$KA" "coaps://127.0.0.1:$P/"; then
    check "openssl GCM-only server: no common suite, both of ours named" one_line gcm-only \
        "the server refused the handshake (handshake_failure): 127.0.0.1:$P has no cipher suite in common with us (or lacks credentials for it): coapsec speaks TLS_PSK_WITH_AES_128_CCM_8 (PSK: -u/-k) and TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8"
fi
stop_bg "$SO"

# --- key files ------------------------------------------------------------------------------
if run no-key-file 2 -c "$T/missing.pem" -C "$K/ca.crt" "coaps://127.0.0.1:$P/"; then
    check "missing key file: path and errno text" one_line no-key-file \
        "cannot read key file '$T/missing.pem': No such file or directory"
fi
if run dir-key-file 2 -M "$T" --rpk-trust "$K/ca.crt" "coaps://127.0.0.1:$P/"; then
    check "a directory as key file: said so" one_line dir-key-file \
        "cannot read key file '$T': it is a directory, not a PEM file"
fi
"$C" server -A 127.0.0.1 -p "$(free_udp_port 2)" -c "$K/server.crt" -j "$T/missing.key" >/dev/null 2>"$T/srv-nokey.err"
check "server: missing key file named too" bash -c '[ "$0" = 2 ] &&
    grep -qF "cannot read key file '\''$1'\'': No such file or directory" "$2"' "$?" "$T/missing.key" "$T/srv-nokey.err"

# --- malformed URIs: what is wrong in each ----------------------------------------------------
uri_case() {
    local uri=$1 want=$2
    if run badurl 2 "$uri"; then
        check "URI '$uri': $want" one_line badurl "coapsec client: malformed URI '$uri': $want"
    fi
}
uri_case "coap:/x" "the scheme must be followed by '//' and the host"
uri_case "http://127.0.0.1/" "scheme 'http' is not supported: only coap:// and coaps://"
uri_case "127.0.0.1/x" "no scheme: it must start with coap:// or coaps://"
uri_case "coap://" "no host after '//'"
uri_case "coap://[::1/x" "the IPv6 address is not closed with ']'"
uri_case "coap://::1/x" "an IPv6 address must be written in brackets"
uri_case "coap://127.0.0.1:70000/" "bad port '70000' (1-65535)"
uri_case "coap://127.0.0.1/a b" "it contains a space or control character"
uri_case "coap://127.0.0.1/x#frag" "fragments ('#...') are not allowed"

# --- -v levels (libcoap numbering) and the log callback --------------------------------------
P=$(free_udp_port 2)
start_ours v8 "$C" server -A 127.0.0.1 -p "$P" -k "$KA" -v 8
SV=$CS_LAST_PID
wait_for_udp_port $((P + 1))
run v6 0 -B 10 -v 6 -u alice -k "$KA" "coaps://127.0.0.1:$((P + 1))/" &&
    check "-v 6: library info messages, tagged with their level" grep -q \
        "^coapsec: info: DTLS session with 127.0.0.1:$((P + 1)) established" "$T/v6.err"
run v5 0 -B 10 -v 5 -u alice -k "$KA" "coaps://127.0.0.1:$((P + 1))/" &&
    check "-v 5: no info messages" bash -c '! grep -q "coapsec: info:" "$0"' "$T/v5.err"
run v7 0 -B 10 -v 7 -u alice -k "$KA" "coaps://127.0.0.1:$((P + 1))/" &&
    check "-v 7: debug messages appear" grep -q "^coapsec: debug: " "$T/v7.err"
check "server -v 8: every session event with all its fields" server_says "$T/v8.log" \
    "coapsec server: session established with 127.0.0.1:"
check "  ... suite and the handshake time" grep -q "suite 0xC0A8, handshake [0-9]* ms" "$T/v8.log"
stop_bg "$SV"
finish
