/*
 * eckey.c - EC keys on libcrypto: conversions between plain bytes and
 * EVP_PKEY, the long-lived cs_p256_key (generate, PEM load/store), and
 * SubjectPublicKeyInfo encoding (RFC 5480) with its SHA-256 fingerprint.
 */
#include "crypto/pkey_int.h"
#include "crypto/tls_obj.h"
#include "coapsec/common.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

/* The P-256 group, built once per process (building it costs about half an
 * ECDSA signature) and only read afterwards, which libcrypto allows from any
 * number of threads. */
static EC_GROUP *p256_group;
static pthread_once_t p256_group_once = PTHREAD_ONCE_INIT;

static void p256_group_init(void) {
    p256_group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
}

const EC_GROUP *cs_p256_group(void) {
    pthread_once(&p256_group_once, p256_group_init);
    return p256_group;
}

/* Importing a key is on every ECDHE handshake's path (the peer's ephemeral
 * and long-term keys): each thread keeps one "EC" import context, so the key
 * manager is fetched once per thread instead of once per key (libcrypto 3
 * looks implementations up by name, under a lock). Freed at thread exit. */
static void import_free(void *p) {
    EVP_PKEY_CTX_free(p);
}

static void *import_new(void) {
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (c != NULL && EVP_PKEY_fromdata_init(c) != 1) {
        EVP_PKEY_CTX_free(c);
        return NULL;
    }
    return c;
}

static _Thread_local EVP_PKEY_CTX *tl_import;
static struct cs_tls_obj import_obj = {.free = import_free};

static EVP_PKEY_CTX *import_ctx(void) {
    if (tl_import == NULL)
        tl_import = cs_tls_obj_get(&import_obj, import_new);
    return tl_import;
}

static EVP_PKEY *pkey_fromdata(OSSL_PARAM *params, int selection) {
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *pctx = import_ctx();
    if (pctx == NULL || EVP_PKEY_fromdata(pctx, &pkey, selection, params) != 1) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    return pkey;
}

/* Public keys are imported by copying a per-thread P-256 template key and
 * setting its point: EVP_PKEY_fromdata would build the curve's group anew for
 * every key, three times the cost of the copy. Freed at thread exit. */
static void tmpl_free(void *p) {
    EVP_PKEY_free(p);
}

static void *tmpl_new(void) {
    const EC_GROUP *g = cs_p256_group();
    uint8_t gen[CS_P256_PUB_LEN];
    if (g == NULL ||
        EC_POINT_point2oct(g, EC_GROUP_get0_generator(g), POINT_CONVERSION_UNCOMPRESSED, gen,
                           sizeof gen, NULL) != sizeof gen)
        return NULL;
    char group[] = "prime256v1";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, gen, sizeof gen),
        OSSL_PARAM_construct_end(),
    };
    return pkey_fromdata(params, EVP_PKEY_PUBLIC_KEY);
}

static _Thread_local EVP_PKEY *tl_tmpl;
static struct cs_tls_obj tmpl_obj = {.free = tmpl_free};

static EVP_PKEY *point_template(void) {
    if (tl_tmpl == NULL)
        tl_tmpl = cs_tls_obj_get(&tmpl_obj, tmpl_new);
    return tl_tmpl;
}

/* Verification only needs a key for the length of one EVP_PKEY_verify, so it
 * uses one more per-thread key whose point is replaced each time (setting a
 * point costs ~1.2 us, copying the template for a new key another ~4.4 us),
 * with one verification context on it, initialised again for each
 * verification (~1 us; a new context costs ~2.7 us). Both freed at thread
 * exit. */
struct verify_slot {
    EVP_PKEY *pkey;
    EVP_PKEY_CTX *ctx;
};

static void scratch_free(void *p) {
    struct verify_slot *v = p;
    EVP_PKEY_CTX_free(v->ctx);
    EVP_PKEY_free(v->pkey);
    OPENSSL_free(v);
}

