/*
 * tests/dtls/pair.h - test harness shared by the DTLS unit tests: a client
 * and a server engine (node 0 and node 1) on the simulated network, with a
 * seeded PRNG, a PSK table, counters for every callback, and a hook that
 * lets a test rewrite datagrams in flight (pair.mangle). Header-only
 * (static functions) so that each test program stays self-contained.
 */
#ifndef COAPSEC_TESTS_DTLS_PAIR_H
#define COAPSEC_TESTS_DTLS_PAIR_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "coapsec/dtls.h"
#include "simnet.h"

#define PAIR_ID  "Client_identity"
#define PAIR_KEY "secretPSK"

typedef struct tnode {
    struct tpair *pair;
    int id, peer;
    bool is_server, started;
    coapsec_dtls_config cfg;
    coapsec_dtls_conn conn;
    coapsec_dtls_hs hs;
    coapsec_dtls_server srv;
    simrng rng;
    /* observations */
    int established, failed, closed, released, hvr_sent, ems, app_count;
    int fail_err, fail_alert, fail_from_peer;
    const char *fail_reason;
    char fail_text[256]; /* copy of fail_reason */
    int peer_auth;       /* ESTABLISHED: enum coapsec_dtls_peer_auth */
    char peer_name[128];
    uint8_t peer_fp[32];
    unsigned suite;
    coapsec_tstamp done_at;
    char psk_id[COAPSEC_DTLS_PSK_ID_MAX + 1];
    uint8_t app[2048];
    size_t app_len;
    size_t max_dgram;
    long sent;
} tnode;

typedef struct tpair {
    simnet *net;
    tnode c, s;
    const uint8_t *server_key; /* what the server's lookup answers */
    size_t server_key_len;
    const char *known_id;
    /* Optional: rewrite a datagram sent by `from` in place; returns its new length. */
    size_t (*mangle)(struct tpair *p, struct tnode *from, uint8_t *d, size_t len, size_t cap);
    void *mangle_user;
} tpair;

static inline int pair_rand(void *user, uint8_t *buf, size_t len) {
    simrng_fill((simrng *)user, buf, len);
    return 0;
}

static inline int pair_send(void *user, const uint8_t *d, size_t len) {
    tnode *n = user;
    n->sent++;
    if (len > n->max_dgram)
        n->max_dgram = len;
    uint8_t tmp[SIMNET_MAX_DGRAM];
    if (n->pair->mangle && len <= sizeof tmp) {
        memcpy(tmp, d, len);
        len = n->pair->mangle(n->pair, n, tmp, len, sizeof tmp);
        d = tmp;
    }
    return simnet_send(n->pair->net, n->id, n->peer, d, len);
}

static inline void pair_recv(void *user, const uint8_t *d, size_t len) {
    tnode *n = user;
    n->app_count++;
    n->app_len = len < sizeof n->app ? len : sizeof n->app;
    memcpy(n->app, d, n->app_len);
}

static inline void pair_event(void *user, const coapsec_dtls_event *ev) {
    tnode *n = user;
    switch (ev->type) {
    case COAPSEC_DTLS_EV_ESTABLISHED:
        n->established++;
        n->suite = ev->suite;
        n->ems = ev->ems;
        n->done_at = n->pair->net->now;
        memcpy(n->psk_id, ev->psk_id, ev->psk_id_len);
        n->psk_id[ev->psk_id_len] = 0;
        n->peer_auth = ev->peer_auth;
        snprintf(n->peer_name, sizeof n->peer_name, "%s", ev->peer_name ? ev->peer_name : "");
        if (ev->peer_key_sha256)
            memcpy(n->peer_fp, ev->peer_key_sha256, 32);
        break;
    case COAPSEC_DTLS_EV_FAILED:
        n->failed++;
        n->fail_err = ev->err;
        n->fail_alert = ev->alert;
        n->fail_from_peer = ev->alert_from_peer;
        n->fail_reason = ev->reason;
        snprintf(n->fail_text, sizeof n->fail_text, "%s", ev->reason ? ev->reason : "");
        n->done_at = n->pair->net->now;
        break;
    case COAPSEC_DTLS_EV_CLOSED:
        n->closed++;
        break;
    case COAPSEC_DTLS_EV_HS_RELEASED:
        n->released++;
        break;
    }
}

