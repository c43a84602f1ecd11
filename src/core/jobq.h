/* A FIFO of jobs handed from producers to consumer threads: the one condvar queue under the HTTP
 * server's workers and the store's writer. Intrusive (a job links to the next through a pointer
 * field of its own, at next_off) and guarded by its owner's mutex, so the owner keeps the state
 * that goes with the queue (stopping, counts) under the same lock: hold that mutex around every
 * call. Nothing is allocated. */
#ifndef GC_CORE_JOBQ_H
#define GC_CORE_JOBQ_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct gc_jobq {
    void *head, *tail;
    size_t next_off;   /* offsetof(job type, its next pointer) */
    pthread_cond_t cv; /* a job was queued, or the owner is stopping */
} gc_jobq;

void gc_jobq_init(gc_jobq *q, size_t next_off);
void gc_jobq_destroy(gc_jobq *q);
/* Appends job (its next pointer is cleared) and wakes one waiting consumer. */
void gc_jobq_push(gc_jobq *q, void *job);
/* Waits on mu (held) until a job is queued or *stop is true; true when a job is queued. */
bool gc_jobq_wait(gc_jobq *q, pthread_mutex_t *mu, const bool *stop);
/* The first job, taken off the queue, or NULL. */
void *gc_jobq_pop(gc_jobq *q);
/* Every queued job, as a chain linked through their next pointers (NULL-terminated), or NULL. */
void *gc_jobq_take_all(gc_jobq *q);
/* Wakes every waiting consumer (after the owner set its stop flag). */
void gc_jobq_wake_all(gc_jobq *q);

#endif
