/* test_sample.c - frame sampling: GIPHY's evenly spaced indices, and the
 * near-duplicate signature on real GIF frames. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "media/media.h"
#include "media/sample.h"
#include "testutil.h"

static void test_even(void **state)
{
    int idx[64];
    static const int want35[20] = {0, 2, 4, 6, 7, 9, 11, 13, 14, 16, 18, 20, 21, 23, 25, 27, 28, 30, 32, 34};
    assert_int_equal(sample_even(35, 20, idx), 20);   /* the elon GIF, as giphy_pipeline.py */
    assert_memory_equal(idx, want35, sizeof want35);
    assert_int_equal(sample_even(10, 20, idx), 10);   /* fewer frames than asked: all of them */
    for (int i = 0; i < 10; i++)
        assert_int_equal(idx[i], i);
    assert_int_equal(sample_even(1, 20, idx), 1);
    assert_int_equal(idx[0], 0);
    assert_int_equal(sample_even(0, 20, idx), 0);
    assert_int_equal(sample_even(100, 0, idx), 0);
    assert_int_equal(sample_even(2745, 20, idx), 20);  /* a long video: last index < n */
    assert_true(idx[19] < 2745 && idx[19] == (19 * 2745 + 19) / 20);
}

static void test_signature(void **state)
{
    char path[1024];
    media *m;
    celeb_error err = {0};
    assert_int_equal(media_open_file(shared_path(path, sizeof path, "data/media/giphy_video.gif"), NULL, &m, &err), 0);
    frame_sig sig[10];
    media_frame f;
    int n = 0;
    while (n < 10 && media_next_frame(m, &f, &err) > 0)
        frame_signature(&f.img, &sig[n++]);
    media_close(m);
    assert_int_equal(n, 10);
    assert_true(frame_sig_distance(&sig[0], &sig[0]) == 0.0);
    /* different moments of the clip are different pictures */
    double d = frame_sig_distance(&sig[0], &sig[9]);
    print_message("giphy_video.gif frame 0 vs 9: %.2f\n", d);
    assert_true(d > SAMPLE_DUPLICATE_MAX);

    /* the same picture with a little noise (re-encoding) is a duplicate */
    image a, b;
    assert_int_equal(image_alloc(&a, 64, 48), 0);
    assert_int_equal(image_alloc(&b, 64, 48), 0);
    for (int i = 0; i < 64 * 48 * 3; i++) {
        a.rgb[i] = (uint8_t)((i * 7) % 200 + 20);
        b.rgb[i] = (uint8_t)(a.rgb[i] + (i % 3) - 1);
    }
    frame_sig sa, sb;
    frame_signature(&a, &sa);
    frame_signature(&b, &sb);
    assert_true(frame_sig_distance(&sa, &sb) < SAMPLE_DUPLICATE_MAX);
    image_free(&a);
    image_free(&b);
    /* a 1x1 image has a signature too */
    image one;
    assert_int_equal(image_alloc(&one, 1, 1), 0);
    memset(one.rgb, 255, 3);
    frame_signature(&one, &sa);
    assert_int_equal(sa.grey[0], 255);
    assert_int_equal(sa.grey[SAMPLE_SIG_SIDE * SAMPLE_SIG_SIDE - 1], 255);
    image_free(&one);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_even),
        cmocka_unit_test(test_signature),
    };
    return cmocka_run_group_tests_name("sample", tests, NULL, NULL);
}
