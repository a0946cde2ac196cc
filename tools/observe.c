/*
 * tools/observe.c - observe (RFC 7641) in the `coapsec` tool: the client's
 * -s SECONDS loop (register, print each notification's payload on a line of
 * its own, deregister at the end, §3.6) and the server's /time ticker that
 * notifies its observers once a second (§4.2).
 */
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "transfer.h"

typedef struct obs_state {
    FILE *out;
    unsigned calls; /* responses and notifications delivered */
    int answered;   /* calls > 0 */
    int ended;      /* the observation ended (error, non-2.xx, no Observe) */
    int registered; /* a 2.xx with Observe came: the server keeps us */
    int status;
    uint8_t code;
    int write_err;
    int dereg_done;
    int dereg_status;
    uint8_t dereg_code;
} obs_state;

static void on_notify(void *user, int status, const coapsec_msg *resp, coapsec_peer_id peer) {
    (void)peer;
    obs_state *o = user;
    o->calls++;
    o->answered = 1;
    o->status = status;
    if (status != 0 || !resp) {
        o->ended = 1;
        return;
    }
    if (cs_cli_verbose >= 1)
        cs_cli_dump_msg(stderr, "<- ", resp);
    o->code = resp->code;
    if (COAPSEC_CODE_CLASS(resp->code) != 2) {
        char c[48];
        fprintf(stderr, "%s\n", cs_cli_code_str(resp->code, c, sizeof c));
        if (resp->payload_len) /* diagnostic payload (RFC 7252 §5.5.2) */
            fprintf(stderr, "%.*s\n", (int)resp->payload_len, (const char *)resp->payload);
        o->ended = 1;
        return;
    }
    if ((resp->payload_len &&
         fwrite(resp->payload, 1, resp->payload_len, o->out) != resp->payload_len) ||
        fputc('\n', o->out) == EOF || fflush(o->out) != 0)
        o->write_err = 1;
    if (coapsec_msg_find(resp, COAPSEC_OPT_OBSERVE) == NULL)
        o->ended = 1; /* not observable, or the server ended it (§3.2) */
    else
        o->registered = 1;
}

static void on_dereg(void *user, int status, const coapsec_msg *resp, coapsec_peer_id peer) {
    (void)peer;
    obs_state *o = user;
    o->dereg_done = 1;
    o->dereg_status = status;
    o->dereg_code = resp ? resp->code : 0;
}

/* Run the endpoint until *flag is set or the clock reaches until. */
static void run_until(coapsec_endpoint *ep, const int *flag, coapsec_tstamp until) {
    while (!*flag) {
        coapsec_tstamp now = coapsec_endpoint_now(ep);
        if (now >= until)
            return;
        uint64_t left = until - now;
        if (coapsec_endpoint_process(ep, left > 1000 ? 1000 : (int)left) < 0) {
            fprintf(stderr, "coapsec client: socket error\n");
            return;
        }
    }
}

