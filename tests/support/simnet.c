/*
 * simnet.c - the simulated datagram network and PRNG declared in simnet.h:
 * a packet pool ordered by a min-heap on (due time, send order), with loss,
 * duplication and delay drawn from a splitmix64 stream.
 */
#include "simnet.h"

#include <stdlib.h>
#include <string.h>

/* ---- PRNG (splitmix64) ---------------------------------------------------- */

void simrng_seed(simrng *r, uint64_t seed) {
    r->s = seed;
}

uint64_t simrng_next(simrng *r) {
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint32_t simrng_below(simrng *r, uint32_t n) {
    if (n == 0)
        return 0;
    return (uint32_t)(((simrng_next(r) >> 32) * (uint64_t)n) >> 32);
}

int simrng_chance(simrng *r, double p) {
    if (p <= 0.0)
        return 0;
    if (p >= 1.0)
        return 1;
    return (double)(simrng_next(r) >> 11) * (1.0 / 9007199254740992.0) < p;
}

void simrng_fill(simrng *r, void *buf, size_t len) {
    uint8_t *p = buf;
    while (len > 0) {
        uint64_t v = simrng_next(r);
        size_t n = len < 8 ? len : 8;
        memcpy(p, &v, n);
        p += n;
        len -= n;
    }
}

void simrng_cb(void *user, void *buf, size_t len) {
    simrng_fill(user, buf, len);
}

/* ---- heap on (due, seq) ----------------------------------------------------- */

static int pkt_before(const simnet *net, int a, int b) {
    const simnet_pkt *pa = &net->pkt[a], *pb = &net->pkt[b];
    return pa->due < pb->due || (pa->due == pb->due && pa->seq < pb->seq);
}

static void heap_push(simnet *net, int idx) {
    int i = net->nheap++;
    net->heap[i] = (int16_t)idx;
    while (i > 0) {
        int parent = (i - 1) / 2;
        if (!pkt_before(net, net->heap[i], net->heap[parent]))
            break;
        int16_t t = net->heap[i];
        net->heap[i] = net->heap[parent];
        net->heap[parent] = t;
        i = parent;
    }
}

static int heap_pop(simnet *net) {
    int top = net->heap[0];
    net->heap[0] = net->heap[--net->nheap];
    int i = 0;
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < net->nheap && pkt_before(net, net->heap[l], net->heap[m]))
            m = l;
        if (r < net->nheap && pkt_before(net, net->heap[r], net->heap[m]))
            m = r;
        if (m == i)
            break;
        int16_t t = net->heap[i];
        net->heap[i] = net->heap[m];
        net->heap[m] = t;
        i = m;
    }
    return top;
}

/* ---- network ------------------------------------------------------------------- */

void simnet_init(simnet *net, int nnodes, uint64_t seed) {
    memset(net, 0, sizeof(*net));
    if (nnodes > SIMNET_MAX_NODES)
        nnodes = SIMNET_MAX_NODES;
    net->nnodes = nnodes;
    simrng_seed(&net->rng, seed);
    for (int i = 0; i < SIMNET_MAX_QUEUE; i++)
        net->freelist[i] = (int16_t)(SIMNET_MAX_QUEUE - 1 - i);
    net->nfree = SIMNET_MAX_QUEUE;
}

simnet *simnet_new(int nnodes, uint64_t seed) {
    simnet *net = malloc(sizeof(*net));
    if (net != NULL)
        simnet_init(net, nnodes, seed);
    return net;
}

void simnet_free(simnet *net) {
    free(net);
}

void simnet_set_link(simnet *net, int from, int to, const simnet_link *l) {
    for (int f = 0; f < net->nnodes; f++) {
        if (from >= 0 && f != from)
            continue;
        for (int t = 0; t < net->nnodes; t++) {
            if (to >= 0 && t != to)
                continue;
            net->link[f][t] = *l;
        }
    }
}

void simnet_set_filter(simnet *net, simnet_filter f, void *user) {
    net->filter = f;
    net->filter_user = user;
}

