#!/usr/bin/env bash
# tests/interop/test_libcoap_block_observe.sh - block-wise transfer (RFC 7959)
# and observe (RFC 7641) interop with libcoap 4.3.1 (libcoap3-bin), in both
# directions, over NoSec (coap-*-notls) and DTLS-PSK (coap-*-openssl and
# coap-*-gnutls, the latter held to TLS_PSK_WITH_AES_128_CCM_8 by
# tests/interop/gnutls-ccm8-only.config through GNUTLS_SYSTEM_PRIORITY_FILE):
#   - `coapsec client` PUTs 300 KB to libcoap's coap-server (-d: dynamic
#     resources; Block1, §2.5) and GETs it back (Block2, §2.4), SHA-256 compared;
#   - coap-client -b 64 PUTs 20 KB to `coapsec server` in 64-byte blocks and
#     GETs it back (64-byte Block2, early negotiation §2.4);
#   - coap-client -s 3 observes our /time: >= 2 notifications (§4.2); libcoap
#     4.3.1 prints them without separators, so the timestamps are counted;
#   - `coapsec client -s 3` observes libcoap's /time: >= 2 lines, then our
#     deregistration (§3.6) is answered.
# coap-client exits 0 even on failure: its output is checked, not its status.
HERE=$(case $0 in */*) echo "${0%/*}" ;; *) echo . ;; esac)
. "$HERE/lib.sh" || { echo "FAIL: cannot load lib.sh" >&2; exit 1; }
require_coapsec
require_cmd coap-server-notls coap-client-notls coap-server-openssl coap-client-openssl \
    coap-server-gnutls coap-client-gnutls ss sha256sum head grep cmp timeout
GNUTLS_CFG=$(cd "$HERE" && pwd)/gnutls-ccm8-only.config
[ -r "$GNUTLS_CFG" ] || die "missing $GNUTLS_CFG"

T=$CS_TMP
ID=Client_identity
KEY=secretPSK-0123456789 # libcoap 4.3.1 -k is raw text
head -c 300000 /dev/urandom >"$T/big.bin"
SUM=$(sha256sum <"$T/big.bin" | cut -d' ' -f1)
head -c 20000 /dev/urandom >"$T/mid.bin"
sha() { sha256sum <"$1" 2>/dev/null | cut -d' ' -f1; }

# Our server: plain coap on Q, coaps on Q+1.
Q=$(free_udp_port 2)
start_ours coapsec-server "$COAPSEC" server -A 127.0.0.1 -p "$Q" -k "$KEY" --nosec -v 2
OURS=$CS_LAST_PID
wait_for_udp_port "$Q"
wait_for_udp_port $((Q + 1))

# pairing NAME BACKEND(notls|openssl|gnutls) [ENV...]
pairing() {
    local name=$1 be=$2
    shift 2
    local p pid scheme=coap off=0 ours=() theirs=()
    [ "$be" = notls ] || { scheme=coaps; off=1; ours=(-u "$ID" -k "$KEY"); theirs=(-u "$ID" -k "$KEY"); }

    # --- coapsec client -> coap-server-$be ---
    p=$(free_udp_port 2)
    start_bg "$name-srv" env "$@" "coap-server-$be" -A 127.0.0.1 -p "$p" -k "$KEY" -d 10
    pid=$CS_LAST_PID
    wait_for_udp_port $((p + off))
    local U=$scheme://127.0.0.1:$((p + off))
    run_ours "$COAPSEC" client -B 20 -v 1 "${ours[@]}" -m put -f "$T/big.bin" "$U/data" \
        >"$T/$name-put.out" 2>"$T/$name-put.err"
    local put=$?
    run_ours "$COAPSEC" client -B 20 "${ours[@]}" -o "$T/$name.got" "$U/data" \
        >"$T/$name-get.out" 2>"$T/$name-get.err"
    local get=$?
    check "$name: coapsec client PUT 300 KB -> coap-server-$be: 2.01" \
        bash -c '[ "$0" = 0 ] && grep -q "2.01 Created" "$1"' "$put" "$T/$name-put.err"
    check "$name: coapsec client GET from coap-server-$be: same SHA-256" \
        test "$get" = 0 -a "$(sha "$T/$name.got")" = "$SUM"
    run_ours "$COAPSEC" client -B 10 "${ours[@]}" -s 3 "$U/time" >"$T/$name-obs.out" 2>"$T/$name-obs.err"
    local obs=$? n
    n=$(grep -c "[0-9]:[0-9][0-9]:[0-9][0-9]" "$T/$name-obs.out")
    check "$name: coapsec client -s 3 on coap-server-$be /time: >= 2 lines (got $n)" \
        test "$obs" = 0 -a "$n" -ge 2
    check "$name: our deregistration was answered" \
        bash -c '! grep -q "deregistration not confirmed" "$0"' "$T/$name-obs.err"
    stop_bg "$pid"

    # --- coap-client-$be -> coapsec server ---
    local V=$scheme://127.0.0.1:$((Q + off))
    env "$@" timeout 60 "coap-client-$be" -B 20 "${theirs[@]}" -b 64 -m put -f "$T/mid.bin" \
        "$V/$name" >"$T/$name-lput.out" 2>&1
    env "$@" timeout 60 "coap-client-$be" -B 20 "${theirs[@]}" -b 64 -o "$T/$name.lgot" "$V/$name" \
        >"$T/$name-lget.out" 2>&1
    check "$name: coap-client-$be -b 64 PUT 20 KB then GET from coapsec server" \
        cmp -s "$T/mid.bin" "$T/$name.lgot"
    env "$@" timeout 20 "coap-client-$be" -B 10 "${theirs[@]}" -s 3 "$V/time" >"$T/$name-lobs.out" 2>&1
    n=$(grep -o "UTC" "$T/$name-lobs.out" | wc -l)
    check "$name: coap-client-$be -s 3 on coapsec /time: >= 2 notifications (got $n)" test "$n" -ge 2
}
pairing notls notls
pairing openssl openssl
pairing gnutls gnutls GNUTLS_SYSTEM_PRIORITY_FILE="$GNUTLS_CFG"

stop_bg "$OURS"
check "coapsec server exits cleanly" test "$CS_STOP_RC" = 0
check "coapsec server had /time observers and saw them go" \
    bash -c 'grep -q "/time has 1 observer" "$0" && grep -q "/time has 0 observers" "$0"' \
    "$T/coapsec-server.log"
finish
