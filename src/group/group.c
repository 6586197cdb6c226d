/* group.c - average-linkage clustering of faces into persons, see group.h.
 *
 * sum[a*n+b] holds the SUM of the pairwise distances between the faces of
 * clusters a and b (a cluster is named by its lowest-numbered live slot
 * after merges, always the slot it was merged into), so merging b into a is
 * one row addition and the average linkage is sum / (size[a] * size[b]).
 * Two clusters that share a frame have sum = +INFINITY; INFINITY plus
 * anything stays INFINITY, so the "never merge faces of one frame" rule
 * survives every merge without a second matrix.
 *
 * nn[a] / nn_d[a]: a live cluster's nearest live cluster and that average
 * distance. After merging b into a, only rows whose nearest was a or b must
 * be rescanned (for the others the new distance to a either beats their
 * nearest or not; nothing else changed). */
#include "group.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double descriptor_distance(const float *a, const float *b)
{
    double s = 0;
    for (int k = 0; k < GROUP_DIM; k++) {
        double d = (double)a[k] - b[k];
        s += d * d;
    }
    return sqrt(s);
}

typedef struct clusters {
    int n;
    double *sum;      /* n x n */
    int *size;        /* faces per cluster; 0 once merged away */
    int *nn;          /* nearest live cluster, -1 if none */
    double *nn_d;     /* its average distance (INFINITY if none) */
} clusters;

static double linkage(const clusters *c, int a, int b)
{
    return c->sum[(size_t)a * c->n + b] / ((double)c->size[a] * c->size[b]);
}

static void rescan(clusters *c, int a)
{
    c->nn[a] = -1;
    c->nn_d[a] = INFINITY;
    for (int b = 0; b < c->n; b++) {
        if (b == a || !c->size[b])
            continue;
        double d = linkage(c, a, b);
        if (d < c->nn_d[a]) {
            c->nn_d[a] = d;
            c->nn[a] = b;
        }
    }
}

/* Merges b into a (a < b), keeping sums and nearest neighbours current. */
static void merge(clusters *c, int a, int b)
{
    int n = c->n;
    for (int k = 0; k < n; k++) {
        if (!c->size[k] || k == a || k == b)
            continue;
        double s = c->sum[(size_t)a * n + k] + c->sum[(size_t)b * n + k];
        c->sum[(size_t)a * n + k] = s;
        c->sum[(size_t)k * n + a] = s;
    }
    c->size[a] += c->size[b];
    c->size[b] = 0;
    rescan(c, a);
    for (int k = 0; k < n; k++) {
        if (!c->size[k] || k == a)
            continue;
        if (c->nn[k] == a || c->nn[k] == b) {
            rescan(c, k);
        } else {
            double d = linkage(c, k, a);
            if (d < c->nn_d[k] || (d == c->nn_d[k] && a < c->nn[k])) {
                c->nn_d[k] = d;
                c->nn[k] = a;
            }
        }
    }
}

/* Face i (at index ii) appears before face j (index ij): earlier frame,
 * then smaller box x, then earlier in the input. */
static int appears_before(const group_face *i, int ii, const group_face *j, int ij)
{
    if (i->frame != j->frame)
        return i->frame < j->frame;
    if (i->box[0] != j->box[0])
        return i->box[0] < j->box[0];
    return ii < ij;
}

