/*
 * dtls/certmsg.c - authentication messages of TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8:
 * certificate types (RFC 7250 §3-4), the Certificate message as an X.509
 * chain (RFC 5246 §7.4.2) or a bare SubjectPublicKeyInfo (RFC 7250 §3), the
 * peer's validation (TS-0008 chain profile through the crypto module, the
 * dialled authority, raw keys against fingerprints or a callback), the
 * CertificateRequest (§7.4.4) and CertificateVerify (§7.4.8), each refusal
 * with its alert and a reason that says what was wrong.
 */
#include <stdarg.h>
#include <stdio.h>

#include "dtls/dtls_int.h"

uint8_t cs_ct_peer_ok(const coapsec_dtls_config *cfg) {
    uint8_t m = 0;
    if (cfg->trust)
        m |= COAPSEC_DTLS_CT_X509;
    if ((cfg->rpk_trust && cfg->rpk_trust_count) || cfg->rpk_verify)
        m |= COAPSEC_DTLS_CT_RPK;
    if (cfg->insecure_no_verify)
        m |= COAPSEC_DTLS_CT_X509 | COAPSEC_DTLS_CT_RPK;
    if (cfg->cert_types)
        m &= cfg->cert_types;
    return m;
}

uint8_t cs_ct_own_ok(const coapsec_dtls_config *cfg, const coapsec_dtls_identity *id) {
    if (!id || !id->key)
        return 0;
    uint8_t m = COAPSEC_DTLS_CT_RPK;
    if (id->cert_list && id->cert_list_len > 3)
        m |= COAPSEC_DTLS_CT_X509;
    if (cfg->cert_types)
        m &= cfg->cert_types;
    return m;
}

uint8_t cs_ct_pick(const uint8_t *list, size_t n, uint8_t mask) {
    for (size_t i = 0; i < n; i++) {
        uint8_t bit = list[i] == CS_WIRE_CT_X509  ? COAPSEC_DTLS_CT_X509
                      : list[i] == CS_WIRE_CT_RPK ? COAPSEC_DTLS_CT_RPK
                                                  : 0;
        if (bit & mask)
            return bit;
    }
    return 0;
}

uint8_t cs_ct_wire(uint8_t bit) {
    return bit == COAPSEC_DTLS_CT_RPK ? CS_WIRE_CT_RPK : CS_WIRE_CT_X509;
}

int cs_ext_put(uint8_t *b, size_t cap, size_t *n, unsigned type, const uint8_t *body, size_t len) {
    if (*n + 4 + len > cap)
        return COAPSEC_ERR_NOBUF;
    cs_put16(b + *n, type);
    cs_put16(b + *n + 2, (uint32_t)len);
    if (len)
        memcpy(b + *n + 4, body, len);
    *n += 4 + len;
    return 0;
}

int cs_failf(coapsec_dtls_conn *c, int err, int alert, const char *fmt, ...) {
    static char fallback[192]; /* only when no hs is attached (cannot happen in a handshake) */
    char *buf = c->hs ? c->hs->reason : fallback;
    size_t cap = c->hs ? sizeof c->hs->reason : sizeof fallback;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
    return cs_fail(c, err, alert, false, buf);
}

static const cs_p256_key *own_key(const coapsec_dtls_hs *hs) {
    return (const cs_p256_key *)(const void *)hs->identity->key;
}

int cs_add_certificate(coapsec_dtls_conn *c, uint8_t type_bit, bool empty) {
    coapsec_dtls_hs *hs = c->hs;
    if (empty || !hs->identity || !hs->identity->key) {
        static const uint8_t none[3] = {0, 0, 0};
        return cs_flight_add_hs(c, CS_HT_CERTIFICATE, none, sizeof none);
    }
    if (type_bit == COAPSEC_DTLS_CT_RPK) {
        /* RFC 7250 §3: one SubjectPublicKeyInfo with a 3-byte length. */
        uint8_t body[3 + CS_P256_SPKI_LEN], pub[CS_P256_PUB_LEN];
        if (cs_p256_key_public(own_key(hs), pub) != 0)
            return COAPSEC_ERR_CRYPTO;
        cs_p256_spki_wrap(pub, body + 3); /* our own key's point: valid */
        cs_put24(body, CS_P256_SPKI_LEN);
        return cs_flight_add_hs(c, CS_HT_CERTIFICATE, body, sizeof body);
    }
    const uint8_t *l = hs->identity->cert_list;
    size_t n = hs->identity->cert_list_len;
    if (!l || n < 3 || cs_get24(l) != n - 3)
        return COAPSEC_ERR_INVAL;
    return cs_flight_add_hs(c, CS_HT_CERTIFICATE, l, n);
}

