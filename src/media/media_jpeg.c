/* media_jpeg.c - JPEG backend: libjpeg(-turbo) decoding from memory, EXIF
 * orientation (all 8 values) read with libexif from the APP1 marker.
 *
 * Pixels are made bit-identical to jpeg-js 0.4.4, the decoder that produced
 * the reference outputs, because the face pipeline amplifies tiny pixel
 * differences: face-api floors the detection box and the recognition crop,
 * so a box that moves by 0.05 px can move the crop by a whole pixel, which
 * moves a descriptor by ~0.1 (measured on ../shared/reference: with
 * libjpeg's own pixels, 76 of 210 SSD faces were > 0.02 from the reference).
 * Measured against jpeg-js on 8 images (baseline and progressive; 4:2:0,
 * 4:4:4, 4:4:0), mean abs diff per channel / max diff:
 *   libjpeg defaults (fancy upsampling, ISLOW, libjpeg RGB):  0.26-1.31 / 3-34
 *   no fancy upsampling, ISLOW, libjpeg RGB:                  0.26-0.54 / 3-4
 *   no fancy, ISLOW, YCbCr out + jpeg-js colour conversion:   0.06-0.14 / 3
 *   libjpeg coefficients + jpeg-js reconstruction (chosen):   0 / 0
 * So libjpeg does all the decoding (markers, Huffman, progressive scans,
 * errors) and hands us the DCT coefficients (jpeg_read_coefficients); the
 * last step, dequantisation + IDCT + chroma replication + YCbCr->RGB, is
 * jpeg-js's (its IDCT is poppler's 12-bit LLM variant, not libjpeg's
 * ISLOW; its colour conversion is in double precision and truncates).
 * Files with other than 1 or 3 components (CMYK/YCCK) take libjpeg's own
 * scanline path with jpeg-js's colour formulas. */
#include "media_internal.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <libexif/exif-data.h>

#define MAX_SCANS 500 /* progressive files with more scans are a known DoS */

typedef struct jpeg_ctx {
    struct jpeg_decompress_struct cinfo;
    struct jpeg_error_mgr jerr;
    struct jpeg_progress_mgr progress;
    jmp_buf jb;
    char msg[JMSG_LENGTH_MAX + 64];
    int truncated;     /* libjpeg ran out of data (see on_message) */
    uint8_t *row;      /* one decoded scanline, owned */
    image plain;       /* decoded image before orientation, owned */
    struct plane { uint8_t *data; size_t stride; double sx, sy; } planes[3];
                       /* component samples for the jpeg-js path, owned */
} jpeg_ctx;

static void on_error(j_common_ptr c)
{
    jpeg_ctx *ctx = (jpeg_ctx *)c->client_data;
    char buf[JMSG_LENGTH_MAX];
    (*c->err->format_message)(c, buf);
    snprintf(ctx->msg, sizeof ctx->msg, "%s", buf);
    longjmp(ctx->jb, 1);
}

/* Warnings (level < 0) are counted, never printed; trace messages ignored. */
static void on_message(j_common_ptr c, int level)
{
    jpeg_ctx *ctx = (jpeg_ctx *)c->client_data;
    if (level >= 0) return;
    c->err->num_warnings++;
    /* The input ended inside a marker segment (JPEG_EOF), or the entropy
     * decoder ran out of data and would fill the rest with grey (HIT_MARKER). */
    if (c->err->msg_code == JWRN_JPEG_EOF || c->err->msg_code == JWRN_HIT_MARKER) ctx->truncated = 1;
}

static void on_progress(j_common_ptr c)
{
    jpeg_ctx *ctx = (jpeg_ctx *)c->client_data;
    struct jpeg_decompress_struct *d = (struct jpeg_decompress_struct *)c;
    if (c->is_decompressor && d->input_scan_number > MAX_SCANS) {
        snprintf(ctx->msg, sizeof ctx->msg, "more than %d progressive scans", MAX_SCANS);
        longjmp(ctx->jb, 1);
    }
}

