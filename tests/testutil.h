/* testutil.h - helpers shared by the C tests (header-only, static functions).
 *
 * Tests read ../shared (relative to the project root, where they run) or
 * $CELEB_SHARED; nothing from shared/ is ever copied into the project. */
#ifndef CELEB_TESTUTIL_H
#define CELEB_TESTUTIL_H

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline const char *shared_dir(void)
{
    const char *s = getenv("CELEB_SHARED");
    return s && *s ? s : "../shared";
}

/* "<shared>/<rel>" in a static buffer per call site (copy it if kept). */
static inline const char *shared_path(char *buf, size_t size, const char *rel)
{
    snprintf(buf, size, "%s/%s", shared_dir(), rel);
    return buf;
}

/* Reads a JSON-lines file; returns a cJSON array of the parsed lines (caller
 * deletes), or NULL if the file is missing. */
static inline cJSON *read_jsonl(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    cJSON *arr = cJSON_CreateArray();
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        cJSON *o = cJSON_Parse(line);
        if (o)
            cJSON_AddItemToArray(arr, o);
    }
    free(line);
    fclose(f);
    return arr;
}

static inline double json_num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : 0.0;
}

#endif
