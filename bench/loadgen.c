/*
 * bench/loadgen.c - the load generator: options, sessions, the event loop and
 * the measurement phases (establish, run, hold). It drives the sans-I/O CoAP
 * engine (one context per 64 outstanding requests) and the sans-I/O DTLS
 * engine (one caller-owned connection per session, a small pool of handshake
 * objects) over the batched socket of netio.c.
 *
 * Modes:
 *   nosec            CoAP CON GET over plain UDP (coap://)
 *   psk              CoAP CON GET over DTLS 1.2 PSK-AES128-CCM8 (coaps://)
 *   psk-handshake    full PSK handshakes/s: handshake, close_notify, repeat
 *                    from a fresh source address
 *   ecdhe-handshake  full ECDHE-ECDSA handshakes/s (TLS_ECDHE_ECDSA_WITH_
 *                    AES_128_CCM_8, raw public keys, mutual authentication):
 *                    like psk-handshake, the client presenting a P-256 key
 *   cert-handshake   the same with X.509 certificates (TS-0008 Certificate
 *                    mode): the client presents --cert/--key and verifies
 *                    the server's chain against --ca, the server verifies
 *                    the client's chain
 *   resume-handshake abbreviated PSK handshakes/s (RFC 5246 §7.3 session ID
 *                    or RFC 5077 ticket, whichever the server gives): each
 *                    slot does one full handshake, keeps the session and
 *                    then resumes it again and again, each time from a
 *                    fresh source address (a device coming back after a NAT
 *                    rebinding); only handshakes the server really
 *                    abbreviated count, full ones are reported apart
 *   echo             CoAP-sized datagrams to a plain UDP echo server: the
 *                    ceiling of the machine's loopback path
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "coapsec/coap.h"
#include "coapsec/dtls.h"
#include "coapsec/msg.h"
#include "lg.h"
#include "loadgen.h"

enum lg_mode { M_NOSEC, M_PSK, M_PSK_HS, M_ECDHE_HS, M_RESUME_HS, M_ECHO, M_CERT_HS };
static const char *const mode_names[] = {
    "nosec", "psk",           "psk-handshake", "ecdhe-handshake", "resume-handshake",
    "echo",  "cert-handshake"};

enum sess_state { SS_IDLE, SS_HS, SS_UP, SS_DEAD };

#define GROUP_WINDOW 64 /* = COAPSEC_COAP_MAX_EXCHANGES: requests one engine context holds */
#define PQ_MAX       256
#define TX_HOLD_US   100 /* longest a queued datagram waits for its batch (see on_datagram) */
#define PATH_MAX_LEN 256

typedef struct lg_session {
    coapsec_dtls_conn dtls;
    uint64_t hs_start_us;
    uint64_t last_send_us; /* echo mode: for the loss sweep */
    uint32_t addr;         /* address index (lg_addr_of) */
    uint32_t gen;          /* CoAP peer generation / handshake count */
    uint32_t hs_bytes;
    int32_t hs_pos; /* position in hs_active, -1 */
    int32_t hs_obj; /* lent handshake object, -1 */
    uint16_t outstanding;
    uint8_t state;
    uint8_t ev_up, ev_down;
    uint8_t warm;    /* DTLS get mode: 1 once the first request after the handshake ended */
    uint8_t probing; /* verify phase: 1 while the probe GET is out, 2 once answered */
    uint8_t resumed; /* resume-handshake: the handshake that just ended was abbreviated */
    uint8_t saved;   /* resume-handshake: saved[] holds a session to offer */
} lg_session;

struct lg;

typedef struct lg_group {
    struct lg *L;
    uint32_t gi;
    coapsec_coap_ctx *ctx;
    coapsec_coap_peer *peers;
    uint32_t npeers, nactive, rr;
    uint32_t window, outstanding;
} lg_group;

typedef struct lg_req {
    struct lg *L;
    uint64_t t_us;
    uint32_t sess;
    int32_t next;
} lg_req;

typedef struct lg_pq {
    uint32_t sess;
    uint16_t len;
    uint8_t d[COAPSEC_MAX_PDU];
} lg_pq;

typedef struct lg {
    /* options */
    int mode;
    const char *uri_text, *psk_id, *psk_key, *json, *ready_file, *path_opt, *key_file;
    const char *cert_file, *ca_file; /* cert-handshake */
    unsigned S, A, W, hs_window;
    uint32_t addr_base; /* first address index of this run */
    double duration, hold, est_timeout;
    int quiet;
    /* target */
    coapsec_uri uri;
    struct sockaddr_in server;
    char path[PATH_MAX_LEN];
    coapsec_msg tmpl;
    uint8_t echo_pdu[COAPSEC_MAX_PDU];
    size_t echo_len;
    /* state */
    lg_net *net;
    lg_session *s;
    uint32_t addr_mod; /* handshake mode: address indices cycle modulo this */
    coapsec_dtls_config dcfg;
    coapsec_dtls_key *ec_key;    /* ecdhe-handshake: our P-256 key (--key, else generated) */
    coapsec_dtls_identity ec_id; /* ... presented as a raw public key (or with a chain) */
    coapsec_dtls_trust *trust;   /* cert-handshake: the CA that signed the server's chain */
    uint8_t *cert_list;          /* cert-handshake: our chain as a TLS certificate_list */
    coapsec_dtls_hs *hs;
    coapsec_dtls_session *saved; /* resume-handshake: one saved session per slot */
    int32_t *hs_free;
    uint32_t nhs, nhs_free;
    uint32_t *hs_active;
    uint32_t nhs_active, hs_inflight;
    uint32_t *idle; /* handshake mode: sessions ready for the next handshake;
                     * psk mode: established sessions waiting for their first request */
    uint32_t nidle;
    uint64_t warmed, alive;
    lg_group *g;
    uint32_t ng;
    unsigned per_sess_cap;
    lg_req *req;
    int32_t req_free;
    uint32_t outstanding;
    lg_pq *pq;
    uint32_t npq;
    int in_dtls, in_expiry;
    uint32_t cur;
    uint32_t next_establish;
    uint64_t now_us;
    coapsec_tstamp now_ms;
    uint64_t rng;
    uint16_t echo_mid;
    /* counters (reset when the run starts) */
    int measuring;
    uint64_t ok, errors, timeouts, retrans;
    uint64_t established, failed;
    uint64_t full_hs; /* resume-handshake: handshakes that were not abbreviated */
    uint64_t hs_bytes_total, hs_counted;
    lg_hist hist;
} lg;

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig) {
    (void)sig;
    stop_flag = 1;
}

