/* bench/kernels.c - which kernel library should our nets use?
 *
 * Runs the same representative conv layers (NHWC float32) in
 *   - XNNPACK (operator API: xnn_create_convolution2d_nhwc_f32 + pthreadpool)
 *   - oneDNN  (C API, dnnl_convolution_forward, weights format `any`):
 *       nhwc   : src/dst nhwc (what our pipeline uses, no reorders)
 *       blk    : src/dst forced to blocked nChw16c, conv only
 *       blk+ro : the same plus reorders nhwc->nChw16c and nChw16c->nhwc
 *   (with src/dst `any`, oneDNN 2.6 on avx512_core picks nhwc itself: brgconv;
 *    the layout it picks is printed at the end)
 *       wino   : dnnl_convolution_winograd (3x3 stride 1 only), conv only
 *       wino+ro: the same plus the reorders from/to NHWC
 *   (GFLOP/s for winograd are "effective": direct-conv FLOPs / time)
 * at 1 and 2 threads.  Each (library, thread count) runs in its own child
 * process (a re-exec of this binary) so that OpenMP and pthreadpool workers
 * never compete; oneDNN (OpenMP runtime) gets OMP_NUM_THREADS, XNNPACK gets
 * pthreadpool_create(n).
 *
 * Build: cc -std=c11 -O2 -Wall -Wextra -Werror bench/kernels.c \
 *          -lXNNPACK -lpthreadpool -ldnnl -lm -lpthread
 * Usage: kernels [--min-time SEC] [--threads 1,2] [--only SUBSTR] [--wait-idle SEC]
 *   --wait-idle: before each child, wait up to SEC for other processes to leave the
 *   CPUs idle; each child's line in the header says how busy they were (on 2 cores
 *   the 2-thread figures are worthless if anything else runs).
 *   (internal: kernels --child xnn|dnnl THREADS ...)
 * Timing: each case is warmed, then run until min-time (default 0.3 s) and
 * at least 7 times; the median ms per run is reported.  GFLOP/s = 2*MACs/t.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>
#include <pthreadpool.h>
#include <xnnpack.h>

/* ------------------------------------------------------------------ layers */
typedef struct {
    const char *name;
    int H, W, C, K;          /* input HxWxC, K output channels             */
    int kh, kw, s;           /* kernel, stride                             */
    int pt, pl, pb, pr;      /* padding top/left/bottom/right              */
    int dw;                  /* depthwise (K == C, groups == C)            */
    int rec;                 /* recognition layer: also run at batch 16    */
    int w_brief, w_full;     /* occurrences: brief's rough set / full net  */
} layer_t;

/* Recognition net (NOTES.md s3): 150x150x3 -7x7s2v-> 72x72x32 -pool-> 35x35x32,
 * 3 residual (6 convs) @35x35x32; residualDown to 17x17x64 (1 s2-valid conv + 1 s1)
 * + 3 residual (6) -> 7 s1 convs @17x17x64; down to 8x8x128 (+1 s1) + 2 residual
 * -> 5 @8x8x128; down to 3x3x256 -> 5 @3x3x256; down_out to 1x1x256 + 1 s1 conv
 * (only the centre tap is non-zero).  The brief's rough set uses 4x4x256. */
static const layer_t LAYERS[] = {
    /* name                H    W    C     K   kh kw s  pt pl pb pr dw rec brief full */
    {"rec 7x7s2v 150x3->32", 150, 150, 3, 32, 7, 7, 2, 0, 0, 0, 0, 0, 1, 1, 1},
    {"rec 3x3 35x35x32", 35, 35, 32, 32, 3, 3, 1, 1, 1, 1, 1, 0, 1, 6, 6},
    {"rec 3x3 17x17x64", 17, 17, 64, 64, 3, 3, 1, 1, 1, 1, 1, 0, 1, 7, 7},
    {"rec 3x3 8x8x128", 8, 8, 128, 128, 3, 3, 1, 1, 1, 1, 1, 0, 1, 5, 5},
    {"rec 3x3 4x4x256", 4, 4, 256, 256, 3, 3, 1, 1, 1, 1, 1, 0, 1, 5, 0},
    {"rec 3x3 3x3x256", 3, 3, 256, 256, 3, 3, 1, 1, 1, 1, 1, 0, 1, 0, 5},
    {"rec 3x3 1x1x256", 1, 1, 256, 256, 3, 3, 1, 1, 1, 1, 1, 0, 1, 0, 1},
    {"rec down 35x35x32->64", 35, 35, 32, 64, 3, 3, 2, 0, 0, 0, 0, 0, 1, 0, 1},
    {"rec down 17x17x64->128", 17, 17, 64, 128, 3, 3, 2, 0, 0, 0, 0, 0, 1, 0, 1},
    {"rec down 8x8x128->256", 8, 8, 128, 256, 3, 3, 2, 0, 0, 0, 0, 0, 1, 0, 1},
    {"rec down 3x3x256->256", 3, 3, 256, 256, 3, 3, 2, 0, 0, 0, 0, 0, 1, 0, 1},
    {"ssd 3x3s2 512x512x3->32", 512, 512, 3, 32, 3, 3, 2, 0, 0, 1, 1, 0, 0, 0, 0},
    {"ssd dw3x3 256x256x32", 256, 256, 32, 32, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0, 0},
    {"ssd pw 128x128x64->128", 128, 128, 64, 128, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0},
    {"ssd pw 32x32x512->512", 32, 32, 512, 512, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0},
    {"ssd pw 16x16x1024->1024", 16, 16, 1024, 1024, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0},
    {"ssd dw3x3 32x32x512", 32, 32, 512, 512, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0, 0},
};
#define NLAYERS ((int)(sizeof LAYERS / sizeof LAYERS[0]))

