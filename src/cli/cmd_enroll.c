/* cmd_enroll.c - `celeb enroll`: add people to the gallery from photos.
 *
 * Takes GIPHY's training layout, DIR/<Person_Name>/<photo> (every image in
 * a person's folder), or one person's photos with --name. Each photo gives
 * its main face (celeb_enroll_image; tight crops included: the engine looks
 * again on a bigger canvas); it is committed to the gallery on its own, so a run
 * killed half way leaves every reported photo in place. stdout gets one
 * JSON line per photo, written after its commit, then a summary line. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "celeb.h"
#include "cli_common.h"
#include "commands.h"
#include "core/clock.h"
#include "core/io.h"
#include "core/sha256.h"
#include "gallery/folder.h"

typedef struct enroll_run {
    face_engine engine;
    gallery *gallery;
    int done, total, enrolled, already, skipped;
    int refit;          /* refit the confidence model even if nothing was enrolled */
    double start, shown;   /* clock_s() at the start and at the last progress line */
} enroll_run;

static void enroll_usage(FILE *out)
{
    fprintf(out,
            "usage: celeb enroll [OPTIONS] DIR\n"
            "       celeb enroll [OPTIONS] --name NAME PHOTO...\n"
            "\n"
            "Adds people to the gallery, no retraining: DIR/<Person_Name>/* (one folder per\n"
            "person, the folder name is the name) or the PHOTOs of NAME. An optional\n"
            "DIR/labels.csv (rows folder,name) gives folders other names. A photo with several\n"
            "faces enrolls the one like the person's enrolled photos, else the largest when it is\n"
            "in the centre and clearly the largest; photos with no face or no such face are\n"
            "skipped with the reason. Takes effect at once.\n"
            "stdout: one JSON line per photo, then a summary line; progress on stderr.\n"
            "\n"
            "options:\n"
            "  --gallery FILE   gallery (default $CELEB_GALLERY, else ~/.local/share/celeb/gallery.db)\n"
            "  --name NAME      enroll the PHOTOs given as this person\n"
            "  --jitter N       average each face's descriptor over N jittered copies of its\n"
            "                   chip (default %d; 1: none)\n"
            "  --threads N      threads (default: one per core)\n"
            "  --models DIR     model folder\n", CELEB_ENROLL_JITTER);
}

/* A progress line on stderr every PROGRESS_SECONDS (a log: every
 * PROGRESS_LOG_SECONDS), and after the last photo. */
#define PROGRESS_SECONDS 2.0
#define PROGRESS_LOG_SECONDS 10.0
static void progress(enroll_run *r)
{
    double now = clock_s();
    if (r->done < r->total && now - r->shown < (isatty(2) ? PROGRESS_SECONDS : PROGRESS_LOG_SECONDS))
        return;
    r->shown = now;
    double rate = r->done / fmax(now - r->start, 1e-3);
    fprintf(stderr, "[%d/%d] %d enrolled, %d already in, %d skipped; %.1f photos/s", r->done, r->total,
            r->enrolled, r->already, r->skipped, rate);
    if (r->done < r->total)
        fprintf(stderr, ", about %.0f min left", (r->total - r->done) / rate / 60);
    fputc('\n', stderr);
}

/* Enrolls one photo (the library's celeb_enroll_file) and reports it, after
 * the commit; a photo with a `problem` (its folder gives no valid name) is
 * reported skipped without being read. */
