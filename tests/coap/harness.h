/*
 * harness.h - shared fixture for the CoAP engine tests: two engines (node 0
 * the client, node 1 the server) joined by a simnet, a log of every datagram
 * sent (time, direction, bytes), a drop rule, and helpers to build and encode
 * messages. Header-only (static functions) so each test stays one program.
 */
#ifndef COAPSEC_TESTS_COAP_HARNESS_H
#define COAPSEC_TESTS_COAP_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "coapsec/coap.h"
#include "simnet.h"

#define H_NODES 2
#define H_LOG   512

typedef struct hnode {
    coapsec_coap_ctx *ctx;
    coapsec_coap_peer peers[H_NODES];
    uint32_t gen[H_NODES]; /* generation this node tags messages from each other node with */
    simnet *net;
    int id;
    simrng rng;
    int last_rc;
} hnode;

typedef struct hdgram {
    coapsec_tstamp t;
    int from, to, dropped;
    size_t len;
    uint8_t data[COAPSEC_MAX_PDU];
} hdgram;

struct hpair;
/** Return 1 to drop this datagram; nth counts datagrams in this direction so far. */
typedef int (*h_drop_rule)(struct hpair *h, int from, int to, const coapsec_msg *m, int nth);

typedef struct hpair {
    simnet *net;
    hnode n[H_NODES];
    hdgram log[H_LOG];
    int nlog;
    int nth[H_NODES];
    h_drop_rule drop;
    void *drop_state;
} hpair;

static inline int h_send(void *user, coapsec_peer_id peer, const uint8_t *d, size_t len) {
    hnode *n = user;
    return simnet_send(n->net, n->id, (int)peer.slot, d, len);
}

static inline void h_random(void *user, void *buf, size_t len) {
    simrng_fill(&((hnode *)user)->rng, buf, len);
}

static inline void h_deliver(void *node, simnet *net, int from, const uint8_t *d, size_t len,
                             coapsec_tstamp now) {
    hnode *n = node;
    coapsec_peer_id p = {(uint32_t)from, n->gen[from]};
    n->last_rc = coapsec_coap_recv(n->ctx, p, d, len, now);
}

static inline coapsec_tstamp h_expiry(void *node) {
    return coapsec_coap_expiry(((hnode *)node)->ctx);
}

static inline void h_expire(void *node, simnet *net, coapsec_tstamp now) {
    coapsec_coap_handle_expiry(((hnode *)node)->ctx, now);
}

static const simnet_node_ops h_ops = {h_deliver, h_expiry, h_expire};

static inline int h_filter(void *user, simnet *net, int from, int to, const uint8_t *d,
                           size_t len) {
    hpair *h = user;
    int drop = 0;
    int nth = h->nth[from]++;
    if (h->drop != NULL) {
        coapsec_msg m;
        if (coapsec_msg_decode(&m, d, len) == 0)
            drop = h->drop(h, from, to, &m, nth);
    }
    if (h->nlog < H_LOG && len <= COAPSEC_MAX_PDU) {
        hdgram *g = &h->log[h->nlog++];
        g->t = net->now;
        g->from = from;
        g->to = to;
        g->dropped = drop;
        g->len = len;
        memcpy(g->data, d, len);
    }
    return drop;
}

static inline hpair *hpair_new(uint64_t seed, const coapsec_coap_params *p) {
    hpair *h = calloc(1, sizeof(*h));
    assert_non_null(h);
    h->net = simnet_new(H_NODES, seed);
    assert_non_null(h->net);
    simnet_set_filter(h->net, h_filter, h);
    coapsec_coap_callbacks cb = {h_send, h_random, NULL, NULL};
    for (int i = 0; i < H_NODES; i++) {
        hnode *n = &h->n[i];
        n->ctx = calloc(1, sizeof(*n->ctx));
        assert_non_null(n->ctx);
        n->net = h->net;
        n->id = i;
        simrng_seed(&n->rng, seed * 7919 + (uint64_t)i + 1);
        assert_int_equal(coapsec_coap_init(n->ctx, p, &cb, n, n->peers, H_NODES), 0);
        simnet_attach(h->net, i, &h_ops, n);
    }
    for (int i = 0; i < H_NODES; i++) {
        for (int j = 0; j < H_NODES; j++) {
            if (i == j)
                continue;
            h->n[i].gen[j] = 1;
            coapsec_peer_id id = {(uint32_t)j, 1};
            assert_int_equal(coapsec_coap_peer_open(h->n[i].ctx, id), 0);
        }
    }
    return h;
}

