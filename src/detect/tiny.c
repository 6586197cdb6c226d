/* tiny.c - TinyFaceDetector (face-api tinyFaceDetector / tinyYolov2), see detect.h. */
#include "detect.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../align/input.h"
#include "../nn/weights.h"
#include "elementwise.h"
#include "nms.h"

#define TINY_IOU 0.4
#define TINY_BOX 5   /* tx, ty, tw, th, to */

/* tinyFaceDetector/const.ts */
static const float tiny_mean_rgb[3] = {117.001f, 114.697f, 97.404f};
static const double anchor_w[TINY_ANCHORS] = {1.603231, 6.041143, 2.882459, 4.266906, 9.041765};
static const double anchor_h[TINY_ANCHORS] = {2.094468, 7.080126, 3.518061, 5.178857, 10.66308};

/* Channels out of conv0..conv5. */
static const int tiny_ch[6] = {16, 32, 64, 128, 256, 512};

static int js_round(double v) { return (int)floor(v + 0.5); }
static double sigmoid(double v) { return 1.0 / (1.0 + exp(-v)); }

// ----------------------------------------------------------------------------
// Loading

/* depthwiseSeparableConv.ts: pad 1 px, separableConv2d 3x3 valid (=
 * depthwise 'same' for 3x3 stride 1, then pointwise 1x1), + bias. The leaky
 * ReLU is applied in the forward pass. */
static int load_separable(nn_conv_layer *dw, nn_conv_layer *pw, const nn_weights *w, int i,
                          int cin, int cout, celeb_error *err)
{
    char name[64];
    const int dshape[4] = {3, 3, cin, 1}, pshape[4] = {1, 1, cin, cout}, bshape[1] = {cout};
    snprintf(name, sizeof name, "conv%d/depthwise_filter", i);
    const float *df = nn_weights_get(w, name, 4, dshape, err);
    snprintf(name, sizeof name, "conv%d/pointwise_filter", i);
    const float *pf = df ? nn_weights_get(w, name, 4, pshape, err) : NULL;
    snprintf(name, sizeof name, "conv%d/bias", i);
    const float *b = pf ? nn_weights_get(w, name, 1, bshape, err) : NULL;
    if (!b)
        return CELEB_EMODEL;
    int rc = nn_conv_init(dw, 3, 3, cin, cin, 1, NN_SAME, 1, df, NULL, NULL, NULL, NN_LINEAR, err);
    if (rc == 0)
        rc = nn_conv_init(pw, 1, 1, cin, cout, 1, NN_VALID, 0, pf, b, NULL, NULL, NN_LINEAR, err);
    return rc;
}

/* convLayer.ts with 'valid' padding: conv2d + bias, no activation. */
static int load_conv(nn_conv_layer *l, const nn_weights *w, const char *prefix, int k, int cin,
                     int cout, celeb_error *err)
{
    char name[64];
    const int fshape[4] = {k, k, cin, cout}, bshape[1] = {cout};
    snprintf(name, sizeof name, "%s/filters", prefix);
    const float *f = nn_weights_get(w, name, 4, fshape, err);
    snprintf(name, sizeof name, "%s/bias", prefix);
    const float *b = f ? nn_weights_get(w, name, 1, bshape, err) : NULL;
    if (!b)
        return CELEB_EMODEL;
    return nn_conv_init(l, k, k, cin, cout, 1, NN_VALID, 0, f, b, NULL, NULL, NN_LINEAR, err);
}

