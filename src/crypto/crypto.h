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
#define CS_CCM8_TAG_LEN   8
#define CS_CCM_NONCE_LEN  12 /* DTLS: 4-byte implicit IV || 8-byte explicit nonce */
#define CS_SHA256_LEN     32

/**
 * AES-128-CCM with an 8-byte tag (RFC 6655, RFC 3610 with M=8, L=3).
 * seal writes ptlen ciphertext bytes followed by the tag into out (ptlen + 8
 * bytes; out may equal pt). open checks the tag in constant time and writes
 * ctlen - 8 bytes of plaintext (out may equal ct); returns 0, or
 * COAPSEC_ERR_DECRYPT when the tag does not verify (out is then zeroed).
 */
int cs_ccm8_seal(const uint8_t key[16], const uint8_t nonce[12], const uint8_t *aad, size_t aadlen,
                 const uint8_t *pt, size_t ptlen, uint8_t *out);
int cs_ccm8_open(const uint8_t key[16], const uint8_t nonce[12], const uint8_t *aad, size_t aadlen,
                 const uint8_t *ct, size_t ctlen, uint8_t *out);

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
/** HMAC-SHA256 under a long-lived 32-byte key (a server's cookie secret):
 *  the same MAC as cs_hmac_sha256, but the thread keeps its own context keyed
 *  with the last such key and only restarts it while the key stays the same,
 *  instead of hashing the padded key twice per call. */
void cs_hmac_sha256_k32(const uint8_t key[32], const void *data, size_t len, uint8_t out[32]);
/** P_SHA256(secret, s1 || s2) (RFC 5246 §5), outlen bytes; HMAC keyed once
 *  for all its blocks. Returns 0, or COAPSEC_ERR_CRYPTO with out wiped. */
int cs_p_sha256(const uint8_t *secret, size_t secretlen, const void *s1, size_t l1, const void *s2,
                size_t l2, uint8_t *out, size_t outlen);

/** TLS 1.2 PRF with SHA-256 (RFC 5246 §5): out = P_SHA256(secret, label || seed). */
int cs_tls12_prf(const uint8_t *secret, size_t secretlen, const char *label, const uint8_t *seed,
                 size_t seedlen, uint8_t *out, size_t outlen);

/** Cryptographically secure random bytes; returns 0 or COAPSEC_ERR_CRYPTO. */
int cs_random(void *buf, size_t len);
/** The same quality of bytes, for values that are public once used (hello
 *  randoms, session IDs, nonces, CoAP message IDs and tokens): served from a
 *  per-thread buffer of DRBG output, so never for keys or secrets. */
int cs_random_nonce(void *buf, size_t len);

/** Constant-time comparison: 0 when equal (like memcmp for equality only). */
int cs_ct_memcmp(const void *a, const void *b, size_t len);

/** Overwrite secret material so the compiler cannot elide it. */
void cs_wipe(void *p, size_t len);

/* --- P-256 keys, ECDH and ECDSA (RFC 8422, TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8) --- */

#define CS_P256_PRIV_LEN   32
#define CS_P256_PUB_LEN    65 /* uncompressed point: 0x04 || X || Y (SEC 1 §2.3.3) */
#define CS_P256_SECRET_LEN 32
#define CS_P256_SPKI_LEN   91 /* SubjectPublicKeyInfo DER of a P-256 key (RFC 5480) */
#define CS_ECDSA_SIG_MAX   72 /* DER ECDSA-Sig-Value for P-256 */

/**
 * Ephemeral ECDH key pair as plain bytes (per session). Returns 0 or
 * COAPSEC_ERR_CRYPTO.
 */
int cs_ecdh_p256_keygen(uint8_t priv[32], uint8_t pub[65]);

/**
 * ECDH shared secret (the X coordinate, RFC 8422 §5.10). peer_pub must be a
 * 65-byte uncompressed point on P-256 (not infinity, not compressed):
 * anything else returns COAPSEC_ERR_AUTH. Returns 0, COAPSEC_ERR_AUTH or
 * COAPSEC_ERR_CRYPTO; on error secret is zeroed.
 */
int cs_ecdh_p256_derive(const uint8_t priv[32], const uint8_t *peer_pub, size_t peer_publen,
                        uint8_t secret[32]);

