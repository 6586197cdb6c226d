/* metrics.h - the figures `celeb eval` reports, computed from the answers it
 * collected: identification (top-1, top-5, named right, unknown rejection,
 * the coverage-precision curve), verification of photo pairs (accuracy at a
 * threshold, at the best threshold, and LFW's cross-validated accuracy over
 * folds), and the comparison of two groupings of the same faces. Pure
 * functions over plain arrays: no I/O; only eval_purity allocates. */
#ifndef CELEB_EVAL_METRICS_H
#define CELEB_EVAL_METRICS_H

#include "../identify/identify.h"

/* The threshold grid for "best threshold" and the curves: 0.30 .. 1.00. */
#define EVAL_T_MIN 0.30f
#define EVAL_T_STEP 0.01f
#define EVAL_T_COUNT 71

/* The threshold of grid step s. */
float eval_grid_threshold(int s);

// ----------------------------------------------------------------------------
// Identification: one query photo named against a gallery

typedef struct eval_query {
    const char *photo;              /* the photo's path (caller-owned), for reports */
    char person[GALLERY_NAME_MAX];  /* who the photo shows */
    int has_face;                   /* a face was found (the largest one is the query) */
    int in_gallery;                 /* the person is in the gallery searched */
    identify_result r;              /* the answer; no candidates when no face */
} eval_query;

/* Named right at threshold: a person in the gallery named as themselves
 * (best distance < threshold); a person not in the gallery left unknown (no
 * face found counts as unknown). No face for a person in the gallery is wrong. */
int eval_query_right(const eval_query *q, float threshold);

/* Whether the query is given a name at threshold (face found, best distance < threshold). */
int eval_query_named(const eval_query *q, float threshold);

typedef struct eval_ident {
    int queries, detected, right;
    int in_gallery, top1, top5;   /* over queries whose person is in the gallery; no face = miss */
    int strangers, rejected;      /* over the others: rejected = left unknown */
} eval_ident;

void eval_identification(const eval_query *q, int n, float threshold, eval_ident *out);

typedef struct eval_cp_point {
    float threshold;
    int named;          /* queries given a name at this threshold */
    int named_right;    /* ... the right one */
    double coverage;    /* named / all queries (no-face photos and strangers included) */
    double precision;   /* named_right / named; 1 when nothing is named */
} eval_cp_point;

/* The coverage-precision curve at the EVAL_T_COUNT grid thresholds: as the
 * threshold grows, more queries are named (coverage never decreases) and
 * usually fewer of the names are right. out has EVAL_T_COUNT points. */
void eval_coverage_precision(const eval_query *q, int n, eval_cp_point *out);

/* The identifier's own decision (identify_result.known: its confidence
 * model's operating point and the distance cap), as a user sees it. */
typedef struct eval_operating {
    int named, named_right;      /* queries given a name; ... the right one */
    int known_right;             /* of the queries whose person is in the gallery, named right */
    int strangers_rejected;      /* of the others, left unknown */
    double precision;            /* named_right / named; 1 when nothing is named */
    double ece;                  /* expected calibration error of candidates[0].p against whether
                                    candidates[0] is the person: 10 bins of p, weighted by count */
    struct {                     /* the reliability curve: bin b holds p in [b/10, (b+1)/10) */
        int n;                   /* queries with a face in the bin */
        double p, right;         /* their mean p, and the share whose candidates[0] is the person */
    } bins[10];
} eval_operating;

void eval_operating_point(const eval_query *q, int n, eval_operating *out);

/* GIPHY's curve: queries with a face sorted by confidence, the precision of
 * the top K names against K / n, at K / n = 5%, 10%, ... 100%
 * (EVAL_CONF_POINTS points). */
#define EVAL_CONF_POINTS 20
typedef struct eval_conf_point {
    double coverage;     /* K / n */
    double confidence;   /* the K-th query's confidence */
    double precision;    /* right names among the top K */
} eval_conf_point;

void eval_confidence_curve(const eval_query *q, int n, eval_conf_point out[EVAL_CONF_POINTS]);

// ----------------------------------------------------------------------------
// Verification: are two photos the same person?

typedef struct eval_pair {
    float distance;   /* between the two photos' descriptors (valid pairs) */
    int same;         /* the two photos show the same person */
    int fold;         /* 0-based fold (LFW's pairs.txt has 10); 0 when none */
    int valid;        /* both photos have a face */
} eval_pair;

