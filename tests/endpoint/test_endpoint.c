/*
 * test_endpoint.c - tests for src/endpoint/endpoint.c: two real endpoints in
 * one process on 127.0.0.1 and ::1 with ephemeral ports, driven by
 * coapsec_endpoint_process(). Covers the RFC 7252 §5.8 methods end to end,
 * a 1,000-byte payload (§4.6), malformed datagrams from a raw socket (§4.2:
 * a CON with a format error is rejected with RST, a short one dropped; service goes on), version !=
 * 1 (§3: silently ignored), the peer-table cap with LRU reclaim, retransmission timeout (§4.2,
 * §4.8), Uri-Host/Uri-Port from the URI (§6.4) and URI errors.
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

/* ---- a server with a tiny store behind the fallback handler ----------------------- */

typedef struct srv {
    coapsec_endpoint *ep;
    uint8_t data[1100];
    size_t len;
    int exists;
    int saw_uri_port; /* last request carried Uri-Port */
    int saw_uri_host;
    uint16_t last_peer_port;
    unsigned requests;
} srv;

static void h_store(void *user, const coapsec_coap_req *req, coapsec_coap_response *resp) {
    srv *s = user;
    const coapsec_msg *m = req->msg;
    s->requests++;
    s->saw_uri_port = coapsec_msg_find(m, COAPSEC_OPT_URI_PORT) != NULL;
    s->saw_uri_host = coapsec_msg_find(m, COAPSEC_OPT_URI_HOST) != NULL;
    struct sockaddr_storage ss;
    socklen_t sl;
    if (coapsec_endpoint_peer_addr(s->ep, req->peer, &ss, &sl) == 0)
        s->last_peer_port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                           : ((struct sockaddr_in *)&ss)->sin_port);
    if (strcmp(req->path, "res") != 0) {
        resp->msg.code = COAPSEC_NOT_FOUND;
        return;
    }
    switch (m->code) {
    case COAPSEC_GET:
        if (!s->exists) {
            resp->msg.code = COAPSEC_NOT_FOUND;
            return;
        }
        resp->msg.code = COAPSEC_CONTENT;
        coapsec_coap_resp_payload(resp, s->data, s->len);
        return;
    case COAPSEC_PUT:
    case COAPSEC_POST:
        assert_true(m->payload_len <= sizeof s->data);
        if (m->payload_len)
            memcpy(s->data, m->payload, m->payload_len);
        s->len = m->payload_len;
        resp->msg.code = s->exists ? COAPSEC_CHANGED : COAPSEC_CREATED;
        s->exists = 1;
        return;
    case COAPSEC_DELETE:
        resp->msg.code = s->exists ? COAPSEC_DELETED : COAPSEC_NOT_FOUND;
        s->exists = 0;
        return;
    default:
        resp->msg.code = COAPSEC_METHOD_NOT_ALLOWED;
        return;
    }
}

typedef struct fixture {
    srv s;
    coapsec_endpoint *cli;
    uint16_t port4, port6;
} fixture;

static int setup_params(void **state, const coapsec_coap_params *params, uint32_t max_peers) {
    static fixture f;
    memset(&f, 0, sizeof f);
    coapsec_endpoint_config cfg;
    coapsec_endpoint_config_default(&cfg);
    cfg.bind[0].host = "127.0.0.1";
    cfg.bind[1].host = "::1";
    cfg.nbind = 2;
    cfg.max_peers = max_peers;
    cfg.params = params;
    assert_int_equal(coapsec_endpoint_new(&cfg, &f.s.ep), 0);
    coapsec_coap_set_fallback(coapsec_endpoint_coap(f.s.ep), h_store, &f.s);
    f.port4 = coapsec_endpoint_local_port(f.s.ep, AF_INET);
    f.port6 = coapsec_endpoint_local_port(f.s.ep, AF_INET6);
    assert_true(f.port4 != 0 && f.port6 != 0);

    coapsec_endpoint_config ccfg;
    coapsec_endpoint_config_default(&ccfg);
    ccfg.params = params;
    assert_int_equal(coapsec_endpoint_new(&ccfg, &f.cli), 0);
    *state = &f;
    return 0;
}

static int setup(void **state) {
    return setup_params(state, NULL, 0);
}

