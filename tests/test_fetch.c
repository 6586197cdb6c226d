/* test_fetch.c - URL downloads (media/fetch) and the server's address rules
 * (serve/url_guard): the address check is asked at every connection, so a
 * redirect to a refused address is not followed and a refused address is
 * never connected to; the classification of the ranges (TEST-NETs, IPv4
 * inside NAT64 and 6to4 addresses).
 *
 * Two tiny HTTP servers on 127.0.0.1 (threads of this test): "redirect"
 * answers 302 to "target", "target" answers 200 "hello". Each counts the
 * connections it accepted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "media/fetch.h"
#include "serve/url_guard.h"

typedef struct mini_server {
    int fd, port;
    char location[128];   /* non-empty: answer 302 to it */
    atomic_int accepted;
    atomic_int stop;
    pthread_t thread;
} mini_server;

static void *serve_main(void *arg)
{
    mini_server *s = arg;
    while (!atomic_load(&s->stop)) {
        struct pollfd p = {.fd = s->fd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0)
            continue;
        int c = accept(s->fd, NULL, NULL);
        if (c < 0)
            continue;
        atomic_fetch_add(&s->accepted, 1);
        char req[4096];
        size_t got = 0;
        while (got < sizeof req - 1) {   /* up to the end of the headers */
            ssize_t n = read(c, req + got, sizeof req - 1 - got);
            if (n <= 0)
                break;
            got += (size_t)n;
            req[got] = 0;
            if (strstr(req, "\r\n\r\n"))
                break;
        }
        char resp[512];
        int len = s->location[0]
                      ? snprintf(resp, sizeof resp,
                                 "HTTP/1.1 302 Found\r\nLocation: %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                                 s->location)
                      : snprintf(resp, sizeof resp,
                                 "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
        ssize_t w = write(c, resp, (size_t)len);
        (void)w;
        close(c);
    }
    return NULL;
}

static void server_start(mini_server *s, const char *location)
{
    memset(s, 0, sizeof *s);
    snprintf(s->location, sizeof s->location, "%s", location ? location : "");
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s->fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s->fd, 16), 0);
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &len), 0);
    s->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&s->thread, NULL, serve_main, s), 0);
}

static void server_stop(mini_server *s)
{
    atomic_store(&s->stop, 1);
    pthread_join(s->thread, NULL);
    close(s->fd);
}

/* Two servers: redirect -> target. */
typedef struct pair {
    mini_server target, redirect;
    char target_url[128], redirect_url[128];
} pair;

static int setup(void **state)
{
    pair *p = calloc(1, sizeof *p);
    if (!p)
        return -1;
    server_start(&p->target, NULL);
    snprintf(p->target_url, sizeof p->target_url, "http://127.0.0.1:%d/x.jpg", p->target.port);
    server_start(&p->redirect, p->target_url);
    snprintf(p->redirect_url, sizeof p->redirect_url, "http://127.0.0.1:%d/start", p->redirect.port);
    *state = p;
    return 0;
}

static int teardown(void **state)
{
    pair *p = *state;
    server_stop(&p->redirect);
    server_stop(&p->target);
    free(p);
    return 0;
}

/* Allows only the port in ctx (an int), counting refusals. */
typedef struct port_rule {
    int port;
    int refused;
} port_rule;

static int allow_port(const struct sockaddr *addr, void *ctx)
{
    port_rule *r = ctx;
    if (addr->sa_family == AF_INET && ntohs(((const struct sockaddr_in *)addr)->sin_port) == r->port)
        return 1;
    r->refused++;
    return 0;
}

static void test_redirect_followed_without_check(void **state)
{
    pair *p = *state;
    uint8_t *data = NULL;
    size_t size = 0;
    celeb_error err = {0};
    fetch_limits lim = {.timeout_ms = 5000};
    assert_int_equal(fetch_url(p->redirect_url, &lim, &data, &size, &err), 0);
    assert_int_equal(size, 5);
    assert_memory_equal(data, "hello", 5);
    free(data);
    assert_int_equal(atomic_load(&p->redirect.accepted), 1);
    assert_int_equal(atomic_load(&p->target.accepted), 1);
}

/* The first hop passes the check, the redirect's hop does not: refused, and
 * the target never sees a connection. */
