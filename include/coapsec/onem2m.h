/*
 * coapsec/onem2m.h - the oneM2M CoAP binding (oneM2M TS-0008 §6): request and
 * response primitives (TS-0004 short names) as a C value, their mapping to and
 * from CoAP requests and responses, the Response Status Code <-> CoAP code
 * table, and a small bounded JSON reader/writer for primitives.
 *
 * Memory: nothing is allocated. A primitive's strings are views (pointer +
 * length) into the memory it was decoded from (the CoAP datagram or the JSON
 * text) or into the primitive's own buf[] (a To joined from Uri-Path segments,
 * a JSON string with escapes): keep that memory alive while the primitive is
 * used, and do not copy a coapsec_onem2m_prim by value.
 *
 * Option numbers: TS-0008 renumbered the oneM2M options in V3.7.0. Every
 * CoAP-facing function takes a numbering (COAPSEC_ONEM2M_NUM_CURRENT or
 * COAPSEC_ONEM2M_NUM_LEGACY, the pre-V3.7.0 numbers still used by Eclipse OM2M).
 */
#ifndef COAPSEC_ONEM2M_H
#define COAPSEC_ONEM2M_H

#include "coapsec/common.h"
#include "coapsec/msg.h"

#ifdef __cplusplus
extern "C" {
#endif

#define COAPSEC_ONEM2M_ABSENT (-1) /* value of an absent integer parameter */
#ifndef COAPSEC_ONEM2M_MAX_QUERY
#define COAPSEC_ONEM2M_MAX_QUERY 16 /* query-carried parameters per primitive */
#endif
#ifndef COAPSEC_ONEM2M_BUF
#define COAPSEC_ONEM2M_BUF 2048 /* per-primitive buffer for joined/unescaped strings */
#endif
#define COAPSEC_ONEM2M_JSON_DEPTH 16    /* maximum JSON nesting */
#define COAPSEC_ONEM2M_JSON_MAX   65536 /* maximum JSON text length */
#define COAPSEC_ONEM2M_SCRATCH    1024  /* scratch enough for any *_to_coap call */

/** Operations (TS-0004 operation, short name op). */
enum coapsec_onem2m_op {
    COAPSEC_ONEM2M_OP_CREATE = 1,
    COAPSEC_ONEM2M_OP_RETRIEVE = 2,
    COAPSEC_ONEM2M_OP_UPDATE = 3,
    COAPSEC_ONEM2M_OP_DELETE = 4,
    COAPSEC_ONEM2M_OP_NOTIFY = 5,
};

/** Response types (TS-0004 responseTypeValue, Uri-Query rt). */
enum coapsec_onem2m_rt {
    COAPSEC_ONEM2M_RT_NONBLOCKING_SYNCH = 1,
    COAPSEC_ONEM2M_RT_NONBLOCKING_ASYNCH = 2,
    COAPSEC_ONEM2M_RT_BLOCKING = 3,
    COAPSEC_ONEM2M_RT_FLEX_BLOCKING = 4,
};

/** Option numbering (TS-0008 Table 6.2.2.4.0-1). */
enum coapsec_onem2m_numbering {
    COAPSEC_ONEM2M_NUM_CURRENT = 0, /* V3.7.0 and later */
    COAPSEC_ONEM2M_NUM_LEGACY = 1,  /* before V3.7.0 (Eclipse OM2M) */
};

/** Content-Formats of TS-0008 Table 6.2.2.2-1. */
enum coapsec_onem2m_cf {
    COAPSEC_ONEM2M_CF_RES_JSON = 10001,
    COAPSEC_ONEM2M_CF_NTFY_XML = 10002,
    COAPSEC_ONEM2M_CF_NTFY_JSON = 10003,
    COAPSEC_ONEM2M_CF_PREQ_XML = 10006,
    COAPSEC_ONEM2M_CF_PREQ_JSON = 10007,
    COAPSEC_ONEM2M_CF_PRSP_XML = 10008,
    COAPSEC_ONEM2M_CF_PRSP_JSON = 10009,
    COAPSEC_ONEM2M_CF_RES_CBOR = 10010,
    COAPSEC_ONEM2M_CF_NTFY_CBOR = 10011,
    COAPSEC_ONEM2M_CF_PREQ_CBOR = 10012,
    COAPSEC_ONEM2M_CF_PRSP_CBOR = 10013,
    COAPSEC_ONEM2M_CF_RES_XML = 10014,
};

/** The option-carried parameters, in TS-0008 Table 6.2.2.4.0-1 order. */
enum coapsec_onem2m_param {
    COAPSEC_ONEM2M_P_FR,
    COAPSEC_ONEM2M_P_RQI,
    COAPSEC_ONEM2M_P_OT,
    COAPSEC_ONEM2M_P_RQET,
    COAPSEC_ONEM2M_P_RSET,
    COAPSEC_ONEM2M_P_OET,
    COAPSEC_ONEM2M_P_RTURI,
    COAPSEC_ONEM2M_P_EC,
    COAPSEC_ONEM2M_P_RSC,
    COAPSEC_ONEM2M_P_GID,
    COAPSEC_ONEM2M_P_TY,
    COAPSEC_ONEM2M_P_CTO,
    COAPSEC_ONEM2M_P_CTS,
    COAPSEC_ONEM2M_P_ATI,
    COAPSEC_ONEM2M_P_RVI,
    COAPSEC_ONEM2M_P_VSI,
    COAPSEC_ONEM2M_P_GTM,
    COAPSEC_ONEM2M_P_AUS,
    COAPSEC_ONEM2M_P_ASRI,
    COAPSEC_ONEM2M_P_COUNT
};

/** A string view; p == NULL means absent (p != NULL, len 0 is an empty string). */
typedef struct coapsec_onem2m_str {
    const char *p;
    size_t len;
} coapsec_onem2m_str;

/** A query-carried parameter (short name = value), e.g. rcn=1, fu=1, lbl=a. */
typedef struct coapsec_onem2m_kv {
    coapsec_onem2m_str key, val;
} coapsec_onem2m_kv;

/**
 * A request or response primitive. Initialise with coapsec_onem2m_prim_init.
 * Integers are COAPSEC_ONEM2M_ABSENT when absent. Request fields: op, to, fr,
 * rqi, ty, pc/cf, rt, rturi and the rest; response fields: rsc, rqi, pc/cf,
 * loc (the created resource, Location-Path), to, fr, ot, rset, ec, rvi, vsi,
 * cts, cto, ati.
 */
typedef struct coapsec_onem2m_prim {
    int32_t op;  /* enum coapsec_onem2m_op (requests) */
    int32_t rsc; /* Response Status Code (responses) */
    coapsec_onem2m_str to;
    coapsec_onem2m_str fr, rqi, ot, rqet, rset, oet, rturi, gid, ati, rvi, vsi, gtm, aus, asri;
    int32_t ty, ec, cto, cts;
    int32_t rt;              /* enum coapsec_onem2m_rt; Uri-Query rt */
    int32_t cf;              /* Content-Format of pc */
    int32_t accept;          /* Accept (requests) */
    coapsec_onem2m_str pc;   /* primitive content, opaque bytes */
    coapsec_onem2m_str host; /* Uri-Host of the target's pointOfAccess */
    int32_t port;            /* Uri-Port */
    coapsec_onem2m_str loc;  /* responses: created resource, same forms as To */
    uint8_t nquery;
    coapsec_onem2m_kv query[COAPSEC_ONEM2M_MAX_QUERY];
    size_t used;
    char buf[COAPSEC_ONEM2M_BUF];
} coapsec_onem2m_prim;

/** Description of one option-carried parameter (TS-0008 Table 6.2.2.4.0-1). */
typedef struct coapsec_onem2m_paramdef {
    uint8_t param;     /* enum coapsec_onem2m_param */
    const char *sname; /* TS-0004 short name */
    uint16_t num;      /* option number, V3.7.0+ */
    uint16_t legacy;   /* option number before V3.7.0; 0 = none */
    uint8_t format;    /* COAPSEC_OPTFMT_STRING or COAPSEC_OPTFMT_UINT */
    uint16_t min_len;  /* option value length range */
    uint16_t max_len;
    size_t offset; /* offset of the field in coapsec_onem2m_prim */
} coapsec_onem2m_paramdef;

/** Set every field of p to absent and empty its buffer. */
void coapsec_onem2m_prim_init(coapsec_onem2m_prim *p);

/** The definition of an option-carried parameter, or NULL if out of range. */
const coapsec_onem2m_paramdef *coapsec_onem2m_param(int param);
/** The parameter carried in option number num under a numbering, or NULL. */
const coapsec_onem2m_paramdef *coapsec_onem2m_param_by_opt(uint16_t num, int numbering);
/** The option number of a parameter under a numbering; 0 when it has none. */
uint16_t coapsec_onem2m_optnum(int param, int numbering);

/** Media type of a Content-Format (the oneM2M ones and 41/50/60), or NULL. */
const char *coapsec_onem2m_cf_name(uint32_t cf);
/** 1 if cf carries JSON (50 or a oneM2M +json format), else 0. */
int coapsec_onem2m_cf_is_json(uint32_t cf);

/** CoAP method for an operation (Table 6.2.1-1, blocking), or COAPSEC_ERR_BADOP. */
int coapsec_onem2m_op_method(int op);

/* ---- primitive <-> CoAP (§6.2, §6.3) --------------------------------------- */

/**
 * Build a CoAP request from a request primitive: sets m->code, adds the
 * Uri-Host/Uri-Port/Uri-Path (§6.2.2.3), Uri-Query (op, rt and p->query in
 * short-name form), Content-Format, Accept and oneM2M options (uints shortest),
 * and points m->payload at p->pc. Leaves type, mid and token alone; m must
 * otherwise be empty or hold options the caller added. Option values point
 * into p and scratch (COAPSEC_ONEM2M_SCRATCH bytes are always enough).
 * Non-blocking and flex-blocking requests (rt 1, 2, 4) are POSTs with op in
 * Uri-Query; so is a CREATE without ty and a NOTIFY with ty, so that decoding
 * gives back the same op.
 * Returns 0, COAPSEC_ERR_INVAL (NULL), COAPSEC_ERR_BADOP (op unknown),
 * COAPSEC_ERR_NOPATH (To maps to no Uri-Path), COAPSEC_ERR_BADOPT (a string
 * longer or shorter than its option allows), COAPSEC_ERR_BADUINT (an integer
 * too large for its option), COAPSEC_ERR_UNSUPPORTED (a parameter with no
 * number in the chosen numbering), COAPSEC_ERR_NOMEM (too many options) or
 * COAPSEC_ERR_NOBUF (scratch too small).
 */
int coapsec_onem2m_req_to_coap(const coapsec_onem2m_prim *p, int numbering, coapsec_msg *m,
                               uint8_t *scratch, size_t scratch_cap);

/**
 * Read a request primitive from a decoded CoAP request (the receiver side).
 * Strings point into m's datagram or p->buf. Returns 0 or, failing closed:
 * COAPSEC_ERR_INVAL (NULL, not a request), COAPSEC_ERR_BADOPT (an option
 * longer/shorter than allowed, a repeated oneM2M option, an unrecognised
 * critical option), COAPSEC_ERR_BADUINT (op/rt in Uri-Query not a number or
 * out of range), COAPSEC_ERR_BADOP (unknown op, a method with no operation,
 * op contradicting the method), COAPSEC_ERR_NOPATH (Uri-Path maps to no To),
 * COAPSEC_ERR_FORMAT (Uri-Query item without '=', op/rt repeated),
 * COAPSEC_ERR_NOMEM (too many query items), COAPSEC_ERR_NOBUF (p->buf full),
 * COAPSEC_ERR_UNSUPPORTED (Accept names no known format; checked last).
 */
int coapsec_onem2m_req_from_coap(coapsec_onem2m_prim *p, const coapsec_msg *m, int numbering);

/**
 * Build a CoAP response from a response primitive for a request of operation
 * req_op: m->code from p->rsc per Table 6.2.4-1, oneM2M-RSC always, the other
 * oneM2M options present, Location-Path from p->loc, Content-Format and
 * payload. Returns 0 or the errors of coapsec_onem2m_req_to_coap, plus
 * COAPSEC_ERR_INVAL for a missing rsc or a NOTIFY 2000 response with content,
 * COAPSEC_ERR_UNSUPPORTED for an RSC with no CoAP code (1000).
 */
int coapsec_onem2m_rsp_to_coap(const coapsec_onem2m_prim *p, int req_op, int numbering,
                               coapsec_msg *m, uint8_t *scratch, size_t scratch_cap);

/**
 * Read a response primitive from a decoded CoAP response to a request of
 * operation req_op. rsc is the oneM2M-RSC option when present (it must agree
 * with the CoAP code per Table 6.2.4-1, else COAPSEC_ERR_FORMAT), otherwise
 * derived from the code (coapsec_onem2m_code_rsc). Errors as
 * coapsec_onem2m_req_from_coap.
 */
int coapsec_onem2m_rsp_from_coap(coapsec_onem2m_prim *p, const coapsec_msg *m, int req_op,
                                 int numbering);

/* ---- Response Status Codes (Table 6.2.4-1) --------------------------------- */

/**
 * CoAP response code for an RSC. req_op picks between the two rows of 2000
 * (NOTIFY: 2.04, else 2.05); created (a <request> resource exists) between the
 * two codes of 1002. RSCs not in the table map by class (4xxx, 6xxx: 4.00,
 * 5xxx: 5.00). Returns the code, or COAPSEC_ERR_UNSUPPORTED (1000 and any
 * other RSC with no CoAP code).
 */
int coapsec_onem2m_rsc_code(uint32_t rsc, int req_op, int created);
/** The RSC to assume for a CoAP response code without oneM2M-RSC (NOTIFY 2.04: 2000). */
uint32_t coapsec_onem2m_code_rsc(uint8_t code, int req_op);
/** 1 if Table 6.2.4-1 allows CoAP code for rsc, else 0. An RSC not in the table
 *  needs a code of its class (2.xx for 1xxx/2xxx, 4.xx/5.xx for 4xxx-6xxx);
 *  4.02 is allowed with every error RSC (RFC 7252 §5.4.1 Bad Option). */
int coapsec_onem2m_rsc_code_ok(uint32_t rsc, uint8_t code);

/**
 * The CoAP code and RSC a receiver answers with when coapsec_onem2m_req_from_coap
 * failed with err: BADOPT -> 4.02/4000, UNSUPPORTED -> 4.06/5207, anything else
 * -> 4.00/4000 (BADUINT, BADOP, NOPATH, FORMAT, NOMEM) or 5.00/5000 (INVAL, NOBUF).
 */
void coapsec_onem2m_err_rsp(int err, uint8_t *code, uint32_t *rsc);

/* ---- JSON (TS-0004 short names) -------------------------------------------- */

/**
 * Parse a primitive given as JSON with short names into p, e.g.
 * {"op":1,"to":"/cse-in","fr":"C1","rqi":"r1","ty":2,"pc":{"m2m:ae":{}}}.
 * pc is kept as its raw JSON text, with Content-Format cf, or when cf is
 * COAPSEC_ONEM2M_ABSENT, 10003 (ntfy+json) for NOTIFY and 10001 (res+json)
 * otherwise. rt is a number or {"rtv":n,"nu":["uri"]} (one nu at most);
 * fc is an object whose members become query parameters (arrays joined with
 * '+'), as do the top-level query keys (rcn, rp, da, drt, sqi, lbl...).
 * Returns 0, COAPSEC_ERR_FORMAT (malformed JSON, wrong value type, a duplicate
 * key, deeper than COAPSEC_ONEM2M_JSON_DEPTH or longer than
 * COAPSEC_ONEM2M_JSON_MAX), COAPSEC_ERR_BADUINT (a number that is not a uint
 * in range), COAPSEC_ERR_UNSUPPORTED (an unknown key), COAPSEC_ERR_NOMEM,
 * COAPSEC_ERR_NOBUF or COAPSEC_ERR_INVAL.
 */
int coapsec_onem2m_from_json(coapsec_onem2m_prim *p, const char *json, size_t len, int32_t cf);

/**
 * Print p as one-line JSON with short names into out (NUL-terminated).
 * pc is embedded as JSON when its Content-Format is a JSON one and it parses,
 * otherwise as a string. loc (not a TS-0004 parameter) is printed as "loc".
 * Returns the length written without the NUL, or COAPSEC_ERR_NOBUF.
 */
int coapsec_onem2m_to_json(const coapsec_onem2m_prim *p, char *out, size_t cap);

/** coapsec_onem2m_from_json for a request primitive. */
int coapsec_onem2m_req_from_json(coapsec_onem2m_prim *p, const char *json, size_t len, int32_t cf);
/** coapsec_onem2m_to_json for a response primitive. */
int coapsec_onem2m_rsp_to_json(const coapsec_onem2m_prim *p, char *out, size_t cap);

/** Check that text is one well-formed JSON value within the depth/length bounds: 0 or
 *  COAPSEC_ERR_FORMAT. */
int coapsec_onem2m_json_check(const char *json, size_t len);

/* ---- the oneM2M options in the CoAP layer -------------------------------------- */

/**
 * The oneM2M options of one numbering as CoAP option definitions, sorted by
 * number, into out (cap entries; COAPSEC_ONEM2M_P_COUNT always suffice).
 * Returns the count, COAPSEC_ERR_INVAL or COAPSEC_ERR_NOBUF.
 */
int coapsec_onem2m_optdefs(int numbering, coapsec_optdef *out, size_t cap);

/**
 * Make the CoAP layer recognise the oneM2M options of one numbering
 * (coapsec_optdef_extend(), process-wide; call before any engine runs): an
 * endpoint then hands requests carrying them to its handlers and accepts
 * responses carrying them, instead of 4.02 / rejecting them (RFC 7252 §5.4.1;
 * the options are critical). Returns 0 or COAPSEC_ERR_INVAL.
 */
int coapsec_onem2m_recognise_options(int numbering);

/* ---- JSON member lookup ----------------------------------------------------- */

/**
 * Find member key of the JSON object json (one level, no unescaping of keys
 * beyond a plain byte compare) and point *val at its raw value text (a
 * string value includes its quotes). Returns 0, COAPSEC_ERR_NOTFOUND (no such
 * member), COAPSEC_ERR_FORMAT (not a well-formed object) or COAPSEC_ERR_INVAL.
 */
int coapsec_onem2m_json_member(const char *json, size_t len, const char *key,
                               coapsec_onem2m_str *val);

/* ---- Response Status Codes used by the response-type logic ------------------- */

enum coapsec_onem2m_rsc_value {
    COAPSEC_ONEM2M_RSC_ACCEPTED_NB_SYNCH = 1001,
    COAPSEC_ONEM2M_RSC_ACCEPTED_NB_ASYNCH = 1002,
    COAPSEC_ONEM2M_RSC_OK = 2000,
    COAPSEC_ONEM2M_RSC_CREATED = 2001,
    COAPSEC_ONEM2M_RSC_BAD_REQUEST = 4000,
    COAPSEC_ONEM2M_RSC_NOT_FOUND = 4004,
    COAPSEC_ONEM2M_RSC_OPERATION_NOT_ALLOWED = 4005,
    COAPSEC_ONEM2M_RSC_REQUEST_TIMEOUT = 4008,
    COAPSEC_ONEM2M_RSC_CONFLICT = 4105,
    COAPSEC_ONEM2M_RSC_INTERNAL_SERVER_ERROR = 5000,
    COAPSEC_ONEM2M_RSC_NOT_IMPLEMENTED = 5001,
    COAPSEC_ONEM2M_RSC_NB_SYNCH_NOT_SUPPORTED = 5206,
};

/* ---- originator: response types and the originator timeout (§6.3) ----------- */

#ifndef COAPSEC_ONEM2M_MAX_OUTSTANDING
#define COAPSEC_ONEM2M_MAX_OUTSTANDING 16 /* requests an originator tracks at once */
#endif
#define COAPSEC_ONEM2M_RQI_MAX 64 /* longest Request Identifier tracked */

/** What coapsec_onem2m_orig_response() made of a response. */
enum coapsec_onem2m_orig_event {
    /** The result of the request (blocking answer, or the result of a
     *  non-blocking one): its tracking ended. */
    COAPSEC_ONEM2M_ORIG_FINAL = 1,
    /** 1001/1002 to a non-blocking or flex-blocking request: the result comes
     *  later (synch: retrieve the <request> resource named by loc; asynch: a
     *  NOTIFY to rturi). The request stays tracked under the same timeout. */
    COAPSEC_ONEM2M_ORIG_ACCEPTED = 2,
};

typedef struct coapsec_onem2m_outstanding_ {
    uint8_t state; /* private: 0 free, 1 waiting, 2 accepted, 3 timed out (tombstone) */
    uint8_t rqi_len;
    int32_t op, rt;
    uint32_t seq;
    coapsec_tstamp deadline;
    char rqi[COAPSEC_ONEM2M_RQI_MAX];
} coapsec_onem2m_outstanding_;

/**
 * Originator state (caller-owned, no allocation, sans-I/O): the requests sent
 * and not yet answered, keyed by Request Identifier, each with its own
 * deadline (the originator timeout, e.g. derived from rqet). When a deadline
 * passes, coapsec_onem2m_orig_expire() produces the REQUEST_TIMEOUT (4008)
 * response primitive; a response that arrives afterwards is "late" and must
 * be ignored (TS-0008 §6.3): coapsec_onem2m_orig_response() says so.
 */
typedef struct coapsec_onem2m_orig {
    coapsec_onem2m_outstanding_ o[COAPSEC_ONEM2M_MAX_OUTSTANDING];
    uint32_t seq;      /* private */
    uint64_t timeouts; /* requests that ended with REQUEST_TIMEOUT */
    uint64_t late;     /* responses dropped because their request timed out */
    uint64_t unknown;  /* responses dropped because their rqi was never sent */
} coapsec_onem2m_orig;

/** Empty the table and zero the counters. */
void coapsec_onem2m_orig_init(coapsec_onem2m_orig *o);

/**
 * Track a request primitive just sent (its rqi, op and rt), answered at the
 * latest timeout_ms after now. A tombstone of a timed-out request is reused
 * when no slot is free. Returns 0, COAPSEC_ERR_INVAL (NULL, no rqi, rqi
 * longer than COAPSEC_ONEM2M_RQI_MAX, timeout_ms 0), COAPSEC_ERR_STATE (that
 * rqi is outstanding already) or COAPSEC_ERR_NOMEM (table full).
 */
int coapsec_onem2m_orig_start(coapsec_onem2m_orig *o, const coapsec_onem2m_prim *req,
                              uint64_t timeout_ms, coapsec_tstamp now);

/**
 * A response primitive for one of our requests arrived: the CoAP response, or
 * the result of a non-blocking request (coapsec_onem2m_result_from_json() on
 * the retrieved <request> resource or on the content of the NOTIFY). Matched
 * by rqi. Returns COAPSEC_ONEM2M_ORIG_FINAL or COAPSEC_ONEM2M_ORIG_ACCEPTED,
 * or, meaning "ignore it": COAPSEC_ERR_TIMEOUT (late: its request timed out,
 * or its deadline is at or before now; coapsec_onem2m_orig_expire() then
 * reports the timeout), COAPSEC_ERR_NOTFOUND (no such rqi outstanding),
 * COAPSEC_ERR_INVAL (NULL or no rqi).
 */
int coapsec_onem2m_orig_response(coapsec_onem2m_orig *o, const coapsec_onem2m_prim *rsp,
                                 coapsec_tstamp now);

/** The earliest deadline of the outstanding requests, or COAPSEC_TSTAMP_NONE. */
coapsec_tstamp coapsec_onem2m_orig_expiry(const coapsec_onem2m_orig *o);

/**
 * If a request's deadline is at or before now: end it, fill out (initialised
 * here) with its REQUEST_TIMEOUT response primitive (rsc 4008, its rqi) and
 * return 1. Otherwise return 0. Call until it returns 0.
 */
int coapsec_onem2m_orig_expire(coapsec_onem2m_orig *o, coapsec_onem2m_prim *out,
                               coapsec_tstamp now);

/** Number of requests still outstanding (waiting or accepted). */
int coapsec_onem2m_orig_outstanding(const coapsec_onem2m_orig *o);

/**
 * Read the result of a non-blocking request from a JSON text: a <request>
 * resource {"m2m:req":{..."rs":n,"ol":{...}}} (synch: the originator
 * retrieved it) or {"m2m:rsp":{...}} (asynch: the content of the NOTIFY).
 * On success *out is the result as a response primitive (rsc, rqi, pc...;
 * strings point into json). Returns 1 (a result: rs COMPLETED or FAILED, or
 * an m2m:rsp), 0 (the <request> is still PENDING or FORWARDED: ask again),
 * COAPSEC_ERR_FORMAT (neither form, no rsc in the result) or an error of
 * coapsec_onem2m_from_json.
 */
int coapsec_onem2m_result_from_json(coapsec_onem2m_prim *out, const char *json, size_t len);

/**
 * Parse a oneM2M timestamp (TS-0004 m2m:timestamp, ISO 8601 basic format
 * "YYYYMMDDTHHMMSS", UTC, exactly 15 characters; e.g. rqet) into seconds since
 * 1970-01-01. Returns 0 or COAPSEC_ERR_FORMAT.
 */
int coapsec_onem2m_time_parse(coapsec_onem2m_str ts, uint64_t *epoch_s);

/* ---- receiver: non-blocking requests and <request> resources (§6.3) ---------- */

#ifndef COAPSEC_ONEM2M_MAX_REQRES
#define COAPSEC_ONEM2M_MAX_REQRES 16 /* <request> resources a receiver keeps */
#endif
#ifndef COAPSEC_ONEM2M_REQRES_PC
#define COAPSEC_ONEM2M_REQRES_PC 1024 /* stored result content per <request> */
#endif
#define COAPSEC_ONEM2M_REQRES_STR 128 /* stored target / originator / rturi */

/** requestStatus of a <request> resource (TS-0004 m2m:requestStatus). */
enum coapsec_onem2m_rs {
    COAPSEC_ONEM2M_RS_COMPLETED = 1,
    COAPSEC_ONEM2M_RS_FAILED = 2,
    COAPSEC_ONEM2M_RS_PENDING = 3,
    COAPSEC_ONEM2M_RS_FORWARDED = 4,
};

typedef struct coapsec_onem2m_reqres {
    uint8_t used;
    uint8_t rs;     /* enum coapsec_onem2m_rs */
    int32_t op, rt; /* of the original request */
    int32_t rsc;    /* result, once completed */
    int32_t cf;     /* Content-Format of the result content */
    uint32_t seq;
    coapsec_tstamp created;
    char ri[16]; /* resource identifier and name, "req<seq>" */
    uint8_t rqi_len, tg_len, org_len, rturi_len;
    char rqi[COAPSEC_ONEM2M_RQI_MAX];
    char tg[COAPSEC_ONEM2M_REQRES_STR];
    char org[COAPSEC_ONEM2M_REQRES_STR];
    char rturi[COAPSEC_ONEM2M_REQRES_STR];
    size_t pc_len;
    char pc[COAPSEC_ONEM2M_REQRES_PC];
} coapsec_onem2m_reqres;

/** A receiver's <request> resources (caller-owned). */
typedef struct coapsec_onem2m_reqtab {
    coapsec_onem2m_reqres r[COAPSEC_ONEM2M_MAX_REQRES];
    uint32_t seq;
} coapsec_onem2m_reqtab;

void coapsec_onem2m_reqtab_init(coapsec_onem2m_reqtab *t);

/**
 * Accept a non-blocking request (rt 1 or 2; flex-blocking 4 when the receiver
 * chooses to answer non-blocking): create its <request> resource (rs
 * PENDING), and fill ack (initialised here) with the response primitive to
 * send now: rsc 1001 (synch) or 1002 (asynch), the request's rqi, and loc =
 * base "/" ri (base: the CSE's To form, e.g. "cse-in"), strings in ack->buf.
 * When the table is full the oldest finished <request> is replaced. Returns
 * the index >= 0, COAPSEC_ERR_INVAL (NULL, rt blocking or absent, no rqi),
 * COAPSEC_ERR_NOBUF (a string longer than the table keeps) or
 * COAPSEC_ERR_NOMEM (every <request> is pending).
 */
int coapsec_onem2m_reqtab_accept(coapsec_onem2m_reqtab *t, const coapsec_onem2m_prim *req,
                                 const char *base, coapsec_onem2m_prim *ack, coapsec_tstamp now);

/** Index of the <request> resource named ri (len bytes), or COAPSEC_ERR_NOTFOUND. */
int coapsec_onem2m_reqtab_find(const coapsec_onem2m_reqtab *t, const char *ri, size_t len);

/**
 * Record the outcome of the operation of <request> idx: rsp's rsc and pc
 * (copied). rs becomes COMPLETED for 2xxx, FAILED otherwise. Returns 0,
 * COAPSEC_ERR_NOTFOUND (bad idx), COAPSEC_ERR_STATE (already finished),
 * COAPSEC_ERR_NOBUF (pc longer than COAPSEC_ONEM2M_REQRES_PC).
 */
int coapsec_onem2m_reqtab_complete(coapsec_onem2m_reqtab *t, int idx,
                                   const coapsec_onem2m_prim *rsp);

/**
 * The <request> resource idx as JSON (the answer to its RETRIEVE):
 * {"m2m:req":{"rn","ri","ty":17,"op","tg","org","rid","rs"[,"ol":{"rsc","rqi"[,"pc"]}]}}
 * with ol once finished. Returns the length written (NUL-terminated), or
 * COAPSEC_ERR_NOTFOUND, COAPSEC_ERR_NOBUF.
 */
int coapsec_onem2m_reqtab_to_json(const coapsec_onem2m_reqtab *t, int idx, char *out, size_t cap);

/**
 * The NOTIFY request primitive that carries the result of the asynch request
 * idx to its originator (op 5, to = rturi, or the originator's ID when the
 * request had none; fr = cse_id; rqi = rqi; pc = {"m2m:rsp":{"rsc","rqi"[,"pc"]}}
 * with cf 10003, written into json_buf). ntfy is initialised here; its
 * strings point into t and json_buf. Returns 0, COAPSEC_ERR_NOTFOUND,
 * COAPSEC_ERR_STATE (not finished), COAPSEC_ERR_NOBUF.
 */
int coapsec_onem2m_reqtab_notify(const coapsec_onem2m_reqtab *t, int idx, const char *cse_id,
                                 const char *rqi, coapsec_onem2m_prim *ntfy, char *json_buf,
                                 size_t cap);

#ifdef __cplusplus
}
#endif
#endif /* COAPSEC_ONEM2M_H */
