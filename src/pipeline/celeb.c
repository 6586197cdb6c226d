/* celeb.c - who is in this media: the pipeline behind include/celeb.h.
 *
 * media -> sample frames (evenly spaced, repeated pictures skipped) -> the
 * face engine on each sampled frame -> group the faces into persons ->
 * identify each person from all their faces -> the JSON document of
 * DESIGN.md §5. One direction, no back and forth. */
#include "celeb.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/io.h"
#include "core/sha256.h"
#include "gallery/gallery.h"
#include "face/faceness.h"
#include "group/group.h"
#include "identify/identify.h"
#include "media/media.h"
#include "media/sample.h"
#include "core/clock.h"

struct celeb_ctx {
    celeb_options opt;
    face_engine engine;
    char gallery_path[1024];
    identify_index *index;       /* the gallery in memory; never NULL (maybe empty) */
    int64_t generation;          /* of the gallery when it was read; -1: no gallery file */
    char detector_id[256], embedder_id[128];
};

/* "name@sha256:<first 16 hex>" of a model's weights file. */
static void model_id(const char *model, const char *sha256, char *out, size_t size)
{
    snprintf(out, size, "%s@sha256:%.16s", model, sha256);
}

// ----------------------------------------------------------------------------
// Context

int celeb_reload_gallery(celeb_ctx *ctx, celeb_error *err)
{
    gallery *g;
    celeb_error gerr = {0};
    if (gallery_open(ctx->gallery_path, 0, &g, &gerr) < 0) {
        if (gerr.code == CELEB_EIO && ctx->index) {   /* no gallery file: nobody is known */
            ctx->generation = -1;
            return CELEB_OK;
        }
        if (gerr.code != CELEB_EIO)
            return celeb_fail(err, gerr.code, "%s", gerr.message);
        ctx->generation = -1;
        return identify_index_build(NULL, 0, &ctx->index, err);
    }
    int64_t gen = gallery_generation(g);
    int rc = CELEB_OK;
    if (!ctx->index || gen != ctx->generation)   /* queries use the crop its faces were made with */
        rc = celeb_gallery_align(g, &ctx->engine.opt.align, err);
    if (rc == 0 && (!ctx->index || gen != ctx->generation)) {
        gallery_face *faces = NULL;
        int n = 0;
        identify_index *ix = NULL;
        identify_model model;
        rc = gallery_faces(g, NULL, &faces, &n, err);
        if (rc == 0)
            rc = celeb_gallery_model(g, &model, err);
        if (rc == 0)
            rc = identify_index_build(faces, n, &ix, err);
        if (rc == 0)
            identify_index_set_model(ix, &model);
        free(faces);
        if (rc == 0) {
            identify_index_free(ctx->index);
            ctx->index = ix;
            ctx->generation = gen;
        }
    }
    gallery_close(g);
    return rc;
}

int celeb_open(const celeb_options *opt, celeb_ctx **out, celeb_error *err)
{
    *out = NULL;
    celeb_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return celeb_fail(err, CELEB_ENOMEM, "out of memory");
    if (opt)
        ctx->opt = *opt;
    snprintf(ctx->gallery_path, sizeof ctx->gallery_path, "%s", ctx->opt.gallery ? ctx->opt.gallery : "");
    /* The gallery's crop (celeb_reload_gallery): a gallery and its queries
     * must use the same one. */
    face_engine_options eo = {.model_dir = ctx->opt.model_dir, .threads = ctx->opt.threads,
                              .detector = ctx->opt.detector, .align = CELEB_ALIGN_DEFAULT,
                              .jitter = ctx->opt.jitter};
    int rc = face_engine_open(&ctx->engine, &eo, err);   /* closes itself on failure */
    int engine_open = rc == 0;
    if (rc == 0)
        rc = ctx->gallery_path[0] ? celeb_reload_gallery(ctx, err)
                                  : identify_index_build(NULL, 0, &ctx->index, err);
    if (rc < 0) {
        if (engine_open)
            face_engine_close(&ctx->engine);
        identify_index_free(ctx->index);
        free(ctx);
        return rc;
    }
    char ssd[128] = "", tiny[128] = "";
    if (ctx->opt.detector != FACE_DETECTOR_TINY)
        model_id("ssd_mobilenetv1_model", ctx->engine.ssd.weights_sha256, ssd, sizeof ssd);
    if (ctx->opt.detector != FACE_DETECTOR_SSD)
        model_id("tiny_face_detector_model", ctx->engine.tiny.weights_sha256, tiny, sizeof tiny);
    snprintf(ctx->detector_id, sizeof ctx->detector_id, "%s%s%s", ssd, ssd[0] && tiny[0] ? "+" : "",
             tiny);
    model_id("face_recognition_model", ctx->engine.recog.weights_sha256, ctx->embedder_id,
             sizeof ctx->embedder_id);
    *out = ctx;
    return CELEB_OK;
}

