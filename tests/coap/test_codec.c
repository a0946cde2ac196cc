/*
 * test_codec.c - tests for src/coap/codec.c: the RFC 7252 Appendix A messages
 * byte for byte, every §3 message format error, the §3.1 extended option
 * delta/length boundaries, the §3.2 uint encoding, the option-list helpers and
 * a seeded randomised encode/decode round trip.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "coapsec/msg.h"

/* ---- RFC 7252 Appendix A (Figures 16-23) ------------------------------------ */

#define TEMP "temperature"

typedef struct vec {
    const char *what;
    const char *bytes;
    size_t len;
    uint8_t type, code;
    uint16_t mid;
    uint8_t tkl, token;
    int uri_path; /* 1: one Uri-Path "temperature" */
    const char *payload;
} vec;

#define V(w, b, t, c, m, tkl, tok, up, pl)                                                         \
    { w, b, sizeof(b) - 1, t, c, m, tkl, tok, up, pl }

static const vec appendix_a[] = {
    V("Fig.16 request", "\x40\x01\x7d\x34\xbb" TEMP, COAPSEC_CON, COAPSEC_GET, 0x7d34, 0, 0, 1,
      NULL),
    V("Fig.16 response",
      "\x60\x45\x7d\x34\xff"
      "22.3 C",
      COAPSEC_ACK, COAPSEC_CONTENT, 0x7d34, 0, 0, 0, "22.3 C"),
    V("Fig.17 request", "\x41\x01\x7d\x35\x20\xbb" TEMP, COAPSEC_CON, COAPSEC_GET, 0x7d35, 1, 0x20,
      1, NULL),
    V("Fig.17 response",
      "\x61\x45\x7d\x35\x20\xff"
      "22.3 C",
      COAPSEC_ACK, COAPSEC_CONTENT, 0x7d35, 1, 0x20, 0, "22.3 C"),
    V("Fig.18 request", "\x41\x01\x7d\x36\x31\xbb" TEMP, COAPSEC_CON, COAPSEC_GET, 0x7d36, 1, 0x31,
      1, NULL),
    V("Fig.18 response",
      "\x61\x45\x7d\x36\x31\xff"
      "22.3 C",
      COAPSEC_ACK, COAPSEC_CONTENT, 0x7d36, 1, 0x31, 0, "22.3 C"),
    V("Fig.19 request", "\x41\x01\x7d\x37\x42\xbb" TEMP, COAPSEC_CON, COAPSEC_GET, 0x7d37, 1, 0x42,
      1, NULL),
    V("Fig.19 response",
      "\x61\x45\x7d\x37\x42\xff"
      "22.3 C",
      COAPSEC_ACK, COAPSEC_CONTENT, 0x7d37, 1, 0x42, 0, "22.3 C"),
    V("Fig.20 request", "\x41\x01\x7d\x38\x53\xbb" TEMP, COAPSEC_CON, COAPSEC_GET, 0x7d38, 1, 0x53,
      1, NULL),
    V("Fig.20 empty ACK", "\x60\x00\x7d\x38", COAPSEC_ACK, COAPSEC_EMPTY, 0x7d38, 0, 0, 0, NULL),
    V("Fig.20 CON response",
      "\x41\x45\xad\x7b\x53\xff"
      "22.3 C",
      COAPSEC_CON, COAPSEC_CONTENT, 0xad7b, 1, 0x53, 0, "22.3 C"),
    V("Fig.20 empty ACK 2", "\x60\x00\xad\x7b", COAPSEC_ACK, COAPSEC_EMPTY, 0xad7b, 0, 0, 0, NULL),
    V("Fig.21 request", "\x41\x01\x7d\x39\x64\xbb" TEMP, COAPSEC_CON, COAPSEC_GET, 0x7d39, 1, 0x64,
      1, NULL),
    V("Fig.21 empty ACK", "\x60\x00\x7d\x39", COAPSEC_ACK, COAPSEC_EMPTY, 0x7d39, 0, 0, 0, NULL),
    V("Fig.21 CON response",
      "\x41\x45\xad\x7c\x64\xff"
      "22.3 C",
      COAPSEC_CON, COAPSEC_CONTENT, 0xad7c, 1, 0x64, 0, "22.3 C"),
    V("Fig.21 RST", "\x70\x00\xad\x7c", COAPSEC_RST, COAPSEC_EMPTY, 0xad7c, 0, 0, 0, NULL),
    V("Fig.22 request", "\x51\x01\x7d\x40\x75\xbb" TEMP, COAPSEC_NON, COAPSEC_GET, 0x7d40, 1, 0x75,
      1, NULL),
    V("Fig.22 response",
      "\x51\x45\xad\x7d\x75\xff"
      "22.3 C",
      COAPSEC_NON, COAPSEC_CONTENT, 0xad7d, 1, 0x75, 0, "22.3 C"),
    V("Fig.23 request", "\x51\x01\x7d\x41\x86\xbb" TEMP, COAPSEC_NON, COAPSEC_GET, 0x7d41, 1, 0x86,
      1, NULL),
    V("Fig.23 response A",
      "\x51\x45\x60\xb1\x86\xff"
      "22.3 C",
      COAPSEC_NON, COAPSEC_CONTENT, 0x60b1, 1, 0x86, 0, "22.3 C"),
    V("Fig.23 response B",
      "\x51\x45\x01\xa0\x86\xff"
      "20.9 C",
      COAPSEC_NON, COAPSEC_CONTENT, 0x01a0, 1, 0x86, 0, "20.9 C"),
    V("Fig.23 response C", "\x51\x84\x95\x2a\x86", COAPSEC_NON, COAPSEC_NOT_FOUND, 0x952a, 1, 0x86,
      0, NULL),
};

