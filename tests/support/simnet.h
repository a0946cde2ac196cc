/*
 * simnet.h - a deterministic simulated datagram network for sans-I/O tests
 * (CoAP, DTLS, anything that moves bytes). N nodes, a virtual clock in ms,
 * per-direction loss, duplication, base latency and random extra delay
 * (which reorders), all driven by one seed. Also a small PRNG (simrng,
 * splitmix64) that tests pass to engines as their random callback.
 *
 * Two ways to drive it:
 *  - by hand: simnet_send() from a node's send callback, then simnet_step()
 *    to pop the next datagram due (the clock jumps to its due time);
 *  - with simnet_attach() + simnet_run(): each node supplies deliver/expiry/
 *    expire callbacks and the loop advances the clock to the earliest event
 *    (datagram or node timer) until everything is quiet.
 */
#ifndef COAPSEC_TESTS_SIMNET_H
#define COAPSEC_TESTS_SIMNET_H

#include <stddef.h>
#include <stdint.h>

#include "coapsec/common.h"

#ifndef SIMNET_MAX_NODES
#define SIMNET_MAX_NODES 8
#endif
#ifndef SIMNET_MAX_QUEUE
#define SIMNET_MAX_QUEUE 512 /* datagrams in flight */
#endif
#ifndef SIMNET_MAX_DGRAM
#define SIMNET_MAX_DGRAM 4096
#endif

/* ---- PRNG ----------------------------------------------------------------- */

typedef struct simrng {
    uint64_t s;
} simrng;

void simrng_seed(simrng *r, uint64_t seed);
uint64_t simrng_next(simrng *r);
/** Uniform in [0, n) (n > 0). */
uint32_t simrng_below(simrng *r, uint32_t n);
/** 1 with probability p (0..1). */
int simrng_chance(simrng *r, double p);
void simrng_fill(simrng *r, void *buf, size_t len);
/** Random callback shape used by the engines: user is a simrng *. */
void simrng_cb(void *user, void *buf, size_t len);

/* ---- network -------------------------------------------------------------- */

/** Behaviour of one direction from -> to. */
typedef struct simnet_link {
    double loss;            /* probability a datagram is dropped */
    double dup;             /* probability a datagram is delivered twice */
    coapsec_tstamp latency; /* base one-way delay, ms */
    coapsec_tstamp jitter;  /* extra delay uniform in [0, jitter] ms: reorders */
    int down;               /* 1: drop everything */
} simnet_link;

struct simnet;

/** Per-send hook, called before loss/dup: return 1 to drop the datagram.
 *  net->now is the send time. */
typedef int (*simnet_filter)(void *user, struct simnet *net, int from, int to, const uint8_t *data,
                             size_t len);

/** Per-node callbacks for simnet_run(). node is the pointer given to simnet_attach(). */
typedef struct simnet_node_ops {
    void (*deliver)(void *node, struct simnet *net, int from, const uint8_t *data, size_t len,
                    coapsec_tstamp now);
    coapsec_tstamp (*expiry)(void *node);                               /* NONE when idle */
    void (*expire)(void *node, struct simnet *net, coapsec_tstamp now); /* run due timers */
} simnet_node_ops;

typedef struct simnet_pkt {
    coapsec_tstamp due;
    uint64_t seq;
    int from, to;
    size_t len;
    uint8_t data[SIMNET_MAX_DGRAM];
} simnet_pkt;

typedef struct simnet {
    coapsec_tstamp now;
    simrng rng;
    int nnodes;
    simnet_link link[SIMNET_MAX_NODES][SIMNET_MAX_NODES];
    simnet_filter filter;
    void *filter_user;
    const simnet_node_ops *ops[SIMNET_MAX_NODES];
    void *node[SIMNET_MAX_NODES];
    /* counters */
    uint64_t sent, delivered, dropped, duplicated, overflow;
    /* private: packet pool + min-heap on (due, seq) */
    uint64_t seq;
    int nfree;
    int16_t freelist[SIMNET_MAX_QUEUE];
    int16_t heap[SIMNET_MAX_QUEUE];
    int nheap;
    simnet_pkt pkt[SIMNET_MAX_QUEUE];
} simnet;

/** Initialise (all links perfect, latency 0, clock at 0). */
void simnet_init(simnet *net, int nnodes, uint64_t seed);
/** Heap-allocated simnet (it is large); free with simnet_free(). */
simnet *simnet_new(int nnodes, uint64_t seed);
void simnet_free(simnet *net);
/** Set the from -> to link; from or to may be -1 for "every node". */
void simnet_set_link(simnet *net, int from, int to, const simnet_link *l);
void simnet_set_filter(simnet *net, simnet_filter f, void *user);
/** Register a node's callbacks for simnet_run(). */
void simnet_attach(simnet *net, int id, const simnet_node_ops *ops, void *node);

/** Queue a datagram at net->now. Returns 0 (queued, dropped or duplicated alike)
 *  or -1 on bad arguments / full queue (counted in overflow). */
int simnet_send(simnet *net, int from, int to, const void *data, size_t len);

/** Due time of the next datagram, or COAPSEC_TSTAMP_NONE. */
coapsec_tstamp simnet_next_due(const simnet *net);
/** Datagrams in flight. */
int simnet_pending(const simnet *net);

/**
 * Pop the next datagram due at or before until (COAPSEC_TSTAMP_NONE: any);
 * the clock advances to its due time (never backwards). Returns 1 and fills
 * from/to/buf/len, or 0 when nothing is due. A datagram longer than cap is
 * truncated (len is the full length).
 */
int simnet_step(simnet *net, coapsec_tstamp until, int *from, int *to, uint8_t *buf, size_t cap,
                size_t *len);

/** Move the clock forward to t (no-op if t <= now). */
void simnet_advance(simnet *net, coapsec_tstamp t);

/**
 * Event loop over attached nodes: repeatedly take the earliest of the next
 * datagram and the nodes' expiries (datagrams first on ties), advance the
 * clock and deliver / expire. Stops when nothing is pending or the next event
 * is after until. Returns the number of events run, or -1 after max_events
 * (guard against livelock; 0 = 1,000,000).
 */
long simnet_run(simnet *net, coapsec_tstamp until, long max_events);

#endif /* COAPSEC_TESTS_SIMNET_H */
