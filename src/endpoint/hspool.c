/*
 * endpoint/hspool.c - cs_hs_reclaim() of hspool.h. A lingering handshake
 * object is released through the engine's own timer path: its linger
 * deadline (a field of coapsec_dtls_hs) is brought forward to now and
 * coapsec_dtls_conn_handle_expiry() is called, so the engine wipes the object and reports
 * COAPSEC_DTLS_EV_HS_RELEASED, and secure.c's event callback returns it to the pool. The session
 * stays established: if the client did lose the final flight, it retransmits its own and the
 * handshake times out on its side (RFC 6347 §4.2.4), as after the linger period.
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
