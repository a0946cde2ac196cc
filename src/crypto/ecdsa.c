/*
 * ecdsa.c - ECDSA with SHA-256 on P-256 (FIPS 186-4, RFC 8422 §5.4
 * ServerKeyExchange / CertificateVerify signatures), DER-encoded
 * ECDSA-Sig-Value (RFC 3279 §2.2.3).
 */
#include "crypto/pkey_int.h"
#include "coapsec/common.h"

#include <string.h>

#include <openssl/err.h>

int cs_ecdsa_p256_sign(const cs_p256_key *k, const uint8_t *msg, size_t len, uint8_t *sig,
                       size_t *siglen) {
    if (k == NULL || sig == NULL || siglen == NULL || (len > 0 && msg == NULL))
        return COAPSEC_ERR_INVAL;
    if (k->curve != CS_CURVE_P256)
        return COAPSEC_ERR_UNSUPPORTED;
    uint8_t h[CS_SHA256_LEN];
    cs_sha256(len > 0 ? msg : (const uint8_t *)"", len, h);
    return cs_ecdsa_p256_sign_hash(k, h, sig, siglen);
}

int cs_ecdsa_p256_sign_hash(const cs_p256_key *k, const uint8_t hash[32], uint8_t *sig,
                            size_t *siglen) {
    if (k == NULL || hash == NULL || sig == NULL || siglen == NULL)
        return COAPSEC_ERR_INVAL;
    if (k->curve != CS_CURVE_P256)
        return COAPSEC_ERR_UNSUPPORTED;
    uint8_t buf[CS_ECDSA_SIG_MAX + 8];
    size_t n = sizeof(buf);
    /* Take the key's idle signing context, or set one up. Setting up (a
     * context for the key, sign_init, which looks ECDSA up by name) costs
     * about an eighth of the signature; libcrypto's ECDSA keeps nothing
     * from one signature to the next in it (each draws its own nonce).
     * Threads signing with one key at once each get their own context. */
    cs_p256_key *mk = (cs_p256_key *)k; /* the cached context is not part of the key's value */
    EVP_PKEY_CTX *ctx = atomic_exchange(&mk->sign_ctx, NULL);
    if (ctx == NULL) {
        ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
        if (ctx != NULL && (EVP_PKEY_sign_init(ctx) != 1 ||
                            EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) != 1)) {
            EVP_PKEY_CTX_free(ctx);
            ctx = NULL;
        }
    }
    int ok = ctx != NULL && EVP_PKEY_sign(ctx, buf, &n, hash, CS_SHA256_LEN) == 1;
    if (ok) { /* give it back unless another thread already did */
        EVP_PKEY_CTX *none = NULL;
        if (atomic_compare_exchange_strong(&mk->sign_ctx, &none, ctx))
            ctx = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    if (!ok) {
        ERR_clear_error();
        return COAPSEC_ERR_CRYPTO;
    }
    if (n > *siglen)
        return COAPSEC_ERR_NOBUF;
    memcpy(sig, buf, n);
    *siglen = n;
    return 0;
}

int cs_ecdsa_p256_verify_hash(const uint8_t pub[65], const uint8_t hash[32], const uint8_t *sig,
                              size_t siglen) {
    if (hash == NULL || sig == NULL || siglen == 0 || siglen > CS_ECDSA_SIG_MAX)
        return COAPSEC_ERR_AUTH;
    /* The thread's key and context; not freed. No digest is set on the
     * context: the hash is always SHA-256's 32 bytes here, and naming the
     * digest only made libcrypto look SHA-256 up by name (1.6 us) to check
     * that length. libcrypto re-encodes the parsed signature and requires
     * the same bytes, so BER variants and trailing garbage are refused. */
    EVP_PKEY_CTX *ctx = cs_pkey_verify_ctx(pub, CS_P256_PUB_LEN);
    int ok = ctx != NULL && EVP_PKEY_verify(ctx, sig, siglen, hash, CS_SHA256_LEN) == 1;
    if (!ok) {
        ERR_clear_error();
        return COAPSEC_ERR_AUTH;
    }
    return 0;
}

int cs_ecdsa_p256_verify(const uint8_t pub[65], const uint8_t *msg, size_t len, const uint8_t *sig,
                         size_t siglen) {
    if (len > 0 && msg == NULL)
        return COAPSEC_ERR_AUTH;
    uint8_t h[CS_SHA256_LEN];
    cs_sha256(len > 0 ? msg : (const uint8_t *)"", len, h);
    return cs_ecdsa_p256_verify_hash(pub, h, sig, siglen);
}
