/*
 * dtls/ecdhe.c - the ephemeral ECDH key exchange of
 * TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 (RFC 8422 §5.4, §5.7; RFC 7251) on
 * secp256r1: a fresh key pair per handshake, the signed ServerKeyExchange
 * (ECParameters || ECPoint, signed with ecdsa_secp256r1_sha256 over
 * client_random || server_random || params) and the ClientKeyExchange. The
 * peer's point is checked (65 bytes, uncompressed, on the curve, not
 * infinity) by the crypto module when the premaster secret is derived.
 */
#include "dtls/dtls_int.h"

#define PARAMS_LEN (1 + 2 + 1 + CS_P256_PUB_LEN) /* named_curve, secp256r1, point */

int cs_ecdhe_keygen(coapsec_dtls_conn *c) {
    coapsec_dtls_hs *hs = c->hs;
#ifdef COAPSEC_FUZZING
    /* Fixed key: recorded seeds stay valid across runs. */
    for (int i = 0; i < 32; i++)
        hs->ecdh_priv[i] = (uint8_t)(i + 1);
    cs_p256_key *k = NULL;
    int rc = cs_p256_key_from_priv(&k, hs->ecdh_priv);
    if (rc == 0)
        rc = cs_p256_key_public(k, hs->ecdh_pub);
    cs_p256_key_free(k);
    return rc == 0 ? 0 : COAPSEC_ERR_CRYPTO;
#else
    return cs_ecdh_p256_keygen(hs->ecdh_priv, hs->ecdh_pub) == 0 ? 0 : COAPSEC_ERR_CRYPTO;
#endif
}

static void put_params(const coapsec_dtls_hs *hs, uint8_t *p) {
    p[0] = CS_CURVE_NAMED;
    cs_put16(p + 1, CS_GROUP_SECP256R1);
    p[3] = CS_P256_PUB_LEN;
    memcpy(p + 4, hs->ecdh_pub, CS_P256_PUB_LEN);
}

/* client_random || server_random || params: what the signature covers. */
static void signed_data(const coapsec_dtls_hs *hs, const uint8_t *params, size_t plen,
                        uint8_t *out) {
    memcpy(out, hs->client_random, 32);
    memcpy(out + 32, hs->server_random, 32);
    memcpy(out + 64, params, plen);
}

int cs_add_server_key_exchange(coapsec_dtls_conn *c) {
    coapsec_dtls_hs *hs = c->hs;
    if (!hs->identity || !hs->identity->key)
        return COAPSEC_ERR_STATE;
    int rc = cs_ecdhe_keygen(c);
    if (rc)
        return rc;
    uint8_t body[PARAMS_LEN + 4 + CS_ECDSA_SIG_MAX];
    uint8_t tbs[64 + PARAMS_LEN];
    put_params(hs, body);
    signed_data(hs, body, PARAMS_LEN, tbs);
    size_t siglen = CS_ECDSA_SIG_MAX;
    if (cs_ecdsa_p256_sign((const cs_p256_key *)(const void *)hs->identity->key, tbs, sizeof tbs,
                           body + PARAMS_LEN + 4, &siglen) != 0)
        return COAPSEC_ERR_CRYPTO;
    cs_put16(body + PARAMS_LEN, CS_SIG_ECDSA_P256);
    cs_put16(body + PARAMS_LEN + 2, (uint32_t)siglen);
    return cs_flight_add_hs(c, CS_HT_SERVER_KEY_EXCHANGE, body, PARAMS_LEN + 4 + siglen);
}

