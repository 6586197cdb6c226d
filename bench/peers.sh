#!/bin/sh
# bench/peers.sh - run both peers' throughput benchmarks and print one
# machine-readable line per figure, e.g.
#   peer=torch net=recognition batch=1 threads=1 per_s=168.2 unit=faces/s ms=5.945 variant=ofi,tuned
#
# ms= is per face / per image (1000/per_s).
#
# Usage: bench/peers.sh [--threads 1,2] [--full] [--peers faceapi,torch] [--shared DIR] [IMAGE...]
#   --threads  thread counts (default 1,2); each count runs in its own process
#   --full     the peers' longer default runs (faceapi --n 32 --iters 20; torch 2 s x 3 windows)
#              instead of the short ones (faceapi --n 16 --iters 10; torch 0.5 s x 3 windows)
#   IMAGE...   faceapi images (default: the README's 4 quick-check images, first = Brad_Pitt)
# The short run takes about 50 s for --threads 1,2 on the 2-core machine (faceapi 18 s, torch 27 s).
# Human-readable progress goes to stderr, the summary lines to stdout; lines starting
# with '#' are comments (environment, warnings).  Exit status 1 if a peer failed.
#
# Installs the peers if missing (idempotent): `npm ci` in shared/peers/faceapi only if
# node_modules/@vladmandic/face-api is absent; apt-get install of python3-torch
# python3-numpy python3-sklearn python3-pil only for those not installed.
#
# WHAT EACH FIGURE MEASURES (our own benchmark must measure the same thing):
#
# faceapi (@vladmandic/face-api 1.7.15, tfjs 4.22.0 wasm backend, SIMD; threads=1 is the
#   tfjs-backend-wasm-simd binary, threads>=2 the threaded-simd binary via lib/wasm-node-threads.cjs):
#   net=recognition batch=1 (faces/s): faceRecognitionNet.computeFaceDescriptor(crop), one face
#     per call, sequential, on the aligned face crops (int32 HxWx3 tensors cut with face-api's
#     dlib alignment from the faces SSD+landmarks find in the IMAGEs, cycled to N).  Each call =
#     padToSquare (centred, zeros) + resizeBilinear to 150x150 (alignCorners=false) + cast float32
#     + (x - [122.782,117.001,104.298])/255 + the ResNet + 128-D readback (.data()).  So it
#     INCLUDES the crop->150x150 resize and normalisation; it EXCLUDES decode, detection,
#     landmarks, alignment and the crop extraction.  Crop sizes are printed (crops=...).
#     Timed: 1 warm-up pass of N faces, then iters/4 passes of N faces; faces / total time.
#   net=ssd batch=1 (images/s): faceapi.detectAllFaces(img, SsdMobilenetv1Options()) on a
#     640x480 int32 tensor (the first IMAGE decoded and resized bilinear to 640x480 once,
#     untimed).  Each call = pad bottom/right to 640x640 + resize to 512x512 + x/127.5-1 +
#     MobileNetV1 + box predictors + anchor decoding + sigmoid + NMS (minConfidence 0.5,
#     IoU 0.5, max 100, in JS) + FaceDetection objects.  EXCLUDES JPEG decode.  3 warm-up
#     calls, then `iters` calls; mean.  faces= is how many faces it found.
#   net=tiny416 batch=1 (images/s): the same with TinyFaceDetectorOptions(inputSize 416,
#     scoreThreshold 0.5) on the same 640x480 tensor (pad to square, resize to 416, net,
#     decode, NMS).
#
# torch (faceapi_torch.py, torch 1.13.1 Debian, oneDNN 2.6.3 inside), variant=ofi,tuned:
#   torch.jit.trace + torch.jit.optimize_for_inference (freeze + oneDNN), with
#   MALLOC_MMAP_THRESHOLD_=1000000000 MALLOC_TRIM_THRESHOLD_=100000000000 OPENBLAS_NUM_THREADS=1,
#   OMP_NUM_THREADS=torch.set_num_threads=threads.  NETS ONLY, on random inputs already
#   normalised (NCHW float32): no decode, no resize, no normalisation, no NMS.
#   net=recognition batch=1|16 (faces/s): FaceRecognitionNet, Bx3x150x150 -> Bx128.
#   net=ssd batch=1 (images/s): SsdMobilenetV1 on 1x3x512x512 incl. anchor box decoding,
#     NOT the 640x480->512 resize and NOT NMS (so not the same figure as faceapi's ssd).
#   net=landmarks batch=1|16 (faces/s): FaceLandmark68Net, Bx3x112x112 -> Bx136.
#   net=prep batch=1 (faces/s): numpy face-api preprocessing of a 300x300 uint8 crop
#     (centred pad + bilinear resize to 150 + mean/255), no net (variant=numpy).
#   Timed: 3 warm-up calls, then `repeats` windows of >= `seconds`; median window.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${SHARED:-$ROOT/../shared}
THREADS=1,2
FULL=0
PEERS=faceapi,torch
while [ $# -gt 0 ]; do
    case "$1" in
    --threads) THREADS=$2; shift 2 ;;
    --full) FULL=1; shift ;;
    --peers) PEERS=$2; shift 2 ;;
    --shared) SHARED=$2; shift 2 ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    --*) echo "peers.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
    esac
