/*
 * dtls/credentials.c - the public ECDSA credential helpers of coapsec/dtls.h:
 * P-256 private keys, trust anchors, SPKI fingerprints and certificate lists
 * (from PEM text or a PEM file).
 * Thin wrappers over the crypto module (the opaque coapsec_dtls_key and
 * coapsec_dtls_trust are its cs_p256_key and cs_x509_trust). These are the
 * only DTLS functions that allocate, through libcrypto, at setup time.
 */
#include "dtls/dtls_int.h"

#define KEY(k)   ((cs_p256_key *)(void *)(k))
#define TRUST(t) ((cs_x509_trust *)(void *)(t))

int coapsec_dtls_key_from_pem(coapsec_dtls_key **out, const char *pem, size_t len) {
    if (!out || !pem)
        return COAPSEC_ERR_INVAL;
    cs_p256_key *k = NULL;
    int rc = cs_p256_key_from_pem(&k, pem, len);
    *out = (coapsec_dtls_key *)(void *)k;
    return rc;
}

int coapsec_dtls_key_load_file(coapsec_dtls_key **out, const char *path) {
    if (!out || !path)
        return COAPSEC_ERR_INVAL;
    cs_p256_key *k = NULL;
    int rc = cs_p256_key_load_file(&k, path);
    *out = (coapsec_dtls_key *)(void *)k;
    return rc;
}

int coapsec_dtls_key_generate(coapsec_dtls_key **out) {
    if (!out)
        return COAPSEC_ERR_INVAL;
    cs_p256_key *k = NULL;
    int rc = cs_p256_key_generate(&k);
    *out = (coapsec_dtls_key *)(void *)k;
    return rc;
}

void coapsec_dtls_key_free(coapsec_dtls_key *k) {
    if (k)
        cs_p256_key_free(KEY(k));
}

int coapsec_dtls_key_spki(const coapsec_dtls_key *k, uint8_t spki[91]) {
    uint8_t pub[CS_P256_PUB_LEN];
    if (!k || !spki)
        return COAPSEC_ERR_INVAL;
    int rc = cs_p256_key_public((const cs_p256_key *)(const void *)k, pub);
    return rc ? rc : cs_p256_spki_encode(pub, spki);
}

void coapsec_dtls_spki_fingerprint(const uint8_t *spki, size_t len, uint8_t out[32]) {
    cs_spki_fingerprint(spki, len, out);
}

int coapsec_dtls_spki_fingerprint_any(const uint8_t *data, size_t len, uint8_t out[32]) {
    uint8_t der[512], pub[CS_P256_PUB_LEN];
    size_t n = len;
    const uint8_t *p = data;
    if (!data || !out)
        return COAPSEC_ERR_INVAL;
    if (len > 0 && data[0] != 0x30) {
        int rc = cs_spki_from_pem((const char *)data, len, der, sizeof der, &n); /* crypto/pem.c */
        if (rc)
            return rc;
        p = der;
    }
    int rc = cs_p256_spki_decode(p, n, pub); /* a P-256 SPKI, nothing else */
    if (rc)
        return rc;
    cs_spki_fingerprint(p, n, out);
    return 0;
}

int coapsec_dtls_cert_list_from_pem(const char *pem, size_t len, uint8_t *out, size_t cap,
                                    size_t *outlen) {
    if (!pem || !out || !outlen)
        return COAPSEC_ERR_INVAL;
    return cs_x509_pem_to_tls_list(pem, len, out, cap, outlen);
}

int coapsec_dtls_cert_list_load_file(const char *path, uint8_t *out, size_t cap, size_t *outlen) {
    if (!path || !out || !outlen)
        return COAPSEC_ERR_INVAL;
    return cs_x509_pem_file_to_tls_list(path, COAPSEC_DTLS_CERT_FILE_MAX, out, cap, outlen);
}

int coapsec_dtls_trust_new(coapsec_dtls_trust **out) {
    if (!out)
        return COAPSEC_ERR_INVAL;
    cs_x509_trust *t = NULL;
    int rc = cs_x509_trust_new(&t);
    *out = (coapsec_dtls_trust *)(void *)t;
    return rc;
}

int coapsec_dtls_trust_add_pem(coapsec_dtls_trust *t, const char *pem, size_t len) {
    return t && pem ? cs_x509_trust_add_pem(TRUST(t), pem, len) : COAPSEC_ERR_INVAL;
}

int coapsec_dtls_trust_add_file(coapsec_dtls_trust *t, const char *path) {
    return t && path ? cs_x509_trust_add_file(TRUST(t), path) : COAPSEC_ERR_INVAL;
}

void coapsec_dtls_trust_free(coapsec_dtls_trust *t) {
    if (t)
        cs_x509_trust_free(TRUST(t));
}
