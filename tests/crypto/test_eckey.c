/*
 * test_eckey.c - src/crypto/eckey.c: loading the RFC 6979 §A.2.5 P-256 key
 * from SEC 1 ("EC PRIVATE KEY", RFC 5915) and PKCS#8 ("PRIVATE KEY", RFC
 * 5958) PEM and checking its published public point; PEM write/read round
 * trips; SubjectPublicKeyInfo encoding (RFC 5480 §2) and its SHA-256
 * fingerprint (RFC 7250 / RFC 6920 style); refusal of other curves; public
 * point import with the validation of SEC 1 §3.2.2.1 (what the ECDSA
 * verification of every ECDHE handshake relies on).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "hex.h"

#include "coapsec/common.h"
#include "crypto/crypto.h"
#include "crypto/pkey_int.h"

static const char PUB[] = "0460FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6"
                          "7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299";
/* The RFC 6979 §A.2.5 key, encoded with the openssl CLI. */
static const char SEC1_PEM[] = "-----BEGIN EC PRIVATE KEY-----\n"
                               "MHcCAQEEIMmvqdhFunUWa1whV2ex1pNOUMPbNuibEnuKYisSD2choAoGCCqGSM49\n"
                               "AwEHoUQDQgAEYP7UuiVanTHJYet0xjVtaMBJuJI7Yfps5mliLmDyn7Z5A/4QCLi8\n"
                               "maQa6elWKLxk8vGyDC1+n1F3o8KU1EYimQ==\n"
                               "-----END EC PRIVATE KEY-----\n";
static const char PKCS8_PEM[] = "-----BEGIN PRIVATE KEY-----\n"
                                "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgya+p2EW6dRZrXCFX\n"
                                "Z7HWk05Qw9s26JsSe4piKxIPZyGhRANCAARg/tS6JVqdMclh63TGNW1owEm4kjth\n"
                                "+mzmaWIuYPKftnkD/hAIuLyZpBrp6VYovGTy8bIMLX6fUXejwpTURiKZ\n"
                                "-----END PRIVATE KEY-----\n";
/* RFC 5480 §2: SEQUENCE { SEQUENCE { id-ecPublicKey, secp256r1 }, BIT STRING point } */
static const char SPKI_PREFIX[] = "3059301306072a8648ce3d020106082a8648ce3d030107034200";
/* sha256 of that SPKI, from `openssl pkey -pubout -outform DER | openssl dgst -sha256` */
static const char SPKI_SHA256[] =
    "5a7a78cca4a0f420d9bc62bb669c3c2759e39f723d3ae10dcbe0f0815a07ecd4";

/* RFC 5915 / RFC 5958: both PEM forms load and give the RFC 6979 point. */
static void test_key_from_pem(void **state) {
    (void)state;
    uint8_t want[65], pub[65];
    unhex(PUB, want, 65);
    const char *pems[2] = {SEC1_PEM, PKCS8_PEM};
    for (int i = 0; i < 2; i++) {
        cs_p256_key *k = NULL;
        assert_int_equal(cs_p256_key_from_pem(&k, pems[i], strlen(pems[i])), 0);
        assert_int_equal(cs_ec_key_curve(k), CS_CURVE_P256);
        assert_int_equal(cs_p256_key_public(k, pub), 0);
        assert_memory_equal(pub, want, 65);
        cs_p256_key_free(k);
    }
    cs_p256_key *k = NULL;
    assert_int_equal(cs_p256_key_from_pem(&k, SEC1_PEM, 40), COAPSEC_ERR_FORMAT);
    assert_null(k);
    assert_int_equal(cs_p256_key_from_pem(&k, "garbage", 7), COAPSEC_ERR_FORMAT);
}

