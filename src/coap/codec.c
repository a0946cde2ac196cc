/*
 * codec.c - the CoAP message codec (RFC 7252 §3): decoding a datagram into a
 * coapsec_msg (zero-copy, values point into the datagram), encoding a
 * coapsec_msg with the shortest option delta/length forms, and the helpers
 * that keep the option list sorted (add_opt, add_uint, find, del_opt) and read
 * uint option values (§3.2).
 */
#include "coapsec/msg.h"

#include <limits.h>
#include <string.h>

#define CS_PAYLOAD_MARKER 0xFF

/*
 * Read the extended part of an option delta or length nibble (§3.1): 13 means
 * one more byte (+13), 14 two more bytes (+269), 15 is reserved. Returns 0 and
 * stores the value, or COAPSEC_ERR_FORMAT.
 */
static int cs_read_ext(uint32_t nibble, const uint8_t *buf, size_t len, size_t *pos,
                       uint32_t *out) {
    if (nibble < 13) {
        *out = nibble;
        return 0;
    }
    if (nibble == 13) {
        if (len - *pos < 1)
            return COAPSEC_ERR_FORMAT;
        *out = (uint32_t)buf[*pos] + 13;
        *pos += 1;
        return 0;
    }
    if (nibble == 14) {
        if (len - *pos < 2)
            return COAPSEC_ERR_FORMAT;
        *out = (((uint32_t)buf[*pos] << 8) | buf[*pos + 1]) + 269;
        *pos += 2;
        return 0;
    }
    return COAPSEC_ERR_FORMAT; /* 15: reserved outside the payload marker */
}

int coapsec_msg_decode(coapsec_msg *m, const uint8_t *buf, size_t len) {
    if (m == NULL || (buf == NULL && len > 0))
        return COAPSEC_ERR_INVAL;
    m->type = 0;
    m->code = 0;
    m->mid = 0;
    m->tkl = 0;
    m->nopts = 0;
    m->payload = NULL;
    m->payload_len = 0;
    if (len < 4)
        return COAPSEC_ERR_FORMAT;

    /* §3: Ver (2 bits) | T (2 bits) | TKL (4 bits) | Code | Message ID. */
    unsigned ver = buf[0] >> 6;
    unsigned tkl = buf[0] & 0x0f;
    m->type = (uint8_t)((buf[0] >> 4) & 0x03);
    m->code = buf[1];
    m->mid = (uint16_t)(((uint16_t)buf[2] << 8) | buf[3]);
    if (ver != 1)
        return COAPSEC_ERR_FORMAT;
    if (tkl > COAPSEC_MAX_TOKEN)
        return COAPSEC_ERR_FORMAT; /* TKL 9-15 are reserved */
    if (m->code == COAPSEC_EMPTY && (tkl != 0 || len != 4))
        return COAPSEC_ERR_FORMAT; /* §4.1: nothing may follow the Message ID */
    if (len - 4 < tkl)
        return COAPSEC_ERR_FORMAT;
    m->tkl = (uint8_t)tkl;
    memcpy(m->token, buf + 4, tkl);

    size_t pos = 4 + tkl;
    uint32_t num = 0;
    while (pos < len) {
        uint8_t b = buf[pos++];
        if (b == CS_PAYLOAD_MARKER) {
            if (pos == len)
                return COAPSEC_ERR_FORMAT; /* marker followed by a zero-length payload */
            m->payload = buf + pos;
            m->payload_len = len - pos;
            return 0;
        }
        uint32_t delta, olen;
        if (cs_read_ext(b >> 4, buf, len, &pos, &delta) != 0)
            return COAPSEC_ERR_FORMAT;
        if (cs_read_ext(b & 0x0f, buf, len, &pos, &olen) != 0)
            return COAPSEC_ERR_FORMAT;
        num += delta;
        if (num > UINT16_MAX)
            return COAPSEC_ERR_FORMAT;
        if (olen > len - pos || olen > UINT16_MAX)
            return COAPSEC_ERR_FORMAT;
        if (m->nopts >= COAPSEC_MAX_OPTIONS)
            return COAPSEC_ERR_NOMEM;
        coapsec_opt *o = &m->opts[m->nopts++];
        o->num = (uint16_t)num;
        o->len = (uint16_t)olen;
        o->val = buf + pos;
        pos += olen;
    }
    return 0;
}

/* Size of the extended bytes needed for a delta or length value. */
static size_t cs_ext_size(uint32_t v) {
    return v < 13 ? 0 : v < 269 ? 1 : 2;
}

static uint8_t cs_nibble(uint32_t v) {
    return (uint8_t)(v < 13 ? v : v < 269 ? 13 : 14);
}

static size_t cs_put_ext(uint8_t *p, uint32_t v) {
    if (v < 13)
        return 0;
    if (v < 269) {
        p[0] = (uint8_t)(v - 13);
        return 1;
    }
    p[0] = (uint8_t)((v - 269) >> 8);
    p[1] = (uint8_t)(v - 269);
    return 2;
}

