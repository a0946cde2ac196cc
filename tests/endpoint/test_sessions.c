/*
 * test_sessions.c - tests for src/endpoint/sessions.c and the session rules
 * of oneM2M TS-0008 §7 it enforces with secure.c: real endpoints and a raw
 * DTLS 1.2 client (RFC 6347) on 127.0.0.1 in one process.
 *  - "same session, same epoch": an ACK for a CON, an RST for a NON and a
 *    response for a request match only in the session and epoch they belong
 *    to (a late ACK after the peer re-handshaked from the same address, RFC
 *    6347 §4.2.8); a secured request is answered only in its own session,
 *    never in the clear (RFC 7252 §9.1); dedup (RFC 7252 §4.5) and
 *    observations (RFC 7641) are per epoch; outstanding exchanges of a
 *    replaced or closed session fail with COAPSEC_ERR_CLOSED;
 *  - close_notify both ways (RFC 5246 §7.2.1), idle timeout, CoAP ping
 *    (RFC 7252 §4.3) keepalive and dead peers;
 *  - CoAP role independent of the DTLS role (device / data centre), the
 *    bounded queue of requests waiting for a peer to connect, a node that is
 *    DTLS client and server at once;
 *  - limits: eviction order (dead first, then least recently used idle, never
 *    an active one for a new handshake), a handshake flood against a capped
 *    server, the client-session cap, the memory cap.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "coapsec/endpoint.h"

static const uint8_t KEY[] = "0123456789abcdef0123"; /* 20 bytes used */
#define KEYLEN 20

/* ---- event and response capture ----------------------------------------------------------- */

typedef struct evlog {
    int n[8]; /* by coapsec_session_event_type */
    int replaced;
    coapsec_peer_id last[8];
    char reason[8][96];
} evlog;

static void on_event(void *user, const coapsec_session_event *ev) {
    evlog *l = user;
    int t = ev->type >= 1 && ev->type <= 7 ? ev->type : 0;
    l->n[t]++;
    l->last[t] = ev->peer;
    l->replaced += ev->type == COAPSEC_SESSION_ESTABLISHED && ev->replacement;
    snprintf(l->reason[t], sizeof l->reason[t], "%s", ev->reason ? ev->reason : "");
}

typedef struct result {
    int done;
    int status;
    uint8_t code;
    coapsec_peer_id peer;
    char payload[64];
} result;

static void on_resp(void *user, int status, const coapsec_msg *m, coapsec_peer_id peer) {
    result *r = user;
    r->done++;
    r->status = status;
    r->peer = peer;
    if (m) {
        r->code = m->code;
        snprintf(r->payload, sizeof r->payload, "%.*s", (int)m->payload_len,
                 (const char *)m->payload);
    }
}

/* ---- a node: endpoint + handlers ---------------------------------------------------------------
 */

typedef struct node {
    coapsec_endpoint *ep;
    evlog ev;
    unsigned requests;
    unsigned count_requests; /* GET /count */
    int deferred;            /* handle of the last deferred ("slow") request */
    char cmd[64];            /* last PUT payload */
    uint16_t port;
} node;

static void h_all(void *user, const coapsec_coap_req *req, coapsec_coap_response *resp) {
    node *n = user;
    n->requests++;
    if (strcmp(req->path, "slow") == 0) {
        n->deferred = coapsec_coap_defer(resp);
        return;
    }
    if (strcmp(req->path, "count") == 0)
        n->count_requests++;
    if (req->msg->code == COAPSEC_PUT) {
        snprintf(n->cmd, sizeof n->cmd, "%.*s", (int)req->msg->payload_len,
                 (const char *)req->msg->payload);
        resp->msg.code = COAPSEC_CHANGED;
        return;
    }
    resp->msg.code = COAPSEC_CONTENT;
    coapsec_coap_resp_payload(resp, "hello", 5);
}

static void h_obs(void *user, const coapsec_coap_req *req, coapsec_coap_response *resp) {
    (void)user;
    (void)req;
    resp->msg.code = COAPSEC_CONTENT;
    coapsec_coap_resp_payload(resp, "v", 1);
}

typedef void (*tweak_fn)(coapsec_endpoint_config *cfg);

/* A node; server != 0: a DTLS-PSK bind on 127.0.0.1 accepting any identity with KEY. */
static void node_new(node *n, int server, tweak_fn tweak) {
    memset(n, 0, sizeof *n);
    n->deferred = -1;
    coapsec_endpoint_config cfg;
    coapsec_endpoint_config_default(&cfg);
    cfg.bind[0].host = "127.0.0.1";
    cfg.bind[0].security = server ? COAPSEC_SEC_PSK : COAPSEC_SEC_NOSEC;
    cfg.nbind = 1;
    cfg.session_event = on_event;
    cfg.user = &n->ev;
    if (tweak)
        tweak(&cfg);
    assert_int_equal(coapsec_endpoint_new(&cfg, &n->ep), 0);
    coapsec_coap_ctx *c = coapsec_endpoint_coap(n->ep);
    coapsec_coap_set_fallback(c, h_all, n);
    static const coapsec_coap_resource obs = {"obs", h_obs, NULL, NULL, 0};
    assert_int_equal(coapsec_coap_add_resource(c, &obs), 0);
    assert_int_equal(coapsec_coap_set_observable(c, "obs", 1), 0);
    if (server)
        assert_int_equal(coapsec_endpoint_set_default_psk(n->ep, KEY, KEYLEN), 0);
    n->port = coapsec_endpoint_local_port(n->ep, AF_INET);
}

static void node_psk(node *n, const char *id) {
    assert_int_equal(
        coapsec_endpoint_set_client_psk(n->ep, NULL, (const uint8_t *)id, strlen(id), KEY, KEYLEN),
        0);
}

#define MAXN 6
static node *pumped[MAXN];

