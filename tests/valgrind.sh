#!/bin/sh
# valgrind.sh - the CLI and a short server session under valgrind's memcheck
# (a release build: ASan builds cannot run under valgrind). Each run must
# end with no memcheck error and nothing definitely or indirectly lost.
# Slow (the nets run ~500x slower than natively: minutes per run), so it is
# `make valgrind`, run by .ci/run, not part of `make test`.
# Usage: tests/valgrind.sh [BUILD_DIR]   (default build/release)
set -u
cd "$(dirname "$0")/.."
CELEB=${1:-build/release}/celeb
. tests/lib.sh
PIDS=""
trap 'for p in $PIDS; do kill $p 2>/dev/null; done; rm -rf "$T"' EXIT
cc -shared -fPIC -O2 -o "$T/hwy_timer.so" tests/valgrind/hwy_timer.c || exit 1
VG="valgrind --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite,indirect"
# leak_free LOG: valgrind's verdict in LOG is clean
leak_free() {
    grep -q 'ERROR SUMMARY: 0 errors' "$1" && grep -q 'definitely lost: 0 bytes' "$1" &&
        { grep -q 'indirectly lost: 0 bytes' "$1" || grep -q 'All heap blocks were freed' "$1"; }
}
G=$T/gallery.db
"$CELEB" enroll --gallery "$G" --name Barack_Obama "$SHARED/data/celebs/Barack_Obama/obama.jpg" >/dev/null 2>&1

# --- the CLI: detect (decode, the tiny detector, landmarks, descriptors, the gallery, JSON) and a bad input
start=$(date +%s)
LD_PRELOAD=$T/hwy_timer.so $VG --log-file="$T/detect.vg" "$CELEB" detect --detector tiny --threads 1 \
    --gallery "$G" "$SHARED/data/media/fr_two_people.jpg" >"$T/detect.json" 2>"$T/detect.err"
rc=$?
check "valgrind celeb detect fr_two_people.jpg: exit 0, Barack_Obama named, no memcheck error, 0 bytes lost ($(( $(date +%s) - start )) s)" \
    "[ $rc -eq 0 ] && grep -q '\"name\":\"Barack_Obama\"' '$T/detect.json' && leak_free '$T/detect.vg'"
head -c 1000 /dev/urandom >"$T/noise.gif"
LD_PRELOAD=$T/hwy_timer.so $VG --log-file="$T/bad.vg" "$CELEB" detect --gallery "$G" "$T/noise.gif" >/dev/null 2>&1
rc=$?
check "valgrind celeb detect on a random .gif: exit 1 (not valgrind's 9), 0 bytes lost" "[ $rc -eq 1 ] && leak_free '$T/bad.vg'"

# --- a short server session: health, gallery, a detection, a bad request, a 404, then SIGTERM
start=$(date +%s)
LD_PRELOAD=$T/hwy_timer.so $VG --log-file="$T/serve.vg" "$CELEB" serve --port 0 --workers 1 --threads 1 \
    --gallery "$G" --api-key valgrind-key >"$T/serve.log" 2>&1 &
pid=$!
PIDS=$pid
port=$(listening_port "$T/serve.log" $pid 6000)
U=http://127.0.0.1:${port:-1}
h=$(curl -s -o "$T/h" -w '%{http_code}' "$U/healthz")
g=$(curl -s -o "$T/g" -w '%{http_code}' "$U/v1/gallery")
d=$(curl -s -o "$T/d" -w '%{http_code}' --max-time 600 --data-binary @"$SHARED/data/media/fr_two_people.jpg" \
    "$U/v1/detect?detector=tiny")
b=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data '{"url": ' "$U/v1/detect")
nf=$(curl -s -o /dev/null -w '%{http_code}' "$U/v1/nothing")
kill -TERM $pid
wait $pid
rc=$?
PIDS=""
check "valgrind celeb serve: /healthz 200, /v1/gallery 200, a detection 200 naming Barack_Obama, bad JSON 400, 404 ($h $g $d $b $nf)" \
    "[ '$h $g $d $b $nf' = '200 200 200 400 404' ] && grep -q '\"name\":\"Barack_Obama\"' '$T/d'"
check "valgrind celeb serve: stops on SIGTERM with exit 0, no memcheck error, 0 bytes lost ($(( $(date +%s) - start )) s)" \
    "[ $rc -eq 0 ] && leak_free '$T/serve.vg'"
for f in detect bad serve; do
    leak_free "$T/$f.vg" || grep -A12 -E 'definitely lost in|Invalid|uninitialised' "$T/$f.vg" | head -40 | sed "s/^/# $f: /"
done
grep -h -E 'definitely lost:|indirectly lost:|ERROR SUMMARY' "$T"/*.vg | sed 's/^==[0-9]*== */# /'
echo "$n_ok passed, $n_fail failed"
[ "$n_fail" -eq 0 ]