#define NVEC (sizeof appendix_a / sizeof appendix_a[0])

/* RFC 7252 Appendix A: decoding gives the fields shown in each figure. */
static void test_appendix_a_decode(void **state) {
    (void)state;
    for (size_t i = 0; i < NVEC; i++) {
        const vec *v = &appendix_a[i];
        coapsec_msg m;
        memset(&m, 0xa5, sizeof m);
        assert_int_equal(coapsec_msg_decode(&m, (const uint8_t *)v->bytes, v->len), 0);
        assert_int_equal(m.type, v->type);
        assert_int_equal(m.code, v->code);
        assert_int_equal(m.mid, v->mid);
        assert_int_equal(m.tkl, v->tkl);
        if (v->tkl)
            assert_int_equal(m.token[0], v->token);
        if (v->uri_path) {
            assert_int_equal(m.nopts, 1);
            assert_int_equal(m.opts[0].num, COAPSEC_OPT_URI_PATH);
            assert_int_equal(m.opts[0].len, 11);
            assert_memory_equal(m.opts[0].val, TEMP, 11);
        } else {
            assert_int_equal(m.nopts, 0);
        }
        if (v->payload) {
            assert_int_equal(m.payload_len, strlen(v->payload));
            assert_memory_equal(m.payload, v->payload, m.payload_len);
            /* zero-copy: the payload points into the datagram */
            assert_ptr_equal(m.payload, (const uint8_t *)v->bytes + v->len - m.payload_len);
        } else {
            assert_int_equal(m.payload_len, 0);
            assert_null(m.payload);
        }
    }
}

/* RFC 7252 Appendix A: encoding the figures' fields gives the exact bytes. */
static void test_appendix_a_encode(void **state) {
    (void)state;
    for (size_t i = 0; i < NVEC; i++) {
        const vec *v = &appendix_a[i];
        coapsec_msg m;
        memset(&m, 0, sizeof m);
        m.type = v->type;
        m.code = v->code;
        m.mid = v->mid;
        m.tkl = v->tkl;
        m.token[0] = v->token;
        if (v->uri_path)
            assert_int_equal(coapsec_msg_add_opt(&m, COAPSEC_OPT_URI_PATH, TEMP, 11), 0);
        if (v->payload) {
            m.payload = (const uint8_t *)v->payload;
            m.payload_len = strlen(v->payload);
        }
        uint8_t out[64];
        int n = coapsec_msg_encode(&m, out, sizeof out);
        assert_int_equal(n, (int)v->len);
        assert_memory_equal(out, v->bytes, v->len);
    }
    /* The sizes the Appendix A text states: 16/11 bytes and 17/12 bytes. */
    assert_int_equal(appendix_a[0].len, 16);
    assert_int_equal(appendix_a[1].len, 11);
    assert_int_equal(appendix_a[2].len, 17);
    assert_int_equal(appendix_a[3].len, 12);
}

