/*
 * test_certmsg.c - peer authentication for 0xC0AE (src/dtls/certmsg.c) on the
 * simulated network, every certificate made here with cs_cert_issue: each
 * refusal comes with its alert and a reason naming the problem, on the side
 * that refused - a P-384 intermediate, a leaf with keyAgreement but no
 * digitalSignature, an expired certificate, an untrusted CA, a name that
 * does not match the dialled authority, an unknown raw public key, X.509
 * where a raw key was negotiated (and the reverse), a client certificate
 * from an unknown CA - plus the clock rules (no clock configured, no_clock
 * flag) and the check switches (verify_name off, a trust callback).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dtls/dtls_int.h"
#include "pair.h"
#include "pki.h"

static tpki pki;

static int setup(void **state) {
    (void)state;
    pki_init(&pki);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    pki_free(&pki);
    return 0;
}

/* A server identity with its own key and the given certificate_list. */
typedef struct alt_id {
    cs_p256_key *key;
    uint8_t list[4096];
    coapsec_dtls_identity id;
} alt_id;

static void alt_leaf(alt_id *a, const cs_cert_spec *spec, const uint8_t *issuer, size_t ilen,
                     const cs_p256_key *ikey, const uint8_t *extra, size_t extra_len) {
    uint8_t der[1024];
    size_t dl;
    assert_int_equal(cs_p256_key_generate(&a->key), 0);
    assert_int_equal(cs_cert_issue(spec, a->key, issuer, ilen, ikey, der, sizeof der, &dl), 0);
    a->id.key = (const coapsec_dtls_key *)(void *)a->key;
    a->id.cert_list = a->list;
    a->id.cert_list_len = pki_list(a->list, der, dl, extra, extra_len);
}

static void expect_refused(tnode *refuser, tnode *other, int alert, const char *text) {
    assert_int_equal(refuser->failed, 1);
    assert_int_equal(refuser->established, 0);
    assert_int_equal(refuser->fail_err, COAPSEC_ERR_AUTH);
    assert_int_equal(refuser->fail_alert, alert);
    assert_int_equal(refuser->fail_from_peer, 0);
    if (!strstr(refuser->fail_text, text))
        fail_msg("reason \"%s\" lacks \"%s\"", refuser->fail_text, text);
    assert_int_equal(other->established, 0);
    assert_int_equal(other->failed, 1);
    assert_int_equal(other->fail_from_peer, 1);
    assert_int_equal(other->fail_err, COAPSEC_ERR_AUTH); /* "the peer rejected our ..." */
}

/* Run an X.509 handshake where the server presents `id`. */
static void run_server_id(tpair *p, const coapsec_dtls_identity *id, const char *authority,
                          uint64_t seed) {
    pair_init(p, seed);
    pki_config(&pki, p, PKI_X509);
    p->s.cfg.server_identity = id;
    assert_int_equal(pki_start(p, &pki.cli_id, authority), 0);
    pair_run(p, 20000);
}

/* TS-0008 profile (RFC 8422 §3 / RFC 5480): a P-384 intermediate below the
 * anchor -> unsupported_certificate, "wrong curve". */
static void test_p384_intermediate(void **state) {
    (void)state;
    cs_p256_key *ik;
    assert_int_equal(cs_ec_key_generate(&ik, CS_CURVE_P384), 0);
    uint8_t inter[1024];
    size_t il;
    cs_cert_spec s = pki_ca_spec("P-384 Intermediate", 20);
    s.pathlen = 0;
    assert_int_equal(
        cs_cert_issue(&s, ik, pki.ca, pki.ca_len, pki.ca_key, inter, sizeof inter, &il), 0);
    alt_id a;
    s = pki_leaf_spec("localhost", "DNS:localhost", 21);
    alt_leaf(&a, &s, inter, il, ik, inter, il);
    tpair p;
    run_server_id(&p, &a.id, "localhost", 200);
    expect_refused(&p.c, &p.s, COAPSEC_DTLS_ALERT_UNSUPPORTED_CERTIFICATE, "wrong curve");
    assert_non_null(strstr(p.c.fail_text, "depth 1"));
    pair_free(&p);
    cs_p256_key_free(a.key);
    cs_p256_key_free(ik);
}

