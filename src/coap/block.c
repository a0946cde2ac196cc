/*
 * block.c - block-wise transfers (RFC 7959) in the CoAP engine: the Block1 /
 * Block2 option value codec (§2.2), the server side (Block2 cut out of a
 * handler's body per request, stateless; Block1 reassembly into caller
 * buffers, handler run once on the last block, 2.31 / 4.08 / 4.13), and the
 * client side (Block1 sending and Block2 reassembly as a chain of ordinary
 * exchanges on one peer generation).
 */
#include "engine.h"

#include <string.h>

enum { XS_FREE = 0, XS_FIRST, XS_B1, XS_B2 };
#define CS_XFER_RETRIES 2 /* new exchanges for a block whose exchange timed out */

/* ---- option codec (§2.2) ---------------------------------------------------------- */

int coapsec_block_decode(const coapsec_opt *o, coapsec_block *b) {
    uint32_t v;
    if (o == NULL || b == NULL)
        return COAPSEC_ERR_INVAL;
    if (o->len > 3 || coapsec_opt_uint(o, &v) < 0)
        return COAPSEC_ERR_FORMAT;
    b->num = v >> 4;
    b->more = (uint8_t)((v >> 3) & 1);
    b->szx = (uint8_t)(v & 7);
    return b->szx == 7 ? COAPSEC_ERR_UNSUPPORTED : 0;
}

int coapsec_block_encode(const coapsec_block *b, uint32_t *val) {
    if (b == NULL || val == NULL || b->num >= (1u << 20) || b->szx > COAPSEC_BLOCK_SZX_MAX)
        return COAPSEC_ERR_INVAL;
    *val = b->num << 4 | (uint32_t)(b->more ? 8 : 0) | b->szx;
    return 0;
}

int coapsec_block_szx(size_t size) {
    for (int szx = 0; szx <= COAPSEC_BLOCK_SZX_MAX; szx++)
        if (COAPSEC_BLOCK_SIZE(szx) == size)
            return szx;
    return COAPSEC_ERR_INVAL;
}

static int add_block(coapsec_msg *m, uint16_t num, const coapsec_block *b, uint8_t *scratch) {
    uint32_t v;
    int rc = coapsec_block_encode(b, &v);
    if (rc < 0)
        return rc;
    coapsec_msg_del_opt(m, num);
    return coapsec_msg_add_uint(m, num, v, scratch);
}

/* ---- configuration ------------------------------------------------------------------ */

void cs_block_init(coapsec_coap_ctx *ctx) {
    ctx->block_szx = COAPSEC_BLOCK_SZX_MAX;
    for (int i = 0; i < COAPSEC_COAP_MAX_TRANSFERS; i++) {
        ctx->t[i].ctx = ctx;
        ctx->t[i].xh = -1;
    }
}

int coapsec_coap_set_block_szx(coapsec_coap_ctx *ctx, unsigned szx) {
    if (ctx == NULL || szx > COAPSEC_BLOCK_SZX_MAX)
        return COAPSEC_ERR_INVAL;
    ctx->block_szx = (uint8_t)szx;
    return 0;
}

int coapsec_coap_set_block1_buffers(coapsec_coap_ctx *ctx, uint8_t *mem, size_t each,
                                    unsigned count) {
    if (ctx == NULL || count > COAPSEC_COAP_MAX_BLOCK1 || (count > 0 && (mem == NULL || each == 0)))
        return COAPSEC_ERR_INVAL;
    memset(ctx->b1, 0, sizeof(ctx->b1));
    ctx->b1mem = mem;
    ctx->b1each = each;
    ctx->b1count = count;
    return 0;
}

int coapsec_coap_resp_body(coapsec_coap_response *r, const void *data, size_t len) {
    if (r == NULL || (data == NULL && len > 0))
        return COAPSEC_ERR_INVAL;
    r->msg.payload = len > 0 ? data : NULL;
    r->msg.payload_len = len;
    return 0;
}

/* ---- server ---------------------------------------------------------------------------- */

