#!/usr/bin/python3
"""End-to-end benchmark (issue 3): the whole `celeb detect` process against the
GIPHY-style PyTorch pipeline (../shared/peers/torch/giphy_pipeline.py, same weights).

    /usr/bin/python3 bench/e2e.py BUILD_DIR [--threads 1,2] [--runs 5] [--peer-repeats 3]
        [--shared DIR] [--no-peer] [--peer-python /usr/bin/python3] [--wait-idle 15] [GIF...]

Run by bench/run.sh (`make bench`; `bench/run.sh BUILD_DIR --only e2e` for this part alone).
Our gallery: ../shared/data/celebs enrolled once per binary into bench/out/e2e-gallery.db
(bench/out/e2e-gallery.db.stamp names the binary: path, mtime, size); the peer's gallery
cache: bench/out/e2e-torch-gallery.npz, built once by giphy_pipeline.py itself. Neither is
timed. A missing torch (or weights) skips the peer with a '# e2e_peer_skipped' line.
Before each timed part it waits up to --wait-idle s for the machine to be idle, and it
records how many CPUs other processes used while timing (the report warns above 0.25).

stdout: '# key value' lines (environment) and one 'e2e {json}' line per measurement,
read by bench/report.py; progress on stderr; the peer's own output in bench/out/e2e-peer.log.

WHAT EACH FIGURE MEASURES
  celeb: wall time of the whole process `celeb detect --gallery bench/out/e2e-gallery.db
    --threads T GIF` (default 20 sampled frames: decode, detect, landmarks, embed, identify,
    group, JSON out; process start, model loading and gallery opening included), from
    fork to exit, median of --runs runs after one untimed warm-up per GIF and thread count
    (the files are in the page cache and the nets' packed weights in their store,
    CELEB_CACHE=<a temporary folder of this run>, as for a user running it twice: see
    README, "Packed weights"). The runs of all GIFs and thread
    counts are interleaved so that a noisy spell on this shared machine spreads over all of
    them. Peak RSS: ru_maxrss of the child (os.wait4), the largest over the runs.
    Environment: the caller's, minus OMP_*/MALLOC_*/OPENBLAS_*/MKL_*/KMP_*/GOMP_*/DNNL_*/
    ONEDNN_*/LD_PRELOAD/APP_GIF_FRAMES, so nothing tunes it from outside.
  peer (torch): giphy_pipeline.py's own per-GIF 'total' (decode, sampling, detect,
    landmarks, crop, embed, identify, cluster): the median of --peer-repeats runs after one
    warm-up run, inside one process. It EXCLUDES its process start, `import torch`, model
    loading (and JIT tracing) and the gallery, which it reads from a cache built once
    (bench/out/e2e-torch-gallery.npz, ~50 s, not counted). So the comparison is biased
    in the peer's favour. Two configurations:
      default: as a user would run it: no options, the clean environment above, torch's
        default thread count (printed by the peer; 1 on this 2-vCPU VM, as torch takes
        half the hardware threads).
      tuned:   --jit --threads MAX (MAX = the largest of --threads, 2 by default) with
        MALLOC_MMAP_THRESHOLD_=1000000000 MALLOC_TRIM_THRESHOLD_=100000000000
        OPENBLAS_NUM_THREADS=1 (its README, section 3).
    Its peak RSS (whole process, model and gallery included) is reported for information.
  Pairs: ours at T threads against each peer configuration that ran with T threads.
  Targets: >= 10x the default run, >= 3x the tuned run, celeb peak RSS < 300 MB.
"""
import argparse
import hashlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, 'bench', 'out')
PY = '/usr/bin/python3'
TUNED_ENV = {'MALLOC_MMAP_THRESHOLD_': '1000000000', 'MALLOC_TRIM_THRESHOLD_': '100000000000',
             'OPENBLAS_NUM_THREADS': '1'}
STRIP = ('OMP_', 'MALLOC_', 'OPENBLAS_', 'MKL_', 'KMP_', 'GOMP_', 'DNNL_', 'ONEDNN_')
PEER_WEIGHTS = ('ssd_mobilenetv1_model', 'face_landmark_68_model', 'face_recognition_model')


