/* detect.h - face-api's two face detectors: SSD MobileNetV1 and TinyFaceDetector.
 *
 * NOTES.md §4 (SSD) and §6 (tiny). Both take the whole RGB8 image, pad it at
 * the bottom/right to a square, resize it bilinearly to the net's input size
 * and return boxes in source-image pixels, best score first, after NMS.
 *
 * Box semantics are face-api's, computed in double as JS does:
 *   SSD:  x, y >= 0 (clamped in relative coordinates); x+w, y+h may pass the
 *         right/bottom edge slightly (into the padding).
 *   tiny: not clamped at all; x, y may be negative, x+w, y+h past the edges.
 *
 * A net (its layers and its arena) is used by one call at a time; the
 * thread pool of the nn_ctx may be shared. After the first call a net
 * allocates nothing. */
#ifndef CELEB_DETECT_DETECT_H
#define CELEB_DETECT_DETECT_H

#include "../core/image.h"
#include <stdint.h>

#include "../nn/nn.h"

typedef struct face_box {
    double x, y, w, h;   /* source-image pixels, unrounded (reference `box`) */
    double score;        /* SSD: float32 sigmoid; tiny: double sigmoid of a float32 logit */
} face_box;

// ----------------------------------------------------------------------------
// SSD MobileNetV1 (512 x 512 input)

#define SSD_INPUT 512
#define SSD_ANCHORS 5118
#define SSD_MIN_SCORE 0.5
#define SSD_MAX_RESULTS 100

struct det_cand;   /* a scored box for the NMS, see nms.h */

/* Layer outputs of the SSD chain: conv0, 13 x (depthwise, pointwise), 8
 * extra layers, 6 predictors. */
#define SSD_STAGES (1 + 26 + 8 + 6)

typedef struct ssd_net {
    nn_conv_layer conv0;           /* 3x3x3 -> 32, stride 2 same, +bn_offset, ReLU6: 512 -> 256 */
    nn_conv_layer depthwise[13];   /* conv_1..13: 3x3 depthwise, BatchNorm folded, ReLU6, same;
                                      stride 2 for conv_2,4,6,12: 256 -> 128 -> 64 -> 32 -> 16 */
    nn_conv_layer pointwise[13];   /* conv_1..13: 1x1 -> 64,128,128,256,256,512 x6,1024,1024,
                                      +bn_offset, ReLU6; conv_11's output is a feature map */
    nn_conv_layer extra[8];        /* Prediction/Conv2d_0..7: 1x1 -> 256, 3x3 s2 -> 512 (8x8),
                                      1x1 -> 128, 3x3 s2 -> 256 (4x4), 1x1 -> 128, 3x3 s2 -> 256
                                      (2x2), 1x1 -> 64, 3x3 s2 -> 128 (1x1); +offset, ReLU6 */
    nn_conv_layer predictor[6];    /* BoxPredictor_0..5: BoxEncodingPredictor (4A ch) and
                                      ClassPredictor (3A ch) merged into one 1x1 conv of 7A
                                      channels, A = 3 anchors/cell for _0, 6 for the others; on
                                      32x32x512, 16x16x1024, 8x8x512, 4x4x256, 2x2x256, 1x1x128 */
    float (*anchor)[4];            /* [5118] (cy, cx, ha, wa) from Output/extra_dim, float32 */
    /* What every layer outputs for an input that is all padding, row by row
     * (equal neighbouring rows shared): for a wide image, the rows below the
     * picture come from here instead of being computed. See ssd_detect. */
    const float **pad_row[SSD_STAGES];   /* [stage][row] -> row of w*c floats */
    int pad_h[SSD_STAGES], pad_len[SSD_STAGES];   /* [stage]: rows, floats a row */
    int32_t *pad_blob[SSD_STAGES];       /* [stage]: the rows as stored (see ssd.c), owned;
                                            NULL when they are in the store's file */
    int have_pad;                        /* pad_row is made */
    int wide_images;                     /* seen before pad_row was made */
    struct det_cand *cand;         /* [5118] scratch for the score filter and NMS */
    int *keep;                     /* [5118] NMS output */
    nn_exec exec;
    char weights_sha256[65];     /* of the weights file (nn_weights.sha256) */
} ssd_net;

/* Loads ssd_mobilenetv1_model-weights_manifest.json from model_dir.
 * Returns 0 or CELEB_EMODEL/CELEB_EIO/CELEB_ENOMEM with err set. */
int ssd_load(ssd_net *net, const nn_ctx *ctx, const char *model_dir, celeb_error *err);
void ssd_free(ssd_net *net);

/* face-api's SsdMobilenetv1.locateFaces(img, {minConfidence, maxResults}).
 * Faces with score > min_score (face-api default 0.5), greedy NMS at IoU 0.5,
 * at most max_results (default 100). Writes at most cap faces to out, best
 * first, and their number to *n. Returns 0 or an error. */
int ssd_detect(ssd_net *net, const image *img, double min_score, int max_results, face_box *out,
               int cap, int *n, celeb_error *err);

// ----------------------------------------------------------------------------
// TinyFaceDetector (input_size x input_size, default 416)

#define TINY_DEFAULT_INPUT 416
#define TINY_MIN_SCORE 0.5
#define TINY_ANCHORS 5

typedef struct tiny_net {
    int input_size;           /* multiple of 32; the output grid is input_size/32 cells */
    nn_conv_layer conv0;      /* 3x3x3 -> 16 valid + bias, then leaky: S -> S-2 */
    nn_conv_layer dw[5];      /* conv1..5: 3x3 depthwise, no bias, same (= pad 1 then valid) */
    nn_conv_layer pw[5];      /* conv1..5: 1x1 -> 32,64,128,256,512 + bias, then leaky */
    nn_pool_layer pool[6];    /* max 2x2 same after conv0..conv5: stride 2 (16,32,64,128,256 ch),
                                 stride 1 after conv5 (512 ch). 416: 414 -> 207 -> 104 -> 52
                                 -> 26 -> 13 -> 13 */
    nn_conv_layer conv8;      /* 1x1x512 -> 25 = 5 anchors x (tx,ty,tw,th,to) + bias, valid */
    struct det_cand *cand;    /* [cells*cells*5] scratch for the score filter and NMS */
    int *keep;                /* [cells*cells*5] NMS output */
    nn_exec exec;
    char weights_sha256[65];     /* of the weights file (nn_weights.sha256) */
} tiny_net;

/* Loads tiny_face_detector_model-weights_manifest.json from model_dir.
 * input_size must be a positive multiple of 32 (face-api's default is 416). */
int tiny_load(tiny_net *net, const nn_ctx *ctx, const char *model_dir, int input_size,
              celeb_error *err);
void tiny_free(tiny_net *net);

/* face-api's TinyFaceDetector.locateFaces(img, {inputSize, scoreThreshold}).
 * Faces with score > min_score (default 0.5), greedy NMS at IoU 0.4, no
 * maximum count. Writes at most cap faces to out, best first, and their
 * number to *n. Returns 0 or an error. */
int tiny_detect(tiny_net *net, const image *img, double min_score, face_box *out, int cap, int *n,
                celeb_error *err);

#endif
