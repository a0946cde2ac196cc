#!/usr/bin/env bash
# tests/tool/test_soak_smoke.sh - a 20-second run of scripts/soak.sh (`make
# soak`): every load loop must have run, the report must have its shape (RSS
# start/end/max and second-half slope, one line per loop with attempted / ok /
# failed / unaccounted, totals, the server's counters line at stop, the leak
# line) and say PASS, with exit status 0, no exchange unaccounted for, the
# server alive and exiting cleanly, and rss.csv holding samples. Then the
# failure path: with an RSS limit of -1 KB (any non-negative slope fails) and
# no slack the report must say GROWING and the script exit non-zero.
. "$(case $0 in */*) echo "${0%/*}" ;; *) echo . ;; esac)/../interop/lib.sh" || { echo "FAIL: cannot load lib.sh" >&2; exit 1; }
require_coapsec
require_cmd ss sha256sum awk timeout
SRC=${COAPSEC_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${COAPSEC_BUILD:-$(dirname "$COAPSEC")}
[ -x "$BUILD/bench/coapsec-bench" ] || die "coapsec-bench not built (target coapsec_bench_tool)"
[ -x "$BUILD/tests/proxy/udp_proxy" ] || die "udp_proxy not built (target udp_proxy)"

O=$CS_TMP/soak
SOAK_SECONDS=20 SOAK_SAMPLE=2 SOAK_OUT=$O timeout 60 bash "$SRC/scripts/soak.sh" "$BUILD" \
    >"$CS_TMP/soak.out" 2>&1
rc=$?
R=$O/report.txt
check "soak.sh exit 0" [ $rc = 0 ]
check "report written" [ -s "$R" ]
has() { grep -Eq -- "$1" "$R"; }
check "report: RSS start/end/max" has '^soak: rss: start [0-9]+ KB, end [0-9]+ KB, max [0-9]+ KB, samples [0-9]+$'
check "report: second-half slope judged flat" has '^soak: rss second half: slope -?[0-9.]+ KB/min .*: flat$'
for loop in steady hs-psk hs-ecdhe vanish oneshot-psk oneshot-rpk observe observe-vanish block; do
    check "report: loop $loop ran with exchanges ok and none unaccounted" \
        has "^soak: loop $loop +runs +[1-9][0-9]* +attempted +[1-9][0-9]* +ok +[1-9][0-9]* +failed +[0-9]+ +unaccounted 0$"
done
check "report: hs-resume ran or is reported not available" \
    has '^soak: (loop hs-resume .*unaccounted 0|not available: hs-resume: )'
check "report: totals, nothing unaccounted" has '^soak: total +attempted +[1-9][0-9]* +ok +[0-9]+ +failed +[0-9]+ +unaccounted 0$'
check "report: server counters at stop" \
    has '^soak: server counters at stop: sessions [0-9]+/[0-9]+ .*handshakes .*evictions [0-9]+ .*idle closed [0-9]+'
check "report: server alive, exit 0" has '^soak: server: alive at the end, exit status 0$'
check "report: leak line" has '^soak: leaks: not checked'
check "report: PASS" has '^soak: PASS$'
n=$(($(wc -l <"$O/rss.csv") - 1))
check "rss.csv: header and >= 5 samples ($n)" bash -c "head -n1 '$O/rss.csv' | grep -qx 't_s,rss_kb' && [ $n -ge 5 ]"
# every exchange line carries the five fields, and the report's total matches them
tot=$(awk -F'\t' 'NF == 6 { a += $2 } END { print a + 0 }' "$O/exchanges.tsv")
check "exchanges.tsv total ($tot) = report total" has "^soak: total +attempted +$tot "

# the failure path: a limit no run can meet (one quick loop only)
SOAK_SECONDS=5 SOAK_SAMPLE=1 SOAK_LOOPS=oneshot SOAK_MAX_GROWTH_PCT=-100 SOAK_SLACK_KB=-1 \
    SOAK_OUT=$CS_TMP/soak2 timeout 40 bash "$SRC/scripts/soak.sh" "$BUILD" >"$CS_TMP/soak2.out" 2>&1
rc=$?
check "impossible RSS limit: exit 1" [ $rc = 1 ]
check "impossible RSS limit: GROWING and FAIL" bash -c \
    "grep -q ': GROWING$' '$CS_TMP/soak2/report.txt' && grep -q '^soak: FAIL: RSS grows' '$CS_TMP/soak2/report.txt'"
if [ "$CS_FAILED" != 0 ]; then
    echo "--- soak.sh output"
    cat "$CS_TMP/soak.out"
fi
finish
