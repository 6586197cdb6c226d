/* weights.c - tfjs weights manifest loader, see weights.h. */
#include "weights.h"

#include "../core/io.h"
#include "../core/sha256.h"

#include <cJSON.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_entry(nn_weight *e, const cJSON *j, const unsigned char *bin, long bin_size,
                       long *offset, celeb_error *err)
{
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(j, "name");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(j, "shape");
    const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(j, "dtype");
    const cJSON *quant = cJSON_GetObjectItemCaseSensitive(j, "quantization");
    if (!cJSON_IsString(name) || !cJSON_IsArray(shape) || !cJSON_IsString(dtype))
        return celeb_fail(err, CELEB_EMODEL, "weight entry without name/shape/dtype");
    int is_int = strcmp(dtype->valuestring, "int32") == 0;
    if (!is_int && strcmp(dtype->valuestring, "float32") != 0)
        return celeb_fail(err, CELEB_EMODEL, "%s: unsupported dtype %s", name->valuestring,
                          dtype->valuestring);
    e->rank = cJSON_GetArraySize(shape);
    if (e->rank > NN_MAX_RANK)
        return celeb_fail(err, CELEB_EMODEL, "%s: rank %d > %d", name->valuestring, e->rank,
                          NN_MAX_RANK);
    e->count = 1;
    for (int i = 0; i < e->rank; i++) {
        const cJSON *d = cJSON_GetArrayItem(shape, i);
        if (!cJSON_IsNumber(d) || d->valuedouble < 1 || d->valuedouble > (1 << 24))
            return celeb_fail(err, CELEB_EMODEL, "%s: bad dimension", name->valuestring);
        e->shape[i] = (int)d->valuedouble;
        e->count *= e->shape[i];
        if (e->count > (1L << 28))
            return celeb_fail(err, CELEB_EMODEL, "%s: tensor too large", name->valuestring);
    }
    e->name = strdup(name->valuestring);
    if (!e->name)
        return celeb_fail(err, CELEB_ENOMEM, "out of memory loading %s", name->valuestring);

    if (quant) {
        const cJSON *qd = cJSON_GetObjectItemCaseSensitive(quant, "dtype");
        const cJSON *scale = cJSON_GetObjectItemCaseSensitive(quant, "scale");
        const cJSON *min = cJSON_GetObjectItemCaseSensitive(quant, "min");
        if (!cJSON_IsString(qd) || strcmp(qd->valuestring, "uint8") != 0 || !cJSON_IsNumber(scale) ||
            !cJSON_IsNumber(min))
            return celeb_fail(err, CELEB_EMODEL, "%s: unsupported quantization", e->name);
        if (bin_size - *offset < e->count)
            return celeb_fail(err, CELEB_EMODEL, "%s: weights file too short", e->name);
        const unsigned char *q = bin + *offset;
        const double sc = scale->valuedouble, mn = min->valuedouble;
        /* Every q*scale + min must be a float (and, for int32, a long): a
         * manifest with a scale of 1e300 is broken, not a model. */
        if (!isfinite(sc) || !isfinite(mn) || fabs(mn) + 255.0 * fabs(sc) > FLT_MAX)
            return celeb_fail(err, CELEB_EMODEL, "%s: quantization scale/min out of range", e->name);
        *offset += e->count;
        if (is_int) {
            if (!(e->data = malloc((size_t)e->count * sizeof(float))))
                return celeb_fail(err, CELEB_ENOMEM, "out of memory loading %s", e->name);
            for (long i = 0; i < e->count; i++) {
                double v = q[i] * sc + mn;
                e->data[i] = (float)round(v);   /* half away from zero */
            }
            return CELEB_OK;
        }
        /* Kept as stored; the floats are made when asked for (see find). */
        e->q = malloc((size_t)e->count);
        e->value = malloc(256 * sizeof *e->value);
        if (!e->q || !e->value)
            return celeb_fail(err, CELEB_ENOMEM, "out of memory loading %s", e->name);
        memcpy(e->q, q, (size_t)e->count);
        for (int v = 0; v < 256; v++)
            e->value[v] = (float)(v * sc + mn);
    } else {
        if (!(e->data = malloc((size_t)e->count * sizeof(float))))
            return celeb_fail(err, CELEB_ENOMEM, "out of memory loading %s", e->name);
        if ((bin_size - *offset) / 4 < e->count)
            return celeb_fail(err, CELEB_EMODEL, "%s: weights file too short", e->name);
        const unsigned char *p = bin + *offset;
        for (long i = 0; i < e->count; i++, p += 4) {
            uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                         (uint32_t)p[3] << 24;
            if (is_int) {
                e->data[i] = (float)(int32_t)u;
            } else {
                memcpy(&e->data[i], &u, 4);
            }
        }
        *offset += 4 * e->count;
    }
    return CELEB_OK;
}

