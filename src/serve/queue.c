/* queue.c - see queue.h. A ring buffer under one mutex. */
#include "queue.h"

#include <pthread.h>
#include <stdlib.h>

struct serve_queue {
    pthread_mutex_t lock;
    pthread_cond_t nonempty;
    void **ring;
    int capacity, head, count, closed;
};

serve_queue *queue_create(int capacity)
{
    if (capacity < 1)
        capacity = 1;
    serve_queue *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->ring = calloc((size_t)capacity, sizeof *q->ring);
    if (!q->ring) {
        free(q);
        return NULL;
    }
    q->capacity = capacity;
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->nonempty, NULL);
    return q;
}

void queue_free(serve_queue *q)
{
    if (!q)
        return;
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->nonempty);
    free(q->ring);
    free(q);
}

int queue_push(serve_queue *q, void *job)
{
    pthread_mutex_lock(&q->lock);
    int ok = !q->closed && q->count < q->capacity;
    if (ok) {
        q->ring[(q->head + q->count) % q->capacity] = job;
        q->count++;
        pthread_cond_signal(&q->nonempty);
    }
    pthread_mutex_unlock(&q->lock);
    return ok ? 0 : -1;
}

/* Takes the head; the lock is held. */
static void *take_locked(serve_queue *q)
{
    if (q->count == 0)
        return NULL;
    void *job = q->ring[q->head];
    q->head = (q->head + 1) % q->capacity;
    q->count--;
    return job;
}

void *queue_pop(serve_queue *q)
{
    pthread_mutex_lock(&q->lock);
    while (!q->closed && q->count == 0)
        pthread_cond_wait(&q->nonempty, &q->lock);
    void *job = q->closed ? NULL : take_locked(q);
    pthread_mutex_unlock(&q->lock);
    return job;
}

void *queue_take(serve_queue *q)
{
    pthread_mutex_lock(&q->lock);
    void *job = take_locked(q);
    pthread_mutex_unlock(&q->lock);
    return job;
}

void queue_close(serve_queue *q)
{
    pthread_mutex_lock(&q->lock);
    q->closed = 1;
    pthread_cond_broadcast(&q->nonempty);
    pthread_mutex_unlock(&q->lock);
}

int queue_depth(serve_queue *q)
{
    pthread_mutex_lock(&q->lock);
    int n = q->count;
    pthread_mutex_unlock(&q->lock);
    return n;
}

int queue_capacity(const serve_queue *q) { return q->capacity; }
