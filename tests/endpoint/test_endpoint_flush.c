/*
 * test_endpoint_flush.c - tests for the send batching of src/endpoint/endpoint.c
 * (read_socket() with txq.c): the answers to one recvmmsg() batch leave
 * together in sendmmsg(), but none is held for the rest of the batch once the
 * batch has been held for CS_EP_TX_HOLD_US (100 us, ep_int.h). A NoSec server
 * whose resource handler takes HANDLER_US per request receives N CON GETs in
 * one batch; while it handles request k, the piggybacked responses to
 * requests 0..k-1 (RFC 7252 §5.2.1) must already have reached the client.
 * Only the order of events is checked (which answers were at the client when
 * each request was handled); the one time limit, WAIT_MS, is how long a
 * handler waits for answers that are already on their way over loopback.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "coapsec/endpoint.h"

#define N 16 /* requests in the batch (CS_EP_BATCH is 64: one recvmmsg() takes them all) */
/* Time each request takes in the handler: 5 x CS_EP_TX_HOLD_US, so that the
 * batch is past its hold time after every request. Raise it if the hold
 * time is raised. */
#define HANDLER_US 500
#define WAIT_MS    2000 /* for an answer already sent to cross loopback (a loaded host) */
#define ROUNDS     5    /* tries at getting all N requests into one batch */

typedef struct fixture {
    coapsec_endpoint *ep;
    int fd; /* the client: a plain UDP socket */
    struct sockaddr_in to;
    uint16_t base;    /* MID of request 0 of the current round */
    unsigned handled; /* handler calls in this round */
    int in_order;     /* they came in MID order */
    uint8_t got[N];   /* the answer to request i reached the client */
    unsigned ngot;    /* distinct answers received */
    unsigned bad;     /* datagrams of this round that are not a first 2.05 "ok" */
    unsigned seen[N]; /* answers at the client when request i was handled */
    int gave_up;      /* a handler's wait timed out: the others do not wait */
} fixture;

static fixture F;

static void spin_us(long us) {
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do
        clock_gettime(CLOCK_MONOTONIC, &t);
    while ((t.tv_sec - t0.tv_sec) * 1000000L + (t.tv_nsec - t0.tv_nsec) / 1000 < us);
}

static long ms_since(const struct timespec *t0) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) * 1000L + (t.tv_nsec - t0->tv_nsec) / 1000000L;
}

/* Read the client's socket until `want` answers of this round have arrived
 * or wait_ms pass (0: only what is there). 1 if they have. */
static int collect(fixture *f, unsigned want, int wait_ms) {
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        uint8_t b[64];
        ssize_t n;
        while ((n = recv(f->fd, b, sizeof b, MSG_DONTWAIT)) > 0) {
            unsigned i = n >= 4 ? (uint16_t)(((unsigned)b[2] << 8 | b[3]) - f->base) : 0;
            if (i >= N)
                continue; /* late, from an earlier round */
            /* ACK (type 2), no token, 2.05, "ok": the piggybacked response */
            if (n == 7 && b[0] == 0x60 && b[1] == COAPSEC_CONTENT && !f->got[i] &&
                memcmp(b + 4, "\xffok", 3) == 0) {
                f->got[i] = 1;
                f->ngot++;
            } else {
                f->bad++;
            }
        }
        if (f->ngot >= want)
            return 1;
        long left = wait_ms - ms_since(&t0);
        if (left <= 0)
            return 0;
        struct pollfd p = {.fd = f->fd, .events = POLLIN};
        poll(&p, 1, (int)left);
    }
}

/* Request k is handled: note how many of the answers to 0..k-1 are at the
 * client (waiting for them if need be), then take HANDLER_US. */
static void h_slow(void *user, const coapsec_coap_req *req, coapsec_coap_response *resp) {
    fixture *f = user;
    unsigned k = (uint16_t)(req->msg->mid - f->base);
    if (k != f->handled)
        f->in_order = 0;
    f->handled++;
    if (k < N) {
        if (!collect(f, k, f->gave_up ? 0 : WAIT_MS))
            f->gave_up = 1;
        f->seen[k] = f->ngot;
    }
    spin_us(HANDLER_US);
    resp->msg.code = COAPSEC_CONTENT;
    coapsec_coap_resp_payload(resp, "ok", 2);
}

