/* pca.c - see pca.h. The covariance matrix (dim x dim), then all its
 * eigenvectors with LAPACK's symmetric solver (dsyevd; for dim = 128 about a
 * millisecond), keeping the top three. */
#include "pca.h"

#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void pca3_free(pca3 *p)
{
    free(p->mean);
    free(p->axes);
    *p = (pca3){0};
}

int pca3_fit(const float *rows, int n, int dim, pca3 *p, celeb_error *err)
{
    *p = (pca3){.dim = dim};
    p->mean = calloc((size_t)dim, sizeof *p->mean);
    p->axes = calloc((size_t)PCA_DIMS * dim, sizeof *p->axes);
    double *c = calloc((size_t)dim * dim, sizeof *c);
    double *d = malloc((size_t)dim * sizeof *d), *w = malloc((size_t)dim * sizeof *w);
    if (!p->mean || !p->axes || !c || !d || !w) {
        free(c), free(d), free(w);
        pca3_free(p);
        return celeb_fail(err, CELEB_ENOMEM, "out of memory for the projection");
    }
    for (int r = 0; r < n; r++)
        for (int i = 0; i < dim; i++)
            p->mean[i] += rows[(size_t)r * dim + i];
    for (int i = 0; n > 0 && i < dim; i++)
        p->mean[i] /= n;
    int rc = CELEB_OK;
    if (n >= 2) {
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < dim; i++)
                d[i] = rows[(size_t)r * dim + i] - p->mean[i];
            for (int i = 0; i < dim; i++)
                for (int j = i; j < dim; j++)
                    c[(size_t)i * dim + j] += d[i] * d[j];
        }
        for (int i = 0; i < dim; i++) {
            for (int j = i; j < dim; j++)
                c[(size_t)i * dim + j] /= n;
            p->total_variance += c[(size_t)i * dim + i];
        }
        /* Eigenvalues ascending in w, eigenvector k in c[k*dim ..] (column
         * major: the row-major upper triangle filled is its lower one). */
        if (LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'V', 'L', dim, c, dim, w) != 0)
            rc = celeb_fail(err, CELEB_EINTERNAL, "the covariance's eigenvectors did not converge");
        for (int k = 0; rc == 0 && k < PCA_DIMS && k < dim; k++) {
            int col = dim - 1 - k;
            /* rounding noise, not a direction of the data (n <= 3 points span fewer axes) */
            if (w[col] <= 1e-9 * p->total_variance)
                break;
            double *axis = p->axes + (size_t)k * dim;
            memcpy(axis, c + (size_t)col * dim, (size_t)dim * sizeof *axis);
            int big = 0;
            for (int i = 1; i < dim; i++)
                if (fabs(axis[i]) > fabs(axis[big]))
                    big = i;
            double sign = axis[big] < 0 ? -1 : 1;   /* read once: the flip changes axis[big] */
            for (int i = 0; i < dim; i++)
                axis[i] *= sign;
            p->variance[k] = w[col];
        }
    }
    free(c);
    free(d);
    free(w);
    if (rc < 0)
        pca3_free(p);
    return rc;
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
