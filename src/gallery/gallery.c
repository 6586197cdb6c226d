/* gallery.c - the gallery as one SQLite file, see gallery.h.
 *
 * Schema "celeb.gallery/1":
 *   meta(key, value)          schema, created (unix time), generation,
 *                             descriptor (the kind, once set: gallery_kind)
 *                             and identify_model (gallery_model)
 *   identities(id, name UNIQUE, created)
 *   faces(id, identity_id -> identities ON DELETE CASCADE, source, quality,
 *         descriptor BLOB = 128 little-endian float32, created,
 *         content = the photo's sha256 in hex or NULL, indexed)
 *   aliases(alias PRIMARY KEY, name)  another name -> the identity's name
 *
 * content and aliases came after the first galleries: they are added to a
 * gallery that lacks them when it is opened (added_sql, one transaction),
 * and a new gallery gets them the same way, in the transaction that makes
 * it. A read-only gallery that lacks them is read without them (old_layout).
 *
 * Aliases: an alias is never an identity's name and always names an
 * existing identity (gallery_merge makes them, gallery_rename moves them,
 * gallery_remove drops them), so resolving one is a single lookup.
 *
 * Crash safety is SQLite's: WAL journal with synchronous=FULL, so a commit
 * has reached the disk when COMMIT returns, and every change is a single
 * BEGIN IMMEDIATE ... COMMIT (IMMEDIATE takes the write lock up front, so a
 * second writer waits on the busy timeout instead of failing on upgrade).
 *
 * Generation: meta's 'generation' row is incremented inside every write
 * transaction, and gallery_generation reads it. It is the same number for
 * every connection and process, it survives reopening, and it moves with
 * the very commit that changed the data (PRAGMA data_version would only see
 * other connections' commits and differs from handle to handle). */
#include "gallery.h"

#include <cJSON.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define GALLERY_SCHEMA "celeb.gallery/1"
#define BUSY_TIMEOUT_MS 5000
#define DESCRIPTOR_BYTES (GALLERY_DIM * 4)
#define PATH_BYTES 1024

/* Every statement the handle runs, prepared once at open. */
enum {
    ST_BEGIN,
    ST_BEGIN_READ,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_BUMP,
    ST_GENERATION,
    ST_ADD_IDENTITY,
    ST_IDENTITY_ID,
    ST_LIST,
    ST_FACES_ALL,
    ST_FACES_OF,
    ST_REMOVE,
    ST_RENAME,
    ST_KIND,
    ST_SET_KIND,
    ST_FACE_COUNT,
    ST_META,
    ST_SET_META,
    ST_MOVE_FACES,
    /* From here on the statements use content or aliases: not prepared on
     * a gallery opened without them (old_layout). */
    ST_ADD_FACE,
    ST_FIRST_ADDED = ST_ADD_FACE,
    ST_FIND_CONTENT,
    ST_CONTENTS,
    ST_RESOLVE,
    ST_ALIASES,
    ST_ADD_ALIAS,
    ST_REPOINT_ALIASES,
    ST_DROP_ALIASES,
    ST_DROP_OWN_ALIAS,
    ST_COUNT
};

static const char *const statement_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_BEGIN_READ] = "BEGIN",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_BUMP] = "UPDATE meta SET value = value + 1 WHERE key = 'generation'",
    [ST_GENERATION] = "SELECT value FROM meta WHERE key = 'generation'",
    [ST_ADD_IDENTITY] = "INSERT OR IGNORE INTO identities(name, created) VALUES(?1, ?2)",
    [ST_IDENTITY_ID] = "SELECT id FROM identities WHERE name = ?1",
    /* Names sort bytewise (BINARY collation): stable whatever the locale. */
    [ST_LIST] = "SELECT i.id, i.name, count(f.id) FROM identities i "
                "LEFT JOIN faces f ON f.identity_id = i.id GROUP BY i.id ORDER BY i.name",
    [ST_FACES_ALL] = "SELECT f.id, f.identity_id, i.name, f.source, f.quality, f.descriptor "
                     "FROM faces f JOIN identities i ON i.id = f.identity_id "
                     "ORDER BY i.name, f.id",
    [ST_FACES_OF] = "SELECT f.id, f.identity_id, i.name, f.source, f.quality, f.descriptor "
                    "FROM faces f JOIN identities i ON i.id = f.identity_id "
                    "WHERE i.name = ?1 ORDER BY f.id",
    [ST_REMOVE] = "DELETE FROM identities WHERE name = ?1",
    [ST_RENAME] = "UPDATE identities SET name = ?2 WHERE name = ?1",
    [ST_KIND] = "SELECT value FROM meta WHERE key = 'descriptor'",
    [ST_SET_KIND] = "INSERT OR IGNORE INTO meta(key, value) VALUES('descriptor', ?1)",
    [ST_FACE_COUNT] = "SELECT count(*) FROM faces",
    [ST_META] = "SELECT value FROM meta WHERE key = ?1",
    [ST_SET_META] = "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)",
    [ST_MOVE_FACES] = "UPDATE faces SET identity_id = (SELECT id FROM identities WHERE name = ?2) "
                      "WHERE identity_id = (SELECT id FROM identities WHERE name = ?1)",
    [ST_ADD_FACE] = "INSERT INTO faces(identity_id, source, quality, descriptor, created, content) "
                    "VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
    [ST_FIND_CONTENT] = "SELECT f.id, i.name FROM faces f JOIN identities i "
                        "ON i.id = f.identity_id WHERE f.content = ?1 ORDER BY f.id LIMIT 1",
    [ST_CONTENTS] = "SELECT id, content FROM faces WHERE content IS NOT NULL ORDER BY id",
    [ST_RESOLVE] = "SELECT name FROM aliases WHERE alias = ?1",
    [ST_ALIASES] = "SELECT alias, name FROM aliases ORDER BY alias",
    [ST_ADD_ALIAS] = "INSERT INTO aliases(alias, name) VALUES(?1, ?2)",
    [ST_REPOINT_ALIASES] = "UPDATE aliases SET name = ?2 WHERE name = ?1",
    [ST_DROP_ALIASES] = "DELETE FROM aliases WHERE name = ?1",
    [ST_DROP_OWN_ALIAS] = "DELETE FROM aliases WHERE alias = ?1 AND name = ?2",
};

