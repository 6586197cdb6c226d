/* nn.c - the neural-net runtime on oneDNN primitives, see nn.h. */
#include "nn.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ARENA_ALIGN 64

// ----------------------------------------------------------------------------
// Context

int nn_ctx_init(nn_ctx *ctx, int threads, celeb_error *err)
{
    memset(ctx, 0, sizeof *ctx);
    if (threads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (int)n : 1;
    }
    ctx->threads = threads;
    ctx->arena = calloc(1, sizeof *ctx->arena);
    if (!ctx->arena)
        return celeb_fail(err, CELEB_ENOMEM, "out of memory");
    if (dnnl_engine_create(&ctx->engine, dnnl_cpu, 0) != dnnl_success ||
        dnnl_stream_create(&ctx->stream, ctx->engine, dnnl_stream_default_flags) != dnnl_success) {
        nn_ctx_free(ctx);
        return celeb_fail(err, CELEB_EINTERNAL, "oneDNN: cannot create a CPU engine");
    }
    /* oneDNN's Winograd (and its nChw16c blocking) is AVX-512's: elsewhere
     * a blocked activation only finds the reference convolution, 100x slower.
     * The ISA values are bit sets (avx2_vnni is numerically larger). */
    ctx->winograd = (dnnl_get_effective_cpu_isa() & dnnl_cpu_isa_avx512_core) == dnnl_cpu_isa_avx512_core;
    return CELEB_OK;
}

void nn_ctx_free(nn_ctx *ctx)
{
    if (ctx->stream)
        dnnl_stream_destroy(ctx->stream);
    if (ctx->engine)
        dnnl_engine_destroy(ctx->engine);
    ctx->stream = NULL;
    ctx->engine = NULL;
    if (ctx->arena) {
        for (int i = 0; i < ctx->arena->nlive; i++)
            if (ctx->arena->live[i].extra)
                free(ctx->arena->live[i].ptr);
        free(ctx->arena->base);
        free(ctx->arena);
        ctx->arena = NULL;
    }
}

// ----------------------------------------------------------------------------
// Primitive cache

static void prim_release(nn_prim *p)
{
    if (p->prim)
        dnnl_primitive_destroy(p->prim);
    if (p->shared_weights)
        p->weights = NULL;
    dnnl_memory_t *mems[5] = {&p->src, &p->src1, &p->dst, &p->weights, &p->bias};
    for (int i = 0; i < 5; i++)
        if (*mems[i])
            dnnl_memory_destroy(*mems[i]);
    memset(p, 0, sizeof *p);
}

static void cache_free(nn_prim_cache *c)
{
    for (int i = 0; i < c->count; i++)
        prim_release(&c->item[i]);
    c->count = c->next = 0;
}

static nn_prim *cache_find(nn_prim_cache *c, int n, int h, int w, int key)
{
    for (int i = 0; i < c->count; i++) {
        nn_prim *p = &c->item[i];
        if (p->n == n && p->h == h && p->w == w && p->key == key)
            return p;
    }
    return NULL;
}

/* A free slot for a new shape (evicting the oldest when full). */
static nn_prim *cache_slot(nn_prim_cache *c)
{
    nn_prim *p;
    if (c->count < NN_PRIM_CACHE) {
        p = &c->item[c->count++];
    } else {
        p = &c->item[c->next];
        c->next = (c->next + 1) % NN_PRIM_CACHE;
        prim_release(p);
    }
    memset(p, 0, sizeof *p);
    return p;
}

static int make_prim(const nn_ctx *ctx, dnnl_primitive_desc_t pd, nn_prim *p, int has_src1);

/* Adds the primitive of pd (and its memory objects) to c under the given
 * key, or returns NULL. pd stays the caller's. */
static nn_prim *cache_add(const nn_ctx *ctx, nn_prim_cache *c, dnnl_primitive_desc_t pd, int n,
                          int h, int w, int key, int has_src1)
{
    nn_prim *p = cache_slot(c);
    *p = (nn_prim){.n = n, .h = h, .w = w, .key = key};
    if (make_prim(ctx, pd, p, has_src1) < 0) {
        prim_release(p);
        c->count--;   /* the slot was the last one taken */
        return NULL;
    }
    return p;
}

static int set_handle(dnnl_memory_t m, void *ptr)
{
    return dnnl_memory_set_data_handle(m, ptr) == dnnl_success ? 0 : -1;
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
    return CELEB_OK;
}