int tiny_load(tiny_net *net, const nn_ctx *ctx, const char *model_dir, int input_size,
              celeb_error *err)
{
    memset(net, 0, sizeof *net);
    if (input_size <= 0 || input_size % 32)
        return celeb_fail(err, CELEB_EINVAL, "tiny: input size %d is not a multiple of 32",
                          input_size);
    net->input_size = input_size;
    nn_weights w;
    int rc = nn_weights_load_model(&w, model_dir, "tiny_face_detector_model", err);
    if (rc < 0)
        return rc;
    memcpy(net->weights_sha256, w.sha256, sizeof net->weights_sha256);

    rc = load_conv(&net->conv0, &w, "conv0", 3, 3, tiny_ch[0], err);
    for (int i = 1; rc == 0 && i <= 5; i++)
        rc = load_separable(&net->dw[i - 1], &net->pw[i - 1], &w, i, tiny_ch[i - 1], tiny_ch[i],
                            err);
    for (int i = 0; rc == 0 && i < 6; i++)
        rc = nn_pool_init(&net->pool[i], 1, 2, i < 5 ? 2 : 1, NN_SAME, tiny_ch[i], err);
    if (rc == 0)
        rc = load_conv(&net->conv8, &w, "conv8", 1, 512, TINY_ANCHORS * TINY_BOX, err);
    if (rc == 0) {
        int cells = input_size / 32;
        size_t count = (size_t)cells * cells * TINY_ANCHORS;
        net->cand = malloc(count * sizeof *net->cand);
        net->keep = malloc(count * sizeof *net->keep);
        if (!net->cand || !net->keep)
            rc = celeb_fail(err, CELEB_ENOMEM, "out of memory loading tiny");
    }
    if (rc == 0 && (rc = nn_exec_init(&net->exec, ctx, err)) == 0)
        nn_exec_open_store(&net->exec, "tiny_face_detector_model", &w);
    nn_weights_free(&w);
    if (rc < 0)
        tiny_free(net);
    return rc;
}

void tiny_free(tiny_net *net)
{
    nn_conv_free(&net->conv0);
    for (int i = 0; i < 5; i++) {
        nn_conv_free(&net->dw[i]);
        nn_conv_free(&net->pw[i]);
    }
    for (int i = 0; i < 6; i++)
        nn_pool_free(&net->pool[i]);
    nn_conv_free(&net->conv8);
    free(net->cand);
    free(net->keep);
    net->cand = NULL;
    net->keep = NULL;
    nn_exec_free(&net->exec);
}

// ----------------------------------------------------------------------------
// Forward

/* leaky.ts (see det_leaky). */
static void leaky(nn_exec *x, nn_tensor t)
{
    if (!x->status)
        det_leaky(t.data, nn_numel(t));
}

/* TinyYolov2Base.extractBoxes for one cell/anchor, in double as JS:
 * writes the relative box (x, y, width, height) as a BoundingBox holds it. */
static void decode_box(const float *p, int row, int col, int a, int cells, double corr_x,
                       double corr_y, double box[4])
{
    double ct_x = (col + sigmoid(p[0])) / cells * corr_x;
    double ct_y = (row + sigmoid(p[1])) / cells * corr_y;
    double w = exp(p[2]) * anchor_w[a] / cells * corr_x;
    double h = exp(p[3]) * anchor_h[a] / cells * corr_y;
    double x = ct_x - w / 2, y = ct_y - h / 2;
    box[0] = x;
    box[1] = y;
    box[2] = (x + w) - x;   /* BoundingBox(left, top, right, bottom).width */
    box[3] = (y + h) - y;
}

