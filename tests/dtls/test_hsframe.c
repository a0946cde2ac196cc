/*
 * test_hsframe.c - handshake framing (src/dtls/hsframe.c): the 12-byte
 * handshake header and its bounds (RFC 6347 §4.2.2), reassembly from
 * fragments in any order, overlapping and duplicated (§4.2.3), the size cap,
 * and flight fragmentation to the MTU with every fragment reassembling to the
 * original message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dtls/dtls_int.h"

static coapsec_dtls_hs hs;
static uint8_t msg[600];

static void fill_msg(void) {
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)(i * 7 + 3);
}

static int add(uint32_t off, uint32_t len) {
    cs_hsfrag f = {CS_HT_SERVER_KEY_EXCHANGE, sizeof msg, 4, off, len, msg + off};
    return cs_reasm_add(&hs, &f);
}

/* §4.2.2: fragment_offset + fragment_length within length, body within record. */
static void test_header_bounds(void **state) {
    (void)state;
    uint8_t b[40];
    cs_hsfrag f;
    cs_hs_header(b, 1, 20, 3, 4, 10);
    assert_int_equal(cs_hs_parse(b, 22, &f), 22);
    assert_int_equal(f.type, 1);
    assert_int_equal(f.len, 20);
    assert_int_equal(f.seq, 3);
    assert_int_equal(f.off, 4);
    assert_int_equal(f.flen, 10);
    assert_int_equal(cs_hs_parse(b, 21, &f), COAPSEC_ERR_FORMAT); /* body truncated */
    assert_int_equal(cs_hs_parse(b, 11, &f), COAPSEC_ERR_FORMAT); /* header truncated */
    cs_hs_header(b, 1, 20, 3, 15, 10);                            /* past the end */
    assert_int_equal(cs_hs_parse(b, 40, &f), COAPSEC_ERR_FORMAT);
    cs_hs_header(b, 1, 20, 3, 21, 0);
    assert_int_equal(cs_hs_parse(b, 40, &f), COAPSEC_ERR_FORMAT);
}

/* §4.2.3: two fragments split at every offset, in both orders. */
static void test_split_every_offset(void **state) {
    (void)state;
    fill_msg();
    for (uint32_t k = 1; k < sizeof msg; k++) {
        for (int order = 0; order < 2; order++) {
            cs_reasm_reset(&hs);
            uint32_t a0 = order ? k : 0, a1 = order ? (uint32_t)sizeof msg - k : k;
            uint32_t b0 = order ? 0 : k, b1 = order ? k : (uint32_t)sizeof msg - k;
            assert_int_equal(add(a0, a1), 0);
            assert_int_equal(add(b0, b1), 1);
            assert_memory_equal(hs.rx_buf, msg, sizeof msg);
        }
    }
}

/* Out of order, overlapping and duplicated fragments. */
static void test_overlap_reorder(void **state) {
    (void)state;
    fill_msg();
    cs_reasm_reset(&hs);
    assert_int_equal(add(500, 100), 0);
    assert_int_equal(add(100, 300), 0);
    assert_int_equal(add(100, 300), 0); /* duplicate */
    assert_int_equal(add(350, 200), 0); /* overlaps both */
    assert_int_equal(add(50, 60), 0);
    assert_int_equal(add(0, 51), 1);
    assert_memory_equal(hs.rx_buf, msg, sizeof msg);
    /* one byte at a time, backwards */
    cs_reasm_reset(&hs);
    for (uint32_t i = sizeof msg; i-- > 1;)
        assert_int_equal(add(i, 1), 0);
    assert_int_equal(add(0, 1), 1);
    assert_memory_equal(hs.rx_buf, msg, sizeof msg);
}

/* A fragment that disagrees on type or length is refused; size is capped. */
static void test_inconsistent_and_cap(void **state) {
    (void)state;
    fill_msg();
    cs_reasm_reset(&hs);
    assert_int_equal(add(0, 10), 0);
    cs_hsfrag f = {CS_HT_SERVER_KEY_EXCHANGE, sizeof msg + 1, 4, 10, 10, msg};
    assert_int_equal(cs_reasm_add(&hs, &f), COAPSEC_ERR_FORMAT);
    f.len = sizeof msg;
    f.type = CS_HT_FINISHED;
    assert_int_equal(cs_reasm_add(&hs, &f), COAPSEC_ERR_FORMAT);
    cs_reasm_reset(&hs);
    cs_hsfrag big = {CS_HT_SERVER_KEY_EXCHANGE, COAPSEC_DTLS_HS_MSG_MAX + 1, 0, 0, 1, msg};
    assert_int_equal(cs_reasm_add(&hs, &big), COAPSEC_ERR_NOMEM);
}

