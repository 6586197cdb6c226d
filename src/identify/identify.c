/* identify.c - the gallery index and the per-face search, see identify.h. */
#include "identify.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index.h"

float identify_distance(const float a[GALLERY_DIM], const float b[GALLERY_DIM])
{
    double s = 0;
    for (int k = 0; k < GALLERY_DIM; k++) {
        double d = (double)a[k] - b[k];
        s += d * d;
    }
    return (float)sqrt(s);
}

static int finite_descriptor(const float d[GALLERY_DIM])
{
    for (int k = 0; k < GALLERY_DIM; k++)
        if (!isfinite(d[k]))
            return 0;
    return 1;
}

/* Sorts face indices by (name, index), so identities come out ordered by
 * name and each one's faces keep their input order: a bottom-up merge sort
 * (qsort has no context argument in C11). order holds 2n ints, the second
 * half is scratch. */
static void sort_indices(const gallery_face *faces, int *order, int n)
{
    int *tmp = order + n;
    for (int width = 1; width < n; width *= 2) {
        for (int lo = 0; lo < n; lo += 2 * width) {
            int mid = lo + width < n ? lo + width : n;
            int hi = lo + 2 * width < n ? lo + 2 * width : n;
            int a = lo, b = mid, o = lo;
            while (a < mid && b < hi) {
                int c = strcmp(faces[order[a]].name, faces[order[b]].name);
                tmp[o++] = (c < 0 || (c == 0 && order[a] < order[b])) ? order[a++] : order[b++];
            }
            while (a < mid)
                tmp[o++] = order[a++];
            while (b < hi)
                tmp[o++] = order[b++];
        }
        memcpy(order, tmp, (size_t)n * sizeof *order);
    }
}

int identify_index_build(const gallery_face *faces, int n, identify_index **out,
                         celeb_error *err)
{
    if (!out || n < 0 || (n > 0 && !faces))
        return celeb_fail(err, CELEB_EINVAL, "identify_index_build: bad arguments");
    *out = NULL;
    for (int i = 0; i < n; i++) {
        size_t len = strnlen(faces[i].name, GALLERY_NAME_MAX);
        if (len == 0 || len == GALLERY_NAME_MAX)
            return celeb_fail(err, CELEB_EINVAL, "gallery face %d: empty or unterminated name", i);
        if (!finite_descriptor(faces[i].descriptor))
            return celeb_fail(err, CELEB_EINVAL, "gallery face %d (%s): non-finite descriptor", i,
                              faces[i].name);
    }

    identify_index *ix = calloc(1, sizeof *ix);
    if (ix)
        ix->model = IDENTIFY_DEFAULT_MODEL;
    int *order = malloc((2 * (size_t)n + 1) * sizeof *order);
    if (ix && n > 0) {
        ix->desc = malloc((size_t)n * sizeof *ix->desc);
        ix->ids = malloc((size_t)n * sizeof *ix->ids);
    }
    if (!ix || !order || (n > 0 && (!ix->desc || !ix->ids))) {
        free(order);
        identify_index_free(ix);
        return celeb_fail(err, CELEB_ENOMEM, "out of memory building the identify index");
    }

    for (int i = 0; i < n; i++)
        order[i] = i;
    sort_indices(faces, order, n);

    for (int r = 0; r < n; r++) {
        const gallery_face *f = &faces[order[r]];
        identity *id = ix->n_identities ? &ix->ids[ix->n_identities - 1] : NULL;
        if (!id || strcmp(id->name, f->name) != 0) {
            id = &ix->ids[ix->n_identities++];
            memset(id, 0, sizeof *id);
            memcpy(id->name, f->name, strlen(f->name) + 1);
            id->first = r;
        }
        memcpy(ix->desc[r], f->descriptor, sizeof ix->desc[r]);
        id->count++;
    }
    free(order);

    /* Centres in double, then rounded once. */
    for (int i = 0; i < ix->n_identities; i++) {
        identity *id = &ix->ids[i];
        for (int k = 0; k < GALLERY_DIM; k++) {
            double s = 0;
            for (int j = 0; j < id->count; j++)
                s += ix->desc[id->first + j][k];
            id->centre[k] = (float)(s / id->count);
        }
    }
    *out = ix;
    return CELEB_OK;
}

