#!/usr/bin/env bash
# bench/run.sh - `make bench`: the same load against coapsec's server,
# libcoap 4.3.1's coap-server-openssl / -gnutls (and -notls for NoSec) and a
# plain UDP echo server (the ceiling), server pinned to CPU 0 and the load
# generator (build/bench/coapsec-bench) to CPU 1. Prints a table with ratios
# to coapsec and writes BUILD/bench/results.json:
#   {"metric": {"coapsec": x, "libcoap_openssl": y, "libcoap_gnutls": z}, ...}
# null = not measured (server missing, no answer). ecdhe_bound_per_s and
# cert_bound_per_s ({"limit": b}) are the one-core crypto bounds from
# `openssl speed`, read on the server's core before each of coapsec's ECDHE
# and certificate-mode runs (medians); _bound_pct has the median over those
# runs of rate / the bound read before it.
#
# usage: bash bench/run.sh [BUILD]        (BUILD defaults to build)
# env:   QUICK=1  one short run per figure (< 1 minute), no memory sweep
#        SMOKE=1  for tests only: tiny runs, 300 held sessions (keys unchanged)
#        BENCH_OUT=DIR  where results.json goes (default BUILD/bench)
#        BENCH_KEEP=1   keep the per-run JSON and server logs (printed path)
#        BENCH_SERVERS="coapsec libcoap_openssl libcoap_gnutls"   DTLS servers measured
#        BENCH_NOSEC_SERVERS="coapsec libcoap_openssl libcoap_gnutls libcoap_notls"
#        (every key is written in any case; a server left out reports null)
#        BENCH_OTHER_MEM_MAX=N  largest memory-sweep size tried on libcoap (100000)
#        BENCH_MEM_SIZES="1000 10000 100000 1000000"  the full run's memory sweep
# Only loopback and free high ports are used. See docs/PERFORMANCE.md.
set -u

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-build}" 2>/dev/null && pwd) || {
    echo "bench: build directory '${1:-build}' not found (run make first)" >&2
    exit 2
}
QUICK=${QUICK:-0}
SMOKE=${SMOKE:-0}
OUT=${BENCH_OUT:-$BUILD/bench}
LOADGEN=$BUILD/bench/coapsec-bench
ECHO=$BUILD/bench/coapsec-udp-echo
TOOL=$BUILD/coapsec
PSK_ID=Client_identity
PSK_KEY=secretPSK

# shellcheck source=../tests/interop/lib.sh
. "$SRC/tests/interop/lib.sh"
[ "${BENCH_KEEP:-0}" = 1 ] && trap 'cs_bg_kill; echo "bench: logs kept in $CS_TMP"' EXIT
cs_bg_kill() {
    local pid
    for pid in "${CS_BG_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
    for pid in "${CS_BG_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
}

for f in "$LOADGEN" "$ECHO" "$TOOL"; do
    [ -x "$f" ] || die "$f is not built (make build)"
done
mkdir -p "$OUT" || die "cannot create $OUT"

if [ "$SMOKE" = 1 ]; then
    DUR=0.5 HS_DUR=0.5 REPS=1 HELD=300 MEM_SIZES="" EST_TIMEOUT=3
elif [ "$QUICK" = 1 ]; then
    DUR=0.8 HS_DUR=0.6 REPS=1 HELD=10000 MEM_SIZES="" EST_TIMEOUT=2
else
    DUR=10 HS_DUR=10 REPS=3 HELD=10000 MEM_SIZES=${BENCH_MEM_SIZES:-1000 10000 100000 1000000}
    EST_TIMEOUT=240
fi
SESSIONS=100
WINDOW=64
HS_WINDOW=16 # concurrent handshakes while establishing sessions (coapsec's server default)
# Handshake rates: 64 handshakes in flight, so that the server is never idle
# waiting for the load generator (libcoap allows 100 at a time; coapsec's
# server is started with --max-handshakes 64).
HS_LOAD_WINDOW=64

# ECDHE-ECDSA with raw public keys (RFC 7250), mutual: one P-256 key per side;
# each server pins the load generator's public key where it can.
KEYS=$CS_TMP/keys
mkdir -p "$KEYS"
if openssl ecparam -name prime256v1 -genkey -noout -out "$KEYS/server.key" 2>/dev/null &&
    openssl ecparam -name prime256v1 -genkey -noout -out "$KEYS/client.key" 2>/dev/null &&
    openssl ec -in "$KEYS/client.key" -pubout -out "$KEYS/client.pub.pem" 2>/dev/null; then
    HAVE_KEYS=1
else
    HAVE_KEYS=0
    echo "bench: openssl could not make P-256 keys: ECDHE figures are null" >&2
fi
# Certificate mode (X.509, mutual): a P-256 CA signing a server and a client
# certificate with SHA-256, the profile TS-0008 requires.
HAVE_CERTS=0
if [ "$HAVE_KEYS" = 1 ] && (
    cd "$KEYS" &&
        openssl ecparam -name prime256v1 -genkey -noout -out ca.key &&
        openssl req -x509 -new -key ca.key -sha256 -days 30 -subj "/CN=bench CA" \
            -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.crt &&
        for who in server client; do
            printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$who.ext" &&
                openssl req -new -key "$who.key" -subj "/CN=bench-$who" -out "$who.csr" &&
                openssl x509 -req -in "$who.csr" -CA ca.crt -CAkey ca.key -CAcreateserial \
                    -sha256 -days 30 -extfile "$who.ext" -out "$who.crt" || exit 1
        done
) >/dev/null 2>&1; then
    HAVE_CERTS=1
