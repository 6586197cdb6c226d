/* server.c - the HTTP side of `celeb serve` (see serve.h): libmicrohttpd,
 * routing, request bodies under their limits, the answers of the cheap
 * routes, and the hand-over of the heavy ones to the workers (jobs.c)
 * through the bounded queue, the connection suspended meanwhile.
 *
 * Routes:
 *   GET  /healthz                      liveness, queue and gallery summary
 *   GET  /metrics                      Prometheus text
 *   POST /v1/detect                    raw body, multipart upload or {"url"}
 *   GET  /v1/gallery                   identities and face counts
 *   GET  /v1/gallery/{name}            an identity's faces
 *   POST /v1/gallery/{name}/faces      enroll photos          (API key)
 *   DELETE /v1/gallery/{name}          remove an identity     (API key)
 *   PATCH  /v1/gallery/{name}          rename: {"name": NEW}  (API key)
 *   GET  /v1/faces/{id}/thumbnail      a gallery face, JPEG
 *   GET  /v1/embeddings                every gallery face in 3D (PCA)
 *   GET  / and /FILE                   the web page (web/) */
#include "serve.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/io.h"
#include "jobs.h"
#include "queue.h"
#include "core/clock.h"

#define MB ((size_t)1 << 20)
#define POST_BUFFER 65536      /* libmicrohttpd's multipart parser buffer */
#define JSON_BODY_MAX 65536    /* a JSON request ({"url": ...}, {"name": ...}) */
#define MAX_INPUTS 64          /* photos in one enrolment request */
#define SHUTDOWN_WAIT_MS 10000 /* for the suspended connections to get their answers */

#ifndef CELEB_MODEL_DIR
#define CELEB_MODEL_DIR "models"
#endif

struct serve_server {
    serve_shared sh;
    char *host, *gallery, *thumbs, *web_dir, *model_dir, *api_key;   /* owned copies */
    struct MHD_Daemon *daemon;
    serve_queue *queue;
    serve_worker **workers;
    pthread_t *threads;
    int nworkers, nthreads;
    atomic_int busy;          /* workers running a job */
    atomic_size_t buffered;   /* request body bytes held */
    atomic_int suspended;     /* connections waiting for a job */
    int port;
    double t_start;
};

void serve_config_defaults(serve_config *cfg)
{
    *cfg = (serve_config){
        .host = "127.0.0.1",
        .port = 8080,
        .workers = 2,
        .queue = 16,
        .max_body = 50 * MB,
        .max_buffered = 256 * MB,
        .max_pixels = 40 * 1000 * 1000,
        .max_frames = 20000,
        .max_sampled = 300,
        .fetch_timeout_ms = 30000,
        .connection_timeout_s = 60,
        .max_connections = 256,
    };
}

int serve_port(const serve_server *s) { return s->port; }

// ----------------------------------------------------------------------------
// Requests

typedef enum body_kind { BODY_NONE, BODY_RAW, BODY_JSON, BODY_FORM } body_kind;

/* One part of a multipart form. */
typedef struct form_part {
    char *field, *filename;   /* filename NULL for a plain field */
    uint8_t *data;
    size_t size, cap;
} form_part;

typedef struct serve_request {
    serve_server *srv;
    serve_route route;
    double t0;
    int status;                        /* the answer's, for the metrics */
    char name[GALLERY_NAME_MAX];       /* {name} of the path */
    int64_t face_id;                   /* {id} of the path */
    detect_request detect;
    body_kind kind;
    uint8_t *body;                     /* BODY_RAW, BODY_JSON */
    size_t size, cap;
    size_t received, reserved;         /* body bytes seen; bytes counted in srv->buffered */
    int too_big, over_budget, bad_form;
    struct MHD_PostProcessor *pp;
    form_part *parts;
    int nparts;
    serve_job *job;
    int waiting;                       /* suspended for its job, counted in srv->suspended */
    int rejected;                      /* answer decided before the body: status, then drain */
    const char *reject_code;           /* static string */
    char reject_message[600];
} serve_request;

static void request_free(serve_request *r)
{
    if (r->pp)
        MHD_destroy_post_processor(r->pp);
    for (int i = 0; i < r->nparts; i++) {
        free(r->parts[i].field);
        free(r->parts[i].filename);
        free(r->parts[i].data);
    }
    free(r->parts);
    free(r->body);
    job_free(r->job);
    atomic_fetch_sub(&r->srv->buffered, r->reserved);
    free(r);
}

/* Frees what the body holds so far (after a limit was passed). */
static void drop_body(serve_request *r)
{
    free(r->body);
    r->body = NULL;
    r->size = r->cap = 0;
    for (int i = 0; i < r->nparts; i++) {
        free(r->parts[i].data);
        r->parts[i].data = NULL;
        r->parts[i].size = r->parts[i].cap = 0;
    }
    atomic_fetch_sub(&r->srv->buffered, r->reserved);
    r->reserved = 0;
}

// ----------------------------------------------------------------------------
// Answers