static void *scratch_new(void) {
    EVP_PKEY *t = point_template();
    struct verify_slot *v = OPENSSL_zalloc(sizeof *v);
    if (v == NULL || t == NULL || (v->pkey = EVP_PKEY_dup(t)) == NULL ||
        (v->ctx = EVP_PKEY_CTX_new_from_pkey(NULL, v->pkey, NULL)) == NULL) {
        if (v != NULL)
            scratch_free(v);
        ERR_clear_error();
        return NULL;
    }
    return v;
}

static _Thread_local struct verify_slot *tl_scratch;
static struct cs_tls_obj scratch_obj = {.free = scratch_free};

static struct verify_slot *verify_slot_set(const uint8_t *pub, size_t publen) {
    /* Only the uncompressed form (SEC 1 §2.3.3, RFC 8422 §5.4.1): this also
     * rules out the one-byte encoding of the point at infinity. */
    if (pub == NULL || publen != CS_P256_PUB_LEN || pub[0] != 0x04)
        return NULL;
    if (tl_scratch == NULL)
        tl_scratch = cs_tls_obj_get(&scratch_obj, scratch_new);
    /* Setting the point decodes it with EC_POINT_oct2point, which refuses
     * coordinates that are not field elements (>= p) and points off the
     * curve; with the one-byte infinity ruled out above, that is all of
     * EVP_PKEY_public_check_quick, which would cost as much again. P-256 has
     * cofactor 1, so such a point has the group's prime order and the full
     * check (which multiplies by the order, as costly as a signature
     * verification) adds nothing (SEC 1 §3.2.2.1, NIST SP 800-56A §5.6.2.3.4).
     * A failed set leaves the key unusable until the next set.
     * tests/crypto/test_ecdsa.c and test_eckey.c feed it the bad points. */
    if (tl_scratch == NULL ||
        EVP_PKEY_set1_encoded_public_key(tl_scratch->pkey, pub, publen) != 1) {
        ERR_clear_error();
        return NULL;
    }
    return tl_scratch;
}

EVP_PKEY *cs_pkey_verify_point(const uint8_t *pub, size_t publen) {
    struct verify_slot *v = verify_slot_set(pub, publen);
    return v != NULL ? v->pkey : NULL;
}

EVP_PKEY_CTX *cs_pkey_verify_ctx(const uint8_t *pub, size_t publen) {
    struct verify_slot *v = verify_slot_set(pub, publen);
    /* Initialised after the point is set: the context then works on the key
     * as it is now, whether or not libcrypto copies it at init. */
    if (v == NULL || EVP_PKEY_verify_init(v->ctx) != 1) {
        ERR_clear_error();
        return NULL;
    }
    return v->ctx;
}

EVP_PKEY *cs_pkey_from_point(const uint8_t *pub, size_t publen) {
    /* a key of the caller's own: a copy of the validated verification key */
    EVP_PKEY *v = cs_pkey_verify_point(pub, publen);
    EVP_PKEY *pkey = v != NULL ? EVP_PKEY_dup(v) : NULL;
    if (v != NULL && pkey == NULL)
        ERR_clear_error();
    return pkey;
}

EVP_PKEY *cs_pkey_from_priv(const uint8_t priv[32], const uint8_t *pub) {
    EVP_PKEY *pkey = NULL;
    BIGNUM *d = BN_bin2bn(priv, CS_P256_PRIV_LEN, NULL);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    if (d != NULL && bld != NULL && !BN_is_zero(d) &&
        OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) &&
        (pub == NULL ||
         OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, CS_P256_PUB_LEN)) &&
        (params = OSSL_PARAM_BLD_to_param(bld)) != NULL)
        pkey = pkey_fromdata(params, EVP_PKEY_KEYPAIR);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_clear_free(d);
    return pkey;
}

int cs_pkey_curve(const EVP_PKEY *pkey) {
    char name[64];
    size_t n = 0;
    if (pkey == NULL || !EVP_PKEY_is_a(pkey, "EC") ||
        EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof(name), &n) !=
            1)
        return -1;
    if (strcmp(name, "prime256v1") == 0 || strcmp(name, "P-256") == 0)
        return CS_CURVE_P256;
    if (strcmp(name, "secp384r1") == 0 || strcmp(name, "P-384") == 0)
        return CS_CURVE_P384;
    return -1;
}

