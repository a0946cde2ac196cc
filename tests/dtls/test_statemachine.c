/*
 * test_statemachine.c - DTLS 1.2 handshake state-machine conformance
 * (src/dtls/conn.c, client.c, server.c, hsframe.c, cookie.c), as client and
 * as server. The classic state-fuzzing findings against DTLS stacks (early
 * ChangeCipherSpec, Finished without ChangeCipherSpec, ClientHello in epoch
 * 1, duplicate/different Finished, unbounded next-epoch buffering, cookies
 * not bound to the address, inconsistent fragment lengths) are replayed by
 * hand against a real client/server pair (tests/dtls/pair.h) whose
 * flights are held back at a chosen point. Every case must end in a fatal
 * alert or a silent drop: never in an established session, a crash or
 * unbounded memory. Each test names the message sequence it plays; the
 * legitimate peer's flights are then delivered to show that a silent drop
 * left the state intact. RFC 6347 §4.1.2, §4.2.1-4.2.4, RFC 5246 §7.4.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dtls/dtls_int.h"
#include "pair.h"

#define LOG_MAX 64

typedef struct cap {
    int from;
    size_t len;
    uint8_t d[COAPSEC_DTLS_DGRAM_MAX];
} cap;

/* The pair plus a network filter that logs every datagram and holds back
 * (drops, keeping a copy) the first datagram of a chosen flight. */
typedef struct sm {
    tpair p;
    int hold_from;   /* node whose matching datagrams are held; -1: none */
    uint8_t hold_ct; /* content type of the datagram's first record */
    uint8_t hold_ht; /* handshake type of that record (when it is a handshake) */
    cap held[8];
    int nheld;
    cap log[LOG_MAX];
    int nlog;
} sm;

static sm S;

static int sm_filter(void *user, simnet *net, int from, int to, const uint8_t *d, size_t len) {
    (void)net;
    (void)to;
    sm *s = user;
    if (len > COAPSEC_DTLS_DGRAM_MAX)
        return 0;
    if (s->nlog < LOG_MAX) {
        s->log[s->nlog].from = from;
        s->log[s->nlog].len = len;
        memcpy(s->log[s->nlog].d, d, len);
        s->nlog++;
    }
    if (from == s->hold_from && len > CS_REC_HDR && d[0] == s->hold_ct &&
        (d[0] != CS_CT_HANDSHAKE || d[CS_REC_HDR] == s->hold_ht)) {
        if (s->nheld < 8) {
            s->held[s->nheld].from = from;
            s->held[s->nheld].len = len;
            memcpy(s->held[s->nheld].d, d, len);
            s->nheld++;
        }
        return 1;
    }
    return 0;
}

/* Start a handshake and run it until it stalls on the held flight. */
static sm *sm_start(uint64_t seed, int hold_from, uint8_t ct, uint8_t ht) {
    sm *s = &S;
    memset(s, 0, sizeof *s);
    pair_init(&s->p, seed);
    s->hold_from = hold_from;
    s->hold_ct = ct;
    s->hold_ht = ht;
    simnet_set_filter(s->p.net, sm_filter, s);
    assert_int_equal(pair_start(&s->p), 0);
    pair_run(&s->p, s->p.net->now + 200); /* before any retransmission timer */
    assert_int_equal(s->nheld, 1);
    return s;
}

static void sm_free(sm *s) {
    pair_free(&s->p);
}

/* Offset and length of record idx of a captured datagram. */
static void rec_at(const cap *c, int idx, size_t *off, size_t *len) {
    size_t pos = 0;
    for (int i = 0;; i++) {
        assert_true(pos + CS_REC_HDR <= c->len);
        size_t n = CS_REC_HDR + cs_get16(c->d + pos + 11);
        if (i == idx) {
            *off = pos;
            *len = n;
            return;
        }
        pos += n;
    }
}

static int rec_count(const cap *c) {
    int k = 0;
    for (size_t pos = 0; pos + CS_REC_HDR <= c->len; k++)
        pos += CS_REC_HDR + cs_get16(c->d + pos + 11);
    return k;
}

/* Feed records [first, first+count) of a captured datagram to a node. */
static void deliver(tnode *n, const cap *c, int first, int count) {
    uint8_t buf[COAPSEC_DTLS_DGRAM_MAX];
    size_t used = 0;
    for (int i = first; i < first + count; i++) {
        size_t off, len;
        rec_at(c, i, &off, &len);
        memcpy(buf + used, c->d + off, len);
        used += len;
    }
    coapsec_dtls_conn_recv(&n->conn, buf, used, n->pair->net->now);
}

static void inject(tnode *n, uint8_t *d, size_t len) {
    coapsec_dtls_conn_recv(&n->conn, d, len, n->pair->net->now);
}

/* One handshake message in one record; key NULL: epoch-0 plaintext. */
static size_t hs_rec(uint8_t *out, uint16_t epoch, uint64_t rseq, const uint8_t *key,
                     const uint8_t *iv, uint8_t ht, uint16_t mseq, const uint8_t *body,
                     size_t blen) {
    uint8_t m[CS_HS_HDR + 256];
    assert_true(blen <= 256);
    cs_hs_header(m, ht, (uint32_t)blen, mseq, 0, (uint32_t)blen);
    if (blen)
        memcpy(m + CS_HS_HDR, body, blen);
    int n = cs_rec_write(out, COAPSEC_DTLS_DGRAM_MAX, CS_CT_HANDSHAKE, CS_DTLS12, epoch, rseq, key,
                         iv, m, CS_HS_HDR + blen);
    assert_true(n > 0);
    return (size_t)n;
}

static size_t plain_rec(uint8_t *out, uint8_t type, uint16_t epoch, uint64_t rseq,
                        const uint8_t *key, const uint8_t *iv, const void *pt, size_t len) {
    int n =
        cs_rec_write(out, COAPSEC_DTLS_DGRAM_MAX, type, CS_DTLS12, epoch, rseq, key, iv, pt, len);
    assert_true(n > 0);
    return (size_t)n;
}

