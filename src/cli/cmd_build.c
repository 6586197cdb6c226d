/* cmd_build.c - `celeb gallery build-default`: the gallery celeb knows out
 * of the box, LFW and ../shared/data/celebs enrolled once into the default
 * gallery (an enrolment run, enroll_run.h), rebuilt only when the photos,
 * the aliases or the descriptors' recipe change. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_common.h"
#include "commands.h"
#include "core/io.h"
#include "core/sha256.h"
#include "enroll_run.h"

// ----------------------------------------------------------------------------
// celeb gallery build-default: the gallery celeb knows out of the box

/* The labelled folders of DATA it is built from, and the aliases of the
 * people found in two of them under two names (share/aliases.tsv). */
static const char *const default_folders[] = {"lfw/images", "celebs"};
#define DEFAULT_ALIASES CELEB_SHARE_DIR "/aliases.tsv"
/* No jitter: 13,390 photos in 5 minutes on 2 cores (with the quick look,
 * celeb.h) instead of about 4 times that with 16 copies (as `celeb
 * enroll`). The jittered gallery is less noisy, but its own 98%-precision
 * point moves with it (0.84 against 0.85-0.88): Angelina Jolie in
 * giphy_video.gif stays below it either way (p 0.61 and 0.74-0.76). */
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
            "photos were added, only they are enrolled; when the models, --jitter or the way\n"
            "portraits are enrolled changed, the old file is kept as FILE.old and the gallery is\n"
            "made anew. People enrolled with `celeb enroll` stay. DATA defaults to $CELEB_DATA,\n"
            "else ../shared/data.\n"
            "stdout: one JSON line per photo, then a summary line; progress on stderr.\n"
            "\n"
            "options:\n"
            "  --jitter N     jittered copies per face (default %d; 16 as celeb enroll: about 5x\n"
            "                 slower)\n"
            "  --threads N    threads (default: one per core)\n"
            "  --models DIR   model folder\n", DEFAULT_ALIASES, DEFAULT_JITTER);
}

/* sha256 of the model files the gallery's descriptors depend on. */
static int models_id(const char *dir, char hex[65], celeb_error *err)
{
    static const char *const files[] = {"ssd_mobilenetv1_model.bin", "tiny_face_detector_model.bin",
                                        "face_landmark_68_model.bin", "face_recognition_model.bin"};
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
 * and time, the aliases and the descriptors' recipe (models_id, jitter). */
static void build_stamp(const folder_photo *photos, int n, const char *aliases, const char *models,
                        char hex[65])
{
    size_t cap = 256 + strlen(aliases) + (size_t)n * 64, len = 0;
    char *text = malloc(cap);
    if (!text) {
        snprintf(hex, 65, "unknown");
        return;
    }
    len += (size_t)snprintf(text, cap, "models %s aliases %s\n", models, aliases);
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
        if (!cli_is_dir(dir) || folder_list(dir, &more, &m, &err) < 0) {
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
    char models[96], stamp[65];   /* the descriptors' recipe: the models' sha256, jitter, quick look */
    if (read_path(DEFAULT_ALIASES, &aliases_text, &alias_size, &err) < 0 ||
        models_id(opt.model_dir, models, &err) < 0) {
        fprintf(stderr, "celeb gallery build-default: %s\n", err.message);
        free(photos), free(aliases_text);
        return 1;
    }
    const char *aliases = (const char *)aliases_text;
    snprintf(models + 64, sizeof models - 64, " jitter %d tiny %d", opt.jitter, CELEB_ENROLL_TINY_SIZE);
    build_stamp(photos, n, aliases, models, stamp);

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
        fprintf(stderr,
                "celeb gallery build-default: the descriptors' recipe changed (models, jitter, quick "
                "look): %s was moved to %s.old (enroll your own people again), building it anew\n",
                path, path);
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
