/*
 * examples/nosec_server.c - the smallest coapsec server: one resource,
 * GET /hello answering "Hello from coapsec" (text/plain), over coap:// (NoSec).
 *
 *   nosec_server [PORT [ADDRESS]]    (defaults: 5683 on 127.0.0.1)
 *
 * coapsec_endpoint_process() waits for datagrams and timers (at most 1 s, so
 * that a SIGINT/SIGTERM arriving just before the wait is seen too); the
 * server then exits cleanly.
 * DTLS (coaps://, PSK) is not wired into the endpoint yet; when it is, only
 * the endpoint configuration below changes (credentials, coaps port).
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

/* GET /hello: resp->msg.code is preset to 2.05 Content. */
static void hello(void *user, const coapsec_coap_req *req, coapsec_coap_response *resp) {
    static const char text[] = "Hello from coapsec";
    (void)user;
    (void)req;
    coapsec_coap_resp_uint(resp, COAPSEC_OPT_CONTENT_FORMAT, COAPSEC_CF_TEXT_PLAIN);
    coapsec_coap_resp_payload(resp, text, sizeof text - 1);
}

int main(int argc, char **argv) {
    coapsec_endpoint_config cfg;
    coapsec_endpoint_config_default(&cfg);
    cfg.bind[0].port = (uint16_t)(argc > 1 ? atoi(argv[1]) : 5683);
    cfg.bind[0].host = argc > 2 ? argv[2] : "127.0.0.1";
    cfg.nbind = 1;

    coapsec_endpoint *ep;
    int rc = coapsec_endpoint_new(&cfg, &ep);
    if (rc != 0) {
        fprintf(stderr, "nosec_server: %s\n", coapsec_strerror(rc));
        return 1;
    }
    coapsec_coap_resource res = {.path = "hello",
                                 .handler = hello,
                                 .attrs = "rt=\"greeting\";ct=0",
                                 .methods = 1u << COAPSEC_GET};
    if ((rc = coapsec_coap_add_resource(coapsec_endpoint_coap(ep), &res)) != 0) {
        fprintf(stderr, "nosec_server: %s\n", coapsec_strerror(rc));
        coapsec_endpoint_free(ep);
        return 1;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: the wait returns early */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    printf("nosec_server: coap://%s:%u/hello\n", cfg.bind[0].host,
           coapsec_endpoint_local_port(ep, 0));
    fflush(stdout);
    while (!stop && rc >= 0)
        rc = coapsec_endpoint_process(ep, 1000);
    coapsec_endpoint_free(ep);
    return rc < 0 ? 1 : 0;
}
