/*
 * examples/rpk_device.c - a device that is DTLS client only and CoAP client
 * and server at once: it connects to its data-centre server with a raw public
 * key (RFC 7250, TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8), PUTs one reading, then
 * serves PUT /cmd to that server over the same session (the server reaches
 * the device without knowing its address: no open port, NAT-friendly).
 *
 *   rpk_device URI KEY.pem SERVER_PUBKEY.pem [SECONDS]
 *   e.g. rpk_device coaps://127.0.0.1:5684/reading device.pem server.pub.pem 60
 *
 * KEY.pem: the device's P-256 key; SERVER_PUBKEY.pem: the server's public key
 * (`coapsec keygen key` makes both). Serves /cmd for SECONDS after the reading
 * was accepted (default: until SIGINT/SIGTERM); exit 0 if it was.
 */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <coapsec/endpoint.h>

static volatile sig_atomic_t stop;
static int put_status = 1; /* 1: waiting; 0: 2.xx; else an error or the response code */

static void on_signal(int sig) {
    (void)sig;
    stop = 1;
}

/* PUT /cmd from the server. resp->msg.code is preset to 2.04 Changed. */
static void cmd(void *user, const coapsec_coap_req *req, coapsec_coap_response *resp) {
    (void)user;
    (void)resp;
    printf("rpk_device: /cmd '%.*s'\n", (int)req->msg->payload_len,
           (const char *)req->msg->payload);
}

static void on_put(void *user, int status, const coapsec_msg *resp, coapsec_peer_id peer) {
    (void)user;
    (void)peer;
    put_status = status ? status : COAPSEC_CODE_CLASS(resp->code) == 2 ? 0 : resp->code;
    if (status == 0)
        printf("rpk_device: reading -> %u.%02u\n", COAPSEC_CODE_CLASS(resp->code),
               COAPSEC_CODE_DETAIL(resp->code));
}

int main(int argc, char **argv) {
    if (argc < 4)
        return fprintf(stderr, "usage: rpk_device URI KEY.pem SERVER_PUBKEY.pem [SECONDS]\n"), 1;
    setvbuf(stdout, NULL, _IOLBF, 0); /* one line at a time, also into a file */
    char pem[4096];
    uint8_t fp[32];
    FILE *f = fopen(argv[3], "rb");
    size_t n = f ? fread(pem, 1, sizeof pem, f) : 0;
    if (f)
        fclose(f);
    coapsec_endpoint_config cfg;
    coapsec_endpoint_config_default(&cfg); /* ephemeral ports */
    cfg.dtls_only = 1; /* no plaintext CoAP, no incoming handshakes: DTLS client only */
    coapsec_coap_resource res = {.path = "cmd", .handler = cmd, .methods = 1u << COAPSEC_PUT};
    coapsec_msg req = {.type = COAPSEC_CON, .code = COAPSEC_PUT, .payload_len = 4};
    req.payload = (const uint8_t *)"21.5"; /* the reading */
    coapsec_dtls_key *key = NULL;
    coapsec_endpoint *ep = NULL;
    int rc = coapsec_dtls_key_load_file(&key, argv[2]);
    if (rc == 0 && (rc = coapsec_dtls_spki_fingerprint_any((const uint8_t *)pem, n, fp)) == 0 &&
        (rc = coapsec_endpoint_new(&cfg, &ep)) == 0 &&
        (rc = coapsec_endpoint_set_identity(ep, key, NULL, 0)) == 0 && /* raw key, no cert */
        (rc = coapsec_endpoint_add_rpk_trust(ep, fp)) == 0 &&          /* pin the server */
        (rc = coapsec_coap_add_resource(coapsec_endpoint_coap(ep), &res)) == 0)
        rc = coapsec_endpoint_request(ep, argv[1], &req, 0, on_put, NULL);
    struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: waits end early */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    while (rc >= 0 && !stop && put_status == 1)
        rc = coapsec_endpoint_process(ep, 1000);
    coapsec_tstamp end = coapsec_endpoint_now(ep) + (argc > 4 ? 1000u * atoi(argv[4]) : 0);
    while (rc >= 0 && !stop && put_status == 0 && (argc < 5 || coapsec_endpoint_now(ep) < end))
        rc = coapsec_endpoint_process(ep, 200);
    if (rc < 0 || put_status < 0) /* a 4.xx/5.xx answer was printed by on_put */
        fprintf(stderr, "rpk_device: %s: %s\n", coapsec_strerror(rc < 0 ? rc : put_status),
                ep ? coapsec_endpoint_last_error_text(ep) : "");
    coapsec_endpoint_free(ep); /* close_notify; then the key it borrowed */
    coapsec_dtls_key_free(key);
    return put_status == 0 ? 0 : 1;
}
