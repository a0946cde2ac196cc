#!/usr/bin/env bash
# tests/tool/test_cli_psk.sh - end-to-end test of the `coapsec` tool in DTLS-PSK
# mode (coaps://, RFC 7252 §9.1 over DTLS 1.2 with TLS_PSK_WITH_AES_128_CCM_8):
# tool server <-> tool client on 127.0.0.1 with free ports. Checks PUT then GET
# of a 1,000-byte payload inside DTLS, libcoap's -i identity file (hint field,
# comments, hex keys), an unknown identity (RFC 4279 §5.2), a wrong key (exact
# message), no answer (handshake timeout), -v showing the suite, coaps on
# PORT+1 with plain coap OFF unless --nosec, the default key (-k), the
# short-key warning (TS-0008) and usage errors.
. "$(case $0 in */*) echo "${0%/*}" ;; *) echo . ;; esac)/../interop/lib.sh" || { echo "FAIL: cannot load lib.sh" >&2; exit 1; }
require_coapsec
require_cmd ss cmp head grep

C=$COAPSEC
T=$CS_TMP
KA=alice-key-0123456789
cat >"$T/ids.txt" <<EOF
# hint,identity,key (libcoap coap-server -i format)
CoAP,alice,$KA
,bob,0x626f622d6b65792d30313233343536373839
OtherHint,carol,carol-key-0123456789
EOF

P=$(free_udp_port 2)
start_bg server "$C" server -A 127.0.0.1 -p "$P" -i "$T/ids.txt" -h CoAP -v 3
SRV=$CS_LAST_PID
wait_for_udp_port $((P + 1))
U=coaps://127.0.0.1:$((P + 1))

# run NAME EXPECTED_RC CLIENT-ARGS...: stdout/stderr in $T/NAME.{out,err}
run() {
    local name=$1 want=$2 rc
    shift 2
    "$C" client "$@" >"$T/$name.out" 2>"$T/$name.err"
    rc=$?
    if [ "$rc" != "$want" ]; then
        fail "$name" "exit $rc, wanted $want; stderr: $(head -c 300 "$T/$name.err")"
        return 1
    fi
    return 0
}
has() { grep -q -- "$2" "$T/$1"; }

# --- PUT then GET of 1,000 bytes over DTLS ------------------------------------
head -c 1000 /dev/urandom >"$T/big.bin"
if run put 0 -B 10 -v 1 -u alice -k "$KA" -m put -f "$T/big.bin" "$U/big"; then
    check "PUT 1000 bytes over coaps -> 2.01" has put.err "2.01 Created"
    check "-v shows the negotiated suite" has put.err "DTLS: TLS_PSK_WITH_AES_128_CCM_8 (0xC0A8)"
fi
if run get 0 -B 10 -u alice -k "$KA" -o "$T/big.got" "$U/big"; then
    check "GET returns the same 1000 bytes" cmp -s "$T/big.bin" "$T/big.got"
fi
check "server logs the suite and the identity" grep -q "0xC0A8.*identity 'alice'" "$T/server.log"
check "server logs the request" grep -q "GET /big" "$T/server.log"

# --- identity file: hex key, empty hint, other hint -----------------------------
run bob 0 -B 10 -u bob -k bob-key-0123456789 "$U/big" && pass "identity with 0xHEX key and empty hint"
if run carol 3 -B 10 -u carol -k carol-key-0123456789 "$U/big"; then
    check "identity for another hint is unknown" has carol.err \
        "coapsec client: handshake failed: unknown PSK identity (unknown_psk_identity)"
fi
if run unknown 3 -B 10 -u mallory -k "$KA" "$U/big"; then
    check "unknown identity refused (no -k default)" has unknown.err "handshake failed: unknown PSK identity"
fi

# --- wrong key: the exact message ------------------------------------------------
if run wrongkey 3 -B 10 -u alice -k wrong-key-0123456789 "$U/big"; then
    check "wrong key: exact message" test "$(cat "$T/wrongkey.err")" = \
        "coapsec client: handshake failed: wrong key or identity (bad_record_mac): the server holds a different pre-shared key for identity 'alice': check -k (text, or 0xHEX for binary keys)"
fi
check "server logs the failed handshake" grep -q "handshake with .* failed: wrong key" "$T/server.log"

# --- plain coap is OFF next to coaps unless --nosec --------------------------------
if run plain-off 3 -B 2 "coap://127.0.0.1:$P/big"; then
    check "no plain coap on PORT when credentials are given" has plain-off.err "no response"
fi
if run plain-to-dtls 3 -B 2 "coap://127.0.0.1:$((P + 1))/big"; then
    check "plaintext CoAP to the DTLS port is not answered" has plain-to-dtls.err "no response"
fi
stop_bg "$SRV"
check "secure server exits 0 on SIGTERM" test "$CS_STOP_RC" = 0

# --- default key (-k) with --nosec ---------------------------------------------------
Q=$(free_udp_port 2)
start_bg server2 "$C" server -A 127.0.0.1 -p "$Q" -k default-key-0123456 --nosec
wait_for_udp_port $((Q + 1))
wait_for_udp_port "$Q"
run anyid 0 -B 10 -u whoever -k default-key-0123456 -m put -e secret "coaps://127.0.0.1:$((Q + 1))/d" &&
    pass "-k default key accepts any identity"
if run nosec-get 0 -B 10 "coap://127.0.0.1:$Q/d"; then
    check "--nosec serves plain coap on PORT (same store)" test "$(cat "$T/nosec-get.out")" = secret
fi

# --- no answer: handshake timeout message ---------------------------------------------
Z=$(free_udp_port)
if run noanswer 3 -B 3 -u a -k "$KA" "coaps://127.0.0.1:$Z/"; then
    check "no answer: timeout message" has noanswer.err \
        "handshake failed: no answer from the peer (timeout)"
fi

# --- warnings and usage errors ---------------------------------------------------------
if run shortkey 3 -B 10 -u x -k short "coaps://127.0.0.1:$((Q + 1))/d"; then
    check "short PSK: TS-0008 warning" has shortkey.err "warning: the PSK is only 5 bytes"
fi
run nokey 2 "coaps://127.0.0.1:$((Q + 1))/d" && check "coaps without -k: usage error" has nokey.err "-u IDENTITY -k KEY"
run badhex 2 -u a -k 0xZZ "coaps://127.0.0.1:$((Q + 1))/d" && pass "bad 0xHEX key: usage error"
printf 'CoAP,onlytwo\n' >"$T/bad-ids.txt"
"$C" server -A 127.0.0.1 -p "$(free_udp_port 2)" -i "$T/bad-ids.txt" >"$T/badids.out" 2>"$T/badids.err"
rc=$?
check "malformed identity file: exit 2 with the line number" bash -c \
    '[ "$0" = 2 ] && grep -q "bad-ids.txt:1" "$1"' "$rc" "$T/badids.err"
check "server help lists the PSK options" bash -c \
    'o=$("$0" help server); for x in -k -i -h --nosec; do grep -q -- "$x " <<<"$o" || exit 1; done' "$C"
finish
