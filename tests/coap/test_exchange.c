/*
 * test_exchange.c - client/server exchanges (RFC 7252 §5.2, §5.3): the
 * piggybacked response, the separate response (empty ACK, then a CON response
 * that the client ACKs and the server retransmits when lost), NON requests
 * and their timeout, NSTART queueing (§4.7), cancel, critical options in
 * responses (§5.4.1) and token matching (§5.3.2).
 */
#include "harness.h"

static int n_calls;
static int g_handle = -1;

static void h_hello(void *user, const coapsec_coap_req *req, coapsec_coap_response *resp) {
    n_calls++;
    coapsec_coap_resp_uint(resp, COAPSEC_OPT_CONTENT_FORMAT, COAPSEC_CF_TEXT_PLAIN);
    coapsec_coap_resp_payload(resp, "hello", 5);
}

static void h_later(void *user, const coapsec_coap_req *req, coapsec_coap_response *resp) {
    n_calls++;
    g_handle = coapsec_coap_defer(resp);
}

static void h_silent(void *user, const coapsec_coap_req *req, coapsec_coap_response *resp) {
    n_calls++;
    (void)coapsec_coap_defer(resp); /* never answers */
}

static hpair *setup(uint64_t seed, const coapsec_coap_params *p) {
    hpair *h = hpair_new(seed, p);
    coapsec_coap_resource r1 = {"hello", h_hello, NULL, NULL, 0};
    coapsec_coap_resource r2 = {"later", h_later, NULL, NULL, 0};
    coapsec_coap_resource r3 = {"silent", h_silent, NULL, NULL, 0};
    assert_int_equal(coapsec_coap_add_resource(h->n[1].ctx, &r1), 0);
    assert_int_equal(coapsec_coap_add_resource(h->n[1].ctx, &r2), 0);
    assert_int_equal(coapsec_coap_add_resource(h->n[1].ctx, &r3), 0);
    n_calls = 0;
    g_handle = -1;
    return h;
}

/* §5.2.1: piggybacked response in the ACK, token echoed (§5.3.1). */
static void test_piggybacked(void **state) {
    hpair *h = setup(1, NULL);
    hreq rq;
    hres res = {.net = h->net};
    assert_true(coapsec_coap_request(h->n[0].ctx, h_peer(h, 0, 1),
                                     h_req(&rq, COAPSEC_CON, COAPSEC_GET, "hello", NULL), h_resp_cb,
                                     &res, 0) >= 0);
    h_run(h, COAPSEC_TSTAMP_NONE - 1);
    assert_int_equal(res.calls, 1);
    assert_int_equal(res.status, 0);
    assert_int_equal(res.type, COAPSEC_ACK);
    assert_int_equal(res.code, COAPSEC_CONTENT);
    assert_string_equal(res.payload, "hello");
    assert_int_equal(h->nlog, 2);
    coapsec_msg q, a;
    h_log_msg(h, 0, &q);
    h_log_msg(h, 1, &a);
    assert_int_equal(q.tkl, 8); /* default token length */
    assert_int_equal(a.mid, q.mid);
    assert_int_equal(a.tkl, q.tkl);
    assert_memory_equal(a.token, q.token, q.tkl);
    const coapsec_opt *cf = coapsec_msg_find(&a, COAPSEC_OPT_CONTENT_FORMAT);
    assert_non_null(cf);
    assert_int_equal(cf->len, 0); /* 0 in its shortest encoding (§3.2) */
    assert_int_equal(n_calls, 1);
    /* consecutive requests use consecutive MIDs and fresh tokens */
    hres res2 = {.net = h->net};
    assert_true(coapsec_coap_request(h->n[0].ctx, h_peer(h, 0, 1),
                                     h_req(&rq, COAPSEC_CON, COAPSEC_GET, "hello", NULL), h_resp_cb,
                                     &res2, h->net->now) >= 0);
    h_run(h, COAPSEC_TSTAMP_NONE - 1);
    coapsec_msg q2;
    h_log_msg(h, 2, &q2);
    assert_int_equal(q2.mid, (uint16_t)(q.mid + 1));
    assert_memory_not_equal(q2.token, q.token, 8);
    assert_int_equal(res2.status, 0);
    hpair_free(h);
}

