/*
 * mbedtls_peer.c - a DTLS 1.2 test peer built on Mbed TLS 2.28 (Debian 12's
 * libmbedtls-dev, the DTLS stack most constrained devices run). coapsec's
 * interop tests use it as a third-party client or server. It is a test
 * program, not part of the library: it owns its sockets and reads the clock.
 *
 * Usage:
 *   mbedtls_peer client|server --port N [--host 127.0.0.1]
 *                (--psk-id ID --psk-hex HEX | --cert F --key F --ca F)
 *                [--mtu N] [--count N] [--timeout S] [--name NAME] [--debug L]
 *
 * What it negotiates (nothing else is ever offered or accepted):
 *   - DTLS 1.2 only (minor version 3, datagram transport);
 *   - PSK mode:  TLS_PSK_WITH_AES_128_CCM_8 (0xc0a8), RFC 6655;
 *   - cert mode: TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 (0xc0ae), RFC 7251, ECDHE
 *     and certificates on secp256r1 only, SHA-256 signatures only (both the
 *     signature_algorithms offered and the X.509 verification profile), and
 *     mutual authentication (MBEDTLS_SSL_VERIFY_REQUIRED on both sides).
 *     --cert may hold a chain (leaf first); the peer presents whatever it is
 *     given, so negative fixtures can be served. --ca is the trust anchor.
 *     --name NAME (client) sends NAME as SNI and checks it against the server
 *     certificate's SAN/CN; without it only the chain is checked.
 *
 * Server: binds --host:--port (UDP), answers every new client with a
 * HelloVerifyRequest (mbedtls_ssl_cookie, RFC 6347 4.2.1), then handshakes
 * and echoes every application-data record back unchanged. Clients are
 * served one after another; the context is reset between sessions. A
 * session ends on close_notify, on a fatal error, on a client reconnecting
 * from the same port, or after --timeout seconds without a record. The
 * server exits after --count sessions (default: 0 = run until killed).
 * Every client that got past the cookie exchange counts as a session.
 *
 * Client: connects, handshakes, then sends each stdin line (without its
 * newline; a last unterminated line is sent too) as one record and prints
 * each record received as one line on stdout. It exits, after a
 * close_notify, once stdin is at EOF and it has received at least as many
 * records as it sent, or fails when --timeout seconds pass without any
 * record while replies are still missing. It does not need an echo server:
 * any record from the peer counts as a reply.
 *
 * stderr contract (stable, tests grep it):
 *   listening <host> <port>            server, once bound
 *   suite <mbedtls-name> 0x<hex4>      after each completed handshake, e.g.
 *                                      "suite TLS-PSK-WITH-AES-128-CCM-8 0xc0a8"
 *   peer-cert <subject>                cert mode, the verified peer certificate
 *   error: <what>: -0x<hex> <text>     on failure (mbedtls_strerror text)
 *   verify: <reason>                   why a peer certificate was rejected
 * Exit status: 0 success, 1 failure (handshake, I/O, timeout, any failed
 * server session), 2 usage error.
 *
 * Quirks of Mbed TLS 2.28 worth knowing: it neither sends nor reports a PSK
 * identity hint (it tolerates one from the server); it has no DTLS
 * Connection ID in Debian's build; --mtu is the UDP payload limit and a
 * record that does not fit is an error (it never splits application data);
 * a server refuses to use a certificate without digitalSignature key usage.
 * Timers: mbedtls_timing_set_delay/get_delay; --timeout also bounds each
 * handshake (retransmission starts at 1 s and doubles).
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/debug.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_cookie.h>
#include <mbedtls/timing.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>

#if MBEDTLS_VERSION_MAJOR != 2
#error "mbedtls_peer is written for the Mbed TLS 2.x API (Debian 12 libmbedtls-dev 2.28)"
#endif

#define PEER_REC_MAX  16384 /* largest DTLS plaintext record (RFC 6347 4.1) */
#define PEER_LINE_MAX (PEER_REC_MAX + 1)

enum peer_mode { MODE_CLIENT, MODE_SERVER };

