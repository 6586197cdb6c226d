/* align.h - the geometry between the nets: box clipping, landmark
 * un-padding and the recognition crop (face-api's dlib alignment).
 * Formulas: NOTES.md §2 and §5; all reproduce face-api bit for bit in
 * double precision, where face-api computes in double. */
#ifndef CELEB_ALIGN_H
#define CELEB_ALIGN_H

#include "input.h"

/* face-api Box.clipAtImageBorders then floor: the region a net is run on.
 * The result may be empty (w or h <= 0) for a box outside the image. */
int_rect box_clip(double x, double y, double w, double h, int img_w, int img_h);

/* Landmark net output (136 values relative to its 112 square) to image
 * points: undo the centred padding of a crop of size crop.w x crop.h, scale
 * to the crop, then add the raw (unclipped, unfloored) box corner. */
void landmarks_to_image(const float *out136, int crop_w, int crop_h, double box_x, double box_y,
                        double pts[68][2]);

/* FaceLandmarks.alignDlib: the rectangle fed to the recognition net. crop_w,
 * crop_h are the size of the crop the landmark net ran on. */
int_rect align_rect_dlib(const double pts[68][2], int crop_w, int crop_h);

/* Where a similarity-aligned 150x150 chip puts the 5 points (eye centres,
 * nose tip, mouth corners): their mean position in face-api's own crops,
 * measured over the 210 SSD faces of ../shared/reference/faceapi/ssd.jsonl,
 * so the chips keep the scale and place the recognition net expects, with
 * the head's roll removed. */
extern const double align_template150[5][2];

/* The 5 points of 68 landmarks: eye centres (mean of 36-41, 42-47), nose
 * tip (30), mouth corners (48, 54). */
void align_five_points(const double pts[68][2], double five[5][2]);

/* The similarity transform (rotation, uniform scale, shift) m that takes
 * the n points `from` nearest to the points `to` in least squares: to ~=
 * (m[0]*x + m[1]*y + m[2], m[3]*x + m[4]*y + m[5]) with m[0] = m[4] and
 * m[1] = -m[3]. */
void align_fit_similarity(const double (*from)[2], const double (*to)[2], int n, double m[6]);

/* The similarity transform (rotation, uniform scale, shift) that maps chip
 * pixel (u, v) to the image point (m[0]*u + m[1]*v + m[2], m[3]*u + m[4]*v +
 * m[5]), fitted by least squares so the face's 5 points land on the
 * template scaled to a size x size chip. */
void align_similarity(const double pts[68][2], int size, double m[6]);

#endif
