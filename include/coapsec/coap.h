/*
 * coapsec/coap.h - the sans-I/O CoAP engine: message layer (RFC 7252 §4:
 * CON/NON/ACK/RST, retransmission, deduplication), requests and responses
 * (§5: piggybacked and separate responses, token matching), a fixed table of
 * server resources and the built-in /.well-known/core (RFC 6690).
 *
 * The engine never touches a socket, a clock or the heap:
 *  - datagrams go out through callbacks.send, come in with coapsec_coap_recv();
 *  - time comes in as the last argument (coapsec_tstamp, ms); the caller asks
 *    coapsec_coap_expiry() when to call coapsec_coap_handle_expiry();
 *  - randomness (tokens, first MID, ACK timeout jitter) comes from
 *    callbacks.random;
 *  - every pool is a compile-time-sized array inside coapsec_coap_ctx, which
 *    the caller owns. The context is large (several hundred KiB with the
 *    default sizes): put it in static storage or on the heap, not the stack.
 *
 * Peers are coapsec_peer_id {slot, gen}. The caller gives the engine one
 * coapsec_coap_peer per slot. State bound to one generation of a slot never
 * matches a message of another generation (TS-0008: same session and epoch).
 *
 * Block-wise transfers (RFC 7959) and Observe (RFC 7641) are built on top of
 * the exchanges: see the sections "block-wise" and "observe" below.
 *
 * Callbacks (response, resource handlers, send, log) may call
 * coapsec_coap_request(), coapsec_coap_cancel() and coapsec_coap_respond();
 * they must not call coapsec_coap_recv(), coapsec_coap_handle_expiry() or
 * the peer open/close functions.
 */
#ifndef COAPSEC_COAP_H
#define COAPSEC_COAP_H

#include "coapsec/common.h"
#include "coapsec/msg.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- compile-time sizes --------------------------------------------------- */

#ifndef COAPSEC_COAP_MAX_EXCHANGES
#define COAPSEC_COAP_MAX_EXCHANGES 64 /* client requests + deferred/separate responses */
#endif
#ifndef COAPSEC_COAP_DEDUP
#define COAPSEC_COAP_DEDUP 256 /* remembered incoming CON/NON message IDs */
#endif
#ifndef COAPSEC_COAP_MAX_RESOURCES
#define COAPSEC_COAP_MAX_RESOURCES 64
#endif
#ifndef COAPSEC_COAP_MAX_PATH
#define COAPSEC_COAP_MAX_PATH 256 /* joined Uri-Path, including the NUL */
#endif
#ifndef COAPSEC_COAP_MAX_TRANSFERS
#define COAPSEC_COAP_MAX_TRANSFERS 8 /* client block-wise transfers (RFC 7959) in progress */
#endif
#ifndef COAPSEC_COAP_MAX_BLOCK1
#define COAPSEC_COAP_MAX_BLOCK1 4 /* server Block1 reassemblies in progress */
#endif
#ifndef COAPSEC_COAP_MAX_OBSERVERS
#define COAPSEC_COAP_MAX_OBSERVERS 32 /* server: registered observers (RFC 7641) */
#endif
#ifndef COAPSEC_COAP_MAX_OBSERVING
#define COAPSEC_COAP_MAX_OBSERVING 8 /* client: observations in progress */
#endif
/* Hash table sizes (powers of two). */
#define COAPSEC_COAP_XHASH 128 /* >= 2 * COAPSEC_COAP_MAX_EXCHANGES */
#define COAPSEC_COAP_DHASH 512 /* >= 2 * COAPSEC_COAP_DEDUP */

/* ---- parameters (§4.8) ----------------------------------------------------- */

