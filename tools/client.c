/*
 * tools/client.c - `coapsec client`: send one CoAP request with libcoap's
 * coap-client option letters and print the response payload to stdout.
 * coaps:// URIs use DTLS 1.2 with the PSK given by -u/-k. Exit status: 0
 * on 2.xx, 1 on 4.xx/5.xx, 2 on usage errors, 3 when no response came or
 * the handshake failed (see docs/CLI.md).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "coapsec/dtls.h"
#include "explain.h"
#include "heartbeat.h"
#include "keylog.h"
#include "loglevel.h"
#include "coapsec/endpoint.h"
#include "sessions.h"
#include "pki.h"
#include "transfer.h"

#define CS_CLIENT_MAX_PAYLOAD (64u * 1024u)

typedef struct client_state {
    int done;
    int status;
    uint8_t code;
    uint8_t *payload; /* copy of the response payload */
    size_t payload_len;
    int established;      /* a DTLS session came up */
    coapsec_endpoint *ep; /* for the peer's identity (pki.c) */
    /* explain.c: the failed handshake, as the session event told it */
    int failed, fail_err, fail_alert, fail_from_peer;
    char fail_text[192];
    char peer[80];
} client_state;

void cs_client_usage(FILE *f) {
    fputs("usage: coapsec client [-m METHOD] [-e TEXT | -f FILE] [-t TYPE] [-A TYPE]\n"
          "                      [-O NUM,TEXT|NUM,0xHEX]... [-N] [-T TOKEN] [-B SECONDS]\n"
          "                      [-o FILE] [-U] [-u IDENTITY -k KEY] [-b [NUM,]SIZE]\n"
          "                      [-s SECONDS] [--ack-timeout MS] [-v LEVEL] URI\n"
          "  -m METHOD   get (default), put, post, delete, fetch, patch, ipatch\n"
          "  -e TEXT     request payload (%XX escapes are decoded)\n"
          "  -f FILE     request payload from FILE ('-' = stdin)\n"
          "  -t TYPE     Content-Format of the payload: number or name (text/plain,\n"
          "              application/json, application/cbor, application/link-format,\n"
          "              application/octet-stream, or libcoap's short names)\n"
          "  -A TYPE     Accept option, same names as -t\n"
          "  -O NUM,VAL  add option NUM with text VAL, or bytes with NUM,0xHEX (repeatable)\n"
          "  -N          send a non-confirmable (NON) request\n"
          "  -T TOKEN    request token (text, 1-8 bytes)\n"
          "  -B SECONDS  give up after SECONDS without a response (default 90)\n"
          "  -o FILE     write the response payload to FILE instead of stdout\n"
          "  -U          do not add Uri-Host / Uri-Port options\n"
          "  -u IDENTITY PSK identity for coaps:// (text, or 0xHEX)\n"
          "  -k KEY      pre-shared key for coaps:// (text, or 0xHEX; >= 16 bytes advised)\n"
          "  -b [NUM,]SIZE  block size 16..1024 (power of two) for block-wise transfers\n"
          "              (RFC 7959; default 1024), optionally starting a GET at block NUM\n"
          "              (NUM:SIZE also accepted). Bodies larger than one block always go\n"
          "              block-wise; large responses are reassembled (up to 16 MiB)\n"
          "  -s SECONDS  observe the resource (RFC 7641) for SECONDS, printing each\n"
          "              notification's payload on a line of its own, then deregister\n"
          "  --ack-timeout MS  RFC 7252 ACK_TIMEOUT in milliseconds (default 2000)\n"
          "  -p PORT     local UDP port to send from (default: ephemeral)\n"
          "  -K SECONDS  CoAP ping (empty CON) after SECONDS without input: keeps the\n"
          "              session and NAT bindings open (libcoap -K)\n"
          "  --serve     after the response, stay up serving /time and a store (PUT/POST\n"
          "              create, GET reads, DELETE removes) to the server over the\n"
          "              session the client opened, until SIGINT/SIGTERM; with coaps://\n"
          "              all plaintext CoAP is dropped and no handshake is accepted\n"
          "  --serve-for SECONDS  like --serve, then exit\n"
          "  -v LEVEL    0-9 as in libcoap: 1 prints the response code and options to\n"
          "              stderr, 2 also the request; library messages from 3 (errors),\n"
          "              4 (warnings), 6 (info), 7 (debug); 8 every DTLS session event\n"
          "  --keylog FILE  append the DTLS secrets of each session to FILE (NSS key log\n"
          "              format, for Wireshark); SSLKEYLOGFILE=FILE does the same.\n"
          "              Anyone with FILE can decrypt the traffic: debugging only\n"
          "  URI         coap://HOST[:PORT]/PATH[?QUERY]  (IPv6: coap://[::1]:5683/)\n"
          "              or coaps://HOST[:PORT]/... (DTLS 1.2 with -u/-k PSK, or a\n"
          "              certificate/raw public key below; default port 5684)\n"
          "Exit status: 0 on a 2.xx response, 1 on 4.xx/5.xx, 2 on a usage error,\n"
          "3 when no response arrived or the DTLS handshake failed.\n",
          f);
    cs_pki_usage(f); /* pki.c: -c -j -C -R -M -n --rpk-trust --no-clock --mtu */
    cs_hb_usage(f);  /* heartbeat.c: --heartbeat */
}

