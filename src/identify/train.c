/* train.c - fits the confidence model of identify.h to a gallery.
 *
 * The gallery is its own held-out set:
 *  - known searches: every face of an identity with 2+ faces, searched
 *    against the gallery without that face (its identity keeps the others);
 *  - stranger searches: the first face of every identity, searched against
 *    the gallery without that identity.
 * Each identity weighs the same (its known searches share one unit, so
 * George_W_Bush's 500 photos do not outvote everybody), and the strangers
 * weigh as much as the knowns together: a face queried is taken to be as
 * likely somebody enrolled as not.
 *
 * A search is right when its nearest identity is its own. The model is a
 * logistic regression of that on the search's features (identify.h), fitted
 * by Newton's method on the weighted log likelihood plus a Gaussian prior
 * around the fit on LFW (concave: the maximum is unique). The operating
 * point is the lowest p at which the searches it names are right
 * IDENTIFY_PRECISION of the time (by weight). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "index.h"

#define TRAIN_MIN_IDS 8       /* identities with 2+ faces needed to fit */
#define TRAIN_ITERATIONS 50
#define NW IDENTIFY_FEATURES    /* weights: bias, distance, margin, ln photos */
/* A small gallery's searches are often all right (24 people far apart):
 * the likelihood alone then grows without bound with the weights. A
 * Gaussian prior around IDENTIFY_LFW_MODEL (the fit on all of LFW) keeps
 * the fit there until the gallery has the evidence to move it: its weight
 * is that of TRAIN_PRIOR searches, against one per identity in the data,
 * per unit of each weight's scale. (Centred on IDENTIFY_DEFAULT_MODEL, the
 * fit across gallery sizes, the full LFW gallery named 72.4% of its known
 * probes at 97.2% precision instead of 74.8% at 97.5%.) */
#define TRAIN_PRIOR 5.0
static const double prior_scale[NW] = {2, 5, 10, 0.5};

/* One search: its two nearest identities, and whether the nearest is right. */
typedef struct search {
    float d1, d2;      /* distances to the nearest and the next identity */
    int photos;        /* enrolled faces of the nearest, as the search saw them */
    int right;         /* the nearest is the face's own identity */
    double w;          /* weight */
} search;

/* Squared distance: searches compare squares, one sqrt per identity. */
static float dist2(const float *a, const float *b)
{
    float s = 0;
#pragma omp simd reduction(+ : s)
    for (int k = 0; k < GALLERY_DIM; k++) {
        float d = a[k] - b[k];
        s += d * d;
    }
    return s;
}

/* The search of face f (ix->desc[f]) of identity g: as a known face (its
 * identity without it) or as a stranger (without its identity). */
static void run_search(const identify_index *ix, int g, int f, int stranger, search *out)
{
    const identity *gr = ix->ids;
    float d1 = INFINITY, d2 = INFINITY;
    int best = -1;
    const float *q = ix->desc[f];
    for (int j = 0; j < ix->n_identities; j++) {
        if (j == g && stranger)
            continue;
        const identity *G = &gr[j];
        float dj;
        if (j == g) {   /* the centre and the nearest face without f */
            float c[GALLERY_DIM];
            for (int k = 0; k < GALLERY_DIM; k++)
                c[k] = (G->centre[k] * G->count - q[k]) / (G->count - 1);
            dj = dist2(q, c);
        } else {
            dj = dist2(q, G->centre);
        }
        for (int i = G->first; i < G->first + G->count; i++)
            if (i != f) {
                float di = dist2(q, ix->desc[i]);
                if (di < dj)
                    dj = di;
            }
        if (dj < d1) {
            d2 = d1;
            d1 = dj;
            best = j;
        } else if (dj < d2) {
            d2 = dj;
        }
    }
    out->d1 = sqrtf(d1);
    out->d2 = sqrtf(d2);
    out->photos = best >= 0 ? gr[best].count - (best == g) : 1;
    out->right = best == g;
}

/* The features of a search (identify_features). */
static void features(const search *s, double x[NW])
{
    identify_features(s->d1, (double)s->d2 - s->d1, s->photos, x);
}

