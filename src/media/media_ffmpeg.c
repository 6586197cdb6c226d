/* media_ffmpeg.c - FFmpeg backends, built as the plugin celeb-ffmpeg.so (see
 * media_plugin.c): PNG (libavcodec's png decoder on the whole file), and
 * MP4 / MOV / WebM / MKV (libavformat demuxer + libavcodec decoder).
 *
 * Input is always read through our own AVIOContext (over the file descriptor
 * or the memory copy), so FFmpeg never sees a file name: no protocol or
 * extension guessing. The container format is the one we sniffed.
 *
 * Opening a container: read the header, check the frame size against the
 * limits, pre-scan all packets of the video stream without decoding (frame
 * count, duration, first timestamp), reopen, then decode the first frame so
 * that media_info has the real frame size.
 *
 * Truncated files: the stream ends at the first packet that cannot be read
 * whole (AV_PKT_FLAG_CORRUPT, set by libavformat when the file ends inside
 * it), both in the pre-scan and when decoding, so a cut file yields its
 * complete frames and frames == the number media_next_frame returns. If not
 * even one frame is complete, open fails with CELEB_ECORRUPT. A packet the
 * decoder rejects makes media_next_frame return CELEB_ECORRUPT. */
#include "media_av.h"

#include <stdio.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/mem.h>

#define AVIO_BUF 65536

typedef struct av_state {
    media_src *src;          /* the media's input (AVIO opaque) */
    int64_t pos;             /* AVIO read position */
    AVIOContext *pb;
    AVFormatContext *fmt;
    const AVInputFormat *ifmt;
    AVCodecContext *dec;
    AVPacket *pkt;
    AVFrame *frame;
    media_conv conv;
    int stream;              /* index of the video stream */
    AVRational tb;           /* its time base */
    int64_t origin;          /* first presentation timestamp, in tb */
    int64_t last_t_ms;
    int pending;             /* frame holds a decoded frame not yet returned */
    int draining;            /* the demuxer is done, the decoder is being flushed */
} av_state;

/* ---- AVIO over media_src ---------------------------------------------------- */

static int avio_read_cb(void *opaque, uint8_t *buf, int size)
{
    av_state *s = opaque;
    int64_t n = media_src_pread(s->src, buf, (size_t)size, s->pos);
    if (n < 0) return AVERROR(EIO);
    if (n == 0) return AVERROR_EOF;
    s->pos += n;
    return (int)n;
}

static int64_t avio_seek_cb(void *opaque, int64_t offset, int whence)
{
    av_state *s = opaque;
    int64_t size = (int64_t)s->src->size;
    switch (whence & ~AVSEEK_FORCE) {
    case AVSEEK_SIZE: return size;
    case SEEK_SET: break;
    case SEEK_CUR: offset += s->pos; break;
    case SEEK_END: offset += size; break;
    default: return AVERROR(EINVAL);
    }
    if (offset < 0) return AVERROR(EINVAL);
    s->pos = offset;
    return offset;
}

static void close_input(av_state *s)
{
    avformat_close_input(&s->fmt); /* AVFMT_FLAG_CUSTOM_IO: leaves pb alone */
    if (s->pb) {
        av_freep(&s->pb->buffer);
        avio_context_free(&s->pb);
    }
}