void nn_exec_free(nn_exec *x)
{
    for (int a = 0; a < 3; a++)
        cache_free(&x->add[a]);
    cache_free(&x->reorder);
    nn_store_close(&x->store);
    memset(x, 0, sizeof *x);
}

void nn_exec_open_store(nn_exec *x, const char *model, const nn_weights *w)
{
    char both[130] = "";
    if (w->sha256[0] && w->manifest_sha256[0])
        snprintf(both, sizeof both, "%s%s", w->sha256, w->manifest_sha256);
    nn_store_close(&x->store);
    nn_store_open(&x->store, x->ctx->cache_dir, model, both, x->ctx->threads);
}

void nn_exec_end(nn_exec *x)
{
    if (!x->status)
        nn_store_save(&x->store);
}

void nn_exec_begin(nn_exec *x)
{
    nn_arena *a = x->ctx->arena;
    for (int i = 0; i < a->nlive; i++)   /* what the last pass left alive */
        if (a->live[i].extra)
            free(a->live[i].ptr);
    a->nlive = 0;
    a->high = 0;
    if (a->high_max > a->size) {
        /* Grow the block to the largest high-water mark seen: from then on
         * every pass of these shapes fits. */
        free(a->base);
        a->base = aligned_alloc(ARENA_ALIGN, a->high_max);
        a->size = a->base ? a->high_max : 0;
    }
    x->flops = 0;
    x->status = 0;
    x->err.code = 0;
    x->err.message[0] = 0;
    /* OpenMP's thread count is per calling thread: this pass's primitives use ctx->threads. */
    omp_set_num_threads(x->ctx->threads);
}

/* First fit among the live ranges; past the block's end, a malloc'd block
 * stands in for this pass and the block grows at the next one. */
static float *arena_alloc(nn_exec *x, size_t bytes)
{
    nn_arena *a = x->ctx->arena;
    bytes = (bytes + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
    if (a->nlive == NN_ARENA_LIVE)
        return NULL;
    size_t off = 0;
    int at = 0;
    for (; at < a->nlive && a->live[at].off < off + bytes; at++)
        if (a->live[at].off + a->live[at].len > off)
            off = a->live[at].off + a->live[at].len;
    int extra = off + bytes > a->size || !a->base;
    void *p = extra ? aligned_alloc(ARENA_ALIGN, bytes) : a->base + off;
    if (!p)
        return NULL;
    memmove(&a->live[at + 1], &a->live[at], (size_t)(a->nlive - at) * sizeof a->live[0]);
    a->live[at].off = off;
    a->live[at].len = bytes;
    a->live[at].ptr = p;
    a->live[at].refs = 1;
    a->live[at].extra = extra;
    a->nlive++;
    if (off + bytes > a->high)
        a->high = off + bytes;
    if (a->high > a->high_max)
        a->high_max = a->high;
    return p;
}

static int arena_find(const nn_arena *a, const void *ptr)
{
    for (int i = 0; ptr && i < a->nlive; i++)
        if (a->live[i].ptr == ptr)
            return i;
    return -1;
}

nn_tensor nn_keep(nn_exec *x, nn_tensor t)
{
    int i = arena_find(x->ctx->arena, t.data);
    if (i >= 0)
        x->ctx->arena->live[i].refs++;
    return t;
}

void nn_release(nn_exec *x, nn_tensor t)
{
    nn_arena *a = x->ctx->arena;
    int i = arena_find(a, t.data);
    if (i < 0 || --a->live[i].refs > 0)
        return;
    if (a->live[i].extra)
        free(a->live[i].ptr);
    memmove(&a->live[i], &a->live[i + 1], (size_t)(a->nlive - i - 1) * sizeof a->live[0]);
    a->nlive--;
}

nn_tensor nn_tensor_new(nn_exec *x, int n, int h, int w, int c)
{
    nn_tensor t = {n, h, w, c, NULL, 0};
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

/* TensorFlow SAME padding of one axis: total split with the extra at the end. */
static void same_pad(int in, int k, int stride, nn_pad pad, dnnl_dim_t *before, dnnl_dim_t *after)
{
    int total = 0;
    if (pad == NN_SAME) {
        total = (out_dim(in, k, stride, pad) - 1) * stride + k - in;
        if (total < 0)
            total = 0;
    }
    *before = total / 2;
    *after = total - total / 2;
}

/* Post-ops: optional sum (residual), then the activation. */
static dnnl_primitive_attr_t make_attr(int sum, nn_act act)
{
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t po = NULL;
    if (dnnl_primitive_attr_create(&attr) != dnnl_success)
        return NULL;
    if (dnnl_post_ops_create(&po) == dnnl_success) {
        if (sum)
            dnnl_post_ops_append_sum(po, 1.0f);
        if (act == NN_RELU)
            dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f);
        else if (act == NN_RELU6)
            dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_clip, 0.0f, 6.0f);
        dnnl_primitive_attr_set_post_ops(attr, po);
        dnnl_post_ops_destroy(po);
    }
    return attr;
}

