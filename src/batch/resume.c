/* resume.c - complete lines and their ids in an earlier output (see resume.h). */
#include "resume.h"

#include <cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int batch_resume_scan(const char *data, size_t len, batch_resume *out, celeb_error *err)
{
    *out = (batch_resume){0};
    size_t pos = 0;
    while (pos < len) {
        const char *eol = memchr(data + pos, '\n', len - pos);
        if (!eol)
            break;
        size_t n = (size_t)(eol - (data + pos));
        cJSON *j = cJSON_ParseWithLength(data + pos, n);
        if (!cJSON_IsObject(j)) {
            cJSON_Delete(j);
            break;
        }
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
        int rc = cJSON_IsString(id) ? batch_idset_add(&out->done, id->valuestring) : 0;
        cJSON_Delete(j);
        if (rc < 0) {
            batch_resume_free(out);
            return celeb_fail(err, CELEB_ENOMEM, "resume: out of memory");
        }
        out->lines++;
        pos += n + 1;
    }
    out->keep_bytes = pos;
    out->dropped_bytes = len - pos;
    return 0;
}

int batch_resume_fd(int fd, batch_resume *out, celeb_error *err)
{
    *out = (batch_resume){0};
    struct stat st;
    if (fstat(fd, &st) < 0)
        return celeb_fail(err, CELEB_EIO, "resume: %s", strerror(errno));
    size_t len = (size_t)st.st_size;
    char *data = malloc(len + 1);
    if (!data)
        return celeb_fail(err, CELEB_ENOMEM, "resume: out of memory");
    size_t got = 0;
    while (got < len) {
        ssize_t r = pread(fd, data + got, len - got, (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            free(data);
            return celeb_fail(err, CELEB_EIO, "resume: cannot read the output: %s",
                              r < 0 ? strerror(errno) : "file shrank");
        }
        got += (size_t)r;
    }
    int rc = batch_resume_scan(data, len, out, err);
    free(data);
    if (rc == 0 && out->dropped_bytes && ftruncate(fd, (off_t)out->keep_bytes) < 0) {
        rc = celeb_fail(err, CELEB_EIO, "resume: cannot truncate the output: %s", strerror(errno));
        batch_resume_free(out);
    }
    return rc;
}

void batch_resume_free(batch_resume *r)
{
    batch_idset_free(&r->done);
    *r = (batch_resume){0};
}
