/*
 * test_secure.c - tests for src/endpoint/secure.c and src/endpoint/psk.c:
 * two real endpoints in one process on 127.0.0.1, the server with a DTLS-PSK
 * bind (RFC 6347 over UDP, TLS_PSK_WITH_AES_128_CCM_8 of RFC 6655, PSK of
 * RFC 4279), the client using coaps:// URIs (RFC 7252 §9.1). Covers GET/PUT
 * of 1,000 bytes inside DTLS (§9.1.1: requests and responses in the same
 * session), the authenticated identity, the stateless cookie exchange (RFC
 * 6347 §4.2.1), a wrong key (RFC 4279 §2 / RFC 5246 §7.4.9: bad_record_mac),
 * an unknown identity (RFC 4279 §5.2: unknown_psk_identity), the default key,
 * a handshake timeout (RFC 6347 §4.2.4), plaintext CoAP on the DTLS port
 * (dropped, never answered: RFC 7252 §9.1), the TS-0008 generation rule (a
 * response bound to an old session never matches), a new handshake from an
 * address that has a session (RFC 6347 §4.2.8: replaces it only once it
 * completes), the short-key warning and request cancellation while the
 * handshake runs.
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

/* ---- server ------------------------------------------------------------------------ */

typedef struct srv {
    int replaced; /* ESTABLISHED events with replacement = 1 */
    coapsec_endpoint *ep;
    uint8_t data[1100];
    size_t len;
    char ident[64];
    int deferred; /* handle of the deferred "slow" request, -1 */
    unsigned requests;
    int established;
    unsigned suite;
    char warn[256];
} srv;

static void h_all(void *user, const coapsec_coap_req *req, coapsec_coap_response *resp) {
    srv *s = user;
    s->requests++;
    uint8_t id[COAPSEC_DTLS_PSK_ID_MAX];
    size_t idlen = sizeof id;
    if (coapsec_endpoint_peer_identity(s->ep, req->peer, id, &idlen) == 0)
        snprintf(s->ident, sizeof s->ident, "%.*s", (int)idlen, (const char *)id);
    else
        s->ident[0] = 0;
    if (strcmp(req->path, "slow") == 0) {
        s->deferred = coapsec_coap_defer(resp);
        return;
    }
    if (req->msg->code == COAPSEC_PUT) {
        assert_true(req->msg->payload_len <= sizeof s->data);
        memcpy(s->data, req->msg->payload, req->msg->payload_len);
        s->len = req->msg->payload_len;
        resp->msg.code = COAPSEC_CHANGED;
        return;
    }
    resp->msg.code = COAPSEC_CONTENT;
    coapsec_coap_resp_payload(resp, s->data, s->len);
}

static void srv_event(void *user, const coapsec_session_event *ev) {
    srv *s = user;
    if (ev->type == COAPSEC_SESSION_ESTABLISHED) {
        s->established++;
        s->suite = ev->suite;
        s->replaced += ev->replacement;
    }
}

static void srv_log(void *user, int level, const char *msg) {
    srv *s = user;
    if (level == COAPSEC_LOG_WARN && strstr(msg, "TS-0008"))
        snprintf(s->warn, sizeof s->warn, "%s", msg);
}

/* ---- client ------------------------------------------------------------------------- */

typedef struct cli {
    coapsec_endpoint *ep;
    int established;
    coapsec_peer_id peer; /* of the last ESTABLISHED */
    unsigned suite;
} cli;

static void cli_event(void *user, const coapsec_session_event *ev) {
    cli *c = user;
    if (ev->type == COAPSEC_SESSION_ESTABLISHED) {
        c->established++;
        c->peer = ev->peer;
        c->suite = ev->suite;
    }
}

typedef struct fixture {
    srv s;
    cli c;
    uint16_t port; /* the server's DTLS port */
} fixture;

static fixture F;

