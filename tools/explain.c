/*
 * tools/explain.c - failure explanations of the `coapsec` tool (explain.h):
 * each failure a user can cause maps to one line naming the cause and the
 * fix. The mapping from (err, alert, who sent it, the engine's reason) to
 * advice is in cs_explain_handshake() and nowhere else.
 */
#include "explain.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "coapsec/common.h"
#include "coapsec/dtls.h"

#define SUITES                                                                                     \
    "coapsec speaks TLS_PSK_WITH_AES_128_CCM_8 (PSK: -u/-k) and "                                  \
    "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 (certificates or raw public keys: -c/-j or -M)"

static int has(const char *t, const char *s) {
    return t && strstr(t, s) != NULL;
}

/* The advice for f, or NULL when there is nothing better than the text. */
static const char *advice(const cs_hs_failure *f, char *fix, size_t cap) {
    const char *t = f->text;
    const char *peer = f->peer && f->peer[0] ? f->peer : "the peer";
    const char *who = f->server ? "the client" : "the server";
    const char *id = f->psk_id && f->psk_id[0] ? f->psk_id : "?";
    int a = f->alert, ours = !f->alert_from_peer;

    if (f->waited_s && !f->server) {
        snprintf(fix, cap,
                 "nothing came back from %s within %u s: is the server running, and is this its "
                 "coaps port? (coapsec server -p P serves coaps on P+1)",
                 peer, f->waited_s);
    } else if (f->err == COAPSEC_ERR_TIMEOUT) {
        if (f->server)
            snprintf(fix, cap, "%s stopped answering in the middle of the handshake", peer);
        else
            snprintf(fix, cap,
                     "nothing came back from %s after %u retransmissions: is the server "
                     "running, and is this its coaps port? (coapsec server -p P serves coaps "
                     "on P+1)",
                     peer, f->retransmits);
    } else if (a == COAPSEC_DTLS_ALERT_UNKNOWN_PSK_IDENTITY) {
        if (f->server)
            snprintf(fix, cap,
                     "a client offered a PSK identity that is neither in the identity file (-i) "
                     "nor covered by a default key (-k): add it there, or check the client's -u");
        else
            snprintf(fix, cap,
                     "the server does not know PSK identity '%s': check -u, or add the identity "
                     "to the server (coapsec server -i FILE)",
                     id);
    } else if ((a == COAPSEC_DTLS_ALERT_BAD_RECORD_MAC || a == COAPSEC_DTLS_ALERT_DECRYPT_ERROR) &&
               has(t, "CertificateVerify")) {
        snprintf(fix, cap,
                 "the client's signature does not match its certificate or raw public key: "
                 "give the client the private key that belongs to its certificate (-j)");
    } else if (a == COAPSEC_DTLS_ALERT_BAD_RECORD_MAC || a == COAPSEC_DTLS_ALERT_DECRYPT_ERROR) {
        if (f->server)
            snprintf(fix, cap,
                     "the client's pre-shared key differs from ours for the identity it used: "
                     "compare its -k with this server's -k or -i FILE");
        else
            snprintf(fix, cap,
                     "the server holds a different pre-shared key for identity '%s': check -k "
                     "(text, or 0xHEX for binary keys)",
                     id);
    } else if (a == COAPSEC_DTLS_ALERT_UNKNOWN_CA && ours) {
        snprintf(fix, cap,
                 "the certificate of %s is not signed by a CA we trust: pass that CA with -C "
                 "FILE (or a bundle of roots with -R FILE)",
                 f->server ? "the client" : peer);
    } else if (a == COAPSEC_DTLS_ALERT_CERTIFICATE_EXPIRED && ours) {
        if (has(t, "not yet valid") || has(t, "not valid before"))
            snprintf(fix, cap,
                     "the certificate of %s is not valid yet: check this machine's clock "
                     "(--no-clock on a node without one)",
                     f->server ? "the client" : peer);
        else
            snprintf(fix, cap,
                     "the certificate of %s has expired: have it renewed (coapsec keygen cert), "
                     "or check this machine's clock (--no-clock on a node without one)",
                     f->server ? "the client" : peer);
    } else if (ours && (has(t, "wrong curve") || has(t, "wrong signature algorithm"))) {
        snprintf(fix, cap,
                 "TS-0008 allows only P-256 (secp256r1) keys and ecdsa-with-SHA256 signatures, "
                 "in the key exchange and in every certificate of the chain: %s must use P-256 "
                 "keys and certificates (coapsec keygen makes them)",
                 who);
    } else if (ours && has(t, "name mismatch")) {
        snprintf(fix, cap,
                 "use the name the certificate carries in the URI, or reissue the certificate "
                 "with a SAN for this host (coapsec keygen cert CA-DIR NAME --san ...)");
    } else if (ours && has(t, "unknown raw public key")) {
        snprintf(fix, cap,
                 "if %s is the one you expect, add that sha256: fingerprint to the "
                 "--rpk-trust FILE",
                 who);
    } else if (ours && has(t, "sent no certificate")) {
        snprintf(fix, cap, "%s",
                 f->server ? "this server wants a client certificate or raw public key: give "
                             "the client -c CERT -j KEY or -M KEY"
                           : "the server must present a certificate (-c) or raw public key (-M)");
    } else if (!ours &&
               (a == COAPSEC_DTLS_ALERT_UNKNOWN_CA || a == COAPSEC_DTLS_ALERT_BAD_CERTIFICATE ||
                a == COAPSEC_DTLS_ALERT_CERTIFICATE_UNKNOWN ||
                a == COAPSEC_DTLS_ALERT_CERTIFICATE_EXPIRED ||
                a == COAPSEC_DTLS_ALERT_UNSUPPORTED_CERTIFICATE)) {
        snprintf(fix, cap,
                 "%s does not accept our certificate or raw public key: it must trust our CA "
                 "(its -C/-R) or our key's fingerprint (its --rpk-trust), and our certificate "
                 "must be valid and on P-256",
                 peer);
    } else if (ours && has(t, "no suite of ours")) {
        snprintf(fix, cap,
                 "the client offered no cipher suite this server has credentials for: " SUITES
                 "; the server needs -k/-i for PSK clients and -c or -M for the others");
    } else if (ours && has(t, "no common")) {
        snprintf(fix, cap,
                 "the two sides support different certificate types (X.509 -c vs raw public "
                 "key -M): use the same kind on both");
    } else if (!ours && a == COAPSEC_DTLS_ALERT_HANDSHAKE_FAILURE && !f->server && f->pki &&
               !f->identity && !f->psk) {
        snprintf(fix, cap,
                 "%s most likely requires a client certificate or raw public key and we "
                 "presented none: give -c CERT -j KEY or -M KEY",
                 peer);
    } else if (!ours && a == COAPSEC_DTLS_ALERT_HANDSHAKE_FAILURE && !f->server) {
        snprintf(fix, cap,
                 "%s has no cipher suite in common with us (or lacks credentials for it): " SUITES
                 "; enable one of them on the server",
                 peer);
    } else if (a == COAPSEC_DTLS_ALERT_PROTOCOL_VERSION) {
        snprintf(fix, cap, "%s does not speak DTLS 1.2 (RFC 6347), the only version coapsec speaks",
                 ours ? who : peer);
    } else {
        return NULL;
    }
    return fix;
}