done
SHARED=$(cd "$SHARED" && pwd)
FA=$SHARED/peers/faceapi
TO=$SHARED/peers/torch
PY=/usr/bin/python3
if [ $# -eq 0 ]; then
    D=$SHARED/data
    set -- "$D/celebs/Brad_Pitt/giphy_image1.jpg" "$D/celebs/Lenna/giphy_image1.jpg" \
        "$D/media/giphy_video.gif#0" "$D/media/giphy_video.gif#9"
fi
if [ "$FULL" = 1 ]; then
    FA_OPTS="--n 32 --iters 20 --warmup 3"; TO_OPTS="--seconds 2.0 --repeats 3"
else
    FA_OPTS="--n 16 --iters 10 --warmup 3"; TO_OPTS="--seconds 0.5 --repeats 3"
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM

want() { case ",$PEERS," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }

# ---- install (idempotent) ------------------------------------------------------------
if want faceapi && [ ! -d "$FA/node_modules/@vladmandic/face-api" ]; then
    echo "peers.sh: npm ci in $FA" >&2
    (cd "$FA" && npm ci --no-audit --no-fund >&2)
fi
if want torch; then
    missing=""
    for p in python3-torch python3-numpy python3-sklearn python3-pil; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
    done
    if [ -n "$missing" ]; then
        echo "peers.sh: apt-get install$missing" >&2
        SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
        $SUDO apt-get update -qq >&2
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >&2
    fi
fi

# other processes on the CPUs make 2-thread figures worthless on a 2-core machine
busy_cpus() {
    "$PY" - <<'EOF'
import os, time
def rd():
    v = [int(x) for x in open('/proc/stat').readline().split()[1:9]]
    return sum(v), v[3] + v[4]
t0, i0 = rd(); time.sleep(0.5); t1, i1 = rd()
print('%.2f' % (os.cpu_count() * (1 - (i1 - i0) / max(1, t1 - t0))))
EOF
}
echo "# peers.sh $(date -u +%Y-%m-%dT%H:%M:%SZ) threads=$THREADS full=$FULL cpus=$(nproc) busy_cpus_before=$(busy_cpus) loadavg1=$(cut -d' ' -f1 /proc/loadavg)"

rc=0
# ---- faceapi ---------------------------------------------------------------------------
if want faceapi; then
    t0=$(date +%s.%N)
    echo "peers.sh: faceapi bench.mjs --threads $THREADS $FA_OPTS ($*)" >&2
    # shellcheck disable=SC2086
    if node "$FA/bench.mjs" --threads "$THREADS" $FA_OPTS "$@" >"$TMP/fa.jsonl" 2>"$TMP/fa.err"; then
        cat "$TMP/fa.err" >&2
        "$PY" - "$TMP/fa.jsonl" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    line = line.strip()
    if not line.startswith('{'):
        continue
    r = json.loads(line)
    th = r['threads']
    crops = ','.join(sorted(set(r.get('crop_sizes', []))))
    d, s, t = r['descriptor'], r['ssd_640x480'], r['tiny416_640x480']
    b = r.get('wasm_binary', r.get('backend'))
    print('peer=faceapi net=recognition batch=1 threads=%d per_s=%.2f unit=faces/s ms=%.3f '
          'incl=pad+resize150+normalise+net+readback crops=%s n=%d binary=%s'
          % (th, d['faces_per_s'], d['ms_per_face'], crops, d['faces'], b))
    print('peer=faceapi net=ssd batch=1 threads=%d per_s=%.2f unit=images/s ms=%.3f '
          'incl=640x480->512+net+decode+nms faces=%d n=%d binary=%s'
          % (th, s['images_per_s'], s['ms_per_image'], s['faces'], s['iters'], b))
    print('peer=faceapi net=tiny416 batch=1 threads=%d per_s=%.2f unit=images/s ms=%.3f '
          'incl=640x480->416+net+decode+nms faces=%d n=%d binary=%s'
          % (th, t['images_per_s'], t['ms_per_image'], t['faces'], t['iters'], b))
EOF
    else
        cat "$TMP/fa.err" >&2
        echo "# faceapi bench failed" ; rc=1
    fi
    echo "# faceapi took $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s"
fi

# ---- torch -----------------------------------------------------------------------------
if want torch; then
    t0=$(date +%s.%N)
    echo "peers.sh: torch bench_torch.py --threads $THREADS --variants ofi --modes tuned $TO_OPTS" >&2
    # bench_torch.py sets the tuned malloc/OpenBLAS variables itself for --modes tuned;
    # they are set here too so its parent process matches.
    # shellcheck disable=SC2086
    if MALLOC_MMAP_THRESHOLD_=1000000000 MALLOC_TRIM_THRESHOLD_=100000000000 OPENBLAS_NUM_THREADS=1 \
        "$PY" "$TO/bench_torch.py" --threads "$THREADS" --variants ofi --modes tuned $TO_OPTS \
        >"$TMP/to.jsonl" 2>"$TMP/to.err"; then
        cat "$TMP/to.err" >&2
        "$PY" - "$TMP/to.jsonl" <<'EOF'
import json, sys
names = {'recog': 'recognition', 'ssd': 'ssd', 'lmk': 'landmarks', 'prep': 'prep'}
units = {'recognition': 'faces/s', 'ssd': 'images/s', 'landmarks': 'faces/s', 'prep': 'faces/s'}
incl = {'recognition': 'net-only(normalised-150x150-input)', 'ssd': 'net+box-decoding(normalised-512x512-input,no-nms)',
        'landmarks': 'net-only(normalised-112x112-input)', 'prep': 'numpy-300x300->150+normalise'}
for line in open(sys.argv[1]):
    line = line.strip()
    if not line.startswith('{'):
        continue
    r = json.loads(line)
    if 'env' in r:
        e = r['env']
        print('# torch env: torch=%s numpy=%s build=%s' % (e['torch'], e['numpy'], ';'.join(e['build']).replace(' ', '_')))
        continue
    for x in r['results']:
        if 'per_s' not in x:
            print('# torch %s %s error: %s' % (x['case'], x['variant'], x.get('error')))
            continue
        key, _, rest = x['case'].partition(' ')
        net = names.get(key, key)
        batch = int(rest[1:]) if rest.startswith('b') else 1
        variant = x['variant'] + (',' + r['mode'] if x['variant'] != 'numpy' else '')
        print('peer=torch net=%s batch=%d threads=%d per_s=%.2f unit=%s ms=%.3f best_per_s=%.2f '
              'incl=%s variant=%s loadavg1=%.2f'
              % (net, batch, r['threads'], x['per_s'], units[net], 1000.0 / x['per_s'],
                 x['best_per_s'], incl[net], variant, r['loadavg1_after']))
EOF
    else
        cat "$TMP/to.err" >&2
        echo "# torch bench failed"; rc=1
    fi
    echo "# torch took $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s"
fi
echo "# busy_cpus_after=$(busy_cpus) loadavg1=$(cut -d' ' -f1 /proc/loadavg)"
exit $rc
