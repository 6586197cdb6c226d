#!/bin/sh
# End-to-end tests of `celeb enqueue` / `celeb worker` on a real Debian
# redis-server (127.0.0.1, a free port, started and stopped here), and of
# `celeb batch` on the same 200-item manifest: 3 workers, one killed with
# SIGKILL while it holds an item; every item ends with exactly one result or
# one dead letter, nothing pending; redelivery overwrites; transient failures
# are retried then dead-lettered; SIGTERM finishes the item in hand; batch
# killed and resumed equals the uninterrupted run (its 3 shards together).
set -u
. "$(dirname "$0")/lib.sh"
D=$SHARED/data/media
C=$SHARED/data/celebs
G=$T/g.db

command -v redis-server >/dev/null || { not_ok "redis-server is installed (scripts/setup.sh)"; exit 1; }
free_port() { $PY -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }
PORT=$(free_port)
redis-server --bind 127.0.0.1 --port "$PORT" --save '' --appendonly no --dir "$T" >"$T/redis.log" 2>&1 &
REDIS_PID=$!
trap 'kill $REDIS_PID 2>/dev/null; kill -9 $W1 $W2 $W3 2>/dev/null; rm -rf "$T"' EXIT
W1=; W2=; W3=
R="redis://127.0.0.1:$PORT"
rc() { redis-cli -p "$PORT" "$@"; }
i=0
until rc ping >/dev/null 2>&1 || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
check "redis-server started on 127.0.0.1:$PORT" "[ \"\$(rc ping)\" = PONG ]"

mkdir -p "$T/celebs/Barack_Obama"
ln -s "$C/Brad_Pitt" "$T/celebs/Brad_Pitt"
ln -s "$C/Joe_Biden" "$T/celebs/Joe_Biden"
for f in $(ls "$C/Barack_Obama" | head -3); do ln -s "$C/Barack_Obama/$f" "$T/celebs/Barack_Obama/$f"; done
"$CELEB" enroll --gallery "$G" "$T/celebs" >/dev/null 2>&1

# 200 items over 18 sources: 14 real media (faces, no faces, GIFs, PNGs) and 4 broken files
: >"$T/empty.gif"
head -c 3000 "$D/giphy_video.gif" >"$T/trunc.gif"
echo "not a picture" >"$T/text.gif"
POOL="$D/fr_two_people.jpg $D/dlib_dog.jpg $D/faceapi_happy.jpg $D/deepface_couple.jpg $D/giphy_video.gif
$D/dlib_rbf_normal.gif $D/faceapi_test_white.png $D/fr_32bit.png $D/faceapi_angry.jpg $D/dlib_eagle.jpg
$D/faceapi_bbt1.jpg $D/dlib_2008_001009.jpg $D/faceapi_sad.jpg $D/faceapi_test_face_rectangular.png
$T/missing.jpg $T/empty.gif $T/trunc.gif $T/text.gif"
$PY - "$T/m.jsonl" $POOL <<'PYEOF'
import json, sys
pool = sys.argv[2:]
with open(sys.argv[1], 'w') as f:
    for i in range(200):
        f.write(json.dumps({'id': 'item-%03d' % i, 'source': pool[i % len(pool)]}) + '\n')
PYEOF
BROKEN="$T/missing.jpg $T/empty.gif $T/trunc.gif $T/text.gif"

# summaries of the outcome of each id: ('error', code) or the sorted (name, frames) of its persons
cat >"$T/summ.py" <<'PYEOF'
import json, subprocess, sys
def person_summary(d):
    if 'error' in d:
        return ('error', d['error']['code'])
    return sorted((p['name'], [a['frame'] for a in p['appearances']]) for p in d['persons'])
def from_jsonl(path):
    out = {}
    for line in open(path):
        d = json.loads(line)
        assert d['id'] not in out, 'duplicate id ' + d['id']
        out[d['id']] = person_summary(d)
    return out
def redis(port, *args):
    return json.loads(subprocess.check_output(['redis-cli', '-p', port, '--json'] + list(args)))
def from_redis(port, stream):
    """(results, dead): results id -> summary; dead: id -> [(code, message, attempts)]."""
    h = redis(port, 'HGETALL', stream + ':results')
    res = {}
    for k, v in (h.items() if isinstance(h, dict) else zip(h[::2], h[1::2])):
        d = json.loads(v)
        assert d['id'] == k, (k, d['id'])
        res[k] = person_summary(d)
    dead = {}
    for eid, f in redis(port, 'XRANGE', stream + ':dead', '-', '+'):
        f = dict(zip(f[::2], f[1::2]))
        e = json.loads(f['error'])
        dead.setdefault(f['id'], []).append((e['code'], e['message'], int(f['attempts']), f['source']))
    return res, dead
