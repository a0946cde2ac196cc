/*
 * test_header.c - tests for src/onem2m/header.c: every row of TS-0008 Table
 * 6.2.2.4.0-1 written as the right option number in each numbering (uints in
 * their shortest RFC 7252 §3.2 form) and read back; each row's length bounds
 * (one byte over/under fails closed with COAPSEC_ERR_BADOPT); repeats and
 * unrecognised critical options (RFC 7252 §5.4.1, §5.4.5); decimal parsing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "onem2m/onem2m_int.h"

/* Each row: numbers from the table, a value to carry and its wire bytes. */
static const struct {
    int param;
    uint16_t num, legacy;
    const char *val; /* string value, or NULL for a uint */
    int32_t uval;
    const char *wire; /* expected option bytes for a uint */
    size_t wire_len;
} rows[] = {
    {COAPSEC_ONEM2M_P_FR, 279, 256, "CAdmin", 0, NULL, 0},
    {COAPSEC_ONEM2M_P_RQI, 283, 257, "req-0001", 0, NULL, 0},
    {COAPSEC_ONEM2M_P_OT, 259, 259, "20231023T123456", 0, NULL, 0},
    {COAPSEC_ONEM2M_P_RQET, 291, 260, "20231023T123500", 0, NULL, 0},
    {COAPSEC_ONEM2M_P_RSET, 295, 261, "20231023T123600", 0, NULL, 0},
    {COAPSEC_ONEM2M_P_OET, 299, 262, "20231023T123457", 0, NULL, 0},
    {COAPSEC_ONEM2M_P_RTURI, 263, 263, "coaps://[::1]:7000/nu", 0, NULL, 0},
    {COAPSEC_ONEM2M_P_EC, 303, 264, NULL, 2, "\x02", 1},
    {COAPSEC_ONEM2M_P_RSC, 307, 265, NULL, 2001, "\x07\xd1", 2},
    {COAPSEC_ONEM2M_P_GID, 311, 266, "grp-7", 0, NULL, 0},
    {COAPSEC_ONEM2M_P_TY, 267, 267, NULL, 2, "\x02", 1},
    {COAPSEC_ONEM2M_P_CTO, 319, 0, NULL, 300, "\x01\x2c", 2},
    {COAPSEC_ONEM2M_P_CTS, 323, 0, NULL, 0, "", 0},
    {COAPSEC_ONEM2M_P_ATI, 327, 0, "lti1:tk1+lti2:tk2", 0, NULL, 0},
    {COAPSEC_ONEM2M_P_RVI, 271, 0, "4", 0, NULL, 0},
    {COAPSEC_ONEM2M_P_VSI, 331, 0, "vendor=x", 0, NULL, 0},
    {COAPSEC_ONEM2M_P_GTM, 335, 0, "/cse/a1 /cse/a2", 0, NULL, 0},
    {COAPSEC_ONEM2M_P_AUS, 339, 0, "sig", 0, NULL, 0},
    {COAPSEC_ONEM2M_P_ASRI, 275, 0, "asri-info", 0, NULL, 0},
};
#define N(a) (sizeof(a) / sizeof(a)[0])

static void set_row(coapsec_onem2m_prim *p, size_t i) {
    const coapsec_onem2m_paramdef *d = coapsec_onem2m_param(rows[i].param);
    if (rows[i].val != NULL) {
        CS_M2M_STR(p, d)->p = rows[i].val;
        CS_M2M_STR(p, d)->len = strlen(rows[i].val);
    } else {
        *CS_M2M_INT(p, d) = rows[i].uval;
    }
}

