/* test_detect.c - the SSD and tiny face detectors against face-api's output
 * (../shared/reference/faceapi/{ssd,tiny416}.jsonl) on a handful of images,
 * and the NMS rule on synthetic boxes.
 *
 * Images are decoded with PIL (python3 -c ...), not with src/media: JPEG
 * pixels from libjpeg differ slightly from the reference's jpeg-js, so boxes
 * may differ by a fraction of a pixel. Asserted: same number of faces, every
 * box side within 2 px, score within 0.02 (PNGs: 0.01 px and 1e-4). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "detect/detect.h"
#include "detect/nms.h"
#include "testutil.h"

#define MODEL_DIR "models"
#define MAX_FACES 128
/* PNG pixels are exact (PIL = pngjs): the boxes then match to ~2e-4 px and
 * the scores to ~5e-6 (checked on all 197 reference inputs with jpeg-js's
 * pixels). JPEG pixels are not, so those get the loose tolerances. */
#define BOX_TOL 2.0
#define SCORE_TOL 0.02
#define EXACT_BOX_TOL 0.01
#define EXACT_SCORE_TOL 1e-4

static const char *const images[] = {
    "data/celebs/Alex_Lacamoire/alex-lacamoire.png",
    "data/media/fr_two_people.jpg",
    "data/media/faceapi_bbt1.jpg",
    "data/media/deepface_selfie-many-people.jpg",
    "data/media/fr_32bit.png",
    "data/media/dlib_dog.jpg",
    "data/media/faceapi_test_white.png",
};
#define NIMAGES (int)(sizeof images / sizeof images[0])

// ----------------------------------------------------------------------------
// Helpers

/* Decodes an image file to RGB8 with PIL (alpha dropped, grey -> RGB). */
static int load_image_pil(const char *path, image *img)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c \"import sys; from PIL import Image; "
             "im = Image.open(sys.argv[1]).convert('RGB'); "
             "sys.stdout.buffer.write(b'%%d %%d\\n' %% im.size + im.tobytes())\" '%s'",
             path);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    int w = 0, h = 0, rc = -1;
    if (fscanf(p, "%d %d", &w, &h) == 2 && fgetc(p) == '\n' && w > 0 && h > 0 &&
        image_alloc(img, w, h) == 0) {
        size_t bytes = (size_t)w * h * 3;
        rc = fread(img->rgb, 1, bytes, p) == bytes ? 0 : -1;
        if (rc)
            image_free(img);
    }
    pclose(p);
    return rc;
}

static const cJSON *find_line(const cJSON *lines, const char *file)
{
    const cJSON *o;
    cJSON_ArrayForEach(o, lines) {
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, "file");
        if (cJSON_IsString(f) && strcmp(f->valuestring, file) == 0)
            return o;
    }
    return NULL;
}

/* Largest difference of the four box sides (left, top, right, bottom). */
static double side_diff(const face_box *b, const cJSON *ref)
{
    const cJSON *rb = cJSON_GetObjectItemCaseSensitive(ref, "box");
    double rx = json_num(rb, "x"), ry = json_num(rb, "y");
    double rr = rx + json_num(rb, "width"), rbot = ry + json_num(rb, "height");
    double d = fmax(fabs(b->x - rx), fabs(b->y - ry));
    return fmax(d, fmax(fabs(b->x + b->w - rr), fabs(b->y + b->h - rbot)));
}

typedef int (*detect_fn)(void *net, const image *img, face_box *out, int cap, int *n,
                         celeb_error *err);

/* Runs det on every image and compares with the reference lines. Each
 * reference face is matched with the closest detected box (the order of
 * nearly equal scores may differ with other JPEG pixels). */
