/*
 * test_target.c - tests for src/onem2m/target.c: the three To forms of
 * TS-0008 §6.2.2.3 with the clause's own examples, in both directions and
 * for Uri-Path and Location-Path, and the targets that map to no path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "onem2m/onem2m_int.h"

#define N(a) (sizeof(a) / sizeof(a)[0])

static coapsec_onem2m_str S(const char *s) {
    coapsec_onem2m_str r = {s, strlen(s)};
    return r;
}

/* §6.2.2.3 examples: To and its Uri-Path segments. */
static const struct {
    const char *to;
    const char *segs[6];
} forms[] = {
    {"CSEBase/ae12/cont27", {"CSEBase", "ae12", "cont27"}},
    {"/CSE178/CSEBase/ae12", {"~", "CSE178", "CSEBase", "ae12"}},
    {"//mym2msp.org/CSE178/CSEBase/ae12", {"_", "mym2msp.org", "CSE178", "CSEBase", "ae12"}},
    {"/cse-in/ae1", {"~", "cse-in", "ae1"}},
    {"cse-in", {"cse-in"}},
    {"/CSE178", {"~", "CSE178"}},
    {"//sp/CSE1", {"_", "sp", "CSE1"}},
    {"a/~/_", {"a", "~", "_"}}, /* markers only count first */
};

static void check_form(size_t i, uint16_t opt) {
    coapsec_msg m;
    memset(&m, 0, sizeof m);
    assert_int_equal(cs_m2m_target_to_opts(S(forms[i].to), opt, &m), 0);
    size_t n = 0;
    while (n < 6 && forms[i].segs[n] != NULL)
        n++;
    assert_int_equal(m.nopts, n);
    for (size_t k = 0; k < n; k++) {
        assert_int_equal(m.opts[k].num, opt);
        assert_int_equal(m.opts[k].len, strlen(forms[i].segs[k]));
        assert_memory_equal(m.opts[k].val, forms[i].segs[k], m.opts[k].len);
    }
    static coapsec_onem2m_prim p;
    coapsec_onem2m_prim_init(&p);
    coapsec_onem2m_str back;
    assert_int_equal(cs_m2m_opts_to_target(&p, &m, opt, &back), 0);
    assert_int_equal(back.len, strlen(forms[i].to));
    assert_memory_equal(back.p, forms[i].to, back.len);
}

static void test_forms_uri_path(void **state) {
    (void)state;
    for (size_t i = 0; i < N(forms); i++)
        check_form(i, COAPSEC_OPT_URI_PATH);
}

static void test_forms_location_path(void **state) {
    (void)state;
    for (size_t i = 0; i < N(forms); i++)
        check_form(i, COAPSEC_OPT_LOCATION_PATH);
}

/* To values that map to no Uri-Path: nothing is added to the message. */
static void test_to_no_path(void **state) {
    (void)state;
    static const char *const bad[] = {
        "",    "/",   "//", "//sp", "//sp/", "a//b",   "a/", "/a/",
        "~/x", "_/x", "~",  "_",    "a/./b", "a/../b", ".",  "..",
    };
    for (size_t i = 0; i < N(bad); i++) {
        coapsec_msg m;
        memset(&m, 0, sizeof m);
        assert_int_equal(cs_m2m_target_to_opts(S(bad[i]), COAPSEC_OPT_URI_PATH, &m),
                         COAPSEC_ERR_NOPATH);
        assert_int_equal(m.nopts, 0);
    }
    coapsec_onem2m_str none = {NULL, 0};
    coapsec_msg m;
    memset(&m, 0, sizeof m);
    assert_int_equal(cs_m2m_target_to_opts(none, COAPSEC_OPT_URI_PATH, &m), COAPSEC_ERR_NOPATH);
    /* a segment longer than a Uri-Path allows (RFC 7252 §5.10: 0-255) */
    char big[300];
    memset(big, 'x', sizeof big);
    coapsec_onem2m_str b = {big, 256};
    assert_int_equal(cs_m2m_target_to_opts(b, COAPSEC_OPT_URI_PATH, &m), COAPSEC_ERR_NOPATH);
    b.len = 255;
    assert_int_equal(cs_m2m_target_to_opts(b, COAPSEC_OPT_URI_PATH, &m), 0);
    /* an embedded NUL cannot be a To */
    coapsec_onem2m_str z = {"a\0b", 3};
    memset(&m, 0, sizeof m);
    assert_int_equal(cs_m2m_target_to_opts(z, COAPSEC_OPT_URI_PATH, &m), COAPSEC_ERR_NOPATH);
}

/* More segments than the message can hold: NOMEM, nothing added. */
static void test_to_too_many(void **state) {
    (void)state;
    char to[2 * (COAPSEC_MAX_OPTIONS + 1)];
    size_t n = 0;
    for (int i = 0; i <= COAPSEC_MAX_OPTIONS; i++) {
        to[n++] = 'a';
        to[n++] = '/';
    }
    coapsec_onem2m_str t = {to, n - 1};
    coapsec_msg m;
    memset(&m, 0, sizeof m);
    assert_int_equal(cs_m2m_target_to_opts(t, COAPSEC_OPT_URI_PATH, &m), COAPSEC_ERR_NOMEM);
    assert_int_equal(m.nopts, 0);
}

/* Uri-Path sequences that map to no To. */
static void test_path_no_to(void **state) {
    (void)state;
    static const struct {
        const char *segs[4];
    } bad[] = {
        {{NULL}},     {{"~"}},       {{"_"}},     {{"_", "sp"}}, {{"a", ""}},          {{""}},
        {{"a", "."}}, {{"..", "a"}}, {{"~", ""}}, {{"a/b"}},     {{"_", "sp", "x/y"}},
    };
    for (size_t i = 0; i < N(bad); i++) {
        coapsec_msg m;
        memset(&m, 0, sizeof m);
        m.code = COAPSEC_GET;
        for (size_t k = 0; k < 4 && bad[i].segs[k] != NULL; k++)
            assert_int_equal(coapsec_msg_add_opt(&m, COAPSEC_OPT_URI_PATH, bad[i].segs[k],
                                                 strlen(bad[i].segs[k])),
                             0);
        static coapsec_onem2m_prim p;
        coapsec_onem2m_prim_init(&p);
        coapsec_onem2m_str out = {NULL, 0};
        assert_int_equal(cs_m2m_opts_to_target(&p, &m, COAPSEC_OPT_URI_PATH, &out),
                         COAPSEC_ERR_NOPATH);
        assert_int_equal(p.used, 0); /* nothing left in the buffer */
    }
}

/* A full primitive buffer: NOBUF, and the buffer is given back. */
static void test_path_nobuf(void **state) {
    (void)state;
    static coapsec_onem2m_prim p;
    coapsec_onem2m_prim_init(&p);
    p.used = sizeof p.buf - 3;
    coapsec_msg m;
    memset(&m, 0, sizeof m);
    assert_int_equal(coapsec_msg_add_opt(&m, COAPSEC_OPT_URI_PATH, "abcd", 4), 0);
    coapsec_onem2m_str out;
    assert_int_equal(cs_m2m_opts_to_target(&p, &m, COAPSEC_OPT_URI_PATH, &out), COAPSEC_ERR_NOBUF);
    assert_int_equal(p.used, sizeof p.buf - 3);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms_uri_path), cmocka_unit_test(test_forms_location_path),
        cmocka_unit_test(test_to_no_path),     cmocka_unit_test(test_to_too_many),
        cmocka_unit_test(test_path_no_to),     cmocka_unit_test(test_path_nobuf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
