/* nn.c - the neural-net runtime on XNNPACK operators, see nn.h. */
#include "nn.h"

#include <math.h>
#include <pthread.h>
#include <pthreadpool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xnnpack.h>

#define ARENA_ALIGN 64

static const float act_min[3] = {-INFINITY, 0.0f, 0.0f};
static const float act_max[3] = {INFINITY, INFINITY, 6.0f};

// ----------------------------------------------------------------------------
// Context

/* xnn_initialize is idempotent and thread-safe after the first call; we call
 * it once through pthread_once so concurrent nn_ctx_init calls are safe. */
static pthread_once_t xnn_once = PTHREAD_ONCE_INIT;
static enum xnn_status xnn_init_status;
static void xnn_init_once(void) { xnn_init_status = xnn_initialize(NULL); }

int nn_ctx_init(nn_ctx *ctx, int threads, celeb_error *err)
{
    memset(ctx, 0, sizeof *ctx);
    pthread_once(&xnn_once, xnn_init_once);
    if (xnn_init_status != xnn_status_success)
        return celeb_fail(err, CELEB_EINTERNAL, "XNNPACK does not support this CPU");
    if (threads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (int)n : 1;
    }
    ctx->threads = threads;
    if (threads > 1) {
        ctx->pool = pthreadpool_create((size_t)threads);
        if (!ctx->pool)
            return celeb_fail(err, CELEB_EINTERNAL, "cannot create a pool of %d threads", threads);
    }
    return CELEB_OK;
}

void nn_ctx_free(nn_ctx *ctx)
{
    if (ctx->pool)
        pthreadpool_destroy(ctx->pool);
    ctx->pool = NULL;
}

// ----------------------------------------------------------------------------
// Arena and exec

static int exec_fail(nn_exec *x, int code, const char *what)
{
    if (x->status == 0) {
        x->status = code;
        celeb_fail(&x->err, code, "%s", what);
    }
    return code;
}

int nn_exec_init(nn_exec *x, const nn_ctx *ctx, celeb_error *err)
{
    memset(x, 0, sizeof *x);
    x->ctx = ctx;
    for (int a = 0; a < 3; a++) {
        if (xnn_create_add_nd_f32(act_min[a], act_max[a], 0, &x->add_op[a]) != xnn_status_success) {
            nn_exec_free(x);
            return celeb_fail(err, CELEB_EINTERNAL, "cannot create an add operator");
        }
    }
    return CELEB_OK;
}

void nn_exec_free(nn_exec *x)
{
    for (int a = 0; a < 3; a++)
        if (x->add_op[a])
            xnn_delete_operator(x->add_op[a]);
    for (int i = 0; i < x->arena.nextra; i++)
        free(x->arena.extra[i]);
    free(x->arena.extra);
    free(x->arena.base);
    memset(x, 0, sizeof *x);
}

void nn_exec_begin(nn_exec *x)
{
    nn_arena *a = &x->arena;
    for (int i = 0; i < a->nextra; i++)
        free(a->extra[i]);
    a->nextra = 0;
    if (a->overflow) {
        /* Grow the main block to the last pass's high-water mark. */
        size_t want = a->size + a->overflow;
        free(a->base);
        a->base = aligned_alloc(ARENA_ALIGN, want);
        a->size = a->base ? want : 0;
        a->overflow = 0;
    }
    a->used = 0;
    x->flops = 0;
    x->status = 0;
    x->err.code = 0;
    x->err.message[0] = 0;
}

