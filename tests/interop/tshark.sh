# tshark.sh - shell functions (source this file, bash) that capture DTLS on a
# loopback UDP port and report what the handshakes negotiated, so interop
# tests can prove the cipher suite from the wire rather than from a peer's
# own log. Needs tshark (Debian package tshark, 4.0 checked) and permission
# to capture: tests run as root; otherwise add the user to group wireshark.
#
#   cap_start IFACE PORT FILE   start capturing UDP port PORT on IFACE (use
#                               lo) into FILE (pcapng); returns once dumpcap
#                               really captures (its "Capturing on" line and
#                               FILE exist), non-zero if it cannot start.
#                               The tshark log is FILE.log. Sets CAP_PID.
#   cap_stop [PID]              stop the capture PID (default: the last one
#                               started) after a short grace period so that
#                               the last datagrams are written; waits for it.
#   cap_stop_all                stop every capture still running (for traps).
#   cap_suites FILE PORT        print the cipher suite of every ServerHello in
#                               FILE, one per line, as "0xc0a8"; PORT is
#                               decoded as DTLS (-d udp.port==PORT,dtls).
#                               Retransmitted ServerHellos appear again.
#   cap_max_payload FILE PORT   print the largest UDP payload (bytes) sent
#                               FROM port PORT, 0 if none (checks --mtu).
#   cap_sum_payload FILE PORT   print the total UDP payload bytes sent from
#                               PORT.
#
# Example:
#   . "$COAPSEC_SRC/tests/interop/tshark.sh"
#   cap_start lo "$port" "$tmp/cap.pcapng" || exit 1
#   ... run the peers ...
#   cap_stop
#   [ "$(cap_suites "$tmp/cap.pcapng" "$port")" = 0xc0a8 ] || echo FAIL
#
# Quirks: tshark prints a "Running as user root" warning (harmless, it goes
# to FILE.log); the capture filter is a BPF filter, so ports are numeric.

CAP_PID=
CAP_PIDS=()

cap_start() {
    local iface=$1 port=$2 file=$3 i
    if ! command -v tshark >/dev/null 2>&1; then
        echo "cap_start: tshark not found (apt-get install tshark)" >&2
        return 1
    fi
    rm -f "$file" "$file.log"
    tshark -i "$iface" -f "udp port $port" -w "$file" -q >"$file.log" 2>&1 &
    CAP_PID=$!
    CAP_PIDS+=("$CAP_PID")
    for ((i = 0; i < 100; i++)); do
        if ! kill -0 "$CAP_PID" 2>/dev/null; then
            echo "cap_start: tshark exited:" >&2
            cat "$file.log" >&2
            return 1
        fi
        if [ -e "$file" ] && grep -q 'Capturing on' "$file.log" 2>/dev/null; then
            sleep 0.3 # dumpcap announces itself just before its first read
            return 0
        fi
        sleep 0.1
    done
    echo "cap_start: tshark did not start capturing within 10 s:" >&2
    cat "$file.log" >&2
    cap_stop "$CAP_PID"
    return 1
}

cap_stop() {
    local pid=${1:-$CAP_PID} i
    [ -n "$pid" ] || return 0
    sleep 0.5 # let dumpcap read the last datagrams off the socket
    kill -INT "$pid" 2>/dev/null
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    local rest=() p
    for p in "${CAP_PIDS[@]}"; do
        [ "$p" = "$pid" ] || rest+=("$p")
    done
    CAP_PIDS=("${rest[@]}")
    [ "$pid" = "$CAP_PID" ] && CAP_PID=
    return 0
}

cap_stop_all() {
    local p
    for p in "${CAP_PIDS[@]}"; do
        cap_stop "$p"
    done
}

cap_suites() {
    local file=$1 port=$2
    tshark -r "$file" -d "udp.port==$port,dtls" -Y 'dtls.handshake.type == 2' \
        -T fields -e dtls.handshake.ciphersuite 2>/dev/null | tr ',' '\n' | sed '/^$/d'
}

cap_max_payload() {
    local file=$1 port=$2
    tshark -r "$file" -Y "udp.srcport == $port" -T fields -e udp.length 2>/dev/null |
        awk 'BEGIN { m = 0 } { if ($1 - 8 > m) m = $1 - 8 } END { print m }'
}

cap_sum_payload() {
    local file=$1 port=$2
    tshark -r "$file" -Y "udp.srcport == $port" -T fields -e udp.length 2>/dev/null |
        awk 'BEGIN { s = 0 } { s += $1 - 8 } END { print s }'
}
