/*
 * dtls/conn.c - the public connection API of the DTLS engine: datagram
 * input (record demultiplexing, epochs, replay checks, next-epoch
 * buffering, alerts, application data), application output, close, timers,
 * events and the handshake-object lifecycle. The handshake messages
 * themselves are handled in client.c and server.c.
 */
#include "dtls/dtls_int.h"

void coapsec_dtls_config_default(coapsec_dtls_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->mtu = 1280;
    cfg->retrans_initial_ms = 1000;
    cfg->retrans_max_ms = 60000;
    cfg->max_retransmits = 6;
    cfg->offer_ems = 1;
    cfg->linger_ms = 30000;
    cfg->cookie_lifetime_ms = 60000;
    cfg->require_client_auth = 1;
    cfg->verify_name = 1;
}

const char *coapsec_dtls_alert_name(int alert) {
    switch (alert) {
    case COAPSEC_DTLS_ALERT_CLOSE_NOTIFY:
        return "close_notify";
    case COAPSEC_DTLS_ALERT_UNEXPECTED_MESSAGE:
        return "unexpected_message";
    case COAPSEC_DTLS_ALERT_BAD_RECORD_MAC:
        return "bad_record_mac";
    case COAPSEC_DTLS_ALERT_RECORD_OVERFLOW:
        return "record_overflow";
    case COAPSEC_DTLS_ALERT_HANDSHAKE_FAILURE:
        return "handshake_failure";
    case COAPSEC_DTLS_ALERT_ILLEGAL_PARAMETER:
        return "illegal_parameter";
    case COAPSEC_DTLS_ALERT_BAD_CERTIFICATE:
        return "bad_certificate";
    case COAPSEC_DTLS_ALERT_UNSUPPORTED_CERTIFICATE:
        return "unsupported_certificate";
    case COAPSEC_DTLS_ALERT_CERTIFICATE_EXPIRED:
        return "certificate_expired";
    case COAPSEC_DTLS_ALERT_CERTIFICATE_UNKNOWN:
        return "certificate_unknown";
    case COAPSEC_DTLS_ALERT_UNKNOWN_CA:
        return "unknown_ca";
    case COAPSEC_DTLS_ALERT_DECODE_ERROR:
        return "decode_error";
    case COAPSEC_DTLS_ALERT_DECRYPT_ERROR:
        return "decrypt_error";
    case COAPSEC_DTLS_ALERT_PROTOCOL_VERSION:
        return "protocol_version";
    case COAPSEC_DTLS_ALERT_INTERNAL_ERROR:
        return "internal_error";
    case COAPSEC_DTLS_ALERT_NO_RENEGOTIATION:
        return "no_renegotiation";
    case COAPSEC_DTLS_ALERT_UNSUPPORTED_EXTENSION:
        return "unsupported_extension";
    case COAPSEC_DTLS_ALERT_UNRECOGNIZED_NAME:
        return "unrecognized_name";
    case COAPSEC_DTLS_ALERT_UNKNOWN_PSK_IDENTITY:
        return "unknown_psk_identity";
    case COAPSEC_DTLS_ALERT_NONE:
        return "none";
    default:
        return "unknown alert";
    }
}

/* The configured generator if any, else libcrypto's (public: the buffered
 * cs_random_nonce; secret: cs_random). */
static int cfg_bytes(const coapsec_dtls_config *cfg, uint8_t *buf, size_t n, int public) {
#ifdef COAPSEC_FUZZING
    (void)cfg;
    (void)public;
    for (size_t i = 0; i < n; i++)
        buf[i] = (uint8_t)(0xA5 ^ i); /* fixed: fuzz runs are reproducible */
    return 0;
#else
    if (cfg && cfg->rand)
        return cfg->rand(cfg->rand_user, buf, n) == 0 ? 0 : COAPSEC_ERR_CRYPTO;
    int rc = public ? cs_random_nonce(buf, n) : cs_random(buf, n);
    return rc == 0 ? 0 : COAPSEC_ERR_CRYPTO;
#endif
}

