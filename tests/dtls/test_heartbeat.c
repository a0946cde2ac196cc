/*
 * test_heartbeat.c - the DTLS Heartbeat protocol (RFC 6520, src/dtls/
 * heartbeat.c and its hooks in the hello extensions and conn.c) on the
 * simulated network: negotiation both ways (§2), request/response with an
 * exact payload copy and at least 16 bytes of random padding (§4), at most
 * one request in flight (§3), retransmission on the DTLS timer and the peer
 * declared dead after the retry threshold (§3), silent discard of an
 * oversize payload_length (§4) and of a response matching no request (§4),
 * none during a handshake (§3), an unknown mode refused (§2), the interval.
 * Records are inspected by decrypting them with the sender's keys.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dtls/dtls_int.h"
#include "pair.h"

static struct {
    int hb_ok[2];           /* ESTABLISHED: ev->heartbeat, per node (0 client) */
    int dead[2];            /* COAPSEC_DTLS_EV_DEAD */
    coapsec_tstamp dead_at; /* when */
    int hb_sent[2][3];      /* heartbeat records sent, by message type */
    size_t min_pad;         /* smallest padding seen */
    uint8_t last_payload[2][64];
    size_t last_plen[2];
    int drop_hb_from_server; /* 1: heartbeat records from the server are lost */
    int bad_mode;            /* rewrite the client's heartbeat mode to this (0: no) */
} g;

static void ev_hook(void *user, const coapsec_dtls_event *ev) {
    tnode *n = user;
    pair_event(user, ev);
    if (ev->type == COAPSEC_DTLS_EV_ESTABLISHED)
        g.hb_ok[n->is_server] = ev->heartbeat;
    if (ev->type == COAPSEC_DTLS_EV_DEAD) {
        g.dead[n->is_server]++;
        g.dead_at = n->pair->net->now;
        assert_int_equal(ev->err, COAPSEC_ERR_TIMEOUT);
    }
}

/* Decrypt heartbeat records with the sender's write keys and record them. */
static size_t inspect(tpair *p, tnode *from, uint8_t *d, size_t len, size_t cap) {
    (void)cap;
    (void)p;
    int w = from->is_server ? 1 : 0;
    for (size_t pos = 0; pos + CS_REC_HDR <= len;) {
        cs_record r;
        uint8_t copy[SIMNET_MAX_DGRAM];
        size_t rl = cs_get16(d + pos + 11);
        if (pos + CS_REC_HDR + rl > len)
            break;
        if (g.bad_mode && d[pos] == CS_CT_HANDSHAKE && cs_get16(d + pos + 3) == 0) {
            /* the heartbeat extension 00 0f 00 01 <mode> in a ClientHello */
            for (size_t i = pos + CS_REC_HDR; i + 5 <= pos + CS_REC_HDR + rl; i++)
                if (!memcmp(d + i, "\x00\x0f\x00\x01", 4) && (d[i + 4] == 1 || d[i + 4] == 2))
                    d[i + 4] = (uint8_t)g.bad_mode;
        }
        if (d[pos] == CS_CT_HEARTBEAT) {
            memcpy(copy, d + pos, CS_REC_HDR + rl);
            if (cs_rec_parse(copy, CS_REC_HDR + rl, &r) == 0 &&
                cs_rec_open(&r, from->conn.key[w], from->conn.iv[w]) == 0 && r.len >= 3) {
                size_t plen = cs_get16(r.frag + 1);
                assert_true(plen + 3 <= r.len);
                size_t pad = r.len - 3 - plen;
                if (!g.min_pad || pad < g.min_pad)
                    g.min_pad = pad;
                if (r.frag[0] >= 1 && r.frag[0] <= 2)
                    g.hb_sent[from->is_server][r.frag[0]]++;
                g.last_plen[from->is_server] = plen < 64 ? plen : 64;
                memcpy(g.last_payload[from->is_server], r.frag + 3, g.last_plen[from->is_server]);
            }
            if (from->is_server && g.drop_hb_from_server) {
                memmove(d + pos, d + pos + CS_REC_HDR + rl, len - pos - CS_REC_HDR - rl);
                len -= CS_REC_HDR + rl;
                continue;
            }
        }
        pos += CS_REC_HDR + rl;
    }
    return len;
}

static void setup(tpair *p, uint64_t seed, int cmode, int smode) {
    memset(&g, 0, sizeof g);
    pair_init(p, seed);
    p->c.cfg.cb.event = ev_hook;
    p->s.cfg.cb.event = ev_hook;
    p->c.cfg.heartbeat = (uint8_t)cmode;
    p->s.cfg.heartbeat = (uint8_t)smode;
    p->mangle = inspect;
}

