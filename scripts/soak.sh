#!/usr/bin/env bash
# scripts/soak.sh [BUILD] - `make soak MINUTES=N`: holds load with churn on one
# `coapsec server` (DTLS-PSK and raw public keys, RFC 7250) for N minutes and
# checks that its memory stays flat and that no exchange is lost.
#
# The server runs with --max-sessions below the number of clients (so sessions
# are evicted), --idle-timeout and --heartbeat; against it, in parallel:
#   steady      coapsec-bench --mode psk, 6 sessions, window 1, 2 s bursts every
#               5 s (the load generator has no rate limit: the duty cycle keeps
#               the machine from saturating)
#   hs-psk      coapsec-bench --mode psk-handshake in short bursts (new sessions,
#               closed with close_notify)
#   hs-ecdhe    coapsec-bench --mode ecdhe-handshake (RPK, mutual) in short bursts
#   hs-resume   coapsec-bench --mode resume-handshake in short bursts: each
#               slot resumes its first session again and again (session ID or
#               ticket) from fresh source addresses
#   vanish      coapsec-bench --mode psk sessions killed (SIGKILL) once up: no
#               close_notify, the server must evict or time them out
#   oneshot     `coapsec client` one-shots: PSK PUT+GET (payload compared), RPK GET
#   observe     observers (-s, with -K pings and --heartbeat) that end cleanly,
#               and observers (with --heartbeat) killed (SIGKILL) after their
#               first notification: found dead by the server's heartbeats
#   block       block-wise PUT then GET of 100 KB through tests/proxy/udp_proxy
#               at 5 % loss each way (SHA-256 compared)
# The server's VmRSS is sampled every SOAK_SAMPLE seconds into rss.csv.
#
# Accounting: every exchange attempted by a loop ends as ok, failed (a failure
# that was reported: the tool's exit status 1 or 3, the load generator's JSON
# error/timeout/failed counts, a notification that did not come in time) or
# unaccounted (anything else: a tool that hung past its own timeout, died of a
# signal, exited 0 with a wrong body, a load generator without its JSON).
#
# Exit status 0 (PASS) when: the server survives and exits cleanly, its RSS
# grows less than SOAK_MAX_GROWTH_PCT % (default 5) - or less than
# SOAK_SLACK_KB (default 1024) - over the second half (least-squares slope
# times the second half's length), no exchange is unaccounted and, under
# SOAK_VALGRIND=1, valgrind reports no error and nothing definitely or
# indirectly lost. 1 otherwise; 2 on a setup problem.
#
# Environment:
#   MINUTES=N (default 10, may be fractional) or SOAK_SECONDS=S (wins)
#   SOAK_VALGRIND=1   run the server under valgrind --leak-check=full
#   SOAK_OUT=DIR      results (default BUILD/soak): report.txt, rss.csv,
#                     exchanges.tsv, server.log, valgrind.log, per-loop logs
#   SOAK_SAMPLE=S     RSS sampling period in seconds (default 10)
#   SOAK_LOOPS="..."  the loops to run (default: all of those above; oneshot
#                     covers oneshot-psk and oneshot-rpk, observe observe-vanish)
#   SOAK_MAX_SESSIONS (default 40), SOAK_IDLE_TIMEOUT (default 90 s: longer than a
#   heartbeat takes to find a peer dead, about 70 s), SOAK_HEARTBEAT (default 5 s)
# Uses loopback and free high ports only.
set -u

BUILD=${1:-${COAPSEC_BUILD:-build}}
BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || {
    echo "soak: build directory '${1:-build}' not found" >&2
    exit 2
}
C=$BUILD/coapsec
BENCH=$BUILD/bench/coapsec-bench
PROXY=$BUILD/tests/proxy/udp_proxy
for p in "$C" "$BENCH" "$PROXY"; do
    [ -x "$p" ] || {
        echo "soak: $p is not built (targets coapsec_tool coapsec_bench_tool udp_proxy)" >&2
        exit 2
    }
done
for p in ss sha256sum awk timeout head; do
    command -v "$p" >/dev/null 2>&1 || {
        echo "soak: required program '$p' is not installed" >&2
        exit 2
    }
done
VG=${SOAK_VALGRIND:-0}
if [ "$VG" = 1 ] && ! command -v valgrind >/dev/null 2>&1; then
    echo "soak: SOAK_VALGRIND=1 but valgrind is not installed (apt-get install valgrind)" >&2
    exit 2
fi

