/*
 * examples/psk_client.c - GET one coaps:// URI over DTLS 1.2 with a
 * pre-shared key (TLS_PSK_WITH_AES_128_CCM_8) and print the payload.
 *
 *   psk_client URI IDENTITY KEY   e.g. psk_client coaps://127.0.0.1:5684/hello sensor1
 * 0123456789abcdef
 *
 * The request waits in the endpoint while the handshake runs; if the
 * handshake fails (wrong key, unknown identity, no server) the reason is
 * printed. Exit status 0 on a 2.xx response, 1 otherwise.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include <coapsec/endpoint.h>

struct result {
    int done, status;
    uint8_t code;
};

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
    if (argc != 4)
        return fprintf(stderr, "usage: psk_client coaps://HOST[:PORT]/PATH IDENTITY KEY\n"), 1;
    coapsec_endpoint_config cfg;
    coapsec_endpoint_config_default(&cfg); /* ephemeral port, IPv4 and IPv6 */
    coapsec_endpoint *ep;
    int rc = coapsec_endpoint_new(&cfg, &ep);
    if (rc != 0)
        return fprintf(stderr, "psk_client: %s\n", coapsec_strerror(rc)), 1;
    /* NULL authority: this identity and key for every coaps:// destination. */
    rc = coapsec_endpoint_set_client_psk(ep, NULL, (const uint8_t *)argv[2], strlen(argv[2]),
                                         (const uint8_t *)argv[3], strlen(argv[3]));

    coapsec_msg req = {.type = COAPSEC_CON, .code = COAPSEC_GET};
    struct result r = {0, 0, 0};
    if (rc == 0)
        rc = coapsec_endpoint_request(ep, argv[1], &req, 0, on_response, &r);
    while (rc >= 0 && !r.done)
        rc = coapsec_endpoint_process(ep, -1); /* handshake, retransmissions, response */
    if (rc < 0 || r.status != 0)
        fprintf(stderr, "psk_client: %s: %s\n", coapsec_strerror(rc < 0 ? rc : r.status),
                coapsec_endpoint_last_error_text(ep));
    else if (COAPSEC_CODE_CLASS(r.code) != 2)
        fprintf(stderr, "psk_client: response %u.%02u\n", COAPSEC_CODE_CLASS(r.code),
                COAPSEC_CODE_DETAIL(r.code));
    coapsec_endpoint_free(ep); /* sends close_notify */
    return rc >= 0 && r.status == 0 && COAPSEC_CODE_CLASS(r.code) == 2 ? 0 : 1;
}
