/*
 * options.c - the CoAP option registry: every option this library recognises
 * with its name, value format, length range and repeatability (RFC 7252 §5.10
 * Table 4, RFC 7641 §2 Observe, RFC 7959 §2.1/§4 Block1/Block2/Size2,
 * RFC 7967 §2 No-Response), and the §5.4.1 check for unrecognised critical
 * options.
 */
#include "coapsec/msg.h"

#include <stddef.h>

/* Sorted by option number. */
static const coapsec_optdef cs_optdefs[] = {
    {COAPSEC_OPT_IF_MATCH, "If-Match", COAPSEC_OPTFMT_OPAQUE, 0, 8, 1},
    {COAPSEC_OPT_URI_HOST, "Uri-Host", COAPSEC_OPTFMT_STRING, 1, 255, 0},
    {COAPSEC_OPT_ETAG, "ETag", COAPSEC_OPTFMT_OPAQUE, 1, 8, 1},
    {COAPSEC_OPT_IF_NONE_MATCH, "If-None-Match", COAPSEC_OPTFMT_EMPTY, 0, 0, 0},
    {COAPSEC_OPT_OBSERVE, "Observe", COAPSEC_OPTFMT_UINT, 0, 3, 0},
    {COAPSEC_OPT_URI_PORT, "Uri-Port", COAPSEC_OPTFMT_UINT, 0, 2, 0},
    {COAPSEC_OPT_LOCATION_PATH, "Location-Path", COAPSEC_OPTFMT_STRING, 0, 255, 1},
    {COAPSEC_OPT_URI_PATH, "Uri-Path", COAPSEC_OPTFMT_STRING, 0, 255, 1},
    {COAPSEC_OPT_CONTENT_FORMAT, "Content-Format", COAPSEC_OPTFMT_UINT, 0, 2, 0},
    {COAPSEC_OPT_MAX_AGE, "Max-Age", COAPSEC_OPTFMT_UINT, 0, 4, 0},
    {COAPSEC_OPT_URI_QUERY, "Uri-Query", COAPSEC_OPTFMT_STRING, 0, 255, 1},
    {COAPSEC_OPT_ACCEPT, "Accept", COAPSEC_OPTFMT_UINT, 0, 2, 0},
    {COAPSEC_OPT_LOCATION_QUERY, "Location-Query", COAPSEC_OPTFMT_STRING, 0, 255, 1},
    {COAPSEC_OPT_BLOCK2, "Block2", COAPSEC_OPTFMT_UINT, 0, 3, 0},
    {COAPSEC_OPT_BLOCK1, "Block1", COAPSEC_OPTFMT_UINT, 0, 3, 0},
    {COAPSEC_OPT_SIZE2, "Size2", COAPSEC_OPTFMT_UINT, 0, 4, 0},
    {COAPSEC_OPT_PROXY_URI, "Proxy-Uri", COAPSEC_OPTFMT_STRING, 1, 1034, 0},
    {COAPSEC_OPT_PROXY_SCHEME, "Proxy-Scheme", COAPSEC_OPTFMT_STRING, 1, 255, 0},
    {COAPSEC_OPT_SIZE1, "Size1", COAPSEC_OPTFMT_UINT, 0, 4, 0},
    {COAPSEC_OPT_NO_RESPONSE, "No-Response", COAPSEC_OPTFMT_UINT, 0, 1, 0},
};

#define CS_NOPTDEFS (sizeof cs_optdefs / sizeof cs_optdefs[0])

static const coapsec_optdef *cs_find_in(const coapsec_optdef *defs, size_t n, uint16_t num) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (defs[mid].num == num)
            return &defs[mid];
        if (defs[mid].num < num)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Options of an application protocol (coapsec_optdef_extend), e.g. oneM2M's. */
static const coapsec_optdef *cs_ext_defs;
static size_t cs_ext_n;

int coapsec_optdef_extend(const coapsec_optdef *defs, size_t n) {
    if (defs == NULL && n != 0)
        return COAPSEC_ERR_INVAL;
    for (size_t i = 0; i < n; i++)
        if (cs_find_in(cs_optdefs, CS_NOPTDEFS, defs[i].num) != NULL ||
            (i > 0 && defs[i].num <= defs[i - 1].num) || defs[i].min_len > defs[i].max_len)
            return COAPSEC_ERR_INVAL;
    cs_ext_defs = n ? defs : NULL;
    cs_ext_n = n;
    return 0;
}

const coapsec_optdef *coapsec_optdef_find(uint16_t num) {
    const coapsec_optdef *d = cs_find_in(cs_optdefs, CS_NOPTDEFS, num);
    if (d == NULL && cs_ext_defs != NULL)
        d = cs_find_in(cs_ext_defs, cs_ext_n, num);
    return d;
}

const coapsec_opt *coapsec_msg_bad_critical(const coapsec_msg *m) {
    if (m == NULL)
        return NULL;
    uint16_t n = m->nopts < COAPSEC_MAX_OPTIONS ? m->nopts : COAPSEC_MAX_OPTIONS;
    for (uint16_t i = 0; i < n; i++) {
        const coapsec_opt *o = &m->opts[i];
        if (!COAPSEC_OPT_IS_CRITICAL(o->num))
            continue; /* §5.4.1: unrecognised elective options are ignored */
        const coapsec_optdef *d = coapsec_optdef_find(o->num);
        if (d == NULL)
            return o;
        if (o->len < d->min_len || o->len > d->max_len)
            return o; /* §5.4.3: treated like an unrecognised option */
        if (!d->repeatable) {
            /* §5.4.5: each further occurrence of a non-repeatable critical
             * option is treated like an unrecognised option. */
            for (uint16_t j = 0; j < i; j++)
                if (m->opts[j].num == o->num)
                    return o;
        }
    }
    return NULL;
}
