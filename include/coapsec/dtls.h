/*
 * coapsec/dtls.h - the sans-I/O DTLS 1.2 engine (RFC 6347): configuration,
 * credentials, callbacks, events, alert codes and the caller-owned contexts.
 *
 * Suites: TLS_PSK_WITH_AES_128_CCM_8 (0xC0A8, RFC 4279 + RFC 6655). The
 * structures leave room for TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 (0xC0AE).
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
 * The fields of the context structs are private; they are declared here only
 * so that callers can size and place them.
 */
#ifndef COAPSEC_DTLS_H
#define COAPSEC_DTLS_H

#include "coapsec/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Cipher suites (IANA values). */
#define COAPSEC_DTLS_PSK_AES_128_CCM_8         0xC0A8u
#define COAPSEC_DTLS_ECDHE_ECDSA_AES_128_CCM_8 0xC0AEu /* reserved: not implemented yet */

/* PSK limits (RFC 4279 §5.3). */
#define COAPSEC_DTLS_PSK_ID_MAX  128
#define COAPSEC_DTLS_PSK_KEY_MAX 64

/* Compile-time sizes of the handshake object. */
#ifndef COAPSEC_DTLS_HS_MSG_MAX
#define COAPSEC_DTLS_HS_MSG_MAX 2048 /* largest handshake message reassembled */
#endif
#ifndef COAPSEC_DTLS_FLIGHT_MAX
#define COAPSEC_DTLS_FLIGHT_MAX 2048 /* our last flight, kept for retransmission */
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
    COAPSEC_DTLS_ALERT_ILLEGAL_PARAMETER = 47,
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
    COAPSEC_DTLS_EV_HS_RELEASED      /* the coapsec_dtls_hs object is free again */
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
} coapsec_dtls_event;

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
} coapsec_dtls_config;

/** Defaults: mtu 1280, timer 1 s doubling to 60 s, 6 retransmissions, EMS on. */
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
    uint8_t rx_map[COAPSEC_DTLS_HS_MSG_MAX / 8];
    uint8_t rx_buf[COAPSEC_DTLS_HS_MSG_MAX];
    uint8_t flight[COAPSEC_DTLS_FLIGHT_MAX];
    uint8_t pend[COAPSEC_DTLS_PENDING_MAX];
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
    uint8_t master[48];
    uint16_t read_epoch, write_epoch;
    uint16_t suite;
    uint16_t max_plain; /* largest plaintext we may send (peer's limits) */
    uint8_t state, role, flags, last_alert;
    int16_t last_err;
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

#ifdef __cplusplus
}
#endif
#endif /* COAPSEC_DTLS_H */