static void make_client(fixture *f, uint32_t retrans_ms, uint8_t retrans) {
    coapsec_endpoint_config cfg;
    coapsec_endpoint_config_default(&cfg);
    cfg.bind[0].host = "127.0.0.1";
    cfg.nbind = 1;
    cfg.session_event = cli_event;
    cfg.user = &f->c;
    cfg.dtls_retrans_initial_ms = retrans_ms;
    cfg.dtls_max_retransmits = retrans;
    assert_int_equal(coapsec_endpoint_new(&cfg, &f->c.ep), 0);
}

static int setup(void **state) {
    fixture *f = &F;
    memset(f, 0, sizeof *f);
    f->s.deferred = -1;
    coapsec_endpoint_config cfg;
    coapsec_endpoint_config_default(&cfg);
    cfg.bind[0].host = "127.0.0.1";
    cfg.bind[0].security = COAPSEC_SEC_PSK;
    cfg.nbind = 1;
    cfg.session_event = srv_event;
    cfg.log = srv_log;
    cfg.user = &f->s;
    assert_int_equal(coapsec_endpoint_new(&cfg, &f->s.ep), 0);
    coapsec_coap_set_fallback(coapsec_endpoint_coap(f->s.ep), h_all, &f->s);
    assert_int_equal(coapsec_endpoint_add_psk(f->s.ep, (const uint8_t *)"node-1", 6, KEY, KEYLEN),
                     0);
    assert_int_equal(coapsec_endpoint_set_psk_hint(f->s.ep, (const uint8_t *)"CoAP", 4), 0);
    f->port = coapsec_endpoint_local_port(f->s.ep, AF_INET);
    assert_true(f->port != 0);
    make_client(f, 0, 0);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    coapsec_endpoint_free(f->c.ep);
    coapsec_endpoint_free(f->s.ep);
    return 0;
}

typedef struct result {
    int done;
    int status;
    uint8_t code;
    coapsec_peer_id peer;
    uint8_t payload[1200];
    size_t len;
} result;

static void on_resp(void *user, int status, const coapsec_msg *m, coapsec_peer_id peer) {
    result *r = user;
    r->done++;
    r->status = status;
    r->peer = peer;
    if (m) {
        r->code = m->code;
        assert_true(m->payload_len <= sizeof r->payload);
        if (m->payload_len)
            memcpy(r->payload, m->payload, m->payload_len);
        r->len = m->payload_len;
    }
}

static void pump(fixture *f, const int *until, int ms) {
    for (int i = 0; i < ms / 5 && !(until && *until); i++) {
        assert_true(coapsec_endpoint_process(f->s.ep, 0) >= 0);
        assert_true(coapsec_endpoint_process(f->c.ep, 5) >= 0);
    }
}

static int request(fixture *f, const char *path, uint8_t code, const void *payload, size_t len,
                   result *r) {
    char uri[96];
    snprintf(uri, sizeof uri, "coaps://127.0.0.1:%u/%s", (unsigned)f->port, path);
    coapsec_msg m;
    memset(&m, 0, sizeof m);
    m.type = COAPSEC_CON;
    m.code = code;
    m.payload = payload;
    m.payload_len = len;
    memset(r, 0, sizeof *r);
    return coapsec_endpoint_request(f->c.ep, uri, &m, 0, on_resp, r);
}

static void set_psk(fixture *f, const char *id, const uint8_t *key, size_t keylen) {
    assert_int_equal(coapsec_endpoint_set_client_psk(f->c.ep, NULL, (const uint8_t *)id, strlen(id),
                                                     key, keylen),
                     0);
}

/* ---- tests -------------------------------------------------------------------------------- */

