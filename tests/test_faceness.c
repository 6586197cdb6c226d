/* test_faceness.c - the landmark-proportion faceness (src/face/faceness.h):
 * its geometry on synthetic landmarks, then on the faces the engine finds in
 * ../shared/data with `celeb detect`'s settings for a photo (SSD + tiny,
 * similarity crop, tight-crop second look): the dog's face of dlib_dogs.jpg
 * is rejected, no face passes on the no-face images, and true faces pass,
 * the hardest ones included (Madonna's tight crops, the small faces of every
 * frame of giphy_video.gif, a neutral closed mouth).
 *
 * Expected values are the ones measured when the threshold was chosen (see
 * faceness.h); the observed values are printed so that a change of the nets
 * shows up in the log. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "face/faceness.h"
#include "media/media.h"
#include "testutil.h"

/* Landmark values move by ~1e-3 with the build (ASan/-O1 vs -O2). */
#define TOL 0.01

// ----------------------------------------------------------------------------
// Geometry on synthetic landmarks

/* A face whose faceness is known: eyes 0.8 wide with centres 2 apart, nose
 * 0.7 wide, mouth 1.6 wide: (0.8 + 0.8 + 0.7 + 1.6) / 2 = 1.95. */
static void synthetic_face(double p[LM_POINTS][2])
{
    memset(p, 0, sizeof(double) * LM_POINTS * 2);
    for (int i = 0; i < LM_POINTS; i++) {   /* jaw, brows, ...: somewhere plausible */
        p[i][0] = -2.0 + 4.0 * (i % 17) / 16.0;
        p[i][1] = -1.0 + 0.05 * i;
    }
    /* left eye 36-41, centre (-1, 0), corners 36 and 39 */
    const double eye[6][2] = {{-0.4, 0}, {-0.2, -0.1}, {0.2, -0.1}, {0.4, 0}, {0.2, 0.1}, {-0.2, 0.1}};
    for (int i = 0; i < 6; i++) {
        p[36 + i][0] = -1.0 + eye[i][0];
        p[36 + i][1] = eye[i][1];
        p[42 + i][0] = 1.0 + eye[i][0];
        p[42 + i][1] = eye[i][1];
    }
    p[31][0] = -0.35, p[31][1] = 1.0;
    p[35][0] = 0.35, p[35][1] = 1.0;
    p[48][0] = -0.8, p[48][1] = 2.0;
    p[54][0] = 0.8, p[54][1] = 2.0;
}

static void test_geometry(void **state)
{
    (void)state;
    double p[LM_POINTS][2], q[LM_POINTS][2];
    synthetic_face(p);
    assert_float_equal(face_faceness(p), 1.95, 1e-6);

    /* Invariant to rotation, scale, shift and mirroring. */
    const double a = 0.6, c = cos(a), s = sin(a), k = 137.5;
    for (int i = 0; i < LM_POINTS; i++) {
        q[i][0] = k * (c * p[i][0] - s * p[i][1]) + 512.25;
        q[i][1] = k * (s * p[i][0] + c * p[i][1]) - 31.0;
    }
    assert_float_equal(face_faceness(q), 1.95, 1e-5);
    for (int i = 0; i < LM_POINTS; i++)
        q[i][0] = -q[i][0];
    assert_float_equal(face_faceness(q), 1.95, 1e-5);

    /* Eyes twice as far apart for the same features: an animal's proportions. */
    for (int i = 36; i < 42; i++)
        p[i][0] -= 1.0;
    for (int i = 42; i < 48; i++)
        p[i][0] += 1.0;
    assert_float_equal(face_faceness(p), 3.9 / 4.0, 1e-6);

    /* Degenerate and broken landmarks are not faces. */
    face f = {0};
    assert_float_equal(face_faceness(f.landmarks), 0.0, 0.0);
    assert_int_equal(face_is_face(&f), 0);
    synthetic_face(f.landmarks);
    assert_int_equal(face_is_face(&f), 1);
    f.landmarks[48][0] = NAN;
    assert_float_equal(face_faceness(f.landmarks), 0.0, 0.0);
    assert_int_equal(face_is_face(&f), 0);
}

// ----------------------------------------------------------------------------
// The engine on shared data

