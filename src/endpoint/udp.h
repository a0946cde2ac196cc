/*
 * endpoint/udp.h - the endpoint's socket layer: bind non-blocking UDP sockets
 * on IPv4 or IPv6 addresses, resolve host names.
 * Everything that touches the operating system lives behind this header.
 */
#ifndef CS_ENDPOINT_UDP_H
#define CS_ENDPOINT_UDP_H

#include "coapsec/common.h"
#include "endpoint/peers.h"

/**
 * Parse host (an IPv4 or IPv6 literal, "" / "*" for the IPv4 wildcard, "::"
 * for the IPv6 wildcard, or a host name) and port into *out. family may be
 * AF_UNSPEC or force AF_INET/AF_INET6. Names are resolved with getaddrinfo.
 * Returns 0, or COAPSEC_ERR_NOTFOUND when the name does not resolve.
 */
int cs_resolve(const char *host, uint16_t port, int family, cs_sockaddr *out);

/**
 * Create a non-blocking, close-on-exec UDP socket bound to *addr (an IPv6
 * socket is IPv6-only so that an IPv4 socket can share the port). On success
 * *addr is updated with the bound port. Returns the fd or COAPSEC_ERR_IO.
 */
int cs_udp_bind(cs_sockaddr *addr);

/** Format an address as "1.2.3.4:5" or "[::1]:5" into buf (cap >= 64). */
const char *cs_sockaddr_str(const cs_sockaddr *a, char *buf, size_t cap);

#endif /* CS_ENDPOINT_UDP_H */