void celeb_close(celeb_ctx *ctx)
{
    if (!ctx)
        return;
    face_engine_close(&ctx->engine);
    identify_index_free(ctx->index);
    free(ctx);
}

// ----------------------------------------------------------------------------
// Detection

/* One face of one sampled frame. */
typedef struct appearance {
    int frame;
    int64_t t_ms;
    face_box box;
    double landmarks5[5][2];   /* eyes (centres), nose tip, mouth corners */
    int tracked;               /* followed from the frame before, not detected */
    face_quality quality;      /* how far it can be trusted to name somebody (quality.h) */
} appearance;

/* Faces are followed from frame to frame instead of detected again (see
 * face_engine_follow): a detector pass costs 40-60 ms a frame at one
 * thread, following a face 5 ms. The detectors still run on the first
 * frame, when the picture has changed since they last ran (a new shot,
 * someone coming in, the camera moving: the frame signature moved by more
 * than CONTENT_CHANGE), when a face is lost, when the last frame had no
 * face, and every KEYFRAME_EVERY sampled frames. So the cost follows what a
 * GIF shows, not how many frames it has. Signature distances from the
 * first frame: giphy_video.gif stays under 8.3 over its 10 frames (one
 * scene, two people talking); the smoke of dlib_elon-musk-smoke.gif passes
 * 16 at its 7th sampled frame; the cuts of fr_short_hamilton_clip.mp4
 * measure 18-29. (At 10 the smoke alone made 7 of its 20 frames keyframes.) */
#define KEYFRAME_EVERY 10
#define CONTENT_CHANGE 16.0      /* frame_sig_distance from the last detected frame */
#define FOLLOW_MAX_DISTANCE 0.4  /* descriptor distance to the same face a frame before */

typedef struct follow {
    face *faces;                 /* the last sampled frame's */
    int n;
    frame_sig key_sig;           /* of the last frame the detectors ran on */
    int since_key;               /* sampled frames since then */
} follow;

static double descriptor_distance(const float *a, const float *b)
{
    double s = 0;
    for (int i = 0; i < RECOG_DIM; i++)
        s += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
    return sqrt(s);
}

/* The faces of one sampled frame: followed from the last one when that
 * holds, else found by the detectors. *tracked says which. */
static int frame_faces(celeb_ctx *ctx, follow *fl, const image *img, const frame_sig *sig,
                       face **faces, int *n, int *tracked, celeb_error *err)
{
    *faces = NULL;
    *n = 0;
    *tracked = fl->n > 0 && fl->since_key + 1 < KEYFRAME_EVERY &&
               frame_sig_distance(sig, &fl->key_sig) <= CONTENT_CHANGE;
    int rc = CELEB_OK;
    if (*tracked) {
        face *f = malloc((size_t)fl->n * sizeof *f);
        rc = f ? face_engine_follow(&ctx->engine, img, fl->faces, fl->n, f, err)
               : celeb_fail(err, CELEB_ENOMEM, "out of memory");
        for (int i = 0; rc == 0 && i < fl->n && *tracked; i++)
            *tracked = descriptor_distance(f[i].descriptor, fl->faces[i].descriptor) <= FOLLOW_MAX_DISTANCE;
        if (rc == 0 && *tracked) {
            *faces = f;
            *n = fl->n;
            fl->since_key++;
        } else {
            free(f);   /* a face was lost: the detectors look again */
        }
    }
    if (rc == 0 && !*tracked) {
        rc = face_engine_run(&ctx->engine, img, faces, n, err);
        fl->key_sig = *sig;
        fl->since_key = 0;
    }
    if (rc < 0)
        return rc;
    face *keep = *n ? malloc((size_t)*n * sizeof *keep) : NULL;
    if (*n && !keep)
        return celeb_fail(err, CELEB_ENOMEM, "out of memory");
    if (keep)
        memcpy(keep, *faces, (size_t)*n * sizeof *keep);
    free(fl->faces);
    fl->faces = keep;
    fl->n = *n;
    return CELEB_OK;
}