static int teardown(void **state) {
    fixture *f = *state;
    coapsec_endpoint_free(f->cli);
    coapsec_endpoint_free(f->s.ep);
    return 0;
}

/* ---- client helpers ------------------------------------------------------------------- */

typedef struct result {
    int done;
    int status;
    uint8_t code;
    uint8_t type;
    uint8_t payload[1200];
    size_t len;
} result;

static void on_resp(void *user, int status, const coapsec_msg *m, coapsec_peer_id peer) {
    (void)peer;
    result *r = user;
    r->done++;
    r->status = status;
    if (m) {
        r->code = m->code;
        r->type = m->type;
        assert_true(m->payload_len <= sizeof r->payload);
        if (m->payload_len)
            memcpy(r->payload, m->payload, m->payload_len);
        r->len = m->payload_len;
    }
}

/* Pump both endpoints until r is done or ms pass. */
static void pump(fixture *f, result *r, int ms) {
    for (int i = 0; i < ms / 5 && !(r && r->done); i++) {
        assert_true(coapsec_endpoint_process(f->s.ep, 0) >= 0);
        assert_true(coapsec_endpoint_process(f->cli, 5) >= 0);
    }
}

static result *do_req(fixture *f, const char *uri, uint8_t code, uint8_t type, const void *payload,
                      size_t len) {
    static result r;
    memset(&r, 0, sizeof r);
    coapsec_msg m;
    memset(&m, 0, sizeof m);
    m.type = type;
    m.code = code;
    m.payload = payload;
    m.payload_len = len;
    int h = coapsec_endpoint_request(f->cli, uri, &m, 0, on_resp, &r);
    assert_true(h >= 0);
    pump(f, &r, 3000);
    assert_int_equal(r.done, 1);
    assert_int_equal(r.status, 0);
    return &r;
}

static void uri(char *buf, size_t cap, const fixture *f, int v6, const char *path) {
    if (v6)
        snprintf(buf, cap, "coap://[::1]:%u/%s", (unsigned)f->port6, path);
    else
        snprintf(buf, cap, "coap://127.0.0.1:%u/%s", (unsigned)f->port4, path);
}

/* ---- tests -------------------------------------------------------------------------------- */

/* RFC 7252 §5.8.1-§5.8.4: GET, PUT, POST, DELETE over IPv4 and IPv6. */
static void test_methods(void **state) {
    fixture *f = *state;
    for (int v6 = 0; v6 <= 1; v6++) {
        char u[96];
        uri(u, sizeof u, f, v6, "res");
        f->s.exists = 0;
        assert_int_equal(do_req(f, u, COAPSEC_GET, COAPSEC_CON, NULL, 0)->code, COAPSEC_NOT_FOUND);
        assert_int_equal(do_req(f, u, COAPSEC_PUT, COAPSEC_CON, "abc", 3)->code, COAPSEC_CREATED);
        result *r = do_req(f, u, COAPSEC_GET, COAPSEC_CON, NULL, 0);
        assert_int_equal(r->code, COAPSEC_CONTENT);
        assert_int_equal(r->type, COAPSEC_ACK); /* piggybacked, §5.2.1 */
        assert_int_equal(r->len, 3);
        assert_memory_equal(r->payload, "abc", 3);
        assert_int_equal(do_req(f, u, COAPSEC_POST, COAPSEC_CON, "de", 2)->code, COAPSEC_CHANGED);
        r = do_req(f, u, COAPSEC_GET, COAPSEC_NON, NULL, 0);
        assert_int_equal(r->type, COAPSEC_NON); /* §5.2.3 */
        assert_int_equal(r->len, 2);
        assert_memory_equal(r->payload, "de", 2);
        assert_int_equal(do_req(f, u, COAPSEC_DELETE, COAPSEC_CON, NULL, 0)->code, COAPSEC_DELETED);
        assert_int_equal(do_req(f, u, COAPSEC_GET, COAPSEC_CON, NULL, 0)->code, COAPSEC_NOT_FOUND);
        /* The server saw the client's real source port. */
        assert_int_equal(f->s.last_peer_port,
                         coapsec_endpoint_local_port(f->cli, v6 ? AF_INET6 : AF_INET));
    }
}