int cs_cfg_random(const coapsec_dtls_config *cfg, uint8_t *buf, size_t n) {
    return cfg_bytes(cfg, buf, n, 0);
}

int cs_cfg_nonce(const coapsec_dtls_config *cfg, uint8_t *buf, size_t n) {
    return cfg_bytes(cfg, buf, n, 1);
}

void cs_emit(coapsec_dtls_conn *c, const coapsec_dtls_event *ev) {
    if (c->cfg && c->cfg->cb.event)
        c->cfg->cb.event(c->user, ev);
}

static void ev_init(coapsec_dtls_event *ev, int type) {
    memset(ev, 0, sizeof *ev);
    ev->type = type;
    ev->alert = COAPSEC_DTLS_ALERT_NONE;
}

void cs_release_hs(coapsec_dtls_conn *c) {
    if (!c->hs)
        return;
    cs_wipe(c->hs->psk, sizeof c->hs->psk);
    c->hs->psk_len = 0;
    cs_wipe(c->hs->ecdh_priv, sizeof c->hs->ecdh_priv);
    cs_wipe(c->hs->pms, sizeof c->hs->pms);
    cs_wipe(c->hs->master, sizeof c->hs->master);
    c->hs = NULL;
    c->flags &= (uint8_t)~CS_F_LINGER;
    coapsec_dtls_event ev;
    ev_init(&ev, COAPSEC_DTLS_EV_HS_RELEASED);
    cs_emit(c, &ev);
}

static void wipe_keys(coapsec_dtls_conn *c) {
    cs_wipe(c->key, sizeof c->key);
    cs_wipe(c->iv, sizeof c->iv);
    if (c->hs)
        cs_wipe(c->hs->master, sizeof c->hs->master);
    c->flags &= (uint8_t)~CS_F_KEYS;
}

int cs_append_record(coapsec_dtls_conn *c, uint8_t *dg, size_t cap, size_t *used, uint8_t type,
                     uint16_t epoch, const uint8_t *pt, size_t len) {
    uint64_t seq;
    const uint8_t *key = NULL, *iv = NULL;
    if (epoch == 0) {
        if (!c->hs)
            return COAPSEC_ERR_STATE;
        seq = c->hs->epoch0_seq;
    } else {
        if (epoch != c->write_epoch || !(c->flags & CS_F_KEYS))
            return COAPSEC_ERR_STATE;
        if (c->write_seq >= CS_SEQ_MAX) /* never let the nonce wrap */
            return COAPSEC_ERR_CLOSED;
        seq = c->write_seq;
        int w = c->role == CS_ROLE_CLIENT ? 0 : 1;
        key = c->key[w];
        iv = c->iv[w];
    }
    uint16_t ver = CS_DTLS12;
    if (type == CS_CT_HANDSHAKE && epoch == 0 && len > 0 &&
        (pt[0] == CS_HT_CLIENT_HELLO || pt[0] == CS_HT_HELLO_VERIFY))
        ver = CS_DTLS10; /* §4.2.1: as OpenSSL writes its ClientHello */
    int n = cs_rec_write(dg + *used, cap - *used, type, ver, epoch, seq, key, iv, pt, len);
    if (n < 0)
        return n;
    if (epoch == 0)
        c->hs->epoch0_seq++;
    else
        c->write_seq++;
    *used += (size_t)n;
    return 0;
}

int cs_send_record(coapsec_dtls_conn *c, uint8_t type, uint16_t epoch, const uint8_t *pt,
                   size_t len) {
    uint8_t dg[COAPSEC_DTLS_DGRAM_MAX];
    size_t used = 0;
    int rc = cs_append_record(c, dg, sizeof dg, &used, type, epoch, pt, len);
    if (rc)
        return rc;
    if (c->cfg->cb.send)
        c->cfg->cb.send(c->user, dg, used);
    return 0;
}

void cs_send_alert(coapsec_dtls_conn *c, uint8_t level, uint8_t desc) {
    uint8_t a[2] = {level, desc};
    (void)cs_send_record(c, CS_CT_ALERT, c->write_epoch, a, 2);
}

