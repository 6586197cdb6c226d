/* report.c - `celeb eval`'s results as documents, text and CSV, see report.h. */
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

// ----------------------------------------------------------------------------
// Documents

static double share(long a, long b) { return b ? (double)a / b : 0; }

double eval_shown_threshold(float t) { return round((double)t * 1e4) / 1e4; }

static cJSON *curve_json(const eval_cp_point *cp)
{
    cJSON *arr = cJSON_CreateArray();
    for (int s = 0; s < EVAL_T_COUNT; s++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "threshold", eval_shown_threshold(cp[s].threshold));
        cJSON_AddNumberToObject(o, "coverage", cp[s].coverage);
        cJSON_AddNumberToObject(o, "precision", cp[s].precision);
        cJSON_AddNumberToObject(o, "named", cp[s].named);
        cJSON_AddNumberToObject(o, "named_right", cp[s].named_right);
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

static cJSON *wrong_json(const eval_query *q, int n, float threshold)
{
    cJSON *wrong = cJSON_CreateArray();
    for (int i = 0; i < n; i++) {
        if (eval_query_right(&q[i], threshold))
            continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "photo", q[i].photo ? q[i].photo : "");
        cJSON_AddStringToObject(o, "person", q[i].person);
        cJSON_AddStringToObject(o, "named", !q[i].has_face ? "(no face)"
                                : eval_query_named(&q[i], threshold) ? q[i].r.candidates[0].name
                                                                    : "unknown");
        if (q[i].has_face && q[i].r.n_candidates)
            cJSON_AddNumberToObject(o, "distance", q[i].r.distance);
        cJSON_AddItemToArray(wrong, o);
    }
    return wrong;
}

void eval_add_identification(cJSON *doc, const eval_query *q, int n, float threshold)
{
    eval_ident id;
    eval_identification(q, n, threshold, &id);
    cJSON_AddNumberToObject(doc, "photos", n);
    cJSON_AddNumberToObject(doc, "threshold", eval_shown_threshold(threshold));
    cJSON_AddNumberToObject(doc, "faces_found", id.detected);
    cJSON_AddNumberToObject(doc, "detection_rate", share(id.detected, n));
    cJSON_AddNumberToObject(doc, "right", share(id.right, n));
    cJSON_AddNumberToObject(doc, "known_queries", id.in_gallery);
    cJSON_AddNumberToObject(doc, "top1", share(id.top1, id.in_gallery));
    cJSON_AddNumberToObject(doc, "top5", share(id.top5, id.in_gallery));
    cJSON_AddNumberToObject(doc, "unknown_queries", id.strangers);
    cJSON_AddNumberToObject(doc, "unknown_rejected", id.rejected);
    cJSON_AddNumberToObject(doc, "unknown_rejection", share(id.rejected, id.strangers));
    cJSON *by_t = cJSON_AddArrayToObject(doc, "right_by_threshold");
    for (int s = 0; s <= 8; s++) {   /* 0.40 .. 0.80 */
        float t = eval_grid_threshold(10 + 5 * s);
        eval_ident at;
        eval_identification(q, n, t, &at);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "threshold", eval_shown_threshold(t));
        cJSON_AddNumberToObject(o, "right", share(at.right, n));
        cJSON_AddItemToArray(by_t, o);
    }
    eval_cp_point cp[EVAL_T_COUNT];
    eval_coverage_precision(q, n, cp);
    cJSON_AddItemToObject(doc, "coverage_precision", curve_json(cp));
    cJSON_AddItemToObject(doc, "wrong", wrong_json(q, n, threshold));

    /* The identifier's own decision (its confidence model), and its curve. */
    eval_operating op;
    eval_operating_point(q, n, &op);
    cJSON *o = cJSON_AddObjectToObject(doc, "operating_point");
    cJSON_AddNumberToObject(o, "named", op.named);
    cJSON_AddNumberToObject(o, "precision", op.precision);
    cJSON_AddNumberToObject(o, "known_named_right", share(op.known_right, id.in_gallery));
    cJSON_AddNumberToObject(o, "strangers_rejected", share(op.strangers_rejected, id.strangers));
    cJSON_AddNumberToObject(o, "calibration_error", op.ece);
    cJSON *rel = cJSON_AddArrayToObject(o, "reliability");   /* when we say p, right how often */
    for (int b = 0; b < 10; b++) {
        cJSON *c = cJSON_CreateObject();
        cJSON_AddNumberToObject(c, "p_from", b / 10.0);
        cJSON_AddNumberToObject(c, "queries", op.bins[b].n);
        cJSON_AddNumberToObject(c, "mean_p", op.bins[b].p);
        cJSON_AddNumberToObject(c, "right", op.bins[b].right);
        cJSON_AddItemToArray(rel, c);
    }
    eval_conf_point cc[EVAL_CONF_POINTS];
    eval_confidence_curve(q, n, cc);
    cJSON *curve = cJSON_AddArrayToObject(doc, "confidence_curve");
    for (int s = 0; s < EVAL_CONF_POINTS; s++) {
        cJSON *c = cJSON_CreateObject();
        cJSON_AddNumberToObject(c, "coverage", cc[s].coverage);
        cJSON_AddNumberToObject(c, "confidence", cc[s].confidence);
        cJSON_AddNumberToObject(c, "precision", cc[s].precision);
        cJSON_AddItemToArray(curve, c);
    }
}

