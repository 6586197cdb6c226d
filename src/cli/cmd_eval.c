/* cmd_eval.c - `celeb eval`: how well the detector names people, on a
 * labelled folder (DIR/<Person>/<photos>), leave-one-out: every photo is a
 * query against a gallery of all the other photos.
 *
 * A query is right when it is named as its person, or, for a person with no
 * other photo (so not in the query's gallery), when it comes out unknown.
 * A photo where no face is found counts as wrong (detection included), but
 * as right for a person with no other photo (unknown is the right answer). */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_common.h"
#include "commands.h"
#include "face/faces.h"
#include "gallery/gallery.h"
#include "identify/identify.h"
#include "media/media.h"

typedef struct photo {
    char name[GALLERY_NAME_MAX];
    char path[GALLERY_SOURCE_MAX];
    int has_face;
    float descriptor[GALLERY_DIM];
    int others;          /* photos of the same person with a face, besides this one */
} photo;

static void eval_usage(FILE *out)
{
    fprintf(out,
            "usage: celeb eval [OPTIONS] DIR\n"
            "\n"
            "Leave-one-out accuracy on DIR/<Person>/<photos>: each photo is named against a\n"
            "gallery of all the others. Prints detection rate, top-1 and top-5, unknown\n"
            "rejection for people with one photo, the share of photos named right, accuracy\n"
            "by threshold, verification accuracy on all pairs, a coverage-precision table and\n"
            "faces/s.\n"
            "\n"
            "options:\n"
            "  --unknown-distance D  threshold under test (default 0.55)\n"
            "  --json                one JSON document instead of text\n"
            "  --align dlib|similarity  the recognition crop: face-api's, or fitted to 5 landmarks (default)\n"
            "  --threads N           threads\n"
            "  --models DIR          model folder\n");
}

/* The photos of the labelled folder, with no descriptor yet. */
static int list_photos(const char *dir, photo **out, int *n)
{
    cli_photo *files;
    *out = NULL;
    if (cli_list_photos(dir, &files, n) < 0)
        return -1;
    *out = calloc((size_t)(*n > 0 ? *n : 1), sizeof **out);
    for (int i = 0; *out && i < *n; i++) {
        memcpy((*out)[i].name, files[i].name, sizeof (*out)[i].name);
        memcpy((*out)[i].path, files[i].path, sizeof (*out)[i].path);
    }
    free(files);
    return *out ? 0 : -1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The gallery of every photo with a face except `skip`. */
static int index_without(const photo *ph, int n, int skip, gallery_face *buf, identify_index **ix,
                         celeb_error *err)
{
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (i == skip || !ph[i].has_face)
            continue;
        memset(&buf[k], 0, sizeof buf[k]);
        memcpy(buf[k].name, ph[i].name, sizeof buf[k].name);
        memcpy(buf[k].descriptor, ph[i].descriptor, sizeof buf[k].descriptor);
        k++;
    }
    return identify_index_build(buf, k, ix, err);
}

typedef struct query {
    identify_result r;
    int in_gallery;   /* the person has another photo with a face */
} query;

static int right_at(const photo *p, const query *q, double threshold)
{
    int known = p->has_face && q->r.n_candidates > 0 && q->r.distance < threshold;
    if (!q->in_gallery)
        return !known;
    return known && !strcmp(q->r.candidates[0].name, p->name);
}

