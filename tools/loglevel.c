/*
 * tools/loglevel.c - the `-v` scale (loglevel.h): library levels mapped to
 * libcoap's numbering, the endpoint log callback, and the -v 8 session dump.
 */
#include "loglevel.h"

#include <stdio.h>

#include "cli.h"
#include "explain.h"

int cs_cli_level_of(int level) {
    switch (level) {
    case COAPSEC_LOG_ERROR:
        return CS_V_ERR;
    case COAPSEC_LOG_WARN:
        return CS_V_WARN;
    case COAPSEC_LOG_INFO:
        return CS_V_INFO;
    default:
        return CS_V_DEBUG;
    }
}

void cs_cli_lib_log(void *user, int level, const char *msg) {
    (void)user;
    static const char *names[] = {"error", "warning", "info", "debug"};
    int l = level >= COAPSEC_LOG_ERROR && level <= COAPSEC_LOG_DEBUG ? level : COAPSEC_LOG_DEBUG;
    cs_cli_log(cs_cli_level_of(level), "coapsec: %s: %s", names[l], msg);
}

void cs_cli_log_session(const coapsec_session_event *ev, const char *prog) {
    static const char *types[] = {"?",       "established", "closed", "failed",
                                  "evicted", "dead",        "resumed"};
    if (cs_cli_verbose < CS_V_DTLS)
        return;
    char a[80];
    cs_explain_addr(ev->addr, a, sizeof a);
    int t = ev->type >= 1 && ev->type <= 6 ? ev->type : 0;
    cs_cli_log(CS_V_DTLS,
               "%s: session %s with %s: peer %u/%u, %s, replacement %d, suite 0x%04X, "
               "handshake %u ms, err %d (%s), alert %d (%s%s), reason '%s'",
               prog, types[t], a, (unsigned)ev->peer.slot, (unsigned)ev->peer.gen,
               ev->server ? "we are DTLS server" : "we are DTLS client", ev->replacement, ev->suite,
               (unsigned)ev->handshake_ms, ev->err, ev->err ? coapsec_strerror(ev->err) : "none",
               ev->alert, coapsec_dtls_alert_name(ev->alert),
               ev->alert_from_peer ? ", from the peer" : "", ev->reason ? ev->reason : "");
}
