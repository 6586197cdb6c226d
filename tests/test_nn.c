/* test_nn.c - the nn runtime: tfjs weight loading and the layers against
 * naive reference implementations, including TensorFlow's asymmetric SAME
 * padding and the input builder's padding/resizing. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "align/input.h"
#include "nn/nn.h"
#include "nn/weights.h"

// ----------------------------------------------------------------------------
// Weights

static void test_weights_dequantize(void **state)
{
    const char *manifest =
        "[{\"paths\":[\"x.bin\"],\"weights\":["
        "{\"name\":\"q\",\"shape\":[3],\"dtype\":\"float32\",\"quantization\":{\"dtype\":\"uint8\",\"scale\":0.5,\"min\":-1}},"
        "{\"name\":\"f\",\"shape\":[1,2],\"dtype\":\"float32\"},"
        "{\"name\":\"i\",\"shape\":[],\"dtype\":\"int32\",\"quantization\":{\"dtype\":\"uint8\",\"scale\":0.3,\"min\":0}}]}]";
    unsigned char bin[3 + 8 + 1] = {0, 2, 255};
    float two[2] = {1.5f, -3.25f};
    memcpy(bin + 3, two, 8);
    bin[11] = 5;   /* 5 * 0.3 = 1.5 -> rounds to 2 */
    nn_weights w;
    celeb_error err = {0};
    assert_int_equal(nn_weights_parse(&w, manifest, bin, sizeof bin, &err), 0);
    const int s3[1] = {3}, s12[2] = {1, 2};
    const float *q = nn_weights_get(&w, "q", 1, s3, &err);
    assert_non_null(q);
    assert_true(q[0] == -1.0f && q[1] == 0.0f && q[2] == 126.5f);
    const float *f = nn_weights_get(&w, "f", 2, s12, &err);
    assert_non_null(f);
    assert_true(f[0] == 1.5f && f[1] == -3.25f);
    const float *i = nn_weights_get(&w, "i", 0, NULL, &err);
    assert_non_null(i);
    assert_true(i[0] == 2.0f);
    /* wrong shape and missing names are errors with messages */
    assert_null(nn_weights_get(&w, "q", 1, s12, &err));
    assert_int_equal(err.code, CELEB_EMODEL);
    assert_non_null(strstr(err.message, "shape"));
    assert_null(nn_weights_get(&w, "nope", 1, s3, &err));
    assert_non_null(strstr(err.message, "missing"));
    nn_weights_free(&w);
}

static void test_weights_bad_input(void **state)
{
    nn_weights w;
    celeb_error err = {0};
    const char *one = "[{\"paths\":[\"x\"],\"weights\":[{\"name\":\"f\",\"shape\":[4],\"dtype\":\"float32\"}]}]";
    unsigned char bin[32] = {0};
    assert_int_equal(nn_weights_parse(&w, one, bin, 8, &err), CELEB_EMODEL);    /* too short */
    assert_int_equal(nn_weights_parse(&w, one, bin, 20, &err), CELEB_EMODEL);   /* bytes left over */
    assert_int_equal(nn_weights_parse(&w, one, bin, 16, &err), 0);
    nn_weights_free(&w);
    assert_int_equal(nn_weights_parse(&w, "{not json", bin, 16, &err), CELEB_EMODEL);
    assert_int_equal(nn_weights_parse(&w, "{}", bin, 16, &err), CELEB_EMODEL);
    const char *bad_dtype = "[{\"paths\":[\"x\"],\"weights\":[{\"name\":\"f\",\"shape\":[4],\"dtype\":\"float16\"}]}]";
    assert_int_equal(nn_weights_parse(&w, bad_dtype, bin, 8, &err), CELEB_EMODEL);
    const char *huge = "[{\"paths\":[\"x\"],\"weights\":[{\"name\":\"f\",\"shape\":[65536,65536],\"dtype\":\"float32\"}]}]";
    assert_int_equal(nn_weights_parse(&w, huge, bin, 16, &err), CELEB_EMODEL);
    assert_int_equal(nn_weights_load(&w, "/nonexistent/manifest.json", &err), CELEB_EIO);
}

// ----------------------------------------------------------------------------
// Layers vs naive loops

static float frand(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return (float)((*s >> 8) & 0xffff) / 32768.0f - 1.0f;
}