def log(msg):
    print('e2e: ' + msg, file=sys.stderr, flush=True)


def clean_env(extra=None):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(STRIP) and k not in ('LD_PRELOAD', 'APP_GIF_FRAMES')}
    env.update(extra or {})
    return env


def busy_cpus():
    def rd():
        with open('/proc/stat') as f:
            v = [int(x) for x in f.readline().split()[1:9]]
        return sum(v), v[3] + v[4]
    t0, i0 = rd()
    time.sleep(0.5)
    t1, i1 = rd()
    return os.cpu_count() * (1 - (i1 - i0) / max(1, t1 - t0))


class OthersCpu:
    """How many CPUs other user-space processes kept busy during a window: the machine's user +
    system time (/proc/stat) minus kernel threads' (kworkers doing writeback or page freeing
    for anyone, ourselves included) and minus this process's and its reaped children's CPU
    time, over the wall time. Short-lived processes of others (compilers, tests) are counted."""

    def __init__(self):
        self.t0, self.b0, self.k0, self.s0 = time.perf_counter(), self._busy(), self._kthreads(), self._self()

    @staticmethod
    def _busy():
        with open('/proc/stat') as f:
            v = [int(x) for x in f.readline().split()[1:4]]  # user nice system
        return sum(v) / os.sysconf('SC_CLK_TCK')

    @staticmethod
    def _kthreads():
        out = {}
        for p in os.listdir('/proc'):
            if not p.isdigit():
                continue
            try:
                with open('/proc/%s/stat' % p) as f:
                    st = f.read()
            except OSError:
                continue
            f = st[st.rindex(')') + 2:].split()
            if int(f[6]) & 0x00200000:  # PF_KTHREAD
                out[st[:st.rindex(')')]] = (int(f[11]) + int(f[12])) / os.sysconf('SC_CLK_TCK')
        return out

    @staticmethod
    def _self():
        t = os.times()
        return t.user + t.system + t.children_user + t.children_system

    def cores(self):
        wall = time.perf_counter() - self.t0
        k1 = self._kthreads()
        kern = sum(max(0.0, v - self.k0.get(k, 0.0)) for k, v in k1.items())
        return max(0.0, (self._busy() - self.b0) - kern - (self._self() - self.s0)) / max(wall, 1e-3)


def wait_quiet(max_s, limit=0.3):
    """Waits up to max_s seconds for the machine to be idle (< limit busy CPUs over 0.5 s)."""
    t0 = time.perf_counter()
    b = busy_cpus()
    while b >= limit and time.perf_counter() - t0 < max_s:
        b = busy_cpus()
    return time.perf_counter() - t0


def loadavg():
    with open('/proc/loadavg') as f:
        return f.read().split()[0]


def run_child(argv, env, stdout_path, stderr_path, cwd=None):
    """Runs argv; returns (exit code, wall seconds, peak RSS in MB, user+sys CPU s) of that child."""
    with open(stdout_path, 'wb') as so, open(stderr_path, 'ab') as se:
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, env=env, stdout=so, stderr=se, cwd=cwd)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return p.returncode, wall, ru.ru_maxrss / 1024.0, ru.ru_utime + ru.ru_stime


