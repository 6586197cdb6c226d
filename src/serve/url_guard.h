/* url_guard.h - which URLs the server may fetch for a client.
 *
 * Only http and https. Unless private addresses are allowed, the host must
 * resolve only to public addresses: loopback, private (RFC 1918, unique
 * local), link-local, carrier-grade NAT, multicast, unspecified and
 * reserved ranges (documentation TEST-NETs included; IPv4 inside IPv6 as
 * mapped, NAT64 64:ff9b::/96 and 6to4 2002::/16 addresses is judged as
 * IPv4) are refused, so a client cannot make the server reach services of
 * its own network. url_guard_check resolves the name before the download
 * (a clear early answer); the download itself checks every connection
 * again with url_guard_allow (fetch_limits.allow_addr): redirects and DNS
 * answers that change in between (rebinding) included. */
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

/* A fetch_addr_check (media/fetch.h) refusing what url_guard_is_private
 * says; ctx is a url_guard_state, whose refused is set when it refuses. */
typedef struct url_guard_state {
    int refused;
} url_guard_state;
int url_guard_allow(const struct sockaddr *addr, void *ctx);

#endif
