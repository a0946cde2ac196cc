/*
 * test_reqtab.c - tests for src/onem2m/reqtab.c: the receiver's <request>
 * resources for non-blocking requests (TS-0008 §6.3): 1001 + Location-Path
 * (2.01 per Table 6.2.4-1) for synch, 1002 for asynch, the PENDING ->
 * COMPLETED/FAILED representation the originator retrieves, the NOTIFY
 * carrying an asynch result, table limits, and the whole non-blocking synch
 * exchange (TS-0008 Annex A) in memory against the originator table.
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

static coapsec_onem2m_reqtab t;
static coapsec_onem2m_prim req, ack, res, back, ntfy;
static char json[2048];

static void mkreq(const char *rqi, int rt) {
    coapsec_onem2m_prim_init(&req);
    req.op = COAPSEC_ONEM2M_OP_CREATE;
    req.to = S("cse-in/AE1/cnt1");
    req.fr = S("CAE1");
    req.rqi = S(rqi);
    req.ty = 4;
    req.rt = rt;
    req.pc = S("{\"m2m:cin\":{\"con\":\"21\"}}");
    req.cf = COAPSEC_ONEM2M_CF_RES_JSON;
}

static void test_accept_synch(void **state) {
    (void)state;
    coapsec_onem2m_reqtab_init(&t);
    mkreq("r1", COAPSEC_ONEM2M_RT_NONBLOCKING_SYNCH);
    int idx = coapsec_onem2m_reqtab_accept(&t, &req, "cse-in", &ack, 10);
    assert_true(idx >= 0);
    assert_int_equal(ack.rsc, 1001);
    assert_int_equal(ack.rqi.len, 2);
    assert_int_equal(ack.loc.len, strlen("cse-in/req1"));
    assert_memory_equal(ack.loc.p, "cse-in/req1", ack.loc.len);
    assert_int_equal(coapsec_onem2m_reqtab_find(&t, "req1", 4), idx);
    assert_int_equal(coapsec_onem2m_reqtab_find(&t, "req2", 4), COAPSEC_ERR_NOTFOUND);
    /* Table 6.2.4-1: 1001 -> 2.01 with the <request> in Location-Path. */
    coapsec_msg m;
    uint8_t scratch[COAPSEC_ONEM2M_SCRATCH];
    memset(&m, 0, sizeof m);
    assert_int_equal(coapsec_onem2m_rsp_to_coap(&ack, COAPSEC_ONEM2M_OP_CREATE,
                                                COAPSEC_ONEM2M_NUM_CURRENT, &m, scratch,
                                                sizeof scratch),
                     0);
    assert_int_equal(m.code, COAPSEC_CREATED);
    const coapsec_opt *lp = coapsec_msg_find(&m, COAPSEC_OPT_LOCATION_PATH);
    assert_non_null(lp);
    assert_int_equal(lp->len, 6);
    assert_memory_equal(lp->val, "cse-in", 6);
    /* Pending representation: rs 3, no ol. */
    int n = coapsec_onem2m_reqtab_to_json(&t, idx, json, sizeof json);
    assert_true(n > 0);
    assert_int_equal(coapsec_onem2m_json_check(json, (size_t)n), 0);
    assert_string_equal(json,
                        "{\"m2m:req\":{\"rn\":\"req1\",\"ri\":\"req1\",\"ty\":17,\"op\":1,"
                        "\"tg\":\"cse-in/AE1/cnt1\",\"org\":\"CAE1\",\"rid\":\"r1\",\"rs\":3}}");
    assert_int_equal(coapsec_onem2m_result_from_json(&res, json, (size_t)n), 0);
    assert_int_equal(
        coapsec_onem2m_reqtab_notify(&t, idx, "/id-in", "n1", &ntfy, json, sizeof json),
        COAPSEC_ERR_STATE);
    /* Completed: rs 1 and ol with the result. */
    coapsec_onem2m_prim_init(&res);
    res.rsc = 2001;
    res.pc = S("{\"m2m:cin\":{\"rn\":\"cin1\",\"con\":\"21\"}}");
    res.cf = COAPSEC_ONEM2M_CF_RES_JSON;
    assert_int_equal(coapsec_onem2m_reqtab_complete(&t, idx, &res), 0);
    assert_int_equal(coapsec_onem2m_reqtab_complete(&t, idx, &res), COAPSEC_ERR_STATE);
    n = coapsec_onem2m_reqtab_to_json(&t, idx, json, sizeof json);
    assert_true(n > 0);
    assert_non_null(strstr(json, "\"rs\":1,\"ol\":{\"rsc\":2001,\"rqi\":\"r1\",\"pc\":{\"m2m:cin\":"
                                 "{\"rn\":\"cin1\",\"con\":\"21\"}}}"));
    assert_int_equal(coapsec_onem2m_result_from_json(&back, json, (size_t)n), 1);
    assert_int_equal(back.rsc, 2001);
    assert_memory_equal(back.rqi.p, "r1", 2);
    /* Too small a buffer. */
    assert_int_equal(coapsec_onem2m_reqtab_to_json(&t, idx, json, 20), COAPSEC_ERR_NOBUF);
    assert_int_equal(coapsec_onem2m_reqtab_to_json(&t, 99, json, sizeof json),
                     COAPSEC_ERR_NOTFOUND);
}

