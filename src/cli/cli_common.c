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

int cli_check_gallery(const char *cmd, const char *given, const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0)
        return 0;
    const char *env = getenv("CELEB_GALLERY");
    int asked = (given && *given) || (env && *env);
    fprintf(stderr, "celeb %s: %s gallery at %s%s (enroll people with `celeb enroll --gallery %s ...`)\n",
            cmd, asked ? "no" : "warning: no", path, asked ? "" : ": everyone is unknown", path);
    return asked ? -1 : 0;
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

int cli_parse_jitter(const char *cmd, const char *arg, int *jitter)
{
    char *end;
    long v = strtol(arg, &end, 10);
    if (*end || end == arg || v < 1 || v > CLI_JITTER_MAX) {
        fprintf(stderr, "celeb %s: --jitter takes a number of copies from 1 (none) to %d, not '%s'\n",
                cmd, CLI_JITTER_MAX, arg);
        return -1;
    }
    *jitter = (int)v;
    return 0;
}

int cli_parse_align(const char *cmd, const char *arg, face_align *align)
{
    if (!strcmp(arg, "chip"))
        *align = FACE_ALIGN_CHIP;
    else if (!strcmp(arg, "faceapi"))
        *align = FACE_ALIGN_FACEAPI;
    else if (!strcmp(arg, "similarity"))
        *align = FACE_ALIGN_SIMILARITY;
    else {
        fprintf(stderr, "celeb %s: --align must be chip, faceapi or similarity, not '%s'\n", cmd, arg);
        return -1;
    }
    return 0;
}

int cli_parse_frames(const char *cmd, const char *arg, celeb_options *o)
{
    if (!strcmp(arg, "all")) {
        o->all_frames = 1;
        return 0;
    }
    char *end;
    long v = strtol(arg, &end, 10);
    if (*end || end == arg || v < 1 || v > 100000) {
        fprintf(stderr, "celeb %s: --frames takes a number from 1 to 100000 or 'all', not '%s'\n", cmd, arg);
        return -1;
    }
    o->frames = (int)v;
    return 0;
}

/* The one flag a signal handler may touch. */
static volatile sig_atomic_t stop_signalled;

static void on_stop_signal(int sig)
{
    (void)sig;
    stop_signalled = 1;
}

volatile sig_atomic_t *cli_catch_stop_signals(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_stop_signal;
    sa.sa_flags = SA_RESETHAND;   /* a second signal kills at once */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    return &stop_signalled;
}

int cli_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}
