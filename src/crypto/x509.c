/*
 * x509.c - X.509 certificate chains for the Certificate mode of oneM2M
 * TS-0008: trust-anchor sets, RFC 5280 path validation through libcrypto's
 * X509_verify_cert with every setting fixed in one function, the TS-0008
 * profile checks (P-256 keys, ecdsa-with-SHA256, digitalSignature), the
 * name check against the dialled authority, and PEM/TLS-list conversions
 * (from a buffer or a PEM file).
 */
#include "crypto/pkey_int.h"
#include "coapsec/common.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#define CS_X509_MAX_CHAIN     16 /* certificates accepted in one chain */
#define CS_X509_DEFAULT_DEPTH 4

struct cs_x509_trust {
    X509_STORE *store;
    int count;
};

const char *cs_x509_reason_str(int reason) {
    switch (reason) {
    case CS_X509_OK:
        return "certificate chain verified";
    case CS_X509_MALFORMED:
        return "malformed certificate or certificate list";
    case CS_X509_UNTRUSTED_CA:
        return "untrusted CA: no path to a trust anchor";
    case CS_X509_EXPIRED:
        return "certificate expired";
    case CS_X509_NOT_YET_VALID:
        return "certificate not yet valid";
    case CS_X509_BAD_SIGNATURE:
        return "certificate signature does not verify";
    case CS_X509_WRONG_KEY_TYPE:
        return "certificate key is not an EC key";
    case CS_X509_WRONG_CURVE:
        return "certificate key is not on curve P-256";
    case CS_X509_WRONG_SIG_ALG:
        return "certificate signature algorithm is not ecdsa-with-SHA256";
    case CS_X509_NO_DIGITAL_SIGNATURE:
        return "leaf keyUsage does not allow digitalSignature";
    case CS_X509_WRONG_PURPOSE:
        return "certificate not valid for this purpose (extendedKeyUsage)";
    case CS_X509_NOT_CA:
        return "issuer is not a CA";
    case CS_X509_CHAIN_TOO_LONG:
        return "certificate chain too long";
    case CS_X509_NAME_MISMATCH:
        return "name mismatch: the server is not the authority dialled";
    case CS_X509_NOT_STRICT:
        return "certificate violates RFC 5280 (strict checks)";
    case CS_X509_OTHER:
        return "certificate verification failed";
    default:
        return "unknown certificate verification result";
    }
}

/* --- trust anchors ------------------------------------------------------- */

int cs_x509_trust_new(cs_x509_trust **out) {
    if (out == NULL)
        return COAPSEC_ERR_INVAL;
    *out = NULL;
    cs_x509_trust *t = OPENSSL_zalloc(sizeof(*t));
    if (t == NULL)
        return COAPSEC_ERR_CRYPTO;
    t->store = X509_STORE_new();
    if (t->store == NULL) {
        OPENSSL_free(t);
        return COAPSEC_ERR_CRYPTO;
    }
    *out = t;
    return 0;
}

void cs_x509_trust_free(cs_x509_trust *t) {
    if (t == NULL)
        return;
    X509_STORE_free(t->store);
    OPENSSL_free(t);
}

static X509 *parse_der(const uint8_t *der, size_t len) {
    if (der == NULL || len == 0 || len > INT32_MAX)
        return NULL;
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (x != NULL && (size_t)(p - der) != len) { /* trailing bytes */
        X509_free(x);
        x = NULL;
    }
    ERR_clear_error();
    return x;
}

int cs_x509_trust_add_der(cs_x509_trust *t, const uint8_t *der, size_t len) {
    if (t == NULL)
        return COAPSEC_ERR_INVAL;
    X509 *x = parse_der(der, len);
    if (x == NULL)
        return COAPSEC_ERR_FORMAT;
    int ok = X509_STORE_add_cert(t->store, x) == 1;
    X509_free(x);
    ERR_clear_error();
    if (!ok)
        return COAPSEC_ERR_CRYPTO;
    t->count++;
    return 0;
}

