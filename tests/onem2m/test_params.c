/*
 * test_params.c - tests for src/onem2m/params.c against TS-0008 V3.9.0:
 * every row of the oneM2M option table (Table 6.2.2.4.0-1) in both
 * numberings with its Critical/Unsafe property, every Content-Format of
 * Table 6.2.2.2-1, every row of the operation -> method table (Table
 * 6.2.1-1), and primitive initialisation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "coapsec/onem2m.h"

/* Table 6.2.2.4.0-1 as printed: current number, legacy number (0 = "—"),
 * name, format, length range. */
static const struct {
    int param;
    uint16_t num, legacy;
    const char *sname;
    int fmt;
    uint16_t min, max;
} opt_table[] = {
    {COAPSEC_ONEM2M_P_FR, 279, 256, "fr", COAPSEC_OPTFMT_STRING, 0, 255},
    {COAPSEC_ONEM2M_P_RQI, 283, 257, "rqi", COAPSEC_OPTFMT_STRING, 0, 255},
    {COAPSEC_ONEM2M_P_OT, 259, 259, "ot", COAPSEC_OPTFMT_STRING, 15, 15},
    {COAPSEC_ONEM2M_P_RQET, 291, 260, "rqet", COAPSEC_OPTFMT_STRING, 15, 15},
    {COAPSEC_ONEM2M_P_RSET, 295, 261, "rset", COAPSEC_OPTFMT_STRING, 15, 15},
    {COAPSEC_ONEM2M_P_OET, 299, 262, "oet", COAPSEC_OPTFMT_STRING, 15, 15},
    {COAPSEC_ONEM2M_P_RTURI, 263, 263, "rturi", COAPSEC_OPTFMT_STRING, 0, 255},
    {COAPSEC_ONEM2M_P_EC, 303, 264, "ec", COAPSEC_OPTFMT_UINT, 0, 1},
    {COAPSEC_ONEM2M_P_RSC, 307, 265, "rsc", COAPSEC_OPTFMT_UINT, 0, 2},
    {COAPSEC_ONEM2M_P_GID, 311, 266, "gid", COAPSEC_OPTFMT_STRING, 0, 255},
    {COAPSEC_ONEM2M_P_TY, 267, 267, "ty", COAPSEC_OPTFMT_UINT, 0, 2},
    {COAPSEC_ONEM2M_P_CTO, 319, 0, "cto", COAPSEC_OPTFMT_UINT, 0, 2},
    {COAPSEC_ONEM2M_P_CTS, 323, 0, "cts", COAPSEC_OPTFMT_UINT, 0, 2},
    {COAPSEC_ONEM2M_P_ATI, 327, 0, "ati", COAPSEC_OPTFMT_STRING, 0, 255},
    {COAPSEC_ONEM2M_P_RVI, 271, 0, "rvi", COAPSEC_OPTFMT_STRING, 1, 2},
    {COAPSEC_ONEM2M_P_VSI, 331, 0, "vsi", COAPSEC_OPTFMT_STRING, 0, 255},
    {COAPSEC_ONEM2M_P_GTM, 335, 0, "gtm", COAPSEC_OPTFMT_STRING, 0, 512},
    {COAPSEC_ONEM2M_P_AUS, 339, 0, "aus", COAPSEC_OPTFMT_STRING, 0, 255},
    {COAPSEC_ONEM2M_P_ASRI, 275, 0, "asri", COAPSEC_OPTFMT_STRING, 0, 255},
};
#define N(a) (sizeof(a) / sizeof(a)[0])

/* Table 6.2.2.4.0-1: numbers, formats and lengths of every row. */
static void test_option_table(void **state) {
    (void)state;
    assert_int_equal(N(opt_table), COAPSEC_ONEM2M_P_COUNT);
    for (size_t i = 0; i < N(opt_table); i++) {
        const coapsec_onem2m_paramdef *d = coapsec_onem2m_param(opt_table[i].param);
        assert_non_null(d);
        assert_int_equal(d->param, opt_table[i].param);
        assert_string_equal(d->sname, opt_table[i].sname);
        assert_int_equal(d->format, opt_table[i].fmt);
        assert_int_equal(d->min_len, opt_table[i].min);
        assert_int_equal(d->max_len, opt_table[i].max);
        assert_int_equal(coapsec_onem2m_optnum(opt_table[i].param, COAPSEC_ONEM2M_NUM_CURRENT),
                         opt_table[i].num);
        assert_int_equal(coapsec_onem2m_optnum(opt_table[i].param, COAPSEC_ONEM2M_NUM_LEGACY),
                         opt_table[i].legacy);
        /* and the reverse lookups */
        assert_ptr_equal(coapsec_onem2m_param_by_opt(opt_table[i].num, COAPSEC_ONEM2M_NUM_CURRENT),
                         d);
        if (opt_table[i].legacy != 0)
            assert_ptr_equal(
                coapsec_onem2m_param_by_opt(opt_table[i].legacy, COAPSEC_ONEM2M_NUM_LEGACY), d);
    }
    assert_null(coapsec_onem2m_param(-1));
    assert_null(coapsec_onem2m_param(COAPSEC_ONEM2M_P_COUNT));
    assert_int_equal(coapsec_onem2m_optnum(COAPSEC_ONEM2M_P_COUNT, 0), 0);
    assert_null(coapsec_onem2m_param_by_opt(0, COAPSEC_ONEM2M_NUM_LEGACY));
    assert_null(coapsec_onem2m_param_by_opt(258, COAPSEC_ONEM2M_NUM_CURRENT));
    /* legacy-only numbers are unknown in the current numbering and back */
    assert_null(coapsec_onem2m_param_by_opt(256, COAPSEC_ONEM2M_NUM_CURRENT));
    assert_null(coapsec_onem2m_param_by_opt(279, COAPSEC_ONEM2M_NUM_LEGACY));
}

