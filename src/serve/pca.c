/* pca.c - see pca.h. The covariance matrix (dim x dim), then its top
 * eigenvectors by power iteration with deflation: for dim = 128 that is a
 * few milliseconds, and exact enough for a picture. */
#include "pca.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define POWER_ITERATIONS 1000
#define POWER_TOLERANCE 1e-12

void pca3_free(pca3 *p)
{
    free(p->mean);
    free(p->axes);
    *p = (pca3){0};
}

/* Removes from v its components along the k axes found before. */
static void orthogonalize(double *v, const double *axes, int k, int dim)
{
    for (int a = 0; a < k; a++) {
        double dot = 0;
        for (int i = 0; i < dim; i++)
            dot += v[i] * axes[(size_t)a * dim + i];
        for (int i = 0; i < dim; i++)
            v[i] -= dot * axes[(size_t)a * dim + i];
    }
}

/* The unit eigenvector of the largest eigenvalue of the symmetric c (dim x
 * dim), orthogonal to the k axes found before (c is deflated by them). */
static double top_eigen(const double *c, int dim, const double *axes, int k, double *v, double *tmp)
{
    /* A start with a component along almost every direction. */
    for (int i = 0; i < dim; i++)
        v[i] = 1.0 + 0.01 * i;
    double lambda = 0;
    for (int it = 0; it < POWER_ITERATIONS; it++) {
        double norm = 0;
        for (int i = 0; i < dim; i++) {
            double s = 0;
            for (int j = 0; j < dim; j++)
                s += c[(size_t)i * dim + j] * v[j];
            tmp[i] = s;
        }
        orthogonalize(tmp, axes, k, dim);
        norm = 0;
        for (int i = 0; i < dim; i++)
            norm += tmp[i] * tmp[i];
        norm = sqrt(norm);
        if (norm == 0)
            return 0;   /* nothing left: the deflated matrix is zero */
        double change = 0;
        for (int i = 0; i < dim; i++) {
            double x = tmp[i] / norm;
            change += (x - v[i]) * (x - v[i]);
            v[i] = x;
        }
        lambda = norm;
        if (change < POWER_TOLERANCE)
            break;
    }
    return lambda;
}

int pca3_fit(const float *rows, int n, int dim, pca3 *p, celeb_error *err)
{
    *p = (pca3){.dim = dim};
    p->mean = calloc((size_t)dim, sizeof *p->mean);
    p->axes = calloc((size_t)PCA_DIMS * dim, sizeof *p->axes);
    double *c = calloc((size_t)dim * dim, sizeof *c);
    double *d = malloc((size_t)dim * sizeof *d), *tmp = malloc((size_t)dim * sizeof *tmp);
    if (!p->mean || !p->axes || !c || !d || !tmp) {
        free(c);
        free(d);
        free(tmp);
        pca3_free(p);
        return celeb_fail(err, CELEB_ENOMEM, "out of memory for the projection");
    }
    for (int r = 0; r < n; r++)
        for (int i = 0; i < dim; i++)
            p->mean[i] += rows[(size_t)r * dim + i];
    for (int i = 0; n > 0 && i < dim; i++)
        p->mean[i] /= n;
    if (n >= 2) {
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < dim; i++)
                d[i] = rows[(size_t)r * dim + i] - p->mean[i];
            for (int i = 0; i < dim; i++)
                for (int j = i; j < dim; j++)
                    c[(size_t)i * dim + j] += d[i] * d[j];
        }
        for (int i = 0; i < dim; i++)
            for (int j = i; j < dim; j++)
                c[(size_t)j * dim + i] = c[(size_t)i * dim + j] /= n;
        for (int i = 0; i < dim; i++)
            p->total_variance += c[(size_t)i * dim + i];
        for (int k = 0; k < PCA_DIMS; k++) {
            double *axis = p->axes + (size_t)k * dim;
            double lambda = top_eigen(c, dim, p->axes, k, axis, tmp);
            /* rounding noise, not a direction of the data (n <= 3 points span fewer axes) */
            if (lambda <= 1e-9 * p->total_variance) {
                memset(axis, 0, (size_t)dim * sizeof *axis);
                break;
            }
            int big = 0;
            for (int i = 1; i < dim; i++)
                if (fabs(axis[i]) > fabs(axis[big]))
                    big = i;
            for (int i = 0; axis[big] < 0 && i < dim; i++)
                axis[i] = -axis[i];
            p->variance[k] = lambda;
            /* deflate: remove this direction from c */
            for (int i = 0; i < dim; i++)
                for (int j = 0; j < dim; j++)
                    c[(size_t)i * dim + j] -= lambda * axis[i] * axis[j];
        }
    }
    free(c);
    free(d);
    free(tmp);
    return CELEB_OK;
}

void pca3_project(const pca3 *p, const float *v, float xyz[PCA_DIMS])
{
    for (int k = 0; k < PCA_DIMS; k++) {
        double s = 0;
        for (int i = 0; i < p->dim; i++)
            s += (v[i] - p->mean[i]) * p->axes[(size_t)k * p->dim + i];
        xyz[k] = (float)s;
    }
}
