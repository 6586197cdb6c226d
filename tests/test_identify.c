/* test_identify.c - naming faces against an in-memory gallery index and
 * grouping the faces of a GIF into persons, on real photos and GIFs from
 * ../shared/data with descriptors from the face engine (SSD, default
 * options), plus synthetic cases for the rules (empty index, same-frame
 * faces, bad arguments).
 *
 * The observed values are printed so that a change of the nets or of the
 * rules shows up in the log, not only as a pass/fail. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "face/faces.h"
#include "group/group.h"
#include "identify/identify.h"
#include "media/media.h"
#include "testutil.h"

// ----------------------------------------------------------------------------
// Helpers

static int cmp_face_x(const void *a, const void *b)
{
    double xa = ((const face *)a)->box.x, xb = ((const face *)b)->box.x;
    return (xa > xb) - (xa < xb);
}

/* Every face of frame `index` of a shared file, ordered by box x. *faces is
 * malloc'd (caller frees). */
static void faces_of(face_engine *e, const char *rel, face **faces, int *n)
{
    char path[1024];
    image img = {0};
    celeb_error err = {0};
    int rc = media_read_frame(shared_path(path, sizeof path, rel), 0, &img, &err);
    if (rc)
        fail_msg("%s: %s", rel, err.message);
    rc = face_engine_run(e, &img, faces, n, &err);
    image_free(&img);
    if (rc)
        fail_msg("%s: %s", rel, err.message);
    if (*n > 1)
        qsort(*faces, (size_t)*n, sizeof **faces, cmp_face_x);
}

/* The one face of an enrolment photo as a gallery face named `name`. */
static void enrol(face_engine *e, const char *rel, const char *name, gallery_face *gf)
{
    face *f = NULL;
    int n = 0;
    faces_of(e, rel, &f, &n);
    assert_int_equal(n, 1);
    memset(gf, 0, sizeof *gf);
    snprintf(gf->name, sizeof gf->name, "%s", name);
    snprintf(gf->source, sizeof gf->source, "%s", rel);
    memcpy(gf->descriptor, f[0].descriptor, sizeof gf->descriptor);
    free(f);
}

static void print_result(const char *what, const identify_result *r)
{
    print_message("%s: %s known=%d", what, r->name, r->known);
    for (int k = 0; k < r->n_candidates; k++)
        print_message("  [%s d=%.4f p=%.4f]", r->candidates[k].name, r->candidates[k].distance,
                      r->candidates[k].p);
    print_message("\n");
}

/* Every face of every frame of a shared media file, as group faces. */
static void group_input(face_engine *e, const char *rel, group_face **out, int *n, int *frames,
                        int *per_frame /* [64] */)
{
    char path[1024];
    celeb_error err = {0};
    media *m = NULL;
    if (media_open_file(shared_path(path, sizeof path, rel), NULL, &m, &err))
        fail_msg("%s: %s", rel, err.message);
    group_face *g = NULL;
    int count = 0, rc;
    media_frame fr;
    *frames = 0;
    while ((rc = media_next_frame(m, &fr, &err)) > 0) {
        face *f = NULL;
        int nf = 0;
        if (face_engine_run(e, &fr.img, &f, &nf, &err))
            fail_msg("%s frame %d: %s", rel, fr.index, err.message);
        if (fr.index < 64)
            per_frame[fr.index] = nf;
        group_face *ng = realloc(g, (size_t)(count + nf + 1) * sizeof *g);
        assert_non_null(ng);
        g = ng;
        for (int i = 0; i < nf; i++) {
            group_face *gf = &g[count++];
            gf->frame = fr.index;
            memcpy(gf->descriptor, f[i].descriptor, sizeof gf->descriptor);
            gf->box[0] = (float)f[i].box.x;
            gf->box[1] = (float)f[i].box.y;
            gf->box[2] = (float)f[i].box.w;
            gf->box[3] = (float)f[i].box.h;
            gf->score = (float)f[i].box.score;
        }
        free(f);
        (*frames)++;
    }
    media_close(m);
    if (rc < 0)
        fail_msg("%s: %s", rel, err.message);
    *out = g;
    *n = count;
}

