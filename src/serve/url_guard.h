/* url_guard.h - which URLs the server may fetch for a client.
 *
 * Only http and https. Unless private addresses are allowed, the host must
 * resolve only to public addresses: loopback, private (RFC 1918, unique
 * local), link-local, carrier-grade NAT, multicast, unspecified and
 * reserved ranges are refused, so a client cannot make the server reach
 * services of its own network. The check resolves the name before the
 * download; see the report of issue 4 for the connect-time check that
 * fetch.c should add (redirects, DNS rebinding). */
#ifndef CELEB_SERVE_URL_GUARD_H
#define CELEB_SERVE_URL_GUARD_H

#include <netinet/in.h>
#include <sys/socket.h>

#include "../core/error.h"

/* 1 if the address is loopback, private, link-local or otherwise not a public unicast address. */
int url_guard_is_private(const struct sockaddr *addr);

/* 0 if url may be fetched; CELEB_EINVAL for a URL that is not http(s) or
 * has no host, CELEB_EIO when the host does not resolve, and
 * URL_GUARD_REFUSED when it resolves to a private address. */
#define URL_GUARD_REFUSED 1
int url_guard_check(const char *url, int allow_private, celeb_error *err);

#endif
