/*
 * endpoint/ep_int.h - private declarations shared by the endpoint's files:
 * the endpoint struct itself, the per-slot security state, the DTLS session
 * and handshake pools, the queue of client requests waiting for a handshake,
 * the PSK tables, and the functions endpoint.c calls in secure.c / psk.c.
 */
#ifndef CS_ENDPOINT_EP_INT_H
#define CS_ENDPOINT_EP_INT_H

/* Users of this header define _GNU_SOURCE first (struct mmsghdr). */
#include <sys/socket.h>

#include "coapsec/dtls.h"
#include "coapsec/endpoint.h"
#include "endpoint/peers.h"
#include "endpoint/resume.h"
#include "endpoint/sessions.h"
#include "endpoint/txq.h"
#include "endpoint/keylog.h"

#define CS_EP_BATCH 64 /* datagrams per recvmmsg() */
/* Answers to a receive batch leave together (sendmmsg), but none waits more
 * than this for the rest of the batch: a batch of handshake messages costs
 * ECDH and ECDSA operations of about 0.1 ms each, and holding the first
 * answers until the last is done would leave the peers idle. */
#define CS_EP_TX_HOLD_US 100
#define CS_EP_DGRAM_MAX  2048 /* larger datagrams are truncated and dropped */
#define CS_EP_MAX_ROUNDS 64   /* recvmmsg() rounds per socket per iteration (fairness) */
#define CS_NONE          UINT32_MAX
#define CS_EP_RXQ        8 /* application records buffered during one DTLS call */

typedef struct cs_ep_sock {
    int fd;
    cs_sockaddr local;
    int security; /* enum coapsec_security */
} cs_ep_sock;

/* Where a session's identity is kept (cs_slot_sec.id_ref). */
#define CS_ID_NONE   0       /* no identity */
#define CS_ID_CLIENT 0x8000  /* | index into the client PSK table (pool full) */
#define CS_ID_POOL   0x10000 /* + index into the interned identities (psk.c) */
/* otherwise: 1 + index into the server identity table */

/* Security state of one peer slot (array parallel to the peer table): 12 bytes. */
typedef struct cs_slot_sec {
    uint32_t cur;           /* session in use (handshaking or established), CS_NONE */
    uint32_t next;          /* server: replacement handshake from the same address (§4.2.8) */
    uint32_t id_ref : 29;   /* CS_ID_* */
    uint32_t secure : 1;    /* the peer speaks DTLS */
    uint32_t coap_open : 1; /* a CoAP generation of the slot is open */
    uint32_t closing : 1;   /* being torn down: no new requests */
} cs_slot_sec;

/* A PSK identity interned for the slots that refer to it (psk.c): identities
 * the lookup callback accepted and client identities, so that a slot keeps a
 * 29-bit reference instead of a copy. Grown on demand, reference counted. */
typedef struct cs_pid_ent {
    uint32_t refs;                /* 0 = free */
    uint32_t last_slot, last_gen; /* the session last established with it */
    uint8_t len;
    union {
        uint8_t id[COAPSEC_ENDPOINT_PSK_ID_INLINE]; /* in use */
        uint32_t next_free;                         /* free: the free list */
    };
} cs_pid_ent;

/* Pending DTLS events of a session, handled after the engine call returns. */
#define CS_SEV_ESTABLISHED 1u
#define CS_SEV_CLOSED      2u
#define CS_SEV_FAILED      4u
#define CS_SEV_DEAD        8u  /* heartbeat: no answer (resume.c settings) */
#define CS_SEV_RESUMED     16u /* with ESTABLISHED: an abbreviated handshake */

typedef struct cs_sess {
    coapsec_dtls_conn conn; /* conn.cfg is &ep->dcfg: cs_sess_ep() */
    union {
        uint32_t slot;      /* in use: owning peer slot */
        uint32_t next_free; /* free: free list */
    };
    uint32_t hs;      /* handshake object index, CS_NONE */
    uint32_t started; /* low 32 bits of ep->now at the start: cs_sess_started() */
    uint8_t in_use;
    uint8_t server;
    uint8_t ev; /* CS_SEV_* */
    uint8_t fail_from_peer;
    int16_t fail_err;
    int16_t fail_alert;
    uint16_t suite;
    int16_t cpsk;            /* client: index of the credentials used, -1 */
    const char *fail_reason; /* static text from the DTLS engine */
} cs_sess;

typedef struct cs_hs_ent {
    coapsec_dtls_hs hs;
    uint32_t sess; /* owner, CS_NONE when free */
} cs_hs_ent;

