/* fuzz_serve.c - libFuzzer target: the HTTP side of `celeb serve` (request
 * line, headers, query, raw / multipart / JSON bodies, routing, the gallery
 * routes) on arbitrary bytes sent as one client connection.
 *
 * One real server runs for the whole fuzzing process, on 127.0.0.1 and a
 * free port, with one worker, a scratch gallery holding one face, and the
 * page of web/. Each input is written to a new connection, whose write side
 * is then closed; the answer is read until the server closes the connection
 * or goes quiet (an HTTP/1.1 connection stays open for the next request:
 * libmicrohttpd closes it at the idle time-out, not at the half-close). The
 * client then hangs up, answered or not: that path (a client gone while its
 * job runs) is part of what is fuzzed. The server must never crash (ASan and
 * UBSan watch both sides) and must keep accepting connections.
 *
 * Hermetic: URLs in requests are fetched through a proxy address that is
 * bound but not listening, so no name is resolved and no address beyond
 * 127.0.0.1 is contacted. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gallery/gallery.h"
#include "serve/serve.h"

#define QUIET_MS 100              /* nothing more from the server for this long: done */

typedef struct fuzz_server {
    serve_server *srv;
    int port;
    int dead_end;                 /* the proxy socket: bound, never listening */
} fuzz_server;

static fuzz_server fs;            /* one per process: libFuzzer's entry points take no context */

/* A port on 127.0.0.1 that refuses connections for as long as fd stays open. */
static int refusing_port(int *fd)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    *fd = socket(AF_INET, SOCK_STREAM, 0);
    if (*fd < 0 || bind(*fd, (struct sockaddr *)&a, sizeof a) < 0 ||
        getsockname(*fd, (struct sockaddr *)&a, &len) < 0)
        return -1;
    return ntohs(a.sin_port);
}

static void die(const char *what, const celeb_error *err)
{
    fprintf(stderr, "fuzz_serve: %s: %s\n", what, err ? err->message : "failed");
    exit(1);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    int port = refusing_port(&fs.dead_end);
    if (port < 0)
        die("no loopback port for the proxy", NULL);
    char proxy[64];
    snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", port);
    const char *vars[] = {"http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        setenv(vars[i], proxy, 1);
    unsetenv("no_proxy");
    unsetenv("NO_PROXY");

    static char dir[] = "/tmp/celeb-fuzz-serve-XXXXXX";
    if (!mkdtemp(dir))
        die("cannot make a scratch folder", NULL);
    static char gallery_path[sizeof dir + 16];
    snprintf(gallery_path, sizeof gallery_path, "%s/gallery.db", dir);
    celeb_error err = {0};
    gallery *g;
    float d[GALLERY_DIM];
    for (int i = 0; i < GALLERY_DIM; i++)
        d[i] = (float)((i * 37) % 11 - 5) / 40.0f;
    int64_t id;
    const char *shared = getenv("CELEB_SHARED");
    char photo[1024];
    snprintf(photo, sizeof photo, "%s/data/celebs/Barack_Obama/img1.jpg", shared ? shared : "../shared");
    if (gallery_open(gallery_path, 1, &g, &err) < 0 ||
        gallery_add_face(g, "Fuzz_Person", photo, NULL, 0.9f, d, &id, &err) < 0)
        die("cannot make the scratch gallery", &err);
    gallery_close(g);

    serve_config cfg;
    serve_config_defaults(&cfg);
    cfg.port = 0;
    cfg.gallery = gallery_path;
    cfg.api_key = "fuzz-api-key";
    cfg.workers = 1;
    cfg.threads = 1;
    cfg.queue = 4;
    cfg.max_body = 1 << 20;
    cfg.max_buffered = 16 << 20;
    cfg.max_sampled = 20;
    cfg.allow_private_urls = 1;   /* the guard resolves names; the dead-end proxy stops every fetch */
    cfg.fetch_timeout_ms = 2000;
    cfg.connection_timeout_s = 2;   /* the connections the client left open go soon */
    if (serve_start(&cfg, &fs.srv, &err) < 0)
        die("cannot start the server", &err);
    fs.port = serve_port(fs.srv);
    return 0;
}

/* Writes all of data (the server may close early: that ends the writing). */
static void send_all(int fd, const uint8_t *data, size_t size)
{
    while (size > 0) {
        ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
        if (n <= 0)
            return;
        data += n;
        size -= (size_t)n;
    }
}

/* Reads the answers until the server closes or stays quiet for QUIET_MS. */
static void drain(int fd)
{
    char buf[65536];
    struct pollfd p = {.fd = fd, .events = POLLIN};
    while (poll(&p, 1, QUIET_MS) > 0 && recv(fd, buf, sizeof buf, 0) > 0)
        ;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)fs.port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        fprintf(stderr, "fuzz_serve: cannot connect to the server on port %d\n", fs.port);
        abort();   /* the server is gone: a finding */
    }
    send_all(fd, data, size);
    shutdown(fd, SHUT_WR);
    drain(fd);
    close(fd);
    return 0;
}
