/*
 * json_write.c - a primitive printed as one-line JSON with TS-0004 short
 * names: op, rsc, to, the option-carried parameters, rt as {"rtv","nu"},
 * the query-carried parameters (known top-level ones at the top, the rest
 * inside "fc"), loc, and pc (embedded as compact JSON when its Content-Format
 * is JSON and it parses, otherwise as a string). Bounded by the caller's cap.
 */
#include "onem2m/onem2m_int.h"

#include <stdio.h>
#include <string.h>

typedef struct cs_w {
    char *out;
    size_t cap, len;
    int err;
} cs_w;

static void cs_w_raw(cs_w *w, const char *s, size_t n) {
    if (w->err || n >= w->cap - w->len) {
        w->err = 1;
        return;
    }
    memcpy(w->out + w->len, s, n);
    w->len += n;
}

/* A JSON string: quotes, escapes; invalid UTF-8 bytes as \u00XX. */
static void cs_w_str(cs_w *w, const char *s, size_t n) {
    cs_w_raw(w, "\"", 1);
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\', esc[1] = (char)c;
            cs_w_raw(w, esc, 2);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            cs_w_raw(w, esc, 6);
            i++;
        } else {
            size_t u = cs_utf8_len((const unsigned char *)s + i, n - i);
            if (u == 0) {
                snprintf(esc, sizeof esc, "\\u%04x", c);
                cs_w_raw(w, esc, 6);
                i++;
            } else {
                cs_w_raw(w, s + i, u);
                i += u;
            }
        }
    }
    cs_w_raw(w, "\"", 1);
}

static void cs_w_keyn(cs_w *w, int *first, const char *k, size_t n) {
    if (!*first)
        cs_w_raw(w, ",", 1);
    *first = 0;
    cs_w_str(w, k, n);
    cs_w_raw(w, ":", 1);
}

static void cs_w_key(cs_w *w, int *first, const char *k) {
    cs_w_keyn(w, first, k, strlen(k));
}

static void cs_w_uint(cs_w *w, uint32_t v) {
    char num[12];
    int n = snprintf(num, sizeof num, "%lu", (unsigned long)v);
    cs_w_raw(w, num, (size_t)n);
}

/* 1 if s is a JSON-compatible non-negative integer (no leading zeros). */
static int cs_is_uint_text(coapsec_onem2m_str s) {
    uint32_t v;
    return cs_m2m_parse_uint(s.p, s.len, UINT32_MAX, &v) == 0;
}

/* Compact copy of valid JSON text: whitespace outside strings dropped. */
static void cs_w_compact(cs_w *w, const char *s, size_t n) {
    int in_str = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\' && i + 1 < n) {
                cs_w_raw(w, s + i, 2);
                i++;
                continue;
            }
            if (c == '"')
                in_str = 0;
        } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            continue;
        } else if (c == '"') {
            in_str = 1;
        }
        cs_w_raw(w, &c, 1);
    }
}

static int cs_top_query_key(coapsec_onem2m_str k) {
    static const char *const keys[] = {"rcn",   "rp",  "da",  "drt",  "sqi",  "tids",
                                       "ltids", "tqi", "tqd", "tkns", "nids", "rids"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strlen(keys[i]) == k.len && memcmp(keys[i], k.p, k.len) == 0)
            return 1;
    return 0;
}

static void cs_w_qval(cs_w *w, coapsec_onem2m_str v) {
    if (cs_is_uint_text(v))
        cs_w_raw(w, v.p, v.len);
    else
        cs_w_str(w, v.p, v.len);
}

