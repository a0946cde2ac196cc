/*
 * tools/server.c - `coapsec server`: a CoAP server with libcoap's
 * coap-server option letters. Serves / (a banner), /time, the built-in
 * /.well-known/core and a bounded store (store.h) where PUT/POST create or
 * replace, GET reads and DELETE removes resources at any other path.
 * With PSK credentials (-k default key, -i identity file, -h hint) it serves
 * coaps (DTLS 1.2) on PORT+1 like libcoap, and plain coap on PORT only with
 * --nosec. Exits cleanly on SIGINT/SIGTERM.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "coapsec/dtls.h"
#include "explain.h"
#include "heartbeat.h"
#include "keylog.h"
#include "loglevel.h"
#include "coapsec/endpoint.h"
#include "sessions.h"
#include "pki.h"
#include "store.h"
#include "transfer.h"

#define CS_SERVER_BANNER                                                                           \
    "This is coapsec, a secure CoAP server (RFC 7252 over DTLS 1.2, oneM2M TS-0008 profile)"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) {
    (void)sig;
    stop_requested = 1;
}

typedef struct server_state {
    coapsec_endpoint *ep;
    cs_store store;
} server_state;

void cs_server_usage(FILE *f) {
    fputs("usage: coapsec server [-A ADDRESS] [-p PORT] [-v LEVEL]\n"
          "                      [-k KEY] [-i FILE] [-h HINT] [--nosec]\n"
          "                      [--max-resources N] [--max-bytes N]\n"
          "                      [-c CERT [-j KEY]] [-C CA] [-R ROOTS] [-M KEY]\n"
          "                      [--rpk-trust FILE] [-n] [--no-clock] [--mtu N]\n"
          "  -A ADDRESS  local address to bind (IPv4 or IPv6; default: 0.0.0.0 and ::)\n"
          "  -p PORT     UDP port (default 5683); with -k, -i, -c or -M, coaps (DTLS) is served\n"
          "              on PORT+1 and plain coap on PORT is off unless --nosec\n"
          "  -k KEY      default pre-shared key for any identity (text, or 0xHEX)\n"
          "  -i FILE     identity file, lines \"hint,identity,key\" (libcoap format; '#'\n"
          "              comments); a line applies when its hint is empty or equals -h\n"
          "  -h HINT     PSK identity hint (default \"CoAP\"; \"\" = none)\n"
          "  --nosec     also serve plain coap on PORT next to coaps on PORT+1\n"
          "  --help      this text\n"
          "  -v LEVEL    0-9 as in libcoap: 1 startup line and DTLS sessions, 3 one line per\n"
          "              request and library errors, 4 warnings, 6 info, 7 debug, 8 every\n"
          "              DTLS session event, 9 every request dumped\n"
          "  --keylog FILE  append the DTLS secrets of each session to FILE (NSS key log\n"
          "              format, for Wireshark); SSLKEYLOGFILE=FILE does the same.\n"
          "              Anyone with FILE can decrypt the traffic: debugging only\n"
          "  --max-resources N  cap on stored resources (default 256); beyond it 5.03\n"
          "  --max-bytes N      cap on the total stored payload bytes (default 1048576);\n"
          "                     beyond it 4.13\n"
          "Resources: / (banner), /time (observable: notified every second),\n"
          "/.well-known/core; PUT or POST on any other path stores a resource (bodies\n"
          "up to --max-bytes, at most 16 MiB, arrive block-wise), GET reads it (large\n"
          "ones are served block-wise), DELETE removes it.\n",
          f);
    cs_sess_server_usage(f); /* sessions.c: limits, --send */
    cs_pki_usage(f);         /* pki.c: certificates and raw public keys */
    cs_hb_usage(f);          /* heartbeat.c */
    fputs("  A server with -C, -R, --rpk-trust or -n requires a client certificate or\n"
          "  raw public key; one server serves PSK (-k/-i), RPK and certificate clients\n"
          "  at once (the suites offered follow the credentials given).\n",
          f);
}

