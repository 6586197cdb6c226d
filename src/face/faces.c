/* faces.c - the face engine, see faces.h. */
#include "faces.h"
#include "faceness.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef CELEB_MODEL_DIR
#define CELEB_MODEL_DIR "models"
#endif

/* Most faces one image may yield; SSD itself stops at 100. */
#define MAX_FACES 1000

const char *face_default_model_dir(void)
{
    const char *env = getenv("CELEB_MODELS");
    return env && *env ? env : CELEB_MODEL_DIR;
}

int face_engine_open(face_engine *e, const face_engine_options *opt, celeb_error *err)
{
    memset(e, 0, sizeof *e);
    if (opt)
        e->opt = *opt;
    if (!e->opt.model_dir)
        e->opt.model_dir = face_default_model_dir();
    if (e->opt.min_score <= 0)
        e->opt.min_score = 0.5f;
    if (e->opt.tiny_size <= 0)
        e->opt.tiny_size = 416;
    if (e->opt.tiny_size % 32 != 0)
        return celeb_fail(err, CELEB_EINVAL, "tiny detector size %d is not a multiple of 32",
                          e->opt.tiny_size);
    if (e->opt.cache_dir) {
        if (snprintf(e->cache_dir, sizeof e->cache_dir, "%s", e->opt.cache_dir) >= (int)sizeof e->cache_dir)
            e->cache_dir[0] = '\0';   /* too long a path: no store rather than another folder */
    } else if (!nn_store_default_dir(e->cache_dir, sizeof e->cache_dir)) {
        e->cache_dir[0] = '\0';
    }
    e->loaded = e->opt.detector;
    int rc = nn_ctx_init(&e->ctx, e->opt.threads, err);
    e->ctx.cache_dir = e->cache_dir[0] ? e->cache_dir : NULL;
    if (rc == 0)
        rc = e->opt.detector == FACE_DETECTOR_TINY
                 ? 0
                 : ssd_load(&e->ssd, &e->ctx, e->opt.model_dir, err);
    if (rc == 0 && e->opt.detector != FACE_DETECTOR_SSD)
        rc = tiny_load(&e->tiny, &e->ctx, e->opt.model_dir, e->opt.tiny_size, err);
    if (rc == 0)
        rc = lm_load(&e->lm, &e->ctx, e->opt.model_dir, err);
    if (rc == 0)
        rc = recog_load(&e->recog, &e->ctx, e->opt.model_dir, err);
    if (rc < 0) {
        /* Free only what was loaded: the structs were zeroed, and every
         * *_free accepts a zeroed struct. */
        face_engine_close(e);
    }
    return rc;
}

void face_engine_close(face_engine *e)
{
    tiny_free(&e->tiny);   /* both accept a zeroed (never loaded) net */
    ssd_free(&e->ssd);
    lm_free(&e->lm);
    recog_free(&e->recog);
    nn_ctx_free(&e->ctx);
    free(e->batch);
    e->batch = NULL;
}

static int reserve_batch(face_engine *e, int n, celeb_error *err)
{
    if (n <= e->batch_cap)
        return CELEB_OK;
    float *b = realloc(e->batch, (size_t)n * RECOG_INPUT * RECOG_INPUT * 3 * sizeof *b);
    if (!b)
        return celeb_fail(err, CELEB_ENOMEM, "out of memory for %d faces", n);
    e->batch = b;
    e->batch_cap = n;
    return CELEB_OK;
}

static const input_norm lm_norm = {{122.782f, 117.001f, 104.298f}, 1.0f / 255.0f, 0.0f};
static const input_norm rec_norm = {{122.782f, 117.001f, 104.298f}, 1.0f / 255.0f, 0.0f};