static void check_against_reference(void *net, detect_fn det, const char *jsonl, const char *what)
{
    char path[1024];
    cJSON *lines = read_jsonl(shared_path(path, sizeof path, jsonl));
    assert_non_null(lines);
    double worst_box = 0, worst_score = 0;
    int total = 0;
    face_box *boxes = malloc(MAX_FACES * sizeof *boxes);
    assert_non_null(boxes);
    for (int i = 0; i < NIMAGES; i++) {
        const cJSON *ref = find_line(lines, images[i]);
        assert_non_null(ref);
        image img = {0};
        assert_int_equal(load_image_pil(shared_path(path, sizeof path, images[i]), &img), 0);
        assert_int_equal(img.width, (int)json_num(ref, "width"));
        assert_int_equal(img.height, (int)json_num(ref, "height"));

        celeb_error err = {0};
        int n = -1;
        int rc = det(net, &img, boxes, MAX_FACES, &n, &err);
        if (rc)
            print_error("%s: %s\n", images[i], err.message);
        assert_int_equal(rc, 0);
        int exact = strstr(images[i], ".png") != NULL;
        double box_tol = exact ? EXACT_BOX_TOL : BOX_TOL;
        double score_tol = exact ? EXACT_SCORE_TOL : SCORE_TOL;
        const cJSON *faces = cJSON_GetObjectItemCaseSensitive(ref, "faces");
        int nref = cJSON_GetArraySize(faces);
        print_message("%s %s: %d faces (reference %d)\n", what, images[i], n, nref);
        assert_int_equal(n, nref);
        for (int k = 1; k < n; k++)
            assert_true(boxes[k - 1].score >= boxes[k].score);

        int used[MAX_FACES] = {0};
        const cJSON *rf;
        cJSON_ArrayForEach(rf, faces) {
            int best = -1;
            double bd = INFINITY;
            for (int k = 0; k < n; k++) {
                double d = side_diff(&boxes[k], rf);
                if (!used[k] && d < bd) {
                    bd = d;
                    best = k;
                }
            }
            assert_true(best >= 0);
            used[best] = 1;
            double sd = fabs(boxes[best].score - json_num(rf, "score"));
            worst_box = fmax(worst_box, bd);
            worst_score = fmax(worst_score, sd);
            print_message("  face %d: box sides off by %.4f px, score by %.5f\n", best, bd, sd);
            assert_true(bd <= box_tol);
            assert_true(sd <= score_tol);
            total++;
        }
        image_free(&img);
    }
    print_message("%s: %d faces, max box side diff %.4f px, max score diff %.5f\n", what, total,
                  worst_box, worst_score);
    free(boxes);
    cJSON_Delete(lines);
}

// ----------------------------------------------------------------------------
// Fixtures: the nets are loaded once per group

static nn_ctx ctx;
static ssd_net ssd;
static tiny_net tiny;

