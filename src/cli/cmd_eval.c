/* cmd_eval.c - `celeb eval`: how well the detector names people.
 *
 *   celeb eval DIR                     leave-one-out on DIR/<Person>/<photos>: every
 *                                      photo named against a gallery of all the others
 *   celeb eval --gallery G DIR         probe: DIR's photos named against an enrolled
 *                                      gallery; people not in G should come out unknown
 *   celeb eval --pairs pairs.txt DIR   LFW's verification protocol
 *   celeb eval --grouping MEDIA...     our grouping of a media's faces into persons
 *                                      against GIPHY's Gaussian-mixture baseline
 *
 * A query is right when it is named as its person, or, for a person not in
 * the gallery searched, when it comes out unknown; a photo where no face is
 * found is wrong (detection included), except for such a stranger.
 *
 * This file reads the arguments, gathers the answers and hands them on: the
 * figures come from src/eval/ (metrics.h, pairs.h, grouping.h, truth.h, the
 * baseline from src/group/gmm.h), and report.h turns them into one JSON
 * document (--json), the text report, and the CSV of --curve FILE (the
 * coverage-precision table, or for pairs the accuracy by threshold). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "celeb.h"
#include "cli_common.h"
#include "commands.h"
#include "gallery/folder.h"
#include "eval/grouping.h"
#include "eval/metrics.h"
#include "eval/pairs.h"
#include "eval/photo.h"
#include "eval/report.h"
#include "eval/truth.h"
#include "face/faces.h"
#include "gallery/gallery.h"
#include "identify/identify.h"
#include "core/clock.h"

typedef enum eval_mode { MODE_LEAVE_ONE_OUT, MODE_PROBE, MODE_PAIRS, MODE_GROUPING } eval_mode;

typedef struct eval_args {
    eval_mode mode;
    face_engine_options opt;   /* the engine for labelled photos */
    float threshold;
    int json;
    const char *gallery;       /* --gallery */
    int align_given;           /* --align was given */
    const char *pairs;         /* --pairs */
    const char *curve;         /* --curve: CSV output */
    const char *truth;         /* --truth: manifest with the true number of people */
    const char *face_truth;    /* --face-truth: hand labels per face */
    char **inputs;             /* DIR, or the media of --grouping */
    int n_inputs;
} eval_args;

typedef struct photo {
    char name[GALLERY_NAME_MAX];
    char path[GALLERY_SOURCE_MAX];
    int has_face;
    float descriptor[GALLERY_DIM];
} photo;

/* Faces found and time spent describing photos, for faces/s. */
typedef struct throughput {
    int faces;
    double seconds;
} throughput;

