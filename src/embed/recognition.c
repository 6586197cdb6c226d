/* recognition.c - dlib ResNet (face-api faceRecognitionNet), see recognition.h. */
#include "recognition.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../nn/weights.h"

#define RECOG_CHUNK 16   /* faces per pass, see recog_forward */

const float recog_mean_rgb[3] = {122.782f, 117.001f, 104.298f};

#define NBLOCKS 14
static const struct { const char *name; int cin, cout, down; } block_spec[NBLOCKS] = {
    {"conv32_1", 32, 32, 0},       {"conv32_2", 32, 32, 0},       {"conv32_3", 32, 32, 0},
    {"conv64_down", 32, 64, 1},    {"conv64_1", 64, 64, 0},       {"conv64_2", 64, 64, 0},
    {"conv64_3", 64, 64, 0},       {"conv128_down", 64, 128, 1},  {"conv128_1", 128, 128, 0},
    {"conv128_2", 128, 128, 0},    {"conv256_down", 128, 256, 1}, {"conv256_1", 256, 256, 0},
    {"conv256_2", 256, 256, 0},    {"conv256_down_out", 256, 256, 1},
};

/* Index into shortcut_pool for a down block's input width. */
static int pool_index(int cin) { return cin == 32 ? 0 : cin == 64 ? 1 : cin == 128 ? 2 : 3; }

// ----------------------------------------------------------------------------
// Loading

/* convLayer (face-api convLayer.ts): conv2d + conv/bias, then the scale
 * layer x*scale/weights + scale/biases, then optional ReLU; the scale is
 * folded into the filter and bias. */
static int load_conv(nn_conv_layer *l, nn_weights *w, const char *prefix, int k, int cin,
                     int cout, int stride, nn_pad pad, nn_act act, celeb_error *err)
{
    char name[128];
    const int fshape[4] = {k, k, cin, cout}, vshape[1] = {cout};
    snprintf(name, sizeof name, "%s/conv/bias", prefix);
    const float *bias = nn_weights_get(w, name, 1, vshape, err);
    snprintf(name, sizeof name, "%s/scale/weights", prefix);
    const float *scale = nn_weights_get(w, name, 1, vshape, err);
    snprintf(name, sizeof name, "%s/scale/biases", prefix);
    const float *shift = nn_weights_get(w, name, 1, vshape, err);
    snprintf(name, sizeof name, "%s/conv/filters", prefix);
    nn_filter f;
    if (!bias || !scale || !shift || nn_weights_take_filter(w, name, 4, fshape, &f, err) < 0)
        return CELEB_EMODEL;
    return nn_conv_init_filter(l, k, k, cin, cout, stride, pad, 0, &f, bias, scale, shift, act,
                               err);
}

int recog_load(recog_net *net, const nn_ctx *ctx, const char *model_dir, celeb_error *err)
{
    memset(net, 0, sizeof *net);
    nn_weights w;
    int rc = nn_weights_load_model(&w, model_dir, "face_recognition_model", err);
    if (rc < 0)
        return rc;
    memcpy(net->weights_sha256, w.sha256, sizeof net->weights_sha256);

    rc = load_conv(&net->conv32_down, &w, "conv32_down", 7, 3, 32, 2, NN_VALID, NN_RELU, err);
    if (rc == 0)
        rc = nn_pool_init(&net->max_pool, 1, 3, 2, NN_VALID, 32, err);
    for (int i = 0; rc == 0 && i < NBLOCKS; i++) {
        recog_block *b = &net->blocks[i];
        char prefix[64];
        b->cin = block_spec[i].cin;
        b->cout = block_spec[i].cout;
        b->down = block_spec[i].down;
        snprintf(prefix, sizeof prefix, "%s/conv1", block_spec[i].name);
        rc = load_conv(&b->conv1, &w, prefix, 3, b->cin, b->cout, b->down ? 2 : 1,
                       b->down ? NN_VALID : NN_SAME, NN_RELU, err);
        /* conv2 of a plain block is fused with the shortcut: relu(conv2(.) + x). */
        snprintf(prefix, sizeof prefix, "%s/conv2", block_spec[i].name);
        if (rc == 0)
            rc = load_conv(&b->conv2, &w, prefix, 3, b->cout, b->cout, 1, NN_SAME,
                           b->down ? NN_LINEAR : NN_RELU, err);
        if (rc == 0 && !b->down)
            nn_conv_set_sum(&b->conv2);
        if (rc == 0) {
            if (!b->down)
                nn_conv_set_winograd(&b->conv1);
            nn_conv_set_winograd(&b->conv2);
        }
    }
    static const int pool_ch[4] = {32, 64, 128, 256};
    for (int i = 0; rc == 0 && i < 4; i++)
        rc = nn_pool_init(&net->shortcut_pool[i], 0, 2, 2, NN_VALID, pool_ch[i], err);
    if (rc == 0) {
        const int fc_shape[2] = {256, RECOG_DIM};
        const float *fc = nn_weights_get(&w, "fc", 2, fc_shape, err);
        rc = fc ? nn_fc_init(&net->fc, 256, RECOG_DIM, fc, NULL, err) : CELEB_EMODEL;
    }
    if (rc == 0 && (rc = nn_exec_init(&net->exec, ctx, err)) == 0)
        nn_exec_open_store(&net->exec, "face_recognition_model", &w);
    nn_weights_free(&w);
    if (rc < 0)
        recog_free(net);
    return rc;
}