static int group_setup(void **state)
{
    celeb_error err = {0};
    if (nn_ctx_init(&ctx, 2, &err) || ssd_load(&ssd, &ctx, MODEL_DIR, &err) ||
        tiny_load(&tiny, &ctx, MODEL_DIR, TINY_DEFAULT_INPUT, &err)) {
        fprintf(stderr, "setup: %s\n", err.message);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    ssd_free(&ssd);
    tiny_free(&tiny);
    nn_ctx_free(&ctx);
    return 0;
}

static int run_ssd(void *net, const image *img, face_box *out, int cap, int *n, celeb_error *err)
{
    return ssd_detect(net, img, SSD_MIN_SCORE, SSD_MAX_RESULTS, out, cap, n, err);
}

static int run_tiny(void *net, const image *img, face_box *out, int cap, int *n, celeb_error *err)
{
    return tiny_detect(net, img, TINY_MIN_SCORE, out, cap, n, err);
}

// ----------------------------------------------------------------------------
// Tests

static void test_ssd_reference(void **state)
{
    check_against_reference(&ssd, run_ssd, "reference/faceapi/ssd.jsonl", "ssd");
}

static void test_tiny_reference(void **state)
{
    check_against_reference(&tiny, run_tiny, "reference/faceapi/tiny416.jsonl", "tiny416");
}

/* A second run on the same net gives the same boxes (the arena is reused),
 * and the cap truncates to the best faces. */
static void test_repeat_and_cap(void **state)
{
    char path[1024];
    image img = {0};
    assert_int_equal(load_image_pil(shared_path(path, sizeof path, images[3]), &img), 0);
    face_box a[MAX_FACES], b[MAX_FACES], c[2];
    int na, nb, nc;
    celeb_error err = {0};
    assert_int_equal(ssd_detect(&ssd, &img, 0.5, 100, a, MAX_FACES, &na, &err), 0);
    assert_int_equal(ssd_detect(&ssd, &img, 0.5, 100, b, MAX_FACES, &nb, &err), 0);
    assert_int_equal(na, nb);
    assert_true(na > 2);
    assert_memory_equal(a, b, (size_t)na * sizeof *a);
    assert_int_equal(ssd_detect(&ssd, &img, 0.5, 100, c, 2, &nc, &err), 0);
    assert_int_equal(nc, 2);
    assert_memory_equal(a, c, 2 * sizeof *a);
    assert_int_equal(ssd_detect(&ssd, &img, 0.5, 1, c, 2, &nc, &err), 0);   /* maxResults */
    assert_int_equal(nc, 1);
    assert_memory_equal(a, c, sizeof *a);
    assert_int_equal(tiny_detect(&tiny, &img, 0.5, a, MAX_FACES, &na, &err), 0);
    assert_int_equal(tiny_detect(&tiny, &img, 0.5, b, MAX_FACES, &nb, &err), 0);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, (size_t)na * sizeof *a);
    image_free(&img);
}

/* A wide image runs SSD only on the rows that see the picture (the rest
 * comes from an all-padding reference pass). The same picture on a square
 * canvas, padded with black rows by hand, is computed whole: the scores and
 * horizontal coordinates must be bit-identical (the vertical ones differ only
 * by face-api's rounding of the resized height). */
static void test_ssd_band_is_exact(void **state)
{
    char path[1024];
    image wide = {0}, square = {0};
    assert_int_equal(load_image_pil(shared_path(path, sizeof path, "data/media/fr_two_people.jpg"), &wide), 0);
    assert_true(wide.width > wide.height);
    assert_int_equal(image_alloc(&square, wide.width, wide.width), 0);
    memset(square.rgb, 0, (size_t)square.width * square.height * 3);
    memcpy(square.rgb, wide.rgb, (size_t)wide.width * wide.height * 3);
    face_box a[MAX_FACES], b[MAX_FACES];
    int na, nb;
    celeb_error err = {0};
    assert_int_equal(ssd_detect(&ssd, &wide, 0.5, 100, a, MAX_FACES, &na, &err), 0);
    assert_int_equal(ssd_detect(&ssd, &square, 0.5, 100, b, MAX_FACES, &nb, &err), 0);
    assert_int_equal(na, 2);
    assert_int_equal(na, nb);
    for (int i = 0; i < na; i++) {
        assert_true(a[i].score == b[i].score);
        assert_true(a[i].x == b[i].x && a[i].w == b[i].w);
        assert_true(fabs(a[i].y - b[i].y) < 1.0 && fabs(a[i].h - b[i].h) < 1.0);
    }
    image_free(&wide);
    image_free(&square);
}

static void test_bad_arguments(void **state)
{
    celeb_error err = {0};
    tiny_net t;
    assert_int_equal(tiny_load(&t, &ctx, MODEL_DIR, 400, &err), CELEB_EINVAL);
    ssd_net s;
    assert_int_not_equal(ssd_load(&s, &ctx, "/nonexistent", &err), 0);
    image img = {0};
    assert_int_equal(image_alloc(&img, 8, 8), 0);
    memset(img.rgb, 0, 8 * 8 * 3);
    face_box out[4];
    int n = 7;
    assert_int_equal(ssd_detect(&ssd, &img, 1.5, 100, out, 4, &n, &err), CELEB_EINVAL);
    assert_int_equal(n, 0);
    assert_int_equal(tiny_detect(&tiny, &img, 0.0, out, 4, &n, &err), CELEB_EINVAL);
    assert_int_equal(ssd_detect(&ssd, &img, 0.5, 100, out, 4, &n, &err), 0);   /* tiny image */
    assert_int_equal(n, 0);
    image_free(&img);
}

