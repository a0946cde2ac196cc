/*
 * test_cookie.c - the server's stateless cookie exchange (src/dtls/cookie.c,
 * RFC 6347 §4.2.1): HelloVerifyRequest format (record sequence number and
 * message_seq of the ClientHello, version {254,255}, never larger than the
 * ClientHello), cookie bound to the client address and ClientHello fields but
 * not to the extensions, secret rotation (previous secret accepted, older
 * rejected), and dropped inputs (fragmented or malformed ClientHellos).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dtls/dtls_int.h"

static coapsec_dtls_config cfg;
static coapsec_dtls_server srv;
static uint64_t ctr;

static int test_rand(void *user, uint8_t *buf, size_t len) {
    (void)user;
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(ctr++ * 131 + 7);
    return 0;
}

/* A ClientHello datagram: record seq 5, message_seq 0 (or 1 with cookie). */
static size_t make_ch(uint8_t *d, const uint8_t *cookie, size_t clen, uint8_t rnd0, bool with_ext,
                      uint8_t ext_byte) {
    uint8_t b[200];
    size_t n = 0;
    cs_put16(b, CS_DTLS12);
    n += 2;
    memset(b + n, 0x11, 32);
    b[n] = rnd0;
    n += 32;
    b[n++] = 0;
    b[n++] = (uint8_t)clen;
    if (clen)
        memcpy(b + n, cookie, clen);
    n += clen;
    cs_put16(b + n, 4);
    cs_put16(b + n + 2, 0xC0A8);
    cs_put16(b + n + 4, 0x00FF);
    n += 6;
    b[n++] = 1;
    b[n++] = 0;
    if (with_ext) {
        cs_put16(b + n, 5);
        cs_put16(b + n + 2, 0xFF01);
        cs_put16(b + n + 4, 1);
        b[n + 6] = ext_byte;
        n += 7;
    }
    d[0] = CS_CT_HANDSHAKE;
    cs_put16(d + 1, CS_DTLS10);
    cs_put16(d + 3, 0);
    cs_put48(d + 5, 5);
    cs_put16(d + 11, (uint32_t)(CS_HS_HDR + n));
    cs_hs_header(d + 13, CS_HT_CLIENT_HELLO, (uint32_t)n, clen ? 1 : 0, 0, (uint32_t)n);
    memcpy(d + 25, b, n);
    return 25 + n;
}

static int hello(const char *addr, uint8_t *d, size_t n, uint8_t *out, size_t *outlen,
                 coapsec_tstamp now) {
    *outlen = 256;
    return coapsec_dtls_server_hello(&srv, addr, strlen(addr), d, n, out, outlen, now);
}

static void setup_srv(void) {
    coapsec_dtls_config_default(&cfg);
    cfg.rand = test_rand;
    cfg.cookie_lifetime_ms = 1000000;
    assert_int_equal(coapsec_dtls_server_init(&srv, &cfg, 0), 0);
}

/* Get the cookie the server hands out for this ClientHello. */
static void get_cookie(const char *addr, uint8_t rnd0, uint8_t cookie[32], coapsec_tstamp now) {
    uint8_t d[256], out[256];
    size_t n = make_ch(d, NULL, 0, rnd0, true, 0), outlen;
    assert_int_equal(hello(addr, d, n, out, &outlen, now), COAPSEC_DTLS_HELLO_HVR);
    memcpy(cookie, out + 13 + 12 + 3, 32);
}

/* §4.2.1: HVR format and size. */
static void test_hvr_format(void **state) {
    (void)state;
    setup_srv();
    uint8_t d[256], out[256];
    size_t n = make_ch(d, NULL, 0, 1, false, 0), outlen;
    assert_int_equal(hello("10.0.0.1:1000", d, n, out, &outlen, 0), COAPSEC_DTLS_HELLO_HVR);
    assert_true(outlen <= n);
    assert_int_equal(out[0], CS_CT_HANDSHAKE);
    assert_int_equal(cs_get16(out + 1), 0xFEFF);
    assert_memory_equal(out + 3, d + 3, 8); /* epoch 0, the ClientHello's sequence number */
    cs_hsfrag f;
    assert_true(cs_hs_parse(out + 13, outlen - 13, &f) > 0);
    assert_int_equal(f.type, CS_HT_HELLO_VERIFY);
    assert_int_equal(f.seq, 0);
    assert_int_equal(f.off, 0);
    assert_int_equal(f.flen, f.len);
    assert_int_equal(cs_get16(f.body), 0xFEFF);
    assert_int_equal(f.body[2], 32);
    /* no room for the HVR: dropped, nothing written */
    outlen = 10;
    assert_int_equal(coapsec_dtls_server_hello(&srv, "a", 1, d, n, out, &outlen, 0),
                     COAPSEC_DTLS_HELLO_DROP);
    assert_int_equal(outlen, 0);
}

