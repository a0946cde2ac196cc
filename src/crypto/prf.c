/*
 * prf.c - the TLS 1.2 pseudo-random function with SHA-256 (RFC 5246 §5),
 * PRF(secret, label, seed) = P_SHA256(secret, label || seed), computed by
 * libcrypto's "TLS1-PRF" EVP_KDF. The KDF implementation is fetched once
 * per process; each call builds and frees a small KDF context (a handshake
 * calls the PRF a handful of times, records never do).
 */
#include "crypto/crypto.h"
#include "coapsec/common.h"

#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

static EVP_KDF *prf_kdf;
static pthread_once_t prf_once = PTHREAD_ONCE_INIT;

static void prf_fetch(void) {
    prf_kdf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
}

int cs_tls12_prf(const uint8_t *secret, size_t secretlen, const char *label, const uint8_t *seed,
                 size_t seedlen, uint8_t *out, size_t outlen) {
    static const uint8_t empty[1];
    if (label == NULL || out == NULL || outlen == 0 || (secretlen > 0 && secret == NULL) ||
        (seedlen > 0 && seed == NULL))
        return COAPSEC_ERR_INVAL;
    pthread_once(&prf_once, prf_fetch);
    if (prf_kdf == NULL)
        return COAPSEC_ERR_CRYPTO;
    EVP_KDF_CTX *kctx = EVP_KDF_CTX_new(prf_kdf);
    if (kctx == NULL)
        return COAPSEC_ERR_CRYPTO;
    char digest[] = "SHA256";
    /* The KDF concatenates its SEED parameters in order: label, then seed. */
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET,
                                          (void *)(secretlen > 0 ? secret : empty), secretlen),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, (void *)label, strlen(label)),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, (void *)(seedlen > 0 ? seed : empty),
                                          seedlen),
        OSSL_PARAM_construct_end(),
    };
    int ok = EVP_KDF_derive(kctx, out, outlen, params) == 1;
    EVP_KDF_CTX_free(kctx);
    if (!ok) {
        ERR_clear_error();
        cs_wipe(out, outlen);
        return COAPSEC_ERR_CRYPTO;
    }
    return 0;
}
