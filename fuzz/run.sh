#!/bin/sh
# Runs every libFuzzer target of a fuzz build (make BUILD=fuzz fuzzers) for
# FUZZ_SECONDS each (default 60), from the seeds of scripts/fuzz_seeds.sh plus
# the corpus earlier runs grew (BUILD/corpus-grown/<target>, kept). A crash,
# leak, time-out (> 10 s on one input) or out-of-memory (> 2 GB) fails the
# target; its input is left in BUILD/crashes/<target>/ (add it to
# tests/regress/<target>/ once fixed). One line per target, then
# "N passed, N failed". Figures of the last run: BUILD/fuzz-summary.tsv.
# Usage: fuzz/run.sh [BUILD_DIR] [TARGET...]   (default build/fuzz, every target)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build/fuzz}" && pwd)
[ $# -gt 0 ] && shift
SECONDS_EACH=${FUZZ_SECONDS:-60}
export CELEB_SHARED=${CELEB_SHARED:-$ROOT/../shared}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$ROOT/tests/lsan.supp:print_suppressions=0}
"$ROOT/scripts/fuzz_seeds.sh" "$BUILD/corpus" >/dev/null || exit 1
targets=${*:-$(cd "$BUILD/fuzz" && ls fuzz_* | sed 's/^fuzz_//')}
passed=0
failed=0
SUMMARY=$BUILD/fuzz-summary.tsv
printf 'target\texecutions\tseconds\tcorpus\tcrashes\n' >"$SUMMARY"
mkdir -p "$BUILD/logs"
for t in $targets; do
    bin=$BUILD/fuzz/fuzz_$t
    grown=$BUILD/corpus-grown/$t
    crashes=$BUILD/crashes/$t
    log=$BUILD/logs/$t.log
    mkdir -p "$grown" "$crashes" "$BUILD/corpus/$t"
    start=$(date +%s)
    # libFuzzer runs from the build folder: a target may write scratch files there
    (cd "$BUILD" && "$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$crashes/" "$grown" "$BUILD/corpus/$t") >"$log" 2>&1
    rc=$?
    took=$(( $(date +%s) - start ))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    corpus=$(ls "$grown" | wc -l)
    found=$(ls "$crashes" | wc -l)
    printf '%s\t%s\t%s\t%s\t%s\n' "$t" "${execs:-0}" "$took" "$corpus" "$found" >>"$SUMMARY"
    if [ "$rc" -eq 0 ] && [ "$found" -eq 0 ]; then
        echo "ok fuzz $t: ${execs:-0} executions in $took s, $corpus inputs in the grown corpus, 0 crashes"
        passed=$((passed + 1))
    else
        echo "not ok fuzz $t: exit $rc, $found crash inputs in $crashes (log: $log)"
        grep -E 'ERROR|SUMMARY|==[0-9]+==|runtime error' "$log" | head -20 | sed 's/^/#   /'
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
