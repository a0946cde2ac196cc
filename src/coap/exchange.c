/*
 * exchange.c - the exchange pool and the client side of the engine: sending
 * requests under NSTART (§4.7), CON retransmission with exponential back-off
 * (§4.2), and matching ACK/RST by Message ID and responses by token (§5.3.2),
 * always within one peer generation. Exchanges are found through two small
 * hash tables, (peer, token) and (peer, MID); timers live in timers.c.
 */
#include "engine.h"

#include <string.h>

/* ---- pool and indexes ---------------------------------------------------------- */

void cs_x_init(coapsec_coap_ctx *ctx) {
    for (int i = 0; i < COAPSEC_COAP_XHASH; i++)
        ctx->thash[i] = ctx->mhash[i] = -1;
    for (int i = 0; i < COAPSEC_COAP_MAX_EXCHANGES; i++) {
        coapsec_coap_xchg_ *x = &ctx->x[i];
        x->state = CS_X_FREE;
        x->heap_pos = -1;
        x->tnext = x->mnext = -1;
        x->qnext = (int16_t)(i + 1 < COAPSEC_COAP_MAX_EXCHANGES ? i + 1 : -1);
    }
    ctx->xfree = 0;
}

int cs_x_alloc(coapsec_coap_ctx *ctx) {
    int xi = ctx->xfree;
    if (xi < 0)
        return -1;
    coapsec_coap_xchg_ *x = &ctx->x[xi];
    ctx->xfree = x->qnext;
    uint16_t seq = (uint16_t)(++ctx->xseq & 0x7fff);
    memset(x, 0, offsetof(coapsec_coap_xchg_, pdu));
    x->seq = seq;
    x->heap_pos = -1;
    x->qnext = x->tnext = x->mnext = -1;
    x->aux = -1;
    return xi;
}

int cs_x_handle(const coapsec_coap_ctx *ctx, int xi) {
    return (int)ctx->x[xi].seq << CS_HANDLE_BITS | xi;
}

int cs_x_from_handle(const coapsec_coap_ctx *ctx, int handle) {
    if (handle < 0)
        return -1;
    int xi = handle & ((1 << CS_HANDLE_BITS) - 1);
    if (xi >= COAPSEC_COAP_MAX_EXCHANGES || ctx->x[xi].state == CS_X_FREE ||
        ctx->x[xi].seq != (handle >> CS_HANDLE_BITS))
        return -1;
    return xi;
}

static uint32_t tbucket(coapsec_peer_id peer, const uint8_t *tok, size_t tkl) {
    return cs_hash(peer, tok, tkl) & (COAPSEC_COAP_XHASH - 1);
}

static uint32_t mbucket(coapsec_peer_id peer, uint16_t mid) {
    uint8_t k[2] = {(uint8_t)(mid >> 8), (uint8_t)mid};
    return cs_hash(peer, k, 2) & (COAPSEC_COAP_XHASH - 1);
}

static void thash_add(coapsec_coap_ctx *ctx, int xi) {
    coapsec_coap_xchg_ *x = &ctx->x[xi];
    uint32_t b = tbucket(x->peer, x->token, x->tkl);
    x->tnext = ctx->thash[b];
    ctx->thash[b] = (int16_t)xi;
    x->in_thash = 1;
}

static void thash_del(coapsec_coap_ctx *ctx, int xi) {
    coapsec_coap_xchg_ *x = &ctx->x[xi];
    if (!x->in_thash)
        return;
    for (int16_t *pp = &ctx->thash[tbucket(x->peer, x->token, x->tkl)]; *pp >= 0;
         pp = &ctx->x[*pp].tnext) {
        if (*pp == xi) {
            *pp = x->tnext;
            break;
        }
    }
    x->tnext = -1;
    x->in_thash = 0;
}

void cs_mhash_add(coapsec_coap_ctx *ctx, int xi) {
    coapsec_coap_xchg_ *x = &ctx->x[xi];
    uint32_t b = mbucket(x->peer, x->mid);
    x->mnext = ctx->mhash[b];
    ctx->mhash[b] = (int16_t)xi;
    x->in_mhash = 1;
}

