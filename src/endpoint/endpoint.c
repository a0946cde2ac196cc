/*
 * endpoint/endpoint.c - the endpoint of coapsec/endpoint.h: owns the sockets,
 * the epoll instance, the peer table (peers.h) and the CoAP engine, and pumps
 * datagrams and timers between them. Allocation happens in
 * coapsec_endpoint_new() only. Secure peers are handed to secure.c.
 */
#define _GNU_SOURCE /* recvmmsg() */
#include "endpoint/ep_int.h"

#include <arpa/inet.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "endpoint/clock.h"
#include "endpoint/udp.h"

void cs_ep_log(coapsec_endpoint *ep, int level, const char *fmt, ...) {
    if (!ep->log)
        return;
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    ep->log(ep->user, level, buf);
}
#define ep_log cs_ep_log

/* ---- engine callbacks --------------------------------------------------------- */

int cs_ep_sendto(coapsec_endpoint *ep, uint32_t slot, const uint8_t *dgram, size_t len) {
    cs_peer *p = cs_peers_get(&ep->peers, slot);
    if (!p || p->sock >= ep->nsock)
        return COAPSEC_ERR_NOTFOUND;
    /* txq.c: batched (sendmmsg) while a receive batch is processed */
    if (cs_txq_send(&ep->txq, ep->sock[p->sock].fd, &p->addr, dgram, len) != 0) {
        ep->stats.send_errors++;
        return COAPSEC_ERR_IO;
    }
    ep->stats.datagrams_out++;
    return 0;
}

/* Send what the receive batch queued; refused datagrams become send errors. */
static void ep_flush(coapsec_endpoint *ep) {
    uint64_t err = ep->txq.err;
    cs_txq_flush(&ep->txq);
    ep->stats.send_errors += ep->txq.err - err;
    ep->stats.datagrams_out -= ep->txq.err - err;
}

/* CoAP engine output: plain UDP for NoSec peers, application data of the
 * slot's DTLS session for secure ones; a stale generation is refused. */
static int cb_send(void *user, coapsec_peer_id id, const uint8_t *dgram, size_t len) {
    coapsec_endpoint *ep = user;
    cs_peer *p = cs_peers_get(&ep->peers, id.slot);
    if (!p || p->gen != id.gen || p->sock >= ep->nsock)
        return COAPSEC_ERR_NOTFOUND;
    if (ep->sec[id.slot].secure)
        return cs_sec_send(ep, id.slot, dgram, len);
    if (ep->sock[p->sock].security != COAPSEC_SEC_NOSEC)
        return COAPSEC_ERR_STATE; /* never plaintext on a DTLS bind */
    return cs_ep_sendto(ep, id.slot, dgram, len);
}

static void cb_random(void *user, void *buf, size_t len) {
    (void)user;
    /* Tokens and MIDs must be unpredictable (RFC 7252 §5.3.1), not secret:
     * the buffered generator for public values. Never go on with weak ones. */
    if (cs_random_nonce(buf, len) != 0)
        abort();
}

static void cb_log(void *user, int level, const char *msg) {
    coapsec_endpoint *ep = user;
    if (ep->log)
        ep->log(ep->user, level, msg);
}

static int cb_links(void *user, coapsec_peer_id peer, char *buf, size_t cap) {
    coapsec_endpoint *ep = user;
    return ep->well_known_links ? ep->well_known_links(ep->user, peer, buf, cap) : 0;
}

/* ---- peers -------------------------------------------------------------------- */

static int peer_busy(void *user, uint32_t slot) {
    coapsec_endpoint *ep = user;
    const coapsec_coap_peer *cp = &ep->coap_peers[slot];
    return (cp->in_use && (cp->inflight > 0 || cp->qhead >= 0)) || cs_sec_busy(ep, slot);
}

