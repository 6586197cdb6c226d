/* test_pca.c - the explorer's projection (src/serve/pca.h): orthonormal
 * axes, variances largest first, each axis's largest coordinate positive,
 * and projections that keep the distances of points spanning fewer
 * dimensions than it keeps. The bug it holds: an axis whose largest
 * coordinate was negative was flipped only up to that coordinate. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "serve/pca.h"

enum { DIM = 6, N = 4 };

static double dot(const double *a, const double *b)
{
    double s = 0;
    for (int i = 0; i < DIM; i++)
        s += a[i] * b[i];
    return s;
}

static void test_axes(void **state)
{
    (void)state;
    /* Points on a plane spanned by u (largest coordinate -0.8, at index 2)
     * and v: 4 points, 2 directions of variance. */
    const double u[DIM] = {0.1, -0.2, -0.8, 0.3, 0.1, 0.2}, v[DIM] = {0.5, 0.4, 0.0, 0.3, -0.5, 0.1};
    const double a[N] = {3, -1, -2, 0}, b[N] = {0.5, 0.2, -0.4, -0.3};
    float rows[N * DIM];
    for (int r = 0; r < N; r++)
        for (int i = 0; i < DIM; i++)
            rows[r * DIM + i] = (float)(1.0 + a[r] * u[i] + b[r] * v[i]);
    pca3 p;
    celeb_error err = {0};
    assert_int_equal(pca3_fit(rows, N, DIM, &p, &err), 0);
    const double *ax[3] = {p.axes, p.axes + DIM, p.axes + 2 * DIM};
    assert_float_equal(dot(ax[0], ax[0]), 1, 1e-9);
    assert_float_equal(dot(ax[1], ax[1]), 1, 1e-9);
    assert_float_equal(dot(ax[0], ax[1]), 0, 1e-9);
    assert_float_equal(dot(ax[2], ax[2]), 0, 1e-12);   /* no third direction in the data */
    assert_true(p.variance[0] >= p.variance[1] && p.variance[1] > 0 && p.variance[2] == 0);
    for (int k = 0; k < 2; k++) {   /* the largest coordinate positive */
        int big = 0;
        for (int i = 1; i < DIM; i++)
            if (fabs(ax[k][i]) > fabs(ax[k][big]))
                big = i;
        assert_true(ax[k][big] > 0);
    }
    /* The plane is kept whole: distances between the points survive. */
    float xyz[N][3];
    for (int r = 0; r < N; r++)
        pca3_project(&p, rows + r * DIM, xyz[r]);
    for (int r = 0; r < N; r++)
        for (int s = r + 1; s < N; s++) {
            double d0 = 0, d1 = 0;
            for (int i = 0; i < DIM; i++)
                d0 += (rows[r * DIM + i] - rows[s * DIM + i]) * (rows[r * DIM + i] - rows[s * DIM + i]);
            for (int k = 0; k < 3; k++)
                d1 += (xyz[r][k] - xyz[s][k]) * (xyz[r][k] - xyz[s][k]);
            assert_float_equal(sqrt(d0), sqrt(d1), 1e-5);
        }
    assert_float_equal(p.variance[0] + p.variance[1], p.total_variance, 1e-6);
    pca3_free(&p);
}

/* One point: no axes, the mean is the point, projections are zero. */
static void test_one_point(void **state)
{
    (void)state;
    float row[DIM] = {1, 2, 3, 4, 5, 6}, xyz[3];
    pca3 p;
    celeb_error err = {0};
    assert_int_equal(pca3_fit(row, 1, DIM, &p, &err), 0);
    pca3_project(&p, row, xyz);
    assert_true(xyz[0] == 0 && xyz[1] == 0 && xyz[2] == 0);
    assert_float_equal(p.mean[5], 6, 0);
    pca3_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_axes),
        cmocka_unit_test(test_one_point),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
