/*
 * tls_obj.h - per-thread objects ("tls" as in thread-local storage, not the
 * protocol): an object that each thread makes on first use with a
 * constructor and that a pthread key destructor frees when the thread exits.
 * The pthread key, its one-time creation and pthread_setspecific live here,
 * once, instead of in every file that keeps such an object.
 *
 * cs_tls_obj_get is the slow path. Callers on a hot path keep their own
 * _Thread_local cache of the pointer and call it only while that is NULL:
 *
 *     static _Thread_local T *tl_x;
 *     static struct cs_tls_obj x_obj = {.free = x_free};
 *     ...
 *     if (tl_x == NULL)
 *         tl_x = cs_tls_obj_get(&x_obj, x_new);
 *     return tl_x;
 */
#ifndef COAPSEC_CRYPTO_TLS_OBJ_H
#define COAPSEC_CRYPTO_TLS_OBJ_H

#include <pthread.h>

/* Static, with only free set: {.free = x_free}. */
struct cs_tls_obj {
    void (*free)(void *); /* frees a thread's object when the thread exits */
    int state;            /* 0: no key yet, 1: key made, -1: pthread_key_create failed */
    pthread_key_t key;
};

/* The calling thread's object of o: the one it already has, or a new one
 * from make(), which then belongs to the thread until it exits. NULL when
 * make() returns NULL or the object cannot be tied to the thread; the next
 * call tries again (but a failed pthread_key_create is final). make() may
 * itself get other per-thread objects. */
void *cs_tls_obj_get(struct cs_tls_obj *o, void *(*make)(void));

#endif
