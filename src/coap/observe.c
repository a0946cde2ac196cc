/*
 * observe.c - Observe (RFC 7641) in the CoAP engine. Server: a bounded table
 * of observers keyed by (peer id with generation, token), registration and
 * deregistration (§4.1, §3.6), notifications with 24-bit sequence numbers
 * (§4.4), NON with a CON at least daily or on request (§4.5), observers
 * removed on RST, CON timeout, non-2.xx, peer close. Client: observations
 * keyed by (peer, token), the §3.4 freshness rule, deregistration by GET
 * with Observe: 1 or by RST.
 */
#include "engine.h"

#include <string.h>

#define OBS_MASK   0xffffffu
#define OBS_WINDOW (128u * 1000u) /* §3.4: 128 seconds */

enum { CO_FREE = 0, CO_REGISTERING, CO_ACTIVE };

int coapsec_observe_fresh(uint32_t v1, coapsec_tstamp t1, uint32_t v2, coapsec_tstamp t2) {
    v1 &= OBS_MASK;
    v2 &= OBS_MASK;
    return (v1 < v2 && v2 - v1 < (1u << 23)) || (v1 > v2 && v1 - v2 > (1u << 23)) ||
           t2 > t1 + OBS_WINDOW;
}

static int get_observe(const coapsec_msg *m, uint32_t *v) {
    const coapsec_opt *o = coapsec_msg_find(m, COAPSEC_OPT_OBSERVE);
    if (o == NULL || o->len > 3 || coapsec_opt_uint(o, v) < 0)
        return 0;
    return 1;
}

/* ---- server ------------------------------------------------------------------------------ */

static int obs_find(coapsec_coap_ctx *ctx, coapsec_peer_id peer, const uint8_t *tok, size_t tkl) {
    for (int i = 0; i < COAPSEC_COAP_MAX_OBSERVERS; i++) {
        const coapsec_coap_obs_ *o = &ctx->obs[i];
        if (o->used && o->tkl == tkl && coapsec_peer_id_eq(o->peer, peer) &&
            memcmp(o->token, tok, tkl) == 0)
            return i;
    }
    return -1;
}

static void obs_remove(coapsec_coap_ctx *ctx, int oi) {
    coapsec_coap_obs_ *o = &ctx->obs[oi];
    if (o->xi >= 0 && ctx->x[o->xi].state == CS_X_NOTIFY && ctx->x[o->xi].aux == oi)
        cs_x_free(ctx, o->xi);
    o->xi = -1;
    o->used = 0;
}

int cs_obs_pre(coapsec_coap_ctx *ctx, coapsec_peer_id peer, const coapsec_msg *m,
               const coapsec_coap_resource *res) {
    uint32_t v = 0;
    int has = get_observe(m, &v);
    if (m->code != COAPSEC_GET && m->code != COAPSEC_FETCH)
        return 0;
    if (!has || v != 0) {
        /* §3.6 / §4.1: Observe 1 (or a GET without Observe 0) with the token of a
         * registration removes it. */
        int oi = obs_find(ctx, peer, m->token, m->tkl);
        if (oi >= 0)
            obs_remove(ctx, oi);
        return 0;
    }
    return res != NULL && ctx->res_obs[res - ctx->res];
}

void cs_obs_register(coapsec_coap_ctx *ctx, coapsec_peer_id peer, const coapsec_msg *m,
                     const coapsec_coap_resource *res, coapsec_coap_response *r,
                     coapsec_tstamp now) {
    if (COAPSEC_CODE_CLASS(r->msg.code) != 2)
        return; /* §4.1: only a successful response registers */
    int oi = obs_find(ctx, peer, m->token, m->tkl);
    if (oi < 0) {
        for (oi = 0; oi < COAPSEC_COAP_MAX_OBSERVERS && ctx->obs[oi].used; oi++)
            ;
        if (oi == COAPSEC_COAP_MAX_OBSERVERS)
            return; /* table full: a plain response, the client is not registered */
        coapsec_coap_obs_ *o = &ctx->obs[oi];
        memset(o, 0, offsetof(coapsec_coap_obs_, req));
        o->xi = -1;
        o->seq = ++ctx->oseq; /* any start; increases per observer from here */
    }
    coapsec_coap_obs_ *o = &ctx->obs[oi];
    coapsec_msg q = *m;
    q.type = COAPSEC_CON;
    q.mid = 0;
    int n = coapsec_msg_encode(&q, o->req, sizeof(o->req));
    if (n < 0) {
        if (o->used)
            obs_remove(ctx, oi);
        return;
    }
    o->used = 1;
    o->rlen = (uint16_t)n;
    o->peer = peer;
    o->tkl = m->tkl;
    memcpy(o->token, m->token, m->tkl);
    o->path = res->path;
    o->last_con = now; /* the registration itself was an exchange */
    o->seq = (o->seq + 1) & OBS_MASK;
    coapsec_msg_del_opt(&r->msg, COAPSEC_OPT_OBSERVE);
    coapsec_msg_add_uint(&r->msg, COAPSEC_OPT_OBSERVE, o->seq, ctx->oscratch + 16);
}

