/*
 * test_certgen.c - src/crypto/certgen.c: issued certificates carry the
 * subject key (RFC 5280 §4.1.2.7) and names (§4.2.1.6) asked for, a
 * self-signed root verifies as its own anchor, PEM conversion round trips
 * (RFC 7468) into a TLS certificate_list (RFC 5246 §7.4.2), and bad
 * specifications are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "coapsec/common.h"
#include "crypto/crypto.h"

#define NOW ((int64_t)1750000000)

static cs_cert_spec root_spec(void) {
    cs_cert_spec s = {0};
    s.cn = "Gen Root";
    s.is_ca = 1;
    s.pathlen = 1;
    s.key_usage = CS_KU_KEY_CERT_SIGN | CS_KU_CRL_SIGN;
    s.not_before = NOW - 1000;
    s.not_after = NOW + 1000;
    s.serial = 7;
    return s;
}

static void test_issue_and_convert(void **state) {
    (void)state;
    cs_p256_key *ca = NULL, *leaf = NULL;
    uint8_t root[2048], ee[2048], pub[65], got[65];
    size_t rl = 0, el = 0;
    assert_int_equal(cs_p256_key_generate(&ca), 0);
    assert_int_equal(cs_p256_key_generate(&leaf), 0);
    cs_cert_spec s = root_spec();
    assert_int_equal(cs_cert_issue(&s, ca, NULL, 0, ca, root, sizeof(root), &rl), 0);
    assert_int_equal(cs_x509_leaf_public(root, rl, got), 0);
    assert_int_equal(cs_p256_key_public(ca, pub), 0);
    assert_memory_equal(got, pub, 65);

    cs_cert_spec e = {0};
    e.cn = "gen-leaf";
    e.san = "DNS:gen.example";
    e.pathlen = -1;
    e.key_usage = CS_KU_DIGITAL_SIGNATURE;
    e.ext_key_usage = CS_EKU_SERVER;
    e.not_before = NOW - 10;
    e.not_after = NOW + 10;
    e.serial = 8;
    assert_int_equal(cs_cert_issue(&e, leaf, root, rl, ca, ee, sizeof(ee), &el), 0);
    assert_int_equal(cs_x509_leaf_public(ee, el, got), 0);
    assert_int_equal(cs_p256_key_public(leaf, pub), 0);
    assert_memory_equal(got, pub, 65);
    assert_int_equal(cs_x509_check_name(ee, el, "gen.example"), 0);

    /* the root is its own anchor; leaf verifies under it */
    cs_x509_trust *t = NULL;
    assert_int_equal(cs_x509_trust_new(&t), 0);
    char pem[4096], both[8192];
    size_t pl = 0;
    assert_int_equal(cs_x509_der_to_pem(root, rl, pem, sizeof(pem), &pl), 0);
    assert_non_null(strstr(pem, "-----BEGIN CERTIFICATE-----"));
    assert_int_equal(cs_x509_trust_add_pem(t, pem, pl), 0);
    cs_x509_verify_params vp = {0};
    vp.purpose = CS_X509_PURPOSE_SERVER;
    vp.max_depth = -1;
    vp.now = NOW;
    vp.authority = "gen.example";
    cs_x509_result res;
    cs_der chain[1] = {{ee, el}};
    assert_int_equal(cs_x509_verify_chain(t, chain, 1, &vp, &res), 0);
    cs_x509_trust_free(t);

    /* leaf PEM followed by root PEM -> certificate_list with both DERs */
    size_t l1 = 0, l2 = 0;
    assert_int_equal(cs_x509_der_to_pem(ee, el, both, sizeof(both), &l1), 0);
    assert_int_equal(cs_x509_der_to_pem(root, rl, both + l1, sizeof(both) - l1, &l2), 0);
    uint8_t list[8192];
    size_t ll = 0;
    assert_int_equal(cs_x509_pem_to_tls_list(both, l1 + l2, list, sizeof(list), &ll), 0);
    assert_int_equal(ll, 3 + 3 + el + 3 + rl);
    assert_int_equal((size_t)list[0] << 16 | (size_t)list[1] << 8 | list[2], ll - 3);
    assert_int_equal((size_t)list[3] << 16 | (size_t)list[4] << 8 | list[5], el);
    assert_memory_equal(list + 6, ee, el);
    assert_memory_equal(list + 9 + el, root, rl);
    assert_int_equal(cs_x509_pem_to_tls_list(both, l1 + l2, list, 100, &ll), COAPSEC_ERR_NOBUF);
    assert_int_equal(cs_x509_pem_to_tls_list("nothing", 7, list, sizeof(list), &ll),
                     COAPSEC_ERR_FORMAT);
    assert_int_equal(cs_x509_der_to_pem(root, rl, pem, 20, &pl), COAPSEC_ERR_NOBUF);

    cs_p256_key_free(ca);
    cs_p256_key_free(leaf);
}

static void test_bad_specs(void **state) {
    (void)state;
    cs_p256_key *a = NULL, *b = NULL;
    uint8_t der[2048];
    size_t dl = 0;
    assert_int_equal(cs_p256_key_generate(&a), 0);
    assert_int_equal(cs_p256_key_generate(&b), 0);
    cs_cert_spec s = root_spec();
    /* self-signed by some other key */
    assert_int_equal(cs_cert_issue(&s, a, NULL, 0, b, der, sizeof(der), &dl), COAPSEC_ERR_INVAL);
    s.serial = 0;
    assert_int_equal(cs_cert_issue(&s, a, NULL, 0, a, der, sizeof(der), &dl), COAPSEC_ERR_INVAL);
    s = root_spec();
    s.not_after = s.not_before - 1;
    assert_int_equal(cs_cert_issue(&s, a, NULL, 0, a, der, sizeof(der), &dl), COAPSEC_ERR_INVAL);
    s = root_spec();
    s.san = "BOGUS:x";
    assert_int_equal(cs_cert_issue(&s, a, NULL, 0, a, der, sizeof(der), &dl), COAPSEC_ERR_INVAL);
    s = root_spec();
    assert_int_equal(cs_cert_issue(&s, a, NULL, 0, a, der, 50, &dl), COAPSEC_ERR_NOBUF);
    uint8_t junk[4] = {0x30, 0x02, 0x05, 0x00};
    assert_int_equal(cs_cert_issue(&s, a, junk, sizeof(junk), b, der, sizeof(der), &dl),
                     COAPSEC_ERR_FORMAT);
    cs_p256_key_free(a);
    cs_p256_key_free(b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_issue_and_convert),
        cmocka_unit_test(test_bad_specs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
