/*
 * ct.c - constant-time comparison and secure wiping of secrets
 * (CRYPTO_memcmp and OPENSSL_cleanse).
 */
#include "crypto/crypto.h"

#include <openssl/crypto.h>

int cs_ct_memcmp(const void *a, const void *b, size_t len) {
    if (len == 0)
        return 0;
    return CRYPTO_memcmp(a, b, len) != 0;
}

void cs_wipe(void *p, size_t len) {
    if (p != NULL && len > 0)
        OPENSSL_cleanse(p, len);
}
