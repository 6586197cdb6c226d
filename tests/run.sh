#!/bin/sh
# Runs the whole suite from the project root: every C test binary of the
# given build (cmocka) and every tests/cli_*.sh end-to-end script (TAP-like
# "ok"/"not ok" lines), then prints one summary line: "N passed, N failed".
# Usage: tests/run.sh BUILD_DIR   (e.g. build/asan)
set -u
BUILD=${1:-build/asan}
cd "$(dirname "$0")/.."
export CELEB_SHARED=${CELEB_SHARED:-../shared}
export CELEB=${CELEB:-$BUILD/celeb}
# LeakSanitizer is on with ASan; XNNPACK/FFmpeg one-time allocations are not leaks of ours.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

passed=0
failed=0
LOG=$(mktemp -d)
trap 'rm -rf "$LOG"' EXIT
# The nets keep their packed weights between processes (src/nn/store.h):
# here in a folder of this run's, not the user's cache. Each program has its
# own files (they are keyed by its build id): the first run of `celeb` makes
# them and the CLI tests after it read them.
export CELEB_CACHE="$LOG/cache"

for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    start=$(date +%s)
    "$t" >"$LOG/$name.out" 2>&1
    rc=$?
    cat "$LOG/$name.out"
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$LOG/$name.out" | tail -1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$LOG/$name.out" | tail -1)
    p=${p:-0}
    f=${f:-0}
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "$name: exited with status $rc (crash or sanitizer report)"
        f=1
    fi
    echo "# $name: $p passed, $f failed ($(( $(date +%s) - start )) s)"
    passed=$((passed + p))
    failed=$((failed + f))
done

for t in tests/cli_*.sh; do
    [ -f "$t" ] || continue
    name=$(basename "$t")
    start=$(date +%s)
    sh "$t" >"$LOG/$name.out" 2>&1
    rc=$?
    cat "$LOG/$name.out"
    p=$(grep -c '^ok ' "$LOG/$name.out")
    f=$(grep -c '^not ok ' "$LOG/$name.out")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "$name: exited with status $rc"
        f=1
    fi
    echo "# $name: $p passed, $f failed ($(( $(date +%s) - start )) s)"
    passed=$((passed + p))
    failed=$((failed + f))
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
