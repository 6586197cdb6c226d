#!/bin/sh
# `make bench`: this project's nets and both peers, on the same inputs, with
# the same thread counts (1 and 2), in one invocation; then a table of every
# figure with the ratios and the issue's targets (bench/report.py).
# Usage: bench/run.sh BUILD_DIR [--threads 1,2] [--seconds S]
set -eu
BUILD=${1:-build/release}
shift || true
THREADS=1,2
SECONDS_PER=1.0
while [ $# -gt 0 ]; do
    case $1 in
    --threads) THREADS=$2; shift 2 ;;
    --seconds) SECONDS_PER=$2; shift 2 ;;
    *) echo "usage: bench/run.sh BUILD_DIR [--threads 1,2] [--seconds S]" >&2; exit 2 ;;
    esac
done
cd "$(dirname "$0")/.."
export CELEB_SHARED=${CELEB_SHARED:-../shared}
OUT=bench/out
mkdir -p "$OUT"
RAW="$OUT/raw.txt"
{
    echo "# date $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "# cpu $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//') x $(nproc)"
    "$BUILD/bench/peak_flops" | sed -n 's/^summary /# peak /p'
} >"$RAW"
echo "bench: peak FP32 probe, this project's nets, then the peers (a few minutes)" >&2
"$BUILD/bench/nets" --threads "$THREADS" --seconds "$SECONDS_PER" | tee -a "$RAW" >&2
sh bench/peers.sh --threads "$THREADS" --shared "$CELEB_SHARED" 2>"$OUT/peers.log" | tee -a "$RAW" >&2
/usr/bin/python3 bench/report.py "$RAW" | tee "$OUT/report.md"
