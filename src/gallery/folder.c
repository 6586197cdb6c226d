/* folder.c - see folder.h. labels.csv is read with libcsv; the names are
 * held to the gallery's rule (gallery_check_name) before anything is
 * enrolled, so a bad file stops a run before its first photo. */
#include "folder.h"

#include <csv.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "../core/io.h"

typedef struct label {
    char *folder, *name;
} label;

struct folder_labels {
    label *items;    /* sorted by folder */
    int n, cap;
};

// ----------------------------------------------------------------------------
// labels.csv

/* The parse in progress: the record being read and the first error. */
typedef struct reader {
    folder_labels *l;
    char *field[2];  /* the record's first two fields */
    int nfields;
    int row;         /* 1-based, of the record being read */
    celeb_error *err;
    int failed;
} reader;

static void on_field(void *data, size_t len, void *arg)
{
    reader *r = arg;
    if (r->failed || r->nfields++ >= 2)
        return;
    if (memchr(data, 0, len)) {
        r->failed = celeb_fail(r->err, CELEB_EINVAL, "labels.csv row %d: a NUL byte in field %d", r->row,
                               r->nfields);
        return;
    }
    r->field[r->nfields - 1] = strndup(data, len);
    if (!r->field[r->nfields - 1])
        r->failed = celeb_fail(r->err, CELEB_ENOMEM, "out of memory reading labels.csv");
}

static int is_header(const reader *r)
{
    return r->row == 1 && !strcasecmp(r->field[0], "folder") && !strcasecmp(r->field[1], "name");
}

static void on_record(int end, void *arg)
{
    reader *r = arg;
    folder_labels *l = r->l;
    if (!r->failed && r->nfields < 2)
        r->failed = celeb_fail(r->err, CELEB_EINVAL, "labels.csv row %d: expected folder,name (%d field%s)",
                               r->row, r->nfields, r->nfields == 1 ? "" : "s");
    if (!r->failed && !r->field[0][0])
        r->failed = celeb_fail(r->err, CELEB_EINVAL, "labels.csv row %d: the folder is empty", r->row);
    if (!r->failed && !is_header(r)) {
        celeb_error why = {0};
        if (gallery_check_name(r->field[1], &why) < 0) {
            r->failed = celeb_fail(r->err, CELEB_EINVAL, "labels.csv row %d: the name of %.100s: %s", r->row,
                                   r->field[0], why.message);
        } else if (l->n == l->cap) {
            int cap = l->cap ? 2 * l->cap : 64;
            label *grown = realloc(l->items, (size_t)cap * sizeof *grown);
            if (!grown)
                r->failed = celeb_fail(r->err, CELEB_ENOMEM, "out of memory reading labels.csv");
            else
                l->items = grown, l->cap = cap;
        }
        if (!r->failed) {
            l->items[l->n++] = (label){r->field[0], r->field[1]};
            r->field[0] = r->field[1] = NULL;
        }
    }
    free(r->field[0]);
    free(r->field[1]);
    r->field[0] = r->field[1] = NULL;
    r->nfields = 0;
    r->row++;
}

static int by_folder(const void *a, const void *b)
{
    return strcmp(((const label *)a)->folder, ((const label *)b)->folder);
}

int folder_labels_parse(const char *text, size_t size, folder_labels **out, celeb_error *err)
{
    *out = NULL;
    if (size > FOLDER_LABELS_MAX_BYTES)
        return celeb_fail(err, CELEB_ELIMIT, "labels.csv is %zu bytes; the limit is %d", size,
                          FOLDER_LABELS_MAX_BYTES);
    if (size >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) {   /* a UTF-8 byte order mark (spreadsheets write one) */
        text += 3;
        size -= 3;
    }
    folder_labels *l = calloc(1, sizeof *l);
    struct csv_parser p;
    if (!l || csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        free(l);
        return celeb_fail(err, CELEB_ENOMEM, "out of memory reading labels.csv");
    }
    reader r = {.l = l, .row = 1, .err = err};
    if (csv_parse(&p, text, size, on_field, on_record, &r) != size && !r.failed)
        r.failed = celeb_fail(err, CELEB_EINVAL, "labels.csv row %d: %s", r.row, csv_strerror(csv_error(&p)));
    if (!r.failed && csv_fini(&p, on_field, on_record, &r) != 0 && !r.failed)
        r.failed = celeb_fail(err, CELEB_EINVAL, "labels.csv row %d: %s", r.row, csv_strerror(csv_error(&p)));
    csv_free(&p);
    free(r.field[0]);
    free(r.field[1]);
    if (!r.failed && l->n > 1) {
        qsort(l->items, (size_t)l->n, sizeof *l->items, by_folder);
        for (int i = 1; i < l->n && !r.failed; i++)
            if (!strcmp(l->items[i - 1].folder, l->items[i].folder))
                r.failed = celeb_fail(err, CELEB_EINVAL, "labels.csv lists the folder %.200s twice",
                                      l->items[i].folder);
    }
    if (r.failed) {
        folder_labels_free(l);
        return r.failed;
    }
    *out = l;
    return CELEB_OK;
}

