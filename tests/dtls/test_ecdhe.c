/*
 * test_ecdhe.c - TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 (0xC0AE) end to end on the
 * simulated network (src/dtls/ecdhe.c with certmsg.c, client.c, server.c):
 * full mutual handshakes with raw public keys (RFC 7250) and X.509
 * certificates (RFC 5246 §7.4, RFC 8422 §5), data both ways, a 256-byte MTU
 * (fragmented Certificate flight, RFC 6347 §4.2.3), loss for many seeds
 * (§4.2.4), a server serving PSK, RPK and certificate clients at once,
 * optional client authentication, the server's choice of its own
 * certificate type (RFC 7250 §4.2), and the key-exchange refusals: tampered
 * ServerKeyExchange signature, secp384r1-only supported_groups, off-curve
 * and infinity points in ClientKeyExchange / ServerKeyExchange; and peers
 * that leave out Certificate, ServerKeyExchange or CertificateVerify and
 * renumber the rest (RFC 5246 §7.3).
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

static void send_app(tnode *from, const char *msg) {
    assert_int_equal(coapsec_dtls_conn_send(&from->conn, (const uint8_t *)msg, strlen(msg),
                                            from->pair->net->now),
                     0);
}

static void expect_app(tnode *n, const char *msg) {
    assert_int_equal(n->app_len, strlen(msg));
    assert_memory_equal(n->app, msg, strlen(msg));
}

static void data_both_ways(tpair *p) {
    send_app(&p->c, "GET /temp");
    pair_run(p, p->net->now + 5000);
    expect_app(&p->s, "GET /temp");
    send_app(&p->s, "2.05 21C");
    pair_run(p, p->net->now + 5000);
    expect_app(&p->c, "2.05 21C");
}

/* RFC 7250 §3-4 + RFC 8422 §5: mutual RPK handshake; each side sees the
 * other's SPKI fingerprint; 0xC0AE; data both ways. */
static void test_rpk_mutual(void **state) {
    (void)state;
    tpair p;
    pair_init(&p, 101);
    pki_config(&pki, &p, PKI_RPK);
    assert_int_equal(pki_start(&p, &pki.cli_id, "localhost"), 0);
    pair_run(&p, 20000);
    assert_int_equal(p.c.established, 1);
    assert_int_equal(p.s.established, 1);
    assert_int_equal(p.c.suite, COAPSEC_DTLS_ECDHE_ECDSA_AES_128_CCM_8);
    assert_int_equal(p.s.suite, 0xC0AE);
    assert_int_equal(p.c.peer_auth, COAPSEC_DTLS_AUTH_RPK);
    assert_int_equal(p.s.peer_auth, COAPSEC_DTLS_AUTH_RPK);
    assert_memory_equal(p.c.peer_fp, pki.srv_fp, 32);
    assert_memory_equal(p.s.peer_fp, pki.cli_fp, 32);
    assert_string_equal(p.s.peer_name, ""); /* a raw key has no name */
    data_both_ways(&p);
    assert_true(sizeof(coapsec_dtls_conn) <= 200);
    pair_free(&p);
}

/* RFC 5246 §7.4.2, §7.4.4, §7.4.8: mutual X.509 handshake with a chain
 * validated on both sides; identities: SAN on the client, CN on the server. */
static void test_x509_mutual(void **state) {
    (void)state;
    tpair p;
    pair_init(&p, 102);
    pki_config(&pki, &p, PKI_X509);
    assert_int_equal(pki_start(&p, &pki.cli_id, "localhost"), 0);
    pair_run(&p, 20000);
    assert_int_equal(p.c.established, 1);
    assert_int_equal(p.s.established, 1);
    assert_int_equal(p.c.suite, 0xC0AE);
    assert_int_equal(p.c.peer_auth, COAPSEC_DTLS_AUTH_X509);
    assert_int_equal(p.s.peer_auth, COAPSEC_DTLS_AUTH_X509);
    assert_string_equal(p.c.peer_name, "localhost");
    assert_string_equal(p.s.peer_name, "coapsec-client");
    assert_memory_equal(p.s.peer_fp, pki.cli_fp, 32);
    assert_int_equal(p.c.ems, 1);
    data_both_ways(&p);
    pair_free(&p);
}

