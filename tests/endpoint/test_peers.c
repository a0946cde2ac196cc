/*
 * test_peers.c - unit tests for src/endpoint/peers.c, the address-keyed peer
 * table: lookup by (family, IP, port), the hard cap, LRU victim choice,
 * generation bump on reuse (the "same session and epoch" rule that
 * coapsec/common.h builds on for RFC 7252 §4.5 / RFC 6347 §4.1 matching) and a
 * randomised comparison against a linear reference model.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "endpoint/peers.h"

static cs_sockaddr v4(const char *ip, uint16_t port) {
    cs_sockaddr a;
    memset(&a, 0, sizeof a);
    a.v4.sin_family = AF_INET;
    a.v4.sin_port = htons(port);
    assert_int_equal(inet_pton(AF_INET, ip, &a.v4.sin_addr), 1);
    return a;
}

static cs_sockaddr v6(const char *ip, uint16_t port) {
    cs_sockaddr a;
    memset(&a, 0, sizeof a);
    a.v6.sin6_family = AF_INET6;
    a.v6.sin6_port = htons(port);
    assert_int_equal(inet_pton(AF_INET6, ip, &a.v6.sin6_addr), 1);
    return a;
}

/* Family, IP and port each distinguish peers. */
static void test_key_fields(void **state) {
    (void)state;
    cs_peer_table t;
    assert_int_equal(cs_peers_init(&t, 8, 42), 0);
    cs_sockaddr a = v4("127.0.0.1", 1000), b = v4("127.0.0.1", 1001), c = v4("127.0.0.2", 1000),
                d = v6("::1", 1000), e = v6("::ffff:127.0.0.1", 1000);
    uint32_t sa = cs_peers_add(&t, &a, 0, 1);
    uint32_t sb = cs_peers_add(&t, &b, 0, 1);
    uint32_t sc = cs_peers_add(&t, &c, 0, 1);
    uint32_t sd = cs_peers_add(&t, &d, 1, 1);
    assert_int_not_equal(sa, CS_PEER_NONE);
    assert_int_not_equal(sd, CS_PEER_NONE);
    assert_int_equal(cs_peers_find(&t, &a), sa);
    assert_int_equal(cs_peers_find(&t, &b), sb);
    assert_int_equal(cs_peers_find(&t, &c), sc);
    assert_int_equal(cs_peers_find(&t, &d), sd);
    assert_int_equal(cs_peers_find(&t, &e), CS_PEER_NONE);
    assert_int_equal(cs_peers_get(&t, sd)->sock, 1);
    assert_int_equal(t.count, 4);
    cs_peers_free(&t);
}

/* The cap is hard: a full table refuses to add; the LRU slot is the victim. */
static void test_cap_and_lru(void **state) {
    (void)state;
    cs_peer_table t;
    assert_int_equal(cs_peers_init(&t, 3, 7), 0);
    cs_sockaddr a = v4("10.0.0.1", 1), b = v4("10.0.0.2", 1), c = v4("10.0.0.3", 1),
                d = v4("10.0.0.4", 1);
    uint32_t sa = cs_peers_add(&t, &a, 0, 1);
    uint32_t sb = cs_peers_add(&t, &b, 0, 2);
    uint32_t sc = cs_peers_add(&t, &c, 0, 3);
    assert_int_equal(cs_peers_add(&t, &d, 0, 4), CS_PEER_NONE);
    assert_int_equal(cs_peers_victim(&t, NULL, NULL), sa);
    cs_peers_touch(&t, sa, 5);
    assert_int_equal(cs_peers_victim(&t, NULL, NULL), sb);
    cs_peers_touch(&t, sb, 6);
    assert_int_equal(cs_peers_victim(&t, NULL, NULL), sc);
    cs_peers_remove(&t, sc);
    assert_int_equal(cs_peers_find(&t, &c), CS_PEER_NONE);
    assert_int_equal(cs_peers_add(&t, &d, 0, 7), sc);
    assert_int_equal(cs_peers_find(&t, &d), sc);
    assert_int_equal(cs_peers_victim(&t, NULL, NULL), sa);
    cs_peers_free(&t);
}

static int busy_first(void *user, uint32_t slot) {
    return slot == *(uint32_t *)user;
}

