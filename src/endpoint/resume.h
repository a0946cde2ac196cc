/*
 * endpoint/resume.h - private state of resume.c: the endpoint's DTLS
 * session resumption (RFC 5246 §7.3, RFC 5077) and heartbeat (RFC 6520)
 * settings. Server side: the ticket keys and the session-ID cache; client
 * side: one saved session per destination address. All of it lives here,
 * outside the per-session coapsec_dtls_conn.
 */
#ifndef CS_ENDPOINT_RESUME_H
#define CS_ENDPOINT_RESUME_H

#include "coapsec/dtls.h"
#include "endpoint/peers.h"

/* A client's saved session for one destination. */
typedef struct cs_rs_saved {
    uint8_t used;
    cs_sockaddr dst;
    coapsec_tstamp last_used;
    coapsec_dtls_session sess;
} cs_rs_saved;

typedef struct cs_rs {
    int enabled;
    coapsec_dtls_ticket_keys tk;      /* server: stateless tickets */
    coapsec_dtls_session_cache cache; /* server: session-ID cache over cache_ent */
    coapsec_dtls_session *cache_ent;
    uint32_t *cache_index; /* the cache's hash index */
    cs_rs_saved *saved;    /* client: nsaved entries, least recently used replaced */
    uint32_t nsaved;
    size_t memory; /* bytes allocated here */
} cs_rs;

#endif /* CS_ENDPOINT_RESUME_H */
