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
 * Errors are the negative COAPSEC_ERR_* codes of coapsec/common.h.
 * Not thread-safe: use one endpoint from one thread.
 */
#ifndef COAPSEC_ENDPOINT_H
#define COAPSEC_ENDPOINT_H

#include <sys/socket.h>

#include "coapsec/coap.h"
#include "coapsec/common.h"
#include "coapsec/msg.h"

#ifdef __cplusplus
extern "C" {
#endif

#define COAPSEC_ENDPOINT_MAX_BIND      4
#define COAPSEC_ENDPOINT_DEFAULT_PEERS 256

typedef struct coapsec_endpoint coapsec_endpoint;

/** One local address to bind. */
typedef struct coapsec_endpoint_bind {
    const char *host; /* IPv4/IPv6 literal or name; NULL or "" = 0.0.0.0, "::" = IPv6 any */
    uint16_t port;    /* 0 = ephemeral */
} coapsec_endpoint_bind;

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
    void *user; /* passed to log and well_known_links */
} coapsec_endpoint_config;

/** Endpoint counters (the engine has its own: coapsec_endpoint_coap(ep)->stats). */
typedef struct coapsec_endpoint_stats {
    uint64_t datagrams_in;
    uint64_t datagrams_out;
    uint64_t dropped; /* truncated, not CoAP version 1, or no peer slot free */
    uint64_t send_errors;
    uint64_t peers_created;
    uint64_t peers_reclaimed; /* LRU evictions because the table was full */
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

/** Close every socket and free everything. Pending requests are not called back. */
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
 * Returns an exchange handle >= 0, or COAPSEC_ERR_URI (malformed URI),
 * COAPSEC_ERR_UNSUPPORTED (coaps:// - DTLS not built yet), COAPSEC_ERR_NOTFOUND
 * (host does not resolve), COAPSEC_ERR_IO (no socket of that address family),
 * COAPSEC_ERR_NOMEM (peer table or exchange pool full), or an engine error.
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

#ifdef __cplusplus
}
#endif
#endif /* COAPSEC_ENDPOINT_H */
