/* metrics.c - identification, verification and grouping figures for
 * `celeb eval`, see metrics.h. */
#include "metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

float eval_grid_threshold(int s)
{
    /* rounded to the cent, so 0.55 on the grid is the float 0.55f the user types */
    return roundf((EVAL_T_MIN + EVAL_T_STEP * s) * 100.0f) / 100.0f;
}

// ----------------------------------------------------------------------------
// Identification

int eval_query_named(const eval_query *q, float threshold)
{
    return q->has_face && q->r.n_candidates > 0 && q->r.distance < threshold;
}

int eval_query_right(const eval_query *q, float threshold)
{
    int named = eval_query_named(q, threshold);
    if (!q->in_gallery)
        return !named;
    return named && !strcmp(q->r.candidates[0].name, q->person);
}

/* Rank (0-based) of the query's person among its candidates, -1 if absent. */
static int rank_of_person(const eval_query *q)
{
    for (int k = 0; q->has_face && k < q->r.n_candidates; k++)
        if (!strcmp(q->r.candidates[k].name, q->person))
            return k;
    return -1;
}

void eval_identification(const eval_query *q, int n, float threshold, eval_ident *out)
{
    memset(out, 0, sizeof *out);
    out->queries = n;
    for (int i = 0; i < n; i++) {
        out->detected += q[i].has_face;
        out->right += eval_query_right(&q[i], threshold);
        if (!q[i].in_gallery) {
            out->strangers++;
            out->rejected += !eval_query_named(&q[i], threshold);
            continue;
        }
        out->in_gallery++;
        int rank = rank_of_person(&q[i]);
        out->top1 += rank == 0;
        out->top5 += rank >= 0 && rank < 5;
    }
}

void eval_coverage_precision(const eval_query *q, int n, eval_cp_point *out)
{
    for (int s = 0; s < EVAL_T_COUNT; s++) {
        eval_cp_point *p = &out[s];
        memset(p, 0, sizeof *p);
        p->threshold = eval_grid_threshold(s);
        for (int i = 0; i < n; i++) {
            if (!eval_query_named(&q[i], p->threshold))
                continue;
            p->named++;
            p->named_right += q[i].in_gallery && !strcmp(q[i].r.candidates[0].name, q[i].person);
        }
        p->coverage = n > 0 ? (double)p->named / n : 0;
        p->precision = p->named > 0 ? (double)p->named_right / p->named : 1;
    }
}

/* candidates[0] is the query's person. */
static int top_is_person(const eval_query *q)
{
    return q->has_face && q->r.n_candidates > 0 && q->in_gallery &&
           !strcmp(q->r.candidates[0].name, q->person);
}

void eval_operating_point(const eval_query *q, int n, eval_operating *out)
{
    memset(out, 0, sizeof *out);
    double bin_p[10] = {0}, bin_right[10] = {0};
    int bin_n[10] = {0}, scored = 0;
    for (int i = 0; i < n; i++) {
        int named = q[i].has_face && q[i].r.known, right = top_is_person(&q[i]);
        out->named += named;
        out->named_right += named && right;
        out->known_right += q[i].in_gallery && named && right;
        out->strangers_rejected += !q[i].in_gallery && !named;
        if (q[i].has_face && q[i].r.n_candidates > 0) {
            int b = (int)(q[i].r.p * 10);
            b = b < 0 ? 0 : b > 9 ? 9 : b;
            bin_p[b] += q[i].r.p;
            bin_right[b] += right;
            bin_n[b]++;
            scored++;
        }
    }
    out->precision = out->named ? (double)out->named_right / out->named : 1;
    for (int b = 0; b < 10; b++)
        if (bin_n[b]) {
            out->ece += fabs(bin_p[b] - bin_right[b]) / (scored ? scored : 1);
            out->bins[b].n = bin_n[b];
            out->bins[b].p = bin_p[b] / bin_n[b];
            out->bins[b].right = bin_right[b] / bin_n[b];
        }
}

typedef struct conf_item {
    float p;
    int right;
} conf_item;

static int by_conf_desc(const void *a, const void *b)
{
    float x = ((const conf_item *)a)->p, y = ((const conf_item *)b)->p;
    return (x < y) - (x > y);
}