typedef struct coapsec_coap_params {
    uint32_t ack_timeout_ms;      /* ACK_TIMEOUT, default 2000 */
    uint32_t ack_random_factor_m; /* ACK_RANDOM_FACTOR x 1000, default 1500 */
    uint32_t max_retransmit;      /* MAX_RETRANSMIT, default 4 */
    uint32_t nstart;              /* NSTART, default 1 */
    uint32_t max_latency_ms;      /* MAX_LATENCY, default 100000 */
    uint32_t processing_delay_ms; /* PROCESSING_DELAY, default = ack_timeout_ms */
    uint32_t non_timeout_ms;      /* how long a NON request waits; 0 = NON_LIFETIME */
    uint32_t token_len;           /* length of engine-chosen tokens, 0..8, default 8 */
} coapsec_coap_params;

/** Fill p with the RFC 7252 §4.8 defaults. */
void coapsec_coap_params_default(coapsec_coap_params *p);

/* ---- callbacks -------------------------------------------------------------- */

enum coapsec_log_level {
    COAPSEC_LOG_ERROR = 0,
    COAPSEC_LOG_WARN = 1,
    COAPSEC_LOG_INFO = 2,
    COAPSEC_LOG_DEBUG = 3
};

typedef struct coapsec_coap_callbacks {
    /** Send one datagram to peer. Return 0 or a negative error (counted, not fatal:
     *  retransmission covers a lost CON). Required. */
    int (*send)(void *user, coapsec_peer_id peer, const uint8_t *dgram, size_t len);
    /** Fill buf with len random bytes. Required. */
    void (*random)(void *user, void *buf, size_t len);
    /** Optional diagnostics. */
    void (*log)(void *user, int level, const char *msg);
    /** Optional: extra links for /.well-known/core, written to buf as RFC 6690
     *  link-values separated by ',' (no leading comma). Return the length written
     *  (0 = none) or a negative error. */
    int (*well_known_links)(void *user, coapsec_peer_id peer, char *buf, size_t cap);
} coapsec_coap_callbacks;

/* ---- per-peer state (caller-allocated array, indexed by slot) -------------- */

typedef struct coapsec_coap_peer {
    uint32_t gen;      /* generation currently open */
    uint8_t in_use;    /* 1 between peer_open and peer_close */
    uint16_t next_mid; /* next message ID to use (§4.4) */
    uint32_t inflight; /* outstanding interactions (§4.7) */
    int16_t qhead;     /* FIFO of requests waiting for NSTART (exchange index, -1 = none) */
    int16_t qtail;
} coapsec_coap_peer;

/* ---- client side -------------------------------------------------------------- */

/**
 * Outcome of a client request. status 0: resp is the response (piggybacked in
 * an ACK, or separate CON/NON), valid only during the call. Otherwise status is
 * COAPSEC_ERR_TIMEOUT, COAPSEC_ERR_RESET, COAPSEC_ERR_CLOSED or
 * COAPSEC_ERR_BADOPT (response carried an unrecognised critical option) and
 * resp is NULL.
 */
typedef void (*coapsec_response_cb)(void *user, int status, const coapsec_msg *resp,
                                    coapsec_peer_id peer);

/* ---- server side ---------------------------------------------------------------- */

/** What a resource handler sees of a request (named _req: coapsec_coap_request is the
 *  client function). */
typedef struct coapsec_coap_request {
    coapsec_peer_id peer;
    const coapsec_msg *msg; /* the decoded request (valid during the handler only) */
    const char *path;       /* Uri-Path segments joined by '/', no leading '/', NUL-terminated */
    size_t path_len;
} coapsec_coap_req;

struct coapsec_coap_ctx;

/**
 * Response builder handed to a handler. msg.code is preset (2.05 for GET,
 * 2.04 for POST/PUT and the others, 2.02 for DELETE); the handler sets code,
 * options and payload in msg (type, MID and token are set by the engine).
 * Option values and the payload must stay valid until the handler returns:
 * use scratch (or the coapsec_coap_resp_* helpers, which copy into it).
 * Or the handler calls coapsec_coap_defer() and answers later.
 */