static void test_accept_asynch_notify(void **state) {
    (void)state;
    coapsec_onem2m_reqtab_init(&t);
    mkreq("a1", COAPSEC_ONEM2M_RT_NONBLOCKING_ASYNCH);
    req.rturi = S("CAE1/ntfy");
    int idx = coapsec_onem2m_reqtab_accept(&t, &req, "cse-in", &ack, 0);
    assert_true(idx >= 0);
    assert_int_equal(ack.rsc, 1002);
    coapsec_onem2m_prim_init(&res);
    res.rsc = 4004; /* the operation failed: rs FAILED, still notified */
    assert_int_equal(coapsec_onem2m_reqtab_complete(&t, idx, &res), 0);
    assert_int_equal(t.r[idx].rs, COAPSEC_ONEM2M_RS_FAILED);
    assert_int_equal(
        coapsec_onem2m_reqtab_notify(&t, idx, "/id-in", "n1", &ntfy, json, sizeof json), 0);
    assert_int_equal(ntfy.op, COAPSEC_ONEM2M_OP_NOTIFY);
    assert_int_equal(ntfy.to.len, strlen("CAE1/ntfy"));
    assert_memory_equal(ntfy.to.p, "CAE1/ntfy", ntfy.to.len);
    assert_int_equal(ntfy.cf, COAPSEC_ONEM2M_CF_NTFY_JSON);
    assert_string_equal(json, "{\"m2m:rsp\":{\"rsc\":4004,\"rqi\":\"a1\"}}");
    assert_int_equal(coapsec_onem2m_result_from_json(&back, ntfy.pc.p, ntfy.pc.len), 1);
    assert_int_equal(back.rsc, 4004);
    /* The NOTIFY maps to a CoAP POST (Table 6.2.1-1). */
    coapsec_msg m;
    uint8_t scratch[COAPSEC_ONEM2M_SCRATCH];
    memset(&m, 0, sizeof m);
    assert_int_equal(
        coapsec_onem2m_req_to_coap(&ntfy, COAPSEC_ONEM2M_NUM_CURRENT, &m, scratch, sizeof scratch),
        0);
    assert_int_equal(m.code, COAPSEC_POST);
    /* Without rturi the NOTIFY goes to the originator. */
    mkreq("a2", COAPSEC_ONEM2M_RT_NONBLOCKING_ASYNCH);
    idx = coapsec_onem2m_reqtab_accept(&t, &req, "cse-in", &ack, 0);
    assert_int_equal(coapsec_onem2m_reqtab_complete(&t, idx, &res), 0);
    assert_int_equal(
        coapsec_onem2m_reqtab_notify(&t, idx, "/id-in", "n2", &ntfy, json, sizeof json), 0);
    assert_int_equal(ntfy.to.len, 4);
    assert_memory_equal(ntfy.to.p, "CAE1", 4);
}

