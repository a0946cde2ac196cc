/*
 * engine.h - internal interface between the files of the CoAP engine
 * (engine.c, exchange.c, server.c, resource.c, dedup.c, timers.c). Not
 * installed; everything here is prefixed cs_.
 */
#ifndef COAPSEC_SRC_COAP_ENGINE_H
#define COAPSEC_SRC_COAP_ENGINE_H

#include "coapsec/coap.h"

_Static_assert(COAPSEC_COAP_MAX_EXCHANGES <= 1024, "exchange handles use 10 index bits");
_Static_assert(COAPSEC_COAP_DEDUP <= 32767, "dedup indices are int16_t");
_Static_assert((COAPSEC_COAP_XHASH & (COAPSEC_COAP_XHASH - 1)) == 0, "XHASH power of two");
_Static_assert((COAPSEC_COAP_DHASH & (COAPSEC_COAP_DHASH - 1)) == 0, "DHASH power of two");

/* Exchange states. */
enum {
    CS_X_FREE = 0,
    CS_X_QUEUED,       /* client request waiting for NSTART */
    CS_X_WAIT_ACK,     /* client CON sent, no ACK yet */
    CS_X_WAIT_RESP,    /* client NON sent, or CON acknowledged by an empty ACK */
    CS_X_DEFERRED,     /* server: handler deferred, waiting for coapsec_coap_respond */
    CS_X_SEP_WAIT_ACK, /* server: separate CON response sent, no ACK yet */
    CS_X_NOTIFY,       /* server: CON notification sent, no ACK yet (observe.c) */
};
enum { CS_K_CLIENT = 0, CS_K_SERVER = 1 };

#define CS_HANDLE_BITS 10
/* Handle kinds in bits 28-29: 0 = exchange, else a transfer or an observation. */
#define CS_HK_SHIFT 28
#define CS_HK_XFER  1
#define CS_HK_OBS   2
#define CS_HK(h)    ((h) >> CS_HK_SHIFT)

/* engine.c */
coapsec_coap_peer *cs_peer(coapsec_coap_ctx *ctx, coapsec_peer_id id);
void cs_send(coapsec_coap_ctx *ctx, coapsec_peer_id peer, const uint8_t *buf, size_t len);
void cs_send_empty(coapsec_coap_ctx *ctx, coapsec_peer_id peer, uint8_t type, uint16_t mid,
                   uint8_t out[4]);