struct peer_opts {
    enum peer_mode mode;
    const char *host;
    const char *port;
    const char *psk_id;
    unsigned char psk[MBEDTLS_PSK_MAX_LEN];
    size_t psk_len;
    const char *cert, *key, *ca;
    const char *name;
    unsigned mtu;
    unsigned long count;
    unsigned timeout_s;
    int debug;
};

struct peer {
    struct peer_opts o;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_ssl_config conf;
    mbedtls_ssl_context ssl;
    mbedtls_ssl_cookie_ctx cookie;
    mbedtls_timing_delay_context timer;
    mbedtls_x509_crt own_cert, ca;
    mbedtls_pk_context own_key;
    mbedtls_net_context listen_fd, fd;
};

static const int suites_psk[] = {MBEDTLS_TLS_PSK_WITH_AES_128_CCM_8, 0};
static const int suites_cert[] = {MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8, 0};
static const mbedtls_ecp_group_id curves[] = {MBEDTLS_ECP_DP_SECP256R1, MBEDTLS_ECP_DP_NONE};
static const int sig_hashes[] = {MBEDTLS_MD_SHA256, MBEDTLS_MD_NONE};

/* Peer certificate chains: ECDSA/EC keys on P-256, SHA-256 signatures. */
static const mbedtls_x509_crt_profile profile_p256 = {
    MBEDTLS_X509_ID_FLAG(MBEDTLS_MD_SHA256),
    MBEDTLS_X509_ID_FLAG(MBEDTLS_PK_ECKEY) | MBEDTLS_X509_ID_FLAG(MBEDTLS_PK_ECDSA),
    MBEDTLS_X509_ID_FLAG(MBEDTLS_ECP_DP_SECP256R1), 0xFFFFFFFu, /* no RSA key is acceptable */
};

static void usage(void) {
    fputs("usage: mbedtls_peer client|server --port N [--host 127.0.0.1]\n"
          "         (--psk-id ID --psk-hex HEX | --cert F --key F --ca F)\n"
          "         [--mtu N] [--count N] [--timeout S] [--name NAME] [--debug 0-4]\n",
          stderr);
}

static void err_mbed(const char *what, int ret) {
    char buf[160];
    mbedtls_strerror(ret, buf, sizeof(buf));
    fprintf(stderr, "error: %s: -0x%04x %s\n", what, (unsigned)-ret, buf);
}

