#!/bin/bash
# fuzz-run.sh HARNESS CORPUS_DIR SECONDS [scratch|keep]
# Runs one libFuzzer harness for SECONDS. "scratch" (the CI smoke run) fuzzes a
# temporary copy of the committed corpus; "keep" grows fuzz/corpus/<name>/ in
# place so the grown corpus can be committed.
#
# Fails (non-zero) on any finding (crash, leak, timeout, OOM: an artifact was
# written), and when the edge coverage libFuzzer reports at the end (`cov:`)
# is below the harness's floor, fuzz/floors/<name>.txt (one integer). Floors
# are calibrated for runs of at least COAPSEC_FUZZ_FLOOR_MIN_SECS (10) seconds,
# the CI smoke duration; shorter runs only report their coverage. A harness
# with no floor file passes with a note (add one: see fuzz/floors/README.md).
#
# Prints one ledger row,
# "| date | harness | seconds | cpu_s | execs | cov | ft | findings |", where
# seconds is wall time and cpu_s the user+system CPU seconds the harness used
# (less than seconds when the machine was busy: the CPU figure is the one that
# counts towards fuzzing time),
# and appends it to $COAPSEC_FUZZ_LEDGER when that is set (`make fuzz` sets it
# to fuzz/RUNS.md).
set -eu
h=$1 corpus=$2 secs=$3 mode=${4:-scratch}
name=$(basename "$h")
here=$(cd "$(dirname "$0")" && pwd)
floors=${COAPSEC_FUZZ_FLOORS:-$here/../fuzz/floors}
min_secs=${COAPSEC_FUZZ_FLOOR_MIN_SECS:-10}
mkdir -p "$corpus"
work=$(mktemp -d /tmp/coapsec-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
if [ "$mode" = keep ]; then dir=$corpus; else
    mkdir -p "$work/corpus"
    cp -r "$corpus"/. "$work/corpus/" 2>/dev/null || true
    dir=$work/corpus
fi
mkdir -p "$work/artifacts"
echo "fuzz: $name for ${secs}s on $(ls "$dir" | wc -l) inputs"
set +e
"$h" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
    -rss_limit_mb=2048 "$dir" >"$work/log" 2>&1
rc=$?
set -e
# CPU seconds used by the children of this shell so far: only the harness ran.
# (times must run in this shell: in a $(...) subshell it would count nothing.)
times >"$work/times"
cpu=$(tail -n 1 "$work/times" | awk '{
    n = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); sub("s", "", a[2]); n += a[1] * 60 + a[2] }
    printf "%d", n + 0.5 }')
# the dictionary libFuzzer recommends is noise here
grep -v -e '# Uses:' -e 'recommended dictionary' "$work/log" | tail -n 15

last=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$work/log" | tail -n 1 || true)
cov=$(echo "$last" | awk '{print $2}')
ft=$(echo "$last" | awk '{print $4}')
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n 1)
findings=$(find "$work/artifacts" -type f | wc -l)
row="| $(date -u +%Y-%m-%d) | $name | $secs | $cpu | ${execs:-?} | ${cov:-?} | ${ft:-?} | $findings |"
echo "fuzz: ledger $row"
if [ -n "${COAPSEC_FUZZ_LEDGER:-}" ]; then echo "$row" >>"$COAPSEC_FUZZ_LEDGER"; fi

if [ "$findings" -gt 0 ]; then
    echo "fuzz: findings:"
    ls -l "$work/artifacts"
    mkdir -p "$(dirname "$corpus")/../findings" &&
        cp "$work/artifacts"/* "$(dirname "$corpus")/../findings/" || true
    exit 1
fi
if [ "$rc" != 0 ]; then
    echo "fuzz: FAIL: $name exited with status $rc"
    exit "$rc"
fi
if [ -z "$cov" ]; then
    echo "fuzz: FAIL: no coverage figure in libFuzzer's output"
    exit 1
fi
floor_file=$floors/$name.txt
if [ ! -f "$floor_file" ]; then
    echo "fuzz: $name cov $cov (no floor: create $floor_file, see fuzz/floors/README.md)"
elif [ "$secs" -lt "$min_secs" ]; then
    echo "fuzz: $name cov $cov (run shorter than ${min_secs}s: floor not checked)"
else
    floor=$(tr -dc '0-9' <"$floor_file")
    if [ -z "$floor" ]; then
        echo "fuzz: FAIL: $floor_file holds no integer"
        exit 1
    fi
    if [ "$cov" -lt "$floor" ]; then
        echo "fuzz: FAIL: $name coverage $cov is below its floor $floor ($floor_file)"
        exit 1
    fi
    echo "fuzz: $name cov $cov >= floor $floor"
fi
exit 0
