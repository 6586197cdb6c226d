/* faces.h - the face engine: every face in an image with its box, 68
 * landmarks, recognition crop and 128-D descriptor.
 *
 * detect -> landmark -> align -> embed, batched over the faces of an image:
 * one landmark pass and one recognition pass per image, whatever the number
 * of faces. This reproduces face-api's
 * detectAllFaces().withFaceLandmarks().withFaceDescriptors(). */
#ifndef CELEB_FACE_FACES_H
#define CELEB_FACE_FACES_H

#include "../align/align.h"
#include "../align/chip.h"
#include "../detect/detect.h"
#include "../embed/recognition.h"
#include "../landmark/landmark68.h"
#include "quality.h"

typedef enum face_detector {
    FACE_DETECTOR_SSD = 0,    /* SSD MobileNetV1 (face-api's default) */
    FACE_DETECTOR_TINY = 1,   /* the tiny detector */
    FACE_DETECTOR_BOTH = 2,   /* SSD, plus the tiny detector's faces that SSD missed: on GIF frames
                                 (blur, profiles) SSD misses faces the tiny one finds */
} face_detector;

typedef struct face {
    face_box box;                     /* detection box (source pixels) and score */
    double landmarks[LM_POINTS][2];   /* source pixels, iBUG 68 order */
    int_rect align_rect;              /* the crop fed to the recognition net */
    float descriptor[RECOG_DIM];      /* not L2-normalised; same person if distance < 0.6 */
    face_quality quality;             /* how far it can be trusted (quality.h); set with the landmarks */
} face;

typedef enum face_align {
    FACE_ALIGN_FACEAPI = 0,     /* face-api's axis-aligned crop (FaceLandmarks.alignDlib) */
    FACE_ALIGN_SIMILARITY = 1,  /* rotation, scale and shift fitted to 5 landmarks */
    FACE_ALIGN_CHIP = 2,        /* dlib's face chip, the crop its net was trained on (chip.h) */
} face_align;

typedef struct face_engine_options {
    const char *model_dir;   /* folder with the face-api weights; NULL = face_default_model_dir() */
    const char *cache_dir;   /* where the nets keep their packed weights between processes
                                (nn/store.h); NULL = nn_store_default_dir(), "" = nowhere */
    int threads;             /* <= 0: one per core */
    face_detector detector;  /* SSD (default) or tiny */
    float min_score;         /* detection threshold; 0 = the detector's default (0.5) */
    int tiny_size;           /* tiny detector input, multiple of 32; 0 = 416 */
    face_align align;        /* the recognition crop; FACEAPI (default) reproduces face-api */
    int jitter;              /* > 1: each descriptor is the mean over this many jittered copies of
                                its chip (dlib's jitter_image; CHIP only); 0 or 1: the chip alone */
    int find_tight_crops;    /* when nothing is found, look again with the image centred on a
                                2x, then 3x black canvas: the detectors miss faces that fill the
                                frame (the enrolment photos people have); also when the faces found
                                are small (SSD misses faces that fill much of the frame, see
                                face_engine_run). Off: face-api's output. */
    int expect_face;         /* the photo shows a face (eval, enrolment): with find_tight_crops, when
                                none is found, accept the likeliest candidate at a lower score
                                whose landmarks are a face's */
} face_engine_options;

typedef struct face_engine {
    face_engine_options opt;
    face_detector loaded;    /* the detectors face_engine_open loaded: callers may change
                                opt.detector between runs, within these */
    char cache_dir[1024];    /* the folder opt.cache_dir resolved to, "" for none */
    nn_ctx ctx;
    ssd_net ssd;
    tiny_net tiny;
    lm_net lm;
    recog_net recog;
    float *batch;            /* input buffer for landmark / recognition batches */
    int batch_cap;           /* faces it holds */
} face_engine;

/* The model folder used when none is given: $CELEB_MODELS, else the build's models/. */
const char *face_default_model_dir(void);

/* Loads the detector chosen in opt, the landmark and the recognition nets.
 * Returns 0 or an error (missing/corrupt weights: CELEB_EMODEL). */
int face_engine_open(face_engine *e, const face_engine_options *opt, celeb_error *err);
void face_engine_close(face_engine *e);

/* Finds every face in img. On success *faces is a malloc'd array of *n faces
 * in detector order (descending score), owned by the caller (free()); it is
 * NULL when *n == 0. */
int face_engine_run(face_engine *e, const image *img, face **faces, int *n, celeb_error *err);

/* The landmark + crop + descriptor stages alone, for faces whose box is
 * already set (e.g. from another frame's detection). */
int face_engine_describe(face_engine *e, const image *img, face *faces, int n, celeb_error *err);

/* The two halves of face_engine_describe: landmarks (and the dlib align
 * rect) from each face's box; then the recognition crop and descriptor from
 * the landmarks. */
int face_engine_landmarks(face_engine *e, const image *img, face *faces, int n, celeb_error *err);
int face_engine_embed(face_engine *e, const image *img, face *faces, int n, celeb_error *err);

/* Follows the faces of the previous frame into img without a detector: the
 * landmark net looks where each face was (it is trained on jittered boxes),
 * the box moves with the landmarks found, and the descriptor is taken from
 * them. out[i] (n of them) is prev[i] now; its score stays the detector's.
 * The caller judges whether it is still the same face (descriptor distance
 * to prev[i]). */
int face_engine_follow(face_engine *e, const image *img, const face *prev, int n, face *out,
                       celeb_error *err);

#endif
