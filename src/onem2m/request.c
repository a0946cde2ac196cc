/*
 * request.c - request primitive <-> CoAP request (TS-0008 §6.2.1-§6.2.3,
 * §6.3): the method per operation (Table 6.2.1-1) with op in Uri-Query for
 * non-blocking, flex-blocking and otherwise ambiguous POSTs, the To <->
 * Uri-Path mapping, query-carried parameters in short-name form, the
 * Content-Format and Accept options and the oneM2M options.
 */
#include "onem2m/onem2m_int.h"

#include <stdio.h>
#include <string.h>

/* Add "key=value" as a Uri-Query option, composed in scratch. */
static int cs_add_query(coapsec_msg *m, const char *k, size_t kl, const char *v, size_t vl,
                        cs_m2m_scratch *s) {
    if (kl == 0 || kl + 1 + vl > 255)
        return COAPSEC_ERR_BADOPT;
    uint8_t *b = cs_m2m_take(s, kl + 1 + vl);
    if (b == NULL)
        return COAPSEC_ERR_NOBUF;
    memcpy(b, k, kl);
    b[kl] = '=';
    if (vl > 0)
        memcpy(b + kl + 1, v, vl);
    return coapsec_msg_add_opt(m, COAPSEC_OPT_URI_QUERY, b, kl + 1 + vl);
}

static int cs_add_query_uint(coapsec_msg *m, const char *k, uint32_t v, cs_m2m_scratch *s) {
    char num[12];
    int n = snprintf(num, sizeof num, "%lu", (unsigned long)v);
    return cs_add_query(m, k, strlen(k), num, (size_t)n, s);
}

/* 1 if the key is one this module carries itself (op, rt). */
static int cs_reserved_key(coapsec_onem2m_str k) {
    return (k.len == 2 && (memcmp(k.p, "op", 2) == 0 || memcmp(k.p, "rt", 2) == 0));
}

static int cs_req_build(const coapsec_onem2m_prim *p, int numbering, coapsec_msg *m,
                        cs_m2m_scratch *s) {
    int method = coapsec_onem2m_op_method(p->op);
    if (method < 0)
        return method;
    if (p->rt != COAPSEC_ONEM2M_ABSENT &&
        (p->rt < COAPSEC_ONEM2M_RT_NONBLOCKING_SYNCH || p->rt > COAPSEC_ONEM2M_RT_FLEX_BLOCKING))
        return COAPSEC_ERR_BADUINT;
    int has_ty = p->ty != COAPSEC_ONEM2M_ABSENT;
    int op_in_query = p->rt == COAPSEC_ONEM2M_RT_NONBLOCKING_SYNCH ||
                      p->rt == COAPSEC_ONEM2M_RT_NONBLOCKING_ASYNCH ||
                      p->rt == COAPSEC_ONEM2M_RT_FLEX_BLOCKING ||
                      (p->op == COAPSEC_ONEM2M_OP_CREATE && !has_ty) ||
                      (p->op == COAPSEC_ONEM2M_OP_NOTIFY && has_ty);
    m->code = (uint8_t)(op_in_query ? COAPSEC_POST : method);

    int rc;
    if (p->host.p != NULL) {
        if (p->host.len < 1 || p->host.len > 255)
            return COAPSEC_ERR_BADOPT;
        if ((rc = coapsec_msg_add_opt(m, COAPSEC_OPT_URI_HOST, p->host.p, p->host.len)) != 0)
            return rc;
    }
    if (p->port != COAPSEC_ONEM2M_ABSENT) {
        if (p->port < 0 || p->port > 65535)
            return COAPSEC_ERR_BADUINT;
        if ((rc = cs_m2m_add_uint(m, COAPSEC_OPT_URI_PORT, (uint32_t)p->port, s)) != 0)
            return rc;
    }
    if ((rc = cs_m2m_target_to_opts(p->to, COAPSEC_OPT_URI_PATH, m)) != 0)
        return rc;
    if (op_in_query && (rc = cs_add_query_uint(m, "op", (uint32_t)p->op, s)) != 0)
        return rc;
    if (p->rt != COAPSEC_ONEM2M_ABSENT && (rc = cs_add_query_uint(m, "rt", (uint32_t)p->rt, s)))
        return rc;
    if (p->nquery > COAPSEC_ONEM2M_MAX_QUERY)
        return COAPSEC_ERR_INVAL;
    for (uint8_t i = 0; i < p->nquery; i++) {
        const coapsec_onem2m_kv *q = &p->query[i];
        if (q->key.p == NULL || (q->val.p == NULL && q->val.len > 0) || cs_reserved_key(q->key))
            return COAPSEC_ERR_INVAL;
        if ((rc = cs_add_query(m, q->key.p, q->key.len, q->val.p, q->val.len, s)) != 0)
            return rc;
    }
    if (p->pc.p != NULL && p->pc.len > 0 && p->cf != COAPSEC_ONEM2M_ABSENT) {
        if (p->cf < 0 || p->cf > 65535)
            return COAPSEC_ERR_BADUINT;
        if ((rc = cs_m2m_add_uint(m, COAPSEC_OPT_CONTENT_FORMAT, (uint32_t)p->cf, s)) != 0)
            return rc;
    }
    if (p->accept != COAPSEC_ONEM2M_ABSENT) {
        if (p->accept < 0 || p->accept > 65535)
            return COAPSEC_ERR_BADUINT;
        if ((rc = cs_m2m_add_uint(m, COAPSEC_OPT_ACCEPT, (uint32_t)p->accept, s)) != 0)
            return rc;
    }
    if ((rc = cs_m2m_hdr_to_opts(p, numbering, 0, m, s)) != 0)
        return rc;
    m->payload = p->pc.len > 0 ? (const uint8_t *)p->pc.p : NULL;
    m->payload_len = p->pc.p != NULL ? p->pc.len : 0;
    return 0;
}