void cs_obs_acked(coapsec_coap_ctx *ctx, int xi) {
    int oi = ctx->x[xi].aux;
    if (oi >= 0 && oi < COAPSEC_COAP_MAX_OBSERVERS && ctx->obs[oi].xi == xi)
        ctx->obs[oi].xi = -1;
    cs_x_free(ctx, xi);
}

void cs_obs_failed(coapsec_coap_ctx *ctx, int xi) {
    int oi = ctx->x[xi].aux;
    cs_x_free(ctx, xi);
    if (oi >= 0 && oi < COAPSEC_COAP_MAX_OBSERVERS && ctx->obs[oi].used && ctx->obs[oi].xi == xi) {
        ctx->obs[oi].xi = -1;
        cs_log(ctx, COAPSEC_LOG_INFO, "observer removed (CON notification failed)");
        obs_remove(ctx, oi);
    }
}

int cs_obs_rst(coapsec_coap_ctx *ctx, coapsec_peer_id peer, uint16_t mid) {
    for (int i = 0; i < COAPSEC_COAP_MAX_OBSERVERS; i++) {
        coapsec_coap_obs_ *o = &ctx->obs[i];
        if (o->used && o->last_mid == mid && coapsec_peer_id_eq(o->peer, peer)) {
            obs_remove(ctx, i); /* §3.6: RST to a notification */
            return 1;
        }
    }
    return 0;
}

void cs_obs_drop_path(coapsec_coap_ctx *ctx, const char *path) {
    for (int i = 0; i < COAPSEC_COAP_MAX_OBSERVERS; i++)
        if (ctx->obs[i].used && strcmp(ctx->obs[i].path, path) == 0)
            obs_remove(ctx, i);
}

int coapsec_coap_observers(const coapsec_coap_ctx *ctx, const char *path) {
    int n = 0;
    if (ctx == NULL)
        return 0;
    for (int i = 0; i < COAPSEC_COAP_MAX_OBSERVERS; i++)
        n += ctx->obs[i].used && (path == NULL || strcmp(ctx->obs[i].path, path) == 0);
    return n;
}

