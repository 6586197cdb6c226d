/* fetch.h - media by URL: an http(s) download into memory, with limits.
 *
 * Only http and https, redirects included (at most 5); the body is capped
 * at max_bytes (default 50 MB) and the whole transfer at timeout_ms
 * (default 30 s). An HTTP error status is an error ("HTTP 404"). */
#ifndef CELEB_MEDIA_FETCH_H
#define CELEB_MEDIA_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "../core/error.h"

typedef struct fetch_limits {
    size_t max_bytes;    /* 0: 50 MB */
    long timeout_ms;     /* 0: 30000 */
} fetch_limits;

/* 1 if s looks like an http:// or https:// URL. */
int fetch_is_url(const char *s);

/* Downloads url. On success *data (malloc'd, caller frees) holds *size
 * bytes. Errors: CELEB_EINVAL (not http/https), CELEB_ELIMIT (too large),
 * CELEB_EIO (unreachable, timeout, HTTP error status). */
int fetch_url(const char *url, const fetch_limits *lim, uint8_t **data, size_t *size,
              celeb_error *err);

#endif
