/* error.h - error codes and messages shared by every module.
 *
 * Every fallible function returns an int: 0 (CELEB_OK) on success or a
 * negative CELEB_E* code, and fills a caller-owned celeb_error with a
 * human-readable message. Nothing here allocates. */
#ifndef CELEB_CORE_ERROR_H
#define CELEB_CORE_ERROR_H

#include <stddef.h>

enum {
    CELEB_OK = 0,
    CELEB_EIO = -1,        /* file missing or unreadable */
    CELEB_EFORMAT = -2,    /* not a supported media / model file */
    CELEB_ECORRUPT = -3,   /* recognised but undecodable (truncated, broken) */
    CELEB_ELIMIT = -4,     /* over a documented limit (pixels, frames, size) */
    CELEB_ENOMEM = -5,     /* allocation failed */
    CELEB_EMODEL = -6,     /* model weights missing or inconsistent */
    CELEB_EINVAL = -7,     /* bad argument */
    CELEB_EINTERNAL = -8,  /* kernel library failure */
};

typedef struct celeb_error {
    int code;             /* one of the CELEB_E* codes, 0 when no error */
    char message[512];    /* NUL-terminated, says what failed and why */
} celeb_error;

/* Sets e (if not NULL) to code and a printf-style message; returns code,
 * so callers can write `return celeb_fail(e, CELEB_EIO, "...", ...)`. */
int celeb_fail(celeb_error *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Short stable name of a code, e.g. "io", "format", for JSON error records. */
const char *celeb_error_name(int code);

#endif
