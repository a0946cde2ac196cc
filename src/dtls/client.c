/*
 * dtls/client.c - the client handshake state machine (RFC 6347 §4.2, PSK key
 * exchange RFC 4279): ClientHello (again with the cookie after a
 * HelloVerifyRequest), ServerHello and its extensions, the optional
 * ServerKeyExchange identity hint, ServerHelloDone, our
 * ClientKeyExchange/ChangeCipherSpec/Finished flight and the server's Finished.
 */
#include "dtls/dtls_int.h"

static int fail(coapsec_dtls_conn *c, int alert, const char *reason) {
    return cs_fail(c, COAPSEC_ERR_HANDSHAKE, alert, false, reason);
}

int coapsec_dtls_client_start(coapsec_dtls_conn *c, const coapsec_dtls_config *cfg, void *user,
                              coapsec_dtls_hs *hs, const uint8_t *psk_id, size_t idlen,
                              const uint8_t *psk, size_t psklen, coapsec_tstamp now) {
    if (!c || !cfg || !hs || !psk_id || !psk || idlen == 0 || idlen > COAPSEC_DTLS_PSK_ID_MAX ||
        psklen == 0 || psklen > COAPSEC_DTLS_PSK_KEY_MAX)
        return COAPSEC_ERR_INVAL;
    memset(c, 0, sizeof *c);
    memset(hs, 0, sizeof *hs);
    c->cfg = cfg;
    c->user = user;
    c->hs = hs;
    c->role = CS_ROLE_CLIENT;
    c->max_plain = 16384;
    c->last_alert = COAPSEC_DTLS_ALERT_NONE;
    c->suite = COAPSEC_DTLS_PSK_AES_128_CCM_8;
    memcpy(hs->psk_id, psk_id, idlen);
    hs->psk_id_len = (uint8_t)idlen;
    memcpy(hs->psk, psk, psklen);
    hs->psk_len = (uint8_t)psklen;
    hs->deadline = COAPSEC_TSTAMP_NONE;
    if (cs_cfg_random(cfg, hs->client_random, 32) != 0)
        return COAPSEC_ERR_CRYPTO;
    c->state = CS_ST_C_WAIT_HELLO;
    int rc = cs_client_send_hello(c, now);
    if (rc < 0)
        c->state = CS_ST_FAILED;
    return rc;
}

int cs_client_send_hello(coapsec_dtls_conn *c, coapsec_tstamp now) {
    coapsec_dtls_hs *hs = c->hs;
    uint8_t b[2 + 32 + 1 + 1 + 255 + 2 + 2 + 2 + 2 + 4 + 5];
    size_t n = 0;
    cs_put16(b, CS_DTLS12);
    n += 2;
    memcpy(b + n, hs->client_random, 32);
    n += 32;
    b[n++] = 0; /* session_id: none */
    b[n++] = hs->cookie_len;
    memcpy(b + n, hs->cookie, hs->cookie_len);
    n += hs->cookie_len;
    /* Only the suites our credentials allow: PSK -> 0xC0A8. */
    cs_put16(b + n, 2);
    cs_put16(b + n + 2, COAPSEC_DTLS_PSK_AES_128_CCM_8);
    n += 4;
    b[n++] = 1; /* compression: null */
    b[n++] = 0;
    size_t extstart = n;
    n += 2;
    if (c->cfg->offer_ems) {
        cs_put16(b + n, CS_EXT_EMS);
        cs_put16(b + n + 2, 0);
        n += 4;
    }
    cs_put16(b + n, CS_EXT_RENEGOTIATION_INFO);
    cs_put16(b + n + 2, 1);
    b[n + 4] = 0;
    n += 5;
    cs_put16(b + extstart, (uint32_t)(n - extstart - 2));

    cs_flight_begin(hs);
    cs_transcript_reset(hs); /* the transcript starts with the last ClientHello */
    int rc = cs_flight_add_hs(c, CS_HT_CLIENT_HELLO, b, n);
    if (rc)
        return rc;
    rc = cs_flight_send(c, now);
    if (rc)
        return rc;
    cs_flight_arm(c, false, now);
    return 0;
}

static int on_hvr(coapsec_dtls_conn *c, const uint8_t *p, size_t n, coapsec_tstamp now) {
    coapsec_dtls_hs *hs = c->hs;
    cs_rd r;
    cs_rd_init(&r, p, n);
    (void)cs_rd_u16(&r); /* server_version: {254,255} or {254,253}, both fine */
    size_t clen;
    const uint8_t *ck = cs_rd_vec(&r, 1, &clen);
    if (r.err || r.left || clen == 0)
        return fail(c, COAPSEC_DTLS_ALERT_DECODE_ERROR, "malformed HelloVerifyRequest");
    memcpy(hs->cookie, ck, clen);
    hs->cookie_len = (uint8_t)clen;
    hs->peer_last_seq = (uint16_t)(hs->recv_seq - 1);
    hs->peer_last_valid = 1;
    int rc = cs_client_send_hello(c, now);
    if (rc < 0)
        return cs_fail(c, rc, COAPSEC_DTLS_ALERT_INTERNAL_ERROR, false, "cannot send ClientHello");
    return 0;
}