int cs_x509_trust_add_pem(cs_x509_trust *t, const char *pem, size_t len) {
    if (t == NULL || pem == NULL || len == 0 || len > INT32_MAX)
        return COAPSEC_ERR_INVAL;
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (bio == NULL)
        return COAPSEC_ERR_CRYPTO;
    int n = 0, rc = 0;
    X509 *x;
    while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        if (X509_STORE_add_cert(t->store, x) != 1)
            rc = COAPSEC_ERR_CRYPTO;
        X509_free(x);
        n++;
    }
    BIO_free(bio);
    ERR_clear_error();
    if (rc == 0 && n == 0)
        rc = COAPSEC_ERR_FORMAT;
    if (rc == 0)
        t->count += n;
    return rc;
}

int cs_x509_trust_add_file(cs_x509_trust *t, const char *path) {
    if (t == NULL || path == NULL)
        return COAPSEC_ERR_INVAL;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return COAPSEC_ERR_NOTFOUND;
    static const size_t cap = 1 << 20;
    char *buf = OPENSSL_malloc(cap);
    if (buf == NULL) {
        fclose(f);
        return COAPSEC_ERR_CRYPTO;
    }
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    int rc = n == cap ? COAPSEC_ERR_FORMAT : cs_x509_trust_add_pem(t, buf, n);
    OPENSSL_free(buf);
    return rc;
}

/* --- name check ------------------------------------------------------------ */

/* The host of a URI SAN ("coaps://host:port/path", "coap://[::1]/"), or the
 * whole value for a URI without an authority (e.g. a URN). */
static void uri_host(const char *uri, size_t len, const char **host, size_t *hostlen) {
    const char *sep = NULL;
    for (size_t i = 0; i + 2 < len; i++) {
        if (uri[i] == ':' && uri[i + 1] == '/' && uri[i + 2] == '/') {
            sep = uri + i + 3;
            break;
        }
        if (uri[i] == '/' || uri[i] == '?' || uri[i] == '#')
            break;
    }
    if (sep == NULL) {
        *host = uri;
        *hostlen = len;
        return;
    }
    const char *end = uri + len, *a = sep, *e = sep;
    while (e < end && *e != '/' && *e != '?' && *e != '#')
        e++;
    for (const char *p = a; p < e; p++) /* drop userinfo */
        if (*p == '@')
            a = p + 1;
    if (a < e && *a == '[') {
        const char *rb = memchr(a, ']', (size_t)(e - a));
        if (rb == NULL) {
            *host = a;
            *hostlen = 0;
            return;
        }
        *host = a + 1;
        *hostlen = (size_t)(rb - a - 1);
        return;
    }
    const char *colon = memchr(a, ':', (size_t)(e - a));
    *host = a;
    *hostlen = (size_t)((colon != NULL ? colon : e) - a);
}

static int name_check_x509(X509 *x, const char *authority) {
    char host[256];
    size_t alen = strlen(authority);
    /* "[v6]" as in a URI authority: compare the address inside. */
    if (alen >= 2 && authority[0] == '[' && authority[alen - 1] == ']') {
        authority++;
        alen -= 2;
    }
    if (alen == 0 || alen >= sizeof(host))
        return 0;
    memcpy(host, authority, alen);
    host[alen] = '\0';

    ASN1_OCTET_STRING *ip = a2i_IPADDRESS(host);
    int is_ip = ip != NULL;
    ASN1_OCTET_STRING_free(ip);
    ERR_clear_error();

    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    int nsan = gens != NULL ? sk_GENERAL_NAME_num(gens) : 0;
    int match = 0;
    if (nsan > 0) {
        const unsigned int flags =
            X509_CHECK_FLAG_NO_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT;
        if (is_ip)
            match = X509_check_ip_asc(x, host, 0) == 1;
        else
            match = X509_check_host(x, host, alen, flags, NULL) == 1;
        for (int i = 0; !match && i < nsan; i++) {
            const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
            if (g->type != GEN_URI)
                continue;
            const char *u = (const char *)ASN1_STRING_get0_data(g->d.uniformResourceIdentifier);
            int ulen = ASN1_STRING_length(g->d.uniformResourceIdentifier);
            if (u == NULL || ulen <= 0 || memchr(u, '\0', (size_t)ulen) != NULL)
                continue;
            const char *h;
            size_t hl;
            uri_host(u, (size_t)ulen, &h, &hl);
            match = hl == alen && strncasecmp(h, host, alen) == 0;
        }
    } else {
        /* No SAN at all: the subject CN (RFC 6125 §6.4.4), exact, no wildcards. */
        match = X509_check_host(x, host, alen,
                                X509_CHECK_FLAG_NO_WILDCARDS | X509_CHECK_FLAG_ALWAYS_CHECK_SUBJECT,
                                NULL) == 1;
    }
    GENERAL_NAMES_free(gens);
    ERR_clear_error();
    return match;
}

