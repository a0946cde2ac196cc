#!/usr/bin/env bash
# tests/tool/test_device_datacentre.sh - TS-0008 §7 "device and data centre" with
# two `coapsec` processes on 127.0.0.1: the CoAP role does not follow the DTLS
# role. The device is DTLS client only (`client --serve`: it never accepts a
# handshake and drops plaintext); it PUTs a reading to the data centre
# (`server`), which PUTs a command back over the same session (`--send`, queued
# until the device connects) and reads it back; a --send for a peer that never
# connects fails after --send-timeout. Also: the device restarted on the same
# address and port without close_notify replaces its old session only once the
# new handshake completes (RFC 6347 §4.2.8), CoAP ping keepalive (-K, RFC 7252
# §4.3) and the server's session counters.
. "$(case $0 in */*) echo "${0%/*}" ;; *) echo . ;; esac)/../interop/lib.sh" || { echo "FAIL: cannot load lib.sh" >&2; exit 1; }
require_coapsec
require_cmd ss grep

C=$COAPSEC
T=$CS_TMP
KEY=dc-shared-key-0123456789
P=$(free_udp_port 2)
DP=$(free_udp_port)
U=coaps://127.0.0.1:$((P + 1))

# wait_log FILE PATTERN SECONDS
wait_log() {
    local i
    for ((i = 0; i < $3 * 20; i++)); do
        grep -q -- "$2" "$1" && return 0
        sleep 0.05
    done
    return 1
}

start_bg dc "$C" server -A 127.0.0.1 -p "$P" -k "$KEY" -v 1 --send-timeout 4 \
    --send 'device-1 PUT /cmd reboot' --send 'device-1 GET /cmd' --send 'ghost PUT /cmd x'
DC=$CS_LAST_PID
wait_for_udp_port $((P + 1))
check "the data centre queues requests for a device that is not connected" \
    grep -q "waits for identity 'device-1'" "$T/dc.log"

start_bg dev "$C" client -B 10 -v 1 -p "$DP" -u device-1 -k "$KEY" -m put -e 21.5 \
    --serve-for 30 "$U/reading"
DEV=$CS_LAST_PID
check "the data centre PUTs a command to the device over the device's session" \
    wait_log "$T/dc.log" "send device-1 PUT /cmd: 2.01 Created" 10
check "and reads it back from the device" wait_log "$T/dc.log" "send device-1 GET /cmd: 2.05 Content reboot" 5
check "the device served the command" grep -q "served PUT /cmd (6 bytes) -> 2.01" "$T/dev.log"
check "one DTLS session carried both directions" \
    test "$(grep -c "DTLS: TLS_PSK_WITH_AES_128_CCM_8" "$T/dc.log")" = 1
"$C" client -B 10 -u reader -k "$KEY" "$U/reading" >"$T/reading.out" 2>"$T/reading.err"
check "the device's reading reached the data centre" test "$(cat "$T/reading.out")" = 21.5

# The device is DTLS client only: no handshake, no plaintext.
"$C" client -B 3 -u x -k "$KEY" "coaps://127.0.0.1:$DP/cmd" >"$T/hs.out" 2>"$T/hs.err"
rc=$?
check "the device never accepts a handshake" bash -c '[ "$0" = 3 ] && grep -q "handshake failed: no answer" "$1"' "$rc" "$T/hs.err"
"$C" client -B 2 "coap://127.0.0.1:$DP/cmd" >"$T/plain.out" 2>"$T/plain.err"
rc=$?
check "the device drops plaintext CoAP" bash -c '[ "$0" = 3 ] && grep -q "no response" "$1"' "$rc" "$T/plain.err"

check "a request for a peer that never connects fails after its timeout" \
    wait_log "$T/dc.log" "send ghost PUT /cmd: failed: .*did not connect" 8

# RFC 6347 §4.2.8: the device reboots (no close_notify) and reconnects from the
# same address and port: the new session replaces the old one once complete.
kill -KILL "$DEV" 2>/dev/null
wait "$DEV" 2>/dev/null
start_bg dev2 "$C" client -B 10 -v 1 -p "$DP" -K 1 -u device-1 -k "$KEY" -m put -e 22.0 \
    --serve-for 4 "$U/reading"
DEV2=$CS_LAST_PID
check "a rebooted device's new handshake replaces its old session" \
    wait_log "$T/dc.log" "(new session replaces old)" 10
wait "$DEV2"
rc=$?
check "the rebooted device's request succeeded (exit 0)" test "$rc" = 0
check "CoAP ping keepalive (-K): pings answered" \
    grep -Eq "pings [1-9][0-9]*/[1-9][0-9]* answered, dead 0" "$T/dev2.log"
stop_bg "$DC"
check "data centre exits 0" test "$CS_STOP_RC" = 0
check "the data centre logs its session counters" \
    grep -Eq "coapsec server: sessions [0-9]+/256 .*handshakes [0-9]+/16 .*evictions 0" "$T/dc.log"
finish