/* How a client request goes to the engine (xfer.c): coapsec_coap_request,
 * coapsec_coap_request_ex with block-wise settings, or coapsec_coap_observe. */
enum { CS_REQ_PLAIN = 0, CS_REQ_XFER = 1, CS_REQ_OBSERVE = 2 };
typedef struct cs_reqopt {
    uint8_t kind;
    coapsec_coap_xfer xfer; /* CS_REQ_XFER */
} cs_reqopt;

/* A client request waiting for its handshake (then: for its response). */
#define CS_PEND_FREE      0
#define CS_PEND_QUEUED    1
#define CS_PEND_SUBMITTED 2
typedef struct cs_pending {
    uint8_t state;
    uint16_t seq;
    uint32_t slot;
    int engine_handle;
    coapsec_response_cb cb;
    void *user;
    uint16_t len;
    uint8_t pdu[COAPSEC_MAX_PDU]; /* the request, encoded */
    cs_reqopt opt;                /* xfer.c: kind; for CS_REQ_XFER the payload is not in pdu: */
    const uint8_t *body;          /* it is the caller's, valid until cb (coapsec_coap_request_ex) */
    size_t body_len;
} cs_pending;
#define CS_PEND_HANDLE_BASE (1 << 30) /* engine handles stay below 2^26 */

typedef struct cs_psk_ent {
    uint8_t idlen, keylen;
    uint8_t id[COAPSEC_DTLS_PSK_ID_MAX];
    uint8_t key[COAPSEC_DTLS_PSK_KEY_MAX];
    uint32_t last_slot, last_gen; /* server table: the session last established with it */
} cs_psk_ent;

typedef struct cs_cpsk_ent {
    uint8_t used;
    char authority[272]; /* "" = default */
    cs_psk_ent psk;
} cs_cpsk_ent;

struct coapsec_endpoint {
    int epfd;
    cs_ep_sock sock[COAPSEC_ENDPOINT_MAX_BIND];
    size_t nsock;
    coapsec_tstamp now; /* the time of the current iteration */
    cs_peer_table peers;
    coapsec_coap_peer *coap_peers;
    coapsec_coap_ctx *coap;
    coapsec_endpoint_stats stats;
    void (*log)(void *user, int level, const char *msg);
    int (*well_known_links)(void *user, coapsec_peer_id peer, char *buf, size_t cap);
    void (*session_event)(void *user, const coapsec_session_event *ev);
    void *user;
    /* receive batch */
    uint8_t (*rbuf)[CS_EP_DGRAM_MAX];
    struct mmsghdr rmsg[CS_EP_BATCH];
    struct iovec riov[CS_EP_BATCH];
    cs_sockaddr raddr[CS_EP_BATCH];

    /* ---- DTLS ---- */
    cs_slot_sec *sec; /* per slot */
    cs_sess *sess;    /* nsess = max_peers + max_handshakes */
    uint32_t nsess, sess_free;
    cs_hs_ent *hs; /* nhs = max_handshakes */
    uint32_t nhs, hs_used;
    cs_pending *pend;
    uint32_t npend;
    uint16_t pend_seq;
    coapsec_dtls_config dcfg;
    coapsec_dtls_server dsrv;
    int dsrv_ready;
    /* identity reported by the ESTABLISHED event being handled */
    uint8_t ev_id[COAPSEC_DTLS_PSK_ID_MAX];
    size_t ev_idlen;
    /* application records received during one engine call */
    struct {
        uint32_t sess;
        uint16_t off, len;
    } rxq[CS_EP_RXQ];
    unsigned nrxq;
    size_t rxq_used;
    uint8_t rxq_buf[2 * COAPSEC_DTLS_DGRAM_MAX];
    /* credentials */
    cs_psk_ent psk[COAPSEC_ENDPOINT_MAX_PSK];
    size_t npsk;
    uint8_t psk_default[COAPSEC_DTLS_PSK_KEY_MAX];
    size_t psk_default_len;
    uint8_t psk_hint[COAPSEC_DTLS_PSK_ID_MAX];
    int (*psk_lookup)(void *user, const uint8_t *id, size_t idlen, uint8_t *key, size_t *keylen);
    void *psk_lookup_user;
    cs_cpsk_ent cpsk[COAPSEC_ENDPOINT_MAX_CLIENT_PSK];
    cs_pid_ent *pid; /* psk.c: interned identities (npid entries allocated) */
    uint32_t npid;
    uint32_t pid_free;     /* first free entry, CS_NONE */
    uint32_t *pid_idx;     /* hash index over the entries in use: entry + 1, 0 = empty */
    uint32_t npid_idx;     /* slots, a power of two >= 2 * npid */
    uint32_t nclient_refs; /* slots whose id_ref is CS_ID_CLIENT */
    char last_error[192];
    cs_sx sx;           /* sessions.c: limits, keepalive, waiting requests, counters */
    cs_rs rs;           /* resume.c: resumption caches, heartbeat settings */
    uint8_t *b1mem;     /* server Block1 reassembly buffers (xfer.c) */
    struct cs_pki *pki; /* pki.c: ECDSA credentials, peer identities */
    cs_txq txq;         /* txq.c: datagrams sent while a receive batch is processed */
    cs_keylog keylog;   /* keylog.c: Wireshark key log (off unless asked for) */
    uint32_t hs_stall_ms, hs_deadline_ms; /* hspool.c: stalled handshakes */
};