static void to_weights(const identify_model *m, double w[NW])
{
    w[0] = m->bias, w[1] = m->w_distance, w[2] = m->w_margin, w[3] = m->w_photos;
}

/* Weighted log likelihood plus the log prior around w0, and (when g is not
 * NULL) its gradient and Hessian. */
static double likelihood(const double w[NW], const double w0[NW], const search *s, int ns,
                         double g[NW], double h[NW][NW])
{
    double ll = 0;
    if (g) {
        memset(g, 0, NW * sizeof *g);
        memset(h, 0, NW * NW * sizeof **h);
    }
    for (int a = 0; a < NW; a++) {
        double z = (w[a] - w0[a]) / prior_scale[a];
        ll -= TRAIN_PRIOR * z * z / 2;
        if (g) {
            g[a] -= TRAIN_PRIOR * z / prior_scale[a];
            h[a][a] -= TRAIN_PRIOR / (prior_scale[a] * prior_scale[a]);
        }
    }
    for (int i = 0; i < ns; i++) {
        double x[NW], z = 0;
        features(&s[i], x);
        for (int a = 0; a < NW; a++)
            z += w[a] * x[a];
        /* log sigmoid(z) or log sigmoid(-z), without overflow */
        double t = s[i].right ? z : -z;
        ll += s[i].w * (t > 0 ? -log1p(exp(-t)) : t - log1p(exp(t)));
        if (!g)
            continue;
        double p = 1 / (1 + exp(-z));
        for (int a = 0; a < NW; a++) {
            g[a] += s[i].w * (s[i].right - p) * x[a];
            for (int b = 0; b < NW; b++)
                h[a][b] -= s[i].w * p * (1 - p) * x[a] * x[b];
        }
    }
    return ll;
}

/* Solves h x = g (Gaussian elimination with partial pivoting; h and g are
 * overwritten); 0 when singular. */
static int solve(double h[NW][NW], double g[NW], double x[NW])
{
    for (int c = 0; c < NW; c++) {
        int piv = c;
        for (int r = c + 1; r < NW; r++)
            if (fabs(h[r][c]) > fabs(h[piv][c]))
                piv = r;
        if (!(fabs(h[piv][c]) > 1e-300))
            return 0;
        for (int k = 0; k < NW; k++) {
            double t = h[c][k];
            h[c][k] = h[piv][k], h[piv][k] = t;
        }
        double t = g[c];
        g[c] = g[piv], g[piv] = t;
        for (int r = c + 1; r < NW; r++) {
            double f = h[r][c] / h[c][c];
            for (int k = c; k < NW; k++)
                h[r][k] -= f * h[c][k];
            g[r] -= f * g[c];
        }
    }
    for (int c = NW - 1; c >= 0; c--) {
        double v = g[c];
        for (int k = c + 1; k < NW; k++)
            v -= h[c][k] * x[k];
        x[c] = v / h[c][c];
    }
    return 1;
}

static void fit(const search *s, int ns, identify_model *m)
{
    identify_model d = IDENTIFY_LFW_MODEL;
    double w0[NW], w[NW], g[NW], h[NW][NW];
    to_weights(&d, w0);
    memcpy(w, w0, sizeof w);
    double ll = likelihood(w, w0, s, ns, g, h);
    for (int it = 0; it < TRAIN_ITERATIONS; it++) {
        double step[NW];
        if (!solve(h, g, step))
            break;
        double t = 1, next[NW], ll_next = -INFINITY;
        for (int half = 0; half < 30; half++, t /= 2) {   /* Newton: w - H^-1 g */
            for (int a = 0; a < NW; a++)
                next[a] = w[a] - t * step[a];
            ll_next = likelihood(next, w0, s, ns, NULL, NULL);
            if (ll_next >= ll)
                break;
        }
        if (!(ll_next >= ll))
            break;
        double moved = fabs(ll_next - ll);
        memcpy(w, next, sizeof w);
        ll = likelihood(w, w0, s, ns, g, h);
        if (moved < 1e-10 * (1 + fabs(ll)))
            break;
    }
    m->bias = w[0], m->w_distance = w[1], m->w_margin = w[2], m->w_photos = w[3];
}

