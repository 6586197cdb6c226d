/* jobs.c - see jobs.h: what a worker does with a job. Detection is the
 * library's celeb_detect_memory on the worker's own context, enrolment the
 * library's celeb_enroll_image; this file adds the server's parts: limits
 * checked before the work, URL fetching with the address guard, the page's
 * extras (frames as JPEG, places in the explorer) and face thumbnails. */
#include "jobs.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "media/fetch.h"
#include "media/media.h"
#include "picture.h"
#include "url_guard.h"

/* Contexts a worker keeps: the default option set and one other (each holds
 * the nets; see the issue 4 report for the per-request options that would
 * make one enough). */
#define WORKER_CONTEXTS 2
/* A gallery face matches a face found again in its photo below this distance
 * (the same photo through the same engine gives ~0). */
#define THUMB_MATCH_DISTANCE 0.3f
#define FRAME_JPEG_QUALITY 80
#define THUMB_JPEG_QUALITY 85

typedef struct ctx_slot {
    int used;
    face_detector detector;
    int frames, all_frames;
    celeb_ctx *ctx;
    uint64_t last_used;
} ctx_slot;

struct serve_worker {
    serve_shared *sh;
    ctx_slot slots[WORKER_CONTEXTS];
    uint64_t tick;
};

void job_free(serve_job *job)
{
    if (!job)
        return;
    for (int i = 0; i < job->ninputs; i++) {
        free(job->inputs[i].data);
        free(job->inputs[i].source);
    }
    free(job->inputs);
    free(job->body);
    free(job);
}

/* Sets the answer to doc (deleted here). */
static void job_answer(serve_job *job, int status, cJSON *doc)
{
    free(job->body);
    job->body = doc ? cJSON_PrintUnformatted(doc) : NULL;
    cJSON_Delete(doc);
    if (!job->body) {
        job->status = 500;
        job->body = strdup("{\"error\":{\"code\":\"nomem\",\"message\":\"out of memory\"}}");
    } else {
        job->status = status;
    }
    job->body_size = job->body ? strlen(job->body) : 0;
    job->content_type = "application/json";
}

static cJSON *error_doc(const char *code, const char *message)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON *e = cJSON_AddObjectToObject(doc, "error");
    cJSON_AddStringToObject(e, "code", code);
    cJSON_AddStringToObject(e, "message", message);
    return doc;
}

void job_fail(serve_job *job, int status, const char *code, const char *message)
{
    job_answer(job, status, error_doc(code, message));
    job->error_code = code;
}

int status_of_error(int code)
{
    switch (code) {
    case CELEB_EFORMAT: return 415;
    case CELEB_ECORRUPT:
    case CELEB_ELIMIT:
    case CELEB_EINVAL:
    case CELEB_EIO: return 422;
    case CELEB_ENOMEM: return 503;
    default: return 500;
    }
}

// ----------------------------------------------------------------------------
// Contexts

static celeb_options ctx_options(const serve_shared *sh, face_detector detector, int frames, int all)
{
    return (celeb_options){.model_dir = sh->cfg.model_dir, .gallery = sh->cfg.gallery,
                           .threads = sh->cfg.threads, .detector = detector, .frames = frames,
                           .all_frames = all};
}

int worker_create(serve_shared *sh, serve_worker **out, celeb_error *err)
{
    *out = NULL;
    serve_worker *w = calloc(1, sizeof *w);
    if (!w)
        return celeb_fail(err, CELEB_ENOMEM, "out of memory");
    w->sh = sh;
    celeb_options o = ctx_options(sh, FACE_DETECTOR_BOTH, 0, 0);
    int rc = celeb_open(&o, &w->slots[0].ctx, err);
    if (rc < 0) {
        free(w);
        return rc;
    }
    w->slots[0].used = 1;
    w->slots[0].detector = FACE_DETECTOR_BOTH;
    *out = w;
    return CELEB_OK;
}

void worker_free(serve_worker *w)
{
    if (!w)
        return;
    for (int i = 0; i < WORKER_CONTEXTS; i++)
        if (w->slots[i].used)
            celeb_close(w->slots[i].ctx);
    free(w);
}

/* The worker's context for these options: kept, or opened in place of the
 * least recently used one. */
