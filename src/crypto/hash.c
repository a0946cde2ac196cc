/*
 * hash.c - SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104) on libcrypto.
 *
 * The incremental SHA-256 keeps OpenSSL's SHA256_CTX as plain bytes inside
 * cs_sha256_ctx, so a transcript hash can be forked by copying the struct
 * and needs no freeing. SHA256_Init/Update/Final are deprecated in OpenSSL
 * 3.0 but remain the only allocation-free, copyable interface; this file
 * alone uses them.
 *
 * HMAC is libcrypto's HMAC_CTX, one per thread, re-keyed per call; P_SHA256
 * (the TLS 1.2 PRF's expansion) keys it once per call and restarts it keyed
 * for each further block. Its digest is a method (EVP_MD_meth_new) over the
 * same SHA256_Init/Update/Final: HMAC copies its padded-key states into a
 * working context twice per MAC, and with a provider digest each copy frees
 * and allocates the provider's context, while with a method it is a memcpy
 * into the buffer the context already has. That is 0.15 us of a 0.55 us
 * HMAC, and a full PSK handshake does 14 of them on each side. Both the HMAC
 * construction and SHA-256 stay libcrypto's. If the method cannot be made,
 * HMAC_CTX runs on EVP_sha256() and gives the same MACs.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "crypto/crypto.h"
#include "crypto/tls_obj.h"
#include "coapsec/common.h"

#include <assert.h>
#include <pthread.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
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

static int md_init(EVP_MD_CTX *c) {
    return SHA256_Init(EVP_MD_CTX_md_data(c));
}

static int md_update(EVP_MD_CTX *c, const void *data, size_t len) {
    return SHA256_Update(EVP_MD_CTX_md_data(c), data, len);
}

static int md_final(EVP_MD_CTX *c, unsigned char *out) {
    return SHA256_Final(out, EVP_MD_CTX_md_data(c));
}

static const EVP_MD *hmac_md;
static pthread_once_t hmac_md_once = PTHREAD_ONCE_INIT;

/* The SHA-256 method HMAC runs on, made once per process and never freed
 * (contexts of every thread point at it). */
static void hmac_md_make(void) {
    EVP_MD *md = EVP_MD_meth_new(NID_sha256, NID_undef);
    if (md == NULL || EVP_MD_meth_set_result_size(md, CS_SHA256_LEN) != 1 ||
        EVP_MD_meth_set_input_blocksize(md, SHA256_CBLOCK) != 1 ||
        EVP_MD_meth_set_app_datasize(md, sizeof(SHA256_CTX)) != 1 ||
        EVP_MD_meth_set_init(md, md_init) != 1 || EVP_MD_meth_set_update(md, md_update) != 1 ||
        EVP_MD_meth_set_final(md, md_final) != 1) {
        EVP_MD_meth_free(md);
        ERR_clear_error();
        hmac_md = EVP_sha256();
        return;
    }
    hmac_md = md;
}

static void hmac_tls_free(void *p) {
    HMAC_CTX_free(p);
}

static void *hmac_new(void) {
    (void)pthread_once(&hmac_md_once, hmac_md_make);
    return hmac_md != NULL ? HMAC_CTX_new() : NULL;
}

static _Thread_local HMAC_CTX *tl_hmac;
static struct cs_tls_obj hmac_obj = {.free = hmac_tls_free};

/* The calling thread's HMAC context; freed at thread exit. */
static HMAC_CTX *hmac_ctx(void) {
    if (tl_hmac == NULL)
        tl_hmac = cs_tls_obj_get(&hmac_obj, hmac_new);
    return tl_hmac;
}

/* Key ctx (a zero-length key is legal HMAC: always pass a pointer, as NULL
 * means "keep the key"), or with key NULL restart it with the key it has. */
static int hmac_start(HMAC_CTX *ctx, const uint8_t *key, size_t keylen) {
    static const uint8_t nokey[1];
    if (key == NULL && keylen == 0)
        return HMAC_Init_ex(ctx, NULL, 0, NULL, NULL);
    return HMAC_Init_ex(ctx, keylen > 0 ? key : nokey, (int)keylen, hmac_md, NULL);
}