int cs_fail(coapsec_dtls_conn *c, int err, int alert, bool from_peer, const char *reason) {
    if (!from_peer && alert != COAPSEC_DTLS_ALERT_NONE)
        cs_send_alert(c, COAPSEC_DTLS_FATAL, (uint8_t)alert);
    c->state = CS_ST_FAILED;
    c->last_err = (int16_t)err;
    c->last_alert = (uint8_t)alert;
    wipe_keys(c);
    coapsec_dtls_event ev;
    ev_init(&ev, COAPSEC_DTLS_EV_FAILED);
    ev.err = err;
    ev.alert = alert;
    ev.alert_from_peer = from_peer;
    ev.reason = reason;
    cs_emit(c, &ev);
    cs_release_hs(c);
    return err;
}

void cs_established(coapsec_dtls_conn *c, coapsec_tstamp now) {
    coapsec_dtls_hs *hs = c->hs;
    c->state = CS_ST_ESTABLISHED;
    cs_hb_established(c, now);
    /* Resumption (resume.c): the state to keep; the server caches it under
     * the session ID it gave (a full handshake only: a resumed one is there). */
    coapsec_dtls_session sess;
    cs_session_from_hs(c, &sess, now);
    if (c->role == CS_ROLE_SERVER && c->cfg->cache && !hs->resumed && sess.session_id_len)
        cs_cache_put(c->cfg->cache, &sess);
    coapsec_dtls_event ev;
    ev_init(&ev, COAPSEC_DTLS_EV_ESTABLISHED);
    ev.resumed = hs->resumed;
    ev.heartbeat = (c->hb_flags & CS_HB_MAY_SEND) != 0;
    if (c->role == CS_ROLE_CLIENT && (sess.session_id_len || sess.ticket_len))
        ev.session = &sess;
    ev.suite = c->suite;
    ev.ems = (c->flags & CS_F_EMS) != 0;
    ev.psk_id = hs->psk_id;
    ev.psk_id_len = hs->psk_id_len;
    ev.client_random = hs->client_random; /* key log (endpoint keylog.c) */
    ev.master_secret = hs->master;
    if (c->suite == COAPSEC_DTLS_PSK_AES_128_CCM_8) {
        ev.peer_auth = COAPSEC_DTLS_AUTH_PSK;
    } else {
        ev.peer_auth = hs->peer_auth;
        if (hs->peer_auth == COAPSEC_DTLS_AUTH_X509)
            ev.peer_name = hs->peer_name;
        if (hs->peer_auth == COAPSEC_DTLS_AUTH_X509 || hs->peer_auth == COAPSEC_DTLS_AUTH_RPK)
            ev.peer_key_sha256 = hs->peer_fp;
    }
    cs_emit(c, &ev);
    cs_wipe(&sess, sizeof sess);
    if (c->hs != hs)
        return;
    /* Who sent the last flight keeps it: the server after a full handshake,
     * the client after an abbreviated one (RFC 5246 §7.3). */
    if ((c->role == CS_ROLE_CLIENT) == !hs->resumed) {
        cs_release_hs(c);
    } else {
        /* Keep the final flight for a while: if the peer's retransmitted
         * flight shows up, it lost ours (§4.2.4). */
        c->flags |= CS_F_LINGER;
        hs->deadline = now + (c->cfg->linger_ms ? c->cfg->linger_ms : 30000);
    }
}

static bool handshaking(const coapsec_dtls_conn *c) {
    return c->state >= CS_ST_C_WAIT_HELLO;
}