if [ -n "${SOAK_SECONDS:-}" ]; then
    DUR=$SOAK_SECONDS
else
    DUR=$(awk -v m="${MINUTES:-10}" 'BEGIN { printf "%d", m * 60 + 0.5 }')
fi
case $DUR in '' | *[!0-9]*) DUR=0 ;; esac
[ "$DUR" -ge 5 ] || {
    echo "soak: the run must last at least 5 seconds (MINUTES or SOAK_SECONDS)" >&2
    exit 2
}
SAMPLE=${SOAK_SAMPLE:-10}
MAX_GROWTH_PCT=${SOAK_MAX_GROWTH_PCT:-5}
SLACK_KB=${SOAK_SLACK_KB:-1024}
MAX_SESSIONS=${SOAK_MAX_SESSIONS:-40}
IDLE=${SOAK_IDLE_TIMEOUT:-90}
HB=${SOAK_HEARTBEAT:-5}
KEY=soak-psk-0123456789abcdef
OUT=${SOAK_OUT:-$BUILD/soak}
rm -rf "$OUT"
mkdir -p "$OUT/loops" "$OUT/keys" "$OUT/tmp" || exit 2
EX=$OUT/exchanges.tsv
: >"$EX"

# ---- processes we start: all killed (by pid) on exit ----------------------------------------
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do
        kill "$p" 2>/dev/null
    done
    for p in "${PIDS[@]}"; do
        wait "$p" 2>/dev/null
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

udp_busy() { [ -n "$(ss -Hlun "sport = :$1" 2>/dev/null)" ]; }
# free_port N: P such that P..P+N-1 are free UDP ports (never 5683/5684)
free_port() {
    local n=$1 p i ok t
    for t in $(seq 1 200); do
        : "$t"
        p=$((20000 + RANDOM % 40000))
        ok=1
        for ((i = 0; i < n; i++)); do
            if udp_busy $((p + i)); then
                ok=0
                break
            fi
        done
        [ $ok = 1 ] && {
            echo "$p"
            return 0
        }
    done
    return 1
}
wait_port() {
    local i
    for ((i = 0; i < $2 * 20; i++)); do
        udp_busy "$1" && return 0
        sleep 0.05
    done
    return 1
}
now() { date +%s; }

# record LOOP ATTEMPTED OK FAILED UNACCOUNTED DETAIL: one line per invocation
record() {
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$6" >>"$EX"
}
# tool_result LOOP RC DETAIL: a `coapsec client` exit status as one exchange
tool_result() {
    case $2 in
    0) record "$1" 1 1 0 0 "$3" ;;
    1 | 3) record "$1" 1 0 1 0 "exit $2: $3" ;;
    *) record "$1" 1 0 0 1 "exit $2 (not a reported failure): $3" ;;
    esac
}
jnum() { sed -n "s/^  \"$2\": \([0-9][0-9]*\).*/\1/p" "$1"; }
jstr() { sed -n "s/^  \"$2\": \"\(.*\)\",\$/\1/p" "$1"; }
# bench_result LOOP RC JSON: a load-generator run; each request (handshake in
# the *-handshake modes) ends ok, errors or timeouts; sessions that failed to
# come up count as failed exchanges.
bench_result() {
    local loop=$1 rc=$2 j=$3 st ok er to fa
    if [ ! -s "$j" ] || { [ "$rc" != 0 ] && [ "$rc" != 1 ]; }; then
        record "$loop" 1 0 0 1 "load generator exit $rc, no usable JSON"
        return
    fi
    st=$(jstr "$j" status)
    ok=$(jnum "$j" ok)
    er=$(jnum "$j" errors)
    to=$(jnum "$j" timeouts)
    fa=$(jnum "$j" failed)
    if [ -z "$ok" ] || [ -z "$er" ] || [ -z "$to" ] || [ -z "$fa" ]; then
        record "$loop" 1 0 0 1 "load generator JSON without counters"
        return
    fi
    if [ "$rc" = 1 ] && [ "$((ok + er + to + fa))" = 0 ]; then
        # no-response: the whole run failed and said so
        record "$loop" 1 0 1 0 "status $st (no answer in the run)"
        return
    fi
    record "$loop" $((ok + er + to + fa)) "$ok" $((er + to + fa)) 0 \
        "status $st errors $er timeouts $to failed $fa"
}

