/*
 * test_xfer.c - tests for src/endpoint/xfer.c: block-wise transfers (RFC
 * 7959) and observations (RFC 7641) through two real endpoints in one
 * process on 127.0.0.1, over coap:// (NoSec) and coaps:// (DTLS-PSK, where
 * the request or observation first waits in the handshake queue and must
 * keep its kind): a 100 KB PUT (Block1, §2.5, reassembled in the server's
 * buffers given in coapsec_endpoint_config; the handler runs once) then GET
 * (Block2, §2.4, reassembled in the caller's body buffer); a body beyond the
 * buffers answered 4.13 (§2.9.3); observe registration and notifications
 * (RFC 7641 §3.1, §4.2), cancel with deregistration (§3.6: the server's
 * observer count drops to 0) and cancel of an observation still queued.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coapsec/endpoint.h"

static const uint8_t KEY[] = "0123456789abcdef0123";
#define KEYLEN 20
#define BODY   (100 * 1024)

typedef struct srv {
    coapsec_endpoint *ep;
    uint8_t *data;
    size_t len;
    unsigned puts; /* PUT handler runs */
    unsigned tick;
} srv;

static void h_data(void *user, const coapsec_coap_req *req, coapsec_coap_response *resp) {
    srv *s = user;
    if (req->msg->code == COAPSEC_PUT) {
        s->puts++;
        assert_true(req->msg->payload_len <= BODY);
        memcpy(s->data, req->msg->payload, req->msg->payload_len);
        s->len = req->msg->payload_len;
        resp->msg.code = COAPSEC_CHANGED;
        return;
    }
    resp->msg.code = COAPSEC_CONTENT;
    coapsec_coap_resp_body(resp, s->data, s->len);
}

static void h_tick(void *user, const coapsec_coap_req *req, coapsec_coap_response *resp) {
    srv *s = user;
    char b[16];
    int n = snprintf(b, sizeof b, "tick %u", s->tick);
    resp->msg.code = COAPSEC_CONTENT;
    coapsec_coap_resp_payload(resp, b, (size_t)n);
}

typedef struct res {
    int calls, status;
    uint8_t code;
    size_t len;
    uint8_t first[16];
    int has_observe;
    char last[16];
} res;

static void r_cb(void *user, int status, const coapsec_msg *resp, coapsec_peer_id peer) {
    res *r = user;
    r->calls++;
    r->status = status;
    if (!resp)
        return;
    r->code = resp->code;
    r->len = resp->payload_len;
    if (resp->payload_len > 0)
        memcpy(r->first, resp->payload, resp->payload_len < 16 ? resp->payload_len : 16);
    r->has_observe = coapsec_msg_find(resp, COAPSEC_OPT_OBSERVE) != NULL;
    snprintf(r->last, sizeof r->last, "%.*s",
             (int)(resp->payload_len < 15 ? resp->payload_len : 15), (const char *)resp->payload);
}

typedef struct fixture {
    srv s[2]; /* [0] NoSec, [1] DTLS-PSK */
    coapsec_endpoint *c;
    uint8_t *body, *back;
} fixture;
static fixture F;

static void make_server(srv *s, int security) {
    s->data = malloc(BODY);
    assert_non_null(s->data);
    coapsec_endpoint_config cfg;
    coapsec_endpoint_config_default(&cfg);
    cfg.bind[0].host = "127.0.0.1";
    cfg.bind[0].security = security;
    cfg.nbind = 1;
    cfg.block1_size = BODY;
    cfg.block1_count = 2;
    assert_int_equal(coapsec_endpoint_new(&cfg, &s->ep), 0);
    coapsec_coap_ctx *coap = coapsec_endpoint_coap(s->ep);
    const coapsec_coap_resource d = {"data", h_data, s, NULL, 0};
    const coapsec_coap_resource t = {"tick", h_tick, s, NULL, 0};
    assert_int_equal(coapsec_coap_add_resource(coap, &d), 0);
    assert_int_equal(coapsec_coap_add_resource(coap, &t), 0);
    assert_int_equal(coapsec_coap_set_observable(coap, "tick", 1), 0);
    if (security == COAPSEC_SEC_PSK)
        assert_int_equal(coapsec_endpoint_set_default_psk(s->ep, KEY, KEYLEN), 0);
}

