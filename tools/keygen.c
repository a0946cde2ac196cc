/*
 * tools/keygen.c - `coapsec keygen`: P-256 key pairs (SEC 1 "EC PRIVATE
 * KEY" PEM, the form libcoap's -M takes, plus the PUBLIC KEY PEM), their
 * SPKI fingerprints ("sha256:<hex>", the lines --rpk-trust takes), a test
 * CA and certificates it signs for devices and servers (TS-0008 profile:
 * ecdsa-with-SHA256, keyUsage digitalSignature, serverAuth+clientAuth).
 * All through the crypto module (libcrypto), never by running openssl.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "crypto/crypto.h"
#include "pki.h"

#define KG "coapsec keygen"

void cs_keygen_usage(FILE *f) {
    fputs("usage: coapsec keygen key OUT.pem\n"
          "       coapsec keygen fingerprint FILE\n"
          "       coapsec keygen ca DIR [--cn NAME] [--days N]\n"
          "       coapsec keygen cert DIR NAME [--san LIST] [--days N] [--expired]\n"
          "  key          new P-256 key: OUT.pem (EC PRIVATE KEY, mode 0600, usable with\n"
          "               -M and -j) and OUT.pub.pem (PUBLIC KEY); prints sha256:<hex>,\n"
          "               the SHA-256 of the SubjectPublicKeyInfo (for --rpk-trust)\n"
          "  fingerprint  print sha256:<hex> of a private key, PUBLIC KEY or certificate\n"
          "               PEM file (e.g. to pin a peer's raw public key)\n"
          "  ca           new test CA: DIR/ca.key and DIR/ca.crt (self-signed, CN NAME,\n"
          "               default \"coapsec test CA\", valid N days, default 3650)\n"
          "  cert         new key and certificate signed by DIR's CA: DIR/NAME.key and\n"
          "               DIR/NAME.crt, CN NAME, subjectAltName LIST (default IP:NAME\n"
          "               for an IP address, else DNS:NAME; e.g.\n"
          "               \"DNS:node1.example,IP:127.0.0.1,URI:coaps://node1\"), valid N\n"
          "               days (default 825); --expired: validity ended yesterday (to\n"
          "               test refusals). Prints the key's sha256:<hex>.\n",
          f);
}

static void print_fp(const uint8_t *spki, size_t len) {
    uint8_t h[32];
    coapsec_dtls_spki_fingerprint(spki, len, h);
    printf("sha256:");
    for (int i = 0; i < 32; i++)
        printf("%02x", h[i]);
    printf("\n");
}

static int write_key(const cs_p256_key *k, const char *path, int with_pub) {
    char pem[1024];
    size_t n;
    int rc = cs_p256_key_to_sec1_pem(k, pem, sizeof pem, &n);
    if (rc == 0)
        rc = cs_write_file_mode(path, pem, n, 0600);
    cs_wipe(pem, sizeof pem);
    if (rc != 0) {
        fprintf(stderr, KG ": cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    uint8_t pub[CS_P256_PUB_LEN], spki[CS_P256_SPKI_LEN];
    if (cs_p256_key_public(k, pub) != 0 || cs_p256_spki_encode(pub, spki) != 0)
        return -1;
    if (with_pub) {
        char pp[512], pubpath[4096];
        size_t pl = strlen(path);
        if (pl > 4 && strcmp(path + pl - 4, ".pem") == 0)
            snprintf(pubpath, sizeof pubpath, "%.*s.pub.pem", (int)(pl - 4), path);
        else
            snprintf(pubpath, sizeof pubpath, "%s.pub.pem", path);
        if (cs_spki_to_pem(spki, sizeof spki, pp, sizeof pp, &n) != 0 ||
            cs_write_file_mode(pubpath, pp, n, 0644) != 0) {
            fprintf(stderr, KG ": cannot write %s: %s\n", pubpath, strerror(errno));
            return -1;
        }
    }
    print_fp(spki, sizeof spki);
    return 0;
}

static int cmd_key(int argc, char **argv) {
    if (argc != 3) {
        cs_keygen_usage(stderr);
        return CS_EXIT_USAGE;
    }
    cs_p256_key *k = NULL;
    if (cs_p256_key_generate(&k) != 0) {
        fprintf(stderr, KG ": key generation failed\n");
        return CS_EXIT_FAIL;
    }
    int rc = write_key(k, argv[2], 1);
    cs_p256_key_free(k);
    return rc == 0 ? CS_EXIT_OK : CS_EXIT_FAIL;
}

static int read_all(const char *path, char **out, size_t *len) {
    uint8_t *d;
    size_t n;
    if (cs_cli_read_file(path, &d, &n) != 0)
        return -1;
    char *t = realloc(d, n + 1);
    if (!t) {
        free(d);
        return -1;
    }
    t[n] = 0;
    *out = t;
    *len = n;
    return 0;
}

static int cmd_fingerprint(int argc, char **argv) {
    if (argc != 3) {
        cs_keygen_usage(stderr);
        return CS_EXIT_USAGE;
    }
    char *t;
    size_t n;
    if (read_all(argv[2], &t, &n) != 0)
        return CS_EXIT_FAIL;
    uint8_t spki[512], pub[CS_P256_PUB_LEN];
    size_t sl = 0;
    int ok = 0;
    cs_p256_key *k = NULL;
    if (strstr(t, "PRIVATE KEY-----") && cs_p256_key_from_pem(&k, t, n) == 0) {
        ok = cs_p256_key_public(k, pub) == 0 && cs_p256_spki_encode(pub, spki) == 0;
        sl = CS_P256_SPKI_LEN;
        cs_p256_key_free(k);
    } else if (strstr(t, "-----BEGIN PUBLIC KEY-----")) {
        ok = cs_spki_from_pem(t, n, spki, sizeof spki, &sl) == 0 &&
             cs_p256_spki_decode(spki, sl, pub) == 0;
    } else if (strstr(t, "-----BEGIN CERTIFICATE-----")) {
        static uint8_t list[8192];
        size_t ll;
        ok = cs_x509_pem_to_tls_list(t, n, list, sizeof list, &ll) == 0 && ll > 6 &&
             cs_x509_leaf_public(list + 6, (size_t)list[3] << 16 | (size_t)list[4] << 8 | list[5],
                                 pub) == 0 &&
             cs_p256_spki_encode(pub, spki) == 0;
        sl = CS_P256_SPKI_LEN;
    }
    cs_wipe(t, n);
    free(t);
    if (!ok) {
        fprintf(stderr, KG ": %s: no P-256 private key, PUBLIC KEY or certificate (PEM)\n",
                argv[2]);
        return CS_EXIT_FAIL;
    }
    print_fp(spki, sl);
    return CS_EXIT_OK;
}

/* Options after the positional arguments of ca / cert. */
typedef struct kg_opts {
    const char *cn, *san;
    unsigned long days;
    int expired;
} kg_opts;

