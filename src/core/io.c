/* io.c - see io.h. */
#include "io.h"

#include <stdlib.h>
#include <sys/stat.h>

int read_stream(FILE *f, const char *what, uint8_t **data, size_t *size, celeb_error *err)
{
    size_t cap = 1 << 20, n = 0, got;
    uint8_t *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            uint8_t *grown = realloc(buf, cap *= 2);
            if (!grown)
                free(buf);
            buf = grown;
        }
    }
    if (buf && n == cap) {   /* room for the terminating NUL */
        uint8_t *grown = realloc(buf, n + 1);
        if (!grown)
            free(buf);
        buf = grown;
    }
    if (!buf)
        return celeb_fail(err, CELEB_ENOMEM, "%s: out of memory", what);
    buf[n] = 0;
    if (ferror(f)) {
        free(buf);
        return celeb_fail(err, CELEB_EIO, "%s: read error", what);
    }
    *data = buf;
    *size = n;
    return CELEB_OK;
}

int read_path(const char *path, uint8_t **data, size_t *size, celeb_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return celeb_fail(err, CELEB_EIO, "%s: cannot open", path);
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        return celeb_fail(err, CELEB_EFORMAT, "%s: is a directory, not a media file", path);
    }
    int rc = read_stream(f, path, data, size, err);
    fclose(f);
    return rc;
}
