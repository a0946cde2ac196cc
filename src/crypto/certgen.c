/*
 * certgen.c - issues X.509 v3 certificates with libcrypto (no shelling out):
 * self-signed CAs, intermediates and end-entity certificates with a given
 * CN, subjectAltName, keyUsage, extendedKeyUsage and validity. Used by
 * `coapsec keygen` and by tests to make their own fixtures. The output
 * passes X509_V_FLAG_X509_STRICT (SKID everywhere, AKID below the root,
 * critical basicConstraints and keyUsage on CAs).
 */
#include "crypto/pkey_int.h"
#include "coapsec/common.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

static int add_ext(X509 *x, X509V3_CTX *v3, int nid, const char *value) {
    X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, v3, nid, value);
    if (ext == NULL)
        return 0;
    int ok = X509_add_ext(x, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

static int set_time(ASN1_TIME *t, int64_t when) {
    /* ASN1_TIME_set picks UTCTime up to 2049, GeneralizedTime after
     * (RFC 5280 §4.1.2.5). */
    return ASN1_TIME_set(t, (time_t)when) != NULL;
}

static void key_usage_str(unsigned ku, char *buf, size_t cap) {
    snprintf(
        buf, cap, "critical%s%s%s%s", (ku & CS_KU_DIGITAL_SIGNATURE) ? ",digitalSignature" : "",
        (ku & CS_KU_KEY_AGREEMENT) ? ",keyAgreement" : "",
        (ku & CS_KU_KEY_CERT_SIGN) ? ",keyCertSign" : "", (ku & CS_KU_CRL_SIGN) ? ",cRLSign" : "");
}

int cs_cert_issue(const cs_cert_spec *spec, const cs_p256_key *subject_key,
                  const uint8_t *issuer_der, size_t issuer_len, const cs_p256_key *issuer_key,
                  uint8_t *der, size_t cap, size_t *derlen) {
    if (spec == NULL || subject_key == NULL || issuer_key == NULL || der == NULL ||
        derlen == NULL || spec->serial == 0 || spec->not_after < spec->not_before ||
        (spec->cn == NULL && spec->san == NULL))
        return COAPSEC_ERR_INVAL;
    int self_signed = issuer_der == NULL;
    if (self_signed && EVP_PKEY_eq(subject_key->pkey, issuer_key->pkey) != 1)
        return COAPSEC_ERR_INVAL;

    int rc = COAPSEC_ERR_CRYPTO;
    X509 *issuer = NULL;
    X509 *x = X509_new();
    if (x == NULL)
        goto out;
    if (!self_signed) {
        const unsigned char *p = issuer_der;
        if (issuer_len == 0 || issuer_len > INT32_MAX ||
            (issuer = d2i_X509(NULL, &p, (long)issuer_len)) == NULL ||
            (size_t)(p - issuer_der) != issuer_len) {
            rc = COAPSEC_ERR_FORMAT;
            goto out;
        }
    }
    X509_NAME *name = X509_get_subject_name(x);
    if (X509_set_version(x, X509_VERSION_3) != 1 ||
        ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), spec->serial) != 1 ||
        !set_time(X509_getm_notBefore(x), spec->not_before) ||
        !set_time(X509_getm_notAfter(x), spec->not_after) ||
        (spec->cn != NULL &&
         X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)spec->cn, -1,
                                    -1, 0) != 1) ||
        X509_set_issuer_name(x, self_signed ? name : X509_get_subject_name(issuer)) != 1 ||
        X509_set_pubkey(x, subject_key->pkey) != 1)
        goto out;

    X509V3_CTX v3;
    X509V3_set_ctx(&v3, self_signed ? x : issuer, x, NULL, NULL, 0);
    char buf[128];
    if (spec->is_ca) {
        if (spec->pathlen >= 0)
            snprintf(buf, sizeof(buf), "critical,CA:TRUE,pathlen:%d", spec->pathlen);
        else
            snprintf(buf, sizeof(buf), "critical,CA:TRUE");
    } else {
        snprintf(buf, sizeof(buf), "CA:FALSE");
    }
    if (!add_ext(x, &v3, NID_basic_constraints, buf) ||
        !add_ext(x, &v3, NID_subject_key_identifier, "hash") ||
        (!self_signed && !add_ext(x, &v3, NID_authority_key_identifier, "keyid:always")))
        goto out;
    if (spec->key_usage != 0) {
        key_usage_str(spec->key_usage, buf, sizeof(buf));
        if (!add_ext(x, &v3, NID_key_usage, buf))
            goto out;
    }
    if (spec->ext_key_usage != 0) {
        snprintf(
            buf, sizeof(buf), "%s%s%s", (spec->ext_key_usage & CS_EKU_SERVER) ? "serverAuth" : "",
            (spec->ext_key_usage & CS_EKU_SERVER) && (spec->ext_key_usage & CS_EKU_CLIENT) ? ","
                                                                                           : "",
            (spec->ext_key_usage & CS_EKU_CLIENT) ? "clientAuth" : "");
        if (!add_ext(x, &v3, NID_ext_key_usage, buf))
            goto out;
    }
    if (spec->san != NULL && !add_ext(x, &v3, NID_subject_alt_name, spec->san)) {
        rc = COAPSEC_ERR_INVAL;
        goto out;
    }
    if (X509_sign(x, issuer_key->pkey, spec->sign_sha384 ? EVP_sha384() : EVP_sha256()) <= 0)
        goto out;
    int n = i2d_X509(x, NULL);
    if (n <= 0)
        goto out;
    if ((size_t)n > cap) {
        rc = COAPSEC_ERR_NOBUF;
        goto out;
    }
    unsigned char *p = der;
    if (i2d_X509(x, &p) != n)
        goto out;
    *derlen = (size_t)n;
    rc = 0;
out:
    X509_free(x);
    X509_free(issuer);
    ERR_clear_error();
    return rc;
}
