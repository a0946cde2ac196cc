/*
 * tools/heartbeat.c - `--heartbeat SECONDS` (heartbeat.h): the value goes
 * to coapsec_endpoint_config.dtls_heartbeat_ms.
 */
#include "heartbeat.h"

#include "cli.h"

int cs_hb_opt(const char *arg, uint32_t *ms, const char *prog) {
    unsigned long s;
    if (cs_cli_parse_ulong(arg, 1, 86400, &s) != 0) {
        fprintf(stderr, "%s: --heartbeat wants SECONDS between 1 and 86400\n", prog);
        return -1;
    }
    *ms = (uint32_t)(s * 1000);
    return 0;
}

void cs_hb_usage(FILE *f) {
    fputs("  --heartbeat SECONDS  DTLS heartbeat (RFC 6520): offer it on every session,\n"
          "              answer the peer's requests and, when the peer allows it, send a\n"
          "              HeartbeatRequest after SECONDS without input; a peer that leaves\n"
          "              it unanswered through the DTLS retransmissions is dead and its\n"
          "              session is closed. Peers without heartbeat get none\n",
          f);
}