/* A generated key survives PEM (buffer and 0600 file) unchanged. */
static void test_key_pem_round_trip(void **state) {
    (void)state;
    cs_p256_key *k = NULL, *k2 = NULL;
    uint8_t pub[65], pub2[65];
    char pem[1024];
    size_t n = 0;
    assert_int_equal(cs_p256_key_generate(&k), 0);
    assert_int_equal(cs_p256_key_public(k, pub), 0);
    assert_int_equal(cs_p256_key_to_pem(k, pem, sizeof(pem), &n), 0);
    assert_int_equal(strlen(pem), n);
    assert_non_null(strstr(pem, "-----BEGIN PRIVATE KEY-----"));
    assert_int_equal(cs_p256_key_from_pem(&k2, pem, n), 0);
    assert_int_equal(cs_p256_key_public(k2, pub2), 0);
    assert_memory_equal(pub, pub2, 65);
    cs_p256_key_free(k2);
    assert_int_equal(cs_p256_key_to_pem(k, pem, 10, &n), COAPSEC_ERR_NOBUF);

    char path[] = "/tmp/cs_test_eckey_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(cs_p256_key_write_file(k, path), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(cs_p256_key_load_file(&k2, path), 0);
    assert_int_equal(cs_p256_key_public(k2, pub2), 0);
    assert_memory_equal(pub, pub2, 65);
    cs_p256_key_free(k2);
    unlink(path);
    assert_int_equal(cs_p256_key_load_file(&k2, path), COAPSEC_ERR_NOTFOUND);
    cs_p256_key_free(k);
}

/* Other curves are not P-256 keys. */
static void test_key_other_curve(void **state) {
    (void)state;
    cs_p256_key *k = NULL, *k2 = NULL;
    char pem[1024];
    size_t n = 0;
    assert_int_equal(cs_ec_key_generate(&k, CS_CURVE_P384), 0);
    assert_int_equal(cs_ec_key_curve(k), CS_CURVE_P384);
    assert_int_equal(cs_p256_key_to_pem(k, pem, sizeof(pem), &n), 0);
    assert_int_equal(cs_p256_key_from_pem(&k2, pem, n), COAPSEC_ERR_UNSUPPORTED);
    assert_null(k2);
    cs_p256_key_free(k);
    /* scalar 0 and a scalar >= n are not keys */
    uint8_t zero[32] = {0}, big[32];
    memset(big, 0xFF, sizeof(big));
    assert_int_equal(cs_p256_key_from_priv(&k, zero), COAPSEC_ERR_INVAL);
    assert_int_equal(cs_p256_key_from_priv(&k, big), COAPSEC_ERR_INVAL);
}

/* RFC 5480 §2: the 91-byte SPKI of the RFC 6979 point, decode back, and
 * the SHA-256 fingerprint computed by the openssl CLI. */
static void test_spki(void **state) {
    (void)state;
    uint8_t pub[65], spki[91], want[91], back[65], fp[32], wantfp[32];
    unhex(PUB, pub, 65);
    size_t n = unhex(SPKI_PREFIX, want, sizeof(want));
    /* the prefix ends with the BIT STRING's unused-bits octet; the point follows */
    memcpy(want + n, pub, 65);
    assert_int_equal(n + 65, CS_P256_SPKI_LEN);
    assert_int_equal(cs_p256_spki_encode(pub, spki), 0);
    assert_memory_equal(spki, want, CS_P256_SPKI_LEN);
    memset(spki, 0, sizeof spki); /* the unchecked wrap gives the same bytes */
    cs_p256_spki_wrap(pub, spki);
    assert_memory_equal(spki, want, CS_P256_SPKI_LEN);
    assert_int_equal(cs_p256_spki_decode(spki, sizeof(spki), back), 0);
    assert_memory_equal(back, pub, 65);
    cs_spki_fingerprint(spki, sizeof(spki), fp);
    unhex(SPKI_SHA256, wantfp, 32);
    assert_memory_equal(fp, wantfp, 32);
    /* truncated, trailing byte, off-curve point, not a point */
    uint8_t bad[92];
    assert_int_equal(cs_p256_spki_decode(spki, 90, back), COAPSEC_ERR_FORMAT);
    memcpy(bad, spki, 91);
    bad[91] = 0;
    assert_int_equal(cs_p256_spki_decode(bad, 92, back), COAPSEC_ERR_FORMAT);
    bad[90] ^= 1;
    assert_int_not_equal(cs_p256_spki_decode(bad, 91, back), 0);
    pub[64] ^= 1;
    assert_int_equal(cs_p256_spki_encode(pub, spki), COAPSEC_ERR_INVAL);
    /* a P-384 SPKI is well-formed but unsupported */
    cs_p256_key *k = NULL;
    uint8_t der[4096];
    size_t dl = 0;
    cs_cert_spec s = {0};
    s.cn = "p384";
    s.pathlen = -1;
    s.not_before = 0;
    s.not_after = 1;
    s.serial = 1;
    assert_int_equal(cs_ec_key_generate(&k, CS_CURVE_P384), 0);
    assert_int_equal(cs_cert_issue(&s, k, NULL, 0, k, der, sizeof(der), &dl), 0);
    assert_int_equal(cs_x509_leaf_public(der, dl, back), COAPSEC_ERR_UNSUPPORTED);
    cs_p256_key_free(k);
}

