/* input.c - see input.h.
 *
 * Separable form of TensorFlow's legacy bilinear resize, with the same float
 * operations in the same order as tfjs (top = tl + (tr-tl)*dx, bottom
 * likewise, v = top + (bottom-top)*dy), so results are bit-identical to the
 * direct form: each output row blends two horizontally-resampled source
 * rows, and every source row is resampled once per output row pair at most. */
#include "input.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* JS Math.round: halves round up. */
static int js_round(double v) { return (int)floor(v + 0.5); }

/* Source coordinate mapping for one axis of the padded square: for output i,
 * the two taps (-1 = zero padding) and the blend weight. */
typedef struct axis_map {
    int *i0, *i1;   /* [size] tap indices into the region, or -1 */
    float *d;       /* [size] fraction */
} axis_map;

static int axis_map_init(axis_map *m, int size, int side, int pad, int extent)
{
    m->i0 = malloc((size_t)size * sizeof *m->i0);
    m->i1 = malloc((size_t)size * sizeof *m->i1);
    m->d = malloc((size_t)size * sizeof *m->d);
    if (!m->i0 || !m->i1 || !m->d)
        return -1;
    float scale = (float)side / (float)size;
    for (int o = 0; o < size; o++) {
        float s = (float)o * scale;
        int a = (int)floorf(s);
        int b = a + 1 < side ? a + 1 : side - 1;
        m->d[o] = s - (float)a;
        a -= pad;
        b -= pad;
        m->i0[o] = a >= 0 && a < extent ? a : -1;
        m->i1[o] = b >= 0 && b < extent ? b : -1;
    }
    return 0;
}

static void axis_map_free(axis_map *m)
{
    free(m->i0);
    free(m->i1);
    free(m->d);
}

/* One source row (or NULL for a padding row) resampled horizontally. */
static void resample_row(const uint8_t *row, const axis_map *mx, int size, float *out)
{
    if (!row) {
        memset(out, 0, (size_t)size * 3 * sizeof *out);
        return;
    }
    for (int o = 0; o < size; o++) {
        int a = mx->i0[o], b = mx->i1[o];
        float dx = mx->d[o];
        for (int c = 0; c < 3; c++) {
            float l = a >= 0 ? row[a * 3 + c] : 0.0f;
            float r = b >= 0 ? row[b * 3 + c] : 0.0f;
            out[o * 3 + c] = l + (r - l) * dx;
        }
    }
}

void input_from_region(const image *img, int_rect r, int size, int centred, const input_norm *norm,
                       float *out)
{
    /* Padded square: side = max(w,h); the region sits at (pad_x, pad_y) in it. */
    int side = r.w > r.h ? r.w : r.h;
    int diff = abs(r.w - r.h);
    int after = js_round(diff * (centred ? 0.5 : 1.0));
    int before = centred ? diff - after : 0;
    int pad_x = r.w < r.h ? before : 0;
    int pad_y = r.h < r.w ? before : 0;

    axis_map mx = {0}, my = {0};
    float *rows = malloc((size_t)size * 3 * 2 * sizeof *rows);
    if (!rows || axis_map_init(&mx, size, side, pad_x, r.w) < 0 ||
        axis_map_init(&my, size, side, pad_y, r.h) < 0) {
        /* Out of memory for a few KB: leave a zero input rather than crash. */
        memset(out, 0, (size_t)size * size * 3 * sizeof *out);
        goto done;
    }
    float *top = rows, *bottom = rows + (size_t)size * 3;
    int have_top = -2, have_bottom = -2;   /* source rows currently resampled */
    size_t stride = (size_t)img->width * 3;
    const uint8_t *origin = img->rgb + (size_t)r.y * stride + (size_t)r.x * 3;
    for (int oy = 0; oy < size; oy++) {
        int a = my.i0[oy], b = my.i1[oy];
        if (a != have_top) {
            if (a == have_bottom && a >= 0) {   /* slide down: reuse the old bottom row */
                float *t = top;
                top = bottom;
                bottom = t;
                have_bottom = -2;
            } else {
                resample_row(a >= 0 ? origin + (size_t)a * stride : NULL, &mx, size, top);
            }
            have_top = a;
        }
        if (b != have_bottom) {
            resample_row(b >= 0 ? origin + (size_t)b * stride : NULL, &mx, size, bottom);
            have_bottom = b;
        }
        float dy = my.d[oy];
        float *o = out + (size_t)oy * size * 3;
        for (int i = 0; i < size; i++)
            for (int c = 0; c < 3; c++) {
                float t = top[i * 3 + c], v = t + (bottom[i * 3 + c] - t) * dy;
                o[i * 3 + c] = (v - norm->mean[c]) * norm->scale + norm->offset;
            }
    }
done:
    axis_map_free(&mx);
    axis_map_free(&my);
    free(rows);
}
