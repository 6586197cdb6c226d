/* landmark68.c - face-api faceLandmarkNet (denseBlock4 x 4 + fc), see landmark68.h. */
#include "landmark68.h"

#include <stdio.h>
#include <string.h>

#include "../nn/weights.h"

#define LM_CHUNK 4   /* faces per pass, see lm_forward */

const float lm_mean_rgb[3] = {122.782f, 117.001f, 104.298f};

// ----------------------------------------------------------------------------
// Loading

static int load_sepconv(lm_sepconv *l, const nn_weights *w, const char *prefix, int cin, int cout,
                        int stride, nn_act act, celeb_error *err)
{
    char name[128];
    const int dshape[4] = {3, 3, cin, 1}, pshape[4] = {1, 1, cin, cout}, bshape[1] = {cout};
    snprintf(name, sizeof name, "%s/depthwise_filter", prefix);
    const float *dw = nn_weights_get(w, name, 4, dshape, err);
    snprintf(name, sizeof name, "%s/pointwise_filter", prefix);
    const float *pw = nn_weights_get(w, name, 4, pshape, err);
    snprintf(name, sizeof name, "%s/bias", prefix);
    const float *bias = nn_weights_get(w, name, 1, bshape, err);
    if (!dw || !pw || !bias)
        return CELEB_EMODEL;
    int rc = nn_conv_init(&l->depthwise, 3, 3, cin, cin, stride, NN_SAME, 1, dw, NULL, NULL, NULL,
                          NN_LINEAR, err);
    if (rc == 0)
        rc = nn_conv_init(&l->pointwise, 1, 1, cin, cout, 1, NN_SAME, 0, pw, bias, NULL, NULL, act,
                          err);
    return rc;
}

static void free_sepconv(lm_sepconv *l)
{
    nn_conv_free(&l->depthwise);
    nn_conv_free(&l->pointwise);
}

static int load_dense(lm_dense_block *b, const nn_weights *w, int index, int cin, int cout,
                      celeb_error *err)
{
    char prefix[64];
    int rc;
    b->first = index == 0;
    if (b->first) {
        const int fshape[4] = {3, 3, cin, cout}, bshape[1] = {cout};
        const float *f = nn_weights_get(w, "dense0/conv0/filters", 4, fshape, err);
        const float *bias = nn_weights_get(w, "dense0/conv0/bias", 1, bshape, err);
        if (!f || !bias)
            return CELEB_EMODEL;
        rc = nn_conv_init(&b->conv0_full, 3, 3, cin, cout, 2, NN_SAME, 0, f, bias, NULL, NULL,
                          NN_RELU, err);
    } else {
        snprintf(prefix, sizeof prefix, "dense%d/conv0", index);
        rc = load_sepconv(&b->conv0, w, prefix, cin, cout, 2, NN_RELU, err);
    }
    lm_sepconv *rest[3] = {&b->conv1, &b->conv2, &b->conv3};
    for (int i = 0; rc == 0 && i < 3; i++) {
        snprintf(prefix, sizeof prefix, "dense%d/conv%d", index, i + 1);
        rc = load_sepconv(rest[i], w, prefix, cout, cout, 1, NN_LINEAR, err);
    }
    return rc;
}

int lm_load(lm_net *net, const nn_ctx *ctx, const char *model_dir, celeb_error *err)
{
    memset(net, 0, sizeof *net);
    nn_weights w;
    int rc = nn_weights_load_model(&w, model_dir, "face_landmark_68_model", err);
    if (rc < 0)
        return rc;
    memcpy(net->weights_sha256, w.sha256, sizeof net->weights_sha256);
    static const int ch[5] = {3, 32, 64, 128, 256};
    for (int i = 0; rc == 0 && i < 4; i++)
        rc = load_dense(&net->dense[i], &w, i, ch[i], ch[i + 1], err);
    if (rc == 0) {
        const int wshape[2] = {256, 2 * LM_POINTS}, bshape[1] = {2 * LM_POINTS};
        const float *fw = nn_weights_get(&w, "fc/weights", 2, wshape, err);
        const float *fb = nn_weights_get(&w, "fc/bias", 1, bshape, err);
        rc = fw && fb ? nn_fc_init(&net->fc, 256, 2 * LM_POINTS, fw, fb, err) : CELEB_EMODEL;
    }
    if (rc == 0 && (rc = nn_exec_init(&net->exec, ctx, err)) == 0)
        nn_exec_open_store(&net->exec, "face_landmark_68_model", &w);
    nn_weights_free(&w);
    if (rc < 0)
        lm_free(net);
    return rc;
}