int face_engine_landmarks(face_engine *e, const image *img, face *faces, int n, celeb_error *err)
{
    if (n <= 0)
        return CELEB_OK;
    int rc = reserve_batch(e, n, err);
    if (rc < 0)
        return rc;
    /* One batch of detection-box crops (112, centred padding). */
    int_rect *crops = malloc((size_t)n * sizeof *crops);
    float *lm_out = malloc((size_t)n * 2 * LM_POINTS * sizeof *lm_out);
    if (!crops || !lm_out) {
        free(crops);
        free(lm_out);
        return celeb_fail(err, CELEB_ENOMEM, "out of memory for %d faces", n);
    }
    const size_t lm_size = (size_t)LM_INPUT * LM_INPUT * 3;
    for (int i = 0; i < n; i++) {
        face_box b = faces[i].box;
        float *in = e->batch + (size_t)i * lm_size;
        crops[i] = box_clip(b.x, b.y, b.w, b.h, img->width, img->height);
        if (crops[i].w > 0 && crops[i].h > 0)
            input_from_region(img, crops[i], LM_INPUT, 1, &lm_norm, in);
        else
            memset(in, 0, lm_size * sizeof(float));
    }
    rc = lm_forward(&e->lm, e->batch, n, lm_out, err);
    for (int i = 0; rc == 0 && i < n; i++) {
        face *f = &faces[i];
        if (crops[i].w <= 0 || crops[i].h <= 0) {   /* the box is outside the image */
            memset(f->landmarks, 0, sizeof f->landmarks);
            f->align_rect = (int_rect){0, 0, 0, 0};
            continue;
        }
        float *out = lm_out + (size_t)i * 2 * LM_POINTS;
        landmarks_to_image(out, crops[i].w, crops[i].h, f->box.x, f->box.y, f->landmarks);
        f->align_rect = align_rect_dlib(f->landmarks, crops[i].w, crops[i].h);
        face_quality_measure(img, &f->box, f->landmarks, &f->quality);
    }
    free(crops);
    free(lm_out);
    return rc;
}

/* Seed of every face's jittered copies: the same chip always gives the same
 * descriptor, whatever else is in the batch. */
#define JITTER_SEED 0x6a09e667f3bcc908ULL

/* The recognition inputs of one face: `copies` slots of rec_size floats
 * (copies > 1 only with the chip). Returns 1 when the face has no crop (zero
 * input, zero descriptor), 0, or CELEB_ENOMEM. */
static int face_inputs(const face_engine *e, const image *img, const face *f, int copies, float *in)
{
    const size_t rec_size = (size_t)RECOG_INPUT * RECOG_INPUT * 3;
    if (f->align_rect.w <= 0 || f->align_rect.h <= 0) {   /* no landmarks */
        memset(in, 0, copies * rec_size * sizeof(float));
        return 1;
    }
    if (e->opt.align == FACE_ALIGN_SIMILARITY) {
        double m[6];
        align_similarity(f->landmarks, RECOG_INPUT, m);
        input_from_transform(img, m, RECOG_INPUT, &rec_norm, in);
        return 0;
    }
    if (e->opt.align == FACE_ALIGN_FACEAPI) {
        int_rect a = box_clip(f->align_rect.x, f->align_rect.y, f->align_rect.w, f->align_rect.h,
                              img->width, img->height);
        if (a.w <= 0 || a.h <= 0) {   /* face-api: a zero-size crop gives a zero descriptor */
            memset(in, 0, rec_size * sizeof(float));
            return 1;
        }
        input_from_region(img, a, RECOG_INPUT, 1, &rec_norm, in);
        return 0;
    }
    face_chip where = chip_locate(f->landmarks, CHIP_SIZE, CHIP_PADDING);
    image chip = {0}, copy = {0};
    int rc = chip_extract(img, &where, CHIP_SIZE, &chip);
    if (rc == 0 && copies == 1)
        input_normalize(&chip, &chip_norm, in);
    uint64_t rng = JITTER_SEED;
    for (int j = 0; rc == 0 && copies > 1 && j < copies; j++) {
        rc = chip_jitter(&chip, &rng, &copy);
        if (rc == 0)
            input_normalize(&copy, &chip_norm, in + j * rec_size);
        image_free(&copy);
    }
    image_free(&chip);
    return rc;
}