int cs_x509_check_name(const uint8_t *der, size_t len, const char *authority) {
    if (authority == NULL)
        return COAPSEC_ERR_INVAL;
    X509 *x = parse_der(der, len);
    if (x == NULL)
        return COAPSEC_ERR_FORMAT;
    int ok = name_check_x509(x, authority);
    X509_free(x);
    return ok ? 0 : COAPSEC_ERR_AUTH;
}

int cs_x509_leaf_public(const uint8_t *der, size_t len, uint8_t pub[65]) {
    if (pub == NULL)
        return COAPSEC_ERR_INVAL;
    X509 *x = parse_der(der, len);
    if (x == NULL)
        return COAPSEC_ERR_FORMAT;
    int rc = cs_pkey_point(X509_get0_pubkey(x), pub);
    X509_free(x);
    ERR_clear_error();
    return rc;
}

/* --- chain verification ------------------------------------------------------ */

static int map_verify_error(int err) {
    switch (err) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
        return CS_X509_EXPIRED;
    case X509_V_ERR_CERT_NOT_YET_VALID:
        return CS_X509_NOT_YET_VALID;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_UNTRUSTED:
    case X509_V_ERR_CERT_REJECTED:
        return CS_X509_UNTRUSTED_CA;
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
    case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
        return CS_X509_BAD_SIGNATURE;
    case X509_V_ERR_INVALID_PURPOSE:
        return CS_X509_WRONG_PURPOSE;
    case X509_V_ERR_INVALID_CA:
    case X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
        return CS_X509_NOT_CA;
    case X509_V_ERR_CERT_CHAIN_TOO_LONG:
    case X509_V_ERR_PATH_LENGTH_EXCEEDED:
        return CS_X509_CHAIN_TOO_LONG;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
        return CS_X509_NAME_MISMATCH;
    case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD:
    case X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD:
        return CS_X509_MALFORMED;
    case X509_V_ERR_CA_BCONS_NOT_CRITICAL:
    case X509_V_ERR_CA_CERT_MISSING_KEY_USAGE:
    case X509_V_ERR_EMPTY_SUBJECT_ALT_NAME:
    case X509_V_ERR_EMPTY_SUBJECT_SAN_NOT_CRITICAL:
    case X509_V_ERR_MISSING_AUTHORITY_KEY_IDENTIFIER:
    case X509_V_ERR_MISSING_SUBJECT_KEY_IDENTIFIER:
    case X509_V_ERR_AUTHORITY_KEY_IDENTIFIER_CRITICAL:
    case X509_V_ERR_SUBJECT_KEY_IDENTIFIER_CRITICAL:
    case X509_V_ERR_SUBJECT_NAME_EMPTY:
    case X509_V_ERR_ISSUER_NAME_EMPTY:
    case X509_V_ERR_KU_KEY_CERT_SIGN_INVALID_FOR_NON_CA:
    case X509_V_ERR_PATHLEN_INVALID_FOR_NON_CA:
    case X509_V_ERR_PATHLEN_WITHOUT_KU_KEY_CERT_SIGN:
    case X509_V_ERR_EXTENSIONS_REQUIRE_VERSION_3:
    case X509_V_ERR_EC_KEY_EXPLICIT_PARAMS:
    case X509_V_ERR_SIGNATURE_ALGORITHM_INCONSISTENCY:
    case X509_V_ERR_SIGNATURE_ALGORITHM_MISMATCH:
    case X509_V_ERR_INVALID_EXTENSION:
        return CS_X509_NOT_STRICT;
    default:
        return CS_X509_OTHER;
    }
}

