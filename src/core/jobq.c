/* The job queue (see jobq.h). */
#include "core/jobq.h"

static void **next_of(const gc_jobq *q, void *job)
{
    return (void **)((char *)job + q->next_off);
}

void gc_jobq_init(gc_jobq *q, size_t next_off)
{
    q->head = q->tail = NULL;
    q->next_off = next_off;
    pthread_cond_init(&q->cv, NULL);
}

void gc_jobq_destroy(gc_jobq *q)
{
    pthread_cond_destroy(&q->cv);
}

void gc_jobq_push(gc_jobq *q, void *job)
{
    *next_of(q, job) = NULL;
    if (q->tail)
        *next_of(q, q->tail) = job;
    else
        q->head = job;
    q->tail = job;
    pthread_cond_signal(&q->cv);
}

bool gc_jobq_wait(gc_jobq *q, pthread_mutex_t *mu, const bool *stop)
{
    while (!q->head && !*stop)
        pthread_cond_wait(&q->cv, mu);
    return q->head != NULL;
}

void *gc_jobq_pop(gc_jobq *q)
{
    void *job = q->head;
    if (job) {
        q->head = *next_of(q, job);
        if (!q->head)
            q->tail = NULL;
    }
    return job;
}

void *gc_jobq_take_all(gc_jobq *q)
{
    void *all = q->head;
    q->head = q->tail = NULL;
    return all;
}

void gc_jobq_wake_all(gc_jobq *q)
{
    pthread_cond_broadcast(&q->cv);
}
