#!/usr/bin/env bash
# test_loss_dtls.sh - DTLS 1.2 PSK (TLS_PSK_WITH_AES_128_CCM_8) handshakes
# through the seeded UDP impairment proxy (tests/proxy/udp_proxy) on
# loopback, with tests/dtls/dtls_driver as the client:
#   - against our own server (dtls_driver server) and against a third-party
#     peer (openssl s_server -dtls1_2, a fresh one per handshake: s_server
#     serves one session at a time and a lost close_notify would block it);
#   - at 10 % loss each way: every one of 100 handshakes completes;
#   - at 30 % loss each way, with the retry limit raised: at least 99 of 100
#     complete and every other one ends in a clear "handshake timed out"
#     error (never a hang, a crash or a silent exit).
# Why the 30 % cases use a limit of 12, not 8: a PSK handshake with a cookie
# is three round trips, and a round trip gets through only when both its
# flights do (0.7 * 0.7 = 0.49). With 8 retransmissions (9 tries) a round trip
# fails with probability 0.51^9 = 0.24 %, a handshake with about 0.7 %, so
# 2 or more failures in 100 happen in ~15 % of runs: a >= 99 % bar at 8 would
# be a coin flip in CI, not a test of our code. At 12 (0.51^13 per round trip)
# a handshake fails with ~0.05 % and the bar holds unless retransmission is
# broken. The in-process tests (tests/dtls/test_conn.c) check the timer
# schedule and the retry limit exactly.
# Timers are shortened (first retransmission 100 ms, capped at 400 ms; 250 ms
# / 2 s against OpenSSL, whose own timer starts at 1 s) so that the script
# fits in a few minutes; the retry logic under test is the same. Handshakes
# run in parallel lanes, each with its own server, proxy and seed.
set -u
. "$(dirname "$0")/lib.sh"

require_cmd openssl ss timeout
DRIVER=${COAPSEC_BUILD:-}/tests/dtls/dtls_driver
PROXY=${COAPSEC_BUILD:-}/tests/proxy/udp_proxy
[ -x "$DRIVER" ] || die "dtls_driver not built at '$DRIVER' (target dtls_driver)"
[ -x "$PROXY" ] || die "udp_proxy not built at '$PROXY' (target udp_proxy)"

ID=Client_identity
KEY=73656372657450534b # "secretPSK"
CIPHER='PSK-AES128-CCM8@SECLEVEL=0'

lane_cleanup() {
    local pid
    for pid in "${CS_BG_PIDS[@]}"; do
        kill "$pid" 2>/dev/null
    done
    for pid in "${CS_BG_PIDS[@]}"; do
        wait "$pid" 2>/dev/null
    done
}

# start_s_server PORT: a fresh openssl s_server on PORT. Its stdin is a FIFO
# that this shell holds open (s_server exits at stdin EOF), and it is exec'd
# so that SSPID is s_server itself and stop_bg really stops it.
start_s_server() {
    local port=$1
    start_bg "s_server-$port-$RANDOM" bash -c "exec openssl s_server -dtls1_2 \
        -accept 127.0.0.1:$port -nocert -psk_identity $ID -psk $KEY -cipher '$CIPHER' \
        <'$FIFO'"
    SSPID=$CS_LAST_PID
    wait_for_udp_port "$port"
}

