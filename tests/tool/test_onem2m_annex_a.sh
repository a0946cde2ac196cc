#!/usr/bin/env bash
# tests/tool/test_onem2m_annex_a.sh - the two procedures of oneM2M TS-0008
# Annex A end to end, `coapsec onem2m` (originator) against the example CSE
# stub (examples/cse_stub.c, built as target cse_stub) over coaps://, once
# with DTLS-PSK and once with mutual X.509 certificates (a test CA made here
# by `coapsec keygen`): (1) AE registration, blocking (CREATE ty=2 -> 2001 + the AE);
# (2) non-blocking synch (CREATE with rt=1 -> 1001 + <request> resource,
# retrieved until it holds the 2001 result). Also non-blocking asynch (1002,
# result as a NOTIFY back over the same DTLS session), the originator timeout
# (REQUEST_TIMEOUT 4008, also from a past rqet), the legacy option numbering
# and its mismatch (4.02), error RSCs (4004, 4105), a wrong key, and the
# certificate refusals (CSE from an unknown CA, AE from an unknown CA, AE
# without a certificate), each failing registration with its reason. Every
# security mode is one call of annex_a MODE; the CSE logs the identity each
# session was authenticated with, which is checked per mode.
. "$(case $0 in */*) echo "${0%/*}" ;; *) echo . ;; esac)/../interop/lib.sh" || { echo "FAIL: cannot load lib.sh" >&2; exit 1; }
require_coapsec
require_cmd ss grep od head

C=$COAPSEC
T=$CS_TMP
STUB=""
for s in "${COAPSEC_BUILD:-}/tests/onem2m_e2e/cse_stub" "${COAPSEC_BUILD:-}/examples/cse_stub"; do
    [ -x "$s" ] && STUB=$s && break
done
[ -n "$STUB" ] || die "cse_stub not built (target cse_stub, tests/onem2m_e2e)"

# A fresh random PSK per run (text: both programs take it as it is).
ID=ae-$RANDOM
KEY=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')

# m2m NAME EXPECTED_RC ARGS...: `coapsec onem2m` output in $T/NAME.{out,err}
m2m() {
    local name=$1 want=$2 rc
    shift 2
    timeout 60 "$C" onem2m "$@" >"$T/$name.out" 2>"$T/$name.err"
    rc=$?
    if [ "$rc" != "$want" ]; then
        fail "$name" "exit $rc, wanted $want; out: $(head -c 300 "$T/$name.out"); err: $(head -c 300 "$T/$name.err")"
        return 1
    fi
    return 0
}
# line NAME N: the Nth output line
line() { sed -n "${2}p" "$T/$1.out"; }
has() { grep -qF -- "$2" "$T/$1.out"; }
lines() { test "$(wc -l <"$T/$1.out")" = "$2"; }

# start_stub NAME ARGS...: run the CSE stub on a free port; sets STUB_URI, STUB_PID.
start_stub() {
    local name=$1 port scheme=coap
    shift
    port=$(free_udp_port)
    start_ours "$name" "$STUB" -p "$port" "$@"
    STUB_PID=$CS_LAST_PID
    wait_for_udp_port "$port"
    case " $* " in *" -u "* | *" -c "*) scheme=coaps ;; esac
    STUB_URI=$scheme://127.0.0.1:$port
}

# annex_a MODE CLIENT-SECURITY-ARGS... -- STUB-SECURITY-ARGS...
annex_a() {
    local mode=$1 cargs=() sargs=()
    shift
    while [ $# -gt 0 ] && [ "$1" != -- ]; do cargs+=("$1"); shift; done
    shift
    sargs=("$@")
    start_stub "cse-$mode" -d 300 "${sargs[@]}"
    local U=$STUB_URI pid=$STUB_PID

    # --- Annex A procedure 1: AE registration, blocking -----------------------------
    if m2m "$mode-ae" 0 "${cargs[@]}" -B 20 -v 1 "$U" --json \
        '{"op":1,"to":"cse-in","fr":"CAE1","rqi":"reg1","ty":2,"rvi":"3","pc":{"m2m:ae":{"rn":"AE1","api":"Nmyapp","rr":true,"srv":["3"]}}}'; then
        check "[$mode] A.1 AE registration: one response primitive" lines "$mode-ae" 1
        check "[$mode] A.1 AE registration: rsc 2001 CREATED, rqi echoed, from the CSE" \
            grep -q '^{"rsc":2001,"fr":"/id-in","rqi":"reg1",' "$T/$mode-ae.out"
        check "[$mode] A.1 AE registration: Location-Path names the AE" has "$mode-ae" '"loc":"cse-in/AE1"'
        check "[$mode] A.1 AE registration: pc is the <AE> with aei and api" \
            has "$mode-ae" '"pc":{"m2m:ae":{"rn":"AE1","ri":"CAE1","pi":"cse-in","ty":2,"aei":"CAE1","api":"Nmyapp","rr":true}}'
    fi
    if m2m "$mode-ae-get" 0 "${cargs[@]}" -B 20 "$U" --json '{"op":2,"to":"cse-in/AE1","fr":"CAE1","rqi":"get1"}'; then
        check "[$mode] RETRIEVE the registered AE: rsc 2000 and the AE" \
            grep -q '^{"rsc":2000,.*"rqi":"get1",.*"aei":"CAE1"' "$T/$mode-ae-get.out"
    fi
    if m2m "$mode-ae-dup" 1 "${cargs[@]}" -B 20 "$U" --json \
        '{"op":1,"to":"cse-in","fr":"CAE1","rqi":"reg2","ty":2,"pc":{"m2m:ae":{"rn":"AE1","api":"Nmyapp","rr":true}}}'; then
        check "[$mode] registering the same AE again: rsc 4105 CONFLICT" has "$mode-ae-dup" '{"rsc":4105,'
    fi

    # --- Annex A procedure 2: non-blocking synch ---------------------------------------
    m2m "$mode-cnt" 0 "${cargs[@]}" -B 20 "$U" --json \
        '{"op":1,"to":"cse-in/AE1","fr":"CAE1","rqi":"cnt1","ty":3,"pc":{"m2m:cnt":{"rn":"cnt1"}}}' &&
        check "[$mode] container CREATE: rsc 2001" has "$mode-cnt" '"loc":"cse-in/AE1/cnt1"'
    if m2m "$mode-nbs" 0 "${cargs[@]}" -B 20 -P 100 "$U" --json \
        '{"op":1,"to":"cse-in/AE1/cnt1","fr":"CAE1","rqi":"nbs1","ty":4,"rt":1,"pc":{"m2m:cin":{"con":"21.5","cnf":"text/plain:0"}}}'; then
        check "[$mode] A.2 non-blocking synch: acknowledgement then result" lines "$mode-nbs" 2
        check "[$mode] A.2 first answer: rsc 1001 with the <request> resource in loc" \
            bash -c '[[ "$0" =~ ^\{\"rsc\":1001,\"rqi\":\"nbs1\",\"loc\":\"cse-in/req[0-9]+\"\}$ ]]' "$(line "$mode-nbs" 1)"
        check "[$mode] A.2 result from the <request> resource: rsc 2001 and the contentInstance" \
            bash -c '[[ "$0" =~ ^\{\"rsc\":2001,\"rqi\":\"nbs1\",\"pc\":\{\"m2m:cin\":\{.*\"con\":\"21.5\" ]]' "$(line "$mode-nbs" 2)"
        local req
        req=$(line "$mode-nbs" 1 | sed -n 's/.*"loc":"\([^"]*\)".*/\1/p')
        check "[$mode] A.2 the originator retrieved the <request> while it was pending" \
            test "$(grep -c "op=2 to=$req " "$T/cse-$mode.log")" -ge 2
        if m2m "$mode-req" 0 "${cargs[@]}" -B 20 "$U" --json "{\"op\":2,\"to\":\"$req\",\"fr\":\"CAE1\",\"rqi\":\"rr1\"}"; then
            check "[$mode] A.2 <request> resource: ty 17, rs 1 COMPLETED, ol with rsc 2001" \
                grep -q '"m2m:req":{"rn":"req[0-9]*","ri":"req[0-9]*","ty":17,"op":1,"tg":"cse-in/AE1/cnt1","org":"CAE1","rid":"nbs1","rs":1,"ol":{"rsc":2001,"rqi":"nbs1"' "$T/$mode-req.out"
        fi
    fi
    if m2m "$mode-la" 0 "${cargs[@]}" -B 20 "$U" --json '{"op":2,"to":"cse-in/AE1/cnt1","fr":"CAE1","rqi":"g2"}'; then
        check "[$mode] RETRIEVE the container after the non-blocking CREATE: rsc 2000" has "$mode-la" '{"rsc":2000,'
    fi

    # --- non-blocking asynch: the result comes back as a NOTIFY on the same session ------
    if m2m "$mode-nba" 0 "${cargs[@]}" -B 20 "$U" --json \
        '{"op":1,"to":"cse-in/AE1/cnt1","fr":"CAE1","rqi":"nba1","ty":4,"rt":{"rtv":2,"nu":["CAE1/ntfy"]},"pc":{"m2m:cin":{"con":"22"}}}'; then
        check "[$mode] non-blocking asynch: rsc 1002 first" grep -q '^{"rsc":1002,"rqi":"nba1",' "$T/$mode-nba.out"
        check "[$mode] non-blocking asynch: the NOTIFY carried rsc 2001" \
            bash -c '[[ "$0" =~ ^\{\"rsc\":2001,\"rqi\":\"nba1\",\"pc\":\{\"m2m:cin\" ]]' "$(line "$mode-nba" 2)"
        check "[$mode] non-blocking asynch: the CSE's NOTIFY was answered 2.04 (RSC 2000)" \
            grep -q "NOTIFY answered: ok 2.04" "$T/cse-$mode.log"
    fi

    # --- errors --------------------------------------------------------------------------
    m2m "$mode-404" 1 "${cargs[@]}" -B 20 "$U" --json '{"op":2,"to":"cse-in/nothing","fr":"CAE1","rqi":"n1"}' &&
        check "[$mode] RETRIEVE of a missing resource: rsc 4004" has "$mode-404" '{"rsc":4004,'
    stop_bg "$pid"
    check "[$mode] CSE stub exits 0 on SIGTERM" test "$CS_STOP_RC" = 0
}

