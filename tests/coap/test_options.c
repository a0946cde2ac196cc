/*
 * test_options.c - tests for src/coap/options.c: the option registry against
 * RFC 7252 §5.10 Table 4 (plus RFC 7641 §2, RFC 7959 §2.1/§4, RFC 7967 §2),
 * the Critical/UnSafe/NoCacheKey number properties of §5.4.6, and the
 * §5.4.1/§5.4.3/§5.4.5 detection of unrecognised critical options.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "coapsec/msg.h"

/* The registry as the RFCs print it (C, U, N, R, name, format, length). */
static const struct {
    uint16_t num;
    int c, u, n, r;
    const char *name;
    int fmt;
    uint16_t min, max;
} table4[] = {
    {1, 1, 0, 0, 1, "If-Match", COAPSEC_OPTFMT_OPAQUE, 0, 8},
    {3, 1, 1, 0, 0, "Uri-Host", COAPSEC_OPTFMT_STRING, 1, 255},
    {4, 0, 0, 0, 1, "ETag", COAPSEC_OPTFMT_OPAQUE, 1, 8},
    {5, 1, 0, 0, 0, "If-None-Match", COAPSEC_OPTFMT_EMPTY, 0, 0},
    {6, 0, 1, 0, 0, "Observe", COAPSEC_OPTFMT_UINT, 0, 3}, /* RFC 7641 §2 */
    {7, 1, 1, 0, 0, "Uri-Port", COAPSEC_OPTFMT_UINT, 0, 2},
    {8, 0, 0, 0, 1, "Location-Path", COAPSEC_OPTFMT_STRING, 0, 255},
    {11, 1, 1, 0, 1, "Uri-Path", COAPSEC_OPTFMT_STRING, 0, 255},
    {12, 0, 0, 0, 0, "Content-Format", COAPSEC_OPTFMT_UINT, 0, 2},
    {14, 0, 1, 0, 0, "Max-Age", COAPSEC_OPTFMT_UINT, 0, 4},
    {15, 1, 1, 0, 1, "Uri-Query", COAPSEC_OPTFMT_STRING, 0, 255},
    {17, 1, 0, 0, 0, "Accept", COAPSEC_OPTFMT_UINT, 0, 2},
    {20, 0, 0, 0, 1, "Location-Query", COAPSEC_OPTFMT_STRING, 0, 255},
    {23, 1, 1, 0, 0, "Block2", COAPSEC_OPTFMT_UINT, 0, 3}, /* RFC 7959 §2.1 */
    {27, 1, 1, 0, 0, "Block1", COAPSEC_OPTFMT_UINT, 0, 3},
    {28, 0, 0, 1, 0, "Size2", COAPSEC_OPTFMT_UINT, 0, 4}, /* RFC 7959 §4 */
    {35, 1, 1, 0, 0, "Proxy-Uri", COAPSEC_OPTFMT_STRING, 1, 1034},
    {39, 1, 1, 0, 0, "Proxy-Scheme", COAPSEC_OPTFMT_STRING, 1, 255},
    {60, 0, 0, 1, 0, "Size1", COAPSEC_OPTFMT_UINT, 0, 4},
    {258, 0, 1, 0, 0, "No-Response", COAPSEC_OPTFMT_UINT, 0, 1}, /* RFC 7967 §2 */
};
#define NTABLE (sizeof table4 / sizeof table4[0])

/* §5.10 Table 4: every registered option with its format, length and R. */
static void test_registry_entries(void **state) {
    (void)state;
    for (size_t i = 0; i < NTABLE; i++) {
        const coapsec_optdef *d = coapsec_optdef_find(table4[i].num);
        assert_non_null(d);
        assert_int_equal(d->num, table4[i].num);
        assert_string_equal(d->name, table4[i].name);
        assert_int_equal(d->format, table4[i].fmt);
        assert_int_equal(d->min_len, table4[i].min);
        assert_int_equal(d->max_len, table4[i].max);
        assert_int_equal(d->repeatable != 0, table4[i].r);
    }
}

/* §5.4.6: C, U and N follow from the number as Table 4 lists them
 * (e.g. Max-Age 14 is unsafe, Size1 60 and Size2 28 are NoCacheKey). */
