/*
 * coapsec/dtls.h - the sans-I/O DTLS 1.2 engine (RFC 6347): configuration,
 * credentials, callbacks, events, alert codes and the caller-owned contexts.
 *
 * Suites: TLS_PSK_WITH_AES_128_CCM_8 (0xC0A8, RFC 4279 + RFC 6655) and
 * TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 (0xC0AE, RFC 7251 + RFC 8422) on
 * secp256r1 with ecdsa_secp256r1_sha256, authenticated by X.509 certificates
 * (RFC 5246 §7.4.2, TS-0008 profile) or raw public keys (RFC 7250).
 *
 * Memory: nothing is allocated. A coapsec_dtls_conn (one per session, long
 * lived, small) holds keys, sequence numbers and the replay window. While a
 * handshake runs it is attached to a coapsec_dtls_hs (transcript, reassembly,
 * last flight) that the caller lends from its own pool; the event
 * COAPSEC_DTLS_EV_HS_RELEASED says when the object may be reused.
 *
 * Time: every call that can act takes `now` (ms, monotonic) last. The caller
 * asks coapsec_dtls_conn_expiry() when to call coapsec_dtls_conn_handle_expiry().
 *
 * Output goes through callbacks: send() receives whole datagrams, recv()
 * receives application data, event() reports state changes. Callbacks must
 * not call back into the same connection.
 *
 * Heartbeat (RFC 6520) and session resumption (RFC 5246 §7.3 by session ID,
 * RFC 5077 tickets, RFC 7627 §5.3) are declared at the end. Their server
 * state (ticket keys, session-ID cache) is caller-owned and outside the
 * connection; a client keeps the coapsec_dtls_session of ev->session.
 *
 * The fields of the context structs are private; they are declared here only
 * so that callers can size and place them.
 */
#ifndef COAPSEC_DTLS_H
#define COAPSEC_DTLS_H

#include "coapsec/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Heartbeat modes (RFC 6520 §2) for coapsec_dtls_config.heartbeat. */
#define COAPSEC_DTLS_HB_OFF         0 /* no heartbeat extension */
#define COAPSEC_DTLS_HB_ALLOWED     1 /* peer_allowed_to_send: we answer the peer's requests */
#define COAPSEC_DTLS_HB_NOT_ALLOWED 2 /* peer_not_allowed_to_send: we only send requests */

/* Session resumption (RFC 5246 §7.3, RFC 5077). */
#ifndef COAPSEC_DTLS_TICKET_MAX
#define COAPSEC_DTLS_TICKET_MAX 320 /* largest ticket kept (ours are at most 244 bytes) */
#endif
#define COAPSEC_DTLS_SESSION_LIFETIME_MS 7200000u /* default: 2 hours */

/* Cipher suites (IANA values). */
#define COAPSEC_DTLS_PSK_AES_128_CCM_8         0xC0A8u
#define COAPSEC_DTLS_ECDHE_ECDSA_AES_128_CCM_8 0xC0AEu

/* PSK limits (RFC 4279 §5.3). */
#define COAPSEC_DTLS_PSK_ID_MAX  128
#define COAPSEC_DTLS_PSK_KEY_MAX 64

/* Compile-time sizes of the handshake object. */
#ifndef COAPSEC_DTLS_HS_MSG_MAX
#define COAPSEC_DTLS_HS_MSG_MAX 4096 /* largest handshake message reassembled (a chain) */
#endif
#ifndef COAPSEC_DTLS_FLIGHT_MAX
#define COAPSEC_DTLS_FLIGHT_MAX 6144 /* our last flight, kept for retransmission */
#endif
#ifndef COAPSEC_DTLS_PENDING_MAX
#define COAPSEC_DTLS_PENDING_MAX 512 /* records of the next epoch, buffered */
#endif
/* Largest datagram the engine builds (and stack buffer it uses for it). */
#ifndef COAPSEC_DTLS_DGRAM_MAX
#define COAPSEC_DTLS_DGRAM_MAX 1500
#endif
/* Bytes one application-data record adds: header 13 + explicit nonce 8 + tag 8. */
#define COAPSEC_DTLS_OVERHEAD 29

