#!/bin/sh
# End-to-end tests of `celeb detect`: the people of real media named from a
# gallery enrolled from ../shared/data/celebs, unknown people left unknown,
# and bad inputs reported without stopping the run.
set -u
. "$(dirname "$0")/lib.sh"
D=$SHARED/data/media
G=$T/celebs.db
"$CELEB" enroll --gallery "$G" "$SHARED/data/celebs" >/dev/null 2>&1
check "enroll the 24 people of data/celebs" "[ \$(\"$CELEB\" gallery --gallery '$G' list | wc -l) -eq 24 ]"
# 156 photos with a face, 5 people with one: 151 searches without the photo + 24 without the person
"$CELEB" gallery --gallery "$G" train >"$T/train" 2>&1
check "gallery train on the 24 people: fitted on 175 searches, distance weighs against, margin for, operating point 0.5..0.99" \
    "$PY - '$T/train' <<'PYEOF'
import re, sys
t = open(sys.argv[1]).read()
m = re.match(r'fitted on (\d+) searches: bias=(\S+) distance=(\S+) margin=(\S+) photos=(\S+) min_confidence=(\S+)\n$', t)
assert m and int(m.group(1)) == 175, t
bias, dist, margin, photos, mc = map(float, m.groups()[1:])
assert dist < 0 < margin and 0.5 <= mc <= 0.99, t
PYEOF"
"$CELEB" detect --gallery "$G" --min-confidence 0 "$D/fr_two_people.jpg" >/dev/null 2>"$T/err"
check "--min-confidence 0: a usage error (exit 2)" "[ $? -eq 2 ] && grep -q 'min-confidence' '$T/err'"

"$CELEB" detect --gallery "$G" "$D/giphy_video.gif" "$D/fr_two_people.jpg" "$D/dlib_elon-musk-smoke.gif" \
    "$D/dlib_dog.jpg" "$D/dlib_watershed.mp4" >"$T/out" 2>"$T/err"
check "five inputs: exit 0, five documents" "[ $? -eq 0 ] && [ \$(wc -l <'$T/out') -eq 5 ]"
doc() { sed -n "$1p" "$T/out" >"$T/doc$1.json"; echo "$T/doc$1.json"; }
check "giphy_video.gif: Brad_Pitt named once, in most (8+) of the 10 frames; Angelina Jolie (not enrolled) one unknown person" \
    "$PY - \$(doc 1) <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert d['schema'] == 'celeb.detect/1' and d['media']['frames'] == 10 and len(d['media']['sha256']) == 64
p = d['persons']
assert len(p) == 2, [x['name'] for x in p]
brad = [x for x in p if x['name'] == 'Brad_Pitt']
other = [x for x in p if x['name'] != 'Brad_Pitt']
assert len(brad) == 1 and brad[0]['known'] and len(brad[0]['appearances']) >= 8, len(brad[0]['appearances'])
assert len(other) == 1 and other[0]['name'] == 'unknown' and not other[0]['known']
a = brad[0]['appearances'][0]
assert len(a['box']) == 4 and len(a['landmarks5']) == 5 and 't_ms' in a
# frame 0 is detected; most later frames follow the faces instead (cost follows content)
assert not a['tracked'] and sum(x['tracked'] for x in brad[0]['appearances']) >= 5
PYEOF"
check "fr_two_people.jpg: Barack_Obama on the left, Joe_Biden on the right" \
    "$PY - \$(doc 2) <<'PYEOF'
