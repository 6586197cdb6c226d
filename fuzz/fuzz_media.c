/* fuzz_media.c - libFuzzer target: the decode entry point (media_open_memory,
 * then every frame) on arbitrary bytes, with small limits so one input cannot
 * take gigabytes or minutes. */
#include <stddef.h>
#include <stdint.h>

#include "media/media.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    media_limits lim = {.max_pixels = 4 << 20, .max_frames = 500, .max_total_pixels = 64 << 20};
    celeb_error err = {0};
    media *m = NULL;
    if (media_open_memory(data, size, &lim, &m, &err) < 0)
        return 0;
    media_frame f;
    while (media_next_frame(m, &f, &err) > 0)
        ;
    media_close(m);
    return 0;
}
