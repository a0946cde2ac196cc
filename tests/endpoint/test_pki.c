/*
 * test_pki.c - tests for src/endpoint/pki.c: two real endpoints in one
 * process on 127.0.0.1 speaking CoAP over DTLS 1.2 with
 * TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 (RFC 7251), authenticated by X.509
 * certificates (RFC 5246 §7.4.2/§7.4.6, TS-0008 profile) or raw public keys
 * (RFC 7250). Every key and certificate is made here with the crypto
 * module's generator. Covers mutual certificate authentication with the
 * validated identity visible in the handler, RPK pinned by fingerprint and
 * by callback, per-destination client keys, one server serving PSK, RPK and
 * certificate clients at once (suites follow the credentials), and each
 * refusal with its reason on the side that refused: untrusted CA (RFC 5246
 * §7.2.2 unknown_ca), expired certificate (certificate_expired; not checked
 * only when the node says it has no clock), name mismatch (RFC 6125 / RFC
 * 7252 §9.1.3.3), unknown raw public key (bad_certificate), and a client
 * without credentials when the server requires client authentication.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "coapsec/endpoint.h"
#include "crypto/crypto.h"

#define DKEY(k) ((const coapsec_dtls_key *)(const void *)(k))

/* ---- fixtures: keys and certificates ---------------------------------------------------- */

typedef struct cred {
    cs_p256_key *key;
    uint8_t der[1024];
    size_t derlen;
    uint8_t list[1100]; /* TLS certificate_list with this one certificate */
    size_t listlen;
    uint8_t fp[32]; /* SHA-256 of the SPKI */
} cred;

static cred ca, ca2, srv_cert, cli_cert, srv_expired, srv_wrongname, cli_other;
static coapsec_dtls_trust *trust_ca, *trust_ca2;

static void fingerprint(cred *c) {
    uint8_t spki[91];
    assert_int_equal(coapsec_dtls_key_spki(DKEY(c->key), spki), 0);
    coapsec_dtls_spki_fingerprint(spki, sizeof spki, c->fp);
}

static void make_ca(cred *c, const char *cn) {
    int64_t now = (int64_t)time(NULL);
    cs_cert_spec s = {
        cn, NULL, 1, -1, CS_KU_KEY_CERT_SIGN | CS_KU_CRL_SIGN, 0, now - 3600, now + 86400 * 365,
        1,  0};
    assert_int_equal(cs_p256_key_generate(&c->key), 0);
    assert_int_equal(cs_cert_issue(&s, c->key, NULL, 0, c->key, c->der, sizeof c->der, &c->derlen),
                     0);
    fingerprint(c);
}

static void make_leaf(cred *c, const cred *issuer, const char *cn, const char *san,
                      int64_t not_before, int64_t not_after, uint64_t serial) {
    cs_cert_spec s = {
        cn,         san,       0,      -1, CS_KU_DIGITAL_SIGNATURE, CS_EKU_SERVER | CS_EKU_CLIENT,
        not_before, not_after, serial, 0};
    assert_int_equal(cs_p256_key_generate(&c->key), 0);
    assert_int_equal(cs_cert_issue(&s, c->key, issuer->der, issuer->derlen, issuer->key, c->der,
                                   sizeof c->der, &c->derlen),
                     0);
    c->list[0] = (uint8_t)((c->derlen + 3) >> 16);
    c->list[1] = (uint8_t)((c->derlen + 3) >> 8);
    c->list[2] = (uint8_t)(c->derlen + 3);
    c->list[3] = (uint8_t)(c->derlen >> 16);
    c->list[4] = (uint8_t)(c->derlen >> 8);
    c->list[5] = (uint8_t)c->derlen;
    memcpy(c->list + 6, c->der, c->derlen);
    c->listlen = c->derlen + 6;
    fingerprint(c);
}

