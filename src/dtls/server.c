/*
 * dtls/server.c - the server handshake state machine (RFC 6347 §4.2, PSK key
 * exchange RFC 4279, ECDHE_ECDSA RFC 8422 / RFC 7250): accepting the
 * cookie-verified ClientHello, choosing the suite (in the client's order,
 * among those our credentials serve), certificate types and extensions, the
 * ServerHello [Certificate] ServerKeyExchange [CertificateRequest]
 * ServerHelloDone flight, the client's [Certificate] ClientKeyExchange
 * (PSK lookup or ECDH) [CertificateVerify], its Finished and our
 * ChangeCipherSpec/Finished flight. Resumption (RFC 5246 §7.3, RFC 5077):
 * a ClientHello whose ticket opens (or whose session ID is cached) and whose
 * session passes cs_resume_check() gets the abbreviated handshake
 * (ServerHello [NewSessionTicket] ChangeCipherSpec Finished; no key
 * exchange); full handshakes give a session ID when there is a cache and a
 * NewSessionTicket when the client asked and there are ticket keys.
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
    cs_conn_reset(c, cfg, user, hs, CS_ROLE_SERVER);
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

/* Does the client authenticate with a raw key only: its
 * client_certificate_type list offers RawPublicKey and not X.509? */
static bool client_rpk_only(const cs_exts *e) {
    return e->has_cct && cs_ct_pick(e->cct_list, e->cct_len, COAPSEC_DTLS_CT_RPK) &&
           !cs_ct_pick(e->cct_list, e->cct_len, COAPSEC_DTLS_CT_X509);
}

/* Can 0xC0AE be served to this ClientHello? 0, or an alert with *why set.
 * Sets the certificate types and whether a client certificate is asked. */
static int ecdhe_check(coapsec_dtls_conn *c, const cs_exts *e, const char **why) {
    coapsec_dtls_hs *hs = c->hs;
    const coapsec_dtls_config *cfg = c->cfg;
    /* RFC 8422 §5.1.1: without the extension any curve goes; with it,
     * secp256r1 must be listed. */
    if (e->has_groups && !e->p256) {
        *why = "wrong curve: the client offers no secp256r1 in supported_groups";
        return COAPSEC_DTLS_ALERT_HANDSHAKE_FAILURE;
    }
    /* RFC 5246 §7.4.1.4.1: no extension means {sha1,ecdsa}, which we do not use. */
    if (!e->ecdsa_p256_sha256) {
        *why = "wrong signature algorithm: the client does not offer ecdsa_secp256r1_sha256";
        return COAPSEC_DTLS_ALERT_HANDSHAKE_FAILURE;
    }
    uint8_t own = cs_ct_own_ok(cfg, hs->identity), peer = cs_ct_peer_ok(cfg);
    /* Our certificate type (RFC 7250 §4.2): any listed type we hold; a raw
     * key first when asked to or when the client itself uses one (dtls.h,
     * prefer_rpk), else the client's order. */
    hs->srv_ct = 0;
    if (e->has_sct && (cfg->prefer_rpk || client_rpk_only(e)))
        hs->srv_ct = cs_ct_pick(e->sct_list, e->sct_len, own & COAPSEC_DTLS_CT_RPK);
    if (!hs->srv_ct)
        hs->srv_ct = e->has_sct ? cs_ct_pick(e->sct_list, e->sct_len, own)
                                : (uint8_t)(own & COAPSEC_DTLS_CT_X509);
    if (!hs->srv_ct) {
        *why = e->has_sct ? "no common server certificate type"
                          : "the client accepts only X.509 and we have no certificate";
        return COAPSEC_DTLS_ALERT_UNSUPPORTED_CERTIFICATE;
    }
    /* The client's: asked for whenever we can check one. */
    hs->cli_ct = e->has_cct ? cs_ct_pick(e->cct_list, e->cct_len, peer)
                            : (uint8_t)(peer & COAPSEC_DTLS_CT_X509);
    hs->cert_req = hs->cli_ct != 0;
    if (!hs->cert_req && cfg->require_client_auth) {
        *why = "no common client certificate type (a client certificate is required)";
        return COAPSEC_DTLS_ALERT_UNSUPPORTED_CERTIFICATE;
    }
    if (e->has_pf && !e->pf_uncompressed) { /* RFC 8422 §5.1.2 */
        *why = "the client does not accept uncompressed points";
        return COAPSEC_DTLS_ALERT_ILLEGAL_PARAMETER;
    }
    return 0;
}