/* RFC 6066 §3 / RFC 7250: both types configured, IP-literal authority (no
 * SNI sent), the server's certificate checked against IP:127.0.0.1. */
static void test_x509_and_rpk_ip_authority(void **state) {
    (void)state;
    tpair p;
    pair_init(&p, 103);
    pki_config(&pki, &p, PKI_X509 | PKI_RPK);
    assert_int_equal(pki_start(&p, &pki.cli_id, "127.0.0.1"), 0);
    pair_run(&p, 20000);
    assert_int_equal(p.c.established, 1);
    assert_int_equal(p.s.established, 1);
    assert_int_equal(p.c.peer_auth, COAPSEC_DTLS_AUTH_X509); /* our list prefers X.509 */
    data_both_ways(&p);
    pair_free(&p);
}

/* RFC 6347 §4.2.3: at MTU 256 the Certificate flight is fragmented; no
 * datagram exceeds the MTU and both sides finish. */
static void test_mtu256(void **state) {
    (void)state;
    for (int mode = PKI_X509; mode <= PKI_RPK; mode++) {
        tpair p;
        pair_init(&p, 110 + (uint64_t)mode);
        pki_config(&pki, &p, mode);
        p.c.cfg.mtu = p.s.cfg.mtu = 256;
        assert_int_equal(pki_start(&p, &pki.cli_id, "localhost"), 0);
        pair_run(&p, 20000);
        assert_int_equal(p.c.established, 1);
        assert_int_equal(p.s.established, 1);
        assert_true(p.c.max_dgram <= 256);
        assert_true(p.s.max_dgram <= 256);
        /* the server's flight 4 (~1 KB with a certificate) takes several */
        print_message("mode %d: server sent %ld datagrams, client %ld\n", mode, p.s.sent, p.c.sent);
        assert_true(p.s.sent >= (mode == PKI_X509 ? 5 : 3));
        data_both_ways(&p);
        pair_free(&p);
    }
}

/* RFC 6347 §4.2.4: 25% loss, duplication and reordering both ways, many
 * seeds, both modes, MTU 256 and 1280: every handshake completes. */
static void test_loss_many_seeds(void **state) {
    (void)state;
    int done = 0;
    for (uint64_t seed = 1; seed <= 24; seed++) {
        tpair p;
        pair_init(&p, 1000 + seed);
        pki_config(&pki, &p, (seed & 1) ? PKI_X509 : PKI_RPK);
        p.c.cfg.max_retransmits = p.s.cfg.max_retransmits = 12;
        p.c.cfg.retrans_max_ms = p.s.cfg.retrans_max_ms = 8000;
        if (seed % 3 == 0)
            p.c.cfg.mtu = p.s.cfg.mtu = 256;
        simnet_link l = {0.25, 0.05, 10, 30, 0};
        simnet_set_link(p.net, -1, -1, &l);
        assert_int_equal(pki_start(&p, &pki.cli_id, "localhost"), 0);
        pair_run(&p, 600000);
        if (p.c.established == 1 && p.s.established == 1)
            done++;
        else
            print_message("seed %u: client %d/%d server %d/%d (%s | %s)\n", (unsigned)seed,
                          p.c.established, p.c.failed, p.s.established, p.s.failed, p.c.fail_text,
                          p.s.fail_text);
        assert_int_equal(p.c.failed + p.s.failed, 0);
        pair_free(&p);
    }
    assert_int_equal(done, 24);
}

static int psk_lookup_any(void *user, const uint8_t *id, size_t idlen, uint8_t *key,
                          size_t *keylen) {
    return pair_lookup(user, id, idlen, key, keylen);
}

/* RFC 5246 §7.4.1.2: a server with PSK and ECDSA credentials serves a PSK
 * client, an RPK client and a certificate client; each client offers only
 * what its credentials allow. */
