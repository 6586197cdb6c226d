/* store.c - a net's prepared state kept on disk, see store.h.
 *
 * File: a header, the blob table, then the blobs, each at a 64-byte
 * aligned offset (oneDNN's alignment for weights).
 *
 *   "CELEBNN1" | key (64 hex) | count (u32) | 0 (u32) | file size (u64)
 *   count x { id (i32) | has_md (i32) | offset (u64) | size (u64) | md }
 */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../core/sha256.h"

#define MAGIC "CELEBNN1"
#define BLOB_ALIGN 64
#define KEEP_FILES 4        /* a model's newest files kept (other builds, thread counts) */
#define STALE_TEMP_S 600    /* a temporary file this old was left by a killed process */

typedef struct file_header {
    char magic[8];
    char key[64];
    uint32_t count, zero;
    uint64_t size;
} file_header;

typedef struct file_blob {
    int32_t id, has_md;
    uint64_t offset, size;
    dnnl_memory_desc_t md;
} file_blob;

// ----------------------------------------------------------------------------
// The key

static void store_key(const char *weights_id, int threads, char key[65]);

/* The GNU build id, as hex, of the object this code is linked into (the
 * program, or a shared library holding libceleb), or "": then there is no
 * store, as nothing else says which code made the bytes. */
static int note_build_id(struct dl_phdr_info *info, size_t size, void *data)
{
    char *hex = data;
    uintptr_t self = (uintptr_t)&store_key;
    int mine = 0;
    for (int i = 0; i < info->dlpi_phnum && !mine; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t at = info->dlpi_addr + ph->p_vaddr;
        mine = ph->p_type == PT_LOAD && self >= at && self - at < ph->p_memsz;
    }
    if (!mine)
        return 0;   /* the next object */
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr), *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
            const unsigned char *name = (const unsigned char *)(n + 1);
            const unsigned char *desc = name + ((n->n_namesz + 3) & ~3u);
            if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 && !memcmp(name, "GNU", 4) &&
                n->n_descsz <= 64) {
                for (unsigned k = 0; k < n->n_descsz; k++)
                    sprintf(hex + 2 * k, "%02x", desc[k]);
                return 1;
            }
            p = (const char *)desc + ((n->n_descsz + 3) & ~3u);
        }
    }
    return 1;
}

static void store_key(const char *weights_id, int threads, char key[65])
{
    char build[129] = "";
    dl_iterate_phdr(note_build_id, build);
    key[0] = '\0';
    if (!build[0] || !weights_id || !weights_id[0])
        return;
    const dnnl_version_t *v = dnnl_version();
    char text[512];
    int n = snprintf(text, sizeof text, "%s build %s onednn %d.%d.%d %s isa %d threads %d weights %s",
                     MAGIC, build, v->major, v->minor, v->patch, v->hash ? v->hash : "",
                     (int)dnnl_get_effective_cpu_isa(), threads, weights_id);
    if (n > 0 && (size_t)n < sizeof text)
        sha256_hex(text, (size_t)n, key);
}

// ----------------------------------------------------------------------------
// Open, find, close

const char *nn_store_default_dir(char *buf, size_t size)
{
    const char *env = getenv("CELEB_CACHE");
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    int n = -1;
    if (env)
        n = snprintf(buf, size, "%s", env);
    else if (xdg && *xdg)
        n = snprintf(buf, size, "%s/celeb", xdg);
    else if (home && *home)
        n = snprintf(buf, size, "%s/.cache/celeb", home);
    return n > 0 && (size_t)n < size ? buf : NULL;
}

/* mkdir -p of dir, 0700 for the folders it makes. */
static int make_dirs(const char *dir)
{
    char p[1024];
    if (snprintf(p, sizeof p, "%s", dir) >= (int)sizeof p)
        return -1;
    for (char *c = p + 1;; c++) {
        if (*c == '/' || !*c) {
            char was = *c;
            *c = '\0';
            if (mkdir(p, 0700) < 0 && errno != EEXIST)
                return -1;
            if (!(*c = was))
                break;
        }
    }
    return 0;
}

