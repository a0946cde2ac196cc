/*
 * aead.c - AES-CCM (RFC 3610, RFC 6655 CCM_8) on libcrypto's EVP interface.
 *
 * The DTLS record layer seals and opens every record here, so the steady
 * state allocates nothing: each thread keeps one EVP_CIPHER_CTX per AES key
 * size, created on first use and re-keyed on every call. A pthread key
 * destructor (tls_obj.h) frees a thread's contexts when the thread exits.
 */
#include "crypto/crypto.h"
#include "crypto/tls_obj.h"
#include "coapsec/common.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

enum { CS_CCM_NKEYSIZES = 3 }; /* AES-128, -192, -256 */

/* A context remembers the nonce and tag lengths it was last set up for, so
 * that the per-record path only rekeys: libcrypto 3 turns every ctrl into a
 * parameter lookup by name, which costs more than the cipher on short records. */
struct cs_ccm_slot {
    EVP_CIPHER_CTX *ctx;
    size_t noncelen, taglen; /* 0: unknown (set again before use) */
};

struct cs_ccm_tls {
    struct cs_ccm_slot s[CS_CCM_NKEYSIZES];
};

static void ccm_tls_free(void *p) {
    struct cs_ccm_tls *t = p;
    if (t == NULL)
        return;
    for (int i = 0; i < CS_CCM_NKEYSIZES; i++)
        EVP_CIPHER_CTX_free(t->s[i].ctx);
    OPENSSL_free(t);
}

static void *ccm_tls_new(void) {
    return OPENSSL_zalloc(sizeof(struct cs_ccm_tls));
}

static _Thread_local struct cs_ccm_tls *tl_ccm;
static struct cs_tls_obj ccm_obj = {.free = ccm_tls_free};

static int keysize_index(size_t keylen) {
    switch (keylen) {
    case 16:
        return 0;
    case 24:
        return 1;
    case 32:
        return 2;
    default:
        return -1;
    }
}

/* The calling thread's context for this key size, bound to the AES-CCM
 * cipher (fetched once per thread); NULL when libcrypto cannot provide it. */
static struct cs_ccm_slot *ccm_ctx(int idx) {
    static const char *const names[CS_CCM_NKEYSIZES] = {"AES-128-CCM", "AES-192-CCM",
                                                        "AES-256-CCM"};
    if (tl_ccm == NULL) {
        tl_ccm = cs_tls_obj_get(&ccm_obj, ccm_tls_new);
        if (tl_ccm == NULL)
            return NULL;
    }
    struct cs_ccm_slot *sl = &tl_ccm->s[idx];
    if (sl->ctx == NULL) {
        EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, names[idx], NULL);
        EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
        int ok = c != NULL && ctx != NULL && EVP_CipherInit_ex(ctx, c, NULL, NULL, NULL, 1) == 1;
        EVP_CIPHER_free(c); /* the context holds its own reference */
        if (!ok) {
            EVP_CIPHER_CTX_free(ctx);
            return NULL;
        }
        sl->ctx = ctx;
        sl->noncelen = sl->taglen = 0;
    }
    return sl;
}

/* The checks shared by seal and open; returns the key-size index or < 0. */
static int ccm_check(size_t keylen, size_t noncelen, size_t taglen, size_t datalen) {
    int idx = keysize_index(keylen);
    if (idx < 0 || noncelen < 7 || noncelen > 13 || taglen < 4 || taglen > 16 || (taglen & 1))
        return -1;
    /* L = 15 - noncelen bytes encode the message length (RFC 3610 §2.1). */
    size_t lbytes = 15 - noncelen;
    if (lbytes < sizeof(size_t) && (datalen >> (8 * lbytes)) != 0)
        return -1;
    if (datalen > INT32_MAX)
        return -1;
    return idx;
}

/* Direction, lengths (only when they differ from the context's last ones),
 * key and nonce; for open also the expected tag (which needs the direction
 * set first); then the message length and the AAD. On failure the context's
 * remembered lengths are forgotten. */
static int ccm_start(struct cs_ccm_slot *sl, int enc, const uint8_t *key, const uint8_t *nonce,
                     size_t noncelen, size_t taglen, const uint8_t *tag, const uint8_t *aad,
                     size_t aadlen, size_t msglen) {
    EVP_CIPHER_CTX *ctx = sl->ctx;
    int outl;
    if (sl->noncelen != noncelen || sl->taglen != taglen) {
        sl->noncelen = sl->taglen = 0;
        if (EVP_CipherInit_ex(ctx, NULL, NULL, NULL, NULL, 1) != 1 ||
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, (int)noncelen, NULL) != 1 ||
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, (int)taglen, NULL) != 1)
            return 0;
        sl->noncelen = noncelen;
        sl->taglen = taglen;
    }
    if (EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, enc) != 1 ||
        (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, (int)taglen, (void *)tag) != 1) ||
        EVP_CipherUpdate(ctx, NULL, &outl, NULL, (int)msglen) != 1 ||
        (aadlen > 0 && EVP_CipherUpdate(ctx, NULL, &outl, aad, (int)aadlen) != 1)) {
        sl->noncelen = sl->taglen = 0;
        return 0;
    }
    return 1;
}

