/*
 * test_conn.c - the DTLS engine end to end on the simulated network
 * (src/dtls/conn.c with client.c, server.c, hsframe.c, cookie.c): the full
 * PSK handshake (RFC 6347 §4.2, RFC 4279), data both ways, EMS (RFC 7627),
 * wrong key / unknown identity, retransmission (§4.2.4) with every datagram
 * lost in turn and under random loss, duplication and reordering, MTU 256
 * fragmentation (§4.2.3), close_notify, renegotiation refusal and the
 * record-layer rules of §4.1.2.6-7 on an established session.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dtls/dtls_int.h"
#include "pair.h"

static void send_app(tnode *from, const char *msg) {
    assert_int_equal(coapsec_dtls_conn_send(&from->conn, (const uint8_t *)msg, strlen(msg),
                                            from->pair->net->now),
                     0);
}

static void expect_app(tnode *n, const char *msg) {
    assert_int_equal(n->app_len, strlen(msg));
    assert_memory_equal(n->app, msg, strlen(msg));
}

/* Handshake on a perfect network, then one message each way. */
static void establish(tpair *p) {
    assert_int_equal(pair_start(p), 0);
    pair_run(p, 10000);
    assert_int_equal(p->c.established, 1);
    assert_int_equal(p->s.established, 1);
    assert_int_equal(coapsec_dtls_conn_state(&p->c.conn), COAPSEC_DTLS_ST_ESTABLISHED);
    assert_int_equal(coapsec_dtls_conn_state(&p->s.conn), COAPSEC_DTLS_ST_ESTABLISHED);
}

/* RFC 6347 §4.2 + RFC 4279 §2: full PSK handshake with cookie exchange; suite
 * 0xC0A8; identity visible on the server; data both ways; EMS by default. */
static void test_handshake_and_data(void **state) {
    (void)state;
    tpair p;
    pair_init(&p, 1);
    establish(&p);
    assert_int_equal(p.s.hvr_sent, 1);
    assert_int_equal(p.c.suite, COAPSEC_DTLS_PSK_AES_128_CCM_8);
    assert_int_equal(coapsec_dtls_conn_suite(&p.s.conn), 0xC0A8);
    assert_string_equal(p.s.psk_id, PAIR_ID);
    assert_int_equal(p.c.ems, 1);
    assert_int_equal(p.s.ems, 1);
    assert_int_equal(p.c.released, 1); /* client frees its hs at once */
    send_app(&p.c, "hello server");
    pair_run(&p, p.net->now + 1000);
    expect_app(&p.s, "hello server");
    assert_int_equal(p.s.released, 1); /* app data acks the server's final flight */
    send_app(&p.s, "hello client");
    pair_run(&p, p.net->now + 1000);
    expect_app(&p.c, "hello client");
    /* Both sides hold the same keys (the exchange above proves it) and a small context. */
    assert_true(sizeof(coapsec_dtls_conn) <= 200);
    pair_free(&p);
}

/* RFC 7627 §5.1-5.3: EMS used only when both sides agree; all combinations work. */
static void test_ems_on_off(void **state) {
    (void)state;
    for (int mode = 0; mode < 3; mode++) {
        tpair p;
        pair_init(&p, 10 + (uint64_t)mode);
        p.c.cfg.offer_ems = mode != 1;
        p.s.cfg.offer_ems = mode != 2;
        establish(&p);
        assert_int_equal(p.c.ems, mode == 0);
        assert_int_equal(p.s.ems, mode == 0);
        send_app(&p.c, "ems?");
        pair_run(&p, p.net->now + 1000);
        expect_app(&p.s, "ems?");
        pair_free(&p);
    }
}

/* RFC 4279 §2 / RFC 6347 §4.1.2.7: a wrong PSK makes the client's Finished
 * record fail to authenticate; the server ends the handshake with a fatal
 * bad_record_mac and the client reports "wrong key or identity". */
static void test_wrong_psk(void **state) {
    (void)state;
    tpair p;
    pair_init(&p, 2);
    p.server_key = (const uint8_t *)"otherPSK";
    p.server_key_len = 8;
    assert_int_equal(pair_start(&p), 0);
    pair_run(&p, 10000);
    assert_int_equal(p.c.established, 0);
    assert_int_equal(p.s.failed, 1);
    assert_int_equal(p.s.fail_alert, COAPSEC_DTLS_ALERT_BAD_RECORD_MAC);
    assert_int_equal(p.c.failed, 1);
    assert_int_equal(p.c.fail_err, COAPSEC_ERR_AUTH);
    assert_int_equal(p.c.fail_alert, COAPSEC_DTLS_ALERT_BAD_RECORD_MAC);
    assert_int_equal(p.c.fail_from_peer, 1);
    assert_string_equal(p.c.fail_reason, "wrong key or identity");
    assert_true(p.c.done_at < 1000); /* at once, not by timeout */
    assert_int_equal(coapsec_dtls_conn_state(&p.c.conn), COAPSEC_DTLS_ST_FAILED);
    pair_free(&p);
}

