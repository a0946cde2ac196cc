/*
 * fuzz_x509.c - libFuzzer harness for certificate and public-key parsing in
 * src/crypto (x509.c, eckey.c): TLS certificate_list parsing and chain
 * verification, single DER certificates (verification, name check, leaf
 * key, DER -> PEM -> certificate_list round trip), SubjectPublicKeyInfo
 * decoding (and the SPKI fingerprint of PEM or DER), and PEM input.
 *
 * The trust anchor is made at start-up with cs_cert_issue from a fixed
 * private scalar, so its key (and therefore every signature made under it,
 * including those in the committed seeds) is the same on every run.
 *
 * Input: byte 0 picks the parser (low 2 bits) and the verification flags
 * (bit 2: client purpose, bit 3: no clock, bit 4: check the authority);
 * the rest is the parser's input.
 * COAPSEC_FUZZ_MKSEED=DIR writes the seed corpus (fuzz/corpus/fuzz_x509/).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coapsec/common.h"
#include "coapsec/dtls.h"
#include "crypto/crypto.h"

#define FX_NOW       ((int64_t)1750000000) /* 2025-06-15 */
#define FX_DAY       ((int64_t)86400)
#define FX_AUTHORITY "node1.example"
#define FX_DER_MAX   2048

enum { FX_TLS_LIST = 0, FX_DER_CERT = 1, FX_SPKI = 2, FX_PEM = 3 };

static cs_x509_trust *trust;
static cs_p256_key *ca_key, *leaf_key;
static uint8_t ca_der[FX_DER_MAX];
static size_t ca_len;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fx_key(cs_p256_key **k, uint8_t first) {
    uint8_t priv[32];
    for (int i = 0; i < 32; i++)
        priv[i] = (uint8_t)(first + i);
    if (cs_p256_key_from_priv(k, priv) != 0)
        abort();
}

static cs_cert_spec fx_ca_spec(void) {
    cs_cert_spec s = {0};
    s.cn = "Fuzz Root CA";
    s.is_ca = 1;
    s.pathlen = -1;
    s.key_usage = CS_KU_KEY_CERT_SIGN | CS_KU_CRL_SIGN;
    s.not_before = FX_NOW - 365 * FX_DAY;
    s.not_after = FX_NOW + 3650 * FX_DAY;
    s.serial = 1;
    return s;
}

static cs_cert_spec fx_leaf_spec(void) {
    cs_cert_spec s = {0};
    s.cn = "node1";
    s.san = "DNS:" FX_AUTHORITY ",IP:127.0.0.1,URI:coaps://cse.example:5684/cse-1";
    s.pathlen = -1;
    s.key_usage = CS_KU_DIGITAL_SIGNATURE;
    s.ext_key_usage = CS_EKU_SERVER | CS_EKU_CLIENT;
    s.not_before = FX_NOW - FX_DAY;
    s.not_after = FX_NOW + 365 * FX_DAY;
    s.serial = 1000;
    return s;
}

/* --- seeds ------------------------------------------------------------------ */

static void write_seed(const char *dir, const char *name, uint8_t mode, const void *p, size_t n) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        abort();
    fwrite(&mode, 1, 1, f);
    fwrite(p, 1, n, f);
    fclose(f);
}

/* certificate_list of up to 3 DER certificates */
static size_t tls_list(uint8_t *out, const uint8_t *const *der, const size_t *len, int n) {
    size_t off = 3;
    for (int i = 0; i < n; i++) {
        out[off] = (uint8_t)(len[i] >> 16);
        out[off + 1] = (uint8_t)(len[i] >> 8);
        out[off + 2] = (uint8_t)len[i];
        memcpy(out + off + 3, der[i], len[i]);
        off += 3 + len[i];
    }
    out[0] = (uint8_t)((off - 3) >> 16);
    out[1] = (uint8_t)((off - 3) >> 8);
    out[2] = (uint8_t)(off - 3);
    return off;
}

