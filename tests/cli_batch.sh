#!/bin/sh
# End-to-end tests of `celeb batch`: a manifest of real media and broken
# files, one JSON line per item, error records for the broken ones, shards
# that cover every item once, kill -9 then --resume equal to an
# uninterrupted run, JSON-lines and stdin manifests, --jobs 1 = --jobs 2,
# and bad usage.
set -u
. "$(dirname "$0")/lib.sh"
D=$SHARED/data/media
C=$SHARED/data/celebs
G=$T/g.db
mkdir -p "$T/celebs/Barack_Obama"
ln -s "$C/Brad_Pitt" "$T/celebs/Brad_Pitt"
ln -s "$C/Joe_Biden" "$T/celebs/Joe_Biden"
for f in $(ls "$C/Barack_Obama" | head -3); do ln -s "$C/Barack_Obama/$f" "$T/celebs/Barack_Obama/$f"; done
"$CELEB" enroll --gallery "$G" "$T/celebs" >/dev/null 2>&1
check "gallery of 3 people enrolled" "[ \$(\"$CELEB\" gallery --gallery '$G' list | wc -l) -eq 3 ]"

: >"$T/empty.gif"
head -c 3000 "$D/giphy_video.gif" >"$T/trunc.gif"
echo "not a picture" >"$T/text.gif"
cat >"$T/m.txt" <<MEOF
# a dev-media manifest: 12 lines, 10 distinct items
$D/giphy_video.gif
$D/fr_two_people.jpg

$D/dlib_dog.jpg
$D/deepface_couple.jpg
$T/missing.gif
$T/empty.gif
$D/giphy_video.gif
$T/trunc.gif
$T/text.gif
$D/faceapi_happy.jpg
$D/dlib_rbf_normal.gif
$D/fr_two_people.jpg
MEOF
grep -v '^#' "$T/m.txt" | grep . | sort -u >"$T/ids"

# per-id summary: error code, or the sorted (name, appearance frames) of the persons
cat >"$T/summ.py" <<'PYEOF'
import json, sys
def summary(path):
    out = {}
    for line in open(path):
        d = json.loads(line)
        assert d['id'] not in out, 'duplicate id ' + d['id']
        if 'error' in d:
            out[d['id']] = ('error', d['error']['code'])
        else:
            out[d['id']] = sorted((p['name'], [a['frame'] for a in p['appearances']]) for p in d['persons'])
    return out
PYEOF
same() { # same per-id content in two outputs
    $PY -c "import sys; sys.path.insert(0, '$T'); from summ import summary; a, b = summary('$1'), summary('$2'); assert a == b, [(k, a.get(k), b.get(k)) for k in set(a) | set(b) if a.get(k) != b.get(k)]"
}

"$CELEB" batch --gallery "$G" --jobs 2 --out "$T/ref.jsonl" "$T/m.txt" 2>"$T/ref.err"
check "full run --jobs 2: exit 0 with 4 broken items" "[ $? -eq 0 ]"
check "one line per distinct item, the ids as given (repeated lines done once)" \
    "$PY -c \"import json; ids = sorted(json.loads(l)['id'] for l in open('$T/ref.jsonl')); assert ids == sorted(open('$T/ids').read().split()), ids\""
check "summary: 10 items, 6 ok, 4 errors, 2 repeated ids" \
    "grep -q 'celeb batch: 10 items, 6 ok, 4 errors, .* 2 repeated ids' '$T/ref.err'"
check "non-TTY progress: no bar escape codes on stderr" "! grep -q \"\$(printf '\\033')\" '$T/ref.err'"
check "broken items are error records: missing io, empty format, truncated GIF corrupt, text format" \
    "$PY - '$T/ref.jsonl' '$T' <<'PYEOF'
import json, sys
d = {x['id']: x for x in map(json.loads, open(sys.argv[1]))}
t = sys.argv[2]
want = {t + '/missing.gif': 'io', t + '/empty.gif': 'format', t + '/trunc.gif': 'corrupt', t + '/text.gif': 'format'}
for k, code in want.items():
    e = d[k]
    assert e['source'] == k and e['error']['code'] == code and e['error']['message'], e
    assert 'persons' not in e
