/*
 * crypto/crypto.h - the only door to libcrypto. Every primitive coapsec uses
 * (AES-128-CCM-8, SHA-256, HMAC-SHA256, the TLS 1.2 PRF, randomness,
 * constant-time compare, and later P-256 ECDH/ECDSA and X.509) is declared
 * here and implemented in src/crypto/ on OpenSSL's libcrypto. No other
 * directory includes an OpenSSL header.
 *
 * State handed out by this module is plain bytes (keys, hash states held in
 * fixed-size structs), never a libcrypto object that must be freed, except
 * where a type says so.
 */
#ifndef COAPSEC_CRYPTO_H
#define COAPSEC_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define CS_AES128_KEY_LEN 16
#define CS_CCM8_TAG_LEN 8
#define CS_CCM_NONCE_LEN 12 /* DTLS: 4-byte implicit IV || 8-byte explicit nonce */
#define CS_SHA256_LEN 32

/**
 * AES-128-CCM with an 8-byte tag (RFC 6655, RFC 3610 with M=8, L=3).
 * seal writes ptlen ciphertext bytes followed by the tag into out (ptlen + 8
 * bytes; out may equal pt). open checks the tag in constant time and writes
 * ctlen - 8 bytes of plaintext (out may equal ct); returns 0, or
 * COAPSEC_ERR_DECRYPT when the tag does not verify (out is then zeroed).
 */
int cs_ccm8_seal(const uint8_t key[16], const uint8_t nonce[12], const uint8_t *aad,
                 size_t aadlen, const uint8_t *pt, size_t ptlen, uint8_t *out);
int cs_ccm8_open(const uint8_t key[16], const uint8_t nonce[12], const uint8_t *aad,
                 size_t aadlen, const uint8_t *ct, size_t ctlen, uint8_t *out);

/** Generic CCM for the RFC 3610 / SP 800-38C test vectors (any nonce 7-13, tag 4-16). */
int cs_ccm_seal_generic(const uint8_t *key, size_t keylen, const uint8_t *nonce, size_t noncelen,
                        size_t taglen, const uint8_t *aad, size_t aadlen, const uint8_t *pt,
                        size_t ptlen, uint8_t *out);
int cs_ccm_open_generic(const uint8_t *key, size_t keylen, const uint8_t *nonce, size_t noncelen,
                        size_t taglen, const uint8_t *aad, size_t aadlen, const uint8_t *ct,
                        size_t ctlen, uint8_t *out);

/** SHA-256, one shot. */
void cs_sha256(const void *data, size_t len, uint8_t out[32]);

/**
 * Incremental SHA-256 (the handshake transcript). The state is plain bytes
 * inside the struct: copying the struct forks the hash (used to compute
 * Finished while the transcript goes on).
 */
typedef struct cs_sha256_ctx {
    uint64_t opaque[14]; /* large enough for OpenSSL's SHA256_CTX (112 bytes) */
} cs_sha256_ctx;
void cs_sha256_init(cs_sha256_ctx *c);
void cs_sha256_update(cs_sha256_ctx *c, const void *data, size_t len);
void cs_sha256_final(const cs_sha256_ctx *c, uint8_t out[32]); /* does not change c */

/** HMAC-SHA256 (RFC 2104); keylen any. */
void cs_hmac_sha256(const uint8_t *key, size_t keylen, const void *data, size_t len,
                    uint8_t out[32]);

/** TLS 1.2 PRF with SHA-256 (RFC 5246 §5): out = P_SHA256(secret, label || seed). */
int cs_tls12_prf(const uint8_t *secret, size_t secretlen, const char *label, const uint8_t *seed,
                 size_t seedlen, uint8_t *out, size_t outlen);

/** Cryptographically secure random bytes; returns 0 or COAPSEC_ERR_CRYPTO. */
int cs_random(void *buf, size_t len);

/** Constant-time comparison: 0 when equal (like memcmp for equality only). */
int cs_ct_memcmp(const void *a, const void *b, size_t len);

/** Overwrite secret material so the compiler cannot elide it. */
void cs_wipe(void *p, size_t len);

#endif /* COAPSEC_CRYPTO_H */