import json, sys
p = json.load(open(sys.argv[1]))['persons']
p.sort(key=lambda x: x['appearances'][0]['box'][0])
assert [x['name'] for x in p] == ['Barack_Obama', 'Joe_Biden'], [x['name'] for x in p]
assert all(x['confidence'] > 0.5 and x['candidates'][0]['name'] == x['name'] for x in p)
assert all(abs(x['confidence'] - x['candidates'][0]['p']) < 1e-6 for x in p)
assert all(x['candidates'][1]['p'] < x['confidence'] for x in p)   # the next identity: further, a negative margin
PYEOF"
check "dlib_elon-musk-smoke.gif: one person, unknown (Elon Musk is not enrolled), 20 sampled frames" \
    "$PY - \$(doc 3) <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d['media']['sampled']) + d['media']['duplicates_skipped'] == 20
p = d['persons']
assert len(p) == 1 and p[0]['name'] == 'unknown' and not p[0]['known'], [(x['name'], x['candidates'][:2]) for x in p]
PYEOF"
check "no-face image and no-face video: zero persons" \
    "$PY -c \"import json; assert json.load(open('\$(doc 4)'))['persons'] == [] and json.load(open('\$(doc 5)'))['persons'] == []\""
"$CELEB" detect --gallery "$G" "$D/dlib_dogs.jpg" "$D/dlib_eagle.jpg" "$D/dlib_giraffe.jpg" "$D/dlib_horses.jpg" \
    "$D/dlib_scream.jpg" "$D/faceapi_test_white.png" "$D/dlib_find_max_global_example.webm" "$D/dlib_rbf_normal.gif" \
    >"$T/noface" 2>/dev/null
check "every no-face image and video (dogs: SSD's dog face fails the faceness check): zero persons, exit 0" \
    "[ $? -eq 0 ] && $PY -c \"import json; d = [json.loads(l) for l in open('$T/noface')]; assert len(d) == 8 and all(x['persons'] == [] for x in d), [(x['media']['source'], len(x['persons'])) for x in d]\""

# --- the quality gate: what is not a face never carries a name ----------------------
# On these the detectors take things for faces: an Iron Man toy on a shelf
# (faceapi_test_video.mp4), crowd blur (MOT20), landmarks that collapse on a
# dark face or a profile (the Hamilton clip); before the gate the toy and the
# crowd were named Elton_John. Each such person is still reported, unknown,
# with its quality; every known person has good-quality evidence. A looser
# threshold (0.6) puts all five within reach of a name: the gate, not the
# distance, keeps them unknown.
"$CELEB" detect --gallery "$G" --unknown-distance 0.6 "$D/faceapi_test_video.mp4" \
    "$D/dlib_MOT20-05-raw_even_shorter.mp4" "$D/fr_short_hamilton_clip.mp4" >"$T/gate" 2>/dev/null
check "non-faces (a toy, crowd blur, collapsed landmarks) within 0.6 of a name: reported with quality < 0.5, never named; named people have quality >= 0.5" \
    "[ $? -eq 0 ] && $PY - '$T/gate' <<'PYEOF'
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1])]
assert len(docs) == 3
low = near = 0
for d in docs:
    for p in d['persons']:
        q = [a['quality'] for a in p['appearances']]
        assert all(0 <= x <= 1 for x in q) and p['quality'] == max(q), p['quality']
        if max(q) < 0.5:
            low += 1
            assert not p['known'] and p['name'] == 'unknown', (d['media']['source'], p['name'], q)
            near += p['candidates'][0]['distance'] < 0.6
        if p['known']:
            assert p['quality'] >= 0.5
toy, crowd, clip = docs
assert all(not p['known'] for p in toy['persons']) and all(not p['known'] for p in crowd['persons'])
assert any(p['quality'] < 0.5 for p in toy['persons']) and any(p['quality'] < 0.5 for p in crowd['persons'])
assert {p['name'] for p in clip['persons'] if p['known']} == {'Lin_Manuel_Miranda'}, [p['name'] for p in clip['persons']]
assert low >= 5 and near >= 5, (low, near)
PYEOF"
# Obama and Biden (fr_two_people.jpg) pasted over a frame of faceapi_test_video.mp4,
# whose toy stays at the right edge of the frame: a 3-frame GIF.
"$(dirname "$CELEB")/tests/frame_ppm" "$D/faceapi_test_video.mp4" 0 "$T/shelf.ppm"
$PY - "$T/shelf.ppm" "$D/fr_two_people.jpg" "$T/two_and_toy.gif" <<'PYEOF'
import sys
from PIL import Image
shelf = Image.open(sys.argv[1]).convert('RGB')
two = Image.open(sys.argv[2]).convert('RGB').resize((700, 411))
frames = []
for k in range(3):
    f = shelf.copy()
    f.paste(two, (0, 25 + k))
    frames.append(f)
