/* test_media.c - the media module: sizes, frame counts and timestamps of the
 * shared GIFs/videos/PNGs, pixels against independent decoders (PIL for GIF
 * frames, PNG and a JPEG sanity check; hand-encoded PNG variants with their
 * expected pixels; lossless WebP sources), EXIF orientation, memory vs file
 * input, limits, and hostile input (empty, directory, random bytes,
 * truncations, a 65535x65535 GIF, byte flips): errors with messages, never a
 * crash or a hang.
 *
 * Generated files live in a mkdtemp directory removed at the end; test data is
 * read from $CELEB_SHARED/data/media (default ../shared). tests/media_helper.py
 * (run with /usr/bin/python3, python3-pil) writes the generated inputs and
 * dumps PIL's decoding. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jpeglib.h>

#include "media/media.h"
#include "testutil.h"

#define PYTHON "/usr/bin/python3"
#define HELPER "tests/media_helper.py"

static char g_tmp[256]; /* the temp directory */

// ----------------------------------------------------------------------------
// Helpers

/* "<shared>/data/media/<name>" into buf. */
static const char *media_path(char *buf, size_t size, const char *name)
{
    int n = snprintf(buf, size, "%s/data/media/%s", shared_dir(), name);
    assert_true(n > 0 && (size_t)n < size);
    return buf;
}

/* "<temp dir>/<name>" into buf. */
static const char *tmp_path(char *buf, size_t size, const char *name)
{
    int n = snprintf(buf, size, "%s/%s", g_tmp, name);
    assert_true(n > 0 && (size_t)n < size);
    return buf;
}

/* Reads a whole file; returns malloc'd bytes (caller frees) or NULL. */
static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void write_all(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Decodes frame n of path with PIL (im.seek(n); im.convert('RGB')). Returns
 * malloc'd RGB (caller frees), sets *w, *h. */
static uint8_t *pil_frame(const char *path, int n, int *w, int *h)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, PYTHON " " HELPER " pil_frame '%s' %d", path, n);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    assert_int_equal(fscanf(p, "%d %d", w, h), 2);
    assert_int_equal(fgetc(p), '\n');
    size_t len = (size_t)*w * (size_t)*h * 3;
    uint8_t *buf = malloc(len);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, len, p), len);
    assert_int_equal(pclose(p), 0);
    return buf;
}

static double mean_abs_diff(const uint8_t *a, const uint8_t *b, size_t n, int *maxd)
{
    double s = 0;
    int mx = 0;
    for (size_t i = 0; i < n; i++) {
        int d = abs((int)a[i] - (int)b[i]);
        s += d;
        if (d > mx) mx = d;
    }
    if (maxd) *maxd = mx;
    return n ? s / (double)n : 0;
}

static media *open_ok(const char *path)
{
    media *m = NULL;
    celeb_error err = {0};
    int rc = media_open_file(path, NULL, &m, &err);
    if (rc != 0) fprintf(stderr, "open %s: %s\n", path, err.message);
    assert_int_equal(rc, 0);
    assert_non_null(m);
    return m;
}

/* Decodes frame `want` of a file; returns a malloc'd copy (caller frees). */
static uint8_t *our_frame(const char *path, int want, int *w, int *h)
{
    media *m = open_ok(path);
    media_frame f;
    celeb_error err = {0};
    uint8_t *copy = NULL;
    int rc;
    while ((rc = media_next_frame(m, &f, &err)) > 0) {
        if (f.index == want) {
            size_t len = (size_t)f.img.width * (size_t)f.img.height * 3;
            copy = malloc(len);
            assert_non_null(copy);
            memcpy(copy, f.img.rgb, len);
            *w = f.img.width;
            *h = f.img.height;
            break;
        }
    }
    assert_true(rc >= 0);
    assert_non_null(copy);
    media_close(m);
    return copy;
}

/* Decodes every frame; checks indices, sizes and strictly increasing t_ms
 * (from 0 for animations). Returns the number of frames. */
static int count_frames(media *m, int64_t *last_t)
{
    const media_info *in = media_get_info(m);
    media_frame f;
    celeb_error err = {0};
    int n = 0, rc;
    int64_t prev = -1;
    while ((rc = media_next_frame(m, &f, &err)) > 0) {
        assert_int_equal(f.index, n);
        assert_int_equal(f.img.width, in->width);
        assert_int_equal(f.img.height, in->height);
        assert_non_null(f.img.rgb);
        if (n == 0) assert_int_equal(f.t_ms, 0);
        assert_true(f.t_ms > prev);
        prev = f.t_ms;
        n++;
    }
    if (rc < 0) fprintf(stderr, "decode: %s\n", err.message);
    assert_int_equal(rc, 0);
    assert_int_equal(media_next_frame(m, &f, &err), 0); /* stays at the end */
    if (last_t) *last_t = prev;
    return n;
}

