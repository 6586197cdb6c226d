/* input.h - build a net's input tensor from a region of an RGB8 image.
 *
 * face-api's NetInput.toBatchTensor in one pass (NOTES.md §2.4, §4, §6):
 * cut the region, zero-pad it to a square (centred, or at the bottom/right
 * end), resize bilinearly to size x size with TensorFlow's legacy sampling
 * (alignCorners=false, halfPixelCenters=false), then normalise each channel
 * as (v - mean[c]) * scale + offset. The padding is virtual: nothing the
 * size of the padded square is allocated. */
#ifndef CELEB_ALIGN_INPUT_H
#define CELEB_ALIGN_INPUT_H

#include "../core/image.h"

typedef struct input_norm {
    float mean[3];   /* per-channel R, G, B subtracted first */
    float scale;     /* then multiplied */
    float offset;    /* then added */
} input_norm;

typedef struct int_rect { int x, y, w, h; } int_rect;

/* Writes out[size][size][3]. The region must lie inside img and be non-empty.
 * centred: pad both sides (landmark, recognition nets) or only the end (detectors). */
void input_from_region(const image *img, int_rect region, int size, int centred,
                       const input_norm *norm, float *out);

/* The first `rows` rows of the same (the rest of out is not written). */
void input_rows_from_region(const image *img, int_rect region, int size, int centred,
                            const input_norm *norm, int rows, float *out);

/* A size x size input sampled from img through an affine map m (chip
 * pixel (u, v) -> image point (m0 u + m1 v + m2, m3 u + m4 v + m5)),
 * bilinear, zero outside the image, then normalised as above. */
void input_from_transform(const image *img, const double m[6], int size, const input_norm *norm,
                          float *out);

/* img's pixels as they are (width x height x 3), normalised as above. */
void input_normalize(const image *img, const input_norm *norm, float *out);

#endif