static void establish(tpair *p) {
    assert_int_equal(pair_start(p), 0);
    pair_run(p, p->net->now + 10000);
    assert_int_equal(p->c.established, 1);
    assert_int_equal(p->s.established, 1);
}

/* Feed `to` a heartbeat message (plaintext pt) sealed as `from` would. */
static void inject(tpair *p, tnode *from, tnode *to, const uint8_t *pt, size_t len) {
    uint8_t rec[COAPSEC_DTLS_DGRAM_MAX];
    int w = from->is_server ? 1 : 0;
    int n = cs_rec_write(rec, sizeof rec, CS_CT_HEARTBEAT, CS_DTLS12, from->conn.write_epoch,
                         from->conn.write_seq++, from->conn.key[w], from->conn.iv[w], pt, len);
    assert_true(n > 0);
    assert_int_equal(coapsec_dtls_conn_recv(&to->conn, rec, (size_t)n, p->net->now), 0);
}

/* §2: both allow: each side may send; requests are answered with an exact
 * copy of the payload; padding at least 16 bytes (§4). */
static void test_negotiated_both_ways(void **state) {
    (void)state;
    tpair p;
    setup(&p, 1, COAPSEC_DTLS_HB_ALLOWED, COAPSEC_DTLS_HB_ALLOWED);
    establish(&p);
    assert_int_equal(g.hb_ok[0], 1);
    assert_int_equal(g.hb_ok[1], 1);
    assert_int_equal(coapsec_dtls_conn_heartbeat(&p.c.conn, p.net->now), 0);
    assert_int_equal(coapsec_dtls_conn_heartbeat(&p.c.conn, p.net->now), COAPSEC_ERR_BUSY);
    pair_run(&p, p.net->now + 500);
    assert_int_equal(g.hb_sent[0][1], 1); /* request */
    assert_int_equal(g.hb_sent[1][2], 1); /* response */
    assert_int_equal(g.last_plen[0], 4);
    assert_int_equal(g.last_plen[1], 4);
    assert_memory_equal(g.last_payload[0], g.last_payload[1], 4);
    assert_true(g.min_pad >= 16);
    assert_int_equal(p.c.conn.hb_flags & CS_HB_INFLIGHT, 0);
    /* Answered: the next one may go. The server may ping too. */
    assert_int_equal(coapsec_dtls_conn_heartbeat(&p.c.conn, p.net->now), 0);
    assert_int_equal(coapsec_dtls_conn_heartbeat(&p.s.conn, p.net->now), 0);
    pair_run(&p, p.net->now + 500);
    assert_int_equal(g.hb_sent[0][1] + g.hb_sent[1][1], 3);
    assert_int_equal(g.hb_sent[0][2] + g.hb_sent[1][2], 3);
    assert_int_equal(p.c.conn.hb_flags & CS_HB_INFLIGHT, 0);
    assert_int_equal(p.s.conn.hb_flags & CS_HB_INFLIGHT, 0);
    assert_int_equal(g.dead[0] + g.dead[1], 0);
    pair_free(&p);
}

/* §2: peer_not_allowed_to_send: the side that said it only sends; a request
 * to it anyway is dropped silently. No extension on either side: no
 * heartbeat at all. */
static void test_modes_and_absence(void **state) {
    (void)state;
    tpair p;
    setup(&p, 2, COAPSEC_DTLS_HB_NOT_ALLOWED, COAPSEC_DTLS_HB_ALLOWED);
    establish(&p);
    assert_int_equal(g.hb_ok[0], 1); /* the server allows the client */
    assert_int_equal(g.hb_ok[1], 0); /* the client does not allow the server */
    assert_int_equal(coapsec_dtls_conn_heartbeat(&p.s.conn, p.net->now), COAPSEC_ERR_STATE);
    assert_int_equal(coapsec_dtls_conn_heartbeat(&p.c.conn, p.net->now), 0);
    pair_run(&p, p.net->now + 500);
    assert_int_equal(g.hb_sent[1][2], 1);
    uint8_t req[3 + 4 + 16] = {1, 0, 4, 'a', 'b', 'c', 'd'};
    long before = p.c.sent;
    inject(&p, &p.s, &p.c, req, sizeof req);
    pair_run(&p, p.net->now + 500);
    assert_int_equal(p.c.sent, before); /* not answered */
    pair_free(&p);

    for (int mode = 0; mode < 2; mode++) { /* client off / server off */
        setup(&p, 3 + (uint64_t)mode, mode ? COAPSEC_DTLS_HB_ALLOWED : 0,
              mode ? 0 : COAPSEC_DTLS_HB_ALLOWED);
        establish(&p);
        assert_int_equal(g.hb_ok[0] + g.hb_ok[1], 0);
        assert_int_equal(coapsec_dtls_conn_heartbeat(&p.c.conn, p.net->now), COAPSEC_ERR_STATE);
        assert_int_equal(coapsec_dtls_conn_heartbeat(&p.s.conn, p.net->now), COAPSEC_ERR_STATE);
        before = p.s.sent;
        inject(&p, &p.c, &p.s, req, sizeof req); /* not negotiated: ignored */
        assert_int_equal(p.s.sent, before);
        pair_free(&p);
    }
}