static void expect_info(const media *m, const char *fmt, int w, int h, int frames, int animated)
{
    const media_info *in = media_get_info(m);
    assert_string_equal(in->format, fmt);
    assert_int_equal(in->width, w);
    assert_int_equal(in->height, h);
    assert_int_equal(in->frames, frames);
    assert_int_equal(in->animated, animated);
    if (!animated) assert_int_equal(in->duration_ms, 0);
}

/* Opening must fail with `code` (or any error if code == 0) and a message. */
static void expect_open_error(const char *path, int code)
{
    media *m = (media *)1;
    celeb_error err = {0};
    int rc = media_open_file(path, NULL, &m, &err);
    assert_true(rc < 0);
    if (code) assert_int_equal(rc, code);
    assert_int_equal(err.code, rc);
    assert_true(strlen(err.message) > 0);
    assert_null(m);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* A hostile or broken input: opening and decoding every frame may fail, but
 * only with an error code and a message, and a success must be consistent.
 * Returns the number of frames decoded, or the (negative) open error. */
static int check_robust(const char *path, const uint8_t *data, size_t len, int max_w, int max_h,
                        int max_frames)
{
    media *m = NULL;
    celeb_error err = {0};
    int rc = path ? media_open_file(path, NULL, &m, &err) : media_open_memory(data, len, NULL, &m, &err);
    if (rc < 0) {
        assert_true(strlen(err.message) > 0);
        assert_true(rc == CELEB_EFORMAT || rc == CELEB_ECORRUPT || rc == CELEB_ELIMIT);
        assert_null(m);
        return rc;
    }
    const media_info *in = media_get_info(m);
    assert_true(in->width > 0 && in->height > 0 && in->frames > 0);
    if (max_w) assert_true(in->width <= max_w && in->height <= max_h);
    if (max_frames) assert_true(in->frames <= max_frames);
    media_frame f;
    int n = 0;
    while ((rc = media_next_frame(m, &f, &err)) > 0) {
        assert_int_equal(f.img.width, in->width);
        assert_int_equal(f.img.height, in->height);
        n++;
    }
    if (rc < 0) assert_true(strlen(err.message) > 0);
    assert_true(n <= in->frames);
    media_close(m);
    return n;
}

// ----------------------------------------------------------------------------
// GIF

static void test_gif_giphy(void **state)
{
    char p[512];
    media *m = open_ok(media_path(p, sizeof p, "giphy_video.gif"));
    expect_info(m, "gif", 500, 250, 10, 1);
    int64_t last = 0;
    assert_int_equal(count_frames(m, &last), 10);
    const media_info *in = media_get_info(m);
    assert_true(in->duration_ms > last && in->duration_ms < 10000);
    media_close(m);
}

static void test_gif_elon(void **state)
{
    char p[512];
    media *m = open_ok(media_path(p, sizeof p, "dlib_elon-musk-smoke.gif"));
    expect_info(m, "gif", 480, 272, 35, 1);
    assert_int_equal(count_frames(m, NULL), 35);
    media_close(m);
}

static void compare_with_pil(const char *path, int frame)
{
    int w, h, pw, ph, maxd;
    uint8_t *ours = our_frame(path, frame, &w, &h);
    uint8_t *pil = pil_frame(path, frame, &pw, &ph);
    assert_int_equal(w, pw);
    assert_int_equal(h, ph);
    double d = mean_abs_diff(ours, pil, (size_t)w * h * 3, &maxd);
    if (d >= 1.0) fprintf(stderr, "%s#%d: mean abs diff %.3f, max %d\n", path, frame, d, maxd);
    assert_true(d < 1.0);
    free(ours);
    free(pil);
}

static void test_gif_frames_vs_pil(void **state)
{
    char p[512];
    static const int giphy[] = {0, 3, 5, 9}, elon[] = {0, 1, 17, 30, 34};
    for (size_t i = 0; i < sizeof giphy / sizeof giphy[0]; i++)
        compare_with_pil(media_path(p, sizeof p, "giphy_video.gif"), giphy[i]);
    for (size_t i = 0; i < sizeof elon / sizeof elon[0]; i++)
        compare_with_pil(media_path(p, sizeof p, "dlib_elon-musk-smoke.gif"), elon[i]);
}

/* Generated GIF: transparency, local palettes, sub-rectangles, disposal 1/2/3. */
static void test_gif_disposal_vs_pil(void **state)
{
    char p[512];
    tmp_path(p, sizeof p, "disposal.gif");
    media *m = open_ok(p);
    expect_info(m, "gif", 40, 30, 5, 1);
    int64_t last = 0;
    assert_int_equal(count_frames(m, &last), 5);
    assert_int_equal(last, 50 + 80 + 120 + 200); /* start of frame 4, from the GIF delays */
    assert_int_equal(media_get_info(m)->duration_ms, 510);
    media_close(m);
    for (int i = 0; i < 5; i++) compare_with_pil(p, i);
}

// ----------------------------------------------------------------------------
// Video

static void test_video_mp4(void **state)
{
    char p[512];
    media *m = open_ok(media_path(p, sizeof p, "faceapi_test_video.mp4"));
    expect_info(m, "mp4", 820, 460, 5, 1);
    const media_info *in = media_get_info(m);
    assert_true(in->duration_ms >= 150 && in->duration_ms <= 250); /* 5 frames at 24 fps */
    media_frame f;
    celeb_error err = {0};
    int64_t prev = -1;
    for (int i = 0; i < 5; i++) {
        assert_int_equal(media_next_frame(m, &f, &err), 1);
        assert_int_equal(f.index, i);
        assert_true(f.t_ms > prev && f.t_ms < in->duration_ms);
        if (i == 0) assert_int_equal(f.t_ms, 0);
        prev = f.t_ms;
        /* a real picture: not one flat colour */
        int lo = 255, hi = 0;
        for (size_t k = 0; k < (size_t)f.img.width * f.img.height * 3; k += 97) {
            if (f.img.rgb[k] < lo) lo = f.img.rgb[k];
            if (f.img.rgb[k] > hi) hi = f.img.rgb[k];
        }
        assert_true(hi - lo > 100);
    }
    assert_int_equal(media_next_frame(m, &f, &err), 0);
    media_close(m);

    m = open_ok(media_path(p, sizeof p, "dlib_MOT20-05-raw_even_shorter.mp4"));
    expect_info(m, "mp4", 826, 540, 127, 1);
    int64_t last = 0;
    assert_int_equal(count_frames(m, &last), 127);
    assert_true(last < media_get_info(m)->duration_ms);
    media_close(m);
}

static void test_video_webm(void **state)
{
    char p[512];
    media *m = open_ok(media_path(p, sizeof p, "dlib_find_max_global_example.webm"));
    expect_info(m, "webm", 598, 598, 2745, 1);
    const media_info *in = media_get_info(m);
    assert_true(in->duration_ms > 27000 && in->duration_ms < 28000);
    int64_t last = 0;
    assert_int_equal(count_frames(m, &last), 2745);
    assert_true(last < in->duration_ms);
    media_close(m);
}

// ----------------------------------------------------------------------------
// PNG

static void test_png_rgba_vs_pil(void **state)
{
    char p[512];
    media_path(p, sizeof p, "fr_32bit.png");
    media *m = open_ok(p);
    expect_info(m, "png", 626, 1200, 1, 0);
    media_close(m);
    int w, h, pw, ph, maxd;
    uint8_t *ours = our_frame(p, 0, &w, &h);
    uint8_t *pil = pil_frame(p, 0, &pw, &ph); /* RGBA -> RGB drops alpha */
    assert_int_equal(w, pw);
    assert_int_equal(h, ph);
    assert_true(mean_abs_diff(ours, pil, (size_t)w * h * 3, &maxd) == 0.0);
    free(ours);
    free(pil);
}

static void test_png_white(void **state)
{
    char p[512];
    media *m = open_ok(media_path(p, sizeof p, "faceapi_test_white.png"));
    expect_info(m, "png", 150, 150, 1, 0);
    media_frame f;
    celeb_error err = {0};
    assert_int_equal(media_next_frame(m, &f, &err), 1);
    assert_int_equal(f.t_ms, 0);
    for (size_t i = 0; i < 150 * 150 * 3; i++) assert_int_equal(f.img.rgb[i], 255);
    assert_int_equal(media_next_frame(m, &f, &err), 0);
    media_close(m);
}

/* Hand-encoded PNGs: grey 1/2/4/8/16, RGB 8/16, RGBA 8/16, grey+alpha 8/16,
 * palette 1/2/4/8 with tRNS, Adam7 interlace, 1x1. Exact pixels expected. */
static void test_png_variants(void **state)
{
    static const char *names[] = {"grey1", "grey2", "grey4", "grey8", "grey16", "rgb8", "rgb16",
                                  "rgba8", "rgba16", "greyalpha8", "greyalpha16", "palette1",
                                  "palette2", "palette4", "palette8", "interlaced", "onebyone"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char png[512], rgb[512], n1[64], n2[64];
        snprintf(n1, sizeof n1, "%s.png", names[i]);
        snprintf(n2, sizeof n2, "%s.rgb", names[i]);
        tmp_path(png, sizeof png, n1);
        tmp_path(rgb, sizeof rgb, n2);
        size_t len;
        uint8_t *want = read_all(rgb, &len);
        assert_non_null(want);
        int w, h;
        uint8_t *got = our_frame(png, 0, &w, &h);
        int one = strcmp(names[i], "onebyone") == 0;
        assert_int_equal(w, one ? 1 : 13);
        assert_int_equal(h, one ? 1 : 7);
        assert_int_equal(len, (size_t)w * h * 3);
        if (memcmp(got, want, len) != 0) fprintf(stderr, "PNG variant %s differs\n", names[i]);
        assert_memory_equal(got, want, len);
        free(got);
        free(want);
    }
}

// ----------------------------------------------------------------------------
// WebP

static void test_webp(void **state)
{
    char p[512], r[512];
    media *m = open_ok(tmp_path(p, sizeof p, "anim.webp"));
    expect_info(m, "webp", 64, 48, 3, 1);
    assert_int_equal(media_get_info(m)->duration_ms, 600);
    media_frame f;
    celeb_error err = {0};
    static const int64_t t[3] = {0, 100, 300};
    for (int i = 0; i < 3; i++) {
        char name[32];
        snprintf(name, sizeof name, "anim_%d.rgb", i);
        size_t len;
        uint8_t *want = read_all(tmp_path(r, sizeof r, name), &len);
        assert_non_null(want);
        assert_int_equal(media_next_frame(m, &f, &err), 1);
        assert_int_equal(f.t_ms, t[i]);
        assert_int_equal(len, 64 * 48 * 3);
        assert_memory_equal(f.img.rgb, want, len); /* lossless */
        free(want);
    }
    assert_int_equal(media_next_frame(m, &f, &err), 0);
    media_close(m);

    m = open_ok(tmp_path(p, sizeof p, "still.webp"));
    expect_info(m, "webp", 64, 48, 1, 0);
    size_t len;
    uint8_t *want = read_all(tmp_path(r, sizeof r, "still.rgb"), &len);
    assert_non_null(want);
    assert_int_equal(media_next_frame(m, &f, &err), 1);
    assert_memory_equal(f.img.rgb, want, len);
    assert_int_equal(media_next_frame(m, &f, &err), 0);
    free(want);
    media_close(m);
}

// ----------------------------------------------------------------------------
// JPEG

/* Encodes w x h RGB with libjpeg (4:4:4, quality 100), with an optional APP1
 * segment. Returns malloc'd bytes (caller frees). */
static uint8_t *make_jpeg(int w, int h, const uint8_t *rgb, const uint8_t *app1, size_t app1_len,
                          size_t *out_len)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    unsigned char *buf = NULL;
    unsigned long len = 0;
    jpeg_mem_dest(&c, &buf, &len);
    c.image_width = (JDIMENSION)w;
    c.image_height = (JDIMENSION)h;
    c.input_components = 3;
    c.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 100, TRUE);
    c.comp_info[0].h_samp_factor = c.comp_info[0].v_samp_factor = 1;
    jpeg_start_compress(&c, TRUE);
    if (app1) jpeg_write_marker(&c, JPEG_APP0 + 1, app1, (unsigned)app1_len);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = (JSAMPROW)(rgb + (size_t)c.next_scanline * w * 3);
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    *out_len = len;
    return buf;
}