const char *cs_explain_handshake(const cs_hs_failure *f, char *buf, size_t cap) {
    char fix[512];
    const char *t = f->text && f->text[0] ? f->text : "handshake failed";
    char cause[192];
    /* An alert without a reason says little: name it and who sent it. */
    if (!f->server && f->alert_from_peer && f->alert == COAPSEC_DTLS_ALERT_HANDSHAKE_FAILURE &&
        has(t, "fatal alert")) {
        snprintf(cause, sizeof cause, "the server refused the handshake (handshake_failure)");
        t = cause;
    } else if (f->waited_s && !f->server) {
        t = "no answer from the peer (timeout)";
    }
    const char *a = advice(f, fix, sizeof fix);
    if (a)
        snprintf(buf, cap, "%s: %s", t, a);
    else
        snprintf(buf, cap, "%s", t);
    return buf;
}

/* ---- URIs -------------------------------------------------------------------------- */

static const char *uri_problem(const char *uri, char *tmp, size_t cap) {
    if (!uri[0])
        return "it is empty";
    for (const char *p = uri; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f)
            return "it contains a space or control character (percent-encode it, e.g. %20)";
    const char *sep = strstr(uri, "://");
    if (!sep) {
        if (!strncmp(uri, "coap:", 5) || !strncmp(uri, "coaps:", 6))
            return "the scheme must be followed by '//' and the host";
        return "no scheme: it must start with coap:// or coaps://";
    }
    size_t sl = (size_t)(sep - uri);
    if (!(sl == 4 && !strncmp(uri, "coap", 4)) && !(sl == 5 && !strncmp(uri, "coaps", 5))) {
        snprintf(tmp, cap, "scheme '%.*s' is not supported: only coap:// and coaps://",
                 (int)(sl > 16 ? 16 : sl), uri);
        return tmp;
    }
    const char *h = sep + 3;
    if (strchr(uri, '#'))
        return "fragments ('#...') are not allowed in CoAP URIs (RFC 7252 §6.1)";
    size_t al = strcspn(h, "/?");
    if (al == 0)
        return "no host after '//'";
    const char *port = NULL;
    if (h[0] == '[') {
        const char *rb = memchr(h, ']', al);
        if (!rb)
            return "the IPv6 address is not closed with ']'";
        if (rb == h + 1)
            return "empty IPv6 address '[]'";
        if (rb + 1 < h + al) {
            if (rb[1] != ':')
                return "unexpected text after the IPv6 address (expected :PORT)";
            port = rb + 2;
        }
    } else {
        const char *c = memchr(h, ':', al);
        if (c && memchr(c + 1, ':', al - (size_t)(c + 1 - h)))
            return "an IPv6 address must be written in brackets: coap://[::1]/";
        if (c == h)
            return "no host before ':PORT'";
        if (c)
            port = c + 1;
    }
    if (port) {
        size_t pl = (size_t)(h + al - port);
        unsigned long v = 0;
        int ok = pl > 0 && pl <= 5;
        for (size_t i = 0; ok && i < pl; i++) {
            if (port[i] < '0' || port[i] > '9')
                ok = 0;
            else
                v = v * 10 + (unsigned long)(port[i] - '0');
        }
        if (!ok || v == 0 || v > 65535) {
            snprintf(tmp, cap, "bad port '%.*s' (1-65535)", (int)(pl > 16 ? 16 : pl), port);
            return tmp;
        }
    }
    for (const char *p = h + al; *p; p++)
        if (*p == '%' && !(p[1] && p[2] && strchr("0123456789abcdefABCDEF", p[1]) &&
                           strchr("0123456789abcdefABCDEF", p[2])))
            return "a '%' that is not followed by two hex digits";
    return "it does not parse";
}

