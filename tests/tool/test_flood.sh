#!/usr/bin/env bash
# tests/tool/test_flood.sh - TS-0008 §7 resource limits under a DTLS handshake
# flood: `coapsec server --max-sessions 4 --max-handshakes 2` with two working
# devices (long-lived sessions kept busy with CoAP pings, -K 1), flooded by
# tests/flood/flooder: 120 ClientHellos from many source ports on 40 loopback
# addresses (127.0.1.x) that answer the cookie (RFC 6347 §4.2.1) and then
# stall. The server must stay within its caps (no more handshakes than 2 taken
# on, sessions <= 4), refuse the rest, never evict the working devices (they
# are active within the protection window), and the devices' pings must keep
# being answered throughout.
. "$(case $0 in */*) echo "${0%/*}" ;; *) echo . ;; esac)/../interop/lib.sh" || { echo "FAIL: cannot load lib.sh" >&2; exit 1; }
require_coapsec
require_cmd ss grep
FLOODER=${COAPSEC_BUILD:-}/tests/flood/flooder
[ -x "$FLOODER" ] || die "flooder not built at '$FLOODER'"

C=$COAPSEC
T=$CS_TMP
KEY=flood-key-0123456789
P=$(free_udp_port 2)
U=coaps://127.0.0.1:$((P + 1))

start_bg srv "$C" server -A 127.0.0.1 -p "$P" -k "$KEY" -v 1 --max-sessions 4 --max-handshakes 2
SRV=$CS_LAST_PID
wait_for_udp_port $((P + 1))
start_bg devA "$C" client -B 10 -v 1 -K 1 -u dev-a -k "$KEY" --serve-for 9 "$U/time"
DA=$CS_LAST_PID
start_bg devB "$C" client -B 10 -v 1 -K 1 -u dev-b -k "$KEY" --serve-for 9 "$U/time"
DB=$CS_LAST_PID
for ((i = 0; i < 100; i++)); do
    [ "$(grep -c "DTLS: TLS_PSK" "$T/srv.log")" -ge 2 ] && break
    sleep 0.05
done
check "two devices have sessions" test "$(grep -c "DTLS: TLS_PSK" "$T/srv.log")" = 2

"$FLOODER" $((P + 1)) 120 40 5 >"$T/flood.out" 2>"$T/flood.err"
check "flooder ran" grep -q "flood: hellos=120" "$T/flood.out"
cookies=$(sed -n 's/.*cookies=\([0-9]*\).*/\1/p' "$T/flood.out")
flights=$(sed -n 's/.*flights=\([0-9]*\).*/\1/p' "$T/flood.out")
check "every flooder got a stateless cookie challenge" test "${cookies:-0}" = 120
check "the server took on at most 2 of the flood's handshakes (got ${flights:-?})" \
    test "${flights:-99}" -le 2

wait "$DA"
ra=$?
wait "$DB"
rb=$?
check "device A kept working through the flood (exit 0)" test "$ra" = 0
check "device B kept working through the flood (exit 0)" test "$rb" = 0
for d in devA devB; do
    check "$d: its pings were answered during the flood" \
        grep -Eq "pings ([5-9]|[1-9][0-9]+)/([4-9]|[1-9][0-9]+) answered, dead 0" "$T/$d.log"
    check "$d: its session was never closed or evicted" bash -c '! grep -Eq "session with .*(closed|evicted)|is dead" "$0"' "$T/$d.log"
done
stop_bg "$SRV"
check "the server never evicted a working peer" bash -c '! grep -q "session with .* evicted" "$0"' "$T/srv.log"
check "the server refused the rest of the flood" \
    grep -Eq "handshakes [0-9]+/2 \(completed 2, refused ([5-9][0-9]|1[0-9][0-9])," "$T/srv.log"
finish
