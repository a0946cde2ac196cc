/*
 * endpoint/sessions.c - session semantics of TS-0008 §7 on top of the peer
 * table and secure.c: requests to a peer over the session it opened (the
 * CoAP role does not follow the DTLS role), requests waiting in a bounded
 * queue for a PSK identity to connect, eviction (dead peers first, then the
 * least recently active idle session; never one with outstanding exchanges
 * or active within the protection window when making room for a handshake),
 * the cap on client sessions, the idle timeout, CoAP ping keepalive (empty
 * CON, RFC 7252 §4.3) with dead-peer detection, and the session counters.
 * Everything here runs from coapsec_endpoint_process() or an API call, never
 * from inside an engine callback.
 */
#define _GNU_SOURCE /* struct mmsghdr in ep_int.h */
#include <stdlib.h>
#include <string.h>

#include "endpoint/clock.h"
#include "endpoint/ep_int.h"
#include "endpoint/pki.h"
#include "endpoint/udp.h"

#define CS_WAIT_DEFAULT      16
#define CS_WAIT_TIMEOUT_DEF  60000
#define CS_PING_DEAD_DEFAULT 3
#define CS_WAIT_MAX          4096

/* ---- setup -------------------------------------------------------------------- */

static uint32_t cfg_peers(const coapsec_endpoint_config *cfg) {
    return cfg->max_peers ? cfg->max_peers : COAPSEC_ENDPOINT_DEFAULT_PEERS;
}

size_t cs_sx_footprint(const coapsec_endpoint_config *cfg) {
    size_t cap = cfg_peers(cfg);
    size_t nhs = cfg->max_handshakes ? cfg->max_handshakes : COAPSEC_ENDPOINT_DEFAULT_HS;
    size_t npend = cfg->max_pending ? cfg->max_pending : COAPSEC_ENDPOINT_DEFAULT_QUEUE;
    size_t nwait = cfg->max_waiting ? cfg->max_waiting : CS_WAIT_DEFAULT;
    size_t hcap = 4;
    while (hcap < 2 * cap)
        hcap <<= 1;
    size_t n = sizeof(coapsec_endpoint) + sizeof(coapsec_coap_ctx);
    n += (size_t)CS_EP_BATCH * CS_EP_DGRAM_MAX;
    n += cap * (sizeof(coapsec_coap_peer) + sizeof(cs_peer) + sizeof(cs_slot_sec) +
                sizeof(cs_sess) + CS_PKI_SLOT_BYTES);
    if (cfg->ping_interval_ms) /* keepalive state: only when pings are configured */
        n += cap * sizeof(cs_sx_slot);
    n += hcap * sizeof(uint32_t);
    n += nhs * (sizeof(cs_hs_ent) + sizeof(cs_sess));
    n += npend * sizeof(cs_pending) + nwait * sizeof(cs_wait);
    n += cs_rs_footprint(cfg); /* resume.c: session-ID cache, client saved sessions */
    return n;
}

int cs_sx_init(coapsec_endpoint *ep, const coapsec_endpoint_config *cfg) {
    cs_sx *x = &ep->sx;
    memset(x, 0, sizeof *x);
    x->nwait = cfg->max_waiting ? cfg->max_waiting : CS_WAIT_DEFAULT;
    if (x->nwait > CS_WAIT_MAX)
        return COAPSEC_ERR_INVAL;
    x->idle_ms = cfg->idle_timeout_ms;
    x->dtls_only = cfg->dtls_only;
    x->protect_ms = cfg->protect_ms ? cfg->protect_ms : COAPSEC_ENDPOINT_DEFAULT_PROTECT_MS;
    x->ping_ms = cfg->ping_interval_ms;
    x->dead_after = cfg->ping_dead_after ? cfg->ping_dead_after : CS_PING_DEAD_DEFAULT;
    if (x->dead_after > UINT16_MAX) /* cs_peer.missed is 16 bits */
        x->dead_after = UINT16_MAX;
    x->max_client = cfg->max_client_sessions ? cfg->max_client_sessions : ep->peers.cap;
    /* The per-slot ping time exists only when pings are configured (ping_ms
     * is fixed at creation): an endpoint without keepalive pays nothing. */
    x->slot = x->ping_ms ? calloc(ep->peers.cap, sizeof *x->slot) : NULL;
    x->wait = calloc(x->nwait, sizeof *x->wait);
    if ((x->ping_ms && !x->slot) || !x->wait)
        return COAPSEC_ERR_NOMEM;
    x->memory = cs_sx_footprint(cfg);
    return 0;
}