annex_a psk -u "$ID" -k "$KEY" -- -u "$ID" -k "$KEY"
check "[psk] DTLS suite TLS_PSK_WITH_AES_128_CCM_8 (0xC0A8)" grep -q "(0xC0A8)" "$T/psk-ae.err"
check "[psk] the CSE saw the AE's PSK identity" \
    grep -q "op=1 to=cse-in rt=-1 fr=CAE1 peer=PSK '$ID'" "$T/cse-psk.log"

# --- certificates: a test CA, the CSE's certificate (IP SAN) and the AE's ---------------
K=$T/pki
K2=$T/rogue
"$C" keygen ca "$K" >/dev/null && "$C" keygen cert "$K" 127.0.0.1 >/dev/null &&
    "$C" keygen cert "$K" CAE1 >/dev/null || die "coapsec keygen (test CA) failed"
"$C" keygen ca "$K2" --cn "rogue CA" >/dev/null && "$C" keygen cert "$K2" 127.0.0.1 >/dev/null &&
    "$C" keygen cert "$K2" CAE1 >/dev/null || die "coapsec keygen (rogue CA) failed"
AEFP=$("$C" keygen fingerprint "$K/CAE1.key")
CSE_CERT=(-c "$K/127.0.0.1.crt" -j "$K/127.0.0.1.key" -C "$K/ca.crt")