typedef struct coapsec_coap_response {
    coapsec_msg msg;
    uint8_t scratch[COAPSEC_MAX_PDU];
    size_t scratch_used;
    /* private */
    struct coapsec_coap_ctx *ctx_;
    int deferred_; /* handle + 1 once deferred */
} coapsec_coap_response;

typedef void (*coapsec_coap_handler)(void *user, const coapsec_coap_req *req,
                                     coapsec_coap_response *resp);

/** One resource. path and attrs are caller memory and must outlive the registration. */
typedef struct coapsec_coap_resource {
    const char *path; /* "a/b": no leading slash; "" for the root */
    coapsec_coap_handler handler;
    void *user;
    const char *attrs; /* link-format attributes, e.g. "rt=\"time\";ct=0", or NULL */
    uint32_t methods;  /* allowed methods as bits (1u << code); 0 = all. Others get 4.05 */
} coapsec_coap_resource;

/* ---- statistics ------------------------------------------------------------------ */

typedef struct coapsec_coap_stats {
    uint64_t requests_sent;     /* client requests transmitted (first transmission) */
    uint64_t requests_received; /* requests handed to a handler (or answered by the engine) */
    uint64_t responses_sent;
    uint64_t retransmissions;
    uint64_t timeouts;
    uint64_t duplicates; /* duplicate CON/NON received */
    uint64_t rst_sent;
    uint64_t rst_received;
    uint64_t rejected; /* malformed / unmatched input dropped */
    uint64_t send_errors;
    uint64_t dedup_evictions; /* dedup entries reused before their lifetime ended */
    uint64_t blocks_sent;     /* Block1 requests and Block2 responses sent (RFC 7959) */
    uint64_t notifications_sent;
    uint64_t stale_notifications; /* dropped by the RFC 7641 §3.4 freshness rule */
} coapsec_coap_stats;

/* ---- the context (fields are private; sizes are public so the caller can own it) -- */

typedef struct coapsec_coap_xfer_ {
    struct coapsec_coap_ctx *ctx; /* private */
    uint8_t state;
    uint8_t szx1, szx2;
    uint8_t user_token;
    uint8_t last_more; /* the Block1 block in flight had M=1 */
    uint8_t code;
    uint8_t tries; /* extra attempts at the block in flight */
    uint16_t seq;
    uint16_t tlen;
    int xh;
    coapsec_peer_id peer;
    const uint8_t *body;
    size_t body_len, sent, inflight_len;
    uint8_t *rbuf;
    size_t rcap, rlen;
    size_t rbase; /* offset of rbuf[0] in the resource (xfer->start) */
    coapsec_response_cb cb;
    void *cb_user;
    uint8_t tmpl[COAPSEC_MAX_PDU];
} coapsec_coap_xfer_;

typedef struct coapsec_coap_b1_ {
    uint8_t used; /* private */
    uint8_t code;
    coapsec_peer_id peer;
    size_t len;
    coapsec_tstamp expires;
    char path[COAPSEC_COAP_MAX_PATH];
} coapsec_coap_b1_;

typedef struct coapsec_coap_obs_ {
    uint8_t used; /* private */
    uint8_t tkl;
    uint8_t token[COAPSEC_MAX_TOKEN];
    int16_t xi;
    uint16_t last_mid;
    uint16_t rlen;
    coapsec_peer_id peer;
    const char *path;
    uint32_t seq;
    coapsec_tstamp last_con;
    uint8_t req[COAPSEC_MAX_PDU];
} coapsec_coap_obs_;

typedef struct coapsec_coap_cobs_ {
    struct coapsec_coap_ctx *ctx; /* private */
    uint8_t state;
    uint8_t tkl;
    uint8_t token[COAPSEC_MAX_TOKEN];
    uint16_t seq;
    uint16_t tlen;
    int xh;
    coapsec_peer_id peer;
    uint32_t v1;
    coapsec_tstamp t1;
    coapsec_response_cb cb;
    void *cb_user;
    uint8_t tmpl[COAPSEC_MAX_PDU];
} coapsec_coap_cobs_;

