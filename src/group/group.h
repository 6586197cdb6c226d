/* group.h - the faces of one media, across frames, as persons.
 *
 * One person seen in 15 frames should be one answer, not 15. Faces are
 * clustered by their descriptors with agglomerative clustering, average
 * linkage on the Euclidean distance of raw descriptors (the same metric as
 * identify.h): the closest pair of clusters is merged while their average
 * pairwise distance is under the threshold (default 0.6, face-api's
 * same-person distance) and they share no frame. Two faces of one frame
 * are two people, so they never end up in one person, whatever their
 * descriptors say.
 *
 * Average linkage, not single linkage: a chain of slightly-off faces (blur,
 * profile) cannot glue two people together; not complete linkage: one bad
 * frame does not split a person. There is no temporal (box IoU) term: on
 * sampled frames (GIPHY keeps 20 of a GIF) the boxes jump between samples,
 * and the descriptors alone separate the people of the test media; a track
 * term can be added as a distance discount later without changing the API.
 *
 * Cost: one n x n matrix of doubles and O(n^2) work per merge in the worst
 * case (nearest-neighbour cache, usually far less); n is at most
 * GROUP_MAX_FACES. */
#ifndef CELEB_GROUP_H
#define CELEB_GROUP_H

#include "../core/error.h"

#define GROUP_DIM 128
#define GROUP_DEFAULT_THRESHOLD 0.6f
#define GROUP_MAX_FACES 4096   /* 128 MB of distances; a sampled GIF has a few hundred */

typedef struct group_face {
    int frame;                    /* frame index; faces of one frame are different people */
    float descriptor[GROUP_DIM];  /* raw descriptor from the recognition net */
    float box[4];                 /* x, y, w, h in source pixels (ordering only) */
    float score;                  /* detection score (not used for grouping) */
} group_face;

typedef struct group_options {
    float threshold;   /* merge while average-linkage distance < threshold; <= 0: 0.6 */
} group_options;

/* Groups n faces into *persons persons. person_of_face[n] (caller-allocated)
 * receives each face's person, 0..*persons-1; persons are numbered by first
 * appearance: earliest frame, then smallest box x, then input order.
 * opt may be NULL (defaults). n == 0 gives 0 persons. A NULL pointer,
 * n < 0 or a non-finite descriptor is CELEB_EINVAL, n > GROUP_MAX_FACES is
 * CELEB_ELIMIT, and allocation failure CELEB_ENOMEM. Allocates only
 * temporaries, all freed before returning. */
int group_faces(const group_face *faces, int n, const group_options *opt, int *person_of_face,
                int *persons, celeb_error *err);

#endif