else
    echo "bench: openssl could not make the certificates: cert_handshakes_per_s is null" >&2
fi
# libcoap's gnutls build takes TLS_*_AES_128_CCM_8 only through a priority file.
GNUTLS_CFG=$SRC/tests/interop/gnutls-ccm8-only.config
GNUTLS_ENV=()
[ -r "$GNUTLS_CFG" ] && GNUTLS_ENV=(env GNUTLS_SYSTEM_PRIORITY_FILE="$GNUTLS_CFG")

# CPU pinning: server on 0, load on 1 (when the machine has two or more).
if command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -ge 2 ]; then
    PIN_SRV=(taskset -c 0)
    PIN_LOAD=(taskset -c 1)
else
    PIN_SRV=()
    PIN_LOAD=()
    echo "bench: taskset or a second CPU missing: server and load are not pinned" >&2
fi

# port_up PORT SECS: non-fatal wait for a listener.
port_up() {
    local i
    for ((i = 0; i < $2 * 20; i++)); do
        udp_port_busy "$1" && return 0
        sleep 0.05
    done
    return 1
}

# jget FILE KEY: a value of the load generator's flat JSON ("null" if absent).
jget() {
    local v
    v=$(sed -n "s/^  \"$2\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" "$1" 2>/dev/null | head -1)
    echo "${v:-null}"
}

# median VALUES...: median of the numeric values, null if none.
median() {
    local vals=() v
    for v in "$@"; do [ "$v" != null ] && vals+=("$v"); done
    [ ${#vals[@]} = 0 ] && { echo null; return; }
    printf '%s\n' "${vals[@]}" | sort -g | sed -n "$(((${#vals[@]} + 1) / 2))p"
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# Server under test: SRV_PID, SRV_PORT (coap), SRV_SPORT (coaps, "" if none).
# SRV_CAP: sessions the coapsec server is sized for (its tables are allocated
# for that many at start, so memory per session is measured with the tables
# sized for what is held, not for some larger cap).
SRV_CAP=1000
start_server() { # NAME
    local name=$1 p
    p=$(free_udp_port 2)
    SRV_PORT=$p
    SRV_SPORT=$((p + 1))
    case $name in
    coapsec | coapsec-base)
        local extra=()
        if "$TOOL" server --help 2>&1 | grep -q -- '--max-sessions'; then
            extra=(--max-sessions "$SRV_CAP" --max-handshakes $HS_LOAD_WINDOW)
        fi
        # ECDHE-ECDSA with raw public keys, the load generator's key pinned (mutual).
        if [ "$HAVE_KEYS" = 1 ] && "$TOOL" server --help 2>&1 | grep -q -- '--rpk-trust'; then
            extra+=(-M "$KEYS/server.key" --rpk-trust "$KEYS/client.pub.pem")
        fi
        [ "$name" = coapsec-base ] && extra=(--max-sessions 64)
        start_bg "srv-$name-$p" "${PIN_SRV[@]}" "$TOOL" server -A 127.0.0.1 -p "$p" \
            -k "$PSK_KEY" --nosec "${extra[@]}"
        ;;
    coapsec-cert) # X.509, the client's chain verified against the CA
        start_bg "srv-$name-$p" "${PIN_SRV[@]}" "$TOOL" server -A 127.0.0.1 -p "$p" \
            -c "$KEYS/server.crt" -j "$KEYS/server.key" -C "$KEYS/ca.crt" --nosec \
            --max-handshakes $HS_LOAD_WINDOW
        ;;
    libcoap_openssl-cert | libcoap_gnutls-cert)
        local bin=coap-server-openssl env=()
        [ "$name" = libcoap_gnutls-cert ] && bin=coap-server-gnutls env=("${GNUTLS_ENV[@]}")
        start_bg "srv-$name-$p" "${env[@]}" "${PIN_SRV[@]}" "$bin" -A 127.0.0.1 -p "$p" \
            -c "$KEYS/server.crt" -j "$KEYS/server.key" -C "$KEYS/ca.crt"
        ;;
    coapsec-nosec)
        start_bg "srv-$name-$p" "${PIN_SRV[@]}" "$TOOL" server -A 127.0.0.1 -p "$p"
        SRV_SPORT=""
        ;;
    libcoap_openssl) start_bg "srv-$name-$p" "${PIN_SRV[@]}" coap-server-openssl -A 127.0.0.1 -p "$p" -k "$PSK_KEY" ;;
    libcoap_gnutls)
        local rpk=()
        [ "$HAVE_KEYS" = 1 ] && rpk=(-M "$KEYS/server.key")
        start_bg "srv-$name-$p" "${GNUTLS_ENV[@]}" "${PIN_SRV[@]}" coap-server-gnutls \
            -A 127.0.0.1 -p "$p" -k "$PSK_KEY" "${rpk[@]}"
        ;;
    libcoap_notls)
        start_bg "srv-$name-$p" "${PIN_SRV[@]}" coap-server-notls -A 127.0.0.1 -p "$p"
        SRV_SPORT=""
        ;;
    limit)
        start_bg "srv-$name-$p" "${PIN_SRV[@]}" "$ECHO" -A 127.0.0.1 -p "$p"
        SRV_SPORT=""
        ;;
    limit_mmsg)
        start_bg "srv-$name-$p" "${PIN_SRV[@]}" "$ECHO" -m -A 127.0.0.1 -p "$p"
        SRV_SPORT=""
        ;;
    esac
    SRV_PID=$CS_LAST_PID
    port_up "$p" 5 || { stop_bg "$SRV_PID"; return 1; }
    if [ -n "$SRV_SPORT" ] && ! port_up "$SRV_SPORT" 2; then
        SRV_SPORT="" # e.g. coapsec before its DTLS server landed
    fi
    sleep 0.2
    return 0
}