static void make_seeds(const char *dir) {
    static uint8_t leaf[FX_DER_MAX], inter[FX_DER_MAX], ileaf[FX_DER_MAX], odd[FX_DER_MAX];
    static uint8_t list[4 * FX_DER_MAX];
    static char pem[4 * FX_DER_MAX];
    size_t leaf_len, inter_len, ileaf_len, odd_len, n, pemlen;
    cs_p256_key *inter_key;
    fx_key(&inter_key, 0x40);

    cs_cert_spec s = fx_leaf_spec();
    if (cs_cert_issue(&s, leaf_key, ca_der, ca_len, ca_key, leaf, sizeof leaf, &leaf_len) != 0)
        abort();
    s = fx_ca_spec();
    s.cn = "Fuzz Intermediate";
    s.pathlen = 0;
    s.serial = 2;
    if (cs_cert_issue(&s, inter_key, ca_der, ca_len, ca_key, inter, sizeof inter, &inter_len) != 0)
        abort();
    s = fx_leaf_spec();
    s.serial = 1001;
    if (cs_cert_issue(&s, leaf_key, inter, inter_len, inter_key, ileaf, sizeof ileaf, &ileaf_len) !=
        0)
        abort();
    /* a leaf with every defect the profile checks at once is less useful
     * than one per seed: expired, server-only purpose, no SAN */
    s = fx_leaf_spec();
    s.san = NULL;
    s.ext_key_usage = CS_EKU_SERVER;
    s.not_after = FX_NOW - FX_DAY;
    s.not_before = FX_NOW - 2 * FX_DAY;
    s.serial = 1002;
    if (cs_cert_issue(&s, leaf_key, ca_der, ca_len, ca_key, odd, sizeof odd, &odd_len) != 0)
        abort();

    const uint8_t *c1[] = {leaf};
    const size_t l1[] = {leaf_len};
    n = tls_list(list, c1, l1, 1);
    write_seed(dir, "list_leaf", FX_TLS_LIST | 0x10, list, n);
    const uint8_t *c2[] = {leaf, ca_der};
    const size_t l2[] = {leaf_len, ca_len};
    n = tls_list(list, c2, l2, 2);
    write_seed(dir, "list_leaf_root", FX_TLS_LIST, list, n);
    const uint8_t *c3[] = {ileaf, inter, ca_der};
    const size_t l3[] = {ileaf_len, inter_len, ca_len};
    n = tls_list(list, c3, l3, 3);
    write_seed(dir, "list_leaf_inter_root", FX_TLS_LIST | 0x14, list, n);
    const uint8_t *c4[] = {odd};
    const size_t l4[] = {odd_len};
    n = tls_list(list, c4, l4, 1);
    write_seed(dir, "list_expired_server_only", FX_TLS_LIST | 0x04, list, n);
    write_seed(dir, "der_leaf", FX_DER_CERT | 0x10, leaf, leaf_len);
    write_seed(dir, "der_root", FX_DER_CERT | 0x08, ca_der, ca_len);
    write_seed(dir, "der_inter", FX_DER_CERT, inter, inter_len);

    uint8_t pub[65], spki[91];
    if (cs_p256_key_public(leaf_key, pub) != 0 || cs_p256_spki_encode(pub, spki) != 0)
        abort();
    write_seed(dir, "spki_leaf", FX_SPKI, spki, sizeof spki);
    if (cs_x509_der_to_pem(leaf, leaf_len, pem, sizeof pem, &pemlen) != 0)
        abort();
    write_seed(dir, "pem_leaf", FX_PEM, pem, pemlen);
    size_t more;
    if (cs_x509_der_to_pem(ca_der, ca_len, pem + pemlen, sizeof pem - pemlen, &more) != 0)
        abort();
    write_seed(dir, "pem_leaf_root", FX_PEM, pem, pemlen + more);
    if (cs_p256_key_to_pem(leaf_key, pem, sizeof pem, &pemlen) != 0)
        abort();
    write_seed(dir, "pem_key", FX_PEM, pem, pemlen);
    cs_p256_key_free(inter_key);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fx_key(&ca_key, 0x01);
    fx_key(&leaf_key, 0x21);
    cs_cert_spec s = fx_ca_spec();
    if (cs_cert_issue(&s, ca_key, NULL, 0, ca_key, ca_der, sizeof ca_der, &ca_len) != 0 ||
        cs_x509_trust_new(&trust) != 0 || cs_x509_trust_add_der(trust, ca_der, ca_len) != 0)
        abort();
    const char *dir = getenv("COAPSEC_FUZZ_MKSEED");
    if (dir != NULL) {
        make_seeds(dir);
        exit(0);
    }
    return 0;
}

/* --- the parsers ------------------------------------------------------------- */