/* Alert levels and descriptions (RFC 5246 §7.2, RFC 4279, RFC 5746). */
enum coapsec_dtls_alert_level { COAPSEC_DTLS_WARNING = 1, COAPSEC_DTLS_FATAL = 2 };
enum coapsec_dtls_alert {
    COAPSEC_DTLS_ALERT_CLOSE_NOTIFY = 0,
    COAPSEC_DTLS_ALERT_UNEXPECTED_MESSAGE = 10,
    COAPSEC_DTLS_ALERT_BAD_RECORD_MAC = 20,
    COAPSEC_DTLS_ALERT_RECORD_OVERFLOW = 22,
    COAPSEC_DTLS_ALERT_HANDSHAKE_FAILURE = 40,
    COAPSEC_DTLS_ALERT_BAD_CERTIFICATE = 42,
    COAPSEC_DTLS_ALERT_UNSUPPORTED_CERTIFICATE = 43,
    COAPSEC_DTLS_ALERT_CERTIFICATE_EXPIRED = 45,
    COAPSEC_DTLS_ALERT_CERTIFICATE_UNKNOWN = 46,
    COAPSEC_DTLS_ALERT_ILLEGAL_PARAMETER = 47,
    COAPSEC_DTLS_ALERT_UNKNOWN_CA = 48,
    COAPSEC_DTLS_ALERT_DECODE_ERROR = 50,
    COAPSEC_DTLS_ALERT_DECRYPT_ERROR = 51,
    COAPSEC_DTLS_ALERT_PROTOCOL_VERSION = 70,
    COAPSEC_DTLS_ALERT_INTERNAL_ERROR = 80,
    COAPSEC_DTLS_ALERT_NO_RENEGOTIATION = 100,
    COAPSEC_DTLS_ALERT_UNSUPPORTED_EXTENSION = 110,
    COAPSEC_DTLS_ALERT_UNRECOGNIZED_NAME = 112,
    COAPSEC_DTLS_ALERT_UNKNOWN_PSK_IDENTITY = 115,
    COAPSEC_DTLS_ALERT_NONE = 255 /* no alert involved */
};

/** Name of an alert description, e.g. "bad_record_mac"; never NULL. */
const char *coapsec_dtls_alert_name(int alert);

/* Events reported through coapsec_dtls_callbacks.event. */
enum coapsec_dtls_event_type {
    COAPSEC_DTLS_EV_ESTABLISHED = 1, /* keys in use: a new keying of the session */
    COAPSEC_DTLS_EV_CLOSED,          /* close_notify received (or sent by us) */
    COAPSEC_DTLS_EV_FAILED,          /* handshake failed / fatal alert: see err, alert */
    COAPSEC_DTLS_EV_HS_RELEASED,     /* the coapsec_dtls_hs object is free again */
    COAPSEC_DTLS_EV_DEAD             /* heartbeat (RFC 6520): no answer after max_retransmits
                                      * retransmissions; the session is closed (err TIMEOUT) */
};

typedef struct coapsec_dtls_event {
    int type;              /* enum coapsec_dtls_event_type */
    int err;               /* FAILED: COAPSEC_ERR_TIMEOUT, _AUTH, _HANDSHAKE, ... */
    int alert;             /* the alert description involved, or ALERT_NONE */
    int alert_from_peer;   /* 1: the peer sent the alert; 0: we did (or none) */
    const char *reason;    /* FAILED: human-readable, e.g. "wrong key or identity" */
    unsigned suite;        /* ESTABLISHED: negotiated cipher suite */
    int ems;               /* ESTABLISHED: extended master secret in use (RFC 7627) */
    const uint8_t *psk_id; /* ESTABLISHED: the authenticated PSK identity */
    size_t psk_id_len;
    /* ESTABLISHED, 0xC0AE: how the peer was authenticated and who it is. Valid
     * during the callback only (they live in the handshake object). */
    int peer_auth;                  /* enum coapsec_dtls_peer_auth */
    const char *peer_name;          /* X.509: leaf SAN (DNS/IP/URI) else CN; RPK: NULL */
    const uint8_t *peer_key_sha256; /* X.509 and RPK: SHA-256 of the peer's SPKI (32 bytes) */
    /* ESTABLISHED: 1 when this was an abbreviated handshake (RFC 5246 §7.3
     * resumption by session ID or RFC 5077 ticket: no key exchange ran). */
    int resumed;
    /* ESTABLISHED: 1 when we may send heartbeat requests (the peer said
     * peer_allowed_to_send, RFC 6520 §2). */
    int heartbeat;
    /* ESTABLISHED: the session state a client keeps to resume later (copy it;
     * valid during the callback only); NULL when there is nothing to resume
     * with (the server gave neither a session ID nor a ticket). */
    const struct coapsec_dtls_session *session;
    /* ESTABLISHED: what an NSS key log line (Wireshark) needs: the
     * ClientHello random (32 bytes) and the master secret (48 bytes). Valid
     * during the callback only. Secret: write it nowhere unless the user
     * asked for a key log (coapsec_endpoint_set_keylog). */
    const uint8_t *client_random;
    const uint8_t *master_secret;
} coapsec_dtls_event;

