/*
 * tools/sessions.c - session features of `coapsec` (see sessions.h):
 * server options --max-sessions, --max-handshakes, --idle-timeout, --protect,
 * --send, --send-timeout; client -K, --serve, --serve-for; the resources a
 * serving client offers (/, /time, a store) and the counters log line.
 */
#include "sessions.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "explain.h"
#include "store.h"

void cs_sess_opts_init(cs_sess_opts *o) {
    memset(o, 0, sizeof *o);
    o->send_timeout_s = 60;
}

void cs_sess_server_usage(FILE *f) {
    fputs("  --max-sessions N    cap on sessions (peers) held at once (default 256)\n"
          "  --max-handshakes N  cap on DTLS handshakes in progress (default 16)\n"
          "  --idle-timeout S    close sessions without input for S seconds (default: never)\n"
          "  --protect S         sessions active within S seconds are never evicted to make\n"
          "                      room for a new handshake (default 30)\n"
          "  --send 'ID METHOD PATH [PAYLOAD]'  send a request to the peer whose PSK\n"
          "                      identity is ID over its session (repeatable, up to 8);\n"
          "                      it waits until that peer connects; result on stdout\n"
          "  --send-timeout S    how long a --send request waits for its peer (default 60)\n",
          f);
}

int cs_sess_opt(cs_sess_opts *o, int c, const char *arg, const char *prog) {
    unsigned long *dst = NULL, min = 1, max = 86400;
    const char *what = "";
    switch (c) {
    case CS_OPT_MAX_SESSIONS:
        dst = &o->max_sessions, max = 1u << 20, what = "--max-sessions wants 1-1048576";
        break;
    case CS_OPT_MAX_HANDSHAKES:
        dst = &o->max_handshakes, max = 65536, what = "--max-handshakes wants 1-65536";
        break;
    case CS_OPT_IDLE:
        dst = &o->idle_s, what = "--idle-timeout wants seconds (1-86400)";
        break;
    case CS_OPT_PROTECT:
        dst = &o->protect_s, what = "--protect wants seconds (1-86400)";
        break;
    case CS_OPT_SEND_TIMEOUT:
        dst = &o->send_timeout_s, what = "--send-timeout wants seconds (1-86400)";
        break;
    case CS_OPT_SERVE_FOR:
        dst = &o->serve_for_s, what = "--serve-for wants seconds (1-86400)";
        o->serve = 1;
        break;
    case 'K':
        dst = &o->ping_s, what = "-K wants seconds (1-86400)";
        break;
    case CS_OPT_SERVE:
        o->serve = 1;
        return 0;
    case CS_OPT_SEND:
        if (o->nsend == CS_SESS_MAX_SEND) {
            fprintf(stderr, "%s: at most %d --send\n", prog, CS_SESS_MAX_SEND);
            return -1;
        }
        o->send[o->nsend++] = arg;
        return 0;
    default:
        return -1;
    }
    if (cs_cli_parse_ulong(arg, min, max, dst) != 0) {
        fprintf(stderr, "%s: %s\n", prog, what);
        return -1;
    }
    return 0;
}

void cs_sess_apply(const cs_sess_opts *o, coapsec_endpoint_config *cfg) {
    if (o->max_sessions)
        cfg->max_peers = (uint32_t)o->max_sessions;
    if (o->max_handshakes)
        cfg->max_handshakes = (uint32_t)o->max_handshakes;
    cfg->idle_timeout_ms = (uint32_t)(o->idle_s * 1000);
    cfg->protect_ms = (uint32_t)(o->protect_s * 1000);
    cfg->ping_interval_ms = (uint32_t)(o->ping_s * 1000);
}

/* ---- server --send ------------------------------------------------------------------ */

typedef struct send_req {
    char line[300];
    char id[COAPSEC_DTLS_PSK_ID_MAX + 1];
    char method[16];
    char path[200];
    const char *payload;
} send_req;

static send_req sends[CS_SESS_MAX_SEND];

static void send_done(void *user, int status, const coapsec_msg *resp, coapsec_peer_id peer) {
    (void)peer;
    const send_req *s = user;
    if (status != 0) {
        printf("send %s %s /%s: failed: %s%s\n", s->id, s->method, s->path,
               coapsec_strerror(status),
               status == COAPSEC_ERR_TIMEOUT ? " (the peer did not connect or answer)" : "");
    } else {
        char code[48];
        printf("send %s %s /%s: %s%s%.*s\n", s->id, s->method, s->path,
               cs_cli_code_str(resp->code, code, sizeof code), resp->payload_len ? " " : "",
               (int)resp->payload_len, (const char *)resp->payload);
    }
    fflush(stdout);
}

