/*
 * test_x509.c - src/crypto/x509.c: certificate chain verification (RFC
 * 5280 §6 path validation with the oneM2M TS-0008 profile) on chains made
 * in the test with cs_cert_issue: a good chain, then one defect at a time,
 * each with its own reason (expired, not yet valid, untrusted CA, P-384
 * intermediate, SHA-384 signature, no digitalSignature, wrong purpose,
 * depth, name mismatch, malformed input), and the RFC 6125 name check.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "coapsec/common.h"
#include "crypto/crypto.h"

#define NOW ((int64_t)1750000000) /* 2025-06-15 */
#define DAY ((int64_t)86400)

struct cert {
    uint8_t der[2048];
    size_t len;
};

struct fx {
    cs_p256_key *root_k, *inter_k, *leaf_k, *other_k, *p384_k;
    struct cert root, inter, other, inter384;
    cs_x509_trust *trust;
};

static cs_cert_spec ca_spec(const char *cn, uint64_t serial) {
    cs_cert_spec s = {0};
    s.cn = cn;
    s.is_ca = 1;
    s.pathlen = -1;
    s.key_usage = CS_KU_KEY_CERT_SIGN | CS_KU_CRL_SIGN;
    s.not_before = NOW - 365 * DAY;
    s.not_after = NOW + 3650 * DAY;
    s.serial = serial;
    return s;
}

static cs_cert_spec leaf_spec(void) {
    cs_cert_spec s = {0};
    s.cn = "node1";
    s.san = "DNS:node1.example,IP:127.0.0.1,URI:coaps://cse.example:5684/cse-1";
    s.pathlen = -1;
    s.key_usage = CS_KU_DIGITAL_SIGNATURE;
    s.ext_key_usage = CS_EKU_SERVER | CS_EKU_CLIENT;
    s.not_before = NOW - DAY;
    s.not_after = NOW + 365 * DAY;
    s.serial = 1000;
    return s;
}

static void issue(const cs_cert_spec *s, cs_p256_key *subj, const struct cert *issuer,
                  cs_p256_key *issuer_k, struct cert *out) {
    assert_int_equal(cs_cert_issue(s, subj, issuer ? issuer->der : NULL, issuer ? issuer->len : 0,
                                   issuer_k, out->der, sizeof(out->der), &out->len),
                     0);
}

static int setup(void **state) {
    struct fx *f = test_calloc(1, sizeof(*f));
    assert_int_equal(cs_p256_key_generate(&f->root_k), 0);
    assert_int_equal(cs_p256_key_generate(&f->inter_k), 0);
    assert_int_equal(cs_p256_key_generate(&f->leaf_k), 0);
    assert_int_equal(cs_p256_key_generate(&f->other_k), 0);
    assert_int_equal(cs_ec_key_generate(&f->p384_k, CS_CURVE_P384), 0);
    cs_cert_spec s = ca_spec("Test Root CA", 1);
    issue(&s, f->root_k, NULL, f->root_k, &f->root);
    s = ca_spec("Test Other Root", 2);
    issue(&s, f->other_k, NULL, f->other_k, &f->other);
    s = ca_spec("Test Intermediate", 3);
    issue(&s, f->inter_k, &f->root, f->root_k, &f->inter);
    s = ca_spec("Test P-384 Intermediate", 4);
    issue(&s, f->p384_k, &f->root, f->root_k, &f->inter384);
    assert_int_equal(cs_x509_trust_new(&f->trust), 0);
    assert_int_equal(cs_x509_trust_add_der(f->trust, f->root.der, f->root.len), 0);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    struct fx *f = *state;
    cs_p256_key_free(f->root_k);
    cs_p256_key_free(f->inter_k);
    cs_p256_key_free(f->leaf_k);
    cs_p256_key_free(f->other_k);
    cs_p256_key_free(f->p384_k);
    cs_x509_trust_free(f->trust);
    test_free(f);
    return 0;
}