enum { M_XNN, M_NHWC, M_BLK, M_BLKRO, M_WINO, M_WINORO, NMETH, M_ANYPICK = NMETH };
static const char *METH_NAME[NMETH] = {"xnn",         "dnnl-nhwc", "dnnl-blk16",
                                       "dnnl-blk16+ro", "dnnl-wino", "dnnl-wino+ro"};

static int out_h(const layer_t *L) { return (L->H + L->pt + L->pb - L->kh) / L->s + 1; }
static int out_w(const layer_t *L) { return (L->W + L->pl + L->pr - L->kw) / L->s + 1; }
static double macs(const layer_t *L, int n) {
    double per_out = (double)L->kh * L->kw * (L->dw ? 1 : L->C);
    return (double)n * out_h(L) * out_w(L) * L->K * per_out;
}
static int is_wino_candidate(const layer_t *L) {
    return !L->dw && L->kh == 3 && L->kw == 3 && L->s == 1;
}

/* ------------------------------------------------------------------ utils */
static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}
static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static float frand(void) { /* uniform [-1,1) */
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (float)((rng_state >> 40) * (1.0 / 16777216.0)) * 2.f - 1.f;
}
static float *alloc_f(size_t n) {
    void *p = NULL;
    if (posix_memalign(&p, 64, (n ? n : 1) * sizeof(float))) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    memset(p, 0, (n ? n : 1) * sizeof(float));
    return p;
}

static double g_min_time = 0.3;

typedef void (*run_fn)(void *ctx);
/* median ms per run */
static double time_it(run_fn fn, void *ctx) {
    double t0 = now_s();
    int warm = 0;
    while (warm < 3 || (now_s() - t0 < 0.05 && warm < 200)) {
        fn(ctx);
        warm++;
    }
    enum { MAXR = 4000 };
    static double t[MAXR];
    int n = 0;
    double start = now_s();
    while (n < MAXR && (n < 7 || now_s() - start < g_min_time)) {
        double a = now_s();
        fn(ctx);
        t[n++] = (now_s() - a) * 1e3;
    }
    qsort(t, n, sizeof t[0], cmp_d);
    return (n & 1) ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

/* canonical data for a case: input NHWC, weights OHWI (or HWC for depthwise), bias */
typedef struct {
    const layer_t *L;
    int n, oh, ow;
    float *in, *wt, *bias;
    size_t in_n, out_n, wt_n;
} data_t;

static void make_data(data_t *d, const layer_t *L, int n) {
    d->L = L;
    d->n = n;
    d->oh = out_h(L);
    d->ow = out_w(L);
    d->in_n = (size_t)n * L->H * L->W * L->C;
    d->out_n = (size_t)n * d->oh * d->ow * L->K;
    d->wt_n = L->dw ? (size_t)L->kh * L->kw * L->C : (size_t)L->K * L->kh * L->kw * L->C;
    d->in = alloc_f(d->in_n);
    d->wt = alloc_f(d->wt_n);
    d->bias = alloc_f(L->K);
    float ws = 1.f / sqrtf((float)L->kh * L->kw * (L->dw ? 1 : L->C));
    for (size_t i = 0; i < d->in_n; i++) d->in[i] = frand();
    for (size_t i = 0; i < d->wt_n; i++) d->wt[i] = frand() * ws;
    for (int i = 0; i < L->K; i++) d->bias[i] = frand() * 0.1f;
}
static void free_data(data_t *d) {
    free(d->in);
    free(d->wt);
    free(d->bias);
}

/* relative max error |a-b|max / |b|max */
static double rel_err(const float *a, const float *b, size_t n) {
    double m = 0, r = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)a[i] - b[i]);
        if (e > m) m = e;
        if (fabs(b[i]) > r) r = fabs(b[i]);
    }
    return r > 0 ? m / r : m;
}

/* a simple reference (double accumulation) for sanity on small cases */
static void ref_conv(const data_t *d, float *out) {
    const layer_t *L = d->L;
    for (int b = 0; b < d->n; b++)
        for (int oy = 0; oy < d->oh; oy++)
            for (int ox = 0; ox < d->ow; ox++)
                for (int k = 0; k < L->K; k++) {
                    double acc = d->bias[k];
                    for (int ky = 0; ky < L->kh; ky++) {
                        int iy = oy * L->s - L->pt + ky;
                        if (iy < 0 || iy >= L->H) continue;
                        for (int kx = 0; kx < L->kw; kx++) {
                            int ix = ox * L->s - L->pl + kx;
                            if (ix < 0 || ix >= L->W) continue;
                            const float *ip = d->in + (((size_t)b * L->H + iy) * L->W + ix) * L->C;
                            if (L->dw) {
                                acc += (double)ip[k] * d->wt[((size_t)ky * L->kw + kx) * L->C + k];
                            } else {
                                const float *wp = d->wt + (((size_t)k * L->kh + ky) * L->kw + kx) * L->C;
                                for (int c = 0; c < L->C; c++) acc += (double)ip[c] * wp[c];
                            }
                        }
                    }
                    out[(((size_t)b * d->oh + oy) * d->ow + ox) * L->K + k] = (float)acc;
                }
}