static void test_server_serves_all(void **state) {
    (void)state;
    for (int kind = 0; kind < 3; kind++) {
        tpair p;
        pair_init(&p, 120 + (uint64_t)kind);
        pki_config(&pki, &p, PKI_X509 | PKI_RPK);
        p.s.cfg.cert_types = 0;
        p.s.cfg.psk_lookup = psk_lookup_any;
        if (kind == 0) { /* PSK client: the config of pair.h, no trust */
            p.c.cfg.trust = NULL;
            p.c.cfg.rpk_trust = NULL;
            p.c.cfg.rpk_trust_count = 0;
            assert_int_equal(pair_start(&p), 0);
        } else {
            p.c.cfg.cert_types = kind == 1 ? COAPSEC_DTLS_CT_RPK : COAPSEC_DTLS_CT_X509;
            assert_int_equal(pki_start(&p, &pki.cli_id, "localhost"), 0);
        }
        pair_run(&p, 20000);
        assert_int_equal(p.c.established, 1);
        assert_int_equal(p.s.established, 1);
        unsigned want = kind == 0 ? 0xC0A8 : 0xC0AE;
        int auth = kind == 0   ? COAPSEC_DTLS_AUTH_PSK
                   : kind == 1 ? COAPSEC_DTLS_AUTH_RPK
                               : COAPSEC_DTLS_AUTH_X509;
        assert_int_equal(p.s.suite, want);
        assert_int_equal(p.s.peer_auth, auth);
        assert_int_equal(p.c.peer_auth, auth);
        data_both_ways(&p);
        pair_free(&p);
    }
}

/* RFC 5246 §7.4.6: a client without a key answers the CertificateRequest
 * with an empty list; accepted when the server does not require client
 * authentication (peer_auth NONE), refused with handshake_failure when it does. */
static void test_client_without_key(void **state) {
    (void)state;
    for (int required = 0; required < 2; required++) {
        tpair p;
        pair_init(&p, 130 + (uint64_t)required);
        pki_config(&pki, &p, PKI_X509);
        p.s.cfg.require_client_auth = (uint8_t)required;
        assert_int_equal(pki_start(&p, NULL, "localhost"), 0);
        pair_run(&p, 20000);
        if (!required) {
            assert_int_equal(p.s.established, 1);
            assert_int_equal(p.c.established, 1);
            assert_int_equal(p.s.peer_auth, COAPSEC_DTLS_AUTH_NONE);
            data_both_ways(&p);
        } else {
            assert_int_equal(p.s.established, 0);
            assert_int_equal(p.s.failed, 1);
            assert_int_equal(p.s.fail_alert, COAPSEC_DTLS_ALERT_HANDSHAKE_FAILURE);
            assert_non_null(strstr(p.s.fail_text, "client sent no certificate"));
            assert_int_equal(p.c.failed, 1);
            assert_int_equal(p.c.fail_from_peer, 1);
        }
        pair_free(&p);
    }
}

/* --- the server's own certificate type (RFC 7250 §4.2) ------------------ */

typedef struct ct_seen {
    uint8_t sh_sct;    /* server_certificate_type in ServerHello, wire value; 0xff: none */
    int sh_count;      /* ServerHellos seen */
    size_t cert_len;   /* body length of the server's Certificate */
    uint8_t cert[128]; /* its first bytes */
} ct_seen;

static size_t see_server_hello(void *ctx, const uint8_t *b, size_t n, uint8_t *out) {
    ct_seen *s = ctx;
    memcpy(out, b, n);
    s->sh_count++;
    /* version(2) random(32) session_id<0..32> suite(2) compression(1) exts */
    size_t o = 34;
    if (n < o + 1 || n < o + 1 + b[o] + 3)
        return n;
    o += 1 + b[o] + 3;
    cs_exts e;
    memset(&e, 0, sizeof e);
    if (n >= o + 2 && cs_ext_parse(b + o + 2, n - o - 2, true, &e) == 0 && e.has_sct)
        s->sh_sct = e.sct == COAPSEC_DTLS_CT_RPK ? CS_WIRE_CT_RPK : CS_WIRE_CT_X509;
    return n;
}

static size_t see_certificate(void *ctx, const uint8_t *b, size_t n, uint8_t *out) {
    ct_seen *s = ctx;
    memcpy(out, b, n);
    s->cert_len = n;
    memcpy(s->cert, b, n < sizeof s->cert ? n : sizeof s->cert);
    return n;
}

static size_t observe_server(tpair *p, tnode *from, uint8_t *d, size_t len, size_t cap) {
    if (!from->is_server)
        return len;
    len = pki_rewrite(d, len, cap, CS_HT_SERVER_HELLO, see_server_hello, p->mangle_user);
    return pki_rewrite(d, len, cap, CS_HT_CERTIFICATE, see_certificate, p->mangle_user);
}

