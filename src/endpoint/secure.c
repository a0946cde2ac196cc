/*
 * endpoint/secure.c - DTLS under the CoAP engine: the per-slot session pool
 * (one coapsec_dtls_conn per peer slot, plus replacement handshakes), the
 * capped pool of handshake objects, the stateless server hello path, the
 * queue of client requests waiting for a handshake, session events (every
 * ESTABLISHED opens a new CoAP generation, CLOSED/FAILED closes it) and the
 * DTLS timers (only sessions holding a handshake object have one).
 *
 * DTLS callbacks only record what happened (events, application records);
 * the consequences run in settle() once the engine call has returned, so no
 * callback ever calls back into the connection that reported it.
 */
#define _GNU_SOURCE /* struct mmsghdr in ep_int.h */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "endpoint/ep_int.h"
#include "endpoint/hspool.h"
#include "endpoint/pki.h"
#include "endpoint/udp.h"

/* ---- pools ------------------------------------------------------------------------ */

static uint32_t sess_alloc(coapsec_endpoint *ep, uint32_t slot, int server) {
    uint32_t i = ep->sess_free;
    if (i == CS_NONE)
        return CS_NONE;
    cs_sess *s = &ep->sess[i];
    ep->sess_free = s->next_free;
    memset(s, 0, sizeof *s);
    s->slot = slot;
    s->hs = CS_NONE;
    s->in_use = 1;
    s->server = (uint8_t)server;
    s->cpsk = -1;
    s->started = (uint32_t)ep->now;
    return i;
}

static uint32_t hs_alloc(coapsec_endpoint *ep, uint32_t si) {
    for (uint32_t i = 0; i < ep->nhs; i++)
        if (ep->hs[i].sess == CS_NONE) {
            ep->hs[i].sess = si;
            ep->hs_used++;
            ep->sess[si].hs = i;
            return i;
        }
    return CS_NONE;
}

static void hs_free(coapsec_endpoint *ep, uint32_t h) {
    if (h >= ep->nhs || ep->hs[h].sess == CS_NONE)
        return;
    ep->sess[ep->hs[h].sess].hs = CS_NONE;
    ep->hs[h].sess = CS_NONE;
    ep->hs_used--;
}

/* End a session: close_notify if asked (and established), release its
 * handshake object, wipe its keys and return it to the pool. */
static void sess_close_free(coapsec_endpoint *ep, uint32_t si, int send_close) {
    cs_sess *s = &ep->sess[si];
    if (!s->in_use)
        return;
    if (send_close)
        coapsec_dtls_conn_close(&s->conn, ep->now); /* releases hs (event) */
    if (s->hs != CS_NONE) {
        uint32_t h = s->hs;
        hs_free(ep, h);
        cs_wipe(&ep->hs[h].hs, sizeof ep->hs[h].hs);
    }
    cs_wipe(&s->conn, sizeof s->conn);
    s->in_use = 0;
    s->ev = 0;
    s->next_free = ep->sess_free;
    ep->sess_free = si;
}

/* ---- the request queue ------------------------------------------------------------------ */

static int pend_handle(const coapsec_endpoint *ep, const cs_pending *e) {
    return CS_PEND_HANDLE_BASE | (int)e->seq << 12 | (int)(e - ep->pend);
}

static cs_pending *pend_reserve(coapsec_endpoint *ep) {
    for (uint32_t i = 0; i < ep->npend; i++)
        if (ep->pend[i].state == CS_PEND_FREE)
            return &ep->pend[i];
    return NULL;
}

static void pend_cb(void *user, int status, const coapsec_msg *resp, coapsec_peer_id peer) {
    cs_pending *e = user;
    coapsec_response_cb cb = e->cb;
    void *u = e->user;
    if (e->opt.kind != CS_REQ_OBSERVE || !cs_ep_observe_goes_on(status, resp))
        e->state = CS_PEND_FREE; /* an observation keeps its entry (and handle) until it ends */
    if (cb)
        cb(u, status, resp, peer);
}

static void flush_pending(coapsec_endpoint *ep, uint32_t slot) {
    coapsec_peer_id id = cs_peers_id(&ep->peers, slot);
    for (uint32_t i = 0; i < ep->npend; i++) {
        cs_pending *e = &ep->pend[i];
        if (e->state != CS_PEND_QUEUED || e->slot != slot)
            continue;
        coapsec_msg m;
        int rc = coapsec_msg_decode(&m, e->pdu, e->len);
        if (rc == 0 && e->opt.kind == CS_REQ_XFER) { /* the body stayed with the caller */
            m.payload = e->body_len > 0 ? e->body : NULL;
            m.payload_len = e->body_len;
        }
        if (rc == 0)
            rc = cs_ep_submit(ep, id, &m, &e->opt, pend_cb, e);
        if (rc >= 0) {
            e->state = CS_PEND_SUBMITTED;
            e->engine_handle = rc;
        } else {
            pend_cb(e, rc, NULL, id);
        }
    }
}

