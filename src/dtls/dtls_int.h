/*
 * dtls/dtls_int.h - private declarations shared by the files of the DTLS
 * engine: wire constants, byte helpers, the record layer, handshake framing,
 * flights, key schedule, extensions and the client/server state machines.
 */
#ifndef COAPSEC_DTLS_INT_H
#define COAPSEC_DTLS_INT_H

#include <stdbool.h>
#include <string.h>

#include "coapsec/dtls.h"
#include "crypto/crypto.h"

/* Content types (RFC 6347 §4.1). */
enum {
    CS_CT_CCS = 20,
    CS_CT_ALERT = 21,
    CS_CT_HANDSHAKE = 22,
    CS_CT_APP = 23,
    CS_CT_HEARTBEAT = 24
};
/* Handshake types. */
enum {
    CS_HT_CLIENT_HELLO = 1,
    CS_HT_SERVER_HELLO = 2,
    CS_HT_HELLO_VERIFY = 3,
    CS_HT_NEW_SESSION_TICKET = 4, /* RFC 5077 §3.3 */
    CS_HT_CERTIFICATE = 11,
    CS_HT_SERVER_KEY_EXCHANGE = 12,
    CS_HT_CERTIFICATE_REQUEST = 13,
    CS_HT_SERVER_HELLO_DONE = 14,
    CS_HT_CERTIFICATE_VERIFY = 15,
    CS_HT_CLIENT_KEY_EXCHANGE = 16,
    CS_HT_FINISHED = 20
};
#define CS_DTLS12      0xFEFDu
#define CS_DTLS10      0xFEFFu
#define CS_REC_HDR     13
#define CS_HS_HDR      12
#define CS_AEAD_EXPL   8
#define CS_AEAD_OVH    (CS_AEAD_EXPL + CS_CCM8_TAG_LEN)
#define CS_SEQ_MAX     ((UINT64_C(1) << 48) - 1)
#define CS_REPLAY_BITS 64
#define CS_VERIFY_LEN  12
#define CS_COOKIE_LEN  32
#define CS_SCSV        0x00FFu

/* Extension numbers. */
enum {
    CS_EXT_SERVER_NAME = 0,
    CS_EXT_MAX_FRAGMENT_LENGTH = 1,
    CS_EXT_SUPPORTED_GROUPS = 10,     /* RFC 8422 §5.1.1 */
    CS_EXT_EC_POINT_FORMATS = 11,     /* RFC 8422 §5.1.2 */
    CS_EXT_SIGNATURE_ALGORITHMS = 13, /* RFC 5246 §7.4.1.4.1 */
    CS_EXT_HEARTBEAT = 15,            /* RFC 6520 §2 */
    CS_EXT_CLIENT_CERT_TYPE = 19,     /* RFC 7250 §3 */
    CS_EXT_SERVER_CERT_TYPE = 20,
    CS_EXT_EMS = 23,
    CS_EXT_RECORD_SIZE_LIMIT = 28,
    CS_EXT_SESSION_TICKET = 35, /* RFC 5077 §3.2 */
    CS_EXT_RENEGOTIATION_INFO = 0xFF01
};