void cs_sx_free(coapsec_endpoint *ep) {
    free(ep->sx.slot);
    free(ep->sx.wait);
    ep->sx.slot = NULL;
    ep->sx.wait = NULL;
}

void cs_sx_slot_new(coapsec_endpoint *ep, uint32_t slot) {
    if (slot >= ep->peers.cap)
        return;
    if (ep->sx.slot)
        memset(&ep->sx.slot[slot], 0, sizeof ep->sx.slot[slot]);
    cs_peer *p = &ep->peers.peers[slot];
    p->ping_out = p->dead = 0;
    p->missed = 0;
}

/* ---- helpers -------------------------------------------------------------------- */

/* The slot's session, when it is an established DTLS session (else NULL). */
static const cs_sess *established(const coapsec_endpoint *ep, uint32_t slot) {
    const cs_slot_sec *sec = &ep->sec[slot];
    if (!sec->secure || sec->closing || sec->cur == CS_NONE || !sec->coap_open)
        return NULL;
    const cs_sess *s = &ep->sess[sec->cur];
    return coapsec_dtls_conn_state(&s->conn) == COAPSEC_DTLS_ST_ESTABLISHED ? s : NULL;
}

static int is_server_session(const coapsec_endpoint *ep, uint32_t slot) {
    const cs_slot_sec *sec = &ep->sec[slot];
    return sec->secure && sec->cur != CS_NONE && ep->sess[sec->cur].server;
}

static void emit(coapsec_endpoint *ep, int type, uint32_t slot, int err, const char *reason) {
    const cs_peer *p = cs_peers_get(&ep->peers, slot);
    if (ep->log && p) {
        static const char *names[] = {"?",       "established", "closed", "failed",
                                      "evicted", "dead",        "resumed"};
        char a[80];
        cs_ep_log(ep, type == COAPSEC_SESSION_DEAD ? COAPSEC_LOG_WARN : COAPSEC_LOG_INFO,
                  "session with %s %s%s%s", cs_sockaddr_str(&p->addr, a, sizeof a),
                  type >= 1 && type <= 6 ? names[type] : "?", reason ? ": " : "",
                  reason ? reason : "");
    }
    if (!ep->session_event)
        return;
    coapsec_session_event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = type;
    ev.peer = cs_peers_id(&ep->peers, slot);
    if (p) {
        ev.addr = &p->addr.sa;
        ev.addrlen = cs_sockaddr_len(&p->addr);
    }
    ev.server = is_server_session(ep, slot);
    ev.err = err;
    ev.alert = COAPSEC_DTLS_ALERT_NONE;
    ev.reason = reason;
    ep->session_event(ep->user, &ev);
}

static int own_busy(const coapsec_endpoint *ep, uint32_t slot) {
    const coapsec_coap_peer *cp = &ep->coap_peers[slot];
    return (cp->in_use && (cp->inflight > 0 || cp->qhead >= 0)) || cs_sec_busy(ep, slot);
}

/* ---- eviction ------------------------------------------------------------------------ */

uint32_t cs_sx_victim(coapsec_endpoint *ep, int (*busy)(void *user, uint32_t slot),
                      int for_handshake) {
    const cs_peer_table *t = &ep->peers;
    /* Dead peers first: a peer that stopped answering loses its place before
     * any live one, busy or not (its exchanges cannot complete anyway). */
    for (uint32_t s = t->lru_tail; s != CS_PEER_NONE; s = t->peers[s].lru_prev)
        if (ep->peers.peers[s].dead && !ep->sec[s].closing && ep->sec[s].next == CS_NONE)
            return s;
    for (uint32_t s = t->lru_tail; s != CS_PEER_NONE; s = t->peers[s].lru_prev) {
        if (busy && busy(ep, s))
            continue;
        if (for_handshake && ep->now - t->peers[s].last_rx < ep->sx.protect_ms)
            continue; /* active within the protection window */
        return s;
    }
    return CS_PEER_NONE;
}

