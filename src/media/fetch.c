/* fetch.c - see fetch.h. The HTTP is libcurl's, in the plugin celeb-curl.so
 * (fetch_curl.c), loaded at the first URL (core/plugin.h). */
#include "fetch.h"

#include "../core/plugin.h"

#include <strings.h>

static const char *const g_names[] = {"celeb_plugin_fetch_url", "celeb_plugin_url_host"};
static plugin g_curl = PLUGIN_INIT("celeb-curl.so", g_names);

static int loaded(celeb_error *err)
{
    if (plugin_get(&g_curl))
        return 1;
    celeb_fail(err, CELEB_EINTERNAL, "URLs need the libcurl plugin: %s", g_curl.error);
    return 0;
}

int fetch_is_url(const char *s)
{
    return !strncasecmp(s, "http://", 7) || !strncasecmp(s, "https://", 8);
}

int fetch_url(const char *url, const fetch_limits *lim, uint8_t **data, size_t *size,
              celeb_error *err)
{
    *data = NULL;
    *size = 0;
    if (!fetch_is_url(url))
        return celeb_fail(err, CELEB_EINVAL, "%s: only http and https URLs are fetched", url);
    if (!loaded(err))
        return CELEB_EINTERNAL;
    return ((fetch_url_fn)g_curl.fn[0])(url, lim, data, size, err);
}

int fetch_url_host(const char *url, char *host, size_t size, celeb_error *err)
{
    if (!loaded(err))
        return CELEB_EINTERNAL;
    return ((fetch_url_host_fn)g_curl.fn[1])(url, host, size, err);
}
