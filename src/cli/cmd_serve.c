/* cmd_serve.c - `celeb serve`: the HTTP JSON API and the web page (the
 * server itself is src/serve/). Parses the options, starts the server,
 * waits for SIGINT or SIGTERM, stops it cleanly. */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "cli_common.h"
#include "commands.h"
#include "serve/serve.h"
#include "serve/url_guard.h"

static void serve_usage(FILE *out)
{
    fprintf(out,
            "usage: celeb serve [OPTIONS]\n"
            "\n"
            "The JSON API (POST /v1/detect, /v1/gallery..., /v1/embeddings, /healthz, /metrics)\n"
            "and the web page at http://HOST:PORT/. Stops on SIGINT or SIGTERM.\n"
            "\n"
            "options:\n"
            "  --host ADDR           address to listen on (default 127.0.0.1)\n"
            "  --port N              port (default 8080; 0: any free port, printed on stderr)\n"
            "  --gallery FILE        gallery (default $CELEB_GALLERY, else ~/.local/share/celeb/gallery.db)\n"
            "  --api-key KEY         key for the routes that change the gallery (default\n"
            "                        $CELEB_API_KEY; else a random key, printed on stderr)\n"
            "  --allow-private-urls  let {\"url\"} inputs reach loopback, private and link-local addresses\n"
            "  --workers N           worker threads, each with its own nets (default 2)\n"
            "  --threads N           threads per worker (default: cores / workers)\n"
            "  --queue N             jobs waiting for a worker before answering 503 (default 16)\n"
            "  --max-body BYTES      largest request body or URL download (default 50 MB)\n"
            "  --max-buffered BYTES  request bodies held in memory at once (default 256 MB)\n"
            "  --max-pixels N        pixels of one frame (default 40000000)\n"
            "  --max-frames N        frames of one media file (default 20000)\n"
            "  --max-sampled N       largest ?frames= (default 300)\n"
            "  --fetch-timeout MS    URL download time limit (default 30000)\n"
            "  --idle-timeout S      close a connection that sent nothing for S seconds (default 60)\n"
            "  --max-connections N   open connections; more are refused (default 256)\n"
            "  --web DIR             the page's files (default: the build's web/)\n"
            "  --thumbs DIR          face thumbnails (default: GALLERY.thumbs)\n"
            "  --models DIR          model folder\n"
            "  --check-url URL       only say whether a {\"url\"} input would be fetched (the address\n"
            "                        rules above, nothing downloaded): exit 0 if so, 1 if refused\n");
}

/* A positive number, or -1. */
static long long positive(const char *s)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    return *end || v <= 0 ? -1 : v;
}