void cs_sx_evict(coapsec_endpoint *ep, uint32_t slot) {
    if (!cs_peers_get(&ep->peers, slot))
        return;
    int dead = ep->peers.peers[slot].dead;
    ep->sx.evictions++;
    if (dead)
        ep->sx.evictions_dead++;
    ep->stats.peers_reclaimed++;
    emit(ep, COAPSEC_SESSION_EVICTED, slot, COAPSEC_ERR_CLOSED,
         dead ? "evicted to make room (dead peer)" : "evicted to make room (least recently used)");
    cs_sec_drop_slot(ep, slot, 1, COAPSEC_ERR_CLOSED);
}

int cs_sx_client_room(coapsec_endpoint *ep) {
    uint32_t n = 0, victim = CS_PEER_NONE;
    const cs_peer_table *t = &ep->peers;
    for (uint32_t s = t->lru_tail; s != CS_PEER_NONE; s = t->peers[s].lru_prev) {
        const cs_slot_sec *sec = &ep->sec[s];
        if (!sec->secure || sec->closing || sec->cur == CS_NONE || ep->sess[sec->cur].server)
            continue;
        n++;
        if (victim == CS_PEER_NONE && (ep->peers.peers[s].dead || !own_busy(ep, s)))
            victim = s;
    }
    if (n < ep->sx.max_client)
        return 0;
    if (victim == CS_PEER_NONE)
        return COAPSEC_ERR_BUSY;
    cs_sx_evict(ep, victim);
    return 0;
}

/* ---- requests to a peer, whichever side opened the session ---------------------------- */

int coapsec_endpoint_request_peer(coapsec_endpoint *ep, coapsec_peer_id peer,
                                  const coapsec_msg *req, coapsec_response_cb cb, void *user) {
    if (!ep || !req)
        return COAPSEC_ERR_INVAL;
    const cs_peer *p = cs_peers_get(&ep->peers, peer.slot);
    if (!p || p->gen != peer.gen)
        return COAPSEC_ERR_NOTFOUND;
    ep->now = cs_clock_ms();
    const cs_slot_sec *sec = &ep->sec[peer.slot];
    if (sec->closing)
        return COAPSEC_ERR_BUSY;
    if (!sec->coap_open || (sec->secure && !established(ep, peer.slot)))
        return COAPSEC_ERR_CLOSED;
    return coapsec_coap_request(ep->coap, peer, req, cb, user, ep->now);
}

static int slot_identity_is(const coapsec_endpoint *ep, uint32_t slot, const uint8_t *id,
                            size_t idlen) {
    uint8_t buf[COAPSEC_DTLS_PSK_ID_MAX];
    size_t len = sizeof buf;
    if (coapsec_endpoint_peer_identity(ep, cs_peers_id(&ep->peers, slot), buf, &len) != 0)
        return 0;
    return len == idlen && memcmp(buf, id, idlen) == 0;
}

int coapsec_endpoint_find_identity(const coapsec_endpoint *ep, const uint8_t *id, size_t idlen,
                                   coapsec_peer_id *out) {
    if (!ep || !id || idlen == 0 || idlen > COAPSEC_DTLS_PSK_ID_MAX)
        return COAPSEC_ERR_NOTFOUND;
    const cs_peer_table *t = &ep->peers;
    /* The session last established with the identity: after a reboot the new
     * session is the one to use. Found through the identity's entry in the
     * server table or the interned pool, without looking at other sessions. */
    uint32_t ref[2], hs[2], hg[2];
    cs_psk_refs_of(ep, id, idlen, ref, hs, hg);
    for (int k = 0; k < 2; k++) {
        uint32_t s = hs[k];
        if (ref[k] != CS_ID_NONE && s != CS_NONE && s < t->cap && t->peers[s].gen == hg[k] &&
            ep->sec[s].id_ref == ref[k] && established(ep, s)) {
            if (out)
                *out = cs_peers_id(t, s);
            return 0;
        }
    }
    if (ref[0] == CS_ID_NONE && ref[1] == CS_ID_NONE && ep->nclient_refs == 0)
        return COAPSEC_ERR_NOTFOUND; /* no session can have it (a device not connected) */
    /* That session has ended: another one with the same identity, most
     * recently used first. Sessions refer to an identity by number (one
     * table entry or one pool entry per identity), so the walk compares
     * numbers; only a client session's identity kept outside the pool
     * (CS_ID_CLIENT) needs its bytes compared. */
    for (uint32_t s = t->lru_head; s != CS_PEER_NONE; s = t->peers[s].lru_next) {
        uint32_t r = ep->sec[s].id_ref;
        int client = r < CS_ID_POOL && (r & CS_ID_CLIENT);
        if (r == CS_ID_NONE || (r != ref[0] && r != ref[1] && !client))
            continue;
        if (!established(ep, s) || (client && !slot_identity_is(ep, s, id, idlen)))
            continue;
        if (out)
            *out = cs_peers_id(t, s);
        return 0;
    }
    return COAPSEC_ERR_NOTFOUND;
}