/* ------------------------------------------------------------------ XNNPACK */
typedef struct {
    xnn_operator_t op;
    pthreadpool_t pool;
} xnn_ctx;
static void xnn_run(void *p) {
    xnn_ctx *c = p;
    if (xnn_run_operator(c->op, c->pool) != xnn_status_success) {
        fprintf(stderr, "xnn_run_operator failed\n");
        exit(1);
    }
}

static void child_xnn(int threads, const char *only) {
    if (xnn_initialize(NULL) != xnn_status_success) {
        fprintf(stderr, "xnn_initialize failed\n");
        exit(1);
    }
    pthreadpool_t pool = pthreadpool_create((size_t)threads);
    printf("INFO xnn threads=%zu\n", pthreadpool_get_threads_count(pool));
    for (int li = 0; li < NLAYERS; li++) {
        const layer_t *L = &LAYERS[li];
        if (only && !strstr(L->name, only)) continue;
        for (int bi = 0; bi < 2; bi++) {
            int n = bi ? 16 : 1;
            if (n == 16 && !L->rec) continue;
            data_t d;
            make_data(&d, L, n);
            float *out = alloc_f(d.out_n);
            xnn_operator_t op = NULL;
            enum xnn_status st = xnn_create_convolution2d_nhwc_f32(
                L->pt, L->pr, L->pb, L->pl, L->kh, L->kw, L->s, L->s, 1, 1,
                L->dw ? L->C : 1, L->dw ? 1 : L->C, L->dw ? 1 : L->K, L->C, L->K, d.wt, d.bias,
                -INFINITY, INFINITY, L->dw ? XNN_FLAG_DEPTHWISE_CONVOLUTION : 0, &op);
            if (st == xnn_status_success)
                st = xnn_setup_convolution2d_nhwc_f32(op, n, L->H, L->W, d.in, out, pool);
            if (st != xnn_status_success) {
                printf("R %d %d %d nan nan -\n", li, n, M_XNN);
            } else {
                xnn_ctx c = {op, pool};
                double ms = time_it(xnn_run, &c);
                /* correctness vs double reference (only where cheap) */
                double err = NAN;
                if (macs(L, n) < 3e8) {
                    float *ref = alloc_f(d.out_n);
                    ref_conv(&d, ref);
                    err = rel_err(out, ref, d.out_n);
                    free(ref);
                }
                printf("R %d %d %d %.5f %.3g -\n", li, n, M_XNN, ms, err);
            }
            fflush(stdout);
            if (op) xnn_delete_operator(op);
            free(out);
            free_data(&d);
        }
    }
    pthreadpool_destroy(pool);
    xnn_deinitialize();
}

/* ------------------------------------------------------------------ oneDNN */
#define DN(call)                                                                        \
    do {                                                                                \
        dnnl_status_t s_ = (call);                                                      \
        if (s_ != dnnl_success) {                                                       \
            fprintf(stderr, "%s:%d %s -> %s\n", __FILE__, __LINE__, #call,              \
                    dnnl_status2str(s_));                                               \
            exit(1);                                                                    \
        }                                                                               \
    } while (0)

static dnnl_engine_t g_eng;
static dnnl_stream_t g_strm;

static void fmt_name(const dnnl_memory_desc_t *md, char *buf, size_t len) {
    static const dnnl_format_tag_t tags[] = {dnnl_nhwc, dnnl_nchw, dnnl_nChw16c, dnnl_nChw8c,
                                             dnnl_nChw4c};
    static const char *names[] = {"nhwc", "nchw", "nChw16c", "nChw8c", "nChw4c"};
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++) {
        dnnl_memory_desc_t t;
        if (dnnl_memory_desc_init_by_tag(&t, md->ndims, md->dims, md->data_type, tags[i]) ==
                dnnl_success &&
            dnnl_memory_desc_equal(&t, md)) {
            snprintf(buf, len, "%s", names[i]);
            return;
        }
    }
    snprintf(buf, len, "%s", dnnl_fmt_kind2str(md->format_kind));
}

typedef struct {
    dnnl_primitive_t conv, ro_in, ro_out;
    dnnl_memory_t src_user, src, wei, bias, dst, dst_user;
    int with_ro;
} dn_ctx;

