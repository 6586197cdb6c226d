/* output.h - the JSON lines `celeb batch` writes.
 *
 * A result is the celeb.detect/1 document with "id" first; a failure is
 * {"id", "source", "error": {"code", "message"}}. Each line is printed into
 * memory and written with write(2) (looping on short writes), so with
 * O_APPEND and one writer at a time a kill leaves at most one incomplete
 * last line (see resume.h). */
#ifndef CELEB_BATCH_OUTPUT_H
#define CELEB_BATCH_OUTPUT_H

#include <cJSON.h>

#include "core/error.h"

/* A new object: "id": id followed by doc's members; doc is consumed. NULL on no memory. */
cJSON *batch_result_record(const char *id, cJSON *doc);

/* A new error record; code is a CELEB_E* code (named by celeb_error_name). */
cJSON *batch_error_record(const char *id, const char *source, int code, const char *message);

/* Prints rec unformatted plus "\n" and writes it to fd whole. Returns 0,
 * CELEB_ENOMEM, or CELEB_EIO (err says why). rec is not consumed. */
int batch_write_record(int fd, const cJSON *rec, celeb_error *err);

#endif