static int fail(cs_x509_result *res, int reason, int depth, const char *detail) {
    res->reason = reason;
    res->depth = depth;
    snprintf(res->detail, sizeof(res->detail), "%s%s%s", cs_x509_reason_str(reason),
             detail != NULL ? ": " : "", detail != NULL ? detail : "");
    return COAPSEC_ERR_AUTH;
}

/* TS-0008 profile on one certificate below the trust anchor. */
static int profile_check(X509 *x, int depth, cs_x509_result *res) {
    EVP_PKEY *pk = X509_get0_pubkey(x);
    ERR_clear_error();
    if (pk == NULL || !EVP_PKEY_is_a(pk, "EC"))
        return fail(res, CS_X509_WRONG_KEY_TYPE, depth, NULL);
    if (cs_pkey_curve(pk) != CS_CURVE_P256)
        return fail(res, CS_X509_WRONG_CURVE, depth, NULL);
    if (X509_get_signature_nid(x) != NID_ecdsa_with_SHA256)
        return fail(res, CS_X509_WRONG_SIG_ALG, depth, OBJ_nid2sn(X509_get_signature_nid(x)));
    return 0;
}

int cs_x509_verify_chain(const cs_x509_trust *t, const cs_der *certs, size_t ncerts,
                         const cs_x509_verify_params *vp, cs_x509_result *res) {
    if (res == NULL)
        return COAPSEC_ERR_INVAL;
    memset(res, 0, sizeof(*res));
    res->depth = -1;
    if (t == NULL || vp == NULL || (ncerts > 0 && certs == NULL) ||
        (vp->purpose != CS_X509_PURPOSE_SERVER && vp->purpose != CS_X509_PURPOSE_CLIENT))
        return COAPSEC_ERR_INVAL;
    if (ncerts == 0)
        return fail(res, CS_X509_MALFORMED, -1, "empty certificate list");
    if (ncerts > CS_X509_MAX_CHAIN)
        return fail(res, CS_X509_CHAIN_TOO_LONG, -1, NULL);

    int rc = COAPSEC_ERR_CRYPTO;
    X509 *leaf = NULL;
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    if (untrusted == NULL || ctx == NULL)
        goto out;
    for (size_t i = 0; i < ncerts; i++) {
        X509 *x = parse_der(certs[i].p, certs[i].len);
        if (x == NULL) {
            rc = fail(res, CS_X509_MALFORMED, (int)i, "not a DER certificate");
            goto out;
        }
        if (i == 0) {
            leaf = x;
        } else if (!sk_X509_push(untrusted, x)) {
            X509_free(x);
            goto out;
        }
    }
    if (X509_STORE_CTX_init(ctx, t->store, leaf, untrusted) != 1)
        goto out;
    X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
    unsigned long flags = X509_V_FLAG_X509_STRICT;
    if (vp->no_clock)
        flags |= X509_V_FLAG_NO_CHECK_TIME;
    else
        X509_VERIFY_PARAM_set_time(param, (time_t)vp->now);
    X509_VERIFY_PARAM_set_flags(param, flags);
    X509_VERIFY_PARAM_set_depth(param, vp->max_depth < 0 ? CS_X509_DEFAULT_DEPTH : vp->max_depth);
    int purpose =
        vp->purpose == CS_X509_PURPOSE_SERVER ? X509_PURPOSE_SSL_SERVER : X509_PURPOSE_SSL_CLIENT;
    if (X509_STORE_CTX_set_purpose(ctx, purpose) != 1)
        goto out;

    if (X509_verify_cert(ctx) != 1) {
        int err = X509_STORE_CTX_get_error(ctx);
        /* Expired / not yet valid: name the date that was crossed (explain.c). */
        char when[96];
        const char *detail = X509_verify_cert_error_string(err);
        X509 *cur = X509_STORE_CTX_get_current_cert(ctx);
        struct tm tm;
        if ((err == X509_V_ERR_CERT_HAS_EXPIRED || err == X509_V_ERR_CERT_NOT_YET_VALID) && cur &&
            ASN1_TIME_to_tm(err == X509_V_ERR_CERT_HAS_EXPIRED ? X509_get0_notAfter(cur)
                                                               : X509_get0_notBefore(cur),
                            &tm) == 1) {
            snprintf(when, sizeof when, "%s on %04d-%02d-%02d %02d:%02d:%02d UTC",
                     err == X509_V_ERR_CERT_HAS_EXPIRED ? "expired" : "not valid before",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec);
            detail = when;
        }
        rc = fail(res, map_verify_error(err), X509_STORE_CTX_get_error_depth(ctx), detail);
        goto out;
    }
    STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);
    int n = chain != NULL ? sk_X509_num(chain) : 0;
    if (n < 1)
        goto out;
    /* Every certificate below the anchor; the leaf even when it is itself
     * the anchor (its key is what the handshake uses). */
    for (int i = 0; i < (n > 1 ? n - 1 : 1); i++) {
        if ((rc = profile_check(sk_X509_value(chain, i), i, res)) != 0)
            goto out;
    }
    if ((X509_get_extension_flags(leaf) & EXFLAG_KUSAGE) &&
        !(X509_get_key_usage(leaf) & KU_DIGITAL_SIGNATURE)) {
        rc = fail(res, CS_X509_NO_DIGITAL_SIGNATURE, 0, NULL);
        goto out;
    }
    if (vp->authority != NULL && !name_check_x509(leaf, vp->authority)) {
        rc = fail(res, CS_X509_NAME_MISMATCH, 0, vp->authority);
        goto out;
    }
    if (cs_pkey_point(X509_get0_pubkey(leaf), res->leaf_pub) != 0) {
        rc = fail(res, CS_X509_WRONG_CURVE, 0, NULL);
        goto out;
    }
    res->reason = CS_X509_OK;
    res->depth = -1;
    snprintf(res->detail, sizeof(res->detail), "%s", cs_x509_reason_str(CS_X509_OK));
    rc = 0;
