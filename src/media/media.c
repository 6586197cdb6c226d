/* media.c - public entry points of the media module: open a file or a memory
 * buffer, sniff the format from its magic bytes (never the file name),
 * dispatch to a backend (media_jpeg.c, media_webp.c, media_gif.c, and
 * media_ffmpeg.c through media_plugin.c), and
 * hand out frames while enforcing the media_limits. */
#include "media_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_MAX_PIXELS 64000000LL          /* 64 Mpx */
#define DEFAULT_MAX_FRAMES 20000
#define DEFAULT_MAX_TOTAL_PIXELS 4000000000LL  /* 4 Gpx */

typedef enum {
    FMT_UNKNOWN, FMT_JPEG, FMT_PNG, FMT_GIF, FMT_WEBP, FMT_MP4, FMT_MOV, FMT_WEBM, FMT_MKV
} media_fmt;

/* ---- sniffing ------------------------------------------------------------ */

static int has_bytes(const uint8_t *h, size_t n, size_t off, const char *s)
{
    size_t len = strlen(s);
    return off + len <= n && memcmp(h + off, s, len) == 0;
}

static int find_bytes(const uint8_t *h, size_t n, const char *s)
{
    size_t len = strlen(s);
    for (size_t i = 0; i + len <= n; i++)
        if (memcmp(h + i, s, len) == 0) return 1;
    return 0;
}

static media_fmt sniff(const uint8_t *h, size_t n)
{
    static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a};
    static const uint8_t ebml_sig[4] = {0x1a, 0x45, 0xdf, 0xa3};
    if (n >= 3 && h[0] == 0xff && h[1] == 0xd8 && h[2] == 0xff) return FMT_JPEG;
    if (n >= 8 && memcmp(h, png_sig, 8) == 0) return FMT_PNG;
    if (has_bytes(h, n, 0, "GIF87a") || has_bytes(h, n, 0, "GIF89a")) return FMT_GIF;
    if (has_bytes(h, n, 0, "RIFF") && has_bytes(h, n, 8, "WEBP")) return FMT_WEBP;
    if (has_bytes(h, n, 4, "ftyp")) return has_bytes(h, n, 8, "qt  ") ? FMT_MOV : FMT_MP4;
    if (has_bytes(h, n, 4, "moov") || has_bytes(h, n, 4, "mdat") || has_bytes(h, n, 4, "wide") ||
        has_bytes(h, n, 4, "free") || has_bytes(h, n, 4, "skip"))
        return FMT_MOV; /* old QuickTime files without ftyp */
    if (n >= 4 && memcmp(h, ebml_sig, 4) == 0) return find_bytes(h, n, "webm") ? FMT_WEBM : FMT_MKV;
    return FMT_UNKNOWN;
}

/* ---- open / close ---------------------------------------------------------- */

static void fill_limits(media_limits *dst, const media_limits *src)
{
    media_limits z = {0};
    if (!src) src = &z;
    dst->max_pixels = src->max_pixels > 0 ? src->max_pixels : DEFAULT_MAX_PIXELS;
    dst->max_frames = src->max_frames > 0 ? src->max_frames : DEFAULT_MAX_FRAMES;
    dst->max_total_pixels = src->max_total_pixels > 0 ? src->max_total_pixels : DEFAULT_MAX_TOTAL_PIXELS;
}

/* Prefixes err->message with the input's name. */
static int with_name(celeb_error *err, const char *name, int code)
{
    if (err) {
        char msg[sizeof err->message];
        snprintf(msg, sizeof msg, "%s", err->message[0] ? err->message : "decode failed");
        celeb_fail(err, code, "%s: %s", name, msg);
    }
    return code;
}

/* Sniffs and dispatches. On failure m is freed. */
static int open_common(media *m, const char *name, media **out, celeb_error *err)
{
    uint8_t head[64];
    int64_t n = media_src_pread(&m->src, head, sizeof head, 0);
    int rc;
    if (n < 0) {
        rc = celeb_fail(err, CELEB_EIO, "%s: read failed: %s", name, strerror(errno));
        media_close(m);
        return rc;
    }
    if (n == 0) {
        rc = celeb_fail(err, CELEB_EFORMAT, "%s: empty file", name);
        media_close(m);
        return rc;
    }
    snprintf(m->name, sizeof m->name, "%s", name);
    if (err) err->message[0] = '\0';
    switch (sniff(head, (size_t)n)) {
    case FMT_JPEG: rc = media_jpeg_open(m, err); break;
    case FMT_PNG: rc = media_png_open(m, err); break;
    case FMT_WEBP: rc = media_webp_open(m, err); break;
    case FMT_GIF: rc = media_gif_open(m, err); break;
    case FMT_MP4: rc = media_av_open(m, "mp4", err); break;
    case FMT_MOV: rc = media_av_open(m, "mov", err); break;
    case FMT_WEBM: rc = media_av_open(m, "webm", err); break;
    case FMT_MKV: rc = media_av_open(m, "mkv", err); break;
    default:
        {
            char hex[3 * 8 + 1] = "";
            size_t len = 0;
            for (int i = 0; i < 8 && i < n; i++)
                len += (size_t)snprintf(hex + len, sizeof hex - len, "%s%02x", i ? " " : "", head[i]);
            rc = celeb_fail(err, CELEB_EFORMAT,
                            "%s: unsupported format (first bytes: %s; expected JPEG, PNG, GIF, "
                            "WebP, MP4/MOV or WebM)", name, hex);
        }
        media_close(m);
        return rc;
    }
    if (rc < 0) {
        with_name(err, name, rc);
        media_close(m);
        return rc;
    }
    *out = m;
    return CELEB_OK;
}