/* Creates pd's primitive and memory objects for SRC/DST (+SRC_1) into p. */
static int make_prim(const nn_ctx *ctx, dnnl_primitive_desc_t pd, nn_prim *p, int has_src1)
{
    if (dnnl_primitive_create(&p->prim, pd) != dnnl_success)
        return -1;
    const dnnl_memory_desc_t *src = dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
    const dnnl_memory_desc_t *dst = dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
    if (dnnl_memory_create(&p->src, src, ctx->engine, DNNL_MEMORY_NONE) != dnnl_success ||
        dnnl_memory_create(&p->dst, dst, ctx->engine, DNNL_MEMORY_NONE) != dnnl_success)
        return -1;
    if (has_src1) {
        const dnnl_memory_desc_t *s1 = dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 1);
        if (dnnl_memory_create(&p->src1, s1, ctx->engine, DNNL_MEMORY_NONE) != dnnl_success)
            return -1;
    }
    return 0;
}

static int execute(const nn_ctx *ctx, nn_prim *p, int nargs, dnnl_exec_arg_t *args)
{
    return dnnl_primitive_execute(p->prim, ctx->stream, nargs, args) == dnnl_success ? 0 : -1;
}

// ----------------------------------------------------------------------------
// Convolution

static size_t filter_count(const nn_conv_layer *l)
{
    return (size_t)l->kh * l->kw * l->cin * (l->depthwise ? 1 : l->cout);
}

int nn_conv_init_filter(nn_conv_layer *l, int kh, int kw, int cin, int cout, int stride,
                        nn_pad pad, int depthwise, nn_filter *filter, const float *bias,
                        const float *scale, const float *shift, nn_act act, celeb_error *err)
{
    memset(l, 0, sizeof *l);
    l->kh = kh;
    l->kw = kw;
    l->stride = stride;
    l->cin = cin;
    l->cout = cout;
    l->depthwise = depthwise;
    l->pad = pad;
    l->act = act;
    l->weights = filter->data;
    l->q = filter->q;
    l->qvalue = filter->value;
    *filter = (nn_filter){0};
    l->bias = malloc((size_t)cout * sizeof *l->bias);
    if (l->q && scale && (l->fold = malloc((size_t)cout * sizeof *l->fold)))
        memcpy(l->fold, scale, (size_t)cout * sizeof *l->fold);
    if (!(l->weights || (l->q && l->qvalue)) || !l->bias || (l->q && scale && !l->fold)) {
        nn_conv_free(l);
        return celeb_fail(err, CELEB_ENOMEM, "out of memory building a conv layer");
    }
    /* The tfjs layout (HWIO, or HW-C-1 for depthwise) is kept; the scale is folded. */
    size_t count = filter_count(l);
    if (scale && l->weights)
        for (size_t i = 0; i < count; i += cout)   /* the output channel is innermost */
            for (int o = 0; o < cout; o++)
                l->weights[i + o] *= scale[o];
    for (int o = 0; o < cout; o++) {
        float v = bias ? bias[o] : 0.0f;
        l->bias[o] = scale ? v * scale[o] + shift[o] : v;
    }
    return CELEB_OK;
}

int nn_conv_init(nn_conv_layer *l, int kh, int kw, int cin, int cout, int stride, nn_pad pad,
                 int depthwise, const float *filter, const float *bias, const float *scale,
                 const float *shift, nn_act act, celeb_error *err)
{
    size_t count = (size_t)kh * kw * cin * (depthwise ? 1 : cout);
    nn_filter f = {.data = malloc(count * sizeof(float))};
    if (f.data)
        memcpy(f.data, filter, count * sizeof(float));
    return nn_conv_init_filter(l, kh, kw, cin, cout, stride, pad, depthwise, &f, bias, scale,
                               shift, act, err);
}

/* The plain filter to pack from: the layer's own, else made from its
 * quantized bytes into *made (the caller frees it), else NULL. */