static int wait_handle(const coapsec_endpoint *ep, const cs_wait *w) {
    return CS_WAIT_HANDLE_BASE | (int)(w->seq & 0x3FFF) << 12 | (int)(w - ep->sx.wait);
}

static void wait_cb(void *user, int status, const coapsec_msg *resp, coapsec_peer_id peer) {
    cs_wait *w = user;
    coapsec_response_cb cb = w->cb;
    void *u = w->user;
    w->state = CS_WAIT_FREE;
    if (cb)
        cb(u, status, resp, peer);
}

int coapsec_endpoint_request_identity(coapsec_endpoint *ep, const uint8_t *id, size_t idlen,
                                      const coapsec_msg *req, uint32_t timeout_ms,
                                      coapsec_response_cb cb, void *user) {
    if (!ep || !req || !id || idlen == 0 || idlen > COAPSEC_DTLS_PSK_ID_MAX)
        return COAPSEC_ERR_INVAL;
    coapsec_peer_id peer;
    if (coapsec_endpoint_find_identity(ep, id, idlen, &peer) == 0)
        return coapsec_endpoint_request_peer(ep, peer, req, cb, user);
    cs_wait *w = NULL;
    for (uint32_t i = 0; i < ep->sx.nwait && !w; i++)
        if (ep->sx.wait[i].state == CS_WAIT_FREE)
            w = &ep->sx.wait[i];
    if (!w)
        return COAPSEC_ERR_BUSY;
    int n = coapsec_msg_encode(req, w->pdu, sizeof w->pdu);
    if (n < 0)
        return n;
    ep->now = cs_clock_ms();
    w->len = (uint16_t)n;
    w->idlen = (uint8_t)idlen;
    memcpy(w->id, id, idlen);
    w->cb = cb;
    w->user = user;
    w->ep = ep;
    w->engine_handle = -1;
    w->deadline = ep->now + (timeout_ms ? timeout_ms : CS_WAIT_TIMEOUT_DEF);
    ep->sx.wseq = (uint16_t)((ep->sx.wseq + 1) & 0x3FFF);
    w->seq = ep->sx.wseq;
    w->state = CS_WAIT_QUEUED;
    if (ep->log)
        cs_ep_log(ep, COAPSEC_LOG_INFO, "request waits for identity '%.*s' to connect", (int)idlen,
                  (const char *)id);
    return wait_handle(ep, w);
}

int cs_sx_cancel(coapsec_endpoint *ep, int handle) {
    uint32_t idx = (uint32_t)handle & 0xFFF;
    uint16_t seq = (uint16_t)(((uint32_t)handle >> 12) & 0x3FFF);
    if (idx >= ep->sx.nwait)
        return COAPSEC_ERR_NOTFOUND;
    cs_wait *w = &ep->sx.wait[idx];
    if (w->state == CS_WAIT_FREE || w->seq != seq)
        return COAPSEC_ERR_NOTFOUND;
    if (w->state == CS_WAIT_SUBMITTED)
        coapsec_coap_cancel(ep->coap, w->engine_handle, ep->now);
    w->state = CS_WAIT_FREE;
    return 0;
}