int cs_pkey_point(const EVP_PKEY *pkey, uint8_t pub[65]) {
    if (cs_pkey_curve(pkey) != CS_CURVE_P256)
        return COAPSEC_ERR_UNSUPPORTED;
    /* One query for the encoded point (uncompressed unless the key was made
     * otherwise); the affine coordinates are the fallback. */
    size_t n = 0;
    if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pub,
                                        CS_P256_PUB_LEN, &n) == 1 &&
        n == CS_P256_PUB_LEN && pub[0] == 0x04)
        return 0;
    ERR_clear_error();
    BIGNUM *x = NULL, *y = NULL;
    int ok = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1 &&
             EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1 &&
             BN_bn2binpad(x, pub + 1, 32) == 32 && BN_bn2binpad(y, pub + 33, 32) == 32;
    BN_free(x);
    BN_free(y);
    if (!ok) {
        ERR_clear_error();
        return COAPSEC_ERR_CRYPTO;
    }
    pub[0] = 0x04;
    return 0;
}

int cs_key_wrap(cs_p256_key **out, EVP_PKEY *pkey) {
    cs_p256_key *k = OPENSSL_zalloc(sizeof(*k));
    if (k == NULL) {
        EVP_PKEY_free(pkey);
        return COAPSEC_ERR_CRYPTO;
    }
    k->pkey = pkey;
    atomic_init(&k->sign_ctx, NULL);
    k->curve = cs_pkey_curve(pkey);
    k->have_pub = k->curve == CS_CURVE_P256 && cs_pkey_point(pkey, k->pub) == 0;
    *out = k;
    return 0;
}

/* --- cs_p256_key ----------------------------------------------------------- */

int cs_ec_key_generate(cs_p256_key **out, enum cs_curve curve) {
    if (out == NULL)
        return COAPSEC_ERR_INVAL;
    *out = NULL;
    const char *name = curve == CS_CURVE_P256 ? "P-256" : curve == CS_CURVE_P384 ? "P-384" : NULL;
    if (name == NULL)
        return COAPSEC_ERR_UNSUPPORTED;
    EVP_PKEY *pkey = EVP_EC_gen(name);
    if (pkey == NULL) {
        ERR_clear_error();
        return COAPSEC_ERR_CRYPTO;
    }
    return cs_key_wrap(out, pkey);
}

int cs_p256_key_generate(cs_p256_key **out) {
    return cs_ec_key_generate(out, CS_CURVE_P256);
}

/* Q = dG on P-256, uncompressed (EC_GROUP/EC_POINT are not deprecated in
 * OpenSSL 3.0; only EC_KEY is). Refuses d = 0 and d >= n. */
static int p256_point_of(const uint8_t priv[32], uint8_t pub[65]) {
    EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    EC_POINT *q = g != NULL ? EC_POINT_new(g) : NULL;
    BIGNUM *d = BN_secure_new();
    BN_CTX *bn = BN_CTX_new();
    int ok = q != NULL && d != NULL && bn != NULL && BN_bin2bn(priv, 32, d) != NULL &&
             !BN_is_zero(d) && BN_cmp(d, EC_GROUP_get0_order(g)) < 0 &&
             EC_POINT_mul(g, q, d, NULL, NULL, bn) == 1 &&
             EC_POINT_point2oct(g, q, POINT_CONVERSION_UNCOMPRESSED, pub, CS_P256_PUB_LEN, bn) ==
                 CS_P256_PUB_LEN;
    BN_CTX_free(bn);
    BN_clear_free(d);
    EC_POINT_free(q);
    EC_GROUP_free(g);
    return ok;
}

int cs_p256_key_from_priv(cs_p256_key **out, const uint8_t priv[32]) {
    if (out == NULL || priv == NULL)
        return COAPSEC_ERR_INVAL;
    *out = NULL;
    uint8_t pub[CS_P256_PUB_LEN];
    if (!p256_point_of(priv, pub)) {
        ERR_clear_error();
        return COAPSEC_ERR_INVAL;
    }
    EVP_PKEY *pkey = cs_pkey_from_priv(priv, pub);
    if (pkey == NULL) {
        ERR_clear_error();
        return COAPSEC_ERR_CRYPTO;
    }
    return cs_key_wrap(out, pkey);
}