static void pump(const int *until, int ms) {
    for (int i = 0; i < ms / 5 && !(until && *until); i++)
        for (int k = 0; k < MAXN; k++)
            if (pumped[k] && pumped[k]->ep)
                assert_true(coapsec_endpoint_process(pumped[k]->ep, k == 0 ? 5 : 0) >= 0);
}

static int req_uri(node *from, const node *to, uint8_t type, uint8_t code, const char *path,
                   const char *payload, result *r) {
    char uri[96];
    snprintf(uri, sizeof uri, "coaps://127.0.0.1:%u/%s", (unsigned)to->port, path);
    coapsec_msg m;
    memset(&m, 0, sizeof m);
    m.type = type;
    m.code = code;
    m.payload = (const uint8_t *)payload;
    m.payload_len = payload ? strlen(payload) : 0;
    memset(r, 0, sizeof *r);
    return coapsec_endpoint_request(from->ep, uri, &m, 0, on_resp, r);
}

/* A request message with one Uri-Path segment. */
static void msg_path(coapsec_msg *m, uint8_t type, uint8_t code, const char *path,
                     const char *payload) {
    memset(m, 0, sizeof *m);
    m->type = type;
    m->code = code;
    assert_int_equal(coapsec_msg_add_opt(m, COAPSEC_OPT_URI_PATH, path, strlen(path)), 0);
    m->payload = (const uint8_t *)payload;
    m->payload_len = payload ? strlen(payload) : 0;
}

static node S, A, B, C, D;

static int setup(void **state) {
    (void)state;
    memset(pumped, 0, sizeof pumped);
    memset(&S, 0, sizeof S);
    memset(&A, 0, sizeof A);
    memset(&B, 0, sizeof B);
    memset(&C, 0, sizeof C);
    memset(&D, 0, sizeof D);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    node *all[] = {&A, &B, &C, &D, &S};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        coapsec_endpoint_free(all[i]->ep);
        all[i]->ep = NULL;
    }
    return 0;
}

/* ---- a raw DTLS client on a fixed socket (restartable without close_notify) ---- */

typedef struct raw {
    int fd;
    struct sockaddr_in to;
    coapsec_dtls_config cfg;
    coapsec_dtls_conn conn;
    coapsec_dtls_hs hs;
    int established;
    int plaintext; /* datagrams that were CoAP in the clear */
    int nrx;       /* application records received */
    uint8_t rx[8][256];
    size_t rxlen[8];
    int feed; /* 0: stop reading the socket (a stalled or dead peer) */
    const char *id;
} raw;

static int raw_send(void *user, const uint8_t *d, size_t len) {
    raw *r = user;
    return sendto(r->fd, d, len, 0, (struct sockaddr *)&r->to, sizeof r->to) < 0 ? -1 : 0;
}
static void raw_recv(void *user, const uint8_t *d, size_t len) {
    raw *r = user;
    if (len <= sizeof r->rx[0]) {
        int i = r->nrx % 8;
        memcpy(r->rx[i], d, len);
        r->rxlen[i] = len;
        r->nrx++;
    }
}
static void raw_event(void *user, const coapsec_dtls_event *ev) {
    raw *r = user;
    if (ev->type == COAPSEC_DTLS_EV_ESTABLISHED)
        r->established = 1;
}

static void raw_init(raw *r, uint16_t port, const char *id) {
    memset(r, 0, sizeof *r);
    r->fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(r->fd >= 0);
    r->to.sin_family = AF_INET;
    r->to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    r->to.sin_port = htons(port);
    coapsec_dtls_config_default(&r->cfg);
    r->cfg.cb.send = raw_send;
    r->cfg.cb.recv = raw_recv;
    r->cfg.cb.event = raw_event;
    r->feed = 1;
    r->id = id;
}

/* Pump every node and feed what r receives to conn c. */
static void raw_pump(raw *r, coapsec_dtls_conn *c, const int *until, int ms) {
    for (int i = 0; i < ms / 5 && !(until && *until); i++) {
        pump(NULL, 5);
        uint8_t buf[2048];
        ssize_t n;
        while (r->feed && (n = recv(r->fd, buf, sizeof buf, MSG_DONTWAIT)) > 0) {
            if ((buf[0] >> 6) == 1)
                r->plaintext++;
            coapsec_dtls_conn_recv(c, buf, (size_t)n, coapsec_endpoint_now(S.ep));
        }
    }
}

static void raw_start(raw *r) {
    r->established = 0;
    assert_int_equal(coapsec_dtls_client_start(&r->conn, &r->cfg, r, &r->hs, (const uint8_t *)r->id,
                                               strlen(r->id), KEY, KEYLEN,
                                               coapsec_endpoint_now(S.ep)),
                     0);
    raw_pump(r, &r->conn, &r->established, 3000);
    assert_int_equal(r->established, 1);
}

static void raw_coap(raw *r, const coapsec_msg *m) {
    uint8_t buf[COAPSEC_MAX_PDU];
    int n = coapsec_msg_encode(m, buf, sizeof buf);
    assert_true(n > 0);
    assert_int_equal(coapsec_dtls_conn_send(&r->conn, buf, (size_t)n, coapsec_endpoint_now(S.ep)),
                     0);
}

/* The last application record r received, decoded. */
static void raw_last(raw *r, coapsec_msg *m) {
    assert_true(r->nrx > 0);
    int i = (r->nrx - 1) % 8;
    assert_int_equal(coapsec_msg_decode(m, r->rx[i], r->rxlen[i]), 0);
}

static coapsec_peer_id server_peer_of(const char *id) {
    coapsec_peer_id p;
    assert_int_equal(coapsec_endpoint_find_identity(S.ep, (const uint8_t *)id, strlen(id), &p), 0);
    return p;
}

/* S with a raw client "node-1" in session 1. */
static void raw_fixture(raw *r, tweak_fn tweak) {
    node_new(&S, 1, tweak);
    pumped[0] = &S;
    raw_init(r, S.port, "node-1");
    raw_start(r);
    assert_int_equal(S.ev.n[COAPSEC_SESSION_ESTABLISHED], 1);
}

