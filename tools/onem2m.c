/*
 * tools/onem2m.c - `coapsec onem2m`: send one oneM2M request primitive, given
 * as JSON with TS-0004 short names, to a CSE over coap:// or coaps:// (PSK, or
 * certificates / raw public keys with the client's options, pki.c) with the
 * TS-0008 §6 mapping, and print each response primitive as one line
 * of JSON. Response types (§6.3): blocking; non-blocking synch (1001, then the
 * <request> resource is retrieved until it has a result); non-blocking asynch
 * (1002, then the result arrives as a NOTIFY, which this endpoint serves on
 * the same DTLS session); flex-blocking (either). The originator timeout (-B,
 * or rqet when earlier) ends the request with REQUEST_TIMEOUT (4008) and later
 * responses are ignored (src/onem2m/originator.c).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "explain.h"
#include "loglevel.h"
#include "pki.h"
#include "coapsec/dtls.h"
#include "coapsec/endpoint.h"
#include "coapsec/onem2m.h"

#define CS_M2M_JSON_OUT 8192

enum { CS_OPT_M2M_JSON = 1400, CS_OPT_M2M_LEGACY };

typedef struct m2m_state {
    coapsec_endpoint *ep;
    int numbering;
    int nonconf;
    const char *uri;
    unsigned long poll_ms;
    coapsec_onem2m_orig orig;
    const coapsec_onem2m_prim *req; /* the request primitive */
    int done;                       /* the final result was printed */
    int final_rsc;
    int status; /* CoAP-level failure of the last exchange (0 = none) */
    int established;
    /* the first failed handshake, for explain.c */
    int failed, fail_err, fail_alert, fail_from_peer;
    char fail_text[256], peer[80];
    /* non-blocking synch: the <request> resource to retrieve */
    char reqres[256];
    int poll_due, poll_inflight;
    coapsec_tstamp next_poll;
    unsigned npoll;
    char poll_rqi[COAPSEC_ONEM2M_RQI_MAX + 16];
} m2m_state;

void cs_onem2m_usage(FILE *f) {
    fputs("usage: coapsec onem2m (--json JSON | -f FILE) [--legacy-options]\n"
          "                      [-u IDENTITY -k KEY] [-c CERT [-j KEY] -C CA] [-M KEY ...]\n"
          "                      [-B SECONDS] [-P MS] [-N] [-v LEVEL] URI\n"
          "  --json JSON the request primitive as JSON with TS-0004 short names, e.g.\n"
          "              '{\"op\":1,\"to\":\"cse-in\",\"fr\":\"CAdmin\",\"rqi\":\"r1\",\"ty\":2,\n"
          "                \"pc\":{\"m2m:ae\":{\"rn\":\"AE1\",\"api\":\"Nap\",\"rr\":true}}}'\n"
          "              rt gives the response type: 3 blocking, 1 non-blocking synch,\n"
          "              2 non-blocking asynch ({\"rtv\":2,\"nu\":[\"PATH\"]}), 4 flex-blocking\n"
          "  -f FILE     the request primitive from FILE ('-' = stdin)\n"
          "  --legacy-options  oneM2M option numbers before TS-0008 V3.7.0 (Eclipse OM2M)\n"
          "  -u IDENTITY PSK identity for coaps:// (text, or 0xHEX)\n"
          "  -k KEY      pre-shared key for coaps:// (text, or 0xHEX)\n",
          f);
    cs_pki_usage(f); /* pki.c: -c -j -C -R -M -n --rpk-trust --no-clock --mtu */
    fputs("  -B SECONDS  originator timeout (default 30); an earlier rqet wins. When it\n"
          "              passes, REQUEST_TIMEOUT (rsc 4008) is printed and late answers ignored\n"
          "  -P MS       non-blocking synch: retrieve the <request> resource every MS\n"
          "              milliseconds until it holds the result (default 200)\n"
          "  -N          send non-confirmable (NON) CoAP messages\n"
          "  -v LEVEL    0-9: 1 prints the CoAP responses, the DTLS suite and the CSE's\n"
          "              identity to stderr, 2 also the requests; library messages at\n"
          "              3 errors, 4 warnings, 6 info, 7 debug\n"
          "  URI         the CSE: coap://HOST[:PORT] or coaps://HOST[:PORT] (no path: the\n"
          "              primitive's \"to\" gives the Uri-Path)\n"
          "Prints every response primitive as one JSON line (non-blocking: the 1001/1002\n"
          "acknowledgement, then the result). Exit status: 0 when the result's rsc is\n"
          "1xxx/2xxx, 1 for an error rsc (4008 included), 2 on a usage error, 3 when no\n"
          "session could be set up or the CoAP exchange failed.\n",
          f);
}