static uint64_t mono_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void tick(lg *L) {
    L->now_us = mono_us();
    L->now_ms = L->now_us / 1000u;
}

static double cpu_seconds(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static uint64_t xorshift(lg *L) {
    uint64_t x = L->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return L->rng = x;
}

/* Handshake modes: each slot handshakes, closes and starts over. */
static int is_hs(const lg *L) {
    return L->mode == M_PSK_HS || L->mode == M_ECDHE_HS || L->mode == M_RESUME_HS ||
           L->mode == M_CERT_HS;
}

static int is_dtls(const lg *L) {
    return L->mode == M_PSK || is_hs(L);
}

static int is_get(const lg *L) {
    return L->mode == M_NOSEC || L->mode == M_PSK;
}

static lg_group *group_of(lg *L, uint32_t i) {
    return &L->g[i % L->ng];
}

static coapsec_peer_id peer_of(lg *L, uint32_t i) {
    coapsec_peer_id p = {i / L->ng, L->s[i].gen};
    return p;
}

/* ---- handshake object pool ------------------------------------------------ */

static void hs_release(lg *L, uint32_t i) {
    lg_session *s = &L->s[i];
    if (s->hs_obj >= 0)
        L->hs_free[L->nhs_free++] = s->hs_obj;
    s->hs_obj = -1;
    if (s->hs_pos >= 0) {
        uint32_t last = L->hs_active[--L->nhs_active];
        L->hs_active[s->hs_pos] = last;
        L->s[last].hs_pos = s->hs_pos;
        s->hs_pos = -1;
    }
}

/* ---- DTLS callbacks (the session is L->cur: every DTLS call sets it) ------- */

static int dtls_send(void *user, const uint8_t *dgram, size_t len) {
    lg *L = user;
    lg_session *s = &L->s[L->cur];
    if (s->state == SS_HS) {
        s->hs_bytes += (uint32_t)len;
        if (L->in_expiry && L->measuring)
            L->retrans++;
    }
    return lg_net_queue(L->net, s->addr, dgram, len);
}

static void dtls_recv(void *user, const uint8_t *data, size_t len) {
    lg *L = user;
    if (!is_get(L))
        return;
    uint32_t i = L->cur;
    if (L->s[i].state != SS_UP)
        return;
    (void)coapsec_coap_recv(group_of(L, i)->ctx, peer_of(L, i), data, len, L->now_ms);
}

static void dtls_event(void *user, const coapsec_dtls_event *ev) {
    lg *L = user;
    lg_session *s = &L->s[L->cur];
    switch (ev->type) {
    case COAPSEC_DTLS_EV_ESTABLISHED:
        s->ev_up = 1;
        s->resumed = ev->resumed != 0;
        if (L->mode == M_RESUME_HS && ev->session != NULL) {
            L->saved[L->cur] = *ev->session;
            s->saved = 1;
        }
        break;
    case COAPSEC_DTLS_EV_FAILED:
    case COAPSEC_DTLS_EV_CLOSED:
        s->ev_down = 1;
        break;
    case COAPSEC_DTLS_EV_HS_RELEASED:
        hs_release(L, L->cur);
        break;
    default:
        break;
    }
}

/* ---- CoAP engine callbacks ------------------------------------------------- */

static void flush_pq(lg *L);

static int coap_send(void *user, coapsec_peer_id peer, const uint8_t *dgram, size_t len) {
    lg_group *g = user;
    lg *L = g->L;
    uint32_t i = peer.slot * L->ng + g->gi;
    if (i >= L->S)
        return COAPSEC_ERR_INVAL;
    lg_session *s = &L->s[i];
    if (L->mode == M_NOSEC)
        return lg_net_queue(L->net, s->addr, dgram, len);
    if (s->state != SS_UP)
        return COAPSEC_ERR_CLOSED;
    if (L->in_dtls) { /* inside a call on some DTLS connection: send it afterwards */
        if (L->npq == PQ_MAX || len > COAPSEC_MAX_PDU)
            return COAPSEC_ERR_NOBUF;
        lg_pq *q = &L->pq[L->npq++];
        q->sess = i;
        q->len = (uint16_t)len;
        memcpy(q->d, dgram, len);
        return 0;
    }
    L->cur = i;
    L->in_dtls = 1;
    int rc = coapsec_dtls_conn_send(&s->dtls, dgram, len, L->now_ms);
    L->in_dtls = 0;
    return rc;
}

static void coap_random(void *user, void *buf, size_t len) {
    lg_group *g = user;
    uint8_t *p = buf;
    while (len > 0) {
        uint64_t r = xorshift(g->L);
        size_t n = len < sizeof r ? len : sizeof r;
        memcpy(p, &r, n);
        p += n;
        len -= n;
    }
}

static void on_response(void *user, int status, const coapsec_msg *resp, coapsec_peer_id peer) {
    (void)peer;
    lg_req *rq = user;
    lg *L = rq->L;
    lg_session *s = &L->s[rq->sess];
    lg_group *g = group_of(L, rq->sess);
    if (s->outstanding)
        s->outstanding--;
    g->outstanding--;
    L->outstanding--;
    if (!s->warm) {
        s->warm = 1;
        L->warmed++;
    }
    if (s->probing == 1 && status == 0) {
        s->probing = 2;
        L->alive++;
    }
    if (L->measuring) {
        if (status == 0 && resp && COAPSEC_CODE_CLASS(resp->code) == 2) {
            L->ok++;
            lg_hist_add(&L->hist, L->now_us - rq->t_us);
        } else if (status == COAPSEC_ERR_TIMEOUT) {
            L->timeouts++;
        } else {
            L->errors++;
        }
    }
    rq->next = L->req_free;
    L->req_free = (int32_t)(rq - L->req);
}

/* ---- session state changes after a DTLS call ----------------------------- */

static void flush_pq(lg *L) {
    for (uint32_t k = 0; k < L->npq; k++) {
        lg_pq *q = &L->pq[k];
        lg_session *s = &L->s[q->sess];
        if (s->state != SS_UP)
            continue;
        L->cur = q->sess;
        L->in_dtls = 1;
        (void)coapsec_dtls_conn_send(&s->dtls, q->d, q->len, L->now_ms);
        L->in_dtls = 0;
    }
    L->npq = 0;
}

static void after_dtls(lg *L, uint32_t i) {
    lg_session *s = &L->s[i];
    if (s->ev_up) {
        s->ev_up = 0;
        if (s->state == SS_HS) {
            L->hs_inflight--;
            /* resume-handshake: only abbreviated handshakes count (bytes too) */
            int counts = L->mode != M_RESUME_HS || s->resumed;
            if (counts) {
                L->hs_bytes_total += s->hs_bytes;
                L->hs_counted++;
            }
            if (is_hs(L)) {
                if (L->measuring && counts) {
                    L->ok++;
                    lg_hist_add(&L->hist, L->now_us - s->hs_start_us);
                } else if (L->measuring) {
                    L->full_hs++;
                }
                /* close_notify, then the slot starts over from a new address */
                L->cur = i;
                L->in_dtls = 1;
                (void)coapsec_dtls_conn_close(&s->dtls, L->now_ms);
                L->in_dtls = 0;
                hs_release(L, i);
                s->state = SS_IDLE;
                s->ev_down = 0;
                L->idle[L->nidle++] = i;
            } else {
                s->state = SS_UP;
                L->established++;
                s->gen++;
                (void)coapsec_coap_peer_open(group_of(L, i)->ctx, peer_of(L, i));
                L->idle[L->nidle++] = i; /* a first request, as a device would send */
            }
        }
    }
    if (s->ev_down) {
        s->ev_down = 0;
        if (s->state == SS_HS) {
            L->hs_inflight--;
            hs_release(L, i);
            if (is_hs(L)) {
                if (L->measuring)
                    L->errors++;
                s->state = SS_IDLE;
                L->idle[L->nidle++] = i;
            } else {
                L->failed++;
                s->state = SS_DEAD;
            }
        } else if (s->state == SS_UP) {
            s->state = SS_DEAD;
            if (!s->warm) {
                s->warm = 1;
                L->warmed++;
            }
            if (L->measuring)
                L->errors++;
            (void)coapsec_coap_peer_close(group_of(L, i)->ctx, peer_of(L, i), L->now_ms);
        }
    }
    if (L->npq)
        flush_pq(L);
}

/* Start a full handshake on session i (its address must be set). */
static int start_hs(lg *L, uint32_t i) {
    if (L->nhs_free == 0)
        return -1;
    lg_session *s = &L->s[i];
    s->hs_obj = L->hs_free[--L->nhs_free];
    s->hs_pos = (int32_t)L->nhs_active;
    L->hs_active[L->nhs_active++] = i;
    s->state = SS_HS;
    s->hs_bytes = 0;
    s->hs_start_us = L->now_us;
    L->hs_inflight++;
    L->cur = i;
    L->in_dtls = 1;
    int rc;
    if (L->mode == M_ECDHE_HS || L->mode == M_CERT_HS) { /* 0xC0AE only: no PSK offered */
        coapsec_dtls_client_creds cr;
        memset(&cr, 0, sizeof cr);
        cr.identity = &L->ec_id;
        rc = coapsec_dtls_client_start_ex(&s->dtls, &L->dcfg, L, &L->hs[s->hs_obj], &cr, L->now_ms);
    } else if (L->mode == M_RESUME_HS) { /* PSK, offering the saved session if any */
        coapsec_dtls_client_creds cr;
        memset(&cr, 0, sizeof cr);
        cr.psk_id = (const uint8_t *)L->psk_id;
        cr.psk_id_len = strlen(L->psk_id);
        cr.psk = (const uint8_t *)L->psk_key;
        cr.psk_len = strlen(L->psk_key);
        cr.resume = s->saved ? &L->saved[i] : NULL;
        s->resumed = 0;
        rc = coapsec_dtls_client_start_ex(&s->dtls, &L->dcfg, L, &L->hs[s->hs_obj], &cr, L->now_ms);
    } else {
        rc = coapsec_dtls_client_start(&s->dtls, &L->dcfg, L, &L->hs[s->hs_obj],
                                       (const uint8_t *)L->psk_id, strlen(L->psk_id),
                                       (const uint8_t *)L->psk_key, strlen(L->psk_key), L->now_ms);
    }
    L->in_dtls = 0;
    if (rc < 0)
        s->ev_down = 1;
    after_dtls(L, i);
    return rc;
}

/* ---- receive path ---------------------------------------------------------- */

static void on_datagram(void *user, uint32_t idx, uint8_t *buf, size_t len) {
    lg *L = user;
    uint32_t rel = (idx + LG_ADDR_SPACE - L->addr_base) % LG_ADDR_SPACE, i;
    if (is_hs(L)) {
        if (rel >= L->addr_mod)
            return;
        i = rel % L->S;
        if (L->s[i].addr != idx)
            return; /* a late datagram for an earlier handshake of this slot */
    } else {
        if (rel >= L->S)
            return;
        i = rel;
    }
    lg_session *s = &L->s[i];
    switch (L->mode) {
    case M_ECHO: {
        if (len < 12 || s->outstanding == 0)
            return;
        uint64_t t;
        memcpy(&t, buf + 4, sizeof t);
        s->outstanding--;
        group_of(L, i)->outstanding--;
        L->outstanding--;
        if (L->measuring) {
            L->ok++;
            lg_hist_add(&L->hist, L->now_us - t);
        }
        return;
    }
    case M_NOSEC:
        (void)coapsec_coap_recv(group_of(L, i)->ctx, peer_of(L, i), buf, len, L->now_ms);
        return;
    default:
        if (s->state != SS_HS && s->state != SS_UP)
            return;
        if (s->state == SS_HS)
            s->hs_bytes += (uint32_t)len;
        L->cur = i;
        L->in_dtls = 1;
        (void)coapsec_dtls_conn_recv(&s->dtls, buf, len, L->now_ms);
        L->in_dtls = 0;
        after_dtls(L, i);
        /* As the server does: no answer waits more than TX_HOLD_US for the
         * rest of a batch of (ECDHE: costly) handshake messages. */
        if (L->net->nsend > 0 && mono_us() - L->now_us >= TX_HOLD_US) {
            lg_net_flush(L->net);
            tick(L);
        }
        return;
    }
}

/* ---- issuing work ------------------------------------------------------------ */

static int issue_get(lg *L, lg_group *g, uint32_t i) {
    if (L->req_free < 0)
        return -1;
    lg_req *rq = &L->req[L->req_free];
    L->req_free = rq->next;
    rq->t_us = L->now_us;
    rq->sess = i;
    int rc = coapsec_coap_request(g->ctx, peer_of(L, i), &L->tmpl, on_response, rq, L->now_ms);
    if (rc < 0) {
        rq->next = L->req_free;
        L->req_free = (int32_t)(rq - L->req);
        return rc;
    }
    L->s[i].outstanding++;
    g->outstanding++;
    L->outstanding++;
    return 0;
}

static int issue_echo(lg *L, lg_group *g, uint32_t i) {
    uint8_t *p = L->echo_pdu;
    uint16_t mid = L->echo_mid++;
    p[2] = (uint8_t)(mid >> 8);
    p[3] = (uint8_t)mid;
    memcpy(p + 4, &L->now_us, sizeof L->now_us); /* the token carries the send time */
    if (lg_net_queue(L->net, L->s[i].addr, p, L->echo_len) < 0)
        return -1;
    L->s[i].outstanding++;
    L->s[i].last_send_us = L->now_us;
    g->outstanding++;
    L->outstanding++;
    return 0;
}

static void refill(lg *L) {
    if (is_hs(L)) {
        while (L->hs_inflight < L->W && L->nidle > 0 && L->nhs_free > 0) {
            uint32_t i = L->idle[--L->nidle];
            lg_session *s = &L->s[i];
            s->gen++;
            s->addr = (uint32_t)((L->addr_base + ((uint64_t)s->gen * L->S + i) % L->addr_mod) %
                                 LG_ADDR_SPACE);
            start_hs(L, i);
        }
        return;
    }
    for (uint32_t gi = 0; gi < L->ng; gi++) {
        lg_group *g = &L->g[gi];
        uint32_t tries = 0;
        while (g->outstanding < g->window && tries < g->nactive) {
            uint32_t i = gi + (g->rr++ % g->nactive) * L->ng;
            lg_session *s = &L->s[i];
            if (s->state != SS_UP || s->outstanding >= L->per_sess_cap) {
                tries++;
                continue;
            }
            tries = 0;
            int rc = L->mode == M_ECHO ? issue_echo(L, g, i) : issue_get(L, g, i);
            if (rc < 0)
                break;
        }
    }
}

/* Establishing phase of the DTLS GET mode: keep hs_window handshakes going,
 * and send each new session one GET (not measured). A device talks right
 * after its handshake; a server may also keep its final flight until the
 * client's first record shows that it arrived (RFC 6347 §4.2.4). */
static void refill_establish(lg *L) {
    while (L->next_establish < L->S && L->hs_inflight < L->hs_window && L->nhs_free > 0)
        start_hs(L, L->next_establish++);
    while (L->nidle > 0) {
        uint32_t i = L->idle[L->nidle - 1];
        if (L->s[i].state == SS_UP && issue_get(L, group_of(L, i), i) < 0)
            break;
        L->nidle--;
    }
}

/* ---- timers ------------------------------------------------------------------ */

static void timers(lg *L) {
    for (uint32_t gi = 0; gi < L->ng && L->g[gi].ctx; gi++) {
        coapsec_coap_ctx *ctx = L->g[gi].ctx;
        if (coapsec_coap_expiry(ctx) <= L->now_ms) {
            uint64_t before = ctx->stats.retransmissions;
            coapsec_coap_handle_expiry(ctx, L->now_ms);
            if (L->measuring)
                L->retrans += ctx->stats.retransmissions - before;
        }
    }
    for (uint32_t k = L->nhs_active; k-- > 0;) {
        if (k >= L->nhs_active)
            continue;
        uint32_t i = L->hs_active[k];
        lg_session *s = &L->s[i];
        if (coapsec_dtls_conn_expiry(&s->dtls) > L->now_ms)
            continue;
        L->cur = i;
        L->in_dtls = 1;
        L->in_expiry = 1;
        (void)coapsec_dtls_conn_handle_expiry(&s->dtls, L->now_ms);
        L->in_expiry = 0;
        L->in_dtls = 0;
        after_dtls(L, i);
    }
}

/* Echo mode: a datagram (or its echo) lost for a second frees its window slot. */
static void echo_sweep(lg *L) {
    for (uint32_t i = 0; i < L->A; i++) {
        lg_session *s = &L->s[i];
        if (s->outstanding && L->now_us - s->last_send_us > 1000000u) {
            group_of(L, i)->outstanding -= s->outstanding;
            L->outstanding -= s->outstanding;
            if (L->measuring)
                L->retrans += s->outstanding;
            s->outstanding = 0;
        }
    }
}

/* One turn of the event loop. */
static void pump(lg *L, int establishing) {
    tick(L);
    if (establishing)
        refill_establish(L);
    else if (L->measuring)
        refill(L);
    lg_net_flush(L->net);
    int got = 0;
    for (int k = 0; k < 4; k++) {
        int r = lg_net_recv(L->net, on_datagram, L);
        got += r;
        if (r < LG_BATCH)
            break;
        tick(L);
    }
    timers(L);
    lg_net_flush(L->net);
    if (!got)
        lg_net_wait(L->net, 1);
}

/* ---- setup ------------------------------------------------------------------- */

static void usage(FILE *f) {
    fputs("usage: coapsec bench [OPTIONS] URI\n"
          "  --mode M          nosec (coap://), psk (coaps://), psk-handshake,\n"
          "                    ecdhe-handshake (RPK, mutual), cert-handshake (X.509,\n"
          "                    mutual: --key, --cert, --ca), resume-handshake (PSK,\n"
          "                    abbreviated: session ID or ticket), echo (a plain UDP\n"
          "                    echo server)\n"
          "  --sessions S      client sessions, one 127/8 source address each (default 100)\n"
          "  --active N        sessions that send requests; the others are held idle\n"
          "                    (default: all)\n"
          "  --window W        outstanding requests (handshakes in *-handshake modes)\n"
          "                    across all sessions (default 64)\n"
          "  --duration SEC    measured run time (default 5; 0 = only establish)\n"
          "  --hs-window N     concurrent handshakes while establishing (default 16)\n"
          "  --establish-timeout SEC  give up establishing after SEC (default 120)\n"
          "  --hold SEC        keep the sessions open SEC more seconds (until SIGTERM)\n"
          "  --ready-file F    create F once the sessions are established and the run is done\n"
          "  --psk-id ID       PSK identity (default Client_identity)\n"
          "  --psk-key KEY     PSK as raw text, as libcoap's -k (default secretPSK)\n"
          "  --key FILE        ecdhe-handshake: our P-256 private key (PEM), presented as\n"
          "                    a raw public key (default: a new key per run); the\n"
          "                    server's key is accepted unchecked (its signature is verified)\n"
          "  --cert FILE       cert-handshake: our certificate chain (PEM, leaf first)\n"
          "  --ca FILE         cert-handshake: CA certificate(s) the server's chain must\n"
          "                    verify against (no name check)\n"
          "  --path P          request path (default: the URI's path, else /)\n"
          "  --json FILE       write the figures as JSON (- = stdout)\n"
          "  --addr-base N     first source address index (default random); runs with\n"
          "                    different bases never share a source address\n"
          "  -q, --quiet       no progress lines\n"
          "URI: coap://127.x.x.x:PORT/path or coaps://...; the server must be on loopback.\n",
          f);
}

static int parse_uint(const char *t, unsigned min, unsigned max, unsigned *out) {
    char *end;
    errno = 0;
    unsigned long v = strtoul(t, &end, 10);
    if (errno || end == t || *end || v < min || v > max || t[0] == '-')
        return -1;
    *out = (unsigned)v;
    return 0;
}

static int parse_secs(const char *t, double *out) {
    char *end;
    double v = strtod(t, &end);
    if (end == t || *end || !(v >= 0) || v > 86400)
        return -1;
    *out = v;
    return 0;
}

static int parse_args(lg *L, int argc, char **argv) {
    static const struct option lo[] = {
        {"mode", required_argument, NULL, 'm'},
        {"sessions", required_argument, NULL, 's'},
        {"active", required_argument, NULL, 'a'},
        {"window", required_argument, NULL, 'w'},
        {"duration", required_argument, NULL, 'd'},
        {"hs-window", required_argument, NULL, 'H'},
        {"establish-timeout", required_argument, NULL, 'E'},
        {"hold", required_argument, NULL, 'o'},
        {"ready-file", required_argument, NULL, 'r'},
        {"psk-id", required_argument, NULL, 'i'},
        {"psk-key", required_argument, NULL, 'k'},
        {"key", required_argument, NULL, 'K'},
        {"cert", required_argument, NULL, 'C'},
        {"ca", required_argument, NULL, 'A'},
        {"path", required_argument, NULL, 'p'},
        {"json", required_argument, NULL, 'j'},
        {"addr-base", required_argument, NULL, 'b'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    unsigned active = 0;
    int c, have_active = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", lo, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case 'm':
            bad = 1;
            for (int k = 0; k < (int)(sizeof mode_names / sizeof mode_names[0]); k++)
                if (strcmp(optarg, mode_names[k]) == 0) {
                    L->mode = k;
                    bad = 0;
                }
            break;
        case 's':
            bad = parse_uint(optarg, 1, 1000000, &L->S);
            break;
        case 'a':
            bad = parse_uint(optarg, 1, 1000000, &active);
            have_active = 1;
            break;
        case 'w':
            bad = parse_uint(optarg, 1, 65536, &L->W);
            break;
        case 'H':
            bad = parse_uint(optarg, 1, 4096, &L->hs_window);
            break;
        case 'd':
            bad = parse_secs(optarg, &L->duration);
            break;
        case 'E':
            bad = parse_secs(optarg, &L->est_timeout);
            break;
        case 'o':
            bad = parse_secs(optarg, &L->hold);
            break;
        case 'r':
            L->ready_file = optarg;
            break;
        case 'i':
            L->psk_id = optarg;
            bad = !*optarg || strlen(optarg) > COAPSEC_DTLS_PSK_ID_MAX;
            break;
        case 'k':
            L->psk_key = optarg;
            bad = !*optarg || strlen(optarg) > COAPSEC_DTLS_PSK_KEY_MAX;
            break;
        case 'K':
            L->key_file = optarg;
            break;
        case 'C':
            L->cert_file = optarg;
            break;
        case 'A':
            L->ca_file = optarg;
            break;
        case 'p':
            L->path_opt = optarg;
            bad = strlen(optarg) >= PATH_MAX_LEN;
            break;
        case 'j':
            L->json = optarg;
            break;
        case 'b': {
            unsigned b = 0;
            bad = parse_uint(optarg, 0, LG_ADDR_SPACE - 1, &b);
            L->addr_base = b;
            break;
        }
        case 'q':
            L->quiet = 1;
            break;
        case 'h':
            usage(stdout);
            return 1;
        default:
            usage(stderr);
            return -1;
        }
        if (bad) {
            const char *name = "?";
            for (const struct option *o = lo; o->name; o++)
                if (o->val == c)
                    name = o->name;
            fprintf(stderr, "coapsec bench: bad value for --%s: '%s'\n", name, optarg);
            return -1;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "coapsec bench: exactly one URI expected\n");
        usage(stderr);
        return -1;
    }
    L->uri_text = argv[optind];
    L->A = have_active ? (active < L->S ? active : L->S) : L->S;
    return 0;
}

static int setup_target(lg *L) {
    if (coapsec_uri_parse(&L->uri, L->uri_text) != 0) {
        fprintf(stderr, "coapsec bench: malformed URI '%s'\n", L->uri_text);
        return -1;
    }
    int want_secure = is_dtls(L);
    if (L->uri.secure != want_secure) {
        fprintf(stderr, "coapsec bench: mode %s needs a %s URI\n", mode_names[L->mode],
                want_secure ? "coaps://" : "coap://");
        return -1;
    }
    memset(&L->server, 0, sizeof L->server);
    L->server.sin_family = AF_INET;
    L->server.sin_port = htons(L->uri.port);
    if (inet_pton(AF_INET, L->uri.host, &L->server.sin_addr) != 1 ||
        (ntohl(L->server.sin_addr.s_addr) >> 24) != 127) {
        fprintf(stderr, "coapsec bench: the server must be an IPv4 loopback address (127.x.x.x)\n");
        return -1;
    }
    /* The request: CON GET with the path's segments as Uri-Path. */
    memset(&L->tmpl, 0, sizeof L->tmpl);
    L->tmpl.type = COAPSEC_CON;
    L->tmpl.code = COAPSEC_GET;
    if (L->path_opt) {
        snprintf(L->path, sizeof L->path, "%s", L->path_opt);
        char *p = L->path;
        while (*p) {
            char *seg = p;
            while (*p && *p != '/')
                p++;
            size_t n = (size_t)(p - seg);
            if (*p)
                *p++ = '\0';
            if (n && coapsec_msg_add_opt(&L->tmpl, COAPSEC_OPT_URI_PATH, seg, n) != 0)
                return -1;
        }
    } else {
        for (unsigned k = 0; k < L->uri.nsegs; k++)
            if (coapsec_msg_add_opt(&L->tmpl, COAPSEC_OPT_URI_PATH, L->uri.seg[k],
                                    L->uri.seg_len[k]) != 0)
                return -1;
    }
    /* Echo mode: the same request with an 8-byte token (the send time). */
    coapsec_msg em = L->tmpl;
    em.tkl = 8;
    int n = coapsec_msg_encode(&em, L->echo_pdu, sizeof L->echo_pdu);
    if (n < 12)
        return -1;
    L->echo_len = (size_t)n;
    return 0;
}

/* A benchmark client trusts whatever raw public key the server presents; the
 * handshake still verifies the server's ServerKeyExchange signature with it. */
static int accept_any_rpk(void *user, const uint8_t *spki, size_t len, const uint8_t sha256[32]) {
    (void)user;
    (void)spki;
    (void)len;
    (void)sha256;
    return 0;
}

/* ecdhe-handshake: our key (--key or a new one), offered as a raw public key,
 * and the server's raw public key accepted (RFC 7250). */
static int setup_ecdhe(lg *L) {
    int rc = L->key_file ? coapsec_dtls_key_load_file(&L->ec_key, L->key_file)
                         : coapsec_dtls_key_generate(&L->ec_key);
    if (rc != 0) {
        fprintf(stderr, "coapsec bench: %s: %s\n", L->key_file ? L->key_file : "key generation",
                coapsec_strerror(rc));
        return -1;
    }
    L->ec_id.key = L->ec_key;
    L->dcfg.cert_types = COAPSEC_DTLS_CT_RPK;
    L->dcfg.rpk_verify = accept_any_rpk;
    L->dcfg.verify_name = 0;
    return 0;
}

/* Certificate dates are checked against the real time (seconds since 1970). */
static int64_t wall_seconds(void *user) {
    (void)user;
    return (int64_t)time(NULL);
}

/* cert-handshake: --key with its chain (--cert) for client authentication,
 * and the server's chain verified against --ca (TS-0008 Certificate mode). */
static int setup_cert(lg *L) {
    if (!L->key_file || !L->cert_file || !L->ca_file) {
        fprintf(stderr, "coapsec bench: cert-handshake needs --key, --cert and --ca\n");
        return -1;
    }
    if (setup_ecdhe(L) != 0)
        return -1;
    size_t len = 0;
    L->cert_list = malloc(16384);
    int rc = L->cert_list
                 ? coapsec_dtls_cert_list_load_file(L->cert_file, L->cert_list, 16384, &len)
                 : COAPSEC_ERR_NOMEM;
    if (rc == 0 && (rc = coapsec_dtls_trust_new(&L->trust)) == 0)
        rc = coapsec_dtls_trust_add_file(L->trust, L->ca_file);
    if (rc != 0) {
        fprintf(stderr, "coapsec bench: --cert %s / --ca %s: %s\n", L->cert_file, L->ca_file,
                coapsec_strerror(rc));
        return -1;
    }
    L->ec_id.cert_list = L->cert_list;
    L->ec_id.cert_list_len = len;
    L->dcfg.cert_types = COAPSEC_DTLS_CT_X509;
    L->dcfg.rpk_verify = NULL;
    L->dcfg.trust = L->trust;
    L->dcfg.wall_clock = wall_seconds;
    L->dcfg.verify_name = 0;
    return 0;
}

static int setup(lg *L) {
    L->net = calloc(1, sizeof *L->net);
    L->s = calloc(L->S, sizeof *L->s);
    if (!L->net || !L->s)
        return -1;
    if (lg_net_open(L->net, &L->server) != 0) {
        perror("coapsec bench: socket");
        return -1;
    }
    L->rng = mono_us() | 1;
    uint32_t nhs = is_hs(L) ? L->W : L->hs_window;
    if (is_dtls(L)) {
        coapsec_dtls_config_default(&L->dcfg);
        L->dcfg.cb.send = dtls_send;
        L->dcfg.cb.recv = dtls_recv;
        L->dcfg.cb.event = dtls_event;
        if (L->mode == M_ECDHE_HS && setup_ecdhe(L) != 0)
            return -1;
        if (L->mode == M_CERT_HS && setup_cert(L) != 0)
            return -1;
        L->hs = calloc(nhs, sizeof *L->hs);
        L->hs_free = calloc(nhs, sizeof *L->hs_free);
        L->hs_active = calloc(nhs, sizeof *L->hs_active);
        if (L->mode == M_RESUME_HS && (L->saved = calloc(L->S, sizeof *L->saved)) == NULL)
            return -1;
        L->pq = calloc(PQ_MAX, sizeof *L->pq);
        if (!L->hs || !L->hs_free || !L->hs_active || !L->pq)
            return -1;
        L->nhs = nhs;
        for (uint32_t k = 0; k < nhs; k++)
            L->hs_free[L->nhs_free++] = (int32_t)k;
    }
    for (uint32_t i = 0; i < L->S; i++) {
        L->s[i].hs_pos = -1;
        L->s[i].hs_obj = -1;
        L->s[i].addr = (L->addr_base + i) % LG_ADDR_SPACE;
        L->s[i].state = is_dtls(L) ? SS_IDLE : SS_UP;
    }
    L->idle = calloc(L->S, sizeof *L->idle);
    if (!L->idle)
        return -1;
    if (is_hs(L)) {
        L->addr_mod = (LG_ADDR_SPACE / L->S) * L->S;
        for (uint32_t i = L->S; i-- > 0;)
            L->idle[L->nidle++] = i;
        return 0;
    }
    /* GET and echo modes: groups of sessions, one CoAP engine context each. */
    L->ng = (L->W + GROUP_WINDOW - 1) / GROUP_WINDOW;
    if (L->ng > L->A)
        L->ng = L->A;
    L->per_sess_cap = (L->W + L->A - 1) / L->A;
    L->g = calloc(L->ng, sizeof *L->g);
    L->req = calloc(L->W, sizeof *L->req);
    if (!L->g || !L->req)
        return -1;
    for (uint32_t k = 0; k < L->W; k++) {
        L->req[k].L = L;
        L->req[k].next = k + 1 < L->W ? (int32_t)(k + 1) : -1;
    }
    L->req_free = 0;
    coapsec_coap_params prm;
    coapsec_coap_params_default(&prm);
    prm.nstart = L->per_sess_cap;
    coapsec_coap_callbacks cb = {.send = coap_send, .random = coap_random};
    for (uint32_t gi = 0; gi < L->ng; gi++) {
        lg_group *g = &L->g[gi];
        g->L = L;
        g->gi = gi;
        g->npeers = (L->S - gi + L->ng - 1) / L->ng;
        g->nactive = (L->A - gi + L->ng - 1) / L->ng;
        g->window = L->W / L->ng + (gi < L->W % L->ng);
        if (L->mode == M_ECHO)
            continue;
        g->ctx = calloc(1, sizeof *g->ctx);
        g->peers = calloc(g->npeers, sizeof *g->peers);
        if (!g->ctx || !g->peers || coapsec_coap_init(g->ctx, &prm, &cb, g, g->peers, g->npeers))
            return -1;
    }
    if (L->mode == M_NOSEC)
        for (uint32_t i = 0; i < L->S; i++)
            (void)coapsec_coap_peer_open(group_of(L, i)->ctx, peer_of(L, i));
    return 0;
}

static void teardown(lg *L) {
    if (L->net)
        lg_net_close(L->net);
    for (uint32_t gi = 0; L->g && gi < L->ng; gi++) {
        free(L->g[gi].ctx);
        free(L->g[gi].peers);
    }
    free(L->g);
    free(L->req);
    free(L->hs);
    free(L->hs_free);
    free(L->hs_active);
    free(L->saved);
    free(L->pq);
    free(L->idle);
    free(L->s);
    free(L->net);
    coapsec_dtls_key_free(L->ec_key);
    coapsec_dtls_trust_free(L->trust);
    free(L->cert_list);
}

/* ---- phases ------------------------------------------------------------------------ */

static void establish(lg *L, lg_result *r) {
    uint64_t t0 = L->now_us, last = t0;
    uint64_t limit = t0 + (uint64_t)(L->est_timeout * 1e6);
    while (!stop_flag && L->warmed + L->failed < L->S && L->now_us < limit) {
        pump(L, 1);
        if (!L->quiet && L->now_us - last >= 1000000u) {
            last = L->now_us;
            fprintf(stderr, "[%s] establishing: %llu/%u sessions up (%llu answered), %llu failed\n",
                    mode_names[L->mode], (unsigned long long)L->established, L->S,
                    (unsigned long long)L->warmed, (unsigned long long)L->failed);
        }
    }
    /* Handshakes still running when we give up count as failed. */
    for (uint32_t i = 0; i < L->S; i++)
        if (L->s[i].state == SS_HS || L->s[i].state == SS_IDLE) {
            if (L->s[i].state == SS_HS)
                hs_release(L, i);
            L->s[i].state = SS_DEAD;
            L->failed++;
        }
    L->hs_inflight = 0;
    r->established = L->established;
    r->failed = L->failed;
    r->establish_s = (double)(L->now_us - t0) / 1e6;
    r->establish_per_s = r->establish_s > 0 ? (double)L->established / r->establish_s : 0;
}

static void run(lg *L, lg_result *r) {
    L->measuring = 1;
    L->ok = L->errors = L->timeouts = L->retrans = 0;
    lg_hist_reset(&L->hist);
    lg_net_stats n0 = L->net->st;
    double cpu0 = cpu_seconds();
    uint64_t t0 = L->now_us, last = t0, last_ok = 0, sweep = t0;
    uint64_t end = t0 + (uint64_t)(L->duration * 1e6);
    while (!stop_flag && L->now_us < end) {
        pump(L, 0);
        if (L->mode == M_ECHO && L->now_us - sweep >= 200000u) {
            sweep = L->now_us;
            echo_sweep(L);
        }
        if (!L->quiet && L->now_us - last >= 1000000u) {
            double dt = (double)(L->now_us - last) / 1e6;
            fprintf(stderr,
                    "[%s] %.0f s: %.0f %s/s, outstanding %u, retransmissions %llu, "
                    "errors %llu\n",
                    mode_names[L->mode], (double)(L->now_us - t0) / 1e6,
                    (double)(L->ok - last_ok) / dt, is_hs(L) ? "handshakes" : "req",
                    is_hs(L) ? L->hs_inflight : L->outstanding, (unsigned long long)L->retrans,
                    (unsigned long long)(L->errors + L->timeouts));
            last = L->now_us;
            last_ok = L->ok;
        }
    }
    L->measuring = 0;
    double wall = (double)(L->now_us - t0) / 1e6;
    r->duration_s = wall;
    r->ok = L->ok;
    r->errors = L->errors;
    r->timeouts = L->timeouts;
    r->retransmissions = L->retrans;
    r->rate_per_s = wall > 0 ? (double)L->ok / wall : 0;
    r->p50_us = (double)lg_hist_quantile(&L->hist, 0.50);
    r->p99_us = (double)lg_hist_quantile(&L->hist, 0.99);
    r->max_us = (double)L->hist.max;
    r->dgrams_out = L->net->st.dgrams_out - n0.dgrams_out;
    r->dgrams_in = L->net->st.dgrams_in - n0.dgrams_in;
    r->send_drops = L->net->st.send_drops - n0.send_drops;
    r->cpu_s = cpu_seconds() - cpu0;
    r->cpu_pct = wall > 0 ? 100.0 * r->cpu_s / wall : 0;
    if (stop_flag)
        r->status = "interrupted";
}

/* Before the sessions are held: one GET on every established session, to
 * count those the server still answers on (a server may have dropped some). */
static void verify(lg *L, lg_result *r) {
    /* 10 s, plus 1 s per 250 sessions (capped by --establish-timeout): a
     * million probes take coapsec seconds, but a server that scans its
     * sessions per datagram (libcoap: 650-900 GET/s with 10,000 held, in the
     * full run of 2026-11-29) needs 11-15 s for 10,000 alone. */
    double secs = 10 + (double)L->S / 250;
    if (L->est_timeout < secs)
        secs = L->est_timeout;
    uint64_t limit = L->now_us + (uint64_t)(secs * 1e6);
    uint32_t next = 0;
    while (!stop_flag && L->now_us < limit) {
        tick(L);
        while (next < L->S) {
            lg_session *s = &L->s[next];
            if (s->state != SS_UP) {
                next++;
                continue;
            }
            if (L->outstanding >= L->W)
                break;
            s->probing = 1;
            if (issue_get(L, group_of(L, next), next) < 0) {
                s->probing = 0;
                break;
            }
            next++;
        }
        lg_net_flush(L->net);
        if (next >= L->S && L->outstanding == 0)
            break;
        if (!lg_net_recv(L->net, on_datagram, L))
            lg_net_wait(L->net, 1);
        tick(L);
        timers(L);
    }
    /* Unanswered probes: the server dropped sessions. The count would be a
     * guess, so it is not given (and per-session figures stay null). */
    r->alive = next >= L->S && L->outstanding == 0 ? (int64_t)L->alive : -1;
    if (r->alive < 0)
        fprintf(stderr, "coapsec bench: %llu sessions answered, others did not in time\n",
                (unsigned long long)L->alive);
}

static void hold(lg *L) {
    if (L->ready_file) {
        FILE *f = fopen(L->ready_file, "w");
        if (f) {
            fprintf(f, "%llu\n", (unsigned long long)L->established);
            fclose(f);
        }
    }
    uint64_t end = L->now_us + (uint64_t)(L->hold * 1e6);
    while (!stop_flag && L->now_us < end)
        pump(L, 0);
}

/* close_notify on every established session, so servers can free them now. */
static void close_all(lg *L) {
    if (!is_dtls(L))
        return;
    tick(L);
    for (uint32_t i = 0; i < L->S; i++) {
        lg_session *s = &L->s[i];
        if (s->state != SS_UP && s->state != SS_HS)
            continue;
        L->cur = i;
        L->in_dtls = 1;
        (void)coapsec_dtls_conn_close(&s->dtls, L->now_ms);
        L->in_dtls = 0;
        s->state = SS_DEAD;
    }
    lg_net_flush(L->net);
}

int cs_bench_main(int argc, char **argv) {
    lg *L = calloc(1, sizeof *L);
    if (!L)
        return 3;
    L->mode = M_NOSEC;
    L->S = 100;
    L->W = 64;
    L->hs_window = 16;
    L->duration = 5;
    L->est_timeout = 120;
    L->psk_id = "Client_identity";
    L->psk_key = "secretPSK";
    L->addr_base = (uint32_t)(mono_us() % LG_ADDR_SPACE);
    int rc = parse_args(L, argc, argv);
    if (is_hs(L)) /* one slot per concurrent handshake */
        L->S = L->A = L->W;
    if (rc != 0 || setup_target(L) != 0) {
        free(L);
        return rc > 0 ? 0 : 2;
    }
    lg_result r;
    memset(&r, 0, sizeof r);
    r.mode = mode_names[L->mode];
    r.uri = L->uri_text;
    r.status = "ok";
    r.sessions = L->S;
    r.active = is_hs(L) ? L->S : L->A;
    r.window = L->W;
    r.rate_per_s = r.p50_us = r.p99_us = r.max_us = -1;
    r.establish_s = r.establish_per_s = r.handshake_bytes = -1;
    r.cpu_s = r.cpu_pct = r.duration_s = -1;
    r.alive = -1;
    r.full_handshakes = -1;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    stop_flag = 0;

    int status = 0;
    if (setup(L) != 0) {
        fprintf(stderr, "coapsec bench: setup failed (out of memory or socket error)\n");
        teardown(L);
        free(L);
        return 3;
    }
    tick(L);
    if (L->mode == M_PSK)
        establish(L, &r);
    if (L->duration > 0)
        run(L, &r);
    if (L->hs_counted)
        r.handshake_bytes = (double)L->hs_bytes_total / (double)L->hs_counted;
    r.handshakes = L->hs_counted;
    r.full_handshakes = L->mode == M_RESUME_HS ? (int64_t)L->full_hs : -1;
    if (L->duration > 0 && r.ok == 0) {
        r.status = "no-response";
        status = 1;
    } else if (L->duration == 0 && L->mode == M_PSK && r.established == 0) {
        r.status = "no-response";
        status = 1;
    }
    if (!stop_flag && L->mode == M_PSK && (L->hold > 0 || L->ready_file))
        verify(L, &r);
    if (!stop_flag && (L->hold > 0 || L->ready_file))
        hold(L);
    close_all(L);
    if (!L->quiet || !L->json)
        lg_report_text(&r, stdout);
    if (L->json && lg_report_json(&r, L->json) != 0) {
        fprintf(stderr, "coapsec bench: cannot write %s\n", L->json);
        status = 3;
    }
    teardown(L);
    free(L);
    return status;
}