static void dn_exec(dnnl_primitive_t p, dnnl_memory_t from, dnnl_memory_t to) {
    dnnl_exec_arg_t a[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    DN(dnnl_primitive_execute(p, g_strm, 2, a));
}
static void dn_run(void *p) {
    dn_ctx *c = p;
    if (c->with_ro && c->ro_in) dn_exec(c->ro_in, c->src_user, c->src);
    dnnl_exec_arg_t a[4] = {{DNNL_ARG_SRC, c->src},
                            {DNNL_ARG_WEIGHTS, c->wei},
                            {DNNL_ARG_BIAS, c->bias},
                            {DNNL_ARG_DST, c->dst}};
    DN(dnnl_primitive_execute(c->conv, g_strm, 4, a));
    if (c->with_ro && c->ro_out) dn_exec(c->ro_out, c->dst, c->dst_user);
    DN(dnnl_stream_wait(g_strm));
}

/* returns 0 if the primitive could not be created */
static int dn_setup(dn_ctx *c, const data_t *d, dnnl_alg_kind_t alg, dnnl_format_tag_t act_tag,
                    char *impl, size_t impl_len, char *fmt, size_t fmt_len, float *user_out) {
    const layer_t *L = d->L;
    memset(c, 0, sizeof *c);
    dnnl_memory_desc_t src_u, dst_u, wei_u, bias_md, src_md, dst_md, wei_md;
    dnnl_dims_t sd = {d->n, L->C, L->H, L->W};
    dnnl_dims_t dd = {d->n, L->K, d->oh, d->ow};
    DN(dnnl_memory_desc_init_by_tag(&src_u, 4, sd, dnnl_f32, dnnl_nhwc));
    DN(dnnl_memory_desc_init_by_tag(&dst_u, 4, dd, dnnl_f32, dnnl_nhwc));
    DN(dnnl_memory_desc_init_by_tag(&src_md, 4, sd, dnnl_f32, act_tag));
    DN(dnnl_memory_desc_init_by_tag(&dst_md, 4, dd, dnnl_f32, act_tag));
    dnnl_dims_t bd = {L->K};
    DN(dnnl_memory_desc_init_by_tag(&bias_md, 1, bd, dnnl_f32, dnnl_x));
    int wnd;
    if (L->dw) { /* {G, O=1, I=1, KH, KW}; user layout HWC (XNNPACK's) */
        dnnl_dims_t wd = {L->C, 1, 1, L->kh, L->kw};
        dnnl_dims_t ws = {1, (dnnl_dim_t)L->kh * L->kw * L->C, (dnnl_dim_t)L->kh * L->kw * L->C,
                          (dnnl_dim_t)L->kw * L->C, L->C};
        DN(dnnl_memory_desc_init_by_strides(&wei_u, 5, wd, dnnl_f32, ws));
        DN(dnnl_memory_desc_init_by_tag(&wei_md, 5, wd, dnnl_f32, dnnl_format_tag_any));
        wnd = 5;
    } else { /* {O, I, KH, KW}; user layout OHWI */
        dnnl_dims_t wd = {L->K, L->C, L->kh, L->kw};
        DN(dnnl_memory_desc_init_by_tag(&wei_u, 4, wd, dnnl_f32, dnnl_ohwi));
        DN(dnnl_memory_desc_init_by_tag(&wei_md, 4, wd, dnnl_f32, dnnl_format_tag_any));
        wnd = 4;
    }
    (void)wnd;
    dnnl_convolution_desc_t cd;
    dnnl_dims_t strides = {L->s, L->s}, pl = {L->pt, L->pl}, pr = {L->pb, L->pr};
    if (dnnl_convolution_forward_desc_init(&cd, dnnl_forward_inference, alg, &src_md, &wei_md,
                                           &bias_md, &dst_md, strides, pl, pr) != dnnl_success)
        return 0;
    dnnl_primitive_desc_t pd;
    if (dnnl_primitive_desc_create(&pd, &cd, NULL, g_eng, NULL) != dnnl_success) return 0;
    const char *info = NULL;
    dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &info);
    snprintf(impl, impl_len, "%s", info ? info : "?");
    const dnnl_memory_desc_t *src_q = dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
    const dnnl_memory_desc_t *dst_q = dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
    const dnnl_memory_desc_t *wei_q = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    char fs[32], fd[32];
    fmt_name(src_q, fs, sizeof fs);
    fmt_name(dst_q, fd, sizeof fd);
    snprintf(fmt, fmt_len, "%s>%s", fs, fd);
    DN(dnnl_primitive_create(&c->conv, pd));

    /* memories */
    DN(dnnl_memory_create(&c->src_user, &src_u, g_eng, d->in));
    DN(dnnl_memory_create(&c->dst_user, &dst_u, g_eng, user_out));
    DN(dnnl_memory_create(&c->bias, &bias_md, g_eng, d->bias));
    DN(dnnl_memory_create(&c->wei, wei_q, g_eng, DNNL_MEMORY_ALLOCATE));
    {   /* weights: untimed reorder from the user layout, via plain oihw/goihw if the
           direct reorder is not implemented (winograd weights) */
        dnnl_memory_t wu;
        DN(dnnl_memory_create(&wu, &wei_u, g_eng, d->wt));
        dnnl_primitive_desc_t rpd;
        if (dnnl_reorder_primitive_desc_create(&rpd, &wei_u, g_eng, wei_q, g_eng, NULL) ==
            dnnl_success) {
            dnnl_primitive_t r;
            DN(dnnl_primitive_create(&r, rpd));
            dn_exec(r, wu, c->wei);
            dnnl_primitive_destroy(r);
            dnnl_primitive_desc_destroy(rpd);
        } else {
            dnnl_memory_desc_t plain;
            DN(dnnl_memory_desc_init_by_tag(&plain, wei_u.ndims, wei_u.dims, dnnl_f32,
                                            wei_u.ndims == 5 ? dnnl_goihw : dnnl_oihw));
            dnnl_memory_t wp;
            DN(dnnl_memory_create(&wp, &plain, g_eng, DNNL_MEMORY_ALLOCATE));
            dnnl_primitive_t r1, r2;
            dnnl_primitive_desc_t rpd2;
            DN(dnnl_reorder_primitive_desc_create(&rpd, &wei_u, g_eng, &plain, g_eng, NULL));
            if (dnnl_reorder_primitive_desc_create(&rpd2, &plain, g_eng, wei_q, g_eng, NULL) !=
                dnnl_success) {
                fprintf(stderr, "note: no weights reorder to %s for %s (%s)\n",
                        dnnl_fmt_kind2str(wei_q->format_kind), L->name, impl);
                dnnl_primitive_desc_destroy(rpd);
                dnnl_memory_destroy(wp);
                dnnl_memory_destroy(wu);
                dnnl_memory_destroy(c->wei);
                dnnl_memory_destroy(c->src_user);
                dnnl_memory_destroy(c->dst_user);
                dnnl_memory_destroy(c->bias);
                dnnl_primitive_destroy(c->conv);
                dnnl_primitive_desc_destroy(pd);
                return 0;
            }
            DN(dnnl_primitive_create(&r1, rpd));
            DN(dnnl_primitive_create(&r2, rpd2));
            dn_exec(r1, wu, wp);
            dn_exec(r2, wp, c->wei);
            DN(dnnl_stream_wait(g_strm));
            dnnl_primitive_destroy(r1);
            dnnl_primitive_destroy(r2);
            dnnl_primitive_desc_destroy(rpd);
            dnnl_primitive_desc_destroy(rpd2);
            dnnl_memory_destroy(wp);
        }
        DN(dnnl_stream_wait(g_strm));
        dnnl_memory_destroy(wu);
    }
    if (dnnl_memory_desc_equal(src_q, &src_u)) {
        c->src = c->src_user;
    } else {
        DN(dnnl_memory_create(&c->src, src_q, g_eng, DNNL_MEMORY_ALLOCATE));
        dnnl_primitive_desc_t rpd;
        DN(dnnl_reorder_primitive_desc_create(&rpd, &src_u, g_eng, src_q, g_eng, NULL));
        DN(dnnl_primitive_create(&c->ro_in, rpd));
        dnnl_primitive_desc_destroy(rpd);
        dn_exec(c->ro_in, c->src_user, c->src); /* data valid even without timed reorders */
    }
    if (dnnl_memory_desc_equal(dst_q, &dst_u)) {
        c->dst = c->dst_user;
    } else {
        DN(dnnl_memory_create(&c->dst, dst_q, g_eng, DNNL_MEMORY_ALLOCATE));
        dnnl_primitive_desc_t rpd;
        DN(dnnl_reorder_primitive_desc_create(&rpd, dst_q, g_eng, &dst_u, g_eng, NULL));
        DN(dnnl_primitive_create(&c->ro_out, rpd));
        dnnl_primitive_desc_destroy(rpd);
    }
    DN(dnnl_stream_wait(g_strm));
    dnnl_primitive_desc_destroy(pd);
    return 1;
}
static void dn_free(dn_ctx *c) {
    if (c->src != c->src_user) dnnl_memory_destroy(c->src);
    if (c->dst != c->dst_user) dnnl_memory_destroy(c->dst);
    dnnl_memory_destroy(c->src_user);
    dnnl_memory_destroy(c->dst_user);
    dnnl_memory_destroy(c->wei);
    dnnl_memory_destroy(c->bias);
    dnnl_primitive_destroy(c->conv);
    if (c->ro_in) dnnl_primitive_destroy(c->ro_in);
    if (c->ro_out) dnnl_primitive_destroy(c->ro_out);
}

