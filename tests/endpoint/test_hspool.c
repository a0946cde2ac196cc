/*
 * test_hspool.c - tests for src/endpoint/hspool.c: after a full handshake the
 * server keeps its final flight for a while in case the client lost it (RFC
 * 6347 §4.2.4); clients that stay silent after the handshake must not stall
 * new handshakes once the pool of handshake objects is full. A server with
 * room for 2 handshakes accepts 6 silent clients one after the other by
 * taking back the objects of established sessions, oldest first; the
 * sessions whose objects were taken back still carry CoAP (RFC 7252 §9.1);
 * and a pool full of handshakes that are still running is not raided.
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
    uint8_t got[256];
    size_t got_len;
} raw;

typedef struct fixture {
    coapsec_endpoint *ep;
    uint16_t port;
    unsigned requests;
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

static int raw_send(void *user, const uint8_t *d, size_t len) {
    raw *r = user;
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

/* Handshake and say nothing afterwards: the server keeps its final flight. */
static void raw_handshake(fixture *f, raw *r) {
    assert_int_equal(coapsec_dtls_client_start(&r->conn, &r->cfg, r, &r->hs,
                                               (const uint8_t *)"node-1", 6, KEY, KEYLEN,
                                               coapsec_endpoint_now(f->ep)),
                     0);
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

static int setup(void **state) {
    fixture *f = &F;
    memset(f, 0, sizeof *f);
    coapsec_endpoint_config cfg;
    coapsec_endpoint_config_default(&cfg);
    cfg.bind[0].host = "127.0.0.1";
    cfg.bind[0].security = COAPSEC_SEC_PSK;
    cfg.nbind = 1;
    cfg.max_handshakes = POOL;
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
     * ClientHello: the server holds two running handshakes. */
    for (int i = 0; i < POOL; i++) {
        raw *r = &f->cli[i];
        assert_int_equal(coapsec_dtls_client_start(&r->conn, &r->cfg, r, &r->hs,
                                                   (const uint8_t *)"node-1", 6, KEY, KEYLEN,
                                                   coapsec_endpoint_now(f->ep)),
                         0);
        /* HelloVerifyRequest -> second ClientHello; the server's flight 4 is
         * never read by the client */
        for (int k = 0; k < 100; k++) {
            assert_true(coapsec_endpoint_process(f->ep, 2) >= 0);
            uint8_t buf[2048];
            ssize_t n = recv(r->fd, buf, sizeof buf, MSG_DONTWAIT);
            if (n > 0) {
                coapsec_dtls_conn_recv(&r->conn, buf, (size_t)n, coapsec_endpoint_now(f->ep));
                break;
            }
        }
    }
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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_silent_clients_do_not_stall_the_pool, setup, teardown),
        cmocka_unit_test_setup_teardown(test_running_handshakes_are_not_reclaimed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
