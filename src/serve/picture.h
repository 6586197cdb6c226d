/* picture.h - pictures the server sends: face thumbnails, scaled-down
 * frames, JPEG encoding (libjpeg-turbo) and base64 for data: URLs. */
#ifndef CELEB_SERVE_PICTURE_H
#define CELEB_SERVE_PICTURE_H

#include <stddef.h>
#include <stdint.h>

#include "../core/error.h"
#include "../core/image.h"
#include "../detect/detect.h"

#define PICTURE_THUMB_SIZE 112      /* face thumbnails, pixels a side */
#define PICTURE_FRAME_MAX_SIDE 640  /* frames sent to the page, longer side */

/* img as a baseline JPEG of the given quality (1..100). On success *out
 * (malloc'd, caller frees) holds *size bytes. */
int picture_jpeg(const image *img, int quality, uint8_t **out, size_t *size, celeb_error *err);

/* A size x size thumbnail of a face: the square around its box grown by a
 * quarter each side, clipped to the picture (padded black), resized.
 * *out is new (image_free). */
int picture_face_thumb(const image *img, const face_box *box, int size, image *out, celeb_error *err);

/* A copy of img whose longer side is at most max_side (area averaging when
 * it shrinks). *out is new (image_free). */
int picture_scaled(const image *img, int max_side, image *out, celeb_error *err);

/* "data:image/jpeg;base64,..." of JPEG bytes, NUL-terminated, malloc'd (NULL when out of memory). */
char *picture_data_url(const uint8_t *jpeg, size_t size);

#endif