void cs_log(coapsec_coap_ctx *ctx, int level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
uint32_t cs_rand32(coapsec_coap_ctx *ctx);
uint16_t cs_next_mid(coapsec_coap_ctx *ctx, coapsec_coap_peer *p);
uint32_t cs_hash(coapsec_peer_id peer, const uint8_t *key, size_t len);

/* timers.c: binary min-heap of exchanges on x->expiry. */
void cs_timer_set(coapsec_coap_ctx *ctx, int xi, coapsec_tstamp t);
void cs_timer_del(coapsec_coap_ctx *ctx, int xi);

/* dedup.c: remembered incoming message IDs (§4.5). */
int cs_dedup_find(coapsec_coap_ctx *ctx, coapsec_peer_id peer, uint16_t mid, coapsec_tstamp now);
int cs_dedup_add(coapsec_coap_ctx *ctx, coapsec_peer_id peer, uint16_t mid, uint8_t type,
                 coapsec_tstamp now);
void cs_dedup_set_reply(coapsec_coap_ctx *ctx, int di, const uint8_t *buf, size_t len);
void cs_dedup_drop_peer(coapsec_coap_ctx *ctx, coapsec_peer_id peer);

/* exchange.c: the exchange pool and the client side. */
void cs_x_init(coapsec_coap_ctx *ctx);
int cs_x_alloc(coapsec_coap_ctx *ctx);
void cs_x_free(coapsec_coap_ctx *ctx, int xi);
int cs_x_handle(const coapsec_coap_ctx *ctx, int xi);
int cs_x_from_handle(const coapsec_coap_ctx *ctx, int handle);
void cs_mhash_add(coapsec_coap_ctx *ctx, int xi);
void cs_mhash_del(coapsec_coap_ctx *ctx, int xi);
uint32_t cs_rto(coapsec_coap_ctx *ctx);
void cs_x_timer(coapsec_coap_ctx *ctx, int xi, coapsec_tstamp now);
void cs_client_ack(coapsec_coap_ctx *ctx, coapsec_peer_id peer, const coapsec_msg *m,
                   coapsec_tstamp now);
void cs_client_rst(coapsec_coap_ctx *ctx, coapsec_peer_id peer, uint16_t mid, coapsec_tstamp now);
void cs_client_response(coapsec_coap_ctx *ctx, coapsec_peer_id peer, const coapsec_msg *m, int di,
                        coapsec_tstamp now);
void cs_client_close_peer(coapsec_coap_ctx *ctx, coapsec_peer_id peer);
int cs_find_token(coapsec_coap_ctx *ctx, coapsec_peer_id peer, const uint8_t *tok, size_t tkl);
/* The plain (one exchange) request; coapsec_coap_request() is in block.c. */
int cs_request(coapsec_coap_ctx *ctx, coapsec_peer_id peer, const coapsec_msg *req,
               coapsec_response_cb cb, void *user, coapsec_tstamp now);

/* block.c: RFC 7959. */
typedef struct cs_blockreq {
    int has_b1, has_b2;
    coapsec_block b1, b2;
    int b1slot;       /* reassembly slot to release after the handler, or -1 */
    coapsec_msg body; /* the request as the handler sees it after reassembly */
} cs_blockreq;
void cs_block_init(coapsec_coap_ctx *ctx);
/* Before the handler: 0 = go on (st->body valid when has_b1), 1 = r holds the answer. */
int cs_block_pre(coapsec_coap_ctx *ctx, coapsec_peer_id peer, const coapsec_msg *m,
                 coapsec_coap_response *r, cs_blockreq *st, coapsec_tstamp now);
/* After the handler: release the slot, echo Block1, cut the body into the asked block. */
void cs_block_post(coapsec_coap_ctx *ctx, coapsec_coap_response *r, cs_blockreq *st);
/* Cut r's payload to block rq (NULL: block 0 if larger than a block). scratch: 8 bytes. */
void cs_block2_apply(coapsec_coap_ctx *ctx, coapsec_coap_response *r, const coapsec_block *rq,
                     uint8_t *scratch);
int cs_xfer_cancel(coapsec_coap_ctx *ctx, int handle, coapsec_tstamp now);
void cs_block_close_peer(coapsec_coap_ctx *ctx, coapsec_peer_id peer);

/* observe.c: RFC 7641. */
/* Server, before the handler: deregistration; returns 1 when m asks to register. */
int cs_obs_pre(coapsec_coap_ctx *ctx, coapsec_peer_id peer, const coapsec_msg *m,
               const coapsec_coap_resource *res);
/* Server, after a non-deferred handler of a registering request. */
void cs_obs_register(coapsec_coap_ctx *ctx, coapsec_peer_id peer, const coapsec_msg *m,
                     const coapsec_coap_resource *res, coapsec_coap_response *r,
                     coapsec_tstamp now);
void cs_obs_acked(coapsec_coap_ctx *ctx, int xi);  /* CON notification ACKed */
void cs_obs_failed(coapsec_coap_ctx *ctx, int xi); /* CON notification RST or timed out */
int cs_obs_rst(coapsec_coap_ctx *ctx, coapsec_peer_id peer, uint16_t mid); /* RST to a NON */
void cs_obs_drop_path(coapsec_coap_ctx *ctx, const char *path);
/* Client: a response matching no exchange; 1 if it was a notification (handled). */
int cs_cobs_notification(coapsec_coap_ctx *ctx, coapsec_peer_id peer, const coapsec_msg *m, int di);
void cs_obs_close_peer(coapsec_coap_ctx *ctx, coapsec_peer_id peer);

/* server.c */
void cs_server_request(coapsec_coap_ctx *ctx, coapsec_peer_id peer, const coapsec_msg *m, int di,
                       coapsec_tstamp now);

/* resource.c */
const coapsec_coap_resource *cs_resource_find(const coapsec_coap_ctx *ctx, const char *path);
int cs_well_known(coapsec_coap_ctx *ctx, coapsec_peer_id peer, const char *query, size_t query_len,
                  char *out, size_t cap, int truncate);

#endif /* COAPSEC_SRC_COAP_ENGINE_H */