/* RFC 5077 §3.3: NewSessionTicket with the state of this session. */
static int add_new_session_ticket(coapsec_dtls_conn *c, coapsec_tstamp now) {
    coapsec_dtls_session st;
    uint8_t nst[4 + 2 + COAPSEC_DTLS_TICKET_MAX];
    size_t tl = 0;
    cs_session_from_hs(c, &st, now);
    int rc =
        cs_ticket_seal(c->cfg->tickets, c->cfg, &st, nst + 6, COAPSEC_DTLS_TICKET_MAX, &tl, now);
    cs_wipe(&st, sizeof st);
    if (rc)
        tl = 0; /* RFC 5077 §3.3: an empty ticket says "none this time" */
    uint32_t life = (c->cfg->session_lifetime_ms ? c->cfg->session_lifetime_ms
                                                 : COAPSEC_DTLS_SESSION_LIFETIME_MS) /
                    1000;
    cs_put16(nst, life >> 16);
    cs_put16(nst + 2, life & 0xffff);
    cs_put16(nst + 4, (uint32_t)tl);
    rc = cs_flight_add_hs(c, CS_HT_NEW_SESSION_TICKET, nst, 6 + tl);
    cs_wipe(nst, sizeof nst);
    return rc;
}

/* The session the ClientHello asks to resume, if any: 0 and *st, 1: none. */
static int find_session(coapsec_dtls_conn *c, const cs_client_hello *ch, const cs_exts *e,
                        coapsec_dtls_session *st) {
    const coapsec_dtls_config *cfg = c->cfg;
    if (e->has_ticket && e->ticket_len && cfg->tickets &&
        cs_ticket_open(cfg->tickets, e->ticket, e->ticket_len, st) == 0)
        return 0;
    const coapsec_dtls_session *p = cs_cache_find(cfg->cache, ch->sid, ch->sid_len);
    if (p) {
        *st = *p;
        return 0;
    }
    return 1;
}

/* Abbreviated handshake (RFC 5246 §7.3): ServerHello echoing the session
 * ID, [NewSessionTicket], ChangeCipherSpec, Finished. */
