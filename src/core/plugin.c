/* plugin.c - see plugin.h. */
#include "plugin.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef CELEB_PLUGIN_DIR
#define CELEB_PLUGIN_DIR "."
#endif

static void *open_in(const char *dir, const char *file, char *why, size_t size)
{
    char path[1400];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h)
        snprintf(why, size, "%s", dlerror());
    return h;
}

static void *plugin_open(const char *file, char *why, size_t size)
{
    void *h = open_in(CELEB_PLUGIN_DIR, file, why, size);
    char exe[1024];
    ssize_t n = h ? -1 : readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *slash = NULL;
    if (n > 0) {
        exe[n] = 0;
        slash = strrchr(exe, '/');
    }
    if (slash) {
        *slash = 0;
        h = open_in(exe, file, why, size);
    }
    return h;
}

static int load(plugin *p)
{
    void *h = plugin_open(p->file, p->error, sizeof p->error);
    for (size_t i = 0; h && i < p->n && i < PLUGIN_MAX_FNS; i++) {
        p->fn[i] = dlsym(h, p->names[i]);
        if (!p->fn[i]) {
            snprintf(p->error, sizeof p->error, "%s lacks %s", p->file, p->names[i]);
            return 0;
        }
    }
    return h != NULL && p->n <= PLUGIN_MAX_FNS;
}

int plugin_get(plugin *p)
{
    pthread_mutex_lock(&p->lock);
    if (!p->tried) {
        p->tried = 1;
        if (!load(p))
            memset(p->fn, 0, sizeof p->fn);
    }
    int ok = p->fn[0] != NULL;
    pthread_mutex_unlock(&p->lock);
    return ok;
}