PYEOF
PYS="import sys, json; sys.path.insert(0, '$T'); from summ import *"
stats() { "$CELEB" worker --redis "$R" --stream "$1" --group g --stats 2>&1; }
stat() { stats "$1" | $PY -c "import json, sys; print(json.load(sys.stdin)$2)" 2>/dev/null; }

"$CELEB" enqueue --redis "$R" --stream items "$T/m.jsonl" 2>"$T/enq.err"
check "enqueue: 200 items added to the stream, exit 0" \
    "[ $? -eq 0 ] && grep -q '200 items added to items' '$T/enq.err' && [ \"\$(rc XLEN items)\" = 200 ]"

# 3 workers; the second is killed with SIGKILL while it holds an item
start_worker() { # name -> pid in $!
    "$CELEB" worker --redis "$R" --stream items --group g --consumer "$1" --gallery "$G" --threads 1 \
        --claim-idle-ms 3000 --exit-when-empty >"$T/$1.out" 2>"$T/$1.log" &
}
start_worker w1; W1=$!
start_worker w2; W2=$!
start_worker w3; W3=$!
i=0
until [ "$(stat items "['consumers'].get('w2', 0)")" = 1 ] && [ "$(grep -c ': done' "$T/w2.log")" -ge 3 ] || [ $i -ge 1200 ]; do
    sleep 0.1
    i=$((i + 1))
done
check "--stats mid-run: waiting + in flight + done + dead = 200, w2 holds one item" \
    "stats items | $PY -c \"import json, sys; s = json.load(sys.stdin); assert s['length'] == 200 and s['consumers'].get('w2') == 1 and s['waiting'] + s['in_flight'] + s['done'] + s['dead'] == 200 and s['waiting'] > 0, s\""
kill -9 $W2
wait $W2 2>/dev/null
w2_done=$(grep -c ': done' "$T/w2.log")
wait $W1; rc1=$?
wait $W3; rc3=$?
W1=; W2=; W3=
check "w1 and w3 drain the stream and exit 0 (--exit-when-empty)" "[ $rc1 -eq 0 ] && [ $rc3 -eq 0 ]"
reclaimed=$(sed -n 's/^celeb worker w[13]: .* \([0-9]*\) reclaimed.*/\1/p' "$T/w1.log" "$T/w3.log" | awk '{ n += $1 } END { print n + 0 }')
check "the item w2 held when killed is taken over (XAUTOCLAIM) by a live worker ($reclaimed reclaimed)" "[ $reclaimed -ge 1 ]"
check "--stats at the end: nothing waiting, nothing in flight, 200 done or dead" \
    "stats items | $PY -c \"import json, sys; s = json.load(sys.stdin); assert s['waiting'] == 0 and s['in_flight'] == 0 and s['done'] + s['dead'] == 200 and s['consumers'] == {}, s\""
check "every item has exactly one outcome: a result or a dead letter, never both, the broken ones dead with their errors" \
    "$PY - '$PORT' '$T' <<PYEOF
$PYS
port, t = sys.argv[1], sys.argv[2]
res, dead = from_redis(port, 'items')
items = [json.loads(l) for l in open(t + '/m.jsonl')]
want = {t + '/missing.jpg': 'io', t + '/empty.gif': 'format', t + '/trunc.gif': 'corrupt', t + '/text.gif': 'format'}
assert len(res) + len(dead) == 200 and not set(res) & set(dead), (len(res), len(dead))
for it in items:
    if it['source'] in want:
        (code, msg, attempts, src), = dead[it['id']]
        assert code == want[it['source']] and msg and src == it['source'] and attempts == 1, dead[it['id']]
    else:
        assert it['id'] in res, it
assert len(dead) == sum(it['source'] in want for it in items) == 44, len(dead)
PYEOF"
check "results are right: Brad_Pitt and an unknown in giphy_video.gif, Obama and Biden in fr_two_people.jpg, nobody in dlib_dog.jpg" \
    "$PY - '$PORT' '$T' '$D' <<PYEOF
$PYS
port, t, d = sys.argv[1], sys.argv[2], sys.argv[3]
res, dead = from_redis(port, 'items')
src = {json.loads(l)['id']: json.loads(l)['source'] for l in open(t + '/m.jsonl')}
by_source = {}
for k, v in res.items():
    by_source.setdefault(src[k], []).append(v)
for s, vs in by_source.items():
    assert all(v == vs[0] for v in vs), s   # the same media, the same answer, whichever worker did it
