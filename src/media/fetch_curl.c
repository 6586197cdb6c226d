/* fetch_curl.c - the libcurl side of fetch.h, built as the plugin
 * celeb-curl.so (libcurl's ~30 shared libraries stay out of every start:
 * see core/plugin.h). fetch.c loads it at the first URL. */
#include "fetch.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define DEFAULT_MAX_BYTES ((size_t)50 << 20)
#define DEFAULT_TIMEOUT_MS 30000L

/* curl_global_init is not thread-safe: once per process. */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

typedef struct body {
    uint8_t *data;
    size_t size, cap, max;
    int too_big;
} body;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *user)
{
    body *b = user;
    size_t n = size * nmemb;
    if (b->size + n > b->max) {
        b->too_big = 1;
        return 0;   /* aborts the transfer */
    }
    if (b->size + n > b->cap) {
        size_t cap = b->cap ? b->cap : 1 << 16;
        while (cap < b->size + n)
            cap *= 2;
        uint8_t *grown = realloc(b->data, cap);
        if (!grown)
            return 0;
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->size, ptr, n);
    b->size += n;
    return n;
}

/* The address check, asked by curl before each connection it opens. */
typedef struct guard {
    fetch_addr_check allow;
    void *ctx;
    int refused;   /* a connection was refused */
} guard;

static curl_socket_t open_socket(void *user, curlsocktype purpose, struct curl_sockaddr *a)
{
    guard *g = user;
    if (purpose != CURLSOCKTYPE_IPCXN || !g->allow(&a->addr, g->ctx)) {
        g->refused = 1;
        return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

FETCH_PLUGIN_API int celeb_plugin_fetch_url(const char *url, const fetch_limits *lim, uint8_t **data,
                                            size_t *size, celeb_error *err)
{
    pthread_once(&curl_once, curl_init_once);
    body b = {.max = lim && lim->max_bytes ? lim->max_bytes : DEFAULT_MAX_BYTES};
    long timeout = lim && lim->timeout_ms ? lim->timeout_ms : DEFAULT_TIMEOUT_MS;
    CURL *h = curl_easy_init();
    if (!h)
        return celeb_fail(err, CELEB_ENOMEM, "%s: cannot start a download", url);
    char curl_msg[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout < 10000 ? timeout : 10000L);
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)b.max);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "celeb/1");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_msg);
    guard g = {.allow = lim ? lim->allow_addr : NULL, .ctx = lim ? lim->allow_ctx : NULL};
    if (g.allow) {
        curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_socket);
        curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &g);
        curl_easy_setopt(h, CURLOPT_PROXY, "");   /* no proxy from the environment */
    }
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    int code = CELEB_OK;
    if (b.too_big || rc == CURLE_FILESIZE_EXCEEDED)
        code = celeb_fail(err, CELEB_ELIMIT, "%s: larger than %zu bytes", url, b.max);
    else if (rc != CURLE_OK && g.refused)
        code = celeb_fail(err, CELEB_EIO, "%s: the address is not allowed: not fetched", url);
    else if (rc != CURLE_OK)
        code = celeb_fail(err, CELEB_EIO, "%s: %s", url, curl_msg[0] ? curl_msg : curl_easy_strerror(rc));
    else if (status >= 400)
        code = celeb_fail(err, CELEB_EIO, "%s: HTTP %ld", url, status);
    if (code < 0) {
        free(b.data);
        return code;
    }
    *data = b.data ? b.data : malloc(1);   /* an empty body is still a result */
    *size = b.size;
    return *data ? CELEB_OK : celeb_fail(err, CELEB_ENOMEM, "out of memory");
}

FETCH_PLUGIN_API int celeb_plugin_url_host(const char *url, char *host, size_t size, celeb_error *err)
{
    CURLU *u = curl_url();
    char *h = NULL;
    if (!u)
        return celeb_fail(err, CELEB_ENOMEM, "out of memory");
    int rc = CELEB_OK;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK || !h || !*h || strlen(h) >= size)
        rc = celeb_fail(err, CELEB_EINVAL, "not a valid URL: %.300s", url);
    else
        memcpy(host, h, strlen(h) + 1);
    curl_free(h);
    curl_url_cleanup(u);
    return rc;
}