typedef struct scan {
    int *sampled, nsampled, duplicates;
    appearance *app;
    group_face *gf;
    int n, cap;
    double ms_decode, ms_faces;
    cJSON *errors;
} scan;

static int add_faces(scan *s, const face *faces, int n, int frame, int64_t t_ms, int tracked,
                     celeb_error *err)
{
    if (s->n + n > s->cap) {
        int cap = s->cap ? s->cap : 64;
        while (cap < s->n + n)
            cap *= 2;
        appearance *a = realloc(s->app, (size_t)cap * sizeof *a);
        if (a)
            s->app = a;
        group_face *g = realloc(s->gf, (size_t)cap * sizeof *g);
        if (g)
            s->gf = g;
        if (!a || !g)
            return celeb_fail(err, CELEB_ENOMEM, "out of memory for %d faces", s->n + n);
        s->cap = cap;
    }
    for (int i = 0; i < n; i++, s->n++) {
        appearance *a = &s->app[s->n];
        group_face *g = &s->gf[s->n];
        a->frame = frame;
        a->t_ms = t_ms;
        a->box = faces[i].box;
        a->tracked = tracked;
        a->quality = faces[i].quality;
        align_five_points(faces[i].landmarks, a->landmarks5);
        g->frame = frame;
        memcpy(g->descriptor, faces[i].descriptor, sizeof g->descriptor);
        g->box[0] = (float)faces[i].box.x;
        g->box[1] = (float)faces[i].box.y;
        g->box[2] = (float)faces[i].box.w;
        g->box[3] = (float)faces[i].box.h;
        g->score = (float)faces[i].box.score;
    }
    return CELEB_OK;
}

/* Decodes the sampled frames and runs the face engine on each new picture. */
static int scan_media(celeb_ctx *ctx, media *m, scan *s, celeb_error *err)
{
    const media_info *info = media_get_info(m);
    int want = ctx->opt.all_frames ? info->frames : ctx->opt.frames > 0 ? ctx->opt.frames : SAMPLE_DEFAULT;
    int *idx = malloc((size_t)(want > 0 ? want : 1) * sizeof *idx);
    s->sampled = malloc((size_t)(want > 0 ? want : 1) * sizeof *s->sampled);
    if (!idx || !s->sampled) {
        free(idx);
        return celeb_fail(err, CELEB_ENOMEM, "out of memory");
    }
    int k = sample_even(info->frames, want, idx), next = 0, rc = CELEB_OK;
    /* A photo is often a tight crop: look again on a bigger canvas then. */
    ctx->engine.opt.find_tight_crops = info->frames == 1;
    frame_sig last, sig;
    int have_last = 0;
    follow fl = {0};
    media_frame f;
    while (next < k) {
        double t0 = clock_s();
        int got = media_next_frame(m, &f, err);
        s->ms_decode += 1e3 * (clock_s() - t0);
        if (got <= 0) {
            if (got < 0) {   /* keep what was found; say what broke */
                cJSON *e = cJSON_CreateObject();
                cJSON_AddStringToObject(e, "code", celeb_error_name(got));
                cJSON_AddStringToObject(e, "message", err->message);
                cJSON_AddItemToArray(s->errors, e);
            }
            break;
        }
        if (f.index != idx[next])
            continue;
        next++;
        frame_signature(&f.img, &sig);
        if (have_last && frame_sig_distance(&sig, &last) < SAMPLE_DUPLICATE_MAX) {
            s->duplicates++;
            continue;
        }
        last = sig;
        have_last = 1;
        s->sampled[s->nsampled++] = f.index;
        face *faces = NULL;
        int n = 0, tracked = 0;
        t0 = clock_s();
        rc = frame_faces(ctx, &fl, &f.img, &sig, &faces, &n, &tracked, err);
        s->ms_faces += 1e3 * (clock_s() - t0);
        if (rc == 0)
            rc = add_faces(s, faces, n, f.index, f.t_ms, tracked, err);
        free(faces);
        if (rc < 0)
            break;
    }
    free(fl.faces);
    free(idx);
    return rc;
}

