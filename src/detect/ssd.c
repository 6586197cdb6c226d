/* ssd.c - SSD MobileNetV1 face detector (face-api ssdMobilenetv1), see detect.h. */
#include "detect.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../align/input.h"
#include "../nn/weights.h"
#include "elementwise.h"
#include "nms.h"

#define BN_EPS 0.0010000000474974513f
#define SSD_IOU 0.5
#define SSD_BAND_AFTER 4   /* wide images run whole before the padding reference is made
                              (when there is no store to keep it for the next process) */
#define PAD_BLOB_ID (1 << 20)   /* + stage: the padding reference's blobs in the store */

/* Output channels of MobilenetV1 Conv2d_1..13 (depthwise keeps the input's). */
static const int mobilenet_cout[13] = {64, 128, 128, 256, 256, 512, 512,
                                       512, 512, 512, 512, 1024, 1024};
static int mobilenet_stride(int i) { return i == 2 || i == 4 || i == 6 || i == 12 ? 2 : 1; }

/* Prediction/Conv2d_0..7: kernel and output channels (stride 2 for the 3x3 ones). */
static const int extra_k[8] = {1, 3, 1, 3, 1, 3, 1, 3};
static const int extra_cout[8] = {256, 512, 128, 256, 128, 256, 64, 128};

/* BoxPredictor_0..5: input channels and anchors per cell. */
static const int pred_cin[6] = {512, 1024, 512, 256, 256, 128};
static const int pred_anchors[6] = {3, 6, 6, 6, 6, 6};

/* JS Math.round: halves round up. */
static int js_round(double v) { return (int)floor(v + 0.5); }

// ----------------------------------------------------------------------------
// Loading

/* pointwiseConvLayer.ts: conv2d 'same' + convolution_bn_offset, clip [0,6]. */
static int load_pointwise(nn_conv_layer *l, nn_weights *w, const char *prefix, int k, int cin,
                          int cout, int stride, celeb_error *err)
{
    char name[128];
    const int fshape[4] = {k, k, cin, cout}, vshape[1] = {cout};
    snprintf(name, sizeof name, "%s/convolution_bn_offset", prefix);
    const float *offset = nn_weights_get(w, name, 1, vshape, err);
    snprintf(name, sizeof name, "%s/weights", prefix);
    nn_filter f;
    if (!offset || nn_weights_take_filter(w, name, 4, fshape, &f, err) < 0)
        return CELEB_EMODEL;
    return nn_conv_init_filter(l, k, k, cin, cout, stride, NN_SAME, 0, &f, offset, NULL, NULL,
                               NN_RELU6, err);
}

/* mobileNetV1.ts depthwiseConvLayer: depthwise 3x3 'same', batchNorm, clip
 * [0,6]. The BatchNorm (x - mean) * gamma/sqrt(var+eps) + beta is folded
 * into the filter (scale) and a bias (shift). */
static int load_depthwise(nn_conv_layer *l, const nn_weights *w, const char *prefix, int c,
                          int stride, celeb_error *err)
{
    char name[128];
    const int fshape[4] = {3, 3, c, 1}, vshape[1] = {c};
    static const char *bn[4] = {"gamma", "beta", "moving_mean", "moving_variance"};
    const float *p[4];
    snprintf(name, sizeof name, "%s/depthwise_weights", prefix);
    const float *filters = nn_weights_get(w, name, 4, fshape, err);
    if (!filters)
        return CELEB_EMODEL;
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "%s/BatchNorm/%s", prefix, bn[i]);
        if (!(p[i] = nn_weights_get(w, name, 1, vshape, err)))
            return CELEB_EMODEL;
    }
    float *scale = malloc(2 * (size_t)c * sizeof *scale);
    if (!scale)
        return celeb_fail(err, CELEB_ENOMEM, "out of memory loading SSD");
    float *shift = scale + c;
    for (int i = 0; i < c; i++) {
        scale[i] = p[0][i] / sqrtf(p[3][i] + BN_EPS);
        shift[i] = p[1][i] - p[2][i] * scale[i];
    }
    int rc = nn_conv_init(l, 3, 3, c, c, stride, NN_SAME, 1, filters, NULL, scale, shift,
                          NN_RELU6, err);
    free(scale);
    return rc;
}

/* boxPredictionLayer.ts: two 1x1 convs + bias on the same map, merged here
 * into one conv whose channels are [box encodings 4A | class logits 3A]. */
