/*
 * test_observe.c - Observe (RFC 7641) in the CoAP engine: registration and
 * notifications in order (§3.1, §4.2, §4.4), the §3.4 freshness rule with
 * 24-bit wrap-around, deregistration by Observe: 1, by RST and by cancel
 * (§3.6), CON notification timeout removing the observer (§4.5), the daily
 * CON (§4.5), and observations ending with the peer generation (TS-0008).
 */
#include <stdio.h>

#include "harness.h"

static int g_value;
static int g_handler_calls;

static void h_counter(void *user, const coapsec_coap_req *req, coapsec_coap_response *resp) {
    g_handler_calls++;
    char buf[16];
    int n = snprintf(buf, sizeof buf, "%d", g_value);
    coapsec_coap_resp_uint(resp, COAPSEC_OPT_MAX_AGE, 30);
    coapsec_coap_resp_payload(resp, buf, (size_t)n);
    if (g_value < 0)
        resp->msg.code = COAPSEC_NOT_FOUND;
}

typedef struct ores {
    int calls, status;
    int values[64];
    uint32_t obs[64];
    int has_obs[64];
    uint8_t type[64];
} ores;

static void o_cb(void *user, int status, const coapsec_msg *resp, coapsec_peer_id peer) {
    ores *r = user;
    int i = r->calls++ % 64;
    r->status = status;
    if (resp != NULL) {
        char b[16] = {0};
        memcpy(b, resp->payload, resp->payload_len < 15 ? resp->payload_len : 15);
        r->values[i] = atoi(b);
        const coapsec_opt *o = coapsec_msg_find(resp, COAPSEC_OPT_OBSERVE);
        r->has_obs[i] = o != NULL;
        r->obs[i] = 0;
        if (o != NULL)
            coapsec_opt_uint(o, &r->obs[i]);
        r->type[i] = resp->type;
    }
}

static hpair *setup(uint64_t seed) {
    hpair *h = hpair_new(seed, NULL);
    coapsec_coap_resource r = {"counter", h_counter, NULL, NULL, 0};
    coapsec_coap_resource r2 = {"plain", h_counter, NULL, NULL, 0};
    assert_int_equal(coapsec_coap_add_resource(h->n[1].ctx, &r), 0);
    assert_int_equal(coapsec_coap_add_resource(h->n[1].ctx, &r2), 0);
    assert_int_equal(coapsec_coap_set_observable(h->n[1].ctx, "counter", 1), 0);
    g_value = 0;
    g_handler_calls = 0;
    return h;
}

static int observe(hpair *h, const char *path, ores *res) {
    hreq rq;
    int hd = coapsec_coap_observe(h->n[0].ctx, h_peer(h, 0, 1),
                                  h_req(&rq, COAPSEC_CON, COAPSEC_GET, path, NULL), o_cb, res,
                                  h->net->now);
    assert_true(hd >= 0);
    h_run(h, COAPSEC_TSTAMP_NONE - 1);
    return hd;
}

/* §3.4: the freshness rule, with 24-bit wrap-around and the 128 s window. */
static void test_freshness(void **state) {
    static const struct {
        uint32_t v1, v2;
        coapsec_tstamp t1, t2;
        int fresh;
    } vec[] = {
        {1, 2, 0, 0, 1},
        {2, 1, 0, 0, 0},
        {5, 5, 0, 0, 0},
        {0xfffffe, 1, 0, 0, 1},       /* wrapped: 1 is newer */
        {1, 0xfffffe, 0, 0, 0},       /* older across the wrap */
        {0, 1u << 23, 0, 0, 0},       /* exactly half the space: not newer */
        {0, (1u << 23) - 1, 0, 0, 1}, /* just under half */
        {(1u << 23) + 1, 0, 0, 0, 1}, /* V1 > V2 by more than 2^23 */
        {2, 1, 1000, 129001, 1},      /* stale number but > 128 s later */
        {2, 1, 1000, 129000, 0},      /* exactly 128 s: not fresh */
        {0x1000005, 6, 0, 0, 1},      /* only 24 bits count */
    };
    for (size_t i = 0; i < sizeof vec / sizeof vec[0]; i++)
        assert_int_equal(coapsec_observe_fresh(vec[i].v1, vec[i].t1, vec[i].v2, vec[i].t2),
                         vec[i].fresh);
}