# lane NAME PEER(ours|openssl) LOSS RETRIES COUNT SEED: COUNT handshakes in a
# row; writes "ok timeouts other" to $CS_TMP/NAME.res and keeps the logs.
lane() {
    local name=$1 peer=$2 loss=$3 retries=$4 count=$5 seed=$6
    trap lane_cleanup EXIT
    CS_BG_PIDS=()
    local sport pport timers
    sport=$(free_udp_port)
    pport=$(free_udp_port)
    if [ "$peer" = ours ]; then
        timers=(--retrans-ms 100 --retrans-max-ms 400 --max-retransmits "$retries")
        start_bg "$name-server" "$DRIVER" server --psk-id $ID --psk-hex $KEY "${timers[@]}" \
            127.0.0.1 "$sport"
        wait_for_udp_port "$sport"
    else
        timers=(--retrans-ms 250 --retrans-max-ms 8000 --max-retransmits "$retries")
        FIFO=$CS_TMP/$name.stdin
        mkfifo "$FIFO" || die "mkfifo failed"
        exec 7<>"$FIFO"
    fi
    start_bg "$name-proxy" "$PROXY" --listen "$pport" --target 127.0.0.1:"$sport" \
        --seed "$seed" --loss "$loss"
    local ppid=$CS_LAST_PID
    wait_for_udp_port "$pport"
    local ok=0 to=0 other=0 i log
    for ((i = 0; i < count; i++)); do
        [ "$peer" = openssl ] && start_s_server "$sport"
        log=$CS_TMP/$name-client-$i.log
        timeout 120 "$DRIVER" client --psk-id $ID --psk-hex $KEY "${timers[@]}" --wait-ms 0 \
            127.0.0.1 "$pport" </dev/null >"$log" 2>&1
        local rc=$?
        if [ $rc = 0 ] && grep -q '^suite 0xC0A8' "$log"; then
            ok=$((ok + 1))
        elif [ $rc = 1 ] && grep -q '^error: handshake timed out' "$log"; then
            to=$((to + 1))
            echo "  $name handshake $i: $(grep '^error' "$log")"
            # our server may still be in that handshake: let it give up
            [ "$peer" = ours ] && sleep 4
        else
            other=$((other + 1))
            echo "  $name handshake $i: exit $rc"
            sed 's/^/    /' "$log"
        fi
        if [ "$peer" = openssl ]; then
            stop_bg "$SSPID"
        fi
    done
    stop_bg "$ppid"
    sed "s/^/  $name proxy /" "$CS_TMP/$name-proxy.log" | grep -E 'up:|down:'
    echo "$ok $to $other" >"$CS_TMP/$name.res"
}

# run_scenario NAME PEER LOSS RETRIES LANES PER_LANE MIN_OK: run the lanes
# in parallel and check the totals.
run_scenario() {
    local name=$1 peer=$2 loss=$3 retries=$4 lanes=$5 per=$6 min_ok=$7 l pids=()
    local t0=$SECONDS
    for ((l = 0; l < lanes; l++)); do
        lane "$name-$l" "$peer" "$loss" "$retries" "$per" $((1000 + 17 * l)) &
        pids+=($!)
    done
    for l in "${pids[@]}"; do
        wait "$l"
    done
    local ok=0 to=0 other=0 a b c
    for ((l = 0; l < lanes; l++)); do
        if [ -f "$CS_TMP/$name-$l.res" ]; then
            read -r a b c <"$CS_TMP/$name-$l.res"
            ok=$((ok + a))
            to=$((to + b))
            other=$((other + c))
        else
            other=$((other + per))
        fi
    done
    local total=$((lanes * per)) why=""
    echo "  $name: $ok/$total established, $to timed out, $other other ($((SECONDS - t0)) s)"
    [ "$ok" -ge "$min_ok" ] || why="only $ok of $total handshakes completed (want >= $min_ok)"
    [ "$other" = 0 ] || why="$why; $other handshakes ended without a clear timeout error"
    [ $((ok + to + other)) = "$total" ] || why="$why; some handshakes are unaccounted for"
    if [ -z "$why" ]; then pass "$name"; else fail "$name" "$why"; fi
}

# LOSS_ONLY=REGEX runs only the matching scenarios (for debugging).
scenario() {
    [[ $1 =~ ${LOSS_ONLY:-.} ]] || return 0
    run_scenario "$@"
}

# 10 % each way, default retry limit (6): all 100 complete.
scenario "ours-loss10" ours 0.1 6 2 50 100
# 30 % each way, retry limit 12 (see the header): >= 99 % complete, the rest
# time out clearly.
scenario "ours-loss30" ours 0.3 12 4 25 99
scenario "openssl-loss10" openssl 0.1 6 2 50 100
scenario "openssl-loss30" openssl 0.3 12 5 20 99
finish