void folder_labels_free(folder_labels *l)
{
    if (!l)
        return;
    for (int i = 0; i < l->n; i++) {
        free(l->items[i].folder);
        free(l->items[i].name);
    }
    free(l->items);
    free(l);
}

const char *folder_labels_name(const folder_labels *l, const char *folder)
{
    if (!l || l->n == 0)
        return NULL;
    label key = {.folder = (char *)folder};
    const label *hit = bsearch(&key, l->items, (size_t)l->n, sizeof *l->items, by_folder);
    return hit ? hit->name : NULL;
}

int folder_labels_count(const folder_labels *l) { return l ? l->n : 0; }

// ----------------------------------------------------------------------------
// The folder

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int visible(const struct dirent *d) { return d->d_name[0] != '.'; }

static int is_kind(const char *path, mode_t kind)
{
    struct stat st;
    return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == kind;
}

/* dir/labels.csv if there is one; *out stays NULL without. */
static int read_labels(const char *dir, folder_labels **out, celeb_error *err)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/labels.csv", dir);
    *out = NULL;
    if (!is_kind(path, S_IFREG))
        return CELEB_OK;
    uint8_t *text;
    size_t size;
    int rc = read_path(path, &text, &size, err);
    if (rc < 0)
        return rc;
    rc = folder_labels_parse((const char *)text, size, out, err);
    free(text);
    if (rc < 0) {   /* say which file */
        celeb_error inner = *err;
        return celeb_fail(err, rc, "%s: %s", path, inner.message);
    }
    return CELEB_OK;
}

/* The person of folder `f`: its label, else its own name if the gallery takes it. */
static void person_of(const folder_labels *l, const char *f, folder_photo *p)
{
    const char *given = folder_labels_name(l, f);
    celeb_error why = {0};
    p->problem[0] = 0;
    if (!given && gallery_check_name(f, &why) < 0) {
        p->name[0] = 0;
        snprintf(p->problem, sizeof p->problem, "the folder name is not a valid name (%.200s): name it in labels.csv",
                 why.message);
    } else {   /* a valid name: under GALLERY_NAME_MAX bytes (labels were checked by the parse) */
        const char *name = given ? given : f;
        memcpy(p->name, name, strlen(name) + 1);
    }
}

int folder_list(const char *dir, folder_photo **out, int *n, celeb_error *err)
{
    *out = NULL;
    *n = 0;
    if (strlen(dir) > 500)   /* then every path fits: 500 + 1 + 255 + 1 + 255 < 1024 */
        return celeb_fail(err, CELEB_EINVAL, "the folder path is too long");
    folder_labels *labels;
    int rc = read_labels(dir, &labels, err);
    if (rc < 0)
        return rc;
    struct dirent **people;
    int np = scandir(dir, &people, visible, by_name), cap = 0;
    if (np < 0) {
        folder_labels_free(labels);
        return celeb_fail(err, CELEB_EIO, "cannot read the folder %s", dir);
    }
    for (int i = 0; i < np; i++) {
        char person[760];
        snprintf(person, sizeof person, "%.500s/%.255s", dir, people[i]->d_name);
        struct dirent **files;
        int nf = is_kind(person, S_IFDIR) ? scandir(person, &files, visible, by_name) : -1;
        folder_photo p;
        if (nf > 0)
            person_of(labels, people[i]->d_name, &p);
        for (int j = 0; j < nf; j++) {
            snprintf(p.path, sizeof p.path, "%.760s/%.255s", person, files[j]->d_name);
            free(files[j]);
            if (rc < 0 || !is_kind(p.path, S_IFREG))
                continue;
            if (*n == cap) {
                cap = cap ? 2 * cap : 64;
                folder_photo *grown = realloc(*out, (size_t)cap * sizeof *grown);
                if (!grown) {
                    rc = celeb_fail(err, CELEB_ENOMEM, "out of memory listing %s", dir);
                    continue;
                }
                *out = grown;
            }
            (*out)[(*n)++] = p;
        }
        if (nf >= 0)
            free(files);
        free(people[i]);
    }
    free(people);
    folder_labels_free(labels);
    if (rc < 0) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}