/* RFC 5280 §4.2.1.3 + RFC 8422 §3: a leaf with keyAgreement only cannot sign
 * the ServerKeyExchange -> bad_certificate, "leaf lacks digitalSignature". */
static void test_leaf_key_agreement_only(void **state) {
    (void)state;
    alt_id a;
    cs_cert_spec s = pki_leaf_spec("localhost", "DNS:localhost", 22);
    s.key_usage = CS_KU_KEY_AGREEMENT;
    alt_leaf(&a, &s, pki.ca, pki.ca_len, pki.ca_key, NULL, 0);
    tpair p;
    run_server_id(&p, &a.id, "localhost", 201);
    expect_refused(&p.c, &p.s, COAPSEC_DTLS_ALERT_BAD_CERTIFICATE, "leaf lacks digitalSignature");
    pair_free(&p);
    cs_p256_key_free(a.key);
}

/* RFC 5280 §4.1.2.5 / RFC 5246 §7.2.2: past notAfter by the node's wall
 * clock -> certificate_expired; with no_clock the dates are not checked;
 * with neither a clock nor no_clock the chain is refused (fail closed). */
static void test_expired(void **state) {
    (void)state;
    alt_id a;
    cs_cert_spec s = pki_leaf_spec("localhost", "DNS:localhost", 23);
    s.not_before = PKI_NOW - 2 * PKI_YEAR;
    s.not_after = PKI_NOW - PKI_YEAR;
    alt_leaf(&a, &s, pki.ca, pki.ca_len, pki.ca_key, NULL, 0);
    tpair p;
    run_server_id(&p, &a.id, "localhost", 202);
    expect_refused(&p.c, &p.s, COAPSEC_DTLS_ALERT_CERTIFICATE_EXPIRED, "certificate expired");
    pair_free(&p);

    pair_init(&p, 203);
    pki_config(&pki, &p, PKI_X509);
    p.s.cfg.server_identity = &a.id;
    p.c.cfg.wall_clock = NULL;
    p.c.cfg.no_clock = 1;
    assert_int_equal(pki_start(&p, &pki.cli_id, "localhost"), 0);
    pair_run(&p, 20000);
    assert_int_equal(p.c.established, 1);
    assert_int_equal(p.s.established, 1);
    pair_free(&p);

    pair_init(&p, 204);
    pki_config(&pki, &p, PKI_X509);
    p.c.cfg.wall_clock = NULL;
    assert_int_equal(pki_start(&p, &pki.cli_id, "localhost"), 0);
    pair_run(&p, 20000);
    expect_refused(&p.c, &p.s, COAPSEC_DTLS_ALERT_CERTIFICATE_UNKNOWN, "no wall clock");
    pair_free(&p);
    cs_p256_key_free(a.key);
}

/* RFC 5280 §6.1: no path to a trust anchor -> unknown_ca, "untrusted CA";
 * on the server side too, for a client certificate from another CA. */
static void test_untrusted_ca(void **state) {
    (void)state;
    cs_p256_key *rk;
    uint8_t rogue[1024];
    size_t rl;
    assert_int_equal(cs_p256_key_generate(&rk), 0);
    cs_cert_spec s = pki_ca_spec("Rogue CA", 30);
    assert_int_equal(cs_cert_issue(&s, rk, NULL, 0, rk, rogue, sizeof rogue, &rl), 0);
    alt_id a;
    s = pki_leaf_spec("localhost", "DNS:localhost", 31);
    alt_leaf(&a, &s, rogue, rl, rk, NULL, 0);
    tpair p;
    run_server_id(&p, &a.id, "localhost", 205);
    expect_refused(&p.c, &p.s, COAPSEC_DTLS_ALERT_UNKNOWN_CA, "untrusted CA");
    pair_free(&p);

    /* the client presents the rogue certificate: the server refuses */
    pair_init(&p, 206);
    pki_config(&pki, &p, PKI_X509);
    assert_int_equal(pki_start(&p, &a.id, "localhost"), 0);
    pair_run(&p, 20000);
    expect_refused(&p.s, &p.c, COAPSEC_DTLS_ALERT_UNKNOWN_CA, "untrusted CA");
    pair_free(&p);
    cs_p256_key_free(a.key);
    cs_p256_key_free(rk);
}

