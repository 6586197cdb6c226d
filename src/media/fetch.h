/* fetch.h - media by URL: an http(s) download into memory, with limits.
 *
 * Only http and https, redirects included (at most 5); the body is capped
 * at max_bytes (default 50 MB) and the whole transfer at timeout_ms
 * (default 30 s). An HTTP error status is an error ("HTTP 404").
 *
 * An address check (allow_addr) is asked before every connection the
 * download opens: the first URL's, each redirect's, and each address a
 * name resolves to at that moment. A check made on the URL before the
 * download cannot do that: a redirect, or a DNS answer that changes between
 * the check and the download (rebinding), would reach an address the check
 * never saw. With a check set, proxies (http_proxy and the like in the
 * environment) are not used: the connection would go to the proxy and the
 * check would see the proxy's address, not the target's. */
#ifndef CELEB_MEDIA_FETCH_H
#define CELEB_MEDIA_FETCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "../core/error.h"

/* 1 if the download may connect to addr, 0 to refuse it. */
typedef int (*fetch_addr_check)(const struct sockaddr *addr, void *ctx);

typedef struct fetch_limits {
    size_t max_bytes;    /* 0: 50 MB */
    long timeout_ms;     /* 0: 30000 */
    fetch_addr_check allow_addr;   /* NULL: any address (and the environment's proxy) */
    void *allow_ctx;               /* passed to allow_addr */
} fetch_limits;

/* 1 if s looks like an http:// or https:// URL. */
int fetch_is_url(const char *s);

/* Downloads url. On success *data (malloc'd, caller frees) holds *size
 * bytes. Errors: CELEB_EINVAL (not http/https), CELEB_ELIMIT (too large),
 * CELEB_EIO (unreachable, timeout, HTTP error status, or every address
 * refused by allow_addr: the check's context tells the caller which, and
 * the message names no address). */
int fetch_url(const char *url, const fetch_limits *lim, uint8_t **data, size_t *size,
              celeb_error *err);

/* The host of url as libcurl parses it (an IPv6 literal keeps its
 * brackets), into host[size]. Returns 0 or CELEB_EINVAL (not a URL). */
int fetch_url_host(const char *url, char *host, size_t size, celeb_error *err);

/* The plugin's entry points (fetch_curl.c), of these types. */
typedef int (*fetch_url_fn)(const char *url, const fetch_limits *lim, uint8_t **data, size_t *size,
                            celeb_error *err);
typedef int (*fetch_url_host_fn)(const char *url, char *host, size_t size, celeb_error *err);
#define FETCH_PLUGIN_API __attribute__((visibility("default")))

#endif
