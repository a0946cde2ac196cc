/*
 * fuzz/dtls_fuzz_pair.h - shared by the DTLS fuzz harnesses: an in-memory
 * client/server pair that runs a real PSK handshake (deterministic under
 * COAPSEC_FUZZING: fixed randomness and cookie secret), records the client's
 * datagrams as a seed, and leaves an established server connection behind.
 */
#ifndef COAPSEC_FUZZ_DTLS_PAIR_H
#define COAPSEC_FUZZ_DTLS_PAIR_H

#include <stdio.h>
#include <string.h>

#include "coapsec/dtls.h"

#define FP_ADDR "fuzz-peer:5000"
#define FP_ID   "Client_identity"
#define FP_KEY  "secretPSK"
#define FP_QMAX 32

typedef struct fp_q {
    int n;
    size_t len[FP_QMAX];
    uint8_t d[FP_QMAX][COAPSEC_DTLS_DGRAM_MAX];
} fp_q;

static fp_q fp_to_server, fp_to_client;
static uint8_t fp_seed[8192];
static size_t fp_seed_len;

static void fp_push(fp_q *q, const uint8_t *d, size_t len) {
    if (q->n < FP_QMAX && len <= COAPSEC_DTLS_DGRAM_MAX) {
        memcpy(q->d[q->n], d, len);
        q->len[q->n++] = len;
    }
}

static int fp_client_send(void *user, const uint8_t *d, size_t len) {
    (void)user;
    if (fp_seed_len + 2 + len <= sizeof fp_seed) { /* seed format: u16 length || datagram */
        fp_seed[fp_seed_len] = (uint8_t)(len >> 8);
        fp_seed[fp_seed_len + 1] = (uint8_t)len;
        memcpy(fp_seed + fp_seed_len + 2, d, len);
        fp_seed_len += 2 + len;
    }
    fp_push(&fp_to_server, d, len);
    return 0;
}

static int fp_server_send(void *user, const uint8_t *d, size_t len) {
    (void)user;
    fp_push(&fp_to_client, d, len);
    return 0;
}

static int fp_sink_send(void *user, const uint8_t *d, size_t len) {
    (void)user, (void)d, (void)len;
    return 0;
}

static void fp_sink_recv(void *user, const uint8_t *d, size_t len) {
    (void)user, (void)d, (void)len;
}

static int fp_lookup(void *user, const uint8_t *id, size_t idlen, uint8_t *key, size_t *keylen) {
    (void)user;
    if (idlen != strlen(FP_ID) || memcmp(id, FP_ID, idlen) != 0)
        return -1;
    memcpy(key, FP_KEY, strlen(FP_KEY));
    *keylen = strlen(FP_KEY);
    return 0;
}

static void fp_server_config(coapsec_dtls_config *cfg) {
    coapsec_dtls_config_default(cfg);
    cfg->cb.send = fp_sink_send;
    cfg->cb.recv = fp_sink_recv;
    cfg->psk_lookup = fp_lookup;
    cfg->psk_hint = (const uint8_t *)"oneM2M";
    cfg->psk_hint_len = 6;
}

/* Run a handshake; on return *sconn is established (hs released) and the
 * client's datagrams (plus one application record) are in fp_seed. */
static int fp_handshake(coapsec_dtls_conn *sconn, coapsec_dtls_hs *shs, coapsec_dtls_config *scfg) {
    static coapsec_dtls_config ccfg;
    static coapsec_dtls_conn cconn;
    static coapsec_dtls_hs chs;
    static coapsec_dtls_server srv;
    coapsec_dtls_config_default(&ccfg);
    ccfg.cb.send = fp_client_send;
    ccfg.cb.recv = fp_sink_recv;
    fp_server_config(scfg);
    scfg->cb.send = fp_server_send;
    fp_seed_len = 0;
    fp_to_server.n = fp_to_client.n = 0;
    coapsec_dtls_server_init(&srv, scfg, 0);
    coapsec_dtls_client_start(&cconn, &ccfg, NULL, &chs, (const uint8_t *)FP_ID, strlen(FP_ID),
                              (const uint8_t *)FP_KEY, strlen(FP_KEY), 0);
    int accepted = 0;
    for (int round = 0; round < 20 && (fp_to_server.n || fp_to_client.n); round++) {
        fp_q in = fp_to_server;
        fp_to_server.n = 0;
        for (int i = 0; i < in.n; i++) {
            if (!accepted) {
                uint8_t out[COAPSEC_DTLS_DGRAM_MAX];
                size_t outlen = sizeof out;
                int r = coapsec_dtls_server_hello(&srv, FP_ADDR, strlen(FP_ADDR), in.d[i],
                                                  in.len[i], out, &outlen, 0);
                if (r == COAPSEC_DTLS_HELLO_HVR)
                    fp_push(&fp_to_client, out, outlen);
                else if (r == COAPSEC_DTLS_HELLO_ACCEPT && ++accepted)
                    coapsec_dtls_server_accept(sconn, scfg, NULL, shs, in.d[i], in.len[i], 0);
            } else {
                coapsec_dtls_conn_recv(sconn, in.d[i], in.len[i], 0);
            }
        }
        in = fp_to_client;
        fp_to_client.n = 0;
        for (int i = 0; i < in.n; i++)
            coapsec_dtls_conn_recv(&cconn, in.d[i], in.len[i], 0);
    }
    if (coapsec_dtls_conn_state(&cconn) != COAPSEC_DTLS_ST_ESTABLISHED)
        return -1;
    coapsec_dtls_conn_send(&cconn, (const uint8_t *)"\x40\x01\x12\x34", 4, 0);
    coapsec_dtls_conn_recv(sconn, fp_to_server.d[0], fp_to_server.len[0], 0);
    scfg->cb.send = fp_sink_send;
    return coapsec_dtls_conn_state(sconn) == COAPSEC_DTLS_ST_ESTABLISHED ? 0 : -1;
}

/* COAPSEC_FUZZ_MKSEED=path: write the recorded seed there (used once to make
 * the committed corpus). */
static void fp_maybe_write_seed(const char *env, const uint8_t *data, size_t len) {
    const char *path = getenv(env);
    if (!path)
        return;
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(data, 1, len, f);
        fclose(f);
    }
}

#endif /* COAPSEC_FUZZ_DTLS_PAIR_H */