/* EXIF orientation (1..8) from the saved APP1 markers; 1 if absent or invalid. */
static int exif_orientation(struct jpeg_decompress_struct *cinfo)
{
    for (jpeg_saved_marker_ptr mk = cinfo->marker_list; mk; mk = mk->next) {
        if (mk->marker != JPEG_APP0 + 1 || mk->data_length < 14 ||
            memcmp(mk->data, "Exif\0\0", 6) != 0)
            continue;
        ExifData *ed = exif_data_new_from_data(mk->data, mk->data_length);
        if (!ed) return 1;
        int o = 1;
        ExifEntry *e = exif_content_get_entry(ed->ifd[EXIF_IFD_0], EXIF_TAG_ORIENTATION);
        if (e && e->format == EXIF_FORMAT_SHORT && e->components >= 1 && e->data && e->size >= 2) {
            int v = exif_get_short(e->data, exif_data_get_byte_order(ed));
            if (v >= 1 && v <= 8) o = v;
        }
        exif_data_unref(ed);
        return o;
    }
    return 1;
}

static uint8_t clamp_trunc(double v)
{
    return v < 0 ? 0 : v > 255 ? 255 : (uint8_t)v;
}

/* Converts one scanline of libjpeg output to RGB, with jpeg-js's formulas. */
static void convert_row(const uint8_t *in, uint8_t *out, int width, J_COLOR_SPACE cs)
{
    switch (cs) {
    case JCS_YCbCr:
        for (int x = 0; x < width; x++, in += 3, out += 3) {
            double y = in[0], cb = in[1] - 128.0, cr = in[2] - 128.0;
            out[0] = clamp_trunc(y + 1.402 * cr);
            out[1] = clamp_trunc(y - 0.3441363 * cb - 0.71413636 * cr);
            out[2] = clamp_trunc(y + 1.772 * cb);
        }
        break;
    case JCS_GRAYSCALE:
        for (int x = 0; x < width; x++, out += 3) out[0] = out[1] = out[2] = in[x];
        break;
    case JCS_CMYK: /* Adobe (inverted) CMYK, as jpeg-js interprets it */
        for (int x = 0; x < width; x++, in += 4, out += 3) {
            double k = 255 - in[3];
            for (int c = 0; c < 3; c++)
                out[c] = (uint8_t)(255 - clamp_trunc((255 - in[c]) * (1 - k / 255) + k));
        }
        break;
    default: /* JCS_RGB */
        memcpy(out, in, (size_t)width * 3);
        break;
    }
}

// ----------------------------------------------------------------------------
// jpeg-js pixel reconstruction from libjpeg's coefficients

/* jpeg-js IDCT constants, 12-bit fixed point (cos/sin of k*pi/16, sqrt 2). */
enum {
    DCT_COS1 = 4017, DCT_SIN1 = 799, DCT_COS3 = 3406, DCT_SIN3 = 2276,
    DCT_COS6 = 1567, DCT_SIN6 = 3784, DCT_SQRT2 = 5793, DCT_SQRT1D2 = 2896
};

/* JavaScript's `v >> n`: ToInt32 (wrap modulo 2^32), then arithmetic shift. */
static inline int32_t js_sar(int64_t v, int n) { return (int32_t)(uint32_t)(uint64_t)v >> n; }
/* A store into an Int32Array: wrap modulo 2^32. */
static inline int32_t js_i32(int64_t v) { return (int32_t)(uint32_t)(uint64_t)v; }

/* One 1-D pass of jpeg-js's quantizeAndInverse over 8 values at p[0], p[s],
 * ..., p[7s]. The row pass (s == 1) and column pass (s == 8) differ only in
 * their rounding shifts, given by `row`. */
