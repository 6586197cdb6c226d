/* pairs.h - LFW's pairs.txt: which photo pairs to verify.
 *
 * Format (Huang et al., "Labeled Faces in the Wild", pairs.txt and
 * pairsDevTrain.txt):
 *   first line   "N" (one set of N same-person then N different-person
 *                pairs) or "F N" (F folds, each N same then N different);
 *   same person  "name idx1 idx2"
 *   different    "name1 idx1 name2 idx2"
 * Fields are separated by spaces or tabs; blank lines are skipped. A pair's
 * fold is its position: pairs 0 .. 2N-1 are fold 0, and so on. The number
 * of pair lines must be F * 2N; a line with another number of fields, an
 * index < 1 or a name that cannot be a folder name is an error naming the
 * line.
 *
 * Photos: LFW's DIR/name/name_%04d.jpg when that file exists; otherwise
 * the idx-th (1-based) visible file of DIR/name/ in sorted (strcmp) file
 * name order, so a pairs file can point into any DIR/<Person>/<photos>
 * folder (such as ../shared/data/celebs) without renaming its files. */
#ifndef CELEB_EVAL_PAIRS_H
#define CELEB_EVAL_PAIRS_H

#include <stddef.h>

#include "../core/error.h"
#include "../gallery/gallery.h"

typedef struct pairs_entry {
    char name[2][GALLERY_NAME_MAX];
    int idx[2];      /* 1-based photo numbers */
    int same;        /* a same-person line (name[1] == name[0]) */
    int fold;        /* 0-based */
    int line;        /* line number in the file, for messages */
} pairs_entry;

typedef struct pairs_list {
    pairs_entry *e;  /* n entries, malloc'd */
    int n;
    int folds;       /* F (1 for a "N" header) */
    int per_fold;    /* N: same-person pairs per fold (as many different ones) */
} pairs_list;

/* Reads a pairs file. CELEB_EIO when it cannot be read, CELEB_EFORMAT with
 * the line number for a malformed file. On success free with pairs_free. */
int pairs_read(const char *path, pairs_list *out, celeb_error *err);
void pairs_free(pairs_list *p);

/* The photo path of (name, idx) under dir, see above. CELEB_EIO when the
 * person's folder is missing or has fewer than idx photos. */
int pairs_photo_path(const char *dir, const char *name, int idx, char *out, size_t size,
                     celeb_error *err);

#endif
