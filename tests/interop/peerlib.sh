# peerlib.sh - small shell helpers (source this file, bash) for interop tests
# that run third-party peers: free UDP ports, waiting for a UDP listener or a
# line in a log, tracking background processes so a trap can stop each one
# by PID, and PASS/FAIL bookkeeping. Every name starts with pl_ so it never
# collides with tests/interop/lib.sh.
#
#   pl_free_udp_port            print a random UDP port in 20000-60000 that
#                               nothing listens on (ss -Hlun); never 5683/5684
#   pl_wait_udp PORT [SECS]     wait until something is bound to UDP PORT
#   pl_wait_grep PATTERN FILE [SECS]
#                               wait until grep -E PATTERN matches in FILE
#   pl_track PID                remember a background process
#   pl_wait_pid PID SECS        wait up to SECS for PID to exit; its status
#                               is in PL_STATUS (124 if it had to be killed)
#   pl_kill_all                 stop every tracked process (TERM, then KILL)
#   pl_pass NAME / pl_fail NAME [WHY]
#                               print "PASS NAME" / "FAIL NAME: WHY" and count
#   pl_summary                  print "N passed, M failed"; returns 1 if any
#                               case failed or none ran

PL_PIDS=()
PL_PASSED=0
PL_FAILED=0
PL_STATUS=0

pl_free_udp_port() {
    local p i
    for ((i = 0; i < 200; i++)); do
        p=$((20000 + (RANDOM * 32768 + RANDOM) % 40001))
        if [ -z "$(ss -Hlun "sport = :$p" 2>/dev/null)" ]; then
            echo "$p"
            return 0
        fi
    done
    echo "pl_free_udp_port: no free port found" >&2
    return 1
}

pl_wait_udp() {
    local port=$1 secs=${2:-10} i
    for ((i = 0; i < secs * 10; i++)); do
        [ -n "$(ss -Hlun "sport = :$port" 2>/dev/null)" ] && return 0
        sleep 0.1
    done
    return 1
}

pl_wait_grep() {
    local pat=$1 file=$2 secs=${3:-10} i
    for ((i = 0; i < secs * 10; i++)); do
        grep -Eq -- "$pat" "$file" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

pl_track() {
    PL_PIDS+=("$1")
}

pl_wait_pid() {
    local pid=$1 secs=$2 i
    for ((i = 0; i < secs * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null
        sleep 0.2
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        PL_STATUS=124
        return 1
    fi
    wait "$pid" 2>/dev/null
    PL_STATUS=$?
    return 0
}

pl_kill_all() {
    local p
    for p in "${PL_PIDS[@]}"; do
        kill -TERM "$p" 2>/dev/null
    done
    sleep 0.2
    for p in "${PL_PIDS[@]}"; do
        kill -KILL "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    PL_PIDS=()
}

pl_pass() {
    echo "PASS $1"
    PL_PASSED=$((PL_PASSED + 1))
}

pl_fail() {
    echo "FAIL $1${2:+: $2}"
    PL_FAILED=$((PL_FAILED + 1))
}

pl_summary() {
    echo "$PL_PASSED passed, $PL_FAILED failed"
    [ "$PL_FAILED" -eq 0 ] && [ "$PL_PASSED" -gt 0 ]
}