/* §3: every strict prefix of a message is either valid or a format error. */
static void test_appendix_a_truncations(void **state) {
    (void)state;
    const vec *v = &appendix_a[0]; /* 40 01 7d 34 bb "temperature" */
    for (size_t len = 0; len < v->len; len++) {
        coapsec_msg m;
        int rc = coapsec_msg_decode(&m, (const uint8_t *)v->bytes, len);
        if (len == 4)
            assert_int_equal(rc, 0); /* a bare GET header is a valid message */
        else
            assert_int_equal(rc, COAPSEC_ERR_FORMAT);
    }
    v = &appendix_a[3]; /* 61 45 7d 35 20 ff "22.3 C" */
    coapsec_msg m;
    assert_int_equal(coapsec_msg_decode(&m, (const uint8_t *)v->bytes, 4), COAPSEC_ERR_FORMAT);
    assert_int_equal(coapsec_msg_decode(&m, (const uint8_t *)v->bytes, 5), 0);
    assert_int_equal(coapsec_msg_decode(&m, (const uint8_t *)v->bytes, 6), COAPSEC_ERR_FORMAT);
    for (size_t len = 7; len <= v->len; len++) {
        assert_int_equal(coapsec_msg_decode(&m, (const uint8_t *)v->bytes, len), 0);
        assert_int_equal(m.payload_len, len - 6);
    }
}

/* ---- §3 message format errors ----------------------------------------------- */

static int dec(const char *b, size_t len, coapsec_msg *m) {
    memset(m, 0, sizeof *m);
    return coapsec_msg_decode(m, (const uint8_t *)b, len);
}

/* §3: a datagram shorter than the 4-byte header is a format error. */
static void test_err_short(void **state) {
    (void)state;
    coapsec_msg m;
    const char b[] = "\x40\x01\x12\x34";
    for (size_t len = 0; len < 4; len++)
        assert_int_equal(dec(b, len, &m), COAPSEC_ERR_FORMAT);
    assert_int_equal(coapsec_msg_decode(&m, NULL, 0), COAPSEC_ERR_FORMAT);
}

/* §3: Version MUST be 1; other versions are silently ignored (format error). */
static void test_err_version(void **state) {
    (void)state;
    coapsec_msg m;
    assert_int_equal(dec("\x00\x01\x12\x34", 4, &m), COAPSEC_ERR_FORMAT);
    assert_int_equal(dec("\x80\x01\x12\x34", 4, &m), COAPSEC_ERR_FORMAT);
    assert_int_equal(dec("\xc0\x01\x12\x34", 4, &m), COAPSEC_ERR_FORMAT);
    assert_int_equal(dec("\x40\x01\x12\x34", 4, &m), 0);
}

/* §3: Token Length 9-15 are reserved and MUST be processed as a format error;
 * type, code and MID are still reported so the caller can RST (§4.2). */
static void test_err_tkl(void **state) {
    (void)state;
    coapsec_msg m;
    uint8_t b[4 + 15 + 1];
    memset(b, 0x11, sizeof b);
    for (unsigned tkl = 9; tkl <= 15; tkl++) {
        b[0] = (uint8_t)(0x40 | tkl); /* CON */
        b[1] = COAPSEC_GET;
        b[2] = 0xbe;
        b[3] = 0xef;
        assert_int_equal(coapsec_msg_decode(&m, b, sizeof b), COAPSEC_ERR_FORMAT);
        assert_int_equal(m.type, COAPSEC_CON);
        assert_int_equal(m.code, COAPSEC_GET);
        assert_int_equal(m.mid, 0xbeef);
    }
    /* TKL 8 with all 8 token bytes is fine, with 7 present it is not. */
    b[0] = 0x48;
    assert_int_equal(coapsec_msg_decode(&m, b, 12), 0);
    assert_int_equal(m.tkl, 8);
    assert_int_equal(coapsec_msg_decode(&m, b, 11), COAPSEC_ERR_FORMAT);
}

/* §3.1: delta nibble 15 that is not the payload marker is a format error. */
static void test_err_delta15(void **state) {
    (void)state;
    coapsec_msg m;
    assert_int_equal(dec("\x40\x01\x12\x34\xf0", 5, &m), COAPSEC_ERR_FORMAT);
    assert_int_equal(dec("\x40\x01\x12\x34\xf1\x00", 6, &m), COAPSEC_ERR_FORMAT);
    assert_int_equal(dec("\x40\x01\x12\x34\xb0\xfe", 6, &m), COAPSEC_ERR_FORMAT);
    assert_int_equal(m.mid, 0x1234);
}