static void test_redirect_hop_checked(void **state)
{
    pair *p = *state;
    uint8_t *data = NULL;
    size_t size = 0;
    celeb_error err = {0};
    port_rule rule = {.port = p->redirect.port};
    fetch_limits lim = {.timeout_ms = 5000, .allow_addr = allow_port, .allow_ctx = &rule};
    int before = atomic_load(&p->target.accepted);
    assert_int_equal(fetch_url(p->redirect_url, &lim, &data, &size, &err), CELEB_EIO);
    assert_null(data);
    assert_int_equal(rule.refused, 1);
    assert_int_equal(atomic_load(&p->target.accepted), before);
    assert_non_null(strstr(err.message, "not allowed"));
    assert_null(strstr(err.message, "hello"));
}

/* The server's rule: a loopback URL is refused at connect time. */
static void test_loopback_refused_by_guard(void **state)
{
    pair *p = *state;
    uint8_t *data = NULL;
    size_t size = 0;
    celeb_error err = {0};
    url_guard_state g = {0};
    fetch_limits lim = {.timeout_ms = 5000, .allow_addr = url_guard_allow, .allow_ctx = &g};
    int before = atomic_load(&p->target.accepted);
    assert_int_equal(fetch_url(p->target_url, &lim, &data, &size, &err), CELEB_EIO);
    assert_null(data);
    assert_int_equal(g.refused, 1);
    assert_int_equal(atomic_load(&p->target.accepted), before);
    /* localhost too (the name is resolved by curl, then checked) */
    char url[128];
    snprintf(url, sizeof url, "http://localhost:%d/x.jpg", p->target.port);
    g.refused = 0;
    assert_int_equal(fetch_url(url, &lim, &data, &size, &err), CELEB_EIO);
    assert_int_equal(g.refused, 1);
    assert_int_equal(atomic_load(&p->target.accepted), before);
}

/* A proxy from the environment does not route around the check. */
static void test_proxy_env_ignored_with_check(void **state)
{
    pair *p = *state;
    char proxy[64];
    snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", p->redirect.port);
    setenv("http_proxy", proxy, 1);
    uint8_t *data = NULL;
    size_t size = 0;
    celeb_error err = {0};
    port_rule rule = {.port = p->redirect.port};   /* the "proxy" would pass */
    fetch_limits lim = {.timeout_ms = 5000, .allow_addr = allow_port, .allow_ctx = &rule};
    int before = atomic_load(&p->redirect.accepted);
    int rc = fetch_url(p->target_url, &lim, &data, &size, &err);
    unsetenv("http_proxy");
    assert_int_equal(rc, CELEB_EIO);
    assert_int_equal(rule.refused, 1);
    assert_int_equal(atomic_load(&p->redirect.accepted), before);
}

static int private4(const char *s)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    assert_int_equal(inet_pton(AF_INET, s, &a.sin_addr), 1);
    return url_guard_is_private((struct sockaddr *)&a);
}

static int private6(const char *s)
{
    struct sockaddr_in6 a = {.sin6_family = AF_INET6};
    assert_int_equal(inet_pton(AF_INET6, s, &a.sin6_addr), 1);
    return url_guard_is_private((struct sockaddr *)&a);
}

static void test_ranges(void **state)
{
    (void)state;
    const char *refused4[] = {"127.0.0.1", "10.1.2.3", "192.168.1.1", "169.254.169.254", "192.0.2.2",
                              "198.51.100.7", "203.0.113.200", "0.0.0.0", "100.64.0.1", "255.255.255.255"};
    for (size_t i = 0; i < sizeof refused4 / sizeof *refused4; i++)
        assert_true(private4(refused4[i]));
    const char *allowed4[] = {"8.8.8.8", "192.0.3.1", "198.51.101.1", "203.0.114.1", "1.1.1.1"};
    for (size_t i = 0; i < sizeof allowed4 / sizeof *allowed4; i++)
        assert_false(private4(allowed4[i]));
    const char *refused6[] = {"::1", "::ffff:127.0.0.1", "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe",
                              "64:ff9b::c000:202", "2002:7f00:1::1", "2002:c0a8:101::", "64:ff9b:1::808:808",
                              "2001:db8::1", "fd00::2", "fe80::1", "ff02::1"};
    for (size_t i = 0; i < sizeof refused6 / sizeof *refused6; i++)
        assert_true(private6(refused6[i]));
    const char *allowed6[] = {"64:ff9b::808:808", "2002:808:808::1", "2001:4860:4860::8888"};
    for (size_t i = 0; i < sizeof allowed6 / sizeof *allowed6; i++)
        assert_false(private6(allowed6[i]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_redirect_followed_without_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_redirect_hop_checked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loopback_refused_by_guard, setup, teardown),
        cmocka_unit_test_setup_teardown(test_proxy_env_ignored_with_check, setup, teardown),
        cmocka_unit_test(test_ranges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
