/* cmd_queue.c - `celeb enqueue` and `celeb worker`: the Redis Streams
 * front ends (arguments, signals, exit status). The work is src/queue:
 * rstream (Redis) and rworker (the consumer loop).
 *
 * enqueue: 0 when every item was added, 1 on a Redis or manifest error, 2 on
 * bad usage. worker: 0 when stopped by SIGTERM/SIGINT (after finishing and
 * acking the current item) or drained (--exit-when-empty), 1 when Redis is
 * lost or the models cannot be loaded, 2 on bad usage. --stats prints the
 * queue's numbers as one JSON line and exits. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch/manifest.h"
#include "celeb.h"
#include "cli_common.h"
#include "commands.h"
#include "queue/rstream.h"
#include "queue/rworker.h"

static void enqueue_usage(FILE *out)
{
    fprintf(out,
            "usage: celeb enqueue --redis redis://HOST:PORT[/DB] --stream S [MANIFEST|-]\n"
            "\n"
            "Adds each manifest item (see `celeb batch --help` for the format) to the Redis\n"
            "stream S as an entry with fields id and source, for `celeb worker`.\n");
}

int cmd_enqueue(int argc, char **argv)
{
    const char *url = NULL, *stream = NULL;
    static const struct option opts[] = {{"redis", required_argument, 0, 'r'}, {"stream", required_argument, 0, 's'},
                                         {"help", no_argument, 0, 'h'},        {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'r': url = optarg; break;
        case 's': stream = optarg; break;
        case 'h': enqueue_usage(stdout); return 0;
        default: enqueue_usage(stderr); return 2;
        }
    }
    if (!url || !stream || !*stream || argc - optind > 1) {
        enqueue_usage(stderr);
        return 2;
    }
    celeb_error err = {0};
    batch_manifest m;
    if (batch_manifest_read(optind < argc ? argv[optind] : "-", &m, &err) < 0) {
        fprintf(stderr, "celeb enqueue: %s\n", err.message);
        return 1;
    }
    redisContext *rc;
    size_t added = 0;
    int status = 0;
    if (rs_connect(url, &rc, &err) < 0) {
        status = 1;
    } else {
        status = rs_enqueue(rc, stream, &m, &added, &err) < 0;
        redisFree(rc);
    }
    if (status)
        fprintf(stderr, "celeb enqueue: %s\n", err.message);
    fprintf(stderr, "celeb enqueue: %zu items added to %s (%zu repeated ids skipped)\n", added, stream,
            m.duplicates);
    batch_manifest_free(&m);
    return status;
}

static void worker_usage(FILE *out)
{
    fprintf(out,
            "usage: celeb worker --redis URL --stream S --group G [OPTIONS]\n"
            "       celeb worker --redis URL --stream S --group G --stats\n"
            "\n"
            "Consumes the stream S in consumer group G (created if missing): each item is\n"
            "processed like `celeb batch` and its line stored in the hash S:results under its id\n"
            "(a redelivered item overwrites it), then acked. Entries left pending longer than\n"
            "--claim-idle-ms by a dead worker are taken over first. Broken media (format,\n"
            "corrupt, missing file) go to the stream S:dead at once; transient failures (URL\n"
            "downloads) are retried, dead-lettered at the --max-attempts-th delivery.\n"
            "SIGTERM/SIGINT: finish the current item, ack, exit 0.\n"
            "\n"
            "options:\n"
            "  --consumer NAME       consumer name (default HOST-PID)\n"
            "  --gallery FILE        gallery (default $CELEB_GALLERY, else ~/.local/share/celeb/gallery.db)\n"
            "  --max-attempts K      deliveries before an item is dead-lettered (default 3)\n"
            "  --claim-idle-ms MS    reclaim entries pending longer than this (default 30000)\n"
            "  --threads N           OpenMP threads (default 1)\n"
            "  --frames N|all        frames sampled per file (default 20)\n"
            "  --models DIR          model folder\n"
            "  --max-download N      largest URL download in bytes (default 50 MB)\n"
            "  --exit-when-empty     exit 0 once nothing is new and nothing is pending\n"
            "  --stats               print {length, waiting, in_flight, consumers, done, dead} as JSON, exit\n"
            "  --quiet               no line per item on stderr\n");
}

/* A positive number in [1, max] or -1. */
static long parse_pos(const char *s, long max)
{
    char *end;
    long v = strtol(s, &end, 10);
    return *end || end == s || v < 1 || v > max ? -1 : v;
}