/* "Exif\0\0" + a TIFF header + IFD0 holding only Orientation (tag 0x0112, SHORT). */
static size_t make_exif(uint8_t *b, int orientation, int big_endian)
{
    static const uint8_t le[] = {'E', 'x', 'i', 'f', 0, 0, 'I', 'I', 0x2a, 0, 8, 0, 0, 0, 1, 0,
                                 0x12, 0x01, 3, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    static const uint8_t be[] = {'E', 'x', 'i', 'f', 0, 0, 'M', 'M', 0, 0x2a, 0, 0, 0, 8, 0, 1,
                                 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0};
    memcpy(b, big_endian ? be : le, sizeof le);
    b[big_endian ? 25 : 24] = (uint8_t)orientation; /* low byte of the SHORT value */
    return sizeof le;
}

static int is_color(const image *img, int x, int y, int r, int g, int b)
{
    const uint8_t *p = img->rgb + ((size_t)y * img->width + x) * 3;
    return abs(p[0] - r) < 40 && abs(p[1] - g) < 40 && abs(p[2] - b) < 40;
}

/* A 32x16 image, red 8x8 top-left, green 8x8 top-right, grey elsewhere: after
 * each EXIF orientation the size and the two corners must land per the spec
 * (orientation = where the stored 0th row / 0th column are displayed). */
static void test_jpeg_exif_orientation(void **state)
{
    enum { W = 32, H = 16 };
    uint8_t rgb[W * H * 3];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            uint8_t *q = rgb + (y * W + x) * 3;
            q[0] = q[1] = q[2] = 128;
            if (y < 8 && x < 8) q[0] = 255, q[1] = q[2] = 0;
            if (y < 8 && x >= W - 8) q[1] = 255, q[0] = q[2] = 0;
        }
    /* corner positions (0 = left/top, 1 = right/bottom) of red and green per orientation */
    static const int red[9][2] = {{0, 0}, {0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}, {1, 0}, {1, 1}, {0, 1}};
    static const int green[9][2] = {{1, 0}, {1, 0}, {0, 0}, {0, 1}, {1, 1}, {0, 1}, {1, 1}, {1, 0}, {0, 0}};
    for (int o = 0; o <= 9; o++) {
        int orient = o == 9 ? 6 : o; /* 0: no EXIF at all; 9: orientation 6, big-endian TIFF */
        uint8_t exif[64];
        size_t exif_len = orient ? make_exif(exif, orient, o == 9) : 0;
        size_t len;
        uint8_t *jpg = make_jpeg(W, H, rgb, orient ? exif : NULL, exif_len, &len);
        media *m = NULL;
        celeb_error err = {0};
        assert_int_equal(media_open_memory(jpg, len, NULL, &m, &err), 0);
        free(jpg);
        int swap = orient >= 5;
        expect_info(m, "jpeg", swap ? H : W, swap ? W : H, 1, 0);
        media_frame f;
        assert_int_equal(media_next_frame(m, &f, &err), 1);
        int wo = f.img.width, ho = f.img.height;
        assert_true(is_color(&f.img, red[orient][0] ? wo - 1 : 0, red[orient][1] ? ho - 1 : 0, 255, 0, 0));
        assert_true(is_color(&f.img, green[orient][0] ? wo - 1 : 0, green[orient][1] ? ho - 1 : 0, 0, 255, 0));
        /* the two other corners are grey */
        assert_true(is_color(&f.img, red[orient][0] ? 0 : wo - 1, red[orient][1] ? 0 : ho - 1, 128, 128, 128));
        media_close(m);
    }
}

