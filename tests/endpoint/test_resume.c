/*
 * test_resume.c - tests for src/endpoint/resume.c: DTLS session resumption
 * (RFC 5246 §7.3, RFC 5077) and heartbeat (RFC 6520) through real endpoints
 * on 127.0.0.1 in one process.
 *  - a client whose session was closed, or evicted under its client-session
 *    cap, resumes on its next request: COAPSEC_SESSION_RESUMED on both sides,
 *    handshakes_resumed counted, and the server sends one handshake flight
 *    fewer (no ServerHello..ServerHelloDone flight: no key exchange);
 *  - an identity the server no longer accepts cannot resume (the request
 *    fails with COAPSEC_ERR_HANDSHAKE);
 *  - heartbeat: a peer that answers stays; a peer that stops answering is
 *    COAPSEC_SESSION_DEAD after the retransmissions and its session closed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "coapsec/endpoint.h"

static const uint8_t KEY[] = "0123456789abcdef0123";
#define KEYLEN 20

typedef struct node {
    coapsec_endpoint *ep;
    int n[8]; /* session events by type */
    coapsec_peer_id last[8];
    int lookups;   /* server PSK lookups */
    int refuse_id; /* server: refuse every identity */
    uint16_t port;
} node;

static void on_event(void *user, const coapsec_session_event *ev) {
    node *n = user;
    int t = ev->type >= 1 && ev->type <= 7 ? ev->type : 0;
    n->n[t]++;
    n->last[t] = ev->peer;
}

static int lookup(void *user, const uint8_t *id, size_t idlen, uint8_t *key, size_t *keylen) {
    node *n = user;
    n->lookups++;
    if (n->refuse_id || idlen != 4 || memcmp(id, "dev1", 4) != 0)
        return -1;
    memcpy(key, KEY, KEYLEN);
    *keylen = KEYLEN;
    return 0;
}

static void h_all(void *user, const coapsec_coap_req *req, coapsec_coap_response *resp) {
    (void)user;
    (void)req;
    resp->msg.code = COAPSEC_CONTENT;
    coapsec_coap_resp_payload(resp, "hello", 5);
}

typedef struct result {
    int done, status;
    uint8_t code;
} result;

static void on_resp(void *user, int status, const coapsec_msg *m, coapsec_peer_id peer) {
    (void)peer;
    result *r = user;
    r->done++;
    r->status = status;
    r->code = m ? m->code : 0;
}

static void node_new(node *n, int server, uint32_t hb_ms, uint32_t max_client) {
    memset(n, 0, sizeof *n);
    coapsec_endpoint_config cfg;
    coapsec_endpoint_config_default(&cfg);
    cfg.bind[0].host = "127.0.0.1";
    cfg.bind[0].security = server ? COAPSEC_SEC_PSK : COAPSEC_SEC_NOSEC;
    cfg.nbind = 1;
    cfg.session_event = on_event;
    cfg.user = n;
    cfg.dtls_heartbeat_ms = hb_ms;
    cfg.dtls_retrans_initial_ms = 100;
    cfg.dtls_max_retransmits = 2;
    cfg.max_client_sessions = max_client;
    assert_int_equal(coapsec_endpoint_new(&cfg, &n->ep), 0);
    coapsec_coap_set_fallback(coapsec_endpoint_coap(n->ep), h_all, n);
    if (server)
        coapsec_endpoint_set_psk_lookup(n->ep, lookup, n);
    else
        assert_int_equal(
            coapsec_endpoint_set_client_psk(n->ep, NULL, (const uint8_t *)"dev1", 4, KEY, KEYLEN),
            0);
    n->port = coapsec_endpoint_local_port(n->ep, AF_INET);
}

/* Run the given endpoints until *flag >= want or ms pass. */
static void pump(node **nodes, int count, const int *flag, int want, int ms) {
    for (int t = 0; t < ms / 5; t++) {
        if (flag && *flag >= want)
            return;
        for (int i = 0; i < count; i++)
            coapsec_endpoint_process(nodes[i]->ep, i == 0 ? 5 : 0);
    }
}

static void get(node *c, node *s, result *r, node **all, int count) {
    char uri[64];
    coapsec_msg req;
    memset(&req, 0, sizeof req);
    req.type = COAPSEC_CON;
    req.code = COAPSEC_GET;
    snprintf(uri, sizeof uri, "coaps://127.0.0.1:%u/x", (unsigned)s->port);
    memset(r, 0, sizeof *r);
    assert_true(coapsec_endpoint_request(c->ep, uri, &req, 0, on_resp, r) >= 0);
    pump(all, count, &r->done, 1, 5000);
    assert_int_equal(r->done, 1);
}

/* Closed by the client (close_notify), then the next request: RFC 5246 §7.3
 * abbreviated handshake by ticket (RFC 5077), RESUMED on both sides. */
