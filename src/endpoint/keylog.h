/*
 * endpoint/keylog.h - the endpoint's key log for Wireshark (NSS key log
 * format): the state kept in the endpoint and the hooks secure.c calls.
 */
#ifndef CS_ENDPOINT_KEYLOG_H
#define CS_ENDPOINT_KEYLOG_H

#include <stdint.h>

#include "coapsec/dtls.h"

struct coapsec_endpoint;

/* Zero-initialised: no key log. */
typedef struct cs_keylog {
    int fd;      /* valid when on */
    uint8_t on;  /* a key log file is open */
    uint8_t err; /* a write failed (reported once) */
} cs_keylog;

/* Format one key log line into out (room for CS_KEYLOG_LINE bytes, "\n"
 * included, no NUL); returns its length. */
#define CS_KEYLOG_LINE (14 + 64 + 1 + 96 + 1)
size_t cs_keylog_line(const uint8_t client_random[32], const uint8_t master[48], char *out);

/* ESTABLISHED event of a session: write its line when a key log is open. */
void cs_keylog_event(struct coapsec_endpoint *ep, const coapsec_dtls_event *ev);
/* Close the key log (coapsec_endpoint_free). */
void cs_keylog_close(struct coapsec_endpoint *ep);

#endif /* CS_ENDPOINT_KEYLOG_H */