# ---- credentials ---------------------------------------------------------------------------------
K=$OUT/keys
"$C" keygen key "$K/server.pem" >/dev/null && "$C" keygen key "$K/client.pem" >/dev/null || {
    echo "soak: coapsec keygen failed" >&2
    exit 2
}
head -c 102400 /dev/urandom >"$K/blob.bin"
BLOB_SUM=$(sha256sum <"$K/blob.bin" | cut -d' ' -f1)

# ---- server ----------------------------------------------------------------------------------------
P=$(free_port 2) || {
    echo "soak: no free UDP port" >&2
    exit 2
}
PS=$((P + 1))
HB_OPT=()
"$C" help server 2>&1 | grep -q -- '--heartbeat' && HB_OPT=(--heartbeat "$HB")
WRAP=()
if [ "$VG" = 1 ]; then
    # shellcheck disable=SC2054 # commas belong to the option values
    WRAP=(valgrind --leak-check=full --show-leak-kinds=definite,indirect
        --errors-for-leak-kinds=definite,indirect --error-exitcode=99
        --log-file="$OUT/valgrind.log")
fi
"${WRAP[@]}" "$C" server -A 127.0.0.1 -p "$P" -v 1 -k "$KEY" -M "$K/server.pem" \
    --rpk-trust "$K/client.pub.pem" --max-sessions "$MAX_SESSIONS" --max-handshakes 8 \
    --idle-timeout "$IDLE" --protect 4 "${HB_OPT[@]}" >"$OUT/server.log" 2>&1 &
SRV=$!
PIDS+=("$SRV")
STARTUP=10
[ "$VG" = 1 ] && STARTUP=60
wait_port "$PS" "$STARTUP" || {
    echo "soak: the server does not listen on $PS (see $OUT/server.log)" >&2
    exit 2
}
PP=$(free_port 1) || exit 2
"$PROXY" --listen "$PP" --target "127.0.0.1:$PS" --seed 7 --loss 0.05 >"$OUT/proxy.log" 2>&1 &
PROXY_PID=$!
PIDS+=("$PROXY_PID")
wait_port "$PP" 10 || {
    echo "soak: udp_proxy does not listen" >&2
    exit 2
}
U=coaps://127.0.0.1:$PS
UP=coaps://127.0.0.1:$PP
T0=$(now)
END=$((T0 + DUR))
# slower server under valgrind: longer client limits
BW=15
[ "$VG" = 1 ] && BW=60
LIM=$((BW * 4 + 30)) # outer limit on every client command: hitting it = unaccounted

# ---- RSS sampler ---------------------------------------------------------------------------------
rss_of() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
sampler() {
    local r
    echo "t_s,rss_kb" >"$OUT/rss.csv"
    while kill -0 "$SRV" 2>/dev/null; do
        r=$(rss_of "$SRV")
        [ -n "$r" ] && echo "$(($(now) - T0)),$r" >>"$OUT/rss.csv"
        [ "$(now)" -ge "$END" ] && break
        sleep "$SAMPLE"
    done
}

