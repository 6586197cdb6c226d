/* gmm.c - GIPHY's grouping baseline: a tied-covariance Gaussian mixture
 * seeded at the predicted classes' centres, see gmm.h.
 *
 * The tied covariance makes the E-step cheap: with C = L L^T (Cholesky),
 * the Mahalanobis distance of x to mean m is |L^-1 x - L^-1 m|^2, so every
 * point and every mean is whitened once per iteration (a triangular solve)
 * and the n x k distances are plain squared distances. */
#include "gmm.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GMM_MAX_ITER 100
#define GMM_TOL 1e-3
#define GMM_REG_COVAR 1e-6
#define KMEANS_MAX_ITER 300   /* scikit-learn's KMeans default */

typedef struct gmm_work {
    int n, d, k;
    const double *x;     /* n x d points */
    double *means;       /* k x d */
    double *weights;     /* k */
    double *chol;        /* d x d, lower Cholesky factor of the covariance */
    double *log_resp;    /* n x k */
    double *y, *ym;      /* whitened points (n x d) and means (k x d) */
    double *nk;          /* k */
} gmm_work;

// ----------------------------------------------------------------------------
// Linear algebra on small dense matrices

/* In-place lower Cholesky factor of the d x d symmetric matrix a (the upper
 * triangle is cleared). Returns -1 when a is not positive definite. */
static int cholesky(double *a, int d)
{
    for (int j = 0; j < d; j++) {
        double s = a[j * d + j];
        for (int p = 0; p < j; p++)
            s -= a[j * d + p] * a[j * d + p];
        if (!(s > 0))
            return -1;
        double ljj = sqrt(s);
        a[j * d + j] = ljj;
        for (int i = j + 1; i < d; i++) {
            double t = a[i * d + j];
            for (int p = 0; p < j; p++)
                t -= a[i * d + p] * a[j * d + p];
            a[i * d + j] = t / ljj;
        }
        for (int i = 0; i < j; i++)
            a[i * d + j] = 0;
    }
    return 0;
}

/* out = L^-1 b (forward substitution), L lower triangular d x d. */
static void forward_solve(const double *l, int d, const double *b, double *out)
{
    for (int i = 0; i < d; i++) {
        double t = b[i];
        for (int p = 0; p < i; p++)
            t -= l[i * d + p] * out[p];
        out[i] = t / l[i * d + i];
    }
}

static double squared_distance(const double *a, const double *b, int d)
{
    double s = 0;
    for (int j = 0; j < d; j++)
        s += (a[j] - b[j]) * (a[j] - b[j]);
    return s;
}

// ----------------------------------------------------------------------------
// Parameter estimation (scikit-learn's _estimate_gaussian_parameters, tied)

/* nk, means and the tied covariance (into w->chol, not yet factored) from
 * responsibilities resp (n x k, probabilities). */
static void estimate_parameters(gmm_work *w, const double *resp, double reg_covar)
{
    int n = w->n, d = w->d, k = w->k;
    double total = 0;
    for (int c = 0; c < k; c++) {
        double s = 0;
        for (int i = 0; i < n; i++)
            s += resp[i * k + c];
        w->nk[c] = s + 10 * DBL_EPSILON;
        total += w->nk[c];
        double *m = w->means + (size_t)c * d;
        memset(m, 0, (size_t)d * sizeof *m);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
                m[j] += resp[i * k + c] * w->x[(size_t)i * d + j];
        for (int j = 0; j < d; j++)
            m[j] /= w->nk[c];
    }
    /* (X^T X - sum_c nk_c m_c m_c^T) / sum nk + reg I */
    for (int a = 0; a < d; a++)
        for (int b = 0; b <= a; b++) {
            double s = 0;
            for (int i = 0; i < n; i++)
                s += w->x[(size_t)i * d + a] * w->x[(size_t)i * d + b];
            for (int c = 0; c < k; c++)
                s -= w->nk[c] * w->means[(size_t)c * d + a] * w->means[(size_t)c * d + b];
            s /= total;
            w->chol[a * d + b] = w->chol[b * d + a] = s + (a == b ? reg_covar : 0);
        }
}

/* Nearest centre of every point; returns how many labels changed. */
static int assign(const gmm_work *w, const double *centers, int *label)
{
    int changed = 0;
    for (int i = 0; i < w->n; i++) {
        int best = 0;
        double bd = INFINITY;
        for (int c = 0; c < w->k; c++) {
            double dist = squared_distance(w->x + (size_t)i * w->d, centers + (size_t)c * w->d, w->d);
            if (dist < bd) {
                bd = dist;
                best = c;
            }
        }
        changed += best != label[i];
        label[i] = best;
    }
    return changed;
}

