/* enroll.c - one photo with exactly one face -> one gallery face (see the
 * enrolment part of include/celeb.h). The CLI's `celeb enroll` and the
 * server's POST /v1/gallery/{name}/faces are thin front ends over it. */
#include "celeb.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/sha256.h"
#include "face/faceness.h"
#include "media/media.h"

face_engine_options celeb_enroll_engine_options(const char *model_dir, int threads)
{
    return (face_engine_options){.model_dir = model_dir, .threads = threads,
                                 .detector = FACE_DETECTOR_BOTH,
                                 .tiny_size = CELEB_ENROLL_TINY_SIZE, .find_tight_crops = 1,
                                 .expect_face = 1, .align = CELEB_ALIGN_DEFAULT,
                                 .jitter = CELEB_ENROLL_JITTER};
}

// ----------------------------------------------------------------------------
// The confidence model

int celeb_gallery_model(gallery *g, identify_model *m, celeb_error *err)
{
    char text[GALLERY_META_MAX];
    *m = IDENTIFY_DEFAULT_MODEL;
    int rc = gallery_meta(g, "identify_model", text, err);
    /* Galleries trained before the logistic model hold a softmax's
     * "beta=..." line: the default serves until `celeb gallery train`. */
    if (rc < 0 || !text[0] || !strncmp(text, "beta=", 5))
        return rc;
    if (identify_model_parse(text, m) < 0) {
        *m = IDENTIFY_DEFAULT_MODEL;
        return celeb_fail(err, CELEB_ECORRUPT, "the gallery's identification model is unreadable: '%s'",
                          text);
    }
    return CELEB_OK;
}

int celeb_gallery_train(gallery *g, identify_model *m, int *fitted, int *samples, celeb_error *err)
{
    gallery_face *faces = NULL;
    int n = 0;
    *fitted = 0;
    int rc = gallery_faces(g, NULL, &faces, &n, err);
    if (rc == 0)
        rc = identify_train(faces, n, m, fitted, samples, err);
    free(faces);
    if (rc == 0 && *fitted) {
        char text[GALLERY_META_MAX];
        identify_model_format(m, text, sizeof text);
        rc = gallery_set_meta(g, "identify_model", text, err);
    }
    if (rc == 0 && !*fitted)
        rc = celeb_gallery_model(g, m, err);   /* what queries will use */
    return rc;
}

// ----------------------------------------------------------------------------
// Descriptor kinds: the recognition crop a gallery was enrolled with

static const char *const align_kind[] = {
    [FACE_ALIGN_FACEAPI] = "faceapi", [FACE_ALIGN_SIMILARITY] = "similarity", [FACE_ALIGN_CHIP] = "chip"};

const char *celeb_align_name(face_align a)
{
    return a >= 0 && a < (int)(sizeof align_kind / sizeof *align_kind) ? align_kind[a] : "?";
}

int celeb_gallery_align(gallery *g, face_align *align, celeb_error *err)
{
    char kind[GALLERY_KIND_MAX];
    int rc = gallery_kind(g, kind, err);
    if (rc < 0)
        return rc;
    for (int a = 0; kind[0] && a < (int)(sizeof align_kind / sizeof *align_kind); a++)
        if (!strcmp(kind, align_kind[a])) {
            *align = (face_align)a;
            return CELEB_OK;
        }
    if (kind[0])
        return celeb_fail(err, CELEB_EFORMAT,
                          "the gallery's descriptors are of kind '%s', which this celeb does not know",
                          kind);
    /* Galleries from before kinds were recorded hold similarity-crop faces. */
    int faces = gallery_face_count(g, err);
    if (faces < 0)
        return faces;
    *align = faces > 0 ? FACE_ALIGN_SIMILARITY : CELEB_ALIGN_DEFAULT;
    return CELEB_OK;
}

// ----------------------------------------------------------------------------
// The main face of a photo with several