int cmd_eval(int argc, char **argv)
{
    face_engine_options opt = {.detector = FACE_DETECTOR_SSD, .find_tight_crops = 1,
                               .align = FACE_ALIGN_SIMILARITY};
    float threshold = IDENTIFY_DEFAULT_THRESHOLD;
    int json = 0;
    static const struct option opts[] = {
        {"unknown-distance", required_argument, 0, 'u'}, {"json", no_argument, 0, 'j'},
        {"threads", required_argument, 0, 't'},          {"models", required_argument, 0, 'm'},
        {"align", required_argument, 0, 'a'},            {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'u': threshold = strtof(optarg, NULL); break;
        case 'j': json = 1; break;
        case 'a':
            if (strcmp(optarg, "dlib") && strcmp(optarg, "similarity")) {
                fprintf(stderr, "celeb eval: --align must be dlib or similarity\n");
                return 2;
            }
            opt.align = strcmp(optarg, "dlib") ? FACE_ALIGN_SIMILARITY : FACE_ALIGN_DLIB;
            break;
        case 't': opt.threads = atoi(optarg); break;
        case 'm': opt.model_dir = optarg; break;
        case 'h': eval_usage(stdout); return 0;
        default: eval_usage(stderr); return 2;
        }
    }
    if (argc - optind != 1 || !(threshold > 0)) {
        eval_usage(stderr);
        return 2;
    }
    photo *ph;
    int n;
    if (list_photos(argv[optind], &ph, &n) < 0 || n == 0) {
        fprintf(stderr, "celeb eval: no DIR/<Person>/<photo> under %s\n", argv[optind]);
        free(ph);
        return 2;
    }
    face_engine e;
    celeb_error err = {0};
    if (face_engine_open(&e, &opt, &err) < 0) {
        fprintf(stderr, "celeb eval: %s\n", err.message);
        free(ph);
        return 1;
    }

    // 1. one descriptor per photo (the largest face)
    double t0 = now_s();
    int detected = 0, faces_total = 0;
    for (int i = 0; i < n; i++) {
        image img;
        face *faces = NULL;
        int nf = 0;
        if (media_read_frame(ph[i].path, 0, &img, &err) == 0) {
            if (face_engine_run(&e, &img, &faces, &nf, &err) == 0 && nf > 0) {
                int best = 0;
                for (int f = 1; f < nf; f++)
                    if (faces[f].box.w * faces[f].box.h > faces[best].box.w * faces[best].box.h)
                        best = f;
                memcpy(ph[i].descriptor, faces[best].descriptor, sizeof ph[i].descriptor);
                ph[i].has_face = 1;
                detected++;
                faces_total += nf;
            }
            free(faces);
            image_free(&img);
        }
        if (!json)
            fprintf(stderr, "\r[%d/%d] %s", i + 1, n, ph[i].name);
    }
    double seconds = now_s() - t0;
    if (!json)
        fprintf(stderr, "\n");
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            ph[i].others += j != i && ph[j].has_face && !strcmp(ph[i].name, ph[j].name);

    // 2. leave-one-out queries
    query *q = calloc((size_t)(n > 0 ? n : 1), sizeof *q);
    gallery_face *buf = malloc((size_t)(n > 0 ? n : 1) * sizeof *buf);
    identify_options io = {.threshold = threshold};
    for (int i = 0; q && buf && i < n; i++) {
        q[i].in_gallery = ph[i].others > 0;
        identify_index *ix = NULL;
        if (ph[i].has_face && index_without(ph, n, i, buf, &ix, &err) == 0)
            identify_face(ix, ph[i].descriptor, &io, &q[i].r);
        identify_index_free(ix);
    }

    // 3. metrics
    int right = 0, top1 = 0, top5 = 0, in_gallery = 0, singles = 0, singles_unknown = 0;
    for (int i = 0; q && i < n; i++) {
        right += right_at(&ph[i], &q[i], threshold);
        if (!q[i].in_gallery) {
            singles++;
            singles_unknown += right_at(&ph[i], &q[i], threshold);
            continue;
        }
        in_gallery++;
        for (int k = 0; k < q[i].r.n_candidates; k++)
            if (!strcmp(q[i].r.candidates[k].name, ph[i].name)) {
                top1 += k == 0;
                top5 += 1;
                break;
            }
    }
    /* verification on every pair of photos with a face */
    long pairs = 0, correct_at = 0;
    double best_acc = 0, best_t = 0;
    static const int steps = 41;   /* thresholds 0.40 .. 0.80 */
    long *correct_t = calloc(steps, sizeof *correct_t);
    for (int i = 0; correct_t && i < n; i++)
        for (int j = i + 1; j < n; j++) {
            if (!ph[i].has_face || !ph[j].has_face)
                continue;
            double d = identify_distance(ph[i].descriptor, ph[j].descriptor);
            int same = !strcmp(ph[i].name, ph[j].name);
            pairs++;
            correct_at += (d < threshold) == same;
            for (int s = 0; s < steps; s++)
                correct_t[s] += (d < 0.40 + 0.01 * s) == same;
        }
    for (int s = 0; correct_t && pairs && s < steps; s++)
        if ((double)correct_t[s] / pairs > best_acc) {
            best_acc = (double)correct_t[s] / pairs;
            best_t = 0.40 + 0.01 * s;
        }

    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "schema", "celeb.eval/1");
    cJSON_AddStringToObject(doc, "folder", argv[optind]);
    cJSON_AddNumberToObject(doc, "photos", n);
    cJSON_AddNumberToObject(doc, "threshold", threshold);
    cJSON_AddNumberToObject(doc, "detection_rate", (double)detected / n);
    cJSON_AddNumberToObject(doc, "right", (double)right / n);
    cJSON_AddNumberToObject(doc, "top1", in_gallery ? (double)top1 / in_gallery : 0);
    cJSON_AddNumberToObject(doc, "top5", in_gallery ? (double)top5 / in_gallery : 0);
    cJSON_AddNumberToObject(doc, "unknown_rejection", singles ? (double)singles_unknown / singles : 0);
    cJSON_AddNumberToObject(doc, "verification_pairs", (double)pairs);
    cJSON_AddNumberToObject(doc, "verification_accuracy", pairs ? (double)correct_at / pairs : 0);
    cJSON_AddNumberToObject(doc, "verification_best_threshold", best_t);
    cJSON_AddNumberToObject(doc, "verification_best_accuracy", best_acc);
    cJSON_AddNumberToObject(doc, "faces_per_s", seconds > 0 ? faces_total / seconds : 0);
    /* the share named right at each threshold (leave-one-out) */
    cJSON *by_t = cJSON_AddArrayToObject(doc, "right_by_threshold");
    for (int s = 0; q && s <= 8; s++) {
        double t = 0.40 + 0.05 * s;
        int r = 0;
        for (int i = 0; i < n; i++)
            r += right_at(&ph[i], &q[i], t);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "threshold", t);
        cJSON_AddNumberToObject(o, "right", (double)r / n);
        cJSON_AddItemToArray(by_t, o);
    }
    cJSON *wrong = cJSON_AddArrayToObject(doc, "wrong");
    for (int i = 0; q && i < n; i++) {
        if (right_at(&ph[i], &q[i], threshold))
            continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "photo", ph[i].path);
        cJSON_AddStringToObject(o, "person", ph[i].name);
        cJSON_AddStringToObject(o, "named", !ph[i].has_face ? "(no face)" : q[i].r.n_candidates && q[i].r.distance < threshold ? q[i].r.candidates[0].name : "unknown");
        if (q[i].r.n_candidates)
            cJSON_AddNumberToObject(o, "distance", q[i].r.distance);
        cJSON_AddItemToArray(wrong, o);
    }
    if (json) {
        cli_print_json(doc);
    } else {
        printf("photos %d, faces found in %d (%.1f%%), %.1f faces/s\n", n, detected, 100.0 * detected / n,
               seconds > 0 ? faces_total / seconds : 0);
        printf("named right (leave-one-out, detection included): %d/%d = %.1f%% at threshold %.2f\n",
               right, n, 100.0 * right / n, threshold);
        printf("top-1 %.1f%%, top-5 %.1f%% of %d photos whose person has another photo\n",
               in_gallery ? 100.0 * top1 / in_gallery : 0, in_gallery ? 100.0 * top5 / in_gallery : 0, in_gallery);
        printf("unknown rejection: %d/%d photos of people with no other photo\n", singles_unknown, singles);
        printf("verification on %ld pairs: %.2f%% at %.2f, best %.2f%% at %.2f\n", pairs,
               pairs ? 100.0 * correct_at / pairs : 0, threshold, 100 * best_acc, best_t);
        printf("named right by threshold:");
        const cJSON *o;
        cJSON_ArrayForEach(o, by_t)
            printf(" %.2f:%.1f%%", cJSON_GetObjectItem(o, "threshold")->valuedouble,
                   100 * cJSON_GetObjectItem(o, "right")->valuedouble);
        printf("\nwrong:\n");
        cJSON_ArrayForEach(o, wrong)
            printf("  %s -> %s\n", cJSON_GetObjectItem(o, "photo")->valuestring,
                   cJSON_GetObjectItem(o, "named")->valuestring);
        cJSON_Delete(doc);
    }
    free(correct_t);
    free(buf);
    free(q);
    free(ph);
    face_engine_close(&e);
    return 0;
}
