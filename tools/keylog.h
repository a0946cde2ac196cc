/*
 * tools/keylog.h - `--keylog FILE` and SSLKEYLOGFILE for the `coapsec`
 * subcommands: where the endpoint writes its Wireshark key log, with a loud
 * warning on stderr.
 */
#ifndef CS_TOOLS_KEYLOG_H
#define CS_TOOLS_KEYLOG_H

#include "coapsec/endpoint.h"

/* getopt_long code of --keylog (clear of cli, sessions.h and pki.h codes). */
#define CS_OPT_KEYLOG 1500
#define CS_KEYLOG_LONGOPT                                                                          \
    { "keylog", required_argument, NULL, CS_OPT_KEYLOG }

/**
 * Turn the key log on when --keylog FILE was given (opt != NULL) or the
 * environment has SSLKEYLOGFILE, printing the warning; nothing otherwise.
 * Returns 0, or -1 with the reason printed (the file cannot be opened).
 */
int cs_keylog_setup(coapsec_endpoint *ep, const char *opt, const char *prog);

#endif /* CS_TOOLS_KEYLOG_H */
