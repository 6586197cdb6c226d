/* metrics.c - see metrics.h. Fixed-size tables: statuses 100..599 per
 * route, a fixed bucket list, a fixed list of error codes (others count
 * under "other"), so nothing grows with traffic. */
#include "metrics.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const route_labels[ROUTE_COUNT] = {
    [ROUTE_STATIC] = "GET /",
    [ROUTE_HEALTHZ] = "GET /healthz",
    [ROUTE_METRICS] = "GET /metrics",
    [ROUTE_DETECT] = "POST /v1/detect",
    [ROUTE_GALLERY_LIST] = "GET /v1/gallery",
    [ROUTE_GALLERY_GET] = "GET /v1/gallery/{name}",
    [ROUTE_GALLERY_ENROLL] = "POST /v1/gallery/{name}/faces",
    [ROUTE_GALLERY_DELETE] = "DELETE /v1/gallery/{name}",
    [ROUTE_GALLERY_RENAME] = "PATCH /v1/gallery/{name}",
    [ROUTE_THUMBNAIL] = "GET /v1/faces/{id}/thumbnail",
    [ROUTE_EMBEDDINGS] = "GET /v1/embeddings",
    [ROUTE_OTHER] = "other",
};

/* Seconds; detection of a photo takes ~0.1 s, of a GIF ~1 s. */
static const double buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
#define NBUCKETS (int)(sizeof buckets / sizeof buckets[0])

/* The error codes the server answers with (library codes and its own). */
static const char *const error_codes[] = {
    "bad_request", "unauthorized", "forbidden_url", "not_found", "method_not_allowed",
    "conflict", "too_large", "unsupported_media", "overloaded", "shutting_down", "fetch_failed",
    "io", "format", "corrupt", "limit", "nomem", "model", "invalid", "internal", "other",
};
#define NCODES (int)(sizeof error_codes / sizeof error_codes[0])

#define STATUS_MIN 100
#define STATUS_MAX 599

struct serve_metrics {
    pthread_mutex_t lock;
    uint64_t requests[ROUTE_COUNT][STATUS_MAX - STATUS_MIN + 1];
    uint64_t bucket_counts[ROUTE_COUNT][NBUCKETS];   /* not cumulative; summed at render */
    uint64_t latency_count[ROUTE_COUNT];
    double latency_sum[ROUTE_COUNT];
    uint64_t errors[NCODES];
    uint64_t faces, persons, detections, rejected;
};

const char *serve_route_label(serve_route r)
{
    return r >= 0 && r < ROUTE_COUNT ? route_labels[r] : "other";
}

serve_metrics *metrics_create(void)
{
    serve_metrics *m = calloc(1, sizeof *m);
    if (m)
        pthread_mutex_init(&m->lock, NULL);
    return m;
}

void metrics_free(serve_metrics *m)
{
    if (!m)
        return;
    pthread_mutex_destroy(&m->lock);
    free(m);
}

void metrics_request(serve_metrics *m, serve_route r, int status, double seconds)
{
    if (r < 0 || r >= ROUTE_COUNT)
        r = ROUTE_OTHER;
    if (status < STATUS_MIN || status > STATUS_MAX)
        status = 500;
    int b = 0;
    while (b < NBUCKETS && seconds > buckets[b])
        b++;
    pthread_mutex_lock(&m->lock);
    m->requests[r][status - STATUS_MIN]++;
    if (b < NBUCKETS)
        m->bucket_counts[r][b]++;
    m->latency_count[r]++;
    m->latency_sum[r] += seconds;
    pthread_mutex_unlock(&m->lock);
}

void metrics_error(serve_metrics *m, const char *code)
{
    int i = 0;
    while (i < NCODES - 1 && strcmp(error_codes[i], code))
        i++;
    pthread_mutex_lock(&m->lock);
    m->errors[i]++;
    pthread_mutex_unlock(&m->lock);
}

void metrics_detected(serve_metrics *m, int faces, int persons)
{
    pthread_mutex_lock(&m->lock);
    m->detections++;
    m->faces += (uint64_t)faces;
    m->persons += (uint64_t)persons;
    pthread_mutex_unlock(&m->lock);
}

void metrics_rejected(serve_metrics *m)
{
    pthread_mutex_lock(&m->lock);
    m->rejected++;
    pthread_mutex_unlock(&m->lock);
}

/* A growing text buffer; on allocation failure it stops growing and marks itself failed. */
typedef struct text {
    char *s;
    size_t len, cap;
    int failed;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text *t, const char *fmt, ...)
{
    if (t->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->failed = 1;
            return;
        }
        if ((size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = t->cap * 2 + (size_t)n;
        char *grown = realloc(t->s, cap);
        if (!grown) {
            t->failed = 1;
            return;
        }
        t->s = grown;
        t->cap = cap;
    }
}

/* Resident set size of this process in bytes (0 if unknown). */
static long resident_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, rss = 0;
    if (!f)
        return 0;
    if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
        rss = 0;
    fclose(f);
    return rss * sysconf(_SC_PAGESIZE);
}

