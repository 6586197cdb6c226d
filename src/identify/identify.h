/* identify.h - name a face: the gallery held in memory, searched per face.
 *
 * An index is built once from the gallery's faces (gallery_faces(g, NULL,
 * ...)) and is read-only afterwards, so several threads may search one
 * index at the same time. Per identity it keeps the name, the enrolled
 * descriptors and their centre (the mean of the raw, not normalised,
 * descriptors).
 *
 * Distance of a face to an identity = min(distance to the centre, distance
 * to the nearest enrolled photo), Euclidean on raw descriptors as the
 * recognition net gives them (face-api's metric: same person under 0.6).
 * The centre helps when an identity has several photos (it averages out
 * pose and lighting); the nearest photo keeps one unusual enrolled photo
 * (profile, old picture) useful.
 *
 * Confidence (identify_model): the probability that the nearest identity
 * is the person, a logistic model of three things a search sees:
 *
 *     x = (distance to the nearest identity d1,
 *          margin to the next identity d2 - d1 (at most IDENTIFY_MARGIN_MAX),
 *          ln(enrolled faces of the nearest identity))
 *     p = 1 / (1 + exp(-(bias + w . x)))
 *
 * A stranger is near somebody in a gallery of thousands, and then usually
 * near somebody else too: the margin, not the distance, is what tells him
 * from a known face (on LFW it weighs twice the distance). Identities with
 * many photos are near by chance more often (their nearest photo), hence
 * the photos term. A candidate further down the list gets the same model
 * with its own distance and its margin to the nearest other identity
 * (negative), so its p is low. The weights are fitted on the gallery itself
 * (identify_train, `celeb gallery train`: every enrolled face searched
 * without itself, and one face of every identity searched without its
 * identity, as a stranger), and so is the operating point min_confidence:
 * the lowest p at which those searches are right 98% of the time. Known =
 * p >= min_confidence and distance < threshold (a cap, the net's own
 * scale). A gallery never trained, or too small to fit, uses
 * IDENTIFY_DEFAULT_MODEL, fitted on LFW galleries of every size. (A softmax
 * over every identity and an "unknown" class, tried first, let 2% of LFW
 * strangers through at its 98% point; whitening or LDA learned from other
 * identities made LFW verification worse.)
 *
 * Groups (one person seen in several frames): identify_descriptors ranks
 * identities by the median, over the group's faces, of each face's
 * distance, so the per-face threshold keeps its meaning. (The mean
 * descriptor does not: averaged views of a stranger drift towards
 * everybody's centre.) */
#ifndef CELEB_IDENTIFY_H
#define CELEB_IDENTIFY_H

#include "../core/error.h"
#include "../gallery/gallery.h"

#define IDENTIFY_TOP 5                    /* candidates kept per face */
/* Known when the distance is under 0.54. With the similarity crop it was
 * 0.55 (celeb eval on ../shared/data/celebs: 98.1% named right at 0.55 and
 * 0.60, fewer at 0.50 and 0.65; the stricter one names fewer strangers).
 * dlib's chip and a jittered gallery bring everybody closer: over every
 * pair of LFW View 1's photos (12.4 million different-person pairs), the
 * false accepts that 0.55 gave the similarity crop (0.126%) come at 0.543
 * between a query's chip and a jittered gallery face, which then accepts
 * 94.7% of same-person pairs (the old crop: 92.4%). */
#define IDENTIFY_DEFAULT_THRESHOLD 0.54f
#define IDENTIFY_PRECISION 0.98       /* the operating point identify_train chooses */

/* Margins beyond this count as this much: the next identity is somebody
 * else either way (LFW's largest right-answer margin is 0.39), and a
 * gallery of a few people, where the next is always far, is left to the
 * distance. */
#define IDENTIFY_MARGIN_MAX 0.4

/* The confidence model (see above). */
typedef struct identify_model {
    double bias;             /* logit at distance 0, margin 0, one enrolled face */
    double w_distance;       /* per unit of distance to the identity (< 0) */
    double w_margin;         /* per unit of margin to the next identity (> 0) */
    double w_photos;         /* per ln(the identity's enrolled faces) */
    double min_confidence;   /* known when p >= this (the operating point) */
} identify_model;

/* For a gallery with too little to fit (fewer than 8 identities with 2+
 * faces): fitted on the pooled searches of 120 galleries cut from LFW, of
 * 24 to 3,146 identities (log-uniform; people not probed by `make
 * eval-scale`), so that it holds at every size: a stranger's margin is
 * wide in a gallery of 24 and narrow in one of thousands. Against the fit
 * on all of LFW (IDENTIFY_LFW_MODEL), it names 0.5% of the strangers
 * instead of 1% in galleries of 24 and 100, and as many known faces. */
