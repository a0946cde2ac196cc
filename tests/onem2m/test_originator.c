/*
 * test_originator.c - tests for src/onem2m/originator.c: the originator's
 * table of outstanding requests (TS-0008 §6.3): blocking answers end a
 * request, 1001/1002 to non-blocking and flex-blocking requests keep it
 * ("accepted"), the originator timeout produces REQUEST_TIMEOUT (4008, which
 * Table 6.2.4-1 maps to 5.04) and a late response is ignored, with a fake
 * clock throughout.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "coapsec/onem2m.h"

static coapsec_onem2m_str S(const char *s) {
    coapsec_onem2m_str r = {s, strlen(s)};
    return r;
}

static coapsec_onem2m_orig o;
static coapsec_onem2m_prim req, rsp, to;

static void mkreq(const char *rqi, int op, int rt) {
    coapsec_onem2m_prim_init(&req);
    req.op = op;
    req.to = S("cse-in");
    req.fr = S("CAE1");
    req.rqi = S(rqi);
    req.rt = rt;
}

static void mkrsp(const char *rqi, int rsc) {
    coapsec_onem2m_prim_init(&rsp);
    rsp.rqi = S(rqi);
    rsp.rsc = rsc;
}

/* §6.3 blocking: the response ends the request. */
static void test_blocking_final(void **state) {
    (void)state;
    coapsec_onem2m_orig_init(&o);
    mkreq("r1", COAPSEC_ONEM2M_OP_CREATE, COAPSEC_ONEM2M_ABSENT);
    assert_int_equal(coapsec_onem2m_orig_start(&o, &req, 5000, 100), 0);
    assert_int_equal(coapsec_onem2m_orig_outstanding(&o), 1);
    assert_int_equal(coapsec_onem2m_orig_expiry(&o), 5100);
    mkrsp("r1", 2001);
    assert_int_equal(coapsec_onem2m_orig_response(&o, &rsp, 200), COAPSEC_ONEM2M_ORIG_FINAL);
    assert_int_equal(coapsec_onem2m_orig_outstanding(&o), 0);
    assert_true(coapsec_onem2m_orig_expiry(&o) == COAPSEC_TSTAMP_NONE);
    /* A second answer to the same rqi matches nothing. */
    assert_int_equal(coapsec_onem2m_orig_response(&o, &rsp, 300), COAPSEC_ERR_NOTFOUND);
    assert_int_equal(o.unknown, 1);
    /* 1001 to a blocking request is not "accepted": it is the answer. */
    mkreq("r2", COAPSEC_ONEM2M_OP_RETRIEVE, COAPSEC_ONEM2M_RT_BLOCKING);
    assert_int_equal(coapsec_onem2m_orig_start(&o, &req, 5000, 0), 0);
    mkrsp("r2", 1001);
    assert_int_equal(coapsec_onem2m_orig_response(&o, &rsp, 1), COAPSEC_ONEM2M_ORIG_FINAL);
}

/* §6.3 non-blocking synch/asynch and flex-blocking: 1001/1002 accept, the
 * later result ends the request; the timeout covers both stages. */
static void test_nonblocking_accepted(void **state) {
    (void)state;
    static const struct {
        int rt, ack;
    } v[] = {{COAPSEC_ONEM2M_RT_NONBLOCKING_SYNCH, 1001},
             {COAPSEC_ONEM2M_RT_NONBLOCKING_ASYNCH, 1002},
             {COAPSEC_ONEM2M_RT_FLEX_BLOCKING, 1001},
             {COAPSEC_ONEM2M_RT_FLEX_BLOCKING, 1002}};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        coapsec_onem2m_orig_init(&o);
        mkreq("nb", COAPSEC_ONEM2M_OP_CREATE, v[i].rt);
        assert_int_equal(coapsec_onem2m_orig_start(&o, &req, 1000, 0), 0);
        mkrsp("nb", v[i].ack);
        assert_int_equal(coapsec_onem2m_orig_response(&o, &rsp, 10), COAPSEC_ONEM2M_ORIG_ACCEPTED);
        assert_int_equal(coapsec_onem2m_orig_outstanding(&o), 1);
        assert_int_equal(coapsec_onem2m_orig_expiry(&o), 1000);
        mkrsp("nb", 2001);
        assert_int_equal(coapsec_onem2m_orig_response(&o, &rsp, 500), COAPSEC_ONEM2M_ORIG_FINAL);
        assert_int_equal(coapsec_onem2m_orig_outstanding(&o), 0);
    }
    /* Flex-blocking answered directly (receiver chose blocking). */
    coapsec_onem2m_orig_init(&o);
    mkreq("fx", COAPSEC_ONEM2M_OP_RETRIEVE, COAPSEC_ONEM2M_RT_FLEX_BLOCKING);
    assert_int_equal(coapsec_onem2m_orig_start(&o, &req, 1000, 0), 0);
    mkrsp("fx", 2000);
    assert_int_equal(coapsec_onem2m_orig_response(&o, &rsp, 1), COAPSEC_ONEM2M_ORIG_FINAL);
}

