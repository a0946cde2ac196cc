/*
 * endpoint/peers.h - the endpoint's peer (session) table: remote transport
 * address (family, IP, port) -> slot, through an open-addressing hash with
 * linear probing and a seeded hash function. The table has a hard capacity
 * fixed at creation; when it is full the least recently used slot is the
 * eviction candidate. Every reuse of a slot bumps its generation, so a
 * coapsec_peer_id of a reclaimed peer never matches the new occupant.
 *
 * A slot is deliberately small: the DTLS state of a slot lives in arrays of
 * the endpoint indexed by the same slot number, not behind a pointer here.
 */
#ifndef CS_ENDPOINT_PEERS_H
#define CS_ENDPOINT_PEERS_H

#include <netinet/in.h>
#include <sys/socket.h>

#include "coapsec/common.h"

/** A remote UDP address, IPv4 or IPv6. */
typedef union cs_sockaddr {
    struct sockaddr sa;
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
} cs_sockaddr;

#define CS_PEER_NONE UINT32_MAX

/** One peer slot. */
typedef struct cs_peer {
    cs_sockaddr addr;
    uint32_t gen;      /* bumped every time the slot is (re)used */
    uint32_t lru_prev; /* towards more recently used; CS_PEER_NONE at the head */
    uint32_t lru_next; /* towards less recently used; also the free-list link */
    uint8_t in_use;
    uint8_t sock; /* index of the local socket this peer talks through */
    /* keepalive (sessions.c; here because they fit the padding before last_rx) */
    uint8_t ping_out;       /* a ping is unanswered */
    uint8_t dead;           /* declared dead (COAPSEC_SESSION_DEAD) */
    uint16_t missed;        /* pings in a row without input after them (saturates) */
    coapsec_tstamp last_rx; /* last time a datagram came from or went to the peer */
} cs_peer; /* 56 bytes on LP64: the slot's DTLS state is in the endpoint's parallel arrays */

typedef struct cs_peer_table {
    cs_peer *peers;  /* cap slots */
    uint32_t *index; /* hcap buckets: slot + 1, 0 = empty */
    uint32_t cap;
    uint32_t hcap; /* power of two, >= 2 * cap */
    uint32_t count;
    uint32_t lru_head; /* most recently used */
    uint32_t lru_tail; /* least recently used */
    uint32_t free_head;
    uint64_t seed; /* per-table hash key, so remote parties cannot aim at one bucket */
} cs_peer_table;

/** Allocate a table for cap peers (cap >= 1). Returns 0 or COAPSEC_ERR_INVAL/NOMEM. */
int cs_peers_init(cs_peer_table *t, uint32_t cap, uint64_t seed);
void cs_peers_free(cs_peer_table *t);

/** Slot of the peer with this address, or CS_PEER_NONE. */
uint32_t cs_peers_find(const cs_peer_table *t, const cs_sockaddr *a);

/**
 * Add a peer for this address (which must not be in the table) in a free slot
 * and make it the most recently used. Returns the slot, or CS_PEER_NONE when
 * the table is full (the caller then evicts cs_peers_victim() first).
 */
uint32_t cs_peers_add(cs_peer_table *t, const cs_sockaddr *a, uint8_t sock, coapsec_tstamp now);

/** Mark the slot as just used (move it to the head of the LRU list). */
void cs_peers_touch(cs_peer_table *t, uint32_t slot, coapsec_tstamp now);

/**
 * The least recently used slot for which busy(user, slot) returns 0 (busy may
 * be NULL), or CS_PEER_NONE when every slot is busy.
 */
uint32_t cs_peers_victim(const cs_peer_table *t, int (*busy)(void *user, uint32_t slot),
                         void *user);

/** Start a new generation of an occupied slot (a new keying of its session). */
void cs_peers_bump_gen(cs_peer_table *t, uint32_t slot);

/** Remove a peer; its slot's generation is bumped. */
void cs_peers_remove(cs_peer_table *t, uint32_t slot);

/** The peer in slot, or NULL when the slot is free or out of range. */
cs_peer *cs_peers_get(const cs_peer_table *t, uint32_t slot);

/** Peer id (slot, generation) of an occupied slot. */
coapsec_peer_id cs_peers_id(const cs_peer_table *t, uint32_t slot);

/** Address equality on family, IP, port (and IPv6 scope). */
int cs_sockaddr_eq(const cs_sockaddr *a, const cs_sockaddr *b);

/** Bytes of a (valid) cs_sockaddr to hand to sendto(). */
socklen_t cs_sockaddr_len(const cs_sockaddr *a);

#endif /* CS_ENDPOINT_PEERS_H */
