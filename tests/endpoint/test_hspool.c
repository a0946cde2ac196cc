/*
 * test_hspool.c - tests for src/endpoint/hspool.c: after a full handshake the
 * server keeps its final flight for a while in case the client lost it (RFC
 * 6347 §4.2.4); clients that stay silent after the handshake must not stall
 * new handshakes once the pool of handshake objects is full. A server with
 * room for 2 handshakes accepts 6 silent clients one after the other by
 * taking back the objects of established sessions, oldest first; the
 * sessions whose objects were taken back still carry CoAP (RFC 7252 §9.1);
 * and a pool full of handshakes that are still running is not raided.
 * Server handshakes whose clients answered the cookie (RFC 6347 §4.2.1) and
 * then went silent are dropped to make room for a new client once silent for
 * hs_stall_ms (a client that keeps retransmitting, §4.2.4, is not silent),
 * and any server handshake is dropped hs_deadline_ms after it started.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "coapsec/endpoint.h"

static const uint8_t KEY[] = "0123456789abcdef0123";
#define KEYLEN 20
#define NCLI   6
#define POOL   2

typedef struct raw {
    int fd;
    struct sockaddr_in to;
    coapsec_dtls_config cfg;
    coapsec_dtls_conn conn;
    coapsec_dtls_hs hs;
    int established;
    uint8_t last[2048]; /* the last datagram sent, to resend by hand */
    size_t last_len;
    uint8_t got[256];
    size_t got_len;
} raw;

typedef struct fixture {
    coapsec_endpoint *ep;
    uint16_t port;
    unsigned requests;
    unsigned failed_events; /* COAPSEC_SESSION_FAILED with COAPSEC_ERR_TIMEOUT */
    uint16_t failed_port;   /* client port of the last one */
    raw cli[NCLI];
} fixture;

static fixture F;

static void h_all(void *user, const coapsec_coap_req *req, coapsec_coap_response *resp) {
    fixture *f = user;
    (void)req;
    f->requests++;
    resp->msg.code = COAPSEC_CONTENT;
    coapsec_coap_resp_payload(resp, "ok", 2);
}

static void on_session(void *user, const coapsec_session_event *ev) {
    fixture *f = user;
    if (ev->type == COAPSEC_SESSION_FAILED && ev->err == COAPSEC_ERR_TIMEOUT && ev->server) {
        f->failed_events++;
        if (ev->addr && ev->addr->sa_family == AF_INET)
            f->failed_port = ntohs(((const struct sockaddr_in *)ev->addr)->sin_port);
    }
}

static int raw_send(void *user, const uint8_t *d, size_t len) {
    raw *r = user;
    if (len <= sizeof r->last) {
        memcpy(r->last, d, len);
        r->last_len = len;
    }
    return sendto(r->fd, d, len, 0, (struct sockaddr *)&r->to, sizeof r->to) < 0 ? -1 : 0;
}
static void raw_recv(void *user, const uint8_t *d, size_t len) {
    raw *r = user;
    if (len <= sizeof r->got) {
        memcpy(r->got, d, len);
        r->got_len = len;
    }
}
static void raw_event(void *user, const coapsec_dtls_event *ev) {
    raw *r = user;
    if (ev->type == COAPSEC_DTLS_EV_ESTABLISHED)
        r->established = 1;
}

/* Run the server and feed what client r receives to it, until *until or ms pass. */
static void pump(fixture *f, raw *r, const int *until, int ms) {
    for (int i = 0; i < ms / 5 && !(until && *until); i++) {
        assert_true(coapsec_endpoint_process(f->ep, 5) >= 0);
        uint8_t buf[2048];
        ssize_t n;
        while ((n = recv(r->fd, buf, sizeof buf, MSG_DONTWAIT)) > 0)
            coapsec_dtls_conn_recv(&r->conn, buf, (size_t)n, coapsec_endpoint_now(f->ep));
    }
}

static void raw_open(fixture *f, raw *r) {
    memset(r, 0, sizeof *r);
    r->fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(r->fd >= 0);
    r->to.sin_family = AF_INET;
    r->to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    r->to.sin_port = htons(f->port);
    coapsec_dtls_config_default(&r->cfg);
    r->cfg.cb.send = raw_send;
    r->cfg.cb.recv = raw_recv;
    r->cfg.cb.event = raw_event;
}