void eval_add_verification(cJSON *doc, const eval_verify *v)
{
    cJSON_AddNumberToObject(doc, "verification_pairs", (double)v->valid);
    cJSON_AddNumberToObject(doc, "verification_accuracy", v->accuracy);
    cJSON_AddNumberToObject(doc, "verification_best_threshold", eval_shown_threshold(v->best_threshold));
    cJSON_AddNumberToObject(doc, "verification_best_accuracy", v->best_accuracy);
}

// ----------------------------------------------------------------------------
// Text

static void print_curve_text(FILE *out, const cJSON *curve)
{
    fprintf(out, "coverage-precision (coverage: photos given a name / all photos; precision: right / named):\n");
    fprintf(out, "  threshold  coverage  precision\n");
    const cJSON *o;
    int s = 0;
    cJSON_ArrayForEach(o, curve) {
        if (s++ % 5)
            continue;
        fprintf(out, "  %9.2f  %7.1f%%  %8.1f%%\n", num(o, "threshold"), 100 * num(o, "coverage"),
                100 * num(o, "precision"));
    }
}

void eval_print_identification(FILE *out, const cJSON *doc, const char *what)
{
    int n = (int)num(doc, "photos");
    fprintf(out, "photos %d, faces found in %d (%.1f%%), %.1f faces/s\n", n, (int)num(doc, "faces_found"),
            100 * num(doc, "detection_rate"), num(doc, "faces_per_s"));
    fprintf(out, "named right (%s, detection included): %.0f/%d = %.1f%% at threshold %.2f\n", what,
            num(doc, "right") * n, n, 100 * num(doc, "right"), num(doc, "threshold"));
    fprintf(out, "top-1 %.1f%%, top-5 %.1f%% of %d photos whose person is in the gallery\n",
            100 * num(doc, "top1"), 100 * num(doc, "top5"), (int)num(doc, "known_queries"));
    fprintf(out, "unknown rejection: %d/%d photos of people not in the gallery\n",
            (int)num(doc, "unknown_rejected"), (int)num(doc, "unknown_queries"));
    fprintf(out, "verification on %.0f pairs: %.2f%% at %.2f, best %.2f%% at %.2f\n",
            num(doc, "verification_pairs"), 100 * num(doc, "verification_accuracy"),
            num(doc, "threshold"), 100 * num(doc, "verification_best_accuracy"),
            num(doc, "verification_best_threshold"));
    fprintf(out, "named right by threshold:");
    const cJSON *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(doc, "right_by_threshold"))
        fprintf(out, " %.2f:%.1f%%", num(o, "threshold"), 100 * num(o, "right"));
    fprintf(out, "\n");
    print_curve_text(out, cJSON_GetObjectItemCaseSensitive(doc, "coverage_precision"));
    const cJSON *op = cJSON_GetObjectItemCaseSensitive(doc, "operating_point");
    if (op)
        fprintf(out,
                "the identifier's decision (confidence model): %d named, precision %.1f%%, %.1f%% of the "
                "known named right, %.1f%% of the strangers unknown; calibration error %.3f\n",
                (int)num(op, "named"), 100 * num(op, "precision"), 100 * num(op, "known_named_right"),
                100 * num(op, "strangers_rejected"), num(op, "calibration_error"));
    fprintf(out, "wrong:\n");
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(doc, "wrong"))
        fprintf(out, "  %s -> %s\n", cJSON_GetObjectItemCaseSensitive(o, "photo")->valuestring,
                cJSON_GetObjectItemCaseSensitive(o, "named")->valuestring);
}