annex_a cert -c "$K/CAE1.crt" -j "$K/CAE1.key" -C "$K/ca.crt" -- "${CSE_CERT[@]}"
check "[cert] DTLS suite TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 (0xC0AE)" grep -q "(0xC0AE)" "$T/cert-ae.err"
check "[cert] the AE verified the CSE's certificate (X.509 '127.0.0.1')" \
    grep -q "CSE authenticated by X.509 '127.0.0.1' sha256:" "$T/cert-ae.err"
check "[cert] the CSE authenticated the AE by its certificate" \
    grep -q "session: X.509 'CAE1' $AEFP (suite 0xC0AE)" "$T/cse-cert.log"
check "[cert] the registration came from the AE's certificate identity" \
    grep -q "op=1 to=cse-in rt=-1 fr=CAE1 peer=X.509 'CAE1' $AEFP" "$T/cse-cert.log"
check "[cert] no request arrived without a certificate" \
    bash -c '! grep " op=" "$0" | grep -qv "peer=X.509 .CAE1. "' "$T/cse-cert.log"

# --- certificate refusals: registration fails, with the reason --------------------------
REG='{"op":1,"to":"cse-in","fr":"CAE9","rqi":"regx","ty":2,"pc":{"m2m:ae":{"rn":"AE9","api":"Nx","rr":true}}}'
start_stub cse-certneg "${CSE_CERT[@]}"
if m2m wrongca 3 -c "$K/CAE1.crt" -j "$K/CAE1.key" -C "$K2/ca.crt" -B 20 "$STUB_URI" --json "$REG"; then
    check "AE trusting another CA: registration fails, nothing printed" test ! -s "$T/wrongca.out"
    check "AE trusting another CA: 'untrusted CA' (unknown_ca)" \
        bash -c 'grep -q "handshake failed: untrusted CA" "$0" && grep -q "(unknown_ca)" "$0"' "$T/wrongca.err"
