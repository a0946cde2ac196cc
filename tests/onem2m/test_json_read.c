/*
 * test_json_read.c - tests for src/onem2m/json_read.c and the lexer in
 * src/onem2m/json.c: TS-0004 short-name request/response primitives in JSON
 * (RFC 8259), pc kept raw with its Content-Format, rt and fc, escapes and
 * surrogate pairs (RFC 8259 §7), and malformed JSON failing closed: syntax,
 * depth and length bounds, wrong types, duplicate and unknown keys.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "coapsec/onem2m.h"

#define N(a) (sizeof(a) / sizeof(a)[0])
static coapsec_onem2m_prim p;

static int parse(const char *j) {
    return coapsec_onem2m_from_json(&p, j, strlen(j), COAPSEC_ONEM2M_ABSENT);
}

static void assert_str(coapsec_onem2m_str s, const char *want) {
    assert_non_null(s.p);
    assert_int_equal(s.len, strlen(want));
    assert_memory_equal(s.p, want, s.len);
}

static void test_request_example(void **state) {
    (void)state;
    const char *j = "{\"op\":1,\"to\":\"/cse-in/ae1\",\"fr\":\"C123\",\"rqi\":\"r1\",\"ty\":2,"
                    "\"pc\": {\"m2m:ae\": {\"api\": \"Nx\", \"rr\": true}} }";
    assert_int_equal(parse(j), 0);
    assert_int_equal(p.op, 1);
    assert_str(p.to, "/cse-in/ae1");
    assert_str(p.fr, "C123");
    assert_str(p.rqi, "r1");
    assert_int_equal(p.ty, 2);
    assert_str(p.pc, "{\"m2m:ae\": {\"api\": \"Nx\", \"rr\": true}}");
    assert_int_equal(p.cf, COAPSEC_ONEM2M_CF_RES_JSON);
    /* NOTIFY defaults to ntfy+json; an explicit cf wins */
    assert_int_equal(parse("{\"op\":5,\"to\":\"a\",\"pc\":{}}"), 0);
    assert_int_equal(p.cf, COAPSEC_ONEM2M_CF_NTFY_JSON);
    assert_int_equal(coapsec_onem2m_from_json(&p, "{\"pc\":[]}", 9, COAPSEC_CF_JSON), 0);
    assert_int_equal(p.cf, COAPSEC_CF_JSON);
    assert_int_equal(parse("{\"op\":2,\"to\":\"a\"}"), 0);
    assert_int_equal(p.cf, COAPSEC_ONEM2M_ABSENT); /* no pc, no cf */
}

/* Every option-carried parameter by short name. */
static void test_all_params(void **state) {
    (void)state;
    const char *j =
        "{\"op\":3,\"to\":\"a\",\"fr\":\"f\",\"rqi\":\"q\",\"ot\":\"20231023T123456\","
        "\"rqet\":\"20231023T123457\",\"rset\":\"20231023T123458\","
        "\"oet\":\"20231023T123459\",\"ec\":2,\"gid\":\"g\",\"ty\":28,\"cto\":5,"
        "\"cts\":6,\"ati\":\"l:t\",\"rvi\":\"3\",\"vsi\":\"v\",\"gtm\":\"m\","
        "\"aus\":\"s\",\"asri\":\"r\",\"rsc\":2004,"
        "\"rt\":{\"rtv\":2,\"nu\":[\"/cse-in/nu\"]},"
        "\"fc\":{\"lbl\":[\"a\",\"b\\u0021\"],\"fu\":1,\"lim\":10,\"cra\":\"20230101T000000\"},"
        "\"rcn\":1,\"drt\":2,\"loc\":\"x/y\"}";
    assert_int_equal(parse(j), 0);
    assert_str(p.ot, "20231023T123456");
    assert_str(p.oet, "20231023T123459");
    assert_int_equal(p.ec, 2);
    assert_int_equal(p.ty, 28);
    assert_int_equal(p.cto, 5);
    assert_int_equal(p.cts, 6);
    assert_int_equal(p.rsc, 2004);
    assert_str(p.asri, "r");
    assert_int_equal(p.rt, 2);
    assert_str(p.rturi, "/cse-in/nu");
    assert_str(p.loc, "x/y");
    assert_int_equal(p.nquery, 6);
    assert_str(p.query[0].key, "lbl");
    assert_str(p.query[0].val, "a+b!");
    assert_str(p.query[1].val, "1");
    assert_str(p.query[4].key, "rcn");
    assert_int_equal(parse("{\"rt\":3}"), 0);
    assert_int_equal(p.rt, 3);
}

