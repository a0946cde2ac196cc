/*
 * dtls/client.c - the client handshake state machine (RFC 6347 §4.2, PSK key
 * exchange RFC 4279, ECDHE_ECDSA RFC 8422 / RFC 7250): ClientHello with the
 * suites our credentials allow (again with the cookie after a
 * HelloVerifyRequest), ServerHello and its extensions, the optional PSK
 * ServerKeyExchange identity hint or the server's Certificate, signed
 * ServerKeyExchange and CertificateRequest, ServerHelloDone, our
 * [Certificate] ClientKeyExchange [CertificateVerify] ChangeCipherSpec
 * Finished flight and the server's Finished. Resumption (RFC 5246 §7.3,
 * RFC 5077): the saved session's ID and/or ticket in the ClientHello; when
 * the ServerHello echoes the session ID, the abbreviated handshake
 * ([NewSessionTicket] ChangeCipherSpec Finished from the server, ours last);
 * tickets received in NewSessionTicket are kept for the next time.
 */
#include "dtls/dtls_int.h"

static int fail(coapsec_dtls_conn *c, int alert, const char *reason) {
    return cs_fail(c, COAPSEC_ERR_HANDSHAKE, alert, false, reason);
}

int coapsec_dtls_client_start(coapsec_dtls_conn *c, const coapsec_dtls_config *cfg, void *user,
                              coapsec_dtls_hs *hs, const uint8_t *psk_id, size_t idlen,
                              const uint8_t *psk, size_t psklen, coapsec_tstamp now) {
    if (!psk_id || !psk || idlen == 0 || psklen == 0)
        return COAPSEC_ERR_INVAL;
    coapsec_dtls_client_creds cr;
    memset(&cr, 0, sizeof cr);
    cr.psk_id = psk_id;
    cr.psk_id_len = idlen;
    cr.psk = psk;
    cr.psk_len = psklen;
    return coapsec_dtls_client_start_ex(c, cfg, user, hs, &cr, now);
}

int coapsec_dtls_client_start_ex(coapsec_dtls_conn *c, const coapsec_dtls_config *cfg, void *user,
                                 coapsec_dtls_hs *hs, const coapsec_dtls_client_creds *cr,
                                 coapsec_tstamp now) {
    if (!c || !cfg || !hs || !cr)
        return COAPSEC_ERR_INVAL;
    bool psk = cr->psk_id != NULL || cr->psk != NULL;
    if (psk && (!cr->psk_id || !cr->psk || cr->psk_id_len == 0 ||
                cr->psk_id_len > COAPSEC_DTLS_PSK_ID_MAX || cr->psk_len == 0 ||
                cr->psk_len > COAPSEC_DTLS_PSK_KEY_MAX))
        return COAPSEC_ERR_INVAL;
    bool ecdhe = cs_ct_peer_ok(cfg) != 0;
    if ((!psk && !ecdhe) || (cr->authority && strlen(cr->authority) >= sizeof hs->authority))
        return COAPSEC_ERR_INVAL;
    cs_conn_reset(c, cfg, user, hs, CS_ROLE_CLIENT);
    c->suite = psk ? COAPSEC_DTLS_PSK_AES_128_CCM_8 : COAPSEC_DTLS_ECDHE_ECDSA_AES_128_CCM_8;
    hs->offered = (uint8_t)((psk ? 1 : 0) | (ecdhe ? 2 : 0));
    if (psk) {
        memcpy(hs->psk_id, cr->psk_id, cr->psk_id_len);
        hs->psk_id_len = (uint8_t)cr->psk_id_len;
        memcpy(hs->psk, cr->psk, cr->psk_len);
        hs->psk_len = (uint8_t)cr->psk_len;
    }
    hs->identity = cr->identity;
    if (cr->authority)
        memcpy(hs->authority, cr->authority, strlen(cr->authority) + 1);
    hs->deadline = COAPSEC_TSTAMP_NONE;
    if (cs_cfg_nonce(cfg, hs->client_random, 32) != 0)
        return COAPSEC_ERR_CRYPTO;
    const coapsec_dtls_session *rs = cr->resume;
    /* Resume only what these credentials could also set up in full, and an
     * EMS session only while we still offer EMS (RFC 7627 §5.3). */
    if (coapsec_dtls_session_resumable(rs, now) && rs->ticket_len <= sizeof hs->ticket &&
        ((rs->suite == COAPSEC_DTLS_PSK_AES_128_CCM_8 && psk && rs->id_len == cr->psk_id_len &&
          !memcmp(rs->id, cr->psk_id, rs->id_len)) ||
         (rs->suite == COAPSEC_DTLS_ECDHE_ECDSA_AES_128_CCM_8 && ecdhe)) &&
        (!rs->ems || cfg->offer_ems)) {
        uint16_t suite = c->suite;
        cs_resume_load(c, rs); /* the peer as authenticated then */
        c->suite = suite;
        memcpy(hs->resume_master, rs->master, sizeof hs->resume_master);
        hs->resume_suite = rs->suite;
        hs->resume_ems = rs->ems;
        hs->resume_offer = 1;
        memcpy(hs->ticket, rs->ticket, rs->ticket_len);
        hs->ticket_len = rs->ticket_len;
        /* RFC 5077 §3.4: with a ticket, a fresh session ID shows acceptance. */
        if (rs->session_id_len) {
            memcpy(hs->offer_sid, rs->session_id, rs->session_id_len);
            hs->offer_sid_len = rs->session_id_len;
        } else {
            if (cs_cfg_nonce(cfg, hs->offer_sid, 32) != 0)
                return COAPSEC_ERR_CRYPTO;
            hs->offer_sid_len = 32;
        }
    }
    c->state = CS_ST_C_WAIT_HELLO;
    int rc = cs_client_send_hello(c, now);
    if (rc < 0)
        c->state = CS_ST_FAILED;
    return rc;
}

