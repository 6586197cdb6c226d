/* output.c - result and error records, written a whole line at a time (see output.h). */
#include "output.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

cJSON *batch_result_record(const char *id, cJSON *doc)
{
    cJSON *rec = cJSON_CreateObject();
    if (!rec || !cJSON_AddStringToObject(rec, "id", id)) {
        cJSON_Delete(rec);
        cJSON_Delete(doc);
        return NULL;
    }
    while (doc && doc->child) {
        cJSON *c = cJSON_DetachItemViaPointer(doc, doc->child);
        if (!strcmp(c->string, "id")) {   /* ours wins */
            cJSON_Delete(c);
            continue;
        }
        char *key = c->string;
        c->string = NULL;
        cJSON_AddItemToObject(rec, key, c);
        free(key);
    }
    cJSON_Delete(doc);
    return rec;
}

cJSON *batch_error_record(const char *id, const char *source, int code, const char *message)
{
    cJSON *rec = cJSON_CreateObject();
    cJSON_AddStringToObject(rec, "id", id);
    cJSON_AddStringToObject(rec, "source", source);
    cJSON *e = cJSON_AddObjectToObject(rec, "error");
    cJSON_AddStringToObject(e, "code", celeb_error_name(code));
    cJSON_AddStringToObject(e, "message", message);
    if (!e || !cJSON_GetObjectItemCaseSensitive(e, "message")) {
        cJSON_Delete(rec);
        return NULL;
    }
    return rec;
}

int batch_write_record(int fd, const cJSON *rec, celeb_error *err)
{
    char *s = cJSON_PrintUnformatted(rec);
    if (!s)
        return celeb_fail(err, CELEB_ENOMEM, "output: out of memory");
    size_t n = strlen(s);
    char *line = s;
    line[n++] = '\n';   /* replaces the NUL: the line is not a C string any more */
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, line + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = errno;
            free(line);
            return celeb_fail(err, CELEB_EIO, "output: write failed: %s", w < 0 ? strerror(e) : "no progress");
        }
        done += (size_t)w;
    }
    free(line);
    return 0;
}
