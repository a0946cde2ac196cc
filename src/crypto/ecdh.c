/*
 * ecdh.c - ephemeral ECDH on P-256 (RFC 8422 §5.10) for the ECDHE key
 * exchange: key pairs and shared secrets handed out as plain bytes.
 */
#include "crypto/pkey_int.h"
#include "coapsec/common.h"

#include <pthread.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>

/* Every ECDHE handshake makes a key: each thread keeps one P-256 key
 * generation context (fetched and bound to the curve once, instead of once
 * per key as EVP_EC_gen does). Freed at thread exit. */
static _Thread_local EVP_PKEY_CTX *tl_gen;
static pthread_key_t gen_key;
static pthread_once_t gen_once = PTHREAD_ONCE_INIT;
static int gen_key_ok;

static void gen_free(void *p) {
    EVP_PKEY_CTX_free(p);
}

static void gen_key_init(void) {
    gen_key_ok = pthread_key_create(&gen_key, gen_free) == 0;
}

static EVP_PKEY *p256_generate(void) {
    if (tl_gen == NULL) {
        pthread_once(&gen_once, gen_key_init);
        if (!gen_key_ok)
            return NULL;
        char group[] = "P-256";
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
            OSSL_PARAM_construct_end(),
        };
        EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
        if (c == NULL || EVP_PKEY_keygen_init(c) != 1 || EVP_PKEY_CTX_set_params(c, params) != 1 ||
            pthread_setspecific(gen_key, c) != 0) {
            EVP_PKEY_CTX_free(c);
            return NULL;
        }
        tl_gen = c;
    }
    EVP_PKEY *pkey = NULL;
    if (EVP_PKEY_generate(tl_gen, &pkey) != 1) {
        EVP_PKEY_free(pkey);
        return NULL;
    }
    return pkey;
}

int cs_ecdh_p256_keygen(uint8_t priv[32], uint8_t pub[65]) {
    if (priv == NULL || pub == NULL)
        return COAPSEC_ERR_INVAL;
    EVP_PKEY *pkey = p256_generate();
    BIGNUM *d = NULL;
    int ok = pkey != NULL && EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, &d) == 1 &&
             BN_bn2binpad(d, priv, CS_P256_PRIV_LEN) == CS_P256_PRIV_LEN &&
             cs_pkey_point(pkey, pub) == 0;
    BN_clear_free(d);
    EVP_PKEY_free(pkey);
    if (!ok) {
        ERR_clear_error();
        cs_wipe(priv, CS_P256_PRIV_LEN);
        return COAPSEC_ERR_CRYPTO;
    }
    return 0;
}

int cs_ecdh_p256_derive(const uint8_t priv[32], const uint8_t *peer_pub, size_t peer_publen,
                        uint8_t secret[32]) {
    if (priv == NULL || secret == NULL)
        return COAPSEC_ERR_INVAL;
    memset(secret, 0, CS_P256_SECRET_LEN);
    EVP_PKEY *peer = cs_pkey_from_point(peer_pub, peer_publen);
    if (peer == NULL) {
        ERR_clear_error();
        return COAPSEC_ERR_AUTH;
    }
    EVP_PKEY *own = cs_pkey_from_priv(priv, NULL);
    EVP_PKEY_CTX *ctx = own != NULL ? EVP_PKEY_CTX_new_from_pkey(NULL, own, NULL) : NULL;
    size_t n = CS_P256_SECRET_LEN;
    int ok = ctx != NULL && EVP_PKEY_derive_init(ctx) == 1 &&
             /* peer: already validated by cs_pkey_from_point (the full
              * check would multiply by the order again: P-256 has cofactor 1) */
             EVP_PKEY_derive_set_peer_ex(ctx, peer, 0) == 1 &&
             EVP_PKEY_derive(ctx, secret, &n) == 1 && n == CS_P256_SECRET_LEN;
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(own);
    EVP_PKEY_free(peer);
    if (!ok) {
        ERR_clear_error();
        cs_wipe(secret, CS_P256_SECRET_LEN);
        return COAPSEC_ERR_CRYPTO;
    }
    return 0;
}