static void log_cb(void *user, int level, const char *msg) {
    cs_cli_lib_log(user, level, msg); /* loglevel.c: libcoap's -v numbering */
}

static void session_cb(void *user, const coapsec_session_event *ev) {
    m2m_state *st = user;
    cs_cli_log_session(ev, "coapsec onem2m"); /* -v 8 */
    if (ev->type == COAPSEC_SESSION_FAILED && !st->established && !st->failed) {
        st->failed = 1; /* explain.c words it at exit */
        st->fail_err = ev->err;
        st->fail_alert = ev->alert;
        st->fail_from_peer = ev->alert_from_peer;
        snprintf(st->fail_text, sizeof st->fail_text, "%s", ev->reason ? ev->reason : "");
        cs_explain_addr(ev->addr, st->peer, sizeof st->peer);
    }
    if (ev->type == COAPSEC_SESSION_ESTABLISHED) {
        st->established = 1;
        cs_cli_log(1, "DTLS: %s (0x%04X)", cs_cli_suite_name(ev->suite), ev->suite);
        if (st->ep && cs_cli_verbose >= 1) {
            char who[256];
            cs_pki_peer_text(st->ep, ev->peer, who, sizeof who);
            cs_cli_log(1, "DTLS: CSE authenticated by %s", who);
        }
    }
}

static void print_prim(const coapsec_onem2m_prim *p) {
    static char out[CS_M2M_JSON_OUT];
    if (coapsec_onem2m_rsp_to_json(p, out, sizeof out) < 0) {
        fprintf(stderr, "coapsec onem2m: response too large to print\n");
        return;
    }
    printf("%s\n", out);
    fflush(stdout);
}

/* A result (CoAP response, <request> content or NOTIFY content) for our request. */
static void on_result(m2m_state *st, coapsec_onem2m_prim *p) {
    if (p->rqi.p == NULL) /* TS-0008 wants oneM2M-RQI; the token matched anyway */
        p->rqi = st->req->rqi;
    int ev = coapsec_onem2m_orig_response(&st->orig, p, coapsec_endpoint_now(st->ep));
    if (ev < 0) {
        cs_cli_log(1, "coapsec onem2m: ignoring a %s response (rsc %ld)",
                   ev == COAPSEC_ERR_TIMEOUT ? "late" : "unmatched", (long)p->rsc);
        return;
    }
    print_prim(p);
    if (ev == COAPSEC_ONEM2M_ORIG_FINAL) {
        st->done = 1;
        st->final_rsc = p->rsc;
        return;
    }
    /* Accepted: synch -> retrieve the <request> resource; asynch -> wait for NOTIFY. */
    if (p->rsc == COAPSEC_ONEM2M_RSC_ACCEPTED_NB_SYNCH) {
        if (p->loc.p == NULL || p->loc.len >= sizeof st->reqres) {
            fprintf(stderr, "coapsec onem2m: 1001 without a <request> resource to retrieve\n");
            st->done = 1;
            st->final_rsc = COAPSEC_ONEM2M_RSC_INTERNAL_SERVER_ERROR;
            return;
        }
        memcpy(st->reqres, p->loc.p, p->loc.len);
        st->reqres[p->loc.len] = '\0';
        st->poll_due = 1;
        st->next_poll = coapsec_endpoint_now(st->ep);
    }
}