static void eval_usage(FILE *out)
{
    fprintf(out,
            "usage: celeb eval [OPTIONS] DIR                 leave-one-out on DIR/<Person>/<photos>\n"
            "       celeb eval [OPTIONS] --gallery G DIR     DIR's photos against gallery G\n"
            "       celeb eval [OPTIONS] --pairs FILE DIR    LFW pairs.txt verification\n"
            "       celeb eval [OPTIONS] --grouping MEDIA... our grouping vs GIPHY's baseline\n"
            "\n"
            "Leave-one-out names each photo against a gallery of all the others; with --gallery\n"
            "each photo is named against an enrolled gallery (people not in it should come out\n"
            "unknown). Both print the detection rate, top-1 and top-5, the share named right,\n"
            "unknown rejection, accuracy by threshold, verification accuracy on pairs, a\n"
            "coverage-precision table and faces/s.\n"
            "\n"
            "--pairs reads LFW's pairs.txt (\"N\" or \"FOLDS N\", then \"name i j\" and\n"
            "\"name1 i name2 j\" lines); photo i of a name is DIR/name/name_%%04d.jpg if it exists,\n"
            "else the i-th (1-based) file of DIR/name/ in sorted file name order. Prints the\n"
            "accuracy at the threshold, at the best threshold, over folds (LFW's protocol), and\n"
            "the pairs with a photo where no face was found.\n"
            "\n"
            "--grouping runs celeb detect on each MEDIA and groups the same faces two ways: ours\n"
            "(average linkage, never two faces of one frame) and GIPHY's (a Gaussian mixture\n"
            "seeded at the predicted classes' centres); prints persons found by each, faces of\n"
            "one frame merged, pairwise agreement and purity against per-face names.\n"
            "\n"
            "options:\n"
            "  --unknown-distance D  threshold under test (default 0.54)\n"
            "  --json                one JSON document instead of text\n"
            "  --curve FILE.csv      also write the coverage-precision table (threshold,coverage,\n"
            "                        precision), or with --pairs threshold,accuracy,true_accept,\n"
            "                        false_accept, as CSV\n"
            "  --gallery FILE        the gallery (probe mode; --grouping: default as celeb detect)\n"
            "  --pairs FILE          LFW pairs file\n"
            "  --grouping            compare the groupings on MEDIA...\n"
            "  --truth FILE.tsv      --grouping: true number of people from a manifest with path\n"
            "                        and labels columns (e.g. ../shared/data/MANIFEST.tsv)\n"
            "  --face-truth FILE.tsv --grouping: hand labels per face (columns media, frame, x, y,\n"
            "                        person: the face of that frame whose box holds x,y); adds\n"
            "                        pairwise precision and recall of both groupings\n"
            "  --align chip|faceapi|similarity  the recognition crop of photos: dlib's face chip\n"
            "                        (default, as enroll), face-api's square, or our earlier\n"
            "                        5-point similarity crop; with --gallery, the gallery's\n"
            "  --jitter N            average each photo's descriptor over N jittered copies of\n"
            "                        its chip (default 1: none; enroll's default is %d)\n"
            "  --threads N           threads\n"
            "  --models DIR          model folder\n", CELEB_ENROLL_JITTER);
}

// ----------------------------------------------------------------------------
// Arguments

static int parse_args(int argc, char **argv, eval_args *a)
{
    *a = (eval_args){.opt = {.detector = FACE_DETECTOR_SSD, .find_tight_crops = 1, .expect_face = 1,
                             .align = CELEB_ALIGN_DEFAULT},
                     .threshold = IDENTIFY_DEFAULT_THRESHOLD};
    int grouping = 0, c;
    static const struct option opts[] = {
        {"unknown-distance", required_argument, 0, 'u'}, {"json", no_argument, 0, 'j'},
        {"threads", required_argument, 0, 't'},          {"models", required_argument, 0, 'm'},
        {"align", required_argument, 0, 'a'},            {"gallery", required_argument, 0, 'g'},
        {"pairs", required_argument, 0, 'p'},            {"curve", required_argument, 0, 'c'},
        {"grouping", no_argument, 0, 'G'},               {"truth", required_argument, 0, 'T'},
        {"face-truth", required_argument, 0, 'L'},       {"help", no_argument, 0, 'h'},
        {"jitter", required_argument, 0, 'J'},
        {0, 0, 0, 0}};
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'u': a->threshold = strtof(optarg, NULL); break;
        case 'j': a->json = 1; break;
        case 'a':
            if (cli_parse_align("eval", optarg, &a->opt.align) < 0)
                return 2;
            a->align_given = 1;
            break;
        case 'J':
            if (cli_parse_jitter("eval", optarg, &a->opt.jitter) < 0)
                return 2;
            break;
        case 't': a->opt.threads = atoi(optarg); break;
        case 'm': a->opt.model_dir = optarg; break;
        case 'g': a->gallery = optarg; break;
        case 'p': a->pairs = optarg; break;
        case 'c': a->curve = optarg; break;
        case 'G': grouping = 1; break;
        case 'T': a->truth = optarg; break;
        case 'L': a->face_truth = optarg; break;
        case 'h': eval_usage(stdout); return 0;
        default: eval_usage(stderr); return 2;
        }
    }
    a->mode = grouping ? MODE_GROUPING : a->pairs ? MODE_PAIRS : a->gallery ? MODE_PROBE : MODE_LEAVE_ONE_OUT;
    a->inputs = argv + optind;
    a->n_inputs = argc - optind;
    const char *bad = !(a->threshold > 0) ? "--unknown-distance must be a positive number"
                      : a->pairs && (a->gallery || grouping) ? "--pairs goes with neither --gallery nor --grouping"
                      : (a->truth || a->face_truth) && !grouping ? "--truth and --face-truth go with --grouping"
                      : grouping && a->curve ? "--curve does not apply to --grouping"
                      : grouping && a->n_inputs < 1 ? "--grouping needs MEDIA..."
                      : !grouping && a->n_inputs != 1 ? "one DIR expected" : NULL;
    if (bad) {
        fprintf(stderr, "celeb eval: %s\n", bad);
        eval_usage(stderr);
        return 2;
    }
    return -1;   /* go on */
}

