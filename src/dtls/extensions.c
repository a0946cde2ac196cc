/*
 * dtls/extensions.c - the hello extensions the engine understands:
 * extended_master_secret (RFC 7627), renegotiation_info (RFC 5746),
 * max_fragment_length (RFC 6066 §4) and record_size_limit (RFC 8449), and
 * for 0xC0AE supported_groups / ec_point_formats (RFC 8422 §5.1),
 * signature_algorithms (RFC 5246 §7.4.1.4.1) and the certificate types
 * (RFC 7250 §3), heartbeat (RFC 6520 §2) and SessionTicket (RFC 5077
 * §3.2). Others are skipped in a ClientHello and flagged in a
 * ServerHello.
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
        case CS_EXT_SUPPORTED_GROUPS: {
            if (in_server_hello || len < 2 || cs_get16(d) != len - 2 || (len & 1))
                return COAPSEC_ERR_FORMAT;
            e->has_groups = true;
            for (size_t i = 2; i < len; i += 2)
                if (cs_get16(d + i) == CS_GROUP_SECP256R1)
                    e->p256 = true;
            bit = 16;
            break;
        }
        case CS_EXT_EC_POINT_FORMATS:
            if (len < 2 || d[0] != len - 1)
                return COAPSEC_ERR_FORMAT;
            e->has_pf = true;
            e->pf_uncompressed = memchr(d + 1, 0, len - 1) != NULL;
            bit = 32;
            break;
        case CS_EXT_SIGNATURE_ALGORITHMS:
            if (in_server_hello || len < 4 || cs_get16(d) != len - 2 || (len & 1))
                return COAPSEC_ERR_FORMAT;
            e->has_sigalgs = true;
            for (size_t i = 2; i < len; i += 2)
                if (cs_get16(d + i) == CS_SIG_ECDSA_P256)
                    e->ecdsa_p256_sha256 = true;
            bit = 64;
            break;
        case CS_EXT_CLIENT_CERT_TYPE:
        case CS_EXT_SERVER_CERT_TYPE: {
            bool cli = type == CS_EXT_CLIENT_CERT_TYPE;
            uint8_t chosen = 0;
            const uint8_t *list = NULL;
            size_t ln = 0;
            if (in_server_hello) { /* one type: the one chosen (RFC 7250 §3) */
                if (len != 1)
                    return COAPSEC_ERR_FORMAT;
                chosen = d[0] == CS_WIRE_CT_X509  ? COAPSEC_DTLS_CT_X509
                         : d[0] == CS_WIRE_CT_RPK ? COAPSEC_DTLS_CT_RPK
                                                  : 0;
            } else {
                if (len < 2 || d[0] != len - 1)
                    return COAPSEC_ERR_FORMAT;
                list = d + 1;
                ln = len - 1;
            }
            if (cli) {
                e->has_cct = true;
                e->cct = chosen;
                e->cct_list = list;
                e->cct_len = ln;
            } else {
                e->has_sct = true;
                e->sct = chosen;
                e->sct_list = list;
                e->sct_len = ln;
            }
            bit = cli ? 128 : 256;
            break;
        }
        case CS_EXT_HEARTBEAT:
            /* An unknown mode is kept as 0xFF: the caller answers illegal_parameter. */
            if (len != 1)
                return COAPSEC_ERR_FORMAT;
            e->hb_mode = (d[0] == COAPSEC_DTLS_HB_ALLOWED || d[0] == COAPSEC_DTLS_HB_NOT_ALLOWED)
                             ? d[0]
                             : 0xFF;
            bit = 1024;
            break;
        case CS_EXT_SESSION_TICKET:
            if (in_server_hello && len != 0) /* RFC 5077 §3.2: empty in a ServerHello */
                return COAPSEC_ERR_FORMAT;
            e->has_ticket = true;
            e->ticket = d;
            e->ticket_len = len;
            bit = 2048;
            break;
        case CS_EXT_SERVER_NAME:
            /* Tolerated whatever it holds (libcoap sends IP literals, RFC 6066
             * §3 forbids them). In a ServerHello it is only valid (empty) as an
             * answer to ours: flagged, the client decides. */
            if (in_server_hello)
                e->unknown_in_sh = e->sni_in_sh = true;
            bit = 512;
            break;
        default:
            if (in_server_hello)
                e->unknown_in_sh = e->foreign_in_sh = true;
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
