/* cmd_faces.c - `celeb faces`: the face engine's raw output as JSON lines.
 *
 * One JSON object per input on stdout. A bad input prints an object with an
 * "error" member and the run goes on; the exit status is then 1. */
#include <cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_common.h"
#include "commands.h"
#include "core/io.h"
#include "face/faces.h"
#include "media/media.h"

typedef struct faces_args {
    face_engine_options engine;
    int frame;        /* -1 with all_frames */
    int all_frames;
} faces_args;

static void faces_usage(FILE *out)
{
    fprintf(out,
            "usage: celeb faces [OPTIONS] FILE...\n"
            "\n"
            "Prints, for each FILE (image, GIF, WebP, video; '-' reads stdin), one JSON line with\n"
            "every face: box {x,y,width,height} and score, 68 landmarks [x,y], align_rect (the crop\n"
            "fed to the recognition net) and the 128-D descriptor.\n"
            "\n"
            "options:\n"
            "  --detector ssd|tiny  face detector (default ssd)\n"
            "  --min-score S        detection threshold (default 0.5)\n"
            "  --tiny-size N        tiny detector input size, multiple of 32 (default 416)\n"
            "  --frame N            frame N of an animation or video (default 0)\n"
            "  --frames all         every frame\n"
            "  --align faceapi|chip|similarity  the recognition crop (default faceapi: face-api's,\n"
            "                       as the reference outputs; chip: dlib's, as galleries and detect)\n"
            "  --jitter N           each descriptor the mean of N jittered chips (default 1: none)\n"
            "  --threads N          threads (default: one per core)\n"
            "  --models DIR         model folder (default $CELEB_MODELS or the build's models/)\n");
}

static cJSON *rect_json(double x, double y, double w, double h)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "x", x);
    cJSON_AddNumberToObject(o, "y", y);
    cJSON_AddNumberToObject(o, "width", w);
    cJSON_AddNumberToObject(o, "height", h);
    return o;
}

static cJSON *face_json(const face *f)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "box", rect_json(f->box.x, f->box.y, f->box.w, f->box.h));
    cJSON_AddNumberToObject(o, "score", f->box.score);
    cJSON *lm = cJSON_AddArrayToObject(o, "landmarks");
    for (int i = 0; i < LM_POINTS; i++)
        cJSON_AddItemToArray(lm, cJSON_CreateDoubleArray(f->landmarks[i], 2));
    cJSON_AddItemToObject(o, "align_rect",
                          rect_json(f->align_rect.x, f->align_rect.y, f->align_rect.w,
                                    f->align_rect.h));
    cJSON_AddItemToObject(o, "descriptor", cJSON_CreateFloatArray(f->descriptor, RECOG_DIM));
    cJSON *q = cJSON_AddObjectToObject(o, "quality");
    cJSON_AddNumberToObject(q, "value", f->quality.value);
    cJSON_AddNumberToObject(q, "score", f->quality.score);
    cJSON_AddNumberToObject(q, "size", f->quality.size);
    cJSON_AddNumberToObject(q, "fit", f->quality.fit);
    cJSON_AddNumberToObject(q, "sharpness", f->quality.sharpness);
    cJSON_AddNumberToObject(q, "frontal", f->quality.frontal);
    cJSON_AddNumberToObject(q, "inside", f->quality.inside);
    cJSON_AddNumberToObject(q, "faceness", f->quality.faceness);
    return o;
}

static int open_input(const char *path, media **m, celeb_error *err)
{
    if (strcmp(path, "-") != 0)
        return media_open_file(path, NULL, m, err);
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = read_stream(stdin, "stdin", &buf, &len, err);
    if (rc < 0)
        return rc;
    rc = media_open_memory(buf, len, NULL, m, err);
    free(buf);
    return rc;
}