static void print_roc(FILE *out, const cJSON *roc)
{
    const cJSON *p3 = cJSON_GetObjectItemCaseSensitive(roc, "far_1e-3");
    const cJSON *p4 = cJSON_GetObjectItemCaseSensitive(roc, "far_1e-4");
    fprintf(out, "TAR %.2f%% at FAR 1e-3 (distance < %.4f), %.2f%% at FAR 1e-4 (< %.4f)",
            100 * num(p3, "tar"), num(p3, "threshold"), 100 * num(p4, "tar"), num(p4, "threshold"));
}

void eval_print_pairs(FILE *out, const cJSON *doc)
{
    double different = num(doc, "different_pairs");
    fprintf(out, "pairs %.0f in %.0f fold(s), %.0f with a face in both photos (%.0f same person, %.0f different); "
            "%.0f photos, %.1f faces/s\n", num(doc, "pairs"), num(doc, "folds"),
            num(doc, "same_pairs") + different, num(doc, "same_pairs"), different, num(doc, "photos"),
            num(doc, "faces_per_s"));
    if (cJSON_GetObjectItemCaseSensitive(doc, "cv_accuracy"))
        fprintf(out, "LFW protocol, %.0f folds (threshold chosen on the other folds, a pair with no face "
                "wrong): %.2f%% +- %.2f%% (standard error), mean threshold %.3f\n",
                num(doc, "folds"), 100 * num(doc, "cv_accuracy"), 100 * num(doc, "cv_stderr"),
                num(doc, "cv_threshold"));
    fprintf(out, "ROC on the pairs: ");
    print_roc(out, cJSON_GetObjectItemCaseSensitive(doc, "roc"));
    if (different > 0)
        fprintf(out, "; FAR steps of %.1e", 1 / different);
    const cJSON *all = cJSON_GetObjectItemCaseSensitive(doc, "roc_all_photo_pairs");
    fprintf(out, "\nROC on every pair of the photos (%.0f same person, %.0f different): ",
            num(all, "same_pairs"), num(all, "different_pairs"));
    print_roc(out, all);
    fprintf(out, "\nat %.2f: %.2f%% of the pairs with faces right (true accept %.1f%%, false accept %.1f%%); "
            "best threshold on the grid %.2f: %.2f%%\n", num(doc, "threshold"), 100 * num(doc, "accuracy"),
            100 * num(doc, "true_accept"), 100 * num(doc, "false_accept"), num(doc, "best_threshold"),
            100 * num(doc, "best_accuracy"));
    fprintf(out, "pairs with no face found: %.0f (counted wrong: %.2f%% of all pairs right at %.2f)\n",
            num(doc, "no_face_pairs"), 100 * num(doc, "accuracy_no_face_wrong"), num(doc, "threshold"));
    const cJSON *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(doc, "no_face"))
        fprintf(out, "  line %.0f: no face in %s\n", num(o, "line"),
                cJSON_GetObjectItemCaseSensitive(o, "photo")->valuestring);
}

// ----------------------------------------------------------------------------
// Grouping: totals and text

typedef struct grouping_totals {
    int media, with_truth, ours_exact, baseline_exact, labelled_media;
    long faces, pairs, agree, merges_ours, merges_baseline;
    long true_same, ours_same, ours_right, base_same, base_right;   /* hand-labelled pairs */
} grouping_totals;

static void tally_labels(grouping_totals *t, const cJSON *truth)
{
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(truth, "ours");
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(truth, "baseline");
    t->labelled_media++;
    t->true_same += (long)num(o, "true_same");
    t->ours_same += (long)num(o, "pred_same");
    t->ours_right += (long)num(o, "both_same");
    t->base_same += (long)num(b, "pred_same");
    t->base_right += (long)num(b, "both_same");
}