static int load_predictor(nn_conv_layer *l, const nn_weights *w, int i, celeb_error *err)
{
    int cin = pred_cin[i], a = pred_anchors[i], nb = 4 * a, nc = 3 * a, cout = nb + nc;
    char name[128];
    const int bshape[4] = {1, 1, cin, nb}, bvec[1] = {nb};
    const int cshape[4] = {1, 1, cin, nc}, cvec[1] = {nc};
    snprintf(name, sizeof name, "Prediction/BoxPredictor_%d/BoxEncodingPredictor/weights", i);
    const float *bw = nn_weights_get(w, name, 4, bshape, err);
    snprintf(name, sizeof name, "Prediction/BoxPredictor_%d/BoxEncodingPredictor/biases", i);
    const float *bb = bw ? nn_weights_get(w, name, 1, bvec, err) : NULL;
    snprintf(name, sizeof name, "Prediction/BoxPredictor_%d/ClassPredictor/weights", i);
    const float *cw = bb ? nn_weights_get(w, name, 4, cshape, err) : NULL;
    snprintf(name, sizeof name, "Prediction/BoxPredictor_%d/ClassPredictor/biases", i);
    const float *cb = cw ? nn_weights_get(w, name, 1, cvec, err) : NULL;
    if (!cb)
        return CELEB_EMODEL;
    float *filter = malloc(((size_t)cin + 1) * cout * sizeof *filter);
    if (!filter)
        return celeb_fail(err, CELEB_ENOMEM, "out of memory loading SSD");
    float *bias = filter + (size_t)cin * cout;
    for (int k = 0; k < cin; k++) {
        memcpy(filter + (size_t)k * cout, bw + (size_t)k * nb, (size_t)nb * sizeof *filter);
        memcpy(filter + (size_t)k * cout + nb, cw + (size_t)k * nc, (size_t)nc * sizeof *filter);
    }
    memcpy(bias, bb, (size_t)nb * sizeof *bias);
    memcpy(bias + nb, cb, (size_t)nc * sizeof *bias);
    int rc = nn_conv_init(l, 1, 1, cin, cout, 1, NN_SAME, 0, filter, bias, NULL, NULL, NN_LINEAR,
                          err);
    free(filter);
    return rc;
}

/* outputLayer.ts getCenterCoordinatesAndSizesLayer, in float32 as tfjs:
 * Output/extra_dim rows are (ymin, xmin, ymax, xmax). */
static int load_anchors(ssd_net *net, const nn_weights *w, celeb_error *err)
{
    const int shape[3] = {1, SSD_ANCHORS, 4};
    const float *a = nn_weights_get(w, "Output/extra_dim", 3, shape, err);
    if (!a)
        return CELEB_EMODEL;
    net->anchor = malloc(SSD_ANCHORS * sizeof *net->anchor);
    if (!net->anchor)
        return celeb_fail(err, CELEB_ENOMEM, "out of memory loading SSD");
    for (int i = 0; i < SSD_ANCHORS; i++) {
        const float *r = a + 4 * i;
        float ha = r[2] - r[0], wa = r[3] - r[1];
        net->anchor[i][0] = r[0] + ha / 2.0f;
        net->anchor[i][1] = r[1] + wa / 2.0f;
        net->anchor[i][2] = ha;
        net->anchor[i][3] = wa;
    }
    return CELEB_OK;
}

static void pad_from_store(ssd_net *net);   /* the band's reference (below) */
static void free_pad(ssd_net *net);

