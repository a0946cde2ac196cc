/*
 * examples/cert_server.c - a coaps:// server with an X.509 certificate that
 * requires client certificates (TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8, P-256):
 * GET /hello answers "Hello, NAME" and prints NAME, the validated name of
 * the client's certificate (subjectAltName, else CN).
 *
 *   cert_server PORT CERT.pem KEY.pem CA.pem [ADDRESS]
 *   e.g. cert_server 5684 pki/127.0.0.1.crt pki/127.0.0.1.key pki/ca.crt
 *
 * CERT.pem: our chain (leaf first); CA.pem: the CA(s) client chains must lead
 * to (`coapsec keygen ca pki; coapsec keygen cert pki 127.0.0.1` makes test
 * ones). Clients without a valid certificate fail the handshake.
 */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <coapsec/endpoint.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig) {
    (void)sig;
    stop = 1;
}

/* GET /hello. user is the endpoint: it holds what each session authenticated. */
static void hello(void *user, const coapsec_coap_req *req, coapsec_coap_response *resp) {
    coapsec_peer_auth auth; /* kind X509: the client's chain was validated */
    if (coapsec_endpoint_peer_auth(user, req->peer, &auth) != 0 ||
        auth.kind != COAPSEC_DTLS_AUTH_X509) {
        resp->msg.code = COAPSEC_CODE(4, 1); /* 4.01: cannot happen with client auth on */
        return;
    }
    printf("cert_server: GET /hello from certificate '%s'\n", auth.name);
    char text[16 + sizeof auth.name];
    int n = snprintf(text, sizeof text, "Hello, %s", auth.name);
    coapsec_coap_resp_payload(resp, text, (size_t)n);
}

int main(int argc, char **argv) {
    if (argc < 5)
        return fprintf(stderr, "usage: cert_server PORT CERT.pem KEY.pem CA.pem [ADDRESS]\n"), 1;
    setvbuf(stdout, NULL, _IOLBF, 0); /* one line at a time, also into a file */
    static uint8_t chain[COAPSEC_ENDPOINT_CERT_LIST_MAX];
    size_t chain_len = 0;
    coapsec_endpoint_config cfg;
    coapsec_endpoint_config_default(&cfg);
    cfg.bind[0].port = (uint16_t)atoi(argv[1]);
    cfg.bind[0].host = argc > 5 ? argv[5] : "127.0.0.1";
    cfg.bind[0].security = COAPSEC_SEC_CERT;
    cfg.nbind = 1;
    coapsec_coap_resource res = {.path = "hello", .handler = hello, .methods = 1u << COAPSEC_GET};
    coapsec_dtls_key *key = NULL;
    coapsec_dtls_trust *trust = NULL;
    coapsec_endpoint *ep = NULL;
    int rc = coapsec_dtls_cert_list_load_file(argv[2], chain, sizeof chain, &chain_len);
    if (rc == 0 && (rc = coapsec_dtls_key_load_file(&key, argv[3])) == 0 &&
        (rc = coapsec_dtls_trust_new(&trust)) == 0 &&
        (rc = coapsec_dtls_trust_add_file(trust, argv[4])) == 0 &&
        (rc = coapsec_endpoint_new(&cfg, &ep)) == 0 &&
        (rc = coapsec_endpoint_set_identity(ep, key, chain, chain_len)) == 0 &&
        (rc = coapsec_endpoint_set_trust(ep, trust)) == 0) {
        coapsec_endpoint_set_require_client_auth(ep, 1); /* the default, made explicit */
        res.user = ep;
        rc = coapsec_coap_add_resource(coapsec_endpoint_coap(ep), &res);
    }
    if (rc != 0)
        fprintf(stderr, "cert_server: %s\n", coapsec_strerror(rc));
    struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: waits end early */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    while (rc >= 0 && !stop)
        rc = coapsec_endpoint_process(ep, 1000);
    coapsec_endpoint_free(ep); /* before the key and trust anchors it borrowed */
    coapsec_dtls_trust_free(trust);
    coapsec_dtls_key_free(key);
    return rc < 0 ? 1 : 0;
}