typedef struct coapsec_coap_xchg_ {
    uint8_t state; /* private */
    uint8_t kind;
    uint8_t type;
    uint8_t retries;
    uint8_t tkl;
    uint8_t token[COAPSEC_MAX_TOKEN];
    uint16_t mid;
    uint16_t seq;
    uint16_t len;
    int16_t qnext;
    int16_t tnext;
    int16_t mnext;
    int16_t heap_pos;
    uint8_t in_thash;
    uint8_t in_mhash;
    uint8_t counted; /* counts against the peer's NSTART */
    int16_t aux;     /* CON notification: observer index */
    coapsec_peer_id peer;
    uint32_t timeout;
    coapsec_tstamp expiry;
    coapsec_tstamp deadline;
    coapsec_response_cb cb;
    void *cb_user;
    uint8_t pdu[COAPSEC_MAX_PDU];
} coapsec_coap_xchg_;

typedef struct coapsec_coap_dedup_ {
    coapsec_peer_id peer; /* private */
    uint16_t mid;
    uint8_t used;
    uint8_t type;
    int16_t next;
    uint16_t len;
    coapsec_tstamp expires;
    uint8_t reply[COAPSEC_MAX_PDU];
} coapsec_coap_dedup_;

typedef struct coapsec_coap_ctx {
    coapsec_coap_params params;
    coapsec_coap_callbacks cb;
    void *user;
    coapsec_coap_peer *peers;
    size_t npeers;
    coapsec_coap_stats stats; /* readable by the caller */
    /* private */
    uint64_t exchange_lifetime, non_lifetime, max_transmit_span, max_transmit_wait;
    coapsec_coap_xchg_ x[COAPSEC_COAP_MAX_EXCHANGES];
    int16_t xfree;
    uint16_t xseq;
    int16_t thash[COAPSEC_COAP_XHASH];
    int16_t mhash[COAPSEC_COAP_XHASH];
    int16_t heap[COAPSEC_COAP_MAX_EXCHANGES];
    int16_t nheap;
    coapsec_coap_dedup_ d[COAPSEC_COAP_DEDUP];
    int16_t dhash[COAPSEC_COAP_DHASH];
    uint32_t dnext;
    coapsec_coap_resource res[COAPSEC_COAP_MAX_RESOURCES];
    uint8_t res_obs[COAPSEC_COAP_MAX_RESOURCES]; /* observable (RFC 7641) */
    size_t nres;
    coapsec_coap_handler fallback;
    void *fallback_user;
    coapsec_coap_response resp;
    const coapsec_msg *cur_req; /* request being handled (for coapsec_coap_defer) */
    coapsec_peer_id cur_peer;
    coapsec_tstamp cur_now;
    char path[COAPSEC_COAP_MAX_PATH];
    char links[COAPSEC_MAX_PDU * 2];
    uint8_t out[COAPSEC_MAX_PDU];
    /* block-wise (block.c) */
    uint8_t block_szx;
    uint16_t tseq;
    uint8_t oscratch[24];
    coapsec_coap_xfer_ t[COAPSEC_COAP_MAX_TRANSFERS];
    coapsec_coap_b1_ b1[COAPSEC_COAP_MAX_BLOCK1];
    uint8_t *b1mem;
    size_t b1each;
    unsigned b1count;
    /* observe (observe.c) */
    coapsec_tstamp rx_now;
    int in_notify;
    uint16_t oseq;
    coapsec_coap_response nresp;
    coapsec_coap_obs_ obs[COAPSEC_COAP_MAX_OBSERVERS];
    coapsec_coap_cobs_ cobs[COAPSEC_COAP_MAX_OBSERVING];
} coapsec_coap_ctx;

/* ---- API ------------------------------------------------------------------------------ */