/* RFC 7252 §9.1 + RFC 6655: PUT then GET of 1,000 bytes inside one PSK session. */
static void test_put_get_psk(void **state) {
    fixture *f = *state;
    set_psk(f, "node-1", KEY, KEYLEN);
    uint8_t big[1000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 7 + 3);
    result r;
    assert_true(request(f, "res", COAPSEC_PUT, big, sizeof big, &r) >= 0);
    pump(f, &r.done, 3000);
    assert_int_equal(r.done, 1);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.code, COAPSEC_CHANGED);
    assert_int_equal(f->c.established, 1);
    assert_int_equal(f->s.established, 1);
    assert_int_equal(f->c.suite, COAPSEC_DTLS_PSK_AES_128_CCM_8);
    assert_int_equal(f->s.suite, COAPSEC_DTLS_PSK_AES_128_CCM_8);
    assert_string_equal(f->s.ident, "node-1"); /* identity from the table */
    /* The response came in the session's generation. */
    assert_true(coapsec_peer_id_eq(r.peer, f->c.peer));
    assert_int_equal(coapsec_endpoint_peer_suite(f->c.ep, f->c.peer), 0xC0A8);

    assert_true(request(f, "res", COAPSEC_GET, NULL, 0, &r) >= 0);
    pump(f, &r.done, 3000);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.code, COAPSEC_CONTENT);
    assert_int_equal(r.len, sizeof big);
    assert_memory_equal(r.payload, big, sizeof big);
    assert_int_equal(f->c.established, 1); /* same session reused */
    /* RFC 6347 §4.2.1: the server answered the first ClientHello with a cookie. */
    assert_true(coapsec_endpoint_get_stats(f->s.ep)->hello_verify_sent >= 1);
    assert_int_equal(coapsec_endpoint_get_stats(f->s.ep)->handshakes_completed, 1);
}

/* RFC 4279 §2 + RFC 5246 §7.4.9: a wrong key fails the Finished check. */
static void test_wrong_key(void **state) {
    fixture *f = *state;
    static const uint8_t bad[] = "0123456789abcdeX0123";
    set_psk(f, "node-1", bad, KEYLEN);
    result r;
    assert_true(request(f, "res", COAPSEC_GET, NULL, 0, &r) >= 0);
    pump(f, &r.done, 3000);
    assert_int_equal(r.done, 1);
    assert_int_equal(r.status, COAPSEC_ERR_HANDSHAKE);
    assert_string_equal(coapsec_endpoint_last_error_text(f->c.ep),
                        "wrong key or identity (bad_record_mac)");
    assert_int_equal(f->s.requests, 0);
    assert_int_equal(f->c.established, 0);
}

/* RFC 4279 §5.2: unknown identity and no default key -> unknown_psk_identity. */
static void test_unknown_identity(void **state) {
    fixture *f = *state;
    set_psk(f, "stranger", KEY, KEYLEN);
    result r;
    assert_true(request(f, "res", COAPSEC_GET, NULL, 0, &r) >= 0);
    pump(f, &r.done, 3000);
    assert_int_equal(r.status, COAPSEC_ERR_HANDSHAKE);
    assert_string_equal(coapsec_endpoint_last_error_text(f->c.ep),
                        "unknown PSK identity (unknown_psk_identity)");
    assert_int_equal(f->s.requests, 0);
}

/* A default key accepts any identity; the identity is still reported. */
static void test_default_key(void **state) {
    fixture *f = *state;
    static const uint8_t dkey[] = "default-key-of-16+";
    assert_int_equal(coapsec_endpoint_set_default_psk(f->s.ep, dkey, 18), 0);
    set_psk(f, "anybody", dkey, 18);
    result r;
    assert_true(request(f, "res", COAPSEC_GET, NULL, 0, &r) >= 0);
    pump(f, &r.done, 3000);
    assert_int_equal(r.status, 0);
    assert_string_equal(f->s.ident, "anybody");
    /* the table still wins for its identities: node-1 with the default key fails */
    coapsec_endpoint_free(f->c.ep);
    make_client(f, 0, 0);
    set_psk(f, "node-1", dkey, 18);
    assert_true(request(f, "res", COAPSEC_GET, NULL, 0, &r) >= 0);
    pump(f, &r.done, 3000);
    assert_int_equal(r.status, COAPSEC_ERR_HANDSHAKE);
}

/* RFC 4279 §2: identities accepted through the default key (not in the table)
 * are kept per session (interned, released when the session ends) and each
 * session reports its own, also when a released entry is reused. */
