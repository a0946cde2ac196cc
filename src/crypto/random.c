/*
 * random.c - cryptographically secure random bytes from libcrypto's DRBG
 * (RAND_bytes), the only source of randomness in coapsec: cs_random for
 * secrets, straight from the DRBG; cs_random_nonce for values that go on the
 * wire, from a small per-thread buffer of DRBG output.
 */
#include "crypto/crypto.h"
#include "coapsec/common.h"

#include <limits.h>
#include <pthread.h>
#include <string.h>

#include <openssl/crypto.h>
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

/* --- public values ------------------------------------------------------------ */

/* RAND_bytes costs about 0.8 us a call whatever the length (a thread-local
 * DRBG lookup, a lock, a reseed check), and a PSK handshake asks for random
 * bytes four or five times per side, for values that are public anyway:
 * hello randoms, session IDs, ticket nonces, CoAP message IDs and tokens.
 * Those are served from one RAND_bytes draw of NONCE_BUF bytes per thread;
 * every byte is handed out once and wiped from the buffer as it goes. A
 * forked child drops the parent's buffer (the forking thread's is the only
 * one the child has), so parent and child never hand out the same bytes. */
enum { NONCE_BUF = 256, NONCE_DIRECT = 64 };

struct nonce_buf {
    uint8_t b[NONCE_BUF];
    size_t pos; /* bytes before pos are used (and zero) */
};

static _Thread_local struct nonce_buf tl_nonce = {.pos = NONCE_BUF};
static pthread_once_t nonce_once = PTHREAD_ONCE_INIT;
static int nonce_once_failed;

static void nonce_drop(void) {
    OPENSSL_cleanse(tl_nonce.b, sizeof tl_nonce.b);
    tl_nonce.pos = NONCE_BUF;
}

static void nonce_atfork(void) {
    /* failing to register leaves the buffer fork-unsafe: then refuse to use it */
    if (pthread_atfork(NULL, NULL, nonce_drop) != 0)
        nonce_once_failed = 1;
}

int cs_random_nonce(void *buf, size_t len) {
    if (len > 0 && buf == NULL)
        return COAPSEC_ERR_INVAL;
    pthread_once(&nonce_once, nonce_atfork);
    if (len > NONCE_DIRECT || nonce_once_failed)
        return cs_random(buf, len);
    struct nonce_buf *nb = &tl_nonce;
    uint8_t *p = buf;
    while (len > 0) {
        if (nb->pos == NONCE_BUF) {
            if (RAND_bytes(nb->b, NONCE_BUF) != 1) {
                ERR_clear_error();
                OPENSSL_cleanse(buf, (size_t)(p - (uint8_t *)buf));
                return COAPSEC_ERR_CRYPTO;
            }
            nb->pos = 0;
        }
        size_t n = NONCE_BUF - nb->pos < len ? NONCE_BUF - nb->pos : len;
        memcpy(p, nb->b + nb->pos, n);
        OPENSSL_cleanse(nb->b + nb->pos, n);
        nb->pos += n;
        p += n;
        len -= n;
    }
    return 0;
}