/* §4.2.3: a message in one fragment completes at once; the next message,
 * fragmented, starts from an empty map (no bits left from an earlier one), and
 * a message of the largest size reassembles (the map's last byte). */
static void test_whole_then_fragmented(void **state) {
    (void)state;
    fill_msg();
    cs_reasm_reset(&hs);
    assert_int_equal(add(0, sizeof msg), 1);
    assert_memory_equal(hs.rx_buf, msg, sizeof msg);
    hs.rx_active = 0; /* as conn.c does once a message is handled */
    assert_int_equal(add(0, 300), 0);
    assert_int_equal(add(300, 300), 1);
    hs.rx_active = 0;
    /* the same fragments again: the map of the message before must not count */
    assert_int_equal(add(300, 300), 0);
    assert_int_equal(add(0, 299), 0);
    assert_int_equal(add(299, 1), 1);
    hs.rx_active = 0;
    static uint8_t big[COAPSEC_DTLS_HS_MSG_MAX];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 13 + 1);
    cs_hsfrag a = {CS_HT_CERTIFICATE, sizeof big, 5, 0, sizeof big - 1, big};
    cs_hsfrag b = {CS_HT_CERTIFICATE, sizeof big, 5, sizeof big - 1, 1, big + sizeof big - 1};
    assert_int_equal(cs_reasm_add(&hs, &a), 0);
    assert_int_equal(cs_reasm_add(&hs, &b), 1);
    assert_memory_equal(hs.rx_buf, big, sizeof big);
}

/* Flight sending: at MTU 256 every datagram fits, every record parses, and
 * the fragments reassemble to the stored message. */
static uint8_t sent[64][COAPSEC_DTLS_DGRAM_MAX];
static size_t sent_len[64];
static int nsent;
static int cap_send(void *user, const uint8_t *d, size_t len) {
    (void)user;
    assert_true(nsent < 64);
    memcpy(sent[nsent], d, len);
    sent_len[nsent++] = len;
    return 0;
}

static void test_flight_fragmentation(void **state) {
    (void)state;
    fill_msg();
    coapsec_dtls_config cfg;
    coapsec_dtls_config_default(&cfg);
    cfg.cb.send = cap_send;
    for (unsigned mtu = 100; mtu <= 1500; mtu += 77) {
        coapsec_dtls_conn c;
        memset(&c, 0, sizeof c);
        memset(&hs, 0, sizeof hs);
        c.cfg = &cfg;
        c.hs = &hs;
        c.max_plain = 16384;
        cfg.mtu = (uint16_t)mtu;
        cs_transcript_reset(&hs);
        cs_flight_begin(&hs);
        assert_int_equal(cs_flight_add_hs(&c, CS_HT_SERVER_KEY_EXCHANGE, msg, sizeof msg), 0);
        assert_int_equal(cs_flight_add_hs(&c, CS_HT_SERVER_HELLO_DONE, NULL, 0), 0);
        nsent = 0;
        assert_int_equal(cs_flight_send(&c, 0), 0);
        coapsec_dtls_hs rx;
        memset(&rx, 0, sizeof rx);
        int done = 0, shd = 0;
        uint64_t expect_seq = 0;
        for (int i = 0; i < nsent; i++) {
            assert_true(sent_len[i] <= mtu);
            for (size_t pos = 0; pos < sent_len[i];) {
                cs_record r;
                assert_int_equal(cs_rec_parse(sent[i] + pos, sent_len[i] - pos, &r), 0);
                assert_true(r.seq == expect_seq++); /* fresh record numbers */
                pos += CS_REC_HDR + r.len;
                cs_hsfrag f;
                assert_int_equal(cs_hs_parse(r.frag, r.len, &f), (int)r.len);
                if (f.type == CS_HT_SERVER_HELLO_DONE) {
                    shd++;
                    continue;
                }
                int rc = cs_reasm_add(&rx, &f);
                assert_true(rc >= 0);
                done += rc;
            }
        }
        assert_int_equal(done, 1);
        assert_int_equal(shd, 1);
        assert_memory_equal(rx.rx_buf, msg, sizeof msg);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_bounds),        cmocka_unit_test(test_split_every_offset),
        cmocka_unit_test(test_overlap_reorder),      cmocka_unit_test(test_inconsistent_and_cap),
        cmocka_unit_test(test_flight_fragmentation), cmocka_unit_test(test_whole_then_fragmented),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