/* How the peer was authenticated (coapsec_dtls_event.peer_auth). */
enum coapsec_dtls_peer_auth {
    COAPSEC_DTLS_AUTH_NONE = 0, /* server that did not require a client certificate */
    COAPSEC_DTLS_AUTH_PSK = 1,
    COAPSEC_DTLS_AUTH_RPK = 2, /* RFC 7250 raw public key, trusted by fingerprint/callback */
    COAPSEC_DTLS_AUTH_X509 = 3 /* certificate chain validated against the trust anchors */
};

typedef struct coapsec_dtls_callbacks {
    /** Send one datagram to the peer; return 0 or a negative error (ignored). */
    int (*send)(void *user, const uint8_t *dgram, size_t len);
    /** Application data from the peer (one record's plaintext). */
    void (*recv)(void *user, const uint8_t *data, size_t len);
    /** State changes; may be NULL. */
    void (*event)(void *user, const coapsec_dtls_event *ev);
} coapsec_dtls_callbacks;

/**
 * Server PSK lookup (RFC 4279 §5.1): copy the key for identity id into key
 * (room for COAPSEC_DTLS_PSK_KEY_MAX bytes), set *keylen, return 0; return a
 * negative value when the identity is unknown.
 */
typedef int (*coapsec_dtls_psk_lookup)(void *user, const uint8_t *id, size_t idlen, uint8_t *key,
                                       size_t *keylen);

/* --- ECDSA credentials (0xC0AE) ---------------------------------------------
 * coapsec_dtls_key and coapsec_dtls_trust are opaque, libcrypto-backed
 * objects made by the functions below (the only ones here that allocate);
 * configs and identities borrow them. Inside the library they are the crypto
 * module's cs_p256_key / cs_x509_trust. */
typedef struct coapsec_dtls_key coapsec_dtls_key;
typedef struct coapsec_dtls_trust coapsec_dtls_trust;

/* Certificate types (RFC 7250 §3 values are 0 and 2; these are bits). */
#define COAPSEC_DTLS_CT_X509 0x01u
#define COAPSEC_DTLS_CT_RPK  0x02u

/** Our ECDSA identity: a P-256 key, and optionally its certificate chain. */
typedef struct coapsec_dtls_identity {
    const coapsec_dtls_key *key;
    /* TLS certificate_list (RFC 5246 §7.4.2: 3-byte total length, then
     * 3-byte-length DER certificates, leaf first), e.g. from
     * coapsec_dtls_cert_list_from_pem(); NULL: raw public key only. */
    const uint8_t *cert_list;
    size_t cert_list_len;
} coapsec_dtls_identity;

/** P-256 private key from PEM (SEC 1 or PKCS#8) or a file; free with _key_free. */
int coapsec_dtls_key_from_pem(coapsec_dtls_key **out, const char *pem, size_t len);
int coapsec_dtls_key_load_file(coapsec_dtls_key **out, const char *path);
int coapsec_dtls_key_generate(coapsec_dtls_key **out);
void coapsec_dtls_key_free(coapsec_dtls_key *k);
/** The key's SubjectPublicKeyInfo DER (91 bytes: the RFC 7250 raw public key). */
int coapsec_dtls_key_spki(const coapsec_dtls_key *k, uint8_t spki[91]);
/** SHA-256 over an SPKI DER: the fingerprint rpk_trust holds. */
void coapsec_dtls_spki_fingerprint(const uint8_t *spki, size_t len, uint8_t out[32]);
/** Fingerprint of an SPKI given as PEM ("PUBLIC KEY") or DER. */
int coapsec_dtls_spki_fingerprint_any(const uint8_t *data, size_t len, uint8_t out[32]);
/** Every CERTIFICATE in a PEM buffer as a TLS certificate_list. */
int coapsec_dtls_cert_list_from_pem(const char *pem, size_t len, uint8_t *out, size_t cap,
                                    size_t *outlen);
/** Largest file coapsec_dtls_cert_list_load_file() reads: 64 KiB, room for a
 * chain well over COAPSEC_ENDPOINT_CERT_LIST_MAX even with `openssl x509
 * -text` dumps around each certificate. */
#define COAPSEC_DTLS_CERT_FILE_MAX 65536
/**
 * The same from a PEM file with one or more certificates, leaf first (other
 * PEM blocks, such as the private key, are skipped). Fails closed: 0,
 * COAPSEC_ERR_NOTFOUND (cannot open path), COAPSEC_ERR_FORMAT (cannot read
 * it, empty, longer than COAPSEC_DTLS_CERT_FILE_MAX bytes, or no
 * CERTIFICATE in it), COAPSEC_ERR_NOBUF (the list does not fit in cap),
 * COAPSEC_ERR_INVAL or COAPSEC_ERR_CRYPTO.
 */