/* Quality and the like to 3 decimals in the JSON: more is noise. */
static double round3(double v) { return round(v * 1000) / 1000; }

/* A person is a human face when its best face is (see faceness.h): SSD
 * finds a "face" on a dog that nothing else tells apart. */
static int person_is_human(const scan *s, const int *person_of, int p)
{
    float best = 0;
    for (int i = 0; i < s->n; i++)
        if (person_of[i] == p && s->app[i].quality.faceness > best)
            best = s->app[i].quality.faceness;
    return best >= FACE_FACENESS_MIN;
}

/* A person's name needs good evidence: it is identified from its faces of
 * quality FACE_QUALITY_TO_NAME or more. A person with none is still reported
 * (tracked, grouped, its closest identities shown) but stays unknown. */
static cJSON *person_json(celeb_ctx *ctx, const scan *s, const int *person_of, int p, int number,
                          const identify_options *io)
{
    int count = 0, good = 0;
    float best_quality = 0;
    for (int i = 0; i < s->n; i++)
        if (person_of[i] == p) {
            count++;
            good += s->app[i].quality.value >= FACE_QUALITY_TO_NAME;
            best_quality = fmaxf(best_quality, s->app[i].quality.value);
        }
    float (*descs)[GALLERY_DIM] = malloc((size_t)count * sizeof *descs);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "person", number);
    identify_result r;
    int k = 0;
    for (int i = 0; descs && i < s->n; i++)
        if (person_of[i] == p && (!good || s->app[i].quality.value >= FACE_QUALITY_TO_NAME))
            memcpy(descs[k++], s->gf[i].descriptor, sizeof descs[0]);
    if (!descs || identify_descriptors(ctx->index, (const float(*)[GALLERY_DIM])descs, k, io, &r) < 0) {
        memset(&r, 0, sizeof r);
        snprintf(r.name, sizeof r.name, "unknown");
    }
    free(descs);
    r.known = r.known && good > 0;
    cJSON_AddStringToObject(o, "name", r.known ? r.name : "unknown");
    cJSON_AddBoolToObject(o, "known", r.known);
    cJSON_AddNumberToObject(o, "quality", round3(best_quality));
    cJSON_AddNumberToObject(o, "confidence", r.known ? r.p : 0.0);
    if (r.n_candidates > 0)
        cJSON_AddNumberToObject(o, "distance", r.distance);
    cJSON *cands = cJSON_AddArrayToObject(o, "candidates");
    for (int i = 0; i < r.n_candidates; i++) {
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "name", r.candidates[i].name);
        cJSON_AddNumberToObject(c, "p", r.candidates[i].p);
        cJSON_AddNumberToObject(c, "distance", r.candidates[i].distance);
        cJSON_AddItemToArray(cands, c);
    }
    cJSON *apps = cJSON_AddArrayToObject(o, "appearances");
    for (int i = 0; i < s->n; i++) {
        if (person_of[i] != p)
            continue;
        const appearance *a = &s->app[i];
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "frame", a->frame);
        cJSON_AddNumberToObject(j, "t_ms", (double)a->t_ms);
        const double box[4] = {a->box.x, a->box.y, a->box.w, a->box.h};
        cJSON_AddItemToObject(j, "box", cJSON_CreateDoubleArray(box, 4));
        cJSON_AddNumberToObject(j, "score", a->box.score);
        cJSON_AddBoolToObject(j, "tracked", a->tracked);
        cJSON_AddNumberToObject(j, "quality", round3(a->quality.value));
        cJSON *lm = cJSON_AddArrayToObject(j, "landmarks5");
        for (int q = 0; q < 5; q++)
            cJSON_AddItemToArray(lm, cJSON_CreateDoubleArray(a->landmarks5[q], 2));
        cJSON_AddItemToArray(apps, j);
    }
    return o;
}

