/*
 * examples/cse_stub.c - a minimal oneM2M CSE over CoAP (TS-0008) for
 * conformance runs: CSEBase "cse-in" (CSE-ID /id-in), AE registration
 * (CREATE ty=2), <container> (ty=3) and <contentInstance> (ty=4) CREATE, and
 * RETRIEVE of any of them, blocking or non-blocking: a request with rt 1
 * (synch) or 2 (asynch) is accepted with 1001/1002 and a <request> resource,
 * executed DELAY ms later, and its result is then retrievable from the
 * <request> resource (synch) or sent as a NOTIFY to the originator over the
 * same DTLS session (asynch). Flex-blocking (rt 4) is answered blocking.
 *
 *   cse_stub [-p PORT] [-A ADDRESS] [-u IDENTITY -k KEY]
 *            [-c CERT [-j KEY] -C CA] [-d DELAY_MS] [-L]
 *
 * With -u/-k and/or -c/-j/-C it serves coaps:// only, else coap://. -u/-k:
 * DTLS 1.2 PSK (TLS_PSK_WITH_AES_128_CCM_8). -c CERT (PEM chain, leaf
 * first; the key too unless -j KEY) with -C CA: certificates
 * (TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8), and every AE must present a
 * certificate chaining to CA. Both may be given: one port serves both.
 * Each established session is logged with the peer's validated identity
 * ("session: X.509 'CAE1' sha256:..."), each failed one with the reason,
 * and each request with the identity it came from. -L uses the option
 * numbers from before TS-0008 V3.7.0. Not a CSE: no access control, no
 * UPDATE/DELETE, no announcement, at most 64 resources.
 */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <coapsec/dtls.h>
#include <coapsec/endpoint.h>
#include <coapsec/onem2m.h>

#define MAX_RES 64
#define CSE     "cse-in"

typedef struct res {
    int ty;
    char path[160]; /* To form: cse-in/AE1/cnt1 */
    char rep[700];  /* JSON representation */
} res;

typedef struct job { /* a non-blocking request waiting to be executed */
    int used, idx, op, ty;
    coapsec_peer_id peer;
    coapsec_tstamp due;
    char to[160], fr[64], pc[700];
    size_t pc_len;
} job;

static res store[MAX_RES];
static int nres = 1, numbering;
static coapsec_onem2m_reqtab reqs;
static job jobs[COAPSEC_ONEM2M_MAX_REQRES];
static coapsec_endpoint *ep;
static unsigned long delay_ms = 300, seq;
static volatile sig_atomic_t stop;
static char out_pc[1024];
static coapsec_dtls_key *cert_key;       /* -c/-j: outlive the endpoint */
static coapsec_dtls_trust *client_trust; /* -C */

/* "X.509 'CAE1' sha256:..." / "PSK 'id'" for a secure peer, "NoSec" otherwise. */
static void peer_text(coapsec_peer_id peer, char *buf, size_t cap) {
    coapsec_peer_auth a;
    char fp[8 + 64 + 1] = "";
    if (coapsec_endpoint_peer_auth(ep, peer, &a) != 0) {
        snprintf(buf, cap, "NoSec");
        return;
    }
    if (a.has_sha256) {
        memcpy(fp, " sha256:", 8);
        for (int i = 0; i < 32; i++)
            snprintf(fp + 8 + 2 * i, 3, "%02x", a.sha256[i]);
    }
    snprintf(buf, cap, "%s '%s'%s",
             a.kind == COAPSEC_DTLS_AUTH_X509  ? "X.509"
             : a.kind == COAPSEC_DTLS_AUTH_RPK ? "raw public key"
             : a.kind == COAPSEC_DTLS_AUTH_PSK ? "PSK"
                                               : "unauthenticated",
             a.name, fp);
}

