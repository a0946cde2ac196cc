/*
 * test_extensions.c - hello extension parsing (src/dtls/extensions.c):
 * extended_master_secret (RFC 7627 §5.1: empty), renegotiation_info
 * (RFC 5746 §3.2: empty renegotiated_connection on the initial handshake),
 * max_fragment_length (RFC 6066 §4: codes 1-4 = 2^9..2^12), record_size_limit
 * (RFC 8449 §4: at least 64, precedence over max_fragment_length), duplicates,
 * truncation and unknown extensions in a ServerHello.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dtls/dtls_int.h"

static void test_known(void **state) {
    (void)state;
    const uint8_t b[] = {0x00, 0x17, 0,    0,    0xff, 0x01, 0,    1,    0,    0x00, 0x01, 0,
                         1,    2,    0x00, 0x1c, 0,    2,    0x01, 0x00, 0x00, 0x00, 0,    0};
    cs_exts e;
    assert_int_equal(cs_ext_parse(b, sizeof b, false, &e), 0);
    assert_true(e.ems);
    assert_true(e.reneg);
    assert_false(e.reneg_bad);
    assert_int_equal(e.mfl, 2);
    assert_int_equal(e.rsl, 256);
    assert_false(e.unknown_in_sh);
    assert_int_equal(cs_ext_parse(b, sizeof b, true, &e), 0);
    assert_true(e.unknown_in_sh); /* server_name (0) in a ServerHello: not ours */
    /* every truncation fails or parses a prefix; none reads past the end */
    for (size_t n = 0; n < sizeof b; n++)
        (void)cs_ext_parse(b, n, false, &e);
    assert_int_equal(cs_ext_parse(b, 3, false, &e), COAPSEC_ERR_FORMAT);
    assert_int_equal(cs_ext_parse(NULL, 0, false, &e), 0);
}

static void test_malformed(void **state) {
    (void)state;
    cs_exts e;
    const uint8_t ems_len[] = {0x00, 0x17, 0, 1, 0};
    assert_int_equal(cs_ext_parse(ems_len, sizeof ems_len, false, &e), COAPSEC_ERR_FORMAT);
    const uint8_t dup[] = {0x00, 0x17, 0, 0, 0x00, 0x17, 0, 0};
    assert_int_equal(cs_ext_parse(dup, sizeof dup, false, &e), COAPSEC_ERR_FORMAT);
    const uint8_t mfl5[] = {0x00, 0x01, 0, 1, 5};
    assert_int_equal(cs_ext_parse(mfl5, sizeof mfl5, false, &e), COAPSEC_ERR_FORMAT);
    const uint8_t rsl63[] = {0x00, 0x1c, 0, 2, 0, 63};
    assert_int_equal(cs_ext_parse(rsl63, sizeof rsl63, false, &e), COAPSEC_ERR_FORMAT);
    const uint8_t reneg_inner[] = {0xff, 0x01, 0, 1, 3};
    assert_int_equal(cs_ext_parse(reneg_inner, sizeof reneg_inner, false, &e), COAPSEC_ERR_FORMAT);
    const uint8_t reneg_data[] = {0xff, 0x01, 0, 3, 2, 9, 9};
    assert_int_equal(cs_ext_parse(reneg_data, sizeof reneg_data, false, &e), 0);
    assert_true(e.reneg_bad); /* not empty on an initial handshake */
}

static void test_plain_limit(void **state) {
    (void)state;
    assert_int_equal(cs_ext_plain_limit(0, 0), 16384);
    assert_int_equal(cs_ext_plain_limit(1, 0), 512);
    assert_int_equal(cs_ext_plain_limit(2, 0), 1024);
    assert_int_equal(cs_ext_plain_limit(3, 0), 2048);
    assert_int_equal(cs_ext_plain_limit(4, 0), 4096);
    assert_int_equal(cs_ext_plain_limit(1, 3000), 3000); /* RFC 8449 wins */
    assert_int_equal(cs_ext_plain_limit(0, 60000), 16384);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_plain_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