void cs_mhash_del(coapsec_coap_ctx *ctx, int xi) {
    coapsec_coap_xchg_ *x = &ctx->x[xi];
    if (!x->in_mhash)
        return;
    for (int16_t *pp = &ctx->mhash[mbucket(x->peer, x->mid)]; *pp >= 0; pp = &ctx->x[*pp].mnext) {
        if (*pp == xi) {
            *pp = x->mnext;
            break;
        }
    }
    x->mnext = -1;
    x->in_mhash = 0;
}

/* Client exchange with this token (any state but FREE), or -1. */
int cs_find_token(coapsec_coap_ctx *ctx, coapsec_peer_id peer, const uint8_t *tok, size_t tkl) {
    for (int xi = ctx->thash[tbucket(peer, tok, tkl)]; xi >= 0; xi = ctx->x[xi].tnext) {
        const coapsec_coap_xchg_ *x = &ctx->x[xi];
        if (x->tkl == tkl && coapsec_peer_id_eq(x->peer, peer) && memcmp(x->token, tok, tkl) == 0)
            return xi;
    }
    return -1;
}

/* Exchange whose outgoing message has this MID, or -1. */
static int find_mid(coapsec_coap_ctx *ctx, coapsec_peer_id peer, uint16_t mid) {
    for (int xi = ctx->mhash[mbucket(peer, mid)]; xi >= 0; xi = ctx->x[xi].mnext) {
        const coapsec_coap_xchg_ *x = &ctx->x[xi];
        if (x->mid == mid && coapsec_peer_id_eq(x->peer, peer))
            return xi;
    }
    return -1;
}

static void queue_remove(coapsec_coap_ctx *ctx, int xi) {
    coapsec_coap_xchg_ *x = &ctx->x[xi];
    if (x->peer.slot >= ctx->npeers)
        return;
    coapsec_coap_peer *p = &ctx->peers[x->peer.slot];
    int prev = -1;
    for (int i = p->qhead; i >= 0; prev = i, i = ctx->x[i].qnext) {
        if (i != xi)
            continue;
        if (prev < 0)
            p->qhead = x->qnext;
        else
            ctx->x[prev].qnext = x->qnext;
        if (p->qtail == xi)
            p->qtail = (int16_t)prev;
        break;
    }
    x->qnext = -1;
}

void cs_x_free(coapsec_coap_ctx *ctx, int xi) {
    coapsec_coap_xchg_ *x = &ctx->x[xi];
    if (x->state == CS_X_FREE)
        return;
    thash_del(ctx, xi);
    cs_mhash_del(ctx, xi);
    cs_timer_del(ctx, xi);
    if (x->state == CS_X_QUEUED)
        queue_remove(ctx, xi);
    x->state = CS_X_FREE;
    x->qnext = ctx->xfree;
    ctx->xfree = (int16_t)xi;
}

/* ---- sending ----------------------------------------------------------------------- */

/* Initial retransmission timeout: uniform in [ACK_TIMEOUT, ACK_TIMEOUT * ACK_RANDOM_FACTOR]. */
uint32_t cs_rto(coapsec_coap_ctx *ctx) {
    uint64_t at = ctx->params.ack_timeout_ms;
    uint64_t span = at * (ctx->params.ack_random_factor_m - 1000) / 1000;
    return (uint32_t)(at + (span > 0 ? cs_rand32(ctx) % (span + 1) : 0));
}

static void transmit_first(coapsec_coap_ctx *ctx, int xi, coapsec_coap_peer *p,
                           coapsec_tstamp now) {
    coapsec_coap_xchg_ *x = &ctx->x[xi];
    x->mid = cs_next_mid(ctx, p);
    x->pdu[2] = (uint8_t)(x->mid >> 8);
    x->pdu[3] = (uint8_t)x->mid;
    cs_mhash_add(ctx, xi);
    x->counted = 1;
    p->inflight++;
    ctx->stats.requests_sent++;
    if (x->type == COAPSEC_CON) {
        x->state = CS_X_WAIT_ACK;
        x->timeout = cs_rto(ctx);
        x->deadline = now + ctx->exchange_lifetime;
        cs_timer_set(ctx, xi, now + x->timeout);
    } else {
        x->state = CS_X_WAIT_RESP;
        uint64_t wait = ctx->params.non_timeout_ms ? ctx->params.non_timeout_ms : ctx->non_lifetime;
        x->deadline = now + wait;
        cs_timer_set(ctx, xi, x->deadline);
    }
    cs_send(ctx, x->peer, x->pdu, x->len);
}

