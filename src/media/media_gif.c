/* media_gif.c - GIF backend on giflib: frames composited on the logical
 * screen as FFmpeg 5.1's gif decoder does (the backend this replaced: on every
 * GIF of ../shared/data, the generated disposal test and the 578-file hostile
 * corpus, the same frames, timestamps and pixels, where the data is sound), so
 * the pixels the nets see are unchanged; the tests compare with Pillow and the
 * reference. FFmpeg is not loaded for a GIF: its shared libraries cost ~50 ms
 * of every process start (see media_plugin.c).
 *
 * Compositing: the canvas starts as the background colour (the global
 * palette's background entry) unless the first frame is transparent or there
 * is no global palette, then as transparent white; a transparent index leaves
 * the canvas pixel; after a frame, disposal 2 fills its rectangle with the
 * background colour (transparent white if the frame had a transparent
 * index), disposal 3 restores what was under it. Alpha is dropped, so
 * transparent white is white.
 *
 * Timing, as FFmpeg's gif demuxer: a frame lasts its Graphic Control delay
 * (centiseconds; under 2 means 10, a frame without one keeps the last delay),
 * and starts when the frames before it have lasted.
 *
 * Opening pre-scans the file without decoding pixels (frame count, duration,
 * limits); a file cut inside a frame yields the frames before it. */
#include "media_internal.h"

#include <gif_lib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GIF_DEFAULT_DELAY 10   /* centiseconds */
#define GIF_MIN_DELAY 2
#define TRANSPARENT_WHITE 0x00ffffffu

typedef struct gif_state {
    media_src *src;
    int64_t pos;              /* read position of the giflib input */
    GifFileType *gif;
    uint32_t global[256];     /* 0xAARRGGBB, unset entries 0 */
    uint32_t local[256];      /* the last local palette (entries persist, as in FFmpeg) */
    uint32_t bg_color;
    int has_global;
    uint32_t *canvas;         /* [screen_h][screen_w] */
    uint32_t *saved;          /* for disposal 3 */
    uint8_t *line;            /* one row of palette indices, image width */
    int line_cap;
    int prev_disposal;        /* of the frame drawn last */
    int dl, dt, dw, dh;       /* its rectangle, clipped to the screen */
    uint32_t disposal_color;
    int delay;                /* centiseconds, carried between frames */
    int64_t t_cs;             /* start of the next frame */
    int64_t *ends;            /* [frames]: file offset just past each frame's data */
    int frames_left;          /* complete frames the pre-scan found and not yet returned */
    int first;
} gif_state;

static int gif_read_cb(GifFileType *g, GifByteType *buf, int n)
{
    gif_state *s = g->UserData;
    int64_t got = media_src_pread(s->src, buf, (size_t)n, s->pos);
    if (got < 0)
        return 0;
    s->pos += got;
    return (int)got;
}

static void close_gif(gif_state *s)
{
    if (s->gif) {
        int e;
        DGifCloseFile(s->gif, &e);
        s->gif = NULL;
    }
}

static int gif_error(int code, const char *what, celeb_error *err)
{
    const char *why = GifErrorString(code);
    return celeb_fail(err, code == D_GIF_ERR_NOT_ENOUGH_MEM ? CELEB_ENOMEM : CELEB_ECORRUPT,
                      "GIF: %s: %s", what, why ? why : "unknown error");
}

static int open_gif(gif_state *s, celeb_error *err)
{
    close_gif(s);
    s->pos = 0;
    int e = 0;
    s->gif = DGifOpen(s, gif_read_cb, &e);
    return s->gif ? CELEB_OK : gif_error(e, "cannot read the header", err);
}

static void read_palette(const ColorMapObject *map, uint32_t *pal)
{
    for (int i = 0; map && i < map->ColorCount && i < 256; i++)
        pal[i] = 0xff000000u | (uint32_t)map->Colors[i].Red << 16 |
                 (uint32_t)map->Colors[i].Green << 8 | map->Colors[i].Blue;
}

/* Reads extension blocks, keeping a Graphic Control Extension's fields. */
static int read_extension(gif_state *s, GraphicsControlBlock *gcb, int *has_gcb)
{
    int code;
    GifByteType *ext;
    if (DGifGetExtension(s->gif, &code, &ext) == GIF_ERROR)
        return GIF_ERROR;
    if (code == GRAPHICS_EXT_FUNC_CODE && ext && ext[0] == 4 &&
        DGifExtensionToGCB(4, ext + 1, gcb) == GIF_OK)
        *has_gcb = 1;
    while (ext)
        if (DGifGetExtensionNext(s->gif, &ext) == GIF_ERROR)
            return GIF_ERROR;
    return GIF_OK;
}

/* Advances to the next image descriptor: 1 (s->gif->Image is set), 0 at the
 * trailer, GIF_ERROR on a broken or cut file. */