// ----------------------------------------------------------------------------
// Labelled photos and their descriptors

static int list_photos(const char *dir, photo **out, int *n)
{
    folder_photo *files;
    int nf;
    celeb_error err = {0};
    *out = NULL;
    *n = 0;
    if (folder_list(dir, &files, &nf, &err) < 0) {
        fprintf(stderr, "celeb eval: %s\n", err.message);
        return -1;
    }
    *out = calloc((size_t)(nf ? nf : 1), sizeof **out);
    for (int i = 0; *out && i < nf; i++) {
        if (files[i].problem[0]) {
            fprintf(stderr, "celeb eval: %s: left out: %s\n", files[i].path, files[i].problem);
            continue;
        }
        snprintf((*out)[*n].name, sizeof (*out)[*n].name, "%s", files[i].name);
        snprintf((*out)[*n].path, sizeof (*out)[*n].path, "%s", files[i].path);
        (*n)++;
    }
    free(files);
    if (*out && *n == 0) {
        fprintf(stderr, "celeb eval: no DIR/<Person>/<photo> under %s\n", dir);
        free(*out);
        *out = NULL;
    }
    return *out ? 0 : -1;
}

/* One descriptor per photo (its largest face). */
static void describe_photos(face_engine *e, photo *ph, int n, int quiet, throughput *tp)
{
    double t0 = clock_s();
    for (int i = 0; i < n; i++) {
        celeb_error err = {0};
        int faces = 0;
        ph[i].has_face = eval_photo_descriptor(e, ph[i].path, ph[i].descriptor, &faces, &err) > 0;
        tp->faces += faces;
        if (!quiet)
            fprintf(stderr, "\r[%d/%d] %-40.40s", i + 1, n, ph[i].name);
    }
    tp->seconds = clock_s() - t0;
    if (!quiet && n > 0)
        fprintf(stderr, "\n");
}

static int open_engine(const eval_args *a, face_engine *e)
{
    celeb_error err = {0};
    if (face_engine_open(e, &a->opt, &err) < 0) {
        fprintf(stderr, "celeb eval: %s\n", err.message);
        return -1;
    }
    return 0;
}

/* The photos of dir with their descriptors; -1 (message printed) on failure. */
static int described_photos(const eval_args *a, const char *dir, photo **ph, int *n, throughput *tp)
{
    face_engine e;
    if (list_photos(dir, ph, n) < 0)
        return -1;
    if (open_engine(a, &e) < 0) {
        free(*ph);
        *ph = NULL;
        return -1;
    }
    describe_photos(&e, *ph, *n, a->json, tp);
    face_engine_close(&e);
    return 0;
}

/* Prints doc (text or JSON), writes the CSV; frees doc. Returns the exit status. */
static int finish_identification(const eval_args *a, cJSON *doc, const char *what)
{
    int status = a->curve && eval_write_curve_csv(a->curve, doc) < 0 ? 1 : 0;
    if (a->json) {
        cli_print_json(doc);
        return status;
    }
    eval_print_identification(stdout, doc, what);
    cJSON_Delete(doc);
    return status;
}

// ----------------------------------------------------------------------------
// Leave-one-out

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

static void leave_one_out_queries(const photo *ph, int n, float threshold, eval_query *q, gallery_face *buf)
{
    identify_options io = {.threshold = threshold};
    for (int i = 0; i < n; i++) {
        q[i].photo = ph[i].path;
        memcpy(q[i].person, ph[i].name, sizeof q[i].person);
        q[i].has_face = ph[i].has_face;
        for (int j = 0; j < n && !q[i].in_gallery; j++)
            q[i].in_gallery = j != i && ph[j].has_face && !strcmp(ph[i].name, ph[j].name);
        identify_index *ix = NULL;
        celeb_error err = {0};
        if (ph[i].has_face && index_without(ph, n, i, buf, &ix, &err) == 0)
            identify_face(ix, ph[i].descriptor, &io, &q[i].r);
        identify_index_free(ix);
    }
}

