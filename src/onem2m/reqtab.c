/*
 * reqtab.c - the receiver's side of non-blocking requests (TS-0008 §6.3,
 * TS-0001 §8.2.2, the <request> resource of TS-0001 §9.6.12): a fixed table
 * of <request> resources, the 1001/1002 acknowledgement with the resource's
 * address in loc (Location-Path), recording the operation's outcome, the
 * resource's JSON representation for the originator's RETRIEVE (synch) and
 * the NOTIFY primitive that carries the result to the originator (asynch).
 */
#include "onem2m/onem2m_int.h"

#include <stdio.h>
#include <string.h>

#define CS_TY_REQUEST 17 /* resourceType request (TS-0004) */

void coapsec_onem2m_reqtab_init(coapsec_onem2m_reqtab *t) {
    if (t != NULL)
        memset(t, 0, sizeof *t);
}

static int cs_copy(char *dst, size_t cap, uint8_t *dlen, coapsec_onem2m_str s) {
    if (s.p == NULL) {
        *dlen = 0;
        return 0;
    }
    if (s.len > cap || s.len > 255)
        return COAPSEC_ERR_NOBUF;
    memcpy(dst, s.p, s.len);
    *dlen = (uint8_t)s.len;
    return 0;
}

int coapsec_onem2m_reqtab_accept(coapsec_onem2m_reqtab *t, const coapsec_onem2m_prim *req,
                                 const char *base, coapsec_onem2m_prim *ack, coapsec_tstamp now) {
    if (t == NULL || req == NULL || base == NULL || ack == NULL || req->rqi.p == NULL ||
        (req->rt != COAPSEC_ONEM2M_RT_NONBLOCKING_SYNCH &&
         req->rt != COAPSEC_ONEM2M_RT_NONBLOCKING_ASYNCH &&
         req->rt != COAPSEC_ONEM2M_RT_FLEX_BLOCKING))
        return COAPSEC_ERR_INVAL;
    coapsec_onem2m_reqres *r = NULL;
    for (size_t i = 0; i < COAPSEC_ONEM2M_MAX_REQRES && r == NULL; i++)
        if (!t->r[i].used)
            r = &t->r[i];
    for (size_t i = 0; i < COAPSEC_ONEM2M_MAX_REQRES && (r == NULL || r->used); i++) {
        coapsec_onem2m_reqres *c = &t->r[i]; /* replace the oldest finished one */
        if (c->rs != COAPSEC_ONEM2M_RS_PENDING && (r == NULL || c->seq < r->seq))
            r = c;
    }
    if (r == NULL)
        return COAPSEC_ERR_NOMEM;
    coapsec_onem2m_reqres n;
    memset(&n, 0, sizeof n);
    int rc;
    if ((rc = cs_copy(n.rqi, sizeof n.rqi, &n.rqi_len, req->rqi)) != 0 ||
        (rc = cs_copy(n.tg, sizeof n.tg, &n.tg_len, req->to)) != 0 ||
        (rc = cs_copy(n.org, sizeof n.org, &n.org_len, req->fr)) != 0 ||
        (rc = cs_copy(n.rturi, sizeof n.rturi, &n.rturi_len, req->rturi)) != 0)
        return rc;
    n.used = 1;
    n.rs = COAPSEC_ONEM2M_RS_PENDING;
    n.op = req->op;
    n.rt = req->rt;
    n.rsc = COAPSEC_ONEM2M_ABSENT;
    n.cf = COAPSEC_ONEM2M_ABSENT;
    n.seq = ++t->seq;
    n.created = now;
    snprintf(n.ri, sizeof n.ri, "req%u", (unsigned)n.seq);

    coapsec_onem2m_prim_init(ack);
    char loc[256];
    int ll = snprintf(loc, sizeof loc, "%s/%s", base, n.ri);
    if (ll < 0 || (size_t)ll >= sizeof loc)
        return COAPSEC_ERR_NOBUF;
    ack->rsc = req->rt == COAPSEC_ONEM2M_RT_NONBLOCKING_ASYNCH
                   ? COAPSEC_ONEM2M_RSC_ACCEPTED_NB_ASYNCH
                   : COAPSEC_ONEM2M_RSC_ACCEPTED_NB_SYNCH;
    ack->rqi.p = cs_m2m_store(ack, req->rqi.p, req->rqi.len);
    ack->rqi.len = req->rqi.len;
    ack->loc.p = cs_m2m_store(ack, loc, (size_t)ll);
    ack->loc.len = (size_t)ll;
    if (ack->rqi.p == NULL || ack->loc.p == NULL)
        return COAPSEC_ERR_NOBUF;
    *r = n;
    return (int)(r - t->r);
}