/* Write keys: the client's conn holds both directions once it sent flight 5. */
#define CKEY(s) ((s)->p.c.conn.key[0])
#define CIV(s)  ((s)->p.c.conn.iv[0])
#define SKEY(s) ((s)->p.c.conn.key[1])
#define SIV(s)  ((s)->p.c.conn.iv[1])

/* The last datagram node n sent. */
static const cap *last_from(const sm *s, int node) {
    for (int i = s->nlog - 1; i >= 0; i--)
        if (s->log[i].from == node)
            return &s->log[i];
    fail_msg("node %d sent nothing", node);
    return NULL;
}

/* The node answered with exactly one datagram, a fatal alert record (alert),
 * reported FAILED (err) and never established. */
static void expect_alert(sm *s, tnode *n, long sent_before, int alert, int err) {
    assert_int_equal(n->failed, 1);
    assert_int_equal(n->fail_alert, alert);
    assert_int_equal(n->fail_from_peer, 0);
    if (err)
        assert_int_equal(n->fail_err, err);
    assert_int_equal(n->established, 0);
    assert_int_equal(n->sent, sent_before + 1);
    assert_int_equal(last_from(s, n->id)->d[0], CS_CT_ALERT);
    assert_int_equal(coapsec_dtls_conn_state(&n->conn), COAPSEC_DTLS_ST_FAILED);
    assert_null(n->conn.hs); /* handshake object released, keys wiped */
    assert_int_equal(n->conn.flags & CS_F_KEYS, 0);
}

/* Nothing sent, nothing reported, the internal state unchanged. */
static void expect_silent(tnode *n, long sent_before, int established, uint8_t st) {
    assert_int_equal(n->sent, sent_before);
    assert_int_equal(n->failed, 0);
    assert_int_equal(n->established, established);
    assert_int_equal(n->conn.state, st);
}

/* Let the held flights go and everything else run: the handshake completes. */
static void finish_ok(sm *s) {
    s->hold_from = -1;
    for (int i = 0; i < s->nheld; i++)
        simnet_send(s->p.net, s->held[i].from, 1 - s->held[i].from, s->held[i].d, s->held[i].len);
    s->nheld = 0;
    pair_run(&s->p, s->p.net->now + 30000);
    assert_int_equal(s->p.c.established, 1);
    assert_int_equal(s->p.s.established, 1);
    assert_int_equal(s->p.c.failed + s->p.s.failed, 0);
}

/* Flight 4 (ServerHello..ServerHelloDone) held: server in WAIT_CKE, client in WAIT_HELLO. */
static sm *at_server_wait_cke(uint64_t seed) {
    sm *s = sm_start(seed, 1, CS_CT_HANDSHAKE, CS_HT_SERVER_HELLO);
    assert_int_equal(s->p.s.conn.state, CS_ST_S_WAIT_CKE);
    assert_int_equal(s->p.c.conn.state, CS_ST_C_WAIT_HELLO);
    return s;
}

/* Flight 5 (ClientKeyExchange, CCS, Finished) held: client in WAIT_CCS. */
static sm *at_flight5(uint64_t seed) {
    sm *s = sm_start(seed, 0, CS_CT_HANDSHAKE, CS_HT_CLIENT_KEY_EXCHANGE);
    assert_int_equal(s->p.s.conn.state, CS_ST_S_WAIT_CKE);
    assert_int_equal(s->p.c.conn.state, CS_ST_C_WAIT_CCS);
    assert_int_equal(rec_count(&s->held[0]), 3);
    return s;
}

/* Flight 6 (CCS, Finished) held: server established (lingering), client in WAIT_CCS. */
static sm *at_flight6(uint64_t seed) {
    sm *s = sm_start(seed, 1, CS_CT_CCS, 0);
    assert_int_equal(s->p.s.conn.state, CS_ST_ESTABLISHED);
    assert_non_null(s->p.s.conn.hs);
    assert_int_equal(s->p.c.conn.state, CS_ST_C_WAIT_CCS);
    assert_int_equal(rec_count(&s->held[0]), 2);
    return s;
}

/* ---- ChangeCipherSpec too early -------------------------------------------- */

/* Server: CH, HVR, CH(cookie), SH..SHD, then CCS (epoch 0) before any
 * ClientKeyExchange -> dropped (no keys: the read epoch must not move). */
static void test_server_ccs_before_key_exchange(void **state) {
    (void)state;
    sm *s = at_server_wait_cke(101);
    long sent = s->p.s.sent;
    uint8_t d[64], one = 1;
    size_t n = plain_rec(d, CS_CT_CCS, 0, 7, NULL, NULL, &one, 1);
    inject(&s->p.s, d, n);
    expect_silent(&s->p.s, sent, 0, CS_ST_S_WAIT_CKE);
    assert_int_equal(s->p.s.conn.read_epoch, 0);
    finish_ok(s);
    sm_free(s);
}

/* Client: CH, HVR, CH(cookie), then CCS before ServerHello, and again after
 * ServerHello but before ServerHelloDone -> dropped both times. */
static void test_client_ccs_before_key_exchange(void **state) {
    (void)state;
    sm *s = at_server_wait_cke(102);
    tnode *c = &s->p.c;
    long sent = c->sent;
    uint8_t d[64], one = 1;
    size_t n = plain_rec(d, CS_CT_CCS, 0, 9, NULL, NULL, &one, 1);
    inject(c, d, n);
    expect_silent(c, sent, 0, CS_ST_C_WAIT_HELLO);
    assert_true(rec_count(&s->held[0]) >= 2);
    deliver(c, &s->held[0], 0, 1); /* ServerHello only */
    assert_int_equal(c->conn.state, CS_ST_C_WAIT_SKE_SHD);
    n = plain_rec(d, CS_CT_CCS, 0, 10, NULL, NULL, &one, 1);
    inject(c, d, n);
    expect_silent(c, sent, 0, CS_ST_C_WAIT_SKE_SHD);
    assert_int_equal(c->conn.read_epoch, 0);
    finish_ok(s);
    sm_free(s);
}

