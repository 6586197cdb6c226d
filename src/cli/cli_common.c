/* cli_common.c - see cli_common.h. */
#include "cli_common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* mkdir -p for the folders of path (not the last component). */
static void make_parents(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        mkdir(path, 0755);
        *p = '/';
    }
}

const char *cli_gallery_path(const char *given)
{
    static char buf[4096];
    if (given && *given)
        return given;
    const char *env = getenv("CELEB_GALLERY");
    if (env && *env)
        return env;
    const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
    if (xdg && *xdg)
        snprintf(buf, sizeof buf, "%s/celeb/gallery.db", xdg);
    else
        snprintf(buf, sizeof buf, "%s/.local/share/celeb/gallery.db", home && *home ? home : ".");
    make_parents(buf);
    return buf;
}

void cli_print_json(cJSON *doc)
{
    char *text = cJSON_PrintUnformatted(doc);
    if (text) {
        puts(text);
        fflush(stdout);
    }
    free(text);
    cJSON_Delete(doc);
}
