/* grouping.c - our grouping against GIPHY's on the faces of one media, see
 * grouping.h. */
#include "grouping.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../group/group.h"
#include "../media/media.h"
#include "metrics.h"

// ----------------------------------------------------------------------------
// GIPHY's classes from the gallery

int eval_classes_from_gallery(const gallery_face *faces, int n, eval_classes *out,
                              celeb_error *err)
{
    memset(out, 0, sizeof *out);
    out->name = calloc((size_t)(n > 0 ? n : 1), sizeof *out->name);
    out->center = calloc((size_t)(n > 0 ? n : 1), sizeof *out->center);
    int *count = calloc((size_t)(n > 0 ? n : 1), sizeof *count);
    if (!out->name || !out->center || !count) {
        free(count);
        eval_classes_free(out);
        return celeb_fail(err, CELEB_ENOMEM, "out of memory for %d gallery faces", n);
    }
    for (int i = 0; i < n; i++) {
        int c = 0;
        while (c < out->k && strcmp(out->name[c], faces[i].name))
            c++;
        if (c == out->k)
            memcpy(out->name[out->k++], faces[i].name, GALLERY_NAME_MAX);
        double norm = 0;
        for (int j = 0; j < GMM_DIM; j++)
            norm += (double)faces[i].descriptor[j] * faces[i].descriptor[j];
        norm = sqrt(norm) > 1e-12 ? sqrt(norm) : 1e-12;
        for (int j = 0; j < GMM_DIM; j++)   /* running mean of normalised descriptors */
            out->center[c][j] += (float)((faces[i].descriptor[j] / norm - out->center[c][j]) / (count[c] + 1));
        count[c]++;
    }
    free(count);
    return CELEB_OK;
}

void eval_classes_free(eval_classes *c)
{
    free(c->name);
    free(c->center);
    memset(c, 0, sizeof *c);
}

// ----------------------------------------------------------------------------
// The faces celeb detect reported

typedef struct media_faces {
    int n;
    face *f;          /* box from the document; landmarks and descriptor recomputed */
    int *frame;       /* frame index */
    int *person;      /* our person */
} media_faces;

static void media_faces_free(media_faces *m)
{
    free(m->f);
    free(m->frame);
    free(m->person);
}

static double number(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* Every appearance of every person of a celeb.detect/1 document. */
static int collect_faces(const cJSON *doc, media_faces *m, celeb_error *err)
{
    const cJSON *persons = cJSON_GetObjectItemCaseSensitive(doc, "persons"), *p, *a;
    int n = 0, k = 0, id = 0;
    cJSON_ArrayForEach(p, persons)
        n += cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(p, "appearances"));
    m->n = n;
    m->f = calloc((size_t)(n > 0 ? n : 1), sizeof *m->f);
    m->frame = malloc((size_t)(n > 0 ? n : 1) * sizeof *m->frame);
    m->person = malloc((size_t)(n > 0 ? n : 1) * sizeof *m->person);
    if (!m->f || !m->frame || !m->person)
        return celeb_fail(err, CELEB_ENOMEM, "out of memory for %d faces", n);
    cJSON_ArrayForEach(p, persons) {
        cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(p, "appearances")) {
            const cJSON *box = cJSON_GetObjectItemCaseSensitive(a, "box");
            if (cJSON_GetArraySize(box) != 4)
                return celeb_fail(err, CELEB_EINTERNAL, "appearance without a box");
            m->f[k].box = (face_box){cJSON_GetArrayItem(box, 0)->valuedouble,
                                     cJSON_GetArrayItem(box, 1)->valuedouble,
                                     cJSON_GetArrayItem(box, 2)->valuedouble,
                                     cJSON_GetArrayItem(box, 3)->valuedouble, number(a, "score")};
            m->frame[k] = (int)number(a, "frame");
            m->person[k++] = id;
        }
        id++;
    }
    return CELEB_OK;
}

/* The faces of one decoded frame, described as one batch (as the pipeline does). */
static int describe_frame(face_engine *e, const image *img, int frame, media_faces *m,
                          face *tmp, int *idx, celeb_error *err)
{
    int k = 0;
    for (int i = 0; i < m->n; i++)
        if (m->frame[i] == frame) {
            idx[k] = i;
            tmp[k++] = m->f[i];
        }
    int rc = face_engine_describe(e, img, tmp, k, err);
    for (int j = 0; rc == 0 && j < k; j++)
        m->f[idx[j]] = tmp[j];
    return rc;
}

