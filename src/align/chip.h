/* chip.h - dlib's face chip: the crop dlib's ResNet was trained on.
 *
 * dlib cuts the 150x150 input of its face recognition net with
 * get_face_chip_details(shape, 150, 0.25) and extract_image_chip
 * (dlib/image_transforms/interpolation.h); this reproduces both from our 68
 * landmarks (iBUG order, as dlib's shape predictor):
 *
 *  - locate: the similarity transform (least squares: rotation, uniform
 *    scale, shift) that takes dlib's mean face shape, padded by `padding` of
 *    its size on every side and scaled to the chip, onto the landmarks. Only
 *    the nose, the eyes and the upper lip count (landmarks 27-54 and 60-64):
 *    not the jaw line, the eyebrows or the lower lip, which move with
 *    expression. The chip covers a square of side size*scale centred on the
 *    transform of the chip's centre, turned by the transform's angle.
 *  - extract: the chip's corner pixels land on that square's corners
 *    (dlib's rectangles count both ends: side = right - left + 1), each
 *    pixel bilinear from the 4 nearest, the value truncated to 8 bits, black
 *    where a tap falls outside the picture. A square more than about twice
 *    the chip's side is sampled from an image pyramid instead (each level a
 *    5-tap binomial filter, then every other row and column, as dlib's
 *    pyramid_down<2>), so a big face is not aliased.
 *
 * dlib's net then takes (v - mean[c]) / 256 (dlib/dnn/input.h), where
 * face-api's port divides by 255: see chip_norm.
 *
 * chip_jitter is dlib's jitter_image (the same file), with our own random
 * numbers: dlib's published 99.38% on LFW averages the descriptors of 100
 * such copies of each chip. */
#ifndef CELEB_ALIGN_CHIP_H
#define CELEB_ALIGN_CHIP_H

#include <stdint.h>

#include "input.h"

#define CHIP_SIZE 150          /* dlib_face_recognition_resnet_model_v1's input */
#define CHIP_PADDING 0.25      /* dnn_face_recognition_ex.cpp: get_face_chip_details(shape, 150, 0.25) */

/* (v - mean) / 256, dlib's input_rgb_image. */
extern const input_norm chip_norm;

/* Where a chip lies in its picture (dlib's chip_details). */
typedef struct face_chip {
    double cx, cy;   /* centre of the square the chip covers, picture pixels */
    double side;     /* its side in picture pixels, counting both end pixels */
    double angle;    /* its rotation, radians (x towards y) */
} face_chip;

/* get_face_chip_details(pts, size, padding). */
face_chip chip_locate(const double pts[68][2], int size, double padding);

/* extract_image_chip: out becomes a size x size image (allocated here,
 * image_free it). Returns 0 or CELEB_ENOMEM. */
int chip_extract(const image *img, const face_chip *c, int size, image *out);

/* jitter_image: a copy of the square chip `in`, its content zoomed in by
 * 0-3%, turned by up to 3 degrees, shifted by up to 2% of its side and, one
 * time in two, mirrored left to right; the draws come from *rng (any seed;
 * the same seed gives the same copies). out is allocated as in's size.
 * Returns 0 or CELEB_ENOMEM. */
int chip_jitter(const image *in, uint64_t *rng, image *out);

#endif