static void on_response(void *user, int status, const coapsec_msg *resp, coapsec_peer_id peer) {
    (void)peer;
    m2m_state *st = user;
    static coapsec_onem2m_prim rsp;
    if (status != 0 || resp == NULL) {
        st->status = status;
        return;
    }
    if (cs_cli_verbose >= 1)
        cs_cli_dump_msg(stderr, "<- ", resp);
    int rc = coapsec_onem2m_rsp_from_coap(&rsp, resp, st->req->op, st->numbering);
    if (rc != 0) {
        fprintf(stderr, "coapsec onem2m: unreadable response: %s\n", coapsec_strerror(rc));
        st->status = rc;
        return;
    }
    on_result(st, &rsp);
}

/* Answer to a RETRIEVE of the <request> resource (non-blocking synch). */
static void on_poll(void *user, int status, const coapsec_msg *resp, coapsec_peer_id peer) {
    (void)peer;
    m2m_state *st = user;
    static coapsec_onem2m_prim rsp, res;
    st->poll_inflight = 0;
    if (status != 0 || resp == NULL) {
        st->status = status;
        return;
    }
    if (cs_cli_verbose >= 1)
        cs_cli_dump_msg(stderr, "<- ", resp);
    int rc = coapsec_onem2m_rsp_from_coap(&rsp, resp, COAPSEC_ONEM2M_OP_RETRIEVE, st->numbering);
    if (rc == 0 && rsp.rsc != COAPSEC_ONEM2M_RSC_OK) {
        print_prim(&rsp); /* the <request> resource could not be read */
        st->done = 1;
        st->final_rsc = rsp.rsc;
        return;
    }
    if (rc == 0 && rsp.pc.p != NULL)
        rc = coapsec_onem2m_result_from_json(&res, rsp.pc.p, rsp.pc.len);
    else if (rc == 0)
        rc = COAPSEC_ERR_FORMAT;
    if (rc < 0) {
        fprintf(stderr, "coapsec onem2m: unreadable <request> resource: %s\n",
                coapsec_strerror(rc));
        st->status = rc;
        return;
    }
    if (rc == 0) { /* still pending */
        st->poll_due = 1;
        st->next_poll = coapsec_endpoint_now(st->ep) + st->poll_ms;
        return;
    }
    on_result(st, &res);
}

/* Incoming requests: the NOTIFY carrying a non-blocking asynch result. */
static void on_request(void *user, const coapsec_coap_req *req, coapsec_coap_response *resp) {
    m2m_state *st = user;
    static coapsec_onem2m_prim n, res, ok;
    static uint8_t scratch[COAPSEC_ONEM2M_SCRATCH];
    if (cs_cli_verbose >= 1)
        cs_cli_dump_msg(stderr, "<= ", req->msg);
    int rc = coapsec_onem2m_req_from_coap(&n, req->msg, st->numbering);
    coapsec_onem2m_prim_init(&ok);
    ok.rqi = n.rqi;
    ok.rsc = COAPSEC_ONEM2M_RSC_OK;
    if (rc != 0 || n.op != COAPSEC_ONEM2M_OP_NOTIFY || n.pc.p == NULL) {
        uint8_t code;
        uint32_t rsc;
        coapsec_onem2m_err_rsp(rc != 0 ? rc : COAPSEC_ERR_BADOP, &code, &rsc);
        resp->msg.code = code;
        coapsec_coap_resp_uint(resp, coapsec_onem2m_optnum(COAPSEC_ONEM2M_P_RSC, st->numbering),
                               rsc);
        return;
    }
    rc = coapsec_onem2m_result_from_json(&res, n.pc.p, n.pc.len);
    if (rc != 1) {
        ok.rsc = COAPSEC_ONEM2M_RSC_BAD_REQUEST;
    } else {
        on_result(st, &res);
    }
    if (coapsec_onem2m_rsp_to_coap(&ok, COAPSEC_ONEM2M_OP_NOTIFY, st->numbering, &resp->msg,
                                   scratch, sizeof scratch) != 0)
        resp->msg.code = COAPSEC_INTERNAL_SERVER_ERROR;
}

