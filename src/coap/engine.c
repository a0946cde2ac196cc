/*
 * engine.c - the CoAP engine's entry points: initialisation and §4.8
 * parameters, peer generations, and coapsec_coap_recv(), which applies the
 * message-layer rules (§4.2-§4.5) and dispatches to the client side
 * (exchange.c) or the server side (server.c).
 */
#include "engine.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void coapsec_coap_params_default(coapsec_coap_params *p) {
    memset(p, 0, sizeof(*p));
    p->ack_timeout_ms = 2000;
    p->ack_random_factor_m = 1500;
    p->max_retransmit = 4;
    p->nstart = 1;
    p->max_latency_ms = 100000;
    p->processing_delay_ms = 2000;
    p->non_timeout_ms = 0;
    p->token_len = 8;
}

int coapsec_coap_init(coapsec_coap_ctx *ctx, const coapsec_coap_params *p,
                      const coapsec_coap_callbacks *cb, void *user, coapsec_coap_peer *peers,
                      size_t npeers) {
    if (ctx == NULL || cb == NULL || cb->send == NULL || cb->random == NULL ||
        (peers == NULL && npeers > 0))
        return COAPSEC_ERR_INVAL;
    coapsec_coap_params prm;
    if (p != NULL)
        prm = *p;
    else
        coapsec_coap_params_default(&prm);
    if (prm.ack_timeout_ms == 0 || prm.ack_random_factor_m < 1000 ||
        prm.ack_random_factor_m > 10000 || prm.max_retransmit > 20 || prm.nstart == 0 ||
        prm.token_len > COAPSEC_MAX_TOKEN)
        return COAPSEC_ERR_INVAL;
    memset(ctx, 0, sizeof(*ctx));
    ctx->params = prm;
    ctx->cb = *cb;
    ctx->user = user;
    ctx->peers = peers;
    ctx->npeers = npeers;
    for (size_t i = 0; i < npeers; i++) {
        memset(&peers[i], 0, sizeof(peers[i]));
        peers[i].qhead = peers[i].qtail = -1;
    }
    /* §4.8.2 derived times. */
    uint64_t at = prm.ack_timeout_ms, f = prm.ack_random_factor_m;
    uint64_t pow = (uint64_t)1 << prm.max_retransmit;
    ctx->max_transmit_span = at * (pow - 1) * f / 1000;
    ctx->max_transmit_wait = at * (2 * pow - 1) * f / 1000;
    ctx->exchange_lifetime =
        ctx->max_transmit_span + 2 * (uint64_t)prm.max_latency_ms + prm.processing_delay_ms;
    ctx->non_lifetime = ctx->max_transmit_span + prm.max_latency_ms;
    cs_x_init(ctx);
    for (int i = 0; i < COAPSEC_COAP_DHASH; i++)
        ctx->dhash[i] = -1;
    for (int i = 0; i < COAPSEC_COAP_DEDUP; i++)
        ctx->d[i].next = -1;
    cs_block_init(ctx);
    return 0;
}

uint64_t coapsec_coap_exchange_lifetime(const coapsec_coap_ctx *ctx) {
    return ctx->exchange_lifetime;
}
uint64_t coapsec_coap_non_lifetime(const coapsec_coap_ctx *ctx) {
    return ctx->non_lifetime;
}
uint64_t coapsec_coap_max_transmit_wait(const coapsec_coap_ctx *ctx) {
    return ctx->max_transmit_wait;
}
uint64_t coapsec_coap_max_transmit_span(const coapsec_coap_ctx *ctx) {
    return ctx->max_transmit_span;
}

/* ---- helpers shared by the engine files --------------------------------------- */

coapsec_coap_peer *cs_peer(coapsec_coap_ctx *ctx, coapsec_peer_id id) {
    if (id.slot >= ctx->npeers)
        return NULL;
    coapsec_coap_peer *p = &ctx->peers[id.slot];
    return p->in_use && p->gen == id.gen ? p : NULL;
}

void cs_send(coapsec_coap_ctx *ctx, coapsec_peer_id peer, const uint8_t *buf, size_t len) {
    if (ctx->cb.send(ctx->user, peer, buf, len) < 0)
        ctx->stats.send_errors++;
}

void cs_send_empty(coapsec_coap_ctx *ctx, coapsec_peer_id peer, uint8_t type, uint16_t mid,
                   uint8_t out[4]) {
    out[0] = (uint8_t)(0x40 | (type << 4));
    out[1] = 0;
    out[2] = (uint8_t)(mid >> 8);
    out[3] = (uint8_t)mid;
    if (type == COAPSEC_RST)
        ctx->stats.rst_sent++;
    cs_send(ctx, peer, out, 4);
}

