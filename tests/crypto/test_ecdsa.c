/*
 * test_ecdsa.c - src/crypto/ecdsa.c: ECDSA P-256/SHA-256 verification of
 * the RFC 6979 §A.2.5 signatures ("sample", "test") with the published
 * key, sign/verify round trips (RFC 8422 §5.4), and rejection of tampered
 * messages, signatures, points and non-DER encodings (also right after a
 * good verification, as the per-thread verification key is reused); a key's
 * reused signing context gives valid, distinct signatures, also to threads
 * signing at once.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hex.h"

#include "coapsec/common.h"
#include "crypto/crypto.h"

static const char PRIV[] = "C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721";
static const char PUB[] = "0460FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6"
                          "7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299";
/* RFC 6979 §A.2.5 (r, s) as DER ECDSA-Sig-Value (RFC 3279 §2.2.3): INTEGERs
 * with a 00 pad where the top bit is set. */
static const char SIG_SAMPLE[] =
    "3046"
    "022100EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716"
    "022100F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8";
static const char SIG_TEST[] =
    "3045"
    "022100F1ABB023518351CD71D881567B1EA663ED3EFCF6C5132B354F28D3B0B7D38367"
    "0220019F4113742A2B14BD25926B49C649155F267E60D3814B4C0CC84250E46F0083";

/* RFC 6979 §A.2.5: the key's public point and both SHA-256 signatures. */
static void test_ecdsa_rfc6979_vectors(void **state) {
    (void)state;
    uint8_t priv[32], pub[65], got[65], sig[80], sig2[80];
    unhex(PRIV, priv, 32);
    unhex(PUB, pub, 65);
    cs_p256_key *k = NULL;
    assert_int_equal(cs_p256_key_from_priv(&k, priv), 0);
    assert_int_equal(cs_p256_key_public(k, got), 0);
    assert_memory_equal(got, pub, 65);
    cs_p256_key_free(k);
    size_t n = unhex(SIG_SAMPLE, sig, sizeof(sig));
    size_t n2 = unhex(SIG_TEST, sig2, sizeof(sig2));
    assert_int_equal(cs_ecdsa_p256_verify(pub, (const uint8_t *)"sample", 6, sig, n), 0);
    assert_int_equal(cs_ecdsa_p256_verify(pub, (const uint8_t *)"test", 4, sig2, n2), 0);
    /* crossed over: each signature fails on the other message */
    assert_int_equal(cs_ecdsa_p256_verify(pub, (const uint8_t *)"test", 4, sig, n),
                     COAPSEC_ERR_AUTH);
    assert_int_equal(cs_ecdsa_p256_verify(pub, (const uint8_t *)"sample", 6, sig2, n2),
                     COAPSEC_ERR_AUTH);
    /* through the precomputed-hash entry */
    uint8_t h[32];
    cs_sha256("sample", 6, h);
    assert_int_equal(cs_ecdsa_p256_verify_hash(pub, h, sig, n), 0);
}

/* Any flipped bit in the signature, a changed message, another key, a
 * truncated or padded signature, or a non-minimal DER length fails. */
