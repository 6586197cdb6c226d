/* test_gmm.c - the grouping baseline (src/group/gmm.h): the tied-covariance
 * mixture against scikit-learn 1.2.1 on fixed data, and GIPHY's clustering
 * and naming on synthetic descriptors (the cases that show how it differs
 * from ours: at most one person per predicted class, faces of one frame
 * merged, clusters dropped when the probability product underflows).
 *
 * The scikit-learn cases: 12 points in 3-D, 3 components, generated and
 * fitted with
 *     KMeans(3, init=seeds, n_init=1, algorithm='lloyd') -> initial resp,
 *     GaussianMixture(3, covariance_type='tied', means_init=seeds,
 *                     weights_init=[1/3]*3).fit(X).predict(X), .n_iter_
 * (seed 20 and 37 have a seed with no nearest point, so k-means relocates
 * an empty cluster; seed 25 needs 22 EM iterations; in seeds 337 and 1812
 * that relocation empties another cluster, as on fr_short_hamilton_clip.mp4). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "group/gmm.h"

typedef struct sk_case {
    int n;
    double x[12 * 3];
    double seeds[3 * 3];
    int labels[12];
    int iterations;
} sk_case;

static const sk_case sk_cases[] = {
    {12, /* seed 20 */ {1.29, 0.519, -0.136, -3.135, -1.927, -0.72, 1.185, -1.023, 2.071, 1.935, 0.602, 0.189, -5.533, 0.035, 1.892, 0.696, -1.109, 0.394, 2.44, 0.325, -1.709, -3.229, -2.189, 1.493, 2.999, -1.913, -1.11, 1.411, -1.355, 0.687, -3.48, -1.423, 0.881, 0.337, 0.566, 1.15},
     {0.886, 0.38, 1.029, -0.683, 0.16, 0.632, -1.059, -0.92, 0.303},
     {0, 2, 0, 0, 2, 1, 0, 2, 0, 0, 2, 0}, 7},
    {12, /* seed 25 */ {1.097, 0.106, -1.072, 1.562, -2.292, -0.146, -1.866, 3.04, -3.103, 1.285, 0.607, 1.455, -3.186, 1.866, 0.459, -2.198, -0.138, -1.52, -0.063, 0.513, 1.143, -0.365, -2.797, 1.385, -0.232, 2.238, -1.648, 0.445, 0.393, -0.593, -2.531, -0.843, -2.108, -0.377, 1.132, -1.689},
     {-0.165, 0.481, -0.843, -0.293, 0.637, 0.523, 0.626, 0.726, -0.259},
     {2, 2, 0, 1, 1, 2, 1, 1, 2, 2, 0, 2}, 22},
    {12, /* seed 37 */ {-0.882, 1.209, 1.575, -0.781, 1.455, 0.955, 0.323, 0.999, 2.855, 0.349, 0.867, 0.043, -2.16, 1.251, -1.079, -0.432, 0.173, 2.183, -1.771, 0.278, 1.62, -1.31, 1.38, 1.434, -1.769, -0.675, 2.59, -0.848, 2.433, 0.407, -0.943, 1.585, 1.352, -0.023, -2.501, 2.64},
     {-0.281, 0.981, 0.414, -0.026, 0.263, -0.216, -0.057, -0.208, 0.288},
     {0, 0, 0, 1, 0, 0, 0, 0, 2, 0, 0, 2}, 6},
    /* the point k-means relocates to the empty cluster was alone in its own,
     * which stays empty (the empty clusters are listed once) and, as
     * scikit-learn runs k-means on centred data, is centred on the mean */
    {12, /* seed 337 */ {-0.447, 0.387, -0.605, 0.091, -1.531, 0.257, -1.107, -1.591, 0.506, -0.7, -0.342, 0.526, -0.395, -1.05, 0.952, 0.703, 1.259, -0.428, -0.182, -1.297, 1.072, -2.458, -0.318, 0.661, 0.905, 0.754, 2.199, -0.268, 0.98, -0.464, -0.221, 0.064, -0.025, 3.223, -1.304, -0.296},
     {-2.395, -1.495, 2.951, -1.187, 0.773, 0.968, 2.662, 0.159, -3.679},
     {1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 2}, 7},
    {12, /* seed 1812 */ {-0.348, -0.301, 0.673, 0.411, -0.792, -0.982, 1.443, 1.261, -0.779, 1.08, 1.404, -0.778, -0.63, 0.408, 0.4, -1.925, -1.211, -0.191, 0.347, 0.449, 0.499, -0.161, -0.025, 0.413, 0.021, 1.424, 0.095, 0.86, -0.04, 0.716, -0.713, -0.858, 0.237, 0.224, -0.187, 1.702},
     {1.933, -0.851, -2.007, -3.301, -2.218, 2.333, 0.574, 0.581, -0.135},
     {2, 0, 2, 2, 2, 1, 2, 2, 2, 2, 1, 2}, 10},
};

