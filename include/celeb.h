/* celeb.h - the library API the CLI, the server and the batch runner share:
 * who is in this image, GIF or video.
 *
 *     celeb_ctx *ctx;  celeb_error err;
 *     celeb_open(&opt, &ctx, &err);                  // models + gallery, once
 *     cJSON *doc;
 *     celeb_detect_file(ctx, "a.gif", &doc, &err);   // one answer per person
 *     ... cJSON_Delete(doc);
 *     celeb_close(ctx);
 *
 * The result is the JSON document of ../shared/DESIGN.md §5, schema
 * "celeb.detect/1". A context is used by one thread at a time. */
#ifndef CELEB_H
#define CELEB_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "face/faces.h"

typedef struct celeb_options {
    const char *model_dir;    /* NULL: face_default_model_dir() */
    const char *gallery;      /* gallery file; NULL or missing file: nobody is known */
    int threads;              /* <= 0: one per core */
    face_detector detector;   /* FACE_DETECTOR_BOTH (SSD + the tiny one's extra faces), SSD or tiny */
    int frames;               /* frames to sample per file; <= 0: 20; see all_frames */
    int all_frames;           /* every frame */
    float unknown_distance;   /* known only when a person is closer than this to an identity;
                                 0: IDENTIFY_DEFAULT_THRESHOLD */
    float min_confidence;     /* known only when the name is this likely right (identify.h);
                                 0: the gallery's operating point */
    int jitter;               /* > 1: descriptors averaged over this many jittered chips; 0, 1: none */
} celeb_options;

typedef struct celeb_ctx celeb_ctx;

/* Loads the nets and reads the gallery. *out is owned by the caller: celeb_close. */
int celeb_open(const celeb_options *opt, celeb_ctx **out, celeb_error *err);
void celeb_close(celeb_ctx *ctx);

/* Re-reads the gallery if it changed since it was read (cheap when not). */
int celeb_reload_gallery(celeb_ctx *ctx, celeb_error *err);

/* Who is in the file. On success *doc is a new cJSON document the caller
 * deletes; on failure *doc is NULL and err says why (CELEB_EFORMAT, ...). */
int celeb_detect_file(celeb_ctx *ctx, const char *path, cJSON **doc, celeb_error *err);

/* The same from bytes; `source` is what the document reports as the source. */
int celeb_detect_memory(celeb_ctx *ctx, const uint8_t *data, size_t size, const char *source,
                        cJSON **doc, celeb_error *err);

/* ---- Enrolment (src/pipeline/enroll.c) -------------------------------------
 * One photo that shows exactly one face becomes one face of a gallery
 * identity. The CLI's `celeb enroll` and the server's
 * POST /v1/gallery/{name}/faces both use these calls:
 *
 *     face_engine e;  gallery *g;  celeb_enrolled r;
 *     face_engine_options eo = celeb_enroll_engine_options(NULL, 0);
 *     face_engine_open(&e, &eo, &err);  gallery_open(path, 1, &g, &err);
 *     celeb_enroll_file(&e, g, "Brad_Pitt", "brad.jpg", &r, &err);
 *
 * A portrait is enrolled from a quick look: the tiny detector at
 * CELEB_ENROLL_TINY_SIZE, a quarter of SSD's cost, whose face is taken when it
 * finds exactly one, covering the photo's centre and at least
 * CELEB_ENROLL_PORTRAIT of its smaller side (LFW's photos). Any other photo
 * (several faces, small ones, none) gets the full look: SSD with the
 * tight-crop second look. (LFW A-C, 2,515 photos, no jitter, 2 cores: 48
 * photos/s instead of 17 with SSD alone (tiny alone: 67); the photos of
 * people with 2+, described as `celeb detect` does (SSD) and searched
 * without themselves, find their person first 95.4% of the time in the
 * gallery so enrolled, 95.0% in SSD's.)
 *
 * The engine may also be one opened for detection with SSD loaded
 * (FACE_DETECTOR_SSD or _BOTH; the quick look needs the tiny detector at
 * CELEB_ENROLL_TINY_SIZE): enrolment runs with the
 * tight-crop second look, the gallery's crop (celeb_gallery_align, recorded
 * in a new gallery with its first face) and the engine's jitter (0: the
 * default CELEB_ENROLL_JITTER), and restores the engine's options before
 * returning. A tiny-only engine is CELEB_EINVAL. */