static void on_session(void *user, const coapsec_session_event *ev) {
    char who[256];
    (void)user;
    if (ev->type == COAPSEC_SESSION_ESTABLISHED) {
        peer_text(ev->peer, who, sizeof who);
        printf("%s session: %s (suite 0x%04X)\n", CSE, who, ev->suite);
    } else if (ev->type == COAPSEC_SESSION_FAILED) {
        printf("%s handshake failed: %s (%s)\n", CSE, ev->reason ? ev->reason : "",
               coapsec_strerror(ev->err));
    }
    fflush(stdout);
}

/* -c/-j/-C: our certificate identity; AEs must present a chain to the CA. */
static int setup_certs(const char *cert, const char *keyfile, const char *ca) {
    static uint8_t list[COAPSEC_ENDPOINT_CERT_LIST_MAX];
    size_t ll = 0;
    int rc = coapsec_dtls_key_load_file(&cert_key, keyfile ? keyfile : cert);
    if (rc != 0) {
        fprintf(stderr, "cse_stub: key %s: %s\n", keyfile ? keyfile : cert, coapsec_strerror(rc));
        return -1;
    }
    rc = coapsec_dtls_cert_list_load_file(cert, list, sizeof list, &ll);
    if (rc == 0)
        rc = coapsec_endpoint_set_identity(ep, cert_key, list, ll);
    if (rc != 0) {
        fprintf(stderr, "cse_stub: certificate %s: %s\n", cert, coapsec_strerror(rc));
        return -1;
    }
    rc = coapsec_dtls_trust_new(&client_trust);
    if (rc == 0)
        rc = coapsec_dtls_trust_add_file(client_trust, ca);
    if (rc == 0)
        rc = coapsec_endpoint_set_trust(ep, client_trust);
    if (rc != 0) {
        fprintf(stderr, "cse_stub: CA %s: %s\n", ca, coapsec_strerror(rc));
        return -1;
    }
    coapsec_endpoint_set_require_client_auth(ep, 1); /* every AE shows a certificate */
    return 0;
}

static void on_signal(int sig) {
    (void)sig;
    stop = 1;
}

static int find(const char *p, size_t n) {
    for (int i = 0; i < nres; i++)
        if (strlen(store[i].path) == n && memcmp(store[i].path, p, n) == 0)
            return i;
    return -1;
}

/* A member of obj as text: raw (with quotes for strings) into out, or "" if absent. */
static void member(coapsec_onem2m_str obj, const char *key, char *out, size_t cap) {
    coapsec_onem2m_str v;
    out[0] = '\0';
    if (obj.p && coapsec_onem2m_json_member(obj.p, obj.len, key, &v) == 0 && v.len < cap) {
        memcpy(out, v.p, v.len);
        out[v.len] = '\0';
    }
}