static const float *plain_filter(const nn_conv_layer *l, float **made)
{
    *made = NULL;
    if (l->weights || !l->q)
        return l->weights;
    size_t count = filter_count(l);
    float *w = malloc(count * sizeof *w);
    if (!w)
        return NULL;
    for (size_t i = 0; i < count; i++)
        w[i] = l->qvalue[l->q[i]];
    if (l->fold)
        for (size_t i = 0; i < count; i += l->cout)
            for (int o = 0; o < l->cout; o++)
                w[i + o] *= l->fold[o];
    *made = w;
    return w;
}

void nn_conv_set_sum(nn_conv_layer *l) { l->sum = 1; }

void nn_conv_set_winograd(nn_conv_layer *l)
{
    l->winograd = l->kh == 3 && l->kw == 3 && l->stride == 1 && !l->depthwise &&
                  l->cin % 16 == 0 && l->cout % 16 == 0;
}


void nn_conv_free(nn_conv_layer *l)
{
    cache_free(&l->cache);
    for (int i = 0; i < l->npacked; i++)
        dnnl_memory_destroy(l->packed[i]);
    l->npacked = 0;
    free(l->weights);
    free(l->bias);
    free(l->q);
    free(l->qvalue);
    free(l->fold);
    l->weights = l->bias = l->qvalue = l->fold = NULL;
    l->q = NULL;
}

int nn_winograd_pays(const nn_exec *x, int n, int h)
{
    return x->ctx->winograd && ((n >= 8 && h >= 3) || h >= 8);
}

/* p's weights become the layer's packed copy in their layout, shared by
 * its primitives that choose the same one. */
static void keep_packed(nn_conv_layer *l, nn_prim *p)
{
    if (l->npacked == NN_PRIM_CACHE)
        return;   /* p keeps them to itself */
    l->packed[l->npacked++] = p->weights;   /* the layer owns it from now on */
    p->shared_weights = 1;
    /* Other layouts can be made from q or from this copy; Winograd's cannot
     * be read back, so a layer that may use it and has no q keeps the plain
     * weights. */
    if (!l->winograd || l->q) {
        free(l->weights);
        l->weights = NULL;
    }
}

/* Undoes conv_prim's cache_add of *p (the last slot taken) after a failure. */
static void drop_prim(nn_conv_layer *l, nn_prim **p)
{
    prim_release(*p);
    l->cache.count--;
    *p = NULL;
}

/* An n x c x h x w activation descriptor, NHWC or blocked nChw16c. */
static void act_md(dnnl_memory_desc_t *md, int n, int h, int w, int c, int blocked)
{
    dnnl_dims_t d = {n, c, h, w};
    dnnl_memory_desc_init_by_tag(md, 4, d, dnnl_f32, blocked ? dnnl_nChw16c : dnnl_nhwc);
}

/* The primitive for an input of n x h x w in the given layouts. A row band
 * (nn_conv_rows) reads only the first h of full_h input rows and writes the
 * first oh_rows output rows; otherwise h == full_h and oh_rows is the whole
 * output. */
