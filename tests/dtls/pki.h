/*
 * tests/dtls/pki.h - ECDSA test credentials for the DTLS unit tests, made in
 * the test with the crypto module's generator (cs_cert_issue): a P-256 CA,
 * server and client keys and certificates, trust anchors, raw-public-key
 * fingerprints, configs for X.509 / RPK mode, starting a 0xC0AE client in a
 * tpair (pair.h), and a rewriter for handshake messages in flight (to forge
 * what a misbehaving peer would send). Header-only, static inline.
 */
#ifndef COAPSEC_TESTS_DTLS_PKI_H
#define COAPSEC_TESTS_DTLS_PKI_H

#include "crypto/crypto.h"
#include "pair.h"

#define PKI_NOW  INT64_C(1767225600) /* 2026-01-01: the tests' wall clock */
#define PKI_YEAR INT64_C(31536000)

typedef struct tpki {
    cs_p256_key *ca_key, *srv_key, *cli_key;
    uint8_t ca[1024];
    size_t ca_len;
    uint8_t srv_cert[1024], cli_cert[1024];
    size_t srv_cert_len, cli_cert_len;
    uint8_t srv_list[4096], cli_list[4096];
    size_t srv_list_len, cli_list_len;
    cs_x509_trust *trust;
    coapsec_dtls_identity srv_id, cli_id;
    uint8_t srv_fp[32], cli_fp[32];
} tpki;

static inline int64_t pki_clock(void *user) {
    (void)user;
    return PKI_NOW;
}

static inline cs_cert_spec pki_leaf_spec(const char *cn, const char *san, uint64_t serial) {
    cs_cert_spec s;
    memset(&s, 0, sizeof s);
    s.cn = cn;
    s.san = san;
    s.pathlen = -1;
    s.key_usage = CS_KU_DIGITAL_SIGNATURE;
    s.ext_key_usage = CS_EKU_SERVER | CS_EKU_CLIENT;
    s.not_before = PKI_NOW - 86400;
    s.not_after = PKI_NOW + 10 * PKI_YEAR;
    s.serial = serial;
    return s;
}

static inline cs_cert_spec pki_ca_spec(const char *cn, uint64_t serial) {
    cs_cert_spec s = pki_leaf_spec(cn, NULL, serial);
    s.is_ca = 1;
    s.key_usage = CS_KU_KEY_CERT_SIGN | CS_KU_CRL_SIGN;
    s.ext_key_usage = 0;
    return s;
}

/* A TLS certificate_list of up to two DER certificates (second may be NULL). */
static inline size_t pki_list(uint8_t *out, const uint8_t *a, size_t al, const uint8_t *b,
                              size_t bl) {
    size_t n = 3;
    cs_put24(out + n, (uint32_t)al);
    memcpy(out + n + 3, a, al);
    n += 3 + al;
    if (b) {
        cs_put24(out + n, (uint32_t)bl);
        memcpy(out + n + 3, b, bl);
        n += 3 + bl;
    }
    cs_put24(out, (uint32_t)(n - 3));
    return n;
}

static inline void pki_fp(const cs_p256_key *k, uint8_t fp[32]) {
    uint8_t spki[91];
    assert_int_equal(coapsec_dtls_key_spki((const coapsec_dtls_key *)(const void *)k, spki), 0);
    coapsec_dtls_spki_fingerprint(spki, sizeof spki, fp);
}

static inline void pki_init(tpki *k) {
    memset(k, 0, sizeof *k);
    assert_int_equal(cs_p256_key_generate(&k->ca_key), 0);
    assert_int_equal(cs_p256_key_generate(&k->srv_key), 0);
    assert_int_equal(cs_p256_key_generate(&k->cli_key), 0);
    cs_cert_spec s = pki_ca_spec("coapsec Unit CA", 1);
    assert_int_equal(
        cs_cert_issue(&s, k->ca_key, NULL, 0, k->ca_key, k->ca, sizeof k->ca, &k->ca_len), 0);
    s = pki_leaf_spec("localhost", "DNS:localhost,IP:127.0.0.1", 2);
    assert_int_equal(cs_cert_issue(&s, k->srv_key, k->ca, k->ca_len, k->ca_key, k->srv_cert,
                                   sizeof k->srv_cert, &k->srv_cert_len),
                     0);
    s = pki_leaf_spec("coapsec-client", NULL, 3);
    assert_int_equal(cs_cert_issue(&s, k->cli_key, k->ca, k->ca_len, k->ca_key, k->cli_cert,
                                   sizeof k->cli_cert, &k->cli_cert_len),
                     0);
    k->srv_list_len = pki_list(k->srv_list, k->srv_cert, k->srv_cert_len, NULL, 0);
    k->cli_list_len = pki_list(k->cli_list, k->cli_cert, k->cli_cert_len, NULL, 0);
    assert_int_equal(cs_x509_trust_new(&k->trust), 0);
    assert_int_equal(cs_x509_trust_add_der(k->trust, k->ca, k->ca_len), 0);
    k->srv_id.key = (const coapsec_dtls_key *)(void *)k->srv_key;
    k->srv_id.cert_list = k->srv_list;
    k->srv_id.cert_list_len = k->srv_list_len;
    k->cli_id.key = (const coapsec_dtls_key *)(void *)k->cli_key;
    k->cli_id.cert_list = k->cli_list;
    k->cli_id.cert_list_len = k->cli_list_len;
    pki_fp(k->srv_key, k->srv_fp);
    pki_fp(k->cli_key, k->cli_fp);
}

