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
 * The model's scores are linear in (a, c, gamma) with a = beta, c = beta*d0:
 * score(i) = -a*d_i - gamma*ln(k_i), score(unknown) = -c. The weighted log
 * likelihood of the searches' right answers (the identity, or "unknown" for
 * a stranger), plus a prior around the default model, is then concave, and Newton's method with step halving finds
 * its maximum. Only the TRAIN_TOP nearest identities of a search (and its
 * own) enter its softmax; the others are e^-10 or less behind. The
 * operating point is the lowest top probability at which the searches
 * that it names are right IDENTIFY_PRECISION of the time (by weight). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "index.h"

#define TRAIN_TOP 32          /* identities kept per search */
#define TRAIN_MIN_IDS 8       /* identities with 2+ faces needed to fit */
#define TRAIN_ITERATIONS 50
/* A small gallery's searches are often all right (24 people far apart):
 * the likelihood alone then grows without bound as beta does. A Gaussian
 * prior around IDENTIFY_DEFAULT_MODEL (LFW's fit) keeps the fit there
 * until the gallery has the evidence to move it: its weight is that of
 * TRAIN_PRIOR searches, against one per identity in the data, per unit of
 * each parameter's scale (a: 10, c: 5, gamma: 0.5). */
#define TRAIN_PRIOR 5.0
static const double prior_scale[3] = {10, 5, 0.5};

/* One search: its nearest identities, and which of them is right. */
typedef struct search {
    int n;                        /* candidates kept */
    float d[TRAIN_TOP + 1];       /* their distances */
    float lk[TRAIN_TOP + 1];      /* ln(their enrolled faces, as the search saw them) */
    int right;                    /* index of the right candidate, -1 for a stranger */
    double w;                     /* weight */
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

/* Keeps the TRAIN_TOP smallest (d, identity) pairs, ascending. */
static void keep(float *d, int *id, int *n, float dj, int j)
{
    if (*n == TRAIN_TOP && dj >= d[TRAIN_TOP - 1])
        return;
    int pos = *n < TRAIN_TOP ? (*n)++ : TRAIN_TOP - 1;
    while (pos > 0 && d[pos - 1] > dj) {
        d[pos] = d[pos - 1];
        id[pos] = id[pos - 1];
        pos--;
    }
    d[pos] = dj;
    id[pos] = j;
}

/* The search of face f (ix->desc[f]) of identity g: as a known face (its
 * identity without it) or as a stranger (without its identity). */
static void run_search(const identify_index *ix, int g, int f, int stranger, search *out)
{
    const identity *gr = ix->ids;
    int ng = ix->n_identities;
    float d[TRAIN_TOP];
    int id[TRAIN_TOP], n = 0;
    float own = INFINITY;
    const float *q = ix->desc[f];
    for (int j = 0; j < ng; j++) {
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
        dj = sqrtf(dj);
        if (j == g)
            own = dj;
        keep(d, id, &n, dj, j);
    }
    out->n = 0;
    out->right = -1;
    for (int k = 0; k < n; k++) {
        int own_group = id[k] == g;
        out->d[out->n] = d[k];
        out->lk[out->n] = logf((float)(gr[id[k]].count - own_group));
        if (own_group)
            out->right = out->n;
        out->n++;
    }
    if (!stranger && out->right < 0) {   /* its identity beyond the kept ones */
        out->d[out->n] = own;
        out->lk[out->n] = logf((float)(gr[g].count - 1));
        out->right = out->n++;
    }
}

/* The scores of a search's candidates and the unknown class (last), their
 * softmax in p; returns the log of the right one's probability. theta =
 * (a, c, gamma). */
static double softmax(const double theta[3], const search *s, double *p)
{
    double mx = -theta[1];
    for (int k = 0; k < s->n; k++) {
        p[k] = -theta[0] * s->d[k] - theta[2] * s->lk[k];
        if (p[k] > mx)
            mx = p[k];
    }
    p[s->n] = -theta[1];
    double z = 0;
    for (int k = 0; k <= s->n; k++)
        z += (p[k] = exp(p[k] - mx));
    for (int k = 0; k <= s->n; k++)
        p[k] /= z;
    return log(p[s->right >= 0 ? s->right : s->n]);
}

/* Weighted log likelihood plus the log prior around theta0, and (when g
 * is not NULL) its gradient and Hessian. */
static double likelihood(const double theta[3], const double theta0[3], const search *s, int ns,
                         double g[3], double h[3][3])
{
    double ll = 0;
    if (g) {
        memset(g, 0, 3 * sizeof *g);
        memset(h, 0, 9 * sizeof **h);
    }
    for (int a = 0; a < 3; a++) {
        double z = (theta[a] - theta0[a]) / prior_scale[a];
        ll -= TRAIN_PRIOR * z * z / 2;
        if (g) {
            g[a] -= TRAIN_PRIOR * z / prior_scale[a];
            h[a][a] -= TRAIN_PRIOR / (prior_scale[a] * prior_scale[a]);
        }
    }
    double p[TRAIN_TOP + 2];
    for (int i = 0; i < ns; i++) {
        ll += s[i].w * softmax(theta, &s[i], p);
        if (!g)
            continue;
        /* features x = (-d, 0, -lk) for an identity, (0, -1, 0) for unknown */
        double ex[3] = {0, -p[s[i].n], 0}, exx[3][3] = {{0}};
        exx[1][1] = p[s[i].n];
        for (int k = 0; k < s[i].n; k++) {
            double x0 = -s[i].d[k], x2 = -s[i].lk[k];
            ex[0] += p[k] * x0;
            ex[2] += p[k] * x2;
            exx[0][0] += p[k] * x0 * x0;
            exx[0][2] += p[k] * x0 * x2;
            exx[2][2] += p[k] * x2 * x2;
        }
        exx[2][0] = exx[0][2];
        int r = s[i].right;
        double xt[3] = {r >= 0 ? -s[i].d[r] : 0, r >= 0 ? 0 : -1, r >= 0 ? -s[i].lk[r] : 0};
        for (int a = 0; a < 3; a++) {
            g[a] += s[i].w * (xt[a] - ex[a]);
            for (int b = 0; b < 3; b++)
                h[a][b] -= s[i].w * (exx[a][b] - ex[a] * ex[b]);
        }
    }
    return ll;
}

/* Solves h x = g for a 3x3 h (Cramer's rule); 0 when singular. */
static int solve3(double h[3][3], const double g[3], double x[3])
{
    double det = h[0][0] * (h[1][1] * h[2][2] - h[1][2] * h[2][1]) -
                 h[0][1] * (h[1][0] * h[2][2] - h[1][2] * h[2][0]) +
                 h[0][2] * (h[1][0] * h[2][1] - h[1][1] * h[2][0]);
    if (!(fabs(det) > 1e-300))
        return 0;
    for (int c = 0; c < 3; c++) {
        double m[3][3];
        memcpy(m, h, sizeof m);
        for (int r = 0; r < 3; r++)
            m[r][c] = g[r];
        x[c] = (m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
                m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])) / det;
    }
    return 1;
}

