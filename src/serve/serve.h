/* serve.h - `celeb serve`: the HTTP JSON API and the web page, on
 * libmicrohttpd, over the same library calls as the CLI.
 *
 * Threads: libmicrohttpd's one polling thread reads requests (bodies capped
 * while they arrive) and answers the cheap routes itself (health, metrics,
 * gallery reads, static files); the work that runs the nets (detect, enroll,
 * thumbnails) goes through a bounded queue to a pool of worker threads, each
 * with its own detection context. A full queue is answered 503 with
 * Retry-After, never buffered; the bytes of bodies held in memory at once
 * are capped too. The connection waits suspended while its job runs.
 *
 *     serve_config cfg;  serve_config_defaults(&cfg);  cfg.port = 8080;
 *     serve_server *s;  celeb_error err;
 *     if (serve_start(&cfg, &s, &err) < 0) ...;   // listening on return
 *     ... wait for a signal ...
 *     serve_stop(s);                              // drains, then frees
 *
 * All the server's state lives in the serve_server struct (no globals). */
#ifndef CELEB_SERVE_H
#define CELEB_SERVE_H

#include <stddef.h>
#include <stdint.h>

#include "../core/error.h"

typedef struct serve_config {
    const char *host;            /* address to bind; default "127.0.0.1" */
    int port;                    /* 0: any free port (serve_port tells which) */
    const char *gallery;         /* gallery file (created by the first enrolment) */
    const char *thumbs_dir;      /* face thumbnails; NULL: "<gallery>.thumbs" */
    const char *web_dir;         /* static page files; NULL: the build's web/ */
    const char *model_dir;       /* NULL: face_default_model_dir() */
    const char *api_key;         /* required by the routes that change data */
    int allow_private_urls;      /* fetch URLs on loopback/private/link-local addresses */
    int workers;                 /* worker threads, each with its own nets; default 2 */
    int threads;                 /* threads per worker; <= 0: cores / workers (at least 1) */
    int queue;                   /* jobs waiting beyond the running ones; default 16 */
    size_t max_body;             /* bytes of one request body; default 50 MB */
    size_t max_buffered;         /* bytes of all bodies held at once; default 256 MB */
    int64_t max_pixels;          /* pixels of one frame; default 40 Mpx */
    int max_frames;              /* frames of one media file; default 20000 */
    int max_sampled;             /* largest ?frames=N (and ?frames=all only up to it); default 300 */
    long fetch_timeout_ms;       /* a URL download; default 30 s */
    int connection_timeout_s;    /* idle connection; default 60 */
    int max_connections;         /* open connections; default 256 */
} serve_config;

typedef struct serve_server serve_server;

void serve_config_defaults(serve_config *cfg);

/* Loads the nets (one context per worker), binds, and starts serving.
 * *out is owned by the caller: serve_stop. */
int serve_start(const serve_config *cfg, serve_server **out, celeb_error *err);

/* The port actually bound. */
int serve_port(const serve_server *s);

/* Stops accepting, finishes or refuses (503) the queued jobs, stops the
 * threads and frees everything. */
void serve_stop(serve_server *s);

#endif