/* TF conv2d on one NHWC image, HWIO filter; same: TF padding. */
static void naive_conv(const float *in, int h, int w, int cin, const float *f, int k, int cout,
                       int stride, int same, int depthwise, float *out, int oh, int ow)
{
    int pt = 0, pl = 0;
    if (same) {
        int th = (oh - 1) * stride + k - h, tw = (ow - 1) * stride + k - w;
        pt = th > 0 ? th / 2 : 0;
        pl = tw > 0 ? tw / 2 : 0;
    }
    for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++)
            for (int o = 0; o < cout; o++) {
                double s = 0;
                for (int ky = 0; ky < k; ky++)
                    for (int kx = 0; kx < k; kx++) {
                        int iy = y * stride + ky - pt, ix = x * stride + kx - pl;
                        if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                            continue;
                        if (depthwise)
                            s += in[(iy * w + ix) * cin + o] * f[(ky * k + kx) * cin + o];
                        else
                            for (int i = 0; i < cin; i++)
                                s += in[(iy * w + ix) * cin + i] * f[((ky * k + kx) * cin + i) * cout + o];
                    }
                out[(y * ow + x) * cout + o] = (float)s;
            }
}

static void check_conv(int h, int w, int cin, int cout, int k, int stride, nn_pad pad, int depthwise)
{
    unsigned seed = 7;
    int oh = pad == NN_SAME ? (h + stride - 1) / stride : (h - k) / stride + 1;
    int ow = pad == NN_SAME ? (w + stride - 1) / stride : (w - k) / stride + 1;
    int fsize = k * k * cin * (depthwise ? 1 : cout);
    float *in = malloc(sizeof(float) * h * w * cin), *f = malloc(sizeof(float) * fsize);
    float *want = malloc(sizeof(float) * oh * ow * cout);
    float bias[64], scale[64], shift[64];
    for (int i = 0; i < h * w * cin; i++) in[i] = frand(&seed);
    for (int i = 0; i < fsize; i++) f[i] = frand(&seed);
    for (int i = 0; i < cout; i++) {
        bias[i] = frand(&seed);
        scale[i] = 1.0f + 0.5f * frand(&seed);
        shift[i] = frand(&seed);
    }
    naive_conv(in, h, w, cin, f, k, cout, stride, pad == NN_SAME, depthwise, want, oh, ow);
    for (int i = 0; i < oh * ow * cout; i++) {
        int o = i % cout;
        float v = (want[i] + bias[o]) * scale[o] + shift[o];
        want[i] = v > 6.0f ? 6.0f : v < 0 ? 0 : v;   /* ReLU6 */
    }

    nn_ctx ctx;
    nn_exec x;
    nn_conv_layer l;
    celeb_error err = {0};
    assert_int_equal(nn_ctx_init(&ctx, 2, &err), 0);
    assert_int_equal(nn_exec_init(&x, &ctx, &err), 0);
    assert_int_equal(nn_conv_init(&l, k, k, cin, cout, stride, pad, depthwise, f, bias, scale,
                                  shift, NN_RELU6, &err), 0);
    nn_exec_begin(&x);
    nn_tensor t = nn_tensor_new(&x, 1, h, w, cin);
    memcpy(t.data, in, sizeof(float) * h * w * cin);
    nn_tensor o = nn_conv(&x, &l, t);
    assert_int_equal(x.status, 0);
    assert_int_equal(o.h, oh);
    assert_int_equal(o.w, ow);
    for (int i = 0; i < oh * ow * cout; i++)
        assert_float_equal(o.data[i], want[i], 1e-4);
    nn_conv_free(&l);
    nn_exec_free(&x);
    nn_ctx_free(&ctx);
    free(in);
    free(f);
    free(want);
}

static void test_conv_same_asymmetric(void **state)
{
    check_conv(4, 6, 3, 5, 3, 2, NN_SAME, 0);   /* pad total 1: none before, one after */
    check_conv(5, 5, 3, 5, 3, 2, NN_SAME, 0);   /* pad total 2: one each side */
    check_conv(7, 7, 4, 8, 7, 2, NN_VALID, 0);
    check_conv(9, 8, 16, 16, 3, 1, NN_SAME, 1);   /* depthwise, folded BatchNorm-like scale */
    check_conv(8, 8, 16, 16, 3, 2, NN_SAME, 1);
}

/* The same conv in the blocked layout (Winograd where it pays: one thread,
 * 9x9 map, on a CPU that has it) and in NHWC agree with the naive loops;
 * nn_reorder round-trips. Without AVX-512 Winograd never pays: the blocked
 * layout has only oneDNN's reference kernels there. */
