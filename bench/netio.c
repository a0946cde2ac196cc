/*
 * bench/netio.c - the load generator's socket: one non-blocking UDP socket
 * whose datagrams carry a per-session source address from 127/8 (IP_PKTINFO),
 * sent and received in batches with sendmmsg / recvmmsg.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lg.h"

uint32_t lg_addr_of(uint32_t idx) {
    uint32_t c = 1 + idx % 254u;
    uint32_t b = (idx / 254u) % 256u;
    uint32_t a = 1 + idx / (254u * 256u);
    return (127u << 24) | (a << 16) | (b << 8) | c;
}

int64_t lg_idx_of(uint32_t addr) {
    uint32_t a = (addr >> 16) & 0xff, b = (addr >> 8) & 0xff, c = addr & 0xff;
    if ((addr >> 24) != 127 || a < 1 || a > 254 || c < 1 || c > 254)
        return -1;
    return (int64_t)(a - 1) * 254 * 256 + (int64_t)b * 254 + (c - 1);
}

int lg_net_open(lg_net *n, const struct sockaddr_in *server) {
    memset(n, 0, sizeof *n);
    n->server = *server;
    n->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (n->fd < 0)
        return -1;
    /* Loopback only where the kernel lets us say so; the receive path also
     * drops anything that does not come from the server. */
    (void)setsockopt(n->fd, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3);
    int one = 1, big = 8 << 20;
    if (setsockopt(n->fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one) != 0)
        goto fail;
    (void)setsockopt(n->fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    (void)setsockopt(n->fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    struct sockaddr_in any = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY)};
    if (bind(n->fd, (const struct sockaddr *)&any, sizeof any) != 0)
        goto fail;
    for (unsigned i = 0; i < LG_BATCH; i++) {
        n->siov[i].iov_base = n->sbuf[i];
        struct msghdr *m = &n->smsg[i].msg_hdr;
        m->msg_name = &n->server;
        m->msg_namelen = sizeof n->server;
        m->msg_iov = &n->siov[i];
        m->msg_iovlen = 1;
        m->msg_control = n->sctl[i].buf;
        m->msg_controllen = sizeof n->sctl[i].buf;
        struct cmsghdr *h = CMSG_FIRSTHDR(m);
        h->cmsg_level = IPPROTO_IP;
        h->cmsg_type = IP_PKTINFO;
        h->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
    }
    return 0;
fail:
    close(n->fd);
    n->fd = -1;
    return -1;
}

void lg_net_close(lg_net *n) {
    if (n->fd >= 0)
        close(n->fd);
    n->fd = -1;
}

int lg_net_queue(lg_net *n, uint32_t idx, const uint8_t *d, size_t len) {
    if (len > LG_DGRAM)
        return -1;
    if (n->nsend == LG_BATCH)
        lg_net_flush(n);
    unsigned i = n->nsend++;
    memcpy(n->sbuf[i], d, len);
    n->siov[i].iov_len = len;
    struct in_pktinfo pi;
    memset(&pi, 0, sizeof pi);
    pi.ipi_spec_dst.s_addr = htonl(lg_addr_of(idx));
    memcpy(CMSG_DATA(CMSG_FIRSTHDR(&n->smsg[i].msg_hdr)), &pi, sizeof pi);
    n->st.bytes_out += len;
    return 0;
}

void lg_net_flush(lg_net *n) {
    unsigned done = 0;
    int waits = 0;
    while (done < n->nsend) {
        int r = sendmmsg(n->fd, n->smsg + done, n->nsend - done, 0);
        n->st.syscalls++;
        if (r > 0) {
            done += (unsigned)r;
            n->st.dgrams_out += (uint64_t)r;
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == ENOBUFS) && waits < 10) {
            struct pollfd p = {.fd = n->fd, .events = POLLOUT};
            (void)poll(&p, 1, 1);
            waits++;
            continue;
        }
        /* Buffer full for too long, or a hard error: drop this datagram
         * (the protocols' retransmission recovers) and go on. */
        n->st.send_drops++;
        n->st.bytes_out -= n->siov[done].iov_len;
        done++;
    }
    n->nsend = 0;
}

int lg_net_recv(lg_net *n, lg_rx_fn fn, void *user) {
    for (unsigned i = 0; i < LG_BATCH; i++) {
        n->riov[i].iov_base = n->rbuf[i];
        n->riov[i].iov_len = LG_DGRAM;
        struct msghdr *m = &n->rmsg[i].msg_hdr;
        m->msg_name = &n->rfrom[i];
        m->msg_namelen = sizeof n->rfrom[i];
        m->msg_iov = &n->riov[i];
        m->msg_iovlen = 1;
        m->msg_control = n->rctl[i].buf;
        m->msg_controllen = sizeof n->rctl[i].buf;
        m->msg_flags = 0;
    }
    int r = recvmmsg(n->fd, n->rmsg, LG_BATCH, MSG_DONTWAIT, NULL);
    n->st.syscalls++;
    if (r <= 0)
        return 0;
    for (int i = 0; i < r; i++) {
        struct msghdr *m = &n->rmsg[i].msg_hdr;
        size_t len = n->rmsg[i].msg_len;
        const struct sockaddr_in *from = &n->rfrom[i];
        if (m->msg_namelen < sizeof *from || from->sin_port != n->server.sin_port ||
            from->sin_addr.s_addr != n->server.sin_addr.s_addr || (m->msg_flags & MSG_TRUNC)) {
            n->st.stray++;
            continue;
        }
        int64_t idx = -1;
        for (struct cmsghdr *h = CMSG_FIRSTHDR(m); h; h = CMSG_NXTHDR(m, h)) {
            if (h->cmsg_level == IPPROTO_IP && h->cmsg_type == IP_PKTINFO &&
                h->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
                struct in_pktinfo pi;
                memcpy(&pi, CMSG_DATA(h), sizeof pi);
                idx = lg_idx_of(ntohl(pi.ipi_addr.s_addr));
            }
        }
        if (idx < 0 || (uint64_t)idx >= LG_ADDR_SPACE) {
            n->st.stray++;
            continue;
        }
        n->st.dgrams_in++;
        n->st.bytes_in += len;
        fn(user, (uint32_t)idx, n->rbuf[i], len);
    }
    return r;
}

void lg_net_wait(lg_net *n, int timeout_ms) {
    struct pollfd p = {.fd = n->fd, .events = POLLIN};
    (void)poll(&p, 1, timeout_ms);
}
