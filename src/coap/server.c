/*
 * server.c - the server side of the engine: runs a request through the
 * checks of §5.4.1 (critical options) and §5.8 (method codes), routes it to
 * a resource handler, the built-in /.well-known/core (RFC 6690) or the
 * fallback, and sends the response piggybacked in the ACK (CON) or as a NON
 * (§5.2). Deferred handlers get an empty ACK now and answer later with
 * coapsec_coap_respond() as a separate response (§5.2.2).
 */
#include "engine.h"

#include <stdio.h>
#include <string.h>

#define CS_MAX_PAYLOAD 1024 /* §4.6 */

static uint8_t default_code(uint8_t method) {
    switch (method) {
    case COAPSEC_GET:
        return COAPSEC_CONTENT;
    case COAPSEC_DELETE:
        return COAPSEC_DELETED;
    default:
        return COAPSEC_CHANGED;
    }
}

/* Join the Uri-Path options with '/' into ctx->path. -1 if too long or containing a NUL. */
static int join_path(coapsec_coap_ctx *ctx, const coapsec_msg *m, size_t *out_len) {
    size_t n = 0;
    int first = 1;
    for (size_t i = 0; i < m->nopts; i++) {
        const coapsec_opt *o = &m->opts[i];
        if (o->num != COAPSEC_OPT_URI_PATH)
            continue;
        if (!first) {
            if (n + 1 >= sizeof(ctx->path))
                return -1;
            ctx->path[n++] = '/';
        }
        first = 0;
        if (n + o->len >= sizeof(ctx->path) || (o->len > 0 && memchr(o->val, 0, o->len) != NULL))
            return -1;
        if (o->len > 0)
            memcpy(ctx->path + n, o->val, o->len);
        n += o->len;
    }
    ctx->path[n] = '\0';
    *out_len = n;
    return 0;
}

static void set_text(coapsec_coap_response *r, uint8_t code, const char *diag) {
    r->msg.code = code;
    r->msg.nopts = 0;
    r->msg.payload = NULL;
    r->msg.payload_len = 0;
    r->scratch_used = 0;
    if (diag != NULL)
        coapsec_coap_resp_payload(r, diag, strlen(diag));
}

/* Build the /.well-known/core response (RFC 6690 §4). */
static void well_known(coapsec_coap_ctx *ctx, coapsec_peer_id peer, const coapsec_msg *m,
                       coapsec_coap_response *r) {
    if (m->code != COAPSEC_GET) {
        set_text(r, COAPSEC_METHOD_NOT_ALLOWED, NULL);
        return;
    }
    const coapsec_opt *q = coapsec_msg_find(m, COAPSEC_OPT_URI_QUERY);
    size_t cap = sizeof(r->scratch) - 8 < CS_MAX_PAYLOAD ? sizeof(r->scratch) - 8 : CS_MAX_PAYLOAD;
    int n = cs_well_known(ctx, peer, q ? (const char *)q->val : NULL, q ? q->len : 0,
                          (char *)r->scratch + 8, cap, 1);
    if (n < 0) {
        set_text(r, COAPSEC_INTERNAL_SERVER_ERROR, NULL);
        return;
    }
    r->scratch_used = 8 + (size_t)n;
    coapsec_msg_add_uint(&r->msg, COAPSEC_OPT_CONTENT_FORMAT, COAPSEC_CF_LINK_FORMAT, r->scratch);
    r->msg.payload = n > 0 ? r->scratch + 8 : NULL;
    r->msg.payload_len = (size_t)n;
}

/* Encode and send the handler's answer to the request m (piggybacked or NON). */
static void send_response(coapsec_coap_ctx *ctx, coapsec_peer_id peer, const coapsec_msg *m, int di,
                          coapsec_coap_response *r) {
    coapsec_msg *out = &r->msg;
    if (!COAPSEC_IS_RESPONSE(out->code))
        set_text(r, COAPSEC_INTERNAL_SERVER_ERROR, NULL);
    if (m->type == COAPSEC_CON) {
        out->type = COAPSEC_ACK;
        out->mid = m->mid;
    } else {
        coapsec_coap_peer *p = cs_peer(ctx, peer);
        out->type = COAPSEC_NON;
        out->mid = p != NULL ? cs_next_mid(ctx, p) : 0;
    }
    out->tkl = m->tkl;
    memcpy(out->token, m->token, m->tkl);
    int n = coapsec_msg_encode(out, ctx->out, sizeof(ctx->out));
    if (n < 0) {
        cs_log(ctx, COAPSEC_LOG_WARN, "response does not fit (%d); sending 5.00", n);
        set_text(r, COAPSEC_INTERNAL_SERVER_ERROR, NULL);
        n = coapsec_msg_encode(out, ctx->out, sizeof(ctx->out));
        if (n < 0)
            return;
    }
    ctx->stats.responses_sent++;
    if (m->type == COAPSEC_CON)
        cs_dedup_set_reply(ctx, di, ctx->out, (size_t)n);
    cs_send(ctx, peer, ctx->out, (size_t)n);
}

