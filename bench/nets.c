/* nets.c - throughput of this project's four nets, in the units the peers
 * report (bench/peers.sh), one line per figure:
 *
 *   peer=celeb net=recognition batch=1 threads=1 per_s=123.4 gflops=61.2
 *
 * recognition/landmarks: faces/s of the net alone on ready (resized,
 * normalised) inputs, batch 1 and 16, as the torch peer measures;
 * recognition+crop: from an aligned face crop, the crop -> 150x150 resize
 * and normalisation included, one face per call, as the faceapi peer
 * measures; recognition+chip: the same from the face's landmarks with
 * dlib's chip (locate, extract, normalise), the descriptor stage of
 * enrolment and detection.
 * enroll: photos/s of enrolment's face engine on the test photo (detection
 * with the second look, landmarks, the chip's descriptor), batch = the
 * jittered copies averaged (1: none; CELEB_ENROLL_JITTER, enrolment's
 * default).
 * ssd/tiny: images/s on a 640x480 image: resize to the net input, the net,
 * box decoding and NMS. Each figure is the median of 3 timed runs of
 * --seconds each, after one warm-up call.
 *
 * usage: nets [--threads 1,2] [--seconds 1.0] [--image FILE] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "align/align.h"
#include "align/chip.h"
#include "celeb.h"
#include "detect/detect.h"
#include "embed/recognition.h"
#include "face/faces.h"
#include "landmark/landmark68.h"
#include "media/media.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef int (*bench_fn)(void *arg);

/* Median over 3 runs of calls/s, each run at least `seconds` long. */
static double rate(bench_fn fn, void *arg, double seconds)
{
    double r[3];
    if (fn(arg) < 0)   /* warm-up: arenas grow, weights get hot */
        return -1;
    for (int k = 0; k < 3; k++) {
        int calls = 0;
        double t0 = now(), t;
        do {
            if (fn(arg) < 0)
                return -1;
            calls++;
        } while ((t = now() - t0) < seconds);
        r[k] = calls / t;
    }
    qsort(r, 3, sizeof r[0], cmp_double);
    return r[1];
}

// ----------------------------------------------------------------------------
// The benchmarked calls

typedef struct bench_state {
    int with_crop;         /* build the inputs from the face crop in each call */
    image img640;          /* 640x480 test image */
    image face_img;        /* source of the face crops */
    int_rect face_rect;    /* the aligned face crop in face_img */
    double landmarks[LM_POINTS][2];   /* of that face */
    face_engine *engine;   /* for the enroll figure */
    int batch;
    float *in, *out;
    recog_net *recog;      /* borrowed from the engine */
    lm_net *lm;
    ssd_net *ssd;
    tiny_net tiny;
    celeb_error err;
} bench_state;

static const input_norm face_norm = {{122.782f, 117.001f, 104.298f}, 1.0f / 255.0f, 0.0f};

static int run_recog(void *arg)
{
    bench_state *s = arg;
    size_t one = (size_t)RECOG_INPUT * RECOG_INPUT * 3;
    for (int i = 0; s->with_crop && i < s->batch; i++)
        input_from_region(&s->face_img, s->face_rect, RECOG_INPUT, 1, &face_norm, s->in + i * one);
    return recog_forward(s->recog, s->in, s->batch, s->out, &s->err);
}

static int run_recog_chip(void *arg)
{
    bench_state *s = arg;
    face_chip where = chip_locate(s->landmarks, CHIP_SIZE, CHIP_PADDING);
    image chip;
    if (chip_extract(&s->face_img, &where, CHIP_SIZE, &chip) < 0)
        return -1;
    input_normalize(&chip, &chip_norm, s->in);
    image_free(&chip);
    return recog_forward(s->recog, s->in, 1, s->out, &s->err);
}

static int run_enroll(void *arg)
{
    bench_state *s = arg;
    face *f = NULL;
    int n = 0, rc = face_engine_run(s->engine, &s->face_img, &f, &n, &s->err);
    free(f);
    return rc < 0 || n < 1 ? -1 : 0;
}

static int run_lm(void *arg)
{
    bench_state *s = arg;
    size_t one = (size_t)LM_INPUT * LM_INPUT * 3;
    for (int i = 0; s->with_crop && i < s->batch; i++)
        input_from_region(&s->face_img, s->face_rect, LM_INPUT, 1, &face_norm, s->in + i * one);
    return lm_forward(s->lm, s->in, s->batch, s->out, &s->err);
}

static int run_ssd(void *arg)
{
    bench_state *s = arg;
    face_box boxes[100];
    int n;
    return ssd_detect(s->ssd, &s->img640, 0.5f, 100, boxes, 100, &n, &s->err);
}

static int run_tiny(void *arg)
{
    bench_state *s = arg;
    face_box boxes[256];
    int n;
    return tiny_detect(&s->tiny, &s->img640, 0.5, boxes, 256, &n, &s->err);
}

// ----------------------------------------------------------------------------

