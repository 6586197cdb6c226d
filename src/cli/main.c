/* main.c - the `celeb` command: dispatches to one file per subcommand, after
 * putting glibc's heap on transparent huge pages for the commands that load the nets. */
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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
            "  help            this text; `celeb COMMAND --help` for a command's options\n"
            "\n"
            "environment:\n"
            "  CELEB_GALLERY   the gallery file when --gallery is not given\n"
            "  CELEB_MODELS    the model folder (default: the build's models/)\n"
            "  CELEB_CACHE     where the nets keep their packed weights between runs (~60 MB a\n"
            "                  thread count; default $XDG_CACHE_HOME/celeb or ~/.cache/celeb;\n"
            "                  empty: none, every run packs them anew)\n");
}

// ----------------------------------------------------------------------------
// Memory: a process that loads the nets writes ~120 MB of fresh memory
// (oneDNN's packed weights, the filters while they are packed, activations),
// and on 4 KB pages that is ~32,000 page faults: more than half of a `celeb detect
// giphy_video.gif`. So the commands that load the nets first give glibc's
// heap one big transparent-huge-page region: one malloc arena, no trimming,
// blocks up to 32 MB (glibc's largest mmap threshold) from the heap, the heap
// grown once by 256 MB and that range advised MADV_HUGEPAGE (3,250 faults).
// Not under sanitizers (their own malloc) nor when CELEB_NO_HUGEPAGES is set.

#define HEAP_GROWTH (256 << 20)
#define HUGE_PAGE (2 << 20)

static void heap_on_huge_pages(void)
{
#if !defined(__SANITIZE_ADDRESS__)
    if (getenv("CELEB_NO_HUGEPAGES"))
        return;
    mallopt(M_ARENA_MAX, 1);
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, INT_MAX);
    mallopt(M_TOP_PAD, HEAP_GROWTH);
    uintptr_t lo = (uintptr_t)sbrk(0);
    void *volatile grow = malloc(1 << 20);   /* volatile: a plain free(malloc()) is elided */
    free(grow);
    uintptr_t hi = (uintptr_t)sbrk(0);
    lo = (lo + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
    hi &= ~(uintptr_t)(HUGE_PAGE - 1);
    if (hi > lo)
        madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
    mallopt(M_TOP_PAD, 16 << 20);
#endif
}

// ----------------------------------------------------------------------------
// Exit: at exit oneDNN's destructors unmap its JIT-compiled kernels one by one
// (~300 munmaps for the four nets, each a TLB shootdown on the other cores:
// ~14 ms of a 0.27 s `celeb detect`). Everything of ours is freed by then, so
// the commands that loaded the nets flush their output and _exit. Not under
// sanitizers: LeakSanitizer reports at exit.

static int leave(int status)
{
    if (fflush(NULL) != 0 || ferror(stdout)) {
        fprintf(stderr, "celeb: writing the output failed: %s\n", strerror(errno ? errno : EIO));
        if (status == 0)
            status = 1;
    }
#if !defined(__SANITIZE_ADDRESS__)
    _exit(status);
#endif
    return status;
}

static int run(int argc, char **argv)
{
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

int main(int argc, char **argv)
{
    static const char *heavy[] = {"detect", "faces", "enroll", "eval", "batch", "worker", "serve"};
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    for (size_t i = 0; i < sizeof heavy / sizeof *heavy; i++)
        if (!strcmp(argv[1], heavy[i])) {
            heap_on_huge_pages();
            return leave(run(argc, argv));
        }
    return run(argc, argv);
}
