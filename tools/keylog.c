/*
 * tools/keylog.c - `--keylog FILE` / SSLKEYLOGFILE (keylog.h): hands the path
 * to coapsec_endpoint_set_keylog() and warns loudly that the file holds the
 * secrets of every session.
 */
#include "keylog.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cs_keylog_setup(coapsec_endpoint *ep, const char *opt, const char *prog) {
    const char *path = opt, *src = "--keylog";
    if (!path) {
        path = getenv("SSLKEYLOGFILE");
        src = "SSLKEYLOGFILE";
        if (!path || !path[0])
            return 0;
    }
    int rc = coapsec_endpoint_set_keylog(ep, path);
    if (rc != 0) {
        fprintf(stderr, "%s: cannot write the key log '%s' (%s): %s\n", prog, path, src,
                rc == COAPSEC_ERR_IO ? strerror(errno) : coapsec_strerror(rc));
        return -1;
    }
    fprintf(stderr,
            "%s: WARNING: writing TLS secrets to %s (%s): anyone with this file can decrypt the "
            "traffic\n",
            prog, path, src);
    return 0;
}