int tiny_detect(tiny_net *net, const image *img, double min_score, face_box *out, int cap, int *n,
                celeb_error *err)
{
    *n = 0;
    if (!img || !img->rgb || img->width <= 0 || img->height <= 0)
        return celeb_fail(err, CELEB_EINVAL, "tiny: empty image");
    if (!(min_score > 0 && min_score < 1))
        return celeb_fail(err, CELEB_EINVAL, "tiny: min_score %g not in (0,1)", min_score);
    int size = net->input_size;

    nn_exec *x = &net->exec;
    nn_exec_begin(x);

    /* toBatchTensor(size, false): pad bottom/right, bilinear; normalize(mean) then /255. */
    nn_tensor h = nn_tensor_new(x, 1, size, size, 3);
    if (!x->status) {
        const input_norm sub_mean = {{tiny_mean_rgb[0], tiny_mean_rgb[1], tiny_mean_rgb[2]},
                                     1.0f, 0.0f};
        input_from_region(img, (int_rect){0, 0, img->width, img->height}, size, 0, &sub_mean,
                          h.data);
        det_div_add(h.data, nn_numel(h), 255.0f, 0.0f);
    }

    /* runMobilenet. leaky is monotonic, so it commutes with the max pool
     * that follows each layer; applying it after the pool touches 4x fewer
     * values. (leaky's float rounding could in theory break the tie by an
     * ulp; checked: boxes of all 197 reference inputs are bit-identical.) */
    h = nn_conv(x, &net->conv0, h);       // 414x414x16 (416)
    h = nn_pool(x, &net->pool[0], h);     // 207
    leaky(x, h);
    for (int i = 0; i < 5; i++) {
        h = nn_conv(x, &net->dw[i], h);
        h = nn_conv(x, &net->pw[i], h);
        h = nn_pool(x, &net->pool[i + 1], h);   // 104x32, 52x64, 26x128, 13x256, 13x512
        leaky(x, h);
    }
    h = nn_conv(x, &net->conv8, h);       // 13x13x25
    nn_exec_end(x);
    if (x->status)
        return celeb_fail(err, x->status, "tiny: %s", x->err.message);
    int cells = h.h;
    if (h.w != cells || cells * 32 != size)
        return celeb_fail(err, CELEB_EINTERNAL, "tiny: output grid %dx%d", h.h, h.w);

    /* extractBoxes: score = sigmoid(to) in double, kept if > min_score. */
    int W = img->width, H = img->height, side = W > H ? W : H;
    double scale = (double)size / side;
    int reshaped_w = js_round(W * scale), reshaped_h = js_round(H * scale);
    double in_size = reshaped_w > reshaped_h ? reshaped_w : reshaped_h;
    double corr_x = in_size / reshaped_w, corr_y = in_size / reshaped_h;
    det_cand *cand = net->cand;
    int ncand = 0;
    for (int row = 0; row < cells; row++)
        for (int col = 0; col < cells; col++)
            for (int a = 0; a < TINY_ANCHORS; a++) {
                int idx = (row * cells + col) * TINY_ANCHORS + a;
                const float *p = h.data + (size_t)idx * TINY_BOX;
                double score = sigmoid(p[4]);
                if (!(score > min_score))
                    continue;
                double b[4];
                decode_box(p, row, col, a, cells, corr_x, corr_y, b);
                /* NMS on box.rescale(inputSize) */
                double bx = b[0] * size, by = b[1] * size, bw = b[2] * size, bh = b[3] * size;
                cand[ncand++] = (det_cand){{bx, by, bx + bw, by + bh}, score, idx};
            }
    /* ops/nonMaxSuppression.ts: a stable ascending sort popped from the end,
     * so equal scores go highest index first. */
    nms_sort(cand, ncand, 1);
    int kept = nms_greedy(cand, ncand, TINY_IOU, 0, net->keep);

    /* ObjectDetection(relative box).box = rescale(W,H); locateFaces rebuilds
     * it from relativeBox (= box.rescale(1/W, 1/H)). */
    for (int i = 0; i < kept && i < cap; i++) {
        const det_cand *c = &cand[net->keep[i]];
        int idx = c->index, a = idx % TINY_ANCHORS, cell = idx / TINY_ANCHORS;
        double b[4];
        decode_box(h.data + (size_t)idx * TINY_BOX, cell / cells, cell % cells, a, cells, corr_x,
                   corr_y, b);
        double rw = 1.0 / W, rh = 1.0 / H;
        out[i] = (face_box){b[0] * W * rw * W, b[1] * H * rh * H, b[2] * W * rw * W,
                            b[3] * H * rh * H, c->score};
        *n = i + 1;
    }
    return CELEB_OK;
}