void eval_confidence_curve(const eval_query *q, int n, eval_conf_point out[EVAL_CONF_POINTS])
{
    memset(out, 0, EVAL_CONF_POINTS * sizeof *out);
    conf_item *it = malloc((size_t)(n > 0 ? n : 1) * sizeof *it);
    if (!it)
        return;
    int m = 0;
    for (int i = 0; i < n; i++)
        if (q[i].has_face && q[i].r.n_candidates > 0)
            it[m++] = (conf_item){q[i].r.p, top_is_person(&q[i])};
    qsort(it, (size_t)m, sizeof *it, by_conf_desc);
    int right = 0, k = 0;
    for (int s = 0; s < EVAL_CONF_POINTS; s++) {
        int upto = (int)((long)n * (s + 1) / EVAL_CONF_POINTS);   /* K: of all queries */
        if (upto > m)
            upto = m;
        for (; k < upto; k++)
            right += it[k].right;
        out[s].coverage = n ? (double)upto / n : 0;
        out[s].confidence = upto ? it[upto - 1].p : 1;
        out[s].precision = upto ? (double)right / upto : 1;
    }
    free(it);
}

// ----------------------------------------------------------------------------
// Verification

void eval_pairs_at(const eval_pair *p, long n, float t, int fold, int skip_fold, double *accuracy,
                   double *true_accept, double *false_accept)
{
    long total = 0, right = 0, same = 0, diff = 0, same_acc = 0, diff_acc = 0;
    for (long i = 0; i < n; i++) {
        if (!p[i].valid || (fold >= 0 && p[i].fold != fold) || (skip_fold >= 0 && p[i].fold == skip_fold))
            continue;
        int accept = p[i].distance < t;
        total++;
        right += accept == !!p[i].same;
        if (p[i].same) {
            same++;
            same_acc += accept;
        } else {
            diff++;
            diff_acc += accept;
        }
    }
    if (accuracy)
        *accuracy = total ? (double)right / total : 0;
    if (true_accept)
        *true_accept = same ? (double)same_acc / same : 0;
    if (false_accept)
        *false_accept = diff ? (double)diff_acc / diff : 0;
}

/* The grid threshold with the best accuracy; when several tie, the middle
 * one (of the first run of ties), away from both edges of the good range. */
static float best_on_grid(const eval_pair *p, long n, int fold, int skip_fold, double *best_acc)
{
    double acc[EVAL_T_COUNT];
    int first = 0, last = 0;
    *best_acc = -1;
    for (int s = 0; s < EVAL_T_COUNT; s++) {
        eval_pairs_at(p, n, eval_grid_threshold(s), fold, skip_fold, &acc[s], NULL, NULL);
        if (acc[s] > *best_acc) {
            *best_acc = acc[s];
            first = last = s;
        } else if (acc[s] == *best_acc && last == s - 1) {
            last = s;
        }
    }
    return eval_grid_threshold((first + last) / 2);
}

typedef struct scored { float d; int same; } scored;

static int by_distance(const void *x, const void *y)
{
    float a = ((const scored *)x)->d, b = ((const scored *)y)->d;
    return (a > b) - (a < b);
}

float eval_best_threshold(const eval_pair *p, long n, int skip_fold, double *accuracy)
{
    scored *s = malloc((size_t)(n > 0 ? n : 1) * sizeof *s);
    long m = 0, same = 0;
    for (long i = 0; s && i < n; i++)
        if (p[i].valid && p[i].fold != skip_fold) {
            s[m].d = p[i].distance;
            s[m].same = p[i].same;
            same += p[i].same;
            m++;
        }
    *accuracy = 0;
    if (!s || m == 0) {
        free(s);
        return 0.6f;
    }
    qsort(s, (size_t)m, sizeof *s, by_distance);
    /* A threshold in the gap before s[k] accepts s[0..k-1]: right are the
     * same pairs accepted and the different ones refused. */
    long right = m - same, best = -1, best_k = 0;
    float best_gap = -1;
    for (long k = 0; k <= m; k++) {
        if (k > 0)
            right += s[k - 1].same ? 1 : -1;
        if (k > 0 && k < m && s[k].d == s[k - 1].d)
            continue;   /* no threshold between equal distances */
        float gap = k == 0 || k == m ? 0 : s[k].d - s[k - 1].d;
        if (right > best || (right == best && gap > best_gap)) {
            best = right;
            best_k = k;
            best_gap = gap;
        }
    }
    float t = best_k == 0 ? s[0].d : best_k == m ? s[m - 1].d + 1e-3f
                                                 : (s[best_k - 1].d + s[best_k].d) / 2;
    *accuracy = (double)best / m;
    free(s);
    return t;
}

/* LFW's protocol: for each fold, the threshold is the best on the other
 * folds and the accuracy is measured on the fold, no-face pairs wrong. */