void cs_server_request(coapsec_coap_ctx *ctx, coapsec_peer_id peer, const coapsec_msg *m, int di,
                       coapsec_tstamp now) {
    coapsec_coap_response *r = &ctx->resp;
    memset(&r->msg, 0, sizeof(r->msg));
    r->scratch_used = 0;
    r->ctx_ = ctx;
    r->deferred_ = 0;
    r->msg.code = default_code(m->code);
    ctx->stats.requests_received++;

    const coapsec_opt *bad = coapsec_msg_bad_critical(m);
    if (bad != NULL) {
        if (m->type == COAPSEC_NON) {
            /* §5.4.1: a NON with an unrecognised critical option is rejected (§4.3). */
            uint8_t tmp[4];
            ctx->stats.rejected++;
            cs_send_empty(ctx, peer, COAPSEC_RST, m->mid, tmp);
            return;
        }
        char diag[48];
        snprintf(diag, sizeof(diag), "Unrecognized option %u", (unsigned)bad->num);
        set_text(r, COAPSEC_BAD_OPTION, diag); /* §5.4.1, §5.5.2 */
        send_response(ctx, peer, m, di, r);
        return;
    }
    if (m->code < COAPSEC_GET || m->code > COAPSEC_IPATCH) {
        set_text(r, COAPSEC_METHOD_NOT_ALLOWED, NULL); /* §5.8 */
        send_response(ctx, peer, m, di, r);
        return;
    }
    size_t plen = 0;
    if (join_path(ctx, m, &plen) < 0) {
        set_text(r, COAPSEC_NOT_FOUND, NULL);
        send_response(ctx, peer, m, di, r);
        return;
    }
    if (strcmp(ctx->path, ".well-known/core") == 0) {
        well_known(ctx, peer, m, r);
        send_response(ctx, peer, m, di, r);
        return;
    }
    const coapsec_coap_resource *res = cs_resource_find(ctx, ctx->path);
    coapsec_coap_handler h = res != NULL ? res->handler : ctx->fallback;
    void *huser = res != NULL ? res->user : ctx->fallback_user;
    if (h == NULL) {
        set_text(r, COAPSEC_NOT_FOUND, NULL);
        send_response(ctx, peer, m, di, r);
        return;
    }
    if (res != NULL && res->methods != 0 && !(res->methods & (1u << m->code))) {
        set_text(r, COAPSEC_METHOD_NOT_ALLOWED, NULL);
        send_response(ctx, peer, m, di, r);
        return;
    }
    /* RFC 7959: Block1 reassembly (the handler runs on the last block only). */
    cs_blockreq bst;
    if (cs_block_pre(ctx, peer, m, r, &bst, now) != 0) {
        send_response(ctx, peer, m, di, r);
        return;
    }
    int reg = cs_obs_pre(ctx, peer, m, res);
    coapsec_coap_req req = {peer, bst.has_b1 ? &bst.body : m, ctx->path, plen};
    ctx->cur_req = m;
    ctx->cur_peer = peer;
    ctx->cur_now = now;
    h(huser, &req, r);
    ctx->cur_req = NULL;
    if (reg && !r->deferred_)
        cs_obs_register(ctx, peer, m, res, r, now);
    cs_block_post(ctx, r, &bst);
    if (r->deferred_) {
        if (m->type == COAPSEC_CON) {
            uint8_t tmp[4];
            cs_send_empty(ctx, peer, COAPSEC_ACK, m->mid, tmp); /* §5.2.2 */
            cs_dedup_set_reply(ctx, di, tmp, 4);
        }
        return;
    }
    send_response(ctx, peer, m, di, r);
}

/* ---- response builder helpers ------------------------------------------------------ */

static uint8_t *scratch_take(coapsec_coap_response *r, size_t len) {
    if (len > sizeof(r->scratch) - r->scratch_used)
        return NULL;
    uint8_t *p = r->scratch + r->scratch_used;
    r->scratch_used += len;
    return p;
}

