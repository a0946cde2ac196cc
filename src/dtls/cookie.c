/*
 * dtls/cookie.c - the server's stateless first contact (RFC 6347 §4.2.1):
 * ClientHello parsing, the cookie (HMAC-SHA256 under a rotating secret over
 * the client's address and the ClientHello's version, random, session_id,
 * cipher_suites and compression_methods) and the HelloVerifyRequest.
 * Nothing is allocated before a cookie verifies.
 */
#include "dtls/dtls_int.h"

int cs_client_hello_parse(const uint8_t *p, size_t n, cs_client_hello *ch) {
    cs_rd r;
    cs_rd_init(&r, p, n);
    memset(ch, 0, sizeof *ch);
    ch->version = (uint16_t)cs_rd_u16(&r);
    ch->random = cs_rd_bytes(&r, 32);
    ch->sid = cs_rd_vec(&r, 1, &ch->sid_len);
    ch->cookie = cs_rd_vec(&r, 1, &ch->cookie_len);
    ch->suites = cs_rd_vec(&r, 2, &ch->suites_len);
    ch->comp = cs_rd_vec(&r, 1, &ch->comp_len);
    if (r.err || ch->sid_len > 32 || ch->suites_len < 2 || (ch->suites_len & 1) || ch->comp_len < 1)
        return COAPSEC_ERR_FORMAT;
    if (r.left > 0) {
        ch->has_ext = true;
        ch->ext = cs_rd_vec(&r, 2, &ch->ext_len);
        if (r.err || r.left != 0)
            return COAPSEC_ERR_FORMAT;
    }
    return 0;
}

void cs_cookie_compute(const uint8_t secret[32], const void *addr, size_t addrlen,
                       const cs_client_hello *ch, uint8_t out[CS_COOKIE_LEN]) {
    /* Each field is length-prefixed so that no two inputs collide. */
    uint8_t buf[2 + 128 + 2 + 32 + 1 + 32 + 2 + 512 + 1 + 255];
    size_t n = 0;
    if (addrlen > 128)
        addrlen = 128;
    size_t sl = ch->suites_len > 512 ? 512 : ch->suites_len;
    cs_put16(buf + n, (uint32_t)addrlen);
    n += 2;
    memcpy(buf + n, addr, addrlen);
    n += addrlen;
    cs_put16(buf + n, ch->version);
    n += 2;
    memcpy(buf + n, ch->random, 32);
    n += 32;
    buf[n++] = (uint8_t)ch->sid_len;
    memcpy(buf + n, ch->sid, ch->sid_len);
    n += ch->sid_len;
    cs_put16(buf + n, (uint32_t)ch->suites_len);
    n += 2;
    memcpy(buf + n, ch->suites, sl);
    n += sl;
    buf[n++] = (uint8_t)ch->comp_len;
    memcpy(buf + n, ch->comp, ch->comp_len);
    n += ch->comp_len;
    uint8_t mac[32];
    cs_hmac_sha256_k32(secret, buf, n, mac); /* the secret lasts for many cookies */
    memcpy(out, mac, CS_COOKIE_LEN);
}

static int new_secret(coapsec_dtls_server *s, uint8_t out[32]) {
#ifdef COAPSEC_FUZZING
    memset(out, 0x5a, 32); /* fixed: fuzz seeds carry valid cookies */
    (void)s;
    return 0;
#else
    return cs_cfg_random(s->cfg, out, 32);
#endif
}

int coapsec_dtls_server_init(coapsec_dtls_server *s, const coapsec_dtls_config *cfg,
                             coapsec_tstamp now) {
    if (!s || !cfg)
        return COAPSEC_ERR_INVAL;
    memset(s, 0, sizeof *s);
    s->cfg = cfg;
    s->rotated_at = now;
    return new_secret(s, s->secret[0]);
}

