/* landmark68.h - face-api's 68-point landmark net (face_landmark_68).
 *
 * NOTES.md §5. Input: 112x112 RGB crop of the detection box, zero-padded to
 * a square (centred) and normalised as (v - mean)/255. Output: 68 (x, y)
 * points relative to the 112 square, in iBUG 300-W order. */
#ifndef CELEB_LANDMARK68_H
#define CELEB_LANDMARK68_H

#include "../nn/nn.h"

#define LM_INPUT 112
#define LM_POINTS 68

extern const float lm_mean_rgb[3];

typedef struct lm_sepconv {
    nn_conv_layer depthwise;   /* 3x3 depthwise, stride 1 or 2, same, no bias */
    nn_conv_layer pointwise;   /* 1x1 cin -> cout + bias */
} lm_sepconv;

typedef struct lm_dense_block {
    nn_conv_layer conv0_full;  /* dense0 only: regular 3x3 conv s2 + bias, ReLU */
    lm_sepconv conv0;          /* dense1..3: separable conv s2 + bias, ReLU */
    lm_sepconv conv1, conv2, conv3;   /* separable s1, cout -> cout, no activation */
    int first;
} lm_dense_block;

typedef struct lm_net {
    lm_dense_block dense[4];   /* 112 -> 56 (32 ch) -> 28 (64) -> 14 (128) -> 7 (256) */
    nn_fc_layer fc;            /* 256 -> 136 + bias, after the 7x7 average pool */
    nn_exec exec;
    char weights_sha256[65];     /* of the weights file (nn_weights.sha256) */
} lm_net;

int lm_load(lm_net *net, const nn_ctx *ctx, const char *model_dir, celeb_error *err);
void lm_free(lm_net *net);

/* inputs: n normalised 112x112x3 crops. out: n x 136 raw outputs
 * (x0, y0, x1, y1, ...) relative to the 112 square. */
int lm_forward(lm_net *net, const float *inputs, int n, float *out, celeb_error *err);

#endif