int group_faces(const group_face *faces, int n, const group_options *opt, int *person_of_face,
                int *persons, celeb_error *err)
{
    if (!persons || n < 0 || (n > 0 && (!faces || !person_of_face)))
        return celeb_fail(err, CELEB_EINVAL, "group_faces: bad arguments");
    *persons = 0;
    if (n > GROUP_MAX_FACES)
        return celeb_fail(err, CELEB_ELIMIT, "group_faces: %d faces, limit %d", n,
                          GROUP_MAX_FACES);
    for (int i = 0; i < n; i++)
        for (int k = 0; k < GROUP_DIM; k++)
            if (!isfinite(faces[i].descriptor[k]))
                return celeb_fail(err, CELEB_EINVAL, "group_faces: face %d has a non-finite descriptor", i);
    if (n == 0)
        return CELEB_OK;
    double threshold = opt && opt->threshold > 0 ? opt->threshold : GROUP_DEFAULT_THRESHOLD;

    clusters c = {.n = n};
    c.sum = malloc((size_t)n * n * sizeof *c.sum);
    c.size = malloc((size_t)n * sizeof *c.size);
    c.nn = malloc((size_t)n * sizeof *c.nn);
    c.nn_d = malloc((size_t)n * sizeof *c.nn_d);
    int *first = malloc((size_t)n * sizeof *first);   /* per cluster: its first face */
    int *rank = malloc((size_t)n * sizeof *rank);     /* person -> its cluster slot */
    int rc = CELEB_OK;
    if (!c.sum || !c.size || !c.nn || !c.nn_d || !first || !rank) {
        rc = celeb_fail(err, CELEB_ENOMEM, "out of memory grouping %d faces", n);
        goto done;
    }

    for (int i = 0; i < n; i++) {
        c.size[i] = 1;
        c.sum[(size_t)i * n + i] = 0;
        for (int j = i + 1; j < n; j++) {
            double d = faces[i].frame == faces[j].frame
                           ? INFINITY
                           : descriptor_distance(faces[i].descriptor, faces[j].descriptor);
            c.sum[(size_t)i * n + j] = d;
            c.sum[(size_t)j * n + i] = d;
        }
    }
    for (int i = 0; i < n; i++)
        rescan(&c, i);

    /* Merge the closest pair while it is under the threshold. Ties go to
     * the lowest-numbered cluster, so the result does not depend on luck.
     * person_of_face holds each face's cluster slot meanwhile. */
    for (int i = 0; i < n; i++)
        person_of_face[i] = i;
    for (;;) {
        int a = -1;
        for (int i = 0; i < n; i++)
            if (c.size[i] && c.nn[i] >= 0 && (a < 0 || c.nn_d[i] < c.nn_d[a]))
                a = i;
        if (a < 0 || !(c.nn_d[a] < threshold))
            break;
        int lo = a < c.nn[a] ? a : c.nn[a], hi = a < c.nn[a] ? c.nn[a] : a;
        merge(&c, lo, hi);
        for (int i = 0; i < n; i++)
            if (person_of_face[i] == hi)
                person_of_face[i] = lo;
    }

    /* Number the persons by first appearance: frame, then box x, then
     * input order. first[slot] = that cluster's earliest face. */
    for (int i = 0; i < n; i++)
        first[i] = -1;
    for (int i = 0; i < n; i++) {
        int s = person_of_face[i], f = first[s];
        if (f < 0 || appears_before(&faces[i], i, &faces[f], f))
            first[s] = i;
    }
    int p = 0;
    for (int s = 0; s < n; s++)
        if (first[s] >= 0)
            rank[p++] = s;
    /* Insertion sort of the p live slots by their first face (p <= n, small). */
    for (int i = 1; i < p; i++) {
        int s = rank[i], j = i;
        while (j > 0 && appears_before(&faces[first[s]], first[s], &faces[first[rank[j - 1]]],
                                       first[rank[j - 1]])) {
            rank[j] = rank[j - 1];
            j--;
        }
        rank[j] = s;
    }
    /* rank[k] = slot of person k; invert into first[] (reused as slot -> person). */
    for (int k = 0; k < p; k++)
        first[rank[k]] = k;
    for (int i = 0; i < n; i++)
        person_of_face[i] = first[person_of_face[i]];
    *persons = p;

done:
    free(c.sum);
    free(c.size);
    free(c.nn);
    free(c.nn_d);
    free(first);
    free(rank);
    return rc;
}