static void test_mixture_matches_sklearn(void **state)
{
    const double w[3] = {1.0 / 3, 1.0 / 3, 1.0 / 3};
    for (size_t c = 0; c < sizeof sk_cases / sizeof sk_cases[0]; c++) {
        int n = sk_cases[c].n, labels[12] = {0}, it = -1;
        celeb_error err = {0};
        assert_int_equal(gmm_fit_predict(sk_cases[c].x, n, 3, sk_cases[c].seeds, w, 3, NULL, labels,
                                         &it, &err), 0);
        print_message("case %zu: %d iterations (scikit-learn %d)\n", c, it, sk_cases[c].iterations);
        assert_memory_equal(labels, sk_cases[c].labels, (size_t)n * sizeof labels[0]);
        assert_int_equal(it, sk_cases[c].iterations);
    }
}

static void test_mixture_bad_arguments(void **state)
{
    double x[6] = {0, 0, 1, 1, 2, 2}, seeds[6] = {0, 0, 2, 2, 1, 1}, w[3] = {0.4, 0.3, 0.3};
    int labels[3];
    celeb_error err = {0};
    assert_int_equal(gmm_fit_predict(x, 2, 2, seeds, w, 3, NULL, labels, NULL, &err), CELEB_EINVAL);
    assert_int_equal(gmm_fit_predict(NULL, 3, 2, seeds, w, 3, NULL, labels, NULL, &err), CELEB_EINVAL);
    assert_int_equal(gmm_fit_predict(x, 3, 2, seeds, w, 0, NULL, labels, NULL, &err), CELEB_EINVAL);
}

// ----------------------------------------------------------------------------
// GIPHY's clustering on synthetic descriptors

/* Unit axis `axis` plus a small deterministic wobble (face i) on the other axes. */
static void near_axis(float *v, int axis, int i, float wobble)
{
    for (int j = 0; j < GMM_DIM; j++)
        v[j] = wobble * sinf(0.7f * (float)(i + 1) * (float)(j + 1));
    v[axis] += 1.0f;
}

static void axis_centers(float (*centers)[GMM_DIM], int k)
{
    memset(centers, 0, (size_t)k * sizeof *centers);
    for (int c = 0; c < k; c++)
        centers[c][c] = 1.0f;
}

static void test_giphy_two_people(void **state)
{
    /* 2 faces of class 1 first, then 4 of class 0: clusters by size, class 0 first */
    float descs[6][GMM_DIM], centers[3][GMM_DIM];
    axis_centers(centers, 3);
    for (int i = 0; i < 6; i++)
        near_axis(descs[i], i < 2 ? 1 : 0, i, 0.02f);
    int of[6], expect[6] = {1, 1, 0, 0, 0, 0};
    giphy_cluster cl[6];
    giphy_grouping g;
    celeb_error err = {0};
    assert_int_equal(giphy_group((const float(*)[GMM_DIM])descs, 6, (const float(*)[GMM_DIM])centers, 3,
                                 0, of, cl, &g, &err), 0);
    assert_int_equal(g.components, 2);
    assert_int_equal(g.clusters, 2);
    assert_true(g.iterations >= 1);
    assert_memory_equal(of, expect, sizeof of);
    assert_int_equal(cl[0].faces, 4);
    assert_int_equal(cl[0].top[0], 0);
    assert_int_equal(cl[1].top[0], 1);
    assert_int_equal(cl[0].n_top, 3);
    assert_false(cl[0].underflow);
    assert_true(cl[0].p[0] > 0.999f && cl[1].p[0] > 0.999f);
    /* is_known = max softmax x cosine: close to 1 for faces right at a centre */
    assert_true(cl[0].is_known > 0.9f && cl[0].is_known <= 1.0f);
}

