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

#ifdef __cplusplus
}
#endif
#endif /* COAPSEC_ONEM2M_H */