/* Send one notification to observer oi. 1 sent, 0 not. */
static int notify_one(coapsec_coap_ctx *ctx, int oi, const coapsec_coap_resource *res,
                      unsigned flags, coapsec_tstamp now) {
    coapsec_coap_obs_ *o = &ctx->obs[oi];
    coapsec_coap_peer *p = cs_peer(ctx, o->peer);
    if (p == NULL) {
        obs_remove(ctx, oi);
        return 0;
    }
    coapsec_msg q;
    if (coapsec_msg_decode(&q, o->req, o->rlen) < 0) {
        obs_remove(ctx, oi);
        return 0;
    }
    coapsec_coap_response *r = &ctx->nresp;
    memset(&r->msg, 0, sizeof(r->msg));
    r->scratch_used = 0;
    r->ctx_ = NULL; /* no coapsec_coap_defer for notifications */
    r->deferred_ = 0;
    r->msg.code = COAPSEC_CONTENT;
    coapsec_coap_req req = {o->peer, &q, res->path, strlen(res->path)};
    res->handler(res->user, &req, r);
    if (!ctx->obs[oi].used)
        return 0; /* the handler's doing (e.g. the peer went away) */
    if (!COAPSEC_IS_RESPONSE(r->msg.code)) {
        r->msg.code = COAPSEC_INTERNAL_SERVER_ERROR;
        r->msg.nopts = 0;
        r->msg.payload = NULL;
        r->msg.payload_len = 0;
    }
    uint8_t scratch[12];
    int ok = COAPSEC_CODE_CLASS(r->msg.code) == 2;
    coapsec_msg_del_opt(&r->msg, COAPSEC_OPT_OBSERVE);
    if (ok) {
        o->seq = (o->seq + 1) & OBS_MASK;
        coapsec_msg_add_uint(&r->msg, COAPSEC_OPT_OBSERVE, o->seq, scratch);
    }
    cs_block2_apply(ctx, r, NULL, scratch + 4); /* §3.4 of RFC 7959: the first block */
    int con = (flags & COAPSEC_COAP_NOTIFY_CON) || o->xi >= 0 ||
              now - o->last_con >= COAPSEC_OBSERVE_CON_INTERVAL_MS;
    coapsec_msg *out = &r->msg;
    out->type = con ? COAPSEC_CON : COAPSEC_NON;
    out->tkl = o->tkl;
    memcpy(out->token, o->token, o->tkl);
    out->mid = cs_next_mid(ctx, p);
    int xi = -1;
    if (con) {
        xi = o->xi >= 0 ? o->xi : cs_x_alloc(ctx);
        if (xi < 0) {
            con = 0; /* exchange pool full: send it as NON */
            out->type = COAPSEC_NON;
        }
    }
    uint8_t *buf = xi >= 0 ? ctx->x[xi].pdu : ctx->out;
    int n = coapsec_msg_encode(out, buf, COAPSEC_MAX_PDU);
    if (n < 0) {
        cs_log(ctx, COAPSEC_LOG_WARN, "notification does not fit (%d)", n);
        if (xi >= 0 && xi != o->xi)
            cs_x_free(ctx, xi);
        return 0;
    }
    ctx->stats.notifications_sent++;
    if (xi >= 0) {
        coapsec_coap_xchg_ *x = &ctx->x[xi];
        if (xi == o->xi) {
            /* §4.5.2: the new notification replaces the one in flight, keeping its
             * retransmission counter and timeout. */
            cs_mhash_del(ctx, xi);
        } else {
            x->kind = CS_K_SERVER;
            x->state = CS_X_NOTIFY;
            x->peer = o->peer;
            x->aux = (int16_t)oi;
            x->tkl = o->tkl;
            memcpy(x->token, o->token, o->tkl);
            x->retries = 0;
            x->timeout = cs_rto(ctx);
            cs_timer_set(ctx, xi, now + x->timeout);
            o->xi = (int16_t)xi;
        }
        x->mid = out->mid;
        x->len = (uint16_t)n;
        cs_mhash_add(ctx, xi);
        o->last_con = now;
        cs_send(ctx, o->peer, x->pdu, x->len);
    } else {
        o->last_mid = out->mid;
        cs_send(ctx, o->peer, ctx->out, (size_t)n);
    }
    if (!ok && o->xi < 0)
        obs_remove(ctx, oi); /* §3.2: a non-2.xx notification ends the observation */
    else if (!ok)
        o->used = 0; /* keep retransmitting the final CON; the observer is gone */
    return 1;
}

int coapsec_coap_notify_ex(coapsec_coap_ctx *ctx, const char *path, unsigned flags,
                           coapsec_tstamp now) {
    if (ctx == NULL || path == NULL)
        return COAPSEC_ERR_INVAL;
    if (ctx->in_notify)
        return COAPSEC_ERR_STATE;
    const coapsec_coap_resource *res = cs_resource_find(ctx, path);
    if (res == NULL)
        return COAPSEC_ERR_NOTFOUND;
    coapsec_coap_resource copy = *res; /* the table may change in the handler */
    int sent = 0;
    ctx->in_notify = 1;
    for (int i = 0; i < COAPSEC_COAP_MAX_OBSERVERS; i++)
        if (ctx->obs[i].used && strcmp(ctx->obs[i].path, copy.path) == 0)
            sent += notify_one(ctx, i, &copy, flags, now);
    ctx->in_notify = 0;
    return sent;
}

