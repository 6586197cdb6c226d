/* faceness.h - is a detection a human face? A check on its 68 landmarks.
 *
 * SSD MobileNetV1 scores the face of a dog in ../shared/data/media/dlib_dogs.jpg
 * 0.785, above many true faces (they go down to 0.50), and the landmark and
 * recognition nets fit a face onto it as well. Its proportions give it away:
 * the landmark net puts its eyes far apart for the size of its eyes, nose and
 * mouth. The faceness is
 *
 *     (width of the left eye + right eye + nose + mouth) / distance between the eye centres
 *
 * (eye corners 36-39 and 42-45, nostril wings 31-35, mouth corners 48-54; eye
 * centres are the means of 36-41 and 42-47). It is invariant to rotation,
 * scale, shift and mirroring, and costs a few dozen flops: no net runs.
 *
 * Measured on every face the `celeb detect` engine finds (SSD + tiny, tight-crop
 * second look on photos, 20 sampled frames of animations and videos) in
 * ../shared/data/celebs (157 photos) and ../shared/data/media, 2026-11-25:
 *
 *   318 true faces   min 1.735 (dark video frame), photos min 1.757 (Madonna crop),
 *                    median 2.006, spread (sd of the lower half) 0.095
 *   the dog's face   1.563; the same face at 0.3x-1.5x, mirrored: 1.32-1.60
 *   face-api's own landmarks (../shared/reference/faceapi/{ssd,tiny416}.jsonl):
 *                    the dog 1.563, the 367 other faces >= 1.779
 *
 * FACE_FACENESS_MIN sits between the worst dog variant (1.602) and the worst
 * true face (1.735). Known limit: a strong profile, or a face the landmark net
 * cannot read (dark, blurred), can score lower: over every frame of
 * fr_short_hamilton_clip.mp4, 16 of its 329 true faces do (two people in
 * profile, one in the dark), yet each person there has a best face at 2.08
 * or more. So judge a person by its best face (the maximum over its faces),
 * not face by face. */
#ifndef CELEB_FACE_FACENESS_H
#define CELEB_FACE_FACENESS_H

#include "faces.h"

/* Below this a face is not a human face (see above). */
#define FACE_FACENESS_MIN 1.67f

/* The faceness of 68 landmarks (iBUG order, any pixel coordinates). 0 for
 * degenerate landmarks (both eye centres at one point, e.g. the zeroed
 * landmarks of a box outside the image) or non-finite ones. */
float face_faceness(const double landmarks[LM_POINTS][2]);

/* 1 when f's faceness is at least FACE_FACENESS_MIN, else 0. */
int face_is_face(const face *f);

#endif
