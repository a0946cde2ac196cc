#!/usr/bin/env bash
# test_bench_smoke.sh - smoke run of the benchmark machinery (bench/run.sh with
# SMOKE=1, tiny runs): the load generator must get answers from coapsec's NoSec
# server and from libcoap's coap-server-notls, from coapsec's DTLS-PSK server
# (full and resumed handshakes), from its ECDHE-ECDSA server with raw public
# keys (RFC 7250) and with X.509 certificates (both mutual), and
# results.json must carry every metric key. No timing assertions: speed is `make bench`'s business.
# Also checks the load generator's own error paths (usage, no server).
set -u
. "$(dirname "$0")/../interop/lib.sh"

require_coapsec
require_cmd coap-server-notls ss taskset
SRC=${COAPSEC_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${COAPSEC_BUILD:-$(dirname "$COAPSEC")}
LOADGEN=$BUILD/bench/coapsec-bench
[ -x "$LOADGEN" ] || die "load generator not built at '$LOADGEN' (target coapsec_bench_tool)"
[ -x "$BUILD/bench/coapsec-udp-echo" ] || die "coapsec-udp-echo not built (target coapsec_udp_echo)"

# Usage errors: exit status 2; a key that cannot be read is a setup error (3).
"$LOADGEN" --mode nosuch coap://127.0.0.1:1/ >/dev/null 2>&1
check "usage error -> 2" [ $? = 2 ]
"$LOADGEN" --mode psk coap://127.0.0.1:1/ >/dev/null 2>&1
check "psk mode needs coaps:// -> 2" [ $? = 2 ]
"$LOADGEN" --mode ecdhe-handshake --key "$CS_TMP/no-such.key" coaps://127.0.0.1:1/ >/dev/null 2>&1
check "ecdhe-handshake: unreadable --key -> setup error 3" [ $? = 3 ]
"$LOADGEN" --mode cert-handshake coaps://127.0.0.1:1/ >/dev/null 2>&1
check "cert-handshake without --key/--cert/--ca -> setup error 3" [ $? = 3 ]

# Nobody listening: the run completes nothing and says so (exit 1, status no-response).
port=$(free_udp_port)
timeout 10 "$LOADGEN" -q --mode nosec --sessions 4 --window 4 --duration 0.3 \
    --json "$CS_TMP/none.json" "coap://127.0.0.1:$port/" >/dev/null 2>&1
rc=$?
check "no server -> exit 1" [ $rc = 1 ]
check "no server -> status no-response" grep -q '"status": "no-response"' "$CS_TMP/none.json"

# The smoke run: coapsec (NoSec, and DTLS when its server has it) and coap-server-notls.
OUT=$CS_TMP/out
SMOKE=1 BENCH_OUT=$OUT BENCH_SERVERS="coapsec" BENCH_NOSEC_SERVERS="coapsec libcoap_notls" \
    timeout 60 bash "$SRC/bench/run.sh" "$BUILD" >"$CS_TMP/run.log" 2>&1
rc=$?
check "run.sh exit 0" [ $rc = 0 ]
J=$OUT/results.json
check "results.json written" [ -s "$J" ]
for k in psk_handshakes_per_s ecdhe_handshakes_per_s cert_handshakes_per_s resume_handshakes_per_s \
    dtls_get_per_s dtls_get_per_s_10k nosec_get_per_s bytes_per_session udp_echo_per_s; do
    check "key $k" grep -q "^  \"$k\": {" "$J"
done
for k in psk_handshakes_per_s ecdhe_handshakes_per_s cert_handshakes_per_s resume_handshakes_per_s \
    dtls_get_per_s dtls_get_per_s_10k nosec_get_per_s bytes_per_session; do
    check "$k has coapsec, libcoap_openssl, libcoap_gnutls" \
        bash -c "grep '^  \"$k\": {' '$J' | grep -q '\"coapsec\": .*\"libcoap_openssl\": .*\"libcoap_gnutls\": '"
done
check "_bound_pct has ecdhe and cert" \
    grep -q '"_bound_pct": {"ecdhe_handshakes_per_s": .*, "cert_handshakes_per_s": ' "$J"
check "udp_echo_per_s has limit" bash -c "grep '^  \"udp_echo_per_s\": {' '$J' | grep -q '\"limit\": [0-9]'"
check "coapsec NoSec answered" bash -c "grep '^  \"nosec_get_per_s\": {' '$J' | grep -q '\"coapsec\": [1-9]'"
check "coap-server-notls answered" bash -c "grep '^  \"nosec_get_per_s\": {' '$J' | grep -q '\"libcoap_notls\": [1-9]'"
# ECDHE-ECDSA, raw public keys, mutual: coapsec's server pins the load generator's key.
check "coapsec ECDHE-ECDSA (RPK, mutual) handshakes answered" \
    bash -c "grep '^  \"ecdhe_handshakes_per_s\": {' '$J' | grep -q '\"coapsec\": [1-9]'"
# Certificate mode (X.509 chains both ways, verified against the run's CA).
check "coapsec certificate-mode handshakes answered" \
    bash -c "grep '^  \"cert_handshakes_per_s\": {' '$J' | grep -q '\"coapsec\": [1-9]'"
# Abbreviated handshakes: counted only when the server really resumed.
check "coapsec resumed handshakes answered" \
    bash -c "grep '^  \"resume_handshakes_per_s\": {' '$J' | grep -q '\"coapsec\": [1-9]'"
check "coapsec DTLS-PSK GET answered" bash -c "grep '^  \"dtls_get_per_s\": {' '$J' | grep -q '\"coapsec\": [1-9]'"
if [ "$CS_FAILED" != 0 ]; then
    echo "--- run.sh output"
    cat "$CS_TMP/run.log"
    echo "--- results.json"
    cat "$J" 2>/dev/null
fi
finish
