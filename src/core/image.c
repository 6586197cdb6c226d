/* image.c - see image.h. */
#include "image.h"
#include "error.h"

#include <stdlib.h>

int image_alloc(image *img, int width, int height)
{
    img->width = width;
    img->height = height;
    img->rgb = NULL;
    if (width <= 0 || height <= 0)
        return CELEB_EINVAL;
    img->rgb = malloc((size_t)width * (size_t)height * 3);
    return img->rgb ? CELEB_OK : CELEB_ENOMEM;
}

void image_free(image *img)
{
    if (!img) return;
    free(img->rgb);
    img->rgb = NULL;
    img->width = img->height = 0;
}