# Every load generator run gets source addresses of its own (--addr-base), so a
# server never sees a new handshake from an address it still holds a session for.
ADDR_NEXT=0
next_base() {
    ADDR_BASE=$ADDR_NEXT
    ADDR_NEXT=$(((ADDR_NEXT + 200000) % 16000000))
}

# load TAG ARGS...: run the load generator (pinned); its JSON is $CS_TMP/TAG.json.
load() {
    local tag=$1
    shift
    next_base
    "${PIN_LOAD[@]}" "$LOADGEN" -q --json "$CS_TMP/$tag.json" --addr-base $ADDR_BASE "$@" \
        >"$CS_TMP/$tag.txt" 2>&1
    LOAD_RC=$?
}

# rate TAG: the measured rate, null when the run failed or answered nothing.
rate() {
    local r
    r=$(jget "$CS_TMP/$1.json" rate_per_s)
    [ "$(jget "$CS_TMP/$1.json" status)" = ok ] || r=null
    [ "$(jget "$CS_TMP/$1.json" ok)" = 0 ] && r=null
    echo "$r"
}

declare -A R     # R[metric,server] = value
declare -A CPU   # CPU[metric,server] = load generator CPU % (median run)
declare -A SCPU  # SCPU[metric,server] = server CPU microseconds per operation (median run)
progress() { echo "bench: $*" >&2; }
CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)

# srv_ticks: user+system CPU of the server under test so far, in clock ticks.
srv_ticks() { awk '{ print $14 + $15 }' "/proc/$SRV_PID/stat" 2>/dev/null || echo 0; }

# Servers running at once, by key (coapsec, libcoap_openssl, ..., limit):
# their PID, coap port and coaps port ("" if none).
declare -A SPID SPORT_OF SSPORT_OF
start_keyed() { # KEY NAME: start_server NAME and keep it under KEY
    start_server "$2" || return 1
    SPID[$1]=$SRV_PID SPORT_OF[$1]=$SRV_PORT SSPORT_OF[$1]=$SRV_SPORT
    progress "$1: pid $SRV_PID, coap on $SRV_PORT${SRV_SPORT:+, coaps on $SRV_SPORT}"
}
stop_keyed() { # stop every server started with start_keyed
    local k
    for k in "${!SPID[@]}"; do stop_bg "${SPID[$k]}"; done
    SPID=() SPORT_OF=() SSPORT_OF=()
}

# load_args METRIC KEY: the load generator's arguments for METRIC against the
# server kept under KEY, into LARGS.
load_args() {
    local U="coaps://127.0.0.1:${SSPORT_OF[$2]:-0}/" P="coap://127.0.0.1:${SPORT_OF[$2]:-0}/"
    case $1 in
    psk_handshakes_per_s) LARGS=(--mode psk-handshake --window $HS_LOAD_WINDOW --duration $HS_DUR "$U") ;;
    ecdhe_handshakes_per_s)
        LARGS=(--mode ecdhe-handshake --window $HS_LOAD_WINDOW --duration $HS_DUR
            --key "$KEYS/client.key" "$U")
        ;;
    cert_handshakes_per_s)
        LARGS=(--mode cert-handshake --window $HS_LOAD_WINDOW --duration $HS_DUR
            --key "$KEYS/client.key" --cert "$KEYS/client.crt" --ca "$KEYS/ca.crt" "$U")
        ;;
    resume_handshakes_per_s) LARGS=(--mode resume-handshake --window $HS_LOAD_WINDOW --duration $HS_DUR "$U") ;;
    dtls_get_per_s)
        LARGS=(--mode psk --sessions $SESSIONS --window $WINDOW --hs-window $HS_WINDOW
            --duration $DUR "$U")
        ;;
    nosec_get_per_s) LARGS=(--mode nosec --sessions $SESSIONS --window $WINDOW --duration $DUR "$P") ;;
    udp_echo_per_s) LARGS=(--mode echo --sessions $SESSIONS --window $WINDOW --duration $DUR "$P") ;;
    esac
}

