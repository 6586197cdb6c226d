/* chip.c - dlib's face chip, see chip.h. */
#include "chip.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "align.h"

const input_norm chip_norm = {{122.782f, 117.001f, 104.298f}, 1.0f / 256.0f, 0.0f};

// ----------------------------------------------------------------------------
// Locate

/* dlib's mean face shape (get_face_chip_details), in a unit square, at the
 * 33 landmarks it aligns on: 27-35 the nose, 36-47 the eyes, 48-54 the outer
 * upper lip, 60-64 the inner upper lip. */
static const struct { int landmark; double x, y; } mean_face[] = {
    {27, 0.490127, 0.203352}, {28, 0.490127, 0.307009}, {29, 0.490127, 0.409805},
    {30, 0.490127, 0.515625}, {31, 0.36688, 0.587326},  {32, 0.426036, 0.609345},
    {33, 0.490127, 0.628106}, {34, 0.554217, 0.609345}, {35, 0.613373, 0.587326},
    {36, 0.121737, 0.216423}, {37, 0.187122, 0.178758}, {38, 0.265825, 0.179852},
    {39, 0.334606, 0.231733}, {40, 0.260918, 0.245099}, {41, 0.182743, 0.244077},
    {42, 0.645647, 0.231733}, {43, 0.714428, 0.179852}, {44, 0.793132, 0.178758},
    {45, 0.858516, 0.216423}, {46, 0.79751, 0.244077},  {47, 0.719335, 0.245099},
    {48, 0.254149, 0.780233}, {49, 0.340985, 0.745405}, {50, 0.428858, 0.727388},
    {51, 0.490127, 0.742578}, {52, 0.551395, 0.727388}, {53, 0.639268, 0.745405},
    {54, 0.726104, 0.780233}, {60, 0.290379, 0.784792}, {61, 0.428096, 0.778746},
    {62, 0.490127, 0.785343}, {63, 0.552157, 0.778746}, {64, 0.689874, 0.784792},
};
#define MEAN_FACE_POINTS ((int)(sizeof mean_face / sizeof mean_face[0]))

face_chip chip_locate(const double pts[68][2], int size, double padding)
{
    double from[MEAN_FACE_POINTS][2], to[MEAN_FACE_POINTS][2], m[6];
    for (int i = 0; i < MEAN_FACE_POINTS; i++) {
        from[i][0] = (padding + mean_face[i].x) / (2 * padding + 1) * size;
        from[i][1] = (padding + mean_face[i].y) / (2 * padding + 1) * size;
        to[i][0] = pts[mean_face[i].landmark][0];
        to[i][1] = pts[mean_face[i].landmark][1];
    }
    align_fit_similarity(from, to, MEAN_FACE_POINTS, m);
    /* m = [a -b tx; b a ty]: the angle and scale of (1, 0)'s image; the
     * square is centred on the image of the chip's centre (size/2, size/2). */
    face_chip c;
    c.angle = atan2(m[3], m[0]);
    c.side = size * hypot(m[0], m[3]);
    c.cx = m[0] * size / 2.0 + m[1] * size / 2.0 + m[2];
    c.cy = m[3] * size / 2.0 + m[4] * size / 2.0 + m[5];
    return c;
}

// ----------------------------------------------------------------------------
// Sampling

/* A rectangle in dlib's convention: both end pixels count. */
typedef struct drect { double l, t, r, b; } drect;

static double drect_area(drect d)
{
    return d.l > d.r || d.t > d.b ? 0 : (d.r - d.l + 1) * (d.b - d.t + 1);
}

/* pyramid_down<2>'s rect_down: where a rectangle lies one level down. */
static drect drect_down(drect d)
{
    return (drect){d.l / 2 - 1.25, d.t / 2 - 0.75, d.r / 2 - 1.25, d.b / 2 - 0.75};
}

/* p turned by angle about (cx, cy). */
static void rotate(double cx, double cy, double angle, double x, double y, double *ox, double *oy)
{
    double c = cos(angle), s = sin(angle);
    *ox = cx + c * (x - cx) - s * (y - cy);
    *oy = cy + s * (x - cx) + c * (y - cy);
}

/* out (already allocated) from src over rect d turned by angle about its
 * centre: out's corner pixels on d's corners, bilinear, truncated, black
 * where a tap is outside src (dlib's transform_image with
 * interpolate_bilinear and a black background). */
