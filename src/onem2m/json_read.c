/*
 * json_read.c - a request or response primitive from JSON with TS-0004 short
 * names (TS-0004 §8.3 / TS-0008 usage by the CLI): the option-carried
 * parameters, op, to, rsc, pc (kept as raw JSON text), rt (number or
 * {"rtv","nu"}), fc and the query-carried parameters. Unknown keys, duplicate
 * keys and wrong value types fail closed.
 */
#include "onem2m/onem2m_int.h"

#include <string.h>

/* Query-carried request parameters accepted at the top level (TS-0004). */
static const char *const cs_query_keys[] = {"rcn",   "rp",  "da",  "drt",  "sqi",  "tids",
                                            "ltids", "tqi", "tqd", "tkns", "nids", "rids"};
#define CS_NQK (sizeof cs_query_keys / sizeof cs_query_keys[0])

/* Top-level keys other than the option-carried parameters; bit index for the
 * duplicate check is COAPSEC_ONEM2M_P_COUNT + index. */
enum { K_OP, K_TO, K_RSC_UNUSED, K_PC, K_RT, K_FC, K_LOC, K_COUNT };
static const char *const cs_keys[K_COUNT] = {"op", "to", "", "pc", "rt", "fc", "loc"};

static int cs_key_is(coapsec_onem2m_str k, const char *name) {
    size_t n = strlen(name);
    return k.len == n && n > 0 && memcmp(k.p, name, n) == 0;
}

/* A uint value no larger than max. */
static int cs_read_uint(cs_json *j, uint32_t max, uint32_t *out) {
    int c = cs_json_peek(j);
    if (c != '-' && (c < '0' || c > '9'))
        return COAPSEC_ERR_FORMAT; /* not a number */
    coapsec_onem2m_str tok;
    int is_uint, rc;
    if ((rc = cs_json_number(j, &tok, &is_uint)) != 0)
        return rc;
    if (!is_uint)
        return COAPSEC_ERR_BADUINT;
    return cs_m2m_parse_uint(tok.p, tok.len, max, out);
}

/* A scalar (string, number, true, false) as text: strings decoded, others raw. */
static int cs_read_scalar(cs_json *j, coapsec_onem2m_prim *p, coapsec_onem2m_str *out) {
    int c = cs_json_peek(j);
    if (c == '"')
        return cs_json_string(j, p, out);
    if (c == 't' || c == 'f') {
        size_t start = j->pos;
        int rc = cs_json_skip(j, 1);
        out->p = j->s + start;
        out->len = j->pos - start;
        return rc;
    }
    if (c == '-' || (c >= '0' && c <= '9'))
        return cs_json_number(j, out, NULL);
    return COAPSEC_ERR_FORMAT;
}

static int cs_add_kv(coapsec_onem2m_prim *p, coapsec_onem2m_str k, coapsec_onem2m_str v) {
    if (p->nquery >= COAPSEC_ONEM2M_MAX_QUERY)
        return COAPSEC_ERR_NOMEM;
    if (k.len == 0)
        return COAPSEC_ERR_FORMAT;
    p->query[p->nquery].key = k;
    p->query[p->nquery].val = v;
    p->nquery++;
    return 0;
}

/* A query value: a scalar, or an array of scalars joined with '+'. */
static int cs_read_qval(cs_json *j, coapsec_onem2m_prim *p, coapsec_onem2m_str *out) {
    if (cs_json_peek(j) != '[')
        return cs_read_scalar(j, p, out);
    j->pos++;
    size_t mark = p->used;
    int rc;
    if (cs_json_peek(j) == ']')
        return COAPSEC_ERR_FORMAT; /* no value to carry */
    for (;;) {
        /* A string with escapes is decoded at the end of p->buf, which is
         * already its place; anything else is a view into the text: copy it. */
        coapsec_onem2m_str v;
        if ((rc = cs_read_scalar(j, p, &v)) != 0)
            goto fail;
        uintptr_t a = (uintptr_t)v.p, b0 = (uintptr_t)p->buf;
        int in_buf = v.len > 0 && a >= b0 && a < b0 + sizeof p->buf;
        if (!in_buf && cs_m2m_store(p, v.p, v.len) == NULL) {
            rc = COAPSEC_ERR_NOBUF;
            goto fail;
        }
        int d = cs_json_peek(j);
        if (d < 0) {
            rc = COAPSEC_ERR_FORMAT;
            goto fail;
        }
        j->pos++;
        if (d == ']')
            break;
        if (d != ',') {
            rc = COAPSEC_ERR_FORMAT;
            goto fail;
        }
        if (cs_m2m_store(p, "+", 1) == NULL) {
            rc = COAPSEC_ERR_NOBUF;
            goto fail;
        }
    }
    out->p = p->buf + mark;
    out->len = p->used - mark;
    return 0;
fail:
    p->used = mark;
    return rc;
}