/* ---- same session, same epoch -----------------------------------------------------------------
 */

/* TS-0008 §7 / RFC 7252 §4.2: an ACK matches a CON only in its session and
 * epoch. The server's CON to the client is outstanding when the client
 * re-handshakes from the same address (RFC 6347 §4.2.8): the exchange fails
 * with COAPSEC_ERR_CLOSED, and the late ACK, now in the new session, matches
 * nothing. */
static void test_late_ack_after_rehandshake(void **state) {
    (void)state;
    static raw r;
    raw_fixture(&r, NULL);
    coapsec_msg m;
    msg_path(&m, COAPSEC_CON, COAPSEC_PUT, "cmd", "reboot");
    result res;
    memset(&res, 0, sizeof res);
    assert_true(coapsec_endpoint_request_peer(S.ep, server_peer_of("node-1"), &m, on_resp, &res) >=
                0);
    raw_pump(&r, &r.conn, &r.nrx, 1000);
    coapsec_msg got;
    raw_last(&r, &got);
    assert_int_equal(got.type, COAPSEC_CON);
    assert_int_equal(got.code, COAPSEC_PUT);
    uint16_t mid = got.mid;
    uint8_t tkl = got.tkl, tok[8];
    memcpy(tok, got.token, tkl);

    coapsec_peer_id first = server_peer_of("node-1");
    raw_start(&r); /* the client reboots: same address and port, new session */
    assert_int_equal(S.ev.replaced, 1);
    assert_int_equal(res.done, 1);
    assert_int_equal(res.status, COAPSEC_ERR_CLOSED);
    /* Every keying starts a new generation: the old peer id is stale. */
    coapsec_peer_id second = server_peer_of("node-1");
    assert_int_equal(second.slot, first.slot);
    assert_false(coapsec_peer_id_eq(first, second));
    assert_int_equal(coapsec_endpoint_request_peer(S.ep, first, &m, on_resp, &res),
                     COAPSEC_ERR_NOTFOUND);

    coapsec_msg ack;
    memset(&ack, 0, sizeof ack);
    ack.type = COAPSEC_ACK;
    ack.code = COAPSEC_CHANGED;
    ack.mid = mid;
    ack.tkl = tkl;
    memcpy(ack.token, tok, tkl);
    uint64_t rejected = coapsec_endpoint_coap(S.ep)->stats.rejected;
    raw_coap(&r, &ack);
    raw_pump(&r, &r.conn, NULL, 200);
    assert_int_equal(res.done, 1); /* never completed by the late ACK */
    assert_int_equal(res.status, COAPSEC_ERR_CLOSED);
    assert_int_equal(coapsec_endpoint_coap(S.ep)->stats.rejected, rejected + 1);
    close(r.fd);
}

/* RFC 7252 §4.3 + TS-0008: an RST for a NON matches only in the same epoch. */
static void test_rst_for_non_same_epoch(void **state) {
    (void)state;
    static raw r;
    raw_fixture(&r, NULL);
    coapsec_msg m;
    msg_path(&m, COAPSEC_NON, COAPSEC_GET, "x", NULL);
    result res;
    memset(&res, 0, sizeof res);
    assert_true(coapsec_endpoint_request_peer(S.ep, server_peer_of("node-1"), &m, on_resp, &res) >=
                0);
    raw_pump(&r, &r.conn, &r.nrx, 1000);
    coapsec_msg got;
    raw_last(&r, &got);
    assert_int_equal(got.type, COAPSEC_NON);
    uint16_t mid = got.mid;
    raw_start(&r);
    coapsec_msg rst;
    memset(&rst, 0, sizeof rst);
    rst.type = COAPSEC_RST;
    rst.mid = mid;
    raw_coap(&r, &rst);
    raw_pump(&r, &r.conn, NULL, 200);
    assert_int_equal(res.done, 1);
    assert_int_equal(res.status, COAPSEC_ERR_CLOSED); /* not COAPSEC_ERR_RESET */
    close(r.fd);
}

/* RFC 7252 §5.3.2 + TS-0008: a (separate) response matches its request only in
 * the same epoch; in the new session it is an unknown token and gets RST. */
static void test_response_same_epoch(void **state) {
    (void)state;
    static raw r;
    raw_fixture(&r, NULL);
    coapsec_msg m;
    msg_path(&m, COAPSEC_CON, COAPSEC_GET, "x", NULL);
    result res;
    memset(&res, 0, sizeof res);
    assert_true(coapsec_endpoint_request_peer(S.ep, server_peer_of("node-1"), &m, on_resp, &res) >=
                0);
    raw_pump(&r, &r.conn, &r.nrx, 1000);
    coapsec_msg got;
    raw_last(&r, &got);
    uint8_t tkl = got.tkl, tok[8];
    memcpy(tok, got.token, tkl);
    coapsec_msg ack; /* §5.2.2: empty ACK, the response will come separately */
    memset(&ack, 0, sizeof ack);
    ack.type = COAPSEC_ACK;
    ack.mid = got.mid;
    raw_coap(&r, &ack);
    raw_pump(&r, &r.conn, NULL, 100);
    assert_int_equal(res.done, 0);

    raw_start(&r);
    assert_int_equal(res.status, COAPSEC_ERR_CLOSED);
    int before = r.nrx;
    coapsec_msg sep;
    memset(&sep, 0, sizeof sep);
    sep.type = COAPSEC_CON;
    sep.code = COAPSEC_CONTENT;
    sep.mid = 0x4242;
    sep.tkl = tkl;
    memcpy(sep.token, tok, tkl);
    raw_coap(&r, &sep);
    raw_pump(&r, &r.conn, NULL, 200);
    assert_int_equal(res.done, 1);
    assert_int_equal(res.status, COAPSEC_ERR_CLOSED);
    assert_true(r.nrx > before); /* §5.3.2: the unknown response is rejected with RST */
    raw_last(&r, &got);
    assert_int_equal(got.type, COAPSEC_RST);
    assert_int_equal(got.mid, 0x4242);
    close(r.fd);
}