static void idct_pass(int32_t *p, int s, int row)
{
    int64_t v0, v1, v2, v3, v4, v5, v6, v7, t;
    if (!p[1 * s] && !p[2 * s] && !p[3 * s] && !p[4 * s] && !p[5 * s] && !p[6 * s] && !p[7 * s]) {
        t = row ? js_sar((int64_t)DCT_SQRT2 * p[0] + 512, 10)
                : js_sar((int64_t)DCT_SQRT2 * p[0] + 8192, 14);
        for (int i = 0; i < 8; i++)
            p[i * s] = (int32_t)t;
        return;
    }
    int sh = row ? 8 : 12, rnd = row ? 128 : 2048;
    // stage 4
    v0 = js_sar((int64_t)DCT_SQRT2 * p[0] + rnd, sh);
    v1 = js_sar((int64_t)DCT_SQRT2 * p[4 * s] + rnd, sh);
    v2 = p[2 * s];
    v3 = p[6 * s];
    v4 = js_sar((int64_t)DCT_SQRT1D2 * ((int64_t)p[1 * s] - p[7 * s]) + rnd, sh);
    v7 = js_sar((int64_t)DCT_SQRT1D2 * ((int64_t)p[1 * s] + p[7 * s]) + rnd, sh);
    v5 = row ? js_i32((int64_t)p[3 * s] * 16) : p[3 * s];   /* JS `<< 4` */
    v6 = row ? js_i32((int64_t)p[5 * s] * 16) : p[5 * s];
    // stage 3
    t = js_sar(v0 - v1 + 1, 1);
    v0 = js_sar(v0 + v1 + 1, 1);
    v1 = t;
    t = js_sar(v2 * DCT_SIN6 + v3 * DCT_COS6 + rnd, sh);
    v2 = js_sar(v2 * DCT_COS6 - v3 * DCT_SIN6 + rnd, sh);
    v3 = t;
    t = js_sar(v4 - v6 + 1, 1);
    v4 = js_sar(v4 + v6 + 1, 1);
    v6 = t;
    t = js_sar(v7 + v5 + 1, 1);
    v5 = js_sar(v7 - v5 + 1, 1);
    v7 = t;
    // stage 2
    t = js_sar(v0 - v3 + 1, 1);
    v0 = js_sar(v0 + v3 + 1, 1);
    v3 = t;
    t = js_sar(v1 - v2 + 1, 1);
    v1 = js_sar(v1 + v2 + 1, 1);
    v2 = t;
    t = js_sar(v4 * DCT_SIN3 + v7 * DCT_COS3 + 2048, 12);
    v4 = js_sar(v4 * DCT_COS3 - v7 * DCT_SIN3 + 2048, 12);
    v7 = t;
    t = js_sar(v5 * DCT_SIN1 + v6 * DCT_COS1 + 2048, 12);
    v5 = js_sar(v5 * DCT_COS1 - v6 * DCT_SIN1 + 2048, 12);
    v6 = t;
    // stage 1
    p[0] = js_i32(v0 + v7);
    p[7 * s] = js_i32(v0 - v7);
    p[1 * s] = js_i32(v1 + v6);
    p[6 * s] = js_i32(v1 - v6);
    p[2 * s] = js_i32(v2 + v5);
    p[5 * s] = js_i32(v2 - v5);
    p[3 * s] = js_i32(v3 + v4);
    p[4 * s] = js_i32(v3 - v4);
}

