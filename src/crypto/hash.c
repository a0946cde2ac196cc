/*
 * hash.c - SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104) on libcrypto.
 *
 * The incremental SHA-256 keeps OpenSSL's SHA256_CTX as plain bytes inside
 * cs_sha256_ctx, so a transcript hash can be forked by copying the struct
 * and needs no freeing. SHA256_Init/Update/Final are deprecated in OpenSSL
 * 3.0 but remain the only allocation-free, copyable interface; this file
 * alone uses them. HMAC keeps one EVP_MAC_CTX per thread, re-keyed per call;
 * P_SHA256 (the TLS 1.2 PRF's expansion) keys it once per call and restarts
 * it keyed for each further block.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "crypto/crypto.h"
#include "crypto/tls_obj.h"
#include "coapsec/common.h"

#include <assert.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/sha.h>

static_assert(sizeof(SHA256_CTX) <= sizeof(cs_sha256_ctx), "cs_sha256_ctx too small");
static_assert(_Alignof(SHA256_CTX) <= _Alignof(cs_sha256_ctx), "cs_sha256_ctx misaligned");

void cs_sha256(const void *data, size_t len, uint8_t out[32]) {
    SHA256_CTX c;
    SHA256_Init(&c);
    SHA256_Update(&c, data, len);
    SHA256_Final(out, &c);
    OPENSSL_cleanse(&c, sizeof(c));
}

void cs_sha256_init(cs_sha256_ctx *c) {
    memset(c, 0, sizeof(*c));
    SHA256_Init((SHA256_CTX *)(void *)c->opaque);
}

void cs_sha256_update(cs_sha256_ctx *c, const void *data, size_t len) {
    if (len > 0)
        SHA256_Update((SHA256_CTX *)(void *)c->opaque, data, len);
}

void cs_sha256_final(const cs_sha256_ctx *c, uint8_t out[32]) {
    SHA256_CTX copy;
    memcpy(&copy, c->opaque, sizeof(copy));
    SHA256_Final(out, &copy);
    OPENSSL_cleanse(&copy, sizeof(copy));
}

/* --- HMAC-SHA256 ---------------------------------------------------------- */

static void hmac_tls_free(void *p) {
    EVP_MAC_CTX_free(p);
}

static void *hmac_new(void) {
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
    EVP_MAC_free(mac); /* the context holds its own reference */
    if (ctx == NULL)
        return NULL;
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    if (EVP_MAC_CTX_set_params(ctx, params) != 1) {
        EVP_MAC_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

static _Thread_local EVP_MAC_CTX *tl_hmac;
static struct cs_tls_obj hmac_obj = {.free = hmac_tls_free};

/* The calling thread's HMAC context, bound to SHA-256 once; freed at thread
 * exit. */
static EVP_MAC_CTX *hmac_ctx(void) {
    if (tl_hmac == NULL)
        tl_hmac = cs_tls_obj_get(&hmac_obj, hmac_new);
    return tl_hmac;
}

/* Last resort when the per-thread context cannot be had: one-shot HMAC(). */
static void hmac_oneshot(const uint8_t *key, size_t keylen, const void *data, size_t len,
                         uint8_t out[32]) {
    static const uint8_t nokey[1];
    unsigned int outl = 0;
    if (HMAC(EVP_sha256(), keylen > 0 ? key : nokey, (int)keylen, data, len, out, &outl) == NULL ||
        outl != 32) {
        /* Never hand out a predictable MAC: fill with randomness that no
         * peer can match. */
        ERR_clear_error();
        if (cs_random(out, 32) != 0)
            memset(out, 0xA5, 32);
    }
}

void cs_hmac_sha256(const uint8_t *key, size_t keylen, const void *data, size_t len,
                    uint8_t out[32]) {
    static const uint8_t nokey[1];
    EVP_MAC_CTX *ctx = keylen <= INT32_MAX ? hmac_ctx() : NULL;
    size_t outl = 0;
    /* A zero-length key is legal HMAC; EVP_MAC_init treats a NULL key as
     * "keep the previous key", so always pass a pointer. */
    if (ctx == NULL || EVP_MAC_init(ctx, keylen > 0 ? key : nokey, keylen, NULL) != 1 ||
        (len > 0 && EVP_MAC_update(ctx, data, len) != 1) ||
        EVP_MAC_final(ctx, out, &outl, 32) != 1 || outl != 32) {
        ERR_clear_error();
        hmac_oneshot(key, keylen, data, len, out);
    }
}

int cs_p_sha256(const uint8_t *secret, size_t secretlen, const void *s1, size_t l1, const void *s2,
                size_t l2, uint8_t *out, size_t outlen) {
    static const uint8_t nokey[1];
    EVP_MAC_CTX *ctx = secretlen <= INT32_MAX ? hmac_ctx() : NULL;
    uint8_t a[CS_SHA256_LEN], blk[CS_SHA256_LEN];
    size_t pos = 0, outl = 0;
    /* A(1) = HMAC(secret, seed): the only init that sets the key. Later
     * inits pass no key, which libcrypto's HMAC takes as "restart with the
     * key already set": it keeps the padded-key hash states instead of
     * hashing the key blocks again (two SHA-256 blocks per HMAC). */
    int ok = ctx != NULL &&
             EVP_MAC_init(ctx, secretlen > 0 ? secret : nokey, secretlen, NULL) == 1 &&
             (l1 == 0 || EVP_MAC_update(ctx, s1, l1) == 1) &&
             (l2 == 0 || EVP_MAC_update(ctx, s2, l2) == 1) &&
             EVP_MAC_final(ctx, a, &outl, sizeof a) == 1 && outl == sizeof a;
    while (ok && pos < outlen) {
        /* output block: HMAC(secret, A(i) || seed) */
        ok = EVP_MAC_init(ctx, NULL, 0, NULL) == 1 && EVP_MAC_update(ctx, a, sizeof a) == 1 &&
             (l1 == 0 || EVP_MAC_update(ctx, s1, l1) == 1) &&
             (l2 == 0 || EVP_MAC_update(ctx, s2, l2) == 1) &&
             EVP_MAC_final(ctx, blk, &outl, sizeof blk) == 1 && outl == sizeof blk;
        if (!ok)
            break;
        size_t n = outlen - pos < sizeof blk ? outlen - pos : sizeof blk;
        memcpy(out + pos, blk, n);
        pos += n;
        if (pos < outlen) /* A(i+1) = HMAC(secret, A(i)) */
            ok = EVP_MAC_init(ctx, NULL, 0, NULL) == 1 && EVP_MAC_update(ctx, a, sizeof a) == 1 &&
                 EVP_MAC_final(ctx, a, &outl, sizeof a) == 1 && outl == sizeof a;
    }
    OPENSSL_cleanse(a, sizeof a);
    OPENSSL_cleanse(blk, sizeof blk);
    if (!ok) {
        /* The context may still hold the secret's key schedule: the next
         * cs_hmac_* call re-keys it, and it is freed at thread exit. */
        ERR_clear_error();
        OPENSSL_cleanse(out, outlen);
        return COAPSEC_ERR_CRYPTO;
    }
    return 0;
}