static void fail_pending(coapsec_endpoint *ep, uint32_t slot, int status, coapsec_peer_id id) {
    for (uint32_t i = 0; i < ep->npend; i++) {
        cs_pending *e = &ep->pend[i];
        if (e->state == CS_PEND_QUEUED && e->slot == slot)
            pend_cb(e, status, NULL, id);
    }
}

static int enqueue(coapsec_endpoint *ep, cs_pending *e, uint32_t slot, const coapsec_msg *req,
                   const cs_reqopt *o, coapsec_response_cb cb, void *user) {
    coapsec_msg m = *req;
    memset(&e->opt, 0, sizeof e->opt);
    e->body = NULL;
    e->body_len = 0;
    if (o)
        e->opt = *o;
    if (o && o->kind == CS_REQ_XFER) { /* may be larger than a PDU: kept by pointer */
        e->body = req->payload;
        e->body_len = req->payload_len;
        m.payload = NULL;
        m.payload_len = 0;
    }
    int n = coapsec_msg_encode(&m, e->pdu, sizeof e->pdu);
    if (n < 0)
        return n;
    e->len = (uint16_t)n;
    e->slot = slot;
    e->cb = cb;
    e->user = user;
    e->engine_handle = -1;
    ep->pend_seq = (uint16_t)((ep->pend_seq + 1) & 0x3FFF);
    e->seq = ep->pend_seq;
    e->state = CS_PEND_QUEUED;
    return pend_handle(ep, e);
}

int cs_sec_cancel(coapsec_endpoint *ep, int handle) {
    uint32_t idx = (uint32_t)handle & 0xFFF;
    uint16_t seq = (uint16_t)(((uint32_t)handle >> 12) & 0x3FFF);
    if (idx >= ep->npend)
        return COAPSEC_ERR_NOTFOUND;
    cs_pending *e = &ep->pend[idx];
    if (e->state == CS_PEND_FREE || e->seq != seq)
        return COAPSEC_ERR_NOTFOUND;
    if (e->state == CS_PEND_SUBMITTED)
        coapsec_coap_cancel(ep->coap, e->engine_handle, ep->now);
    e->state = CS_PEND_FREE;
    return 0;
}

int cs_sec_observe_cancel(coapsec_endpoint *ep, int handle, int deregister) {
    uint32_t idx = (uint32_t)handle & 0xFFF;
    uint16_t seq = (uint16_t)(((uint32_t)handle >> 12) & 0x3FFF);
    if (idx >= ep->npend)
        return COAPSEC_ERR_NOTFOUND;
    cs_pending *e = &ep->pend[idx];
    if (e->state == CS_PEND_FREE || e->seq != seq || e->opt.kind != CS_REQ_OBSERVE)
        return COAPSEC_ERR_NOTFOUND;
    int rc = 0;
    if (e->state == CS_PEND_SUBMITTED)
        rc = coapsec_coap_observe_cancel(ep->coap, e->engine_handle, deregister, ep->now);
    e->state = CS_PEND_FREE;
    return rc;
}

/* ---- session events ------------------------------------------------------------------------ */

static void fail_text(char *buf, size_t cap, const cs_sess *s) {
    const char *an = coapsec_dtls_alert_name(s->fail_alert);
    if (s->fail_err == COAPSEC_ERR_TIMEOUT)
        snprintf(buf, cap, "no answer from the peer (timeout)");
    else if (s->fail_alert == COAPSEC_DTLS_ALERT_UNKNOWN_PSK_IDENTITY)
        snprintf(buf, cap, "unknown PSK identity (%s)", an);
    else if (s->fail_alert == COAPSEC_DTLS_ALERT_BAD_RECORD_MAC ||
             s->fail_alert == COAPSEC_DTLS_ALERT_DECRYPT_ERROR)
        snprintf(buf, cap, "wrong key or identity (%s)", an);
    else if (s->fail_alert != COAPSEC_DTLS_ALERT_NONE)
        snprintf(buf, cap, "%s (%s%s)", s->fail_reason ? s->fail_reason : "handshake failed", an,
                 s->fail_from_peer ? " from the peer" : "");
    else
        snprintf(buf, cap, "%s", s->fail_reason ? s->fail_reason : coapsec_strerror(s->fail_err));
}

