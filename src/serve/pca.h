/* pca.h - principal component analysis to 3 dimensions, for the embedding
 * explorer: the gallery's descriptors projected on their 3 directions of
 * largest variance. */
#ifndef CELEB_SERVE_PCA_H
#define CELEB_SERVE_PCA_H

#include "../core/error.h"

#define PCA_DIMS 3

typedef struct pca3 {
    int dim;                  /* length of the input vectors */
    double *mean;             /* [dim] */
    double *axes;             /* [PCA_DIMS][dim], unit length, orthogonal; zero when n < 2 */
    double variance[PCA_DIMS];/* variance along each axis (eigenvalues, largest first) */
    double total_variance;    /* trace of the covariance */
} pca3;

/* Fits the n x dim row-major vectors. Each axis's sign is fixed so that its
 * largest-magnitude coordinate is positive (stable across runs). p's arrays
 * are malloc'd: pca3_free. */
int pca3_fit(const float *rows, int n, int dim, pca3 *p, celeb_error *err);
void pca3_free(pca3 *p);

/* Coordinates of one vector (dim floats) on the axes. */
void pca3_project(const pca3 *p, const float *v, float xyz[PCA_DIMS]);

#endif
