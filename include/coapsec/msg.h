/*
 * coapsec/msg.h - the CoAP message (RFC 7252 §3) as a C value, its encoder and
 * decoder, the option registry (RFC 7252 §5.10, RFC 7641, RFC 7959) and
 * coap:// / coaps:// URIs (§6).
 *
 * A decoded message points into the datagram it was decoded from (no copy):
 * keep the datagram alive while the message is in use. Options are kept in
 * ascending option-number order; repeated options keep their relative order.
 */
#ifndef COAPSEC_MSG_H
#define COAPSEC_MSG_H

#include "coapsec/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define COAPSEC_MAX_TOKEN 8
#ifndef COAPSEC_MAX_OPTIONS
#define COAPSEC_MAX_OPTIONS 32 /* options one message may carry */
#endif
#ifndef COAPSEC_MAX_PDU
#define COAPSEC_MAX_PDU 1152 /* RFC 7252 §4.6: 1152-byte messages, 1024-byte payloads */
#endif

/* Message types (§3). */
enum coapsec_type { COAPSEC_CON = 0, COAPSEC_NON = 1, COAPSEC_ACK = 2, COAPSEC_RST = 3 };

/* Codes as class<<5 | detail (§3, §12.1). */
#define COAPSEC_CODE(c, d) ((uint8_t)(((c) << 5) | (d)))
enum coapsec_code {
    COAPSEC_EMPTY = 0,
    COAPSEC_GET = 1,
    COAPSEC_POST = 2,
    COAPSEC_PUT = 3,
    COAPSEC_DELETE = 4,
    COAPSEC_FETCH = 5,
    COAPSEC_PATCH = 6,
    COAPSEC_IPATCH = 7,
    COAPSEC_CREATED = COAPSEC_CODE(2, 1),
    COAPSEC_DELETED = COAPSEC_CODE(2, 2),
    COAPSEC_VALID = COAPSEC_CODE(2, 3),
    COAPSEC_CHANGED = COAPSEC_CODE(2, 4),
    COAPSEC_CONTENT = COAPSEC_CODE(2, 5),
    COAPSEC_CONTINUE = COAPSEC_CODE(2, 31),
    COAPSEC_BAD_REQUEST = COAPSEC_CODE(4, 0),
    COAPSEC_UNAUTHORIZED = COAPSEC_CODE(4, 1),
    COAPSEC_BAD_OPTION = COAPSEC_CODE(4, 2),
    COAPSEC_FORBIDDEN = COAPSEC_CODE(4, 3),
    COAPSEC_NOT_FOUND = COAPSEC_CODE(4, 4),
    COAPSEC_METHOD_NOT_ALLOWED = COAPSEC_CODE(4, 5),
    COAPSEC_NOT_ACCEPTABLE = COAPSEC_CODE(4, 6),
    COAPSEC_REQUEST_ENTITY_INCOMPLETE = COAPSEC_CODE(4, 8),
    COAPSEC_PRECONDITION_FAILED = COAPSEC_CODE(4, 12),
    COAPSEC_REQUEST_ENTITY_TOO_LARGE = COAPSEC_CODE(4, 13),
    COAPSEC_UNSUPPORTED_CONTENT_FORMAT = COAPSEC_CODE(4, 15),
    COAPSEC_INTERNAL_SERVER_ERROR = COAPSEC_CODE(5, 0),
    COAPSEC_NOT_IMPLEMENTED = COAPSEC_CODE(5, 1),
    COAPSEC_BAD_GATEWAY = COAPSEC_CODE(5, 2),
    COAPSEC_SERVICE_UNAVAILABLE = COAPSEC_CODE(5, 3),
    COAPSEC_GATEWAY_TIMEOUT = COAPSEC_CODE(5, 4),
    COAPSEC_PROXYING_NOT_SUPPORTED = COAPSEC_CODE(5, 5),
};
#define COAPSEC_CODE_CLASS(c)  ((c) >> 5)
#define COAPSEC_CODE_DETAIL(c) ((c)&0x1f)
#define COAPSEC_IS_REQUEST(c)  ((c) >= 1 && (c) <= 31)
#define COAPSEC_IS_RESPONSE(c) ((c) >= 64 && (c) <= 191)