const char *cs_explain_uri(const char *uri, char *buf, size_t cap) {
    char tmp[96];
    snprintf(buf, cap, "malformed URI '%s': %s (expected coap[s]://HOST[:PORT]/PATH[?QUERY])", uri,
             uri_problem(uri, tmp, sizeof tmp));
    return buf;
}

/* ---- sockets and files --------------------------------------------------------------- */

const char *cs_explain_bind(const char *host, unsigned long port, char *buf, size_t cap) {
    char ps[8];
    snprintf(ps, sizeof ps, "%lu", port);
    const char *h = host && host[0] ? host : "0.0.0.0";
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_PASSIVE;
    int e = 0;
    int gai = getaddrinfo(h, ps, &hints, &ai);
    if (gai != 0) {
        snprintf(buf, cap, "cannot listen on %s port %lu: cannot resolve '%s' (%s): check -A", h,
                 port, h, gai_strerror(gai));
        return buf;
    }
    int fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        e = errno;
    } else {
        int one = 1;
        if (ai->ai_family == AF_INET6)
            (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0)
            e = errno;
        close(fd);
    }
    freeaddrinfo(ai);
    const char *fix = "";
    if (e == EADDRINUSE)
        fix = ": another server (coapsec, libcoap, ...) is running there; stop it or pick "
              "another port with -p";
    else if (e == EACCES)
        fix = ": ports below 1024 need root (or CAP_NET_BIND_SERVICE); pick another with -p";
    else if (e == EADDRNOTAVAIL)
        fix = ": that is not an address of this machine; check -A";
    else if (e == EAFNOSUPPORT)
        fix = ": this host has no such address family; pick an address with -A";
    if (e)
        snprintf(buf, cap, "cannot listen on %s port %lu: %s%s", h, port, strerror(e), fix);
    else
        buf[0] = 0;
    return buf;
}

const char *cs_explain_file(const char *what, const char *path, char *buf, size_t cap) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        snprintf(buf, cap, "cannot read %s '%s': %s%s", what, path, strerror(e),
                 e == EACCES ? " (check the file's permissions and owner)" : "");
        return buf;
    }
    struct stat st;
    int dir = fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
    close(fd);
    if (dir) {
        snprintf(buf, cap, "cannot read %s '%s': it is a directory, not a PEM file", what, path);
        return buf;
    }
    return NULL;
}

void cs_explain_addr(const struct sockaddr *sa, char *buf, size_t cap) {
    char ip[64];
    snprintf(buf, cap, "?");
    if (sa && sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)(const void *)sa;
        if (inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip))
            snprintf(buf, cap, "[%s]:%u", ip, (unsigned)ntohs(a->sin6_port));
    } else if (sa && sa->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)(const void *)sa;
        if (inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip))
            snprintf(buf, cap, "%s:%u", ip, (unsigned)ntohs(a->sin_port));
    }
}

void cs_explain_authority(const char *uri, char *buf, size_t cap) {
    const char *sep = strstr(uri, "://");
    int secure = !strncmp(uri, "coaps://", 8);
    const char *h = sep ? sep + 3 : uri;
    size_t al = strcspn(h, "/?#");
    const char *rb = h[0] == '[' ? memchr(h, ']', al) : NULL;
    const char *colon = rb ? (rb + 1 < h + al && rb[1] == ':' ? rb + 1 : NULL) : memchr(h, ':', al);
    if (colon)
        snprintf(buf, cap, "%.*s", (int)al, h);
    else
        snprintf(buf, cap, "%.*s:%u", (int)al, h, secure ? 5684u : 5683u);
}
