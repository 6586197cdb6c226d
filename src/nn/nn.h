/* nn.h - the small neural-net runtime shared by the four face nets.
 *
 * Tensors are NHWC float32. Layers run on oneDNN (chosen over XNNPACK by
 * bench/kernels.c: 1.5x faster on these nets' convs, see README). A layer
 * keeps its folded weights; the oneDNN primitive for an input shape is made
 * on first use of that shape (weights reordered into the layout it wants)
 * and cached in the layer, so a warm net creates and allocates nothing.
 *
 * Activations live in an arena shared by the nets of one nn_ctx, reset at
 * the start of each pass. Layer calls consume their input: its memory goes
 * back to the arena once the call has read it, so a chain of layers holds
 * two activations at a time, not all of them. A forward function that uses
 * a tensor twice (a residual shortcut, a feature map feeding two heads)
 * takes an extra reference with nn_keep.
 *
 * Errors inside a forward pass are sticky: every layer call checks
 * exec->status first and does nothing once it is set, so a forward function
 * reads top to bottom like the architecture and checks once at the end.
 *
 * Thread safety: the nets of one nn_ctx run one pass at a time (they share
 * its arena). Threads are OpenMP's (the runtime oneDNN is built with), set
 * per pass to nn_ctx.threads. */
#ifndef CELEB_NN_H
#define CELEB_NN_H

#include <stddef.h>

#include <oneapi/dnnl/dnnl.h>

#include "../core/error.h"
#include "store.h"
#include "weights.h"

// ----------------------------------------------------------------------------
// Context: the engine and stream every layer runs on

#define NN_ARENA_LIVE 64    /* activations alive at once, at most */

/* Activation memory: one block, grown to the high-water mark of the passes
 * run so far; within a pass, first-fit over the live tensors' ranges. */
typedef struct nn_arena {
    char *base;
    size_t size;
    struct {
        size_t off, len;   /* bytes, in the block (or where they would be) */
        void *ptr;         /* the tensor's data */
        int refs;          /* nn_keep adds one, every consuming call drops one */
        int extra;         /* 1: ptr is a malloc'd overflow block (the block was too small) */
    } live[NN_ARENA_LIVE];  /* sorted by off */
    int nlive;
    size_t high;           /* this pass's high-water mark */
    size_t high_max;       /* the largest of every pass's */
} nn_arena;

typedef struct nn_ctx {
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    int threads;
    nn_arena *arena;    /* shared by the nets of this context */
    const char *cache_dir;   /* where the nets' stores are (store.h), or NULL for none; not owned */
    int winograd;       /* oneDNN has Winograd convolutions on this CPU (AVX-512 only) */
} nn_ctx;

/* threads <= 0 means one per core. Returns 0 or CELEB_EINTERNAL. */
int nn_ctx_init(nn_ctx *ctx, int threads, celeb_error *err);
void nn_ctx_free(nn_ctx *ctx);

/* A oneDNN primitive built for one input shape, with its memory objects
 * (data handles are set at each execution; `weights` owns its buffer). */
typedef struct nn_prim {
    int n, h, w, key;           /* input shape (and a layer-specific key) it was built for */
    dnnl_primitive_t prim;
    dnnl_memory_t src, src1, dst, weights, bias;
    int shared_weights;         /* weights belong to the layer (nn_conv_layer.packed) */
} nn_prim;

#define NN_PRIM_CACHE 6         /* shapes remembered per layer */

typedef struct nn_prim_cache {
    nn_prim item[NN_PRIM_CACHE];
    int count, next;            /* next: slot to replace when full */
} nn_prim_cache;

// ----------------------------------------------------------------------------
// Tensors and the per-pass arena

typedef struct nn_tensor {
    int n, h, w, c;   /* batch, height, width, channels */
    float *data;      /* [n][h][w][c], or [n][c/16][h][w][16] when blocked; owned by the arena */
    int blocked;      /* oneDNN's nChw16c layout (c a multiple of 16), see nn_reorder */
} nn_tensor;

static inline size_t nn_numel(nn_tensor t) { return (size_t)t.n * t.h * t.w * t.c; }

