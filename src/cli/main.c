/* main.c - the `celeb` command: dispatches to one file per subcommand, after
 * restarting itself once with glibc's malloc on transparent huge pages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

// ----------------------------------------------------------------------------
// Memory: a process that loads the nets writes ~150 MB of fresh memory (the
// dequantised weights, each layer's copy, oneDNN's packed copy, activations),
// and on 4 KB pages that is ~37,000 page faults: more than half of a
// `celeb detect giphy_video.gif` (0.83-0.90 s, against 0.43-0.47 s with these
// settings: 3,500 faults). glibc reads its malloc tunables only when a process
// starts, so the commands that load the nets start again once with them set.
// Not under sanitizers (their own malloc) or valgrind (it would lose the
// child), nor when CELEB_NO_HUGEPAGES is set or the tunables are already there.

#define CELEB_MALLOC_TUNABLES \
    "glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=268435456:glibc.malloc.top_pad=67108864:" \
    "glibc.malloc.trim_threshold=1073741824"

static void restart_with_huge_pages(char **argv)
{
#if !defined(__SANITIZE_ADDRESS__)
    const char *t = getenv("GLIBC_TUNABLES"), *pre = getenv("LD_PRELOAD");
    if (getenv("CELEB_NO_HUGEPAGES") || (t && strstr(t, "glibc.malloc.hugetlb")) || (pre && strstr(pre, "vgpreload")))
        return;
    char v[2048];
    if (snprintf(v, sizeof v, "%s%s%s", t ? t : "", t && *t ? ":" : "", CELEB_MALLOC_TUNABLES) >= (int)sizeof v ||
        setenv("GLIBC_TUNABLES", v, 1) != 0)
        return;
    execv("/proc/self/exe", argv);   /* returns only on failure: go on as we are */
#else
    (void)argv;
#endif
}

int main(int argc, char **argv)
{
    static const char *heavy[] = {"detect", "faces", "enroll", "eval", "batch", "worker", "serve"};
    for (size_t i = 0; argc >= 2 && i < sizeof heavy / sizeof *heavy; i++)
        if (!strcmp(argv[1], heavy[i]))
            restart_with_huge_pages(argv);
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
