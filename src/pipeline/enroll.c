/* enroll.c - one photo with exactly one face -> one gallery face (see the
 * enrolment part of include/celeb.h). The CLI's `celeb enroll` and the
 * server's POST /v1/gallery/{name}/faces are thin front ends over it. */
#include "celeb.h"

#include <stdlib.h>
#include <string.h>

#include "face/faceness.h"
#include "media/media.h"

face_engine_options celeb_enroll_engine_options(const char *model_dir, int threads)
{
    return (face_engine_options){.model_dir = model_dir, .threads = threads,
                                 .detector = FACE_DETECTOR_SSD, .find_tight_crops = 1,
                                 .expect_face = 1, .align = CELEB_ALIGN_DEFAULT,
                                 .jitter = CELEB_ENROLL_JITTER};
}

// ----------------------------------------------------------------------------
// The confidence model

int celeb_gallery_model(gallery *g, identify_model *m, celeb_error *err)
{
    char text[GALLERY_MODEL_MAX];
    *m = IDENTIFY_DEFAULT_MODEL;
    int rc = gallery_model(g, text, err);
    if (rc < 0 || !text[0])
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
        char text[GALLERY_MODEL_MAX];
        identify_model_format(m, text, sizeof text);
        rc = gallery_set_model(g, text, err);
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

int celeb_enroll_image(face_engine *e, gallery *g, const char *name, const image *img,
                       const char *source, celeb_enrolled *out, celeb_error *err)
{
    *out = (celeb_enrolled){0};
    if (e->opt.detector == FACE_DETECTOR_TINY)
        return celeb_fail(err, CELEB_EINVAL, "enrolment needs an engine with SSD loaded");
    /* The engine may be a detection engine: enrol with enrolment's own
     * settings, then give it back as it was. */
    face_align align;
    int rc = celeb_gallery_align(g, &align, err);
    if (rc < 0)
        return rc;
    face_engine_options saved = e->opt;
    e->opt.detector = FACE_DETECTOR_SSD;
    e->opt.find_tight_crops = 1;
    e->opt.expect_face = 1;
    e->opt.align = align;
    e->opt.jitter = saved.jitter > 0 ? saved.jitter : CELEB_ENROLL_JITTER;
    face *faces = NULL;
    int n = 0;
    rc = face_engine_run(e, img, &faces, &n, err);
    e->opt = saved;
    /* Not a human face (faceness.h: SSD's dog face): not counted. */
    int human = 0;
    for (int i = 0; rc == 0 && i < n; i++)
        if (face_is_face(&faces[i]))
            faces[human++] = faces[i];
    n = human;
    if (rc == 0 && n != 1)
        rc = n ? celeb_fail(err, CELEB_EINVAL, "%d faces in the photo, need exactly one", n)
               : celeb_fail(err, CELEB_EINVAL, "no face found");
    if (rc == 0)
        rc = gallery_set_kind(g, celeb_align_name(align), err);
    if (rc == 0)
        rc = gallery_add_face(g, name, source, faces[0].quality.value, faces[0].descriptor,
                              &out->face_id, err);
    if (rc == 0) {
        out->quality = faces[0].quality.value;
        out->box = faces[0].box;
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
