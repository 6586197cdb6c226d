/* idset.h - a set of item ids (strings), for skipping ids already done
 * (--resume) and ids repeated in a manifest.
 *
 * Open addressing on batch_hash_id; the set keeps its own copies. */
#ifndef CELEB_BATCH_IDSET_H
#define CELEB_BATCH_IDSET_H

#include <stddef.h>

typedef struct batch_idset {
    char **slots;      /* cap slots, NULL when empty */
    size_t cap;        /* a power of two, or 0 */
    size_t count;
} batch_idset;

/* Adds a copy of id. Returns 1 if added, 0 if already there, -1 on no memory. */
int batch_idset_add(batch_idset *s, const char *id);

/* 1 if id is in the set. */
int batch_idset_has(const batch_idset *s, const char *id);

/* Frees the copies and the table; the set is empty again. */
void batch_idset_free(batch_idset *s);

#endif