/* Index of element (n, y, x, c) in either layout. */
static inline size_t nn_offset(nn_tensor t, int n, int y, int x, int c)
{
    if (!t.blocked)
        return (((size_t)n * t.h + y) * t.w + x) * t.c + c;
    return ((((size_t)n * (t.c / 16) + c / 16) * t.h + y) * t.w + x) * 16 + c % 16;
}

typedef struct nn_exec {
    const nn_ctx *ctx;
    nn_prim_cache add[3];       /* elementwise add primitives, by nn_act */
    nn_prim_cache reorder;      /* layout changes, see nn_reorder */
    double flops;               /* multiply-adds x 2 of the convs and fc of this pass */
    int status;                 /* 0, or the first error of this pass */
    celeb_error err;
    nn_store store;             /* the net's packed weights from earlier processes (store.h) */
} nn_exec;

int nn_exec_init(nn_exec *x, const nn_ctx *ctx, celeb_error *err);
void nn_exec_free(nn_exec *x);

/* Lets the net's conv layers take their packed weights from the store of
 * model (w: its weights, for their sha256s) in ctx->cache_dir, and keep them
 * there (see nn_exec_end). Without it, or without a cache folder, every
 * process packs them anew. A layer is known in the store by its offset
 * from x, so the net's layers and its nn_exec must be fields of one struct
 * (as every net here is: one struct of layers). */
void nn_exec_open_store(nn_exec *x, const char *model, const nn_weights *w);

/* Starts a pass: clears the error and recycles the arena. */
void nn_exec_begin(nn_exec *x);

/* Ends a pass: what it packed anew goes to the store (if the pass did not fail). */
void nn_exec_end(nn_exec *x);

/* A fresh n x h x w x c tensor from the arena (contents undefined), with
 * one reference. */
nn_tensor nn_tensor_new(nn_exec *x, int n, int h, int w, int c);

/* One more reference to t: the next consuming call leaves it alive. Returns t. */
nn_tensor nn_keep(nn_exec *x, nn_tensor t);

/* Drops a reference; at zero, t's memory goes back to the arena. Layer
 * calls do this to their inputs; a forward function does it for a tensor
 * it reads itself. Tensors not from the arena are ignored. */
void nn_release(nn_exec *x, nn_tensor t);

// ----------------------------------------------------------------------------
// Layers

typedef enum nn_act { NN_LINEAR = 0, NN_RELU = 1, NN_RELU6 = 2 } nn_act;
typedef enum nn_pad { NN_VALID = 0, NN_SAME = 1 } nn_pad;   /* SAME = TensorFlow semantics */

typedef struct nn_conv_layer {
    int kh, kw, stride, cin, cout, depthwise;
    nn_pad pad;
    nn_act act;
    int sum;                /* adds the conv into the output buffer (residual), see nn_conv_add */
    int winograd;           /* try oneDNN's Winograd algorithm (3x3 stride 1), see nn_conv_set_winograd */
    float *weights;         /* [kh][kw][cin][cout] (HWIO), or [kh][kw][cin] depthwise; folded;
                               freed once packed (q, or else packed[0], serves new layouts),
                               but kept by a layer that may use Winograd and has no q */
    unsigned char *q;       /* [kh][kw][cin][cout] or NULL: the quantized filter the plain
                               one is made from (qvalue[q] * fold) whenever it is packed */
    float *qvalue;          /* [256] with q */
    float *fold;            /* [cout] the folded scale for q, or NULL */
    float *bias;            /* [cout], folded */
    nn_prim_cache cache;
    dnnl_memory_t packed[NN_PRIM_CACHE];   /* weights in the layouts the primitives chose,
                                               shared by primitives that chose the same one */
    int npacked;
} nn_conv_layer;

/* Builds a conv layer. filter is tfjs layout: HWIO [kh,kw,cin,cout], or
 * [kh,kw,cin,1] when depthwise (then cout == cin). bias [cout] may be NULL.
 * scale [cout] may be NULL; when given, the layer computes
 * (conv(x) + bias) * scale + shift, folded into the filter and bias
 * (shift may be NULL only if scale is). The inputs are copied. */
int nn_conv_init(nn_conv_layer *l, int kh, int kw, int cin, int cout, int stride, nn_pad pad,
                 int depthwise, const float *filter, const float *bias, const float *scale,
                 const float *shift, nn_act act, celeb_error *err);

