/*
 * test_record.c - the DTLS record layer (src/dtls/record.c): header parsing
 * and bounds (RFC 6347 §4.1), AES-128-CCM-8 protection with the nonce and
 * additional data of RFC 6655 §3 / RFC 5246 §6.2.3.3 using the DTLS epoch and
 * sequence number, tag and header tampering, and the anti-replay window
 * (RFC 6347 §4.1.2.6).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dtls/dtls_int.h"

static const uint8_t key[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
static const uint8_t iv[4] = {0xa0, 0xa1, 0xa2, 0xa3};

/* §4.1: header fields, length checked against the datagram. */
static void test_parse_bounds(void **state) {
    (void)state;
    uint8_t d[64] = {23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 1, 2, 0, 5, 'h', 'e', 'l', 'l', 'o'};
    cs_record r;
    assert_int_equal(cs_rec_parse(d, 18, &r), 0);
    assert_int_equal(r.type, 23);
    assert_int_equal(r.version, 0xFEFD);
    assert_int_equal(r.epoch, 1);
    assert_true(r.seq == 0x0102);
    assert_int_equal(r.len, 5);
    assert_ptr_equal(r.frag, d + 13);
    for (size_t n = 0; n < 18; n++) /* every truncation fails */
        assert_int_equal(cs_rec_parse(d, n, &r), COAPSEC_ERR_FORMAT);
    d[11] = 0xff; /* length beyond the datagram: no record across datagrams */
    assert_int_equal(cs_rec_parse(d, sizeof d, &r), COAPSEC_ERR_FORMAT);
}

/* RFC 6655 §3 + RFC 5246 §6.2.3.3: nonce = IV(4) || epoch || seq, explicit
 * part sent in the record, AAD = epoch||seq || type || version || length. */
static void test_ccm8_record_layout(void **state) {
    (void)state;
    const uint8_t pt[] = "coap message";
    size_t ptlen = sizeof pt - 1;
    uint8_t out[128];
    int n = cs_rec_write(out, sizeof out, CS_CT_APP, CS_DTLS12, 1, 0x0000123456789aULL, key, iv, pt,
                         ptlen);
    assert_int_equal(n, CS_REC_HDR + 8 + ptlen + 8);
    assert_int_equal(cs_get16(out + 11), 8 + ptlen + 8);
    const uint8_t en[8] = {0, 1, 0x00, 0x12, 0x34, 0x56, 0x78, 0x9a}; /* epoch || seq */
    assert_memory_equal(out + CS_REC_HDR, en, 8);
    /* independent construction with the generic CCM (M=8, L=3) */
    uint8_t nonce[12], aad[13], ref[64];
    memcpy(nonce, iv, 4);
    memcpy(nonce + 4, en, 8);
    memcpy(aad, en, 8);
    aad[8] = CS_CT_APP;
    aad[9] = 0xfe, aad[10] = 0xfd;
    aad[11] = 0, aad[12] = (uint8_t)ptlen;
    assert_int_equal(cs_ccm_seal_generic(key, 16, nonce, 12, 8, aad, 13, pt, ptlen, ref), 0);
    assert_memory_equal(out + CS_REC_HDR + 8, ref, ptlen + 8);
    /* and back */
    cs_record r;
    assert_int_equal(cs_rec_parse(out, (size_t)n, &r), 0);
    assert_int_equal(cs_rec_open(&r, key, iv), 0);
    assert_int_equal(r.len, ptlen);
    assert_memory_equal(r.frag, pt, ptlen);
}