static int group_setup(void **state) {
    (void)state;
    int64_t now = (int64_t)time(NULL);
    make_ca(&ca, "test CA");
    make_ca(&ca2, "other CA");
    make_leaf(&srv_cert, &ca, "server", "IP:127.0.0.1", now - 3600, now + 86400, 2);
    make_leaf(&cli_cert, &ca, "device-1", "DNS:device-1.example", now - 3600, now + 86400, 3);
    make_leaf(&srv_expired, &ca, "server", "IP:127.0.0.1", now - 86400 * 10, now - 86400, 4);
    make_leaf(&srv_wrongname, &ca, "server", "DNS:elsewhere.example", now - 3600, now + 86400, 5);
    make_leaf(&cli_other, &ca2, "device-2", "DNS:device-2.example", now - 3600, now + 86400, 6);
    assert_int_equal(coapsec_dtls_trust_new(&trust_ca), 0);
    assert_int_equal(coapsec_dtls_trust_new(&trust_ca2), 0);
    char pem[2048];
    size_t n;
    assert_int_equal(cs_x509_der_to_pem(ca.der, ca.derlen, pem, sizeof pem, &n), 0);
    assert_int_equal(coapsec_dtls_trust_add_pem(trust_ca, pem, n), 0);
    assert_int_equal(cs_x509_der_to_pem(ca2.der, ca2.derlen, pem, sizeof pem, &n), 0);
    assert_int_equal(coapsec_dtls_trust_add_pem(trust_ca2, pem, n), 0);
    return 0;
}

static int group_teardown(void **state) {
    (void)state;
    cred *all[] = {&ca, &ca2, &srv_cert, &cli_cert, &srv_expired, &srv_wrongname, &cli_other};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        cs_p256_key_free(all[i]->key);
    coapsec_dtls_trust_free(trust_ca);
    coapsec_dtls_trust_free(trust_ca2);
    return 0;
}

/* ---- two endpoints ------------------------------------------------------------------------ */

typedef struct node {
    coapsec_endpoint *ep;
    int established, failed;
    unsigned suite;
    char reason[200];
    coapsec_peer_id peer;
    /* server: what the handler saw */
    unsigned requests;
    int auth_rc;
    coapsec_peer_auth auth;
} node;

typedef struct fixture {
    node s, c;
    uint16_t port;
} fixture;

static fixture F;

static void on_event(void *user, const coapsec_session_event *ev) {
    node *n = user;
    if (ev->type == COAPSEC_SESSION_ESTABLISHED) {
        n->established++;
        n->suite = ev->suite;
        n->peer = ev->peer;
    } else if (ev->type == COAPSEC_SESSION_FAILED) {
        n->failed++;
        snprintf(n->reason, sizeof n->reason, "%s", ev->reason ? ev->reason : "");
    }
}

static void h_all(void *user, const coapsec_coap_req *req, coapsec_coap_response *resp) {
    node *s = user;
    s->requests++;
    s->auth_rc = coapsec_endpoint_peer_auth(s->ep, req->peer, &s->auth);
    resp->msg.code = COAPSEC_CONTENT;
    coapsec_coap_resp_payload(resp, "ok", 2);
}

static void new_client(fixture *f) {
    coapsec_endpoint_config cfg;
    coapsec_endpoint_config_default(&cfg);
    cfg.bind[0].host = "127.0.0.1";
    cfg.nbind = 1;
    cfg.session_event = on_event;
    cfg.user = &f->c;
    cfg.dtls_max_retransmits = 2;
    memset(&f->c, 0, sizeof f->c);
    assert_int_equal(coapsec_endpoint_new(&cfg, &f->c.ep), 0);
}

/* Server: a certificate identity (srv_cert), anchors of `ca`, pinned client RPK. */
static int setup(void **state) {
    fixture *f = &F;
    memset(f, 0, sizeof *f);
    coapsec_endpoint_config cfg;
    coapsec_endpoint_config_default(&cfg);
    cfg.bind[0].host = "127.0.0.1";
    cfg.bind[0].security = COAPSEC_SEC_CERT;
    cfg.nbind = 1;
    cfg.session_event = on_event;
    cfg.user = &f->s;
    cfg.dtls_max_retransmits = 2;
    assert_int_equal(coapsec_endpoint_new(&cfg, &f->s.ep), 0);
    coapsec_coap_set_fallback(coapsec_endpoint_coap(f->s.ep), h_all, &f->s);
    assert_int_equal(
        coapsec_endpoint_set_identity(f->s.ep, DKEY(srv_cert.key), srv_cert.list, srv_cert.listlen),
        0);
    assert_int_equal(coapsec_endpoint_set_trust(f->s.ep, trust_ca), 0);
    f->port = coapsec_endpoint_local_port(f->s.ep, AF_INET);
    assert_true(f->port != 0);
    new_client(f);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    coapsec_endpoint_free(f->c.ep);
    coapsec_endpoint_free(f->s.ep);
    return 0;
}