/* scikit-learn's _relocate_empty_clusters_dense: the clusters empty after
 * the assignment (listed first) each take one of the points farthest from
 * their centres, farthest first, out of its cluster (which may become empty
 * in turn and then keeps a zero sum). sums are per-cluster coordinate sums,
 * count their sizes; scratch: k + n ints. */
static void relocate_empty(const gmm_work *w, const double *old, const int *label, double *sums,
                           int *count, int *scratch)
{
    int d = w->d, n_empty = 0, *empty = scratch, *taken = scratch + w->k;
    for (int c = 0; c < w->k; c++)
        if (!count[c])
            empty[n_empty++] = c;
    for (int i = 0; i < w->n; i++)
        taken[i] = 0;
    for (int e = 0; e < n_empty; e++) {
        int far = -1, c = empty[e];
        double fd = -1;
        for (int i = 0; i < w->n; i++) {
            double dist = squared_distance(w->x + (size_t)i * d, old + (size_t)label[i] * d, d);
            if (!taken[i] && dist > fd) {
                fd = dist;
                far = i;
            }
        }
        taken[far] = 1;
        for (int j = 0; j < d; j++) {
            sums[(size_t)label[far] * d + j] -= w->x[(size_t)far * d + j];
            sums[(size_t)c * d + j] = w->x[(size_t)far * d + j];
        }
        count[label[far]]--;
        count[c] = 1;
    }
}

/* One Lloyd step: labels from centers, then new centres into next; returns
 * the total squared centre shift. mean: the points' mean; scratch: 2 k + n ints. */
static double lloyd_step(const gmm_work *w, const double *centers, double *next, int *label,
                         const double *mean, int *scratch)
{
    int n = w->n, d = w->d, k = w->k, *count = scratch;
    assign(w, centers, label);
    memset(next, 0, (size_t)k * d * sizeof *next);
    memset(count, 0, (size_t)k * sizeof *count);
    for (int i = 0; i < n; i++) {
        count[label[i]]++;
        for (int j = 0; j < d; j++)
            next[(size_t)label[i] * d + j] += w->x[(size_t)i * d + j];
    }
    relocate_empty(w, centers, label, next, count, scratch + k);   /* k + n ints */
    double shift = 0;
    for (int c = 0; c < k; c++)
        for (int j = 0; j < d; j++) {
            /* a cluster emptied by a relocation keeps its zero sum in scikit-learn,
             * which runs on centred data: its centre is the points' mean */
            next[(size_t)c * d + j] = count[c] > 0 ? next[(size_t)c * d + j] / count[c] : mean[j];
            shift += (next[(size_t)c * d + j] - centers[(size_t)c * d + j]) *
                     (next[(size_t)c * d + j] - centers[(size_t)c * d + j]);
        }
    return shift;
}

/* The points' mean (into mean[d]) and the k-means tolerance as
 * scikit-learn scales it: 1e-4 x the mean per-feature variance. */
static double kmeans_tolerance(const gmm_work *w, double *mean)
{
    double total = 0;
    for (int j = 0; j < w->d; j++) {
        double var = 0;
        mean[j] = 0;
        for (int i = 0; i < w->n; i++)
            mean[j] += w->x[(size_t)i * w->d + j] / w->n;
        for (int i = 0; i < w->n; i++)
            var += (w->x[(size_t)i * w->d + j] - mean[j]) * (w->x[(size_t)i * w->d + j] - mean[j]) / w->n;
        total += var;
    }
    return 1e-4 * total / w->d;
}

/* Hard responsibilities from k-means as scikit-learn's Lloyd runs it, but
 * started at the seed means instead of a random k-means++ pick. centers:
 * 2 k d + d doubles of scratch; label: 3 n + 2 k ints (labels, previous
 * labels, scratch). */
static void kmeans_resp(const gmm_work *w, const double *seeds, double *centers, int *label,
                        double *resp)
{
    int n = w->n, d = w->d, k = w->k, *old = label + n, strict = 0;
    double *cur = centers, *next = centers + (size_t)k * d, *mean = centers + (size_t)2 * k * d;
    double tol = kmeans_tolerance(w, mean);
    memcpy(cur, seeds, (size_t)k * d * sizeof *cur);
    for (int i = 0; i < n; i++)
        old[i] = -1;
    for (int it = 0; it < KMEANS_MAX_ITER; it++) {
        double shift = lloyd_step(w, cur, next, label, mean, old + n);
        double *t = cur;
        cur = next;
        next = t;
        if (!memcmp(label, old, (size_t)n * sizeof *label)) {
            strict = 1;
            break;
        }
        if (shift <= tol)
            break;
        memcpy(old, label, (size_t)n * sizeof *label);
    }
    if (!strict)
        assign(w, cur, label);
    for (int i = 0; i < n; i++)
        for (int c = 0; c < k; c++)
            resp[i * k + c] = label[i] == c;
}