static void test_blocked_winograd(void **state)
{
    enum { H = 9, W = 9, C = 32 };
    unsigned seed = 11;
    static float in[H * W * C], f[9 * C * C], want[H * W * C];
    float bias[C];
    for (int i = 0; i < H * W * C; i++) in[i] = frand(&seed);
    for (int i = 0; i < 9 * C * C; i++) f[i] = frand(&seed) * 0.2f;
    for (int i = 0; i < C; i++) bias[i] = frand(&seed);
    naive_conv(in, H, W, C, f, 3, C, 1, 1, 0, want, H, W);
    nn_ctx ctx;
    nn_exec x;
    nn_conv_layer l;
    celeb_error err = {0};
    assert_int_equal(nn_ctx_init(&ctx, 1, &err), 0);
    assert_int_equal(nn_exec_init(&x, &ctx, &err), 0);
    assert_int_equal(nn_conv_init(&l, 3, 3, C, C, 1, NN_SAME, 0, f, bias, NULL, NULL, NN_LINEAR, &err), 0);
    nn_conv_set_winograd(&l);
    assert_int_equal(nn_winograd_pays(&x, 1, H), ctx.winograd);
    nn_exec_begin(&x);
    nn_tensor t = nn_tensor_new(&x, 1, H, W, C);
    memcpy(t.data, in, sizeof in);
    nn_tensor b = nn_reorder(&x, nn_keep(&x, t), 1);   /* calls consume their input */
    assert_int_equal(b.blocked, 1);
    assert_true(b.data[nn_offset(b, 0, 2, 3, 17)] == in[(2 * W + 3) * C + 17]);
    nn_tensor back = nn_reorder(&x, nn_keep(&x, b), 0);
    assert_memory_equal(back.data, in, sizeof in);
    nn_tensor ob = nn_reorder(&x, nn_conv(&x, &l, b), 0);   /* blocked, Winograd */
    nn_tensor on = nn_conv(&x, &l, t);                      /* NHWC, direct */
    assert_int_equal(x.status, 0);
    for (int i = 0; i < H * W * C; i++) {
        assert_float_equal(ob.data[i], want[i] + bias[i % C], 1e-4);
        assert_float_equal(on.data[i], want[i] + bias[i % C], 1e-4);
    }
    nn_conv_free(&l);
    nn_exec_free(&x);
    nn_ctx_free(&ctx);
}

/* A band of rows gives exactly the rows of the whole conv that depend on it. */
static void test_conv_rows(void **state)
{
    enum { H = 12, W = 7, C = 16 };
    unsigned seed = 5;
    static float in[H * W * C], f[9 * C * C];
    for (int i = 0; i < H * W * C; i++) in[i] = frand(&seed);
    for (int i = 0; i < 9 * C * C; i++) f[i] = frand(&seed);
    nn_ctx ctx;
    nn_exec x;
    nn_conv_layer l;
    celeb_error err = {0};
    assert_int_equal(nn_ctx_init(&ctx, 2, &err), 0);
    assert_int_equal(nn_exec_init(&x, &ctx, &err), 0);
    assert_int_equal(nn_conv_init(&l, 3, 3, C, C, 2, NN_SAME, 0, f, NULL, NULL, NULL, NN_RELU6, &err), 0);
    nn_exec_begin(&x);
    nn_tensor t = nn_tensor_new(&x, 1, H, W, C);
    memcpy(t.data, in, sizeof in);
    nn_tensor whole = nn_conv(&x, &l, nn_keep(&x, t));
    int rows = 0;
    nn_tensor band = nn_conv_rows(&x, &l, t, 5, &rows);   /* SAME s2 on 12 rows: top pad 0 */
    assert_int_equal(x.status, 0);
    assert_int_equal(rows, 3);                             /* ceil(5 / 2) */
    assert_int_equal(whole.w, 4);
    assert_memory_equal(band.data, whole.data, (size_t)rows * whole.w * C * sizeof(float));
    nn_conv_free(&l);
    nn_exec_free(&x);
    nn_ctx_free(&ctx);
}

static void test_add_and_pool(void **state)
{
    nn_ctx ctx;
    nn_exec x;
    nn_pool_layer mp, ap;
    celeb_error err = {0};
    assert_int_equal(nn_ctx_init(&ctx, 1, &err), 0);
    assert_int_equal(nn_exec_init(&x, &ctx, &err), 0);
    assert_int_equal(nn_pool_init(&mp, 1, 2, 2, NN_SAME, 1, &err), 0);
    assert_int_equal(nn_pool_init(&ap, 0, 2, 2, NN_VALID, 1, &err), 0);
    nn_exec_begin(&x);
    nn_tensor t = nn_tensor_new(&x, 1, 3, 3, 1);
    for (int i = 0; i < 9; i++) t.data[i] = (float)(i - 4);   /* -4..4 */
    for (int i = 0; i < 4; i++)          /* five calls read t */
        nn_keep(&x, t);
    nn_tensor m = nn_pool(&x, &mp, t);   /* 3 -> 2, SAME pads bottom/right only */
    assert_int_equal(m.h, 2);
    assert_true(m.data[0] == 0.0f && m.data[1] == 1.0f && m.data[2] == 3.0f && m.data[3] == 4.0f);
    nn_tensor a = nn_pool(&x, &ap, t);   /* 3 -> 1 */
    assert_int_equal(a.h, 1);
    assert_float_equal(a.data[0], (-4 - 3 - 1 + 0) / 4.0, 1e-6);
    nn_tensor s = nn_add(&x, t, t, NN_RELU);
    assert_true(s.data[0] == 0.0f && s.data[8] == 8.0f);
    nn_tensor mean = nn_mean_hw(&x, t);
    assert_float_equal(mean.data[0], 0.0, 1e-6);
    assert_int_equal(x.status, 0);
    nn_pool_free(&mp);
    nn_pool_free(&ap);
    nn_exec_free(&x);
    nn_ctx_free(&ctx);
}