static cs_x509_verify_params params(const char *authority) {
    cs_x509_verify_params vp = {0};
    vp.purpose = CS_X509_PURPOSE_SERVER;
    vp.max_depth = -1;
    vp.now = NOW;
    vp.authority = authority;
    return vp;
}

/* Verifies leaf <- issuer (untrusted intermediate, may be NULL); returns
 * the reason (and checks the return code agrees with it). */
static int verify(struct fx *f, const struct cert *leaf, const struct cert *inter,
                  const cs_x509_verify_params *vp, cs_x509_result *res) {
    cs_der certs[2] = {{leaf->der, leaf->len}, {inter ? inter->der : NULL, inter ? inter->len : 0}};
    int rc = cs_x509_verify_chain(f->trust, certs, inter ? 2 : 1, vp, res);
    assert_int_equal(rc, res->reason == CS_X509_OK ? 0 : COAPSEC_ERR_AUTH);
    assert_non_null(memchr(res->detail, '\0', sizeof(res->detail)));
    return res->reason;
}

/* RFC 5280 §6.1: a good chain verifies and yields the leaf's point; the
 * same through a TLS Certificate message body (RFC 5246 §7.4.2). */
static void test_good_chain(void **state) {
    struct fx *f = *state;
    struct cert leaf;
    cs_cert_spec s = leaf_spec();
    issue(&s, f->leaf_k, &f->inter, f->inter_k, &leaf);
    cs_x509_verify_params vp = params("node1.example");
    cs_x509_result res;
    assert_int_equal(verify(f, &leaf, &f->inter, &vp, &res), CS_X509_OK);
    uint8_t pub[65];
    assert_int_equal(cs_p256_key_public(f->leaf_k, pub), 0);
    assert_memory_equal(res.leaf_pub, pub, 65);
    /* client purpose, IP and URI-host authorities, no name check */
    vp.purpose = CS_X509_PURPOSE_CLIENT;
    vp.authority = "127.0.0.1";
    assert_int_equal(verify(f, &leaf, &f->inter, &vp, &res), CS_X509_OK);
    vp.authority = "CSE.example";
    assert_int_equal(verify(f, &leaf, &f->inter, &vp, &res), CS_X509_OK);
    vp.authority = NULL;
    assert_int_equal(verify(f, &leaf, &f->inter, &vp, &res), CS_X509_OK);

    uint8_t msg[4096];
    size_t off = 3;
    const struct cert *list[2] = {&leaf, &f->inter};
    for (int i = 0; i < 2; i++) {
        msg[off] = (uint8_t)(list[i]->len >> 16);
        msg[off + 1] = (uint8_t)(list[i]->len >> 8);
        msg[off + 2] = (uint8_t)list[i]->len;
        memcpy(msg + off + 3, list[i]->der, list[i]->len);
        off += 3 + list[i]->len;
    }
    msg[0] = (uint8_t)((off - 3) >> 16);
    msg[1] = (uint8_t)((off - 3) >> 8);
    msg[2] = (uint8_t)(off - 3);
    vp = params("node1.example");
    assert_int_equal(cs_x509_verify_tls_list(f->trust, msg, off, &vp, &res), 0);
    assert_memory_equal(res.leaf_pub, pub, 65);
    /* RFC 5246 §7.4.2 lengths: outer too long, inner past the end, empty entry */
    assert_int_equal(cs_x509_verify_tls_list(f->trust, msg, off - 1, &vp, &res), COAPSEC_ERR_AUTH);
    assert_int_equal(res.reason, CS_X509_MALFORMED);
    msg[5] ^= 0x40;
    assert_int_equal(cs_x509_verify_tls_list(f->trust, msg, off, &vp, &res), COAPSEC_ERR_AUTH);
    assert_int_equal(res.reason, CS_X509_MALFORMED);
    uint8_t empty[6] = {0, 0, 3, 0, 0, 0};
    assert_int_equal(cs_x509_verify_tls_list(f->trust, empty, 6, &vp, &res), COAPSEC_ERR_AUTH);
    assert_int_equal(res.reason, CS_X509_MALFORMED);
    uint8_t none[3] = {0, 0, 0};
    assert_int_equal(cs_x509_verify_tls_list(f->trust, none, 3, &vp, &res), COAPSEC_ERR_AUTH);
    assert_int_equal(res.reason, CS_X509_MALFORMED);
}