/* TS-0008: a secured request is answered only in the session and epoch it
 * arrived in, never in the clear (RFC 7252 §9.1). */
static void test_answer_only_in_own_epoch(void **state) {
    (void)state;
    static raw r;
    raw_fixture(&r, NULL);
    coapsec_msg m;
    msg_path(&m, COAPSEC_CON, COAPSEC_GET, "slow", NULL);
    m.mid = 0x0101;
    raw_coap(&r, &m);
    raw_pump(&r, &r.conn, NULL, 200);
    assert_true(S.deferred >= 0);
    int before = r.nrx; /* the empty ACK of §5.2.2 */
    raw_start(&r);
    assert_int_equal(coapsec_coap_respond(coapsec_endpoint_coap(S.ep), S.deferred, COAPSEC_CONTENT,
                                          NULL, 0, "late", 4, coapsec_endpoint_now(S.ep)),
                     COAPSEC_ERR_NOTFOUND);
    raw_pump(&r, &r.conn, NULL, 300);
    assert_int_equal(r.nrx, before);  /* nothing in the new session */
    assert_int_equal(r.plaintext, 0); /* and nothing in the clear */
    close(r.fd);
}

/* RFC 7252 §4.5 per epoch: a duplicate MID is answered from the cache in the
 * same session; the same MID in a new session is a new request. */
static void test_dedup_per_epoch(void **state) {
    (void)state;
    static raw r;
    raw_fixture(&r, NULL);
    coapsec_msg m;
    msg_path(&m, COAPSEC_CON, COAPSEC_GET, "count", NULL);
    m.mid = 7;
    raw_coap(&r, &m);
    raw_pump(&r, &r.conn, NULL, 150);
    raw_coap(&r, &m); /* retransmission */
    raw_pump(&r, &r.conn, NULL, 150);
    assert_int_equal(S.count_requests, 1);
    assert_int_equal(r.nrx, 2); /* both answered (the second from the cache) */
    raw_start(&r);
    raw_coap(&r, &m);
    raw_pump(&r, &r.conn, NULL, 150);
    assert_int_equal(S.count_requests, 2);
    coapsec_msg got;
    raw_last(&r, &got);
    assert_int_equal(got.type, COAPSEC_ACK);
    assert_int_equal(got.mid, 7);
    close(r.fd);
}

/* RFC 7641 + TS-0008: an observation lives in one session and epoch. */
static void test_observation_per_epoch(void **state) {
    (void)state;
    static raw r;
    raw_fixture(&r, NULL);
    coapsec_msg m;
    msg_path(&m, COAPSEC_CON, COAPSEC_GET, "obs", NULL);
    uint8_t sc[4];
    memset(&m, 0, sizeof m);
    m.type = COAPSEC_CON;
    m.code = COAPSEC_GET;
    m.mid = 9;
    m.tkl = 2;
    m.token[0] = 'o';
    m.token[1] = 'b';
    assert_int_equal(coapsec_msg_add_uint(&m, COAPSEC_OPT_OBSERVE, 0, sc), 0);
    assert_int_equal(coapsec_msg_add_opt(&m, COAPSEC_OPT_URI_PATH, "obs", 3), 0);
    raw_coap(&r, &m);
    raw_pump(&r, &r.conn, NULL, 150);
    coapsec_coap_ctx *c = coapsec_endpoint_coap(S.ep);
    assert_int_equal(coapsec_coap_observers(c, "obs"), 1);
    raw_start(&r);
    assert_int_equal(coapsec_coap_observers(c, "obs"), 0);
    int before = r.nrx;
    assert_int_equal(coapsec_coap_notify(c, "obs", coapsec_endpoint_now(S.ep)), 0);
    raw_pump(&r, &r.conn, NULL, 100);
    assert_int_equal(r.nrx, before);
    close(r.fd);
}

/* ---- lifetimes ------------------------------------------------------------------------------- */

static void two_nodes(tweak_fn ts, tweak_fn tc) {
    node_new(&S, 1, ts);
    node_new(&A, 0, tc);
    node_psk(&A, "node-a");
    pumped[0] = &S;
    pumped[1] = &A;
}

static void get_ok(node *from, const node *to, const char *path) {
    result r;
    assert_true(req_uri(from, to, COAPSEC_CON, COAPSEC_GET, path, NULL, &r) >= 0);
    pump(&r.done, 3000);
    assert_int_equal(r.done, 1);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.code, COAPSEC_CONTENT);
}

/* RFC 5246 §7.2.1: the server closes -> the client hears close_notify and its
 * outstanding request fails with COAPSEC_ERR_CLOSED. */
static void test_close_notify_server_to_client(void **state) {
    (void)state;
    two_nodes(NULL, NULL);
    result slow;
    assert_true(req_uri(&A, &S, COAPSEC_CON, COAPSEC_GET, "slow", NULL, &slow) >= 0);
    pump(&S.ev.n[COAPSEC_SESSION_ESTABLISHED], 3000);
    pump(NULL, 100);
    assert_true(S.deferred >= 0);
    assert_int_equal(coapsec_endpoint_close_peer(S.ep, server_peer_of("node-a")), 0);
    pump(&slow.done, 1000);
    assert_int_equal(slow.done, 1);
    assert_int_equal(slow.status, COAPSEC_ERR_CLOSED);
    assert_int_equal(A.ev.n[COAPSEC_SESSION_CLOSED], 1);
}

/* RFC 5246 §7.2.1 the other way: the client closes while the server's request
 * to it is outstanding: the server hears close_notify, its request fails. */