static int add_blob(nn_store *s, const nn_store_blob *b)
{
    if (s->count == s->cap) {
        int cap = s->cap ? 2 * s->cap : 64;
        nn_store_blob *nb = realloc(s->blobs, (size_t)cap * sizeof *nb);
        if (!nb)
            return -1;
        s->blobs = nb;
        s->cap = cap;
    }
    s->blobs[s->count++] = *b;
    return 0;
}

/* Maps the file at s->path and takes its blobs, if it is whole and for s->key. */
static void read_file(nn_store *s)
{
    int fd = open(s->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    if (fd < 0)
        return;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof(file_header)) {
        close(fd);
        return;
    }
    /* Writable private pages: oneDNN zeroes a layout's padding when it is
     * given memory, which only copies the pages it writes. */
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return;
    const unsigned char *base = map;
    const file_header *h = map;
    size_t size = (size_t)st.st_size;
    int ok = !memcmp(h->magic, MAGIC, 8) && !memcmp(h->key, s->key, 64) && h->size == size &&
             h->count <= (size - sizeof *h) / sizeof(file_blob);
    size_t table_end = sizeof *h + (size_t)(ok ? h->count : 0) * sizeof(file_blob);
    for (uint32_t i = 0; ok && i < h->count; i++) {
        file_blob fb;
        memcpy(&fb, base + sizeof *h + i * sizeof fb, sizeof fb);
        ok = fb.offset % BLOB_ALIGN == 0 && fb.offset >= table_end && fb.offset <= size &&
             fb.size <= size - fb.offset;
        nn_store_blob b = {.id = fb.id, .has_md = fb.has_md != 0, .md = fb.md,
                           .data = base + fb.offset, .size = fb.size};
        if (ok)
            ok = add_blob(s, &b) == 0;
    }
    if (!ok) {   /* stale or damaged: ignored, and replaced at the next save */
        munmap(map, size);
        s->count = 0;
        return;
    }
    s->map = map;
    s->map_size = size;
    utimensat(AT_FDCWD, s->path, NULL, 0);   /* in use: among the newest for prune */
}

void nn_store_open(nn_store *s, const char *dir, const char *model, const char *weights_id,
                   int threads)
{
    memset(s, 0, sizeof *s);
    if (!dir || !*dir || !model)
        return;
    store_key(weights_id, threads, s->key);
    if (!s->key[0] || make_dirs(dir) < 0)
        return;
    if (snprintf(s->path, sizeof s->path, "%s/%s-%.16s.pack", dir, model, s->key) >= (int)sizeof s->path) {
        s->path[0] = '\0';
        return;
    }
    read_file(s);
}

const void *nn_store_find(const nn_store *s, int id, const dnnl_memory_desc_t *md, size_t *size)
{
    for (int i = 0; i < s->count; i++) {
        const nn_store_blob *b = &s->blobs[i];
        if (b->id != id || b->has_md != (md != NULL))
            continue;
        if (md && (dnnl_memory_desc_get_size(md) != b->size || !dnnl_memory_desc_equal(md, &b->md)))
            continue;
        *size = b->size;
        return b->data;
    }
    return NULL;
}

void nn_store_put(nn_store *s, int id, const dnnl_memory_desc_t *md, const void *data, size_t size)
{
    if (!s->path[0])
        return;
    nn_store_blob b = {.id = id, .has_md = md != NULL, .data = data, .size = size};
    if (md)
        b.md = *md;
    for (int i = 0; i < s->count; i++) {
        nn_store_blob *o = &s->blobs[i];
        if (o->id == id && o->has_md == b.has_md && (!md || dnnl_memory_desc_equal(md, &o->md))) {
            *o = b;
            s->dirty = 1;
            return;
        }
    }
    if (add_blob(s, &b) == 0)
        s->dirty = 1;
}

// ----------------------------------------------------------------------------
// Save