/* Every pair of photos with a face (same person or not). */
static eval_pair *all_pairs(const photo *ph, int n, long *count)
{
    long k = 0;
    eval_pair *p = malloc(((size_t)n * (n > 1 ? n - 1 : 1) / 2 + 1) * sizeof *p);
    for (int i = 0; p && i < n; i++)
        for (int j = i + 1; j < n; j++) {
            if (!ph[i].has_face || !ph[j].has_face)
                continue;
            p[k++] = (eval_pair){identify_distance(ph[i].descriptor, ph[j].descriptor),
                                 !strcmp(ph[i].name, ph[j].name), 0, 1};
        }
    *count = k;
    return p;
}

static int run_leave_one_out(const eval_args *a)
{
    photo *ph;
    int n;
    throughput tp = {0};
    if (described_photos(a, a->inputs[0], &ph, &n, &tp) < 0)
        return 1;
    eval_query *q = calloc((size_t)n, sizeof *q);
    gallery_face *buf = malloc((size_t)n * sizeof *buf);
    long npairs = 0;
    eval_pair *pairs = all_pairs(ph, n, &npairs);
    if (!q || !buf || !pairs) {
        fprintf(stderr, "celeb eval: out of memory\n");
        free(q), free(buf), free(pairs), free(ph);
        return 1;
    }
    leave_one_out_queries(ph, n, a->threshold, q, buf);
    eval_verify v;
    eval_verification(pairs, npairs, a->threshold, 0, &v);
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "schema", "celeb.eval/1");
    cJSON_AddStringToObject(doc, "mode", "leave-one-out");
    cJSON_AddStringToObject(doc, "folder", a->inputs[0]);
    eval_add_identification(doc, q, n, a->threshold);
    eval_add_verification(doc, &v);
    cJSON_AddNumberToObject(doc, "faces_per_s", tp.seconds > 0 ? tp.faces / tp.seconds : 0);
    free(q), free(buf), free(pairs), free(ph);
    return finish_identification(a, doc, "leave-one-out");
}

// ----------------------------------------------------------------------------
// Probe: photos against an enrolled gallery

/* The gallery's faces and the crop they were made with (the probes' too). */
/* The gallery's faces, its crop and its confidence model (may be NULL). */
static int read_gallery(const char *path, gallery_face **faces, int *n, face_align *align,
                        identify_model *model)
{
    gallery *g;
    celeb_error err = {0};
    *faces = NULL;
    *n = 0;
    if (gallery_open(path, 0, &g, &err) < 0) {
        fprintf(stderr, "celeb eval: %s\n", err.message);
        return -1;
    }
    int rc = celeb_gallery_align(g, align, &err);
    if (rc == 0 && model)
        rc = celeb_gallery_model(g, model, &err);
    if (rc == 0)
        rc = gallery_faces(g, NULL, faces, n, &err);
    gallery_close(g);
    if (rc < 0)
        fprintf(stderr, "celeb eval: %s\n", err.message);
    return rc < 0 ? -1 : 0;
}

static int enrolled(const gallery_face *gf, int ng, const char *name)
{
    for (int i = 0; i < ng; i++)
        if (!strcmp(gf[i].name, name))
            return 1;
    return 0;
}

/* Every probe with a face against every enrolled face. */
static eval_pair *probe_pairs(const photo *ph, int n, const gallery_face *gf, int ng, long *count)
{
    long k = 0;
    eval_pair *p = malloc(((size_t)n * ng + 1) * sizeof *p);
    for (int i = 0; p && i < n; i++)
        for (int j = 0; ph[i].has_face && j < ng; j++)
            p[k++] = (eval_pair){identify_distance(ph[i].descriptor, gf[j].descriptor),
                                 !strcmp(ph[i].name, gf[j].name), 0, 1};
    *count = k;
    return p;
}

