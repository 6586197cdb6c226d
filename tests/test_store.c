/* test_store.c - the nets' packed weights kept between processes (nn/store.h):
 * the file round trip, damaged and stale files, the folder's pruning, and a
 * face engine that reads its nets' stores giving bit-identical faces to one
 * that packs everything itself. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>
#include <cmocka.h>

#include "face/faces.h"
#include "media/media.h"
#include "nn/store.h"
#include "testutil.h"

#define SHA "5e1f5e1f5e1f5e1f5e1f5e1f5e1f5e1f5e1f5e1f5e1f5e1f5e1f5e1f5e1f5e1f"

static char dir[64];

static int count_files(const char *suffix)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name), sl = strlen(suffix);
        n += len > sl && !strcmp(e->d_name + len - sl, suffix);
    }
    if (d)
        closedir(d);
    return n;
}

static void empty_dir(void)
{
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
        char p[512];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (e->d_name[0] != '.')
            unlink(p);
    }
    if (d)
        closedir(d);
}

static int setup(void **state)
{
    snprintf(dir, sizeof dir, "/tmp/celeb-store-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    empty_dir();
    rmdir(dir);
    return 0;
}

/* A 64x3x3x3 filter in a layout oneDNN picks for a small conv. */
static void some_md(dnnl_memory_desc_t *md, dnnl_format_tag_t tag)
{
    dnnl_dims_t d = {64, 3, 3, 3};
    assert_int_equal(dnnl_memory_desc_init_by_tag(md, 4, d, dnnl_f32, tag), dnnl_success);
}

// ----------------------------------------------------------------------------
// The file

static void test_round_trip(void **state)
{
    empty_dir();
    dnnl_memory_desc_t md, other;
    some_md(&md, dnnl_Oihw16o);
    some_md(&other, dnnl_hwio);
    size_t wsize = dnnl_memory_desc_get_size(&md);
    float *w = malloc(wsize);
    for (size_t i = 0; i < wsize / sizeof *w; i++)
        w[i] = (float)i * 0.5f;
    const char raw[] = "the padding reference";

    nn_store s;
    nn_store_open(&s, dir, "net", SHA, 2);
    assert_true(s.path[0] != '\0');
    assert_int_equal(s.count, 0);
    nn_store_put(&s, 1, &md, w, wsize);
    nn_store_put(&s, 7, NULL, "an earlier attempt's", 21);
    nn_store_put(&s, 7, NULL, raw, sizeof raw);   /* in its place */
    nn_store_save(&s);
    nn_store_close(&s);
    assert_int_equal(count_files(".pack"), 1);

    size_t size = 0;
    nn_store_open(&s, dir, "net", SHA, 2);
    assert_int_equal(s.count, 2);
    const float *got = nn_store_find(&s, 1, &md, &size);
    assert_non_null(got);
    assert_int_equal(size, wsize);
    assert_memory_equal(got, w, wsize);
    assert_int_equal((uintptr_t)got % 64, 0);
    assert_null(nn_store_find(&s, 1, &other, &size));   /* another layout */
    assert_null(nn_store_find(&s, 2, &md, &size));      /* another layer */
    assert_null(nn_store_find(&s, 1, NULL, &size));     /* not raw */
    const char *r = nn_store_find(&s, 7, NULL, &size);
    assert_non_null(r);
    assert_int_equal(size, sizeof raw);
    assert_string_equal(r, raw);
    nn_store_close(&s);

    /* Another thread count or weights file: another key, nothing found. */
    nn_store_open(&s, dir, "net", SHA, 1);
    assert_int_equal(s.count, 0);
    nn_store_close(&s);
    nn_store_open(&s, dir, "net", "00" SHA, 2);
    assert_int_equal(s.count, 0);
    nn_store_close(&s);
    free(w);
}