static int group_setup(void **state)
{
    face_engine *e = calloc(1, sizeof *e);
    face_engine_options opt = {0};
    celeb_error err = {0};
    if (!e || face_engine_open(e, &opt, &err)) {
        fprintf(stderr, "face engine: %s\n", err.message);
        free(e);
        return -1;
    }
    *state = e;
    return 0;
}

static int group_teardown(void **state)
{
    face_engine *e = *state;
    face_engine_close(e);
    free(e);
    return 0;
}

// ----------------------------------------------------------------------------
// Identification

static void test_identify_real(void **state)
{
    face_engine *e = *state;
    gallery_face gf[3];
    enrol(e, "data/celebs/Barack_Obama/obama.jpg", "Barack_Obama", &gf[0]);
    enrol(e, "data/celebs/Joe_Biden/biden.jpg", "Joe_Biden", &gf[1]); /* out of name order */
    enrol(e, "data/celebs/Barack_Obama/obama2.jpg", "Barack_Obama", &gf[2]);
    print_message("obama-obama2 %.4f obama-biden %.4f\n",
                  identify_distance(gf[0].descriptor, gf[2].descriptor),
                  identify_distance(gf[0].descriptor, gf[1].descriptor));

    identify_index *ix = NULL;
    celeb_error err = {0};
    assert_int_equal(identify_index_build(gf, 3, &ix, &err), CELEB_OK);
    assert_int_equal(identify_index_identities(ix), 2);

    face *f = NULL;
    int n = 0;
    faces_of(e, "data/media/fr_two_people.jpg", &f, &n);
    assert_int_equal(n, 2);
    identify_result r;
    const char *expect[2] = {"Barack_Obama", "Joe_Biden"};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(identify_face(ix, f[i].descriptor, NULL, &r), CELEB_OK);
        print_result(expect[i], &r);
        assert_true(r.known);
        assert_string_equal(r.name, expect[i]);
        assert_string_equal(r.candidates[0].name, expect[i]);
        assert_int_equal(r.n_candidates, 2);
        assert_true(r.distance < 0.6f);
        assert_true(r.p >= IDENTIFY_DEFAULT_MODEL.min_confidence);
        assert_true(r.candidates[1].distance > r.candidates[0].distance);
        assert_true(r.candidates[1].p < 0.05);   /* further, and a negative margin */
    }

    /* The mean of a group is identified like a face; both Obama faces of
     * the gallery as a group come out Obama, at a distance ~0 of his centre. */
    float two[2][GALLERY_DIM];
    memcpy(two[0], gf[0].descriptor, sizeof two[0]);
    memcpy(two[1], gf[2].descriptor, sizeof two[1]);
    assert_int_equal(identify_descriptors(ix, (const float(*)[GALLERY_DIM])two, 2, NULL, &r),
                     CELEB_OK);
    assert_string_equal(r.name, "Barack_Obama");
    assert_true(r.distance < 1e-5f);

    /* Strangers: never forced onto a name, whatever p says. */
    const char *strangers[] = {"data/celebs/Tom_Cruise/Tom_Cruise_avp_2014_4.jpg",
                               "data/celebs/Lenna/giphy_image1.jpg"};
    for (int s = 0; s < 2; s++) {
        face *sf = NULL;
        int sn = 0;
        faces_of(e, strangers[s], &sf, &sn);
        assert_true(sn >= 1);
        assert_int_equal(identify_face(ix, sf[0].descriptor, NULL, &r), CELEB_OK);
        print_result(strangers[s], &r);
        assert_false(r.known);
        assert_string_equal(r.name, "unknown");
        assert_int_equal(r.n_candidates, 2);
        assert_true(r.distance >= 0.6f);
        free(sf);
    }

    /* A threshold is an option: Biden (0.08 from his enrolled photo, the
     * same picture) is no longer known under 0.05. */
    identify_options strict = {.threshold = 0.05f};
    assert_int_equal(identify_face(ix, f[1].descriptor, &strict, &r), CELEB_OK);
    assert_false(r.known);
    assert_string_equal(r.name, "unknown");
    assert_string_equal(r.candidates[0].name, "Joe_Biden");

    free(f);
    identify_index_free(ix);
}