static void test_close_notify_client_to_server(void **state) {
    (void)state;
    two_nodes(NULL, NULL);
    get_ok(&A, &S, "x");
    coapsec_msg m;
    msg_path(&m, COAPSEC_CON, COAPSEC_GET, "slow", NULL);
    result res;
    memset(&res, 0, sizeof res);
    assert_true(coapsec_endpoint_request_peer(S.ep, server_peer_of("node-a"), &m, on_resp, &res) >=
                0);
    pump(NULL, 200);
    assert_true(A.deferred >= 0); /* the client serves /slow and holds it */
    assert_int_equal(coapsec_endpoint_close_peer(A.ep, A.ev.last[COAPSEC_SESSION_ESTABLISHED]), 0);
    pump(&res.done, 1000);
    assert_int_equal(res.done, 1);
    assert_int_equal(res.status, COAPSEC_ERR_CLOSED);
    assert_int_equal(S.ev.n[COAPSEC_SESSION_CLOSED], 1);
    assert_string_equal(S.ev.reason[COAPSEC_SESSION_CLOSED], "");
}

static void t_idle(coapsec_endpoint_config *cfg) {
    cfg->idle_timeout_ms = 200;
}
static void t_ping(coapsec_endpoint_config *cfg) {
    cfg->ping_interval_ms = 80;
}

/* Idle timeout: a session without input for idle_timeout_ms is closed with
 * close_notify (the client hears it). */
static void test_idle_timeout(void **state) {
    (void)state;
    two_nodes(t_idle, NULL);
    get_ok(&A, &S, "x");
    pump(&A.ev.n[COAPSEC_SESSION_CLOSED], 1500);
    assert_int_equal(S.ev.n[COAPSEC_SESSION_CLOSED], 1);
    assert_string_equal(S.ev.reason[COAPSEC_SESSION_CLOSED], "idle timeout");
    assert_int_equal(A.ev.n[COAPSEC_SESSION_CLOSED], 1);
    coapsec_session_stats st;
    coapsec_endpoint_session_stats(S.ep, &st);
    assert_int_equal(st.idle_closed, 1);
    assert_int_equal(st.sessions, 0);
}

/* RFC 7252 §4.3 CoAP ping (libcoap -K): the client's empty CONs are answered
 * with RST and keep the session (and a NAT binding) alive past the idle timeout. */
static void test_ping_keepalive(void **state) {
    (void)state;
    two_nodes(t_idle, t_ping);
    get_ok(&A, &S, "x");
    pump(NULL, 700);
    assert_int_equal(S.ev.n[COAPSEC_SESSION_CLOSED], 0);
    coapsec_session_stats st;
    coapsec_endpoint_session_stats(A.ep, &st);
    assert_true(st.pings_sent >= 4);
    assert_true(st.pings_answered >= 3);
    assert_int_equal(st.dead, 0);
    assert_true(coapsec_endpoint_coap(S.ep)->stats.rst_sent >= 4); /* the pongs */
    get_ok(&A, &S, "x");
    assert_int_equal(A.ev.n[COAPSEC_SESSION_ESTABLISHED], 1); /* still the same session */
}

static void t_ping_server(coapsec_endpoint_config *cfg) {
    cfg->ping_interval_ms = 60;
    cfg->ping_dead_after = 2;
    cfg->max_peers = 2;
    cfg->protect_ms = 10000;
}

/* Eviction takes dead peers first: S pings; the raw client stops answering and
 * is declared dead; a new handshake evicts it although it is within the
 * protection window, while the live peer (also protected) stays. */
static void test_dead_evicted_first(void **state) {
    (void)state;
    static raw r;
    raw_fixture(&r, t_ping_server);
    node_new(&A, 0, NULL);
    node_psk(&A, "node-a");
    pumped[1] = &A;
    get_ok(&A, &S, "x");
    r.feed = 0; /* the raw client goes silent */
    pump(&S.ev.n[COAPSEC_SESSION_DEAD], 2000);
    assert_int_equal(S.ev.n[COAPSEC_SESSION_DEAD], 1);
    node_new(&B, 0, NULL);
    node_psk(&B, "node-b");
    pumped[2] = &B;
    get_ok(&B, &S, "x");
    coapsec_session_stats st;
    coapsec_endpoint_session_stats(S.ep, &st);
    assert_int_equal(st.evictions, 1);
    assert_int_equal(st.evictions_dead, 1);
    assert_int_equal(st.sessions, 2);
    assert_int_equal(A.ev.n[COAPSEC_SESSION_CLOSED], 0);
    get_ok(&A, &S, "x");
    close(r.fd);
}

static void t_cap2(coapsec_endpoint_config *cfg) {
    cfg->max_peers = 2;
    cfg->protect_ms = 300;
}
static void t_fast_fail(coapsec_endpoint_config *cfg) {
    cfg->dtls_retrans_initial_ms = 50;
    cfg->dtls_max_retransmits = 2;
}

/* Eviction for a new handshake takes the least recently active idle session,
 * with close_notify, and never one active within the protection window. */
static void test_evict_lru_idle_protect_active(void **state) {
    (void)state;
    two_nodes(t_cap2, NULL);
    node_new(&B, 0, NULL);
    node_psk(&B, "node-b");
    pumped[2] = &B;
    get_ok(&B, &S, "x");
    get_ok(&A, &S, "x");
    pump(NULL, 250);
    get_ok(&A, &S, "x"); /* A active, B idle for > 300 ms after this */
    pump(NULL, 100);
    node_new(&C, 0, NULL);
    node_psk(&C, "node-c");
    pumped[3] = &C;
    get_ok(&C, &S, "x");
    assert_int_equal(S.ev.n[COAPSEC_SESSION_EVICTED], 1);
    pump(&B.ev.n[COAPSEC_SESSION_CLOSED], 500);
    assert_int_equal(B.ev.n[COAPSEC_SESSION_CLOSED], 1); /* B heard close_notify */
    assert_int_equal(A.ev.n[COAPSEC_SESSION_CLOSED], 0);
    /* Now A and C are both active: a new handshake is refused, nobody is pushed out. */
    node_new(&D, 0, t_fast_fail);
    node_psk(&D, "node-d");
    pumped[4] = &D;
    result r;
    assert_true(req_uri(&D, &S, COAPSEC_CON, COAPSEC_GET, "x", NULL, &r) >= 0);
    pump(&r.done, 3000);
    assert_int_equal(r.status, COAPSEC_ERR_HANDSHAKE);
    assert_true(coapsec_endpoint_get_stats(S.ep)->handshakes_refused >= 1);
    assert_int_equal(S.ev.n[COAPSEC_SESSION_EVICTED], 1);
    get_ok(&A, &S, "x");
    get_ok(&C, &S, "x");
    assert_int_equal(A.ev.n[COAPSEC_SESSION_ESTABLISHED], 1);
    assert_int_equal(C.ev.n[COAPSEC_SESSION_ESTABLISHED], 1);
}