/**
 * Initialise ctx. p == NULL means the RFC defaults. cb is copied; send and
 * random are required. peers[npeers] is caller memory, indexed by slot, and
 * must outlive ctx. Returns 0 or COAPSEC_ERR_INVAL.
 */
int coapsec_coap_init(coapsec_coap_ctx *ctx, const coapsec_coap_params *p,
                      const coapsec_coap_callbacks *cb, void *user, coapsec_coap_peer *peers,
                      size_t npeers);

/** Derived §4.8.2 times in ms, from ctx's params. */
uint64_t coapsec_coap_exchange_lifetime(const coapsec_coap_ctx *ctx);
uint64_t coapsec_coap_non_lifetime(const coapsec_coap_ctx *ctx);
uint64_t coapsec_coap_max_transmit_wait(const coapsec_coap_ctx *ctx);
uint64_t coapsec_coap_max_transmit_span(const coapsec_coap_ctx *ctx);

/**
 * Start generation id.gen of slot id.slot. If the slot is open with another
 * generation, that one is closed first (as coapsec_coap_peer_close()).
 * Returns 0 or COAPSEC_ERR_INVAL (slot out of range).
 */
int coapsec_coap_peer_open(coapsec_coap_ctx *ctx, coapsec_peer_id id);

/**
 * End generation id.gen of its slot: every client exchange of it (sent or
 * queued) fails with COAPSEC_ERR_CLOSED, deferred and separate responses and
 * dedup state are dropped. Returns 0 or COAPSEC_ERR_NOTFOUND (not open).
 */
int coapsec_coap_peer_close(coapsec_coap_ctx *ctx, coapsec_peer_id id, coapsec_tstamp now);

/**
 * Feed one datagram received from peer. Returns 0 when it was processed
 * (including answered with RST/4.xx or ignored as a duplicate),
 * COAPSEC_ERR_CLOSED if peer is not open with that generation,
 * COAPSEC_ERR_FORMAT if it was malformed (a CON is answered with RST, §4.2).
 */
int coapsec_coap_recv(coapsec_coap_ctx *ctx, coapsec_peer_id peer, const uint8_t *data, size_t len,
                      coapsec_tstamp now);

/** When coapsec_coap_handle_expiry() must next be called; COAPSEC_TSTAMP_NONE when idle. */
coapsec_tstamp coapsec_coap_expiry(const coapsec_coap_ctx *ctx);

/** Run every timer due at or before now (retransmissions, timeouts). */
void coapsec_coap_handle_expiry(coapsec_coap_ctx *ctx, coapsec_tstamp now);

/**
 * Send a request. req->type is COAPSEC_CON or COAPSEC_NON and req->code a
 * method; options and payload are copied (serialised) before returning. The
 * engine picks the MID, and the token unless req->tkl > 0. Beyond NSTART
 * outstanding interactions with that peer, the request waits (FIFO) and goes
 * out when one finishes. cb is called exactly once (not after a cancel).
 * Returns an exchange handle >= 0, or COAPSEC_ERR_INVAL, COAPSEC_ERR_CLOSED
 * (peer not open), COAPSEC_ERR_NOMEM (pool full), COAPSEC_ERR_NOBUF (too big).
 */
int coapsec_coap_request(coapsec_coap_ctx *ctx, coapsec_peer_id peer, const coapsec_msg *req,
                         coapsec_response_cb cb, void *user, coapsec_tstamp now);

/** Forget a client exchange without calling its callback. 0 or COAPSEC_ERR_NOTFOUND. */
int coapsec_coap_cancel(coapsec_coap_ctx *ctx, int handle, coapsec_tstamp now);

/** Register a resource (struct copied; strings are not). 0, COAPSEC_ERR_NOMEM, or
 *  COAPSEC_ERR_INVAL (NULL path/handler, or path already registered). */
