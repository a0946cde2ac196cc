/* hex.c - hex strings to bytes for the tests' known-answer vectors (hex.h). */
#include "hex.h"

#include "common/hex.h"

size_t th_unhex(const char *s, uint8_t *out, size_t cap) {
    size_t n = 0;
    int hi = -1;
    for (; *s; s++) {
        int v = cs_hexval(*s); /* anything else is skipped */
        if (v < 0)
            continue;
        if (hi < 0) {
            hi = v;
            continue;
        }
        if (n >= cap)
            return SIZE_MAX;
        out[n++] = (uint8_t)(hi << 4 | v);
        hi = -1;
    }
    return hi < 0 ? n : SIZE_MAX;
}