static void on_response(void *user, int status, const coapsec_msg *resp, coapsec_peer_id peer) {
    (void)peer;
    client_state *st = user;
    st->done = 1;
    st->status = status;
    if (status != 0 || !resp)
        return;
    st->code = resp->code;
    if (cs_cli_verbose >= 1)
        cs_cli_dump_msg(stderr, "<- ", resp);
    if (resp->payload_len) {
        st->payload = malloc(resp->payload_len);
        if (st->payload) {
            memcpy(st->payload, resp->payload, resp->payload_len);
            st->payload_len = resp->payload_len;
        }
    }
}

static void log_cb(void *user, int level, const char *msg) {
    cs_cli_lib_log(user, level, msg); /* loglevel.c: libcoap's -v numbering */
}

static void session_cb(void *user, const coapsec_session_event *ev) {
    client_state *st = user;
    cs_cli_log_session(ev, "coapsec client"); /* -v 8 */
    if (ev->type == COAPSEC_SESSION_FAILED && !st->established) {
        st->failed = 1; /* explain.c words it at exit */
        st->fail_err = ev->err;
        st->fail_alert = ev->alert;
        st->fail_from_peer = ev->alert_from_peer;
        snprintf(st->fail_text, sizeof st->fail_text, "%s", ev->reason ? ev->reason : "");
        cs_explain_addr(ev->addr, st->peer, sizeof st->peer);
    }
    if (ev->type == COAPSEC_SESSION_ESTABLISHED) {
        st->established = 1;
        cs_cli_log(1, "DTLS: %s (0x%04X), handshake %u ms", cs_cli_suite_name(ev->suite), ev->suite,
                   (unsigned)ev->handshake_ms);
        if (st->ep && cs_cli_verbose >= 1) {
            char who[256];
            cs_pki_peer_text(st->ep, ev->peer, who, sizeof who);
            cs_cli_log(1, "DTLS: server authenticated by %s", who);
        }
    }
    if (ev->type == COAPSEC_SESSION_RESUMED)
        cs_cli_log(1, "DTLS: session resumed (abbreviated handshake)");
    cs_sess_event(NULL, ev, "coapsec client");
}

