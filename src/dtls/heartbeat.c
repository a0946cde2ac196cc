/*
 * dtls/heartbeat.c - the DTLS Heartbeat protocol (RFC 6520) on an
 * established session: answering the peer's HeartbeatRequest with an exact
 * copy of its payload (when we said peer_allowed_to_send), our own requests
 * (4-byte random payload, 16 bytes of random padding, §4), at most one in
 * flight, retransmitted on the DTLS timer (RFC 6347 §4.2.4.1) and, after
 * max_retransmits unanswered retransmissions, the session declared dead
 * (§3: "the DTLS connection SHOULD be terminated"), and the optional
 * interval timer that sends a request after a quiet period.
 */
#include "dtls/dtls_int.h"

enum { HB_REQUEST = 1, HB_RESPONSE = 2 };

/* The timeout of the current attempt: the handshake's doubling scheme. */
static uint32_t hb_timeout(const coapsec_dtls_conn *c) {
    uint32_t t = c->cfg->retrans_initial_ms ? c->cfg->retrans_initial_ms : 1000;
    uint32_t max = c->cfg->retrans_max_ms ? c->cfg->retrans_max_ms : 60000;
    for (unsigned i = 0; i < c->hb_retries; i++)
        t = t > max / 2 ? max : t * 2;
    return t;
}

void cs_hb_input(coapsec_dtls_conn *c, coapsec_tstamp now) {
    if ((c->hb_flags & CS_HB_MAY_SEND) && !(c->hb_flags & CS_HB_INFLIGHT) &&
        c->cfg->heartbeat_interval_ms)
        c->hb_deadline = now + c->cfg->heartbeat_interval_ms;
}

void cs_hb_established(coapsec_dtls_conn *c, coapsec_tstamp now) {
    c->hb_flags = 0;
    c->hb_retries = 0;
    c->hb_deadline = COAPSEC_TSTAMP_NONE;
    uint8_t peer = c->hs ? c->hs->peer_hb : 0;
    if (!c->cfg->heartbeat || !peer)
        return;
    c->hb_flags = CS_HB_NEG;
    if (c->cfg->heartbeat == COAPSEC_DTLS_HB_ALLOWED)
        c->hb_flags |= CS_HB_ANSWER;
    if (peer == COAPSEC_DTLS_HB_ALLOWED)
        c->hb_flags |= CS_HB_MAY_SEND;
    cs_hb_input(c, now);
}

/* One HeartbeatMessage: type, payload_length, payload, random padding. */
static int hb_send(coapsec_dtls_conn *c, uint8_t type, const uint8_t *payload, size_t plen) {
    uint8_t m[COAPSEC_DTLS_DGRAM_MAX];
    size_t total = 3 + plen + CS_HB_PAD;
    if (total > sizeof m - COAPSEC_DTLS_OVERHEAD || total > coapsec_dtls_conn_max_payload(c))
        return COAPSEC_ERR_NOBUF;
    m[0] = type;
    cs_put16(m + 1, (uint32_t)plen);
    if (plen)
        memcpy(m + 3, payload, plen);
    if (cs_cfg_nonce(c->cfg, m + 3 + plen, CS_HB_PAD) != 0)
        return COAPSEC_ERR_CRYPTO;
    return cs_send_record(c, CS_CT_HEARTBEAT, c->write_epoch, m, total);
}

static int send_request(coapsec_dtls_conn *c) {
    uint8_t pl[4];
    cs_put16(pl, c->hb_tag >> 16);
    cs_put16(pl + 2, c->hb_tag & 0xffff);
    return hb_send(c, HB_REQUEST, pl, sizeof pl);
}

int coapsec_dtls_conn_heartbeat_ok(const coapsec_dtls_conn *c) {
    return c && c->state == CS_ST_ESTABLISHED && (c->hb_flags & CS_HB_MAY_SEND) != 0;
}

