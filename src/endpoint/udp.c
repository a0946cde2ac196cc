/*
 * endpoint/udp.c - UDP sockets, name resolution and formatting of addresses
 * (see udp.h).
 */
#include "endpoint/udp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int cs_resolve(const char *host, uint16_t port, int family, cs_sockaddr *out) {
    memset(out, 0, sizeof *out);
    if (!host || !*host || strcmp(host, "*") == 0)
        host = family == AF_INET6 ? "::" : "0.0.0.0";
    if (family != AF_INET6 && inet_pton(AF_INET, host, &out->v4.sin_addr) == 1) {
        out->v4.sin_family = AF_INET;
        out->v4.sin_port = htons(port);
        return 0;
    }
    if (family != AF_INET && inet_pton(AF_INET6, host, &out->v6.sin6_addr) == 1) {
        out->v6.sin6_family = AF_INET6;
        out->v6.sin6_port = htons(port);
        return 0;
    }
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = family;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_ADDRCONFIG;
    if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res)
        return COAPSEC_ERR_NOTFOUND;
    int rc = COAPSEC_ERR_NOTFOUND;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        if (ai->ai_family == AF_INET && ai->ai_addrlen >= sizeof out->v4) {
            memcpy(&out->v4, ai->ai_addr, sizeof out->v4);
            out->v4.sin_port = htons(port);
            rc = 0;
            break;
        }
        if (ai->ai_family == AF_INET6 && ai->ai_addrlen >= sizeof out->v6) {
            memcpy(&out->v6, ai->ai_addr, sizeof out->v6);
            out->v6.sin6_port = htons(port);
            rc = 0;
            break;
        }
    }
    freeaddrinfo(res);
    return rc;
}

int cs_udp_bind(cs_sockaddr *addr) {
    int fam = addr->sa.sa_family;
    if (fam != AF_INET && fam != AF_INET6)
        return COAPSEC_ERR_INVAL;
    int fd = socket(fam, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return COAPSEC_ERR_IO;
    int one = 1;
    if (fam == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0)
        goto fail;
    if (bind(fd, &addr->sa, cs_sockaddr_len(addr)) != 0)
        goto fail;
    socklen_t len = sizeof *addr;
    if (getsockname(fd, &addr->sa, &len) != 0)
        goto fail;
    return fd;
fail:
    close(fd);
    return COAPSEC_ERR_IO;
}

const char *cs_sockaddr_str(const cs_sockaddr *a, char *buf, size_t cap) {
    char ip[INET6_ADDRSTRLEN];
    if (a->sa.sa_family == AF_INET6) {
        inet_ntop(AF_INET6, &a->v6.sin6_addr, ip, sizeof ip);
        snprintf(buf, cap, "[%s]:%u", ip, (unsigned)ntohs(a->v6.sin6_port));
    } else if (a->sa.sa_family == AF_INET) {
        inet_ntop(AF_INET, &a->v4.sin_addr, ip, sizeof ip);
        snprintf(buf, cap, "%s:%u", ip, (unsigned)ntohs(a->v4.sin_port));
    } else {
        snprintf(buf, cap, "?");
    }
    return buf;
}