/* §3.1, §4.2, §4.4: register, then notifications in order with increasing
 * Observe numbers, NON by default, Max-Age carried. */
static void test_register_and_notify(void **state) {
    hpair *h = setup(1);
    ores res = {0};
    observe(h, "counter", &res);
    assert_int_equal(res.calls, 1);
    assert_int_equal(res.status, 0);
    assert_true(res.has_obs[0]);
    assert_int_equal(coapsec_coap_observers(h->n[1].ctx, "counter"), 1);
    coapsec_msg q;
    h_log_msg(h, 0, &q);
    uint32_t v = 99;
    assert_int_equal(coapsec_opt_uint(coapsec_msg_find(&q, COAPSEC_OPT_OBSERVE), &v), 0);
    assert_int_equal(v, 0);
    for (int i = 1; i <= 5; i++) {
        g_value = i;
        simnet_advance(h->net, h->net->now + 1000);
        assert_int_equal(coapsec_coap_notify(h->n[1].ctx, "counter", h->net->now), 1);
        h_run(h, COAPSEC_TSTAMP_NONE - 1);
    }
    assert_int_equal(res.calls, 6);
    for (int i = 1; i <= 5; i++) {
        assert_int_equal(res.values[i], i);
        assert_true(res.has_obs[i]);
        assert_int_equal(res.obs[i], (res.obs[i - 1] + 1) & 0xffffff);
        assert_int_equal(res.type[i], COAPSEC_NON);
    }
    coapsec_msg n;
    h_log_msg(h, h->nlog - 1, &n);
    assert_int_equal(n.tkl, q.tkl);
    assert_memory_equal(n.token, q.token, q.tkl);
    assert_non_null(coapsec_msg_find(&n, COAPSEC_OPT_MAX_AGE));
    /* /.well-known/core marks it (§6) */
    char wk[256];
    int wl = coapsec_coap_well_known(h->n[1].ctx, h_peer(h, 1, 0), NULL, 0, wk, sizeof wk);
    assert_true(wl > 0);
    wk[wl] = 0;
    assert_non_null(strstr(wk, "</counter>;obs"));
    /* a CON notification when asked */
    assert_int_equal(
        coapsec_coap_notify_ex(h->n[1].ctx, "counter", COAPSEC_COAP_NOTIFY_CON, h->net->now), 1);
    h_run(h, COAPSEC_TSTAMP_NONE - 1);
    assert_int_equal(res.type[6], COAPSEC_CON);
    coapsec_msg ack;
    h_log_msg(h, h->nlog - 1, &ack);
    assert_int_equal(ack.type, COAPSEC_ACK);
    assert_int_equal(coapsec_coap_observers(h->n[1].ctx, "counter"), 1);
    hpair_free(h);
}

/* §3.1: a resource that is not observable answers without Observe: one final call. */
static void test_not_observable(void **state) {
    hpair *h = setup(2);
    ores res = {0};
    observe(h, "plain", &res);
    assert_int_equal(res.calls, 1);
    assert_false(res.has_obs[0]);
    assert_int_equal(coapsec_coap_observers(h->n[1].ctx, NULL), 0);
    hpair_free(h);
}

/* Inject a NON notification with the observation's token and sequence v. */
static void inject(hpair *h, const coapsec_msg *reg, uint16_t mid, uint32_t v, int value) {
    coapsec_msg m;
    memset(&m, 0, sizeof m);
    m.type = COAPSEC_NON;
    m.code = COAPSEC_CONTENT;
    m.mid = mid;
    m.tkl = reg->tkl;
    memcpy(m.token, reg->token, reg->tkl);
    uint8_t sc[4];
    coapsec_msg_add_uint(&m, COAPSEC_OPT_OBSERVE, v, sc);
    char b[16];
    int n = snprintf(b, sizeof b, "%d", value);
    m.payload = (const uint8_t *)b;
    m.payload_len = (size_t)n;
    uint8_t buf[64];
    size_t len = h_encode(&m, buf, sizeof buf);
    assert_int_equal(coapsec_coap_recv(h->n[0].ctx, h_peer(h, 0, 1), buf, len, h->net->now), 0);
}

