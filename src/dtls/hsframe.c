/*
 * dtls/hsframe.c - handshake message framing (RFC 6347 §4.2.2): the 12-byte
 * handshake header, reassembly of a message from fragments arriving in any
 * order (overlaps included, size capped), the transcript hash over messages
 * as if unfragmented (§4.2.6), and flights: storage of our last flight, its
 * fragmentation to the path MTU and its retransmission timer (§4.2.4).
 */
#include "dtls/dtls_int.h"

_Static_assert(sizeof(((coapsec_dtls_hs *)0)->transcript) >= sizeof(cs_sha256_ctx),
               "transcript state too small");

enum { FL_HS = 0, FL_CCS = 1 };
#define FL_ENTRY_HDR 5 /* kind(1) epoch(2) len(2) */

int cs_hs_parse(const uint8_t *p, size_t n, cs_hsfrag *f) {
    if (n < CS_HS_HDR)
        return COAPSEC_ERR_FORMAT;
    f->type = p[0];
    f->len = cs_get24(p + 1);
    f->seq = cs_get16(p + 4);
    f->off = cs_get24(p + 6);
    f->flen = cs_get24(p + 9);
    if (f->flen > n - CS_HS_HDR || f->off > f->len || f->flen > f->len - f->off)
        return COAPSEC_ERR_FORMAT;
    f->body = p + CS_HS_HDR;
    return (int)(CS_HS_HDR + f->flen);
}

void cs_hs_header(uint8_t *p, uint8_t type, uint32_t len, uint16_t seq, uint32_t off,
                  uint32_t flen) {
    p[0] = type;
    cs_put24(p + 1, len);
    cs_put16(p + 4, seq);
    cs_put24(p + 6, off);
    cs_put24(p + 9, flen);
}

void cs_reasm_reset(coapsec_dtls_hs *hs) {
    hs->rx_active = 0;
    hs->rx_len = 0;
    memset(hs->rx_map, 0, sizeof hs->rx_map);
}

/* Mark bytes [a, b) received: whole bytes of the map at once. */
static void map_set(uint8_t *m, uint32_t a, uint32_t b) {
    for (; a < b && (a & 7); a++)
        m[a >> 3] |= (uint8_t)(1u << (a & 7));
    if (b - a >= 8) {
        uint32_t whole = (b - a) >> 3;
        memset(m + (a >> 3), 0xFF, whole);
        a += whole << 3;
    }
    for (; a < b; a++)
        m[a >> 3] |= (uint8_t)(1u << (a & 7));
}

/* Are bytes [0, len) all received? */
static bool map_full(const uint8_t *m, uint32_t len) {
    for (uint32_t i = 0; i < len >> 3; i++)
        if (m[i] != 0xFF)
            return false;
    uint8_t tail = (uint8_t)((1u << (len & 7)) - 1);
    return tail == 0 || (m[len >> 3] & tail) == tail;
}

int cs_reasm_add(coapsec_dtls_hs *hs, const cs_hsfrag *f) {
    if (f->len > COAPSEC_DTLS_HS_MSG_MAX)
        return COAPSEC_ERR_NOMEM;
    if (!hs->rx_active) {
        hs->rx_type = f->type;
        hs->rx_len = f->len;
        memcpy(hs->rx_buf + f->off, f->body, f->flen);
        if (f->off == 0 && f->flen == f->len)
            return 1; /* the common case, unfragmented: the map is not needed */
        hs->rx_active = 1;
        /* only the map bytes this message uses (the tail byte included) */
        memset(hs->rx_map, 0, f->len / 8 + (f->len < COAPSEC_DTLS_HS_MSG_MAX));
    } else if (hs->rx_type != f->type || hs->rx_len != f->len) {
        return COAPSEC_ERR_FORMAT;
    } else {
        memcpy(hs->rx_buf + f->off, f->body, f->flen);
    }
    map_set(hs->rx_map, f->off, f->off + f->flen);
    return map_full(hs->rx_map, hs->rx_len) ? 1 : 0;
}

void cs_transcript_reset(coapsec_dtls_hs *hs) {
    cs_sha256_init((cs_sha256_ctx *)(void *)hs->transcript);
}

void cs_transcript_add(coapsec_dtls_hs *hs, const uint8_t *p, size_t n) {
    cs_sha256_update((cs_sha256_ctx *)(void *)hs->transcript, p, n);
}

void cs_transcript_hash(const coapsec_dtls_hs *hs, uint8_t out[32]) {
    cs_sha256_final((const cs_sha256_ctx *)(const void *)hs->transcript, out);
}

void cs_flight_begin(coapsec_dtls_hs *hs) {
    hs->flight_len = 0;
    hs->retries = 0;
    hs->last_flight_final = 0;
}