/* Valid cookie accepted; other address, other random rejected; extensions
 * are not covered (they may change between the two ClientHellos). */
static void test_cookie_binding(void **state) {
    (void)state;
    setup_srv();
    uint8_t ck[32], d[256], out[256];
    size_t outlen, n;
    get_cookie("10.0.0.1:1000", 1, ck, 0);
    n = make_ch(d, ck, 32, 1, true, 0);
    assert_int_equal(hello("10.0.0.1:1000", d, n, out, &outlen, 0), COAPSEC_DTLS_HELLO_ACCEPT);
    n = make_ch(d, ck, 32, 1, false, 0);
    assert_int_equal(hello("10.0.0.1:1000", d, n, out, &outlen, 0), COAPSEC_DTLS_HELLO_ACCEPT);
    n = make_ch(d, ck, 32, 1, true, 0);
    assert_int_equal(hello("10.0.0.1:1001", d, n, out, &outlen, 0), COAPSEC_DTLS_HELLO_HVR);
    assert_int_equal(hello("10.0.0.2:1000", d, n, out, &outlen, 0), COAPSEC_DTLS_HELLO_HVR);
    n = make_ch(d, ck, 32, 2, true, 0);
    assert_int_equal(hello("10.0.0.1:1000", d, n, out, &outlen, 0), COAPSEC_DTLS_HELLO_HVR);
    ck[31] ^= 1;
    n = make_ch(d, ck, 32, 1, true, 0);
    assert_int_equal(hello("10.0.0.1:1000", d, n, out, &outlen, 0), COAPSEC_DTLS_HELLO_HVR);
    n = make_ch(d, ck, 16, 1, true, 0); /* wrong length */
    assert_int_equal(hello("10.0.0.1:1000", d, n, out, &outlen, 0), COAPSEC_DTLS_HELLO_HVR);
}

/* Rotation: the previous secret stays valid, the one before is stale; the
 * period rotates by itself. */
static void test_rotation(void **state) {
    (void)state;
    setup_srv();
    uint8_t ck[32], d[256], out[256];
    size_t outlen, n;
    get_cookie("peer", 9, ck, 0);
    n = make_ch(d, ck, 32, 9, true, 0);
    assert_int_equal(coapsec_dtls_server_rotate(&srv, 10), 0);
    assert_int_equal(hello("peer", d, n, out, &outlen, 10), COAPSEC_DTLS_HELLO_ACCEPT);
    assert_int_equal(coapsec_dtls_server_rotate(&srv, 20), 0);
    assert_int_equal(hello("peer", d, n, out, &outlen, 20), COAPSEC_DTLS_HELLO_HVR);
    /* automatic: lifetime 1000 s */
    get_cookie("peer", 9, ck, 30);
    n = make_ch(d, ck, 32, 9, true, 0);
    assert_int_equal(hello("peer", d, n, out, &outlen, 999999), COAPSEC_DTLS_HELLO_ACCEPT);
    assert_int_equal(hello("peer", d, n, out, &outlen, 1000020), COAPSEC_DTLS_HELLO_ACCEPT);
    assert_int_equal(hello("peer", d, n, out, &outlen, 2000020), COAPSEC_DTLS_HELLO_HVR);
}

/* Dropped: fragmented ClientHello, other types, epochs, truncations. */
static void test_drops(void **state) {
    (void)state;
    setup_srv();
    uint8_t d[256], out[256], t[256];
    size_t outlen, n = make_ch(d, NULL, 0, 1, true, 0);
    memcpy(t, d, n);
    cs_put24(t + 13 + 9, cs_get24(t + 13 + 9) - 1); /* fragment_length < length */
    cs_put16(t + 11, cs_get16(t + 11) - 1);
    assert_int_equal(hello("x", t, n - 1, out, &outlen, 0), COAPSEC_DTLS_HELLO_DROP);
    memcpy(t, d, n);
    t[0] = CS_CT_APP;
    assert_int_equal(hello("x", t, n, out, &outlen, 0), COAPSEC_DTLS_HELLO_DROP);
    memcpy(t, d, n);
    t[4] = 1; /* epoch 1 */
    assert_int_equal(hello("x", t, n, out, &outlen, 0), COAPSEC_DTLS_HELLO_DROP);
    memcpy(t, d, n);
    t[13] = CS_HT_CLIENT_KEY_EXCHANGE;
    assert_int_equal(hello("x", t, n, out, &outlen, 0), COAPSEC_DTLS_HELLO_DROP);
    for (size_t k = 0; k < n; k++)
        assert_int_equal(hello("x", d, k, out, &outlen, 0), COAPSEC_DTLS_HELLO_DROP);
    assert_int_equal(hello("x", d, n, out, &outlen, 0), COAPSEC_DTLS_HELLO_HVR);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hvr_format),
        cmocka_unit_test(test_cookie_binding),
        cmocka_unit_test(test_rotation),
        cmocka_unit_test(test_drops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