# ---- load loops (each stops starting work at END) ------------------------------------------------
loop_steady() {
    local n=0 j rc
    while [ "$(now)" -lt "$END" ]; do
        n=$((n + 1))
        j=$OUT/tmp/steady-$n.json
        timeout "$LIM" "$BENCH" -q --mode psk --sessions 6 --window 1 --duration 2 \
            --establish-timeout "$BW" --psk-id soak-steady --psk-key "$KEY" --json "$j" \
            "$U/time" >>"$OUT/loops/steady.log" 2>&1
        rc=$?
        bench_result steady "$rc" "$j"
        sleep 3
    done
}
# hs MODE NAME EXTRA...: short handshake bursts
loop_hs() {
    local mode=$1 name=$2 n=0 j rc
    shift 2
    while [ "$(now)" -lt "$END" ]; do
        n=$((n + 1))
        j=$OUT/tmp/$name-$n.json
        timeout "$LIM" "$BENCH" -q --mode "$mode" --window 1 --duration 0.5 \
            --psk-id "soak-$name" --psk-key "$KEY" "$@" --json "$j" "$U/" \
            >>"$OUT/loops/$name.log" 2>&1
        rc=$?
        bench_result "$name" "$rc" "$j"
        sleep 3
    done
}
# sessions that vanish: up, then SIGKILL (no close_notify)
loop_vanish() {
    local n=0 j r pid='' i up
    trap 'kill -KILL $pid 2>/dev/null; exit 1' TERM
    while [ "$(now)" -lt "$END" ]; do
        n=$((n + 1))
        j=$OUT/tmp/vanish-$n.json
        r=$OUT/tmp/vanish-$n.ready
        "$BENCH" -q --mode psk --sessions 4 --window 1 --duration 0.5 --hold 600 \
            --establish-timeout "$BW" --psk-id soak-vanish --psk-key "$KEY" --ready-file "$r" \
            --json "$j" "$U/time" >>"$OUT/loops/vanish.log" 2>&1 &
        pid=$!
        for ((i = 0; i < LIM * 10; i++)); do
            [ -s "$r" ] && break
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if [ -s "$r" ]; then
            kill -KILL "$pid" 2>/dev/null
            wait "$pid" 2>/dev/null
            up=$(head -n1 "$r")
            record vanish 4 "$up" $((4 - up)) 0 "$up of 4 sessions up, then killed"
        elif ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid"
            bench_result vanish $? "$j"
        else
            kill -KILL "$pid" 2>/dev/null
            wait "$pid" 2>/dev/null
            record vanish 1 0 0 1 "neither up nor an error after ${LIM}s"
        fi
        sleep 10
    done
}
loop_oneshot() {
    local n=0 rc tok got
    while [ "$(now)" -lt "$END" ]; do
        n=$((n + 1))
        tok="soak-$n-$RANDOM$RANDOM"
        timeout "$LIM" "$C" client -B "$BW" -u "soak-os-$((n % 5))" -k "$KEY" -m put -e "$tok" \
            "$U/soak/oneshot" >/dev/null 2>>"$OUT/loops/oneshot.log"
        rc=$?
        tool_result oneshot-psk "$rc" "PUT"
        # after a PUT that failed (reported), an earlier value may be read back
        [ "$rc" = 0 ] || tok=
        got=$(timeout "$LIM" "$C" client -B "$BW" -u "soak-os-$((n % 5))" -k "$KEY" \
            "$U/soak/oneshot" 2>>"$OUT/loops/oneshot.log")
        rc=$?
        if [ "$rc" = 0 ] && [ -n "$tok" ] && [ "$got" != "$tok" ]; then
            record oneshot-psk 1 0 0 1 "GET returned '$got', not the PUT's '$tok'"
        else
            tool_result oneshot-psk "$rc" "GET"
        fi
        timeout "$LIM" "$C" client -B "$BW" -M "$K/client.pem" --rpk-trust "$K/server.pub.pem" \
            "$U/time" >"$OUT/tmp/rpk.out" 2>>"$OUT/loops/oneshot.log"
        rc=$?
        if [ "$rc" = 0 ] && [ ! -s "$OUT/tmp/rpk.out" ]; then
            record oneshot-rpk 1 0 0 1 "GET /time: exit 0 and no payload"
        else
            tool_result oneshot-rpk "$rc" "GET /time"
        fi
        sleep 1
    done
}
loop_observe() {
    local n=0 rc o pid='' i lines
    trap 'kill -KILL $pid 2>/dev/null; exit 1' TERM
    while [ "$(now)" -lt "$END" ]; do
        n=$((n + 1))
        # an observer that deregisters and ends cleanly (RFC 7641 §3.6)
        o=$OUT/tmp/obs-$n.out
        timeout "$LIM" "$C" client -B "$BW" -s 4 -K 1 "${HB_OPT[@]}" -u "soak-obs-$n" -k "$KEY" \
            "$U/time" >"$o" 2>>"$OUT/loops/observe.log"
        rc=$?
        lines=$(wc -l <"$o")
        if [ "$rc" = 0 ] && [ "$lines" -lt 1 ]; then
            record observe 1 0 0 1 "exit 0 without a notification"
        else
            tool_result observe "$rc" "observe 4 s: $lines notifications"
        fi
        # an observer that vanishes after its first notification (SIGKILL)
        o=$OUT/tmp/obs-kill-$n.out
        "$C" client -B "$BW" -s 600 "${HB_OPT[@]}" -M "$K/client.pem" --rpk-trust "$K/server.pub.pem" \
            "$U/time" >"$o" 2>>"$OUT/loops/observe.log" &
        pid=$!
        for ((i = 0; i < BW * 10; i++)); do
            [ -s "$o" ] && break
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        sleep 1
        if kill -0 "$pid" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null
            wait "$pid" 2>/dev/null
            if [ -s "$o" ]; then
                record observe-vanish 1 1 0 0 "notified, then killed"
            else
                record observe-vanish 1 0 1 0 "no notification within ${BW}s (timeout)"
            fi
        else
            wait "$pid"
            tool_result observe-vanish $? "ended before it was killed"
        fi
        sleep 2
    done
}
loop_block() {
    local n=0 rc sum
    while [ "$(now)" -lt "$END" ]; do
        n=$((n + 1))
        timeout "$LIM" "$C" client -B "$BW" --ack-timeout 300 -v 1 -u soak-block -k "$KEY" -m put \
            -f "$K/blob.bin" "$UP/soak/blob" >/dev/null 2>>"$OUT/loops/block.log"
        tool_result block "$?" "PUT 100 KB"
        rm -f "$OUT/tmp/blob.got"
        timeout "$LIM" "$C" client -B "$BW" --ack-timeout 300 -u soak-block -k "$KEY" \
            -o "$OUT/tmp/blob.got" "$UP/soak/blob" >/dev/null 2>>"$OUT/loops/block.log"
        rc=$?
        sum=$({ sha256sum <"$OUT/tmp/blob.got"; } 2>/dev/null | cut -d' ' -f1)
        if [ "$rc" = 0 ] && [ "$sum" != "$BLOB_SUM" ]; then
            # a PUT that failed leaves an older copy: the body is the same blob anyway
            record block 1 0 0 1 "GET exit 0 but the body differs (SHA-256 $sum)"
        else
            tool_result block "$rc" "GET 100 KB"
        fi
        sleep 1
    done
}