static int probe_queries(const photo *ph, int n, const gallery_face *gf, int ng,
                         const identify_model *model, float threshold, eval_query *q)
{
    identify_index *ix = NULL;
    celeb_error err = {0};
    if (identify_index_build(gf, ng, &ix, &err) < 0) {
        fprintf(stderr, "celeb eval: %s\n", err.message);
        return -1;
    }
    identify_index_set_model(ix, model);
    identify_options io = {.threshold = threshold};
    for (int i = 0; i < n; i++) {
        q[i].photo = ph[i].path;
        memcpy(q[i].person, ph[i].name, sizeof q[i].person);
        q[i].has_face = ph[i].has_face;
        q[i].in_gallery = enrolled(gf, ng, ph[i].name);
        if (ph[i].has_face)
            identify_face(ix, ph[i].descriptor, &io, &q[i].r);
    }
    identify_index_free(ix);
    return 0;
}

static int run_probe(const eval_args *a)
{
    gallery_face *gf;
    int ng, n;
    photo *ph;
    throughput tp = {0};
    eval_args probe = *a;
    identify_model model;
    if (read_gallery(a->gallery, &gf, &ng, &probe.opt.align, &model) < 0)
        return 1;
    if (a->align_given && a->opt.align != probe.opt.align) {
        fprintf(stderr, "celeb eval: %s holds faces of the %s crop: probes must use it too\n",
                a->gallery, celeb_align_name(probe.opt.align));
        free(gf);
        return 2;
    }
    if (described_photos(&probe, a->inputs[0], &ph, &n, &tp) < 0) {
        free(gf);
        return 1;
    }
    eval_query *q = calloc((size_t)n, sizeof *q);
    long npairs = 0;
    eval_pair *pairs = probe_pairs(ph, n, gf, ng, &npairs);
    if (!q || !pairs || probe_queries(ph, n, gf, ng, &model, a->threshold, q) < 0) {
        free(q), free(pairs), free(ph), free(gf);
        return 1;
    }
    eval_verify v;
    eval_verification(pairs, npairs, a->threshold, 0, &v);
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "schema", "celeb.eval/1");
    cJSON_AddStringToObject(doc, "mode", "probe");
    cJSON_AddStringToObject(doc, "folder", a->inputs[0]);
    cJSON_AddStringToObject(doc, "gallery", a->gallery);
    cJSON_AddNumberToObject(doc, "gallery_faces", ng);
    eval_add_identification(doc, q, n, a->threshold);
    eval_add_verification(doc, &v);   /* probe x enrolled face pairs */
    cJSON_AddNumberToObject(doc, "faces_per_s", tp.seconds > 0 ? tp.faces / tp.seconds : 0);
    free(q), free(pairs), free(ph), free(gf);
    return finish_identification(a, doc, "against the gallery");
}

// ----------------------------------------------------------------------------
// Pairs (LFW)

static int by_path(const void *x, const void *y)
{
    return strcmp(((const photo *)x)->path, ((const photo *)y)->path);
}

/* The two photos of every pair, in pair order (all: 2 per pair), and the
 * distinct ones sorted by path (uniq), paths resolved under dir. */
static int pair_photos(const pairs_list *pl, const char *dir, photo **all, photo **uniq, int *n)
{
    photo *ph = calloc((size_t)pl->n * 2 + 1, sizeof *ph), *u = calloc((size_t)pl->n * 2 + 1, sizeof *u);
    int k = 0, rc = ph && u ? 0 : -1;
    for (int i = 0; rc == 0 && i < pl->n; i++)
        for (int s = 0; rc == 0 && s < 2; s++, k++) {
            celeb_error err = {0};
            memcpy(ph[k].name, pl->e[i].name[s], sizeof ph[k].name);
            rc = pairs_photo_path(dir, pl->e[i].name[s], pl->e[i].idx[s], ph[k].path,
                                  sizeof ph[k].path, &err);
            if (rc < 0)
                fprintf(stderr, "celeb eval: line %d: %s\n", pl->e[i].line, err.message);
        }
    if (rc < 0) {
        free(ph);
        free(u);
        return -1;
    }
    memcpy(u, ph, (size_t)k * sizeof *u);
    qsort(u, (size_t)k, sizeof *u, by_path);
    int m = 0;
    for (int i = 0; i < k; i++)
        if (m == 0 || strcmp(u[m - 1].path, u[i].path))
            u[m++] = u[i];
    *all = ph;
    *uniq = u;
    *n = m;
    return 0;
}