typedef struct scored {
    double p, w;
    int right;
} scored;

static int by_p_desc(const void *a, const void *b)
{
    double x = ((const scored *)a)->p, y = ((const scored *)b)->p;
    return (x < y) - (x > y);
}

/* The lowest p at which the searches named are right IDENTIFY_PRECISION of
 * the time, by weight. */
static double operating_point(const search *s, int ns, const identify_model *m)
{
    scored *sc = malloc((size_t)ns * sizeof *sc);
    if (!sc)
        return 0.99;
    for (int i = 0; i < ns; i++)
        sc[i] = (scored){identify_model_p(m, s[i].d1, (double)s[i].d2 - s[i].d1, s[i].photos), s[i].w,
                         s[i].right};
    qsort(sc, (size_t)ns, sizeof *sc, by_p_desc);
    double right = 0, named = 0, point = 0.99;
    for (int i = 0; i < ns; i++) {
        right += sc[i].right * sc[i].w;
        named += sc[i].w;
        if (right >= IDENTIFY_PRECISION * named && (i + 1 == ns || sc[i + 1].p < sc[i].p))
            point = sc[i].p;
    }
    free(sc);
    return point < 0.5 ? 0.5 : point > 0.99 ? 0.99 : point;
}

int identify_train(const gallery_face *faces, int n, identify_model *m, int *fitted, int *samples,
                   celeb_error *err)
{
    *m = IDENTIFY_DEFAULT_MODEL;
    *fitted = 0;
    if (samples)
        *samples = 0;
    identify_index *ix;   /* faces grouped by identity, with their centres */
    int rc = identify_index_build(faces, n, &ix, err);
    if (rc < 0)
        return rc;
    const identity *gr = ix->ids;
    int ng = ix->n_identities, multi = 0;
    for (int j = 0; j < ng; j++)
        multi += gr[j].count > 1;
    if (multi < TRAIN_MIN_IDS || ng < TRAIN_MIN_IDS) {
        identify_index_free(ix);
        return CELEB_OK;
    }

    /* Searches: slot i is face i as a known face (if its identity has 2+),
     * slot n + j the first face of identity j as a stranger. */
    search *s = malloc((size_t)(n + ng) * sizeof *s);
    int *of = malloc((size_t)n * sizeof *of), *used = calloc((size_t)(n + ng), sizeof *used);
    if (!s || !of || !used) {
        identify_index_free(ix), free(s), free(of), free(used);
        return celeb_fail(err, CELEB_ENOMEM, "out of memory fitting the confidence model");
    }
    for (int j = 0; j < ng; j++)
        for (int i = gr[j].first; i < gr[j].first + gr[j].count; i++)
            of[i] = j;
#pragma omp parallel for schedule(dynamic, 16)
    for (int t = 0; t < n + ng; t++) {
        if (t < n && gr[of[t]].count > 1) {
            run_search(ix, of[t], t, 0, &s[t]);
            s[t].w = 1.0 / gr[of[t]].count;
            used[t] = 1;
        } else if (t >= n) {
            run_search(ix, t - n, gr[t - n].first, 1, &s[t]);
            s[t].w = 1.0;
            used[t] = 1;
        }
    }
    /* Compacted, the known searches come first, then the strangers. */
    int ns = 0, nk = 0;
    double wk = 0, ws = 0;
    for (int t = 0; t < n + ng; t++)
        if (used[t]) {
            s[ns] = s[t];
            *(t < n ? &wk : &ws) += s[ns].w;
            nk += t < n;
            ns++;
        }
    for (int i = nk; i < ns; i++)   /* strangers weigh as much as the knowns */
        s[i].w *= wk / ws;
    fit(s, ns, m);
    m->min_confidence = operating_point(s, ns, m);
    *fitted = isfinite(m->bias) && isfinite(m->w_distance) && isfinite(m->w_margin) &&
              isfinite(m->w_photos);
    if (!*fitted)
        *m = IDENTIFY_DEFAULT_MODEL;
    if (samples)
        *samples = ns;
    identify_index_free(ix), free(s), free(of), free(used);
    return CELEB_OK;
}
