/*
 * tests/flood/flooder.c - a DTLS handshake flooder for tests/tool/test_flood.sh.
 * Opens N client sockets, spread over M loopback source addresses
 * (127.0.A.B, many source ports each), starts a DTLS-PSK handshake on each
 * with the coapsec DTLS engine, answers the server's HelloVerifyRequest with
 * the cookie (RFC 6347 §4.2.1) and then stalls: it never reads again, so
 * every accepted handshake stays half-open on the server until it times out.
 *
 * usage: flooder PORT COUNT ADDRS SECONDS  (server 127.0.0.1:PORT)
 * Prints "flood: hellos=N cookies=N flights=N" where flights counts sockets
 * that received more than the cookie challenge (a handshake the server took on).
 */
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "coapsec/dtls.h"

#define MAXF 512

typedef struct flood {
    int fd;
    struct sockaddr_in to;
    coapsec_dtls_conn conn;
    coapsec_dtls_hs hs;
    int got; /* datagrams received */
} flood;

static flood F[MAXF];

static int f_send(void *user, const uint8_t *d, size_t len) {
    flood *f = user;
    return sendto(f->fd, d, len, 0, (struct sockaddr *)&f->to, sizeof f->to) < 0 ? -1 : 0;
}
static void f_recv(void *user, const uint8_t *d, size_t len) {
    (void)user;
    (void)d;
    (void)len;
}
static void f_event(void *user, const coapsec_dtls_event *ev) {
    (void)user;
    (void)ev;
}

static coapsec_tstamp now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (coapsec_tstamp)ts.tv_sec * 1000 + (coapsec_tstamp)ts.tv_nsec / 1000000;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: flooder PORT COUNT ADDRS SECONDS\n");
        return 2;
    }
    int port = atoi(argv[1]), count = atoi(argv[2]), addrs = atoi(argv[3]);
    int secs = atoi(argv[4]);
    if (port <= 0 || port > 65535 || count <= 0 || count > MAXF || addrs <= 0 || addrs > 250 ||
        secs <= 0) {
        fprintf(stderr, "flooder: bad arguments\n");
        return 2;
    }
    coapsec_dtls_config cfg;
    coapsec_dtls_config_default(&cfg);
    cfg.cb.send = f_send;
    cfg.cb.recv = f_recv;
    cfg.cb.event = f_event;
    static const uint8_t key[] = "flood-key-0123456789";
    int hellos = 0;
    for (int i = 0; i < count; i++) {
        flood *f = &F[i];
        f->fd = socket(AF_INET, SOCK_DGRAM, 0);
        if (f->fd < 0) {
            perror("flooder: socket");
            return 1;
        }
        struct sockaddr_in src;
        memset(&src, 0, sizeof src);
        src.sin_family = AF_INET;
        /* 127.0.A.B with B in 2..251: many addresses, several ports each */
        src.sin_addr.s_addr = htonl(0x7F000000u | (uint32_t)(1 + i % addrs / 250) << 8 |
                                    (uint32_t)(2 + i % addrs % 250));
        if (bind(f->fd, (struct sockaddr *)&src, sizeof src) != 0) {
            perror("flooder: bind");
            return 1;
        }
        f->to.sin_family = AF_INET;
        f->to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        f->to.sin_port = htons((uint16_t)port);
        if (coapsec_dtls_client_start(&f->conn, &cfg, f, &f->hs, (const uint8_t *)"flooder", 7, key,
                                      sizeof key - 1, now_ms()) == 0)
            hellos++;
    }
    int cookies = 0;
    coapsec_tstamp end = now_ms() + (coapsec_tstamp)secs * 1000;
    while (now_ms() < end) {
        struct pollfd pf[MAXF];
        for (int i = 0; i < count; i++) {
            pf[i].fd = F[i].fd;
            pf[i].events = POLLIN;
            pf[i].revents = 0;
        }
        if (poll(pf, (nfds_t)count, 100) <= 0)
            continue;
        for (int i = 0; i < count; i++) {
            if (!(pf[i].revents & POLLIN))
                continue;
            uint8_t buf[2048];
            ssize_t n = recv(F[i].fd, buf, sizeof buf, MSG_DONTWAIT);
            if (n <= 0)
                continue;
            if (F[i].got++ == 0) { /* the HelloVerifyRequest: answer with the cookie */
                coapsec_dtls_conn_recv(&F[i].conn, buf, (size_t)n, now_ms());
                cookies++;
            } /* later datagrams (the server's flight) are read and ignored: stall */
        }
    }
    int flights = 0;
    for (int i = 0; i < count; i++) {
        flights += F[i].got > 1;
        close(F[i].fd);
    }
    printf("flood: hellos=%d cookies=%d flights=%d\n", hellos, cookies, flights);
    return 0;
}