static void check_row(size_t i, int numbering, uint16_t num) {
    static coapsec_onem2m_prim p, q;
    coapsec_onem2m_prim_init(&p);
    set_row(&p, i);
    coapsec_msg m;
    memset(&m, 0, sizeof m);
    uint8_t scratch[64];
    cs_m2m_scratch s = {scratch, sizeof scratch, 0};
    int rc = cs_m2m_hdr_to_opts(&p, numbering, 1, &m, &s);
    if (num == 0) {
        assert_int_equal(rc, COAPSEC_ERR_UNSUPPORTED); /* no legacy number */
        return;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(m.nopts, 1);
    assert_int_equal(m.opts[0].num, num);
    if (rows[i].val != NULL) {
        assert_int_equal(m.opts[0].len, strlen(rows[i].val));
        assert_memory_equal(m.opts[0].val, rows[i].val, m.opts[0].len);
    } else {
        assert_int_equal(m.opts[0].len, rows[i].wire_len);
        if (rows[i].wire_len)
            assert_memory_equal(m.opts[0].val, rows[i].wire, rows[i].wire_len);
    }
    coapsec_onem2m_prim_init(&q);
    assert_int_equal(cs_m2m_hdr_from_opts(&q, &m, numbering), 0);
    const coapsec_onem2m_paramdef *d = coapsec_onem2m_param(rows[i].param);
    if (rows[i].val != NULL) {
        assert_int_equal(CS_M2M_STR(&q, d)->len, strlen(rows[i].val));
        assert_memory_equal(CS_M2M_STR(&q, d)->p, rows[i].val, strlen(rows[i].val));
    } else {
        assert_int_equal(*CS_M2M_INT(&q, d), rows[i].uval);
    }
    /* read with the other numbering, the option means something else or
     * is an unrecognised critical option, never this parameter */
    coapsec_onem2m_prim_init(&q);
    int other = numbering == COAPSEC_ONEM2M_NUM_CURRENT ? COAPSEC_ONEM2M_NUM_LEGACY
                                                        : COAPSEC_ONEM2M_NUM_CURRENT;
    const coapsec_onem2m_paramdef *od = coapsec_onem2m_param_by_opt(num, other);
    if (od != d) {
        rc = cs_m2m_hdr_from_opts(&q, &m, other);
        if (rc == 0 && rows[i].val != NULL)
            assert_null(CS_M2M_STR(&q, d)->p);
    }
}

static void test_rows_current(void **state) {
    (void)state;
    for (size_t i = 0; i < N(rows); i++)
        check_row(i, COAPSEC_ONEM2M_NUM_CURRENT, rows[i].num);
}

static void test_rows_legacy(void **state) {
    (void)state;
    for (size_t i = 0; i < N(rows); i++)
        check_row(i, COAPSEC_ONEM2M_NUM_LEGACY, rows[i].legacy);
}

/* Length bounds of every row, both directions, both numberings. */
static void test_length_bounds(void **state) {
    (void)state;
    static char big[600];
    memset(big, 'x', sizeof big);
    for (int nb = 0; nb <= 1; nb++) {
        for (int i = 0; i < COAPSEC_ONEM2M_P_COUNT; i++) {
            const coapsec_onem2m_paramdef *d = coapsec_onem2m_param(i);
            uint16_t num = coapsec_onem2m_optnum(i, nb);
            if (num == 0)
                continue;
            size_t lens[3] = {d->max_len + 1u, d->min_len > 0 ? d->min_len - 1u : SIZE_MAX,
                              d->max_len};
            for (int k = 0; k < 3; k++) {
                if (lens[k] == SIZE_MAX)
                    continue;
                coapsec_msg m;
                memset(&m, 0, sizeof m);
                assert_int_equal(coapsec_msg_add_opt(&m, num, big, lens[k]), 0);
                static coapsec_onem2m_prim p;
                coapsec_onem2m_prim_init(&p);
                int rc = cs_m2m_hdr_from_opts(&p, &m, nb);
                assert_int_equal(rc, k == 2 ? 0 : COAPSEC_ERR_BADOPT);
                if (d->format == COAPSEC_OPTFMT_STRING) {
                    /* the writer refuses the same lengths */
                    coapsec_onem2m_prim_init(&p);
                    CS_M2M_STR(&p, d)->p = big;
                    CS_M2M_STR(&p, d)->len = lens[k];
                    memset(&m, 0, sizeof m);
                    cs_m2m_scratch s = {NULL, 0, 0};
                    assert_int_equal(cs_m2m_hdr_to_opts(&p, nb, 1, &m, &s),
                                     k == 2 ? 0 : COAPSEC_ERR_BADOPT);
                }
            }
        }
    }
}

/* uint values too large for their option length: BADUINT on writing. */
static void test_uint_range(void **state) {
    (void)state;
    static const struct {
        int param;
        int32_t ok, bad;
    } r[] = {
        {COAPSEC_ONEM2M_P_EC, 255, 256},      {COAPSEC_ONEM2M_P_RSC, 65535, 65536},
        {COAPSEC_ONEM2M_P_TY, 65535, 65536},  {COAPSEC_ONEM2M_P_CTO, 65535, 70000},
        {COAPSEC_ONEM2M_P_CTS, 65535, 65536},
    };
    for (size_t i = 0; i < N(r); i++) {
        const coapsec_onem2m_paramdef *d = coapsec_onem2m_param(r[i].param);
        static coapsec_onem2m_prim p;
        uint8_t scratch[8];
        coapsec_msg m;
        coapsec_onem2m_prim_init(&p);
        *CS_M2M_INT(&p, d) = r[i].ok;
        memset(&m, 0, sizeof m);
        cs_m2m_scratch s = {scratch, sizeof scratch, 0};
        assert_int_equal(cs_m2m_hdr_to_opts(&p, 0, 1, &m, &s), 0);
        *CS_M2M_INT(&p, d) = r[i].bad;
        memset(&m, 0, sizeof m);
        s.used = 0;
        assert_int_equal(cs_m2m_hdr_to_opts(&p, 0, 1, &m, &s), COAPSEC_ERR_BADUINT);
        /* no scratch left: NOBUF */
        *CS_M2M_INT(&p, d) = r[i].ok;
        s.used = sizeof scratch;
        assert_int_equal(cs_m2m_hdr_to_opts(&p, 0, 1, &m, &s), COAPSEC_ERR_NOBUF);
    }
}

/* Repeats of a oneM2M option, unknown critical options, CoAP options. */
static void test_critical_and_repeats(void **state) {
    (void)state;
    static coapsec_onem2m_prim p;
    coapsec_msg m;
    memset(&m, 0, sizeof m);
    assert_int_equal(coapsec_msg_add_opt(&m, 279, "a", 1), 0);
    assert_int_equal(coapsec_msg_add_opt(&m, 279, "b", 1), 0);
    coapsec_onem2m_prim_init(&p);
    assert_int_equal(cs_m2m_hdr_from_opts(&p, &m, 0), COAPSEC_ERR_BADOPT);

    memset(&m, 0, sizeof m); /* unknown critical 2049, unknown elective 2048 */
    assert_int_equal(coapsec_msg_add_opt(&m, 2048, "x", 1), 0);
    coapsec_onem2m_prim_init(&p);
    assert_int_equal(cs_m2m_hdr_from_opts(&p, &m, 0), 0);
    assert_int_equal(coapsec_msg_add_opt(&m, 2049, "x", 1), 0);
    assert_int_equal(cs_m2m_hdr_from_opts(&p, &m, 0), COAPSEC_ERR_BADOPT);

    /* legacy 256 is elective (even) and ignored in the current numbering;
     * current 279 is critical and unknown in the legacy numbering */
    memset(&m, 0, sizeof m);
    assert_int_equal(coapsec_msg_add_opt(&m, 256, "CAE", 3), 0);
    coapsec_onem2m_prim_init(&p);
    assert_int_equal(cs_m2m_hdr_from_opts(&p, &m, COAPSEC_ONEM2M_NUM_CURRENT), 0);
    assert_null(p.fr.p);
    memset(&m, 0, sizeof m);
    assert_int_equal(coapsec_msg_add_opt(&m, 279, "CAE", 3), 0);
    assert_int_equal(cs_m2m_hdr_from_opts(&p, &m, COAPSEC_ONEM2M_NUM_LEGACY), COAPSEC_ERR_BADOPT);

    /* a known critical CoAP option with a bad length or repeated */
    memset(&m, 0, sizeof m);
    assert_int_equal(coapsec_msg_add_opt(&m, COAPSEC_OPT_ACCEPT, "abc", 3), 0);
    assert_int_equal(cs_m2m_hdr_from_opts(&p, &m, 0), COAPSEC_ERR_BADOPT);
    memset(&m, 0, sizeof m);
    assert_int_equal(coapsec_msg_add_opt(&m, COAPSEC_OPT_URI_HOST, "a", 1), 0);
    assert_int_equal(coapsec_msg_add_opt(&m, COAPSEC_OPT_URI_HOST, "b", 1), 0);
    assert_int_equal(cs_m2m_hdr_from_opts(&p, &m, 0), COAPSEC_ERR_BADOPT);
}

static void test_parse_uint(void **state) {
    (void)state;
    static const struct {
        const char *s;
        uint32_t max;
        int rc;
        uint32_t v;
    } v[] = {
        {"0", 10, 0, 0},
        {"7", 10, 0, 7},
        {"65535", 65535, 0, 65535},
        {"65536", 65535, COAPSEC_ERR_BADUINT, 0},
        {"4294967295", UINT32_MAX, 0, UINT32_MAX},
        {"4294967296", UINT32_MAX, COAPSEC_ERR_BADUINT, 0},
        {"99999999999", UINT32_MAX, COAPSEC_ERR_BADUINT, 0},
        {"", 10, COAPSEC_ERR_BADUINT, 0},
        {"01", 10, COAPSEC_ERR_BADUINT, 0},
        {"+1", 10, COAPSEC_ERR_BADUINT, 0},
        {"-1", 10, COAPSEC_ERR_BADUINT, 0},
        {"1a", 10, COAPSEC_ERR_BADUINT, 0},
        {" 1", 10, COAPSEC_ERR_BADUINT, 0},
    };
    for (size_t i = 0; i < N(v); i++) {
        uint32_t out = 12345;
        assert_int_equal(cs_m2m_parse_uint(v[i].s, strlen(v[i].s), v[i].max, &out), v[i].rc);
        if (v[i].rc == 0)
            assert_int_equal(out, v[i].v);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_current),         cmocka_unit_test(test_rows_legacy),
        cmocka_unit_test(test_length_bounds),        cmocka_unit_test(test_uint_range),
        cmocka_unit_test(test_critical_and_repeats), cmocka_unit_test(test_parse_uint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
