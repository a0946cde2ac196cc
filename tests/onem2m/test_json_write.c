/*
 * test_json_write.c - tests for src/onem2m/json_write.c: response primitives
 * printed as TS-0004 short-name JSON (pc embedded when JSON, else a string;
 * escapes per RFC 8259 §7), the JSON -> primitive -> CoAP -> bytes -> primitive
 * -> JSON round trip, and output bounds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "coapsec/onem2m.h"

static coapsec_onem2m_prim p, q;

static coapsec_onem2m_str S(const char *s) {
    coapsec_onem2m_str r = {s, strlen(s)};
    return r;
}

static void test_response(void **state) {
    (void)state;
    char out[512];
    coapsec_onem2m_prim_init(&p);
    p.rsc = 2001;
    p.rqi = S("r1");
    p.fr = S("/cse-in");
    p.ec = 1;
    p.loc = S("cse-in/ae1");
    p.pc = S("{ \"m2m:ae\" : { \"rn\" : \"a b\" } }");
    p.cf = COAPSEC_ONEM2M_CF_RES_JSON;
    int n = coapsec_onem2m_rsp_to_json(&p, out, sizeof out);
    const char *want = "{\"rsc\":2001,\"fr\":\"/cse-in\",\"rqi\":\"r1\",\"ec\":1,"
                       "\"loc\":\"cse-in/ae1\",\"pc\":{\"m2m:ae\":{\"rn\":\"a b\"}}}";
    assert_int_equal(n, strlen(want));
    assert_string_equal(out, want);
    /* exactly enough room, and one byte less */
    assert_int_equal(coapsec_onem2m_rsp_to_json(&p, out, (size_t)n + 1), n);
    assert_int_equal(coapsec_onem2m_rsp_to_json(&p, out, (size_t)n), COAPSEC_ERR_NOBUF);
    for (size_t cap = 0; cap < (size_t)n; cap++)
        assert_int_equal(coapsec_onem2m_rsp_to_json(&p, out, cap), COAPSEC_ERR_NOBUF);
}

/* Non-JSON or invalid-JSON pc is a string; control and invalid bytes escaped. */
static void test_pc_string(void **state) {
    (void)state;
    char out[256];
    coapsec_onem2m_prim_init(&p);
    p.rsc = 2000;
    p.pc = S("<m2m:cin/>");
    p.cf = COAPSEC_ONEM2M_CF_RES_XML;
    assert_true(coapsec_onem2m_to_json(&p, out, sizeof out) > 0);
    assert_string_equal(out, "{\"rsc\":2000,\"pc\":\"<m2m:cin/>\"}");
    p.pc = S("{bad");
    p.cf = COAPSEC_CF_JSON;
    assert_true(coapsec_onem2m_to_json(&p, out, sizeof out) > 0);
    assert_string_equal(out, "{\"rsc\":2000,\"pc\":\"{bad\"}");
    p.pc.p = "a\"\\\n\x01\xff\xc3\xa9";
    p.pc.len = 8;
    assert_true(coapsec_onem2m_to_json(&p, out, sizeof out) > 0);
    assert_string_equal(out, "{\"rsc\":2000,\"pc\":\"a\\\"\\\\\\u000a\\u0001\\u00ff\xc3\xa9\"}");
    assert_int_equal(coapsec_onem2m_json_check(out, strlen(out)), 0);
}

/* JSON request -> CoAP -> bytes -> primitive -> JSON gives the same JSON. */
static void test_json_coap_json(void **state) {
    (void)state;
    const char *j = "{\"op\":1,\"to\":\"/cse-in/ae1\",\"fr\":\"C123\",\"rqi\":\"r1\",\"ty\":4,"
                    "\"rt\":{\"rtv\":2,\"nu\":[\"/cse-in/C123\"]},\"rcn\":1,"
                    "\"fc\":{\"lbl\":\"a+b\",\"fu\":2},\"pc\":{\"m2m:cin\":{\"con\":\"x\\ty\"}}}";
    for (int nb = 0; nb <= 1; nb++) {
        assert_int_equal(coapsec_onem2m_req_from_json(&p, j, strlen(j), -1), 0);
        coapsec_msg m, d;
        memset(&m, 0, sizeof m);
        uint8_t scratch[COAPSEC_ONEM2M_SCRATCH], wire[COAPSEC_MAX_PDU];
        assert_int_equal(coapsec_onem2m_req_to_coap(&p, nb, &m, scratch, sizeof scratch), 0);
        int n = coapsec_msg_encode(&m, wire, sizeof wire);
        assert_true(n > 0);
        assert_int_equal(coapsec_msg_decode(&d, wire, (size_t)n), 0);
        assert_int_equal(coapsec_onem2m_req_from_coap(&q, &d, nb), 0);
        char out[512];
        assert_true(coapsec_onem2m_to_json(&q, out, sizeof out) > 0);
        assert_string_equal(out, j);
    }
}

/* Printed JSON parses back to the same primitive. */
static void test_print_parse(void **state) {
    (void)state;
    char out[512];
    coapsec_onem2m_prim_init(&p);
    p.rsc = 4004;
    p.rqi = S("r\x01");
    p.to = S("C1");
    p.rvi = S("3");
    p.cts = 2;
    p.cto = 0;
    p.vsi = S("\xe2\x82\xac");
    assert_true(coapsec_onem2m_to_json(&p, out, sizeof out) > 0);
    assert_int_equal(coapsec_onem2m_from_json(&q, out, strlen(out), -1), 0);
    assert_int_equal(q.rsc, 4004);
    assert_int_equal(q.rqi.len, 2);
    assert_memory_equal(q.rqi.p, "r\x01", 2);
    assert_int_equal(q.cts, 2);
    assert_int_equal(q.cto, 0);
    assert_int_equal(q.vsi.len, 3);
    assert_int_equal(coapsec_onem2m_to_json(NULL, out, sizeof out), COAPSEC_ERR_NOBUF);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_response),
        cmocka_unit_test(test_pc_string),
        cmocka_unit_test(test_json_coap_json),
        cmocka_unit_test(test_print_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