/* RFC 7250 §4.2: "the server MUST select a certificate type from the list"
 * - any type it supports; the preference is the server's (dtls.h,
 * prefer_rpk). A server holding a chain AND its raw key, every client
 * trusting both (server_certificate_type: X.509, RawPublicKey):
 *   0: client authenticates with a raw key only (client_certificate_type:
 *      RawPublicKey, as libcoap -M sends) -> RawPublicKey;
 *   1: client with a certificate (X.509, RawPublicKey) -> the client's
 *      first, X.509;
 *   2: same client, server prefer_rpk -> RawPublicKey;
 *   3: prefer_rpk, but the client trusts only X.509 (no
 *      server_certificate_type extension, §4.1) -> X.509.
 * Checked on the wire (ServerHello server_certificate_type, a Certificate
 * holding one bare 91-byte SPKI, §3) and by what the client authenticated. */
static void test_server_cert_type_choice(void **state) {
    (void)state;
    static const struct {
        int cli_has_cert, prefer_rpk, cli_trusts_rpk;
        uint8_t want; /* wire value in ServerHello; 0xff: no extension */
    } cases[] = {
        {0, 0, 1, CS_WIRE_CT_RPK},
        {1, 0, 1, CS_WIRE_CT_X509},
        {1, 1, 1, CS_WIRE_CT_RPK},
        {1, 1, 0, 0xff},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tpair p;
        ct_seen seen;
        memset(&seen, 0, sizeof seen);
        seen.sh_sct = 0xff;
        pair_init(&p, 150 + i);
        pki_config(&pki, &p, PKI_X509 | PKI_RPK);
        p.s.cfg.prefer_rpk = (uint8_t)cases[i].prefer_rpk;
        if (!cases[i].cli_trusts_rpk) {
            p.c.cfg.rpk_trust = NULL;
            p.c.cfg.rpk_trust_count = 0;
        }
        p.mangle = observe_server;
        p.mangle_user = &seen;
        coapsec_dtls_identity key_only = {pki.cli_id.key, NULL, 0};
        assert_int_equal(
            pki_start(&p, cases[i].cli_has_cert ? &pki.cli_id : &key_only, "localhost"), 0);
        pair_run(&p, 20000);
        print_message("case %zu: ServerHello server_certificate_type %u, Certificate %zu bytes\n",
                      i, seen.sh_sct, seen.cert_len);
        assert_int_equal(p.c.established, 1);
        assert_int_equal(p.s.established, 1);
        assert_int_equal(p.s.suite, 0xC0AE);
        assert_int_equal(seen.sh_count, 1);
        assert_int_equal(seen.sh_sct, cases[i].want);
        bool rpk = cases[i].want == CS_WIRE_CT_RPK;
        assert_int_equal(p.c.peer_auth, rpk ? COAPSEC_DTLS_AUTH_RPK : COAPSEC_DTLS_AUTH_X509);
        assert_memory_equal(p.c.peer_fp, pki.srv_fp, 32);
        if (rpk) { /* §3: ASN.1_subjectPublicKeyInfo<1..2^24-1>, no chain */
            uint8_t fp[32];
            assert_int_equal(seen.cert_len, 3 + 91);
            assert_int_equal(cs_get24(seen.cert), 91);
            coapsec_dtls_spki_fingerprint(seen.cert + 3, 91, fp);
            assert_memory_equal(fp, pki.srv_fp, 32);
        } else { /* RFC 5246 §7.4.2: certificate_list with our leaf */
            assert_int_equal(seen.cert_len, pki.srv_list_len);
            assert_memory_equal(seen.cert, pki.srv_list, 3 + 3 + 64);
        }
        /* the client's own type is untouched by the rule */
        assert_int_equal(p.s.peer_auth,
                         cases[i].cli_has_cert ? COAPSEC_DTLS_AUTH_X509 : COAPSEC_DTLS_AUTH_RPK);
        data_both_ways(&p);
        pair_free(&p);
    }
}

/* --- refusals in the key exchange -------------------------------------- */

typedef struct mangle_ctx {
    uint8_t type;    /* handshake message to rewrite */
    int from_server; /* which node's datagrams */
    pki_rewrite_fn fn;
} mangle_ctx;

static size_t mangle(tpair *p, tnode *from, uint8_t *d, size_t len, size_t cap) {
    mangle_ctx *m = p->mangle_user;
    if (from->is_server != (m->from_server != 0))
        return len;
    return pki_rewrite(d, len, cap, m->type, m->fn, m);
}