/* ---- Finished without ChangeCipherSpec ------------------------------------- */

/* Server: ... SHD, CKE, then Finished in epoch 0 (no CCS) -> unexpected_message. */
static void test_server_finished_before_ccs(void **state) {
    (void)state;
    sm *s = at_flight5(103);
    tnode *sv = &s->p.s;
    deliver(sv, &s->held[0], 0, 1); /* ClientKeyExchange only */
    assert_int_equal(sv->conn.state, CS_ST_S_WAIT_CCS);
    long sent = sv->sent;
    uint8_t d[128], vd[CS_VERIFY_LEN] = {0};
    size_t n = hs_rec(d, 0, 20, NULL, NULL, CS_HT_FINISHED, sv->hs.recv_seq, vd, sizeof vd);
    inject(sv, d, n);
    expect_alert(s, sv, sent, COAPSEC_DTLS_ALERT_UNEXPECTED_MESSAGE, COAPSEC_ERR_HANDSHAKE);
    deliver(sv, &s->held[0], 1, 2); /* the genuine CCS + Finished: too late */
    assert_int_equal(sv->established, 0);
    assert_int_equal(sv->sent, sent + 1);
    sm_free(s);
}

/* Server: ... CKE, then the genuine (epoch 1) Finished but the CCS never
 * comes -> the Finished waits in the bounded next-epoch buffer, is never
 * processed, and the handshake times out instead of completing. */
static void test_server_finished_without_ccs_times_out(void **state) {
    (void)state;
    sm *s = at_flight5(104);
    tnode *sv = &s->p.s;
    deliver(sv, &s->held[0], 0, 1); /* CKE */
    deliver(sv, &s->held[0], 2, 1); /* Finished, skipping the CCS */
    assert_int_equal(sv->conn.state, CS_ST_S_WAIT_CCS);
    assert_int_equal(sv->conn.read_epoch, 0);
    assert_true(sv->hs.pend_len > 0);
    s->hold_from = 0; /* keep dropping the client's retransmissions */
    s->hold_ct = CS_CT_HANDSHAKE;
    pair_run(&s->p, s->p.net->now + 600000);
    assert_int_equal(sv->established, 0);
    assert_int_equal(sv->failed, 1);
    assert_int_equal(sv->fail_err, COAPSEC_ERR_TIMEOUT);
    sm_free(s);
}

/* Client: ... flight 5 sent, then the server's Finished in epoch 0 before its
 * CCS -> unexpected_message. */
static void test_client_finished_before_ccs(void **state) {
    (void)state;
    sm *s = at_flight6(105);
    tnode *c = &s->p.c;
    long sent = c->sent;
    uint8_t d[128], vd[CS_VERIFY_LEN] = {0};
    size_t n = hs_rec(d, 0, 30, NULL, NULL, CS_HT_FINISHED, c->hs.recv_seq, vd, sizeof vd);
    inject(c, d, n);
    expect_alert(s, c, sent, COAPSEC_DTLS_ALERT_UNEXPECTED_MESSAGE, COAPSEC_ERR_HANDSHAKE);
    deliver(c, &s->held[0], 0, 2);
    assert_int_equal(c->established, 0);
    sm_free(s);
}

/* ---- Finished with the wrong verify_data ------------------------------------ */

/* Server: ... CKE, CCS, Finished(verify_data wrong, correctly encrypted)
 * -> decrypt_error, COAPSEC_ERR_AUTH (RFC 5246 §7.4.9). */
static void test_server_finished_wrong_verify_data(void **state) {
    (void)state;
    sm *s = at_flight5(106);
    tnode *sv = &s->p.s;
    deliver(sv, &s->held[0], 0, 2); /* CKE + CCS */
    assert_int_equal(sv->conn.state, CS_ST_S_WAIT_FIN);
    long sent = sv->sent;
    uint8_t d[128], vd[CS_VERIFY_LEN];
    memset(vd, 0x5A, sizeof vd);
    size_t n = hs_rec(d, 1, 40, CKEY(s), CIV(s), CS_HT_FINISHED, sv->hs.recv_seq, vd, sizeof vd);
    inject(sv, d, n);
    expect_alert(s, sv, sent, COAPSEC_DTLS_ALERT_DECRYPT_ERROR, COAPSEC_ERR_AUTH);
    sm_free(s);
}

/* Client: ... server CCS, Finished(verify_data wrong) -> decrypt_error. */
static void test_client_finished_wrong_verify_data(void **state) {
    (void)state;
    sm *s = at_flight6(107);
    tnode *c = &s->p.c;
    deliver(c, &s->held[0], 0, 1); /* CCS */
    assert_int_equal(c->conn.state, CS_ST_C_WAIT_FIN);
    long sent = c->sent;
    uint8_t d[128], vd[CS_VERIFY_LEN];
    memset(vd, 0xA5, sizeof vd);
    size_t n = hs_rec(d, 1, 40, SKEY(s), SIV(s), CS_HT_FINISHED, c->hs.recv_seq, vd, sizeof vd);
    inject(c, d, n);
    expect_alert(s, c, sent, COAPSEC_DTLS_ALERT_DECRYPT_ERROR, COAPSEC_ERR_AUTH);
    sm_free(s);
}

/* ---- application data too early ------------------------------------------- */

/* Server: app data in epoch 0 at WAIT_CKE, then CKE, CCS, app data in epoch 1
 * before Finished -> both dropped, never delivered (not even later); then the
 * genuine Finished completes the handshake. */