/* Processes one input into a JSON object (never NULL). Returns 0 or an error code. */
static int process(face_engine *e, const faces_args *a, const char *path, cJSON **result)
{
    celeb_error err = {0};
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "file", path);
    *result = doc;
    media *m = NULL;
    int rc = open_input(path, &m, &err);
    if (rc == 0) {
        const media_info *info = media_get_info(m);
        cJSON_AddStringToObject(doc, "format", info->format);
        cJSON_AddNumberToObject(doc, "width", info->width);
        cJSON_AddNumberToObject(doc, "height", info->height);
        cJSON_AddNumberToObject(doc, "frames", info->frames);
        if (!a->all_frames && a->frame >= info->frames)
            rc = celeb_fail(&err, CELEB_EINVAL, "frame %d requested, the file has %d", a->frame,
                            info->frames);
    }
    cJSON *results = cJSON_AddArrayToObject(doc, "results");
    media_frame fr;
    int got;
    while (rc == 0 && (got = media_next_frame(m, &fr, &err)) != 0) {
        if (got < 0) {
            rc = got;
            break;
        }
        if (!a->all_frames && fr.index != a->frame)
            continue;
        face *faces = NULL;
        int n = 0;
        rc = face_engine_run(e, &fr.img, &faces, &n, &err);
        if (rc < 0)
            break;
        cJSON *r = cJSON_CreateObject();
        cJSON_AddNumberToObject(r, "frame", fr.index);
        cJSON_AddNumberToObject(r, "t_ms", (double)fr.t_ms);
        cJSON *arr = cJSON_AddArrayToObject(r, "faces");
        for (int i = 0; i < n; i++)
            cJSON_AddItemToArray(arr, face_json(&faces[i]));
        cJSON_AddItemToArray(results, r);
        free(faces);
        if (!a->all_frames)
            break;
    }
    media_close(m);
    if (rc < 0) {
        cJSON *eo = cJSON_CreateObject();
        cJSON_AddStringToObject(eo, "code", celeb_error_name(rc));
        cJSON_AddStringToObject(eo, "message", err.message);
        cJSON_AddItemToObject(doc, "error", eo);
        fprintf(stderr, "celeb faces: %s\n", err.message);
    }
    return rc;
}

int cmd_faces(int argc, char **argv)
{
    faces_args a = {.engine = {.detector = FACE_DETECTOR_SSD, .align = FACE_ALIGN_FACEAPI}, .frame = 0};
    static const struct option opts[] = {
        {"detector", required_argument, 0, 'd'}, {"min-score", required_argument, 0, 's'},
        {"tiny-size", required_argument, 0, 'z'}, {"frame", required_argument, 0, 'f'},
        {"frames", required_argument, 0, 'F'},   {"threads", required_argument, 0, 't'},
        {"models", required_argument, 0, 'm'},   {"help", no_argument, 0, 'h'},
        {"align", required_argument, 0, 'a'},    {"jitter", required_argument, 0, 'J'},
        {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            if (!strcmp(optarg, "ssd"))
                a.engine.detector = FACE_DETECTOR_SSD;
            else if (!strcmp(optarg, "tiny"))
                a.engine.detector = FACE_DETECTOR_TINY;
            else {
                fprintf(stderr, "celeb faces: --detector must be ssd or tiny\n");
                return 2;
            }
            break;
        case 's': a.engine.min_score = strtof(optarg, NULL); break;
        case 'z': a.engine.tiny_size = atoi(optarg); break;
        case 'f': a.frame = atoi(optarg); break;
        case 'F':
            if (strcmp(optarg, "all") != 0) {
                fprintf(stderr, "celeb faces: --frames takes 'all'\n");
                return 2;
            }
            a.all_frames = 1;
            break;
        case 't': a.engine.threads = atoi(optarg); break;
        case 'm': a.engine.model_dir = optarg; break;
        case 'a':
            if (cli_parse_align("faces", optarg, &a.engine.align) < 0)
                return 2;
            break;
        case 'J':
            if (cli_parse_jitter("faces", optarg, &a.engine.jitter) < 0)
                return 2;
            break;
        case 'h': faces_usage(stdout); return 0;
        default: faces_usage(stderr); return 2;
        }
    }
    if (optind >= argc || a.frame < 0) {
        faces_usage(stderr);
        return 2;
    }
    face_engine e;
    celeb_error err = {0};
    if (face_engine_open(&e, &a.engine, &err) < 0) {
        fprintf(stderr, "celeb faces: %s\n", err.message);
        return 1;
    }
    int status = 0;
    for (int i = optind; i < argc; i++) {
        cJSON *doc;
        if (process(&e, &a, argv[i], &doc) < 0)
            status = 1;
        cli_print_json(doc);
    }
    face_engine_close(&e);
    return status;
}
