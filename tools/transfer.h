/*
 * tools/transfer.h - block-wise transfer (RFC 7959) and observe (RFC 7641)
 * helpers of the `coapsec` tool: the client's -b [NUM,]SIZE value, the
 * client's -s observation loop, and the server's once-a-second /time
 * notifications.
 */
#ifndef CS_TOOLS_TRANSFER_H
#define CS_TOOLS_TRANSFER_H

#include <stdint.h>
#include <stdio.h>

#include "coapsec/endpoint.h"

/* Largest response body the client reassembles (Block2) and the largest
 * request body the server reassembles (Block1). */
#define CS_TOOL_MAX_BODY (16u * 1024u * 1024u)

/**
 * Parse -b [NUM,]SIZE (libcoap) or [NUM:]SIZE: SIZE a power of two 16..1024,
 * NUM the first block number (0 .. 2^20-1). Returns 0 and *szx, *num, or -1.
 */
int cs_cli_parse_block(const char *arg, int *szx, uint32_t *num);

/**
 * Observe uri for seconds (-s): register with req (a GET), write each
 * notification's payload (the first response included) on a line of its own
 * to out, then deregister (RFC 7641 §3.6: the same token with Observe: 1) and
 * wait up to wait_s for its answer. req gets a random token when it has none.
 * Returns the tool's exit status (CS_EXIT_*), messages printed to stderr.
 */
int cs_client_observe(coapsec_endpoint *ep, const char *uri, coapsec_msg *req, unsigned flags,
                      unsigned long seconds, unsigned long wait_s, FILE *out);

/**
 * Server main-loop hook: once a second, notify the observers of /time
 * (coapsec_coap_notify); log changes of its observer count at -v 2. Returns the
 * milliseconds until it wants to run again (for coapsec_endpoint_process).
 */
int cs_server_time_tick(coapsec_endpoint *ep);

#endif /* CS_TOOLS_TRANSFER_H */
