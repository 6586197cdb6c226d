#!/bin/sh
# Enrolment speed on LFW (issue 18: >= 40 photos/s on 2 threads): `celeb
# enroll` of every 40th LFW photo (331, LFW's photos are 250x250 with one
# face in the middle) into a new gallery, per thread count, without jitter
# (celeb gallery build-default) and with 16 copies (celeb enroll). Prints
# "peer=celeb net=enroll_lfw batch=JITTER threads=T per_s=X" lines for
# bench/report.py. Usage: bench/enroll_lfw.sh BUILD_DIR THREADS(1,2) SHARED
set -eu
BUILD=$1 THREADS=$2 SHARED=$(cd "$3" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
find "$SHARED/data/lfw/images" -name '*.jpg' | sort | awk 'NR % 40 == 1' | while read -r f; do
    p=$(basename "$(dirname "$f")")
    mkdir -p "$T/in/$p" && ln -s "$f" "$T/in/$p/"
done
n=$(find "$T/in" -type l | wc -l)
for t in $(echo "$THREADS" | tr ',' ' '); do
    for j in 1 16; do
        rm -f "$T/g.db"*
        start=$(date +%s.%N)
        "$BUILD/celeb" enroll --threads "$t" --jitter "$j" --gallery "$T/g.db" "$T/in" >/dev/null 2>&1
        end=$(date +%s.%N)
        echo "peer=celeb net=enroll_lfw batch=$j threads=$t per_s=$(echo "$n / ($end - $start)" | bc -l | xargs printf '%.2f')"
    done
done