/** Curves a key may be on; only P-256 is used by the profile (P-384 exists for tests). */
enum cs_curve { CS_CURVE_P256 = 0, CS_CURVE_P384 = 1 };

/**
 * A long-lived (per-node) EC private key. This is a libcrypto object: it is
 * created by one of the functions below and must be freed with
 * cs_p256_key_free(). Signing refuses keys not on P-256.
 */
typedef struct cs_p256_key cs_p256_key;

int cs_p256_key_generate(cs_p256_key **out);
int cs_ec_key_generate(cs_p256_key **out, enum cs_curve curve);
/** From a 32-byte private scalar (the public point is computed). */
int cs_p256_key_from_priv(cs_p256_key **out, const uint8_t priv[32]);
/** PEM "EC PRIVATE KEY" (SEC 1) or "PRIVATE KEY" (PKCS#8, unencrypted); P-256 only. */
int cs_p256_key_from_pem(cs_p256_key **out, const char *pem, size_t len);
int cs_p256_key_load_file(cs_p256_key **out, const char *path);
/** PKCS#8 PEM into buf (NUL-terminated); *len excludes the NUL. */
int cs_p256_key_to_pem(const cs_p256_key *k, char *buf, size_t cap, size_t *len);
/** Writes the PKCS#8 PEM to path with mode 0600. */
int cs_p256_key_write_file(const cs_p256_key *k, const char *path);
/** The key's public point, uncompressed (COAPSEC_ERR_UNSUPPORTED if not P-256). */
int cs_p256_key_public(const cs_p256_key *k, uint8_t pub[65]);
enum cs_curve cs_ec_key_curve(const cs_p256_key *k);
void cs_p256_key_free(cs_p256_key *k);

/**
 * ECDSA with SHA-256 over msg (or over a precomputed SHA-256 hash), DER
 * signature of at most CS_ECDSA_SIG_MAX bytes. sign: *siglen is the
 * capacity on entry and the length on return. verify: 0, or
 * COAPSEC_ERR_AUTH for a bad, malformed or non-canonical signature or a
 * bad public point.
 */
int cs_ecdsa_p256_sign(const cs_p256_key *k, const uint8_t *msg, size_t len, uint8_t *sig,
                       size_t *siglen);
int cs_ecdsa_p256_sign_hash(const cs_p256_key *k, const uint8_t hash[32], uint8_t *sig,
                            size_t *siglen);
int cs_ecdsa_p256_verify(const uint8_t pub[65], const uint8_t *msg, size_t len, const uint8_t *sig,
                         size_t siglen);
int cs_ecdsa_p256_verify_hash(const uint8_t pub[65], const uint8_t hash[32], const uint8_t *sig,
                              size_t siglen);

/** SubjectPublicKeyInfo (RFC 5480 §2) for a P-256 point, and back. decode
 * returns COAPSEC_ERR_FORMAT for malformed DER or trailing bytes and
 * COAPSEC_ERR_UNSUPPORTED for a key that is not EC P-256. */
int cs_p256_spki_encode(const uint8_t pub[65], uint8_t spki[91]);
int cs_p256_spki_decode(const uint8_t *spki, size_t len, uint8_t pub[65]);
/** The SPKI of an uncompressed point that is already known to be valid (our
 *  own key's, or one that cs_p256_spki_decode, X.509 verification or an
 *  authenticated ticket gave): the fixed header and the point, no check
 *  (cs_p256_spki_encode checks the point on the curve, about 2 us). */
void cs_p256_spki_wrap(const uint8_t pub[65], uint8_t spki[91]);
/** SHA-256 over the SPKI DER (the RFC 7250 raw-public-key fingerprint). */
void cs_spki_fingerprint(const uint8_t *spki, size_t len, uint8_t out[32]);

/* --- X.509 certificate chains (RFC 5280, oneM2M TS-0003/TS-0008 profile) --- */