def sha256(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for b in iter(lambda: f.read(1 << 20), b''):
            h.update(b)
    return h.hexdigest()


def emit(kind, **kv):
    print('e2e ' + json.dumps(dict(kind=kind, **kv), sort_keys=True), flush=True)


# ---- our gallery ----------------------------------------------------------------------------
def our_gallery(celeb, celebs_dir, path):
    """Enrolls celebs_dir into path once per binary: reused only while path.stamp names this
    very binary (path, mtime, size), since the descriptors depend on the code. Enrolls into a
    temporary file renamed at the end, so an interrupted enroll never leaves a partial gallery
    that would be reused."""
    st = os.stat(celeb)
    stamp = '%s %d %d %s\n' % (celeb, st.st_mtime_ns, st.st_size, celebs_dir)
    try:
        with open(path + '.stamp') as f:
            if f.read() == stamp and os.path.exists(path):
                return 'reused'
    except OSError:
        pass
    tmp = path + '.tmp'
    for suffix in ('', '-wal', '-shm', '-journal'):
        if os.path.exists(tmp + suffix):
            os.remove(tmp + suffix)
    log('enrolling %s into %s (once per binary, not timed, ~1 min)' % (celebs_dir, path))
    t0 = time.perf_counter()
    with open(os.path.join(OUT, 'e2e-enroll.log'), 'wb') as lf:
        r = subprocess.run([celeb, 'enroll', '--gallery', tmp, celebs_dir], env=clean_env(),
                           stdout=lf, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        raise RuntimeError('celeb enroll failed (exit %d), see bench/out/e2e-enroll.log' % r.returncode)
    for suffix in ('-wal', '-shm'):
        if os.path.exists(tmp + suffix):
            raise RuntimeError('celeb enroll left %s behind' % (tmp + suffix))
    if os.path.exists(path + '.stamp'):
        os.remove(path + '.stamp')
    os.replace(tmp, path)
    with open(path + '.stamp', 'w') as f:
        f.write(stamp)
    return 'enrolled in %.0f s' % (time.perf_counter() - t0)


def persons_summary(doc):
    out = []
    for p in doc.get('persons', []):
        n = len(p.get('appearances', []))
        if p.get('known'):
            out.append('%s (%d faces, d %.2f)' % (p['name'], n, p.get('distance', 0)))
        else:
            c = (p.get('candidates') or [{}])[0]
            out.append('unknown (%d faces, closest %s %.2f)' % (n, c.get('name', '-'), c.get('distance', 0)))
    return out


# ---- ours ------------------------------------------------------------------------------------
def bench_ours(celeb, gallery, gifs, threads, runs, tmp, wait_s):
    # The nets' packed weights (src/nn/store.h) in a folder of this run's,
    # made by the warm-up runs, as a user's ~/.cache/celeb after a first run.
    cache = os.path.join(tmp, 'cache')
    env = clean_env({'CELEB_CACHE': cache})
    res = {(g, t): {'wall': [], 'rss': [], 'cpu': [], 'inproc': [], 'doc': None, 'fail': None}
           for g in gifs for t in threads}
    so, se = os.path.join(tmp, 'out.json'), os.path.join(OUT, 'e2e-celeb.log')
    open(se, 'w').close()

    def once(g, t):
        rc, wall, rss, cpu = run_child([celeb, 'detect', '--gallery', gallery, '--threads', str(t), g],
                                       env, so, se)
        with open(so) as f:
            text = f.read()
        try:
            doc = json.loads(text.splitlines()[0])
        except (ValueError, IndexError):
            doc = None
        if rc != 0 or doc is None or 'error' in doc:
            return None, 'exit %d: %s' % (rc, (text or 'no output').strip()[:200])
        return (wall, rss, cpu, doc), None

    for g in gifs:  # warm-up: page cache, the nets' stores (one per thread count)
        for t in threads:
            once(g, t)
    others, waited = [], 0.0
    for r in range(runs):
        waited += wait_quiet(wait_s)
        window = OthersCpu()
        for g in gifs:
            for t in threads:
                x = res[(g, t)]
                if x['fail']:
                    continue
                m, err = once(g, t)
                if err:
                    x['fail'] = err
                    log('celeb FAILED on %s --threads %d: %s' % (g, t, err))
                    continue
                wall, rss, cpu, doc = m
                x['wall'].append(wall * 1000)
                x['rss'].append(rss)
                x['cpu'].append(cpu * 1000)
                x['inproc'].append(doc.get('timing_ms', {}).get('total', 0))
                x['doc'] = doc
        others.append(window.cores())
        log('celeb run %d/%d done (other processes used %.2f CPUs)' % (r + 1, runs, others[-1]))
    print('# e2e_others_cpu_celeb %.2f (per run: %s; waited %.0f s for quiet)' % (
        statistics.mean(others), ' '.join('%.2f' % o for o in others), waited), flush=True)
    failures = sum(1 for x in res.values() if x['fail'])
    for (g, t), x in res.items():
        if x['fail'] and not x['wall']:
            emit('celeb', gif=os.path.basename(g), threads=t, error=x['fail'])
            continue
        doc = x['doc']
        emit('celeb', gif=os.path.basename(g), threads=t, ms=round(statistics.median(x['wall']), 1),
             ms_runs=[round(v) for v in x['wall']], rss_mb=round(max(x['rss']), 1),
             cpu_ms=round(statistics.median(x['cpu'])), inproc_ms=statistics.median(x['inproc']),
             frames=len(doc['media'].get('sampled', [])), faces=sum(len(p.get('appearances', []))
                                                                   for p in doc.get('persons', [])),
             named=persons_summary(doc), error=x['fail'])
    return failures


# ---- the torch peer ----------------------------------------------------------------------------
def parse_peer(text):
    """giphy_pipeline.py's stdout -> (torch threads, model load s, {gif: {...}})."""
    m = re.search(r'^torch \S+, threads (\d+)', text, re.M)
    threads = int(m.group(1)) if m else None
    m = re.search(r'^model load ([\d.]+) s', text, re.M)
    load = float(m.group(1)) if m else None
    gifs, cur = {}, None
    for line in text.splitlines():
        m = re.match(r'^== (\S+)\s+(\{.*\})', line)
        if m:
            cur = gifs.setdefault(m.group(1), {'meta': json.loads(m.group(2)), 'clusters': []})
            continue
        if cur is None:
            continue
        m = re.match(r'^stage ms \(median of (\d+)[^)]*\): (.*)$', line)
        if m:
            kv = re.findall(r'(\w+) ([\d.]+)', m.group(2))
            cur['stages'] = {k: float(v) for k, v in kv}
            cur['repeats'] = int(m.group(1))
            continue
        m = re.match(r'^\s+cluster of (\d+) faces: is_known=([\d.]+)\s+top5=(\S+) ([\d.]+)', line)
        if m:
            cur['clusters'].append('%s %s (%s faces, is_known %.2f)' % (
                m.group(3), m.group(4), m.group(1), float(m.group(2))))
    return threads, load, gifs


def peer_ready():
    """(result, None) if /usr/bin/python3 (--peer-python) has the peer's modules, else (None, why not)."""
    r = subprocess.run([PY, '-c', 'import torch, numpy, sklearn, PIL'], capture_output=True, text=True)
    if r.returncode != 0:
        return None, 'torch peer skipped: %s cannot import torch/numpy/sklearn/PIL (%s); ' \
            'install with: apt-get install python3-torch python3-numpy python3-sklearn python3-pil' % (
                PY, (r.stderr.strip().splitlines() or ['?'])[-1])
    return r, None


def peer_weights(to_dir):
    """The folder the peer reads its weights from: its own (../faceapi's node_modules), else ours,
    which holds the same files (npm pack @vladmandic/face-api@1.7.15, checked by
    scripts/models.sha256). Returns (extra env, description) or (None, why not)."""
    own = os.path.join(to_dir, '..', 'faceapi', 'node_modules', '@vladmandic', 'face-api', 'model')
    ours = os.path.join(ROOT, 'models')
    files = [n + s for n in PEER_WEIGHTS for s in ('.bin', '-weights_manifest.json')]
    if os.environ.get('FACEAPI_MODEL_DIR'):
        d = os.environ['FACEAPI_MODEL_DIR']
        return {'FACEAPI_MODEL_DIR': d}, 'FACEAPI_MODEL_DIR=%s (from the environment)' % d
    if all(os.path.exists(os.path.join(own, f)) for f in files):
        same = all(os.path.exists(os.path.join(ours, f)) and
                   sha256(os.path.join(own, f)) == sha256(os.path.join(ours, f)) for f in files)
        return {}, 'its own (%s), %s ours' % (os.path.normpath(own), 'identical to' if same else 'DIFFERENT from')
    if all(os.path.exists(os.path.join(ours, f)) for f in files):
        return {'FACEAPI_MODEL_DIR': ours}, ('FACEAPI_MODEL_DIR=%s: ours, the same face-api 1.7.15 files '
                                             '(its ../faceapi/node_modules is not installed)' % ours)
    return None, 'torch peer skipped: no weights (neither %s nor %s)' % (own, ours)


def peer_gallery(to_dir, celebs_dir, cache, wenv, tmp):
    """Builds giphy_pipeline.py's gallery cache once with its own code (--gallery-cache on a
    1-frame run); reused while newer than the peer's scripts."""
    scripts = [os.path.join(to_dir, f) for f in ('giphy_pipeline.py', 'faceapi_torch.py')]
    if os.path.exists(cache) and all(os.path.getmtime(cache) > os.path.getmtime(s) for s in scripts):
        return 'reused'
    t0 = time.perf_counter()
    log('building the torch peer gallery cache %s (~50 s, once, not timed)' % cache)
    part = os.path.join(OUT, '.e2e-torch-gallery.part.npz')
    if os.path.exists(part):
        os.remove(part)
    env = clean_env(dict(TUNED_ENV, **wenv))
    rc, _, _, _ = run_child([PY, os.path.join(to_dir, 'giphy_pipeline.py'), '--gallery', celebs_dir,
                             '--gallery-cache', part, '--frames', '1', '--repeats', '1', '--threads', '2',
                             os.path.join(os.path.dirname(celebs_dir), 'media', 'giphy_video.gif')],
                            env, os.path.join(tmp, 'gallery.out'), os.path.join(OUT, 'e2e-peer.log'))
    if rc != 0 or not os.path.exists(part):
        raise RuntimeError('gallery build failed (exit %d), see bench/out/e2e-peer.log' % rc)
    os.replace(part, cache)
    return 'built in %.0f s' % (time.perf_counter() - t0)


def bench_peer(to_dir, celebs_dir, gifs, max_threads, repeats, tmp, wait_s):
    _, why = peer_ready()
    if why:
        return why
    wenv, wdesc = peer_weights(to_dir)
    if wenv is None:
        return wdesc
    print('# e2e_peer_weights %s' % wdesc, flush=True)
    cache = os.path.join(OUT, 'e2e-torch-gallery.npz')
    try:
        how = peer_gallery(to_dir, celebs_dir, cache, wenv, tmp)
    except RuntimeError as e:
        return 'torch peer skipped: %s' % e
    print('# e2e_peer_gallery %s (%s)' % (os.path.relpath(cache, ROOT), how), flush=True)
    configs = [
        ('default', [], clean_env(wenv)),
        ('tuned', ['--jit', '--threads', str(max_threads)], clean_env(dict(TUNED_ENV, **wenv))),
    ]
    failed = []
    for name, opts, env in configs:
        argv = [PY, os.path.join(to_dir, 'giphy_pipeline.py'), '--gallery', celebs_dir,
                '--gallery-cache', cache, '--repeats', str(repeats)] + opts + gifs
        log('torch peer, %s: %s' % (name, ' '.join(opts) or '(no options)'))
        outp = os.path.join(tmp, 'peer-%s.out' % name)
        with open(os.path.join(OUT, 'e2e-peer.log'), 'a') as lf:
            lf.write('\n==== %s: %s %s\n' % (name, ' '.join('%s=%s' % kv for kv in sorted(env.items())
                                                           if kv[0] in TUNED_ENV), ' '.join(argv)))
        waited = wait_quiet(wait_s)
        window = OthersCpu()
        rc, wall, rss, cpu = run_child(argv, env, outp, os.path.join(OUT, 'e2e-peer.log'))
        print('# e2e_others_cpu_peer_%s %.2f (waited %.0f s for quiet)' % (name, window.cores(), waited), flush=True)
        with open(outp) as f:
            text = f.read()
        with open(os.path.join(OUT, 'e2e-peer.log'), 'a') as lf:
            lf.write(text)
        threads, load, res = parse_peer(text)
        desc = '%s%s' % ('giphy_pipeline.py ' + ' '.join(opts) if opts else 'giphy_pipeline.py',
                         ' +malloc env' if name == 'tuned' else '')
        for g in gifs:
            b = os.path.basename(g)
            r = res.get(b)
            if rc != 0 or not r or 'stages' not in r:
                emit('peer', config=name, gif=b, threads=threads, error='exit %d, see bench/out/e2e-peer.log' % rc)
                failed.append(name)
                continue
            emit('peer', config=name, desc=desc, gif=b, threads=threads, ms=r['stages']['total'],
                 stages=r['stages'], repeats=r['repeats'], rss_mb=round(rss, 1), model_load_s=load,
                 process_s=round(wall, 1), cpu_s=round(cpu, 1), frames=r['meta'].get('frames_sampled'),
                 faces=r['meta'].get('faces'), named=r['clusters'])
        log('torch peer, %s: %.0f s, torch threads %s' % (name, wall, threads))
    return 'torch peer failed: %s' % ','.join(sorted(set(failed))) if failed else None


def main():
    global PY
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('build')
    ap.add_argument('gifs', nargs='*')
    ap.add_argument('--threads', default='1,2')
    ap.add_argument('--runs', type=int, default=5, help='timed celeb runs per GIF and thread count')
    ap.add_argument('--peer-repeats', type=int, default=3, help="giphy_pipeline.py --repeats (its default)")
    ap.add_argument('--shared', default=os.environ.get('CELEB_SHARED', os.path.join(ROOT, '..', 'shared')))
    ap.add_argument('--no-peer', action='store_true')
    ap.add_argument('--peer-python', default='/usr/bin/python3', help='the interpreter with torch (default %(default)s, Debian)')
    ap.add_argument('--wait-idle', type=float, default=15,
                    help='before each celeb round and each peer run, wait up to this many seconds '
                         'for the machine to be idle (default 15)')
    a = ap.parse_args()
    PY = a.peer_python
    shared = os.path.abspath(a.shared)
    celeb = os.path.abspath(os.path.join(a.build, 'celeb'))
    celebs_dir = os.path.join(shared, 'data', 'celebs')
    gifs = [os.path.abspath(g) for g in a.gifs] or [
        os.path.join(shared, 'data', 'media', 'giphy_video.gif'),
        os.path.join(shared, 'data', 'media', 'dlib_elon-musk-smoke.gif')]
    threads = [int(t) for t in a.threads.split(',')]
    to_dir = os.path.join(shared, 'peers', 'torch')
    os.makedirs(OUT, exist_ok=True)
    open(os.path.join(OUT, 'e2e-peer.log'), 'w').close()
    if not os.access(celeb, os.X_OK):
        sys.exit('e2e: no binary %s (make BUILD=... first)' % celeb)
    t_start = time.perf_counter()
    print('# date %s' % time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()))
    with open('/proc/cpuinfo') as f:
        cpu = next((l.split(':', 1)[1].strip() for l in f if l.startswith('model name')), '?')
    print('# cpu %s x %d' % (cpu, os.cpu_count()))
    print('# e2e_load_before busy_cpus=%.2f loadavg1=%s' % (busy_cpus(), loadavg()), flush=True)
    rc = 0
    with tempfile.TemporaryDirectory() as tmp:
        gallery = os.path.join(OUT, 'e2e-gallery.db')
        try:
            how = our_gallery(celeb, celebs_dir, gallery)
        except RuntimeError as e:
            print('# e2e_error %s' % e)
            log(str(e))
            return 1
        print('# e2e_celeb %s, gallery %s (%s)' % (os.path.relpath(celeb, ROOT), os.path.relpath(gallery, ROOT), how),
              flush=True)
        t0 = time.perf_counter()
        if bench_ours(celeb, gallery, gifs, threads, a.runs, tmp, a.wait_idle):
            rc = 1
        print('# e2e_celeb_runs %d per GIF and thread count, %.0f s' % (a.runs, time.perf_counter() - t0), flush=True)
        if a.no_peer:
            print('# e2e_peer_skipped torch peer skipped: --no-peer')
        else:
            t0 = time.perf_counter()
            why = bench_peer(to_dir, celebs_dir, gifs, max(threads), a.peer_repeats, tmp, a.wait_idle)
            if why:
                print('# e2e_peer_skipped %s' % why)
                log(why)
                rc = 0 if 'skipped' in why else 1
            print('# e2e_peer_time %.0f s' % (time.perf_counter() - t0))
    print('# e2e_load_after busy_cpus=%.2f loadavg1=%s' % (busy_cpus(), loadavg()))
    print('# e2e_took %.0f s' % (time.perf_counter() - t_start))
    return rc


if __name__ == '__main__':
    sys.exit(main())