/* ECDHE_ECDSA hello extensions (RFC 8422 §5.1, RFC 5246 §7.4.1.4.1,
 * RFC 7250 §3, RFC 6066 §3). */
static int ecdhe_extensions(coapsec_dtls_conn *c, uint8_t *b, size_t cap, size_t *n) {
    coapsec_dtls_hs *hs = c->hs;
    static const uint8_t groups[] = {0, 2, 0, CS_GROUP_SECP256R1};
    static const uint8_t formats[] = {1, 0};
    static const uint8_t sigalgs[] = {0, 2, CS_SIG_ECDSA_P256 >> 8, CS_SIG_ECDSA_P256 & 0xff};
    int rc = cs_ext_put(b, cap, n, CS_EXT_SUPPORTED_GROUPS, groups, sizeof groups);
    if (!rc)
        rc = cs_ext_put(b, cap, n, CS_EXT_EC_POINT_FORMATS, formats, sizeof formats);
    if (!rc)
        rc = cs_ext_put(b, cap, n, CS_EXT_SIGNATURE_ALGORITHMS, sigalgs, sizeof sigalgs);
    /* Certificate types: only sent when a raw public key is possible (an
     * X.509-only list is the default and is left out, RFC 7250 §4.1). */
    uint8_t own = cs_ct_own_ok(c->cfg, hs->identity), peer = cs_ct_peer_ok(c->cfg);
    uint8_t l[3];
    if (!rc && (own & COAPSEC_DTLS_CT_RPK)) {
        size_t k = 1;
        if (own & COAPSEC_DTLS_CT_X509)
            l[k++] = CS_WIRE_CT_X509;
        l[k++] = CS_WIRE_CT_RPK;
        l[0] = (uint8_t)(k - 1);
        rc = cs_ext_put(b, cap, n, CS_EXT_CLIENT_CERT_TYPE, l, k);
    }
    if (!rc && (peer & COAPSEC_DTLS_CT_RPK)) {
        size_t k = 1;
        if (peer & COAPSEC_DTLS_CT_X509)
            l[k++] = CS_WIRE_CT_X509;
        l[k++] = CS_WIRE_CT_RPK;
        l[0] = (uint8_t)(k - 1);
        rc = cs_ext_put(b, cap, n, CS_EXT_SERVER_CERT_TYPE, l, k);
    }
    /* SNI only for DNS names (RFC 6066 §3: no IP literals). */
    size_t al = strlen(hs->authority);
    if (!rc && al > 0 && !cs_is_ip_literal(hs->authority)) {
        uint8_t sni[5 + sizeof hs->authority];
        cs_put16(sni, (uint32_t)(al + 3));
        sni[2] = 0; /* host_name */
        cs_put16(sni + 3, (uint32_t)al);
        memcpy(sni + 5, hs->authority, al);
        rc = cs_ext_put(b, cap, n, CS_EXT_SERVER_NAME, sni, al + 5);
    }
    return rc;
}