/* RFC 4279 §2: unknown identity -> fatal unknown_psk_identity. */
static void test_unknown_identity(void **state) {
    (void)state;
    tpair p;
    pair_init(&p, 3);
    assert_int_equal(pair_start_with(&p, "nobody", PAIR_KEY), 0);
    pair_run(&p, 10000);
    assert_int_equal(p.s.failed, 1);
    assert_int_equal(p.s.fail_alert, COAPSEC_DTLS_ALERT_UNKNOWN_PSK_IDENTITY);
    assert_int_equal(p.c.failed, 1);
    assert_int_equal(p.c.fail_alert, COAPSEC_DTLS_ALERT_UNKNOWN_PSK_IDENTITY);
    assert_int_equal(p.c.fail_err, COAPSEC_ERR_AUTH);
    pair_free(&p);
}

/* Drop the k-th datagram of the whole exchange. */
static int drop_kth(void *user, simnet *net, int from, int to, const uint8_t *d, size_t len) {
    long *k = user;
    return (*k)-- == 0;
}

/* RFC 6347 §4.2.4: losing any single datagram of any flight is repaired by
 * retransmission (timer or the peer's repeated flight). */
static void test_drop_each_datagram(void **state) {
    (void)state;
    tpair p;
    pair_init(&p, 4);
    establish(&p);
    long total = p.c.sent + p.s.sent + p.s.hvr_sent;
    pair_free(&p);
    assert_true(total >= 6);
    for (long i = 0; i < total; i++) {
        long k = i;
        pair_init(&p, 4);
        simnet_set_filter(p.net, drop_kth, &k);
        assert_int_equal(pair_start(&p), 0);
        pair_run(&p, 20000);
        assert_int_equal(p.c.established, 1);
        assert_int_equal(p.s.established, 1);
        send_app(&p.c, "after loss");
        pair_run(&p, p.net->now + 1000);
        expect_app(&p.s, "after loss");
        pair_free(&p);
    }
}

/* RFC 6347 §4.2.4.1: 1 s initial timer doubling, limit of retransmissions,
 * then a timeout failure. Server unreachable. */
static void test_timeout_schedule(void **state) {
    (void)state;
    tpair p;
    pair_init(&p, 5);
    simnet_link down = {0};
    down.down = 1;
    simnet_set_link(p.net, 0, 1, &down);
    assert_int_equal(pair_start(&p), 0);
    pair_run(&p, 1000000);
    assert_int_equal(p.c.failed, 1);
    assert_int_equal(p.c.fail_err, COAPSEC_ERR_TIMEOUT);
    assert_int_equal(p.c.sent, 1 + 6);
    /* 1+2+4+8+16+32+60 s (the 7th wait is capped at 60 s). */
    assert_int_equal(p.c.done_at, 123000);
    pair_free(&p);
}

/* Random loss (up to 30 %), duplication and reordering over many seeds: every
 * handshake completes, or fails with a timeout within the timer bounds. */
static void test_lossy_seeds(void **state) {
    (void)state;
    int ok = 0, timeouts = 0;
    for (uint64_t seed = 100; seed < 400; seed++) {
        tpair p;
        pair_init(&p, seed);
        simrng r;
        simrng_seed(&r, seed);
        simnet_link l = {0};
        l.loss = (double)simrng_below(&r, 31) / 100.0;
        l.dup = (double)simrng_below(&r, 20) / 100.0;
        l.latency = 5 + simrng_below(&r, 50);
        l.jitter = simrng_below(&r, 400);
        simnet_set_link(p.net, -1, -1, &l);
        if (seed % 3 == 0)
            p.c.cfg.mtu = p.s.cfg.mtu = 256;
        assert_int_equal(pair_start(&p), 0);
        assert_true(pair_run(&p, 3600000) >= 0);
        assert_int_equal(p.c.established + p.c.failed, 1);
        if (p.c.established) {
            ok++;
            assert_int_equal(p.s.established, 1);
            assert_int_equal(p.c.suite, 0xC0A8);
        } else {
            timeouts++;
            assert_int_equal(p.c.fail_err, COAPSEC_ERR_TIMEOUT);
            /* three client flights, each at most 123 s of timers */
            assert_true(p.c.done_at <= 3 * 123000 + 1000);
        }
        pair_free(&p);
    }
    print_message("lossy: %d established, %d timed out\n", ok, timeouts);
    assert_true(ok >= 280);
}

