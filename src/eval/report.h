/* report.h - `celeb eval`'s results: one JSON document per run (schema
 * "celeb.eval/1", printed by --json) is the single source, and the text
 * report and the CSV files are read from it (or from the same arrays).
 *
 * Identification document fields (leave-one-out and probe): photos,
 * threshold, faces_found, detection_rate, right (share named right),
 * known_queries, top1, top5 (of the known queries), unknown_queries,
 * unknown_rejected, unknown_rejection, right_by_threshold [{threshold,
 * right}] (0.40 .. 0.80), coverage_precision [{threshold, coverage,
 * precision, named, named_right}] (0.30 .. 1.00 by 0.01), wrong [{photo,
 * person, named, distance}], and from eval_add_verification
 * verification_pairs, verification_accuracy, verification_best_threshold,
 * verification_best_accuracy. */
#ifndef CELEB_EVAL_REPORT_H
#define CELEB_EVAL_REPORT_H

#include <cJSON.h>
#include <stdio.h>

#include "metrics.h"

/* A threshold as a JSON number: 0.55, not the float's 0.550000011920929. */
double eval_shown_threshold(float t);

/* The identification figures of n queries at threshold into doc (above). */
void eval_add_identification(cJSON *doc, const eval_query *q, int n, float threshold);

/* The verification figures (valid pairs only) into doc. */
void eval_add_verification(cJSON *doc, const eval_verify *v);

/* Totals over the entries of a grouping document's "media" array (entries
 * with "error" skipped): media, faces, media_with_truth, ours_persons_exact,
 * baseline_persons_exact, ours/baseline_same_frame_merges, pair_agreement,
 * and with hand labels labelled_media, ours/baseline_pair_precision/recall. */
cJSON *eval_grouping_totals(const cJSON *media);

/* Text reports of the documents. `what` names the identification mode. */
void eval_print_identification(FILE *out, const cJSON *doc, const char *what);
void eval_print_pairs(FILE *out, const cJSON *doc);
void eval_print_grouping(FILE *out, const cJSON *doc);

/* CSV files: the coverage-precision table of an identification document
 * (threshold,coverage,precision), and the accuracy of pairs by threshold
 * (threshold,accuracy,true_accept,false_accept), both on the 0.30 .. 1.00
 * grid. Return 0, or -1 (perror printed) when the file cannot be written. */
int eval_write_curve_csv(const char *path, const cJSON *doc);
int eval_write_pairs_csv(const char *path, const eval_pair *p, long n);

#endif
