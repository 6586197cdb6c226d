#!/usr/bin/python3
"""Catalog benchmark (issue 5): `celeb batch` items/s on the dev media with 1 and 2 jobs, and
the per-item overhead of the Redis worker path (`celeb enqueue` + `celeb worker`) against it.

    /usr/bin/python3 bench/batch.py BUILD_DIR [--jobs 1,2] [--runs 3] [--shared DIR] [--wait-idle 15]

Run by bench/run.sh (`make bench`; `bench/run.sh BUILD_DIR --only batch` for this part alone).
The gallery is bench/e2e.py's (../shared/data/celebs enrolled once per binary). A
redis-server from Debian runs on 127.0.0.1 with a free port for the run, without persistence.

stdout: '# key value' lines and one 'batch {json}' line per measurement (bench/report.py).

WHAT EACH FIGURE MEASURES
  manifest: every file of ../shared/data/media (42 images, GIFs and videos), ids = paths.
  batch J: wall time of the whole process `celeb batch --jobs J --gallery G --out F MANIFEST`
    (process start, J model loads, every item, the summary), median of --runs runs after one
    untimed warm-up; items/s = items / wall.
  worker J: the same items enqueued (`celeb enqueue`, not timed) into a fresh stream, then J
    `celeb worker --threads 1 --exit-when-empty` processes started together; wall time from
    the first start to the last exit. Each worker reports the seconds it spent processing
    items, in the queue's own work (Redis calls, the result's JSON) and idle (nothing to
    take: at the end, one worker waits for the other's last item).
  overhead: worker wall / batch wall - 1 at the same J (target < 5%), and, measured
    inside the workers, the queue's seconds per item, which is the Redis path's own cost
    without the run-to-run noise of a shared machine.
  The runs of batch and worker alternate, so a noisy spell spreads over both.
"""
import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import OUT, ROOT, OthersCpu, busy_cpus, clean_env, loadavg, our_gallery, run_child, wait_quiet  # noqa: E402


def log(msg):
    print('batch: ' + msg, file=sys.stderr, flush=True)


def emit(kind, **kv):
    print('batch ' + json.dumps(dict(kind=kind, **kv), sort_keys=True), flush=True)


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Redis:
    """A private redis-server on 127.0.0.1 for the benchmark's lifetime."""

    def __init__(self, tmp):
        self.port = free_port()
        self.log = open(os.path.join(OUT, 'batch-redis.log'), 'w')
        self.p = subprocess.Popen(['redis-server', '--bind', '127.0.0.1', '--port', str(self.port),
                                   '--save', '', '--appendonly', 'no', '--dir', tmp],
                                  stdout=self.log, stderr=subprocess.STDOUT)
        self.url = 'redis://127.0.0.1:%d' % self.port
        for _ in range(100):
            if self.cli('PING').strip() == 'PONG':
                return
            time.sleep(0.1)
        raise RuntimeError('redis-server did not start, see bench/out/batch-redis.log')

    def cli(self, *args):
        r = subprocess.run(['redis-cli', '-p', str(self.port)] + list(args), capture_output=True, text=True)
        return r.stdout

    def stop(self):
        self.cli('SHUTDOWN', 'NOSAVE')
        try:
            self.p.wait(10)
        except subprocess.TimeoutExpired:
            self.p.kill()
        self.log.close()


def run_batch(celeb, gallery, manifest, jobs, tmp):
    out = os.path.join(tmp, 'batch.jsonl')
    if os.path.exists(out):
        os.remove(out)
    rc, wall, _, _ = run_child([celeb, 'batch', '--quiet', '--jobs', str(jobs), '--gallery', gallery, '--out', out,
                                manifest], clean_env(), os.devnull, os.path.join(OUT, 'batch-celeb.log'))
    with open(out) as f:
        lines = sum(1 for _ in f)
    return rc, wall, lines