int face_engine_embed(face_engine *e, const image *img, face *faces, int n, celeb_error *err)
{
    if (n <= 0)
        return CELEB_OK;
    const int copies = e->opt.align == FACE_ALIGN_CHIP && e->opt.jitter > 1 ? e->opt.jitter : 1;
    int rc = reserve_batch(e, n * copies, err);
    if (rc < 0)
        return rc;
    /* Every face's crop (or jittered copies of its chip), one descriptor batch. */
    const size_t rec_size = (size_t)RECOG_INPUT * RECOG_INPUT * 3;
    int *empty = calloc((size_t)n, sizeof *empty);
    float *desc = malloc((size_t)n * copies * RECOG_DIM * sizeof *desc);
    if (!empty || !desc)
        rc = celeb_fail(err, CELEB_ENOMEM, "out of memory");
    for (int i = 0; rc == 0 && i < n; i++) {
        empty[i] = face_inputs(e, img, &faces[i], copies, e->batch + (size_t)i * copies * rec_size);
        if (empty[i] < 0)
            rc = celeb_fail(err, empty[i], "out of memory for a face chip");
    }
    if (rc == 0)
        rc = recog_forward(&e->recog, e->batch, n * copies, desc, err);
    for (int i = 0; rc == 0 && i < n; i++) {
        float *d = faces[i].descriptor;
        memset(d, 0, sizeof faces[i].descriptor);
        for (int j = 0; !empty[i] && j < copies; j++)
            for (int k = 0; k < RECOG_DIM; k++)
                d[k] += desc[((size_t)i * copies + j) * RECOG_DIM + k] / copies;
    }
    free(desc);
    free(empty);
    return rc;
}

int face_engine_describe(face_engine *e, const image *img, face *faces, int n, celeb_error *err)
{
    int rc = face_engine_landmarks(e, img, faces, n, err);
    return rc < 0 ? rc : face_engine_embed(e, img, faces, n, err);
}

/* The bounding box of a face's 68 landmarks: x0, y0, x1, y1. */
static void landmark_bounds(const face *f, double b[4])
{
    b[0] = b[2] = f->landmarks[0][0];
    b[1] = b[3] = f->landmarks[0][1];
    for (int i = 1; i < LM_POINTS; i++) {
        b[0] = fmin(b[0], f->landmarks[i][0]);
        b[1] = fmin(b[1], f->landmarks[i][1]);
        b[2] = fmax(b[2], f->landmarks[i][0]);
        b[3] = fmax(b[3], f->landmarks[i][1]);
    }
}

/* prev's box carried along with its landmarks from where they were (prev)
 * to where they are now (now): shifted with their centre, scaled with
 * their size. */
static face_box moved_box(const face *prev, const face *now)
{
    double p[4], n[4];
    landmark_bounds(prev, p);
    landmark_bounds(now, n);
    double ps = (p[2] - p[0]) + (p[3] - p[1]), ns = (n[2] - n[0]) + (n[3] - n[1]);
    double s = ps > 0 && ns > 0 ? ns / ps : 1.0;
    double pcx = (p[0] + p[2]) / 2, pcy = (p[1] + p[3]) / 2;
    double ncx = (n[0] + n[2]) / 2, ncy = (n[1] + n[3]) / 2;
    const face_box *b = &prev->box;
    double cx = ncx + (b->x + b->w / 2 - pcx) * s, cy = ncy + (b->y + b->h / 2 - pcy) * s;
    return (face_box){cx - b->w * s / 2, cy - b->h * s / 2, b->w * s, b->h * s, b->score};
}

int face_engine_follow(face_engine *e, const image *img, const face *prev, int n, face *out,
                       celeb_error *err)
{
    for (int i = 0; i < n; i++)
        out[i] = prev[i];
    /* Where the landmarks are now, seen through the old box (the landmark
     * net is trained on jittered boxes); the box moves with them. */
    int rc = face_engine_landmarks(e, img, out, n, err);
    for (int i = 0; rc == 0 && i < n; i++)
        out[i].box = moved_box(&prev[i], &out[i]);
    if (rc == 0)
        rc = face_engine_embed(e, img, out, n, err);
    return rc;
}

static double iou(const face_box *a, const face_box *b)
{
    double x0 = fmax(a->x, b->x), y0 = fmax(a->y, b->y);
    double x1 = fmin(a->x + a->w, b->x + b->w), y1 = fmin(a->y + a->h, b->y + b->h);
    double inter = x1 > x0 && y1 > y0 ? (x1 - x0) * (y1 - y0) : 0;
    double uni = a->w * a->h + b->w * b->h - inter;
    return uni > 0 ? inter / uni : 0;
}