static void test_one_pixel(void **state)
{
    uint8_t px[3] = {200, 100, 50};
    size_t len;
    uint8_t *jpg = make_jpeg(1, 1, px, NULL, 0, &len);
    media *m = NULL;
    celeb_error err = {0};
    assert_int_equal(media_open_memory(jpg, len, NULL, &m, &err), 0);
    free(jpg);
    expect_info(m, "jpeg", 1, 1, 1, 0);
    media_frame f;
    assert_int_equal(media_next_frame(m, &f, &err), 1);
    assert_true(is_color(&f.img, 0, 0, 200, 100, 50));
    media_close(m);

    char p[512];
    m = open_ok(tmp_path(p, sizeof p, "onebyone.png"));
    expect_info(m, "png", 1, 1, 1, 0);
    assert_int_equal(media_next_frame(m, &f, &err), 1);
    assert_int_equal(f.img.rgb[0], 10);
    assert_int_equal(f.img.rgb[1], 20);
    assert_int_equal(f.img.rgb[2], 30);
    media_close(m);
}

/* libjpeg with fancy upsampling (PIL) vs ours (tuned to jpeg-js): close. */
static void test_jpeg_vs_pil(void **state)
{
    static const char *files[] = {"faceapi_angry.jpg" /* progressive 4:2:0 */,
                                  "faceapi_bbt2.jpg", "dlib_dog.jpg" /* 4:4:0 */};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char p[512];
        media_path(p, sizeof p, files[i]);
        int w, h, pw, ph, maxd;
        uint8_t *ours = our_frame(p, 0, &w, &h);
        uint8_t *pil = pil_frame(p, 0, &pw, &ph);
        assert_int_equal(w, pw);
        assert_int_equal(h, ph);
        double d = mean_abs_diff(ours, pil, (size_t)w * h * 3, &maxd);
        if (d >= 2.0) fprintf(stderr, "%s: mean abs diff vs PIL %.3f\n", files[i], d);
        assert_true(d < 2.0);
        free(ours);
        free(pil);
    }
}