static int next_image(gif_state *s, GraphicsControlBlock *gcb, int *has_gcb)
{
    *has_gcb = 0;
    gcb->TransparentColor = NO_TRANSPARENT_COLOR;
    gcb->DisposalMode = DISPOSAL_UNSPECIFIED;
    for (;;) {
        GifRecordType type;
        if (DGifGetRecordType(s->gif, &type) == GIF_ERROR)
            return GIF_ERROR;
        if (type == IMAGE_DESC_RECORD_TYPE) {
            if (DGifGetImageDesc(s->gif) == GIF_ERROR)
                return GIF_ERROR;
            /* giflib keeps a record of every image read (its "slurp" API),
             * grown by one each time: quadratic in the frame count. */
            GifFreeSavedImages(s->gif);
            s->gif->ImageCount = 0;
            return 1;
        }
        if (type == TERMINATE_RECORD_TYPE)
            return 0;
        if (type != EXTENSION_RECORD_TYPE || read_extension(s, gcb, has_gcb) == GIF_ERROR)
            return GIF_ERROR;
    }
}

static void set_delay(gif_state *s, const GraphicsControlBlock *gcb, int has_gcb)
{
    if (has_gcb)
        s->delay = gcb->DelayTime < GIF_MIN_DELAY ? GIF_DEFAULT_DELAY : gcb->DelayTime;
}

/* Counts the complete frames and their duration without decoding pixels. */
static int prescan(media *m, gif_state *s, celeb_error *err)
{
    int count = 0;
    int64_t total = 0;
    s->delay = GIF_DEFAULT_DELAY;
    for (;;) {
        GraphicsControlBlock gcb;
        int has_gcb;
        int r = next_image(s, &gcb, &has_gcb);
        if (r != 1)
            break;
        int size;
        GifByteType *block;
        if (DGifGetCode(s->gif, &size, &block) == GIF_ERROR)
            break;
        while (block && DGifGetCodeNext(s->gif, &block) != GIF_ERROR)
            ;
        if (block)   /* cut inside the frame: it does not count */
            break;
        if (++count > m->lim.max_frames)
            return celeb_fail(err, CELEB_ELIMIT, "more than %d frames", m->lim.max_frames);
        if ((count & (count - 1)) == 0) {   /* grow at powers of two */
            int64_t *ends = realloc(s->ends, 2 * (size_t)count * sizeof *ends);
            if (!ends)
                return celeb_fail(err, CELEB_ENOMEM, "out of memory");
            s->ends = ends;
        }
        s->ends[count - 1] = s->pos;
        set_delay(s, &gcb, has_gcb);
        total += s->delay;
    }
    if (count == 0)
        return celeb_fail(err, CELEB_ECORRUPT, "GIF: no complete frame (file truncated?)");
    m->info.frames = count;
    m->info.duration_ms = total * 10;
    return CELEB_OK;
}

static void fill_rect(uint32_t *c, int stride, int l, int t, int w, int h, uint32_t color)
{
    for (int y = t; y < t + h; y++)
        for (int x = l; x < l + w; x++)
            c[(size_t)y * stride + x] = color;
}

static void copy_rect(const uint32_t *from, uint32_t *to, int stride, int l, int t, int w, int h)
{
    for (int y = t; y < t + h; y++)
        memcpy(to + (size_t)y * stride + l, from + (size_t)y * stride + l, (size_t)w * sizeof *to);
}