/* A cut or overwritten file is ignored, and the next save replaces it. */
static void test_damaged_files_are_ignored(void **state)
{
    empty_dir();
    nn_store s;
    const char raw[4096] = "x";
    nn_store_open(&s, dir, "net", SHA, 2);
    nn_store_put(&s, 3, NULL, raw, sizeof raw);
    nn_store_save(&s);
    char path[1024];
    snprintf(path, sizeof path, "%s", s.path);
    nn_store_close(&s);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);

    assert_int_equal(truncate(path, st.st_size - 1), 0);   /* cut short */
    nn_store_open(&s, dir, "net", SHA, 2);
    assert_int_equal(s.count, 0);
    size_t size;
    assert_null(nn_store_find(&s, 3, NULL, &size));
    nn_store_put(&s, 3, NULL, raw, sizeof raw);
    nn_store_save(&s);
    nn_store_close(&s);
    nn_store_open(&s, dir, "net", SHA, 2);
    assert_int_equal(s.count, 1);
    nn_store_close(&s);

    FILE *f = fopen(path, "r+");   /* a blob offset pointing past the end */
    assert_non_null(f);
    uint64_t far = 1u << 30;
    assert_int_equal(fseek(f, 8 + 64 + 8 + 8 + 8, SEEK_SET), 0);
    assert_int_equal(fwrite(&far, sizeof far, 1, f), 1);
    fclose(f);
    nn_store_open(&s, dir, "net", SHA, 2);
    assert_int_equal(s.count, 0);
    nn_store_close(&s);

    f = fopen(path, "w");   /* not a store at all */
    fputs("hello", f);
    fclose(f);
    nn_store_open(&s, dir, "net", SHA, 2);
    assert_int_equal(s.count, 0);
    nn_store_close(&s);
    assert_int_equal(count_files(".pack"), 1);
}

/* No folder: nothing is read or written. A folder that cannot be made: the same. */
static void test_no_folder(void **state)
{
    nn_store s;
    const char raw[] = "x";
    nn_store_open(&s, "", "net", SHA, 2);
    assert_string_equal(s.path, "");
    nn_store_put(&s, 1, NULL, raw, sizeof raw);
    assert_int_equal(s.count, 0);
    nn_store_save(&s);
    nn_store_close(&s);
    nn_store_open(&s, "/proc/celeb-no-such/dir", "net", SHA, 2);
    assert_string_equal(s.path, "");
    nn_store_close(&s);
    char buf[1024], home[1024];
    snprintf(home, sizeof home, "%s", getenv("HOME") ? getenv("HOME") : "");
    setenv("CELEB_CACHE", "", 1);
    assert_null(nn_store_default_dir(buf, sizeof buf));
    setenv("CELEB_CACHE", "/x/y", 1);
    assert_string_equal(nn_store_default_dir(buf, sizeof buf), "/x/y");
    unsetenv("CELEB_CACHE");
    setenv("XDG_CACHE_HOME", "/c", 1);
    assert_string_equal(nn_store_default_dir(buf, sizeof buf), "/c/celeb");
    unsetenv("XDG_CACHE_HOME");
    setenv("HOME", "/h", 1);
    assert_string_equal(nn_store_default_dir(buf, sizeof buf), "/h/.cache/celeb");
    setenv("HOME", home, 1);
}

/* Each build writes its own files: a save keeps the model's 4 newest and
 * drops temporary files a killed process left; other models' are kept. */
static void test_prune(void **state)
{
    empty_dir();
    const char *old[] = {"net-0000000000000001.pack", "net-0000000000000002.pack",
                         "net-0000000000000003.pack", "net-0000000000000004.pack",
                         "net-0000000000000005.pack", "net-0000000000000001.pack.a1b2c3",
                         "other-0000000000000001.pack"};
    for (int i = 0; i < 7; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s/%s", dir, old[i]);
        FILE *f = fopen(p, "w");
        fclose(f);
        struct utimbuf t = {time(NULL) - 3600 + i, time(NULL) - 3600 + i};
        utime(p, &t);
    }
    nn_store s;
    const char raw[] = "x";
    nn_store_open(&s, dir, "net", SHA, 2);
    nn_store_put(&s, 1, NULL, raw, sizeof raw);
    nn_store_save(&s);
    nn_store_close(&s);
    assert_int_equal(count_files(".pack"), 5);   /* net's 4 newest (ours, 5, 4, 3) + other's */
    assert_int_equal(count_files(".a1b2c3"), 0);
    char p[512];
    snprintf(p, sizeof p, "%s/net-0000000000000002.pack", dir);
    assert_int_equal(access(p, F_OK), -1);
    snprintf(p, sizeof p, "%s/net-0000000000000003.pack", dir);
    assert_int_equal(access(p, F_OK), 0);
}

// ----------------------------------------------------------------------------
// The nets