static enum MHD_Result send_bytes(serve_request *r, struct MHD_Connection *c, int status,
                                  const char *type, void *data, size_t size, int take)
{
    struct MHD_Response *resp =
        take ? MHD_create_response_from_buffer_with_free_callback(size, data, free)
             : MHD_create_response_from_buffer(size, data, MHD_RESPMEM_MUST_COPY);
    if (!resp) {
        if (take)
            free(data);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (status == 401)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    if (status == 405) {
        const char *allow = r->route == ROUTE_GALLERY_GET      ? "GET, PATCH, DELETE"
                            : r->route == ROUTE_DETECT         ? "POST"
                            : r->route == ROUTE_GALLERY_ENROLL ? "POST"
                                                               : "GET, HEAD";
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
    }
    if (status == 503) {
        /* the time for the queue ahead to drain, at the current pace */
        serve_server *s = r->srv;
        pthread_mutex_lock(&s->sh.stats_lock);
        double per_job = s->sh.job_seconds;
        pthread_mutex_unlock(&s->sh.stats_lock);
        double wait = (queue_depth(s->queue) + 1) * per_job / (s->nworkers > 0 ? s->nworkers : 1);
        int secs = wait < 1 ? 1 : wait > 60 ? 60 : (int)(wait + 0.999);
        char v[16];
        snprintf(v, sizeof v, "%d", secs);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, v);
        /* Shed the connection too: a client that retries at once must
         * reconnect, which keeps a retry storm from starving the workers
         * (with keep-alive, wrk's 16 connections got 76,000 answers/s of 503
         * and the one worker 2 jobs/s). */
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    }
    r->status = status;
    enum MHD_Result ok = MHD_queue_response(c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return ok;
}

static enum MHD_Result send_json(serve_request *r, struct MHD_Connection *c, int status, cJSON *doc)
{
    char *text = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    if (!text)
        return MHD_NO;
    return send_bytes(r, c, status, "application/json", text, strlen(text), 1);
}

static enum MHD_Result send_error(serve_request *r, struct MHD_Connection *c, int status, const char *code,
                                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static enum MHD_Result send_error(serve_request *r, struct MHD_Connection *c, int status, const char *code,
                                  const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    metrics_error(r->srv->sh.metrics, code);
    if (status == 503)
        metrics_rejected(r->srv->sh.metrics);
    cJSON *doc = cJSON_CreateObject();
    cJSON *e = cJSON_AddObjectToObject(doc, "error");
    cJSON_AddStringToObject(e, "code", code);
    cJSON_AddStringToObject(e, "message", msg);
    return send_json(r, c, status, doc);
}

/* A request refused on its headers. Without a body the answer goes at
 * once. With one, the body is read and dropped first and the answer sent
 * after it: answering while the client still sends makes libmicrohttpd
 * close the connection under it, and the client may see a reset instead of
 * the answer (2-3% of early 401s on loopback). */
static enum MHD_Result reject(serve_request *r, struct MHD_Connection *c, int status, const char *code,
                              const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static enum MHD_Result reject(serve_request *r, struct MHD_Connection *c, int status, const char *code,
                              const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->reject_message, sizeof r->reject_message, fmt, ap);
    va_end(ap);
    const char *len = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    const char *te = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
    const char *expect = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);
    unsigned long long n = len ? strtoull(len, NULL, 10) : 0;
    /* At once also when the body would not be drained anyway (over the body
     * limit: the connection is closed after the answer) and when the client
     * waits for "100 Continue" before it sends the body (it gets the answer
     * instead, and sends nothing). */
    if ((n == 0 && !te) || n > r->srv->sh.cfg.max_body || (expect && !strcasecmp(expect, "100-continue")))
        return send_error(r, c, status, code, "%s", r->reject_message);
    r->rejected = status;
    r->reject_code = code;
    r->kind = BODY_NONE;
    return MHD_YES;
}

// ----------------------------------------------------------------------------
// Routing

static const char *header(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* Constant-time comparison of the bearer token with the key. */
static int authorized(const serve_server *s, struct MHD_Connection *c)
{
    const char *h = header(c, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h || strncasecmp(h, "Bearer ", 7))
        return 0;
    const char *token = h + 7, *key = s->api_key;
    size_t lt = strlen(token), lk = strlen(key);
    unsigned diff = lt != lk;
    for (size_t i = 0; i < lk; i++)
        diff |= (unsigned char)key[i] ^ (unsigned char)(i < lt ? token[i] : 0);
    return diff == 0;
}

/* A gallery name from the path: 1..127 bytes, no control characters (the
 * gallery's own rule) and no '/'. */
static int valid_name(const char *s, size_t n)
{
    if (n == 0 || n >= GALLERY_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f || s[i] == '/')
            return 0;
    return 1;
}

/* Which route a path is; {name} and {id} go into r. -1: a /v1 path that is no route. */
static int route_of(serve_request *r, const char *url, serve_route *out)
{
    if (!strcmp(url, "/healthz"))
        return *out = ROUTE_HEALTHZ, 0;
    if (!strcmp(url, "/metrics"))
        return *out = ROUTE_METRICS, 0;
    if (!strcmp(url, "/v1/detect"))
        return *out = ROUTE_DETECT, 0;
    if (!strcmp(url, "/v1/embeddings"))
        return *out = ROUTE_EMBEDDINGS, 0;
    if (!strcmp(url, "/v1/gallery") || !strcmp(url, "/v1/gallery/"))
        return *out = ROUTE_GALLERY_LIST, 0;
    if (!strncmp(url, "/v1/gallery/", 12)) {
        const char *name = url + 12, *slash = strchr(name, '/');
        size_t n = slash ? (size_t)(slash - name) : strlen(name);
        if (slash && strcmp(slash, "/faces"))
            return -1;
        if (!valid_name(name, n))
            return -1;
        memcpy(r->name, name, n);
        r->name[n] = 0;
        return *out = slash ? ROUTE_GALLERY_ENROLL : ROUTE_GALLERY_GET, 0;
    }
    if (!strncmp(url, "/v1/faces/", 10)) {
        char *end;
        long long id = strtoll(url + 10, &end, 10);
        if (end == url + 10 || strcmp(end, "/thumbnail") || id < 0)
            return -1;
        r->face_id = id;
        return *out = ROUTE_THUMBNAIL, 0;
    }
    if (!strncmp(url, "/v1/", 4) || !strcmp(url, "/v1"))
        return -1;
    return *out = ROUTE_STATIC, 0;
}

/* Is the method allowed on the route? The gallery item takes three; the
 * route is refined to the one the method picks. */
static int method_fits(serve_request *r, const char *method)
{
    int get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    switch (r->route) {
    case ROUTE_DETECT:
    case ROUTE_GALLERY_ENROLL: return !strcmp(method, "POST");
    case ROUTE_GALLERY_GET:
        if (!strcmp(method, "DELETE"))
            r->route = ROUTE_GALLERY_DELETE;
        else if (!strcmp(method, "PATCH"))
            r->route = ROUTE_GALLERY_RENAME;
        return get || r->route != ROUTE_GALLERY_GET;
    default: return get;
    }
}

static int needs_key(serve_route r)
{
    return r == ROUTE_GALLERY_ENROLL || r == ROUTE_GALLERY_DELETE || r == ROUTE_GALLERY_RENAME;
}

static int takes_body(serve_route r)
{
    return r == ROUTE_DETECT || r == ROUTE_GALLERY_ENROLL || r == ROUTE_GALLERY_RENAME;
}

static int is_job_route(serve_route r) { return r == ROUTE_DETECT || r == ROUTE_GALLERY_ENROLL; }

/* ?frames=N|all&detector=both|ssd|tiny&include=frames,embedding; 0 or -1 (message in err). */
static int parse_detect_query(serve_request *r, struct MHD_Connection *c, char *err, size_t size)
{
    detect_request *d = &r->detect;
    d->detector = FACE_DETECTOR_BOTH;
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "frames");
    if (v && !strcmp(v, "all")) {
        d->all_frames = 1;
    } else if (v) {
        char *end;
        long n = strtol(v, &end, 10);
        if (*end || n < 1 || n > r->srv->sh.cfg.max_sampled) {
            snprintf(err, size, "frames must be 'all' or 1..%d, not '%.40s'", r->srv->sh.cfg.max_sampled, v);
            return -1;
        }
        d->frames = (int)n;
    }
    v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "detector");
    if (v) {
        if (!strcmp(v, "both"))
            d->detector = FACE_DETECTOR_BOTH;
        else if (!strcmp(v, "ssd"))
            d->detector = FACE_DETECTOR_SSD;
        else if (!strcmp(v, "tiny"))
            d->detector = FACE_DETECTOR_TINY;
        else {
            snprintf(err, size, "detector must be both, ssd or tiny, not '%.40s'", v);
            return -1;
        }
    }
    v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "include");
    for (const char *p = v; p && *p;) {
        size_t n = strcspn(p, ",");
        if (n == 6 && !strncmp(p, "frames", 6))
            d->include_frames = 1;
        else if (n == 9 && !strncmp(p, "embedding", 9))
            d->include_embedding = 1;
        else if (n) {
            snprintf(err, size, "include takes frames and embedding, not '%.*s'", (int)(n < 40 ? n : 40), p);
            return -1;
        }
        p += n + (p[n] == ',');
    }
    return 0;
}