static void emit(coapsec_endpoint *ep, int type, uint32_t slot, const cs_sess *s, int replacement,
                 const char *reason) {
    if (!ep->session_event)
        return;
    const cs_peer *p = cs_peers_get(&ep->peers, slot);
    coapsec_session_event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = type;
    ev.peer = cs_peers_id(&ep->peers, slot);
    if (p) {
        ev.addr = &p->addr.sa;
        ev.addrlen = cs_sockaddr_len(&p->addr);
    }
    ev.server = s->server;
    ev.replacement = replacement;
    ev.alert = COAPSEC_DTLS_ALERT_NONE;
    if (type == COAPSEC_SESSION_ESTABLISHED) {
        ev.suite = s->suite;
        ev.handshake_ms = (uint32_t)(ep->now - cs_sess_started(ep, s));
    } else {
        ev.err = s->fail_err;
        ev.alert = s->fail_alert;
        ev.alert_from_peer = s->fail_from_peer;
        ev.reason = reason;
    }
    ep->session_event(ep->user, &ev);
}

static void on_established(coapsec_endpoint *ep, uint32_t si) {
    cs_sess *s = &ep->sess[si];
    uint32_t slot = s->slot;
    cs_slot_sec *sec = &ep->sec[slot];
    int replacement = 0;
    if (sec->next == si) {
        /* RFC 6347 §4.2.8: the client proved reachability and completed a new
         * handshake: only now does the old association end. */
        uint32_t old = sec->cur;
        sec->cur = si;
        sec->next = CS_NONE;
        replacement = 1;
        if (old != CS_NONE)
            sess_close_free(ep, old, 0);
    }
    if (sec->cur != si)
        return;
    ep->stats.handshakes_completed++;
    cs_psk_remember_id(ep, sec, ep->ev_id, ep->ev_idlen, s->server ? -1 : s->cpsk);
    cs_pki_remember(ep, slot, s->suite); /* pki.c: RPK / X.509 identity */
    /* A new keying: a new CoAP generation; nothing of the previous one can match. */
    if (sec->coap_open) {
        sec->coap_open = 0;
        coapsec_coap_peer_close(ep->coap, cs_peers_id(&ep->peers, slot), ep->now);
    }
    cs_peers_bump_gen(&ep->peers, slot);
    if (coapsec_coap_peer_open(ep->coap, cs_peers_id(&ep->peers, slot)) == 0)
        sec->coap_open = 1;
    if (ep->log) {
        char a[80];
        const cs_peer *p = cs_peers_get(&ep->peers, slot);
        cs_ep_log(ep, COAPSEC_LOG_INFO, "DTLS session with %s established%s: suite 0x%04X, %u ms",
                  p ? cs_sockaddr_str(&p->addr, a, sizeof a) : "?",
                  replacement ? " (replaces the previous one)" : "", (unsigned)s->suite,
                  (unsigned)(ep->now - cs_sess_started(ep, s)));
    }
    emit(ep, COAPSEC_SESSION_ESTABLISHED, slot, s, replacement, NULL);
    if (ep->sec[slot].cur == si && ep->sec[slot].coap_open)
        flush_pending(ep, slot);
    if (ep->sec[slot].cur == si)
        cs_sx_established(ep, slot); /* sessions.c: requests waiting for this identity */
}

static void on_down(coapsec_endpoint *ep, uint32_t si, int failed) {
    cs_sess *s = &ep->sess[si];
    uint32_t slot = s->slot;
    cs_slot_sec *sec = &ep->sec[slot];
    char text[160];
    if (failed)
        fail_text(text, sizeof text, s);
    else
        snprintf(text, sizeof text, "closed by the peer (close_notify)");
    if (failed)
        ep->stats.handshakes_failed++;
    if (ep->log) {
        char a[80];
        const cs_peer *p = cs_peers_get(&ep->peers, slot);
        cs_ep_log(ep, failed ? COAPSEC_LOG_WARN : COAPSEC_LOG_INFO, "DTLS session with %s %s: %s",
                  p ? cs_sockaddr_str(&p->addr, a, sizeof a) : "?", failed ? "failed" : "closed",
                  text);
    }
    if (failed)
        snprintf(ep->last_error, sizeof ep->last_error, "%s", text);
    if (sec->next == si) { /* a replacement handshake failed: the old session goes on */
        sec->next = CS_NONE;
        emit(ep, COAPSEC_SESSION_FAILED, slot, s, 1, text);
        sess_close_free(ep, si, 0);
        return;
    }
    if (sec->cur != si) {
        sess_close_free(ep, si, 0);
        return;
    }
    emit(ep, failed ? COAPSEC_SESSION_FAILED : COAPSEC_SESSION_CLOSED, slot, s, 0,
         failed ? text : NULL);
    cs_sec_drop_slot(ep, slot, 0, failed ? COAPSEC_ERR_HANDSHAKE : COAPSEC_ERR_CLOSED);
}

