/*
 * endpoint/txq.c - the send batch of txq.h: datagrams produced while a
 * receive batch is processed are copied into fixed buffers allocated once
 * and sent with sendmmsg() (one call per run of datagrams on the same
 * socket) when the batch ends or the buffers are full.
 */
#define _GNU_SOURCE /* sendmmsg() */
#include "endpoint/txq.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "coapsec/common.h"

int cs_txq_init(cs_txq *q) {
    memset(q, 0, sizeof *q);
    q->buf = malloc(sizeof *q->buf * CS_TXQ_CAP);
    q->msg = calloc(CS_TXQ_CAP, sizeof *q->msg);
    q->iov = calloc(CS_TXQ_CAP, sizeof *q->iov);
    q->to = calloc(CS_TXQ_CAP, sizeof *q->to);
    q->fd = calloc(CS_TXQ_CAP, sizeof *q->fd);
    if (!q->buf || !q->msg || !q->iov || !q->to || !q->fd) {
        cs_txq_free(q);
        return COAPSEC_ERR_NOMEM;
    }
    return 0;
}

void cs_txq_free(cs_txq *q) {
    free(q->buf);
    free(q->msg);
    free(q->iov);
    free(q->to);
    free(q->fd);
    memset(q, 0, sizeof *q);
}

static int send_now(cs_txq *q, int fd, const cs_sockaddr *to, const uint8_t *d, size_t len) {
    ssize_t n;
    do
        n = sendto(fd, d, len, 0, &to->sa, cs_sockaddr_len(to));
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        q->err++;
        return COAPSEC_ERR_IO;
    }
    q->out++;
    return 0;
}

/* Send msg[from, to) (all on one socket); a datagram the kernel refuses is
 * counted and skipped, as a failed sendto() would be. */
static void send_run(cs_txq *q, unsigned from, unsigned to) {
    while (from < to) {
        int n = sendmmsg(q->fd[from], &q->msg[from], to - from, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            q->err++;
            from++;
            continue;
        }
        q->out += (unsigned)n;
        from += (unsigned)n;
    }
}

void cs_txq_flush(cs_txq *q) {
    unsigned n = q->n, start = 0;
    q->n = 0;
    for (unsigned i = 1; i <= n; i++)
        if (i == n || q->fd[i] != q->fd[start]) {
            send_run(q, start, i);
            start = i;
        }
}

int cs_txq_send(cs_txq *q, int fd, const cs_sockaddr *to, const uint8_t *d, size_t len) {
    if (!q->on || !q->buf || len > CS_TXQ_DGRAM)
        return send_now(q, fd, to, d, len);
    if (q->n == CS_TXQ_CAP)
        cs_txq_flush(q);
    unsigned i = q->n++;
    memcpy(q->buf[i], d, len);
    q->to[i] = *to;
    q->fd[i] = fd;
    q->iov[i].iov_base = q->buf[i];
    q->iov[i].iov_len = len;
    struct msghdr *h = &q->msg[i].msg_hdr;
    memset(h, 0, sizeof *h);
    h->msg_name = &q->to[i];
    h->msg_namelen = cs_sockaddr_len(to);
    h->msg_iov = &q->iov[i];
    h->msg_iovlen = 1;
    return 0;
}