static void test_identify_synthetic(void **state)
{
    (void)state;
    identify_index *ix = NULL;
    celeb_error err = {0};
    identify_result r;
    float d[GALLERY_DIM] = {0};

    /* Empty index: unknown, no candidates. */
    assert_int_equal(identify_index_build(NULL, 0, &ix, &err), CELEB_OK);
    assert_int_equal(identify_index_identities(ix), 0);
    assert_int_equal(identify_face(ix, d, NULL, &r), CELEB_OK);
    assert_false(r.known);
    assert_int_equal(r.n_candidates, 0);
    assert_string_equal(r.name, "unknown");
    identify_index_free(ix);

    /* 7 identities on one axis: the 5 nearest, the distance the min of
     * centre and nearest photo, p from the distance, the margin to the next
     * identity and the photos. */
    gallery_face g[8];
    memset(g, 0, sizeof g);
    for (int i = 0; i < 7; i++) {
        snprintf(g[i].name, sizeof g[i].name, "p%d", i);
        g[i].descriptor[0] = 0.1f * (float)i;
    }
    /* p0 gets a second photo at x = 0.9: centre 0.45, so a face at 0.47 is
     * 0.02 from p0's centre, nearer than p5's photo (0.5) and p4's (0.4). */
    snprintf(g[7].name, sizeof g[7].name, "p0");
    g[7].descriptor[0] = 0.9f;
    assert_int_equal(identify_index_build(g, 8, &ix, &err), CELEB_OK);
    assert_int_equal(identify_index_identities(ix), 7);
    identify_model m = {.bias = 1, .w_distance = -10, .w_margin = 20, .w_photos = -1, .min_confidence = 0.5};
    identify_index_set_model(ix, &m);
    d[0] = 0.47f;
    assert_int_equal(identify_face(ix, d, NULL, &r), CELEB_OK);
    assert_int_equal(r.n_candidates, 5);
    assert_string_equal(r.candidates[0].name, "p0");
    assert_float_equal(r.candidates[0].distance, 0.02, 1e-5);
    assert_string_equal(r.candidates[1].name, "p5");
    assert_string_equal(r.candidates[2].name, "p4");
    assert_string_equal(r.candidates[3].name, "p6");
    assert_string_equal(r.candidates[4].name, "p3");
    /* p0: 1 - 10 * 0.02 + 20 * (0.03 - 0.02) - ln 2; p5: its margin to p0 is -0.01. */
    assert_float_equal(r.candidates[0].p, 1 / (1 + exp(-(1 - 0.2 + 0.2 - log(2)))), 1e-4);
    assert_float_equal(r.candidates[1].p, 1 / (1 + exp(-(1 - 0.3 - 0.2))), 1e-4);
    assert_float_equal(r.p, r.candidates[0].p, 1e-7);
    assert_true(r.p > 0.5 && r.known);   /* 0.58 */
    assert_string_equal(r.name, "p0");
    /* Above the operating point: the same face, not named. */
    identify_options sure = {.min_confidence = 0.6f};
    assert_int_equal(identify_face(ix, d, &sure, &r), CELEB_OK);
    assert_false(r.known);
    assert_string_equal(r.name, "unknown");
    assert_string_equal(r.candidates[0].name, "p0");
    for (int k = 1; k < 5; k++)
        assert_true(r.candidates[k].distance >= r.candidates[k - 1].distance);
    /* Beyond the cap: p high, still unknown. */
    identify_options capped = {.threshold = 0.01f};
    assert_int_equal(identify_face(ix, d, &capped, &r), CELEB_OK);
    assert_false(r.known);

    /* A clear margin: a face at 0.0 is p0's photo itself, 0.1 from p1. */
    d[0] = 0.0f;
    assert_int_equal(identify_face(ix, d, NULL, &r), CELEB_OK);
    assert_string_equal(r.name, "p0");
    assert_float_equal(r.p, 1 / (1 + exp(-(1 + 2 - log(2)))), 1e-4);

    /* One identity: the margin is IDENTIFY_MARGIN_MAX. */
    identify_index_free(ix);
    assert_int_equal(identify_index_build(g + 3, 1, &ix, &err), CELEB_OK);
    identify_index_set_model(ix, &m);
    memset(d, 0, sizeof d);
    d[0] = 0.6f;
    d[1] = 0.4f;   /* 0.5 from p3 at (0.3, 0) */
    assert_int_equal(identify_face(ix, d, NULL, &r), CELEB_OK);
    assert_float_equal(r.p, 1 / (1 + exp(-(1 - 5 + 20 * IDENTIFY_MARGIN_MAX))), 1e-5);
    assert_float_equal(identify_model_p(&m, 0.5, 3.0, 1), r.p, 1e-6);
    identify_index_free(ix);

    /* Bad input. */
    g[0].descriptor[3] = NAN;
    assert_int_equal(identify_index_build(g, 8, &ix, &err), CELEB_EINVAL);
    g[0].descriptor[3] = 0;
    g[1].name[0] = 0;
    assert_int_equal(identify_index_build(g, 8, &ix, &err), CELEB_EINVAL);
    assert_int_equal(identify_index_build(NULL, 2, &ix, &err), CELEB_EINVAL);
    assert_int_equal(identify_face(NULL, d, NULL, &r), CELEB_EINVAL);
    assert_string_equal(r.name, "unknown");
}

