/*
 * test_rsc.c - tests for src/onem2m/rsc.c: every row of TS-0008 Table 6.2.4-1
 * (RSC -> CoAP code, ranges expanded, the context-dependent 1002 and 2000
 * rows, 1000 "not used"), the agreement check used when oneM2M-RSC is
 * carried, the code -> RSC fallback, and the receiver's answer to malformed
 * requests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "coapsec/onem2m.h"

#define C(c, d) COAPSEC_CODE(c, d)
#define N(a)    (sizeof(a) / sizeof(a)[0])

/* Table 6.2.4-1 rows with a fixed code, as printed (ranges as lo..hi). */
static const struct {
    uint16_t lo, hi;
    uint8_t code;
} rows[] = {
    {1001, 1001, C(2, 1)}, {2001, 2001, C(2, 1)}, {2002, 2002, C(2, 2)},  {2004, 2004, C(2, 4)},
    {4000, 4000, C(4, 0)}, {4102, 4102, C(4, 0)}, {4104, 4104, C(4, 0)},  {4110, 4110, C(4, 0)},
    {4123, 4123, C(4, 0)}, {4124, 4124, C(4, 0)}, {4143, 4143, C(4, 0)},  {4001, 4001, C(5, 1)},
    {4004, 4004, C(4, 4)}, {4118, 4118, C(4, 4)}, {4119, 4119, C(4, 4)},  {4121, 4121, C(4, 4)},
    {4005, 4005, C(4, 5)}, {4008, 4008, C(5, 4)}, {4015, 4015, C(4, 15)}, {4101, 4101, C(4, 3)},
    {4103, 4103, C(4, 3)}, {4105, 4109, C(4, 3)}, {4111, 4117, C(4, 3)},  {4126, 4126, C(4, 3)},
    {4127, 4127, C(4, 3)}, {4120, 4120, C(4, 2)}, {4122, 4122, C(4, 2)},  {4125, 4125, C(5, 1)},
    {5000, 5000, C(5, 0)}, {5204, 5204, C(5, 0)}, {5209, 5212, C(5, 0)},  {5216, 5216, C(5, 0)},
    {5217, 5217, C(5, 0)}, {5221, 5221, C(5, 0)}, {5001, 5001, C(5, 1)},  {5206, 5206, C(5, 1)},
    {5103, 5103, C(4, 4)}, {5107, 5107, C(4, 4)}, {5105, 5105, C(4, 3)},  {5203, 5203, C(4, 3)},
    {5205, 5205, C(4, 3)}, {5208, 5208, C(4, 3)}, {5214, 5214, C(4, 3)},  {5215, 5215, C(4, 3)},
    {5218, 5218, C(4, 3)}, {5222, 5222, C(4, 3)}, {5106, 5106, C(4, 0)},  {5219, 5219, C(4, 0)},
    {5220, 5220, C(4, 0)}, {5207, 5207, C(4, 6)}, {6003, 6003, C(4, 4)},  {6005, 6005, C(4, 4)},
    {6010, 6010, C(4, 0)}, {6022, 6024, C(4, 0)}, {6028, 6028, C(4, 0)},  {6029, 6029, C(4, 0)},
    {6020, 6020, C(5, 0)}, {6021, 6021, C(5, 0)}, {6025, 6025, C(5, 0)},  {6026, 6026, C(5, 0)},
    {6030, 6030, C(5, 4)}, {6031, 6031, C(5, 4)},
};

static void test_table_rows(void **state) {
    (void)state;
    for (size_t i = 0; i < N(rows); i++) {
        for (uint32_t r = rows[i].lo; r <= rows[i].hi; r++) {
            for (int op = 1; op <= 5; op++)
                assert_int_equal(coapsec_onem2m_rsc_code(r, op, 0), rows[i].code);
            assert_true(coapsec_onem2m_rsc_code_ok(r, rows[i].code));
            /* any other code disagrees, except the §5.4.1 4.02 for errors */
            uint8_t other = rows[i].code == C(2, 5) ? C(2, 3) : C(2, 5);
            assert_false(coapsec_onem2m_rsc_code_ok(r, other));
        }
    }
}

/* Rows whose code depends on the request or on a created <request>. */
static void test_context_rows(void **state) {
    (void)state;
    assert_int_equal(coapsec_onem2m_rsc_code(1000, 1, 0), COAPSEC_ERR_UNSUPPORTED); /* not used */
    assert_false(coapsec_onem2m_rsc_code_ok(1000, C(2, 1)));
    assert_int_equal(coapsec_onem2m_rsc_code(1002, 1, 1), C(2, 1));
    assert_int_equal(coapsec_onem2m_rsc_code(1002, 1, 0), C(2, 4));
    assert_true(coapsec_onem2m_rsc_code_ok(1002, C(2, 1)));
    assert_true(coapsec_onem2m_rsc_code_ok(1002, C(2, 4)));
    assert_false(coapsec_onem2m_rsc_code_ok(1002, C(2, 5)));
    assert_int_equal(coapsec_onem2m_rsc_code(2000, COAPSEC_ONEM2M_OP_RETRIEVE, 0), C(2, 5));
    assert_int_equal(coapsec_onem2m_rsc_code(2000, COAPSEC_ONEM2M_OP_NOTIFY, 0), C(2, 4));
    assert_true(coapsec_onem2m_rsc_code_ok(2000, C(2, 5)));
    assert_true(coapsec_onem2m_rsc_code_ok(2000, C(2, 4)));
    assert_false(coapsec_onem2m_rsc_code_ok(2000, C(2, 1)));
}

