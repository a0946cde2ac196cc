#!/usr/bin/env bash
# scripts/demo.sh - show coapsec working: for each security mode, start
# `coapsec server` and run `coapsec client` against it on loopback free ports,
# then print one table row: mode, negotiated cipher suite, handshake time and
# request -> response. NoSec and PSK are built; RPK and certificates print
# "not built yet". To add a mode: write demo_<mode> (printing the row fields
# "suite|handshake|result") and add <mode> to MODES.
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

row() { printf '%-26s %-38s %-10s %s\n' "$1" "$2" "$3" "$4"; }

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