/* "ID METHOD PATH [PAYLOAD]": the payload is the rest of the line. */
static int parse_send(const char *arg, send_req *s) {
    memset(s, 0, sizeof *s);
    if (strlen(arg) >= sizeof s->line)
        return -1;
    strcpy(s->line, arg);
    char *save = NULL, *id = strtok_r(s->line, " ", &save);
    char *method = id ? strtok_r(NULL, " ", &save) : NULL;
    char *path = method ? strtok_r(NULL, " ", &save) : NULL;
    if (!path || strlen(id) > COAPSEC_DTLS_PSK_ID_MAX || strlen(method) >= sizeof s->method ||
        cs_cli_method(method) < 0)
        return -1;
    while (*path == '/')
        path++;
    if (strlen(path) >= sizeof s->path)
        return -1;
    strcpy(s->id, id);
    strcpy(s->method, method);
    strcpy(s->path, path);
    s->payload = save && *save ? save : NULL;
    return 0;
}

int cs_sess_start_sends(coapsec_endpoint *ep, const cs_sess_opts *o) {
    for (size_t i = 0; i < o->nsend; i++) {
        send_req *s = &sends[i];
        if (parse_send(o->send[i], s) != 0) {
            fprintf(stderr, "coapsec server: bad --send '%s' (ID METHOD PATH [PAYLOAD])\n",
                    o->send[i]);
            return -1;
        }
        coapsec_msg m;
        memset(&m, 0, sizeof m);
        m.type = COAPSEC_CON;
        m.code = (uint8_t)cs_cli_method(s->method);
        char *save = NULL;
        char segs[sizeof s->path];
        strcpy(segs, s->path);
        for (char *seg = strtok_r(segs, "/", &save); seg; seg = strtok_r(NULL, "/", &save))
            if (coapsec_msg_add_opt(&m, COAPSEC_OPT_URI_PATH, s->path + (seg - segs),
                                    strlen(seg)) != 0) {
                fprintf(stderr, "coapsec server: --send path has too many segments\n");
                return -1;
            }
        if (s->payload) {
            m.payload = (const uint8_t *)s->payload;
            m.payload_len = strlen(s->payload);
        }
        int rc =
            coapsec_endpoint_request_identity(ep, (const uint8_t *)s->id, strlen(s->id), &m,
                                              (uint32_t)(o->send_timeout_s * 1000), send_done, s);
        if (rc < 0) {
            fprintf(stderr, "coapsec server: --send '%s': %s\n", o->send[i], coapsec_strerror(rc));
            return -1;
        }
        cs_cli_log(1, "coapsec server: %s %s /%s waits for identity '%s'", s->method, s->id,
                   s->path, s->id);
    }
    return 0;
}

/* ---- events and counters ---------------------------------------------------------------- */

void cs_sess_log_stats(coapsec_endpoint *ep, const char *prog) {
    coapsec_session_stats st;
    coapsec_endpoint_session_stats(ep, &st);
    const coapsec_endpoint_stats *es = coapsec_endpoint_get_stats(ep);
    cs_cli_log(1,
               "%s: sessions %u/%u (dtls %u, as client %u), handshakes %u/%u (completed %llu, "
               "refused %llu, failed %llu, stalled %llu, past deadline %llu), evictions %llu "
               "(dead %llu), idle closed %llu, "
               "pings %llu/%llu answered, dead %llu",
               prog, st.sessions, st.max_sessions, st.secure_sessions, st.client_sessions,
               st.handshakes, st.max_handshakes, (unsigned long long)es->handshakes_completed,
               (unsigned long long)es->handshakes_refused,
               (unsigned long long)es->handshakes_failed,
               (unsigned long long)es->handshakes_stalled_dropped, /* endpoint/hspool.c */
               (unsigned long long)es->handshakes_deadline_dropped,
               (unsigned long long)st.evictions, (unsigned long long)st.evictions_dead,
               (unsigned long long)st.idle_closed, (unsigned long long)st.pings_sent,
               (unsigned long long)st.pings_answered, (unsigned long long)st.dead);
}

void cs_sess_event(coapsec_endpoint *ep, const coapsec_session_event *ev, const char *prog) {
    if (cs_cli_verbose < 1) /* all below logs at -v 1 */
        return;
    char a[80];
    cs_explain_addr(ev->addr, a, sizeof a);
    if (ev->type == COAPSEC_SESSION_EVICTED)
        cs_cli_log(1, "%s: session with %s evicted: %s", prog, a, ev->reason ? ev->reason : "");
    else if (ev->type == COAPSEC_SESSION_DEAD)
        cs_cli_log(1, "%s: peer %s is dead: %s", prog, a, ev->reason ? ev->reason : "");
    else if (ev->type == COAPSEC_SESSION_CLOSED && ev->reason)
        cs_cli_log(1, "%s: session with %s closed: %s", prog, a, ev->reason);
    else
        return;
    if (ep)
        cs_sess_log_stats(ep, prog);
}