int cs_on_server_key_exchange(coapsec_dtls_conn *c, const uint8_t *p, size_t n) {
    coapsec_dtls_hs *hs = c->hs;
    cs_rd r;
    cs_rd_init(&r, p, n);
    unsigned ctype = cs_rd_u8(&r);
    unsigned group = cs_rd_u16(&r);
    size_t plen;
    const uint8_t *point = cs_rd_vec(&r, 1, &plen);
    size_t params_len = n - r.left;
    unsigned alg = cs_rd_u16(&r);
    size_t siglen;
    const uint8_t *sig = cs_rd_vec(&r, 2, &siglen);
    if (r.err || r.left)
        return cs_failf(c, COAPSEC_ERR_HANDSHAKE, COAPSEC_DTLS_ALERT_DECODE_ERROR,
                        "malformed ServerKeyExchange");
    /* RFC 8422 §5.4: only named curves, and only the one we offered. */
    if (ctype != CS_CURVE_NAMED || group != CS_GROUP_SECP256R1)
        return cs_failf(c, COAPSEC_ERR_HANDSHAKE, COAPSEC_DTLS_ALERT_ILLEGAL_PARAMETER,
                        "wrong curve: server chose curve type %u group %u, not secp256r1", ctype,
                        group);
    if (alg != CS_SIG_ECDSA_P256)
        return cs_failf(c, COAPSEC_ERR_HANDSHAKE, COAPSEC_DTLS_ALERT_ILLEGAL_PARAMETER,
                        "wrong signature algorithm 0x%04X in ServerKeyExchange", alg);
    int rc = cs_ecdhe_keygen(c);
    if (rc)
        return cs_failf(c, rc, COAPSEC_DTLS_ALERT_INTERNAL_ERROR, "ECDH key generation failed");
    /* The point first: an invalid one is illegal_parameter (RFC 8422 §5.10). */
    if (cs_ecdh_p256_derive(hs->ecdh_priv, point, plen, hs->pms) != 0)
        return cs_failf(c, COAPSEC_ERR_HANDSHAKE, COAPSEC_DTLS_ALERT_ILLEGAL_PARAMETER,
                        "invalid ECDH point in ServerKeyExchange (%zu bytes, off the curve, "
                        "compressed or infinity)",
                        plen);
    hs->have_pms = 1;
    uint8_t tbs[64 + PARAMS_LEN];
    if (params_len != PARAMS_LEN || !hs->have_peer_pub)
        return cs_failf(c, COAPSEC_ERR_HANDSHAKE, COAPSEC_DTLS_ALERT_ILLEGAL_PARAMETER,
                        "malformed ECDH parameters");
    signed_data(hs, p, PARAMS_LEN, tbs);
    if (cs_ecdsa_p256_verify(hs->peer_pub, tbs, sizeof tbs, sig, siglen) != 0)
        return cs_failf(c, COAPSEC_ERR_AUTH, COAPSEC_DTLS_ALERT_DECRYPT_ERROR,
                        "tampered ServerKeyExchange signature (does not verify with the "
                        "server's key)");
    return 0;
}

int cs_add_ecdhe_cke(coapsec_dtls_conn *c) {
    uint8_t body[1 + CS_P256_PUB_LEN];
    body[0] = CS_P256_PUB_LEN;
    memcpy(body + 1, c->hs->ecdh_pub, CS_P256_PUB_LEN);
    return cs_flight_add_hs(c, CS_HT_CLIENT_KEY_EXCHANGE, body, sizeof body);
}

int cs_on_ecdhe_cke(coapsec_dtls_conn *c, const uint8_t *p, size_t n) {
    coapsec_dtls_hs *hs = c->hs;
    cs_rd r;
    cs_rd_init(&r, p, n);
    size_t plen;
    const uint8_t *point = cs_rd_vec(&r, 1, &plen);
    if (r.err || r.left || plen == 0)
        return cs_failf(c, COAPSEC_ERR_HANDSHAKE, COAPSEC_DTLS_ALERT_DECODE_ERROR,
                        "malformed ClientKeyExchange");
    if (cs_ecdh_p256_derive(hs->ecdh_priv, point, plen, hs->pms) != 0)
        return cs_failf(c, COAPSEC_ERR_HANDSHAKE, COAPSEC_DTLS_ALERT_ILLEGAL_PARAMETER,
                        "invalid ECDH point in ClientKeyExchange (%zu bytes, off the curve, "
                        "compressed or infinity)",
                        plen);
    hs->have_pms = 1;
    return 0;
}
