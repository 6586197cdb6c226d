/* media_av.h - FFmpeg helpers shared by media_ffmpeg.c and media_avconv.c
 * (private to the media module). */
#ifndef CELEB_MEDIA_AV_H
#define CELEB_MEDIA_AV_H

#include "media_internal.h"

#include <libavutil/frame.h>

/* Converter from decoded AVFrames to packed RGB24. Zero-initialise it; free
 * its buffers with media_conv_free. */
typedef struct media_conv {
    struct SwsContext *sws; /* for YUV and other formats not converted by hand */
    uint8_t *buf[4];        /* swscale output (padded lines), av_malloc'd */
    int linesize[4];
    int buf_w, buf_h;
} media_conv;

/* Converts f into dst (already allocated). Formats PNG and GIF produce
 * (packed RGB/BGR with or without alpha, grey, grey+alpha, palette,
 * monochrome, 16-bit variants) are converted exactly by hand: alpha is
 * dropped and RGB kept as stored; 16-bit samples become round(v*255/65535)
 * like pngjs. Anything else (YUV video) goes through libswscale, scaled to
 * dst's size if the frame size differs. Returns 0 or a CELEB_E* code. */
int media_conv_frame(media_conv *c, const AVFrame *f, image *dst, celeb_error *err);

void media_conv_free(media_conv *c);

/* Installs, once per process (pthread_once), an av_log callback that prints
 * nothing, so broken files do not spam stderr. */
void media_av_quiet(void);

/* Formats an FFmpeg error code into buf (which it returns). */
const char *media_av_err(int code, char *buf, size_t size);

#endif