/* What came after the first galleries (see the top of the file). */
#define ADDED_SQL                                                                  \
    "ALTER TABLE faces ADD COLUMN content TEXT;"                                   \
    "CREATE INDEX faces_content ON faces(content);"                                \
    "CREATE TABLE aliases(alias TEXT PRIMARY KEY, name TEXT NOT NULL);"
#define ADDED_PARTS 3   /* the column, the index and the table */

/* Run on a gallery that has none of ADDED_SQL, in one transaction. */
static const char added_sql[] = ADDED_SQL;

/* Whether the file has ADDED_SQL's parts: a count of them. */
static const char added_parts_sql[] =
    "SELECT (SELECT count(*) FROM pragma_table_info('faces') WHERE name = 'content')"
    " + (SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'faces_content')"
    " + (SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'aliases')";

/* One transaction: an existing file is either all of this or none of it. */
static const char schema_sql[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value NOT NULL);"
    "CREATE TABLE identities(id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL,"
    " created INTEGER);"
    "CREATE TABLE faces(id INTEGER PRIMARY KEY,"
    " identity_id INTEGER NOT NULL REFERENCES identities(id) ON DELETE CASCADE,"
    " source TEXT NOT NULL, quality REAL NOT NULL, descriptor BLOB NOT NULL, created INTEGER);"
    "CREATE INDEX faces_identity ON faces(identity_id);"
    "INSERT INTO meta(key, value) VALUES('schema', '" GALLERY_SCHEMA "'),"
    " ('created', CAST(strftime('%s', 'now') AS INTEGER)), ('generation', 0);"
    ADDED_SQL;

struct gallery {
    sqlite3 *db;
    sqlite3_stmt *st[ST_COUNT];
    char path[PATH_BYTES];
    /* A read-only file without content and aliases: statements from
     * ST_FIRST_ADDED on are not prepared, reads answer as if there were
     * none, writes are refused. */
    int old_layout;
};

// ----------------------------------------------------------------------------
// Errors

/* Maps SQLite's primary result code to ours: what the caller can act on. */
static int map_code(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_NOMEM: return CELEB_ENOMEM;
    case SQLITE_NOTADB: return CELEB_EFORMAT;
    case SQLITE_CORRUPT: return CELEB_ECORRUPT;
    case SQLITE_CONSTRAINT: return CELEB_EINVAL;
    case SQLITE_FULL: return CELEB_ELIMIT;
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_PROTOCOL: return CELEB_EIO;
    default: return CELEB_EINTERNAL;
    }
}

/* Fails with SQLite's current error on g's connection; call it before
 * sqlite3_reset so the message is the one of the failed step. */
static int db_fail(const gallery *g, celeb_error *err, const char *what)
{
    int rc = sqlite3_errcode(g->db);
    return celeb_fail(err, map_code(rc), "%s: %s: %s", g->path, what, sqlite3_errmsg(g->db));
}

/* Fails with SQLite's current error where our own SQL does not fit the
 * file: an SQL error there (no such table or column) means tables that are
 * not a gallery's, CELEB_EFORMAT; I/O errors and the like keep their code.
 * `what` reads after the path: "is not a valid gallery". */
static int schema_fail(const gallery *g, celeb_error *err, const char *what)
{
    int code = map_code(sqlite3_errcode(g->db));
    return celeb_fail(err, code == CELEB_EINTERNAL ? CELEB_EFORMAT : code, "%s %s: %s", g->path,
                      what, sqlite3_errmsg(g->db));
}

static int invalid(celeb_error *err, const char *what)
{
    return celeb_fail(err, CELEB_EINVAL, "%s", what);
}

// ----------------------------------------------------------------------------
// Argument checks

/* Length of the UTF-8 sequence at s if it is well formed (no overlongs,
 * surrogates or code points past U+10FFFF), else 0; *cp gets the code point. */