static void run_mangled(tpair *p, mangle_ctx *m, uint64_t seed) {
    pair_init(p, seed);
    pki_config(&pki, p, PKI_X509);
    p->mangle = mangle;
    p->mangle_user = m;
    assert_int_equal(pki_start(p, &pki.cli_id, "localhost"), 0);
    pair_run(p, 20000);
}

static void expect_refused(tnode *refuser, tnode *other, int alert, const char *text) {
    assert_int_equal(refuser->failed, 1);
    assert_int_equal(refuser->established, 0);
    assert_int_equal(refuser->fail_alert, alert);
    assert_int_equal(refuser->fail_from_peer, 0);
    if (!strstr(refuser->fail_text, text))
        fail_msg("reason \"%s\" lacks \"%s\"", refuser->fail_text, text);
    assert_int_equal(other->established, 0);
    assert_int_equal(other->failed, 1); /* the alert reached it */
    assert_int_equal(other->fail_alert, alert);
    assert_int_equal(other->fail_from_peer, 1);
}

/* Flip a byte at the end of the DER signature (after the 69-byte params). */
static size_t tamper_ske_sig(void *ctx, const uint8_t *b, size_t n, uint8_t *out) {
    (void)ctx;
    memcpy(out, b, n);
    out[n - 2] ^= 0x01;
    return n;
}

/* RFC 8422 §5.4 / RFC 5246 §7.4.3: the signature over client_random ||
 * server_random || params does not verify -> decrypt_error. */
static void test_tampered_ske_signature(void **state) {
    (void)state;
    tpair p;
    mangle_ctx m = {CS_HT_SERVER_KEY_EXCHANGE, 1, tamper_ske_sig};
    run_mangled(&p, &m, 140);
    expect_refused(&p.c, &p.s, COAPSEC_DTLS_ALERT_DECRYPT_ERROR,
                   "tampered ServerKeyExchange signature");
    assert_int_equal(p.c.fail_err, COAPSEC_ERR_AUTH);
    pair_free(&p);
}

/* Change secp256r1 (23) to secp384r1 (24) in supported_groups. */
static size_t groups_p384(void *ctx, const uint8_t *b, size_t n, uint8_t *out) {
    (void)ctx;
    memcpy(out, b, n);
    for (size_t i = 0; i + 8 <= n; i++)
        if (!memcmp(out + i, "\x00\x0a\x00\x04\x00\x02\x00\x17", 8))
            out[i + 7] = CS_GROUP_SECP384R1;
    return n;
}

/* RFC 8422 §5.1.1 / §4: a client offering only secp384r1 gets handshake_failure
 * (no suite of ours can be negotiated) with "wrong curve". */
static void test_wrong_curve_offered(void **state) {
    (void)state;
    tpair p;
    mangle_ctx m = {CS_HT_CLIENT_HELLO, 0, groups_p384};
    run_mangled(&p, &m, 141);
    expect_refused(&p.s, &p.c, COAPSEC_DTLS_ALERT_HANDSHAKE_FAILURE, "wrong curve");
    pair_free(&p);
}

/* Drop ecdsa_secp256r1_sha256 from signature_algorithms (0x0403 -> 0x0503). */
static size_t sigalg_p384(void *ctx, const uint8_t *b, size_t n, uint8_t *out) {
    (void)ctx;
    memcpy(out, b, n);
    for (size_t i = 0; i + 8 <= n; i++)
        if (!memcmp(out + i, "\x00\x0d\x00\x04\x00\x02\x04\x03", 8))
            out[i + 6] = 0x05;
    return n;
}

/* RFC 5246 §7.4.1.4.1: no signature scheme of ours -> handshake_failure. */
static void test_wrong_sigalg_offered(void **state) {
    (void)state;
    tpair p;
    mangle_ctx m = {CS_HT_CLIENT_HELLO, 0, sigalg_p384};
    run_mangled(&p, &m, 142);
    expect_refused(&p.s, &p.c, COAPSEC_DTLS_ALERT_HANDSHAKE_FAILURE, "wrong signature algorithm");
    pair_free(&p);
}

static int bad_point_kind;

