#!/usr/bin/env bash
# scripts/demo.sh - show coapsec working: for each security mode, start
# `coapsec server` and run `coapsec client` against it on loopback free ports,
# then print one table row: mode, negotiated cipher suite, handshake time and
# request -> response. RPK and certificate keys are made at demo time with
# `coapsec keygen` in a temporary directory. To add a mode: write demo_<mode>
# (printing the row fields "suite|handshake|result") and add <mode> to MODES.
#
# usage: scripts/demo.sh [path/to/coapsec]   (default: build/coapsec)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=${1:-$HERE/../build/coapsec}
[ -x "$BIN" ] || { echo "demo: coapsec tool not found at '$BIN' (run make first)" >&2; exit 1; }
COAPSEC=$BIN
. "$HERE/../tests/interop/lib.sh"

MODES=(nosec psk rpk x509)
declare -A TITLE=([nosec]="NoSec (coap://)" [psk]="PSK (coaps://)" [rpk]="RawPublicKey (coaps://)"
    [x509]="Certificates (coaps://)")

ms_now() { date +%s%N | cut -c1-13; }

# demo_nosec: plain CoAP over UDP, GET /time and a PUT/GET of 1,000 bytes.
demo_nosec() {
    local port out err t0 t1 code
    port=$(free_udp_port)
    start_bg demo-nosec-server "$BIN" server -A 127.0.0.1 -p "$port"
    local pid=$CS_LAST_PID
    wait_for_udp_port "$port"
    t0=$(ms_now)
    out=$("$BIN" client -B 10 -v 1 "coap://127.0.0.1:$port/time" 2>"$CS_TMP/nosec.err")
    local rc=$?
    t1=$(ms_now)
    code=$(sed -n 's/^<- [A-Z]* \([0-9]\.[0-9][0-9] [A-Za-z ]*\) mid=.*/\1/p' "$CS_TMP/nosec.err" | head -n1)
    head -c 1000 /dev/urandom >"$CS_TMP/demo.bin"
    local big="1000-byte PUT/GET FAILED"
    if "$BIN" client -B 10 -m put -f "$CS_TMP/demo.bin" "coap://127.0.0.1:$port/demo" 2>/dev/null &&
        "$BIN" client -B 10 -o "$CS_TMP/demo.got" "coap://127.0.0.1:$port/demo" 2>/dev/null &&
        cmp -s "$CS_TMP/demo.bin" "$CS_TMP/demo.got"; then
        big="1000-byte PUT/GET ok"
    fi
    stop_bg "$pid"
    if [ $rc = 0 ]; then
        echo "none|n/a|GET /time -> ${code:-?} \"$out\" ($((t1 - t0)) ms); $big"
    else
        echo "none|n/a|GET /time FAILED (exit $rc: $(head -c 100 "$CS_TMP/nosec.err"))"
    fi
}

# demo_psk: coaps:// with a pre-shared key (TLS_PSK_WITH_AES_128_CCM_8): the
# server serves coaps on PORT+1; GET /time, then a PUT/GET of 1,000 bytes.
demo_psk() {
    local port key=demo-psk-0123456789abcdef code suite hs
    port=$(free_udp_port 2)
    start_bg demo-psk-server "$BIN" server -A 127.0.0.1 -p "$port" -k "$key"
    local pid=$CS_LAST_PID
    wait_for_udp_port $((port + 1))
    local U=coaps://127.0.0.1:$((port + 1))
    local t0 t1 out
    t0=$(ms_now)
    out=$("$BIN" client -B 10 -v 1 -u demo-node -k "$key" "$U/time" 2>"$CS_TMP/psk.err")
    local rc=$?
    t1=$(ms_now)
    code=$(sed -n 's/^<- [A-Z]* \([0-9]\.[0-9][0-9] [A-Za-z ]*\) mid=.*/\1/p' "$CS_TMP/psk.err" | head -n1)
    suite=$(sed -n 's/^DTLS: \([A-Z0-9_]* (0x[0-9A-F]*)\).*/\1/p' "$CS_TMP/psk.err" | head -n1)
    hs=$(sed -n 's/^DTLS: .*handshake \([0-9]* ms\).*/\1/p' "$CS_TMP/psk.err" | head -n1)
    head -c 1000 /dev/urandom >"$CS_TMP/demo-psk.bin"
    local big="1000-byte PUT/GET FAILED"
    if "$BIN" client -B 10 -u demo-node -k "$key" -m put -f "$CS_TMP/demo-psk.bin" "$U/demo" 2>/dev/null &&
        "$BIN" client -B 10 -u demo-node -k "$key" -o "$CS_TMP/demo-psk.got" "$U/demo" 2>/dev/null &&
        cmp -s "$CS_TMP/demo-psk.bin" "$CS_TMP/demo-psk.got"; then
        big="1000-byte PUT/GET ok"
    fi
    stop_bg "$pid"
    if [ $rc = 0 ]; then
        echo "${suite:-?}|${hs:-?}|GET /time -> ${code:-?} \"$out\" ($((t1 - t0)) ms); $big"
    else
        echo "-|-|GET /time FAILED (exit $rc: $(head -c 100 "$CS_TMP/psk.err"))"
    fi
}