static inline void hpair_free(hpair *h) {
    for (int i = 0; i < H_NODES; i++)
        free(h->n[i].ctx);
    simnet_free(h->net);
    free(h);
}

/* Peer id node `from` uses for node `to`. */
static inline coapsec_peer_id h_peer(hpair *h, int from, int to) {
    coapsec_peer_id id = {(uint32_t)to, h->n[from].gen[to]};
    return id;
}

static inline long h_run(hpair *h, coapsec_tstamp until) {
    long n = simnet_run(h->net, until, 0);
    assert_true(n >= 0);
    return n;
}

/* Build a request: type, code, optional "a/b" path (split into Uri-Path), payload. */
typedef struct hreq {
    coapsec_msg m;
    char pathbuf[128];
} hreq;

static inline coapsec_msg *h_req(hreq *r, uint8_t type, uint8_t code, const char *path,
                                 const char *payload) {
    memset(r, 0, sizeof(*r));
    r->m.type = type;
    r->m.code = code;
    if (path != NULL && path[0] != '\0') {
        strncpy(r->pathbuf, path, sizeof(r->pathbuf) - 1);
        char *s = r->pathbuf;
        for (;;) {
            char *slash = strchr(s, '/');
            size_t n = slash ? (size_t)(slash - s) : strlen(s);
            assert_int_equal(coapsec_msg_add_opt(&r->m, COAPSEC_OPT_URI_PATH, s, n), 0);
            if (!slash)
                break;
            s = slash + 1;
        }
    }
    if (payload != NULL) {
        r->m.payload = (const uint8_t *)payload;
        r->m.payload_len = strlen(payload);
    }
    return &r->m;
}

/* Encode a message (for direct injection with coapsec_coap_recv). */
static inline size_t h_encode(const coapsec_msg *m, uint8_t *buf, size_t cap) {
    int n = coapsec_msg_encode(m, buf, cap);
    assert_true(n > 0);
    return (size_t)n;
}

/* Decode logged datagram i. */
static inline void h_log_msg(hpair *h, int i, coapsec_msg *m) {
    assert_true(i >= 0 && i < h->nlog);
    assert_int_equal(coapsec_msg_decode(m, h->log[i].data, h->log[i].len), 0);
}

/* Number of logged datagrams from -> to. */
static inline int h_count(hpair *h, int from, int to) {
    int c = 0;
    for (int i = 0; i < h->nlog; i++)
        c += h->log[i].from == from && h->log[i].to == to;
    return c;
}

/* A recorded response callback. */
typedef struct hres {
    int calls;
    int status;
    uint8_t code;
    uint8_t type;
    coapsec_tstamp t;
    char payload[256];
    simnet *net;
} hres;

static inline void h_resp_cb(void *user, int status, const coapsec_msg *resp,
                             coapsec_peer_id peer) {
    hres *r = user;
    r->calls++;
    r->status = status;
    r->t = r->net != NULL ? r->net->now : 0;
    if (resp != NULL) {
        r->code = resp->code;
        r->type = resp->type;
        size_t n =
            resp->payload_len < sizeof(r->payload) - 1 ? resp->payload_len : sizeof(r->payload) - 1;
        if (n > 0)
            memcpy(r->payload, resp->payload, n);
        r->payload[n] = '\0';
    }
}

#endif /* COAPSEC_TESTS_COAP_HARNESS_H */