/* ClientKeyExchange body: 1-byte length || point. */
static size_t bad_cke_point(void *ctx, const uint8_t *b, size_t n, uint8_t *out) {
    (void)ctx;
    if (bad_point_kind == 0) { /* off the curve: Y changed */
        memcpy(out, b, n);
        out[n - 1] ^= 0x01;
        return n;
    }
    if (bad_point_kind == 1) { /* the point at infinity: the single byte 0x00 */
        out[0] = 1;
        out[1] = 0;
        return 2;
    }
    out[0] = 33; /* compressed form */
    out[1] = 0x02 | (b[n - 1] & 1);
    memcpy(out + 2, b + 2, 32);
    return 34;
}

/* RFC 8422 §5.10 / SEC 1 §3.2.2: an off-curve, infinity or compressed
 * point in ClientKeyExchange -> illegal_parameter, no session. */
static void test_bad_point_cke(void **state) {
    (void)state;
    for (bad_point_kind = 0; bad_point_kind < 3; bad_point_kind++) {
        tpair p;
        mangle_ctx m = {CS_HT_CLIENT_KEY_EXCHANGE, 0, bad_cke_point};
        run_mangled(&p, &m, 143 + (uint64_t)bad_point_kind);
        expect_refused(&p.s, &p.c, COAPSEC_DTLS_ALERT_ILLEGAL_PARAMETER,
                       "invalid ECDH point in ClientKeyExchange");
        pair_free(&p);
    }
}

/* ServerKeyExchange: curve_type(1) group(2) len(1) point(65) sig... */
static size_t bad_ske_point(void *ctx, const uint8_t *b, size_t n, uint8_t *out) {
    (void)ctx;
    if (bad_point_kind == 0) {
        memcpy(out, b, n);
        out[4 + 64] ^= 0x01; /* last byte of Y */
        return n;
    }
    memcpy(out, b, 3); /* infinity: length 1, byte 0 */
    out[3] = 1;
    out[4] = 0;
    memcpy(out + 5, b + 69, n - 69);
    return 5 + n - 69;
}

/* RFC 8422 §5.10: the server's ephemeral point is checked (before the
 * signature): off-curve or infinity -> illegal_parameter. */
static void test_bad_point_ske(void **state) {
    (void)state;
    for (bad_point_kind = 0; bad_point_kind < 2; bad_point_kind++) {
        tpair p;
        mangle_ctx m = {CS_HT_SERVER_KEY_EXCHANGE, 1, bad_ske_point};
        run_mangled(&p, &m, 150 + (uint64_t)bad_point_kind);
        expect_refused(&p.c, &p.s, COAPSEC_DTLS_ALERT_ILLEGAL_PARAMETER,
                       "invalid ECDH point in ServerKeyExchange");
        pair_free(&p);
    }
}

/* Tamper with the client's CertificateVerify signature. */
static size_t tamper_cv(void *ctx, const uint8_t *b, size_t n, uint8_t *out) {
    (void)ctx;
    memcpy(out, b, n);
    out[n - 3] ^= 0x40;
    return n;
}

/* RFC 5246 §7.4.8: a CertificateVerify that does not verify -> decrypt_error. */
static void test_bad_certificate_verify(void **state) {
    (void)state;
    tpair p;
    mangle_ctx m = {CS_HT_CERTIFICATE_VERIFY, 0, tamper_cv};
    run_mangled(&p, &m, 160);
    expect_refused(&p.s, &p.c, COAPSEC_DTLS_ALERT_DECRYPT_ERROR, "CertificateVerify");
    pair_free(&p);
}

/* --- skipped messages (RFC 5246 §7.3, §7.4) ------------------------------- */

/* A peer that leaves a message out and numbers the rest as if it had never
 * existed: every epoch-0 handshake message of type `type` from that side is
 * dropped (pki_rewrite_ex with renumbering). Encrypted records pass as they
 * are. */
typedef struct skip_ctx {
    uint8_t type;
    int from_server;
    int skipped; /* pki_rewrite_ex's renumber flag */
} skip_ctx;

static size_t drop_body(void *ctx, const uint8_t *b, size_t n, uint8_t *out) {
    (void)ctx, (void)b, (void)n, (void)out;
    return PKI_DROP;
}

