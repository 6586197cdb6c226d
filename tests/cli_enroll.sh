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
