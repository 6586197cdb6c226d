/* resume.h - what an earlier, possibly killed, run already wrote.
 *
 * The output is JSON lines, each written whole with one write(), so a kill
 * leaves at most one incomplete last line. The scan reads the lines in
 * order and stops at the first one that has no trailing newline or does
 * not parse as a JSON object: everything from there on is to be cut off
 * (and redone). Every complete line's "id" goes into the set. */
#ifndef CELEB_BATCH_RESUME_H
#define CELEB_BATCH_RESUME_H

#include <stddef.h>

#include "core/error.h"
#include "idset.h"

typedef struct batch_resume {
    batch_idset done;      /* ids of the complete lines */
    size_t keep_bytes;     /* length of the complete lines: truncate the file to this */
    size_t lines;          /* complete lines */
    size_t dropped_bytes;  /* bytes after keep_bytes (an incomplete tail) */
} batch_resume;

/* Scans len bytes of an output file. Fails only on no memory. */
int batch_resume_scan(const char *data, size_t len, batch_resume *out, celeb_error *err);

/* Scans the open file fd from its start, then truncates it to keep_bytes.
 * CELEB_EIO if it cannot be read or truncated. */
int batch_resume_fd(int fd, batch_resume *out, celeb_error *err);

void batch_resume_free(batch_resume *r);

#endif