int coapsec_dtls_cert_list_load_file(const char *path, uint8_t *out, size_t cap, size_t *outlen);
/** Trust anchors: new, add PEM certificates (buffer or file), free. */
int coapsec_dtls_trust_new(coapsec_dtls_trust **out);
int coapsec_dtls_trust_add_pem(coapsec_dtls_trust *t, const char *pem, size_t len);
int coapsec_dtls_trust_add_file(coapsec_dtls_trust *t, const char *path);
void coapsec_dtls_trust_free(coapsec_dtls_trust *t);

/* Resumption types (declared below). */
struct coapsec_dtls_session;
struct coapsec_dtls_session_info;
struct coapsec_dtls_ticket_keys;
struct coapsec_dtls_session_cache;

/** Randomness source; returns 0 on success. NULL means the crypto module's CSPRNG. */
typedef int (*coapsec_dtls_rand)(void *user, uint8_t *buf, size_t len);

/**
 * Shared configuration. Connections keep a pointer to it: it must outlive
 * them and not change while they use it. Fill with coapsec_dtls_config_default().
 */
typedef struct coapsec_dtls_config {
    coapsec_dtls_callbacks cb;
    uint16_t mtu;                /* datagram payload size for handshake flights */
    uint32_t retrans_initial_ms; /* RFC 6347 §4.2.4.1: 1000 */
    uint32_t retrans_max_ms;     /* 60000 */
    uint8_t max_retransmits;     /* after this many retransmissions: timeout */
    uint8_t offer_ems;           /* offer/accept extended_master_secret (RFC 7627) */
    uint32_t linger_ms;          /* server: keep the final flight this long */
    uint32_t cookie_lifetime_ms; /* server: cookie secret rotation period */
    /* server side PSK */
    coapsec_dtls_psk_lookup psk_lookup;
    void *psk_user;
    const uint8_t *psk_hint; /* optional identity hint (ServerKeyExchange) */
    size_t psk_hint_len;
    /* randomness (tests pass a seeded PRNG) */
    coapsec_dtls_rand rand;
    void *rand_user;

    /* --- ECDHE_ECDSA (0xC0AE): our identity and how we trust peers --- */
    /* Server: our key and (optionally) certificate chain. Clients pass theirs
     * per connection (coapsec_dtls_client_start_ex). */
    const struct coapsec_dtls_identity *server_identity;
    /* Certificate types we use (COAPSEC_DTLS_CT_* bits) for the peer's and our
     * credentials; 0: everything the configured trust/identity allows. */
    uint8_t cert_types;
    /* Server: the type of OUR credential when the client's
     * server_certificate_type list (RFC 7250 §4.2) allows more than one we
     * hold. The server may pick any listed type it supports; ours is:
     *  - RawPublicKey if it is listed and prefer_rpk is 1, or the client's
     *    client_certificate_type list offers RawPublicKey but not X.509 (a
     *    client authenticating with a raw key most likely has no CA for our
     *    chain: libcoap's -M lists X.509 first for the server yet has none);
     *  - otherwise the first type of the client's list we hold.
     * No server_certificate_type extension means X.509 (§4.1) regardless. */
    uint8_t prefer_rpk;
    uint8_t require_client_auth; /* server: demand a client certificate/key (default 1) */
    uint8_t verify_name;         /* client: check the dialled authority (default 1) */
    uint8_t no_clock;            /* 1: no wall clock; certificate dates are not checked */
    /* Wall-clock time (seconds since 1970, UTC) for certificate validity;
     * required for X.509 unless no_clock is set (else chains are refused). */
    int64_t (*wall_clock)(void *user);
    void *clock_user;
    /* X.509 trust anchors; NULL: certificates are not accepted from peers. */
    const coapsec_dtls_trust *trust;
    /* Raw public keys we trust: count SHA-256 SPKI fingerprints (32 bytes
     * each, coapsec_dtls_spki_fingerprint), and/or a callback returning 0
     * for a trusted SubjectPublicKeyInfo. Neither: RPKs are not accepted. */
    const uint8_t (*rpk_trust)[32];
    size_t rpk_trust_count;
    int (*rpk_verify)(void *user, const uint8_t *spki, size_t len, const uint8_t sha256[32]);
    void *rpk_user;
    /* Server: certificate_authorities of the CertificateRequest, as on the
     * wire without the 2-byte total length (DistinguishedName<1..2^16-1>
     * entries); NULL: empty list. */
    const uint8_t *ca_names;
    size_t ca_names_len;
    /* 1: skip every check of the peer's key/chain (interop debugging only). */
    uint8_t insecure_no_verify;

    /* --- heartbeat (RFC 6520) --- */
    uint8_t heartbeat;              /* COAPSEC_DTLS_HB_*: the mode we send (0: no extension) */
    uint32_t heartbeat_interval_ms; /* send a request after this long without input from the
                                     * peer (when it allows us to); 0: only on
                                     * coapsec_dtls_conn_heartbeat() */

    /* --- resumption (RFC 5246 §7.3, RFC 5077) --- server side: where the
     * state lives (both caller-owned, both optional). A client resumes with
     * coapsec_dtls_client_creds.resume. */
    struct coapsec_dtls_ticket_keys *tickets; /* stateless tickets (RFC 5077) */
    struct coapsec_dtls_session_cache *cache; /* session-ID cache */
    uint32_t session_lifetime_ms;             /* 0: COAPSEC_DTLS_SESSION_LIFETIME_MS */
    /* Server: is the identity of a session still acceptable (the PSK
     * identity still configured, the raw key still trusted)? 0: yes. NULL:
     * the engine checks itself (PSK: psk_lookup gives the same key; RPK:
     * rpk_trust/rpk_verify; X.509: trust set and notAfter not passed). The
     * certificate date is checked by the engine in both cases. */
    int (*resume_check)(void *user, const struct coapsec_dtls_session_info *si);
    void *resume_user;
} coapsec_dtls_config;

