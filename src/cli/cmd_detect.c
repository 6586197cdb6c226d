/* cmd_detect.c - `celeb detect`: who is in each image, GIF or video.
 *
 * One JSON document per input on stdout (one line each), DESIGN.md §5; or
 * with --format text a short summary per input: who, how sure, when. A bad
 * input prints {"source", "error": {code, message}}, the run goes on, and
 * the exit status is 1. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "celeb.h"
#include "cli_common.h"
#include "core/io.h"
#include "media/fetch.h"
#include "commands.h"

static void detect_usage(FILE *out)
{
    fprintf(out,
            "usage: celeb detect [OPTIONS] MEDIA...\n"
            "\n"
            "Names the people in each MEDIA (image, GIF, WebP, video; a path, an http(s) URL,\n"
            "or - for stdin): one\n"
            "answer per person across the frames, with candidates and every appearance\n"
            "(frame, time, box, 5 landmarks). People not in the gallery are \"unknown\".\n"
            "\n"
            "options:\n"
            "  --gallery FILE      gallery (default $CELEB_GALLERY, else ~/.local/share/celeb/gallery.db)\n"
            "  --frames N|all      frames sampled per file, evenly spaced (default 20)\n"
            "  --detector both|ssd|tiny  face detectors (default both: SSD, plus the tiny\n"
            "                      detector's faces SSD missed)\n"
            "  --min-confidence P  named only when the name is right with probability >= P\n"
            "                      (default: the gallery's operating point, 98%% precision;\n"
            "                      `celeb gallery train` sets it)\n"
            "  --unknown-distance D  and only when closer than D to an identity (default 0.54)\n"
            "  --jitter N          average each face's descriptor over N jittered copies of its\n"
            "                      chip (default 1: none; the frames of a GIF are views already)\n"
            "  --format json|text  output (default json)\n"
            "  --threads N         threads (default: one per core)\n"
            "  --models DIR        model folder\n"
            "  --max-download N    largest URL download in bytes (default 50 MB; 30 s time limit)\n");
}

/* "Brad_Pitt (p 0.98): 0.0-0.9 s" lines for a document. */
static void print_text(const cJSON *doc)
{
    const cJSON *media = cJSON_GetObjectItemCaseSensitive(doc, "media");
    const cJSON *persons = cJSON_GetObjectItemCaseSensitive(doc, "persons");
    printf("%s: %d %s in %d sampled frames\n",
           cJSON_GetObjectItemCaseSensitive(media, "source")->valuestring, cJSON_GetArraySize(persons),
           cJSON_GetArraySize(persons) == 1 ? "person" : "people",
           cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(media, "sampled")));
    const cJSON *p;
    cJSON_ArrayForEach(p, persons) {
        const cJSON *apps = cJSON_GetObjectItemCaseSensitive(p, "appearances");
        double t0 = 1e18, t1 = 0;
        const cJSON *a;
        cJSON_ArrayForEach(a, apps) {
            double t = cJSON_GetObjectItemCaseSensitive(a, "t_ms")->valuedouble;
            t0 = t < t0 ? t : t0;
            t1 = t > t1 ? t : t1;
        }
        const cJSON *cands = cJSON_GetObjectItemCaseSensitive(p, "candidates");
        const cJSON *best = cJSON_GetArrayItem(cands, 0);
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "known")))
            printf("  %s (p %.2f)", cJSON_GetObjectItemCaseSensitive(p, "name")->valuestring,
                   cJSON_GetObjectItemCaseSensitive(p, "confidence")->valuedouble);
        else if (best)
            printf("  unknown (closest: %s at distance %.2f)",
                   cJSON_GetObjectItemCaseSensitive(best, "name")->valuestring,
                   cJSON_GetObjectItemCaseSensitive(best, "distance")->valuedouble);
        else
            printf("  unknown");
        printf(": %d frames, %.1f-%.1f s\n", cJSON_GetArraySize(apps), t0 / 1000, t1 / 1000);
    }
}

