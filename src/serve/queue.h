/* queue.h - the server's bounded work queue: a FIFO of job pointers with a
 * fixed capacity, many producers and many consumers (mutex + condition
 * variables). A push on a full queue fails at once: the caller answers 503,
 * so memory never grows with the load. The queue does not own the jobs. */
#ifndef CELEB_SERVE_QUEUE_H
#define CELEB_SERVE_QUEUE_H

typedef struct serve_queue serve_queue;

/* A queue of `capacity` (>= 1) jobs. Returns NULL when out of memory. */
serve_queue *queue_create(int capacity);
void queue_free(serve_queue *q);

/* Appends job; returns 0, or -1 when the queue is full or closed. */
int queue_push(serve_queue *q, void *job);

/* Waits for a job and takes it; NULL once the queue is closed (the jobs
 * still in it are then left for queue_take). */
void *queue_pop(serve_queue *q);

/* Takes a job without waiting; NULL when empty. */
void *queue_take(serve_queue *q);

/* Wakes every waiting queue_pop and refuses further pushes. */
void queue_close(serve_queue *q);

/* Jobs waiting now, and the capacity. */
int queue_depth(serve_queue *q);
int queue_capacity(const serve_queue *q);

#endif