// ----------------------------------------------------------------------------
// Memory input, format sniffing

static void same_as_file(const char *path)
{
    size_t len;
    uint8_t *data = read_all(path, &len);
    assert_non_null(data);
    media *a = open_ok(path), *b = NULL;
    celeb_error err = {0};
    assert_int_equal(media_open_memory(data, len, NULL, &b, &err), 0);
    memset(data, 0, len); /* the bytes were copied */
    free(data);
    const media_info *ia = media_get_info(a), *ib = media_get_info(b);
    assert_memory_equal(ia, ib, sizeof *ia);
    media_frame fa, fb;
    int ra, rb, n = 0;
    while ((ra = media_next_frame(a, &fa, &err)) > 0) {
        rb = media_next_frame(b, &fb, &err);
        assert_int_equal(rb, 1);
        assert_int_equal(fa.index, fb.index);
        assert_int_equal(fa.t_ms, fb.t_ms);
        assert_memory_equal(fa.img.rgb, fb.img.rgb, (size_t)fa.img.width * fa.img.height * 3);
        n++;
    }
    assert_int_equal(ra, 0);
    assert_int_equal(media_next_frame(b, &fb, &err), 0);
    assert_int_equal(n, ia->frames);
    media_close(a);
    media_close(b);
}

static void test_memory_equals_file(void **state)
{
    char p[512];
    same_as_file(media_path(p, sizeof p, "faceapi_angry.jpg"));
    same_as_file(media_path(p, sizeof p, "giphy_video.gif"));
    same_as_file(media_path(p, sizeof p, "fr_32bit.png"));
    same_as_file(media_path(p, sizeof p, "faceapi_test_video.mp4"));
    same_as_file(tmp_path(p, sizeof p, "anim.webp"));
}

static void copy_file(const char *from, const char *to)
{
    size_t len;
    uint8_t *d = read_all(from, &len);
    assert_non_null(d);
    write_all(to, d, len);
    free(d);
}

