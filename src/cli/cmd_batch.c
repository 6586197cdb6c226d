/* cmd_batch.c - `celeb batch`: a manifest of media in, one JSON line per
 * item out (the celeb.detect/1 document plus "id", or an error record).
 *
 * Front end only: arguments, the output file (--resume: src/batch/resume),
 * shard and resume selection, the progress display and signals. The work
 * is src/batch/runner: --jobs workers, each with its own context and one
 * OpenMP thread. Exit status: 0 when every selected item has a line (item
 * errors included: they are counted in the summary), 1 when the output
 * cannot be written, the manifest cannot be read or the models cannot be
 * loaded, 2 on bad usage, 130 when stopped by SIGINT/SIGTERM (the lines
 * written are whole; --resume goes on from there). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batch/manifest.h"
#include "batch/output.h"
#include "batch/resume.h"
#include "batch/runner.h"
#include "batch/shard.h"
#include "celeb.h"
#include "cli_common.h"
#include "commands.h"
#include "core/clock.h"

static void batch_usage(FILE *out)
{
    fprintf(out,
            "usage: celeb batch [OPTIONS] [MANIFEST|-]\n"
            "\n"
            "Runs `celeb detect` over a manifest (a file, or stdin when - or absent): one path\n"
            "or http(s) URL a line, or JSON lines {\"id\": ..., \"source\": ...}; blank lines and\n"
            "#comments are skipped, a repeated id is done once. Writes one JSON line per item:\n"
            "the celeb.detect/1 document plus \"id\", or {\"id\", \"source\", \"error\": {code, message}}.\n"
            "\n"
            "options:\n"
            "  --gallery FILE      gallery (default $CELEB_GALLERY, else ~/.local/share/celeb/gallery.db)\n"
            "  --out FILE          write the lines to FILE (default stdout); replaced unless --resume\n"
            "  --resume            keep FILE's complete lines, skip their ids, append the rest\n"
            "  --jobs N            worker threads, each with its own models (default: one per core)\n"
            "  --threads N         OpenMP threads per worker (default 1)\n"
            "  --shard i/N         only the items whose id hashes (FNV-1a 64) to i mod N\n"
            "  --frames N|all      frames sampled per file (default 20)\n"
            "  --models DIR        model folder\n"
            "  --max-download N    largest URL download in bytes (default 50 MB)\n"
            "  --quiet             no progress, no summary\n");
}

/* One progress report: in place on a terminal, else a plain line. */
static void show_progress(const batch_stats *s, double elapsed, int tty)
{
    double rate = elapsed > 0 ? (double)s->done / elapsed : 0;
    double eta = rate > 0 ? (double)(s->total - s->done) / rate : 0;
    if (tty) {
        char bar[31];
        int fill = s->total ? (int)(30 * s->done / s->total) : 30;
        for (int i = 0; i < 30; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[30] = '\0';
        char eta_s[32] = "--:--";
        if (rate > 0)
            snprintf(eta_s, sizeof eta_s, "%d:%02d", (int)eta / 60, (int)eta % 60);
        fprintf(stderr, "\r[%s] %zu/%zu  %.2f items/s  %zu faces  %zu errors  ETA %s\033[K", bar, s->done,
                s->total, rate, s->faces, s->errors, eta_s);
    } else {
        fprintf(stderr, "celeb batch: %zu/%zu items, %.2f items/s, %zu faces, %zu errors, ETA %.0f s\n",
                s->done, s->total, rate, s->faces, s->errors, eta);
    }
    fflush(stderr);
}

static int open_output(const char *path, int resume)
{
    int flags = O_CREAT | O_APPEND | O_CLOEXEC | (resume ? O_RDWR : O_WRONLY | O_TRUNC);
    return open(path, flags, 0644);
}

int cmd_batch(int argc, char **argv)
{
    batch_runner_options ro = {.celeb = {.detector = FACE_DETECTOR_BOTH, .threads = 1}, .out_fd = 1};
    const char *gallery_arg = NULL, *out_path = NULL;
    uint32_t shard_i = 0, shard_n = 1;
    int resume = 0, quiet = 0;
    long jobs = sysconf(_SC_NPROCESSORS_ONLN);
    static const struct option opts[] = {
        {"gallery", required_argument, 0, 'g'}, {"out", required_argument, 0, 'o'},
        {"jobs", required_argument, 0, 'j'},    {"threads", required_argument, 0, 't'},
        {"shard", required_argument, 0, 's'},   {"resume", no_argument, 0, 'r'},
        {"frames", required_argument, 0, 'f'},  {"models", required_argument, 0, 'm'},
        {"max-download", required_argument, 0, 'x'}, {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},          {0, 0, 0, 0}};
    int c;
    char *end;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'g': gallery_arg = optarg; break;
        case 'o': out_path = optarg; break;
        case 'r': resume = 1; break;
        case 'q': quiet = 1; break;
        case 'm': ro.celeb.model_dir = optarg; break;
        case 'x': ro.limits.max_bytes = (size_t)strtoull(optarg, NULL, 10); break;
        case 'j':
        case 't': {
            long v = strtol(optarg, &end, 10);
            if (*end || end == optarg || v < 1 || v > 1024) {
                fprintf(stderr, "celeb batch: --%s takes a number from 1 to 1024\n", c == 'j' ? "jobs" : "threads");
                return 2;
            }
            if (c == 'j')
                jobs = v;
            else
                ro.celeb.threads = (int)v;
            break;
        }
        case 's':
            if (batch_shard_parse(optarg, &shard_i, &shard_n) < 0) {
                fprintf(stderr, "celeb batch: --shard takes i/N with 0 <= i < N\n");
                return 2;
            }
            break;
        case 'f':
            if (cli_parse_frames("batch", optarg, &ro.celeb) < 0)
                return 2;
            break;
        case 'h': batch_usage(stdout); return 0;
        default: batch_usage(stderr); return 2;
        }
    }
    if (argc - optind > 1) {
        fprintf(stderr, "celeb batch: one manifest at most\n");
        batch_usage(stderr);
        return 2;
    }
    if (resume && !out_path) {
        fprintf(stderr, "celeb batch: --resume needs --out FILE\n");
        return 2;
    }
    if (jobs < 1)
        jobs = 1;
    const char *manifest_path = optind < argc ? argv[optind] : "-";
    if (cli_check_gallery("batch", gallery_arg, cli_gallery_path(gallery_arg)) < 0)
        return 2;

    celeb_error err = {0};
    batch_manifest m;
    if (batch_manifest_read(manifest_path, &m, &err) < 0) {
        fprintf(stderr, "celeb batch: %s\n", err.message);
        return 1;
    }
    if (out_path && (ro.out_fd = open_output(out_path, resume)) < 0) {
        fprintf(stderr, "celeb batch: cannot open %s: %s\n", out_path, strerror(errno));
        batch_manifest_free(&m);
        return 1;
    }
    batch_resume done = {0};
    if (resume && batch_resume_fd(ro.out_fd, &done, &err) < 0) {
        fprintf(stderr, "celeb batch: %s: %s\n", out_path, err.message);
        close(ro.out_fd);
        batch_manifest_free(&m);
        return 1;
    }
    if (resume && !quiet)
        fprintf(stderr, "celeb batch: resuming %s: %zu lines kept%s\n", out_path, done.lines,
                done.dropped_bytes ? ", an incomplete last line cut off" : "");

    const batch_item **sel = malloc((m.count ? m.count : 1) * sizeof *sel);
    if (!sel) {
        fprintf(stderr, "celeb batch: out of memory\n");
        batch_resume_free(&done);
        batch_manifest_free(&m);
        return 1;
    }
    size_t n = 0, other_shards = 0, already = 0;
    for (size_t i = 0; i < m.count; i++) {
        if (!batch_in_shard(m.items[i].id, shard_i, shard_n))
            other_shards++;
        else if (batch_idset_has(&done.done, m.items[i].id))
            already++;
        else
            sel[n++] = &m.items[i];
    }
    batch_resume_free(&done);

    ro.jobs = (int)((size_t)jobs < n ? (size_t)jobs : n ? n : 1);
    ro.celeb.gallery = cli_gallery_path(gallery_arg);

    volatile sig_atomic_t *stop_requested = cli_catch_stop_signals();   /* stop taking new items */

    int tty = isatty(2), status = 0;
    double t0 = clock_s(), last = t0;
    batch_stats s = {.total = n};
    if (n) {
        batch_runner *r;
        if (batch_runner_start(&ro, sel, n, &r, &err) < 0) {
            fprintf(stderr, "celeb batch: %s\n", err.message);
            status = 1;
        } else {
            int stopping = 0;
            while (!batch_runner_finished(r)) {
                nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
                if (*stop_requested && !stopping) {
                    stopping = 1;
                    batch_runner_stop(r);
                    if (!quiet)
                        fprintf(stderr, "%sceleb batch: stopping after the items in progress\n", tty ? "\n" : "");
                }
                double t = clock_s();
                if (!quiet && (tty ? t - last >= 0.2 : t - last >= 5.0)) {
                    batch_runner_stats(r, &s);
                    show_progress(&s, t - t0, tty);
                    last = t;
                }
            }
            batch_runner_stats(r, &s);
            if (batch_runner_join(r, &err) != 0) {
                fprintf(stderr, "%sceleb batch: %s\n", tty && !quiet ? "\n" : "", err.message);
                status = 1;
            } else if (stopping) {
                status = 130;
            }
            if (!quiet && tty)
                show_progress(&s, clock_s() - t0, tty), fputc('\n', stderr);
        }
    }
    double secs = clock_s() - t0;
    if (!quiet)
        fprintf(stderr,
                "celeb batch: %zu items, %zu ok, %zu errors, %zu faces, %.1f s, %.2f items/s"
                " (skipped: %zu other shards, %zu already done, %zu repeated ids)\n",
                s.done, s.ok, s.errors, s.faces, secs, secs > 0 ? (double)s.done / secs : 0.0, other_shards,
                already, m.duplicates);
    if (status == 0 && s.done != n)
        status = 1;
    if (out_path && close(ro.out_fd) < 0 && status == 0) {
        fprintf(stderr, "celeb batch: %s: %s\n", out_path, strerror(errno));
        status = 1;
    }
    free(sel);
    batch_manifest_free(&m);
    return status;
}