static void test_server_app_data_before_finished(void **state) {
    (void)state;
    sm *s = at_flight5(108);
    tnode *sv = &s->p.s;
    uint8_t d[128];
    size_t n = plain_rec(d, CS_CT_APP, 0, 50, NULL, NULL, "plain", 5);
    long sent = sv->sent;
    inject(sv, d, n);
    expect_silent(sv, sent, 0, CS_ST_S_WAIT_CKE);
    deliver(sv, &s->held[0], 0, 2); /* CKE + CCS */
    n = plain_rec(d, CS_CT_APP, 1, 60, CKEY(s), CIV(s), "early", 5);
    inject(sv, d, n);
    n = plain_rec(d, CS_CT_APP, 0, 51, NULL, NULL, "plain", 5);
    inject(sv, d, n);
    expect_silent(sv, sent, 0, CS_ST_S_WAIT_FIN);
    assert_int_equal(sv->app_count, 0);
    deliver(sv, &s->held[0], 2, 1); /* Finished */
    assert_int_equal(sv->established, 1);
    assert_int_equal(sv->app_count, 0);
    finish_ok(s);
    sm_free(s);
}

/* Client: app data in epoch 0 at WAIT_CCS, then the server's CCS, app data in
 * epoch 1 before the server's Finished -> dropped; Finished completes it. */
static void test_client_app_data_before_finished(void **state) {
    (void)state;
    sm *s = at_flight6(109);
    tnode *c = &s->p.c;
    long sent = c->sent;
    uint8_t d[128];
    size_t n = plain_rec(d, CS_CT_APP, 0, 70, NULL, NULL, "plain", 5);
    inject(c, d, n);
    expect_silent(c, sent, 0, CS_ST_C_WAIT_CCS);
    deliver(c, &s->held[0], 0, 1); /* CCS */
    n = plain_rec(d, CS_CT_APP, 1, 9, SKEY(s), SIV(s), "early", 5);
    inject(c, d, n);
    expect_silent(c, sent, 0, CS_ST_C_WAIT_FIN);
    deliver(c, &s->held[0], 1, 1); /* Finished */
    assert_int_equal(c->established, 1);
    assert_int_equal(c->app_count, 0);
    sm_free(s);
}

/* ---- ClientHello in epoch 1 (renegotiation) --------------------------------- */

static size_t client_hello_body(uint8_t *b) {
    size_t n = 0;
    cs_put16(b, CS_DTLS12);
    n += 2;
    memset(b + n, 0x42, 32);
    n += 32;
    b[n++] = 0; /* session id */
    b[n++] = 0; /* cookie */
    cs_put16(b + n, 2);
    cs_put16(b + n + 2, COAPSEC_DTLS_PSK_AES_128_CCM_8);
    n += 4;
    b[n++] = 1;
    b[n++] = 0;
    return n;
}

/* Server, during the handshake: ... CKE, CCS, then ClientHello in epoch 1
 * (where the Finished belongs) -> unexpected_message. */
static void test_server_client_hello_epoch1_in_handshake(void **state) {
    (void)state;
    sm *s = at_flight5(110);
    tnode *sv = &s->p.s;
    deliver(sv, &s->held[0], 0, 2);
    long sent = sv->sent;
    uint8_t body[64], d[160];
    size_t bl = client_hello_body(body);
    size_t n = hs_rec(d, 1, 80, CKEY(s), CIV(s), CS_HT_CLIENT_HELLO, sv->hs.recv_seq, body, bl);
    inject(sv, d, n);
    expect_alert(s, sv, sent, COAPSEC_DTLS_ALERT_UNEXPECTED_MESSAGE, COAPSEC_ERR_HANDSHAKE);
    sm_free(s);
}

/* Server, established (final flight lingering, then released): ClientHello
 * in epoch 1 with message_seq 0 and with the next message_seq -> no new
 * handshake: no ServerHello, same keys, session goes on. The endpoint's
 * router does not take it for a new ClientHello and the stateless cookie
 * code drops it. */
static void test_server_client_hello_epoch1_established(void **state) {
    (void)state;
    sm *s = at_flight6(111);
    tnode *sv = &s->p.s;
    uint8_t key[2][16];
    memcpy(key, sv->conn.key, sizeof key);
    uint8_t body[64], d[160], out[COAPSEC_DTLS_DGRAM_MAX];
    size_t bl = client_hello_body(body);
    long sent = sv->sent;
    size_t n = hs_rec(d, 1, 90, CKEY(s), CIV(s), CS_HT_CLIENT_HELLO, 0, body, bl);
    assert_int_equal(coapsec_dtls_is_client_hello(d, n), 0);
    size_t outlen = sizeof out;
    int from = 0;
    assert_int_equal(
        coapsec_dtls_server_hello(&sv->srv, &from, sizeof from, d, n, out, &outlen, s->p.net->now),
        COAPSEC_DTLS_HELLO_DROP);
    inject(sv, d, n);
    expect_silent(sv, sent, 1, CS_ST_ESTABLISHED);
    n = hs_rec(d, 1, 91, CKEY(s), CIV(s), CS_HT_CLIENT_HELLO, sv->hs.recv_seq, body, bl);
    inject(sv, d, n);
    assert_true(sv->sent <= sent + 1); /* at most a no_renegotiation warning */
    if (sv->sent == sent + 1)
        assert_int_equal(last_from(s, 1)->d[0], CS_CT_ALERT);
    assert_int_equal(sv->conn.state, CS_ST_ESTABLISHED);
    assert_int_equal(sv->established, 1);
    assert_memory_equal(key, sv->conn.key, sizeof key);
    finish_ok(s);
    sm_free(s);
}

/* ---- a second, different ClientKeyExchange ------------------------------------ */

/* Server at WAIT_CKE: the exact ClientHello(cookie) again (the peer's previous
 * flight) -> we resend flight 4 (RFC 6347 §4.2.4); a *different*
 * ClientHello with the same message_seq -> silent drop. */