/* Parses the manifest; bins[g] holds group g's concatenated bytes. */
static int parse_manifest(nn_weights *w, const cJSON *root, unsigned char **bins, const long *sizes,
                          celeb_error *err)
{
    int total = 0, ngroups = cJSON_GetArraySize(root);
    for (int g = 0; g < ngroups; g++)
        total += cJSON_GetArraySize(
            cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(root, g), "weights"));
    w->items = calloc(total > 0 ? (size_t)total : 1, sizeof *w->items);
    if (!w->items)
        return celeb_fail(err, CELEB_ENOMEM, "out of memory");
    for (int g = 0; g < ngroups; g++) {
        const cJSON *ws =
            cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(root, g), "weights");
        long offset = 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, ws) {
            int rc = parse_entry(&w->items[w->count], e, bins[g], sizes[g], &offset, err);
            w->count++;
            if (rc < 0)
                return rc;
        }
        if (offset != sizes[g])
            return celeb_fail(err, CELEB_EMODEL,
                              "%s: weights use %ld bytes but the data has %ld", w->path, offset,
                              sizes[g]);
    }
    return CELEB_OK;
}

static int check_root(const cJSON *root, const char *path, celeb_error *err)
{
    if (!cJSON_IsArray(root) || cJSON_GetArraySize(root) < 1)
        return celeb_fail(err, CELEB_EMODEL, "%s: not a tfjs weights manifest", path);
    const cJSON *g;
    cJSON_ArrayForEach(g, root) {
        if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(g, "paths")) ||
            !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(g, "weights")))
            return celeb_fail(err, CELEB_EMODEL, "%s: group without paths/weights", path);
    }
    return CELEB_OK;
}

int nn_weights_parse(nn_weights *w, const char *manifest_json, const unsigned char *bin,
                     long bin_size, celeb_error *err)
{
    memset(w, 0, sizeof *w);
    snprintf(w->path, sizeof w->path, "(memory)");
    cJSON *root = cJSON_Parse(manifest_json);
    int rc = check_root(root, w->path, err);
    if (rc == 0 && cJSON_GetArraySize(root) != 1)
        rc = celeb_fail(err, CELEB_EMODEL, "in-memory manifest must have one group");
    if (rc == 0) {
        unsigned char *bins[1] = {(unsigned char *)bin};
        long sizes[1] = {bin_size};
        rc = parse_manifest(w, root, bins, sizes, err);
    }
    cJSON_Delete(root);
    if (rc < 0)
        nn_weights_free(w);
    return rc;
}