int cs_client_send_hello(coapsec_dtls_conn *c, coapsec_tstamp now) {
    coapsec_dtls_hs *hs = c->hs;
    uint8_t b[2 + 32 + 1 + 32 + 1 + 255 + 2 + 4 + 2 + 2 + 4 + 5 + 5 + 4 + COAPSEC_DTLS_TICKET_MAX +
              512];
    size_t n = 0;
    cs_put16(b, CS_DTLS12);
    n += 2;
    memcpy(b + n, hs->client_random, 32);
    n += 32;
    b[n++] = hs->offer_sid_len; /* session_id: the session offered, if any */
    memcpy(b + n, hs->offer_sid, hs->offer_sid_len);
    n += hs->offer_sid_len;
    b[n++] = hs->cookie_len;
    memcpy(b + n, hs->cookie, hs->cookie_len);
    n += hs->cookie_len;
    /* Only the suites our credentials allow: trust in some server key ->
     * 0xC0AE, a PSK -> 0xC0A8. */
    size_t ns = 0;
    if (hs->offered & 2)
        cs_put16(b + n + 2 + 2 * ns++, COAPSEC_DTLS_ECDHE_ECDSA_AES_128_CCM_8);
    if (hs->offered & 1)
        cs_put16(b + n + 2 + 2 * ns++, COAPSEC_DTLS_PSK_AES_128_CCM_8);
    cs_put16(b + n, (uint32_t)(2 * ns));
    n += 2 + 2 * ns;
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
    if (c->cfg->heartbeat) { /* RFC 6520 §2 */
        uint8_t mode = c->cfg->heartbeat;
        int hrc = cs_ext_put(b, sizeof b, &n, CS_EXT_HEARTBEAT, &mode, 1);
        if (hrc)
            return hrc;
    }
    /* RFC 5077 §3.2: the ticket of the session offered, or empty to ask for one. */
    int trc = cs_ext_put(b, sizeof b, &n, CS_EXT_SESSION_TICKET, hs->ticket, hs->ticket_len);
    if (trc)
        return trc;
    if (hs->offered & 2) {
        int erc = ecdhe_extensions(c, b, sizeof b, &n);
        if (erc)
            return erc;
    }
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
    bool ecdhe = suite == COAPSEC_DTLS_ECDHE_ECDSA_AES_128_CCM_8;
    if (!((suite == COAPSEC_DTLS_PSK_AES_128_CCM_8 && (hs->offered & 1)) ||
          (ecdhe && (hs->offered & 2))) ||
        comp != 0)
        return fail(c, COAPSEC_DTLS_ALERT_ILLEGAL_PARAMETER, "server chose a suite not offered");
    memcpy(hs->server_random, rnd, 32);
    memcpy(hs->session_id, sid, sidlen);
    hs->session_id_len = (uint8_t)sidlen;
    cs_exts e;
    if (cs_ext_parse(ext, extlen, true, &e) != 0)
        return fail(c, COAPSEC_DTLS_ALERT_DECODE_ERROR, "malformed ServerHello extensions");
    bool sent_sni = (hs->offered & 2) && hs->authority[0] && !cs_is_ip_literal(hs->authority);
    if (e.foreign_in_sh || (e.sni_in_sh && !sent_sni) || e.mfl || (e.ems && !c->cfg->offer_ems))
        return fail(c, COAPSEC_DTLS_ALERT_UNSUPPORTED_EXTENSION, "unsolicited extension");
    if (e.reneg_bad)
        return fail(c, COAPSEC_DTLS_ALERT_HANDSHAKE_FAILURE, "bad renegotiation_info");
    if (e.hb_mode && !c->cfg->heartbeat)
        return fail(c, COAPSEC_DTLS_ALERT_UNSUPPORTED_EXTENSION, "unsolicited extension");
    if (e.hb_mode == 0xFF) /* RFC 6520 §2 */
        return fail(c, COAPSEC_DTLS_ALERT_ILLEGAL_PARAMETER, "unknown heartbeat mode");
    hs->peer_hb = e.hb_mode;
    hs->nst_due = e.has_ticket; /* RFC 5077 §3.2: a NewSessionTicket will follow */
    hs->ems = e.ems;
    hs->reneg = e.reneg;
    c->suite = (uint16_t)suite;
    c->max_plain = cs_ext_plain_limit(0, e.rsl);
    if (hs->resume_offer && sidlen == hs->offer_sid_len && sidlen > 0 &&
        !memcmp(sid, hs->offer_sid, sidlen)) {
        /* The server resumes (RFC 5246 §7.3): same suite, same EMS use
         * (RFC 7627 §5.3), keys from the saved master secret. */
        if (suite != hs->resume_suite)
            return fail(c, COAPSEC_DTLS_ALERT_ILLEGAL_PARAMETER,
                        "resumed session with a different suite");
        if (e.ems != (hs->resume_ems != 0))
            return fail(c, COAPSEC_DTLS_ALERT_HANDSHAKE_FAILURE,
                        "resumed session with a different extended_master_secret use");
        memcpy(hs->master, hs->resume_master, sizeof hs->master);
        if (cs_key_block(c, hs->client_random, hs->server_random) != 0)
            return fail(c, COAPSEC_DTLS_ALERT_INTERNAL_ERROR, "key derivation failed");
        c->flags |= CS_F_KEYS;
        if (e.ems)
            c->flags |= CS_F_EMS;
        hs->resumed = 1;
        c->state = hs->nst_due ? CS_ST_C_WAIT_NST : CS_ST_C_WAIT_CCS;
        return 0;
    }
    /* A full handshake: the offered ticket is spent, the peer is new. */
    hs->ticket_len = 0;
    hs->have_peer_pub = 0;
    hs->peer_auth = 0;
    hs->peer_name[0] = 0;
    c->state = CS_ST_C_WAIT_SKE_SHD;
    if (!ecdhe) {
        if (e.has_sct || e.has_cct || e.has_pf)
            return fail(c, COAPSEC_DTLS_ALERT_UNSUPPORTED_EXTENSION, "unsolicited extension");
        return 0;
    }
    /* RFC 8422 §5.2: uncompressed must be among the server's formats. */
    if (e.has_pf && !e.pf_uncompressed)
        return fail(c, COAPSEC_DTLS_ALERT_ILLEGAL_PARAMETER,
                    "server does not accept uncompressed points");
    /* RFC 7250 §4.2: the types the server chose must be ones we listed. */
    uint8_t own = cs_ct_own_ok(c->cfg, hs->identity), peer = cs_ct_peer_ok(c->cfg);
    hs->srv_ct = e.has_sct ? e.sct : COAPSEC_DTLS_CT_X509;
    hs->cli_ct = e.has_cct ? e.cct : COAPSEC_DTLS_CT_X509;
    if ((e.has_sct && !(peer & COAPSEC_DTLS_CT_RPK)) || (e.has_cct && !(own & COAPSEC_DTLS_CT_RPK)))
        return fail(c, COAPSEC_DTLS_ALERT_UNSUPPORTED_EXTENSION, "unsolicited certificate type");
    if (!(hs->srv_ct & peer))
        return fail(c, COAPSEC_DTLS_ALERT_UNSUPPORTED_CERTIFICATE,
                    hs->srv_ct == COAPSEC_DTLS_CT_X509
                        ? "server wants X.509 but we accept only raw public keys"
                        : "server chose a certificate type we did not offer");
    if (e.has_cct && !(hs->cli_ct & own))
        return fail(c, COAPSEC_DTLS_ALERT_UNSUPPORTED_CERTIFICATE,
                    "server chose a client certificate type we did not offer");
    c->state = CS_ST_C_WAIT_CERT;
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
    c->state = hs->nst_due ? CS_ST_C_WAIT_NST : CS_ST_C_WAIT_CCS;
    return 0;
}