# round METRIC "ENTRY..." : REPS rounds; in each, one run against every entry,
# in the order given in odd rounds and in reverse in even ones, so that a
# drift of the machine's speed during the rounds weighs on every server alike.
# An entry is a server key (measured for METRIC) or KEY@OTHER_METRIC (measured
# for that metric in the same rounds, e.g. the echo ceiling next to the GET
# rate). Medians go into R, CPU (the load generator's share of its core) and
# SCPU (the server's CPU time per completed operation: when the load generator
# is near 100 % of its core, the rate is its limit and this is what compares
# servers). RATIO[METRIC,KEY]: the median over rounds of coapsec's rate / KEY's
# in the same round. Before each of coapsec's ECDHE and certificate-mode runs
# the crypto bound is read (speed_bound), and PCT[METRIC] is the median over
# rounds of the rate as a percentage of the bound read before it.
declare -A RATIO
round() {
    local metric=$1 entries=() order=() e key m i t0 t1 ok v bound
    read -r -a entries <<<"$2"
    local -A r_vals=() r_cpus=() r_scpus=() r_rats=() r_this=()
    local bounds=() pcts=() echo_pcts=()
    for ((i = 1; i <= REPS; i++)); do
        order=("${entries[@]}")
        if ((i % 2 == 0)); then
            order=()
            for ((e = ${#entries[@]} - 1; e >= 0; e--)); do order+=("${entries[$e]}"); done
        fi
        r_this=()
        for e in "${order[@]}"; do
            key=${e%@*} m=$metric
            [ "$e" != "$key" ] && m=${e#*@}
            [ -n "${SPID[$key]:-}" ] || continue
            bound=null
            if [ "$key" = coapsec ]; then
                case $m in
                ecdhe_handshakes_per_s) speed_bound && bound=$SPEED_E ;;
                cert_handshakes_per_s) speed_bound && bound=$SPEED_C ;;
                esac
            fi
            SRV_PID=${SPID[$key]}
            load_args "$m" "$key"
            t0=$(srv_ticks)
            load "$m-$key-$i" "${LARGS[@]}"
            t1=$(srv_ticks)
            v=$(rate "$m-$key-$i")
            r_this[$m,$key]=$v
            r_vals[$m,$key]+="$v "
            r_cpus[$m,$key]+="$(jget "$CS_TMP/$m-$key-$i.json" loadgen_cpu_pct) "
            ok=$(jget "$CS_TMP/$m-$key-$i.json" ok)
            if [ "$ok" != null ] && [ "$ok" -gt 0 ] 2>/dev/null; then
                r_scpus[$m,$key]+="$(awk -v d=$((t1 - t0)) -v hz="$CLK_TCK" -v n="$ok" \
                    'BEGIN { printf "%.2f", d / hz * 1e6 / n }') "
            else
                r_scpus[$m,$key]+="null "
            fi
            if [ "$bound" != null ]; then
                bounds+=("$bound")
                pcts+=("$(awk -v a="$v" -v b="$bound" \
                    'BEGIN { if (a == "null" || b == 0) print "null"; else printf "%.1f", 100 * a / b }')")
            fi
        done
        # this round's ratios: coapsec / each other server; GET / the echo ceiling
        local ours=${r_this[$metric,coapsec]:-null} k
        for e in "${entries[@]}"; do
            k=${e%@*}
            [ "$e" = "$k" ] && [ "$k" != coapsec ] || continue
            v=${r_this[$metric,$k]:-null}
            if [ "$ours" != null ] && [ "$v" != null ]; then
                r_rats[$k]+="$(awk -v a="$ours" -v b="$v" 'BEGIN { if (b > 0) printf "%.4f", a / b; else print "null" }') "
            fi
        done
        v=${r_this[udp_echo_per_s,limit]:-null}
        if [ "$metric" = dtls_get_per_s ] && [ "$ours" != null ] && [ "$v" != null ]; then
            echo_pcts+=("$(awk -v a="$ours" -v b="$v" 'BEGIN { printf "%.1f", 100 * a / b }')")
        fi
    done
    for e in "${entries[@]}"; do
        key=${e%@*} m=$metric
        [ "$e" != "$key" ] && m=${e#*@}
        # shellcheck disable=SC2086 # space-separated lists
        if [ -z "${r_vals[$m,$key]:-}" ]; then
            R[$m,$key]=null
            continue
        fi
        R[$m,$key]=$(median ${r_vals[$m,$key]})
        CPU[$m,$key]=$(median ${r_cpus[$m,$key]})
        SCPU[$m,$key]=$(median ${r_scpus[$m,$key]})
        progress "$m $key: ${R[$m,$key]} (runs: ${r_vals[$m,$key]% }; load generator CPU ${CPU[$m,$key]} %; server CPU ${SCPU[$m,$key]} us per operation)"
        if [ "$m" = "$metric" ] && [ "$key" != coapsec ] && [ -n "${r_rats[$key]:-}" ]; then
            RATIO[$metric,$key]=$(median ${r_rats[$key]})
            progress "$metric coapsec / $key, round by round: ${r_rats[$key]% } (median ${RATIO[$metric,$key]})"
        fi
    done
    if [ ${#bounds[@]} -gt 0 ]; then
        PCT[$metric]=$(median "${pcts[@]}")
        case $metric in
        ecdhe_*) R[ecdhe_bound_per_s,limit]=$(median "${bounds[@]}") ;;
        cert_*) R[cert_bound_per_s,limit]=$(median "${bounds[@]}") ;;
        esac
        progress "$metric coapsec against the bound read before each run: ${pcts[*]} % (median ${PCT[$metric]} %)"
    fi
    if [ ${#echo_pcts[@]} -gt 0 ]; then
        PCT[get_vs_echo]=$(median "${echo_pcts[@]}")
        progress "dtls_get_per_s coapsec against the echo ceiling in the same round: ${echo_pcts[*]} % (median ${PCT[get_vs_echo]} %)"
    fi
}

# held SERVER N TAG DURATION: establish N sessions (100 active), run DURATION,
# then read the server's RSS growth while they are held. Sets HELD_RATE,
# HELD_BPS (bytes per established session), HELD_EST. For coapsec the growth
# is counted from BASE_RSS, the RSS of the same server sized for 64 sessions
# (its tables are allocated for SRV_CAP sessions at start: they count too).
BASE_RSS=""
held() {
    local srv=$1 n=$2 tag=$3 dur=$4 before after lpid i
    before=$(rss_kb "$SRV_PID")
    [ "$srv" = coapsec ] && [ -n "$BASE_RSS" ] && before=$BASE_RSS
    rm -f "$CS_TMP/$tag.ready"
    next_base
    ADDR_NEXT=$(((ADDR_NEXT + n) % 16000000))
    "${PIN_LOAD[@]}" "$LOADGEN" -q --json "$CS_TMP/$tag.json" --addr-base $ADDR_BASE \
        --mode psk --sessions "$n" \
        --active $SESSIONS --window $WINDOW --hs-window $HS_WINDOW --duration "$dur" \
        --establish-timeout "$EST_TIMEOUT" --ready-file "$CS_TMP/$tag.ready" --hold 600 \
        "coaps://127.0.0.1:$SRV_SPORT/" >"$CS_TMP/$tag.txt" 2>&1 &
    lpid=$!
    for ((i = 0; i < (EST_TIMEOUT + 60) * 10; i++)); do
        [ -e "$CS_TMP/$tag.ready" ] && break
        kill -0 "$lpid" 2>/dev/null || break
        sleep 0.1
    done
    sleep 0.5
    after=$(rss_kb "$SRV_PID")
    kill -TERM "$lpid" 2>/dev/null
    wait "$lpid" 2>/dev/null
    HELD_EST=$(jget "$CS_TMP/$tag.json" alive) # established and still answered by the server
    HELD_RATE=$(rate "$tag")
    HELD_BPS=null
    if [ -e "$CS_TMP/$tag.ready" ] && [ "$HELD_EST" != null ] && [ "$HELD_EST" -gt 0 ]; then
        HELD_BPS=$(((after - before) * 1024 / HELD_EST))
    fi
    progress "$srv: $HELD_EST/$n sessions held, server RSS ${before} -> ${after} kB, $HELD_BPS bytes/session, rate $HELD_RATE"
    HELD_BEFORE=$before HELD_AFTER=$after
}

read -r -a SERVERS <<<"${BENCH_SERVERS:-coapsec libcoap_openssl libcoap_gnutls}"
declare -A SERVER_CMD=([coapsec]=$TOOL [libcoap_openssl]=coap-server-openssl
    [libcoap_gnutls]=coap-server-gnutls [libcoap_notls]=coap-server-notls)

have_server() { command -v "${SERVER_CMD[$1]}" >/dev/null 2>&1; }

# BASE_RSS: what the coapsec server takes sized for 64 sessions, idle.
base_rss() {
    BASE_RSS=""
    start_server coapsec-base || return
    sleep 0.3
    BASE_RSS=$(rss_kb "$SRV_PID")
    stop_bg "$SRV_PID"
}
# cap_for N: the coapsec server's --max-sessions for N held sessions: what it
# holds plus 256 slots of slack (sized for the load, as a deployment would be).
cap_for() { echo $(($1 + 256)); }

# ---- the crypto bound, read on the server's core next to each ECDHE run ----------
# One core's ECDHE-ECDSA bound (issue 6): a server signs once, verifies once,
# makes one ephemeral key (about a signature) and derives once; certificate
# mode verifies once more (the client's chain). `openssl speed` on CPU 0, the
# server's core, just before each of coapsec's ECDHE and certificate-mode runs:
# each run is set against the bound read next to it, and the median of those
# percentages is reported. On a shared VM the CPU's speed drifts by 10-20 %
# within minutes, so a bound read once, minutes away from the runs, moves the
# percentage by as much as the drift.
# speed_bound: sets SPEED_E and SPEED_C (handshakes/s; null when unknown).
speed_bound() {
    SPEED_E=null SPEED_C=null
    [ "$SMOKE" = 1 ] && return 0
    command -v openssl >/dev/null || return 0
    local secs=2 out
    [ "$QUICK" = 1 ] && secs=1
    out=$("${PIN_SRV[@]}" openssl speed -seconds $secs ecdsap256 ecdhp256 2>/dev/null) || return 0
    local sign verify derive
    sign=$(awk '/ecdsa \(nistp256\)/ { print $(NF-1) }' <<<"$out" | tail -1)
    verify=$(awk '/ecdsa \(nistp256\)/ { print $NF }' <<<"$out" | tail -1)
    derive=$(awk '/ecdh \(nistp256\)/ { print $NF }' <<<"$out" | tail -1)
    [ -n "$sign" ] && [ -n "$verify" ] && [ -n "$derive" ] || return 0
    SPEED_E=$(awk -v s="$sign" -v v="$verify" -v d="$derive" \
        'BEGIN { printf "%.1f", 1 / (2 / s + 1 / v + 1 / d) }')
    SPEED_C=$(awk -v s="$sign" -v v="$verify" -v d="$derive" \
        'BEGIN { printf "%.1f", 1 / (2 / s + 2 / v + 1 / d) }')
    progress "openssl speed on CPU 0: sign $sign/s, verify $verify/s, derive $derive/s;" \
        "ECDHE bound $SPEED_E/s, with one more verification $SPEED_C/s"
}
declare -A PCT # PCT[metric] = median over runs of 100 * rate / the bound read before the run
R[ecdhe_bound_per_s,limit]=null
R[cert_bound_per_s,limit]=null

# ---- DTLS figures --------------------------------------------------------------

# Which DTLS servers can run here (each needs its command and a coaps port).
DTLS_OK=()
for srv in "${SERVERS[@]}"; do
    for m in psk_handshakes_per_s ecdhe_handshakes_per_s cert_handshakes_per_s \
        resume_handshakes_per_s dtls_get_per_s dtls_get_per_s_10k bytes_per_session sessions_held; do
        R[$m,$srv]=null
    done
    if ! have_server "$srv"; then
        progress "$srv: ${SERVER_CMD[$srv]} not installed: its figures are null"
        continue
    fi
    DTLS_OK+=("$srv")
done

# First, server by server on fresh servers: RSS growth per held session, and
# the GET rate of 100 active sessions while HELD are established (a fresh
# server for each run: sessions left half-open would slow what follows).
SRV_CAP=$(cap_for $HELD)
for srv in "${DTLS_OK[@]}"; do
    [ "$srv" = coapsec ] && base_rss
    vals=()
    for ((i = 1; i <= REPS; i++)); do
        start_server "$srv" || break
        if [ -z "$SRV_SPORT" ]; then
            progress "$srv: no coaps port (DTLS server not available): DTLS figures are null"
            stop_bg "$SRV_PID"
            break
        fi
        held "$srv" $HELD "held-$srv-$i" $DUR
        vals+=("$HELD_RATE")
        [ $i = 1 ] && R[bytes_per_session,$srv]=$HELD_BPS && R[sessions_held,$srv]=$HELD_EST
        stop_bg "$SRV_PID"
    done
    R[dtls_get_per_s_10k,$srv]=$(median "${vals[@]}")
done

# Then the rates, round by round: every DTLS server (and the echo ceiling, for
# the GET rate) running at once, each idle while another is measured.
for srv in "${DTLS_OK[@]}"; do
    start_keyed "$srv" "$srv" || { progress "$srv: did not start"; continue; }
    if [ -z "${SSPORT_OF[$srv]}" ]; then
        progress "$srv: no coaps port (DTLS server not available): DTLS figures are null"
        stop_bg "${SPID[$srv]}"
        unset 'SPID[$srv]'
    fi
done
for srv in limit limit_mmsg; do
    R[udp_echo_per_s,$srv]=null
    start_keyed "$srv" "$srv" || progress "$srv: did not start"
done
round psk_handshakes_per_s "${DTLS_OK[*]}"
# ECDHE-ECDSA with raw public keys, mutual (libcoap's OpenSSL build has no RPK).
if [ "$HAVE_KEYS" = 1 ]; then
    round ecdhe_handshakes_per_s "$(printf '%s\n' "${DTLS_OK[@]}" | grep -vx libcoap_openssl | tr '\n' ' ')"
fi
# Abbreviated PSK handshakes (session ID or ticket, whatever the server gives).
round resume_handshakes_per_s "${DTLS_OK[*]}"
# GET over DTLS-PSK, 100 sessions; the UDP echo ceiling in the same rounds.
round dtls_get_per_s "${DTLS_OK[*]} limit@udp_echo_per_s limit_mmsg@udp_echo_per_s"
stop_keyed

# Certificate mode, mutual: the servers restarted with their X.509 chains.
if [ "$HAVE_CERTS" = 1 ]; then
    for srv in "${DTLS_OK[@]}"; do
        start_keyed "$srv" "$srv-cert" || progress "$srv-cert: did not start"
    done
    round cert_handshakes_per_s "${DTLS_OK[*]}"
    stop_keyed
fi

# ---- memory sweep (full run only): RSS per established idle session ------------
# libcoap's servers go up to OTHER_MEM_MAX sessions: at 43 KB (OpenSSL) or
# 11.5 KB (GnuTLS) per session, a million would take 43 GB or 11.5 GB, more
# than this kind of machine should be asked for while the load generator
# holds its side too. Their larger figures stay null.
OTHER_MEM_MAX=${BENCH_OTHER_MEM_MAX:-100000}
for n in $MEM_SIZES; do
    key=bytes_per_session_$((n / 1000))k
    SRV_CAP=$(cap_for "$n")
    for srv in "${SERVERS[@]}"; do
        R[$key,$srv]=null
        have_server "$srv" || continue
        if [ "$srv" != coapsec ] && [ "$n" -gt "$OTHER_MEM_MAX" ]; then
            progress "$srv: $n sessions not attempted (over BENCH_OTHER_MEM_MAX=$OTHER_MEM_MAX)"
            continue
        fi
        [ "$srv" = coapsec ] && base_rss
        start_server "$srv" || continue
        if [ -n "$SRV_SPORT" ]; then
            held "$srv" "$n" "mem-$srv-$n" 0
            R[$key,$srv]=$HELD_BPS
            R[sessions_held_$((n / 1000))k,$srv]=$HELD_EST
        fi
        stop_bg "$SRV_PID"
    done
done

# ---- NoSec ----------------------------------------------------------------------
read -r -a NOSEC <<<"${BENCH_NOSEC_SERVERS:-coapsec libcoap_openssl libcoap_gnutls libcoap_notls}"
NOSEC_OK=()
for srv in "${NOSEC[@]}"; do
    R[nosec_get_per_s,$srv]=null
    have_server "$srv" || continue
    name=$srv
    [ "$srv" = coapsec ] && name=coapsec-nosec
    start_keyed "$srv" "$name" || { progress "$srv: did not start"; continue; }
    NOSEC_OK+=("$srv")
done
round nosec_get_per_s "${NOSEC_OK[*]}"
stop_keyed

# ---- results.json ------------------------------------------------------------------
num() { # print a value rounded (integers for rates/bytes), or null
    if [ "${1:-null}" = null ]; then echo null; else printf '%.0f' "$1"; fi
}
METRICS=(psk_handshakes_per_s ecdhe_handshakes_per_s cert_handshakes_per_s resume_handshakes_per_s
    dtls_get_per_s dtls_get_per_s_10k
    nosec_get_per_s bytes_per_session sessions_held udp_echo_per_s ecdhe_bound_per_s cert_bound_per_s)
for n in $MEM_SIZES; do
    METRICS+=("bytes_per_session_$((n / 1000))k" "sessions_held_$((n / 1000))k")
done
keys_of() {
    case $1 in
    udp_echo_per_s) echo limit limit_mmsg ;;
    *_bound_per_s) echo limit ;;
    nosec_get_per_s) echo coapsec libcoap_openssl libcoap_gnutls libcoap_notls ;;
    *) echo coapsec libcoap_openssl libcoap_gnutls ;;
    esac
}
# json_cells ARRAY FORMAT METRIC KEYS...: "METRIC": {"KEY": ARRAY[METRIC,KEY], ...},
# each value through printf FORMAT, null kept as null.
json_cells() {
    local -n cells=$1
    local fmt=$2 m=$3 sep="" k v
    shift 3
    printf '"%s": {' "$m"
    for k in "$@"; do
        v=${cells[$m,$k]:-null}
        # shellcheck disable=SC2059 # the format is the caller's
        [ "$v" = null ] || v=$(printf "$fmt" "$v")
        printf '%s"%s": %s' "$sep" "$k" "$v"
        sep=", "
    done
    printf '}'
}
JSON=$OUT/results.json
{
    echo "{"
    first=1
    for m in "${METRICS[@]}"; do
        [ $first = 1 ] || echo ","
        first=0
        printf '  '
        # shellcheck disable=SC2046 # keys_of gives a list
        json_cells R '%.0f' "$m" $(keys_of "$m")
    done
    # Next to each rate measured by `measure`: the server's CPU time per
    # operation and the load generator's CPU share (medians of the runs).
    for side in server loadgen; do
        if [ $side = server ]; then printf ',\n  "_server_cpu_us_per_op": {'; else
            printf ',\n  "_loadgen_cpu_pct": {'
        fi
        msep=""
        for m in "${METRICS[@]}"; do
            case $m in *_per_s | *_per_s_10k) ;; *) continue ;; esac
            case $m in dtls_get_per_s_10k | *_bound_per_s) continue ;; esac
            printf '%s' "$msep"
            # shellcheck disable=SC2046 # keys_of gives a list
            if [ $side = server ]; then json_cells SCPU '%.2f' "$m" $(keys_of "$m"); else
                json_cells CPU '%.2f' "$m" $(keys_of "$m")
            fi
            msep=", "
        done
        printf '}'
    done
    printf ',\n  "_bound_pct": {"ecdhe_handshakes_per_s": %s, "cert_handshakes_per_s": %s}' \
        "${PCT[ecdhe_handshakes_per_s]:-null}" "${PCT[cert_handshakes_per_s]:-null}"
    printf ',\n  "_get_vs_echo_pct": %s' "${PCT[get_vs_echo]:-null}"
    # coapsec's rate / the other's, the median over rounds (servers taking turns)
    printf ',\n  "_ratio_by_round": {'
    msep=""
    for m in psk_handshakes_per_s ecdhe_handshakes_per_s cert_handshakes_per_s \
        resume_handshakes_per_s dtls_get_per_s nosec_get_per_s; do
        printf '%s' "$msep"
        json_cells RATIO '%s' "$m" libcoap_openssl libcoap_gnutls
        msep=", "
    done
    printf '}'
    printf ',\n  "_machine": {"cpu": "%s", "cpus": %s, "quick": %s, "runs_per_figure": %s, "duration_s": %s, "sessions": %s, "window": %s, "held_sessions": %s}\n}\n' \
        "$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1 | tr -d '"\\')" "$(nproc)" \
        "$([ "$QUICK" = 1 ] || [ "$SMOKE" = 1 ] && echo true || echo false)" "$REPS" "$DUR" \
        "$SESSIONS" "$WINDOW" "$HELD"
} >"$JSON.tmp" && mv "$JSON.tmp" "$JSON"