/* A uniform draw in [-1, 1) from a splitmix64 state. */
static double draw(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (double)((z ^ (z >> 31)) >> 11) / 9007199254740992.0 * 2 - 1;
}

/* A person: a random centre 0.5 from the origin-ish; a photo: the centre
 * plus noise, so that photos of one person are ~0.35 apart and different
 * people ~0.7 (the net's scale). */
static void random_point(uint64_t *s, const float *centre, double spread, float *out)
{
    for (int k = 0; k < GALLERY_DIM; k++)
        out[k] = (centre ? centre[k] : 0) + (float)(spread * draw(s));
}

static void test_identify_train(void **state)
{
    (void)state;
    enum { PEOPLE = 60, PHOTOS = 3 };
    static float centre[PEOPLE + 40][GALLERY_DIM];
    static gallery_face g[PEOPLE * PHOTOS];
    uint64_t rng = 7;
    for (int p = 0; p < PEOPLE + 40; p++)
        random_point(&rng, NULL, 0.045, centre[p]);   /* |a - b| ~ 0.045 * sqrt(128 * 2/3) = 0.42 */
    for (int p = 0; p < PEOPLE; p++)
        for (int k = 0; k < PHOTOS; k++) {
            gallery_face *f = &g[p * PHOTOS + k];
            memset(f, 0, sizeof *f);
            snprintf(f->name, sizeof f->name, "person%02d", p);
            random_point(&rng, centre[p], 0.03, f->descriptor);
        }

    /* Too few people with 2+ photos: the default model, not fitted. */
    identify_model m;
    int fitted = -1, samples = -1;
    celeb_error err = {0};
    assert_int_equal(identify_train(g, 7 * PHOTOS, &m, &fitted, &samples, &err), CELEB_OK);
    assert_int_equal(fitted, 0);
    assert_float_equal(m.w_margin, IDENTIFY_DEFAULT_MODEL.w_margin, 0);
    assert_float_equal(m.min_confidence, IDENTIFY_DEFAULT_MODEL.min_confidence, 0);

    /* 60 people: every photo searched without itself (180) and one photo
     * of each without its person (60). */
    assert_int_equal(identify_train(g, PEOPLE * PHOTOS, &m, &fitted, &samples, &err), CELEB_OK);
    assert_int_equal(fitted, 1);
    assert_int_equal(samples, PEOPLE * PHOTOS + PEOPLE);
    print_message("fitted bias %.2f distance %.2f margin %.2f photos %.2f min_confidence %.3f\n", m.bias,
                  m.w_distance, m.w_margin, m.w_photos, m.min_confidence);
    assert_true(m.w_distance < 0 && m.w_margin > 0);
    assert_true(m.min_confidence >= 0.5 && m.min_confidence <= 0.99);

    /* Held out: a new photo of each person is named right, a new person's
     * photo is left unknown. */
    identify_index *ix = NULL;
    assert_int_equal(identify_index_build(g, PEOPLE * PHOTOS, &ix, &err), CELEB_OK);
    identify_index_set_model(ix, &m);
    int right = 0, rejected = 0, wrong_names = 0;
    float q[GALLERY_DIM];
    identify_result r;
    for (int p = 0; p < PEOPLE + 40; p++) {
        random_point(&rng, centre[p], 0.03, q);
        assert_int_equal(identify_face(ix, q, NULL, &r), CELEB_OK);
        char want[GALLERY_NAME_MAX];
        snprintf(want, sizeof want, "person%02d", p);
        if (p < PEOPLE) {
            right += r.known && !strcmp(r.name, want);
            wrong_names += r.known && strcmp(r.name, want);
        } else {
            rejected += !r.known;
            wrong_names += r.known;
        }
    }
    print_message("known named right %d/%d, strangers rejected %d/40, wrong names %d\n", right, PEOPLE,
                  rejected, wrong_names);
    assert_true(right >= PEOPLE * 9 / 10);
    assert_true(rejected >= 36);
    assert_true(wrong_names <= 2);
    identify_index_free(ix);

    /* The model as text and back; garbage is refused. */
    char text[GALLERY_META_MAX];
    identify_model back;
    identify_model_format(&m, text, sizeof text);
    assert_int_equal(identify_model_parse(text, &back), CELEB_OK);
    assert_float_equal(back.w_margin, m.w_margin, 1e-4 * fabs(m.w_margin));
    assert_float_equal(back.bias, m.bias, 1e-4 * fabs(m.bias));
    assert_float_equal(back.min_confidence, m.min_confidence, 1e-5);
    assert_int_equal(identify_model_parse("bias=1 distance=-1 margin=2 photos=0 min_confidence=2", &back),
                     CELEB_EFORMAT);
    assert_int_equal(identify_model_parse("bias=nan distance=-1 margin=2 photos=0 min_confidence=0.9", &back),
                     CELEB_EFORMAT);
    assert_int_equal(identify_model_parse("bias=1 distance=-1 margin=2 photos=0 min_confidence=0.9 x", &back),
                     CELEB_EFORMAT);
    /* the softmax model of earlier galleries: not this model */
    assert_int_equal(identify_model_parse("beta=1 d0=0.5 gamma=0 min_confidence=0.9", &back), CELEB_EFORMAT);
    assert_int_equal(identify_model_parse("", &back), CELEB_EFORMAT);
    /* Bad faces: as identify_index_build. */
    g[0].descriptor[0] = NAN;
    assert_int_equal(identify_train(g, PEOPLE * PHOTOS, &m, &fitted, &samples, &err), CELEB_EINVAL);
}

