/*
 * coapsec/endpoint.h - the I/O side of coapsec: UDP sockets (IPv4 and IPv6),
 * an epoll event loop, the monotonic clock and the peer (session) table that
 * maps remote addresses to coapsec_peer_id slots, driving the sans-I/O CoAP
 * engine of coapsec/coap.h.
 *
 * One endpoint is a CoAP client and server at once on the same socket(s):
 *  - server: register resources on the engine (coapsec_endpoint_coap());
 *  - client: coapsec_endpoint_request() with a coap:// URI, or
 *    coapsec_endpoint_request_addr() with a socket address.
 * Drive it with coapsec_endpoint_process(), or put coapsec_endpoint_fd() in
 * your own poll loop (wait at most coapsec_endpoint_next_timeout_ms()) and call
 * coapsec_endpoint_process(ep, 0) when it is readable or the timeout passed.
 *
 * Memory is allocated in coapsec_endpoint_new() only; receiving, sending and
 * timers do not allocate. The peer table has a hard cap: when it is full, the
 * least recently used peer without outstanding exchanges is reclaimed (its
 * CoAP state is closed); if every peer is busy, the datagram is dropped.
 *
 * Security (TS-0008): every bind has a security mode. A NoSec bind speaks
 * plain CoAP; a DTLS bind (COAPSEC_SEC_PSK; RPK and certificates later) speaks
 * only CoAP inside DTLS 1.2 sessions: plaintext CoAP arriving on it is dropped,
 * a datagram from an address without a session goes to the stateless cookie
 * exchange (RFC 6347 §4.2.1) and only a verified ClientHello allocates a peer
 * slot and a handshake object (the pool of handshake objects has a hard cap:
 * max_handshakes). Every completed handshake starts a new CoAP generation of
 * the peer (coapsec_peer_id.gen): nothing outstanding from a previous keying
 * can match ("same session and epoch"); when the session closes or fails, the
 * peer's outstanding exchanges fail with COAPSEC_ERR_CLOSED. A client request
 * to a coaps:// URI without a session is queued (max_pending) while the
 * handshake runs; if the handshake fails, the request fails with
 * COAPSEC_ERR_HANDSHAKE and coapsec_endpoint_last_error_text() says why.
 *
 * Errors are the negative COAPSEC_ERR_* codes of coapsec/common.h.
 * Not thread-safe: use one endpoint from one thread.
 */
#ifndef COAPSEC_ENDPOINT_H
#define COAPSEC_ENDPOINT_H

#include <sys/socket.h>

#include "coapsec/coap.h"
#include "coapsec/common.h"
#include "coapsec/dtls.h"
#include "coapsec/msg.h"

