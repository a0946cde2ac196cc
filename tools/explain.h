/*
 * tools/explain.h - the one place where the `coapsec` tool turns a failure
 * the user can cause (wrong PSK or identity, untrusted CA, expired or
 * wrong-curve certificate, no common cipher suite, no answer, port in use,
 * unreadable key file, malformed URI) into one line naming the cause and
 * the fix (docs/CLI.md "Error messages").
 */
#ifndef CS_TOOLS_EXPLAIN_H
#define CS_TOOLS_EXPLAIN_H

#include <stddef.h>
#include <sys/socket.h>

/** A failed DTLS handshake as the tool saw it (session event + context). */
typedef struct cs_hs_failure {
    int server;           /* 1: we were the DTLS server */
    int err;              /* COAPSEC_ERR_* of the session event */
    int alert;            /* alert description, 255 = none */
    int alert_from_peer;  /* 1: the peer sent the alert */
    const char *text;     /* the endpoint's text (event reason / last_error_text) */
    const char *peer;     /* "127.0.0.1:5684", or NULL */
    const char *psk_id;   /* client: the PSK identity offered (printable), or NULL */
    int psk;              /* client: a PSK was offered (-u/-k) */
    int pki;              /* a certificate or raw public key was configured */
    int identity;         /* client: we had a certificate or raw key of our own (-c/-j, -M) */
    unsigned waited_s;    /* client: gave up after this many seconds (-B), 0: engine timeout */
    unsigned retransmits; /* engine timeout: retransmissions sent */
} cs_hs_failure;

/**
 * "<cause>: <fix>" for a failed handshake, written to buf (always
 * NUL-terminated); returns buf. The endpoint's own text leads, so what the
 * library logs and what the tool prints start alike.
 */
const char *cs_explain_handshake(const cs_hs_failure *f, char *buf, size_t cap);

/** What is wrong with a URI that coapsec_endpoint_request() refused:
 *  "malformed URI 'X': <what> (expected coap[s]://HOST[:PORT]/PATH[?QUERY])". */
const char *cs_explain_uri(const char *uri, char *buf, size_t cap);

/** Why binding UDP host:port failed (probes the address itself):
 *  "cannot listen on HOST:PORT: address already in use: another server (or
 *  coapsec) is running there; pick another port with -p". */
const char *cs_explain_bind(const char *host, unsigned long port, char *buf, size_t cap);

/** Why a key or certificate file cannot be used: "cannot read key file
 *  'PATH': No such file or directory" (errno of opening it), or NULL when
 *  the file can be opened (its content is what is wrong). */
const char *cs_explain_file(const char *what, const char *path, char *buf, size_t cap);

/** "127.0.0.1:5684" / "[::1]:5684" for a socket address ("?" when NULL). */
void cs_explain_addr(const struct sockaddr *sa, char *buf, size_t cap);

/** HOST:PORT of a coap[s]:// URI (default port filled in), for messages. */
void cs_explain_authority(const char *uri, char *buf, size_t cap);

#endif /* CS_TOOLS_EXPLAIN_H */