/* Roles, handshake states (conn->state holds these). */
enum { CS_ROLE_CLIENT = 0, CS_ROLE_SERVER = 1 };
enum {
    CS_ST_IDLE = 0,
    CS_ST_ESTABLISHED,
    CS_ST_CLOSED,
    CS_ST_FAILED,
    CS_ST_C_WAIT_HELLO, /* sent ClientHello: want HVR or ServerHello */
    CS_ST_C_WAIT_SKE_SHD,
    CS_ST_C_WAIT_SHD,
    CS_ST_C_WAIT_CCS,
    CS_ST_C_WAIT_FIN,
    CS_ST_S_WAIT_CH,
    CS_ST_S_WAIT_CKE,
    CS_ST_S_WAIT_CCS,
    CS_ST_S_WAIT_FIN,
    /* ECDHE_ECDSA (0xC0AE) */
    CS_ST_C_WAIT_CERT,   /* after ServerHello: the server's Certificate */
    CS_ST_C_WAIT_SKE,    /* ServerKeyExchange (signed ECDHE params) */
    CS_ST_C_WAIT_CR_SHD, /* CertificateRequest or ServerHelloDone */
    CS_ST_C_WAIT_SHD2,   /* ServerHelloDone after a CertificateRequest */
    CS_ST_S_WAIT_CERT,   /* the client's Certificate (we sent a CertificateRequest) */
    CS_ST_S_WAIT_ECKE,   /* ECDHE ClientKeyExchange */
    CS_ST_S_WAIT_CV,     /* CertificateVerify */
    CS_ST_C_WAIT_NST     /* NewSessionTicket (RFC 5077 §3.3) before the server's CCS */
};
/* Wire values for 0xC0AE. */
#define CS_GROUP_SECP256R1 23u
#define CS_GROUP_SECP384R1 24u
#define CS_SIG_ECDSA_P256  0x0403u /* ecdsa_secp256r1_sha256 */
#define CS_CERT_ECDSA_SIGN 64u     /* ClientCertificateType ecdsa_sign */
#define CS_CURVE_NAMED     3u      /* ECCurveType named_curve */
#define CS_WIRE_CT_X509    0u
#define CS_WIRE_CT_RPK     2u
/* conn->flags */
#define CS_F_KEYS    0x01 /* key block derived */
#define CS_F_EMS     0x02
#define CS_F_LINGER  0x04 /* server: established, hs kept for the final flight */
#define CS_F_SENTFIN 0x08
/* conn->hb_flags (RFC 6520) */
#define CS_HB_ANSWER   0x01 /* we said peer_allowed_to_send: answer requests */
#define CS_HB_MAY_SEND 0x02 /* the peer said peer_allowed_to_send */
#define CS_HB_INFLIGHT 0x04 /* our request waits for its response */
#define CS_HB_NEG      0x08 /* both sent the extension */
#define CS_HB_PAD      16   /* padding we send (the minimum, §4) */

/* --- byte helpers ----------------------------------------------------- */
static inline uint16_t cs_get16(const uint8_t *p) {
    return (uint16_t)((p[0] << 8) | p[1]);
}
static inline uint32_t cs_get24(const uint8_t *p) {
    return ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];
}
static inline uint64_t cs_get48(const uint8_t *p) {
    return ((uint64_t)cs_get16(p) << 32) | ((uint64_t)cs_get16(p + 2) << 16) | cs_get16(p + 4);
}
static inline void cs_put16(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void cs_put24(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 16);
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)v;
}
static inline void cs_put48(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 6; i++)
        p[i] = (uint8_t)(v >> (8 * (5 - i)));
}

/* Bounded reader: every get checks the remaining length first. */
typedef struct cs_rd {
    const uint8_t *p;
    size_t left;
    bool err;
} cs_rd;
static inline void cs_rd_init(cs_rd *r, const uint8_t *p, size_t n) {
    r->p = p;
    r->left = n;
    r->err = false;
}
const uint8_t *cs_rd_bytes(cs_rd *r, size_t n);
unsigned cs_rd_u8(cs_rd *r);
unsigned cs_rd_u16(cs_rd *r);
/* A vector with a 1- or 2-byte length prefix; sets *len. */
const uint8_t *cs_rd_vec(cs_rd *r, int lenbytes, size_t *len);

/* --- record layer (record.c) ------------------------------------------ */
typedef struct cs_record {
    uint8_t type;
    uint16_t version;
    uint16_t epoch;
    uint64_t seq;
    uint8_t *frag; /* the record's fragment (ciphertext when epoch > 0) */
    size_t len;
} cs_record;

/* Parse one record header at p (n bytes left): 0 and *r, or FORMAT. */
int cs_rec_parse(uint8_t *p, size_t n, cs_record *r);
/* Write one record into out (cap bytes). key/iv NULL: plaintext (epoch 0).
 * Returns bytes written or NOBUF/CRYPTO. */
int cs_rec_write(uint8_t *out, size_t cap, uint8_t type, uint16_t version, uint16_t epoch,
                 uint64_t seq, const uint8_t *key, const uint8_t *iv, const uint8_t *pt,
                 size_t ptlen);
/* Decrypt r->frag in place; on success r->frag/r->len describe the plaintext. */
int cs_rec_open(cs_record *r, const uint8_t *key, const uint8_t *iv);
/* Anti-replay window (RFC 6347 §4.1.2.6). */
bool cs_replay_ok(uint64_t top, uint64_t bits, uint64_t seq);
void cs_replay_mark(uint64_t *top, uint64_t *bits, uint64_t seq);