static void log_request(server_state *s, const coapsec_coap_req *req, uint8_t code) {
    if (cs_cli_verbose < 3)
        return;
    if (cs_cli_verbose >= CS_V_PACKETS) /* loglevel.h: -v 9 */
        cs_cli_dump_msg(stderr, "<- ", req->msg);
    struct sockaddr_storage ss;
    socklen_t sl;
    char addr[80] = "?", c[48];
    if (coapsec_endpoint_peer_addr(s->ep, req->peer, &ss, &sl) == 0) {
        char ip[64];
        const void *a = ss.ss_family == AF_INET6
                            ? (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr
                            : (const void *)&((struct sockaddr_in *)&ss)->sin_addr;
        unsigned port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                       : ((struct sockaddr_in *)&ss)->sin_port);
        if (inet_ntop(ss.ss_family, a, ip, sizeof ip))
            snprintf(addr, sizeof addr, ss.ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip, port);
    }
    char m[48];
    cs_cli_code_str(req->msg->code, m, sizeof m);
    cs_cli_log(3, "%s %s %s /%s %zu bytes -> %s", addr,
               req->msg->type == COAPSEC_CON ? "CON" : "NON",
               strchr(m, ' ') ? strchr(m, ' ') + 1 : m, req->path, req->msg->payload_len,
               cs_cli_code_str(code, c, sizeof c));
}

static void diagnostic(coapsec_coap_response *resp, uint8_t code, const char *text) {
    resp->msg.code = code;
    coapsec_coap_resp_payload(resp, text, strlen(text));
}

static void h_root(void *user, const coapsec_coap_req *req, coapsec_coap_response *resp) {
    server_state *s = user;
    if (req->msg->code != COAPSEC_GET) {
        diagnostic(resp, COAPSEC_METHOD_NOT_ALLOWED, "only GET");
    } else {
        resp->msg.code = COAPSEC_CONTENT;
        coapsec_coap_resp_uint(resp, COAPSEC_OPT_CONTENT_FORMAT, COAPSEC_CF_TEXT_PLAIN);
        coapsec_coap_resp_payload(resp, CS_SERVER_BANNER, strlen(CS_SERVER_BANNER));
    }
    log_request(s, req, resp->msg.code);
}

static void h_time(void *user, const coapsec_coap_req *req, coapsec_coap_response *resp) {
    server_state *s = user;
    if (req->msg->code != COAPSEC_GET) {
        diagnostic(resp, COAPSEC_METHOD_NOT_ALLOWED, "only GET");
    } else {
        char buf[64];
        time_t t = time(NULL);
        struct tm tm;
        size_t n = gmtime_r(&t, &tm) ? strftime(buf, sizeof buf, "%b %d %H:%M:%S UTC", &tm) : 0;
        resp->msg.code = COAPSEC_CONTENT;
        coapsec_coap_resp_uint(resp, COAPSEC_OPT_CONTENT_FORMAT, COAPSEC_CF_TEXT_PLAIN);
        coapsec_coap_resp_uint(resp, COAPSEC_OPT_MAX_AGE, 1);
        coapsec_coap_resp_payload(resp, buf, n);
    }
    log_request(s, req, resp->msg.code);
}

