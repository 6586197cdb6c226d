/* rworker.h - `celeb worker`'s loop: one consumer of a Redis Streams
 * consumer group, one item at a time with one celeb_ctx (models and gallery
 * loaded once), over src/queue/rstream and src/batch's item processing.
 *
 * Each delivery: HINCRBY S:attempts id (the delivery count); an item
 * delivered more than max_attempts times (it killed or stalled the workers
 * that took it) is dead-lettered without processing, code "attempts".
 * Otherwise batch_process_item: a result is stored and acked; an error is
 * - transient (a URL download failing with "io", "nomem", "internal"):
 *   left pending, unacked, so it is redelivered (XAUTOCLAIM) after
 *   claim_idle_ms, until the max_attempts-th delivery, then dead-lettered;
 * - permanent (format, corrupt, limit, invalid, a local file missing or
 *   unreadable "io"): dead-lettered at once with its error.
 * Stop: *stop set (by a signal handler) makes the loop return after the
 * current item is finished and acked. */
#ifndef CELEB_QUEUE_RWORKER_H
#define CELEB_QUEUE_RWORKER_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>

#include "celeb.h"
#include "media/fetch.h"

typedef struct rw_options {
    const char *url, *stream, *group, *consumer;
    celeb_options celeb;      /* the worker's context */
    fetch_limits limits;      /* URL downloads */
    int max_attempts;         /* deliveries before a dead letter; <= 0: 3 */
    long claim_idle_ms;       /* reclaim entries pending longer than this; <= 0: 30000 */
    int block_ms;             /* XREADGROUP BLOCK; <= 0: 1000 */
    int exit_when_empty;      /* return when nothing is new and nothing is pending in the group */
    FILE *log;                /* one line per item, or NULL */
} rw_options;

typedef struct rw_counts {
    size_t done;       /* results stored */
    size_t dead;       /* dead letters */
    size_t retried;    /* transient failures left for redelivery */
    size_t claimed;    /* entries taken over after claim_idle_ms */
    double work_s;     /* seconds in processing items (batch_process_item) */
    double queue_s;    /* seconds in the queue's own work per item: Redis calls, the result's JSON */
    double idle_s;     /* seconds with nothing to take: blocked, or waiting for other consumers' entries */
} rw_counts;

/* True if an error record's code is worth retrying for this source. */
int rw_error_is_transient(const char *code, const char *source);

/* Runs until *stop, or (exit_when_empty) the group is drained. Returns 0,
 * or the error that stopped it (Redis lost, models not loadable). */
int rw_run(const rw_options *opt, volatile sig_atomic_t *stop, rw_counts *counts, celeb_error *err);

#endif