/** Defaults: mtu 1280, timer 1 s doubling to 60 s, 6 retransmissions, EMS on,
 * client certificates required, server name checked. */
void coapsec_dtls_config_default(coapsec_dtls_config *cfg);

/** Handshake object: lent by the caller while a handshake runs. */
typedef struct coapsec_dtls_hs {
    uint64_t transcript[14]; /* SHA-256 state of the handshake messages */
    uint64_t epoch0_seq;     /* our next epoch-0 record sequence number */
    coapsec_tstamp deadline; /* retransmission or linger deadline */
    uint32_t timeout_ms;
    uint32_t rx_len;
    uint16_t recv_seq, send_seq; /* next message_seq expected / to send */
    uint16_t peer_last_seq;      /* last message of the peer's flight we answered */
    uint16_t flight_len, pend_len;
    uint16_t max_frag; /* current handshake fragment limit (MTU fallback) */
    uint16_t suite;
    uint16_t peer_rsl; /* record_size_limit from the peer, 0: none */
    uint8_t peer_mfl;  /* max_fragment_length code from the peer, 0: none */
    uint8_t rx_type, rx_active, retries, peer_last_valid, last_flight_final;
    uint8_t ems, reneg, client_ext_ems;
    uint8_t session_id_len, cookie_len, psk_id_len, psk_len;
    uint8_t client_random[32], server_random[32];
    uint8_t session_id[32];
    uint8_t cookie[255];
    uint8_t psk_id[COAPSEC_DTLS_PSK_ID_MAX];
    uint8_t psk[COAPSEC_DTLS_PSK_KEY_MAX];
    /* ECDHE_ECDSA: credentials, negotiated types, keys, the peer's identity */
    const struct coapsec_dtls_identity *identity; /* ours (borrowed) */
    uint8_t offered;        /* client: bit 0 PSK offered, bit 1 ECDHE offered */
    uint8_t cli_ct, srv_ct; /* negotiated certificate types (COAPSEC_DTLS_CT_*) */
    uint8_t cert_req, peer_auth, have_peer_pub, have_pms, ems_done;
    uint8_t ecdh_priv[32], ecdh_pub[65], peer_pub[65], pms[32];
    uint8_t cv_hash[32]; /* transcript hash before the peer's CertificateVerify */
    uint8_t peer_fp[32]; /* SHA-256 of the peer's SPKI */
    char peer_name[128]; /* validated X.509 name (SAN or CN) */
    char authority[256]; /* client: the authority dialled ("" = none) */
    char reason[192];    /* text of the last refusal */
    uint8_t rx_map[COAPSEC_DTLS_HS_MSG_MAX / 8];
    uint8_t rx_buf[COAPSEC_DTLS_HS_MSG_MAX];
    uint8_t flight[COAPSEC_DTLS_FLIGHT_MAX];
    uint8_t pend[COAPSEC_DTLS_PENDING_MAX];
    /* resumption */
    uint8_t resume_master[48]; /* client: master secret of the session offered */
    uint8_t master[48];        /* this handshake's master secret (wiped at release) */
    uint16_t resume_suite;
    uint8_t resume_offer, resume_ems, resumed, ticket_ext, nst_due;
    uint8_t peer_hb;      /* heartbeat mode the peer sent (0: no extension) */
    uint8_t key_check[8]; /* resumed PSK session: the key's check value */
    uint8_t offer_sid_len;
    uint8_t offer_sid[32];
    uint8_t cert_na_ok;     /* cert_not_after is known */
    int64_t cert_not_after; /* X.509 leaf notAfter (seconds since 1970) */
    uint32_t ticket_hint_s; /* client: lifetime hint of the ticket received */
    uint16_t ticket_len;    /* client: ticket offered / received */
    uint8_t ticket[COAPSEC_DTLS_TICKET_MAX];
} coapsec_dtls_hs;