/* Execute CREATE or RETRIEVE: result rsc, out_pc (representation), loc. */
static int execute(int op, const char *to, size_t to_len, int ty, const char *fr,
                   coapsec_onem2m_str pc, char *loc, size_t loc_cap) {
    int pi = find(to, to_len);
    out_pc[0] = '\0';
    if (pi < 0)
        return COAPSEC_ONEM2M_RSC_NOT_FOUND;
    if (op == COAPSEC_ONEM2M_OP_RETRIEVE) {
        snprintf(out_pc, sizeof out_pc, "%s", store[pi].rep);
        return COAPSEC_ONEM2M_RSC_OK;
    }
    if (op != COAPSEC_ONEM2M_OP_CREATE)
        return COAPSEC_ONEM2M_RSC_NOT_IMPLEMENTED;
    static const char *const names[] = {"", "", "m2m:ae", "m2m:cnt", "m2m:cin"};
    int parent_ty = store[pi].ty;
    if (ty < 2 || ty > 4 || (ty == 2 && parent_ty != 5) ||
        (ty == 3 && parent_ty != 2 && parent_ty != 3) || (ty == 4 && parent_ty != 3))
        return ty >= 2 && ty <= 4 ? COAPSEC_ONEM2M_RSC_BAD_REQUEST
                                  : COAPSEC_ONEM2M_RSC_NOT_IMPLEMENTED;
    coapsec_onem2m_str body = {NULL, 0};
    if (pc.p == NULL || coapsec_onem2m_json_member(pc.p, pc.len, names[ty], &body) != 0 ||
        body.len == 0 || body.p[0] != '{')
        return COAPSEC_ONEM2M_RSC_BAD_REQUEST;
    if (nres == MAX_RES)
        return COAPSEC_ONEM2M_RSC_INTERNAL_SERVER_ERROR;
    char rn[72], a1[256], a2[256], id[64];
    member(body, "rn", rn, sizeof rn);
    seq++;
    if (rn[0] == '\0')
        snprintf(rn, sizeof rn, "\"%s%lu\"", ty == 2 ? "ae" : ty == 3 ? "cnt" : "cin", seq);
    if (rn[0] != '"' || strcspn(rn + 1, "\"\\/") != strlen(rn) - 2)
        return COAPSEC_ONEM2M_RSC_BAD_REQUEST; /* a plain string name */
    res *r = &store[nres];
    char pp[sizeof r->path]; /* the parent's path (a copy: snprintf into the same array) */
    memcpy(pp, store[pi].path, sizeof pp);
    int n = snprintf(r->path, sizeof r->path, "%s/%.*s", pp, (int)strlen(rn) - 2, rn + 1);
    if (n < 0 || (size_t)n >= sizeof r->path)
        return COAPSEC_ONEM2M_RSC_BAD_REQUEST;
    if (find(r->path, (size_t)n) >= 0)
        return COAPSEC_ONEM2M_RSC_CONFLICT;
    const char *ri_prefix = ty == 2 ? "C" : ty == 3 ? "cnt" : "cin";
    snprintf(id, sizeof id, "%s%lu", ri_prefix, seq);
    if (ty == 2 && fr && fr[0] == 'C' && strcspn(fr, "\"\\") == strlen(fr))
        snprintf(id, sizeof id, "%s", fr); /* the AE-ID the originator asked for */
    int len;
    if (ty == 2) {
        member(body, "api", a1, sizeof a1);
        member(body, "rr", a2, sizeof a2);
        if (a1[0] == '\0' || a2[0] == '\0')
            return COAPSEC_ONEM2M_RSC_BAD_REQUEST; /* api and rr are mandatory */
        len = snprintf(r->rep, sizeof r->rep,
                       "{\"m2m:ae\":{\"rn\":%s,\"ri\":\"%s\",\"pi\":\"%s\",\"ty\":2,"
                       "\"aei\":\"%s\",\"api\":%s,\"rr\":%s}}",
                       rn, id, pp, id, a1, a2);
    } else if (ty == 3) {
        len =
            snprintf(r->rep, sizeof r->rep,
                     "{\"m2m:cnt\":{\"rn\":%s,\"ri\":\"%s\",\"pi\":\"%s\",\"ty\":3}}", rn, id, pp);
    } else {
        member(body, "con", a1, sizeof a1);
        member(body, "cnf", a2, sizeof a2);
        if (a1[0] == '\0')
            return COAPSEC_ONEM2M_RSC_BAD_REQUEST;
        len = snprintf(
            r->rep, sizeof r->rep,
            "{\"m2m:cin\":{\"rn\":%s,\"ri\":\"%s\",\"pi\":\"%s\",\"ty\":4,\"con\":%s%s%s}}", rn, id,
            pp, a1, a2[0] ? ",\"cnf\":" : "", a2);
    }
    if (len < 0 || (size_t)len >= sizeof r->rep)
        return COAPSEC_ONEM2M_RSC_BAD_REQUEST;
    r->ty = ty;
    nres++;
    snprintf(out_pc, sizeof out_pc, "%s", r->rep);
    snprintf(loc, loc_cap, "%s", r->path);
    return COAPSEC_ONEM2M_RSC_CREATED;
}

