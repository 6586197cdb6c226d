/* fuzz_enroll.c - libFuzzer target: an enrolment folder, DIR/<Person>/<photo>
 * with DIR/labels.csv, as `celeb enroll DIR` and `celeb eval DIR` list it
 * (folder_list). The input is the labels.csv text, a NUL byte, then folder
 * names one per line (any bytes but '/' and NUL; '/' becomes '_'). Each
 * folder gets one photo file. Checks beyond "no crash": every listed photo
 * has either a name the gallery takes, or a problem and no name; a name from
 * labels.csv is the one folder_labels_name gives; any other name is the
 * folder's own, whole (the listing once cut names at 127 bytes, even inside
 * a UTF-8 character: tests/regress/enroll/long_folder_name). */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gallery/folder.h"

static char scratch[] = "/tmp/celeb-fuzz-enroll-XXXXXX";   /* one per process */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static void check(int ok, const char *what, const char *detail)
{
    if (!ok) {
        fprintf(stderr, "fuzz_enroll: %s: %s\n", what, detail);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (scratch[sizeof scratch - 2] == 'X' && !mkdtemp(scratch))
        return 0;
    char dir[sizeof scratch + 8];
    snprintf(dir, sizeof dir, "%s/run", scratch);
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    if (mkdir(dir, 0700) < 0)
        return 0;
    const uint8_t *nul = memchr(data, 0, size);
    size_t csv_len = nul ? (size_t)(nul - data) : size;
    char path[2048];
    snprintf(path, sizeof path, "%s/labels.csv", dir);
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data, 1, csv_len, f);
    fclose(f);
    /* the folders, each with one photo */
    for (size_t at = csv_len + 1; nul && at < size;) {
        const uint8_t *end = memchr(data + at, '\n', size - at);
        size_t len = end ? (size_t)(end - (data + at)) : size - at;
        char name[256];
        if (len > 0 && len < sizeof name) {
            memcpy(name, data + at, len);
            name[len] = 0;
            for (size_t i = 0; i < len; i++)
                if (name[i] == '/')
                    name[i] = '_';
            snprintf(path, sizeof path, "%s/%s", dir, name);
            if (mkdir(path, 0700) == 0) {
                snprintf(path, sizeof path, "%s/%s/photo.jpg", dir, name);
                FILE *p = fopen(path, "wb");
                if (p)
                    fclose(p);
            }
        }
        at += len + 1;
    }
    folder_photo *photos;
    int n;
    celeb_error err = {0};
    if (folder_list(dir, &photos, &n, &err) < 0)
        return 0;
    folder_labels *labels = NULL;
    int have_labels = folder_labels_parse((const char *)data, csv_len, &labels, &err) == 0;
    for (int i = 0; i < n; i++) {
        const folder_photo *p = &photos[i];
        celeb_error why = {0};
        check(!p->name[0] != !p->problem[0], "a photo needs a name or a problem, not both", p->path);
        if (p->name[0])
            check(gallery_check_name(p->name, &why) == 0, "a listed name the gallery refuses", p->name);
        /* the folder is the path's second-last component */
        char folder[256];
        const char *last = strrchr(p->path, '/'), *first = last;
        while (first > p->path && first[-1] != '/')
            first--;
        snprintf(folder, sizeof folder, "%.*s", (int)(last - first), first);
        const char *given = have_labels ? folder_labels_name(labels, folder) : NULL;
        if (given)
            check(!strcmp(given, p->name), "not the name labels.csv gives", folder);
        else if (p->name[0])   /* never a cut or changed folder name */
            check(!strcmp(folder, p->name), "not the folder's own name", folder);
    }
    folder_labels_free(labels);
    free(photos);
    return 0;
}