/* §6.3: the originator gives up with REQUEST_TIMEOUT and ignores a late response. */
static void test_timeout_and_late(void **state) {
    (void)state;
    coapsec_onem2m_orig_init(&o);
    mkreq("t1", COAPSEC_ONEM2M_OP_RETRIEVE, COAPSEC_ONEM2M_ABSENT);
    assert_int_equal(coapsec_onem2m_orig_start(&o, &req, 1000, 50), 0);
    assert_int_equal(coapsec_onem2m_orig_expire(&o, &to, 1049), 0);
    assert_int_equal(coapsec_onem2m_orig_expire(&o, &to, 1050), 1);
    assert_int_equal(to.rsc, COAPSEC_ONEM2M_RSC_REQUEST_TIMEOUT);
    assert_int_equal(to.rqi.len, 2);
    assert_memory_equal(to.rqi.p, "t1", 2);
    assert_int_equal(coapsec_onem2m_rsc_code((uint32_t)to.rsc, COAPSEC_ONEM2M_OP_RETRIEVE, 0),
                     COAPSEC_GATEWAY_TIMEOUT);
    assert_int_equal(coapsec_onem2m_orig_expire(&o, &to, 5000), 0); /* once only */
    assert_int_equal(o.timeouts, 1);
    assert_int_equal(coapsec_onem2m_orig_outstanding(&o), 0);
    assert_true(coapsec_onem2m_orig_expiry(&o) == COAPSEC_TSTAMP_NONE);
    /* The late response. */
    mkrsp("t1", 2000);
    assert_int_equal(coapsec_onem2m_orig_response(&o, &rsp, 1200), COAPSEC_ERR_TIMEOUT);
    assert_int_equal(o.late, 1);
    /* The same rqi may be used again; the new request is matched, not the tombstone. */
    assert_int_equal(coapsec_onem2m_orig_start(&o, &req, 1000, 2000), 0);
    assert_int_equal(coapsec_onem2m_orig_response(&o, &rsp, 2001), COAPSEC_ONEM2M_ORIG_FINAL);
}

/* A response at the deadline, before expire ran, is already late; the
 * timeout is still reported. An accepted non-blocking request times out too. */
static void test_deadline_edge(void **state) {
    (void)state;
    coapsec_onem2m_orig_init(&o);
    mkreq("e1", COAPSEC_ONEM2M_OP_CREATE, COAPSEC_ONEM2M_RT_NONBLOCKING_SYNCH);
    assert_int_equal(coapsec_onem2m_orig_start(&o, &req, 100, 0), 0);
    mkrsp("e1", 1001);
    assert_int_equal(coapsec_onem2m_orig_response(&o, &rsp, 99), COAPSEC_ONEM2M_ORIG_ACCEPTED);
    mkrsp("e1", 2001);
    assert_int_equal(coapsec_onem2m_orig_response(&o, &rsp, 100), COAPSEC_ERR_TIMEOUT);
    assert_int_equal(coapsec_onem2m_orig_expire(&o, &to, 100), 1);
    assert_int_equal(to.rsc, 4008);
    assert_int_equal(coapsec_onem2m_orig_expire(&o, &to, 100), 0);
}

