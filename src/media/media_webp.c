/* media_webp.c - WebP backend: still and animated WebP through libwebp's
 * WebPAnimDecoder (libwebpdemux), which composites animation frames on the
 * canvas (blending, disposal). FFmpeg 5.1 cannot decode animated WebP.
 * Alpha is dropped, RGB kept as decoded. */
#include "media_internal.h"

#include <stdio.h>
#include <stdlib.h>

#include <webp/decode.h>
#include <webp/demux.h>

typedef struct webp_state {
    WebPAnimDecoder *dec;
    int prev_end_ms; /* end time of the previous frame = start of the next */
} webp_state;

static int webp_next(media *m, int64_t *t_ms, celeb_error *err)
{
    webp_state *s = m->priv;
    if (!WebPAnimDecoderHasMoreFrames(s->dec)) return 0;
    uint8_t *rgba;
    int end_ms;
    if (!WebPAnimDecoderGetNext(s->dec, &rgba, &end_ms))
        return celeb_fail(err, CELEB_ECORRUPT, "WebP: frame %d cannot be decoded", m->next_index);
    int rc = media_frame_buffer(m, m->info.width, m->info.height, err);
    if (rc < 0) return rc;
    size_t n = (size_t)m->info.width * (size_t)m->info.height;
    uint8_t *out = m->frame.rgb;
    for (size_t i = 0; i < n; i++, rgba += 4, out += 3) {
        out[0] = rgba[0];
        out[1] = rgba[1];
        out[2] = rgba[2];
    }
    *t_ms = m->info.animated ? s->prev_end_ms : 0;
    s->prev_end_ms = end_ms;
    return 1;
}

static void webp_close(media *m)
{
    webp_state *s = m->priv;
    if (!s) return;
    WebPAnimDecoderDelete(s->dec);
    free(s);
    m->priv = NULL;
}

static const media_ops WEBP_OPS = {webp_next, webp_close};

int media_webp_open(media *m, celeb_error *err)
{
    int rc = media_src_load(&m->src, err);
    if (rc < 0) return rc;
    WebPData wd = {m->src.data, m->src.size};

    /* Read the canvas size and frame list first: nothing big is allocated yet. */
    WebPDemuxer *dmx = WebPDemux(&wd);
    if (!dmx) return celeb_fail(err, CELEB_ECORRUPT, "WebP: invalid or truncated file");
    int64_t w = WebPDemuxGetI(dmx, WEBP_FF_CANVAS_WIDTH), h = WebPDemuxGetI(dmx, WEBP_FF_CANVAS_HEIGHT);
    uint32_t flags = WebPDemuxGetI(dmx, WEBP_FF_FORMAT_FLAGS);
    int64_t frames = WebPDemuxGetI(dmx, WEBP_FF_FRAME_COUNT), duration = 0;
    WebPIterator it;
    if (WebPDemuxGetFrame(dmx, 1, &it)) {
        do duration += it.duration;
        while (WebPDemuxNextFrame(&it));
        WebPDemuxReleaseIterator(&it);
    }
    WebPDemuxDelete(dmx);
    rc = media_check_size(m, "WebP", w, h, err);
    if (rc < 0) return rc;
    if (frames <= 0) return celeb_fail(err, CELEB_ECORRUPT, "WebP: no frames");
    if (frames > m->lim.max_frames)
        return celeb_fail(err, CELEB_ELIMIT, "WebP: %lld frames exceed the limit of %d", (long long)frames,
                          m->lim.max_frames);

    webp_state *s = calloc(1, sizeof *s);
    if (!s) return celeb_fail(err, CELEB_ENOMEM, "out of memory");
    m->priv = s;
    m->ops = &WEBP_OPS;
    WebPAnimDecoderOptions opt;
    if (!WebPAnimDecoderOptionsInit(&opt)) return celeb_fail(err, CELEB_EINTERNAL, "libwebp version mismatch");
    opt.color_mode = MODE_RGBA;
    opt.use_threads = 0;
    s->dec = WebPAnimDecoderNew(&wd, &opt); /* keeps pointers into m->src.data */
    if (!s->dec) return celeb_fail(err, CELEB_ECORRUPT, "WebP: cannot create the decoder");
    WebPAnimInfo ai;
    if (!WebPAnimDecoderGetInfo(s->dec, &ai) || (int64_t)ai.canvas_width != w ||
        (int64_t)ai.canvas_height != h || (int64_t)ai.frame_count != frames)
        return celeb_fail(err, CELEB_ECORRUPT, "WebP: inconsistent headers");

    snprintf(m->info.format, sizeof m->info.format, "webp");
    m->info.width = (int)w;
    m->info.height = (int)h;
    m->info.frames = (int)frames;
    m->info.animated = (flags & ANIMATION_FLAG) != 0;
    m->info.duration_ms = m->info.animated ? duration : 0;
    return CELEB_OK;
}