static int faces_of(const char *cache, const image *img, face **out, int *n, int *had_pad)
{
    face_engine e;
    face_engine_options o = {.threads = 2, .detector = FACE_DETECTOR_BOTH, .cache_dir = cache};
    celeb_error err = {0};
    if (face_engine_open(&e, &o, &err) < 0)
        return -1;
    *had_pad = e.ssd.have_pad;
    int rc = face_engine_run(&e, img, out, n, &err);
    face_engine_close(&e);
    return rc;
}

/* On a wide frame (2:1): the first engine packs and makes SSD's padding
 * reference and keeps them; the second takes them from the files and runs
 * SSD on the picture's rows only. Boxes, landmarks and descriptors are
 * bit-identical to an engine without a store. */
static void test_engine_reads_its_store(void **state)
{
    empty_dir();
    char path[1024];
    image img = {0};
    celeb_error err = {0};
    assert_int_equal(media_read_frame(shared_path(path, sizeof path, "data/media/giphy_video.gif"),
                                      0, &img, &err), 0);
    face *plain = NULL, *first = NULL, *second = NULL;
    int np = 0, n1 = 0, n2 = 0, pad_plain = -1, pad1 = -1, pad2 = -1;
    assert_int_equal(faces_of("", &img, &plain, &np, &pad_plain), 0);
    assert_int_equal(faces_of(dir, &img, &first, &n1, &pad1), 0);
    assert_int_equal(count_files(".pack"), 4);   /* one per net */
    assert_int_equal(faces_of(dir, &img, &second, &n2, &pad2), 0);
    assert_int_equal(pad_plain, 0);
    assert_int_equal(pad1, 0);
    assert_int_equal(pad2, 1);   /* the reference came from the file */
    assert_int_equal(np, 2);
    assert_int_equal(n1, np);
    assert_int_equal(n2, np);
    assert_memory_equal(first, plain, (size_t)np * sizeof *plain);
    assert_memory_equal(second, plain, (size_t)np * sizeof *plain);

    /* Stored reference rows of the wrong stages (whole and consistent, but
     * for other layers): SSD runs whole instead, with the same faces. */
    DIR *d = opendir(dir);
    char ssd[512] = "";
    for (struct dirent *e; d && (e = readdir(d)) != NULL;)
        if (!strncmp(e->d_name, "ssd_mobilenetv1_model-", 22))
            snprintf(ssd, sizeof ssd, "%s/%s", dir, e->d_name);
    closedir(d);
    FILE *f = fopen(ssd, "r+");
    assert_non_null(f);
    uint32_t count;
    assert_int_equal(fseek(f, 8 + 64, SEEK_SET), 0);
    assert_int_equal(fread(&count, 4, 1, f), 1);
    const long entry = 24 + (long)sizeof(dnnl_memory_desc_t), table = 8 + 64 + 8 + 8;
    int swapped = 0;
    for (uint32_t i = 0; i < count; i++) {
        int32_t id[2];
        assert_int_equal(fseek(f, table + (long)i * entry, SEEK_SET), 0);
        assert_int_equal(fread(id, 4, 2, f), 2);
        if (id[1] == 0 && (id[0] == (1 << 20) || id[0] == (1 << 20) + 2)) {
            id[0] ^= 2;   /* stage 0 (256x256x32) <-> stage 2 (256x256x64) */
            assert_int_equal(fseek(f, table + (long)i * entry, SEEK_SET), 0);
            assert_int_equal(fwrite(id, 4, 1, f), 1);
            swapped++;
        }
    }
    fclose(f);
    assert_int_equal(swapped, 2);
    face *third = NULL;
    int n3 = 0, pad3 = -1;
    assert_int_equal(faces_of(dir, &img, &third, &n3, &pad3), 0);
    assert_int_equal(pad3, 1);   /* read, and found not to fit only when used */
    assert_int_equal(n3, np);
    assert_memory_equal(third, plain, (size_t)np * sizeof *plain);
    free(third);
    free(plain);
    free(first);
    free(second);
    image_free(&img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_damaged_files_are_ignored),
        cmocka_unit_test(test_no_folder),
        cmocka_unit_test(test_prune),
        cmocka_unit_test(test_engine_reads_its_store),
    };
    return cmocka_run_group_tests_name("store", tests, setup, teardown);
}