/* Send r's first ClientHello (node-1's PSK); the caller drives the rest. */
static void raw_start(fixture *f, raw *r) {
    assert_int_equal(coapsec_dtls_client_start(&r->conn, &r->cfg, r, &r->hs,
                                               (const uint8_t *)"node-1", 6, KEY, KEYLEN,
                                               coapsec_endpoint_now(f->ep)),
                     0);
}

/* Handshake and say nothing afterwards: the server keeps its final flight. */
static void raw_handshake(fixture *f, raw *r) {
    raw_start(f, r);
    pump(f, r, &r->established, 3000);
}

/* GET / over r's session; 1 if 2.05 "ok" came back. */
static int raw_get(fixture *f, raw *r, uint8_t mid) {
    const uint8_t get[] = {0x40, 0x01, 0x00, mid};
    r->got_len = 0;
    if (coapsec_dtls_conn_send(&r->conn, get, sizeof get, coapsec_endpoint_now(f->ep)) != 0)
        return 0;
    for (int i = 0; i < 60 && r->got_len == 0; i++)
        pump(f, r, NULL, 5);
    return r->got_len >= 6 && r->got[1] == COAPSEC_CONTENT && r->got[3] == mid &&
           memcmp(r->got + r->got_len - 2, "ok", 2) == 0;
}

static int setup_with(void **state, uint32_t stall_ms, uint32_t deadline_ms) {
    fixture *f = &F;
    memset(f, 0, sizeof *f);
    coapsec_endpoint_config cfg;
    coapsec_endpoint_config_default(&cfg);
    cfg.bind[0].host = "127.0.0.1";
    cfg.bind[0].security = COAPSEC_SEC_PSK;
    cfg.nbind = 1;
    cfg.max_handshakes = POOL;
    cfg.hs_stall_ms = stall_ms;       /* 0 = 5000 */
    cfg.hs_deadline_ms = deadline_ms; /* 0 = 30000 */
    cfg.session_event = on_session;
    cfg.user = f;
    assert_int_equal(coapsec_endpoint_new(&cfg, &f->ep), 0);
    coapsec_coap_set_fallback(coapsec_endpoint_coap(f->ep), h_all, f);
    assert_int_equal(coapsec_endpoint_add_psk(f->ep, (const uint8_t *)"node-1", 6, KEY, KEYLEN), 0);
    f->port = coapsec_endpoint_local_port(f->ep, AF_INET);
    assert_true(f->port != 0);
    for (int i = 0; i < NCLI; i++)
        raw_open(f, &f->cli[i]);
    *state = f;
    return 0;
}

static int setup(void **state) {
    return setup_with(state, 0, 0);
}
static int setup_stall(void **state) {
    return setup_with(state, 300, 0);
}
static int setup_stall_1s(void **state) {
    return setup_with(state, 1000, 0);
}
static int setup_deadline(void **state) {
    return setup_with(state, 0, 1000);
}

static uint16_t raw_port(const raw *r) {
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    assert_int_equal(getsockname(r->fd, (struct sockaddr *)&a, &al), 0);
    return ntohs(a.sin_port);
}

/* Start a handshake, answer the HelloVerifyRequest with the cookie (RFC 6347
 * §4.2.1) and stop: the server's flight 4 is never read. */
static void raw_stall(fixture *f, raw *r) {
    raw_start(f, r);
    for (int k = 0; k < 100; k++) {
        assert_true(coapsec_endpoint_process(f->ep, 2) >= 0);
        uint8_t buf[2048];
        ssize_t n = recv(r->fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) {
            coapsec_dtls_conn_recv(&r->conn, buf, (size_t)n, coapsec_endpoint_now(f->ep));
            break;
        }
    }
    for (int k = 0; k < 10; k++) /* the server takes the second ClientHello */
        assert_true(coapsec_endpoint_process(f->ep, 2) >= 0);
}

/* Run the server for ms and feed clients [first, first + n) what they
 * receive; every resend_ms (0 = never) clients [rfirst, rfirst + rn) send
 * their last datagram again, as a peer retransmitting (RFC 6347 §4.2.4).
 * Returns early once clients [first, first + n) are all established (n > 0). */