/* Every path without a registered resource: the store. */
static void h_store(void *user, const coapsec_coap_req *req, coapsec_coap_response *resp) {
    server_state *s = user;
    const coapsec_msg *m = req->msg;
    const cs_store_item *it;
    int rc;
    switch (m->code) {
    case COAPSEC_GET:
        if (!(it = cs_store_get(&s->store, req->path))) {
            resp->msg.code = COAPSEC_NOT_FOUND;
            break;
        }
        resp->msg.code = COAPSEC_CONTENT;
        if (it->cf >= 0)
            coapsec_coap_resp_uint(resp, COAPSEC_OPT_CONTENT_FORMAT, (uint32_t)it->cf);
        /* Larger than a block: the engine sends the block asked for (RFC 7959 §2.4). */
        if (coapsec_coap_resp_body(resp, it->data, it->len) != 0)
            diagnostic(resp, COAPSEC_INTERNAL_SERVER_ERROR, "resource too large to send");
        break;
    case COAPSEC_PUT:
    case COAPSEC_POST: {
        const coapsec_opt *o = coapsec_msg_find(m, COAPSEC_OPT_CONTENT_FORMAT);
        uint32_t cf = 0;
        if (o && coapsec_opt_uint(o, &cf) != 0) {
            diagnostic(resp, COAPSEC_BAD_OPTION, "bad Content-Format");
            break;
        }
        if (req->path_len == 0) {
            diagnostic(resp, COAPSEC_METHOD_NOT_ALLOWED, "read-only");
            break;
        }
        rc = cs_store_put(&s->store, req->path, o ? (int)cf : -1, m->payload, m->payload_len);
        if (rc == CS_STORE_CREATED)
            resp->msg.code = COAPSEC_CREATED;
        else if (rc == CS_STORE_REPLACED)
            resp->msg.code = COAPSEC_CHANGED;
        else if (rc == COAPSEC_ERR_NOBUF)
            diagnostic(resp, COAPSEC_REQUEST_ENTITY_TOO_LARGE, "store byte limit reached");
        else if (rc == COAPSEC_ERR_NOMEM)
            diagnostic(resp, COAPSEC_SERVICE_UNAVAILABLE, "store resource limit reached");
        else
            diagnostic(resp, COAPSEC_BAD_REQUEST, "path too long");
        break;
    }
    case COAPSEC_DELETE:
        resp->msg.code =
            cs_store_delete(&s->store, req->path) == 0 ? COAPSEC_DELETED : COAPSEC_NOT_FOUND;
        break;
    default:
        resp->msg.code = COAPSEC_METHOD_NOT_ALLOWED;
        break;
    }
    log_request(s, req, resp->msg.code);
}

/* Stored resources as RFC 6690 links: </path>;ct=N, path characters outside a
 * conservative set percent-encoded. */
static int store_links(void *user, coapsec_peer_id peer, char *buf, size_t cap) {
    (void)peer;
    server_state *s = user;
    size_t o = 0;
    for (size_t i = 0; i < s->store.count; i++) {
        const cs_store_item *it = &s->store.items[i];
        char link[CS_STORE_PATH_MAX * 3 + 32];
        size_t l = 0;
        link[l++] = '<';
        link[l++] = '/';
        for (const char *p = it->path; *p; p++) {
            unsigned char ch = (unsigned char)*p;
            if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                strchr("-._~/!$&'()*+=:@", ch))
                link[l++] = (char)ch;
            else
                l += (size_t)snprintf(link + l, 4, "%%%02X", ch);
        }
        link[l++] = '>';
        if (it->cf >= 0)
            l += (size_t)snprintf(link + l, sizeof link - l, ";ct=%d", it->cf);
        if (o + (o ? 1 : 0) + l > cap)
            return COAPSEC_ERR_NOBUF;
        if (o)
            buf[o++] = ',';
        memcpy(buf + o, link, l);
        o += l;
    }
    return (int)o;
}

static void log_cb(void *user, int level, const char *msg) {
    cs_cli_lib_log(user, level, msg); /* loglevel.c: libcoap's -v numbering */
}