int nn_weights_load(nn_weights *w, const char *manifest_path, celeb_error *err)
{
    memset(w, 0, sizeof *w);
    snprintf(w->path, sizeof w->path, "%s", manifest_path);
    uint8_t *text = NULL;
    size_t text_size = 0;
    int rc = read_path(manifest_path, &text, &text_size, err);
    if (rc < 0)
        return rc;
    sha256_hex(text, text_size, w->manifest_sha256);
    cJSON *root = cJSON_Parse((char *)text);
    free(text);
    rc = check_root(root, manifest_path, err);
    int ngroups = rc == 0 ? cJSON_GetArraySize(root) : 0;
    unsigned char **bins = calloc((size_t)ngroups + 1, sizeof *bins);
    long *sizes = calloc((size_t)ngroups + 1, sizeof *sizes);
    if (rc == 0 && (!bins || !sizes))
        rc = celeb_fail(err, CELEB_ENOMEM, "out of memory");

    /* Each group's paths are concatenated; they live beside the manifest. */
    const char *slash = strrchr(manifest_path, '/');
    int dirlen = slash ? (int)(slash - manifest_path + 1) : 0;
    for (int g = 0; rc == 0 && g < ngroups; g++) {
        const cJSON *p;
        cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(root, g), "paths")) {
            if (!cJSON_IsString(p) || strstr(p->valuestring, "..")) {
                rc = celeb_fail(err, CELEB_EMODEL, "%s: bad path entry", manifest_path);
                break;
            }
            char path[1024];
            snprintf(path, sizeof path, "%.*s%s", dirlen, manifest_path, p->valuestring);
            uint8_t *part;
            size_t n;
            if ((rc = read_path(path, &part, &n, err)) < 0)
                break;
            if (!bins[g]) {   /* the group's first (usually only) file: kept as read */
                bins[g] = part;
                sizes[g] = (long)n;
                continue;
            }
            unsigned char *grown = realloc(bins[g], (size_t)(sizes[g] + n));
            if (!grown) {
                free(part);
                rc = celeb_fail(err, CELEB_ENOMEM, "out of memory");
                break;
            }
            memcpy(grown + sizes[g], part, (size_t)n);
            free(part);
            bins[g] = grown;
            sizes[g] += n;
        }
    }
    if (rc == 0) {
        /* The model id: the hash of the very bytes parsed. */
        const void **parts = malloc((size_t)ngroups * sizeof *parts);
        size_t *part_sizes = malloc((size_t)ngroups * sizeof *part_sizes);
        if (!parts || !part_sizes)
            rc = celeb_fail(err, CELEB_ENOMEM, "out of memory");
        for (int g = 0; rc == 0 && g < ngroups; g++) {
            parts[g] = bins[g];
            part_sizes[g] = (size_t)sizes[g];
        }
        if (rc == 0)
            sha256_hex_parts(parts, part_sizes, ngroups, w->sha256);
        free(parts);
        free(part_sizes);
        if (rc == 0)
            rc = parse_manifest(w, root, bins, sizes, err);
    }
    for (int g = 0; g < ngroups; g++)
        free(bins[g]);
    free(bins);
    free(sizes);
    cJSON_Delete(root);
    if (rc < 0)
        nn_weights_free(w);
    return rc;
}

int nn_weights_load_model(nn_weights *w, const char *model_dir, const char *model,
                          celeb_error *err)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s-weights_manifest.json", model_dir, model);
    return nn_weights_load(w, path, err);
}

void nn_weights_free(nn_weights *w)
{
    for (int i = 0; i < w->count; i++) {
        free(w->items[i].name);
        free(w->items[i].data);
        free(w->items[i].q);
        free(w->items[i].value);
    }
    free(w->items);
    w->items = NULL;
    w->count = 0;
}

/* The entry called name with exactly these dims, or NULL with err set. */
static nn_weight *find(const nn_weights *w, const char *name, int rank, const int *dims,
                       celeb_error *err)
{
    for (int i = 0; i < w->count; i++) {
        nn_weight *e = &w->items[i];
        if (e->taken || strcmp(e->name, name) != 0)
            continue;
        int same = e->rank == rank;
        for (int d = 0; same && d < rank; d++)
            same = e->shape[d] == dims[d];
        if (!same) {
            celeb_fail(err, CELEB_EMODEL, "%s: weight %s has an unexpected shape", w->path, name);
            return NULL;
        }
        return e;
    }
    celeb_fail(err, CELEB_EMODEL, "%s: weight %s is missing", w->path, name);
    return NULL;
}

const float *nn_weights_get(const nn_weights *w, const char *name, int rank, const int *dims,
                            celeb_error *err)
{
    nn_weight *e = find(w, name, rank, dims, err);
    if (e && !e->data) {   /* a quantized tensor's floats, made once */
        if (!(e->data = malloc((size_t)e->count * sizeof *e->data))) {
            celeb_fail(err, CELEB_ENOMEM, "out of memory for weight %s", name);
            return NULL;
        }
        for (long i = 0; i < e->count; i++)
            e->data[i] = e->value[e->q[i]];
    }
    return e ? e->data : NULL;
}

int nn_weights_take_filter(nn_weights *w, const char *name, int rank, const int *dims,
                           nn_filter *f, celeb_error *err)
{
    memset(f, 0, sizeof *f);
    nn_weight *e = find(w, name, rank, dims, err);
    if (!e)
        return CELEB_EMODEL;
    if (e->data) {   /* floats as stored, or already made: the floats */
        f->data = e->data;
        e->data = NULL;
    } else {
        f->q = e->q;
        f->value = e->value;
        e->q = NULL;
        e->value = NULL;
    }
    e->taken = 1;
    return CELEB_OK;
}