uint32_t cs_ep_peer_for(coapsec_endpoint *ep, const cs_sockaddr *addr, uint8_t sock,
                        int open_coap) {
    uint32_t slot = cs_peers_find(&ep->peers, addr);
    if (slot != CS_PEER_NONE) {
        cs_peers_touch(&ep->peers, slot, ep->now);
        return slot;
    }
    slot = cs_peers_add(&ep->peers, addr, sock, ep->now);
    if (slot == CS_PEER_NONE) {
        /* sessions.c: dead peers first; a new handshake never pushes out a
         * session active within the protection window */
        uint32_t victim = cs_sx_victim(ep, peer_busy, !open_coap);
        if (victim == CS_PEER_NONE)
            return CS_PEER_NONE;
        cs_sx_evict(ep, victim);
        slot = cs_peers_add(&ep->peers, addr, sock, ep->now);
        if (slot == CS_PEER_NONE)
            return CS_PEER_NONE;
    }
    ep->stats.peers_created++;
    cs_sx_slot_new(ep, slot);
    cs_slot_sec *sec = &ep->sec[slot];
    cs_psk_forget_id(ep, sec);
    memset(sec, 0, sizeof *sec);
    sec->cur = sec->next = CS_NONE;
    if (open_coap) {
        if (coapsec_coap_peer_open(ep->coap, cs_peers_id(&ep->peers, slot)) != 0) {
            cs_peers_remove(&ep->peers, slot);
            return CS_PEER_NONE;
        }
        sec->coap_open = 1;
    }
    if (ep->log) {
        char a[80];
        ep_log(ep, COAPSEC_LOG_DEBUG, "peer %s -> slot %u", cs_sockaddr_str(addr, a, sizeof a),
               (unsigned)slot);
    }
    return slot;
}

/* ---- creation --------------------------------------------------------------------- */

void coapsec_endpoint_config_default(coapsec_endpoint_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->max_peers = COAPSEC_ENDPOINT_DEFAULT_PEERS;
}