static float *arena_alloc(nn_exec *x, size_t bytes)
{
    nn_arena *a = &x->arena;
    /* XNNPACK kernels may read a few bytes past a tensor's end (XNN_EXTRA_BYTES). */
    bytes = (bytes + 64 + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
    if (a->base && a->used + bytes <= a->size) {
        float *p = (float *)(a->base + a->used);
        a->used += bytes;
        return p;
    }
    a->overflow += bytes;
    if (a->nextra == a->capextra) {
        int cap = a->capextra ? 2 * a->capextra : 16;
        void **grown = realloc(a->extra, (size_t)cap * sizeof *grown);
        if (!grown)
            return NULL;
        a->extra = grown;
        a->capextra = cap;
    }
    void *p = aligned_alloc(ARENA_ALIGN, bytes);
    if (p)
        a->extra[a->nextra++] = p;
    return p;
}

nn_tensor nn_tensor_new(nn_exec *x, int n, int h, int w, int c)
{
    nn_tensor t = {n, h, w, c, NULL};
    if (x->status)
        return t;
    t.data = arena_alloc(x, (size_t)n * h * w * c * sizeof(float));
    if (!t.data)
        exec_fail(x, CELEB_ENOMEM, "out of memory for activations");
    return t;
}

static int out_dim(int in, int k, int stride, nn_pad pad)
{
    return pad == NN_SAME ? (in + stride - 1) / stride : (in - k) / stride + 1;
}

// ----------------------------------------------------------------------------
// Convolution

int nn_conv_init(nn_conv_layer *l, int kh, int kw, int cin, int cout, int stride, nn_pad pad,
                 int depthwise, const float *filter, const float *bias, const float *scale,
                 const float *shift, nn_act act, celeb_error *err)
{
    memset(l, 0, sizeof *l);
    *l = (nn_conv_layer){NULL, kh, kw, stride, cin, cout, depthwise, pad};
    size_t taps = (size_t)kh * kw;
    float *k = malloc(taps * cin * (depthwise ? 1 : cout) * sizeof *k);
    float *b = calloc((size_t)cout, sizeof *b);
    if (!k || !b) {
        free(k);
        free(b);
        return celeb_fail(err, CELEB_ENOMEM, "out of memory building a conv layer");
    }
    /* XNNPACK wants OHWI (or [kh][kw][C] for depthwise, which is tfjs's own). */
    for (size_t t = 0; t < taps; t++)
        for (int i = 0; i < cin; i++)
            for (int o = 0; o < (depthwise ? 1 : cout); o++) {
                int oc = depthwise ? i : o;
                float v = filter[(t * cin + i) * (depthwise ? 1 : cout) + o];
                if (scale)
                    v *= scale[oc];
                if (depthwise)
                    k[t * cin + i] = v;
                else
                    k[((size_t)o * taps + t) * cin + i] = v;
            }
    for (int o = 0; o < cout; o++) {
        float v = bias ? bias[o] : 0.0f;
        b[o] = scale ? v * scale[o] + shift[o] : v;
    }
    uint32_t flags = (pad == NN_SAME ? XNN_FLAG_TENSORFLOW_SAME_PADDING : 0) |
                     (depthwise ? XNN_FLAG_DEPTHWISE_CONVOLUTION : 0);
    enum xnn_status s = xnn_create_convolution2d_nhwc_f32(
        0, 0, 0, 0, (uint32_t)kh, (uint32_t)kw, (uint32_t)stride, (uint32_t)stride, 1, 1,
        depthwise ? (uint32_t)cin : 1, depthwise ? 1 : (size_t)cin,
        depthwise ? 1 : (size_t)cout, (size_t)cin, (size_t)cout, k, b, act_min[act],
        act_max[act], flags, &l->op);
    free(k);
    free(b);
    if (s != xnn_status_success)
        return celeb_fail(err, CELEB_EINTERNAL, "XNNPACK refused a %dx%d conv %d->%d (status %d)",
                          kh, kw, cin, cout, (int)s);
    return CELEB_OK;
}

void nn_conv_free(nn_conv_layer *l)
{
    if (l->op)
        xnn_delete_operator(l->op);
    l->op = NULL;
}

nn_tensor nn_conv(nn_exec *x, const nn_conv_layer *l, nn_tensor in)
{
    nn_tensor out = nn_tensor_new(x, in.n, out_dim(in.h, l->kh, l->stride, l->pad),
                                  out_dim(in.w, l->kw, l->stride, l->pad), l->cout);
    if (x->status)
        return out;
    if (in.c != l->cin || out.h <= 0 || out.w <= 0) {
        exec_fail(x, CELEB_EINTERNAL, "conv input shape mismatch");
        return out;
    }
    x->flops += 2.0 * nn_numel(out) * l->kh * l->kw * (l->depthwise ? 1 : l->cin);
    if (xnn_setup_convolution2d_nhwc_f32(l->op, (size_t)in.n, (size_t)in.h, (size_t)in.w, in.data,
                                         out.data, x->ctx->pool) != xnn_status_success ||
        xnn_run_operator(l->op, x->ctx->pool) != xnn_status_success)
        exec_fail(x, CELEB_EINTERNAL, "conv failed");
    return out;
}

// ----------------------------------------------------------------------------
// Fully connected

int nn_fc_init(nn_fc_layer *l, int cin, int cout, const float *weights, const float *bias,
               celeb_error *err)
{
    l->cin = cin;
    l->cout = cout;
    l->op = NULL;
    if (xnn_create_fully_connected_nc_f32((size_t)cin, (size_t)cout, (size_t)cin, (size_t)cout,
                                          weights, bias, -INFINITY, INFINITY,
                                          XNN_FLAG_TRANSPOSE_WEIGHTS, &l->op) != xnn_status_success)
        return celeb_fail(err, CELEB_EINTERNAL, "XNNPACK refused a fully connected %d->%d", cin,
                          cout);
    return CELEB_OK;
}

void nn_fc_free(nn_fc_layer *l)
{
    if (l->op)
        xnn_delete_operator(l->op);
    l->op = NULL;
}

nn_tensor nn_fc(nn_exec *x, const nn_fc_layer *l, nn_tensor in)
{
    nn_tensor out = nn_tensor_new(x, in.n, 1, 1, l->cout);
    if (x->status)
        return out;
    if (in.h * in.w * in.c != l->cin) {
        exec_fail(x, CELEB_EINTERNAL, "fully connected input size mismatch");
        return out;
    }
    x->flops += 2.0 * in.n * l->cin * l->cout;
    if (xnn_setup_fully_connected_nc_f32(l->op, (size_t)in.n, in.data, out.data, x->ctx->pool) !=
            xnn_status_success ||
        xnn_run_operator(l->op, x->ctx->pool) != xnn_status_success)
        exec_fail(x, CELEB_EINTERNAL, "fully connected failed");
    return out;
}

// ----------------------------------------------------------------------------
// Pooling

int nn_pool_init(nn_pool_layer *l, int is_max, int k, int stride, nn_pad pad, int channels,
                 celeb_error *err)
{
    *l = (nn_pool_layer){NULL, k, stride, channels, is_max, pad};
    uint32_t flags = pad == NN_SAME ? XNN_FLAG_TENSORFLOW_SAME_PADDING : 0;
    enum xnn_status s =
        is_max ? xnn_create_max_pooling2d_nhwc_f32(0, 0, 0, 0, (uint32_t)k, (uint32_t)k,
                                                   (uint32_t)stride, (uint32_t)stride, 1, 1,
                                                   (size_t)channels, (size_t)channels,
                                                   (size_t)channels, -INFINITY, INFINITY, flags,
                                                   &l->op)
               : xnn_create_average_pooling2d_nhwc_f32(
                     0, 0, 0, 0, (uint32_t)k, (uint32_t)k, (uint32_t)stride, (uint32_t)stride,
                     (size_t)channels, (size_t)channels, (size_t)channels, -INFINITY, INFINITY,
                     flags, &l->op);
    if (s != xnn_status_success)
        return celeb_fail(err, CELEB_EINTERNAL, "XNNPACK refused a %dx%d pooling", k, k);
    return CELEB_OK;
}

void nn_pool_free(nn_pool_layer *l)
{
    if (l->op)
        xnn_delete_operator(l->op);
    l->op = NULL;
}

nn_tensor nn_pool(nn_exec *x, const nn_pool_layer *l, nn_tensor in)
{
    nn_tensor out = nn_tensor_new(x, in.n, out_dim(in.h, l->k, l->stride, l->pad),
                                  out_dim(in.w, l->k, l->stride, l->pad), in.c);
    if (x->status)
        return out;
    if (in.c != l->c || out.h <= 0 || out.w <= 0) {
        exec_fail(x, CELEB_EINTERNAL, "pooling input shape mismatch");
        return out;
    }
    enum xnn_status s =
        l->is_max ? xnn_setup_max_pooling2d_nhwc_f32(l->op, (size_t)in.n, (size_t)in.h,
                                                     (size_t)in.w, in.data, out.data, x->ctx->pool)
                  : xnn_setup_average_pooling2d_nhwc_f32(l->op, (size_t)in.n, (size_t)in.h,
                                                         (size_t)in.w, in.data, out.data,
                                                         x->ctx->pool);
    if (s != xnn_status_success || xnn_run_operator(l->op, x->ctx->pool) != xnn_status_success)
        exec_fail(x, CELEB_EINTERNAL, "pooling failed");
    return out;
}

// ----------------------------------------------------------------------------
// Elementwise

nn_tensor nn_add(nn_exec *x, nn_tensor a, nn_tensor b, nn_act act)
{
    nn_tensor out = nn_tensor_new(x, a.n, a.h, a.w, a.c);
    if (x->status)
        return out;
    if (nn_numel(a) != nn_numel(b)) {
        exec_fail(x, CELEB_EINTERNAL, "add of different shapes");
        return out;
    }
    size_t shape[1] = {nn_numel(a)};
    if (xnn_setup_add_nd_f32(x->add_op[act], 1, shape, 1, shape, a.data, b.data, out.data,
                             x->ctx->pool) != xnn_status_success ||
        xnn_run_operator(x->add_op[act], x->ctx->pool) != xnn_status_success)
        exec_fail(x, CELEB_EINTERNAL, "add failed");
    return out;
}

nn_tensor nn_mean_hw(nn_exec *x, nn_tensor in)
{
    nn_tensor out = nn_tensor_new(x, in.n, 1, 1, in.c);
    if (x->status)
        return out;
    size_t hw = (size_t)in.h * in.w;
    for (int n = 0; n < in.n; n++) {
        const float *src = in.data + (size_t)n * hw * in.c;
        float *dst = out.data + (size_t)n * in.c;
        for (int c = 0; c < in.c; c++) {
            float s = 0.0f;
            for (size_t p = 0; p < hw; p++)
                s += src[p * in.c + c];
            dst[c] = s / (float)hw;
        }
    }
    return out;
}

void nn_leaky_relu(nn_exec *x, nn_tensor t, float slope)
{
    if (x->status)
        return;
    size_t n = nn_numel(t);
    for (size_t i = 0; i < n; i++)
        if (t.data[i] < 0.0f)
            t.data[i] *= slope;
}
