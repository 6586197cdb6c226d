#!/bin/sh
# End-to-end tests of `celeb enroll` and `celeb gallery`, including an enroll
# killed with SIGKILL half way. Photos are linked (never copied) from
# ../shared into a temporary folder. "ok"/"not ok" lines for tests/run.sh.
set -u
. "$(dirname "$0")/lib.sh"
C=$SHARED/data/celebs

# --- a small training folder: two people, one photo without a face ---------------
mkdir -p "$T/raw/Barack_Obama" "$T/raw/Joe_Biden"
ln -s "$C/Barack_Obama/obama.jpg" "$T/raw/Barack_Obama/a.jpg"
ln -s "$C/Barack_Obama/obama2.jpg" "$T/raw/Barack_Obama/b.jpg"
ln -s "$SHARED/data/media/dlib_dog.jpg" "$T/raw/Barack_Obama/dog.jpg"
ln -s "$SHARED/data/media/dlib_dogs.jpg" "$T/raw/Joe_Biden/dogs.jpg"   # SSD sees a face in it (0.78)
ln -s "$C/Joe_Biden/biden.jpg" "$T/raw/Joe_Biden/biden.jpg"
G=$T/g.db
"$CELEB" enroll --gallery "$G" "$T/raw" >"$T/out" 2>"$T/err"
check "enroll a folder: exit 0" "[ $? -eq 0 ]"
check "two people are too few to fit the confidence model: the summary says so" \
    "tail -1 '$T/out' | grep -q '\"model_fitted\":false'"
"$CELEB" gallery --gallery "$G" train >"$T/train"
check "gallery train on two people: exit 0, says the default model is used" \
    "[ $? -eq 0 ] && grep -q '^too few people with 2+ photos to fit' '$T/train'"
check "3 photos enrolled; the dog photos skipped as 'no face found' (dogs.jpg: SSD's dog face fails the faceness check)" \
    "[ \$(grep -c '\"status\":\"enrolled\"' '$T/out') -eq 3 ] && grep 'dog.jpg' '$T/out' | grep -q 'no face found' && grep 'dogs.jpg' '$T/out' | grep -q 'no face found'"
"$CELEB" gallery --gallery "$G" list >"$T/list"
check "gallery list: Barack_Obama 2, Joe_Biden 1" \
    "[ \"\$(cat '$T/list')\" = \"\$(printf 'Barack_Obama\t2\nJoe_Biden\t1')\" ]"
"$CELEB" enroll --gallery "$G" --name Madonna "$C/Madonna/httpwwwblackdogfilmscomwordpresswpcontentuploadsmadonnacelebrationxjpg.jpg" >/dev/null 2>&1
check "enroll --name adds a person at once" "\"$CELEB\" gallery --gallery '$G' list | grep -q '^Madonna	1$'"
"$CELEB" gallery --gallery "$G" rename Madonna Madonna_Ciccone
check "rename" "[ $? -eq 0 ] && \"$CELEB\" gallery --gallery '$G' list | grep -q '^Madonna_Ciccone	1$'"
"$CELEB" gallery --gallery "$G" rename Nobody X 2>"$T/err"
check "rename of an unknown person: exit 1 with a message" "[ $? -eq 1 ] && [ -s '$T/err' ]"
"$CELEB" gallery --gallery "$G" remove Madonna_Ciccone
check "remove" "[ $? -eq 0 ] && ! \"$CELEB\" gallery --gallery '$G' list | grep -q Madonna"
"$CELEB" gallery --gallery "$G" export >"$T/export.json"
check "export: valid JSON with 2 people, 3 descriptors of 128" \
    "$PY -c \"import json; d=json.load(open('$T/export.json')); ids=d['identities']; assert len(ids)==2 and sum(len(i['faces']) for i in ids)==3 and all(len(f['descriptor'])==128 for i in ids for f in i['faces'])\""
check "the enrolled descriptors separate the people: Obama-Obama < 0.6 < Obama-Biden" \
    "$PY -c \"
import json, math
d = {i['name']: [f['descriptor'] for f in i['faces']] for i in json.load(open('$T/export.json'))['identities']}
dist = lambda a, b: math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b)))
o = d['Barack_Obama']; b = d['Joe_Biden'][0]
assert dist(o[0], o[1]) < 0.6 < dist(o[0], b), (dist(o[0], o[1]), dist(o[0], b))\""