static void fit(search *s, int ns, identify_model *m)
{
    identify_model d = IDENTIFY_DEFAULT_MODEL;
    const double theta0[3] = {d.beta, d.beta * d.d0, d.gamma};
    double theta[3] = {theta0[0], theta0[1], theta0[2]}, g[3], h[3][3];
    double ll = likelihood(theta, theta0, s, ns, g, h);
    for (int it = 0; it < TRAIN_ITERATIONS; it++) {
        double step[3];
        if (!solve3(h, g, step))
            break;
        double t = 1, next[3], ll_next = -INFINITY;
        for (int half = 0; half < 30; half++, t /= 2) {   /* Newton: theta - H^-1 g */
            for (int a = 0; a < 3; a++)
                next[a] = theta[a] - t * step[a];
            ll_next = likelihood(next, theta0, s, ns, NULL, NULL);
            if (ll_next >= ll)
                break;
        }
        if (!(ll_next >= ll))
            break;
        double moved = fabs(ll_next - ll);
        memcpy(theta, next, sizeof theta);
        ll = likelihood(theta, theta0, s, ns, g, h);
        if (moved < 1e-10 * (1 + fabs(ll)))
            break;
    }
    m->beta = theta[0];
    m->d0 = theta[1] / theta[0];
    m->gamma = theta[2];
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

/* The lowest top probability at which the searches named are right
 * IDENTIFY_PRECISION of the time, by weight. */
static double operating_point(const search *s, int ns, const identify_model *m)
{
    scored *sc = malloc((size_t)ns * sizeof *sc);
    if (!sc)
        return 0.99;
    double theta[3] = {m->beta, m->beta * m->d0, m->gamma}, p[TRAIN_TOP + 2];
    for (int i = 0; i < ns; i++) {
        softmax(theta, &s[i], p);
        int best = 0;
        for (int k = 1; k < s[i].n; k++)
            if (p[k] > p[best])
                best = k;
        sc[i] = (scored){s[i].n ? p[best] : 0, s[i].w, s[i].n && best == s[i].right};
    }
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
    int ns = 0;
    double wk = 0, ws = 0;
    for (int t = 0; t < n + ng; t++)
        if (used[t]) {
            s[ns] = s[t];
            *(s[ns].right >= 0 ? &wk : &ws) += s[ns].w;
            ns++;
        }
    for (int i = 0; i < ns; i++)   /* strangers weigh as much as the knowns */
        if (s[i].right < 0)
            s[i].w *= wk / ws;
    fit(s, ns, m);
    m->min_confidence = operating_point(s, ns, m);
    *fitted = isfinite(m->beta) && m->beta > 0 && isfinite(m->d0) && isfinite(m->gamma);
    if (!*fitted)
        *m = IDENTIFY_DEFAULT_MODEL;
    if (samples)
        *samples = ns;
    identify_index_free(ix), free(s), free(of), free(used);
    return CELEB_OK;
}