static int setup(void **state) {
    fixture *f = &F;
    memset(f, 0, sizeof *f);
    coapsec_endpoint_config cfg;
    coapsec_endpoint_config_default(&cfg);
    cfg.bind[0].host = "127.0.0.1"; /* NoSec */
    cfg.nbind = 1;
    assert_int_equal(coapsec_endpoint_new(&cfg, &f->ep), 0);
    coapsec_coap_set_fallback(coapsec_endpoint_coap(f->ep), h_slow, f);
    f->fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(f->fd >= 0);
    f->to.sin_family = AF_INET;
    f->to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    f->to.sin_port = htons(coapsec_endpoint_local_port(f->ep, AF_INET));
    assert_true(f->to.sin_port != 0);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    close(f->fd);
    coapsec_endpoint_free(f->ep);
    return 0;
}

/* One round: N CON GETs with fresh MIDs (a repeated MID would be answered
 * from the deduplication cache, RFC 7252 §4.5, without the handler), all sent
 * before the server reads, then one coapsec_endpoint_process(). Returns the
 * number of datagrams that call read: N when they all came in one batch
 * (read_socket() reads again only after a full batch of 64). Leaves the
 * server idle, every answer of the round received or WAIT_MS passed. */
static int run_round(fixture *f, unsigned round) {
    f->base = (uint16_t)(1 + round * 0x100);
    f->handled = 0;
    f->in_order = 1;
    memset(f->got, 0, sizeof f->got);
    f->ngot = 0;
    f->bad = 0;
    memset(f->seen, 0, sizeof f->seen);
    f->gave_up = 0;
    for (unsigned i = 0; i < N; i++) {
        uint16_t mid = (uint16_t)(f->base + i);
        const uint8_t get[] = {0x40, COAPSEC_GET, (uint8_t)(mid >> 8), (uint8_t)mid};
        assert_int_equal(sendto(f->fd, get, sizeof get, 0, (struct sockaddr *)&f->to, sizeof f->to),
                         (ssize_t)sizeof get);
    }
    int r = coapsec_endpoint_process(f->ep, WAIT_MS);
    assert_true(r >= 0);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while ((f->handled < N || !collect(f, N, 0)) && ms_since(&t0) < WAIT_MS)
        assert_true(coapsec_endpoint_process(f->ep, 5) >= 0);
    collect(f, N, WAIT_MS);
    return r;
}

/* The batch is held 100 us at most: the answer to each request has left
 * (and reached the client) before the next request of the same batch is
 * handled, not at the end of the batch. */
static void test_slow_batch_answers_leave_before_it_ends(void **state) {
    fixture *f = *state;
    int r = 0;
    /* The N datagrams cross loopback before the server reads, unless the
     * kernel defers their delivery; a round split over two reads proves
     * nothing about the hold (each part ends with a flush) and is run again. */
    for (unsigned round = 0; round < ROUNDS && r != N; round++) {
        r = run_round(f, round);
        if (r != N)
            print_message("round %u: %d of %d requests in the first batch; again\n", round, r, N);
    }
    assert_int_equal(r, N); /* one recvmmsg() batch */
    assert_int_equal(f->handled, N);
    assert_true(f->in_order);
    /* every answer arrived once, 2.05 "ok" */
    assert_int_equal(f->ngot, N);
    assert_int_equal(f->bad, 0);
    /* When request k was handled, the answers to 0..k-1 were at the client:
     * the first answer left while N - 1 requests of its batch were still to
     * be handled, and the last request found all the others answered. */
    for (unsigned k = 0; k < N; k++) {
        if (f->seen[k] != k)
            print_error("request %u of %u was handled with %u earlier answers at the client\n", k,
                        N, f->seen[k]);
        assert_int_equal(f->seen[k], k);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_slow_batch_answers_leave_before_it_ends, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