/* "fc": {"key": value, ...} -> query parameters. */
static int cs_read_fc(cs_json *j, coapsec_onem2m_prim *p) {
    int rc;
    if ((rc = cs_json_expect(j, '{')) != 0)
        return rc;
    if (cs_json_peek(j) == '}') {
        j->pos++;
        return 0;
    }
    for (;;) {
        coapsec_onem2m_str k, v;
        if ((rc = cs_json_string(j, p, &k)) != 0 || (rc = cs_json_expect(j, ':')) != 0)
            return rc;
        if (cs_json_peek(j) == '{')
            return COAPSEC_ERR_UNSUPPORTED; /* nested criteria have no Uri-Query form */
        if ((rc = cs_read_qval(j, p, &v)) != 0 || (rc = cs_add_kv(p, k, v)) != 0)
            return rc;
        int d = cs_json_peek(j);
        if (d < 0)
            return COAPSEC_ERR_FORMAT;
        j->pos++;
        if (d == '}')
            return 0;
        if (d != ',')
            return COAPSEC_ERR_FORMAT;
    }
}

/* "rt": n or {"rtv": n, "nu": ["uri"]}. */
static int cs_read_rt(cs_json *j, coapsec_onem2m_prim *p) {
    uint32_t v;
    int rc;
    if (cs_json_peek(j) != '{') {
        if ((rc = cs_read_uint(j, COAPSEC_ONEM2M_RT_FLEX_BLOCKING, &v)) != 0)
            return rc;
        if (v == 0)
            return COAPSEC_ERR_BADUINT;
        p->rt = (int32_t)v;
        return 0;
    }
    j->pos++;
    int seen_rtv = 0, seen_nu = 0;
    for (;;) {
        coapsec_onem2m_str k;
        if ((rc = cs_json_string(j, p, &k)) != 0 || (rc = cs_json_expect(j, ':')) != 0)
            return rc;
        if (cs_key_is(k, "rtv")) {
            if (seen_rtv++)
                return COAPSEC_ERR_FORMAT;
            if ((rc = cs_read_uint(j, COAPSEC_ONEM2M_RT_FLEX_BLOCKING, &v)) != 0)
                return rc;
            if (v == 0)
                return COAPSEC_ERR_BADUINT;
            p->rt = (int32_t)v;
        } else if (cs_key_is(k, "nu")) {
            if (seen_nu++ || (rc = cs_json_expect(j, '[')) != 0)
                return COAPSEC_ERR_FORMAT;
            if (cs_json_peek(j) != ']') {
                if ((rc = cs_json_string(j, p, &p->rturi)) != 0)
                    return rc;
                if (cs_json_peek(j) == ',')
                    return COAPSEC_ERR_UNSUPPORTED; /* one oneM2M-RTURI option */
            }
            if ((rc = cs_json_expect(j, ']')) != 0)
                return rc;
        } else {
            return COAPSEC_ERR_UNSUPPORTED;
        }
        int d = cs_json_peek(j);
        if (d < 0)
            return COAPSEC_ERR_FORMAT;
        j->pos++;
        if (d == '}')
            break;
        if (d != ',')
            return COAPSEC_ERR_FORMAT;
    }
    if (!seen_rtv)
        return COAPSEC_ERR_FORMAT;
    return 0;
}