static void deliver_rx(coapsec_endpoint *ep) {
    unsigned n = ep->nrxq;
    for (unsigned i = 0; i < n; i++) {
        uint32_t si = ep->rxq[i].sess;
        const cs_sess *s = &ep->sess[si];
        if (!s->in_use || ep->sec[s->slot].cur != si || !ep->sec[s->slot].coap_open)
            continue;
        coapsec_coap_recv(ep->coap, cs_peers_id(&ep->peers, s->slot), ep->rxq_buf + ep->rxq[i].off,
                          ep->rxq[i].len, ep->now);
    }
    ep->nrxq = 0;
    ep->rxq_used = 0;
}

/* Heartbeat (RFC 6520): the peer stopped answering; the engine closed the
 * session (close_notify sent): COAPSEC_SESSION_DEAD, then the slot goes. */
static void on_dead(coapsec_endpoint *ep, uint32_t si) {
    cs_sess *s = &ep->sess[si];
    uint32_t slot = s->slot;
    if (ep->sec[slot].cur != si) {
        sess_close_free(ep, si, 0);
        return;
    }
    ep->sx.dead++;
    snprintf(ep->last_error, sizeof ep->last_error, "no answer to DTLS heartbeat (timeout)");
    emit(ep, COAPSEC_SESSION_DEAD, slot, s, 0, "no answer to DTLS heartbeat");
    cs_sec_drop_slot(ep, slot, 0, COAPSEC_ERR_CLOSED);
}

/* Run what the engine reported during the last call on session si. */
static void settle(coapsec_endpoint *ep, uint32_t si) {
    cs_sess *s = &ep->sess[si];
    uint8_t ev = s->ev;
    s->ev = 0;
    if (ev & CS_SEV_ESTABLISHED)
        on_established(ep, si);
    if ((ev & CS_SEV_RESUMED) && s->in_use && ep->sec[s->slot].cur == si) {
        ep->stats.handshakes_resumed++; /* resume.c: abbreviated handshake */
        emit(ep, COAPSEC_SESSION_RESUMED, s->slot, s, 0, NULL);
    }
    deliver_rx(ep);
    if (s->in_use && (ev & CS_SEV_DEAD))
        on_dead(ep, si);
    if (s->in_use && (ev & (CS_SEV_FAILED | CS_SEV_CLOSED)))
        on_down(ep, si, (ev & CS_SEV_FAILED) != 0);
}

void cs_sec_abort_hs(coapsec_endpoint *ep, uint32_t si) {
    cs_sess *s = &ep->sess[si];
    if (!s->in_use)
        return;
    s->ev |= CS_SEV_FAILED;
    s->fail_err = COAPSEC_ERR_TIMEOUT;
    s->fail_alert = COAPSEC_DTLS_ALERT_NONE;
    s->fail_from_peer = 0;
    s->fail_reason = "handshake stalled or past its deadline";
    settle(ep, si);
}

/* ---- DTLS engine callbacks --------------------------------------------------------------- */

static int d_send(void *user, const uint8_t *d, size_t len) {
    cs_sess *s = user;
    return cs_ep_sendto(cs_sess_ep(s), s->slot, d, len);
}

static void d_recv(void *user, const uint8_t *d, size_t len) {
    cs_sess *s = user;
    coapsec_endpoint *ep = cs_sess_ep(s);
    if (ep->nrxq == CS_EP_RXQ || len > sizeof ep->rxq_buf - ep->rxq_used) {
        ep->stats.dropped++;
        return;
    }
    memcpy(ep->rxq_buf + ep->rxq_used, d, len);
    ep->rxq[ep->nrxq].sess = (uint32_t)(s - ep->sess);
    ep->rxq[ep->nrxq].off = (uint16_t)ep->rxq_used;
    ep->rxq[ep->nrxq].len = (uint16_t)len;
    ep->nrxq++;
    ep->rxq_used += len;
}