static int handle_alert(coapsec_dtls_conn *c, const uint8_t *p, size_t n) {
    if (n < 2)
        return 0;
    uint8_t level = p[0], desc = p[1];
    if (desc == COAPSEC_DTLS_ALERT_CLOSE_NOTIFY) {
        c->state = CS_ST_CLOSED;
        wipe_keys(c);
        coapsec_dtls_event ev;
        ev_init(&ev, COAPSEC_DTLS_EV_CLOSED);
        ev.alert = desc;
        ev.alert_from_peer = 1;
        cs_emit(c, &ev);
        cs_release_hs(c);
        return 0;
    }
    if (level == COAPSEC_DTLS_WARNING)
        return 0; /* unrecognized_name, no_renegotiation, ...: keep going */
    if (handshaking(c) &&
        (desc == COAPSEC_DTLS_ALERT_BAD_RECORD_MAC || desc == COAPSEC_DTLS_ALERT_DECRYPT_ERROR ||
         desc == COAPSEC_DTLS_ALERT_UNKNOWN_PSK_IDENTITY))
        return cs_fail(c, COAPSEC_ERR_AUTH, desc, true, "wrong key or identity");
    if (handshaking(c) && desc >= COAPSEC_DTLS_ALERT_BAD_CERTIFICATE &&
        desc <= COAPSEC_DTLS_ALERT_UNKNOWN_CA && desc != COAPSEC_DTLS_ALERT_ILLEGAL_PARAMETER)
        return cs_fail(c, COAPSEC_ERR_AUTH, desc, true,
                       "the peer rejected our certificate or raw public key");
    return cs_fail(c, handshaking(c) ? COAPSEC_ERR_HANDSHAKE : COAPSEC_ERR_CLOSED, desc, true,
                   "fatal alert from the peer");
}

/* A handshake fragment. Duplicates from the peer's previous flight make us
 * resend ours; future messages are dropped (the peer will resend them). */
static int handle_fragment(coapsec_dtls_conn *c, uint16_t epoch, const cs_hsfrag *f,
                           coapsec_tstamp now) {
    coapsec_dtls_hs *hs = c->hs;
    if (!hs) {
        /* Established, no handshake running: refuse renegotiation. */
        if (epoch > 0 && f->off == 0 &&
            ((c->role == CS_ROLE_SERVER && f->type == CS_HT_CLIENT_HELLO) ||
             (c->role == CS_ROLE_CLIENT && f->type == 0 /* HelloRequest */)))
            cs_send_alert(c, COAPSEC_DTLS_WARNING, COAPSEC_DTLS_ALERT_NO_RENEGOTIATION);
        return 0;
    }
    if (f->seq < hs->recv_seq) {
        /* Only an exact copy of the peer's last message (still in rx_buf)
         * says the peer lost our last flight; a different message with an
         * old message_seq is dropped (state-machine conformance). */
        if (hs->peer_last_valid && f->seq == hs->peer_last_seq && f->off + f->flen == f->len &&
            hs->flight_len > 0 && !hs->rx_active && f->type == hs->rx_type &&
            f->len == hs->rx_len &&
            (f->flen == 0 || !memcmp(hs->rx_buf + f->off, f->body, f->flen)))
            (void)cs_flight_send(c, now); /* the peer lost our last flight */
        return 0;
    }
    if (c->state == CS_ST_ESTABLISHED) {
        if (epoch > 0 && f->off == 0 && c->role == CS_ROLE_SERVER && f->type == CS_HT_CLIENT_HELLO)
            cs_send_alert(c, COAPSEC_DTLS_WARNING, COAPSEC_DTLS_ALERT_NO_RENEGOTIATION);
        return 0;
    }
    if (f->seq > hs->recv_seq)
        return 0;
    int rc = cs_reasm_add(hs, f);
    if (rc == COAPSEC_ERR_NOMEM)
        return cs_fail(c, COAPSEC_ERR_HANDSHAKE, COAPSEC_DTLS_ALERT_HANDSHAKE_FAILURE, false,
                       "handshake message too large");
    if (rc <= 0)
        return 0;
    uint8_t type = hs->rx_type;
    uint32_t len = hs->rx_len;
    if (type == CS_HT_CERTIFICATE_VERIFY) /* it signs the transcript before itself */
        cs_transcript_hash(hs, hs->cv_hash);
    if (type != CS_HT_FINISHED) {
        uint8_t hdr[CS_HS_HDR];
        cs_hs_header(hdr, type, len, f->seq, 0, len);
        cs_transcript_add(hs, hdr, sizeof hdr);
        cs_transcript_add(hs, hs->rx_buf, len);
    }
    hs->recv_seq++;
    hs->rx_active = 0;
    if (c->role == CS_ROLE_CLIENT)
        return cs_client_handle(c, type, hs->rx_buf, len, now);
    return cs_server_handle(c, type, hs->rx_buf, len, now);
}

