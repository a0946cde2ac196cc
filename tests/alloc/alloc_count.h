/*
 * tests/alloc/alloc_count.h - counts every heap allocation the process makes
 * (ours, libc's and libcrypto's alike) between ac_start() and ac_stop(), for
 * the allocation tests (tests/dtls/test_alloc.c, tests/coap/test_alloc.c).
 *
 * Include it from exactly one .c file of a test program: it defines malloc,
 * calloc, realloc, free, posix_memalign and aligned_alloc for the whole
 * process, forwarding to glibc's __libc_* entry points. Shared libraries
 * (libcrypto.so included: its default CRYPTO_malloc calls malloc) bind to
 * these definitions, so libcrypto's allocations are counted without
 * CRYPTO_set_mem_functions (which would need an OpenSSL header outside
 * src/crypto). Under AddressSanitizer, which owns malloc, the sanitizer's
 * allocation hooks count instead.
 *
 * Counted: allocs (every block handed out, realloc of a live block
 * included), frees, and live = blocks still allocated at ac_stop() that
 * were allocated since ac_start(), minus blocks from before that were freed.
 */
#ifndef COAPSEC_TESTS_ALLOC_COUNT_H
#define COAPSEC_TESTS_ALLOC_COUNT_H

#include <stddef.h>
#include <stdint.h>

typedef struct ac_counts {
    long allocs; /* blocks allocated (including realloc moves and resizes) */
    long frees;  /* blocks released */
    long live;   /* allocs - frees, with a realloc counting as neither */
    size_t bytes;
} ac_counts;

static volatile int ac_on;
static ac_counts ac_now;

#if defined(__SANITIZE_ADDRESS__)
#define AC_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AC_ASAN 1
#endif
#endif

#ifdef AC_ASAN
/* from <sanitizer/allocator_interface.h>, which not every compiler ships */
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
                                              void (*free_hook)(const volatile void *));

static void ac_malloc_hook(const volatile void *p, size_t n) {
    if (ac_on && p != NULL) {
        ac_now.allocs++;
        ac_now.live++;
        ac_now.bytes += n;
    }
}

static void ac_free_hook(const volatile void *p) {
    if (ac_on && p != NULL) {
        ac_now.frees++;
        ac_now.live--;
    }
}

static void ac_install(void) {
    static int done;
    if (!done)
        done = __sanitizer_install_malloc_and_free_hooks(ac_malloc_hook, ac_free_hook);
}
#else
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t m);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t n);

static void ac_count_alloc(const void *p, size_t n) {
    if (ac_on && p != NULL) {
        ac_now.allocs++;
        ac_now.live++;
        ac_now.bytes += n;
    }
}

void *malloc(size_t n) {
    void *p = __libc_malloc(n);
    ac_count_alloc(p, n);
    return p;
}

void *calloc(size_t n, size_t m) {
    void *p = __libc_calloc(n, m);
    ac_count_alloc(p, n * m);
    return p;
}

void *realloc(void *p, size_t n) {
    void *q = __libc_realloc(p, n);
    if (ac_on) {
        if (p == NULL) {
            ac_count_alloc(q, n);
        } else if (n == 0) { /* glibc frees p */
            ac_now.frees++;
            ac_now.live--;
        } else if (q != NULL) {
            ac_now.allocs++; /* a new block as far as the steady state is concerned */
            ac_now.bytes += n;
        }
    }
    return q;
}

void free(void *p) {
    if (ac_on && p != NULL) {
        ac_now.frees++;
        ac_now.live--;
    }
    __libc_free(p);
}

int posix_memalign(void **out, size_t align, size_t n) {
    void *p = __libc_memalign(align, n);
    if (p == NULL)
        return 12; /* ENOMEM */
    ac_count_alloc(p, n);
    *out = p;
    return 0;
}

void *aligned_alloc(size_t align, size_t n) {
    void *p = __libc_memalign(align, n);
    ac_count_alloc(p, n);
    return p;
}

static void ac_install(void) {}
#endif

/** Start counting from zero. */
static inline void ac_start(void) {
    ac_install();
    ac_now.allocs = ac_now.frees = ac_now.live = 0;
    ac_now.bytes = 0;
    ac_on = 1;
}

/** Stop counting; the counts since ac_start(). */
static inline ac_counts ac_stop(void) {
    ac_on = 0;
    return ac_now;
}

#endif /* COAPSEC_TESTS_ALLOC_COUNT_H */