static int engine_setup(void **state)
{
    face_engine *e = calloc(1, sizeof *e);
    /* `celeb detect` on a photo: both detectors, the similarity crop and
     * the second look on a bigger canvas for tight crops. */
    face_engine_options opt = {.detector = FACE_DETECTOR_BOTH, .align = FACE_ALIGN_SIMILARITY,
                               .find_tight_crops = 1};
    celeb_error err = {0};
    if (!e || face_engine_open(e, &opt, &err)) {
        fprintf(stderr, "face engine: %s\n", err.message);
        free(e);
        return -1;
    }
    *state = e;
    return 0;
}

static int engine_teardown(void **state)
{
    face_engine *e = *state;
    face_engine_close(e);
    free(e);
    return 0;
}

/* Every face of frame `index` of a shared file; *faces is malloc'd. */
static void faces_of(face_engine *e, const char *rel, int index, face **faces, int *n)
{
    char path[1024];
    image img = {0};
    celeb_error err = {0};
    if (media_read_frame(shared_path(path, sizeof path, rel), index, &img, &err))
        fail_msg("%s: %s", rel, err.message);
    int rc = face_engine_run(e, &img, faces, n, &err);
    image_free(&img);
    if (rc)
        fail_msg("%s: %s", rel, err.message);
}

/* Faces of frame 0 that pass; prints every faceness. *lowest: the lowest
 * faceness of the faces found (HUGE_VAL when none). */
static int passing(face_engine *e, const char *rel, int *found, double *lowest)
{
    face *f = NULL;
    int n = 0, pass = 0;
    faces_of(e, rel, 0, &f, &n);
    *lowest = HUGE_VAL;
    print_message("%s:", rel);
    for (int i = 0; i < n; i++) {
        double v = face_faceness(f[i].landmarks);
        print_message(" %.4f", v);
        pass += face_is_face(&f[i]);
        *lowest = fmin(*lowest, v);
    }
    print_message("\n");
    free(f);
    *found = n;
    return pass;
}

static void test_dog_rejected(void **state)
{
    face_engine *e = *state;
    face *f = NULL;
    int n = 0;
    faces_of(e, "data/media/dlib_dogs.jpg", 0, &f, &n);
    assert_int_equal(n, 1);   /* SSD's 0.785 on the dog's face */
    assert_float_equal(f[0].box.x, 485.4, 2.0);
    assert_float_equal(f[0].box.w, 318.9, 2.0);
    assert_float_equal(f[0].box.score, 0.785, 0.01);
    double v = face_faceness(f[0].landmarks);
    print_message("dlib_dogs.jpg: faceness %.4f (threshold %.2f)\n", v, FACE_FACENESS_MIN);
    assert_float_equal(v, 1.5628, TOL);
    assert_int_equal(face_is_face(&f[0]), 0);
    free(f);
}

static void test_no_face_images(void **state)
{
    face_engine *e = *state;
    static const char *const files[] = {
        "data/media/dlib_dogs.jpg",     "data/media/dlib_dog.jpg",    "data/media/dlib_eagle.jpg",
        "data/media/dlib_giraffe.jpg",  "data/media/dlib_horses.jpg", "data/media/dlib_scream.jpg",
        "data/media/faceapi_test_white.png",
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        int found;
        double lowest;
        assert_int_equal(passing(e, files[i], &found, &lowest), 0);
    }
}

static void test_madonna_tight_crops(void **state)
{
    face_engine *e = *state;
    /* The three lowest of all true faces on photos, and two found only on
     * the 2x/3x canvas (their boxes leave the picture). */
    static const struct { const char *file; double faceness; } cases[] = {
        {"httpuploadwikimediaorgwikipediacommonsthumbaMadonnaRotterdamjpgpxMadonnaRotterdamjpg.jpg", 1.7570},
        {"httpwwwblackdogfilmscomwordpresswpcontentuploadsmadonnacelebrationxjpg.jpg", 1.7790},
        {"httpssmediacacheakpinimgcomxffecfafddjpg.jpg", 1.8154},
        {"httpssmediacacheakpinimgcomxfeebfdccajpg.jpg", 1.8495},
        {"httpsuploadwikimediaorgwikipediacommonsMadonnathAnnualGoldenGlobesAwardscroppedjpg.jpg", 1.9132},
        {"httpmediavoguecomrwblondesdarkbrowsmadonnajpg.jpg", 1.9125},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char rel[512];
        snprintf(rel, sizeof rel, "data/celebs/Madonna/%s", cases[i].file);
        int found;
        double lowest;
        int pass = passing(e, rel, &found, &lowest);
        assert_int_equal(found, 1);
        assert_int_equal(pass, 1);
        assert_float_equal(lowest, cases[i].faceness, TOL);
    }
}