typedef struct result {
    int done, status;
    uint8_t code;
} result;

static void on_resp(void *user, int status, const coapsec_msg *m, coapsec_peer_id peer) {
    (void)peer;
    result *r = user;
    r->done++;
    r->status = status;
    r->code = m ? m->code : 0;
}

static void pump(fixture *f, const int *until, int ms) {
    for (int i = 0; i < ms / 5 && !(until && *until); i++) {
        assert_true(coapsec_endpoint_process(f->s.ep, 0) >= 0);
        assert_true(coapsec_endpoint_process(f->c.ep, 5) >= 0);
    }
    /* let the last flight / alert reach the other side */
    for (int i = 0; i < 10; i++) {
        assert_true(coapsec_endpoint_process(f->s.ep, 0) >= 0);
        assert_true(coapsec_endpoint_process(f->c.ep, 2) >= 0);
    }
}

static void get(fixture *f, const node *cl, result *r) {
    char uri[96];
    snprintf(uri, sizeof uri, "coaps://127.0.0.1:%u/x", (unsigned)f->port);
    coapsec_msg m;
    memset(&m, 0, sizeof m);
    m.type = COAPSEC_CON;
    m.code = COAPSEC_GET;
    memset(r, 0, sizeof *r);
    assert_true(coapsec_endpoint_request(cl->ep, uri, &m, 0, on_resp, r) >= 0);
}

static void expect_ok(fixture *f, node *cl, result *r) {
    pump(f, &r->done, 5000);
    assert_int_equal(r->done, 1);
    if (r->status != 0)
        fail_msg("request failed: %s / %s", coapsec_strerror(r->status),
                 coapsec_endpoint_last_error_text(cl->ep));
    assert_int_equal(r->code, COAPSEC_CONTENT);
}

static void expect_refused(fixture *f, node *cl, result *r, node *refuser, const char *text) {
    pump(f, &r->done, 5000);
    assert_int_equal(r->done, 1);
    assert_int_equal(r->status, COAPSEC_ERR_HANDSHAKE);
    assert_int_equal(f->s.requests, 0);
    assert_int_equal(cl->established, 0);
    const char *t = coapsec_endpoint_last_error_text(refuser->ep);
    if (!strstr(t, text))
        fail_msg("refusing side says \"%s\", expected \"%s\"", t, text);
    if (!strstr(refuser->reason, text))
        fail_msg("FAILED event says \"%s\", expected \"%s\"", refuser->reason, text);
}

static void client_cert(node *cl, const cred *c, const coapsec_dtls_trust *t) {
    assert_int_equal(coapsec_endpoint_set_identity(cl->ep, DKEY(c->key), c->list, c->listlen), 0);
    assert_int_equal(coapsec_endpoint_set_trust(cl->ep, t), 0);
}

/* ---- tests ---------------------------------------------------------------------------------- */

/* RFC 7251 / RFC 5246 §7.4.2, §7.4.4, §7.4.6: mutual certificate
 * authentication; each side sees the other's validated name and key hash. */