// ----------------------------------------------------------------------------
// Grouping

static void check_frames_split(const group_face *g, const int *person, int n)
{
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (g[i].frame == g[j].frame)
                assert_int_not_equal(person[i], person[j]);
}

static void test_group_two_people_gif(void **state)
{
    face_engine *e = *state;
    group_face *g = NULL;
    int n = 0, frames = 0, per_frame[64] = {0};
    group_input(e, "data/media/giphy_video.gif", &g, &n, &frames, per_frame);
    assert_int_equal(frames, 10);
    print_message("giphy_video.gif: %d faces, per frame", n);
    for (int i = 0; i < frames; i++)
        print_message(" %d", per_frame[i]);
    print_message("\n");
    /* face-api's SSD on frames 0, 5 and 9 (../shared/reference): 2, 0, 1. */
    assert_int_equal(per_frame[0], 2);
    assert_int_equal(per_frame[5], 0);
    assert_int_equal(per_frame[9], 1);
    assert_true(n >= 8);

    int *person = calloc((size_t)n, sizeof *person), persons = 0;
    assert_non_null(person);
    celeb_error err = {0};
    assert_int_equal(group_faces(g, n, NULL, person, &persons, &err), CELEB_OK);
    for (int i = 0; i < n; i++)
        print_message("  frame %d x %.0f -> person %d\n", g[i].frame, g[i].box[0], person[i]);
    assert_int_equal(persons, 2);
    check_frames_split(g, person, n);
    /* Persons by first appearance: frame 0's left face is person 0. */
    int left = -1;
    for (int i = 0; i < n; i++)
        if (g[i].frame == 0 && (left < 0 || g[i].box[0] < g[left].box[0]))
            left = i;
    assert_true(left >= 0);
    assert_int_equal(person[left], 0);
    /* The two people stay on their side of the frame: left (x ~155) is
     * person 0, right (x ~263) person 1, in every frame. */
    for (int i = 0; i < n; i++)
        assert_int_equal(person[i], g[i].box[0] < 210 ? 0 : 1);
    /* Within-person and between-person distances, for the log. */
    double within = 0, between = INFINITY;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            double d = identify_distance(g[i].descriptor, g[j].descriptor);
            if (person[i] == person[j] && d > within)
                within = d;
            if (person[i] != person[j] && d < between)
                between = d;
        }
    print_message("giphy_video.gif: max within-person %.4f, min between-person %.4f\n", within,
                  between);
    free(person);
    free(g);
}

