/*
 * test_message.c - the CoAP message layer (RFC 7252 §4): CON retransmission
 * timing and limits (§4.2, §4.8, §4.8.2), deduplication (§4.5), RST for ping
 * and for CON messages that cannot be processed (§4.2, §4.3), RST matching a
 * NON (§4.3), unmatched ACK/RST/responses, peer generations, and lossy,
 * duplicating, reordering networks over hundreds of seeds.
 */
#include "harness.h"

#include <stdio.h>

static int drop_client_to_server(hpair *h, int from, int to, const coapsec_msg *m, int nth) {
    return from == 0;
}

static int drop_all(hpair *h, int from, int to, const coapsec_msg *m, int nth) {
    return 1;
}

/* Server resource "n": counts calls, answers "n=<count>". */
static int n_calls;
static void h_count_handler(void *user, const coapsec_coap_req *req, coapsec_coap_response *resp) {
    char buf[32];
    n_calls++;
    int n = snprintf(buf, sizeof(buf), "n=%d", n_calls);
    coapsec_coap_resp_payload(resp, buf, (size_t)n);
}

static void add_counter(hpair *h) {
    coapsec_coap_resource r = {"n", h_count_handler, NULL, NULL, 0};
    assert_int_equal(coapsec_coap_add_resource(h->n[1].ctx, &r), 0);
    n_calls = 0;
}

/* §4.2, §4.8: retransmissions at T0, 2T0, 4T0, 8T0 with T0 in [ACK_TIMEOUT,
 * ACK_TIMEOUT*ACK_RANDOM_FACTOR]; MAX_RETRANSMIT=4 gives 5 transmissions and
 * the failure comes at 31*T0 <= MAX_TRANSMIT_WAIT (§4.8.2). */
static void test_retransmission_schedule(void **state) {
    uint32_t t0_min = UINT32_MAX, t0_max = 0;
    for (uint64_t seed = 1; seed <= 40; seed++) {
        hpair *h = hpair_new(seed, NULL);
        h->drop = drop_client_to_server;
        hreq rq;
        hres res = {.net = h->net};
        coapsec_tstamp start = 1000;
        simnet_advance(h->net, start);
        int hd = coapsec_coap_request(h->n[0].ctx, h_peer(h, 0, 1),
                                      h_req(&rq, COAPSEC_CON, COAPSEC_GET, "n", NULL), h_resp_cb,
                                      &res, start);
        assert_true(hd >= 0);
        h_run(h, COAPSEC_TSTAMP_NONE - 1);
        assert_int_equal(h_count(h, 0, 1), 5);
        coapsec_tstamp t[5];
        for (int i = 0; i < 5; i++) {
            t[i] = h->log[i].t;
            coapsec_msg m;
            h_log_msg(h, i, &m);
            assert_int_equal(m.type, COAPSEC_CON);
            if (i > 0) /* §4.2: the same message (same MID and token) is retransmitted */
                assert_memory_equal(h->log[i].data, h->log[0].data, h->log[0].len);
        }
        assert_int_equal(t[0], start);
        uint32_t T0 = (uint32_t)(t[1] - t[0]);
        assert_true(T0 >= 2000 && T0 <= 3000);
        for (int k = 1; k < 5; k++) {
            uint64_t gap = t[k] - t[k - 1];
            assert_int_equal(gap, (uint64_t)T0 << (k - 1));
            assert_true(gap >= (2000ull << (k - 1)) && gap <= (3000ull << (k - 1)));
        }
        assert_int_equal(res.calls, 1);
        assert_int_equal(res.status, COAPSEC_ERR_TIMEOUT);
        assert_int_equal(res.t - start, 31ull * T0);
        assert_true(res.t - start <= coapsec_coap_max_transmit_wait(h->n[0].ctx));
        assert_int_equal(h->n[0].ctx->stats.retransmissions, 4);
        assert_int_equal(h->n[0].ctx->stats.timeouts, 1);
        assert_int_equal(coapsec_coap_expiry(h->n[0].ctx), COAPSEC_TSTAMP_NONE);
        t0_min = T0 < t0_min ? T0 : t0_min;
        t0_max = T0 > t0_max ? T0 : t0_max;
        hpair_free(h);
    }
    assert_true(t0_max > t0_min); /* the initial timeout is randomised */
}