int ssd_load(ssd_net *net, const nn_ctx *ctx, const char *model_dir, celeb_error *err)
{
    memset(net, 0, sizeof *net);
    char prefix[64];
    nn_weights w;
    int rc = nn_weights_load_model(&w, model_dir, "ssd_mobilenetv1_model", err);
    if (rc < 0)
        return rc;
    memcpy(net->weights_sha256, w.sha256, sizeof net->weights_sha256);

    rc = load_pointwise(&net->conv0, &w, "MobilenetV1/Conv2d_0_pointwise", 3, 3, 32, 2, err);
    for (int i = 0, cin = 32; rc == 0 && i < 13; cin = mobilenet_cout[i], i++) {
        snprintf(prefix, sizeof prefix, "MobilenetV1/Conv2d_%d_depthwise", i + 1);
        rc = load_depthwise(&net->depthwise[i], &w, prefix, cin, mobilenet_stride(i + 1), err);
        snprintf(prefix, sizeof prefix, "MobilenetV1/Conv2d_%d_pointwise", i + 1);
        if (rc == 0)
            rc = load_pointwise(&net->pointwise[i], &w, prefix, 1, cin, mobilenet_cout[i], 1, err);
    }
    for (int i = 0, cin = 1024; rc == 0 && i < 8; cin = extra_cout[i], i++) {
        snprintf(prefix, sizeof prefix, "Prediction/Conv2d_%d_pointwise", i);
        rc = load_pointwise(&net->extra[i], &w, prefix, extra_k[i], cin, extra_cout[i],
                            extra_k[i] == 3 ? 2 : 1, err);
    }
    for (int i = 0; rc == 0 && i < 6; i++)
        rc = load_predictor(&net->predictor[i], &w, i, err);
    if (rc == 0)
        rc = load_anchors(net, &w, err);
    if (rc == 0) {
        net->cand = malloc(SSD_ANCHORS * sizeof *net->cand);
        net->keep = malloc(SSD_ANCHORS * sizeof *net->keep);
        if (!net->cand || !net->keep)
            rc = celeb_fail(err, CELEB_ENOMEM, "out of memory loading SSD");
    }
    if (rc == 0 && (rc = nn_exec_init(&net->exec, ctx, err)) == 0) {
        nn_exec_open_store(&net->exec, "ssd_mobilenetv1_model", &w);
        pad_from_store(net);
    }
    nn_weights_free(&w);
    if (rc < 0)
        ssd_free(net);
    return rc;
}

static void free_pad(ssd_net *net)
{
    for (int s = 0; s < SSD_STAGES; s++) {
        free(net->pad_row[s]);
        free(net->pad_blob[s]);
        net->pad_row[s] = NULL;
        net->pad_blob[s] = NULL;
    }
    net->have_pad = 0;
}

void ssd_free(ssd_net *net)
{
    free_pad(net);
    nn_conv_free(&net->conv0);
    for (int i = 0; i < 13; i++) {
        nn_conv_free(&net->depthwise[i]);
        nn_conv_free(&net->pointwise[i]);
    }
    for (int i = 0; i < 8; i++)
        nn_conv_free(&net->extra[i]);
    for (int i = 0; i < 6; i++)
        nn_conv_free(&net->predictor[i]);
    free(net->anchor);
    free(net->cand);
    free(net->keep);
    net->anchor = NULL;
    net->cand = NULL;
    net->keep = NULL;
    nn_exec_free(&net->exec);
}

// ----------------------------------------------------------------------------
// Forward

/* outputLayer.ts decodeBoxesLayer for one anchor, float32 as tfjs; enc is
 * (ty, tx, th, tw). Writes (ymin, xmin, ymax, xmax), relative to the input. */
static void decode_box(const float anchor[4], const float enc[4], float box[4])
{
    float cy = anchor[0], cx = anchor[1], ha = anchor[2], wa = anchor[3];
    float half_h = expf(enc[2] / 5.0f) * ha / 2.0f;
    float yc = enc[0] / 10.0f * ha + cy;
    float half_w = expf(enc[3] / 5.0f) * wa / 2.0f;
    float xc = enc[1] / 10.0f * wa + cx;
    box[0] = yc - half_h;
    box[1] = xc - half_w;
    box[2] = yc + half_h;
    box[3] = xc + half_w;
}

// ----------------------------------------------------------------------------
// The net, whole or in a band of rows
//
// toBatchTensor pads a wide image at the bottom, so the last rows of the
// 512x512 input are all padding (-1 after normalisation): a quarter of them
// for 4:3, 44% for 16:9. Every layer's output rows whose receptive field
// lies in those rows are the same for every image of that shape, so they
// are taken from a pass over an all-padding input, made once. Only the rows
// that see the picture are computed (nn_conv_rows). Exact: the results are
// bit-identical to the whole computation.

typedef struct ssd_pass {
    ssd_net *net;
    nn_exec *x;
    int band;        /* 1: compute only `rows` rows of each layer */
    int capture;     /* 1: the all-padding pass, keeping every output row */
    int stage;       /* index of the next layer output */
    int misfit;      /* the padding reference did not fit a stage's output */
} ssd_pass;