/* Send queued requests of p while NSTART allows (§4.7). */
static void pump(coapsec_coap_ctx *ctx, coapsec_peer_id id, coapsec_tstamp now) {
    coapsec_coap_peer *p = cs_peer(ctx, id);
    while (p != NULL && p->inflight < ctx->params.nstart && p->qhead >= 0) {
        int xi = p->qhead;
        p->qhead = ctx->x[xi].qnext;
        if (p->qhead < 0)
            p->qtail = -1;
        ctx->x[xi].qnext = -1;
        transmit_first(ctx, xi, p, now);
        p = cs_peer(ctx, id); /* the send callback must not close it, but be safe */
    }
}

/* End a client exchange: free it, let the next queued request go, then report. */
static void finish(coapsec_coap_ctx *ctx, int xi, int status, const coapsec_msg *resp,
                   coapsec_tstamp now) {
    coapsec_coap_xchg_ *x = &ctx->x[xi];
    coapsec_response_cb cb = x->cb;
    void *user = x->cb_user;
    coapsec_peer_id peer = x->peer;
    if (x->counted) {
        coapsec_coap_peer *p = cs_peer(ctx, peer);
        if (p != NULL && p->inflight > 0)
            p->inflight--;
    }
    cs_x_free(ctx, xi);
    pump(ctx, peer, now);
    if (cb != NULL)
        cb(user, status, resp, peer);
}

int cs_request(coapsec_coap_ctx *ctx, coapsec_peer_id peer, const coapsec_msg *req,
               coapsec_response_cb cb, void *user, coapsec_tstamp now) {
    if (ctx == NULL || req == NULL || (req->type != COAPSEC_CON && req->type != COAPSEC_NON) ||
        !COAPSEC_IS_REQUEST(req->code) || req->tkl > COAPSEC_MAX_TOKEN)
        return COAPSEC_ERR_INVAL;
    coapsec_coap_peer *p = cs_peer(ctx, peer);
    if (p == NULL)
        return COAPSEC_ERR_CLOSED;
    int xi = cs_x_alloc(ctx);
    if (xi < 0)
        return COAPSEC_ERR_NOMEM;
    coapsec_coap_xchg_ *x = &ctx->x[xi];
    x->kind = CS_K_CLIENT;
    x->type = req->type;
    x->peer = peer;
    x->cb = cb;
    x->cb_user = user;
    if (req->tkl > 0) {
        x->tkl = req->tkl;
        memcpy(x->token, req->token, req->tkl);
        if (cs_find_token(ctx, peer, x->token, x->tkl) >= 0)
            goto busy;
    } else {
        x->tkl = (uint8_t)ctx->params.token_len;
        int tries = 0;
        do {
            if (++tries > 8)
                goto busy;
            ctx->cb.random(ctx->user, x->token, x->tkl);
        } while (cs_find_token(ctx, peer, x->token, x->tkl) >= 0);
    }
    coapsec_msg m = *req;
    m.mid = 0; /* patched when transmitted */
    m.tkl = x->tkl;
    memcpy(m.token, x->token, x->tkl);
    int n = coapsec_msg_encode(&m, x->pdu, sizeof(x->pdu));
    if (n < 0) {
        x->state = CS_X_QUEUED; /* so cs_x_free releases it */
        cs_x_free(ctx, xi);
        return n == COAPSEC_ERR_NOBUF ? COAPSEC_ERR_NOBUF : n;
    }
    x->len = (uint16_t)n;
    thash_add(ctx, xi);
    int handle = cs_x_handle(ctx, xi);
    if (p->inflight < ctx->params.nstart && p->qhead < 0) {
        transmit_first(ctx, xi, p, now);
    } else {
        x->state = CS_X_QUEUED;
        if (p->qtail >= 0)
            ctx->x[p->qtail].qnext = (int16_t)xi;
        else
            p->qhead = (int16_t)xi;
        p->qtail = (int16_t)xi;
    }
    return handle;
busy:
    x->state = CS_X_QUEUED;
    cs_x_free(ctx, xi);
    return COAPSEC_ERR_BUSY;
}