static void enroll_photo(enroll_run *r, const char *name, const char *path, const char *problem)
{
    celeb_error err = {0};
    celeb_enrolled got;
    cJSON *line = cJSON_CreateObject();
    cJSON_AddStringToObject(line, "file", path);
    if (!problem)
        cJSON_AddStringToObject(line, "name", name);
    int rc = problem ? -1 : celeb_enroll_file(&r->engine, r->gallery, name, path, &got, &err);
    r->done++;
    if (rc == 0 && got.already) {
        r->already++;
        cJSON_AddStringToObject(line, "status", "already");
        cJSON_AddNumberToObject(line, "face_id", (double)got.face_id);
    } else if (rc == 0) {
        r->enrolled++;
        cJSON_AddStringToObject(line, "status", "enrolled");
        cJSON_AddNumberToObject(line, "face_id", (double)got.face_id);
        cJSON_AddNumberToObject(line, "quality", round(got.quality * 1000) / 1000);
        if (got.faces > 1) {   /* which of them, and why */
            cJSON_AddNumberToObject(line, "faces", got.faces);
            cJSON_AddStringToObject(line, "chosen", got.how);
        }
    } else {
        const char *why = problem ? problem : err.message;
        r->skipped++;
        cJSON_AddStringToObject(line, "status", "skipped");
        cJSON_AddStringToObject(line, "reason", why);
        fprintf(stderr, "[%d/%d] %s: skipped: %s\n", r->done, r->total, path, why);
    }
    cli_print_json(line);
    progress(r);
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Opens the gallery (created if missing) and the enrolment engine. */
static int enroll_open(enroll_run *r, const char *cmd, const char *path, const face_engine_options *opt)
{
    celeb_error err = {0};
    if (gallery_open(path, 1, &r->gallery, &err) < 0) {
        fprintf(stderr, "celeb %s: %s\n", cmd, err.message);
        return -1;
    }
    if (face_engine_open(&r->engine, opt, &err) < 0) {
        fprintf(stderr, "celeb %s: %s\n", cmd, err.message);
        gallery_close(r->gallery);
        return -1;
    }
    r->start = r->shown = clock_s();
    return 0;
}

/* Refits the confidence model to the gallery (seconds for thousands) when
 * anything was enrolled, prints the summary line and closes the run.
 * Returns the exit status. */
static int enroll_finish(enroll_run *r, const char *cmd, const char *path)
{
    int status = 0;
    celeb_error err = {0};
    identify_model model;
    int fitted = 0, samples = 0;
    if ((r->enrolled > 0 || r->refit) && celeb_gallery_train(r->gallery, &model, &fitted, &samples, &err) < 0) {
        fprintf(stderr, "celeb %s: %s\n", cmd, err.message);
        status = 1;
    }
    gallery_identity *ids = NULL;
    int nids = 0;
    gallery_list(r->gallery, &ids, &nids, &err);
    cJSON *sum = cJSON_CreateObject();
    cJSON_AddBoolToObject(sum, "summary", 1);
    cJSON_AddStringToObject(sum, "gallery", path);
    cJSON_AddNumberToObject(sum, "photos", r->done);
    cJSON_AddNumberToObject(sum, "enrolled", r->enrolled);
    cJSON_AddNumberToObject(sum, "already", r->already);
    cJSON_AddNumberToObject(sum, "skipped", r->skipped);
    cJSON_AddNumberToObject(sum, "identities", nids);
    cJSON_AddBoolToObject(sum, "model_fitted", fitted);
    cli_print_json(sum);
    fprintf(stderr, "celeb %s: %d photos, %d enrolled, %d already in, %d skipped; the gallery %s has %d people\n",
            cmd, r->done, r->enrolled, r->already, r->skipped, path, nids);
    free(ids);
    face_engine_close(&r->engine);
    gallery_close(r->gallery);
    return status;
}

/* Enrolls a labelled folder's photos. */
static void enroll_folder(enroll_run *r, const folder_photo *photos, int n)
{
    for (int i = 0; i < n; i++)
        enroll_photo(r, photos[i].name, photos[i].path, photos[i].problem[0] ? photos[i].problem : NULL);
}

int cmd_enroll(int argc, char **argv)
{
    const char *gallery_arg = NULL, *name = NULL;
    face_engine_options opt = celeb_enroll_engine_options(NULL, 0);
    static const struct option opts[] = {
        {"gallery", required_argument, 0, 'g'}, {"name", required_argument, 0, 'n'},
        {"threads", required_argument, 0, 't'}, {"models", required_argument, 0, 'm'},
        {"jitter", required_argument, 0, 'J'},  {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'g': gallery_arg = optarg; break;
        case 'n': name = optarg; break;
        case 'J':
            if (cli_parse_jitter("enroll", optarg, &opt.jitter) < 0)
                return 2;
            break;
        case 't': opt.threads = atoi(optarg); break;
        case 'm': opt.model_dir = optarg; break;
        case 'h': enroll_usage(stdout); return 0;
        default: enroll_usage(stderr); return 2;
        }
    }
    if (optind >= argc || (!name && argc - optind != 1)) {
        enroll_usage(stderr);
        return 2;
    }
    if (!name && !is_dir(argv[optind])) {
        fprintf(stderr, "celeb enroll: %s is not a folder (use --name NAME PHOTO... for photos)\n",
                argv[optind]);
        return 2;
    }
    enroll_run r = {0};
    celeb_error err = {0};
    folder_photo *photos = NULL;   /* DIR's, listed first: a bad labels.csv stops the run before any work */
    int n = 0;
    if (!name && folder_list(argv[optind], &photos, &n, &err) < 0) {
        fprintf(stderr, "celeb enroll: %s\n", err.message);
        return 1;
    }
    const char *path = cli_gallery_path(gallery_arg);
    if (enroll_open(&r, "enroll", path, &opt) < 0) {
        free(photos);
        return 1;
    }
    if (name) {
        r.total = argc - optind;
        for (int i = optind; i < argc; i++)
            enroll_photo(&r, name, argv[i], NULL);
    } else {
        r.total = n;
        enroll_folder(&r, photos, n);
    }
    free(photos);
    return enroll_finish(&r, "enroll", path);
}

// ----------------------------------------------------------------------------
// celeb gallery build-default: the gallery celeb knows out of the box

/* The labelled folders of DATA it is built from, and the aliases of the
 * people found in two of them under two names (share/aliases.tsv). */
static const char *const default_folders[] = {"lfw/images", "celebs"};
#define DEFAULT_ALIASES CELEB_SHARE_DIR "/aliases.tsv"
/* No jitter: 13,390 photos in about 12 minutes on 2 cores instead of 28
 * (README: the jitter curve; plain queries against a plain gallery make 3
 * more errors in LFW View 1's 1,000 test pairs than against a jittered
 * one). `--jitter 16` for the best gallery. */
#define DEFAULT_JITTER 1

static void build_usage(FILE *out)
{
    fprintf(out,
            "usage: celeb gallery [--gallery FILE] build-default [OPTIONS] [DATA]\n"
            "\n"
            "Builds the gallery celeb knows out of the box from DATA/lfw/images (LFW, 5,749\n"
            "people) and DATA/celebs, with the people known under two names merged\n"
            "(%s), into the default gallery (or --gallery). Once: a second run\n"
            "finds the gallery made from the same photos and models and returns at once; when\n"
            "photos were added, only they are enrolled; when the models changed, the old file\n"
            "is kept as FILE.old and the gallery is made anew. People enrolled with `celeb\n"
            "enroll` stay. DATA defaults to $CELEB_DATA, else ../shared/data.\n"
            "stdout: one JSON line per photo, then a summary line; progress on stderr.\n"
            "\n"
            "options:\n"
            "  --jitter N     jittered copies per face (default %d; 16: 2.4x slower, a little\n"
            "                 more accurate)\n"
            "  --threads N    threads (default: one per core)\n"
            "  --models DIR   model folder\n", DEFAULT_ALIASES, DEFAULT_JITTER);
}

/* sha256 of the model files the gallery's descriptors depend on. */
static int models_id(const char *dir, char hex[65], celeb_error *err)
{
    static const char *const files[] = {"ssd_mobilenetv1_model.bin", "face_landmark_68_model.bin",
                                        "face_recognition_model.bin"};
    enum { N = sizeof files / sizeof *files };
    uint8_t *data[N] = {0};
    size_t size[N] = {0};
    int rc = 0;
    for (int i = 0; i < N && rc == 0; i++) {
        char path[1200];
        snprintf(path, sizeof path, "%s/%s", dir ? dir : face_default_model_dir(), files[i]);
        rc = read_path(path, &data[i], &size[i], err);
    }
    if (rc == 0)
        sha256_hex_parts((const void *const *)data, size, N, hex);
    for (int i = 0; i < N; i++)
        free(data[i]);
    return rc;
}

/* What the gallery is built from, as one sha256: every photo's path, size
 * and time, the aliases and the models (models_id). */
static void build_stamp(const folder_photo *photos, int n, const char *aliases, const char *models,
                        int jitter, char hex[65])
{
    size_t cap = 256 + strlen(aliases) + (size_t)n * 64, len = 0;
    char *text = malloc(cap);
    if (!text) {
        snprintf(hex, 65, "unknown");
        return;
    }
    len += (size_t)snprintf(text, cap, "models %s jitter %d aliases %s\n", models, jitter, aliases);
    for (int i = 0; i < n; i++) {
        struct stat st = {0};
        stat(photos[i].path, &st);
        char line[1400];
        int k = snprintf(line, sizeof line, "%s %s %lld %lld\n", photos[i].name, photos[i].path,
                         (long long)st.st_size, (long long)st.st_mtime);
        if (len + (size_t)k + 1 > cap) {
            char *bigger = realloc(text, cap = 2 * cap + (size_t)k);
            if (!bigger)
                break;
            text = bigger;
        }
        memcpy(text + len, line, (size_t)k + 1);
        len += (size_t)k;
    }
    sha256_hex(text, len, hex);
    free(text);
}

/* Applies the aliases (lines ALIAS <tab> NAME, '#' comments): the faces
 * enrolled as ALIAS become NAME's. */
static int apply_aliases(gallery *g, const char *text)
{
    char line[2 * GALLERY_NAME_MAX + 8];
    int failed = 0;
    for (const char *p = text; *p;) {
        size_t n = strcspn(p, "\n");
        snprintf(line, sizeof line, "%.*s", (int)(n < sizeof line ? n : sizeof line - 1), p);
        p += n + (p[n] == '\n');
        char *tab = strchr(line, '\t');
        if (line[0] == '#' || !tab)
            continue;
        *tab = '\0';
        celeb_error err = {0};
        int moved = 0;
        gallery_face *faces = NULL;
        int has = 0;
        if (gallery_faces(g, line, &faces, &has, &err) == 0 && has > 0 &&
            gallery_merge(g, line, tab + 1, &moved, &err) == 0)
            fprintf(stderr, "celeb gallery build-default: %s is %s: %d faces merged\n", line, tab + 1,
                    moved);
        else if (err.message[0]) {
            fprintf(stderr, "celeb gallery build-default: %s -> %s: %s\n", line, tab + 1, err.message);
            failed = 1;
        }
        free(faces);
    }
    return failed ? -1 : 0;
}

/* Moves path (and its WAL files) to path.old. */
static int move_aside(const char *path)
{
    char from[1200], to[1200];
    static const char *const ext[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(from, sizeof from, "%s%s", path, ext[i]);
        snprintf(to, sizeof to, "%s.old%s", path, ext[i]);
        if (rename(from, to) < 0 && i == 0)
            return -1;
    }
    return 0;
}

int cmd_gallery_build_default(const char *gallery_arg, int argc, char **argv)
{
    face_engine_options opt = celeb_enroll_engine_options(NULL, 0);
    static const struct option opts[] = {
        {"threads", required_argument, 0, 't'}, {"models", required_argument, 0, 'm'},
        {"jitter", required_argument, 0, 'J'},  {"gallery", required_argument, 0, 'g'},
        {"help", no_argument, 0, 'h'},          {0, 0, 0, 0}};
    int c;
    optind = 1;
    opt.jitter = DEFAULT_JITTER;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'g': gallery_arg = optarg; break;
        case 'J':
            if (cli_parse_jitter("gallery build-default", optarg, &opt.jitter) < 0)
                return 2;
            break;
        case 't': opt.threads = atoi(optarg); break;
        case 'm': opt.model_dir = optarg; break;
        case 'h': build_usage(stdout); return 0;
        default: build_usage(stderr); return 2;
        }
    }
    if (argc - optind > 1) {
        build_usage(stderr);
        return 2;
    }
    const char *env = getenv("CELEB_DATA");
    const char *data = optind < argc ? argv[optind] : env && *env ? env : "../shared/data";

    /* Every photo of every folder, listed before any work. */
    celeb_error err = {0};
    folder_photo *photos = NULL;
    int n = 0;
    for (size_t f = 0; f < sizeof default_folders / sizeof *default_folders; f++) {
        char dir[1100];
        snprintf(dir, sizeof dir, "%s/%s", data, default_folders[f]);
        folder_photo *more = NULL;
        int m = 0;
        if (!is_dir(dir) || folder_list(dir, &more, &m, &err) < 0) {
            fprintf(stderr, "celeb gallery build-default: %s: %s\n", dir,
                    err.message[0] ? err.message : "not a folder (give DATA, the folder holding lfw/ and celebs/)");
            free(photos);
            return 2;
        }
        folder_photo *all = realloc(photos, (size_t)(n + m) * sizeof *all);
        if (!all && n + m > 0) {
            fprintf(stderr, "celeb gallery build-default: out of memory\n");
            free(photos), free(more);
            return 1;
        }
        photos = all;
        if (m)
            memcpy(photos + n, more, (size_t)m * sizeof *more);
        n += m;
        free(more);
    }
    uint8_t *aliases_text = NULL;
    size_t alias_size = 0;
    char models[65], stamp[65];
    if (read_path(DEFAULT_ALIASES, &aliases_text, &alias_size, &err) < 0 ||
        models_id(opt.model_dir, models, &err) < 0) {
        fprintf(stderr, "celeb gallery build-default: %s\n", err.message);
        free(photos), free(aliases_text);
        return 1;
    }
    const char *aliases = (const char *)aliases_text;
    build_stamp(photos, n, aliases, models, opt.jitter, stamp);

    /* Up to date, to be completed, or made with other models. */
    const char *path = cli_gallery_path(gallery_arg);
    gallery *g = NULL;
    char built[GALLERY_META_MAX] = "", made_with[GALLERY_META_MAX] = "";
    if (gallery_open(path, 1, &g, &err) < 0 || gallery_meta(g, "default_build", built, &err) < 0 ||
        gallery_meta(g, "models", made_with, &err) < 0) {
        fprintf(stderr, "celeb gallery build-default: %s\n", err.message);
        gallery_close(g), free(photos), free(aliases_text);
        return 1;
    }
    gallery_close(g);
    if (!strcmp(built, stamp)) {
        fprintf(stderr, "celeb gallery build-default: %s is up to date (%d photos of %s)\n", path, n, data);
        free(photos), free(aliases_text);
        return 0;
    }
    if (made_with[0] && strcmp(made_with, models)) {
        if (move_aside(path) < 0) {
            fprintf(stderr, "celeb gallery build-default: cannot move %s aside: %s\n", path, strerror(errno));
            free(photos), free(aliases_text);
            return 1;
        }
        fprintf(stderr, "celeb gallery build-default: the models changed: %s was moved to %s.old "
                        "(enroll your own people again), building it anew\n", path, path);
    }

    enroll_run r = {0};
    if (enroll_open(&r, "gallery build-default", path, &opt) < 0) {
        free(photos), free(aliases_text);
        return 1;
    }
    r.total = n;
    enroll_folder(&r, photos, n);
    free(photos);
    int failed = apply_aliases(r.gallery, aliases) < 0;
    free(aliases_text);
    if (!failed && (gallery_set_meta(r.gallery, "models", models, &err) < 0 ||
                    gallery_set_meta(r.gallery, "default_build", stamp, &err) < 0)) {
        fprintf(stderr, "celeb gallery build-default: %s\n", err.message);
        failed = 1;
    }
    r.refit = 1;   /* the merges moved faces */
    int status = enroll_finish(&r, "gallery build-default", path);
    return failed ? 1 : status;
}
