#!/bin/sh
# End-to-end tests of `celeb faces`: real values on real files, and every
# bad input gives a clear JSON error and a non-zero exit, never a crash.
# Prints "ok N - ..." / "not ok N - ..." lines (counted by tests/run.sh).
set -u
. "$(dirname "$0")/lib.sh"
D=$SHARED/data/media

# A bad input: exit status 1 (not a crash: >= 128), a JSON line with an error, a message on stderr.
expect_error() {   # name file [code]
    "$CELEB" faces --threads 1 "$2" >"$T/out" 2>"$T/err"
    rc=$?
    if [ "$rc" -eq 1 ] && grep -q '"error"' "$T/out" && [ -s "$T/err" ] &&
        { [ -z "${3:-}" ] || grep -q "\"code\":\"$3\"" "$T/out"; }; then
        ok "$1: error ($(head -c 120 "$T/err" | tr '\n' ' '))"
    else
        not_ok "$1: expected a JSON error and exit 1, got exit $rc: $(head -c 300 "$T/out")"
    fi
}

# --- real values -------------------------------------------------------------
"$CELEB" faces --threads 2 "$D/fr_two_people.jpg" >"$T/two.json"
check "fr_two_people.jpg: exit 0" "[ $? -eq 0 ]"
check "fr_two_people.jpg: two faces, Obama's box left at x~235, Biden's at x~793 (reference)" \
    "$PY - '$T/two.json' <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
f = sorted(d['results'][0]['faces'], key=lambda f: f['box']['x'])
assert len(f) == 2, len(f)
assert abs(f[0]['box']['x'] - 235.449) < 0.5 and abs(f[1]['box']['x'] - 793.423) < 0.5, f
assert all(len(x['descriptor']) == 128 and len(x['landmarks']) == 68 for x in f)
PYEOF"

"$CELEB" faces --detector tiny --frames all "$D/giphy_video.gif" >"$T/gif.json"
check "giphy_video.gif --frames all: 10 frames of 500x250, faces in each" \
    "$PY -c \"import json; d=json.load(open('$T/gif.json')); r=d['results']; assert d['width']==500 and d['height']==250 and len(r)==10 and all(len(x['faces'])>=1 for x in r), d\""

"$CELEB" faces --frame 9 "$D/giphy_video.gif" >"$T/f9.json"
check "giphy_video.gif --frame 9: SSD misses Brad there, as the reference does (1 face)" \
    "$PY -c \"import json; d=json.load(open('$T/f9.json')); r=d['results']; assert len(r)==1 and r[0]['frame']==9 and len(r[0]['faces'])==1, r\""

"$CELEB" faces - <"$D/fr_two_people.jpg" >"$T/stdin.json"
check "stdin input gives the same faces as the file" \
    "$PY -c \"import json; a=json.load(open('$T/stdin.json'))['results'][0]['faces']; b=json.load(open('$T/two.json'))['results'][0]['faces']; assert [f['box'] for f in a]==[f['box'] for f in b]\""

"$CELEB" faces "$D/dlib_dog.jpg" "$D/faceapi_test_white.png" >"$T/none.json"
check "no-face images: zero faces, exit 0" \
    "[ $? -eq 0 ] && $PY -c \"import json; [exec('assert len(json.loads(l)[\\\"results\\\"][0][\\\"faces\\\"])==0') for l in open('$T/none.json')]\""

# --- bad inputs --------------------------------------------------------------
: >"$T/empty.jpg"
expect_error "empty file" "$T/empty.jpg" format
expect_error "missing file" "$T/does-not-exist.jpg" io
expect_error "a directory" "$T" format
head -c 4096 /dev/urandom >"$T/random.gif"
expect_error "random bytes named .gif" "$T/random.gif" format
for f in "$SHARED/data/celebs/Barack_Obama/obama.jpg" "$D/giphy_video.gif" "$D/faceapi_test_video.mp4"; do
    size=$(wc -c <"$f")
    base=$(basename "$f")
    for frac in 1 10 50 90; do
        cut=$((size * frac / 100))
        head -c "$cut" "$f" >"$T/cut_$base"
        "$CELEB" faces --threads 1 "$T/cut_$base" >"$T/out" 2>"$T/err"
        rc=$?
        # A cut file either fails with a JSON error (exit 1) or, when whole
        # frames survive (GIF/video), decodes what is there (exit 0). Never a crash.
        if { [ "$rc" -eq 1 ] && grep -q '"error"' "$T/out"; } || { [ "$rc" -eq 0 ] && grep -q '"results"' "$T/out"; }; then
            ok "$base cut at $frac%: exit $rc, no crash"
        else
            not_ok "$base cut at $frac%: exit $rc $(head -c 200 "$T/err")"
        fi
    done
done
# Obama's JPEG cut in the middle of the scan must be an error, not a grey half-image.
head -c $(( $(wc -c <"$SHARED/data/celebs/Barack_Obama/obama.jpg") / 2 )) "$SHARED/data/celebs/Barack_Obama/obama.jpg" >"$T/half.jpg"
expect_error "JPEG cut in half" "$T/half.jpg" corrupt
# GIF header claiming a 65535x65535 canvas and image.
printf 'GIF89a\377\377\377\377\000\000\000,\000\000\000\000\377\377\377\377\000\002\002D\001\000;' >"$T/huge.gif"
expect_error "GIF claiming 65535x65535" "$T/huge.gif" limit
"$CELEB" faces "$SHARED/data/media/dlib_eagle.jpg" --frame 3 >"$T/out" 2>"$T/err"
check "--frame past the end of a still image: exit 1 with a message" "[ $? -eq 1 ] && grep -q 'frame 3' '$T/err'"
"$CELEB" faces --detector nope x >/dev/null 2>"$T/err"
check "bad --detector: usage error, exit 2" "[ $? -eq 2 ] && grep -q 'ssd or tiny' '$T/err'"

# A valid 1x1 image: zero faces, exit 0.
$PY -c "from PIL import Image; Image.new('RGB', (1, 1), (200, 10, 10)).save('$T/one.png'); Image.new('RGB', (1, 1)).save('$T/one.jpg')"
"$CELEB" faces "$T/one.png" "$T/one.jpg" >"$T/out"
check "1x1 PNG and JPEG: zero faces, exit 0" \
    "[ $? -eq 0 ] && [ \$(grep -c '\"faces\":\\[\\]' '$T/out') -eq 2 ]"

# A multi-input run goes on past a bad input.
"$CELEB" faces "$T/random.gif" "$D/fr_two_people.jpg" >"$T/out" 2>/dev/null
check "bad input first, good one still processed (exit 1, 2 lines, second has 2 faces)" \
    "[ $? -eq 1 ] && [ \$(wc -l <'$T/out') -eq 2 ] && tail -1 '$T/out' | $PY -c 'import json,sys; assert len(json.load(sys.stdin)[\"results\"][0][\"faces\"])==2'"

"$CELEB" faces --models "$T" "$D/fr_two_people.jpg" >/dev/null 2>"$T/err"
check "missing models: exit 1 with a message naming the file" "[ $? -eq 1 ] && grep -q 'manifest' '$T/err'"

"$CELEB" --help >/dev/null && "$CELEB" faces --help | grep -q -- '--detector'
check "help texts" "[ $? -eq 0 ]"