/* Send a CoAP request for primitive p; cb gets the answer. */
static int send_prim(m2m_state *st, const coapsec_onem2m_prim *p, coapsec_response_cb cb) {
    static coapsec_msg m;
    static uint8_t scratch[COAPSEC_ONEM2M_SCRATCH];
    memset(&m, 0, sizeof m);
    m.type = st->nonconf ? COAPSEC_NON : COAPSEC_CON;
    int rc = coapsec_onem2m_req_to_coap(p, st->numbering, &m, scratch, sizeof scratch);
    if (rc != 0)
        return rc;
    if (cs_cli_verbose >= 2)
        cs_cli_dump_msg(stderr, "-> ", &m);
    rc = coapsec_endpoint_request(st->ep, st->uri, &m, 0, cb, st);
    return rc < 0 ? rc : 0;
}

static int send_poll(m2m_state *st) {
    static coapsec_onem2m_prim p;
    coapsec_onem2m_prim_init(&p);
    p.op = COAPSEC_ONEM2M_OP_RETRIEVE;
    p.to.p = st->reqres;
    p.to.len = strlen(st->reqres);
    p.fr = st->req->fr;
    int n = snprintf(st->poll_rqi, sizeof st->poll_rqi, "%.*s-%u", (int)st->req->rqi.len,
                     st->req->rqi.p, ++st->npoll);
    p.rqi.p = st->poll_rqi;
    p.rqi.len = (size_t)n;
    st->poll_due = 0;
    st->poll_inflight = 1;
    return send_prim(st, &p, on_poll);
}

/* The originator timeout in ms: -B, or until rqet when that is earlier; 0 when
 * rqet has already passed (the request must not be sent at all). */
static uint64_t timeout_ms(const coapsec_onem2m_prim *p, unsigned long wait_s) {
    uint64_t t = (uint64_t)wait_s * 1000u;
    uint64_t exp;
    if (p->rqet.p != NULL && coapsec_onem2m_time_parse(p->rqet, &exp) == 0) {
        time_t now = time(NULL);
        uint64_t left = exp > (uint64_t)now ? (exp - (uint64_t)now) * 1000u : 0;
        if (left < t)
            t = left;
    }
    return t;
}