/* §5.2.2: empty ACK, then the response as CON, which the client ACKs. */
static void test_separate(void **state) {
    hpair *h = setup(2, NULL);
    hreq rq;
    hres res = {.net = h->net};
    assert_true(coapsec_coap_request(h->n[0].ctx, h_peer(h, 0, 1),
                                     h_req(&rq, COAPSEC_CON, COAPSEC_GET, "later", NULL), h_resp_cb,
                                     &res, 0) >= 0);
    h_run(h, 1000);
    assert_true(g_handle >= 0);
    assert_int_equal(res.calls, 0);
    assert_int_equal(h->nlog, 2);
    coapsec_msg q, ack;
    h_log_msg(h, 0, &q);
    h_log_msg(h, 1, &ack);
    assert_int_equal(ack.type, COAPSEC_ACK);
    assert_int_equal(ack.code, COAPSEC_EMPTY);
    assert_int_equal(ack.mid, q.mid);
    /* after the empty ACK the client does not retransmit */
    assert_true(coapsec_coap_expiry(h->n[0].ctx) >=
                coapsec_coap_exchange_lifetime(h->n[0].ctx) - 1000);
    simnet_advance(h->net, 5000);
    coapsec_opt o = {COAPSEC_OPT_CONTENT_FORMAT, 0, NULL};
    assert_int_equal(
        coapsec_coap_respond(h->n[1].ctx, g_handle, COAPSEC_CONTENT, &o, 1, "late", 4, 5000), 0);
    assert_int_equal(
        coapsec_coap_respond(h->n[1].ctx, g_handle, COAPSEC_CONTENT, NULL, 0, NULL, 0, 5000),
        COAPSEC_ERR_NOTFOUND); /* only once */
    h_run(h, COAPSEC_TSTAMP_NONE - 1);
    assert_int_equal(res.calls, 1);
    assert_int_equal(res.status, 0);
    assert_int_equal(res.type, COAPSEC_CON);
    assert_string_equal(res.payload, "late");
    assert_int_equal(h->nlog, 4);
    coapsec_msg sep, ack2;
    h_log_msg(h, 2, &sep);
    h_log_msg(h, 3, &ack2);
    assert_int_equal(sep.type, COAPSEC_CON);
    assert_memory_equal(sep.token, q.token, q.tkl);
    assert_int_equal(ack2.type, COAPSEC_ACK);
    assert_int_equal(ack2.code, COAPSEC_EMPTY);
    assert_int_equal(ack2.mid, sep.mid);
    assert_int_equal(h->log[3].from, 0);
    /* the server stops retransmitting once ACKed */
    assert_int_equal(coapsec_coap_expiry(h->n[1].ctx), COAPSEC_TSTAMP_NONE);
    assert_int_equal(h->n[1].ctx->stats.retransmissions, 0);
    hpair_free(h);
}

static int drop_first_separate(hpair *h, int from, int to, const coapsec_msg *m, int nth) {
    int *dropped = h->drop_state;
    if (from == 1 && m->type == COAPSEC_CON && *dropped == 0) {
        (*dropped)++;
        return 1;
    }
    return 0;
}

/* §4.2 for a separate response: lost once, retransmitted, delivered once. */
static void test_separate_lost(void **state) {
    hpair *h = setup(3, NULL);
    int dropped = 0;
    h->drop = drop_first_separate;
    h->drop_state = &dropped;
    hreq rq;
    hres res = {.net = h->net};
    assert_true(coapsec_coap_request(h->n[0].ctx, h_peer(h, 0, 1),
                                     h_req(&rq, COAPSEC_CON, COAPSEC_GET, "later", NULL), h_resp_cb,
                                     &res, 0) >= 0);
    h_run(h, 1000);
    assert_int_equal(
        coapsec_coap_respond(h->n[1].ctx, g_handle, COAPSEC_CONTENT, NULL, 0, "z", 1, h->net->now),
        0);
    h_run(h, COAPSEC_TSTAMP_NONE - 1);
    assert_int_equal(dropped, 1);
    assert_int_equal(res.calls, 1);
    assert_int_equal(res.status, 0);
    assert_string_equal(res.payload, "z");
    assert_int_equal(h->n[1].ctx->stats.retransmissions, 1);
    assert_int_equal(h_count(h, 1, 0), 3); /* empty ACK, lost CON, retransmitted CON */
    assert_int_equal(coapsec_coap_expiry(h->n[1].ctx), COAPSEC_TSTAMP_NONE);
    assert_int_equal(n_calls, 1);
    hpair_free(h);
}