static size_t skip_msg(tpair *p, tnode *from, uint8_t *d, size_t len, size_t cap) {
    skip_ctx *k = p->mangle_user;
    if (from->is_server != (k->from_server != 0))
        return len;
    return pki_rewrite_ex(d, len, cap, k->type, drop_body, NULL, &k->skipped);
}

static void run_skipping(tpair *p, skip_ctx *k, uint64_t seed) {
    pair_init(p, seed);
    pki_config(&pki, p, PKI_X509);
    p->mangle = skip_msg;
    p->mangle_user = k;
    assert_int_equal(pki_start(p, &pki.cli_id, "localhost"), 0);
    pair_run(p, 20000);
}

/* A flight without one message, the next taking its place -> the side
 * waiting for it answers unexpected_message:
 * - flight 4 without Certificate: the client gets ServerKeyExchange;
 * - flight 4 without ServerKeyExchange: no ephemeral key, so no
 *   CertificateRequest or ServerHelloDone may take its place;
 * - flight 5 without the client's Certificate, though the server asked for
 *   one (require_client_auth, the default): ClientKeyExchange comes first. */
static void test_skipped_messages(void **state) {
    (void)state;
    static const struct {
        uint8_t type;
        int from_server;
    } cases[] = {
        {CS_HT_CERTIFICATE, 1},
        {CS_HT_SERVER_KEY_EXCHANGE, 1},
        {CS_HT_CERTIFICATE, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tpair p;
        skip_ctx k = {cases[i].type, cases[i].from_server, 0};
        run_skipping(&p, &k, 180 + i);
        tnode *refuser = cases[i].from_server ? &p.c : &p.s;
        tnode *other = cases[i].from_server ? &p.s : &p.c;
        expect_refused(refuser, other, COAPSEC_DTLS_ALERT_UNEXPECTED_MESSAGE, "unexpected");
        pair_free(&p);
    }
}

/* Flight 5 without CertificateVerify: a client that shows someone else's
 * certificate cannot sign for it. The ChangeCipherSpec that follows must
 * not move the server past WAIT_CV (the Finished behind it stays unread), so
 * no session comes up; the server gives up when its handshake times out. */
static void test_skipped_certificate_verify(void **state) {
    (void)state;
    tpair p;
    skip_ctx k = {CS_HT_CERTIFICATE_VERIFY, 0, 0};
    run_skipping(&p, &k, 183);
    assert_int_equal(p.s.established, 0);
    assert_int_equal(p.c.established, 0);
    assert_int_equal(p.s.conn.state, CS_ST_S_WAIT_CV);
    assert_int_equal(p.s.conn.read_epoch, 0);
    pair_run(&p, p.net->now + 600000); /* every retransmission, then the timeout */
    assert_int_equal(p.s.established, 0);
    assert_int_equal(p.s.failed, 1);
    assert_int_equal(p.c.established, 0);
    pair_free(&p);
}

/* RFC 5246 §7.4.1.2: neither PSK nor an ECDSA identity in common. */
static void test_no_common_suite(void **state) {
    (void)state;
    tpair p;
    pair_init(&p, 170);
    p.s.cfg.psk_lookup = NULL; /* the server has nothing for a PSK client */
    p.s.cfg.server_identity = &pki.srv_id;
    assert_int_equal(pair_start(&p), 0);
    pair_run(&p, 20000);
    expect_refused(&p.s, &p.c, COAPSEC_DTLS_ALERT_HANDSHAKE_FAILURE,
                   "peer offered no suite of ours");
    pair_free(&p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rpk_mutual),
        cmocka_unit_test(test_x509_mutual),
        cmocka_unit_test(test_x509_and_rpk_ip_authority),
        cmocka_unit_test(test_mtu256),
        cmocka_unit_test(test_loss_many_seeds),
        cmocka_unit_test(test_server_serves_all),
        cmocka_unit_test(test_client_without_key),
        cmocka_unit_test(test_server_cert_type_choice),
        cmocka_unit_test(test_tampered_ske_signature),
        cmocka_unit_test(test_wrong_curve_offered),
        cmocka_unit_test(test_wrong_sigalg_offered),
        cmocka_unit_test(test_bad_point_cke),
        cmocka_unit_test(test_bad_point_ske),
        cmocka_unit_test(test_bad_certificate_verify),
        cmocka_unit_test(test_skipped_messages),
        cmocka_unit_test(test_skipped_certificate_verify),
        cmocka_unit_test(test_no_common_suite),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