/* RFC 6347 §4.2.3: at MTU 256 every handshake datagram fits and messages
 * larger than the MTU (long hint and identity) are fragmented and reassembled,
 * also when reordered. */
static void test_mtu_256(void **state) {
    (void)state;
    static const char id[] = "a-rather-long-psk-identity-that-is-used-to-make-the-client-key-"
                             "exchange-bigger-than-one-datagram-of-the-small-test-mtu-0123456";
    static uint8_t hint[200];
    memset(hint, 'h', sizeof hint);
    for (uint64_t seed = 0; seed < 20; seed++) {
        tpair p;
        pair_init(&p, 50 + seed);
        p.known_id = id;
        p.c.cfg.mtu = p.s.cfg.mtu = 256;
        p.s.cfg.psk_hint = hint;
        p.s.cfg.psk_hint_len = 128;
        simnet_link l = {0};
        l.latency = 10;
        l.jitter = seed ? 50 : 0; /* reorders fragments */
        simnet_set_link(p.net, -1, -1, &l);
        assert_int_equal(pair_start_with(&p, id, PAIR_KEY), 0);
        pair_run(&p, 600000);
        assert_int_equal(p.c.established, 1);
        assert_int_equal(p.s.established, 1);
        assert_true(p.c.max_dgram <= 256);
        assert_true(p.s.max_dgram <= 256);
        assert_string_equal(p.s.psk_id, id);
        pair_free(&p);
    }
}

/* RFC 5246 §7.2.1: close_notify ends the session on both sides. */
static void test_close_notify(void **state) {
    (void)state;
    tpair p;
    pair_init(&p, 6);
    establish(&p);
    assert_int_equal(coapsec_dtls_conn_close(&p.c.conn, p.net->now), 0);
    pair_run(&p, p.net->now + 1000);
    assert_int_equal(p.s.closed, 1);
    assert_int_equal(coapsec_dtls_conn_state(&p.s.conn), COAPSEC_DTLS_ST_CLOSED);
    assert_int_equal(coapsec_dtls_conn_send(&p.s.conn, (const uint8_t *)"x", 1, p.net->now),
                     COAPSEC_ERR_STATE);
    pair_free(&p);
}

/* Feed a hand-made datagram to a node. */
static void inject(tnode *n, uint8_t *d, size_t len) {
    coapsec_dtls_conn_recv(&n->conn, d, len, n->pair->net->now);
}

/* Build a record as the client would, at an explicit epoch/seq with its keys. */
static size_t client_record(tpair *p, uint8_t *out, uint8_t type, uint16_t epoch, uint64_t seq,
                            const char *pt) {
    int n = cs_rec_write(out, 512, type, CS_DTLS12, epoch, seq, epoch ? p->c.conn.key[0] : NULL,
                         epoch ? p->c.conn.iv[0] : NULL, (const uint8_t *)pt, strlen(pt));
    assert_true(n > 0);
    return (size_t)n;
}

/* RFC 6347 §4.1.2.6-7 on a live session: several records per datagram,
 * out-of-order accepted once, replays dropped, bad tags and wrong epochs
 * dropped without state change, forged high sequence numbers do not slide
 * the window, truncated records ignored. */
