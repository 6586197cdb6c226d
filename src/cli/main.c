/* main.c - the `celeb` command: dispatches to one file per subcommand. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: celeb COMMAND [OPTIONS] ...\n"
            "\n"
            "Finds and names the people in images, GIFs and videos.\n"
            "\n"
            "commands:\n"
            "  detect MEDIA... who is in each image, GIF or video: one answer per person (JSON or text)\n"
            "  faces FILE...   every face of a frame: box, score, 68 landmarks, crop, 128-D descriptor (JSON)\n"
            "  enroll DIR      add people to the gallery from DIR/<Person_Name>/* (or --name NAME PHOTO...)\n"
            "  gallery CMD     list | remove NAME | rename OLD NEW | export the gallery\n"
            "  eval DIR        leave-one-out accuracy on DIR/<Person>/<photos>\n"
            "  batch MANIFEST  detect over a manifest of media: one JSON line per item, --jobs, --shard, --resume\n"
            "  enqueue MANIFEST add a manifest's items to a Redis stream for `celeb worker`\n"
            "  worker          consume a Redis stream: results by id, dead letters, --stats\n"
            "  serve           the HTTP JSON API and the web page (celeb serve --help)\n"
            "  help            this text; `celeb COMMAND --help` for a command's options\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "faces"))
        return cmd_faces(argc - 1, argv + 1);
    if (!strcmp(cmd, "detect"))
        return cmd_detect(argc - 1, argv + 1);
    if (!strcmp(cmd, "enroll"))
        return cmd_enroll(argc - 1, argv + 1);
    if (!strcmp(cmd, "eval"))
        return cmd_eval(argc - 1, argv + 1);
    if (!strcmp(cmd, "gallery"))
        return cmd_gallery(argc - 1, argv + 1);
    if (!strcmp(cmd, "batch"))
        return cmd_batch(argc - 1, argv + 1);
    if (!strcmp(cmd, "enqueue"))
        return cmd_enqueue(argc - 1, argv + 1);
    if (!strcmp(cmd, "worker"))
        return cmd_worker(argc - 1, argv + 1);
    if (!strcmp(cmd, "serve"))
        return cmd_serve(argc - 1, argv + 1);
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "celeb: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