/* Flight 5 of 0xC0AE: [Certificate] ClientKeyExchange [CertificateVerify]
 * ChangeCipherSpec Finished (RFC 5246 §7.3). */
static int send_flight5_ecdhe(coapsec_dtls_conn *c, coapsec_tstamp now) {
    coapsec_dtls_hs *hs = c->hs;
    hs->peer_last_seq = (uint16_t)(hs->recv_seq - 1);
    hs->peer_last_valid = 1;
    cs_flight_begin(hs);
    int rc = 0;
    if (hs->cert_req)
        rc = cs_add_certificate(c, hs->cli_ct, hs->cert_req != 1);
    if (!rc)
        rc = cs_add_ecdhe_cke(c);
    if (!rc)
        rc = cs_derive_keys(c); /* session hash: up to ClientKeyExchange */
    if (!rc && hs->cert_req == 1)
        rc = cs_add_certificate_verify(c);
    if (!rc)
        rc = cs_flight_add_ccs(c);
    if (!rc)
        rc = cs_add_finished(c);
    if (!rc)
        rc = cs_flight_send(c, now);
    if (rc)
        return cs_fail(c, rc, COAPSEC_DTLS_ALERT_INTERNAL_ERROR, false, "cannot send flight");
    cs_flight_arm(c, false, now);
    c->state = hs->nst_due ? CS_ST_C_WAIT_NST : CS_ST_C_WAIT_CCS;
    return 0;
}

