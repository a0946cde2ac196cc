/* hex.c - hex strings to bytes for the tests' known-answer vectors (hex.h). */
#include "hex.h"

static int digit(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t th_unhex(const char *s, uint8_t *out, size_t cap) {
    size_t n = 0;
    int hi = -1;
    for (; *s; s++) {
        int v = digit(*s);
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