static void t_cap1(coapsec_endpoint_config *cfg) {
    cfg->max_peers = 1;
    cfg->protect_ms = 1;
}

/* A session with an outstanding exchange is never evicted for a new
 * handshake, even outside the protection window: the handshake is refused. */
static void test_busy_never_evicted(void **state) {
    (void)state;
    static raw r;
    raw_fixture(&r, t_cap1);
    coapsec_msg m;
    msg_path(&m, COAPSEC_CON, COAPSEC_GET, "x", NULL);
    result res;
    memset(&res, 0, sizeof res);
    assert_true(coapsec_endpoint_request_peer(S.ep, server_peer_of("node-1"), &m, on_resp, &res) >=
                0);
    r.feed = 0; /* the CON stays unacknowledged: an outstanding exchange */
    pump(NULL, 50);
    node_new(&A, 0, t_fast_fail);
    node_psk(&A, "node-a");
    pumped[1] = &A;
    result ra;
    assert_true(req_uri(&A, &S, COAPSEC_CON, COAPSEC_GET, "x", NULL, &ra) >= 0);
    pump(&ra.done, 1500);
    assert_int_equal(ra.status, COAPSEC_ERR_HANDSHAKE);
    assert_int_equal(S.ev.n[COAPSEC_SESSION_EVICTED], 0);
    assert_int_equal(res.done, 0);
    close(r.fd);
}

static void t_flood(coapsec_endpoint_config *cfg) {
    cfg->max_peers = 3;
    cfg->max_handshakes = 2;
}

/* A handshake flood: clients from many ports that answer the cookie (RFC 6347
 * §4.2.1) and then stall. The server stays within its caps (3 sessions, 2
 * handshakes), refuses the rest, and its active peers (protected by the
 * window) are never evicted to make room. */
static void test_handshake_flood(void **state) {
    (void)state;
    two_nodes(t_flood, NULL);
    node_new(&B, 0, NULL);
    node_psk(&B, "node-b");
    pumped[2] = &B;
    get_ok(&A, &S, "x");
    get_ok(&B, &S, "x");
    enum { NF = 12 };
    static raw f[NF];
    for (int i = 0; i < NF; i++) {
        raw_init(&f[i], S.port, "flooder");
        assert_int_equal(coapsec_dtls_client_start(&f[i].conn, &f[i].cfg, &f[i], &f[i].hs,
                                                   (const uint8_t *)"flooder", 7, KEY, KEYLEN,
                                                   coapsec_endpoint_now(S.ep)),
                         0);
    }
    /* Each flooder reads exactly one datagram (the HelloVerifyRequest), answers
     * it with the cookie, then never reads again. */
    int answered[NF] = {0};
    for (int round = 0; round < 100; round++) {
        pump(NULL, 5);
        for (int i = 0; i < NF; i++) {
            uint8_t buf[2048];
            ssize_t n;
            if (!answered[i] && (n = recv(f[i].fd, buf, sizeof buf, MSG_DONTWAIT)) > 0) {
                coapsec_dtls_conn_recv(&f[i].conn, buf, (size_t)n, coapsec_endpoint_now(S.ep));
                answered[i] = 1;
            }
        }
        coapsec_session_stats st;
        coapsec_endpoint_session_stats(S.ep, &st);
        assert_true(st.sessions <= 3);
        assert_true(st.handshakes <= 2);
    }
    const coapsec_endpoint_stats *es = coapsec_endpoint_get_stats(S.ep);
    assert_true(es->hello_verify_sent >= NF);
    assert_true(es->handshakes_refused >= NF - 1);
    get_ok(&A, &S, "x");
    get_ok(&B, &S, "x");
    assert_int_equal(S.ev.n[COAPSEC_SESSION_EVICTED], 0);
    assert_int_equal(A.ev.n[COAPSEC_SESSION_CLOSED], 0);
    assert_int_equal(B.ev.n[COAPSEC_SESSION_CLOSED], 0);
    for (int i = 0; i < NF; i++)
        close(f[i].fd);
}

static void t_client_cap(coapsec_endpoint_config *cfg) {
    cfg->max_client_sessions = 1;
}

/* Client side: a cap on sessions to different peers closes the least recently used. */
static void test_client_session_cap(void **state) {
    (void)state;
    node_new(&S, 1, NULL);
    node_new(&B, 1, NULL); /* a second server */
    node_new(&A, 0, t_client_cap);
    node_psk(&A, "node-a");
    pumped[0] = &S;
    pumped[1] = &A;
    pumped[2] = &B;
    get_ok(&A, &S, "x");
    get_ok(&A, &B, "x");
    assert_int_equal(A.ev.n[COAPSEC_SESSION_EVICTED], 1);
    pump(&S.ev.n[COAPSEC_SESSION_CLOSED], 500);
    assert_int_equal(S.ev.n[COAPSEC_SESSION_CLOSED], 1);
    coapsec_session_stats st;
    coapsec_endpoint_session_stats(A.ep, &st);
    assert_int_equal(st.client_sessions, 1);
    assert_int_equal(st.evictions, 1);
    assert_int_equal(st.max_client_sessions, 1);
}

/* ---- CoAP role independent of DTLS role -------------------------------------------------------
 */