/* The chosen detector(s) on one image. */
static int detect(face_engine *e, const image *img, face_box *boxes, int *found, celeb_error *err)
{
    if (e->opt.detector != e->loaded && e->loaded != FACE_DETECTOR_BOTH)
        return celeb_fail(err, CELEB_EINVAL, "the engine was opened without the %s detector",
                          e->loaded == FACE_DETECTOR_SSD ? "tiny" : "SSD");
    if (e->opt.detector == FACE_DETECTOR_TINY)
        return tiny_detect(&e->tiny, img, e->opt.min_score, boxes, MAX_FACES, found, err);
    int rc = ssd_detect(&e->ssd, img, e->opt.min_score, 100, boxes, MAX_FACES, found, err);
    if (rc < 0 || e->opt.detector != FACE_DETECTOR_BOTH)
        return rc;
    /* Add the tiny detector's faces that overlap none of SSD's. */
    face_box extra[64];
    int n = 0;
    rc = tiny_detect(&e->tiny, img, e->opt.min_score, extra, 64, &n, err);
    for (int i = 0; rc == 0 && i < n && *found < MAX_FACES; i++) {
        int seen = 0;
        for (int j = 0; j < *found && !seen; j++)
            seen = iou(&extra[i], &boxes[j]) > 0.3;
        if (!seen)
            boxes[(*found)++] = extra[i];
    }
    return rc;
}

/* img centred on a black canvas `scale` times its size; *ox, *oy: its offset. */
static int make_canvas(const image *img, int scale, image *canvas, int *ox, int *oy)
{
    if (image_alloc(canvas, img->width * scale, img->height * scale) < 0)
        return CELEB_ENOMEM;
    memset(canvas->rgb, 0, (size_t)canvas->width * canvas->height * 3);
    *ox = (canvas->width - img->width) / 2;
    *oy = (canvas->height - img->height) / 2;
    for (int y = 0; y < img->height; y++)
        memcpy(canvas->rgb + ((size_t)(y + *oy) * canvas->width + *ox) * 3,
               img->rgb + (size_t)y * img->width * 3, (size_t)img->width * 3);
    return CELEB_OK;
}

/* Moves a face found on a canvas back to the image's coordinates. */
static void shift_face(face *f, int ox, int oy)
{
    f->box.x -= ox;
    f->box.y -= oy;
    for (int i = 0; i < LM_POINTS; i++) {
        f->landmarks[i][0] -= ox;
        f->landmarks[i][1] -= oy;
    }
    f->align_rect.x -= ox;
    f->align_rect.y -= oy;
}

/* The second look (find_tight_crops) runs when no face found is at least
 * this share of the picture's smaller side. SSD misses faces that fill much
 * of the frame: on LFW (250x250, one centred face about 0.45 of the side)
 * it found only a small background face or a tie (0.05-0.26 of the side) in
 * 4 of View 1's 4,992 photos, and on a 2x canvas it finds the big face at
 * 0.96-0.98. Where it finds the face, it measures 0.38-0.68 of the side
 * (1st-99th percentile). Not higher: in dlib_dogs.jpg the dog's face is
 * 0.35 of the side, and the 2x canvas finds a second dog there whose
 * landmarks pass for a face's. */
#define BIG_FACE_SHARE 0.3

static int needs_second_look(const image *img, const face_box *boxes, int n)
{
    double biggest = 0, side = img->width < img->height ? img->width : img->height;
    for (int i = 0; i < n; i++)
        biggest = fmax(biggest, fmax(boxes[i].w, boxes[i].h));
    return biggest < BIG_FACE_SHARE * side;
}

/* A photo that shows a face (expect_face) where none was found at the
 * detector's score: SSD at LAST_RESORT_SCORE on the picture and on its 2x
 * and 3x canvases, and the most likely candidate counts if its landmarks
 * have a face's proportions (faceness.h). On LFW View 1, SSD finds nothing
 * at 0.5 in 4 of 4,992 photos (a blurred face, a golfer's under a cap,
 * a driver's in a balaclava, a plain face SSD scores 0.06); a dog's face
 * fails the faceness check. *canvas is left as the scale of the one kept
 * (its offset in *ox, *oy), freed when that is the picture itself. */
#define LAST_RESORT_SCORE 0.2f