assert sum('error' in x for x in d.values()) == 4
PYEOF"
check "giphy_video.gif: Brad_Pitt named in 8+ of its frames, the other person unknown; documents are celeb.detect/1 with id" \
    "$PY - '$T/ref.jsonl' '$D' <<'PYEOF'
import json, sys
d = {x['id']: x for x in map(json.loads, open(sys.argv[1]))}
g = d[sys.argv[2] + '/giphy_video.gif']
assert g['schema'] == 'celeb.detect/1' and g['media']['frames'] == 10
names = sorted(p['name'] for p in g['persons'])
assert names == ['Brad_Pitt', 'unknown'], names
brad = [p for p in g['persons'] if p['name'] == 'Brad_Pitt'][0]
assert brad['known'] and len(brad['appearances']) >= 8
two = d[sys.argv[2] + '/fr_two_people.jpg']
assert sorted(p['name'] for p in two['persons']) == ['Barack_Obama', 'Joe_Biden']
assert d[sys.argv[2] + '/dlib_dog.jpg']['persons'] == []
PYEOF"

"$CELEB" batch --gallery "$G" --jobs 1 "$T/m.txt" >"$T/j1.jsonl" 2>/dev/null
check "--jobs 1 to stdout: exit 0, the same per-id results as --jobs 2" "[ $? -eq 0 ] && same '$T/ref.jsonl' '$T/j1.jsonl'"

for s in 0 1 2; do
    "$CELEB" batch --gallery "$G" --jobs 1 --shard $s/3 --out "$T/shard$s.jsonl" "$T/m.txt" 2>/dev/null || echo "shard $s failed" >>"$T/shard.fail"
done
cat "$T/shard0.jsonl" "$T/shard1.jsonl" "$T/shard2.jsonl" >"$T/shards.jsonl"
# (the ids are paths, so which shard gets what depends on where ../shared is; with 10 items
# a shard may be empty: tests/cli_queue.sh checks 200 fixed ids, none empty)
check "--shard 0/3, 1/3, 2/3: every item exactly once, same results as the full run" \
    "[ ! -e '$T/shard.fail' ] && same '$T/ref.jsonl' '$T/shards.jsonl'"

# kill -9 mid-run (jobs 1: after some lines are out), then resume
"$CELEB" batch --gallery "$G" --jobs 1 --out "$T/killed.jsonl" "$T/m.txt" 2>/dev/null &
PID=$!
i=0
while [ "$(cat "$T/killed.jsonl" 2>/dev/null | wc -l)" -lt 3 ] && [ $i -lt 600 ]; do
    sleep 0.05
    i=$((i + 1))
done
kill -9 $PID 2>/dev/null
wait $PID 2>/dev/null
before=$(wc -l <"$T/killed.jsonl")
# and a line cut short, as a kill during a write would leave
printf '{"id":"%s","schema":"celeb.det' "$D/dlib_rbf_normal.gif" >>"$T/killed.jsonl"
check "killed run left fewer lines than items ($before of 10)" "[ $before -ge 3 ] && [ $before -lt 10 ]"
"$CELEB" batch --gallery "$G" --jobs 2 --resume --out "$T/killed.jsonl" "$T/m.txt" 2>"$T/resume.err"
check "--resume: exit 0, incomplete last line cut off, the lines already done skipped" \
    "[ $? -eq 0 ] && grep -q 'incomplete last line cut off' '$T/resume.err' && grep -q ' $before already done' '$T/resume.err'"
check "--resume: each id exactly once, content equal to the uninterrupted run" "same '$T/ref.jsonl' '$T/killed.jsonl'"
"$CELEB" batch --gallery "$G" --resume --out "$T/killed.jsonl" "$T/m.txt" 2>"$T/resume2.err"
check "--resume of a finished output: nothing to do, file unchanged" \
    "[ $? -eq 0 ] && grep -q '10 already done' '$T/resume2.err' && [ \$(wc -l <'$T/killed.jsonl') -eq 10 ]"