/* SEC 1 §3.2.2.1 / RFC 8422 §5.4.1: cs_pkey_from_point accepts the
 * published point and refuses everything that is not an uncompressed P-256
 * point on the curve: off-curve, coordinates >= p, zeros (no such point),
 * compressed or hybrid prefixes, wrong lengths, the one-byte infinity. */
static void test_pkey_from_point_validates(void **state) {
    (void)state;
    uint8_t pub[65], bad[66];
    unhex(PUB, pub, 65);
    EVP_PKEY *k = cs_pkey_from_point(pub, 65);
    assert_non_null(k);
    uint8_t back[65];
    assert_int_equal(cs_pkey_point(k, back), 0);
    assert_memory_equal(back, pub, 65);
    /* the key is the caller's own: the thread's verification key, which it
     * was copied from, taking another point leaves it as it was */
    uint8_t other[65], priv[32];
    assert_int_equal(cs_ecdh_p256_keygen(priv, other), 0);
    assert_non_null(cs_pkey_verify_point(other, 65));
    assert_int_equal(cs_pkey_point(k, back), 0);
    assert_memory_equal(back, pub, 65);
    EVP_PKEY_free(k);
    memcpy(bad, pub, 65);
    bad[64] ^= 1; /* off the curve */
    assert_null(cs_pkey_from_point(bad, 65));
    memcpy(bad, pub, 65);
    memset(bad + 1, 0xFF, 32); /* x >= p */
    assert_null(cs_pkey_from_point(bad, 65));
    memset(bad, 0, sizeof(bad));
    bad[0] = 0x04; /* (0, 0) is not on P-256 */
    assert_null(cs_pkey_from_point(bad, 65));
    memcpy(bad, pub, 65);
    bad[0] = 0x06; /* hybrid form */
    assert_null(cs_pkey_from_point(bad, 65));
    bad[0] = 0x03; /* compressed prefix, full length */
    assert_null(cs_pkey_from_point(bad, 65));
    assert_null(cs_pkey_from_point(bad, 33));
    assert_null(cs_pkey_from_point(pub, 64));
    bad[0] = 0x00;
    assert_null(cs_pkey_from_point(bad, 1));
    assert_null(cs_pkey_from_point(NULL, 65));
    /* still good after the refusals (the per-thread template is intact) */
    k = cs_pkey_from_point(pub, 65);
    assert_non_null(k);
    EVP_PKEY_free(k);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_from_pem),
        cmocka_unit_test(test_key_pem_round_trip),
        cmocka_unit_test(test_key_other_curve),
        cmocka_unit_test(test_spki),
        cmocka_unit_test(test_pkey_from_point_validates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