static void test_server_retransmitted_vs_different_client_hello(void **state) {
    (void)state;
    sm *s = at_server_wait_cke(112);
    tnode *sv = &s->p.s;
    const cap *ch2 = NULL;
    for (int i = 0; i < s->nlog; i++)
        if (s->log[i].from == 0)
            ch2 = &s->log[i]; /* the client's last datagram: ClientHello with cookie */
    assert_non_null(ch2);
    assert_int_equal(ch2->d[CS_REC_HDR], CS_HT_CLIENT_HELLO);
    cap copy = *ch2;
    long sent = sv->sent;
    inject(sv, copy.d, copy.len);
    assert_int_equal(sv->sent, sent + 1);
    assert_int_equal(last_from(s, 1)->d[CS_REC_HDR], CS_HT_SERVER_HELLO);
    assert_int_equal(sv->conn.state, CS_ST_S_WAIT_CKE);
    copy = *ch2;
    copy.d[CS_REC_HDR + CS_HS_HDR + 2 + 5] ^= 0xFF; /* a byte of client_random */
    sent = sv->sent;
    inject(sv, copy.d, copy.len);
    expect_silent(sv, sent, 0, CS_ST_S_WAIT_CKE);
    finish_ok(s);
    sm_free(s);
}

/* Server: ... CKE(Client_identity), then CKE(other identity) with the same
 * message_seq -> silent drop (identity unchanged); then a CKE with the next
 * message_seq -> unexpected_message. */
static void test_server_second_different_cke(void **state) {
    (void)state;
    sm *s = at_flight5(113);
    tnode *sv = &s->p.s;
    deliver(sv, &s->held[0], 0, 1);
    assert_int_equal(sv->conn.state, CS_ST_S_WAIT_CCS);
    uint8_t master[48];
    memcpy(master, sv->hs.master, sizeof master);
    long sent = sv->sent;
    const char *other = "Mallory";
    uint8_t body[64], d[128];
    cs_put16(body, (uint32_t)strlen(other));
    memcpy(body + 2, other, strlen(other));
    uint16_t cke_seq = (uint16_t)(sv->hs.recv_seq - 1);
    size_t n =
        hs_rec(d, 0, 100, NULL, NULL, CS_HT_CLIENT_KEY_EXCHANGE, cke_seq, body, 2 + strlen(other));
    inject(sv, d, n);
    expect_silent(sv, sent, 0, CS_ST_S_WAIT_CCS);
    assert_memory_equal(sv->hs.psk_id, PAIR_ID, strlen(PAIR_ID));
    assert_memory_equal(master, sv->hs.master, sizeof master);
    n = hs_rec(d, 0, 101, NULL, NULL, CS_HT_CLIENT_KEY_EXCHANGE, sv->hs.recv_seq, body,
               2 + strlen(other));
    inject(sv, d, n);
    expect_alert(s, sv, sent, COAPSEC_DTLS_ALERT_UNEXPECTED_MESSAGE, COAPSEC_ERR_HANDSHAKE);
    sm_free(s);
}

/* ---- duplicate / different Finished ----------------------------------------- */

/* Decrypt record idx of a captured datagram (with the client's copy of the
 * keys) into pt; returns the plaintext length. */
static size_t open_rec(sm *s, const cap *c, int idx, int writer, uint8_t *pt) {
    size_t off, len;
    rec_at(c, idx, &off, &len);
    uint8_t buf[COAPSEC_DTLS_DGRAM_MAX];
    memcpy(buf, c->d + off, len);
    cs_record r;
    assert_int_equal(cs_rec_parse(buf, len, &r), 0);
    assert_int_equal(cs_rec_open(&r, s->p.c.conn.key[writer], s->p.c.conn.iv[writer]), 0);
    memcpy(pt, r.frag, r.len);
    return r.len;
}

/* Server, established and lingering: (1) the client's Finished record replayed
 * byte for byte -> replay window drop; (2) the same Finished in a fresh record
 * (the client retransmitting flight 5) -> we resend flight 6, once, and stay
 * established once; (3) a different Finished (other verify_data, valid record)
 * -> silent drop; (4) a different ClientKeyExchange -> silent drop. The client
 * then completes with the resent flight. */
static void test_server_duplicate_and_different_finished(void **state) {
    (void)state;
    sm *s = sm_start(114, 0, CS_CT_HANDSHAKE, CS_HT_CLIENT_KEY_EXCHANGE);
    tnode *sv = &s->p.s, *c = &s->p.c;
    cap f5 = s->held[0];
    s->hold_from = 1; /* now hold flight 6 */
    s->hold_ct = CS_CT_CCS;
    s->nheld = 0;
    deliver(sv, &f5, 0, 3);
    assert_int_equal(sv->established, 1);
    assert_non_null(sv->conn.hs); /* lingering with flight 6 */
    long sent = sv->sent;
    /* (1) byte-exact replay of the whole flight-5 datagram */
    deliver(sv, &f5, 0, 3);
    size_t off, len;
    rec_at(&f5, 2, &off, &len);
    uint8_t d[256], fin[64];
    memcpy(d, f5.d + off, len);
    inject(sv, d, len);
    expect_silent(sv, sent, 1, CS_ST_ESTABLISHED);
    /* (2) the same Finished, new record number: resend flight 6 */
    size_t fl = open_rec(s, &f5, 2, 0, fin);
    assert_int_equal(fl, CS_HS_HDR + CS_VERIFY_LEN);
    size_t n = plain_rec(d, CS_CT_HANDSHAKE, 1, 200, CKEY(s), CIV(s), fin, fl);
    inject(sv, d, n);
    assert_int_equal(sv->sent, sent + 1);
    assert_int_equal(last_from(s, 1)->d[0], CS_CT_CCS);
    assert_int_equal(sv->established, 1);
    /* (3) a different Finished with the same message_seq */
    fin[CS_HS_HDR] ^= 1;
    n = plain_rec(d, CS_CT_HANDSHAKE, 1, 201, CKEY(s), CIV(s), fin, fl);
    inject(sv, d, n);
    expect_silent(sv, sent + 1, 1, CS_ST_ESTABLISHED);
    /* (4) a different ClientKeyExchange (epoch 0, its old message_seq) */
    uint8_t body[16] = {0, 3, 'e', 'v', 'e'};
    n = hs_rec(d, 0, 300, NULL, NULL, CS_HT_CLIENT_KEY_EXCHANGE, cs_get16(fin + 4) - 1, body, 5);
    inject(sv, d, n);
    expect_silent(sv, sent + 1, 1, CS_ST_ESTABLISHED);
    assert_memory_equal(sv->psk_id, PAIR_ID, strlen(PAIR_ID));
    /* the first held flight 6 is lost; the resent one completes the client */
    assert_int_equal(s->nheld, 2);
    s->hold_from = -1;
    deliver(c, &s->held[1], 0, 2);
    assert_int_equal(c->established, 1);
    sm_free(s);
}

