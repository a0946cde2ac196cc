/*
 * bench/lg.h - private declarations shared by the load generator's files:
 * the batched loopback socket (netio.c), the latency histogram (histogram.c)
 * and the JSON/text report (report.c).
 *
 * Sessions are told apart by their source address: session address index i
 * maps to a distinct 127.a.b.c address (IP_PKTINFO on one socket), so one
 * socket and one recvmmsg/sendmmsg batch serve any number of sessions.
 */
#ifndef COAPSEC_BENCH_LG_H
#define COAPSEC_BENCH_LG_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/socket.h>

/* ---- netio.c: one UDP socket, many 127/8 source addresses ---------------- */

#define LG_BATCH 64   /* datagrams per recvmmsg / sendmmsg */
#define LG_DGRAM 1536 /* largest datagram handled */

/* Address indices 0 .. LG_ADDR_SPACE-1 map to 127.1.0.1 .. 127.254.255.254
 * (last octet 1..254). */
#define LG_ADDR_SPACE (254u * 256u * 254u)

/** Host-order IPv4 address of address index idx (< LG_ADDR_SPACE). */
uint32_t lg_addr_of(uint32_t idx);
/** Address index of a host-order IPv4 address; -1 if it is not one of ours. */
int64_t lg_idx_of(uint32_t addr);

typedef struct lg_net_stats {
    uint64_t dgrams_out, dgrams_in, bytes_out, bytes_in;
    uint64_t send_drops; /* datagrams dropped because the socket buffer stayed full */
    uint64_t stray;      /* received from somewhere other than the server */
    uint64_t syscalls;   /* sendmmsg + recvmmsg calls */
} lg_net_stats;

typedef union lg_cmsgbuf {
    char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
    struct cmsghdr align;
} lg_cmsgbuf;

typedef struct lg_net {
    int fd;
    struct sockaddr_in server;
    unsigned nsend;
    struct mmsghdr smsg[LG_BATCH];
    struct iovec siov[LG_BATCH];
    lg_cmsgbuf sctl[LG_BATCH];
    uint8_t sbuf[LG_BATCH][LG_DGRAM];
    struct mmsghdr rmsg[LG_BATCH];
    struct iovec riov[LG_BATCH];
    struct sockaddr_in rfrom[LG_BATCH];
    lg_cmsgbuf rctl[LG_BATCH];
    uint8_t rbuf[LG_BATCH][LG_DGRAM];
    lg_net_stats st;
} lg_net;

/** Open the socket (non-blocking, port `port` or ephemeral if 0, loopback
 *  device only where permitted) towards server. 0 or -1 (errno set). */
int lg_net_open(lg_net *n, const struct sockaddr_in *server);
void lg_net_close(lg_net *n);
/** Queue one datagram from address index idx to the server; flushes when the
 *  batch is full. Datagrams longer than LG_DGRAM are dropped (-1). */
int lg_net_queue(lg_net *n, uint32_t idx, const uint8_t *d, size_t len);
/** Send every queued datagram (waits up to 10 ms for socket buffer room, then
 *  drops the rest and counts them). */
void lg_net_flush(lg_net *n);

/** Called for each received datagram; buf may be modified. */
typedef void (*lg_rx_fn)(void *user, uint32_t idx, uint8_t *buf, size_t len);
/** One non-blocking recvmmsg batch: calls fn per datagram from the server to
 *  one of our addresses. Returns the number of datagrams read (0: none). */
int lg_net_recv(lg_net *n, lg_rx_fn fn, void *user);
/** Wait until the socket is readable or timeout_ms passed (-1: no limit). */
void lg_net_wait(lg_net *n, int timeout_ms);

/* ---- histogram.c: latency in microseconds, ~3 % resolution --------------- */

#define LG_HIST_SUB     32 /* sub-buckets per power of two */
#define LG_HIST_BUCKETS (LG_HIST_SUB * 40)

typedef struct lg_hist {
    uint64_t count;
    uint64_t max;
    uint64_t b[LG_HIST_BUCKETS];
} lg_hist;

void lg_hist_reset(lg_hist *h);
void lg_hist_add(lg_hist *h, uint64_t v);
/** Value at quantile q (0..1): the upper bound of the bucket holding it; 0 if empty. */
uint64_t lg_hist_quantile(const lg_hist *h, double q);

/* ---- report.c ------------------------------------------------------------ */

/** The figures of one run. Negative doubles mean "not measured" (JSON null). */
typedef struct lg_result {
    const char *mode;
    const char *uri;
    const char *status; /* "ok", "no-response", "not-implemented", "interrupted" */
    unsigned sessions, active, window;
    double duration_s; /* measured run time */
    double rate_per_s; /* the headline: requests or handshakes per second */
    uint64_t ok, errors, timeouts;
    uint64_t retransmissions;
    double p50_us, p99_us, max_us;
    uint64_t established, failed; /* sessions set up before the run (DTLS get modes) */
    double establish_s;
    double establish_per_s;
    int64_t alive;       /* sessions that answered a GET just before being held; -1: not checked */
    uint64_t handshakes; /* handshakes whose bytes were counted */
    int64_t full_handshakes; /* resume-handshake: full (not abbreviated) handshakes in the
                              * run, the slots' first ones included; -1: other modes */
    double handshake_bytes;  /* mean UDP payload bytes per full handshake, both ways */
    uint64_t dgrams_out, dgrams_in, send_drops;
    double cpu_s;   /* load generator CPU (user+sys) during the run */
    double cpu_pct; /* ... as a share of one core */
} lg_result;

/** Print the one-paragraph text summary to f. */
void lg_report_text(const lg_result *r, FILE *f);
/** Write r as a JSON object to path ("-" = stdout). 0 or -1. */
int lg_report_json(const lg_result *r, const char *path);

#endif /* COAPSEC_BENCH_LG_H */