static void d_event(void *user, const coapsec_dtls_event *ev) {
    cs_sess *s = user;
    coapsec_endpoint *ep = cs_sess_ep(s);
    switch (ev->type) {
    case COAPSEC_DTLS_EV_ESTABLISHED:
        s->ev |= CS_SEV_ESTABLISHED;
        s->suite = (uint16_t)ev->suite;
        ep->ev_idlen = ev->psk_id && ev->psk_id_len <= sizeof ep->ev_id ? ev->psk_id_len : 0;
        cs_pki_event(ep, ev);
        cs_keylog_event(ep, ev); /* keylog.c: only when a key log was asked for */
        if (ep->ev_idlen)
            memcpy(ep->ev_id, ev->psk_id, ep->ev_idlen);
        if (ev->resumed)
            s->ev |= CS_SEV_RESUMED;
        if (!s->server && ev->session)
            cs_rs_save(ep, s->slot, ev->session); /* resume.c: for the next handshake */
        break;
    case COAPSEC_DTLS_EV_DEAD:
        s->ev |= CS_SEV_DEAD;
        s->fail_err = (int16_t)ev->err;
        s->fail_alert = COAPSEC_DTLS_ALERT_NONE;
        s->fail_reason = ev->reason;
        break;
    case COAPSEC_DTLS_EV_CLOSED:
        s->ev |= CS_SEV_CLOSED;
        break;
    case COAPSEC_DTLS_EV_FAILED:
        s->ev |= CS_SEV_FAILED;
        s->fail_err = (int16_t)ev->err;
        s->fail_alert = (int16_t)ev->alert;
        s->fail_from_peer = (uint8_t)ev->alert_from_peer;
        s->fail_reason = ev->reason;
        break;
    case COAPSEC_DTLS_EV_HS_RELEASED:
        hs_free(ep, s->hs);
        break;
    default:
        break;
    }
}

/* ---- setup -------------------------------------------------------------------------------- */

int cs_sec_init(coapsec_endpoint *ep, const coapsec_endpoint_config *cfg) {
    uint32_t cap = ep->peers.cap;
    ep->nhs = cfg->max_handshakes ? cfg->max_handshakes : COAPSEC_ENDPOINT_DEFAULT_HS;
    ep->npend = cfg->max_pending ? cfg->max_pending : COAPSEC_ENDPOINT_DEFAULT_QUEUE;
    if (ep->nhs > 65536 || ep->npend > 4096)
        return COAPSEC_ERR_INVAL;
    ep->nsess = cap + ep->nhs;
    ep->sec = calloc(cap, sizeof *ep->sec);
    ep->sess = calloc(ep->nsess, sizeof *ep->sess);
    ep->hs = calloc(ep->nhs, sizeof *ep->hs);
    ep->pend = calloc(ep->npend, sizeof *ep->pend);
    if (!ep->sec || !ep->sess || !ep->hs || !ep->pend)
        return COAPSEC_ERR_NOMEM;
    for (uint32_t i = 0; i < cap; i++)
        ep->sec[i].cur = ep->sec[i].next = CS_NONE;
    for (uint32_t i = 0; i < ep->nsess; i++)
        ep->sess[i].next_free = i + 1 < ep->nsess ? i + 1 : CS_NONE;
    ep->sess_free = 0;
    for (uint32_t i = 0; i < ep->nhs; i++)
        ep->hs[i].sess = CS_NONE;

    coapsec_dtls_config_default(&ep->dcfg);
    ep->dcfg.cb.send = d_send;
    ep->dcfg.cb.recv = d_recv;
    ep->dcfg.cb.event = d_event;
    if (cfg->dtls_mtu)
        ep->dcfg.mtu = cfg->dtls_mtu;
    if (cfg->dtls_retrans_initial_ms)
        ep->dcfg.retrans_initial_ms = cfg->dtls_retrans_initial_ms;
    if (cfg->dtls_max_retransmits)
        ep->dcfg.max_retransmits = cfg->dtls_max_retransmits;
    ep->dcfg.psk_lookup = cs_psk_lookup;
    ep->dcfg.psk_user = ep;
    cs_hs_config(ep, cfg);    /* hspool.c: stall and deadline of server handshakes */
    int rc = cs_pki_init(ep); /* pki.c: ECDSA credentials; sets the suites offered */
    if (rc != 0)
        return rc;
    /* keylog.c: the Wireshark key log, only when asked for */
    if (cfg->keylog_file && (rc = coapsec_endpoint_set_keylog(ep, cfg->keylog_file)) != 0)
        return rc;
    if ((rc = cs_rs_init(ep, cfg)) != 0) /* resume.c: resumption caches, heartbeat */
        return rc;
    rc = coapsec_dtls_server_init(&ep->dsrv, &ep->dcfg, ep->now);
    if (rc != 0)
        return rc;
    ep->dsrv_ready = 1;
    return 0;
}