static void test_identities_outside_table(void **state) {
    fixture *f = *state;
    static const uint8_t dkey[] = "default-key-of-16+";
    static const char *const ids[] = {"dev-a", "dev-b", "a-much-longer-device-identity-31",
                                      "dev-a"};
    assert_int_equal(coapsec_endpoint_set_default_psk(f->s.ep, dkey, 18), 0);
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        if (i) {
            coapsec_endpoint_free(f->c.ep); /* close_notify: the server slot goes */
            make_client(f, 0, 0);
            pump(f, NULL, 50);
        }
        set_psk(f, ids[i], dkey, 18);
        result r;
        assert_true(request(f, "res", COAPSEC_GET, NULL, 0, &r) >= 0);
        pump(f, &r.done, 3000);
        assert_int_equal(r.status, 0);
        assert_string_equal(f->s.ident, ids[i]);
    }
}

/* Per-destination credentials: "host:port" beats the default. */
static void test_client_psk_by_authority(void **state) {
    fixture *f = *state;
    static const uint8_t bad[] = "wrong-wrong-wrong-wr";
    set_psk(f, "node-1", bad, KEYLEN); /* default: wrong */
    char auth[32];
    snprintf(auth, sizeof auth, "127.0.0.1:%u", (unsigned)f->port);
    assert_int_equal(
        coapsec_endpoint_set_client_psk(f->c.ep, auth, (const uint8_t *)"node-1", 6, KEY, KEYLEN),
        0);
    result r;
    assert_true(request(f, "res", COAPSEC_GET, NULL, 0, &r) >= 0);
    pump(f, &r.done, 3000);
    assert_int_equal(r.status, 0);
}