int coapsec_coap_add_resource(coapsec_coap_ctx *ctx, const coapsec_coap_resource *r);
/** Unregister by path. 0 or COAPSEC_ERR_NOTFOUND. */
int coapsec_coap_remove_resource(coapsec_coap_ctx *ctx, const char *path);
/** Handler for requests whose path matches no resource (NULL = answer 4.04). */
void coapsec_coap_set_fallback(coapsec_coap_ctx *ctx, coapsec_coap_handler h, void *user);

/** Copy data into resp->scratch and make it the payload. 0 or COAPSEC_ERR_NOBUF. */
int coapsec_coap_resp_payload(coapsec_coap_response *resp, const void *data, size_t len);
/** Copy an option value into resp->scratch and add it. 0 or a negative error. */
int coapsec_coap_resp_opt(coapsec_coap_response *resp, uint16_t num, const void *val, size_t len);
/** Add a uint option (shortest encoding, §3.2) via resp->scratch. */
int coapsec_coap_resp_uint(coapsec_coap_response *resp, uint16_t num, uint32_t v);

/**
 * From inside a handler: answer later. Returns a handle >= 0 for
 * coapsec_coap_respond(), or COAPSEC_ERR_NOMEM (then answer now). A CON
 * request is acknowledged at once with an empty ACK (§5.2.2).
 */
int coapsec_coap_defer(coapsec_coap_response *resp);

/**
 * Send the separate response of a deferred request: a CON (retransmitted
 * until ACKed) for a CON request, a NON for a NON request; the token is
 * echoed. opts need not be sorted. Returns 0, COAPSEC_ERR_NOTFOUND (unknown
 * or expired handle, or the peer generation was closed), COAPSEC_ERR_INVAL,
 * COAPSEC_ERR_NOBUF.
 */
int coapsec_coap_respond(coapsec_coap_ctx *ctx, int handle, uint8_t code, const coapsec_opt *opts,
                         size_t nopts, const void *payload, size_t len, coapsec_tstamp now);

/**
 * Write the /.well-known/core document (RFC 6690 link format) into out,
 * applying an optional query filter "name=value" or "name=prefix*" (§4.1;
 * NULL = all). Returns the length (not NUL-terminated) or COAPSEC_ERR_NOBUF.
 */
int coapsec_coap_well_known(coapsec_coap_ctx *ctx, coapsec_peer_id peer, const char *query,
                            size_t query_len, char *out, size_t cap);

/* ---- block-wise transfers (RFC 7959) ------------------------------------------------ */

/** A Block1/Block2 option value (§2.2): block number, more flag, size exponent. */
typedef struct coapsec_block {
    uint32_t num; /* 0 .. 2^20-1 */
    uint8_t more;
    uint8_t szx; /* block size = 16 << szx; 0..6 (7 is reserved) */
} coapsec_block;

#define COAPSEC_BLOCK_SIZE(szx) ((size_t)16 << (szx))
#define COAPSEC_BLOCK_SZX_MAX   6 /* 1024 bytes */

/** Decode a Block1/Block2 option (§2.2). 0, COAPSEC_ERR_FORMAT (longer than 3 bytes), or
 *  COAPSEC_ERR_UNSUPPORTED (SZX 7, reserved: a server answers 4.00). */
int coapsec_block_decode(const coapsec_opt *o, coapsec_block *b);
/** Encode b as an option value (uint). 0, or COAPSEC_ERR_INVAL (num >= 2^20, szx > 6). */
int coapsec_block_encode(const coapsec_block *b, uint32_t *val);
/** The SZX of a block size (16, 32, ... 1024), or COAPSEC_ERR_INVAL. */
int coapsec_block_szx(size_t size);