#include "gallery/gallery.h"
#include "identify/identify.h"

typedef struct celeb_enrolled {
    int64_t face_id;       /* the new gallery face, or the one already there (already) */
    int already;           /* the photo was enrolled as this person before: nothing added */
    int faces;             /* faces found in the photo */
    int quick;             /* found by the quick look (a portrait), not by SSD */
    const char *how;       /* how the face enrolled was chosen among them (a static string) */
    float quality;         /* the face's quality (face/quality.h), kept in the gallery */
    face_box box;          /* the face in the photo's pixels (EXIF orientation applied) */
} celeb_enrolled;

/* The recognition crop of new galleries (and of detection without one):
 * dlib's face chip, the crop its net was trained on (README: the crops on
 * LFW View 1). */
#define CELEB_ALIGN_DEFAULT FACE_ALIGN_CHIP

/* Jittered copies each enrolled face's descriptor is averaged over (a
 * gallery is built once and read a million times; README: the jitter
 * curve on LFW View 1). Detection does not jitter: its frames are views. */
#define CELEB_ENROLL_JITTER 16

#define CELEB_ENROLL_TINY_SIZE 256
#define CELEB_ENROLL_PORTRAIT 0.3

/* The face engine options enrolment wants: both detectors (the tiny one at
 * CELEB_ENROLL_TINY_SIZE), the tight-crop second look (enrolment photos
 * are often face crops the detectors miss), the default crop and jitter. */
face_engine_options celeb_enroll_engine_options(const char *model_dir, int threads);

/* The recognition crop gallery g's faces were computed with, which queries
 * against it must use: its recorded kind ("chip", "similarity",
 * "faceapi"); a gallery from before kinds were recorded holds similarity-
 * crop faces; an empty one takes CELEB_ALIGN_DEFAULT. An unknown kind is
 * CELEB_EFORMAT. */
int celeb_gallery_align(gallery *g, face_align *align, celeb_error *err);

/* The kind name of a crop ("chip", ...). */
const char *celeb_align_name(face_align a);

/* The confidence model fitted to gallery g (identify.h), or
 * IDENTIFY_DEFAULT_MODEL when it was never fitted. A stored model that does
 * not parse is CELEB_ECORRUPT. */
int celeb_gallery_model(gallery *g, identify_model *m, celeb_error *err);

/* Fits the confidence model to g's faces (identify_train) and stores it;
 * too small a gallery stores nothing and leaves *fitted 0. *m receives the
 * model queries will use, *samples (may be NULL) the searches it was
 * fitted on. A few seconds for 10,000 faces. */
int celeb_gallery_train(gallery *g, identify_model *m, int *fitted, int *samples, celeb_error *err);

/* Enrolls the face of img that is `name`, recording `source` (a path, a
 * URL, "upload:NAME") in the gallery; committed when it returns 0. A photo
 * with several faces enrols its main one when that is unambiguous: the one
 * face within IDENTIFY_DEFAULT_THRESHOLD of the person's enrolled photos,
 * else (none of them near) the largest face when it covers the photo's
 * centre and has 1.5 times the area of every other (GIPHY's builder took the
 * largest). No face, or no main one: CELEB_EINVAL with the reason ("no face
 * found", "3 faces in the photo and none is clearly NAME's: ..."); a bad
 * name: CELEB_EINVAL from the gallery. The same photo (the same pixels) is
 * stored once: enrolled again as the same person, it returns 0 with
 * `already` set and the stored face's id, before any net runs; as somebody
 * else, CELEB_EINVAL ("this photo is already enrolled as NAME"). */
int celeb_enroll_image(face_engine *e, gallery *g, const char *name, const image *img,
                       const char *source, celeb_enrolled *out, celeb_error *err);

/* The same for the first frame of a file (its path is the source). */
int celeb_enroll_file(face_engine *e, gallery *g, const char *name, const char *path,
                      celeb_enrolled *out, celeb_error *err);

#endif