static int handle_record(coapsec_dtls_conn *c, cs_record *r, coapsec_tstamp now);

static int replay_pending(coapsec_dtls_conn *c, coapsec_tstamp now) {
    coapsec_dtls_hs *hs = c->hs;
    if (!hs || hs->pend_len == 0)
        return 0;
    uint8_t buf[COAPSEC_DTLS_PENDING_MAX];
    size_t n = hs->pend_len;
    memcpy(buf, hs->pend, n);
    hs->pend_len = 0;
    for (size_t pos = 0; pos < n;) {
        cs_record r;
        if (cs_rec_parse(buf + pos, n - pos, &r) != 0)
            break;
        pos += CS_REC_HDR + r.len;
        int rc = handle_record(c, &r, now);
        if (rc < 0)
            return rc;
        if (c->state == CS_ST_FAILED || c->state == CS_ST_CLOSED)
            break;
    }
    return 0;
}

int cs_handle_ccs(coapsec_dtls_conn *c, coapsec_tstamp now) {
    c->read_epoch++;
    c->rw_top = 0;
    c->rw_bits = 0;
    c->state = c->role == CS_ROLE_CLIENT ? CS_ST_C_WAIT_FIN : CS_ST_S_WAIT_FIN;
    return replay_pending(c, now);
}

static int dispatch(coapsec_dtls_conn *c, const cs_record *r, coapsec_tstamp now) {
    switch (r->type) {
    case CS_CT_CCS:
        if (r->len != 1 || r->frag[0] != 1)
            return 0;
        if ((c->state == CS_ST_C_WAIT_CCS || c->state == CS_ST_S_WAIT_CCS) &&
            r->epoch == c->read_epoch && (c->flags & CS_F_KEYS))
            return cs_handle_ccs(c, now);
        return 0;
    case CS_CT_ALERT:
        return handle_alert(c, r->frag, r->len);
    case CS_CT_HANDSHAKE:
        for (size_t pos = 0; pos < r->len;) {
            cs_hsfrag f;
            int n = cs_hs_parse(r->frag + pos, r->len - pos, &f);
            if (n < 0)
                return 0;
            pos += (size_t)n;
            int rc = handle_fragment(c, r->epoch, &f, now);
            if (rc < 0)
                return rc;
            if (c->state == CS_ST_FAILED || c->state == CS_ST_CLOSED)
                return 0;
        }
        return 0;
    case CS_CT_APP:
        if (c->state != CS_ST_ESTABLISHED || r->epoch == 0)
            return 0; /* before the handshake completes: dropped */
        if (c->flags & CS_F_LINGER)
            cs_release_hs(c); /* the client has our final flight */
        if (c->cfg->cb.recv)
            c->cfg->cb.recv(c->user, r->frag, r->len);
        return 0;
    case CS_CT_HEARTBEAT:
        /* RFC 6520 §3: not during a handshake, not from older epochs. */
        if (c->state == CS_ST_ESTABLISHED && r->epoch > 0 && r->epoch == c->read_epoch)
            cs_hb_record(c, r->frag, r->len, now);
        return 0;
    default:
        return 0;
    }
}