sampler &
SAMPLER=$!
PIDS+=("$SAMPLER")
LOOPS=()
start_loop() {
    "$@" &
    LOOPS+=($!)
    PIDS+=($!)
}
want() { case " $SOAK_LOOPS " in *" $1 "*) return 0 ;; esac; return 1; }
SOAK_LOOPS=${SOAK_LOOPS:-steady hs-psk hs-ecdhe hs-resume vanish oneshot observe block}
want steady && start_loop loop_steady
want hs-psk && start_loop loop_hs psk-handshake hs-psk
want hs-ecdhe && start_loop loop_hs ecdhe-handshake hs-ecdhe --key "$K/client.pem"
want hs-resume && start_loop loop_hs resume-handshake hs-resume
want vanish && start_loop loop_vanish
want oneshot && start_loop loop_oneshot
want observe && start_loop loop_observe
want block && start_loop loop_block
echo "soak: ${DUR}s against coapsec server pid $SRV (coaps port $PS, proxy $PP, valgrind $VG);" \
    "results in $OUT"

for p in "${LOOPS[@]}"; do
    wait "$p"
done
wait "$SAMPLER"
T_LOOPS=$(($(now) - T0))
R_END=$(rss_of "$SRV")
[ -n "$R_END" ] && echo "$T_LOOPS,$R_END" >>"$OUT/rss.csv"

# ---- stop the server: its counters line, its exit status --------------------------------------
SRV_ALIVE=0
kill -0 "$SRV" 2>/dev/null && SRV_ALIVE=1
kill -TERM "$SRV" 2>/dev/null
for ((i = 0; i < 1200; i++)); do
    kill -0 "$SRV" 2>/dev/null || break
    sleep 0.05
done
kill -KILL "$SRV" 2>/dev/null
wait "$SRV"
SRV_RC=$?
kill -TERM "$PROXY_PID" 2>/dev/null
wait "$PROXY_PID" 2>/dev/null

