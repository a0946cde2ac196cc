/*
 * dtls/keys.c - the key schedule: PSK premaster secret (RFC 4279 §2), master
 * secret with or without the extended master secret (RFC 5246 §8.1,
 * RFC 7627 §4), key block for the AES-128-CCM-8 suites (RFC 5246 §6.3,
 * RFC 6655) and Finished verify_data (RFC 5246 §7.4.9). All through the
 * crypto module's TLS 1.2 PRF.
 */
#include "dtls/dtls_int.h"

size_t cs_psk_premaster(const uint8_t *psk, size_t psklen, uint8_t *out) {
    cs_put16(out, (uint32_t)psklen);
    memset(out + 2, 0, psklen);
    cs_put16(out + 2 + psklen, (uint32_t)psklen);
    memcpy(out + 4 + psklen, psk, psklen);
    return 4 + 2 * psklen;
}

int cs_master_secret(const uint8_t *pms, size_t pmslen, bool ems, const uint8_t crand[32],
                     const uint8_t srand[32], const uint8_t session_hash[32], uint8_t out[48]) {
    if (ems)
        return cs_tls12_prf(pms, pmslen, "extended master secret", session_hash, 32, out, 48);
    uint8_t seed[64];
    memcpy(seed, crand, 32);
    memcpy(seed + 32, srand, 32);
    return cs_tls12_prf(pms, pmslen, "master secret", seed, sizeof seed, out, 48);
}

int cs_key_block(coapsec_dtls_conn *c, const uint8_t crand[32], const uint8_t srand[32]) {
    /* No MAC keys with an AEAD: client_write_key, server_write_key,
     * client_write_IV, server_write_IV. */
    uint8_t seed[64], kb[40];
    memcpy(seed, srand, 32);
    memcpy(seed + 32, crand, 32);
    int rc = cs_tls12_prf(c->hs->master, sizeof c->hs->master, "key expansion", seed, sizeof seed,
                          kb, sizeof kb);
    if (rc != 0)
        return COAPSEC_ERR_CRYPTO;
    memcpy(c->key[0], kb, 16);
    memcpy(c->key[1], kb + 16, 16);
    memcpy(c->iv[0], kb + 32, 4);
    memcpy(c->iv[1], kb + 36, 4);
    cs_wipe(kb, sizeof kb);
    return 0;
}

int cs_finished(const coapsec_dtls_conn *c, bool client_label, const uint8_t hash[32],
                uint8_t out[CS_VERIFY_LEN]) {
    const char *label = client_label ? "client finished" : "server finished";
    const uint8_t *ms = c->hs->master;
    return cs_tls12_prf(ms, 48, label, hash, 32, out, CS_VERIFY_LEN) != 0 ? COAPSEC_ERR_CRYPTO : 0;
}

int cs_derive_keys(coapsec_dtls_conn *c) {
    coapsec_dtls_hs *hs = c->hs;
    uint8_t pms[4 + 2 * COAPSEC_DTLS_PSK_KEY_MAX], session_hash[32];
    size_t n;
    if (c->suite == COAPSEC_DTLS_ECDHE_ECDSA_AES_128_CCM_8) {
        if (!hs->have_pms)
            return COAPSEC_ERR_STATE;
        memcpy(pms, hs->pms, sizeof hs->pms); /* RFC 8422 §5.10: the ECDH X coordinate */
        n = sizeof hs->pms;
    } else {
        n = cs_psk_premaster(hs->psk, hs->psk_len, pms);
    }
    cs_transcript_hash(hs, session_hash); /* up to and including ClientKeyExchange */
    int rc = cs_master_secret(pms, n, hs->ems, hs->client_random, hs->server_random, session_hash,
                              hs->master);
    cs_wipe(pms, sizeof pms);
    if (rc != 0)
        return COAPSEC_ERR_CRYPTO;
    rc = cs_key_block(c, hs->client_random, hs->server_random);
    if (rc != 0)
        return rc;
    c->flags |= CS_F_KEYS;
    if (hs->ems)
        c->flags |= CS_F_EMS;
    return 0;
}

int cs_check_finished(coapsec_dtls_conn *c, const uint8_t *body, size_t len) {
    coapsec_dtls_hs *hs = c->hs;
    uint8_t hash[32], expect[CS_VERIFY_LEN];
    cs_transcript_hash(hs, hash);
    if (cs_finished(c, c->role == CS_ROLE_SERVER, hash, expect) != 0)
        return cs_fail(c, COAPSEC_ERR_CRYPTO, COAPSEC_DTLS_ALERT_INTERNAL_ERROR, false,
                       "PRF failed");
    if (len != CS_VERIFY_LEN)
        return cs_fail(c, COAPSEC_ERR_HANDSHAKE, COAPSEC_DTLS_ALERT_DECODE_ERROR, false,
                       "malformed Finished");
    if (cs_ct_memcmp(expect, body, CS_VERIFY_LEN) != 0)
        return cs_fail(c, COAPSEC_ERR_AUTH, COAPSEC_DTLS_ALERT_DECRYPT_ERROR, false,
                       "Finished does not verify: wrong key or identity");
    uint8_t hdr[CS_HS_HDR];
    cs_hs_header(hdr, CS_HT_FINISHED, CS_VERIFY_LEN, (uint16_t)(hs->recv_seq - 1), 0,
                 CS_VERIFY_LEN);
    cs_transcript_add(hs, hdr, sizeof hdr);
    cs_transcript_add(hs, body, CS_VERIFY_LEN);
    return 0;
}

int cs_add_finished(coapsec_dtls_conn *c) {
    uint8_t hash[32], vd[CS_VERIFY_LEN];
    cs_transcript_hash(c->hs, hash);
    if (cs_finished(c, c->role == CS_ROLE_CLIENT, hash, vd) != 0)
        return COAPSEC_ERR_CRYPTO;
    return cs_flight_add_hs(c, CS_HT_FINISHED, vd, sizeof vd);
}