static void test_group_one_man_gif(void **state)
{
    face_engine *e = *state;
    group_face *g = NULL;
    int n = 0, frames = 0, per_frame[64] = {0};
    group_input(e, "data/media/dlib_elon-musk-smoke.gif", &g, &n, &frames, per_frame);
    assert_int_equal(frames, 35);
    print_message("elon-musk-smoke.gif: %d faces in %d frames\n", n, frames);
    assert_true(n >= 30);
    int *person = calloc((size_t)n, sizeof *person), persons = 0;
    assert_non_null(person);
    celeb_error err = {0};
    assert_int_equal(group_faces(g, n, NULL, person, &persons, &err), CELEB_OK);
    double worst = 0;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            double d = identify_distance(g[i].descriptor, g[j].descriptor);
            if (d > worst)
                worst = d;
        }
    print_message("elon-musk-smoke.gif: %d persons, max pairwise distance %.4f\n", persons, worst);
    assert_int_equal(persons, 1);
    for (int i = 0; i < n; i++)
        assert_int_equal(person[i], 0);
    free(person);
    free(g);
}

static void test_group_synthetic(void **state)
{
    (void)state;
    celeb_error err = {0};
    group_face g[5];
    memset(g, 0, sizeof g);
    int person[5], persons = -1;

    /* Two identical faces of one frame: two persons, left one first. */
    g[0].frame = 3;
    g[0].box[0] = 200;
    g[1].frame = 3;
    g[1].box[0] = 10;
    assert_int_equal(group_faces(g, 2, NULL, person, &persons, &err), CELEB_OK);
    assert_int_equal(persons, 2);
    assert_int_equal(person[1], 0);
    assert_int_equal(person[0], 1);

    /* A third, identical face in another frame joins one of them only. */
    g[2].frame = 4;
    assert_int_equal(group_faces(g, 3, NULL, person, &persons, &err), CELEB_OK);
    assert_int_equal(persons, 2);

    /* Average linkage: A at 0, B at 0.5 (frame 1), C at 1.0 (frame 2).
     * A-B 0.5 merges; {A,B}-C averages 0.75 and stays apart. */
    memset(g, 0, sizeof g);
    for (int i = 0; i < 3; i++) {
        g[i].frame = i;
        g[i].descriptor[0] = 0.5f * (float)i;
    }
    assert_int_equal(group_faces(g, 3, NULL, person, &persons, &err), CELEB_OK);
    assert_int_equal(persons, 2);
    assert_int_equal(person[0], 0);
    assert_int_equal(person[1], 0);
    assert_int_equal(person[2], 1);
    /* With a looser threshold, everything is one person. */
    group_options loose = {.threshold = 0.8f};
    assert_int_equal(group_faces(g, 3, &loose, person, &persons, &err), CELEB_OK);
    assert_int_equal(persons, 1);

    /* A frame conflict is inherited by the merged cluster: X (f0) and Y
     * (f1) are close; Z (f1, same frame as Y) is close to X, but may not
     * join {X, Y}. */
    memset(g, 0, sizeof g);
    g[0].frame = 0;
    g[1].frame = 1;
    g[1].descriptor[0] = 0.1f;
    g[2].frame = 1;
    g[2].descriptor[0] = -0.2f;
    g[2].box[0] = 50;
    assert_int_equal(group_faces(g, 3, NULL, person, &persons, &err), CELEB_OK);
    assert_int_equal(persons, 2);
    assert_int_equal(person[0], person[1]);
    assert_int_not_equal(person[0], person[2]);

    /* Empty input and bad arguments. */
    assert_int_equal(group_faces(g, 0, NULL, NULL, &persons, &err), CELEB_OK);
    assert_int_equal(persons, 0);
    assert_int_equal(group_faces(NULL, 2, NULL, person, &persons, &err), CELEB_EINVAL);
    assert_int_equal(group_faces(g, GROUP_MAX_FACES + 1, NULL, person, &persons, &err),
                     CELEB_ELIMIT);
    g[1].descriptor[5] = INFINITY;
    assert_int_equal(group_faces(g, 2, NULL, person, &persons, &err), CELEB_EINVAL);
}

