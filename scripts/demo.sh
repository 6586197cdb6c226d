#!/bin/sh
# `make demo`: the face engine on a real photo: every face with its box,
# score and descriptor, summarised. (The full who-is-in-this-GIF demo with a
# gallery comes with `celeb detect`.)
set -eu
BUILD=${1:-build/release}
SHARED=${CELEB_SHARED:-../shared}
IMG=$SHARED/data/media/fr_two_people.jpg
echo "celeb faces $IMG" >&2
"$BUILD/celeb" faces "$IMG" >/tmp/celeb_demo.$$.json
/usr/bin/python3 - /tmp/celeb_demo.$$.json <<'PY'
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    print("%s: %s %dx%d" % (d["file"], d["format"], d["width"], d["height"]))
    for r in d["results"]:
        faces = sorted(r["faces"], key=lambda f: f["box"]["x"])
        for i, f in enumerate(faces):
            b = f["box"]
            print("  face %d: box x=%.1f y=%.1f w=%.1f h=%.1f  score %.3f  descriptor %s..."
                  % (i, b["x"], b["y"], b["width"], b["height"], f["score"],
                     [round(v, 4) for v in f["descriptor"][:3]]))
PY
rm -f /tmp/celeb_demo.$$.json