typedef struct eval_verify {
    long pairs, valid, no_face;      /* no_face = pairs - valid */
    long same, different;            /* of the valid pairs */
    float threshold;
    double accuracy;                 /* valid pairs right at threshold (same iff distance < threshold) */
    double accuracy_all;             /* all pairs, a pair with no face counted wrong */
    double true_accept, false_accept;/* at threshold: same pairs accepted, different pairs accepted */
    float best_threshold;            /* on the grid, best accuracy on the valid pairs (the
                                        middle of a run of equally good thresholds) */
    double best_accuracy;
    /* LFW's protocol (folds >= 2): for each fold, the threshold that is best on
     * the other folds (searched exactly, between every two distances), then the
     * accuracy of the fold at it, a pair with no face counted wrong; the mean
     * over folds and its standard error (sample sd / sqrt(folds), LFW's S_E). */
    int folds;
    double cv_accuracy, cv_stderr;
    double cv_threshold;             /* mean of the folds' thresholds */
    /* ROC points over the valid pairs: the true accept rate at the largest
     * threshold whose false accept rate is at most 1e-3 and 1e-4 (with D
     * different pairs the false accept rate moves in steps of 1/D). */
    double tar_far3, tar_far4;
    float t_far3, t_far4;
} eval_verify;

/* Accuracy, true- and false-accept rates of the valid pairs at threshold
 * t; fold >= 0 keeps only that fold, skip_fold >= 0 leaves that fold out. */
void eval_pairs_at(const eval_pair *p, long n, float t, int fold, int skip_fold, double *accuracy,
                   double *true_accept, double *false_accept);

/* The threshold with the best accuracy on the valid pairs outside skip_fold
 * (-1: all), searched exactly: of the gaps between two sorted distances
 * where accuracy peaks, the middle of the widest. *accuracy receives the peak. */
float eval_best_threshold(const eval_pair *p, long n, int skip_fold, double *accuracy);

void eval_verification(const eval_pair *p, long n, float threshold, int folds, eval_verify *out);

/* ROC points from many distances at once (e.g. every pair of a photo set):
 * distances binned by 1e-4 over [0, 2). Zero it (calloc), then add. */
#define EVAL_ROC_BINS 20000
typedef struct eval_roc {
    long genuine[EVAL_ROC_BINS + 1], impostor[EVAL_ROC_BINS + 1];   /* last bin: 2 and over */
    long n_genuine, n_impostor;
} eval_roc;

void eval_roc_add(eval_roc *r, float distance, int same);

/* The true accept rate at the largest bin edge t whose false accept rate
 * (impostors with distance < t) is at most far; *threshold receives t. */
double eval_roc_tar(const eval_roc *r, double far, float *threshold);

// ----------------------------------------------------------------------------
// Two groupings of the same faces (persons numbered per face)

typedef struct eval_partition_cmp {
    long pairs;            /* pairs of faces */
    long agree;            /* pairs both groupings call same, or both different */
    long same_a_only;      /* one person in a, two in b */
    long same_b_only;      /* one person in b, two in a */
    long frame_pairs;      /* pairs of faces of one frame: two people for certain */
    long frame_merged_a;   /* of those, put in one person by a (always wrong) */
    long frame_merged_b;   /* ... by b */
} eval_partition_cmp;

void eval_compare_partitions(const int *frame, const int *a, const int *b, int n,
                             eval_partition_cmp *out);

/* A grouping against true identities, over the pairs of faces that both
 * have one (truth >= 0; -1 = not labelled). */
typedef struct eval_pair_scores {
    long pairs;        /* pairs of labelled faces */
    long true_same;    /* pairs of one person in truth */
    long pred_same;    /* pairs put in one person by the grouping */
    long both_same;    /* ... and right */
} eval_pair_scores;

void eval_score_pairs(const int *truth, const int *pred, int n, eval_pair_scores *out);

/* Share of faces whose label is the most common label of their cluster
 * (1 = every cluster holds one label). Labels and clusters are any ints;
 * n == 0 gives 1. Allocates n ints (NAN if it cannot). */
double eval_purity(const int *cluster, const int *label, int n);

#endif