# ---- the table -------------------------------------------------------------------------
ratio() { # ours theirs -> "2.31x" ("-" when either is missing)
    if [ "$1" = null ] || [ "$2" = null ] || [ "$2" = 0 ]; then echo "-"; else
        awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'
    fi
}
pctv() { if [ "${1:-null}" = null ]; then echo "-"; else echo "$1 %"; fi; }
# rratio METRIC KEY: the median of the round-by-round ratios (RATIO) when
# there is one, else the ratio of the medians.
rratio() {
    if [ -n "${RATIO[$1,$2]:-}" ]; then printf '%.2fx' "${RATIO[$1,$2]}"; else
        ratio "$(num "${R[$1,coapsec]:-null}")" "$(num "${R[$1,$2]:-null}")"
    fi
}
echo
echo "coapsec vs libcoap 4.3.1 - $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1), $(nproc) CPUs"
echo "server on CPU 0, load on CPU 1; median of $REPS run(s) of ${DUR}s; ratio = coapsec / other"
echo "(rates: the median of the ratios of runs made in the same round, servers taking turns)"
printf '%-24s %12s %14s %8s %14s %8s\n' metric coapsec libcoap-openssl ratio libcoap-gnutls ratio
for m in "${METRICS[@]}"; do
    case $m in udp_echo_per_s | *_bound_per_s) continue ;; esac
    a=$(num "${R[$m,coapsec]:-null}")
    b=$(num "${R[$m,libcoap_openssl]:-null}")
    c=$(num "${R[$m,libcoap_gnutls]:-null}")
    case $m in sessions_held*) ra="" rc="" ;;
    bytes_per_session*) ra=$(ratio "$b" "$a") rc=$(ratio "$c" "$a") ;; # smaller is better
    *) ra=$(rratio "$m" libcoap_openssl) rc=$(rratio "$m" libcoap_gnutls) ;; esac
    printf '%-24s %12s %14s %8s %14s %8s\n' "$m" "$a" "$b" "$ra" "$c" "$rc"