static int last_resort(face_engine *e, const image *img, image *canvas, face_box *boxes, int *found,
                       int *ox, int *oy, celeb_error *err)
{
    float saved = e->opt.min_score;
    e->opt.min_score = LAST_RESORT_SCORE;
    face_box best = {0}, *cand = boxes + MAX_FACES;   /* the second half of run's buffer */
    int best_scale = 0, rc = CELEB_OK;
    for (int scale = 1; rc == 0 && scale <= 3; scale++) {
        image c = {0};
        int cx = 0, cy = 0, n = 0;
        if (scale > 1 && make_canvas(img, scale, &c, &cx, &cy) < 0) {
            rc = celeb_fail(err, CELEB_ENOMEM, "out of memory for a %dx canvas", scale);
            break;
        }
        rc = detect(e, scale > 1 ? &c : img, cand, &n, err);
        for (int i = 0; rc == 0 && i < n; i++) {
            face f = {.box = cand[i]};
            rc = face_engine_landmarks(e, scale > 1 ? &c : img, &f, 1, err);
            if (rc == 0 && face_is_face(&f) && cand[i].score > best.score) {
                best = cand[i];
                best.x -= cx;   /* into img's frame */
                best.y -= cy;
                best_scale = scale;
            }
        }
        image_free(&c);
    }
    e->opt.min_score = saved;
    image_free(canvas);
    if (rc < 0 || !best_scale)
        return rc;
    boxes[(*found)++] = best;
    *ox = *oy = 0;
    if (best_scale > 1 && make_canvas(img, best_scale, canvas, ox, oy) < 0)
        return celeb_fail(err, CELEB_ENOMEM, "out of memory for a %dx canvas", best_scale);
    return CELEB_OK;
}

int face_engine_run(face_engine *e, const image *img, face **faces, int *n, celeb_error *err)
{
    *faces = NULL;
    *n = 0;
    face_box *boxes = malloc(2 * MAX_FACES * sizeof *boxes), *more = boxes + MAX_FACES;
    if (!boxes)
        return celeb_fail(err, CELEB_ENOMEM, "out of memory");
    int found = 0, ox = 0, oy = 0;
    image canvas = {0};
    const image *on = img;   /* the image the faces are described on */
    int rc = detect(e, img, boxes, &found, err);
    /* The second look: the image centred on a 2x, then (nothing found at
     * all) 3x black canvas. Measured on ../shared/data/celebs: of the 51
     * photos where SSD finds no face, a 2x canvas finds 42 and 3x 48, with no
     * face on the no-face images of ../shared/data/media (1.5x found one in a
     * painting). Its faces that overlap none already found are added, and
     * all are described on the canvas. */
    int look = rc == 0 && e->opt.find_tight_crops && needs_second_look(img, boxes, found);
    for (int scale = 2; look && rc == 0 && scale <= 3 && (scale == 2 || found == 0); scale++) {
        int extra = 0;
        image_free(&canvas);
        rc = make_canvas(img, scale, &canvas, &ox, &oy);
        if (rc < 0)
            rc = celeb_fail(err, rc, "out of memory for a %dx canvas", scale);
        else
            rc = detect(e, &canvas, more, &extra, err);
        for (int i = 0; rc == 0 && i < extra && found < MAX_FACES; i++) {
            more[i].x -= ox;   /* into img's frame */
            more[i].y -= oy;
            int seen = 0;
            for (int j = 0; j < found && !seen; j++)
                seen = iou(&more[i], &boxes[j]) > 0.3;
            if (!seen)
                boxes[found++] = more[i];
        }
    }
    if (look && rc == 0 && found == 0 && e->opt.expect_face)
        rc = last_resort(e, img, &canvas, boxes, &found, &ox, &oy, err);
    on = found && canvas.rgb ? &canvas : img;
    face *out = NULL;
    if (rc == 0 && found > 0) {
        out = calloc((size_t)found, sizeof *out);
        if (!out)
            rc = celeb_fail(err, CELEB_ENOMEM, "out of memory");
        for (int i = 0; rc == 0 && i < found; i++) {
            out[i].box = boxes[i];
            out[i].box.x += on == &canvas ? ox : 0;
            out[i].box.y += on == &canvas ? oy : 0;
        }
        if (rc == 0)
            rc = face_engine_describe(e, on, out, found, err);
        for (int i = 0; rc == 0 && on == &canvas && i < found; i++) {
            shift_face(&out[i], ox, oy);
            face_quality_measure(img, &out[i].box, out[i].landmarks, &out[i].quality);   /* in img's frame */
        }
    }
    image_free(&canvas);
    free(boxes);
    if (rc < 0) {
        free(out);
        return rc;
    }
    *faces = out;
    *n = found;
    return CELEB_OK;
}