static void test_cert_mutual(void **state) {
    fixture *f = *state;
    client_cert(&f->c, &cli_cert, trust_ca);
    result r;
    get(f, &f->c, &r);
    expect_ok(f, &f->c, &r);
    assert_int_equal(f->c.suite, COAPSEC_DTLS_ECDHE_ECDSA_AES_128_CCM_8);
    assert_int_equal(f->s.suite, COAPSEC_DTLS_ECDHE_ECDSA_AES_128_CCM_8);
    /* the handler saw the client's identity */
    assert_int_equal(f->s.auth_rc, 0);
    assert_int_equal(f->s.auth.kind, COAPSEC_DTLS_AUTH_X509);
    assert_string_equal(f->s.auth.name, "device-1.example");
    assert_int_equal(f->s.auth.has_sha256, 1);
    assert_memory_equal(f->s.auth.sha256, cli_cert.fp, 32);
    assert_int_equal(f->s.auth.suite, COAPSEC_DTLS_ECDHE_ECDSA_AES_128_CCM_8);
    /* and the client the server's */
    coapsec_peer_auth a;
    assert_int_equal(coapsec_endpoint_peer_auth(f->c.ep, f->c.peer, &a), 0);
    assert_int_equal(a.kind, COAPSEC_DTLS_AUTH_X509);
    assert_string_equal(a.name, "127.0.0.1");
    assert_memory_equal(a.sha256, srv_cert.fp, 32);
    assert_int_equal(coapsec_endpoint_peer_suite(f->c.ep, f->c.peer), 0xC0AE);
    /* a stale id is refused */
    coapsec_peer_id stale = f->c.peer;
    stale.gen++;
    assert_int_equal(coapsec_endpoint_peer_auth(f->c.ep, stale, &a), COAPSEC_ERR_NOTFOUND);
}

/* RFC 5246 §7.2.2 unknown_ca: the client does not trust the server's CA;
 * the client refuses and says why. */
static void test_untrusted_ca(void **state) {
    fixture *f = *state;
    client_cert(&f->c, &cli_cert, trust_ca2);
    result r;
    get(f, &f->c, &r);
    expect_refused(f, &f->c, &r, &f->c, "untrusted CA");
    assert_true(strstr(coapsec_endpoint_last_error_text(f->c.ep), "unknown_ca") != NULL);
    assert_int_equal(f->s.established, 0);
    assert_int_equal(f->s.failed, 1);
}

/* The server refuses a client certificate from a CA it does not trust. */
static void test_client_untrusted_ca(void **state) {
    fixture *f = *state;
    client_cert(&f->c, &cli_other, trust_ca);
    result r;
    get(f, &f->c, &r);
    expect_refused(f, &f->c, &r, &f->s, "untrusted CA");
    assert_true(f->c.failed == 1);
}

/* RFC 5280 §4.1.2.5 / RFC 5246 §7.2.2 certificate_expired, checked with the
 * endpoint's CLOCK_REALTIME; a node that says it has no clock skips dates. */
static void test_expired_and_no_clock(void **state) {
    fixture *f = *state;
    assert_int_equal(coapsec_endpoint_set_identity(f->s.ep, DKEY(srv_expired.key), srv_expired.list,
                                                   srv_expired.listlen),
                     0);
    client_cert(&f->c, &cli_cert, trust_ca);
    result r;
    get(f, &f->c, &r);
    expect_refused(f, &f->c, &r, &f->c, "certificate expired");
    assert_true(strstr(coapsec_endpoint_last_error_text(f->c.ep), "certificate_expired") != NULL);

    /* The same chain with no_clock set: validity is not checked, all else is. */
    coapsec_endpoint_free(f->c.ep);
    new_client(f);
    client_cert(&f->c, &cli_cert, trust_ca);
    coapsec_endpoint_set_no_clock(f->c.ep, 1);
    get(f, &f->c, &r);
    expect_ok(f, &f->c, &r);
    assert_int_equal(f->s.auth.kind, COAPSEC_DTLS_AUTH_X509);
}

static int64_t year_2100(void *user) {
    (void)user;
    return 4102444800; /* 2100-01-01 */
}

/* The wall clock comes from the endpoint (the engine never reads one): a
 * clock set far ahead makes a valid certificate expired. */
static void test_wall_clock_source(void **state) {
    fixture *f = *state;
    client_cert(&f->c, &cli_cert, trust_ca);
    coapsec_endpoint_set_wall_clock(f->c.ep, year_2100, NULL);
    result r;
    get(f, &f->c, &r);
    expect_refused(f, &f->c, &r, &f->c, "certificate expired");
}

/* RFC 7252 §9.1.3.3 / RFC 6125: the server certificate must name the
 * authority dialled; verify_name off accepts it. */
