/*
 * tools/pki.c - the ECDSA options shared by `coapsec client` and `coapsec
 * server` (libcoap's -c -j -C -R -M -n; --rpk-trust, --no-clock, --mtu):
 * loads the key, certificate chain, trust anchors and the raw-public-key
 * trust list (PEM public keys and/or "sha256:<hex>" lines) into an
 * endpoint, and formats the validated identity of a peer for -v.
 */
#include "pki.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "coapsec/dtls.h"
#include "common/hex.h"
#include "explain.h"

void cs_pki_opts_init(cs_pki_opts *o) {
    memset(o, 0, sizeof *o);
}

int cs_pki_is_opt(int c) {
    return c == 'c' || c == 'j' || c == 'C' || c == 'R' || c == 'M' || c == 'n' ||
           c == CS_OPT_RPK_TRUST || c == CS_OPT_NO_CLOCK || c == CS_OPT_MTU;
}

int cs_pki_opt(cs_pki_opts *o, int c, const char *arg, const char *prog) {
    switch (c) {
    case 'c':
        o->cert = arg;
        break;
    case 'j':
        o->key = arg;
        break;
    case 'C':
        o->ca = arg;
        break;
    case 'R':
        o->roots = arg;
        break;
    case 'M':
        o->rpk = arg;
        break;
    case 'n':
        o->no_verify = 1;
        break;
    case CS_OPT_RPK_TRUST:
        o->rpk_trust = arg;
        break;
    case CS_OPT_NO_CLOCK:
        o->no_clock = 1;
        break;
    case CS_OPT_MTU:
        if (cs_cli_parse_ulong(arg, 256, COAPSEC_DTLS_DGRAM_MAX, &o->mtu) != 0) {
            fprintf(stderr, "%s: --mtu wants a datagram size of 256-%d bytes\n", prog,
                    COAPSEC_DTLS_DGRAM_MAX);
            return -1;
        }
        break;
    default:
        return -1;
    }
    return 0;
}

int cs_pki_has_identity(const cs_pki_opts *o) {
    return o->cert || o->key || o->rpk;
}

int cs_pki_active(const cs_pki_opts *o) {
    return cs_pki_has_identity(o) || o->ca || o->roots || o->rpk_trust || o->no_verify;
}

void cs_pki_apply(const cs_pki_opts *o, coapsec_endpoint_config *cfg) {
    if (o->mtu)
        cfg->dtls_mtu = (uint16_t)o->mtu;
}

static int read_text(const char *path, char **out, size_t *len, const char *prog) {
    uint8_t *d = NULL;
    size_t n = 0;
    if (cs_cli_read_file(path, &d, &n) != 0)
        return -1;
    char *t = realloc(d, n + 1);
    if (!t) {
        free(d);
        fprintf(stderr, "%s: out of memory\n", prog);
        return -1;
    }
    t[n] = 0;
    *out = t;
    *len = n;
    return 0;
}

/* --rpk-trust FILE: "sha256:<64 hex>" lines and/or PEM PUBLIC KEY blocks. */
static int load_rpk_trust(cs_pki_state *st, coapsec_endpoint *ep, const char *path,
                          const char *prog) {
    char *t;
    size_t n;
    if (read_text(path, &t, &n, prog) != 0)
        return -1;
    int rc = 0, lineno = 0;
    char *p = t;
    while (rc == 0 && *p) {
        char *eol = strchr(p, '\n');
        char *next = eol ? eol + 1 : p + strlen(p);
        lineno++;
        char *s = p;
        while (*s == ' ' || *s == '\t')
            s++;
        uint8_t fp[32];
        if (strncmp(s, "sha256:", 7) == 0) {
            s += 7;
            int i = 0;
            for (; i < 32; i++) {
                int hi = cs_hexval((unsigned char)s[2 * i]),
                    lo = hi < 0 ? -1 : cs_hexval((unsigned char)s[2 * i + 1]);
                if (hi < 0 || lo < 0)
                    break;
                fp[i] = (uint8_t)(hi << 4 | lo);
            }
            char after = i == 32 ? s[64] : 'x';
            if (i != 32 || !(after == 0 || after == '\n' || after == '\r' || after == ' ' ||
                             after == '\t' || after == '#')) {
                fprintf(stderr, "%s: %s:%d: expected sha256: and 64 hex digits\n", prog, path,
                        lineno);
                rc = -1;
                break;
            }
        } else if (strncmp(s, "-----BEGIN PUBLIC KEY-----", 26) == 0) {
            char *end = strstr(s, "-----END PUBLIC KEY-----");
            if (!end) {
                fprintf(stderr, "%s: %s:%d: PUBLIC KEY block without its END line\n", prog, path,
                        lineno);
                rc = -1;
                break;
            }
            end += 24;
            int e = coapsec_dtls_spki_fingerprint_any((const uint8_t *)s, (size_t)(end - s), fp);
            if (e != 0) {
                fprintf(stderr, "%s: %s:%d: not a P-256 public key: %s\n", prog, path, lineno,
                        coapsec_strerror(e));
                rc = -1;
                break;
            }
            for (char *q = s; q < end; q++) /* count the block's lines */
                if (*q == '\n')
                    lineno++;
            next = strchr(end, '\n') ? strchr(end, '\n') + 1 : end + strlen(end);
        } else {
            if (*s && *s != '#' && *s != '\n' && *s != '\r') {
                fprintf(stderr, "%s: %s:%d: expected \"sha256:<hex>\" or a PEM PUBLIC KEY block\n",
                        prog, path, lineno);
                rc = -1;
            }
            p = next;
            continue;
        }
        if (coapsec_endpoint_add_rpk_trust(ep, fp) != 0) {
            fprintf(stderr, "%s: %s: too many trusted keys (max %d)\n", prog, path,
                    COAPSEC_ENDPOINT_MAX_RPK_TRUST);
            rc = -1;
            break;
        }
        st->nrpk++;
        p = next;
    }
    free(t);
    if (rc == 0 && st->nrpk == 0) {
        fprintf(stderr, "%s: %s: no trusted keys in the file\n", prog, path);
        rc = -1;
    }
    return rc;
}

