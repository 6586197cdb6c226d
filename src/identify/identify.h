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
 * Probabilities: a softmax over -distance / temperature across ALL
 * identities of the index, so p says how clearly the best identity wins
 * over the others; it does not say whether the face is known. Known is
 * decided by distance alone: best distance < threshold. A stranger is
 * never forced onto a name, however large its p (an index of one identity
 * gives p = 1 to everybody).
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
#define IDENTIFY_DEFAULT_TEMPERATURE 0.1f

typedef struct identify_index identify_index;

typedef struct identify_options {
    float threshold;    /* known when best distance < threshold; <= 0: IDENTIFY_DEFAULT_THRESHOLD */
    float temperature;  /* softmax temperature on distances; <= 0: 0.1 */
} identify_options;

typedef struct identify_candidate {
    char name[GALLERY_NAME_MAX];
    float distance;     /* min(distance to centre, to nearest enrolled photo) */
    float p;            /* softmax share among all identities, 0..1 */
} identify_candidate;

typedef struct identify_result {
    int known;                    /* 1 when candidates[0].distance < threshold */
    char name[GALLERY_NAME_MAX];  /* candidates[0].name if known, else "unknown" */
    float distance;               /* best distance; INFINITY when no candidates */
    float p;                      /* best candidate's p; 0 when no candidates */
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
