/*
 * endpoint/keylog.c - the key log for Wireshark: one NSS key log line
 * "CLIENT_RANDOM <client_random hex> <master_secret hex>" per completed DTLS
 * handshake, appended to the file given to coapsec_endpoint_set_keylog() (or
 * coapsec_endpoint_config.keylog_file). The DTLS engine hands the client
 * random and master secret over in the ESTABLISHED event only; this file is
 * the only place that writes them, and only when a key log was asked for.
 * Each line is written with one write() on an O_APPEND descriptor, so a
 * client and a server may share the file.
 */
#define _GNU_SOURCE /* struct mmsghdr in ep_int.h */
#include "endpoint/keylog.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "endpoint/ep_int.h"

static void hex(const uint8_t *p, size_t n, char *out) {
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[p[i] >> 4];
        out[2 * i + 1] = d[p[i] & 15];
    }
}

size_t cs_keylog_line(const uint8_t client_random[32], const uint8_t master[48], char *out) {
    static const char tag[] = "CLIENT_RANDOM ";
    size_t n = sizeof tag - 1;
    memcpy(out, tag, n);
    hex(client_random, 32, out + n);
    n += 64;
    out[n++] = ' ';
    hex(master, 48, out + n);
    n += 96;
    out[n++] = '\n';
    return n;
}

void cs_keylog_close(coapsec_endpoint *ep) {
    if (ep->keylog.on)
        close(ep->keylog.fd);
    memset(&ep->keylog, 0, sizeof ep->keylog);
}

int coapsec_endpoint_set_keylog(coapsec_endpoint *ep, const char *path) {
    if (!ep || (path && !path[0]))
        return COAPSEC_ERR_INVAL;
    cs_keylog_close(ep);
    if (!path)
        return 0;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd < 0)
        return COAPSEC_ERR_IO;
    ep->keylog.fd = fd;
    ep->keylog.on = 1;
    cs_ep_log(ep, COAPSEC_LOG_WARN,
              "writing DTLS secrets to the key log %s: anyone with this file can decrypt the "
              "traffic",
              path);
    return 0;
}

void cs_keylog_event(coapsec_endpoint *ep, const coapsec_dtls_event *ev) {
    if (!ep->keylog.on || ev->type != COAPSEC_DTLS_EV_ESTABLISHED || !ev->client_random ||
        !ev->master_secret)
        return;
    char line[CS_KEYLOG_LINE];
    size_t n = cs_keylog_line(ev->client_random, ev->master_secret, line);
    ssize_t w;
    do
        w = write(ep->keylog.fd, line, n);
    while (w < 0 && errno == EINTR);
    cs_wipe(line, sizeof line);
    if (w != (ssize_t)n && !ep->keylog.err) {
        ep->keylog.err = 1;
        cs_ep_log(ep, COAPSEC_LOG_ERROR, "cannot write the key log: %s",
                  w < 0 ? strerror(errno) : "short write");
    }
}