static int load_key(cs_pki_state *st, const char *path, const char *what, const char *prog) {
    int rc = coapsec_dtls_key_load_file(&st->key, path);
    if (rc == 0)
        return 0;
    char why[1200]; /* explain.c: missing, unreadable, a directory */
    if (cs_explain_file("key file", path, why, sizeof why)) {
        fprintf(stderr, "%s: %s: %s\n", prog, what, why);
        return -1;
    }
    fprintf(stderr, "%s: %s %s: %s\n", prog, what, path,
            rc == COAPSEC_ERR_NOTFOUND      ? strerror(ENOENT)
            : rc == COAPSEC_ERR_UNSUPPORTED ? "not a P-256 key (TS-0008 uses secp256r1)"
                                            : "no unencrypted EC private key (PEM) in it");
    return -1;
}

/* Keys and anchors must outlive the endpoint, which the subcommands free on
 * many paths just before they return: what was loaded is freed at exit. */
static cs_pki_state *loaded[4];

static void free_loaded(void) {
    for (size_t i = 0; i < sizeof loaded / sizeof loaded[0]; i++)
        if (loaded[i])
            cs_pki_release(loaded[i]);
}

int cs_pki_setup(cs_pki_state *st, const cs_pki_opts *o, coapsec_endpoint *ep, int server,
                 const char *prog) {
    memset(st, 0, sizeof *st);
    size_t slot = 0;
    while (slot < sizeof loaded / sizeof loaded[0] && loaded[slot] && loaded[slot] != st)
        slot++;
    if (slot == sizeof loaded / sizeof loaded[0])
        return -1;
    if (!loaded[0])
        atexit(free_loaded);
    loaded[slot] = st;
    if (o->rpk && (o->cert || o->key)) {
        fprintf(stderr, "%s: -M (raw public key) excludes -c/-j (certificate)\n", prog);
        return -1;
    }
    if (o->key && !o->cert) {
        fprintf(stderr, "%s: -j KEYFILE needs -c CERTFILE\n", prog);
        return -1;
    }
    if (o->no_verify)
        fprintf(stderr,
                "%s: WARNING: -n: peer certificates and raw public keys are NOT verified; anyone "
                "can impersonate the peer. For testing only.\n",
                prog);
    if (o->rpk) {
        if (load_key(st, o->rpk, "-M", prog) != 0)
            return -1;
        if (coapsec_endpoint_set_identity(ep, st->key, NULL, 0) != 0)
            return -1;
        if (!o->rpk_trust && !o->no_verify && !o->ca && !o->roots)
            fprintf(stderr,
                    "%s: note: no --rpk-trust FILE: raw public keys of peers are refused "
                    "(libcoap trusts any; give --rpk-trust, or -n for testing)\n",
                    prog);
    } else if (o->cert) {
        if (load_key(st, o->key ? o->key : o->cert, o->key ? "-j" : "-c (no -j)", prog) != 0)
            return -1;
        static uint8_t list[COAPSEC_ENDPOINT_CERT_LIST_MAX];
        size_t ll = 0;
        int rc = coapsec_dtls_cert_list_load_file(o->cert, list, sizeof list, &ll);
        if (rc != 0) {
            char why[1200]; /* explain.c: missing, unreadable, a directory */
            if (cs_explain_file("certificate file", o->cert, why, sizeof why))
                fprintf(stderr, "%s: -c: %s\n", prog, why);
            else if (rc == COAPSEC_ERR_NOBUF)
                fprintf(stderr, "%s: -c %s: chain too long (over %d bytes as a TLS list)\n", prog,
                        o->cert, COAPSEC_ENDPOINT_CERT_LIST_MAX);
            else
                fprintf(stderr, "%s: -c %s: no PEM certificate in it (or over %d KiB)\n", prog,
                        o->cert, COAPSEC_DTLS_CERT_FILE_MAX / 1024);
            return -1;
        }
        if ((rc = coapsec_endpoint_set_identity(ep, st->key, list, ll)) != 0) {
            fprintf(stderr, "%s: -c %s: %s\n", prog, o->cert, coapsec_strerror(rc));
            return -1;
        }
    }
    if (o->ca || o->roots) {
        if (coapsec_dtls_trust_new(&st->trust) != 0) {
            fprintf(stderr, "%s: out of memory\n", prog);
            return -1;
        }
        const char *files[2] = {o->ca, o->roots};
        for (int i = 0; i < 2; i++) {
            if (!files[i])
                continue;
            int rc = coapsec_dtls_trust_add_file(st->trust, files[i]);
            if (rc != 0) {
                fprintf(stderr, "%s: %s %s: no usable PEM certificate (%s)\n", prog,
                        i ? "-R" : "-C", files[i], coapsec_strerror(rc));
                return -1;
            }
        }
        coapsec_endpoint_set_trust(ep, st->trust);
    }
    if (o->rpk_trust && load_rpk_trust(st, ep, o->rpk_trust, prog) != 0)
        return -1;
    if (o->no_verify)
        coapsec_endpoint_set_insecure_no_verify(ep, 1);
    if (o->no_clock)
        coapsec_endpoint_set_no_clock(ep, 1);
    if (server) /* a client is asked for its key when we can check one (libcoap: -C) */
        coapsec_endpoint_set_require_client_auth(ep,
                                                 o->ca || o->roots || o->rpk_trust || o->no_verify);
    return 0;
}