static int parse_opts(int argc, char **argv, int first, kg_opts *o) {
    for (int i = first; i < argc; i++) {
        if (strcmp(argv[i], "--expired") == 0) {
            o->expired = 1;
        } else if (i + 1 < argc && strcmp(argv[i], "--san") == 0) {
            o->san = argv[++i];
        } else if (i + 1 < argc && strcmp(argv[i], "--cn") == 0) {
            o->cn = argv[++i];
        } else if (i + 1 < argc && strcmp(argv[i], "--days") == 0) {
            if (cs_cli_parse_ulong(argv[++i], 1, 36500, &o->days) != 0) {
                fprintf(stderr, KG ": --days wants 1-36500\n");
                return -1;
            }
        } else {
            fprintf(stderr, KG ": unexpected argument '%s'\n", argv[i]);
            cs_keygen_usage(stderr);
            return -1;
        }
    }
    return 0;
}

static int write_cert(const uint8_t *der, size_t len, const char *path) {
    char pem[4096];
    size_t n;
    if (cs_x509_der_to_pem(der, len, pem, sizeof pem, &n) != 0 ||
        cs_write_file_mode(path, pem, n, 0644) != 0) {
        fprintf(stderr, KG ": cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

static uint64_t serial(void) {
    uint64_t s = 0;
    if (cs_random(&s, sizeof s) != 0)
        s = (uint64_t)time(NULL);
    s &= 0x7FFFFFFFFFFFFFFFull; /* positive INTEGER */
    return s ? s : 1;
}

static int cmd_ca(int argc, char **argv) {
    if (argc < 3) {
        cs_keygen_usage(stderr);
        return CS_EXIT_USAGE;
    }
    kg_opts o = {"coapsec test CA", NULL, 3650, 0};
    if (parse_opts(argc, argv, 3, &o) != 0)
        return CS_EXIT_USAGE;
    const char *dir = argv[2];
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, KG ": cannot create %s: %s\n", dir, strerror(errno));
        return CS_EXIT_FAIL;
    }
    char kp[4096], cp[4096];
    snprintf(kp, sizeof kp, "%s/ca.key", dir);
    snprintf(cp, sizeof cp, "%s/ca.crt", dir);
    int64_t now = (int64_t)time(NULL);
    cs_cert_spec s;
    memset(&s, 0, sizeof s);
    s.cn = o.cn;
    s.is_ca = 1;
    s.pathlen = 1;
    s.key_usage = CS_KU_KEY_CERT_SIGN | CS_KU_CRL_SIGN;
    s.not_before = now - 3600;
    s.not_after = now + (int64_t)o.days * 86400;
    s.serial = serial();
    cs_p256_key *k = NULL;
    uint8_t der[2048];
    size_t dl;
    int rc = CS_EXIT_FAIL;
    if (cs_p256_key_generate(&k) != 0 ||
        cs_cert_issue(&s, k, NULL, 0, k, der, sizeof der, &dl) != 0) {
        fprintf(stderr, KG ": cannot make the CA certificate\n");
    } else if (write_key(k, kp, 0) == 0 && write_cert(der, dl, cp) == 0) {
        rc = CS_EXIT_OK;
    }
    cs_p256_key_free(k);
    return rc;
}

static int is_ip(const char *s) {
    if (strchr(s, ':'))
        return 1; /* IPv6 */
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || *s == '.'))
            return 0;
    return 1;
}