int coapsec_dtls_conn_heartbeat(coapsec_dtls_conn *c, coapsec_tstamp now) {
    if (!c)
        return COAPSEC_ERR_INVAL;
    /* Never during a handshake (§3), never to a peer that did not allow it (§2). */
    if (!coapsec_dtls_conn_heartbeat_ok(c))
        return COAPSEC_ERR_STATE;
    if (c->hb_flags & CS_HB_INFLIGHT)
        return COAPSEC_ERR_BUSY; /* §3: at most one in flight */
    uint8_t r[4];
    if (cs_cfg_nonce(c->cfg, r, sizeof r) != 0)
        return COAPSEC_ERR_CRYPTO;
    c->hb_tag = (uint32_t)cs_get16(r) << 16 | cs_get16(r + 2);
    c->hb_retries = 0;
    int rc = send_request(c);
    if (rc)
        return rc;
    c->hb_flags |= CS_HB_INFLIGHT;
    c->hb_deadline = now + hb_timeout(c);
    return 0;
}

void cs_hb_record(coapsec_dtls_conn *c, const uint8_t *p, size_t n, coapsec_tstamp now) {
    if (!(c->hb_flags & CS_HB_NEG) || n < 3)
        return; /* not negotiated: never expected */
    uint8_t type = p[0];
    size_t plen = cs_get16(p + 1);
    /* §4: payload_length too large for the record (padding at least 16):
     * discarded silently. */
    if (plen + 3 + CS_HB_PAD > n)
        return;
    if (type == HB_REQUEST) {
        /* §2: after peer_not_allowed_to_send, requests are dropped. */
        if (c->hb_flags & CS_HB_ANSWER)
            (void)hb_send(c, HB_RESPONSE, p + 3, plen);
        return;
    }
    if (type != HB_RESPONSE || !(c->hb_flags & CS_HB_INFLIGHT) || plen != 4)
        return; /* §4: a response that matches no request is discarded */
    uint32_t tag = (uint32_t)cs_get16(p + 3) << 16 | cs_get16(p + 5);
    if (tag != c->hb_tag)
        return;
    c->hb_flags &= (uint8_t)~CS_HB_INFLIGHT;
    c->hb_retries = 0;
    c->hb_deadline = COAPSEC_TSTAMP_NONE;
    cs_hb_input(c, now);
}

int cs_hb_expire(coapsec_dtls_conn *c, coapsec_tstamp now) {
    if (c->state != CS_ST_ESTABLISHED || !(c->hb_flags & CS_HB_NEG) || now < c->hb_deadline)
        return 0;
    if (!(c->hb_flags & CS_HB_INFLIGHT)) {
        c->hb_deadline = COAPSEC_TSTAMP_NONE;
        int rc = coapsec_dtls_conn_heartbeat(c, now); /* the interval passed */
        return rc == COAPSEC_ERR_BUSY ? 0 : rc;
    }
    if (c->hb_retries >= c->cfg->max_retransmits) {
        /* The peer is gone: close (close_notify in case it is not) and say so. */
        c->hb_flags &= (uint8_t)~CS_HB_INFLIGHT;
        c->hb_deadline = COAPSEC_TSTAMP_NONE;
        coapsec_dtls_conn_close(c, now);
        c->last_err = COAPSEC_ERR_TIMEOUT;
        coapsec_dtls_event ev;
        memset(&ev, 0, sizeof ev);
        ev.type = COAPSEC_DTLS_EV_DEAD;
        ev.err = COAPSEC_ERR_TIMEOUT;
        ev.alert = COAPSEC_DTLS_ALERT_NONE;
        ev.reason = "no heartbeat response from the peer";
        cs_emit(c, &ev);
        return COAPSEC_ERR_TIMEOUT;
    }
    c->hb_retries++;
    int rc = send_request(c); /* the same payload again */
    c->hb_deadline = now + hb_timeout(c);
    return rc;
}