int coapsec_onem2m_reqtab_find(const coapsec_onem2m_reqtab *t, const char *ri, size_t len) {
    for (size_t i = 0; t != NULL && ri != NULL && i < COAPSEC_ONEM2M_MAX_REQRES; i++)
        if (t->r[i].used && strlen(t->r[i].ri) == len && memcmp(t->r[i].ri, ri, len) == 0)
            return (int)i;
    return COAPSEC_ERR_NOTFOUND;
}

static const coapsec_onem2m_reqres *cs_get(const coapsec_onem2m_reqtab *t, int idx) {
    if (t == NULL || idx < 0 || idx >= COAPSEC_ONEM2M_MAX_REQRES || !t->r[idx].used)
        return NULL;
    return &t->r[idx];
}

int coapsec_onem2m_reqtab_complete(coapsec_onem2m_reqtab *t, int idx,
                                   const coapsec_onem2m_prim *rsp) {
    if (cs_get(t, idx) == NULL || rsp == NULL)
        return COAPSEC_ERR_NOTFOUND;
    coapsec_onem2m_reqres *r = &t->r[idx];
    if (r->rs != COAPSEC_ONEM2M_RS_PENDING)
        return COAPSEC_ERR_STATE;
    size_t n = rsp->pc.p != NULL ? rsp->pc.len : 0;
    if (n > sizeof r->pc)
        return COAPSEC_ERR_NOBUF;
    if (n > 0)
        memcpy(r->pc, rsp->pc.p, n);
    r->pc_len = n;
    r->cf = rsp->pc.p != NULL ? rsp->cf : COAPSEC_ONEM2M_ABSENT;
    r->rsc = rsp->rsc;
    r->rs = rsp->rsc >= 2000 && rsp->rsc < 3000 ? COAPSEC_ONEM2M_RS_COMPLETED
                                                : COAPSEC_ONEM2M_RS_FAILED;
    return 0;
}

/* Bounded writer with JSON string escaping. */
typedef struct cs_rw {
    char *out;
    size_t cap, len;
    int err;
} cs_rw;

static void cs_rw_raw(cs_rw *w, const char *s, size_t n) {
    if (w->err || n >= w->cap - w->len) {
        w->err = 1;
        return;
    }
    memcpy(w->out + w->len, s, n);
    w->len += n;
    w->out[w->len] = '\0';
}

static void cs_rw_str(cs_rw *w, const char *s, size_t n) {
    cs_rw_raw(w, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char e[8];
        if (c == '"' || c == '\\') {
            e[0] = '\\', e[1] = (char)c;
            cs_rw_raw(w, e, 2);
        } else if (c < 0x20) {
            snprintf(e, sizeof e, "\\u%04x", c);
            cs_rw_raw(w, e, 6);
        } else {
            cs_rw_raw(w, s + i, 1);
        }
    }
    cs_rw_raw(w, "\"", 1);
}

static void cs_rw_fmt(cs_rw *w, const char *key, long v) {
    char b[48];
    int n = snprintf(b, sizeof b, ",\"%s\":%ld", key, v);
    cs_rw_raw(w, b, (size_t)n);
}