fi
if m2m rogueae 3 -c "$K2/CAE1.crt" -j "$K2/CAE1.key" -C "$K/ca.crt" -B 20 "$STUB_URI" --json "$REG"; then
    check "AE certificate from an unknown CA: the AE is told the CSE rejected it" \
        grep -q "handshake failed: the peer rejected" "$T/rogueae.err"
    check "AE certificate from an unknown CA: the CSE names the reason" \
        grep -q "handshake failed: untrusted CA" "$T/cse-certneg.log"
fi
if m2m nocert 3 -C "$K/ca.crt" -B 20 "$STUB_URI" --json "$REG"; then
    check "AE without a certificate: the CSE requires one" \
        grep -q "handshake failed: the client sent no certificate" "$T/cse-certneg.log"
fi
m2m certpsk 3 -u "$ID" -k "$KEY" -B 20 "$STUB_URI" --json "$REG" &&
    pass "PSK AE against a certificate-only CSE: no session"
check "no AE got registered by a refused session" bash -c '! grep -q " op=" "$0"' "$T/cse-certneg.log"
stop_bg "$STUB_PID"
P=$(free_udp_port)
"$STUB" -p "$P" -c "$K/127.0.0.1.crt" -j "$K/127.0.0.1.key" >/dev/null 2>"$T/stubnoca.err"
check "cse_stub -c without -C: usage error (AEs must show certificates)" \
    bash -c '[ "$0" = 2 ] && grep -q "go together" "$1"' "$?" "$T/stubnoca.err"