/* "all Critical and Unsafe" (current numbering), RFC 7252 §5.4.6 bits. */
static void test_option_properties(void **state) {
    (void)state;
    for (size_t i = 0; i < N(opt_table); i++) {
        assert_true(COAPSEC_OPT_IS_CRITICAL(opt_table[i].num));
        assert_true(COAPSEC_OPT_IS_UNSAFE(opt_table[i].num));
        assert_false(COAPSEC_OPT_IS_NOCACHEKEY(opt_table[i].num));
        /* no oneM2M option collides with a CoAP registry option */
        assert_null(coapsec_optdef_find(opt_table[i].num));
    }
}

/* Table 6.2.2.2-1 plus application/xml 41, json 50, cbor 60. */
static const struct {
    uint16_t cf;
    const char *type;
    int json;
} cf_table[] = {
    {41, "application/xml", 0},
    {50, "application/json", 1},
    {60, "application/cbor", 0},
    {10014, "application/vnd.onem2m-res+xml", 0},
    {10001, "application/vnd.onem2m-res+json", 1},
    {10002, "application/vnd.onem2m-ntfy+xml", 0},
    {10003, "application/vnd.onem2m-ntfy+json", 1},
    {10006, "application/vnd.onem2m-preq+xml", 0},
    {10007, "application/vnd.onem2m-preq+json", 1},
    {10008, "application/vnd.onem2m-prsp+xml", 0},
    {10009, "application/vnd.onem2m-prsp+json", 1},
    {10010, "application/vnd.onem2m-res+cbor", 0},
    {10011, "application/vnd.onem2m-ntfy+cbor", 0},
    {10012, "application/vnd.onem2m-preq+cbor", 0},
    {10013, "application/vnd.onem2m-prsp+cbor", 0},
};

static void test_content_formats(void **state) {
    (void)state;
    for (size_t i = 0; i < N(cf_table); i++) {
        const char *n = coapsec_onem2m_cf_name(cf_table[i].cf);
        assert_non_null(n);
        assert_string_equal(n, cf_table[i].type);
        assert_int_equal(coapsec_onem2m_cf_is_json(cf_table[i].cf), cf_table[i].json);
    }
    assert_null(coapsec_onem2m_cf_name(0));
    assert_null(coapsec_onem2m_cf_name(10004)); /* not in the table */
    assert_null(coapsec_onem2m_cf_name(10015));
    assert_int_equal(coapsec_onem2m_cf_is_json(10004), 0);
}

/* Table 6.2.1-1 (blocking requests). */
static void test_op_method(void **state) {
    (void)state;
    static const struct {
        int op, method;
    } rows[] = {
        {COAPSEC_ONEM2M_OP_CREATE, COAPSEC_POST}, {COAPSEC_ONEM2M_OP_RETRIEVE, COAPSEC_GET},
        {COAPSEC_ONEM2M_OP_UPDATE, COAPSEC_PUT},  {COAPSEC_ONEM2M_OP_DELETE, COAPSEC_DELETE},
        {COAPSEC_ONEM2M_OP_NOTIFY, COAPSEC_POST},
    };
    for (size_t i = 0; i < N(rows); i++)
        assert_int_equal(coapsec_onem2m_op_method(rows[i].op), rows[i].method);
    assert_int_equal(coapsec_onem2m_op_method(0), COAPSEC_ERR_BADOP);
    assert_int_equal(coapsec_onem2m_op_method(6), COAPSEC_ERR_BADOP);
    assert_int_equal(coapsec_onem2m_op_method(COAPSEC_ONEM2M_ABSENT), COAPSEC_ERR_BADOP);
}

static void test_prim_init(void **state) {
    (void)state;
    static coapsec_onem2m_prim p;
    memset(&p, 0x5a, sizeof p);
    coapsec_onem2m_prim_init(&p);
    assert_int_equal(p.op, COAPSEC_ONEM2M_ABSENT);
    assert_int_equal(p.rsc, COAPSEC_ONEM2M_ABSENT);
    assert_int_equal(p.ty, COAPSEC_ONEM2M_ABSENT);
    assert_int_equal(p.cf, COAPSEC_ONEM2M_ABSENT);
    assert_int_equal(p.port, COAPSEC_ONEM2M_ABSENT);
    assert_null(p.to.p);
    assert_null(p.fr.p);
    assert_null(p.asri.p);
    assert_int_equal(p.nquery, 0);
    assert_int_equal(p.used, 0);
    coapsec_onem2m_prim_init(NULL); /* no crash */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_option_table),    cmocka_unit_test(test_option_properties),
        cmocka_unit_test(test_content_formats), cmocka_unit_test(test_op_method),
        cmocka_unit_test(test_prim_init),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