static int write_all(int fd, const void *data, size_t n)
{
    const char *p = data;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Every build leaves its own files: keeps the KEEP_FILES newest of the
 * model's ("<model>-<key>.pack" beside path) and removes temporary files
 * that killed processes left. A process that has a removed file mapped
 * keeps it. */
static void prune(const char *path)
{
    char dir[1024], prefix[256];
    const char *slash = strrchr(path, '/'), *dash = strrchr(path, '-');
    if (!slash || !dash || dash < slash || (size_t)(slash - path) >= sizeof dir ||
        (size_t)(dash - slash) >= sizeof prefix)
        return;
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    snprintf(prefix, sizeof prefix, "%.*s", (int)(dash - slash), slash + 1);   /* "<model>-" */
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct { char name[256]; time_t mtime; } files[64];
    int n = 0;
    time_t now = time(NULL);
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name), pl = strlen(prefix);
        if (len <= pl || strncmp(e->d_name, prefix, pl) || len >= sizeof files[0].name)
            continue;
        char full[1400];
        struct stat st;
        snprintf(full, sizeof full, "%s/%s", dir, e->d_name);
        if (stat(full, &st) < 0 || !S_ISREG(st.st_mode))
            continue;
        int is_pack = len == pl + 16 + 5 && !strcmp(e->d_name + len - 5, ".pack");
        if (!is_pack && strstr(e->d_name, ".pack.") && now - st.st_mtime > STALE_TEMP_S)
            unlink(full);
        else if (is_pack && n < 64) {
            snprintf(files[n].name, sizeof files[n].name, "%s", e->d_name);
            files[n++].mtime = st.st_mtime;
        }
    }
    closedir(d);
    for (; n > KEEP_FILES; n--) {   /* drop the oldest, one at a time */
        int old = 0;
        for (int i = 1; i < n; i++)
            if (files[i].mtime < files[old].mtime)
                old = i;
        char full[1400];
        snprintf(full, sizeof full, "%s/%.255s", dir, files[old].name);
        unlink(full);
        files[old] = files[n - 1];
    }
}

void nn_store_save(nn_store *s)
{
    if (!s->dirty || !s->path[0])
        return;
    s->dirty = 0;
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.XXXXXX", s->path);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return;
    file_header h = {.count = (uint32_t)s->count};
    memcpy(h.magic, MAGIC, sizeof h.magic);
    memcpy(h.key, s->key, 64);
    size_t off = sizeof h + (size_t)s->count * sizeof(file_blob);
    file_blob *table = calloc((size_t)s->count ? (size_t)s->count : 1, sizeof *table);
    int ok = table != NULL;
    for (int i = 0; ok && i < s->count; i++) {
        off = (off + BLOB_ALIGN - 1) / BLOB_ALIGN * BLOB_ALIGN;
        table[i] = (file_blob){.id = s->blobs[i].id, .has_md = s->blobs[i].has_md, .offset = off,
                               .size = s->blobs[i].size, .md = s->blobs[i].md};
        off += s->blobs[i].size;
    }
    h.size = off;
    ok = ok && write_all(fd, &h, sizeof h) == 0 &&
         write_all(fd, table, (size_t)s->count * sizeof *table) == 0;
    static const char zeros[BLOB_ALIGN];
    size_t at = sizeof h + (size_t)s->count * sizeof *table;
    for (int i = 0; ok && i < s->count; i++) {
        ok = write_all(fd, zeros, table[i].offset - at) == 0 &&
             write_all(fd, s->blobs[i].data, s->blobs[i].size) == 0;
        at = table[i].offset + table[i].size;
    }
    free(table);
    /* On disk before it has its name: a crash never leaves a whole-looking
     * file of zeros. */
    if (ok && fsync(fd) < 0)
        ok = 0;
    if (close(fd) < 0)
        ok = 0;
    if (!ok || rename(tmp, s->path) < 0)
        unlink(tmp);
    else
        prune(s->path);
}

void nn_store_close(nn_store *s)
{
    if (s->map)
        munmap(s->map, s->map_size);
    free(s->blobs);
    memset(s, 0, sizeof *s);
}
