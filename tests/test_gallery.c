/* test_gallery.c - the SQLite gallery: contents read back exactly, two
 * handles on one file (generation), rename/remove, the JSON export, every
 * bad file and bad argument, and crash safety: a writer killed with SIGKILL
 * in the middle of adding faces, five times on the same file, leaves a file
 * that passes integrity_check and holds every face whose add had returned.
 * Content hashes, aliases (gallery_merge), and galleries of the first
 * layout, writable and read-only. Also the labelled folders of enrolment (DIR/<Person>/<photo> + labels.csv). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gallery/folder.h"
#include "gallery/gallery.h"

// ----------------------------------------------------------------------------
// Helpers

/* Each test gets its own directory under /tmp (the state), removed after. */
static int make_dir(void **state)
{
    char *dir = strdup("/tmp/celeb_gallery_XXXXXX");
    if (!dir || !mkdtemp(dir)) {
        free(dir);
        return -1;
    }
    *state = dir;
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static int remove_dir(void **state)
{
    int rc = nftw(*state, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    free(*state);
    return rc;
}

static const char *in_dir(void **state, const char *name, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s", (const char *)*state, name);
    return buf;
}

/* A descriptor whose values (signs, fractions, magnitudes) all derive from
 * seed, so a row can be checked against the seed it was written with. */
static void make_descriptor(unsigned seed, float *d)
{
    for (unsigned k = 0; k < GALLERY_DIM; k++) {
        unsigned h = (seed + 1) * 2654435761u ^ (k + 1) * 40503u;
        d[k] = (float)(h % 200001u) / 100000.0f - 1.0f + (float)seed * 1e-7f;
    }
}

static gallery *open_ok(const char *path, int create)
{
    gallery *g = NULL;
    celeb_error err = {0};
    int rc = gallery_open(path, create, &g, &err);
    if (rc != 0)
        fprintf(stderr, "gallery_open: %s\n", err.message);
    assert_int_equal(rc, 0);
    assert_non_null(g);
    return g;
}

/* Adds a face of content hash `content` (may be NULL) whose descriptor is
 * make_descriptor(seed); returns its id. */
static int64_t add_hashed(gallery *g, const char *name, const char *source, const char *content,
                          float quality, unsigned seed)
{
    float d[GALLERY_DIM];
    make_descriptor(seed, d);
    int64_t id = -1;
    celeb_error err = {0};
    int rc = gallery_add_face(g, name, source, content, quality, d, &id, &err);
    if (rc != 0)
        fprintf(stderr, "gallery_add_face: %s\n", err.message);
    assert_int_equal(rc, 0);
    assert_true(id > 0);
    return id;
}

static int64_t add_ok(gallery *g, const char *name, const char *source, float quality,
                      unsigned seed)
{
    return add_hashed(g, name, source, NULL, quality, seed);
}

/* Asserts a face holds exactly what add_ok stored (bit-identical floats). */
static void assert_face(const gallery_face *f, int64_t id, const char *name, const char *source,
                        float quality, unsigned seed)
{
    float d[GALLERY_DIM];
    make_descriptor(seed, d);
    assert_int_equal(f->id, id);
    assert_string_equal(f->name, name);
    assert_string_equal(f->source, source);
    assert_memory_equal(&f->quality, &quality, sizeof quality);
    assert_memory_equal(f->descriptor, d, sizeof d);
}

/* One integer from a SQL query on its own sqlite3 connection. */
static long long sql_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    long long v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

/* The first column of the first row as text, copied into buf. */
static const char *sql_text(const char *path, const char *sql, char *buf, size_t size)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    snprintf(buf, size, "%s", (const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    sqlite3_close(db);
    return buf;
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* Three faces, two of them Alice's: the fixture most tests start from.
 * Zed is added first so that list order is by name, not by insertion. */
static void add_three(gallery *g, int64_t ids[3])
{
    ids[0] = add_ok(g, "Zed", "zed.jpg", 0.5f, 1);
    ids[1] = add_ok(g, "Alice", "alice1.jpg", 0.875f, 2);
    ids[2] = add_ok(g, "Alice", "/photos/alice 2.png", 0.1f, 3);
}

// ----------------------------------------------------------------------------
// Contents

static void test_add_list_faces(void **state)
{
    char path[512];
    gallery *g = open_ok(in_dir(state, "g.db", path, sizeof path), 1);
    int64_t ids[3];
    add_three(g, ids);
    assert_true(ids[0] < ids[1] && ids[1] < ids[2]);

    celeb_error err = {0};
    gallery_identity *people = NULL;
    int n = -1;
    assert_int_equal(gallery_list(g, &people, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(people[0].name, "Alice");
    assert_int_equal(people[0].faces, 2);
    assert_string_equal(people[1].name, "Zed");
    assert_int_equal(people[1].faces, 1);
    assert_true(people[0].id != people[1].id);
    free(people);

    gallery_face *faces = NULL;
    assert_int_equal(gallery_faces(g, "Alice", &faces, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_face(&faces[0], ids[1], "Alice", "alice1.jpg", 0.875f, 2);
    assert_face(&faces[1], ids[2], "Alice", "/photos/alice 2.png", 0.1f, 3);
    free(faces);

    assert_int_equal(gallery_faces(g, NULL, &faces, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_face(&faces[0], ids[1], "Alice", "alice1.jpg", 0.875f, 2);
    assert_face(&faces[1], ids[2], "Alice", "/photos/alice 2.png", 0.1f, 3);
    assert_face(&faces[2], ids[0], "Zed", "zed.jpg", 0.5f, 1);
    assert_int_equal(faces[0].identity_id, faces[1].identity_id);
    assert_true(faces[0].identity_id != faces[2].identity_id);
    free(faces);

    /* An unknown name simply has no faces. */
    faces = (gallery_face *)&n;
    assert_int_equal(gallery_faces(g, "Nobody", &faces, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_null(faces);

    /* The stored blob is 128 little-endian float32 (this host is LE). */
    gallery_close(g);
    assert_int_equal(sql_int(path, "SELECT min(length(descriptor)) FROM faces"), 512);
    char buf[64];
    assert_string_equal(sql_text(path, "SELECT value FROM meta WHERE key='schema'", buf, sizeof buf),
                        "celeb.gallery/1");
    assert_string_equal(sql_text(path, "PRAGMA journal_mode", buf, sizeof buf), "wal");
}

static void test_empty_gallery(void **state)
{
    char path[512];
    gallery *g = open_ok(in_dir(state, "g.db", path, sizeof path), 1);
    celeb_error err = {0};
    gallery_identity *people = (gallery_identity *)&err;
    gallery_face *faces = (gallery_face *)&err;
    int n = -1;
    assert_int_equal(gallery_list(g, &people, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_null(people);
    assert_int_equal(gallery_faces(g, NULL, &faces, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_null(faces);
    assert_int_equal(gallery_generation(g), 0);
    gallery_close(g);
    gallery_close(NULL);
}

static void test_two_handles(void **state)
{
    char path[512];
    gallery *a = open_ok(in_dir(state, "g.db", path, sizeof path), 1);
    int64_t ids[3];
    add_three(a, ids);
    gallery *b = open_ok(path, 0);

    celeb_error err = {0};
    gallery_face *faces = NULL;
    int n = 0;
    assert_int_equal(gallery_faces(b, NULL, &faces, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_face(&faces[0], ids[1], "Alice", "alice1.jpg", 0.875f, 2);
    assert_face(&faces[1], ids[2], "Alice", "/photos/alice 2.png", 0.1f, 3);
    assert_face(&faces[2], ids[0], "Zed", "zed.jpg", 0.5f, 1);
    free(faces);

    /* Both handles agree; every write by A moves B's number (and A's). */
    int64_t gen = gallery_generation(b);
    assert_true(gen >= 0);
    assert_int_equal(gallery_generation(a), gen);
    assert_int_equal(gallery_generation(b), gen);   /* no change, no move */

    int64_t id4 = add_ok(a, "Bob", "bob.jpg", 0.9f, 4);
    int64_t after_add = gallery_generation(b);
    assert_true(after_add != gen);
    assert_int_equal(gallery_faces(b, "Bob", &faces, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_face(&faces[0], id4, "Bob", "bob.jpg", 0.9f, 4);
    free(faces);

    assert_int_equal(gallery_rename(a, "Bob", "Robert", &err), 0);
    int64_t after_rename = gallery_generation(b);
    assert_true(after_rename != after_add);

    assert_int_equal(gallery_remove(a, "Robert", &err), 0);
    int64_t after_remove = gallery_generation(b);
    assert_true(after_remove != after_rename && after_remove != after_add);
    assert_int_equal(gallery_generation(a), after_remove);

    /* A failed write changes nothing. */
    assert_int_equal(gallery_remove(a, "Robert", &err), CELEB_EINVAL);
    assert_int_equal(gallery_generation(b), after_remove);

    /* And the other way round: B writes, A sees it at once. */
    add_ok(b, "Carol", "carol.jpg", 0.7f, 5);
    assert_true(gallery_generation(a) != after_remove);
    assert_int_equal(gallery_faces(a, "Carol", &faces, &n, &err), 0);
    assert_int_equal(n, 1);
    free(faces);
    gallery_close(a);
    gallery_close(b);
}

static void test_rename_remove(void **state)
{
    char path[512];
    gallery *g = open_ok(in_dir(state, "g.db", path, sizeof path), 1);
    int64_t ids[3];
    add_three(g, ids);
    celeb_error err = {0};

    assert_int_equal(gallery_rename(g, "Zed", "Bob", &err), 0);
    gallery_face *faces = NULL;
    int n = 0;
    assert_int_equal(gallery_faces(g, "Bob", &faces, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_face(&faces[0], ids[0], "Bob", "zed.jpg", 0.5f, 1);
    free(faces);
    assert_int_equal(gallery_faces(g, "Zed", &faces, &n, &err), 0);
    assert_int_equal(n, 0);

    err = (celeb_error){0};
    assert_int_equal(gallery_rename(g, "Bob", "Alice", &err), CELEB_EINVAL);
    assert_int_equal(err.code, CELEB_EINVAL);
    assert_non_null(strstr(err.message, "Alice"));
    err = (celeb_error){0};
    assert_int_equal(gallery_rename(g, "Nobody", "Carl", &err), CELEB_EINVAL);
    assert_non_null(strstr(err.message, "Nobody"));
    assert_int_equal(gallery_rename(g, "Bob", "Bob", &err), CELEB_EINVAL);
    assert_int_equal(gallery_rename(g, "Bob", "", &err), CELEB_EINVAL);
    assert_int_equal(gallery_rename(g, "Bob", NULL, &err), CELEB_EINVAL);

    /* Nothing changed by the failed renames. */
    gallery_identity *people = NULL;
    assert_int_equal(gallery_list(g, &people, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(people[0].name, "Alice");
    assert_int_equal(people[0].faces, 2);
    assert_string_equal(people[1].name, "Bob");
    assert_int_equal(people[1].faces, 1);
    free(people);

    assert_int_equal(gallery_remove(g, "Alice", &err), 0);
    assert_int_equal(gallery_faces(g, NULL, &faces, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_face(&faces[0], ids[0], "Bob", "zed.jpg", 0.5f, 1);
    free(faces);
    err = (celeb_error){0};
    assert_int_equal(gallery_remove(g, "Alice", &err), CELEB_EINVAL);
    assert_true(err.message[0] != 0);
    assert_int_equal(gallery_remove(g, NULL, &err), CELEB_EINVAL);
    gallery_close(g);

    /* The cascade removed the face rows themselves, not just their join. */
    assert_int_equal(sql_int(path, "SELECT count(*) FROM faces"), 1);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM identities"), 1);
}

// ----------------------------------------------------------------------------
// Export

static const cJSON *get(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    assert_non_null(v);
    return v;
}

/* gallery_export's document, parsed. */
static cJSON *export_ok(gallery *g)
{
    char *text = NULL;
    size_t size = 0;
    FILE *mem = open_memstream(&text, &size);
    assert_non_null(mem);
    celeb_error err = {0};
    assert_int_equal(gallery_export(g, mem, &err), 0);
    assert_int_equal(fclose(mem), 0);
    cJSON *doc = cJSON_Parse(text);
    free(text);
    assert_non_null(doc);
    return doc;
}

static void test_export(void **state)
{
    char path[512];
    gallery *g = open_ok(in_dir(state, "g.db", path, sizeof path), 1);
    int64_t ids[3];
    add_three(g, ids);
    add_ok(g, "Zoë \"the\" \\ quoted", "a\tb.jpg", 0.25f, 9);
    cJSON *doc = export_ok(g);
    gallery_close(g);
    assert_string_equal(get(doc, "schema")->valuestring, "celeb.gallery/1");
    const cJSON *people = get(doc, "identities");
    assert_int_equal(cJSON_GetArraySize(people), 3);
    const char *names[3] = {"Alice", "Zed", "Zoë \"the\" \\ quoted"};
    const int counts[3] = {2, 1, 1};
    for (int i = 0; i < 3; i++) {
        const cJSON *p = cJSON_GetArrayItem(people, i);
        assert_string_equal(get(p, "name")->valuestring, names[i]);
        assert_int_equal(cJSON_GetArraySize(get(p, "faces")), counts[i]);
    }

    /* Alice's second face: id, source, quality and descriptor round-trip. */
    const cJSON *face = cJSON_GetArrayItem(get(cJSON_GetArrayItem(people, 0), "faces"), 1);
    assert_int_equal((int64_t)get(face, "id")->valuedouble, ids[2]);
    assert_string_equal(get(face, "source")->valuestring, "/photos/alice 2.png");
    assert_true((float)get(face, "quality")->valuedouble == 0.1f);
    const cJSON *d = get(face, "descriptor");
    assert_int_equal(cJSON_GetArraySize(d), GALLERY_DIM);
    float want[GALLERY_DIM];
    make_descriptor(3, want);
    for (int k = 0; k < GALLERY_DIM; k += 37)
        assert_true((float)cJSON_GetArrayItem(d, k)->valuedouble == want[k]);
    const cJSON *odd = cJSON_GetArrayItem(get(cJSON_GetArrayItem(people, 2), "faces"), 0);
    assert_string_equal(get(odd, "source")->valuestring, "a\tb.jpg");
    cJSON_Delete(doc);
}

// ----------------------------------------------------------------------------
// Bad files and bad arguments

/* Opening path fails with `code` (any negative when code is 0), a message
 * that names the file, and no handle. */
static void assert_open_fails(const char *path, int create, int code)
{
    gallery *g = (gallery *)&code;
    celeb_error err = {0};
    int rc = gallery_open(path, create, &g, &err);
    if (code)
        assert_int_equal(rc, code);
    else
        assert_true(rc < 0);
    assert_int_equal(err.code, rc);
    assert_null(g);
    assert_non_null(strstr(err.message, path));
}

static void make_sqlite(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void test_bad_files(void **state)
{
    char path[512];
    const char *text = "name,descriptor\nobama,0.1 0.2 0.3\nnot a database at all\n";
    write_file(in_dir(state, "text.db", path, sizeof path), text, strlen(text));
    assert_open_fails(path, 0, CELEB_EFORMAT);
    assert_open_fails(path, 1, CELEB_EFORMAT);

    unsigned char noise[8192];
    unsigned s = 12345;
    for (size_t i = 0; i < sizeof noise; i++) {
        s = s * 1103515245u + 12345u;
        noise[i] = (unsigned char)(s >> 16);
    }
    write_file(in_dir(state, "noise.db", path, sizeof path), noise, sizeof noise);
    assert_open_fails(path, 1, CELEB_EFORMAT);
    /* Left exactly as it was: nothing written, no journal beside it. */
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, sizeof noise);

    assert_open_fails(in_dir(state, "missing.db", path, sizeof path), 0, CELEB_EIO);
    assert_int_equal(access(path, F_OK), -1);   /* not created */
    assert_open_fails(in_dir(state, "no/such/dir.db", path, sizeof path), 1, CELEB_EIO);

    assert_open_fails((const char *)*state, 0, 0);
    assert_open_fails((const char *)*state, 1, 0);

    /* Another application's database: refused and left in its journal mode. */
    make_sqlite(in_dir(state, "other.db", path, sizeof path),
                "CREATE TABLE x(a INTEGER); INSERT INTO x VALUES(1);");
    assert_open_fails(path, 1, CELEB_EFORMAT);
    char buf[64];
    assert_string_equal(sql_text(path, "PRAGMA journal_mode", buf, sizeof buf), "delete");
    assert_int_equal(sql_int(path, "SELECT count(*) FROM sqlite_master WHERE name='meta'"), 0);

    /* A meta table of another version of ours, and one of another shape. */
    make_sqlite(in_dir(state, "v2.db", path, sizeof path),
                "CREATE TABLE meta(key TEXT PRIMARY KEY, value);"
                "INSERT INTO meta VALUES('schema', 'celeb.gallery/2');");
    assert_open_fails(path, 1, CELEB_EFORMAT);
    make_sqlite(in_dir(state, "meta.db", path, sizeof path), "CREATE TABLE meta(k, v);");
    assert_open_fails(path, 0, CELEB_EFORMAT);
    /* The right schema string on missing tables. */
    make_sqlite(in_dir(state, "fake.db", path, sizeof path),
                "CREATE TABLE meta(key TEXT PRIMARY KEY, value);"
                "INSERT INTO meta VALUES('schema', 'celeb.gallery/1'), ('generation', 0);");
    assert_open_fails(path, 0, CELEB_EFORMAT);

    /* An empty file is a new database: a gallery with create, else refused. */
    write_file(in_dir(state, "empty.db", path, sizeof path), "", 0);
    assert_open_fails(path, 0, CELEB_EFORMAT);
    gallery *g = open_ok(path, 1);
    gallery_close(g);
    g = open_ok(path, 0);
    gallery_close(g);

    celeb_error err = {0};
    assert_int_equal(gallery_open(NULL, 1, &g, &err), CELEB_EINVAL);
    assert_int_equal(gallery_open(path, 1, NULL, &err), CELEB_EINVAL);
}

static void assert_add_fails(gallery *g, const char *name, const char *source, float quality,
                             const float *d, const char *why)
{
    celeb_error err = {0};
    int64_t id = -7;
    assert_int_equal(gallery_add_face(g, name, source, NULL, quality, d, &id, &err), CELEB_EINVAL);
    assert_int_equal(err.code, CELEB_EINVAL);
    assert_true(err.message[0] != 0);
    assert_int_equal(id, -7);
    if (why)
        assert_non_null(strstr(err.message, why));
}

static void test_bad_args(void **state)
{
    char path[512];
    gallery *g = open_ok(in_dir(state, "g.db", path, sizeof path), 1);
    float d[GALLERY_DIM];
    make_descriptor(7, d);

    char long_name[201];
    memset(long_name, 'a', 200);
    long_name[200] = 0;
    assert_add_fails(g, "", "x.jpg", 1, d, "name");
    assert_add_fails(g, long_name, "x.jpg", 1, d, "name");
    long_name[GALLERY_NAME_MAX] = 0;   /* 128 bytes: one too many */
    assert_add_fails(g, long_name, "x.jpg", 1, d, "name");
    assert_add_fails(g, "two\nlines", "x.jpg", 1, d, "control");
    assert_add_fails(g, "tab\there", "x.jpg", 1, d, "control");
    assert_add_fails(g, "del\x7f", "x.jpg", 1, d, "control");
    assert_add_fails(g, "c1\xc2\x85", "x.jpg", 1, d, "control");   /* U+0085 */
    assert_add_fails(g, "bad\xff", "x.jpg", 1, d, "UTF-8");
    assert_add_fails(g, "cut\xc3", "x.jpg", 1, d, "UTF-8");
    assert_add_fails(g, "overlong\xc0\xaf", "x.jpg", 1, d, "UTF-8");
    assert_add_fails(g, "surrogate\xed\xa0\x80", "x.jpg", 1, d, "UTF-8");
    assert_add_fails(g, NULL, "x.jpg", 1, d, NULL);
    assert_add_fails(g, "Ann", NULL, 1, d, NULL);
    assert_add_fails(g, "Ann", "x.jpg", NAN, d, "quality");
    assert_add_fails(g, "Ann", "x.jpg", INFINITY, d, "quality");
    assert_add_fails(g, "Ann", "x.jpg", 1, NULL, NULL);
    d[5] = NAN;
    assert_add_fails(g, "Ann", "x.jpg", 1, d, "descriptor");
    d[5] = -INFINITY;
    assert_add_fails(g, "Ann", "x.jpg", 1, d, "descriptor");
    char long_source[GALLERY_SOURCE_MAX + 1];
    memset(long_source, 's', GALLERY_SOURCE_MAX);
    long_source[GALLERY_SOURCE_MAX] = 0;
    make_descriptor(7, d);
    assert_add_fails(g, "Ann", long_source, 1, d, "source");
    assert_int_equal(gallery_generation(g), 0);   /* nothing was written */

    /* The edges that are allowed. */
    long_name[GALLERY_NAME_MAX - 1] = 0;   /* 127 bytes: the longest allowed */
    add_ok(g, long_name, "", 0, 7);
    add_ok(g, "Zoë Saldaña 王菲", "ü.jpg", -1, 8);
    long_source[GALLERY_SOURCE_MAX - 1] = 0;
    add_ok(g, "Ann", long_source, 1, 9);
    gallery_face *faces = NULL;
    int n = 0;
    celeb_error err = {0};
    assert_int_equal(gallery_faces(g, "Ann", &faces, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(strlen(faces[0].source), GALLERY_SOURCE_MAX - 1);
    free(faces);
    assert_int_equal(gallery_faces(g, "bad\n", &faces, &n, &err), CELEB_EINVAL);
    assert_int_equal(gallery_list(g, NULL, &n, &err), CELEB_EINVAL);
    gallery_close(g);
}

// ----------------------------------------------------------------------------
// Crash safety

#define CRASH_ROUNDS 5
#define CRASH_PER_ROUND 100000   /* far more than a round lives to add */
#define CRASH_MIN_IDS 50

typedef struct reported {
    int64_t id;
    int i;
} reported;

static void crash_face(int i, char *name, char *source, float *q, float *d)
{
    sprintf(name, "crash_%d", i % 3);
    sprintf(source, "photo_%d.jpg", i);
    *q = (float)(i % 100) / 100.0f;
    make_descriptor((unsigned)i, d);
}

/* The child: adds faces until killed, reporting "id i" for each add that
 * returned. No cmocka here (it would longjmp into the parent's copy). */
static void crash_child(const char *path, int first, int fd)
{
    gallery *g = NULL;
    celeb_error err = {0};
    if (gallery_open(path, 1, &g, &err) != 0)
        _exit(2);
    for (int i = first; i < first + CRASH_PER_ROUND; i++) {
        char name[32], source[64], line[64];
        float q, d[GALLERY_DIM];
        crash_face(i, name, source, &q, d);
        int64_t id;
        if (gallery_add_face(g, name, source, NULL, q, d, &id, &err) != 0)
            _exit(3);
        int len = snprintf(line, sizeof line, "%lld %d\n", (long long)id, i);
        if (write(fd, line, (size_t)len) != len)   /* < PIPE_BUF: one atomic write */
            _exit(4);
    }
    gallery_close(g);
    _exit(0);
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* Parses the complete lines in buf[0..*len) into *rep, keeping a partial tail. */
static void take_lines(char *buf, size_t *len, reported **rep, int *n, int *cap)
{
    char *start = buf, *nl;
    while ((nl = memchr(start, '\n', (size_t)(buf + *len - start)))) {
        *nl = 0;
        if (*n == *cap) {
            *cap = *cap ? *cap * 2 : 1024;
            *rep = realloc(*rep, (size_t)*cap * sizeof **rep);
            assert_non_null(*rep);
        }
        long long id;
        int i;
        assert_int_equal(sscanf(start, "%lld %d", &id, &i), 2);
        (*rep)[(*n)++] = (reported){id, i};
        start = nl + 1;
    }
    *len = (size_t)(buf + *len - start);
    memmove(buf, start, *len);
}

/* Reads fd until it is quiet for timeout_ms (or EOF: returns 0). */
static int read_some(int fd, int timeout_ms, char *buf, size_t *len, size_t cap, reported **rep,
                     int *n, int *repcap)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, timeout_ms) <= 0)
        return 1;
    ssize_t got = read(fd, buf + *len, cap - *len);
    if (got <= 0)
        return 0;
    *len += (size_t)got;
    take_lines(buf, len, rep, n, repcap);
    return 1;
}

/* One round: a child adds faces starting at `first`; the parent kills it a
 * few ms after it has reported CRASH_MIN_IDS of them, then reads what the
 * child had written before it died (all of those adds had returned). */
static void crash_round(const char *path, int round, reported **rep, int *n, int *cap)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        crash_child(path, round * CRASH_PER_ROUND, fds[1]);
    }
    close(fds[1]);
    char buf[4096];
    size_t len = 0;
    int start = *n;
    double t0 = now_ms(), kill_at = -1;
    /* Random-ish extra time (1..150 ms), so the kill lands at different
     * points of a commit and, in longer rounds, of WAL checkpoints. */
    double extra = 1 + (double)(((unsigned)getpid() * 2654435761u + (unsigned)round * 2246822519u) % 150);
    while (kill_at < 0 || now_ms() < kill_at) {
        if (!read_some(fds[0], 1, buf, &len, sizeof buf, rep, n, cap))
            break;   /* the child ended on its own: fails below */
        if (kill_at < 0 && *n - start >= CRASH_MIN_IDS)
            kill_at = now_ms() + extra;
        assert_true(now_ms() - t0 < 10000);   /* the child makes no progress */
    }
    kill(pid, SIGKILL);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    while (read_some(fds[0], 1000, buf, &len, sizeof buf, rep, n, cap))
        ;
    close(fds[0]);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    assert_int_equal(len, 0);   /* no partial line */
    assert_true(*n - start >= CRASH_MIN_IDS);
}

/* What SQLite itself says about the file after the kill. */
static void check_file(const char *path)
{
    char buf[64];
    assert_string_equal(sql_text(path, "PRAGMA integrity_check", buf, sizeof buf), "ok");
    assert_int_equal(sql_int(path, "SELECT count(*) FROM faces WHERE typeof(descriptor) != 'blob'"
                                   " OR length(descriptor) != 512 OR source IS NULL"), 0);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM faces f LEFT JOIN identities i"
                                   " ON i.id = f.identity_id WHERE i.id IS NULL"), 0);
    assert_int_equal(sql_int(path, "SELECT count(DISTINCT source) - count(*) FROM faces"), 0);
}

/* Every row holds the face its source number says, and every reported id
 * is there; the generation counted one bump per committed add. */
static void check_faces(const char *path, const reported *rep, int n)
{
    gallery *g = open_ok(path, 0);
    gallery_face *faces = NULL;
    int nf = 0;
    celeb_error err = {0};
    assert_int_equal(gallery_faces(g, NULL, &faces, &nf, &err), 0);
    assert_true(nf >= n);
    assert_int_equal(gallery_generation(g), nf);
    gallery_close(g);

    int64_t max_id = 0;
    for (int k = 0; k < nf; k++)
        max_id = faces[k].id > max_id ? faces[k].id : max_id;
    int *index = malloc((size_t)(max_id + 1) * sizeof *index);
    assert_non_null(index);
    for (int64_t k = 0; k <= max_id; k++)
        index[k] = -1;
    for (int k = 0; k < nf; k++) {
        int i = -1;
        assert_int_equal(sscanf(faces[k].source, "photo_%d.jpg", &i), 1);
        char name[32], source[64];
        float q, d[GALLERY_DIM];
        crash_face(i, name, source, &q, d);
        assert_face(&faces[k], faces[k].id, name, source, q, (unsigned)i);
        index[faces[k].id] = i;
    }
    for (int k = 0; k < n; k++) {
        assert_true(rep[k].id > 0 && rep[k].id <= max_id);
        assert_int_equal(index[rep[k].id], rep[k].i);
    }
    free(index);
    free(faces);
}

static void test_crash_safety(void **state)
{
    char path[512];
    in_dir(state, "crash.db", path, sizeof path);
    reported *rep = NULL;
    int n = 0, cap = 0;
    for (int round = 0; round < CRASH_ROUNDS; round++) {
        crash_round(path, round, &rep, &n, &cap);
        check_file(path);
        check_faces(path, rep, n);
    }
    free(rep);
}


// ----------------------------------------------------------------------------
// Labelled folders and labels.csv

static folder_labels *parse_ok(const char *text)
{
    folder_labels *l = NULL;
    celeb_error err = {0};
    int rc = folder_labels_parse(text, strlen(text), &l, &err);
    if (rc != 0)
        fail_msg("labels.csv refused: %s", err.message);
    return l;
}

/* size 0: strlen(text) */
static void assert_parse_fails(const char *text, size_t size, const char *message)
{
    size = size ? size : strlen(text);
    folder_labels *l = (folder_labels *)1;
    celeb_error err = {0};
    assert_int_equal(folder_labels_parse(text, size, &l, &err), CELEB_EINVAL);
    assert_null(l);
    if (!strstr(err.message, message))
        fail_msg("expected \"%s\" in \"%s\"", message, err.message);
}

static void test_labels_csv(void **state)
{
    /* header, quotes with a comma and a doubled quote, CRLF, a BOM, UTF-8, extra columns, spaces */
    folder_labels *l = parse_ok("\xef\xbb\xbf" "folder,name\r\n"
                                "Beyonce_Knowles,Beyonc\xc3\xa9 Knowles\r\n"
                                "\"Smith, Will\",\"Will \"\"Fresh\"\" Smith\",actor,1968\r\n"
                                "\n"
                                "  Brad_Pitt ,  Brad Pitt\n");
    assert_int_equal(folder_labels_count(l), 3);
    assert_string_equal(folder_labels_name(l, "Beyonce_Knowles"), "Beyonc\xc3\xa9 Knowles");
    assert_string_equal(folder_labels_name(l, "Smith, Will"), "Will \"Fresh\" Smith");
    assert_string_equal(folder_labels_name(l, "Brad_Pitt"), "Brad Pitt");
    assert_null(folder_labels_name(l, "folder"));   /* the header is no row */
    assert_null(folder_labels_name(l, "Nobody"));
    folder_labels_free(l);
    /* no header; the last line without its newline */
    l = parse_ok("A,Alpha\nB,Beta");
    assert_int_equal(folder_labels_count(l), 2);
    assert_string_equal(folder_labels_name(l, "B"), "Beta");
    folder_labels_free(l);
    l = parse_ok("");
    assert_int_equal(folder_labels_count(l), 0);
    folder_labels_free(l);
    /* every refusal names its row */
    assert_parse_fails("folder,name\nA\n", 0, "row 2: expected folder,name (1 field)");
    assert_parse_fails("A,Alpha\n,Nobody\n", 0, "row 2: the folder is empty");
    assert_parse_fails("A,One\nB,Two\nA,Three\n", 0, "lists the folder A twice");
    assert_parse_fails("A,\n", 0, "row 1: the name of A: a name must be 1 to 127 bytes");
    assert_parse_fails("A,bad\x01name\n", 0, "row 1: the name of A: name has a control character");
    assert_parse_fails("A,\xff\xfe\n", 0, "not valid UTF-8");
    assert_parse_fails("A,\"unterminated\n", 0, "row 1:");
    assert_parse_fails("A,\"x\"y\n", 0, "row 1:");
    assert_parse_fails("A,x\0y\n", 6, "a NUL byte");
    char big[300];
    memset(big, 'n', sizeof big);
    memcpy(big, "A,", 2);
    assert_parse_fails(big, sizeof big, "a name must be 1 to 127 bytes (got 298)");
}

static void make_photo(void **state, const char *folder, const char *file)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", (const char *)*state, folder);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/%s/%s", (const char *)*state, folder, file);
    write_file(path, "x", 1);
}

static void test_folder_list(void **state)
{
    const char *dir = *state;
    char path[1024];
    make_photo(state, "Beyonce_Knowles", "b.jpg");
    make_photo(state, "Alice", "2.png");
    make_photo(state, "Alice", "1.jpg");
    make_photo(state, "bad\x01name", "x.jpg");
    char long_name[201];
    memset(long_name, 'L', 200);
    long_name[200] = 0;
    make_photo(state, long_name, "y.jpg");
    make_photo(state, ".hidden", "h.jpg");
    write_file(in_dir(state, "stray.jpg", path, sizeof path), "x", 1);   /* not in a person's folder */
    folder_photo *p;
    int n;
    celeb_error err = {0};
    /* without labels.csv: folder names */
    assert_int_equal(folder_list(dir, &p, &n, &err), 0);
    assert_int_equal(n, 5);
    assert_string_equal(p[0].name, "Alice");
    snprintf(path, sizeof path, "%s/Alice/1.jpg", dir);
    assert_string_equal(p[0].path, path);
    assert_string_equal(p[1].name, "Alice");
    assert_string_equal(p[2].name, "Beyonce_Knowles");
    assert_string_equal(p[3].name, "");   /* "L..." sorts before "b" */
    assert_non_null(strstr(p[3].problem, "a name must be 1 to 127 bytes (got 200)"));
    assert_string_equal(p[4].name, "");
    assert_non_null(strstr(p[4].problem, "control character"));
    free(p);
    /* with labels.csv: the labels, and a name for the long folder */
    FILE *f = fopen(in_dir(state, "labels.csv", path, sizeof path), "w");
    fprintf(f, "folder,name\nBeyonce_Knowles,Beyonc\xc3\xa9 Knowles\n%s,Long Name\n", long_name);
    fclose(f);
    assert_int_equal(folder_list(dir, &p, &n, &err), 0);
    assert_int_equal(n, 5);
    assert_string_equal(p[0].name, "Alice");
    assert_string_equal(p[2].name, "Beyonc\xc3\xa9 Knowles");
    assert_string_equal(p[3].name, "Long Name");
    assert_string_equal(p[3].problem, "");
    assert_string_equal(p[4].name, "");
    free(p);
    /* a bad labels.csv: nothing listed, the error names the file and the row */
    f = fopen(path, "w");
    fprintf(f, "folder,name\nAlice\n");
    fclose(f);
    assert_int_equal(folder_list(dir, &p, &n, &err), CELEB_EINVAL);
    assert_null(p);
    assert_int_equal(n, 0);
    assert_non_null(strstr(err.message, "labels.csv: labels.csv row 2: expected folder,name"));
    /* not a folder */
    assert_int_equal(folder_list(in_dir(state, "missing", path, sizeof path), &p, &n, &err), CELEB_EIO);
}

/* The descriptor kind: unset in a new gallery, set once, kept across
 * handles, a different one refused; the face count beside it. */
static void test_kind(void **state)
{
    char path[512], kind[GALLERY_KIND_MAX];
    celeb_error err = {0};
    gallery *g = open_ok(in_dir(state, "kind.db", path, sizeof path), 1);
    assert_int_equal(gallery_kind(g, kind, &err), 0);
    assert_string_equal(kind, "");
    assert_int_equal(gallery_face_count(g, &err), 0);
    int64_t gen = gallery_generation(g);
    assert_int_equal(gallery_set_kind(g, "chip", &err), 0);
    assert_true(gallery_generation(g) > gen);   /* a change like any other */
    gen = gallery_generation(g);
    assert_int_equal(gallery_set_kind(g, "chip", &err), 0);   /* the same again: nothing changes */
    assert_int_equal(gallery_generation(g), gen);
    assert_int_equal(gallery_set_kind(g, "similarity", &err), CELEB_EINVAL);
    assert_non_null(strstr(err.message, "'chip'"));
    assert_int_equal(gallery_set_kind(g, "", &err), CELEB_EINVAL);
    float d[GALLERY_DIM];
    make_descriptor(1, d);
    assert_int_equal(gallery_add_face(g, "Ann", "a.jpg", NULL, 0.9f, d, NULL, &err), 0);
    assert_int_equal(gallery_face_count(g, &err), 1);
    gallery_close(g);
    g = open_ok(path, 0);
    assert_int_equal(gallery_kind(g, kind, &err), 0);
    assert_string_equal(kind, "chip");
    gallery_close(g);
}

static void test_model(void **state)
{
    char path[512], model[GALLERY_META_MAX];
    celeb_error err = {0};
    gallery *g = open_ok(in_dir(state, "model.db", path, sizeof path), 1);
    assert_int_equal(gallery_meta(g, "identify_model", model, &err), 0);
    assert_string_equal(model, "");   /* never fitted */
    int64_t gen = gallery_generation(g);
    assert_int_equal(gallery_set_meta(g, "identify_model", "beta=50 d0=0.5 gamma=1 min_confidence=0.8", &err), 0);
    assert_true(gallery_generation(g) > gen);   /* readers reload it */
    assert_int_equal(gallery_set_meta(g, "identify_model", "beta=40 d0=0.5 gamma=1 min_confidence=0.7", &err), 0);
    char big[GALLERY_META_MAX + 1];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(gallery_set_meta(g, "identify_model", big, &err), CELEB_EINVAL);
    gallery_close(g);
    g = open_ok(path, 0);
    assert_int_equal(gallery_meta(g, "identify_model", model, &err), 0);
    assert_string_equal(model, "beta=40 d0=0.5 gamma=1 min_confidence=0.7");   /* the last one */
    /* other keys are separate; the gallery's own are not the caller's */
    assert_int_equal(gallery_meta(g, "models", model, &err), 0);
    assert_string_equal(model, "");
    gallery_close(g);
    g = open_ok(path, 1);
    assert_int_equal(gallery_set_meta(g, "models", "abc", &err), 0);
    assert_int_equal(gallery_meta(g, "models", model, &err), 0);
    assert_string_equal(model, "abc");
    assert_int_equal(gallery_set_meta(g, "schema", "x", &err), CELEB_EINVAL);
    assert_int_equal(gallery_set_meta(g, "generation", "7", &err), CELEB_EINVAL);
    assert_int_equal(gallery_meta(g, "identify_model", model, &err), 0);
    assert_string_equal(model, "beta=40 d0=0.5 gamma=1 min_confidence=0.7");
    gallery_close(g);
}

// ----------------------------------------------------------------------------
// Content hashes

/* sha256 of "a", "b" and "c": three photos' contents. */
#define HASH_A "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"
#define HASH_B "3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d"
#define HASH_C "2e7d2c03a9507ae265ecf5b5356885a53393a2029d241394997265a1a25aefc6"

/* gallery_find_content says 1 with this face id and name. */
static void assert_found(gallery *g, const char *content, int64_t id, const char *name)
{
    celeb_error err = {0};
    int64_t found = -1;
    char who[GALLERY_NAME_MAX] = "";
    assert_int_equal(gallery_find_content(g, content, &found, who, &err), 1);
    assert_int_equal(found, id);
    assert_string_equal(who, name);
}

static void test_content(void **state)
{
    char path[512];
    gallery *g = open_ok(in_dir(state, "g.db", path, sizeof path), 1);
    int64_t a = add_hashed(g, "Ann", "a.jpg", HASH_A, 0.9f, 1);
    int64_t b = add_hashed(g, "Bob", "b.jpg", HASH_B, 0.8f, 2);
    int64_t plain = add_ok(g, "Ann", "plain.jpg", 0.7f, 3);   /* no content: allowed */
    assert_found(g, HASH_A, a, "Ann");
    assert_found(g, HASH_B, b, "Bob");
    celeb_error err = {0};
    assert_int_equal(gallery_find_content(g, HASH_C, NULL, NULL, &err), 0);
    assert_int_equal(gallery_find_content(g, HASH_A, NULL, NULL, &err), 1);

    /* The same photo again (the gallery does not refuse it): the first is found. */
    int64_t again = add_hashed(g, "Cy", "a-copy.jpg", HASH_A, 0.9f, 4);
    assert_true(again > a);
    assert_found(g, HASH_A, a, "Ann");

    /* Only sha256.h's spelling: 64 lowercase hex digits. */
    const char *bad[] = {"CA978112CA1BBDCAFAC231B39A23DC4DA786EFF8147C4E72B9807785AFEE48BB",
                         HASH_A "0", "ca978112", "", "xa978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"};
    float d[GALLERY_DIM];
    make_descriptor(5, d);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err = (celeb_error){0};
        assert_int_equal(gallery_add_face(g, "Ann", "x.jpg", bad[i], 0.5f, d, NULL, &err), CELEB_EINVAL);
        assert_non_null(strstr(err.message, "64 lowercase hex digits"));
        assert_int_equal(gallery_find_content(g, bad[i], NULL, NULL, &err), CELEB_EINVAL);
    }
    assert_int_equal(gallery_find_content(g, NULL, NULL, NULL, &err), CELEB_EINVAL);
    assert_int_equal(gallery_face_count(g, &err), 4);

    /* The export gives each face's content, and none for the face without. */
    cJSON *doc = export_ok(g);
    const cJSON *ann = get(cJSON_GetArrayItem(get(doc, "identities"), 0), "faces");
    assert_int_equal((int64_t)get(cJSON_GetArrayItem(ann, 0), "id")->valuedouble, a);
    assert_string_equal(get(cJSON_GetArrayItem(ann, 0), "content")->valuestring, HASH_A);
    assert_int_equal((int64_t)get(cJSON_GetArrayItem(ann, 1), "id")->valuedouble, plain);
    assert_null(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(ann, 1), "content"));
    const cJSON *bob = get(cJSON_GetArrayItem(get(doc, "identities"), 1), "faces");
    assert_string_equal(get(cJSON_GetArrayItem(bob, 0), "content")->valuestring, HASH_B);
    cJSON_Delete(doc);

    /* A found face is named by its identity's current name. */
    assert_int_equal(gallery_merge(g, "Ann", "Anna", NULL, &err), 0);
    assert_found(g, HASH_A, a, "Anna");
    gallery_close(g);
    char buf[80];
    snprintf(buf, sizeof buf, "SELECT content FROM faces WHERE id = %lld", (long long)b);
    char got[80];
    assert_string_equal(sql_text(path, buf, got, sizeof got), HASH_B);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM faces WHERE content IS NULL"), 1);
}

// ----------------------------------------------------------------------------
// A gallery of the first layout (before content hashes and aliases)

/* schema_sql as the first galleries were made with (src/gallery/gallery.c at
 * c39b5c2, GALLERY_SCHEMA written out). */
static const char first_schema_sql[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value NOT NULL);"
    "CREATE TABLE identities(id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL,"
    " created INTEGER);"
    "CREATE TABLE faces(id INTEGER PRIMARY KEY,"
    " identity_id INTEGER NOT NULL REFERENCES identities(id) ON DELETE CASCADE,"
    " source TEXT NOT NULL, quality REAL NOT NULL, descriptor BLOB NOT NULL, created INTEGER);"
    "CREATE INDEX faces_identity ON faces(identity_id);"
    "INSERT INTO meta(key, value) VALUES('schema', 'celeb.gallery/1'),"
    " ('created', CAST(strftime('%s', 'now') AS INTEGER)), ('generation', 0);";

/* A face row as the first layout stored it: descriptor make_descriptor(seed)
 * (this host is little-endian, like the blob). */
static int64_t insert_first_face(sqlite3 *db, int64_t identity, const char *source, unsigned seed)
{
    float d[GALLERY_DIM];
    make_descriptor(seed, d);
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO faces(identity_id, source, quality, descriptor,"
                                            " created) VALUES(?1, ?2, 0.5, ?3, 0)", -1, &s, NULL),
                     SQLITE_OK);
    sqlite3_bind_int64(s, 1, identity);
    sqlite3_bind_text(s, 2, source, -1, SQLITE_STATIC);
    sqlite3_bind_blob(s, 3, d, sizeof d, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(s), SQLITE_DONE);
    sqlite3_finalize(s);
    return sqlite3_last_insert_rowid(db);
}

/* A first-layout gallery in WAL mode, as that code left it, with Ann's face
 * (seed 11) and Bob's (seed 12), ids into ids[], at generation 2. */
static void make_first_gallery(const char *path, int64_t ids[2])
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA journal_mode=WAL; BEGIN", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, first_schema_sql, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "INSERT INTO identities(id, name) VALUES(1, 'Ann'), (2, 'Bob');"
                                      "UPDATE meta SET value = 2 WHERE key = 'generation'",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    ids[0] = insert_first_face(db, 1, "ann.jpg", 11);
    ids[1] = insert_first_face(db, 2, "bob.jpg", 12);
    assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

#define HAS_CONTENT_SQL "SELECT count(*) FROM pragma_table_info('faces') WHERE name = 'content'"

static void assert_first_faces(gallery *g, const int64_t ids[2])
{
    gallery_face *faces = NULL;
    int n = 0;
    celeb_error err = {0};
    assert_int_equal(gallery_faces(g, NULL, &faces, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_face(&faces[0], ids[0], "Ann", "ann.jpg", 0.5f, 11);
    assert_face(&faces[1], ids[1], "Bob", "bob.jpg", 0.5f, 12);
    free(faces);
}

static void test_first_layout(void **state)
{
    char path[512];
    int64_t ids[2];
    make_first_gallery(in_dir(state, "old.db", path, sizeof path), ids);
    assert_int_equal(sql_int(path, HAS_CONTENT_SQL), 0);

    gallery *g = open_ok(path, 0);
    assert_first_faces(g, ids);
    assert_int_equal(gallery_generation(g), 2);   /* no data changed */
    assert_int_equal(sql_int(path, HAS_CONTENT_SQL), 1);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM sqlite_master WHERE name IN"
                                   " ('faces_content', 'aliases')"), 2);
    /* Both new things work on it. */
    celeb_error err = {0};
    assert_int_equal(gallery_find_content(g, HASH_A, NULL, NULL, &err), 0);
    int64_t a = add_hashed(g, "Ann", "ann2.jpg", HASH_A, 0.9f, 13);
    assert_found(g, HASH_A, a, "Ann");
    int moved = 0;
    assert_int_equal(gallery_merge(g, "Bob", "Ann", &moved, &err), 0);
    assert_int_equal(moved, 1);
    gallery_close(g);

    /* Opened again: nothing left to add, everything there. */
    g = open_ok(path, 0);
    assert_found(g, HASH_A, a, "Ann");
    assert_int_equal(gallery_face_count(g, &err), 3);
    gallery_close(g);
    char buf[64];
    assert_string_equal(sql_text(path, "PRAGMA integrity_check", buf, sizeof buf), "ok");
}

/* What a reader of a read-only first-layout gallery can do: 0, else the
 * number of the check that failed. Runs in a child process. */
static int read_only_checks(const char *path)
{
    gallery *g = NULL;
    celeb_error err = {0};
    if (gallery_open(path, 0, &g, &err) != 0)
        return 1;
    gallery_face *faces = NULL;
    gallery_alias *aliases = NULL;
    int n = 0, na = -1, fail = 0;
    char name[GALLERY_NAME_MAX] = "";
    float d[GALLERY_DIM];
    make_descriptor(1, d);
    if (gallery_faces(g, NULL, &faces, &n, &err) != 0 || n != 2 || strcmp(faces[1].name, "Bob"))
        fail = 2;
    else if (gallery_find_content(g, HASH_A, NULL, NULL, &err) != 0)
        fail = 3;
    else if (gallery_resolve(g, "Bob", name, &err) != 0 || strcmp(name, "Bob"))
        fail = 4;
    else if (gallery_aliases(g, &aliases, &na, &err) != 0 || na != 0)
        fail = 5;
    else if (gallery_add_face(g, "Ann", "x.jpg", NULL, 0.5f, d, NULL, &err) != CELEB_EIO ||
             !strstr(err.message, "read-only"))
        fail = 6;
    else if (gallery_merge(g, "Bob", "Ann", NULL, &err) >= 0)
        fail = 7;
    free(faces);
    free(aliases);
    gallery_close(g);
    return fail;
}

static void test_first_layout_read_only(void **state)
{
    char path[512];
    int64_t ids[2];
    make_first_gallery(in_dir(state, "old.db", path, sizeof path), ids);
    /* Read-only for whoever reads it; root, who may write anyway, reads as
     * nobody (the folder stays writable: SQLite makes its -shm there). */
    assert_int_equal(chmod(path, 0444), 0);
    assert_int_equal(chmod((const char *)*state, 0777), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
            _exit(20);
        _exit(read_only_checks(path));
    }
    int status = -1;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(sql_int(path, HAS_CONTENT_SQL), 0);   /* left as it was */
}

// ----------------------------------------------------------------------------
// Aliases: gallery_merge and what follows from it

/* The gallery as its identities and its aliases, "Ann 2, Bob 1; Al>Ann, Bo>Ann"
 * (";" alone when there is no alias). */
static const char *state_text(gallery *g, char *buf, size_t size)
{
    gallery_identity *people = NULL;
    gallery_alias *aliases = NULL;
    int n = 0, na = 0;
    celeb_error err = {0};
    assert_int_equal(gallery_list(g, &people, &n, &err), 0);
    assert_int_equal(gallery_aliases(g, &aliases, &na, &err), 0);
    FILE *f = fmemopen(buf, size, "w");
    assert_non_null(f);
    for (int i = 0; i < n; i++)
        fprintf(f, "%s%s %d", i ? ", " : "", people[i].name, people[i].faces);
    fputc(';', f);
    for (int i = 0; i < na; i++)
        fprintf(f, "%s%s>%s", i ? ", " : " ", aliases[i].alias, aliases[i].name);
    assert_int_equal(fclose(f), 0);
    free(people);
    free(aliases);
    return buf;
}

static void assert_resolves(gallery *g, const char *name, const char *canonical)
{
    char out[GALLERY_NAME_MAX];
    celeb_error err = {0};
    assert_int_equal(gallery_resolve(g, name, out, &err), 0);
    assert_string_equal(out, canonical);
}

/* One face for each of the n names, in order (a name twice: two faces),
 * with seeds 1, 2, ... and sources "1.jpg", "2.jpg", ... */
static void add_faces(gallery *g, const char *const *names, int n)
{
    for (int i = 0; i < n; i++) {
        char source[32];
        snprintf(source, sizeof source, "%d.jpg", i + 1);
        add_ok(g, names[i], source, 0.5f, (unsigned)i + 1);
    }
}

static int merge_ok(gallery *g, const char *from, const char *into)
{
    int moved = -1;
    celeb_error err = {0};
    int rc = gallery_merge(g, from, into, &moved, &err);
    if (rc != 0)
        fail_msg("gallery_merge %s %s: %s", from, into, err.message);
    return moved;
}

static void test_merge(void **state)
{
    char path[512], buf[512];
    gallery *g = open_ok(in_dir(state, "g.db", path, sizeof path), 1);
    int64_t joseph[3];
    for (unsigned i = 0; i < 3; i++)
        joseph[i] = add_ok(g, "Joseph_Biden", "joseph.jpg", 0.5f, i);
    add_ok(g, "Joe_Biden", "joe1.jpg", 0.5f, 10);
    add_ok(g, "Joe_Biden", "joe2.jpg", 0.5f, 11);
    add_ok(g, "Zed", "zed.jpg", 0.5f, 12);

    int64_t gen = gallery_generation(g);
    assert_int_equal(merge_ok(g, "Joseph_Biden", "Joe_Biden"), 3);
    assert_true(gallery_generation(g) != gen);
    assert_string_equal(state_text(g, buf, sizeof buf), "Joe_Biden 5, Zed 1; Joseph_Biden>Joe_Biden");
    assert_resolves(g, "Joseph_Biden", "Joe_Biden");
    assert_resolves(g, "Joe_Biden", "Joe_Biden");
    assert_resolves(g, "Nobody", "Nobody");
    /* The faces themselves moved, unchanged. */
    gallery_face *faces = NULL;
    int n = 0;
    celeb_error err = {0};
    assert_int_equal(gallery_faces(g, "Joe_Biden", &faces, &n, &err), 0);
    assert_int_equal(n, 5);
    for (int i = 0; i < 3; i++)
        assert_face(&faces[i], joseph[i], "Joe_Biden", "joseph.jpg", 0.5f, (unsigned)i);
    free(faces);

    /* A face enrolled under the alias lands on the identity. */
    int64_t id = add_ok(g, "Joseph_Biden", "joseph4.jpg", 0.5f, 13);
    assert_int_equal(gallery_faces(g, "Joe_Biden", &faces, &n, &err), 0);
    assert_int_equal(n, 6);
    assert_face(&faces[5], id, "Joe_Biden", "joseph4.jpg", 0.5f, 13);
    free(faces);
    assert_string_equal(state_text(g, buf, sizeof buf), "Joe_Biden 6, Zed 1; Joseph_Biden>Joe_Biden");

    /* Into a new name: a rename that leaves an alias. */
    assert_int_equal(merge_ok(g, "Zed", "Zachary"), 1);
    assert_string_equal(state_text(g, buf, sizeof buf),
                        "Joe_Biden 6, Zachary 1; Joseph_Biden>Joe_Biden, Zed>Zachary");
    /* Into an alias: its identity; the aliases of the merged one follow. */
    assert_int_equal(merge_ok(g, "Zachary", "Joseph_Biden"), 1);
    assert_string_equal(state_text(g, buf, sizeof buf),
                        "Joe_Biden 7; Joseph_Biden>Joe_Biden, Zachary>Joe_Biden, Zed>Joe_Biden");
    gallery_close(g);

    /* Survives reopening; the aliases table is what the header says. */
    g = open_ok(path, 0);
    assert_resolves(g, "Zed", "Joe_Biden");
    gallery_close(g);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM aliases"), 3);
}

static void test_merge_chain(void **state)
{
    char path[512], buf[512];
    gallery *g = open_ok(in_dir(state, "g.db", path, sizeof path), 1);
    add_faces(g, (const char *[]){"A", "B", "C", "C", "D"}, 5);
    assert_int_equal(merge_ok(g, "A", "B"), 1);
    assert_int_equal(merge_ok(g, "B", "C"), 2);
    assert_resolves(g, "A", "C");
    assert_resolves(g, "B", "C");
    assert_string_equal(state_text(g, buf, sizeof buf), "C 4, D 1; A>C, B>C");
    /* From an alias: its identity is merged, all of it. */
    assert_int_equal(merge_ok(g, "A", "D"), 4);
    assert_string_equal(state_text(g, buf, sizeof buf), "D 5; A>D, B>D, C>D");
    gallery_close(g);
}

/* gallery_merge refuses with CELEB_EINVAL and a message holding `why`. */
static void assert_merge_fails(gallery *g, const char *from, const char *into, const char *why)
{
    celeb_error err = {0};
    int moved = -1;
    assert_int_equal(gallery_merge(g, from, into, &moved, &err), CELEB_EINVAL);
    assert_int_equal(err.code, CELEB_EINVAL);
    assert_int_equal(moved, -1);
    if (!strstr(err.message, why))
        fail_msg("expected \"%s\" in \"%s\"", why, err.message);
}

static void test_merge_bad(void **state)
{
    char path[512], buf[512];
    gallery *g = open_ok(in_dir(state, "g.db", path, sizeof path), 1);
    int64_t ids[3];
    add_three(g, ids);
    assert_int_equal(merge_ok(g, "Zed", "Alice"), 1);
    int64_t gen = gallery_generation(g);

    assert_merge_fails(g, "Alice", "Alice", "cannot be merged into itself");
    assert_merge_fails(g, "", "Alice", "1 to 127 bytes");
    assert_merge_fails(g, "Alice", "", "1 to 127 bytes");
    assert_merge_fails(g, NULL, "Alice", "missing");
    assert_merge_fails(g, "Alice", "two\nlines", "control character");
    assert_merge_fails(g, "Nobody", "Alice", "no identity or alias named 'Nobody'");
    assert_merge_fails(g, "Zed", "Alice", "one identity already");   /* done before */
    assert_merge_fails(g, "Alice", "Zed", "one identity already");
    celeb_error err = {0};
    assert_int_equal(gallery_merge(NULL, "Alice", "Bob", NULL, &err), CELEB_EINVAL);

    /* Nothing changed by any of them. */
    assert_int_equal(gallery_generation(g), gen);
    assert_string_equal(state_text(g, buf, sizeof buf), "Alice 3; Zed>Alice");
    gallery_close(g);
}

static void test_aliases_follow(void **state)
{
    char path[512], buf[512];
    gallery *g = open_ok(in_dir(state, "g.db", path, sizeof path), 1);
    add_faces(g, (const char *[]){"Ann", "Ann", "Bob", "Cy"}, 4);
    assert_int_equal(merge_ok(g, "Bob", "Ann"), 1);
    celeb_error err = {0};

    /* Renamed: the aliases point to the new name. */
    assert_int_equal(gallery_rename(g, "Ann", "Anna", &err), 0);
    assert_string_equal(state_text(g, buf, sizeof buf), "Anna 3, Cy 1; Bob>Anna");
    add_ok(g, "Bob", "b2.jpg", 0.5f, 5);
    assert_string_equal(state_text(g, buf, sizeof buf), "Anna 4, Cy 1; Bob>Anna");
    /* Another identity's alias is not a free name; one's own may become its name. */
    assert_int_equal(gallery_rename(g, "Cy", "Bob", &err), CELEB_EINVAL);
    assert_non_null(strstr(err.message, "'Bob' is an alias of 'Anna'"));
    assert_int_equal(gallery_rename(g, "Anna", "Bob", &err), 0);
    assert_string_equal(state_text(g, buf, sizeof buf), "Bob 4, Cy 1;");

    /* Removed: its aliases go with it, and the name is free again. */
    assert_int_equal(merge_ok(g, "Cy", "Bob"), 1);
    assert_string_equal(state_text(g, buf, sizeof buf), "Bob 5; Cy>Bob");
    int64_t gen = gallery_generation(g);
    assert_int_equal(gallery_remove(g, "Bob", &err), 0);
    assert_true(gallery_generation(g) != gen);
    assert_string_equal(state_text(g, buf, sizeof buf), ";");
    assert_resolves(g, "Cy", "Cy");
    add_ok(g, "Cy", "c2.jpg", 0.5f, 6);
    assert_string_equal(state_text(g, buf, sizeof buf), "Cy 1;");
    gallery_close(g);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM aliases"), 0);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM faces"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_add_list_faces, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_empty_gallery, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_two_handles, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_rename_remove, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_export, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_bad_files, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_bad_args, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_crash_safety, make_dir, remove_dir),
        cmocka_unit_test(test_labels_csv),
        cmocka_unit_test_setup_teardown(test_kind, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_model, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_folder_list, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_content, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_first_layout, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_first_layout_read_only, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_merge, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_merge_chain, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_merge_bad, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_aliases_follow, make_dir, remove_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