// ----------------------------------------------------------------------------
// EM

/* log_resp from the current parameters (w->chol already factored);
 * returns the mean over points of log sum_c w_c N(x | m_c, C). */
static double e_step(gmm_work *w)
{
    int n = w->n, d = w->d, k = w->k;
    double log_det = 0;   /* log det of the precision's Cholesky factor */
    for (int j = 0; j < d; j++)
        log_det -= log(w->chol[j * d + j]);
    for (int i = 0; i < n; i++)
        forward_solve(w->chol, d, w->x + (size_t)i * d, w->y + (size_t)i * d);
    for (int c = 0; c < k; c++)
        forward_solve(w->chol, d, w->means + (size_t)c * d, w->ym + (size_t)c * d);
    double total = 0;
    for (int i = 0; i < n; i++) {
        double *lr = w->log_resp + (size_t)i * k, top = -INFINITY;
        for (int c = 0; c < k; c++) {
            double maha = squared_distance(w->y + (size_t)i * d, w->ym + (size_t)c * d, d);
            lr[c] = -0.5 * (d * log(2 * M_PI) + maha) + log_det + log(w->weights[c]);
            top = lr[c] > top ? lr[c] : top;
        }
        double s = 0;
        for (int c = 0; c < k; c++)
            s += exp(lr[c] - top);
        double norm = top + log(s);
        for (int c = 0; c < k; c++)
            lr[c] -= norm;
        total += norm;
    }
    return total / n;
}

static void m_step(gmm_work *w, double *resp, double reg_covar)
{
    for (size_t i = 0; i < (size_t)w->n * w->k; i++)
        resp[i] = exp(w->log_resp[i]);
    estimate_parameters(w, resp, reg_covar);
    double total = 0;
    for (int c = 0; c < w->k; c++)
        total += w->nk[c];
    for (int c = 0; c < w->k; c++)
        w->weights[c] = w->nk[c] / total;
}

static int factor(gmm_work *w, celeb_error *err)
{
    if (cholesky(w->chol, w->d) < 0)
        return celeb_fail(err, CELEB_EINVAL,
                          "mixture fit failed: the covariance is not positive definite");
    return CELEB_OK;
}

static void work_free(gmm_work *w, double *resp, double *centers, int *label)
{
    free(w->means);
    free(w->weights);
    free(w->chol);
    free(w->log_resp);
    free(w->y);
    free(w->ym);
    free(w->nk);
    free(resp);
    free(centers);
    free(label);
}

int gmm_fit_predict(const double *x, int n, int d, const double *means_init,
                    const double *weights_init, int k, const gmm_options *opt, int *labels,
                    int *iterations, celeb_error *err)
{
    if (!x || !means_init || !weights_init || !labels || d < 1 || k < 1 || n < k)
        return celeb_fail(err, CELEB_EINVAL, "mixture fit: bad arguments (n %d, d %d, k %d)", n, d, k);
    int max_iter = opt && opt->max_iter > 0 ? opt->max_iter : GMM_MAX_ITER;
    double tol = opt && opt->tol > 0 ? opt->tol : GMM_TOL;
    double reg = opt && opt->reg_covar > 0 ? opt->reg_covar : GMM_REG_COVAR;
    gmm_work w = {.n = n, .d = d, .k = k, .x = x};
    w.means = malloc((size_t)k * d * sizeof *w.means);
    w.weights = malloc((size_t)k * sizeof *w.weights);
    w.chol = malloc((size_t)d * d * sizeof *w.chol);
    w.log_resp = malloc((size_t)n * k * sizeof *w.log_resp);
    w.y = malloc((size_t)n * d * sizeof *w.y);
    w.ym = malloc((size_t)k * d * sizeof *w.ym);
    w.nk = malloc((size_t)k * sizeof *w.nk);
    double *resp = malloc((size_t)n * k * sizeof *resp);
    double *centers = malloc(((size_t)2 * k + 1) * d * sizeof *centers);
    int *label = malloc((size_t)(3 * n + 2 * k) * sizeof *label);
    if (!w.means || !w.weights || !w.chol || !w.log_resp || !w.y || !w.ym || !w.nk || !resp ||
        !centers || !label) {
        work_free(&w, resp, centers, label);
        return celeb_fail(err, CELEB_ENOMEM, "out of memory for a mixture of %d points", n);
    }
    /* initial covariance from k-means; initial means and weights as given */
    kmeans_resp(&w, means_init, centers, label, resp);
    estimate_parameters(&w, resp, reg);
    memcpy(w.means, means_init, (size_t)k * d * sizeof *w.means);
    memcpy(w.weights, weights_init, (size_t)k * sizeof *w.weights);
    int rc = factor(&w, err), it = 0;
    double lower = -INFINITY;
    while (rc == 0 && it < max_iter) {
        it++;
        double prev = lower;
        lower = e_step(&w);
        m_step(&w, resp, reg);
        rc = factor(&w, err);
        if (fabs(lower - prev) < tol)
            break;
    }
    if (rc == 0) {
        e_step(&w);   /* labels under the final parameters */
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int c = 1; c < k; c++)
                if (w.log_resp[(size_t)i * k + c] > w.log_resp[(size_t)i * k + best])
                    best = c;
            labels[i] = best;
        }
    }
    if (iterations)
        *iterations = it;
    work_free(&w, resp, centers, label);
    return rc;
}