static int detect_media(celeb_ctx *ctx, media *m, const char *source, const char *sha,
                        cJSON **doc, celeb_error *err)
{
    double t0 = clock_s();
    scan s = {.errors = cJSON_CreateArray()};
    int rc = scan_media(ctx, m, &s, err);
    int *person_of = rc == 0 ? malloc((size_t)(s.n > 0 ? s.n : 1) * sizeof *person_of) : NULL;
    int persons = 0;
    double tg = clock_s();
    if (rc == 0 && !person_of)
        rc = celeb_fail(err, CELEB_ENOMEM, "out of memory");
    group_options go = {.threshold = 0};
    if (rc == 0)
        rc = group_faces(s.gf, s.n, &go, person_of, &persons, err);
    if (rc == 0) {
        const media_info *info = media_get_info(m);
        identify_options io = {.threshold = ctx->opt.unknown_distance,
                               .min_confidence = ctx->opt.min_confidence};
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "schema", "celeb.detect/1");
        cJSON *mj = cJSON_AddObjectToObject(d, "media");
        cJSON_AddStringToObject(mj, "source", source);
        cJSON_AddStringToObject(mj, "sha256", sha);
        cJSON_AddStringToObject(mj, "format", info->format);
        cJSON_AddNumberToObject(mj, "width", info->width);
        cJSON_AddNumberToObject(mj, "height", info->height);
        cJSON_AddNumberToObject(mj, "frames", info->frames);
        cJSON_AddNumberToObject(mj, "duration_ms", (double)info->duration_ms);
        cJSON_AddItemToObject(mj, "sampled", cJSON_CreateIntArray(s.sampled, s.nsampled));
        cJSON_AddNumberToObject(mj, "duplicates_skipped", s.duplicates);
        cJSON *models = cJSON_AddObjectToObject(d, "models");
        cJSON_AddStringToObject(models, "detector", ctx->detector_id);
        cJSON_AddStringToObject(models, "embedder", ctx->embedder_id);
        cJSON *gj = cJSON_AddObjectToObject(models, "gallery");
        cJSON_AddStringToObject(gj, "name", ctx->gallery_path);
        cJSON_AddNumberToObject(gj, "identities", identify_index_identities(ctx->index));
        cJSON *pj = cJSON_AddArrayToObject(d, "persons");
        for (int p = 0, number = 0; p < persons; p++)
            if (person_is_human(&s, person_of, p))
                cJSON_AddItemToArray(pj, person_json(ctx, &s, person_of, p, number++, &io));
        cJSON *tj = cJSON_AddObjectToObject(d, "timing_ms");
        cJSON_AddNumberToObject(tj, "decode", round(s.ms_decode));
        cJSON_AddNumberToObject(tj, "faces", round(s.ms_faces));
        cJSON_AddNumberToObject(tj, "identify", round(1e3 * (clock_s() - tg)));
        cJSON_AddNumberToObject(tj, "total", round(1e3 * (clock_s() - t0)));
        cJSON_AddItemToObject(d, "errors", s.errors);
        s.errors = NULL;
        *doc = d;
    }
    cJSON_Delete(s.errors);
    free(person_of);
    free(s.sampled);
    free(s.app);
    free(s.gf);
    return rc;
}

int celeb_detect_memory(celeb_ctx *ctx, const uint8_t *data, size_t size, const char *source,
                        cJSON **doc, celeb_error *err)
{
    *doc = NULL;
    char sha[65];
    sha256_hex(data, size, sha);
    media *m;
    int rc = media_open_memory(data, size, NULL, &m, err);
    if (rc < 0)
        return rc;
    rc = detect_media(ctx, m, source, sha, doc, err);
    media_close(m);
    return rc;
}

int celeb_detect_file(celeb_ctx *ctx, const char *path, cJSON **doc, celeb_error *err)
{
    *doc = NULL;
    uint8_t *data;
    size_t size;
    /* One read: the bytes serve both the sha256 and the decoder. */
    int rc = read_path(path, &data, &size, err);
    if (rc < 0)
        return rc;
    rc = celeb_detect_memory(ctx, data, size, path, doc, err);
    free(data);
    return rc;
}
