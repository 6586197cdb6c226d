#!/usr/bin/python3
"""eval_lfw.py - `make eval-lfw`: LFW's View 2 protocol on the release build, written into the README.

Runs `celeb eval --json --pairs pairs.txt images` on ../shared/data/lfw (10 folds of 300 same + 300
different pairs; the threshold of each fold chosen on the other 9; a pair with no face counted wrong)
once with one descriptor per face and once with every photo's descriptor averaged over the enrollment
jitter, and replaces the README's table between the eval-lfw markers with the figures, dlib's published
ones beside them, the date, the machine and the commit.

Usage: bench/eval_lfw.py BUILD_DIR [--shared DIR] [--jitter N] [--readme README.md] [--no-readme]
The JSON documents are kept in bench/out/lfw-view2-jitter<N>.json.
"""
import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import time

BEGIN = '<!-- eval-lfw:begin (bench/eval_lfw.py writes this table) -->'
END = '<!-- eval-lfw:end -->'
# dlib's own figures for the same weights (dlib examples/dnn_face_recognition_ex.cpp, LFW View 2).
DLIB = {1: 99.13, 100: 99.38}


def machine():
    cpu = '?'
    try:
        for line in open('/proc/cpuinfo'):
            if line.startswith('model name'):
                cpu = line.split(':', 1)[1].strip()
                break
    except OSError:
        pass
    return '%s x %d' % (cpu, os.cpu_count() or 0)


def commit():
    try:
        out = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], capture_output=True, text=True, check=True)
        dirty = subprocess.run(['git', 'status', '--porcelain', '--untracked-files=no'], capture_output=True,
                               text=True).stdout.strip()
        return out.stdout.strip() + ('+changes' if dirty else '')
    except (OSError, subprocess.CalledProcessError):
        return '?'


def parse_args(jitter_help):
    """The options of the eval-* benchmarks: BUILD [--shared DIR] [--jitter N] [--readme F] [--no-readme]."""
    ap = argparse.ArgumentParser()
    ap.add_argument('build')
    ap.add_argument('--shared', default=os.environ.get('CELEB_SHARED', '../shared'))
    ap.add_argument('--jitter', type=int, default=0, help=jitter_help)
    ap.add_argument('--readme', default='README.md')
    ap.add_argument('--no-readme', action='store_true')
    return ap.parse_args()


def write_readme(path, begin, end, text):
    """Replaces the README's text between the markers begin and end (both in text), or appends it."""
    readme = open(path).read()
    if begin in readme and end in readme:
        head, rest = readme.split(begin, 1)
        readme = head + text + rest.split(end, 1)[1]
    else:
        readme += '\n' + text + '\n'
    with open(path, 'w') as f:
        f.write(readme)


def run(build, lfw, jitter, out_dir):
    cmd = [os.path.join(build, 'celeb'), 'eval', '--json', '--pairs', os.path.join(lfw, 'pairs.txt')]
    if jitter > 1:
        cmd += ['--jitter', str(jitter)]
    cmd.append(os.path.join(lfw, 'images'))
    print('eval-lfw: ' + ' '.join(cmd), file=sys.stderr, flush=True)
    t0 = time.time()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    seconds = time.time() - t0
    if p.returncode != 0:
        sys.exit('eval-lfw: celeb eval failed with status %d' % p.returncode)
    doc = json.loads(p.stdout)
    doc['wall_seconds'] = seconds
    with open(os.path.join(out_dir, 'lfw-view2-jitter%d.json' % jitter), 'w') as f:
        json.dump(doc, f, indent=1)
    return doc


def row(doc, jitter, dlib):
    roc = doc['roc']
    allp = doc['roc_all_photo_pairs']
    no_face = doc['no_face_pairs']
    photos = ', '.join(sorted({os.path.basename(x['photo']) for x in doc['no_face']})) or 'none'
    return ('| %s | %d | **%.2f%% ± %.2f** | %.2f%% | %.1f%% / %.1f%% | %.1f%% / %.1f%% | %d (%s) | %.3f |'
            % ('1 (no jitter)' if jitter <= 1 else '%d jittered copies' % jitter, jitter,
               100 * doc['cv_accuracy'], 100 * doc['cv_stderr'], dlib,
               100 * roc['far_1e-3']['tar'], 100 * roc['far_1e-4']['tar'],
               100 * allp['far_1e-3']['tar'], 100 * allp['far_1e-4']['tar'], no_face, photos,
               doc['wall_seconds'] / doc['pairs']))


def table(docs):
    first = docs[0][1]
    lines = [BEGIN, '',
             'LFW View 2 (`make eval-lfw`, %s UTC, %s, commit %s): %d pairs in %d folds, %d photos; '
             'crop: dlib\'s face chip (150x150, padding 0.25) from our 68 landmarks; each side of a pair '
             'jittered alike.' % (datetime.datetime.utcnow().strftime('%Y-%m-%d %H:%M'), machine(), commit(),
                                   first['pairs'], first['folds'], first['photos']),
             '',
             '| descriptor | copies | accuracy ± standard error (LFW protocol) | dlib, same weights | '
             'TAR at FAR 1e-3 / 1e-4, the 6,000 pairs | TAR at FAR 1e-3 / 1e-4, every pair of the photos | '
             'pairs with no face (photos) | seconds per pair |',
             '|---|---|---|---|---|---|---|---|']
    for jitter, doc in docs:
        lines.append(row(doc, jitter, DLIB[1] if jitter <= 1 else DLIB[100]))
    allp = first['roc_all_photo_pairs']
    lines += ['',
              'With 3,000 different pairs the pairs\' FAR moves in steps of 3.3e-4, so their 1e-4 point is the '
              'largest threshold that accepts none; "every pair of the photos" compares all %d same-person and '
              '%d different-person pairs of the same photos. dlib\'s 99.38%% averages 100 jittered copies. '
              'Seconds per pair: the whole run (decoding, detection, landmarks, descriptors) over the pairs, '
              '2 threads.' % (allp['same_pairs'], allp['different_pairs']),
              '', END]
    return '\n'.join(lines)


def main():
    a = parse_args('copies of the jittered run (default: enrollment\'s)')
    lfw = os.path.join(a.shared, 'data', 'lfw')
    if not os.path.exists(os.path.join(lfw, 'pairs.txt')):
        sys.exit('eval-lfw: no %s/pairs.txt (LFW with its protocol files)' % lfw)
    jitter = a.jitter
    if jitter <= 0:   # enrollment's default, as `celeb enroll --help` states it
        h = subprocess.run([os.path.join(a.build, 'celeb'), 'enroll', '--help'], capture_output=True, text=True).stdout
        m = re.search(r'--jitter N.*?\(default (\d+)', h, re.S)
        jitter = int(m.group(1)) if m else 16
    out_dir = os.path.join('bench', 'out')
    os.makedirs(out_dir, exist_ok=True)
    docs = [(1, run(a.build, lfw, 1, out_dir)), (jitter, run(a.build, lfw, jitter, out_dir))]
    text = table(docs)
    print(text)
    if not a.no_readme:
        write_readme(a.readme, BEGIN, END, text)
        print('eval-lfw: the table is in %s' % a.readme, file=sys.stderr)


if __name__ == '__main__':
    main()
