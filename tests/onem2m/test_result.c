/*
 * test_result.c - tests for src/onem2m/result.c: reading the result of a
 * non-blocking request (TS-0008 §6.3) from a retrieved <request> resource
 * (m2m:req with rs/ol) or from a NOTIFY's m2m:rsp, the JSON member lookup,
 * and oneM2M timestamps (TS-0004 m2m:timestamp, ISO 8601 basic) as epoch
 * seconds.
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

static coapsec_onem2m_prim p;

static void test_member(void **state) {
    (void)state;
    const char *j = " {\"a\" : 1, \"m2m:cnt\":{\"rn\":\"x\"},\"s\":\"t\\\"u\", \"l\":[1,{}]} ";
    coapsec_onem2m_str v;
    assert_int_equal(coapsec_onem2m_json_member(j, strlen(j), "a", &v), 0);
    assert_int_equal(v.len, 1);
    assert_memory_equal(v.p, "1", 1);
    assert_int_equal(coapsec_onem2m_json_member(j, strlen(j), "m2m:cnt", &v), 0);
    assert_int_equal(v.len, strlen("{\"rn\":\"x\"}"));
    assert_memory_equal(v.p, "{\"rn\":\"x\"}", v.len);
    coapsec_onem2m_str rn;
    assert_int_equal(coapsec_onem2m_json_member(v.p, v.len, "rn", &rn), 0);
    assert_int_equal(rn.len, 3); /* with its quotes */
    assert_int_equal(coapsec_onem2m_json_member(j, strlen(j), "s", &v), 0);
    assert_int_equal(v.len, strlen("\"t\\\"u\""));
    assert_int_equal(coapsec_onem2m_json_member(j, strlen(j), "l", &v), 0);
    assert_memory_equal(v.p, "[1,{}]", 6);
    assert_int_equal(coapsec_onem2m_json_member(j, strlen(j), "rn", &v), COAPSEC_ERR_NOTFOUND);
    assert_int_equal(coapsec_onem2m_json_member("{}", 2, "a", &v), COAPSEC_ERR_NOTFOUND);
    /* Fails closed on anything that is not one well-formed object. */
    static const char *bad[] = {"",           "[1]",   "{\"a\":}",   "{\"a\":1",
                                "{\"a\":1}x", "{a:1}", "{\"a\":1,}", "\"a\""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(coapsec_onem2m_json_member(bad[i], strlen(bad[i]), "a", &v),
                         COAPSEC_ERR_FORMAT);
    assert_int_equal(coapsec_onem2m_json_member(NULL, 0, "a", &v), COAPSEC_ERR_INVAL);
    /* Length is honoured: the text after len is not read. */
    assert_int_equal(coapsec_onem2m_json_member("{\"a\":1}}", 7, "a", &v), 0);
}

/* Synch: the retrieved <request> resource. */
static void test_result_request_resource(void **state) {
    (void)state;
    const char *pending = "{\"m2m:req\":{\"rn\":\"req1\",\"ty\":17,\"op\":1,\"rs\":3}}";
    assert_int_equal(coapsec_onem2m_result_from_json(&p, pending, strlen(pending)), 0);
    const char *fwd = "{\"m2m:req\":{\"rs\":4}}";
    assert_int_equal(coapsec_onem2m_result_from_json(&p, fwd, strlen(fwd)), 0);
    const char *done =
        "{\"m2m:req\":{\"rn\":\"req1\",\"ty\":17,\"op\":1,\"rs\":1,"
        "\"ol\":{\"rsc\":2001,\"rqi\":\"r9\",\"pc\":{\"m2m:cin\":{\"con\":\"v\"}}}}}";
    assert_int_equal(coapsec_onem2m_result_from_json(&p, done, strlen(done)), 1);
    assert_int_equal(p.rsc, 2001);
    assert_int_equal(p.rqi.len, 2);
    assert_memory_equal(p.rqi.p, "r9", 2);
    assert_int_equal(p.pc.len, strlen("{\"m2m:cin\":{\"con\":\"v\"}}"));
    assert_int_equal(p.cf, COAPSEC_ONEM2M_CF_RES_JSON);
    const char *failed = "{\"m2m:req\":{\"rs\":2,\"ol\":{\"rsc\":4004,\"rqi\":\"r9\"}}}";
    assert_int_equal(coapsec_onem2m_result_from_json(&p, failed, strlen(failed)), 1);
    assert_int_equal(p.rsc, 4004);
    /* Finished without ol, unknown rs, no rs, no rsc in ol: malformed. */
    static const char *bad[] = {
        "{\"m2m:req\":{\"rs\":1}}",
        "{\"m2m:req\":{\"rs\":9,\"ol\":{\"rsc\":2000}}}",
        "{\"m2m:req\":{\"ol\":{\"rsc\":2000}}}",
        "{\"m2m:req\":{\"rs\":1,\"ol\":{\"rqi\":\"a\"}}}",
        "{\"m2m:req\":{\"rs\":\"1\",\"ol\":{\"rsc\":2000}}}",
        "{\"m2m:cin\":{}}",
        "{\"m2m:rsp\":{\"op\":1,\"rsc\":2000}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(coapsec_onem2m_result_from_json(&p, bad[i], strlen(bad[i])),
                         COAPSEC_ERR_FORMAT);
    /* An unknown key inside the result fails as the primitive reader does. */
    const char *unk = "{\"m2m:rsp\":{\"rsc\":2000,\"zzz\":1}}";
    assert_int_equal(coapsec_onem2m_result_from_json(&p, unk, strlen(unk)),
                     COAPSEC_ERR_UNSUPPORTED);
}

/* Asynch: the content of the NOTIFY. */
static void test_result_notify(void **state) {
    (void)state;
    const char *n =
        "{\"m2m:rsp\":{\"rsc\":2000,\"rqi\":\"a1\",\"pc\":{\"m2m:ae\":{\"rn\":\"x\"}}}}";
    assert_int_equal(coapsec_onem2m_result_from_json(&p, n, strlen(n)), 1);
    assert_int_equal(p.rsc, 2000);
    assert_memory_equal(p.rqi.p, "a1", 2);
}

/* TS-0004 m2m:timestamp "YYYYMMDDTHHMMSS" (UTC). */
static void test_time(void **state) {
    (void)state;
    static const struct {
        const char *ts;
        uint64_t s;
    } ok[] = {
        {"19700101T000000", 0},          {"19700101T000001", 1},
        {"20000101T000000", 946684800},  {"20240229T120000", 1709208000},
        {"20231231T235959", 1704067199}, {"21000301T000000", 4107542400},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        uint64_t s = 1;
        assert_int_equal(coapsec_onem2m_time_parse(S(ok[i].ts), &s), 0);
        assert_true(s == ok[i].s);
    }
    static const char *bad[] = {
        "20230229T000000", "21000229T000000",  "20241301T000000", "20240100T000000",
        "20240101T240000", "20240101T006000",  "20240101 000000", "2024010T1000000",
        "20240101T00000",  "20240101T0000000", "19691231T235959", "2024-1-1T000000",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t s;
        assert_int_equal(coapsec_onem2m_time_parse(S(bad[i]), &s), COAPSEC_ERR_FORMAT);
    }
    coapsec_onem2m_str none = {NULL, 0};
    uint64_t s;
    assert_int_equal(coapsec_onem2m_time_parse(none, &s), COAPSEC_ERR_FORMAT);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_member),
        cmocka_unit_test(test_result_request_resource),
        cmocka_unit_test(test_result_notify),
        cmocka_unit_test(test_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