static void test_giphy_small_faces(void **state)
{
    face_engine *e = *state;
    char path[1024];
    celeb_error err = {0};
    media *m = NULL;
    if (media_open_file(shared_path(path, sizeof path, "data/media/giphy_video.gif"), NULL, &m, &err))
        fail_msg("%s", err.message);
    e->opt.find_tight_crops = 0;   /* as `celeb detect` on an animation */
    media_frame fr;
    int frames = 0, faces = 0, rc;
    double lowest = HUGE_VAL;
    while ((rc = media_next_frame(m, &fr, &err)) > 0) {
        face *f = NULL;
        int n = 0;
        if (face_engine_run(e, &fr.img, &f, &n, &err))
            fail_msg("frame %d: %s", fr.index, err.message);
        assert_int_equal(n, 2);   /* Brad Pitt and Angelina Jolie, faces 53-95 px wide */
        for (int i = 0; i < n; i++) {
            assert_true(face_is_face(&f[i]));
            lowest = fmin(lowest, face_faceness(f[i].landmarks));
        }
        faces += n;
        frames++;
        free(f);
    }
    e->opt.find_tight_crops = 1;
    media_close(m);
    assert_int_equal(rc, 0);
    print_message("giphy_video.gif: %d faces in %d frames, lowest faceness %.4f\n", faces, frames,
                  lowest);
    assert_int_equal(frames, 10);
    assert_float_equal(lowest, 2.131, TOL);
}

static void test_media_people(void **state)
{
    face_engine *e = *state;
    static const struct { const char *file; int faces; double lowest; } cases[] = {
        {"data/media/fr_two_people.jpg", 2, 1.9949},
        {"data/media/faceapi_neutral.jpg", 1, 1.8173},
        {"data/media/faceapi_bbt1.jpg", 4, 1.8628},
        {"data/media/deepface_couple.jpg", 2, 1.889},
        {"data/media/dlib_2008_001322.jpg", 3, 2.011},
        {"data/media/dlib_elon-musk-smoke.gif", 1, 1.8265},
        /* 26 boxes on this collage of 4 men, 2 of them between two faces:
         * those pass too (faceness is about animals, not box placement). */
        {"data/media/dlib_bald_guys.jpg", 26, 1.849},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int found;
        double lowest;
        int pass = passing(e, cases[i].file, &found, &lowest);
        assert_int_equal(found, cases[i].faces);
        assert_int_equal(pass, cases[i].faces);
        assert_float_equal(lowest, cases[i].lowest, TOL);
    }
}

/* A detector the engine was not opened with is an error, not a crash
 * (bench/nets asked an SSD engine for both detectors once). */
static void test_detector_not_loaded(void **state)
{
    (void)state;
    face_engine e;
    face_engine_options opt = {.detector = FACE_DETECTOR_SSD};
    celeb_error err = {0};
    assert_int_equal(face_engine_open(&e, &opt, &err), CELEB_OK);
    image img = {0};
    assert_int_equal(image_alloc(&img, 64, 64), CELEB_OK);
    memset(img.rgb, 128, (size_t)64 * 64 * 3);
    face *f = NULL;
    int n = -1;
    const face_detector asked[2] = {FACE_DETECTOR_BOTH, FACE_DETECTOR_TINY};
    for (int i = 0; i < 2; i++) {
        e.opt.detector = asked[i];
        assert_int_equal(face_engine_run(&e, &img, &f, &n, &err), CELEB_EINVAL);
        assert_non_null(strstr(err.message, "without the tiny detector"));
        assert_null(f);
    }
    e.opt.detector = FACE_DETECTOR_SSD;
    assert_int_equal(face_engine_run(&e, &img, &f, &n, &err), CELEB_OK);
    assert_int_equal(n, 0);
    image_free(&img);
    face_engine_close(&e);
}

int main(void)
{
    const struct CMUnitTest geometry[] = {
        cmocka_unit_test(test_geometry),
        cmocka_unit_test(test_detector_not_loaded),
    };
    const struct CMUnitTest engine[] = {
        cmocka_unit_test(test_dog_rejected),
        cmocka_unit_test(test_no_face_images),
        cmocka_unit_test(test_madonna_tight_crops),
        cmocka_unit_test(test_giphy_small_faces),
        cmocka_unit_test(test_media_people),
    };
    int failed = cmocka_run_group_tests_name("faceness geometry", geometry, NULL, NULL);
    failed += cmocka_run_group_tests_name("faceness on shared data", engine, engine_setup,
                                          engine_teardown);
    return failed != 0;
}