static int add_socket(coapsec_endpoint *ep, const char *host, uint16_t port, int family,
                      int optional, int security) {
    cs_sockaddr a;
    int rc = cs_resolve(host, port, family, &a);
    if (rc != 0)
        return optional ? 0 : rc;
    int fd = cs_udp_bind(&a);
    if (fd < 0)
        return optional ? 0 : fd;
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN;
    ev.data.u32 = (uint32_t)ep->nsock;
    if (epoll_ctl(ep->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        close(fd);
        return COAPSEC_ERR_IO;
    }
    ep->sock[ep->nsock].fd = fd;
    ep->sock[ep->nsock].local = a;
    ep->sock[ep->nsock].security = security;
    ep->nsock++;
    char s[80];
    ep_log(ep, COAPSEC_LOG_INFO, "listening on udp %s (%s)", cs_sockaddr_str(&a, s, sizeof s),
           security == COAPSEC_SEC_NOSEC ? "coap, NoSec" : "coaps, DTLS");
    return 0;
}

int coapsec_endpoint_new(const coapsec_endpoint_config *cfg, coapsec_endpoint **out) {
    *out = NULL;
    if (!cfg || cfg->nbind > COAPSEC_ENDPOINT_MAX_BIND)
        return COAPSEC_ERR_INVAL;
    if (cfg->max_memory && cs_sx_footprint(cfg) > cfg->max_memory)
        return COAPSEC_ERR_NOMEM;
    for (size_t i = 0; i < cfg->nbind; i++)
        if (cfg->bind[i].security < COAPSEC_SEC_NOSEC || cfg->bind[i].security > COAPSEC_SEC_CERT)
            return COAPSEC_ERR_UNSUPPORTED; /* PSK, RPK and CERT: one DTLS bind (pki.c) */
    uint32_t cap = cfg->max_peers ? cfg->max_peers : COAPSEC_ENDPOINT_DEFAULT_PEERS;
    coapsec_endpoint *ep = calloc(1, sizeof *ep);
    if (!ep)
        return COAPSEC_ERR_NOMEM;
    ep->epfd = -1;
    ep->log = cfg->log;
    ep->well_known_links = cfg->well_known_links;
    ep->session_event = cfg->session_event;
    ep->user = cfg->user;
    ep->now = cs_clock_ms();

    int rc = COAPSEC_ERR_NOMEM;
    uint64_t seed;
    ep->coap = malloc(sizeof *ep->coap);
    ep->coap_peers = calloc(cap, sizeof *ep->coap_peers);
    ep->rbuf = malloc(sizeof *ep->rbuf * CS_EP_BATCH);
    if (!ep->coap || !ep->coap_peers || !ep->rbuf || cs_txq_init(&ep->txq) != 0)
        goto fail;
    if (cs_random(&seed, sizeof seed) != 0) {
        rc = COAPSEC_ERR_CRYPTO;
        goto fail;
    }
    if ((rc = cs_peers_init(&ep->peers, cap, seed)) != 0)
        goto fail;
    if ((rc = cs_sec_init(ep, cfg)) != 0)
        goto fail;
    if ((rc = cs_sx_init(ep, cfg)) != 0)
        goto fail;
    coapsec_coap_callbacks cb;
    memset(&cb, 0, sizeof cb);
    cb.send = cb_send;
    cb.random = cb_random;
    cb.log = cb_log;
    cb.well_known_links = cb_links;
    if ((rc = coapsec_coap_init(ep->coap, cfg->params, &cb, ep, ep->coap_peers, cap)) != 0)
        goto fail;
    if ((rc = cs_ep_block1_init(ep, cfg)) != 0)
        goto fail;

    ep->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (ep->epfd < 0) {
        rc = COAPSEC_ERR_IO;
        goto fail;
    }
    if (cfg->nbind == 0) {
        if ((rc = add_socket(ep, "0.0.0.0", 0, AF_INET, 0, COAPSEC_SEC_NOSEC)) != 0)
            goto fail;
        if ((rc = add_socket(ep, "::", 0, AF_INET6, 1, COAPSEC_SEC_NOSEC)) != 0)
            goto fail;
    }
    for (size_t i = 0; i < cfg->nbind; i++)
        if ((rc = add_socket(ep, cfg->bind[i].host, cfg->bind[i].port, AF_UNSPEC, 0,
                             cfg->bind[i].security)) != 0)
            goto fail;

    for (size_t i = 0; i < CS_EP_BATCH; i++) {
        ep->riov[i].iov_base = ep->rbuf[i];
        ep->riov[i].iov_len = CS_EP_DGRAM_MAX;
    }
    *out = ep;
    return 0;
fail:
    coapsec_endpoint_free(ep);
    return rc;
}

void coapsec_endpoint_free(coapsec_endpoint *ep) {
    if (!ep)
        return;
    ep->now = cs_clock_ms();
    cs_sec_free(ep); /* close_notify goes out before the sockets close */
    cs_sx_free(ep);
    for (size_t i = 0; i < ep->nsock; i++)
        close(ep->sock[i].fd);
    if (ep->epfd >= 0)
        close(ep->epfd);
    cs_peers_free(&ep->peers);
    free(ep->coap_peers);
    free(ep->coap);
    free(ep->rbuf);
    free(ep->b1mem);
    cs_txq_free(&ep->txq);
    free(ep);
}

/* ---- the loop ----------------------------------------------------------------------- */

int coapsec_endpoint_fd(const coapsec_endpoint *ep) {
    return ep->epfd;
}

static int timeout_from(const coapsec_endpoint *ep, coapsec_tstamp now) {
    coapsec_tstamp exp = coapsec_coap_expiry(ep->coap);
    coapsec_tstamp dexp = cs_sec_expiry(ep);
    if (dexp < exp)
        exp = dexp;
    dexp = cs_sx_expiry(ep);
    if (dexp < exp)
        exp = dexp;
    if (exp == COAPSEC_TSTAMP_NONE)
        return -1;
    if (exp <= now)
        return 0;
    uint64_t d = exp - now;
    return d > 86400000u ? 86400000 : (int)d;
}

int coapsec_endpoint_next_timeout_ms(const coapsec_endpoint *ep) {
    return timeout_from(ep, cs_clock_ms());
}

static void handle_datagram(coapsec_endpoint *ep, uint8_t sock, const cs_sockaddr *from,
                            uint8_t *data, size_t len) {
    if (from->sa.sa_family != AF_INET && from->sa.sa_family != AF_INET6) {
        ep->stats.dropped++;
        return;
    }
    uint32_t known = cs_peers_find(&ep->peers, from);
    if (known != CS_PEER_NONE && ep->sec[known].secure) {
        cs_sec_input(ep, known, sock, from, data, len);
        return;
    }
    if (ep->sock[sock].security != COAPSEC_SEC_NOSEC) {
        if (known != CS_PEER_NONE) { /* a NoSec peer's address talking to the DTLS bind */
            ep->stats.dropped++;
            return;
        }
        cs_sec_input(ep, CS_NONE, sock, from, data, len);
        return;
    }
    if (ep->sx.dtls_only) { /* a DTLS-client-only node: never plaintext */
        ep->stats.plaintext_dropped++;
        ep->stats.dropped++;
        return;
    }
    /* Only CoAP version 1 may create peer state (RFC 7252 §3: other versions are
     * silently ignored); everything else is left to the engine, which fails closed. */
    if (len < 4 || (data[0] >> 6) != 1) {
        ep->stats.dropped++;
        return;
    }
    uint32_t slot = cs_ep_peer_for(ep, from, sock, 1);
    if (slot == CS_PEER_NONE) {
        ep->stats.dropped++;
        return;
    }
    int rc = coapsec_coap_recv(ep->coap, cs_peers_id(&ep->peers, slot), data, len, ep->now);
    if (rc != 0 && ep->log) {
        char a[80];
        ep_log(ep, COAPSEC_LOG_DEBUG, "datagram from %s: %s", cs_sockaddr_str(from, a, sizeof a),
               coapsec_strerror(rc));
    }
}

static int read_socket(coapsec_endpoint *ep, uint8_t si) {
    int total = 0;
    for (int round = 0; round < CS_EP_MAX_ROUNDS; round++) {
        for (size_t i = 0; i < CS_EP_BATCH; i++) {
            struct msghdr *h = &ep->rmsg[i].msg_hdr;
            memset(h, 0, sizeof *h);
            h->msg_name = &ep->raddr[i];
            h->msg_namelen = sizeof ep->raddr[i];
            h->msg_iov = &ep->riov[i];
            h->msg_iovlen = 1;
            ep->rmsg[i].msg_len = 0;
        }
        int n = recvmmsg(ep->sock[si].fd, ep->rmsg, CS_EP_BATCH, MSG_DONTWAIT, NULL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            /* ICMP errors (ECONNREFUSED etc.) surface here on Linux; not fatal. */
            if (errno == ECONNREFUSED || errno == EHOSTUNREACH || errno == ENETUNREACH)
                continue;
            return total ? total : COAPSEC_ERR_IO;
        }
        ep->txq.on = 1; /* answers leave together in sendmmsg() (txq.c) */
        uint64_t held_since = cs_clock_us();
        for (int i = 0; i < n; i++) {
            ep->stats.datagrams_in++;
            if (ep->rmsg[i].msg_hdr.msg_flags & MSG_TRUNC) {
                ep->stats.dropped++;
                continue;
            }
            handle_datagram(ep, si, &ep->raddr[i], ep->rbuf[i], ep->rmsg[i].msg_len);
            if (i + 1 < n && cs_clock_us() - held_since >= CS_EP_TX_HOLD_US) {
                ep_flush(ep); /* a slow batch (handshakes): let the first answers go */
                held_since = cs_clock_us();
            }
        }
        ep->txq.on = 0;
        ep_flush(ep);
        total += n;
        if (n < CS_EP_BATCH)
            break;
    }
    return total;
}

int coapsec_endpoint_process(coapsec_endpoint *ep, int timeout_ms) {
    int t = timeout_from(ep, cs_clock_ms());
    if (t < 0 || (timeout_ms >= 0 && timeout_ms < t))
        t = timeout_ms;
    struct epoll_event ev[COAPSEC_ENDPOINT_MAX_BIND];
    int n = epoll_wait(ep->epfd, ev, COAPSEC_ENDPOINT_MAX_BIND, t);
    if (n < 0 && errno != EINTR)
        return COAPSEC_ERR_IO;
    ep->now = cs_clock_ms();
    int total = 0;
    for (int i = 0; i < n; i++) {
        uint32_t si = ev[i].data.u32;
        if (si >= ep->nsock)
            continue;
        int r = read_socket(ep, (uint8_t)si);
        if (r < 0)
            return r;
        total += r;
    }
    coapsec_tstamp exp = coapsec_coap_expiry(ep->coap);
    if (exp != COAPSEC_TSTAMP_NONE && exp <= ep->now)
        coapsec_coap_handle_expiry(ep->coap, ep->now);
    if (cs_sec_expiry(ep) <= ep->now)
        cs_sec_handle_expiry(ep);
    if (cs_sx_expiry(ep) <= ep->now)
        cs_sx_handle_expiry(ep);
    return total;
}

uint16_t coapsec_endpoint_local_port(const coapsec_endpoint *ep, int family) {
    for (size_t i = 0; i < ep->nsock; i++) {
        const cs_sockaddr *a = &ep->sock[i].local;
        if (family && a->sa.sa_family != family)
            continue;
        return ntohs(a->sa.sa_family == AF_INET6 ? a->v6.sin6_port : a->v4.sin_port);
    }
    return 0;
}

coapsec_coap_ctx *coapsec_endpoint_coap(coapsec_endpoint *ep) {
    return ep->coap;
}

coapsec_tstamp coapsec_endpoint_now(const coapsec_endpoint *ep) {
    (void)ep;
    return cs_clock_ms();
}

const coapsec_endpoint_stats *coapsec_endpoint_get_stats(const coapsec_endpoint *ep) {
    return &ep->stats;
}

/* ---- client side --------------------------------------------------------------------- */

static int request_to(coapsec_endpoint *ep, const cs_sockaddr *dst, const coapsec_msg *req,
                      const cs_reqopt *o, coapsec_response_cb cb, void *user) {
    size_t si = 0;
    while (si < ep->nsock && (ep->sock[si].local.sa.sa_family != dst->sa.sa_family ||
                              ep->sock[si].security != COAPSEC_SEC_NOSEC))
        si++;
    if (si == ep->nsock)
        return COAPSEC_ERR_IO;
    ep->now = cs_clock_ms();
    uint32_t known = cs_peers_find(&ep->peers, dst);
    if (known != CS_PEER_NONE && ep->sec[known].closing)
        return COAPSEC_ERR_BUSY;
    if (known != CS_PEER_NONE && ep->sec[known].secure)
        return COAPSEC_ERR_STATE; /* coap:// to an address that has a DTLS session */
    uint32_t slot = cs_ep_peer_for(ep, dst, (uint8_t)si, 1);
    if (slot == CS_PEER_NONE)
        return COAPSEC_ERR_NOMEM;
    return cs_ep_submit(ep, cs_peers_id(&ep->peers, slot), req, o, cb, user);
}

int coapsec_endpoint_request(coapsec_endpoint *ep, const char *uri, const coapsec_msg *req,
                             unsigned flags, coapsec_response_cb cb, void *user) {
    return cs_ep_request_uri(ep, uri, req, flags, NULL, cb, user);
}

int cs_ep_request_uri(coapsec_endpoint *ep, const char *uri, const coapsec_msg *req, unsigned flags,
                      const cs_reqopt *o, coapsec_response_cb cb, void *user) {
    if (!ep || !uri || !req)
        return COAPSEC_ERR_INVAL;
    coapsec_uri u;
    int rc = coapsec_uri_parse(&u, uri);
    if (rc != 0)
        return COAPSEC_ERR_URI;
    cs_sockaddr dst;
    if ((rc = cs_resolve(u.host, u.port, AF_UNSPEC, &dst)) != 0)
        return rc;
    coapsec_msg m = *req;
    uint8_t scratch[2];
    if ((rc = coapsec_uri_to_opts(&u, &m, 1, scratch)) != 0)
        return rc;
    if (flags & COAPSEC_EP_NO_URI_HOST_PORT) {
        coapsec_msg_del_opt(&m, COAPSEC_OPT_URI_HOST);
        coapsec_msg_del_opt(&m, COAPSEC_OPT_URI_PORT);
    }
    if (u.secure) {
        ep->now = cs_clock_ms();
        return cs_sec_request(ep, &dst, u.host, u.port, &m, o, cb, user);
    }
    return request_to(ep, &dst, &m, o, cb, user);
}

int coapsec_endpoint_request_addr(coapsec_endpoint *ep, const struct sockaddr *sa, socklen_t salen,
                                  const coapsec_msg *req, coapsec_response_cb cb, void *user) {
    if (!ep || !sa || !req)
        return COAPSEC_ERR_INVAL;
    cs_sockaddr dst;
    memset(&dst, 0, sizeof dst);
    if (sa->sa_family == AF_INET && salen >= (socklen_t)sizeof dst.v4)
        memcpy(&dst.v4, sa, sizeof dst.v4);
    else if (sa->sa_family == AF_INET6 && salen >= (socklen_t)sizeof dst.v6)
        memcpy(&dst.v6, sa, sizeof dst.v6);
    else
        return COAPSEC_ERR_INVAL;
    return request_to(ep, &dst, req, NULL, cb, user);
}

int coapsec_endpoint_cancel(coapsec_endpoint *ep, int handle) {
    ep->now = cs_clock_ms();
    if (handle >= CS_PEND_HANDLE_BASE)
        return cs_sec_cancel(ep, handle);
    if (handle >= CS_WAIT_HANDLE_BASE)
        return cs_sx_cancel(ep, handle);
    return coapsec_coap_cancel(ep->coap, handle, ep->now);
}

int coapsec_endpoint_peer_addr(const coapsec_endpoint *ep, coapsec_peer_id peer,
                               struct sockaddr_storage *out, socklen_t *outlen) {
    const cs_peer *p = cs_peers_get(&ep->peers, peer.slot);
    if (!p || p->gen != peer.gen)
        return COAPSEC_ERR_NOTFOUND;
    memset(out, 0, sizeof *out);
    *outlen = cs_sockaddr_len(&p->addr);
    memcpy(out, &p->addr, *outlen);
    return 0;
}

unsigned coapsec_endpoint_peer_suite(const coapsec_endpoint *ep, coapsec_peer_id peer) {
    const cs_peer *p = cs_peers_get(&ep->peers, peer.slot);
    if (!p || p->gen != peer.gen || !ep->sec[peer.slot].secure || ep->sec[peer.slot].cur == CS_NONE)
        return 0;
    return coapsec_dtls_conn_suite(&ep->sess[ep->sec[peer.slot].cur].conn);
}

int coapsec_endpoint_close_peer(coapsec_endpoint *ep, coapsec_peer_id peer) {
    const cs_peer *p = cs_peers_get(&ep->peers, peer.slot);
    if (!p || p->gen != peer.gen)
        return COAPSEC_ERR_NOTFOUND;
    ep->now = cs_clock_ms();
    cs_sec_drop_slot(ep, peer.slot, 1, COAPSEC_ERR_CLOSED);
    return 0;
}

const char *coapsec_endpoint_last_error_text(const coapsec_endpoint *ep) {
    return ep ? ep->last_error : "";
}
