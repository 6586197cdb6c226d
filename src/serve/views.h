/* views.h - the gallery as the server's read routes see it: one shared,
 * read-only snapshot (identities, faces, their 3D projection) rebuilt when
 * the gallery's generation moves, so a change made by the server, by a
 * `celeb enroll` run or by anyone else is visible to the next request.
 *
 * One gallery handle, opened lazily (the file may not exist yet), is shared
 * under a mutex: views_get and the short writes (remove, rename) take it.
 * Snapshots are reference counted, so a worker may keep one while the
 * holder moves on to a newer one. */
#ifndef CELEB_SERVE_VIEWS_H
#define CELEB_SERVE_VIEWS_H

#include <stdint.h>

#include "../core/error.h"
#include "../gallery/gallery.h"
#include "pca.h"

typedef struct serve_view {
    int refs;                 /* guarded by the holder's mutex */
    int64_t generation;       /* -1: no gallery file */
    gallery_identity *ids;    /* by name */
    int nids;
    gallery_face *faces;      /* by name then id */
    int nfaces;
    int *best;                /* best[i]: index in faces of ids[i]'s face of the best quality; -1: none */
    pca3 pca;                 /* fitted on every face's descriptor */
    float (*xyz)[PCA_DIMS];   /* faces[i] projected */
} serve_view;

typedef struct serve_views serve_views;

/* A holder for the gallery at path (not opened yet). NULL when out of memory. */
serve_views *views_create(const char *path);
void views_free(serve_views *v);

/* The current snapshot, with a reference the caller gives back with
 * views_release. A missing gallery file is an empty snapshot. */
int views_get(serve_views *v, serve_view **out, celeb_error *err);
void views_release(serve_views *v, serve_view *view);

/* What a change did. */
typedef enum views_change {
    VIEWS_DONE,
    VIEWS_NOT_FOUND,      /* no such identity */
    VIEWS_CONFLICT,       /* rename: the new name is taken */
} views_change;

/* Removes an identity (*faces: how many faces it had). */
int views_remove(serve_views *v, const char *name, views_change *done, int *faces, celeb_error *err);

/* Renames an identity. */
int views_rename(serve_views *v, const char *old_name, const char *new_name, views_change *done,
                 celeb_error *err);

#endif