int coapsec_onem2m_to_json(const coapsec_onem2m_prim *p, char *out, size_t cap) {
    if (p == NULL || out == NULL || cap == 0)
        return COAPSEC_ERR_NOBUF;
    cs_w w = {out, cap, 0, 0};
    int first = 1;
    cs_w_raw(&w, "{", 1);
    if (p->op != COAPSEC_ONEM2M_ABSENT) {
        cs_w_key(&w, &first, "op");
        cs_w_uint(&w, (uint32_t)p->op);
    }
    if (p->rsc != COAPSEC_ONEM2M_ABSENT) {
        cs_w_key(&w, &first, "rsc");
        cs_w_uint(&w, (uint32_t)p->rsc);
    }
    if (p->to.p != NULL) {
        cs_w_key(&w, &first, "to");
        cs_w_str(&w, p->to.p, p->to.len);
    }
    for (int i = 0; i < COAPSEC_ONEM2M_P_COUNT; i++) {
        const coapsec_onem2m_paramdef *d = coapsec_onem2m_param(i);
        if (i == COAPSEC_ONEM2M_P_RSC || i == COAPSEC_ONEM2M_P_RTURI)
            continue;
        if (d->format == COAPSEC_OPTFMT_STRING) {
            const coapsec_onem2m_str *v = CS_M2M_CSTR(p, d);
            if (v->p == NULL)
                continue;
            cs_w_key(&w, &first, d->sname);
            cs_w_str(&w, v->p, v->len);
        } else {
            int32_t v = *CS_M2M_CINT(p, d);
            if (v == COAPSEC_ONEM2M_ABSENT)
                continue;
            cs_w_key(&w, &first, d->sname);
            cs_w_uint(&w, (uint32_t)v);
        }
    }
    if (p->rt != COAPSEC_ONEM2M_ABSENT || p->rturi.p != NULL) {
        int f2 = 1;
        cs_w_key(&w, &first, "rt");
        cs_w_raw(&w, "{", 1);
        if (p->rt != COAPSEC_ONEM2M_ABSENT) {
            cs_w_key(&w, &f2, "rtv");
            cs_w_uint(&w, (uint32_t)p->rt);
        }
        if (p->rturi.p != NULL) {
            cs_w_key(&w, &f2, "nu");
            cs_w_raw(&w, "[", 1);
            cs_w_str(&w, p->rturi.p, p->rturi.len);
            cs_w_raw(&w, "]", 1);
        }
        cs_w_raw(&w, "}", 1);
    }
    uint8_t nq = p->nquery < COAPSEC_ONEM2M_MAX_QUERY ? p->nquery : COAPSEC_ONEM2M_MAX_QUERY;
    int nfc = 0;
    for (uint8_t i = 0; i < nq; i++) {
        const coapsec_onem2m_kv *q = &p->query[i];
        if (!cs_top_query_key(q->key)) {
            nfc++;
            continue;
        }
        cs_w_keyn(&w, &first, q->key.p, q->key.len);
        cs_w_qval(&w, q->val);
    }
    if (nfc > 0) {
        int f2 = 1;
        cs_w_key(&w, &first, "fc");
        cs_w_raw(&w, "{", 1);
        for (uint8_t i = 0; i < nq; i++) {
            const coapsec_onem2m_kv *q = &p->query[i];
            if (cs_top_query_key(q->key))
                continue;
            cs_w_keyn(&w, &f2, q->key.p, q->key.len);
            cs_w_qval(&w, q->val);
        }
        cs_w_raw(&w, "}", 1);
    }
    if (p->loc.p != NULL) {
        cs_w_key(&w, &first, "loc");
        cs_w_str(&w, p->loc.p, p->loc.len);
    }
    if (p->pc.p != NULL) {
        cs_w_key(&w, &first, "pc");
        int json = p->cf == COAPSEC_ONEM2M_ABSENT || coapsec_onem2m_cf_is_json((uint32_t)p->cf);
        if (json && coapsec_onem2m_json_check(p->pc.p, p->pc.len) == 0)
            cs_w_compact(&w, p->pc.p, p->pc.len);
        else
            cs_w_str(&w, p->pc.p, p->pc.len);
    }
    cs_w_raw(&w, "}", 1);
    if (w.err)
        return COAPSEC_ERR_NOBUF;
    out[w.len] = '\0';
    return (int)w.len;
}

int coapsec_onem2m_rsp_to_json(const coapsec_onem2m_prim *p, char *out, size_t cap) {
    return coapsec_onem2m_to_json(p, out, cap);
}
