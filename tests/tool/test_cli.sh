#!/usr/bin/env bash
# tests/tool/test_cli.sh - end-to-end test of the `coapsec` tool in NoSec mode:
# `coapsec server` on 127.0.0.1 (and ::1) with a free port, driven by `coapsec
# client`. Checks the store semantics (RFC 7252 §5.8 methods and §5.9 codes),
# Content-Format (§5.10.3), /.well-known/core (RFC 6690), NON requests (§4.3),
# token echo (§5.3.1), unrecognised critical options (§5.4.1), the store caps,
# URI errors (§6), exit statuses, help/version and clean shutdown on SIGTERM.
. "$(case $0 in */*) echo "${0%/*}" ;; *) echo . ;; esac)/../interop/lib.sh" || { echo "FAIL: cannot load lib.sh" >&2; exit 1; }
require_coapsec
require_cmd ss cmp head grep

C=$COAPSEC
T=$CS_TMP
P=$(free_udp_port)
start_bg server "$C" server -A 127.0.0.1 -p "$P" -v 3
SRV=$CS_LAST_PID
wait_for_udp_port "$P"
U=coap://127.0.0.1:$P

# run NAME EXPECTED_RC CLIENT-ARGS...: run the client, keep stdout/stderr in $T/NAME.{out,err}
run() {
    local name=$1 want=$2 rc
    shift 2
    "$C" client -B 10 "$@" >"$T/$name.out" 2>"$T/$name.err"
    rc=$?
    if [ "$rc" != "$want" ]; then
        fail "$name" "exit $rc, wanted $want; stderr: $(head -c 300 "$T/$name.err")"
        return 1
    fi
    return 0
}
has() { grep -q -- "$2" "$T/$1"; }

# --- version / help ---------------------------------------------------------
want_ver=$(sed -n 's/^project(coapsec VERSION \([0-9.]*\).*/\1/p' "${COAPSEC_SRC:-$(dirname "$0")/../..}/CMakeLists.txt")
check "version matches CMakeLists.txt ($want_ver)" test "$("$C" version)" = "coapsec $want_ver"
check "help lists the commands" bash -c '"$0" help | grep -q "client" && "$0" -h | grep -q server' "$C"
check "client -h lists every option" bash -c 'o=$("$0" help client); for x in -m -e -f -t -A -O -N -T -B -o -U -v; do grep -q -- "$x " <<<"$o" || exit 1; done' "$C"
"$C" frobnicate >/dev/null 2>&1
check "unknown command exits 2" test $? = 2

# --- store: PUT text, GET, replace -----------------------------------------
if run put-text 0 -v 1 -m put -e 'hello%20world' -t text/plain "$U/greeting"; then
    check "PUT new resource -> 2.01 Created" has put-text.err "2.01 Created"
fi
if run get-text 0 -v 1 "$U/greeting"; then
    check "GET returns the stored text (%-decoded -e)" test "$(cat "$T/get-text.out")" = "hello world"
    check "GET keeps Content-Format 0" grep -q "Content-Format.*: 0" "$T/get-text.err"
fi
if run put-again 0 -v 1 -m put -e again -t application/json "$U/greeting"; then
    check "PUT existing resource -> 2.04 Changed" has put-again.err "2.04 Changed"
fi
if run get-json 0 -v 1 -A json "$U/greeting"; then
    check "replaced resource has new payload and ct=50" bash -c \
        'test "$(cat "$0.out")" = again && grep -q "Content-Format.*: 50" "$0.err"' "$T/get-json"
fi

# --- 1,000-byte payload from a file ---------------------------------------------
head -c 1000 /dev/urandom >"$T/big.bin"
if run put-big 0 -v 1 -m put -f "$T/big.bin" -t application/octet-stream "$U/big/blob"; then
    check "PUT 1000-byte file -> 2.01" has put-big.err "2.01 Created"
fi
if run get-big 0 -o "$T/big.got" "$U/big/blob"; then
    check "GET 1000-byte resource to -o file matches" cmp -s "$T/big.bin" "$T/big.got"
    check "-o leaves stdout empty" test ! -s "$T/get-big.out"
fi

# --- POST, DELETE, 4.04 -----------------------------------------------------------
if run post 0 -v 1 -m post -e posted "$U/posted"; then
    check "POST new path -> 2.01" has post.err "2.01 Created"
fi
if run get-posted 0 "$U/posted"; then
    check "GET of the POSTed resource" test "$(cat "$T/get-posted.out")" = posted
fi
if run delete 0 -v 1 -m delete "$U/posted"; then
    check "DELETE -> 2.02 Deleted" has delete.err "2.02 Deleted"
fi
if run get-deleted 1 "$U/posted"; then
    check "GET after DELETE -> 4.04 Not Found on stderr, exit 1" has get-deleted.err "4.04 Not Found"
fi
if run delete-missing 1 -m delete "$U/never"; then
    check "DELETE of a missing resource -> 4.04" has delete-missing.err "4.04"
fi

# --- built-in resources -----------------------------------------------------------
if run wkc 0 "$U/.well-known/core"; then
    check "/.well-known/core lists /time with rt=\"time\"" grep -q '</time>[^,]*rt="time"' "$T/wkc.out"
    check "/.well-known/core lists stored resources" grep -q '</greeting>;ct=50' "$T/wkc.out"
    check "/.well-known/core lists nested stored resource" grep -q '</big/blob>;ct=42' "$T/wkc.out"
    check "/.well-known/core omits deleted resources" bash -c '! grep -q "</posted>" "$0"' "$T/wkc.out"
fi
if run time 0 -v 1 "$U/time"; then
    check "/time is a time text with ct=0" bash -c \
        'grep -Eq "^[A-Z][a-z]{2} [0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}" "$0.out" && grep -q "Content-Format.*: 0" "$0.err"' "$T/time"
fi
if run root 0 "$U/"; then
    check "GET / returns the banner" grep -q "coapsec" "$T/root.out"
fi
if run put-time 1 -m put -e x "$U/time"; then
    check "PUT /time -> 4.05" has put-time.err "4.05 Method Not Allowed"
fi
if run delete-root 1 -m delete "$U/"; then
    check "DELETE / -> 4.05" has delete-root.err "4.05"
fi

# --- NON, token, options ----------------------------------------------------------
if run non 0 -N -v 1 "$U/greeting"; then
    check "-N: NON request gets a NON response" bash -c \
        'grep -q "^<- NON 2.05" "$0.err" && test "$(cat "$0.out")" = again' "$T/non"
fi
if run token 0 -v 1 -T ab "$U/greeting"; then
    check "-T token is echoed in the response (§5.3.1)" grep -q "token=6162" "$T/token.err"
fi
if run crit-opt 1 -O 65001,0x0102 "$U/greeting"; then
    check "-O unrecognised critical option -> 4.02 Bad Option" has crit-opt.err "4.02"
fi
run elective-opt 0 -O 65000,hello "$U/greeting" && pass "-O elective option is ignored by the server"

# --- URI and option errors ----------------------------------------------------------
for bad in "http://127.0.0.1:$P/" "coap://" "coap://[::1/x" "127.0.0.1/x"; do
    if run badurl 2 "$bad"; then
        check "bad URI '$bad' -> clear error, exit 2" has badurl.err "malformed URI"
    fi
done
if run coaps 2 "coaps://127.0.0.1:$P/"; then
    check "coaps:// without -u/-k -> usage error, exit 2" has coaps.err "-u IDENTITY -k KEY"
fi
run badmethod 2 -m frob "$U/" && check "unknown -m method -> exit 2" has badmethod.err "unknown method"
run badct 2 -t foo/bar "$U/" && check "unknown -t type -> exit 2" has badct.err "content format"
run bado 2 -O x,1 "$U/" && pass "malformed -O -> exit 2"
run noresolve 3 "coap://no-such-host.invalid/" && check "unresolvable host -> exit 3" has noresolve.err "resolve"
Q=$(free_udp_port)
if run timeout 3 -B 2 "coap://127.0.0.1:$Q/"; then
    check "no server: -B 2 gives up, exit 3" has timeout.err "no response"
fi

# --- server log at -v 3 ----------------------------------------------------------------
check "server logs one line per request at -v 3" grep -q "PUT /greeting" "$T/server.log"

# --- IPv6 ------------------------------------------------------------------------------
P6=$(free_udp_port)
start_bg server6 "$C" server -A ::1 -p "$P6"
wait_for_udp_port "$P6"
if run v6put 0 -m put -e six "coap://[::1]:$P6/six"; then
    run v6get 0 "coap://[::1]:$P6/six" && check "IPv6 [::1] PUT then GET" test "$(cat "$T/v6get.out")" = six
fi

# --- caps -----------------------------------------------------------------------------------
PC=$(free_udp_port)
start_bg capped "$C" server -A 127.0.0.1 -p "$PC" --max-resources 1 --max-bytes 100
CAPPED=$CS_LAST_PID
wait_for_udp_port "$PC"
run cap1 0 -m put -e one "coap://127.0.0.1:$PC/one" && pass "capped server stores one resource"
run cap2 1 -m put -e two "coap://127.0.0.1:$PC/two" &&
    check "resource cap -> 5.03" has cap2.err "5.03"
head -c 200 /dev/zero | tr '\0' a >"$T/200.txt"
run cap3 1 -m put -f "$T/200.txt" "coap://127.0.0.1:$PC/one" &&
    check "byte cap -> 4.13" has cap3.err "4.13"
run cap4 0 "coap://127.0.0.1:$PC/one" && check "failed replace keeps the old value" test "$(cat "$T/cap4.out")" = one

# --- clean shutdown -------------------------------------------------------------------------
stop_bg "$CAPPED"
check "server exits 0 on SIGTERM" test "$CS_STOP_RC" = 0
kill -INT "$SRV"
wait "$SRV"
check "server exits 0 on SIGINT" test $? = 0

finish