/* §4.8.2: the derived times for the default parameters. */
static void test_derived_times(void **state) {
    hpair *h = hpair_new(1, NULL);
    assert_int_equal(coapsec_coap_max_transmit_span(h->n[0].ctx), 45000);
    assert_int_equal(coapsec_coap_max_transmit_wait(h->n[0].ctx), 93000);
    assert_int_equal(coapsec_coap_exchange_lifetime(h->n[0].ctx), 247000);
    assert_int_equal(coapsec_coap_non_lifetime(h->n[0].ctx), 145000);
    hpair_free(h);
    coapsec_coap_params p;
    coapsec_coap_params_default(&p);
    p.max_retransmit = 2;
    p.ack_timeout_ms = 1000;
    h = hpair_new(1, &p);
    assert_int_equal(coapsec_coap_max_transmit_span(h->n[0].ctx), 4500);  /* 1*(4-1)*1.5 */
    assert_int_equal(coapsec_coap_max_transmit_wait(h->n[0].ctx), 10500); /* 1*(8-1)*1.5 */
    hpair_free(h);
}

/* §4.2 with MAX_RETRANSMIT=2: exactly 3 transmissions. */
static void test_retransmit_count_param(void **state) {
    coapsec_coap_params p;
    coapsec_coap_params_default(&p);
    p.max_retransmit = 2;
    hpair *h = hpair_new(9, &p);
    h->drop = drop_client_to_server;
    hreq rq;
    hres res = {.net = h->net};
    assert_true(coapsec_coap_request(h->n[0].ctx, h_peer(h, 0, 1),
                                     h_req(&rq, COAPSEC_CON, COAPSEC_GET, "n", NULL), h_resp_cb,
                                     &res, 0) >= 0);
    h_run(h, COAPSEC_TSTAMP_NONE - 1);
    assert_int_equal(h_count(h, 0, 1), 3);
    assert_int_equal(res.status, COAPSEC_ERR_TIMEOUT);
    assert_true(res.t <= coapsec_coap_max_transmit_wait(h->n[0].ctx));
    hpair_free(h);
}

static size_t make_get(uint8_t *buf, uint8_t type, uint16_t mid, const char *tok,
                       const char *path) {
    hreq rq;
    coapsec_msg *m = h_req(&rq, type, COAPSEC_GET, path, NULL);
    m->mid = mid;
    m->tkl = (uint8_t)strlen(tok);
    memcpy(m->token, tok, m->tkl);
    return h_encode(m, buf, COAPSEC_MAX_PDU);
}

/* §4.5: a duplicate CON gets the same response bytes; the handler runs once.
 * After EXCHANGE_LIFETIME the same MID is a new message. */
