/*
 * tools/main.c - entry point of the `coapsec` tool: dispatches the
 * subcommands client, server, help and version.
 */
#include <string.h>

#include "cli.h"
#include "pki.h"
#include "loadgen.h" /* bench/loadgen.h: `coapsec bench` */

/* Keep in step with project(coapsec VERSION ...) in CMakeLists.txt (tests/tool checks it). */
#define CS_TOOL_VERSION "0.1.0"

static void usage(FILE *f) {
    fputs("usage: coapsec COMMAND [OPTIONS]\n"
          "Secure CoAP (RFC 7252 over DTLS 1.2, oneM2M TS-0008 profile):\n"
          "NoSec, PreSharedKey, RawPublicKey and Certificate modes.\n"
          "Commands:\n"
          "  client   send one request and print the response (libcoap coap-client options)\n"
          "  server   run a CoAP server (libcoap coap-server options)\n"
          "  onem2m   send a oneM2M request primitive (JSON) and print the response as JSON\n"
          "  keygen   make P-256 keys, fingerprints, a test CA and certificates\n"
          "  bench    load generator: GET requests/s or handshakes/s against a server\n"
          "           (docs/PERFORMANCE.md; `coapsec help bench` for its options)\n"
          "  help     this text; `coapsec help client|server` for a command's options\n"
          "  version  print the version\n"
          "See docs/CLI.md.\n",
          f);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return CS_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "client") == 0)
        return cs_client_main(argc - 1, argv + 1);
    if (strcmp(cmd, "server") == 0)
        return cs_server_main(argc - 1, argv + 1);
    if (strcmp(cmd, "onem2m") == 0)
        return cs_onem2m_main(argc - 1, argv + 1);
    if (strcmp(cmd, "keygen") == 0)
        return cs_keygen_main(argc - 1, argv + 1);
    if (strcmp(cmd, "bench") == 0)
        return cs_bench_main(argc - 1, argv + 1);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("coapsec %s\n", CS_TOOL_VERSION);
        return CS_EXIT_OK;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
        if (argc > 2 && strcmp(argv[2], "client") == 0)
            cs_client_usage(stdout);
        else if (argc > 2 && strcmp(argv[2], "server") == 0)
            cs_server_usage(stdout);
        else if (argc > 2 && strcmp(argv[2], "onem2m") == 0)
            cs_onem2m_usage(stdout);
        else if (argc > 2 && strcmp(argv[2], "keygen") == 0)
            cs_keygen_usage(stdout);
        else if (argc > 2 && strcmp(argv[2], "bench") == 0) {
            char *hv[] = {"bench", "--help", NULL};
            cs_bench_main(2, hv);
        } else
            usage(stdout);
        return CS_EXIT_OK;
    }
    fprintf(stderr, "coapsec: unknown command '%s'\n", cmd);
    usage(stderr);
    return CS_EXIT_USAGE;
}
