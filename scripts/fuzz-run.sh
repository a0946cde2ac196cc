#!/bin/bash
# fuzz-run.sh HARNESS CORPUS_DIR SECONDS [scratch|keep]
# Runs one libFuzzer harness for SECONDS. "scratch" (the CI smoke run) fuzzes a
# temporary copy of the committed corpus; "keep" grows fuzz/corpus/<name>/ in
# place so the grown corpus can be committed. Exits non-zero on any finding.
set -eu
h=$1 corpus=$2 secs=$3 mode=${4:-scratch}
mkdir -p "$corpus"
work=$(mktemp -d /tmp/coapsec-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
if [ "$mode" = keep ]; then dir=$corpus; else cp -r "$corpus"/. "$work/" 2>/dev/null || true; dir=$work; fi
mkdir -p "$work/artifacts"
echo "fuzz: $(basename "$h") for ${secs}s on $(ls "$dir" | wc -l) inputs"
"$h" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
     -rss_limit_mb=2048 "$dir" 2>&1 | tail -n 25
rc=${PIPESTATUS[0]}
if ls "$work/artifacts"/* >/dev/null 2>&1; then
    echo "fuzz: findings:"; ls -l "$work/artifacts"
    mkdir -p "$(dirname "$corpus")/../findings" && cp "$work/artifacts"/* "$(dirname "$corpus")/../findings/" || true
    exit 1
fi
exit "$rc"