static void tally(grouping_totals *t, const cJSON *r)
{
    const cJSON *ours = cJSON_GetObjectItemCaseSensitive(r, "ours");
    const cJSON *base = cJSON_GetObjectItemCaseSensitive(r, "baseline");
    const cJSON *pairs = cJSON_GetObjectItemCaseSensitive(r, "pairs");
    int truth = (int)num(r, "true_people");
    t->media++;
    t->faces += (long)num(r, "faces");
    t->pairs += (long)num(pairs, "pairs");
    t->agree += (long)num(pairs, "agree");
    t->merges_ours += (long)num(ours, "same_frame_merges");
    t->merges_baseline += (long)num(base, "same_frame_merges");
    if (cJSON_GetObjectItemCaseSensitive(r, "truth"))
        tally_labels(t, cJSON_GetObjectItemCaseSensitive(r, "truth"));
    if (truth < 0)
        return;
    t->with_truth++;
    t->ours_exact += (int)num(ours, "persons") == truth;
    t->baseline_exact += (int)num(base, "persons") == truth;
}

static cJSON *totals_json(const grouping_totals *t)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "media", t->media);
    cJSON_AddNumberToObject(o, "faces", (double)t->faces);
    cJSON_AddNumberToObject(o, "media_with_truth", t->with_truth);
    cJSON_AddNumberToObject(o, "ours_persons_exact", t->ours_exact);
    cJSON_AddNumberToObject(o, "baseline_persons_exact", t->baseline_exact);
    cJSON_AddNumberToObject(o, "ours_same_frame_merges", (double)t->merges_ours);
    cJSON_AddNumberToObject(o, "baseline_same_frame_merges", (double)t->merges_baseline);
    cJSON_AddNumberToObject(o, "pair_agreement", t->pairs ? (double)t->agree / t->pairs : 1);
    if (t->labelled_media) {
        cJSON_AddNumberToObject(o, "labelled_media", t->labelled_media);
        cJSON_AddNumberToObject(o, "ours_pair_precision", t->ours_same ? (double)t->ours_right / t->ours_same : 1);
        cJSON_AddNumberToObject(o, "ours_pair_recall", t->true_same ? (double)t->ours_right / t->true_same : 1);
        cJSON_AddNumberToObject(o, "baseline_pair_precision", t->base_same ? (double)t->base_right / t->base_same : 1);
        cJSON_AddNumberToObject(o, "baseline_pair_recall", t->true_same ? (double)t->base_right / t->true_same : 1);
    }
    return o;
}

cJSON *eval_grouping_totals(const cJSON *media)
{
    grouping_totals t = {0};
    const cJSON *r;
    cJSON_ArrayForEach(r, media)
        if (!cJSON_GetObjectItemCaseSensitive(r, "error"))
            tally(&t, r);
    return totals_json(&t);
}

static void print_names(FILE *out, const char *who, const cJSON *names, int baseline)
{
    fprintf(out, "    %-6s", who);
    const cJSON *o;
    int first = 1;
    cJSON_ArrayForEach(o, names) {
        fprintf(out, "%s%s", first ? " " : ", ", cJSON_GetObjectItemCaseSensitive(o, "name")->valuestring);
        if (baseline)
            fprintf(out, " (p %.2f, is_known %.2f, %d face%s)", num(o, "p"), num(o, "is_known"), (int)num(o, "faces"),
                    num(o, "faces") == 1 ? "" : "s");
        else
            fprintf(out, " (%d face%s)", (int)num(o, "faces"), num(o, "faces") == 1 ? "" : "s");
        first = 0;
    }
    fprintf(out, "%s\n", first ? " -" : "");
}

/* Pairwise precision and recall against hand labels, when there are some. */
static void print_labels_line(FILE *out, const cJSON *truth)
{
    if (!truth)
        return;
    const cJSON *to = cJSON_GetObjectItemCaseSensitive(truth, "ours");
    const cJSON *tb = cJSON_GetObjectItemCaseSensitive(truth, "baseline");
    fprintf(out, "    labels: %d faces of %d people; pair precision / recall: ours %.1f%% / %.1f%%, "
            "giphy %.1f%% / %.1f%%\n", (int)num(truth, "labelled_faces"), (int)num(truth, "people"),
            100 * num(to, "pair_precision"), 100 * num(to, "pair_recall"), 100 * num(tb, "pair_precision"),
            100 * num(tb, "pair_recall"));
}