void cs_sec_free(coapsec_endpoint *ep) {
    if (ep->sess)
        for (uint32_t i = 0; i < ep->nsess; i++)
            if (ep->sess[i].in_use)
                sess_close_free(ep, i, 1);
    if (ep->hs)
        cs_wipe(ep->hs, sizeof *ep->hs * ep->nhs);
    free(ep->sec);
    free(ep->sess);
    free(ep->hs);
    free(ep->pend);
    cs_psk_pool_free(ep);
    ep->sec = NULL;
    ep->sess = NULL;
    ep->hs = NULL;
    ep->pend = NULL;
    cs_wipe(&ep->dsrv, sizeof ep->dsrv);
    cs_wipe(ep->psk, sizeof ep->psk);
    cs_wipe(ep->psk_default, sizeof ep->psk_default);
    cs_wipe(ep->cpsk, sizeof ep->cpsk);
    cs_pki_free(ep);
    cs_keylog_close(ep); /* keylog.c */
    cs_rs_free(ep);      /* resume.c */
}

/* ---- slots ------------------------------------------------------------------------------- */

int cs_sec_busy(const coapsec_endpoint *ep, uint32_t slot) {
    const cs_slot_sec *sec = &ep->sec[slot];
    if (sec->next != CS_NONE)
        return 1;
    if (sec->cur != CS_NONE &&
        coapsec_dtls_conn_state(&ep->sess[sec->cur].conn) == COAPSEC_DTLS_ST_HANDSHAKE)
        return 1;
    for (uint32_t i = 0; i < ep->npend; i++)
        if (ep->pend[i].state == CS_PEND_QUEUED && ep->pend[i].slot == slot)
            return 1;
    return 0;
}

void cs_sec_drop_slot(coapsec_endpoint *ep, uint32_t slot, int send_close, int pend_status) {
    cs_slot_sec *sec = &ep->sec[slot];
    if (sec->closing || !cs_peers_get(&ep->peers, slot))
        return;
    sec->closing = 1;
    coapsec_peer_id id = cs_peers_id(&ep->peers, slot);
    if (sec->next != CS_NONE)
        sess_close_free(ep, sec->next, 0);
    if (sec->cur != CS_NONE)
        sess_close_free(ep, sec->cur, send_close);
    sec->cur = sec->next = CS_NONE;
    /* Callbacks below may ask for this destination again: `closing` makes
     * such requests fail with COAPSEC_ERR_BUSY instead of reusing the slot. */
    fail_pending(ep, slot, pend_status, id);
    if (sec->coap_open) {
        sec->coap_open = 0;
        coapsec_coap_peer_close(ep->coap, id, ep->now);
    }
    cs_peers_remove(&ep->peers, slot);
    cs_psk_forget_id(ep, sec);
    memset(sec, 0, sizeof *sec);
    sec->cur = sec->next = CS_NONE;
}

/* ---- input ----------------------------------------------------------------------------- */

static void feed(coapsec_endpoint *ep, uint32_t si, uint8_t *data, size_t len) {
    coapsec_dtls_conn_recv(&ep->sess[si].conn, data, len, ep->now);
    settle(ep, si);
}

/* A ClientHello from an address without a session (slot == CS_NONE) or with
 * an established one (replacement): cookie exchange first, no state kept. */
