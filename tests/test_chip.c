/* test_chip.c - dlib's face chip (src/align/chip.h) against dlib itself.
 *
 * tests/dlib_chip.cpp runs dlib's get_face_chip_details + extract_image_chip
 * (Debian's libdlib-dev) on the same picture and landmarks; our chip must be
 * the same rectangle, angle and bytes: a face at LFW's scale, a big one
 * (pyramid levels), a tiny one (upsampled), and one half out of the picture
 * (black there). The landmarks are dlib's mean face turned, scaled and moved,
 * with a few pixels of noise, rounded to integers as dlib's shape predictor
 * gives them. Then the jitter: deterministic, varied, mirrored about half
 * the time, and close to the chip it came from. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "align/chip.h"
#include "media/media.h"

static char helper[4096];   /* dlib_chip, next to this test's binary */
static const char *shared;

/* Where dlib's mean face puts the 33 points it aligns on (chip.c has them
 * too; here they only make test landmarks). */
static const struct { int lm; double x, y; } mean_face[] = {
    {27, 0.490127, 0.203352}, {28, 0.490127, 0.307009}, {29, 0.490127, 0.409805}, {30, 0.490127, 0.515625},
    {31, 0.36688, 0.587326},  {32, 0.426036, 0.609345}, {33, 0.490127, 0.628106}, {34, 0.554217, 0.609345},
    {35, 0.613373, 0.587326}, {36, 0.121737, 0.216423}, {37, 0.187122, 0.178758}, {38, 0.265825, 0.179852},
    {39, 0.334606, 0.231733}, {40, 0.260918, 0.245099}, {41, 0.182743, 0.244077}, {42, 0.645647, 0.231733},
    {43, 0.714428, 0.179852}, {44, 0.793132, 0.178758}, {45, 0.858516, 0.216423}, {46, 0.79751, 0.244077},
    {47, 0.719335, 0.245099}, {48, 0.254149, 0.780233}, {49, 0.340985, 0.745405}, {50, 0.428858, 0.727388},
    {51, 0.490127, 0.742578}, {52, 0.551395, 0.727388}, {53, 0.639268, 0.745405}, {54, 0.726104, 0.780233},
    {60, 0.290379, 0.784792}, {61, 0.428096, 0.778746}, {62, 0.490127, 0.785343}, {63, 0.552157, 0.778746},
    {64, 0.689874, 0.784792}};

/* 68 integer landmarks: the mean face of `side` pixels turned by deg about
 * (cx, cy), each point moved by up to 2 pixels; the other points anywhere. */
static void landmarks(double deg, double side, double cx, double cy, double pts[68][2])
{
    unsigned seed = 7;
    double a = deg * 3.14159265358979323846 / 180;
    for (int i = 0; i < 68; i++) {
        pts[i][0] = round(cx + (int)(rand_r(&seed) % 50) - 25);
        pts[i][1] = round(cy + (int)(rand_r(&seed) % 50) - 25);
    }
    for (size_t i = 0; i < sizeof mean_face / sizeof *mean_face; i++) {
        double u = (mean_face[i].x - 0.5) * side, v = (mean_face[i].y - 0.5) * side;
        pts[mean_face[i].lm][0] = round(cx + cos(a) * u - sin(a) * v + (int)(rand_r(&seed) % 5) - 2);
        pts[mean_face[i].lm][1] = round(cy + sin(a) * u + cos(a) * v + (int)(rand_r(&seed) % 5) - 2);
    }
}

/* dlib's chip of img at pts: its rectangle (l, t, r, b), angle and pixels. */
static void dlib_chip(const image *img, const double pts[68][2], double rect[5], uint8_t *out)
{
    char out_path[] = "/tmp/celeb-test-chip-XXXXXX", cmd[8192];
    int fd = mkstemp(out_path);
    assert_true(fd >= 0);
    close(fd);
    snprintf(cmd, sizeof cmd, "'%s' > '%s'", helper, out_path);
    FILE *p = popen(cmd, "w");
    assert_non_null(p);
    fprintf(p, "%d %d %d %.2f\n", img->width, img->height, CHIP_SIZE, CHIP_PADDING);
    fwrite(img->rgb, 1, (size_t)img->width * img->height * 3, p);
    for (int i = 0; i < 68; i++)
        fprintf(p, "%ld %ld\n", (long)pts[i][0], (long)pts[i][1]);
    assert_int_equal(pclose(p), 0);
    FILE *f = fopen(out_path, "rb");
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%lf %lf %lf %lf %lf", &rect[0], &rect[1], &rect[2], &rect[3], &rect[4]), 5);
    fgetc(f);
    assert_int_equal(fread(out, 1, CHIP_SIZE * CHIP_SIZE * 3, f), CHIP_SIZE * CHIP_SIZE * 3);
    fclose(f);
    unlink(out_path);
}