void cs_pki_release(cs_pki_state *st) {
    coapsec_dtls_key_free(st->key);
    coapsec_dtls_trust_free(st->trust);
    memset(st, 0, sizeof *st);
}

void cs_pki_peer_text(coapsec_endpoint *ep, coapsec_peer_id peer, char *buf, size_t cap) {
    coapsec_peer_auth a;
    if (!ep || coapsec_endpoint_peer_auth(ep, peer, &a) != 0) {
        snprintf(buf, cap, "unknown");
        return;
    }
    char fp[8 + 64 + 1] = "";
    if (a.has_sha256) {
        memcpy(fp, " sha256:", 8);
        for (int i = 0; i < 32; i++)
            snprintf(fp + 8 + 2 * i, 3, "%02x", a.sha256[i]);
    }
    switch (a.kind) {
    case COAPSEC_DTLS_AUTH_PSK:
        snprintf(buf, cap, "PSK identity '%s'", a.name);
        break;
    case COAPSEC_DTLS_AUTH_RPK:
        snprintf(buf, cap, "raw public key%s", fp);
        break;
    case COAPSEC_DTLS_AUTH_X509:
        snprintf(buf, cap, "X.509 '%s'%s", a.name, fp);
        break;
    default:
        snprintf(buf, cap, "not authenticated (no client certificate)");
        break;
    }
}

void cs_pki_usage(FILE *f) {
    fputs("Certificates and raw public keys (TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8, P-256):\n"
          "  -c FILE     our certificate chain (PEM, leaf first); the key too unless -j\n"
          "  -j FILE     our private key (PEM, EC P-256)\n"
          "  -C FILE     CA certificate(s) (PEM) trusted to verify the peer's chain\n"
          "  -R FILE     root CA certificate(s) (PEM), trusted like -C\n"
          "  -M FILE     raw public key mode (RFC 7250): our EC PRIVATE KEY (PEM)\n"
          "  --rpk-trust FILE  raw public keys we accept: PEM PUBLIC KEY blocks and/or\n"
          "              \"sha256:<hex>\" lines (SHA-256 of the SubjectPublicKeyInfo, as\n"
          "              `coapsec keygen` prints); without it RPK peers are refused\n"
          "  -n          do not verify the peer's certificate or key (TESTING ONLY: warns)\n"
          "  --no-clock  this node has no wall clock: certificate dates are not checked\n"
          "  --mtu N     largest DTLS handshake datagram, 256-1500 bytes (default 1280)\n",
          f);
}