int coapsec_coap_notify(coapsec_coap_ctx *ctx, const char *path, coapsec_tstamp now) {
    return coapsec_coap_notify_ex(ctx, path, 0, now);
}

/* ---- client ------------------------------------------------------------------------------ */

static int cobs_handle(const coapsec_coap_ctx *ctx, int ci) {
    return CS_HK_OBS << CS_HK_SHIFT | (int)ctx->cobs[ci].seq << 8 | ci;
}

static int cobs_from_handle(const coapsec_coap_ctx *ctx, int handle) {
    if (handle < 0 || CS_HK(handle) != CS_HK_OBS)
        return -1;
    int ci = handle & 0xff;
    if (ci >= COAPSEC_COAP_MAX_OBSERVING || ctx->cobs[ci].state == CO_FREE ||
        ctx->cobs[ci].seq != ((handle >> 8) & 0xffff))
        return -1;
    return ci;
}

static int cobs_find(coapsec_coap_ctx *ctx, coapsec_peer_id peer, const uint8_t *tok, size_t tkl) {
    for (int i = 0; i < COAPSEC_COAP_MAX_OBSERVING; i++) {
        const coapsec_coap_cobs_ *c = &ctx->cobs[i];
        if (c->state != CO_FREE && c->tkl == tkl && coapsec_peer_id_eq(c->peer, peer) &&
            memcmp(c->token, tok, tkl) == 0)
            return i;
    }
    return -1;
}

static void cobs_end(coapsec_coap_cobs_ *c, int status, const coapsec_msg *resp) {
    coapsec_response_cb cb = c->cb;
    void *user = c->cb_user;
    coapsec_peer_id peer = c->peer;
    c->state = CO_FREE;
    c->xh = -1;
    if (cb != NULL)
        cb(user, status, resp, peer);
}

/* The registration exchange ended. */
static void cobs_reg_cb(void *user, int status, const coapsec_msg *resp, coapsec_peer_id peer) {
    coapsec_coap_cobs_ *c = user;
    uint32_t v;
    c->xh = -1;
    if (status != 0 || COAPSEC_CODE_CLASS(resp->code) != 2 || !get_observe(resp, &v)) {
        cobs_end(c, status, resp); /* §3.1: not registered */
        return;
    }
    c->state = CO_ACTIVE;
    c->v1 = v & OBS_MASK;
    c->t1 = c->ctx->rx_now;
    c->cb(c->cb_user, 0, resp, peer);
}

int cs_cobs_notification(coapsec_coap_ctx *ctx, coapsec_peer_id peer, const coapsec_msg *m,
                         int di) {
    int ci = cobs_find(ctx, peer, m->token, m->tkl);
    if (ci < 0 || ctx->cobs[ci].state != CO_ACTIVE)
        return 0;
    coapsec_coap_cobs_ *c = &ctx->cobs[ci];
    uint8_t tmp[4];
    if (coapsec_msg_bad_critical(m) != NULL)
        return 0; /* rejected like an unmatched response (RST for a CON) */
    if (m->type == COAPSEC_CON) {
        cs_send_empty(ctx, peer, COAPSEC_ACK, m->mid, tmp);
        cs_dedup_set_reply(ctx, di, tmp, 4);
    }
    uint32_t v;
    if (COAPSEC_CODE_CLASS(m->code) != 2 || !get_observe(m, &v)) {
        cobs_end(c, 0, m); /* §3.2: the server ended the observation */
        return 1;
    }
    coapsec_tstamp now = ctx->rx_now;
    if (!coapsec_observe_fresh(c->v1, c->t1, v, now)) {
        ctx->stats.stale_notifications++; /* §3.4: reordered, older than what we have */
        return 1;
    }
    c->v1 = v & OBS_MASK;
    c->t1 = now;
    c->cb(c->cb_user, 0, m, peer);
    return 1;
}