static void server_hello(coapsec_endpoint *ep, uint32_t slot, uint8_t sock, const cs_sockaddr *from,
                         uint8_t *data, size_t len) {
    uint8_t out[COAPSEC_DTLS_DGRAM_MAX];
    size_t outlen = sizeof out;
    int r = coapsec_dtls_server_hello(&ep->dsrv, from, cs_sockaddr_len(from), data, len, out,
                                      &outlen, ep->now);
    if (r == COAPSEC_DTLS_HELLO_HVR) {
        /* in the receive batch's sendmmsg, like every other answer (txq.c) */
        if (cs_txq_send(&ep->txq, ep->sock[sock].fd, from, out, outlen) != 0) {
            ep->stats.send_errors++;
        } else {
            ep->stats.datagrams_out++;
            ep->stats.hello_verify_sent++;
        }
        return;
    }
    if (r != COAPSEC_DTLS_HELLO_ACCEPT) {
        ep->stats.dropped++;
        return;
    }
    if (ep->hs_used >= ep->nhs && !cs_hs_reclaim(ep) && /* hspool.c: lingering ones first, */
        !cs_hs_reclaim_stalled(ep)) {                   /* then a stalled server handshake */
        ep->stats.handshakes_refused++;
        return;
    }
    int replacement = slot != CS_NONE;
    if (replacement && ep->sec[slot].next != CS_NONE)
        return;
    if (!replacement) {
        slot = cs_ep_peer_for(ep, from, sock, 0);
        if (slot == CS_NONE) {
            ep->stats.handshakes_refused++;
            return;
        }
        ep->sec[slot].secure = 1;
    }
    uint32_t si = sess_alloc(ep, slot, 1);
    if (si == CS_NONE || hs_alloc(ep, si) == CS_NONE) {
        if (si != CS_NONE)
            sess_close_free(ep, si, 0);
        if (!replacement)
            cs_sec_drop_slot(ep, slot, 0, COAPSEC_ERR_CLOSED);
        ep->stats.handshakes_refused++;
        return;
    }
    if (replacement)
        ep->sec[slot].next = si;
    else
        ep->sec[slot].cur = si;
    ep->stats.handshakes_started++;
    cs_sess *s = &ep->sess[si];
    cs_pki_refresh(ep); /* pki.c: the suites follow the credentials configured now */
    coapsec_dtls_server_accept(&s->conn, &ep->dcfg, s, &ep->hs[s->hs].hs, data, len, ep->now);
    settle(ep, si);
}

void cs_sec_input(coapsec_endpoint *ep, uint32_t slot, uint8_t sock, const cs_sockaddr *from,
                  uint8_t *data, size_t len) {
    if (slot == CS_NONE) {
        if (!coapsec_dtls_is_client_hello(data, len)) {
            /* plaintext CoAP (or anything else) on a DTLS bind: never answered */
            if (len >= 1 && (data[0] >> 6) == 1)
                ep->stats.plaintext_dropped++;
            ep->stats.dropped++;
            return;
        }
        server_hello(ep, CS_NONE, sock, from, data, len);
        return;
    }
    cs_slot_sec *sec = &ep->sec[slot];
    if (sec->closing)
        return;
    cs_peers_touch(&ep->peers, slot, ep->now);
    if (sec->next != CS_NONE) {
        feed(ep, sec->next, data, len);
        return;
    }
    if (sec->cur == CS_NONE)
        return;
    cs_sess *s = &ep->sess[sec->cur];
    if (s->server && coapsec_dtls_is_client_hello(data, len) &&
        coapsec_dtls_conn_state(&s->conn) != COAPSEC_DTLS_ST_HANDSHAKE) {
        server_hello(ep, slot, sock, from, data, len);
        return;
    }
    feed(ep, sec->cur, data, len);
}

int cs_sec_send(coapsec_endpoint *ep, uint32_t slot, const uint8_t *d, size_t len) {
    cs_slot_sec *sec = &ep->sec[slot];
    if (!sec->coap_open || sec->cur == CS_NONE)
        return COAPSEC_ERR_CLOSED;
    return coapsec_dtls_conn_send(&ep->sess[sec->cur].conn, d, len, ep->now);
}

/* ---- timers ------------------------------------------------------------------------------ */

/* Heartbeat timers of established sessions (no handshake object). */
static coapsec_tstamp hb_expiry(const coapsec_endpoint *ep) {
    coapsec_tstamp t = COAPSEC_TSTAMP_NONE;
    for (uint32_t i = 0; ep->dcfg.heartbeat && i < ep->nsess; i++)
        if (ep->sess[i].in_use && ep->sess[i].hs == CS_NONE) {
            coapsec_tstamp e = coapsec_dtls_conn_expiry(&ep->sess[i].conn);
            if (e < t)
                t = e;
        }
    return t;
}

coapsec_tstamp cs_sec_expiry(const coapsec_endpoint *ep) {
    coapsec_tstamp t = hb_expiry(ep);
    coapsec_tstamp d = cs_hs_deadline_expiry(ep); /* hspool.c: server handshake deadline */
    if (d < t)
        t = d;
    if (ep->hs_used == 0)
        return t;
    for (uint32_t i = 0; i < ep->nhs; i++) {
        if (ep->hs[i].sess == CS_NONE)
            continue;
        coapsec_tstamp e = coapsec_dtls_conn_expiry(&ep->sess[ep->hs[i].sess].conn);
        if (e < t)
            t = e;
    }
    return t;
}