static int on_server_hello(coapsec_dtls_conn *c, const uint8_t *p, size_t n) {
    coapsec_dtls_hs *hs = c->hs;
    cs_rd r;
    cs_rd_init(&r, p, n);
    unsigned ver = cs_rd_u16(&r);
    const uint8_t *rnd = cs_rd_bytes(&r, 32);
    size_t sidlen, extlen = 0;
    const uint8_t *sid = cs_rd_vec(&r, 1, &sidlen);
    unsigned suite = cs_rd_u16(&r);
    unsigned comp = cs_rd_u8(&r);
    const uint8_t *ext = NULL;
    if (!r.err && r.left)
        ext = cs_rd_vec(&r, 2, &extlen);
    if (r.err || r.left || sidlen > 32)
        return fail(c, COAPSEC_DTLS_ALERT_DECODE_ERROR, "malformed ServerHello");
    if (ver != CS_DTLS12)
        return fail(c, COAPSEC_DTLS_ALERT_PROTOCOL_VERSION, "server does not speak DTLS 1.2");
    if (suite != COAPSEC_DTLS_PSK_AES_128_CCM_8 || comp != 0)
        return fail(c, COAPSEC_DTLS_ALERT_ILLEGAL_PARAMETER, "server chose a suite not offered");
    memcpy(hs->server_random, rnd, 32);
    memcpy(hs->session_id, sid, sidlen);
    hs->session_id_len = (uint8_t)sidlen;
    cs_exts e;
    if (cs_ext_parse(ext, extlen, true, &e) != 0)
        return fail(c, COAPSEC_DTLS_ALERT_DECODE_ERROR, "malformed ServerHello extensions");
    if (e.unknown_in_sh || e.mfl || (e.ems && !c->cfg->offer_ems))
        return fail(c, COAPSEC_DTLS_ALERT_UNSUPPORTED_EXTENSION, "unsolicited extension");
    if (e.reneg_bad)
        return fail(c, COAPSEC_DTLS_ALERT_HANDSHAKE_FAILURE, "bad renegotiation_info");
    hs->ems = e.ems;
    hs->reneg = e.reneg;
    c->suite = (uint16_t)suite;
    c->max_plain = cs_ext_plain_limit(0, e.rsl);
    c->state = CS_ST_C_WAIT_SKE_SHD;
    return 0;
}

static int send_flight5(coapsec_dtls_conn *c, coapsec_tstamp now) {
    coapsec_dtls_hs *hs = c->hs;
    uint8_t cke[2 + COAPSEC_DTLS_PSK_ID_MAX];
    cs_put16(cke, hs->psk_id_len);
    memcpy(cke + 2, hs->psk_id, hs->psk_id_len);
    hs->peer_last_seq = (uint16_t)(hs->recv_seq - 1);
    hs->peer_last_valid = 1;
    cs_flight_begin(hs);
    int rc = cs_flight_add_hs(c, CS_HT_CLIENT_KEY_EXCHANGE, cke, 2u + hs->psk_id_len);
    if (!rc)
        rc = cs_derive_keys(c);
    if (!rc)
        rc = cs_flight_add_ccs(c);
    if (!rc)
        rc = cs_add_finished(c);
    if (!rc)
        rc = cs_flight_send(c, now);
    if (rc)
        return cs_fail(c, rc, COAPSEC_DTLS_ALERT_INTERNAL_ERROR, false, "cannot send flight");
    cs_flight_arm(c, false, now);
    c->state = CS_ST_C_WAIT_CCS;
    return 0;
}

int cs_client_handle(coapsec_dtls_conn *c, uint8_t type, const uint8_t *body, size_t len,
                     coapsec_tstamp now) {
    switch (c->state) {
    case CS_ST_C_WAIT_HELLO:
        if (type == CS_HT_HELLO_VERIFY)
            return on_hvr(c, body, len, now);
        if (type == CS_HT_SERVER_HELLO)
            return on_server_hello(c, body, len);
        break;
    case CS_ST_C_WAIT_SKE_SHD:
        if (type == CS_HT_SERVER_KEY_EXCHANGE) {
            cs_rd r;
            size_t hl;
            cs_rd_init(&r, body, len);
            (void)cs_rd_vec(&r, 2, &hl); /* psk_identity_hint: not used */
            if (r.err || r.left)
                return fail(c, COAPSEC_DTLS_ALERT_DECODE_ERROR, "malformed ServerKeyExchange");
            c->state = CS_ST_C_WAIT_SHD;
            return 0;
        }
        /* ServerKeyExchange is optional (RFC 4279 §2). */
        if (type == CS_HT_SERVER_HELLO_DONE) {
            if (len != 0)
                return fail(c, COAPSEC_DTLS_ALERT_DECODE_ERROR, "malformed ServerHelloDone");
            return send_flight5(c, now);
        }
        break;
    case CS_ST_C_WAIT_SHD:
        if (type == CS_HT_SERVER_HELLO_DONE) {
            if (len != 0)
                return fail(c, COAPSEC_DTLS_ALERT_DECODE_ERROR, "malformed ServerHelloDone");
            return send_flight5(c, now);
        }
        break;
    case CS_ST_C_WAIT_FIN:
        if (type == CS_HT_FINISHED) {
            int rc = cs_check_finished(c, body, len);
            if (rc < 0)
                return rc;
            cs_established(c, now);
            return 0;
        }
        break;
    default:
        break;
    }
    return fail(c, COAPSEC_DTLS_ALERT_UNEXPECTED_MESSAGE, "unexpected handshake message");
}