static void test_limits(void **state) {
    (void)state;
    coapsec_onem2m_reqtab_init(&t);
    mkreq("b", COAPSEC_ONEM2M_RT_BLOCKING);
    assert_int_equal(coapsec_onem2m_reqtab_accept(&t, &req, "cse-in", &ack, 0), COAPSEC_ERR_INVAL);
    req.rt = COAPSEC_ONEM2M_ABSENT;
    assert_int_equal(coapsec_onem2m_reqtab_accept(&t, &req, "cse-in", &ack, 0), COAPSEC_ERR_INVAL);
    char rq[COAPSEC_ONEM2M_MAX_REQRES][8];
    for (int i = 0; i < COAPSEC_ONEM2M_MAX_REQRES; i++) {
        snprintf(rq[i], sizeof rq[i], "p%d", i);
        mkreq(rq[i], COAPSEC_ONEM2M_RT_FLEX_BLOCKING);
        assert_int_equal(coapsec_onem2m_reqtab_accept(&t, &req, "cse-in", &ack, 0), i);
        assert_int_equal(ack.rsc, 1001);
    }
    mkreq("over", COAPSEC_ONEM2M_RT_NONBLOCKING_SYNCH);
    assert_int_equal(coapsec_onem2m_reqtab_accept(&t, &req, "cse-in", &ack, 0), COAPSEC_ERR_NOMEM);
    /* A finished one is replaced: the oldest finished. */
    coapsec_onem2m_prim_init(&res);
    res.rsc = 2001;
    assert_int_equal(coapsec_onem2m_reqtab_complete(&t, 5, &res), 0);
    assert_int_equal(coapsec_onem2m_reqtab_complete(&t, 3, &res), 0);
    assert_int_equal(coapsec_onem2m_reqtab_accept(&t, &req, "cse-in", &ack, 0), 3);
    assert_int_equal(coapsec_onem2m_reqtab_find(&t, "req4", 4), COAPSEC_ERR_NOTFOUND);
    /* A result content larger than the table keeps. */
    static char big[COAPSEC_ONEM2M_REQRES_PC + 1];
    memset(big, 'x', sizeof big);
    res.pc.p = big;
    res.pc.len = sizeof big;
    assert_int_equal(coapsec_onem2m_reqtab_complete(&t, 0, &res), COAPSEC_ERR_NOBUF);
    /* A target longer than the table keeps. */
    static char longto[COAPSEC_ONEM2M_REQRES_STR + 2];
    memset(longto, 'a', sizeof longto - 1);
    longto[sizeof longto - 1] = '\0';
    coapsec_onem2m_reqtab_init(&t);
    mkreq("l", COAPSEC_ONEM2M_RT_NONBLOCKING_SYNCH);
    req.to = S(longto);
    assert_int_equal(coapsec_onem2m_reqtab_accept(&t, &req, "cse-in", &ack, 0), COAPSEC_ERR_NOBUF);
}

/* TS-0008 Annex A, non-blocking synch, in memory: originator -> receiver
 * (1001 + <request>), retrieve while pending, the operation completes,
 * retrieve again -> the result ends the originator's request. */
static void test_annex_a_nb_synch_flow(void **state) {
    (void)state;
    static coapsec_onem2m_orig o;
    coapsec_onem2m_orig_init(&o);
    coapsec_onem2m_reqtab_init(&t);
    mkreq("annexA", COAPSEC_ONEM2M_RT_NONBLOCKING_SYNCH);
    assert_int_equal(coapsec_onem2m_orig_start(&o, &req, 10000, 0), 0);
    int idx = coapsec_onem2m_reqtab_accept(&t, &req, "cse-in", &ack, 5);
    assert_int_equal(coapsec_onem2m_orig_response(&o, &ack, 6), COAPSEC_ONEM2M_ORIG_ACCEPTED);
    int n = coapsec_onem2m_reqtab_to_json(&t, idx, json, sizeof json);
    assert_int_equal(coapsec_onem2m_result_from_json(&res, json, (size_t)n), 0); /* pending */
    coapsec_onem2m_prim_init(&back);
    back.rsc = 2001;
    assert_int_equal(coapsec_onem2m_reqtab_complete(&t, idx, &back), 0);
    n = coapsec_onem2m_reqtab_to_json(&t, idx, json, sizeof json);
    assert_int_equal(coapsec_onem2m_result_from_json(&res, json, (size_t)n), 1);
    assert_int_equal(coapsec_onem2m_orig_response(&o, &res, 50), COAPSEC_ONEM2M_ORIG_FINAL);
    assert_int_equal(res.rsc, 2001);
    assert_int_equal(coapsec_onem2m_orig_outstanding(&o), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accept_synch),
        cmocka_unit_test(test_accept_asynch_notify),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_annex_a_nb_synch_flow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