/* RFC 6125 §6 / RFC 7252 §9.1.3.3: the certificate does not name the
 * authority dialled -> bad_certificate with both names; verify_name = 0
 * skips the check. */
static void test_name_mismatch(void **state) {
    (void)state;
    tpair p;
    run_server_id(&p, &pki.srv_id, "coap.example.org", 207);
    expect_refused(&p.c, &p.s, COAPSEC_DTLS_ALERT_BAD_CERTIFICATE,
                   "name mismatch: dialled coap.example.org, certificate has localhost");
    pair_free(&p);
    run_server_id(&p, &pki.srv_id, "10.1.2.3", 208);
    expect_refused(&p.c, &p.s, COAPSEC_DTLS_ALERT_BAD_CERTIFICATE,
                   "name mismatch: dialled 10.1.2.3");
    pair_free(&p);

    pair_init(&p, 209);
    pki_config(&pki, &p, PKI_X509);
    p.c.cfg.verify_name = 0;
    assert_int_equal(pki_start(&p, &pki.cli_id, "coap.example.org"), 0);
    pair_run(&p, 20000);
    assert_int_equal(p.c.established, 1);
    pair_free(&p);
}

/* RFC 7250 §6: a raw key that is not in the trusted list -> bad_certificate,
 * "unknown raw public key (sha256:<fingerprint>)"; both directions. */
static void test_unknown_rpk(void **state) {
    (void)state;
    static const uint8_t other[1][32] = {{1, 2, 3}};
    char want[128] = "unknown raw public key (sha256:";
    for (int i = 0; i < 32; i++)
        snprintf(want + strlen(want), 3, "%02x", pki.srv_fp[i]);
    tpair p;
    pair_init(&p, 210);
    pki_config(&pki, &p, PKI_RPK);
    p.c.cfg.rpk_trust = other;
    assert_int_equal(pki_start(&p, &pki.cli_id, "localhost"), 0);
    pair_run(&p, 20000);
    expect_refused(&p.c, &p.s, COAPSEC_DTLS_ALERT_BAD_CERTIFICATE, want);
    pair_free(&p);

    pair_init(&p, 211);
    pki_config(&pki, &p, PKI_RPK);
    p.s.cfg.rpk_trust = other;
    assert_int_equal(pki_start(&p, &pki.cli_id, "localhost"), 0);
    pair_run(&p, 20000);
    expect_refused(&p.s, &p.c, COAPSEC_DTLS_ALERT_BAD_CERTIFICATE, "unknown raw public key");
    pair_free(&p);
}

static int trust_cb_calls;
static int trust_cb(void *user, const uint8_t *spki, size_t len, const uint8_t sha256[32]) {
    trust_cb_calls++;
    assert_int_equal(len, 91); /* RFC 7250 §3: the P-256 SPKI */
    uint8_t fp[32];
    cs_spki_fingerprint(spki, len, fp);
    assert_memory_equal(fp, sha256, 32);
    return memcmp(sha256, user, 32) == 0 ? 0 : -1;
}

/* RFC 7250 §6: the application decides through a callback. */
static void test_rpk_callback(void **state) {
    (void)state;
    tpair p;
    pair_init(&p, 212);
    pki_config(&pki, &p, PKI_RPK);
    p.c.cfg.rpk_trust = NULL;
    p.c.cfg.rpk_trust_count = 0;
    p.c.cfg.rpk_verify = trust_cb;
    p.c.cfg.rpk_user = pki.srv_fp;
    trust_cb_calls = 0;
    assert_int_equal(pki_start(&p, &pki.cli_id, "localhost"), 0);
    pair_run(&p, 20000);
    assert_int_equal(p.c.established, 1);
    assert_int_equal(trust_cb_calls, 1);
    pair_free(&p);
}