static int worker_ctx(serve_worker *w, const detect_request *r, celeb_ctx **ctx, celeb_error *err)
{
    int frames = r->all_frames || r->frames <= 0 ? 0 : r->frames;
    ctx_slot *pick = NULL;
    for (int i = 0; i < WORKER_CONTEXTS && !pick; i++) {
        ctx_slot *s = &w->slots[i];
        if (s->used && s->detector == r->detector && s->frames == frames && s->all_frames == r->all_frames)
            pick = s;
    }
    if (!pick) {
        pick = &w->slots[0];
        for (int i = 0; i < WORKER_CONTEXTS; i++)
            if (!w->slots[i].used || (pick->used && w->slots[i].last_used < pick->last_used))
                pick = &w->slots[i];
        if (pick->used)
            celeb_close(pick->ctx);
        pick->used = 0;
        celeb_options o = ctx_options(w->sh, r->detector, frames, r->all_frames);
        int rc = celeb_open(&o, &pick->ctx, err);
        if (rc < 0)
            return rc;
        *pick = (ctx_slot){.used = 1, .detector = r->detector, .frames = frames,
                           .all_frames = r->all_frames, .ctx = pick->ctx};
    }
    pick->last_used = ++w->tick;
    *ctx = pick->ctx;
    return CELEB_OK;
}

/* The shared enrolment engine, opened at first use; returned locked
 * (aux_unlock), or NULL with err set. */
static face_engine *aux_lock(serve_shared *sh, celeb_error *err)
{
    pthread_mutex_lock(&sh->aux_lock);
    if (!sh->aux_open) {
        face_engine_options o = celeb_enroll_engine_options(sh->cfg.model_dir, sh->cfg.threads);
        if (face_engine_open(&sh->aux, &o, err) < 0) {
            pthread_mutex_unlock(&sh->aux_lock);
            return NULL;
        }
        sh->aux_open = 1;
    }
    return &sh->aux;
}

static void aux_unlock(serve_shared *sh) { pthread_mutex_unlock(&sh->aux_lock); }

// ----------------------------------------------------------------------------
// Inputs

static media_limits server_limits(const serve_shared *sh)
{
    return (media_limits){.max_pixels = sh->cfg.max_pixels, .max_frames = sh->cfg.max_frames};
}

/* An error answer's parts. */
typedef struct failure {
    int status;
    const char *code;
    celeb_error err;
} failure;

static int failed(failure *f, int status, const char *code)
{
    f->status = status;
    f->code = code;
    return -1;
}

static int failed_lib(failure *f, int rc)
{
    return failed(f, status_of_error(rc), celeb_error_name(rc));
}

/* Downloads a URL input in place (the address guard first). */
static int fetch_input(const serve_shared *sh, job_input *in, failure *f)
{
    if (!in->is_url)
        return 0;
    int rc = url_guard_check(in->source, sh->cfg.allow_private_urls, &f->err);
    if (rc == URL_GUARD_REFUSED)
        return failed(f, 403, "forbidden_url");
    if (rc == CELEB_EINVAL)
        return failed(f, 400, "bad_request");
    if (rc < 0)
        return failed(f, 502, "fetch_failed");
    /* checked again at every connection: redirects, DNS answers that changed since */
    url_guard_state guard = {0};
    fetch_limits lim = {.max_bytes = sh->cfg.max_body, .timeout_ms = sh->cfg.fetch_timeout_ms,
                        .allow_addr = sh->cfg.allow_private_urls ? NULL : url_guard_allow,
                        .allow_ctx = &guard};
    rc = fetch_url(in->source, &lim, &in->data, &in->size, &f->err);
    if (rc < 0 && guard.refused) {
        celeb_fail(&f->err, CELEB_EIO,
                   "%.300s: leads to a loopback, private or link-local address: not fetched "
                   "(start the server with --allow-private-urls to allow it)",
                   in->source);
        return failed(f, 403, "forbidden_url");
    }
    if (rc == CELEB_ELIMIT)
        return failed(f, 422, "limit");
    if (rc == CELEB_EINVAL)
        return failed(f, 400, "bad_request");
    if (rc < 0)
        return failed(f, 502, "fetch_failed");
    return 0;
}

/* Opens the bytes under the server's limits: the format (415), a broken
 * file (422) and too many pixels or frames (422) are refused before any
 * net runs. *m is open on success. */