static void test_sniff_ignores_name(void **state)
{
    char src[512], dst[512];
    copy_file(media_path(src, sizeof src, "faceapi_test_white.png"), tmp_path(dst, sizeof dst, "white.jpg"));
    media *m = open_ok(dst);
    assert_string_equal(media_get_info(m)->format, "png");
    media_close(m);
    copy_file(media_path(src, sizeof src, "dlib_rbf_normal.gif"), tmp_path(dst, sizeof dst, "plot.mp4"));
    m = open_ok(dst);
    assert_string_equal(media_get_info(m)->format, "gif");
    expect_info(m, "gif", 300, 199, 1, 0);
    media_close(m);
    copy_file(media_path(src, sizeof src, "faceapi_test_video.mp4"), tmp_path(dst, sizeof dst, "noext"));
    m = open_ok(dst);
    assert_string_equal(media_get_info(m)->format, "mp4");
    media_close(m);
}

// ----------------------------------------------------------------------------
// Bad input

static void test_bad_inputs(void **state)
{
    char p[512];
    expect_open_error(tmp_path(p, sizeof p, "does-not-exist.jpg"), CELEB_EIO);
    write_all(tmp_path(p, sizeof p, "empty.jpg"), "", 0);
    expect_open_error(p, CELEB_EFORMAT);
    expect_open_error(g_tmp, CELEB_EFORMAT); /* a directory */
    uint8_t rnd[4096];
    srand(7);
    for (size_t i = 0; i < sizeof rnd; i++) rnd[i] = (uint8_t)(rand() >> 7);
    rnd[0] = 0x13; /* not a magic number by chance */
    write_all(tmp_path(p, sizeof p, "random.gif"), rnd, sizeof rnd);
    expect_open_error(p, CELEB_EFORMAT);
    write_all(tmp_path(p, sizeof p, "text.png"), "hello, world\n", 13);
    expect_open_error(p, CELEB_EFORMAT);
    /* a FIFO without a writer: refused at once, not waited on */
    assert_int_equal(mkfifo(tmp_path(p, sizeof p, "fifo.gif"), 0600), 0);
    double t0 = now_s();
    expect_open_error(p, CELEB_EFORMAT);
    assert_true(now_s() - t0 < 1.0);

    media *m = NULL;
    celeb_error err = {0};
    assert_int_equal(media_open_memory(rnd, 0, NULL, &m, &err), CELEB_EFORMAT);
    assert_non_null(strstr(err.message, "empty"));
    assert_int_equal(media_open_memory(rnd, sizeof rnd, NULL, &m, &err), CELEB_EFORMAT);
    assert_true(strlen(err.message) > 0);
    assert_int_equal(media_open_file(NULL, NULL, &m, &err), CELEB_EINVAL);
    assert_int_equal(media_open_memory(NULL, 5, NULL, &m, &err), CELEB_EINVAL);
    assert_null(media_get_info(NULL));
    media_close(NULL);
}

/* Cuts the file at several points; each cut must be handled (error or consistent frames),
 * the same from a file and from memory; cut_code: the error expected past the magic number. */
static void truncations(const char *path, int w, int h, int frames, int cut_code)
{
    size_t len;
    uint8_t *data = read_all(path, &len);
    assert_non_null(data);
    size_t cuts[] = {1, 2, 3, 10, 40, 100, 300, 1000, len / 4, len / 2, len * 3 / 4, len - 100, len - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        if (cuts[i] >= len) continue;
        char p[512];
        tmp_path(p, sizeof p, "truncated.bin");
        write_all(p, data, cuts[i]);
        int n = check_robust(p, NULL, 0, w, h, frames);
        /* past the magic number, a cut still image is an error of its own */
        if (cut_code && cuts[i] >= 8 && cuts[i] < len - 2) assert_int_equal(n, cut_code);
        int n2 = check_robust(NULL, data, cuts[i], w, h, frames); /* same from memory */
        assert_int_equal(n, n2);
        unlink(p);
    }
    free(data);
}