static void test_dedup_con(void **state) {
    hpair *h = hpair_new(2, NULL);
    add_counter(h);
    uint8_t buf[COAPSEC_MAX_PDU];
    size_t n = make_get(buf, COAPSEC_CON, 0x1234, "ab", "n");
    coapsec_coap_ctx *s = h->n[1].ctx;
    assert_int_equal(coapsec_coap_recv(s, h_peer(h, 1, 0), buf, n, 0), 0);
    assert_int_equal(coapsec_coap_recv(s, h_peer(h, 1, 0), buf, n, 1000), 0);
    assert_int_equal(n_calls, 1);
    assert_int_equal(h->nlog, 2);
    assert_int_equal(h->log[0].len, h->log[1].len);
    assert_memory_equal(h->log[0].data, h->log[1].data, h->log[0].len);
    coapsec_msg m;
    h_log_msg(h, 0, &m);
    assert_int_equal(m.type, COAPSEC_ACK);
    assert_int_equal(m.mid, 0x1234);
    assert_int_equal(m.code, COAPSEC_CONTENT);
    assert_int_equal(m.tkl, 2);
    assert_memory_equal(m.token, "ab", 2);
    assert_int_equal(m.payload_len, 3);
    assert_memory_equal(m.payload, "n=1", 3);
    assert_int_equal(s->stats.duplicates, 1);
    /* still a duplicate just before EXCHANGE_LIFETIME, new after it */
    coapsec_tstamp life = coapsec_coap_exchange_lifetime(s);
    assert_int_equal(coapsec_coap_recv(s, h_peer(h, 1, 0), buf, n, life - 1), 0);
    assert_int_equal(n_calls, 1);
    assert_int_equal(coapsec_coap_recv(s, h_peer(h, 1, 0), buf, n, life), 0);
    assert_int_equal(n_calls, 2);
    /* same MID from another peer slot would be another message: same MID, other token */
    hpair_free(h);
}

/* §4.5: a duplicate NON is ignored within NON_LIFETIME. */
static void test_dedup_non(void **state) {
    hpair *h = hpair_new(3, NULL);
    add_counter(h);
    uint8_t buf[COAPSEC_MAX_PDU];
    size_t n = make_get(buf, COAPSEC_NON, 0x2000, "x", "n");
    coapsec_coap_ctx *s = h->n[1].ctx;
    assert_int_equal(coapsec_coap_recv(s, h_peer(h, 1, 0), buf, n, 0), 0);
    assert_int_equal(coapsec_coap_recv(s, h_peer(h, 1, 0), buf, n, 5000), 0);
    assert_int_equal(n_calls, 1);
    assert_int_equal(h->nlog, 1);
    coapsec_msg m;
    h_log_msg(h, 0, &m);
    assert_int_equal(m.type, COAPSEC_NON); /* §5.2.3 */
    assert_int_equal(s->stats.duplicates, 1);
    assert_int_equal(coapsec_coap_recv(s, h_peer(h, 1, 0), buf, n, coapsec_coap_non_lifetime(s)),
                     0);
    assert_int_equal(n_calls, 2);
    hpair_free(h);
}

/* §4.3: an empty CON ("CoAP ping") is answered with RST; an empty NON is ignored. */
static void test_ping(void **state) {
    hpair *h = hpair_new(4, NULL);
    const uint8_t ping[4] = {0x40, 0x00, 0x12, 0x34};
    const uint8_t rst[4] = {0x70, 0x00, 0x12, 0x34};
    const uint8_t enon[4] = {0x50, 0x00, 0x12, 0x35};
    assert_int_equal(coapsec_coap_recv(h->n[1].ctx, h_peer(h, 1, 0), ping, 4, 0), 0);
    assert_int_equal(h->nlog, 1);
    assert_int_equal(h->log[0].len, 4);
    assert_memory_equal(h->log[0].data, rst, 4);
    assert_int_equal(coapsec_coap_recv(h->n[1].ctx, h_peer(h, 1, 0), enon, 4, 0), 0);
    assert_int_equal(h->nlog, 1);
    assert_int_equal(h->n[1].ctx->stats.rst_sent, 1);
    hpair_free(h);
}

/* §4.2/§4.3, §3: a CON that cannot be parsed after its header gets RST; a bad
 * NON, a wrong version or a short datagram are silently ignored. */