/* Refuses to prompt for (or use) a passphrase: encrypted keys fail. */
static int no_password(char *buf, int size, int rwflag, void *u) {
    (void)buf, (void)size, (void)rwflag, (void)u;
    return -1;
}

int cs_p256_key_from_pem(cs_p256_key **out, const char *pem, size_t len) {
    if (out == NULL || pem == NULL || len == 0 || len > INT32_MAX)
        return COAPSEC_ERR_INVAL;
    *out = NULL;
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    EVP_PKEY *pkey = bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL) : NULL;
    BIO_free(bio);
    ERR_clear_error();
    if (pkey == NULL)
        return COAPSEC_ERR_FORMAT;
    if (cs_pkey_curve(pkey) != CS_CURVE_P256) {
        EVP_PKEY_free(pkey);
        return COAPSEC_ERR_UNSUPPORTED;
    }
    return cs_key_wrap(out, pkey);
}

int cs_p256_key_load_file(cs_p256_key **out, const char *path) {
    if (out == NULL || path == NULL)
        return COAPSEC_ERR_INVAL;
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return COAPSEC_ERR_NOTFOUND;
    char buf[8192];
    size_t n = fread(buf, 1, sizeof(buf), f);
    int toolong = n == sizeof(buf);
    fclose(f);
    int rc = toolong ? COAPSEC_ERR_FORMAT : cs_p256_key_from_pem(out, buf, n);
    OPENSSL_cleanse(buf, sizeof(buf));
    return rc;
}

int cs_p256_key_to_pem(const cs_p256_key *k, char *buf, size_t cap, size_t *len) {
    if (k == NULL || buf == NULL || cap == 0)
        return COAPSEC_ERR_INVAL;
    BIO *bio = BIO_new(BIO_s_secmem());
    if (bio == NULL || PEM_write_bio_PrivateKey(bio, k->pkey, NULL, NULL, 0, NULL, NULL) != 1) {
        BIO_free(bio);
        ERR_clear_error();
        return COAPSEC_ERR_CRYPTO;
    }
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    int rc = 0;
    if (n <= 0 || (size_t)n >= cap) {
        rc = n <= 0 ? COAPSEC_ERR_CRYPTO : COAPSEC_ERR_NOBUF;
    } else {
        memcpy(buf, data, (size_t)n);
        buf[n] = '\0';
        if (len != NULL)
            *len = (size_t)n;
    }
    BIO_free(bio);
    return rc;
}

int cs_p256_key_write_file(const cs_p256_key *k, const char *path) {
    char pem[1024];
    size_t n = 0;
    if (path == NULL)
        return COAPSEC_ERR_INVAL;
    int rc = cs_p256_key_to_pem(k, pem, sizeof(pem), &n);
    if (rc != 0)
        return rc;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
        OPENSSL_cleanse(pem, sizeof(pem));
        return COAPSEC_ERR_IO;
    }
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(fd, pem + off, n - off);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    OPENSSL_cleanse(pem, sizeof(pem));
    if (close(fd) != 0 || off != n)
        return COAPSEC_ERR_IO;
    return 0;
}

int cs_p256_key_public(const cs_p256_key *k, uint8_t pub[65]) {
    if (k == NULL || pub == NULL)
        return COAPSEC_ERR_INVAL;
    if (k->have_pub) {
        memcpy(pub, k->pub, CS_P256_PUB_LEN);
        return 0;
    }
    return cs_pkey_point(k->pkey, pub);
}

enum cs_curve cs_ec_key_curve(const cs_p256_key *k) {
    return k == NULL ? (enum cs_curve) - 1 : (enum cs_curve)k->curve;
}

void cs_p256_key_free(cs_p256_key *k) {
    if (k == NULL)
        return;
    EVP_PKEY_CTX_free(atomic_exchange(&k->sign_ctx, NULL));
    EVP_PKEY_free(k->pkey);
    OPENSSL_free(k);
}

