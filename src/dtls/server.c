/*
 * dtls/server.c - the server handshake state machine (RFC 6347 §4.2, PSK key
 * exchange RFC 4279): accepting the cookie-verified ClientHello, choosing the
 * suite and extensions, the ServerHello/ServerKeyExchange/ServerHelloDone
 * flight, ClientKeyExchange with the PSK lookup, the client's Finished and our
 * ChangeCipherSpec/Finished flight.
 */
#include "dtls/dtls_int.h"

static int fail(coapsec_dtls_conn *c, int alert, const char *reason) {
    return cs_fail(c, COAPSEC_ERR_HANDSHAKE, alert, false, reason);
}

int coapsec_dtls_server_accept(coapsec_dtls_conn *c, const coapsec_dtls_config *cfg, void *user,
                               coapsec_dtls_hs *hs, uint8_t *dgram, size_t len,
                               coapsec_tstamp now) {
    if (!c || !cfg || !hs || !dgram)
        return COAPSEC_ERR_INVAL;
    cs_record r;
    cs_hsfrag f;
    if (cs_rec_parse(dgram, len, &r) != 0 || r.epoch != 0 || r.type != CS_CT_HANDSHAKE ||
        cs_hs_parse(r.frag, r.len, &f) < 0 || f.type != CS_HT_CLIENT_HELLO)
        return COAPSEC_ERR_FORMAT;
    memset(c, 0, sizeof *c);
    memset(hs, 0, sizeof *hs);
    c->cfg = cfg;
    c->user = user;
    c->hs = hs;
    c->role = CS_ROLE_SERVER;
    c->max_plain = 16384;
    c->last_alert = COAPSEC_DTLS_ALERT_NONE;
    c->state = CS_ST_S_WAIT_CH;
    hs->deadline = COAPSEC_TSTAMP_NONE;
    /* message_seq continues after the stateless HelloVerifyRequest (§4.2.2). */
    hs->recv_seq = f.seq;
    hs->send_seq = f.seq;
    hs->epoch0_seq = r.seq;
    cs_transcript_reset(hs);
    return coapsec_dtls_conn_recv(c, dgram, len, now);
}

static bool has_suite(const cs_client_hello *ch, unsigned suite) {
    for (size_t i = 0; i + 1 < ch->suites_len; i += 2)
        if (cs_get16(ch->suites + i) == suite)
            return true;
    return false;
}

static int on_client_hello(coapsec_dtls_conn *c, const uint8_t *p, size_t n, coapsec_tstamp now) {
    coapsec_dtls_hs *hs = c->hs;
    cs_client_hello ch;
    if (cs_client_hello_parse(p, n, &ch) != 0)
        return fail(c, COAPSEC_DTLS_ALERT_DECODE_ERROR, "malformed ClientHello");
    if (ch.version > CS_DTLS12) /* DTLS versions count down: {254,255} is 1.0 */
        return fail(c, COAPSEC_DTLS_ALERT_PROTOCOL_VERSION, "client does not offer DTLS 1.2");
    if (!has_suite(&ch, COAPSEC_DTLS_PSK_AES_128_CCM_8) || !memchr(ch.comp, 0, ch.comp_len))
        return fail(c, COAPSEC_DTLS_ALERT_HANDSHAKE_FAILURE, "no common cipher suite");
    cs_exts e;
    if (cs_ext_parse(ch.ext, ch.ext_len, false, &e) != 0)
        return fail(c, COAPSEC_DTLS_ALERT_DECODE_ERROR, "malformed ClientHello extensions");
    if (e.reneg_bad)
        return fail(c, COAPSEC_DTLS_ALERT_HANDSHAKE_FAILURE, "bad renegotiation_info");
    memcpy(hs->client_random, ch.random, 32);
    hs->reneg = e.reneg || has_suite(&ch, CS_SCSV);
    hs->client_ext_ems = e.ems;
    hs->ems = e.ems && c->cfg->offer_ems;
    hs->peer_mfl = e.mfl;
    hs->peer_rsl = e.rsl;
    c->suite = COAPSEC_DTLS_PSK_AES_128_CCM_8;
    c->max_plain = cs_ext_plain_limit(e.mfl, e.rsl);
    if (cs_cfg_random(c->cfg, hs->server_random, 32) != 0)
        return fail(c, COAPSEC_DTLS_ALERT_INTERNAL_ERROR, "no randomness");

    /* ServerHello: no session id (no resumption yet). */
    uint8_t sh[2 + 32 + 1 + 2 + 1 + 2 + 5 + 4 + 5 + 6];
    size_t k = 0;
    cs_put16(sh, CS_DTLS12);
    k += 2;
    memcpy(sh + k, hs->server_random, 32);
    k += 32;
    sh[k++] = 0;
    cs_put16(sh + k, c->suite);
    k += 2;
    sh[k++] = 0;
    size_t extstart = k;
    k += 2;
    if (hs->reneg) {
        cs_put16(sh + k, CS_EXT_RENEGOTIATION_INFO);
        cs_put16(sh + k + 2, 1);
        sh[k + 4] = 0;
        k += 5;
    }
    if (hs->ems) {
        cs_put16(sh + k, CS_EXT_EMS);
        cs_put16(sh + k + 2, 0);
        k += 4;
    }
    if (e.rsl) { /* RFC 8449: answer with our own limit */
        cs_put16(sh + k, CS_EXT_RECORD_SIZE_LIMIT);
        cs_put16(sh + k + 2, 2);
        cs_put16(sh + k + 4, 16384);
        k += 6;
    } else if (e.mfl) { /* RFC 6066 §4: echo */
        cs_put16(sh + k, CS_EXT_MAX_FRAGMENT_LENGTH);
        cs_put16(sh + k + 2, 1);
        sh[k + 4] = e.mfl;
        k += 5;
    }
    if (k == extstart + 2)
        k = extstart;
    else
        cs_put16(sh + extstart, (uint32_t)(k - extstart - 2));

    hs->peer_last_seq = (uint16_t)(hs->recv_seq - 1);
    hs->peer_last_valid = 1;
    cs_flight_begin(hs);
    int rc = cs_flight_add_hs(c, CS_HT_SERVER_HELLO, sh, k);
    if (!rc && c->cfg->psk_hint && c->cfg->psk_hint_len) {
        uint8_t ske[2 + 128];
        size_t hl = c->cfg->psk_hint_len > 128 ? 128 : c->cfg->psk_hint_len;
        cs_put16(ske, (uint32_t)hl);
        memcpy(ske + 2, c->cfg->psk_hint, hl);
        rc = cs_flight_add_hs(c, CS_HT_SERVER_KEY_EXCHANGE, ske, 2 + hl);
    }
    if (!rc)
        rc = cs_flight_add_hs(c, CS_HT_SERVER_HELLO_DONE, NULL, 0);
    if (!rc)
        rc = cs_flight_send(c, now);
    if (rc)
        return cs_fail(c, rc, COAPSEC_DTLS_ALERT_INTERNAL_ERROR, false, "cannot send flight");
    cs_flight_arm(c, false, now);
    c->state = CS_ST_S_WAIT_CKE;
    return 0;
}