void identify_index_free(identify_index *ix)
{
    if (!ix)
        return;
    free(ix->ids);
    free(ix->desc);
    free(ix);
}

int identify_index_identities(const identify_index *ix)
{
    return ix ? ix->n_identities : 0;
}

void identify_index_set_model(identify_index *ix, const identify_model *m)
{
    if (ix && m)
        ix->model = *m;
}

void identify_model_format(const identify_model *m, char *buf, size_t size)
{
    snprintf(buf, size, "bias=%.6g distance=%.6g margin=%.6g photos=%.6g min_confidence=%.6g", m->bias,
             m->w_distance, m->w_margin, m->w_photos, m->min_confidence);
}

int identify_model_parse(const char *text, identify_model *m)
{
    identify_model v;
    int end = 0;
    if (!text || sscanf(text, "bias=%lf distance=%lf margin=%lf photos=%lf min_confidence=%lf%n", &v.bias,
                        &v.w_distance, &v.w_margin, &v.w_photos, &v.min_confidence, &end) != 5 ||
        text[end] != '\0')
        return CELEB_EFORMAT;
    if (!(isfinite(v.bias) && isfinite(v.w_distance) && isfinite(v.w_margin) && isfinite(v.w_photos) &&
          v.min_confidence > 0 && v.min_confidence <= 1))
        return CELEB_EFORMAT;
    *m = v;
    return CELEB_OK;
}

void identify_features(double distance, double margin, int photos, double x[IDENTIFY_FEATURES])
{
    x[0] = 1;
    x[1] = distance;
    x[2] = margin < IDENTIFY_MARGIN_MAX ? margin : IDENTIFY_MARGIN_MAX;
    x[3] = log(photos > 1 ? photos : 1);
}

double identify_model_p(const identify_model *m, double distance, double margin, int photos)
{
    double x[IDENTIFY_FEATURES];
    identify_features(distance, margin, photos, x);
    double z = m->bias * x[0] + m->w_distance * x[1] + m->w_margin * x[2] + m->w_photos * x[3];
    return 1 / (1 + exp(-z));
}

static void result_unknown(identify_result *out)
{
    memset(out, 0, sizeof *out);
    strcpy(out->name, "unknown");
    out->distance = INFINITY;
}

/* Inserts (i, d) into the ascending top list of at most IDENTIFY_TOP. */
static void top_insert(int *top_i, double *top_d, int *n_top, int i, double d)
{
    int pos = *n_top;
    while (pos > 0 && top_d[pos - 1] > d)
        pos--;
    if (pos >= IDENTIFY_TOP)
        return;
    int last = *n_top < IDENTIFY_TOP ? *n_top : IDENTIFY_TOP - 1;
    for (int k = last; k > pos; k--) {
        top_i[k] = top_i[k - 1];
        top_d[k] = top_d[k - 1];
    }
    top_i[pos] = i;
    top_d[pos] = d;
    if (*n_top < IDENTIFY_TOP)
        (*n_top)++;
}

/* A face's distance to identity i: min(to the centre, to the nearest photo). */
static double identity_distance(const identify_index *ix, int i, const float desc[GALLERY_DIM])
{
    const identity *id = &ix->ids[i];
    double d = identify_distance(desc, id->centre);
    for (int j = 0; j < id->count; j++) {
        double dj = identify_distance(desc, ix->desc[id->first + j]);
        if (dj < d)
            d = dj;
    }
    return d;
}

