/*
 * optreg.c - making the CoAP layer recognise the oneM2M options
 * (TS-0008 Table 6.2.2.4.0-1, all critical): without this an engine answers
 * a request carrying them with 4.02 Bad Option and rejects a response
 * carrying them (RFC 7252 §5.4.1). Builds the sorted option definitions of
 * one numbering from the parameter table and hands them to
 * coapsec_optdef_extend().
 */
#include "onem2m/onem2m_int.h"

static const char *const cs_optnames[COAPSEC_ONEM2M_P_COUNT] = {
    "oneM2M-FR",  "oneM2M-RQI",   "oneM2M-OT",  "oneM2M-RQET", "oneM2M-RSET",
    "oneM2M-OET", "oneM2M-RTURI", "oneM2M-EC",  "oneM2M-RSC",  "oneM2M-GID",
    "oneM2M-TY",  "oneM2M-CTO",   "oneM2M-CTS", "oneM2M-ATI",  "oneM2M-RVI",
    "oneM2M-VSI", "oneM2M-GTM",   "oneM2M-AUS", "oneM2M-ASRI",
};

int coapsec_onem2m_optdefs(int numbering, coapsec_optdef *out, size_t cap) {
    if (out == NULL ||
        (numbering != COAPSEC_ONEM2M_NUM_CURRENT && numbering != COAPSEC_ONEM2M_NUM_LEGACY))
        return COAPSEC_ERR_INVAL;
    size_t n = 0;
    for (int i = 0; i < COAPSEC_ONEM2M_P_COUNT; i++) {
        const coapsec_onem2m_paramdef *d = coapsec_onem2m_param(i);
        uint16_t num = coapsec_onem2m_optnum(i, numbering);
        if (d == NULL || num == 0)
            continue;
        if (n == cap)
            return COAPSEC_ERR_NOBUF;
        coapsec_optdef def = {num, cs_optnames[i], d->format, d->min_len, d->max_len, 0};
        size_t j = n++; /* insertion sort by number */
        while (j > 0 && out[j - 1].num > num) {
            out[j] = out[j - 1];
            j--;
        }
        out[j] = def;
    }
    return (int)n;
}

int coapsec_onem2m_recognise_options(int numbering) {
    static coapsec_optdef defs[2][COAPSEC_ONEM2M_P_COUNT];
    if (numbering != COAPSEC_ONEM2M_NUM_CURRENT && numbering != COAPSEC_ONEM2M_NUM_LEGACY)
        return COAPSEC_ERR_INVAL;
    int n = coapsec_onem2m_optdefs(numbering, defs[numbering], COAPSEC_ONEM2M_P_COUNT);
    if (n < 0)
        return n;
    return coapsec_optdef_extend(defs[numbering], (size_t)n);
}
