/* celeb.h - the library API the CLI, the server and the batch runner share:
 * who is in this image, GIF or video.
 *
 *     celeb_ctx *ctx;  celeb_error err;
 *     celeb_open(&opt, &ctx, &err);                  // models + gallery, once
 *     cJSON *doc;
 *     celeb_detect_file(ctx, "a.gif", &doc, &err);   // one answer per person
 *     ... cJSON_Delete(doc);
 *     celeb_close(ctx);
 *
 * The result is the JSON document of ../shared/DESIGN.md §5, schema
 * "celeb.detect/1". A context is used by one thread at a time. */
#ifndef CELEB_H
#define CELEB_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "face/faces.h"

typedef struct celeb_options {
    const char *model_dir;    /* NULL: face_default_model_dir() */
    const char *gallery;      /* gallery file; NULL or missing file: nobody is known */
    int threads;              /* <= 0: one per core */
    face_detector detector;   /* FACE_DETECTOR_BOTH (SSD + the tiny one's extra faces), SSD or tiny */
    int frames;               /* frames to sample per file; <= 0: 20; see all_frames */
    int all_frames;           /* every frame */
    float unknown_distance;   /* known when a person is closer than this to an identity; 0: 0.55 */
} celeb_options;

typedef struct celeb_ctx celeb_ctx;

/* Loads the nets and reads the gallery. *out is owned by the caller: celeb_close. */
int celeb_open(const celeb_options *opt, celeb_ctx **out, celeb_error *err);
void celeb_close(celeb_ctx *ctx);

/* Re-reads the gallery if it changed since it was read (cheap when not). */
int celeb_reload_gallery(celeb_ctx *ctx, celeb_error *err);

/* Who is in the file. On success *doc is a new cJSON document the caller
 * deletes; on failure *doc is NULL and err says why (CELEB_EFORMAT, ...). */
int celeb_detect_file(celeb_ctx *ctx, const char *path, cJSON **doc, celeb_error *err);

/* The same from bytes; `source` is what the document reports as the source. */
int celeb_detect_memory(celeb_ctx *ctx, const uint8_t *data, size_t size, const char *source,
                        cJSON **doc, celeb_error *err);

#endif