/* §3.1: length nibble 15 is a format error. */
static void test_err_length15(void **state) {
    (void)state;
    coapsec_msg m;
    assert_int_equal(dec("\x40\x01\x12\x34\xbf"
                         "abc",
                         8, &m),
                     COAPSEC_ERR_FORMAT);
    assert_int_equal(dec("\x40\x01\x12\x34\x0f", 5, &m), COAPSEC_ERR_FORMAT);
}

/* §3: an option (or its extended bytes) running past the datagram. */
static void test_err_option_past_end(void **state) {
    (void)state;
    coapsec_msg m;
    assert_int_equal(dec("\x40\x01\x12\x34\xb5"
                         "ab",
                         7, &m),
                     COAPSEC_ERR_FORMAT);
    assert_int_equal(dec("\x40\x01\x12\x34\xd0", 5, &m), COAPSEC_ERR_FORMAT);     /* ext delta */
    assert_int_equal(dec("\x40\x01\x12\x34\xe0\x01", 6, &m), COAPSEC_ERR_FORMAT); /* 2-byte */
    assert_int_equal(dec("\x40\x01\x12\x34\x0d", 5, &m), COAPSEC_ERR_FORMAT);     /* ext len */
    assert_int_equal(dec("\x40\x01\x12\x34\x0e\x00", 6, &m), COAPSEC_ERR_FORMAT);
    assert_int_equal(dec("\x40\x01\x12\x34\x0d\x00", 6, &m), COAPSEC_ERR_FORMAT); /* 13 bytes */
}

/* §3.1: an option number beyond 65535 is a format error; 65535 is fine. */
static void test_err_option_number_overflow(void **state) {
    (void)state;
    coapsec_msg m;
    /* delta 65535 = 269 + 0xfef2: fine */
    assert_int_equal(dec("\x40\x01\x12\x34\xe0\xfe\xf2", 7, &m), 0);
    assert_int_equal(m.nopts, 1);
    assert_int_equal(m.opts[0].num, 65535);
    /* delta 65536 in one go */
    assert_int_equal(dec("\x40\x01\x12\x34\xe0\xfe\xf3", 7, &m), COAPSEC_ERR_FORMAT);
    /* the largest extended delta 0xffff + 269 */
    assert_int_equal(dec("\x40\x01\x12\x34\xe0\xff\xff", 7, &m), COAPSEC_ERR_FORMAT);
    /* 65000 (269 + 0xfcdb) then +600 (269 + 0x014b) */
    assert_int_equal(dec("\x40\x01\x12\x34\xe0\xfc\xdb\xe0\x01\x4b", 10, &m), COAPSEC_ERR_FORMAT);
    /* 65535 then delta 0 (a repeat) is fine, delta 1 is not */
    assert_int_equal(dec("\x40\x01\x12\x34\xe0\xfe\xf2\x00", 8, &m), 0);
    assert_int_equal(m.nopts, 2);
    assert_int_equal(dec("\x40\x01\x12\x34\xe0\xfe\xf2\x10", 8, &m), COAPSEC_ERR_FORMAT);
}

/* §3: a payload marker followed by a zero-length payload is a format error. */
static void test_err_marker_no_payload(void **state) {
    (void)state;
    coapsec_msg m;
    assert_int_equal(dec("\x40\x01\x12\x34\xff", 5, &m), COAPSEC_ERR_FORMAT);
    assert_int_equal(dec("\x41\x01\x12\x34\x99\xb1"
                         "a\xff",
                         8, &m),
                     COAPSEC_ERR_FORMAT);
    assert_int_equal(m.code, COAPSEC_GET);
    assert_int_equal(dec("\x40\x01\x12\x34\xff\x00", 6, &m), 0);
    assert_int_equal(m.payload_len, 1);
}