static void sample_rect(const image *src, drect d, double angle, image *out)
{
    double cx = (d.l + d.r) / 2, cy = (d.t + d.b) / 2, x0, y0, x1, y1, x2, y2;
    rotate(cx, cy, angle, d.l, d.t, &x0, &y0);   /* out (0, 0) */
    rotate(cx, cy, angle, d.r, d.t, &x1, &y1);   /* out (w-1, 0) */
    rotate(cx, cy, angle, d.l, d.b, &x2, &y2);   /* out (0, h-1) */
    double wu = out->width > 1 ? out->width - 1 : 1, hv = out->height > 1 ? out->height - 1 : 1;
    double ux = (x1 - x0) / wu, uy = (y1 - y0) / wu, vx = (x2 - x0) / hv, vy = (y2 - y0) / hv;
    const size_t stride = (size_t)src->width * 3;
    /* Rows over the threads for a full chip, as the other net inputs are. */
#pragma omp parallel for if (out->height >= 64) schedule(static)
    for (int v = 0; v < out->height; v++)
        for (int u = 0; u < out->width; u++) {
            double x = x0 + u * ux + v * vx, y = y0 + u * uy + v * vy;
            uint8_t *o = out->rgb + ((size_t)v * out->width + u) * 3;
            double left = floor(x), top = floor(y);
            if (!(left >= 0 && top >= 0 && left + 1 < src->width && top + 1 < src->height)) {
                o[0] = o[1] = o[2] = 0;
                continue;
            }
            double fx = x - left, fy = y - top;
            const uint8_t *p = src->rgb + (size_t)top * stride + (size_t)left * 3, *q = p + stride;
            for (int c = 0; c < 3; c++) {
                double val = (1 - fy) * ((1 - fx) * p[c] + fx * p[3 + c]) +
                             fy * ((1 - fx) * q[c] + fx * q[3 + c]);
                o[c] = (uint8_t)val;   /* dlib's assign_pixel: truncation */
            }
        }
}

/* pyramid_down<2>: a 1-4-6-4-1 filter across, then down, keeping every
 * other row and column: out pixel (x, y) is centred on in (2x+2, 2y+2);
 * out is (w-3)/2 x (h-3)/2, empty when in is 8 pixels or less across. */
static int pyramid_down(const image *in, image *out)
{
    static const int w[5] = {1, 4, 6, 4, 1};
    memset(out, 0, sizeof *out);
    if (in->width <= 8 || in->height <= 8)
        return CELEB_OK;
    int ow = (in->width - 3) / 2, oh = (in->height - 3) / 2;
    uint16_t *rows = malloc((size_t)in->height * ow * 3 * sizeof *rows);
    if (!rows || image_alloc(out, ow, oh) < 0) {
        free(rows);
        return CELEB_ENOMEM;
    }
    const int big = in->width * in->height >= 65536;   /* worth the threads */
    (void)big;   /* a build without OpenMP (clang's fuzz build) drops the pragmas */
#pragma omp parallel for if (big) schedule(static)
    for (int y = 0; y < in->height; y++)
        for (int x = 0; x < ow; x++)
            for (int c = 0; c < 3; c++) {
                int s = 0;
                for (int k = 0; k < 5; k++)
                    s += w[k] * in->rgb[((size_t)y * in->width + 2 * x + k) * 3 + c];
                rows[((size_t)y * ow + x) * 3 + c] = (uint16_t)s;
            }
#pragma omp parallel for if (big) schedule(static)
    for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++)
            for (int c = 0; c < 3; c++) {
                int s = 0;
                for (int k = 0; k < 5; k++)
                    s += w[k] * rows[((size_t)(2 * y + k) * ow + x) * 3 + c];
                out->rgb[((size_t)y * ow + x) * 3 + c] = (uint8_t)(s / 256);
            }
    free(rows);
    return CELEB_OK;
}

/* The part x0..x1, y0..y1 (inclusive, inside img) of img. */
static int crop(const image *img, int x0, int y0, int x1, int y1, image *out)
{
    if (image_alloc(out, x1 - x0 + 1, y1 - y0 + 1) < 0)
        return CELEB_ENOMEM;
    for (int y = y0; y <= y1; y++)
        memcpy(out->rgb + (size_t)(y - y0) * out->width * 3,
               img->rgb + ((size_t)y * img->width + x0) * 3, (size_t)out->width * 3);
    return CELEB_OK;
}