# ---- report ------------------------------------------------------------------------------------------
FAILS=()
{
    echo "soak: ${DUR}s planned, ${T_LOOPS}s with load; server under valgrind: $([ "$VG" = 1 ] && echo yes || echo no)"
    awk -F, -v half=$((DUR / 2)) -v pct="$MAX_GROWTH_PCT" -v slack="$SLACK_KB" '
        NR == 1 { next }
        { n++; t[n] = $1; r[n] = $2; if ($2 > max) max = $2 }
        END {
            if (n < 2) { print "soak: rss: too few samples"; exit }
            for (i = 1; i <= n; i++) if (t[i] >= half) {
                m++; sx += t[i]; sy += r[i]; sxx += t[i] * t[i]; sxy += t[i] * r[i]
            }
            slope = 0
            if (m >= 2 && (m * sxx - sx * sx) != 0) slope = (m * sxy - sx * sy) / (m * sxx - sx * sx)
            span = t[n] - half; mean = m ? sy / m : r[n]
            growth = slope * span; gp = mean ? 100 * growth / mean : 0
            limit = pct * mean / 100; if (limit < slack) limit = slack
            printf "soak: rss: start %d KB, end %d KB, max %d KB, samples %d\n", r[1], r[n], max, n
            printf "soak: rss second half: slope %.1f KB/min over %d s = %+.0f KB (%+.2f %% of %.0f KB); limit %.0f KB (%s %%, at least %d KB): %s\n", \
                slope * 60, span, growth, gp, mean, limit, pct, slack, (growth <= limit ? "flat" : "GROWING")
        }' "$OUT/rss.csv"
    awk -F'\t' '
        { k = $1; if (!(k in a)) order[++nk] = k; a[k] += $2; o[k] += $3; f[k] += $4; u[k] += $5; runs[k]++ }
        END {
            for (i = 1; i <= nk; i++) { k = order[i]
                printf "soak: loop %-14s runs %5d  attempted %7d  ok %7d  failed %5d  unaccounted %d\n", k, runs[k], a[k], o[k], f[k], u[k]
                ta += a[k]; to += o[k]; tf += f[k]; tu += u[k] }
            printf "soak: total                           attempted %7d  ok %7d  failed %5d  unaccounted %d\n", ta, to, tf, tu
        }' "$EX"
    awk -F'\t' '$4 > 0 || $5 > 0 { printf "soak:   %s: %s\n", $1, $6 }' "$EX" | sort | uniq -c |
        sort -rn | head -n 12 | sed 's/^ *\([0-9]*\) soak:/soak:   \1x/'
    CNT=$(grep 'coapsec server: sessions ' "$OUT/server.log" | tail -n 1 | sed 's/^.*coapsec server: //')
    echo "soak: server counters at stop: ${CNT:-none (no counters line in server.log)}"
    SL=$OUT/server.log
    echo "soak: server log: $(grep -c 'DTLS: TLS_' "$SL") full handshakes, $(grep -c 'resumed (abbreviated' "$SL") resumed," \
        "$(grep -c ' evicted: ' "$SL") evicted, $(grep -c ' is dead: ' "$SL") dead (heartbeat or ping)," \
        "$(grep -c ' closed: ' "$SL") closed with a reason"
    echo "soak: server: $([ $SRV_ALIVE = 1 ] && echo "alive at the end" || echo "DIED during the run"), exit status $SRV_RC"
    if [ "$VG" = 1 ]; then
        L=$(grep -E 'definitely lost:|indirectly lost:|possibly lost:|still reachable:|ERROR SUMMARY:' \
            "$OUT/valgrind.log" 2>/dev/null | sed 's/^==[0-9]*== *//' | tr -s ' ' | paste -sd';' -)
        echo "soak: valgrind: ${L:-no summary in $OUT/valgrind.log}"
    else
        echo "soak: leaks: not checked (SOAK_VALGRIND=1 runs the server under valgrind)"
    fi
} >"$OUT/report.txt"

grep -q ': GROWING$' "$OUT/report.txt" && FAILS+=("RSS grows in the second half")
grep -q 'soak: rss: too few samples' "$OUT/report.txt" && FAILS+=("too few RSS samples")
TU=$(awk -F'\t' '{ u += $5 } END { print u + 0 }' "$EX")
TA=$(awk -F'\t' '{ a += $2 } END { print a + 0 }' "$EX")
[ "$TU" = 0 ] || FAILS+=("$TU exchanges unaccounted for")
[ "$TA" -gt 0 ] || FAILS+=("no exchange was attempted")
[ "$SRV_ALIVE" = 1 ] || FAILS+=("the server died")
if [ "$VG" = 1 ]; then
    [ "$SRV_RC" = 0 ] || FAILS+=("server exit status $SRV_RC under valgrind (99 = errors or leaks)")
    grep -q 'ERROR SUMMARY: 0 errors' "$OUT/valgrind.log" 2>/dev/null || FAILS+=("valgrind reports errors")
    grep -Eq 'definitely lost: [1-9]|indirectly lost: [1-9]' "$OUT/valgrind.log" &&
        FAILS+=("valgrind reports leaks")
else
    [ "$SRV_RC" = 0 ] || FAILS+=("server exit status $SRV_RC")
fi
if [ ${#FAILS[@]} = 0 ]; then
    echo "soak: PASS" >>"$OUT/report.txt"
else
    (
        IFS=';'
        echo "soak: FAIL: ${FAILS[*]}"
    ) >>"$OUT/report.txt"
fi
cat "$OUT/report.txt"
[ ${#FAILS[@]} = 0 ]
