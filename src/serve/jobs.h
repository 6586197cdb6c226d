/* jobs.h - the work the server's worker threads do: detection, enrolment
 * and face thumbnails. A job carries its inputs in (owned bytes) and its
 * answer out (HTTP status + body); the HTTP side (server.c) makes jobs,
 * queues them and sends their answers. Each worker keeps its own detection
 * contexts (celeb_ctx: the nets, ~100 MB each); the engine for enrolment,
 * thumbnails and the explorer's descriptors is one, shared under a mutex.
 */
#ifndef CELEB_SERVE_JOBS_H
#define CELEB_SERVE_JOBS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "celeb.h"
#include "metrics.h"
#include "serve.h"
#include "views.h"

/* What the workers share: read-only config and thread-safe parts. */
typedef struct serve_shared {
    serve_config cfg;            /* strings point into the server's own copies */
    char thumbs_dir[1024];
    serve_metrics *metrics;
    serve_views *views;
    pthread_mutex_t aux_lock;    /* guards aux and aux_open */
    face_engine aux;             /* enrolment settings; opened at first use */
    int aux_open;
    pthread_mutex_t stats_lock;  /* guards job_seconds */
    double job_seconds;          /* moving average of a job's run time */
} serve_shared;

typedef enum job_kind { JOB_DETECT, JOB_ENROLL, JOB_THUMBNAIL } job_kind;

/* One input medium: bytes from the request, or a URL to fetch. */
typedef struct job_input {
    uint8_t *data;               /* owned; NULL for a URL */
    size_t size;
    char *source;                /* owned: file name, "upload" or the URL */
    int is_url;
} job_input;

/* Detection options of a request (?frames=, ?detector=, ?include=). */
typedef struct detect_request {
    face_detector detector;
    int frames;                  /* <= 0: the default (20) */
    int all_frames;
    int include_frames;          /* add "frame_images": the sampled frames as JPEG data URLs */
    int include_embedding;       /* add "xyz" to each appearance: its place in the explorer */
} detect_request;

typedef struct serve_job {
    job_kind kind;
    void *conn;                  /* the suspended MHD connection to resume */
    /* in */
    job_input *inputs;
    int ninputs;
    detect_request detect;
    char name[GALLERY_NAME_MAX]; /* JOB_ENROLL: the identity */
    gallery_face face;           /* JOB_THUMBNAIL: the face */
    /* out */
    int status;                  /* HTTP status */
    char *body;                  /* owned */
    size_t body_size;
    const char *content_type;    /* static string */
    int retry_after;             /* seconds, for a 503; 0: none */
    const char *error_code;      /* static string: the JSON error's code, NULL on success */
    atomic_int done;
} serve_job;

void job_free(serve_job *job);

/* The answer of a job that failed: {"error": {"code", "message"}}. */
void job_fail(serve_job *job, int status, const char *code, const char *message);

/* A worker's own state: its detection contexts. */
typedef struct serve_worker serve_worker;

/* A worker with its default context loaded (so a missing model fails at start). */
int worker_create(serve_shared *sh, serve_worker **out, celeb_error *err);
void worker_free(serve_worker *w);

/* Runs the job and fills its answer (never fails: errors become answers). */
void worker_run(serve_worker *w, serve_job *job);

/* The cached thumbnail file of a face: "<thumbs_dir>/<id>-<hash>.jpg", the
 * hash over its source and quality (face ids can be reused after a removal). */
void thumb_path(const serve_shared *sh, int64_t id, const char *source, float quality, char *out,
                size_t size);

/* HTTP status of a library error code (415 format, 422 corrupt/limit/invalid, ...). */
int status_of_error(int code);

#endif