/* Rows [from, to) of stage s's output from the all-padding reference. */
static void fill_pad_rows(ssd_pass *ps, int s, nn_tensor t, int from, int to)
{
    const ssd_net *net = ps->net;
    size_t row = (size_t)t.w * t.c;
    if (net->pad_h[s] != t.h || (size_t)net->pad_len[s] != row) {
        ps->misfit = 1;   /* a stored reference of other shapes: ssd_detect runs whole */
        ps->x->status = CELEB_EINTERNAL;
        celeb_fail(&ps->x->err, CELEB_EINTERNAL, "padding reference of stage %d does not fit", s);
        return;
    }
    for (int r = from; r < to && r < t.h; r++)
        memcpy(t.data + r * row, net->pad_row[s][r], row * sizeof(float));
}

/* A stage's reference as kept (and stored), in int32s: h, the floats a row
 * has, the number of distinct rows, which distinct row each of the h rows
 * is; then the distinct rows' floats. Points pad_row[s] into blob (which
 * has `size` bytes) once it is checked whole. */
static int use_pad_blob(ssd_net *net, int s, const int32_t *blob, size_t size)
{
    if (size < 3 * sizeof *blob)
        return -1;
    long h = blob[0], len = blob[1], distinct = blob[2];
    if (h <= 0 || len <= 0 || distinct <= 0 || distinct > h || len > (1 << 24) ||
        size != (size_t)(3 + h) * sizeof *blob + (size_t)distinct * len * sizeof(float))
        return -1;
    const float *rows = (const float *)(blob + 3 + h);
    const float **row = malloc((size_t)h * sizeof *row);
    if (!row)
        return -1;
    for (long r = 0; r < h; r++) {
        if (blob[3 + r] < 0 || blob[3 + r] >= distinct) {
            free(row);
            return -1;
        }
        row[r] = rows + (size_t)blob[3 + r] * len;
    }
    free(net->pad_row[s]);
    net->pad_row[s] = row;
    net->pad_h[s] = (int)h;
    net->pad_len[s] = (int)len;
    return 0;
}

/* Keeps stage s's output rows of the all-padding pass, sharing storage
 * between equal neighbouring rows (most of them), and hands them to the store. */
static void capture_rows(ssd_pass *ps, int s, nn_tensor t)
{
    ssd_net *net = ps->net;
    size_t row = (size_t)t.w * t.c, distinct = 0;
    for (int r = 0; r < t.h; r++)
        distinct += r == 0 || memcmp(t.data + r * row, t.data + (r - 1) * row, row * sizeof(float));
    size_t size = (size_t)(3 + t.h) * sizeof(int32_t) + distinct * row * sizeof(float);
    int32_t *blob = malloc(size);
    if (!blob) {
        ps->x->status = CELEB_ENOMEM;
        celeb_fail(&ps->x->err, CELEB_ENOMEM, "out of memory");
        return;
    }
    blob[0] = t.h;
    blob[1] = (int32_t)row;
    blob[2] = (int32_t)distinct;
    float *rows = (float *)(blob + 3 + t.h);
    int32_t k = -1;
    for (int r = 0; r < t.h; r++) {
        const float *src = t.data + r * row;
        if (r == 0 || memcmp(src, src - row, row * sizeof(float)))
            memcpy(rows + (size_t)++k * row, src, row * sizeof(float));
        blob[3 + r] = k;
    }
    if (use_pad_blob(net, s, blob, size) < 0) {
        free(blob);
        ps->x->status = CELEB_ENOMEM;
        celeb_fail(&ps->x->err, CELEB_ENOMEM, "out of memory");
        return;
    }
    /* In the store in place of an earlier attempt's (a pass that failed
     * later), which only then is freed. */
    nn_store_put(&ps->x->store, PAD_BLOB_ID + s, NULL, blob, size);
    free(net->pad_blob[s]);
    net->pad_blob[s] = blob;
}

/* The padding reference from the store, if an earlier process kept it whole. */
static void pad_from_store(ssd_net *net)
{
    int s = 0;
    for (; s < SSD_STAGES; s++) {
        size_t size = 0;
        const int32_t *blob = nn_store_find(&net->exec.store, PAD_BLOB_ID + s, NULL, &size);
        if (!blob || use_pad_blob(net, s, blob, size) < 0)
            break;
    }
    net->have_pad = s == SSD_STAGES;
}