/* §3.4: reordered notifications are dropped, across the 24-bit wrap too. */
static void test_stale_dropped(void **state) {
    hpair *h = setup(3);
    ores res = {0};
    observe(h, "counter", &res);
    coapsec_msg reg;
    h_log_msg(h, 0, &reg);
    uint32_t v0 = res.obs[0];
    inject(h, &reg, 1000, 0xfffffe, 1); /* fresh only if v0 is "before" it */
    int expect = coapsec_observe_fresh(v0, 0, 0xfffffe, 0) ? 2 : 1;
    assert_int_equal(res.calls, expect);
    /* force a known point: after > 128 s anything is fresh */
    simnet_advance(h->net, h->net->now + 200000);
    inject(h, &reg, 1001, 0xfffffe, 2);
    int c = res.calls;
    assert_int_equal(res.values[(c - 1) % 64], 2);
    inject(h, &reg, 1002, 1, 3); /* wrapped: newer */
    assert_int_equal(res.calls, c + 1);
    assert_int_equal(res.values[c % 64], 3);
    inject(h, &reg, 1003, 0xffffff, 4); /* older than 1 across the wrap: dropped */
    assert_int_equal(res.calls, c + 1);
    assert_int_equal(h->n[0].ctx->stats.stale_notifications, expect == 2 ? 1 : 2);
    inject(h, &reg, 1004, 2, 5);
    assert_int_equal(res.calls, c + 2);
    assert_int_equal(res.values[(c + 1) % 64], 5);
    hpair_free(h);
}

/* §3.6: deregistration with Observe: 1 and the same token. */
static void test_deregister_observe1(void **state) {
    hpair *h = setup(4);
    ores res = {0};
    int hd = observe(h, "counter", &res);
    assert_int_equal(coapsec_coap_observers(h->n[1].ctx, "counter"), 1);
    int before = h->nlog;
    assert_int_equal(coapsec_coap_observe_cancel(h->n[0].ctx, hd, 1, h->net->now), 0);
    h_run(h, COAPSEC_TSTAMP_NONE - 1);
    assert_int_equal(coapsec_coap_observers(h->n[1].ctx, "counter"), 0);
    coapsec_msg reg, dereg;
    h_log_msg(h, 0, &reg);
    h_log_msg(h, before, &dereg);
    uint32_t v = 0;
    assert_int_equal(coapsec_opt_uint(coapsec_msg_find(&dereg, COAPSEC_OPT_OBSERVE), &v), 0);
    assert_int_equal(v, 1);
    assert_memory_equal(dereg.token, reg.token, reg.tkl);
    assert_int_equal(res.calls, 1); /* no callback after cancel */
    assert_int_equal(coapsec_coap_notify(h->n[1].ctx, "counter", h->net->now), 0);
    hpair_free(h);
}

/* §3.6: forgetting the observation (cancel); the next notification is answered
 * with RST and the server removes the observer. */
static void test_deregister_rst(void **state) {
    for (int con = 0; con <= 1; con++) {
        hpair *h = setup(5 + (uint64_t)con);
        ores res = {0};
        int hd = observe(h, "counter", &res);
        assert_int_equal(coapsec_coap_cancel(h->n[0].ctx, hd, h->net->now), 0);
        assert_int_equal(coapsec_coap_observe_cancel(h->n[0].ctx, hd, 0, h->net->now),
                         COAPSEC_ERR_NOTFOUND);
        assert_int_equal(coapsec_coap_notify_ex(h->n[1].ctx, "counter",
                                                con ? COAPSEC_COAP_NOTIFY_CON : 0, h->net->now),
                         1);
        h_run(h, COAPSEC_TSTAMP_NONE - 1);
        coapsec_msg rst;
        h_log_msg(h, h->nlog - 1, &rst);
        assert_int_equal(rst.type, COAPSEC_RST);
        assert_int_equal(coapsec_coap_observers(h->n[1].ctx, "counter"), 0);
        assert_int_equal(res.calls, 1);
        hpair_free(h);
    }
}

static int drop_to_server(hpair *h, int from, int to, const coapsec_msg *m, int nth) {
    return to == 1;
}