/* §5.2.2: the client gives up on a separate response after EXCHANGE_LIFETIME. */
static void test_separate_never_comes(void **state) {
    hpair *h = setup(4, NULL);
    hreq rq;
    hres res = {.net = h->net};
    assert_true(coapsec_coap_request(h->n[0].ctx, h_peer(h, 0, 1),
                                     h_req(&rq, COAPSEC_CON, COAPSEC_GET, "silent", NULL),
                                     h_resp_cb, &res, 0) >= 0);
    h_run(h, COAPSEC_TSTAMP_NONE - 1);
    assert_int_equal(res.calls, 1);
    assert_int_equal(res.status, COAPSEC_ERR_TIMEOUT);
    assert_int_equal(res.t, coapsec_coap_exchange_lifetime(h->n[0].ctx));
    assert_int_equal(h->n[0].ctx->stats.retransmissions, 0);
    /* the server dropped its deferred entry as well */
    assert_int_equal(coapsec_coap_expiry(h->n[1].ctx), COAPSEC_TSTAMP_NONE);
    hpair_free(h);
}

/* §5.2.3: NON request, NON response; a deferred NON gets a NON later. */
static void test_non(void **state) {
    hpair *h = setup(5, NULL);
    hreq rq;
    hres res = {.net = h->net}, res2 = {.net = h->net};
    assert_true(coapsec_coap_request(h->n[0].ctx, h_peer(h, 0, 1),
                                     h_req(&rq, COAPSEC_NON, COAPSEC_GET, "hello", NULL), h_resp_cb,
                                     &res, 0) >= 0);
    h_run(h, COAPSEC_TSTAMP_NONE - 1);
    assert_int_equal(res.status, 0);
    assert_int_equal(res.type, COAPSEC_NON);
    assert_string_equal(res.payload, "hello");
    assert_true(coapsec_coap_request(h->n[0].ctx, h_peer(h, 0, 1),
                                     h_req(&rq, COAPSEC_NON, COAPSEC_GET, "later", NULL), h_resp_cb,
                                     &res2, h->net->now) >= 0);
    h_run(h, h->net->now + 1000);
    assert_true(g_handle >= 0);
    int before = h->nlog;
    assert_int_equal(h_count(h, 1, 0), 1); /* no empty ACK for a NON */
    assert_int_equal(
        coapsec_coap_respond(h->n[1].ctx, g_handle, COAPSEC_CONTENT, NULL, 0, "n", 1, h->net->now),
        0);
    h_run(h, COAPSEC_TSTAMP_NONE - 1);
    assert_int_equal(res2.calls, 1);
    assert_int_equal(res2.type, COAPSEC_NON);
    assert_string_equal(res2.payload, "n");
    assert_int_equal(h->nlog, before + 1); /* nothing acknowledges a NON */
    hpair_free(h);
}

static int drop_all(hpair *h, int from, int to, const coapsec_msg *m, int nth) {
    return 1;
}

/* §4.3/§4.8.2: an unanswered NON request times out after NON_LIFETIME, or the
 * configured non_timeout_ms; it is never retransmitted. */
static void test_non_timeout(void **state) {
    for (int explicit_timeout = 0; explicit_timeout <= 1; explicit_timeout++) {
        coapsec_coap_params p;
        coapsec_coap_params_default(&p);
        p.non_timeout_ms = explicit_timeout ? 7000 : 0;
        hpair *h = setup(6, &p);
        h->drop = drop_all;
        hreq rq;
        hres res = {.net = h->net};
        assert_true(coapsec_coap_request(h->n[0].ctx, h_peer(h, 0, 1),
                                         h_req(&rq, COAPSEC_NON, COAPSEC_GET, "hello", NULL),
                                         h_resp_cb, &res, 0) >= 0);
        h_run(h, COAPSEC_TSTAMP_NONE - 1);
        assert_int_equal(res.status, COAPSEC_ERR_TIMEOUT);
        assert_int_equal(res.t, explicit_timeout ? 7000 : coapsec_coap_non_lifetime(h->n[0].ctx));
        assert_int_equal(h->nlog, 1);
        hpair_free(h);
    }
}