static void test_resume_after_close(void **state) {
    (void)state;
    node s, c;
    node_new(&s, 1, 0, 0);
    node_new(&c, 0, 0, 0);
    node *all[] = {&c, &s};
    result r;
    get(&c, &s, &r, all, 2);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.code, COAPSEC_CONTENT);
    assert_int_equal(c.n[COAPSEC_SESSION_RESUMED], 0);
    assert_int_equal(s.lookups, 1);
    uint64_t full_out = coapsec_endpoint_get_stats(s.ep)->datagrams_out;

    assert_int_equal(coapsec_endpoint_close_peer(c.ep, c.last[COAPSEC_SESSION_ESTABLISHED]), 0);
    pump(all, 2, &s.n[COAPSEC_SESSION_CLOSED], 1, 2000);
    assert_int_equal(s.n[COAPSEC_SESSION_CLOSED], 1);
    uint64_t before = coapsec_endpoint_get_stats(s.ep)->datagrams_out;
    get(&c, &s, &r, all, 2);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.code, COAPSEC_CONTENT);
    assert_int_equal(c.n[COAPSEC_SESSION_ESTABLISHED], 2);
    assert_int_equal(c.n[COAPSEC_SESSION_RESUMED], 1);
    assert_int_equal(s.n[COAPSEC_SESSION_RESUMED], 1);
    assert_int_equal(coapsec_endpoint_get_stats(c.ep)->handshakes_resumed, 1);
    assert_int_equal(coapsec_endpoint_get_stats(s.ep)->handshakes_resumed, 1);
    /* The server sent HelloVerifyRequest, one handshake flight and the
     * response: one datagram fewer than the full handshake did. */
    assert_int_equal(coapsec_endpoint_get_stats(s.ep)->datagrams_out - before, 3);
    assert_int_equal(full_out, 4);
    assert_int_equal(s.lookups, 2); /* only the identity recheck, no key exchange */
    coapsec_endpoint_free(c.ep);
    coapsec_endpoint_free(s.ep);
}

/* Evicted under max_client_sessions = 1 by a session to another server,
 * the first server's session resumes on the next request to it. */
static void test_resume_after_evict(void **state) {
    (void)state;
    node s1, s2, c;
    node_new(&s1, 1, 0, 0);
    node_new(&s2, 1, 0, 0);
    node_new(&c, 0, 0, 1);
    node *all[] = {&c, &s1, &s2};
    result r;
    get(&c, &s1, &r, all, 3);
    assert_int_equal(r.status, 0);
    get(&c, &s2, &r, all, 3);
    assert_int_equal(r.status, 0);
    pump(all, 3, &s1.n[COAPSEC_SESSION_CLOSED], 1, 2000);
    assert_int_equal(s1.n[COAPSEC_SESSION_CLOSED], 1); /* evicted: close_notify */
    get(&c, &s1, &r, all, 3);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.code, COAPSEC_CONTENT);
    assert_int_equal(s1.n[COAPSEC_SESSION_RESUMED], 1);
    assert_int_equal(c.n[COAPSEC_SESSION_RESUMED], 1);
    assert_int_equal(s2.n[COAPSEC_SESSION_RESUMED], 0);
    coapsec_endpoint_free(c.ep);
    coapsec_endpoint_free(s1.ep);
    coapsec_endpoint_free(s2.ep);
}

/* The server no longer accepts the identity: no resumption, and the full
 * handshake fails. Then the identity is back: a full handshake again works. */
static void test_removed_identity(void **state) {
    (void)state;
    node s, c;
    node_new(&s, 1, 0, 0);
    node_new(&c, 0, 0, 0);
    node *all[] = {&c, &s};
    result r;
    get(&c, &s, &r, all, 2);
    assert_int_equal(r.status, 0);
    assert_int_equal(coapsec_endpoint_close_peer(c.ep, c.last[COAPSEC_SESSION_ESTABLISHED]), 0);
    pump(all, 2, &s.n[COAPSEC_SESSION_CLOSED], 1, 2000);
    s.refuse_id = 1;
    get(&c, &s, &r, all, 2);
    assert_int_equal(r.status, COAPSEC_ERR_HANDSHAKE);
    assert_int_equal(s.n[COAPSEC_SESSION_RESUMED] + c.n[COAPSEC_SESSION_RESUMED], 0);
    coapsec_endpoint_free(c.ep);
    coapsec_endpoint_free(s.ep);
}

/* RFC 6520: the server pings after 200 ms of quiet; an answering client
 * keeps its session; a client that stops (not driven any more: no answer,
 * no close_notify) is declared dead after 2 retransmissions and its session
 * is closed. */
static void test_heartbeat_dead(void **state) {
    (void)state;
    node s, c;
    node_new(&s, 1, 200, 0);
    node_new(&c, 0, 60000, 0); /* offers the extension, pings rarely */
    node *all[] = {&s, &c};
    result r;
    get(&c, &s, &r, all, 2);
    assert_int_equal(r.status, 0);
    pump(all, 2, NULL, 0, 1500); /* several pings, all answered */
    assert_int_equal(s.n[COAPSEC_SESSION_DEAD], 0);
    coapsec_session_stats st;
    coapsec_endpoint_session_stats(s.ep, &st);
    assert_int_equal(st.secure_sessions, 1);
    pump(all, 1, &s.n[COAPSEC_SESSION_DEAD], 1, 5000); /* only the server runs */
    assert_int_equal(s.n[COAPSEC_SESSION_DEAD], 1);
    coapsec_endpoint_session_stats(s.ep, &st);
    assert_int_equal(st.secure_sessions, 0);
    assert_int_equal(st.dead, 1);
    /* The client, driven again, gets the close_notify. */
    node *cl[] = {&c};
    pump(cl, 1, &c.n[COAPSEC_SESSION_CLOSED], 1, 2000);
    assert_int_equal(c.n[COAPSEC_SESSION_CLOSED], 1);
    coapsec_endpoint_free(c.ep);
    coapsec_endpoint_free(s.ep);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resume_after_close),
        cmocka_unit_test(test_resume_after_evict),
        cmocka_unit_test(test_removed_identity),
        cmocka_unit_test(test_heartbeat_dead),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