static det_cand cand(double x0, double y0, double x1, double y1, double score, int index)
{
    return (det_cand){{x0, y0, x1, y1}, score, index};
}

static void test_nms(void **state)
{
    /* IoU: [0,2]x[0,1] vs [0,1]x[0,1] = 1/2 exactly; [0,5]x[0,1] vs [0,2]x[0,1] = 2/5. */
    det_cand a = cand(0, 0, 2, 1, 0.9, 0), b = cand(0, 0, 1, 1, 0.8, 1);
    assert_true(nms_iou(&a.box, &b.box) == 0.5);
    nms_box flipped = {2, 1, 0, 0};   /* min/max-ordered per axis like SSD's IOU() */
    assert_true(nms_iou(&flipped, &b.box) == 0.5);
    nms_box empty = {3, 3, 3, 5};
    assert_true(nms_iou(&empty, &empty) == 0.0);

    int keep[8];
    det_cand c[4] = {a, b};
    assert_int_equal(nms_greedy(c, 2, 0.5, 0, keep), 2);          /* IoU == t is kept */
    assert_int_equal(nms_greedy(c, 2, 0.4999, 0, keep), 1);       /* IoU > t is dropped */
    assert_int_equal(keep[0], 0);
    c[0] = cand(0, 0, 5, 1, 0.9, 0);
    c[1] = cand(0, 0, 2, 1, 0.8, 1);
    assert_int_equal(nms_greedy(c, 2, 0.4, 0, keep), 2);          /* 2/5 == 0.4 kept */

    /* Greedy: a dropped box does not suppress others; max_keep stops early. */
    c[0] = cand(0, 0, 10, 10, 0.9, 0);
    c[1] = cand(1, 0, 11, 10, 0.8, 1);    /* IoU 0.82 with c[0]: dropped */
    c[2] = cand(9, 0, 19, 10, 0.7, 2);    /* IoU 0.05 with c[0], 0.11 with c[1]: kept */
    c[3] = cand(30, 30, 40, 40, 0.6, 3);  /* disjoint: kept */
    assert_int_equal(nms_greedy(c, 4, 0.5, 0, keep), 3);
    assert_int_equal(keep[0], 0);
    assert_int_equal(keep[1], 2);
    assert_int_equal(keep[2], 3);
    assert_int_equal(nms_greedy(c, 4, 0.5, 2, keep), 2);
    assert_int_equal(nms_greedy(c, 0, 0.5, 0, keep), 0);

    /* Sorting: by score; ties by index ascending (SSD) or descending (tiny). */
    c[0] = cand(0, 0, 1, 1, 0.5, 7);
    c[1] = cand(0, 0, 1, 1, 0.7, 9);
    c[2] = cand(0, 0, 1, 1, 0.5, 3);
    nms_sort(c, 3, 0);
    assert_int_equal(c[0].index, 9);
    assert_int_equal(c[1].index, 3);
    assert_int_equal(c[2].index, 7);
    nms_sort(c, 3, 1);
    assert_int_equal(c[1].index, 7);
    assert_int_equal(c[2].index, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nms),
        cmocka_unit_test(test_ssd_reference),
        cmocka_unit_test(test_tiny_reference),
        cmocka_unit_test(test_repeat_and_cap),
        cmocka_unit_test(test_ssd_band_is_exact),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests_name("detect", tests, group_setup, group_teardown);
}
