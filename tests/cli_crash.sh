#!/bin/sh
# Crash safety of the gallery (issue 6): `celeb enroll` into one gallery is
# killed with SIGKILL at 20 random moments (rounds that finish before their
# moment do not count; at most 30 rounds) (model loading, mid-photo, mid-
# commit); after every kill the gallery opens, passes PRAGMA integrity_check
# and holds every photo reported committed by any round so far, and at most
# one unreported photo per kill (the one in flight between its commit and
# its line); a round that finishes starts the next over on a new gallery.
# Then it still takes new photos. "ok"/"not ok" lines for tests/run.sh.
set -u
. "$(dirname "$0")/lib.sh"
C=$SHARED/data/celebs
G=$T/g.db
KILLS=${CELEB_CRASH_KILLS:-20}
mkdir -p "$T/in"
for p in Barack_Obama Brad_Pitt Jim_Parsons Kaley_Cuoco Madonna; do ln -s "$C/$p" "$T/in/$p"; done

: >"$T/reported"
killed=0
i=0
while [ $killed -lt $KILLS ] && [ $i -lt $((KILLS * 3 / 2)) ]; do
    i=$((i + 1))
    # 0.3 .. 5.0 s: before, during and after the models load, then anywhere in the photos
    delay=$($PY -c "import random; random.seed($i); print('%.2f' % random.uniform(0.3, 5.0))")
    "$CELEB" enroll --threads 1 --gallery "$G" "$T/in" >"$T/out.$i" 2>/dev/null &
    pid=$!
    sleep "$delay"
    if kill -9 $pid 2>/dev/null; then killed=$((killed + 1)); fi
    wait $pid 2>/dev/null
    cat "$T/out.$i" >>"$T/reported"
    # A round that finished leaves nothing to do (a photo enrolled before is
    # found by its hash): the next starts over on a new gallery.
    if grep -q '"summary":true' "$T/out.$i"; then
        rm -f "$G" "$G-wal" "$G-shm"
        : >"$T/reported"
        continue
    fi
    $PY - "$G" "$T/reported" "$killed" >"$T/check.$i" 2>&1 <<'PYEOF' || { echo "round $i (after ${delay} s):"; cat "$T/check.$i"; } >>"$T/failures"
import json, os, sqlite3, sys
path, reported_path, kills = sys.argv[1], sys.argv[2], int(sys.argv[3])
if not os.path.exists(path):
    sys.exit(0)   # killed before the gallery was created
db = sqlite3.connect(path)
assert db.execute('PRAGMA integrity_check').fetchone()[0] == 'ok', 'integrity_check failed'
rows = {r[0]: r[1] for r in db.execute('SELECT id, source FROM faces')}
assert all(len(r[0]) == 512 for r in db.execute('SELECT descriptor FROM faces')), 'a partial descriptor'
reported = {}
for line in open(reported_path):
    try:
        d = json.loads(line)
    except ValueError:
        continue   # a line cut by the kill
    if d.get('status') == 'enrolled':
        reported[d['face_id']] = d['file']
missing = [i for i, f in reported.items() if rows.get(i) != f]
assert not missing, 'reported photos missing: %s' % missing[:5]
assert len(rows) - len(reported) <= kills, (len(rows), len(reported), kills)
print(len(rows), len(reported))
PYEOF
done
check "$killed enrolls killed with SIGKILL at random moments ($i rounds): after each, integrity_check ok and every reported photo present" \
    "[ ! -e '$T/failures' ] && [ $killed -ge $KILLS ]"
[ -e "$T/failures" ] && cat "$T/failures"
echo "# crash: $i rounds, $killed kills, faces/reported after the last: $(tail -1 "$T/check.$i")"
"$CELEB" enroll --threads 1 --gallery "$G" --name Lenna "$C/Lenna/giphy_image1.jpg" >/dev/null 2>&1
check "the gallery killed $killed times takes new photos and lists them" \
    "[ $? -eq 0 ] && \"$CELEB\" gallery --gallery '$G' list | grep -q '^Lenna	1$'"
