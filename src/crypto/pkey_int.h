/*
 * pkey_int.h - private helpers shared by the EC files of src/crypto/:
 * converting between plain-byte P-256 keys and libcrypto EVP_PKEY objects,
 * and the definition of the opaque cs_p256_key.
 */
#ifndef COAPSEC_CRYPTO_PKEY_INT_H
#define COAPSEC_CRYPTO_PKEY_INT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ec.h>
#include <openssl/evp.h>

#include "crypto/crypto.h"

struct cs_p256_key {
    EVP_PKEY *pkey;
    /* Read once when the key is wrapped: every ECDHE handshake signs with
     * the key and sends its public point, and asking libcrypto for either
     * costs a parameter query each time. */
    int curve;                    /* CS_CURVE_P256, CS_CURVE_P384, or -1 */
    int have_pub;                 /* P-256: pub holds the uncompressed point */
    uint8_t pub[CS_P256_PUB_LEN]; /* public, not secret */
    /* A signing context set up for this key, reused by the next signature
     * (ecdsa.c); NULL when none is idle. */
    _Atomic(EVP_PKEY_CTX *) sign_ctx;
};

/* The P-256 group (shared, read-only; NULL only if libcrypto failed). */
const EC_GROUP *cs_p256_group(void);
/* EVP_PKEY for a public point (65-byte uncompressed, on P-256); NULL if
 * the bytes are not such a point. */
EVP_PKEY *cs_pkey_from_point(const uint8_t *pub, size_t publen);
/* The same point, validated the same way, as the calling thread's
 * verification key: not to be freed, and good only until the thread's next
 * call (no context the caller makes on it may outlive that). NULL if not such
 * a point. */
EVP_PKEY *cs_pkey_verify_point(const uint8_t *pub, size_t publen);
/* The thread's verification key set to that point (as cs_pkey_verify_point)
 * and its verification context, initialised for EVP_PKEY_verify on it: not to
 * be freed, good until the thread's next call of either. NULL if not such a
 * point. */
EVP_PKEY_CTX *cs_pkey_verify_ctx(const uint8_t *pub, size_t publen);
/* EVP_PKEY for a 32-byte private scalar (with or without its public point). */
EVP_PKEY *cs_pkey_from_priv(const uint8_t priv[32], const uint8_t *pub);
/* The curve of an EC key: CS_CURVE_P256, CS_CURVE_P384, or -1 (not EC or
 * another curve). */
int cs_pkey_curve(const EVP_PKEY *pkey);
/* Uncompressed public point of a P-256 key; 0 or a COAPSEC_ERR_*. */
int cs_pkey_point(const EVP_PKEY *pkey, uint8_t pub[65]);
/* Wraps pkey (taking ownership) in a new cs_p256_key. */
int cs_key_wrap(cs_p256_key **out, EVP_PKEY *pkey);

#endif /* COAPSEC_CRYPTO_PKEY_INT_H */