static void test_truncated(void **state)
{
    char p[512];
    truncations(media_path(p, sizeof p, "faceapi_bbt2.jpg"), 675, 469, 1, CELEB_ECORRUPT);
    truncations(media_path(p, sizeof p, "faceapi_angry.jpg"), 300, 250, 1, CELEB_ECORRUPT);
    truncations(media_path(p, sizeof p, "faceapi_test_face_rectangular.png"), 122, 178, 1, CELEB_ECORRUPT);
    truncations(media_path(p, sizeof p, "giphy_video.gif"), 500, 250, 10, 0);
    truncations(media_path(p, sizeof p, "faceapi_test_video.mp4"), 820, 460, 5, 0);
    truncations(tmp_path(p, sizeof p, "faststart.mp4"), 820, 460, 5, 0);
    truncations(tmp_path(p, sizeof p, "anim.webp"), 64, 48, 3, 0);

    /* Documented behaviour on specific cuts. */
    size_t len;
    uint8_t *d = read_all(media_path(p, sizeof p, "faceapi_bbt2.jpg"), &len);
    assert_non_null(d);
    /* A JPEG missing only its EOI marker is complete: same pixels as the whole file. */
    int w, h, w2, h2;
    uint8_t *full = our_frame(p, 0, &w, &h);
    write_all(tmp_path(p, sizeof p, "noeoi.jpg"), d, len - 2);
    uint8_t *cut = our_frame(p, 0, &w2, &h2);
    assert_memory_equal(full, cut, (size_t)w * h * 3);
    free(full);
    free(cut);
    free(d);
    /* A GIF cut in the middle yields its complete frames, and says so up front. */
    d = read_all(media_path(p, sizeof p, "giphy_video.gif"), &len);
    write_all(tmp_path(p, sizeof p, "half.gif"), d, len / 2);
    free(d);
    media *m = open_ok(p);
    int frames = media_get_info(m)->frames;
    assert_true(frames > 1 && frames < 10);
    assert_int_equal(count_frames(m, NULL), frames);
    media_close(m);
    /* An MP4 with its index first, cut in the media data: the complete frames. */
    d = read_all(tmp_path(p, sizeof p, "faststart.mp4"), &len);
    write_all(tmp_path(p, sizeof p, "cut.mp4"), d, len - 100);
    free(d);
    m = open_ok(p);
    frames = media_get_info(m)->frames;
    assert_true(frames >= 1 && frames < 5);
    assert_int_equal(count_frames(m, NULL), frames);
    media_close(m);
    /* The moov-at-end original cut anywhere has no index: a corrupt-file error. */
    d = read_all(media_path(p, sizeof p, "faceapi_test_video.mp4"), &len);
    write_all(tmp_path(p, sizeof p, "cut.mp4"), d, len / 2);
    free(d);
    expect_open_error(p, CELEB_ECORRUPT);
}

/* "GIF89a", a logical screen and an image descriptor of sw x sh / iw x ih,
 * a 2-entry local palette and one LZW-coded pixel. */
static size_t make_gif(uint8_t *b, int sw, int sh, int iw, int ih)
{
    size_t n = 0;
    memcpy(b, "GIF89a", 6);
    n = 6;
    b[n++] = (uint8_t)sw; b[n++] = (uint8_t)(sw >> 8);
    b[n++] = (uint8_t)sh; b[n++] = (uint8_t)(sh >> 8);
    b[n++] = 0; b[n++] = 0; b[n++] = 0;          /* no global palette */
    b[n++] = 0x2c;                               /* image descriptor */
    b[n++] = 0; b[n++] = 0; b[n++] = 0; b[n++] = 0;
    b[n++] = (uint8_t)iw; b[n++] = (uint8_t)(iw >> 8);
    b[n++] = (uint8_t)ih; b[n++] = (uint8_t)(ih >> 8);
    b[n++] = 0x80;                               /* local palette, 2 entries */
    b[n++] = 255; b[n++] = 0; b[n++] = 0; b[n++] = 0; b[n++] = 0; b[n++] = 255;
    b[n++] = 2;                                  /* LZW minimum code size */
    b[n++] = 2; b[n++] = 0x44; b[n++] = 0x01;    /* clear, index 0, end (3-bit codes) */
    b[n++] = 0;                                  /* block terminator */
    b[n++] = 0x3b;                               /* trailer */
    return n;
}

static void test_gif_huge(void **state)
{
    uint8_t gif[64];
    size_t n = make_gif(gif, 0xffff, 0xffff, 0xffff, 0xffff);
    char p[512];
    write_all(tmp_path(p, sizeof p, "huge.gif"), gif, n);
    double t0 = now_s();
    media *m = NULL;
    celeb_error err = {0};
    int rc = media_open_file(p, NULL, &m, &err);
    assert_true(rc == CELEB_ELIMIT || rc == CELEB_ECORRUPT);
    assert_true(strlen(err.message) > 0);
    rc = media_open_memory(gif, n, NULL, &m, &err);
    assert_true(rc == CELEB_ELIMIT || rc == CELEB_ECORRUPT);
    assert_true(now_s() - t0 < 2.0);
    assert_null(m);

    /* small screen, huge image descriptor: no crash, at most the screen size */
    n = make_gif(gif, 16, 16, 0xffff, 0xffff);
    check_robust(NULL, gif, n, 16, 16, 1);
    /* the same GIF at a sane size decodes: one red pixel */
    n = make_gif(gif, 1, 1, 1, 1);
    assert_int_equal(media_open_memory(gif, n, NULL, &m, &err), 0);
    expect_info(m, "gif", 1, 1, 1, 0);
    media_frame f;
    assert_int_equal(media_next_frame(m, &f, &err), 1);
    assert_true(is_color(&f.img, 0, 0, 255, 0, 0));
    media_close(m);
    assert_true(now_s() - t0 < 5.0);
}

