/*
 * test_response.c - tests for src/onem2m/response.c: response primitive ->
 * CoAP response -> bytes -> primitive for every row of TS-0008 Table 6.2.4-1
 * in both numberings with oneM2M-RSC always carried, Location-Path of a
 * created resource (§6.2.2.3 forms), NOTIFY 2000's empty payload, the
 * RSC/code agreement check and the fallback without oneM2M-RSC.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "coapsec/onem2m.h"

static coapsec_onem2m_str S(const char *s) {
    coapsec_onem2m_str r = {s, strlen(s)};
    return r;
}

static coapsec_onem2m_prim in, out;
static uint8_t wire[COAPSEC_MAX_PDU];

static int trip(int req_op, int nb, coapsec_msg *d) {
    coapsec_msg m;
    uint8_t scratch[COAPSEC_ONEM2M_SCRATCH];
    memset(&m, 0, sizeof m);
    m.type = COAPSEC_ACK;
    int rc = coapsec_onem2m_rsp_to_coap(&in, req_op, nb, &m, scratch, sizeof scratch);
    if (rc != 0)
        return rc;
    int n = coapsec_msg_encode(&m, wire, sizeof wire);
    assert_true(n > 0);
    assert_int_equal(coapsec_msg_decode(d, wire, (size_t)n), 0);
    return coapsec_onem2m_rsp_from_coap(&out, d, req_op, nb);
}

/* Every RSC the table names, both numberings: code per table, RSC exact. */
static void test_all_rscs(void **state) {
    (void)state;
    static const uint16_t rscs[] = {
        1001, 1002, 2000, 2001, 2002, 2004, 4000, 4001, 4004, 4005, 4008, 4015, 4101, 4102,
        4103, 4104, 4105, 4106, 4107, 4108, 4109, 4110, 4111, 4112, 4113, 4114, 4115, 4116,
        4117, 4118, 4119, 4120, 4121, 4122, 4123, 4124, 4125, 4126, 4127, 4143, 5000, 5001,
        5103, 5105, 5106, 5107, 5203, 5204, 5205, 5206, 5207, 5208, 5209, 5210, 5211, 5212,
        5214, 5215, 5216, 5217, 5218, 5219, 5220, 5221, 5222, 6003, 6005, 6010, 6020, 6021,
        6022, 6023, 6024, 6025, 6026, 6028, 6029, 6030, 6031,
    };
    for (int nb = 0; nb <= 1; nb++) {
        for (size_t i = 0; i < sizeof rscs / sizeof rscs[0]; i++) {
            coapsec_msg d;
            coapsec_onem2m_prim_init(&in);
            in.rsc = rscs[i];
            in.rqi = S("r1");
            assert_int_equal(trip(COAPSEC_ONEM2M_OP_RETRIEVE, nb, &d), 0);
            assert_int_equal(out.rsc, rscs[i]);
            assert_int_equal(d.code, coapsec_onem2m_rsc_code(rscs[i], 2, 0));
            const coapsec_opt *o = coapsec_msg_find(&d, nb ? 265 : 307);
            assert_non_null(o); /* oneM2M-RSC always carried */
            assert_int_equal(o->len, 2);
            assert_int_equal(out.rqi.len, 2);
        }
    }
    coapsec_onem2m_prim_init(&in);
    in.rsc = 1000; /* "not used" */
    coapsec_msg d;
    assert_int_equal(trip(1, 0, &d), COAPSEC_ERR_UNSUPPORTED);
    in.rsc = COAPSEC_ONEM2M_ABSENT;
    assert_int_equal(trip(1, 0, &d), COAPSEC_ERR_INVAL);
}

/* CREATE: 2.01 with the created resource in Location-Path; 1002 with and
 * without a <request> resource. */
static void test_created_location(void **state) {
    (void)state;
    static const char *const locs[] = {"cse-in/ae1/cnt1", "/CSE178/CSEBase/ae12",
                                       "//mym2msp.org/CSE178/CSEBase/ae12"};
    for (size_t i = 0; i < 3; i++) {
        coapsec_msg d;
        coapsec_onem2m_prim_init(&in);
        in.rsc = 2001;
        in.loc = S(locs[i]);
        in.pc = S("{\"m2m:cnt\":{\"rn\":\"cnt1\"}}");
        in.cf = COAPSEC_ONEM2M_CF_RES_JSON;
        assert_int_equal(trip(COAPSEC_ONEM2M_OP_CREATE, 0, &d), 0);
        assert_int_equal(d.code, COAPSEC_CREATED);
        assert_int_equal(out.loc.len, strlen(locs[i]));
        assert_memory_equal(out.loc.p, locs[i], out.loc.len);
        assert_int_equal(out.cf, COAPSEC_ONEM2M_CF_RES_JSON);
        assert_int_equal(out.pc.len, in.pc.len);
    }
    coapsec_msg d;
    coapsec_onem2m_prim_init(&in);
    in.rsc = 1002;
    in.loc = S("cse-in/req1");
    assert_int_equal(trip(COAPSEC_ONEM2M_OP_CREATE, 0, &d), 0);
    assert_int_equal(d.code, COAPSEC_CREATED);
    in.loc.p = NULL;
    assert_int_equal(trip(COAPSEC_ONEM2M_OP_CREATE, 0, &d), 0);
    assert_int_equal(d.code, COAPSEC_CHANGED);
    assert_int_equal(out.rsc, 1002);
    in.loc = S("//sp"); /* maps to no path */
    in.rsc = 2001;
    assert_int_equal(trip(COAPSEC_ONEM2M_OP_CREATE, 0, &d), COAPSEC_ERR_NOPATH);
}