void recog_free(recog_net *net)
{
    nn_conv_free(&net->conv32_down);
    nn_pool_free(&net->max_pool);
    for (int i = 0; i < NBLOCKS; i++) {
        nn_conv_free(&net->blocks[i].conv1);
        nn_conv_free(&net->blocks[i].conv2);
    }
    for (int i = 0; i < 4; i++)
        nn_pool_free(&net->shortcut_pool[i]);
    nn_fc_free(&net->fc);
    nn_exec_free(&net->exec);
}

// ----------------------------------------------------------------------------
// Forward

/* residualDown's shortcut sum (residualLayer.ts): pooled = avgpool(x) has
 * the input's cin channels and may be one row/column larger than out; out
 * is zero-extended at the bottom/right and pooled zero-extended on the
 * channel axis, then relu(pooled + out). Result has pooled's H x W. */
static nn_tensor shortcut_add_relu(nn_exec *x, nn_tensor pooled, nn_tensor out)
{
    nn_tensor sum = nn_tensor_new(x, pooled.n, pooled.h, pooled.w, out.c);
    sum.blocked = out.blocked;
    if (x->status)
        return sum;
    /* 16 channels at a time: contiguous in both layouts (channels are 16s here). */
    for (int n = 0; n < sum.n; n++)
        for (int y = 0; y < sum.h; y++)
            for (int xx = 0; xx < sum.w; xx++) {
                int inside = y < out.h && xx < out.w;
                for (int c = 0; c < sum.c; c += 16) {
                    float *s = sum.data + nn_offset(sum, n, y, xx, c);
                    const float *p = c < pooled.c ? pooled.data + nn_offset(pooled, n, y, xx, c) : NULL;
                    const float *o = inside ? out.data + nn_offset(out, n, y, xx, c) : NULL;
                    for (int k = 0; k < 16; k++) {
                        float v = (p ? p[k] : 0.0f) + (o ? o[k] : 0.0f);
                        s[k] = v > 0.0f ? v : 0.0f;
                    }
                }
            }
    nn_release(x, pooled);
    nn_release(x, out);
    return sum;
}

static nn_tensor residual(recog_net *net, recog_block *b, nn_tensor in)
{
    nn_exec *x = &net->exec;
    nn_tensor out = nn_conv(x, &b->conv1, nn_keep(x, in));   // `in` is the shortcut too
    if (!b->down)
        return nn_conv_add(x, &b->conv2, out, in);   // relu(conv2(out) + in), in place in `in`
    out = nn_conv(x, &b->conv2, out);
    nn_tensor pooled = nn_pool(x, &net->shortcut_pool[pool_index(b->cin)], in);
    return shortcut_add_relu(x, pooled, out);
}

static int forward_chunk(recog_net *net, const float *inputs, int n, float *out, celeb_error *err)
{
    nn_exec *x = &net->exec;
    nn_exec_begin(x);
    nn_tensor h = nn_tensor_new(x, n, RECOG_INPUT, RECOG_INPUT, 3);
    if (!x->status)
        memcpy(h.data, inputs, nn_numel(h) * sizeof(float));

    h = nn_conv(x, &net->conv32_down, h);   // 72x72x32
    h = nn_pool(x, &net->max_pool, h);      // 35x35x32
    for (int i = 0; i < NBLOCKS; i++) {     // 35 -> 17 -> 8 -> 4 -> 2, 256 ch
        /* The blocked layout where the block's convs use Winograd, NHWC elsewhere. */
        h = nn_reorder(x, h, nn_winograd_pays(x, n, h.h));
        h = residual(net, &net->blocks[i], h);
    }
    h = nn_mean_hw(x, h);                   // 256
    h = nn_fc(x, &net->fc, h);              // 128
    nn_exec_end(x);

    if (x->status)
        return celeb_fail(err, x->status, "recognition net: %s", x->err.message);
    memcpy(out, h.data, (size_t)n * RECOG_DIM * sizeof(float));
    return CELEB_OK;
}

/* Faces go through the net in full chunks, the rest one by one: more
 * faces per pass overflow the L2 cache, and every other batch size would
 * cost its own primitives (created, JIT-compiled and weights packed on first
 * use: ~30 ms, more than a GIF's faces save by batching). */
int recog_forward(recog_net *net, const float *inputs, int n, float *out, celeb_error *err)
{
    for (int done = 0, k; done < n; done += k) {
        k = n - done >= RECOG_CHUNK ? RECOG_CHUNK : 1;
        int rc = forward_chunk(net, inputs + done * (size_t)RECOG_INPUT * RECOG_INPUT * 3, k, out + (size_t)done * RECOG_DIM, err);
        if (rc < 0)
            return rc;
    }
    return CELEB_OK;
}