static void test_limits(void **state)
{
    char p[512];
    media_path(p, sizeof p, "giphy_video.gif");
    media *m = NULL;
    celeb_error err = {0};
    media_limits lim = {.max_pixels = 1000};
    assert_int_equal(media_open_file(p, &lim, &m, &err), CELEB_ELIMIT);
    assert_true(strlen(err.message) > 0);
    lim = (media_limits){.max_frames = 5};
    assert_int_equal(media_open_file(p, &lim, &m, &err), CELEB_ELIMIT);
    lim = (media_limits){.max_total_pixels = 3 * 500 * 250};
    assert_int_equal(media_open_file(p, &lim, &m, &err), 0);
    media_frame f;
    for (int i = 0; i < 3; i++) assert_int_equal(media_next_frame(m, &f, &err), 1);
    assert_int_equal(media_next_frame(m, &f, &err), CELEB_ELIMIT);
    assert_int_equal(media_next_frame(m, &f, &err), CELEB_ELIMIT); /* sticky */
    assert_true(strlen(err.message) > 0);
    media_close(m);
    lim = (media_limits){.max_pixels = 300 * 249};
    assert_int_equal(media_open_file(media_path(p, sizeof p, "faceapi_angry.jpg"), &lim, &m, &err), CELEB_ELIMIT);
    assert_int_equal(media_open_file(media_path(p, sizeof p, "fr_32bit.png"), &lim, &m, &err), CELEB_ELIMIT);
    assert_int_equal(media_open_file(tmp_path(p, sizeof p, "anim.webp"), &(media_limits){.max_pixels = 100}, &m, &err),
                     CELEB_ELIMIT);
    assert_int_equal(media_open_file(media_path(p, sizeof p, "faceapi_test_video.mp4"),
                                     &(media_limits){.max_pixels = 820 * 459}, &m, &err),
                     CELEB_ELIMIT);
}

/* Deterministic byte flips in small files of each format: never a crash. */
static void test_byte_flips(void **state)
{
    static const char *files[] = {"faceapi_fearful.jpg", "dlib_rbf_normal.gif", "faceapi_test_white.png",
                                  "faceapi_test_video.mp4"};
    uint32_t seed = 12345;
    for (size_t i = 0; i < sizeof files / sizeof files[0] + 1; i++) {
        char p[512];
        if (i < sizeof files / sizeof files[0]) media_path(p, sizeof p, files[i]);
        else tmp_path(p, sizeof p, "anim.webp");
        size_t len;
        uint8_t *orig = read_all(p, &len);
        assert_non_null(orig);
        uint8_t *d = malloc(len);
        assert_non_null(d);
        for (int round = 0; round < 12; round++) {
            memcpy(d, orig, len);
            for (int k = 0; k < 1 + round; k++) {
                seed = seed * 1103515245u + 12345u;
                /* half of the flips in the first 1 KiB, where the headers are */
                size_t span = (k & 1) && len > 1024 ? 1024 : len;
                size_t pos = (seed >> 8) % span;
                d[pos] ^= (uint8_t)(1u << ((seed >> 4) & 7));
            }
            check_robust(NULL, d, len, 0, 0, 0);
        }
        free(d);
        free(orig);
    }
}

// ----------------------------------------------------------------------------

static int group_setup(void **state)
{
    const char *base = getenv("TMPDIR");
    snprintf(g_tmp, sizeof g_tmp, "%s/celeb_media_XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(g_tmp)) return -1;
    if (access(HELPER, R_OK) != 0 || access(PYTHON, X_OK) != 0) {
        fprintf(stderr, "test_media needs %s and %s (run from the project root)\n", HELPER, PYTHON);
        return -1;
    }
    char args[1024], p[512];
    const char *cmds[] = {"pngs", "webp", "gif_disposal"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(args, sizeof args, PYTHON " " HELPER " %s '%s' >/dev/null", cmds[i], g_tmp);
        if (system(args) != 0) return -1;
    }
    char fs[512];
    snprintf(args, sizeof args, PYTHON " " HELPER " faststart '%s' '%s'",
             media_path(p, sizeof p, "faceapi_test_video.mp4"), tmp_path(fs, sizeof fs, "faststart.mp4"));
    if (system(args) != 0) return -1;
    return 0;
}

static int group_teardown(void **state)
{
    DIR *dir = opendir(g_tmp);
    if (dir) {
        struct dirent *e;
        char p[512];
        while ((e = readdir(dir)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                unlink(tmp_path(p, sizeof p, e->d_name));
        closedir(dir);
    }
    rmdir(g_tmp);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gif_giphy),
        cmocka_unit_test(test_gif_elon),
        cmocka_unit_test(test_gif_frames_vs_pil),
        cmocka_unit_test(test_gif_disposal_vs_pil),
        cmocka_unit_test(test_video_mp4),
        cmocka_unit_test(test_video_webm),
        cmocka_unit_test(test_png_rgba_vs_pil),
        cmocka_unit_test(test_png_white),
        cmocka_unit_test(test_png_variants),
        cmocka_unit_test(test_webp),
        cmocka_unit_test(test_jpeg_exif_orientation),
        cmocka_unit_test(test_one_pixel),
        cmocka_unit_test(test_jpeg_vs_pil),
        cmocka_unit_test(test_memory_equals_file),
        cmocka_unit_test(test_sniff_ignores_name),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_gif_huge),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_byte_flips),
    };
    return cmocka_run_group_tests_name("media", tests, group_setup, group_teardown);
}