int coapsec_coap_cancel(coapsec_coap_ctx *ctx, int handle, coapsec_tstamp now) {
    if (ctx != NULL && handle >= 0 && CS_HK(handle) == CS_HK_XFER)
        return cs_xfer_cancel(ctx, handle, now);
    if (ctx != NULL && handle >= 0 && CS_HK(handle) == CS_HK_OBS)
        return coapsec_coap_observe_cancel(ctx, handle, 0, now);
    int xi = ctx != NULL ? cs_x_from_handle(ctx, handle) : -1;
    if (xi < 0)
        return COAPSEC_ERR_NOTFOUND;
    coapsec_coap_xchg_ *x = &ctx->x[xi];
    if (x->kind == CS_K_CLIENT) {
        x->cb = NULL;
        finish(ctx, xi, COAPSEC_ERR_CLOSED, NULL, now);
    } else {
        cs_x_free(ctx, xi);
    }
    return 0;
}

/* ---- timers ------------------------------------------------------------------------ */

void cs_x_timer(coapsec_coap_ctx *ctx, int xi, coapsec_tstamp now) {
    coapsec_coap_xchg_ *x = &ctx->x[xi];
    switch (x->state) {
    case CS_X_WAIT_ACK:
    case CS_X_SEP_WAIT_ACK:
    case CS_X_NOTIFY:
        if (x->retries < ctx->params.max_retransmit) {
            /* §4.2: retransmit, doubling the timeout. */
            x->retries++;
            x->timeout *= 2;
            ctx->stats.retransmissions++;
            cs_timer_set(ctx, xi, now + x->timeout);
            cs_send(ctx, x->peer, x->pdu, x->len);
            return;
        }
        ctx->stats.timeouts++;
        if (x->kind == CS_K_CLIENT) {
            finish(ctx, xi, COAPSEC_ERR_TIMEOUT, NULL, now);
        } else if (x->state == CS_X_NOTIFY) {
            cs_obs_failed(ctx, xi); /* RFC 7641 §4.5: the observer is gone */
        } else {
            cs_log(ctx, COAPSEC_LOG_INFO, "separate response MID %u never acknowledged", x->mid);
            cs_x_free(ctx, xi);
        }
        return;
    case CS_X_WAIT_RESP:
        ctx->stats.timeouts++;
        finish(ctx, xi, COAPSEC_ERR_TIMEOUT, NULL, now);
        return;
    case CS_X_DEFERRED:
        cs_log(ctx, COAPSEC_LOG_INFO, "deferred response dropped after EXCHANGE_LIFETIME");
        cs_x_free(ctx, xi);
        return;
    default:
        return;
    }
}

/* ---- input ---------------------------------------------------------------------------- */

static int token_eq(const coapsec_coap_xchg_ *x, const coapsec_msg *m) {
    return x->tkl == m->tkl && memcmp(x->token, m->token, m->tkl) == 0;
}

void cs_client_ack(coapsec_coap_ctx *ctx, coapsec_peer_id peer, const coapsec_msg *m,
                   coapsec_tstamp now) {
    int xi = find_mid(ctx, peer, m->mid);
    if (xi < 0) {
        ctx->stats.rejected++; /* §4.2: an unmatched ACK is silently ignored */
        return;
    }
    coapsec_coap_xchg_ *x = &ctx->x[xi];
    if (x->state == CS_X_SEP_WAIT_ACK) {
        cs_x_free(ctx, xi); /* our separate response arrived */
        return;
    }
    if (x->state == CS_X_NOTIFY) {
        cs_obs_acked(ctx, xi);
        return;
    }
    if (x->state != CS_X_WAIT_ACK) {
        ctx->stats.rejected++; /* an ACK never matches a NON */
        return;
    }
    if (m->code == COAPSEC_EMPTY) {
        /* §5.2.2: the response will come separately. The interaction no longer
         * counts against NSTART (§4.7). */
        cs_mhash_del(ctx, xi);
        x->state = CS_X_WAIT_RESP;
        cs_timer_set(ctx, xi, x->deadline);
        if (x->counted) {
            x->counted = 0;
            coapsec_coap_peer *p = cs_peer(ctx, peer);
            if (p != NULL && p->inflight > 0)
                p->inflight--;
        }
        pump(ctx, peer, now);
        return;
    }
    if (!COAPSEC_IS_RESPONSE(m->code) || !token_eq(x, m)) {
        ctx->stats.rejected++; /* §5.3.2: the token must match */
        return;
    }
    if (coapsec_msg_bad_critical(m) != NULL) {
        finish(ctx, xi, COAPSEC_ERR_BADOPT, NULL, now); /* §5.4.1: reject the response */
        return;
    }
    finish(ctx, xi, 0, m, now);
}

