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

#endif
