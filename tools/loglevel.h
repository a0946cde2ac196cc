/*
 * tools/loglevel.h - the `-v LEVEL` scale of the `coapsec` tool, numbered as
 * in libcoap (syslog severities plus two detail levels), and the endpoint
 * log callback that prints library messages on that scale.
 */
#ifndef CS_TOOLS_LOGLEVEL_H
#define CS_TOOLS_LOGLEVEL_H

#include "coapsec/endpoint.h"

/* -v levels: a message is printed when its level <= -v. */
enum cs_cli_level {
    CS_V_EMERG = 0,
    CS_V_ALERT = 1,
    CS_V_CRIT = 2,
    CS_V_ERR = 3,    /* library COAPSEC_LOG_ERROR */
    CS_V_WARN = 4,   /* library COAPSEC_LOG_WARN */
    CS_V_NOTICE = 5, /* session ends, evictions */
    CS_V_INFO = 6,   /* library COAPSEC_LOG_INFO */
    CS_V_DEBUG = 7,  /* library COAPSEC_LOG_DEBUG */
    CS_V_DTLS = 8,   /* every DTLS session event with all its fields */
    CS_V_PACKETS = 9 /* every CoAP message the server handles, dumped */
};

/** The -v level of a library message of level COAPSEC_LOG_*. */
int cs_cli_level_of(int coapsec_log_level);

/** Endpoint log callback (coapsec_endpoint_config.log): prints
 *  "coapsec: LEVEL: message" to stderr when the level is <= -v. */
void cs_cli_lib_log(void *user, int level, const char *msg);

/** At -v 8: one line with every field of a session event. */
void cs_cli_log_session(const coapsec_session_event *ev, const char *prog);

#endif /* CS_TOOLS_LOGLEVEL_H */