static void test_name_mismatch(void **state) {
    fixture *f = *state;
    assert_int_equal(coapsec_endpoint_set_identity(f->s.ep, DKEY(srv_wrongname.key),
                                                   srv_wrongname.list, srv_wrongname.listlen),
                     0);
    client_cert(&f->c, &cli_cert, trust_ca);
    result r;
    get(f, &f->c, &r);
    expect_refused(f, &f->c, &r, &f->c, "name mismatch: dialled 127.0.0.1");

    coapsec_endpoint_free(f->c.ep);
    new_client(f);
    client_cert(&f->c, &cli_cert, trust_ca);
    coapsec_endpoint_set_verify_name(f->c.ep, 0);
    get(f, &f->c, &r);
    expect_ok(f, &f->c, &r);
}

/* RFC 5246 §7.4.6: the server requires a client certificate (default); a
 * client without one is refused by the server; with the requirement off it
 * is served, and the handler sees kind NONE. */
static void test_client_auth_required(void **state) {
    fixture *f = *state;
    assert_int_equal(coapsec_endpoint_set_trust(f->c.ep, trust_ca), 0);
    result r;
    get(f, &f->c, &r);
    expect_refused(f, &f->c, &r, &f->s, "the client sent no certificate");

    coapsec_endpoint_set_require_client_auth(f->s.ep, 0);
    coapsec_endpoint_free(f->c.ep);
    new_client(f);
    assert_int_equal(coapsec_endpoint_set_trust(f->c.ep, trust_ca), 0);
    f->s.failed = 0;
    get(f, &f->c, &r);
    expect_ok(f, &f->c, &r);
    assert_int_equal(f->s.auth_rc, 0);
    assert_int_equal(f->s.auth.kind, COAPSEC_DTLS_AUTH_NONE);
    assert_int_equal(f->s.auth.has_sha256, 0);
}

/* RFC 7250: raw public keys both ways, each pinned by its SPKI SHA-256. */
static void test_rpk_pinned(void **state) {
    fixture *f = *state;
    assert_int_equal(coapsec_endpoint_add_rpk_trust(f->s.ep, cli_other.fp), 0);
    assert_int_equal(coapsec_endpoint_set_identity(f->c.ep, DKEY(cli_other.key), NULL, 0), 0);
    assert_int_equal(coapsec_endpoint_add_rpk_trust(f->c.ep, srv_cert.fp), 0);
    result r;
    get(f, &f->c, &r);
    expect_ok(f, &f->c, &r);
    assert_int_equal(f->c.suite, COAPSEC_DTLS_ECDHE_ECDSA_AES_128_CCM_8);
    assert_int_equal(f->s.auth.kind, COAPSEC_DTLS_AUTH_RPK);
    assert_string_equal(f->s.auth.name, "");
    assert_memory_equal(f->s.auth.sha256, cli_other.fp, 32);
    coapsec_peer_auth a;
    assert_int_equal(coapsec_endpoint_peer_auth(f->c.ep, f->c.peer, &a), 0);
    assert_int_equal(a.kind, COAPSEC_DTLS_AUTH_RPK);
    assert_memory_equal(a.sha256, srv_cert.fp, 32);
}

/* RFC 4279 §2: a PSK session's peer record names its PSK identity (pki.c
 * derives it from the identity psk.c keeps for the slot: no per-slot copy). */
static void test_psk_peer_auth(void **state) {
    fixture *f = *state;
    static const uint8_t psk[] = "0123456789abcdef";
    assert_int_equal(coapsec_endpoint_add_psk(f->s.ep, (const uint8_t *)"dev-psk", 7, psk, 16), 0);
    assert_int_equal(
        coapsec_endpoint_set_client_psk(f->c.ep, NULL, (const uint8_t *)"dev-psk", 7, psk, 16), 0);
    result r;
    get(f, &f->c, &r);
    expect_ok(f, &f->c, &r);
    assert_int_equal(f->c.suite, COAPSEC_DTLS_PSK_AES_128_CCM_8);
    assert_int_equal(f->s.auth_rc, 0);
    assert_int_equal(f->s.auth.kind, COAPSEC_DTLS_AUTH_PSK);
    assert_int_equal(f->s.auth.suite, COAPSEC_DTLS_PSK_AES_128_CCM_8);
    assert_string_equal(f->s.auth.name, "dev-psk");
    assert_int_equal(f->s.auth.has_sha256, 0);
    coapsec_peer_auth a;
    assert_int_equal(coapsec_endpoint_peer_auth(f->c.ep, f->c.peer, &a), 0);
    assert_int_equal(a.kind, COAPSEC_DTLS_AUTH_PSK);
    assert_string_equal(a.name, "dev-psk");
}