static eval_pair *pairs_of_list(const pairs_list *pl, const photo *all, const photo *uniq, int n,
                                cJSON *no_face)
{
    eval_pair *p = calloc((size_t)pl->n + 1, sizeof *p);
    for (int i = 0; p && i < pl->n; i++) {
        const photo *a = bsearch(&all[2 * i], uniq, (size_t)n, sizeof *uniq, by_path);
        const photo *b = bsearch(&all[2 * i + 1], uniq, (size_t)n, sizeof *uniq, by_path);
        p[i].same = pl->e[i].same;
        p[i].fold = pl->e[i].fold;
        p[i].valid = a && b && a->has_face && b->has_face;
        if (p[i].valid) {
            p[i].distance = identify_distance(a->descriptor, b->descriptor);
            continue;
        }
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "line", pl->e[i].line);
        cJSON_AddStringToObject(o, "photo", a && a->has_face ? all[2 * i + 1].path : all[2 * i].path);
        cJSON_AddItemToArray(no_face, o);
    }
    return p;
}

static void add_roc_point(cJSON *o, const char *key, double tar, float threshold)
{
    cJSON *p = cJSON_AddObjectToObject(o, key);
    cJSON_AddNumberToObject(p, "tar", tar);
    cJSON_AddNumberToObject(p, "threshold", threshold);
}

/* Every pair of distinct photos with a face: same person or not. */
static eval_roc *all_photo_pairs(const photo *ph, int n)
{
    eval_roc *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; ph[i].has_face && j < n; j++)
            if (ph[j].has_face)
                eval_roc_add(r, identify_distance(ph[i].descriptor, ph[j].descriptor),
                             !strcmp(ph[i].name, ph[j].name));
    return r;
}

static cJSON *pairs_doc(const eval_args *a, const pairs_list *pl, const eval_verify *v, int photos,
                        const throughput *tp, const eval_roc *photo_roc, cJSON *no_face)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "schema", "celeb.eval/1");
    cJSON_AddStringToObject(doc, "mode", "pairs");
    cJSON_AddStringToObject(doc, "pairs_file", a->pairs);
    cJSON_AddStringToObject(doc, "folder", a->inputs[0]);
    cJSON_AddNumberToObject(doc, "photos", photos);
    cJSON_AddNumberToObject(doc, "folds", pl->folds);
    cJSON_AddNumberToObject(doc, "pairs", (double)v->pairs);
    cJSON_AddNumberToObject(doc, "same_pairs", (double)v->same);
    cJSON_AddNumberToObject(doc, "different_pairs", (double)v->different);
    cJSON_AddNumberToObject(doc, "no_face_pairs", (double)v->no_face);
    cJSON_AddNumberToObject(doc, "threshold", eval_shown_threshold(v->threshold));
    cJSON_AddNumberToObject(doc, "accuracy", v->accuracy);
    cJSON_AddNumberToObject(doc, "accuracy_no_face_wrong", v->accuracy_all);
    cJSON_AddNumberToObject(doc, "true_accept", v->true_accept);
    cJSON_AddNumberToObject(doc, "false_accept", v->false_accept);
    cJSON_AddNumberToObject(doc, "best_threshold", eval_shown_threshold(v->best_threshold));
    cJSON_AddNumberToObject(doc, "best_accuracy", v->best_accuracy);
    if (v->folds >= 2) {
        cJSON_AddNumberToObject(doc, "cv_accuracy", v->cv_accuracy);
        cJSON_AddNumberToObject(doc, "cv_stderr", v->cv_stderr);
        cJSON_AddNumberToObject(doc, "cv_threshold", v->cv_threshold);
    }
    cJSON *roc = cJSON_AddObjectToObject(doc, "roc");
    add_roc_point(roc, "far_1e-3", v->tar_far3, v->t_far3);
    add_roc_point(roc, "far_1e-4", v->tar_far4, v->t_far4);
    cJSON *all = cJSON_AddObjectToObject(doc, "roc_all_photo_pairs");
    cJSON_AddNumberToObject(all, "same_pairs", (double)photo_roc->n_genuine);
    cJSON_AddNumberToObject(all, "different_pairs", (double)photo_roc->n_impostor);
    float t;
    double tar = eval_roc_tar(photo_roc, 1e-3, &t);
    add_roc_point(all, "far_1e-3", tar, t);
    tar = eval_roc_tar(photo_roc, 1e-4, &t);
    add_roc_point(all, "far_1e-4", tar, t);
    cJSON_AddNumberToObject(doc, "faces_per_s", tp->seconds > 0 ? tp->faces / tp->seconds : 0);
    cJSON_AddItemToObject(doc, "no_face", no_face);
    return doc;
}