static void drive(fixture *f, int first, int n, int rfirst, int rn, int ms, int resend_ms) {
    coapsec_tstamp end = coapsec_endpoint_now(f->ep) + (coapsec_tstamp)ms;
    coapsec_tstamp next = coapsec_endpoint_now(f->ep) + (coapsec_tstamp)resend_ms;
    while (coapsec_endpoint_now(f->ep) < end) {
        assert_true(coapsec_endpoint_process(f->ep, 5) >= 0);
        int all = n > 0;
        for (int i = first; i < first + n; i++) {
            raw *r = &f->cli[i];
            uint8_t buf[2048];
            ssize_t len;
            while ((len = recv(r->fd, buf, sizeof buf, MSG_DONTWAIT)) > 0)
                coapsec_dtls_conn_recv(&r->conn, buf, (size_t)len, coapsec_endpoint_now(f->ep));
            all = all && r->established;
        }
        if (all)
            return;
        if (resend_ms && coapsec_endpoint_now(f->ep) >= next) {
            for (int i = rfirst; i < rfirst + rn; i++) {
                raw *r = &f->cli[i];
                assert_true(sendto(r->fd, r->last, r->last_len, 0, (struct sockaddr *)&r->to,
                                   sizeof r->to) > 0);
            }
            next = coapsec_endpoint_now(f->ep) + (coapsec_tstamp)resend_ms;
        }
    }
}

static int teardown(void **state) {
    fixture *f = *state;
    for (int i = 0; i < NCLI; i++)
        close(f->cli[i].fd);
    coapsec_endpoint_free(f->ep);
    return 0;
}

/* RFC 6347 §4.2.4: silent clients keep the server's final flight; with room
 * for POOL handshakes, NCLI silent clients in a row all get their session. */
static void test_silent_clients_do_not_stall_the_pool(void **state) {
    fixture *f = *state;
    for (int i = 0; i < NCLI; i++) {
        raw_handshake(f, &f->cli[i]);
        assert_int_equal(f->cli[i].established, 1);
    }
    const coapsec_endpoint_stats *st = coapsec_endpoint_get_stats(f->ep);
    assert_int_equal(st->handshakes_completed, NCLI);
    assert_int_equal(st->handshakes_refused, 0);
    /* every handshake after the first POOL needed an object taken back */
    assert_int_equal(st->handshakes_reclaimed, NCLI - POOL);
    /* The sessions whose objects were taken back (the oldest) still work, and
     * so do the newest ones. */
    assert_true(raw_get(f, &f->cli[0], 1));
    assert_true(raw_get(f, &f->cli[1], 2));
    assert_true(raw_get(f, &f->cli[NCLI - 1], 3));
    assert_int_equal(f->requests, 3);
}

/* A pool full of handshakes still in progress is not raided: the next
 * verified ClientHello is refused (and counted), nothing is taken back. */
static void test_running_handshakes_are_not_reclaimed(void **state) {
    fixture *f = *state;
    /* Two clients start and stop after the cookie exchange and their second
     * ClientHello (HelloVerifyRequest -> second ClientHello; the server's
     * flight 4 is never read): the server holds two running handshakes. */
    for (int i = 0; i < POOL; i++)
        raw_stall(f, &f->cli[i]);
    for (int k = 0; k < 20; k++)
        assert_true(coapsec_endpoint_process(f->ep, 2) >= 0);
    const coapsec_endpoint_stats *st = coapsec_endpoint_get_stats(f->ep);
    assert_int_equal(st->handshakes_started, POOL);
    raw *late = &f->cli[POOL];
    raw_handshake(f, late);
    assert_int_equal(late->established, 0);
    assert_true(st->handshakes_refused >= 1);
    assert_int_equal(st->handshakes_reclaimed, 0);
}

/* Two clients answer the cookie and go silent, filling the pool (2). Once
 * they have been silent for hs_stall_ms (300 here), each verified ClientHello
 * of two honest clients takes the place of the handshake silent longest,
 * which fails as a timeout and is counted; the honest clients complete and
 * their sessions carry CoAP (RFC 7252 §9.1). */
static void test_stalled_handshakes_make_room(void **state) {
    fixture *f = *state;
    raw_stall(f, &f->cli[0]);
    drive(f, 0, 0, 0, 0, 50, 0);
    raw_stall(f, &f->cli[1]);
    const coapsec_endpoint_stats *st = coapsec_endpoint_get_stats(f->ep);
    assert_int_equal(st->handshakes_started, POOL);
    drive(f, 0, 0, 0, 0, 400, 0);                        /* both silent for more than 300 ms */
    assert_int_equal(st->handshakes_stalled_dropped, 0); /* the pool was not needed */
    raw_start(f, &f->cli[2]);
    raw_start(f, &f->cli[3]);
    drive(f, 2, 2, 0, 0, 3000, 0);
    assert_int_equal(f->cli[2].established, 1);
    assert_int_equal(f->cli[3].established, 1);
    assert_int_equal(st->handshakes_refused, 0);
    assert_int_equal(st->handshakes_completed, 2);
    assert_int_equal(st->handshakes_stalled_dropped, 2);
    assert_int_equal(st->handshakes_deadline_dropped, 0);
    assert_int_equal(st->handshakes_failed, 2);
    assert_int_equal(f->failed_events, 2);
    assert_true(raw_get(f, &f->cli[2], 7));
    assert_true(raw_get(f, &f->cli[3], 8));
}