/* Calls consume their input: a chain of layers reuses the memory of the
 * activations it is done with, and nn_keep holds one for a second use. */
static void test_arena_reuse(void **state)
{
    enum { H = 64, W = 64, C = 16 };
    static float f[C * C];
    for (int i = 0; i < C; i++)
        f[i * C + i] = 1.0f;   /* 1x1 identity */
    nn_ctx ctx;
    nn_exec x;
    nn_conv_layer l;
    celeb_error err = {0};
    assert_int_equal(nn_ctx_init(&ctx, 1, &err), 0);
    assert_int_equal(nn_exec_init(&x, &ctx, &err), 0);
    assert_int_equal(nn_conv_init(&l, 1, 1, C, C, 1, NN_SAME, 0, f, NULL, NULL, NULL, NN_LINEAR, &err), 0);
    const size_t bytes = sizeof(float) * H * W * C;
    for (int pass = 0; pass < 2; pass++) {
        nn_exec_begin(&x);
        nn_tensor t = nn_tensor_new(&x, 1, H, W, C);
        for (size_t i = 0; i < nn_numel(t); i++)
            t.data[i] = (float)(i % 97);
        nn_tensor first = nn_keep(&x, t);
        for (int i = 0; i < 8; i++)
            t = nn_conv(&x, &l, t);
        assert_int_equal(x.status, 0);
        assert_true(ctx.arena->high <= 3 * bytes);   /* 9 tensors made, 3 alive at most */
        for (size_t i = 0; i < nn_numel(t); i += 101)
            assert_true(t.data[i] == (float)(i % 97) && first.data[i] == (float)(i % 97));
        /* The second pass runs in the block the first one sized, no overflow. */
        assert_true(pass == 0 || (ctx.arena->size >= ctx.arena->high && !ctx.arena->live[0].extra));
    }
    nn_conv_free(&l);
    nn_exec_free(&x);
    nn_ctx_free(&ctx);
}

// ----------------------------------------------------------------------------
// Input builder

static void test_input_padding(void **state)
{
    /* 2 wide x 4 high, every pixel 100: padded to 4x4; centred puts one
     * zero column each side, end-padding puts two on the right. */
    image img;
    assert_int_equal(image_alloc(&img, 2, 4), 0);
    memset(img.rgb, 100, 2 * 4 * 3);
    input_norm id = {{0, 0, 0}, 1.0f, 0.0f};
    float out[4 * 4 * 3];
    int_rect all = {0, 0, 2, 4};
    input_from_region(&img, all, 4, 1, &id, out);
    for (int y = 0; y < 4; y++) {
        assert_true(out[(y * 4 + 0) * 3] == 0.0f && out[(y * 4 + 1) * 3] == 100.0f);
        assert_true(out[(y * 4 + 2) * 3] == 100.0f && out[(y * 4 + 3) * 3] == 0.0f);
    }
    input_from_region(&img, all, 4, 0, &id, out);
    assert_true(out[0] == 100.0f && out[3] == 100.0f && out[6] == 0.0f && out[9] == 0.0f);
    /* 4 -> 2 downscale samples src = dst * 2 (no half-pixel offset): pixels 0 and 2 */
    input_from_region(&img, all, 2, 0, &id, out);
    assert_true(out[0] == 100.0f && out[3] == 0.0f);
    /* normalisation */
    input_norm n = {{100, 50, 0}, 0.5f, -1.0f};
    input_from_region(&img, all, 4, 1, &n, out);
    assert_float_equal(out[3 + 0], -1.0, 1e-6);    /* (100-100)*0.5-1 */
    assert_float_equal(out[3 + 1], 24.0, 1e-6);    /* (100-50)*0.5-1 */
    image_free(&img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_weights_dequantize),
        cmocka_unit_test(test_weights_bad_input),
        cmocka_unit_test(test_conv_same_asymmetric),
        cmocka_unit_test(test_blocked_winograd),
        cmocka_unit_test(test_conv_rows),
        cmocka_unit_test(test_add_and_pool),
        cmocka_unit_test(test_arena_reuse),
        cmocka_unit_test(test_input_padding),
    };
    return cmocka_run_group_tests_name("nn", tests, NULL, NULL);
}