/* Busy peers are skipped by the victim search; none idle gives NONE. */
static void test_victim_skips_busy(void **state) {
    (void)state;
    cs_peer_table t;
    assert_int_equal(cs_peers_init(&t, 2, 9), 0);
    cs_sockaddr a = v4("10.0.0.1", 1), b = v4("10.0.0.2", 1);
    uint32_t sa = cs_peers_add(&t, &a, 0, 1);
    uint32_t sb = cs_peers_add(&t, &b, 0, 2);
    assert_int_equal(cs_peers_victim(&t, busy_first, &sa), sb);
    cs_peers_remove(&t, sb);
    assert_int_equal(cs_peers_victim(&t, busy_first, &sa), CS_PEER_NONE);
    cs_peers_free(&t);
}

/* A reused slot has a new generation: ids of the old occupant no longer match. */
static void test_generation(void **state) {
    (void)state;
    cs_peer_table t;
    assert_int_equal(cs_peers_init(&t, 1, 1), 0);
    cs_sockaddr a = v4("10.0.0.1", 1), b = v6("fe80::1", 1);
    uint32_t s = cs_peers_add(&t, &a, 0, 1);
    coapsec_peer_id old = cs_peers_id(&t, s);
    cs_peers_remove(&t, s);
    assert_null(cs_peers_get(&t, s));
    assert_int_equal(cs_peers_add(&t, &b, 0, 2), s);
    coapsec_peer_id now = cs_peers_id(&t, s);
    assert_false(coapsec_peer_id_eq(old, now));
    assert_int_equal(now.slot, old.slot);
    cs_peers_free(&t);
}

static void test_bad_init(void **state) {
    (void)state;
    cs_peer_table t;
    assert_int_equal(cs_peers_init(&t, 0, 1), COAPSEC_ERR_INVAL);
}

/* Random adds/removes with heavy collisions (seed 0, small table) against a model. */
static void test_random_model(void **state) {
    (void)state;
    enum { CAP = 37, KEYS = 80, OPS = 20000 };
    cs_peer_table t;
    assert_int_equal(cs_peers_init(&t, CAP, 0), 0);
    uint32_t model[KEYS];
    cs_sockaddr keys[KEYS];
    for (int i = 0; i < KEYS; i++) {
        model[i] = CS_PEER_NONE;
        char ip[64];
        if (i % 2) {
            snprintf(ip, sizeof ip, "2001:db8::%x", i / 3);
            keys[i] = v6(ip, (uint16_t)(5000 + i % 3));
        } else {
            snprintf(ip, sizeof ip, "192.0.2.%d", i / 3);
            keys[i] = v4(ip, (uint16_t)(5000 + i % 3));
        }
    }
    uint32_t rnd = 12345, count = 0;
    for (int op = 0; op < OPS; op++) {
        rnd = rnd * 1103515245u + 12345u;
        int k = (int)((rnd >> 8) % KEYS);
        if (model[k] == CS_PEER_NONE) {
            uint32_t s = cs_peers_add(&t, &keys[k], 0, (coapsec_tstamp)op);
            if (count == CAP) {
                assert_int_equal(s, CS_PEER_NONE);
                uint32_t v = cs_peers_victim(&t, NULL, NULL);
                assert_int_not_equal(v, CS_PEER_NONE);
                for (int j = 0; j < KEYS; j++)
                    if (model[j] == v)
                        model[j] = CS_PEER_NONE;
                cs_peers_remove(&t, v);
                count--;
                s = cs_peers_add(&t, &keys[k], 0, (coapsec_tstamp)op);
            }
            assert_int_not_equal(s, CS_PEER_NONE);
            model[k] = s;
            count++;
        } else if ((rnd >> 20) & 1) {
            cs_peers_remove(&t, model[k]);
            model[k] = CS_PEER_NONE;
            count--;
        } else {
            cs_peers_touch(&t, model[k], (coapsec_tstamp)op);
        }
        assert_int_equal(t.count, count);
        if (op % 97 == 0)
            for (int j = 0; j < KEYS; j++)
                assert_int_equal(cs_peers_find(&t, &keys[j]), model[j]);
    }
    cs_peers_free(&t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_fields),        cmocka_unit_test(test_cap_and_lru),
        cmocka_unit_test(test_victim_skips_busy), cmocka_unit_test(test_generation),
        cmocka_unit_test(test_bad_init),          cmocka_unit_test(test_random_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
