/* input.c - see input.h.
 *
 * Separable form of TensorFlow's legacy bilinear resize, with the same float
 * operations in the same order as tfjs (top = tl + (tr-tl)*dx, bottom
 * likewise, v = top + (bottom-top)*dy), so results are bit-identical to the
 * direct form: each output row blends two horizontally-resampled source
 * rows. Zero padding is a multiplication by 0 or 1 (exact), so the loops
 * have no branches. Output rows are split over the threads. */
#include "input.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

/* JS Math.round: halves round up. */
static int js_round(double v) { return (int)floor(v + 0.5); }

/* One axis of the padded square: for output i, the two source taps (clamped
 * into the region), their masks (0 in the padding) and the blend weight. */
typedef struct axis_map {
    int *i0, *i1;        /* [size] tap indices into the region */
    float *m0, *m1;      /* [size] 1, or 0 where the tap is padding */
    float *d;            /* [size] fraction */
} axis_map;

static void axis_map_free(axis_map *m)
{
    free(m->i0);
    free(m->i1);
    free(m->m0);
    free(m->m1);
    free(m->d);
}

static int axis_map_init(axis_map *m, int size, int side, int pad, int extent)
{
    m->i0 = malloc((size_t)size * sizeof *m->i0);
    m->i1 = malloc((size_t)size * sizeof *m->i1);
    m->m0 = malloc((size_t)size * sizeof *m->m0);
    m->m1 = malloc((size_t)size * sizeof *m->m1);
    m->d = malloc((size_t)size * sizeof *m->d);
    if (!m->i0 || !m->i1 || !m->m0 || !m->m1 || !m->d)
        return -1;
    float scale = (float)side / (float)size;
    for (int o = 0; o < size; o++) {
        float s = (float)o * scale;
        int a = (int)floorf(s);
        int b = a + 1 < side ? a + 1 : side - 1;
        m->d[o] = s - (float)a;
        a -= pad;
        b -= pad;
        m->m0[o] = a >= 0 && a < extent;
        m->m1[o] = b >= 0 && b < extent;
        m->i0[o] = a < 0 ? 0 : a >= extent ? extent - 1 : a;
        m->i1[o] = b < 0 ? 0 : b >= extent ? extent - 1 : b;
    }
    return 0;
}

/* Output o's two taps, masked (padding is a multiplication by 0: exact). */
static inline void resample_edge(const uint8_t *row, const axis_map *mx, int o, float *out)
{
    const uint8_t *a = row + mx->i0[o] * 3, *b = row + mx->i1[o] * 3;
    float ma = mx->m0[o], mb = mx->m1[o], dx = mx->d[o];
    for (int c = 0; c < 3; c++) {
        float l = (float)a[c] * ma, r = (float)b[c] * mb;
        out[o * 3 + c] = l + (r - l) * dx;
    }
}

/* One source row resampled horizontally (NULL: a padding row). Outputs
 * [lo, hi) have both taps inside the region and need no masks. */
static void resample_row(const uint8_t *row, const axis_map *mx, int lo, int hi, int size,
                         float *out)
{
    if (!row) {
        memset(out, 0, (size_t)size * 3 * sizeof *out);
        return;
    }
    for (int o = 0; o < lo; o++)
        resample_edge(row, mx, o, out);
    for (int o = lo; o < hi; o++) {
        const uint8_t *a = row + mx->i0[o] * 3, *b = row + mx->i1[o] * 3;
        float dx = mx->d[o], l0 = a[0], l1 = a[1], l2 = a[2];
        out[o * 3] = l0 + ((float)b[0] - l0) * dx;
        out[o * 3 + 1] = l1 + ((float)b[1] - l1) * dx;
        out[o * 3 + 2] = l2 + ((float)b[2] - l2) * dx;
    }
    for (int o = hi; o < size; o++)
        resample_edge(row, mx, o, out);
}

/* Output rows [y0, y1). */
static void rows_from_region(const image *img, int_rect r, int size, const input_norm *norm,
                             const axis_map *mx, const axis_map *my, int y0, int y1, float *out,
                             float *top, float *bottom)
{
    size_t stride = (size_t)img->width * 3;
    const uint8_t *origin = img->rgb + (size_t)r.y * stride + (size_t)r.x * 3;
    int lo = 0, hi = size;   /* the outputs whose two taps are inside the region: the
                                padding is at the ends, so they are one range */
    while (lo < size && !(mx->m0[lo] && mx->m1[lo]))
        lo++;
    while (hi > lo && !(mx->m0[hi - 1] && mx->m1[hi - 1]))
        hi--;
    int have_top = -1, have_bottom = -1;   /* output row whose taps the buffers hold */
    for (int oy = y0; oy < y1; oy++) {
        int a = my->i0[oy], b = my->i1[oy];
        float ma = my->m0[oy], mb = my->m1[oy];
        if (have_top < 0 || my->i0[have_top] != a || my->m0[have_top] != ma) {
            if (have_bottom >= 0 && my->i1[have_bottom] == a && my->m1[have_bottom] == ma) {
                float *t = top;   /* slide down: the old bottom row is the new top */
                top = bottom;
                bottom = t;
                have_bottom = -1;
            } else {
                resample_row(ma ? origin + (size_t)a * stride : NULL, mx, lo, hi, size, top);
            }
        }
        have_top = oy;
        if (have_bottom < 0 || my->i1[have_bottom] != b || my->m1[have_bottom] != mb)
            resample_row(mb ? origin + (size_t)b * stride : NULL, mx, lo, hi, size, bottom);
        have_bottom = oy;
        float dy = my->d[oy];
        float *o = out + (size_t)oy * size * 3;
        const float m0 = norm->mean[0], m1 = norm->mean[1], m2 = norm->mean[2];
        const float s = norm->scale, off = norm->offset;
        for (int i = 0; i < size * 3; i += 3) {
            float t0 = top[i], t1 = top[i + 1], t2 = top[i + 2];
            o[i] = (t0 + (bottom[i] - t0) * dy - m0) * s + off;
            o[i + 1] = (t1 + (bottom[i + 1] - t1) * dy - m1) * s + off;
            o[i + 2] = (t2 + (bottom[i + 2] - t2) * dy - m2) * s + off;
        }
    }
}

