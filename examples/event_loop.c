/*
 * examples/event_loop.c - coapsec inside the caller's own poll() loop, as a
 * client and a server at once on one socket.
 *
 *   event_loop PORT URI [COUNT]   e.g. event_loop 5700 coap://127.0.0.1:5700/count
 *
 * Serves GET /count (GETs answered so far) on 127.0.0.1:PORT and, on its own
 * 200 ms application timer, GETs URI COUNT times (default 3), one at a time,
 * printing "response N: PAYLOAD"; URI may be this program itself. poll() waits
 * for the nearer of that timer and coapsec_endpoint_next_timeout_ms(); then
 * coapsec_endpoint_process(ep, 0) reads what is ready and runs due timers.
 * Other fds of the application would simply join fds[].
 */
#define _POSIX_C_SOURCE 200809L
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <coapsec/endpoint.h>

static unsigned served, answered, outstanding;

static void count(void *user, const coapsec_coap_req *req, coapsec_coap_response *resp) {
    char text[16];
    (void)user;
    (void)req;
    int n = snprintf(text, sizeof text, "%u", ++served);
    coapsec_coap_resp_payload(resp, text, (size_t)n);
}

static void on_response(void *user, int status, const coapsec_msg *resp, coapsec_peer_id peer) {
    (void)user;
    (void)peer;
    outstanding = 0;
    answered++;
    if (status != 0)
        printf("response %u: error %s\n", answered, coapsec_strerror(status));
    else
        printf("response %u: %.*s\n", answered, (int)resp->payload_len,
               (const char *)resp->payload);
    fflush(stdout);
}

int main(int argc, char **argv) {
    if (argc < 3)
        return fprintf(stderr, "usage: event_loop PORT URI [COUNT]\n"), 1;
    unsigned total = argc > 3 ? (unsigned)atoi(argv[3]) : 3, sent = 0;
    coapsec_endpoint_config cfg;
    coapsec_endpoint_config_default(&cfg);
    cfg.bind[0].host = "127.0.0.1";
    cfg.bind[0].port = (uint16_t)atoi(argv[1]);
    cfg.nbind = 1;
    coapsec_coap_resource res = {.path = "count", .handler = count, .methods = 1u << COAPSEC_GET};
    coapsec_endpoint *ep;
    int rc = coapsec_endpoint_new(&cfg, &ep);
    if (rc == 0 && (rc = coapsec_coap_add_resource(coapsec_endpoint_coap(ep), &res)) != 0)
        coapsec_endpoint_free(ep);
    if (rc != 0)
        return fprintf(stderr, "event_loop: %s\n", coapsec_strerror(rc)), 1;

    coapsec_tstamp next_send = coapsec_endpoint_now(ep) + 200;
    while (rc >= 0 && answered < total) {
        coapsec_tstamp now = coapsec_endpoint_now(ep);
        if (!outstanding && sent < total && now >= next_send) { /* application timer */
            coapsec_msg req = {.type = COAPSEC_CON, .code = COAPSEC_GET};
            rc = coapsec_endpoint_request(ep, argv[2], &req, 0, on_response, NULL);
            outstanding = rc >= 0;
            sent++;
            next_send = now + 200;
            continue;
        }
        int app = (!outstanding && sent < total) ? (int)(next_send - now) : -1;
        int lib = coapsec_endpoint_next_timeout_ms(ep); /* -1: no timer pending */
        int timeout = app < 0 ? lib : lib < 0 || app < lib ? app : lib;
        struct pollfd fds[1] = {{.fd = coapsec_endpoint_fd(ep), .events = POLLIN}};
        if (poll(fds, 1, timeout) < 0)
            break;
        rc = coapsec_endpoint_process(ep, 0); /* does not wait */
    }
    coapsec_endpoint_free(ep);
    if (rc < 0)
        fprintf(stderr, "event_loop: %s\n", coapsec_strerror(rc));
    return rc < 0 || answered < total ? 1 : 0;
}