/* RFC 5280 §4.1.2.5 / §6.1.3 (a)(2): validity periods against the time
 * given; skipped when the node has no clock. */
static void test_validity(void **state) {
    struct fx *f = *state;
    struct cert leaf;
    cs_cert_spec s = leaf_spec();
    issue(&s, f->leaf_k, &f->inter, f->inter_k, &leaf);
    cs_x509_verify_params vp = params("node1.example");
    cs_x509_result res;
    vp.now = s.not_after + 1;
    assert_int_equal(verify(f, &leaf, &f->inter, &vp, &res), CS_X509_EXPIRED);
    assert_int_equal(res.depth, 0);
    vp.now = s.not_before - 1;
    assert_int_equal(verify(f, &leaf, &f->inter, &vp, &res), CS_X509_NOT_YET_VALID);
    vp.no_clock = 1;
    assert_int_equal(verify(f, &leaf, &f->inter, &vp, &res), CS_X509_OK);
    vp.now = s.not_after + 1;
    assert_int_equal(verify(f, &leaf, &f->inter, &vp, &res), CS_X509_OK);
}

/* RFC 5280 §6.1: no path to a trust anchor (an unknown root, or the
 * intermediate missing). */
static void test_untrusted(void **state) {
    struct fx *f = *state;
    struct cert leaf, inter2;
    cs_cert_spec s = ca_spec("Rogue Intermediate", 9);
    issue(&s, f->inter_k, &f->other, f->other_k, &inter2);
    s = leaf_spec();
    issue(&s, f->leaf_k, &inter2, f->inter_k, &leaf);
    cs_x509_verify_params vp = params("node1.example");
    cs_x509_result res;
    assert_int_equal(verify(f, &leaf, &inter2, &vp, &res), CS_X509_UNTRUSTED_CA);
    issue(&s, f->leaf_k, &f->inter, f->inter_k, &leaf);
    assert_int_equal(verify(f, &leaf, NULL, &vp, &res), CS_X509_UNTRUSTED_CA);
    /* a self-signed leaf that is not an anchor */
    assert_int_equal(verify(f, &f->other, NULL, &vp, &res), CS_X509_UNTRUSTED_CA);
}

/* TS-0008 profile: keys on P-256 only, signatures ecdsa-with-SHA256 only,
 * anywhere below the anchor. */
static void test_profile_curve_and_sigalg(void **state) {
    struct fx *f = *state;
    struct cert leaf;
    cs_cert_spec s = leaf_spec();
    issue(&s, f->leaf_k, &f->inter384, f->p384_k, &leaf);
    cs_x509_verify_params vp = params("node1.example");
    cs_x509_result res;
    assert_int_equal(verify(f, &leaf, &f->inter384, &vp, &res), CS_X509_WRONG_CURVE);
    assert_int_equal(res.depth, 1);
    s.sign_sha384 = 1;
    issue(&s, f->leaf_k, &f->inter, f->inter_k, &leaf);
    assert_int_equal(verify(f, &leaf, &f->inter, &vp, &res), CS_X509_WRONG_SIG_ALG);
    assert_int_equal(res.depth, 0);
}

/* RFC 5280 §4.2.1.3 / TS-0008: the leaf signs the handshake, so a keyUsage
 * without digitalSignature is refused; no keyUsage at all is accepted. */
static void test_key_usage(void **state) {
    struct fx *f = *state;
    struct cert leaf;
    cs_cert_spec s = leaf_spec();
    s.key_usage = CS_KU_KEY_AGREEMENT;
    issue(&s, f->leaf_k, &f->inter, f->inter_k, &leaf);
    cs_x509_verify_params vp = params("node1.example");
    cs_x509_result res;
    assert_int_equal(verify(f, &leaf, &f->inter, &vp, &res), CS_X509_NO_DIGITAL_SIGNATURE);
    s.key_usage = 0;
    issue(&s, f->leaf_k, &f->inter, f->inter_k, &leaf);
    assert_int_equal(verify(f, &leaf, &f->inter, &vp, &res), CS_X509_OK);
}