/* --- SubjectPublicKeyInfo ------------------------------------------------------- */

/* A P-256 SubjectPublicKeyInfo with an uncompressed point (RFC 5480 §2) is
 * this fixed DER header (SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 },
 * BIT STRING with no unused bits }) and the 65-byte point. The common case
 * is converted here without libcrypto's encoder/decoder framework, which
 * costs more than an ECDSA signature per call; the point itself is still
 * validated by libcrypto (on the curve, not at infinity). */
static const uint8_t p256_spki_hdr[CS_P256_SPKI_LEN - CS_P256_PUB_LEN] = {
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
    0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00};

/* 1 if pub is an uncompressed P-256 point on the curve (not infinity). */
static int p256_point_valid(const uint8_t pub[65]) {
    if (pub[0] != 0x04)
        return 0;
    const EC_GROUP *g = cs_p256_group();
    if (g == NULL)
        return 0;
    EC_POINT *q = EC_POINT_new(g);
    /* oct2point refuses coordinates out of range and points off the curve */
    int ok = q != NULL && EC_POINT_oct2point(g, q, pub, CS_P256_PUB_LEN, NULL) == 1 &&
             EC_POINT_is_at_infinity(g, q) == 0 && EC_POINT_is_on_curve(g, q, NULL) == 1;
    EC_POINT_free(q);
    ERR_clear_error();
    return ok;
}

int cs_p256_spki_encode(const uint8_t pub[65], uint8_t spki[91]) {
    if (pub == NULL || spki == NULL)
        return COAPSEC_ERR_INVAL;
    if (p256_point_valid(pub)) {
        cs_p256_spki_wrap(pub, spki);
        return 0;
    }
    EVP_PKEY *pkey = cs_pkey_from_point(pub, CS_P256_PUB_LEN);
    if (pkey == NULL) {
        ERR_clear_error();
        return COAPSEC_ERR_INVAL;
    }
    int rc = 0;
    int n = i2d_PUBKEY(pkey, NULL);
    if (n != CS_P256_SPKI_LEN) {
        rc = COAPSEC_ERR_CRYPTO;
    } else {
        unsigned char *p = spki;
        if (i2d_PUBKEY(pkey, &p) != CS_P256_SPKI_LEN)
            rc = COAPSEC_ERR_CRYPTO;
    }
    EVP_PKEY_free(pkey);
    ERR_clear_error();
    return rc;
}

void cs_p256_spki_wrap(const uint8_t pub[65], uint8_t spki[91]) {
    memcpy(spki, p256_spki_hdr, sizeof p256_spki_hdr);
    memcpy(spki + sizeof p256_spki_hdr, pub, CS_P256_PUB_LEN);
}

int cs_p256_spki_decode(const uint8_t *spki, size_t len, uint8_t pub[65]) {
    if (spki == NULL || pub == NULL || len == 0 || len > INT32_MAX)
        return COAPSEC_ERR_FORMAT;
    if (len == CS_P256_SPKI_LEN && memcmp(spki, p256_spki_hdr, sizeof p256_spki_hdr) == 0) {
        const uint8_t *pt = spki + sizeof p256_spki_hdr;
        if (!p256_point_valid(pt))
            return COAPSEC_ERR_FORMAT;
        memcpy(pub, pt, CS_P256_PUB_LEN);
        return 0;
    }
    /* anything else (e.g. a compressed point): libcrypto's decoder */
    const unsigned char *p = spki;
    EVP_PKEY *pkey = d2i_PUBKEY(NULL, &p, (long)len);
    ERR_clear_error();
    if (pkey == NULL || (size_t)(p - spki) != len) {
        EVP_PKEY_free(pkey);
        return COAPSEC_ERR_FORMAT;
    }
    int rc = cs_pkey_point(pkey, pub);
    EVP_PKEY_free(pkey);
    return rc;
}

void cs_spki_fingerprint(const uint8_t *spki, size_t len, uint8_t out[32]) {
    cs_sha256(spki, len, out);
}