static void test_malformed(void **state) {
    hpair *h = hpair_new(5, NULL);
    coapsec_coap_ctx *s = h->n[1].ctx;
    const uint8_t bad_con[] = {0x49, 0x01, 0x00, 0x07, 1, 2, 3, 4, 5, 6, 7, 8, 9}; /* TKL 9 */
    const uint8_t bad_non[] = {0x59, 0x01, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    const uint8_t marker_only[] = {0x40, 0x01, 0x00, 0x09, 0xff}; /* marker, no payload */
    const uint8_t v2[] = {0x80, 0x01, 0x00, 0x0a};
    const uint8_t shortd[] = {0x40, 0x01, 0x00};
    assert_int_equal(coapsec_coap_recv(s, h_peer(h, 1, 0), bad_con, sizeof(bad_con), 0),
                     COAPSEC_ERR_FORMAT);
    assert_int_equal(h->nlog, 1);
    const uint8_t rst7[4] = {0x70, 0x00, 0x00, 0x07};
    assert_memory_equal(h->log[0].data, rst7, 4);
    assert_int_equal(coapsec_coap_recv(s, h_peer(h, 1, 0), marker_only, sizeof(marker_only), 0),
                     COAPSEC_ERR_FORMAT);
    assert_int_equal(h->nlog, 2);
    const uint8_t rst9[4] = {0x70, 0x00, 0x00, 0x09};
    assert_memory_equal(h->log[1].data, rst9, 4);
    assert_int_equal(coapsec_coap_recv(s, h_peer(h, 1, 0), bad_non, sizeof(bad_non), 0),
                     COAPSEC_ERR_FORMAT);
    assert_int_equal(coapsec_coap_recv(s, h_peer(h, 1, 0), v2, sizeof(v2), 0), COAPSEC_ERR_FORMAT);
    assert_int_equal(coapsec_coap_recv(s, h_peer(h, 1, 0), shortd, sizeof(shortd), 0),
                     COAPSEC_ERR_FORMAT);
    assert_int_equal(h->nlog, 2);
    /* reserved code class 7 in a CON: rejected with RST (§4.2) */
    const uint8_t c7[] = {0x40, 0xe0, 0x00, 0x0b};
    assert_int_equal(coapsec_coap_recv(s, h_peer(h, 1, 0), c7, sizeof(c7), 0), 0);
    assert_int_equal(h->nlog, 3);
    assert_int_equal(h->log[2].data[0], 0x70);
    assert_int_equal(h->log[2].data[3], 0x0b);
    hpair_free(h);
}

/* §4.3: a RST matching the MID of our NON ends it (COAPSEC_ERR_RESET); §4.2 same for a CON. */
static void test_rst_matches_non_and_con(void **state) {
    for (int type = COAPSEC_CON; type <= COAPSEC_NON; type++) {
        hpair *h = hpair_new(6, NULL);
        h->drop = drop_all;
        hreq rq;
        hres res = {.net = h->net};
        assert_true(coapsec_coap_request(h->n[0].ctx, h_peer(h, 0, 1),
                                         h_req(&rq, (uint8_t)type, COAPSEC_GET, "n", NULL),
                                         h_resp_cb, &res, 0) >= 0);
        coapsec_msg m;
        h_log_msg(h, 0, &m);
        uint8_t rst[4] = {0x70, 0, (uint8_t)(m.mid >> 8), (uint8_t)m.mid};
        /* a RST with another MID is ignored */
        uint8_t other[4] = {0x70, 0, (uint8_t)((m.mid + 1) >> 8), (uint8_t)(m.mid + 1)};
        assert_int_equal(coapsec_coap_recv(h->n[0].ctx, h_peer(h, 0, 1), other, 4, 10), 0);
        assert_int_equal(res.calls, 0);
        assert_int_equal(coapsec_coap_recv(h->n[0].ctx, h_peer(h, 0, 1), rst, 4, 10), 0);
        assert_int_equal(res.calls, 1);
        assert_int_equal(res.status, COAPSEC_ERR_RESET);
        assert_int_equal(coapsec_coap_expiry(h->n[0].ctx), COAPSEC_TSTAMP_NONE);
        hpair_free(h);
    }
}

/* §4.2: an ACK matching nothing is ignored; §5.3.2/§4.2: a CON response matching
 * no exchange gets RST, a NON response matching nothing is ignored. */
static void test_unmatched(void **state) {
    hpair *h = hpair_new(7, NULL);
    coapsec_coap_ctx *c = h->n[0].ctx;
    const uint8_t ack[4] = {0x60, 0x00, 0x55, 0x55};
    const uint8_t rst[4] = {0x70, 0x00, 0x55, 0x56};
    assert_int_equal(coapsec_coap_recv(c, h_peer(h, 0, 1), ack, 4, 0), 0);
    assert_int_equal(coapsec_coap_recv(c, h_peer(h, 0, 1), rst, 4, 0), 0);
    assert_int_equal(h->nlog, 0);
    coapsec_msg m = {.type = COAPSEC_CON, .code = COAPSEC_CONTENT, .mid = 0x4242, .tkl = 2};
    memcpy(m.token, "zz", 2);
    uint8_t buf[64];
    size_t n = h_encode(&m, buf, sizeof(buf));
    assert_int_equal(coapsec_coap_recv(c, h_peer(h, 0, 1), buf, n, 0), 0);
    assert_int_equal(h->nlog, 1);
    const uint8_t want[4] = {0x70, 0x00, 0x42, 0x42};
    assert_memory_equal(h->log[0].data, want, 4);
    m.type = COAPSEC_NON;
    m.mid = 0x4243;
    n = h_encode(&m, buf, sizeof(buf));
    assert_int_equal(coapsec_coap_recv(c, h_peer(h, 0, 1), buf, n, 0), 0);
    assert_int_equal(h->nlog, 1);
    hpair_free(h);
}

/* TS-0008 "same session and epoch": closing a peer generation fails its
 * exchanges with COAPSEC_ERR_CLOSED, and an ACK or response for them that
 * arrives on the next generation matches nothing. */
static void test_generation_change(void **state) {
    hpair *h = hpair_new(8, NULL);
    h->drop = drop_all;
    coapsec_coap_ctx *c = h->n[0].ctx;
    hreq rq;
    hres res = {.net = h->net}, res2 = {.net = h->net};
    assert_true(coapsec_coap_request(c, h_peer(h, 0, 1),
                                     h_req(&rq, COAPSEC_CON, COAPSEC_GET, "n", NULL), h_resp_cb,
                                     &res, 0) >= 0);
    assert_true(coapsec_coap_request(c, h_peer(h, 0, 1),
                                     h_req(&rq, COAPSEC_CON, COAPSEC_GET, "n", NULL), h_resp_cb,
                                     &res2, 0) >= 0); /* queued behind NSTART */
    coapsec_msg sent;
    h_log_msg(h, 0, &sent);
    coapsec_peer_id g1 = h_peer(h, 0, 1);
    assert_int_equal(coapsec_coap_peer_close(c, g1, 100), 0);
    assert_int_equal(res.calls, 1);
    assert_int_equal(res.status, COAPSEC_ERR_CLOSED);
    assert_int_equal(res2.calls, 1);
    assert_int_equal(res2.status, COAPSEC_ERR_CLOSED);
    assert_int_equal(coapsec_coap_expiry(c), COAPSEC_TSTAMP_NONE);
    coapsec_peer_id g2 = {1, 2};
    assert_int_equal(coapsec_coap_peer_open(c, g2), 0);
    h->n[0].gen[1] = 2;
    /* a piggybacked response with the old MID and token, on generation 2 */
    coapsec_msg ack = {.type = COAPSEC_ACK, .code = COAPSEC_CONTENT, .mid = sent.mid};
    ack.tkl = sent.tkl;
    memcpy(ack.token, sent.token, sent.tkl);
    uint8_t buf[64];
    size_t n = h_encode(&ack, buf, sizeof(buf));
    int before = h->nlog;
    assert_int_equal(coapsec_coap_recv(c, g2, buf, n, 200), 0);
    assert_int_equal(res.calls, 1);
    assert_int_equal(h->nlog, before);
    /* the same on the old generation is refused outright */
    assert_int_equal(coapsec_coap_recv(c, g1, buf, n, 200), COAPSEC_ERR_CLOSED);
    /* a separate CON response with the old token on generation 2: unmatched -> RST */
    coapsec_msg sep = ack;
    sep.type = COAPSEC_CON;
    sep.mid = 0x7777;
    n = h_encode(&sep, buf, sizeof(buf));
    assert_int_equal(coapsec_coap_recv(c, g2, buf, n, 300), 0);
    assert_int_equal(res.calls, 1);
    assert_int_equal(h->nlog, before + 1);
    assert_int_equal(h->log[before].data[0], 0x70);
    /* requests to the closed generation fail; the new one works */
    assert_int_equal(coapsec_coap_request(c, g1, h_req(&rq, COAPSEC_CON, COAPSEC_GET, "n", NULL),
                                          h_resp_cb, &res, 300),
                     COAPSEC_ERR_CLOSED);
    assert_true(coapsec_coap_request(c, g2, h_req(&rq, COAPSEC_CON, COAPSEC_GET, "n", NULL),
                                     h_resp_cb, &res2, 300) >= 0);
    assert_int_equal(coapsec_coap_peer_close(c, g1, 400), COAPSEC_ERR_NOTFOUND);
    /* reopening a slot with a new generation implicitly closes the old one */
    coapsec_peer_id g3 = {1, 3};
    assert_int_equal(coapsec_coap_peer_open(c, g3), 0);
    assert_int_equal(res2.calls, 2);
    assert_int_equal(res2.status, COAPSEC_ERR_CLOSED);
    hpair_free(h);
}

/* Server side of a generation change: dedup state and deferred responses of
 * the old generation are dropped. */
static int g_defer_handle = -1;
static void h_defer(void *user, const coapsec_coap_req *req, coapsec_coap_response *resp) {
    n_calls++;
    g_defer_handle = coapsec_coap_defer(resp);
}

static void test_generation_server(void **state) {
    hpair *h = hpair_new(10, NULL);
    coapsec_coap_resource r = {"d", h_defer, NULL, NULL, 0};
    coapsec_coap_ctx *s = h->n[1].ctx;
    assert_int_equal(coapsec_coap_add_resource(s, &r), 0);
    n_calls = 0;
    uint8_t buf[COAPSEC_MAX_PDU];
    size_t n = make_get(buf, COAPSEC_CON, 0x0101, "t", "d");
    coapsec_peer_id g1 = h_peer(h, 1, 0), g2 = {0, 2};
    assert_int_equal(coapsec_coap_recv(s, g1, buf, n, 0), 0);
    assert_int_equal(n_calls, 1);
    assert_true(g_defer_handle >= 0);
    assert_int_equal(h->nlog, 1); /* empty ACK */
    assert_int_equal(h->log[0].len, 4);
    assert_int_equal(h->log[0].data[0], 0x60);
    assert_int_equal(coapsec_coap_peer_open(s, g2), 0); /* closes g1 */
    assert_int_equal(coapsec_coap_respond(s, g_defer_handle, COAPSEC_CONTENT, NULL, 0, "x", 1, 10),
                     COAPSEC_ERR_NOTFOUND);
    /* the same MID on generation 2 is a new message (the handler runs again) */
    assert_int_equal(coapsec_coap_recv(s, g2, buf, n, 20), 0);
    assert_int_equal(n_calls, 2);
    hpair_free(h);
}

/* §4.2, §4.5, §5.2: over lossy, duplicating, reordering links every exchange
 * ends exactly once (response or timeout) and every handler runs at most once
 * per request - exactly once when the client got its response. */
#define S_REQS 6
typedef struct stress {
    int handled[S_REQS];
    int pending[16];
    int npending;
    coapsec_coap_ctx *server;
} stress;

static void h_stress(void *user, const coapsec_coap_req *req, coapsec_coap_response *resp) {
    stress *st = user;
    int id = req->msg->payload_len == 1 ? req->msg->payload[0] - '0' : -1;
    assert_true(id >= 0 && id < S_REQS);
    st->handled[id]++;
    if (id % 3 == 2 && st->npending < 16) {
        int hd = coapsec_coap_defer(resp);
        assert_true(hd >= 0);
        st->pending[st->npending++] = hd;
        return;
    }
    coapsec_coap_resp_payload(resp, req->msg->payload, 1);
}

static void test_lossy_many_seeds(void **state) {
    int completed = 0, timed_out = 0;
    for (uint64_t seed = 1; seed <= 300; seed++) {
        hpair *h = hpair_new(seed, NULL);
        simnet_link l = {.loss = 0.2, .dup = 0.15, .latency = 20, .jitter = 1500};
        simnet_set_link(h->net, -1, -1, &l);
        stress st;
        memset(&st, 0, sizeof(st));
        st.server = h->n[1].ctx;
        coapsec_coap_resource r = {"s", h_stress, &st, NULL, 0};
        assert_int_equal(coapsec_coap_add_resource(st.server, &r), 0);
        hres res[S_REQS];
        char body[S_REQS][2];
        for (int i = 0; i < S_REQS; i++) {
            memset(&res[i], 0, sizeof(res[i]));
            res[i].net = h->net;
            body[i][0] = (char)('0' + i);
            body[i][1] = 0;
            hreq rq;
            uint8_t type = (seed + (uint64_t)i) % 4 == 0 ? COAPSEC_NON : COAPSEC_CON;
            assert_true(coapsec_coap_request(h->n[0].ctx, h_peer(h, 0, 1),
                                             h_req(&rq, type, COAPSEC_POST, "s", body[i]),
                                             h_resp_cb, &res[i], 0) >= 0);
        }
        for (int rounds = 0; rounds < 100000; rounds++) {
            h_run(h, h->net->now + 300);
            for (int i = 0; i < st.npending; i++) {
                char b = 'D';
                int rc = coapsec_coap_respond(st.server, st.pending[i], COAPSEC_CHANGED, NULL, 0,
                                              &b, 1, h->net->now);
                assert_true(rc == 0 || rc == COAPSEC_ERR_NOTFOUND);
            }
            st.npending = 0;
            if (simnet_pending(h->net) == 0 &&
                coapsec_coap_expiry(h->n[0].ctx) == COAPSEC_TSTAMP_NONE &&
                coapsec_coap_expiry(h->n[1].ctx) == COAPSEC_TSTAMP_NONE)
                break;
            simnet_advance(h->net, h->net->now + 300);
        }
        for (int i = 0; i < S_REQS; i++) {
            assert_int_equal(res[i].calls, 1);
            assert_true(st.handled[i] <= 1);
            if (res[i].status == 0) {
                completed++;
                assert_int_equal(st.handled[i], 1);
                if (i % 3 == 2) {
                    assert_int_equal(res[i].code, COAPSEC_CHANGED);
                    assert_string_equal(res[i].payload, "D");
                } else {
                    assert_int_equal(res[i].code, COAPSEC_CHANGED);
                    assert_string_equal(res[i].payload, body[i]);
                }
            } else {
                assert_int_equal(res[i].status, COAPSEC_ERR_TIMEOUT);
                timed_out++;
            }
        }
        assert_int_equal(h->n[0].peers[1].inflight, 0);
        hpair_free(h);
    }
    /* the network is bad but not hopeless: most exchanges must complete */
    assert_true(completed > 300 * S_REQS * 8 / 10);
    print_message("lossy: %d completed, %d timed out\n", completed, timed_out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retransmission_schedule),
        cmocka_unit_test(test_derived_times),
        cmocka_unit_test(test_retransmit_count_param),
        cmocka_unit_test(test_dedup_con),
        cmocka_unit_test(test_dedup_non),
        cmocka_unit_test(test_ping),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_rst_matches_non_and_con),
        cmocka_unit_test(test_unmatched),
        cmocka_unit_test(test_generation_change),
        cmocka_unit_test(test_generation_server),
        cmocka_unit_test(test_lossy_many_seeds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