static int setup(void **state) {
    fixture *f = &F;
    memset(f, 0, sizeof *f);
    f->body = malloc(BODY + 1);
    f->back = malloc(BODY);
    assert_non_null(f->body);
    assert_non_null(f->back);
    for (size_t i = 0; i <= BODY; i++)
        f->body[i] = (uint8_t)(i * 7 + (i >> 10));
    make_server(&f->s[0], COAPSEC_SEC_NOSEC);
    make_server(&f->s[1], COAPSEC_SEC_PSK);
    coapsec_endpoint_config cc;
    coapsec_endpoint_config_default(&cc);
    cc.bind[0].host = "127.0.0.1";
    cc.nbind = 1;
    assert_int_equal(coapsec_endpoint_new(&cc, &f->c), 0);
    assert_int_equal(
        coapsec_endpoint_set_client_psk(f->c, NULL, (const uint8_t *)"n1", 2, KEY, KEYLEN), 0);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    coapsec_endpoint_free(f->c);
    for (int i = 0; i < 2; i++) {
        coapsec_endpoint_free(f->s[i].ep);
        free(f->s[i].data);
    }
    free(f->body);
    free(f->back);
    return 0;
}

static void uri(const fixture *f, int sec, const char *path, char *out, size_t cap) {
    snprintf(out, cap, "%s://127.0.0.1:%u/%s", sec ? "coaps" : "coap",
             (unsigned)coapsec_endpoint_local_port(f->s[sec].ep, 0), path);
}

static void pump(fixture *f, const int *until, int ms) {
    for (int i = 0; i < ms / 2 && !*until; i++) {
        assert_true(coapsec_endpoint_process(f->s[0].ep, 0) >= 0);
        assert_true(coapsec_endpoint_process(f->s[1].ep, 0) >= 0);
        assert_true(coapsec_endpoint_process(f->c, 2) >= 0);
    }
}

static void msg_init(coapsec_msg *m, uint8_t code) {
    memset(m, 0, sizeof *m);
    m->type = COAPSEC_CON;
    m->code = code;
}

/* RFC 7959 §2.5 then §2.4, and §2.9.3, over one scheme. */
static void roundtrip(fixture *f, int sec) {
    srv *s = &f->s[sec];
    char u[80];
    uri(f, sec, "data", u, sizeof u);
    coapsec_msg m;
    msg_init(&m, COAPSEC_PUT);
    m.payload = f->body;
    m.payload_len = BODY;
    res put = {0};
    assert_true(coapsec_endpoint_request_ex(f->c, u, &m, 0, NULL, r_cb, &put) >= 0);
    pump(f, &put.calls, 20000);
    assert_int_equal(put.calls, 1);
    assert_int_equal(put.status, 0);
    assert_int_equal(put.code, COAPSEC_CHANGED);
    assert_int_equal(s->puts, 1); /* atomic: the handler ran once, with everything */
    assert_int_equal(s->len, BODY);
    assert_memory_equal(s->data, f->body, BODY);

    msg_init(&m, COAPSEC_GET);
    memset(f->back, 0, BODY);
    coapsec_coap_xfer x = {4, f->back, BODY, 0}; /* 256-byte blocks */
    res get = {0};
    assert_true(coapsec_endpoint_request_ex(f->c, u, &m, 0, &x, r_cb, &get) >= 0);
    pump(f, &get.calls, 20000);
    assert_int_equal(get.calls, 1);
    assert_int_equal(get.status, 0);
    assert_int_equal(get.code, COAPSEC_CONTENT);
    assert_int_equal(get.len, BODY);
    assert_memory_equal(f->back, f->body, BODY);

    /* One byte more than the server's Block1 buffer: 4.13 (§2.9.3), no handler run. */
    msg_init(&m, COAPSEC_PUT);
    m.payload = f->body;
    m.payload_len = BODY + 1;
    res big = {0};
    assert_true(coapsec_endpoint_request_ex(f->c, u, &m, 0, NULL, r_cb, &big) >= 0);
    pump(f, &big.calls, 5000);
    assert_int_equal(big.calls, 1);
    assert_int_equal(big.code, COAPSEC_REQUEST_ENTITY_TOO_LARGE);
    assert_int_equal(s->puts, 1);
}

static void test_block_nosec(void **state) {
    roundtrip(*state, 0);
}

/* The first coaps:// request waits for the handshake in the endpoint's queue:
 * it must still go out block-wise with its body. */
static void test_block_dtls(void **state) {
    roundtrip(*state, 1);
}