/* The same with a filter the layer takes over (also on failure; see
 * nn_weights_take_filter): floats get the scale folded in place, a quantized
 * filter stays quantized until it is packed. No copy of the big tensors. */
int nn_conv_init_filter(nn_conv_layer *l, int kh, int kw, int cin, int cout, int stride,
                        nn_pad pad, int depthwise, nn_filter *filter, const float *bias,
                        const float *scale, const float *shift, nn_act act, celeb_error *err);
void nn_conv_free(nn_conv_layer *l);
nn_tensor nn_conv(nn_exec *x, nn_conv_layer *l, nn_tensor in);

/* A band of rows (batch 1): when only the first in_rows rows of `in`
 * differ from a known input, computes only the output rows that depend on
 * them, *out_rows of them, from the top; the other rows of the returned
 * tensor are left unwritten for the caller to fill. The input rows just
 * below in_rows (up to the kernel height) must hold their real values. */
nn_tensor nn_conv_rows(nn_exec *x, nn_conv_layer *l, nn_tensor in, int in_rows, int *out_rows);

/* A residual conv: act(conv(in) + acc), computed in place in acc (which
 * must have the conv's output shape) and returned; in is consumed, acc not. The layer must have been
 * made with nn_conv_set_sum; the add is fused into the conv. */
void nn_conv_set_sum(nn_conv_layer *l);

/* Lets a 3x3 stride-1 conv use Winograd F(2x2,3x3) for the input shapes
 * where it is faster (see conv_prim) and oneDNN has it. About 1e-6 relative
 * error; up to 2.6x faster for a batch of 16 (bench/kernels.c). */
void nn_conv_set_winograd(nn_conv_layer *l);

/* Whether Winograd beats the direct conv for a batch of n maps of h x h:
 * maps of 8x8 and up, or batches of 8+ maps of 3x3 and up (bench/kernels.c,
 * bench/nets; without reorders around each conv, at 1 and 2 threads). It
 * needs the blocked layout, so a net runs in it (nn_reorder) exactly where
 * this holds; never on a CPU without it (nn_ctx.winograd), where the blocked
 * layout has only oneDNN's reference kernels. */
int nn_winograd_pays(const nn_exec *x, int n, int h);
nn_tensor nn_conv_add(nn_exec *x, nn_conv_layer *l, nn_tensor in, nn_tensor acc);

typedef struct nn_fc_layer {
    nn_conv_layer conv;     /* a fully connected layer is a 1x1 conv on a 1x1 map */
    int cin, cout;
} nn_fc_layer;

/* weights [cin, cout] (tfjs matMul layout), bias [cout] or NULL. */
int nn_fc_init(nn_fc_layer *l, int cin, int cout, const float *weights, const float *bias,
               celeb_error *err);
void nn_fc_free(nn_fc_layer *l);
/* in is viewed as n rows of h*w*c == cin values; returns n x 1 x 1 x cout. */
nn_tensor nn_fc(nn_exec *x, nn_fc_layer *l, nn_tensor in);

typedef struct nn_pool_layer {
    int k, stride, c, is_max;
    nn_pad pad;
    nn_prim_cache cache;
} nn_pool_layer;

int nn_pool_init(nn_pool_layer *l, int is_max, int k, int stride, nn_pad pad, int channels,
                 celeb_error *err);
void nn_pool_free(nn_pool_layer *l);
nn_tensor nn_pool(nn_exec *x, nn_pool_layer *l, nn_tensor in);

/* The same tensor in NHWC (blocked = 0) or oneDNN's blocked nChw16c
 * layout (blocked = 1, c a multiple of 16), where oneDNN's Winograd convs
 * run. Layers keep their input's layout, so a net converts once. */
nn_tensor nn_reorder(nn_exec *x, nn_tensor t, int blocked);

/* Elementwise a + b (same shape), then the activation. */
nn_tensor nn_add(nn_exec *x, nn_tensor a, nn_tensor b, nn_act act);

/* Mean over H and W: n x 1 x 1 x c. */
nn_tensor nn_mean_hw(nn_exec *x, nn_tensor in);

/* max(x, slope*x) in place (tiny detector's leaky ReLU); t stays alive. */
void nn_leaky_relu(nn_exec *x, nn_tensor t, float slope);

#endif