static void answer(coapsec_coap_response *r, uint8_t code, const char *diag) {
    r->msg.code = code;
    r->msg.nopts = 0;
    r->msg.payload = NULL;
    r->msg.payload_len = 0;
    r->scratch_used = 0;
    if (diag != NULL)
        coapsec_coap_resp_payload(r, diag, strlen(diag));
}

static int b1_find(coapsec_coap_ctx *ctx, coapsec_peer_id peer, uint8_t code, const char *path,
                   coapsec_tstamp now) {
    for (unsigned i = 0; i < ctx->b1count; i++) {
        coapsec_coap_b1_ *s = &ctx->b1[i];
        /* An expired slot still matches until b1_alloc reuses it. */
        if (s->used && s->code == code && coapsec_peer_id_eq(s->peer, peer) &&
            strcmp(s->path, path) == 0)
            return (int)i;
    }
    return -1;
}

static int b1_alloc(coapsec_coap_ctx *ctx, coapsec_tstamp now) {
    for (unsigned i = 0; i < ctx->b1count; i++)
        if (!ctx->b1[i].used || ctx->b1[i].expires <= now)
            return (int)i;
    return -1;
}

/* Block1 (§2.5): accumulate; 1 = r holds the answer, 0 = body complete in st->body. */
static int block1(coapsec_coap_ctx *ctx, coapsec_peer_id peer, const coapsec_msg *m,
                  coapsec_coap_response *r, cs_blockreq *st, coapsec_tstamp now) {
    const coapsec_block *b = &st->b1;
    size_t size = COAPSEC_BLOCK_SIZE(b->szx);
    size_t cap = ctx->b1count > 0 ? ctx->b1each : COAPSEC_BLOCK_SIZE(COAPSEC_BLOCK_SZX_MAX);
    if ((b->more && m->payload_len != size) || m->payload_len > size) {
        answer(r, COAPSEC_BAD_REQUEST, "block size mismatch");
        return 1;
    }
    const coapsec_opt *s1 = coapsec_msg_find(m, COAPSEC_OPT_SIZE1);
    uint32_t total = 0;
    int si = b1_find(ctx, peer, m->code, ctx->path, now);
    if ((s1 != NULL && coapsec_opt_uint(s1, &total) == 0 && total > cap) ||
        (ctx->b1count == 0 && b->more)) {
        goto too_large;
    }
    if (b->num == 0 && !b->more) {
        if (si >= 0)
            ctx->b1[si].used = 0;
        st->body = *m; /* a whole body in one block */
        coapsec_msg_del_opt(&st->body, COAPSEC_OPT_BLOCK1);
        return 0;
    }
    uint64_t off = (uint64_t)b->num << (b->szx + 4);
    if (b->num == 0) {
        if (si < 0)
            si = b1_alloc(ctx, now);
        if (si < 0) {
            answer(r, COAPSEC_SERVICE_UNAVAILABLE, "no block1 buffer free");
            return 1;
        }
        coapsec_coap_b1_ *s = &ctx->b1[si];
        s->used = 1;
        s->code = m->code;
        s->peer = peer;
        s->len = 0;
        memcpy(s->path, ctx->path, sizeof(s->path));
    } else if (si >= 0 && b->more && ctx->b1[si].len == off + m->payload_len &&
               off + m->payload_len > 0) {
        /* The block just received again (a client retry in a new exchange): answer
         * as before without appending (§2.5 blocks are idempotent per offset). */
        answer(r, COAPSEC_CONTINUE, NULL);
        coapsec_block e = {b->num, 1, b->szx < ctx->block_szx ? b->szx : ctx->block_szx};
        add_block(&r->msg, COAPSEC_OPT_BLOCK1, &e, ctx->oscratch);
        return 1;
    }
    if (b->num > 0 && (si < 0 || ctx->b1[si].len != off)) {
        if (si >= 0)
            ctx->b1[si].used = 0;
        answer(r, COAPSEC_REQUEST_ENTITY_INCOMPLETE, NULL); /* §2.9.2 */
        return 1;
    }
    coapsec_coap_b1_ *s = &ctx->b1[si];
    if (m->payload_len > cap - s->len) {
        s->used = 0;
        goto too_large;
    }
    uint8_t *mem = ctx->b1mem + (size_t)si * ctx->b1each;
    if (m->payload_len > 0)
        memcpy(mem + s->len, m->payload, m->payload_len);
    s->len += m->payload_len;
    s->expires = now + ctx->exchange_lifetime;
    if (b->more) {
        /* §2.5: 2.31 Continue, possibly asking for smaller blocks. */
        answer(r, COAPSEC_CONTINUE, NULL);
        coapsec_block e = {b->num, 1, b->szx < ctx->block_szx ? b->szx : ctx->block_szx};
        add_block(&r->msg, COAPSEC_OPT_BLOCK1, &e, ctx->oscratch);
        return 1;
    }
    st->body = *m;
    coapsec_msg_del_opt(&st->body, COAPSEC_OPT_BLOCK1);
    coapsec_msg_del_opt(&st->body, COAPSEC_OPT_SIZE1);
    st->body.payload = s->len > 0 ? mem : NULL;
    st->body.payload_len = s->len;
    st->b1slot = si;
    return 0;
too_large:
    /* §2.9.3: 4.13 with Size1 = the largest body we accept. */
    answer(r, COAPSEC_REQUEST_ENTITY_TOO_LARGE, NULL);
    coapsec_msg_add_uint(&r->msg, COAPSEC_OPT_SIZE1, (uint32_t)cap, ctx->oscratch);
    return 1;
}

