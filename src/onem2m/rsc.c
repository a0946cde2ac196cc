/*
 * rsc.c - Response Status Code <-> CoAP response code (TS-0008 §6.2.4,
 * Table 6.2.4-1), the code -> RSC guess for responses without oneM2M-RSC, and
 * the CoAP code + RSC a receiver answers a malformed request with.
 */
#include "onem2m/onem2m_int.h"

#define C(c, d) COAPSEC_CODE(c, d)

/* Table 6.2.4-1, one row per RSC (ranges expanded). 1000, 1002 and 2000 are
 * handled in coapsec_onem2m_rsc_code because their code depends on context. */
static const struct {
    uint16_t lo, hi; /* RSC range, inclusive */
    uint8_t code;
} cs_rsc_table[] = {
    {1001, 1001, C(2, 1)},  {2001, 2001, C(2, 1)}, {2002, 2002, C(2, 2)}, {2004, 2004, C(2, 4)},
    {4000, 4000, C(4, 0)},  {4102, 4102, C(4, 0)}, {4104, 4104, C(4, 0)}, {4110, 4110, C(4, 0)},
    {4123, 4124, C(4, 0)},  {4143, 4143, C(4, 0)}, {4001, 4001, C(5, 1)}, {4004, 4004, C(4, 4)},
    {4118, 4119, C(4, 4)},  {4121, 4121, C(4, 4)}, {4005, 4005, C(4, 5)}, {4008, 4008, C(5, 4)},
    {4015, 4015, C(4, 15)}, {4101, 4101, C(4, 3)}, {4103, 4103, C(4, 3)}, {4105, 4109, C(4, 3)},
    {4111, 4117, C(4, 3)},  {4126, 4127, C(4, 3)}, {4120, 4120, C(4, 2)}, {4122, 4122, C(4, 2)},
    {4125, 4125, C(5, 1)},  {5000, 5000, C(5, 0)}, {5204, 5204, C(5, 0)}, {5209, 5212, C(5, 0)},
    {5216, 5217, C(5, 0)},  {5221, 5221, C(5, 0)}, {5001, 5001, C(5, 1)}, {5206, 5206, C(5, 1)},
    {5103, 5103, C(4, 4)},  {5107, 5107, C(4, 4)}, {5105, 5105, C(4, 3)}, {5203, 5203, C(4, 3)},
    {5205, 5205, C(4, 3)},  {5208, 5208, C(4, 3)}, {5214, 5215, C(4, 3)}, {5218, 5218, C(4, 3)},
    {5222, 5222, C(4, 3)},  {5106, 5106, C(4, 0)}, {5219, 5220, C(4, 0)}, {5207, 5207, C(4, 6)},
    {6003, 6003, C(4, 4)},  {6005, 6005, C(4, 4)}, {6010, 6010, C(4, 0)}, {6022, 6024, C(4, 0)},
    {6028, 6029, C(4, 0)},  {6020, 6021, C(5, 0)}, {6025, 6026, C(5, 0)}, {6030, 6031, C(5, 4)},
};

#define CS_NRSC (sizeof cs_rsc_table / sizeof cs_rsc_table[0])

/* The table's code for rsc, or -1 when the RSC is not a row of the table. */
static int cs_table_code(uint32_t rsc) {
    for (size_t i = 0; i < CS_NRSC; i++)
        if (rsc >= cs_rsc_table[i].lo && rsc <= cs_rsc_table[i].hi)
            return cs_rsc_table[i].code;
    return -1;
}

int coapsec_onem2m_rsc_code(uint32_t rsc, int req_op, int created) {
    switch (rsc) {
    case 1000:
        return COAPSEC_ERR_UNSUPPORTED; /* "not used" */
    case 1002:
        return created ? C(2, 1) : C(2, 4);
    case 2000:
        return req_op == COAPSEC_ONEM2M_OP_NOTIFY ? C(2, 4) : C(2, 5);
    default:
        break;
    }
    int c = cs_table_code(rsc);
    if (c >= 0)
        return c;
    switch (rsc / 1000) {
    case 4:
    case 6:
        return C(4, 0);
    case 5:
        return C(5, 0);
    default:
        return COAPSEC_ERR_UNSUPPORTED;
    }
}

int coapsec_onem2m_rsc_code_ok(uint32_t rsc, uint8_t code) {
    switch (rsc) {
    case 1000:
        return 0;
    case 1002:
        return code == C(2, 1) || code == C(2, 4);
    case 2000:
        return code == C(2, 5) || code == C(2, 4);
    default:
        break;
    }
    if (code == COAPSEC_BAD_OPTION && rsc >= 4000 && rsc < 7000)
        return 1; /* RFC 7252 §5.4.1: a CoAP-layer rejection of an option */
    int c = cs_table_code(rsc);
    if (c >= 0)
        return c == code;
    /* Not in the table: the class must match (error RSCs: 4.xx or 5.xx). */
    unsigned k = COAPSEC_CODE_CLASS(code);
    if (rsc >= 1000 && rsc < 3000)
        return k == 2;
    if (rsc >= 4000 && rsc < 7000)
        return k == 4 || k == 5;
    return 0;
}

uint32_t coapsec_onem2m_code_rsc(uint8_t code, int req_op) {
    switch (code) {
    case C(2, 1):
        return 2001;
    case C(2, 2):
        return 2002;
    case C(2, 4):
        return req_op == COAPSEC_ONEM2M_OP_NOTIFY ? 2000 : 2004;
    case C(2, 5):
        return 2000;
    case C(4, 3):
        return 4103; /* ORIGINATOR_HAS_NO_PRIVILEGE */
    case C(4, 4):
        return 4004;
    case C(4, 5):
        return 4005;
    case C(4, 6):
        return 5207;
    case C(4, 15):
        return 4015;
    case C(5, 1):
        return 5001;
    case C(5, 4):
        return 4008;
    default:
        break;
    }
    if (COAPSEC_CODE_CLASS(code) == 5)
        return 5000;
    if (COAPSEC_CODE_CLASS(code) == 2)
        return 2000;
    return 4000; /* 4.00, 4.02 and the 4.xx the table does not use */
}

void coapsec_onem2m_err_rsp(int err, uint8_t *code, uint32_t *rsc) {
    uint8_t c;
    uint32_t r;
    switch (err) {
    case COAPSEC_ERR_BADOPT:
        c = COAPSEC_BAD_OPTION;
        r = 4000;
        break;
    case COAPSEC_ERR_UNSUPPORTED:
        c = COAPSEC_NOT_ACCEPTABLE;
        r = 5207;
        break;
    case COAPSEC_ERR_INVAL:
    case COAPSEC_ERR_NOBUF:
        c = COAPSEC_INTERNAL_SERVER_ERROR;
        r = 5000;
        break;
    default:
        c = COAPSEC_BAD_REQUEST;
        r = 4000;
        break;
    }
    if (code != NULL)
        *code = c;
    if (rsc != NULL)
        *rsc = r;
}