/* RFC 5280 §4.2.1.12: extendedKeyUsage must allow the role. */
static void test_purpose(void **state) {
    struct fx *f = *state;
    struct cert leaf;
    cs_cert_spec s = leaf_spec();
    s.ext_key_usage = CS_EKU_CLIENT;
    issue(&s, f->leaf_k, &f->inter, f->inter_k, &leaf);
    cs_x509_verify_params vp = params("node1.example");
    cs_x509_result res;
    assert_int_equal(verify(f, &leaf, &f->inter, &vp, &res), CS_X509_WRONG_PURPOSE);
    vp.purpose = CS_X509_PURPOSE_CLIENT;
    assert_int_equal(verify(f, &leaf, &f->inter, &vp, &res), CS_X509_OK);
}

/* RFC 5280 §6.1.4 (l)/(m) and the depth limit; an end-entity
 * certificate cannot issue (§4.2.1.9). */
static void test_depth_and_ca(void **state) {
    struct fx *f = *state;
    struct cert leaf, leaf2;
    cs_cert_spec s = leaf_spec();
    issue(&s, f->leaf_k, &f->inter, f->inter_k, &leaf);
    cs_x509_verify_params vp = params("node1.example");
    cs_x509_result res;
    vp.max_depth = 0;
    assert_int_equal(verify(f, &leaf, &f->inter, &vp, &res), CS_X509_CHAIN_TOO_LONG);
    vp.max_depth = 1;
    assert_int_equal(verify(f, &leaf, &f->inter, &vp, &res), CS_X509_OK);
    /* leaf signed by a leaf: the "issuer" is no CA */
    struct cert eeleaf;
    s = leaf_spec();
    s.key_usage = CS_KU_DIGITAL_SIGNATURE;
    issue(&s, f->inter_k, &f->root, f->root_k, &eeleaf);
    s.serial = 1001;
    issue(&s, f->leaf_k, &eeleaf, f->inter_k, &leaf2);
    vp = params(NULL);
    int r = verify(f, &leaf2, &eeleaf, &vp, &res);
    assert_true(r == CS_X509_NOT_CA || r == CS_X509_NOT_STRICT);
}

/* RFC 6125 §6.4: exact DNS-ID / IP-ID / URI-ID, no wildcards; CN only when
 * there is no subjectAltName. */