static nn_prim *conv_prim(nn_exec *x, nn_conv_layer *l, int n, int h, int w, int full_h,
                          int oh_rows, int src_blocked, int dst_blocked)
{
    int band = h != full_h || oh_rows != out_dim(full_h, l->kh, l->stride, l->pad);
    int key = (band ? oh_rows : 0) * 4 + src_blocked * 2 + dst_blocked;
    nn_prim *p = cache_find(&l->cache, n, h, w, key);
    if (p)
        return p;
    const nn_ctx *ctx = x->ctx;
    int oh = oh_rows, ow = out_dim(w, l->kw, l->stride, l->pad);
    dnnl_memory_desc_t src, dst, wany, wplain, bmd;
    act_md(&src, n, h, w, l->cin, src_blocked);
    act_md(&dst, n, oh, ow, l->cout, dst_blocked);
    dnnl_dims_t bd = {l->cout};
    dnnl_memory_desc_init_by_tag(&bmd, 1, bd, dnnl_f32, dnnl_a);
    if (l->depthwise) {
        dnnl_dims_t wd = {l->cin, 1, 1, l->kh, l->kw};
        dnnl_memory_desc_init_by_tag(&wany, 5, wd, dnnl_f32, dnnl_format_tag_any);
        dnnl_memory_desc_init_by_tag(&wplain, 5, wd, dnnl_f32, dnnl_hwigo);
    } else {
        dnnl_dims_t wd = {l->cout, l->cin, l->kh, l->kw};
        dnnl_memory_desc_init_by_tag(&wany, 4, wd, dnnl_f32, dnnl_format_tag_any);
        dnnl_memory_desc_init_by_tag(&wplain, 4, wd, dnnl_f32, dnnl_hwio);
    }
    dnnl_dims_t strides = {l->stride, l->stride}, pl, pr;
    same_pad(full_h, l->kh, l->stride, l->pad, &pl[0], &pr[0]);
    same_pad(w, l->kw, l->stride, l->pad, &pl[1], &pr[1]);
    if (band) {   /* bottom padding that makes h input rows give exactly oh output rows */
        pr[0] = (dnnl_dim_t)(oh - 1) * l->stride + l->kh - pl[0] - h;
        if (pr[0] < 0)
            pr[0] = 0;
    }
    dnnl_convolution_desc_t desc;
    dnnl_primitive_desc_t pd = NULL, rpd = NULL;
    dnnl_primitive_t reorder = NULL;
    dnnl_memory_t plain = NULL;
    float *made = NULL;   /* the plain filter made from q for this packing */
    dnnl_primitive_attr_t attr = make_attr(l->sum, l->act);
    /* Falls back to direct if oneDNN refuses Winograd. */
    int wino = l->winograd && !band && src_blocked && dst_blocked && nn_winograd_pays(x, n, h);
    int ok = 0;
    for (int alg = wino ? 0 : 1; attr && !ok && alg < 2; alg++)
        ok = dnnl_convolution_forward_desc_init(&desc, dnnl_forward_inference,
                                                alg == 0 ? dnnl_convolution_winograd
                                                         : dnnl_convolution_direct,
                                                &src, &wany, &bmd, &dst, strides, pl,
                                                pr) == dnnl_success &&
             dnnl_primitive_desc_create(&pd, &desc, attr, ctx->engine, NULL) == dnnl_success;
    p = ok ? cache_add(ctx, &l->cache, pd, n, h, w, key, 0) : NULL;
    const dnnl_memory_desc_t *wmd = p ? dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0) : NULL;
    /* Primitives for other batch sizes usually want the same weights layout:
     * share the packed copy instead of making one per shape. */
    for (int i = 0; p && i < l->npacked; i++) {
        const dnnl_memory_desc_t *md = NULL;
        if (dnnl_memory_get_memory_desc(l->packed[i], &md) == dnnl_success && md &&
            dnnl_memory_desc_equal(md, wmd)) {
            p->weights = l->packed[i];
            p->shared_weights = 1;
            ok = dnnl_memory_create(&p->bias, &bmd, ctx->engine, l->bias) == dnnl_success;
            if (!ok)
                drop_prim(l, &p);
            goto done;
        }
    }
    /* Packed by an earlier process: used in place. The layer's name in the
     * store is its place in the net's struct, which holds x too (nn.h). */
    long id = (long)((const char *)l - (const char *)x);
    size_t kept_size = 0;
    const void *kept = p ? nn_store_find(&x->store, (int)id, wmd, &kept_size) : NULL;
    if (kept) {
        ok = dnnl_memory_create(&p->weights, wmd, ctx->engine, (void *)kept) == dnnl_success &&
             dnnl_memory_create(&p->bias, &bmd, ctx->engine, l->bias) == dnnl_success;
        if (ok) {
            keep_packed(l, p);
            goto done;
        }
        /* Never an error of the store's: pack as without one. */
        dnnl_memory_t *made_mem[2] = {&p->weights, &p->bias};
        for (int i = 0; i < 2; i++)
            if (*made_mem[i]) {
                dnnl_memory_destroy(*made_mem[i]);
                *made_mem[i] = NULL;
            }
    }
    if (p) {
        /* From the plain filter, or when there is none, from the first packed copy. */
        const dnnl_memory_desc_t *from = &wplain;
        void *from_data = (void *)plain_filter(l, &made);
        if (!from_data && (l->npacked == 0 ||
                           dnnl_memory_get_memory_desc(l->packed[0], &from) != dnnl_success ||
                           dnnl_memory_get_data_handle(l->packed[0], &from_data) != dnnl_success))
            from = NULL;
        dnnl_exec_arg_t args[2];
        ok = from && dnnl_memory_create(&p->weights, wmd, ctx->engine, DNNL_MEMORY_ALLOCATE) == dnnl_success &&
             dnnl_memory_create(&p->bias, &bmd, ctx->engine, l->bias) == dnnl_success &&
             dnnl_memory_create(&plain, from, ctx->engine, from_data) == dnnl_success &&
             dnnl_reorder_primitive_desc_create(&rpd, from, ctx->engine, wmd, ctx->engine, NULL) == dnnl_success &&
             dnnl_primitive_create(&reorder, rpd) == dnnl_success;
        if (ok) {
            args[0] = (dnnl_exec_arg_t){DNNL_ARG_FROM, plain};
            args[1] = (dnnl_exec_arg_t){DNNL_ARG_TO, p->weights};
            ok = dnnl_primitive_execute(reorder, ctx->stream, 2, args) == dnnl_success;
        }
        void *bytes = NULL;   /* kept for the store only while the layer owns them */
        if (ok && l->npacked < NN_PRIM_CACHE &&
            dnnl_memory_get_data_handle(p->weights, &bytes) == dnnl_success)
            nn_store_put(&x->store, (int)id, wmd, bytes, dnnl_memory_desc_get_size(wmd));
        if (ok)
            keep_packed(l, p);
        else
            drop_prim(l, &p);
    }