/* One layer of the chain (it consumes `in`). In a band, *rows is how many
 * rows of `in` see the picture; the 2 rows below the band are filled in
 * from the reference, which is all a following 3x3 conv reads (all rows
 * for `full`). */
static nn_tensor stage(ssd_pass *ps, nn_conv_layer *l, nn_tensor in, int *rows, int full)
{
    int s = ps->stage++;
    nn_tensor out;
    if (!ps->band) {
        out = nn_conv(ps->x, l, in);
        *rows = out.h;
    } else {
        out = nn_conv_rows(ps->x, l, in, *rows, rows);
        if (!ps->x->status)
            fill_pad_rows(ps, s, out, *rows, full ? out.h : *rows + 2);
    }
    if (ps->capture && !ps->x->status)
        capture_rows(ps, s, out);
    return out;
}

/* mobileNetV1 + predictionLayer + the box predictors, on a 512x512 input
 * of which the first `rows` rows see the picture. Each feature map goes
 * through its predictor as soon as it is made, so only two maps are alive
 * at a time. */
static void run_chain(ssd_pass *ps, nn_tensor h, int rows, nn_tensor pred[6])
{
    ssd_net *net = ps->net;
    nn_exec *x = ps->x;
    int frows;
    h = stage(ps, &net->conv0, h, &rows, 0);                // 256x256x32
    for (int i = 0; i < 13; i++) {
        h = stage(ps, &net->depthwise[i], h, &rows, 0);
        h = stage(ps, &net->pointwise[i], h, &rows, 0);
        if (i + 1 == 11) {                                  // conv11: 32x32x512
            frows = rows;
            pred[0] = stage(ps, &net->predictor[0], nn_keep(x, h), &frows, 1);
        }
    }
    frows = rows;                                           // 16x16x1024
    pred[1] = stage(ps, &net->predictor[1], nn_keep(x, h), &frows, 1);
    for (int i = 0; i < 8; i++) {                           // predictionLayer's extra layers
        h = stage(ps, &net->extra[i], h, &rows, 0);
        if (i % 2) {                                        // 8x8x512, 4x4x256, 2x2x256, 1x1x128
            frows = rows;
            pred[2 + i / 2] = stage(ps, &net->predictor[2 + i / 2], i == 7 ? h : nn_keep(x, h),
                                    &frows, 1);             // cells x 7A
        }
    }
}

/* Runs the chain on an all-padding input and keeps every output row. */
static int make_pad_reference(ssd_net *net, celeb_error *err)
{
    nn_exec *x = &net->exec;
    nn_exec_begin(x);
    nn_tensor h = nn_tensor_new(x, 1, SSD_INPUT, SSD_INPUT, 3);
    if (!x->status)
        for (size_t i = 0; i < nn_numel(h); i++)
            h.data[i] = -1.0f;   /* a padding pixel, 0, after x/127.5 - 1 */
    ssd_pass ps = {net, x, 0, 1, 0, 0};
    nn_tensor pred[6];
    run_chain(&ps, h, SSD_INPUT, pred);
    if (x->status)
        return celeb_fail(err, x->status, "SSD: %s", x->err.message);
    net->have_pad = 1;
    return CELEB_OK;
}

/* How many of the 512 input rows see the picture: input_from_region's row
 * oy reads source rows floor(oy * side/512) and the one below; it is all
 * padding once the first of them is past the picture. */
static int picture_rows(const image *img)
{
    if (img->width <= img->height)
        return SSD_INPUT;   /* padded at the right, if at all: no band */
    float scale = (float)img->width / (float)SSD_INPUT;
    for (int oy = 0; oy < SSD_INPUT; oy++)
        if ((int)floorf((float)oy * scale) >= img->height)
            return oy;
    return SSD_INPUT;
}