/* Decodes the media once and describes every reported face on its frame. */
static int describe_faces(face_engine *e, const char *path, media_faces *m, celeb_error *err)
{
    int last = -1;
    for (int i = 0; i < m->n; i++)
        last = m->frame[i] > last ? m->frame[i] : last;
    if (last < 0)
        return CELEB_OK;
    face *tmp = malloc((size_t)m->n * sizeof *tmp);
    int *idx = malloc((size_t)m->n * sizeof *idx);
    media *md = NULL;
    int rc = tmp && idx ? media_open_file(path, NULL, &md, err)
                        : celeb_fail(err, CELEB_ENOMEM, "out of memory");
    media_frame f;
    while (rc == 0) {
        int got = media_next_frame(md, &f, err);
        if (got <= 0) {
            rc = got < 0 ? got : celeb_fail(err, CELEB_ECORRUPT, "%s ended before frame %d", path, last);
            break;
        }
        rc = describe_frame(e, &f.img, f.index, m, tmp, idx, err);
        if (f.index >= last)
            break;
    }
    if (md)
        media_close(md);
    free(tmp);
    free(idx);
    return rc;
}

// ----------------------------------------------------------------------------
// The comparison

typedef struct groupings {
    int *regrouped;        /* group_faces on the recomputed descriptors */
    int *baseline;         /* GIPHY's cluster per face */
    int *label;            /* per-face name: class index, -1 unknown */
    giphy_cluster *clusters;
    giphy_grouping gg;
    int regrouped_persons;
} groupings;

static void groupings_free(groupings *g)
{
    free(g->regrouped);
    free(g->baseline);
    free(g->label);
    free(g->clusters);
}

static int class_of(const eval_classes *c, const char *name)
{
    for (int i = 0; i < c->k; i++)
        if (!strcmp(c->name[i], name))
            return i;
    return -1;
}

static int run_groupings(const eval_grouping_ctx *g, const media_faces *m, groupings *out,
                         celeb_error *err)
{
    int n = m->n, rc = CELEB_OK;
    size_t cap = (size_t)(n > 0 ? n : 1);
    group_face *gf = calloc(cap, sizeof *gf);
    float (*descs)[GMM_DIM] = malloc(cap * sizeof *descs);
    out->regrouped = malloc(cap * sizeof *out->regrouped);
    out->baseline = malloc(cap * sizeof *out->baseline);
    out->label = malloc(cap * sizeof *out->label);
    out->clusters = calloc(cap, sizeof *out->clusters);
    if (!gf || !descs || !out->regrouped || !out->baseline || !out->label || !out->clusters)
        rc = celeb_fail(err, CELEB_ENOMEM, "out of memory for %d faces", n);
    identify_options io = {.threshold = g->threshold};
    for (int i = 0; rc == 0 && i < n; i++) {
        gf[i].frame = m->frame[i];
        memcpy(gf[i].descriptor, m->f[i].descriptor, sizeof gf[i].descriptor);
        memcpy(descs[i], m->f[i].descriptor, sizeof descs[i]);
        identify_result r;
        identify_face(g->index, m->f[i].descriptor, &io, &r);
        out->label[i] = r.known ? class_of(g->classes, r.name) : -1;
    }
    if (rc == 0)
        rc = group_faces(gf, n, NULL, out->regrouped, &out->regrouped_persons, err);
    if (rc == 0)
        rc = giphy_group((const float(*)[GMM_DIM])descs, n, (const float(*)[GMM_DIM])g->classes->center,
                         g->classes->k, 0, out->baseline, out->clusters, &out->gg, err);
    free(gf);
    free(descs);
    return rc;
}

static cJSON *ours_json(const cJSON *doc, const media_faces *m, const groupings *gr,
                        const eval_partition_cmp *cmp)
{
    cJSON *o = cJSON_CreateObject(), *names = cJSON_CreateArray();
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(doc, "persons")) {
        cJSON *e = cJSON_CreateObject();
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(p, "name");
        cJSON_AddStringToObject(e, "name", cJSON_IsString(name) ? name->valuestring : "unknown");
        cJSON_AddNumberToObject(e, "faces", cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(p, "appearances")));
        cJSON_AddItemToArray(names, e);
    }
    cJSON_AddNumberToObject(o, "persons", cJSON_GetArraySize(names));
    cJSON_AddItemToObject(o, "names", names);
    cJSON_AddNumberToObject(o, "same_frame_merges", (double)cmp->frame_merged_a);
    cJSON_AddNumberToObject(o, "label_purity", eval_purity(m->person, gr->label, m->n));
    return o;
}