/* A face's distance to a person's enrolled faces: the nearest of them. */
static double nearest_enrolled(const face *f, const gallery_face *mine, int n)
{
    double d = INFINITY;
    for (int j = 0; j < n; j++) {
        double dj = identify_distance(f->descriptor, mine[j].descriptor);
        if (dj < d)
            d = dj;
    }
    return d;
}

static double box_area(const face *f)
{
    return f->box.w * f->box.h;
}

static int covers_centre(const face_box *b, const image *img)
{
    double cx = img->width / 2.0, cy = img->height / 2.0;
    return b->x <= cx && cx <= b->x + b->w && b->y <= cy && cy <= b->y + b->h;
}

/* Which of n >= 2 faces is `name` (celeb_enroll_image in celeb.h): the one face that
 * agrees with the person's enrolled photos, else the largest face when it
 * covers the photo's centre and is ENROLL_DOMINANCE times the area of any
 * other. Returns its index and says how in *how, or -1 and why not in err. */
#define ENROLL_DOMINANCE 1.5
static int main_face(gallery *g, const char *name, const face *faces, int n, const image *img,
                     const char **how, celeb_error *err)
{
    gallery_face *mine = NULL;
    int n_mine = 0, agree = -1, n_agree = 0;
    char person[GALLERY_NAME_MAX];   /* the name an alias stands for */
    int rc = gallery_resolve(g, name, person, err);
    if (rc == 0)
        rc = gallery_faces(g, person, &mine, &n_mine, err);
    if (rc < 0)
        return rc;
    for (int i = 0; i < n && n_mine > 0; i++)
        if (nearest_enrolled(&faces[i], mine, n_mine) < IDENTIFY_DEFAULT_THRESHOLD) {
            agree = i;
            n_agree++;
        }
    free(mine);
    if (n_agree == 1) {
        *how = "the face like the person's enrolled photos";
        return agree;
    }
    int big = 0;
    for (int i = 1; i < n; i++)
        if (box_area(&faces[i]) > box_area(&faces[big]))
            big = i;
    int dominates = 1;
    for (int i = 0; i < n; i++)
        if (i != big && box_area(&faces[big]) < ENROLL_DOMINANCE * box_area(&faces[i]))
            dominates = 0;
    if (n_agree == 0 && dominates && covers_centre(&faces[big].box, img)) {
        *how = "the largest face, in the centre";
        return big;
    }
    if (n_agree > 1)
        return celeb_fail(err, CELEB_EINVAL,
                          "%d faces in the photo and %d of them look like %s's enrolled photos", n,
                          n_agree, name);
    return celeb_fail(err, CELEB_EINVAL,
                      "%d faces in the photo and none is clearly %s's: none looks like %s's enrolled "
                      "photos%s, and no face both covers the centre and is %.1fx the area of the others",
                      n, name, name, n_mine ? "" : " (none yet)", ENROLL_DOMINANCE);
}

/* The quick look (celeb.h): the tiny detector's one face of a portrait, in
 * *faces (n 1), or none (n 0) when the photo is not clearly one. The
 * landmark and recognition nets run only on a box that makes a portrait. */
static int quick_look(face_engine *e, const image *img, face **faces, int *n, celeb_error *err)
{
    *faces = NULL;
    *n = 0;
    if (e->loaded == FACE_DETECTOR_SSD || e->opt.tiny_size != CELEB_ENROLL_TINY_SIZE)
        return CELEB_OK;   /* no tiny detector of the size it was measured at */
    face_box boxes[2];
    int found = 0;
    int rc = tiny_detect(&e->tiny, img, e->opt.min_score, boxes, 2, &found, err);
    const face_box *b = &boxes[0];
    double side = img->width < img->height ? img->width : img->height;
    if (rc < 0 || found != 1 || fmax(b->w, b->h) < CELEB_ENROLL_PORTRAIT * side || !covers_centre(b, img))
        return rc;
    face *f = calloc(1, sizeof *f);
    if (!f)
        return celeb_fail(err, CELEB_ENOMEM, "out of memory");
    f->box = *b;
    rc = face_engine_landmarks(e, img, f, 1, err);
    int human = rc == 0 && face_is_face(f);   /* else the full look */
    if (human)
        rc = face_engine_embed(e, img, f, 1, err);
    if (rc < 0 || !human) {
        free(f);
        return rc;
    }
    *faces = f;
    *n = 1;
    return CELEB_OK;
}