/* §3: no request during a handshake; §2: an unknown mode is refused with
 * illegal_parameter. */
static void test_handshake_rules(void **state) {
    (void)state;
    tpair p;
    setup(&p, 5, COAPSEC_DTLS_HB_ALLOWED, COAPSEC_DTLS_HB_ALLOWED);
    assert_int_equal(pair_start(&p), 0);
    assert_int_equal(coapsec_dtls_conn_heartbeat(&p.c.conn, p.net->now), COAPSEC_ERR_STATE);
    pair_run(&p, p.net->now + 10000);
    assert_int_equal(p.c.established, 1);
    assert_int_equal(g.hb_sent[0][1] + g.hb_sent[1][1], 0);
    pair_free(&p);

    setup(&p, 6, COAPSEC_DTLS_HB_ALLOWED, COAPSEC_DTLS_HB_ALLOWED);
    g.bad_mode = 3;
    assert_int_equal(pair_start(&p), 0);
    pair_run(&p, p.net->now + 10000);
    assert_int_equal(p.s.failed, 1);
    assert_int_equal(p.s.fail_alert, COAPSEC_DTLS_ALERT_ILLEGAL_PARAMETER);
    assert_int_equal(p.c.established, 0);
    pair_free(&p);
}

/* §3: a lost request is retransmitted on the DTLS timer (1 s doubling here
 * from 100 ms), the same payload each time; after max_retransmits the peer
 * is declared dead (EV_DEAD) and the session closed. */
static void test_retransmit_then_dead(void **state) {
    (void)state;
    tpair p;
    setup(&p, 7, COAPSEC_DTLS_HB_ALLOWED, COAPSEC_DTLS_HB_ALLOWED);
    p.c.cfg.retrans_initial_ms = 100;
    p.c.cfg.max_retransmits = 3;
    establish(&p);
    g.drop_hb_from_server = 1;
    coapsec_tstamp t0 = p.net->now;
    assert_int_equal(coapsec_dtls_conn_heartbeat(&p.c.conn, t0), 0);
    assert_int_equal(coapsec_dtls_conn_expiry(&p.c.conn), t0 + 100);
    pair_run(&p, t0 + 10000);
    assert_int_equal(g.hb_sent[0][1], 4); /* the request and 3 retransmissions */
    assert_int_equal(g.hb_sent[1][2], 4); /* each answered, each answer lost */
    assert_int_equal(g.dead[0], 1);
    assert_int_equal(g.dead_at, t0 + 100 + 200 + 400 + 800);
    assert_int_equal(coapsec_dtls_conn_state(&p.c.conn), COAPSEC_DTLS_ST_CLOSED);
    assert_int_equal(coapsec_dtls_conn_error(&p.c.conn, NULL), COAPSEC_ERR_TIMEOUT);
    assert_int_equal(p.s.closed, 1); /* close_notify reached the server */
    pair_free(&p);

    /* One lost answer only: the retransmission is answered, no death. */
    setup(&p, 8, COAPSEC_DTLS_HB_ALLOWED, COAPSEC_DTLS_HB_ALLOWED);
    p.c.cfg.retrans_initial_ms = 100;
    establish(&p);
    g.drop_hb_from_server = 1;
    assert_int_equal(coapsec_dtls_conn_heartbeat(&p.c.conn, p.net->now), 0);
    pair_run(&p, p.net->now + 50);
    g.drop_hb_from_server = 0;
    pair_run(&p, p.net->now + 10000);
    assert_int_equal(g.hb_sent[0][1], 2);
    assert_int_equal(g.dead[0], 0);
    assert_int_equal(p.c.conn.hb_flags & CS_HB_INFLIGHT, 0);
    assert_int_equal(coapsec_dtls_conn_expiry(&p.c.conn), COAPSEC_TSTAMP_NONE);
    pair_free(&p);
}

/* §4: payload_length larger than the record allows (with 16 bytes of
 * padding) is discarded silently; a well-formed request is answered. */