/* A flipped bit anywhere (header = AAD, nonce, ciphertext, tag) fails. */
static void test_tamper(void **state) {
    (void)state;
    const uint8_t pt[20] = {1, 2, 3};
    uint8_t good[128], d[128];
    int n = cs_rec_write(good, sizeof good, CS_CT_APP, CS_DTLS12, 3, 77, key, iv, pt, sizeof pt);
    assert_true(n > 0);
    for (int i = 0; i < n; i++) {
        if (i >= 11 && i < 13)
            continue; /* the length field: changes the framing instead */
        memcpy(d, good, (size_t)n);
        d[i] ^= 0x40;
        cs_record r;
        assert_int_equal(cs_rec_parse(d, (size_t)n, &r), 0);
        assert_int_equal(cs_rec_open(&r, key, iv), COAPSEC_ERR_DECRYPT);
    }
    /* too short for nonce + tag */
    uint8_t s[13 + 15] = {23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 1, 0, 15};
    cs_record r;
    assert_int_equal(cs_rec_parse(s, sizeof s, &r), 0);
    assert_int_equal(cs_rec_open(&r, key, iv), COAPSEC_ERR_DECRYPT);
    /* wrong key */
    uint8_t k2[16] = {0};
    memcpy(d, good, (size_t)n);
    assert_int_equal(cs_rec_parse(d, (size_t)n, &r), 0);
    assert_int_equal(cs_rec_open(&r, k2, iv), COAPSEC_ERR_DECRYPT);
}

/* epoch 0: plaintext, written as is; sequence numbers above 2^48-1 refused. */
static void test_plaintext_and_seq_limit(void **state) {
    (void)state;
    uint8_t out[64];
    const uint8_t pt[3] = {21, 2, 40};
    int n = cs_rec_write(out, sizeof out, CS_CT_ALERT, CS_DTLS12, 0, CS_SEQ_MAX, NULL, NULL, pt, 3);
    assert_int_equal(n, 16);
    assert_true(cs_get48(out + 5) == CS_SEQ_MAX);
    assert_int_equal(
        cs_rec_write(out, sizeof out, CS_CT_ALERT, CS_DTLS12, 0, CS_SEQ_MAX + 1, NULL, NULL, pt, 3),
        COAPSEC_ERR_NOBUF);
    assert_int_equal(cs_rec_write(out, 15, CS_CT_ALERT, CS_DTLS12, 0, 1, NULL, NULL, pt, 3),
                     COAPSEC_ERR_NOBUF);
}

/* §4.1.2.6: window of 64, edges exact, marks only what was accepted. */
static void test_replay_window(void **state) {
    (void)state;
    uint64_t top = 0, bits = 0;
    assert_true(cs_replay_ok(top, bits, 0));
    cs_replay_mark(&top, &bits, 0);
    assert_false(cs_replay_ok(top, bits, 0));
    cs_replay_mark(&top, &bits, 100);
    assert_false(cs_replay_ok(top, bits, 100));
    assert_true(cs_replay_ok(top, bits, 37));  /* 100 - 63: oldest in the window */
    assert_false(cs_replay_ok(top, bits, 36)); /* 100 - 64: too old */
    assert_false(cs_replay_ok(top, bits, 0));
    cs_replay_mark(&top, &bits, 37);
    assert_false(cs_replay_ok(top, bits, 37));
    assert_true(cs_replay_ok(top, bits, 38));
    assert_true(cs_replay_ok(top, bits, 99));
    assert_true(cs_replay_ok(top, bits, 101));
    cs_replay_mark(&top, &bits, 101); /* slide by one: 37 leaves the window */
    assert_false(cs_replay_ok(top, bits, 37));
    assert_false(cs_replay_ok(top, bits, 100));
    cs_replay_mark(&top, &bits, 101 + 64); /* slide by the full width: all old bits go */
    assert_false(cs_replay_ok(top, bits, 101));
    assert_true(cs_replay_ok(top, bits, 102));
    /* a huge jump (as a forged record would ask) only happens via mark */
    assert_true(cs_replay_ok(top, bits, CS_SEQ_MAX));
    assert_true(top == 165);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_bounds),  cmocka_unit_test(test_ccm8_record_layout),
        cmocka_unit_test(test_tamper),        cmocka_unit_test(test_plaintext_and_seq_limit),
        cmocka_unit_test(test_replay_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