static int resume_flight(coapsec_dtls_conn *c, const cs_client_hello *ch, const cs_exts *e,
                         const coapsec_dtls_session *st, coapsec_tstamp now) {
    coapsec_dtls_hs *hs = c->hs;
    cs_resume_load(c, st);
    memcpy(hs->client_random, ch->random, 32);
    hs->reneg = e->reneg;
    for (size_t i = 0; i + 1 < ch->suites_len; i += 2)
        if (cs_get16(ch->suites + i) == CS_SCSV)
            hs->reneg = 1;
    hs->client_ext_ems = e->ems;
    hs->peer_mfl = e->mfl;
    hs->peer_rsl = e->rsl;
    hs->resumed = 1;
    c->max_plain = cs_ext_plain_limit(e->mfl, e->rsl);
    memcpy(hs->session_id, ch->sid, ch->sid_len);
    hs->session_id_len = (uint8_t)ch->sid_len;
    if (cs_cfg_nonce(c->cfg, hs->server_random, 32) != 0)
        return fail(c, COAPSEC_DTLS_ALERT_INTERNAL_ERROR, "no randomness");
    if (cs_key_block(c, hs->client_random, hs->server_random) != 0)
        return fail(c, COAPSEC_DTLS_ALERT_INTERNAL_ERROR, "key derivation failed");
    c->flags |= CS_F_KEYS;
    if (hs->ems)
        c->flags |= CS_F_EMS;
    uint8_t sh[2 + 32 + 1 + 32 + 2 + 1 + 2 + 5 + 4 + 6 + 5 + 5 + 4];
    size_t k = 0;
    cs_put16(sh, CS_DTLS12);
    k += 2;
    memcpy(sh + k, hs->server_random, 32);
    k += 32;
    sh[k++] = hs->session_id_len;
    memcpy(sh + k, hs->session_id, hs->session_id_len);
    k += hs->session_id_len;
    cs_put16(sh + k, c->suite);
    k += 2;
    sh[k++] = 0;
    size_t extstart = k;
    k += 2;
    static const uint8_t zero = 0;
    if (hs->reneg)
        (void)cs_ext_put(sh, sizeof sh, &k, CS_EXT_RENEGOTIATION_INFO, &zero, 1);
    if (hs->ems)
        (void)cs_ext_put(sh, sizeof sh, &k, CS_EXT_EMS, NULL, 0);
    if (e->rsl) {
        uint8_t l[2];
        cs_put16(l, 16384);
        (void)cs_ext_put(sh, sizeof sh, &k, CS_EXT_RECORD_SIZE_LIMIT, l, 2);
    } else if (e->mfl) {
        (void)cs_ext_put(sh, sizeof sh, &k, CS_EXT_MAX_FRAGMENT_LENGTH, &e->mfl, 1);
    }
    if (hs->peer_hb) {
        uint8_t mode = c->cfg->heartbeat;
        (void)cs_ext_put(sh, sizeof sh, &k, CS_EXT_HEARTBEAT, &mode, 1);
    }
    if (hs->ticket_ext)
        (void)cs_ext_put(sh, sizeof sh, &k, CS_EXT_SESSION_TICKET, NULL, 0);
    if (k == extstart + 2)
        k = extstart;
    else
        cs_put16(sh + extstart, (uint32_t)(k - extstart - 2));
    hs->peer_last_seq = (uint16_t)(hs->recv_seq - 1);
    hs->peer_last_valid = 1;
    cs_flight_begin(hs);
    int rc = cs_flight_add_hs(c, CS_HT_SERVER_HELLO, sh, k);
    if (!rc && hs->ticket_ext)
        rc = add_new_session_ticket(c, now);
    if (!rc)
        rc = cs_flight_add_ccs(c);
    if (!rc)
        rc = cs_add_finished(c);
    if (!rc)
        rc = cs_flight_send(c, now);
    if (rc)
        return cs_fail(c, rc, COAPSEC_DTLS_ALERT_INTERNAL_ERROR, false, "cannot send flight");
    cs_flight_arm(c, false, now);
    c->state = CS_ST_S_WAIT_CCS;
    return 0;
}