/* RFC 8259 §7 escapes, surrogate pairs and UTF-8 in strings. */
static void test_strings(void **state) {
    (void)state;
    static const struct {
        const char *json, *want;
    } v[] = {
        {"{\"fr\":\"a\\\"b\\\\c\\/d\"}", "a\"b\\c/d"},
        {"{\"fr\":\"\\b\\f\\n\\r\\t\"}", "\b\f\n\r\t"},
        {"{\"fr\":\"\\u00e9\\u20AC\"}", "\xc3\xa9\xe2\x82\xac"},
        {"{\"fr\":\"\\ud834\\udd1e\"}", "\xf0\x9d\x84\x9e"}, /* U+1D11E */
        {"{\"fr\":\"\xc3\xa9t\xc3\xa9\"}", "\xc3\xa9t\xc3\xa9"},
        {"{\"fr\":\"\"}", ""},
    };
    for (size_t i = 0; i < N(v); i++) {
        assert_int_equal(parse(v[i].json), 0);
        assert_str(p.fr, v[i].want);
    }
}

static void test_malformed(void **state) {
    (void)state;
    static const struct {
        const char *json;
        int err;
    } v[] = {
        {"", COAPSEC_ERR_FORMAT},
        {"[]", COAPSEC_ERR_FORMAT},
        {"{", COAPSEC_ERR_FORMAT},
        {"{\"op\":1", COAPSEC_ERR_FORMAT},
        {"{\"op\":1,}", COAPSEC_ERR_FORMAT},
        {"{\"op\" 1}", COAPSEC_ERR_FORMAT},
        {"{\"op\":1} x", COAPSEC_ERR_FORMAT},
        {"{\"op\":1}{}", COAPSEC_ERR_FORMAT},
        {"{'op':1}", COAPSEC_ERR_FORMAT},
        {"{\"fr\":\"a\nb\"}", COAPSEC_ERR_FORMAT},           /* raw control character */
        {"{\"fr\":\"\\x\"}", COAPSEC_ERR_FORMAT},            /* bad escape */
        {"{\"fr\":\"\\u12\"}", COAPSEC_ERR_FORMAT},          /* short \u */
        {"{\"fr\":\"\\ud834\"}", COAPSEC_ERR_FORMAT},        /* lone high surrogate */
        {"{\"fr\":\"\\udd1e\"}", COAPSEC_ERR_FORMAT},        /* lone low surrogate */
        {"{\"fr\":\"\\ud834\\u0041\"}", COAPSEC_ERR_FORMAT}, /* bad pair */
        {"{\"fr\":\"\xc3\"}", COAPSEC_ERR_FORMAT},           /* truncated UTF-8 */
        {"{\"fr\":\"\xc0\xaf\"}", COAPSEC_ERR_FORMAT},       /* overlong */
        {"{\"fr\":\"\xed\xa0\x80\"}", COAPSEC_ERR_FORMAT},   /* UTF-8 surrogate */
        {"{\"fr\":\"abc", COAPSEC_ERR_FORMAT},
        {"{\"fr\":1}", COAPSEC_ERR_FORMAT},     /* wrong type */
        {"{\"op\":\"1\"}", COAPSEC_ERR_FORMAT}, /* wrong type */
        {"{\"op\":null}", COAPSEC_ERR_FORMAT},
        {"{\"op\":01}", COAPSEC_ERR_FORMAT},
        {"{\"op\":-1}", COAPSEC_ERR_BADUINT},
        {"{\"op\":1.0}", COAPSEC_ERR_BADUINT},
        {"{\"op\":1e2}", COAPSEC_ERR_BADUINT},
        {"{\"op\":99999999999}", COAPSEC_ERR_BADUINT},
        {"{\"op\":9}", COAPSEC_ERR_BADOP},
        {"{\"ty\":65536}", COAPSEC_ERR_BADUINT},
        {"{\"ec\":256}", COAPSEC_ERR_BADUINT},
        {"{\"rt\":0}", COAPSEC_ERR_BADUINT},
        {"{\"rt\":5}", COAPSEC_ERR_BADUINT},
        {"{\"rt\":{\"nu\":[]}}", COAPSEC_ERR_FORMAT},
        {"{\"rt\":{\"rtv\":1,\"nu\":[\"a\",\"b\"]}}", COAPSEC_ERR_UNSUPPORTED},
        {"{\"rt\":{\"rtv\":1,\"x\":1}}", COAPSEC_ERR_UNSUPPORTED},
        {"{\"op\":1,\"op\":1}", COAPSEC_ERR_FORMAT}, /* duplicate */
        {"{\"fr\":\"a\",\"fr\":\"b\"}", COAPSEC_ERR_FORMAT},
        {"{\"rcn\":1,\"rcn\":2}", COAPSEC_ERR_FORMAT},
        {"{\"xyz\":1}", COAPSEC_ERR_UNSUPPORTED},
        {"{\"rturi\":\"a\"}", COAPSEC_ERR_UNSUPPORTED}, /* only inside rt.nu */
        {"{\"fc\":{\"a\":{\"b\":1}}}", COAPSEC_ERR_UNSUPPORTED},
        {"{\"fc\":{\"a\":[]}}", COAPSEC_ERR_FORMAT},
        {"{\"fc\":{\"a\":[[1]]}}", COAPSEC_ERR_FORMAT},
        {"{\"fc\":{\"\":1}}", COAPSEC_ERR_FORMAT},
        {"{\"pc\":}", COAPSEC_ERR_FORMAT},
        {"{\"pc\":[1,]}", COAPSEC_ERR_FORMAT},
        {"{\"pc\":tru}", COAPSEC_ERR_FORMAT},
        {"{\"pc\":-}", COAPSEC_ERR_FORMAT},
        {"{\"pc\":1.}", COAPSEC_ERR_FORMAT},
        {"{\"pc\":{\"a\"}}", COAPSEC_ERR_FORMAT},
    };
    for (size_t i = 0; i < N(v); i++) {
        int rc = parse(v[i].json);
        if (rc != v[i].err)
            fail_msg("%s: got %d want %d", v[i].json, rc, v[i].err);
    }
    assert_int_equal(coapsec_onem2m_from_json(NULL, "{}", 2, -1), COAPSEC_ERR_INVAL);
    assert_int_equal(coapsec_onem2m_from_json(&p, NULL, 2, -1), COAPSEC_ERR_INVAL);
}