static inline int pair_lookup(void *user, const uint8_t *id, size_t idlen, uint8_t *key,
                              size_t *keylen) {
    tpair *p = user;
    if (idlen != strlen(p->known_id) || memcmp(id, p->known_id, idlen) != 0)
        return -1;
    memcpy(key, p->server_key, p->server_key_len);
    *keylen = p->server_key_len;
    return 0;
}

static inline void node_deliver(void *node, simnet *net, int from, const uint8_t *data, size_t len,
                                coapsec_tstamp now) {
    tnode *n = node;
    uint8_t buf[SIMNET_MAX_DGRAM];
    memcpy(buf, data, len);
    if (n->is_server && !n->started) {
        uint8_t out[COAPSEC_DTLS_DGRAM_MAX];
        size_t outlen = sizeof out;
        int r = coapsec_dtls_server_hello(&n->srv, &from, sizeof from, buf, len, out, &outlen, now);
        if (r == COAPSEC_DTLS_HELLO_HVR) {
            n->hvr_sent++;
            simnet_send(net, n->id, from, out, outlen);
        } else if (r == COAPSEC_DTLS_HELLO_ACCEPT) {
            n->started = true;
            coapsec_dtls_server_accept(&n->conn, &n->cfg, n, &n->hs, buf, len, now);
        }
        return;
    }
    if (n->started)
        coapsec_dtls_conn_recv(&n->conn, buf, len, now);
}

static inline coapsec_tstamp node_expiry(void *node) {
    tnode *n = node;
    return n->started ? coapsec_dtls_conn_expiry(&n->conn) : COAPSEC_TSTAMP_NONE;
}

static inline void node_expire(void *node, simnet *net, coapsec_tstamp now) {
    tnode *n = node;
    coapsec_dtls_conn_handle_expiry(&n->conn, now);
}

static const simnet_node_ops node_ops = {node_deliver, node_expiry, node_expire};

static inline void node_setup(tpair *p, tnode *n, int id, int peer, bool server, uint64_t seed) {
    memset(n, 0, sizeof *n);
    n->pair = p;
    n->id = id;
    n->peer = peer;
    n->is_server = server;
    simrng_seed(&n->rng, seed);
    coapsec_dtls_config_default(&n->cfg);
    n->cfg.cb.send = pair_send;
    n->cfg.cb.recv = pair_recv;
    n->cfg.cb.event = pair_event;
    n->cfg.rand = pair_rand;
    n->cfg.rand_user = &n->rng;
    if (server) {
        n->cfg.psk_lookup = pair_lookup;
        n->cfg.psk_user = p;
    }
}

/* Set up both nodes (not started). Configs may be tweaked before pair_start. */
static inline void pair_init(tpair *p, uint64_t seed) {
    memset(p, 0, sizeof *p);
    p->net = simnet_new(2, seed);
    p->server_key = (const uint8_t *)PAIR_KEY;
    p->server_key_len = strlen(PAIR_KEY);
    p->known_id = PAIR_ID;
    node_setup(p, &p->c, 0, 1, false, seed * 7 + 1);
    node_setup(p, &p->s, 1, 0, true, seed * 7 + 2);
    simnet_attach(p->net, 0, &node_ops, &p->c);
    simnet_attach(p->net, 1, &node_ops, &p->s);
}

static inline int pair_start_with(tpair *p, const char *id, const char *key) {
    coapsec_dtls_server_init(&p->s.srv, &p->s.cfg, p->net->now);
    p->c.started = true;
    return coapsec_dtls_client_start(&p->c.conn, &p->c.cfg, &p->c, &p->c.hs, (const uint8_t *)id,
                                     strlen(id), (const uint8_t *)key, strlen(key), p->net->now);
}

static inline int pair_start(tpair *p) {
    return pair_start_with(p, PAIR_ID, PAIR_KEY);
}

static inline long pair_run(tpair *p, coapsec_tstamp until) {
    return simnet_run(p->net, until, 2000000);
}

static inline void pair_free(tpair *p) {
    simnet_free(p->net);
    p->net = NULL;
}

#endif /* COAPSEC_TESTS_DTLS_PAIR_H */