void input_from_region(const image *img, int_rect r, int size, int centred, const input_norm *norm,
                       float *out)
{
    input_rows_from_region(img, r, size, centred, norm, size, out);
}

void input_rows_from_region(const image *img, int_rect r, int size, int centred,
                            const input_norm *norm, int rows, float *out)
{
    /* Padded square: side = max(w,h); the region sits at (pad_x, pad_y) in it. */
    int side = r.w > r.h ? r.w : r.h;
    int diff = abs(r.w - r.h);
    int after = js_round(diff * (centred ? 0.5 : 1.0));
    int before = centred ? diff - after : 0;
    int pad_x = r.w < r.h ? before : 0;
    int pad_y = r.h < r.w ? before : 0;

    axis_map mx = {0}, my = {0};
    int threads = size >= 64 ? omp_get_max_threads() : 1;
    float *buf = malloc((size_t)threads * size * 3 * 2 * sizeof *buf);
    if (!buf || axis_map_init(&mx, size, side, pad_x, r.w) < 0 ||
        axis_map_init(&my, size, side, pad_y, r.h) < 0) {
        /* Out of memory for a few KB: leave a zero input rather than crash. */
        memset(out, 0, (size_t)rows * size * 3 * sizeof *out);
    } else {
#pragma omp parallel for num_threads(threads) schedule(static, 1)
        for (int t = 0; t < threads; t++) {
            float *top = buf + (size_t)t * size * 6, *bottom = top + (size_t)size * 3;
            rows_from_region(img, r, size, norm, &mx, &my, rows * t / threads,
                             rows * (t + 1) / threads, out, top, bottom);
        }
    }
    axis_map_free(&mx);
    axis_map_free(&my);
    free(buf);
}

void input_from_transform(const image *img, const double m[6], int size, const input_norm *norm,
                          float *out)
{
    const int w = img->width, h = img->height;
    const size_t stride = (size_t)w * 3;
#pragma omp parallel for if (size >= 64) schedule(static)
    for (int v = 0; v < size; v++)
        for (int u = 0; u < size; u++) {
            double x = m[0] * u + m[1] * v + m[2], y = m[3] * u + m[4] * v + m[5];
            int x0 = (int)floor(x), y0 = (int)floor(y);
            float dx = (float)(x - x0), dy = (float)(y - y0);
            float *o = out + ((size_t)v * size + u) * 3;
            /* The four taps, 0 outside the picture (one test when all are inside). */
            const uint8_t *p = NULL, *q = NULL;
            int inside = x0 >= 0 && y0 >= 0 && x0 < w - 1 && y0 < h - 1;
            if (inside) {
                p = img->rgb + (size_t)y0 * stride + (size_t)x0 * 3;
                q = p + stride;
            }
            for (int c = 0; c < 3; c++) {
                float t[2][2];
                if (inside) {
                    t[0][0] = p[c], t[0][1] = p[3 + c], t[1][0] = q[c], t[1][1] = q[3 + c];
                } else {
                    for (int j = 0; j < 2; j++)
                        for (int i = 0; i < 2; i++) {
                            int xx = x0 + i, yy = y0 + j;
                            t[j][i] = xx >= 0 && yy >= 0 && xx < w && yy < h
                                          ? img->rgb[(size_t)yy * stride + (size_t)xx * 3 + c]
                                          : 0.0f;
                        }
                }
                float top = t[0][0] + (t[0][1] - t[0][0]) * dx;
                float bottom = t[1][0] + (t[1][1] - t[1][0]) * dx;
                float val = top + (bottom - top) * dy;
                o[c] = (val - norm->mean[c]) * norm->scale + norm->offset;
            }
        }
}

void input_normalize(const image *img, const input_norm *norm, float *out)
{
    const size_t n = (size_t)img->width * img->height;
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < 3; c++)
            out[i * 3 + c] = ((float)img->rgb[i * 3 + c] - norm->mean[c]) * norm->scale + norm->offset;
}