static void session_cb(void *user, const coapsec_session_event *ev) {
    server_state *s = user;
    cs_cli_log_session(ev, "coapsec server"); /* -v 8 */
    /* Everything below only logs, at -v 1 or more (closed: -v 2). A busy
     * server without -v must not pay for formatting on every handshake. */
    if (cs_cli_verbose < 1)
        return;
    char a[80];
    cs_explain_addr(ev->addr, a, sizeof a);
    if (ev->type == COAPSEC_SESSION_ESTABLISHED) {
        uint8_t id[COAPSEC_DTLS_PSK_ID_MAX];
        size_t idlen = sizeof id;
        if (!s->ep || coapsec_endpoint_peer_identity(s->ep, ev->peer, id, &idlen) != 0)
            idlen = 0;
        cs_cli_log(1, "DTLS: %s (0x%04X) with %s, identity '%.*s', handshake %u ms%s",
                   cs_cli_suite_name(ev->suite), ev->suite, a, (int)idlen, (const char *)id,
                   (unsigned)ev->handshake_ms,
                   ev->replacement ? " (new session replaces old)" : "");
        if (s->ep && ev->suite != COAPSEC_DTLS_PSK_AES_128_CCM_8 && cs_cli_verbose >= 1) {
            char who[256];
            cs_pki_peer_text(s->ep, ev->peer, who, sizeof who);
            cs_cli_log(1, "DTLS: client %s authenticated by %s", a, who);
        }
    } else if (ev->type == COAPSEC_SESSION_FAILED) {
        cs_hs_failure hf; /* explain.c: cause and fix */
        memset(&hf, 0, sizeof hf);
        hf.server = 1;
        hf.err = ev->err;
        hf.alert = ev->alert;
        hf.alert_from_peer = ev->alert_from_peer;
        hf.text = ev->reason ? ev->reason : "?";
        hf.peer = a;
        char why[768];
        cs_cli_log(1, "DTLS: handshake with %s failed: %s", a,
                   cs_explain_handshake(&hf, why, sizeof why));
    } else if (ev->type == COAPSEC_SESSION_RESUMED) {
        cs_cli_log(1, "DTLS: session with %s resumed (abbreviated handshake)", a);
    } else if (ev->type != COAPSEC_SESSION_DEAD) { /* dead: cs_sess_event says it */
        cs_cli_log(2, "DTLS: session with %s closed", a);
    }
    cs_sess_event(s->ep, ev, "coapsec server");
}

/* libcoap's -i file: "hint,identity,key" per line, '#' comments. A line is
 * used when its hint is empty or equals ours. Returns entries added or -1. */
static int load_identities(coapsec_endpoint *ep, const char *path, const char *hint) {
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "coapsec server: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[1024];
    int n = 0, lineno = 0, rc = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = 0;
        if (line[0] == '#' || line[0] == 0)
            continue;
        char *c1 = strchr(line, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
        if (!c2) {
            fprintf(stderr, "coapsec server: %s:%d: expected hint,identity,key\n", path, lineno);
            rc = -1;
            break;
        }
        *c1 = *c2 = 0;
        const char *h = line, *id = c1 + 1, *key = c2 + 1;
        uint8_t k[COAPSEC_DTLS_PSK_KEY_MAX];
        long kl = cs_cli_parse_key(key, k, sizeof k);
        size_t idl = strlen(id);
        if (kl < 0 || idl == 0 || idl > COAPSEC_DTLS_PSK_ID_MAX) {
            fprintf(stderr, "coapsec server: %s:%d: bad identity or key\n", path, lineno);
            rc = -1;
            break;
        }
        if (h[0] && strcmp(h, hint) != 0)
            continue; /* for another hint */
        if (coapsec_endpoint_add_psk(ep, (const uint8_t *)id, idl, k, (size_t)kl) != 0) {
            fprintf(stderr, "coapsec server: %s:%d: too many identities (max %d)\n", path, lineno,
                    COAPSEC_ENDPOINT_MAX_PSK);
            rc = -1;
            break;
        }
        if (kl < COAPSEC_ENDPOINT_PSK_MIN_WARN)
            fprintf(stderr,
                    "coapsec server: warning: %s:%d: key is only %ld bytes (>= %d advised)\n", path,
                    lineno, kl, COAPSEC_ENDPOINT_PSK_MIN_WARN);
        n++;
    }
    fclose(f);
    return rc < 0 ? -1 : n;
}

