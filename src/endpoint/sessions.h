/*
 * endpoint/sessions.h - private state of sessions.c: per-slot keepalive
 * state (CoAP ping, dead peers), the bounded queue of requests waiting for a
 * peer identity to connect, the session limits (idle timeout, eviction
 * protection window, client-session cap) and the session counters.
 */
#ifndef CS_ENDPOINT_SESSIONS_H
#define CS_ENDPOINT_SESSIONS_H

#include "coapsec/common.h"
#include "coapsec/dtls.h"
#include "coapsec/endpoint.h"

/* Keepalive state of one peer slot (its flags and missed-ping count live in
 * the padding of cs_peer: ping_out, dead, missed). */
typedef struct cs_sx_slot {
    coapsec_tstamp last_ping; /* when the last ping went out, 0 = none */
} cs_sx_slot;

/* A request waiting for a peer identity to connect. */
#define CS_WAIT_FREE      0
#define CS_WAIT_QUEUED    1
#define CS_WAIT_SUBMITTED 2
typedef struct cs_wait {
    uint8_t state;
    uint8_t idlen;
    uint16_t seq;
    uint16_t len;
    int engine_handle;
    coapsec_tstamp deadline;
    coapsec_response_cb cb;
    void *user;
    struct coapsec_endpoint *ep;
    uint8_t id[COAPSEC_DTLS_PSK_ID_MAX];
    uint8_t pdu[COAPSEC_MAX_PDU];
} cs_wait;
/* Handles of waiting requests: between engine handles (< 2^26) and the
 * handshake queue's (>= 2^30). */
#define CS_WAIT_HANDLE_BASE (1 << 29)

typedef struct cs_sx {
    cs_sx_slot *slot; /* per peer slot; NULL when no pings are configured (ping_ms 0) */
    cs_wait *wait;
    uint32_t nwait;
    uint16_t wseq;
    uint32_t idle_ms, protect_ms, ping_ms, dead_after, max_client;
    int dtls_only;
    uint64_t evictions, evictions_dead, idle_closed, pings_sent, pings_answered, dead,
        wait_timeouts;
    size_t memory;
} cs_sx;

#endif /* CS_ENDPOINT_SESSIONS_H */