/** One DTLS session (small, long-lived). */
typedef struct coapsec_dtls_conn {
    const coapsec_dtls_config *cfg;
    void *user;
    coapsec_dtls_hs *hs;
    uint64_t write_seq; /* next sequence number in write_epoch (>= 1) */
    uint64_t rw_top;    /* replay window: highest sequence number accepted */
    uint64_t rw_bits;   /* bit i: rw_top - i was accepted */
    uint8_t key[2][16]; /* client_write_key, server_write_key */
    uint8_t iv[2][4];   /* client_write_IV, server_write_IV */
    /* The master secret lives in the handshake object (hs->master): once the
     * keys are derived and the ESTABLISHED event has reported it, an
     * established connection needs only key/iv. */
    uint16_t read_epoch, write_epoch;
    uint16_t suite;
    uint16_t max_plain; /* largest plaintext we may send (peer's limits) */
    uint8_t state, role, flags, last_alert;
    int16_t last_err;
    /* heartbeat (RFC 6520) */
    uint8_t hb_flags;           /* negotiated, peer allows us, request in flight */
    uint8_t hb_retries;         /* retransmissions of the request in flight */
    uint32_t hb_tag;            /* payload of the request in flight */
    coapsec_tstamp hb_deadline; /* next request, or retransmission of the one in flight */
} coapsec_dtls_conn;

/* Connection states (coapsec_dtls_conn_state()). */
enum coapsec_dtls_state {
    COAPSEC_DTLS_ST_IDLE = 0,
    COAPSEC_DTLS_ST_HANDSHAKE, /* any handshake state */
    COAPSEC_DTLS_ST_ESTABLISHED,
    COAPSEC_DTLS_ST_CLOSED,
    COAPSEC_DTLS_ST_FAILED
};

/**
 * Client: start a handshake with the given PSK identity and key (copied).
 * Sends the first ClientHello. Errors: INVAL (bad lengths), CRYPTO.
 */
int coapsec_dtls_client_start(coapsec_dtls_conn *c, const coapsec_dtls_config *cfg, void *user,
                              coapsec_dtls_hs *hs, const uint8_t *psk_id, size_t idlen,
                              const uint8_t *psk, size_t psklen, coapsec_tstamp now);

/** What a client brings to one connection (any subset; at least one of PSK or
 * ECDHE must be possible). Everything is copied except identity, which must
 * stay valid until the handshake ends (EV_HS_RELEASED). */
typedef struct coapsec_dtls_client_creds {
    const uint8_t *psk_id; /* PSK: offers 0xC0A8 */
    size_t psk_id_len;
    const uint8_t *psk;
    size_t psk_len;
    /* 0xC0AE is offered when the config trusts some server (trust, rpk_trust,
     * rpk_verify or insecure_no_verify). identity: our key for client
     * authentication (NULL: none; a CertificateRequest gets an empty list). */
    const coapsec_dtls_identity *identity;
    /* The host dialled (DNS name or IP literal, "[v6]" allowed): checked
     * against the server certificate (cfg->verify_name) and sent as SNI when it
     * is a DNS name. NULL: no name check, no SNI. */
    const char *authority;
    /* A session saved from an earlier ESTABLISHED event (ev->session) to
     * resume (RFC 5246 §7.3 by session ID, RFC 5077 by ticket); NULL: none.
     * Copied. The other credentials are still needed: the server may insist
     * on a full handshake. */
    const struct coapsec_dtls_session *resume;
} coapsec_dtls_client_creds;

/**
 * Client: start a handshake with the given credentials; sends the first
 * ClientHello. Errors: INVAL (nothing to offer, bad lengths), CRYPTO.
 */
int coapsec_dtls_client_start_ex(coapsec_dtls_conn *c, const coapsec_dtls_config *cfg, void *user,
                                 coapsec_dtls_hs *hs, const coapsec_dtls_client_creds *cr,
                                 coapsec_tstamp now);