void cs_sec_handle_expiry(coapsec_endpoint *ep) {
    cs_hs_deadline_run(ep); /* hspool.c: server handshakes past hs_deadline_ms */
    for (uint32_t i = 0; i < ep->nhs && ep->hs_used; i++) {
        uint32_t si = ep->hs[i].sess;
        if (si == CS_NONE || coapsec_dtls_conn_expiry(&ep->sess[si].conn) > ep->now)
            continue;
        coapsec_dtls_conn_handle_expiry(&ep->sess[si].conn, ep->now);
        settle(ep, si);
    }
    for (uint32_t si = 0; ep->dcfg.heartbeat && si < ep->nsess; si++) {
        cs_sess *s = &ep->sess[si];
        if (!s->in_use || s->hs != CS_NONE || coapsec_dtls_conn_expiry(&s->conn) > ep->now)
            continue;
        coapsec_dtls_conn_handle_expiry(&s->conn, ep->now); /* heartbeat */
        settle(ep, si);
    }
}

/* ---- client ------------------------------------------------------------------------------ */

int cs_sec_request(coapsec_endpoint *ep, const cs_sockaddr *dst, const char *host, uint16_t port,
                   const coapsec_msg *req, const cs_reqopt *o, coapsec_response_cb cb, void *user) {
    size_t sock = 0;
    while (sock < ep->nsock && ep->sock[sock].local.sa.sa_family != dst->sa.sa_family)
        sock++;
    if (sock == ep->nsock)
        return COAPSEC_ERR_IO;
    uint32_t slot = cs_peers_find(&ep->peers, dst);
    if (slot != CS_NONE) {
        cs_slot_sec *sec = &ep->sec[slot];
        if (sec->closing)
            return COAPSEC_ERR_BUSY;
        if (!sec->secure)
            return COAPSEC_ERR_STATE;
        cs_peers_touch(&ep->peers, slot, ep->now);
        if (sec->cur != CS_NONE && sec->coap_open &&
            coapsec_dtls_conn_state(&ep->sess[sec->cur].conn) == COAPSEC_DTLS_ST_ESTABLISHED)
            return cs_ep_submit(ep, cs_peers_id(&ep->peers, slot), req, o, cb, user);
        if (sec->cur != CS_NONE) {
            cs_pending *e = pend_reserve(ep);
            return e ? enqueue(ep, e, slot, req, o, cb, user) : COAPSEC_ERR_BUSY;
        }
        return COAPSEC_ERR_STATE;
    }
    const cs_cpsk_ent *c = cs_psk_client_for(ep, host, port);
    coapsec_dtls_client_creds cr; /* pki.c: PSK and/or ECDHE_ECDSA, whatever is configured */
    int crc = cs_pki_client_creds(ep, host, port, c, &cr);
    if (crc != 0)
        return crc;
    cr.resume = cs_rs_find(ep, dst); /* resume.c: the session saved for this address */
    cs_pending *e = pend_reserve(ep);
    if (!e || (ep->hs_used >= ep->nhs && !cs_hs_reclaim(ep)))
        return COAPSEC_ERR_BUSY;
    if (cs_sx_client_room(ep) != 0) /* sessions.c: cap on client sessions */
        return COAPSEC_ERR_BUSY;
    slot = cs_ep_peer_for(ep, dst, (uint8_t)sock, 0);
    if (slot == CS_NONE)
        return COAPSEC_ERR_NOMEM;
    cs_slot_sec *sec = &ep->sec[slot];
    sec->secure = 1;
    uint32_t si = sess_alloc(ep, slot, 0);
    if (si == CS_NONE || hs_alloc(ep, si) == CS_NONE) {
        if (si != CS_NONE)
            sess_close_free(ep, si, 0);
        cs_sec_drop_slot(ep, slot, 0, COAPSEC_ERR_CLOSED);
        return COAPSEC_ERR_BUSY;
    }
    sec->cur = si;
    cs_sess *s = &ep->sess[si];
    s->cpsk = c ? (int16_t)(c - ep->cpsk) : -1;
    int h = enqueue(ep, e, slot, req, o, cb, user);
    if (h < 0) {
        cs_sec_drop_slot(ep, slot, 0, COAPSEC_ERR_CLOSED);
        return h;
    }
    ep->stats.handshakes_started++;
    int rc = coapsec_dtls_client_start_ex(&s->conn, &ep->dcfg, s, &ep->hs[s->hs].hs, &cr, ep->now);
    if (rc != 0) {
        e->state = CS_PEND_FREE; /* the caller gets the error, not a callback */
        s->ev = 0;
        cs_sec_drop_slot(ep, slot, 0, COAPSEC_ERR_HANDSHAKE);
        return rc;
    }
    settle(ep, si);
    return h;
}