static void test_number_properties(void **state) {
    (void)state;
    for (size_t i = 0; i < NTABLE; i++) {
        uint16_t n = table4[i].num;
        assert_int_equal(COAPSEC_OPT_IS_CRITICAL(n) != 0, table4[i].c);
        assert_int_equal(COAPSEC_OPT_IS_UNSAFE(n) != 0, table4[i].u);
        /* NoCacheKey only has a meaning for safe-to-forward options */
        if (!table4[i].u)
            assert_int_equal(COAPSEC_OPT_IS_NOCACHEKEY(n) != 0, table4[i].n);
    }
    assert_true(COAPSEC_OPT_IS_UNSAFE(COAPSEC_OPT_MAX_AGE));
    assert_true(COAPSEC_OPT_IS_NOCACHEKEY(COAPSEC_OPT_SIZE1));
    assert_false(COAPSEC_OPT_IS_NOCACHEKEY(COAPSEC_OPT_ETAG));
    /* §5.4.6 Figure 11: NoCacheKey is bits 1-4 == 0b1110 (28, 60, 92, ...) */
    assert_true(COAPSEC_OPT_IS_NOCACHEKEY(92));
    assert_true(COAPSEC_OPT_IS_NOCACHEKEY(29));
    assert_false(COAPSEC_OPT_IS_NOCACHEKEY(30));
}

/* §12.2: numbers not in the registry are not recognised. */
static void test_registry_unknown(void **state) {
    (void)state;
    static const uint16_t unknown[] = {0,  2,  9,   10,  13,   16,    21,
                                       36, 61, 128, 257, 2048, 65000, 65535};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
        assert_null(coapsec_optdef_find(unknown[i]));
}

static void add(coapsec_msg *m, uint16_t num, const char *v, size_t len) {
    assert_int_equal(coapsec_msg_add_opt(m, num, v, len), 0);
}

/* §5.4.1: an unrecognised critical option is reported, an unrecognised
 * elective one is ignored. */
static void test_bad_critical_unknown(void **state) {
    (void)state;
    coapsec_msg m;
    memset(&m, 0, sizeof m);
    m.code = COAPSEC_GET;
    add(&m, COAPSEC_OPT_URI_PATH, "a", 1);
    add(&m, 2, "x", 1);     /* unknown elective */
    add(&m, 65002, "x", 1); /* unknown elective */
    assert_null(coapsec_msg_bad_critical(&m));
    add(&m, 9, "x", 1); /* unknown critical */
    add(&m, 65001, "", 0);
    const coapsec_opt *bad = coapsec_msg_bad_critical(&m);
    assert_non_null(bad);
    assert_int_equal(bad->num, 9);
    assert_ptr_equal(bad, coapsec_msg_find(&m, 9));

    /* straight from a datagram: Uri-Path "a", then delta 2 -> option 13 */
    const uint8_t b[] = {0x40, 0x01, 0x00, 0x01, 0xb1, 'a', 0x20};
    coapsec_msg d;
    assert_int_equal(coapsec_msg_decode(&d, b, sizeof b), 0);
    bad = coapsec_msg_bad_critical(&d);
    assert_non_null(bad);
    assert_int_equal(bad->num, 13);
}

/* §5.4.3: a known critical option with a length outside its range counts as
 * unrecognised; an elective one is not reported. */
