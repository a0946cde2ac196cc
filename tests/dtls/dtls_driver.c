/*
 * dtls_driver.c - a small UDP program around the sans-I/O DTLS engine, for
 * raw interop tests against openssl s_client/s_server and gnutls-cli/serv.
 *
 *   dtls_driver client|server --psk-id ID --psk-hex HEX [--mtu N] [--hint H]
 *               [--wait-ms N] [--retrans-ms N] [--retrans-max-ms N]
 *               [--max-retransmits N] ADDR PORT
 *
 *   certificates / raw public keys (TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8, 0xC0AE):
 *               [--cert CHAIN.pem --key KEY.pem] [--ca CA.pem] [--rpk-key KEY.pem]
 *               [--rpk-trust SPKI.pem|.der]... [--no-verify] [--name AUTHORITY]
 *               [--no-client-auth] [--rpk-only | --x509-only]
 *   --cert/--key: our chain and key; --rpk-key: our key as a raw public key
 *   (the same key may be given with --key); --ca: trust anchors for the peer's
 *   chain; --rpk-trust: a trusted peer SPKI (repeatable); --name: the
 *   authority the client checks (default ADDR; "" for none); the PSK options
 *   become optional. After the handshake it also prints "peer-auth
 *   psk|rpk|x509|none", "peer-name NAME" and "peer-key sha256:HEX".
 *
 * client: handshakes, prints "suite 0xC0A8" (or 0xC0AE), sends each stdin line as one
 *         record, prints every record received as "recv: <text>", and on
 *         stdin EOF waits --wait-ms (default 1500) for replies, sends
 *         close_notify and exits 0. Handshake failure: "error: ..." and exit 1.
 * server: answers ClientHellos statelessly (cookie), serves one session at a
 *         time, prints "suite 0x...", "identity <id>" and "recv: <text>", and
 *         echoes every record back. Runs until killed.
 *
 * Heartbeat (RFC 6520) and resumption (RFC 5246 §7.3, RFC 5077):
 *   --heartbeat MS  offer the extension (peer_allowed_to_send) and send a
 *                   HeartbeatRequest after MS quiet (0: only answer); prints
 *                   "heartbeat 0|1" (may we send) at the handshake,
 *                   "heartbeat-answered" for each response matching our
 *                   request and "dead" when the peer stops answering
 *   --resume        client: after the first session (stdin EOF + --wait-ms),
 *                   close and connect again offering the saved session;
 *                   server: issue tickets and cache session IDs.
 *                   Both print "resumed 0|1" at each handshake.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "coapsec/dtls.h"
#include "common/hex.h"
#include "dtls/dtls_int.h" /* CS_HB_INFLIGHT: to print "heartbeat-answered" */

static coapsec_dtls_key *own_key;
static coapsec_dtls_identity ident;
static uint8_t cert_list[8192];
static coapsec_dtls_trust *trust;
static uint8_t rpk_fps[8][32];
static size_t n_rpk;

static int64_t wall_clock(void *user) {
    (void)user;
    return (int64_t)time(NULL);
}

static int read_file(const char *path, char *buf, size_t cap, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    *len = fread(buf, 1, cap - 1, f);
    buf[*len] = 0;
    fclose(f);
    return 0;
}

static coapsec_dtls_config cfg;
static coapsec_dtls_conn conn;
static coapsec_dtls_hs hs;
static coapsec_dtls_server srv;
static int sock = -1;
static struct sockaddr_storage peer;
static socklen_t peerlen;
static int have_conn, established, failed, closed;
static uint8_t psk[COAPSEC_DTLS_PSK_KEY_MAX], psk_id[COAPSEC_DTLS_PSK_ID_MAX];
static size_t psklen, idlen;
static uint8_t echo_buf[COAPSEC_DTLS_DGRAM_MAX];
static size_t echo_len;
static int echo_pending, is_server;
static size_t max_sent; /* largest datagram we sent */
static int resume_mode, rounds;
static coapsec_dtls_client_creds client_cr; /* to connect again (--resume) */
static coapsec_dtls_session saved;          /* client --resume */
static int have_saved;

static coapsec_tstamp now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (coapsec_tstamp)ts.tv_sec * 1000 + (coapsec_tstamp)(ts.tv_nsec / 1000000);
}

