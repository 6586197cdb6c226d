/* frame_ppm.c - writes frame N of a media file as a binary PPM, with the
 * project's own decoders (MP4 and the rest that Pillow cannot read), for the
 * end-to-end tests that build test media out of real frames.
 * usage: frame_ppm FILE N OUT.ppm */
#include <stdio.h>
#include <stdlib.h>

#include "media/media.h"

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: frame_ppm FILE N OUT.ppm\n");
        return 2;
    }
    image img;
    celeb_error err = {0};
    if (media_read_frame(argv[1], atoi(argv[2]), &img, &err) < 0) {
        fprintf(stderr, "frame_ppm: %s\n", err.message);
        return 1;
    }
    FILE *f = fopen(argv[3], "wb");
    int ok = f && fprintf(f, "P6\n%d %d\n255\n", img.width, img.height) > 0 &&
             fwrite(img.rgb, 1, (size_t)img.width * img.height * 3, f) == (size_t)img.width * img.height * 3;
    ok = f && fclose(f) == 0 && ok;
    image_free(&img);
    if (!ok)
        fprintf(stderr, "frame_ppm: cannot write %s\n", argv[3]);
    return ok ? 0 : 1;
}