static int open_checked(const serve_shared *sh, const job_input *in, const detect_request *r, media **m,
                        failure *f)
{
    if (in->size == 0) {
        celeb_fail(&f->err, CELEB_EINVAL, "%s: empty body", in->source);
        return failed(f, 400, "bad_request");
    }
    media_limits lim = server_limits(sh);
    int rc = media_open_memory(in->data, in->size, &lim, m, &f->err);
    if (rc == CELEB_EFORMAT && in->is_url)   /* no bytes of what the server fetched go back */
        celeb_fail(&f->err, rc, "%.300s: unsupported format (expected JPEG, PNG, GIF, WebP, MP4/MOV or WebM)",
                   in->source);
    if (rc < 0)
        return failed_lib(f, rc);
    const media_info *info = media_get_info(*m);
    if (r && r->all_frames && info->frames > sh->cfg.max_sampled) {
        celeb_fail(&f->err, CELEB_ELIMIT, "%s: %d frames; ?frames=all takes at most %d (--max-sampled)",
                   in->source, info->frames, sh->cfg.max_sampled);
        media_close(*m);
        *m = NULL;
        return failed_lib(f, CELEB_ELIMIT);
    }
    return 0;
}

// ----------------------------------------------------------------------------
// Detection

static int int_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valueint : -1;
}

static void note_error(cJSON *doc, const char *code, const char *message)
{
    cJSON *errors = cJSON_GetObjectItemCaseSensitive(doc, "errors");
    if (!cJSON_IsArray(errors))
        return;
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "code", code);
    cJSON_AddStringToObject(e, "message", message);
    cJSON_AddItemToArray(errors, e);
}

/* The sampled frame as a JPEG data URL entry of "frame_images". */
static int add_frame_image(cJSON *arr, const media_frame *fr, celeb_error *err)
{
    image small;
    uint8_t *jpeg = NULL;
    size_t size = 0;
    int rc = picture_scaled(&fr->img, PICTURE_FRAME_MAX_SIDE, &small, err);
    if (rc == 0)
        rc = picture_jpeg(&small, FRAME_JPEG_QUALITY, &jpeg, &size, err);
    char *url = rc == 0 ? picture_data_url(jpeg, size) : NULL;
    if (rc == 0 && !url)
        rc = celeb_fail(err, CELEB_ENOMEM, "out of memory");
    if (rc == 0) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "frame", fr->index);
        cJSON_AddNumberToObject(o, "t_ms", (double)fr->t_ms);
        cJSON_AddNumberToObject(o, "width", small.width);
        cJSON_AddNumberToObject(o, "height", small.height);
        cJSON_AddStringToObject(o, "src", url);
        cJSON_AddItemToArray(arr, o);
    }
    free(url);
    free(jpeg);
    image_free(&small);
    return rc;
}

/* "xyz" for every appearance of this frame: its descriptor (the shared
 * engine on the document's box) projected like the gallery's faces. */
static int add_places(serve_shared *sh, cJSON *doc, const media_frame *fr, const serve_view *view,
                      celeb_error *err)
{
    cJSON *apps[64];
    face faces[64];
    int n = 0;
    const cJSON *p, *a;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(doc, "persons"))
        cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(p, "appearances")) {
            const cJSON *box = cJSON_GetObjectItemCaseSensitive(a, "box");
            if (n == 64 || int_of(a, "frame") != fr->index || cJSON_GetArraySize(box) != 4)
                continue;
            faces[n] = (face){.box = {cJSON_GetArrayItem(box, 0)->valuedouble,
                                      cJSON_GetArrayItem(box, 1)->valuedouble,
                                      cJSON_GetArrayItem(box, 2)->valuedouble,
                                      cJSON_GetArrayItem(box, 3)->valuedouble, 1.0}};
            apps[n++] = (cJSON *)a;
        }
    if (n == 0)
        return CELEB_OK;
    face_engine *e = aux_lock(sh, err);
    if (!e)
        return err->code;
    int rc = face_engine_describe(e, &fr->img, faces, n, err);
    aux_unlock(sh);
    for (int i = 0; rc == 0 && i < n; i++) {
        float xyz[PCA_DIMS];
        pca3_project(&view->pca, faces[i].descriptor, xyz);
        const double d[PCA_DIMS] = {xyz[0], xyz[1], xyz[2]};
        cJSON_AddItemToObject(apps[i], "xyz", cJSON_CreateDoubleArray(d, PCA_DIMS));
    }
    return rc;
}