int coapsec_dtls_server_rotate(coapsec_dtls_server *s, coapsec_tstamp now) {
    uint8_t fresh[32];
    int rc = new_secret(s, fresh);
    if (rc)
        return rc;
    memcpy(s->secret[1], s->secret[0], 32);
    memcpy(s->secret[0], fresh, 32);
    cs_wipe(fresh, sizeof fresh);
    s->have_prev = 1;
    s->rotated_at = now;
    return 0;
}

int coapsec_dtls_server_hello(coapsec_dtls_server *s, const void *addr, size_t addrlen,
                              const uint8_t *dgram, size_t len, uint8_t *out, size_t *outlen,
                              coapsec_tstamp now) {
    if (!s || !dgram || !out || !outlen || (!addr && addrlen))
        return COAPSEC_DTLS_HELLO_DROP;
    size_t cap = *outlen;
    *outlen = 0;
    uint32_t life = s->cfg->cookie_lifetime_ms ? s->cfg->cookie_lifetime_ms : 60000;
    if (now >= s->rotated_at + life)
        coapsec_dtls_server_rotate(s, now);

    /* First record: an epoch-0 handshake record holding one whole ClientHello. */
    if (len < CS_REC_HDR || dgram[0] != CS_CT_HANDSHAKE || cs_get16(dgram + 3) != 0)
        return COAPSEC_DTLS_HELLO_DROP;
    uint16_t rver = cs_get16(dgram + 1);
    if (rver != CS_DTLS12 && rver != CS_DTLS10)
        return COAPSEC_DTLS_HELLO_DROP;
    size_t rlen = cs_get16(dgram + 11);
    if (rlen > len - CS_REC_HDR)
        return COAPSEC_DTLS_HELLO_DROP;
    cs_hsfrag f;
    if (cs_hs_parse(dgram + CS_REC_HDR, rlen, &f) < 0 || f.type != CS_HT_CLIENT_HELLO)
        return COAPSEC_DTLS_HELLO_DROP;
    if (f.off != 0 || f.flen != f.len) /* a fragmented initial ClientHello is dropped */
        return COAPSEC_DTLS_HELLO_DROP;
    cs_client_hello ch;
    if (cs_client_hello_parse(f.body, f.flen, &ch) != 0)
        return COAPSEC_DTLS_HELLO_DROP;

    uint8_t expect[CS_COOKIE_LEN];
    if (ch.cookie_len == CS_COOKIE_LEN) {
        for (int i = 0; i <= (s->have_prev ? 1 : 0); i++) {
            cs_cookie_compute(s->secret[i], addr, addrlen, &ch, expect);
            if (cs_ct_memcmp(expect, ch.cookie, CS_COOKIE_LEN) == 0)
                return COAPSEC_DTLS_HELLO_ACCEPT;
        }
    }
    /* HelloVerifyRequest: same record sequence number and message_seq as the
     * ClientHello, version {254,255}, never larger than the ClientHello. */
    size_t body = 2 + 1 + CS_COOKIE_LEN;
    size_t total = CS_REC_HDR + CS_HS_HDR + body;
    if (total > CS_REC_HDR + rlen || total > cap)
        return COAPSEC_DTLS_HELLO_DROP;
    cs_cookie_compute(s->secret[0], addr, addrlen, &ch, expect);
    out[0] = CS_CT_HANDSHAKE;
    cs_put16(out + 1, CS_DTLS10);
    memcpy(out + 3, dgram + 3, 8); /* epoch 0 || the ClientHello's sequence number */
    cs_put16(out + 11, (uint32_t)(CS_HS_HDR + body));
    cs_hs_header(out + CS_REC_HDR, CS_HT_HELLO_VERIFY, (uint32_t)body, f.seq, 0, (uint32_t)body);
    uint8_t *b = out + CS_REC_HDR + CS_HS_HDR;
    cs_put16(b, CS_DTLS10);
    b[2] = CS_COOKIE_LEN;
    memcpy(b + 3, expect, CS_COOKIE_LEN);
    *outlen = total;
    return COAPSEC_DTLS_HELLO_HVR;
}
