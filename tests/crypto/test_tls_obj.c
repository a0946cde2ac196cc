/*
 * test_tls_obj.c - src/crypto/tls_obj.c, the per-thread objects behind the
 * AES-CCM, HMAC and EC import contexts: a thread's constructor runs once and
 * every later call gets the same object, each other thread makes its own,
 * the destructor frees a thread's object when that thread exits (and only
 * then), and a constructor that fails yields NULL and is tried again on the
 * next call.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/tls_obj.h"

/* Constructor and destructor that count their calls; the constructor fails
 * while fail_left > 0. The destructor records the object it freed. */
static atomic_int made, tried, freed, fail_left;
static _Atomic uintptr_t last_freed;

static void reset(void) {
    made = tried = freed = fail_left = 0;
    last_freed = 0;
}

static void *obj_new(void) {
    tried++;
    if (fail_left > 0) {
        fail_left--;
        return NULL;
    }
    made++;
    return malloc(16);
}

static void obj_free(void *p) {
    freed++;
    last_freed = (uintptr_t)p;
    free(p);
}

/* Each test has its own cs_tls_obj, so objects the main thread keeps from
 * one test do not show up in the next. */
static struct cs_tls_obj one_obj = {.free = obj_free};
static struct cs_tls_obj other_obj = {.free = obj_free};
static struct cs_tls_obj race_obj = {.free = obj_free};
static struct cs_tls_obj fail_obj = {.free = obj_free};

/* A getter written the way src/crypto/ writes them: a _Thread_local cache in
 * front of cs_tls_obj_get. */
static _Thread_local void *tl_fail;
static void *fail_get(void) {
    if (tl_fail == NULL)
        tl_fail = cs_tls_obj_get(&fail_obj, obj_new);
    return tl_fail;
}

static void test_once_per_thread(void **state) {
    (void)state;
    reset();
    void *p = cs_tls_obj_get(&one_obj, obj_new);
    assert_non_null(p);
    for (int i = 0; i < 3; i++)
        assert_ptr_equal(cs_tls_obj_get(&one_obj, obj_new), p);
    assert_int_equal(tried, 1);
    assert_int_equal(made, 1);
    assert_int_equal(freed, 0);
}

struct other_arg {
    struct cs_tls_obj *o;
    void *mine;    /* the main thread's object */
    uintptr_t got; /* the thread's object */
    int same;      /* a second call in the thread returned the same object */
};

static void *other_body(void *p) {
    struct other_arg *a = p;
    void *obj = cs_tls_obj_get(a->o, obj_new);
    a->got = (uintptr_t)obj;
    a->same = obj != NULL && cs_tls_obj_get(a->o, obj_new) == obj;
    return NULL;
}

/* Another thread gets an object of its own, which is freed when it exits;
 * the main thread's object stays. */
static void test_other_thread_own_object_freed_at_exit(void **state) {
    (void)state;
    reset();
    void *mine = cs_tls_obj_get(&other_obj, obj_new);
    assert_non_null(mine);
    struct other_arg a = {.o = &other_obj, .mine = mine};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, other_body, &a), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_true(a.got != 0);
    assert_true(a.got != (uintptr_t)mine);
    assert_true(a.same);
    assert_int_equal(made, 2);
    assert_int_equal(freed, 1);
    assert_true(last_freed == a.got);
    assert_ptr_equal(cs_tls_obj_get(&other_obj, obj_new), mine);
    assert_int_equal(made, 2);
}

/* Threads making their first object at once (one of them makes the key):
 * each gets its own, and each is freed once. */
static void test_threads_at_once(void **state) {
    (void)state;
    reset();
    enum { N = 8 };
    struct other_arg a[N];
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        a[i] = (struct other_arg){.o = &race_obj};
        assert_int_equal(pthread_create(&t[i], NULL, other_body, &a[i]), 0);
    }
    for (int i = 0; i < N; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    for (int i = 0; i < N; i++) {
        assert_true(a[i].got != 0);
        assert_true(a[i].same);
    }
    assert_int_equal(made, N);
    assert_int_equal(freed, N);
}

static void *fail_body(void *p) {
    (void)p;
    fail_left = 1;
    if (fail_get() != NULL)
        return (void *)1;
    return fail_get() != NULL ? NULL : (void *)1;
}

/* A failing constructor gives NULL, nothing is cached or bound to the
 * thread, and the next call tries again; once made, the object stays. */
static void test_failing_constructor_retried(void **state) {
    (void)state;
    reset();
    fail_left = 2;
    assert_null(fail_get());
    assert_null(fail_get());
    assert_int_equal(tried, 2);
    assert_int_equal(made, 0);
    void *p = fail_get();
    assert_non_null(p);
    assert_ptr_equal(fail_get(), p);
    assert_ptr_equal(cs_tls_obj_get(&fail_obj, obj_new), p);
    assert_int_equal(tried, 3);
    assert_int_equal(made, 1);
    /* In a thread: a failure, then an object, freed once at exit. */
    pthread_t t;
    void *ret = (void *)1;
    assert_int_equal(pthread_create(&t, NULL, fail_body, NULL), 0);
    assert_int_equal(pthread_join(t, &ret), 0);
    assert_null(ret);
    assert_int_equal(tried, 5);
    assert_int_equal(made, 2);
    assert_int_equal(freed, 1);
}

/* A thread whose constructor only fails leaves nothing to free. */
static void *fail_only_body(void *p) {
    (void)p;
    fail_left = 1;
    return fail_get();
}

static void test_failed_thread_frees_nothing(void **state) {
    (void)state;
    reset();
    pthread_t t;
    void *ret = (void *)1;
    assert_int_equal(pthread_create(&t, NULL, fail_only_body, NULL), 0);
    assert_int_equal(pthread_join(t, &ret), 0);
    assert_null(ret);
    assert_int_equal(tried, 1);
    assert_int_equal(made, 0);
    assert_int_equal(freed, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_once_per_thread),
        cmocka_unit_test(test_other_thread_own_object_freed_at_exit),
        cmocka_unit_test(test_threads_at_once),
        cmocka_unit_test(test_failing_constructor_retried),
        cmocka_unit_test(test_failed_thread_frees_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