int cs_server_main(int argc, char **argv) {
    static const struct option longopts[] = {
        {"max-resources", required_argument, NULL, 1101}, /* -R is libcoap's root CA file */
        {"max-bytes", required_argument, NULL, 'Z'},
        {"nosec", no_argument, NULL, 'N'},
        {"help", no_argument, NULL, 'H'},
        CS_KEYLOG_LONGOPT,
        CS_HB_LONGOPT,
        {"max-sessions", required_argument, NULL, CS_OPT_MAX_SESSIONS},
        {"max-handshakes", required_argument, NULL, CS_OPT_MAX_HANDSHAKES},
        {"idle-timeout", required_argument, NULL, CS_OPT_IDLE},
        {"protect", required_argument, NULL, CS_OPT_PROTECT},
        {"send", required_argument, NULL, CS_OPT_SEND},
        {"send-timeout", required_argument, NULL, CS_OPT_SEND_TIMEOUT},
        CS_PKI_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    static cs_sess_opts sopt; /* sessions.c */
    static cs_pki_opts popt;  /* pki.c */
    static cs_pki_state pst;
    cs_pki_opts_init(&popt);
    cs_sess_opts_init(&sopt);
    const char *addr = NULL;
    unsigned long port = 5683, verbose = 0, max_items = 256, max_bytes = 1048576;
    const char *idfile = NULL, *hint = "CoAP";
    const char *keylog = NULL; /* --keylog FILE (keylog.c) */
    uint32_t hb_ms = 0;        /* --heartbeat SECONDS (heartbeat.c) */
    uint8_t key[COAPSEC_DTLS_PSK_KEY_MAX];
    long keylen = -1;
    int nosec = 0;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":A:p:v:k:i:h:" CS_PKI_SHORTOPTS, longopts, NULL)) != -1) {
        switch (c) {
        case 'A':
            addr = optarg;
            break;
        case 'p':
            if (cs_cli_parse_ulong(optarg, 0, 65535, &port) != 0) {
                fprintf(stderr, "coapsec server: bad port '%s'\n", optarg);
                return CS_EXIT_USAGE;
            }
            break;
        case 'v':
            if (cs_cli_parse_ulong(optarg, 0, 9, &verbose) != 0) {
                fprintf(stderr, "coapsec server: -v wants a level 0-9\n");
                return CS_EXIT_USAGE;
            }
            cs_cli_verbose = (int)verbose;
            break;
        case 1101: /* --max-resources */
            if (cs_cli_parse_ulong(optarg, 0, 1000000, &max_items) != 0) {
                fprintf(stderr, "coapsec server: bad --max-resources\n");
                return CS_EXIT_USAGE;
            }
            break;
        case 'Z':
            if (cs_cli_parse_ulong(optarg, 0, 1ul << 30, &max_bytes) != 0) {
                fprintf(stderr, "coapsec server: bad --max-bytes\n");
                return CS_EXIT_USAGE;
            }
            break;
        case 'k':
            if ((keylen = cs_cli_parse_key(optarg, key, sizeof key)) < 0) {
                fprintf(stderr, "coapsec server: -k wants a key of 1-%d bytes (text or 0xHEX)\n",
                        COAPSEC_DTLS_PSK_KEY_MAX);
                return CS_EXIT_USAGE;
            }
            break;
        case 'i':
            idfile = optarg;
            break;
        case 'h':
            if (strlen(optarg) > COAPSEC_DTLS_PSK_ID_MAX) {
                fprintf(stderr, "coapsec server: -h hint too long\n");
                return CS_EXIT_USAGE;
            }
            hint = optarg;
            break;
        case 'N':
            nosec = 1;
            break;
        case CS_OPT_MAX_SESSIONS:
        case CS_OPT_MAX_HANDSHAKES:
        case CS_OPT_IDLE:
        case CS_OPT_PROTECT:
        case CS_OPT_SEND:
        case CS_OPT_SEND_TIMEOUT:
            if (cs_sess_opt(&sopt, c, optarg, "coapsec server") != 0)
                return CS_EXIT_USAGE;
            break;
        case 'c':
        case 'j':
        case 'C':
        case 'R':
        case 'M':
        case 'n':
        case CS_OPT_RPK_TRUST:
        case CS_OPT_NO_CLOCK:
        case CS_OPT_MTU:
            if (cs_pki_opt(&popt, c, optarg, "coapsec server") != 0)
                return CS_EXIT_USAGE;
            break;
        case CS_OPT_HEARTBEAT: /* heartbeat.c */
            if (cs_hb_opt(optarg, &hb_ms, "coapsec server") != 0)
                return CS_EXIT_USAGE;
            break;
        case CS_OPT_KEYLOG:
            keylog = optarg;
            break;
        case 'H':
            cs_server_usage(stdout);
            return CS_EXIT_OK;
        case ':':
            fprintf(stderr, "coapsec server: option %s needs a value\n", argv[optind - 1]);
            return CS_EXIT_USAGE;
        default:
            fprintf(stderr, "coapsec server: unknown option %s\n", argv[optind - 1]);
            cs_server_usage(stderr);
            return CS_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "coapsec server: unexpected argument '%s'\n", argv[optind]);
        return CS_EXIT_USAGE;
    }

    static server_state s;
    memset(&s, 0, sizeof s);
    if (cs_store_init(&s.store, max_items, max_bytes) != 0) {
        fprintf(stderr, "coapsec server: out of memory\n");
        return CS_EXIT_FAIL;
    }
    int secure = keylen >= 0 || idfile != NULL || cs_pki_has_identity(&popt);
    if (!cs_pki_has_identity(&popt) && cs_pki_active(&popt)) {
        fprintf(stderr, "coapsec server: -C/-R/--rpk-trust/-n need our own key: -c CERT [-j KEY] "
                        "or -M KEY\n");
        return CS_EXIT_USAGE;
    }
    if (secure && port == 65535) {
        fprintf(stderr, "coapsec server: coaps uses PORT+1: PORT must be below 65535\n");
        return CS_EXIT_USAGE;
    }
    if (nosec && !secure)
        nosec = 0; /* plain coap is the only mode anyway */
    if (keylen >= 0 && keylen < COAPSEC_ENDPOINT_PSK_MIN_WARN)
        fprintf(stderr,
                "coapsec server: warning: the default PSK is only %ld bytes; TS-0008 wants keys "
                "that resist brute force (>= %d random bytes)\n",
                keylen, COAPSEC_ENDPOINT_PSK_MIN_WARN);
    coapsec_endpoint_config cfg;
    coapsec_endpoint_config_default(&cfg);
    cfg.log = cs_cli_verbose >= CS_V_ERR ? log_cb : NULL; /* library messages start at 3 */
    cfg.well_known_links = store_links;
    cfg.session_event = session_cb;
    cs_sess_apply(&sopt, &cfg);
    cfg.dtls_heartbeat_ms = hb_ms; /* --heartbeat (heartbeat.c) */
    cs_pki_apply(&popt, &cfg);     /* --mtu */
    cfg.user = &s;
    /* Block1 uploads (RFC 7959 §2.5) are reassembled up to the store's byte cap. */
    cfg.block1_size = max_bytes < CS_TOOL_MAX_BODY ? max_bytes : CS_TOOL_MAX_BODY;
    cfg.block1_count = cfg.block1_size ? 2 : 0;
    /* Binds: per address, coap on PORT (NoSec mode or --nosec), coaps on PORT+1. */
    const char *hosts[2] = {addr ? addr : "0.0.0.0", "::"};
    size_t nhosts = addr ? 1 : 2;
    int rc = COAPSEC_ERR_INVAL;
    for (; nhosts >= 1; nhosts--) { /* no IPv6 on this host: IPv4 only */
        cfg.nbind = 0;
        for (size_t h = 0; h < nhosts; h++) {
            if (!secure || nosec) {
                cfg.bind[cfg.nbind].host = hosts[h];
                cfg.bind[cfg.nbind].port = (uint16_t)port;
                cfg.bind[cfg.nbind].security = COAPSEC_SEC_NOSEC;
                cfg.nbind++;
            }
            if (secure) {
                cfg.bind[cfg.nbind].host = hosts[h];
                cfg.bind[cfg.nbind].port = (uint16_t)(port ? port + 1 : 0);
                cfg.bind[cfg.nbind].security = COAPSEC_SEC_PSK;
                cfg.nbind++;
            }
        }
        rc = coapsec_endpoint_new(&cfg, &s.ep);
        if (rc == 0 || addr)
            break;
    }
    if (rc != 0) {
        /* explain.c: probe the ports to name the cause (in use, permission, address) */
        char why[512] = "";
        if (rc == COAPSEC_ERR_IO) {
            unsigned long ports[2] = {port, port + 1};
            for (int i = (!secure || nosec) ? 0 : 1; i < (secure ? 2 : 1) && !why[0]; i++)
                for (size_t h = 0; h < (addr ? 1u : 2u) && !why[0]; h++)
                    cs_explain_bind(hosts[h], ports[i], why, sizeof why);
        }
        if (why[0])
            fprintf(stderr, "coapsec server: %s\n", why);
        else
            fprintf(stderr, "coapsec server: cannot listen on %s port %lu: %s\n",
                    addr ? addr : "0.0.0.0/::", secure && !nosec ? port + 1 : port,
                    coapsec_strerror(rc));
        cs_store_free(&s.store);
        return CS_EXIT_FAIL;
    }
    if (secure && cs_keylog_setup(s.ep, keylog, "coapsec server") != 0) {
        coapsec_endpoint_free(s.ep);
        cs_store_free(&s.store);
        return CS_EXIT_USAGE;
    }
    if (secure) {
        coapsec_endpoint_set_psk_hint(s.ep, (const uint8_t *)hint, strlen(hint));
        if (keylen >= 0)
            coapsec_endpoint_set_default_psk(s.ep, key, (size_t)keylen);
        if (idfile && load_identities(s.ep, idfile, hint) < 0) {
            coapsec_endpoint_free(s.ep);
            cs_store_free(&s.store);
            return CS_EXIT_USAGE;
        }
        if (cs_pki_setup(&pst, &popt, s.ep, 1, "coapsec server") != 0) {
            coapsec_endpoint_free(s.ep);
            cs_store_free(&s.store);
            return CS_EXIT_USAGE;
        }
    }

    coapsec_coap_ctx *coap = coapsec_endpoint_coap(s.ep);
    const coapsec_coap_resource root = {"", h_root, &s, "ct=0;title=\"coapsec\"", 0};
    const coapsec_coap_resource tim = {"time", h_time, &s, "ct=0;rt=\"time\"", 0};
    if (coapsec_coap_add_resource(coap, &root) != 0 || coapsec_coap_add_resource(coap, &tim) != 0) {
        fprintf(stderr, "coapsec server: cannot register resources\n");
        coapsec_endpoint_free(s.ep);
        cs_store_free(&s.store);
        return CS_EXIT_FAIL;
    }
    coapsec_coap_set_fallback(coap, h_store, &s);
    if (cs_sess_start_sends(s.ep, &sopt) != 0) {
        coapsec_endpoint_free(s.ep);
        cs_store_free(&s.store);
        return CS_EXIT_USAGE;
    }
    coapsec_coap_set_observable(coap, "time", 1); /* RFC 7641: notified every second */

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (secure)
        cs_cli_log(1, "coapsec server: listening on udp port %lu (coaps, DTLS%s%s%s)%s",
                   port ? port + 1 : 0, keylen >= 0 || idfile ? "-PSK" : "", popt.rpk ? " RPK" : "",
                   popt.cert ? " X.509" : "", nosec ? " and plain coap" : "");
    else
        cs_cli_log(1, "coapsec server: listening on udp port %u",
                   (unsigned)coapsec_endpoint_local_port(s.ep, 0));
    int exit_code = CS_EXIT_OK;
    while (!stop_requested) {
        if (coapsec_endpoint_process(s.ep, cs_server_time_tick(s.ep)) < 0) {
            fprintf(stderr, "coapsec server: socket error\n");
            exit_code = CS_EXIT_FAIL;
            break;
        }
    }
    cs_sess_log_stats(s.ep, "coapsec server");
    cs_cli_log(1, "coapsec server: stopped");
    coapsec_endpoint_free(s.ep);
    cs_store_free(&s.store);
    return exit_code;
}
