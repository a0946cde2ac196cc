/*
 * tools/heartbeat.h - `--heartbeat SECONDS` for the `coapsec` client and
 * server: DTLS Heartbeat (RFC 6520) on every session, a HeartbeatRequest
 * after SECONDS without input (only to peers that negotiated it), the
 * session closed when the peer stops answering.
 */
#ifndef CS_TOOLS_HEARTBEAT_H
#define CS_TOOLS_HEARTBEAT_H

#include <stdint.h>
#include <stdio.h>

/* getopt_long code of --heartbeat (clear of the cli, sessions.h, pki.h and
 * keylog.h codes). */
#define CS_OPT_HEARTBEAT 1510
#define CS_HB_LONGOPT                                                                              \
    { "heartbeat", required_argument, NULL, CS_OPT_HEARTBEAT }

/** Parse SECONDS (1-86400) into *ms; 0, or -1 with a message naming prog. */
int cs_hb_opt(const char *arg, uint32_t *ms, const char *prog);

/** The option's help text. */
void cs_hb_usage(FILE *f);

#endif /* CS_TOOLS_HEARTBEAT_H */