int cmd_detect(int argc, char **argv)
{
    celeb_options opt = {.detector = FACE_DETECTOR_BOTH};
    const char *gallery_arg = NULL;
    int text = 0;
    fetch_limits limits = {0};
    static const struct option opts[] = {
        {"gallery", required_argument, 0, 'g'},  {"frames", required_argument, 0, 'f'},
        {"detector", required_argument, 0, 'd'}, {"unknown-distance", required_argument, 0, 'u'},
        {"format", required_argument, 0, 'F'},   {"threads", required_argument, 0, 't'},
        {"models", required_argument, 0, 'm'},   {"max-download", required_argument, 0, 'x'},
        {"jitter", required_argument, 0, 'J'},   {"min-confidence", required_argument, 0, 'C'},
        {"help", no_argument, 0, 'h'},           {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'g': gallery_arg = optarg; break;
        case 'x': limits.max_bytes = (size_t)strtoull(optarg, NULL, 10); break;
        case 'f':
            if (cli_parse_frames("detect", optarg, &opt) < 0)
                return 2;
            break;
        case 'd':
            if (!strcmp(optarg, "both"))
                opt.detector = FACE_DETECTOR_BOTH;
            else if (!strcmp(optarg, "ssd"))
                opt.detector = FACE_DETECTOR_SSD;
            else if (!strcmp(optarg, "tiny"))
                opt.detector = FACE_DETECTOR_TINY;
            else {
                fprintf(stderr, "celeb detect: --detector must be both, ssd or tiny\n");
                return 2;
            }
            break;
        case 'u': opt.unknown_distance = strtof(optarg, NULL); break;
        case 'C': {
            char *end;
            opt.min_confidence = strtof(optarg, &end);
            if (*end || !(opt.min_confidence > 0 && opt.min_confidence <= 1)) {
                fprintf(stderr, "celeb detect: --min-confidence must be a probability in (0, 1]\n");
                return 2;
            }
            break;
        }
        case 'J':
            if (cli_parse_jitter("detect", optarg, &opt.jitter) < 0)
                return 2;
            break;
        case 'F':
            if (strcmp(optarg, "json") && strcmp(optarg, "text")) {
                fprintf(stderr, "celeb detect: --format must be json or text\n");
                return 2;
            }
            text = !strcmp(optarg, "text");
            break;
        case 't': opt.threads = atoi(optarg); break;
        case 'm': opt.model_dir = optarg; break;
        case 'h': detect_usage(stdout); return 0;
        default: detect_usage(stderr); return 2;
        }
    }
    if (optind >= argc) {
        detect_usage(stderr);
        return 2;
    }
    opt.gallery = cli_gallery_path(gallery_arg);
    if (cli_check_gallery("detect", gallery_arg, opt.gallery) < 0)
        return 2;
    celeb_ctx *ctx;
    celeb_error err = {0};
    if (celeb_open(&opt, &ctx, &err) < 0) {
        fprintf(stderr, "celeb detect: %s\n", err.message);
        return 1;
    }
    int status = 0;
    for (int i = optind; i < argc; i++) {
        const char *src = argv[i];
        cJSON *doc = NULL;
        int rc;
        if (fetch_is_url(src)) {
            uint8_t *data = NULL;
            size_t size = 0;
            rc = fetch_url(src, &limits, &data, &size, &err);
            if (rc == 0)
                rc = celeb_detect_memory(ctx, data, size, src, &doc, &err);
            free(data);
        } else if (!strcmp(src, "-")) {
            uint8_t *data = NULL;
            size_t size = 0;
            rc = read_stream(stdin, "stdin", &data, &size, &err);
            if (rc == 0)
                rc = celeb_detect_memory(ctx, data, size, "-", &doc, &err);
            free(data);
        } else {
            rc = celeb_detect_file(ctx, src, &doc, &err);
        }
        if (rc < 0) {
            status = 1;
            fprintf(stderr, "celeb detect: %s\n", err.message);
            doc = cJSON_CreateObject();
            cJSON_AddStringToObject(doc, "schema", "celeb.detect/1");
            cJSON_AddStringToObject(doc, "source", src);
            cJSON *e = cJSON_AddObjectToObject(doc, "error");
            cJSON_AddStringToObject(e, "code", celeb_error_name(rc));
            cJSON_AddStringToObject(e, "message", err.message);
            if (text) {
                printf("%s: error: %s\n", src, err.message);
                cJSON_Delete(doc);
                continue;
            }
        } else if (text) {
            print_text(doc);
            cJSON_Delete(doc);
            continue;
        }
        cli_print_json(doc);
    }
    celeb_close(ctx);
    return status;
}
