/* runner.h - `celeb batch`'s workers: N threads, each with its own
 * celeb_ctx (models and gallery loaded once per worker), taking the next
 * item from a shared index and writing one record per item to an fd.
 *
 *     batch_runner *r;
 *     batch_runner_start(&opt, items, n, &r, &err);
 *     while (!batch_runner_finished(r)) { batch_runner_stats(r, &s); ... sleep; }
 *     batch_runner_join(r, &err);     // 0, or why the run had to stop
 *
 * A bad item is an error record, never a stop. The run stops early only
 * when a worker cannot open its context or a record cannot be written
 * (join reports it), or on batch_runner_stop (each worker finishes its
 * current item, so every record is whole). Records come in completion
 * order, not manifest order. */
#ifndef CELEB_BATCH_RUNNER_H
#define CELEB_BATCH_RUNNER_H

#include <stddef.h>

#include "celeb.h"
#include "manifest.h"
#include "media/fetch.h"

typedef struct batch_runner_options {
    celeb_options celeb;    /* each worker's context (threads: OpenMP threads per worker) */
    int jobs;               /* worker threads, >= 1 */
    int out_fd;             /* where the records go (O_APPEND for a file) */
    fetch_limits limits;    /* URL downloads */
} batch_runner_options;

typedef struct batch_stats {
    size_t total;     /* items given */
    size_t done;      /* records written */
    size_t ok;        /* of which results */
    size_t errors;    /* of which error records */
    size_t faces;     /* appearances in the results */
    size_t persons;   /* persons in the results */
    int workers;      /* workers still running */
} batch_stats;

typedef struct batch_runner batch_runner;

/* Starts the workers on items[0..n) (the items must outlive the runner). */
int batch_runner_start(const batch_runner_options *opt, const batch_item *const *items, size_t n,
                       batch_runner **out, celeb_error *err);

/* A snapshot of the counters. */
void batch_runner_stats(batch_runner *r, batch_stats *s);

/* 1 once every worker has exited. */
int batch_runner_finished(batch_runner *r);

/* No new items are started; safe to call from any thread (not a signal handler). */
void batch_runner_stop(batch_runner *r);

/* Waits for the workers and frees r. Returns 0, or the first fatal error. */
int batch_runner_join(batch_runner *r, celeb_error *err);

/* One item's record (a result or an error record), using ctx. Never NULL
 * unless out of memory. *faces gets the number of appearances. */
cJSON *batch_process_item(celeb_ctx *ctx, const batch_item *it, const fetch_limits *lim, size_t *faces);

#endif