/* sha256 of a photo's size and pixels, as hex. */
static void photo_hash(const image *img, char hex[GALLERY_CONTENT_MAX])
{
    char size[32];
    int n = snprintf(size, sizeof size, "%dx%d\n", img->width, img->height);
    const void *parts[2] = {size, img->rgb};
    size_t sizes[2] = {(size_t)n, (size_t)img->width * img->height * 3};
    sha256_hex_parts(parts, sizes, 2, hex);
}

int celeb_enroll_image(face_engine *e, gallery *g, const char *name, const image *img,
                       const char *source, celeb_enrolled *out, celeb_error *err)
{
    *out = (celeb_enrolled){0};
    if (e->loaded == FACE_DETECTOR_TINY)
        return celeb_fail(err, CELEB_EINVAL, "enrolment needs an engine with SSD loaded");
    /* The engine may be a detection engine: enrol with enrolment's own
     * settings, then give it back as it was. */
    face_align align;
    int rc = celeb_gallery_align(g, &align, err);
    if (rc < 0)
        return rc;
    /* The same photo twice is stored once: its pixels' hash, looked up
     * before any net runs (so enrolling a folder again is quick). */
    char content[GALLERY_CONTENT_MAX], owner[GALLERY_NAME_MAX], canonical[GALLERY_NAME_MAX];
    photo_hash(img, content);
    rc = gallery_find_content(g, content, &out->face_id, owner, err);
    if (rc == 1) {
        rc = gallery_resolve(g, name, canonical, err);
        if (rc == 0 && strcmp(owner, canonical))
            rc = celeb_fail(err, CELEB_EINVAL, "this photo is already enrolled as %s", owner);
        out->already = rc == 0;
        return rc;
    }
    if (rc < 0)
        return rc;
    face_engine_options saved = e->opt;
    e->opt.align = align;
    e->opt.jitter = saved.jitter > 0 ? saved.jitter : CELEB_ENROLL_JITTER;
    face *faces = NULL;
    int n = 0;
    rc = quick_look(e, img, &faces, &n, err);
    out->quick = n == 1;
    if (rc == 0 && n == 0) {   /* the full look */
        e->opt.detector = FACE_DETECTOR_SSD;
        e->opt.find_tight_crops = 1;
        e->opt.expect_face = 1;
        rc = face_engine_run(e, img, &faces, &n, err);
    }
    e->opt = saved;
    /* Not a human face (faceness.h: SSD's dog face): not counted. */
    int human = 0;
    for (int i = 0; rc == 0 && i < n; i++)
        if (face_is_face(&faces[i]))
            faces[human++] = faces[i];
    n = human;
    int pick = 0;
    out->faces = n;
    out->how = "the only face";
    if (rc == 0 && n == 0)
        rc = celeb_fail(err, CELEB_EINVAL, "no face found");
    if (rc == 0 && n > 1)
        rc = pick = main_face(g, name, faces, n, img, &out->how, err);
    if (rc >= 0)
        rc = gallery_set_kind(g, celeb_align_name(align), err);
    if (rc == 0)
        rc = gallery_add_face(g, name, source, content, faces[pick].quality.value, faces[pick].descriptor,
                              &out->face_id, err);
    if (rc == 0) {
        out->quality = faces[pick].quality.value;
        out->box = faces[pick].box;
    }
    free(faces);
    return rc;
}

int celeb_enroll_file(face_engine *e, gallery *g, const char *name, const char *path,
                      celeb_enrolled *out, celeb_error *err)
{
    image img = {0};
    *out = (celeb_enrolled){0};
    int rc = media_read_frame(path, 0, &img, err);
    if (rc == 0)
        rc = celeb_enroll_image(e, g, name, &img, path, out, err);
    image_free(&img);
    return rc;
}
