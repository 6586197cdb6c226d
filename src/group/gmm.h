/* gmm.h - the grouping baseline: how GIPHY's celeb-detection-oss grouped the
 * faces of a GIF, re-implemented to compare our grouping (group.h) with it.
 *
 * GIPHY (model_training/helpers/clustering.py and FaceRecognizer, ported to
 * the face-api nets in ../shared/peers/torch/giphy_pipeline.py):
 *   - every face gets class probabilities, a softmax over the known people
 *     (here: softmax(scale * cos(embedding, class centre)), embedding = the
 *     L2-normalised descriptor, centre = mean of the class's normalised
 *     gallery descriptors), and a predicted class, the argmax;
 *   - a Gaussian mixture with one TIED covariance is fitted by EM to the
 *     embeddings, one component per distinct predicted class, seeded at those
 *     classes' centres, weights = the share of faces predicting each class;
 *   - each face goes to its most likely component; clusters are ordered by
 *     size; a cluster is named by the product of its faces' probability
 *     vectors (float32, renormalised, top 5), its "is_known" is the mean over
 *     its faces of max(p) * cos(embedding, predicted centre). A cluster whose
 *     float32 product underflows to all zeros is silently dropped by GIPHY.
 *
 * So the number of persons can never exceed the number of distinct classes
 * predicted, two faces of one frame may share a cluster, and a stranger is
 * spread over the classes he resembles. It is not our method; it is here to
 * be measured against (`celeb eval --grouping`).
 *
 * Differences from scikit-learn's GaussianMixture(covariance_type='tied',
 * means_init, weights_init, random_state=1000), kept small: scikit-learn
 * takes the initial covariance from a k-means run started at random
 * (k-means++); here the same Lloyd iterations start at the seed centres,
 * which is deterministic (empty clusters relocated to the farthest points,
 * a cluster emptied that way centred on the points' mean as on
 * scikit-learn's centred data, tolerance 1e-4 x mean variance).
 * Arithmetic is double (scikit-learn keeps GIPHY's float32 input in
 * float32). Everything else follows it: reg_covar 1e-6 on the covariance
 * diagonal, tol 1e-3 on the change of the mean log-likelihood, at most 100
 * EM iterations, component sizes + 10 eps, labels = argmax of the weighted
 * log-likelihood under the final parameters. Started the same way
 * (KMeans(init=seeds) then the mixture), scikit-learn 1.2.1 gives the same
 * labels and iteration counts on 3000 random 3-D cases and 300 random
 * face-like 128-D ones; tests/test_gmm.c keeps five of them. On real media
 * GIPHY's random start matters: on fr_short_hamilton_clip.mp4 scikit-learn's
 * clusters change with random_state. */
#ifndef CELEB_GROUP_GMM_H
#define CELEB_GROUP_GMM_H

#include "../core/error.h"

#define GMM_DIM 128
#define GMM_TOP 5
#define GIPHY_DEFAULT_SCALE 30.0f   /* softmax scale on the cosine, as the torch port */

typedef struct gmm_options {
    int max_iter;        /* <= 0: 100 */
    double tol;          /* <= 0: 1e-3 */
    double reg_covar;    /* <= 0: 1e-6 */
} gmm_options;

/* Fits a k-component, tied-covariance Gaussian mixture to n points of
 * dimension d (x: n x d, row-major) by EM, from means_init (k x d) and
 * weights_init (k, summing to 1), and writes each point's component to
 * labels[n]. *iterations (may be NULL) receives the EM iterations run.
 * Needs n >= k >= 1. A covariance that is not positive definite even with
 * the regularisation is CELEB_EINVAL (scikit-learn's "ill-defined empirical
 * covariance"); allocation failure CELEB_ENOMEM. */
int gmm_fit_predict(const double *x, int n, int d, const double *means_init,
                    const double *weights_init, int k, const gmm_options *opt, int *labels,
                    int *iterations, celeb_error *err);

typedef struct giphy_cluster {
    int faces;              /* faces in the cluster */
    int top[GMM_TOP];       /* class indices, best first (n_top of them) */
    float p[GMM_TOP];       /* their share of the renormalised product */
    int n_top;              /* min(GMM_TOP, classes); 0 when underflow */
    float is_known;         /* mean of max(p) * cos(embedding, predicted centre) */
    int underflow;          /* the float32 product is all zeros: GIPHY drops the cluster */
} giphy_cluster;

typedef struct giphy_grouping {
    int clusters;           /* clusters, largest first (ties: first face first) */
    int components;         /* mixture components = distinct predicted classes */
    int iterations;         /* EM iterations (0 when fewer than 2 faces) */
} giphy_grouping;

/* GIPHY's grouping of n raw descriptors (as the recognition net gives
 * them) against k class centres (each the mean of the class's L2-normalised
 * descriptors). cluster_of_face[n] receives each face's cluster,
 * clusters[n] (caller-allocated, n entries) the clusters in order; scale <= 0
 * means GIPHY_DEFAULT_SCALE. n == 0 gives no cluster, n == 1 one. k < 1 or a
 * NULL pointer is CELEB_EINVAL. */
int giphy_group(const float (*descs)[GMM_DIM], int n, const float (*centers)[GMM_DIM], int k,
                float scale, int *cluster_of_face, giphy_cluster *clusters, giphy_grouping *out,
                celeb_error *err);

#endif