static int on_client_key_exchange(coapsec_dtls_conn *c, const uint8_t *p, size_t n) {
    coapsec_dtls_hs *hs = c->hs;
    cs_rd r;
    cs_rd_init(&r, p, n);
    size_t idlen;
    const uint8_t *id = cs_rd_vec(&r, 2, &idlen);
    if (r.err || r.left)
        return fail(c, COAPSEC_DTLS_ALERT_DECODE_ERROR, "malformed ClientKeyExchange");
    size_t keylen = 0;
    if (idlen == 0 || idlen > COAPSEC_DTLS_PSK_ID_MAX || !c->cfg->psk_lookup ||
        c->cfg->psk_lookup(c->cfg->psk_user, id, idlen, hs->psk, &keylen) < 0 || keylen == 0 ||
        keylen > COAPSEC_DTLS_PSK_KEY_MAX)
        return cs_fail(c, COAPSEC_ERR_AUTH, COAPSEC_DTLS_ALERT_UNKNOWN_PSK_IDENTITY, false,
                       "unknown PSK identity");
    memcpy(hs->psk_id, id, idlen);
    hs->psk_id_len = (uint8_t)idlen;
    hs->psk_len = (uint8_t)keylen;
    int rc = cs_derive_keys(c);
    if (rc)
        return cs_fail(c, rc, COAPSEC_DTLS_ALERT_INTERNAL_ERROR, false, "key derivation failed");
    c->state = CS_ST_S_WAIT_CCS;
    return 0;
}

static int on_finished(coapsec_dtls_conn *c, const uint8_t *p, size_t n, coapsec_tstamp now) {
    coapsec_dtls_hs *hs = c->hs;
    int rc = cs_check_finished(c, p, n);
    if (rc < 0)
        return rc;
    hs->peer_last_seq = (uint16_t)(hs->recv_seq - 1);
    hs->peer_last_valid = 1;
    cs_flight_begin(hs);
    rc = cs_flight_add_ccs(c);
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

int cs_server_handle(coapsec_dtls_conn *c, uint8_t type, const uint8_t *body, size_t len,
                     coapsec_tstamp now) {
    switch (c->state) {
    case CS_ST_S_WAIT_CH:
        if (type == CS_HT_CLIENT_HELLO)
            return on_client_hello(c, body, len, now);
        break;
    case CS_ST_S_WAIT_CKE:
        if (type == CS_HT_CLIENT_KEY_EXCHANGE)
            return on_client_key_exchange(c, body, len);
        break;
    case CS_ST_S_WAIT_FIN:
        if (type == CS_HT_FINISHED)
            return on_finished(c, body, len, now);
        break;
    default:
        break;
    }
    return fail(c, COAPSEC_DTLS_ALERT_UNEXPECTED_MESSAGE, "unexpected handshake message");
}
