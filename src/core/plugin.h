/* plugin.h - the program's own shared objects, loaded on first use.
 *
 * Libraries with big dependency trees (FFmpeg's ~130 shared libraries,
 * libcurl's ~30) cost tens of milliseconds of every process start when
 * linked in, so the code that calls them is built as a plugin and loaded
 * only by the runs that need it (media_plugin.c, fetch.c).
 *
 * A plugin is dlopen()ed from the build's folder (CELEB_PLUGIN_DIR, like
 * the models), else from beside the running program, and never closed. */
#ifndef CELEB_CORE_PLUGIN_H
#define CELEB_CORE_PLUGIN_H

#include <pthread.h>
#include <stddef.h>

#define PLUGIN_MAX_FNS 4

/* A plugin and the functions wanted from it, loaded at the first
 * plugin_get() and kept for the life of the process. */
typedef struct plugin {
    const char *file;           /* e.g. "celeb-curl.so" */
    const char *const *names;   /* [n] exported function names */
    size_t n;
    void *fn[PLUGIN_MAX_FNS];   /* [n] their addresses, once loaded */
    int tried;                  /* guarded by lock */
    char error[600];            /* why it could not be loaded */
    pthread_mutex_t lock;
} plugin;

#define PLUGIN_INIT(file, names) \
    { (file), (names), sizeof(names) / sizeof *(names), {0}, 0, "", PTHREAD_MUTEX_INITIALIZER }

/* Loads p on the first call (thread-safe). Returns 1 when every function was
 * found (p->fn is then read-only), else 0 with the reason in p->error. */
int plugin_get(plugin *p);

#endif