/* Client, established (handshake object released): the server's Finished
 * again, and a different one -> silent drop, no second establishment. */
static void test_client_duplicate_and_different_finished(void **state) {
    (void)state;
    sm *s = at_flight6(115);
    tnode *c = &s->p.c;
    uint8_t fin[64], d[128];
    size_t fl = open_rec(s, &s->held[0], 1, 1, fin);
    deliver(c, &s->held[0], 0, 2);
    assert_int_equal(c->established, 1);
    assert_null(c->conn.hs);
    long sent = c->sent;
    size_t n = plain_rec(d, CS_CT_HANDSHAKE, 1, 400, SKEY(s), SIV(s), fin, fl);
    inject(c, d, n);
    fin[CS_HS_HDR + 3] ^= 0x10;
    n = plain_rec(d, CS_CT_HANDSHAKE, 1, 401, SKEY(s), SIV(s), fin, fl);
    inject(c, d, n);
    expect_silent(c, sent, 1, CS_ST_ESTABLISHED);
    sm_free(s);
}

/* Client at WAIT_CCS: the server's flight 4 again, exactly -> we resend
 * flight 5; a different ServerHelloDone (non-empty) with the same
 * message_seq -> silent drop. */
static void test_client_retransmitted_vs_different_flight4(void **state) {
    (void)state;
    sm *s = sm_start(116, 1, CS_CT_CCS, 0); /* hold flight 6 */
    tnode *c = &s->p.c;
    const cap *f4 = NULL;
    for (int i = 0; i < s->nlog; i++)
        if (s->log[i].from == 1 && s->log[i].d[0] == CS_CT_HANDSHAKE &&
            s->log[i].d[CS_REC_HDR] == CS_HT_SERVER_HELLO)
            f4 = &s->log[i];
    assert_non_null(f4);
    long sent = c->sent;
    cap copy = *f4;
    inject(c, copy.d, copy.len);
    assert_int_equal(c->sent, sent + 1);
    assert_int_equal(last_from(s, 0)->d[CS_REC_HDR], CS_HT_CLIENT_KEY_EXCHANGE);
    assert_int_equal(c->conn.state, CS_ST_C_WAIT_CCS);
    uint8_t d[64], junk = 0;
    size_t n = hs_rec(d, 0, 50, NULL, NULL, CS_HT_SERVER_HELLO_DONE, (uint16_t)(c->hs.recv_seq - 1),
                      &junk, 1);
    inject(c, d, n);
    expect_silent(c, sent + 1, 0, CS_ST_C_WAIT_CCS);
    deliver(c, &s->held[0], 0, 2);
    assert_int_equal(c->established, 1);
    sm_free(s);
}

/* ---- Certificate in a PSK handshake ------------------------------------------ */

/* Client: ... ServerHello(PSK suite), then Certificate -> unexpected_message. */
static void test_client_certificate_in_psk(void **state) {
    (void)state;
    sm *s = at_server_wait_cke(117);
    tnode *c = &s->p.c;
    deliver(c, &s->held[0], 0, 1);
    assert_int_equal(c->conn.state, CS_ST_C_WAIT_SKE_SHD);
    long sent = c->sent;
    uint8_t body[16] = {0, 0, 6, 0, 0, 3, 1, 2, 3}, d[128];
    size_t n = hs_rec(d, 0, 60, NULL, NULL, 11 /* certificate */, c->hs.recv_seq, body, 9);
    inject(c, d, n);
    expect_alert(s, c, sent, COAPSEC_DTLS_ALERT_UNEXPECTED_MESSAGE, COAPSEC_ERR_HANDSHAKE);
    sm_free(s);
}

/* Server: ... SHD, then a client Certificate instead of ClientKeyExchange
 * -> unexpected_message. */
static void test_server_certificate_in_psk(void **state) {
    (void)state;
    sm *s = at_server_wait_cke(118);
    tnode *sv = &s->p.s;
    long sent = sv->sent;
    uint8_t body[16] = {0, 0, 6, 0, 0, 3, 1, 2, 3}, d[128];
    size_t n = hs_rec(d, 0, 61, NULL, NULL, 11, sv->hs.recv_seq, body, 9);
    inject(sv, d, n);
    expect_alert(s, sv, sent, COAPSEC_DTLS_ALERT_UNEXPECTED_MESSAGE, COAPSEC_ERR_HANDSHAKE);
    sm_free(s);
}

/* ---- HelloVerifyRequest after ServerHello ------------------------------------ */

/* Client: ... ServerHello, then a HelloVerifyRequest with a new cookie:
 * with the old message_seq -> silent drop (cookie unchanged, no new
 * ClientHello); with the next message_seq -> unexpected_message. */