int cs_client_main(int argc, char **argv) {
    static cs_cli_opt extra[CS_CLI_MAX_OPTS];
    static uint8_t etext[CS_CLIENT_MAX_PAYLOAD];
    size_t nextra = 0;
    int method = COAPSEC_GET, nonconf = 0;
    long cf = -1, accept = -1;
    const char *text = NULL, *file = NULL, *outfile = NULL, *token = NULL;
    unsigned long wait_s = 90, verbose = 0;
    unsigned flags = 0;
    uint8_t psk_id[COAPSEC_DTLS_PSK_ID_MAX], psk[COAPSEC_DTLS_PSK_KEY_MAX];
    long psk_idlen = -1, psklen = -1;
    int c, block_szx = -1;
    uint32_t block_num = 0;
    unsigned long observe_s = 0;
    static cs_sess_opts sopt; /* sessions.c: -K, --serve */
    static cs_pki_opts popt;  /* pki.c: certificates, raw public keys */
    static cs_pki_state pst;
    cs_pki_opts_init(&popt);
    unsigned long lport = 0;
    cs_sess_opts_init(&sopt);

    optind = 1;
    opterr = 0;
    static const struct option longopts[] = {
        {"ack-timeout", required_argument, NULL, 1000},
        {"serve", no_argument, NULL, CS_OPT_SERVE},
        {"serve-for", required_argument, NULL, CS_OPT_SERVE_FOR},
        CS_KEYLOG_LONGOPT,
        CS_HB_LONGOPT,
        CS_PKI_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    unsigned long ack_timeout = 0;
    const char *keylog = NULL; /* --keylog FILE (keylog.c) */
    uint32_t hb_ms = 0;        /* --heartbeat SECONDS (heartbeat.c) */
    while ((c = getopt_long(argc, argv, ":m:e:f:t:A:O:NT:B:o:Uu:k:v:hb:s:p:K:" CS_PKI_SHORTOPTS,
                            longopts, NULL)) != -1) {
        switch (c) {
        case 'm':
            if ((method = cs_cli_method(optarg)) < 0) {
                fprintf(stderr, "coapsec client: unknown method '%s'\n", optarg);
                return CS_EXIT_USAGE;
            }
            break;
        case 'e':
            text = optarg;
            break;
        case 'f':
            file = optarg;
            break;
        case 't':
        case 'A': {
            long v = cs_cli_content_format(optarg);
            if (v < 0) {
                fprintf(stderr, "coapsec client: unknown content format '%s'\n", optarg);
                return CS_EXIT_USAGE;
            }
            *(c == 't' ? &cf : &accept) = v;
            break;
        }
        case 'O':
            if (nextra == CS_CLI_MAX_OPTS || cs_cli_parse_opt(optarg, &extra[nextra]) != 0) {
                fprintf(stderr, "coapsec client: bad option '-O %s' (NUM,TEXT or NUM,0xHEX)\n",
                        optarg);
                return CS_EXIT_USAGE;
            }
            nextra++;
            break;
        case 'N':
            nonconf = 1;
            break;
        case 'T':
            token = optarg;
            if (strlen(token) < 1 || strlen(token) > COAPSEC_MAX_TOKEN) {
                fprintf(stderr, "coapsec client: token must be 1-8 bytes\n");
                return CS_EXIT_USAGE;
            }
            break;
        case 'B':
            if (cs_cli_parse_ulong(optarg, 1, 86400, &wait_s) != 0) {
                fprintf(stderr, "coapsec client: -B wants seconds (1-86400)\n");
                return CS_EXIT_USAGE;
            }
            break;
        case 'o':
            outfile = optarg;
            break;
        case 'U':
            flags |= COAPSEC_EP_NO_URI_HOST_PORT;
            break;
        case 'u':
            if ((psk_idlen = cs_cli_parse_key(optarg, psk_id, sizeof psk_id)) < 0) {
                fprintf(stderr, "coapsec client: -u wants an identity of 1-%d bytes\n",
                        COAPSEC_DTLS_PSK_ID_MAX);
                return CS_EXIT_USAGE;
            }
            break;
        case 'k':
            if ((psklen = cs_cli_parse_key(optarg, psk, sizeof psk)) < 0) {
                fprintf(stderr, "coapsec client: -k wants a key of 1-%d bytes (text or 0xHEX)\n",
                        COAPSEC_DTLS_PSK_KEY_MAX);
                return CS_EXIT_USAGE;
            }
            break;
        case 'v':
            if (cs_cli_parse_ulong(optarg, 0, 9, &verbose) != 0) {
                fprintf(stderr, "coapsec client: -v wants a level 0-9\n");
                return CS_EXIT_USAGE;
            }
            cs_cli_verbose = (int)verbose;
            break;
        case 'b':
            if (cs_cli_parse_block(optarg, &block_szx, &block_num) != 0) {
                fprintf(stderr, "coapsec client: -b wants [NUM,]SIZE with SIZE 16, 32, 64, "
                                "128, 256, 512 or 1024\n");
                return CS_EXIT_USAGE;
            }
            break;
        case 1000:
            if (cs_cli_parse_ulong(optarg, 10, 60000, &ack_timeout) != 0) {
                fprintf(stderr, "coapsec client: --ack-timeout wants milliseconds (10-60000)\n");
                return CS_EXIT_USAGE;
            }
            break;
        case 's':
            if (cs_cli_parse_ulong(optarg, 1, 86400, &observe_s) != 0) {
                fprintf(stderr, "coapsec client: -s wants seconds (1-86400)\n");
                return CS_EXIT_USAGE;
            }
            break;
        case 'p':
            if (cs_cli_parse_ulong(optarg, 1, 65535, &lport) != 0) {
                fprintf(stderr, "coapsec client: -p wants a port (1-65535)\n");
                return CS_EXIT_USAGE;
            }
            break;
        case 'K':
        case CS_OPT_SERVE:
        case CS_OPT_SERVE_FOR:
            if (cs_sess_opt(&sopt, c, optarg, "coapsec client") != 0)
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
            if (cs_pki_opt(&popt, c, optarg, "coapsec client") != 0)
                return CS_EXIT_USAGE;
            break;
        case CS_OPT_HEARTBEAT: /* heartbeat.c */
            if (cs_hb_opt(optarg, &hb_ms, "coapsec client") != 0)
                return CS_EXIT_USAGE;
            break;
        case CS_OPT_KEYLOG:
            keylog = optarg;
            break;
        case 'h':
            cs_client_usage(stdout);
            return CS_EXIT_OK;
        case ':':
            fprintf(stderr, "coapsec client: option -%c needs a value\n", optopt);
            cs_client_usage(stderr);
            return CS_EXIT_USAGE;
        default:
            fprintf(stderr, "coapsec client: unknown option -%c\n", optopt);
            cs_client_usage(stderr);
            return CS_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "coapsec client: exactly one URI expected\n");
        cs_client_usage(stderr);
        return CS_EXIT_USAGE;
    }
    const char *uri = argv[optind];
    if (text && file) {
        fprintf(stderr, "coapsec client: -e and -f exclude each other\n");
        return CS_EXIT_USAGE;
    }
    int secure = strncmp(uri, "coaps://", 8) == 0;
    int has_psk = psklen >= 0 && psk_idlen >= 0;
    if (secure && !has_psk && cs_pki_has_identity(&popt) && !popt.ca && !popt.roots &&
        !popt.rpk_trust && !popt.no_verify) {
        fprintf(stderr, "coapsec client: nothing to verify the server with: give -C/-R CA "
                        "certificates, --rpk-trust FILE, or -n (testing only)\n");
        return CS_EXIT_USAGE;
    }
    if (secure && !has_psk && !cs_pki_active(&popt)) {
        fprintf(stderr, "coapsec client: coaps:// needs a pre-shared key (-u IDENTITY -k KEY), "
                        "or certificates (-c CERT -j KEY -C CA) or a raw public key (-M KEY "
                        "--rpk-trust FILE)\n");
        return CS_EXIT_USAGE;
    }
    if (secure && has_psk && psklen < COAPSEC_ENDPOINT_PSK_MIN_WARN)
        fprintf(stderr,
                "coapsec client: warning: the PSK is only %ld bytes; TS-0008 wants keys that "
                "resist brute force (>= %d random bytes)\n",
                psklen, COAPSEC_ENDPOINT_PSK_MIN_WARN);

    /* The request. */
    static coapsec_msg req;
    memset(&req, 0, sizeof req);
    req.type = nonconf ? COAPSEC_NON : COAPSEC_CON;
    req.code = (uint8_t)method;
    if (token) {
        req.tkl = (uint8_t)strlen(token);
        memcpy(req.token, token, req.tkl);
    }
    uint8_t *fdata = NULL;
    if (text) {
        long n = cs_cli_percent_decode(text, etext, sizeof etext);
        if (n < 0) {
            fprintf(stderr, "coapsec client: bad %%-escape in -e text, or text too long\n");
            return CS_EXIT_USAGE;
        }
        req.payload = etext;
        req.payload_len = (size_t)n;
    } else if (file) {
        size_t n;
        if (cs_cli_read_file(file, &fdata, &n) != 0)
            return CS_EXIT_USAGE;
        req.payload = fdata;
        req.payload_len = n;
    }
    uint8_t cfbuf[4], acbuf[4];
    int rc = 0;
    if (cf >= 0)
        rc = coapsec_msg_add_uint(&req, COAPSEC_OPT_CONTENT_FORMAT, (uint32_t)cf, cfbuf);
    if (rc == 0 && accept >= 0)
        rc = coapsec_msg_add_uint(&req, COAPSEC_OPT_ACCEPT, (uint32_t)accept, acbuf);
    for (size_t i = 0; rc == 0 && i < nextra; i++)
        rc = coapsec_msg_add_opt(&req, extra[i].num, extra[i].val, extra[i].len);
    if (rc != 0) {
        fprintf(stderr, "coapsec client: too many options\n");
        free(fdata);
        return CS_EXIT_USAGE;
    }

    coapsec_endpoint_config cfg;
    coapsec_endpoint_config_default(&cfg);
    cfg.max_peers = 4;
    coapsec_coap_params params; /* RFC 7252 §4.8: ACK_TIMEOUT may be changed */
    coapsec_coap_params_default(&params);
    if (ack_timeout) {
        params.ack_timeout_ms = (uint32_t)ack_timeout;
        params.processing_delay_ms = (uint32_t)ack_timeout;
        cfg.params = &params;
    }
    cfg.log = log_cb;
    cfg.session_event = session_cb;
    cs_sess_apply(&sopt, &cfg);
    cfg.dtls_heartbeat_ms = hb_ms; /* --heartbeat (heartbeat.c) */
    cs_pki_apply(&popt, &cfg);     /* --mtu */
    if (lport) {
        cfg.bind[0].host = "0.0.0.0";
        cfg.bind[0].port = (uint16_t)lport;
        cfg.nbind = 1;
    }
    cfg.dtls_only = sopt.serve && secure; /* DTLS client only: never plaintext */
    client_state st;
    memset(&st, 0, sizeof st);
    cfg.user = &st;
    coapsec_endpoint *ep;
    if ((rc = coapsec_endpoint_new(&cfg, &ep)) != 0) {
        fprintf(stderr, "coapsec client: cannot create the endpoint: %s\n", coapsec_strerror(rc));
        free(fdata);
        return CS_EXIT_FAIL;
    }
    st.ep = ep;
    if (secure && cs_keylog_setup(ep, keylog, "coapsec client") != 0) {
        coapsec_endpoint_free(ep);
        free(fdata);
        return CS_EXIT_USAGE;
    }
    if (secure && cs_pki_setup(&pst, &popt, ep, 0, "coapsec client") != 0) {
        coapsec_endpoint_free(ep);
        free(fdata);
        return CS_EXIT_USAGE;
    }
    if (secure && has_psk &&
        (rc = coapsec_endpoint_set_client_psk(ep, NULL, psk_id, (size_t)psk_idlen, psk,
                                              (size_t)psklen)) != 0) {
        fprintf(stderr, "coapsec client: bad PSK: %s\n", coapsec_strerror(rc));
        coapsec_endpoint_free(ep);
        free(fdata);
        return CS_EXIT_USAGE;
    }
    if (sopt.serve && cs_serve_setup(ep) != 0) { /* resources up before the session is */
        fprintf(stderr, "coapsec client: cannot register the served resources\n");
        coapsec_endpoint_free(ep);
        free(fdata);
        return CS_EXIT_FAIL;
    }
    if (cs_cli_verbose >= 2)
        cs_cli_dump_msg(stderr, "-> ", &req);
    if (observe_s) {
        FILE *oout = outfile ? fopen(outfile, "wb") : stdout;
        int ox = CS_EXIT_FAIL;
        if (!oout)
            fprintf(stderr, "coapsec client: cannot write %s\n", outfile);
        else
            ox = cs_client_observe(ep, uri, &req, flags, observe_s, wait_s, oout);
        if (oout && oout != stdout && fclose(oout) != 0)
            ox = CS_EXIT_FAIL;
        coapsec_endpoint_free(ep);
        free(fdata);
        fflush(stdout);
        return ox;
    }
    /* Bodies larger than a block go block-wise (RFC 7959 §2.5); a Block2
     * response to a GET is reassembled in body (§2.4). The request payload
     * stays valid until the end: the blocks are cut from it as they go. */
    uint8_t *body = method == COAPSEC_GET ? malloc(CS_TOOL_MAX_BODY) : NULL;
    coapsec_coap_xfer xfer = {block_szx, body, body ? CS_TOOL_MAX_BODY : 0, block_num};
    rc = coapsec_endpoint_request_ex(ep, uri, &req, flags, &xfer, on_response, &st);
    if (rc < 0) {
        free(fdata);
        fdata = NULL;
    }
    if (rc < 0) {
        int exit_code = CS_EXIT_FAIL;
        if (rc == COAPSEC_ERR_URI) {
            char why[512];
            fprintf(stderr, "coapsec client: %s\n", cs_explain_uri(uri, why, sizeof why));
            exit_code = CS_EXIT_USAGE;
        } else if (rc == COAPSEC_ERR_NOTFOUND) {
            fprintf(stderr, "coapsec client: cannot resolve the host of '%s'\n", uri);
        } else if (rc == COAPSEC_ERR_NOBUF) {
            fprintf(stderr,
                    "coapsec client: request too large (%zu-byte payload; options and token "
                    "leave no room for a block)\n",
                    req.payload_len);
            exit_code = CS_EXIT_USAGE;
        } else {
            fprintf(stderr, "coapsec client: cannot send the request: %s\n", coapsec_strerror(rc));
        }
        coapsec_endpoint_free(ep);
        free(body);
        return exit_code;
    }

    coapsec_tstamp deadline = coapsec_endpoint_now(ep) + (coapsec_tstamp)wait_s * 1000u;
    while (!st.done) {
        coapsec_tstamp now = coapsec_endpoint_now(ep);
        if (now >= deadline)
            break;
        uint64_t left = deadline - now;
        if (coapsec_endpoint_process(ep, left > 1000 ? 1000 : (int)left) < 0) {
            fprintf(stderr, "coapsec client: socket error\n");
            break;
        }
    }
    if (sopt.serve && st.done && st.status == 0)
        cs_serve_run(ep, sopt.serve_for_s); /* sessions.c */
    char hs_error[200];
    snprintf(hs_error, sizeof hs_error, "%s", coapsec_endpoint_last_error_text(ep));
    coapsec_endpoint_free(ep);
    free(fdata);
    free(body);

    int exit_code;
    cs_hs_failure hf; /* explain.c: cause and fix of a failed handshake */
    memset(&hf, 0, sizeof hf);
    char hf_id[COAPSEC_DTLS_PSK_ID_MAX + 1], hf_peer[80], why[768];
    snprintf(hf_id, sizeof hf_id, "%.*s", psk_idlen > 0 ? (int)psk_idlen : 0, (const char *)psk_id);
    cs_explain_authority(uri, hf_peer, sizeof hf_peer);
    hf.psk_id = hf_id;
    hf.psk = has_psk;
    hf.pki = cs_pki_active(&popt);
    hf.identity = cs_pki_has_identity(&popt);
    hf.peer = st.peer[0] ? st.peer : hf_peer;
    hf.retransmits = 6; /* coapsec_dtls_config_default(): max_retransmits */
    if (!st.done && secure && !st.established) {
        hf.err = COAPSEC_ERR_TIMEOUT;
        hf.alert = COAPSEC_DTLS_ALERT_NONE;
        hf.waited_s = (unsigned)wait_s;
        fprintf(stderr, "coapsec client: handshake failed: %s\n",
                cs_explain_handshake(&hf, why, sizeof why));
        exit_code = CS_EXIT_FAIL;
    } else if (!st.done) {
        fprintf(stderr, "coapsec client: no response within %lu s\n", wait_s);
        exit_code = CS_EXIT_FAIL;
    } else if (st.status == COAPSEC_ERR_HANDSHAKE) {
        hf.err = st.failed ? st.fail_err : COAPSEC_ERR_HANDSHAKE;
        hf.alert = st.failed ? st.fail_alert : COAPSEC_DTLS_ALERT_NONE;
        hf.alert_from_peer = st.fail_from_peer;
        hf.text = hs_error[0] ? hs_error : st.fail_text[0] ? st.fail_text : "unknown reason";
        fprintf(stderr, "coapsec client: handshake failed: %s\n",
                cs_explain_handshake(&hf, why, sizeof why));
        exit_code = CS_EXIT_FAIL;
    } else if (st.status != 0) {
        fprintf(stderr, "coapsec client: %s\n", coapsec_strerror(st.status));
        exit_code = CS_EXIT_FAIL;
    } else {
        char code[48];
        cs_cli_code_str(st.code, code, sizeof code);
        int ok = COAPSEC_CODE_CLASS(st.code) == 2;
        exit_code = ok ? CS_EXIT_OK : CS_EXIT_RESPONSE;
        if (!ok) {
            fprintf(stderr, "%s\n", code);
            if (st.payload_len) /* diagnostic payload (§5.5.2) */
                fprintf(stderr, "%.*s\n", (int)st.payload_len, (const char *)st.payload);
        } else if (st.payload_len) {
            FILE *out = outfile ? fopen(outfile, "wb") : stdout;
            if (!out) {
                fprintf(stderr, "coapsec client: cannot write %s\n", outfile);
                exit_code = CS_EXIT_FAIL;
            } else {
                if (fwrite(st.payload, 1, st.payload_len, out) != st.payload_len)
                    exit_code = CS_EXIT_FAIL;
                if (out != stdout && fclose(out) != 0)
                    exit_code = CS_EXIT_FAIL;
            }
        } else if (outfile) {
            FILE *out = fopen(outfile, "wb"); /* empty payload: empty file */
            if (!out || fclose(out) != 0)
                exit_code = CS_EXIT_FAIL;
        }
    }
    free(st.payload);
    fflush(stdout);
    return exit_code;
}