/* §4.7: with NSTART=1 the second request waits for the first; NSTART=2 sends both. */
static void test_nstart(void **state) {
    for (uint32_t nstart = 1; nstart <= 2; nstart++) {
        coapsec_coap_params p;
        coapsec_coap_params_default(&p);
        p.nstart = nstart;
        hpair *h = setup(7, &p);
        simnet_link l = {.latency = 50};
        simnet_set_link(h->net, -1, -1, &l);
        hreq rq;
        hres a = {.net = h->net}, b = {.net = h->net}, c = {.net = h->net};
        assert_true(coapsec_coap_request(h->n[0].ctx, h_peer(h, 0, 1),
                                         h_req(&rq, COAPSEC_CON, COAPSEC_GET, "hello", NULL),
                                         h_resp_cb, &a, 0) >= 0);
        assert_true(coapsec_coap_request(h->n[0].ctx, h_peer(h, 0, 1),
                                         h_req(&rq, COAPSEC_NON, COAPSEC_GET, "hello", NULL),
                                         h_resp_cb, &b, 0) >= 0);
        assert_true(coapsec_coap_request(h->n[0].ctx, h_peer(h, 0, 1),
                                         h_req(&rq, COAPSEC_CON, COAPSEC_GET, "hello", NULL),
                                         h_resp_cb, &c, 0) >= 0);
        assert_int_equal(h_count(h, 0, 1), (int)nstart);
        assert_int_equal(h->n[0].peers[1].inflight, nstart);
        h_run(h, COAPSEC_TSTAMP_NONE - 1);
        assert_int_equal(a.status, 0);
        assert_int_equal(b.status, 0);
        assert_int_equal(c.status, 0);
        /* FIFO order; with NSTART=1 each goes out when the previous answer arrived */
        assert_true(a.t <= b.t && b.t <= c.t);
        if (nstart == 1) {
            assert_int_equal(h->log[2].t, 100); /* 2nd request after the 1st response */
            assert_int_equal(c.t, 300);
        } else {
            assert_int_equal(c.t, 200);
        }
        assert_int_equal(h->n[0].peers[1].inflight, 0);
        hpair_free(h);
    }
}

/* §4.7: after an empty ACK the interaction no longer counts against NSTART. */
static void test_nstart_released_by_empty_ack(void **state) {
    hpair *h = setup(8, NULL);
    hreq rq;
    hres a = {.net = h->net}, b = {.net = h->net};
    assert_true(coapsec_coap_request(h->n[0].ctx, h_peer(h, 0, 1),
                                     h_req(&rq, COAPSEC_CON, COAPSEC_GET, "later", NULL), h_resp_cb,
                                     &a, 0) >= 0);
    assert_true(coapsec_coap_request(h->n[0].ctx, h_peer(h, 0, 1),
                                     h_req(&rq, COAPSEC_CON, COAPSEC_GET, "hello", NULL), h_resp_cb,
                                     &b, 0) >= 0);
    h_run(h, 1000);
    assert_int_equal(a.calls, 0);
    assert_int_equal(b.calls, 1);
    assert_int_equal(b.status, 0);
    assert_int_equal(
        coapsec_coap_respond(h->n[1].ctx, g_handle, COAPSEC_CONTENT, NULL, 0, "a", 1, h->net->now),
        0);
    h_run(h, COAPSEC_TSTAMP_NONE - 1);
    assert_int_equal(a.calls, 1);
    assert_string_equal(a.payload, "a");
    hpair_free(h);
}