static int on_client_hello(coapsec_dtls_conn *c, const uint8_t *p, size_t n, coapsec_tstamp now) {
    coapsec_dtls_hs *hs = c->hs;
    cs_client_hello ch;
    if (cs_client_hello_parse(p, n, &ch) != 0)
        return fail(c, COAPSEC_DTLS_ALERT_DECODE_ERROR, "malformed ClientHello");
    if (ch.version > CS_DTLS12) /* DTLS versions count down: {254,255} is 1.0 */
        return fail(c, COAPSEC_DTLS_ALERT_PROTOCOL_VERSION, "client does not offer DTLS 1.2");
    if (!memchr(ch.comp, 0, ch.comp_len))
        return fail(c, COAPSEC_DTLS_ALERT_HANDSHAKE_FAILURE, "no null compression");
    cs_exts e;
    if (cs_ext_parse(ch.ext, ch.ext_len, false, &e) != 0)
        return fail(c, COAPSEC_DTLS_ALERT_DECODE_ERROR, "malformed ClientHello extensions");
    if (e.reneg_bad)
        return fail(c, COAPSEC_DTLS_ALERT_HANDSHAKE_FAILURE, "bad renegotiation_info");
    if (e.hb_mode == 0xFF) /* RFC 6520 §2 */
        return fail(c, COAPSEC_DTLS_ALERT_ILLEGAL_PARAMETER, "unknown heartbeat mode");
    hs->peer_hb = c->cfg->heartbeat ? e.hb_mode : 0;
    hs->ticket_ext = e.has_ticket && c->cfg->tickets;
    hs->identity = c->cfg->server_identity;
    if ((e.has_ticket && e.ticket_len) || ch.sid_len) {
        coapsec_dtls_session st;
        if (find_session(c, &ch, &e, &st) == 0) {
            int r = cs_resume_check(c, &st, &ch, &e, now);
            if (r < 0) {
                cs_wipe(&st, sizeof st);
                return fail(c, COAPSEC_DTLS_ALERT_HANDSHAKE_FAILURE,
                            "extended_master_secret session resumed without it (RFC 7627)");
            }
            if (r == 0) {
                int rc = resume_flight(c, &ch, &e, &st, now);
                cs_wipe(&st, sizeof st);
                return rc;
            }
            cs_wipe(&st, sizeof st);
        }
    }
    /* The suite: the client's first that our credentials serve. */
    const char *why = "peer offered no suite of ours";
    int why_alert = COAPSEC_DTLS_ALERT_HANDSHAKE_FAILURE;
    unsigned suite = 0;
    for (size_t i = 0; i + 1 < ch.suites_len && !suite; i += 2) {
        unsigned s = cs_get16(ch.suites + i);
        if (s == COAPSEC_DTLS_PSK_AES_128_CCM_8 && c->cfg->psk_lookup) {
            suite = s;
        } else if (s == COAPSEC_DTLS_ECDHE_ECDSA_AES_128_CCM_8 && hs->identity &&
                   hs->identity->key) {
            const char *w = NULL;
            int a = ecdhe_check(c, &e, &w);
            if (a == 0)
                suite = s;
            else {
                why = w;
                why_alert = a;
            }
        }
    }
    if (!suite)
        return cs_failf(c, COAPSEC_ERR_HANDSHAKE, why_alert, "%s", why);
    bool ecdhe = suite == COAPSEC_DTLS_ECDHE_ECDSA_AES_128_CCM_8;
    if (!ecdhe)
        hs->cert_req = 0;
    memcpy(hs->client_random, ch.random, 32);
    hs->reneg = e.reneg || has_suite(&ch, CS_SCSV);
    hs->client_ext_ems = e.ems;
    hs->ems = e.ems && c->cfg->offer_ems;
    hs->peer_mfl = e.mfl;
    hs->peer_rsl = e.rsl;
    c->suite = (uint16_t)suite;
    c->max_plain = cs_ext_plain_limit(e.mfl, e.rsl);
    if (cs_cfg_nonce(c->cfg, hs->server_random, 32) != 0)
        return fail(c, COAPSEC_DTLS_ALERT_INTERNAL_ERROR, "no randomness");

    /* ServerHello: a fresh session ID when there is a cache to keep it in. */
    uint8_t sh[2 + 32 + 1 + 32 + 2 + 1 + 2 + 5 + 4 + 5 + 6 + 6 + 5 + 5 + 5 + 4];
    size_t k = 0;
    cs_put16(sh, CS_DTLS12);
    k += 2;
    memcpy(sh + k, hs->server_random, 32);
    k += 32;
    hs->session_id_len = 0;
    if (c->cfg->cache && c->cfg->cache->cap) {
        if (cs_cfg_nonce(c->cfg, hs->session_id, 32) != 0)
            return fail(c, COAPSEC_DTLS_ALERT_INTERNAL_ERROR, "no randomness");
        hs->session_id_len = 32;
    }
    sh[k++] = hs->session_id_len;
    memcpy(sh + k, hs->session_id, hs->session_id_len);
    k += hs->session_id_len;
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
    if (ecdhe && e.has_pf) { /* RFC 8422 §5.2 */
        static const uint8_t pf[] = {1, 0};
        (void)cs_ext_put(sh, sizeof sh, &k, CS_EXT_EC_POINT_FORMATS, pf, sizeof pf);
    }
    if (ecdhe && e.has_sct) { /* RFC 7250 §4.2: the one type chosen */
        uint8_t t = cs_ct_wire(hs->srv_ct);
        (void)cs_ext_put(sh, sizeof sh, &k, CS_EXT_SERVER_CERT_TYPE, &t, 1);
    }
    if (ecdhe && e.has_cct && hs->cert_req) {
        uint8_t t = cs_ct_wire(hs->cli_ct);
        (void)cs_ext_put(sh, sizeof sh, &k, CS_EXT_CLIENT_CERT_TYPE, &t, 1);
    }
    if (hs->peer_hb) { /* RFC 6520 §2: answered only when offered */
        uint8_t mode = c->cfg->heartbeat;
        (void)cs_ext_put(sh, sizeof sh, &k, CS_EXT_HEARTBEAT, &mode, 1);
    }
    if (hs->ticket_ext) /* RFC 5077 §3.2: a NewSessionTicket will follow */
        (void)cs_ext_put(sh, sizeof sh, &k, CS_EXT_SESSION_TICKET, NULL, 0);
    if (k == extstart + 2)
        k = extstart;
    else
        cs_put16(sh + extstart, (uint32_t)(k - extstart - 2));

    hs->peer_last_seq = (uint16_t)(hs->recv_seq - 1);
    hs->peer_last_valid = 1;
    cs_flight_begin(hs);
    int rc = cs_flight_add_hs(c, CS_HT_SERVER_HELLO, sh, k);
    if (ecdhe) {
        if (!rc)
            rc = cs_add_certificate(c, hs->srv_ct, false);
        if (!rc)
            rc = cs_add_server_key_exchange(c);
        if (!rc && hs->cert_req)
            rc = cs_add_certificate_request(c);
    } else if (!rc && c->cfg->psk_hint && c->cfg->psk_hint_len) {
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
    c->state = !ecdhe ? CS_ST_S_WAIT_CKE : hs->cert_req ? CS_ST_S_WAIT_CERT : CS_ST_S_WAIT_ECKE;
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
    if (hs->resumed) { /* abbreviated: the client's Finished was the last flight */
        cs_established(c, now);
        return 0;
    }
    hs->peer_last_seq = (uint16_t)(hs->recv_seq - 1);
    hs->peer_last_valid = 1;
    cs_flight_begin(hs);
    rc = hs->ticket_ext ? add_new_session_ticket(c, now) : 0;
    if (!rc)
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
    case CS_ST_S_WAIT_CERT:
        if (type == CS_HT_CERTIFICATE) {
            int rc = cs_on_certificate(c, body, len);
            if (rc)
                return rc;
            c->state = CS_ST_S_WAIT_ECKE;
            return 0;
        }
        break;
    case CS_ST_S_WAIT_ECKE:
        if (type == CS_HT_CLIENT_KEY_EXCHANGE) {
            int rc = cs_on_ecdhe_cke(c, body, len);
            if (rc)
                return rc;
            rc = cs_derive_keys(c);
            if (rc)
                return cs_fail(c, rc, COAPSEC_DTLS_ALERT_INTERNAL_ERROR, false,
                               "key derivation failed");
            c->state = c->hs->have_peer_pub ? CS_ST_S_WAIT_CV : CS_ST_S_WAIT_CCS;
            return 0;
        }
        break;
    case CS_ST_S_WAIT_CV:
        if (type == CS_HT_CERTIFICATE_VERIFY) {
            int rc = cs_on_certificate_verify(c, body, len);
            if (rc)
                return rc;
            c->state = CS_ST_S_WAIT_CCS;
            return 0;
        }
        break;
    default:
        break;
    }
    return fail(c, COAPSEC_DTLS_ALERT_UNEXPECTED_MESSAGE, "unexpected handshake message");
}