static const tpki *swap_src;
/* Replace an RPK Certificate body by the server's X.509 certificate_list. */
static size_t rpk_to_x509(void *ctx, const uint8_t *b, size_t n, uint8_t *out) {
    (void)ctx, (void)b, (void)n;
    memcpy(out, swap_src->srv_list, swap_src->srv_list_len);
    return swap_src->srv_list_len;
}
/* Replace an X.509 Certificate body by the server's SPKI (RFC 7250 form). */
static size_t x509_to_rpk(void *ctx, const uint8_t *b, size_t n, uint8_t *out) {
    (void)ctx, (void)b, (void)n;
    cs_put24(out, 91);
    assert_int_equal(
        coapsec_dtls_key_spki((const coapsec_dtls_key *)(void *)swap_src->srv_key, out + 3), 0);
    return 94;
}

static pki_rewrite_fn swap_fn;
static size_t mangle_server_cert(tpair *p, tnode *from, uint8_t *d, size_t len, size_t cap) {
    (void)p;
    if (!from->is_server)
        return len;
    return pki_rewrite(d, len, cap, CS_HT_CERTIFICATE, swap_fn, NULL);
}

/* RFC 7250 §4.2: the negotiated server_certificate_type rules: an RPK-only
 * client refuses an X.509 certificate, an X.509 client refuses a bare SPKI
 * (unsupported_certificate). */
static void test_type_mismatch(void **state) {
    (void)state;
    swap_src = &pki;
    for (int dir = 0; dir < 2; dir++) {
        tpair p;
        pair_init(&p, 213 + (uint64_t)dir);
        pki_config(&pki, &p, dir == 0 ? PKI_RPK : PKI_X509);
        swap_fn = dir == 0 ? rpk_to_x509 : x509_to_rpk;
        p.mangle = mangle_server_cert;
        assert_int_equal(pki_start(&p, &pki.cli_id, "localhost"), 0);
        pair_run(&p, 20000);
        expect_refused(&p.c, &p.s, COAPSEC_DTLS_ALERT_UNSUPPORTED_CERTIFICATE,
                       dir == 0 ? "peer sent X.509 where a raw key was negotiated"
                                : "peer sent a raw key where X.509 was negotiated");
        pair_free(&p);
    }
}

/* RFC 7250 §4.2: an RPK-only server meets an X.509-only client: no common
 * certificate type -> unsupported_certificate. */
static void test_no_common_cert_type(void **state) {
    (void)state;
    tpair p;
    pair_init(&p, 215);
    pki_config(&pki, &p, PKI_X509 | PKI_RPK);
    p.s.cfg.cert_types = COAPSEC_DTLS_CT_RPK;
    p.c.cfg.cert_types = COAPSEC_DTLS_CT_X509;
    assert_int_equal(pki_start(&p, &pki.cli_id, "localhost"), 0);
    pair_run(&p, 20000);
    assert_int_equal(p.s.failed, 1);
    assert_int_equal(p.s.fail_alert, COAPSEC_DTLS_ALERT_UNSUPPORTED_CERTIFICATE);
    assert_int_equal(p.c.established, 0);
    pair_free(&p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_p384_intermediate),
        cmocka_unit_test(test_leaf_key_agreement_only),
        cmocka_unit_test(test_expired),
        cmocka_unit_test(test_untrusted_ca),
        cmocka_unit_test(test_name_mismatch),
        cmocka_unit_test(test_unknown_rpk),
        cmocka_unit_test(test_rpk_callback),
        cmocka_unit_test(test_type_mismatch),
        cmocka_unit_test(test_no_common_cert_type),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