/* Cancel: no callback, the queued request goes out. */
static void test_cancel(void **state) {
    hpair *h = setup(9, NULL);
    hreq rq;
    hres a = {.net = h->net}, b = {.net = h->net};
    int ha =
        coapsec_coap_request(h->n[0].ctx, h_peer(h, 0, 1),
                             h_req(&rq, COAPSEC_CON, COAPSEC_GET, "hello", NULL), h_resp_cb, &a, 0);
    int hb =
        coapsec_coap_request(h->n[0].ctx, h_peer(h, 0, 1),
                             h_req(&rq, COAPSEC_CON, COAPSEC_GET, "hello", NULL), h_resp_cb, &b, 0);
    assert_true(ha >= 0 && hb >= 0 && ha != hb);
    assert_int_equal(h_count(h, 0, 1), 1);
    assert_int_equal(coapsec_coap_cancel(h->n[0].ctx, ha, 0), 0);
    assert_int_equal(coapsec_coap_cancel(h->n[0].ctx, ha, 0), COAPSEC_ERR_NOTFOUND);
    assert_int_equal(h_count(h, 0, 1), 2);
    h_run(h, COAPSEC_TSTAMP_NONE - 1);
    assert_int_equal(a.calls, 0);
    assert_int_equal(b.calls, 1);
    assert_int_equal(b.status, 0);
    hpair_free(h);
}

/* §5.4.1: an unrecognised critical option in a piggybacked response rejects it
 * (COAPSEC_ERR_BADOPT); in a separate CON response also with RST. §5.3.2: a
 * piggybacked response with the wrong token is not accepted. */
static void test_response_checks(void **state) {
    hpair *h = setup(10, NULL);
    h->drop = drop_all;
    coapsec_coap_ctx *c = h->n[0].ctx;
    hreq rq;
    hres a = {.net = h->net};
    assert_true(coapsec_coap_request(c, h_peer(h, 0, 1),
                                     h_req(&rq, COAPSEC_CON, COAPSEC_GET, "x", NULL), h_resp_cb, &a,
                                     0) >= 0);
    coapsec_msg q;
    h_log_msg(h, 0, &q);
    coapsec_msg r = {.type = COAPSEC_ACK, .code = COAPSEC_CONTENT, .mid = q.mid, .tkl = q.tkl};
    memcpy(r.token, q.token, q.tkl);
    r.token[0] ^= 1; /* wrong token */
    uint8_t buf[64];
    size_t n = h_encode(&r, buf, sizeof(buf));
    assert_int_equal(coapsec_coap_recv(c, h_peer(h, 0, 1), buf, n, 10), 0);
    assert_int_equal(a.calls, 0);
    r.token[0] ^= 1;
    assert_int_equal(coapsec_msg_add_opt(&r, 2049, "", 0), 0); /* critical, unknown */
    n = h_encode(&r, buf, sizeof(buf));
    assert_int_equal(coapsec_coap_recv(c, h_peer(h, 0, 1), buf, n, 10), 0);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.status, COAPSEC_ERR_BADOPT);

    hres b = {.net = h->net};
    assert_true(coapsec_coap_request(c, h_peer(h, 0, 1),
                                     h_req(&rq, COAPSEC_CON, COAPSEC_GET, "x", NULL), h_resp_cb, &b,
                                     20) >= 0);
    h_log_msg(h, h->nlog - 1, &q);
    coapsec_msg sep = {.type = COAPSEC_CON, .code = COAPSEC_CONTENT, .mid = 0x3131, .tkl = q.tkl};
    memcpy(sep.token, q.token, q.tkl);
    assert_int_equal(coapsec_msg_add_opt(&sep, 2049, "", 0), 0);
    n = h_encode(&sep, buf, sizeof(buf));
    int before = h->nlog;
    assert_int_equal(coapsec_coap_recv(c, h_peer(h, 0, 1), buf, n, 30), 0);
    assert_int_equal(b.calls, 1);
    assert_int_equal(b.status, COAPSEC_ERR_BADOPT);
    assert_int_equal(h->nlog, before + 1);
    const uint8_t rst[4] = {0x70, 0, 0x31, 0x31};
    assert_memory_equal(h->log[before].data, rst, 4);
    /* a duplicate of that CON gets the same RST (§4.5) */
    assert_int_equal(coapsec_coap_recv(c, h_peer(h, 0, 1), buf, n, 40), 0);
    assert_int_equal(h->nlog, before + 2);
    assert_memory_equal(h->log[before + 1].data, rst, 4);
    hpair_free(h);
}

/* §5.2.2 + §4.5: a duplicate of a separate CON response is ACKed again but
 * delivered once. */