/* §4.1: an Empty message (0.00) with a token, options or payload. */
static void test_err_empty_with_content(void **state) {
    (void)state;
    coapsec_msg m;
    assert_int_equal(dec("\x60\x00\x12\x34", 4, &m), 0);
    assert_int_equal(dec("\x61\x00\x12\x34\x01", 5, &m), COAPSEC_ERR_FORMAT);
    assert_int_equal(m.type, COAPSEC_ACK);
    assert_int_equal(m.code, COAPSEC_EMPTY);
    assert_int_equal(m.mid, 0x1234);
    assert_int_equal(dec("\x60\x00\x12\x34\xb0", 5, &m), COAPSEC_ERR_FORMAT);
    assert_int_equal(dec("\x60\x00\x12\x34\xff\x01", 6, &m), COAPSEC_ERR_FORMAT);
    assert_int_equal(dec("\x70\x00\x12\x34\x00", 5, &m), COAPSEC_ERR_FORMAT);
    assert_int_equal(m.type, COAPSEC_RST);
}

/* More options than the message can hold: COAPSEC_ERR_NOMEM. */
static void test_err_too_many_options(void **state) {
    (void)state;
    uint8_t b[4 + COAPSEC_MAX_OPTIONS + 1];
    b[0] = 0x40;
    b[1] = COAPSEC_POST;
    b[2] = 0;
    b[3] = 1;
    memset(b + 4, 0x10, COAPSEC_MAX_OPTIONS + 1); /* delta 1, length 0 */
    coapsec_msg m;
    assert_int_equal(coapsec_msg_decode(&m, b, 4 + COAPSEC_MAX_OPTIONS), 0);
    assert_int_equal(m.nopts, COAPSEC_MAX_OPTIONS);
    assert_int_equal(m.opts[COAPSEC_MAX_OPTIONS - 1].num, COAPSEC_MAX_OPTIONS);
    assert_int_equal(coapsec_msg_decode(&m, b, sizeof b), COAPSEC_ERR_NOMEM);
    assert_int_equal(m.code, COAPSEC_POST);
}

/* ---- §3.1 extended delta/length boundaries -------------------------------- */

/* One option with number num and length len, encoded first in a message:
 * the option header must be exactly hdr[0..hlen). */
static void check_opt_header(uint16_t num, uint16_t len, const char *hdr, size_t hlen) {
    static uint8_t val[300];
    static uint8_t out[400];
    memset(val, 'v', sizeof val);
    coapsec_msg m;
    memset(&m, 0, sizeof m);
    m.code = COAPSEC_GET;
    assert_int_equal(coapsec_msg_add_opt(&m, num, val, len), 0);
    int n = coapsec_msg_encode(&m, out, sizeof out);
    assert_int_equal(n, (int)(4 + hlen + len));
    assert_memory_equal(out + 4, hdr, hlen);
    coapsec_msg d;
    assert_int_equal(coapsec_msg_decode(&d, out, (size_t)n), 0);
    assert_int_equal(d.nopts, 1);
    assert_int_equal(d.opts[0].num, num);
    assert_int_equal(d.opts[0].len, len);
}

/* §3.1: deltas 12 / 13 / 268 / 269 / 65535 in their shortest forms. */
static void test_ext_delta_boundaries(void **state) {
    (void)state;
    check_opt_header(12, 0, "\xc0", 1);
    check_opt_header(13, 0, "\xd0\x00", 2);
    check_opt_header(268, 0, "\xd0\xff", 2);
    check_opt_header(269, 0, "\xe0\x00\x00", 3);
    check_opt_header(65535, 0, "\xe0\xfe\xf2", 3);
}

/* §3.1: lengths 12 / 13 / 268 / 269 in their shortest forms. */
static void test_ext_length_boundaries(void **state) {
    (void)state;
    check_opt_header(1, 12, "\x1c", 1);
    check_opt_header(1, 13, "\x1d\x00", 2);
    check_opt_header(1, 268, "\x1d\xff", 2);
    check_opt_header(1, 269, "\x1e\x00\x00", 3);
    check_opt_header(300, 269, "\xee\x00\x1f\x00\x00", 5); /* both extended: delta first */
    check_opt_header(14, 13, "\xdd\x01\x00", 3);
}