/* Nearest-neighbour resize, only to make the 640x480 test input. */
static int resize_nearest(const image *src, image *dst, int w, int h)
{
    if (image_alloc(dst, w, h) < 0)
        return -1;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            memcpy(dst->rgb + ((size_t)y * w + x) * 3,
                   src->rgb + ((size_t)(y * src->height / h) * src->width + x * src->width / w) * 3, 3);
    return 0;
}

static void report(const char *net, int batch, int threads, double per_s, double flops)
{
    printf("peer=celeb net=%s batch=%d threads=%d per_s=%.2f", net, batch, threads, per_s);
    if (flops > 0)
        printf(" gflops=%.2f", per_s * flops / 1e9);
    printf("\n");
    fflush(stdout);
}

int main(int argc, char **argv)
{
    const char *threads_list = "1,2";
    double seconds = 1.0;
    char default_image[1024];
    const char *shared = getenv("CELEB_SHARED");
    snprintf(default_image, sizeof default_image, "%s/data/celebs/Barack_Obama/obama.jpg",
             shared && *shared ? shared : "../shared");
    const char *image_path = default_image;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads_list = argv[++i];
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--image") && i + 1 < argc)
            image_path = argv[++i];
        else {
            fprintf(stderr, "usage: nets [--threads 1,2] [--seconds S] [--image FILE]\n");
            return 2;
        }
    }

    bench_state s = {0};
    celeb_error err = {0};
    if (media_read_frame(image_path, 0, &s.face_img, &err) < 0 ||
        resize_nearest(&s.face_img, &s.img640, 640, 480) < 0) {
        fprintf(stderr, "nets: %s: %s\n", image_path, err.message);
        return 1;
    }

    char *list = strdup(threads_list);
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        int threads = atoi(tok);
        face_engine e;
        face_engine_options opt = {.threads = threads};
        /* Find the face once with the full engine to get a real aligned crop. */
        face *faces;
        int n;
        if (face_engine_open(&e, &opt, &err) < 0 ||
            face_engine_run(&e, &s.face_img, &faces, &n, &err) < 0 || n < 1) {
            fprintf(stderr, "nets: no face in %s: %s\n", image_path, err.message);
            return 1;
        }
        s.face_rect = box_clip(faces[0].align_rect.x, faces[0].align_rect.y, faces[0].align_rect.w,
                               faces[0].align_rect.h, s.face_img.width, s.face_img.height);
        memcpy(s.landmarks, faces[0].landmarks, sizeof s.landmarks);
        free(faces);
        if (tiny_load(&s.tiny, &e.ctx, e.opt.model_dir, TINY_DEFAULT_INPUT, &err) < 0) {
            fprintf(stderr, "nets: %s\n", err.message);
            return 1;
        }
        s.recog = &e.recog;
        s.lm = &e.lm;
        s.ssd = &e.ssd;
        s.in = malloc((size_t)16 * RECOG_INPUT * RECOG_INPUT * 3 * sizeof(float));
        s.out = malloc((size_t)16 * 2 * LM_POINTS * sizeof(float));

        /* Ready inputs: every face of the batch is the real face crop.
         * FLOPs per face from one single-face pass (nets run big batches in chunks). */
        s.batch = 16;
        s.with_crop = 1;
        run_recog(&s);
        s.batch = 1;
        run_recog(&s);
        double recog_flops = s.recog->exec.flops;
        s.with_crop = 0;
        static const int batches[2] = {1, 16};
        for (int b = 0; b < 2; b++) {
            s.batch = batches[b];
            double r = rate(run_recog, &s, seconds);
            report("recognition", s.batch, threads, r * s.batch, recog_flops);
        }
        s.batch = 1;
        s.with_crop = 1;
        report("recognition+crop", 1, threads, rate(run_recog, &s, seconds), recog_flops);
        report("recognition+chip", 1, threads, rate(run_recog_chip, &s, seconds), recog_flops);
        face_engine_options eo = celeb_enroll_engine_options(NULL, threads), saved = e.opt;
        const int jitters[2] = {1, CELEB_ENROLL_JITTER};
        for (int j = 0; j < 2; j++) {
            e.opt.detector = FACE_DETECTOR_SSD;   /* the full look (the quick one is celeb_enroll_image's) */
            e.opt.find_tight_crops = eo.find_tight_crops;
            e.opt.align = eo.align;
            e.opt.jitter = jitters[j];
            s.engine = &e;
            report("enroll", jitters[j], threads, rate(run_enroll, &s, seconds), 0);
        }
        e.opt = saved;
        s.batch = 16;
        run_lm(&s);
        s.batch = 1;
        run_lm(&s);
        double lm_flops = s.lm->exec.flops;
        s.with_crop = 0;
        for (int b = 0; b < 2; b++) {
            s.batch = batches[b];
            double r = rate(run_lm, &s, seconds);
            report("landmarks", s.batch, threads, r * s.batch, lm_flops);
        }
        report("ssd", 1, threads, rate(run_ssd, &s, seconds), s.ssd->exec.flops);
        report("tiny", 1, threads, rate(run_tiny, &s, seconds), s.tiny.exec.flops);

        free(s.in);
        free(s.out);
        tiny_free(&s.tiny);
        face_engine_close(&e);
    }
    free(list);
    image_free(&s.img640);
    image_free(&s.face_img);
    return 0;
}