int cs_client_observe(coapsec_endpoint *ep, const char *uri, coapsec_msg *req, unsigned flags,
                      unsigned long seconds, unsigned long wait_s, FILE *out) {
    if (req->code != COAPSEC_GET && req->code != COAPSEC_FETCH) {
        fprintf(stderr, "coapsec client: -s observes with GET or FETCH only\n");
        return CS_EXIT_USAGE;
    }
    if (req->tkl == 0) { /* our own token: the deregistration reuses it (§3.6) */
        req->tkl = 8;
        if (getentropy(req->token, req->tkl) != 0) {
            fprintf(stderr, "coapsec client: no randomness for the token\n");
            return CS_EXIT_FAIL;
        }
    }
    obs_state o;
    memset(&o, 0, sizeof o);
    o.out = out;
    int h = coapsec_endpoint_observe(ep, uri, req, flags, on_notify, &o);
    if (h < 0) {
        if (h == COAPSEC_ERR_URI) {
            fprintf(stderr,
                    "coapsec client: malformed URI '%s' (expected coap://HOST[:PORT]/PATH)\n", uri);
            return CS_EXIT_USAGE;
        }
        fprintf(stderr, "coapsec client: cannot send the request: %s\n", coapsec_strerror(h));
        return CS_EXIT_FAIL;
    }
    coapsec_tstamp start = coapsec_endpoint_now(ep);
    coapsec_tstamp end = start + (coapsec_tstamp)seconds * 1000u;
    coapsec_tstamp first = start + (coapsec_tstamp)wait_s * 1000u;
    /* Until the first answer (at most -B), then until -s is over. */
    run_until(ep, &o.answered, first < end ? first : end);
    if (o.answered)
        run_until(ep, &o.ended, end);

    int exit_code = CS_EXIT_OK;
    if (!o.ended) {
        coapsec_endpoint_observe_cancel(ep, h, 0);
        if (o.registered) {
            /* §3.6: a GET with Observe: 1 and the same token. */
            coapsec_msg d = *req;
            uint8_t one[4];
            coapsec_msg_del_opt(&d, COAPSEC_OPT_OBSERVE);
            int rc = coapsec_msg_add_uint(&d, COAPSEC_OPT_OBSERVE, 1, one);
            if (rc == 0)
                rc = coapsec_endpoint_request(ep, uri, &d, flags, on_dereg, &o);
            if (rc >= 0)
                run_until(ep, &o.dereg_done,
                          coapsec_endpoint_now(ep) + (coapsec_tstamp)wait_s * 1000u);
            if (rc < 0 || !o.dereg_done || o.dereg_status != 0)
                fprintf(stderr, "coapsec client: warning: deregistration not confirmed\n");
            else
                cs_cli_log(1, "observe: deregistered after %u notification%s", o.calls,
                           o.calls == 1 ? "" : "s");
        }
    }
    if (o.calls == 0) {
        const char *why = coapsec_endpoint_last_error_text(ep);
        if (why[0])
            fprintf(stderr, "coapsec client: handshake failed: %s\n", why);
        else
            fprintf(stderr, "coapsec client: no response within %lu s\n",
                    wait_s < seconds ? wait_s : seconds);
        exit_code = CS_EXIT_FAIL;
    } else if (o.status == COAPSEC_ERR_HANDSHAKE) {
        const char *why = coapsec_endpoint_last_error_text(ep);
        fprintf(stderr, "coapsec client: handshake failed: %s\n", why[0] ? why : "unknown reason");
        exit_code = CS_EXIT_FAIL;
    } else if (o.status != 0 && !o.registered) {
        fprintf(stderr, "coapsec client: %s\n", coapsec_strerror(o.status));
        exit_code = CS_EXIT_FAIL;
    } else if (o.status != 0) {
        fprintf(stderr, "coapsec client: observation ended: %s\n", coapsec_strerror(o.status));
    } else if (COAPSEC_CODE_CLASS(o.code) != 2) {
        exit_code = CS_EXIT_RESPONSE;
    }
    if (o.write_err) {
        fprintf(stderr, "coapsec client: cannot write the notifications\n");
        exit_code = CS_EXIT_FAIL;
    }
    return exit_code;
}

int cs_server_time_tick(coapsec_endpoint *ep) {
    static coapsec_tstamp next;
    static int last = 0;
    coapsec_coap_ctx *coap = coapsec_endpoint_coap(ep);
    int n = coapsec_coap_observers(coap, "time");
    if (n != last) {
        cs_cli_log(2, "coapsec server: /time has %d observer%s", n, n == 1 ? "" : "s");
        last = n;
    }
    coapsec_tstamp now = coapsec_endpoint_now(ep);
    if (n <= 0) {
        next = 0;
        return 1000;
    }
    if (next == 0)
        next = now + 1000; /* a second after the registration */
    if (now >= next) {
        coapsec_coap_notify(coap, "time", now);
        next += 1000;
        if (next <= now)
            next = now + 1000; /* we were late: no burst */
    }
    return (int)(next - now);
}