static int utf8_char(const unsigned char *s, unsigned *cp)
{
    int len = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3
            : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
    if (len == 0)
        return 0;
    unsigned c = len == 1 ? s[0] : s[0] & (0x7fu >> len);
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;   /* also stops at the NUL */
        c = c << 6 | (s[i] & 0x3f);
    }
    static const unsigned min_for_len[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (c < min_for_len[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return len;
}

/* Names end up in JSON, terminal output and file names of reports, so they
 * are held to the header's rule: 1..127 bytes of UTF-8, no control characters
 * (C0, DEL or C1). */
int gallery_check_name(const char *name, celeb_error *err)
{
    if (!name)
        return invalid(err, "name is missing");
    size_t n = strlen(name);
    if (n == 0 || n >= GALLERY_NAME_MAX)
        return celeb_fail(err, CELEB_EINVAL, "a name must be 1 to %d bytes (got %zu)",
                          GALLERY_NAME_MAX - 1, n);
    const unsigned char *s = (const unsigned char *)name;
    for (size_t i = 0; i < n;) {
        unsigned c;
        int len = utf8_char(s + i, &c);
        if (len == 0)
            return celeb_fail(err, CELEB_EINVAL, "name is not valid UTF-8 at byte %zu", i);
        if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
            return celeb_fail(err, CELEB_EINVAL, "name has a control character at byte %zu", i);
        i += (size_t)len;
    }
    return CELEB_OK;
}

static int check_descriptor(const float *d, celeb_error *err)
{
    if (!d)
        return invalid(err, "descriptor is missing");
    for (int i = 0; i < GALLERY_DIM; i++)
        if (!isfinite(d[i]))
            return celeb_fail(err, CELEB_EINVAL, "descriptor value %d is not finite", i);
    return CELEB_OK;
}

// ----------------------------------------------------------------------------
// Descriptor blobs: 128 little-endian float32, whatever the host's byte order

static void descriptor_encode(const float *d, unsigned char *out)
{
    for (int i = 0; i < GALLERY_DIM; i++, out += 4) {
        uint32_t u;
        memcpy(&u, &d[i], 4);
        out[0] = (unsigned char)u;
        out[1] = (unsigned char)(u >> 8);
        out[2] = (unsigned char)(u >> 16);
        out[3] = (unsigned char)(u >> 24);
    }
}

static void descriptor_decode(const unsigned char *p, float *d)
{
    for (int i = 0; i < GALLERY_DIM; i++, p += 4) {
        uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                     (uint32_t)p[3] << 24;
        memcpy(&d[i], &u, 4);
    }
}

// ----------------------------------------------------------------------------
// Statements and transactions

/* Steps a statement that returns no rows, then resets it for the next use. */
static int run(gallery *g, int which, const char *what, celeb_error *err)
{
    sqlite3_stmt *s = g->st[which];
    int rc = sqlite3_step(s);
    int ret = rc == SQLITE_DONE ? CELEB_OK : db_fail(g, err, what);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return ret;
}

static void finish(gallery *g, int which)
{
    sqlite3_reset(g->st[which]);
    sqlite3_clear_bindings(g->st[which]);
}

/* Undoes an open transaction; a failed COMMIT may already have rolled back. */
static void rollback(gallery *g)
{
    if (!sqlite3_get_autocommit(g->db))
        run(g, ST_ROLLBACK, "rollback", NULL);
}

/* Runs statement `which` with the names a and b (b may be NULL: none) as
 * ?1 and ?2. */
static int run_names(gallery *g, int which, const char *a, const char *b, const char *what,
                     celeb_error *err)
{
    sqlite3_bind_text(g->st[which], 1, a, -1, SQLITE_STATIC);
    if (b)
        sqlite3_bind_text(g->st[which], 2, b, -1, SQLITE_STATIC);
    return run(g, which, what, err);
}

/* Starts a write transaction. A read-only gallery without content and
 * aliases has not even the statements for one. */
static int begin_write(gallery *g, celeb_error *err)
{
    if (g->old_layout)
        return celeb_fail(err, CELEB_EIO, "%s is read-only (and of an older layout)", g->path);
    return run(g, ST_BEGIN, "cannot start a write", err);
}

/* Bumps the generation and commits; rolls back on any failure. */
static int commit_change(gallery *g, celeb_error *err)
{
    int rc = run(g, ST_BUMP, "updating the generation", err);
    if (rc == 0)
        rc = run(g, ST_COMMIT, "commit", err);
    if (rc < 0)
        rollback(g);
    return rc;
}

/* Ends a write begun with begin_write whose work gave rc: committed (the
 * generation moved) when rc is 0, else undone. Returns the outcome. */
static int end_change(gallery *g, int rc, celeb_error *err)
{
    if (rc == 0)
        return commit_change(g, err);
    rollback(g);
    return rc;
}

/* Copies a text column into a fixed field; longer text was not written by
 * this code, so it is reported rather than cut. */
static int copy_text(gallery *g, sqlite3_stmt *s, int col, char *dst, size_t size, celeb_error *err)
{
    const unsigned char *v = sqlite3_column_text(s, col);
    int n = sqlite3_column_bytes(s, col);
    if (!v || (size_t)n >= size)
        return celeb_fail(err, CELEB_ECORRUPT, "%s: a stored name or source is missing or too long",
                          g->path);
    memcpy(dst, v, (size_t)n + 1);
    return CELEB_OK;
}

/* The text of the first column of a bound statement's first row into buf,
 * left as it was when there is no row. */
static int read_text(gallery *g, int which, char *buf, size_t size, const char *what, celeb_error *err)
{
    sqlite3_stmt *s = g->st[which];
    int step = sqlite3_step(s), rc = CELEB_OK;
    if (step == SQLITE_ROW)
        rc = copy_text(g, s, 0, buf, size, err);
    else if (step != SQLITE_DONE)
        rc = db_fail(g, err, what);
    finish(g, which);
    return rc;
}

// ----------------------------------------------------------------------------
// Open and close

enum { FILE_EMPTY, FILE_GALLERY, FILE_OTHER };

/* The first column of sql's first row, as an integer (a count). */
static int query_int(gallery *g, const char *sql, int *v, const char *what, celeb_error *err)
{
    sqlite3_stmt *s = NULL;
    int rc = CELEB_OK;
    if (sqlite3_prepare_v2(g->db, sql, -1, &s, NULL) != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW)
        rc = db_fail(g, err, what);
    else
        *v = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return rc;
}

/* Classifies the open database without writing to it: no tables at all, a
 * gallery of our schema, or anything else (another schema or version). */
static int file_kind(gallery *g, int *kind, celeb_error *err)
{
    int tables = 0;
    int rc = query_int(g, "SELECT count(*) FROM sqlite_master", &tables, "cannot read the database",
                       err);
    if (rc < 0)
        return rc;
    if (tables == 0) {
        *kind = FILE_EMPTY;
        return CELEB_OK;
    }
    /* No meta table, or one without our columns, fails to prepare: another
     * schema. A failing step is a real error (I/O, lock), not a verdict. */
    *kind = FILE_OTHER;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(g->db, "SELECT value FROM meta WHERE key = 'schema'", -1, &s, NULL) !=
        SQLITE_OK)
        return CELEB_OK;
    int step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        const unsigned char *v = sqlite3_column_text(s, 0);
        if (v && strcmp((const char *)v, GALLERY_SCHEMA) == 0)
            *kind = FILE_GALLERY;
    } else if (step != SQLITE_DONE) {
        rc = db_fail(g, err, "cannot read the gallery's schema");
    }
    sqlite3_finalize(s);
    return rc;
}

/* Runs one pragma (or any statement) and, if want is given, checks that its
 * first result column reads back as want (pragmas fail silently). */
static int pragma(gallery *g, const char *sql, const char *want, celeb_error *err)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(g->db, sql, -1, &s, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    int ret = CELEB_OK;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        ret = db_fail(g, err, sql);
    } else if (want) {
        const unsigned char *v = rc == SQLITE_ROW ? sqlite3_column_text(s, 0) : NULL;
        if (!v || strcmp((const char *)v, want) != 0)
            ret = celeb_fail(err, CELEB_EIO, "%s: %s gave %s, not %s", g->path, sql,
                             v ? (const char *)v : "nothing", want);
    }
    sqlite3_finalize(s);
    return ret;
}

/* Picks, under the write lock, the SQL a locked_exec runs; *sql stays NULL
 * when there is nothing (left) to do. */
typedef int (*plan_fn)(gallery *g, const char **sql, celeb_error *err);

/* Runs the SQL plan picks in one write transaction. The plan looks at the
 * file only once the lock is held: another process may have done the work
 * meanwhile. `what` as for schema_fail. */
