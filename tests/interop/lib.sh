# tests/interop/lib.sh - helpers sourced by the scripted tests (tests/tool/test_*.sh,
# tests/interop/test_*.sh): free loopback UDP ports, background processes that are
# always killed on exit, waiting for a port to listen, required programs, and
# PASS/FAIL case accounting.
#
# Environment (set by CTest): COAPSEC (the built tool), COAPSEC_BUILD, COAPSEC_SRC.
# A missing program makes the test FAIL, never skip.

set -u

CS_BG_PIDS=()
CS_PASSED=0
CS_FAILED=0
CS_TMP=$(mktemp -d "${TMPDIR:-/tmp}/coapsec-test.XXXXXX")

cs_cleanup() {
    local pid
    for pid in "${CS_BG_PIDS[@]}"; do
        kill "$pid" 2>/dev/null
    done
    for pid in "${CS_BG_PIDS[@]}"; do
        wait "$pid" 2>/dev/null
    done
    CS_BG_PIDS=()
    rm -rf "$CS_TMP"
}
trap cs_cleanup EXIT
trap 'exit 130' INT TERM

# die MESSAGE: fail the whole test now.
die() {
    echo "FAIL: $*" >&2
    exit 1
}

# require_cmd PROG...: fail (not skip) when a program is missing.
require_cmd() {
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || die "required program '$c' is not installed"
    done
}

# require_coapsec: the tool under test must exist.
require_coapsec() {
    if [ -z "${COAPSEC:-}" ] && [ -n "${COAPSEC_BUILD:-}" ]; then
        COAPSEC=$COAPSEC_BUILD/coapsec
    fi
    [ -n "${COAPSEC:-}" ] || die "COAPSEC is not set (path of the built coapsec tool)"
    [ -x "$COAPSEC" ] || die "coapsec tool not found at '$COAPSEC'"
}

# udp_port_busy PORT: true when something listens on loopback/any UDP PORT.
udp_port_busy() {
    [ -n "$(ss -Hlun "sport = :$1" 2>/dev/null)" ]
}

# free_udp_port [COUNT]: print a random high port P such that P..P+COUNT-1 are free
# (libcoap servers also take P+1 for coaps). Never 5683/5684.
free_udp_port() {
    local count=${1:-1} p i ok tries
    require_cmd ss
    for tries in $(seq 1 200); do
        # below the kernel's ephemeral range (32768-60999 by default), so that
        # a port found free is not taken by some client socket's automatic bind
        # before our server or proxy binds it
        p=$((20000 + RANDOM % 12000))
        ok=1
        for ((i = 0; i < count; i++)); do
            if udp_port_busy $((p + i)); then
                ok=0
                break
            fi
        done
        if [ $ok = 1 ]; then
            echo "$p"
            return 0
        fi
    done
    die "no free UDP port found"
}

# wait_for_udp_port PORT [SECONDS]: wait until something listens on PORT.
wait_for_udp_port() {
    local port=$1 secs=${2:-10} i
    for ((i = 0; i < secs * 20; i++)); do
        udp_port_busy "$port" && return 0
        sleep 0.05
    done
    die "nothing listens on UDP port $port after ${secs}s"
}

# start_bg NAME CMD...: run CMD in the background, output in $CS_TMP/NAME.log;
# sets CS_LAST_PID. Killed at exit.
start_bg() {
    local name=$1
    shift
    "$@" >"$CS_TMP/$name.log" 2>&1 &
    CS_LAST_PID=$!
    CS_BG_PIDS+=("$CS_LAST_PID")
}

# stop_bg PID: SIGTERM it and wait; its exit status is left in CS_STOP_RC
# (do not call it in $(...): the process is a child of this shell).
# descendants PID: every process below PID (a `bash -c "a | b"` leaves its
# pipeline's processes behind when only the shell is killed).
descendants() {
    local c
    for c in $(pgrep -P "$1" 2>/dev/null); do
        echo "$c"
        descendants "$c"
    done
}

stop_bg() {
    local pid=$1 i rc kids
    kids=$(descendants "$pid")
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    rc=$?
    # shellcheck disable=SC2086 # a list of PIDs
    [ -n "$kids" ] && kill -TERM $kids 2>/dev/null
    local keep=() q
    for q in "${CS_BG_PIDS[@]}"; do
        [ "$q" = "$pid" ] || keep+=("$q")
    done
    CS_BG_PIDS=("${keep[@]+"${keep[@]}"}")
    CS_STOP_RC=$rc
}

# pass NAME / fail NAME [DETAIL]: record one case.
pass() {
    echo "PASS $1"
    CS_PASSED=$((CS_PASSED + 1))
}
fail() {
    echo "FAIL $1${2:+: $2}"
    CS_FAILED=$((CS_FAILED + 1))
}

# check NAME CMD...: PASS when CMD succeeds.
check() {
    local name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name"; fi
}

# finish: print the summary line and exit non-zero if any case failed.
finish() {
    echo "$CS_PASSED passed, $CS_FAILED failed"
    [ "$CS_FAILED" = 0 ] && [ "$CS_PASSED" -gt 0 ]
    exit $?
}

# Our own programs (the coapsec tool, dtls_driver), never a peer's, run behind
# $COAPSEC_WRAP when it is set: `make valgrind` sets it to a valgrind command
# line. CS_WRAP is that command line as an array (empty normally):
#   timeout 20 "${CS_WRAP[@]}" "$DRIVER" client ...
#   run_ours "$COAPSEC" client ...         (foreground)
#   start_ours NAME "$COAPSEC" server ...  (background, like start_bg)
# Used by test_dtls_{psk,cert}_{openssl,gnutls}.sh, test_dtls_rpk_gnutls.sh,
# test_dtls_mbedtls.sh, test_libcoap_{notls,psk,block_observe}.sh (not by the
# timing-bound test_loss_*.sh).
# shellcheck disable=SC2206 # the wrapper is a command line: split it on spaces
CS_WRAP=(${COAPSEC_WRAP:-})
run_ours() {
    "${CS_WRAP[@]}" "$@"
}
start_ours() {
    local name=$1
    shift
    start_bg "$name" "${CS_WRAP[@]}" "$@"
}