/* Several outstanding: expire reports them earliest first. */
static void test_order_and_capacity(void **state) {
    (void)state;
    char names[COAPSEC_ONEM2M_MAX_OUTSTANDING + 1][8];
    coapsec_onem2m_orig_init(&o);
    for (int i = 0; i < COAPSEC_ONEM2M_MAX_OUTSTANDING; i++) {
        snprintf(names[i], sizeof names[i], "q%d", i);
        mkreq(names[i], COAPSEC_ONEM2M_OP_RETRIEVE, COAPSEC_ONEM2M_ABSENT);
        /* deadlines 1000 + (N-1-i)*10: the last started expires first */
        uint64_t tmo = 1000 + (uint64_t)(COAPSEC_ONEM2M_MAX_OUTSTANDING - 1 - i) * 10;
        assert_int_equal(coapsec_onem2m_orig_start(&o, &req, tmo, 0), 0);
    }
    mkreq("q0", COAPSEC_ONEM2M_OP_RETRIEVE, COAPSEC_ONEM2M_ABSENT);
    assert_int_equal(coapsec_onem2m_orig_start(&o, &req, 10, 0), COAPSEC_ERR_STATE);
    snprintf(names[COAPSEC_ONEM2M_MAX_OUTSTANDING], 8, "full");
    mkreq(names[COAPSEC_ONEM2M_MAX_OUTSTANDING], COAPSEC_ONEM2M_OP_RETRIEVE, COAPSEC_ONEM2M_ABSENT);
    assert_int_equal(coapsec_onem2m_orig_start(&o, &req, 10, 0), COAPSEC_ERR_NOMEM);
    assert_int_equal(coapsec_onem2m_orig_expiry(&o), 1000);
    assert_int_equal(coapsec_onem2m_orig_expire(&o, &to, 1015), 1);
    assert_int_equal(to.rqi.len, strlen(names[COAPSEC_ONEM2M_MAX_OUTSTANDING - 1]));
    assert_memory_equal(to.rqi.p, names[COAPSEC_ONEM2M_MAX_OUTSTANDING - 1], to.rqi.len);
    assert_int_equal(coapsec_onem2m_orig_expire(&o, &to, 1015), 1);
    assert_memory_equal(to.rqi.p, names[COAPSEC_ONEM2M_MAX_OUTSTANDING - 2], to.rqi.len);
    assert_int_equal(coapsec_onem2m_orig_expire(&o, &to, 1015), 0);
    /* The tombstones make room for new requests. */
    assert_int_equal(coapsec_onem2m_orig_start(&o, &req, 10, 1015), 0);
    assert_int_equal(coapsec_onem2m_orig_outstanding(&o), COAPSEC_ONEM2M_MAX_OUTSTANDING - 1);
}

static void test_invalid(void **state) {
    (void)state;
    coapsec_onem2m_orig_init(&o);
    mkreq("x", COAPSEC_ONEM2M_OP_RETRIEVE, COAPSEC_ONEM2M_ABSENT);
    assert_int_equal(coapsec_onem2m_orig_start(&o, &req, 0, 0), COAPSEC_ERR_INVAL);
    assert_int_equal(coapsec_onem2m_orig_start(NULL, &req, 1, 0), COAPSEC_ERR_INVAL);
    req.rqi.p = NULL;
    req.rqi.len = 0;
    assert_int_equal(coapsec_onem2m_orig_start(&o, &req, 1, 0), COAPSEC_ERR_INVAL);
    char longrqi[COAPSEC_ONEM2M_RQI_MAX + 2];
    memset(longrqi, 'a', sizeof longrqi - 1);
    longrqi[sizeof longrqi - 1] = '\0';
    req.rqi = S(longrqi);
    assert_int_equal(coapsec_onem2m_orig_start(&o, &req, 1, 0), COAPSEC_ERR_INVAL);
    coapsec_onem2m_prim_init(&rsp);
    assert_int_equal(coapsec_onem2m_orig_response(&o, &rsp, 0), COAPSEC_ERR_INVAL);
    assert_int_equal(coapsec_onem2m_orig_expire(&o, &to, 100), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blocking_final),     cmocka_unit_test(test_nonblocking_accepted),
        cmocka_unit_test(test_timeout_and_late),   cmocka_unit_test(test_deadline_edge),
        cmocka_unit_test(test_order_and_capacity), cmocka_unit_test(test_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
