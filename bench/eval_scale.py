#!/usr/bin/python3
"""eval_scale.py - `make eval-scale`: open-set identification at thousands of identities, on LFW.

The split (fixed seed, from ../shared/data/lfw/images):
  - strangers: 1,000 people with one photo, never enrolled; their photo is a probe;
  - everyone else is enrolled with all their photos but, for people with 2+ photos, the last one;
  - people with 2+ photos are dealt in two halves: A's last photos are the known probes; B's are not
    used. The confidence model is fitted on the gallery without A (so on B and the one-photo people):
    the identities it is learned on are disjoint from the probe identities. The model a user gets
    (`celeb gallery train` on the whole gallery, A's other photos included) is reported beside it.
Galleries of 24, 500, 2,000 and every identity are cut from the full one (half of each small one
from A, as far as A goes, so that it has known probes); probes whose person is not in a gallery count as strangers.

Prints, per gallery size: identities, known probes named right, strangers left unknown, precision
at the default operating point, calibration error, and GIPHY's coverage-precision curve (queries
sorted by confidence, precision of the top K against K/N); writes the table into the README between
the eval-scale markers. The enrolled gallery is kept in bench/out/scale/ and reused while the models,
the split and the celeb binary are the same (any change to the code may change the descriptors;
enrolling the ~10,000 photos again with 16 copies takes about 13 minutes on 2 cores).

Usage: bench/eval_scale.py BUILD_DIR [--shared DIR] [--jitter N] [--no-readme]
"""
import datetime
import hashlib
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from eval_lfw import commit, machine, parse_args, write_readme  # noqa: E402

BEGIN = '<!-- eval-scale:begin (bench/eval_scale.py writes this table) -->'
END = '<!-- eval-scale:end -->'
SEED = 18
STRANGERS = 1000
SIZES = [24, 500, 2000, 0]   # 0: every identity