static int handle_record(coapsec_dtls_conn *c, cs_record *r, coapsec_tstamp now) {
    if (r->version != CS_DTLS12 &&
        !(r->version == CS_DTLS10 && r->epoch == 0 && r->type == CS_CT_HANDSHAKE))
        return 0;
    if (r->epoch == c->read_epoch) {
        if (r->epoch == 0) {
            if (c->state == CS_ST_ESTABLISHED)
                return 0; /* unauthenticated: ignored once established */
            return dispatch(c, r, now);
        }
        if (!cs_replay_ok(c->rw_top, c->rw_bits, r->seq))
            return 0;
        int w = c->role == CS_ROLE_CLIENT ? 1 : 0; /* the peer's write keys */
        if (cs_rec_open(r, c->key[w], c->iv[w]) != 0) {
            /* §4.1.2.7 aside: a bad Finished ends the handshake. Other
             * records (e.g. a late alert of the session this one replaces)
             * are dropped like any invalid record. */
            if (handshaking(c) && r->type == CS_CT_HANDSHAKE)
                return cs_fail(c, COAPSEC_ERR_AUTH, COAPSEC_DTLS_ALERT_BAD_RECORD_MAC, false,
                               "wrong key or identity");
            return 0; /* dropped silently, no state changed */
        }
        cs_replay_mark(&c->rw_top, &c->rw_bits, r->seq);
        if (c->state == CS_ST_ESTABLISHED)
            cs_hb_input(c, now); /* the peer is alive: restart the heartbeat interval */
        return dispatch(c, r, now);
    }
    coapsec_dtls_hs *hs = c->hs;
    if (!hs)
        return 0;
    if (r->epoch == c->read_epoch + 1 && handshaking(c)) {
        size_t n = CS_REC_HDR + r->len;
        if ((size_t)hs->pend_len + n <= sizeof hs->pend) {
            memcpy(hs->pend + hs->pend_len, r->frag - CS_REC_HDR, n);
            hs->pend_len = (uint16_t)(hs->pend_len + n);
        }
        return 0;
    }
    if (r->epoch + 1 == c->read_epoch && r->epoch == 0 && r->type == CS_CT_HANDSHAKE)
        return dispatch(c, r, now); /* the peer resending its previous flight */
    return 0;
}

int coapsec_dtls_conn_recv(coapsec_dtls_conn *c, uint8_t *dgram, size_t len, coapsec_tstamp now) {
    if (!c || (!dgram && len))
        return COAPSEC_ERR_INVAL;
    for (size_t pos = 0; pos < len;) {
        if (c->state == CS_ST_IDLE || c->state == CS_ST_FAILED || c->state == CS_ST_CLOSED)
            return 0;
        cs_record r;
        if (cs_rec_parse(dgram + pos, len - pos, &r) != 0)
            return 0; /* truncated: the rest of the datagram is dropped */
        pos += CS_REC_HDR + r.len;
        int rc = handle_record(c, &r, now);
        if (rc < 0)
            return rc;
    }
    return 0;
}

size_t coapsec_dtls_conn_max_payload(const coapsec_dtls_conn *c) {
    size_t m = COAPSEC_DTLS_DGRAM_MAX - COAPSEC_DTLS_OVERHEAD;
    if (c->max_plain && c->max_plain < m)
        m = c->max_plain;
    return m;
}

int coapsec_dtls_conn_send(coapsec_dtls_conn *c, const uint8_t *data, size_t len,
                           coapsec_tstamp now) {
    (void)now;
    if (!c || (!data && len))
        return COAPSEC_ERR_INVAL;
    if (c->state != CS_ST_ESTABLISHED)
        return COAPSEC_ERR_STATE;
    if (len > coapsec_dtls_conn_max_payload(c))
        return COAPSEC_ERR_NOBUF;
    return cs_send_record(c, CS_CT_APP, c->write_epoch, data, len);
}

int coapsec_dtls_conn_close(coapsec_dtls_conn *c, coapsec_tstamp now) {
    (void)now;
    if (!c)
        return COAPSEC_ERR_INVAL;
    if (c->state == CS_ST_ESTABLISHED)
        cs_send_alert(c, COAPSEC_DTLS_WARNING, COAPSEC_DTLS_ALERT_CLOSE_NOTIFY);
    if (c->state != CS_ST_FAILED)
        c->state = CS_ST_CLOSED;
    wipe_keys(c);
    cs_release_hs(c);
    return 0;
}

coapsec_tstamp coapsec_dtls_conn_expiry(const coapsec_dtls_conn *c) {
    if (!c)
        return COAPSEC_TSTAMP_NONE;
    coapsec_tstamp t = c->hs ? c->hs->deadline : COAPSEC_TSTAMP_NONE;
    if (c->state == CS_ST_ESTABLISHED && (c->hb_flags & CS_HB_NEG) && c->hb_deadline < t)
        t = c->hb_deadline; /* heartbeat (heartbeat.c) */
    return t;
}

