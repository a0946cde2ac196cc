/*
 * test_hash.c - known-answer tests for src/crypto/hash.c: SHA-256 against
 * the FIPS 180-2 Appendix B examples (one shot, byte by byte, split at
 * every offset, a million 'a' incrementally, forking by struct copy) and
 * HMAC-SHA256 against RFC 4231 §4.2-§4.8 (test cases 1-7).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hex.h"

#include "crypto/crypto.h"

static const char abc[] = "abc";
static const char abc_sha[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
static const char m448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
static const char m448_sha[] = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
static const char million_sha[] =
    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
/* SHA-256 of the empty string (FIPS 180-4 padding of a zero-length message) */
static const char empty_sha[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

static void expect_digest(const uint8_t got[32], const char *hex) {
    uint8_t want[32];
    assert_int_equal(unhex(hex, want, sizeof(want)), 32);
    assert_memory_equal(got, want, 32);
}

/* FIPS 180-2 Appendix B.1 and B.2, one shot and incremental. */
static void test_sha256_fips_vectors(void **state) {
    (void)state;
    uint8_t d[32];
    cs_sha256(abc, 3, d);
    expect_digest(d, abc_sha);
    cs_sha256(m448, strlen(m448), d);
    expect_digest(d, m448_sha);
    cs_sha256("", 0, d);
    expect_digest(d, empty_sha);
    cs_sha256_ctx c;
    cs_sha256_init(&c);
    cs_sha256_final(&c, d);
    expect_digest(d, empty_sha);
    /* byte by byte */
    cs_sha256_init(&c);
    for (size_t i = 0; i < strlen(m448); i++)
        cs_sha256_update(&c, m448 + i, 1);
    cs_sha256_final(&c, d);
    expect_digest(d, m448_sha);
}

/* FIPS 180-2 B.1/B.2 fed in two pieces split at every offset (and
 * three pieces around every offset with an empty update between). */
static void test_sha256_split_every_offset(void **state) {
    (void)state;
    const char *msgs[2] = {abc, m448};
    const char *shas[2] = {abc_sha, m448_sha};
    for (int m = 0; m < 2; m++) {
        size_t len = strlen(msgs[m]);
        for (size_t cut = 0; cut <= len; cut++) {
            cs_sha256_ctx c;
            uint8_t d[32];
            cs_sha256_init(&c);
            cs_sha256_update(&c, msgs[m], cut);
            cs_sha256_update(&c, msgs[m] + cut, 0);
            cs_sha256_update(&c, msgs[m] + cut, len - cut);
            cs_sha256_final(&c, d);
            expect_digest(d, shas[m]);
        }
    }
}

/* FIPS 180-2 B.3: one million 'a', fed in uneven chunks. */
static void test_sha256_million_a(void **state) {
    (void)state;
    static char chunk[1000];
    memset(chunk, 'a', sizeof(chunk));
    cs_sha256_ctx c;
    uint8_t d[32];
    cs_sha256_init(&c);
    size_t left = 1000000, step = 1;
    while (left > 0) {
        size_t n = step < left ? step : left;
        cs_sha256_update(&c, chunk, n);
        left -= n;
        step = step % 987 + 13; /* 13..999 bytes: sizes cross block edges */
    }
    cs_sha256_final(&c, d);
    expect_digest(d, million_sha);
}

/* The transcript use (RFC 5246 §7.4.9): final leaves the context usable,
 * and a struct copy forks the hash. */
static void test_sha256_final_and_fork(void **state) {
    (void)state;
    cs_sha256_ctx c, before, fork;
    uint8_t d[32], d2[32];
    cs_sha256_init(&c);
    cs_sha256_update(&c, "ab", 2);
    memcpy(&before, &c, sizeof(c));
    cs_sha256_final(&c, d);
    assert_memory_equal(&before, &c, sizeof(c)); /* final did not touch c */
    fork = c;
    cs_sha256_update(&c, "c", 1);
    cs_sha256_final(&c, d);
    expect_digest(d, abc_sha);
    cs_sha256_final(&c, d2); /* twice gives the same */
    assert_memory_equal(d, d2, 32);
    cs_sha256_update(&fork, "cdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 54);
    cs_sha256_final(&fork, d);
    expect_digest(d, m448_sha);
}

struct hmac_vec {
    const char *name, *key_hex, *data, *data_hex, *mac; /* data or data_hex */
    size_t keyrep, datarep, maclen;                     /* repeat counts for 1-byte hex */
};

/* RFC 4231 §4.2-§4.8. Where the RFC gives "0xaa repeated 131 times" the hex
 * is one byte and the repeat count says how often. */
static const struct hmac_vec hvecs[] = {
    {"RFC 4231 §4.2 Test Case 1", "0b", "Hi There", NULL,
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7", 20, 0, 32},
    {"RFC 4231 §4.3 Test Case 2", "4a656665", "what do ya want for nothing?", NULL,
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", 1, 0, 32},
    {"RFC 4231 §4.4 Test Case 3", "aa", NULL, "dd",
     "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe", 20, 50, 32},
    {"RFC 4231 §4.5 Test Case 4", "0102030405060708090a0b0c0d0e0f10111213141516171819", NULL, "cd",
     "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b", 1, 50, 32},
    {"RFC 4231 §4.6 Test Case 5 (truncated to 128 bits)", "0c", "Test With Truncation", NULL,
     "a3b6167473100ee06e0c796c2955552b", 20, 0, 16},
    {"RFC 4231 §4.7 Test Case 6", "aa", "Test Using Larger Than Block-Size Key - Hash Key First",
     NULL, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54", 131, 0, 32},
    {"RFC 4231 §4.8 Test Case 7", "aa",
     "This is a test using a larger than block-size key and a larger than block-size data. The "
     "key needs to be hashed before being used by the HMAC algorithm.",
     NULL, "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2", 131, 0, 32},
};

static size_t expand(const char *hex, size_t rep, uint8_t *out, size_t cap) {
    size_t n = unhex(hex, out, cap);
    if (rep > 1) {
        assert_int_equal(n, 1);
        assert_true(rep <= cap);
        memset(out, out[0], rep);
        n = rep;
    }
    return n;
}

static void test_hmac_rfc4231(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof(hvecs) / sizeof(hvecs[0]); i++) {
        const struct hmac_vec *v = &hvecs[i];
        uint8_t key[200], data[200], want[32], got[32];
        size_t keylen = expand(v->key_hex, v->keyrep, key, sizeof(key));
        size_t datalen;
        if (v->data != NULL) {
            datalen = strlen(v->data);
            memcpy(data, v->data, datalen);
        } else {
            datalen = expand(v->data_hex, v->datarep, data, sizeof(data));
        }
        assert_int_equal(unhex(v->mac, want, sizeof(want)), v->maclen);
        print_message("%s\n", v->name);
        cs_hmac_sha256(key, keylen, data, datalen, got);
        assert_memory_equal(got, want, v->maclen);
    }
    /* The per-thread context is re-keyed: case 1 again after case 7. */
    uint8_t key[20], got[32], want[32];
    memset(key, 0x0b, sizeof(key));
    cs_hmac_sha256(key, sizeof(key), "Hi There", 8, got);
    unhex(hvecs[0].mac, want, sizeof(want));
    assert_memory_equal(got, want, 32);
}

/* RFC 2104 §2: a key is zero-padded to the block size, so an empty key and
 * a 64-byte all-zero key give the same MAC; an empty message is valid. */
static void test_hmac_empty_key_and_data(void **state) {
    (void)state;
    uint8_t zeros[64] = {0}, a[32], b[32], c[32];
    cs_hmac_sha256(NULL, 0, "x", 1, a);
    cs_hmac_sha256(zeros, sizeof(zeros), "x", 1, b);
    assert_memory_equal(a, b, 32);
    cs_hmac_sha256(zeros, 1, "", 0, a);
    cs_hmac_sha256(zeros, 1, "x", 1, c);
    assert_memory_not_equal(a, c, 32);
}

/* cs_hmac_sha256_k32 keeps its key between calls: it must give the same MAC
 * as cs_hmac_sha256 when the key stays, when it changes and changes back,
 * and for an empty message (RFC 2104 §2). */
static void test_hmac_k32_matches(void **state) {
    (void)state;
    uint8_t ka[32], kb[32], want[32], got[32], data[100];
    for (int i = 0; i < 32; i++) {
        ka[i] = (uint8_t)i;
        kb[i] = (uint8_t)(i * 3 + 1);
    }
    for (int i = 0; i < 100; i++)
        data[i] = (uint8_t)(i * 7);
    const uint8_t *keys[] = {ka, ka, kb, ka, kb, kb};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        size_t len = (i * 37) % 101; /* 0, 37, 74, ... */
        cs_hmac_sha256(keys[i], 32, data, len, want);
        cs_hmac_sha256_k32(keys[i], data, len, got);
        assert_memory_equal(got, want, 32);
    }
    /* a key that differs in its last byte only is a new key */
    kb[31] ^= 1;
    cs_hmac_sha256(kb, 32, data, 10, want);
    cs_hmac_sha256_k32(kb, data, 10, got);
    assert_memory_equal(got, want, 32);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_fips_vectors),
        cmocka_unit_test(test_sha256_split_every_offset),
        cmocka_unit_test(test_sha256_million_a),
        cmocka_unit_test(test_sha256_final_and_fork),
        cmocka_unit_test(test_hmac_rfc4231),
        cmocka_unit_test(test_hmac_k32_matches),
        cmocka_unit_test(test_hmac_empty_key_and_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