static int cb_send(void *user, const uint8_t *d, size_t len) {
    (void)user;
    if (len > max_sent)
        max_sent = len;
    if (sendto(sock, d, len, 0, (struct sockaddr *)&peer, peerlen) < 0)
        return COAPSEC_ERR_IO;
    return 0;
}

static void cb_recv(void *user, const uint8_t *d, size_t len) {
    (void)user;
    size_t n = len;
    while (n > 0 && (d[n - 1] == '\n' || d[n - 1] == '\r'))
        n--;
    printf("recv: %.*s\n", (int)n, (const char *)d);
    if (is_server && len <= sizeof echo_buf) {
        memcpy(echo_buf, d, len);
        echo_len = len;
        echo_pending = 1;
    }
}

static void cb_event(void *user, const coapsec_dtls_event *ev) {
    (void)user;
    switch (ev->type) {
    case COAPSEC_DTLS_EV_ESTABLISHED:
        established = 1;
        printf("suite 0x%04X\n", ev->suite);
        printf("identity %.*s\n", (int)ev->psk_id_len, (const char *)ev->psk_id);
        printf("peer-auth %s\n", ev->peer_auth == COAPSEC_DTLS_AUTH_PSK    ? "psk"
                                 : ev->peer_auth == COAPSEC_DTLS_AUTH_RPK  ? "rpk"
                                 : ev->peer_auth == COAPSEC_DTLS_AUTH_X509 ? "x509"
                                                                           : "none");
        if (ev->peer_name)
            printf("peer-name %s\n", ev->peer_name);
        if (ev->peer_key_sha256) {
            printf("peer-key sha256:");
            for (int i = 0; i < 32; i++)
                printf("%02x", ev->peer_key_sha256[i]);
            printf("\n");
        }
        printf("ems %d\n", ev->ems);
        printf("max-dgram %zu\n", max_sent);
        printf("heartbeat %d\n", ev->heartbeat);
        printf("resumed %d\n", ev->resumed);
        if (!is_server && ev->session) {
            saved = *ev->session;
            have_saved = 1;
        }
        break;
    case COAPSEC_DTLS_EV_DEAD:
        printf("dead\n");
        failed = 1;
        break;
    case COAPSEC_DTLS_EV_FAILED:
        failed = 1;
        printf("error: %s (%s, alert %s%s)\n", ev->reason ? ev->reason : "failed",
               coapsec_strerror(ev->err), coapsec_dtls_alert_name(ev->alert),
               ev->alert == COAPSEC_DTLS_ALERT_NONE ? ""
               : ev->alert_from_peer                ? " from peer"
                                                    : " sent");
        break;
    case COAPSEC_DTLS_EV_CLOSED:
        closed = 1;
        printf("closed\n");
        break;
    default:
        break;
    }
    fflush(stdout);
}

static int lookup(void *user, const uint8_t *id, size_t len, uint8_t *key, size_t *keylen) {
    (void)user;
    if (len != idlen || memcmp(id, psk_id, len) != 0)
        return -1;
    memcpy(key, psk, psklen);
    *keylen = psklen;
    return 0;
}

static int usage(void) {
    fprintf(stderr, "usage: dtls_driver client|server --psk-id ID --psk-hex HEX [--mtu N] "
                    "[--hint H] [--wait-ms N] [--retrans-ms N] [--retrans-max-ms N] "
                    "[--max-retransmits N] ADDR PORT\n");
    return 2;
}

static int poll_timeout(void) {
    coapsec_tstamp e = have_conn ? coapsec_dtls_conn_expiry(&conn) : COAPSEC_TSTAMP_NONE;
    if (e == COAPSEC_TSTAMP_NONE)
        return 200;
    coapsec_tstamp n = now_ms();
    return e <= n ? 0 : (int)(e - n > 200 ? 200 : e - n);
}

static void flush_echo(void) {
    if (echo_pending && have_conn) {
        echo_pending = 0;
        coapsec_dtls_conn_send(&conn, echo_buf, echo_len, now_ms());
    }
}