static media *media_new(const media_limits *lim)
{
    media *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->src.fd = -1;
    fill_limits(&m->lim, lim);
    return m;
}

int media_open_file(const char *path, const media_limits *lim, media **out, celeb_error *err)
{
    if (!out || !path) return celeb_fail(err, CELEB_EINVAL, "media_open_file: NULL argument");
    *out = NULL;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer (it is then refused below). */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return celeb_fail(err, CELEB_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return celeb_fail(err, CELEB_EIO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return celeb_fail(err, CELEB_EFORMAT, "%s: is a directory, not a media file", path);
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return celeb_fail(err, CELEB_EFORMAT, "%s: not a regular file", path);
    }
    media *m = media_new(lim);
    if (!m) {
        close(fd);
        return celeb_fail(err, CELEB_ENOMEM, "%s: out of memory", path);
    }
    m->src.fd = fd;
    m->src.size = (size_t)st.st_size;
    return open_common(m, path, out, err);
}

int media_open_memory(const uint8_t *data, size_t size, const media_limits *lim, media **out,
                      celeb_error *err)
{
    if (!out || (!data && size)) return celeb_fail(err, CELEB_EINVAL, "media_open_memory: NULL argument");
    *out = NULL;
    media *m = media_new(lim);
    if (!m) return celeb_fail(err, CELEB_ENOMEM, "<memory>: out of memory");
    if (size) {
        m->src.data = calloc(1, size + MEDIA_PAD);
        if (!m->src.data) {
            free(m);
            return celeb_fail(err, CELEB_ENOMEM, "<memory>: out of memory copying %zu bytes", size);
        }
        memcpy(m->src.data, data, size);
    }
    m->src.size = size;
    return open_common(m, "<memory>", out, err);
}

const media_info *media_get_info(const media *m)
{
    return m ? &m->info : NULL;
}

int media_next_frame(media *m, media_frame *f, celeb_error *err)
{
    if (!m || !f) return celeb_fail(err, CELEB_EINVAL, "media_next_frame: NULL argument");
    if (m->sticky) {
        if (err) *err = m->sticky_err;
        return m->sticky;
    }
    int64_t px = (int64_t)m->info.width * m->info.height;
    int rc;
    int64_t t_ms = 0;
    if (!m->ops) {
        if (m->next_index > 0) return 0;
        rc = 1;
    } else {
        if (m->next_index >= m->lim.max_frames) {
            rc = celeb_fail(&m->sticky_err, CELEB_ELIMIT, "more than %d frames", m->lim.max_frames);
            goto fail;
        }
        if (m->total_pixels + px > m->lim.max_total_pixels) {
            rc = celeb_fail(&m->sticky_err, CELEB_ELIMIT,
                            "frame %d would exceed the limit of %lld decoded pixels", m->next_index,
                            (long long)m->lim.max_total_pixels);
            goto fail;
        }
        m->sticky_err.message[0] = '\0';
        rc = m->ops->next(m, &t_ms, &m->sticky_err);
        if (rc < 0) goto fail;
        if (rc == 0) return 0;
    }
    m->total_pixels += px;
    f->img = m->frame;
    f->index = m->next_index++;
    f->t_ms = t_ms;
    return 1;
fail:
    with_name(&m->sticky_err, m->name, rc);
    m->sticky = rc;
    if (err) *err = m->sticky_err;
    return rc;
}

void media_close(media *m)
{
    if (!m) return;
    if (m->ops && m->ops->close) m->ops->close(m);
    image_free(&m->frame);
    free(m->src.data);
    if (m->src.fd >= 0) close(m->src.fd);
    free(m);
}

int media_read_frame(const char *path, int index, image *img, celeb_error *err)
{
    media *m;
    media_frame f;
    *img = (image){0};
    int rc = media_open_file(path, NULL, &m, err);
    if (rc < 0)
        return rc;
    while ((rc = media_next_frame(m, &f, err)) > 0 && f.index != index)
        ;
    if (rc > 0) {
        rc = image_alloc(img, f.img.width, f.img.height);
        if (rc == 0)
            memcpy(img->rgb, f.img.rgb, (size_t)img->width * img->height * 3);
        else
            rc = celeb_fail(err, rc, "%s: out of memory for a %dx%d frame", path, f.img.width,
                            f.img.height);
    } else if (rc == 0) {
        rc = celeb_fail(err, CELEB_EINVAL, "%s: no frame %d", path, index);
    }
    media_close(m);
    return rc;
}