# demo_ecdsa NAME SERVER-ARGS CLIENT-ARGS: coaps:// with
# TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8; GET /time, the peer's identity as the
# client validated it (-v 1).
demo_ecdsa() {
    local name=$1 sargs=$2 cargs=$3 port code suite hs who
    port=$(free_udp_port 2)
    # shellcheck disable=SC2086 # argument lists
    start_bg "demo-$name-server" "$BIN" server -A 127.0.0.1 -p "$port" $sargs
    local pid=$CS_LAST_PID
    wait_for_udp_port $((port + 1))
    local t0 t1 out
    t0=$(ms_now)
    # shellcheck disable=SC2086
    out=$("$BIN" client -B 10 -v 1 $cargs "coaps://127.0.0.1:$((port + 1))/time" 2>"$CS_TMP/$name.err")
    local rc=$?
    t1=$(ms_now)
    stop_bg "$pid"
    code=$(sed -n 's/^<- [A-Z]* \([0-9]\.[0-9][0-9] [A-Za-z ]*\) mid=.*/\1/p' "$CS_TMP/$name.err" | head -n1)
    suite=$(sed -n 's/^DTLS: \([A-Z0-9_]* (0x[0-9A-F]*)\).*/\1/p' "$CS_TMP/$name.err" | head -n1)
    hs=$(sed -n 's/^DTLS: .*handshake \([0-9]* ms\).*/\1/p' "$CS_TMP/$name.err" | head -n1)
    who=$(sed -n 's/^DTLS: server authenticated by \(.*\) sha256:\(.\{12\}\).*/\1 sha256:\2.../p' "$CS_TMP/$name.err" | head -n1)
    if [ $rc = 0 ]; then
        echo "${suite:-?}|${hs:-?}|GET /time -> ${code:-?} \"$out\" ($((t1 - t0)) ms); server: $who"
    else
        echo "-|-|GET /time FAILED (exit $rc: $(head -c 160 "$CS_TMP/$name.err"))"
    fi
}

# demo_rpk: raw public keys (RFC 7250), each side pinning the other's key.
demo_rpk() {
    local d=$CS_TMP/rpk
    mkdir -p "$d"
    "$BIN" keygen key "$d/server.pem" >"$d/client-trusts.txt" &&
        "$BIN" keygen key "$d/device.pem" >"$d/server-trusts.txt" ||
        { echo "-|-|coapsec keygen FAILED"; return; }
    demo_ecdsa rpk "-M $d/server.pem --rpk-trust $d/server-trusts.txt" \
        "-M $d/device.pem --rpk-trust $d/client-trusts.txt"
}

# demo_x509: a test CA, a server and a device certificate; mutual authentication.
demo_x509() {
    local d=$CS_TMP/x509
    { "$BIN" keygen ca "$d" && "$BIN" keygen cert "$d" 127.0.0.1 && "$BIN" keygen cert "$d" device-1; } \
        >/dev/null || { echo "-|-|coapsec keygen FAILED"; return; }
    demo_ecdsa x509 "-c $d/127.0.0.1.crt -j $d/127.0.0.1.key -C $d/ca.crt" \
        "-c $d/device-1.crt -j $d/device-1.key -C $d/ca.crt"
}

row() { printf '%-26s %-44s %-10s %s\n' "$1" "$2" "$3" "$4"; }

row "mode" "suite negotiated" "handshake" "request -> response"
row "----" "----------------" "---------" "-------------------"
status=0
for m in "${MODES[@]}"; do
    if declare -F "demo_$m" >/dev/null; then
        "demo_$m" >"$CS_TMP/row.$m" # in this shell, so its servers are killed on exit
        IFS='|' read -r suite hs result <"$CS_TMP/row.$m"
        row "${TITLE[$m]}" "$suite" "$hs" "$result"
        case $result in *FAILED*) status=1 ;; esac
    else
        row "${TITLE[$m]}" "-" "-" "not built yet"
    fi
done
exit $status