static void test_ecdsa_tamper(void **state) {
    (void)state;
    uint8_t pub[65], sig[80], bad[81];
    unhex(PUB, pub, 65);
    size_t n = unhex(SIG_SAMPLE, sig, sizeof(sig));
    for (size_t i = 0; i < n; i++) {
        memcpy(bad, sig, n);
        bad[i] ^= 0x01;
        assert_int_equal(cs_ecdsa_p256_verify(pub, (const uint8_t *)"sample", 6, bad, n),
                         COAPSEC_ERR_AUTH);
    }
    assert_int_equal(cs_ecdsa_p256_verify(pub, (const uint8_t *)"samplf", 6, sig, n),
                     COAPSEC_ERR_AUTH);
    assert_int_equal(cs_ecdsa_p256_verify(pub, (const uint8_t *)"sample", 5, sig, n),
                     COAPSEC_ERR_AUTH);
    assert_int_equal(cs_ecdsa_p256_verify(pub, (const uint8_t *)"sample", 6, sig, n - 1),
                     COAPSEC_ERR_AUTH);
    memcpy(bad, sig, n);
    bad[n] = 0x00; /* trailing garbage */
    assert_int_equal(cs_ecdsa_p256_verify(pub, (const uint8_t *)"sample", 6, bad, n + 1),
                     COAPSEC_ERR_AUTH);
    /* BER long-form length 0x81 0x46 instead of 0x46 */
    bad[0] = 0x30;
    bad[1] = 0x81;
    memcpy(bad + 2, sig + 1, n - 1);
    assert_int_equal(cs_ecdsa_p256_verify(pub, (const uint8_t *)"sample", 6, bad, n + 1),
                     COAPSEC_ERR_AUTH);
    /* the public point of another key, and an invalid point */
    uint8_t other[65], priv[32];
    assert_int_equal(cs_ecdh_p256_keygen(priv, other), 0);
    assert_int_equal(cs_ecdsa_p256_verify(other, (const uint8_t *)"sample", 6, sig, n),
                     COAPSEC_ERR_AUTH);
    pub[64] ^= 1;
    assert_int_equal(cs_ecdsa_p256_verify(pub, (const uint8_t *)"sample", 6, sig, n),
                     COAPSEC_ERR_AUTH);
    /* Verification reuses one key per thread with the point replaced: a
     * point that cannot be set (off the curve; x >= p) right after a good
     * one must fail, not verify against the point left from before. */
    pub[64] ^= 1;
    assert_int_equal(cs_ecdsa_p256_verify(pub, (const uint8_t *)"sample", 6, sig, n), 0);
    uint8_t offcurve[65], big_x[65];
    memcpy(offcurve, pub, 65);
    offcurve[64] ^= 1;
    assert_int_equal(cs_ecdsa_p256_verify(offcurve, (const uint8_t *)"sample", 6, sig, n),
                     COAPSEC_ERR_AUTH);
    assert_int_equal(cs_ecdsa_p256_verify(pub, (const uint8_t *)"sample", 6, sig, n), 0);
    memcpy(big_x, pub, 65);
    memset(big_x + 1, 0xFF, 32);
    assert_int_equal(cs_ecdsa_p256_verify(big_x, (const uint8_t *)"sample", 6, sig, n),
                     COAPSEC_ERR_AUTH);
    assert_int_equal(cs_ecdsa_p256_verify(pub, (const uint8_t *)"sample", 6, sig, n), 0);
}

/* RFC 8422 §5.4: a fresh signature verifies with the signer's point and
 * fits CS_ECDSA_SIG_MAX; two signatures of one message differ (random k). */
static void test_ecdsa_round_trip(void **state) {
    (void)state;
    cs_p256_key *k = NULL;
    uint8_t pub[65], sig[CS_ECDSA_SIG_MAX], sig2[CS_ECDSA_SIG_MAX];
    static const uint8_t msg[] = "client_random||server_random||params";
    assert_int_equal(cs_p256_key_generate(&k), 0);
    assert_int_equal(cs_p256_key_public(k, pub), 0);
    size_t n = sizeof(sig), n2 = sizeof(sig2);
    assert_int_equal(cs_ecdsa_p256_sign(k, msg, sizeof(msg), sig, &n), 0);
    assert_in_range(n, 8, CS_ECDSA_SIG_MAX);
    assert_int_equal(cs_ecdsa_p256_verify(pub, msg, sizeof(msg), sig, n), 0);
    assert_int_equal(cs_ecdsa_p256_sign(k, msg, sizeof(msg), sig2, &n2), 0);
    assert_false(n == n2 && memcmp(sig, sig2, n) == 0);
    assert_int_equal(cs_ecdsa_p256_verify(pub, msg, sizeof(msg), sig2, n2), 0);
    assert_int_equal(cs_ecdsa_p256_verify(pub, msg, sizeof(msg) - 1, sig, n), COAPSEC_ERR_AUTH);
    /* hash entry points agree with the message ones */
    uint8_t h[32];
    cs_sha256(msg, sizeof(msg), h);
    n2 = sizeof(sig2);
    assert_int_equal(cs_ecdsa_p256_sign_hash(k, h, sig2, &n2), 0);
    assert_int_equal(cs_ecdsa_p256_verify(pub, msg, sizeof(msg), sig2, n2), 0);
    /* too small an output buffer */
    size_t tiny = 8;
    assert_int_equal(cs_ecdsa_p256_sign(k, msg, sizeof(msg), sig, &tiny), COAPSEC_ERR_NOBUF);
    cs_p256_key_free(k);
    /* a P-384 key cannot sign for the P-256 profile */
    assert_int_equal(cs_ec_key_generate(&k, CS_CURVE_P384), 0);
    n = sizeof(sig);
    assert_int_equal(cs_ecdsa_p256_sign(k, msg, sizeof(msg), sig, &n), COAPSEC_ERR_UNSUPPORTED);
    assert_int_equal(cs_p256_key_public(k, pub), COAPSEC_ERR_UNSUPPORTED);
    cs_p256_key_free(k);
}