/* --- keys (keys.c) ------------------------------------------------------ */
/* RFC 4279 §2: N || 0^N || N || psk. out needs 4 + 2*psklen bytes. */
size_t cs_psk_premaster(const uint8_t *psk, size_t psklen, uint8_t *out);
int cs_master_secret(const uint8_t *pms, size_t pmslen, bool ems, const uint8_t crand[32],
                     const uint8_t srand[32], const uint8_t session_hash[32], uint8_t out[48]);
/* Key block for the AES-128-CCM-8 suites into c->key / c->iv, from c->hs->master. */
int cs_key_block(coapsec_dtls_conn *c, const uint8_t crand[32], const uint8_t srand[32]);
/* verify_data = PRF(c->hs->master, label, transcript hash)[0..12]. */
int cs_finished(const coapsec_dtls_conn *c, bool client_label, const uint8_t hash[32],
                uint8_t out[CS_VERIFY_LEN]);

/* --- extensions (extensions.c) ------------------------------------------ */
typedef struct cs_exts {
    bool ems, reneg, reneg_bad, unknown_in_sh;
    uint8_t mfl;  /* 0 none, 1..4 */
    uint16_t rsl; /* 0 none */
    /* 0xC0AE: presence and content (COAPSEC_DTLS_CT_* bits for the types;
     * in a ServerHello the single type chosen) */
    bool has_groups, p256, has_pf, pf_uncompressed, has_sigalgs, ecdsa_p256_sha256;
    bool has_cct, has_sct;
    bool sni_in_sh, foreign_in_sh; /* ServerHello: server_name / anything else unknown */
    uint8_t cct, sct; /* ServerHello: the type chosen (COAPSEC_DTLS_CT_* bit, 0: unknown) */
    const uint8_t *cct_list, *sct_list; /* ClientHello: the lists (length stripped) */
    size_t cct_len, sct_len;
    /* heartbeat (RFC 6520): mode sent (0: none) */
    uint8_t hb_mode;
    /* SessionTicket (RFC 5077): present; the ticket (ClientHello) */
    bool has_ticket;
    const uint8_t *ticket;
    size_t ticket_len;
} cs_exts;
/* Parse an extensions block (after the 2-byte total length was read). */
int cs_ext_parse(const uint8_t *p, size_t n, bool in_server_hello, cs_exts *e);
/* Largest plaintext allowed by max_fragment_length / record_size_limit. */
uint16_t cs_ext_plain_limit(uint8_t mfl, uint16_t rsl);

/* --- handshake framing and flights (hsframe.c) -------------------------- */
typedef struct cs_hsfrag {
    uint8_t type;
    uint32_t len;
    uint16_t seq;
    uint32_t off, flen;
    const uint8_t *body;
} cs_hsfrag;
/* Parse one handshake fragment header + body; returns bytes consumed or FORMAT. */
int cs_hs_parse(const uint8_t *p, size_t n, cs_hsfrag *f);
void cs_hs_header(uint8_t *p, uint8_t type, uint32_t len, uint16_t seq, uint32_t off,
                  uint32_t flen);
/* Reassembly: add a fragment of the expected message; 1 when complete,
 * 0 when more is needed, negative on error (too large / inconsistent). */
int cs_reasm_add(coapsec_dtls_hs *hs, const cs_hsfrag *f);
void cs_reasm_reset(coapsec_dtls_hs *hs);

void cs_flight_begin(coapsec_dtls_hs *hs);
/* Append a handshake message (type, body); hashes it into the transcript. */
int cs_flight_add_hs(coapsec_dtls_conn *c, uint8_t type, const uint8_t *body, size_t len);
int cs_flight_add_ccs(coapsec_dtls_conn *c);
/* (Re)send the stored flight with fresh record numbers; final: no timer. */
int cs_flight_send(coapsec_dtls_conn *c, coapsec_tstamp now);
void cs_flight_arm(coapsec_dtls_conn *c, bool final, coapsec_tstamp now);

/* --- transcript ----------------------------------------------------------- */
void cs_transcript_reset(coapsec_dtls_hs *hs);
void cs_transcript_add(coapsec_dtls_hs *hs, const uint8_t *p, size_t n);
void cs_transcript_hash(const coapsec_dtls_hs *hs, uint8_t out[32]);