names = lambda s: sorted(n for n, _ in by_source[d + '/' + s][0])
assert names('giphy_video.gif') == ['Brad_Pitt', 'unknown'], names('giphy_video.gif')
assert names('fr_two_people.jpg') == ['Barack_Obama', 'Joe_Biden']
assert names('dlib_dog.jpg') == []
PYEOF"
cp "$T/m.jsonl" "$T/m.keep"

# redelivery: the same ids again overwrite, never duplicate; a dead id stays dead once
head -20 "$T/m.jsonl" >"$T/again.jsonl"
"$CELEB" enqueue --redis "$R" --stream items "$T/again.jsonl" 2>/dev/null
"$CELEB" worker --redis "$R" --stream items --group g --consumer w4 --gallery "$G" --threads 2 \
    --exit-when-empty 2>"$T/w4.log"
check "20 ids delivered again: exit 0, still 200 outcomes, every dead id once, each result overwritten" \
    "[ $? -eq 0 ] && [ \$(grep -c ': done' '$T/w4.log') -ge 14 ] && $PY - '$PORT' <<PYEOF
$PYS
res, dead = from_redis(sys.argv[1], 'items')
assert len(res) + len(dead) == 200 and all(len(v) == 1 for v in dead.values()), (len(res), len(dead))
PYEOF"

# transient failures: a URL nobody serves is retried and dead-lettered at the 3rd delivery
CLOSED=$(free_port)
printf '%s\n' "http://127.0.0.1:$CLOSED/x.gif" >"$T/url.txt"
"$CELEB" enqueue --redis "$R" --stream urls "$T/url.txt" 2>/dev/null
"$CELEB" worker --redis "$R" --stream urls --group g --consumer u1 --gallery "$G" --claim-idle-ms 200 \
    --exit-when-empty 2>"$T/u1.log"
check "an unreachable URL: retried twice, dead-lettered on the 3rd delivery with code io, nothing pending" \
    "[ $? -eq 0 ] && [ \$(grep -c 'will retry' '$T/u1.log') -eq 2 ] && $PY - '$PORT' <<PYEOF
$PYS
res, dead = from_redis(sys.argv[1], 'urls')
(code, msg, attempts, src), = dead['http://127.0.0.1:$CLOSED/x.gif']
assert not res and code == 'io' and attempts == 3, dead
PYEOF
"
check "--stats of the URL stream: 0 waiting, 0 in flight, 0 done, 1 dead" \
    "stats urls | $PY -c \"import json, sys; s = json.load(sys.stdin); assert (s['waiting'], s['in_flight'], s['done'], s['dead']) == (0, 0, 0, 1), s\""

# an item that kept killing its workers (3 deliveries recorded) is dead-lettered without being run
printf '%s\n' "{\"id\": \"poison\", \"source\": \"$D/fr_two_people.jpg\"}" >"$T/poison.jsonl"
"$CELEB" enqueue --redis "$R" --stream poison "$T/poison.jsonl" 2>/dev/null
rc HSET poison:attempts poison 3 >/dev/null
"$CELEB" worker --redis "$R" --stream poison --group g --gallery "$G" --exit-when-empty 2>"$T/p.log"
check "an item delivered more than --max-attempts times: dead-lettered with code attempts" \
    "[ $? -eq 0 ] && $PY - '$PORT' <<PYEOF
$PYS
res, dead = from_redis(sys.argv[1], 'poison')
(code, msg, attempts, src), = dead['poison']
assert not res and code == 'attempts' and attempts == 4 and '4 times' in msg, dead
PYEOF
"

# SIGTERM: the item in hand is finished and acked, exit 0
head -30 "$T/m.keep" >"$T/term.jsonl"
"$CELEB" enqueue --redis "$R" --stream term "$T/term.jsonl" 2>/dev/null
"$CELEB" worker --redis "$R" --stream term --group g --consumer t1 --gallery "$G" 2>"$T/t1.log" &
TP=$!
i=0
until [ "$(stat term "['consumers'].get('t1', 0)" 2>/dev/null)" = 1 ] && [ "$(grep -c ': done' "$T/t1.log")" -ge 2 ] || [ $i -ge 1200 ]; do
    sleep 0.05
    i=$((i + 1))
done
kill -TERM $TP
wait $TP
trc=$?
check "SIGTERM with an item in hand: exit 0, that item finished and acked, the rest still waiting" \
    "[ $trc -eq 0 ] && grep -q 'stopped by signal' '$T/t1.log' && stats term | $PY -c \"import json, sys; s = json.load(sys.stdin); assert s['in_flight'] == 0 and s['done'] + s['dead'] >= 3 and s['waiting'] > 0 and s['waiting'] + s['done'] + s['dead'] == 30, s\""