static void err_msg(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int hexval(int c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int parse_hex(const char *s, unsigned char *out, size_t cap, size_t *len) {
    size_t n = strlen(s);
    if (n == 0 || n % 2 != 0 || n / 2 > cap)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hexval((unsigned char)s[2 * i]), lo = hexval((unsigned char)s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    *len = n / 2;
    return 0;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out) {
    char *end;
    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_args(int argc, char **argv, struct peer_opts *o) {
    unsigned long v;
    memset(o, 0, sizeof(*o));
    o->host = "127.0.0.1";
    o->timeout_s = 10;
    if (argc < 2)
        return -1;
    if (strcmp(argv[1], "client") == 0)
        o->mode = MODE_CLIENT;
    else if (strcmp(argv[1], "server") == 0)
        o->mode = MODE_SERVER;
    else
        return -1;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (val == NULL) {
            err_msg("option %s needs a value", a);
            return -1;
        }
        i++;
        if (strcmp(a, "--port") == 0) {
            if (parse_uint(val, 65535, &v) != 0 || v == 0) {
                err_msg("bad --port %s", val);
                return -1;
            }
            o->port = val;
        } else if (strcmp(a, "--host") == 0) {
            o->host = val;
        } else if (strcmp(a, "--psk-id") == 0) {
            o->psk_id = val;
        } else if (strcmp(a, "--psk-hex") == 0) {
            if (parse_hex(val, o->psk, sizeof(o->psk), &o->psk_len) != 0) {
                err_msg("bad --psk-hex (even number of hex digits, at most %d bytes)",
                        MBEDTLS_PSK_MAX_LEN);
                return -1;
            }
        } else if (strcmp(a, "--cert") == 0) {
            o->cert = val;
        } else if (strcmp(a, "--key") == 0) {
            o->key = val;
        } else if (strcmp(a, "--ca") == 0) {
            o->ca = val;
        } else if (strcmp(a, "--name") == 0) {
            o->name = val;
        } else if (strcmp(a, "--mtu") == 0) {
            /* mbedtls needs room for a record header, CCM_8 overhead and a
             * handshake fragment header; below ~100 bytes nothing fits. */
            if (parse_uint(val, 16384, &v) != 0 || v < 128) {
                err_msg("bad --mtu %s (128..16384)", val);
                return -1;
            }
            o->mtu = (unsigned)v;
        } else if (strcmp(a, "--count") == 0) {
            if (parse_uint(val, 1000000, &v) != 0) {
                err_msg("bad --count %s", val);
                return -1;
            }
            o->count = v;
        } else if (strcmp(a, "--timeout") == 0) {
            if (parse_uint(val, 3600, &v) != 0 || v == 0) {
                err_msg("bad --timeout %s (1..3600 seconds)", val);
                return -1;
            }
            o->timeout_s = (unsigned)v;
        } else if (strcmp(a, "--debug") == 0) {
            if (parse_uint(val, 4, &v) != 0) {
                err_msg("bad --debug %s (0..4)", val);
                return -1;
            }
            o->debug = (int)v;
        } else if (strcmp(a, "--hint") == 0) {
            err_msg("--hint: Mbed TLS 2.28 neither sends nor reports a PSK identity hint; "
                    "use openssl s_server -psk_hint to test hints");
            return -1;
        } else {
            err_msg("unknown option %s", a);
            return -1;
        }
    }
    if (o->port == NULL) {
        err_msg("--port is required");
        return -1;
    }
    int psk = o->psk_id != NULL || o->psk_len != 0;
    int cert = o->cert != NULL || o->key != NULL || o->ca != NULL;
    if (psk == cert) {
        err_msg("give either --psk-id and --psk-hex, or --cert, --key and --ca");
        return -1;
    }
    if (psk && (o->psk_id == NULL || o->psk_len == 0 || strlen(o->psk_id) == 0)) {
        err_msg("PSK mode needs both --psk-id and --psk-hex");
        return -1;
    }
    if (cert && (o->cert == NULL || o->key == NULL || o->ca == NULL)) {
        err_msg("certificate mode needs --cert, --key and --ca");
        return -1;
    }
    if (o->name != NULL && o->mode != MODE_CLIENT) {
        err_msg("--name is a client option");
        return -1;
    }
    return 0;
}

static void debug_cb(void *ctx, int level, const char *file, int line, const char *msg) {
    fprintf((FILE *)ctx, "debug %d %s:%d: %s", level, file, line, msg);
    fflush((FILE *)ctx);
}

/* Server side PSK lookup: exactly one identity is known. */
static int psk_cb(void *arg, mbedtls_ssl_context *ssl, const unsigned char *id, size_t id_len) {
    const struct peer_opts *o = arg;
    if (id_len != strlen(o->psk_id) || memcmp(id, o->psk_id, id_len) != 0) {
        fputs("error: unknown PSK identity \"", stderr);
        for (size_t i = 0; i < id_len && i < 128; i++)
            fputc(id[i] >= 0x20 && id[i] < 0x7f ? id[i] : '?', stderr);
        fputs("\"\n", stderr);
        return -1;
    }
    return mbedtls_ssl_set_hs_psk(ssl, o->psk, o->psk_len);
}

static int load_credentials(struct peer *p) {
    int ret;
    if (p->o.cert == NULL) {
        if (p->o.mode == MODE_SERVER) {
            mbedtls_ssl_conf_psk_cb(&p->conf, psk_cb, &p->o);
            return 0;
        }
        ret = mbedtls_ssl_conf_psk(&p->conf, p->o.psk, p->o.psk_len,
                                   (const unsigned char *)p->o.psk_id, strlen(p->o.psk_id));
        if (ret != 0)
            err_mbed("mbedtls_ssl_conf_psk", ret);
        return ret;
    }
    if ((ret = mbedtls_x509_crt_parse_file(&p->own_cert, p->o.cert)) != 0) {
        err_mbed(p->o.cert, ret);
        return ret;
    }
    if ((ret = mbedtls_pk_parse_keyfile(&p->own_key, p->o.key, NULL)) != 0) {
        err_mbed(p->o.key, ret);
        return ret;
    }
    if ((ret = mbedtls_x509_crt_parse_file(&p->ca, p->o.ca)) != 0) {
        err_mbed(p->o.ca, ret);
        return ret;
    }
    if ((ret = mbedtls_ssl_conf_own_cert(&p->conf, &p->own_cert, &p->own_key)) != 0) {
        err_mbed("mbedtls_ssl_conf_own_cert", ret);
        return ret;
    }
    mbedtls_ssl_conf_ca_chain(&p->conf, &p->ca, NULL);
    mbedtls_ssl_conf_cert_profile(&p->conf, &profile_p256);
    return 0;
}

static int setup(struct peer *p) {
    int ret;
    int endpoint = p->o.mode == MODE_SERVER ? MBEDTLS_SSL_IS_SERVER : MBEDTLS_SSL_IS_CLIENT;
    static const char pers[] = "coapsec mbedtls_peer";

    ret = mbedtls_ctr_drbg_seed(&p->drbg, mbedtls_entropy_func, &p->entropy,
                                (const unsigned char *)pers, sizeof(pers) - 1);
    if (ret != 0) {
        err_mbed("mbedtls_ctr_drbg_seed", ret);
        return ret;
    }
    ret = mbedtls_ssl_config_defaults(&p->conf, endpoint, MBEDTLS_SSL_TRANSPORT_DATAGRAM,
                                      MBEDTLS_SSL_PRESET_DEFAULT);
    if (ret != 0) {
        err_mbed("mbedtls_ssl_config_defaults", ret);
        return ret;
    }
    mbedtls_ssl_conf_rng(&p->conf, mbedtls_ctr_drbg_random, &p->drbg);
    mbedtls_ssl_conf_min_version(&p->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
                                 MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_max_version(&p->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
                                 MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_ciphersuites(&p->conf, p->o.cert != NULL ? suites_cert : suites_psk);
    mbedtls_ssl_conf_curves(&p->conf, curves);
    mbedtls_ssl_conf_sig_hashes(&p->conf, sig_hashes);
    mbedtls_ssl_conf_authmode(&p->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_conf_handshake_timeout(&p->conf, 1000, 60000);
    if (p->o.debug > 0) {
        mbedtls_debug_set_threshold(p->o.debug);
        mbedtls_ssl_conf_dbg(&p->conf, debug_cb, stderr);
    }
    if ((ret = load_credentials(p)) != 0)
        return ret;
    if (p->o.mode == MODE_SERVER) {
        ret = mbedtls_ssl_cookie_setup(&p->cookie, mbedtls_ctr_drbg_random, &p->drbg);
        if (ret != 0) {
            err_mbed("mbedtls_ssl_cookie_setup", ret);
            return ret;
        }
        mbedtls_ssl_conf_dtls_cookies(&p->conf, mbedtls_ssl_cookie_write, mbedtls_ssl_cookie_check,
                                      &p->cookie);
        /* The echo loop waits for records with this timeout. */
        mbedtls_ssl_conf_read_timeout(&p->conf, p->o.timeout_s * 1000u);
    }
    if ((ret = mbedtls_ssl_setup(&p->ssl, &p->conf)) != 0) {
        err_mbed("mbedtls_ssl_setup", ret);
        return ret;
    }
    mbedtls_ssl_set_timer_cb(&p->ssl, &p->timer, mbedtls_timing_set_delay,
                             mbedtls_timing_get_delay);
    if (p->o.name != NULL && (ret = mbedtls_ssl_set_hostname(&p->ssl, p->o.name)) != 0) {
        err_mbed("mbedtls_ssl_set_hostname", ret);
        return ret;
    }
    return 0;
}

static void report_verify(const struct peer *p) {
    uint32_t flags = mbedtls_ssl_get_verify_result(&p->ssl);
    if (flags == 0 || flags == (uint32_t)-1)
        return;
    char buf[512];
    if (mbedtls_x509_crt_verify_info(buf, sizeof(buf), "verify: ", flags) > 0)
        fputs(buf, stderr);
}

static void report_session(const struct peer *p) {
    const char *name = mbedtls_ssl_get_ciphersuite(&p->ssl);
    int id = name != NULL ? mbedtls_ssl_get_ciphersuite_id(name) : 0;
    fprintf(stderr, "suite %s 0x%04x\n", name != NULL ? name : "none", (unsigned)id);
    const mbedtls_x509_crt *peer = mbedtls_ssl_get_peer_cert(&p->ssl);
    if (peer != NULL) {
        char subj[256];
        if (mbedtls_x509_dn_gets(subj, sizeof(subj), &peer->subject) > 0)
            fprintf(stderr, "peer-cert %s\n", subj);
    }
    fflush(stderr);
}

/* Runs the handshake to completion or until the --timeout deadline. */
static int handshake(struct peer *p) {
    long long deadline = now_ms() + (long long)p->o.timeout_s * 1000;
    int ret;
    while ((ret = mbedtls_ssl_handshake(&p->ssl)) != 0) {
        if (ret != MBEDTLS_ERR_SSL_WANT_READ && ret != MBEDTLS_ERR_SSL_WANT_WRITE)
            return ret;
        if (now_ms() >= deadline)
            return MBEDTLS_ERR_SSL_TIMEOUT;
    }
    return 0;
}

static void close_notify(struct peer *p) {
    int ret;
    int tries = 0;
    do {
        ret = mbedtls_ssl_close_notify(&p->ssl);
    } while (ret == MBEDTLS_ERR_SSL_WANT_WRITE && ++tries < 100);
}

/* --- server -------------------------------------------------------------- */

enum sess_result { SESS_OK, SESS_FAILED, SESS_RECONNECT };

/* Echoes records until the session ends. */
static enum sess_result echo_loop(struct peer *p) {
    static unsigned char buf[PEER_REC_MAX];
    for (;;) {
        int ret = mbedtls_ssl_read(&p->ssl, buf, sizeof(buf));
        if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE)
            continue;
        if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
            close_notify(p);
            return SESS_OK;
        }
        if (ret == MBEDTLS_ERR_SSL_TIMEOUT) {
            fprintf(stderr, "note: no record for %u s, session ended\n", p->o.timeout_s);
            return SESS_OK;
        }
        if (ret == MBEDTLS_ERR_SSL_CLIENT_RECONNECT) {
            fputs("note: client reconnected from the same port\n", stderr);
            return SESS_RECONNECT;
        }
        if (ret == 0) /* transport EOF; not expected on UDP */
            return SESS_OK;
        if (ret < 0) {
            err_mbed("mbedtls_ssl_read", ret);
            return SESS_FAILED;
        }
        int len = ret, off = 0;
        while (off < len) {
            ret = mbedtls_ssl_write(&p->ssl, buf + off, (size_t)(len - off));
            if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE)
                continue;
            if (ret < 0) {
                err_mbed("mbedtls_ssl_write", ret);
                return SESS_FAILED;
            }
            off += ret;
        }
    }
}

static int run_server(struct peer *p) {
    unsigned char cli_ip[16];
    size_t cli_ip_len;
    unsigned long done = 0, failed = 0;
    int ret, reconnect = 0;

    ret = mbedtls_net_bind(&p->listen_fd, p->o.host, p->o.port, MBEDTLS_NET_PROTO_UDP);
    if (ret != 0) {
        err_mbed("bind", ret);
        return 1;
    }
    fprintf(stderr, "listening %s %s\n", p->o.host, p->o.port);
    fflush(stderr);

    while (p->o.count == 0 || done < p->o.count) {
        if (!reconnect) {
            mbedtls_net_free(&p->fd);
            mbedtls_ssl_session_reset(&p->ssl);
            ret = mbedtls_net_accept(&p->listen_fd, &p->fd, cli_ip, sizeof(cli_ip), &cli_ip_len);
            if (ret != 0) {
                err_mbed("accept", ret);
                return 1;
            }
            ret = mbedtls_ssl_set_client_transport_id(&p->ssl, cli_ip, cli_ip_len);
            if (ret != 0) {
                err_mbed("mbedtls_ssl_set_client_transport_id", ret);
                return 1;
            }
            mbedtls_ssl_set_bio(&p->ssl, &p->fd, mbedtls_net_send, mbedtls_net_recv,
                                mbedtls_net_recv_timeout);
        }
        reconnect = 0;
        if (p->o.mtu != 0)
            mbedtls_ssl_set_mtu(&p->ssl, (uint16_t)p->o.mtu);

        ret = handshake(p);
        if (ret == MBEDTLS_ERR_SSL_HELLO_VERIFY_REQUIRED)
            continue; /* cookie sent; the client's second ClientHello is a new accept */
        if (ret != 0) {
            err_mbed("handshake", ret);
            report_verify(p);
            done++;
            failed++;
            continue;
        }
        report_session(p);
        enum sess_result r = echo_loop(p);
        done++;
        if (r == SESS_FAILED)
            failed++;
        if (r == SESS_RECONNECT)
            reconnect = 1; /* context was reset internally; go on with the handshake */
    }
    return failed == 0 ? 0 : 1;
}

/* --- client -------------------------------------------------------------- */

static int send_record(struct peer *p, const unsigned char *data, size_t len) {
    int ret;
    do {
        ret = mbedtls_ssl_write(&p->ssl, data, len);
    } while (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE);
    if (ret < 0) {
        err_mbed("mbedtls_ssl_write", ret);
        return -1;
    }
    if ((size_t)ret != len) {
        err_msg("record of %zu bytes only partly sent (%d)", len, ret);
        return -1;
    }
    return 0;
}

/* Reads every record that is ready. Returns 1 on close_notify, 0 when no
 * more is ready, -1 on error. */
static int drain_records(struct peer *p, unsigned long *received) {
    static unsigned char buf[PEER_REC_MAX];
    for (;;) {
        int ret = mbedtls_ssl_read(&p->ssl, buf, sizeof(buf));
        if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE ||
            ret == MBEDTLS_ERR_SSL_TIMEOUT)
            return 0;
        if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
            return 1;
        if (ret < 0) {
            err_mbed("mbedtls_ssl_read", ret);
            return -1;
        }
        if (ret == 0)
            return 0;
        fwrite(buf, 1, (size_t)ret, stdout);
        fputc('\n', stdout);
        fflush(stdout);
        (*received)++;
    }
}

static int run_client(struct peer *p) {
    static unsigned char line[PEER_LINE_MAX];
    size_t line_len = 0;
    unsigned long sent = 0, received = 0;
    int stdin_open = 1, ret;

    ret = mbedtls_net_connect(&p->fd, p->o.host, p->o.port, MBEDTLS_NET_PROTO_UDP);
    if (ret != 0) {
        err_mbed("connect", ret);
        return 1;
    }
    mbedtls_ssl_set_bio(&p->ssl, &p->fd, mbedtls_net_send, mbedtls_net_recv,
                        mbedtls_net_recv_timeout);
    if (p->o.mtu != 0)
        mbedtls_ssl_set_mtu(&p->ssl, (uint16_t)p->o.mtu);
    if ((ret = handshake(p)) != 0) {
        err_mbed("handshake", ret);
        report_verify(p);
        return 1;
    }
    report_session(p);

    /* From here on the socket is polled: reads must not block. */
    if ((ret = mbedtls_net_set_nonblock(&p->fd)) != 0) {
        err_mbed("mbedtls_net_set_nonblock", ret);
        return 1;
    }
    mbedtls_ssl_set_bio(&p->ssl, &p->fd, mbedtls_net_send, mbedtls_net_recv, NULL);

    long long idle_deadline = now_ms() + (long long)p->o.timeout_s * 1000;
    for (;;) {
        unsigned long before = received;
        ret = drain_records(p, &received);
        if (ret < 0)
            return 1;
        if (received != before)
            idle_deadline = now_ms() + (long long)p->o.timeout_s * 1000;
        if (ret == 1) {
            if (!stdin_open && received >= sent)
                return 0;
            err_msg("peer closed the session (sent %lu, received %lu)", sent, received);
            return 1;
        }
        if (!stdin_open && received >= sent)
            break;

        struct pollfd pfd[2] = {{.fd = p->fd.fd, .events = POLLIN},
                                {.fd = STDIN_FILENO, .events = POLLIN}};
        long long wait = idle_deadline - now_ms();
        if (!stdin_open && wait <= 0) {
            err_msg("timeout: no reply for %u s (sent %lu, received %lu)", p->o.timeout_s, sent,
                    received);
            return 1;
        }
        if (wait < 0)
            wait = 0;
        /* While stdin is open the client waits for input without a limit. */
        int n = poll(pfd, stdin_open ? 2 : 1, stdin_open ? -1 : (int)wait);
        if (n < 0 && errno != EINTR) {
            err_msg("poll: %s", strerror(errno));
            return 1;
        }
        if (n <= 0)
            continue;
        /* A readable socket is drained at the top of the loop. */
        if (stdin_open && (pfd[1].revents & (POLLIN | POLLHUP))) {
            ssize_t r = read(STDIN_FILENO, line + line_len, sizeof(line) - line_len);
            if (r < 0 && errno != EINTR) {
                err_msg("read stdin: %s", strerror(errno));
                return 1;
            }
            if (r == 0)
                stdin_open = 0;
            if (r > 0)
                line_len += (size_t)r;
            /* Send every complete line, then a trailing partial line at EOF. */
            size_t start = 0;
            for (size_t i = 0; i < line_len; i++) {
                if (line[i] != '\n')
                    continue;
                if (send_record(p, line + start, i - start) != 0)
                    return 1;
                sent++;
                start = i + 1;
            }
            memmove(line, line + start, line_len - start);
            line_len -= start;
            if (line_len == sizeof(line)) {
                err_msg("stdin line longer than %d bytes", PEER_REC_MAX);
                return 1;
            }
            if (!stdin_open && line_len > 0) {
                if (send_record(p, line, line_len) != 0)
                    return 1;
                sent++;
                line_len = 0;
            }
            idle_deadline = now_ms() + (long long)p->o.timeout_s * 1000;
        }
    }
    close_notify(p);
    return 0;
}

int main(int argc, char **argv) {
    static struct peer p;
    if (parse_args(argc, argv, &p.o) != 0) {
        usage();
        return 2;
    }
    mbedtls_entropy_init(&p.entropy);
    mbedtls_ctr_drbg_init(&p.drbg);
    mbedtls_ssl_config_init(&p.conf);
    mbedtls_ssl_init(&p.ssl);
    mbedtls_ssl_cookie_init(&p.cookie);
    mbedtls_x509_crt_init(&p.own_cert);
    mbedtls_x509_crt_init(&p.ca);
    mbedtls_pk_init(&p.own_key);
    mbedtls_net_init(&p.listen_fd);
    mbedtls_net_init(&p.fd);

    int rc = 1;
    if (setup(&p) == 0)
        rc = p.o.mode == MODE_SERVER ? run_server(&p) : run_client(&p);

    mbedtls_net_free(&p.fd);
    mbedtls_net_free(&p.listen_fd);
    mbedtls_pk_free(&p.own_key);
    mbedtls_x509_crt_free(&p.ca);
    mbedtls_x509_crt_free(&p.own_cert);
    mbedtls_ssl_cookie_free(&p.cookie);
    mbedtls_ssl_free(&p.ssl);
    mbedtls_ssl_config_free(&p.conf);
    mbedtls_ctr_drbg_free(&p.drbg);
    mbedtls_entropy_free(&p.entropy);
    return rc;
}