/* RFC 5077 §3.3: lifetime hint and the ticket, kept for the next time. */
static int on_new_session_ticket(coapsec_dtls_conn *c, const uint8_t *p, size_t n) {
    coapsec_dtls_hs *hs = c->hs;
    cs_rd r;
    cs_rd_init(&r, p, n);
    const uint8_t *hint = cs_rd_bytes(&r, 4);
    size_t tl;
    const uint8_t *t = cs_rd_vec(&r, 2, &tl);
    if (r.err || r.left)
        return fail(c, COAPSEC_DTLS_ALERT_DECODE_ERROR, "malformed NewSessionTicket");
    hs->ticket_hint_s = (uint32_t)cs_get16(hint) << 16 | cs_get16(hint + 2);
    if (tl <= sizeof hs->ticket) { /* a larger one is not kept: no resumption by ticket */
        memcpy(hs->ticket, t, tl);
        hs->ticket_len = (uint16_t)tl;
    } else {
        hs->ticket_len = 0;
    }
    c->state = CS_ST_C_WAIT_CCS;
    return 0;
}

/* Abbreviated handshake: the server's Finished verified; ours goes last. */
static int send_resumed_finish(coapsec_dtls_conn *c, coapsec_tstamp now) {
    coapsec_dtls_hs *hs = c->hs;
    hs->peer_last_seq = (uint16_t)(hs->recv_seq - 1);
    hs->peer_last_valid = 1;
    cs_flight_begin(hs);
    int rc = cs_flight_add_ccs(c);
    if (!rc)
        rc = cs_add_finished(c);
    if (!rc)
        rc = cs_flight_send(c, now);
    if (rc)
        return cs_fail(c, rc, COAPSEC_DTLS_ALERT_INTERNAL_ERROR, false, "cannot send flight");
    cs_flight_arm(c, true, now);
    cs_established(c, now);
    return 0;
}

static int shd_ok(coapsec_dtls_conn *c, size_t len) {
    if (len != 0)
        return fail(c, COAPSEC_DTLS_ALERT_DECODE_ERROR, "malformed ServerHelloDone");
    return 0;
}

int cs_client_handle(coapsec_dtls_conn *c, uint8_t type, const uint8_t *body, size_t len,
                     coapsec_tstamp now) {
    int rc;
    switch (c->state) {
    case CS_ST_C_WAIT_CERT:
        if (type == CS_HT_CERTIFICATE) {
            if ((rc = cs_on_certificate(c, body, len)) != 0)
                return rc;
            c->state = CS_ST_C_WAIT_SKE;
            return 0;
        }
        break;
    case CS_ST_C_WAIT_SKE:
        if (type == CS_HT_SERVER_KEY_EXCHANGE) {
            if ((rc = cs_on_server_key_exchange(c, body, len)) != 0)
                return rc;
            c->state = CS_ST_C_WAIT_CR_SHD;
            return 0;
        }
        break;
    case CS_ST_C_WAIT_CR_SHD:
        if (type == CS_HT_CERTIFICATE_REQUEST) {
            if ((rc = cs_on_certificate_request(c, body, len)) != 0)
                return rc;
            c->state = CS_ST_C_WAIT_SHD2;
            return 0;
        }
        /* fall through */
    case CS_ST_C_WAIT_SHD2:
        if (type == CS_HT_SERVER_HELLO_DONE) {
            if ((rc = shd_ok(c, len)) != 0)
                return rc;
            return send_flight5_ecdhe(c, now);
        }
        break;
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
    case CS_ST_C_WAIT_NST:
        if (type == CS_HT_NEW_SESSION_TICKET)
            return on_new_session_ticket(c, body, len);
        break;
    case CS_ST_C_WAIT_FIN:
        if (type == CS_HT_FINISHED) {
            rc = cs_check_finished(c, body, len);
            if (rc < 0)
                return rc;
            if (c->hs->resumed)
                return send_resumed_finish(c, now);
            cs_established(c, now);
            return 0;
        }
        break;
    default:
        break;
    }
    return fail(c, COAPSEC_DTLS_ALERT_UNEXPECTED_MESSAGE, "unexpected handshake message");
}
