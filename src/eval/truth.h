/* truth.h - what is really in the media, for `celeb eval --grouping`: the
 * true number of people (from a manifest such as ../shared/data/MANIFEST.tsv)
 * and hand labels per face, turned into pairwise precision and recall of
 * the two groupings of grouping.h. */
#ifndef CELEB_EVAL_TRUTH_H
#define CELEB_EVAL_TRUTH_H

#include <cJSON.h>
#include <stddef.h>

#include "../core/error.h"

/* Hand labels for the faces of one grouping result (as eval_grouping_media
 * gives it): a TSV whose header names the columns media, frame, x, y and
 * person; a row labels the face of that media (matched by file name) and
 * frame whose box contains the point (x, y) (the nearest box centre if
 * several do). Adds "truth" to each labelled face of faces_detail and to
 * result {labelled_faces, people, ours and baseline: {pair_precision,
 * pair_recall, true_same, pred_same, both_same}}: of the pairs of labelled
 * faces that are one person, the share each method puts in one person
 * (recall), and of the pairs it puts in one person, the share that are
 * (precision; 1 when it joins none). Media without rows get nothing.
 * CELEB_EIO / CELEB_EFORMAT for an unreadable file or a missing column. */
int eval_grouping_truth(cJSON *result, const char *tsv, celeb_error *err);

/* The labels of media_path (matched by file name) in a manifest TSV with
 * "path" and "labels" columns (../shared/data/MANIFEST.tsv). Returns the
 * true number of people: the count of ';'-separated names, 0 for "-", or
 * -1 when unknown ("?", empty, or no row). labels (may be NULL) receives the
 * labels field. CELEB_EIO / CELEB_EFORMAT for an unreadable or headerless file. */
int eval_truth_people(const char *tsv, const char *media_path, char *labels, size_t size,
                      celeb_error *err);

#endif
