/*
 * tools/sessions.h - the session features of `coapsec` (TS-0008 §7): the
 * session-limit options of the server, `server --send` (requests to a peer
 * named by its PSK identity over the session it opened, waiting for it to
 * connect), `client --serve` (the default resource set served over the
 * sessions the client opened), and logging of session events and counters.
 */
#ifndef CS_TOOLS_SESSIONS_H
#define CS_TOOLS_SESSIONS_H

#include <stdio.h>

#include "coapsec/endpoint.h"

#define CS_SESS_MAX_SEND 8

/* getopt_long ids of the session options (server and client). */
enum {
    CS_OPT_MAX_SESSIONS = 1200,
    CS_OPT_MAX_HANDSHAKES,
    CS_OPT_IDLE,
    CS_OPT_PROTECT,
    CS_OPT_SEND,
    CS_OPT_SEND_TIMEOUT,
    CS_OPT_SERVE,
    CS_OPT_SERVE_FOR
};

typedef struct cs_sess_opts {
    unsigned long max_sessions, max_handshakes, idle_s, protect_s, send_timeout_s, serve_for_s;
    unsigned long ping_s; /* client -K */
    int serve;            /* client --serve */
    const char *send[CS_SESS_MAX_SEND];
    size_t nsend;
} cs_sess_opts;

void cs_sess_opts_init(cs_sess_opts *o);
/** Handle one of the CS_OPT_* options (and the client's -K). 0, or -1 after a message. */
int cs_sess_opt(cs_sess_opts *o, int c, const char *arg, const char *prog);
/** Put the options into an endpoint configuration. */
void cs_sess_apply(const cs_sess_opts *o, coapsec_endpoint_config *cfg);
/** Queue the --send requests (each waits for its identity). 0 or -1 after a message. */
int cs_sess_start_sends(coapsec_endpoint *ep, const cs_sess_opts *o);
/** Log COAPSEC_SESSION_EVICTED / _DEAD events with the counters (-v 1). */
void cs_sess_event(coapsec_endpoint *ep, const coapsec_session_event *ev, const char *prog);
/** One line of session counters on stderr (-v 1). */
void cs_sess_log_stats(coapsec_endpoint *ep, const char *prog);
/** Usage lines of the server's session options. */
void cs_sess_server_usage(FILE *f);

/** client --serve: register /, /time and the store on ep's engine. 0 or -1. */
int cs_serve_setup(coapsec_endpoint *ep);
/** Serve until SIGINT/SIGTERM or seconds (0 = no limit) pass; then free the store. */
void cs_serve_run(coapsec_endpoint *ep, unsigned long seconds);

#endif /* CS_TOOLS_SESSIONS_H */