static int hmac_finish(HMAC_CTX *ctx, uint8_t out[32]) {
    unsigned int outl = 0;
    return HMAC_Final(ctx, out, &outl) == 1 && outl == CS_SHA256_LEN;
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
    HMAC_CTX *ctx = keylen <= INT32_MAX ? hmac_ctx() : NULL;
    if (ctx == NULL || hmac_start(ctx, key != NULL ? key : (const uint8_t *)"", keylen) != 1 ||
        (len > 0 && HMAC_Update(ctx, data, len) != 1) || !hmac_finish(ctx, out)) {
        ERR_clear_error();
        hmac_oneshot(key, keylen, data, len, out);
    }
}

/* cs_hmac_sha256_k32's per-thread context and the key it holds. The copy of
 * the key adds nothing an attacker could use that the keyed context (its
 * padded-key hash states) does not already give; both are wiped at thread
 * exit. */
struct k32_slot {
    HMAC_CTX *ctx;
    uint8_t key[32];
    int keyed;
};

static void k32_free(void *p) {
    struct k32_slot *k = p;
    HMAC_CTX_free(k->ctx);
    OPENSSL_clear_free(k, sizeof *k);
}

static void *k32_new(void) {
    (void)pthread_once(&hmac_md_once, hmac_md_make);
    struct k32_slot *k = OPENSSL_zalloc(sizeof *k);
    if (k != NULL && (hmac_md == NULL || (k->ctx = HMAC_CTX_new()) == NULL)) {
        OPENSSL_free(k);
        k = NULL;
    }
    return k;
}

static _Thread_local struct k32_slot *tl_k32;
static struct cs_tls_obj k32_obj = {.free = k32_free};

void cs_hmac_sha256_k32(const uint8_t key[32], const void *data, size_t len, uint8_t out[32]) {
    if (tl_k32 == NULL)
        tl_k32 = cs_tls_obj_get(&k32_obj, k32_new);
    struct k32_slot *k = tl_k32;
    if (k == NULL) {
        cs_hmac_sha256(key, 32, data, len, out);
        return;
    }
    int same = k->keyed && CRYPTO_memcmp(k->key, key, 32) == 0;
    k->keyed = 0; /* until this call has succeeded */
    if ((same ? hmac_start(k->ctx, NULL, 0) : hmac_start(k->ctx, key, 32)) != 1 ||
        (len > 0 && HMAC_Update(k->ctx, data, len) != 1) || !hmac_finish(k->ctx, out)) {
        ERR_clear_error();
        hmac_oneshot(key, 32, data, len, out);
        return;
    }
    if (!same)
        memcpy(k->key, key, 32);
    k->keyed = 1;
}

int cs_p_sha256(const uint8_t *secret, size_t secretlen, const void *s1, size_t l1, const void *s2,
                size_t l2, uint8_t *out, size_t outlen) {
    HMAC_CTX *ctx = secretlen <= INT32_MAX ? hmac_ctx() : NULL;
    uint8_t a[CS_SHA256_LEN], blk[CS_SHA256_LEN];
    size_t pos = 0;
    /* A(1) = HMAC(secret, seed): the only init that sets the key. Later
     * inits pass no key, which libcrypto's HMAC takes as "restart with the
     * key already set": it keeps the padded-key hash states instead of
     * hashing the key blocks again (two SHA-256 blocks per HMAC). */
    int ok = ctx != NULL &&
             hmac_start(ctx, secret != NULL ? secret : (const uint8_t *)"", secretlen) == 1 &&
             (l1 == 0 || HMAC_Update(ctx, s1, l1) == 1) &&
             (l2 == 0 || HMAC_Update(ctx, s2, l2) == 1) && hmac_finish(ctx, a);
    while (ok && pos < outlen) {
        /* output block: HMAC(secret, A(i) || seed) */
        ok = hmac_start(ctx, NULL, 0) == 1 && HMAC_Update(ctx, a, sizeof a) == 1 &&
             (l1 == 0 || HMAC_Update(ctx, s1, l1) == 1) &&
             (l2 == 0 || HMAC_Update(ctx, s2, l2) == 1) && hmac_finish(ctx, blk);
        if (!ok)
            break;
        size_t n = outlen - pos < sizeof blk ? outlen - pos : sizeof blk;
        memcpy(out + pos, blk, n);
        pos += n;
        if (pos < outlen) /* A(i+1) = HMAC(secret, A(i)) */
            ok = hmac_start(ctx, NULL, 0) == 1 && HMAC_Update(ctx, a, sizeof a) == 1 &&
                 hmac_finish(ctx, a);
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