static void test_client_hvr_after_server_hello(void **state) {
    (void)state;
    sm *s = at_server_wait_cke(119);
    tnode *c = &s->p.c;
    deliver(c, &s->held[0], 0, 1);
    assert_int_equal(c->conn.state, CS_ST_C_WAIT_SKE_SHD);
    uint8_t cookie[255];
    uint8_t clen = c->hs.cookie_len;
    memcpy(cookie, c->hs.cookie, clen);
    long sent = c->sent;
    uint8_t body[40], d[128];
    cs_put16(body, CS_DTLS10);
    body[2] = 32;
    memset(body + 3, 0xC0, 32);
    size_t n = hs_rec(d, 0, 62, NULL, NULL, CS_HT_HELLO_VERIFY, 0, body, 35);
    inject(c, d, n);
    expect_silent(c, sent, 0, CS_ST_C_WAIT_SKE_SHD);
    assert_int_equal(c->hs.cookie_len, clen);
    assert_memory_equal(c->hs.cookie, cookie, clen);
    n = hs_rec(d, 0, 63, NULL, NULL, CS_HT_HELLO_VERIFY, c->hs.recv_seq, body, 35);
    inject(c, d, n);
    expect_alert(s, c, sent, COAPSEC_DTLS_ALERT_UNEXPECTED_MESSAGE, COAPSEC_ERR_HANDSHAKE);
    sm_free(s);
}

/* ---- records of future epochs ------------------------------------------------ */

/* Server at WAIT_CKE (read epoch 0): 200 valid epoch-1 records, then records
 * of epochs 2, 3 and 65535 -> at most COAPSEC_DTLS_PENDING_MAX bytes are kept,
 * the rest and every epoch beyond the next are dropped; the handshake then
 * completes and none of the records is delivered as application data. */
static void test_server_future_epoch_bounded(void **state) {
    (void)state;
    sm *s = at_flight5(120);
    tnode *sv = &s->p.s;
    long sent = sv->sent;
    uint8_t d[256];
    const char msg[] = "future epoch record, buffered at most once";
    for (int i = 0; i < 200; i++) {
        size_t n =
            plain_rec(d, CS_CT_APP, 1, 1 + (uint64_t)(i % 60), CKEY(s), CIV(s), msg, sizeof msg);
        inject(sv, d, n);
        assert_true(sv->hs.pend_len <= COAPSEC_DTLS_PENDING_MAX);
    }
    assert_true(sv->hs.pend_len > 0);
    uint16_t pend = sv->hs.pend_len;
    const uint16_t far[] = {2, 3, 0xFFFF};
    for (size_t i = 0; i < sizeof far / sizeof far[0]; i++) {
        size_t n = plain_rec(d, CS_CT_HANDSHAKE, far[i], 5, CKEY(s), CIV(s), msg, 20);
        inject(sv, d, n);
    }
    assert_int_equal(sv->hs.pend_len, pend);
    expect_silent(sv, sent, 0, CS_ST_S_WAIT_CKE);
    finish_ok(s);
    assert_int_equal(sv->app_count, 0);
    sm_free(s);
}

/* Client at WAIT_CCS (read epoch 0, keys known): 200 valid epoch-1 records
 * from the server -> bounded, dropped beyond the buffer, never delivered. */
static void test_client_future_epoch_bounded(void **state) {
    (void)state;
    sm *s = at_flight6(121);
    tnode *c = &s->p.c;
    uint8_t d[256];
    for (int i = 0; i < 200; i++) {
        size_t n = plain_rec(d, CS_CT_APP, 1, 1 + (uint64_t)(i % 60), SKEY(s), SIV(s),
                             "0123456789abcdef0123456789abcdef", 32);
        inject(c, d, n);
        assert_true(c->hs.pend_len <= COAPSEC_DTLS_PENDING_MAX);
    }
    size_t n = plain_rec(d, CS_CT_CCS, 7, 1, SKEY(s), SIV(s), "\1", 1);
    inject(c, d, n);
    assert_int_equal(c->conn.read_epoch, 0);
    deliver(c, &s->held[0], 0, 2);
    assert_int_equal(c->established, 1);
    assert_int_equal(c->app_count, 0);
    sm_free(s);
}

/* ---- handshake lengths that disagree with their fragments -------------------- */

static size_t frag_rec(uint8_t *d, uint64_t rseq, uint8_t ht, uint32_t len, uint16_t mseq,
                       uint32_t off, uint32_t flen, size_t body_bytes) {
    uint8_t m[CS_HS_HDR + 64];
    memset(m, 0x33, sizeof m);
    cs_hs_header(m, ht, len, mseq, off, flen);
    return plain_rec(d, CS_CT_HANDSHAKE, 0, rseq, NULL, NULL, m, CS_HS_HDR + body_bytes);
}

/* Server at WAIT_CKE, ClientKeyExchange fragments with: offset+length beyond
 * the message length; a fragment length beyond the record; a first fragment
 * of the right length then one claiming another total length -> all dropped
 * silently, the reassembly stays consistent and the genuine CKE completes
 * the handshake. Then, on a fresh pair, a message length above
 * COAPSEC_DTLS_HS_MSG_MAX -> handshake_failure, and a CKE whose identity
 * length disagrees with the message length -> decode_error. */