// ----------------------------------------------------------------------------
// GIPHY's clustering and naming

static void normalise(const float *v, double *out)
{
    double s = 0;
    for (int j = 0; j < GMM_DIM; j++)
        s += (double)v[j] * v[j];
    s = sqrt(s) > 1e-12 ? sqrt(s) : 1e-12;
    for (int j = 0; j < GMM_DIM; j++)
        out[j] = v[j] / s;
}

/* Per face: the softmax row (float32, as torch hands it over), the argmax
 * class and is_known = max(p) * cos(embedding, that class's centre). */
static void predict_faces(const double *emb, int n, const double *cn, int k, float scale,
                          float *pred, int *cls, float *known)
{
    for (int i = 0; i < n; i++) {
        double cosv[k > 0 ? k : 1], top = -INFINITY, sum = 0;
        for (int c = 0; c < k; c++) {
            cosv[c] = 0;
            for (int j = 0; j < GMM_DIM; j++)
                cosv[c] += emb[(size_t)i * GMM_DIM + j] * cn[(size_t)c * GMM_DIM + j];
            top = scale * cosv[c] > top ? scale * cosv[c] : top;
        }
        for (int c = 0; c < k; c++)
            sum += exp(scale * cosv[c] - top);
        cls[i] = 0;
        for (int c = 0; c < k; c++) {
            pred[(size_t)i * k + c] = (float)(exp(scale * cosv[c] - top) / sum);
            if (pred[(size_t)i * k + c] > pred[(size_t)i * k + cls[i]])
                cls[i] = c;
        }
        known[i] = pred[(size_t)i * k + cls[i]] * (float)cosv[cls[i]];
    }
}

/* Names one cluster: float32 product of its faces' rows, renormalised, top 5. */
static void name_cluster(const float *pred, const float *known, const int *member, int count,
                         int k, giphy_cluster *out)
{
    float prod[k > 0 ? k : 1];
    double known_sum = 0;
    for (int c = 0; c < k; c++)
        prod[c] = 1;
    for (int m = 0; m < count; m++) {
        for (int c = 0; c < k; c++)
            prod[c] *= pred[(size_t)member[m] * k + c];
        known_sum += known[member[m]];
    }
    memset(out, 0, sizeof *out);
    out->faces = count;
    out->is_known = (float)(known_sum / count);
    float sum = 0;
    for (int c = 0; c < k; c++)
        sum += prod[c];
    if (!(sum > 0)) {
        out->underflow = 1;
        return;
    }
    for (int c = 0; c < k; c++)
        prod[c] /= sum;
    out->n_top = k < GMM_TOP ? k : GMM_TOP;
    for (int t = 0; t < out->n_top; t++) {
        int best = -1;
        for (int c = 0; c < k; c++) {
            int taken = 0;
            for (int u = 0; u < t; u++)
                taken |= out->top[u] == c;
            if (!taken && (best < 0 || prod[c] > prod[best]))
                best = c;
        }
        out->top[t] = best;
        out->p[t] = prod[best];
    }
}

/* The mixture's components: distinct predicted classes in order of first
 * appearance, seeded at their (raw) centres, weighted by their share. */