done:
    if (reorder)
        dnnl_primitive_destroy(reorder);
    if (rpd)
        dnnl_primitive_desc_destroy(rpd);
    if (plain)
        dnnl_memory_destroy(plain);
    free(made);
    if (pd)
        dnnl_primitive_desc_destroy(pd);
    if (attr)
        dnnl_primitive_attr_destroy(attr);
    if (!p)
        exec_fail(x, CELEB_EINTERNAL, "oneDNN refused a convolution");
    return p;
}

/* Runs l on the first in_rows rows of in into the first out_rows rows of
 * out (all of them for a whole tensor), in their layouts. */
static void conv_run(nn_exec *x, nn_conv_layer *l, nn_tensor in, int in_rows, nn_tensor out,
                     int out_rows)
{
    if (in.c != l->cin || out.h <= 0 || out.w <= 0 || (out.blocked && out.c % 16) ||
        (in.blocked && in.c % 16)) {
        exec_fail(x, CELEB_EINTERNAL, "conv input shape mismatch");
        return;
    }
    nn_prim *p = conv_prim(x, l, in.n, in_rows, in.w, in.h, out_rows, in.blocked, out.blocked);
    if (!p)
        return;
    x->flops += 2.0 * out.n * out_rows * out.w * out.c * l->kh * l->kw * (l->depthwise ? 1 : l->cin);
    dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, p->src},
                               {DNNL_ARG_WEIGHTS, p->weights},
                               {DNNL_ARG_BIAS, p->bias},
                               {DNNL_ARG_DST, p->dst}};
    if (set_handle(p->src, in.data) || set_handle(p->dst, out.data) || execute(x->ctx, p, 4, args))
        exec_fail(x, CELEB_EINTERNAL, "conv failed");
}

nn_tensor nn_conv(nn_exec *x, nn_conv_layer *l, nn_tensor in)
{
    nn_tensor out = nn_tensor_new(x, in.n, out_dim(in.h, l->kh, l->stride, l->pad),
                                  out_dim(in.w, l->kw, l->stride, l->pad), l->cout);
    out.blocked = in.blocked;
    if (x->status)
        return out;
    if (l->sum) {
        exec_fail(x, CELEB_EINTERNAL, "a residual conv needs nn_conv_add");
        return out;
    }
    conv_run(x, l, in, in.h, out, out.h);
    nn_release(x, in);
    return out;
}

nn_tensor nn_conv_add(nn_exec *x, nn_conv_layer *l, nn_tensor in, nn_tensor acc)
{
    if (x->status)
        return acc;
    if (!l->sum || acc.n != in.n || acc.c != l->cout ||
        acc.h != out_dim(in.h, l->kh, l->stride, l->pad) ||
        acc.w != out_dim(in.w, l->kw, l->stride, l->pad)) {
        exec_fail(x, CELEB_EINTERNAL, "residual conv shape mismatch");
        return acc;
    }
    conv_run(x, l, in, in.h, acc, acc.h);
    nn_release(x, in);
    return acc;
}