void cs_sx_established(coapsec_endpoint *ep, uint32_t slot) {
    cs_sx_slot_new(ep, slot);
    if (!established(ep, slot))
        return;
    coapsec_peer_id id = cs_peers_id(&ep->peers, slot);
    cs_psk_note_established(ep, &ep->sec[slot], slot, id.gen);
    for (uint32_t i = 0; i < ep->sx.nwait; i++) {
        cs_wait *w = &ep->sx.wait[i];
        if (w->state != CS_WAIT_QUEUED || !slot_identity_is(ep, slot, w->id, w->idlen))
            continue;
        coapsec_msg m;
        int rc = coapsec_msg_decode(&m, w->pdu, w->len);
        if (rc == 0)
            rc = coapsec_coap_request(ep->coap, id, &m, wait_cb, w, ep->now);
        if (rc >= 0) {
            w->state = CS_WAIT_SUBMITTED;
            w->engine_handle = rc;
        } else {
            wait_cb(w, rc, NULL, id);
        }
    }
}

/* ---- timers: waiting requests, idle timeout, keepalive ----------------------------------- */

static coapsec_tstamp slot_expiry(const coapsec_endpoint *ep, uint32_t s) {
    const cs_peer *p = &ep->peers.peers[s];
    coapsec_tstamp t = COAPSEC_TSTAMP_NONE;
    if (ep->sx.idle_ms && p->last_rx + ep->sx.idle_ms < t)
        t = p->last_rx + ep->sx.idle_ms;
    if (ep->sx.ping_ms && !p->dead && ep->sec[s].coap_open) {
        const cs_sx_slot *k = &ep->sx.slot[s];
        coapsec_tstamp base = p->last_rx > k->last_ping ? p->last_rx : k->last_ping;
        if (base + ep->sx.ping_ms < t)
            t = base + ep->sx.ping_ms;
    }
    return t;
}

coapsec_tstamp cs_sx_expiry(const coapsec_endpoint *ep) {
    coapsec_tstamp t = COAPSEC_TSTAMP_NONE;
    if (!ep->sx.wait)
        return t;
    for (uint32_t i = 0; i < ep->sx.nwait; i++)
        if (ep->sx.wait[i].state == CS_WAIT_QUEUED && ep->sx.wait[i].deadline < t)
            t = ep->sx.wait[i].deadline;
    if (!ep->sx.idle_ms && !ep->sx.ping_ms)
        return t;
    /* The LRU list is ordered by last_rx (every touch sets it to the current
     * time and moves the slot to the head), and a slot's idle and ping
     * deadlines are both at least last_rx + the shorter interval. Walking from
     * the oldest end, the first slot whose last_rx + that interval is not
     * earlier than the best deadline so far ends the walk: no newer slot can
     * be earlier. Only slots passed over (dead, waiting for a ping's answer,
     * not open) are visited beyond it, not every session. */
    uint64_t iv = ep->sx.idle_ms;
    if (ep->sx.ping_ms && (iv == 0 || ep->sx.ping_ms < iv))
        iv = ep->sx.ping_ms;
    const cs_peer_table *pt = &ep->peers;
    for (uint32_t s = pt->lru_tail; s != CS_PEER_NONE; s = pt->peers[s].lru_prev) {
        if (pt->peers[s].last_rx + iv >= t)
            break;
        coapsec_tstamp e = slot_expiry(ep, s);
        if (e < t)
            t = e;
    }
    return t;
}

static void send_ping(coapsec_endpoint *ep, uint32_t slot) {
    /* §4.3: an empty CON ("CoAP ping"); the peer answers with RST. Its MID comes
     * from the same counter as the engine's (the slot's coapsec_coap_peer). */
    uint16_t mid = ep->coap_peers[slot].next_mid++;
    const uint8_t ping[4] = {0x40, 0x00, (uint8_t)(mid >> 8), (uint8_t)mid};
    int rc = ep->sec[slot].secure ? cs_sec_send(ep, slot, ping, sizeof ping)
                                  : cs_ep_sendto(ep, slot, ping, sizeof ping);
    if (rc == 0)
        ep->sx.pings_sent++;
}