// ----------------------------------------------------------------------------
// Bodies

/* Counts n more bytes against the body limit; 0, or -1 when over (the
 * body is dropped and the rest discarded). */
static int count_body(serve_request *r, size_t n)
{
    serve_server *s = r->srv;
    r->received += n;
    if (r->too_big || r->over_budget)
        return -1;
    if (r->received > s->sh.cfg.max_body || (r->kind == BODY_JSON && r->received > JSON_BODY_MAX)) {
        r->too_big = 1;
        drop_body(r);
        return -1;
    }
    return 0;
}

/* Counts n more bytes of memory held for r against the server's budget
 * (--max-buffered); 0, or -1 when over (the body is dropped). What counts
 * is what the buffers hold (their capacity), not what was received. */
static int charge(serve_request *r, size_t n)
{
    serve_server *s = r->srv;
    size_t was = atomic_fetch_add(&s->buffered, n);
    r->reserved += n;
    if (was + n > s->sh.cfg.max_buffered) {
        r->over_budget = 1;
        drop_body(r);
        return -1;
    }
    return 0;
}

#define BUFFER_START 4096   /* a body buffer's first size; it doubles from there */

/* Appends to a body buffer of r, the growth charged to the budget. */
static int append(serve_request *r, uint8_t **buf, size_t *size, size_t *cap, const void *data, size_t n)
{
    if (*size + n + 1 > *cap) {
        size_t c = *cap ? *cap : BUFFER_START;
        while (c < *size + n + 1)
            c *= 2;
        if (charge(r, c - *cap) < 0)
            return -1;
        uint8_t *grown = realloc(*buf, c);
        if (!grown)
            return -1;
        *buf = grown;
        *cap = c;
    }
    memcpy(*buf + *size, data, n);
    *size += n;
    (*buf)[*size] = 0;   /* JSON is parsed in place */
    return 0;
}

static enum MHD_Result on_part(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
                               const char *content_type, const char *encoding, const char *data,
                               uint64_t off, size_t size)
{
    serve_request *r = cls;
    /* libmicrohttpd may call more than once with off 0 for one part (first
     * with no data, and again when the part's start was split across
     * network reads): a new part is off 0 after data, or another field. */
    const form_part *last = r->nparts ? &r->parts[r->nparts - 1] : NULL;
    int same = last && last->size == 0 && !strcmp(last->field, key ? key : "") &&
               (last->filename ? filename && !strcmp(last->filename, filename) : !filename);
    if (off == 0 && !same) {   /* a new part */
        if (r->nparts == MAX_INPUTS) {
            r->bad_form = 1;
            return MHD_NO;
        }
        form_part *grown = realloc(r->parts, (size_t)(r->nparts + 1) * sizeof *grown);
        if (!grown)
            return MHD_NO;
        r->parts = grown;
        form_part *p = &r->parts[r->nparts++];
        *p = (form_part){.field = strdup(key ? key : ""), .filename = filename ? strdup(filename) : NULL};
        if (!p->field)
            return MHD_NO;
    }
    if (r->nparts == 0 || r->too_big || r->over_budget)
        return MHD_YES;
    form_part *p = &r->parts[r->nparts - 1];
    /* over the budget: the rest is read and dropped, answered 503 at the end */
    return size == 0 || append(r, &p->data, &p->size, &p->cap, data, size) == 0 || r->over_budget ? MHD_YES
                                                                                                    : MHD_NO;
}

static void take_body(serve_request *r, const char *data, size_t n)
{
    if (r->rejected || r->kind == BODY_NONE) {   /* a refused request, or a route without a body: dropped unread, counted only */
        r->received += n;
        return;
    }
    if (count_body(r, n) < 0)
        return;
    if (r->kind == BODY_FORM) {
        if (!r->bad_form && MHD_post_process(r->pp, data, n) != MHD_YES && !r->over_budget)
            r->bad_form = 1;
    } else if (append(r, &r->body, &r->size, &r->cap, data, n) < 0 && !r->over_budget) {
        r->over_budget = 1;   /* out of memory: answered like a full budget */
        drop_body(r);
    }
}

/* The media inputs of a detect or enroll request, moved out of r into
 * *inputs. 0, or an HTTP status with msg set. */