/**
 * Per-request block-wise settings (the tool's -b). szx: preferred block size
 * exponent 0..6 for Block1 and, with body != NULL on a GET, early negotiation
 * of Block2 (§2.4: Block2 NUM 0 in the request); -1 = the context default
 * (coapsec_coap_set_block_szx, initially 6 = 1024 bytes). body: where the
 * engine reassembles a Block2 response to a GET before calling the response
 * callback once with the whole body (NULL: each response is delivered as it
 * comes, Block2 and all, as coapsec_coap_request does). start: with body on a
 * GET, the Block2 number (of size szx, or 1024 bytes when szx is -1) to
 * begin at (libcoap's -b NUM,SIZE); body then holds the resource from that
 * block on. 0 = the whole resource.
 */
typedef struct coapsec_coap_xfer {
    int szx;
    uint8_t *body;
    size_t body_cap;
    uint32_t start;
} coapsec_coap_xfer;

/**
 * coapsec_coap_request() with block-wise settings (xfer may be NULL). A
 * request payload larger than one block is sent as Block1 blocks (§2.5), one
 * CON/NON exchange after the other (fresh tokens unless req->tkl > 0), with
 * Size1 = the total on the first; req->payload must then stay valid until cb
 * is called. 2.31 Continue answers are consumed; a smaller SZX in them is
 * adopted. The final answer (or the first non-2.31 one) goes to cb; with
 * xfer->body it is first completed by Block2 GETs (§2.4, §3.1) and cb sees the
 * whole body in resp->payload (Block2 option removed). All the exchanges stay
 * on peer's generation: a peer_close ends the transfer with COAPSEC_ERR_CLOSED.
 * Returns a handle >= 0 (for coapsec_coap_cancel) or the errors of
 * coapsec_coap_request(). cb statuses also include COAPSEC_ERR_NOBUF (body
 * larger than body_cap) and COAPSEC_ERR_FORMAT (inconsistent block answers).
 */
int coapsec_coap_request_ex(coapsec_coap_ctx *ctx, coapsec_peer_id peer, const coapsec_msg *req,
                            const coapsec_coap_xfer *xfer, coapsec_response_cb cb, void *user,
                            coapsec_tstamp now);

/** Default / maximum block size exponent (0..6): client default for requests, and the
 *  largest block the server sends or asks for. 0 or COAPSEC_ERR_INVAL. */
int coapsec_coap_set_block_szx(coapsec_coap_ctx *ctx, unsigned szx);

/**
 * Server Block1 (§2.5): give the engine count buffers of each bytes, carved
 * out of mem (caller memory, count * each bytes, outliving ctx). A request
 * body arriving in Block1 blocks is accumulated per (peer, method, path) in
 * one of them (2.31 Continue for each intermediate block, 4.08 for a block out
 * of sequence, 4.13 with Size1 = each when it would not fit, 5.03 when all are
 * busy) and the handler runs once, when the last block arrives, with the whole
 * body as the request payload and without the Block1 option (atomic: the
 * resource changes only then); the engine adds Block1 to its response. count
 * <= COAPSEC_COAP_MAX_BLOCK1. Without buffers, multi-block bodies get 4.13.
 */
int coapsec_coap_set_block1_buffers(coapsec_coap_ctx *ctx, uint8_t *mem, size_t each,
                                    unsigned count);

/**
 * From a handler: the response body, possibly larger than one block. data is
 * not copied and must stay valid until the handler returns. The engine sends
 * the block the request asked for (Block2 in the request, else block 0) with
 * the smaller of the requested and the server block size, Block2 and, on
 * block 0, Size2 (§2.4, §4). The handler is called again for each block and
 * must produce the same body (consistency, e.g. by ETag, is its business).
 * 0 or COAPSEC_ERR_INVAL.
 */
int coapsec_coap_resp_body(coapsec_coap_response *resp, const void *data, size_t len);

/* ---- observe (RFC 7641) ------------------------------------------------------------- */