static void server_input(uint8_t *buf, size_t n, struct sockaddr_storage *from, socklen_t flen) {
    int same = have_conn && flen == peerlen && memcmp(from, &peer, flen) == 0;
    int st = have_conn ? coapsec_dtls_conn_state(&conn) : COAPSEC_DTLS_ST_IDLE;
    if (same && !(st != COAPSEC_DTLS_ST_HANDSHAKE && coapsec_dtls_is_client_hello(buf, n))) {
        coapsec_dtls_conn_recv(&conn, buf, n, now_ms());
        flush_echo();
        return;
    }
    if (have_conn && st == COAPSEC_DTLS_ST_HANDSHAKE && !same)
        return; /* one session at a time */
    uint8_t out[COAPSEC_DTLS_DGRAM_MAX];
    size_t outlen = sizeof out;
    int r = coapsec_dtls_server_hello(&srv, from, flen, buf, n, out, &outlen, now_ms());
    if (r == COAPSEC_DTLS_HELLO_HVR) {
        sendto(sock, out, outlen, 0, (struct sockaddr *)from, flen);
    } else if (r == COAPSEC_DTLS_HELLO_ACCEPT) {
        if (have_conn)
            coapsec_dtls_conn_close(&conn, now_ms());
        memcpy(&peer, from, flen);
        peerlen = flen;
        have_conn = 1;
        established = failed = closed = 0;
        coapsec_dtls_server_accept(&conn, &cfg, NULL, &hs, buf, n, now_ms());
    }
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2)
        return usage();
    is_server = strcmp(argv[1], "server") == 0;
    if (!is_server && strcmp(argv[1], "client") != 0)
        return usage();
    const char *id = NULL, *hex = NULL, *hint = NULL, *addr = NULL, *port = NULL;
    const char *cert = NULL, *keyf = NULL, *ca = NULL, *rpk_key = NULL, *name = NULL;
    int no_verify = 0, no_client_auth = 0, rpk_only = 0, x509_only = 0;
    int mtu = 0, wait_ms = 1500, retrans_ms = 0, retrans_max_ms = 0, max_retrans = -1, hb_ms = -1;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--psk-id") && i + 1 < argc)
            id = argv[++i];
        else if (!strcmp(argv[i], "--psk-hex") && i + 1 < argc)
            hex = argv[++i];
        else if (!strcmp(argv[i], "--mtu") && i + 1 < argc)
            mtu = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--cert") && i + 1 < argc)
            cert = argv[++i];
        else if (!strcmp(argv[i], "--key") && i + 1 < argc)
            keyf = argv[++i];
        else if (!strcmp(argv[i], "--ca") && i + 1 < argc)
            ca = argv[++i];
        else if (!strcmp(argv[i], "--rpk-key") && i + 1 < argc)
            rpk_key = argv[++i];
        else if (!strcmp(argv[i], "--name") && i + 1 < argc)
            name = argv[++i];
        else if (!strcmp(argv[i], "--rpk-trust") && i + 1 < argc) {
            char buf[4096];
            size_t n;
            if (n_rpk == 8 || read_file(argv[++i], buf, sizeof buf, &n) != 0 ||
                coapsec_dtls_spki_fingerprint_any((const uint8_t *)buf, n, rpk_fps[n_rpk++]) != 0) {
                fprintf(stderr, "cannot read raw public key %s\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(argv[i], "--no-verify"))
            no_verify = 1;
        else if (!strcmp(argv[i], "--no-client-auth"))
            no_client_auth = 1;
        else if (!strcmp(argv[i], "--rpk-only"))
            rpk_only = 1;
        else if (!strcmp(argv[i], "--x509-only"))
            x509_only = 1;
        else if (!strcmp(argv[i], "--hint") && i + 1 < argc)
            hint = argv[++i];
        else if (!strcmp(argv[i], "--wait-ms") && i + 1 < argc)
            wait_ms = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--retrans-ms") && i + 1 < argc)
            retrans_ms = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--retrans-max-ms") && i + 1 < argc)
            retrans_max_ms = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--max-retransmits") && i + 1 < argc)
            max_retrans = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--heartbeat") && i + 1 < argc)
            hb_ms = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--resume"))
            resume_mode = 1;
        else if (!addr)
            addr = argv[i];
        else if (!port)
            port = argv[i];
        else
            return usage();
    }
    int have_ecdsa = cert || keyf || rpk_key || ca || n_rpk || no_verify;
    if ((!id || !hex) && !have_ecdsa)
        return usage();
    if (!addr || !port)
        return usage();
    if (keyf || rpk_key) {
        const char *kf = keyf ? keyf : rpk_key;
        if (coapsec_dtls_key_load_file(&own_key, kf) != 0) {
            fprintf(stderr, "cannot load key %s\n", kf);
            return 2;
        }
        ident.key = own_key;
    }
    if (cert) {
        static char pem[16384];
        size_t n, ll;
        if (read_file(cert, pem, sizeof pem, &n) != 0 ||
            coapsec_dtls_cert_list_from_pem(pem, n, cert_list, sizeof cert_list, &ll) != 0) {
            fprintf(stderr, "cannot load certificates %s\n", cert);
            return 2;
        }
        ident.cert_list = cert_list;
        ident.cert_list_len = ll;
    }
    if (ca &&
        (coapsec_dtls_trust_new(&trust) != 0 || coapsec_dtls_trust_add_file(trust, ca) != 0)) {
        fprintf(stderr, "cannot load trust anchors %s\n", ca);
        return 2;
    }
    if (!id || !hex)
        goto no_psk;
    idlen = strlen(id);
    size_t hl = strlen(hex);
    if (idlen == 0 || idlen > sizeof psk_id || hl == 0 || hl % 2 || hl / 2 > sizeof psk)
        return usage();
    memcpy(psk_id, id, idlen);
    for (size_t i = 0; i < hl / 2; i++) {
        int a = cs_hexval(hex[2 * i]), b = cs_hexval(hex[2 * i + 1]);
        if (a < 0 || b < 0)
            return usage();
        psk[i] = (uint8_t)(a << 4 | b);
    }
    psklen = hl / 2;
no_psk:

    coapsec_dtls_config_default(&cfg);
    cfg.cb.send = cb_send;
    cfg.cb.recv = cb_recv;
    cfg.cb.event = cb_event;
    if (mtu > 0)
        cfg.mtu = (uint16_t)mtu;
    if (retrans_ms > 0) /* loss tests: shorter timers, more retries */
        cfg.retrans_initial_ms = (uint32_t)retrans_ms;
    if (retrans_max_ms > 0)
        cfg.retrans_max_ms = (uint32_t)retrans_max_ms;
    if (max_retrans >= 0 && max_retrans <= 255)
        cfg.max_retransmits = (uint8_t)max_retrans;
    if (psklen)
        cfg.psk_lookup = lookup;
    cfg.wall_clock = wall_clock;
    cfg.trust = trust;
    if (n_rpk) {
        cfg.rpk_trust = (const uint8_t(*)[32])rpk_fps;
        cfg.rpk_trust_count = n_rpk;
    }
    cfg.insecure_no_verify = (uint8_t)no_verify;
    cfg.require_client_auth = (uint8_t)!no_client_auth;
    if (rpk_only)
        cfg.cert_types = COAPSEC_DTLS_CT_RPK;
    if (x509_only)
        cfg.cert_types = COAPSEC_DTLS_CT_X509;
    if (is_server && ident.key)
        cfg.server_identity = &ident;
    if (hint) {
        cfg.psk_hint = (const uint8_t *)hint;
        cfg.psk_hint_len = strlen(hint);
    }
    if (hb_ms >= 0) {
        cfg.heartbeat = COAPSEC_DTLS_HB_ALLOWED;
        cfg.heartbeat_interval_ms = (uint32_t)hb_ms;
    }
    static coapsec_dtls_ticket_keys tk;
    static coapsec_dtls_session cache_ent[16];
    static coapsec_dtls_session_cache cache;
    if (resume_mode && is_server) {
        coapsec_dtls_ticket_keys_init(&tk, &cfg, 0, now_ms());
        coapsec_dtls_session_cache_init(&cache, cache_ent, 16);
        cfg.tickets = &tk;
        cfg.cache = &cache;
    }

    struct addrinfo hints = {0}, *ai;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    if (getaddrinfo(addr, port, &hints, &ai) != 0) {
        fprintf(stderr, "cannot resolve %s %s\n", addr, port);
        return 2;
    }
    sock = socket(ai->ai_family, SOCK_DGRAM, 0);
    if (sock < 0) {
        perror("socket");
        return 2;
    }
    if (is_server) {
        if (bind(sock, ai->ai_addr, ai->ai_addrlen) < 0) {
            perror("bind");
            return 2;
        }
        coapsec_dtls_server_init(&srv, &cfg, now_ms());
        printf("listening\n");
    } else {
        memcpy(&peer, ai->ai_addr, ai->ai_addrlen);
        peerlen = ai->ai_addrlen;
        coapsec_dtls_client_creds cr;
        memset(&cr, 0, sizeof cr);
        if (psklen) {
            cr.psk_id = psk_id;
            cr.psk_id_len = idlen;
            cr.psk = psk;
            cr.psk_len = psklen;
        }
        cr.identity = ident.key ? &ident : NULL;
        cr.authority = name ? (*name ? name : NULL) : addr;
        client_cr = cr;
        if (coapsec_dtls_client_start_ex(&conn, &cfg, NULL, &hs, &cr, now_ms()) != 0) {
            printf("error: cannot start\n");
            return 1;
        }
        have_conn = 1;
    }
    freeaddrinfo(ai);

    int stdin_open = !is_server;
    int hb_was_inflight = 0;
    coapsec_tstamp eof_at = 0;
    for (;;) {
        struct pollfd pf[2] = {{sock, POLLIN, 0}, {0, POLLIN, 0}};
        int nfds = stdin_open && established ? 2 : 1;
        int rc = poll(pf, (nfds_t)nfds, poll_timeout());
        if (rc < 0 && errno != EINTR)
            return 2;
        if (rc > 0 && (pf[0].revents & POLLIN)) {
            uint8_t buf[4096];
            struct sockaddr_storage from;
            socklen_t flen = sizeof from;
            ssize_t n = recvfrom(sock, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
            if (n > 0) {
                if (is_server) {
                    server_input(buf, (size_t)n, &from, flen);
                } else {
                    coapsec_dtls_conn_recv(&conn, buf, (size_t)n, now_ms());
                }
            }
        }
        if (nfds == 2 && (pf[1].revents & (POLLIN | POLLHUP))) {
            char line[1200];
            if (fgets(line, sizeof line, stdin)) {
                int e =
                    coapsec_dtls_conn_send(&conn, (const uint8_t *)line, strlen(line), now_ms());
                if (e)
                    printf("error: send: %s\n", coapsec_strerror(e));
            } else {
                stdin_open = 0;
                eof_at = now_ms();
            }
        }
        if (have_conn && now_ms() >= coapsec_dtls_conn_expiry(&conn))
            coapsec_dtls_conn_handle_expiry(&conn, now_ms());
        if (have_conn) { /* a response to our heartbeat request came */
            int inflight = (conn.hb_flags & CS_HB_INFLIGHT) != 0;
            if (hb_was_inflight && !inflight &&
                coapsec_dtls_conn_state(&conn) == COAPSEC_DTLS_ST_ESTABLISHED) {
                printf("heartbeat-answered\n");
                fflush(stdout);
            }
            hb_was_inflight = inflight;
        }
        if (!is_server) {
            if (failed) {
                printf("max-dgram %zu\n", max_sent);
                return 1;
            }
            if (closed)
                return 0;
            if (established && !stdin_open && now_ms() >= eof_at + (coapsec_tstamp)wait_ms) {
                coapsec_dtls_conn_close(&conn, now_ms());
                if (resume_mode && rounds++ == 0) { /* once more, offering the session */
                    client_cr.resume = have_saved ? &saved : NULL;
                    printf("reconnect offering %s\n", !have_saved        ? "nothing"
                                                      : saved.ticket_len ? "a ticket"
                                                                         : "a session ID");
                    established = closed = 0;
                    hb_was_inflight = 0;
                    if (coapsec_dtls_client_start_ex(&conn, &cfg, NULL, &hs, &client_cr,
                                                     now_ms()) != 0) {
                        printf("error: cannot start\n");
                        return 1;
                    }
                    eof_at = now_ms();
                    continue;
                }
                return 0;
            }
        }
    }
}