int cmd_serve(int argc, char **argv)
{
    serve_config cfg;
    serve_config_defaults(&cfg);
    const char *gallery_arg = NULL, *check_url = NULL;
    static const struct option opts[] = {
        {"host", required_argument, 0, 'H'},        {"port", required_argument, 0, 'p'},
        {"gallery", required_argument, 0, 'g'},     {"api-key", required_argument, 0, 'k'},
        {"allow-private-urls", no_argument, 0, 'P'}, {"workers", required_argument, 0, 'w'},
        {"threads", required_argument, 0, 't'},     {"queue", required_argument, 0, 'q'},
        {"max-body", required_argument, 0, 'b'},    {"max-buffered", required_argument, 0, 'B'},
        {"max-pixels", required_argument, 0, 'x'},  {"max-frames", required_argument, 0, 'f'},
        {"max-sampled", required_argument, 0, 's'}, {"fetch-timeout", required_argument, 0, 'T'},
        {"idle-timeout", required_argument, 0, 'I'}, {"max-connections", required_argument, 0, 'C'},
        {"web", required_argument, 0, 'W'},         {"thumbs", required_argument, 0, 'u'},
        {"models", required_argument, 0, 'm'},      {"help", no_argument, 0, 'h'},
        {"check-url", required_argument, 0, 'c'},   {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        long long v = optarg ? positive(optarg) : 0;
        switch (c) {
        case 'H': cfg.host = optarg; break;
        case 'p':
            if (!strcmp(optarg, "0"))
                v = 0;
            else if (v < 0 || v > 65535)
                goto bad;
            cfg.port = (int)v;
            break;
        case 'g': gallery_arg = optarg; break;
        case 'k': cfg.api_key = optarg; break;
        case 'P': cfg.allow_private_urls = 1; break;
        case 'W': cfg.web_dir = optarg; break;
        case 'u': cfg.thumbs_dir = optarg; break;
        case 'm': cfg.model_dir = optarg; break;
        case 'c': check_url = optarg; break;
        case 'h': serve_usage(stdout); return 0;
        case 'w': if (v < 0 || v > 64) goto bad; cfg.workers = (int)v; break;
        case 't': if (v < 0 || v > 256) goto bad; cfg.threads = (int)v; break;
        case 'q': if (v < 0 || v > 100000) goto bad; cfg.queue = (int)v; break;
        case 'b': if (v < 0) goto bad; cfg.max_body = (size_t)v; break;
        case 'B': if (v < 0) goto bad; cfg.max_buffered = (size_t)v; break;
        case 'x': if (v < 0) goto bad; cfg.max_pixels = v; break;
        case 'f': if (v < 0 || v > 1000000) goto bad; cfg.max_frames = (int)v; break;
        case 's': if (v < 0 || v > 100000) goto bad; cfg.max_sampled = (int)v; break;
        case 'T': if (v < 0) goto bad; cfg.fetch_timeout_ms = (long)v; break;
        case 'I': if (v < 0 || v > 86400) goto bad; cfg.connection_timeout_s = (int)v; break;
        case 'C': if (v < 0 || v > 60000) goto bad; cfg.max_connections = (int)v; break;
        default: serve_usage(stderr); return 2;
        }
        continue;
    bad:
        for (int i = 0; opts[i].name; i++)
            if (opts[i].val == c)
                fprintf(stderr, "celeb serve: --%s takes a positive number in range, not '%s'\n",
                        opts[i].name, optarg);
        return 2;
    }
    if (optind != argc) {
        serve_usage(stderr);
        return 2;
    }
    if (check_url) {
        celeb_error err = {0};
        int rc = url_guard_check(check_url, cfg.allow_private_urls, &err);
        printf("%s: %s\n", check_url, rc == 0 ? "would be fetched" : err.message);
        return rc == 0 ? 0 : 1;
    }
    cfg.gallery = cli_gallery_path(gallery_arg);
    char key[33];
    if (!cfg.api_key || !*cfg.api_key)
        cfg.api_key = getenv("CELEB_API_KEY");
    if (!cfg.api_key || !*cfg.api_key) {
        unsigned char raw[16];
        if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) {
            fprintf(stderr, "celeb serve: no randomness for an API key; give --api-key\n");
            return 1;
        }
        for (int i = 0; i < 16; i++)
            snprintf(key + 2 * i, 3, "%02x", raw[i]);
        cfg.api_key = key;
        fprintf(stderr, "celeb serve: API key for the routes that change the gallery: %s\n", key);
    }
    /* Every thread the server starts inherits this mask, so the signals
     * reach only sigwait below; a peer closing early must not kill us. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    serve_server *s;
    celeb_error err = {0};
    if (serve_start(&cfg, &s, &err) < 0) {
        fprintf(stderr, "celeb serve: %s\n", err.message);
        return 1;
    }
    fprintf(stderr, "celeb serve: listening on http://%s%s%s:%d/ (gallery %s, %d workers)\n",
            strchr(cfg.host, ':') ? "[" : "", cfg.host, strchr(cfg.host, ':') ? "]" : "", serve_port(s),
            cfg.gallery, cfg.workers);
    int sig = 0;
    sigwait(&stop, &sig);
    fprintf(stderr, "celeb serve: %s, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    serve_stop(s);
    return 0;
}
