/*
 * test_credentials.c - the public ECDSA credential helpers of src/dtls/
 * credentials.c, here coapsec_dtls_cert_list_load_file(): a PEM chain file
 * (leaf first, a private key block in between as in a combined -c file) gives
 * the same TLS certificate_list (RFC 5246 §7.4.2) as
 * coapsec_dtls_cert_list_from_pem() on its text, and the file fails closed:
 * missing, empty, a directory, not PEM, no CERTIFICATE block, one byte over
 * COAPSEC_DTLS_CERT_FILE_MAX, or a list too long for the buffer. The chain
 * is made in the test with the crypto module's generator (cs_cert_issue).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dtls/dtls_int.h" /* coapsec/dtls.h, crypto/crypto.h, cs_get24 */

#define NOW ((int64_t)1767225600) /* 2026-01-01 */

typedef struct chain {
    uint8_t ca[1024], leaf[1024];
    size_t ca_len, leaf_len;
    char pem[8192]; /* leaf CERTIFICATE, the leaf's EC PRIVATE KEY, CA CERTIFICATE */
    size_t pem_len;
} chain;

static chain ch;

static int setup(void **state) {
    (void)state;
    cs_p256_key *ca_key = NULL, *leaf_key = NULL;
    if (cs_p256_key_generate(&ca_key) != 0 || cs_p256_key_generate(&leaf_key) != 0)
        return -1;
    cs_cert_spec s = {0};
    s.cn = "coapsec Credentials CA";
    s.is_ca = 1;
    s.pathlen = -1;
    s.key_usage = CS_KU_KEY_CERT_SIGN | CS_KU_CRL_SIGN;
    s.not_before = NOW - 86400;
    s.not_after = NOW + 86400;
    s.serial = 1;
    int rc = cs_cert_issue(&s, ca_key, NULL, 0, ca_key, ch.ca, sizeof ch.ca, &ch.ca_len);
    s.cn = "device-1";
    s.san = "DNS:device-1";
    s.is_ca = 0;
    s.key_usage = CS_KU_DIGITAL_SIGNATURE;
    s.ext_key_usage = CS_EKU_CLIENT;
    s.serial = 2;
    if (rc == 0)
        rc = cs_cert_issue(&s, leaf_key, ch.ca, ch.ca_len, ca_key, ch.leaf, sizeof ch.leaf,
                           &ch.leaf_len);
    size_t n = 0, o = 0;
    if (rc == 0 && (rc = cs_x509_der_to_pem(ch.leaf, ch.leaf_len, ch.pem, sizeof ch.pem, &n)) == 0)
        o += n;
    if (rc == 0 && (rc = cs_p256_key_to_sec1_pem(leaf_key, ch.pem + o, sizeof ch.pem - o, &n)) == 0)
        o += n;
    if (rc == 0 &&
        (rc = cs_x509_der_to_pem(ch.ca, ch.ca_len, ch.pem + o, sizeof ch.pem - o, &n)) == 0)
        o += n;
    ch.pem_len = o;
    cs_p256_key_free(ca_key);
    cs_p256_key_free(leaf_key);
    return rc;
}