/* The thread's one verification key and context take a new point for each
 * call: alternating two signers, each signature verifies under its own point
 * only, and a bad point in between fails without spoiling the next call. */
static void test_ecdsa_verify_alternating_points(void **state) {
    (void)state;
    cs_p256_key *k[2] = {NULL, NULL};
    uint8_t pub[2][65], sig[2][CS_ECDSA_SIG_MAX], h[32];
    size_t n[2];
    cs_sha256("transcript", 10, h);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(cs_p256_key_generate(&k[i]), 0);
        assert_int_equal(cs_p256_key_public(k[i], pub[i]), 0);
        n[i] = sizeof sig[i];
        assert_int_equal(cs_ecdsa_p256_sign_hash(k[i], h, sig[i], &n[i]), 0);
    }
    uint8_t off[65];
    memcpy(off, pub[0], sizeof off);
    off[64] ^= 1; /* off the curve */
    for (int round = 0; round < 4; round++) {
        for (int i = 0; i < 2; i++) {
            assert_int_equal(cs_ecdsa_p256_verify_hash(pub[i], h, sig[i], n[i]), 0);
            assert_int_equal(cs_ecdsa_p256_verify_hash(pub[i], h, sig[1 - i], n[1 - i]),
                             COAPSEC_ERR_AUTH);
            assert_int_equal(cs_ecdsa_p256_verify_hash(off, h, sig[0], n[0]), COAPSEC_ERR_AUTH);
        }
    }
    cs_p256_key_free(k[0]);
    cs_p256_key_free(k[1]);
}

/* One key signing from several threads at once (each takes the key's idle
 * context or makes its own): every signature verifies and none repeats
 * another's nonce (equal r values would mean a reused k). */
enum { SIGNERS = 4, SIGNS = 40 };
struct signer {
    cs_p256_key *k;
    uint8_t h[32];
    uint8_t sig[SIGNS][CS_ECDSA_SIG_MAX];
    size_t n[SIGNS];
    int rc;
};

static void *sign_many(void *arg) {
    struct signer *s = arg;
    for (int i = 0; i < SIGNS && s->rc == 0; i++) {
        s->n[i] = sizeof s->sig[i];
        s->rc = cs_ecdsa_p256_sign_hash(s->k, s->h, s->sig[i], &s->n[i]);
    }
    return NULL;
}

static void test_ecdsa_shared_key_threads(void **state) {
    (void)state;
    cs_p256_key *k = NULL;
    uint8_t pub[65];
    assert_int_equal(cs_p256_key_generate(&k), 0);
    assert_int_equal(cs_p256_key_public(k, pub), 0);
    static struct signer s[SIGNERS];
    pthread_t t[SIGNERS];
    for (int i = 0; i < SIGNERS; i++) {
        s[i].k = k;
        s[i].rc = 0;
        memset(s[i].h, i + 1, sizeof s[i].h);
        assert_int_equal(pthread_create(&t[i], NULL, sign_many, &s[i]), 0);
    }
    for (int i = 0; i < SIGNERS; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    for (int i = 0; i < SIGNERS; i++) {
        assert_int_equal(s[i].rc, 0);
        for (int j = 0; j < SIGNS; j++) {
            assert_int_equal(cs_ecdsa_p256_verify_hash(pub, s[i].h, s[i].sig[j], s[i].n[j]), 0);
            /* DER: 30 len 02 rlen r...; the first 8 bytes of r are enough */
            for (int j2 = 0; j2 < j; j2++)
                assert_memory_not_equal(s[i].sig[j] + 4, s[i].sig[j2] + 4, 8);
        }
    }
    cs_p256_key_free(k);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ecdsa_rfc6979_vectors),
        cmocka_unit_test(test_ecdsa_tamper),
        cmocka_unit_test(test_ecdsa_round_trip),
        cmocka_unit_test(test_ecdsa_verify_alternating_points),
        cmocka_unit_test(test_ecdsa_shared_key_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