char *metrics_render(serve_metrics *m, const serve_gauges *g)
{
    text t = {.cap = 16384};
    t.s = malloc(t.cap);
    if (!t.s)
        return NULL;
    t.s[0] = 0;
    pthread_mutex_lock(&m->lock);
    put(&t, "# HELP celeb_http_requests_total HTTP requests answered, by route and status.\n"
            "# TYPE celeb_http_requests_total counter\n");
    for (int r = 0; r < ROUTE_COUNT; r++)
        for (int s = 0; s <= STATUS_MAX - STATUS_MIN; s++)
            if (m->requests[r][s])
                put(&t, "celeb_http_requests_total{route=\"%s\",status=\"%d\"} %llu\n", route_labels[r],
                    s + STATUS_MIN, (unsigned long long)m->requests[r][s]);
    put(&t, "# HELP celeb_http_request_duration_seconds Time from a request's arrival to its answer.\n"
            "# TYPE celeb_http_request_duration_seconds histogram\n");
    for (int r = 0; r < ROUTE_COUNT; r++) {
        if (!m->latency_count[r])
            continue;
        uint64_t cum = 0;
        for (int b = 0; b < NBUCKETS; b++) {
            cum += m->bucket_counts[r][b];
            put(&t, "celeb_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
                route_labels[r], buckets[b], (unsigned long long)cum);
        }
        put(&t, "celeb_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n",
            route_labels[r], (unsigned long long)m->latency_count[r]);
        put(&t, "celeb_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n", route_labels[r],
            m->latency_sum[r]);
        put(&t, "celeb_http_request_duration_seconds_count{route=\"%s\"} %llu\n", route_labels[r],
            (unsigned long long)m->latency_count[r]);
    }
    put(&t, "# HELP celeb_errors_total Error answers, by the code of their JSON error.\n"
            "# TYPE celeb_errors_total counter\n");
    for (int i = 0; i < NCODES; i++)
        if (m->errors[i])
            put(&t, "celeb_errors_total{code=\"%s\"} %llu\n", error_codes[i],
                (unsigned long long)m->errors[i]);
    put(&t,
        "# HELP celeb_detections_total Media files detected.\n# TYPE celeb_detections_total counter\n"
        "celeb_detections_total %llu\n"
        "# HELP celeb_faces_total Faces found (appearances over all sampled frames).\n"
        "# TYPE celeb_faces_total counter\nceleb_faces_total %llu\n"
        "# HELP celeb_persons_total Persons found (faces grouped across frames).\n"
        "# TYPE celeb_persons_total counter\nceleb_persons_total %llu\n"
        "# HELP celeb_rejected_total Requests refused with 503 because the queue or the body budget was full.\n"
        "# TYPE celeb_rejected_total counter\nceleb_rejected_total %llu\n",
        (unsigned long long)m->detections, (unsigned long long)m->faces,
        (unsigned long long)m->persons, (unsigned long long)m->rejected);
    pthread_mutex_unlock(&m->lock);
    put(&t,
        "# HELP celeb_queue_depth Jobs waiting for a worker.\n# TYPE celeb_queue_depth gauge\n"
        "celeb_queue_depth %d\n"
        "# HELP celeb_queue_capacity Jobs the queue holds before answering 503.\n"
        "# TYPE celeb_queue_capacity gauge\nceleb_queue_capacity %d\n"
        "# HELP celeb_workers Worker threads.\n# TYPE celeb_workers gauge\nceleb_workers %d\n"
        "# HELP celeb_workers_busy Workers running a job.\n# TYPE celeb_workers_busy gauge\n"
        "celeb_workers_busy %d\n"
        "# HELP celeb_buffered_bytes Request bodies held in memory.\n# TYPE celeb_buffered_bytes gauge\n"
        "celeb_buffered_bytes %zu\n"
        "# HELP celeb_buffered_bytes_limit The cap on celeb_buffered_bytes.\n"
        "# TYPE celeb_buffered_bytes_limit gauge\nceleb_buffered_bytes_limit %zu\n"
        "# HELP process_resident_memory_bytes Resident memory of the server.\n"
        "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes %ld\n"
        "# HELP celeb_uptime_seconds Seconds since the server started.\n"
        "# TYPE celeb_uptime_seconds gauge\nceleb_uptime_seconds %.1f\n",
        g->queue_depth, g->queue_capacity, g->workers, g->workers_busy, g->buffered_bytes,
        g->max_buffered, resident_bytes(), g->uptime_s);
    if (t.failed) {
        free(t.s);
        return NULL;
    }
    return t.s;
}
