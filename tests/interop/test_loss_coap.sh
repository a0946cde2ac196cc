#!/usr/bin/env bash
# test_loss_coap.sh - NoSec CoAP confirmable exchanges (RFC 7252 §4.2) end to
# end through the seeded UDP impairment proxy (tests/proxy/udp_proxy) on
# loopback. The client is tests/proxy/coap_load (the coapsec endpoint with
# the transmission parameters set on its command line: the `coapsec client`
# tool has no flags for ACK_TIMEOUT / MAX_RETRANSMIT yet); ACK_TIMEOUT is
# shortened to 50 ms so that the script fits in a few minutes.
#   - against our server (`coapsec server -v 3`, one log line per handler
#     run) and against libcoap's coap-server-notls (third party);
#   - 10 % loss each way, MAX_RETRANSMIT 4: all 100 exchanges complete;
#   - 30 % loss each way, MAX_RETRANSMIT 8: at least 99 of 100 complete and
#     every other one is reported as a timeout;
#   - 10 % loss plus 20 % duplication, 20 % reordering and 5-25 ms delay
#     each way against our server: all complete, each handler once;
#   - every exchange is reported (ok or fail) by the client, none is lost
#     silently; on our server each completed PUT's handler ran exactly once
#     (deduplication of retransmitted CONs, §4.5) and a timed-out one at
#     most once.
# Exchanges run in parallel lanes, each with its own proxy and seed.
set -u
. "$(dirname "$0")/lib.sh"

require_coapsec
require_cmd coap-server-notls ss timeout
LOAD=${COAPSEC_BUILD:-}/tests/proxy/coap_load
PROXY=${COAPSEC_BUILD:-}/tests/proxy/udp_proxy
[ -x "$LOAD" ] || die "coap_load not built at '$LOAD' (target coap_load)"
[ -x "$PROXY" ] || die "udp_proxy not built at '$PROXY' (target udp_proxy)"

# lane NAME SERVER_PORT LOSS MAX_RETRANSMIT COUNT SEED METHOD FACTOR [PROXY_ARGS...]:
# COUNT exchanges through a proxy of its own; the client's output is in NAME.out.
lane() {
    local name=$1 sport=$2 loss=$3 maxr=$4 count=$5 seed=$6 method=$7 factor=$8 pport uri
    shift 8
    trap 'kill $ppid 2>/dev/null; wait $ppid 2>/dev/null' EXIT
    # Lanes pick their proxy ports at the same time: if another process took
    # the port first, our proxy exits (bind fails) and we try another port,
    # rather than talking through someone else's proxy.
    local ppid try
    for try in 1 2 3 4 5; do
        pport=$(free_udp_port)
        "$PROXY" --listen "$pport" --target 127.0.0.1:"$sport" --seed "$seed" --loss "$loss" "$@" \
            >"$CS_TMP/$name.proxy" 2>&1 &
        ppid=$!
        wait_for_udp_port "$pport"
        sleep 0.1
        kill -0 "$ppid" 2>/dev/null && break
        echo "  $name: proxy could not listen on $pport, trying another port"
    done
    if [ "$method" = put ]; then uri=coap://127.0.0.1:$pport/loss; else
        uri=coap://127.0.0.1:$pport/time
    fi
    timeout 300 "$LOAD" -n "$count" -a 50 -f "$factor" -r "$maxr" -m "$method" -p "$name-" "$uri" \
        >"$CS_TMP/$name.out" 2>&1
    echo "exit $?" >>"$CS_TMP/$name.out"
    kill "$ppid" 2>/dev/null
    wait "$ppid" 2>/dev/null
    sed "s/^/  $name proxy /" "$CS_TMP/$name.proxy" | grep -E 'up:|down:'
}