/* One top-level member whose key is k. */
static int cs_member(cs_json *j, coapsec_onem2m_prim *p, coapsec_onem2m_str k, uint64_t *seen) {
    int rc, bit = -1;
    for (int i = 0; i < COAPSEC_ONEM2M_P_COUNT && bit < 0; i++) {
        const coapsec_onem2m_paramdef *d = coapsec_onem2m_param(i);
        if (i != COAPSEC_ONEM2M_P_RTURI && cs_key_is(k, d->sname))
            bit = i;
    }
    for (int i = 0; i < K_COUNT && bit < 0; i++)
        if (cs_key_is(k, cs_keys[i]))
            bit = COAPSEC_ONEM2M_P_COUNT + i;
    if (bit >= 0) {
        if (*seen & ((uint64_t)1 << bit))
            return COAPSEC_ERR_FORMAT; /* duplicate key */
        *seen |= (uint64_t)1 << bit;
    }
    if (bit >= 0 && bit < COAPSEC_ONEM2M_P_COUNT) {
        const coapsec_onem2m_paramdef *d = coapsec_onem2m_param(bit);
        if (d->format == COAPSEC_OPTFMT_STRING)
            return cs_json_string(j, p, CS_M2M_STR(p, d));
        uint32_t v;
        uint32_t max = d->max_len >= 4 ? UINT32_MAX : ((uint32_t)1 << (8 * d->max_len)) - 1;
        if ((rc = cs_read_uint(j, max, &v)) != 0)
            return rc;
        *CS_M2M_INT(p, d) = (int32_t)v;
        return 0;
    }
    uint32_t v;
    switch (bit - COAPSEC_ONEM2M_P_COUNT) {
    case K_OP:
        if ((rc = cs_read_uint(j, 65535, &v)) != 0)
            return rc;
        if (coapsec_onem2m_op_method((int)v) < 0)
            return COAPSEC_ERR_BADOP;
        p->op = (int32_t)v;
        return 0;
    case K_TO:
        return cs_json_string(j, p, &p->to);
    case K_LOC:
        return cs_json_string(j, p, &p->loc);
    case K_PC: {
        cs_json_peek(j);
        size_t start = j->pos;
        if ((rc = cs_json_skip(j, 2)) != 0)
            return rc;
        p->pc.p = j->s + start;
        p->pc.len = j->pos - start;
        return 0;
    }
    case K_RT:
        return cs_read_rt(j, p);
    case K_FC:
        return cs_read_fc(j, p);
    default:
        break;
    }
    for (size_t i = 0; i < CS_NQK; i++) {
        if (cs_key_is(k, cs_query_keys[i])) {
            for (uint8_t q = 0; q < p->nquery; q++)
                if (p->query[q].key.len == k.len && memcmp(p->query[q].key.p, k.p, k.len) == 0)
                    return COAPSEC_ERR_FORMAT; /* duplicate key */
            coapsec_onem2m_str val;
            if ((rc = cs_read_qval(j, p, &val)) != 0)
                return rc;
            return cs_add_kv(p, k, val);
        }
    }
    return COAPSEC_ERR_UNSUPPORTED;
}

int coapsec_onem2m_from_json(coapsec_onem2m_prim *p, const char *json, size_t len, int32_t cf) {
    if (p == NULL || json == NULL)
        return COAPSEC_ERR_INVAL;
    coapsec_onem2m_prim_init(p);
    if (len > COAPSEC_ONEM2M_JSON_MAX)
        return COAPSEC_ERR_FORMAT;
    cs_json j = {json, len, 0};
    int rc;
    uint64_t seen = 0;
    if ((rc = cs_json_expect(&j, '{')) != 0)
        return rc;
    if (cs_json_peek(&j) == '}') {
        j.pos++;
    } else {
        for (;;) {
            coapsec_onem2m_str k;
            if ((rc = cs_json_string(&j, p, &k)) != 0 || (rc = cs_json_expect(&j, ':')) != 0)
                return rc;
            if ((rc = cs_member(&j, p, k, &seen)) != 0)
                return rc;
            int d = cs_json_peek(&j);
            if (d < 0)
                return COAPSEC_ERR_FORMAT;
            j.pos++;
            if (d == '}')
                break;
            if (d != ',')
                return COAPSEC_ERR_FORMAT;
        }
    }
    if (cs_json_peek(&j) != -1)
        return COAPSEC_ERR_FORMAT; /* trailing text */
    if (p->pc.p != NULL) {
        if (cf != COAPSEC_ONEM2M_ABSENT)
            p->cf = cf;
        else
            p->cf = p->op == COAPSEC_ONEM2M_OP_NOTIFY ? COAPSEC_ONEM2M_CF_NTFY_JSON
                                                      : COAPSEC_ONEM2M_CF_RES_JSON;
    }
    return 0;
}

int coapsec_onem2m_req_from_json(coapsec_onem2m_prim *p, const char *json, size_t len, int32_t cf) {
    return coapsec_onem2m_from_json(p, json, len, cf);
}
