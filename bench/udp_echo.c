/*
 * bench/udp_echo.c - a plain UDP echo server (build/bench/coapsec-udp-echo):
 * the ceiling for any CoAP server on this machine's loopback path. Default:
 * one recvfrom + one sendto per datagram, as the CoAP servers measured do;
 * -m: batches of 64 with recvmmsg / sendmmsg. Exits on SIGINT/SIGTERM.
 *
 * usage: coapsec-udp-echo [-m] -A ADDRESS -p PORT
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 64
#define DGRAM 2048

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig) {
    (void)sig;
    stop_flag = 1;
}

static void serve_plain(int fd) {
    static uint8_t buf[DGRAM];
    while (!stop_flag) {
        struct sockaddr_storage from;
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
        if (n < 0)
            continue; /* EINTR: look at stop_flag */
        (void)sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, fl);
    }
}

static void serve_mmsg(int fd) {
    static uint8_t buf[BATCH][DGRAM];
    static struct mmsghdr msg[BATCH];
    static struct iovec iov[BATCH];
    static struct sockaddr_storage from[BATCH];
    while (!stop_flag) {
        for (int i = 0; i < BATCH; i++) {
            iov[i].iov_base = buf[i];
            iov[i].iov_len = DGRAM;
            memset(&msg[i].msg_hdr, 0, sizeof msg[i].msg_hdr);
            msg[i].msg_hdr.msg_iov = &iov[i];
            msg[i].msg_hdr.msg_iovlen = 1;
            msg[i].msg_hdr.msg_name = &from[i];
            msg[i].msg_hdr.msg_namelen = sizeof from[i];
        }
        int n = recvmmsg(fd, msg, BATCH, MSG_WAITFORONE, NULL);
        if (n <= 0)
            continue;
        for (int i = 0; i < n; i++)
            iov[i].iov_len = msg[i].msg_len;
        int done = 0;
        while (done < n) {
            int r = sendmmsg(fd, msg + done, (unsigned)(n - done), 0);
            if (r <= 0) {
                if (r < 0 && errno == EINTR && !stop_flag)
                    continue;
                break;
            }
            done += r;
        }
    }
}

int main(int argc, char **argv) {
    const char *addr = "127.0.0.1";
    long port = -1;
    int use_mmsg = 0, c;
    while ((c = getopt(argc, argv, "mA:p:h")) != -1) {
        switch (c) {
        case 'm':
            use_mmsg = 1;
            break;
        case 'A':
            addr = optarg;
            break;
        case 'p':
            port = strtol(optarg, NULL, 10);
            break;
        default:
            fprintf(stderr, "usage: coapsec-udp-echo [-m] [-A ADDRESS] -p PORT\n");
            return c == 'h' ? 0 : 2;
        }
    }
    if (port <= 0 || port > 65535) {
        fprintf(stderr, "coapsec-udp-echo: -p PORT (1-65535) is required\n");
        return 2;
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
        fprintf(stderr, "coapsec-udp-echo: -A takes an IPv4 address\n");
        return 2;
    }
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int big = 8 << 20;
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        perror("coapsec-udp-echo: bind");
        return 3;
    }
    struct sigaction act;
    memset(&act, 0, sizeof act);
    act.sa_handler = on_signal; /* no SA_RESTART: a signal interrupts the wait */
    sigaction(SIGINT, &act, NULL);
    sigaction(SIGTERM, &act, NULL);
    if (use_mmsg)
        serve_mmsg(fd);
    else
        serve_plain(fd);
    close(fd);
    return 0;
}