/** Server-side stateless cookie context (RFC 6347 §4.2.1). */
typedef struct coapsec_dtls_server {
    const coapsec_dtls_config *cfg;
    coapsec_tstamp rotated_at;
    uint8_t secret[2][32]; /* [0] current, [1] previous */
    uint8_t have_prev;
} coapsec_dtls_server;

int coapsec_dtls_server_init(coapsec_dtls_server *s, const coapsec_dtls_config *cfg,
                             coapsec_tstamp now);
/** Start a new cookie secret now; the previous one stays valid one more period. */
int coapsec_dtls_server_rotate(coapsec_dtls_server *s, coapsec_tstamp now);

enum coapsec_dtls_hello_result {
    COAPSEC_DTLS_HELLO_DROP = 0,  /* not an acceptable initial ClientHello: ignore */
    COAPSEC_DTLS_HELLO_HVR = 1,   /* out holds a HelloVerifyRequest: send it back */
    COAPSEC_DTLS_HELLO_ACCEPT = 2 /* valid cookie: coapsec_dtls_server_accept() it */
};

/**
 * Stateless first contact: look at a datagram from an address that has no
 * connection. addr/addrlen are the peer's transport address bytes (e.g. a
 * struct sockaddr_in6). Writes at most *outlen bytes into out (an HVR never
 * larger than the ClientHello) and sets *outlen. Allocates nothing.
 */
int coapsec_dtls_server_hello(coapsec_dtls_server *s, const void *addr, size_t addrlen,
                              const uint8_t *dgram, size_t len, uint8_t *out, size_t *outlen,
                              coapsec_tstamp now);

/**
 * Server: set up connection c with handshake object hs and feed it the
 * datagram that server_hello() accepted (modified in place).
 */
int coapsec_dtls_server_accept(coapsec_dtls_conn *c, const coapsec_dtls_config *cfg, void *user,
                               coapsec_dtls_hs *hs, uint8_t *dgram, size_t len, coapsec_tstamp now);

/**
 * Feed one received datagram (decrypted in place: the buffer is clobbered).
 * Bad records are dropped silently. Returns 0, or a negative error when the
 * handshake just failed (an EV_FAILED event was reported too).
 */
int coapsec_dtls_conn_recv(coapsec_dtls_conn *c, uint8_t *dgram, size_t len, coapsec_tstamp now);

/**
 * Send application data as one record. Errors: STATE (not established),
 * NOBUF (larger than the peer's record limit or COAPSEC_DTLS_DGRAM_MAX),
 * CLOSED (sequence numbers exhausted: a new handshake is needed).
 */
int coapsec_dtls_conn_send(coapsec_dtls_conn *c, const uint8_t *data, size_t len,
                           coapsec_tstamp now);

/** Largest application payload one record may carry now. */
size_t coapsec_dtls_conn_max_payload(const coapsec_dtls_conn *c);

/** Send close_notify (if established) and move to CLOSED; releases hs. */
int coapsec_dtls_conn_close(coapsec_dtls_conn *c, coapsec_tstamp now);

/** Next time handle_expiry must run, or COAPSEC_TSTAMP_NONE. */
coapsec_tstamp coapsec_dtls_conn_expiry(const coapsec_dtls_conn *c);
/** Retransmit, time out, or release the handshake object. */
int coapsec_dtls_conn_handle_expiry(coapsec_dtls_conn *c, coapsec_tstamp now);

int coapsec_dtls_conn_state(const coapsec_dtls_conn *c);
/** Last fatal error (0 if none) and the alert involved. */
int coapsec_dtls_conn_error(const coapsec_dtls_conn *c, int *alert);
unsigned coapsec_dtls_conn_suite(const coapsec_dtls_conn *c);
/** 1 if this is a DTLS ClientHello record at epoch 0 (a new handshake). */
int coapsec_dtls_is_client_hello(const uint8_t *dgram, size_t len);

/* --- heartbeat (RFC 6520) -----------------------------------------------------
 * Negotiated with cfg->heartbeat. Requests from the peer are answered
 * automatically (when we said peer_allowed_to_send); ours carry a 4-byte
 * payload and 16 bytes of random padding, are retransmitted on the DTLS
 * timer (retrans_initial_ms doubling to retrans_max_ms) and after
 * max_retransmits unanswered retransmissions the session is closed with
 * COAPSEC_DTLS_EV_DEAD. At most one request is in flight; none is sent while
 * a handshake runs. With cfg->heartbeat_interval_ms a request goes out by
 * itself after that long without input (coapsec_dtls_conn_expiry covers it). */

/** Send a HeartbeatRequest now. Errors: STATE (not established, or the peer
 * did not allow requests), BUSY (one is in flight). */
