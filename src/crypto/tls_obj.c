/*
 * tls_obj.c - per-thread objects made on first use and freed at thread exit
 * (tls_obj.h): the pthread key behind each cs_tls_obj, made by the first
 * thread that needs it, and the binding of a thread's new object to it.
 */
#include "crypto/tls_obj.h"

#include <stddef.h>

/* Guards the making of every cs_tls_obj's key. It is taken only on the slow
 * path (a thread's first use of an object), and never while make() runs, so
 * a constructor may get other per-thread objects. */
static pthread_mutex_t key_lock = PTHREAD_MUTEX_INITIALIZER;

void *cs_tls_obj_get(struct cs_tls_obj *o, void *(*make)(void)) {
    pthread_mutex_lock(&key_lock);
    if (o->state == 0)
        o->state = pthread_key_create(&o->key, o->free) == 0 ? 1 : -1;
    int ok = o->state > 0;
    pthread_mutex_unlock(&key_lock);
    if (!ok)
        return NULL;
    void *obj = pthread_getspecific(o->key);
    if (obj != NULL)
        return obj;
    obj = make();
    if (obj != NULL && pthread_setspecific(o->key, obj) != 0) {
        o->free(obj);
        return NULL;
    }
    return obj;
}
