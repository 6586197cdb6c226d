/* enroll_run.h - an enrolment run of the CLI: the engine, the gallery, the
 * counts, one JSON line per photo and the summary. `celeb enroll`
 * (cmd_enroll.c) and `celeb gallery build-default` (cmd_build.c) are both
 * such runs. */
#ifndef CELEB_CLI_ENROLL_RUN_H
#define CELEB_CLI_ENROLL_RUN_H

#include "celeb.h"
#include "gallery/folder.h"

typedef struct enroll_run {
    face_engine engine;
    gallery *gallery;
    int done, total, enrolled, already, skipped;
    int refit;          /* refit the confidence model even if nothing was enrolled */
    double start, shown;   /* clock_s() at the start and at the last progress line */
} enroll_run;

/* Opens the gallery at path (created if missing) and the enrolment engine;
 * -1 after printing "celeb CMD: ..." on stderr. */
int enroll_open(enroll_run *r, const char *cmd, const char *path, const face_engine_options *opt);

/* Enrolls a labelled folder's photos (folder_list), each reported. */
void enroll_folder(enroll_run *r, const folder_photo *photos, int n);

/* Refits the confidence model when anything changed, prints the summary
 * line, closes the run; returns the exit status. */
int enroll_finish(enroll_run *r, const char *cmd, const char *path);

#endif
