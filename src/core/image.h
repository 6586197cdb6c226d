/* image.h - the RGB8 image every stage passes around.
 *
 * Pixels are packed RGB, row-major, no padding: rgb[(y*width + x)*3 + c].
 * An image owns its pixels; image_free releases them. */
#ifndef CELEB_CORE_IMAGE_H
#define CELEB_CORE_IMAGE_H

#include <stdint.h>

typedef struct image {
    int width, height;   /* pixels, both > 0 for a valid image */
    uint8_t *rgb;        /* [height][width][3], owned, malloc'd */
} image;

/* Allocates an uninitialised width x height image. Returns 0 or CELEB_ENOMEM. */
int image_alloc(image *img, int width, int height);
void image_free(image *img);

#endif