int cs_block_pre(coapsec_coap_ctx *ctx, coapsec_peer_id peer, const coapsec_msg *m,
                 coapsec_coap_response *r, cs_blockreq *st, coapsec_tstamp now) {
    st->has_b1 = st->has_b2 = 0;
    st->b1slot = -1;
    const coapsec_opt *o1 = coapsec_msg_find(m, COAPSEC_OPT_BLOCK1);
    const coapsec_opt *o2 = coapsec_msg_find(m, COAPSEC_OPT_BLOCK2);
    if ((o1 != NULL && coapsec_block_decode(o1, &st->b1) < 0) ||
        (o2 != NULL && coapsec_block_decode(o2, &st->b2) < 0)) {
        answer(r, COAPSEC_BAD_REQUEST, "bad block option"); /* §2.2: SZX 7 */
        return 1;
    }
    st->has_b2 = o2 != NULL;
    if (o1 == NULL)
        return 0;
    st->has_b1 = 1;
    return block1(ctx, peer, m, r, st, now);
}

void cs_block2_apply(coapsec_coap_ctx *ctx, coapsec_coap_response *r, const coapsec_block *rq,
                     uint8_t *scratch) {
    size_t len = r->msg.payload_len;
    unsigned szx = ctx->block_szx;
    uint64_t off = 0;
    if (rq != NULL) {
        if (rq->szx < szx)
            szx = rq->szx;
        off = (uint64_t)rq->num << (rq->szx + 4);
    }
    size_t size = COAPSEC_BLOCK_SIZE(szx);
    if (len <= size && (rq == NULL || COAPSEC_CODE_CLASS(r->msg.code) != 2))
        return;
    if (off > len || (off == len && off > 0)) {
        answer(r, COAPSEC_BAD_OPTION, "block out of range");
        return;
    }
    size_t n = len - (size_t)off < size ? len - (size_t)off : size;
    coapsec_block b = {(uint32_t)(off >> (szx + 4)), off + n < len, (uint8_t)szx};
    const uint8_t *base = r->msg.payload;
    if (add_block(&r->msg, COAPSEC_OPT_BLOCK2, &b, scratch) < 0) {
        answer(r, COAPSEC_INTERNAL_SERVER_ERROR, NULL);
        return;
    }
    if (b.num == 0 && b.more) /* §4: Size2 with the first block */
        coapsec_msg_add_uint(&r->msg, COAPSEC_OPT_SIZE2, (uint32_t)len, scratch + 4);
    r->msg.payload = n > 0 ? base + off : NULL;
    r->msg.payload_len = n;
    ctx->stats.blocks_sent++;
}

