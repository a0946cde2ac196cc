/*
 * test_alloc.c - heap allocations made by the DTLS engine and the crypto
 * under it (every malloc in the process, libcrypto's included:
 * tests/alloc/alloc_count.h). A full PSK handshake (RFC 6347 §4.2, the
 * RFC 4279 §2 PSK key exchange with TLS_PSK_WITH_AES_128_CCM_8) may
 * allocate inside libcrypto, but must give back everything it took, and stay
 * under a bound; application data over an established session (RFC 6347
 * §4.1 records, RFC 6655 CCM_8 protection) must allocate nothing at all.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../alloc/alloc_count.h"
#include "crypto/crypto.h"
#include "pair.h"

/* A warm PSK handshake (client and server together) makes 394 allocations
 * with Debian 12's OpenSSL 3.0, none of them by our code and none kept
 * afterwards: 376 inside cs_tls12_prf (libcrypto's TLS1-PRF EVP_KDF builds
 * and frees a context and an HMAC per call: master secret, key block, two
 * Finished per side) and 10 inside cs_hmac_sha256 for the cookie
 * (EVP_MAC_init re-keying allocates a digest context). The bound leaves
 * ~25 % for other libcrypto builds. */
#define HANDSHAKE_ALLOC_BOUND 500

/* Runs one PSK handshake on a fresh pair; returns the counts of the part
 * that starts the engines and runs the flights until both are established. */
static ac_counts handshake(tpair *p, uint64_t seed) {
    pair_init(p, seed);
    ac_start();
    assert_int_equal(pair_start(p), 0);
    long ev = pair_run(p, 60000);
    ac_counts c = ac_stop();
    assert_true(ev > 0);
    assert_int_equal(p->c.established, 1);
    assert_int_equal(p->s.established, 1);
    assert_int_equal(p->c.suite, 0xC0A8);
    return c;
}

/* The counter itself: it sees our mallocs and libcrypto's (a key
 * generation allocates inside libcrypto), and a balanced sequence leaves
 * nothing live. Without this the zero results below would prove nothing. */
static void test_counter_sees_libcrypto(void **state) {
    (void)state;
    /* Called through volatile pointers: at -O2 the compiler may otherwise
     * treat a malloc/free pair as a builtin and remove both calls. */
    void *(*volatile do_malloc)(size_t) = malloc;
    void (*volatile do_free)(void *) = free;
    ac_start();
    void *volatile a = do_malloc(32);
    do_free(a);
    ac_counts c = ac_stop();
    assert_int_equal(c.allocs, 1);
    assert_int_equal(c.frees, 1);
    assert_int_equal(c.live, 0);

    cs_p256_key *k = NULL;
    ac_start();
    assert_int_equal(cs_p256_key_generate(&k), 0);
    c = ac_stop();
    assert_true(c.allocs > 0);
    assert_true(c.live > 0); /* the key object itself */
    ac_start();
    cs_p256_key_free(k);
    c = ac_stop();
    assert_true(c.frees > 0);
}

/* RFC 6347 §4.2 / RFC 4279 §2: a complete PSK handshake, cookie exchange
 * included. The first one in the process pays libcrypto's one-time set-up;
 * later ones must be bounded and must not retain memory. */
static void test_handshake_allocations(void **state) {
    (void)state;
    static tpair p;
    ac_counts cold = handshake(&p, 11);
    pair_free(&p);
    ac_counts warm = handshake(&p, 12);
    pair_free(&p);
    ac_counts warm2 = handshake(&p, 13);
    pair_free(&p);
    printf("# PSK handshake (client+server): first %ld allocs (%zu bytes, %ld kept), then %ld "
           "allocs (%zu bytes), %ld live afterwards\n",
           cold.allocs, cold.bytes, cold.live, warm.allocs, warm.bytes, warm.live);
    assert_true(warm.allocs <= HANDSHAKE_ALLOC_BOUND);
    assert_int_equal(warm.live, 0); /* nothing kept per handshake */
    assert_int_equal(warm2.live, 0);
    assert_int_equal(warm.allocs, warm2.allocs); /* the same every time */
}

/* RFC 6347 §4.1 (records, replay window) and RFC 6655 (CCM_8): application
 * data both ways over an established session, in steady state, with timers
 * running: zero allocations. */
static void test_app_data_steady_state(void **state) {
    (void)state;
    static tpair p;
    handshake(&p, 21);
    uint8_t msg[200];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)i;
    /* warm-up: the first records after the handshake */
    for (int i = 0; i < 5; i++) {
        assert_int_equal(coapsec_dtls_conn_send(&p.c.conn, msg, sizeof msg, p.net->now), 0);
        pair_run(&p, p.net->now + 100);
        assert_int_equal(coapsec_dtls_conn_send(&p.s.conn, msg, 50, p.net->now), 0);
        pair_run(&p, p.net->now + 100);
    }
    int c0 = p.c.app_count, s0 = p.s.app_count;
    ac_start();
    for (int i = 0; i < 100; i++) {
        msg[0] = (uint8_t)i;
        assert_int_equal(coapsec_dtls_conn_send(&p.c.conn, msg, sizeof msg, p.net->now), 0);
        pair_run(&p, p.net->now + 100);
        assert_int_equal(coapsec_dtls_conn_send(&p.s.conn, msg, 50, p.net->now), 0);
        pair_run(&p, p.net->now + 100);
    }
    ac_counts c = ac_stop();
    printf("# application data, 100 round trips: %ld allocs\n", c.allocs);
    assert_int_equal(p.s.app_count - s0, 100);
    assert_int_equal(p.c.app_count - c0, 100);
    assert_int_equal(p.s.app[0], 99);
    assert_int_equal(c.allocs, 0);
    assert_int_equal(c.frees, 0);
    pair_free(&p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counter_sees_libcrypto),
        cmocka_unit_test(test_handshake_allocations),
        cmocka_unit_test(test_app_data_steady_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