/* The page's extras: a second pass over the sampled frames. Failures are
 * reported in the document's "errors", the detection stands. */
static void add_extras(serve_worker *w, const serve_job *job, const job_input *in, cJSON *doc)
{
    serve_shared *sh = w->sh;
    celeb_error err = {0};
    media *m = NULL;
    serve_view *view = NULL;
    const cJSON *sampled =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "media"), "sampled");
    cJSON *frames = job->detect.include_frames ? cJSON_AddArrayToObject(doc, "frame_images") : NULL;
    int rc = CELEB_OK;
    if (job->detect.include_embedding) {
        rc = views_get(sh->views, &view, &err);
        if (rc == 0)
            cJSON_AddNumberToObject(doc, "embedding_generation", (double)view->generation);
    }
    media_limits lim = server_limits(sh);
    if (rc == 0)
        rc = media_open_memory(in->data, in->size, &lim, &m, &err);
    int next = 0, count = cJSON_GetArraySize(sampled);
    media_frame fr;
    while (rc == 0 && next < count) {
        int got = media_next_frame(m, &fr, &err);
        if (got <= 0) {
            rc = got;
            break;
        }
        if (fr.index != cJSON_GetArrayItem(sampled, next)->valueint)
            continue;
        next++;
        if (frames)
            rc = add_frame_image(frames, &fr, &err);
        if (rc == 0 && view)
            rc = add_places(sh, doc, &fr, view, &err);
    }
    if (rc < 0)
        note_error(doc, celeb_error_name(rc), err.message);
    media_close(m);
    views_release(sh->views, view);
}

static void run_detect(serve_worker *w, serve_job *job)
{
    serve_shared *sh = w->sh;
    job_input *in = &job->inputs[0];
    failure f = {0};
    media *probe = NULL;
    celeb_ctx *ctx = NULL;
    cJSON *doc = NULL;
    if (fetch_input(sh, in, &f) < 0 || open_checked(sh, in, &job->detect, &probe, &f) < 0) {
        job_fail(job, f.status, f.code, f.err.message);
        return;
    }
    media_close(probe);
    /* the nets and the gallery are the server's: their failures are 500s, not the media's */
    int rc = worker_ctx(w, &job->detect, &ctx, &f.err);
    if (rc == 0)
        rc = celeb_reload_gallery(ctx, &f.err);   /* gallery changes count at once */
    if (rc < 0) {
        job_fail(job, rc == CELEB_ENOMEM ? 503 : 500, celeb_error_name(rc), f.err.message);
        return;
    }
    rc = celeb_detect_memory(ctx, in->data, in->size, in->source, &doc, &f.err);
    if (rc < 0) {
        job_fail(job, status_of_error(rc), celeb_error_name(rc), f.err.message);
        return;
    }
    int faces = 0, persons = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(doc, "persons")) {
        persons++;
        faces += cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(p, "appearances"));
    }
    metrics_detected(sh->metrics, faces, persons);
    if (job->detect.include_frames || job->detect.include_embedding)
        add_extras(w, job, in, doc);
    job_answer(job, 200, doc);
}

// ----------------------------------------------------------------------------
// Thumbnails

void thumb_path(const serve_shared *sh, int64_t id, const char *source, float quality, char *out,
                size_t size)
{
    /* FNV-1a over the source and the quality's bits */
    uint64_t h = 0xcbf29ce484222325ull;
    for (const unsigned char *s = (const unsigned char *)source; *s; s++)
        h = (h ^ *s) * 0x100000001b3ull;
    uint32_t q;
    memcpy(&q, &quality, sizeof q);
    for (int i = 0; i < 4; i++)
        h = (h ^ (q >> (8 * i) & 0xff)) * 0x100000001b3ull;
    snprintf(out, size, "%s/%lld-%016llx.jpg", sh->thumbs_dir, (long long)id, (unsigned long long)h);
}

/* Writes bytes to path through a temporary file and a rename, so a reader
 * never sees half a file. */
static int write_atomic(const char *dir, const char *path, const uint8_t *data, size_t size,
                        celeb_error *err)
{
    char tmp[1200];
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return celeb_fail(err, CELEB_EIO, "cannot create %s: %s", dir, strerror(errno));
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)gettid());
    FILE *fp = fopen(tmp, "wb");
    if (!fp)
        return celeb_fail(err, CELEB_EIO, "cannot write %s: %s", tmp, strerror(errno));
    int ok = fwrite(data, 1, size, fp) == size;
    ok = fclose(fp) == 0 && ok;
    if (!ok || rename(tmp, path) < 0) {
        unlink(tmp);
        return celeb_fail(err, CELEB_EIO, "cannot write %s", path);
    }
    return CELEB_OK;
}

