/* media_avconv.c - AVFrame -> packed RGB24: exact hand conversion for the
 * still-image pixel formats (PNG, GIF), libswscale for YUV video; plus the
 * process-wide silencing of FFmpeg's log. */
#include "media_av.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/log.h>
#include <libavutil/mem.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

static void quiet_log(void *avcl, int level, const char *fmt, va_list vl)
{
    (void)avcl; (void)level; (void)fmt; (void)vl;
}

static void install_quiet_log(void)
{
    av_log_set_callback(quiet_log);
}

void media_av_quiet(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, install_quiet_log);
}

const char *media_av_err(int code, char *buf, size_t size)
{
    if (av_strerror(code, buf, size) < 0) snprintf(buf, size, "error %d", code);
    return buf;
}

/* Packed formats converted by hand. Offsets are in samples (bytes, or
 * 16-bit words when wide); gray formats use r = g = b = 0. */
typedef struct packed_fmt {
    enum AVPixelFormat fmt;
    int step;    /* samples per pixel */
    int r, g, b;
    int wide;    /* 16-bit samples */
    int be;      /* big-endian 16-bit samples */
} packed_fmt;

static const packed_fmt PACKED[] = {
    {AV_PIX_FMT_RGB24, 3, 0, 1, 2, 0, 0},    {AV_PIX_FMT_BGR24, 3, 2, 1, 0, 0, 0},
    {AV_PIX_FMT_RGBA, 4, 0, 1, 2, 0, 0},     {AV_PIX_FMT_BGRA, 4, 2, 1, 0, 0, 0},
    {AV_PIX_FMT_ARGB, 4, 1, 2, 3, 0, 0},     {AV_PIX_FMT_ABGR, 4, 3, 2, 1, 0, 0},
    {AV_PIX_FMT_RGB0, 4, 0, 1, 2, 0, 0},     {AV_PIX_FMT_BGR0, 4, 2, 1, 0, 0, 0},
    {AV_PIX_FMT_0RGB, 4, 1, 2, 3, 0, 0},     {AV_PIX_FMT_0BGR, 4, 3, 2, 1, 0, 0},
    {AV_PIX_FMT_GRAY8, 1, 0, 0, 0, 0, 0},    {AV_PIX_FMT_YA8, 2, 0, 0, 0, 0, 0},
    {AV_PIX_FMT_RGB48BE, 3, 0, 1, 2, 1, 1},  {AV_PIX_FMT_RGB48LE, 3, 0, 1, 2, 1, 0},
    {AV_PIX_FMT_RGBA64BE, 4, 0, 1, 2, 1, 1}, {AV_PIX_FMT_RGBA64LE, 4, 0, 1, 2, 1, 0},
    {AV_PIX_FMT_GRAY16BE, 1, 0, 0, 0, 1, 1}, {AV_PIX_FMT_GRAY16LE, 1, 0, 0, 0, 1, 0},
    {AV_PIX_FMT_YA16BE, 2, 0, 0, 0, 1, 1},   {AV_PIX_FMT_YA16LE, 2, 0, 0, 0, 1, 0},
};

/* round(v * 255 / 65535) = floor(v/257 + 0.5), never a tie. */
static inline uint8_t to8(unsigned v)
{
    return (uint8_t)((2 * v + 257) / 514);
}

static void conv_packed(const packed_fmt *p, const AVFrame *f, image *dst)
{
    for (int y = 0; y < dst->height; y++) {
        const uint8_t *in = f->data[0] + (ptrdiff_t)y * f->linesize[0];
        uint8_t *out = dst->rgb + (size_t)y * (size_t)dst->width * 3;
        if (!p->wide) {
            for (int x = 0; x < dst->width; x++, in += p->step, out += 3) {
                out[0] = in[p->r];
                out[1] = in[p->g];
                out[2] = in[p->b];
            }
            continue;
        }
        const int hi = p->be ? 0 : 1, lo = 1 - hi;
        for (int x = 0; x < dst->width; x++, in += 2 * p->step, out += 3) {
            out[0] = to8((unsigned)in[2 * p->r + hi] << 8 | in[2 * p->r + lo]);
            out[1] = to8((unsigned)in[2 * p->g + hi] << 8 | in[2 * p->g + lo]);
            out[2] = to8((unsigned)in[2 * p->b + hi] << 8 | in[2 * p->b + lo]);
        }
    }
}

static void conv_pal8(const AVFrame *f, image *dst)
{
    const uint32_t *pal = (const uint32_t *)f->data[1]; /* native-endian 0xAARRGGBB */
    for (int y = 0; y < dst->height; y++) {
        const uint8_t *in = f->data[0] + (ptrdiff_t)y * f->linesize[0];
        uint8_t *out = dst->rgb + (size_t)y * (size_t)dst->width * 3;
        for (int x = 0; x < dst->width; x++, out += 3) {
            uint32_t c = pal[in[x]];
            out[0] = (uint8_t)(c >> 16);
            out[1] = (uint8_t)(c >> 8);
            out[2] = (uint8_t)c;
        }
    }
}

