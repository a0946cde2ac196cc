/*
 * endpoint/txq.h - the endpoint's send batch: while a batch of received
 * datagrams is being processed, every datagram the endpoint sends is copied
 * here (with its destination) and they all leave in one sendmmsg() when the
 * batch is done, instead of one sendto() each. Outside a batch, datagrams go
 * out at once.
 */
#ifndef CS_ENDPOINT_TXQ_H
#define CS_ENDPOINT_TXQ_H

#include <stddef.h>
#include <stdint.h>

#include "endpoint/peers.h"

#define CS_TXQ_CAP   64   /* datagrams per sendmmsg() */
#define CS_TXQ_DGRAM 1536 /* larger datagrams bypass the batch */

struct mmsghdr;

typedef struct cs_txq {
    uint8_t (*buf)[CS_TXQ_DGRAM]; /* CS_TXQ_CAP buffers */
    struct mmsghdr *msg;          /* CS_TXQ_CAP headers */
    struct iovec *iov;
    cs_sockaddr *to;
    int *fd;      /* socket of each datagram */
    unsigned n;   /* queued */
    int on;       /* batching (inside a receive batch) */
    uint64_t out; /* datagrams sent */
    uint64_t err; /* datagrams the kernel refused */
} cs_txq;

/** Allocate the batch. 0 or COAPSEC_ERR_NOMEM. */
int cs_txq_init(cs_txq *q);
void cs_txq_free(cs_txq *q);

/**
 * Send (or, while q->on, queue) one datagram to `to` through fd; flushes when
 * the batch is full. 0, or COAPSEC_ERR_IO when an immediate send failed.
 */
int cs_txq_send(cs_txq *q, int fd, const cs_sockaddr *to, const uint8_t *d, size_t len);

/** Send everything queued (consecutive datagrams of one socket per sendmmsg). */
void cs_txq_flush(cs_txq *q);

#endif /* CS_ENDPOINT_TXQ_H */
