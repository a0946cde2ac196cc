/*
 * endpoint/hspool.h - reclaiming handshake objects: after a full handshake
 * the server keeps its final flight (the coapsec_dtls_hs object) for
 * linger_ms in case the client lost it. When every object of the pool is
 * taken, the ones lingering behind sessions that are already established
 * are released, oldest first, so that new handshakes are not refused while
 * idle clients hold the pool.
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

#endif /* CS_ENDPOINT_HSPOOL_H */