static void child_dnnl(int threads, const char *only) {
    DN(dnnl_engine_create(&g_eng, dnnl_cpu, 0));
    DN(dnnl_stream_create(&g_strm, g_eng, dnnl_stream_default_flags));
    const dnnl_version_t *v = dnnl_version();
    printf("INFO dnnl version=%d.%d.%d runtime=%s isa=0x%x OMP_NUM_THREADS=%s\n", v->major, v->minor,
           v->patch, v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : "other",
           (unsigned)dnnl_get_effective_cpu_isa(), getenv("OMP_NUM_THREADS"));
    (void)threads;
    for (int li = 0; li < NLAYERS; li++) {
        const layer_t *L = &LAYERS[li];
        if (only && !strstr(L->name, only)) continue;
        for (int bi = 0; bi < 2; bi++) {
            int n = bi ? 16 : 1;
            if (n == 16 && !L->rec) continue;
            data_t d;
            make_data(&d, L, n);
            float *out_direct = alloc_f(d.out_n);
            float *out = alloc_f(d.out_n);
            char impl[128], fmt[64];
            /* nhwc, direct: also the accuracy reference for winograd */
            dn_ctx c;
            if (dn_setup(&c, &d, dnnl_convolution_direct, dnnl_nhwc, impl, sizeof impl, fmt,
                         sizeof fmt, out_direct)) {
                double ms = time_it(dn_run, &c);
                double err = NAN;
                if (macs(L, n) < 3e8) {
                    float *ref = alloc_f(d.out_n);
                    ref_conv(&d, ref);
                    err = rel_err(out_direct, ref, d.out_n);
                    free(ref);
                }
                printf("R %d %d %d %.5f %.3g %s|%s\n", li, n, M_NHWC, ms, err, fmt, impl);
                dn_free(&c);
            } else {
                printf("R %d %d %d nan nan n/a\n", li, n, M_NHWC);
            }
            /* which layout does oneDNN pick by itself? (not timed) */
            if (n == 1 && dn_setup(&c, &d, dnnl_convolution_direct, dnnl_format_tag_any, impl,
                                   sizeof impl, fmt, sizeof fmt, out)) {
                printf("R %d %d %d nan nan %s|%s\n", li, n, M_ANYPICK, fmt, impl);
                dn_free(&c);
            }
            /* blocked nChw16c, without and with the reorders from/to NHWC (skipped when only
               the reference implementation takes it, e.g. C=3 input: ~1 s per run) */
            int blk_ok = dn_setup(&c, &d, dnnl_convolution_direct, dnnl_nChw16c, impl, sizeof impl,
                                  fmt, sizeof fmt, out);
            if (blk_ok && !strncmp(impl, "ref", 3)) {
                printf("R %d %d %d nan nan %s|%s (not timed)\n", li, n, M_BLK, fmt, impl);
                dn_free(&c);
                blk_ok = 0;
            }
            if (blk_ok) {
                c.with_ro = 0;
                double ms = time_it(dn_run, &c);
                printf("R %d %d %d %.5f nan %s|%s\n", li, n, M_BLK, ms, fmt, impl);
                c.with_ro = 1;
                ms = time_it(dn_run, &c);
                double err = rel_err(out, out_direct, d.out_n);
                printf("R %d %d %d %.5f %.3g %s|%s\n", li, n, M_BLKRO, ms, err, fmt, impl);
                dn_free(&c);
            }
            if (is_wino_candidate(L)) {
                memset(out, 0, d.out_n * sizeof *out);
                if (dn_setup(&c, &d, dnnl_convolution_winograd, dnnl_format_tag_any, impl,
                             sizeof impl, fmt, sizeof fmt, out)) {
                    c.with_ro = 0;
                    double ms = time_it(dn_run, &c);
                    c.with_ro = 1;
                    double ms_ro = time_it(dn_run, &c); /* result ends in NHWC `out` */
                    double err = rel_err(out, out_direct, d.out_n);
                    printf("R %d %d %d %.5f %.3g %s|%s\n", li, n, M_WINO, ms, err, fmt, impl);
                    printf("R %d %d %d %.5f %.3g %s|%s\n", li, n, M_WINORO, ms_ro, err, fmt, impl);
                    dn_free(&c);
                } else {
                    printf("R %d %d %d nan nan unimplemented\n", li, n, M_WINO);
                }
            }
            fflush(stdout);
            free(out);
            free(out_direct);
            free_data(&d);
        }
    }
    dnnl_stream_destroy(g_strm);
    dnnl_engine_destroy(g_eng);
}