static void check_result(int rc, const cs_x509_result *res) {
    if (rc == 0 && res->reason != CS_X509_OK)
        abort();
    if (rc == COAPSEC_ERR_AUTH && res->reason == CS_X509_OK)
        abort();
    if (cs_x509_reason_str(res->reason) == NULL ||
        memchr(res->detail, 0, sizeof res->detail) == NULL)
        abort();
}

static void fuzz_der_cert(const uint8_t *d, size_t n, const cs_x509_verify_params *vp) {
    static char pem[4 * FX_DER_MAX + 8192];
    static uint8_t list[4 * FX_DER_MAX + 8192];
    cs_x509_result res;
    cs_der one = {d, n};
    check_result(cs_x509_verify_chain(trust, &one, 1, vp, &res), &res);
    (void)cs_x509_check_name(d, n, FX_AUTHORITY);
    (void)cs_x509_check_name(d, n, "127.0.0.1");
    uint8_t pub[65], pub2[65];
    int have_pub = cs_x509_leaf_public(d, n, pub) == 0;
    size_t pemlen = 0, listlen = 0;
    if (cs_x509_der_to_pem(d, n, pem, sizeof pem, &pemlen) != 0)
        return;
    /* a certificate that parses survives DER -> PEM -> certificate_list */
    if (cs_x509_pem_to_tls_list(pem, pemlen, list, sizeof list, &listlen) != 0 || listlen < 6)
        abort();
    size_t inner = (size_t)list[3] << 16 | (size_t)list[4] << 8 | list[5];
    if (listlen != 6 + inner)
        abort();
    if (have_pub && (cs_x509_leaf_public(list + 6, inner, pub2) != 0 || memcmp(pub, pub2, 65)))
        abort();
}

static void fuzz_spki(const uint8_t *d, size_t n) {
    uint8_t pub[65], spki[91], pub2[65], fp[32];
    (void)coapsec_dtls_spki_fingerprint_any(d, n, fp);
    if (cs_p256_spki_decode(d, n, pub) != 0)
        return;
    /* a decoded key re-encodes to the canonical 91 bytes and decodes back */
    if (pub[0] != 0x04 || cs_p256_spki_encode(pub, spki) != 0 ||
        cs_p256_spki_decode(spki, sizeof spki, pub2) != 0 || memcmp(pub, pub2, 65) != 0)
        abort();
}

static void fuzz_pem(const uint8_t *d, size_t n) {
    static uint8_t list[16384];
    static char text[16384];
    if (n == 0 || n >= sizeof text)
        return;
    memcpy(text, d, n);
    text[n] = '\0';
    size_t listlen = 0;
    if (cs_x509_pem_to_tls_list(text, n, list, sizeof list, &listlen) == 0) {
        cs_x509_verify_params vp = {CS_X509_PURPOSE_SERVER, -1, FX_NOW, 0, FX_AUTHORITY};
        cs_x509_result res;
        check_result(cs_x509_verify_tls_list(trust, list, listlen, &vp, &res), &res);
    }
    cs_p256_key *k = NULL;
    if (cs_p256_key_from_pem(&k, text, n) == 0) {
        uint8_t pub[65];
        if (cs_p256_key_public(k, pub) != 0)
            abort();
        cs_p256_key_free(k);
    }
    uint8_t fp[32];
    (void)coapsec_dtls_spki_fingerprint_any(d, n, fp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    uint8_t sel = data[0];
    data++;
    size--;
    cs_x509_verify_params vp;
    memset(&vp, 0, sizeof vp);
    vp.purpose = (sel & 0x04) ? CS_X509_PURPOSE_CLIENT : CS_X509_PURPOSE_SERVER;
    vp.max_depth = -1;
    vp.now = FX_NOW;
    vp.no_clock = (sel & 0x08) != 0;
    vp.authority = (sel & 0x10) ? FX_AUTHORITY : NULL;
    cs_x509_result res;
    switch (sel & 3) {
    case FX_TLS_LIST:
        check_result(cs_x509_verify_tls_list(trust, data, size, &vp, &res), &res);
        break;
    case FX_DER_CERT:
        fuzz_der_cert(data, size, &vp);
        break;
    case FX_SPKI:
        fuzz_spki(data, size);
        break;
    default:
        fuzz_pem(data, size);
        break;
    }
    return 0;
}
