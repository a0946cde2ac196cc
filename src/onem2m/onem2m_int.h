/*
 * onem2m_int.h - internals of the oneM2M binding shared by its source files:
 * the per-primitive string buffer, the scratch allocator for option values,
 * the To <-> Uri-Path mapping, the oneM2M option codec common to requests and
 * responses, and decimal uint parsing.
 */
#ifndef CS_ONEM2M_INT_H
#define CS_ONEM2M_INT_H

#include "coapsec/onem2m.h"

/* Caller-provided scratch memory handed out in pieces. */
typedef struct cs_m2m_scratch {
    uint8_t *buf;
    size_t cap, used;
} cs_m2m_scratch;

/* n bytes of scratch, or NULL when it is exhausted. */
uint8_t *cs_m2m_take(cs_m2m_scratch *s, size_t n);

/* Copy n bytes into p->buf; returns the copy or NULL when p->buf is full. */
char *cs_m2m_store(coapsec_onem2m_prim *p, const char *src, size_t n);

/* Parse a decimal uint (digits only, no sign, no leading zeros beyond "0")
 * not above max: 0 or COAPSEC_ERR_BADUINT. */
int cs_m2m_parse_uint(const char *s, size_t n, uint32_t max, uint32_t *out);

/* Add Uri-Path (opt = COAPSEC_OPT_URI_PATH) or Location-Path options for a
 * To-form target (§6.2.2.3): 0, COAPSEC_ERR_NOPATH or COAPSEC_ERR_NOMEM. */
int cs_m2m_target_to_opts(coapsec_onem2m_str to, uint16_t opt, coapsec_msg *m);
/* Join the options numbered opt back into a To-form target in p->buf. */
int cs_m2m_opts_to_target(coapsec_onem2m_prim *p, const coapsec_msg *m, uint16_t opt,
                          coapsec_onem2m_str *out);

/* Add the oneM2M options of p (skipping RSC unless with_rsc). */
int cs_m2m_hdr_to_opts(const coapsec_onem2m_prim *p, int numbering, int with_rsc, coapsec_msg *m,
                       cs_m2m_scratch *s);
/* Read every option of m: oneM2M ones into p; fail on length, repeats and
 * unrecognised critical options. */
int cs_m2m_hdr_from_opts(coapsec_onem2m_prim *p, const coapsec_msg *m, int numbering);

/* Add a uint option in its shortest form, value copied into scratch. */
int cs_m2m_add_uint(coapsec_msg *m, uint16_t num, uint32_t v, cs_m2m_scratch *s);

/* Field accessors through a paramdef offset. */
#define CS_M2M_STR(p, d) ((coapsec_onem2m_str *)(void *)((char *)(p) + (d)->offset))
#define CS_M2M_INT(p, d) ((int32_t *)(void *)((char *)(p) + (d)->offset))
#define CS_M2M_CSTR(p, d)                                                                          \
    ((const coapsec_onem2m_str *)(const void *)((const char *)(p) + (d)->offset))
#define CS_M2M_CINT(p, d) ((const int32_t *)(const void *)((const char *)(p) + (d)->offset))

/* ---- JSON lexer (json.c) ---- */
typedef struct cs_json {
    const char *s;
    size_t len, pos;
} cs_json;

/* Skip whitespace; return the next byte or -1 at the end. */
int cs_json_peek(cs_json *j);
/* Consume byte c after whitespace: 0 or COAPSEC_ERR_FORMAT. */
int cs_json_expect(cs_json *j, char c);
/* Skip one value of any type, at nesting depth (1 = top level). */
int cs_json_skip(cs_json *j, int depth);
/* Read a string. Without escapes *out points into the text; with escapes it
 * is decoded into p->buf (COAPSEC_ERR_NOBUF when full). p NULL: check only. */
int cs_json_string(cs_json *j, coapsec_onem2m_prim *p, coapsec_onem2m_str *out);
/* Read a number token; *is_uint is 1 when it is a non-negative integer. */
int cs_json_number(cs_json *j, coapsec_onem2m_str *tok, int *is_uint);
/* Length of the valid UTF-8 sequence at s (n bytes available), or 0. */
size_t cs_utf8_len(const unsigned char *s, size_t n);

#endif /* CS_ONEM2M_INT_H */