/* RFC 7250 §4: an unknown raw public key gets bad_certificate and no session;
 * the server names the key it refused. */
static void test_rpk_unknown(void **state) {
    fixture *f = *state;
    assert_int_equal(coapsec_endpoint_add_rpk_trust(f->s.ep, cli_cert.fp), 0); /* not ours */
    assert_int_equal(coapsec_endpoint_set_identity(f->c.ep, DKEY(cli_other.key), NULL, 0), 0);
    assert_int_equal(coapsec_endpoint_add_rpk_trust(f->c.ep, srv_cert.fp), 0);
    result r;
    get(f, &f->c, &r);
    expect_refused(f, &f->c, &r, &f->s, "unknown raw public key (sha256:");
    assert_true(strstr(coapsec_endpoint_last_error_text(f->s.ep), "bad_certificate") != NULL);
    char hex[65];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", cli_other.fp[i]);
    assert_true(strstr(coapsec_endpoint_last_error_text(f->s.ep), hex) != NULL);
}

typedef struct vstate {
    int calls;
    uint8_t want[32];
} vstate;

static int verify_cb(void *user, const uint8_t *spki, size_t len, const uint8_t sha256[32]) {
    vstate *v = user;
    v->calls++;
    assert_int_equal(len, 91);
    uint8_t h[32];
    coapsec_dtls_spki_fingerprint(spki, len, h);
    assert_memory_equal(h, sha256, 32);
    return memcmp(sha256, v->want, 32) == 0 ? 0 : -1;
}

/* RFC 7250 trust by callback; per-destination client key pairs ("a device
 * may hold several key pairs and picks one per peer"). */
static void test_rpk_callback_per_destination(void **state) {
    fixture *f = *state;
    static vstate v;
    memset(&v, 0, sizeof v);
    memcpy(v.want, cli_cert.fp, 32);
    coapsec_endpoint_set_rpk_verify(f->s.ep, verify_cb, &v);
    /* default key cli_other; this server gets cli_cert's key */
    assert_int_equal(coapsec_endpoint_set_identity(f->c.ep, DKEY(cli_other.key), NULL, 0), 0);
    char auth[32];
    snprintf(auth, sizeof auth, "127.0.0.1:%u", (unsigned)f->port);
    assert_int_equal(
        coapsec_endpoint_set_client_identity(f->c.ep, auth, DKEY(cli_cert.key), NULL, 0), 0);
    assert_int_equal(
        coapsec_endpoint_set_client_identity(f->c.ep, "127.0.0.2", DKEY(ca.key), NULL, 0), 0);
    assert_int_equal(coapsec_endpoint_add_rpk_trust(f->c.ep, srv_cert.fp), 0);
    result r;
    get(f, &f->c, &r);
    expect_ok(f, &f->c, &r);
    assert_int_equal(v.calls, 1);
    assert_int_equal(f->s.auth.kind, COAPSEC_DTLS_AUTH_RPK);
    assert_memory_equal(f->s.auth.sha256, cli_cert.fp, 32);
    /* bad arguments */
    assert_int_equal(coapsec_endpoint_set_client_identity(f->c.ep, NULL, DKEY(ca.key), ca.der, 10),
                     COAPSEC_ERR_INVAL);
}

/* All modes on one DTLS bind: a PSK client (0xC0A8), an RPK client and a
 * certificate client (0xC0AE) served at once by the same server. */