# --- originator timeout: REQUEST_TIMEOUT (4008), late answers ignored ------------------
start_stub cse-slow -d 3000 -u "$ID" -k "$KEY"
SLOW=$STUB_URI
START=$(date +%s%N)
if m2m timeout 1 -u "$ID" -k "$KEY" -B 1 -P 100 "$SLOW" --json \
    '{"op":1,"to":"cse-in","fr":"CAE2","rqi":"t1","ty":2,"rt":1,"pc":{"m2m:ae":{"rn":"AE2","api":"Nx","rr":false}}}'; then
    ms=$((($(date +%s%N) - START) / 1000000))
    check "originator timeout: 1001, then REQUEST_TIMEOUT (4008) for the same rqi" \
        test "$(cat "$T/timeout.out")" = "$(line timeout 1)
{\"rsc\":4008,\"rqi\":\"t1\"}"
    check "originator timeout: the 1001 came first" grep -q '^{"rsc":1001,"rqi":"t1",' "$T/timeout.out"
    check "originator timeout: after about 1 s (${ms} ms)" test "$ms" -ge 900 -a "$ms" -lt 2900
fi
if m2m rqet 1 -u "$ID" -k "$KEY" -B 20 "$SLOW" --json \
    '{"op":2,"to":"cse-in","fr":"CAE2","rqi":"t2","rqet":"20000101T000000"}'; then
    check "rqet in the past: REQUEST_TIMEOUT at once" test "$(cat "$T/rqet.out")" = '{"rsc":4008,"rqi":"t2"}'
fi
stop_bg "$STUB_PID"

# --- option numbering: --legacy-options (before TS-0008 V3.7.0) ------------------------
start_stub cse-legacy -L -u "$ID" -k "$KEY"
if m2m legacy 0 --legacy-options -u "$ID" -k "$KEY" -B 20 "$STUB_URI" --json \
    '{"op":1,"to":"cse-in","fr":"CAE3","rqi":"l1","ty":2,"pc":{"m2m:ae":{"rn":"AE3","api":"Nl","rr":true}}}'; then
    check "--legacy-options with a legacy CSE: AE registered (rsc 2001)" grep -q '^{"rsc":2001,"fr":"/id-in","rqi":"l1",' "$T/legacy.out"
fi
if m2m mismatch 1 -u "$ID" -k "$KEY" -B 20 -v 1 "$STUB_URI" --json '{"op":2,"to":"cse-in","fr":"CAE3","rqi":"l2"}'; then
    check "current numbering to a legacy CSE: 4.02 Bad Option (rsc 4000)" grep -q '^{"rsc":4000,' "$T/mismatch.out"
    check "current numbering to a legacy CSE: the CoAP code was 4.02" grep -q "4\.02" "$T/mismatch.err"
fi
stop_bg "$STUB_PID"

# --- security and usage ------------------------------------------------------------------
start_stub cse-key -u "$ID" -k "$KEY"
if m2m wrongkey 3 -u "$ID" -k "not-the-key-0123456789" -B 20 "$STUB_URI" --json '{"op":2,"to":"cse-in","fr":"C","rqi":"w"}'; then
    check "wrong PSK: handshake failure, nothing printed" test ! -s "$T/wrongkey.out"
    check "wrong PSK: the reason" grep -q "handshake failed: wrong key" "$T/wrongkey.err"
fi
stop_bg "$STUB_PID"
m2m badjson 2 --json '{"op":1,"to":' coap://127.0.0.1:9 && pass "malformed JSON primitive: usage error"
m2m unknownkey 2 --json '{"op":2,"to":"cse-in","zz":1}' coap://127.0.0.1:9 && pass "unknown short name: usage error"
m2m path 2 --json '{"op":2,"to":"cse-in"}' coap://127.0.0.1:9/cse-in && pass "URI with a path: usage error"
m2m nokey 2 --json '{"op":2,"to":"cse-in"}' coaps://127.0.0.1:9 && pass "coaps:// without -u/-k: usage error"
m2m oldj 2 -j '{"op":2,"to":"cse-in"}' coap://127.0.0.1:9 &&
    check "-j with JSON (the old option): usage error pointing to --json" \
        grep -q "give the request primitive with --json" "$T/oldj.err"
m2m noverify 2 -c "$K/CAE1.crt" -j "$K/CAE1.key" --json '{"op":2,"to":"cse-in"}' coaps://127.0.0.1:9 &&
    check "certificate without -C/-R/--rpk-trust/-n: usage error" grep -q "nothing to verify the CSE" "$T/noverify.err"
m2m help 0 --help "x" && check "--help prints the usage" grep -q -- "--legacy-options" "$T/help.out"
check "--help lists --json and the PKI options" bash -c \
    'for x in --json -c -j -C -R -M -n --rpk-trust --no-clock --mtu; do grep -q -- "  $x " "$0" || exit 1; done' "$T/help.out"
finish