int coapsec_onem2m_req_to_coap(const coapsec_onem2m_prim *p, int numbering, coapsec_msg *m,
                               uint8_t *scratch, size_t scratch_cap) {
    if (p == NULL || m == NULL || (scratch == NULL && scratch_cap > 0) ||
        m->nopts > COAPSEC_MAX_OPTIONS)
        return COAPSEC_ERR_INVAL;
    cs_m2m_scratch s = {scratch, scratch_cap, 0};
    coapsec_msg saved = *m;
    int rc = cs_req_build(p, numbering, m, &s);
    if (rc != 0)
        *m = saved; /* leave m as it was */
    return rc;
}

/* Read the Uri-Query items: op and rt into *qop / p->rt, the rest into p->query. */
static int cs_read_query(coapsec_onem2m_prim *p, const coapsec_msg *m, int32_t *qop) {
    uint16_t n = m->nopts < COAPSEC_MAX_OPTIONS ? m->nopts : COAPSEC_MAX_OPTIONS;
    for (uint16_t i = 0; i < n; i++) {
        const coapsec_opt *o = &m->opts[i];
        if (o->num != COAPSEC_OPT_URI_QUERY)
            continue;
        const char *v = (const char *)o->val;
        const char *eq = o->len > 0 ? memchr(v, '=', o->len) : NULL;
        if (eq == NULL || eq == v)
            return COAPSEC_ERR_FORMAT; /* short-name form is key=value */
        coapsec_onem2m_str key = {v, (size_t)(eq - v)};
        coapsec_onem2m_str val = {eq + 1, o->len - key.len - 1};
        if (key.len == 2 && memcmp(key.p, "op", 2) == 0) {
            uint32_t x;
            if (*qop != COAPSEC_ONEM2M_ABSENT)
                return COAPSEC_ERR_FORMAT;
            int rc = cs_m2m_parse_uint(val.p, val.len, 65535, &x);
            if (rc != 0)
                return rc;
            *qop = (int32_t)x;
        } else if (key.len == 2 && memcmp(key.p, "rt", 2) == 0) {
            uint32_t x;
            if (p->rt != COAPSEC_ONEM2M_ABSENT)
                return COAPSEC_ERR_FORMAT;
            int rc = cs_m2m_parse_uint(val.p, val.len, COAPSEC_ONEM2M_RT_FLEX_BLOCKING, &x);
            if (rc != 0 || x == 0)
                return COAPSEC_ERR_BADUINT;
            p->rt = (int32_t)x;
        } else {
            if (p->nquery >= COAPSEC_ONEM2M_MAX_QUERY)
                return COAPSEC_ERR_NOMEM;
            p->query[p->nquery].key = key;
            p->query[p->nquery].val = val;
            p->nquery++;
        }
    }
    return 0;
}