static double box_iou(const face_box *a, const face_box *b)
{
    double x0 = fmax(a->x, b->x), y0 = fmax(a->y, b->y);
    double x1 = fmin(a->x + a->w, b->x + b->w), y1 = fmin(a->y + a->h, b->y + b->h);
    double inter = x1 > x0 && y1 > y0 ? (x1 - x0) * (y1 - y0) : 0;
    return inter / (a->w * a->h + b->w * b->h - inter);
}

/* Following a face from frame to frame lands where the detector would have
 * found it, with the same descriptor; followed into a frame without it,
 * the descriptor says it is gone. */
static void test_follow_gif(void **state)
{
    face_engine engine, *e = &engine;   /* as celeb detect runs it: similarity crops */
    face_engine_options opt = {.align = FACE_ALIGN_SIMILARITY};
    char path[1024];
    celeb_error err = {0};
    assert_int_equal(face_engine_open(e, &opt, &err), CELEB_OK);
    media *m = NULL;
    if (media_open_file(shared_path(path, sizeof path, "data/media/dlib_elon-musk-smoke.gif"), NULL, &m, &err))
        fail_msg("%s", err.message);
    media_frame fr;
    face prev = {0};
    int have = 0;
    while (media_next_frame(m, &fr, &err) > 0 && fr.index <= 12) {
        face *det = NULL, fol;
        int n = 0;
        assert_int_equal(face_engine_run(e, &fr.img, &det, &n, &err), CELEB_OK);
        assert_int_equal(n, 1);
        if (have) {
            assert_int_equal(face_engine_follow(e, &fr.img, &prev, 1, &fol, &err), CELEB_OK);
            double iou = box_iou(&fol.box, &det[0].box);
            double d_det = identify_distance(fol.descriptor, det[0].descriptor);
            double d_prev = identify_distance(fol.descriptor, prev.descriptor);
            print_message("follow frame %d: IoU with SSD's box %.3f, descriptor distance to "
                          "SSD's face %.3f, to the last frame's %.3f\n", fr.index, iou, d_det, d_prev);
            assert_true(iou > 0.7);
            assert_true(d_det < 0.3);    /* same face, same frame (same person: < 0.55) */
            assert_true(d_prev < 0.4);   /* the pipeline's FOLLOW_MAX_DISTANCE */
        }
        prev = det[0];
        have = 1;
        free(det);
    }
    media_close(m);
    /* Into a black frame of the same size: nobody there. */
    image black = {0};
    assert_int_equal(image_alloc(&black, 480, 272), CELEB_OK);
    memset(black.rgb, 0, (size_t)480 * 272 * 3);
    face fol;
    assert_int_equal(face_engine_follow(e, &black, &prev, 1, &fol, &err), CELEB_OK);
    print_message("follow into a black frame: descriptor distance %.3f\n", identify_distance(fol.descriptor, prev.descriptor));
    assert_true(identify_distance(fol.descriptor, prev.descriptor) > 0.6);
    image_free(&black);
    face_engine_close(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identify_synthetic),
        cmocka_unit_test(test_identify_train),
        cmocka_unit_test(test_group_synthetic),
        cmocka_unit_test(test_identify_real),
        cmocka_unit_test(test_group_two_people_gif),
        cmocka_unit_test(test_group_one_man_gif),
        cmocka_unit_test(test_follow_gif),
    };
    return cmocka_run_group_tests_name("identify", tests, group_setup, group_teardown);
}
