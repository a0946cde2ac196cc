#!/usr/bin/env bash
# tests/interop/test_libcoap_notls.sh - NoSec interop with libcoap 4.3.1
# (libcoap3-bin): `coapsec client` against `coap-server-notls`, and
# `coap-client-notls` against `coapsec server`, for GET, PUT, POST and DELETE
# (RFC 7252 §5.8) with a 1,000-byte payload, NON requests (§4.3) and
# /.well-known/core (RFC 6690). One PASS/FAIL line per case, then
# "N passed, M failed"; exits non-zero if any case failed.
#
# coap-client exits 0 even when it fails, so its output is checked instead: at
# -v 6 it logs every PDU as "v:1 t:ACK c:2.05 i:... {token} [ options ] :: 'payload'".
. "$(case $0 in */*) echo "${0%/*}" ;; *) echo . ;; esac)/lib.sh" || { echo "FAIL: cannot load lib.sh" >&2; exit 1; }
require_coapsec
require_cmd coap-server-notls coap-client-notls ss cmp head grep

T=$CS_TMP
head -c 1000 /dev/urandom >"$T/big.bin"

# ---- coapsec client -> coap-server-notls -------------------------------------------
P=$(free_udp_port 2) # libcoap also binds P+1 (coaps)
start_bg libcoap-server coap-server-notls -A 127.0.0.1 -p "$P" -d 10 # -d: allow PUT-created resources
wait_for_udp_port "$P"
U=coap://127.0.0.1:$P

# ours NAME EXPECTED_RC ARGS...: run our client; output in $T/NAME.{out,err}
ours() {
    local name=$1 want=$2 rc
    shift 2
    run_ours "$COAPSEC" client -B 10 -v 1 "$@" >"$T/$name.out" 2>"$T/$name.err"
    rc=$?
    [ "$rc" = "$want" ] || echo "  ($name: exit $rc, wanted $want: $(head -c 200 "$T/$name.err"))"
    [ "$rc" = "$want" ]
}

ours c-get 0 "$U/" && grep -q "libcoap" "$T/c-get.out"
check "coapsec client -> libcoap: GET /" test $? = 0
ours c-put 0 -m put -t application/octet-stream -f "$T/big.bin" "$U/data" &&
    grep -q "2.01 Created" "$T/c-put.err"
check "coapsec client -> libcoap: PUT 1000 bytes -> 2.01" test $? = 0
ours c-get-big 0 -o "$T/c-got.bin" "$U/data" && cmp -s "$T/big.bin" "$T/c-got.bin"
check "coapsec client -> libcoap: GET returns the 1000 bytes" test $? = 0
ours c-non 0 -N -o "$T/c-non.bin" "$U/data" && cmp -s "$T/big.bin" "$T/c-non.bin" &&
    grep -q "^<- NON 2.05" "$T/c-non.err"
check "coapsec client -> libcoap: NON GET 1000 bytes" test $? = 0
ours c-post 0 -m post -e posted "$U/data" && grep -q "2.04 Changed" "$T/c-post.err"
check "coapsec client -> libcoap: POST existing -> 2.04" test $? = 0
ours c-post2 0 -m post -f "$T/big.bin" "$U/newpost" && grep -q "2.01 Created" "$T/c-post2.err"
check "coapsec client -> libcoap: POST 1000 bytes new -> 2.01" test $? = 0
ours c-del 0 -m delete "$U/data" && grep -q "2.02 Deleted" "$T/c-del.err"
check "coapsec client -> libcoap: DELETE -> 2.02" test $? = 0
ours c-gone 1 "$U/data" && grep -q "4.04 Not Found" "$T/c-gone.err"
check "coapsec client -> libcoap: GET deleted -> 4.04, exit 1" test $? = 0
ours c-wkc 0 "$U/.well-known/core" && grep -q "</time>" "$T/c-wkc.out"
check "coapsec client -> libcoap: /.well-known/core" test $? = 0

# ---- coap-client-notls -> coapsec server --------------------------------------------------
Q=$(free_udp_port)
start_ours coapsec-server "$COAPSEC" server -A 127.0.0.1 -p "$Q" -v 3
wait_for_udp_port "$Q"
V=coap://127.0.0.1:$Q

# theirs NAME ARGS...: run libcoap's client at -v 6; output in $T/NAME.{out,log}
theirs() {
    local name=$1
    shift
    coap-client-notls -B 10 -v 6 "$@" >"$T/$name.out" 2>&1
}
ack() { grep -q "t:$2 c:$3 " "$T/$1.out"; }

theirs l-get "$V/" && grep -q "coapsec" "$T/l-get.out" && ack l-get ACK 2.05
check "libcoap client -> coapsec: GET /" test $? = 0
theirs l-put -m put -t 42 -f "$T/big.bin" "$V/data" && ack l-put ACK 2.01
check "libcoap client -> coapsec: PUT 1000 bytes -> 2.01" test $? = 0
coap-client-notls -B 10 -o "$T/l-got.bin" "$V/data" >/dev/null 2>&1 && cmp -s "$T/big.bin" "$T/l-got.bin"
check "libcoap client -> coapsec: GET returns the 1000 bytes" test $? = 0
coap-client-notls -B 10 -N -o "$T/l-non.bin" "$V/data" >/dev/null 2>&1 && cmp -s "$T/big.bin" "$T/l-non.bin"
check "libcoap client -> coapsec: NON GET 1000 bytes" test $? = 0
theirs l-post -m post -f "$T/big.bin" "$V/posted" && ack l-post ACK 2.01
check "libcoap client -> coapsec: POST 1000 bytes new -> 2.01" test $? = 0
theirs l-post2 -m post -e again "$V/posted" && ack l-post2 ACK 2.04
check "libcoap client -> coapsec: POST existing -> 2.04" test $? = 0
theirs l-del -m delete "$V/data" && ack l-del ACK 2.02
check "libcoap client -> coapsec: DELETE -> 2.02" test $? = 0
theirs l-gone "$V/data" && ack l-gone ACK 4.04
check "libcoap client -> coapsec: GET deleted -> 4.04" test $? = 0
theirs l-wkc "$V/.well-known/core" && grep -q '</time>' "$T/l-wkc.out" && grep -q '</posted>' "$T/l-wkc.out"
check "libcoap client -> coapsec: /.well-known/core lists /time and /posted" test $? = 0
grep -q "PUT /data 1000 bytes -> 2.01" "$T/coapsec-server.log"
check "coapsec server logged the libcoap requests" test $? = 0

finish