static void test_giphy_one_class_one_cluster(void **state)
{
    /* Two different people, one frame, both nearer class 0 than class 1: one
     * component, so GIPHY puts both in one cluster (ours never merges faces of
     * one frame). */
    float descs[2][GMM_DIM], centers[2][GMM_DIM];
    axis_centers(centers, 2);
    memset(descs, 0, sizeof descs);
    descs[0][0] = 0.8f, descs[0][5] = 0.6f;
    descs[1][0] = 0.8f, descs[1][6] = 0.6f;
    int of[2];
    giphy_cluster cl[2];
    giphy_grouping g;
    celeb_error err = {0};
    assert_int_equal(giphy_group((const float(*)[GMM_DIM])descs, 2, (const float(*)[GMM_DIM])centers, 2,
                                 0, of, cl, &g, &err), 0);
    assert_int_equal(g.components, 1);
    assert_int_equal(g.clusters, 1);
    assert_int_equal(of[0], 0);
    assert_int_equal(of[1], 0);
    assert_int_equal(cl[0].faces, 2);
    assert_int_equal(cl[0].top[0], 0);
}

static void test_giphy_underflow_drops(void **state)
{
    /* 100 faces equally far from 3 classes: p = 1/3 each, (1/3)^100 underflows float32 */
    static float descs[100][GMM_DIM];
    float centers[3][GMM_DIM];
    axis_centers(centers, 3);
    for (int i = 0; i < 100; i++) {
        memset(descs[i], 0, sizeof descs[i]);
        descs[i][0] = descs[i][1] = descs[i][2] = 1.0f;
    }
    static int of[100];
    static giphy_cluster cl[100];
    giphy_grouping g;
    celeb_error err = {0};
    assert_int_equal(giphy_group((const float(*)[GMM_DIM])descs, 100, (const float(*)[GMM_DIM])centers,
                                 3, 0, of, cl, &g, &err), 0);
    assert_int_equal(g.clusters, 1);
    assert_int_equal(cl[0].faces, 100);
    assert_true(cl[0].underflow);
    assert_int_equal(cl[0].n_top, 0);
    /* ... while 10 such faces are named (1/3^10 is fine) */
    assert_int_equal(giphy_group((const float(*)[GMM_DIM])descs, 10, (const float(*)[GMM_DIM])centers,
                                 3, 0, of, cl, &g, &err), 0);
    assert_false(cl[0].underflow);
    assert_int_equal(cl[0].n_top, 3);
    assert_float_equal(cl[0].p[0], 1.0f / 3, 1e-4);
}

static void test_giphy_edges(void **state)
{
    float descs[1][GMM_DIM], centers[2][GMM_DIM];
    axis_centers(centers, 2);
    near_axis(descs[0], 1, 0, 0.01f);
    int of[1] = {-1};
    giphy_cluster cl[1];
    giphy_grouping g;
    celeb_error err = {0};
    assert_int_equal(giphy_group((const float(*)[GMM_DIM])descs, 0, (const float(*)[GMM_DIM])centers, 2,
                                 0, of, cl, &g, &err), 0);
    assert_int_equal(g.clusters, 0);
    assert_int_equal(giphy_group((const float(*)[GMM_DIM])descs, 1, (const float(*)[GMM_DIM])centers, 2,
                                 0, of, cl, &g, &err), 0);
    assert_int_equal(g.clusters, 1);
    assert_int_equal(g.iterations, 0);
    assert_int_equal(of[0], 0);
    assert_int_equal(cl[0].top[0], 1);
    assert_int_equal(giphy_group((const float(*)[GMM_DIM])descs, 1, (const float(*)[GMM_DIM])centers, 0,
                                 0, of, cl, &g, &err), CELEB_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mixture_matches_sklearn),
        cmocka_unit_test(test_mixture_bad_arguments),
        cmocka_unit_test(test_giphy_two_people),
        cmocka_unit_test(test_giphy_one_class_one_cluster),
        cmocka_unit_test(test_giphy_underflow_drops),
        cmocka_unit_test(test_giphy_edges),
    };
    return cmocka_run_group_tests_name("gmm", tests, NULL, NULL);
}
