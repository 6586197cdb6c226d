/* cli_common.h - what several subcommands share: the gallery path, the
 * --frames option, the stop signals and printing a cJSON document as one
 * line. */
#ifndef CELEB_CLI_COMMON_H
#define CELEB_CLI_COMMON_H

#include <cJSON.h>
#include <signal.h>

#include "celeb.h"

/* The gallery file to use: the --gallery value if given, else
 * $CELEB_GALLERY, else $XDG_DATA_HOME/celeb/gallery.db (default
 * ~/.local/share/celeb/gallery.db); the folder is created if missing.
 * Returns a pointer to a static buffer or to `given`. */
const char *cli_gallery_path(const char *given);

/* For the commands that read a gallery (detect, batch, worker): a gallery
 * asked for (--gallery, $CELEB_GALLERY) that does not exist is a mistake,
 * not "everyone unknown": prints "celeb CMD: no gallery at PATH ..." and
 * returns -1. A missing default gallery only gets a warning (0). */
int cli_check_gallery(const char *cmd, const char *given, const char *path);

/* Parses a --frames value, N (1..100000) or "all", into o. Returns 0, or
 * -1 after printing "celeb CMD: --frames takes ..." on stderr. */
int cli_parse_frames(const char *cmd, const char *arg, celeb_options *o);

/* Parses a --jitter value, 1 (no jitter) .. CLI_JITTER_MAX copies. Returns
 * 0, or -1 after printing the problem on stderr. */
#define CLI_JITTER_MAX 256
int cli_parse_jitter(const char *cmd, const char *arg, int *jitter);
/* --align chip|faceapi|similarity; -1 (after a message) for anything else. */
int cli_parse_align(const char *cmd, const char *arg, face_align *align);

/* Makes SIGINT and SIGTERM set the returned flag (a second one kills at
 * once) and ignores SIGPIPE (a closed output is a write error, not a silent
 * death). For the long runs that finish the work in hand before stopping. */
volatile sig_atomic_t *cli_catch_stop_signals(void);

/* 1 when path is a folder (symlinks followed). */
int cli_is_dir(const char *path);

/* Prints doc as one line on stdout and flushes; deletes doc. */
void cli_print_json(cJSON *doc);

#endif