/* --- cookies (cookie.c) ----------------------------------------------- */
/* Parsed ClientHello (points into the message body). */
typedef struct cs_client_hello {
    uint16_t version;
    const uint8_t *random;
    const uint8_t *sid, *cookie, *suites, *comp, *ext;
    size_t sid_len, cookie_len, suites_len, comp_len, ext_len;
    bool has_ext;
} cs_client_hello;
int cs_client_hello_parse(const uint8_t *p, size_t n, cs_client_hello *ch);
void cs_cookie_compute(const uint8_t secret[32], const void *addr, size_t addrlen,
                       const cs_client_hello *ch, uint8_t out[CS_COOKIE_LEN]);

/* --- conn.c services ------------------------------------------------------ */
int cs_cfg_random(const coapsec_dtls_config *cfg, uint8_t *buf, size_t n);
/* The same for values that are public once sent (hello randoms, session IDs,
 * nonces, heartbeat payloads): cs_random_nonce unless cfg->rand is set. */
int cs_cfg_nonce(const coapsec_dtls_config *cfg, uint8_t *buf, size_t n);
/* Write one record of the given epoch and send it as a datagram. */
int cs_send_record(coapsec_dtls_conn *c, uint8_t type, uint16_t epoch, const uint8_t *pt,
                   size_t len);
/* Append one record to a datagram under construction. */
int cs_append_record(coapsec_dtls_conn *c, uint8_t *dg, size_t cap, size_t *used, uint8_t type,
                     uint16_t epoch, const uint8_t *pt, size_t len);
void cs_send_alert(coapsec_dtls_conn *c, uint8_t level, uint8_t desc);
/* Fail the handshake: optional fatal alert to the peer, event, release hs. */
int cs_fail(coapsec_dtls_conn *c, int err, int alert, bool from_peer, const char *reason);
void cs_established(coapsec_dtls_conn *c, coapsec_tstamp now);
void cs_release_hs(coapsec_dtls_conn *c);
void cs_emit(coapsec_dtls_conn *c, const coapsec_dtls_event *ev);

/* --- state machines (client.c, server.c) ---------------------------------- */
int cs_client_send_hello(coapsec_dtls_conn *c, coapsec_tstamp now);
int cs_client_handle(coapsec_dtls_conn *c, uint8_t type, const uint8_t *body, size_t len,
                     coapsec_tstamp now);
int cs_server_handle(coapsec_dtls_conn *c, uint8_t type, const uint8_t *body, size_t len,
                     coapsec_tstamp now);
/* Both: a CCS arrived in the right state (switch the read epoch). */
int cs_handle_ccs(coapsec_dtls_conn *c, coapsec_tstamp now);
/* Finished check/production shared by both roles. */
int cs_check_finished(coapsec_dtls_conn *c, const uint8_t *body, size_t len);
int cs_add_finished(coapsec_dtls_conn *c);
/* Derive master secret + key block once the premaster is known. */
int cs_derive_keys(coapsec_dtls_conn *c);

/* --- ECDHE_ECDSA (ecdhe.c, certmsg.c, certname.c) ---------------------------- */
/* Which certificate types this config can use: for the peer's credentials
 * (what we can verify) and for our own (what identity allows). */
uint8_t cs_ct_peer_ok(const coapsec_dtls_config *cfg);
uint8_t cs_ct_own_ok(const coapsec_dtls_config *cfg, const coapsec_dtls_identity *id);
/* Pick the first type of a RFC 7250 list (1-byte length already stripped)
 * that is also in mask: COAPSEC_DTLS_CT_* bit, 0 when none. */
uint8_t cs_ct_pick(const uint8_t *list, size_t n, uint8_t mask);
uint8_t cs_ct_wire(uint8_t bit);
/* Append an extension header + body to b at *n (cap bytes). */
int cs_ext_put(uint8_t *b, size_t cap, size_t *n, unsigned type, const uint8_t *body, size_t len);
/* Fresh ephemeral key into hs (deterministic under COAPSEC_FUZZING). */
int cs_ecdhe_keygen(coapsec_dtls_conn *c);
/* Our Certificate message (chain or SPKI per the negotiated type). */
int cs_add_certificate(coapsec_dtls_conn *c, uint8_t type_bit, bool empty);
/* The peer's Certificate: validate (chain or RPK) and keep its key in hs.
 * Returns 0 or the cs_fail() result. */