static int locked_exec(gallery *g, plan_fn plan, const char *what, celeb_error *err)
{
    if (sqlite3_exec(g->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(g, err, "cannot lock the gallery");
    const char *sql = NULL;
    int rc = plan(g, &sql, err);
    if (rc == 0 && sql && sqlite3_exec(g->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        rc = schema_fail(g, err, what);
    if (rc == 0 && sqlite3_exec(g->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = db_fail(g, err, "commit");
    if (rc < 0 && !sqlite3_get_autocommit(g->db))
        sqlite3_exec(g->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* The whole schema, while the database is still empty. */
static int plan_schema(gallery *g, const char **sql, celeb_error *err)
{
    int kind = FILE_OTHER;
    int rc = file_kind(g, &kind, err);
    if (rc == 0 && kind == FILE_EMPTY)
        *sql = schema_sql;
    return rc;
}

/* Creates the schema in an empty database. */
static int create_schema(gallery *g, celeb_error *err)
{
    /* WAL first: the journal mode cannot change inside a transaction. */
    int rc = pragma(g, "PRAGMA journal_mode=WAL", "wal", err);
    return rc < 0 ? rc : locked_exec(g, plan_schema, "could not be made a gallery", err);
}

/* How many of ADDED_SQL's parts the gallery has. */
static int added_parts(gallery *g, int *parts, celeb_error *err)
{
    return query_int(g, added_parts_sql, parts, "cannot read the gallery's tables", err);
}

/* ADDED_SQL while the gallery has none of it; a part of it only was not
 * made by this code. */
static int plan_added(gallery *g, const char **sql, celeb_error *err)
{
    int parts = 0;
    int rc = added_parts(g, &parts, err);
    if (rc == 0 && parts == 0)
        *sql = added_sql;
    else if (rc == 0 && parts != ADDED_PARTS)
        rc = celeb_fail(err, CELEB_EFORMAT, "%s is not a valid gallery: %d of the %d parts of "
                        "content hashes and aliases", g->path, parts, ADDED_PARTS);
    return rc;
}

/* Gives a gallery made before content hashes and aliases both; a read-only
 * one is read without them (old_layout). */
static int add_missing(gallery *g, celeb_error *err)
{
    int parts = 0;
    int rc = added_parts(g, &parts, err);
    if (rc < 0 || parts == ADDED_PARTS)
        return rc;
    if (parts == 0 && sqlite3_db_readonly(g->db, "main") == 1) {
        g->old_layout = 1;
        return CELEB_OK;
    }
    return locked_exec(g, plan_added, "is not a valid gallery (adding content hashes and aliases)",
                       err);
}

/* Checks what the file is, creating the schema if allowed, and only then
 * switches to WAL: a foreign database is left exactly as it was. */
static int setup(gallery *g, int create, celeb_error *err)
{
    int kind;
    int rc = file_kind(g, &kind, err);
    if (rc == 0 && kind == FILE_EMPTY && create) {
        rc = create_schema(g, err);
        if (rc == 0)
            rc = file_kind(g, &kind, err);
    }
    if (rc < 0)
        return rc == CELEB_EFORMAT
                   ? celeb_fail(err, CELEB_EFORMAT, "%s is not a SQLite database", g->path)
                   : rc;
    if (kind != FILE_GALLERY)
        return celeb_fail(err, CELEB_EFORMAT, "%s is not a gallery (schema %s)", g->path,
                          kind == FILE_EMPTY ? "missing: empty database" : "differs");
    rc = pragma(g, "PRAGMA journal_mode=WAL", "wal", err);
    if (rc == 0)
        rc = pragma(g, "PRAGMA synchronous=FULL", NULL, err);
    if (rc == 0)
        rc = pragma(g, "PRAGMA synchronous", "2", err);   /* 2 = FULL */
    return rc < 0 ? rc : add_missing(g, err);
}

/* Every statement the gallery's layout has the tables for. */
static int prepare_all(gallery *g, celeb_error *err)
{
    int n = g->old_layout ? ST_FIRST_ADDED : ST_COUNT;
    for (int i = 0; i < n; i++) {
        /* A gallery schema string on tables we cannot query: not ours. */
        if (sqlite3_prepare_v3(g->db, statement_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &g->st[i],
                               NULL) != SQLITE_OK)
            return schema_fail(g, err, "is not a valid gallery");
    }
    return CELEB_OK;
}

/* A directory or device would only fail later with a vaguer message. */
static int check_path(const char *path, celeb_error *err)
{
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return celeb_fail(err, CELEB_EIO, "%s is not a regular file", path);
    return CELEB_OK;
}

static int open_db(gallery *g, int create, celeb_error *err)
{
    int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(g->path, &g->db, flags, NULL);
    if (rc != SQLITE_OK) {
        if (!g->db)
            return celeb_fail(err, CELEB_ENOMEM, "%s: out of memory opening", g->path);
        return celeb_fail(err, map_code(rc), "cannot open %s: %s", g->path,
                          sqlite3_errmsg(g->db));
    }
    sqlite3_busy_timeout(g->db, BUSY_TIMEOUT_MS);
    /* Must be set outside a transaction, before anything else runs; read
     * back because a pragma SQLite does not know is silently ignored. */
    rc = pragma(g, "PRAGMA foreign_keys=ON", NULL, err);
    return rc < 0 ? rc : pragma(g, "PRAGMA foreign_keys", "1", err);
}

int gallery_open(const char *path, int create, gallery **out, celeb_error *err)
{
    if (!out)
        return invalid(err, "gallery_open: no output handle");
    *out = NULL;
    if (!path || !*path)
        return invalid(err, "gallery_open: no path");
    if (strlen(path) >= PATH_BYTES)
        return celeb_fail(err, CELEB_EINVAL, "gallery path too long (%zu bytes)", strlen(path));
    int rc = check_path(path, err);
    if (rc < 0)
        return rc;
    gallery *g = calloc(1, sizeof *g);
    if (!g)
        return celeb_fail(err, CELEB_ENOMEM, "out of memory opening %s", path);
    snprintf(g->path, sizeof g->path, "%s", path);
    rc = open_db(g, create, err);
    if (rc == 0)
        rc = setup(g, create, err);
    if (rc == 0)
        rc = prepare_all(g, err);
    if (rc < 0) {
        gallery_close(g);
        return rc;
    }
    *out = g;
    return CELEB_OK;
}

void gallery_close(gallery *g)
{
    if (!g)
        return;
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(g->st[i]);
    /* The last connection to close checkpoints the WAL into the main file. */
    sqlite3_close(g->db);
    free(g);
}

// ----------------------------------------------------------------------------
// Names, aliases and content hashes

/* The identity `name` (a checked name) stands for into out: the one it is
 * an alias of, else name itself. out may be name. */
static int resolve(gallery *g, const char *name, char out[GALLERY_NAME_MAX], celeb_error *err)
{
    memmove(out, name, strlen(name) + 1);
    if (g->old_layout)
        return CELEB_OK;   /* no aliases there */
    sqlite3_bind_text(g->st[ST_RESOLVE], 1, out, -1, SQLITE_TRANSIENT);
    return read_text(g, ST_RESOLVE, out, GALLERY_NAME_MAX, "resolving an alias", err);
}

/* Both names valid and different; `same` says why one name twice is refused. */
static int check_two_names(const char *a, const char *b, const char *same, celeb_error *err)
{
    int rc = gallery_check_name(a, err);
    if (rc == 0)
        rc = gallery_check_name(b, err);
    if (rc == 0 && strcmp(a, b) == 0)
        rc = celeb_fail(err, CELEB_EINVAL, "'%s' %s", b, same);
    return rc;
}

/* A content hash as sha256.h writes it: 64 lowercase hex digits, the
 * only spelling, so that one photo always finds itself. */
static int check_content(const char *content, celeb_error *err)
{
    if (!content)
        return invalid(err, "content is missing");
    size_t n = strspn(content, "0123456789abcdef");
    if (n != GALLERY_CONTENT_MAX - 1 || content[n])
        return invalid(err, "content must be a sha256 as 64 lowercase hex digits");
    return CELEB_OK;
}

// ----------------------------------------------------------------------------
// Writes

/* The id of the identity `name` into *id, 0 when there is none. */
static int identity_id(gallery *g, const char *name, int64_t *id, celeb_error *err)
{
    sqlite3_stmt *s = g->st[ST_IDENTITY_ID];
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    int step = sqlite3_step(s), rc = CELEB_OK;
    *id = step == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        rc = db_fail(g, err, "finding the identity");
    finish(g, ST_IDENTITY_ID);
    return rc;
}

/* The identity's id, inserting it if new; inside the caller's transaction. */
static int identity_for(gallery *g, const char *name, int64_t now, int64_t *id, celeb_error *err)
{
    sqlite3_bind_text(g->st[ST_ADD_IDENTITY], 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(g->st[ST_ADD_IDENTITY], 2, now);
    int rc = run(g, ST_ADD_IDENTITY, "adding the identity", err);
    if (rc == 0)
        rc = identity_id(g, name, id, err);
    if (rc == 0 && *id == 0)
        rc = celeb_fail(err, CELEB_EINTERNAL, "%s: the identity '%s' vanished", g->path, name);
    return rc;
}

static int insert_face(gallery *g, int64_t identity, const char *source, const char *content,
                       float quality, const float *descriptor, int64_t now, celeb_error *err)
{
    unsigned char blob[DESCRIPTOR_BYTES];
    descriptor_encode(descriptor, blob);
    sqlite3_stmt *s = g->st[ST_ADD_FACE];
    sqlite3_bind_int64(s, 1, identity);
    sqlite3_bind_text(s, 2, source, -1, SQLITE_STATIC);
    sqlite3_bind_double(s, 3, quality);
    sqlite3_bind_blob(s, 4, blob, sizeof blob, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, now);
    sqlite3_bind_text(s, 6, content, -1, SQLITE_STATIC);   /* NULL binds NULL */
    return run(g, ST_ADD_FACE, "adding the face", err);
}

static int check_face_args(const char *name, const char *source, const char *content,
                           float quality, const float *descriptor, celeb_error *err)
{
    int rc = gallery_check_name(name, err);
    if (rc < 0)
        return rc;
    if (!source)
        return invalid(err, "source is missing");
    /* Longer sources would not fit gallery_face.source when read back. */
    if (strlen(source) >= GALLERY_SOURCE_MAX)
        return celeb_fail(err, CELEB_EINVAL, "source longer than %d bytes", GALLERY_SOURCE_MAX - 1);
    if (content && (rc = check_content(content, err)) < 0)
        return rc;
    /* SQLite stores a NaN REAL as NULL, which the NOT NULL column refuses. */
    if (!isfinite(quality))
        return invalid(err, "quality is not finite");
    return check_descriptor(descriptor, err);
}

int gallery_add_face(gallery *g, const char *name, const char *source, const char *content,
                     float quality, const float descriptor[GALLERY_DIM], int64_t *face_id,
                     celeb_error *err)
{
    if (!g)
        return invalid(err, "gallery_add_face: no gallery");
    int rc = check_face_args(name, source, content, quality, descriptor, err);
    if (rc < 0)
        return rc;
    if ((rc = begin_write(g, err)) < 0)
        return rc;
    int64_t now = (int64_t)time(NULL), identity = 0;
    char canonical[GALLERY_NAME_MAX];
    rc = resolve(g, name, canonical, err);
    if (rc == 0)
        rc = identity_for(g, canonical, now, &identity, err);
    if (rc == 0)
        rc = insert_face(g, identity, source, content, quality, descriptor, now, err);
    /* The rowid of this connection's insert, read before anything else runs. */
    int64_t id = sqlite3_last_insert_rowid(g->db);
    rc = end_change(g, rc, err);
    if (rc == 0 && face_id)
        *face_id = id;
    return rc;
}

int gallery_remove(gallery *g, const char *name, celeb_error *err)
{
    if (!g)
        return invalid(err, "gallery_remove: no gallery");
    int rc = gallery_check_name(name, err);
    if (rc < 0 || (rc = begin_write(g, err)) < 0)
        return rc;
    rc = run_names(g, ST_REMOVE, name, NULL, "removing the identity", err);
    if (rc == 0 && sqlite3_changes(g->db) == 0)
        rc = celeb_fail(err, CELEB_EINVAL, "no identity named '%s' in %s", name, g->path);
    if (rc == 0)
        rc = run_names(g, ST_DROP_ALIASES, name, NULL, "removing the aliases", err);
    return end_change(g, rc, err);
}

/* gallery_rename inside its transaction. */
static int rename_in(gallery *g, const char *old_name, const char *new_name, celeb_error *err)
{
    /* An alias of old_name itself may become its name; another's may not. */
    char canonical[GALLERY_NAME_MAX];
    int rc = run_names(g, ST_DROP_OWN_ALIAS, new_name, old_name, "dropping the alias", err);
    if (rc == 0)
        rc = resolve(g, new_name, canonical, err);
    if (rc == 0 && strcmp(canonical, new_name) != 0)
        return celeb_fail(err, CELEB_EINVAL, "'%s' is an alias of '%s'", new_name, canonical);
    if (rc == 0)
        rc = run_names(g, ST_RENAME, old_name, new_name, "renaming", err);
    if (rc == CELEB_EINVAL)   /* the UNIQUE constraint on name */
        return celeb_fail(err, CELEB_EINVAL, "an identity named '%s' already exists", new_name);
    if (rc == 0 && sqlite3_changes(g->db) == 0)
        return celeb_fail(err, CELEB_EINVAL, "no identity named '%s' in %s", old_name, g->path);
    return rc < 0 ? rc
                  : run_names(g, ST_REPOINT_ALIASES, old_name, new_name, "moving the aliases", err);
}

int gallery_rename(gallery *g, const char *old_name, const char *new_name, celeb_error *err)
{
    if (!g)
        return invalid(err, "gallery_rename: no gallery");
    /* The header's rule, literally: renaming to an existing name (itself
     * included) is an error, so callers never mistake a no-op for a rename. */
    int rc = check_two_names(old_name, new_name, "is already named so", err);
    if (rc < 0 || (rc = begin_write(g, err)) < 0)
        return rc;
    return end_change(g, rename_in(g, old_name, new_name, err), err);
}

/* gallery_merge inside its transaction; *moved gets the faces moved. */
static int merge_in(gallery *g, const char *from, const char *into, int *moved, celeb_error *err)
{
    char src[GALLERY_NAME_MAX], dst[GALLERY_NAME_MAX];
    int64_t id = 0;
    int rc = resolve(g, from, src, err);
    if (rc == 0)
        rc = resolve(g, into, dst, err);
    if (rc == 0)
        rc = identity_id(g, src, &id, err);
    if (rc < 0)
        return rc;
    if (id == 0)
        return celeb_fail(err, CELEB_EINVAL, "no identity or alias named '%s' in %s", from,
                          g->path);
    if (strcmp(src, dst) == 0)
        return celeb_fail(err, CELEB_EINVAL, "'%s' and '%s' are one identity already (%s)", from,
                          into, dst);
    rc = identity_for(g, dst, (int64_t)time(NULL), &id, err);
    if (rc == 0)
        rc = run_names(g, ST_MOVE_FACES, src, dst, "moving the faces", err);
    if (rc == 0)
        *moved = sqlite3_changes(g->db);
    if (rc == 0)
        rc = run_names(g, ST_REMOVE, src, NULL, "removing the merged identity", err);
    if (rc == 0)
        rc = run_names(g, ST_REPOINT_ALIASES, src, dst, "moving the aliases", err);
    return rc < 0 ? rc : run_names(g, ST_ADD_ALIAS, src, dst, "recording the alias", err);
}

int gallery_merge(gallery *g, const char *from, const char *into, int *moved, celeb_error *err)
{
    if (!g)
        return invalid(err, "gallery_merge: no gallery");
    int rc = check_two_names(from, into, "cannot be merged into itself", err);
    if (rc < 0 || (rc = begin_write(g, err)) < 0)
        return rc;
    int count = 0;
    rc = end_change(g, merge_in(g, from, into, &count, err), err);
    if (rc == 0 && moved)
        *moved = count;
    return rc;
}

// ----------------------------------------------------------------------------
// Reads

/* Makes room for element n of a malloc'd array of *cap elements. */
static int grow(void **items, int *cap, int n, size_t size, celeb_error *err)
{
    if (n < *cap)
        return CELEB_OK;
    if (*cap > (1 << 28) / (int)size)
        return celeb_fail(err, CELEB_ELIMIT, "gallery too large to list");
    int ncap = *cap ? *cap * 2 : 16;
    void *p = realloc(*items, (size_t)ncap * size);
    if (!p)
        return celeb_fail(err, CELEB_ENOMEM, "out of memory listing the gallery");
    *items = p;
    *cap = ncap;
    return CELEB_OK;
}

static int read_identity(gallery *g, sqlite3_stmt *s, gallery_identity *e, celeb_error *err)
{
    e->id = sqlite3_column_int64(s, 0);
    e->faces = sqlite3_column_int(s, 2);
    return copy_text(g, s, 1, e->name, sizeof e->name, err);
}

static int read_face(gallery *g, sqlite3_stmt *s, gallery_face *f, celeb_error *err)
{
    f->id = sqlite3_column_int64(s, 0);
    f->identity_id = sqlite3_column_int64(s, 1);
    f->quality = (float)sqlite3_column_double(s, 4);
    int rc = copy_text(g, s, 2, f->name, sizeof f->name, err);
    if (rc == 0)
        rc = copy_text(g, s, 3, f->source, sizeof f->source, err);
    if (rc < 0)
        return rc;
    const void *blob = sqlite3_column_blob(s, 5);
    if (!blob || sqlite3_column_bytes(s, 5) != DESCRIPTOR_BYTES)
        return celeb_fail(err, CELEB_ECORRUPT, "%s: face %lld has a descriptor of %d bytes",
                          g->path, (long long)f->id, sqlite3_column_bytes(s, 5));
    descriptor_decode(blob, f->descriptor);
    return CELEB_OK;
}

typedef int (*read_row_fn)(gallery *g, sqlite3_stmt *s, void *item, celeb_error *err);

/* Steps a bound query to the end, reading each row into a growing array.
 * Returns the array (malloc'd; NULL when there is no row or on failure,
 * and then *n is 0); *rc gets the outcome. */
static void *collect(gallery *g, int which, size_t size, read_row_fn read_row, int *n, int *rc,
                     celeb_error *err)
{
    sqlite3_stmt *s = g->st[which];
    char *items = NULL;
    int count = 0, cap = 0, step = SQLITE_DONE;
    *rc = CELEB_OK;
    while (*rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
        *rc = grow((void **)&items, &cap, count, size, err);
        if (*rc == 0)
            *rc = read_row(g, s, items + (size_t)count * size, err);
        count++;
    }
    if (*rc == 0 && step != SQLITE_DONE)
        *rc = db_fail(g, err, "reading the gallery");
    finish(g, which);
    if (*rc < 0) {
        free(items);
        items = NULL;
        count = 0;
    }
    *n = count;
    return items;
}

static int read_identity_row(gallery *g, sqlite3_stmt *s, void *item, celeb_error *err)
{
    return read_identity(g, s, item, err);
}

static int read_face_row(gallery *g, sqlite3_stmt *s, void *item, celeb_error *err)
{
    return read_face(g, s, item, err);
}

static int read_alias_row(gallery *g, sqlite3_stmt *s, void *item, celeb_error *err)
{
    gallery_alias *a = item;
    int rc = copy_text(g, s, 0, a->alias, sizeof a->alias, err);
    return rc < 0 ? rc : copy_text(g, s, 1, a->name, sizeof a->name, err);
}

int gallery_list(gallery *g, gallery_identity **out, int *n, celeb_error *err)
{
    if (!g || !out || !n)
        return invalid(err, "gallery_list: missing argument");
    int rc;
    *out = collect(g, ST_LIST, sizeof **out, read_identity_row, n, &rc, err);
    return rc;
}

int gallery_faces(gallery *g, const char *name, gallery_face **out, int *n, celeb_error *err)
{
    if (!g || !out || !n)
        return invalid(err, "gallery_faces: missing argument");
    *out = NULL;
    *n = 0;
    int rc = name ? gallery_check_name(name, err) : CELEB_OK;
    if (rc < 0)
        return rc;
    int which = name ? ST_FACES_OF : ST_FACES_ALL;
    if (name)
        sqlite3_bind_text(g->st[which], 1, name, -1, SQLITE_STATIC);
    *out = collect(g, which, sizeof **out, read_face_row, n, &rc, err);
    return rc;
}

int gallery_aliases(gallery *g, gallery_alias **out, int *n, celeb_error *err)
{
    if (!g || !out || !n)
        return invalid(err, "gallery_aliases: missing argument");
    *out = NULL;
    *n = 0;
    int rc = CELEB_OK;
    if (!g->old_layout)   /* else there are none */
        *out = collect(g, ST_ALIASES, sizeof **out, read_alias_row, n, &rc, err);
    return rc;
}

int gallery_resolve(gallery *g, const char *name, char out[GALLERY_NAME_MAX], celeb_error *err)
{
    if (!g || !out)
        return invalid(err, "gallery_resolve: missing argument");
    int rc = gallery_check_name(name, err);
    return rc < 0 ? rc : resolve(g, name, out, err);
}

/* The found row of ST_FIND_CONTENT into face_id and name (either may be NULL): 1. */
static int read_found(gallery *g, sqlite3_stmt *s, int64_t *face_id, char *name, celeb_error *err)
{
    if (face_id)
        *face_id = sqlite3_column_int64(s, 0);
    int rc = name ? copy_text(g, s, 1, name, GALLERY_NAME_MAX, err) : CELEB_OK;
    return rc < 0 ? rc : 1;
}

int gallery_find_content(gallery *g, const char *content, int64_t *face_id,
                         char name[GALLERY_NAME_MAX], celeb_error *err)
{
    if (!g)
        return invalid(err, "gallery_find_content: no gallery");
    int rc = check_content(content, err);
    if (rc < 0 || g->old_layout)   /* no content is stored there */
        return rc;
    sqlite3_stmt *s = g->st[ST_FIND_CONTENT];
    sqlite3_bind_text(s, 1, content, -1, SQLITE_STATIC);
    int step = sqlite3_step(s);
    if (step == SQLITE_ROW)
        rc = read_found(g, s, face_id, name, err);
    else if (step != SQLITE_DONE)
        rc = db_fail(g, err, "looking up a content hash");
    finish(g, ST_FIND_CONTENT);
    return rc;
}

int gallery_kind(gallery *g, char kind[GALLERY_KIND_MAX], celeb_error *err)
{
    kind[0] = '\0';
    if (!g)
        return invalid(err, "gallery_kind: no gallery");
    return read_text(g, ST_KIND, kind, GALLERY_KIND_MAX, "reading the descriptor kind", err);
}

int gallery_face_count(gallery *g, celeb_error *err)
{
    if (!g)
        return invalid(err, "gallery_face_count: no gallery");
    sqlite3_stmt *s = g->st[ST_FACE_COUNT];
    int rc = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : db_fail(g, err, "counting faces");
    finish(g, ST_FACE_COUNT);
    return rc;
}

int gallery_set_kind(gallery *g, const char *kind, celeb_error *err)
{
    if (!g || !kind || !*kind || strlen(kind) >= GALLERY_KIND_MAX)
        return invalid(err, "gallery_set_kind: no gallery, or no kind or too long a one");
    int rc = begin_write(g, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_text(g->st[ST_SET_KIND], 1, kind, -1, SQLITE_STATIC);
    rc = run(g, ST_SET_KIND, "recording the descriptor kind", err);
    int changed = rc == 0 && sqlite3_changes(g->db) > 0;
    char have[GALLERY_KIND_MAX];
    if (rc == 0)
        rc = gallery_kind(g, have, err);
    if (rc == 0 && strcmp(have, kind))
        rc = celeb_fail(err, CELEB_EINVAL, "%s holds descriptors of kind '%s', not '%s'", g->path,
                        have, kind);
    if (rc == 0 && changed)
        return commit_change(g, err);
    rollback(g);   /* nothing to keep: it was already set */
    return rc;
}

/* The keys the gallery keeps for itself. */
static int reserved_key(const char *key)
{
    static const char *const own[] = {"schema", "created", "generation", "descriptor"};
    for (size_t i = 0; i < sizeof own / sizeof *own; i++)
        if (!strcmp(key, own[i]))
            return 1;
    return 0;
}

int gallery_meta(gallery *g, const char *key, char value[GALLERY_META_MAX], celeb_error *err)
{
    value[0] = '\0';
    if (!g || !key)
        return invalid(err, "gallery_meta: no gallery or no key");
    sqlite3_bind_text(g->st[ST_META], 1, key, -1, SQLITE_STATIC);
    return read_text(g, ST_META, value, GALLERY_META_MAX, "reading the gallery's meta data", err);
}

int gallery_set_meta(gallery *g, const char *key, const char *value, celeb_error *err)
{
    if (!g || !key || !*key || reserved_key(key) || !value || strlen(value) >= GALLERY_META_MAX)
        return invalid(err, "gallery_set_meta: no gallery, a reserved or no key, or no value or too long a one");
    int rc = begin_write(g, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_text(g->st[ST_SET_META], 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(g->st[ST_SET_META], 2, value, -1, SQLITE_STATIC);
    rc = run(g, ST_SET_META, "recording the gallery's meta data", err);
    return end_change(g, rc, err);
}

int64_t gallery_generation(gallery *g)
{
    if (!g)
        return -1;
    sqlite3_stmt *s = g->st[ST_GENERATION];
    /* On a failed read -1 differs from every real generation, so a caller
     * polling for changes reloads rather than trusts a stale copy. */
    int64_t v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    finish(g, ST_GENERATION);
    return v;
}

// ----------------------------------------------------------------------------
// Export

/* A face's content hash. */
typedef struct face_content {
    int64_t id;
    char content[GALLERY_CONTENT_MAX];
} face_content;

/* One consistent copy of the gallery: what the export writes. */
typedef struct gallery_copy {
    gallery_identity *ids;
    int nids;
    gallery_face *faces;     /* ordered by identity name, then id */
    int nfaces;
    face_content *contents;  /* the faces that have one, ordered by id */
    int ncontents;
} gallery_copy;

static int read_content_row(gallery *g, sqlite3_stmt *s, void *item, celeb_error *err)
{
    face_content *c = item;
    c->id = sqlite3_column_int64(s, 0);
    return copy_text(g, s, 1, c->content, sizeof c->content, err);
}

static int compare_content_id(const void *key, const void *item)
{
    int64_t a = *(const int64_t *)key, b = ((const face_content *)item)->id;
    return (a > b) - (a < b);
}

/* The content hash of face `id` in the copy, NULL when it has none. */
static const char *content_of(const gallery_copy *c, int64_t id)
{
    const face_content *found =
        c->ncontents ? bsearch(&id, c->contents, (size_t)c->ncontents, sizeof *c->contents,
                               compare_content_id)
                     : NULL;
    return found ? found->content : NULL;
}

/* Attaches item to parent (an array when key is NULL); on failure item is
 * deleted, so the caller owns nothing either way. */
static int attach(cJSON *parent, const char *key, cJSON *item)
{
    int ok = item && (key ? cJSON_AddItemToObject(parent, key, item)
                          : cJSON_AddItemToArray(parent, item));
    if (!ok)
        cJSON_Delete(item);
    return ok;
}

/* {"id","source","content" (when it has one),"quality","descriptor"}. */
static cJSON *face_json(const gallery_face *f, const char *content)
{
    cJSON *o = cJSON_CreateObject();
    if (o && cJSON_AddNumberToObject(o, "id", (double)f->id) &&
        cJSON_AddStringToObject(o, "source", f->source) &&
        (!content || cJSON_AddStringToObject(o, "content", content)) &&
        cJSON_AddNumberToObject(o, "quality", f->quality) &&
        attach(o, "descriptor", cJSON_CreateFloatArray(f->descriptor, GALLERY_DIM)))
        return o;
    cJSON_Delete(o);
    return NULL;
}

/* {"id","name","faces":[...]} for identity e; the copy's faces from *next
 * on (ordered by name, then id, like the identities) are its own while
 * their identity_id matches. */
static cJSON *identity_json(const gallery_identity *e, const gallery_copy *c, int *next)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *arr = o ? cJSON_AddArrayToObject(o, "faces") : NULL;
    int ok = arr && cJSON_AddNumberToObject(o, "id", (double)e->id) &&
             cJSON_AddStringToObject(o, "name", e->name);
    for (; ok && *next < c->nfaces && c->faces[*next].identity_id == e->id; (*next)++) {
        const gallery_face *f = &c->faces[*next];
        ok = attach(arr, NULL, face_json(f, content_of(c, f->id)));
    }
    if (ok)
        return o;
    cJSON_Delete(o);
    return NULL;
}

/* The document for one consistent copy of the gallery. */
static cJSON *gallery_json(const gallery_copy *c)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(root, "identities");
    if (!cJSON_AddStringToObject(root, "schema", GALLERY_SCHEMA) || !arr) {
        cJSON_Delete(root);
        return NULL;
    }
    int next = 0;
    for (int i = 0; i < c->nids; i++) {
        if (!attach(arr, NULL, identity_json(&c->ids[i], c, &next))) {
            cJSON_Delete(root);
            return NULL;
        }
    }
    return root;
}

/* Every query inside one read transaction, so that the face counts, the
 * faces and their hashes come from the same commit even while another
 * process writes. */
static int snapshot(gallery *g, gallery_copy *c, celeb_error *err)
{
    int rc = run(g, ST_BEGIN_READ, "cannot start a read", err);
    if (rc < 0)
        return rc;
    rc = gallery_list(g, &c->ids, &c->nids, err);
    if (rc == 0)
        rc = gallery_faces(g, NULL, &c->faces, &c->nfaces, err);
    if (rc == 0 && !g->old_layout)   /* else no face has a hash */
        c->contents = collect(g, ST_CONTENTS, sizeof *c->contents, read_content_row, &c->ncontents,
                              &rc, err);
    /* Nothing was written: ending the read transaction cannot lose data. */
    rollback(g);
    return rc;
}

int gallery_export(gallery *g, FILE *out, celeb_error *err)
{
    if (!g || !out)
        return invalid(err, "gallery_export: missing argument");
    gallery_copy c = {0};
    int rc = snapshot(g, &c, err);
    cJSON *doc = rc == 0 ? gallery_json(&c) : NULL;
    char *text = doc ? cJSON_PrintUnformatted(doc) : NULL;
    if (rc == 0 && !text)
        rc = celeb_fail(err, CELEB_ENOMEM, "out of memory exporting %s", g->path);
    if (rc == 0 && (fputs(text, out) == EOF || fputc('\n', out) == EOF || fflush(out) != 0))
        rc = celeb_fail(err, CELEB_EIO, "cannot write the export of %s", g->path);
    free(text);
    cJSON_Delete(doc);
    free(c.ids);
    free(c.faces);
    free(c.contents);
    return rc;
}
