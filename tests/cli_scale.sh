#!/bin/sh
# Identification among a few hundred LFW people (the small version of `make
# eval-scale`): a gallery of 335 people, its confidence model fitted by
# `celeb enroll`, then held-out photos: the last photo of 120 enrolled people
# and the photo of 150 people never enrolled. Checks that the confidence is
# calibrated on them (expected calibration error under 0.05), that the
# operating point keeps strangers out and names the enrolled. Photos are
# symlinked from ../shared/data/lfw (never copied).
set -u
. "$(dirname "$0")/lib.sh"
L=$SHARED/data/lfw/images

# The split, fixed: people in name order, every 7th with 2+ photos (up to 3
# enrolled, the last held out from every other one), every 27th with one
# photo as a stranger and every 27th (offset) as a one-photo distractor.
$PY - "$L" "$T" <<'PYEOF'
import os, sys
images, t = sys.argv[1], sys.argv[2]
people = sorted(os.listdir(images))
photos = {p: sorted(os.listdir(os.path.join(images, p))) for p in people}
multi = [p for p in people if len(photos[p]) >= 2][::7][:240]
one = [p for p in people if len(photos[p]) == 1]
strangers, distractors = one[::27][:150], one[13::27][:100]
def link(root, person, files):
    os.makedirs(os.path.join(t, root, person), exist_ok=True)
    for f in files:
        os.symlink(os.path.join(images, person, f), os.path.join(t, root, person, f))
for i, p in enumerate(multi):
    link('gallery', p, photos[p][:-1][:3])
    if i % 2 == 0:
        link('probes', p, photos[p][-1:])
for p in distractors:
    link('gallery', p, photos[p])
for p in strangers:
    link('probes', p, photos[p])
PYEOF
G=$T/lfw.db
"$CELEB" enroll --jitter 1 --gallery "$G" "$T/gallery" >"$T/enroll.out" 2>"$T/enroll.err"
status=$?
echo "# $(tail -1 "$T/enroll.out")"
check "enroll 572 photos of 340 LFW people: exit 0; 335 people have a photo with a face; the model fitted on the gallery" \
    "[ $status -eq 0 ] && tail -1 '$T/enroll.out' | grep -q '\"photos\":572,.*\"identities\":335,\"model_fitted\":true'"
"$CELEB" eval --json --gallery "$G" "$T/probes" >"$T/eval.json" 2>"$T/eval.err"
check "held-out photos (120 enrolled people, 150 strangers): calibration error < 0.05 (and the reliability bins it comes from), strangers >= 97% unknown, >= 70% of the enrolled named right, precision >= 95%" \
    "$PY - '$T/eval.json' <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
op = d['operating_point']
print('# %d known, %d strangers: %s' % (d['known_queries'], d['unknown_queries'], json.dumps(op)))
assert d['known_queries'] == 120 and d['unknown_queries'] == 150, (d['known_queries'], d['unknown_queries'])
assert op['calibration_error'] < 0.05, op
rel = op['reliability']   # the README's reliability curve: 10 bins, the error is their weighted gap
n = sum(b['queries'] for b in rel)
assert len(rel) == 10 and n == d['faces_found'], (len(rel), n, d['faces_found'])
assert abs(sum(b['queries'] * abs(b['mean_p'] - b['right']) for b in rel) / n - op['calibration_error']) < 1e-9
assert all(b['p_from'] <= b['mean_p'] < b['p_from'] + 0.1 + 1e-9 for b in rel if b['queries'])
assert op['strangers_rejected'] >= 0.97 and op['known_named_right'] >= 0.70 and op['precision'] >= 0.95, op
PYEOF"

# --- the dev media against the 340 LFW people plus data/celebs: the right answers stay, no new wrong ones
D=$SHARED/data/media
"$CELEB" enroll --jitter 1 --gallery "$G" "$SHARED/data/celebs" >/dev/null 2>&1
"$CELEB" detect --gallery "$G" "$D/fr_two_people.jpg" "$D/dlib_elon-musk-smoke.gif" "$D/giphy_video.gif" \
    "$D/faceapi_bbt1.jpg" "$D/fr_short_hamilton_clip.mp4" >"$T/dev" 2>/dev/null
check "with 359 people enrolled: Obama left and Biden right, Elon Musk unknown, Brad Pitt named, the BBT cast named, no LFW name in the Hamilton clip" \
    "[ $? -eq 0 ] && $PY - '$T/dev' '$T/gallery' <<'PYEOF'
import json, os, sys
docs = [json.loads(l) for l in open(sys.argv[1])]
lfw = set(os.listdir(sys.argv[2]))
two, elon, giphy, bbt, clip = docs
names = lambda d: [p['name'] for p in d['persons'] if p['known']]
p = sorted(two['persons'], key=lambda x: x['appearances'][0]['box'][0])
assert [x['name'] for x in p] == ['Barack_Obama', 'Joe_Biden'], [x['name'] for x in p]
assert names(elon) == [], [(x['name'], x['candidates'][:2]) for x in elon['persons']]
assert names(giphy) == ['Brad_Pitt'], names(giphy)
cast = {'Jim_Parsons', 'Johnny_Galecki', 'Kaley_Cuoco', 'Kunal_Nayyar', 'Simon_Helberg', 'Mayim_Bialik', 'Melissa_Rauch'}
assert names(bbt) and set(names(bbt)) <= cast, names(bbt)
assert not set(names(clip)) & lfw and set(names(clip)) <= {'Lin_Manuel_Miranda', 'Alex_Lacamoire'}, names(clip)
PYEOF"
