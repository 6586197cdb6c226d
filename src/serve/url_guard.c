/* url_guard.c - see url_guard.h. libcurl parses the URL (the same parser
 * the download uses, fetch_url_host), getaddrinfo resolves it. */
#include "url_guard.h"

#include "../media/fetch.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* addr (host order) inside net/bits. */
static int in_v4(uint32_t addr, uint32_t net, int bits)
{
    uint32_t mask = bits ? ~0u << (32 - bits) : 0;
    return (addr & mask) == (net & mask);
}

static int v4_private(uint32_t a)
{
    return in_v4(a, 0x00000000, 8)        /* 0.0.0.0/8 "this network" */
           || in_v4(a, 0x0a000000, 8)     /* 10/8 */
           || in_v4(a, 0x64400000, 10)    /* 100.64/10 carrier-grade NAT */
           || in_v4(a, 0x7f000000, 8)     /* 127/8 loopback */
           || in_v4(a, 0xa9fe0000, 16)    /* 169.254/16 link-local (cloud metadata) */
           || in_v4(a, 0xac100000, 12)    /* 172.16/12 */
           || in_v4(a, 0xc0000000, 24)    /* 192.0.0/24 IETF protocol assignments */
           || in_v4(a, 0xc0000200, 24)    /* 192.0.2/24 TEST-NET-1 */
           || in_v4(a, 0xc6336400, 24)    /* 198.51.100/24 TEST-NET-2 */
           || in_v4(a, 0xcb007100, 24)    /* 203.0.113/24 TEST-NET-3 */
           || in_v4(a, 0xc0a80000, 16)    /* 192.168/16 */
           || in_v4(a, 0xc6120000, 15)    /* 198.18/15 benchmarking */
           || in_v4(a, 0xe0000000, 4)     /* 224/4 multicast */
           || in_v4(a, 0xf0000000, 4);    /* 240/4 reserved, broadcast */
}

int url_guard_is_private(const struct sockaddr *addr)
{
    if (addr->sa_family == AF_INET)
        return v4_private(ntohl(((const struct sockaddr_in *)addr)->sin_addr.s_addr));
    if (addr->sa_family != AF_INET6)
        return 1;
    const uint8_t *b = ((const struct sockaddr_in6 *)addr)->sin6_addr.s6_addr;
    static const uint8_t zero[16];
    if (!memcmp(b, zero, 15) && (b[15] == 0 || b[15] == 1))    /* :: and ::1 */
        return 1;
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const uint8_t nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    static const uint8_t nat64_local[6] = {0, 0x64, 0xff, 0x9b, 0, 1};
    static const uint8_t doc[4] = {0x20, 0x01, 0x0d, 0xb8};
    /* IPv4 inside IPv6: ::ffff:a.b.c.d, ::a.b.c.d, 64:ff9b::a.b.c.d (NAT64) */
    if (!memcmp(b, mapped, 12) || !memcmp(b, zero, 12) || !memcmp(b, nat64, 12))
        return v4_private((uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15]);
    if (b[0] == 0x20 && b[1] == 0x02)               /* 2002:a.b.c.d::/48 (6to4) */
        return v4_private((uint32_t)b[2] << 24 | (uint32_t)b[3] << 16 | (uint32_t)b[4] << 8 | b[5]);
    return !memcmp(b, nat64_local, 6)               /* 64:ff9b:1::/48 local-use NAT64 */
           || !memcmp(b, doc, 4)                    /* 2001:db8::/32 documentation */
           || (b[0] & 0xfe) == 0xfc                 /* fc00::/7 unique local */
           || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)   /* fe80::/10 link-local */
           || (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)   /* fec0::/10 site-local (deprecated) */
           || b[0] == 0xff;                          /* ff00::/8 multicast */
}

int url_guard_allow(const struct sockaddr *addr, void *ctx)
{
    if (!url_guard_is_private(addr))
        return 1;
    ((url_guard_state *)ctx)->refused = 1;
    return 0;
}

int url_guard_check(const char *url, int allow_private, celeb_error *err)
{
    if (!fetch_is_url(url))
        return celeb_fail(err, CELEB_EINVAL, "only http and https URLs are fetched");
    char host[256];
    int rc = fetch_url_host(url, host, sizeof host, err);
    if (rc == 0 && !allow_private) {
        /* [::1] comes back with its brackets */
        char name[256];
        size_t len = strlen(host);
        if (host[0] == '[' && len > 2 && host[len - 1] == ']')
            snprintf(name, sizeof name, "%.*s", (int)(len - 2), host + 1);
        else
            snprintf(name, sizeof name, "%s", host);
        struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
        int gai = getaddrinfo(name, NULL, &hints, &res);
        if (gai != 0) {
            rc = celeb_fail(err, CELEB_EIO, "cannot resolve %s: %s", name, gai_strerror(gai));
        } else {
            for (struct addrinfo *a = res; a && rc == 0; a = a->ai_next)
                if (url_guard_is_private(a->ai_addr))
                    rc = celeb_fail(err, URL_GUARD_REFUSED,
                                    "%s is a loopback, private or link-local address: not fetched "
                                    "(start the server with --allow-private-urls to allow it)",
                                    name);
            freeaddrinfo(res);
        }
    }
    return rc;
}