static void hex(const uint8_t *p, size_t n, char *out) {
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[p[i] >> 4];
        out[2 * i + 1] = d[p[i] & 15];
    }
    out[2 * n] = 0;
}

static int on_rpk(coapsec_dtls_conn *c, const uint8_t *spki, size_t len) {
    coapsec_dtls_hs *hs = c->hs;
    const coapsec_dtls_config *cfg = c->cfg;
    int rc = cs_p256_spki_decode(spki, len, hs->peer_pub);
    if (rc == COAPSEC_ERR_UNSUPPORTED)
        return cs_failf(c, COAPSEC_ERR_AUTH, COAPSEC_DTLS_ALERT_UNSUPPORTED_CERTIFICATE,
                        "wrong curve: the raw public key is not EC P-256");
    if (rc != 0)
        return cs_failf(c, COAPSEC_ERR_AUTH, COAPSEC_DTLS_ALERT_BAD_CERTIFICATE,
                        "malformed raw public key (SubjectPublicKeyInfo)");
    cs_spki_fingerprint(spki, len, hs->peer_fp);
    bool ok = cfg->insecure_no_verify != 0;
    for (size_t i = 0; !ok && cfg->rpk_trust && i < cfg->rpk_trust_count; i++)
        ok = cs_ct_memcmp(cfg->rpk_trust[i], hs->peer_fp, 32) == 0;
    if (!ok && cfg->rpk_verify)
        ok = cfg->rpk_verify(cfg->rpk_user, spki, len, hs->peer_fp) == 0;
    if (!ok) {
        char h[65];
        hex(hs->peer_fp, 32, h);
        return cs_failf(c, COAPSEC_ERR_AUTH, COAPSEC_DTLS_ALERT_BAD_CERTIFICATE,
                        "unknown raw public key (sha256:%s)", h);
    }
    hs->have_peer_pub = 1;
    hs->peer_auth = COAPSEC_DTLS_AUTH_RPK;
    hs->peer_name[0] = 0;
    return 0;
}

static int x509_refusal(coapsec_dtls_conn *c, const cs_x509_result *res) {
    int alert = COAPSEC_DTLS_ALERT_BAD_CERTIFICATE;
    const char *what = "bad certificate";
    switch (res->reason) {
    case CS_X509_UNTRUSTED_CA:
        alert = COAPSEC_DTLS_ALERT_UNKNOWN_CA;
        what = "untrusted CA";
        break;
    case CS_X509_EXPIRED:
        alert = COAPSEC_DTLS_ALERT_CERTIFICATE_EXPIRED;
        what = "certificate expired";
        break;
    case CS_X509_NOT_YET_VALID:
        alert = COAPSEC_DTLS_ALERT_CERTIFICATE_EXPIRED;
        what = "certificate not yet valid";
        break;
    case CS_X509_WRONG_KEY_TYPE:
    case CS_X509_WRONG_CURVE:
        alert = COAPSEC_DTLS_ALERT_UNSUPPORTED_CERTIFICATE;
        what = "wrong curve";
        break;
    case CS_X509_WRONG_SIG_ALG:
        alert = COAPSEC_DTLS_ALERT_UNSUPPORTED_CERTIFICATE;
        what = "wrong signature algorithm";
        break;
    case CS_X509_NO_DIGITAL_SIGNATURE:
        what = "leaf lacks digitalSignature";
        break;
    case CS_X509_MALFORMED:
        alert = COAPSEC_DTLS_ALERT_DECODE_ERROR;
        what = "malformed certificate";
        break;
    default:
        break;
    }
    return cs_failf(c, COAPSEC_ERR_AUTH, alert, "%s (certificate at depth %d; %s)", what,
                    res->depth, res->detail);
}