int coapsec_dtls_conn_heartbeat(coapsec_dtls_conn *c, coapsec_tstamp now);
/** 1 when heartbeat requests may be sent on this session. */
int coapsec_dtls_conn_heartbeat_ok(const coapsec_dtls_conn *c);

/* --- resumption (RFC 5246 §7.3, RFC 5077, RFC 7627 §5.3) ------------------------ */

/** Resumable session state (fields private). Clients get it from the
 * ESTABLISHED event and pass it back in coapsec_dtls_client_creds.resume;
 * servers keep it in a coapsec_dtls_session_cache or sealed in tickets. */
typedef struct coapsec_dtls_session {
    coapsec_tstamp expiry;  /* on the clock of whoever keeps it */
    int64_t cert_not_after; /* X.509: leaf notAfter, seconds since 1970; else 0 */
    uint8_t master[48];
    uint16_t suite;
    uint16_t ticket_len;
    uint8_t ems, peer_auth, session_id_len, id_len;
    uint8_t key_check[8]; /* PSK: first bytes of SHA-256 of the key */
    uint8_t session_id[32];
    /* PSK: the identity. RPK / X.509: the peer's P-256 point (65 bytes), then
     * for X.509 its name (SAN or CN, truncated). */
    uint8_t id[COAPSEC_DTLS_PSK_ID_MAX];
    uint8_t ticket[COAPSEC_DTLS_TICKET_MAX]; /* client: the ticket to offer */
} coapsec_dtls_session;

/** What resume_check sees of a session the server is about to resume. */
typedef struct coapsec_dtls_session_info {
    unsigned suite;
    int ems;
    int peer_auth;         /* enum coapsec_dtls_peer_auth */
    const uint8_t *psk_id; /* PSK */
    size_t psk_id_len;
    const uint8_t *peer_key_sha256; /* RPK / X.509: SHA-256 of the SPKI */
    int64_t cert_not_after;         /* X.509 */
} coapsec_dtls_session_info;

/** 1 when a client can offer s (a session ID or a ticket, not expired at now). */
int coapsec_dtls_session_resumable(const coapsec_dtls_session *s, coapsec_tstamp now);

/** Server ticket keys (RFC 5077 §4): AES-128-CCM-8 under a current and a
 * previous key; tickets sealed under an older key are refused (full handshake). */
typedef struct coapsec_dtls_ticket_keys {
    coapsec_tstamp rotated_at;
    uint32_t rotate_ms; /* rotate automatically when issuing after this long; 0: never */
    uint8_t have_prev;
    uint8_t name[2][16]; /* [0] current, [1] previous */
    uint8_t key[2][16];
} coapsec_dtls_ticket_keys;
/** Fresh random keys (cfg->rand or the CSPRNG). rotate_ms 0: rotate only by hand. */
int coapsec_dtls_ticket_keys_init(coapsec_dtls_ticket_keys *tk, const coapsec_dtls_config *cfg,
                                  uint32_t rotate_ms, coapsec_tstamp now);
/** New current key; the current one becomes the previous (still accepted). */
int coapsec_dtls_ticket_keys_rotate(coapsec_dtls_ticket_keys *tk, const coapsec_dtls_config *cfg,
                                    coapsec_tstamp now);

/** Server session-ID cache over caller-owned entries (oldest replaced).
 * Without an index, a lookup compares the session ID with every entry: fine
 * for a few dozen entries. With one (coapsec_dtls_session_cache_init_indexed)
 * a lookup is a hash probe whatever the size. */
typedef struct coapsec_dtls_session_cache {
    coapsec_dtls_session *ent;
    size_t cap;
    size_t next;     /* round robin */
    uint32_t *index; /* NULL, or index_len slots: entry number + 1, 0 = empty */
    size_t index_len;
} coapsec_dtls_session_cache;
void coapsec_dtls_session_cache_init(coapsec_dtls_session_cache *sc, coapsec_dtls_session *ent,
                                     size_t cap);
/** Index slots for cap entries: the least power of two at least 2 * cap. */
size_t coapsec_dtls_session_cache_index_len(size_t cap);
/** The same over a caller-owned index of coapsec_dtls_session_cache_index_len(cap)
 * slots. index_len smaller than that, or cap of 2^31 or more: COAPSEC_ERR_INVAL,
 * and the cache is left without entries (it keeps nothing). */
int coapsec_dtls_session_cache_init_indexed(coapsec_dtls_session_cache *sc,
                                            coapsec_dtls_session *ent, size_t cap, uint32_t *index,
                                            size_t index_len);
/** Forget every cached session (e.g. after a credential change). */
void coapsec_dtls_session_cache_clear(coapsec_dtls_session_cache *sc);

#ifdef __cplusplus
}
#endif
#endif /* COAPSEC_DTLS_H */