/* 2000 to a NOTIFY: 2.04 and an empty payload; to a RETRIEVE: 2.05. */
static void test_notify_ok(void **state) {
    (void)state;
    coapsec_msg d;
    coapsec_onem2m_prim_init(&in);
    in.rsc = 2000;
    assert_int_equal(trip(COAPSEC_ONEM2M_OP_NOTIFY, 0, &d), 0);
    assert_int_equal(d.code, COAPSEC_CHANGED);
    assert_int_equal(d.payload_len, 0);
    in.pc = S("{}");
    assert_int_equal(trip(COAPSEC_ONEM2M_OP_NOTIFY, 0, &d), COAPSEC_ERR_INVAL);
    assert_int_equal(trip(COAPSEC_ONEM2M_OP_RETRIEVE, 0, &d), 0);
    assert_int_equal(d.code, COAPSEC_CONTENT);
}

/* Without oneM2M-RSC the RSC comes from the code; a contradicting one fails. */
static void test_from_code(void **state) {
    (void)state;
    coapsec_msg m;
    uint8_t b[4];
    memset(&m, 0, sizeof m);
    m.code = COAPSEC_CHANGED;
    assert_int_equal(coapsec_onem2m_rsp_from_coap(&out, &m, COAPSEC_ONEM2M_OP_NOTIFY, 0), 0);
    assert_int_equal(out.rsc, 2000);
    assert_int_equal(coapsec_onem2m_rsp_from_coap(&out, &m, COAPSEC_ONEM2M_OP_UPDATE, 0), 0);
    assert_int_equal(out.rsc, 2004);
    m.code = COAPSEC_NOT_FOUND;
    assert_int_equal(coapsec_msg_add_uint(&m, 307, 2001, b), 0); /* 2001 with 4.04 */
    assert_int_equal(coapsec_onem2m_rsp_from_coap(&out, &m, 1, 0), COAPSEC_ERR_FORMAT);
    m.code = COAPSEC_GET; /* not a response */
    assert_int_equal(coapsec_onem2m_rsp_from_coap(&out, &m, 1, 0), COAPSEC_ERR_INVAL);
    /* a Location-Path that maps to no To */
    memset(&m, 0, sizeof m);
    m.code = COAPSEC_CREATED;
    assert_int_equal(coapsec_msg_add_opt(&m, COAPSEC_OPT_LOCATION_PATH, "~", 1), 0);
    assert_int_equal(coapsec_onem2m_rsp_from_coap(&out, &m, 1, 0), COAPSEC_ERR_NOPATH);
}

/* Response parameters travel in both numberings (those the legacy has). */
static void test_params_both(void **state) {
    (void)state;
    for (int nb = 0; nb <= 1; nb++) {
        coapsec_msg d;
        coapsec_onem2m_prim_init(&in);
        in.rsc = 2004;
        in.rqi = S("q");
        in.fr = S("/cse-in");
        in.ot = S("20240101T000000");
        in.rset = S("20240101T000100");
        in.ec = 2;
        if (!nb) {
            in.rvi = S("4");
            in.vsi = S("vs");
            in.cts = 9;
            in.cto = 1;
            in.ati = S("a:b");
        }
        assert_int_equal(trip(COAPSEC_ONEM2M_OP_UPDATE, nb, &d), 0);
        assert_int_equal(out.ec, 2);
        assert_int_equal(out.fr.len, 7);
        assert_int_equal(out.ot.len, 15);
        assert_int_equal(out.rset.len, 15);
        assert_int_equal(out.cts, nb ? -1 : 9);
        assert_int_equal(out.rvi.len, nb ? 0 : 1);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_rscs),    cmocka_unit_test(test_created_location),
        cmocka_unit_test(test_notify_ok),   cmocka_unit_test(test_from_code),
        cmocka_unit_test(test_params_both),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
