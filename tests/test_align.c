/* test_align.c - the recognition crop's geometry: the similarity fit and
 * the warp that samples it. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "align/align.h"

/* 68 landmarks whose 5 alignment points are the template rotated by 30
 * degrees, scaled 2x and shifted (the other points do not matter). */
static void make_face(double pts[68][2], double angle, double scale, double tx, double ty)
{
    memset(pts, 0, 68 * sizeof pts[0]);
    double c = cos(angle) * scale, s = sin(angle) * scale;
    double t[5][2];
    for (int i = 0; i < 5; i++) {
        t[i][0] = c * align_template150[i][0] - s * align_template150[i][1] + tx;
        t[i][1] = s * align_template150[i][0] + c * align_template150[i][1] + ty;
    }
    for (int i = 36; i < 42; i++)
        memcpy(pts[i], t[0], sizeof t[0]);
    for (int i = 42; i < 48; i++)
        memcpy(pts[i], t[1], sizeof t[1]);
    memcpy(pts[30], t[2], sizeof t[2]);
    memcpy(pts[48], t[3], sizeof t[3]);
    memcpy(pts[54], t[4], sizeof t[4]);
}

static void test_similarity_fit(void **state)
{
    double pts[68][2], m[6], five[5][2];
    make_face(pts, M_PI / 6, 2.0, 40.0, -7.0);
    align_five_points(pts, five);
    align_similarity(pts, 150, m);
    /* chip template point i maps back onto the face's point i */
    for (int i = 0; i < 5; i++) {
        double u = align_template150[i][0], v = align_template150[i][1];
        assert_float_equal(m[0] * u + m[1] * v + m[2], five[i][0], 1e-9);
        assert_float_equal(m[3] * u + m[4] * v + m[5], five[i][1], 1e-9);
    }
    assert_float_equal(hypot(m[0], m[3]), 2.0, 1e-9);          /* scale */
    assert_float_equal(atan2(m[3], m[0]), M_PI / 6, 1e-9);     /* roll */
    /* a 112 chip scales the template with it */
    align_similarity(pts, 112, m);
    assert_float_equal(hypot(m[0], m[3]), 2.0 * 150 / 112, 1e-9);
}

static void test_warp(void **state)
{
    image img;
    assert_int_equal(image_alloc(&img, 4, 3), 0);
    for (int i = 0; i < 4 * 3 * 3; i++)
        img.rgb[i] = (uint8_t)(i * 5);
    const input_norm id = {{0, 0, 0}, 1.0f, 0.0f};
    const double identity[6] = {1, 0, 0, 0, 1, 0}, shift[6] = {1, 0, 0.5, 0, 1, 0};
    float out[5 * 5 * 3];
    input_from_transform(&img, identity, 5, &id, out);
    assert_true(out[(1 * 5 + 2) * 3 + 1] == img.rgb[(1 * 4 + 2) * 3 + 1]);   /* same pixel */
    assert_true(out[(4 * 5 + 4) * 3] == 0.0f);                                /* outside: zero */
    input_from_transform(&img, shift, 5, &id, out);
    /* half a pixel to the right: the mean of two neighbours */
    float want = (img.rgb[(0 * 4 + 1) * 3] + img.rgb[(0 * 4 + 2) * 3]) / 2.0f;
    assert_float_equal(out[(0 * 5 + 1) * 3], want, 1e-5);
    image_free(&img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_similarity_fit),
        cmocka_unit_test(test_warp),
    };
    return cmocka_run_group_tests_name("align", tests, NULL, NULL);
}
