/* truth.c - what is really in the media, for `celeb eval --grouping`: the
 * number of people from a manifest and hand labels per face, see truth.h. */
#include "truth.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../gallery/gallery.h"
#include "metrics.h"

static double number(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

// ----------------------------------------------------------------------------
// The true number of people, from a manifest

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Column index of `name` in a tab-separated header line, or -1. */
static int column(char *header, const char *name)
{
    int col = 0;
    char *save = NULL;
    for (char *f = strtok_r(header, "\t\r\n", &save); f; f = strtok_r(NULL, "\t\r\n", &save), col++)
        if (!strcmp(f, name))
            return col;
    return -1;
}

/* Field `col` of a tab-separated line (in place), "" when missing. */
static const char *field(char *line, int col)
{
    line[strcspn(line, "\r\n")] = 0;
    for (int c = 0; c < col; c++) {
        char *tab = strchr(line, '\t');
        if (!tab)
            return "";
        line = tab + 1;
    }
    line[strcspn(line, "\t")] = 0;
    return line;
}

static int count_labels(const char *labels)
{
    if (!strcmp(labels, "-"))
        return 0;
    if (!*labels || !strcmp(labels, "?"))
        return -1;
    int n = 1;
    for (const char *p = labels; *p; p++)
        n += *p == ';';
    return n;
}

int eval_truth_people(const char *tsv, const char *media_path, char *labels, size_t size,
                      celeb_error *err)
{
    FILE *f = fopen(tsv, "r");
    if (!f)
        return celeb_fail(err, CELEB_EIO, "%s: %s", tsv, strerror(errno));
    char line[8192], copy[8192];
    int path_col = -1, labels_col = -1, people = -1;
    if (fgets(line, sizeof line, f)) {
        memcpy(copy, line, sizeof copy);
        path_col = column(line, "path");
        labels_col = column(copy, "labels");
    }
    if (path_col < 0 || labels_col < 0) {
        fclose(f);
        return celeb_fail(err, CELEB_EFORMAT, "%s: no \"path\" and \"labels\" columns in the header", tsv);
    }
    if (labels && size)
        labels[0] = 0;
    while (fgets(line, sizeof line, f)) {
        memcpy(copy, line, sizeof copy);
        if (strcmp(base_name(field(line, path_col)), base_name(media_path)))
            continue;
        const char *l = field(copy, labels_col);
        people = count_labels(l);
        if (labels && size)
            snprintf(labels, size, "%s", l);
        break;
    }
    fclose(f);
    return people;
}

// ----------------------------------------------------------------------------
// Hand labels per face

typedef struct truth_row {
    int frame;
    double x, y;
    char person[GALLERY_NAME_MAX];
} truth_row;

typedef struct truth_cols {
    int media, frame, x, y, person;
} truth_cols;

static int truth_header(char *line, truth_cols *c)
{
    char copy[8192];
    int *col[5] = {&c->media, &c->frame, &c->x, &c->y, &c->person};
    const char *name[5] = {"media", "frame", "x", "y", "person"};
    for (int i = 0; i < 5; i++) {
        memcpy(copy, line, sizeof copy);
        *col[i] = column(copy, name[i]);
        if (*col[i] < 0)
            return -1;
    }
    return 0;
}

/* The rows of one media (by file name); *n of them, malloc'd. */
static int truth_rows(const char *tsv, const char *media_path, truth_row **out, int *n,
                      celeb_error *err)
{
    *out = NULL;
    *n = 0;
    FILE *f = fopen(tsv, "r");
    if (!f)
        return celeb_fail(err, CELEB_EIO, "%s: %s", tsv, strerror(errno));
    char line[8192], copy[8192];
    truth_cols c;
    int cap = 0, rc = CELEB_OK;
    if (!fgets(line, sizeof line, f) || truth_header(line, &c) < 0)
        rc = celeb_fail(err, CELEB_EFORMAT, "%s: the header must name media, frame, x, y and person", tsv);
    while (rc == 0 && fgets(line, sizeof line, f)) {
        memcpy(copy, line, sizeof copy);
        if (strcmp(base_name(field(copy, c.media)), base_name(media_path)))
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            truth_row *grown = realloc(*out, (size_t)cap * sizeof *grown);
            if (!grown) {
                rc = celeb_fail(err, CELEB_ENOMEM, "out of memory");
                break;
            }
            *out = grown;
        }
        truth_row *r = &(*out)[(*n)++];
        memcpy(copy, line, sizeof copy);
        r->frame = atoi(field(copy, c.frame));
        memcpy(copy, line, sizeof copy);
        r->x = atof(field(copy, c.x));
        memcpy(copy, line, sizeof copy);
        r->y = atof(field(copy, c.y));
        memcpy(copy, line, sizeof copy);
        snprintf(r->person, sizeof r->person, "%s", field(copy, c.person));
    }
    fclose(f);
    return rc;
}