/* §3.1: option deltas are relative to the previous option. */
static void test_delta_chain(void **state) {
    (void)state;
    coapsec_msg m;
    memset(&m, 0, sizeof m);
    m.type = COAPSEC_CON;
    m.code = COAPSEC_GET;
    m.mid = 0x0102;
    assert_int_equal(coapsec_msg_add_opt(&m, 11, "a", 1), 0);
    assert_int_equal(coapsec_msg_add_opt(&m, 3, "h", 1), 0);
    assert_int_equal(coapsec_msg_add_opt(&m, 11, "b", 1), 0);
    assert_int_equal(coapsec_msg_add_opt(&m, 200, "", 0), 0);
    uint8_t out[32];
    const uint8_t want[] = {0x40, 0x01, 0x01, 0x02, 0x31, 'h',
                            0x81, 'a',  0x01, 'b',  0xd0, 200 - 11 - 13};
    assert_int_equal(coapsec_msg_encode(&m, out, sizeof out), (int)sizeof want);
    assert_memory_equal(out, want, sizeof want);
}

/* ---- encoder ---------------------------------------------------------------- */

/* Encoder: options must be sorted (documented), else COAPSEC_ERR_INVAL. */
static void test_encode_unsorted(void **state) {
    (void)state;
    coapsec_msg m;
    memset(&m, 0, sizeof m);
    m.code = COAPSEC_GET;
    m.nopts = 2;
    m.opts[0] = (coapsec_opt){11, 1, (const uint8_t *)"a"};
    m.opts[1] = (coapsec_opt){3, 1, (const uint8_t *)"h"};
    uint8_t out[32];
    assert_int_equal(coapsec_msg_encode(&m, out, sizeof out), COAPSEC_ERR_INVAL);
    m.opts[1].num = 11; /* equal numbers (repeats) are fine */
    assert_int_equal(coapsec_msg_encode(&m, out, sizeof out), 8);
}

/* Encoder: every capacity short of the message size gives COAPSEC_ERR_NOBUF. */
static void test_encode_nobuf(void **state) {
    (void)state;
    const vec *v = &appendix_a[3];
    coapsec_msg m;
    assert_int_equal(coapsec_msg_decode(&m, (const uint8_t *)v->bytes, v->len), 0);
    uint8_t out[64];
    for (size_t cap = 0; cap < v->len; cap++)
        assert_int_equal(coapsec_msg_encode(&m, out, cap), COAPSEC_ERR_NOBUF);
    assert_int_equal(coapsec_msg_encode(&m, out, v->len), (int)v->len);
    assert_memory_equal(out, v->bytes, v->len);
}

/* §3: no payload marker without payload; invalid headers refused (§4.1). */
static void test_encode_invalid(void **state) {
    (void)state;
    coapsec_msg m;
    memset(&m, 0, sizeof m);
    m.type = COAPSEC_CON;
    m.code = COAPSEC_POST;
    m.payload = (const uint8_t *)"x";
    m.payload_len = 0;
    uint8_t out[16];
    assert_int_equal(coapsec_msg_encode(&m, out, sizeof out), 4);
    m.tkl = 9;
    assert_int_equal(coapsec_msg_encode(&m, out, sizeof out), COAPSEC_ERR_INVAL);
    m.tkl = 1;
    m.code = COAPSEC_EMPTY;
    assert_int_equal(coapsec_msg_encode(&m, out, sizeof out), COAPSEC_ERR_INVAL);
    m.tkl = 0;
    m.payload_len = 1;
    assert_int_equal(coapsec_msg_encode(&m, out, sizeof out), COAPSEC_ERR_INVAL);
    m.payload_len = 0;
    assert_int_equal(coapsec_msg_encode(&m, out, sizeof out), 4);
    m.type = 4;
    assert_int_equal(coapsec_msg_encode(&m, out, sizeof out), COAPSEC_ERR_INVAL);
    m.type = COAPSEC_ACK;
    m.code = COAPSEC_CONTENT;
    m.payload = NULL;
    m.payload_len = 3;
    assert_int_equal(coapsec_msg_encode(&m, out, sizeof out), COAPSEC_ERR_INVAL);
}

/* ---- §3.2 uint options and the option-list helpers ------------------------ */

