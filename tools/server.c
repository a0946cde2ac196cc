/*
 * tools/server.c - `coapsec server`: a CoAP server with libcoap's
 * coap-server option letters. Serves / (a banner), /time, the built-in
 * /.well-known/core and a bounded store (store.h) where PUT/POST create or
 * replace, GET reads and DELETE removes resources at any other path.
 * Exits cleanly on SIGINT/SIGTERM.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "coapsec/endpoint.h"
#include "store.h"

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
          "                      [--max-resources N] [--max-bytes N]\n"
          "  -A ADDRESS  local address to bind (IPv4 or IPv6; default: 0.0.0.0 and ::)\n"
          "  -p PORT     UDP port (default 5683)\n"
          "  -v LEVEL    0-9: 1 startup line, 3 one line per request, 4+ diagnostics\n"
          "  --max-resources N  cap on stored resources (default 256); beyond it 5.03\n"
          "  --max-bytes N      cap on the total stored payload bytes (default 1048576);\n"
          "                     beyond it 4.13\n"
          "Resources: / (banner), /time, /.well-known/core; PUT or POST on any other\n"
          "path stores a resource, GET reads it, DELETE removes it.\n",
          f);
}

static void log_request(server_state *s, const coapsec_coap_req *req, uint8_t code) {
    if (cs_cli_verbose < 3)
        return;
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
        if (coapsec_coap_resp_payload(resp, it->data, it->len) != 0)
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
    (void)user;
    cs_cli_log(4 + level, "coapsec: %s", msg);
}

int cs_server_main(int argc, char **argv) {
    static const struct option longopts[] = {
        {"max-resources", required_argument, NULL, 'R'},
        {"max-bytes", required_argument, NULL, 'Z'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *addr = NULL;
    unsigned long port = 5683, verbose = 0, max_items = 256, max_bytes = 1048576;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":A:p:v:h", longopts, NULL)) != -1) {
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
        case 'R':
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
        case 'h':
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
    coapsec_endpoint_config cfg;
    coapsec_endpoint_config_default(&cfg);
    cfg.log = log_cb;
    cfg.well_known_links = store_links;
    cfg.user = &s;
    if (addr) {
        cfg.bind[0].host = addr;
        cfg.bind[0].port = (uint16_t)port;
        cfg.nbind = 1;
    } else {
        cfg.bind[0].host = "0.0.0.0";
        cfg.bind[0].port = (uint16_t)port;
        cfg.bind[1].host = "::";
        cfg.bind[1].port = (uint16_t)port;
        cfg.nbind = 2;
    }
    int rc = coapsec_endpoint_new(&cfg, &s.ep);
    if (rc != 0 && !addr) { /* no IPv6 on this host: IPv4 only */
        cfg.nbind = 1;
        rc = coapsec_endpoint_new(&cfg, &s.ep);
    }
    if (rc != 0) {
        fprintf(stderr, "coapsec server: cannot listen on %s port %lu: %s\n",
                addr ? addr : "0.0.0.0/::", port, coapsec_strerror(rc));
        cs_store_free(&s.store);
        return CS_EXIT_FAIL;
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

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    cs_cli_log(1, "coapsec server: listening on udp port %u",
               (unsigned)coapsec_endpoint_local_port(s.ep, 0));
    int exit_code = CS_EXIT_OK;
    while (!stop_requested) {
        if (coapsec_endpoint_process(s.ep, 1000) < 0) {
            fprintf(stderr, "coapsec server: socket error\n");
            exit_code = CS_EXIT_FAIL;
            break;
        }
    }
    cs_cli_log(1, "coapsec server: stopped");
    coapsec_endpoint_free(s.ep);
    cs_store_free(&s.store);
    return exit_code;
}
