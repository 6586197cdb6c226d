/* media_src.c - the byte source under every decoder and the helpers the
 * backends share (also linked into the FFmpeg plugin, see media_plugin.c). */
#include "media_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_LOAD_BYTES ((size_t)1 << 30)       /* still images are read whole */

/* ---- input source ---------------------------------------------------- */

int64_t media_src_pread(const media_src *s, void *buf, size_t n, int64_t off)
{
    if (off < 0) return -1;
    if (s->data || s->fd < 0) {
        if ((uint64_t)off >= s->size) return 0;
        size_t avail = s->size - (size_t)off;
        if (n > avail) n = avail;
        if (n) memcpy(buf, s->data + off, n);
        return (int64_t)n;
    }
    size_t done = 0;
    while (done < n) {
        ssize_t r = pread(s->fd, (uint8_t *)buf + done, n - done, (off_t)(off + (int64_t)done));
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (r == 0) break;
        done += (size_t)r;
    }
    return (int64_t)done;
}

int media_src_load(media_src *s, celeb_error *err)
{
    if (s->data || s->fd < 0) return CELEB_OK;
    if (s->size > MAX_LOAD_BYTES)
        return celeb_fail(err, CELEB_ELIMIT, "file too large for a still image (%zu bytes)", s->size);
    uint8_t *buf = calloc(1, s->size + MEDIA_PAD);
    if (!buf) return celeb_fail(err, CELEB_ENOMEM, "out of memory reading %zu bytes", s->size);
    int64_t r = media_src_pread(s, buf, s->size, 0);
    if (r < 0) {
        free(buf);
        return celeb_fail(err, CELEB_EIO, "read failed: %s", strerror(errno));
    }
    s->data = buf;
    s->size = (size_t)r; /* the file may have shrunk since fstat */
    close(s->fd);
    s->fd = -1;
    return CELEB_OK;
}

/* ---- helpers for the backends ------------------------------------------ */

int media_check_size(const media *m, const char *what, int64_t width, int64_t height,
                     celeb_error *err)
{
    if (width <= 0 || height <= 0)
        return celeb_fail(err, CELEB_ECORRUPT, "%s has an invalid size %lldx%lld", what,
                          (long long)width, (long long)height);
    if (width > 65535 || height > 65535 || width * height > m->lim.max_pixels)
        return celeb_fail(err, CELEB_ELIMIT, "%s frame %lldx%lld exceeds the limit of %lld pixels",
                          what, (long long)width, (long long)height, (long long)m->lim.max_pixels);
    return CELEB_OK;
}

int media_frame_buffer(media *m, int width, int height, celeb_error *err)
{
    if (m->frame.rgb && m->frame.width == width && m->frame.height == height) return CELEB_OK;
    image_free(&m->frame);
    if (image_alloc(&m->frame, width, height) != CELEB_OK)
        return celeb_fail(err, CELEB_ENOMEM, "out of memory for a %dx%d frame", width, height);
    return CELEB_OK;
}

