/* quality.h - how far one face can be trusted to name somebody.
 *
 * A descriptor is only as good as the picture it comes from: a face a few
 * pixels wide, blurred, in profile, cut by the frame edge, or no face at all
 * (a hand, a dog, a logo the detector took for one) lands somewhere in
 * descriptor space, often near some enrolled person. The quality of a face
 * is measured from what predicts a wrong name (see face_quality_value for
 * the measurements behind the combination):
 *
 *   score      the detector's confidence
 *   size       the face's size in pixels: the side of the square dlib's
 *              chip covers (chip.h), less its padding, i.e. about the width
 *              of the face from ear to ear
 *   fit        size over the detection box's longer side: about 0.66 for a
 *              face; landmarks that fit no face shape (a hand, a texture, a
 *              face the landmark net cannot read) shrink to a small cluster
 *   sharpness  detail: mean absolute Laplacian of a 64x64 grey chip of the
 *              face over its standard deviation (contrast-free; blur and
 *              upscaled small faces score low)
 *   frontal    1 for a face looking at the camera, towards 0 in profile:
 *              1 - |l - r| / (l + r) with l, r the distances from the nose
 *              tip to the outer eye corners along the eye line
 *   inside     share of the detection box inside the picture
 *   faceness   the landmarks' proportions (faceness.h): low for a dog
 *
 * Cheap: one 64x64 chip and a few dozen landmark operations; no net runs. */
#ifndef CELEB_FACE_QUALITY_H
#define CELEB_FACE_QUALITY_H

#include "../core/image.h"
#include "../detect/detect.h"
#include "../landmark/landmark68.h"

/* A face of lower quality never names a person on its own (see
 * face_quality_value for how it was chosen). */
#define FACE_QUALITY_TO_NAME 0.5f

typedef struct face_quality {
    float score, size, fit, sharpness, frontal, inside, faceness;
    float value;   /* the combination, 0 (useless) .. 1 (as good as a passport photo) */
} face_quality;

/* Measures a face of img from its detection box and 68 landmarks (iBUG
 * order, picture pixels), and combines the measures into q->value. */
void face_quality_measure(const image *img, const face_box *box,
                          const double landmarks[LM_POINTS][2], face_quality *q);

/* The combination of the measures of q (its value field is not read). */
float face_quality_value(const face_quality *q);

#endif
