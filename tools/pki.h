/*
 * tools/pki.h - the ECDSA options of `coapsec client` and `coapsec server`
 * (libcoap's letters -c -j -C -R -M -n, plus --rpk-trust, --no-clock and
 * --mtu): parsing them, loading keys, certificates, trust anchors and pinned
 * raw public keys into an endpoint, and printing the peer's identity (-v).
 * Also the `coapsec keygen` subcommand (keygen.c).
 */
#ifndef CS_TOOLS_PKI_H
#define CS_TOOLS_PKI_H

#include <stdio.h>

#include "coapsec/endpoint.h"

/* getopt_long ids of the long options. */
enum { CS_OPT_RPK_TRUST = 1300, CS_OPT_NO_CLOCK, CS_OPT_MTU };

/* Short option letters to append to a getopt string. */
#define CS_PKI_SHORTOPTS "c:j:C:R:M:n"
/* struct option entries for a longopts table. */
#define CS_PKI_LONGOPTS                                                                            \
    {"rpk-trust", required_argument, NULL, CS_OPT_RPK_TRUST},                                      \
        {"no-clock", no_argument, NULL, CS_OPT_NO_CLOCK}, {                                        \
        "mtu", required_argument, NULL, CS_OPT_MTU                                                 \
    }

typedef struct cs_pki_opts {
    const char *cert, *key, *ca, *roots, *rpk, *rpk_trust;
    int no_verify, no_clock;
    unsigned long mtu;
} cs_pki_opts;

/* What cs_pki_setup() loaded (freed by cs_pki_release). */
typedef struct cs_pki_state {
    coapsec_dtls_key *key;
    coapsec_dtls_trust *trust;
    size_t nrpk;
} cs_pki_state;

void cs_pki_opts_init(cs_pki_opts *o);
/** 1 if c is one of the options here. */
int cs_pki_is_opt(int c);
/** Handle one option. 0, or -1 after a message. */
int cs_pki_opt(cs_pki_opts *o, int c, const char *arg, const char *prog);
/** 1 when an ECDSA credential or trust option was given (coaps:// without PSK is fine). */
int cs_pki_active(const cs_pki_opts *o);
/** 1 when the options give the node an ECDSA identity (-c/-j or -M). */
int cs_pki_has_identity(const cs_pki_opts *o);
/** Endpoint configuration: --mtu. */
void cs_pki_apply(const cs_pki_opts *o, coapsec_endpoint_config *cfg);
/** Load everything into ep. st must be static storage: what it holds is freed at exit (after
 * the endpoint). 0, or -1 after a message naming the file and the problem. */
int cs_pki_setup(cs_pki_state *st, const cs_pki_opts *o, coapsec_endpoint *ep, int server,
                 const char *prog);
void cs_pki_release(cs_pki_state *st);
/** "X.509 'name' sha256:..." / "raw public key sha256:..." / "PSK" text of a peer. */
void cs_pki_peer_text(coapsec_endpoint *ep, coapsec_peer_id peer, char *buf, size_t cap);
/** Usage lines of the options (client and server share them). */
void cs_pki_usage(FILE *f);

/* keygen.c */
int cs_keygen_main(int argc, char **argv);
void cs_keygen_usage(FILE *f);

#endif /* CS_TOOLS_PKI_H */
