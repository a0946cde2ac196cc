#!/usr/bin/env bash
# tests/tool/test_block_loss.sh - block-wise transfer (RFC 7959) through the
# seeded UDP impairment proxy (tests/proxy/udp_proxy) at 5 % loss in each
# direction: a 1 MiB PUT (Block1, §2.5) then GET (Block2, §2.4) between
# `coapsec client` and `coapsec server`, over NoSec (coap://) and DTLS-PSK
# (coaps://, TLS_PSK_WITH_AES_128_CCM_8). Lost blocks and lost answers are
# recovered by CoAP retransmission (RFC 7252 §4.2); the bodies must arrive
# intact (SHA-256 compared) and the proxy must really have dropped datagrams.
# The client's ACK_TIMEOUT is shortened (--ack-timeout, RFC 7252 §4.8) to keep
# the run short; the retransmission logic is the same.
. "$(case $0 in */*) echo "${0%/*}" ;; *) echo . ;; esac)/../interop/lib.sh" || { echo "FAIL: cannot load lib.sh" >&2; exit 1; }
require_coapsec
require_cmd ss sha256sum head grep timeout
PROXY=${COAPSEC_BUILD:-}/tests/proxy/udp_proxy
[ -x "$PROXY" ] || die "udp_proxy not built at '$PROXY' (target udp_proxy)"

C=$COAPSEC
T=$CS_TMP
KEY=loss-key-0123456789
head -c 1048576 /dev/urandom >"$T/big.bin"
SUM=$(sha256sum <"$T/big.bin" | cut -d' ' -f1)

P=$(free_udp_port 2)
start_bg server "$C" server -A 127.0.0.1 -p "$P" -k "$KEY" --nosec --max-bytes 4194304 -v 1
SRV=$CS_LAST_PID
wait_for_udp_port "$P"
wait_for_udp_port $((P + 1))

# through NAME SCHEME TARGET_PORT SEED: PUT then GET 1 MiB via a fresh proxy.
through() {
    local name=$1 scheme=$2 tport=$3 seed=$4 pp ppid
    pp=$(free_udp_port)
    start_bg "proxy-$name" "$PROXY" --listen "$pp" --target "127.0.0.1:$tport" --seed "$seed" \
        --loss 0.05
    ppid=$CS_LAST_PID
    wait_for_udp_port "$pp"
    local U="$scheme://127.0.0.1:$pp/$name" creds=()
    [ "$scheme" = coaps ] && creds=(-u loss-client -k "$KEY")
    local t0=$SECONDS
    timeout 80 "$C" client -B 30 --ack-timeout 60 "${creds[@]}" -m put -f "$T/big.bin" "$U" \
        >"$T/$name-put.out" 2>"$T/$name-put.err"
    local put=$?
    timeout 80 "$C" client -B 30 --ack-timeout 60 "${creds[@]}" -o "$T/$name.got" "$U" \
        >"$T/$name-get.out" 2>"$T/$name-get.err"
    local get=$?
    stop_bg "$ppid"
    local got
    got=$(sha256sum <"$T/$name.got" 2>/dev/null | cut -d' ' -f1)
    check "$name: 1 MiB PUT at 5 % loss succeeds" test "$put" = 0
    check "$name: GET at 5 % loss returns the same SHA-256" test "$get" = 0 -a "$got" = "$SUM"
    # the proxy's exit report: "up: in N forwarded N dropped N ..." per direction
    local up down
    up=$(sed -n 's/^up: .*dropped \([0-9]*\).*/\1/p' "$T/proxy-$name.log")
    down=$(sed -n 's/^down: .*dropped \([0-9]*\).*/\1/p' "$T/proxy-$name.log")
    check "$name: the proxy dropped datagrams both ways (up ${up:-?}, down ${down:-?})" \
        test "${up:-0}" -gt 10 -a "${down:-0}" -gt 10
    echo "  ($name: $((SECONDS - t0)) s)"
}
through nosec coap "$P" 11
through dtls coaps $((P + 1)) 12

stop_bg "$SRV"
check "server exits cleanly" test "$CS_STOP_RC" = 0
finish
