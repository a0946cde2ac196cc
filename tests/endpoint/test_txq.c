/*
 * test_txq.c - tests for src/endpoint/txq.c, the endpoint's send batch:
 * outside a batch a datagram leaves at once; inside one nothing leaves until
 * the flush, then every datagram arrives intact, in order, at its own
 * destination (UDP keeps datagram boundaries, RFC 768; each CoAP message is
 * one datagram, RFC 7252 §3), whichever socket it was queued on; a full batch
 * flushes by itself, and a datagram larger than a batch buffer bypasses it.
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
#include <unistd.h>

#include "endpoint/txq.h"

typedef struct fixture {
    cs_txq q;
    int tx[2];         /* two sending sockets */
    int rx[2];         /* two receivers */
    cs_sockaddr to[2]; /* their addresses */
} fixture;

static int bound_socket(cs_sockaddr *addr) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    memset(addr, 0, sizeof *addr);
    addr->v4.sin_family = AF_INET;
    addr->v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, &addr->sa, sizeof addr->v4), 0);
    socklen_t l = sizeof addr->v4;
    assert_int_equal(getsockname(fd, &addr->sa, &l), 0);
    int big = 1 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    return fd;
}

static int setup(void **state) {
    static fixture f;
    memset(&f, 0, sizeof f);
    assert_int_equal(cs_txq_init(&f.q), 0);
    for (int i = 0; i < 2; i++) {
        cs_sockaddr a;
        f.tx[i] = bound_socket(&a);
        f.rx[i] = bound_socket(&f.to[i]);
    }
    *state = &f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    cs_txq_free(&f->q);
    for (int i = 0; i < 2; i++) {
        close(f->tx[i]);
        close(f->rx[i]);
    }
    return 0;
}

/* Next datagram on fd within ms, its length (-1: none). */
static ssize_t rx(int fd, uint8_t *buf, size_t cap, int ms) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, ms) <= 0)
        return -1;
    return recv(fd, buf, cap, MSG_DONTWAIT);
}

static void fill(uint8_t *d, size_t len, unsigned seed) {
    for (size_t i = 0; i < len; i++)
        d[i] = (uint8_t)(seed * 31 + i);
}

static void test_outside_a_batch_sends_at_once(void **state) {
    fixture *f = *state;
    uint8_t d[40], got[64];
    fill(d, sizeof d, 1);
    assert_int_equal(cs_txq_send(&f->q, f->tx[0], &f->to[0], d, sizeof d), 0);
    assert_int_equal(f->q.n, 0);
    assert_int_equal(rx(f->rx[0], got, sizeof got, 1000), (ssize_t)sizeof d);
    assert_memory_equal(got, d, sizeof d);
    assert_int_equal(f->q.out, 1);
}

static void test_batch_held_until_flush_in_order(void **state) {
    fixture *f = *state;
    f->q.on = 1;
    uint8_t d[10][100], got[256];
    /* interleave sockets and destinations: 0->0, 1->1, 1->0, 0->1, ... */
    for (unsigned i = 0; i < 10; i++) {
        fill(d[i], 20 + i * 8, i);
        int s = (i / 2) % 2, t = i % 2;
        assert_int_equal(cs_txq_send(&f->q, f->tx[s], &f->to[t], d[i], 20 + i * 8), 0);
    }
    assert_int_equal(f->q.n, 10);
    assert_int_equal(rx(f->rx[0], got, sizeof got, 50), -1); /* nothing left yet */
    assert_int_equal(rx(f->rx[1], got, sizeof got, 0), -1);
    cs_txq_flush(&f->q);
    f->q.on = 0;
    assert_int_equal(f->q.n, 0);
    assert_int_equal(f->q.out, 10);
    for (unsigned t = 0; t < 2; t++)
        for (unsigned i = t; i < 10; i += 2) {
            assert_int_equal(rx(f->rx[t], got, sizeof got, 1000), (ssize_t)(20 + i * 8));
            assert_memory_equal(got, d[i], 20 + i * 8);
        }
    assert_int_equal(rx(f->rx[0], got, sizeof got, 20), -1);
}

static void test_full_batch_flushes_itself(void **state) {
    fixture *f = *state;
    f->q.on = 1;
    uint8_t d[8], got[16];
    for (unsigned i = 0; i < CS_TXQ_CAP + 3; i++) {
        d[0] = (uint8_t)i;
        assert_int_equal(cs_txq_send(&f->q, f->tx[0], &f->to[0], d, sizeof d), 0);
    }
    assert_int_equal(f->q.n, 3); /* the first CS_TXQ_CAP went out when the batch filled */
    for (unsigned i = 0; i < CS_TXQ_CAP; i++) {
        assert_int_equal(rx(f->rx[0], got, sizeof got, 1000), (ssize_t)sizeof d);
        assert_int_equal(got[0], (uint8_t)i);
    }
    cs_txq_flush(&f->q);
    for (unsigned i = CS_TXQ_CAP; i < CS_TXQ_CAP + 3; i++) {
        assert_int_equal(rx(f->rx[0], got, sizeof got, 1000), (ssize_t)sizeof d);
        assert_int_equal(got[0], (uint8_t)i);
    }
    f->q.on = 0;
}

static void test_large_datagram_bypasses_the_batch(void **state) {
    fixture *f = *state;
    f->q.on = 1;
    static uint8_t big[CS_TXQ_DGRAM + 100], got[CS_TXQ_DGRAM + 200];
    fill(big, sizeof big, 7);
    assert_int_equal(cs_txq_send(&f->q, f->tx[1], &f->to[1], big, sizeof big), 0);
    assert_int_equal(f->q.n, 0);
    assert_int_equal(rx(f->rx[1], got, sizeof got, 1000), (ssize_t)sizeof big);
    assert_memory_equal(got, big, sizeof big);
    f->q.on = 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_outside_a_batch_sends_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_held_until_flush_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_batch_flushes_itself, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_datagram_bypasses_the_batch, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
