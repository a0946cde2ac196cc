/*
 * test_random.c - src/crypto/random.c: cs_random fills the whole buffer
 * with fresh bytes (RFC 5246 §7.4.1.2 client/server random, RFC 6347
 * §4.2.1 cookie secrets) and rejects a NULL buffer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "coapsec/common.h"
#include "crypto/crypto.h"

/* Two 32-byte draws differ (a false failure has probability 2^-256), and
 * every byte of a buffer is written: the chance that a given byte of a
 * 4096-byte draw keeps the 0xEE sentinel in all of 8 draws is 2^-64. */
static void test_random_fills_and_differs(void **state) {
    (void)state;
    uint8_t a[32], b[32];
    assert_int_equal(cs_random(a, sizeof(a)), 0);
    assert_int_equal(cs_random(b, sizeof(b)), 0);
    assert_memory_not_equal(a, b, sizeof(a));
    static uint8_t big[4096];
    static int touched[4096];
    for (int round = 0; round < 8; round++) {
        memset(big, 0xEE, sizeof(big));
        assert_int_equal(cs_random(big, sizeof(big)), 0);
        for (size_t i = 0; i < sizeof(big); i++)
            if (big[i] != 0xEE)
                touched[i] = 1;
    }
    for (size_t i = 0; i < sizeof(big); i++)
        assert_true(touched[i]);
}

static void test_random_arguments(void **state) {
    (void)state;
    uint8_t one = 0xEE;
    assert_int_equal(cs_random(&one, 0), 0);
    assert_int_equal(one, 0xEE); /* nothing written */
    assert_int_equal(cs_random(NULL, 0), 0);
    assert_int_equal(cs_random(NULL, 1), COAPSEC_ERR_INVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_fills_and_differs),
        cmocka_unit_test(test_random_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