/* RFC 7641 §3.1 registration, §4.2 notifications, §3.6 deregistration. */
static void observe(fixture *f, int sec) {
    srv *s = &f->s[sec];
    coapsec_coap_ctx *coap = coapsec_endpoint_coap(s->ep);
    char u[80];
    uri(f, sec, "tick", u, sizeof u);
    coapsec_msg m;
    msg_init(&m, COAPSEC_GET);
    res r = {0};
    int h = coapsec_endpoint_observe(f->c, u, &m, 0, r_cb, &r);
    assert_true(h >= 0);
    pump(f, &r.calls, 5000);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.code, COAPSEC_CONTENT);
    assert_true(r.has_observe);
    assert_int_equal(coapsec_coap_observers(coap, "tick"), 1);
    for (int i = 1; i <= 3; i++) {
        s->tick = (unsigned)i;
        assert_int_equal(coapsec_coap_notify(coap, "tick", coapsec_endpoint_now(s->ep)), 1);
        int want = 1 + i, done = 0;
        for (int k = 0; k < 1000 && !done; k++) {
            pump(f, &done, 2);
            done = r.calls >= want;
        }
        assert_int_equal(r.calls, want);
        char e[16];
        snprintf(e, sizeof e, "tick %d", i);
        assert_string_equal(r.last, e);
        assert_true(r.has_observe);
    }
    assert_int_equal(coapsec_endpoint_observe_cancel(f->c, h, 1), 0);
    for (int k = 0; k < 1000 && coapsec_coap_observers(coap, "tick") > 0; k++) {
        int z = 0;
        pump(f, &z, 2);
    }
    assert_int_equal(coapsec_coap_observers(coap, "tick"), 0);
    assert_int_equal(r.calls, 4); /* no call after the cancel */
    assert_int_equal(coapsec_endpoint_observe_cancel(f->c, h, 1), COAPSEC_ERR_NOTFOUND);
}

static void test_observe_nosec(void **state) {
    observe(*state, 0);
}

static void test_observe_dtls(void **state) {
    observe(*state, 1);
}

/* An observation still queued behind its handshake: cancel drops it, no call. */
static void test_observe_cancel_queued(void **state) {
    fixture *f = *state;
    coapsec_endpoint_config cc;
    coapsec_endpoint_config_default(&cc);
    cc.bind[0].host = "127.0.0.1";
    cc.nbind = 1;
    coapsec_endpoint *c2;
    assert_int_equal(coapsec_endpoint_new(&cc, &c2), 0);
    assert_int_equal(
        coapsec_endpoint_set_client_psk(c2, NULL, (const uint8_t *)"n2", 2, KEY, KEYLEN), 0);
    char u[80];
    uri(f, 1, "tick", u, sizeof u);
    coapsec_msg m;
    msg_init(&m, COAPSEC_GET);
    res r = {0};
    int h = coapsec_endpoint_observe(c2, u, &m, 0, r_cb, &r);
    assert_true(h >= 0);
    assert_int_equal(coapsec_endpoint_observe_cancel(c2, h, 1), 0);
    for (int i = 0; i < 200; i++) {
        assert_true(coapsec_endpoint_process(f->s[1].ep, 0) >= 0);
        assert_true(coapsec_endpoint_process(c2, 2) >= 0);
    }
    assert_int_equal(r.calls, 0);
    assert_int_equal(coapsec_coap_observers(coapsec_endpoint_coap(f->s[1].ep), "tick"), 0);
    /* only GET and FETCH can be observed (RFC 7641 §2) */
    msg_init(&m, COAPSEC_PUT);
    assert_int_equal(coapsec_endpoint_observe(c2, u, &m, 0, r_cb, &r), COAPSEC_ERR_INVAL);
    coapsec_endpoint_free(c2);
}

/* Bad Block1 buffer configuration is refused at creation. */
static void test_block1_config(void **state) {
    coapsec_endpoint_config cfg;
    coapsec_endpoint_config_default(&cfg);
    cfg.bind[0].host = "127.0.0.1";
    cfg.nbind = 1;
    cfg.block1_count = COAPSEC_COAP_MAX_BLOCK1 + 1;
    cfg.block1_size = 1024;
    coapsec_endpoint *ep = NULL;
    assert_int_equal(coapsec_endpoint_new(&cfg, &ep), COAPSEC_ERR_INVAL);
    assert_null(ep);
    cfg.block1_count = 1;
    cfg.block1_size = 0;
    assert_int_equal(coapsec_endpoint_new(&cfg, &ep), COAPSEC_ERR_INVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_block_nosec),           cmocka_unit_test(test_block_dtls),
        cmocka_unit_test(test_observe_nosec),         cmocka_unit_test(test_observe_dtls),
        cmocka_unit_test(test_observe_cancel_queued), cmocka_unit_test(test_block1_config),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