static int gather_inputs(serve_request *r, job_input **inputs, int *n, int max, char *msg, size_t size)
{
    *inputs = calloc(MAX_INPUTS, sizeof **inputs);
    *n = 0;
    if (!*inputs)
        return snprintf(msg, size, "out of memory"), 503;
    job_input *in = *inputs;
    if (r->kind == BODY_RAW) {
        if (r->size == 0)
            return snprintf(msg, size, "empty body: send the media, a multipart form or {\"url\": ...}"), 400;
        in[0] = (job_input){.data = r->body, .size = r->size, .source = strdup("upload")};
        r->body = NULL;
        *n = 1;
    } else if (r->kind == BODY_FORM) {
        for (int i = 0; i < r->nparts && *n < max; i++) {
            form_part *p = &r->parts[i];
            if (p->filename) {
                in[*n] = (job_input){.data = p->data ? p->data : calloc(1, 1), .size = p->size,
                                     .source = strdup(p->filename[0] ? p->filename : "upload")};
                p->data = NULL;
                (*n)++;
            } else if (!strcmp(p->field, "url") && p->size) {
                in[(*n)++] = (job_input){.source = strndup((char *)p->data, p->size), .is_url = 1};
            }
        }
        if (*n == 0)
            return snprintf(msg, size, "the form has no file part (and no 'url' field)"), 400;
    } else {
        cJSON *doc = r->body ? cJSON_ParseWithLength((char *)r->body, r->size) : NULL;
        const cJSON *url = cJSON_GetObjectItemCaseSensitive(doc, "url");
        const cJSON *urls = cJSON_GetObjectItemCaseSensitive(doc, "urls"), *u;
        if (cJSON_IsString(url))
            in[(*n)++] = (job_input){.source = strdup(url->valuestring), .is_url = 1};
        cJSON_ArrayForEach(u, urls) if (cJSON_IsString(u) && *n < max)
            in[(*n)++] = (job_input){.source = strdup(u->valuestring), .is_url = 1};
        cJSON_Delete(doc);
        if (*n == 0)
            return snprintf(msg, size, "a JSON body must be {\"url\": \"http...\"}%s",
                            max > 1 ? " or {\"urls\": [...]}" : ""), 400;
    }
    for (int i = 0; i < *n; i++)
        if (!in[i].source || (!in[i].is_url && !in[i].data))
            return snprintf(msg, size, "out of memory"), 503;
    return 0;
}

// ----------------------------------------------------------------------------
// The cheap routes

static enum MHD_Result on_healthz(serve_request *r, struct MHD_Connection *c)
{
    serve_server *s = r->srv;
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "status", "ok");
    cJSON_AddNumberToObject(doc, "uptime_s", round(clock_s() - s->t_start));
    cJSON_AddNumberToObject(doc, "workers", s->nworkers);
    cJSON_AddNumberToObject(doc, "busy", atomic_load(&s->busy));
    cJSON *q = cJSON_AddObjectToObject(doc, "queue");
    cJSON_AddNumberToObject(q, "depth", queue_depth(s->queue));
    cJSON_AddNumberToObject(q, "capacity", queue_capacity(s->queue));
    serve_view *v;
    celeb_error err = {0};
    cJSON *g = cJSON_AddObjectToObject(doc, "gallery");
    cJSON_AddStringToObject(g, "path", s->gallery);
    if (views_get(s->sh.views, &v, &err) == 0) {
        cJSON_AddNumberToObject(g, "identities", v->nids);
        cJSON_AddNumberToObject(g, "faces", v->nfaces);
        views_release(s->sh.views, v);
    } else {
        cJSON_AddStringToObject(g, "error", err.message);
    }
    return send_json(r, c, 200, doc);
}

static enum MHD_Result on_metrics(serve_request *r, struct MHD_Connection *c)
{
    serve_server *s = r->srv;
    serve_gauges g = {.queue_depth = queue_depth(s->queue), .queue_capacity = queue_capacity(s->queue),
                      .workers = s->nworkers, .workers_busy = atomic_load(&s->busy),
                      .buffered_bytes = atomic_load(&s->buffered), .max_buffered = s->sh.cfg.max_buffered,
                      .uptime_s = clock_s() - s->t_start};
    char *text = metrics_render(s->sh.metrics, &g);
    if (!text)
        return send_error(r, c, 503, "nomem", "out of memory");
    return send_bytes(r, c, 200, "text/plain; version=0.0.4; charset=utf-8", text, strlen(text), 1);
}

static void thumbnail_url(int64_t id, char *out, size_t size)
{
    snprintf(out, size, "/v1/faces/%lld/thumbnail", (long long)id);
}

/* The view, or an error answer already queued (*answered). */
static serve_view *get_view(serve_request *r, struct MHD_Connection *c, enum MHD_Result *answered)
{
    serve_view *v = NULL;
    celeb_error err = {0};
    if (views_get(r->srv->sh.views, &v, &err) < 0)
        *answered = send_error(r, c, 500, celeb_error_name(err.code), "gallery: %s", err.message);
    return v;
}

static enum MHD_Result on_gallery_list(serve_request *r, struct MHD_Connection *c)
{
    enum MHD_Result answered = MHD_NO;
    serve_view *v = get_view(r, c, &answered);
    if (!v)
        return answered;
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddNumberToObject(doc, "generation", (double)v->generation);
    cJSON_AddNumberToObject(doc, "faces", v->nfaces);
    cJSON *arr = cJSON_AddArrayToObject(doc, "identities");
    for (int i = 0; i < v->nids; i++) {
        /* the thumbnail: the identity's face of the best quality (found with the snapshot) */
        const gallery_face *best = v->best[i] >= 0 ? &v->faces[v->best[i]] : NULL;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", v->ids[i].name);
        cJSON_AddNumberToObject(o, "faces", v->ids[i].faces);
        if (best) {
            char url[64];
            thumbnail_url(best->id, url, sizeof url);
            cJSON_AddStringToObject(o, "thumbnail", url);
        }
        cJSON_AddItemToArray(arr, o);
    }
    views_release(r->srv->sh.views, v);
    return send_json(r, c, 200, doc);
}