static void cross_validate(const eval_pair *p, long n, int folds, eval_verify *out)
{
    double sum = 0, sum2 = 0, tsum = 0;
    for (int f = 0; f < folds; f++) {
        double train, acc;
        float t = eval_best_threshold(p, n, f, &train);
        long in_fold = 0, valid = 0;
        for (long i = 0; i < n; i++) {
            in_fold += p[i].fold == f;
            valid += p[i].fold == f && p[i].valid;
        }
        eval_pairs_at(p, n, t, f, -1, &acc, NULL, NULL);
        acc = in_fold ? acc * valid / in_fold : 0;
        sum += acc;
        sum2 += acc * acc;
        tsum += t;
    }
    out->folds = folds;
    out->cv_accuracy = sum / folds;
    out->cv_threshold = tsum / folds;
    double var = (sum2 - folds * out->cv_accuracy * out->cv_accuracy) / (folds - 1);
    out->cv_stderr = var > 0 ? sqrt(var / folds) : 0;
}

void eval_roc_add(eval_roc *r, float distance, int same)
{
    long bin = distance >= 0 ? (long)(distance * 1e4f) : 0;
    if (bin > EVAL_ROC_BINS || !(distance == distance))
        bin = EVAL_ROC_BINS;
    if (same) {
        r->genuine[bin]++;
        r->n_genuine++;
    } else {
        r->impostor[bin]++;
        r->n_impostor++;
    }
}

double eval_roc_tar(const eval_roc *r, double far, float *threshold)
{
    /* Edge b (threshold b * 1e-4) accepts the bins below it. */
    long imp = 0, gen = 0, b = 0;
    while (b < EVAL_ROC_BINS && r->n_impostor > 0 &&
           (double)(imp + r->impostor[b]) <= far * r->n_impostor) {
        imp += r->impostor[b];
        gen += r->genuine[b];
        b++;
    }
    *threshold = b * 1e-4f;
    return r->n_genuine ? (double)gen / r->n_genuine : 0;
}

void eval_verification(const eval_pair *p, long n, float threshold, int folds, eval_verify *out)
{
    memset(out, 0, sizeof *out);
    out->pairs = n;
    out->threshold = threshold;
    for (long i = 0; i < n; i++) {
        out->valid += p[i].valid;
        out->same += p[i].valid && p[i].same;
        out->different += p[i].valid && !p[i].same;
    }
    out->no_face = n - out->valid;
    eval_pairs_at(p, n, threshold, -1, -1, &out->accuracy, &out->true_accept, &out->false_accept);
    out->accuracy_all = n ? out->accuracy * out->valid / n : 0;
    out->best_threshold = best_on_grid(p, n, -1, -1, &out->best_accuracy);
    if (folds >= 2)
        cross_validate(p, n, folds, out);
    eval_roc *roc = calloc(1, sizeof *roc);
    for (long i = 0; roc && i < n; i++)
        if (p[i].valid)
            eval_roc_add(roc, p[i].distance, p[i].same);
    if (roc) {
        out->tar_far3 = eval_roc_tar(roc, 1e-3, &out->t_far3);
        out->tar_far4 = eval_roc_tar(roc, 1e-4, &out->t_far4);
    }
    free(roc);
}

// ----------------------------------------------------------------------------
// Groupings

void eval_compare_partitions(const int *frame, const int *a, const int *b, int n,
                             eval_partition_cmp *out)
{
    memset(out, 0, sizeof *out);
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            int sa = a[i] == a[j], sb = b[i] == b[j];
            out->pairs++;
            out->agree += sa == sb;
            out->same_a_only += sa && !sb;
            out->same_b_only += sb && !sa;
            if (frame[i] == frame[j]) {
                out->frame_pairs++;
                out->frame_merged_a += sa;
                out->frame_merged_b += sb;
            }
        }
}

void eval_score_pairs(const int *truth, const int *pred, int n, eval_pair_scores *out)
{
    memset(out, 0, sizeof *out);
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            if (truth[i] < 0 || truth[j] < 0)
                continue;
            int t = truth[i] == truth[j], p = pred[i] == pred[j];
            out->pairs++;
            out->true_same += t;
            out->pred_same += p;
            out->both_same += t && p;
        }
}

double eval_purity(const int *cluster, const int *label, int n)
{
    int *same = malloc((size_t)(n > 0 ? n : 1) * sizeof *same);
    if (!same)
        return NAN;
    for (int i = 0; i < n; i++) {   /* faces sharing face i's cluster and label */
        same[i] = 0;
        for (int j = 0; j < n; j++)
            same[i] += cluster[j] == cluster[i] && label[j] == label[i];
    }
    long majority_total = 0;
    for (int i = 0; i < n; i++) {
        int first = 1, best = 0;   /* each cluster once, at its first face */
        for (int j = 0; j < i && first; j++)
            first = cluster[j] != cluster[i];
        for (int j = i; first && j < n; j++)
            if (cluster[j] == cluster[i] && same[j] > best)
                best = same[j];
        majority_total += best;
    }
    free(same);
    return n > 0 ? (double)majority_total / n : 1;
}