static int on_x509(coapsec_dtls_conn *c, const uint8_t *p, size_t n) {
    coapsec_dtls_hs *hs = c->hs;
    const coapsec_dtls_config *cfg = c->cfg;
    /* p/n: the whole body; the first certificate is the leaf. */
    size_t leaf_len = cs_get24(p + 3);
    const uint8_t *leaf = p + 6;
    if (n < 6 || leaf_len == 0 || leaf_len > n - 6)
        return cs_failf(c, COAPSEC_ERR_HANDSHAKE, COAPSEC_DTLS_ALERT_DECODE_ERROR,
                        "malformed Certificate");
    if (cfg->insecure_no_verify) {
        if (cs_x509_leaf_public(leaf, leaf_len, hs->peer_pub) != 0)
            return cs_failf(c, COAPSEC_ERR_AUTH, COAPSEC_DTLS_ALERT_UNSUPPORTED_CERTIFICATE,
                            "wrong curve: the certificate key is not EC P-256");
    } else {
        cs_x509_verify_params vp;
        memset(&vp, 0, sizeof vp);
        vp.purpose = c->role == CS_ROLE_CLIENT ? CS_X509_PURPOSE_SERVER : CS_X509_PURPOSE_CLIENT;
        vp.max_depth = -1;
        if (cfg->no_clock)
            vp.no_clock = 1;
        else if (cfg->wall_clock)
            vp.now = cfg->wall_clock(cfg->clock_user);
        else
            return cs_failf(c, COAPSEC_ERR_AUTH, COAPSEC_DTLS_ALERT_CERTIFICATE_UNKNOWN,
                            "cannot check certificate dates: no wall clock configured "
                            "(set wall_clock or no_clock)");
        if (!cfg->trust)
            return cs_failf(c, COAPSEC_ERR_AUTH, COAPSEC_DTLS_ALERT_UNKNOWN_CA,
                            "untrusted CA: no trust anchors configured");
        cs_x509_result res;
        int rc = cs_x509_verify_tls_list((const cs_x509_trust *)(const void *)cfg->trust, p, n, &vp,
                                         &res);
        if (rc == COAPSEC_ERR_AUTH)
            return x509_refusal(c, &res);
        if (rc != 0)
            return cs_failf(c, COAPSEC_ERR_CRYPTO, COAPSEC_DTLS_ALERT_INTERNAL_ERROR,
                            "certificate verification failed: %s", res.detail);
        memcpy(hs->peer_pub, res.leaf_pub, sizeof hs->peer_pub);
    }
    if (cs_cert_name(leaf, leaf_len, hs->peer_name, sizeof hs->peer_name) != 0)
        hs->peer_name[0] = 0;
    /* Resumption (resume.c) refuses the session once the leaf expired. */
    hs->cert_na_ok = cs_cert_not_after(leaf, leaf_len, &hs->cert_not_after) == 0;
    if (!hs->cert_na_ok)
        hs->cert_not_after = 0; /* unknown: treated as expired */
    if (c->role == CS_ROLE_CLIENT && cfg->verify_name && hs->authority[0] &&
        !cfg->insecure_no_verify && cs_x509_check_name(leaf, leaf_len, hs->authority) != 0)
        return cs_failf(c, COAPSEC_ERR_AUTH, COAPSEC_DTLS_ALERT_BAD_CERTIFICATE,
                        "name mismatch: dialled %s, certificate has %s", hs->authority,
                        hs->peer_name[0] ? hs->peer_name : "no name");
    uint8_t spki[CS_P256_SPKI_LEN];
    cs_p256_spki_wrap(hs->peer_pub, spki); /* the leaf's point, decoded by libcrypto */
    cs_spki_fingerprint(spki, sizeof spki, hs->peer_fp);
    hs->have_peer_pub = 1;
    hs->peer_auth = COAPSEC_DTLS_AUTH_X509;
    return 0;
}

int cs_on_certificate(coapsec_dtls_conn *c, const uint8_t *p, size_t n) {
    coapsec_dtls_hs *hs = c->hs;
    uint8_t type = c->role == CS_ROLE_CLIENT ? hs->srv_ct : hs->cli_ct;
    if (n < 3 || cs_get24(p) != n - 3)
        return cs_failf(c, COAPSEC_ERR_HANDSHAKE, COAPSEC_DTLS_ALERT_DECODE_ERROR,
                        "malformed Certificate");
    if (n == 3) { /* empty */
        if (c->role == CS_ROLE_SERVER && !c->cfg->require_client_auth) {
            hs->peer_auth = COAPSEC_DTLS_AUTH_NONE;
            return 0;
        }
        return cs_failf(c, COAPSEC_ERR_AUTH, COAPSEC_DTLS_ALERT_HANDSHAKE_FAILURE,
                        "the %s sent no certificate",
                        c->role == CS_ROLE_CLIENT ? "server" : "client");
    }
    /* An SPKI starts with a SEQUENCE; a certificate_list with a 3-byte length. */
    bool looks_spki = p[3] == 0x30;
    if (type == COAPSEC_DTLS_CT_RPK) {
        if (!looks_spki)
            return cs_failf(c, COAPSEC_ERR_AUTH, COAPSEC_DTLS_ALERT_UNSUPPORTED_CERTIFICATE,
                            "peer sent X.509 where a raw key was negotiated");
        return on_rpk(c, p + 3, n - 3);
    }
    if (looks_spki)
        return cs_failf(c, COAPSEC_ERR_AUTH, COAPSEC_DTLS_ALERT_UNSUPPORTED_CERTIFICATE,
                        "peer sent a raw key where X.509 was negotiated");
    return on_x509(c, p, n);
}

