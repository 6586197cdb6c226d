/* cmd_gallery.c - `celeb gallery`: list, remove, rename, merge, aliases,
 * export, train; build-default is an enrolment run (cmd_build.c). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_common.h"
#include "commands.h"
#include "celeb.h"
#include "gallery/gallery.h"

static void gallery_usage(FILE *out)
{
    fprintf(out,
            "usage: celeb gallery [--gallery FILE] COMMAND\n"
            "\n"
            "commands:\n"
            "  list             one line per person: NAME <tab> number of photos\n"
            "  remove NAME      remove a person and their photos\n"
            "  rename OLD NEW   rename a person\n"
            "  merge FROM INTO  the same person under two names: FROM's photos move to INTO\n"
            "                   (created if new), FROM becomes an alias of INTO (photos\n"
            "                   enrolled as FROM go to INTO); either may be an alias\n"
            "  aliases          one line per alias: ALIAS <tab> the person's name\n"
            "  export           the whole gallery as JSON (descriptors included)\n"
            "  train            fit the confidence model to the gallery: how likely a name\n"
            "                   is right, and the operating point (98%% precision); `celeb\n"
            "                   enroll` does it after enrolling\n"
            "  build-default [DATA]  build the gallery celeb knows out of the box from LFW and\n"
            "                   ../shared/data/celebs, once (see build-default --help)\n"
            "\n"
            "--gallery FILE: default $CELEB_GALLERY, else ~/.local/share/celeb/gallery.db\n");
}

/* `list`: NAME <tab> number of photos, ordered by name. */
static int print_list(gallery *g, celeb_error *err)
{
    gallery_identity *ids = NULL;
    int n = 0;
    int rc = gallery_list(g, &ids, &n, err);
    for (int i = 0; rc == 0 && i < n; i++)
        printf("%s\t%d\n", ids[i].name, ids[i].faces);
    free(ids);
    return rc;
}

/* `aliases`: ALIAS <tab> NAME, ordered by alias. */
static int print_aliases(gallery *g, celeb_error *err)
{
    gallery_alias *aliases = NULL;
    int n = 0;
    int rc = gallery_aliases(g, &aliases, &n, err);
    for (int i = 0; rc == 0 && i < n; i++)
        printf("%s\t%s\n", aliases[i].alias, aliases[i].name);
    free(aliases);
    return rc;
}

/* `merge FROM INTO`, then says what it did, naming the person INTO stands for. */
static int merge(gallery *g, const char *from, const char *into, celeb_error *err)
{
    int moved = 0;
    char name[GALLERY_NAME_MAX];
    int rc = gallery_merge(g, from, into, &moved, err);
    if (rc == 0)
        rc = gallery_resolve(g, into, name, err);
    if (rc == 0)
        printf("merged %s (%d face%s) into %s\n", from, moved, moved == 1 ? "" : "s", name);
    return rc;
}

int cmd_gallery(int argc, char **argv)
{
    const char *gallery_arg = NULL;
    static const struct option opts[] = {{"gallery", required_argument, 0, 'g'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'g': gallery_arg = optarg; break;
        case 'h': gallery_usage(stdout); return 0;
        default: gallery_usage(stderr); return 2;
        }
    }
    int nargs = argc - optind;
    const char *cmd = nargs > 0 ? argv[optind] : "";
    if (!strcmp(cmd, "build-default"))   /* an enrolment run: cmd_build.c */
        return cmd_gallery_build_default(gallery_arg, nargs, argv + optind);
    int want = !strcmp(cmd, "list") || !strcmp(cmd, "export") || !strcmp(cmd, "train") ||
                       !strcmp(cmd, "aliases")
                   ? 1
               : !strcmp(cmd, "remove")                           ? 2
               : !strcmp(cmd, "rename") || !strcmp(cmd, "merge") ? 3
                                                                  : -1;
    if (want < 0 || nargs != want) {
        gallery_usage(stderr);
        return 2;
    }
    gallery *g;
    celeb_error err = {0};
    if (gallery_open(cli_gallery_path(gallery_arg), 0, &g, &err) < 0) {
        fprintf(stderr, "celeb gallery: %s\n", err.message);
        return 1;
    }
    int rc = 0;
    if (!strcmp(cmd, "list")) {
        rc = print_list(g, &err);
    } else if (!strcmp(cmd, "aliases")) {
        rc = print_aliases(g, &err);
    } else if (!strcmp(cmd, "merge")) {
        rc = merge(g, argv[optind + 1], argv[optind + 2], &err);
    } else if (!strcmp(cmd, "export")) {
        rc = gallery_export(g, stdout, &err);
    } else if (!strcmp(cmd, "train")) {
        identify_model m;
        int fitted, samples;
        rc = celeb_gallery_train(g, &m, &fitted, &samples, &err);
        char text[GALLERY_META_MAX];
        identify_model_format(&m, text, sizeof text);
        if (rc == 0 && fitted)
            printf("fitted on %d searches: %s\n", samples, text);
        else if (rc == 0)
            printf("too few people with 2+ photos to fit (%d searches): the default model, %s\n",
                   samples, text);
    } else if (!strcmp(cmd, "remove")) {
        rc = gallery_remove(g, argv[optind + 1], &err);
    } else {
        rc = gallery_rename(g, argv[optind + 1], argv[optind + 2], &err);
    }
    if (rc < 0)
        fprintf(stderr, "celeb gallery: %s\n", err.message);
    gallery_close(g);
    return rc < 0 ? 1 : 0;
}