void lm_free(lm_net *net)
{
    for (int i = 0; i < 4; i++) {
        lm_dense_block *b = &net->dense[i];
        nn_conv_free(&b->conv0_full);
        free_sepconv(&b->conv0);
        free_sepconv(&b->conv1);
        free_sepconv(&b->conv2);
        free_sepconv(&b->conv3);
    }
    nn_fc_free(&net->fc);
    nn_exec_free(&net->exec);
}

// ----------------------------------------------------------------------------
// Forward

static nn_tensor sepconv(nn_exec *x, lm_sepconv *l, nn_tensor in)
{
    return nn_conv(x, &l->pointwise, nn_conv(x, &l->depthwise, in));
}

/* denseBlock4 (faceFeatureExtractor/denseBlock.ts): four convs, each fed the
 * ReLU of the sum of all earlier outputs. */
static nn_tensor dense_block(nn_exec *x, lm_dense_block *b, nn_tensor in)
{
    nn_tensor out1 = b->first ? nn_conv(x, &b->conv0_full, in) : sepconv(x, &b->conv0, in);
    /* out1 feeds 4 calls, out2 3, out3 2: one reference per extra use. */
    nn_tensor out2 = sepconv(x, &b->conv1, nn_keep(x, out1));
    nn_tensor in3 = nn_add(x, nn_keep(x, out1), nn_keep(x, out2), NN_RELU);
    nn_tensor out3 = sepconv(x, &b->conv2, in3);
    nn_tensor in4 = nn_add(x, nn_keep(x, out1), nn_add(x, nn_keep(x, out2), nn_keep(x, out3), NN_LINEAR),
                           NN_RELU);
    nn_tensor out4 = sepconv(x, &b->conv3, in4);
    nn_tensor s = nn_add(x, out3, out4, NN_LINEAR);
    s = nn_add(x, out2, s, NN_LINEAR);
    return nn_add(x, out1, s, NN_RELU);
}

static int forward_chunk(lm_net *net, const float *inputs, int n, float *out, celeb_error *err)
{
    nn_exec *x = &net->exec;
    nn_exec_begin(x);
    nn_tensor h = nn_tensor_new(x, n, LM_INPUT, LM_INPUT, 3);
    if (!x->status)
        memcpy(h.data, inputs, nn_numel(h) * sizeof(float));

    for (int i = 0; i < 4; i++)
        h = dense_block(x, &net->dense[i], h);   // 56x56x32, 28x28x64, 14x14x128, 7x7x256
    h = nn_mean_hw(x, h);                         // avgPool 7x7 stride 2 valid -> 256
    h = nn_fc(x, &net->fc, h);                    // 136
    nn_exec_end(x);

    if (x->status)
        return celeb_fail(err, x->status, "landmark net: %s", x->err.message);
    memcpy(out, h.data, (size_t)n * 2 * LM_POINTS * sizeof(float));
    return CELEB_OK;
}

/* Faces go through the net in full chunks, the rest one by one: more
 * faces per pass overflow the L2 cache, and every other batch size would
 * cost its own primitives (created, JIT-compiled and weights packed on first
 * use: ~30 ms, more than a GIF's faces save by batching). */
int lm_forward(lm_net *net, const float *inputs, int n, float *out, celeb_error *err)
{
    for (int done = 0, k; done < n; done += k) {
        k = n - done >= LM_CHUNK ? LM_CHUNK : 1;
        int rc = forward_chunk(net, inputs + done * (size_t)LM_INPUT * LM_INPUT * 3, k, out + (size_t)done * 2 * LM_POINTS, err);
        if (rc < 0)
            return rc;
    }
    return CELEB_OK;
}