void cs_log(coapsec_coap_ctx *ctx, int level, const char *fmt, ...) {
    if (ctx->cb.log == NULL)
        return;
    char buf[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    ctx->cb.log(ctx->user, level, buf);
}

uint32_t cs_rand32(coapsec_coap_ctx *ctx) {
    uint8_t b[4] = {0};
    ctx->cb.random(ctx->user, b, sizeof(b));
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

uint16_t cs_next_mid(coapsec_coap_ctx *ctx, coapsec_coap_peer *p) {
    return p->next_mid++;
}

/* FNV-1a over (slot, gen, key). */
uint32_t cs_hash(coapsec_peer_id peer, const uint8_t *key, size_t len) {
    uint32_t h = 2166136261u;
    uint32_t w[2] = {peer.slot, peer.gen};
    for (int i = 0; i < 2; i++) {
        for (int s = 0; s < 32; s += 8) {
            h ^= (w[i] >> s) & 0xff;
            h *= 16777619u;
        }
    }
    for (size_t i = 0; i < len; i++) {
        h ^= key[i];
        h *= 16777619u;
    }
    return h ^ (h >> 15);
}

/* ---- peers ----------------------------------------------------------------------- */

int coapsec_coap_peer_open(coapsec_coap_ctx *ctx, coapsec_peer_id id) {
    if (ctx == NULL || id.slot >= ctx->npeers)
        return COAPSEC_ERR_INVAL;
    coapsec_coap_peer *p = &ctx->peers[id.slot];
    if (p->in_use) {
        if (p->gen == id.gen)
            return 0;
        coapsec_peer_id old = {id.slot, p->gen};
        coapsec_coap_peer_close(ctx, old, 0);
    }
    memset(p, 0, sizeof(*p));
    p->gen = id.gen;
    p->in_use = 1;
    p->qhead = p->qtail = -1;
    p->next_mid = (uint16_t)cs_rand32(ctx); /* §4.4: randomised start */
    return 0;
}

int coapsec_coap_peer_close(coapsec_coap_ctx *ctx, coapsec_peer_id id, coapsec_tstamp now) {
    coapsec_coap_peer *p = ctx != NULL ? cs_peer(ctx, id) : NULL;
    if (p == NULL)
        return COAPSEC_ERR_NOTFOUND;
    p->in_use = 0; /* from here on, requests to this generation fail with CLOSED */
    cs_dedup_drop_peer(ctx, id);
    cs_obs_close_peer(ctx, id); /* RFC 7641 + TS-0008: observations end with the generation */
    cs_block_close_peer(ctx, id);
    cs_client_close_peer(ctx, id);
    p->inflight = 0;
    p->qhead = p->qtail = -1;
    return 0;
}

/* ---- input ------------------------------------------------------------------------ */

int coapsec_coap_recv(coapsec_coap_ctx *ctx, coapsec_peer_id peer, const uint8_t *data, size_t len,
                      coapsec_tstamp now) {
    if (ctx == NULL || (data == NULL && len > 0))
        return COAPSEC_ERR_INVAL;
    if (cs_peer(ctx, peer) == NULL)
        return COAPSEC_ERR_CLOSED;
    ctx->rx_now = now;
    uint8_t tmp[4];
    /* §4.2/§4.3: a message too short for a header, or of another version, is
     * silently ignored. */
    if (len < 4 || (data[0] >> 6) != 1) {
        ctx->stats.rejected++;
        return COAPSEC_ERR_FORMAT;
    }
    uint8_t type = (data[0] >> 4) & 3;
    uint16_t mid = (uint16_t)(data[2] << 8 | data[3]);
    coapsec_msg m;
    int rc = coapsec_msg_decode(&m, data, len);
    if (rc < 0) {
        ctx->stats.rejected++;
        if (type == COAPSEC_CON) /* §4.2: reject a CON we cannot process */
            cs_send_empty(ctx, peer, COAPSEC_RST, mid, tmp);
        cs_log(ctx, COAPSEC_LOG_DEBUG, "malformed message (type %u, MID %u)", type, mid);
        return COAPSEC_ERR_FORMAT;
    }

    switch (m.type) {
    case COAPSEC_ACK:
        cs_client_ack(ctx, peer, &m, now);
        return 0;
    case COAPSEC_RST:
        ctx->stats.rst_received++;
        cs_client_rst(ctx, peer, m.mid, now);
        return 0;
    default:
        break;
    }

    if (m.code == COAPSEC_EMPTY) {
        /* §4.3: an empty CON ("CoAP ping") is answered with RST; an empty NON is ignored. */
        if (m.type == COAPSEC_CON)
            cs_send_empty(ctx, peer, COAPSEC_RST, m.mid, tmp);
        return 0;
    }

    /* §4.5: duplicate detection for CON and NON. */
    int di = cs_dedup_find(ctx, peer, m.mid, now);
    if (di >= 0) {
        ctx->stats.duplicates++;
        const coapsec_coap_dedup_ *d = &ctx->d[di];
        if (m.type == COAPSEC_CON && d->len > 0)
            cs_send(ctx, peer, d->reply, d->len);
        return 0;
    }
    di = cs_dedup_add(ctx, peer, m.mid, m.type, now);

    if (COAPSEC_IS_REQUEST(m.code)) {
        cs_server_request(ctx, peer, &m, di, now);
    } else if (COAPSEC_IS_RESPONSE(m.code)) {
        cs_client_response(ctx, peer, &m, di, now);
    } else {
        /* Reserved code classes 1, 6, 7: reject (§4.2, §4.3). */
        ctx->stats.rejected++;
        if (m.type == COAPSEC_CON) {
            cs_send_empty(ctx, peer, COAPSEC_RST, m.mid, tmp);
            cs_dedup_set_reply(ctx, di, tmp, 4);
        }
    }
    return 0;
}