/* The endpoint of a session in use (its connection's config is ep->dcfg). */
static inline coapsec_endpoint *cs_sess_ep(const cs_sess *s) {
    return (coapsec_endpoint *)((char *)(uintptr_t)s->conn.cfg - offsetof(coapsec_endpoint, dcfg));
}

/* When session s started: ep->now less the 32-bit elapsed time (a session
 * starting is a handshake, bounded by its deadline, far below 2^32 ms). */
static inline coapsec_tstamp cs_sess_started(const coapsec_endpoint *ep, const cs_sess *s) {
    return ep->now - (uint32_t)((uint32_t)ep->now - s->started);
}

/* endpoint.c */
void cs_ep_log(coapsec_endpoint *ep, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Slot for addr, created (possibly reclaiming an idle peer) if new; open_coap:
 * also open a CoAP generation for a new slot (NoSec). */
uint32_t cs_ep_peer_for(coapsec_endpoint *ep, const cs_sockaddr *addr, uint8_t sock, int open_coap);
/* Send a datagram to a slot's address through its socket. */
int cs_ep_sendto(coapsec_endpoint *ep, uint32_t slot, const uint8_t *d, size_t len);
/* coapsec_endpoint_request() with o (NULL = CS_REQ_PLAIN). */
int cs_ep_request_uri(coapsec_endpoint *ep, const char *uri, const coapsec_msg *req, unsigned flags,
                      const cs_reqopt *o, coapsec_response_cb cb, void *user);

/* xfer.c */
/* Hand a client request to the engine as o says (NULL = CS_REQ_PLAIN). */
int cs_ep_submit(coapsec_endpoint *ep, coapsec_peer_id id, const coapsec_msg *req,
                 const cs_reqopt *o, coapsec_response_cb cb, void *user);
/* After a callback of an observation: 1 while it goes on (more calls follow). */
int cs_ep_observe_goes_on(int status, const coapsec_msg *resp);
/* Allocate and install the server Block1 buffers of cfg (coapsec_endpoint_new). */
int cs_ep_block1_init(coapsec_endpoint *ep, const coapsec_endpoint_config *cfg);

/* secure.c */
int cs_sec_init(coapsec_endpoint *ep, const coapsec_endpoint_config *cfg);
void cs_sec_free(coapsec_endpoint *ep);
/* A datagram for a secure slot, or for a DTLS bind from an unknown address. */
void cs_sec_input(coapsec_endpoint *ep, uint32_t slot, uint8_t sock, const cs_sockaddr *from,
                  uint8_t *data, size_t len);
/* CoAP engine -> DTLS: send a CoAP datagram as application data of the slot's session. */
int cs_sec_send(coapsec_endpoint *ep, uint32_t slot, const uint8_t *d, size_t len);
coapsec_tstamp cs_sec_expiry(const coapsec_endpoint *ep);
void cs_sec_handle_expiry(coapsec_endpoint *ep);
/* Busy (not to be evicted): handshake running or requests queued. */
int cs_sec_busy(const coapsec_endpoint *ep, uint32_t slot);
/* Tear down a slot's DTLS state and CoAP generation, then free the slot. */
void cs_sec_drop_slot(coapsec_endpoint *ep, uint32_t slot, int send_close, int pend_status);
/* Client request to a coaps:// destination. */
int cs_sec_request(coapsec_endpoint *ep, const cs_sockaddr *dst, const char *host, uint16_t port,
                   const coapsec_msg *req, const cs_reqopt *o, coapsec_response_cb cb, void *user);
int cs_sec_cancel(coapsec_endpoint *ep, int handle);
/* cs_sec_cancel() of an observation, deregistering it (RFC 7641 §3.6) when it was sent. */
int cs_sec_observe_cancel(coapsec_endpoint *ep, int handle, int deregister);
/* hspool.c: end the server handshake of session si as failed (timeout), freeing its slot
 * (or, for a replacement handshake, only itself). */
void cs_sec_abort_hs(coapsec_endpoint *ep, uint32_t si);

/* resume.c */
/* Bytes of the resumption tables (part of cs_sx_footprint, the max_memory figure). */
size_t cs_rs_footprint(const coapsec_endpoint_config *cfg);
int cs_rs_init(coapsec_endpoint *ep, const coapsec_endpoint_config *cfg);
void cs_rs_free(coapsec_endpoint *ep);
/* Client: keep the session of the slot's destination for the next handshake. */
void cs_rs_save(coapsec_endpoint *ep, uint32_t slot, const coapsec_dtls_session *s);
/* Client: the saved session for dst (still resumable), or NULL. */
const coapsec_dtls_session *cs_rs_find(coapsec_endpoint *ep, const cs_sockaddr *dst);

/* sessions.c */
/* Bytes the endpoint's tables need for cfg (checked against cfg->max_memory). */
size_t cs_sx_footprint(const coapsec_endpoint_config *cfg);
int cs_sx_init(coapsec_endpoint *ep, const coapsec_endpoint_config *cfg);
void cs_sx_free(coapsec_endpoint *ep);
/* A slot was (re)used for a new peer: reset its keepalive state. */
void cs_sx_slot_new(coapsec_endpoint *ep, uint32_t slot);
/* Slot to evict to make room (dead peers first, then the least recently used
 * one that is not busy and, for a new handshake, not active within the
 * protection window), or CS_PEER_NONE. */
uint32_t cs_sx_victim(coapsec_endpoint *ep, int (*busy)(void *user, uint32_t slot),
                      int for_handshake);
/* Evict a slot: COAPSEC_SESSION_EVICTED, close_notify, exchanges fail CLOSED. */
void cs_sx_evict(coapsec_endpoint *ep, uint32_t slot);
/* A handshake of slot completed: reset keepalive, send waiting requests. */
void cs_sx_established(coapsec_endpoint *ep, uint32_t slot);
/* Before opening a new client session: make room under max_client_sessions.
 * 0 or COAPSEC_ERR_BUSY. */
int cs_sx_client_room(coapsec_endpoint *ep);
coapsec_tstamp cs_sx_expiry(const coapsec_endpoint *ep);
void cs_sx_handle_expiry(coapsec_endpoint *ep);
int cs_sx_cancel(coapsec_endpoint *ep, int handle);

/* psk.c */
int cs_psk_lookup(void *user, const uint8_t *id, size_t idlen, uint8_t *key, size_t *keylen);
/* Client credentials for host/port (most specific first), or NULL. */
const cs_cpsk_ent *cs_psk_client_for(const coapsec_endpoint *ep, const char *host, uint16_t port);
/* Identity reference (CS_ID_*) of an authenticated identity (releasing the old one). */
void cs_psk_remember_id(coapsec_endpoint *ep, cs_slot_sec *sec, const uint8_t *id, size_t idlen,
                        int client_idx);
/* Release the slot's identity reference (before the slot is wiped). */
void cs_psk_forget_id(coapsec_endpoint *ep, cs_slot_sec *sec);
/* The identity sec refers to (NULL, *n = 0 when none). */
const uint8_t *cs_psk_id_of(const coapsec_endpoint *ep, const cs_slot_sec *sec, size_t *n);
/* The id_refs a session authenticated with this identity can have: [0] its
 * entry in the server table, [1] its entry in the interned pool (CS_ID_NONE:
 * not there), each with the session last established through that entry
 * (slot[k] CS_NONE: none). Other sessions can have it only as CS_ID_CLIENT. */
void cs_psk_refs_of(const coapsec_endpoint *ep, const uint8_t *id, size_t idlen, uint32_t ref[2],
                    uint32_t slot[2], uint32_t gen[2]);
/* Remember slot (generation gen) as the session last established with its
 * identity (sessions.c, at ESTABLISHED). */
void cs_psk_note_established(coapsec_endpoint *ep, const cs_slot_sec *sec, uint32_t slot,
                             uint32_t gen);
/* Free the interned identities (cs_sec_free). */
void cs_psk_pool_free(coapsec_endpoint *ep);

#endif /* CS_ENDPOINT_EP_INT_H */