/* The evidence against one identity: a face's distance, or a group's. */
typedef struct evidence {
    const float (*descs)[GALLERY_DIM];
    int n;
    double *scratch;   /* [n] for the median of a group */
} evidence;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A group's distance to identity i: the median of its faces' distances. The
 * mean descriptor would not do: the mean of many views of a stranger drifts
 * towards everybody's centre (Elon Musk's 20 faces averaged come within 0.56
 * of Elton John, while his single faces stay over 0.6). */
static double evidence_distance(const identify_index *ix, int i, const evidence *ev)
{
    if (ev->n == 1)
        return identity_distance(ix, i, ev->descs[0]);
    for (int f = 0; f < ev->n; f++)
        ev->scratch[f] = identity_distance(ix, i, ev->descs[f]);
    qsort(ev->scratch, (size_t)ev->n, sizeof *ev->scratch, cmp_double);
    return ev->n % 2 ? ev->scratch[ev->n / 2]
                     : (ev->scratch[ev->n / 2 - 1] + ev->scratch[ev->n / 2]) / 2;
}

/* Ranks every identity by distance to the evidence; the nearest ones
 * become the candidates, with their probabilities (identify.h), and known
 * or unknown follows from the operating point and the distance cap. */
static void rank(const identify_index *ix, const evidence *ev, const identify_options *opt,
                 identify_result *out)
{
    const identify_model *m = &ix->model;
    float threshold = opt && opt->threshold > 0 ? opt->threshold : IDENTIFY_DEFAULT_THRESHOLD;
    double min_confidence = opt && opt->min_confidence > 0 ? opt->min_confidence : m->min_confidence;

    int top_i[IDENTIFY_TOP], n_top = 0;
    double top_d[IDENTIFY_TOP] = {0};
    for (int i = 0; i < ix->n_identities; i++)
        top_insert(top_i, top_d, &n_top, i, evidence_distance(ix, i, ev));

    out->n_candidates = n_top;
    for (int k = 0; k < n_top; k++) {
        identify_candidate *c = &out->candidates[k];
        /* its margin: to the nearest other identity, or the most there is */
        int other = k == 0 ? 1 : 0;
        double margin = other < n_top ? top_d[other] - top_d[k] : IDENTIFY_MARGIN_MAX;
        memcpy(c->name, ix->ids[top_i[k]].name, sizeof c->name);
        c->distance = (float)top_d[k];
        c->p = (float)identify_model_p(m, top_d[k], margin, ix->ids[top_i[k]].count);
    }
    out->distance = out->candidates[0].distance;
    out->p = out->candidates[0].p;
    out->known = out->p >= min_confidence && out->distance < threshold;
    if (out->known)
        memcpy(out->name, out->candidates[0].name, sizeof out->name);
}

int identify_face(const identify_index *ix, const float desc[GALLERY_DIM],
                  const identify_options *opt, identify_result *out)
{
    if (!out)
        return CELEB_EINVAL;
    result_unknown(out);
    if (!ix || !desc || !finite_descriptor(desc))
        return CELEB_EINVAL;
    if (ix->n_identities == 0)
        return CELEB_OK;
    evidence ev = {(const float(*)[GALLERY_DIM])desc, 1, NULL};
    rank(ix, &ev, opt, out);
    return CELEB_OK;
}

int identify_descriptors(const identify_index *ix, const float (*descs)[GALLERY_DIM], int n,
                         const identify_options *opt, identify_result *out)
{
    if (!out)
        return CELEB_EINVAL;
    result_unknown(out);
    if (!ix || !descs || n < 1)
        return CELEB_EINVAL;
    for (int f = 0; f < n; f++)
        if (!finite_descriptor(descs[f]))
            return CELEB_EINVAL;
    if (ix->n_identities == 0)
        return CELEB_OK;
    evidence ev = {descs, n, malloc((size_t)n * sizeof(double))};
    if (!ev.scratch)
        return CELEB_ENOMEM;
    rank(ix, &ev, opt, out);
    free(ev.scratch);
    return CELEB_OK;
}