/* The face of r's frame whose box holds r's point (nearest centre), or -1. */
static int face_of_row(const cJSON *faces, const truth_row *r)
{
    int best = -1, i = 0;
    double best_d = INFINITY;
    const cJSON *f;
    cJSON_ArrayForEach(f, faces) {
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(f, "box");
        double x = cJSON_GetArrayItem(b, 0)->valuedouble, y = cJSON_GetArrayItem(b, 1)->valuedouble;
        double w = cJSON_GetArrayItem(b, 2)->valuedouble, h = cJSON_GetArrayItem(b, 3)->valuedouble;
        double d = hypot(r->x - (x + w / 2), r->y - (y + h / 2));
        if ((int)number(f, "frame") == r->frame && r->x >= x && r->x <= x + w && r->y >= y &&
            r->y <= y + h && d < best_d) {
            best_d = d;
            best = i;
        }
        i++;
    }
    return best;
}

static cJSON *scores_json(const eval_pair_scores *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "pair_precision", s->pred_same ? (double)s->both_same / s->pred_same : 1);
    cJSON_AddNumberToObject(o, "pair_recall", s->true_same ? (double)s->both_same / s->true_same : 1);
    cJSON_AddNumberToObject(o, "true_same", (double)s->true_same);
    cJSON_AddNumberToObject(o, "pred_same", (double)s->pred_same);
    cJSON_AddNumberToObject(o, "both_same", (double)s->both_same);
    return o;
}

/* Labels (person index among the rows' names, -1 none) into label[n]. */
static void label_faces(cJSON *faces, const truth_row *rows, int nr, int *label, int n)
{
    int people = 0;
    int *person = malloc((size_t)(nr > 0 ? nr : 1) * sizeof *person);
    for (int i = 0; i < n; i++)
        label[i] = -1;
    for (int r = 0; person && r < nr; r++) {
        int p = 0;
        while (p < r && strcmp(rows[p].person, rows[r].person))
            p++;
        person[r] = p < r ? person[p] : people++;
        int f = face_of_row(faces, &rows[r]);
        if (f < 0)
            continue;
        label[f] = person[r];
        cJSON *entry = cJSON_GetArrayItem(faces, f);
        cJSON_DeleteItemFromObjectCaseSensitive(entry, "truth");
        cJSON_AddStringToObject(entry, "truth", rows[r].person);
    }
    free(person);
}

int eval_grouping_truth(cJSON *result, const char *tsv, celeb_error *err)
{
    truth_row *rows;
    int nr;
    const cJSON *media_path = cJSON_GetObjectItemCaseSensitive(result, "media");
    int rc = truth_rows(tsv, cJSON_IsString(media_path) ? media_path->valuestring : "", &rows, &nr, err);
    cJSON *faces = cJSON_GetObjectItemCaseSensitive(result, "faces_detail");
    int n = cJSON_GetArraySize(faces);
    int *label = malloc((size_t)(n > 0 ? n : 1) * sizeof *label);
    int *ours = malloc((size_t)(n > 0 ? n : 1) * sizeof *ours);
    int *base = malloc((size_t)(n > 0 ? n : 1) * sizeof *base);
    if (rc == 0 && (!label || !ours || !base))
        rc = celeb_fail(err, CELEB_ENOMEM, "out of memory");
    if (rc == 0 && nr > 0) {
        label_faces(faces, rows, nr, label, n);
        int labelled = 0, i = 0, seen_people = 0;
        const cJSON *f;
        cJSON_ArrayForEach(f, faces) {
            ours[i] = (int)number(f, "ours");
            base[i] = (int)number(f, "baseline");
            labelled += label[i] >= 0;
            int first = label[i] >= 0;   /* distinct labels among the matched faces */
            for (int j = 0; j < i && first; j++)
                first = label[j] != label[i];
            seen_people += first;
            i++;
        }
        eval_pair_scores so, sb;
        eval_score_pairs(label, ours, n, &so);
        eval_score_pairs(label, base, n, &sb);
        cJSON *t = cJSON_AddObjectToObject(result, "truth");
        cJSON_AddNumberToObject(t, "labelled_faces", labelled);
        cJSON_AddNumberToObject(t, "people", seen_people);
        cJSON_AddItemToObject(t, "ours", scores_json(&so));
        cJSON_AddItemToObject(t, "baseline", scores_json(&sb));
    }
    free(rows);
    free(label);
    free(ours);
    free(base);
    return rc;
}
