/* runner.c - worker threads over a shared item index (see runner.h). */
#include "runner.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"

struct batch_runner {
    batch_runner_options opt;
    const batch_item *const *items;
    size_t n;
    pthread_t *threads;
    int started;
    pthread_mutex_t lock;     /* next, stop, stats, fatal */
    pthread_mutex_t write_lock;
    size_t next;
    int stop;
    batch_stats stats;
    int fatal;                /* first fatal error code, 0 if none */
    celeb_error fatal_err;
};

cJSON *batch_process_item(celeb_ctx *ctx, const batch_item *it, const fetch_limits *lim, size_t *faces)
{
    *faces = 0;
    if (it->error)
        return batch_error_record(it->id, it->source, CELEB_EINVAL, it->error);
    celeb_error err = {0};
    cJSON *doc = NULL;
    int rc;
    if (fetch_is_url(it->source)) {
        uint8_t *data = NULL;
        size_t size = 0;
        rc = fetch_url(it->source, lim, &data, &size, &err);
        if (rc == 0)
            rc = celeb_detect_memory(ctx, data, size, it->source, &doc, &err);
        free(data);
    } else {
        rc = celeb_detect_file(ctx, it->source, &doc, &err);
    }
    if (rc < 0)
        return batch_error_record(it->id, it->source, rc, err.message);
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(doc, "persons"))
        *faces += (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(p, "appearances"));
    return batch_result_record(it->id, doc);
}

static void set_fatal(batch_runner *r, const celeb_error *err)
{
    pthread_mutex_lock(&r->lock);
    if (!r->fatal) {
        r->fatal = err->code ? err->code : CELEB_EINTERNAL;
        r->fatal_err = *err;
    }
    r->stop = 1;
    pthread_mutex_unlock(&r->lock);
}

static void *worker(void *arg)
{
    batch_runner *r = arg;
    celeb_ctx *ctx = NULL;
    celeb_error err = {0};
    if (celeb_open(&r->opt.celeb, &ctx, &err) < 0) {
        set_fatal(r, &err);
        ctx = NULL;
    }
    while (ctx) {
        pthread_mutex_lock(&r->lock);
        size_t i = r->stop || r->next >= r->n ? r->n : r->next++;
        pthread_mutex_unlock(&r->lock);
        if (i >= r->n)
            break;
        size_t faces = 0;
        cJSON *rec = batch_process_item(ctx, r->items[i], &r->opt.limits, &faces);
        int is_error = rec && cJSON_GetObjectItemCaseSensitive(rec, "error") != NULL;
        int rc = rec ? 0 : celeb_fail(&err, CELEB_ENOMEM, "out of memory");
        if (rc == 0) {
            pthread_mutex_lock(&r->write_lock);
            rc = batch_write_record(r->opt.out_fd, rec, &err);
            pthread_mutex_unlock(&r->write_lock);
        }
        int persons = rec ? cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(rec, "persons")) : 0;
        cJSON_Delete(rec);
        if (rc < 0) {
            set_fatal(r, &err);
            break;
        }
        pthread_mutex_lock(&r->lock);
        r->stats.done++;
        if (is_error)
            r->stats.errors++;
        else
            r->stats.ok++;
        r->stats.faces += faces;
        r->stats.persons += (size_t)persons;
        pthread_mutex_unlock(&r->lock);
    }
    celeb_close(ctx);
    pthread_mutex_lock(&r->lock);
    r->stats.workers--;
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

int batch_runner_start(const batch_runner_options *opt, const batch_item *const *items, size_t n,
                       batch_runner **out, celeb_error *err)
{
    *out = NULL;
    if (opt->jobs < 1)
        return celeb_fail(err, CELEB_EINVAL, "batch: jobs must be at least 1");
    batch_runner *r = calloc(1, sizeof *r);
    if (!r || !(r->threads = calloc((size_t)opt->jobs, sizeof *r->threads))) {
        free(r);
        return celeb_fail(err, CELEB_ENOMEM, "batch: out of memory");
    }
    r->opt = *opt;
    r->items = items;
    r->n = n;
    r->stats.total = n;
    r->stats.workers = opt->jobs;
    pthread_mutex_init(&r->lock, NULL);
    pthread_mutex_init(&r->write_lock, NULL);
    for (; r->started < opt->jobs; r->started++) {
        if (pthread_create(&r->threads[r->started], NULL, worker, r) != 0) {
            celeb_error e;
            celeb_fail(&e, CELEB_EINTERNAL, "batch: cannot start worker thread %d", r->started + 1);
            pthread_mutex_lock(&r->lock);
            r->stats.workers -= opt->jobs - r->started;   /* never started */
            pthread_mutex_unlock(&r->lock);
            set_fatal(r, &e);
            break;
        }
    }
    *out = r;
    return 0;
}

void batch_runner_stats(batch_runner *r, batch_stats *s)
{
    pthread_mutex_lock(&r->lock);
    *s = r->stats;
    pthread_mutex_unlock(&r->lock);
}

int batch_runner_finished(batch_runner *r)
{
    pthread_mutex_lock(&r->lock);
    int done = r->stats.workers == 0;
    pthread_mutex_unlock(&r->lock);
    return done;
}

void batch_runner_stop(batch_runner *r)
{
    pthread_mutex_lock(&r->lock);
    r->stop = 1;
    pthread_mutex_unlock(&r->lock);
}

int batch_runner_join(batch_runner *r, celeb_error *err)
{
    for (int i = 0; i < r->started; i++)
        pthread_join(r->threads[i], NULL);
    int rc = r->fatal;
    if (rc && err)
        *err = r->fatal_err;
    pthread_mutex_destroy(&r->lock);
    pthread_mutex_destroy(&r->write_lock);
    free(r->threads);
    free(r);
    return rc;
}
