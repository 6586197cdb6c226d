/* recognition.h - dlib's ResNet face recognition net: 150x150 RGB -> 128-D.
 *
 * NOTES.md §3. The descriptor is NOT L2-normalised (norms are ~1.3-1.7);
 * two faces are the same person when their Euclidean distance is < 0.6. */
#ifndef CELEB_EMBED_RECOGNITION_H
#define CELEB_EMBED_RECOGNITION_H

#include "../nn/nn.h"

#define RECOG_INPUT 150
#define RECOG_DIM 128

/* Per-channel mean (R,G,B) subtracted before /255 (face-api's normalize). */
extern const float recog_mean_rgb[3];

typedef struct recog_block {
    nn_conv_layer conv1;   /* 3x3, ReLU; stride 2 valid when `down`, else stride 1 same */
    nn_conv_layer conv2;   /* 3x3 stride 1 same; plain blocks: + shortcut then ReLU, fused */
    int down;              /* shortcut = avgpool 2x2 + zero channels, see residual_down */
    int cin, cout;
} recog_block;

typedef struct recog_net {
    nn_conv_layer conv32_down;   /* 7x7x3 -> 32, stride 2 valid, ReLU: 150 -> 72 */
    nn_pool_layer max_pool;      /* 3x3 stride 2 valid: 72 -> 35 */
    recog_block blocks[14];      /* conv32_1..3, conv64_down, conv64_1..3, conv128_down,
                                    conv128_1..2, conv256_down, conv256_1..2, conv256_down_out:
                                    35 -> 17 -> 8 -> 4 -> 2 (see residual_down) */
    nn_pool_layer shortcut_pool[4];   /* avgpool 2x2 s2 valid, 32/64/128/256 ch, for the down blocks */
    nn_fc_layer fc;              /* 256 -> 128, no bias */
    nn_exec exec;
    char weights_sha256[65];     /* of the weights file (nn_weights.sha256) */
} recog_net;

/* Loads face_recognition_model-weights_manifest.json from model_dir.
 * Returns 0 or CELEB_EMODEL/CELEB_EIO with err set. Free with recog_free. */
int recog_load(recog_net *net, const nn_ctx *ctx, const char *model_dir, celeb_error *err);
void recog_free(recog_net *net);

/* inputs: n images of 150x150x3, already normalised ((v - mean)/255).
 * Writes n x 128 floats to out. Returns 0 or an error. */
int recog_forward(recog_net *net, const float *inputs, int n, float *out, celeb_error *err);

#endif