/* The thumbnail of the face at box in img, as JPEG, also written to the cache. */
static int make_thumb(serve_shared *sh, const image *img, const face_box *box, const char *path,
                      uint8_t **jpeg, size_t *size, celeb_error *err)
{
    image t;
    int rc = picture_face_thumb(img, box, PICTURE_THUMB_SIZE, &t, err);
    if (rc == 0)
        rc = picture_jpeg(&t, THUMB_JPEG_QUALITY, jpeg, size, err);
    image_free(&t);
    if (rc == 0)
        rc = write_atomic(sh->thumbs_dir, path, *jpeg, *size, err);
    return rc;
}

static void run_thumbnail(serve_worker *w, serve_job *job)
{
    serve_shared *sh = w->sh;
    const gallery_face *gf = &job->face;
    celeb_error err = {0};
    image img = {0};
    face *faces = NULL;
    int n = 0;
    int rc = media_read_frame(gf->source, 0, &img, &err);
    if (rc < 0) {
        job_fail(job, 404, "not_found", err.message);
        return;
    }
    face_engine *e = aux_lock(sh, &err);
    rc = e ? face_engine_run(e, &img, &faces, &n, &err) : err.code;
    if (e)
        aux_unlock(sh);
    int best = -1;
    float best_d = THUMB_MATCH_DISTANCE;
    for (int i = 0; rc == 0 && i < n; i++) {
        float d = 0;
        for (int k = 0; k < GALLERY_DIM; k++)
            d += (faces[i].descriptor[k] - gf->descriptor[k]) * (faces[i].descriptor[k] - gf->descriptor[k]);
        d = sqrtf(d);
        if (d < best_d) {
            best_d = d;
            best = i;
        }
    }
    uint8_t *jpeg = NULL;
    size_t size = 0;
    if (rc == 0 && best < 0)
        rc = celeb_fail(&err, CELEB_EINVAL, "%s: the enrolled face is not found in it any more", gf->source);
    if (rc == 0) {
        char path[1200];
        thumb_path(sh, gf->id, gf->source, gf->quality, path, sizeof path);
        rc = make_thumb(sh, &img, &faces[best].box, path, &jpeg, &size, &err);
    }
    free(faces);
    image_free(&img);
    if (rc < 0) {
        free(jpeg);
        job_fail(job, rc == CELEB_EINVAL ? 404 : status_of_error(rc), rc == CELEB_EINVAL ? "not_found"
                                                                                      : celeb_error_name(rc),
                 err.message);
        return;
    }
    job->status = 200;
    job->body = (char *)jpeg;
    job->body_size = size;
    job->content_type = "image/jpeg";
}

// ----------------------------------------------------------------------------
// Enrolment