/* Fill the CoAP response from a response primitive. */
static void answer(coapsec_coap_response *resp, coapsec_onem2m_prim *rsp, int op) {
    static uint8_t scratch[COAPSEC_ONEM2M_SCRATCH];
    if (rsp->pc.p == NULL && out_pc[0] && rsp->rsc < 3000 && op != COAPSEC_ONEM2M_OP_NOTIFY) {
        rsp->pc.p = out_pc;
        rsp->pc.len = strlen(out_pc);
        rsp->cf = COAPSEC_ONEM2M_CF_RES_JSON;
    }
    if (coapsec_onem2m_rsp_to_coap(rsp, op, numbering, &resp->msg, scratch, sizeof scratch) != 0)
        resp->msg.code = COAPSEC_INTERNAL_SERVER_ERROR;
}

static void on_request(void *user, const coapsec_coap_req *req, coapsec_coap_response *resp) {
    static coapsec_onem2m_prim rq, rsp;
    static char loc[160];
    (void)user;
    coapsec_onem2m_prim_init(&rsp);
    out_pc[0] = loc[0] = '\0';
    int rc = coapsec_onem2m_req_from_coap(&rq, req->msg, numbering);
    if (rc != 0) {
        uint8_t code;
        uint32_t rsc;
        coapsec_onem2m_err_rsp(rc, &code, &rsc);
        resp->msg.code = code;
        coapsec_coap_resp_uint(resp, coapsec_onem2m_optnum(COAPSEC_ONEM2M_P_RSC, numbering), rsc);
        return;
    }
    rsp.rqi = rq.rqi;
    rsp.fr.p = "/id-in";
    rsp.fr.len = 6;
    char who[256];
    peer_text(req->peer, who, sizeof who);
    printf("%s op=%d to=%.*s rt=%d fr=%.*s peer=%s\n", CSE, (int)rq.op, (int)rq.to.len, rq.to.p,
           (int)rq.rt, rq.fr.p ? (int)rq.fr.len : 0, rq.fr.p ? rq.fr.p : "", who);
    fflush(stdout);
    int ri = rq.to.len > sizeof CSE && memcmp(rq.to.p, CSE "/", sizeof CSE) == 0
                 ? coapsec_onem2m_reqtab_find(&reqs, rq.to.p + sizeof CSE, rq.to.len - sizeof CSE)
                 : -1;
    if (ri >= 0 && rq.op == COAPSEC_ONEM2M_OP_RETRIEVE) { /* a <request> resource */
        int n = coapsec_onem2m_reqtab_to_json(&reqs, ri, out_pc, sizeof out_pc);
        rsp.rsc = n > 0 ? COAPSEC_ONEM2M_RSC_OK : COAPSEC_ONEM2M_RSC_INTERNAL_SERVER_ERROR;
    } else if (rq.rt == COAPSEC_ONEM2M_RT_NONBLOCKING_SYNCH ||
               rq.rt == COAPSEC_ONEM2M_RT_NONBLOCKING_ASYNCH) {
        int idx = coapsec_onem2m_reqtab_accept(&reqs, &rq, CSE, &rsp, coapsec_endpoint_now(ep));
        job *j = idx >= 0 ? &jobs[idx] : NULL;
        if (j == NULL || rq.to.len >= sizeof j->to || rq.fr.len >= sizeof j->fr ||
            (rq.pc.p && rq.pc.len >= sizeof j->pc)) {
            coapsec_onem2m_prim_init(&rsp);
            rsp.rqi = rq.rqi;
            rsp.rsc = COAPSEC_ONEM2M_RSC_INTERNAL_SERVER_ERROR;
        } else {
            memset(j, 0, sizeof *j);
            j->used = 1, j->idx = idx, j->op = rq.op, j->ty = rq.ty, j->peer = req->peer;
            j->due = coapsec_endpoint_now(ep) + delay_ms;
            memcpy(j->to, rq.to.p, rq.to.len);
            if (rq.fr.p)
                memcpy(j->fr, rq.fr.p, rq.fr.len);
            if (rq.pc.p)
                memcpy(j->pc, rq.pc.p, rq.pc.len);
            j->pc_len = rq.pc.p ? rq.pc.len : 0;
        }
    } else {
        char fr[64] = "";
        if (rq.fr.p && rq.fr.len < sizeof fr)
            memcpy(fr, rq.fr.p, rq.fr.len), fr[rq.fr.len] = '\0';
        rsp.rsc = execute(rq.op, rq.to.p, rq.to.len, rq.ty, fr, rq.pc, loc, sizeof loc);
        if (rsp.rsc == COAPSEC_ONEM2M_RSC_CREATED)
            rsp.loc.p = loc, rsp.loc.len = strlen(loc);
    }
    answer(resp, &rsp, rq.op);
}