void cs_client_rst(coapsec_coap_ctx *ctx, coapsec_peer_id peer, uint16_t mid, coapsec_tstamp now) {
    int xi = find_mid(ctx, peer, mid);
    if (xi < 0) {
        cs_obs_rst(ctx, peer, mid); /* RFC 7641 §3.6: RST to a NON notification */
        return;                     /* §4.2: otherwise an unmatched RST is ignored */
    }
    coapsec_coap_xchg_ *x = &ctx->x[xi];
    if (x->state == CS_X_NOTIFY) {
        cs_obs_failed(ctx, xi); /* RFC 7641 §3.6 */
        return;
    }
    if (x->kind == CS_K_SERVER) {
        cs_x_free(ctx, xi); /* the client lost interest in our separate response */
        return;
    }
    /* A CON not yet acknowledged, or a NON (§4.3) */
    finish(ctx, xi, COAPSEC_ERR_RESET, NULL, now);
}

void cs_client_response(coapsec_coap_ctx *ctx, coapsec_peer_id peer, const coapsec_msg *m, int di,
                        coapsec_tstamp now) {
    uint8_t tmp[4];
    int xi = cs_find_token(ctx, peer, m->token, m->tkl);
    if (xi >= 0 && ctx->x[xi].kind == CS_K_CLIENT &&
        (ctx->x[xi].state == CS_X_WAIT_ACK || ctx->x[xi].state == CS_X_WAIT_RESP)) {
        if (coapsec_msg_bad_critical(m) != NULL) {
            /* §5.4.1: reject (RST for a CON) and fail the exchange. */
            if (m->type == COAPSEC_CON) {
                cs_send_empty(ctx, peer, COAPSEC_RST, m->mid, tmp);
                cs_dedup_set_reply(ctx, di, tmp, 4);
            }
            finish(ctx, xi, COAPSEC_ERR_BADOPT, NULL, now);
            return;
        }
        if (m->type == COAPSEC_CON) {
            /* §5.2.2: acknowledge the separate response. */
            cs_send_empty(ctx, peer, COAPSEC_ACK, m->mid, tmp);
            cs_dedup_set_reply(ctx, di, tmp, 4);
        }
        finish(ctx, xi, 0, m, now);
        return;
    }
    if (cs_cobs_notification(ctx, peer, m, di))
        return; /* RFC 7641: a notification of an observation */
    /* §5.3.2, §4.2: a response matching no exchange: RST a CON, ignore a NON,
     * except a NON notification of a forgotten observation (RFC 7641 §3.6). */
    ctx->stats.rejected++;
    if (m->type == COAPSEC_NON && coapsec_msg_find(m, COAPSEC_OPT_OBSERVE) != NULL) {
        cs_send_empty(ctx, peer, COAPSEC_RST, m->mid, tmp);
    } else if (m->type == COAPSEC_CON) {
        cs_send_empty(ctx, peer, COAPSEC_RST, m->mid, tmp);
        cs_dedup_set_reply(ctx, di, tmp, 4);
    }
}

void cs_client_close_peer(coapsec_coap_ctx *ctx, coapsec_peer_id peer) {
    for (int xi = 0; xi < COAPSEC_COAP_MAX_EXCHANGES; xi++) {
        coapsec_coap_xchg_ *x = &ctx->x[xi];
        if (x->state == CS_X_FREE || !coapsec_peer_id_eq(x->peer, peer))
            continue;
        if (x->kind == CS_K_CLIENT)
            finish(ctx, xi, COAPSEC_ERR_CLOSED, NULL, 0);
        else
            cs_x_free(ctx, xi);
    }
}