/* The operation of a request: from its method, or for a POST from op in
 * Uri-Query, else CREATE when oneM2M-TY is present and NOTIFY otherwise. */
static int cs_request_op(uint8_t code, int32_t qop, int has_ty) {
    int op;
    switch (code) {
    case COAPSEC_GET:
        op = COAPSEC_ONEM2M_OP_RETRIEVE;
        break;
    case COAPSEC_PUT:
        op = COAPSEC_ONEM2M_OP_UPDATE;
        break;
    case COAPSEC_DELETE:
        op = COAPSEC_ONEM2M_OP_DELETE;
        break;
    case COAPSEC_POST:
        if (qop != COAPSEC_ONEM2M_ABSENT)
            return coapsec_onem2m_op_method(qop) < 0 ? COAPSEC_ERR_BADOP : qop;
        return has_ty ? COAPSEC_ONEM2M_OP_CREATE : COAPSEC_ONEM2M_OP_NOTIFY;
    default:
        return COAPSEC_ERR_BADOP; /* FETCH, PATCH, iPATCH, ... */
    }
    if (qop != COAPSEC_ONEM2M_ABSENT && qop != op)
        return COAPSEC_ERR_BADOP;
    return op;
}

int coapsec_onem2m_req_from_coap(coapsec_onem2m_prim *p, const coapsec_msg *m, int numbering) {
    if (p == NULL || m == NULL || !COAPSEC_IS_REQUEST(m->code) || m->nopts > COAPSEC_MAX_OPTIONS)
        return COAPSEC_ERR_INVAL;
    coapsec_onem2m_prim_init(p);
    int rc = cs_m2m_hdr_from_opts(p, m, numbering);
    if (rc != 0)
        return rc;
    int32_t qop = COAPSEC_ONEM2M_ABSENT;
    if ((rc = cs_read_query(p, m, &qop)) != 0)
        return rc;
    if ((rc = cs_request_op(m->code, qop, p->ty != COAPSEC_ONEM2M_ABSENT)) < 0)
        return rc;
    p->op = rc;
    if ((rc = cs_m2m_opts_to_target(p, m, COAPSEC_OPT_URI_PATH, &p->to)) != 0)
        return rc;

    const coapsec_opt *o = coapsec_msg_find(m, COAPSEC_OPT_URI_HOST);
    if (o != NULL) {
        p->host.p = (const char *)o->val;
        p->host.len = o->len;
    }
    uint32_t v;
    if ((o = coapsec_msg_find(m, COAPSEC_OPT_URI_PORT)) != NULL && coapsec_opt_uint(o, &v) == 0)
        p->port = (int32_t)v; /* length <= 2 checked above */
    o = coapsec_msg_find(m, COAPSEC_OPT_CONTENT_FORMAT);
    if (o != NULL && o->len <= 2 && coapsec_opt_uint(o, &v) == 0)
        p->cf = (int32_t)v; /* elective: a wrong length is ignored (§5.4.3) */
    if ((o = coapsec_msg_find(m, COAPSEC_OPT_ACCEPT)) != NULL && coapsec_opt_uint(o, &v) == 0)
        p->accept = (int32_t)v;
    if (m->payload_len > 0) {
        p->pc.p = (const char *)m->payload;
        p->pc.len = m->payload_len;
    }
    /* Last, so that every other error takes precedence (Table 6.2.2.2-1 note). */
    if (p->accept != COAPSEC_ONEM2M_ABSENT && coapsec_onem2m_cf_name((uint32_t)p->accept) == NULL)
        return COAPSEC_ERR_UNSUPPORTED;
    return 0;
}