#ifdef __cplusplus
extern "C" {
#endif

#define COAPSEC_ENDPOINT_MAX_BIND       4
#define COAPSEC_ENDPOINT_DEFAULT_PEERS  256
#define COAPSEC_ENDPOINT_DEFAULT_HS     16 /* DTLS handshakes in progress */
#define COAPSEC_ENDPOINT_DEFAULT_QUEUE  16 /* client requests waiting for a handshake */
#define COAPSEC_ENDPOINT_MAX_PSK        64 /* server identity table (identity -> key) */
#define COAPSEC_ENDPOINT_MAX_CLIENT_PSK 8  /* client credentials (per destination) */
/* Identities accepted through the default key or the lookup callback are
 * stored in the session and may be at most this long (table identities: any). */
#define COAPSEC_ENDPOINT_PSK_ID_INLINE 32
/* TS-0008: keys must resist brute force; shorter keys are accepted with a warning. */
#define COAPSEC_ENDPOINT_PSK_MIN_WARN       16
#define COAPSEC_ENDPOINT_DEFAULT_PROTECT_MS 30000 /* eviction protection window */

typedef struct coapsec_endpoint coapsec_endpoint;

/** Security mode of a bind. */
enum coapsec_security {
    COAPSEC_SEC_NOSEC = 0, /* plain CoAP (coap://) */
    COAPSEC_SEC_PSK = 1,   /* DTLS 1.2 with pre-shared keys (coaps://) */
    /* RPK and CERT are the same DTLS bind as PSK (the names document intent):
     * the suites a DTLS bind offers follow the configured credentials (a PSK
     * table or key: 0xC0A8; an ECDSA identity: 0xC0AE), so one bind serves
     * PSK, raw-public-key and certificate clients at once. */
    COAPSEC_SEC_RPK = 2, /* DTLS 1.2, ECDHE_ECDSA with raw public keys (RFC 7250) */
    COAPSEC_SEC_CERT = 3 /* DTLS 1.2, ECDHE_ECDSA with X.509 certificates */
};

/** One local address to bind. */
typedef struct coapsec_endpoint_bind {
    const char *host; /* IPv4/IPv6 literal or name; NULL or "" = 0.0.0.0, "::" = IPv6 any */
    uint16_t port;    /* 0 = ephemeral */
    int security;     /* enum coapsec_security; 0 = NoSec */
} coapsec_endpoint_bind;

/* Session events (coapsec_endpoint_config.session_event). */
enum coapsec_session_event_type {
    COAPSEC_SESSION_ESTABLISHED = 1, /* a handshake completed: peer is the new generation */
    COAPSEC_SESSION_CLOSED,          /* close_notify, or closed by us */
    COAPSEC_SESSION_FAILED,          /* handshake failed or fatal alert: see err, reason */
    COAPSEC_SESSION_EVICTED,         /* we ended it to make room (close_notify sent) */
    COAPSEC_SESSION_DEAD,            /* keepalive: ping_dead_after pings went unanswered */
    COAPSEC_SESSION_RESUMED          /* right after ESTABLISHED: that handshake was abbreviated
                                      * (RFC 5246 §7.3 session ID or RFC 5077 ticket) */
};

typedef struct coapsec_session_event {
    int type;                    /* enum coapsec_session_event_type */
    coapsec_peer_id peer;        /* ESTABLISHED: the new generation; else the last one */
    const struct sockaddr *addr; /* the peer's address (valid during the call) */
    socklen_t addrlen;
    int server;            /* 1: we are the DTLS server of this session */
    int replacement;       /* 1: a new handshake from the same address (RFC 6347 §4.2.8) */
    unsigned suite;        /* ESTABLISHED: cipher suite, e.g. 0xC0A8 */
    uint32_t handshake_ms; /* ESTABLISHED: time from the first flight to the keys */
    int err;               /* FAILED: COAPSEC_ERR_AUTH, _TIMEOUT, _HANDSHAKE, ... */
    int alert;             /* FAILED: alert description involved (255 = none) */
    int alert_from_peer;
    const char *reason; /* FAILED: e.g. "wrong key or identity (bad_record_mac)" */
} coapsec_session_event;

typedef struct coapsec_endpoint_config {
    /* Local addresses. nbind == 0: 0.0.0.0 and :: on an ephemeral port each
     * (IPv6 is skipped silently when the host has none), which suits a client. */
    coapsec_endpoint_bind bind[COAPSEC_ENDPOINT_MAX_BIND];
    size_t nbind;
    uint32_t max_peers;                /* hard cap of the peer table; 0 = default */
    const coapsec_coap_params *params; /* CoAP transmission parameters; NULL = RFC defaults */
    /* Optional diagnostics from the endpoint and the engine (COAPSEC_LOG_* levels). */
    void (*log)(void *user, int level, const char *msg);
    /* Optional extra links for /.well-known/core (see coapsec_coap_callbacks). */
    int (*well_known_links)(void *user, coapsec_peer_id peer, char *buf, size_t cap);
    void *user; /* passed to log, well_known_links and session_event */
    /* DTLS (only used when a bind or a request is secure). */
    uint32_t max_handshakes;          /* hard cap on handshakes in progress; 0 = default */
    uint32_t max_pending;             /* client requests queued while handshaking; 0 = default */
    uint16_t dtls_mtu;                /* handshake datagram size; 0 = 1280 */
    uint32_t dtls_retrans_initial_ms; /* handshake retransmission timer; 0 = 1000 */
    uint8_t dtls_max_retransmits;     /* then the handshake times out; 0 = 6 */
    void (*session_event)(void *user, const coapsec_session_event *ev);
    /* Session lifetimes and limits (sessions.c; TS-0008 §7). 0 = the default. */
    uint32_t idle_timeout_ms;  /* close (close_notify) after this long without input; 0 = never */
    uint32_t protect_ms;       /* active this recently: never evicted for a new handshake;
                                * 0 = COAPSEC_ENDPOINT_DEFAULT_PROTECT_MS */
    uint32_t ping_interval_ms; /* CoAP ping (empty CON) after this long without input; 0 = off */
    uint32_t ping_dead_after;  /* unanswered pings in a row -> COAPSEC_SESSION_DEAD; 0 = 3 */
    uint32_t max_client_sessions; /* sessions we opened as DTLS client; beyond it the least
                                   * recently used idle one is closed; 0 = max_peers */
    uint32_t max_waiting;         /* requests waiting for a peer to connect
                                   * (coapsec_endpoint_request_identity); 0 = 16 */
    size_t max_memory;            /* fail coapsec_endpoint_new with COAPSEC_ERR_NOMEM when the
                                   * tables would need more bytes; 0 = no cap */
    int dtls_only;                /* drop all plaintext CoAP, even on NoSec binds: a node that is
                                   * DTLS client only (talks and serves only over sessions it opened) */
    /* Server Block1 (RFC 7959 §2.5): block1_count (<= COAPSEC_COAP_MAX_BLOCK1)
     * reassembly buffers of block1_size bytes each, allocated here; a request
     * body larger than one block is accumulated in one and the handler runs
     * once with the whole body (see coapsec_coap_set_block1_buffers). 0 = none:
     * bodies of more than one block are refused with 4.13. */
    size_t block1_size;
    uint32_t block1_count;
    /* Key log for Wireshark (keylog.c): NULL = none (the default; keys are
     * never written anywhere else). See coapsec_endpoint_set_keylog(). */
    const char *keylog_file;
    /* DTLS heartbeat (RFC 6520, resume.c): 0 = off. Else every session offers
     * the extension (peer_allowed_to_send: the peer's requests are answered)
     * and, when the peer allows it, a HeartbeatRequest goes out after this many
     * ms without input; unanswered after dtls_max_retransmits retransmissions
     * (DTLS timer), the peer is COAPSEC_SESSION_DEAD and its session closed. */
    uint32_t dtls_heartbeat_ms;
    /* Session resumption (RFC 5246 §7.3, RFC 5077; resume.c): server session-ID
     * cache entries and client saved sessions (one per destination address),
     * each table this many entries (about 0.6 KB each); 0 = 64. Tickets are
     * stateless (a rotating key). A client whose session was closed or evicted
     * resumes on its next request to that address. */
    uint32_t resume_entries;
    int no_resumption; /* 1: no session IDs, no tickets, no resumption */
    /* Server handshakes that do not finish (endpoint/hspool.c). When the pool
     * (max_handshakes) is full and a new verified ClientHello arrives, the
     * server handshake whose peer has sent nothing for the longest time, at
     * least hs_stall_ms, is dropped to make room (handshakes_stalled_dropped);
     * a peer that keeps retransmitting is not stalled. 0 = 5000 ms. A server
     * handshake not completed hs_deadline_ms after the verified ClientHello
     * is dropped even when the pool has room (handshakes_deadline_dropped);
     * 0 = 120000 ms (about the default retry limit; RFC 7925 §11 suggests long timers on
     * constrained links), UINT32_MAX = no deadline. Established sessions and client handshakes are
     * never touched. */
    uint32_t hs_stall_ms;
    uint32_t hs_deadline_ms;
} coapsec_endpoint_config;

/** Endpoint counters (the engine has its own: coapsec_endpoint_coap(ep)->stats). */
typedef struct coapsec_endpoint_stats {
    uint64_t datagrams_in;
    uint64_t datagrams_out;
    uint64_t dropped; /* truncated, not CoAP version 1, or no peer slot free */
    uint64_t send_errors;
    uint64_t peers_created;
    uint64_t peers_reclaimed; /* LRU evictions because the table was full */
    /* DTLS */
    uint64_t hello_verify_sent;  /* stateless cookie challenges */
    uint64_t handshakes_started; /* as client or server (after the cookie) */
    uint64_t handshakes_completed;
    uint64_t handshakes_failed;
    uint64_t handshakes_refused; /* verified ClientHello dropped: handshake pool full */
    uint64_t plaintext_dropped;  /* non-DTLS datagrams on a DTLS bind */
    /* handshake objects taken back from established sessions that still kept
     * their final flight, because the pool was full (endpoint/hspool.c) */
    uint64_t handshakes_reclaimed;
    /* of handshakes_completed: abbreviated, no key exchange (resume.c) */
    uint64_t handshakes_resumed;
    /* server handshakes dropped because they stalled (hs_stall_ms) while the
     * pool was full, and because they ran past hs_deadline_ms (hspool.c) */
    uint64_t handshakes_stalled_dropped;
    uint64_t handshakes_deadline_dropped;
} coapsec_endpoint_stats;

/** Zero cfg and set the defaults (nbind 0, max_peers default, RFC params). */
void coapsec_endpoint_config_default(coapsec_endpoint_config *cfg);

/**
 * Create an endpoint: bind the sockets, create the epoll instance, allocate the
 * peer table and the CoAP engine. Returns 0 and *out, or COAPSEC_ERR_INVAL,
 * COAPSEC_ERR_NOTFOUND (a bind host does not resolve), COAPSEC_ERR_IO (socket,
 * bind or epoll failed), COAPSEC_ERR_NOMEM.
 */
int coapsec_endpoint_new(const coapsec_endpoint_config *cfg, coapsec_endpoint **out);

/** Send close_notify on every established DTLS session, close every socket and
 *  free everything. Pending requests are not called back. */
void coapsec_endpoint_free(coapsec_endpoint *ep);

/** The epoll fd: readable when a datagram is waiting. */
int coapsec_endpoint_fd(const coapsec_endpoint *ep);

/** Milliseconds until timers are due (0 = now), or -1 when there is none. */
int coapsec_endpoint_next_timeout_ms(const coapsec_endpoint *ep);

/**
 * Wait up to timeout_ms (-1 = until something happens, 0 = do not wait) for
 * datagrams or the next timer, then read every ready datagram and run the
 * timers that are due. The clock is read once after the wait and that time is
 * used for the whole iteration. Returns the number of datagrams read (0 on a
 * timeout or when interrupted by a signal), or COAPSEC_ERR_IO.
 */
int coapsec_endpoint_process(coapsec_endpoint *ep, int timeout_ms);

/** Port of the first bound socket of this family (AF_INET, AF_INET6; 0 = any). 0 if none. */
uint16_t coapsec_endpoint_local_port(const coapsec_endpoint *ep, int family);

/** The CoAP engine: add resources, a fallback handler, defer/respond, read stats. */
coapsec_coap_ctx *coapsec_endpoint_coap(coapsec_endpoint *ep);

/** The current monotonic time in ms as the endpoint sees it (for coapsec_coap_respond()). */
coapsec_tstamp coapsec_endpoint_now(const coapsec_endpoint *ep);

/** Endpoint counters. */
const coapsec_endpoint_stats *coapsec_endpoint_get_stats(const coapsec_endpoint *ep);

/* Flags for coapsec_endpoint_request(). */
#define COAPSEC_EP_NO_URI_HOST_PORT 1u /* do not add Uri-Host / Uri-Port (libcoap -U) */

/**
 * Send a request to a coap:// URI. The host is an IP literal (IPv6 in
 * brackets) or a name resolved with getaddrinfo (blocking). The destination
 * address is mapped to a peer slot, creating it if needed. req holds type
 * (CON/NON), code, optional token and options and payload; it is not changed:
 * Uri-Host (names only), Uri-Port (non-default ports), Uri-Path and Uri-Query
 * are added to a copy. cb is called exactly once from a later
 * coapsec_endpoint_process() (see coapsec_response_cb).
 * coaps:// URIs use DTLS with the PSK chosen by coapsec_endpoint_set_client_psk();
 * without a session the request is queued and a handshake starts; if it
 * fails, cb gets COAPSEC_ERR_HANDSHAKE (reason: coapsec_endpoint_last_error_text()).
 * Returns an exchange handle >= 0, or COAPSEC_ERR_URI (malformed URI),
 * COAPSEC_ERR_NOTFOUND (host does not resolve), COAPSEC_ERR_IO (no socket of
 * that address family), COAPSEC_ERR_NOMEM (peer table or exchange pool full),
 * COAPSEC_ERR_AUTH (coaps:// without a PSK for that destination),
 * COAPSEC_ERR_BUSY (handshake pool or request queue full), COAPSEC_ERR_STATE
 * (the address is already used with the other scheme), or an engine error.
 */
int coapsec_endpoint_request(coapsec_endpoint *ep, const char *uri, const coapsec_msg *req,
                             unsigned flags, coapsec_response_cb cb, void *user);

/** Send req as is (add Uri-* options yourself) to a socket address. Same returns. */
int coapsec_endpoint_request_addr(coapsec_endpoint *ep, const struct sockaddr *sa, socklen_t salen,
                                  const coapsec_msg *req, coapsec_response_cb cb, void *user);

/** Forget a request without calling its callback. 0 or COAPSEC_ERR_NOTFOUND. */
int coapsec_endpoint_cancel(coapsec_endpoint *ep, int handle);

/**
 * The remote address of a peer (e.g. for logging in a handler). Returns 0, or
 * COAPSEC_ERR_NOTFOUND when the peer id is stale.
 */
int coapsec_endpoint_peer_addr(const coapsec_endpoint *ep, coapsec_peer_id peer,
                               struct sockaddr_storage *out, socklen_t *outlen);

/* ---- DTLS credentials and sessions ---------------------------------------------------- */

/**
 * Client PSK for requests to coaps:// URIs. authority is "host:port" (IPv6 as
 * "[::1]:5684"), "host" (any port) or NULL (default for every destination);
 * the most specific match wins. id and key are copied; a key shorter than
 * COAPSEC_ENDPOINT_PSK_MIN_WARN bytes is accepted with a warning in the log.
 * Setting the same authority again replaces it. Returns 0, COAPSEC_ERR_INVAL
 * (bad lengths) or COAPSEC_ERR_NOMEM (table full).
 */
int coapsec_endpoint_set_client_psk(coapsec_endpoint *ep, const char *authority, const uint8_t *id,
                                    size_t idlen, const uint8_t *key, size_t keylen);

/** Server: add identity -> key to the identity table (replaces a known identity).
 *  0, COAPSEC_ERR_INVAL or COAPSEC_ERR_NOMEM. */
int coapsec_endpoint_add_psk(coapsec_endpoint *ep, const uint8_t *id, size_t idlen,
                             const uint8_t *key, size_t keylen);

/** Server: key for every identity not in the table (key NULL = none: unknown
 *  identities are refused with unknown_psk_identity). 0 or COAPSEC_ERR_INVAL. */
int coapsec_endpoint_set_default_psk(coapsec_endpoint *ep, const uint8_t *key, size_t keylen);

/** Server: PSK identity hint sent in ServerKeyExchange (NULL/0 = none). */
int coapsec_endpoint_set_psk_hint(coapsec_endpoint *ep, const uint8_t *hint, size_t len);

/** Server: lookup callback asked after the table and before the default key
 *  (see coapsec_dtls_psk_lookup in coapsec/dtls.h; id is at most
 *  COAPSEC_ENDPOINT_PSK_ID_INLINE bytes here). NULL removes it. */
void coapsec_endpoint_set_psk_lookup(coapsec_endpoint *ep,
                                     int (*lookup)(void *user, const uint8_t *id, size_t idlen,
                                                   uint8_t *key, size_t *keylen),
                                     void *user);

/**
 * The authenticated PSK identity of a secure peer (for a handler: req->peer).
 * On entry *len is the room in buf; on return the identity's length.
 * Returns 0, COAPSEC_ERR_NOTFOUND (stale peer id, or not a DTLS peer) or
 * COAPSEC_ERR_NOBUF.
 */
int coapsec_endpoint_peer_identity(const coapsec_endpoint *ep, coapsec_peer_id peer, uint8_t *buf,
                                   size_t *len);

/** Cipher suite of the peer's current DTLS session, 0 for NoSec or stale ids. */
unsigned coapsec_endpoint_peer_suite(const coapsec_endpoint *ep, coapsec_peer_id peer);

/**
 * End the peer's session: DTLS close_notify (if secure), its CoAP generation
 * is closed (outstanding exchanges fail with COAPSEC_ERR_CLOSED) and the slot
 * is freed. Returns 0 or COAPSEC_ERR_NOTFOUND.
 */
int coapsec_endpoint_close_peer(coapsec_endpoint *ep, coapsec_peer_id peer);

/* ---- sessions: CoAP role independent of the DTLS role, limits, counters --------------- */

/**
 * Send a request on the peer's current session, whichever side opened it
 * (a DTLS server may send requests to its clients; a DTLS client endpoint
 * serves resources to its server). req is sent as is (add Uri-Path yourself).
 * cb as for coapsec_endpoint_request(); the exchange is bound to peer's
 * generation. Returns a handle >= 0, COAPSEC_ERR_NOTFOUND (stale peer id),
 * COAPSEC_ERR_CLOSED (session not established), or an engine error.
 */
int coapsec_endpoint_request_peer(coapsec_endpoint *ep, coapsec_peer_id peer,
                                  const coapsec_msg *req, coapsec_response_cb cb, void *user);

/**
 * Send a request to the peer authenticated with PSK identity id (any DTLS
 * role): at once when it has an established session, else it waits in a
 * bounded queue (max_waiting) until that peer completes a handshake; if none
 * does within timeout_ms (0 = 60000), cb gets COAPSEC_ERR_TIMEOUT. Returns a
 * handle >= 0 (coapsec_endpoint_cancel works), COAPSEC_ERR_INVAL,
 * COAPSEC_ERR_BUSY (queue full), COAPSEC_ERR_NOBUF or an engine error.
 */
int coapsec_endpoint_request_identity(coapsec_endpoint *ep, const uint8_t *id, size_t idlen,
                                      const coapsec_msg *req, uint32_t timeout_ms,
                                      coapsec_response_cb cb, void *user);

/** The peer id of the established session authenticated with identity id:
 *  of several, the one established last while it lasts, else the most
 *  recently used. 0 or COAPSEC_ERR_NOTFOUND. */
int coapsec_endpoint_find_identity(const coapsec_endpoint *ep, const uint8_t *id, size_t idlen,
                                   coapsec_peer_id *out);

/** Session counters (TS-0008 §7 resource limits). */
typedef struct coapsec_session_stats {
    uint32_t sessions;        /* peers in the table now (secure and NoSec) */
    uint32_t secure_sessions; /* of which DTLS sessions (handshaking or established) */
    uint32_t client_sessions; /* of which we are the DTLS client */
    uint32_t handshakes;      /* handshakes in progress now */
    uint32_t waiting;         /* requests waiting for a peer to connect */
    uint32_t max_sessions, max_handshakes, max_client_sessions; /* the caps */
    uint64_t evictions;      /* sessions ended to make room (close_notify sent) */
    uint64_t evictions_dead; /* of which peers declared dead */
    uint64_t idle_closed;    /* sessions closed by the idle timeout */
    uint64_t pings_sent;     /* CoAP pings (empty CON) sent as keepalive */
    uint64_t pings_answered; /* pings followed by input from the peer */
    uint64_t dead;           /* COAPSEC_SESSION_DEAD events */
    uint64_t wait_timeouts;  /* waiting requests that timed out */
    size_t memory;           /* bytes allocated for the endpoint's tables */
} coapsec_session_stats;

/** Fill *out with the current session counters. */
void coapsec_endpoint_session_stats(const coapsec_endpoint *ep, coapsec_session_stats *out);

/* ---- block-wise transfers (RFC 7959) and observe (RFC 7641) ---------------------------- */

/**
 * coapsec_endpoint_request() with the block-wise settings of
 * coapsec_coap_request_ex() (xfer may be NULL): a payload larger than one
 * block goes out as Block1 blocks, and with xfer->body a Block2 response to a
 * GET is reassembled there and cb sees the whole body. Over coap:// and
 * coaps:// alike (a request queued behind a handshake keeps its settings).
 * req->payload must stay valid until cb is called. Same returns as
 * coapsec_endpoint_request(); cb statuses also COAPSEC_ERR_NOBUF (body larger
 * than xfer->body_cap) and COAPSEC_ERR_FORMAT (inconsistent blocks).
 */
int coapsec_endpoint_request_ex(coapsec_endpoint *ep, const char *uri, const coapsec_msg *req,
                                unsigned flags, const coapsec_coap_xfer *xfer,
                                coapsec_response_cb cb, void *user);

/**
 * Observe the resource at uri (RFC 7641): req (GET or FETCH) is sent with
 * Observe: 0, over coap:// or coaps:// (queued behind a handshake like a
 * request). cb is called for the first response and each fresh notification,
 * as for coapsec_coap_observe(); a call with status != 0, a non-2.xx code or
 * no Observe option is the last one. Returns a handle >= 0 for
 * coapsec_endpoint_observe_cancel(), or the errors of coapsec_endpoint_request().
 */
int coapsec_endpoint_observe(coapsec_endpoint *ep, const char *uri, const coapsec_msg *req,
                             unsigned flags, coapsec_response_cb cb, void *user);

/**
 * End an observation without a further callback: deregister = 1 sends the
 * request again with Observe: 1 and the same token (RFC 7641 §3.6), 0 only
 * forgets it (the next notification is answered with RST). An observation
 * still waiting for its handshake is just dropped. Returns 0,
 * COAPSEC_ERR_NOTFOUND (unknown or ended handle) or an engine error of the
 * deregistration request.
 */
int coapsec_endpoint_observe_cancel(coapsec_endpoint *ep, int handle, int deregister);

/** Forget every saved client session and the server's session-ID cache (e.g.
 *  after a credential change; sessions are also rechecked on resumption). */
int coapsec_endpoint_forget_sessions(coapsec_endpoint *ep);

/** Why the last DTLS session failed, e.g. "wrong key or identity (bad_record_mac)",
 *  "unknown PSK identity (unknown_psk_identity)", "no answer from the peer (timeout)";
 *  "" when none failed. */
const char *coapsec_endpoint_last_error_text(const coapsec_endpoint *ep);

/* ---- ECDSA credentials: raw public keys (RFC 7250) and certificates (pki.c) -------------
 * TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 (0xC0AE). Keys (coapsec_dtls_key) and
 * trust anchors (coapsec_dtls_trust) are made with coapsec/dtls.h and are
 * borrowed: they must outlive the endpoint. Certificate lists are copied.
 * A DTLS bind offers 0xC0AE once an identity is set, and 0xC0A8 while PSK
 * credentials (table, default key or lookup) exist or no identity is set.
 * A client offers 0xC0AE when it trusts some server (trust anchors, RPK
 * fingerprints, an RPK callback or insecure mode) and 0xC0A8 when it has a
 * PSK for the destination. Certificate validity dates are checked against
 * CLOCK_REALTIME (read by the endpoint, handed to the engine) unless the
 * node says it has no clock (coapsec_endpoint_set_no_clock). */

#define COAPSEC_ENDPOINT_MAX_RPK_TRUST 64 /* pinned raw-public-key fingerprints */
#define COAPSEC_ENDPOINT_MAX_CLIENT_ID 8  /* client identities (per destination) */
#define COAPSEC_ENDPOINT_CERT_LIST_MAX 4096
#define COAPSEC_ENDPOINT_PEER_NAME_MAX 128

/**
 * Our ECDSA identity: key (borrowed) and optionally a TLS certificate_list
 * (copied; e.g. from coapsec_dtls_cert_list_from_pem(); NULL = raw public key
 * only). The server presents it; a client uses it for destinations without an
 * identity of their own (coapsec_endpoint_set_client_identity). key NULL
 * removes it. Returns 0, COAPSEC_ERR_INVAL or COAPSEC_ERR_NOBUF (list longer
 * than COAPSEC_ENDPOINT_CERT_LIST_MAX).
 */
int coapsec_endpoint_set_identity(coapsec_endpoint *ep, const coapsec_dtls_key *key,
                                  const uint8_t *cert_list, size_t cert_list_len);

/**
 * Client: the key pair (and optional certificate_list) to use towards one
 * destination; authority as for coapsec_endpoint_set_client_psk ("host:port",
 * "host", NULL = default). The same authority again replaces it; key NULL
 * removes it. Returns 0, COAPSEC_ERR_INVAL, COAPSEC_ERR_NOBUF or
 * COAPSEC_ERR_NOMEM (COAPSEC_ENDPOINT_MAX_CLIENT_ID entries).
 */
int coapsec_endpoint_set_client_identity(coapsec_endpoint *ep, const char *authority,
                                         const coapsec_dtls_key *key, const uint8_t *cert_list,
                                         size_t cert_list_len);

/** X.509 trust anchors (borrowed; NULL: certificates are not accepted). 0 or INVAL. */
int coapsec_endpoint_set_trust(coapsec_endpoint *ep, const coapsec_dtls_trust *trust);

/** Trust a raw public key by the SHA-256 of its SubjectPublicKeyInfo
 *  (coapsec_dtls_spki_fingerprint). 0, COAPSEC_ERR_INVAL or COAPSEC_ERR_NOMEM. */
int coapsec_endpoint_add_rpk_trust(coapsec_endpoint *ep, const uint8_t sha256[32]);

/** Raw-public-key trust callback: return 0 to trust spki (asked for keys not
 *  in the fingerprint list). NULL removes it. An untrusted key is refused
 *  with bad_certificate. */
void coapsec_endpoint_set_rpk_verify(coapsec_endpoint *ep,
                                     int (*verify)(void *user, const uint8_t *spki, size_t len,
                                                   const uint8_t sha256[32]),
                                     void *user);

/** Server: demand a client certificate or raw key (default 1). With 0 a
 *  client without one is accepted with peer kind COAPSEC_DTLS_AUTH_NONE. */
void coapsec_endpoint_set_require_client_auth(coapsec_endpoint *ep, int on);
/** Client: check the server certificate's name against the authority dialled
 *  (default 1). */
void coapsec_endpoint_set_verify_name(coapsec_endpoint *ep, int on);
/** The node has no (trustworthy) wall clock: certificate validity dates are
 *  not checked (default 0: the endpoint reads CLOCK_REALTIME). */
void coapsec_endpoint_set_no_clock(coapsec_endpoint *ep, int on);
/** Wall-clock source for certificate dates (seconds since 1970, UTC);
 *  NULL restores CLOCK_REALTIME. */
void coapsec_endpoint_set_wall_clock(coapsec_endpoint *ep, int64_t (*clock)(void *user),
                                     void *user);
/** Testing only: accept any peer key or chain (logged as a warning). */
void coapsec_endpoint_set_insecure_no_verify(coapsec_endpoint *ep, int on);

/** How a secure peer was authenticated (coapsec_endpoint_peer_auth). */
typedef struct coapsec_peer_auth {
    int kind;       /* enum coapsec_dtls_peer_auth: NONE, PSK, RPK, X509 */
    unsigned suite; /* cipher suite of the session */
    /* X509: the validated leaf name (SAN DNS/IP/URI, else CN); PSK: the
     * identity when it is printable text; else "". */
    char name[COAPSEC_ENDPOINT_PEER_NAME_MAX];
    uint8_t sha256[32]; /* RPK and X509: SHA-256 of the peer's SPKI */
    int has_sha256;
} coapsec_peer_auth;

/**
 * The validated identity of a secure peer (e.g. in a handler: req->peer).
 * Returns 0, COAPSEC_ERR_INVAL or COAPSEC_ERR_NOTFOUND (stale id, NoSec peer,
 * or no session established).
 */
int coapsec_endpoint_peer_auth(const coapsec_endpoint *ep, coapsec_peer_id peer,
                               coapsec_peer_auth *out);

/* ---- key log for Wireshark (keylog.c) ------------------------------------------------------ */

/**
 * Append one NSS key log line ("CLIENT_RANDOM <client random> <master
 * secret>", both hex) to the file at path for every DTLS handshake completed
 * from now on, as Wireshark's tls.keylog_file reads it: anyone with the file
 * can decrypt the sessions, so it is for debugging only (a warning goes to
 * the log). The file is created with mode 0600 and appended to; NULL closes
 * it (no more lines). Without a key log, key material is never written
 * anywhere. Returns 0, COAPSEC_ERR_INVAL or COAPSEC_ERR_IO (cannot open:
 * errno says why).
 */
int coapsec_endpoint_set_keylog(coapsec_endpoint *ep, const char *path);

#ifdef __cplusplus
}
#endif
#endif /* COAPSEC_ENDPOINT_H */