int coapsec_coap_resp_payload(coapsec_coap_response *r, const void *data, size_t len) {
    if (r == NULL || (data == NULL && len > 0))
        return COAPSEC_ERR_INVAL;
    uint8_t *p = scratch_take(r, len);
    if (p == NULL)
        return COAPSEC_ERR_NOBUF;
    if (len > 0)
        memcpy(p, data, len);
    r->msg.payload = len > 0 ? p : NULL;
    r->msg.payload_len = len;
    return 0;
}

int coapsec_coap_resp_opt(coapsec_coap_response *r, uint16_t num, const void *val, size_t len) {
    if (r == NULL || (val == NULL && len > 0) || len > 0xffff)
        return COAPSEC_ERR_INVAL;
    uint8_t *p = scratch_take(r, len);
    if (p == NULL)
        return COAPSEC_ERR_NOBUF;
    if (len > 0)
        memcpy(p, val, len);
    return coapsec_msg_add_opt(&r->msg, num, p, len);
}

int coapsec_coap_resp_uint(coapsec_coap_response *r, uint16_t num, uint32_t v) {
    if (r == NULL)
        return COAPSEC_ERR_INVAL;
    uint8_t *p = scratch_take(r, 4);
    if (p == NULL)
        return COAPSEC_ERR_NOBUF;
    return coapsec_msg_add_uint(&r->msg, num, v, p);
}

/* ---- deferred (separate) responses --------------------------------------------------- */

int coapsec_coap_defer(coapsec_coap_response *r) {
    if (r == NULL || r->ctx_ == NULL)
        return COAPSEC_ERR_INVAL;
    coapsec_coap_ctx *ctx = r->ctx_;
    if (r->deferred_)
        return r->deferred_ - 1;
    if (ctx->cur_req == NULL)
        return COAPSEC_ERR_STATE;
    int xi = cs_x_alloc(ctx);
    if (xi < 0)
        return COAPSEC_ERR_NOMEM;
    const coapsec_msg *m = ctx->cur_req;
    coapsec_coap_xchg_ *x = &ctx->x[xi];
    x->kind = CS_K_SERVER;
    x->state = CS_X_DEFERRED;
    x->type = m->type;
    x->peer = ctx->cur_peer;
    x->tkl = m->tkl;
    memcpy(x->token, m->token, m->tkl);
    cs_timer_set(ctx, xi, ctx->cur_now + ctx->exchange_lifetime);
    int h = cs_x_handle(ctx, xi);
    r->deferred_ = h + 1;
    return h;
}

int coapsec_coap_respond(coapsec_coap_ctx *ctx, int handle, uint8_t code, const coapsec_opt *opts,
                         size_t nopts, const void *payload, size_t len, coapsec_tstamp now) {
    if (ctx == NULL || !COAPSEC_IS_RESPONSE(code) || (opts == NULL && nopts > 0) ||
        (payload == NULL && len > 0))
        return COAPSEC_ERR_INVAL;
    int xi = cs_x_from_handle(ctx, handle);
    if (xi < 0 || ctx->x[xi].state != CS_X_DEFERRED)
        return COAPSEC_ERR_NOTFOUND;
    coapsec_coap_xchg_ *x = &ctx->x[xi];
    coapsec_coap_peer *p = cs_peer(ctx, x->peer);
    if (p == NULL) {
        cs_x_free(ctx, xi);
        return COAPSEC_ERR_NOTFOUND;
    }
    coapsec_msg m;
    memset(&m, 0, sizeof(m));
    m.type = x->type == COAPSEC_CON ? COAPSEC_CON : COAPSEC_NON;
    m.code = code;
    m.tkl = x->tkl;
    memcpy(m.token, x->token, x->tkl);
    for (size_t i = 0; i < nopts; i++) {
        int rc = coapsec_msg_add_opt(&m, opts[i].num, opts[i].val, opts[i].len);
        if (rc < 0)
            return rc;
    }
    m.payload = len > 0 ? payload : NULL;
    m.payload_len = len;
    m.mid = cs_next_mid(ctx, p);
    int n = coapsec_msg_encode(&m, x->pdu, sizeof(x->pdu));
    if (n < 0)
        return n;
    x->len = (uint16_t)n;
    x->mid = m.mid;
    ctx->stats.responses_sent++;
    if (m.type == COAPSEC_NON) {
        cs_send(ctx, x->peer, x->pdu, x->len);
        cs_x_free(ctx, xi);
        return 0;
    }
    /* §5.2.2: a separate CON response, retransmitted until ACKed (§4.2). */
    x->state = CS_X_SEP_WAIT_ACK;
    x->retries = 0;
    x->timeout = cs_rto(ctx);
    cs_mhash_add(ctx, xi);
    cs_timer_set(ctx, xi, now + x->timeout);
    cs_send(ctx, x->peer, x->pdu, x->len);
    return 0;
}