/* §4.5: a CON notification never acknowledged removes the observer. */
static void test_con_timeout(void **state) {
    hpair *h = setup(7);
    ores res = {0};
    observe(h, "counter", &res);
    h->drop = drop_to_server;
    assert_int_equal(
        coapsec_coap_notify_ex(h->n[1].ctx, "counter", COAPSEC_COAP_NOTIFY_CON, h->net->now), 1);
    h_run(h, COAPSEC_TSTAMP_NONE - 1);
    assert_int_equal(coapsec_coap_observers(h->n[1].ctx, "counter"), 0);
    /* the registration answer, then the notification 1 + MAX_RETRANSMIT times (§4.2) */
    assert_int_equal(h_count(h, 1, 0), 1 + 1 + 4);
    assert_int_equal(h->n[1].ctx->stats.timeouts, 1);
    assert_int_equal(res.calls, 2); /* each copy is the same notification */
    hpair_free(h);
}

/* §4.5: NON notifications, but a CON at least every 24 hours. */
static void test_daily_con(void **state) {
    hpair *h = setup(8);
    ores res = {0};
    observe(h, "counter", &res);
    coapsec_tstamp t0 = h->net->now;
    simnet_advance(h->net, t0 + 3600 * 1000);
    coapsec_coap_notify(h->n[1].ctx, "counter", h->net->now);
    h_run(h, COAPSEC_TSTAMP_NONE - 1);
    assert_int_equal(res.type[1], COAPSEC_NON);
    simnet_advance(h->net, t0 + COAPSEC_OBSERVE_CON_INTERVAL_MS);
    coapsec_coap_notify(h->n[1].ctx, "counter", h->net->now);
    h_run(h, COAPSEC_TSTAMP_NONE - 1);
    assert_int_equal(res.type[2], COAPSEC_CON);
    simnet_advance(h->net, h->net->now + 1000);
    coapsec_coap_notify(h->n[1].ctx, "counter", h->net->now);
    h_run(h, COAPSEC_TSTAMP_NONE - 1);
    assert_int_equal(res.type[3], COAPSEC_NON);
    assert_int_equal(res.calls, 4);
    hpair_free(h);
}

/* §3.2: a non-2.xx notification ends the observation on both sides. */
static void test_error_ends(void **state) {
    hpair *h = setup(9);
    ores res = {0};
    observe(h, "counter", &res);
    g_value = -1;
    assert_int_equal(coapsec_coap_notify(h->n[1].ctx, "counter", h->net->now), 1);
    h_run(h, COAPSEC_TSTAMP_NONE - 1);
    assert_int_equal(res.calls, 2);
    assert_false(res.has_obs[1]);
    assert_int_equal(coapsec_coap_observers(h->n[1].ctx, NULL), 0);
    g_value = 1;
    assert_int_equal(coapsec_coap_notify(h->n[1].ctx, "counter", h->net->now), 0);
    hpair_free(h);
}

/* TS-0008: notifications only in the session and epoch of the registration. */
static void test_generation_ends(void **state) {
    hpair *h = setup(10);
    ores res = {0};
    observe(h, "counter", &res);
    /* server side: the peer's slot gets a new generation */
    h->n[1].gen[0] = 2;
    assert_int_equal(coapsec_coap_peer_open(h->n[1].ctx, h_peer(h, 1, 0)), 0);
    assert_int_equal(coapsec_coap_observers(h->n[1].ctx, NULL), 0);
    assert_int_equal(coapsec_coap_notify(h->n[1].ctx, "counter", h->net->now), 0);
    /* client side: closing the generation ends the observation with CLOSED */
    assert_int_equal(coapsec_coap_peer_close(h->n[0].ctx, h_peer(h, 0, 1), h->net->now), 0);
    assert_int_equal(res.calls, 2);
    assert_int_equal(res.status, COAPSEC_ERR_CLOSED);
    hpair_free(h);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_freshness),           cmocka_unit_test(test_register_and_notify),
        cmocka_unit_test(test_not_observable),      cmocka_unit_test(test_stale_dropped),
        cmocka_unit_test(test_deregister_observe1), cmocka_unit_test(test_deregister_rst),
        cmocka_unit_test(test_con_timeout),         cmocka_unit_test(test_daily_con),
        cmocka_unit_test(test_error_ends),          cmocka_unit_test(test_generation_ends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