/* §4.6: a 1,000-byte payload fits one message both ways. */
static void test_big_payload(void **state) {
    fixture *f = *state;
    uint8_t big[1000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 7 + 3);
    for (int v6 = 0; v6 <= 1; v6++) {
        char u[96];
        uri(u, sizeof u, f, v6, "res");
        do_req(f, u, COAPSEC_PUT, COAPSEC_CON, big, sizeof big);
        assert_int_equal(f->s.len, sizeof big);
        result *r = do_req(f, u, COAPSEC_GET, COAPSEC_CON, NULL, 0);
        assert_int_equal(r->len, sizeof big);
        assert_memory_equal(r->payload, big, sizeof big);
    }
}

/* §6.4: Uri-Port is sent for a non-default port, Uri-Host not for an IP literal;
 * COAPSEC_EP_NO_URI_HOST_PORT suppresses Uri-Port (libcoap -U). */
static void test_uri_options(void **state) {
    fixture *f = *state;
    char u[96];
    uri(u, sizeof u, f, 0, "res");
    do_req(f, u, COAPSEC_GET, COAPSEC_CON, NULL, 0);
    assert_true(f->s.saw_uri_port);
    assert_false(f->s.saw_uri_host);

    result r;
    memset(&r, 0, sizeof r);
    coapsec_msg m;
    memset(&m, 0, sizeof m);
    m.type = COAPSEC_CON;
    m.code = COAPSEC_GET;
    assert_true(coapsec_endpoint_request(f->cli, u, &m, COAPSEC_EP_NO_URI_HOST_PORT, on_resp, &r) >=
                0);
    pump(f, &r, 3000);
    assert_int_equal(r.done, 1);
    assert_false(f->s.saw_uri_port);
    assert_int_equal(m.nopts, 0); /* the caller's message is not changed */
}

static int raw_socket(int family, struct sockaddr_storage *dst, socklen_t *dlen, uint16_t port) {
    int fd = socket(family, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    memset(dst, 0, sizeof *dst);
    if (family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)dst;
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        inet_pton(AF_INET, "127.0.0.1", &a->sin_addr);
        *dlen = sizeof *a;
    } else {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)dst;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        inet_pton(AF_INET6, "::1", &a->sin6_addr);
        *dlen = sizeof *a;
    }
    return fd;
}

/* Send dgram from fd, let the server run, return the reply length (0 = none). */
static ssize_t raw_exchange(fixture *f, int fd, const struct sockaddr_storage *dst, socklen_t dlen,
                            const uint8_t *dgram, size_t len, uint8_t *reply, size_t cap) {
    assert_int_equal(sendto(fd, dgram, len, 0, (const struct sockaddr *)dst, dlen), (ssize_t)len);
    for (int i = 0; i < 40; i++) {
        assert_true(coapsec_endpoint_process(f->s.ep, 5) >= 0);
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 0) == 1)
            return recv(fd, reply, cap, 0);
    }
    return 0;
}

/* §4.2 / §3: malformed datagrams are rejected (a CON with a readable header gets RST
 * with its MID) or dropped, and the next good request is served. */
