/* replay.c - a main() for the fuzz targets without libFuzzer: runs the
 * target once on each file named (the regression corpus, tests/regress/),
 * so the normal suite replays every input a fuzzer ever crashed on. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));   /* only some targets have one */

int main(int argc, char **argv)
{
    int failed = 0;
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++) {
        uint8_t *data;
        size_t size;
        celeb_error err = {0};
        if (read_path(argv[i], &data, &size, &err) < 0) {
            fprintf(stderr, "replay: %s: %s\n", argv[i], err.message);
            failed = 1;
            continue;
        }
        LLVMFuzzerTestOneInput(data, size);
        free(data);
        printf("replayed %s (%zu bytes)\n", argv[i], size);
    }
    return failed;
}