# usage and unreachable Redis
"$CELEB" worker --redis "$R" --group g >/dev/null 2>&1
check "worker without --stream: exit 2" "[ $? -eq 2 ]"
"$CELEB" worker --redis "$R" --stream items --group g --max-attempts 0 >/dev/null 2>&1
check "worker --max-attempts 0: exit 2" "[ $? -eq 2 ]"
"$CELEB" enqueue --redis "http://127.0.0.1:$PORT" --stream x "$T/m.jsonl" 2>"$T/bad.err"
check "enqueue with a non-redis:// URL: exit 1, the URL form explained" "[ $? -eq 1 ] && grep -q 'redis://HOST' '$T/bad.err'"
"$CELEB" worker --redis "redis://127.0.0.1:$CLOSED" --stream items --group g --gallery "$G" 2>"$T/down.err"
check "worker with Redis unreachable: exit 1, 'cannot connect'" "[ $? -eq 1 ] && grep -q 'cannot connect' '$T/down.err'"
"$CELEB" worker --redis "$R" --stream items --group nosuch --stats >/dev/null 2>"$T/nog.err"
check "--stats of a group that does not exist: exit 1, says so" "[ $? -eq 1 ] && grep -q 'no consumer group nosuch' '$T/nog.err'"
"$CELEB" enqueue --redis "$R" --stream x "$T/no-manifest" 2>/dev/null
check "enqueue of a missing manifest: exit 1, nothing added" "[ $? -eq 1 ] && [ \"\$(rc EXISTS x)\" = 0 ]"

# celeb batch on the same 200 items: the 3 shards, then a run killed with SIGKILL and resumed
for s in 0 1 2; do
    "$CELEB" batch --gallery "$G" --jobs 2 --shard $s/3 --out "$T/shard$s.jsonl" "$T/m.keep" 2>/dev/null ||
        echo "shard $s failed" >>"$T/shard.fail"
done
cat "$T/shard0.jsonl" "$T/shard1.jsonl" "$T/shard2.jsonl" >"$T/shards.jsonl"
check "batch --shard 0/3, 1/3, 2/3 of the 200 items: each item in exactly one shard, none empty" \
    "[ ! -e '$T/shard.fail' ] && [ -s '$T/shard0.jsonl' ] && [ -s '$T/shard1.jsonl' ] && [ -s '$T/shard2.jsonl' ] && $PY -c \"$PYS; s = from_jsonl('$T/shards.jsonl'); assert sorted(s) == ['item-%03d' % i for i in range(200)], len(s)\""
check "the shards' results equal the workers' (same outcome for every id)" \
    "$PY -c \"$PYS
res, dead = from_redis('$PORT', 'items')
s = from_jsonl('$T/shards.jsonl')
for k, v in dead.items(): res[k] = ('error', v[0][0])
bad = [k for k in s if s[k] != res.get(k)]
assert not bad, [(k, s[k], res.get(k)) for k in bad[:3]]\""
"$CELEB" batch --gallery "$G" --jobs 2 --out "$T/killed.jsonl" "$T/m.keep" 2>/dev/null &
BP=$!
i=0
while [ "$(cat "$T/killed.jsonl" 2>/dev/null | wc -l)" -lt 60 ] && [ $i -lt 2400 ]; do sleep 0.05; i=$((i + 1)); done
kill -9 $BP
wait $BP 2>/dev/null
before=$(wc -l <"$T/killed.jsonl")
"$CELEB" batch --gallery "$G" --jobs 2 --resume --out "$T/killed.jsonl" "$T/m.keep" 2>"$T/resume.err"
check "batch killed with SIGKILL after $before of 200 lines, then --resume: exit 0, 200 lines" \
    "[ $? -eq 0 ] && [ $before -ge 60 ] && [ $before -lt 200 ] && [ \$(wc -l <'$T/killed.jsonl') -eq 200 ]"
check "the resumed output has each id exactly once and equals the uninterrupted run's content" \
    "$PY -c \"$PYS; a, b = from_jsonl('$T/killed.jsonl'), from_jsonl('$T/shards.jsonl'); assert a == b, [k for k in a if a[k] != b.get(k)][:5]\""

rc SHUTDOWN NOSAVE >/dev/null 2>&1
wait $REDIS_PID 2>/dev/null
check "redis-server stopped" "! kill -0 $REDIS_PID 2>/dev/null"
