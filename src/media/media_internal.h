/* media_internal.h - private glue shared by the media decoders (not a public API).
 *
 * media.c owns the dispatch: it opens the input (file descriptor or an owned
 * copy of a memory buffer), sniffs the format from its first bytes and hands
 * the media object to one backend:
 *   media_jpeg.c   - JPEG via libjpeg(-turbo), EXIF orientation via libexif
 *   media_webp.c   - still and animated WebP via libwebp / libwebpdemux
 *   media_gif.c    - GIF via giflib, composited as FFmpeg does
 *   media_ffmpeg.c - PNG (libavcodec) and MP4/MOV/WebM (libavformat +
 *                    libavcodec), plus the AVFrame -> RGB24 conversion; built
 *                    as a plugin loaded on first use (media_plugin.c)
 * A backend fills m->info, and either decodes a still image into m->frame at
 * open time (m->ops == NULL) or installs ops to produce frames one by one. */
#ifndef CELEB_MEDIA_INTERNAL_H
#define CELEB_MEDIA_INTERNAL_H

#include "media.h"


#define MEDIA_PAD 64 /* = AV_INPUT_BUFFER_PADDING_SIZE of FFmpeg 5/6 */

/* Where the bytes come from. Exactly one of data / fd is in use. */
typedef struct media_src {
    uint8_t *data;  /* owned copy of the whole input followed by MEDIA_PAD zero
                       bytes (FFmpeg decoders may read past the end), or NULL */
    size_t size;    /* bytes in data, or the file size when reading from fd */
    int fd;         /* open file descriptor (owned), or -1 */
} media_src;

typedef struct media_ops {
    /* Decodes the next frame into m->frame (allocated/resized by the backend
     * with media_frame_buffer). Sets *t_ms. Returns 1, 0 at the end, or a
     * negative CELEB_E* code with err set. */
    int (*next)(media *m, int64_t *t_ms, celeb_error *err);
    /* Frees m->priv. */
    void (*close)(media *m);
} media_ops;

struct media {
    media_info info;
    media_limits lim;      /* with defaults filled in */
    media_src src;
    image frame;           /* current RGB frame, owned */
    const media_ops *ops;  /* NULL for a still image decoded at open */
    void *priv;            /* backend state, freed by ops->close */
    int next_index;        /* index of the frame the next call returns */
    int64_t total_pixels;  /* sum over frames returned so far */
    int sticky;            /* 0, or the error code every further call returns */
    char name[160];        /* path or "<memory>", for messages */
    celeb_error sticky_err;
};

/* Reads exactly n bytes at offset off from the source; returns the number of
 * bytes read (less than n only at the end of the input), or -1 on I/O error. */
int64_t media_src_pread(const media_src *s, void *buf, size_t n, int64_t off);

/* Makes the whole input available in s->data (reads the file once; the
 * buffer is owned by s). Returns 0 or CELEB_EIO / CELEB_ENOMEM / CELEB_ELIMIT. */
int media_src_load(media_src *s, celeb_error *err);

/* Checks width x height against the limits (before anything is allocated).
 * what names the format for the message. Returns 0, CELEB_ECORRUPT (a zero
 * or negative size) or CELEB_ELIMIT. */
int media_check_size(const media *m, const char *what, int64_t width, int64_t height,
                     celeb_error *err);

/* Ensures m->frame is a width x height image (reallocating if the size
 * changed). Returns 0 or CELEB_ENOMEM with err set. */
int media_frame_buffer(media *m, int width, int height, celeb_error *err);

/* Backends. Each is called with m->src ready (not yet loaded), fills m->info
 * and returns 0, or a CELEB_E* code with err set (m is then closed by the
 * caller, which calls ops->close if ops is set). */
int media_jpeg_open(media *m, celeb_error *err);
int media_webp_open(media *m, celeb_error *err);
int media_png_open(media *m, celeb_error *err);
int media_gif_open(media *m, celeb_error *err);
/* container: "mp4", "mov", "webm" or "mkv" (the sniffed format). These two
 * load the FFmpeg plugin (media_plugin.c) and call its entry points,
 * celeb_plugin_av_open and celeb_plugin_png_open (media_ffmpeg.c), of these types: */
int media_av_open(media *m, const char *container, celeb_error *err);
typedef int (*media_av_open_fn)(media *m, const char *container, celeb_error *err);
typedef int (*media_png_open_fn)(media *m, celeb_error *err);
#define MEDIA_PLUGIN_API __attribute__((visibility("default")))

#endif