/* Our chip of the picture at the given face equals dlib's, byte for byte. */
static void same_as_dlib(const char *photo, double deg, double side, double cx, double cy)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/data/%s", shared, photo);
    image img;
    celeb_error err = {0};
    assert_int_equal(media_read_frame(path, 0, &img, &err), 0);
    double pts[68][2], rect[5];
    landmarks(deg, side, cx, cy, pts);
    uint8_t *want = malloc(CHIP_SIZE * CHIP_SIZE * 3);
    assert_non_null(want);
    dlib_chip(&img, pts, rect, want);

    face_chip c = chip_locate(pts, CHIP_SIZE, CHIP_PADDING);
    double half = (c.side - 1) / 2;
    /* dlib fits by SVD, we in closed form: the same to far below a pixel. */
    assert_float_equal(c.cx - half, rect[0], 1e-3);
    assert_float_equal(c.cy - half, rect[1], 1e-3);
    assert_float_equal(c.cx + half, rect[2], 1e-3);
    assert_float_equal(c.cy + half, rect[3], 1e-3);
    assert_float_equal(c.angle, rect[4], 1e-6);
    assert_float_equal(c.angle, deg * 3.14159265358979323846 / 180, 0.05);   /* the turn put in */
    image chip;
    assert_int_equal(chip_extract(&img, &c, CHIP_SIZE, &chip), 0);
    int differ = 0;
    for (int i = 0; i < CHIP_SIZE * CHIP_SIZE * 3; i++)
        differ += chip.rgb[i] != want[i];
    if (differ)
        fprintf(stderr, "%s at %.0f px: %d of %d bytes differ from dlib's\n", photo, side, differ,
                CHIP_SIZE * CHIP_SIZE * 3);
    assert_int_equal(differ, 0);
    image_free(&chip);
    image_free(&img);
    free(want);
}

static void test_lfw_scale(void **state)
{
    (void)state;
    same_as_dlib("lfw/images/Abdullah_Gul/Abdullah_Gul_0013.jpg", 8, 100, 125, 120);
}

static void test_big_face_pyramid(void **state)
{
    (void)state;
    /* 400 px: one pyramid level; 900 px: several, and the square leaves the picture. */
    same_as_dlib("celebs/Barack_Obama/obama.jpg", -5, 400, 480, 280);
    same_as_dlib("celebs/Barack_Obama/obama.jpg", 3, 900, 480, 500);
}

static void test_small_and_cut(void **state)
{
    (void)state;
    same_as_dlib("lfw/images/Abdullah_Gul/Abdullah_Gul_0013.jpg", -3, 30, 125, 120);   /* upsampled */
    same_as_dlib("lfw/images/Abdullah_Gul/Abdullah_Gul_0013.jpg", 20, 100, 20, 30);    /* half outside */
}

/* A square entirely outside the picture gives a black chip, no crash. */
static void test_outside(void **state)
{
    (void)state;
    image img;
    assert_int_equal(image_alloc(&img, 40, 30), 0);
    memset(img.rgb, 200, 40 * 30 * 3);
    face_chip c = {.cx = -500, .cy = 900, .side = 120, .angle = 0.3};
    image chip;
    assert_int_equal(chip_extract(&img, &c, CHIP_SIZE, &chip), 0);
    for (int i = 0; i < CHIP_SIZE * CHIP_SIZE * 3; i++)
        assert_int_equal(chip.rgb[i], 0);
    image_free(&chip);
    image_free(&img);
}

/* Left half white, right half black: a mirrored copy is dark on the left. */
static void test_jitter(void **state)
{
    (void)state;
    image in, a, b;
    assert_int_equal(image_alloc(&in, CHIP_SIZE, CHIP_SIZE), 0);
    for (int y = 0; y < CHIP_SIZE; y++)
        for (int x = 0; x < CHIP_SIZE; x++)
            memset(in.rgb + ((size_t)y * CHIP_SIZE + x) * 3, x < CHIP_SIZE / 2 ? 255 : 0, 3);
    uint64_t s1 = 42, s2 = 42, s3 = 43;
    assert_int_equal(chip_jitter(&in, &s1, &a), 0);
    assert_int_equal(chip_jitter(&in, &s2, &b), 0);
    assert_memory_equal(a.rgb, b.rgb, (size_t)CHIP_SIZE * CHIP_SIZE * 3);   /* same seed, same copy */
    image_free(&b);
    int differ = 0;
    for (int k = 0; k < 5 && !differ; k++) {   /* another seed: another copy */
        assert_int_equal(chip_jitter(&in, &s3, &b), 0);
        differ = memcmp(a.rgb, b.rgb, (size_t)CHIP_SIZE * CHIP_SIZE * 3) != 0;
        image_free(&b);
    }
    assert_true(differ);
    image_free(&a);
    /* 200 copies from one stream: about half mirrored; the edge between the
     * halves stays within a few pixels of the middle (2% shift, 3 degrees,
     * 3% zoom of a 144-pixel object: at most ~9 pixels at the rows' ends). */
    uint64_t s = 1;
    int mirrored = 0;
    for (int k = 0; k < 200; k++) {
        assert_int_equal(chip_jitter(&in, &s, &b), 0);
        const uint8_t *row = b.rgb + (size_t)(CHIP_SIZE / 2) * CHIP_SIZE * 3;
        int left_white = row[20 * 3] > 128, right_white = row[(CHIP_SIZE - 21) * 3] > 128;
        assert_true(left_white != right_white);
        mirrored += right_white;
        int edge = 0;
        for (int x = 21; x < CHIP_SIZE - 21; x++)   /* away from the black corners turning leaves */
            if ((row[x * 3] > 128) != (row[(x - 1) * 3] > 128))
                edge = x;
        assert_in_range(edge, CHIP_SIZE / 2 - 10, CHIP_SIZE / 2 + 10);
        image_free(&b);
    }
    assert_in_range(mirrored, 70, 130);
    image_free(&in);
}

int main(int argc, char **argv)
{
    (void)argc;
    snprintf(helper, sizeof helper, "%s", argv[0]);
    char *slash = strrchr(helper, '/');
    snprintf(slash ? slash + 1 : helper, sizeof helper - (size_t)(slash ? slash + 1 - helper : 0), "dlib_chip");
    shared = getenv("CELEB_SHARED") ? getenv("CELEB_SHARED") : "../shared";
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lfw_scale),       cmocka_unit_test(test_big_face_pyramid),
        cmocka_unit_test(test_small_and_cut),   cmocka_unit_test(test_outside),
        cmocka_unit_test(test_jitter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