int cs_on_certificate(coapsec_dtls_conn *c, const uint8_t *p, size_t n);
/* Server: the signed ServerKeyExchange. Client: parse, check the point, verify. */
int cs_add_server_key_exchange(coapsec_dtls_conn *c);
int cs_on_server_key_exchange(coapsec_dtls_conn *c, const uint8_t *p, size_t n);
int cs_add_certificate_request(coapsec_dtls_conn *c);
int cs_on_certificate_request(coapsec_dtls_conn *c, const uint8_t *p, size_t n);
/* Client: ECDHE ClientKeyExchange (our point). Server: parse, derive the premaster. */
int cs_add_ecdhe_cke(coapsec_dtls_conn *c);
int cs_on_ecdhe_cke(coapsec_dtls_conn *c, const uint8_t *p, size_t n);
int cs_add_certificate_verify(coapsec_dtls_conn *c);
int cs_on_certificate_verify(coapsec_dtls_conn *c, const uint8_t *p, size_t n);
/* Fail with a formatted reason kept in hs->reason. */
int cs_failf(coapsec_dtls_conn *c, int err, int alert, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The leaf's subjectAltName (first DNS/IP/URI) or subject CN as text. */
int cs_cert_name(const uint8_t *der, size_t len, char *out, size_t cap);
/* 1 when s is an IPv4/IPv6 literal (possibly "[v6]"). */
bool cs_is_ip_literal(const char *s);

/* --- heartbeat (heartbeat.c, RFC 6520) ------------------------------------------ */
/* Flags from the negotiated extensions, and the interval timer (cs_established). */
void cs_hb_established(coapsec_dtls_conn *c, coapsec_tstamp now);
/* A heartbeat record at the current epoch of an established session. */
void cs_hb_record(coapsec_dtls_conn *c, const uint8_t *p, size_t n, coapsec_tstamp now);
/* Input from the peer: restart the interval timer. */
void cs_hb_input(coapsec_dtls_conn *c, coapsec_tstamp now);
/* Heartbeat timer work (send on interval, retransmit, declare dead). */
int cs_hb_expire(coapsec_dtls_conn *c, coapsec_tstamp now);

/* --- resumption (resume.c, RFC 5246 §7.3, RFC 5077, RFC 7627 §5.3) ------------------ */
/* The state of the session just established (at ESTABLISHED, hs attached). */
void cs_session_from_hs(const coapsec_dtls_conn *c, coapsec_dtls_session *s, coapsec_tstamp now);
/* Seal s into a ticket (RFC 5077 §4 layout: key_name, nonce, sealed state). */
int cs_ticket_seal(coapsec_dtls_ticket_keys *tk, const coapsec_dtls_config *cfg,
                   const coapsec_dtls_session *s, uint8_t *out, size_t cap, size_t *len,
                   coapsec_tstamp now);
/* Open a ticket into s: 0, or NOTFOUND (unknown/old key), DECRYPT, FORMAT. */
int cs_ticket_open(const coapsec_dtls_ticket_keys *tk, const uint8_t *t, size_t n,
                   coapsec_dtls_session *s);
void cs_cache_put(coapsec_dtls_session_cache *sc, const coapsec_dtls_session *s);
const coapsec_dtls_session *cs_cache_find(const coapsec_dtls_session_cache *sc, const uint8_t *sid,
                                          size_t len);
void cs_cache_remove(coapsec_dtls_session_cache *sc, const uint8_t *sid, size_t len);
/* Server: may s be resumed by this ClientHello? (expiry, suite offered, EMS
 * rules, identity still acceptable). 0: yes; 1: full handshake instead;
 * negative: abort (RFC 7627 §5.3: EMS session, ClientHello without EMS). */
int cs_resume_check(coapsec_dtls_conn *c, const coapsec_dtls_session *s, const cs_client_hello *ch,
                    const cs_exts *e, coapsec_tstamp now);
/* Load a session's state into the connection/handshake (server, resuming). */
void cs_resume_load(coapsec_dtls_conn *c, const coapsec_dtls_session *s);
/* X.509: the leaf's notAfter as seconds since 1970 (certname.c). */
int cs_cert_not_after(const uint8_t *der, size_t len, int64_t *out);

/* Zero c and hs and attach them: a new connection in role CS_ROLE_*. */
void cs_conn_reset(coapsec_dtls_conn *c, const coapsec_dtls_config *cfg, void *user,
                   coapsec_dtls_hs *hs, uint8_t role);

#endif /* COAPSEC_DTLS_INT_H */
