/*
 * examples/nosec_client.c - the smallest coapsec client: GET one coap:// URI
 * and print the response payload on stdout.
 *
 *   nosec_client URI        e.g. nosec_client coap://127.0.0.1:5683/hello
 *
 * Exit status 0 on a 2.xx response, 1 otherwise (4.xx/5.xx, timeout, RST).
 * The request is a CON: the engine retransmits it (RFC 7252 §4.2) until the
 * answer comes or the retransmission limit is reached.
 * coaps:// (DTLS with PSK) is refused for now; once the endpoint has DTLS,
 * only the endpoint configuration below changes (set the PSK identity/key).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include <coapsec/endpoint.h>

struct result {
    int done, status;
    uint8_t code;
};

/* Called exactly once, from coapsec_endpoint_process(). resp is only valid here. */
static void on_response(void *user, int status, const coapsec_msg *resp, coapsec_peer_id peer) {
    struct result *r = user;
    (void)peer;
    r->done = 1;
    r->status = status;
    if (status == 0) {
        r->code = resp->code;
        fwrite(resp->payload, 1, resp->payload_len, stdout);
    }
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: nosec_client coap://HOST[:PORT]/PATH\n");
        return 1;
    }
    coapsec_endpoint_config cfg;
    coapsec_endpoint_config_default(&cfg); /* ephemeral port, IPv4 and IPv6 */
    coapsec_endpoint *ep;
    int rc = coapsec_endpoint_new(&cfg, &ep);
    if (rc != 0) {
        fprintf(stderr, "nosec_client: %s\n", coapsec_strerror(rc));
        return 1;
    }

    coapsec_msg req;
    memset(&req, 0, sizeof req);
    req.type = COAPSEC_CON;
    req.code = COAPSEC_GET; /* Uri-Path etc. are added from the URI */
    struct result r = {0, 0, 0};
    rc = coapsec_endpoint_request(ep, argv[1], &req, 0, on_response, &r);
    while (rc >= 0 && !r.done)
        rc = coapsec_endpoint_process(ep, -1); /* wakes up for retransmissions too */
    coapsec_endpoint_free(ep);

    if (rc < 0 || r.status != 0) {
        fprintf(stderr, "nosec_client: %s\n", coapsec_strerror(rc < 0 ? rc : r.status));
        return 1;
    }
    if (COAPSEC_CODE_CLASS(r.code) != 2) {
        fprintf(stderr, "nosec_client: response %u.%02u\n", COAPSEC_CODE_CLASS(r.code),
                COAPSEC_CODE_DETAIL(r.code));
        return 1;
    }
    return 0;
}