#define IDENTIFY_DEFAULT_MODEL ((identify_model){12.259, -29.230, 29.099, -1.308, 0.663})
/* Fitted on LFW at full scale (4,560 identities, 10,048 faces enrolled
 * with jitter 16, dlib's chip): the centre of identify_train's prior. */
#define IDENTIFY_LFW_MODEL ((identify_model){5.75, -16.6, 39.4, -0.81, 0.77})

typedef struct identify_index identify_index;

typedef struct identify_options {
    float threshold;       /* known only when best distance < threshold; <= 0: IDENTIFY_DEFAULT_THRESHOLD */
    float min_confidence;  /* known only when p >= this; <= 0: the index's model's */
} identify_options;

typedef struct identify_candidate {
    char name[GALLERY_NAME_MAX];
    float distance;     /* min(distance to centre, to nearest enrolled photo) */
    float p;            /* probability that the face is this identity (see above) */
} identify_candidate;

typedef struct identify_result {
    int known;                    /* candidates[0].p >= min_confidence and distance < threshold */
    char name[GALLERY_NAME_MAX];  /* candidates[0].name if known, else "unknown" */
    float distance;               /* candidates[0]'s distance; INFINITY when no candidates */
    float p;                      /* candidates[0]'s p: the confidence; 0 when no candidates */
    int n_candidates;             /* min(IDENTIFY_TOP, identities in the index) */
    identify_candidate candidates[IDENTIFY_TOP]; /* ascending distance */
} identify_result;

/* Builds an index from n gallery faces (any order; faces with the same
 * name form one identity). Only name and descriptor are read; faces may be
 * freed after the call. n == 0 gives a valid empty index. A NULL array
 * with n > 0, an empty name or a non-finite descriptor is CELEB_EINVAL.
 * On success *out is owned by the caller: identify_index_free. */
int identify_index_build(const gallery_face *faces, int n, identify_index **out,
                         celeb_error *err);
void identify_index_free(identify_index *ix);

/* Sets the confidence model the index uses (IDENTIFY_DEFAULT_MODEL until set). */
void identify_index_set_model(identify_index *ix, const identify_model *m);

/* Fits the confidence model to n gallery faces (see above); the faces
 * need not be grouped. With fewer than 8 identities of 2+ faces, or 8
 * identities in all, there is too little to fit: *m becomes
 * IDENTIFY_DEFAULT_MODEL and *fitted 0. Returns 0, CELEB_EINVAL (as
 * identify_index_build) or CELEB_ENOMEM. *samples (may be NULL) receives
 * the number of searches it was fitted on. */
int identify_train(const gallery_face *faces, int n, identify_model *m, int *fitted, int *samples,
                   celeb_error *err);

/* The model as one line of text and back (how a gallery stores it).
 * identify_model_parse returns 0, or CELEB_EFORMAT for text that is not a
 * model with finite weights and 0 < min_confidence <= 1. */
void identify_model_format(const identify_model *m, char *buf, size_t size);
int identify_model_parse(const char *text, identify_model *m);

/* The model's features x for an identity at this distance and margin with
 * this many enrolled faces: (1, distance, margin capped at
 * IDENTIFY_MARGIN_MAX, ln photos), in the order of identify_model's
 * weights (bias first). */
#define IDENTIFY_FEATURES 4
void identify_features(double distance, double margin, int photos, double x[IDENTIFY_FEATURES]);

/* The model's p for those features. */
double identify_model_p(const identify_model *m, double distance, double margin, int photos);

/* Number of identities in the index. */
int identify_index_identities(const identify_index *ix);

/* Identifies one descriptor. opt may be NULL (defaults). Returns 0, or
 * CELEB_EINVAL for a NULL argument or a non-finite descriptor (*out is then
 * "unknown" with no candidates). Does not allocate. */
int identify_face(const identify_index *ix, const float desc[GALLERY_DIM],
                  const identify_options *opt, identify_result *out);

/* Identifies a group of n >= 1 descriptors of one person by the median of
 * their distances (see above); same result and rules as identify_face.
 * Allocates n doubles (CELEB_ENOMEM if it cannot). */
int identify_descriptors(const identify_index *ix, const float (*descs)[GALLERY_DIM], int n,
                         const identify_options *opt, identify_result *out);

/* Euclidean distance between two raw descriptors. */
float identify_distance(const float a[GALLERY_DIM], const float b[GALLERY_DIM]);

#endif