int cs_onem2m_main(int argc, char **argv) {
    static coapsec_onem2m_prim req;
    static const struct option longopts[] = {
        {"json", required_argument, NULL, CS_OPT_M2M_JSON},
        {"legacy-options", no_argument, NULL, CS_OPT_M2M_LEGACY},
        {"help", no_argument, NULL, 'h'},
        CS_PKI_LONGOPTS,
        {NULL, 0, NULL, 0}};
    static m2m_state st;
    static cs_pki_opts popt; /* pki.c: certificates, raw public keys */
    static cs_pki_state pst;
    const char *json = NULL, *file = NULL;
    unsigned long wait_s = 30, verbose = 0, poll_ms = 200;
    uint8_t psk_id[COAPSEC_DTLS_PSK_ID_MAX], psk[COAPSEC_DTLS_PSK_KEY_MAX];
    long psk_idlen = -1, psklen = -1;
    int c;

    memset(&st, 0, sizeof st);
    cs_pki_opts_init(&popt);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":f:u:k:B:P:Nv:h" CS_PKI_SHORTOPTS, longopts, NULL)) !=
           -1) {
        switch (c) {
        case CS_OPT_M2M_JSON:
            json = optarg;
            break;
        case 'f':
            file = optarg;
            break;
        case 'j': /* the private key, as in client; the primitive was -j once */
            if (optarg[0] == '{') {
                fprintf(stderr, "coapsec onem2m: -j is the private key file (as in client); "
                                "give the request primitive with --json\n");
                return CS_EXIT_USAGE;
            }
            if (cs_pki_opt(&popt, c, optarg, "coapsec onem2m") != 0)
                return CS_EXIT_USAGE;
            break;
        case 'c':
        case 'C':
        case 'R':
        case 'M':
        case 'n':
        case CS_OPT_RPK_TRUST:
        case CS_OPT_NO_CLOCK:
        case CS_OPT_MTU:
            if (cs_pki_opt(&popt, c, optarg, "coapsec onem2m") != 0)
                return CS_EXIT_USAGE;
            break;
        case CS_OPT_M2M_LEGACY:
            st.numbering = COAPSEC_ONEM2M_NUM_LEGACY;
            break;
        case 'u':
            if ((psk_idlen = cs_cli_parse_key(optarg, psk_id, sizeof psk_id)) < 0) {
                fprintf(stderr, "coapsec onem2m: -u wants an identity of 1-%d bytes\n",
                        COAPSEC_DTLS_PSK_ID_MAX);
                return CS_EXIT_USAGE;
            }
            break;
        case 'k':
            if ((psklen = cs_cli_parse_key(optarg, psk, sizeof psk)) < 0) {
                fprintf(stderr, "coapsec onem2m: -k wants a key of 1-%d bytes\n",
                        COAPSEC_DTLS_PSK_KEY_MAX);
                return CS_EXIT_USAGE;
            }
            break;
        case 'B':
            if (cs_cli_parse_ulong(optarg, 1, 86400, &wait_s) != 0) {
                fprintf(stderr, "coapsec onem2m: -B wants seconds (1-86400)\n");
                return CS_EXIT_USAGE;
            }
            break;
        case 'P':
            if (cs_cli_parse_ulong(optarg, 10, 600000, &poll_ms) != 0) {
                fprintf(stderr, "coapsec onem2m: -P wants milliseconds (10-600000)\n");
                return CS_EXIT_USAGE;
            }
            break;
        case 'N':
            st.nonconf = 1;
            break;
        case 'v':
            if (cs_cli_parse_ulong(optarg, 0, 9, &verbose) != 0) {
                fprintf(stderr, "coapsec onem2m: -v wants a level 0-9\n");
                return CS_EXIT_USAGE;
            }
            cs_cli_verbose = (int)verbose;
            break;
        case 'h':
            cs_onem2m_usage(stdout);
            return CS_EXIT_OK;
        case ':':
            if (optopt >= CS_OPT_RPK_TRUST || optopt == 0)
                fprintf(stderr, "coapsec onem2m: option %s needs a value\n", argv[optind - 1]);
            else
                fprintf(stderr, "coapsec onem2m: option -%c needs a value\n", optopt);
            return CS_EXIT_USAGE;
        default:
            fprintf(stderr, "coapsec onem2m: unknown option '%s'\n", argv[optind - 1]);
            cs_onem2m_usage(stderr);
            return CS_EXIT_USAGE;
        }
    }
    if (optind != argc - 1 || (json == NULL) == (file == NULL)) {
        fprintf(stderr, "coapsec onem2m: one URI and exactly one of --json / -f expected\n");
        cs_onem2m_usage(stderr);
        return CS_EXIT_USAGE;
    }
    st.uri = argv[optind];
    st.poll_ms = poll_ms;
    static coapsec_uri u;
    if (coapsec_uri_parse(&u, st.uri) != 0 || u.nsegs > 1 || (u.nsegs == 1 && u.seg_len[0]) ||
        u.nqueries) {
        fprintf(stderr, "coapsec onem2m: URI must be coap[s]://HOST[:PORT] without a path\n");
        return CS_EXIT_USAGE;
    }
    int has_psk = psklen >= 0 && psk_idlen >= 0;
    if (u.secure && !has_psk && cs_pki_has_identity(&popt) && !popt.ca && !popt.roots &&
        !popt.rpk_trust && !popt.no_verify) {
        fprintf(stderr, "coapsec onem2m: nothing to verify the CSE with: give -C/-R CA "
                        "certificates, --rpk-trust FILE, or -n (testing only)\n");
        return CS_EXIT_USAGE;
    }
    if (u.secure && !has_psk && !cs_pki_active(&popt)) {
        fprintf(stderr, "coapsec onem2m: coaps:// needs a pre-shared key (-u IDENTITY -k KEY), "
                        "or certificates (-c CERT -j KEY -C CA) or a raw public key (-M KEY "
                        "--rpk-trust FILE)\n");
        return CS_EXIT_USAGE;
    }

    /* The primitive: it keeps pointing into the JSON text, which stays alive. */
    uint8_t *text = NULL;
    size_t tlen;
    if (file) {
        if (cs_cli_read_file(file, &text, &tlen) != 0)
            return CS_EXIT_USAGE;
    } else {
        tlen = strlen(json);
    }
    const char *jt = file ? (const char *)text : json;
    int rc = coapsec_onem2m_req_from_json(&req, jt, tlen, COAPSEC_ONEM2M_ABSENT);
    if (rc == 0 && req.op == COAPSEC_ONEM2M_ABSENT)
        rc = COAPSEC_ERR_BADOP;
    if (rc != 0) {
        fprintf(stderr, "coapsec onem2m: bad request primitive: %s\n", coapsec_strerror(rc));
        free(text);
        return CS_EXIT_USAGE;
    }
    static char rqi[32];
    if (req.rqi.p == NULL) { /* every request needs a Request Identifier */
        snprintf(rqi, sizeof rqi, "cs%08lx", (unsigned long)time(NULL));
        req.rqi.p = rqi;
        req.rqi.len = strlen(rqi);
    }
    st.req = &req;
    coapsec_onem2m_orig_init(&st.orig);
    coapsec_onem2m_recognise_options(st.numbering); /* else the engine refuses them (§5.4.1) */

    coapsec_endpoint_config cfg;
    coapsec_endpoint_config_default(&cfg);
    cfg.max_peers = 4;
    cfg.log = log_cb;
    cfg.session_event = session_cb;
    cfg.user = &st;
    cs_pki_apply(&popt, &cfg); /* --mtu */
    if ((rc = coapsec_endpoint_new(&cfg, &st.ep)) != 0) {
        fprintf(stderr, "coapsec onem2m: cannot create the endpoint: %s\n", coapsec_strerror(rc));
        free(text);
        return CS_EXIT_FAIL;
    }
    if (u.secure && cs_pki_setup(&pst, &popt, st.ep, 0, "coapsec onem2m") != 0) {
        coapsec_endpoint_free(st.ep);
        free(text);
        return CS_EXIT_USAGE;
    }
    if (u.secure && has_psk &&
        (rc = coapsec_endpoint_set_client_psk(st.ep, NULL, psk_id, (size_t)psk_idlen, psk,
                                              (size_t)psklen)) != 0) {
        fprintf(stderr, "coapsec onem2m: bad PSK: %s\n", coapsec_strerror(rc));
        coapsec_endpoint_free(st.ep);
        free(text);
        return CS_EXIT_USAGE;
    }
    /* The originator is a CoAP server too: the asynch result comes as a NOTIFY. */
    coapsec_coap_set_fallback(coapsec_endpoint_coap(st.ep), on_request, &st);

    coapsec_tstamp now = coapsec_endpoint_now(st.ep);
    uint64_t tmo_ms = timeout_ms(&req, wait_s);
    /* An expired request is not sent: REQUEST_TIMEOUT comes from the first expiry. */
    rc = coapsec_onem2m_orig_start(&st.orig, &req, tmo_ms ? tmo_ms : 1, now);
    if (rc == 0 && tmo_ms != 0)
        rc = send_prim(&st, &req, on_response);
    if (rc != 0) {
        fprintf(stderr, "coapsec onem2m: cannot send the request: %s\n", coapsec_strerror(rc));
        coapsec_endpoint_free(st.ep);
        free(text);
        return rc == COAPSEC_ERR_URI || rc == COAPSEC_ERR_NOPATH || rc == COAPSEC_ERR_BADOPT ||
                       rc == COAPSEC_ERR_UNSUPPORTED || rc == COAPSEC_ERR_BADUINT
                   ? CS_EXIT_USAGE
                   : CS_EXIT_FAIL;
    }

    int exit_code = CS_EXIT_FAIL;
    static coapsec_onem2m_prim tmo;
    while (!st.done && st.status == 0) {
        now = coapsec_endpoint_now(st.ep);
        if (coapsec_onem2m_orig_expire(&st.orig, &tmo, now)) {
            print_prim(&tmo); /* REQUEST_TIMEOUT; whatever comes later is ignored */
            st.done = 1;
            st.final_rsc = tmo.rsc;
            break;
        }
        if (st.poll_due && !st.poll_inflight && now >= st.next_poll && (rc = send_poll(&st)) != 0) {
            fprintf(stderr, "coapsec onem2m: cannot retrieve %s: %s\n", st.reqres,
                    coapsec_strerror(rc));
            break;
        }
        coapsec_tstamp wake = coapsec_onem2m_orig_expiry(&st.orig);
        if (st.poll_due && st.next_poll < wake)
            wake = st.next_poll;
        uint64_t left = wake > now ? wake - now : 0;
        if (coapsec_endpoint_process(st.ep, left > 1000 ? 1000 : (int)left) < 0) {
            fprintf(stderr, "coapsec onem2m: socket error\n");
            break;
        }
    }
    if (st.done) {
        exit_code = st.final_rsc >= 1000 && st.final_rsc < 3000 ? CS_EXIT_OK : CS_EXIT_RESPONSE;
    } else if (st.status == COAPSEC_ERR_HANDSHAKE) {
        cs_hs_failure hf; /* explain.c: cause and fix of a failed handshake */
        char hf_id[COAPSEC_DTLS_PSK_ID_MAX + 1], hf_peer[80], why[768];
        const char *last = coapsec_endpoint_last_error_text(st.ep);
        memset(&hf, 0, sizeof hf);
        snprintf(hf_id, sizeof hf_id, "%.*s", psk_idlen > 0 ? (int)psk_idlen : 0,
                 (const char *)psk_id);
        cs_explain_authority(st.uri, hf_peer, sizeof hf_peer);
        hf.psk_id = hf_id;
        hf.psk = has_psk;
        hf.pki = cs_pki_active(&popt);
        hf.identity = cs_pki_has_identity(&popt);
        hf.peer = st.peer[0] ? st.peer : hf_peer;
        hf.retransmits = 6; /* coapsec_dtls_config_default(): max_retransmits */
        hf.err = st.failed ? st.fail_err : COAPSEC_ERR_HANDSHAKE;
        hf.alert = st.failed ? st.fail_alert : COAPSEC_DTLS_ALERT_NONE;
        hf.alert_from_peer = st.fail_from_peer;
        hf.text = last[0] ? last : st.fail_text[0] ? st.fail_text : "unknown reason";
        fprintf(stderr, "coapsec onem2m: handshake failed: %s\n",
                cs_explain_handshake(&hf, why, sizeof why));
    } else if (st.status != 0) {
        fprintf(stderr, "coapsec onem2m: %s\n", coapsec_strerror(st.status));
    }
    coapsec_endpoint_free(st.ep);
    free(text);
    return exit_code;
}
