#!/usr/bin/env bash
# tests/tool/test_cli_block.sh - block-wise transfer (RFC 7959) and observe
# (RFC 7641) between `coapsec client` and `coapsec server` on 127.0.0.1:
#   - 1 MiB PUT (Block1, §2.5: 2.31 Continue per block, the handler runs once)
#     then GET (Block2, §2.4) over NoSec (coap://) and DTLS-PSK (coaps://),
#     SHA-256 compared;
#   - -b SIZE for every size 16..1024 (§2.2 SZX 0..6) and -b NUM,SIZE / NUM:SIZE
#     (a GET starting at block NUM), bad -b values refused;
#   - a body over the server's byte cap answered 4.13 (§2.9.3);
#   - -s 3 on /time over NoSec and DTLS: at least 2 notification lines (§4.2,
#     one a second), then the client deregisters (§3.6: the server's observer
#     count of /time goes back to 0 right away, not by a later RST).
. "$(case $0 in */*) echo "${0%/*}" ;; *) echo . ;; esac)/../interop/lib.sh" || { echo "FAIL: cannot load lib.sh" >&2; exit 1; }
require_coapsec
require_cmd ss sha256sum head tail grep cmp

C=$COAPSEC
T=$CS_TMP
KEY=block-key-0123456789
head -c 1048576 /dev/urandom >"$T/big.bin"
SUM=$(sha256sum <"$T/big.bin" | cut -d' ' -f1)
head -c 5000 /dev/urandom >"$T/small.bin"

P=$(free_udp_port 2)
start_bg server "$C" server -A 127.0.0.1 -p "$P" -k "$KEY" --nosec --max-bytes 3000000 -v 2
SRV=$CS_LAST_PID
wait_for_udp_port "$P"
wait_for_udp_port $((P + 1))
N=coap://127.0.0.1:$P
S=coaps://127.0.0.1:$((P + 1))
CR=(-u block-client -k "$KEY")

# --- 1 MiB PUT then GET, NoSec and DTLS ------------------------------------------
big() {
    local name=$1 uri=$2
    shift 2
    "$C" client -B 30 -v 1 "$@" -m put -f "$T/big.bin" "$uri" >"$T/$name-put.out" 2>"$T/$name-put.err"
    local put=$?
    "$C" client -B 30 "$@" -o "$T/$name.got" "$uri" >"$T/$name-get.out" 2>"$T/$name-get.err"
    local get=$?
    check "$name: 1 MiB PUT -> 2.01 Created" bash -c '[ "$0" = 0 ] && grep -q "2.01 Created" "$1"' \
        "$put" "$T/$name-put.err"
    check "$name: the final answer carries Block1 (RFC 7959 §2.5)" grep -q "option 27 (Block1)" \
        "$T/$name-put.err"
    local got
    got=$(sha256sum <"$T/$name.got" 2>/dev/null | cut -d' ' -f1)
    check "$name: GET returns the same 1 MiB (SHA-256)" test "$get" = 0 -a "$got" = "$SUM"
}
big nosec "$N/big-nosec"
big dtls "$S/big-dtls" "${CR[@]}"

# --- -b sizes ------------------------------------------------------------------------
for size in 16 32 64 128 256 512 1024; do
    "$C" client -B 10 -b "$size" -m put -f "$T/small.bin" "$N/s$size" >/dev/null 2>"$T/b$size.err" &&
        "$C" client -B 10 -b "$size" -v 1 -o "$T/b$size.got" "$N/s$size" 2>"$T/b$size-get.err"
    check "-b $size: PUT + GET of 5000 bytes" cmp -s "$T/small.bin" "$T/b$size.got"
done
"$C" client -B 10 -b 3,256 -o "$T/from3.got" "$N/s1024" 2>"$T/from3.err"
check "-b 3,256: GET from block 3 returns bytes 768.." cmp -s <(tail -c +769 "$T/small.bin") "$T/from3.got"
"$C" client -B 10 -b 2:1024 -o "$T/from2.got" "$N/s1024" 2>"$T/from2.err"
check "-b 2:1024: GET from block 2 returns bytes 2048.." cmp -s <(tail -c +2049 "$T/small.bin") "$T/from2.got"
for bad in 100 2048 8 x 1048576,16 ,64; do
    "$C" client -b "$bad" "$N/s16" >/dev/null 2>"$T/bad.err"
    rc=$?
    check "-b $bad refused (exit 2)" bash -c '[ "$0" = 2 ] && grep -q -- "-b wants" "$1"' "$rc" "$T/bad.err"
done

# --- over the byte cap: 4.13 with Size1 ----------------------------------------------
head -c 3500000 /dev/zero >"$T/huge.bin"
"$C" client -B 10 -v 1 -m put -f "$T/huge.bin" "$N/huge" >/dev/null 2>"$T/huge.err"
rc=$?
check "PUT over the store cap -> 4.13 (exit 1)" bash -c '[ "$0" = 1 ] && grep -q "4.13" "$1"' "$rc" \
    "$T/huge.err"
check "4.13 carries Size1 = the cap (§2.9.3)" grep -q "option 60 (Size1): 3000000" "$T/huge.err"

# --- observe /time -----------------------------------------------------------------------
# observe NAME URI N [CLIENT-ARGS...]: then wait for the server's N-th "0 observers" line.
observe() {
    local name=$1 uri=$2 want=$3 lines
    shift 3
    "$C" client -B 10 -v 1 "$@" -s 3 "$uri/time" >"$T/$name.out" 2>"$T/$name.err"
    local rc=$?
    lines=$(grep -c "UTC\$" "$T/$name.out")
    check "$name: -s 3 exits 0 with >= 2 notification lines (got $lines)" \
        test "$rc" = 0 -a "$lines" -ge 2
    check "$name: every notification on a line of its own" \
        bash -c '! grep -v "^[A-Z][a-z][a-z] [0-9][0-9] [0-9:]* UTC$" "$0"' "$T/$name.out"
    check "$name: the client reports the deregistration" grep -q "observe: deregistered" "$T/$name.err"
    # the server notices at its next tick (<= 1 s): 0 observers, without waiting for a RST
    local i
    for i in $(seq 1 30); do
        [ "$(grep -c "/time has 0 observers" "$T/server.log")" -ge "$want" ] && break
        sleep 0.1
    done
    check "$name: the server dropped the observer within 3 s (RFC 7641 §3.6)" \
        test "$(grep -c "/time has 0 observers" "$T/server.log")" -ge "$want"
}
observe obs-nosec "$N" 1
observe obs-dtls "$S" 2 "${CR[@]}"
check "-s on a non-observable resource prints the one response" \
    bash -c '"$0" client -B 5 -s 2 "$1/" | grep -q "This is coapsec"' "$C" "$N"

stop_bg "$SRV"
check "server exits cleanly" test "$CS_STOP_RC" = 0
finish