static void on_notify_answer(void *user, int status, const coapsec_msg *m, coapsec_peer_id peer) {
    (void)user;
    (void)peer;
    printf("%s NOTIFY answered: %s %u.%02u\n", CSE, status ? coapsec_strerror(status) : "ok",
           m ? m->code >> 5 : 0, m ? m->code & 31 : 0);
    fflush(stdout);
}

/* Execute the non-blocking requests whose time has come. */
static void run_jobs(void) {
    static coapsec_onem2m_prim result, ntfy;
    static char nbuf[1200], rqi[32], loc[160];
    static coapsec_msg m;
    static uint8_t scratch[COAPSEC_ONEM2M_SCRATCH];
    coapsec_tstamp now = coapsec_endpoint_now(ep);
    for (int i = 0; i < COAPSEC_ONEM2M_MAX_REQRES; i++) {
        job *j = &jobs[i];
        if (!j->used || now < j->due)
            continue;
        j->used = 0;
        coapsec_onem2m_str pc = {j->pc_len ? j->pc : NULL, j->pc_len};
        coapsec_onem2m_prim_init(&result);
        result.rsc = execute(j->op, j->to, strlen(j->to), j->ty, j->fr, pc, loc, sizeof loc);
        if (out_pc[0] && result.rsc < 3000) {
            result.pc.p = out_pc, result.pc.len = strlen(out_pc);
            result.cf = COAPSEC_ONEM2M_CF_RES_JSON;
        }
        coapsec_onem2m_reqtab_complete(&reqs, j->idx, &result);
        printf("%s %s done: rsc %d\n", CSE, reqs.r[j->idx].ri, (int)result.rsc);
        fflush(stdout);
        if (reqs.r[j->idx].rt != COAPSEC_ONEM2M_RT_NONBLOCKING_ASYNCH)
            continue;
        snprintf(rqi, sizeof rqi, "ntfy%lu", ++seq);
        memset(&m, 0, sizeof m);
        m.type = COAPSEC_CON;
        if (coapsec_onem2m_reqtab_notify(&reqs, j->idx, "/id-in", rqi, &ntfy, nbuf, sizeof nbuf) ||
            coapsec_onem2m_req_to_coap(&ntfy, numbering, &m, scratch, sizeof scratch) ||
            coapsec_coap_request(coapsec_endpoint_coap(ep), j->peer, &m, on_notify_answer, NULL,
                                 now) < 0)
            fprintf(stderr, "cse_stub: cannot send the NOTIFY of %s\n", reqs.r[j->idx].ri);
    }
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1", *id = NULL, *key = NULL;
    const char *cert = NULL, *keyfile = NULL, *ca = NULL;
    unsigned long port = 5684;
    for (int i = 1; i < argc; i++) {
        int more = i + 1 < argc;
        if (strcmp(argv[i], "-p") == 0 && more)
            port = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "-A") == 0 && more)
            host = argv[++i];
        else if (strcmp(argv[i], "-u") == 0 && more)
            id = argv[++i];
        else if (strcmp(argv[i], "-k") == 0 && more)
            key = argv[++i];
        else if (strcmp(argv[i], "-c") == 0 && more)
            cert = argv[++i];
        else if (strcmp(argv[i], "-j") == 0 && more)
            keyfile = argv[++i];
        else if (strcmp(argv[i], "-C") == 0 && more)
            ca = argv[++i];
        else if (strcmp(argv[i], "-d") == 0 && more)
            delay_ms = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "-L") == 0)
            numbering = COAPSEC_ONEM2M_NUM_LEGACY;
        else {
            fprintf(stderr, "usage: cse_stub [-p PORT] [-A ADDRESS] [-u IDENTITY -k KEY]\n"
                            "                [-c CERT [-j KEY] -C CA] [-d DELAY_MS] [-L]\n");
            return 2;
        }
    }
    if ((id == NULL) != (key == NULL) || port > 65535) {
        fprintf(stderr, "cse_stub: -u and -k go together; PORT is 0-65535\n");
        return 2;
    }
    if ((cert == NULL) != (ca == NULL) || (keyfile && !cert)) {
        fprintf(stderr, "cse_stub: -c CERT and -C CA go together (AEs must show a "
                        "certificate); -j KEY needs -c\n");
        return 2;
    }
    int secure = id != NULL || cert != NULL;
    store[0].ty = 5; /* CSEBase */
    snprintf(store[0].path, sizeof store[0].path, "%s", CSE);
    snprintf(store[0].rep, sizeof store[0].rep,
             "{\"m2m:cb\":{\"rn\":\"%s\",\"ri\":\"id-in\",\"ty\":5,\"csi\":\"/id-in\","
             "\"srt\":[2,3,4,5,17],\"poa\":[\"coap%s://%s:%lu\"]}}",
             CSE, secure ? "s" : "", host, port);
    coapsec_onem2m_reqtab_init(&reqs);
    coapsec_onem2m_recognise_options(numbering); /* the oneM2M options are critical */

    coapsec_endpoint_config cfg;
    coapsec_endpoint_config_default(&cfg);
    cfg.bind[0].host = host;
    cfg.bind[0].port = (uint16_t)port;
    cfg.bind[0].security = cert ? COAPSEC_SEC_CERT : id ? COAPSEC_SEC_PSK : COAPSEC_SEC_NOSEC;
    cfg.nbind = 1;
    cfg.session_event = on_session;
    int rc = coapsec_endpoint_new(&cfg, &ep);
    if (rc == 0 && id)
        rc = coapsec_endpoint_add_psk(ep, (const uint8_t *)id, strlen(id), (const uint8_t *)key,
                                      strlen(key));
    if (rc != 0) {
        fprintf(stderr, "cse_stub: %s\n", coapsec_strerror(rc));
        return 1;
    }
    if (cert && setup_certs(cert, keyfile, ca) != 0) {
        coapsec_endpoint_free(ep);
        coapsec_dtls_key_free(cert_key);
        coapsec_dtls_trust_free(client_trust);
        return 1;
    }
    coapsec_coap_set_fallback(coapsec_endpoint_coap(ep), on_request, NULL);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    printf("%s listening on coap%s://%s:%u\n", CSE, secure ? "s" : "", host,
           (unsigned)coapsec_endpoint_local_port(ep, 0));
    fflush(stdout);
    while (!stop) {
        if (coapsec_endpoint_process(ep, 50) < 0)
            break;
        run_jobs();
    }
    coapsec_endpoint_free(ep);
    coapsec_dtls_key_free(cert_key); /* borrowed by the endpoint until here */
    coapsec_dtls_trust_free(client_trust);
    return 0;
}