static void test_names(void **state) {
    struct fx *f = *state;
    struct cert leaf;
    cs_cert_spec s = leaf_spec();
    issue(&s, f->leaf_k, &f->inter, f->inter_k, &leaf);
    cs_x509_verify_params vp = params("other.example");
    cs_x509_result res;
    assert_int_equal(verify(f, &leaf, &f->inter, &vp, &res), CS_X509_NAME_MISMATCH);
    assert_int_equal(cs_x509_check_name(leaf.der, leaf.len, "node1.example"), 0);
    assert_int_equal(cs_x509_check_name(leaf.der, leaf.len, "NODE1.EXAMPLE"), 0);
    assert_int_equal(cs_x509_check_name(leaf.der, leaf.len, "127.0.0.1"), 0);
    assert_int_equal(cs_x509_check_name(leaf.der, leaf.len, "cse.example"), 0);
    assert_int_equal(cs_x509_check_name(leaf.der, leaf.len, "127.0.0.2"), COAPSEC_ERR_AUTH);
    assert_int_equal(cs_x509_check_name(leaf.der, leaf.len, "node1"), COAPSEC_ERR_AUTH); /* CN */
    assert_int_equal(cs_x509_check_name(leaf.der, leaf.len, "node1.example."), COAPSEC_ERR_AUTH);
    assert_int_equal(cs_x509_check_name(leaf.der, leaf.len, "cse.example:5684"), COAPSEC_ERR_AUTH);
    assert_int_equal(cs_x509_check_name(leaf.der, leaf.len, "[::1]"), COAPSEC_ERR_AUTH);
    assert_int_equal(cs_x509_check_name(leaf.der, leaf.len, ""), COAPSEC_ERR_AUTH);
    /* wildcard SAN does not match */
    s.san = "DNS:*.example";
    issue(&s, f->leaf_k, &f->inter, f->inter_k, &leaf);
    assert_int_equal(cs_x509_check_name(leaf.der, leaf.len, "a.example"), COAPSEC_ERR_AUTH);
    /* no SAN: the CN */
    s.san = NULL;
    s.cn = "cn.example";
    issue(&s, f->leaf_k, &f->inter, f->inter_k, &leaf);
    assert_int_equal(cs_x509_check_name(leaf.der, leaf.len, "cn.example"), 0);
    assert_int_equal(cs_x509_check_name(leaf.der, leaf.len, "x.cn.example"), COAPSEC_ERR_AUTH);
    /* IPv6 in brackets */
    s.san = "IP:::1";
    issue(&s, f->leaf_k, &f->inter, f->inter_k, &leaf);
    assert_int_equal(cs_x509_check_name(leaf.der, leaf.len, "[::1]"), 0);
    assert_int_equal(cs_x509_check_name(leaf.der, leaf.len, "::1"), 0);
    assert_int_equal(cs_x509_check_name(leaf.der, leaf.len, "::2"), COAPSEC_ERR_AUTH);
}

/* Malformed DER anywhere in the chain, trailing bytes, empty chain. */
static void test_malformed(void **state) {
    struct fx *f = *state;
    struct cert leaf;
    cs_cert_spec s = leaf_spec();
    issue(&s, f->leaf_k, &f->inter, f->inter_k, &leaf);
    cs_x509_verify_params vp = params(NULL);
    cs_x509_result res;
    struct cert bad = leaf;
    bad.len -= 1;
    assert_int_equal(verify(f, &bad, &f->inter, &vp, &res), CS_X509_MALFORMED);
    bad = f->inter;
    bad.der[bad.len++] = 0;
    assert_int_equal(verify(f, &leaf, &bad, &vp, &res), CS_X509_MALFORMED);
    assert_int_equal(res.depth, 1);
    assert_int_equal(cs_x509_verify_chain(f->trust, NULL, 0, &vp, &res), COAPSEC_ERR_AUTH);
    assert_int_equal(res.reason, CS_X509_MALFORMED);
    /* a flipped bit in the signed part breaks the signature (or the DER) */
    bad = leaf;
    uint8_t *hit = NULL;
    for (size_t i = 0; i + 5 <= bad.len && hit == NULL; i++)
        if (memcmp(bad.der + i, "node1", 5) == 0)
            hit = bad.der + i;
    assert_non_null(hit);
    hit[0] = 'm'; /* the subject CN inside the signed part */
    assert_int_equal(verify(f, &bad, &f->inter, &vp, &res), CS_X509_BAD_SIGNATURE);
    assert_int_equal(res.depth, 0);
    assert_int_equal(cs_x509_check_name(bad.der, 3, "x"), COAPSEC_ERR_FORMAT);
}

/* Every reason has its own text. */
static void test_reason_strings(void **state) {
    (void)state;
    for (int a = CS_X509_OK; a <= CS_X509_OTHER; a++)
        for (int b = a + 1; b <= CS_X509_OTHER; b++)
            assert_string_not_equal(cs_x509_reason_str(a), cs_x509_reason_str(b));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_chain),   cmocka_unit_test(test_validity),
        cmocka_unit_test(test_untrusted),    cmocka_unit_test(test_profile_curve_and_sigalg),
        cmocka_unit_test(test_key_usage),    cmocka_unit_test(test_purpose),
        cmocka_unit_test(test_depth_and_ca), cmocka_unit_test(test_names),
        cmocka_unit_test(test_malformed),    cmocka_unit_test(test_reason_strings),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