/* RSCs outside the table: by class; 4.02 Bad Option allowed for errors. */
static void test_outside_table(void **state) {
    (void)state;
    assert_int_equal(coapsec_onem2m_rsc_code(4128, 1, 0), C(4, 0));
    assert_int_equal(coapsec_onem2m_rsc_code(6999, 1, 0), C(4, 0));
    assert_int_equal(coapsec_onem2m_rsc_code(5999, 1, 0), C(5, 0));
    assert_int_equal(coapsec_onem2m_rsc_code(3000, 1, 0), COAPSEC_ERR_UNSUPPORTED);
    assert_int_equal(coapsec_onem2m_rsc_code(2003, 1, 0), COAPSEC_ERR_UNSUPPORTED);
    assert_int_equal(coapsec_onem2m_rsc_code(0, 1, 0), COAPSEC_ERR_UNSUPPORTED);
    assert_true(coapsec_onem2m_rsc_code_ok(4128, C(4, 3)));
    assert_false(coapsec_onem2m_rsc_code_ok(4128, C(2, 5)));
    assert_false(coapsec_onem2m_rsc_code_ok(2003, C(4, 0)));
    assert_false(coapsec_onem2m_rsc_code_ok(9000, C(4, 0)));
    assert_true(coapsec_onem2m_rsc_code_ok(4000, COAPSEC_BAD_OPTION));
    assert_false(coapsec_onem2m_rsc_code_ok(2001, COAPSEC_BAD_OPTION));
}

/* Without oneM2M-RSC: the RSC to assume for each code; every guess maps
 * back to the same code (so the pair is consistent). */
static void test_code_rsc(void **state) {
    (void)state;
    static const struct {
        uint8_t code;
        int op;
        uint32_t rsc;
    } g[] = {
        {C(2, 1), 1, 2001}, {C(2, 2), 4, 2002}, {C(2, 4), 3, 2004},  {C(2, 4), 5, 2000},
        {C(2, 5), 2, 2000}, {C(4, 0), 1, 4000}, {C(4, 3), 1, 4103},  {C(4, 4), 2, 4004},
        {C(4, 5), 1, 4005}, {C(4, 6), 2, 5207}, {C(4, 15), 1, 4015}, {C(5, 0), 1, 5000},
        {C(5, 1), 1, 5001}, {C(5, 4), 1, 4008}, {C(4, 2), 1, 4000},  {C(4, 1), 1, 4000},
        {C(5, 3), 1, 5000}, {C(2, 3), 2, 2000},
    };
    for (size_t i = 0; i < N(g); i++) {
        assert_int_equal(coapsec_onem2m_code_rsc(g[i].code, g[i].op), g[i].rsc);
        assert_true(coapsec_onem2m_rsc_code_ok(g[i].rsc, g[i].code) || g[i].code == C(4, 1) ||
                    g[i].code == C(5, 3) || g[i].code == C(2, 3));
    }
}

/* The answer to a request the binding could not read. */
static void test_err_rsp(void **state) {
    (void)state;
    static const struct {
        int err;
        uint8_t code;
        uint32_t rsc;
    } e[] = {
        {COAPSEC_ERR_BADOPT, C(4, 2), 4000},      {COAPSEC_ERR_BADUINT, C(4, 0), 4000},
        {COAPSEC_ERR_BADOP, C(4, 0), 4000},       {COAPSEC_ERR_NOPATH, C(4, 0), 4000},
        {COAPSEC_ERR_FORMAT, C(4, 0), 4000},      {COAPSEC_ERR_NOMEM, C(4, 0), 4000},
        {COAPSEC_ERR_UNSUPPORTED, C(4, 6), 5207}, {COAPSEC_ERR_INVAL, C(5, 0), 5000},
        {COAPSEC_ERR_NOBUF, C(5, 0), 5000},
    };
    for (size_t i = 0; i < N(e); i++) {
        uint8_t code = 0;
        uint32_t rsc = 0;
        coapsec_onem2m_err_rsp(e[i].err, &code, &rsc);
        assert_int_equal(code, e[i].code);
        assert_int_equal(rsc, e[i].rsc);
        /* and the answer is itself a consistent pair */
        assert_true(coapsec_onem2m_rsc_code_ok(rsc, code));
    }
    coapsec_onem2m_err_rsp(COAPSEC_ERR_BADOP, NULL, NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_rows),    cmocka_unit_test(test_context_rows),
        cmocka_unit_test(test_outside_table), cmocka_unit_test(test_code_rsc),
        cmocka_unit_test(test_err_rsp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