# --- the quick look: a portrait's one face from the tiny detector ----------------------
mkdir -p "$T/portraits/Aaron_Peirsol"
ln -s "$SHARED/data/lfw/images/Aaron_Peirsol/Aaron_Peirsol_0001.jpg" "$SHARED/data/lfw/images/Aaron_Peirsol/Aaron_Peirsol_0002.jpg" "$T/portraits/Aaron_Peirsol/"
"$CELEB" enroll --jitter 1 --gallery "$T/quick.db" "$T/portraits" >"$T/quick.out" 2>/dev/null
"$CELEB" gallery --gallery "$T/quick.db" export >"$T/quick.json"
check "LFW portraits: enrolled from the quick look, the two photos of Aaron_Peirsol < 0.5 apart" \
    "[ \$(grep -c '\"look\":\"quick\"' '$T/quick.out') -eq 2 ] && $PY -c \"
import json, math
a, b = [f['descriptor'] for f in json.load(open('$T/quick.json'))['identities'][0]['faces']]
d = math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b)))
assert d < 0.5, d\""

# --- a photo with several faces; the same photo twice ---------------------------------
TWO=$SHARED/data/media/fr_two_people.jpg   # Obama left, Biden right, about the same size
"$CELEB" enroll --jitter 1 --gallery "$G" --name Joe_Biden "$TWO" >"$T/two.out" 2>/dev/null
check "two faces, one like Joe_Biden's enrolled photo: enrolled by the full look (SSD), the line says which face and why" \
    "[ $? -eq 0 ] && grep -q '\"look\":\"full\",\"faces\":2,\"chosen\":\"the face like the person.s enrolled photos\"' '$T/two.out'"
"$CELEB" gallery --gallery "$G" export >"$T/export2.json"
check "the face enrolled from the two-people photo is Biden's (< 0.6 from his photo), not Obama's (> 0.6 from both of his)" \
    "$PY -c \"
import json, math
d = {i['name']: [f['descriptor'] for f in i['faces']] for i in json.load(open('$T/export2.json'))['identities']}
dist = lambda a, b: math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b)))
b0, new = d['Joe_Biden']
assert dist(b0, new) < 0.6 and all(dist(o, new) > 0.6 for o in d['Barack_Obama']), (dist(b0, new), [dist(o, new) for o in d['Barack_Obama']])\""
"$CELEB" enroll --jitter 1 --gallery "$T/stranger.db" --name Somebody "$TWO" >"$T/two.out" 2>"$T/err"
check "two faces of one size, nobody to compare with: skipped, the reason says why" \
    "grep -q '\"status\":\"skipped\"' '$T/two.out' && grep -q \"2 faces in the photo and none is clearly Somebody's\" '$T/two.out' && grep -q 'skipped' '$T/err'"
"$CELEB" enroll --gallery "$G" --name Barack_Obama "$C/Barack_Obama/obama.jpg" >"$T/again.out" 2>/dev/null
check "the same photo enrolled again: status already, stored once (Barack_Obama still 2)" \
    "[ $? -eq 0 ] && grep -q '\"status\":\"already\"' '$T/again.out' && grep -q '\"already\":1' '$T/again.out' && \"$CELEB\" gallery --gallery '$G' list | grep -q '^Barack_Obama	2$'"
"$CELEB" enroll --gallery "$G" --name Joe_Biden "$C/Barack_Obama/obama.jpg" >"$T/again.out" 2>/dev/null
check "the same photo as somebody else: skipped, the reason names its person" \
    "grep -q 'this photo is already enrolled as Barack_Obama' '$T/again.out' && \"$CELEB\" gallery --gallery '$G' list | grep -q '^Joe_Biden	2$'"

# --- build-default: LFW and celebs, aliases, once ---------------------------------------
D=$T/data
mkdir -p "$D/lfw/images" "$D/celebs"
ln -s "$SHARED/data/lfw/images/Joseph_Biden" "$D/lfw/images/Joseph_Biden"
ln -s "$SHARED/data/lfw/images/Aaron_Peirsol" "$D/lfw/images/Aaron_Peirsol"
ln -s "$C/Joe_Biden" "$D/celebs/Joe_Biden"
BD=$T/default.db
CELEB_GALLERY=$BD "$CELEB" gallery build-default "$D" >"$T/bd.out" 2>"$T/bd.err"
check "build-default: exit 0; Joseph_Biden (LFW) merged into Joe_Biden (celebs): 2 people, 10 photos" \
    "[ $? -eq 0 ] && grep -q 'Joseph_Biden is Joe_Biden: 5 faces merged' '$T/bd.err' && [ \"\$(\"$CELEB\" gallery --gallery '$BD' list | tr '\n' '|')\" = 'Aaron_Peirsol	4|Joe_Biden	6|' ] && [ \"\$(\"$CELEB\" gallery --gallery '$BD' aliases)\" = \"\$(printf 'Joseph_Biden\tJoe_Biden')\" ]"