void cs_block_post(coapsec_coap_ctx *ctx, coapsec_coap_response *r, cs_blockreq *st) {
    if (st->b1slot >= 0)
        ctx->b1[st->b1slot].used = 0;
    st->b1slot = -1;
    if (r->deferred_)
        return;
    if (st->has_b1 && (st->b1.num > 0 || st->b1.more)) {
        coapsec_block e = {st->b1.num, 0, st->b1.szx};
        add_block(&r->msg, COAPSEC_OPT_BLOCK1, &e, ctx->oscratch + 4);
    }
    cs_block2_apply(ctx, r, st->has_b2 ? &st->b2 : NULL, ctx->oscratch + 8);
}

/* ---- client ------------------------------------------------------------------------------ */

static int xfer_handle(const coapsec_coap_ctx *ctx, int ti) {
    return CS_HK_XFER << CS_HK_SHIFT | (int)ctx->t[ti].seq << 8 | ti;
}

static void xfer_cb(void *user, int status, const coapsec_msg *resp, coapsec_peer_id peer);

/* Send the next request of transfer t. */
static int xfer_send(coapsec_coap_xfer_ *t, coapsec_tstamp now) {
    coapsec_coap_ctx *ctx = t->ctx;
    for (;;) {
        coapsec_msg m;
        uint8_t s1[4], s2[4];
        if (coapsec_msg_decode(&m, t->tmpl, t->tlen) < 0)
            return COAPSEC_ERR_FORMAT;
        if (!t->user_token)
            m.tkl = 0;
        if (t->state == XS_FIRST) {
            m.payload = t->body_len > 0 ? t->body : NULL;
            m.payload_len = t->body_len;
            if (t->szx2 <= COAPSEC_BLOCK_SZX_MAX) { /* early negotiation (§2.4) */
                coapsec_block b = {(uint32_t)(t->rbase >> (t->szx2 + 4)), 0, t->szx2};
                add_block(&m, COAPSEC_OPT_BLOCK2, &b, s1);
            }
        } else if (t->state == XS_B1) {
            size_t size = COAPSEC_BLOCK_SIZE(t->szx1);
            size_t n = t->body_len - t->sent < size ? t->body_len - t->sent : size;
            coapsec_block b = {(uint32_t)(t->sent >> (t->szx1 + 4)), t->sent + n < t->body_len,
                               t->szx1};
            int rc = add_block(&m, COAPSEC_OPT_BLOCK1, &b, s1);
            if (rc < 0)
                return rc;
            if (t->sent == 0) /* §4: Size1 announces the total */
                coapsec_msg_add_uint(&m, COAPSEC_OPT_SIZE1, (uint32_t)t->body_len, s2);
            m.payload = t->body + t->sent;
            m.payload_len = n;
            t->inflight_len = n;
            t->last_more = b.more;
        } else {
            coapsec_block b = {(uint32_t)((t->rbase + t->rlen) >> (t->szx2 + 4)), 0, t->szx2};
            int rc = add_block(&m, COAPSEC_OPT_BLOCK2, &b, s1);
            if (rc < 0)
                return rc;
        }
        int h = cs_request(ctx, t->peer, &m, xfer_cb, t, now);
        if (h == COAPSEC_ERR_NOBUF && t->state == XS_B1 && t->sent == 0 && t->szx1 > 0) {
            t->szx1--; /* the options leave no room for this block size */
            continue;
        }
        if (h < 0)
            return h;
        t->xh = h;
        if (t->state != XS_FIRST)
            ctx->stats.blocks_sent++;
        return 0;
    }
}

static void xfer_done(coapsec_coap_xfer_ *t, int status, const coapsec_msg *resp) {
    coapsec_response_cb cb = t->cb;
    void *user = t->cb_user;
    coapsec_peer_id peer = t->peer;
    t->state = XS_FREE;
    t->xh = -1;
    if (cb != NULL)
        cb(user, status, resp, peer);
}