int coapsec_msg_encode(const coapsec_msg *m, uint8_t *buf, size_t cap) {
    if (m == NULL || (buf == NULL && cap > 0))
        return COAPSEC_ERR_INVAL;
    if (m->type > COAPSEC_RST || m->tkl > COAPSEC_MAX_TOKEN || m->nopts > COAPSEC_MAX_OPTIONS)
        return COAPSEC_ERR_INVAL;
    if (m->payload == NULL && m->payload_len > 0)
        return COAPSEC_ERR_INVAL;
    if (m->code == COAPSEC_EMPTY && (m->tkl != 0 || m->nopts != 0 || m->payload_len != 0))
        return COAPSEC_ERR_INVAL; /* §4.1 */

    /* First pass: validate the options and compute the size. */
    size_t need = 4 + (size_t)m->tkl;
    uint32_t prev = 0;
    for (uint16_t i = 0; i < m->nopts; i++) {
        const coapsec_opt *o = &m->opts[i];
        if (o->num < prev)
            return COAPSEC_ERR_INVAL; /* options must be sorted by number */
        if (o->val == NULL && o->len > 0)
            return COAPSEC_ERR_INVAL;
        uint32_t delta = o->num - prev;
        need += 1 + cs_ext_size(delta) + cs_ext_size(o->len) + o->len;
        prev = o->num;
    }
    if (m->payload_len > 0) {
        if (m->payload_len > (size_t)INT_MAX)
            return COAPSEC_ERR_NOBUF;
        need += 1 + m->payload_len;
    }
    if (need > cap || need > (size_t)INT_MAX)
        return COAPSEC_ERR_NOBUF;

    buf[0] = (uint8_t)(0x40 | (m->type << 4) | m->tkl);
    buf[1] = m->code;
    buf[2] = (uint8_t)(m->mid >> 8);
    buf[3] = (uint8_t)m->mid;
    memcpy(buf + 4, m->token, m->tkl);
    size_t pos = 4 + (size_t)m->tkl;
    prev = 0;
    for (uint16_t i = 0; i < m->nopts; i++) {
        const coapsec_opt *o = &m->opts[i];
        uint32_t delta = o->num - prev;
        buf[pos++] = (uint8_t)(cs_nibble(delta) << 4 | cs_nibble(o->len));
        pos += cs_put_ext(buf + pos, delta);
        pos += cs_put_ext(buf + pos, o->len);
        if (o->len > 0)
            memcpy(buf + pos, o->val, o->len);
        pos += o->len;
        prev = o->num;
    }
    if (m->payload_len > 0) {
        buf[pos++] = CS_PAYLOAD_MARKER;
        memcpy(buf + pos, m->payload, m->payload_len);
        pos += m->payload_len;
    }
    return (int)pos;
}

int coapsec_msg_add_opt(coapsec_msg *m, uint16_t num, const void *val, size_t len) {
    if (m == NULL || len > UINT16_MAX || (val == NULL && len > 0))
        return COAPSEC_ERR_INVAL;
    if (m->nopts >= COAPSEC_MAX_OPTIONS)
        return COAPSEC_ERR_NOMEM;
    /* Insert after every option with a number <= num (stable for repeats). */
    uint16_t at = m->nopts;
    while (at > 0 && m->opts[at - 1].num > num)
        at--;
    memmove(&m->opts[at + 1], &m->opts[at], (size_t)(m->nopts - at) * sizeof m->opts[0]);
    m->opts[at].num = num;
    m->opts[at].len = (uint16_t)len;
    m->opts[at].val = (const uint8_t *)val;
    m->nopts++;
    return 0;
}

int coapsec_msg_add_uint(coapsec_msg *m, uint16_t num, uint32_t v, uint8_t scratch[4]) {
    if (m == NULL || scratch == NULL)
        return COAPSEC_ERR_INVAL;
    size_t n = 0;
    for (uint32_t t = v; t != 0; t >>= 8)
        n++;
    for (size_t i = 0; i < n; i++)
        scratch[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    return coapsec_msg_add_opt(m, num, scratch, n);
}

const coapsec_opt *coapsec_msg_find(const coapsec_msg *m, uint16_t num) {
    if (m == NULL)
        return NULL;
    for (uint16_t i = 0; i < m->nopts && i < COAPSEC_MAX_OPTIONS; i++)
        if (m->opts[i].num == num)
            return &m->opts[i];
    return NULL;
}

int coapsec_opt_uint(const coapsec_opt *o, uint32_t *out) {
    if (o == NULL || out == NULL || (o->val == NULL && o->len > 0))
        return COAPSEC_ERR_INVAL;
    if (o->len > 4)
        return COAPSEC_ERR_FORMAT;
    uint32_t v = 0;
    for (uint16_t i = 0; i < o->len; i++)
        v = (v << 8) | o->val[i];
    *out = v;
    return 0;
}

void coapsec_msg_del_opt(coapsec_msg *m, uint16_t num) {
    if (m == NULL)
        return;
    uint16_t w = 0;
    for (uint16_t r = 0; r < m->nopts && r < COAPSEC_MAX_OPTIONS; r++)
        if (m->opts[r].num != num)
            m->opts[w++] = m->opts[r];
    m->nopts = w;
}