void simnet_attach(simnet *net, int id, const simnet_node_ops *ops, void *node) {
    if (id < 0 || id >= net->nnodes)
        return;
    net->ops[id] = ops;
    net->node[id] = node;
}

static int enqueue(simnet *net, int from, int to, const void *data, size_t len) {
    const simnet_link *l = &net->link[from][to];
    if (net->nfree == 0) {
        net->overflow++;
        return -1;
    }
    int idx = net->freelist[--net->nfree];
    simnet_pkt *p = &net->pkt[idx];
    p->due = net->now + l->latency;
    if (l->jitter > 0)
        p->due += simrng_below(&net->rng, (uint32_t)l->jitter + 1);
    p->seq = net->seq++;
    p->from = from;
    p->to = to;
    p->len = len;
    memcpy(p->data, data, len);
    heap_push(net, idx);
    return 0;
}

int simnet_send(simnet *net, int from, int to, const void *data, size_t len) {
    if (from < 0 || from >= net->nnodes || to < 0 || to >= net->nnodes || len > SIMNET_MAX_DGRAM ||
        (data == NULL && len > 0))
        return -1;
    net->sent++;
    if (net->filter != NULL && net->filter(net->filter_user, net, from, to, data, len)) {
        net->dropped++;
        return 0;
    }
    const simnet_link *l = &net->link[from][to];
    if (l->down || simrng_chance(&net->rng, l->loss)) {
        net->dropped++;
        return 0;
    }
    if (enqueue(net, from, to, data, len) != 0)
        return -1;
    if (simrng_chance(&net->rng, l->dup)) {
        net->duplicated++;
        (void)enqueue(net, from, to, data, len);
    }
    return 0;
}

coapsec_tstamp simnet_next_due(const simnet *net) {
    return net->nheap > 0 ? net->pkt[net->heap[0]].due : COAPSEC_TSTAMP_NONE;
}

int simnet_pending(const simnet *net) {
    return net->nheap;
}

void simnet_advance(simnet *net, coapsec_tstamp t) {
    if (t != COAPSEC_TSTAMP_NONE && t > net->now)
        net->now = t;
}

int simnet_step(simnet *net, coapsec_tstamp until, int *from, int *to, uint8_t *buf, size_t cap,
                size_t *len) {
    if (net->nheap == 0 || net->pkt[net->heap[0]].due > until)
        return 0;
    int idx = heap_pop(net);
    simnet_pkt *p = &net->pkt[idx];
    simnet_advance(net, p->due);
    *from = p->from;
    *to = p->to;
    *len = p->len;
    memcpy(buf, p->data, p->len < cap ? p->len : cap);
    net->freelist[net->nfree++] = (int16_t)idx;
    net->delivered++;
    return 1;
}

long simnet_run(simnet *net, coapsec_tstamp until, long max_events) {
    static uint8_t buf[SIMNET_MAX_DGRAM];
    long events = 0;
    if (max_events <= 0)
        max_events = 1000000;
    for (;;) {
        coapsec_tstamp t = simnet_next_due(net);
        int is_pkt = t != COAPSEC_TSTAMP_NONE;
        int node = -1;
        for (int i = 0; i < net->nnodes; i++) {
            if (net->ops[i] == NULL || net->ops[i]->expiry == NULL)
                continue;
            coapsec_tstamp e = net->ops[i]->expiry(net->node[i]);
            if (e < t) {
                t = e;
                node = i;
                is_pkt = 0;
            }
        }
        if (t == COAPSEC_TSTAMP_NONE || t > until)
            return events;
        if (events >= max_events)
            return -1;
        events++;
        if (is_pkt) {
            int from, to;
            size_t len;
            simnet_step(net, t, &from, &to, buf, sizeof(buf), &len);
            if (net->ops[to] != NULL && net->ops[to]->deliver != NULL)
                net->ops[to]->deliver(net->node[to], net, from, buf, len, net->now);
        } else {
            simnet_advance(net, t);
            net->ops[node]->expire(net->node[node], net, net->now);
        }
    }
}
