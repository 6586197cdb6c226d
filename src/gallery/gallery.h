/* gallery.h - the people a detector can name: one SQLite file.
 *
 * An identity is a name with one or more enrolled faces; a face is a 128-D
 * descriptor (as the recognition net gives it, not normalised) with the
 * path of the photo it came from and a quality score. Every change is one
 * transaction, committed before the call returns, in WAL mode: a process
 * killed at any moment leaves a database that opens, passes
 * `PRAGMA integrity_check`, and holds every face whose add had returned.
 * Readers see a change as soon as it is committed (no reload step).
 *
 * A gallery handle is used by one thread at a time; several processes may
 * open the same file (SQLite's locking, with a busy timeout). */
#ifndef CELEB_GALLERY_H
#define CELEB_GALLERY_H

#include <stdint.h>
#include <stdio.h>

#include "../core/error.h"

#define GALLERY_DIM 128
#define GALLERY_NAME_MAX 128     /* bytes of a name, NUL included */
#define GALLERY_SOURCE_MAX 1024  /* bytes of a source path, NUL included */
#define GALLERY_KIND_MAX 64      /* bytes of a descriptor kind, NUL included */
#define GALLERY_MODEL_MAX 256    /* bytes of an identification model, NUL included */

typedef struct gallery gallery;

typedef struct gallery_identity {
    int64_t id;
    char name[GALLERY_NAME_MAX];
    int faces;                   /* number of enrolled faces */
} gallery_identity;

typedef struct gallery_face {
    int64_t id;
    int64_t identity_id;
    char name[GALLERY_NAME_MAX];
    char source[GALLERY_SOURCE_MAX];
    float quality;
    float descriptor[GALLERY_DIM];
} gallery_face;

/* Opens (create != 0: creates if missing) the gallery file at path. A file
 * that is not a SQLite database, or a database of another schema, is
 * CELEB_EFORMAT with a message naming it; a missing file without create is
 * CELEB_EIO. On success *out is owned by the caller: gallery_close. */
int gallery_open(const char *path, int create, gallery **out, celeb_error *err);
void gallery_close(gallery *g);

/* Adds one face to `name` (created if new); committed on return. Names are
 * 1..127 bytes of UTF-8 without control characters; sources any string.
 * *face_id (may be NULL) receives the new face's id. */
int gallery_add_face(gallery *g, const char *name, const char *source, float quality,
                     const float descriptor[GALLERY_DIM], int64_t *face_id, celeb_error *err);

/* 0 if the gallery takes `name` (1..127 bytes of UTF-8, no control
 * characters), else CELEB_EINVAL with the reason. */
int gallery_check_name(const char *name, celeb_error *err);

/* Every identity, ordered by name. *out is malloc'd (NULL when *n == 0), caller frees. */
int gallery_list(gallery *g, gallery_identity **out, int *n, celeb_error *err);

/* The faces of `name`, or of everyone when name is NULL, ordered by
 * identity name then face id. *out is malloc'd (NULL when *n == 0), caller frees. */
int gallery_faces(gallery *g, const char *name, gallery_face **out, int *n, celeb_error *err);

/* Removes an identity and its faces. Unknown name: CELEB_EINVAL. */
int gallery_remove(gallery *g, const char *name, celeb_error *err);

/* Renames an identity. Unknown old name or an existing new name: CELEB_EINVAL. */
int gallery_rename(gallery *g, const char *old_name, const char *new_name, celeb_error *err);

/* Writes the whole gallery as one JSON document (schema "celeb.gallery/1":
 * identities with their faces, descriptors included) to out. */
int gallery_export(gallery *g, FILE *out, celeb_error *err);

/* What the gallery's descriptors were computed with (for celeb: the
 * recognition crop), so that queries are computed the same way: "" until
 * set. The gallery does not interpret it. */
int gallery_kind(gallery *g, char kind[GALLERY_KIND_MAX], celeb_error *err);

/* Records the kind if none is: 0 when the gallery's kind is now `kind`
 * (1..63 bytes), CELEB_EINVAL when it already was another. */
int gallery_set_kind(gallery *g, const char *kind, celeb_error *err);

/* The identification model fitted to the gallery (for celeb: identify.h's,
 * as text): "" until set. The gallery does not interpret it; setting it
 * replaces the old one and moves the generation. */
int gallery_model(gallery *g, char model[GALLERY_MODEL_MAX], celeb_error *err);
int gallery_set_model(gallery *g, const char *model, celeb_error *err);

/* Number of faces in the gallery, or a negative error code. */
int gallery_face_count(gallery *g, celeb_error *err);

/* A number that changes whenever the gallery changes (any process), so a
 * long-running reader can tell that its cached copy is stale. */
int64_t gallery_generation(gallery *g);

#endif
