/*
 * test_psk.c - unit tests for src/endpoint/psk.c's interned identities: the
 * PSK identities a server accepts through its default key or lookup callback
 * (RFC 4279 §2), kept once per distinct identity and referred to by the
 * slots that authenticated with it. Thousands of distinct identities through
 * growth of the pool and its hash index, shared references, releases in any
 * order and reuse of released entries, against a plain model of which slot
 * holds which identity.
 */
#define _GNU_SOURCE /* struct mmsghdr in ep_int.h */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "endpoint/ep_int.h"

enum { SLOTS = 6000, NAMES = 2500 };

static void name_of(unsigned n, char *buf, size_t cap) {
    snprintf(buf, cap, "device-%u", n); /* 8-11 bytes: many share their first 8 */
}

static void check_slot(const coapsec_endpoint *ep, const cs_slot_sec *sec, int name) {
    size_t n = 0;
    const uint8_t *id = cs_psk_id_of(ep, sec, &n);
    if (name < 0) {
        assert_null(id);
        return;
    }
    char want[32];
    name_of((unsigned)name, want, sizeof want);
    assert_non_null(id);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(id, want, n);
}

static void test_pool_many_identities(void **state) {
    (void)state;
    coapsec_endpoint *ep = calloc(1, sizeof *ep);
    cs_slot_sec *sec = calloc(SLOTS, sizeof *sec);
    int *holds = malloc(SLOTS * sizeof *holds); /* the model: name per slot, -1 none */
    assert_non_null(ep);
    assert_non_null(sec);
    assert_non_null(holds);
    ep->peers.cap = SLOTS; /* the pool never holds more than one entry per slot */
    ep->peers.seed = 0x1234;
    for (int i = 0; i < SLOTS; i++)
        holds[i] = -1;
    uint32_t rnd = 7;
    for (int op = 0; op < 60000; op++) {
        rnd = rnd * 1103515245u + 12345u;
        int slot = (int)((rnd >> 8) % SLOTS);
        if (holds[slot] >= 0 && (rnd >> 28) < 6) { /* the session ends */
            cs_psk_forget_id(ep, &sec[slot]);
            holds[slot] = -1;
        } else { /* a (new) session authenticates with a name */
            int name = (int)((rnd >> 4) % NAMES);
            char id[32];
            name_of((unsigned)name, id, sizeof id);
            cs_psk_remember_id(ep, &sec[slot], (const uint8_t *)id, strlen(id), -1);
            holds[slot] = name;
        }
        if (op % 5000 == 0 || op == 59999)
            for (int s = 0; s < SLOTS; s++)
                check_slot(ep, &sec[s], holds[s]);
    }
    /* one entry per distinct identity in use: same name, same reference */
    int first[NAMES];
    for (int n = 0; n < NAMES; n++)
        first[n] = -1;
    uint32_t distinct = 0;
    for (int s = 0; s < SLOTS; s++) {
        if (holds[s] < 0)
            continue;
        assert_true(sec[s].id_ref >= CS_ID_POOL);
        if (first[holds[s]] < 0) {
            first[holds[s]] = s;
            distinct++;
        } else {
            assert_int_equal(sec[s].id_ref, sec[first[holds[s]]].id_ref);
        }
    }
    uint32_t in_use = 0, refs = 0, held = 0;
    for (uint32_t i = 0; i < ep->npid; i++)
        if (ep->pid[i].refs) {
            in_use++;
            refs += ep->pid[i].refs;
        }
    for (int s = 0; s < SLOTS; s++)
        held += holds[s] >= 0;
    assert_int_equal(in_use, distinct);
    assert_int_equal(refs, held);
    assert_true(ep->npid_idx >= 2 * ep->npid);
    /* everything released: the pool is empty and takes identities again */
    for (int s = 0; s < SLOTS; s++)
        cs_psk_forget_id(ep, &sec[s]);
    for (uint32_t i = 0; i < ep->npid; i++)
        assert_int_equal(ep->pid[i].refs, 0);
    for (uint32_t i = 0; i < ep->npid_idx; i++)
        assert_int_equal(ep->pid_idx[i], 0);
    cs_psk_remember_id(ep, &sec[0], (const uint8_t *)"device-1", 8, -1);
    check_slot(ep, &sec[0], 1);
    cs_psk_pool_free(ep);
    free(holds);
    free(sec);
    free(ep);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_many_identities),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
