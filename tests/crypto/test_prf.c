/*
 * test_prf.c - the TLS 1.2 PRF with SHA-256 (RFC 5246 §5) in
 * src/crypto/prf.c, against the vector published on the IETF TLS mailing
 * list (secret 9bbe436b..., label "test label", 100 bytes), whose full
 * output was confirmed with `openssl kdf ... TLS1-PRF`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "coapsec/common.h"
#include "crypto/crypto.h"

static const uint8_t secret[16] = {0x9b, 0xbe, 0x43, 0x6b, 0xa9, 0x40, 0xf0, 0x17,
                                   0xb1, 0x76, 0x52, 0x84, 0x9a, 0x71, 0xdb, 0x35};
static const uint8_t seed[16] = {0xa0, 0xba, 0x9f, 0x93, 0x6c, 0xda, 0x31, 0x18,
                                 0x27, 0xa6, 0xf7, 0x96, 0xff, 0xd5, 0x19, 0x8c};
static const uint8_t expected[100] = {
    0xe3, 0xf2, 0x29, 0xba, 0x72, 0x7b, 0xe1, 0x7b, 0x8d, 0x12, 0x26, 0x20, 0x55, 0x7c, 0xd4,
    0x53, 0xc2, 0xaa, 0xb2, 0x1d, 0x07, 0xc3, 0xd4, 0x95, 0x32, 0x9b, 0x52, 0xd4, 0xe6, 0x1e,
    0xdb, 0x5a, 0x6b, 0x30, 0x17, 0x91, 0xe9, 0x0d, 0x35, 0xc9, 0xc9, 0xa4, 0x6b, 0x4e, 0x14,
    0xba, 0xf9, 0xaf, 0x0f, 0xa0, 0x22, 0xf7, 0x07, 0x7d, 0xef, 0x17, 0xab, 0xfd, 0x37, 0x97,
    0xc0, 0x56, 0x4b, 0xab, 0x4f, 0xbc, 0x91, 0x66, 0x6e, 0x9d, 0xef, 0x9b, 0x97, 0xfc, 0xe3,
    0x4f, 0x79, 0x67, 0x89, 0xba, 0xa4, 0x80, 0x82, 0xd1, 0x22, 0xee, 0x42, 0xc5, 0xa7, 0x2e,
    0x5a, 0x51, 0x10, 0xff, 0xf7, 0x01, 0x87, 0x34, 0x7b, 0x66,
};

/* RFC 5246 §5: PRF(secret, "test label", seed), 100 bytes. */
static void test_prf_sha256_vector(void **state) {
    (void)state;
    uint8_t out[100];
    memset(out, 0, sizeof(out));
    assert_int_equal(
        cs_tls12_prf(secret, sizeof(secret), "test label", seed, sizeof(seed), out, sizeof(out)),
        0);
    assert_memory_equal(out, expected, sizeof(out));
}

/* RFC 5246 §5: P_hash output is a stream; any length is a prefix of a
 * longer one (12 = verify_data, 48 = master secret, 40 = CCM key block). */
static void test_prf_prefix_lengths(void **state) {
    (void)state;
    const size_t lens[] = {1, 12, 32, 33, 40, 48, 64, 99};
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        uint8_t out[100];
        memset(out, 0xEE, sizeof(out));
        assert_int_equal(
            cs_tls12_prf(secret, sizeof(secret), "test label", seed, sizeof(seed), out, lens[i]),
            0);
        assert_memory_equal(out, expected, lens[i]);
        assert_int_equal(out[lens[i]], 0xEE); /* nothing written past outlen */
    }
}

/* RFC 5246 §5: the label is part of the input (label || seed); moving a
 * byte between label and seed gives the same result, changing it does not. */
static void test_prf_label_and_seed(void **state) {
    (void)state;
    uint8_t out[32], seed2[17];
    seed2[0] = 'l';
    memcpy(seed2 + 1, seed, sizeof(seed));
    assert_int_equal(
        cs_tls12_prf(secret, sizeof(secret), "test labe", seed2, sizeof(seed2), out, sizeof(out)),
        0);
    assert_memory_equal(out, expected, sizeof(out));
    assert_int_equal(
        cs_tls12_prf(secret, sizeof(secret), "test lab", seed2, sizeof(seed2), out, sizeof(out)),
        0);
    assert_memory_not_equal(out, expected, sizeof(out));
    /* an empty seed and an empty secret are legal inputs */
    assert_int_equal(cs_tls12_prf(NULL, 0, "test label", NULL, 0, out, sizeof(out)), 0);
}

static void test_prf_bad_arguments(void **state) {
    (void)state;
    uint8_t out[16];
    assert_int_equal(cs_tls12_prf(secret, sizeof(secret), NULL, seed, sizeof(seed), out, 16),
                     COAPSEC_ERR_INVAL);
    assert_int_equal(cs_tls12_prf(secret, sizeof(secret), "x", seed, sizeof(seed), NULL, 16),
                     COAPSEC_ERR_INVAL);
    assert_int_equal(cs_tls12_prf(secret, sizeof(secret), "x", seed, sizeof(seed), out, 0),
                     COAPSEC_ERR_INVAL);
    assert_int_equal(cs_tls12_prf(NULL, 4, "x", seed, sizeof(seed), out, 16), COAPSEC_ERR_INVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prf_sha256_vector),
        cmocka_unit_test(test_prf_prefix_lengths),
        cmocka_unit_test(test_prf_label_and_seed),
        cmocka_unit_test(test_prf_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