static double round_half_up(double v) { return floor(v + 0.5); }

int chip_extract(const image *img, const face_chip *c, int size, image *out)
{
    if (image_alloc(out, size, size) < 0)
        return CELEB_ENOMEM;
    const double area = (double)size * size, half = (c->side - 1) / 2;
    drect d = {c->cx - half, c->cy - half, c->cx + half, c->cy + half};

    /* How many pyramid levels, and the border they need (extract_image_chips). */
    int depth = 0;
    double grow = 2;
    for (drect k = drect_down(d); drect_area(k) > area; k = drect_down(k)) {
        depth++;
        grow = grow * 2 + 2;
    }
    /* The turned square's bounding box, grown, inside the picture, in whole pixels. */
    double bx0 = INFINITY, by0 = INFINITY, bx1 = -INFINITY, by1 = -INFINITY;
    const double corner[4][2] = {{d.l, d.t}, {d.r, d.t}, {d.l, d.b}, {d.r, d.b}};
    for (int i = 0; i < 4; i++) {
        double x, y;
        rotate(c->cx, c->cy, c->angle, corner[i][0], corner[i][1], &x, &y);
        bx0 = fmin(bx0, x), by0 = fmin(by0, y), bx1 = fmax(bx1, x), by1 = fmax(by1, y);
    }
    double l = round_half_up(fmax(bx0 - grow, 0)), t = round_half_up(fmax(by0 - grow, 0));
    double r = round_half_up(fmin(bx1 + grow, img->width - 1));
    double b = round_half_up(fmin(by1 + grow, img->height - 1));
    if (!(l <= r && t <= b) || !isfinite(l + t + r + b)) {
        memset(out->rgb, 0, (size_t)size * size * 3);   /* nothing of it in the picture */
        return CELEB_OK;
    }

    image level = {0}, next = {0};
    int rc = crop(img, (int)l, (int)t, (int)r, (int)b, &level);
    d = (drect){d.l - l, d.t - t, d.r - l, d.b - t};
    for (int i = 0; rc == 0 && i < depth && drect_area(drect_down(d)) > area; i++) {
        rc = pyramid_down(&level, &next);
        image_free(&level);
        level = next;
        d = drect_down(d);
    }
    if (rc == 0)
        sample_rect(&level, d, c->angle, out);
    image_free(&level);
    if (rc < 0)
        image_free(out);
    return rc;
}

// ----------------------------------------------------------------------------
// Jitter

/* splitmix64, then a double in [lo, hi). */
static double uniform(uint64_t *state, double lo, double hi)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return lo + (hi - lo) * (double)(z >> 11) / 9007199254740992.0;
}

int chip_jitter(const image *in, uint64_t *rng, image *out)
{
    const double pi = 3.14159265358979323846;
    if (image_alloc(out, in->width, in->height) < 0)
        return CELEB_ENOMEM;
    /* jitter_image: the chip less 3 pixels a side is the object; a square
     * 0.97-1 times bigger than it (integer side), moved by up to 2% of it
     * (whole pixels), turned by up to 3 degrees, is cut back to full size. */
    const int w = in->width - 6, h = in->height - 6;
    double tx = round_half_up(uniform(rng, -0.02, 0.02) * w);
    double ty = round_half_up(uniform(rng, -0.02, 0.02) * h);
    long box = (long)(h / uniform(rng, 0.97, 0.99999));
    double cx = floor((3 + 3 + w - 1 + 1) / 2.0) + tx, cy = floor((3 + 3 + h - 1 + 1) / 2.0) + ty;
    double left = cx - (double)(box / 2), top = cy - (double)(box / 2);
    drect d = {left, top, left + box - 1, top + box - 1};
    double angle = uniform(rng, -3, 3) * pi / 180;
    sample_rect(in, d, angle, out);
    if (uniform(rng, 0, 1) > 0.5)   /* flip_image_left_right */
        for (int y = 0; y < out->height; y++) {
            uint8_t *row = out->rgb + (size_t)y * out->width * 3;
            for (int x = 0; x < out->width / 2; x++)
                for (int c = 0; c < 3; c++) {
                    uint8_t t = row[x * 3 + c];
                    row[x * 3 + c] = row[(out->width - 1 - x) * 3 + c];
                    row[(out->width - 1 - x) * 3 + c] = t;
                }
        }
    return CELEB_OK;
}