/* §3.2: uint values in the fewest bytes; 0 is the empty value. */
static void test_add_uint_shortest(void **state) {
    (void)state;
    static const struct {
        uint32_t v;
        uint8_t len;
        uint8_t bytes[4];
    } t[] = {
        {0, 0, {0}},
        {1, 1, {1}},
        {255, 1, {0xff}},
        {256, 2, {1, 0}},
        {65535, 2, {0xff, 0xff}},
        {65536, 3, {1, 0, 0}},
        {0x01020304, 4, {1, 2, 3, 4}},
        {0xffffffff, 4, {0xff, 0xff, 0xff, 0xff}},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        coapsec_msg m;
        uint8_t scratch[4];
        memset(&m, 0, sizeof m);
        assert_int_equal(coapsec_msg_add_uint(&m, COAPSEC_OPT_MAX_AGE, t[i].v, scratch), 0);
        const coapsec_opt *o = coapsec_msg_find(&m, COAPSEC_OPT_MAX_AGE);
        assert_non_null(o);
        assert_int_equal(o->len, t[i].len);
        if (t[i].len)
            assert_memory_equal(o->val, t[i].bytes, t[i].len);
        uint32_t back = 12345;
        assert_int_equal(coapsec_opt_uint(o, &back), 0);
        assert_int_equal(back, t[i].v);
    }
}

/* §3.2: a receiver accepts leading zeros; more than 4 bytes is refused. */
static void test_opt_uint_decode(void **state) {
    (void)state;
    uint32_t v;
    coapsec_opt o = {COAPSEC_OPT_SIZE1, 4, (const uint8_t *)"\x00\x00\x01\x00"};
    assert_int_equal(coapsec_opt_uint(&o, &v), 0);
    assert_int_equal(v, 256);
    o.len = 0;
    assert_int_equal(coapsec_opt_uint(&o, &v), 0);
    assert_int_equal(v, 0);
    o = (coapsec_opt){COAPSEC_OPT_SIZE1, 5, (const uint8_t *)"\x00\x00\x00\x01\x00"};
    assert_int_equal(coapsec_opt_uint(&o, &v), COAPSEC_ERR_FORMAT);
}

/* add_opt keeps options sorted and repeats in insertion order; find returns
 * the first; del_opt removes every occurrence; a full list gives NOMEM. */
static void test_opt_list(void **state) {
    (void)state;
    coapsec_msg m;
    memset(&m, 0, sizeof m);
    assert_int_equal(coapsec_msg_add_opt(&m, 15, "q1", 2), 0);
    assert_int_equal(coapsec_msg_add_opt(&m, 11, "p1", 2), 0);
    assert_int_equal(coapsec_msg_add_opt(&m, 3, "host", 4), 0);
    assert_int_equal(coapsec_msg_add_opt(&m, 11, "p2", 2), 0);
    assert_int_equal(coapsec_msg_add_opt(&m, 15, "q2", 2), 0);
    assert_int_equal(coapsec_msg_add_opt(&m, 11, "p3", 2), 0);
    static const struct {
        uint16_t num;
        const char *v;
    } want[] = {{3, "host"}, {11, "p1"}, {11, "p2"}, {11, "p3"}, {15, "q1"}, {15, "q2"}};
    assert_int_equal(m.nopts, 6);
    for (int i = 0; i < 6; i++) {
        assert_int_equal(m.opts[i].num, want[i].num);
        assert_memory_equal(m.opts[i].val, want[i].v, m.opts[i].len);
    }
    assert_ptr_equal(coapsec_msg_find(&m, 11), &m.opts[1]);
    assert_null(coapsec_msg_find(&m, 12));
    coapsec_msg_del_opt(&m, 11);
    assert_int_equal(m.nopts, 3);
    assert_null(coapsec_msg_find(&m, 11));
    assert_int_equal(m.opts[1].num, 15);
    assert_memory_equal(m.opts[1].val, "q1", 2);
    coapsec_msg_del_opt(&m, 99); /* absent: no change */
    assert_int_equal(m.nopts, 3);

    while (m.nopts < COAPSEC_MAX_OPTIONS)
        assert_int_equal(coapsec_msg_add_opt(&m, 60, NULL, 0), 0);
    assert_int_equal(coapsec_msg_add_opt(&m, 1, "x", 1), COAPSEC_ERR_NOMEM);
    assert_int_equal(m.opts[0].num, 3);
    assert_int_equal(coapsec_msg_add_opt(&m, 1, NULL, 1), COAPSEC_ERR_INVAL);
    assert_int_equal(coapsec_msg_add_opt(&m, 1, "x", 65536), COAPSEC_ERR_INVAL);
}

/* ---- randomised round trip --------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void) { /* xorshift64*, fixed seed: reproducible */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