/* Depth bound: pc nested up to the limit parses, one more fails. */
static void test_depth_and_length(void **state) {
    (void)state;
    static char j[256];
    for (int depth = COAPSEC_ONEM2M_JSON_DEPTH - 1; depth <= COAPSEC_ONEM2M_JSON_DEPTH; depth++) {
        /* the top-level object is depth 1, pc's value depth 2 */
        size_t n = (size_t)snprintf(j, sizeof j, "{\"pc\":");
        for (int i = 0; i < depth; i++)
            j[n++] = '[';
        for (int i = 0; i < depth; i++)
            j[n++] = ']';
        j[n++] = '}';
        j[n] = '\0';
        assert_int_equal(parse(j), depth == COAPSEC_ONEM2M_JSON_DEPTH ? COAPSEC_ERR_FORMAT : 0);
    }
    assert_int_equal(coapsec_onem2m_json_check("[[[]]]", 6), 0);
    assert_int_equal(coapsec_onem2m_from_json(&p, "{}", COAPSEC_ONEM2M_JSON_MAX + 1, -1),
                     COAPSEC_ERR_FORMAT);
    /* json_check on its own */
    static const char *const ok[] = {"0", "-0.5e+3", "\"x\"", "true", " null ", "{\"a\":[1,{}]}"};
    for (size_t i = 0; i < N(ok); i++)
        assert_int_equal(coapsec_onem2m_json_check(ok[i], strlen(ok[i])), 0);
    static const char *const ko[] = {"", "01", "1 2", "[", "{\"a\":1,}", "nul", "\"\\u00\""};
    for (size_t i = 0; i < N(ko); i++)
        assert_int_equal(coapsec_onem2m_json_check(ko[i], strlen(ko[i])), COAPSEC_ERR_FORMAT);
}

/* Too many query parameters; a full buffer for unescaped strings. */
static void test_limits(void **state) {
    (void)state;
    static char j[1024];
    size_t n = (size_t)snprintf(j, sizeof j, "{\"fc\":{");
    for (int i = 0; i <= COAPSEC_ONEM2M_MAX_QUERY; i++)
        n += (size_t)snprintf(j + n, sizeof j - n, "%s\"k%d\":1", i ? "," : "", i);
    snprintf(j + n, sizeof j - n, "}}");
    assert_int_equal(parse(j), COAPSEC_ERR_NOMEM);
    static char big[COAPSEC_ONEM2M_BUF * 3];
    n = (size_t)snprintf(big, sizeof big, "{\"fr\":\"");
    while (n < sizeof big - 16) {
        memcpy(big + n, "\\n", 2);
        n += 2;
    }
    memcpy(big + n, "\"}", 3);
    assert_int_equal(parse(big), COAPSEC_ERR_NOBUF);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_example),  cmocka_unit_test(test_all_params),
        cmocka_unit_test(test_strings),          cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_depth_and_length), cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