static void test_malformed(void **state) {
    fixture *f = *state;
    for (int v6 = 0; v6 <= 1; v6++) {
        struct sockaddr_storage dst;
        socklen_t dlen;
        int fd = raw_socket(v6 ? AF_INET6 : AF_INET, &dst, &dlen, v6 ? f->port6 : f->port4);
        uint8_t reply[1500];

        /* CON GET with TKL 9 (§3: message format error) -> RST, MID 0x1234. */
        static const uint8_t tkl9[] = {0x49, 0x01, 0x12, 0x34, 1, 2, 3, 4, 5, 6, 7, 8, 9};
        ssize_t n = raw_exchange(f, fd, &dst, dlen, tkl9, sizeof tkl9, reply, sizeof reply);
        assert_int_equal(n, 4);
        assert_int_equal(reply[0], 0x70); /* ver 1, RST, TKL 0 */
        assert_int_equal(reply[1], 0);
        assert_int_equal(reply[2], 0x12);
        assert_int_equal(reply[3], 0x34);
        /* A truncated header is dropped; an option running past the end gets RST. */
        static const uint8_t shorty[] = {0x40, 0x01};
        n = raw_exchange(f, fd, &dst, dlen, shorty, sizeof shorty, reply, sizeof reply);
        assert_int_equal(n, 0);
        static const uint8_t runaway[] = {0x40, 0x01, 0x22, 0x22, 0xbd, 0x40, 'a'};
        n = raw_exchange(f, fd, &dst, dlen, runaway, sizeof runaway, reply, sizeof reply);
        assert_int_equal(n, 4);
        assert_int_equal(reply[0], 0x70);
        assert_int_equal(reply[2], 0x22);

        /* A good CON GET /res from the same socket is answered (ACK, same MID). */
        f->s.exists = 1;
        memcpy(f->s.data, "ok", 2);
        f->s.len = 2;
        static const uint8_t good[] = {0x41, 0x01, 0x43, 0x21, 0x7e, 0xb3, 'r', 'e', 's'};
        n = raw_exchange(f, fd, &dst, dlen, good, sizeof good, reply, sizeof reply);
        assert_true(n >= 6);
        assert_int_equal(reply[0], 0x61); /* ACK, TKL 1 */
        assert_int_equal(reply[1], COAPSEC_CONTENT);
        assert_int_equal(reply[2], 0x43);
        assert_int_equal(reply[3], 0x21);
        assert_int_equal(reply[4], 0x7e);
        assert_memory_equal(reply + n - 2, "ok", 2);
        close(fd);
    }
}

/* §3: a datagram with version != 1 is silently ignored and creates no peer. */
static void test_wrong_version_ignored(void **state) {
    fixture *f = *state;
    struct sockaddr_storage dst;
    socklen_t dlen;
    int fd = raw_socket(AF_INET, &dst, &dlen, f->port4);
    uint64_t created = coapsec_endpoint_get_stats(f->s.ep)->peers_created;
    uint64_t dropped = coapsec_endpoint_get_stats(f->s.ep)->dropped;
    static const uint8_t v2[] = {0x80, 0x01, 0x00, 0x01};
    uint8_t reply[64];
    assert_int_equal(raw_exchange(f, fd, &dst, dlen, v2, sizeof v2, reply, sizeof reply), 0);
    assert_int_equal(coapsec_endpoint_get_stats(f->s.ep)->peers_created, created);
    assert_int_equal(coapsec_endpoint_get_stats(f->s.ep)->dropped, dropped + 1);
    close(fd);
}

/* Hard cap of 2 peers: a third client source reclaims the least recently used
 * idle peer, and every client is still served. */
static int setup_small(void **state) {
    return setup_params(state, NULL, 2);
}

static void test_peer_cap(void **state) {
    fixture *f = *state;
    f->s.exists = 1;
    memcpy(f->s.data, "cap", 3);
    f->s.len = 3;
    int fds[4];
    struct sockaddr_storage dst;
    socklen_t dlen;
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 4; i++) {
            if (round == 0)
                fds[i] = raw_socket(AF_INET, &dst, &dlen, f->port4);
            uint8_t get[] = {0x40, 0x01, (uint8_t)round, (uint8_t)(0x10 + i), 0xb3, 'r', 'e', 's'};
            uint8_t reply[64];
            ssize_t n = raw_exchange(f, fds[i], &dst, dlen, get, sizeof get, reply, sizeof reply);
            assert_int_equal(n, 4 + 1 + 3);
            assert_int_equal(reply[1], COAPSEC_CONTENT);
            assert_int_equal(reply[3], 0x10 + i);
        }
    }
    const coapsec_endpoint_stats *st = coapsec_endpoint_get_stats(f->s.ep);
    assert_int_equal(st->peers_created, 8);
    assert_int_equal(st->peers_reclaimed, 6);
    for (int i = 0; i < 4; i++)
        close(fds[i]);
}

/* §4.2, §4.8: a CON to a silent port is retransmitted and times out; the endpoint
 * reports the next timer through next_timeout_ms. */
static int setup_fast(void **state) {
    static coapsec_coap_params p;
    coapsec_coap_params_default(&p);
    p.ack_timeout_ms = 50;
    p.max_retransmit = 2;
    return setup_params(state, &p, 0);
}