static void xfer_cb(void *user, int status, const coapsec_msg *resp, coapsec_peer_id peer) {
    coapsec_coap_xfer_ *t = user;
    coapsec_coap_ctx *ctx = t->ctx;
    coapsec_tstamp now = ctx->rx_now;
    t->xh = -1;
    if (status == COAPSEC_ERR_TIMEOUT && t->tries < CS_XFER_RETRIES) {
        /* One block exchange exhausted its retransmissions: try the same block
         * again in a new exchange (blocks are idempotent at a given offset). */
        t->tries++;
        int rc = xfer_send(t, now);
        if (rc < 0)
            xfer_done(t, rc, NULL);
        return;
    }
    t->tries = 0;
    if (status != 0) {
        xfer_done(t, status, NULL);
        return;
    }
    if (t->state == XS_B1 && t->last_more) {
        if (resp->code != COAPSEC_CONTINUE) {
            xfer_done(t, 0, resp); /* an early final answer: 4.13, 4.08, ... */
            return;
        }
        coapsec_block b;
        const coapsec_opt *o = coapsec_msg_find(resp, COAPSEC_OPT_BLOCK1);
        if (o != NULL && coapsec_block_decode(o, &b) == 0 && b.szx < t->szx1)
            t->szx1 = b.szx; /* §2.5: the server asks for smaller blocks */
        t->sent += t->inflight_len;
        int rc = xfer_send(t, now);
        if (rc < 0)
            xfer_done(t, rc, NULL);
        return;
    }
    const coapsec_opt *o2 = coapsec_msg_find(resp, COAPSEC_OPT_BLOCK2);
    if (t->rbuf == NULL || o2 == NULL || t->code != COAPSEC_GET ||
        COAPSEC_CODE_CLASS(resp->code) != 2) {
        xfer_done(t, 0, resp);
        return;
    }
    coapsec_block b;
    if (coapsec_block_decode(o2, &b) < 0 ||
        ((uint64_t)b.num << (b.szx + 4)) != t->rbase + t->rlen ||
        (b.more && resp->payload_len != COAPSEC_BLOCK_SIZE(b.szx))) {
        xfer_done(t, COAPSEC_ERR_FORMAT, NULL);
        return;
    }
    if (resp->payload_len > t->rcap - t->rlen) {
        xfer_done(t, COAPSEC_ERR_NOBUF, NULL);
        return;
    }
    if (resp->payload_len > 0)
        memcpy(t->rbuf + t->rlen, resp->payload, resp->payload_len);
    t->rlen += resp->payload_len;
    if (b.more) {
        if (t->state != XS_B2 || b.szx < t->szx2)
            t->szx2 = t->szx2 <= COAPSEC_BLOCK_SZX_MAX && t->szx2 < b.szx ? t->szx2 : b.szx;
        t->state = XS_B2;
        int rc = xfer_send(t, now);
        if (rc < 0)
            xfer_done(t, rc, NULL);
        return;
    }
    coapsec_msg out = *resp;
    coapsec_msg_del_opt(&out, COAPSEC_OPT_BLOCK2);
    out.payload = t->rlen > 0 ? t->rbuf : NULL;
    out.payload_len = t->rlen;
    xfer_done(t, 0, &out);
}

