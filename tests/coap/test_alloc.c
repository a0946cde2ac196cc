/*
 * test_alloc.c - heap allocations made by the CoAP engine (every malloc in
 * the process: tests/alloc/alloc_count.h). NoSec request/response in steady
 * state must allocate nothing: CON requests with piggybacked responses
 * (RFC 7252 §5.2.1), NON requests and NON responses (§5.2.3), the
 * duplicate-detection and exchange-lifetime timers expiring in between
 * (§4.5, §4.8.2), and the codec on its own (§3).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../alloc/alloc_count.h"
#include "harness.h"

static void h_hello(void *user, const coapsec_coap_req *req, coapsec_coap_response *resp) {
    (void)user;
    static const char body[] = "hello from the steady state";
    if (req->msg->code == COAPSEC_POST)
        resp->msg.code = COAPSEC_CHANGED;
    assert_int_equal(coapsec_coap_resp_uint(resp, COAPSEC_OPT_CONTENT_FORMAT, 0), 0);
    assert_int_equal(coapsec_coap_resp_payload(resp, body, sizeof body - 1), 0);
}

static hpair *setup_pair(void) {
    hpair *h = hpair_new(5, NULL);
    static const coapsec_coap_resource r = {"sensors/temp", h_hello, NULL, "ct=0", 0};
    assert_int_equal(coapsec_coap_add_resource(h->n[1].ctx, &r), 0);
    return h;
}

/* One request from node 0 to node 1, answered; the clock then moves on by
 * step ms so that timers fire. */
static void one_request(hpair *h, uint8_t type, uint8_t code, int i, coapsec_tstamp step) {
    static hres res;
    hreq rq;
    coapsec_msg *m = h_req(&rq, type, code, "sensors/temp", code == COAPSEC_POST ? "21.5" : NULL);
    memset(&res, 0, sizeof res);
    int handle =
        coapsec_coap_request(h->n[0].ctx, h_peer(h, 0, 1), m, h_resp_cb, &res, h->net->now);
    assert_true(handle >= 0);
    h_run(h, h->net->now + step);
    if (res.calls != 1 || res.status != 0 || res.payload[0] != 'h')
        fail_msg("request %d: %d calls, status %d", i, res.calls, res.status);
}

/* The counter sees the harness's own allocation (a control: a zero below
 * would otherwise prove nothing). */
static void test_counter_works(void **state) {
    (void)state;
    ac_start();
    hpair *h = setup_pair();
    hpair_free(h);
    ac_counts c = ac_stop();
    assert_true(c.allocs >= 3); /* the pair, the simnet, two contexts */
    assert_int_equal(c.live, 0);
}

/* §5.2.1 CON with piggybacked 2.05 / 2.04, and §5.2.3 NON: after warm-up,
 * 300 request/response exchanges with timers running allocate nothing. */
static void test_nosec_steady_state(void **state) {
    (void)state;
    hpair *h = setup_pair();
    ac_start();
    one_request(h, COAPSEC_CON, COAPSEC_GET, -1, 10);
    ac_counts first = ac_stop();
    for (int i = 0; i < 5; i++) {
        one_request(h, COAPSEC_CON, COAPSEC_GET, i, 10);
        one_request(h, COAPSEC_NON, COAPSEC_GET, i, 10);
    }
    coapsec_coap_stats before = h->n[1].ctx->stats;
    ac_start();
    for (int i = 0; i < 100; i++) {
        one_request(h, COAPSEC_CON, COAPSEC_GET, i, 1000);
        one_request(h, COAPSEC_NON, COAPSEC_GET, i, 1000);
        one_request(h, COAPSEC_CON, COAPSEC_POST, i, 1000);
    }
    /* past EXCHANGE_LIFETIME (§4.8.2): every dedup entry and exchange expires */
    h_run(h, h->net->now + 300000);
    ac_counts c = ac_stop();
    printf("# NoSec: first request %ld allocs; 300 requests in steady state: %ld allocs\n",
           first.allocs, c.allocs);
    assert_int_equal(h->n[1].ctx->stats.requests_received - before.requests_received, 300);
    assert_int_equal(c.allocs, 0);
    assert_int_equal(c.frees, 0);
    assert_int_equal(first.allocs, 0);
    hpair_free(h);
}

/* §3: decoding and encoding a message allocate nothing. */
static void test_codec_allocates_nothing(void **state) {
    (void)state;
    hreq rq;
    coapsec_msg *m = h_req(&rq, COAPSEC_CON, COAPSEC_GET, "a/b/c", "payload");
    m->mid = 0x1234;
    uint8_t buf[COAPSEC_MAX_PDU];
    ac_start();
    int n = coapsec_msg_encode(m, buf, sizeof buf);
    coapsec_msg d;
    int rc = coapsec_msg_decode(&d, buf, (size_t)n);
    ac_counts c = ac_stop();
    assert_true(n > 0);
    assert_int_equal(rc, 0);
    assert_int_equal(d.mid, 0x1234);
    assert_int_equal(c.allocs, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counter_works),
        cmocka_unit_test(test_nosec_steady_state),
        cmocka_unit_test(test_codec_allocates_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
