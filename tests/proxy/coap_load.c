/*
 * coap_load.c - a CoAP client for the end-to-end loss tests
 * (tests/interop/test_loss_*.sh): sends COUNT confirmable requests one after
 * the other through the coapsec endpoint, with RFC 7252 transmission
 * parameters given on the command line (the `coapsec client` tool has no
 * flags for them), and reports the outcome of every single exchange, so
 * that none can be lost silently.
 *
 *   coap_load [-n COUNT] [-a ACK_TIMEOUT_MS] [-f ACK_RANDOM_FACTOR_x1000]
 *             [-r MAX_RETRANSMIT] [-m get|put] [-p PREFIX] URI
 *
 * put (default): request i is PUT URI/PREFIXi with payload "PREFIXi", so a
 * server log shows which request's handler ran how often. get: GET URI.
 * Output, one line per exchange: "ok I CODE" or "fail I ERROR"; then
 * "summary sent N ok K timeout T other O". Exit 0 when every exchange ended
 * in a callback (ok + timeout + other == sent), 1 otherwise, 2 on usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coapsec/endpoint.h"

typedef struct load {
    int done, ok, timeout, other, cur;
} load;

static void on_response(void *user, int status, const coapsec_msg *resp, coapsec_peer_id peer) {
    (void)peer;
    load *l = user;
    l->done = 1;
    if (status == 0 && resp) {
        l->ok++;
        printf("ok %d %d.%02d\n", l->cur, resp->code >> 5, resp->code & 31);
    } else {
        if (status == COAPSEC_ERR_TIMEOUT)
            l->timeout++;
        else
            l->other++;
        printf("fail %d %s\n", l->cur, coapsec_strerror(status));
    }
}

static int usage(void) {
    fprintf(stderr, "usage: coap_load [-n COUNT] [-a ACK_TIMEOUT_MS] [-f FACTOR_x1000] "
                    "[-r MAX_RETRANSMIT] [-m get|put] [-p PREFIX] URI\n");
    return 2;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    long count = 100, ack = 2000, factor = 1500, maxr = 4;
    int put = 1;
    const char *prefix = "r", *uri = NULL;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (o[0] != '-') {
            if (uri)
                return usage();
            uri = o;
            continue;
        }
        if (i + 1 >= argc)
            return usage();
        const char *a = argv[++i];
        if (!strcmp(o, "-n"))
            count = atol(a);
        else if (!strcmp(o, "-a"))
            ack = atol(a);
        else if (!strcmp(o, "-f"))
            factor = atol(a);
        else if (!strcmp(o, "-r"))
            maxr = atol(a);
        else if (!strcmp(o, "-m"))
            put = strcmp(a, "get") != 0;
        else if (!strcmp(o, "-p"))
            prefix = a;
        else
            return usage();
    }
    if (!uri || count < 1 || ack < 1 || factor < 1000 || maxr < 0 || maxr > 20 ||
        strlen(uri) + strlen(prefix) > 200)
        return usage();

    coapsec_coap_params params;
    coapsec_coap_params_default(&params);
    params.ack_timeout_ms = (uint32_t)ack;
    params.ack_random_factor_m = (uint32_t)factor;
    params.max_retransmit = (uint32_t)maxr;
    coapsec_endpoint_config cfg;
    coapsec_endpoint_config_default(&cfg);
    cfg.params = &params;
    cfg.max_peers = 4;
    coapsec_endpoint *ep;
    int rc = coapsec_endpoint_new(&cfg, &ep);
    if (rc != 0) {
        fprintf(stderr, "coap_load: endpoint: %s\n", coapsec_strerror(rc));
        return 1;
    }
    load l;
    memset(&l, 0, sizeof l);
    long sent = 0;
    for (long i = 0; i < count; i++) {
        char u[256], pl[64];
        coapsec_msg req;
        memset(&req, 0, sizeof req);
        req.type = COAPSEC_CON;
        if (put) {
            snprintf(u, sizeof u, "%s/%s%ld", uri, prefix, i);
            snprintf(pl, sizeof pl, "%s%ld", prefix, i);
            req.code = COAPSEC_PUT;
            req.payload = (const uint8_t *)pl;
            req.payload_len = strlen(pl);
        } else {
            snprintf(u, sizeof u, "%s", uri);
            req.code = COAPSEC_GET;
        }
        l.done = 0;
        l.cur = (int)i;
        rc = coapsec_endpoint_request(ep, u, &req, 0, on_response, &l);
        if (rc < 0) {
            printf("fail %ld cannot send: %s\n", i, coapsec_strerror(rc));
            l.other++;
            sent++;
            continue;
        }
        sent++;
        /* The engine calls back exactly once: a response or a timeout after
         * MAX_TRANSMIT_WAIT. The loop has no deadline of its own, so a lost
         * callback would hang here (and the test's timeout would catch it). */
        while (!l.done) {
            if (coapsec_endpoint_process(ep, 1000) < 0) {
                fprintf(stderr, "coap_load: endpoint I/O error\n");
                coapsec_endpoint_free(ep);
                return 1;
            }
        }
    }
    printf("summary sent %ld ok %d timeout %d other %d\n", sent, l.ok, l.timeout, l.other);
    coapsec_endpoint_free(ep);
    return l.ok + l.timeout + l.other == sent ? 0 : 1;
}
