/*
 * coapsec/common.h - types shared by every coapsec module: the time type,
 * error codes and the peer handle that ties CoAP state to a transport session.
 *
 * Time: every sans-I/O function takes the current time as its last argument,
 * a monotonic count of milliseconds chosen by the caller (coapsec_tstamp).
 * COAPSEC_TSTAMP_NONE means "no expiry".
 *
 * Errors: functions return 0 (or a non-negative count) on success and a
 * negative COAPSEC_ERR_* code on failure.
 */
#ifndef COAPSEC_COMMON_H
#define COAPSEC_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Monotonic time in milliseconds, supplied by the caller. */
typedef uint64_t coapsec_tstamp;
#define COAPSEC_TSTAMP_NONE UINT64_MAX

/** Error codes (negative). Keep coapsec_strerror() in src/common/error.c in step. */
enum coapsec_err {
    COAPSEC_OK = 0,
    COAPSEC_ERR_INVAL = -1,        /* invalid argument */
    COAPSEC_ERR_NOBUF = -2,        /* output buffer too small */
    COAPSEC_ERR_FORMAT = -3,       /* message format error (malformed input) */
    COAPSEC_ERR_NOMEM = -4,        /* a fixed-size pool is full */
    COAPSEC_ERR_NOTFOUND = -5,     /* no such entry */
    COAPSEC_ERR_TIMEOUT = -6,      /* no answer within the retransmission limits */
    COAPSEC_ERR_RESET = -7,        /* the peer answered with RST */
    COAPSEC_ERR_CLOSED = -8,       /* the session ended or was replaced */
    COAPSEC_ERR_BADOPT = -9,       /* unrecognised critical option */
    COAPSEC_ERR_CRYPTO = -10,      /* libcrypto failed */
    COAPSEC_ERR_DECRYPT = -11,     /* record failed to authenticate */
    COAPSEC_ERR_HANDSHAKE = -12,   /* handshake failed (see alert) */
    COAPSEC_ERR_UNSUPPORTED = -13, /* feature or parameter not supported */
    COAPSEC_ERR_STATE = -14,       /* call not valid in the current state */
    COAPSEC_ERR_IO = -15,          /* socket error (endpoint only) */
    COAPSEC_ERR_BUSY = -16,        /* NSTART or a queue limit reached; try later */
    COAPSEC_ERR_REPLAY = -17,      /* record is a replay */
    COAPSEC_ERR_AUTH = -18,        /* peer authentication failed */
    COAPSEC_ERR_URI = -19,         /* malformed URI */
    COAPSEC_ERR_BADUINT = -20,     /* non-numeric or out-of-range unsigned integer */
    COAPSEC_ERR_BADOP = -21,       /* unknown or unmappable oneM2M operation */
    COAPSEC_ERR_NOPATH = -22,      /* oneM2M target (To) maps to no CoAP path */
};

/** Human-readable text for an error code; never NULL. */
const char *coapsec_strerror(int err);

/**
 * A peer as the CoAP layer sees it: a slot in the endpoint's session table
 * and the generation of that slot. Every keying of a DTLS session (and every
 * reuse of a slot) bumps the generation, so state bound to an old generation
 * never matches a message of a new one ("same session and epoch").
 */
typedef struct coapsec_peer_id {
    uint32_t slot;
    uint32_t gen;
} coapsec_peer_id;

static inline int coapsec_peer_id_eq(coapsec_peer_id a, coapsec_peer_id b) {
    return a.slot == b.slot && a.gen == b.gen;
}

#ifdef __cplusplus
}
#endif
#endif /* COAPSEC_COMMON_H */
