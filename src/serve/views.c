/* views.c - see views.h. */
#include "views.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct serve_views {
    pthread_mutex_t lock;
    char *path;
    gallery *g;           /* NULL until the file exists */
    serve_view *current;  /* NULL until the first views_get */
};

serve_views *views_create(const char *path)
{
    serve_views *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    v->path = strdup(path ? path : "");
    if (!v->path) {
        free(v);
        return NULL;
    }
    pthread_mutex_init(&v->lock, NULL);
    return v;
}

static void view_free(serve_view *view)
{
    if (!view)
        return;
    free(view->ids);
    free(view->faces);
    free(view->best);
    free(view->xyz);
    pca3_free(&view->pca);
    free(view);
}

void views_free(serve_views *v)
{
    if (!v)
        return;
    if (v->current && --v->current->refs == 0)
        view_free(v->current);
    if (v->g)
        gallery_close(v->g);
    pthread_mutex_destroy(&v->lock);
    free(v->path);
    free(v);
}

/* Opens the gallery if it exists now. 0 with v->g NULL: no file (yet). Lock held. */
static int open_gallery(serve_views *v, celeb_error *err)
{
    if (v->g || !v->path[0])
        return CELEB_OK;
    celeb_error e = {0};
    if (gallery_open(v->path, 0, &v->g, &e) == 0)
        return CELEB_OK;
    v->g = NULL;
    return e.code == CELEB_EIO ? CELEB_OK : celeb_fail(err, e.code, "%s", e.message);
}

/* An identity's id and its index in the view's ids. */
typedef struct id_index {
    int64_t id;
    int index;
} id_index;

static int by_id(const void *a, const void *b)
{
    int64_t x = ((const id_index *)a)->id, y = ((const id_index *)b)->id;
    return (x > y) - (x < y);
}

/* view->best: each identity's face of the best quality (the first of equals),
 * in O((identities + faces) log identities). */
static int find_best(serve_view *view, celeb_error *err)
{
    view->best = malloc((size_t)(view->nids ? view->nids : 1) * sizeof *view->best);
    id_index *order = malloc((size_t)(view->nids ? view->nids : 1) * sizeof *order);
    if (!view->best || !order) {
        free(order);
        return celeb_fail(err, CELEB_ENOMEM, "out of memory");
    }
    for (int i = 0; i < view->nids; i++) {
        view->best[i] = -1;
        order[i] = (id_index){view->ids[i].id, i};
    }
    qsort(order, (size_t)view->nids, sizeof *order, by_id);
    for (int k = 0; k < view->nfaces; k++) {
        id_index key = {view->faces[k].identity_id, 0};
        const id_index *hit = bsearch(&key, order, (size_t)view->nids, sizeof *order, by_id);
        if (!hit)
            continue;
        int *b = &view->best[hit->index];
        if (*b < 0 || view->faces[k].quality > view->faces[*b].quality)
            *b = k;
    }
    free(order);
    return CELEB_OK;
}

/* A snapshot of generation gen read from v->g (which may be NULL). Lock held. */
static int build(serve_views *v, int64_t gen, serve_view **out, celeb_error *err)
{
    serve_view *view = calloc(1, sizeof *view);
    if (!view)
        return celeb_fail(err, CELEB_ENOMEM, "out of memory");
    view->generation = gen;
    int rc = CELEB_OK;
    if (v->g) {
        rc = gallery_list(v->g, &view->ids, &view->nids, err);
        if (rc == 0)
            rc = gallery_faces(v->g, NULL, &view->faces, &view->nfaces, err);
    }
    if (rc == 0)
        rc = find_best(view, err);
    float *rows = NULL;
    if (rc == 0 && view->nfaces > 0) {
        rows = malloc((size_t)view->nfaces * GALLERY_DIM * sizeof *rows);
        view->xyz = malloc((size_t)view->nfaces * sizeof *view->xyz);
        if (!rows || !view->xyz)
            rc = celeb_fail(err, CELEB_ENOMEM, "out of memory");
    }
    for (int i = 0; rc == 0 && i < view->nfaces; i++)
        memcpy(rows + (size_t)i * GALLERY_DIM, view->faces[i].descriptor, GALLERY_DIM * sizeof *rows);
    if (rc == 0)
        rc = pca3_fit(rows, view->nfaces, GALLERY_DIM, &view->pca, err);
    for (int i = 0; rc == 0 && i < view->nfaces; i++)
        pca3_project(&view->pca, view->faces[i].descriptor, view->xyz[i]);
    free(rows);
    if (rc < 0) {
        view_free(view);
        return rc;
    }
    view->refs = 1;   /* the holder's */
    *out = view;
    return CELEB_OK;
}

