/* manifest.c - plain and JSON-lines manifests (see manifest.h). */
#include "manifest.h"

#include <cJSON.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/io.h"
#include "idset.h"

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* Fills it from one trimmed JSON line; returns 0, or -1 on no memory. */
static int parse_json_line(const char *s, size_t n, int line, batch_item *it)
{
    cJSON *j = cJSON_ParseWithLength(s, n);
    const cJSON *src = cJSON_GetObjectItemCaseSensitive(j, "source");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
    char buf[64];
    const char *why = NULL;
    if (!cJSON_IsObject(j))
        why = "not a JSON object";
    else if (!cJSON_IsString(src) || !src->valuestring[0])
        why = "no \"source\" string";
    else if (id && !cJSON_IsString(id) && !cJSON_IsNumber(id))
        why = "\"id\" is neither a string nor a number";
    else if (cJSON_IsString(id) && !id->valuestring[0])
        why = "empty \"id\"";
    if (why) {
        snprintf(buf, sizeof buf, "line:%d", line);
        it->id = strdup(buf);
        it->source = dup_n(s, n);
        size_t m = strlen(why) + 64;
        it->error = malloc(m);
        if (it->error)
            snprintf(it->error, m, "manifest line %d: %s", line, why);
    } else {
        if (cJSON_IsNumber(id)) {
            snprintf(buf, sizeof buf, "%.17g", id->valuedouble);
            it->id = strdup(buf);
        } else {
            it->id = strdup(id ? id->valuestring : src->valuestring);
        }
        it->source = strdup(src->valuestring);
    }
    cJSON_Delete(j);
    return it->id && it->source && (!why || it->error) ? 0 : -1;
}

static void item_free(batch_item *it)
{
    free(it->id);
    free(it->source);
    free(it->error);
}

int batch_manifest_parse(const char *text, size_t len, batch_manifest *out, celeb_error *err)
{
    *out = (batch_manifest){0};
    batch_idset seen = {0};
    size_t cap = 0;
    int line = 0;
    for (size_t pos = 0; pos < len;) {
        const char *eol = memchr(text + pos, '\n', len - pos);
        size_t end = eol ? (size_t)(eol - text) : len;
        const char *s = text + pos;
        size_t n = end - pos;
        pos = end + 1;
        line++;
        while (n && isspace((unsigned char)*s))
            s++, n--;
        while (n && isspace((unsigned char)s[n - 1]))
            n--;
        if (!n || *s == '#')
            continue;
        batch_item it = {.line = line};
        int rc = *s == '{' ? parse_json_line(s, n, line, &it)
                           : ((it.id = dup_n(s, n)) && (it.source = dup_n(s, n))) ? 0 : -1;
        int added = rc == 0 ? batch_idset_add(&seen, it.id) : -1;
        if (added == 0) {
            out->duplicates++;
            item_free(&it);
            continue;
        }
        if (added > 0 && out->count == cap) {
            size_t ncap = cap ? cap * 2 : 256;
            batch_item *grown = realloc(out->items, ncap * sizeof *grown);
            if (grown) {
                out->items = grown;
                cap = ncap;
            } else {
                added = -1;
            }
        }
        if (added < 0) {
            item_free(&it);
            batch_idset_free(&seen);
            batch_manifest_free(out);
            return celeb_fail(err, CELEB_ENOMEM, "manifest: out of memory");
        }
        out->items[out->count++] = it;
    }
    batch_idset_free(&seen);
    return 0;
}

int batch_manifest_read(const char *path, batch_manifest *out, celeb_error *err)
{
    uint8_t *data = NULL;
    size_t size = 0;
    int rc = !strcmp(path, "-") ? read_stream(stdin, "stdin", &data, &size, err)
                                : read_path(path, &data, &size, err);
    if (rc == 0)
        rc = batch_manifest_parse((const char *)data, size, out, err);
    free(data);
    return rc;
}

void batch_manifest_free(batch_manifest *m)
{
    for (size_t i = 0; i < m->count; i++)
        item_free(&m->items[i]);
    free(m->items);
    *m = (batch_manifest){0};
}