static void test_all_modes_one_server(void **state) {
    fixture *f = *state;
    static const uint8_t psk[] = "0123456789abcdef";
    assert_int_equal(coapsec_endpoint_add_psk(f->s.ep, (const uint8_t *)"dev-psk", 7, psk, 16), 0);
    assert_int_equal(coapsec_endpoint_add_rpk_trust(f->s.ep, cli_other.fp), 0);
    /* client 1: PSK only */
    assert_int_equal(
        coapsec_endpoint_set_client_psk(f->c.ep, NULL, (const uint8_t *)"dev-psk", 7, psk, 16), 0);
    node c2, c3;
    fixture g = *f; /* second and third clients share the pump through a copy */
    new_client(&g);
    c2 = g.c;
    new_client(&g);
    c3 = g.c;
    /* c2: RPK, c3: certificate (each endpoint's user pointer is g.c: re-read below) */
    assert_int_equal(coapsec_endpoint_set_identity(c2.ep, DKEY(cli_other.key), NULL, 0), 0);
    assert_int_equal(coapsec_endpoint_add_rpk_trust(c2.ep, srv_cert.fp), 0);
    client_cert(&c3, &cli_cert, trust_ca);
    result r1, r2, r3;
    get(f, &f->c, &r1);
    get(f, &c2, &r2);
    get(f, &c3, &r3);
    for (int i = 0; i < 1000 && !(r1.done && r2.done && r3.done); i++) {
        assert_true(coapsec_endpoint_process(f->s.ep, 0) >= 0);
        assert_true(coapsec_endpoint_process(f->c.ep, 0) >= 0);
        assert_true(coapsec_endpoint_process(c2.ep, 0) >= 0);
        assert_true(coapsec_endpoint_process(c3.ep, 5) >= 0);
    }
    assert_int_equal(r1.status, 0);
    assert_int_equal(r2.status, 0);
    assert_int_equal(r3.status, 0);
    assert_int_equal(r1.code, COAPSEC_CONTENT);
    assert_int_equal(r2.code, COAPSEC_CONTENT);
    assert_int_equal(r3.code, COAPSEC_CONTENT);
    assert_int_equal(f->c.suite, COAPSEC_DTLS_PSK_AES_128_CCM_8);
    assert_int_equal(f->s.requests, 3);
    assert_int_equal(f->s.established, 3);
    assert_int_equal(coapsec_endpoint_get_stats(f->s.ep)->handshakes_completed, 3);
    coapsec_session_stats ss;
    coapsec_endpoint_session_stats(f->s.ep, &ss);
    assert_int_equal(ss.secure_sessions, 3);
    coapsec_endpoint_free(c2.ep);
    coapsec_endpoint_free(c3.ep);
}

/* Suites follow the credentials: a server with only an ECDSA identity does
 * not offer PSK, so a PSK-only client gets handshake_failure and a reason. */
static void test_no_psk_offered(void **state) {
    fixture *f = *state;
    static const uint8_t psk[] = "0123456789abcdef";
    assert_int_equal(
        coapsec_endpoint_set_client_psk(f->c.ep, NULL, (const uint8_t *)"dev-psk", 7, psk, 16), 0);
    result r;
    get(f, &f->c, &r);
    expect_refused(f, &f->c, &r, &f->s, "no suite");
    assert_true(strstr(coapsec_endpoint_last_error_text(f->s.ep), "handshake_failure") != NULL);
}

/* A coaps:// request with nothing to offer fails at once and says why. */
static void test_nothing_configured(void **state) {
    fixture *f = *state;
    char uri[96];
    snprintf(uri, sizeof uri, "coaps://127.0.0.1:%u/x", (unsigned)f->port);
    coapsec_msg m;
    memset(&m, 0, sizeof m);
    m.type = COAPSEC_CON;
    m.code = COAPSEC_GET;
    result r;
    memset(&r, 0, sizeof r);
    assert_int_equal(coapsec_endpoint_request(f->c.ep, uri, &m, 0, on_resp, &r), COAPSEC_ERR_AUTH);
    assert_true(strstr(coapsec_endpoint_last_error_text(f->c.ep), "no PSK and no trust anchors") !=
                NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cert_mutual, setup, teardown),
        cmocka_unit_test_setup_teardown(test_untrusted_ca, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_untrusted_ca, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expired_and_no_clock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wall_clock_source, setup, teardown),
        cmocka_unit_test_setup_teardown(test_name_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_auth_required, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rpk_pinned, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rpk_unknown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rpk_callback_per_destination, setup, teardown),
        cmocka_unit_test_setup_teardown(test_psk_peer_auth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_all_modes_one_server, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_psk_offered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nothing_configured, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
