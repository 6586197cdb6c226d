/* media.h - open an image, animation or video and read it as RGB8 frames.
 *
 * One entry point for every format: JPEG (EXIF orientation applied), PNG
 * (palette, grey, 16-bit, alpha dropped), WebP (still and animated, libwebp),
 * GIF (frames composited on the canvas with disposal, transparency, local
 * palettes), MP4 / WebM / MOV (FFmpeg). The format is sniffed from the bytes,
 * never from the file name.
 *
 * Usage:
 *     media *m; celeb_error err;
 *     if (media_open_file(path, NULL, &m, &err) < 0) { report(err.message); }
 *     const media_info *info = media_get_info(m);     // frame count known up front
 *     media_frame f;
 *     while ((rc = media_next_frame(m, &f, &err)) > 0) { use(f.img, f.index, f.t_ms); }
 *     media_close(m);
 */
#ifndef CELEB_MEDIA_H
#define CELEB_MEDIA_H

#include <stddef.h>
#include <stdint.h>

#include "../core/error.h"
#include "../core/image.h"

/* Limits that protect the process from hostile files. Zero fields take the defaults. */
typedef struct media_limits {
    int64_t max_pixels;      /* width*height of one frame; default 64 Mpx */
    int max_frames;          /* frames in one file; default 20000 */
    int64_t max_total_pixels;/* sum over all frames decoded; default 4 Gpx */
} media_limits;

typedef struct media_info {
    char format[16];     /* "jpeg", "png", "webp", "gif", "mp4", "webm", "mov", ... */
    int width, height;   /* frame size after EXIF orientation */
    int frames;          /* number of frames (1 for a still image) */
    int64_t duration_ms; /* 0 for a still image */
    int animated;        /* 1 for GIF/WebP animations and videos */
} media_info;

typedef struct media_frame {
    image img;        /* RGB8, width x height of media_info; owned by the media, valid until the next call */
    int index;        /* 0-based frame number */
    int64_t t_ms;     /* presentation time in ms from the start */
} media_frame;

typedef struct media media;

/* Opens a file (path "-" is not special here). On success *out owns the file
 * handle/decoder state; free with media_close. Returns 0 or a CELEB_E* code with err set. */
int media_open_file(const char *path, const media_limits *lim, media **out, celeb_error *err);

/* Same, from memory. The bytes are copied, so the caller may free them at once. */
int media_open_memory(const uint8_t *data, size_t size, const media_limits *lim, media **out,
                      celeb_error *err);

const media_info *media_get_info(const media *m);

/* Decodes the next frame into *f. Returns 1 with a frame, 0 at the end,
 * or a negative CELEB_E* code (err set) if the file is broken. */
int media_next_frame(media *m, media_frame *f, celeb_error *err);

void media_close(media *m);

/* Decodes frame `index` (0 for a photo) of a file into *img, a copy the
 * caller owns (image_free). A file with fewer frames is CELEB_EINVAL. */
int media_read_frame(const char *path, int index, image *img, celeb_error *err);

#endif
