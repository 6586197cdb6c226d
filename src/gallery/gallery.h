/* gallery.h - the people a detector can name: one SQLite file.
 *
 * An identity is a name with one or more enrolled faces; a face is a 128-D
 * descriptor (as the recognition net gives it, not normalised) with the
 * path of the photo it came from, a quality score and, when the caller
 * gives it, the sha256 of the photo's bytes (its content: the same photo
 * enrolled twice can be found and stored once). An alias is another name
 * of an identity (gallery_merge): a face added under it goes to the
 * identity, and the alias never names an identity itself. Every change is one
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
#define GALLERY_META_MAX 256     /* bytes of a meta value, NUL included */
#define GALLERY_CONTENT_MAX 65   /* bytes of a content hash (64 hex digits), NUL included */

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

typedef struct gallery_alias {
    char alias[GALLERY_NAME_MAX];  /* the other name */
    char name[GALLERY_NAME_MAX];   /* the identity it stands for */
} gallery_alias;

/* Opens (create != 0: creates if missing) the gallery file at path. A file
 * that is not a SQLite database, or a database of another schema, is
 * CELEB_EFORMAT with a message naming it; a missing file without create is
 * CELEB_EIO. A gallery made before content hashes and aliases gets them
 * here (one transaction); a read-only one opens for reading without them
 * (no content found, no aliases) and refuses writes. On success *out is
 * owned by the caller: gallery_close. */
int gallery_open(const char *path, int create, gallery **out, celeb_error *err);
void gallery_close(gallery *g);

/* Adds one face to `name` (created if new; an alias's face goes to the
 * identity it stands for); committed on return. Names are 1..127 bytes of
 * UTF-8 without control characters; sources any string; content NULL or
 * the photo's sha256 as 64 lowercase hex digits (sha256.h's). *face_id
 * (may be NULL) receives the new face's id. */
int gallery_add_face(gallery *g, const char *name, const char *source, const char *content,
                     float quality, const float descriptor[GALLERY_DIM], int64_t *face_id,
                     celeb_error *err);

/* Whether a face of that content (64 lowercase hex digits) is stored: 1,
 * with the first such face's id and its identity's name (either may be
 * NULL), 0 when none is, or a negative error code. */
int gallery_find_content(gallery *g, const char *content, int64_t *face_id,
                         char name[GALLERY_NAME_MAX], celeb_error *err);

/* 0 if the gallery takes `name` (1..127 bytes of UTF-8, no control
 * characters), else CELEB_EINVAL with the reason. */
int gallery_check_name(const char *name, celeb_error *err);

/* Every identity, ordered by name. *out is malloc'd (NULL when *n == 0), caller frees. */
int gallery_list(gallery *g, gallery_identity **out, int *n, celeb_error *err);

/* The faces of `name`, or of everyone when name is NULL, ordered by
 * identity name then face id. *out is malloc'd (NULL when *n == 0), caller frees. */
int gallery_faces(gallery *g, const char *name, gallery_face **out, int *n, celeb_error *err);

/* Removes an identity, its faces and its aliases. Unknown name: CELEB_EINVAL. */
int gallery_remove(gallery *g, const char *name, celeb_error *err);

/* Renames an identity; its aliases follow it. Unknown old name, or a new
 * name that is an existing identity or an alias of another one:
 * CELEB_EINVAL (an alias of the identity itself becomes its name). */
int gallery_rename(gallery *g, const char *old_name, const char *new_name, celeb_error *err);

/* Makes `from` and `into` one identity, in one transaction: every face of
 * from moves to into (created if new), from stops being an identity and
 * becomes an alias of into, and the aliases of from point to into. Either
 * name may be an alias: it stands for its identity. *moved (may be NULL)
 * receives the number of faces moved. The same name twice, a bad name,
 * a from that is neither an identity nor an alias, or two names already
 * of one identity: CELEB_EINVAL. */
int gallery_merge(gallery *g, const char *from, const char *into, int *moved, celeb_error *err);

/* The identity `name` stands for: the one it is an alias of, else name
 * itself (whether or not it is an identity). out may be name. */
int gallery_resolve(gallery *g, const char *name, char out[GALLERY_NAME_MAX], celeb_error *err);

/* Every alias, ordered by alias. *out is malloc'd (NULL when *n == 0), caller frees. */
int gallery_aliases(gallery *g, gallery_alias **out, int *n, celeb_error *err);

/* Writes the whole gallery as one JSON document (schema "celeb.gallery/1":
 * identities with their faces, descriptors included, and each face's
 * "content" when it has one) to out. */
int gallery_export(gallery *g, FILE *out, celeb_error *err);

/* What the gallery's descriptors were computed with (for celeb: the
 * recognition crop), so that queries are computed the same way: "" until
 * set. The gallery does not interpret it. */
int gallery_kind(gallery *g, char kind[GALLERY_KIND_MAX], celeb_error *err);

/* Records the kind if none is: 0 when the gallery's kind is now `kind`
 * (1..63 bytes), CELEB_EINVAL when it already was another. */
int gallery_set_kind(gallery *g, const char *kind, celeb_error *err);

/* Text the application keeps with the gallery under a key of its own (for
 * celeb: "identify_model", identify.h's model as text; "models" and
 * "default_build", what `celeb gallery build-default` made it from): ""
 * until set. The gallery does not interpret it; setting it replaces the
 * old value and moves the generation. The gallery's own keys (schema,
 * created, generation, descriptor) are CELEB_EINVAL to set. */
int gallery_meta(gallery *g, const char *key, char value[GALLERY_META_MAX], celeb_error *err);
int gallery_set_meta(gallery *g, const char *key, const char *value, celeb_error *err);

/* Number of faces in the gallery, or a negative error code. */
int gallery_face_count(gallery *g, celeb_error *err);

/* A number that changes whenever the gallery changes (any process), so a
 * long-running reader can tell that its cached copy is stale. */
int64_t gallery_generation(gallery *g);

#endif
