/* test_metrics.c - LFW's verification protocol in src/eval/metrics.h on pairs
 * whose right answers are known by hand: the exact threshold search, the
 * folds' thresholds chosen on the other folds, a pair with no face counted
 * wrong, the standard error of the mean, and the ROC points. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "eval/metrics.h"

#define P(d, s, f) {(d), (s), (f), 1}

/* The best threshold separates the distances exactly, in the middle of the
 * widest gap among the equally good ones. */
static void test_best_threshold_exact(void **state)
{
    (void)state;
    /* same: 0.30 0.41 0.52; different: 0.50 0.70 0.90. Accepting below
     * 0.455 or below 0.60 both get 5 of 6 right; the gap 0.52-0.70 is wider. */
    const eval_pair p[] = {P(0.30f, 1, 0), P(0.41f, 1, 0), P(0.52f, 1, 0),
                           P(0.50f, 0, 0), P(0.70f, 0, 0), P(0.90f, 0, 0)};
    double acc;
    float t = eval_best_threshold(p, 6, -1, &acc);
    assert_float_equal(acc, 5.0 / 6, 1e-12);
    assert_float_equal(t, 0.61f, 1e-6);
    /* Separable: 100%, between the largest same and the smallest different. */
    const eval_pair q[] = {P(0.20f, 1, 0), P(0.35f, 1, 0), P(0.65f, 0, 0), P(0.80f, 0, 0)};
    t = eval_best_threshold(q, 4, -1, &acc);
    assert_float_equal(acc, 1.0, 1e-12);
    assert_float_equal(t, 0.50f, 1e-6);
    /* No valid pair: the default, accuracy 0. */
    eval_pair none = {0.1f, 1, 0, 0};
    t = eval_best_threshold(&none, 1, -1, &acc);
    assert_float_equal(acc, 0, 0);
}

/* Two folds: each fold is judged at the threshold learned on the other. */
static void test_folds_and_standard_error(void **state)
{
    (void)state;
    /* Fold 0 alone would pick ~0.5 (separable at 0.45 | 0.55); fold 1 is
     * separable at 0.62 | 0.72 (threshold 0.67). Judged at 0.67, fold 0 gets
     * its different pair at 0.55 wrong (3/4); judged at 0.50, fold 1 gets its
     * same pair at 0.62 wrong (3/4). */
    const eval_pair p[] = {P(0.30f, 1, 0), P(0.45f, 1, 0), P(0.55f, 0, 0), P(0.90f, 0, 0),
                           P(0.40f, 1, 1), P(0.62f, 1, 1), P(0.72f, 0, 1), P(0.95f, 0, 1)};
    eval_verify v;
    eval_verification(p, 8, 0.55f, 2, &v);
    assert_int_equal(v.folds, 2);
    assert_float_equal(v.cv_accuracy, 0.75, 1e-12);
    assert_float_equal(v.cv_stderr, 0.0, 1e-12);   /* both folds 0.75 */
    assert_float_equal(v.cv_threshold, (0.67 + 0.50) / 2, 1e-6);
    /* A pair with no face is wrong in its fold: fold 1 now 3/5 right
     * (0.6), fold 0 still 0.75: mean 0.675, sd of {0.75, 0.6} = 0.1061,
     * standard error 0.1061 / sqrt(2) = 0.075. */
    eval_pair q[9];
    for (int i = 0; i < 8; i++)
        q[i] = p[i];
    q[8] = (eval_pair){0, 1, 1, 0};
    eval_verification(q, 9, 0.55f, 2, &v);
    assert_int_equal(v.no_face, 1);
    assert_float_equal(v.cv_accuracy, 0.675, 1e-12);
    assert_float_equal(v.cv_stderr, 0.075, 1e-9);
}

/* TAR at a FAR: the largest threshold that accepts at most that share of
 * the different pairs. */
static void test_roc_points(void **state)
{
    (void)state;
    eval_roc *r = calloc(1, sizeof *r);
    assert_non_null(r);
    /* 1000 different pairs at 0.500, 0.501, ...; 10 same pairs at 0.40 ..
     * 0.58 by 0.02. FAR 1e-3 allows one different pair: accept below
     * 0.5010 (the bin after 0.500): same pairs under it: 0.40 .. 0.50 = 6. */
    for (int i = 0; i < 1000; i++)
        eval_roc_add(r, 0.5f + 0.001f * i + 0.00005f, 0);
    for (int i = 0; i < 10; i++)
        eval_roc_add(r, 0.4f + 0.02f * i + 0.00005f, 1);
    float t;
    double tar = eval_roc_tar(r, 1e-3, &t);
    assert_float_equal(t, 0.5010f, 1e-5);
    assert_float_equal(tar, 0.6, 1e-12);
    /* FAR 1e-4: no different pair accepted: below 0.5000, 5 same pairs. */
    tar = eval_roc_tar(r, 1e-4, &t);
    assert_float_equal(t, 0.5000f, 1e-5);
    assert_float_equal(tar, 0.5, 1e-12);
    /* Distances out of range land in the last bin; no different pairs at all: every same pair. */
    eval_roc *e = calloc(1, sizeof *e);
    assert_non_null(e);
    eval_roc_add(e, 7.0f, 1);
    eval_roc_add(e, -1.0f, 1);
    assert_int_equal(e->genuine[EVAL_ROC_BINS], 1);
    assert_int_equal(e->genuine[0], 1);
    free(e);
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_best_threshold_exact),
        cmocka_unit_test(test_folds_and_standard_error),
        cmocka_unit_test(test_roc_points),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
