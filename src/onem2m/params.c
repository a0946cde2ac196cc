/*
 * params.c - the oneM2M binding's reference tables: the option-carried
 * parameters with both option numberings (TS-0008 Table 6.2.2.4.0-1), the
 * Content-Formats (Table 6.2.2.2-1), the operation -> method mapping
 * (Table 6.2.1-1), and primitive initialisation.
 */
#include "onem2m/onem2m_int.h"

#include <stddef.h>
#include <string.h>

#define S        COAPSEC_OPTFMT_STRING
#define U        COAPSEC_OPTFMT_UINT
#define F(field) offsetof(coapsec_onem2m_prim, field)

/* Indexed by enum coapsec_onem2m_param. */
static const coapsec_onem2m_paramdef cs_params[COAPSEC_ONEM2M_P_COUNT] = {
    {COAPSEC_ONEM2M_P_FR, "fr", 279, 256, S, 0, 255, F(fr)},
    {COAPSEC_ONEM2M_P_RQI, "rqi", 283, 257, S, 0, 255, F(rqi)},
    {COAPSEC_ONEM2M_P_OT, "ot", 259, 259, S, 15, 15, F(ot)},
    {COAPSEC_ONEM2M_P_RQET, "rqet", 291, 260, S, 15, 15, F(rqet)},
    {COAPSEC_ONEM2M_P_RSET, "rset", 295, 261, S, 15, 15, F(rset)},
    {COAPSEC_ONEM2M_P_OET, "oet", 299, 262, S, 15, 15, F(oet)},
    {COAPSEC_ONEM2M_P_RTURI, "rturi", 263, 263, S, 0, 255, F(rturi)},
    {COAPSEC_ONEM2M_P_EC, "ec", 303, 264, U, 0, 1, F(ec)},
    {COAPSEC_ONEM2M_P_RSC, "rsc", 307, 265, U, 0, 2, F(rsc)},
    {COAPSEC_ONEM2M_P_GID, "gid", 311, 266, S, 0, 255, F(gid)},
    {COAPSEC_ONEM2M_P_TY, "ty", 267, 267, U, 0, 2, F(ty)},
    {COAPSEC_ONEM2M_P_CTO, "cto", 319, 0, U, 0, 2, F(cto)},
    {COAPSEC_ONEM2M_P_CTS, "cts", 323, 0, U, 0, 2, F(cts)},
    {COAPSEC_ONEM2M_P_ATI, "ati", 327, 0, S, 0, 255, F(ati)},
    {COAPSEC_ONEM2M_P_RVI, "rvi", 271, 0, S, 1, 2, F(rvi)},
    {COAPSEC_ONEM2M_P_VSI, "vsi", 331, 0, S, 0, 255, F(vsi)},
    {COAPSEC_ONEM2M_P_GTM, "gtm", 335, 0, S, 0, 512, F(gtm)},
    {COAPSEC_ONEM2M_P_AUS, "aus", 339, 0, S, 0, 255, F(aus)},
    {COAPSEC_ONEM2M_P_ASRI, "asri", 275, 0, S, 0, 255, F(asri)},
};

const coapsec_onem2m_paramdef *coapsec_onem2m_param(int param) {
    if (param < 0 || param >= COAPSEC_ONEM2M_P_COUNT)
        return NULL;
    return &cs_params[param];
}

uint16_t coapsec_onem2m_optnum(int param, int numbering) {
    const coapsec_onem2m_paramdef *d = coapsec_onem2m_param(param);
    if (d == NULL)
        return 0;
    return numbering == COAPSEC_ONEM2M_NUM_LEGACY ? d->legacy : d->num;
}

const coapsec_onem2m_paramdef *coapsec_onem2m_param_by_opt(uint16_t num, int numbering) {
    if (num == 0)
        return NULL;
    for (int i = 0; i < COAPSEC_ONEM2M_P_COUNT; i++)
        if (coapsec_onem2m_optnum(i, numbering) == num)
            return &cs_params[i];
    return NULL;
}

static const struct {
    uint16_t cf;
    const char *name;
} cs_cfs[] = {
    {COAPSEC_CF_XML, "application/xml"},
    {COAPSEC_CF_JSON, "application/json"},
    {COAPSEC_CF_CBOR, "application/cbor"},
    {COAPSEC_ONEM2M_CF_RES_XML, "application/vnd.onem2m-res+xml"},
    {COAPSEC_ONEM2M_CF_RES_JSON, "application/vnd.onem2m-res+json"},
    {COAPSEC_ONEM2M_CF_NTFY_XML, "application/vnd.onem2m-ntfy+xml"},
    {COAPSEC_ONEM2M_CF_NTFY_JSON, "application/vnd.onem2m-ntfy+json"},
    {COAPSEC_ONEM2M_CF_PREQ_XML, "application/vnd.onem2m-preq+xml"},
    {COAPSEC_ONEM2M_CF_PREQ_JSON, "application/vnd.onem2m-preq+json"},
    {COAPSEC_ONEM2M_CF_PRSP_XML, "application/vnd.onem2m-prsp+xml"},
    {COAPSEC_ONEM2M_CF_PRSP_JSON, "application/vnd.onem2m-prsp+json"},
    {COAPSEC_ONEM2M_CF_RES_CBOR, "application/vnd.onem2m-res+cbor"},
    {COAPSEC_ONEM2M_CF_NTFY_CBOR, "application/vnd.onem2m-ntfy+cbor"},
    {COAPSEC_ONEM2M_CF_PREQ_CBOR, "application/vnd.onem2m-preq+cbor"},
    {COAPSEC_ONEM2M_CF_PRSP_CBOR, "application/vnd.onem2m-prsp+cbor"},
};

const char *coapsec_onem2m_cf_name(uint32_t cf) {
    for (size_t i = 0; i < sizeof cs_cfs / sizeof cs_cfs[0]; i++)
        if (cs_cfs[i].cf == cf)
            return cs_cfs[i].name;
    return NULL;
}

int coapsec_onem2m_cf_is_json(uint32_t cf) {
    const char *n = coapsec_onem2m_cf_name(cf);
    if (n == NULL)
        return 0;
    size_t l = strlen(n);
    return (l >= 4 && strcmp(n + l - 4, "json") == 0);
}

int coapsec_onem2m_op_method(int op) {
    switch (op) {
    case COAPSEC_ONEM2M_OP_CREATE:
        return COAPSEC_POST;
    case COAPSEC_ONEM2M_OP_RETRIEVE:
        return COAPSEC_GET;
    case COAPSEC_ONEM2M_OP_UPDATE:
        return COAPSEC_PUT;
    case COAPSEC_ONEM2M_OP_DELETE:
        return COAPSEC_DELETE;
    case COAPSEC_ONEM2M_OP_NOTIFY:
        return COAPSEC_POST;
    default:
        return COAPSEC_ERR_BADOP;
    }
}

void coapsec_onem2m_prim_init(coapsec_onem2m_prim *p) {
    if (p == NULL)
        return;
    memset(p, 0, offsetof(coapsec_onem2m_prim, buf));
    p->op = p->rsc = COAPSEC_ONEM2M_ABSENT;
    p->ty = p->ec = p->cto = p->cts = COAPSEC_ONEM2M_ABSENT;
    p->rt = p->cf = p->accept = p->port = COAPSEC_ONEM2M_ABSENT;
}
