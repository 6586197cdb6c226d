/* metrics.h - the server's counters, rendered as Prometheus text for
 * GET /metrics: requests by route and status, a latency histogram per
 * route, faces and persons found, errors by code, queue rejections, and the
 * gauges the server passes in (queue depth, busy workers, buffered bytes,
 * resident memory). Thread-safe: one mutex. */
#ifndef CELEB_SERVE_METRICS_H
#define CELEB_SERVE_METRICS_H

#include <stddef.h>

/* The routes, as Prometheus labels. */
typedef enum serve_route {
    ROUTE_STATIC,          /* GET /, the page's files */
    ROUTE_HEALTHZ,
    ROUTE_METRICS,
    ROUTE_DETECT,          /* POST /v1/detect */
    ROUTE_GALLERY_LIST,    /* GET /v1/gallery */
    ROUTE_GALLERY_GET,     /* GET /v1/gallery/{name} */
    ROUTE_GALLERY_ENROLL,  /* POST /v1/gallery/{name}/faces */
    ROUTE_GALLERY_DELETE,  /* DELETE /v1/gallery/{name} */
    ROUTE_GALLERY_RENAME,  /* PATCH /v1/gallery/{name} */
    ROUTE_THUMBNAIL,       /* GET /v1/faces/{id}/thumbnail */
    ROUTE_EMBEDDINGS,      /* GET /v1/embeddings */
    ROUTE_OTHER,           /* anything else (404, 405) */
    ROUTE_COUNT
} serve_route;

/* "POST /v1/detect" and so on. */
const char *serve_route_label(serve_route r);

typedef struct serve_gauges {
    int queue_depth, queue_capacity;
    int workers, workers_busy;
    size_t buffered_bytes, max_buffered;
    double uptime_s;
} serve_gauges;

typedef struct serve_metrics serve_metrics;

serve_metrics *metrics_create(void);
void metrics_free(serve_metrics *m);

/* One answered request: its route, HTTP status and time from its first byte. */
void metrics_request(serve_metrics *m, serve_route r, int status, double seconds);
/* An error answer's code (the "code" of its JSON error). */
void metrics_error(serve_metrics *m, const char *code);
/* One detection's faces and persons. */
void metrics_detected(serve_metrics *m, int faces, int persons);
/* A request refused because the queue or the body budget was full. */
void metrics_rejected(serve_metrics *m);

/* The Prometheus text exposition (malloc'd, caller frees; NULL when out of memory). */
char *metrics_render(serve_metrics *m, const serve_gauges *g);

#endif