static int run_pairs(const eval_args *a)
{
    pairs_list pl;
    celeb_error err = {0};
    if (pairs_read(a->pairs, &pl, &err) < 0) {
        fprintf(stderr, "celeb eval: %s\n", err.message);
        return 2;
    }
    photo *all, *ph;
    int n;
    face_engine e;
    if (pair_photos(&pl, a->inputs[0], &all, &ph, &n) < 0) {
        pairs_free(&pl);
        return 2;
    }
    if (open_engine(a, &e) < 0) {
        free(all);
        free(ph);
        pairs_free(&pl);
        return 1;
    }
    throughput tp = {0};
    describe_photos(&e, ph, n, a->json, &tp);
    face_engine_close(&e);
    cJSON *no_face = cJSON_CreateArray();
    eval_pair *p = pairs_of_list(&pl, all, ph, n, no_face);
    if (!p) {
        fprintf(stderr, "celeb eval: out of memory for %d pairs\n", pl.n);
        cJSON_Delete(no_face);
        free(all);
        free(ph);
        pairs_free(&pl);
        return 1;
    }
    eval_verify v;
    eval_verification(p, pl.n, a->threshold, pl.folds, &v);
    eval_roc *photo_roc = all_photo_pairs(ph, n);
    if (!photo_roc) {
        fprintf(stderr, "celeb eval: out of memory\n");
        cJSON_Delete(no_face);
        free(p), free(all), free(ph);
        pairs_free(&pl);
        return 1;
    }
    int status = a->curve && eval_write_pairs_csv(a->curve, p, pl.n) < 0 ? 1 : 0;
    cJSON *doc = pairs_doc(a, &pl, &v, n, &tp, photo_roc, no_face);
    free(photo_roc);
    if (a->json) {
        cli_print_json(doc);
    } else {
        eval_print_pairs(stdout, doc);
        cJSON_Delete(doc);
    }
    free(p);
    free(all);
    free(ph);
    pairs_free(&pl);
    return status;
}

// ----------------------------------------------------------------------------
// Grouping: ours vs GIPHY's baseline

static double number_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static cJSON *error_entry(const char *media, int rc, const celeb_error *err)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "media", media);
    cJSON *e = cJSON_AddObjectToObject(o, "error");
    cJSON_AddStringToObject(e, "code", celeb_error_name(rc));
    cJSON_AddStringToObject(e, "message", err->message);
    return o;
}

/* One media's entry, with its true number of people when a manifest is given. */
static int grouping_entry(const eval_args *a, const eval_grouping_ctx *g, const char *media, cJSON **out)
{
    celeb_error err = {0};
    int rc = eval_grouping_media(g, media, out, &err);
    if (rc < 0) {
        fprintf(stderr, "celeb eval: %s: %s\n", media, err.message);
        *out = error_entry(media, rc, &err);
        return 1;
    }
    if (a->truth) {
        char labels[1024];
        int people = eval_truth_people(a->truth, media, labels, sizeof labels, &err);
        if (people < -1) {
            fprintf(stderr, "celeb eval: %s\n", err.message);
            return 1;
        }
        cJSON_AddNumberToObject(*out, "true_people", people);
        cJSON_AddStringToObject(*out, "true_labels", labels);
    } else {
        cJSON_AddNumberToObject(*out, "true_people", -1);
    }
    if (a->face_truth && eval_grouping_truth(*out, a->face_truth, &err) < 0) {
        fprintf(stderr, "celeb eval: %s\n", err.message);
        return 1;
    }
    /* every face hand-labelled: the labels count the people too */
    const cJSON *labels = cJSON_GetObjectItemCaseSensitive(*out, "truth");
    cJSON *people = cJSON_GetObjectItemCaseSensitive(*out, "true_people");
    if (labels && people->valuedouble < 0 &&
        number_of(labels, "labelled_faces") == number_of(*out, "faces"))
        cJSON_SetNumberValue(people, number_of(labels, "people"));
    return 0;
}