/* RFC 6347 §4.2.4: no answer -> the handshake times out after the retransmissions. */
static void test_handshake_timeout(void **state) {
    fixture *f = *state;
    coapsec_endpoint_free(f->c.ep);
    make_client(f, 50, 2);
    set_psk(f, "node-1", KEY, KEYLEN);
    int silent = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(silent, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t al = sizeof a;
    assert_int_equal(getsockname(silent, (struct sockaddr *)&a, &al), 0);
    char uri[64];
    snprintf(uri, sizeof uri, "coaps://127.0.0.1:%u/x", (unsigned)ntohs(a.sin_port));
    coapsec_msg m;
    memset(&m, 0, sizeof m);
    m.type = COAPSEC_CON;
    m.code = COAPSEC_GET;
    result r;
    memset(&r, 0, sizeof r);
    assert_true(coapsec_endpoint_request(f->c.ep, uri, &m, 0, on_resp, &r) >= 0);
    pump(f, &r.done, 3000);
    close(silent);
    assert_int_equal(r.done, 1);
    assert_int_equal(r.status, COAPSEC_ERR_HANDSHAKE);
    assert_string_equal(coapsec_endpoint_last_error_text(f->c.ep),
                        "no answer from the peer (timeout)");
}

/* RFC 7252 §9.1: plaintext CoAP to the DTLS port is dropped, never answered. */
static void test_plaintext_dropped(void **state) {
    fixture *f = *state;
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(f->port);
    static const uint8_t get[] = {0x40, 0x01, 0x12, 0x34, 0xb3, 'r', 'e', 's'};
    assert_int_equal(sendto(s, get, sizeof get, 0, (struct sockaddr *)&a, sizeof a),
                     (ssize_t)sizeof get);
    pump(f, NULL, 300);
    struct pollfd pf = {s, POLLIN, 0};
    assert_int_equal(poll(&pf, 1, 100), 0); /* no ACK, no RST */
    close(s);
    assert_int_equal(f->s.requests, 0);
    assert_int_equal(coapsec_endpoint_get_stats(f->s.ep)->plaintext_dropped, 1);
}

/* TS-0008 "same session and epoch": an exchange of one keying never matches
 * a message of the next; a deferred response of a closed session never goes out. */
static void test_generation(void **state) {
    fixture *f = *state;
    set_psk(f, "node-1", KEY, KEYLEN);
    coapsec_msg m;
    memset(&m, 0, sizeof m);
    m.type = COAPSEC_CON;
    m.code = COAPSEC_GET;
    m.tkl = 4;
    memcpy(m.token, "tok1", 4);
    char uri[96];
    snprintf(uri, sizeof uri, "coaps://127.0.0.1:%u/slow", (unsigned)f->port);
    result slow;
    memset(&slow, 0, sizeof slow);
    assert_true(coapsec_endpoint_request(f->c.ep, uri, &m, 0, on_resp, &slow) >= 0);
    pump(f, &f->s.established, 3000);
    pump(f, NULL, 100);
    assert_true(f->s.deferred >= 0); /* server holds the request, empty ACK sent */
    assert_int_equal(slow.done, 0);
    coapsec_peer_id first = f->c.peer;

    /* The client ends the session: the outstanding exchange fails. */
    assert_int_equal(coapsec_endpoint_close_peer(f->c.ep, first), 0);
    assert_int_equal(slow.done, 1);
    assert_int_equal(slow.status, COAPSEC_ERR_CLOSED);
    pump(f, NULL, 100); /* close_notify reaches the server */
    /* The server's deferred response is bound to the closed generation. */
    assert_int_equal(coapsec_coap_respond(coapsec_endpoint_coap(f->s.ep), f->s.deferred,
                                          COAPSEC_CONTENT, NULL, 0, "late", 4,
                                          coapsec_endpoint_now(f->s.ep)),
                     COAPSEC_ERR_NOTFOUND);

    /* A new session with the same token: only the new exchange matches. */
    snprintf(uri, sizeof uri, "coaps://127.0.0.1:%u/res", (unsigned)f->port);
    result again;
    memset(&again, 0, sizeof again);
    assert_true(coapsec_endpoint_request(f->c.ep, uri, &m, 0, on_resp, &again) >= 0);
    pump(f, &again.done, 3000);
    assert_int_equal(again.status, 0);
    assert_int_equal(f->c.established, 2);
    assert_false(coapsec_peer_id_eq(again.peer, first));
    assert_int_equal(slow.done, 1); /* never called again */
    /* The old id is stale everywhere. */
    assert_int_equal(coapsec_endpoint_peer_suite(f->c.ep, first), 0);
    assert_int_equal(coapsec_endpoint_close_peer(f->c.ep, first), COAPSEC_ERR_NOTFOUND);
}

/* A request queued behind a running handshake can be cancelled: no callback. */
static void test_cancel_queued(void **state) {
    fixture *f = *state;
    set_psk(f, "node-1", KEY, KEYLEN);
    result r;
    int h = request(f, "res", COAPSEC_GET, NULL, 0, &r);
    assert_true(h >= 0);
    assert_int_equal(coapsec_endpoint_cancel(f->c.ep, h), 0);
    assert_int_equal(coapsec_endpoint_cancel(f->c.ep, h), COAPSEC_ERR_NOTFOUND);
    pump(f, &f->c.established, 3000);
    pump(f, NULL, 100);
    assert_int_equal(f->c.established, 1);
    assert_int_equal(r.done, 0);
    assert_int_equal(f->s.requests, 0);
}

/* coaps:// without credentials for the destination is refused at once. */
static void test_no_psk(void **state) {
    fixture *f = *state;
    result r;
    assert_int_equal(request(f, "res", COAPSEC_GET, NULL, 0, &r), COAPSEC_ERR_AUTH);
}

/* TS-0008: keys shorter than 16 bytes are accepted with a warning. */
static void test_short_key_warning(void **state) {
    fixture *f = *state;
    assert_int_equal(f->s.warn[0], 0);
    assert_int_equal(coapsec_endpoint_add_psk(f->s.ep, (const uint8_t *)"weak", 4,
                                              (const uint8_t *)"secretPSK", 9),
                     0);
    assert_non_null(strstr(f->s.warn, "only 9 bytes"));
    /* and it works */
    set_psk(f, "weak", (const uint8_t *)"secretPSK", 9);
    result r;
    assert_true(request(f, "res", COAPSEC_GET, NULL, 0, &r) >= 0);
    pump(f, &r.done, 3000);
    assert_int_equal(r.status, 0);
    assert_string_equal(f->s.ident, "weak");
    /* bad lengths */
    assert_int_equal(coapsec_endpoint_add_psk(f->s.ep, (const uint8_t *)"x", 1, KEY, 0),
                     COAPSEC_ERR_INVAL);
    uint8_t longkey[COAPSEC_DTLS_PSK_KEY_MAX + 1] = {0};
    assert_int_equal(
        coapsec_endpoint_add_psk(f->s.ep, (const uint8_t *)"x", 1, longkey, sizeof longkey),
        COAPSEC_ERR_INVAL);
}

/* ---- a raw DTLS client on a fixed socket (to restart it without close_notify) ---- */

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

/* Pump the server and feed what the raw client receives to c, until *until or ms pass. */
static void raw_pump(fixture *f, raw *r, coapsec_dtls_conn *c, const int *until, int ms) {
    for (int i = 0; i < ms / 5 && !(until && *until); i++) {
        assert_true(coapsec_endpoint_process(f->s.ep, 5) >= 0);
        uint8_t buf[2048];
        ssize_t n;
        while ((n = recv(r->fd, buf, sizeof buf, MSG_DONTWAIT)) > 0)
            coapsec_dtls_conn_recv(c, buf, (size_t)n, coapsec_endpoint_now(f->s.ep));
    }
}

static void raw_start(fixture *f, raw *r) {
    r->established = 0;
    assert_int_equal(coapsec_dtls_client_start(&r->conn, &r->cfg, r, &r->hs,
                                               (const uint8_t *)"node-1", 6, KEY, KEYLEN,
                                               coapsec_endpoint_now(f->s.ep)),
                     0);
    raw_pump(f, r, &r->conn, &r->established, 3000);
    assert_int_equal(r->established, 1);
}

/* GET /res with a given MID as one application record; 1 if 2.05 came back. */
static int raw_get(fixture *f, raw *r, coapsec_dtls_conn *c, uint8_t mid) {
    const uint8_t get[] = {0x40, 0x01, 0x00, mid, 0xb3, 'r', 'e', 's'};
    r->got_len = 0;
    if (coapsec_dtls_conn_send(c, get, sizeof get, coapsec_endpoint_now(f->s.ep)) != 0)
        return 0;
    raw_pump(f, r, c, NULL, 200); /* answers are read with c's keys */
    return r->got_len >= 4 && r->got[1] == COAPSEC_CONTENT && r->got[3] == mid;
}

/* RFC 6347 §4.2.8: a new ClientHello from an address with a session gets a new
 * handshake; only its completion replaces the old session (and its keys). */
static void test_rehandshake_same_address(void **state) {
    fixture *f = *state;
    static raw r;
    memset(&r, 0, sizeof r);
    r.fd = socket(AF_INET, SOCK_DGRAM, 0);
    r.to.sin_family = AF_INET;
    r.to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    r.to.sin_port = htons(f->port);
    coapsec_dtls_config_default(&r.cfg);
    r.cfg.cb.send = raw_send;
    r.cfg.cb.recv = raw_recv;
    r.cfg.cb.event = raw_event;
    raw_start(f, &r);
    assert_int_equal(f->s.established, 1);
    assert_true(raw_get(f, &r, &r.conn, 1));

    /* The client "restarts" on the same address and port: a fresh handshake. */
    static coapsec_dtls_conn old;
    old = r.conn;
    raw_start(f, &r);
    assert_int_equal(f->s.established, 2);
    assert_int_equal(f->s.replaced, 1);
    assert_true(raw_get(f, &r, &r.conn, 2)); /* the new session works */
    /* The old session's keys are gone on the server: its records are dropped. */
    assert_false(raw_get(f, &r, &old, 3));
    close(r.fd);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_put_get_psk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_identity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_identities_outside_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_psk_by_authority, setup, teardown),
        cmocka_unit_test_setup_teardown(test_handshake_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plaintext_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_generation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_queued, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_psk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_short_key_warning, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rehandshake_same_address, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
