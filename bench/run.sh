#!/bin/sh
# `make bench`: this project's nets and both peers, on the same inputs, with
# the same thread counts (1 and 2), in one invocation; then the end-to-end
# figure (bench/e2e.py: the whole `celeb detect` process on two GIFs against
# the GIPHY-style torch pipeline); then the catalog figures (bench/batch.py:
# `celeb batch` items/s, the Redis worker path's overhead); then the tables
# with the ratios and the issues' targets (bench/report.py -> bench/out/report.md).
# Usage: bench/run.sh BUILD_DIR [--threads 1,2] [--seconds S] [--only nets|e2e|batch] [--runs N]
#   --only nets  the nets and the peers only (bench/out/raw.txt)
#   --only e2e   the end-to-end part only (bench/out/e2e.txt; ~1 min on a quiet machine
#                once both galleries are built, +1-2 min the first time); the report
#                keeps the other part's table from its last run (each table is dated)
#   --only batch the catalog part only (bench/out/batch.txt; ~3 min)
#   --runs N     timed `celeb detect` runs per GIF and thread count (default 5)
set -eu
BUILD=${1:-build/release}
shift || true
THREADS=1,2
SECONDS_PER=1.0
ONLY=all
RUNS=5
usage() { echo "usage: bench/run.sh BUILD_DIR [--threads 1,2] [--seconds S] [--only nets|e2e|batch] [--runs N]" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case $1 in
    --threads) THREADS=$2; shift 2 ;;
    --seconds) SECONDS_PER=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    *) usage ;;
    esac
done
case $ONLY in all|nets|e2e|batch) ;; *) usage ;; esac
cd "$(dirname "$0")/.."
export CELEB_SHARED=${CELEB_SHARED:-../shared}
OUT=bench/out
mkdir -p "$OUT"
RAW="$OUT/raw.txt"
E2E="$OUT/e2e.txt"
BATCH="$OUT/batch.txt"
if [ "$ONLY" = all ] || [ "$ONLY" = nets ]; then
    {
        echo "# date $(date -u +%Y-%m-%dT%H:%M:%SZ)"
        echo "# cpu $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//') x $(nproc)"
        "$BUILD/bench/peak_flops" | sed -n 's/^summary /# peak /p'
    } >"$RAW"
    echo "bench: peak FP32 probe, this project's nets, then the peers (a few minutes)" >&2
    "$BUILD/bench/nets" --threads "$THREADS" --seconds "$SECONDS_PER" | tee -a "$RAW" >&2
    sh bench/peers.sh --threads "$THREADS" --shared "$CELEB_SHARED" 2>"$OUT/peers.log" | tee -a "$RAW" >&2
    echo "bench: celeb enroll on 331 LFW photos, without jitter and with 16 copies" >&2
    sh bench/enroll_lfw.sh "$BUILD" "$THREADS" "$CELEB_SHARED" | tee -a "$RAW" >&2
fi
if [ "$ONLY" = all ] || [ "$ONLY" = e2e ]; then
    echo "bench: end to end, celeb detect against the GIPHY-style torch pipeline (a few minutes)" >&2
    /usr/bin/python3 bench/e2e.py "$BUILD" --threads "$THREADS" --runs "$RUNS" --shared "$CELEB_SHARED" \
        | tee "$E2E" >&2
fi
if [ "$ONLY" = all ] || [ "$ONLY" = batch ]; then
    echo "bench: catalog, celeb batch and the Redis worker path (a few minutes)" >&2
    /usr/bin/python3 bench/batch.py "$BUILD" --shared "$CELEB_SHARED" | tee "$BATCH" >&2
fi
/usr/bin/python3 bench/report.py "$RAW" "$E2E" "$BATCH" | tee "$OUT/report.md"