static enum MHD_Result on_gallery_get(serve_request *r, struct MHD_Connection *c)
{
    enum MHD_Result answered = MHD_NO;
    serve_view *v = get_view(r, c, &answered);
    if (!v)
        return answered;
    cJSON *faces = cJSON_CreateArray();
    int found = 0;
    for (int i = 0; i < v->nids; i++)
        found |= !strcmp(v->ids[i].name, r->name);
    for (int k = 0; k < v->nfaces; k++) {
        const gallery_face *f = &v->faces[k];
        if (strcmp(f->name, r->name))
            continue;
        char url[64];
        thumbnail_url(f->id, url, sizeof url);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "id", (double)f->id);
        cJSON_AddStringToObject(o, "source", f->source);
        cJSON_AddNumberToObject(o, "quality", f->quality);
        cJSON_AddStringToObject(o, "thumbnail", url);
        cJSON_AddItemToArray(faces, o);
    }
    views_release(r->srv->sh.views, v);
    if (!found) {
        cJSON_Delete(faces);
        return send_error(r, c, 404, "not_found", "no identity named '%s' in the gallery", r->name);
    }
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "name", r->name);
    cJSON_AddNumberToObject(doc, "count", cJSON_GetArraySize(faces));
    cJSON_AddItemToObject(doc, "faces", faces);
    return send_json(r, c, 200, doc);
}

static enum MHD_Result on_gallery_delete(serve_request *r, struct MHD_Connection *c)
{
    serve_server *s = r->srv;
    enum MHD_Result answered = MHD_NO;
    serve_view *v = get_view(r, c, &answered);
    if (!v)
        return answered;
    views_change done;
    int faces = 0;
    celeb_error err = {0};
    int rc = views_remove(s->sh.views, r->name, &done, &faces, &err);
    /* their cached thumbnails go too */
    for (int k = 0; rc == 0 && done == VIEWS_DONE && k < v->nfaces; k++)
        if (!strcmp(v->faces[k].name, r->name)) {
            char path[1200];
            thumb_path(&s->sh, v->faces[k].id, v->faces[k].source, v->faces[k].quality, path, sizeof path);
            unlink(path);
        }
    views_release(s->sh.views, v);
    if (rc < 0)
        return send_error(r, c, 500, celeb_error_name(rc), "gallery: %s", err.message);
    if (done == VIEWS_NOT_FOUND)
        return send_error(r, c, 404, "not_found", "no identity named '%s' in the gallery", r->name);
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "removed", r->name);
    cJSON_AddNumberToObject(doc, "faces", faces);
    return send_json(r, c, 200, doc);
}

static enum MHD_Result on_gallery_rename(serve_request *r, struct MHD_Connection *c)
{
    cJSON *doc = r->body ? cJSON_ParseWithLength((char *)r->body, r->size) : NULL;
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(doc, "name");
    char to[GALLERY_NAME_MAX];
    int ok = cJSON_IsString(name) && valid_name(name->valuestring, strlen(name->valuestring));
    if (ok)
        snprintf(to, sizeof to, "%s", name->valuestring);
    cJSON_Delete(doc);
    if (!ok)
        return send_error(r, c, 400, "bad_request",
                          "the body must be {\"name\": NEW_NAME}, 1..127 bytes without control characters or '/'");
    views_change done;
    celeb_error err = {0};
    int rc = views_rename(r->srv->sh.views, r->name, to, &done, &err);
    if (rc < 0)
        return send_error(r, c, rc == CELEB_EINVAL ? 400 : 500, celeb_error_name(rc), "%s", err.message);
    if (done == VIEWS_NOT_FOUND)
        return send_error(r, c, 404, "not_found", "no identity named '%s' in the gallery", r->name);
    if (done == VIEWS_CONFLICT)
        return send_error(r, c, 409, "conflict", "'%s' is already in the gallery", to);
    doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "name", to);
    cJSON_AddStringToObject(doc, "previous", r->name);
    return send_json(r, c, 200, doc);
}

static enum MHD_Result on_embeddings(serve_request *r, struct MHD_Connection *c)
{
    enum MHD_Result answered = MHD_NO;
    serve_view *v = get_view(r, c, &answered);
    if (!v)
        return answered;
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddNumberToObject(doc, "generation", (double)v->generation);
    cJSON_AddNumberToObject(doc, "identities", v->nids);
    cJSON_AddNumberToObject(doc, "faces", v->nfaces);
    double explained[PCA_DIMS];
    for (int k = 0; k < PCA_DIMS; k++)
        explained[k] = v->pca.total_variance > 0 ? v->pca.variance[k] / v->pca.total_variance : 0;
    cJSON_AddItemToObject(doc, "explained_variance", cJSON_CreateDoubleArray(explained, PCA_DIMS));
    cJSON *pts = cJSON_AddArrayToObject(doc, "points");
    for (int i = 0; i < v->nfaces; i++) {
        char url[64];
        thumbnail_url(v->faces[i].id, url, sizeof url);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "id", (double)v->faces[i].id);
        cJSON_AddStringToObject(o, "name", v->faces[i].name);
        const double xyz[PCA_DIMS] = {v->xyz[i][0], v->xyz[i][1], v->xyz[i][2]};
        cJSON_AddItemToObject(o, "xyz", cJSON_CreateDoubleArray(xyz, PCA_DIMS));
        cJSON_AddStringToObject(o, "thumbnail", url);
        cJSON_AddItemToArray(pts, o);
    }
    views_release(r->srv->sh.views, v);
    return send_json(r, c, 200, doc);
}

static const char *content_type_of(const char *name)
{
    static const struct { const char *ext, *type; } types[] = {
        {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"}, {".png", "image/png"}, {".ico", "image/x-icon"},
        {".json", "application/json"}, {".txt", "text/plain; charset=utf-8"},
    };
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (!strcmp(dot, types[i].ext))
            return types[i].type;
    return "application/octet-stream";
}

/* A file of web/: one plain name, no folders, no dot files. */
static enum MHD_Result on_static(serve_request *r, struct MHD_Connection *c, const char *url)
{
    const char *name = !strcmp(url, "/") ? "index.html" : url + 1;
    size_t n = strlen(name);
    int ok = n > 0 && n < 128 && name[0] != '.';
    for (size_t i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char)name[i]) || name[i] == '.' || name[i] == '-' || name[i] == '_';
    if (!ok)
        return send_error(r, c, 404, "not_found", "no page at %.200s", url);
    char path[1400];
    snprintf(path, sizeof path, "%s/%s", r->srv->web_dir, name);
    uint8_t *data;
    size_t size;
    if (read_path(path, &data, &size, NULL) < 0)
        return send_error(r, c, 404, "not_found", "no page at %.200s", url);
    return send_bytes(r, c, 200, content_type_of(name), data, size, 1);
}