/* Lengths and deltas near the §3.1 boundaries are picked often. */
static uint32_t rnd_len(void) {
    static const uint32_t edge[] = {0, 1, 12, 13, 14, 268, 269, 270};
    return (rnd() & 1) ? edge[rnd() % 8] : rnd() % 300;
}

/* §3: encode then decode thousands of random messages: identical fields. */
static void test_random_roundtrip(void **state) {
    (void)state;
    static uint8_t pool[4096];
    static uint8_t out[COAPSEC_MAX_OPTIONS * 305 + 4096];
    for (size_t i = 0; i < sizeof pool; i++)
        pool[i] = (uint8_t)rnd();
    for (int iter = 0; iter < 5000; iter++) {
        coapsec_msg m;
        memset(&m, 0, sizeof m);
        m.type = (uint8_t)(rnd() % 4);
        m.code = (uint8_t)(1 + rnd() % 255);
        m.mid = (uint16_t)rnd();
        m.tkl = (uint8_t)(rnd() % 9);
        for (int k = 0; k < m.tkl; k++)
            m.token[k] = (uint8_t)rnd();
        unsigned nopts = rnd() % (COAPSEC_MAX_OPTIONS + 1);
        for (unsigned k = 0; k < nopts; k++) {
            uint32_t r = rnd() % 4;
            uint16_t num = r == 0   ? (uint16_t)rnd()
                           : r == 1 ? (uint16_t)(65535 - rnd() % 3)
                                    : (uint16_t)rnd_len();
            uint32_t len = rnd_len();
            assert_int_equal(coapsec_msg_add_opt(&m, num, pool + rnd() % 1024, len), 0);
        }
        if (rnd() & 1) {
            m.payload = pool + rnd() % 1024;
            m.payload_len = 1 + rnd() % 2000;
        }
        int n = coapsec_msg_encode(&m, out, sizeof out);
        assert_true(n >= 4);
        coapsec_msg d;
        assert_int_equal(coapsec_msg_decode(&d, out, (size_t)n), 0);
        assert_int_equal(d.type, m.type);
        assert_int_equal(d.code, m.code);
        assert_int_equal(d.mid, m.mid);
        assert_int_equal(d.tkl, m.tkl);
        assert_memory_equal(d.token, m.token, m.tkl);
        assert_int_equal(d.nopts, m.nopts);
        for (unsigned k = 0; k < m.nopts; k++) {
            assert_int_equal(d.opts[k].num, m.opts[k].num);
            assert_int_equal(d.opts[k].len, m.opts[k].len);
            if (m.opts[k].len)
                assert_memory_equal(d.opts[k].val, m.opts[k].val, m.opts[k].len);
        }
        assert_int_equal(d.payload_len, m.payload_len);
        if (m.payload_len)
            assert_memory_equal(d.payload, m.payload, m.payload_len);
        /* re-encoding the decoded message gives the same bytes */
        static uint8_t again[sizeof out];
        assert_int_equal(coapsec_msg_encode(&d, again, sizeof again), n);
        assert_memory_equal(again, out, (size_t)n);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_appendix_a_decode),
        cmocka_unit_test(test_appendix_a_encode),
        cmocka_unit_test(test_appendix_a_truncations),
        cmocka_unit_test(test_err_short),
        cmocka_unit_test(test_err_version),
        cmocka_unit_test(test_err_tkl),
        cmocka_unit_test(test_err_delta15),
        cmocka_unit_test(test_err_length15),
        cmocka_unit_test(test_err_option_past_end),
        cmocka_unit_test(test_err_option_number_overflow),
        cmocka_unit_test(test_err_marker_no_payload),
        cmocka_unit_test(test_err_empty_with_content),
        cmocka_unit_test(test_err_too_many_options),
        cmocka_unit_test(test_ext_delta_boundaries),
        cmocka_unit_test(test_ext_length_boundaries),
        cmocka_unit_test(test_delta_chain),
        cmocka_unit_test(test_encode_unsorted),
        cmocka_unit_test(test_encode_nobuf),
        cmocka_unit_test(test_encode_invalid),
        cmocka_unit_test(test_add_uint_shortest),
        cmocka_unit_test(test_opt_uint_decode),
        cmocka_unit_test(test_opt_list),
        cmocka_unit_test(test_random_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
