/*
 * test_hex.c - src/common/hex.c: cs_hexval gives 0-15 for exactly the 22 hex
 * digits and -1 for every other byte value, EOF and negative (signed char)
 * values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/hex.h"

static void test_every_byte(void **state) {
    (void)state;
    static const char lower[] = "0123456789abcdef", upper[] = "0123456789ABCDEF";
    int digits = 0;
    for (int c = 0; c < 256; c++) {
        const char *l = c ? strchr(lower, c) : NULL, *u = c ? strchr(upper, c) : NULL;
        int want = l ? (int)(l - lower) : u ? (int)(u - upper) : -1;
        assert_int_equal(cs_hexval(c), want);
        digits += want >= 0;
    }
    assert_int_equal(digits, 22);
}

static void test_out_of_range(void **state) {
    (void)state;
    assert_int_equal(cs_hexval(EOF), -1);
    assert_int_equal(cs_hexval(-128), -1);
    assert_int_equal(cs_hexval((signed char)0xe1), -1); /* a UTF-8 byte as plain char */
    assert_int_equal(cs_hexval(256 + '0'), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_byte),
        cmocka_unit_test(test_out_of_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
