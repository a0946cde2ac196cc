/*
 * ecdh.c - ephemeral ECDH on P-256 (RFC 8422 §5.10) for the ECDHE key
 * exchange: key pairs and shared secrets handed out as plain bytes.
 *
 * Both run on libcrypto's EC_GROUP/EC_POINT layer with the process's one
 * P-256 group (cs_p256_group), taking the same steps as libcrypto's own EC
 * key generation and ECDH (a private scalar drawn uniformly from [1, n-1] by
 * BN_priv_rand_range_ex, Q = dG; Z = x(dQ) with a constant-time scalar). The
 * EVP route would build the curve's group and an EC_KEY for every key and
 * import the private scalar back for the derivation: it cost twice as much
 * per handshake (see docs/PERFORMANCE.md).
 */
#include "crypto/pkey_int.h"
#include "coapsec/common.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>

int cs_ecdh_p256_keygen(uint8_t priv[32], uint8_t pub[65]) {
    if (priv == NULL || pub == NULL)
        return COAPSEC_ERR_INVAL;
    const EC_GROUP *g = cs_p256_group();
    BN_CTX *bn = BN_CTX_secure_new();
    BIGNUM *d = BN_secure_new();
    EC_POINT *q = g != NULL ? EC_POINT_new(g) : NULL;
    int ok = bn != NULL && d != NULL && q != NULL;
    if (ok) {
        do /* uniform in [1, n-1] (SEC 1 §3.2.1, FIPS 186-4 B.4.2) */
            ok = BN_priv_rand_range_ex(d, EC_GROUP_get0_order(g), 0, bn) == 1;
        while (ok && BN_is_zero(d));
    }
    if (ok) {
        BN_set_flags(d, BN_FLG_CONSTTIME);
        ok = EC_POINT_mul(g, q, d, NULL, NULL, bn) == 1 &&
             EC_POINT_point2oct(g, q, POINT_CONVERSION_UNCOMPRESSED, pub, CS_P256_PUB_LEN, bn) ==
                 CS_P256_PUB_LEN &&
             BN_bn2binpad(d, priv, CS_P256_PRIV_LEN) == CS_P256_PRIV_LEN;
    }
    EC_POINT_free(q);
    BN_clear_free(d);
    BN_CTX_free(bn);
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
    /* Only the uncompressed form (RFC 8422 §5.4.1): this also rules out the
     * one-byte encoding of the point at infinity. */
    if (peer_pub == NULL || peer_publen != CS_P256_PUB_LEN || peer_pub[0] != 0x04)
        return COAPSEC_ERR_AUTH;
    const EC_GROUP *g = cs_p256_group();
    BN_CTX *bn = BN_CTX_secure_new();
    EC_POINT *q = g != NULL ? EC_POINT_new(g) : NULL;
    EC_POINT *z = g != NULL ? EC_POINT_new(g) : NULL;
    BIGNUM *d = BN_secure_new();
    BIGNUM *x = BN_secure_new();
    if (bn == NULL || q == NULL || z == NULL || d == NULL || x == NULL) {
        EC_POINT_free(q);
        EC_POINT_free(z);
        BN_clear_free(d);
        BN_clear_free(x);
        BN_CTX_free(bn);
        return COAPSEC_ERR_CRYPTO;
    }
    /* Public-key validation (SEC 1 §3.2.2.1, RFC 8422 §5.11): oct2point
     * refuses coordinates out of range and points off the curve; P-256 has
     * cofactor 1, so an on-curve point other than infinity has prime order. */
    int rc = EC_POINT_oct2point(g, q, peer_pub, peer_publen, bn) == 1 &&
                     EC_POINT_is_at_infinity(g, q) == 0 && EC_POINT_is_on_curve(g, q, bn) == 1
                 ? 0
                 : COAPSEC_ERR_AUTH;
    if (rc == 0) {
        int ok = BN_bin2bn(priv, CS_P256_PRIV_LEN, d) != NULL && !BN_is_zero(d) &&
                 BN_cmp(d, EC_GROUP_get0_order(g)) < 0;
        if (ok) {
            BN_set_flags(d, BN_FLG_CONSTTIME);
            ok = EC_POINT_mul(g, z, NULL, q, d, bn) == 1 && EC_POINT_is_at_infinity(g, z) == 0 &&
                 EC_POINT_get_affine_coordinates(g, z, x, NULL, bn) == 1 &&
                 BN_bn2binpad(x, secret, CS_P256_SECRET_LEN) == CS_P256_SECRET_LEN;
        }
        rc = ok ? 0 : COAPSEC_ERR_CRYPTO;
    }
    EC_POINT_clear_free(z);
    EC_POINT_free(q);
    BN_clear_free(d);
    BN_clear_free(x);
    BN_CTX_free(bn);
    if (rc != 0) {
        ERR_clear_error();
        cs_wipe(secret, CS_P256_SECRET_LEN);
    }
    return rc;
}