nn_tensor nn_conv_rows(nn_exec *x, nn_conv_layer *l, nn_tensor in, int in_rows, int *out_rows)
{
    nn_tensor out = nn_tensor_new(x, in.n, out_dim(in.h, l->kh, l->stride, l->pad),
                                  out_dim(in.w, l->kw, l->stride, l->pad), l->cout);
    *out_rows = out.h;
    if (x->status)
        return out;
    if (l->sum || in.n != 1 || in.blocked || in_rows < 1 || in_rows > in.h) {
        exec_fail(x, CELEB_EINTERNAL, "bad row band");
        return out;
    }
    /* Output row r reads input rows r*s - top .. r*s - top + k - 1: rows from
     * ceil((in_rows + top) / s) on read no changed row. */
    dnnl_dim_t top, bottom;
    same_pad(in.h, l->kh, l->stride, l->pad, &top, &bottom);
    int rows = (int)((in_rows + top + l->stride - 1) / l->stride);
    if (rows > out.h)
        rows = out.h;
    int read = (rows - 1) * l->stride + l->kh - (int)top;
    if (read > in.h)
        read = in.h;
    if (read < 1)
        read = 1;
    conv_run(x, l, in, read, out, rows);
    nn_release(x, in);
    *out_rows = rows;
    return out;
}

// ----------------------------------------------------------------------------
// Fully connected: a 1x1 conv on a 1x1 map

int nn_fc_init(nn_fc_layer *l, int cin, int cout, const float *weights, const float *bias,
               celeb_error *err)
{
    l->cin = cin;
    l->cout = cout;
    return nn_conv_init(&l->conv, 1, 1, cin, cout, 1, NN_VALID, 0, weights, bias, NULL, NULL,
                        NN_LINEAR, err);
}

void nn_fc_free(nn_fc_layer *l) { nn_conv_free(&l->conv); }

nn_tensor nn_fc(nn_exec *x, nn_fc_layer *l, nn_tensor in)
{
    if (!x->status && in.h * in.w * in.c != l->cin) {
        exec_fail(x, CELEB_EINTERNAL, "fully connected input size mismatch");
        return in;
    }
    nn_tensor flat = {in.n, 1, 1, l->cin, in.data, 0};
    return nn_conv(x, &l->conv, flat);
}

// ----------------------------------------------------------------------------
// Pooling

int nn_pool_init(nn_pool_layer *l, int is_max, int k, int stride, nn_pad pad, int channels,
                 celeb_error *err)
{
    memset(l, 0, sizeof *l);
    l->k = k;
    l->stride = stride;
    l->c = channels;
    l->is_max = is_max;
    l->pad = pad;
    return CELEB_OK;
}

void nn_pool_free(nn_pool_layer *l) { cache_free(&l->cache); }

nn_tensor nn_pool(nn_exec *x, nn_pool_layer *l, nn_tensor in)
{
    nn_tensor out = nn_tensor_new(x, in.n, out_dim(in.h, l->k, l->stride, l->pad),
                                  out_dim(in.w, l->k, l->stride, l->pad), in.c);
    if (x->status)
        return out;
    if (in.c != l->c || out.h <= 0 || out.w <= 0) {
        exec_fail(x, CELEB_EINTERNAL, "pooling input shape mismatch");
        return out;
    }
    out.blocked = in.blocked;
    nn_prim *p = cache_find(&l->cache, in.n, in.h, in.w, in.blocked);
    if (!p) {
        dnnl_memory_desc_t src, dst;
        act_md(&src, in.n, in.h, in.w, in.c, in.blocked);
        act_md(&dst, out.n, out.h, out.w, out.c, in.blocked);
        dnnl_dims_t strides = {l->stride, l->stride}, kernel = {l->k, l->k}, dil = {0, 0}, pl, pr;
        same_pad(in.h, l->k, l->stride, l->pad, &pl[0], &pr[0]);
        same_pad(in.w, l->k, l->stride, l->pad, &pl[1], &pr[1]);
        /* Max pooling ignores padded cells (TF SAME); average pooling here is
         * always VALID, so "exclude padding" changes nothing. */
        dnnl_pooling_v2_desc_t desc;
        dnnl_primitive_desc_t pd = NULL;
        if (dnnl_pooling_v2_forward_desc_init(&desc, dnnl_forward_inference,
                                              l->is_max ? dnnl_pooling_max : dnnl_pooling_avg_exclude_padding,
                                              &src, &dst, strides, kernel, dil, pl, pr) == dnnl_success &&
            dnnl_primitive_desc_create(&pd, &desc, NULL, x->ctx->engine, NULL) == dnnl_success)
            p = cache_add(x->ctx, &l->cache, pd, in.n, in.h, in.w, in.blocked, 0);
        if (pd)
            dnnl_primitive_desc_destroy(pd);
        if (!p) {
            exec_fail(x, CELEB_EINTERNAL, "oneDNN refused a pooling");
            return out;
        }
    }
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_SRC, p->src}, {DNNL_ARG_DST, p->dst}};
    if (set_handle(p->src, in.data) || set_handle(p->dst, out.data) || execute(x->ctx, p, 2, args))
        exec_fail(x, CELEB_EINTERNAL, "pooling failed");
    nn_release(x, in);
    return out;
}

