/*
 * dtls/extensions.c - the hello extensions the engine understands:
 * extended_master_secret (RFC 7627), renegotiation_info (RFC 5746),
 * max_fragment_length (RFC 6066 §4) and record_size_limit (RFC 8449).
 * Others are skipped in a ClientHello and flagged in a ServerHello.
 */
#include "dtls/dtls_int.h"

int cs_ext_parse(const uint8_t *p, size_t n, bool in_server_hello, cs_exts *e) {
    memset(e, 0, sizeof *e);
    cs_rd r;
    cs_rd_init(&r, p, n);
    uint32_t seen = 0; /* duplicates of the known ones are an error */
    while (r.left > 0) {
        unsigned type = cs_rd_u16(&r);
        size_t len;
        const uint8_t *d = cs_rd_vec(&r, 2, &len);
        if (r.err)
            return COAPSEC_ERR_FORMAT;
        unsigned bit = 0;
        switch (type) {
        case CS_EXT_EMS:
            if (len != 0)
                return COAPSEC_ERR_FORMAT;
            e->ems = true;
            bit = 1;
            break;
        case CS_EXT_RENEGOTIATION_INFO:
            /* Initial handshake: renegotiated_connection must be empty. */
            if (len < 1 || d[0] != len - 1)
                return COAPSEC_ERR_FORMAT;
            e->reneg = true;
            e->reneg_bad = d[0] != 0;
            bit = 2;
            break;
        case CS_EXT_MAX_FRAGMENT_LENGTH:
            if (len != 1 || d[0] < 1 || d[0] > 4)
                return COAPSEC_ERR_FORMAT;
            e->mfl = d[0];
            bit = 4;
            break;
        case CS_EXT_RECORD_SIZE_LIMIT:
            if (len != 2 || cs_get16(d) < 64)
                return COAPSEC_ERR_FORMAT;
            e->rsl = cs_get16(d);
            bit = 8;
            break;
        default:
            if (in_server_hello)
                e->unknown_in_sh = true;
            break;
        }
        if (bit) {
            if (seen & bit)
                return COAPSEC_ERR_FORMAT;
            seen |= bit;
        }
    }
    return 0;
}

uint16_t cs_ext_plain_limit(uint8_t mfl, uint16_t rsl) {
    uint16_t lim = 16384;
    if (rsl) /* RFC 8449 §4: takes precedence over max_fragment_length */
        return rsl < lim ? rsl : lim;
    if (mfl >= 1 && mfl <= 4)
        lim = (uint16_t)(256u << mfl); /* 1: 2^9 ... 4: 2^12 */
    return lim;
}