/** Why a chain was refused; cs_x509_reason_str() gives the text. */
enum cs_x509_reason {
    CS_X509_OK = 0,
    CS_X509_MALFORMED,            /* not DER, trailing bytes, empty chain */
    CS_X509_UNTRUSTED_CA,         /* no path to a trust anchor */
    CS_X509_EXPIRED,              /* notAfter is in the past */
    CS_X509_NOT_YET_VALID,        /* notBefore is in the future */
    CS_X509_BAD_SIGNATURE,        /* a signature in the chain does not verify */
    CS_X509_WRONG_KEY_TYPE,       /* key is not EC */
    CS_X509_WRONG_CURVE,          /* EC key not on P-256 */
    CS_X509_WRONG_SIG_ALG,        /* signature algorithm is not ecdsa-with-SHA256 */
    CS_X509_NO_DIGITAL_SIGNATURE, /* leaf keyUsage lacks digitalSignature */
    CS_X509_WRONG_PURPOSE,        /* extendedKeyUsage does not allow server/client auth */
    CS_X509_NOT_CA,               /* an issuer is not a CA (basicConstraints/keyUsage) */
    CS_X509_CHAIN_TOO_LONG,       /* depth or pathLenConstraint exceeded */
    CS_X509_NAME_MISMATCH,        /* the dialled authority is not in SAN (or CN) */
    CS_X509_NOT_STRICT,           /* violates RFC 5280 rules checked by X509_V_FLAG_X509_STRICT */
    CS_X509_OTHER,                /* another libcrypto verification error (see detail) */
};
const char *cs_x509_reason_str(int reason);

/** A set of trust anchors (owns an X509_STORE; free with cs_x509_trust_free). */
typedef struct cs_x509_trust cs_x509_trust;
int cs_x509_trust_new(cs_x509_trust **out);
/** Adds every CERTIFICATE in a PEM buffer / file (at least one), or one DER certificate. */
int cs_x509_trust_add_pem(cs_x509_trust *t, const char *pem, size_t len);
int cs_x509_trust_add_file(cs_x509_trust *t, const char *path);
int cs_x509_trust_add_der(cs_x509_trust *t, const uint8_t *der, size_t len);
void cs_x509_trust_free(cs_x509_trust *t);

enum cs_x509_purpose { CS_X509_PURPOSE_SERVER = 0, CS_X509_PURPOSE_CLIENT = 1 };

/** Every verification setting, in one place. */
typedef struct cs_x509_verify_params {
    enum cs_x509_purpose purpose; /* what the leaf must be good for */
    int max_depth;                /* max intermediates between leaf and anchor; <0: 4 */
    int64_t now;                  /* wall-clock time, seconds since 1970 (UTC) */
    int no_clock;                 /* 1: the node has no clock; skip validity periods */
    const char *authority;        /* the dialled host (DNS name or IP literal); NULL: no check */
} cs_x509_verify_params;

/** A borrowed DER blob. */
typedef struct cs_der {
    const uint8_t *p;
    size_t len;
} cs_der;

typedef struct cs_x509_result {
    int reason;           /* enum cs_x509_reason */
    int depth;            /* certificate the reason is about: 0 = leaf; -1 = none */
    uint8_t leaf_pub[65]; /* on success: the leaf's P-256 point */
    char detail[128];     /* human-readable detail (NUL-terminated) */
} cs_x509_result;

/**
 * Verifies certs[0] (the leaf) with certs[1..n-1] as untrusted
 * intermediates against the trust anchors: RFC 5280 path validation with
 * X509_V_FLAG_X509_STRICT, the purpose, depth and time from vp, then the
 * TS-0008 profile on every certificate below the anchor (EC P-256 key,
 * ecdsa-with-SHA256 signature; leaf keyUsage, if present, includes
 * digitalSignature), then the authority name. Returns 0, COAPSEC_ERR_AUTH
 * (res->reason says why), COAPSEC_ERR_INVAL or COAPSEC_ERR_CRYPTO.
 */
int cs_x509_verify_chain(const cs_x509_trust *t, const cs_der *certs, size_t ncerts,
                         const cs_x509_verify_params *vp, cs_x509_result *res);
/**
 * The same on a TLS Certificate message body (RFC 5246 §7.4.2: a 3-byte
 * total length, then 3-byte-length-prefixed DER certificates, leaf first).
 * Malformed lengths give COAPSEC_ERR_AUTH with CS_X509_MALFORMED.
 */
int cs_x509_verify_tls_list(const cs_x509_trust *t, const uint8_t *msg, size_t len,
                            const cs_x509_verify_params *vp, cs_x509_result *res);