static void test_bad_critical_length(void **state) {
    (void)state;
    static const struct {
        uint16_t num;
        size_t len;
        int bad;
    } t[] = {
        {COAPSEC_OPT_URI_HOST, 0, 1},      {COAPSEC_OPT_URI_HOST, 1, 0},
        {COAPSEC_OPT_URI_HOST, 255, 0},    {COAPSEC_OPT_URI_HOST, 256, 1},
        {COAPSEC_OPT_URI_PORT, 2, 0},      {COAPSEC_OPT_URI_PORT, 3, 1},
        {COAPSEC_OPT_IF_NONE_MATCH, 0, 0}, {COAPSEC_OPT_IF_NONE_MATCH, 1, 1},
        {COAPSEC_OPT_IF_MATCH, 8, 0},      {COAPSEC_OPT_IF_MATCH, 9, 1},
        {COAPSEC_OPT_PROXY_URI, 1034, 0},  {COAPSEC_OPT_PROXY_URI, 1035, 1},
        {COAPSEC_OPT_BLOCK2, 3, 0},        {COAPSEC_OPT_BLOCK2, 4, 1},
        {COAPSEC_OPT_ACCEPT, 3, 1},        {COAPSEC_OPT_MAX_AGE, 5, 0},
        {COAPSEC_OPT_ETAG, 0, 0},          {COAPSEC_OPT_CONTENT_FORMAT, 3, 0},
        {COAPSEC_OPT_NO_RESPONSE, 2, 0},   {COAPSEC_OPT_URI_PATH, 256, 1},
    };
    static char big[1100];
    memset(big, 'z', sizeof big);
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        coapsec_msg m;
        memset(&m, 0, sizeof m);
        m.code = COAPSEC_GET;
        add(&m, t[i].num, big, t[i].len);
        const coapsec_opt *bad = coapsec_msg_bad_critical(&m);
        if (t[i].bad)
            assert_ptr_equal(bad, &m.opts[0]);
        else
            assert_null(bad);
    }
}

/* §5.4.5: repeats of a non-repeatable critical option are treated like
 * unrecognised options; repeatable or elective ones are not reported. */
static void test_bad_critical_repeat(void **state) {
    (void)state;
    coapsec_msg m;
    memset(&m, 0, sizeof m);
    m.code = COAPSEC_GET;
    add(&m, COAPSEC_OPT_URI_PATH, "a", 1);
    add(&m, COAPSEC_OPT_URI_PATH, "b", 1);
    add(&m, COAPSEC_OPT_IF_MATCH, "1", 1);
    add(&m, COAPSEC_OPT_IF_MATCH, "2", 1);
    add(&m, COAPSEC_OPT_CONTENT_FORMAT, "", 0); /* elective, non-repeatable */
    add(&m, COAPSEC_OPT_CONTENT_FORMAT, "\x01", 1);
    add(&m, COAPSEC_OPT_MAX_AGE, "", 0);
    add(&m, COAPSEC_OPT_MAX_AGE, "", 0);
    assert_null(coapsec_msg_bad_critical(&m));
    add(&m, COAPSEC_OPT_URI_HOST, "h1", 2);
    assert_null(coapsec_msg_bad_critical(&m));
    add(&m, COAPSEC_OPT_URI_HOST, "h2", 2);
    const coapsec_opt *bad = coapsec_msg_bad_critical(&m);
    assert_non_null(bad);
    assert_int_equal(bad->num, COAPSEC_OPT_URI_HOST);
    assert_memory_equal(bad->val, "h2", 2); /* the repeat, not the first */

    /* an opts[] filled by hand, unsorted: the repeat is still found */
    coapsec_msg h;
    memset(&h, 0, sizeof h);
    h.nopts = 3;
    h.opts[0] = (coapsec_opt){COAPSEC_OPT_ACCEPT, 0, NULL};
    h.opts[1] = (coapsec_opt){COAPSEC_OPT_URI_PATH, 0, NULL};
    h.opts[2] = (coapsec_opt){COAPSEC_OPT_ACCEPT, 0, NULL};
    assert_ptr_equal(coapsec_msg_bad_critical(&h), &h.opts[2]);
}

/* The first offending option is reported; NULL message gives NULL. */
static void test_bad_critical_first(void **state) {
    (void)state;
    coapsec_msg m;
    memset(&m, 0, sizeof m);
    m.code = COAPSEC_POST;
    add(&m, 101, "", 0);
    add(&m, 9, "", 0);
    add(&m, COAPSEC_OPT_URI_PORT, "\x01\x02\x03", 3);
    const coapsec_opt *bad = coapsec_msg_bad_critical(&m);
    assert_non_null(bad);
    assert_int_equal(bad->num, COAPSEC_OPT_URI_PORT);
    assert_null(coapsec_msg_bad_critical(NULL));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_entries),    cmocka_unit_test(test_number_properties),
        cmocka_unit_test(test_registry_unknown),    cmocka_unit_test(test_bad_critical_unknown),
        cmocka_unit_test(test_bad_critical_length), cmocka_unit_test(test_bad_critical_repeat),
        cmocka_unit_test(test_bad_critical_first),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
