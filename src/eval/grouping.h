/* grouping.h - `celeb eval --grouping`: our grouping of a media's faces into
 * persons (what `celeb detect` reports: average linkage, never two faces of
 * one frame, src/group/group.h) against GIPHY's baseline (a Gaussian mixture
 * seeded at the predicted classes' centres, src/group/gmm.h), on the SAME
 * faces.
 *
 * The faces are those celeb_detect_file reports (its sampled frames, its
 * detectors); their descriptors are recomputed from the reported boxes with
 * face_engine_describe on the same frames (the library's detect document
 * carries no descriptors), and `reproduced` says whether group_faces on
 * them gives back the reported persons exactly, so the baseline is known to
 * see the faces our grouping saw.
 *
 * What is measured, per media, and what it means:
 *   persons      entries each method reports, to be compared with the true
 *                number of people (from a manifest; the methods do not know it)
 *   same-frame merges   pairs of faces of ONE frame put into one person: two
 *                faces in one picture are two people, so each is an error
 *                for certain (ours never does it, by construction)
 *   agreement    share of face pairs the two methods treat alike (both same
 *                or both different person), a Rand index between them; it
 *                says how different they are, not which one is right
 *   label purity share of faces whose per-face name (identify_face at the
 *                threshold, "unknown" being one label) is the most common
 *                name of their person: consistency with per-face naming,
 *                not ground truth (two strangers both "unknown" look pure) */
#ifndef CELEB_EVAL_GROUPING_H
#define CELEB_EVAL_GROUPING_H

#include <cJSON.h>
#include <stddef.h>

#include "celeb.h"
#include "../gallery/gallery.h"
#include "../group/gmm.h"
#include "../identify/identify.h"

/* The gallery as GIPHY's classifier sees it: one class per identity, its
 * centre the mean of its L2-normalised descriptors (as the torch port). */
typedef struct eval_classes {
    int k;
    char (*name)[GALLERY_NAME_MAX];
    float (*center)[GMM_DIM];
} eval_classes;

/* Classes from gallery faces (gallery_faces order: by name). k == 0 when
 * n == 0. Free with eval_classes_free. */
int eval_classes_from_gallery(const gallery_face *faces, int n, eval_classes *out,
                              celeb_error *err);
void eval_classes_free(eval_classes *c);

typedef struct eval_grouping_ctx {
    celeb_ctx *celeb;               /* the pipeline: our persons */
    face_engine *engine;            /* re-describes the faces (similarity crop, as the pipeline) */
    const identify_index *index;    /* per-face names for the label purity */
    const eval_classes *classes;    /* GIPHY's classes; k >= 1 */
    float threshold;                /* unknown distance for the per-face names */
} eval_grouping_ctx;

/* Both groupings of one media. *out is a new cJSON object:
 *   media, frames (sampled), faces, reproduced,
 *   ours     {persons, names [{name, faces}], same_frame_merges, label_purity},
 *   baseline {persons (clusters GIPHY reports), clusters, dropped_underflow,
 *             components, iterations, names [{name, p, is_known, faces}],
 *             same_frame_merges, label_purity},
 *   pairs    {pairs, agree, agreement, same_ours_only, same_baseline_only,
 *             same_frame_pairs},
 *   faces_detail [{frame, box, ours, baseline, face_name}] (person / cluster
 *             numbers index ours.names / baseline.names)
 * A media that cannot be read is the pipeline's error (e.g. CELEB_EFORMAT). */
int eval_grouping_media(const eval_grouping_ctx *g, const char *path, cJSON **out,
                        celeb_error *err);

#endif