/** Name check alone (RFC 6125 style, no wildcards): authority against SAN
 * DNS / IP / URI host, or the subject CN when there is no SAN. 0 on match,
 * COAPSEC_ERR_AUTH otherwise, COAPSEC_ERR_FORMAT for bad DER. */
int cs_x509_check_name(const uint8_t *der, size_t len, const char *authority);
/** The P-256 point of a DER certificate's key. */
int cs_x509_leaf_public(const uint8_t *der, size_t len, uint8_t pub[65]);

/** Every CERTIFICATE in a PEM buffer as a TLS certificate_list (3-byte total
 * length, then 3-byte-length-prefixed DER), in file order. */
int cs_x509_pem_to_tls_list(const char *pem, size_t pemlen, uint8_t *out, size_t cap,
                            size_t *outlen);
/** The same on a PEM file of at most maxlen bytes (the buffer is wiped: the
 * file may hold a private key as well). COAPSEC_ERR_NOTFOUND when it cannot
 * be opened; COAPSEC_ERR_FORMAT when it cannot be read, is empty, is longer
 * than maxlen or holds no CERTIFICATE. */
int cs_x509_pem_file_to_tls_list(const char *path, size_t maxlen, uint8_t *out, size_t cap,
                                 size_t *outlen);
int cs_x509_der_to_pem(const uint8_t *der, size_t len, char *pem, size_t cap, size_t *pemlen);

/* --- PEM encodings of keys (pem.c; libcrypto's PEM codec) --- */

/** First "PUBLIC KEY" PEM block of a buffer as SubjectPublicKeyInfo DER (any
 * key type; callers check the curve). 0, COAPSEC_ERR_FORMAT (no such block),
 * COAPSEC_ERR_NOBUF or COAPSEC_ERR_INVAL. */
int cs_spki_from_pem(const char *pem, size_t len, uint8_t *der, size_t cap, size_t *outlen);
/** SPKI DER as a NUL-terminated "PUBLIC KEY" PEM block; *len excludes the NUL. */
int cs_spki_to_pem(const uint8_t *spki, size_t spki_len, char *buf, size_t cap, size_t *len);
/** The private key as a SEC 1 "EC PRIVATE KEY" PEM block (NUL-terminated). */
int cs_p256_key_to_sec1_pem(const cs_p256_key *k, char *buf, size_t cap, size_t *len);
/** Write len bytes to path (created or truncated with the given mode). 0 or COAPSEC_ERR_IO. */
int cs_write_file_mode(const char *path, const void *data, size_t len, int mode);

/* --- certificate generator (coapsec keygen, test fixtures) --- */

#define CS_KU_DIGITAL_SIGNATURE 0x01
#define CS_KU_KEY_AGREEMENT     0x02
#define CS_KU_KEY_CERT_SIGN     0x04
#define CS_KU_CRL_SIGN          0x08
#define CS_EKU_SERVER           0x01
#define CS_EKU_CLIENT           0x02

typedef struct cs_cert_spec {
    const char *cn;         /* subject commonName (may be NULL when san is set) */
    const char *san;        /* "DNS:a.example,IP:127.0.0.1,URI:coaps://x" or NULL */
    int is_ca;              /* basicConstraints CA:TRUE (critical) */
    int pathlen;            /* CA pathLenConstraint; <0: none */
    unsigned key_usage;     /* CS_KU_* bits (critical extension); 0: omit it */
    unsigned ext_key_usage; /* CS_EKU_* bits; 0: omit it */
    int64_t not_before;     /* seconds since 1970 */
    int64_t not_after;
    uint64_t serial; /* > 0 */
    int sign_sha384; /* test only: sign with ecdsa-with-SHA384 instead of SHA256 */
} cs_cert_spec;

/**
 * Issues a v3 certificate for subject_key, signed by issuer_key and naming
 * the issuer certificate issuer_der (NULL/0 = self-signed: issuer_key must
 * be subject_key). Adds subjectKeyIdentifier and, when not self-signed,
 * authorityKeyIdentifier, so that chains pass X509_V_FLAG_X509_STRICT.
 */
int cs_cert_issue(const cs_cert_spec *spec, const cs_p256_key *subject_key,
                  const uint8_t *issuer_der, size_t issuer_len, const cs_p256_key *issuer_key,
                  uint8_t *der, size_t cap, size_t *derlen);

#endif /* COAPSEC_CRYPTO_H */