CELEB_GALLERY=$BD "$CELEB" gallery build-default "$D" >"$T/bd.out" 2>"$T/bd.err"
check "build-default again: up to date, nothing enrolled" \
    "[ $? -eq 0 ] && grep -q 'is up to date (10 photos' '$T/bd.err' && [ ! -s '$T/bd.out' ]"
mkdir "$D/celebs/Barack_Obama"
ln -s "$C/Barack_Obama/obama.jpg" "$D/celebs/Barack_Obama/a.jpg"
ln -s "$C/Barack_Obama/obama2.jpg" "$D/celebs/Barack_Obama/b.jpg"
"$CELEB" gallery --gallery "$BD" build-default "$D" >"$T/bd.out" 2>"$T/bd.err"
check "a folder added: only its photos are enrolled, the others are found already in" \
    "[ $? -eq 0 ] && grep -q '\"enrolled\":2,\"already\":10' '$T/bd.out' && \"$CELEB\" gallery --gallery '$BD' list | grep -q '^Barack_Obama	2$'"
"$CELEB" gallery --gallery "$BD" build-default "$T/missing" >/dev/null 2>"$T/err"
check "build-default of a folder without lfw/images: usage error naming it" \
    "[ $? -eq 2 ] && grep -q 'missing/lfw/images' '$T/err'"

# --- one person under two names: gallery merge, gallery aliases ------------------------
mkdir -p "$T/two/Barack_Obama" "$T/two/Barack_H_Obama"
ln -s "$C/Barack_Obama/obama.jpg" "$T/two/Barack_Obama/a.jpg"
ln -s "$C/Barack_Obama/obama2.jpg" "$T/two/Barack_H_Obama/b.jpg"
M=$T/merge.db
"$CELEB" enroll --jitter 1 --gallery "$M" "$T/two" >/dev/null 2>&1
"$CELEB" gallery --gallery "$M" merge Barack_H_Obama Barack_Obama >"$T/merge.out"
check "gallery merge: exit 0, says what it merged into what" \
    "[ $? -eq 0 ] && [ \"\$(cat '$T/merge.out')\" = 'merged Barack_H_Obama (1 face) into Barack_Obama' ]"
check "after the merge, gallery list shows one person with both photos" \
    "[ \"\$(\"$CELEB\" gallery --gallery '$M' list)\" = \"\$(printf 'Barack_Obama\t2')\" ]"
check "gallery aliases shows the merged name and the person's" \
    "[ \"\$(\"$CELEB\" gallery --gallery '$M' aliases)\" = \"\$(printf 'Barack_H_Obama\tBarack_Obama')\" ]"
"$CELEB" gallery --gallery "$M" merge Nobody Barack_Obama >"$T/merge.out" 2>"$T/err"
check "merge of a name that is neither a person nor an alias: exit 1, the message says so, nothing printed" \
    "[ $? -eq 1 ] && grep -q \"no identity or alias named 'Nobody'\" '$T/err' && [ ! -s '$T/merge.out' ]"

# --- bad inputs ----------------------------------------------------------------------
echo "not a database" >"$T/bad.db"
"$CELEB" gallery --gallery "$T/bad.db" list >/dev/null 2>"$T/err"
check "a gallery file that is not a database: exit 1, message names it" "[ $? -eq 1 ] && grep -q 'bad.db' '$T/err'"
"$CELEB" enroll --gallery "$T/bad.db" "$T/raw" >/dev/null 2>"$T/err"
check "enroll into a non-database: exit 1, the file untouched" "[ $? -eq 1 ] && [ \"\$(cat '$T/bad.db')\" = 'not a database' ]"
"$CELEB" enroll --gallery "$G" "$T/missing" >/dev/null 2>"$T/err"
check "enroll a missing folder: usage error" "[ $? -eq 2 ] && grep -q 'not a folder' '$T/err'"
"$CELEB" gallery --gallery "$T/none.db" list >/dev/null 2>"$T/err"
check "gallery list of a missing file: exit 1" "[ $? -eq 1 ] && [ -s '$T/err' ]"

