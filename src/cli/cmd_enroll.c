/* cmd_enroll.c - `celeb enroll`: add people to the gallery from photos.
 *
 * Takes GIPHY's training layout, DIR/<Person_Name>/<photo> (every image in
 * a person's folder), or one person's photos with --name. Each photo gives
 * its main face (celeb_enroll_image; tight crops included: the engine looks
 * again on a bigger canvas); it is committed to the gallery on its own, so a run
 * killed half way leaves every reported photo in place. stdout gets one
 * JSON line per photo, written after its commit, then a summary line. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "celeb.h"
#include "cli_common.h"
#include "commands.h"
#include "enroll_run.h"
#include "core/clock.h"
#include "gallery/folder.h"


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
        cJSON_AddStringToObject(line, "look", got.quick ? "quick" : "full");
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

/* Opens the gallery (created if missing) and the enrolment engine. */
int enroll_open(enroll_run *r, const char *cmd, const char *path, const face_engine_options *opt)
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
int enroll_finish(enroll_run *r, const char *cmd, const char *path)
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
void enroll_folder(enroll_run *r, const folder_photo *photos, int n)
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
    if (!name && !cli_is_dir(argv[optind])) {
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