done
printf '%-24s %12s (libcoap-notls: %s)\n' "nosec (notls server)" "" "$(num "${R[nosec_get_per_s,libcoap_notls]:-null}")"
printf '%-24s %12s (recvmmsg/sendmmsg: %s)\n' "udp echo ceiling" "$(num "${R[udp_echo_per_s,limit]:-null}")" \
    "$(num "${R[udp_echo_per_s,limit_mmsg]:-null}")"
printf '%-24s %12s of the echo ceiling measured in the same rounds (target: 50 %%)\n' \
    "dtls get vs echo" "$(pctv "${PCT[get_vs_echo]:-null}")"
printf '%-24s %12s of the openssl-speed bound read before each run (median %s/s; target: 80 %%)\n' \
    "ecdhe vs crypto bound" "$(pctv "${PCT[ecdhe_handshakes_per_s]:-null}")" \
    "$(num "${R[ecdhe_bound_per_s,limit]:-null}")"
printf '%-24s %12s of the bound with one more verification (median %s/s)\n' "cert vs crypto bound" \
    "$(pctv "${PCT[cert_handshakes_per_s]:-null}")" "$(num "${R[cert_bound_per_s,limit]:-null}")"
echo "bytes_per_session ratios are other / coapsec (larger = coapsec uses less)."
echo "results: $JSON"
echo
echo "server CPU per operation (us; median run) and load generator CPU share:"
printf '%-24s %14s %14s %8s %14s %8s\n' metric coapsec libcoap-openssl ratio libcoap-gnutls ratio
for m in psk_handshakes_per_s ecdhe_handshakes_per_s cert_handshakes_per_s resume_handshakes_per_s \
    dtls_get_per_s nosec_get_per_s; do
    cell() { # server -> "12.34 (97%)"
        local s=${SCPU[$m,$1]:-null} l=${CPU[$m,$1]:-null}
        [ "$s" = null ] && { echo "-"; return; }
        printf '%.2f (%.0f%%)' "$s" "${l/null/0}"
    }
    a=${SCPU[$m,coapsec]:-null}
    printf '%-24s %14s %14s %8s %14s %8s\n' "$m" "$(cell coapsec)" "$(cell libcoap_openssl)" \
        "$(ratio "${SCPU[$m,libcoap_openssl]:-null}" "$a")" "$(cell libcoap_gnutls)" \
        "$(ratio "${SCPU[$m,libcoap_gnutls]:-null}" "$a")"
done
echo "CPU ratios are other / coapsec (larger = coapsec needs less server CPU per operation);"
echo "in brackets the load generator's share of its core: near 100 % the rate is its limit."