/* Option numbers (§5.10, RFC 7641 §2, RFC 7959 §2.1, RFC 8613 none). */
enum coapsec_optnum {
    COAPSEC_OPT_IF_MATCH = 1,
    COAPSEC_OPT_URI_HOST = 3,
    COAPSEC_OPT_ETAG = 4,
    COAPSEC_OPT_IF_NONE_MATCH = 5,
    COAPSEC_OPT_OBSERVE = 6,
    COAPSEC_OPT_URI_PORT = 7,
    COAPSEC_OPT_LOCATION_PATH = 8,
    COAPSEC_OPT_URI_PATH = 11,
    COAPSEC_OPT_CONTENT_FORMAT = 12,
    COAPSEC_OPT_MAX_AGE = 14,
    COAPSEC_OPT_URI_QUERY = 15,
    COAPSEC_OPT_ACCEPT = 17,
    COAPSEC_OPT_LOCATION_QUERY = 20,
    COAPSEC_OPT_BLOCK2 = 23,
    COAPSEC_OPT_BLOCK1 = 27,
    COAPSEC_OPT_SIZE2 = 28,
    COAPSEC_OPT_PROXY_URI = 35,
    COAPSEC_OPT_PROXY_SCHEME = 39,
    COAPSEC_OPT_SIZE1 = 60,
    COAPSEC_OPT_NO_RESPONSE = 258,
};

/* Content-Formats (§12.3). */
enum coapsec_cf {
    COAPSEC_CF_TEXT_PLAIN = 0,
    COAPSEC_CF_LINK_FORMAT = 40,
    COAPSEC_CF_XML = 41,
    COAPSEC_CF_OCTET_STREAM = 42,
    COAPSEC_CF_EXI = 47,
    COAPSEC_CF_JSON = 50,
    COAPSEC_CF_CBOR = 60,
};

/** One option; val points into the decoded datagram or caller memory. */
typedef struct coapsec_opt {
    uint16_t num;
    uint16_t len;
    const uint8_t *val;
} coapsec_opt;

/** A CoAP message. Zero-initialise, then fill or decode into it. */
typedef struct coapsec_msg {
    uint8_t type; /* enum coapsec_type */
    uint8_t code; /* enum coapsec_code */
    uint16_t mid;
    uint8_t tkl;
    uint8_t token[COAPSEC_MAX_TOKEN];
    uint16_t nopts;
    coapsec_opt opts[COAPSEC_MAX_OPTIONS];
    const uint8_t *payload;
    size_t payload_len;
} coapsec_msg;

/**
 * Decode a datagram (§3). Returns 0, or COAPSEC_ERR_FORMAT for a message
 * format error: version != 1, TKL 9-15, option nibble 15 that is not the
 * payload marker, an option running past the end, a payload marker followed by
 * no payload, an empty message (code 0.00) with a token, options or payload
 * (§4.1), or more than COAPSEC_MAX_OPTIONS options (COAPSEC_ERR_NOMEM).
 * On COAPSEC_ERR_FORMAT, m->type, m->mid and m->code are still set whenever the
 * 4-byte header could be read, so the caller can answer with RST (§4.2).
 */
int coapsec_msg_decode(coapsec_msg *m, const uint8_t *buf, size_t len);

/**
 * Encode m into buf. Returns the number of bytes written, COAPSEC_ERR_NOBUF if
 * cap is too small, or COAPSEC_ERR_INVAL for an invalid message: m->opts must
 * be sorted by number (coapsec_msg_add_opt keeps them so), tkl <= 8, type <= 3,
 * and an Empty message (code 0.00) must have no token, options or payload.
 * Options use the shortest delta/length forms; the payload marker is written
 * only when payload_len > 0.
 */
int coapsec_msg_encode(const coapsec_msg *m, uint8_t *buf, size_t cap);

/** Add an option, keeping the options sorted (stable for repeats). val is not copied. */
int coapsec_msg_add_opt(coapsec_msg *m, uint16_t num, const void *val, size_t len);
/** Add an unsigned-integer option in its shortest encoding (§3.2); val is copied into
 *  scratch, which must stay alive as long as m (4 bytes). */
int coapsec_msg_add_uint(coapsec_msg *m, uint16_t num, uint32_t v, uint8_t scratch[4]);
/** First option with this number, or NULL. */
const coapsec_opt *coapsec_msg_find(const coapsec_msg *m, uint16_t num);
/** Decode a uint option value (§3.2); returns 0, or COAPSEC_ERR_FORMAT if longer than 4. */
int coapsec_opt_uint(const coapsec_opt *o, uint32_t *out);
/** Remove every option with this number. */
void coapsec_msg_del_opt(coapsec_msg *m, uint16_t num);