out:
    if (rc == COAPSEC_ERR_CRYPTO && res->reason == CS_X509_OK)
        snprintf(res->detail, sizeof(res->detail), "libcrypto failure");
    X509_STORE_CTX_free(ctx);
    sk_X509_pop_free(untrusted, X509_free);
    X509_free(leaf);
    ERR_clear_error();
    return rc;
}

static size_t get24(const uint8_t *p) {
    return (size_t)p[0] << 16 | (size_t)p[1] << 8 | p[2];
}

int cs_x509_verify_tls_list(const cs_x509_trust *t, const uint8_t *msg, size_t len,
                            const cs_x509_verify_params *vp, cs_x509_result *res) {
    if (res == NULL)
        return COAPSEC_ERR_INVAL;
    memset(res, 0, sizeof(*res));
    res->depth = -1;
    if (msg == NULL || len < 3 || get24(msg) != len - 3)
        return fail(res, CS_X509_MALFORMED, -1, "bad certificate_list length");
    cs_der certs[CS_X509_MAX_CHAIN];
    size_t n = 0, off = 3;
    while (off < len) {
        if (len - off < 3)
            return fail(res, CS_X509_MALFORMED, (int)n, "truncated certificate length");
        size_t cl = get24(msg + off);
        off += 3;
        if (cl == 0 || cl > len - off)
            return fail(res, CS_X509_MALFORMED, (int)n, "bad certificate length");
        if (n == CS_X509_MAX_CHAIN)
            return fail(res, CS_X509_CHAIN_TOO_LONG, (int)n, NULL);
        certs[n].p = msg + off;
        certs[n].len = cl;
        n++;
        off += cl;
    }
    return cs_x509_verify_chain(t, certs, n, vp, res);
}

/* --- conversions ------------------------------------------------------------- */