static int flight_entry(coapsec_dtls_hs *hs, uint8_t kind, uint16_t epoch, size_t len,
                        uint8_t **data) {
    if (len > 0xFFFF || (size_t)hs->flight_len + FL_ENTRY_HDR + len > sizeof hs->flight)
        return COAPSEC_ERR_NOMEM;
    uint8_t *e = hs->flight + hs->flight_len;
    e[0] = kind;
    cs_put16(e + 1, epoch);
    cs_put16(e + 3, (uint32_t)len);
    *data = e + FL_ENTRY_HDR;
    hs->flight_len = (uint16_t)(hs->flight_len + FL_ENTRY_HDR + len);
    return 0;
}

int cs_flight_add_hs(coapsec_dtls_conn *c, uint8_t type, const uint8_t *body, size_t len) {
    coapsec_dtls_hs *hs = c->hs;
    uint8_t *d;
    int rc = flight_entry(hs, FL_HS, c->write_epoch, CS_HS_HDR + len, &d);
    if (rc)
        return rc;
    cs_hs_header(d, type, (uint32_t)len, hs->send_seq++, 0, (uint32_t)len);
    if (len)
        memcpy(d + CS_HS_HDR, body, len);
    /* HelloVerifyRequest and the first ClientHello stay out of the transcript:
     * the callers reset it when the cookie exchange happens. */
    cs_transcript_add(hs, d, CS_HS_HDR + len);
    return 0;
}

int cs_flight_add_ccs(coapsec_dtls_conn *c) {
    uint8_t *d;
    int rc = flight_entry(c->hs, FL_CCS, c->write_epoch, 0, &d);
    if (rc)
        return rc;
    c->write_epoch++;
    c->write_seq = 0;
    return 0;
}

static size_t flight_cap(const coapsec_dtls_conn *c) {
    size_t cap = c->cfg->mtu ? c->cfg->mtu : 1280;
    if (c->hs->max_frag && c->hs->max_frag < cap)
        cap = c->hs->max_frag;
    if (cap > COAPSEC_DTLS_DGRAM_MAX)
        cap = COAPSEC_DTLS_DGRAM_MAX;
    return cap;
}

static void flush(coapsec_dtls_conn *c, const uint8_t *dg, size_t *used) {
    if (*used && c->cfg->cb.send)
        c->cfg->cb.send(c->user, dg, *used);
    *used = 0;
}

int cs_flight_send(coapsec_dtls_conn *c, coapsec_tstamp now) {
    coapsec_dtls_hs *hs = c->hs;
    uint8_t dg[COAPSEC_DTLS_DGRAM_MAX];
    uint8_t frag[COAPSEC_DTLS_DGRAM_MAX];
    size_t cap = flight_cap(c), used = 0;
    size_t plain_lim = c->max_plain ? c->max_plain : 16384;
    for (size_t pos = 0; pos < hs->flight_len;) {
        const uint8_t *e = hs->flight + pos;
        uint8_t kind = e[0];
        uint16_t epoch = cs_get16(e + 1);
        size_t len = cs_get16(e + 3);
        const uint8_t *d = e + FL_ENTRY_HDR;
        pos += FL_ENTRY_HDR + len;
        size_t ovh = CS_REC_HDR + (epoch ? CS_AEAD_OVH : 0);
        if (kind == FL_CCS) {
            uint8_t one = 1;
            if (used + ovh + 1 > cap)
                flush(c, dg, &used);
            int rc = cs_append_record(c, dg, cap, &used, CS_CT_CCS, epoch, &one, 1);
            if (rc)
                return rc;
            continue;
        }
        size_t mlen = len - CS_HS_HDR;
        size_t off = 0;
        bool first = true;
        while (first || off < mlen) {
            size_t room = used + ovh + CS_HS_HDR < cap ? cap - used - ovh - CS_HS_HDR : 0;
            if (room > plain_lim - CS_HS_HDR)
                room = plain_lim - CS_HS_HDR;
            size_t want = mlen - off;
            if (used && (room == 0 || (room < want && room < 32))) {
                flush(c, dg, &used);
                continue;
            }
            if (room == 0)
                return COAPSEC_ERR_NOBUF;
            size_t n = want < room ? want : room;
            cs_hs_header(frag, d[0], (uint32_t)mlen, cs_get16(d + 4), (uint32_t)off, (uint32_t)n);
            memcpy(frag + CS_HS_HDR, d + CS_HS_HDR + off, n);
            int rc =
                cs_append_record(c, dg, cap, &used, CS_CT_HANDSHAKE, epoch, frag, CS_HS_HDR + n);
            if (rc)
                return rc;
            off += n;
            first = false;
        }
    }
    flush(c, dg, &used);
    return 0;
}

void cs_flight_arm(coapsec_dtls_conn *c, bool final, coapsec_tstamp now) {
    coapsec_dtls_hs *hs = c->hs;
    hs->last_flight_final = final;
    if (final) {
        hs->deadline = COAPSEC_TSTAMP_NONE;
        return;
    }
    if (hs->retries == 0)
        hs->timeout_ms = c->cfg->retrans_initial_ms ? c->cfg->retrans_initial_ms : 1000;
    hs->deadline = now + hs->timeout_ms;
}
