/*
 * test_ct.c - src/crypto/ct.c: constant-time equality (used for the RFC
 * 5246 §7.4.9 Finished verify_data and RFC 6347 §4.2.1 cookie checks) and
 * secret wiping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/crypto.h"

/* Equal buffers give 0; a difference in any byte and any bit gives
 * non-zero; length 0 compares equal. */
static void test_ct_memcmp(void **state) {
    (void)state;
    uint8_t a[48], b[48];
    for (size_t i = 0; i < sizeof(a); i++)
        a[i] = (uint8_t)(i * 31 + 5);
    memcpy(b, a, sizeof(a));
    assert_int_equal(cs_ct_memcmp(a, b, sizeof(a)), 0);
    assert_int_equal(cs_ct_memcmp(a, b, 0), 0);
    for (size_t i = 0; i < sizeof(a); i++) {
        for (int bit = 0; bit < 8; bit++) {
            b[i] ^= (uint8_t)(1u << bit);
            assert_int_not_equal(cs_ct_memcmp(a, b, sizeof(a)), 0);
            assert_int_equal(cs_ct_memcmp(a, b, i), 0); /* prefix before it still equal */
            b[i] ^= (uint8_t)(1u << bit);
        }
    }
}

static void test_wipe(void **state) {
    (void)state;
    uint8_t k[40];
    memset(k, 0x5A, sizeof(k));
    cs_wipe(k + 4, 32);
    for (size_t i = 0; i < sizeof(k); i++)
        assert_int_equal(k[i], (i >= 4 && i < 36) ? 0 : 0x5A);
    cs_wipe(NULL, 0);
    cs_wipe(k, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ct_memcmp),
        cmocka_unit_test(test_wipe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