int coapsec_coap_observe(coapsec_coap_ctx *ctx, coapsec_peer_id peer, const coapsec_msg *req,
                         coapsec_response_cb cb, void *user, coapsec_tstamp now) {
    if (ctx == NULL || req == NULL || cb == NULL ||
        (req->code != COAPSEC_GET && req->code != COAPSEC_FETCH) || req->tkl > COAPSEC_MAX_TOKEN)
        return COAPSEC_ERR_INVAL;
    if (cs_peer(ctx, peer) == NULL)
        return COAPSEC_ERR_CLOSED;
    int ci = 0;
    while (ci < COAPSEC_COAP_MAX_OBSERVING && ctx->cobs[ci].state != CO_FREE)
        ci++;
    if (ci == COAPSEC_COAP_MAX_OBSERVING)
        return COAPSEC_ERR_NOMEM;
    coapsec_coap_cobs_ *c = &ctx->cobs[ci];
    coapsec_msg m = *req;
    if (m.tkl == 0) {
        /* Choose the token here: notifications are matched by it. */
        m.tkl = (uint8_t)(ctx->params.token_len > 0 ? ctx->params.token_len : 4);
        int tries = 0;
        do {
            if (++tries > 8)
                return COAPSEC_ERR_BUSY;
            ctx->cb.random(ctx->user, m.token, m.tkl);
        } while (cs_find_token(ctx, peer, m.token, m.tkl) >= 0 ||
                 cobs_find(ctx, peer, m.token, m.tkl) >= 0);
    } else if (cobs_find(ctx, peer, m.token, m.tkl) >= 0) {
        return COAPSEC_ERR_BUSY;
    }
    uint8_t zero[4];
    coapsec_msg_del_opt(&m, COAPSEC_OPT_OBSERVE);
    int rc = coapsec_msg_add_uint(&m, COAPSEC_OPT_OBSERVE, 0, zero);
    if (rc < 0)
        return rc;
    m.mid = 0;
    int n = coapsec_msg_encode(&m, c->tmpl, sizeof(c->tmpl));
    if (n < 0)
        return n;
    c->ctx = ctx;
    c->tlen = (uint16_t)n;
    c->peer = peer;
    c->tkl = m.tkl;
    memcpy(c->token, m.token, m.tkl);
    c->cb = cb;
    c->cb_user = user;
    c->seq = ++ctx->oseq;
    c->state = CO_REGISTERING;
    int h = cs_request(ctx, peer, &m, cobs_reg_cb, c, now);
    if (h < 0) {
        c->state = CO_FREE;
        return h;
    }
    c->xh = h;
    return cobs_handle(ctx, ci);
}

int coapsec_coap_observe_cancel(coapsec_coap_ctx *ctx, int handle, int deregister,
                                coapsec_tstamp now) {
    int ci = ctx != NULL ? cobs_from_handle(ctx, handle) : -1;
    if (ci < 0)
        return COAPSEC_ERR_NOTFOUND;
    coapsec_coap_cobs_ *c = &ctx->cobs[ci];
    c->state = CO_FREE;
    if (c->xh >= 0)
        coapsec_coap_cancel(ctx, c->xh, now);
    c->xh = -1;
    if (!deregister)
        return 0;
    /* §3.6: the same request with Observe: 1 and the same token. */
    coapsec_msg m;
    uint8_t one[4];
    if (coapsec_msg_decode(&m, c->tmpl, c->tlen) < 0)
        return COAPSEC_ERR_FORMAT;
    coapsec_msg_del_opt(&m, COAPSEC_OPT_OBSERVE);
    coapsec_msg_add_uint(&m, COAPSEC_OPT_OBSERVE, 1, one);
    int h = cs_request(ctx, c->peer, &m, NULL, NULL, now);
    return h < 0 ? h : 0;
}

void cs_obs_close_peer(coapsec_coap_ctx *ctx, coapsec_peer_id peer) {
    for (int i = 0; i < COAPSEC_COAP_MAX_OBSERVERS; i++)
        if (ctx->obs[i].used && coapsec_peer_id_eq(ctx->obs[i].peer, peer))
            obs_remove(ctx, i);
    for (int i = 0; i < COAPSEC_COAP_MAX_OBSERVING; i++) {
        coapsec_coap_cobs_ *c = &ctx->cobs[i];
        if (c->state == CO_ACTIVE && coapsec_peer_id_eq(c->peer, peer))
            cobs_end(c, COAPSEC_ERR_CLOSED, NULL);
        /* a registering one ends through its exchange */
    }
}