/* The result as {"rsc":..,"rqi":..[,"pc":..]}: pc embedded when it is JSON. */
static void cs_rw_result(cs_rw *w, const coapsec_onem2m_reqres *r, const char *rqi,
                         size_t rqi_len) {
    char b[32];
    int n = snprintf(b, sizeof b, "{\"rsc\":%ld,\"rqi\":", (long)r->rsc);
    cs_rw_raw(w, b, (size_t)n);
    cs_rw_str(w, rqi, rqi_len);
    if (r->pc_len > 0) {
        cs_rw_raw(w, ",\"pc\":", 6);
        if (r->cf != COAPSEC_ONEM2M_ABSENT && coapsec_onem2m_cf_is_json((uint32_t)r->cf) &&
            coapsec_onem2m_json_check(r->pc, r->pc_len) == 0)
            cs_rw_raw(w, r->pc, r->pc_len);
        else
            cs_rw_str(w, r->pc, r->pc_len);
    }
    cs_rw_raw(w, "}", 1);
}

int coapsec_onem2m_reqtab_to_json(const coapsec_onem2m_reqtab *t, int idx, char *out, size_t cap) {
    const coapsec_onem2m_reqres *r = cs_get(t, idx);
    if (r == NULL)
        return COAPSEC_ERR_NOTFOUND;
    if (out == NULL || cap == 0)
        return COAPSEC_ERR_NOBUF;
    cs_rw w = {out, cap, 0, 0};
    out[0] = '\0';
    cs_rw_raw(&w, "{\"m2m:req\":{\"rn\":", 17);
    cs_rw_str(&w, r->ri, strlen(r->ri));
    cs_rw_raw(&w, ",\"ri\":", 6);
    cs_rw_str(&w, r->ri, strlen(r->ri));
    cs_rw_fmt(&w, "ty", CS_TY_REQUEST);
    cs_rw_fmt(&w, "op", (long)r->op);
    cs_rw_raw(&w, ",\"tg\":", 6);
    cs_rw_str(&w, r->tg, r->tg_len);
    cs_rw_raw(&w, ",\"org\":", 7);
    cs_rw_str(&w, r->org, r->org_len);
    cs_rw_raw(&w, ",\"rid\":", 7);
    cs_rw_str(&w, r->rqi, r->rqi_len);
    cs_rw_fmt(&w, "rs", (long)r->rs);
    if (r->rs != COAPSEC_ONEM2M_RS_PENDING) {
        cs_rw_raw(&w, ",\"ol\":", 6);
        cs_rw_result(&w, r, r->rqi, r->rqi_len);
    }
    cs_rw_raw(&w, "}}", 2);
    return w.err ? COAPSEC_ERR_NOBUF : (int)w.len;
}

int coapsec_onem2m_reqtab_notify(const coapsec_onem2m_reqtab *t, int idx, const char *cse_id,
                                 const char *rqi, coapsec_onem2m_prim *ntfy, char *json_buf,
                                 size_t cap) {
    const coapsec_onem2m_reqres *r = cs_get(t, idx);
    if (r == NULL)
        return COAPSEC_ERR_NOTFOUND;
    if (r->rs == COAPSEC_ONEM2M_RS_PENDING)
        return COAPSEC_ERR_STATE;
    if (json_buf == NULL || cap == 0 || ntfy == NULL || cse_id == NULL || rqi == NULL)
        return COAPSEC_ERR_INVAL;
    cs_rw w = {json_buf, cap, 0, 0};
    json_buf[0] = '\0';
    cs_rw_raw(&w, "{\"m2m:rsp\":", 11);
    cs_rw_result(&w, r, r->rqi, r->rqi_len);
    cs_rw_raw(&w, "}", 1);
    if (w.err)
        return COAPSEC_ERR_NOBUF;
    coapsec_onem2m_prim_init(ntfy);
    ntfy->op = COAPSEC_ONEM2M_OP_NOTIFY;
    if (r->rturi_len > 0) {
        ntfy->to.p = r->rturi;
        ntfy->to.len = r->rturi_len;
    } else {
        ntfy->to.p = r->org;
        ntfy->to.len = r->org_len;
    }
    ntfy->fr.p = cse_id;
    ntfy->fr.len = strlen(cse_id);
    ntfy->rqi.p = rqi;
    ntfy->rqi.len = strlen(rqi);
    ntfy->pc.p = json_buf;
    ntfy->pc.len = w.len;
    ntfy->cf = COAPSEC_ONEM2M_CF_NTFY_JSON;
    return 0;
}