/* A new temporary file holding len bytes of data; its name goes to path. */
static void temp_file(char path[64], const void *data, size_t len) {
    strcpy(path, "/tmp/cs_test_credentials_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
}

/* The file gives the list the PEM text gives: leaf first, then the CA; the
 * private key block between them is skipped. */
static void test_load_chain(void **state) {
    (void)state;
    char path[64];
    temp_file(path, ch.pem, ch.pem_len);
    uint8_t got[4096], want[4096];
    size_t gl = 0, wl = 0;
    assert_int_equal(coapsec_dtls_cert_list_load_file(path, got, sizeof got, &gl), 0);
    assert_int_equal(coapsec_dtls_cert_list_from_pem(ch.pem, ch.pem_len, want, sizeof want, &wl),
                     0);
    assert_int_equal(gl, wl);
    assert_memory_equal(got, want, wl);
    assert_int_equal(gl, 3 + 3 + ch.leaf_len + 3 + ch.ca_len);
    assert_int_equal(cs_get24(got), gl - 3);
    assert_int_equal(cs_get24(got + 3), ch.leaf_len);
    assert_memory_equal(got + 6, ch.leaf, ch.leaf_len);
    assert_int_equal(cs_get24(got + 6 + ch.leaf_len), ch.ca_len);
    assert_memory_equal(got + 9 + ch.leaf_len, ch.ca, ch.ca_len);
    /* the list does not fit: NOBUF */
    assert_int_equal(coapsec_dtls_cert_list_load_file(path, got, gl - 1, &gl), COAPSEC_ERR_NOBUF);
    assert_int_equal(unlink(path), 0);
}

/* COAPSEC_DTLS_CERT_FILE_MAX bytes are read; one more and the file is refused. */
static void test_size_cap(void **state) {
    (void)state;
    size_t max = COAPSEC_DTLS_CERT_FILE_MAX;
    char *big = malloc(max + 1);
    assert_non_null(big);
    memset(big, '\n', max + 1); /* text before a PEM block is ignored */
    memcpy(big + max - ch.pem_len, ch.pem, ch.pem_len);
    char path[64];
    uint8_t list[4096];
    size_t ll = 0;
    temp_file(path, big, max);
    assert_int_equal(coapsec_dtls_cert_list_load_file(path, list, sizeof list, &ll), 0);
    assert_int_equal(ll, 3 + 3 + ch.leaf_len + 3 + ch.ca_len);
    assert_int_equal(unlink(path), 0);
    memset(big, '\n', max + 1);
    memcpy(big + max + 1 - ch.pem_len, ch.pem, ch.pem_len);
    temp_file(path, big, max + 1);
    ll = 0;
    assert_int_equal(coapsec_dtls_cert_list_load_file(path, list, sizeof list, &ll),
                     COAPSEC_ERR_FORMAT);
    assert_int_equal(ll, 0);
    assert_int_equal(unlink(path), 0);
    free(big);
}

/* Missing file: NOTFOUND. */
static void test_missing(void **state) {
    (void)state;
    char path[64];
    temp_file(path, "", 0);
    assert_int_equal(unlink(path), 0);
    uint8_t list[4096];
    size_t ll = 0;
    assert_int_equal(coapsec_dtls_cert_list_load_file(path, list, sizeof list, &ll),
                     COAPSEC_ERR_NOTFOUND);
    assert_int_equal(ll, 0);
}

/* Files that hold no certificate: empty, not PEM, only a private key; and a
 * directory (opens, cannot be read). All FORMAT. */
static void test_no_certificate(void **state) {
    (void)state;
    const char *key = strstr(ch.pem, "-----BEGIN EC PRIVATE KEY-----");
    const char *key_end = strstr(ch.pem, "-----END EC PRIVATE KEY-----\n");
    assert_non_null(key);
    assert_non_null(key_end);
    static const char junk[] = "not a certificate\n-----BEGIN CERTIFICATE-----\n!!!\n";
    struct {
        const char *data;
        size_t len;
    } cases[] = {
        {"", 0},
        {junk, sizeof junk - 1},
        {key, (size_t)(key_end - key) + strlen("-----END EC PRIVATE KEY-----\n")},
    };
    uint8_t list[4096];
    size_t ll;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[64];
        temp_file(path, cases[i].data, cases[i].len);
        ll = 0;
        assert_int_equal(coapsec_dtls_cert_list_load_file(path, list, sizeof list, &ll),
                         COAPSEC_ERR_FORMAT);
        assert_int_equal(ll, 0);
        assert_int_equal(unlink(path), 0);
    }
    char dir[] = "/tmp/cs_test_credentials_dir_XXXXXX";
    assert_non_null(mkdtemp(dir));
    ll = 0;
    assert_int_equal(coapsec_dtls_cert_list_load_file(dir, list, sizeof list, &ll),
                     COAPSEC_ERR_FORMAT);
    assert_int_equal(ll, 0);
    assert_int_equal(rmdir(dir), 0);
}

static void test_invalid_args(void **state) {
    (void)state;
    uint8_t list[16];
    size_t ll = 0;
    assert_int_equal(coapsec_dtls_cert_list_load_file(NULL, list, sizeof list, &ll),
                     COAPSEC_ERR_INVAL);
    assert_int_equal(coapsec_dtls_cert_list_load_file("/nonexistent", NULL, sizeof list, &ll),
                     COAPSEC_ERR_INVAL);
    assert_int_equal(coapsec_dtls_cert_list_load_file("/nonexistent", list, sizeof list, NULL),
                     COAPSEC_ERR_INVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_chain),   cmocka_unit_test(test_size_cap),
        cmocka_unit_test(test_missing),      cmocka_unit_test(test_no_certificate),
        cmocka_unit_test(test_invalid_args),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