/* Option properties (§5.4.6): critical = odd, unsafe = bit 1, no-cache-key. */
#define COAPSEC_OPT_IS_CRITICAL(n)   ((n)&1)
#define COAPSEC_OPT_IS_UNSAFE(n)     ((n)&2)
#define COAPSEC_OPT_IS_NOCACHEKEY(n) (((n)&0x1e) == 0x1c)

/** Registry entry for a known option (§5.10 table). */
typedef struct coapsec_optdef {
    uint16_t num;
    const char *name;
    uint8_t format; /* COAPSEC_OPTFMT_* */
    uint16_t min_len;
    uint16_t max_len;
    uint8_t repeatable;
} coapsec_optdef;
enum { COAPSEC_OPTFMT_EMPTY, COAPSEC_OPTFMT_OPAQUE, COAPSEC_OPTFMT_UINT, COAPSEC_OPTFMT_STRING };

/** The registry entry for num, or NULL when the option is not recognised. */
const coapsec_optdef *coapsec_optdef_find(uint16_t num);
/**
 * Recognise the options of an application protocol on top of CoAP (e.g.
 * oneM2M's, coapsec_onem2m_recognise_options()) in addition to the built-in
 * registry, process-wide: coapsec_optdef_find() and the §5.4.1 check then
 * know them. defs (n entries, sorted by number, none built in) is not copied
 * and must stay valid; a new call replaces the previous set (NULL, 0 clears
 * it). Call it before any engine runs; it is not thread-safe. Returns 0 or
 * COAPSEC_ERR_INVAL.
 */
int coapsec_optdef_extend(const coapsec_optdef *defs, size_t n);

/**
 * First unrecognised critical option in a request or response (§5.4.1), or
 * NULL. A known option whose length is outside its definition counts as
 * unrecognised (§5.4.3).
 */
const coapsec_opt *coapsec_msg_bad_critical(const coapsec_msg *m);

/* ---- URIs (§6) ----------------------------------------------------------- */

#define COAPSEC_URI_MAX_SEGS 16
#define COAPSEC_URI_BUF      512

/** A parsed coap:// or coaps:// URI. Segments are percent-decoded into buf. */
typedef struct coapsec_uri {
    int secure;       /* 1 for coaps */
    char host[256];   /* without brackets for IPv6 literals, decoded */
    int host_is_ip;   /* host is an IPv4 or IPv6 literal */
    uint16_t port;    /* 5683 / 5684 when absent */
    uint8_t nsegs;    /* Uri-Path segments */
    uint8_t nqueries; /* Uri-Query items */
    const char *seg[COAPSEC_URI_MAX_SEGS];
    uint16_t seg_len[COAPSEC_URI_MAX_SEGS];
    const char *query[COAPSEC_URI_MAX_SEGS];
    uint16_t query_len[COAPSEC_URI_MAX_SEGS];
    char buf[COAPSEC_URI_BUF];
} coapsec_uri;

/**
 * Parse an absolute coap/coaps URI (§6.4). Returns 0, COAPSEC_ERR_URI, or
 * COAPSEC_ERR_INVAL for NULL arguments. Host, path segments and query items
 * are percent-decoded; dot segments are removed (RFC 3986 §5.2.4); "" and "/"
 * give no segment, a trailing "/" an empty last one. Each segment/query item
 * is also NUL-terminated in buf (but may itself contain NUL bytes from %00).
 * The pointers point into u: do not copy a coapsec_uri by value.
 */
int coapsec_uri_parse(coapsec_uri *u, const char *text);
/**
 * Add the URI's Uri-Host (only if not an IP literal), Uri-Port (only when
 * with_port and not the default), Uri-Path and Uri-Query options to m.
 * Option values point into u and scratch (>= 2 bytes). Returns 0, or
 * COAPSEC_ERR_NOMEM (and adds nothing) when they would not all fit in m.
 */
int coapsec_uri_to_opts(const coapsec_uri *u, coapsec_msg *m, int with_port, uint8_t scratch[2]);
/**
 * Compose a NUL-terminated URI from m's Uri-* options (§6.5), percent-encoding
 * as needed. host (an IP address as text, IPv6 without brackets) and port are
 * the request's destination, used when m has no Uri-Host / Uri-Port. Returns
 * the length written (without the NUL), COAPSEC_ERR_NOBUF, or
 * COAPSEC_ERR_INVAL (no host at all, a Uri-Port above 65535, cap == 0).
 */
int coapsec_uri_compose(const coapsec_msg *m, int secure, const char *host, uint16_t port,
                        char *out, size_t cap);

#ifdef __cplusplus
}
#endif
#endif /* COAPSEC_MSG_H */