static int fit_components(const double *emb, int n, const float (*centers)[GMM_DIM],
                          const int *cls, int *labels, giphy_grouping *out, celeb_error *err)
{
    int *uniq = malloc((size_t)n * sizeof *uniq), k = 0;
    double *seeds = malloc((size_t)n * GMM_DIM * sizeof *seeds);
    double *weights = calloc((size_t)n, sizeof *weights);
    int rc = uniq && seeds && weights ? CELEB_OK : celeb_fail(err, CELEB_ENOMEM, "out of memory");
    for (int i = 0; rc == 0 && i < n; i++) {
        int u = 0;
        while (u < k && uniq[u] != cls[i])
            u++;
        if (u == k) {
            uniq[k++] = cls[i];
            for (int j = 0; j < GMM_DIM; j++)
                seeds[(size_t)u * GMM_DIM + j] = centers[cls[i]][j];
        }
        weights[u] += 1.0 / n;
    }
    out->components = k;
    if (rc == 0)
        rc = gmm_fit_predict(emb, n, GMM_DIM, seeds, weights, k, NULL, labels, &out->iterations, err);
    free(uniq);
    free(seeds);
    free(weights);
    return rc;
}

/* Mixture labels -> clusters numbered by size (largest first), ties by the
 * first face, as Python's stable sort of the insertion-ordered dict. */
static void order_clusters(const int *labels, int n, int *cluster_of_face, int *count_out)
{
    int first[n], size[n], count = 0;
    for (int i = 0; i < n; i++) {   /* distinct labels in order of first face */
        int c = 0;
        while (c < count && labels[first[c]] != labels[i])
            c++;
        if (c == count) {
            first[count] = i;
            size[count++] = 0;
        }
        size[c]++;
        cluster_of_face[i] = c;
    }
    int rank[n > 0 ? n : 1];
    for (int c = 0; c < count; c++) {
        rank[c] = 0;
        for (int o = 0; o < count; o++)
            rank[c] += size[o] > size[c] || (size[o] == size[c] && o < c);
    }
    for (int i = 0; i < n; i++)
        cluster_of_face[i] = rank[cluster_of_face[i]];
    *count_out = count;
}

int giphy_group(const float (*descs)[GMM_DIM], int n, const float (*centers)[GMM_DIM], int k,
                float scale, int *cluster_of_face, giphy_cluster *clusters, giphy_grouping *out,
                celeb_error *err)
{
    if (!descs || !centers || !cluster_of_face || !clusters || !out || k < 1 || n < 0)
        return celeb_fail(err, CELEB_EINVAL, "giphy_group: bad arguments");
    memset(out, 0, sizeof *out);
    if (n == 0)
        return CELEB_OK;
    scale = scale > 0 ? scale : GIPHY_DEFAULT_SCALE;
    double *emb = malloc((size_t)n * GMM_DIM * sizeof *emb);
    double *cn = malloc((size_t)k * GMM_DIM * sizeof *cn);
    float *pred = malloc((size_t)n * k * sizeof *pred), *known = malloc((size_t)n * sizeof *known);
    int *cls = malloc((size_t)n * sizeof *cls), *labels = calloc((size_t)n, sizeof *labels);
    int *member = malloc((size_t)n * sizeof *member);
    int rc = emb && cn && pred && known && cls && labels && member
                 ? CELEB_OK : celeb_fail(err, CELEB_ENOMEM, "out of memory for %d faces", n);
    if (rc == 0) {
        for (int i = 0; i < n; i++)
            normalise(descs[i], emb + (size_t)i * GMM_DIM);
        for (int c = 0; c < k; c++)
            normalise(centers[c], cn + (size_t)c * GMM_DIM);
        predict_faces(emb, n, cn, k, scale, pred, cls, known);
        if (n >= 2)   /* GIPHY: fewer than 2 points are one cluster */
            rc = fit_components(emb, n, centers, cls, labels, out, err);
        else
            out->components = 1;
    }
    if (rc == 0) {
        order_clusters(labels, n, cluster_of_face, &out->clusters);
        for (int c = 0; c < out->clusters; c++) {
            int count = 0;
            for (int i = 0; i < n; i++)
                if (cluster_of_face[i] == c)
                    member[count++] = i;
            name_cluster(pred, known, member, count, k, &clusters[c]);
        }
    }
    free(emb);
    free(cn);
    free(pred);
    free(known);
    free(cls);
    free(labels);
    free(member);
    return rc;
}