static void keepalive(coapsec_endpoint *ep, uint32_t s) {
    cs_sx_slot *k = &ep->sx.slot[s];
    cs_peer *p = &ep->peers.peers[s];
    if (p->ping_out && p->last_rx >= k->last_ping) {
        p->ping_out = 0; /* any input after the ping shows the peer is there */
        p->missed = 0;
        p->dead = 0;
        ep->sx.pings_answered++;
    }
    if (p->dead || !ep->sec[s].coap_open || (ep->sec[s].secure && !established(ep, s)))
        return;
    coapsec_tstamp base = p->last_rx > k->last_ping ? p->last_rx : k->last_ping;
    if (ep->now < base + ep->sx.ping_ms)
        return;
    if (p->missed < UINT16_MAX)
        p->missed = (uint16_t)(p->missed + p->ping_out);
    if (p->ping_out && p->missed >= ep->sx.dead_after) {
        p->dead = 1;
        ep->sx.dead++;
        emit(ep, COAPSEC_SESSION_DEAD, s, COAPSEC_ERR_TIMEOUT, "no answer to CoAP ping");
        return;
    }
    send_ping(ep, s);
    k->last_ping = ep->now ? ep->now : 1;
    p->ping_out = 1;
}

void cs_sx_handle_expiry(coapsec_endpoint *ep) {
    for (uint32_t i = 0; i < ep->sx.nwait; i++) {
        cs_wait *w = &ep->sx.wait[i];
        if (w->state != CS_WAIT_QUEUED || w->deadline > ep->now)
            continue;
        ep->sx.wait_timeouts++;
        if (ep->log)
            cs_ep_log(ep, COAPSEC_LOG_WARN,
                      "request for identity '%.*s' timed out: it never "
                      "connected",
                      (int)w->idlen, (const char *)w->id);
        coapsec_peer_id none = {CS_NONE, 0};
        wait_cb(w, COAPSEC_ERR_TIMEOUT, NULL, none);
    }
    if (!ep->sx.idle_ms && !ep->sx.ping_ms)
        return;
    /* Walk from the least recently used end; eviction below changes the list,
     * so remember the next one first. */
    cs_peer_table *t = &ep->peers;
    for (uint32_t s = t->lru_tail, prev; s != CS_PEER_NONE; s = prev) {
        prev = t->peers[s].lru_prev;
        if (ep->sec[s].closing)
            continue;
        if (ep->sx.idle_ms && ep->now >= t->peers[s].last_rx + ep->sx.idle_ms && !own_busy(ep, s)) {
            ep->sx.idle_closed++;
            emit(ep, COAPSEC_SESSION_CLOSED, s, COAPSEC_ERR_CLOSED, "idle timeout");
            cs_sec_drop_slot(ep, s, 1, COAPSEC_ERR_CLOSED);
            continue;
        }
        if (ep->sx.ping_ms)
            keepalive(ep, s);
    }
}

void coapsec_endpoint_session_stats(const coapsec_endpoint *ep, coapsec_session_stats *out) {
    memset(out, 0, sizeof *out);
    if (!ep)
        return;
    const cs_peer_table *t = &ep->peers;
    out->sessions = t->count;
    for (uint32_t s = t->lru_head; s != CS_PEER_NONE; s = t->peers[s].lru_next) {
        const cs_slot_sec *sec = &ep->sec[s];
        if (!sec->secure || sec->cur == CS_NONE)
            continue;
        out->secure_sessions++;
        if (!ep->sess[sec->cur].server)
            out->client_sessions++;
    }
    out->handshakes = ep->hs_used;
    for (uint32_t i = 0; i < ep->sx.nwait; i++)
        if (ep->sx.wait[i].state == CS_WAIT_QUEUED)
            out->waiting++;
    out->max_sessions = t->cap;
    out->max_handshakes = ep->nhs;
    out->max_client_sessions = ep->sx.max_client;
    out->evictions = ep->sx.evictions;
    out->evictions_dead = ep->sx.evictions_dead;
    out->idle_closed = ep->sx.idle_closed;
    out->pings_sent = ep->sx.pings_sent;
    out->pings_answered = ep->sx.pings_answered;
    out->dead = ep->sx.dead;
    out->wait_timeouts = ep->sx.wait_timeouts;
    out->memory = ep->sx.memory;
}