// ----------------------------------------------------------------------------
// Jobs

/* Hands the job to the workers; the connection waits suspended for it. */
static enum MHD_Result start_job(serve_request *r, struct MHD_Connection *c, serve_job *job)
{
    serve_server *s = r->srv;
    r->job = job;
    job->conn = c;
    /* Suspend first: the worker may finish before this function returns. */
    MHD_suspend_connection(c);
    atomic_fetch_add(&s->suspended, 1);
    r->waiting = 1;
    if (queue_push(s->queue, job) < 0) {
        job_fail(job, 503, "overloaded", "the work queue is full: retry after the time in Retry-After");
        metrics_rejected(s->sh.metrics);
        atomic_store(&job->done, 1);
        MHD_resume_connection(c);
    }
    return MHD_YES;
}

/* The answer of a finished job (called when the connection is resumed). */
static enum MHD_Result send_job_answer(serve_request *r, struct MHD_Connection *c)
{
    serve_job *job = r->job;
    atomic_fetch_sub(&r->srv->suspended, 1);
    r->waiting = 0;
    if (job->error_code)
        metrics_error(r->srv->sh.metrics, job->error_code);
    void *body = job->body;
    job->body = NULL;
    return send_bytes(r, c, job->status, job->content_type ? job->content_type : "application/json",
                      body ? body : strdup(""), job->body_size, 1);
}

static enum MHD_Result on_job_route(serve_request *r, struct MHD_Connection *c)
{
    serve_job *job = calloc(1, sizeof *job);
    if (!job)
        return send_error(r, c, 503, "nomem", "out of memory");
    char msg[300];
    int status = gather_inputs(r, &job->inputs, &job->ninputs, r->route == ROUTE_DETECT ? 1 : MAX_INPUTS,
                               msg, sizeof msg);
    if (status) {
        job_free(job);
        return send_error(r, c, status, status == 400 ? "bad_request" : "overloaded", "%s", msg);
    }
    job->kind = r->route == ROUTE_DETECT ? JOB_DETECT : JOB_ENROLL;
    job->detect = r->detect;
    snprintf(job->name, sizeof job->name, "%s", r->name);
    return start_job(r, c, job);
}

static enum MHD_Result on_thumbnail(serve_request *r, struct MHD_Connection *c)
{
    serve_server *s = r->srv;
    enum MHD_Result answered = MHD_NO;
    serve_view *v = get_view(r, c, &answered);
    if (!v)
        return answered;
    gallery_face gf;
    int found = 0;
    for (int i = 0; i < v->nfaces && !found; i++)
        if (v->faces[i].id == r->face_id) {
            gf = v->faces[i];
            found = 1;
        }
    views_release(s->sh.views, v);
    if (!found)
        return send_error(r, c, 404, "not_found", "no face %lld in the gallery", (long long)r->face_id);
    char path[1200];
    thumb_path(&s->sh, gf.id, gf.source, gf.quality, path, sizeof path);
    uint8_t *data;
    size_t size;
    if (read_path(path, &data, &size, NULL) == 0)
        return send_bytes(r, c, 200, "image/jpeg", data, size, 1);
    /* Not made yet: a face enrolled by `celeb enroll` from a photo that is
     * still on disk gets its thumbnail from a worker (then it is cached). */
    struct stat st;
    if (stat(gf.source, &st) < 0 || !S_ISREG(st.st_mode))
        return send_error(r, c, 404, "not_found", "face %lld has no thumbnail (its photo %s is not on disk)",
                          (long long)gf.id, gf.source);
    if (queue_depth(s->queue) >= queue_capacity(s->queue))
        return send_error(r, c, 503, "overloaded", "the work queue is full");
    serve_job *job = calloc(1, sizeof *job);
    if (!job)
        return send_error(r, c, 503, "nomem", "out of memory");
    job->kind = JOB_THUMBNAIL;
    job->face = gf;
    return start_job(r, c, job);
}

// ----------------------------------------------------------------------------
// libmicrohttpd callbacks

/* The first call of a request: its headers are in. Answers at once what can
 * be answered before the body (404, 405, 401, 413, 503, bad options). */
