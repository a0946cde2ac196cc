/*
 * tools/block.c - the `coapsec client -b [NUM,]SIZE` value (libcoap's
 * coap-client -b; NUM:SIZE is accepted too): block size and first block
 * number of a block-wise transfer (RFC 7959 §2.2).
 */
#include <string.h>

#include "cli.h"
#include "transfer.h"

int cs_cli_parse_block(const char *arg, int *szx, uint32_t *num) {
    const char *sep = strpbrk(arg, ",:");
    unsigned long n = 0, size;
    if (sep) {
        char head[16];
        size_t l = (size_t)(sep - arg);
        if (l == 0 || l >= sizeof head)
            return -1;
        memcpy(head, arg, l);
        head[l] = 0;
        if (cs_cli_parse_ulong(head, 0, (1ul << 20) - 1, &n) != 0)
            return -1;
        arg = sep + 1;
    }
    if (cs_cli_parse_ulong(arg, 16, 1024, &size) != 0)
        return -1;
    int x = coapsec_block_szx(size);
    if (x < 0)
        return -1;
    *szx = x;
    *num = (uint32_t)n;
    return 0;
}