/* ---- client --serve ------------------------------------------------------------------------ */

static cs_store serve_store;
static int serve_store_ready;
static volatile sig_atomic_t serve_stop;

static void on_serve_signal(int sig) {
    (void)sig;
    serve_stop = 1;
}

static void served(const coapsec_coap_req *req, uint8_t code) {
    char m[48], c[48];
    cs_cli_code_str(req->msg->code, m, sizeof m);
    cs_cli_log(1, "coapsec client: served %s /%s (%zu bytes) -> %s",
               strchr(m, ' ') ? strchr(m, ' ') + 1 : m, req->path, req->msg->payload_len,
               cs_cli_code_str(code, c, sizeof c));
}

static void serve_time(void *user, const coapsec_coap_req *req, coapsec_coap_response *resp) {
    (void)user;
    char buf[64];
    time_t t = time(NULL);
    struct tm tm;
    size_t n = gmtime_r(&t, &tm) ? strftime(buf, sizeof buf, "%b %d %H:%M:%S UTC", &tm) : 0;
    if (req->msg->code != COAPSEC_GET) {
        resp->msg.code = COAPSEC_METHOD_NOT_ALLOWED;
    } else {
        coapsec_coap_resp_uint(resp, COAPSEC_OPT_CONTENT_FORMAT, COAPSEC_CF_TEXT_PLAIN);
        coapsec_coap_resp_payload(resp, buf, n);
    }
    served(req, resp->msg.code);
}

static void serve_store_h(void *user, const coapsec_coap_req *req, coapsec_coap_response *resp) {
    (void)user;
    const coapsec_msg *m = req->msg;
    const cs_store_item *it;
    int rc;
    if (m->code == COAPSEC_GET) {
        if (!(it = cs_store_get(&serve_store, req->path))) {
            resp->msg.code = COAPSEC_NOT_FOUND;
        } else {
            if (it->cf >= 0)
                coapsec_coap_resp_uint(resp, COAPSEC_OPT_CONTENT_FORMAT, (uint32_t)it->cf);
            if (coapsec_coap_resp_payload(resp, it->data, it->len) != 0)
                resp->msg.code = COAPSEC_INTERNAL_SERVER_ERROR;
        }
    } else if ((m->code == COAPSEC_PUT || m->code == COAPSEC_POST) && req->path_len > 0) {
        const coapsec_opt *o = coapsec_msg_find(m, COAPSEC_OPT_CONTENT_FORMAT);
        uint32_t cf = 0;
        if (o && coapsec_opt_uint(o, &cf) != 0)
            cf = 0;
        rc = cs_store_put(&serve_store, req->path, o ? (int)cf : -1, m->payload, m->payload_len);
        resp->msg.code = rc == CS_STORE_CREATED    ? COAPSEC_CREATED
                         : rc == CS_STORE_REPLACED ? COAPSEC_CHANGED
                         : rc == COAPSEC_ERR_NOBUF ? COAPSEC_REQUEST_ENTITY_TOO_LARGE
                                                   : COAPSEC_SERVICE_UNAVAILABLE;
    } else if (m->code == COAPSEC_DELETE) {
        resp->msg.code =
            cs_store_delete(&serve_store, req->path) == 0 ? COAPSEC_DELETED : COAPSEC_NOT_FOUND;
    } else {
        resp->msg.code = COAPSEC_METHOD_NOT_ALLOWED;
    }
    served(req, resp->msg.code);
}

int cs_serve_setup(coapsec_endpoint *ep) {
    if (cs_store_init(&serve_store, 64, 65536) != 0)
        return -1;
    serve_store_ready = 1;
    coapsec_coap_ctx *coap = coapsec_endpoint_coap(ep);
    static const coapsec_coap_resource tim = {"time", serve_time, NULL, "ct=0;rt=\"time\"", 0};
    if (coapsec_coap_add_resource(coap, &tim) != 0)
        return -1;
    coapsec_coap_set_fallback(coap, serve_store_h, NULL);
    return 0;
}

void cs_serve_run(coapsec_endpoint *ep, unsigned long seconds) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_serve_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    cs_cli_log(1, "coapsec client: serving over the session(s) it opened%s",
               seconds ? "" : " until SIGINT/SIGTERM");
    coapsec_tstamp end = seconds ? coapsec_endpoint_now(ep) + (coapsec_tstamp)seconds * 1000 : 0;
    while (!serve_stop && (!end || coapsec_endpoint_now(ep) < end))
        if (coapsec_endpoint_process(ep, 500) < 0)
            break;
    cs_sess_log_stats(ep, "coapsec client");
    if (serve_store_ready)
        cs_store_free(&serve_store);
    serve_store_ready = 0;
}