# scenario NAME PEER(ours|libcoap) LOSS MAX_RETRANSMIT LANES PER_LANE MIN_OK FACTOR [PROXY_ARGS...]
scenario() {
    local name=$1 peer=$2 loss=$3 maxr=$4 lanes=$5 per=$6 min_ok=$7 factor=$8
    shift 8
    [[ $name =~ ${LOSS_ONLY:-.} ]] || return 0
    local sport spid method t0=$SECONDS l pids=()
    sport=$(free_udp_port 2)
    if [ "$peer" = ours ]; then
        start_bg "$name-server" "$COAPSEC" server -A 127.0.0.1 -p "$sport" -v 3
        method=put
    else
        start_bg "$name-server" coap-server-notls -A 127.0.0.1 -p "$sport"
        method=get
    fi
    spid=$CS_LAST_PID
    wait_for_udp_port "$sport"
    for ((l = 0; l < lanes; l++)); do
        lane "$name$l" "$sport" "$loss" "$maxr" "$per" $((2000 + 31 * l)) $method "$factor" "$@" &
        pids+=($!)
    done
    for l in "${pids[@]}"; do
        wait "$l"
    done
    sleep 0.2
    stop_bg "$spid"
    local ok=0 to=0 other=0 reported=0 why="" total=$((lanes * per)) out a b c
    for ((l = 0; l < lanes; l++)); do
        out=$CS_TMP/$name$l.out
        grep -q '^exit 0$' "$out" || why="$why; lane $l: client $(grep '^exit' "$out")"
        read -r a b c < <(sed -n 's/^summary sent [0-9]* ok \([0-9]*\) timeout \([0-9]*\) other \([0-9]*\)$/\1 \2 \3/p' "$out")
        ok=$((ok + ${a:-0}))
        to=$((to + ${b:-0}))
        other=$((other + ${c:-0}))
        reported=$((reported + $(grep -cE '^(ok|fail) [0-9]+ ' "$out")))
        grep '^fail' "$out" | sed "s/^/  $name$l: /"
        if [ "$peer" = ours ]; then
            # handler runs per request path in the server's -v 3 log
            local i runs log=$CS_TMP/$name-server.log
            for ((i = 0; i < per; i++)); do
                runs=$(grep -c " CON PUT /loss/$name$l-$i .*-> 2.01" "$log")
                if grep -q "^ok $i 2.01$" "$out"; then
                    [ "$runs" = 1 ] || why="$why; $name$l-$i completed but its handler ran $runs times"
                elif grep -q "^fail $i " "$out"; then
                    [ "$runs" -le 1 ] || why="$why; $name$l-$i timed out but its handler ran $runs times"
                fi
            done
        else
            local bad
            bad=$(grep -c '^ok [0-9]* [^2]' "$out")
            [ "$bad" = 0 ] || why="$why; lane $l: $bad non-2.xx responses"
        fi
    done
    echo "  $name: $ok/$total completed, $to timed out, $other other ($((SECONDS - t0)) s)"
    [ "$ok" -ge "$min_ok" ] || why="$why; only $ok of $total exchanges completed (want >= $min_ok)"
    [ "$other" = 0 ] || why="$why; $other exchanges failed with something other than a timeout"
    [ "$reported" = "$total" ] || why="$why; $reported of $total exchanges were reported"
    if [ -z "$why" ]; then pass "$name"; else fail "$name" "${why#; }"; fi
}

# RFC 7252 defaults apart from ACK_TIMEOUT: MAX_RETRANSMIT 4 at 10 % loss;
# 8 (ACK_RANDOM_FACTOR 1.0 to bound the wait of a failed exchange) at 30 %.
scenario ours-loss10 ours 0.1 4 4 25 100 1500
scenario ours-loss30 ours 0.3 8 4 25 99 1000
# Disorder on top of loss: duplicates, reordering and jitter each way; the
# handler of every completed PUT still runs exactly once.
scenario ours-disorder ours 0.1 4 4 25 100 1500 --dup 0.2 --reorder 0.2 --delay 5 --jitter 20
scenario libcoap-loss10 libcoap 0.1 4 4 25 100 1500
scenario libcoap-loss30 libcoap 0.3 8 4 25 99 1000
finish