// ----------------------------------------------------------------------------
// Elementwise

nn_tensor nn_add(nn_exec *x, nn_tensor a, nn_tensor b, nn_act act)
{
    nn_tensor out = nn_tensor_new(x, a.n, a.h, a.w, a.c);
    if (x->status)
        return out;
    out.blocked = a.blocked;
    if (nn_numel(a) != nn_numel(b) || a.blocked != b.blocked) {
        exec_fail(x, CELEB_EINTERNAL, "add of different shapes");
        return out;
    }
    nn_prim_cache *c = &x->add[act];
    nn_prim *p = cache_find(c, a.n, a.h, a.w, a.c * 2 + a.blocked);
    if (!p) {
        dnnl_memory_desc_t md;
        act_md(&md, a.n, a.h, a.w, a.c, a.blocked);
        dnnl_binary_desc_t desc;
        dnnl_primitive_desc_t pd = NULL;
        dnnl_primitive_attr_t attr = make_attr(0, act);
        if (attr && dnnl_binary_desc_init(&desc, dnnl_binary_add, &md, &md, &md) == dnnl_success &&
            dnnl_primitive_desc_create(&pd, &desc, attr, x->ctx->engine, NULL) == dnnl_success)
            p = cache_add(x->ctx, c, pd, a.n, a.h, a.w, a.c * 2 + a.blocked, 1);
        if (pd)
            dnnl_primitive_desc_destroy(pd);
        if (attr)
            dnnl_primitive_attr_destroy(attr);
        if (!p) {
            exec_fail(x, CELEB_EINTERNAL, "oneDNN refused an add");
            return out;
        }
    }
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC_0, p->src}, {DNNL_ARG_SRC_1, p->src1}, {DNNL_ARG_DST, p->dst}};
    if (set_handle(p->src, a.data) || set_handle(p->src1, b.data) || set_handle(p->dst, out.data) ||
        execute(x->ctx, p, 3, args))
        exec_fail(x, CELEB_EINTERNAL, "add failed");
    nn_release(x, a);
    nn_release(x, b);
    return out;
}

nn_tensor nn_reorder(nn_exec *x, nn_tensor t, int blocked)
{
    if (x->status || t.blocked == blocked)
        return t;
    nn_tensor out = nn_tensor_new(x, t.n, t.h, t.w, t.c);
    out.blocked = blocked;
    if (x->status)
        return out;
    if (t.c % 16) {
        exec_fail(x, CELEB_EINTERNAL, "blocked layout needs channels in 16s");
        return out;
    }
    nn_prim *p = cache_find(&x->reorder, t.n, t.h, t.w, t.c * 2 + blocked);
    if (!p) {
        dnnl_memory_desc_t from, to;
        act_md(&from, t.n, t.h, t.w, t.c, t.blocked);
        act_md(&to, t.n, t.h, t.w, t.c, blocked);
        dnnl_primitive_desc_t pd = NULL;
        if (dnnl_reorder_primitive_desc_create(&pd, &from, x->ctx->engine, &to, x->ctx->engine,
                                               NULL) == dnnl_success)
            p = cache_add(x->ctx, &x->reorder, pd, t.n, t.h, t.w, t.c * 2 + blocked, 0);
        if (pd)
            dnnl_primitive_desc_destroy(pd);
        if (!p) {
            exec_fail(x, CELEB_EINTERNAL, "oneDNN refused a reorder");
            return out;
        }
    }
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, p->src}, {DNNL_ARG_TO, p->dst}};
    if (set_handle(p->src, t.data) || set_handle(p->dst, out.data) || execute(x->ctx, p, 2, args))
        exec_fail(x, CELEB_EINTERNAL, "reorder failed");
    nn_release(x, t);
    return out;
}

nn_tensor nn_mean_hw(nn_exec *x, nn_tensor in)
{
    nn_tensor out = nn_tensor_new(x, in.n, 1, 1, in.c);
    if (x->status)
        return out;
    size_t hw = (size_t)in.h * in.w;
    for (int n = 0; n < in.n; n++)
        for (int c = 0; c < in.c; c++) {
            float s = 0.0f;
            for (int y = 0; y < in.h; y++)
                for (int xx = 0; xx < in.w; xx++)
                    s += in.data[nn_offset(in, n, y, xx, c)];
            out.data[(size_t)n * in.c + c] = s / (float)hw;
        }
    nn_release(x, in);
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
