/*
 * header.c - the oneM2M options common to requests and responses
 * (TS-0008 §6.2.2.4, Table 6.2.2.4.0-1): writing the option-carried
 * parameters of a primitive with uints in their shortest form, reading them
 * back with their length ranges checked, the §5.4.1 (RFC 7252) check for
 * unrecognised critical options, and the small memory helpers of the module.
 */
#include "onem2m/onem2m_int.h"

#include <string.h>

uint8_t *cs_m2m_take(cs_m2m_scratch *s, size_t n) {
    if (s->buf == NULL || n > s->cap - s->used)
        return NULL;
    uint8_t *r = s->buf + s->used;
    s->used += n;
    return r;
}

char *cs_m2m_store(coapsec_onem2m_prim *p, const char *src, size_t n) {
    if (n > sizeof p->buf - p->used)
        return NULL;
    char *r = p->buf + p->used;
    if (n > 0)
        memcpy(r, src, n);
    p->used += n;
    return r;
}

int cs_m2m_parse_uint(const char *s, size_t n, uint32_t max, uint32_t *out) {
    if (s == NULL || n == 0 || n > 10)
        return COAPSEC_ERR_BADUINT;
    if (n > 1 && s[0] == '0')
        return COAPSEC_ERR_BADUINT;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return COAPSEC_ERR_BADUINT;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > max)
        return COAPSEC_ERR_BADUINT;
    *out = (uint32_t)v;
    return 0;
}

int cs_m2m_add_uint(coapsec_msg *m, uint16_t num, uint32_t v, cs_m2m_scratch *s) {
    uint8_t *b = cs_m2m_take(s, 4);
    if (b == NULL)
        return COAPSEC_ERR_NOBUF;
    return coapsec_msg_add_uint(m, num, v, b);
}

int cs_m2m_hdr_to_opts(const coapsec_onem2m_prim *p, int numbering, int with_rsc, coapsec_msg *m,
                       cs_m2m_scratch *s) {
    for (int i = 0; i < COAPSEC_ONEM2M_P_COUNT; i++) {
        const coapsec_onem2m_paramdef *d = coapsec_onem2m_param(i);
        if (i == COAPSEC_ONEM2M_P_RSC && !with_rsc)
            continue;
        uint16_t num = coapsec_onem2m_optnum(i, numbering);
        int rc;
        if (d->format == COAPSEC_OPTFMT_STRING) {
            const coapsec_onem2m_str *v = CS_M2M_CSTR(p, d);
            if (v->p == NULL)
                continue;
            if (num == 0)
                return COAPSEC_ERR_UNSUPPORTED;
            if (v->len < d->min_len || v->len > d->max_len)
                return COAPSEC_ERR_BADOPT;
            rc = coapsec_msg_add_opt(m, num, v->p, v->len);
        } else {
            int32_t v = *CS_M2M_CINT(p, d);
            if (v == COAPSEC_ONEM2M_ABSENT)
                continue;
            if (num == 0)
                return COAPSEC_ERR_UNSUPPORTED;
            uint64_t lim = (uint64_t)1 << (8 * d->max_len);
            if (v < 0 || (uint64_t)v >= lim)
                return COAPSEC_ERR_BADUINT;
            rc = cs_m2m_add_uint(m, num, (uint32_t)v, s);
        }
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* 1 if an option numbered num occurs in m before index i. */
static int cs_seen_before(const coapsec_msg *m, uint16_t i, uint16_t num) {
    for (uint16_t j = 0; j < i; j++)
        if (m->opts[j].num == num)
            return 1;
    return 0;
}

int cs_m2m_hdr_from_opts(coapsec_onem2m_prim *p, const coapsec_msg *m, int numbering) {
    uint16_t n = m->nopts < COAPSEC_MAX_OPTIONS ? m->nopts : COAPSEC_MAX_OPTIONS;
    for (uint16_t i = 0; i < n; i++) {
        const coapsec_opt *o = &m->opts[i];
        if (o->val == NULL && o->len > 0)
            return COAPSEC_ERR_INVAL;
        const coapsec_onem2m_paramdef *d = coapsec_onem2m_param_by_opt(o->num, numbering);
        if (d != NULL) {
            if (o->len < d->min_len || o->len > d->max_len || cs_seen_before(m, i, o->num))
                return COAPSEC_ERR_BADOPT; /* none of them is repeatable */
            if (d->format == COAPSEC_OPTFMT_STRING) {
                coapsec_onem2m_str *v = CS_M2M_STR(p, d);
                v->p = o->len > 0 ? (const char *)o->val : "";
                v->len = o->len;
            } else {
                uint32_t v;
                if (coapsec_opt_uint(o, &v) != 0)
                    return COAPSEC_ERR_BADUINT;
                *CS_M2M_INT(p, d) = (int32_t)v; /* at most 2 bytes */
            }
            continue;
        }
        const coapsec_optdef *cd = coapsec_optdef_find(o->num);
        if (!COAPSEC_OPT_IS_CRITICAL(o->num)) {
            continue; /* RFC 7252 §5.4.1: unrecognised elective options are ignored */
        }
        if (cd == NULL || o->len < cd->min_len || o->len > cd->max_len)
            return COAPSEC_ERR_BADOPT; /* §5.4.1, §5.4.3 */
        if (!cd->repeatable && cs_seen_before(m, i, o->num))
            return COAPSEC_ERR_BADOPT; /* §5.4.5 */
    }
    return 0;
}