int cmd_worker(int argc, char **argv)
{
    rw_options o = {.celeb = {.detector = FACE_DETECTOR_BOTH, .threads = 1}, .max_attempts = 3,
                    .claim_idle_ms = 30000, .log = stderr};
    const char *gallery_arg = NULL;
    int stats = 0;
    static const struct option opts[] = {
        {"redis", required_argument, 0, 'r'},         {"stream", required_argument, 0, 's'},
        {"group", required_argument, 0, 'G'},         {"consumer", required_argument, 0, 'c'},
        {"gallery", required_argument, 0, 'g'},       {"max-attempts", required_argument, 0, 'k'},
        {"claim-idle-ms", required_argument, 0, 'i'}, {"threads", required_argument, 0, 't'},
        {"frames", required_argument, 0, 'f'},        {"models", required_argument, 0, 'm'},
        {"max-download", required_argument, 0, 'x'},  {"exit-when-empty", no_argument, 0, 'e'},
        {"stats", no_argument, 0, 'S'},               {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},                {0, 0, 0, 0}};
    int c;
    long v;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'r': o.url = optarg; break;
        case 's': o.stream = optarg; break;
        case 'G': o.group = optarg; break;
        case 'c': o.consumer = optarg; break;
        case 'g': gallery_arg = optarg; break;
        case 'm': o.celeb.model_dir = optarg; break;
        case 'x': o.limits.max_bytes = (size_t)strtoull(optarg, NULL, 10); break;
        case 'e': o.exit_when_empty = 1; break;
        case 'S': stats = 1; break;
        case 'q': o.log = NULL; break;
        case 'k':
        case 'i':
        case 't':
            if ((v = parse_pos(optarg, c == 'i' ? 86400L * 1000 : c == 'k' ? 1000 : 1024)) < 0) {
                fprintf(stderr, "celeb worker: --%s takes a positive number\n",
                        c == 'k' ? "max-attempts" : c == 'i' ? "claim-idle-ms" : "threads");
                return 2;
            }
            if (c == 'k')
                o.max_attempts = (int)v;
            else if (c == 'i')
                o.claim_idle_ms = v;
            else
                o.celeb.threads = (int)v;
            break;
        case 'f':
            if (cli_parse_frames("worker", optarg, &o.celeb) < 0)
                return 2;
            break;
        case 'h': worker_usage(stdout); return 0;
        default: worker_usage(stderr); return 2;
        }
    }
    if (!o.url || !o.stream || !o.group || !*o.stream || !*o.group || optind < argc) {
        worker_usage(stderr);
        return 2;
    }
    celeb_error err = {0};
    if (stats) {
        redisContext *rc;
        if (rs_connect(o.url, &rc, &err) < 0) {
            fprintf(stderr, "celeb worker: %s\n", err.message);
            return 1;
        }
        cJSON *s = rs_stats(rc, o.stream, o.group, &err);
        redisFree(rc);
        if (!s) {
            fprintf(stderr, "celeb worker: %s\n", err.message);
            return 1;
        }
        cli_print_json(s);
        return 0;
    }
    char name[300];
    if (!o.consumer) {
        char host[256] = "host";
        gethostname(host, sizeof host - 1);
        host[sizeof host - 1] = '\0';
        snprintf(name, sizeof name, "%s-%ld", host, (long)getpid());
        o.consumer = name;
    }
    o.celeb.gallery = cli_gallery_path(gallery_arg);
    if (cli_check_gallery("worker", gallery_arg, o.celeb.gallery) < 0)
        return 2;

    volatile sig_atomic_t *stop = cli_catch_stop_signals();   /* finish the item in hand, then stop */

    rw_counts n;
    int rc = rw_run(&o, stop, &n, &err);
    fprintf(stderr,
                "celeb worker %s: %zu done, %zu dead-lettered, %zu left for retry, %zu reclaimed; %.3f s processing, "
                "%.3f s in the queue, %.3f s idle%s\n",
                o.consumer, n.done, n.dead, n.retried, n.claimed, n.work_s, n.queue_s, n.idle_s,
                *stop ? " (stopped by signal)" : "");
    if (rc < 0) {
        fprintf(stderr, "celeb worker: %s\n", err.message);
        return 1;
    }
    return 0;
}