static void test_server_fragment_length_mismatch(void **state) {
    (void)state;
    sm *s = at_flight5(122);
    tnode *sv = &s->p.s;
    uint16_t mseq = sv->hs.recv_seq;
    size_t off, len;
    rec_at(&s->held[0], 0, &off, &len);
    uint32_t cke_len = cs_get24(s->held[0].d + off + CS_REC_HDR + 1);
    long sent = sv->sent;
    uint8_t d[256];
    size_t n = frag_rec(d, 70, CS_HT_CLIENT_KEY_EXCHANGE, 10, mseq, 8, 4, 4); /* 8+4 > 10 */
    inject(sv, d, n);
    n = frag_rec(d, 71, CS_HT_CLIENT_KEY_EXCHANGE, 40, mseq, 0, 30, 10); /* 30 > record */
    inject(sv, d, n);
    n = frag_rec(d, 72, CS_HT_CLIENT_KEY_EXCHANGE, 0xFFFFFF, mseq, 0xFFFFF0, 0x20, 8);
    inject(sv, d, n);
    /* first 4 bytes of a CKE of the genuine length, then a clash */
    uint8_t m[CS_HS_HDR + 4];
    memcpy(m, s->held[0].d + off + CS_REC_HDR, CS_HS_HDR + 4);
    cs_put24(m + 9, 4);
    n = plain_rec(d, CS_CT_HANDSHAKE, 0, 73, NULL, NULL, m, sizeof m);
    inject(sv, d, n);
    n = frag_rec(d, 74, CS_HT_CLIENT_KEY_EXCHANGE, cke_len + 5, mseq, 4, 8, 8);
    inject(sv, d, n);
    n = frag_rec(d, 75, 11 /* Certificate */, cke_len, mseq, 4, 8, 8);
    inject(sv, d, n);
    expect_silent(sv, sent, 0, CS_ST_S_WAIT_CKE);
    finish_ok(s);
    assert_string_equal(sv->psk_id, PAIR_ID);
    sm_free(s);

    s = at_flight5(123);
    sv = &s->p.s;
    sent = sv->sent;
    n = frag_rec(d, 80, CS_HT_CLIENT_KEY_EXCHANGE, COAPSEC_DTLS_HS_MSG_MAX + 1, sv->hs.recv_seq, 0,
                 8, 8);
    inject(sv, d, n);
    expect_alert(s, sv, sent, COAPSEC_DTLS_ALERT_HANDSHAKE_FAILURE, COAPSEC_ERR_HANDSHAKE);
    sm_free(s);

    s = at_flight5(124);
    sv = &s->p.s;
    sent = sv->sent;
    uint8_t body[12] = {0, 40, 'C', 'l', 'i', 'e', 'n', 't'}; /* says 40, has 6 */
    n = hs_rec(d, 0, 81, NULL, NULL, CS_HT_CLIENT_KEY_EXCHANGE, sv->hs.recv_seq, body, 8);
    inject(sv, d, n);
    expect_alert(s, sv, sent, COAPSEC_DTLS_ALERT_DECODE_ERROR, COAPSEC_ERR_HANDSHAKE);
    sm_free(s);
}

/* ---- cookie bound to the address ----------------------------------------------- */

/* CH, HVR, CH(cookie for address A) presented from address B (another host,
 * then another port) -> a new HelloVerifyRequest, never ACCEPT; from A it is
 * accepted (RFC 6347 §4.2.1). */
static void test_cookie_for_another_address(void **state) {
    (void)state;
    sm *s = sm_start(125, 0, CS_CT_HANDSHAKE, CS_HT_CLIENT_HELLO); /* hold CH1 */
    tnode *sv = &s->p.s;
    uint8_t out[COAPSEC_DTLS_DGRAM_MAX], buf[COAPSEC_DTLS_DGRAM_MAX];
    size_t outlen = sizeof out;
    struct {
        uint32_t ip;
        uint16_t port;
    } a = {0x7F000001u, 40000}, b = a;
    memcpy(buf, s->held[0].d, s->held[0].len);
    assert_int_equal(coapsec_dtls_server_hello(&sv->srv, &a, sizeof a, buf, s->held[0].len, out,
                                               &outlen, s->p.net->now),
                     COAPSEC_DTLS_HELLO_HVR);
    /* give the HVR to the client: it answers with CH(cookie), held too */
    coapsec_dtls_conn_recv(&s->p.c.conn, out, outlen, s->p.net->now);
    pair_run(&s->p, s->p.net->now + 100);
    assert_int_equal(s->nheld, 2);
    const cap *ch2 = &s->held[1];
    assert_true(s->p.c.hs.cookie_len > 0);
    b.ip = 0x7F000002u;
    memcpy(buf, ch2->d, ch2->len);
    outlen = sizeof out;
    assert_int_equal(coapsec_dtls_server_hello(&sv->srv, &b, sizeof b, buf, ch2->len, out, &outlen,
                                               s->p.net->now),
                     COAPSEC_DTLS_HELLO_HVR);
    b = a;
    b.port = 40001;
    memcpy(buf, ch2->d, ch2->len);
    outlen = sizeof out;
    assert_int_equal(coapsec_dtls_server_hello(&sv->srv, &b, sizeof b, buf, ch2->len, out, &outlen,
                                               s->p.net->now),
                     COAPSEC_DTLS_HELLO_HVR);
    memcpy(buf, ch2->d, ch2->len);
    outlen = sizeof out;
    assert_int_equal(coapsec_dtls_server_hello(&sv->srv, &a, sizeof a, buf, ch2->len, out, &outlen,
                                               s->p.net->now),
                     COAPSEC_DTLS_HELLO_ACCEPT);
    sm_free(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_server_ccs_before_key_exchange),
        cmocka_unit_test(test_client_ccs_before_key_exchange),
        cmocka_unit_test(test_server_finished_before_ccs),
        cmocka_unit_test(test_server_finished_without_ccs_times_out),
        cmocka_unit_test(test_client_finished_before_ccs),
        cmocka_unit_test(test_server_finished_wrong_verify_data),
        cmocka_unit_test(test_client_finished_wrong_verify_data),
        cmocka_unit_test(test_server_app_data_before_finished),
        cmocka_unit_test(test_client_app_data_before_finished),
        cmocka_unit_test(test_server_client_hello_epoch1_in_handshake),
        cmocka_unit_test(test_server_client_hello_epoch1_established),
        cmocka_unit_test(test_server_retransmitted_vs_different_client_hello),
        cmocka_unit_test(test_server_second_different_cke),
        cmocka_unit_test(test_server_duplicate_and_different_finished),
        cmocka_unit_test(test_client_duplicate_and_different_finished),
        cmocka_unit_test(test_client_retransmitted_vs_different_flight4),
        cmocka_unit_test(test_client_certificate_in_psk),
        cmocka_unit_test(test_server_certificate_in_psk),
        cmocka_unit_test(test_client_hvr_after_server_hello),
        cmocka_unit_test(test_server_future_epoch_bounded),
        cmocka_unit_test(test_client_future_epoch_bounded),
        cmocka_unit_test(test_server_fragment_length_mismatch),
        cmocka_unit_test(test_cookie_for_another_address),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