/* The device is DTLS client only (NoSec socket: it never accepts a handshake);
 * it PUTs a reading to the data centre, which PUTs a command back over the
 * same session. */
static void test_device_and_data_centre(void **state) {
    (void)state;
    node_new(&S, 1, NULL); /* data centre */
    node_new(&A, 0, NULL); /* device */
    node_psk(&A, "device-1");
    pumped[0] = &S;
    pumped[1] = &A;
    result r;
    assert_true(req_uri(&A, &S, COAPSEC_CON, COAPSEC_PUT, "reading", "21.5", &r) >= 0);
    pump(&r.done, 3000);
    assert_int_equal(r.code, COAPSEC_CHANGED);
    assert_string_equal(S.cmd, "21.5");

    coapsec_msg m;
    msg_path(&m, COAPSEC_CON, COAPSEC_PUT, "cmd", "reboot");
    result back;
    memset(&back, 0, sizeof back);
    assert_true(coapsec_endpoint_request_identity(S.ep, (const uint8_t *)"device-1", 8, &m, 1000,
                                                  on_resp, &back) >= 0);
    pump(&back.done, 2000);
    assert_int_equal(back.status, 0);
    assert_int_equal(back.code, COAPSEC_CHANGED);
    assert_string_equal(A.cmd, "reboot");
    assert_true(coapsec_peer_id_eq(back.peer, server_peer_of("device-1")));
    assert_int_equal(S.ev.n[COAPSEC_SESSION_ESTABLISHED], 1); /* one session both ways */

    /* The device never accepts a handshake: a ClientHello to its port is dropped. */
    static raw r2;
    raw_init(&r2, A.port, "x");
    assert_int_equal(coapsec_dtls_client_start(&r2.conn, &r2.cfg, &r2, &r2.hs, (const uint8_t *)"x",
                                               1, KEY, KEYLEN, coapsec_endpoint_now(S.ep)),
                     0);
    raw_pump(&r2, &r2.conn, NULL, 200);
    assert_int_equal(r2.established, 0);
    assert_int_equal(coapsec_endpoint_get_stats(A.ep)->hello_verify_sent, 0);
    assert_int_equal(coapsec_endpoint_get_stats(A.ep)->handshakes_started, 1); /* its own */
    close(r2.fd);
}

static void t_wait2(coapsec_endpoint_config *cfg) {
    cfg->max_waiting = 2;
}

/* When the device has no session, the data centre's request waits in a
 * bounded queue until it connects, or fails after its timeout. */
static void test_wait_for_identity(void **state) {
    (void)state;
    node_new(&S, 1, t_wait2);
    pumped[0] = &S;
    coapsec_msg m;
    msg_path(&m, COAPSEC_CON, COAPSEC_PUT, "cmd", "open");
    result queued, ghost, third;
    memset(&queued, 0, sizeof queued);
    memset(&ghost, 0, sizeof ghost);
    memset(&third, 0, sizeof third);
    assert_true(coapsec_endpoint_request_identity(S.ep, (const uint8_t *)"device-1", 8, &m, 5000,
                                                  on_resp, &queued) >= 0);
    assert_true(coapsec_endpoint_request_identity(S.ep, (const uint8_t *)"ghost", 5, &m, 200,
                                                  on_resp, &ghost) >= 0);
    assert_int_equal(coapsec_endpoint_request_identity(S.ep, (const uint8_t *)"ghost", 5, &m, 200,
                                                       on_resp, &third),
                     COAPSEC_ERR_BUSY); /* the queue holds 2 */
    coapsec_session_stats st;
    coapsec_endpoint_session_stats(S.ep, &st);
    assert_int_equal(st.waiting, 2);
    pump(&ghost.done, 1000);
    assert_int_equal(ghost.status, COAPSEC_ERR_TIMEOUT);
    assert_int_equal(queued.done, 0);

    node_new(&A, 0, NULL);
    node_psk(&A, "device-1");
    pumped[1] = &A;
    get_ok(&A, &S, "x"); /* the device connects */
    pump(&queued.done, 1000);
    assert_int_equal(queued.status, 0);
    assert_int_equal(queued.code, COAPSEC_CHANGED);
    assert_string_equal(A.cmd, "open");
    coapsec_endpoint_session_stats(S.ep, &st);
    assert_int_equal(st.waiting, 0);
    assert_int_equal(st.wait_timeouts, 1);
    assert_int_equal(third.done, 0);

    /* A cancelled waiting request is never called back. */
    int h = coapsec_endpoint_request_identity(S.ep, (const uint8_t *)"ghost", 5, &m, 100, on_resp,
                                              &third);
    assert_true(h >= 0);
    assert_int_equal(coapsec_endpoint_cancel(S.ep, h), 0);
    pump(NULL, 300);
    assert_int_equal(third.done, 0);
}

/* Two sessions with one identity from two addresses (a device that came back
 * before its old session was gone): find_identity gives the session
 * established last; once that one is closed, the other (the identity's
 * remembered session has ended: found by walking the sessions); once both
 * are, none. An identity that no session has: none. */
static void test_find_identity_latest(void **state) {
    (void)state;
    static raw a, b;
    raw_fixture(&a, NULL);
    coapsec_peer_id pa = server_peer_of("node-1");
    raw_init(&b, S.port, "node-1");
    raw_start(&b);
    coapsec_peer_id pb = server_peer_of("node-1");
    assert_int_not_equal(pa.slot, pb.slot);
    assert_int_equal(coapsec_endpoint_close_peer(S.ep, pb), 0);
    coapsec_peer_id p = server_peer_of("node-1");
    assert_true(coapsec_peer_id_eq(p, pa));
    raw_start(&b); /* b again: it is the latest now */
    p = server_peer_of("node-1");
    assert_false(coapsec_peer_id_eq(p, pa));
    assert_int_equal(coapsec_endpoint_close_peer(S.ep, p), 0);
    assert_int_equal(coapsec_endpoint_close_peer(S.ep, pa), 0);
    assert_int_equal(coapsec_endpoint_find_identity(S.ep, (const uint8_t *)"node-1", 6, &p),
                     COAPSEC_ERR_NOTFOUND);
    assert_int_equal(coapsec_endpoint_find_identity(S.ep, (const uint8_t *)"nobody", 6, &p),
                     COAPSEC_ERR_NOTFOUND);
    close(a.fd);
    close(b.fd);
}

