/* rworker.c - the worker loop (see rworker.h). */
#include "rworker.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch/manifest.h"
#include "batch/output.h"
#include "batch/runner.h"
#include "core/clock.h"
#include "rstream.h"

int rw_error_is_transient(const char *code, const char *source)
{
    if (!code)
        return 0;
    if (!strcmp(code, "nomem") || !strcmp(code, "internal"))
        return 1;
    return !strcmp(code, "io") && source && fetch_is_url(source);
}

/* Processes one delivered entry and finishes it (ack), or leaves it pending
 * for a retry. Returns 0 or a Redis error. */
static int handle(const rw_options *o, redisContext *c, celeb_ctx *ctx, const rs_entry *e, rw_counts *n,
                  celeb_error *err)
{
    const char *id = e->id ? e->id : e->eid;
    long long attempt;
    if (rs_attempt(c, o->stream, id, &attempt, err) < 0)
        return CELEB_EIO;
    if (!e->source) {
        cJSON *er = batch_error_record(id, "", CELEB_EINVAL, "stream entry has no source field");
        int rc = er ? rs_dead_letter(c, o->stream, o->group, e->eid, id, "", cJSON_GetObjectItem(er, "error"),
                                     attempt, err)
                    : celeb_fail(err, CELEB_ENOMEM, "out of memory");
        cJSON_Delete(er);
        n->dead += rc == 0;
        return rc;
    }
    if (attempt > o->max_attempts) {
        char msg[160];
        snprintf(msg, sizeof msg, "delivered %lld times without being finished (max %d)", attempt, o->max_attempts);
        cJSON *er = cJSON_CreateObject();
        cJSON_AddStringToObject(er, "code", "attempts");
        cJSON_AddStringToObject(er, "message", msg);
        int rc = rs_dead_letter(c, o->stream, o->group, e->eid, id, e->source, er, attempt, err);
        cJSON_Delete(er);
        n->dead += rc == 0;
        if (o->log)
            fprintf(o->log, "celeb worker: %s: dead-lettered: %s\n", id, msg);
        return rc;
    }
    batch_item it = {.id = (char *)id, .source = e->source, .error = e->error};
    size_t faces = 0;
    double t0 = clock_s();
    cJSON *rec = batch_process_item(ctx, &it, &o->limits, &faces);
    n->work_s += clock_s() - t0;
    if (!rec)
        return celeb_fail(err, CELEB_ENOMEM, "out of memory");
    const cJSON *eo = cJSON_GetObjectItemCaseSensitive(rec, "error");
    int rc = 0;
    if (!eo) {
        rc = rs_complete(c, o->stream, o->group, e->eid, id, rec, err);
        n->done += rc == 0;
        if (o->log && rc == 0)
            fprintf(o->log, "celeb worker: %s: done, %zu faces%s\n", id, faces, e->claimed ? " (reclaimed)" : "");
    } else {
        const char *code = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(eo, "code"));
        const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(eo, "message"));
        if (rw_error_is_transient(code, e->source) && attempt < o->max_attempts) {
            n->retried++;   /* left pending: XAUTOCLAIM hands it out again after claim_idle_ms */
            if (o->log)
                fprintf(o->log, "celeb worker: %s: attempt %lld failed (%s: %s), will retry\n", id, attempt, code,
                        msg ? msg : "");
        } else {
            rc = rs_dead_letter(c, o->stream, o->group, e->eid, id, e->source, eo, attempt, err);
            n->dead += rc == 0;
            if (o->log && rc == 0)
                fprintf(o->log, "celeb worker: %s: dead-lettered (%s: %s)\n", id, code ? code : "?", msg ? msg : "");
        }
    }
    cJSON_Delete(rec);
    return rc;
}

int rw_run(const rw_options *opt, volatile sig_atomic_t *stop, rw_counts *counts, celeb_error *err)
{
    rw_options o = *opt;
    if (o.max_attempts <= 0)
        o.max_attempts = 3;
    if (o.claim_idle_ms <= 0)
        o.claim_idle_ms = 30000;
    if (o.block_ms <= 0)
        o.block_ms = 1000;
    memset(counts, 0, sizeof *counts);
    redisContext *c;
    if (rs_connect(o.url, &c, err) < 0)
        return err->code;
    int rc = rs_group_create(c, o.stream, o.group, err);
    celeb_ctx *ctx = NULL;
    if (rc == 0)
        rc = celeb_open(&o.celeb, &ctx, err);
    char cursor[64] = "0-0";
    double t0 = clock_s();
    while (rc == 0 && !*stop) {
        rs_entry e;
        int got;
        /* Draining (exit_when_empty) never blocks on an empty stream: it asks, and
         * naps only while other consumers still hold entries. */
        int block = o.exit_when_empty ? 0 : o.block_ms;
        double t_ask = clock_s();
        if ((rc = rs_next(c, o.stream, o.group, o.consumer, o.claim_idle_ms, block, cursor, &e, &got, err)) < 0)
            break;
        if (got) {
            counts->claimed += (size_t)e.claimed;
            rc = handle(&o, c, ctx, &e, counts, err);
            rs_entry_free(&e);
            continue;
        }
        if (o.exit_when_empty) {
            long long pending;
            if ((rc = rs_pending(c, o.stream, o.group, &pending, err)) < 0)
                break;
            if (pending == 0)
                break;
            nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
        }
        counts->idle_s += clock_s() - t_ask;   /* an ask that found nothing, and the nap */
    }
    counts->queue_s = clock_s() - t0 - counts->work_s - counts->idle_s;
    celeb_close(ctx);
    redisFree(c);
    return rc;
}