static void test_separate_duplicate(void **state) {
    hpair *h = setup(11, NULL);
    h->drop = drop_all;
    coapsec_coap_ctx *c = h->n[0].ctx;
    hreq rq;
    hres a = {.net = h->net};
    assert_true(coapsec_coap_request(c, h_peer(h, 0, 1),
                                     h_req(&rq, COAPSEC_CON, COAPSEC_GET, "x", NULL), h_resp_cb, &a,
                                     0) >= 0);
    coapsec_msg q;
    h_log_msg(h, 0, &q);
    coapsec_msg sep = {.type = COAPSEC_CON, .code = COAPSEC_CONTENT, .mid = 0x0909, .tkl = q.tkl};
    memcpy(sep.token, q.token, q.tkl);
    uint8_t buf[64];
    size_t n = h_encode(&sep, buf, sizeof(buf));
    assert_int_equal(coapsec_coap_recv(c, h_peer(h, 0, 1), buf, n, 10), 0);
    assert_int_equal(coapsec_coap_recv(c, h_peer(h, 0, 1), buf, n, 20), 0);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.status, 0);
    const uint8_t ack[4] = {0x60, 0, 0x09, 0x09};
    assert_int_equal(h->nlog, 3);
    assert_memory_equal(h->log[1].data, ack, 4);
    assert_memory_equal(h->log[2].data, ack, 4);
    hpair_free(h);
}

/* Argument checks. */
static void test_request_args(void **state) {
    hpair *h = setup(12, NULL);
    coapsec_coap_ctx *c = h->n[0].ctx;
    hreq rq;
    hres a = {.net = h->net};
    assert_int_equal(coapsec_coap_request(c, h_peer(h, 0, 1),
                                          h_req(&rq, COAPSEC_ACK, COAPSEC_GET, "x", NULL),
                                          h_resp_cb, &a, 0),
                     COAPSEC_ERR_INVAL);
    assert_int_equal(coapsec_coap_request(c, h_peer(h, 0, 1),
                                          h_req(&rq, COAPSEC_CON, COAPSEC_CONTENT, "x", NULL),
                                          h_resp_cb, &a, 0),
                     COAPSEC_ERR_INVAL);
    coapsec_peer_id bad = {5, 1};
    assert_int_equal(coapsec_coap_request(c, bad, h_req(&rq, COAPSEC_CON, COAPSEC_GET, "x", NULL),
                                          h_resp_cb, &a, 0),
                     COAPSEC_ERR_CLOSED);
    /* a preset token is used as is; the same token twice is refused */
    coapsec_msg *m = h_req(&rq, COAPSEC_CON, COAPSEC_GET, "x", NULL);
    m->tkl = 3;
    memcpy(m->token, "tok", 3);
    assert_true(coapsec_coap_request(c, h_peer(h, 0, 1), m, h_resp_cb, &a, 0) >= 0);
    assert_int_equal(coapsec_coap_request(c, h_peer(h, 0, 1), m, h_resp_cb, &a, 0),
                     COAPSEC_ERR_BUSY);
    coapsec_msg q;
    h_log_msg(h, 0, &q);
    assert_int_equal(q.tkl, 3);
    assert_memory_equal(q.token, "tok", 3);
    /* the pool is finite */
    int rc = 0, i;
    for (i = 0; i < COAPSEC_COAP_MAX_EXCHANGES + 1 && rc >= 0; i++)
        rc = coapsec_coap_request(c, h_peer(h, 0, 1),
                                  h_req(&rq, COAPSEC_CON, COAPSEC_GET, "x", NULL), NULL, NULL, 0);
    assert_int_equal(rc, COAPSEC_ERR_NOMEM);
    assert_int_equal(i, COAPSEC_COAP_MAX_EXCHANGES);
    hpair_free(h);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_piggybacked),
        cmocka_unit_test(test_separate),
        cmocka_unit_test(test_separate_lost),
        cmocka_unit_test(test_separate_never_comes),
        cmocka_unit_test(test_non),
        cmocka_unit_test(test_non_timeout),
        cmocka_unit_test(test_nstart),
        cmocka_unit_test(test_nstart_released_by_empty_ack),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_response_checks),
        cmocka_unit_test(test_separate_duplicate),
        cmocka_unit_test(test_request_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
