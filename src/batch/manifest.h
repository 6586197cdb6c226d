/* manifest.h - the list of items `celeb batch` processes.
 *
 * One item a line: a path or URL (its id is the line itself), or a JSON
 * object {"id": ..., "source": ...} (id a string or a number; missing id:
 * the source). Leading and trailing blanks are trimmed; blank lines and
 * lines starting with # are skipped. A line that starts with { but is not
 * such an object is kept as an item with `error` set (id "line:N"), so the
 * run reports it instead of stopping. An id seen before is skipped (counted
 * in `duplicates`): each id has exactly one result. */
#ifndef CELEB_BATCH_MANIFEST_H
#define CELEB_BATCH_MANIFEST_H

#include <stddef.h>

#include "core/error.h"

typedef struct batch_item {
    char *id;
    char *source;      /* what to process; for an error item the line as given */
    char *error;       /* NULL, or why the line could not be read */
    int line;          /* 1-based line of the manifest */
} batch_item;

typedef struct batch_manifest {
    batch_item *items;
    size_t count;
    size_t duplicates;    /* lines skipped because their id came earlier */
} batch_manifest;

/* Parses len bytes of text into *out (freed with batch_manifest_free).
 * Only fails on no memory (CELEB_ENOMEM). */
int batch_manifest_parse(const char *text, size_t len, batch_manifest *out, celeb_error *err);

/* Reads and parses the file at path, or stdin when path is "-". */
int batch_manifest_read(const char *path, batch_manifest *out, celeb_error *err);

void batch_manifest_free(batch_manifest *m);

#endif
