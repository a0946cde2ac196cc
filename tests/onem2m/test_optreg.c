/*
 * test_optreg.c - tests for src/onem2m/optreg.c: the oneM2M options of TS-0008
 * Table 6.2.2.4.0-1 as CoAP option definitions (sorted, lengths and formats
 * from the table, per numbering), and that after
 * coapsec_onem2m_recognise_options() the RFC 7252 §5.4.1 check no longer
 * treats them as unrecognised critical options, while the other numbering's
 * numbers, bad lengths (§5.4.3) and repeats (§5.4.5) still fail.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "coapsec/onem2m.h"

static void test_defs(void **state) {
    (void)state;
    coapsec_optdef d[COAPSEC_ONEM2M_P_COUNT];
    int n = coapsec_onem2m_optdefs(COAPSEC_ONEM2M_NUM_CURRENT, d, COAPSEC_ONEM2M_P_COUNT);
    assert_int_equal(n, 19); /* every parameter has a V3.7.0 number */
    for (int i = 1; i < n; i++)
        assert_true(d[i - 1].num < d[i].num);
    assert_int_equal(d[0].num, 259);     /* OT */
    assert_int_equal(d[n - 1].num, 339); /* AUS */
    for (int i = 0; i < n; i++) {
        assert_true(COAPSEC_OPT_IS_CRITICAL(d[i].num)); /* all critical */
        if (d[i].num == 307) {                          /* RSC: uint, 2 bytes */
            assert_string_equal(d[i].name, "oneM2M-RSC");
            assert_int_equal(d[i].format, COAPSEC_OPTFMT_UINT);
            assert_int_equal(d[i].max_len, 2);
        }
        if (d[i].num == 335) /* GTM: string 0-512 */
            assert_int_equal(d[i].max_len, 512);
    }
    n = coapsec_onem2m_optdefs(COAPSEC_ONEM2M_NUM_LEGACY, d, COAPSEC_ONEM2M_P_COUNT);
    assert_int_equal(n, 11); /* only the pre-V3.7.0 ones */
    assert_int_equal(d[0].num, 256);
    assert_int_equal(d[1].num, 257);
    assert_int_equal(d[n - 1].num, 267);
    assert_int_equal(coapsec_onem2m_optdefs(COAPSEC_ONEM2M_NUM_CURRENT, d, 3), COAPSEC_ERR_NOBUF);
    assert_int_equal(coapsec_onem2m_optdefs(7, d, COAPSEC_ONEM2M_P_COUNT), COAPSEC_ERR_INVAL);
}

static void test_recognised(void **state) {
    (void)state;
    coapsec_msg m;
    memset(&m, 0, sizeof m);
    m.code = COAPSEC_GET;
    assert_int_equal(coapsec_msg_add_opt(&m, 279, "CAE1", 4), 0); /* FR */
    assert_int_equal(coapsec_msg_add_opt(&m, 283, "r1", 2), 0);   /* RQI */
    assert_non_null(coapsec_msg_bad_critical(&m));                /* unknown to plain CoAP */
    assert_int_equal(coapsec_onem2m_recognise_options(COAPSEC_ONEM2M_NUM_CURRENT), 0);
    assert_null(coapsec_msg_bad_critical(&m));
    assert_non_null(coapsec_optdef_find(307));
    /* §5.4.5: a repeated non-repeatable critical option is still refused. */
    assert_int_equal(coapsec_msg_add_opt(&m, 283, "r2", 2), 0);
    assert_non_null(coapsec_msg_bad_critical(&m));
    /* §5.4.3: a length outside the table's range too (OT is exactly 15). */
    memset(&m, 0, sizeof m);
    assert_int_equal(coapsec_msg_add_opt(&m, 259, "2024", 4), 0);
    assert_non_null(coapsec_msg_bad_critical(&m));
    /* The legacy numbers stay unknown under the current numbering. */
    memset(&m, 0, sizeof m);
    assert_int_equal(coapsec_msg_add_opt(&m, 257, "r1", 2), 0);
    assert_non_null(coapsec_msg_bad_critical(&m));
    /* Switching to legacy: 257 known, 283 unknown. */
    assert_int_equal(coapsec_onem2m_recognise_options(COAPSEC_ONEM2M_NUM_LEGACY), 0);
    assert_null(coapsec_msg_bad_critical(&m));
    assert_null(coapsec_optdef_find(283));
    /* An extension may not redefine a built-in option or be unsorted. */
    static const coapsec_optdef clash[] = {{11, "x", COAPSEC_OPTFMT_STRING, 0, 1, 0}};
    assert_int_equal(coapsec_optdef_extend(clash, 1), COAPSEC_ERR_INVAL);
    static const coapsec_optdef unsorted[] = {{301, "a", COAPSEC_OPTFMT_UINT, 0, 1, 0},
                                              {299, "b", COAPSEC_OPTFMT_UINT, 0, 1, 0}};
    assert_int_equal(coapsec_optdef_extend(unsorted, 2), COAPSEC_ERR_INVAL);
    assert_non_null(coapsec_optdef_find(257)); /* a refused call changes nothing */
    assert_int_equal(coapsec_optdef_extend(NULL, 0), 0);
    assert_null(coapsec_optdef_find(257));
    assert_int_equal(coapsec_onem2m_recognise_options(5), COAPSEC_ERR_INVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defs),
        cmocka_unit_test(test_recognised),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