/* ------------------------------------------------------------------ parent */
#define MAXT 4
typedef struct {
    double ms, err;
    char note[160];
} cell_t;
static cell_t RES[MAXT][NLAYERS][2][NMETH + 1]; /* [thread idx][layer][batch idx][method] */

static double loadavg1(void) {
    double la = NAN;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &la) != 1) la = NAN;
        fclose(f);
    }
    return la;
}

/* CPUs kept busy by other processes, sampled from /proc/stat over `sec` seconds
   (this process is idle meanwhile) */
static double busy_cpus(double sec) {
    unsigned long long v0[10] = {0}, v1[10] = {0};
    for (int k = 0; k < 2; k++) {
        unsigned long long *v = k ? v1 : v0;
        FILE *f = fopen("/proc/stat", "r");
        if (!f) return NAN;
        if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                   &v[4], &v[5], &v[6], &v[7]) != 8) {
            fclose(f);
            return NAN;
        }
        fclose(f);
        if (!k) {
            struct timespec ts = {(time_t)sec, (long)((sec - (time_t)sec) * 1e9)};
            nanosleep(&ts, NULL);
        }
    }
    double tot = 0, idle = (double)(v1[3] - v0[3]) + (double)(v1[4] - v0[4]);
    for (int i = 0; i < 8; i++) tot += (double)(v1[i] - v0[i]);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    return tot > 0 ? ncpu * (1.0 - idle / tot) : NAN;
}
static double g_wait_idle = 0; /* seconds to wait for an idle machine before each child */