static int cmd_cert(int argc, char **argv) {
    if (argc < 4) {
        cs_keygen_usage(stderr);
        return CS_EXIT_USAGE;
    }
    kg_opts o = {NULL, NULL, 825, 0};
    if (parse_opts(argc, argv, 4, &o) != 0)
        return CS_EXIT_USAGE;
    const char *dir = argv[2], *name = argv[3];
    if (!name[0] || strchr(name, '/')) {
        fprintf(stderr, KG ": NAME must be a plain file name\n");
        return CS_EXIT_USAGE;
    }
    char san[1024], kp[4096], cp[4096], cakp[4096], cacp[4096];
    if (o.san)
        snprintf(san, sizeof san, "%s", o.san);
    else
        snprintf(san, sizeof san, "%s:%s", is_ip(name) ? "IP" : "DNS", name);
    snprintf(kp, sizeof kp, "%s/%s.key", dir, name);
    snprintf(cp, sizeof cp, "%s/%s.crt", dir, name);
    snprintf(cakp, sizeof cakp, "%s/ca.key", dir);
    snprintf(cacp, sizeof cacp, "%s/ca.crt", dir);
    cs_p256_key *cak = NULL, *k = NULL;
    int rc = cs_p256_key_load_file(&cak, cakp);
    if (rc != 0) {
        fprintf(stderr, KG ": %s: no CA key (run `coapsec keygen ca %s` first)\n", cakp, dir);
        return CS_EXIT_FAIL;
    }
    char *capem = NULL;
    size_t capl = 0;
    static uint8_t calist[8192];
    size_t cal = 0;
    if (read_all(cacp, &capem, &capl) != 0 ||
        cs_x509_pem_to_tls_list(capem, capl, calist, sizeof calist, &cal) != 0 || cal <= 6) {
        fprintf(stderr, KG ": %s: no CA certificate\n", cacp);
        free(capem);
        cs_p256_key_free(cak);
        return CS_EXIT_FAIL;
    }
    free(capem);
    int64_t now = (int64_t)time(NULL);
    cs_cert_spec s;
    memset(&s, 0, sizeof s);
    s.cn = name;
    s.san = san;
    s.pathlen = -1;
    s.key_usage = CS_KU_DIGITAL_SIGNATURE;
    s.ext_key_usage = CS_EKU_SERVER | CS_EKU_CLIENT;
    s.not_before = o.expired ? now - 30 * 86400 : now - 3600;
    s.not_after = o.expired ? now - 86400 : now + (int64_t)o.days * 86400;
    s.serial = serial();
    uint8_t der[2048];
    size_t dl;
    size_t cadl = (size_t)calist[3] << 16 | (size_t)calist[4] << 8 | calist[5];
    int exit_code = CS_EXIT_FAIL;
    if (cs_p256_key_generate(&k) != 0) {
        fprintf(stderr, KG ": key generation failed\n");
    } else if ((rc = cs_cert_issue(&s, k, calist + 6, cadl, cak, der, sizeof der, &dl)) != 0) {
        fprintf(stderr, KG ": cannot issue the certificate%s\n",
                rc == COAPSEC_ERR_INVAL ? ": bad --san (e.g. DNS:a.example,IP:127.0.0.1)" : "");
    } else if (write_key(k, kp, 0) == 0 && write_cert(der, dl, cp) == 0) {
        exit_code = CS_EXIT_OK;
    }
    cs_p256_key_free(k);
    cs_p256_key_free(cak);
    return exit_code;
}

int cs_keygen_main(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        cs_keygen_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CS_EXIT_USAGE : CS_EXIT_OK;
    }
    if (strcmp(argv[1], "key") == 0)
        return cmd_key(argc, argv);
    if (strcmp(argv[1], "fingerprint") == 0 || strcmp(argv[1], "fp") == 0)
        return cmd_fingerprint(argc, argv);
    if (strcmp(argv[1], "ca") == 0)
        return cmd_ca(argc, argv);
    if (strcmp(argv[1], "cert") == 0)
        return cmd_cert(argc, argv);
    fprintf(stderr, KG ": unknown command '%s'\n", argv[1]);
    cs_keygen_usage(stderr);
    return CS_EXIT_USAGE;
}