int cs_x509_pem_to_tls_list(const char *pem, size_t pemlen, uint8_t *out, size_t cap,
                            size_t *outlen) {
    if (pem == NULL || pemlen == 0 || pemlen > INT32_MAX || out == NULL || outlen == NULL)
        return COAPSEC_ERR_INVAL;
    if (cap < 3)
        return COAPSEC_ERR_NOBUF;
    BIO *bio = BIO_new_mem_buf(pem, (int)pemlen);
    if (bio == NULL)
        return COAPSEC_ERR_CRYPTO;
    size_t off = 3;
    int n = 0, rc = 0;
    X509 *x;
    while (rc == 0 && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        int dl = i2d_X509(x, NULL);
        if (dl <= 0 || (size_t)dl > 0xFFFFFF) {
            rc = COAPSEC_ERR_FORMAT;
        } else if (cap - off < 3 + (size_t)dl) {
            rc = COAPSEC_ERR_NOBUF;
        } else {
            out[off] = (uint8_t)(dl >> 16);
            out[off + 1] = (uint8_t)(dl >> 8);
            out[off + 2] = (uint8_t)dl;
            unsigned char *p = out + off + 3;
            if (i2d_X509(x, &p) != dl)
                rc = COAPSEC_ERR_CRYPTO;
            off += 3 + (size_t)dl;
            n++;
        }
        X509_free(x);
    }
    BIO_free(bio);
    ERR_clear_error();
    if (rc == 0 && n == 0)
        rc = COAPSEC_ERR_FORMAT;
    if (rc == 0 && off - 3 > 0xFFFFFF)
        rc = COAPSEC_ERR_FORMAT;
    if (rc != 0)
        return rc;
    out[0] = (uint8_t)((off - 3) >> 16);
    out[1] = (uint8_t)((off - 3) >> 8);
    out[2] = (uint8_t)(off - 3);
    *outlen = off;
    return 0;
}

int cs_x509_pem_file_to_tls_list(const char *path, size_t maxlen, uint8_t *out, size_t cap,
                                 size_t *outlen) {
    if (path == NULL || maxlen == 0 || maxlen >= INT32_MAX || out == NULL || outlen == NULL)
        return COAPSEC_ERR_INVAL;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return COAPSEC_ERR_NOTFOUND;
    char *buf = OPENSSL_malloc(maxlen + 1); /* one byte more: a longer file is refused */
    if (buf == NULL) {
        fclose(f);
        return COAPSEC_ERR_CRYPTO;
    }
    size_t n = fread(buf, 1, maxlen + 1, f);
    int bad = ferror(f) || n == 0 || n > maxlen; /* unreadable (a directory), empty, too large */
    fclose(f);
    int rc = bad ? COAPSEC_ERR_FORMAT : cs_x509_pem_to_tls_list(buf, n, out, cap, outlen);
    OPENSSL_clear_free(buf, maxlen + 1); /* a -c file may hold the private key too */
    return rc;
}

int cs_x509_der_to_pem(const uint8_t *der, size_t len, char *pem, size_t cap, size_t *pemlen) {
    if (pem == NULL || cap == 0)
        return COAPSEC_ERR_INVAL;
    X509 *x = parse_der(der, len);
    if (x == NULL)
        return COAPSEC_ERR_FORMAT;
    BIO *bio = BIO_new(BIO_s_mem());
    int rc = 0;
    if (bio == NULL || PEM_write_bio_X509(bio, x) != 1) {
        rc = COAPSEC_ERR_CRYPTO;
    } else {
        char *data = NULL;
        long n = BIO_get_mem_data(bio, &data);
        if (n <= 0) {
            rc = COAPSEC_ERR_CRYPTO;
        } else if ((size_t)n >= cap) {
            rc = COAPSEC_ERR_NOBUF;
        } else {
            memcpy(pem, data, (size_t)n);
            pem[n] = '\0';
            if (pemlen != NULL)
                *pemlen = (size_t)n;
        }
    }
    BIO_free(bio);
    X509_free(x);
    ERR_clear_error();
    return rc;
}
