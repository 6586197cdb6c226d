/* sample.h - which frames of an animation or video to look at.
 *
 * GIPHY's system looked at 20 evenly spaced frames of a GIF; so do we, and
 * we also skip a sampled frame that is (nearly) the same picture as the last
 * one kept: GIFs repeat frames, and the face nets cost the same on a copy. */
#ifndef CELEB_MEDIA_SAMPLE_H
#define CELEB_MEDIA_SAMPLE_H

#include <stdint.h>

#include "../core/image.h"

#define SAMPLE_DEFAULT 20        /* frames per file, as GIPHY's celeb-detection-oss */
#define SAMPLE_SIG_SIDE 16       /* a frame's signature: 16x16 grey thumbnail */
#define SAMPLE_DUPLICATE_MAX 0.25 /* mean abs grey difference (0..255) below which two frames are
                                     the same picture: repeated GIF frames and video pulldown
                                     copies measure 0-0.13, the next frame of a 30 fps video 0.3+ */

/* GIPHY's evenly_spaced_sampling: frame ceil(i * n / k) for i < k, or all n
 * frames when k >= n. Writes min(k, n) ascending indices to out; returns that count. */
int sample_even(int n, int k, int *out);

typedef struct frame_sig {
    uint8_t grey[SAMPLE_SIG_SIDE * SAMPLE_SIG_SIDE];   /* box-filtered luma */
} frame_sig;

/* The signature of a frame: its luma averaged over a 16x16 grid. */
void frame_signature(const image *img, frame_sig *sig);

/* Mean absolute difference of two signatures, 0 (same) .. 255. */
double frame_sig_distance(const frame_sig *a, const frame_sig *b);

#endif