static void test_timeout(void **state) {
    fixture *f = *state;
    struct sockaddr_storage dst;
    socklen_t dlen;
    int silent = raw_socket(AF_INET, &dst, &dlen, 0);
    struct sockaddr_in me = {0};
    me.sin_family = AF_INET;
    inet_pton(AF_INET, "127.0.0.1", &me.sin_addr);
    assert_int_equal(bind(silent, (struct sockaddr *)&me, sizeof me), 0);
    socklen_t ml = sizeof me;
    getsockname(silent, (struct sockaddr *)&me, &ml);

    assert_int_equal(coapsec_endpoint_next_timeout_ms(f->cli), -1);
    result r;
    memset(&r, 0, sizeof r);
    coapsec_msg m;
    memset(&m, 0, sizeof m);
    m.type = COAPSEC_CON;
    m.code = COAPSEC_GET;
    assert_true(
        coapsec_endpoint_request_addr(f->cli, (struct sockaddr *)&me, ml, &m, on_resp, &r) >= 0);
    int t = coapsec_endpoint_next_timeout_ms(f->cli);
    assert_true(t >= 0 && t <= 75); /* ACK_TIMEOUT * ACK_RANDOM_FACTOR */
    for (int i = 0; i < 200 && !r.done; i++)
        assert_true(coapsec_endpoint_process(f->cli, 50) >= 0);
    assert_int_equal(r.done, 1);
    assert_int_equal(r.status, COAPSEC_ERR_TIMEOUT);
    /* 1 + MAX_RETRANSMIT copies reached the silent socket. */
    uint8_t buf[64];
    int copies = 0;
    while (recv(silent, buf, sizeof buf, MSG_DONTWAIT) > 0)
        copies++;
    assert_int_equal(copies, 3);
    close(silent);
}

/* The peer cap never reclaims a busy peer: with one slot held by an outstanding
 * CON (§4.2), a request to a second destination is refused (COAPSEC_ERR_NOMEM)
 * until the first exchange ends. */
static void test_cap_keeps_busy_peer(void **state) {
    fixture *f = *state;
    coapsec_endpoint_config cfg;
    coapsec_endpoint_config_default(&cfg);
    cfg.bind[0].host = "127.0.0.1";
    cfg.nbind = 1;
    cfg.max_peers = 1;
    coapsec_endpoint *cli;
    assert_int_equal(coapsec_endpoint_new(&cfg, &cli), 0);

    struct sockaddr_storage dst;
    socklen_t dlen;
    int silent = raw_socket(AF_INET, &dst, &dlen, 0);
    struct sockaddr_in me = {0};
    me.sin_family = AF_INET;
    inet_pton(AF_INET, "127.0.0.1", &me.sin_addr);
    assert_int_equal(bind(silent, (struct sockaddr *)&me, sizeof me), 0);
    socklen_t ml = sizeof me;
    getsockname(silent, (struct sockaddr *)&me, &ml);

    coapsec_msg m;
    memset(&m, 0, sizeof m);
    m.type = COAPSEC_CON;
    m.code = COAPSEC_GET;
    result r1, r2;
    memset(&r1, 0, sizeof r1);
    memset(&r2, 0, sizeof r2);
    int h = coapsec_endpoint_request_addr(cli, (struct sockaddr *)&me, ml, &m, on_resp, &r1);
    assert_true(h >= 0);
    char u[96];
    uri(u, sizeof u, f, 0, "res");
    assert_int_equal(coapsec_endpoint_request(cli, u, &m, 0, on_resp, &r2), COAPSEC_ERR_NOMEM);
    /* Once the exchange is gone, the idle peer is reclaimed for the new destination. */
    assert_int_equal(coapsec_endpoint_cancel(cli, h), 0);
    assert_true(coapsec_endpoint_request(cli, u, &m, 0, on_resp, &r2) >= 0);
    for (int i = 0; i < 600 && !r2.done; i++) {
        assert_true(coapsec_endpoint_process(f->s.ep, 0) >= 0);
        assert_true(coapsec_endpoint_process(cli, 5) >= 0);
    }
    assert_int_equal(r2.done, 1);
    assert_int_equal(r2.status, 0);
    assert_int_equal(r1.done, 0); /* cancelled: never called back */
    assert_int_equal(coapsec_endpoint_get_stats(cli)->peers_reclaimed, 1);
    close(silent);
    coapsec_endpoint_free(cli);
}