static inline void pki_free(tpki *k) {
    cs_p256_key_free(k->ca_key);
    cs_p256_key_free(k->srv_key);
    cs_p256_key_free(k->cli_key);
    cs_x509_trust_free(k->trust);
}

enum { PKI_X509 = 1, PKI_RPK = 2 };

/* Mode PKI_X509 and/or PKI_RPK on both nodes of p: identities, trust, clock. */
static inline void pki_config(tpki *k, tpair *p, int mode) {
    coapsec_dtls_config *cc = &p->c.cfg, *sc = &p->s.cfg;
    sc->server_identity = &k->srv_id;
    if (mode & PKI_X509) {
        cc->trust = sc->trust = (const coapsec_dtls_trust *)(void *)k->trust;
        cc->wall_clock = sc->wall_clock = pki_clock;
    }
    if (mode & PKI_RPK) {
        cc->rpk_trust = (const uint8_t(*)[32])k->srv_fp;
        cc->rpk_trust_count = 1;
        sc->rpk_trust = (const uint8_t(*)[32])k->cli_fp;
        sc->rpk_trust_count = 1;
    }
    if (mode == PKI_RPK)
        cc->cert_types = sc->cert_types = COAPSEC_DTLS_CT_RPK;
}

/* Start the client of p with our client identity (may be NULL) and authority. */
static inline int pki_start(tpair *p, const coapsec_dtls_identity *id, const char *authority) {
    coapsec_dtls_server_init(&p->s.srv, &p->s.cfg, p->net->now);
    p->c.started = true;
    coapsec_dtls_client_creds cr;
    memset(&cr, 0, sizeof cr);
    cr.identity = id;
    cr.authority = authority;
    return coapsec_dtls_client_start_ex(&p->c.conn, &p->c.cfg, &p->c, &p->c.hs, &cr, p->net->now);
}

/* Rewrite every whole (unfragmented) epoch-0 handshake message of type `type`
 * in datagram d: fn gets the body and writes the replacement into out
 * (returning its length), or returns PKI_DROP to leave the message out.
 * Records are re-framed with the new lengths; records left empty go.
 * renumber (NULL: none): set to 1 once a message is dropped; while it is set,
 * every later message (in this datagram and the ones after: a flight and its
 * retransmissions) gets message_seq one lower, as if the dropped message had
 * never existed. */
typedef size_t (*pki_rewrite_fn)(void *ctx, const uint8_t *body, size_t len, uint8_t *out);
#define PKI_DROP ((size_t)-1)

static inline size_t pki_rewrite_ex(uint8_t *d, size_t len, size_t cap, uint8_t type,
                                    pki_rewrite_fn fn, void *ctx, int *renumber) {
    uint8_t out[SIMNET_MAX_DGRAM];
    size_t o = 0;
    int shift = renumber && *renumber;
    for (size_t pos = 0; pos + 13 <= len;) {
        size_t rl = cs_get16(d + pos + 11);
        if (pos + 13 + rl > len)
            break;
        const uint8_t *rec = d + pos;
        if (rec[0] != 22 || cs_get16(rec + 3) != 0) { /* not epoch-0 handshake: as is */
            memcpy(out + o, rec, 13 + rl);
            o += 13 + rl;
            pos += 13 + rl;
            continue;
        }
        size_t ro = o;
        memcpy(out + o, rec, 13);
        o += 13;
        for (size_t f = 0; f + 12 <= rl;) {
            const uint8_t *h = rec + 13 + f;
            size_t ml = cs_get24(h + 1), off = cs_get24(h + 6), fl = cs_get24(h + 9);
            if (f + 12 + fl > rl)
                break;
            size_t nl = fl;
            memcpy(out + o, h, 12);
            if (h[0] == type && off == 0 && fl == ml) {
                nl = fn(ctx, h + 12, fl, out + o + 12);
                if (nl == PKI_DROP) {
                    shift = renumber != NULL;
                    f += 12 + fl;
                    continue;
                }
                cs_put24(out + o + 1, (uint32_t)nl);
                cs_put24(out + o + 9, (uint32_t)nl);
            } else {
                memcpy(out + o + 12, h + 12, fl);
            }
            if (shift)
                cs_put16(out + o + 4, (uint32_t)(cs_get16(h + 4) - 1));
            o += 12 + nl;
            f += 12 + fl;
        }
        if (o == ro + 13)
            o = ro; /* nothing left in this record */
        else
            cs_put16(out + ro + 11, (uint32_t)(o - ro - 13));
        pos += 13 + rl;
    }
    if (renumber)
        *renumber = shift;
    if (o > cap || o == 0)
        return len;
    memcpy(d, out, o);
    return o;
}

static inline size_t pki_rewrite(uint8_t *d, size_t len, size_t cap, uint8_t type,
                                 pki_rewrite_fn fn, void *ctx) {
    return pki_rewrite_ex(d, len, cap, type, fn, ctx, NULL);
}

#endif /* COAPSEC_TESTS_DTLS_PKI_H */