/* The handshake silent longest is the one dropped first. */
static void test_stalled_longest_goes_first(void **state) {
    fixture *f = *state;
    raw_stall(f, &f->cli[0]);
    drive(f, 0, 0, 0, 0, 100, 0);
    raw_stall(f, &f->cli[1]);
    drive(f, 0, 0, 0, 0, 400, 0);
    raw_handshake(f, &f->cli[2]);
    assert_int_equal(f->cli[2].established, 1);
    assert_int_equal(f->failed_events, 1);
    assert_int_equal(f->failed_port, raw_port(&f->cli[0]));
}

/* RFC 6347 §4.2.4: a client that keeps retransmitting its flight is not
 * stalled, however long its handshake runs: with the pool full of such
 * handshakes, a new verified ClientHello is refused; once they fall silent
 * for hs_stall_ms (1000 here), the next one takes a place. */
static void test_retransmitting_peer_is_not_stalled(void **state) {
    fixture *f = *state;
    raw_stall(f, &f->cli[0]);
    raw_stall(f, &f->cli[1]);
    const coapsec_endpoint_stats *st = coapsec_endpoint_get_stats(f->ep);
    assert_int_equal(st->handshakes_started, POOL);
    drive(f, 0, 0, 0, POOL, 1500, 200); /* 1.5 s old, heard from every 200 ms */
    raw_start(f, &f->cli[2]);
    drive(f, 2, 1, 0, POOL, 600, 200);
    assert_int_equal(f->cli[2].established, 0);
    assert_true(st->handshakes_refused >= 1);
    assert_int_equal(st->handshakes_stalled_dropped, 0);
    assert_int_equal(f->failed_events, 0);
    drive(f, 0, 0, 0, 0, 1100, 0); /* now silent for 1.1 s */
    raw_handshake(f, &f->cli[3]);
    assert_int_equal(f->cli[3].established, 1);
    assert_int_equal(st->handshakes_stalled_dropped, 1);
    assert_int_equal(f->failed_events, 1);
}

/* hs_deadline_ms (1000 here): a server handshake not completed in time is
 * dropped even with room in the pool, silent or retransmitting; an
 * established session is not touched and still carries CoAP. */
static void test_handshake_deadline(void **state) {
    fixture *f = *state;
    raw_handshake(f, &f->cli[0]);
    assert_int_equal(f->cli[0].established, 1);
    raw_stall(f, &f->cli[1]);
    drive(f, 0, 0, 0, 0, 500, 0);
    raw_stall(f, &f->cli[2]); /* uses the object lingering behind cli[0] or a free one */
    const coapsec_endpoint_stats *st = coapsec_endpoint_get_stats(f->ep);
    assert_int_equal(st->handshakes_started, 3);
    assert_int_equal(st->handshakes_deadline_dropped, 0);
    drive(f, 0, 0, 2, 1, 700, 200); /* cli[1] is 1.2 s old, cli[2] 0.7 s */
    assert_int_equal(st->handshakes_deadline_dropped, 1);
    assert_int_equal(f->failed_port, raw_port(&f->cli[1]));
    drive(f, 0, 0, 2, 1, 500, 200); /* cli[2] past 1 s although retransmitting */
    assert_int_equal(st->handshakes_deadline_dropped, 2);
    assert_int_equal(f->failed_port, raw_port(&f->cli[2]));
    assert_int_equal(f->failed_events, 2);
    assert_int_equal(st->handshakes_stalled_dropped, 0);
    assert_int_equal(st->handshakes_completed, 1);
    assert_true(raw_get(f, &f->cli[0], 5));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_silent_clients_do_not_stall_the_pool, setup, teardown),
        cmocka_unit_test_setup_teardown(test_running_handshakes_are_not_reclaimed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stalled_handshakes_make_room, setup_stall, teardown),
        cmocka_unit_test_setup_teardown(test_stalled_longest_goes_first, setup_stall, teardown),
        cmocka_unit_test_setup_teardown(test_retransmitting_peer_is_not_stalled, setup_stall_1s,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_handshake_deadline, setup_deadline, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