/* The endpoint fd works in a caller's own poll loop: it turns readable when a
 * response arrives, and process(ep, 0) then delivers it without blocking. */
static void test_own_poll_loop(void **state) {
    fixture *f = *state;
    char u[96];
    uri(u, sizeof u, f, 1, "res");
    f->s.exists = 1;
    memcpy(f->s.data, "poll", 4);
    f->s.len = 4;
    coapsec_msg m;
    memset(&m, 0, sizeof m);
    m.type = COAPSEC_CON;
    m.code = COAPSEC_GET;
    result r;
    memset(&r, 0, sizeof r);
    assert_true(coapsec_endpoint_request(f->cli, u, &m, 0, on_resp, &r) >= 0);
    struct pollfd p[2] = {{coapsec_endpoint_fd(f->s.ep), POLLIN, 0},
                          {coapsec_endpoint_fd(f->cli), POLLIN, 0}};
    for (int i = 0; i < 100 && !r.done; i++) {
        int t = coapsec_endpoint_next_timeout_ms(f->cli);
        assert_true(t >= 0); /* the CON's retransmission timer is pending */
        assert_true(poll(p, 2, t < 50 ? t : 50) >= 0);
        if (p[0].revents & POLLIN)
            assert_true(coapsec_endpoint_process(f->s.ep, 0) > 0);
        if (p[1].revents & POLLIN)
            assert_true(coapsec_endpoint_process(f->cli, 0) > 0);
    }
    assert_int_equal(r.done, 1);
    assert_int_equal(r.len, 4);
    assert_memory_equal(r.payload, "poll", 4);
}

/* §6: malformed URIs, and coaps without a PSK for the destination, are refused
 * before anything is sent. */
static void test_uri_errors(void **state) {
    fixture *f = *state;
    coapsec_msg m;
    memset(&m, 0, sizeof m);
    m.type = COAPSEC_CON;
    m.code = COAPSEC_GET;
    result r;
    assert_int_equal(coapsec_endpoint_request(f->cli, "coap://[::1/x", &m, 0, on_resp, &r),
                     COAPSEC_ERR_URI);
    assert_int_equal(coapsec_endpoint_request(f->cli, "http://127.0.0.1/", &m, 0, on_resp, &r),
                     COAPSEC_ERR_URI);
    assert_int_equal(coapsec_endpoint_request(f->cli, "coaps://127.0.0.1/", &m, 0, on_resp, &r),
                     COAPSEC_ERR_AUTH);
    assert_int_equal(
        coapsec_endpoint_request(f->cli, "coap://no-such-host.invalid/", &m, 0, on_resp, &r),
        COAPSEC_ERR_NOTFOUND);
    assert_int_equal(coapsec_endpoint_get_stats(f->cli)->datagrams_out, 0);
}

/* Binding a host that is not local fails cleanly. */
static void test_bad_bind(void **state) {
    (void)state;
    coapsec_endpoint_config cfg;
    coapsec_endpoint_config_default(&cfg);
    cfg.bind[0].host = "192.0.2.1"; /* TEST-NET-1, not on this host */
    cfg.nbind = 1;
    coapsec_endpoint *ep = (coapsec_endpoint *)1;
    assert_int_equal(coapsec_endpoint_new(&cfg, &ep), COAPSEC_ERR_IO);
    assert_null(ep);
    cfg.nbind = COAPSEC_ENDPOINT_MAX_BIND + 1;
    assert_int_equal(coapsec_endpoint_new(&cfg, &ep), COAPSEC_ERR_INVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_methods, setup, teardown),
        cmocka_unit_test_setup_teardown(test_big_payload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uri_options, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_version_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_peer_cap, setup_small, teardown),
        cmocka_unit_test_setup_teardown(test_timeout, setup_fast, teardown),
        cmocka_unit_test_setup_teardown(test_cap_keeps_busy_peer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_own_poll_loop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uri_errors, setup, teardown),
        cmocka_unit_test(test_bad_bind),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
