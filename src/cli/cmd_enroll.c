/* cmd_enroll.c - `celeb enroll`: add people to the gallery from photos.
 *
 * Takes GIPHY's training layout, DIR/<Person_Name>/<photo> (every image in
 * a person's folder), or one person's photos with --name. Each photo must
 * show exactly one face (tight crops included: the engine looks again on a
 * bigger canvas); it is committed to the gallery on its own, so a run
 * killed half way leaves every reported photo in place. stdout gets one
 * JSON line per photo, written after its commit, then a summary line. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "celeb.h"
#include "cli_common.h"
#include "commands.h"
#include "gallery/folder.h"

typedef struct enroll_run {
    face_engine engine;
    gallery *gallery;
    int done, total, enrolled, skipped;
} enroll_run;

static void enroll_usage(FILE *out)
{
    fprintf(out,
            "usage: celeb enroll [OPTIONS] DIR\n"
            "       celeb enroll [OPTIONS] --name NAME PHOTO...\n"
            "\n"
            "Adds people to the gallery, no retraining: DIR/<Person_Name>/* (one folder per\n"
            "person, the folder name is the name) or the PHOTOs of NAME. An optional\n"
            "DIR/labels.csv (rows folder,name) gives folders other names. A photo must show one\n"
            "face; photos with none or several are skipped and reported. Takes effect at once.\n"
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
    if (rc == 0) {
        r->enrolled++;
        cJSON_AddStringToObject(line, "status", "enrolled");
        cJSON_AddNumberToObject(line, "face_id", (double)got.face_id);
        cJSON_AddNumberToObject(line, "quality", round(got.quality * 1000) / 1000);
        fprintf(stderr, "[%d/%d] %s: enrolled as %s\n", r->done, r->total, path, name);
    } else {
        const char *why = problem ? problem : err.message;
        r->skipped++;
        cJSON_AddStringToObject(line, "status", "skipped");
        cJSON_AddStringToObject(line, "reason", why);
        fprintf(stderr, "[%d/%d] %s: skipped: %s\n", r->done, r->total, path, why);
    }
    cli_print_json(line);
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
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
    if (gallery_open(path, 1, &r.gallery, &err) < 0) {
        fprintf(stderr, "celeb enroll: %s\n", err.message);
        free(photos);
        return 1;
    }
    if (face_engine_open(&r.engine, &opt, &err) < 0) {
        fprintf(stderr, "celeb enroll: %s\n", err.message);
        gallery_close(r.gallery);
        free(photos);
        return 1;
    }
    int status = 0;
    if (name) {
        r.total = argc - optind;
        for (int i = optind; i < argc; i++)
            enroll_photo(&r, name, argv[i], NULL);
    } else {
        r.total = n;
        for (int i = 0; i < n; i++)
            enroll_photo(&r, photos[i].name, photos[i].path, photos[i].problem[0] ? photos[i].problem : NULL);
        free(photos);
    }
    /* The confidence model follows the gallery (seconds for thousands). */
    identify_model model;
    int fitted = 0, samples = 0;
    if (r.enrolled > 0 && celeb_gallery_train(r.gallery, &model, &fitted, &samples, &err) < 0) {
        fprintf(stderr, "celeb enroll: %s\n", err.message);
        status = 1;
    }
    gallery_identity *ids = NULL;
    int nids = 0;
    gallery_list(r.gallery, &ids, &nids, &err);
    cJSON *sum = cJSON_CreateObject();
    cJSON_AddBoolToObject(sum, "summary", 1);
    cJSON_AddStringToObject(sum, "gallery", path);
    cJSON_AddNumberToObject(sum, "photos", r.done);
    cJSON_AddNumberToObject(sum, "enrolled", r.enrolled);
    cJSON_AddNumberToObject(sum, "skipped", r.skipped);
    cJSON_AddNumberToObject(sum, "identities", nids);
    cJSON_AddBoolToObject(sum, "model_fitted", fitted);
    cli_print_json(sum);
    fprintf(stderr, "celeb enroll: %d photos, %d enrolled, %d skipped; the gallery %s has %d people\n",
            r.done, r.enrolled, r.skipped, path, nids);
    free(ids);
    face_engine_close(&r.engine);
    gallery_close(r.gallery);
    return status;
}
