/*
 * examples/psk_server.c - a coaps:// server (DTLS 1.2, TLS_PSK_WITH_AES_128_CCM_8)
 * with one PSK identity and one resource: GET /hello answers
 * "Hello, IDENTITY" and prints the client's authenticated PSK identity.
 *
 *   psk_server PORT IDENTITY KEY [ADDRESS]   e.g. psk_server 5684 sensor1 0123456789abcdef
 *
 * Plain CoAP arriving on the DTLS port is dropped; a client with another
 * identity or key fails its handshake. Exits 0 on SIGINT/SIGTERM.
 */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <coapsec/endpoint.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig) {
    (void)sig;
    stop = 1;
}

/* GET /hello. user is the endpoint: it knows which identity each session used. */
static void hello(void *user, const coapsec_coap_req *req, coapsec_coap_response *resp) {
    uint8_t id[COAPSEC_DTLS_PSK_ID_MAX];
    size_t idlen = sizeof id;
    if (coapsec_endpoint_peer_identity(user, req->peer, id, &idlen) != 0)
        idlen = 0; /* cannot happen on a DTLS-only bind; answer anyway */
    printf("psk_server: GET /hello from identity '%.*s'\n", (int)idlen, (const char *)id);
    fflush(stdout);
    char text[32 + COAPSEC_DTLS_PSK_ID_MAX];
    int n = snprintf(text, sizeof text, "Hello, %.*s", (int)idlen, (const char *)id);
    coapsec_coap_resp_uint(resp, COAPSEC_OPT_CONTENT_FORMAT, COAPSEC_CF_TEXT_PLAIN);
    coapsec_coap_resp_payload(resp, text, (size_t)n);
}

int main(int argc, char **argv) {
    if (argc < 4)
        return fprintf(stderr, "usage: psk_server PORT IDENTITY KEY [ADDRESS]\n"), 1;
    coapsec_endpoint_config cfg;
    coapsec_endpoint_config_default(&cfg);
    cfg.bind[0].port = (uint16_t)atoi(argv[1]);
    cfg.bind[0].host = argc > 4 ? argv[4] : "127.0.0.1";
    cfg.bind[0].security = COAPSEC_SEC_PSK; /* coaps:// only on this port */
    cfg.nbind = 1;

    coapsec_endpoint *ep;
    int rc = coapsec_endpoint_new(&cfg, &ep);
    if (rc != 0)
        return fprintf(stderr, "psk_server: %s\n", coapsec_strerror(rc)), 1;
    coapsec_coap_resource res = {
        .path = "hello", .handler = hello, .user = ep, .methods = 1u << COAPSEC_GET};
    if ((rc = coapsec_endpoint_add_psk(ep, (const uint8_t *)argv[2], strlen(argv[2]),
                                       (const uint8_t *)argv[3], strlen(argv[3]))) != 0 ||
        (rc = coapsec_coap_add_resource(coapsec_endpoint_coap(ep), &res)) != 0) {
        fprintf(stderr, "psk_server: %s\n", coapsec_strerror(rc));
        coapsec_endpoint_free(ep);
        return 1;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: the wait returns early */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    printf("psk_server: coaps://%s:%u/hello\n", cfg.bind[0].host,
           coapsec_endpoint_local_port(ep, 0));
    fflush(stdout);
    while (!stop && rc >= 0)
        rc = coapsec_endpoint_process(ep, 1000);
    coapsec_endpoint_free(ep); /* close_notify to every client */
    return rc < 0 ? 1 : 0;
}