static enum MHD_Result begin(serve_request *r, struct MHD_Connection *c, const char *url, const char *method)
{
    serve_server *s = r->srv;
    r->route = ROUTE_OTHER;
    serve_route route;
    if (route_of(r, url, &route) < 0)
        return reject(r, c, 404, "not_found", "no route %.200s", url);
    r->route = route;
    if (!method_fits(r, method))
        return reject(r, c, 405, "method_not_allowed", "%s is not allowed on %.200s", method, url);
    if (needs_key(r->route) && !authorized(s, c))
        return reject(r, c, 401, "unauthorized",
                          "this route changes the gallery: send the server's API key as 'Authorization: Bearer KEY'");
    const char *len = header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (!takes_body(r->route)) {   /* a body is read and dropped (not buffered), up to the limit */
        if (len && strtoull(len, NULL, 10) > s->sh.cfg.max_body)
            return send_error(r, c, 413, "too_large", "the body is %s bytes; the limit is %zu (--max-body)", len,
                              s->sh.cfg.max_body);
        return MHD_YES;
    }
    if (len && strtoull(len, NULL, 10) > s->sh.cfg.max_body)
        return send_error(r, c, 413, "too_large", "the body is %s bytes; the limit is %zu (--max-body)", len,
                          s->sh.cfg.max_body);
    char msg[200];
    if (r->route == ROUTE_DETECT && parse_detect_query(r, c, msg, sizeof msg) < 0)
        return reject(r, c, 400, "bad_request", "%s", msg);
    if (is_job_route(r->route) && queue_depth(s->queue) >= queue_capacity(s->queue))
        return reject(r, c, 503, "overloaded", "the work queue is full: retry after the time in Retry-After");
    const char *type = header(c, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (r->route == ROUTE_GALLERY_RENAME || (type && !strncasecmp(type, "application/json", 16))) {
        r->kind = BODY_JSON;
    } else if (type && !strncasecmp(type, "multipart/form-data", 19)) {
        r->kind = BODY_FORM;
        r->pp = MHD_create_post_processor(c, POST_BUFFER, on_part, r);
        if (!r->pp)
            return reject(r, c, 400, "bad_request", "a multipart form without a boundary");
    } else {
        r->kind = BODY_RAW;   /* the media itself, whatever the type says: the bytes tell */
    }
    return MHD_YES;
}

/* The whole request is in. */
static enum MHD_Result finish(serve_request *r, struct MHD_Connection *c, const char *url)
{
    serve_server *s = r->srv;
    if (r->rejected)
        return send_error(r, c, r->rejected, r->reject_code, "%s", r->reject_message);
    if (r->too_big)
        return send_error(r, c, 413, "too_large", "the body is over %zu bytes (%s)",
                          r->kind == BODY_JSON ? (size_t)JSON_BODY_MAX : s->sh.cfg.max_body,
                          r->kind == BODY_JSON ? "JSON bodies" : "--max-body");
    if (r->over_budget)
        return send_error(r, c, 503, "overloaded",
                          "the server holds too many request bodies now (--max-buffered): retry later");
    if (r->bad_form)
        return send_error(r, c, 400, "bad_request", "a broken multipart form (or over %d parts)", MAX_INPUTS);
    switch (r->route) {
    case ROUTE_HEALTHZ: return on_healthz(r, c);
    case ROUTE_METRICS: return on_metrics(r, c);
    case ROUTE_DETECT:
    case ROUTE_GALLERY_ENROLL: return on_job_route(r, c);
    case ROUTE_GALLERY_LIST: return on_gallery_list(r, c);
    case ROUTE_GALLERY_GET: return on_gallery_get(r, c);
    case ROUTE_GALLERY_DELETE: return on_gallery_delete(r, c);
    case ROUTE_GALLERY_RENAME: return on_gallery_rename(r, c);
    case ROUTE_THUMBNAIL: return on_thumbnail(r, c);
    case ROUTE_EMBEDDINGS: return on_embeddings(r, c);
    case ROUTE_STATIC: return on_static(r, c, url);
    default: return send_error(r, c, 404, "not_found", "no route %.200s", url);
    }
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_size,
                                  void **con_cls)
{
    serve_server *s = cls;
    serve_request *r = *con_cls;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        r->srv = s;
        r->t0 = clock_s();
        *con_cls = r;
        return begin(r, c, url, method);
    }
    if (r->job)   /* resumed: the job is done */
        return atomic_load(&r->job->done) ? send_job_answer(r, c) : MHD_YES;
    if (*upload_size) {
        take_body(r, upload_data, *upload_size);
        *upload_size = 0;
        /* a refused request (or a body a route does not take) is drained up to the body limit, no further */
        return (r->rejected || r->kind == BODY_NONE) && r->received > s->sh.cfg.max_body ? MHD_NO : MHD_YES;
    }
    return finish(r, c, url);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode why)
{
    serve_server *s = cls;
    serve_request *r = *con_cls;
    if (!r)
        return;
    metrics_request(s->sh.metrics, r->route, r->status ? r->status : 499, clock_s() - r->t0);
    /* a resumed connection whose client had gone is closed without a last handler call */
    if (r->waiting)
        atomic_fetch_sub(&s->suspended, 1);
    request_free(r);
    *con_cls = NULL;
}

// ----------------------------------------------------------------------------
// Workers

typedef struct worker_arg {
    serve_server *srv;
    serve_worker *w;
} worker_arg;

static void *worker_main(void *arg)
{
    serve_server *s = ((worker_arg *)arg)->srv;
    serve_worker *w = ((worker_arg *)arg)->w;
    free(arg);
    serve_job *job;
    while ((job = queue_pop(s->queue))) {
        atomic_fetch_add(&s->busy, 1);
        double t0 = clock_s();
        worker_run(w, job);
        double took = clock_s() - t0;
        pthread_mutex_lock(&s->sh.stats_lock);
        s->sh.job_seconds = s->sh.job_seconds > 0 ? 0.8 * s->sh.job_seconds + 0.2 * took : took;
        pthread_mutex_unlock(&s->sh.stats_lock);
        atomic_fetch_sub(&s->busy, 1);
        struct MHD_Connection *c = job->conn;
        atomic_store(&job->done, 1);   /* the job belongs to the HTTP side from here */
        MHD_resume_connection(c);
    }
    return NULL;
}

// ----------------------------------------------------------------------------
// Start and stop

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

static void release(serve_server *s)
{
    for (int i = 0; i < s->nworkers; i++)
        worker_free(s->workers[i]);
    free(s->workers);
    free(s->threads);
    if (s->sh.aux_open)
        face_engine_close(&s->sh.aux);
    pthread_mutex_destroy(&s->sh.aux_lock);
    pthread_mutex_destroy(&s->sh.stats_lock);
    views_free(s->sh.views);
    metrics_free(s->sh.metrics);
    queue_free(s->queue);
    free(s->host);
    free(s->gallery);
    free(s->thumbs);
    free(s->web_dir);
    free(s->model_dir);
    free(s->api_key);
    free(s);
}

/* Stops and joins the worker threads started so far. */
static void stop_workers(serve_server *s)
{
    queue_close(s->queue);
    for (int i = 0; i < s->nthreads; i++)
        pthread_join(s->threads[i], NULL);
    s->nthreads = 0;
}

static int bind_address(const char *host, int port, struct sockaddr_storage *addr, int *ipv6,
                        celeb_error *err)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *res;
    int gai = getaddrinfo(host, NULL, &hints, &res);
    if (gai != 0)
        return celeb_fail(err, CELEB_EINVAL, "--host %s: %s", host, gai_strerror(gai));
    memcpy(addr, res->ai_addr, res->ai_addrlen);
    *ipv6 = res->ai_family == AF_INET6;
    if (*ipv6)
        ((struct sockaddr_in6 *)addr)->sin6_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in *)addr)->sin_port = htons((uint16_t)port);
    freeaddrinfo(res);
    return CELEB_OK;
}