def split(images):
    people = sorted(os.listdir(images))
    photos = {p: sorted(os.listdir(os.path.join(images, p))) for p in people}
    rng = random.Random(SEED)
    one = [p for p in people if len(photos[p]) == 1]
    multi = [p for p in people if len(photos[p]) >= 2]
    strangers = set(rng.sample(one, STRANGERS))
    a = set(rng.sample(multi, len(multi) // 2))
    gallery, probes = {}, {}
    for p in people:
        if p in strangers:
            probes[p] = photos[p]
        elif len(photos[p]) >= 2:
            gallery[p] = photos[p][:-1]
            if p in a:
                probes[p] = photos[p][-1:]
        else:
            gallery[p] = photos[p]
    return gallery, probes, a, strangers


def aliases():
    """The (alias, name) pairs of share/aliases.tsv: one person under two names."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'share', 'aliases.tsv')
    with open(path) as f:
        return [tuple(line.rstrip('\n').split('\t')[:2]) for line in f if '\t' in line and not line.startswith('#')]


def link_tree(root, images, chosen):
    """A folder of symlinks DIR/<Person>/<photo> (the data is never copied)."""
    if os.path.exists(root):
        shutil.rmtree(root)
    for person, files in chosen.items():
        os.makedirs(os.path.join(root, person))
        for f in files:
            os.symlink(os.path.join(images, person, f), os.path.join(root, person, f))


def celeb(build, *args, capture=True):
    cmd = [os.path.join(build, 'celeb')] + list(args)
    print('eval-scale: ' + ' '.join(cmd), file=sys.stderr, flush=True)
    p = subprocess.run(cmd, stdout=subprocess.PIPE if capture else None, text=True)
    if p.returncode != 0:
        sys.exit('eval-scale: %s failed with status %d' % (' '.join(cmd[:3]), p.returncode))
    return p.stdout


def keep_only(src, dst, names):
    """dst: a copy of gallery src holding only the identities in names."""
    for suffix in ('', '-wal', '-shm'):
        if os.path.exists(dst + suffix):
            os.remove(dst + suffix)
    with sqlite3.connect(src) as s, sqlite3.connect(dst) as d:
        s.backup(d)
    db = sqlite3.connect(dst)
    db.execute('PRAGMA foreign_keys = ON')
    db.execute('CREATE TEMP TABLE keep(name TEXT PRIMARY KEY)')
    db.executemany('INSERT INTO keep VALUES(?)', [(n,) for n in names])
    db.execute('DELETE FROM identities WHERE name NOT IN (SELECT name FROM keep)')
    db.execute("DELETE FROM meta WHERE key = 'identify_model'")   # the full gallery's: fitted anew or default
    db.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")
    db.commit()
    db.close()


def stored_model(path):
    db = sqlite3.connect(path)
    row = db.execute("SELECT value FROM meta WHERE key = 'identify_model'").fetchone()
    db.close()
    return row[0] if row else 'the default (too few people with 2+ photos to fit)'


def set_model(path, text):
    """Stores the model text, or (None) none: the default model."""
    db = sqlite3.connect(path)
    if text is None:
        db.execute("DELETE FROM meta WHERE key = 'identify_model'")
    else:
        db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES('identify_model', ?)", (text,))
    db.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")
    db.commit()
    db.close()


def evaluate(build, gallery, probes_dir):
    t0 = time.time()
    doc = json.loads(celeb(build, 'eval', '--json', '--gallery', gallery, probes_dir))
    doc['wall_seconds'] = time.time() - t0
    return doc


def curve_text(doc):
    pts = doc['confidence_curve']
    return ', '.join('%d%%: %.1f%%' % (round(100 * p['coverage']), 100 * p['precision'])
                     for p in pts if round(100 * p['coverage']) in (10, 20, 30, 40, 50, 60, 70, 80))


def main():
    a = parse_args('enrollment jitter (default: celeb enroll\'s)')
    images = os.path.abspath(os.path.join(a.shared, 'data', 'lfw', 'images'))
    if not os.path.isdir(images):
        sys.exit('eval-scale: no %s (LFW)' % images)
    work = os.path.abspath(os.path.join('bench', 'out', 'scale'))
    os.makedirs(work, exist_ok=True)
    gallery, probes, probed, strangers = split(images)
    # A stranger enrolled under another spelling (share/aliases.tsv) is no
    # stranger: not probed. The split itself is left as it was drawn.
    same = [(x, y) for x, y in aliases() if (x in strangers and y in gallery) or (y in strangers and x in gallery)]
    for x, y in same:
        for p in (x, y):
            if p in strangers:
                strangers.discard(p)
                del probes[p]

    # The enrolled gallery, reused while the split, the jitter, the models and the program are the same.
    models = subprocess.run(['sha256sum', os.path.join(a.build, 'celeb')] + sorted(
        os.path.join('models', f) for f in os.listdir('models') if f.endswith('.bin')),
        capture_output=True, text=True).stdout
    key = hashlib.sha256(json.dumps([gallery, a.jitter, models], sort_keys=True).encode()).hexdigest()[:16]
    full = os.path.join(work, 'gallery-%s.db' % key)
    t0 = time.time()
    if not os.path.exists(full):
        link_tree(os.path.join(work, 'gallery'), images, gallery)
        for suffix in ('', '-wal', '-shm'):   # an interrupted run's: enrolling into it would add twice
            if os.path.exists(full + '.part' + suffix):
                os.remove(full + '.part' + suffix)
        args = ['enroll', '--gallery', full + '.part', os.path.join(work, 'gallery')]
        if a.jitter > 0:
            args[1:1] = ['--jitter', str(a.jitter)]
        celeb(a.build, *args)
        os.replace(full + '.part', full)
    enroll_seconds = time.time() - t0
    link_tree(os.path.join(work, 'probes'), images, probes)

    con = sqlite3.connect(full)
    enrolled = sorted(r[0] for r in con.execute('SELECT name FROM identities'))
    faces = con.execute('SELECT count(*) FROM faces').fetchone()[0]
    con.close()
    rng = random.Random(SEED + 1)
    rows = []
    for size in SIZES:
        if size:
            in_a = sorted(set(enrolled) & probed)
            others = sorted(set(enrolled) - probed)
            k = min(size // 2, len(in_a))
            names = set(rng.sample(in_a, k)) | set(rng.sample(others, size - k))
        else:
            names = set(enrolled)
        g = os.path.join(work, 'g%d.db' % len(names))
        t = os.path.join(work, 't%d.db' % len(names))
        # the model fitted without the probe identities ...
        keep_only(full, t, names - probed)
        celeb(a.build, 'gallery', '--gallery', t, 'train')
        disjoint = stored_model(t)
        # ... and the one a user gets (the whole gallery)
        keep_only(full, g, names)
        celeb(a.build, 'gallery', '--gallery', g, 'train')
        own = stored_model(g)
        docs = {}   # each run describes every probe again: the user's model on the full gallery only
        for label, model in (('disjoint', disjoint), ('own', own)):
            if label == 'own' and size:
                continue
            set_model(g, None if model.startswith('the default') else model)
            docs[label] = evaluate(a.build, g, os.path.join(work, 'probes'))
        rows.append((len(names), disjoint, own, docs))

    lines = [BEGIN, '',
             'LFW at scale (`make eval-scale`, %s UTC, %s, commit %s): a gallery of %d identities '
             '(%d faces enrolled, %.0f s), %d known probes (the last photo of half of the people with 2+ '
             'photos) and %d strangers (people with one photo, never enrolled; %d more are left out, '
             'enrolled under another spelling: share/aliases.tsv). "Fitted apart": the '
             'confidence model fitted on the gallery without the probed identities; "fitted on all": '
             '`celeb gallery train` on the whole gallery, as a user runs it.'
             % (datetime.datetime.utcnow().strftime('%Y-%m-%d %H:%M'), machine(), commit(), len(enrolled),
                faces, enroll_seconds, len(probed & set(enrolled)), len(strangers), len(same)),
             '',
             '| identities | model | known probes | known named right | strangers unknown | precision | '
             'calibration error | precision of the top K by confidence, K/N = 10%, 20%, ... 80% |',
             '|---|---|---|---|---|---|---|---|']
    for n, disjoint, own, docs in rows:
        for label, text in (('disjoint', 'fitted apart'), ('own', 'fitted on all')):
            if label not in docs:
                continue
            d = docs[label]
            op = d['operating_point']
            lines.append('| %d | %s | %d | **%.1f%%** | **%.1f%%** | **%.1f%%** | %.3f | %s |' % (
                n, text, d['known_queries'], 100 * op['known_named_right'], 100 * op['strangers_rejected'],
                100 * op['precision'], op['calibration_error'], curve_text(d)))
    n, _, _, docs = rows[-1]
    rel = docs['disjoint']['operating_point'].get('reliability', [])
    lines += ['', 'Reliability of `confidence` with every identity (fitted apart; when it says p, how often the '
              'nearest identity is the person):', '',
              '| p | ' + ' | '.join('%.1f-%.1f' % (b['p_from'], b['p_from'] + 0.1) for b in rel) + ' |',
              '|---|' + '---|' * len(rel),
              '| queries | ' + ' | '.join('%d' % b['queries'] for b in rel) + ' |',
              '| mean p | ' + ' | '.join('%.2f' % b['mean_p'] if b['queries'] else '' for b in rel) + ' |',
              '| right | ' + ' | '.join('%.2f' % b['right'] if b['queries'] else '' for b in rel) + ' |']
    lines += ['', 'Models (identify.h: bias and the weights of distance, margin, ln photos; the operating point):', '']
    for n, disjoint, own, docs in rows:
        lines.append('- %d identities: fitted apart `%s`; fitted on all `%s`' % (n, disjoint, own))
    lines += ['', END]
    text = '\n'.join(lines)
    print(text)
    with open(os.path.join(work, 'result.json'), 'w') as f:
        json.dump([{'identities': n, 'disjoint': d, 'own': o,
                    'docs': {k: {kk: v for kk, v in doc.items() if kk not in ('wrong',)}
                             for k, doc in docs.items()}} for n, d, o, docs in rows], f, indent=1)
    if a.no_readme:
        return
    write_readme(a.readme, BEGIN, END, text)
    print('eval-scale: the table is in %s' % a.readme, file=sys.stderr)


if __name__ == '__main__':
    main()