typedef struct grouping_setup {
    celeb_ctx *celeb;
    face_engine engine;
    identify_index *index;
    eval_classes classes;
    int engine_open;
} grouping_setup;

static void grouping_teardown(grouping_setup *s)
{
    celeb_close(s->celeb);
    if (s->engine_open)
        face_engine_close(&s->engine);
    identify_index_free(s->index);
    eval_classes_free(&s->classes);
}

static int grouping_open(const eval_args *a, const char *gallery_path, grouping_setup *s)
{
    celeb_options co = {.model_dir = a->opt.model_dir, .gallery = gallery_path, .threads = a->opt.threads,
                        .detector = FACE_DETECTOR_BOTH, .unknown_distance = a->threshold};
    face_engine_options eo = {.model_dir = a->opt.model_dir, .threads = a->opt.threads,
                              .detector = FACE_DETECTOR_TINY};
    gallery_face *gf;
    int ng;
    celeb_error err = {0};
    memset(s, 0, sizeof *s);
    identify_model model;
    if (read_gallery(gallery_path, &gf, &ng, &eo.align, &model) < 0)
        return -1;
    int rc = eval_classes_from_gallery(gf, ng, &s->classes, &err);
    if (rc == 0)
        rc = identify_index_build(gf, ng, &s->index, &err);
    if (rc == 0)
        identify_index_set_model(s->index, &model);
    free(gf);
    if (rc == 0 && s->classes.k < 1)
        rc = celeb_fail(&err, CELEB_EINVAL, "%s: the gallery is empty; the baseline needs its classes",
                        gallery_path);
    if (rc == 0)
        rc = celeb_open(&co, &s->celeb, &err);
    if (rc == 0 && (rc = face_engine_open(&s->engine, &eo, &err)) == 0)
        s->engine_open = 1;
    if (rc < 0) {
        fprintf(stderr, "celeb eval: %s\n", err.message);
        grouping_teardown(s);
    }
    return rc < 0 ? -1 : 0;
}

static int run_grouping(const eval_args *a)
{
    const char *gallery_path = cli_gallery_path(a->gallery);
    grouping_setup s;
    if (grouping_open(a, gallery_path, &s) < 0)
        return 1;
    eval_grouping_ctx g = {.celeb = s.celeb, .engine = &s.engine, .index = s.index,
                           .classes = &s.classes, .threshold = a->threshold};
    cJSON *doc = cJSON_CreateObject(), *list = cJSON_CreateArray();
    cJSON_AddStringToObject(doc, "schema", "celeb.eval/1");
    cJSON_AddStringToObject(doc, "mode", "grouping");
    cJSON_AddStringToObject(doc, "gallery", gallery_path);
    cJSON_AddItemToObject(doc, "media", list);
    int status = 0;
    for (int i = 0; i < a->n_inputs; i++) {
        cJSON *entry = NULL;
        status |= grouping_entry(a, &g, a->inputs[i], &entry);
        cJSON_AddItemToArray(list, entry);
        if (!a->json)
            fprintf(stderr, "[%d/%d] %s\n", i + 1, a->n_inputs, a->inputs[i]);
    }
    cJSON_AddItemToObject(doc, "totals", eval_grouping_totals(list));
    grouping_teardown(&s);
    if (a->json) {
        cli_print_json(doc);
    } else {
        eval_print_grouping(stdout, doc);
        cJSON_Delete(doc);
    }
    return status;
}

// ----------------------------------------------------------------------------

int cmd_eval(int argc, char **argv)
{
    eval_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc >= 0)
        return rc;
    switch (a.mode) {
    case MODE_PROBE: return run_probe(&a);
    case MODE_PAIRS: return run_pairs(&a);
    case MODE_GROUPING: return run_grouping(&a);
    default: return run_leave_one_out(&a);
    }
}