int ssd_detect(ssd_net *net, const image *img, double min_score, int max_results, face_box *out,
               int cap, int *n, celeb_error *err)
{
    *n = 0;
    if (!img || !img->rgb || img->width <= 0 || img->height <= 0)
        return celeb_fail(err, CELEB_EINVAL, "SSD: empty image");
    if (!(min_score > 0 && min_score < 1))
        return celeb_fail(err, CELEB_EINVAL, "SSD: min_score %g not in (0,1)", min_score);
    if (max_results <= 0)
        max_results = SSD_MAX_RESULTS;   /* face-api: maxResults || 100 */

    int rows = picture_rows(img);
    /* The reference costs a whole pass, and the band's primitives must be
     * made: in one process it pays from about the fifth wide image on (a
     * server, a long video), so until then the images run whole; with a
     * store it is made once for every process to come. */
    if (rows < SSD_INPUT && !net->have_pad && !net->exec.store.path[0] &&
        net->wide_images++ < SSD_BAND_AFTER)
        rows = SSD_INPUT;
    if (rows < SSD_INPUT && !net->have_pad) {
        int rc = make_pad_reference(net, err);
        if (rc < 0)
            return rc;
    }
    nn_exec *x = &net->exec;
    nn_tensor pred[6];
    for (int attempt = 0;; attempt++) {
        nn_exec_begin(x);
        /* toBatchTensor(512, false): pad bottom/right, bilinear; then x/127.5 - 1. */
        nn_tensor h = nn_tensor_new(x, 1, SSD_INPUT, SSD_INPUT, 3);
        if (!x->status) {
            static const input_norm raw = {{0.0f, 0.0f, 0.0f}, 1.0f, 0.0f};
            /* In a band the first conv reads 2 rows past the picture's: the
             * rest of the input is never read. */
            int need = rows + 2 < SSD_INPUT ? rows + 2 : SSD_INPUT;
            input_rows_from_region(img, (int_rect){0, 0, img->width, img->height}, SSD_INPUT, 0,
                                   &raw, need, h.data);
            det_div_add(h.data, (size_t)need * SSD_INPUT * 3, 127.5f, -1.0f);
        }
        ssd_pass ps = {net, x, rows < SSD_INPUT, 0, 0, 0};
        run_chain(&ps, h, rows, pred);
        if (!ps.misfit || attempt > 0)
            break;
        /* A stored reference that does not fit these layers is no error:
         * forget it (the next wide image makes one) and run whole. */
        free_pad(net);
        rows = SSD_INPUT;
    }
    nn_exec_end(x);   /* keeps what this pass (and the reference's) packed and made */
    if (x->status)
        return celeb_fail(err, x->status, "SSD: %s", x->err.message);

    /* outputLayer + nonMaxSuppression: score = sigmoid(class 1 logit) in
     * float32; only anchors with score > min_score are decoded. Anchors are
     * numbered predictor by predictor, cell by cell, anchor innermost. */
    det_cand *cand = net->cand;
    int ncand = 0, anchor = 0;
    for (int i = 0; i < 6; i++) {
        int a = pred_anchors[i], cells = pred[i].h * pred[i].w, stride = 7 * a;
        for (int c = 0; c < cells; c++) {
            const float *p = pred[i].data + (size_t)c * stride;
            for (int k = 0; k < a; k++, anchor++) {
                float score = 1.0f / (1.0f + expf(-p[4 * a + 3 * k + 1]));
                if (!((double)score > min_score) || anchor >= SSD_ANCHORS)
                    continue;
                float b[4];
                decode_box(net->anchor[anchor], p + 4 * k, b);
                cand[ncand++] = (det_cand){{b[1], b[0], b[3], b[2]}, score, anchor};
            }
        }
    }
    if (anchor != SSD_ANCHORS)
        return celeb_fail(err, CELEB_EINTERNAL, "SSD: %d anchors, expected %d", anchor, SSD_ANCHORS);
    nms_sort(cand, ncand, 0);
    int kept = nms_greedy(cand, ncand, SSD_IOU, max_results, net->keep);

    /* locateFaces: clamp to [0,1], undo the padding, scale to the image. */
    int W = img->width, H = img->height, side = W > H ? W : H;
    double scale = (double)SSD_INPUT / side;
    double pad_x = (double)SSD_INPUT / js_round(W * scale);
    double pad_y = (double)SSD_INPUT / js_round(H * scale);
    for (int i = 0; i < kept && i < cap; i++) {
        const det_cand *c = &cand[net->keep[i]];
        double top = fmax(0.0, c->box.y0) * pad_y, bottom = fmin(1.0, c->box.y1) * pad_y;
        double left = fmax(0.0, c->box.x0) * pad_x, right = fmin(1.0, c->box.x1) * pad_x;
        out[i] = (face_box){left * W, top * H, (right - left) * W, (bottom - top) * H, c->score};
        *n = i + 1;
    }
    return CELEB_OK;
}
