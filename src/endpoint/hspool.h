/*
 * endpoint/hspool.h - reclaiming handshake objects: after a full handshake
 * the server keeps its final flight (the coapsec_dtls_hs object) for
 * linger_ms in case the client lost it. When every object of the pool is
 * taken, the ones lingering behind sessions that are already established
 * are released, oldest first, so that new handshakes are not refused while
 * idle clients hold the pool. Server handshakes that stall (the client
 * answered the cookie, then went silent) are dropped when the pool is full
 * and a new one arrives (hs_stall_ms), and every server handshake has a
 * deadline (hs_deadline_ms). Established sessions and client handshakes are
 * never touched.
 */
#ifndef CS_ENDPOINT_HSPOOL_H
#define CS_ENDPOINT_HSPOOL_H

#include <stdint.h>

struct coapsec_endpoint;

/**
 * Release the handshake object of the established session that has held it
 * longest (the earliest linger deadline). Returns 1 if one was released (the
 * pool has a free entry), 0 if every object belongs to a running handshake.
 */
int cs_hs_reclaim(struct coapsec_endpoint *ep);

struct coapsec_endpoint_config;

/** Take hs_stall_ms and hs_deadline_ms from cfg (0 = the defaults). */
void cs_hs_config(struct coapsec_endpoint *ep, const struct coapsec_endpoint_config *cfg);

/**
 * Drop the server handshake (new or replacement) whose peer has been silent
 * longest, if silent for at least hs_stall_ms: the handshake fails with
 * COAPSEC_ERR_TIMEOUT (COAPSEC_SESSION_FAILED) and its object returns to the
 * pool. Returns 1 if one was dropped, 0 if none has stalled.
 */
int cs_hs_reclaim_stalled(struct coapsec_endpoint *ep);

/** Earliest hs_deadline_ms deadline of a running server handshake, or COAPSEC_TSTAMP_NONE. */
uint64_t cs_hs_deadline_expiry(const struct coapsec_endpoint *ep);

/** Drop every running server handshake whose deadline has passed. */
void cs_hs_deadline_run(struct coapsec_endpoint *ep);

#endif /* CS_ENDPOINT_HSPOOL_H */