int cs_ccm_seal_generic(const uint8_t *key, size_t keylen, const uint8_t *nonce, size_t noncelen,
                        size_t taglen, const uint8_t *aad, size_t aadlen, const uint8_t *pt,
                        size_t ptlen, uint8_t *out) {
    int idx = ccm_check(keylen, noncelen, taglen, ptlen);
    if (idx < 0 || key == NULL || nonce == NULL || out == NULL || (aadlen > 0 && aad == NULL) ||
        (ptlen > 0 && pt == NULL) || aadlen > INT32_MAX)
        return COAPSEC_ERR_INVAL;
    struct cs_ccm_slot *sl = ccm_ctx(idx);
    if (sl == NULL)
        return COAPSEC_ERR_CRYPTO;
    EVP_CIPHER_CTX *ctx = sl->ctx;
    int outl = 0;
    /* An empty message still has to pass through Update so that the
     * CBC-MAC is finished; give libcrypto a valid pointer either way. */
    static const uint8_t empty[1];
    if (!ccm_start(sl, 1, key, nonce, noncelen, taglen, NULL, aad, aadlen, ptlen) ||
        EVP_CipherUpdate(ctx, out, &outl, ptlen > 0 ? pt : empty, (int)ptlen) != 1 ||
        (size_t)outl != ptlen ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, (int)taglen, out + ptlen) != 1) {
        OPENSSL_cleanse(out, ptlen + taglen);
        sl->noncelen = sl->taglen = 0;
        ERR_clear_error();
        return COAPSEC_ERR_CRYPTO;
    }
    return 0;
}

int cs_ccm_open_generic(const uint8_t *key, size_t keylen, const uint8_t *nonce, size_t noncelen,
                        size_t taglen, const uint8_t *aad, size_t aadlen, const uint8_t *ct,
                        size_t ctlen, uint8_t *out) {
    if (ct == NULL || ctlen < taglen)
        return COAPSEC_ERR_DECRYPT;
    size_t ptlen = ctlen - taglen;
    int idx = ccm_check(keylen, noncelen, taglen, ptlen);
    if (idx < 0 || key == NULL || nonce == NULL || (ptlen > 0 && out == NULL) ||
        (aadlen > 0 && aad == NULL) || aadlen > INT32_MAX)
        return COAPSEC_ERR_INVAL;
    struct cs_ccm_slot *sl = ccm_ctx(idx);
    if (sl == NULL)
        return COAPSEC_ERR_CRYPTO;
    /* Copy the tag first: out may alias ct. */
    uint8_t tag[16];
    memcpy(tag, ct + ptlen, taglen);
    static uint8_t sink[1]; /* output pointer for an empty message */
    int outl = 0;
    int ok = ccm_start(sl, 0, key, nonce, noncelen, taglen, tag, aad, aadlen, ptlen) &&
             EVP_CipherUpdate(sl->ctx, ptlen > 0 ? out : sink, &outl, ptlen > 0 ? ct : tag,
                              (int)ptlen) == 1 &&
             (size_t)outl == ptlen;
    OPENSSL_cleanse(tag, sizeof(tag));
    if (!ok) {
        /* a failed tag check leaves the lengths as they were, but be safe */
        sl->noncelen = sl->taglen = 0;
        ERR_clear_error();
        if (ptlen > 0)
            OPENSSL_cleanse(out, ptlen);
        return COAPSEC_ERR_DECRYPT;
    }
    return 0;
}

int cs_ccm8_seal(const uint8_t key[16], const uint8_t nonce[12], const uint8_t *aad, size_t aadlen,
                 const uint8_t *pt, size_t ptlen, uint8_t *out) {
    return cs_ccm_seal_generic(key, CS_AES128_KEY_LEN, nonce, CS_CCM_NONCE_LEN, CS_CCM8_TAG_LEN,
                               aad, aadlen, pt, ptlen, out);
}

int cs_ccm8_open(const uint8_t key[16], const uint8_t nonce[12], const uint8_t *aad, size_t aadlen,
                 const uint8_t *ct, size_t ctlen, uint8_t *out) {
    return cs_ccm_open_generic(key, CS_AES128_KEY_LEN, nonce, CS_CCM_NONCE_LEN, CS_CCM8_TAG_LEN,
                               aad, aadlen, ct, ctlen, out);
}