# --- killed half way -------------------------------------------------------------------
K=$T/kill.db
"$CELEB" enroll --threads 1 --gallery "$K" "$C" >"$T/kill.out" 2>/dev/null &
pid=$!
i=0
while [ "$(grep -c '"enrolled"' "$T/kill.out" 2>/dev/null)" -lt 12 ] && [ $i -lt 600 ]; do
    sleep 0.1
    i=$((i + 1))
done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
check "enroll killed with SIGKILL: gallery passes integrity_check, holds every reported photo (and at most the one in flight)" \
    "$PY - '$K' '$T/kill.out' <<'PYEOF'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
assert db.execute('PRAGMA integrity_check').fetchone()[0] == 'ok'
rows = {r[0]: r[1] for r in db.execute('SELECT id, source FROM faces')}
assert all(len(r[0]) == 512 for r in db.execute('SELECT descriptor FROM faces'))
reported = {}
for line in open(sys.argv[2]):
    try:
        d = json.loads(line)
    except ValueError:
        continue   # a line cut by the kill
    if d.get('status') == 'enrolled':
        reported[d['face_id']] = d['file']
assert len(reported) >= 12, len(reported)
assert all(rows.get(i) == f for i, f in reported.items()), 'a reported photo is missing'
assert len(rows) - len(reported) in (0, 1), (len(rows), len(reported))
PYEOF"
"$CELEB" enroll --threads 1 --gallery "$K" --name Lenna "$C/Lenna/giphy_image1.jpg" >/dev/null 2>&1
check "the killed gallery takes new photos" "[ $? -eq 0 ] && \"$CELEB\" gallery --gallery '$K' list | grep -q '^Lenna	1$'"

# --- tight crops: face-api's SSD finds nothing, enroll looks again on a bigger canvas ---
J="$C/Jim_Parsons/sheldon1.png"
"$CELEB" faces "$J" >"$T/jim.json"
check "a tight 150x150 crop: celeb faces (face-api's SSD) finds no face, like the reference" \
    "grep -q '\"faces\":\[\]' '$T/jim.json'"
"$CELEB" enroll --gallery "$T/jim.db" --name Jim_Parsons "$J" >"$T/jim.out" 2>/dev/null
check "enroll finds the face by looking again on a padded canvas" \
    "grep -q '\"status\":\"enrolled\"' '$T/jim.out'"

# --- labels.csv: display names for folders; bad folder names; a bad labels.csv stops the run ----
L=$T/labelled
mkdir -p "$L/Beyonce_Knowles" "$L/Barack_Obama" "$(printf '%s/bad\001name' "$L")"
ln -s "$C/Barack_Obama/obama.jpg" "$L/Barack_Obama/a.jpg"
ln -s "$C/Joe_Biden/biden.jpg" "$L/Beyonce_Knowles/stand-in.jpg"
ln -s "$C/Joe_Biden/biden.jpg" "$(printf '%s/bad\001name/x.jpg' "$L")"
printf 'folder,name\r\nBeyonce_Knowles,"Beyonc\303\251 Knowles"\r\n' >"$L/labels.csv"
"$CELEB" enroll --gallery "$T/labels.db" "$L" >"$T/labels.out" 2>"$T/err"
check "enroll with labels.csv: exit 0; the labelled folder gets its name, the other keeps its folder's" \
    "[ $? -eq 0 ] && \"$CELEB\" gallery --gallery '$T/labels.db' list | sort | tr '\n' '|' | grep -qx 'Barack_Obama	1|Beyoncé Knowles	1|'"
check "a folder whose name has a control character: its photo skipped, the reason says to name it in labels.csv" \
    "grep 'bad' '$T/labels.out' | grep '\"skipped\"' | grep -q 'name it in labels.csv'"
printf 'folder,name\nBarack_Obama\n' >"$L/labels.csv"
"$CELEB" enroll --gallery "$T/labels2.db" "$L" >"$T/labels.out" 2>"$T/err"
check "a bad labels.csv: exit 1 before any work, the message names the file and the row, no gallery made" \
    "[ $? -eq 1 ] && grep -q 'labels.csv row 2: expected folder,name' '$T/err' && [ ! -e '$T/labels2.db' ]"