/* Enrolls one photo; its entry of the answer's "photos". */
static cJSON *enroll_one(serve_shared *sh, gallery *g, const char *name, job_input *in, int *enrolled)
{
    failure f = {0};
    media *m = NULL;
    media_frame fr;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "source", in->source);
    char source[GALLERY_SOURCE_MAX];
    /* what the gallery records: the URL, or "upload:" and the file name */
    snprintf(source, sizeof source, "%s%s", in->is_url ? "" : "upload:", in->source);
    int rc = fetch_input(sh, in, &f) < 0 || open_checked(sh, in, NULL, &m, &f) < 0 ? -1 : 0;
    if (rc == 0) {
        int got = media_next_frame(m, &fr, &f.err);
        if (got <= 0)
            rc = got < 0 ? failed_lib(&f, got)
                         : failed_lib(&f, celeb_fail(&f.err, CELEB_ECORRUPT, "%s: no frame", in->source));
    }
    celeb_enrolled r;
    if (rc == 0) {
        face_engine *e = aux_lock(sh, &f.err);
        int lrc = e ? celeb_enroll_image(e, g, name, &fr.img, source, &r, &f.err) : f.err.code;
        if (e)
            aux_unlock(sh);
        if (lrc < 0)
            rc = failed_lib(&f, lrc);
    }
    if (rc == 0 && r.already) {   /* the same photo was enrolled as this person before: it is in */
        (*enrolled)++;
        cJSON_AddStringToObject(o, "status", "already");
        cJSON_AddNumberToObject(o, "face_id", (double)r.face_id);
    } else if (rc == 0) {
        char path[1200], url[64];
        uint8_t *jpeg = NULL;
        size_t size = 0;
        celeb_error terr = {0};
        thumb_path(sh, r.face_id, source, r.quality, path, sizeof path);
        /* a missing thumbnail is not worth failing an enrolment for */
        if (make_thumb(sh, &fr.img, &r.box, path, &jpeg, &size, &terr) < 0)
            fprintf(stderr, "celeb serve: thumbnail of face %lld: %s\n", (long long)r.face_id, terr.message);
        free(jpeg);
        (*enrolled)++;
        snprintf(url, sizeof url, "/v1/faces/%lld/thumbnail", (long long)r.face_id);
        cJSON_AddStringToObject(o, "status", "enrolled");
        cJSON_AddNumberToObject(o, "face_id", (double)r.face_id);
        cJSON_AddNumberToObject(o, "quality", round(r.quality * 1000) / 1000);
        const double box[4] = {r.box.x, r.box.y, r.box.w, r.box.h};
        cJSON_AddItemToObject(o, "box", cJSON_CreateDoubleArray(box, 4));
        cJSON_AddStringToObject(o, "thumbnail", url);
    } else {
        cJSON_AddStringToObject(o, "status", "skipped");
        cJSON_AddNumberToObject(o, "http_status", f.status);
        cJSON *e = cJSON_AddObjectToObject(o, "error");
        cJSON_AddStringToObject(e, "code", f.code);
        cJSON_AddStringToObject(e, "message", f.err.message);
    }
    media_close(m);
    /* the photo is done with: an enrolment of many URLs holds one download at a time */
    free(in->data);
    in->data = NULL;
    in->size = 0;
    return o;
}

static void run_enroll(serve_worker *w, serve_job *job)
{
    serve_shared *sh = w->sh;
    celeb_error err = {0};
    gallery *g;
    int rc = gallery_open(sh->cfg.gallery, 1, &g, &err);
    if (rc < 0) {
        job_fail(job, 500, celeb_error_name(rc), err.message);
        return;
    }
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "name", job->name);
    cJSON *photos = cJSON_CreateArray();
    int enrolled = 0;
    for (int i = 0; i < job->ninputs; i++)
        cJSON_AddItemToArray(photos, enroll_one(sh, g, job->name, &job->inputs[i], &enrolled));
    int faces = 0;
    gallery_identity *ids = NULL;
    int nids = 0;
    if (gallery_list(g, &ids, &nids, &err) == 0)
        for (int i = 0; i < nids; i++)
            if (!strcmp(ids[i].name, job->name))
                faces = ids[i].faces;
    free(ids);
    gallery_close(g);
    cJSON_AddNumberToObject(doc, "enrolled", enrolled);
    cJSON_AddNumberToObject(doc, "skipped", job->ninputs - enrolled);
    cJSON_AddNumberToObject(doc, "faces", faces);
    cJSON_AddItemToObject(doc, "photos", photos);
    /* nothing enrolled: 403 when every photo was a refused URL, else 422 */
    int refused = 0;
    const cJSON *ph;
    cJSON_ArrayForEach(ph, photos) refused += int_of(ph, "http_status") == 403;
    const char *code = !enrolled && job->ninputs > 0 && refused == job->ninputs ? "forbidden_url" : "invalid";
    if (!enrolled) {
        cJSON *e = cJSON_AddObjectToObject(doc, "error");
        cJSON_AddStringToObject(e, "code", code);
        cJSON_AddStringToObject(e, "message", refused == job->ninputs
                                                  ? "no photo was enrolled: every URL was refused (see photos)"
                                                  : "no photo was enrolled (see photos)");
    }
    job_answer(job, enrolled ? 201 : !strcmp(code, "forbidden_url") ? 403 : 422, doc);
    job->error_code = enrolled ? NULL : code;
}

void worker_run(serve_worker *w, serve_job *job)
{
    switch (job->kind) {
    case JOB_DETECT: run_detect(w, job); break;
    case JOB_ENROLL: run_enroll(w, job); break;
    case JOB_THUMBNAIL: run_thumbnail(w, job); break;
    }
}