static void run_child(const char *self, const char *lib, int threads, int ti, const char *only,
                      char *info, size_t info_len) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "OMP_NUM_THREADS=%d '%s' --child %s %d --min-time %g%s%s%s", threads,
             self, lib, threads, g_min_time, only ? " --only '" : "", only ? only : "",
             only ? "'" : "");
    double la0 = loadavg1();
    double busy = busy_cpus(0.5);
    for (double waited = 0; busy > 0.15 && waited < g_wait_idle; waited += 1.5)
        busy = busy_cpus(1.0);
    FILE *f = popen(cmd, "r");
    if (!f) {
        perror("popen");
        exit(1);
    }
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        int li, n, m;
        double ms, err;
        char note[512] = "";
        if (sscanf(line, "R %d %d %d %lf %lf %511[^\n]", &li, &n, &m, &ms, &err, note) >= 5 &&
            li >= 0 && li < NLAYERS && m >= 0 && m <= NMETH) {
            cell_t *c = &RES[ti][li][n == 16][m];
            c->ms = ms;
            c->err = err;
            snprintf(c->note, sizeof c->note, "%s", note);
        } else if (!strncmp(line, "INFO ", 5)) {
            size_t l = strlen(info);
            snprintf(info + l, info_len - l, "  %s", line + 5);
        } else {
            fputs(line, stderr);
        }
    }
    int rc = pclose(f);
    if (rc != 0) fprintf(stderr, "child %s %d exited with status %d\n", lib, threads, rc);
    double la1 = loadavg1();
    size_t l = strlen(info);
    snprintf(info + l, info_len - l,
             "  %s threads=%d: CPUs busy with other processes at start %.2f, loadavg1 %.2f -> "
             "%.2f%s\n",
             lib, threads, busy, la0, la1,
             (busy > 0.15 || la1 > threads + 0.8)
                 ? "  WARNING: other processes competed for the CPUs, figures unreliable"
                 : "");
}

static void print_ms(double ms, double mac) {
    if (isnan(ms) || ms <= 0)
        printf(" %8s %6s", "-", "");
    else
        printf(" %8.3f %6.1f", ms, 2 * mac / (ms * 1e-3) / 1e9);
}

