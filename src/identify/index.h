/* index.h - the identify index's layout, shared by identify.c (the search)
 * and train.c (the confidence model's fit). Not part of the API. */
#ifndef CELEB_IDENTIFY_INDEX_H
#define CELEB_IDENTIFY_INDEX_H

#include "identify.h"

typedef struct identity {
    char name[GALLERY_NAME_MAX];
    int first, count;            /* its descriptors: ix->desc[first .. first+count) */
    float centre[GALLERY_DIM];   /* mean of its raw descriptors */
} identity;

struct identify_index {
    identify_model model;        /* the confidence model, IDENTIFY_DEFAULT_MODEL until set */
    int n_identities;
    identity *ids;               /* n_identities, ordered by name */
    float (*desc)[GALLERY_DIM];  /* every face, grouped by identity */
};

#endif
