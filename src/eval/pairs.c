/* pairs.c - reading LFW's pairs.txt and finding its photos, see pairs.h. */
#include "pairs.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PAIRS_MAX_FIELDS 5
#define PAIRS_LINE_MAX 4096

/* Splits a line on spaces and tabs (in place); returns the number of fields. */
static int split(char *line, char **field, int max)
{
    int n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(line, " \t\r\n", &save); tok; tok = strtok_r(NULL, " \t\r\n", &save))
        if (n < max)
            field[n++] = tok;
        else
            return max + 1;
    return n;
}

/* A positive decimal integer, or -1. */
static int parse_count(const char *s)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || end == s || v < 1 || v > 100000000)
        return -1;
    return (int)v;
}

static int valid_name(const char *s)
{
    size_t len = strlen(s);
    return len > 0 && len < GALLERY_NAME_MAX && strcmp(s, ".") && strcmp(s, "..") && !strchr(s, '/');
}

static int parse_header(char **f, int nf, pairs_list *out)
{
    if (nf == 1) {
        out->folds = 1;
        out->per_fold = parse_count(f[0]);
    } else if (nf == 2) {
        out->folds = parse_count(f[0]);
        out->per_fold = parse_count(f[1]);
    }
    return (nf == 1 || nf == 2) && out->folds > 0 && out->per_fold > 0 ? 0 : -1;
}

/* One pair line into e; -1 if malformed. */
static int parse_pair(char **f, int nf, pairs_entry *e)
{
    memset(e, 0, sizeof *e);
    if (nf == 3) {
        e->same = 1;
        snprintf(e->name[0], sizeof e->name[0], "%s", f[0]);
        snprintf(e->name[1], sizeof e->name[1], "%s", f[0]);
        e->idx[0] = parse_count(f[1]);
        e->idx[1] = parse_count(f[2]);
        return valid_name(f[0]) && e->idx[0] > 0 && e->idx[1] > 0 ? 0 : -1;
    }
    if (nf == 4) {
        snprintf(e->name[0], sizeof e->name[0], "%s", f[0]);
        snprintf(e->name[1], sizeof e->name[1], "%s", f[2]);
        e->idx[0] = parse_count(f[1]);
        e->idx[1] = parse_count(f[3]);
        e->same = !strcmp(f[0], f[2]);
        return valid_name(f[0]) && valid_name(f[2]) && e->idx[0] > 0 && e->idx[1] > 0 ? 0 : -1;
    }
    return -1;
}

static int add_entry(pairs_list *out, int *cap, const pairs_entry *e)
{
    if (out->n == *cap) {
        int grown_cap = *cap ? 2 * *cap : 256;
        pairs_entry *grown = realloc(out->e, (size_t)grown_cap * sizeof *grown);
        if (!grown)
            return -1;
        out->e = grown;
        *cap = grown_cap;
    }
    out->e[out->n++] = *e;
    return 0;
}

static int read_lines(FILE *f, const char *path, pairs_list *out, celeb_error *err)
{
    char line[PAIRS_LINE_MAX], *field[PAIRS_MAX_FIELDS];
    int lineno = 0, have_header = 0, cap = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        int nf = split(line, field, PAIRS_MAX_FIELDS - 1);
        if (nf == 0)
            continue;
        if (!have_header) {
            if (parse_header(field, nf, out) < 0)
                return celeb_fail(err, CELEB_EFORMAT,
                                  "%s:%d: the first line must be \"N\" or \"FOLDS N\"", path, lineno);
            have_header = 1;
            continue;
        }
        pairs_entry e;
        if (parse_pair(field, nf, &e) < 0)
            return celeb_fail(err, CELEB_EFORMAT,
                              "%s:%d: expected \"name idx1 idx2\" or \"name1 idx1 name2 idx2\"",
                              path, lineno);
        e.line = lineno;
        e.fold = out->n / (2 * out->per_fold);
        if (add_entry(out, &cap, &e) < 0)
            return celeb_fail(err, CELEB_ENOMEM, "out of memory for %d pairs", out->n + 1);
    }
    if (!have_header)
        return celeb_fail(err, CELEB_EFORMAT, "%s: empty pairs file", path);
    if ((long)out->n != 2L * out->folds * out->per_fold)
        return celeb_fail(err, CELEB_EFORMAT,
                          "%s: the header says %d fold(s) of %d same + %d different pairs (%ld), "
                          "the file has %d pair lines",
                          path, out->folds, out->per_fold, out->per_fold,
                          2L * out->folds * out->per_fold, out->n);
    return CELEB_OK;
}

int pairs_read(const char *path, pairs_list *out, celeb_error *err)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "r");
    if (!f)
        return celeb_fail(err, CELEB_EIO, "%s: %s", path, strerror(errno));
    int rc = read_lines(f, path, out, err);
    fclose(f);
    if (rc < 0)
        pairs_free(out);
    return rc;
}

void pairs_free(pairs_list *p)
{
    free(p->e);
    memset(p, 0, sizeof *p);
}

static int visible(const struct dirent *d) { return d->d_name[0] != '.'; }

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The idx-th (1-based) regular file of folder in sorted order. */
static int nth_file(const char *folder, int idx, char *out, size_t size, celeb_error *err)
{
    struct dirent **files;
    int nf = scandir(folder, &files, visible, by_name), seen = 0, found = 0;
    if (nf < 0)
        return celeb_fail(err, CELEB_EIO, "%s: %s", folder, strerror(errno));
    for (int i = 0; i < nf; i++) {
        char path[GALLERY_SOURCE_MAX + 300];
        snprintf(path, sizeof path, "%s/%s", folder, files[i]->d_name);
        if (!found && is_file(path) && ++seen == idx) {
            snprintf(out, size, "%s", path);
            found = 1;
        }
        free(files[i]);
    }
    free(files);
    if (!found)
        return celeb_fail(err, CELEB_EIO, "%s has %d photos, no photo %d", folder, seen, idx);
    return CELEB_OK;
}

int pairs_photo_path(const char *dir, const char *name, int idx, char *out, size_t size,
                     celeb_error *err)
{
    char folder[GALLERY_SOURCE_MAX], lfw[GALLERY_SOURCE_MAX + 300];
    snprintf(folder, sizeof folder, "%s/%s", dir, name);
    snprintf(lfw, sizeof lfw, "%s/%s_%04d.jpg", folder, name, idx);
    if (is_file(lfw)) {
        snprintf(out, size, "%s", lfw);
        return CELEB_OK;
    }
    return nth_file(folder, idx, out, size, err);
}