int main(int argc, char **argv) {
    const char *only = NULL;
    int threads[MAXT] = {1, 2}, nthr = 2;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--min-time") && i + 1 < argc) {
            g_min_time = atof(argv[++i]);
        } else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
            only = argv[++i];
        } else if (!strcmp(argv[i], "--wait-idle") && i + 1 < argc) {
            g_wait_idle = atof(argv[++i]);
        } else if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
            nthr = 0;
            for (char *s = strtok(argv[++i], ","); s && nthr < MAXT; s = strtok(NULL, ","))
                threads[nthr++] = atoi(s);
        } else if (!strcmp(argv[i], "--child") && i + 2 < argc) {
            const char *lib = argv[i + 1];
            int t = atoi(argv[i + 2]);
            for (int j = i + 3; j < argc; j++) {
                if (!strcmp(argv[j], "--min-time") && j + 1 < argc) g_min_time = atof(argv[++j]);
                else if (!strcmp(argv[j], "--only") && j + 1 < argc) only = argv[++j];
            }
            if (!strcmp(lib, "xnn")) child_xnn(t, only);
            else child_dnnl(t, only);
            return 0;
        } else {
            fprintf(stderr, "usage: %s [--min-time SEC] [--threads 1,2] [--only SUBSTR] [--wait-idle SEC]\n", argv[0]);
            return 2;
        }
    }
    char self[4096];
    ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
    if (sl <= 0) {
        perror("readlink /proc/self/exe");
        return 1;
    }
    self[sl] = 0;

    for (int ti = 0; ti < MAXT; ti++)
        for (int li = 0; li < NLAYERS; li++)
            for (int b = 0; b < 2; b++)
                for (int m = 0; m <= NMETH; m++) RES[ti][li][b][m].ms = RES[ti][li][b][m].err = NAN;

    static char info[4096];
    for (int ti = 0; ti < nthr; ti++) {
        run_child(self, "xnn", threads[ti], ti, only, info, sizeof info);
        run_child(self, "dnnl", threads[ti], ti, only, info, sizeof info);
    }
    printf("kernels: conv layers, NHWC f32, median ms per run (GFLOP/s = 2*MACs/t), min-time %.2fs\n",
           g_min_time);
    printf("%s", info);
    printf("columns: xnn = XNNPACK; nhwc = oneDNN with nhwc src/dst; blk = oneDNN with nChw16c "
           "src/dst (conv only);\n         blk+ro = blk plus reorders nhwc->nChw16c->nhwc; wino = oneDNN "
           "winograd (conv only, effective GF/s);\n         wino+ro = wino plus the reorders; "
           "best = fastest NHWC-in/NHWC-out option\n");
    for (int ti = 0; ti < nthr; ti++) {
        printf("\n== threads %d ==\n", threads[ti]);
        printf("%-26s %2s %7s |%15s |%15s |%15s |%15s |%15s |%15s | %-9s %s\n", "layer", "N",
               "MFLOP", "xnn ms  GF/s", "nhwc ms  GF/s", "blk ms  GF/s", "blk+ro ms GF/s",
               "wino ms GF/s", "wino+ro ms GF/s", "best", "wino err");
        for (int li = 0; li < NLAYERS; li++) {
            const layer_t *L = &LAYERS[li];
            if (only && !strstr(L->name, only)) continue;
            for (int b = 0; b < 2; b++) {
                int n = b ? 16 : 1;
                if (n == 16 && !L->rec) continue;
                double mac = macs(L, n);
                printf("%-26s %2d %7.1f |", L->name, n, 2 * mac / 1e6);
                int best = -1;
                for (int m = 0; m < NMETH; m++) {
                    double ms = RES[ti][li][b][m].ms;
                    print_ms(ms, mac);
                    printf(" |");
                    if (m != M_BLK && m != M_WINO && !isnan(ms) && (best < 0 || ms < RES[ti][li][b][best].ms))
                        best = m; /* blk, wino alone skip the NHWC reorders */
                }
                double we = RES[ti][li][b][M_WINO].err;
                printf(" %-9s", best >= 0 ? METH_NAME[best] + (best ? 5 : 0) : "-");
                if (!isnan(we)) printf(" %.1e", we);
                printf("\n");
            }
        }
        /* weighted recognition-net sums */
        for (int b = 0; b < 2; b++) {
            for (int set = 0; set < 2; set++) {
                double sum[NMETH] = {0}, mac = 0, best_mix = 0;
                int ok[NMETH];
                for (int m = 0; m < NMETH; m++) ok[m] = 1;
                int any_layer = 0;
                for (int li = 0; li < NLAYERS; li++) {
                    const layer_t *L = &LAYERS[li];
                    int w = set ? L->w_full : L->w_brief;
                    if (!w || (only && !strstr(L->name, only))) continue;
                    any_layer = 1;
                    mac += w * macs(L, b ? 16 : 1);
                    double bm = NAN;
                    for (int m = 0; m < NMETH; m++) {
                        double ms = RES[ti][li][b][m].ms;
                        if (m != M_XNN && m != M_BLK && m != M_WINO && !isnan(ms) &&
                            (isnan(bm) || ms < bm))
                            bm = ms;
                        if ((m == M_WINO || m == M_WINORO) && isnan(ms))
                            ms = RES[ti][li][b][M_NHWC].ms; /* no winograd: nhwc direct */
                        if (isnan(ms)) ok[m] = 0;
                        else sum[m] += w * ms;
                    }
                    best_mix += w * bm;
                }
                if (!any_layer) continue;
                printf("%-26s %2d %7.1f |", set ? "SUM rec full net (NOTES)" : "SUM rec brief set",
                       b ? 16 : 1, 2 * mac / 1e6);
                for (int m = 0; m < NMETH; m++) {
                    print_ms(ok[m] ? sum[m] : NAN, mac);
                    printf(" |");
                }
                printf("  per face ms: xnn %.3f, nhwc %.3f, dnnl best-of-NHWC-mix %.3f\n",
                       sum[M_XNN] / (b ? 16 : 1), sum[M_NHWC] / (b ? 16 : 1),
                       best_mix / (b ? 16 : 1));
            }
        }
    }
    printf("\nsum rows: brief set = 7x7 x1, 3x3@35x35x32 x6, @17x17x64 x7, @8x8x128 x5, "
           "@4x4x256 x5;\n          full net = NOTES.md s3: 7x7 x1, @35 x6, @17 x7, @8 x5, "
           "@3x3x256 x5, @1x1x256 x1, four s2-valid downs x1;\n          in the wino columns, "
           "layers without winograd use nhwc direct.\n          per layer, 'sum' ignores the "
           "reorders that whole-net blocked execution would save.\n");
    printf("\noneDNN layouts/impls (threads %d): src>dst|impl\n", threads[0]);
    for (int li = 0; li < NLAYERS; li++) {
        if (only && !strstr(LAYERS[li].name, only)) continue;
        printf("  %-26s nhwc: %s\n  %-26s blk : %s\n  %-26s any : %s", LAYERS[li].name,
               RES[0][li][0][M_NHWC].note, "", RES[0][li][0][M_BLK].note, "",
               RES[0][li][0][M_ANYPICK].note);
        if (is_wino_candidate(&LAYERS[li])) printf("\n  %-26s wino: %s", "", RES[0][li][0][M_WINO].note);
        printf("\n");
    }
    printf("\naccuracy (rel. max err vs double reference, batch 1, threads %d): ", threads[0]);
    for (int li = 0; li < NLAYERS; li++) {
        if (only && !strstr(LAYERS[li].name, only)) continue;
        if (!isnan(RES[0][li][0][M_XNN].err))
            printf("\n  %-26s xnn %.1e  dnnl-nhwc %.1e", LAYERS[li].name, RES[0][li][0][M_XNN].err,
                   RES[0][li][0][M_NHWC].err);
    }
    printf("\n");
    fflush(stdout);
    return 0;
}
