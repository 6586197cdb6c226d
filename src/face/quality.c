/* quality.c - the measures of quality.h and their combination. */
#include "quality.h"

#include <math.h>

#include "../align/chip.h"
#include "faceness.h"

#define SHARP_CHIP 64   /* side of the grey chip sharpness is measured on */

/* Mean |Laplacian| / standard deviation over the middle of a grey chip of
 * the face (the eyes, nose and mouth: dlib's chip without its padding). */
static float sharpness(const image *img, const double pts[LM_POINTS][2])
{
    face_chip where = chip_locate(pts, SHARP_CHIP, CHIP_PADDING);
    image chip;
    if (chip_extract(img, &where, SHARP_CHIP, &chip) < 0)
        return 0;
    float g[SHARP_CHIP][SHARP_CHIP];
    for (int y = 0; y < SHARP_CHIP; y++)
        for (int x = 0; x < SHARP_CHIP; x++) {
            const uint8_t *p = chip.rgb + ((size_t)y * SHARP_CHIP + x) * 3;
            g[y][x] = 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2];
        }
    image_free(&chip);
    const int lo = SHARP_CHIP / 6, hi = SHARP_CHIP - SHARP_CHIP / 6;   /* padding 0.25 of 1.5 */
    double sum = 0, sum2 = 0, lap = 0;
    int n = 0;
    for (int y = lo; y < hi; y++)
        for (int x = lo; x < hi; x++, n++) {
            sum += g[y][x];
            sum2 += (double)g[y][x] * g[y][x];
            lap += fabsf(4 * g[y][x] - g[y - 1][x] - g[y + 1][x] - g[y][x - 1] - g[y][x + 1]);
        }
    double mean = sum / n, var = sum2 / n - mean * mean;
    return var > 1 ? (float)(lap / n / sqrt(var)) : 0;
}

/* 1 - |l - r| / (l + r): l, r the nose tip's distances from the outer eye
 * corners (36, 45), measured along the line between them. */
static float frontal(const double p[LM_POINTS][2])
{
    double ex = p[45][0] - p[36][0], ey = p[45][1] - p[36][1], len = hypot(ex, ey);
    if (!(len > 0))
        return 0;
    double l = ((p[30][0] - p[36][0]) * ex + (p[30][1] - p[36][1]) * ey) / len;
    double r = len - l;
    if (l <= 0 || r <= 0)   /* the nose tip outside the eyes: a full profile */
        return 0;
    return (float)(1 - fabs(l - r) / (l + r));
}

static float inside(const image *img, const face_box *b)
{
    double x0 = fmax(b->x, 0), y0 = fmax(b->y, 0);
    double x1 = fmin(b->x + b->w, img->width), y1 = fmin(b->y + b->h, img->height);
    double area = b->w * b->h;
    return area > 0 && x1 > x0 && y1 > y0 ? (float)((x1 - x0) * (y1 - y0) / area) : 0;
}

void face_quality_measure(const image *img, const face_box *box, const double pts[LM_POINTS][2],
                          face_quality *q)
{
    face_chip where = chip_locate(pts, CHIP_SIZE, CHIP_PADDING);
    q->score = (float)box->score;
    q->size = (float)(where.side / (1 + 2 * CHIP_PADDING));
    double side = fmax(box->w, box->h);
    q->fit = side > 0 ? (float)(q->size / side) : 0;
    q->sharpness = sharpness(img, pts);
    q->frontal = frontal(pts);
    q->inside = inside(img, box);
    q->faceness = face_faceness(pts);
    q->value = face_quality_value(q);
}

/* 0 at bad, 1 at good, linear between (either order). */
static float ramp(float v, float bad, float good)
{
    float t = (v - bad) / (good - bad);
    return t < 0 ? 0 : t > 1 ? 1 : t;
}

/* The weakest measure decides: each maps to 0..1 between a value that
 * marks a useless face and one every good face reaches, and a face is as
 * good as its worst. Measured on LFW View 1 (its 4,988 subject faces, the
 * chip crop) and on the dev media of ../shared/data/media (the 187 faces
 * `celeb detect` reports there, looked at one by one), 2026-12-07:
 *
 *   size       12 -> 28 px. LFW pairs with one photo scaled down so the face
 *              is 20 px: 96.9% right at LFW's threshold, false accepts
 *              2.2% (full size 98.6%, 1.0-1.6%); 25 px 97.8%, 30 px 98.0%.
 *   fit        0.30 -> 0.44. LFW faces 0.44 and up (0.1st percentile); the
 *              dev media's true faces 0.48 and up; its non-faces (hands,
 *              a wall, crowd blur, landmarks collapsed on a dark face)
 *              0.13-0.32.
 *   sharpness  0.08 -> 0.20. LFW 0.17 and up (0.1st percentile), pairs
 *              with a face under 0.2: 3.9% wrong against 0.7%; the non-faces
 *              0.02-0.16.
 *   frontal    0.05 -> 0.35. LFW pairs with a face under 0.2: 4.7% wrong,
 *              0.9% otherwise; the wrong name came from a profile.
 *   faceness   1.60 -> 1.72 and 2.75 -> 2.60. LFW faces 1.72-2.54; the
 *              dog 1.56 (faceness.h); collapsed landmarks 2.6-5.2.
 *   inside     0.6 -> 0.9: a face cut by the frame edge.
 *   score      0.2 -> 0.5: the detectors' threshold; only the last-resort
 *              candidates of a photo (faces.c) score lower.
 *
 * With FACE_QUALITY_TO_NAME 0.5: 38 of LFW View 1's 4,988 faces (0.8%) fall
 * below; the View 1 pairs with such a face are 6.5% wrong against 0.86% for
 * the others; on the dev media every non-face falls below and every named
 * true face stays above. */
float face_quality_value(const face_quality *q)
{
    const float r[] = {
        ramp(q->score, 0.2f, 0.5f),         ramp(q->size, 12, 28),
        ramp(q->fit, 0.30f, 0.44f),         ramp(q->sharpness, 0.08f, 0.20f),
        ramp(q->frontal, 0.05f, 0.35f),     ramp(q->inside, 0.6f, 0.9f),
        ramp(q->faceness, 1.60f, 1.72f),    ramp(q->faceness, 2.75f, 2.60f),
    };
    float v = 1;
    for (size_t i = 0; i < sizeof r / sizeof *r; i++)
        v = r[i] < v ? r[i] : v;
    return v;
}