static void conv_mono(const AVFrame *f, image *dst, int one_is_white)
{
    for (int y = 0; y < dst->height; y++) {
        const uint8_t *in = f->data[0] + (ptrdiff_t)y * f->linesize[0];
        uint8_t *out = dst->rgb + (size_t)y * (size_t)dst->width * 3;
        for (int x = 0; x < dst->width; x++, out += 3) {
            int bit = (in[x >> 3] >> (7 - (x & 7))) & 1;
            out[0] = out[1] = out[2] = (uint8_t)((bit == one_is_white) ? 255 : 0);
        }
    }
}

static int sws_colorspace(const AVFrame *f)
{
    switch (f->colorspace) {
    case AVCOL_SPC_BT709: return SWS_CS_ITU709;
    case AVCOL_SPC_FCC: return SWS_CS_FCC;
    case AVCOL_SPC_BT470BG:
    case AVCOL_SPC_SMPTE170M: return SWS_CS_ITU601;
    case AVCOL_SPC_SMPTE240M: return SWS_CS_SMPTE240M;
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL: return SWS_CS_BT2020;
    default: return f->height >= 720 ? SWS_CS_ITU709 : SWS_CS_ITU601; /* usual player guess */
    }
}

/* Maps the deprecated full-range "J" formats to the plain ones; sets *full. */
static enum AVPixelFormat dejpeg(enum AVPixelFormat fmt, int *full)
{
    switch (fmt) {
    case AV_PIX_FMT_YUVJ420P: *full = 1; return AV_PIX_FMT_YUV420P;
    case AV_PIX_FMT_YUVJ422P: *full = 1; return AV_PIX_FMT_YUV422P;
    case AV_PIX_FMT_YUVJ444P: *full = 1; return AV_PIX_FMT_YUV444P;
    case AV_PIX_FMT_YUVJ440P: *full = 1; return AV_PIX_FMT_YUV440P;
    case AV_PIX_FMT_YUVJ411P: *full = 1; return AV_PIX_FMT_YUV411P;
    default: return fmt;
    }
}

static int conv_sws(media_conv *c, const AVFrame *f, image *dst, celeb_error *err)
{
    int full = f->color_range == AVCOL_RANGE_JPEG;
    enum AVPixelFormat src_fmt = dejpeg((enum AVPixelFormat)f->format, &full);
    if (!sws_isSupportedInput(src_fmt))
        return celeb_fail(err, CELEB_EFORMAT, "unsupported pixel format %s",
                          av_get_pix_fmt_name(src_fmt) ? av_get_pix_fmt_name(src_fmt) : "?");
    c->sws = sws_getCachedContext(c->sws, f->width, f->height, src_fmt, dst->width, dst->height,
                                  AV_PIX_FMT_RGB24,
                                  SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, NULL, NULL, NULL);
    if (!c->sws) return celeb_fail(err, CELEB_EINTERNAL, "swscale: cannot create a converter");
    const int *coef = sws_getCoefficients(sws_colorspace(f));
    /* Fails (harmlessly) for RGB inputs, which have no YUV matrix. */
    sws_setColorspaceDetails(c->sws, coef, full, sws_getCoefficients(SWS_CS_DEFAULT), 1, 0,
                             1 << 16, 1 << 16);
    if (!c->buf[0] || c->buf_w != dst->width || c->buf_h != dst->height) {
        av_freep(&c->buf[0]);
        /* av_image_alloc pads lines to 64 bytes: swscale's SIMD may write
         * slightly past the visible width. */
        if (av_image_alloc(c->buf, c->linesize, dst->width, dst->height, AV_PIX_FMT_RGB24, 64) < 0)
            return celeb_fail(err, CELEB_ENOMEM, "out of memory for the RGB conversion");
        c->buf_w = dst->width;
        c->buf_h = dst->height;
    }
    int h = sws_scale(c->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, c->buf,
                      c->linesize);
    if (h != dst->height) return celeb_fail(err, CELEB_EINTERNAL, "swscale: conversion failed");
    for (int y = 0; y < dst->height; y++)
        memcpy(dst->rgb + (size_t)y * (size_t)dst->width * 3, c->buf[0] + (ptrdiff_t)y * c->linesize[0],
               (size_t)dst->width * 3);
    return CELEB_OK;
}

int media_conv_frame(media_conv *c, const AVFrame *f, image *dst, celeb_error *err)
{
    if (!f->data[0] || f->width <= 0 || f->height <= 0)
        return celeb_fail(err, CELEB_ECORRUPT, "decoder returned an empty frame");
    if (f->width == dst->width && f->height == dst->height) {
        for (size_t i = 0; i < sizeof PACKED / sizeof PACKED[0]; i++) {
            if (PACKED[i].fmt == f->format) {
                conv_packed(&PACKED[i], f, dst);
                return CELEB_OK;
            }
        }
        switch (f->format) {
        case AV_PIX_FMT_PAL8: conv_pal8(f, dst); return CELEB_OK;
        case AV_PIX_FMT_MONOBLACK: conv_mono(f, dst, 1); return CELEB_OK;
        case AV_PIX_FMT_MONOWHITE: conv_mono(f, dst, 0); return CELEB_OK;
        default: break;
        }
    }
    return conv_sws(c, f, dst, err);
}

void media_conv_free(media_conv *c)
{
    sws_freeContext(c->sws);
    c->sws = NULL;
    av_freep(&c->buf[0]);
}
