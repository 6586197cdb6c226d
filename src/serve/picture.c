/* picture.c - see picture.h. */
#include "picture.h"

#include <math.h>
#include <stdio.h>   /* before jpeglib.h, which uses FILE */
#include <jpeglib.h>
#include <stdlib.h>
#include <string.h>

#include "../align/input.h"

int picture_jpeg(const image *img, int quality, uint8_t **out, size_t *size, celeb_error *err)
{
    *out = NULL;
    *size = 0;
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr jerr;
    unsigned char *buf = NULL;
    unsigned long len = 0;
    /* The default error handler exits the process; but nothing here can
     * fail except allocation, which libjpeg treats the same way, and the
     * input is always a valid RGB8 image. */
    c.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &buf, &len);
    c.image_width = (JDIMENSION)img->width;
    c.image_height = (JDIMENSION)img->height;
    c.input_components = 3;
    c.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, quality, TRUE);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = img->rgb + (size_t)c.next_scanline * img->width * 3;
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    if (!buf)
        return celeb_fail(err, CELEB_ENOMEM, "out of memory for a JPEG");
    /* jpeg_mem_dest's buffer is malloc'd: hand it over as it is. */
    *out = buf;
    *size = len;
    return CELEB_OK;
}

int picture_face_thumb(const image *img, const face_box *box, int size, image *out, celeb_error *err)
{
    *out = (image){0};
    double side = fmax(box->w, box->h) * 1.5;
    double cx = box->x + box->w / 2, cy = box->y + box->h / 2;
    int x0 = (int)floor(cx - side / 2), y0 = (int)floor(cy - side / 2);
    int x1 = (int)ceil(cx + side / 2), y1 = (int)ceil(cy + side / 2);
    x0 = x0 < 0 ? 0 : x0;
    y0 = y0 < 0 ? 0 : y0;
    x1 = x1 > img->width ? img->width : x1;
    y1 = y1 > img->height ? img->height : y1;
    if (x1 <= x0 || y1 <= y0)
        return celeb_fail(err, CELEB_EINVAL, "the face box lies outside the picture");
    float *px = malloc((size_t)size * size * 3 * sizeof *px);
    if (!px || image_alloc(out, size, size) < 0) {
        free(px);
        return celeb_fail(err, CELEB_ENOMEM, "out of memory for a thumbnail");
    }
    const input_norm identity = {.mean = {0, 0, 0}, .scale = 1, .offset = 0};
    input_from_region(img, (int_rect){x0, y0, x1 - x0, y1 - y0}, size, 1, &identity, px);
    for (size_t i = 0; i < (size_t)size * size * 3; i++) {
        float v = roundf(px[i]);
        out->rgb[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
    free(px);
    return CELEB_OK;
}

int picture_scaled(const image *img, int max_side, image *out, celeb_error *err)
{
    *out = (image){0};
    int longer = img->width > img->height ? img->width : img->height;
    double f = longer > max_side ? (double)max_side / longer : 1.0;
    int w = (int)lround(img->width * f), h = (int)lround(img->height * f);
    w = w < 1 ? 1 : w;
    h = h < 1 ? 1 : h;
    if (image_alloc(out, w, h) < 0)
        return celeb_fail(err, CELEB_ENOMEM, "out of memory for a %dx%d picture", w, h);
    /* Each output pixel averages the source pixels its footprint covers. */
    for (int y = 0; y < h; y++) {
        int sy0 = (int)((long)y * img->height / h), sy1 = (int)((long)(y + 1) * img->height / h);
        sy1 = sy1 > sy0 ? sy1 : sy0 + 1;
        for (int x = 0; x < w; x++) {
            int sx0 = (int)((long)x * img->width / w), sx1 = (int)((long)(x + 1) * img->width / w);
            sx1 = sx1 > sx0 ? sx1 : sx0 + 1;
            unsigned sum[3] = {0, 0, 0};
            for (int sy = sy0; sy < sy1; sy++)
                for (int sx = sx0; sx < sx1; sx++)
                    for (int c = 0; c < 3; c++)
                        sum[c] += img->rgb[((size_t)sy * img->width + sx) * 3 + c];
            unsigned n = (unsigned)((sy1 - sy0) * (sx1 - sx0));
            for (int c = 0; c < 3; c++)
                out->rgb[((size_t)y * w + x) * 3 + c] = (uint8_t)((sum[c] + n / 2) / n);
        }
    }
    return CELEB_OK;
}

char *picture_data_url(const uint8_t *jpeg, size_t size)
{
    static const char prefix[] = "data:image/jpeg;base64,";
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = sizeof prefix - 1 + (size + 2) / 3 * 4 + 1;
    char *s = malloc(n), *p;
    if (!s)
        return NULL;
    memcpy(s, prefix, sizeof prefix - 1);
    p = s + sizeof prefix - 1;
    size_t i = 0;
    for (; i + 2 < size; i += 3) {
        uint32_t v = (uint32_t)jpeg[i] << 16 | (uint32_t)jpeg[i + 1] << 8 | jpeg[i + 2];
        *p++ = digits[v >> 18 & 63];
        *p++ = digits[v >> 12 & 63];
        *p++ = digits[v >> 6 & 63];
        *p++ = digits[v & 63];
    }
    if (i < size) {
        uint32_t v = (uint32_t)jpeg[i] << 16 | (i + 1 < size ? (uint32_t)jpeg[i + 1] << 8 : 0);
        *p++ = digits[v >> 18 & 63];
        *p++ = digits[v >> 12 & 63];
        *p++ = i + 1 < size ? digits[v >> 6 & 63] : '=';
        *p++ = '=';
    }
    *p = 0;
    return s;
}