static void print_grouping_row(FILE *out, const cJSON *r)
{
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(r, "error");
    const char *media = cJSON_GetObjectItemCaseSensitive(r, "media")->valuestring;
    const char *slash = strrchr(media, '/');
    if (err) {
        fprintf(out, "%-32s error: %s\n", slash ? slash + 1 : media,
                cJSON_GetObjectItemCaseSensitive(err, "message")->valuestring);
        return;
    }
    const cJSON *ours = cJSON_GetObjectItemCaseSensitive(r, "ours");
    const cJSON *base = cJSON_GetObjectItemCaseSensitive(r, "baseline");
    const cJSON *pairs = cJSON_GetObjectItemCaseSensitive(r, "pairs");
    char people[16] = "?";
    if (num(r, "true_people") >= 0)
        snprintf(people, sizeof people, "%d", (int)num(r, "true_people"));
    fprintf(out, "%-32s %6d %5d %4s %4d %5d %5d/%-5d %7.1f%% %5.2f/%.2f%s\n", slash ? slash + 1 : media,
            (int)num(r, "frames"), (int)num(r, "faces"), people, (int)num(ours, "persons"),
            (int)num(base, "persons"), (int)num(ours, "same_frame_merges"),
            (int)num(base, "same_frame_merges"), 100 * num(pairs, "agreement"),
            num(ours, "label_purity"), num(base, "label_purity"),
            cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "reproduced")) ? "" : "  (faces not reproduced)");
    print_names(out, "ours:", cJSON_GetObjectItemCaseSensitive(ours, "names"), 0);
    print_names(out, "giphy:", cJSON_GetObjectItemCaseSensitive(base, "names"), 1);
    print_labels_line(out, cJSON_GetObjectItemCaseSensitive(r, "truth"));
}

void eval_print_grouping(FILE *out, const cJSON *doc)
{
    fprintf(out, "ours: average linkage, never two faces of one frame; giphy: GIPHY's Gaussian mixture seeded\n"
            "at the predicted classes' centres; both on the same faces (celeb detect's)\n");
    fprintf(out, "%-32s %6s %5s %4s %4s %5s %11s %8s %10s\n", "media", "frames", "faces", "true", "ours",
            "giphy", "1-frame mrg", "pairs=", "purity");
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(doc, "media"))
        print_grouping_row(out, r);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(doc, "totals");
    fprintf(out, "persons = true number: ours %d/%d, giphy %d/%d media; pairs of faces of one frame merged: "
            "ours %d, giphy %d; face pairs treated alike by both: %.1f%%\n",
            (int)num(t, "ours_persons_exact"), (int)num(t, "media_with_truth"),
            (int)num(t, "baseline_persons_exact"), (int)num(t, "media_with_truth"),
            (int)num(t, "ours_same_frame_merges"), (int)num(t, "baseline_same_frame_merges"),
            100 * num(t, "pair_agreement"));
    if (cJSON_GetObjectItemCaseSensitive(t, "labelled_media"))
        fprintf(out, "hand-labelled pairs (%d media): precision / recall ours %.1f%% / %.1f%%, giphy %.1f%% / %.1f%%\n",
                (int)num(t, "labelled_media"), 100 * num(t, "ours_pair_precision"),
                100 * num(t, "ours_pair_recall"), 100 * num(t, "baseline_pair_precision"),
                100 * num(t, "baseline_pair_recall"));
}

// ----------------------------------------------------------------------------
// CSV

int eval_write_curve_csv(const char *path, const cJSON *doc)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return -1;
    }
    fprintf(f, "threshold,coverage,precision\n");
    const cJSON *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(doc, "coverage_precision"))
        fprintf(f, "%.2f,%.6f,%.6f\n", num(o, "threshold"), num(o, "coverage"), num(o, "precision"));
    return fclose(f) == 0 ? 0 : -1;
}

int eval_write_pairs_csv(const char *path, const eval_pair *p, long n)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return -1;
    }
    fprintf(f, "threshold,accuracy,true_accept,false_accept\n");
    for (int s = 0; s < EVAL_T_COUNT; s++) {
        double acc, tar, far;
        eval_pairs_at(p, n, eval_grid_threshold(s), -1, -1, &acc, &tar, &far);
        fprintf(f, "%.2f,%.6f,%.6f,%.6f\n", eval_grid_threshold(s), acc, tar, far);
    }
    return fclose(f) == 0 ? 0 : -1;
}