int cs_add_certificate_request(coapsec_dtls_conn *c) {
    const coapsec_dtls_config *cfg = c->cfg;
    size_t cal = cfg->ca_names ? cfg->ca_names_len : 0;
    if (cal > COAPSEC_DTLS_FLIGHT_MAX / 2)
        return COAPSEC_ERR_INVAL;
    uint8_t b[1 + 1 + 2 + 2 + 2 + COAPSEC_DTLS_FLIGHT_MAX / 2];
    size_t n = 0;
    b[n++] = 1;
    b[n++] = CS_CERT_ECDSA_SIGN;
    cs_put16(b + n, 2);
    cs_put16(b + n + 2, CS_SIG_ECDSA_P256);
    n += 4;
    cs_put16(b + n, (uint32_t)cal);
    n += 2;
    if (cal)
        memcpy(b + n, cfg->ca_names, cal);
    n += cal;
    return cs_flight_add_hs(c, CS_HT_CERTIFICATE_REQUEST, b, n);
}

int cs_on_certificate_request(coapsec_dtls_conn *c, const uint8_t *p, size_t n) {
    coapsec_dtls_hs *hs = c->hs;
    cs_rd r;
    cs_rd_init(&r, p, n);
    size_t tl, sl, cl;
    const uint8_t *types = cs_rd_vec(&r, 1, &tl);
    const uint8_t *algs = cs_rd_vec(&r, 2, &sl);
    (void)cs_rd_vec(&r, 2, &cl); /* certificate_authorities: we have one identity */
    if (r.err || r.left || tl == 0 || sl < 2 || (sl & 1))
        return cs_failf(c, COAPSEC_ERR_HANDSHAKE, COAPSEC_DTLS_ALERT_DECODE_ERROR,
                        "malformed CertificateRequest");
    bool ecdsa = memchr(types, CS_CERT_ECDSA_SIGN, tl) != NULL, alg = false;
    for (size_t i = 0; i < sl; i += 2)
        if (cs_get16(algs + i) == CS_SIG_ECDSA_P256)
            alg = true;
    bool have =
        hs->identity && hs->identity->key && (cs_ct_own_ok(c->cfg, hs->identity) & hs->cli_ct);
    /* 1: send our certificate/key and a CertificateVerify; 2: an empty list. */
    hs->cert_req = (ecdsa && alg && have) ? 1 : 2;
    return 0;
}

int cs_add_certificate_verify(coapsec_dtls_conn *c) {
    coapsec_dtls_hs *hs = c->hs;
    uint8_t hash[32], body[4 + CS_ECDSA_SIG_MAX];
    cs_transcript_hash(hs, hash);
    size_t siglen = CS_ECDSA_SIG_MAX;
    if (cs_ecdsa_p256_sign_hash(own_key(hs), hash, body + 4, &siglen) != 0)
        return COAPSEC_ERR_CRYPTO;
    cs_put16(body, CS_SIG_ECDSA_P256);
    cs_put16(body + 2, (uint32_t)siglen);
    return cs_flight_add_hs(c, CS_HT_CERTIFICATE_VERIFY, body, 4 + siglen);
}

int cs_on_certificate_verify(coapsec_dtls_conn *c, const uint8_t *p, size_t n) {
    coapsec_dtls_hs *hs = c->hs;
    cs_rd r;
    cs_rd_init(&r, p, n);
    unsigned alg = cs_rd_u16(&r);
    size_t siglen;
    const uint8_t *sig = cs_rd_vec(&r, 2, &siglen);
    if (r.err || r.left)
        return cs_failf(c, COAPSEC_ERR_HANDSHAKE, COAPSEC_DTLS_ALERT_DECODE_ERROR,
                        "malformed CertificateVerify");
    if (alg != CS_SIG_ECDSA_P256)
        return cs_failf(c, COAPSEC_ERR_HANDSHAKE, COAPSEC_DTLS_ALERT_ILLEGAL_PARAMETER,
                        "wrong signature algorithm 0x%04X in CertificateVerify", alg);
    if (cs_ecdsa_p256_verify_hash(hs->peer_pub, hs->cv_hash, sig, siglen) != 0)
        return cs_failf(c, COAPSEC_ERR_AUTH, COAPSEC_DTLS_ALERT_DECRYPT_ERROR,
                        "CertificateVerify signature does not verify with the client's key");
    return 0;
}
