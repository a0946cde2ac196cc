/*
 * random.c - cryptographically secure random bytes from libcrypto's DRBG
 * (RAND_bytes), the only source of randomness in coapsec.
 */
#include "crypto/crypto.h"
#include "coapsec/common.h"

#include <limits.h>

#include <openssl/err.h>
#include <openssl/rand.h>

int cs_random(void *buf, size_t len) {
    uint8_t *p = buf;
    if (len > 0 && buf == NULL)
        return COAPSEC_ERR_INVAL;
    while (len > 0) {
        int n = len > (size_t)INT_MAX ? INT_MAX : (int)len;
        if (RAND_bytes(p, n) != 1) {
            ERR_clear_error();
            return COAPSEC_ERR_CRYPTO;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}
