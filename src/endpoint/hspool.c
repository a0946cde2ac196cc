/*
 * endpoint/hspool.c - cs_hs_reclaim() of hspool.h. A lingering handshake
 * object is released through the engine's own timer path: its linger
 * deadline (a field of coapsec_dtls_hs) is brought forward to now and
 * coapsec_dtls_conn_handle_expiry() is called, so the engine wipes the object and reports
 * COAPSEC_DTLS_EV_HS_RELEASED, and secure.c's event callback returns it to the pool. The session
 * stays established: if the client did lose the final flight, it retransmits its own and the
 * handshake times out on its side (RFC 6347 §4.2.4), as after the linger period.
 * Also the stalled server handshakes (cs_hs_reclaim_stalled) and the server
 * handshake deadline: those end through secure.c's cs_sec_abort_hs() as a
 * failed handshake (timeout), as if the retransmission limit had run out.
 */
#define _GNU_SOURCE /* struct mmsghdr in ep_int.h */
#include "endpoint/hspool.h"

#include "endpoint/ep_int.h"

int cs_hs_reclaim(coapsec_endpoint *ep) {
    uint32_t best = CS_NONE;
    coapsec_tstamp best_deadline = COAPSEC_TSTAMP_NONE;
    for (uint32_t i = 0; i < ep->nhs; i++) {
        uint32_t si = ep->hs[i].sess;
        if (si == CS_NONE || si >= ep->nsess)
            continue;
        const coapsec_dtls_conn *c = &ep->sess[si].conn;
        if (coapsec_dtls_conn_state(c) != COAPSEC_DTLS_ST_ESTABLISHED || c->hs != &ep->hs[i].hs)
            continue;
        if (best == CS_NONE || ep->hs[i].hs.deadline < best_deadline) {
            best = i;
            best_deadline = ep->hs[i].hs.deadline;
        }
    }
    if (best == CS_NONE)
        return 0;
    uint32_t si = ep->hs[best].sess;
    cs_sess *s = &ep->sess[si];
    uint8_t ev = s->ev;
    ep->hs[best].hs.deadline = ep->now; /* linger over now; other timers keep the real time */
    coapsec_dtls_conn_handle_expiry(&s->conn, ep->now);
    s->ev = ev; /* only HS_RELEASED is expected here; it is handled in the callback */
    if (ep->hs[best].sess == si) /* the engine kept it: should not happen */
        return 0;
    ep->stats.handshakes_reclaimed++;
    return 1;
}

/* ---- stalled server handshakes --------------------------------------------------------- */

#define CS_HS_STALL_DEFAULT    5000u
#define CS_HS_DEADLINE_DEFAULT 120000u

void cs_hs_config(coapsec_endpoint *ep, const coapsec_endpoint_config *cfg) {
    ep->hs_stall_ms = cfg->hs_stall_ms ? cfg->hs_stall_ms : CS_HS_STALL_DEFAULT;
    ep->hs_deadline_ms = cfg->hs_deadline_ms ? cfg->hs_deadline_ms : CS_HS_DEADLINE_DEFAULT;
}

/* Session of handshake entry i if it is a server handshake still running, else CS_NONE. */
static uint32_t running_server_hs(const coapsec_endpoint *ep, uint32_t i) {
    uint32_t si = ep->hs[i].sess;
    if (si == CS_NONE || si >= ep->nsess)
        return CS_NONE;
    const cs_sess *s = &ep->sess[si];
    if (!s->in_use || !s->server || s->conn.hs != &ep->hs[i].hs ||
        coapsec_dtls_conn_state(&s->conn) != COAPSEC_DTLS_ST_HANDSHAKE)
        return CS_NONE;
    return si;
}

int cs_hs_reclaim_stalled(coapsec_endpoint *ep) {
    uint32_t best = CS_NONE;
    coapsec_tstamp best_rx = COAPSEC_TSTAMP_NONE;
    for (uint32_t i = 0; i < ep->nhs; i++) {
        uint32_t si = running_server_hs(ep, i);
        if (si == CS_NONE)
            continue;
        /* the slot's last_rx: the last datagram from this address (secure.c touches it on
         * every input, retransmissions included) */
        const cs_peer *p = cs_peers_get(&ep->peers, ep->sess[si].slot);
        coapsec_tstamp rx = p ? p->last_rx : 0;
        if (rx > ep->now || ep->now - rx < ep->hs_stall_ms)
            continue;
        if (best == CS_NONE || rx < best_rx) {
            best = si;
            best_rx = rx;
        }
    }
    if (best == CS_NONE)
        return 0;
    uint32_t used = ep->hs_used;
    cs_sec_abort_hs(ep, best);
    if (ep->hs_used >= used) /* its object was not released: should not happen */
        return 0;
    ep->stats.handshakes_stalled_dropped++;
    return 1;
}

uint64_t cs_hs_deadline_expiry(const coapsec_endpoint *ep) {
    coapsec_tstamp t = COAPSEC_TSTAMP_NONE;
    if (ep->hs_deadline_ms == UINT32_MAX)
        return t;
    for (uint32_t i = 0; i < ep->nhs && ep->hs_used; i++) {
        uint32_t si = running_server_hs(ep, i);
        if (si != CS_NONE && cs_sess_started(ep, &ep->sess[si]) + ep->hs_deadline_ms < t)
            t = cs_sess_started(ep, &ep->sess[si]) + ep->hs_deadline_ms;
    }
    return t;
}

void cs_hs_deadline_run(coapsec_endpoint *ep) {
    if (ep->hs_deadline_ms == UINT32_MAX)
        return;
    for (uint32_t i = 0; i < ep->nhs && ep->hs_used; i++) {
        uint32_t si = running_server_hs(ep, i);
        if (si == CS_NONE || cs_sess_started(ep, &ep->sess[si]) + ep->hs_deadline_ms > ep->now)
            continue;
        cs_sec_abort_hs(ep, si);
        ep->stats.handshakes_deadline_dropped++;
    }
}