frames[0].save(sys.argv[3], save_all=True, append_images=frames[1:], duration=200, loop=0)
PYEOF
"$CELEB" detect --gallery "$G" "$T/two_and_toy.gif" >"$T/two_and_toy.json" 2>/dev/null
check "a GIF of two enrolled people and a toy at the frame edge: Barack_Obama and Joe_Biden named once each, the toy found, near a name, but unknown" \
    "[ $? -eq 0 ] && $PY - '$T/two_and_toy.json' <<'PYEOF'
import json, sys
p = json.load(open(sys.argv[1]))['persons']
p.sort(key=lambda x: x['appearances'][0]['box'][0])
assert [x['name'] for x in p] == ['Barack_Obama', 'Joe_Biden', 'unknown'], [(x['name'], x['quality']) for x in p]
assert all(len(x['appearances']) == 3 for x in p[:2]) and p[0]['quality'] >= 0.5 and p[1]['quality'] >= 0.5
toy = p[2]   # within the threshold of a name (Elton_John, 0.53): only the gate keeps it unknown
assert toy['quality'] < 0.5 and not toy['known'] and toy['appearances'][0]['box'][0] > 740, toy
assert toy['candidates'][0]['distance'] < 0.54, toy['candidates'][0]
PYEOF"

"$CELEB" detect --gallery "$G" --format text "$D/fr_two_people.jpg" >"$T/text"
check "--format text: who, how sure, when" "grep -q 'Barack_Obama (p ' '$T/text' && grep -q 'Joe_Biden (p ' '$T/text'"
"$CELEB" detect --gallery "$G" - <"$D/fr_two_people.jpg" >"$T/stdin.json"
check "stdin input" "grep -q Barack_Obama '$T/stdin.json'"