static cJSON *baseline_json(const eval_classes *c, const media_faces *m, const groupings *gr,
                            const eval_partition_cmp *cmp)
{
    cJSON *o = cJSON_CreateObject(), *names = cJSON_CreateArray();
    int dropped = 0;
    for (int i = 0; i < gr->gg.clusters; i++) {
        const giphy_cluster *k = &gr->clusters[i];
        dropped += k->underflow;
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "name", k->n_top ? c->name[k->top[0]] : "(dropped: underflow)");
        cJSON_AddNumberToObject(e, "p", k->n_top ? k->p[0] : 0);
        cJSON_AddNumberToObject(e, "is_known", k->is_known);
        cJSON_AddNumberToObject(e, "faces", k->faces);
        cJSON_AddItemToArray(names, e);
    }
    cJSON_AddNumberToObject(o, "persons", gr->gg.clusters - dropped);
    cJSON_AddNumberToObject(o, "clusters", gr->gg.clusters);
    cJSON_AddNumberToObject(o, "dropped_underflow", dropped);
    cJSON_AddNumberToObject(o, "components", gr->gg.components);
    cJSON_AddNumberToObject(o, "iterations", gr->gg.iterations);
    cJSON_AddItemToObject(o, "names", names);
    cJSON_AddNumberToObject(o, "same_frame_merges", (double)cmp->frame_merged_b);
    cJSON_AddNumberToObject(o, "label_purity", eval_purity(gr->baseline, gr->label, m->n));
    return o;
}

static cJSON *pairs_json(const eval_partition_cmp *cmp)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "pairs", (double)cmp->pairs);
    cJSON_AddNumberToObject(o, "agree", (double)cmp->agree);
    cJSON_AddNumberToObject(o, "agreement", cmp->pairs ? (double)cmp->agree / cmp->pairs : 1);
    cJSON_AddNumberToObject(o, "same_ours_only", (double)cmp->same_a_only);
    cJSON_AddNumberToObject(o, "same_baseline_only", (double)cmp->same_b_only);
    cJSON_AddNumberToObject(o, "same_frame_pairs", (double)cmp->frame_pairs);
    return o;
}

/* Per face: frame, box, our person, GIPHY's cluster, per-face name. */
static cJSON *faces_json(const eval_classes *c, const media_faces *m, const groupings *gr)
{
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; i < m->n; i++) {
        cJSON *o = cJSON_CreateObject();
        const double box[4] = {m->f[i].box.x, m->f[i].box.y, m->f[i].box.w, m->f[i].box.h};
        cJSON_AddNumberToObject(o, "frame", m->frame[i]);
        cJSON_AddItemToObject(o, "box", cJSON_CreateDoubleArray(box, 4));
        cJSON_AddNumberToObject(o, "ours", m->person[i]);
        cJSON_AddNumberToObject(o, "baseline", gr->baseline[i]);
        cJSON_AddStringToObject(o, "face_name", gr->label[i] >= 0 ? c->name[gr->label[i]] : "unknown");
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

static cJSON *result_json(const eval_grouping_ctx *g, const char *path, const cJSON *doc,
                          const media_faces *m, const groupings *gr)
{
    eval_partition_cmp cmp, check;
    eval_compare_partitions(m->frame, m->person, gr->baseline, m->n, &cmp);
    eval_compare_partitions(m->frame, m->person, gr->regrouped, m->n, &check);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "media", path);
    const cJSON *info = cJSON_GetObjectItemCaseSensitive(doc, "media");
    cJSON_AddNumberToObject(o, "frames", cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(info, "sampled")));
    cJSON_AddNumberToObject(o, "faces", m->n);
    cJSON_AddBoolToObject(o, "reproduced", check.agree == check.pairs);
    cJSON_AddItemToObject(o, "ours", ours_json(doc, m, gr, &cmp));
    cJSON_AddItemToObject(o, "baseline", baseline_json(g->classes, m, gr, &cmp));
    cJSON_AddItemToObject(o, "pairs", pairs_json(&cmp));
    cJSON_AddItemToObject(o, "faces_detail", faces_json(g->classes, m, gr));
    return o;
}

int eval_grouping_media(const eval_grouping_ctx *g, const char *path, cJSON **out,
                        celeb_error *err)
{
    *out = NULL;
    if (!g->classes || g->classes->k < 1)
        return celeb_fail(err, CELEB_EINVAL, "the baseline needs a gallery with at least one identity");
    cJSON *doc = NULL;
    media_faces m = {0};
    groupings gr = {0};
    int rc = celeb_detect_file(g->celeb, path, &doc, err);
    if (rc == 0)
        rc = collect_faces(doc, &m, err);
    if (rc == 0)
        rc = describe_faces(g->engine, path, &m, err);
    if (rc == 0)
        rc = run_groupings(g, &m, &gr, err);
    if (rc == 0)
        *out = result_json(g, path, doc, &m, &gr);
    groupings_free(&gr);
    media_faces_free(&m);
    cJSON_Delete(doc);
    return rc;
}