int serve_start(const serve_config *cfg_in, serve_server **out, celeb_error *err)
{
    *out = NULL;
    serve_server *s = calloc(1, sizeof *s);
    if (!s)
        return celeb_fail(err, CELEB_ENOMEM, "out of memory");
    serve_config cfg = *cfg_in;
    serve_config def;
    serve_config_defaults(&def);
    if (!cfg.host)
        cfg.host = def.host;
    if (cfg.workers <= 0)
        cfg.workers = def.workers;
    if (cfg.queue <= 0)
        cfg.queue = def.queue;
    if (!cfg.max_body)
        cfg.max_body = def.max_body;
    if (!cfg.max_buffered)
        cfg.max_buffered = def.max_buffered;
    if (cfg.max_pixels <= 0)
        cfg.max_pixels = def.max_pixels;
    if (cfg.max_frames <= 0)
        cfg.max_frames = def.max_frames;
    if (cfg.max_sampled <= 0)
        cfg.max_sampled = def.max_sampled;
    if (cfg.fetch_timeout_ms <= 0)
        cfg.fetch_timeout_ms = def.fetch_timeout_ms;
    if (cfg.connection_timeout_s <= 0)
        cfg.connection_timeout_s = def.connection_timeout_s;
    if (cfg.max_connections <= 0)
        cfg.max_connections = def.max_connections;
    if (cfg.threads <= 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        cfg.threads = cores > cfg.workers ? (int)(cores / cfg.workers) : 1;
    }
    pthread_mutex_init(&s->sh.aux_lock, NULL);
    pthread_mutex_init(&s->sh.stats_lock, NULL);
    char web_default[1200];
    snprintf(web_default, sizeof web_default, "%s/../web", CELEB_MODEL_DIR);
    s->host = strdup(cfg.host);
    s->gallery = dup_or_null(cfg.gallery ? cfg.gallery : "");
    s->web_dir = strdup(cfg.web_dir ? cfg.web_dir : web_default);
    s->model_dir = dup_or_null(cfg.model_dir);
    s->api_key = dup_or_null(cfg.api_key ? cfg.api_key : "");
    s->sh.metrics = metrics_create();
    s->sh.views = views_create(s->gallery);
    s->queue = queue_create(cfg.queue);
    s->workers = calloc((size_t)cfg.workers, sizeof *s->workers);
    s->threads = calloc((size_t)cfg.workers, sizeof *s->threads);
    if (!s->host || !s->gallery || !s->web_dir || (cfg.model_dir && !s->model_dir) || !s->api_key ||
        !s->sh.metrics || !s->sh.views || !s->queue || !s->workers || !s->threads) {
        release(s);
        return celeb_fail(err, CELEB_ENOMEM, "out of memory");
    }
    if (!s->gallery[0] || strlen(s->api_key) < 8) {
        release(s);
        return celeb_fail(err, CELEB_EINVAL, !s->gallery[0] ? "no gallery file given"
                                                             : "the API key must have 8 characters or more");
    }
    cfg.host = s->host;
    cfg.gallery = s->gallery;
    cfg.web_dir = s->web_dir;
    cfg.model_dir = s->model_dir;
    cfg.api_key = s->api_key;
    snprintf(s->sh.thumbs_dir, sizeof s->sh.thumbs_dir, "%s", cfg.thumbs_dir ? cfg.thumbs_dir : "");
    if (!cfg.thumbs_dir)
        snprintf(s->sh.thumbs_dir, sizeof s->sh.thumbs_dir, "%s.thumbs", s->gallery);
    cfg.thumbs_dir = s->sh.thumbs_dir;
    s->sh.cfg = cfg;
    int rc = CELEB_OK;
    for (int i = 0; rc == 0 && i < cfg.workers; i++) {
        rc = worker_create(&s->sh, &s->workers[i], err);
        if (rc == 0)
            s->nworkers++;
    }
    for (int i = 0; rc == 0 && i < s->nworkers; i++) {
        worker_arg *a = malloc(sizeof *a);
        if (!a) {
            rc = celeb_fail(err, CELEB_ENOMEM, "out of memory");
            break;
        }
        *a = (worker_arg){s, s->workers[i]};
        if (pthread_create(&s->threads[i], NULL, worker_main, a) != 0) {
            free(a);
            rc = celeb_fail(err, CELEB_EINTERNAL, "cannot start a worker thread");
            break;
        }
        s->nthreads++;
    }
    struct sockaddr_storage addr = {0};
    int ipv6 = 0;
    if (rc == 0)
        rc = bind_address(cfg.host, cfg.port, &addr, &ipv6, err);
    if (rc == 0) {
        unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                         MHD_USE_ERROR_LOG | (ipv6 ? MHD_USE_IPv6 : 0);
        s->daemon = MHD_start_daemon(
            flags, (uint16_t)cfg.port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, &addr,
            MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_CONNECTION_TIMEOUT,
            (unsigned)cfg.connection_timeout_s, MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg.max_connections,
            MHD_OPTION_END);
        if (!s->daemon)
            rc = celeb_fail(err, CELEB_EIO, "cannot listen on %s port %d (in use?)", cfg.host, cfg.port);
    }
    if (rc < 0) {
        stop_workers(s);
        release(s);
        return rc;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : cfg.port;
    s->t_start = clock_s();
    *out = s;
    return CELEB_OK;
}

void serve_stop(serve_server *s)
{
    if (!s)
        return;
    MHD_socket listen = MHD_quiesce_daemon(s->daemon);
    if (listen != MHD_INVALID_SOCKET)
        close(listen);
    /* The workers finish the job they run; the jobs still queued are refused. */
    stop_workers(s);
    serve_job *job;
    while ((job = queue_take(s->queue))) {
        job_fail(job, 503, "shutting_down", "the server is stopping");
        struct MHD_Connection *c = job->conn;
        atomic_store(&job->done, 1);
        MHD_resume_connection(c);
    }
    /* Every suspended connection must be resumed and answered before the daemon stops. */
    for (int waited = 0; atomic_load(&s->suspended) > 0 && waited < SHUTDOWN_WAIT_MS; waited += 10)
        usleep(10000);
    MHD_stop_daemon(s->daemon);
    release(s);
}