static void test_record_rules_established(void **state) {
    (void)state;
    tpair p;
    pair_init(&p, 7);
    establish(&p);
    pair_run(&p, p.net->now + 60000); /* let the server release its hs */
    uint8_t d[1024];
    size_t n;
    /* two records in one datagram (§4.1.1) */
    n = client_record(&p, d, CS_CT_APP, 1, 10, "one");
    n += client_record(&p, d + n, CS_CT_APP, 1, 11, "two");
    inject(&p.s, d, n);
    assert_int_equal(p.s.app_count, 2);
    expect_app(&p.s, "two");
    /* out of order, inside the window: accepted once */
    n = client_record(&p, d, CS_CT_APP, 1, 5, "five");
    inject(&p.s, d, n);
    assert_int_equal(p.s.app_count, 3);
    n = client_record(&p, d, CS_CT_APP, 1, 5, "five");
    inject(&p.s, d, n);
    assert_int_equal(p.s.app_count, 3);
    /* bad tag: dropped, no state change */
    n = client_record(&p, d, CS_CT_APP, 1, 1000000, "forged");
    d[n - 1] ^= 1;
    uint64_t top = p.s.conn.rw_top, bits = p.s.conn.rw_bits;
    inject(&p.s, d, n);
    assert_int_equal(p.s.app_count, 3);
    assert_true(p.s.conn.rw_top == top && p.s.conn.rw_bits == bits);
    assert_int_equal(coapsec_dtls_conn_state(&p.s.conn), COAPSEC_DTLS_ST_ESTABLISHED);
    /* ... so a record just above the old top still gets in */
    n = client_record(&p, d, CS_CT_APP, 1, 12, "twelve");
    inject(&p.s, d, n);
    assert_int_equal(p.s.app_count, 4);
    /* wrong epoch: dropped */
    n = client_record(&p, d, CS_CT_APP, 2, 13, "epoch2");
    inject(&p.s, d, n);
    assert_int_equal(p.s.app_count, 4);
    /* application data at epoch 0: dropped; epoch-0 fatal alert: ignored */
    n = client_record(&p, d, CS_CT_APP, 0, 14, "plain");
    inject(&p.s, d, n);
    const char fatal[] = {2, 40, 0};
    n = client_record(&p, d, CS_CT_ALERT, 0, 15, fatal);
    inject(&p.s, d, n);
    assert_int_equal(p.s.app_count, 4);
    assert_int_equal(coapsec_dtls_conn_state(&p.s.conn), COAPSEC_DTLS_ST_ESTABLISHED);
    /* truncated record (length field beyond the datagram) */
    n = client_record(&p, d, CS_CT_APP, 1, 16, "cut");
    inject(&p.s, d, n - 1);
    assert_int_equal(p.s.app_count, 4);
    /* a warning alert (unrecognized_name) does not end the session */
    const char warn[] = {1, 112, 0};
    n = client_record(&p, d, CS_CT_ALERT, 1, 17, warn);
    inject(&p.s, d, n);
    assert_int_equal(coapsec_dtls_conn_state(&p.s.conn), COAPSEC_DTLS_ST_ESTABLISHED);
    pair_free(&p);
}

/* RFC 5746 §4.2 / RFC 5246 §7.4.1.2: a ClientHello on an established
 * connection gets a no_renegotiation warning; the session goes on. */
static void test_renegotiation_refused(void **state) {
    (void)state;
    tpair p;
    pair_init(&p, 8);
    establish(&p);
    pair_run(&p, p.net->now + 60000);
    uint8_t hs[CS_HS_HDR + 40], d[256];
    memset(hs, 0, sizeof hs);
    cs_hs_header(hs, CS_HT_CLIENT_HELLO, 40, 5, 0, 40);
    int n = cs_rec_write(d, sizeof d, CS_CT_HANDSHAKE, CS_DTLS12, 1, 50, p.c.conn.key[0],
                         p.c.conn.iv[0], hs, sizeof hs);
    long before = p.s.sent;
    inject(&p.s, d, (size_t)n);
    assert_int_equal(p.s.sent, before + 1); /* the warning */
    pair_run(&p, p.net->now + 1000);
    assert_int_equal(coapsec_dtls_conn_state(&p.s.conn), COAPSEC_DTLS_ST_ESTABLISHED);
    assert_int_equal(coapsec_dtls_conn_state(&p.c.conn), COAPSEC_DTLS_ST_ESTABLISHED);
    send_app(&p.c, "still here");
    pair_run(&p, p.net->now + 1000);
    expect_app(&p.s, "still here");
    pair_free(&p);
}

/* RFC 6347 §4.1: the 48-bit sequence number never wraps (no nonce reuse). */
static void test_sequence_exhaustion(void **state) {
    (void)state;
    tpair p;
    pair_init(&p, 9);
    establish(&p);
    p.c.conn.write_seq = CS_SEQ_MAX - 1;
    send_app(&p.c, "last");
    assert_int_equal(coapsec_dtls_conn_send(&p.c.conn, (const uint8_t *)"x", 1, p.net->now),
                     COAPSEC_ERR_CLOSED);
    pair_free(&p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handshake_and_data),
        cmocka_unit_test(test_ems_on_off),
        cmocka_unit_test(test_wrong_psk),
        cmocka_unit_test(test_unknown_identity),
        cmocka_unit_test(test_drop_each_datagram),
        cmocka_unit_test(test_timeout_schedule),
        cmocka_unit_test(test_lossy_seeds),
        cmocka_unit_test(test_mtu_256),
        cmocka_unit_test(test_close_notify),
        cmocka_unit_test(test_record_rules_established),
        cmocka_unit_test(test_renegotiation_refused),
        cmocka_unit_test(test_sequence_exhaustion),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