int coapsec_coap_request_ex(coapsec_coap_ctx *ctx, coapsec_peer_id peer, const coapsec_msg *req,
                            const coapsec_coap_xfer *xfer, coapsec_response_cb cb, void *user,
                            coapsec_tstamp now) {
    if (ctx == NULL || req == NULL || (req->type != COAPSEC_CON && req->type != COAPSEC_NON) ||
        !COAPSEC_IS_REQUEST(req->code) || req->tkl > COAPSEC_MAX_TOKEN ||
        (req->payload == NULL && req->payload_len > 0))
        return COAPSEC_ERR_INVAL;
    if (xfer != NULL && (xfer->szx > COAPSEC_BLOCK_SZX_MAX ||
                         (xfer->body == NULL && xfer->body_cap) || xfer->start >= (1u << 20)))
        return COAPSEC_ERR_INVAL;
    unsigned szx = xfer != NULL && xfer->szx >= 0 ? (unsigned)xfer->szx : ctx->block_szx;
    uint8_t *rbuf = xfer != NULL ? xfer->body : NULL;
    int need_b1 = req->payload_len > COAPSEC_BLOCK_SIZE(szx);
    if (!need_b1 && rbuf == NULL)
        return cs_request(ctx, peer, req, cb, user, now);
    if (cs_peer(ctx, peer) == NULL)
        return COAPSEC_ERR_CLOSED;
    int ti = 0;
    while (ti < COAPSEC_COAP_MAX_TRANSFERS && ctx->t[ti].state != XS_FREE)
        ti++;
    if (ti == COAPSEC_COAP_MAX_TRANSFERS)
        return COAPSEC_ERR_NOMEM;
    coapsec_coap_xfer_ *t = &ctx->t[ti];
    coapsec_msg m = *req;
    m.mid = 0;
    m.payload = NULL;
    m.payload_len = 0;
    coapsec_msg_del_opt(&m, COAPSEC_OPT_BLOCK1);
    coapsec_msg_del_opt(&m, COAPSEC_OPT_BLOCK2);
    coapsec_msg_del_opt(&m, COAPSEC_OPT_SIZE1);
    int n = coapsec_msg_encode(&m, t->tmpl, sizeof(t->tmpl));
    if (n < 0)
        return n;
    t->tlen = (uint16_t)n;
    t->seq = ++ctx->tseq;
    t->code = req->code;
    t->user_token = req->tkl > 0;
    t->peer = peer;
    t->cb = cb;
    t->cb_user = user;
    t->body = req->payload;
    t->body_len = req->payload_len;
    t->sent = t->inflight_len = 0;
    t->last_more = 0;
    t->tries = 0;
    t->rbuf = rbuf;
    t->rcap = rbuf != NULL ? xfer->body_cap : 0;
    t->rlen = 0;
    t->szx1 = (uint8_t)szx;
    /* szx2 > 6 means "no preference yet": early Block2 only when asked for a size
     * or for a later first block (then: of size szx). */
    t->szx2 = rbuf != NULL && req->code == COAPSEC_GET && (xfer->szx >= 0 || xfer->start > 0)
                  ? (uint8_t)szx
                  : 0xff;
    t->rbase = t->szx2 <= COAPSEC_BLOCK_SZX_MAX ? (size_t)xfer->start << (szx + 4) : 0;
    t->state = need_b1 ? XS_B1 : XS_FIRST;
    int rc = xfer_send(t, now);
    if (rc < 0) {
        t->state = XS_FREE;
        return rc;
    }
    return xfer_handle(ctx, ti);
}

int coapsec_coap_request(coapsec_coap_ctx *ctx, coapsec_peer_id peer, const coapsec_msg *req,
                         coapsec_response_cb cb, void *user, coapsec_tstamp now) {
    if (ctx != NULL && req != NULL && req->payload_len > COAPSEC_BLOCK_SIZE(ctx->block_szx))
        return coapsec_coap_request_ex(ctx, peer, req, NULL, cb, user, now);
    return cs_request(ctx, peer, req, cb, user, now);
}

int cs_xfer_cancel(coapsec_coap_ctx *ctx, int handle, coapsec_tstamp now) {
    int ti = handle & 0xff;
    if (ti >= COAPSEC_COAP_MAX_TRANSFERS || ctx->t[ti].state == XS_FREE ||
        ctx->t[ti].seq != ((handle >> 8) & 0xffff))
        return COAPSEC_ERR_NOTFOUND;
    coapsec_coap_xfer_ *t = &ctx->t[ti];
    t->state = XS_FREE;
    if (t->xh >= 0)
        coapsec_coap_cancel(ctx, t->xh, now);
    t->xh = -1;
    return 0;
}

void cs_block_close_peer(coapsec_coap_ctx *ctx, coapsec_peer_id peer) {
    for (unsigned i = 0; i < ctx->b1count; i++)
        if (coapsec_peer_id_eq(ctx->b1[i].peer, peer))
            ctx->b1[i].used = 0;
    /* Client transfers end through their exchanges (COAPSEC_ERR_CLOSED). */
}