/* One node is DTLS server to one peer and DTLS client to another at once, and
 * CoAP client and server on both sessions. */
static void test_client_and_server_at_once(void **state) {
    (void)state;
    node_new(&S, 1, NULL); /* upstream server */
    node_new(&B, 1, NULL); /* the node in the middle */
    node_new(&A, 0, NULL); /* downstream client */
    node_psk(&A, "node-a");
    node_psk(&B, "node-b");
    pumped[0] = &S;
    pumped[1] = &A;
    pumped[2] = &B;
    get_ok(&A, &B, "x"); /* B is DTLS server to A */
    get_ok(&B, &S, "x"); /* B is DTLS client to S */
    coapsec_session_stats st;
    coapsec_endpoint_session_stats(B.ep, &st);
    assert_int_equal(st.secure_sessions, 2);
    assert_int_equal(st.client_sessions, 1);
    coapsec_peer_id pa;
    assert_int_equal(coapsec_endpoint_find_identity(B.ep, (const uint8_t *)"node-a", 6, &pa), 0);
    coapsec_msg m;
    msg_path(&m, COAPSEC_CON, COAPSEC_PUT, "cmd", "down");
    result r;
    memset(&r, 0, sizeof r);
    assert_true(coapsec_endpoint_request_peer(B.ep, pa, &m, on_resp, &r) >= 0);
    pump(&r.done, 2000);
    assert_int_equal(r.code, COAPSEC_CHANGED);
    assert_string_equal(A.cmd, "down");
    /* a stale id is refused */
    coapsec_peer_id stale = pa;
    stale.gen++;
    assert_int_equal(coapsec_endpoint_request_peer(B.ep, stale, &m, on_resp, &r),
                     COAPSEC_ERR_NOTFOUND);
}

static size_t mem_cap;
static void t_mem(coapsec_endpoint_config *cfg) {
    cfg->max_memory = mem_cap;
}

/* Memory cap: the tables' size is known up front and refused above the cap. */
static void test_memory_cap(void **state) {
    (void)state;
    node_new(&S, 1, NULL);
    coapsec_session_stats st;
    coapsec_endpoint_session_stats(S.ep, &st);
    assert_true(st.memory > sizeof(coapsec_coap_ctx));
    assert_int_equal(st.max_sessions, COAPSEC_ENDPOINT_DEFAULT_PEERS);
    assert_int_equal(st.max_handshakes, COAPSEC_ENDPOINT_DEFAULT_HS);
    mem_cap = st.memory;
    node_new(&A, 1, t_mem); /* exactly enough */
    coapsec_endpoint_config cfg;
    coapsec_endpoint_config_default(&cfg);
    cfg.max_memory = st.memory - 1;
    coapsec_endpoint *ep = NULL;
    assert_int_equal(coapsec_endpoint_new(&cfg, &ep), COAPSEC_ERR_NOMEM);
    assert_null(ep);
}

/* Issue 6: what one more session slot costs (the tables grow with max_peers,
 * all allocated at start and reported in the session stats). The bound is the
 * figure reached in docs/PERFORMANCE.md ("Memory per session"); a struct that
 * grows fails here. The target is 256 bytes with every feature on; without
 * keepalive pings the per-slot ping time is not allocated (248). */
#define CS_TEST_MAX_BYTES_PER_SESSION         256
#define CS_TEST_MAX_BYTES_PER_SESSION_NO_PING 248
static size_t memory_for(uint32_t peers, uint64_t ping_ms) {
    coapsec_endpoint_config cfg;
    coapsec_endpoint_config_default(&cfg);
    cfg.max_peers = peers;
    cfg.ping_interval_ms = ping_ms;
    coapsec_endpoint *ep = NULL;
    assert_int_equal(coapsec_endpoint_new(&cfg, &ep), 0);
    coapsec_session_stats st;
    coapsec_endpoint_session_stats(ep, &st);
    assert_int_equal(st.max_sessions, peers);
    coapsec_endpoint_free(ep);
    return st.memory;
}

static void test_bytes_per_session(void **state) {
    (void)state;
    /* 4096 -> 8192 slots: the address hash (>= 2 buckets per slot) doubles too. */
    for (int ping = 0; ping <= 1; ping++) {
        size_t a = memory_for(4096, ping ? 30000 : 0), b = memory_for(8192, ping ? 30000 : 0);
        assert_true(b > a);
        size_t per = (b - a) / 4096;
        print_message("bytes per session slot (%s): %zu (DTLS connection %zu, CoAP peer state "
                      "%zu)\n",
                      ping ? "keepalive pings on" : "no pings", per, sizeof(coapsec_dtls_conn),
                      sizeof(coapsec_coap_peer));
        assert_true(per <=
                    (ping ? CS_TEST_MAX_BYTES_PER_SESSION : CS_TEST_MAX_BYTES_PER_SESSION_NO_PING));
        assert_true(per >= sizeof(coapsec_dtls_conn) + sizeof(coapsec_coap_peer));
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_late_ack_after_rehandshake, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rst_for_non_same_epoch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_response_same_epoch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_answer_only_in_own_epoch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dedup_per_epoch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_observation_per_epoch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_notify_server_to_client, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_notify_client_to_server, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idle_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ping_keepalive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dead_evicted_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_evict_lru_idle_protect_active, setup, teardown),
        cmocka_unit_test_setup_teardown(test_busy_never_evicted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_handshake_flood, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_session_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_device_and_data_centre, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_for_identity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_find_identity_latest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_and_server_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory_cap, setup, teardown),
        cmocka_unit_test(test_bytes_per_session),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