# SIGTERM: the items in progress finish, exit 130, every line whole
"$CELEB" batch --gallery "$G" --jobs 1 --out "$T/term.jsonl" "$T/m.txt" 2>/dev/null &
PID=$!
i=0
while [ "$(cat "$T/term.jsonl" 2>/dev/null | wc -l)" -lt 1 ] && [ $i -lt 600 ]; do
    sleep 0.05
    i=$((i + 1))
done
kill -TERM $PID
wait $PID
check "SIGTERM mid-run: exit 130, every line written is whole" \
    "[ $? -eq 130 ] && [ \$(wc -l <'$T/term.jsonl') -lt 10 ] && $PY -c \"import json; [json.loads(l) for l in open('$T/term.jsonl')]\" && [ \"\$(tail -c 1 '$T/term.jsonl' | od -An -c | tr -d ' ')\" = '\\n' ]"

# JSON-lines manifest on stdin: ids, a repeated source under two ids, a malformed line
printf '%s\n' "{\"id\": \"brad\", \"source\": \"$D/giphy_video.gif\"}" \
    "{\"id\": 7, \"source\": \"$D/fr_two_people.jpg\"}" \
    "{\"source\": \"$D/dlib_dog.jpg\"}" \
    "{\"id\": \"again\", \"source\": \"$D/fr_two_people.jpg\"}" \
    '{"id": "broken", "source": ' |
    "$CELEB" batch --gallery "$G" --jobs 2 - >"$T/jl.jsonl" 2>/dev/null
check "JSON-lines manifest on stdin: ids from the lines, a malformed line is an error record" \
    "[ $? -eq 0 ] && $PY - '$T/jl.jsonl' '$D' <<'PYEOF'
import json, sys
d = {x['id']: x for x in map(json.loads, open(sys.argv[1]))}
assert sorted(d) == sorted(['brad', '7', sys.argv[2] + '/dlib_dog.jpg', 'again', 'line:5']), sorted(d)
assert 'Brad_Pitt' in [p['name'] for p in d['brad']['persons']]
n = lambda k: sorted(p['name'] for p in d[k]['persons'])
assert n('7') == n('again') == ['Barack_Obama', 'Joe_Biden']
assert d['line:5']['error']['code'] == 'invalid' and 'line 5' in d['line:5']['error']['message']
PYEOF"
printf '%s\n' "$D/dlib_dog.jpg" "$T/missing.gif" | "$CELEB" batch --gallery "$G" --jobs 1 >"$T/stdin.jsonl" 2>/dev/null
check "plain manifest on stdin (no argument): two lines" \
    "[ $? -eq 0 ] && [ \$(wc -l <'$T/stdin.jsonl') -eq 2 ] && grep -q '\"code\":\"io\"' '$T/stdin.jsonl'"

# bad usage: exit 2, before any work
usage_rc() { "$CELEB" batch "$@" "$T/m.txt" >/dev/null 2>&1; echo $?; }
check "bad usage exits 2: --shard 3/3, --shard x, --jobs 0, --resume without --out, unknown option, two manifests" \
    "[ \$(usage_rc --shard 3/3) -eq 2 ] && [ \$(usage_rc --shard x) -eq 2 ] && [ \$(usage_rc --jobs 0) -eq 2 ] && [ \$(usage_rc --resume) -eq 2 ] && [ \$(usage_rc --bogus) -eq 2 ] && [ \$(usage_rc '$T/m.txt') -eq 2 ]"
"$CELEB" batch --gallery "$G" "$T/no-such-manifest.txt" >/dev/null 2>&1
check "missing manifest: exit 1" "[ $? -eq 1 ]"
"$CELEB" batch --gallery "$G" --out "$T/no-dir/out.jsonl" "$T/m.txt" >/dev/null 2>&1
check "output cannot be written: exit 1" "[ $? -eq 1 ]"
"$CELEB" batch --gallery "$G" --models "$T/no-models" "$T/m.txt" >"$T/nomodels.jsonl" 2>/dev/null
check "models cannot be loaded: exit 1, nothing written" "[ $? -eq 1 ] && [ ! -s '$T/nomodels.jsonl' ]"