/**
 * Register an observation: req (GET or FETCH, CON or NON) is sent with
 * Observe: 0 (§3.1). cb is called for the first response and then for each
 * fresh notification, in order (stale ones are dropped by the §3.4 rule:
 * 24-bit sequence numbers, 128-second window); a CON notification is ACKed.
 * The observation ends, with one last call, when a response without Observe
 * or with a non-2.xx code arrives (status 0, resp without Observe), or with
 * status COAPSEC_ERR_TIMEOUT/RESET (registration failed) or COAPSEC_ERR_CLOSED
 * (peer generation closed: TS-0008 binds it to one session and epoch). No
 * call after coapsec_coap_observe_cancel(). Notifications larger than one
 * block are delivered as their first block (Block2 M=1). Returns a handle
 * >= 0, or COAPSEC_ERR_INVAL, COAPSEC_ERR_CLOSED, COAPSEC_ERR_NOMEM, COAPSEC_ERR_BUSY.
 */
int coapsec_coap_observe(coapsec_coap_ctx *ctx, coapsec_peer_id peer, const coapsec_msg *req,
                         coapsec_response_cb cb, void *user, coapsec_tstamp now);

/**
 * End an observation without a further callback. deregister = 1 sends the
 * request again with Observe: 1 and the same token (§3.6); 0 just forgets it,
 * so the next notification is answered with RST (§3.6). coapsec_coap_cancel()
 * on an observation handle is the latter. 0, COAPSEC_ERR_NOTFOUND, or the
 * errors of coapsec_coap_request() for the deregistration.
 */
int coapsec_coap_observe_cancel(coapsec_coap_ctx *ctx, int handle, int deregister,
                                coapsec_tstamp now);

/**
 * Make the registered resource at path observable (on = 1) or not: a GET or
 * FETCH with Observe: 0 then registers an observer (RFC 7641 §4.1) and its
 * link gets ";obs" in /.well-known/core (§6). Turning it off drops its
 * observers. 0 or COAPSEC_ERR_NOTFOUND.
 */
int coapsec_coap_set_observable(coapsec_coap_ctx *ctx, const char *path, int on);

/** RFC 7641 §3.4: is notification (v2 received at t2) fresher than (v1 at t1)? 1 or 0. */
int coapsec_observe_fresh(uint32_t v1, coapsec_tstamp t1, uint32_t v2, coapsec_tstamp t2);

#define COAPSEC_COAP_NOTIFY_CON         1u /* send every notification of this call as CON */
#define COAPSEC_OBSERVE_CON_INTERVAL_MS (24ull * 3600 * 1000) /* §4.5: a CON at least daily */

/**
 * Server: the state of the resource at path changed. Its handler is run again
 * for each observer (with the registration request; coapsec_coap_defer is not
 * available) and each result sent as a notification with the next Observe
 * sequence number and the observer's token: NON, or CON when flags has
 * COAPSEC_COAP_NOTIFY_CON or the observer has had no CON for
 * COAPSEC_OBSERVE_CON_INTERVAL_MS (§4.5). A body larger than a block is sent
 * as its first block. A non-2.xx result ends the observation (§3.2, sent
 * without Observe). A CON notification answered with RST or never
 * acknowledged removes the observer (§3.6, §4.5); so does a RST to a NON. A
 * new CON notification while one is in flight replaces it (§4.5.2). May be
 * called from a handler of another resource. Returns the number of
 * notifications sent, COAPSEC_ERR_NOTFOUND (no such resource) or
 * COAPSEC_ERR_STATE (called from a handler run by notify).
 */
int coapsec_coap_notify(coapsec_coap_ctx *ctx, const char *path, coapsec_tstamp now);
int coapsec_coap_notify_ex(coapsec_coap_ctx *ctx, const char *path, unsigned flags,
                           coapsec_tstamp now);

/** Number of registered observers of path (NULL: of all resources). */
int coapsec_coap_observers(const coapsec_coap_ctx *ctx, const char *path);

#ifdef __cplusplus
}
#endif
#endif /* COAPSEC_COAP_H */