# --- URLs, from a server this test starts on 127.0.0.1 --------------------------------
mkdir -p "$T/www"
ln -s "$D/fr_two_people.jpg" "$T/www/two.jpg"
truncate -s 60M "$T/www/big.gif"
PORT=$($PY -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
(cd "$T/www" && exec $PY -m http.server "$PORT" --bind 127.0.0.1 >/dev/null 2>&1) &
SERVER=$!
i=0
until $PY -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/two.jpg')" 2>/dev/null || [ $i -gt 50 ]; do
    sleep 0.1
    i=$((i + 1))
done
"$CELEB" detect --gallery "$G" "http://127.0.0.1:$PORT/two.jpg" >"$T/url.json" 2>/dev/null
check "a URL: the same two people, the URL as the source" \
    "[ $? -eq 0 ] && grep -q Barack_Obama '$T/url.json' && grep -q '\"source\":\"http://127.0.0.1:$PORT/two.jpg\"' '$T/url.json'"
"$CELEB" detect --gallery "$G" "http://127.0.0.1:$PORT/missing.gif" >"$T/404.json" 2>/dev/null
check "URL 404: exit 1, io error naming HTTP 404" "[ $? -eq 1 ] && grep -q '\"code\":\"io\"' '$T/404.json' && grep -q 'HTTP 404' '$T/404.json'"
"$CELEB" detect --gallery "$G" "http://127.0.0.1:$PORT/big.gif" >"$T/big.json" 2>/dev/null
check "URL over the 50 MB limit: exit 1, limit error" "[ $? -eq 1 ] && grep -q '\"code\":\"limit\"' '$T/big.json'"
"$CELEB" detect --gallery "$G" --max-download 1000 "http://127.0.0.1:$PORT/two.jpg" >"$T/small.json" 2>/dev/null
check "--max-download 1000 refuses a bigger photo" "[ $? -eq 1 ] && grep -q 'larger than 1000 bytes' '$T/small.json'"
kill $SERVER 2>/dev/null
wait $SERVER 2>/dev/null

# --- bad inputs: a clear error, the run goes on ------------------------------------
: >"$T/empty.gif"
"$CELEB" detect --gallery "$G" "$T/empty.gif" "$T" "ftp://127.0.0.1/x.gif" "http://127.0.0.1:$PORT/gone.gif" "$D/fr_two_people.jpg" >"$T/bad" 2>"$T/err"
check "empty file, directory, ftp URL, unreachable URL, then a good file: exit 1, 5 lines, 4 errors, last one named" \
    "[ $? -eq 1 ] && [ \$(wc -l <'$T/bad') -eq 5 ] && [ \$(grep -c '\"error\"' '$T/bad') -eq 4 ] && tail -1 '$T/bad' | grep -q Joe_Biden"
"$CELEB" detect --gallery "$G" "$D/fr_two_people.jpg" >/dev/full 2>"$T/err"
check "output that cannot be written (/dev/full): exit 1, says so" "[ $? -eq 1 ] && grep -q 'writing the output failed' '$T/err'"
echo "garbage" >"$T/bad.db"
"$CELEB" detect --gallery "$T/bad.db" "$D/fr_two_people.jpg" >/dev/null 2>"$T/err"
check "a gallery that is not a database: exit 1 with a message" "[ $? -eq 1 ] && grep -q 'bad.db' '$T/err'"
"$CELEB" detect --gallery "$T/none.db" "$D/fr_two_people.jpg" >"$T/none.json" 2>"$T/err"
check "a --gallery that does not exist (mistyped): exit 2, the message names it, no output" \
    "[ $? -eq 2 ] && grep -q 'no gallery at $T/none.db' '$T/err' && [ ! -s '$T/none.json' ]"
CELEB_GALLERY="$T/none.db" "$CELEB" detect "$D/fr_two_people.jpg" >/dev/null 2>"$T/err"
check "the same through \$CELEB_GALLERY: exit 2" "[ $? -eq 2 ] && grep -q 'no gallery at' '$T/err'"
env -u CELEB_GALLERY XDG_DATA_HOME="$T/xdg" "$CELEB" detect "$D/fr_two_people.jpg" >"$T/none.json" 2>"$T/err"
check "no default gallery yet: a warning, everyone unknown, exit 0" \
    "[ $? -eq 0 ] && grep -q 'warning: no gallery at $T/xdg/celeb/gallery.db' '$T/err' && $PY -c \"import json; p=json.load(open('$T/none.json'))['persons']; assert len(p)==2 and all(x['name']=='unknown' for x in p)\""

# --- celeb eval: leave-one-out on data/celebs ------------------------------------------
"$CELEB" eval --json "$SHARED/data/celebs" >"$T/eval.json" 2>/dev/null
check "celeb eval: 157 photos, faces in >= 98%, >= 97% named right (issue 3's bar), all 5 single-photo people unknown, verification >= 98.5% (best threshold >= 99%)" \
    "$PY -c \"
import json; d = json.load(open('$T/eval.json'))
assert d['photos'] == 157 and d['detection_rate'] >= 0.98, d
assert d['right'] >= 0.97 and d['top1'] >= 0.97 and d['unknown_rejection'] == 1.0, d
assert d['verification_accuracy'] >= 0.985 and d['verification_best_accuracy'] >= 0.99, d
assert len(d['right_by_threshold']) == 9 and all('photo' in w for w in d['wrong'])
\""
