/* store.h - a net's prepared state, kept on disk from one process to the next.
 *
 * The first pass of a net in a process packs every filter into the layout
 * oneDNN's kernels chose (dequantised, reordered, Winograd-transformed) and
 * SSD makes its all-padding reference: ~40 ms of a one-GIF `celeb detect`.
 * A store keeps those bytes in one file per net under a cache folder; the
 * next process maps the file and its layers use the bytes in place (page
 * cache: nothing is computed, copied or newly allocated).
 *
 * A file is named by a key over everything its bytes depend on: this
 * program's build id, oneDNN's version and CPU ISA, the thread count and the
 * model's files' sha256s. Blobs are found by (id, oneDNN layout), so a layer
 * never gets bytes packed for another layout. A file that does not match
 * its key or is cut short is ignored and replaced; files are written under
 * a temporary name and renamed, so no process sees a partial one and one
 * that has the old file mapped keeps it (a file cut in place by another
 * tool would fault it: the folder is the user's own). Failing to read or
 * write a store is never an error: the net packs as without one.
 *
 * Not thread-safe: a store belongs to one net (its nn_exec). */
#ifndef CELEB_NN_STORE_H
#define CELEB_NN_STORE_H

#include <stddef.h>

#include <oneapi/dnnl/dnnl.h>

typedef struct nn_store_blob {
    int id;                     /* the blob's number within its net (a layer's, or the net's own) */
    int has_md;                 /* md is set: packed weights; else raw bytes */
    dnnl_memory_desc_t md;      /* the layout the bytes are in */
    const void *data;           /* into the mapped file, or memory the net owns */
    size_t size;                /* bytes */
} nn_store_blob;

typedef struct nn_store {
    char path[1024];            /* the file; "" when there is no store */
    char key[65];               /* sha256 hex of what the bytes depend on (see above) */
    void *map;                  /* the file as read at open, or NULL */
    size_t map_size;
    nn_store_blob *blobs;       /* [count] those of the file, then those added since */
    int count, cap;
    int dirty;                  /* blobs were added since the file was read or written */
} nn_store;

/* The folder stores go to, into buf: $CELEB_CACHE if set ("" turns stores
 * off), else $XDG_CACHE_HOME/celeb, else $HOME/.cache/celeb. Returns buf,
 * or NULL for none. */
const char *nn_store_default_dir(char *buf, size_t size);

/* Opens the store of model `model` (weights_id: what its weights are, the
 * sha256s of its files) for `threads` threads in dir (made if missing; NULL
 * or "": no store). Never fails: on any problem s is an empty store that
 * saves nothing. */
void nn_store_open(nn_store *s, const char *dir, const char *model, const char *weights_id,
                   int threads);

/* The bytes of blob id in layout md (NULL: the raw blob), or NULL. *size
 * gets their size. They stay valid until nn_store_close. */
const void *nn_store_find(const nn_store *s, int id, const dnnl_memory_desc_t *md, size_t *size);

/* Adds a blob to write at the next nn_store_save, in place of one with the
 * same id and layout; data must stay valid until then (it is not copied). */
void nn_store_put(nn_store *s, int id, const dnnl_memory_desc_t *md, const void *data, size_t size);

/* Writes the file if blobs were added (all of them, old and new). */
void nn_store_save(nn_store *s);

void nn_store_close(nn_store *s);

#endif