/* Decodes the current image onto the canvas (media frame m->next_index). */
static int draw_image(media *m, gif_state *s, const GraphicsControlBlock *gcb, celeb_error *err)
{
    const GifImageDesc *d = &s->gif->Image;
    int sw = m->info.width, sh = m->info.height;
    int trans = gcb->TransparentColor;
    int disposal = gcb->DisposalMode > 3 ? DISPOSAL_UNSPECIFIED : gcb->DisposalMode;
    const uint32_t *pal = s->global;
    if (d->ColorMap) {
        read_palette(d->ColorMap, s->local);
        pal = s->local;
    } else if (!s->has_global) {
        return celeb_fail(err, CELEB_ECORRUPT, "GIF: a frame with neither a global nor a local palette");
    }
    if (s->first)
        fill_rect(s->canvas, sw, 0, 0, sw, sh,
                  trans == NO_TRANSPARENT_COLOR && s->has_global ? s->bg_color : TRANSPARENT_WHITE);
    s->first = 0;
    if (d->Left >= sw || d->Top >= sh)
        return celeb_fail(err, CELEB_ECORRUPT, "GIF: a frame outside the screen");
    if (d->Width <= 0 || d->Height <= 0)
        return celeb_fail(err, CELEB_ECORRUPT, "GIF: a frame of size %dx%d", d->Width, d->Height);
    int l = d->Left, t = d->Top;
    int w = l + d->Width > sw ? sw - l : d->Width, h = t + d->Height > sh ? sh - t : d->Height;

    /* The previous frame's disposal, then this frame's is remembered. */
    if (s->prev_disposal == DISPOSE_BACKGROUND)
        fill_rect(s->canvas, sw, s->dl, s->dt, s->dw, s->dh, s->disposal_color);
    else if (s->prev_disposal == DISPOSE_PREVIOUS && s->saved)
        copy_rect(s->saved, s->canvas, sw, s->dl, s->dt, s->dw, s->dh);
    s->prev_disposal = disposal;
    if (disposal == DISPOSE_BACKGROUND || disposal == DISPOSE_PREVIOUS) {
        s->dl = l, s->dt = t, s->dw = w, s->dh = h;
        s->disposal_color = trans != NO_TRANSPARENT_COLOR ? TRANSPARENT_WHITE : s->bg_color;
        if (disposal == DISPOSE_PREVIOUS) {
            if (!s->saved && !(s->saved = malloc((size_t)sw * sh * sizeof *s->saved)))
                return celeb_fail(err, CELEB_ENOMEM, "out of memory");
            copy_rect(s->canvas, s->saved, sw, l, t, w, h);
        }
    }

    if (d->Width > s->line_cap) {
        uint8_t *line = realloc(s->line, (size_t)d->Width);
        if (!line)
            return celeb_fail(err, CELEB_ENOMEM, "out of memory");
        s->line = line;
        s->line_cap = d->Width;
    }
    static const int start[4] = {0, 4, 2, 1}, step[4] = {8, 8, 4, 2};
    int pass = 0, y = 0;
    for (int row = 0; row < d->Height; row++) {
        if (DGifGetLine(s->gif, s->line, d->Width) == GIF_ERROR) {
            /* Broken LZW data in a frame the pre-scan saw whole: keep the rows
             * decoded so far (as FFmpeg does) and go on after the frame. */
            s->pos = s->ends[m->next_index];
            break;
        }
        if (y < h) {
            uint32_t *px = s->canvas + (size_t)(t + y) * sw + l;
            for (int x = 0; x < w; x++)
                if (s->line[x] != trans)
                    px[x] = pal[s->line[x]];
        }
        if (!d->Interlace) {
            y++;
        } else {
            y += step[pass];
            while (pass < 3 && y >= d->Height)
                y = start[++pass];
        }
    }
    return CELEB_OK;
}

static int gif_next(media *m, int64_t *t_ms, celeb_error *err)
{
    gif_state *s = m->priv;
    if (s->frames_left <= 0)
        return 0;
    GraphicsControlBlock gcb;
    int has_gcb;
    int r = next_image(s, &gcb, &has_gcb);
    if (r != 1)   /* the pre-scan saw this frame whole: the file changed under us */
        return celeb_fail(err, CELEB_ECORRUPT, "GIF: frame %d is gone", m->next_index);
    int rc = draw_image(m, s, &gcb, err);
    if (rc < 0)
        return rc;
    s->frames_left--;
    set_delay(s, &gcb, has_gcb);
    *t_ms = s->t_cs * 10;
    s->t_cs += s->delay;
    uint8_t *out = m->frame.rgb;
    for (size_t i = 0, n = (size_t)m->info.width * m->info.height; i < n; i++) {
        uint32_t c = s->canvas[i];
        out[3 * i] = (uint8_t)(c >> 16);
        out[3 * i + 1] = (uint8_t)(c >> 8);
        out[3 * i + 2] = (uint8_t)c;
    }
    return 1;
}

static void gif_close(media *m)
{
    gif_state *s = m->priv;
    if (!s)
        return;
    close_gif(s);
    free(s->canvas);
    free(s->saved);
    free(s->line);
    free(s->ends);
    free(s);
    m->priv = NULL;
}

static const media_ops GIF_OPS = {gif_next, gif_close};

int media_gif_open(media *m, celeb_error *err)
{
    gif_state *s = calloc(1, sizeof *s);
    if (!s)
        return celeb_fail(err, CELEB_ENOMEM, "out of memory");
    m->priv = s;
    m->ops = &GIF_OPS;
    s->src = &m->src;
    snprintf(m->info.format, sizeof m->info.format, "gif");
    int rc = open_gif(s, err);
    if (rc < 0)
        return rc;
    int sw = s->gif->SWidth, sh = s->gif->SHeight;
    if ((rc = media_check_size(m, "GIF", sw, sh, err)) < 0 || (rc = prescan(m, s, err)) < 0 ||
        (rc = open_gif(s, err)) < 0)   /* back to the start: reopening is simpler than seeking */
        return rc;
    m->info.width = sw;
    m->info.height = sh;
    m->info.animated = m->info.frames > 1;
    if (!m->info.animated)
        m->info.duration_ms = 0;
    s->has_global = s->gif->SColorMap != NULL;
    read_palette(s->gif->SColorMap, s->global);
    s->bg_color = s->has_global ? s->global[s->gif->SBackGroundColor & 0xff] : 0;
    s->first = 1;
    s->delay = GIF_DEFAULT_DELAY;
    s->frames_left = m->info.frames;
    s->canvas = malloc((size_t)sw * sh * sizeof *s->canvas);
    if (!s->canvas)
        return celeb_fail(err, CELEB_ENOMEM, "out of memory for a %dx%d GIF", sw, sh);
    return media_frame_buffer(m, sw, sh, err);
}
