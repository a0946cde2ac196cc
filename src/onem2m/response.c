/*
 * response.c - response primitive <-> CoAP response (TS-0008 §6.2.4, §6.3):
 * the CoAP code from the Response Status Code (Table 6.2.4-1) with the
 * oneM2M-RSC option always carried, Location-Path for a created resource (in
 * the To forms of §6.2.2.3), Content-Format and payload; and back, with the
 * RSC checked against the code.
 */
#include "onem2m/onem2m_int.h"

static int cs_rsp_build(const coapsec_onem2m_prim *p, int req_op, int numbering, coapsec_msg *m,
                        cs_m2m_scratch *s) {
    if (p->rsc < 0)
        return COAPSEC_ERR_INVAL;
    int code = coapsec_onem2m_rsc_code((uint32_t)p->rsc, req_op, p->loc.p != NULL);
    if (code < 0)
        return code;
    if (p->rsc == 2000 && req_op == COAPSEC_ONEM2M_OP_NOTIFY && p->pc.len > 0)
        return COAPSEC_ERR_INVAL; /* Table 6.2.4-1: empty payload */
    m->code = (uint8_t)code;
    int rc;
    if (p->loc.p != NULL && (rc = cs_m2m_target_to_opts(p->loc, COAPSEC_OPT_LOCATION_PATH, m)))
        return rc;
    if (p->pc.p != NULL && p->pc.len > 0 && p->cf != COAPSEC_ONEM2M_ABSENT) {
        if (p->cf < 0 || p->cf > 65535)
            return COAPSEC_ERR_BADUINT;
        if ((rc = cs_m2m_add_uint(m, COAPSEC_OPT_CONTENT_FORMAT, (uint32_t)p->cf, s)) != 0)
            return rc;
    }
    if ((rc = cs_m2m_hdr_to_opts(p, numbering, 1, m, s)) != 0)
        return rc;
    m->payload = p->pc.len > 0 ? (const uint8_t *)p->pc.p : NULL;
    m->payload_len = p->pc.p != NULL ? p->pc.len : 0;
    return 0;
}

int coapsec_onem2m_rsp_to_coap(const coapsec_onem2m_prim *p, int req_op, int numbering,
                               coapsec_msg *m, uint8_t *scratch, size_t scratch_cap) {
    if (p == NULL || m == NULL || (scratch == NULL && scratch_cap > 0) ||
        m->nopts > COAPSEC_MAX_OPTIONS)
        return COAPSEC_ERR_INVAL;
    cs_m2m_scratch s = {scratch, scratch_cap, 0};
    coapsec_msg saved = *m;
    int rc = cs_rsp_build(p, req_op, numbering, m, &s);
    if (rc != 0)
        *m = saved;
    return rc;
}

int coapsec_onem2m_rsp_from_coap(coapsec_onem2m_prim *p, const coapsec_msg *m, int req_op,
                                 int numbering) {
    if (p == NULL || m == NULL || !COAPSEC_IS_RESPONSE(m->code) || m->nopts > COAPSEC_MAX_OPTIONS)
        return COAPSEC_ERR_INVAL;
    coapsec_onem2m_prim_init(p);
    int rc = cs_m2m_hdr_from_opts(p, m, numbering);
    if (rc != 0)
        return rc;
    if (p->rsc != COAPSEC_ONEM2M_ABSENT) {
        if (!coapsec_onem2m_rsc_code_ok((uint32_t)p->rsc, m->code))
            return COAPSEC_ERR_FORMAT;
    } else {
        p->rsc = (int32_t)coapsec_onem2m_code_rsc(m->code, req_op);
    }
    if (coapsec_msg_find(m, COAPSEC_OPT_LOCATION_PATH) != NULL &&
        (rc = cs_m2m_opts_to_target(p, m, COAPSEC_OPT_LOCATION_PATH, &p->loc)) != 0)
        return rc;
    const coapsec_opt *o = coapsec_msg_find(m, COAPSEC_OPT_CONTENT_FORMAT);
    uint32_t v;
    if (o != NULL && o->len <= 2 && coapsec_opt_uint(o, &v) == 0)
        p->cf = (int32_t)v;
    if (m->payload_len > 0) {
        p->pc.p = (const char *)m->payload;
        p->pc.len = m->payload_len;
    }
    return 0;
}