static void test_oversize_payload_length(void **state) {
    (void)state;
    tpair p;
    setup(&p, 9, COAPSEC_DTLS_HB_ALLOWED, COAPSEC_DTLS_HB_ALLOWED);
    establish(&p);
    uint8_t m[3 + 8 + 16];
    memset(m, 0x11, sizeof m);
    m[0] = 1;
    long before = p.s.sent;
    cs_put16(m + 1, 9); /* 3 + 9 + 16 > 27 */
    inject(&p, &p.c, &p.s, m, sizeof m);
    cs_put16(m + 1, 0xFFFF);
    inject(&p, &p.c, &p.s, m, sizeof m);
    inject(&p, &p.c, &p.s, m, 2); /* shorter than the header */
    assert_int_equal(p.s.sent, before);
    cs_put16(m + 1, 8); /* exactly 16 bytes of padding: answered */
    inject(&p, &p.c, &p.s, m, sizeof m);
    assert_int_equal(p.s.sent, before + 1);
    pair_run(&p, p.net->now + 100);
    assert_int_equal(g.hb_sent[1][2], 1);
    assert_int_equal(g.last_plen[1], 8);
    assert_memory_equal(g.last_payload[1], m + 3, 8);
    pair_free(&p);
}

/* §4: a response that matches no request (wrong payload, or nothing in
 * flight) is discarded; the request stays in flight and is retransmitted. */
static void test_unmatched_response(void **state) {
    (void)state;
    tpair p;
    setup(&p, 10, COAPSEC_DTLS_HB_ALLOWED, COAPSEC_DTLS_HB_ALLOWED);
    p.c.cfg.retrans_initial_ms = 100;
    establish(&p);
    uint8_t resp[3 + 4 + 16] = {2, 0, 4};
    inject(&p, &p.s, &p.c, resp, sizeof resp); /* nothing in flight */
    g.drop_hb_from_server = 1;
    assert_int_equal(coapsec_dtls_conn_heartbeat(&p.c.conn, p.net->now), 0);
    uint32_t tag = p.c.conn.hb_tag;
    cs_put16(resp + 3, (tag >> 16) ^ 1);
    cs_put16(resp + 5, tag & 0xffff);
    inject(&p, &p.s, &p.c, resp, sizeof resp); /* wrong payload */
    assert_int_not_equal(p.c.conn.hb_flags & CS_HB_INFLIGHT, 0);
    pair_run(&p, p.net->now + 150);
    assert_int_equal(g.hb_sent[0][1], 2); /* retransmitted */
    cs_put16(resp + 3, tag >> 16);        /* the right one */
    inject(&p, &p.s, &p.c, resp, sizeof resp);
    assert_int_equal(p.c.conn.hb_flags & CS_HB_INFLIGHT, 0);
    pair_free(&p);
}

/* The interval: a request after heartbeat_interval_ms without input; input
 * from the peer pushes it back. */
static void test_interval(void **state) {
    (void)state;
    tpair p;
    setup(&p, 11, COAPSEC_DTLS_HB_ALLOWED, COAPSEC_DTLS_HB_ALLOWED);
    p.c.cfg.heartbeat_interval_ms = 5000;
    establish(&p);
    /* establish() ran the clock 10 s: requests went out every 5 s already. */
    assert_int_equal(g.hb_sent[0][1], 2);
    assert_int_equal(g.hb_sent[1][2], 2);
    int base = g.hb_sent[0][1];
    coapsec_tstamp t0 = p.net->now; /* the last answer arrived */
    assert_int_equal(coapsec_dtls_conn_expiry(&p.c.conn), t0 + 5000);
    p.net->now = t0 + 3000;
    assert_int_equal(coapsec_dtls_conn_send(&p.s.conn, (const uint8_t *)"x", 1, p.net->now), 0);
    pair_run(&p, t0 + 6000);
    assert_int_equal(p.c.app_count, 1);
    assert_int_equal(g.hb_sent[0][1], base); /* input pushed the request back */
    assert_true(coapsec_dtls_conn_expiry(&p.c.conn) >= t0 + 8000);
    pair_run(&p, t0 + 8000 + 100);
    assert_int_equal(g.hb_sent[0][1], base + 1);
    assert_int_equal(g.hb_sent[0][1], g.hb_sent[1][2]);
    assert_int_equal(g.dead[0], 0);
    pair_free(&p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_negotiated_both_ways),
        cmocka_unit_test(test_modes_and_absence),
        cmocka_unit_test(test_handshake_rules),
        cmocka_unit_test(test_retransmit_then_dead),
        cmocka_unit_test(test_oversize_payload_length),
        cmocka_unit_test(test_unmatched_response),
        cmocka_unit_test(test_interval),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