int views_get(serve_views *v, serve_view **out, celeb_error *err)
{
    *out = NULL;
    pthread_mutex_lock(&v->lock);
    int rc = open_gallery(v, err);
    int64_t gen = v->g ? gallery_generation(v->g) : -1;
    if (rc == 0 && (!v->current || v->current->generation != gen)) {
        serve_view *fresh = NULL;
        rc = build(v, gen, &fresh, err);
        if (rc == 0) {
            if (v->current && --v->current->refs == 0)
                view_free(v->current);
            v->current = fresh;
        }
    }
    if (rc == 0) {
        v->current->refs++;
        *out = v->current;
    }
    pthread_mutex_unlock(&v->lock);
    return rc;
}

void views_release(serve_views *v, serve_view *view)
{
    if (!view)
        return;
    pthread_mutex_lock(&v->lock);
    int last = --view->refs == 0;
    pthread_mutex_unlock(&v->lock);
    if (last)
        view_free(view);
}

/* The faces of name, or -1 when it is not an identity. Lock held, v->g open. */
static int faces_of(serve_views *v, const char *name, celeb_error *err)
{
    gallery_identity *ids = NULL;
    int n = 0, found = -1;
    if (gallery_list(v->g, &ids, &n, err) < 0)
        return -2;
    for (int i = 0; i < n && found < 0; i++)
        if (!strcmp(ids[i].name, name))
            found = ids[i].faces;
    free(ids);
    return found;
}

int views_remove(serve_views *v, const char *name, views_change *done, int *faces, celeb_error *err)
{
    *done = VIEWS_NOT_FOUND;
    *faces = 0;
    pthread_mutex_lock(&v->lock);
    int rc = open_gallery(v, err);
    if (rc == 0 && v->g) {
        int n = faces_of(v, name, err);
        if (n == -2)
            rc = err ? err->code : CELEB_EIO;
        else if (n >= 0 && (rc = gallery_remove(v->g, name, err)) == 0) {
            *done = VIEWS_DONE;
            *faces = n;
        }
    }
    pthread_mutex_unlock(&v->lock);
    return rc;
}

int views_rename(serve_views *v, const char *old_name, const char *new_name, views_change *done,
                 celeb_error *err)
{
    *done = VIEWS_NOT_FOUND;
    pthread_mutex_lock(&v->lock);
    int rc = open_gallery(v, err);
    if (rc == 0 && v->g) {
        int n = faces_of(v, old_name, err), taken = n >= 0 ? faces_of(v, new_name, err) : -1;
        if (n == -2 || taken == -2)
            rc = err ? err->code : CELEB_EIO;
        else if (n >= 0 && taken >= 0 && strcmp(old_name, new_name))
            *done = VIEWS_CONFLICT;
        else if (n >= 0 && !strcmp(old_name, new_name))
            *done = VIEWS_DONE;   /* the same name: nothing to do */
        else if (n >= 0 && (rc = gallery_rename(v->g, old_name, new_name, err)) == 0)
            *done = VIEWS_DONE;
    }
    pthread_mutex_unlock(&v->lock);
    return rc;
}