static int hs_handle_expiry(coapsec_dtls_conn *c, coapsec_tstamp now);

int coapsec_dtls_conn_handle_expiry(coapsec_dtls_conn *c, coapsec_tstamp now) {
    if (!c)
        return 0;
    int rc = hs_handle_expiry(c, now);
    if (rc < 0)
        return rc;
    return cs_hb_expire(c, now);
}

static int hs_handle_expiry(coapsec_dtls_conn *c, coapsec_tstamp now) {
    if (!c->hs || now < c->hs->deadline)
        return 0;
    coapsec_dtls_hs *hs = c->hs;
    if ((c->flags & CS_F_LINGER) || c->state == CS_ST_ESTABLISHED) {
        cs_release_hs(c);
        return 0;
    }
    if (hs->last_flight_final) {
        hs->deadline = COAPSEC_TSTAMP_NONE;
        return 0;
    }
    if (hs->retries >= c->cfg->max_retransmits)
        return cs_fail(c, COAPSEC_ERR_TIMEOUT, COAPSEC_DTLS_ALERT_NONE, false,
                       "handshake timed out: no answer from the peer");
    hs->retries++;
    uint32_t max = c->cfg->retrans_max_ms ? c->cfg->retrans_max_ms : 60000;
    hs->timeout_ms = hs->timeout_ms > max / 2 ? max : hs->timeout_ms * 2;
    if (hs->retries >= 2) { /* §4.1.1.1: back off to smaller fragments */
        size_t cap = c->cfg->mtu ? c->cfg->mtu : 1280;
        if (hs->max_frag && hs->max_frag < cap)
            cap = hs->max_frag;
        if (cap > 256)
            hs->max_frag = (uint16_t)(cap / 2 < 256 ? 256 : cap / 2);
    }
    int rc = cs_flight_send(c, now);
    if (rc < 0)
        return cs_fail(c, rc, COAPSEC_DTLS_ALERT_INTERNAL_ERROR, false, "cannot send flight");
    hs->deadline = now + hs->timeout_ms;
    return 0;
}

int coapsec_dtls_conn_state(const coapsec_dtls_conn *c) {
    switch (c->state) {
    case CS_ST_IDLE:
        return COAPSEC_DTLS_ST_IDLE;
    case CS_ST_ESTABLISHED:
        return COAPSEC_DTLS_ST_ESTABLISHED;
    case CS_ST_CLOSED:
        return COAPSEC_DTLS_ST_CLOSED;
    case CS_ST_FAILED:
        return COAPSEC_DTLS_ST_FAILED;
    default:
        return COAPSEC_DTLS_ST_HANDSHAKE;
    }
}

int coapsec_dtls_conn_error(const coapsec_dtls_conn *c, int *alert) {
    if (alert)
        *alert = c->last_alert;
    return c->last_err;
}

unsigned coapsec_dtls_conn_suite(const coapsec_dtls_conn *c) {
    return c->state == CS_ST_ESTABLISHED ? c->suite : 0;
}

int coapsec_dtls_is_client_hello(const uint8_t *dgram, size_t len) {
    return dgram && len >= CS_REC_HDR + 1 && dgram[0] == CS_CT_HANDSHAKE &&
           cs_get16(dgram + 3) == 0 && dgram[CS_REC_HDR] == CS_HT_CLIENT_HELLO;
}

/* A fresh connection in the given role with its handshake object attached
 * (shared by client_start and server_accept). */
void cs_conn_reset(coapsec_dtls_conn *c, const coapsec_dtls_config *cfg, void *user,
                   coapsec_dtls_hs *hs, uint8_t role) {
    memset(c, 0, sizeof *c);
    memset(hs, 0, sizeof *hs);
    c->cfg = cfg;
    c->user = user;
    c->hs = hs;
    c->role = role;
    c->max_plain = 16384;
    c->last_alert = COAPSEC_DTLS_ALERT_NONE;
}