def run_workers(celeb, gallery, manifest, jobs, redis, stream):
    env = clean_env()
    logf = os.path.join(OUT, 'batch-celeb.log')
    with open(logf, 'ab') as lf:
        r = subprocess.run([celeb, 'enqueue', '--redis', redis.url, '--stream', stream, manifest], env=env,
                           stdout=lf, stderr=lf)
    if r.returncode != 0:
        raise RuntimeError('celeb enqueue failed (exit %d), see bench/out/batch-celeb.log' % r.returncode)
    errs = [os.path.join(OUT, '.worker%d.err' % k) for k in range(jobs)]
    t0 = time.perf_counter()
    procs = [subprocess.Popen([celeb, 'worker', '--quiet', '--redis', redis.url, '--stream', stream, '--group', 'g',
                               '--consumer', 'w%d' % k, '--gallery', gallery, '--threads', '1', '--exit-when-empty'],
                              env=env, stdout=subprocess.DEVNULL, stderr=open(errs[k], 'w'))
             for k in range(jobs)]
    rcs = [p.wait() for p in procs]
    wall = time.perf_counter() - t0
    work = queue = 0.0
    for e in errs:
        with open(e) as f:
            text = f.read()
        with open(logf, 'a') as lf:
            lf.write(text)
        m = re.search(r'([\d.]+) s processing, ([\d.]+) s in the queue, ([\d.]+) s idle', text)
        if m:
            work += float(m.group(1))
            queue += float(m.group(2))
    done = int(redis.cli('HLEN', stream + ':results') or 0) + int(redis.cli('XLEN', stream + ':dead') or 0)
    return max(rcs), wall, done, work, queue


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('build')
    ap.add_argument('--jobs', default='1,2')
    ap.add_argument('--runs', type=int, default=3)
    ap.add_argument('--shared', default=os.environ.get('CELEB_SHARED', os.path.join(ROOT, '..', 'shared')))
    ap.add_argument('--wait-idle', type=float, default=15)
    a = ap.parse_args()
    shared = os.path.abspath(a.shared)
    celeb = os.path.abspath(os.path.join(a.build, 'celeb'))
    media = os.path.join(shared, 'data', 'media')
    jobs = [int(j) for j in a.jobs.split(',')]
    os.makedirs(OUT, exist_ok=True)
    open(os.path.join(OUT, 'batch-celeb.log'), 'w').close()
    t_start = time.perf_counter()
    print('# date %s' % time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()))
    print('# batch_load_before busy_cpus=%.2f loadavg1=%s' % (busy_cpus(), loadavg()), flush=True)
    gallery = os.path.join(OUT, 'e2e-gallery.db')
    try:
        how = our_gallery(celeb, os.path.join(shared, 'data', 'celebs'), gallery)
    except RuntimeError as e:
        print('# batch_error %s' % e)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        manifest = os.path.join(tmp, 'manifest.txt')
        files = sorted(os.path.join(media, f) for f in os.listdir(media))
        with open(manifest, 'w') as f:
            f.write(''.join(p + '\n' for p in files))
        print('# batch_manifest %d files of %s; gallery %s (%s)' % (
            len(files), os.path.relpath(media, ROOT), os.path.relpath(gallery, ROOT), how), flush=True)
        try:
            redis = Redis(tmp)
        except (OSError, RuntimeError) as e:
            print('# batch_error redis-server: %s' % e)
            return 1
        rc = 0
        try:
            run_batch(celeb, gallery, manifest, jobs[0], tmp)   # warm-up: page cache
            res = {(k, j): [] for k in ('batch', 'worker') for j in jobs}
            others, stream_no = [], 0
            for r in range(a.runs):
                wait_quiet(a.wait_idle)
                window = OthersCpu()
                for j in jobs:
                    brc, wall, lines = run_batch(celeb, gallery, manifest, j, tmp)
                    if brc != 0 or lines != len(files):
                        log('celeb batch --jobs %d: exit %d, %d lines of %d' % (j, brc, lines, len(files)))
                        rc = 1
                    res[('batch', j)].append({'wall': wall})
                    stream_no += 1
                    wrc, wall, done, work, queue = run_workers(celeb, gallery, manifest, j, redis, 's%d' % stream_no)
                    if wrc != 0 or done != len(files):
                        log('celeb worker x%d: exit %d, %d outcomes of %d' % (j, wrc, done, len(files)))
                        rc = 1
                    res[('worker', j)].append({'wall': wall, 'work': work, 'queue': queue})
                others.append(window.cores())
                log('run %d/%d done (other processes used %.2f CPUs)' % (r + 1, a.runs, others[-1]))
            print('# batch_others_cpu %.2f (per run: %s)' % (statistics.mean(others),
                                                              ' '.join('%.2f' % o for o in others)), flush=True)
            n = len(files)
            for (kind, j), runs in res.items():
                wall = statistics.median(x['wall'] for x in runs)
                extra = {}
                if kind == 'worker':
                    extra = dict(work_s=round(statistics.median(x['work'] for x in runs), 3),
                                 queue_ms_per_item=round(1000 * statistics.median(x['queue'] for x in runs) / n, 2))
                emit(kind, jobs=j, items=n, wall_s=round(wall, 3), wall_runs=[round(x['wall'], 2) for x in runs],
                     items_per_s=round(n / wall, 3), **extra)
        finally:
            redis.stop()
    print('# batch_load_after busy_cpus=%.2f loadavg1=%s' % (busy_cpus(), loadavg()))
    print('# batch_took %.0f s' % (time.perf_counter() - t_start))
    return rc


if __name__ == '__main__':
    sys.exit(main())