static int open_input(media *m, av_state *s, celeb_error *err)
{
    char eb[128];
    close_input(s);
    s->pos = 0;
    s->stream = -1;
    uint8_t *buf = av_malloc(AVIO_BUF);
    if (!buf) return celeb_fail(err, CELEB_ENOMEM, "out of memory");
    s->pb = avio_alloc_context(buf, AVIO_BUF, 0, s, avio_read_cb, NULL, avio_seek_cb);
    if (!s->pb) {
        av_free(buf);
        return celeb_fail(err, CELEB_ENOMEM, "out of memory");
    }
    s->fmt = avformat_alloc_context();
    if (!s->fmt) return celeb_fail(err, CELEB_ENOMEM, "out of memory");
    s->fmt->pb = s->pb;
    s->fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
    int ret = avformat_open_input(&s->fmt, "", s->ifmt, NULL); /* frees fmt on failure */
    if (ret < 0)
        return celeb_fail(err, ret == AVERROR(ENOMEM) ? CELEB_ENOMEM : CELEB_ECORRUPT,
                          "cannot read the %s header: %s", m->info.format, media_av_err(ret, eb, sizeof eb));
    for (unsigned i = 0; i < s->fmt->nb_streams; i++) {
        const AVCodecParameters *par = s->fmt->streams[i]->codecpar;
        if (par->codec_type == AVMEDIA_TYPE_VIDEO && !(s->fmt->streams[i]->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
            s->stream = (int)i;
            break;
        }
    }
    if (s->stream < 0)
        return s->fmt->nb_streams ? celeb_fail(err, CELEB_EFORMAT, "no video stream")
                                  : celeb_fail(err, CELEB_ECORRUPT, "no streams (truncated header?)");
    for (unsigned i = 0; i < s->fmt->nb_streams; i++)
        if ((int)i != s->stream) s->fmt->streams[i]->discard = AVDISCARD_ALL;
    s->tb = s->fmt->streams[s->stream]->time_base;
    if (s->tb.num <= 0 || s->tb.den <= 0) s->tb = (AVRational){1, 1000};
    return CELEB_OK;
}

/* Reads every packet of the video stream once: frame count, first pts, end. */
static int prescan(media *m, av_state *s, celeb_error *err)
{
    int64_t first = AV_NOPTS_VALUE, end = AV_NOPTS_VALUE;
    int count = 0;
    while (av_read_frame(s->fmt, s->pkt) >= 0) {
        if (s->pkt->stream_index == s->stream) {
            if (s->pkt->flags & AV_PKT_FLAG_CORRUPT) { /* cut short by the end of the file */
                av_packet_unref(s->pkt);
                break;
            }
            if (++count > m->lim.max_frames) {
                av_packet_unref(s->pkt);
                return celeb_fail(err, CELEB_ELIMIT, "more than %d frames", m->lim.max_frames);
            }
            int64_t t = s->pkt->pts != AV_NOPTS_VALUE ? s->pkt->pts : s->pkt->dts;
            if (t != AV_NOPTS_VALUE) {
                if (first == AV_NOPTS_VALUE || t < first) first = t;
                int64_t e = t + (s->pkt->duration > 0 ? s->pkt->duration : 0);
                if (end == AV_NOPTS_VALUE || e > end) end = e;
            }
        }
        av_packet_unref(s->pkt);
    }
    if (count == 0) return celeb_fail(err, CELEB_ECORRUPT, "no complete frame (file truncated or stream empty)");
    s->origin = first != AV_NOPTS_VALUE ? first : 0;
    m->info.frames = count;
    int64_t dur = 0;
    if (end != AV_NOPTS_VALUE && end > s->origin)
        dur = av_rescale_q(end - s->origin, s->tb, (AVRational){1, 1000});
    else if (s->fmt->duration > 0)
        dur = av_rescale(s->fmt->duration, 1000, AV_TIME_BASE);
    m->info.duration_ms = dur;
    return CELEB_OK;
}

static int open_decoder(media *m, av_state *s, celeb_error *err)
{
    char eb[128];
    const AVCodecParameters *par = s->fmt->streams[s->stream]->codecpar;
    const AVCodec *codec = avcodec_find_decoder(par->codec_id);
    if (!codec)
        return celeb_fail(err, CELEB_EFORMAT, "no decoder for codec %s", avcodec_get_name(par->codec_id));
    s->dec = avcodec_alloc_context3(codec);
    if (!s->dec) return celeb_fail(err, CELEB_ENOMEM, "out of memory");
    int ret = avcodec_parameters_to_context(s->dec, par);
    if (ret < 0) return celeb_fail(err, CELEB_ECORRUPT, "bad codec parameters: %s", media_av_err(ret, eb, sizeof eb));
    s->dec->max_pixels = m->lim.max_pixels; /* the decoder refuses larger frames */
    s->dec->thread_count = 1;               /* callers parallelise across files */
    s->dec->pkt_timebase = s->tb;
    ret = avcodec_open2(s->dec, codec, NULL);
    if (ret < 0) return celeb_fail(err, CELEB_ECORRUPT, "cannot open the %s decoder: %s", codec->name,
                                   media_av_err(ret, eb, sizeof eb));
    return CELEB_OK;
}

/* Decodes the next frame of the stream into s->frame. 1, 0 at end, or error. */
static int decode_next(av_state *s, celeb_error *err)
{
    char eb[128];
    for (;;) {
        int ret = avcodec_receive_frame(s->dec, s->frame);
        if (ret == 0) return 1;
        if (ret == AVERROR_EOF) return 0;
        if (ret != AVERROR(EAGAIN))
            return celeb_fail(err, CELEB_ECORRUPT, "decoding failed: %s", media_av_err(ret, eb, sizeof eb));
        if (s->draining) return 0; /* cannot happen: a draining decoder ends with EOF */
        ret = av_read_frame(s->fmt, s->pkt);
        if (ret < 0) { /* end of file, or a truncated/unreadable packet: flush what we have */
            s->draining = 1;
            avcodec_send_packet(s->dec, NULL);
            continue;
        }
        if (s->pkt->stream_index != s->stream) {
            av_packet_unref(s->pkt);
            continue;
        }
        if (s->pkt->flags & AV_PKT_FLAG_CORRUPT) { /* truncated file: end here, as prescan did */
            av_packet_unref(s->pkt);
            s->draining = 1;
            avcodec_send_packet(s->dec, NULL);
            continue;
        }
        ret = avcodec_send_packet(s->dec, s->pkt);
        av_packet_unref(s->pkt);
        if (ret < 0 && ret != AVERROR(EAGAIN))
            return celeb_fail(err, ret == AVERROR(ENOMEM) ? CELEB_ENOMEM : CELEB_ECORRUPT,
                              "decoding failed: %s", media_av_err(ret, eb, sizeof eb));
    }
}

static int av_next(media *m, int64_t *t_ms, celeb_error *err)
{
    av_state *s = m->priv;
    if (!s->pending) {
        av_frame_unref(s->frame);
        int rc = decode_next(s, err);
        if (rc <= 0) return rc;
    }
    s->pending = 0;
    int rc = media_conv_frame(&s->conv, s->frame, &m->frame, err);
    if (rc < 0) return rc;
    int64_t ts = s->frame->best_effort_timestamp;
    if (ts == AV_NOPTS_VALUE) ts = s->frame->pts;
    int64_t t = ts == AV_NOPTS_VALUE ? s->last_t_ms
                                     : av_rescale_q(ts - s->origin, s->tb, (AVRational){1, 1000});
    if (t < s->last_t_ms) t = s->last_t_ms; /* keep timestamps monotonic */
    s->last_t_ms = t;
    *t_ms = t;
    return 1;
}

static void av_close(media *m)
{
    av_state *s = m->priv;
    if (!s) return;
    avcodec_free_context(&s->dec);
    close_input(s);
    av_packet_free(&s->pkt);
    av_frame_free(&s->frame);
    media_conv_free(&s->conv);
    av_free(s);
    m->priv = NULL;
}

static const media_ops AV_OPS = {av_next, av_close};

static av_state *new_state(media *m)
{
    av_state *s = av_mallocz(sizeof *s);
    if (!s) return NULL;
    m->priv = s;
    m->ops = &AV_OPS;
    s->src = &m->src;
    s->stream = -1;
    s->pkt = av_packet_alloc();
    s->frame = av_frame_alloc();
    return s->pkt && s->frame ? s : NULL;
}

MEDIA_PLUGIN_API int celeb_plugin_av_open(media *m, const char *container, celeb_error *err)
{
    media_av_quiet();
    av_state *s = new_state(m);
    if (!s) return celeb_fail(err, CELEB_ENOMEM, "out of memory");
    const char *demuxer = !strcmp(container, "mp4") || !strcmp(container, "mov") ? "mov" : "matroska";
    s->ifmt = av_find_input_format(demuxer);
    if (!s->ifmt) return celeb_fail(err, CELEB_EINTERNAL, "FFmpeg lacks the %s demuxer", container);
    snprintf(m->info.format, sizeof m->info.format, "%s", container);

    int rc = open_input(m, s, err);
    if (rc < 0) return rc;
    const AVCodecParameters *par = s->fmt->streams[s->stream]->codecpar;
    if (par->width > 0 || par->height > 0) {
        rc = media_check_size(m, container, par->width, par->height, err);
        if (rc < 0) return rc;
    }
    rc = prescan(m, s, err);
    if (rc < 0) return rc;
    rc = open_input(m, s, err); /* back to the start; reopening is simpler than seeking */
    if (rc < 0) return rc;
    rc = open_decoder(m, s, err);
    if (rc < 0) return rc;

    rc = decode_next(s, err);
    if (rc < 0) return rc;
    if (rc == 0) return celeb_fail(err, CELEB_ECORRUPT, "no decodable frame");
    rc = media_check_size(m, container, s->frame->width, s->frame->height, err);
    if (rc < 0) return rc;
    s->pending = 1;
    m->info.width = s->frame->width;
    m->info.height = s->frame->height;
    m->info.animated = 1;
    return media_frame_buffer(m, m->info.width, m->info.height, err);
}

/* ---- PNG ------------------------------------------------------------------------ */

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

MEDIA_PLUGIN_API int celeb_plugin_png_open(media *m, celeb_error *err)
{
    char eb[128];
    media_av_quiet();
    int rc = media_src_load(&m->src, err);
    if (rc < 0) return rc;
    const uint8_t *d = m->src.data;
    if (m->src.size < 33 || memcmp(d + 12, "IHDR", 4) != 0)
        return celeb_fail(err, CELEB_ECORRUPT, "PNG: missing or truncated IHDR");
    rc = media_check_size(m, "PNG", be32(d + 16), be32(d + 20), err);
    if (rc < 0) return rc;
    if (m->src.size > INT32_MAX - MEDIA_PAD) return celeb_fail(err, CELEB_ELIMIT, "PNG: file too large");

    av_state *s = new_state(m);
    if (!s) return celeb_fail(err, CELEB_ENOMEM, "out of memory");
    const AVCodec *codec = avcodec_find_decoder(AV_CODEC_ID_PNG);
    if (!codec) return celeb_fail(err, CELEB_EINTERNAL, "FFmpeg lacks the png decoder");
    s->dec = avcodec_alloc_context3(codec);
    if (!s->dec) return celeb_fail(err, CELEB_ENOMEM, "out of memory");
    s->dec->max_pixels = m->lim.max_pixels;
    s->dec->thread_count = 1;
    int ret = avcodec_open2(s->dec, codec, NULL);
    if (ret < 0) return celeb_fail(err, CELEB_EINTERNAL, "cannot open the png decoder: %s", media_av_err(ret, eb, sizeof eb));
    /* Not reference counted: the decoder copies it. src.data has MEDIA_PAD zero bytes after. */
    s->pkt->data = m->src.data;
    s->pkt->size = (int)m->src.size;
    ret = avcodec_send_packet(s->dec, s->pkt);
    s->pkt->data = NULL;
    s->pkt->size = 0;
    if (ret < 0) return celeb_fail(err, CELEB_ECORRUPT, "PNG: %s", media_av_err(ret, eb, sizeof eb));
    avcodec_send_packet(s->dec, NULL);
    ret = avcodec_receive_frame(s->dec, s->frame);
    if (ret < 0) return celeb_fail(err, CELEB_ECORRUPT, "PNG: no image decoded: %s", media_av_err(ret, eb, sizeof eb));
    rc = media_check_size(m, "PNG", s->frame->width, s->frame->height, err);
    if (rc < 0) return rc;
    rc = media_frame_buffer(m, s->frame->width, s->frame->height, err);
    if (rc < 0) return rc;
    rc = media_conv_frame(&s->conv, s->frame, &m->frame, err);
    if (rc < 0) return rc;

    snprintf(m->info.format, sizeof m->info.format, "png");
    m->info.width = m->frame.width;
    m->info.height = m->frame.height;
    m->info.frames = 1;
    /* A still image: free the decoder now, media.c returns m->frame once. */
    av_close(m);
    m->ops = NULL;
    return CELEB_OK;
}
