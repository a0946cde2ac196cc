/*
 * fuzz/dtls_fuzz_pair.h - shared by the DTLS fuzz harnesses: an in-memory
 * client/server pair that runs a real PSK handshake (deterministic under
 * COAPSEC_FUZZING: fixed randomness and cookie secret), records the client's
 * datagrams as a seed, and leaves an established server connection behind.
 * fp_handshake_mode() does the same for 0xC0AE with X.509 or raw public keys
 * made from fixed private scalars (so that recorded seeds stay valid), and
 * records the server's datagrams too (fp_seed_s2c, for the client harness).
 */
#ifndef COAPSEC_FUZZ_DTLS_PAIR_H
#define COAPSEC_FUZZ_DTLS_PAIR_H

#include <stdio.h>
#include <string.h>

#include "coapsec/dtls.h"
#include "crypto/crypto.h"

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
static uint8_t fp_seed[16384];
static size_t fp_seed_len;
static uint8_t fp_seed_s2c[16384];
static size_t fp_seed_s2c_len;

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
    if (fp_seed_s2c_len + 2 + len <= sizeof fp_seed_s2c) {
        fp_seed_s2c[fp_seed_s2c_len] = (uint8_t)(len >> 8);
        fp_seed_s2c[fp_seed_s2c_len + 1] = (uint8_t)len;
        memcpy(fp_seed_s2c + fp_seed_s2c_len + 2, d, len);
        fp_seed_s2c_len += 2 + len;
    }
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
static inline int fp_handshake(coapsec_dtls_conn *sconn, coapsec_dtls_hs *shs,
                               coapsec_dtls_config *scfg) {
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

/* --- 0xC0AE credentials from fixed scalars ---------------------------------- */
enum { FP_PSK = 0, FP_X509 = 1, FP_RPK = 2 };
static cs_p256_key *fp_ca_key, *fp_srv_key, *fp_cli_key;
static uint8_t fp_ca[1024], fp_srv_list[1200], fp_cli_list[1200];
static size_t fp_ca_len;
static cs_x509_trust *fp_trust;
static coapsec_dtls_identity fp_srv_id, fp_cli_id;
static uint8_t fp_fps[2][32]; /* server, client SPKI fingerprints */
#define FP_NOW INT64_C(1767225600)

static inline int64_t fp_clock(void *user) {
    (void)user;
    return FP_NOW;
}

static inline size_t fp_leaf(const char *cn, uint64_t serial, cs_p256_key *k, uint8_t *list) {
    cs_cert_spec s;
    memset(&s, 0, sizeof s);
    s.cn = cn;
    s.san = "DNS:localhost";
    s.pathlen = -1;
    s.key_usage = CS_KU_DIGITAL_SIGNATURE;
    s.ext_key_usage = CS_EKU_SERVER | CS_EKU_CLIENT;
    s.not_before = FP_NOW - 86400;
    s.not_after = FP_NOW + 86400 * 3650;
    s.serial = serial;
    size_t n = 0;
    if (cs_cert_issue(&s, k, fp_ca, fp_ca_len, fp_ca_key, list + 6, 1024, &n) != 0)
        abort();
    list[0] = (uint8_t)((n + 3) >> 16), list[1] = (uint8_t)((n + 3) >> 8),
    list[2] = (uint8_t)(n + 3);
    list[3] = (uint8_t)(n >> 16), list[4] = (uint8_t)(n >> 8), list[5] = (uint8_t)n;
    return n + 6;
}

static inline void fp_pki_init(void) {
    if (fp_trust)
        return;
    uint8_t d[32];
    cs_p256_key **keys[3] = {&fp_ca_key, &fp_srv_key, &fp_cli_key};
    for (int k = 0; k < 3; k++) {
        for (int i = 0; i < 32; i++)
            d[i] = (uint8_t)(0x10 * (k + 1) + i);
        if (cs_p256_key_from_priv(keys[k], d) != 0)
            abort();
    }
    cs_cert_spec s;
    memset(&s, 0, sizeof s);
    s.cn = "fuzz CA";
    s.is_ca = 1;
    s.pathlen = -1;
    s.key_usage = CS_KU_KEY_CERT_SIGN | CS_KU_CRL_SIGN;
    s.not_before = FP_NOW - 86400;
    s.not_after = FP_NOW + 86400 * 3650;
    s.serial = 1;
    if (cs_cert_issue(&s, fp_ca_key, NULL, 0, fp_ca_key, fp_ca, sizeof fp_ca, &fp_ca_len) != 0 ||
        cs_x509_trust_new(&fp_trust) != 0 || cs_x509_trust_add_der(fp_trust, fp_ca, fp_ca_len) != 0)
        abort();
    fp_srv_id.key = (const coapsec_dtls_key *)(void *)fp_srv_key;
    fp_srv_id.cert_list = fp_srv_list;
    fp_srv_id.cert_list_len = fp_leaf("localhost", 2, fp_srv_key, fp_srv_list);
    fp_cli_id.key = (const coapsec_dtls_key *)(void *)fp_cli_key;
    fp_cli_id.cert_list = fp_cli_list;
    fp_cli_id.cert_list_len = fp_leaf("fuzz-client", 3, fp_cli_key, fp_cli_list);
    uint8_t spki[91];
    coapsec_dtls_key_spki(fp_srv_id.key, spki);
    coapsec_dtls_spki_fingerprint(spki, sizeof spki, fp_fps[0]);
    coapsec_dtls_key_spki(fp_cli_id.key, spki);
    coapsec_dtls_spki_fingerprint(spki, sizeof spki, fp_fps[1]);
}

/* Credentials of mode (FP_X509 and/or FP_RPK bits) into cfg for one side. */
static inline void fp_ecdsa_config(coapsec_dtls_config *cfg, int server, int mode) {
    fp_pki_init();
    if (server)
        cfg->server_identity = &fp_srv_id;
    if (mode & FP_X509) {
        cfg->trust = (const coapsec_dtls_trust *)(void *)fp_trust;
        cfg->wall_clock = fp_clock;
    }
    if (mode & FP_RPK) {
        cfg->rpk_trust = (const uint8_t(*)[32])fp_fps[server ? 1 : 0];
        cfg->rpk_trust_count = 1;
    }
    if (mode == FP_RPK)
        cfg->cert_types = COAPSEC_DTLS_CT_RPK;
}

/* A complete 0xC0AE handshake in memory; both directions recorded. */
static inline int fp_handshake_mode(int mode) {
    static coapsec_dtls_config ccfg, scfg;
    static coapsec_dtls_conn cconn, sconn;
    static coapsec_dtls_hs chs, shs;
    static coapsec_dtls_server srv;
    coapsec_dtls_config_default(&ccfg);
    ccfg.cb.send = fp_client_send;
    ccfg.cb.recv = fp_sink_recv;
    fp_ecdsa_config(&ccfg, 0, mode);
    fp_server_config(&scfg);
    scfg.cb.send = fp_server_send;
    fp_ecdsa_config(&scfg, 1, mode);
    fp_seed_len = fp_seed_s2c_len = 0;
    fp_to_server.n = fp_to_client.n = 0;
    coapsec_dtls_server_init(&srv, &scfg, 0);
    coapsec_dtls_client_creds cr;
    memset(&cr, 0, sizeof cr);
    cr.identity = &fp_cli_id;
    cr.authority = "localhost";
    coapsec_dtls_client_start_ex(&cconn, &ccfg, NULL, &chs, &cr, 0);
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
                    fp_server_send(NULL, out, outlen);
                else if (r == COAPSEC_DTLS_HELLO_ACCEPT && ++accepted)
                    coapsec_dtls_server_accept(&sconn, &scfg, NULL, &shs, in.d[i], in.len[i], 0);
            } else {
                coapsec_dtls_conn_recv(&sconn, in.d[i], in.len[i], 0);
            }
        }
        in = fp_to_client;
        fp_to_client.n = 0;
        for (int i = 0; i < in.n; i++)
            coapsec_dtls_conn_recv(&cconn, in.d[i], in.len[i], 0);
    }
    int ok = coapsec_dtls_conn_state(&cconn) == COAPSEC_DTLS_ST_ESTABLISHED &&
             coapsec_dtls_conn_state(&sconn) == COAPSEC_DTLS_ST_ESTABLISHED;
    coapsec_dtls_conn_close(&cconn, 0);
    coapsec_dtls_conn_close(&sconn, 0);
    return ok ? 0 : -1;
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