/* Dequantises and inverse-transforms one block into 8 rows of out. */
static void idct_block(const JCOEF *coef, const UINT16 *quant, uint8_t *out, size_t stride)
{
    int32_t p[64];
    for (int i = 0; i < 64; i++)
        p[i] = (int32_t)coef[i] * quant[i];
    for (int r = 0; r < 8; r++)
        idct_pass(p + 8 * r, 1, 1);
    for (int c = 0; c < 8; c++)
        idct_pass(p + c, 8, 0);
    for (int i = 0; i < 64; i++) {
        int32_t v = 128 + js_sar((int64_t)p[i] + 8, 4);
        out[(i / 8) * stride + i % 8] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
}

/* A component's samples at its own resolution: [rows][stride] with stride =
 * width_in_blocks * 8; sx, sy are jpeg-js's scaleX, scaleY (h/maxH, v/maxV). */
typedef struct plane plane;

/* Builds the RGB image from the coefficients of a 1- or 3-component file. */
static int reconstruct(jpeg_ctx *ctx, jvirt_barray_ptr *coefs, image *dst, celeb_error *err)
{
    struct jpeg_decompress_struct *ci = &ctx->cinfo;
    int nc = ci->num_components;
    for (int c = 0; c < nc; c++) {
        jpeg_component_info *comp = &ci->comp_info[c];
        plane *pl = &ctx->planes[c];
        pl->stride = (size_t)comp->width_in_blocks * 8;
        pl->sx = (double)comp->h_samp_factor / ci->max_h_samp_factor;
        pl->sy = (double)comp->v_samp_factor / ci->max_v_samp_factor;
        pl->data = malloc(pl->stride * comp->height_in_blocks * 8);
        if (!pl->data || !comp->quant_table)
            return celeb_fail(err, pl->data ? CELEB_ECORRUPT : CELEB_ENOMEM,
                              "JPEG: cannot reconstruct component %d", c);
        for (JDIMENSION by = 0; by < comp->height_in_blocks; by++) {
            JBLOCKARRAY rows = (*ci->mem->access_virt_barray)((j_common_ptr)ci, coefs[c], by, 1, FALSE);
            for (JDIMENSION bx = 0; bx < comp->width_in_blocks; bx++)
                idct_block(rows[0][bx], comp->quant_table->quantval,
                           pl->data + (size_t)by * 8 * pl->stride + bx * 8, pl->stride);
        }
    }
    /* jpeg-js getData: component sample at (x, y) is lines[0 | (y*sy)][0 | (x*sx)]. */
    int w = dst->width, h = dst->height;
    uint8_t *out = dst->rgb;
    for (int y = 0; y < h; y++) {
        const uint8_t *line[3];
        for (int c = 0; c < nc; c++)
            line[c] = ctx->planes[c].data + (size_t)(y * ctx->planes[c].sy) * ctx->planes[c].stride;
        for (int x = 0; x < w; x++, out += 3) {
            if (nc == 1) {
                out[0] = out[1] = out[2] = line[0][(size_t)(x * ctx->planes[0].sx)];
                continue;
            }
            double yy = line[0][(size_t)(x * ctx->planes[0].sx)];
            double cb = line[1][(size_t)(x * ctx->planes[1].sx)];
            double cr = line[2][(size_t)(x * ctx->planes[2].sx)];
            if (ci->jpeg_color_space == JCS_RGB) {
                out[0] = (uint8_t)yy;
                out[1] = (uint8_t)cb;
                out[2] = (uint8_t)cr;
            } else {
                out[0] = clamp_trunc(yy + 1.402 * (cr - 128));
                out[1] = clamp_trunc(yy - 0.3441363 * (cb - 128) - 0.71413636 * (cr - 128));
                out[2] = clamp_trunc(yy + 1.772 * (cb - 128));
            }
        }
    }
    return CELEB_OK;
}

/* Copies src into dst (already sized to the oriented size) applying EXIF
 * orientation o: dst(x, y) = src[base + x*sx + y*sy]. */
static void apply_orientation(const image *src, image *dst, int o)
{
    ptrdiff_t W = src->width, H = src->height, base, sx, sy;
    switch (o) {
    case 2: base = W - 1; sx = -1; sy = W; break;               /* mirror horizontal */
    case 3: base = (H - 1) * W + W - 1; sx = -1; sy = -W; break; /* rotate 180 */
    case 4: base = (H - 1) * W; sx = 1; sy = -W; break;          /* mirror vertical */
    case 5: base = 0; sx = W; sy = 1; break;                      /* transpose */
    case 6: base = (H - 1) * W; sx = -W; sy = 1; break;           /* rotate 90 CW */
    case 7: base = (H - 1) * W + W - 1; sx = -W; sy = -1; break;  /* transverse */
    case 8: base = W - 1; sx = W; sy = -1; break;                 /* rotate 90 CCW */
    default: base = 0; sx = 1; sy = W; break;
    }
    uint8_t *out = dst->rgb;
    for (int y = 0; y < dst->height; y++) {
        const uint8_t *p = src->rgb + (base + y * sy) * 3;
        for (int x = 0; x < dst->width; x++, out += 3, p += sx * 3) {
            out[0] = p[0];
            out[1] = p[1];
            out[2] = p[2];
        }
    }
}

/* Runs libjpeg; every libjpeg error longjmps back here. All mutable state is
 * in *ctx (not in locals), so it is valid after the longjmp. */
static int decode(media *m, jpeg_ctx *ctx, celeb_error *err)
{
    struct jpeg_decompress_struct *ci = &ctx->cinfo;
    if (setjmp(ctx->jb)) return celeb_fail(err, CELEB_ECORRUPT, "JPEG: %s", ctx->msg);

    jpeg_create_decompress(ci);
    /* Truncation policy: a file that lacks only its final EOI marker is
     * complete, so we append FF D9 (into the zero padding after our copy of
     * the bytes). A progressive file cut between two scans then decodes with
     * the scans it has (a valid, coarser image, as libjpeg reports no
     * problem). Any other truncation makes libjpeg warn (see on_message) and
     * is reported as CELEB_ECORRUPT rather than returning a grey-filled image. */
    size_t n = m->src.size;
    if (n < 2 || m->src.data[n - 2] != 0xff || m->src.data[n - 1] != 0xd9) {
        m->src.data[n] = 0xff;
        m->src.data[n + 1] = 0xd9;
        n += 2;
    }
    jpeg_mem_src(ci, m->src.data, (unsigned long)n);
    jpeg_save_markers(ci, JPEG_APP0 + 1, 0xffff);
    jpeg_read_header(ci, TRUE);
    if (ctx->truncated) return celeb_fail(err, CELEB_ECORRUPT, "JPEG: truncated header");
    int rc = media_check_size(m, "JPEG", ci->image_width, ci->image_height, err);
    if (rc < 0) return rc;
    int orient = exif_orientation(ci);

    int w = (int)ci->image_width, h = (int)ci->image_height;
    int swap = orient >= 5;
    rc = media_frame_buffer(m, swap ? h : w, swap ? w : h, err);
    if (rc < 0) return rc;
    image *target = &m->frame;
    if (orient != 1) {
        if (image_alloc(&ctx->plain, w, h) != CELEB_OK)
            return celeb_fail(err, CELEB_ENOMEM, "JPEG: out of memory for %dx%d", w, h);
        target = &ctx->plain;
    }

    if (ci->num_components == 1 || ci->num_components == 3) {
        /* jpeg-js reconstruction from libjpeg's coefficients (see the top). */
        ci->progress = &ctx->progress;
        jvirt_barray_ptr *coefs = jpeg_read_coefficients(ci);
        if (ctx->truncated || !coefs)
            return celeb_fail(err, CELEB_ECORRUPT, "JPEG: truncated or corrupt data");
        rc = reconstruct(ctx, coefs, target, err);
        if (rc < 0) return rc;
    } else {
        ci->out_color_space = ci->jpeg_color_space == JCS_CMYK || ci->jpeg_color_space == JCS_YCCK
                                  ? JCS_CMYK : JCS_RGB;
        ci->do_fancy_upsampling = FALSE; /* jpeg-js replicates chroma samples */
        ci->dct_method = JDCT_ISLOW;
        ci->progress = &ctx->progress;
        jpeg_start_decompress(ci);
        if ((int)ci->output_width != w || (int)ci->output_height != h)
            return celeb_fail(err, CELEB_ECORRUPT, "JPEG: inconsistent output size");
        ctx->row = malloc((size_t)w * (size_t)ci->output_components);
        if (!ctx->row) return celeb_fail(err, CELEB_ENOMEM, "JPEG: out of memory");
        while (ci->output_scanline < ci->output_height) {
            JSAMPROW r = ctx->row;
            uint8_t *dst = target->rgb + (size_t)ci->output_scanline * (size_t)w * 3;
            if (jpeg_read_scanlines(ci, &r, 1) != 1) break;
            convert_row(ctx->row, dst, w, ci->out_color_space);
            if (ctx->truncated) break;
        }
        if (ctx->truncated)
            return celeb_fail(err, CELEB_ECORRUPT,
                              "JPEG: truncated or corrupt data (image incomplete at row %u of %d)",
                              ci->output_scanline, h);
    }
    jpeg_finish_decompress(ci);
    if (ctx->truncated) return celeb_fail(err, CELEB_ECORRUPT, "JPEG: truncated or corrupt data");
    if (orient != 1) apply_orientation(&ctx->plain, &m->frame, orient);

    snprintf(m->info.format, sizeof m->info.format, "jpeg");
    m->info.width = m->frame.width;
    m->info.height = m->frame.height;
    m->info.frames = 1;
    m->info.duration_ms = 0;
    m->info.animated = 0;
    return CELEB_OK;
}

int media_jpeg_open(media *m, celeb_error *err)
{
    int rc = media_src_load(&m->src, err);
    if (rc < 0) return rc;
    jpeg_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return celeb_fail(err, CELEB_ENOMEM, "JPEG: out of memory");
    ctx->cinfo.err = jpeg_std_error(&ctx->jerr);
    ctx->jerr.error_exit = on_error;
    ctx->jerr.emit_message = on_message;
    ctx->progress.progress_monitor = on_progress;
    ctx->cinfo.client_data = ctx;
    rc = decode(m, ctx, err);
    jpeg_destroy_decompress(&ctx->cinfo); /* safe on a zeroed, never-created struct */
    free(ctx->row);
    for (int i = 0; i < 3; i++) free(ctx->planes[i].data);
    image_free(&ctx->plain);
    free(ctx);
    return rc;
}
