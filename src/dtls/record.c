/*
 * dtls/record.c - the DTLS 1.2 record layer (RFC 6347 §4.1): record header
 * parsing and writing, AES-128-CCM-8 protection with the RFC 6655 / RFC 5246
 * §6.2.3.3 nonce and additional data, and the 64-record anti-replay window
 * (§4.1.2.6). Also the bounded byte reader used by every parser.
 */
#include "dtls/dtls_int.h"

const uint8_t *cs_rd_bytes(cs_rd *r, size_t n) {
    if (r->err || r->left < n) {
        r->err = true;
        return NULL;
    }
    const uint8_t *p = r->p;
    r->p += n;
    r->left -= n;
    return p;
}

unsigned cs_rd_u8(cs_rd *r) {
    const uint8_t *p = cs_rd_bytes(r, 1);
    return p ? p[0] : 0;
}

unsigned cs_rd_u16(cs_rd *r) {
    const uint8_t *p = cs_rd_bytes(r, 2);
    return p ? cs_get16(p) : 0;
}

const uint8_t *cs_rd_vec(cs_rd *r, int lenbytes, size_t *len) {
    size_t n = lenbytes == 1 ? cs_rd_u8(r) : cs_rd_u16(r);
    *len = 0;
    if (r->err)
        return NULL;
    const uint8_t *p = cs_rd_bytes(r, n);
    if (p)
        *len = n;
    return p;
}

int cs_rec_parse(uint8_t *p, size_t n, cs_record *r) {
    if (n < CS_REC_HDR)
        return COAPSEC_ERR_FORMAT;
    size_t len = cs_get16(p + 11);
    if (len > n - CS_REC_HDR)
        return COAPSEC_ERR_FORMAT; /* no record across datagrams */
    r->type = p[0];
    r->version = cs_get16(p + 1);
    r->epoch = cs_get16(p + 3);
    r->seq = cs_get48(p + 5);
    r->frag = p + CS_REC_HDR;
    r->len = len;
    return 0;
}

/* AAD = epoch||seq (8) || type || version || plaintext length. */
static void make_aad(uint8_t aad[13], uint8_t type, uint16_t version, uint16_t epoch, uint64_t seq,
                     size_t ptlen) {
    cs_put16(aad, epoch);
    cs_put48(aad + 2, seq);
    aad[8] = type;
    cs_put16(aad + 9, version);
    cs_put16(aad + 11, (uint32_t)ptlen);
}

int cs_rec_write(uint8_t *out, size_t cap, uint8_t type, uint16_t version, uint16_t epoch,
                 uint64_t seq, const uint8_t *key, const uint8_t *iv, const uint8_t *pt,
                 size_t ptlen) {
    size_t body = key ? ptlen + CS_AEAD_OVH : ptlen;
    if (body > 0xFFFF || cap < CS_REC_HDR + body || seq > CS_SEQ_MAX)
        return COAPSEC_ERR_NOBUF;
    out[0] = type;
    cs_put16(out + 1, version);
    cs_put16(out + 3, epoch);
    cs_put48(out + 5, seq);
    cs_put16(out + 11, (uint32_t)body);
    uint8_t *b = out + CS_REC_HDR;
    if (!key) {
        if (ptlen)
            memmove(b, pt, ptlen);
        return (int)(CS_REC_HDR + body);
    }
    uint8_t nonce[CS_CCM_NONCE_LEN], aad[13];
    memcpy(nonce, iv, 4);
    cs_put16(nonce + 4, epoch);
    cs_put48(nonce + 6, seq);
    memcpy(b, nonce + 4, CS_AEAD_EXPL); /* explicit nonce = epoch||seq */
    make_aad(aad, type, version, epoch, seq, ptlen);
    if (cs_ccm8_seal(key, nonce, aad, sizeof aad, pt, ptlen, b + CS_AEAD_EXPL) != 0)
        return COAPSEC_ERR_CRYPTO;
    return (int)(CS_REC_HDR + body);
}

int cs_rec_open(cs_record *r, const uint8_t *key, const uint8_t *iv) {
    if (r->len < CS_AEAD_OVH)
        return COAPSEC_ERR_DECRYPT;
    size_t ptlen = r->len - CS_AEAD_OVH;
    uint8_t nonce[CS_CCM_NONCE_LEN], aad[13];
    memcpy(nonce, iv, 4);
    memcpy(nonce + 4, r->frag, CS_AEAD_EXPL);
    make_aad(aad, r->type, r->version, r->epoch, r->seq, ptlen);
    uint8_t *ct = r->frag + CS_AEAD_EXPL;
    if (cs_ccm8_open(key, nonce, aad, sizeof aad, ct, ptlen + CS_CCM8_TAG_LEN, ct) != 0)
        return COAPSEC_ERR_DECRYPT;
    r->frag = ct;
    r->len = ptlen;
    return 0;
}

bool cs_replay_ok(uint64_t top, uint64_t bits, uint64_t seq) {
    if (seq > top)
        return true;
    uint64_t d = top - seq;
    if (d >= CS_REPLAY_BITS)
        return false;
    return !((bits >> d) & 1u);
}

void cs_replay_mark(uint64_t *top, uint64_t *bits, uint64_t seq) {
    if (seq > *top) {
        uint64_t d = seq - *top;
        *bits = d >= CS_REPLAY_BITS ? 0 : *bits << d;
        *bits |= 1u;
        *top = seq;
    } else {
        uint64_t d = *top - seq;
        if (d < CS_REPLAY_BITS)
            *bits |= UINT64_C(1) << d;
    }
}
