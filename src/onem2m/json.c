/*
 * json.c - a minimal bounded JSON (RFC 8259) lexer for the oneM2M primitive
 * reader: whitespace, strings with every escape (surrogate pairs to UTF-8,
 * lone surrogates and raw control characters refused, UTF-8 validated),
 * numbers per the §6 grammar, literals, and skipping nested values up to
 * COAPSEC_ONEM2M_JSON_DEPTH. Every read checks the remaining length first.
 */
#include "onem2m/onem2m_int.h"

#include <string.h>

#include "common/hex.h"

int cs_json_peek(cs_json *j) {
    while (j->pos < j->len) {
        char c = j->s[j->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            return (unsigned char)c;
        j->pos++;
    }
    return -1;
}

int cs_json_expect(cs_json *j, char c) {
    if (cs_json_peek(j) != (unsigned char)c)
        return COAPSEC_ERR_FORMAT;
    j->pos++;
    return 0;
}

size_t cs_utf8_len(const unsigned char *s, size_t n) {
    if (n == 0)
        return 0;
    unsigned c = s[0];
    size_t need;
    uint32_t cp, min;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        need = 2, cp = c & 0x1f, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 3, cp = c & 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 4, cp = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return need;
}

static int cs_hex4(cs_json *j, uint32_t *out) {
    if (j->len - j->pos < 4)
        return COAPSEC_ERR_FORMAT;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int d = cs_hexval((unsigned char)j->s[j->pos++]);
        if (d < 0)
            return COAPSEC_ERR_FORMAT;
        v = v << 4 | (uint32_t)d;
    }
    *out = v;
    return 0;
}

/* Append bytes to the decoded string in p->buf (if p). */
static int cs_put(coapsec_onem2m_prim *p, const char *b, size_t n) {
    if (p == NULL)
        return 0;
    return cs_m2m_store(p, b, n) == NULL ? COAPSEC_ERR_NOBUF : 0;
}

static int cs_put_cp(coapsec_onem2m_prim *p, uint32_t cp) {
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp, n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xc0 | (cp >> 6)), b[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xe0 | (cp >> 12)), b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
    } else {
        b[0] = (char)(0xf0 | (cp >> 18)), b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), b[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
    }
    return cs_put(p, b, n);
}

/* One escape sequence after the backslash. */
static int cs_escape(cs_json *j, coapsec_onem2m_prim *p) {
    if (j->pos >= j->len)
        return COAPSEC_ERR_FORMAT;
    char c = j->s[j->pos++];
    const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
    const char *hit = c != '\0' ? strchr(from, c) : NULL;
    if (hit != NULL)
        return cs_put(p, to + (hit - from), 1);
    if (c != 'u')
        return COAPSEC_ERR_FORMAT;
    uint32_t cp, lo;
    if (cs_hex4(j, &cp) != 0)
        return COAPSEC_ERR_FORMAT;
    if (cp >= 0xdc00 && cp <= 0xdfff)
        return COAPSEC_ERR_FORMAT; /* lone low surrogate */
    if (cp >= 0xd800 && cp <= 0xdbff) {
        if (j->len - j->pos < 2 || j->s[j->pos] != '\\' || j->s[j->pos + 1] != 'u')
            return COAPSEC_ERR_FORMAT;
        j->pos += 2;
        if (cs_hex4(j, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff)
            return COAPSEC_ERR_FORMAT;
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
    }
    return cs_put_cp(p, cp);
}

int cs_json_string(cs_json *j, coapsec_onem2m_prim *p, coapsec_onem2m_str *out) {
    if (cs_json_expect(j, '"') != 0)
        return COAPSEC_ERR_FORMAT;
    size_t start = j->pos, mark = p ? p->used : 0;
    int escaped = 0, rc;
    while (j->pos < j->len) {
        unsigned char c = (unsigned char)j->s[j->pos];
        if (c == '"') {
            if (out != NULL && !escaped) {
                out->p = j->s + start;
                out->len = j->pos - start;
            } else if (out != NULL && p != NULL) {
                out->p = p->buf + mark;
                out->len = p->used - mark;
            }
            j->pos++;
            return 0;
        }
        if (c < 0x20)
            goto fail; /* raw control character */
        if (c == '\\') {
            if (!escaped && p != NULL && (rc = cs_put(p, j->s + start, j->pos - start)) != 0)
                goto fail_rc;
            escaped = 1;
            j->pos++;
            if ((rc = cs_escape(j, p)) != 0)
                goto fail_rc;
            continue;
        }
        size_t n = cs_utf8_len((const unsigned char *)j->s + j->pos, j->len - j->pos);
        if (n == 0)
            goto fail;
        if (escaped && (rc = cs_put(p, j->s + j->pos, n)) != 0)
            goto fail_rc;
        j->pos += n;
    }
fail:
    rc = COAPSEC_ERR_FORMAT;
fail_rc:
    if (p != NULL)
        p->used = mark;
    return rc;
}

int cs_json_number(cs_json *j, coapsec_onem2m_str *tok, int *is_uint) {
    cs_json_peek(j);
    size_t start = j->pos;
    int integer = 1, neg = 0;
#define CS_AT(ch)  (j->pos < j->len && j->s[j->pos] == (ch))
#define CS_DIGIT() (j->pos < j->len && j->s[j->pos] >= '0' && j->s[j->pos] <= '9')
    if (CS_AT('-')) {
        neg = 1;
        j->pos++;
    }
    if (CS_AT('0')) {
        j->pos++;
    } else if (CS_DIGIT()) {
        while (CS_DIGIT())
            j->pos++;
    } else {
        return COAPSEC_ERR_FORMAT;
    }
    if (CS_AT('.')) {
        integer = 0;
        j->pos++;
        if (!CS_DIGIT())
            return COAPSEC_ERR_FORMAT;
        while (CS_DIGIT())
            j->pos++;
    }
    if (CS_AT('e') || CS_AT('E')) {
        integer = 0;
        j->pos++;
        if (CS_AT('+') || CS_AT('-'))
            j->pos++;
        if (!CS_DIGIT())
            return COAPSEC_ERR_FORMAT;
        while (CS_DIGIT())
            j->pos++;
    }
    if (CS_DIGIT() || CS_AT('.') || CS_AT('e') || CS_AT('E') || CS_AT('-') || CS_AT('+'))
        return COAPSEC_ERR_FORMAT; /* "01", "1.2.3", "1e5e5": not one number */
#undef CS_AT
#undef CS_DIGIT
    if (tok != NULL) {
        tok->p = j->s + start;
        tok->len = j->pos - start;
    }
    if (is_uint != NULL)
        *is_uint = integer && !neg;
    return 0;
}

static int cs_json_lit(cs_json *j, const char *lit) {
    size_t n = strlen(lit);
    if (j->len - j->pos < n || memcmp(j->s + j->pos, lit, n) != 0)
        return COAPSEC_ERR_FORMAT;
    j->pos += n;
    return 0;
}

int cs_json_skip(cs_json *j, int depth) {
    if (depth > COAPSEC_ONEM2M_JSON_DEPTH)
        return COAPSEC_ERR_FORMAT;
    int c = cs_json_peek(j);
    int rc;
    switch (c) {
    case '"':
        return cs_json_string(j, NULL, NULL);
    case 't':
        return cs_json_lit(j, "true");
    case 'f':
        return cs_json_lit(j, "false");
    case 'n':
        return cs_json_lit(j, "null");
    case '{':
    case '[': {
        char close = c == '{' ? '}' : ']';
        j->pos++;
        if (cs_json_peek(j) == close) {
            j->pos++;
            return 0;
        }
        for (;;) {
            if (c == '{') {
                if ((rc = cs_json_string(j, NULL, NULL)) != 0 || (rc = cs_json_expect(j, ':')))
                    return rc;
            }
            if ((rc = cs_json_skip(j, depth + 1)) != 0)
                return rc;
            int d = cs_json_peek(j);
            if (d < 0)
                return COAPSEC_ERR_FORMAT;
            j->pos++;
            if (d == close)
                return 0;
            if (d != ',')
                return COAPSEC_ERR_FORMAT;
        }
    }
    default:
        return cs_json_number(j, NULL, NULL);
    }
}

int coapsec_onem2m_json_check(const char *json, size_t len) {
    if (json == NULL || len > COAPSEC_ONEM2M_JSON_MAX)
        return COAPSEC_ERR_FORMAT;
    cs_json j = {json, len, 0};
    if (cs_json_skip(&j, 1) != 0 || cs_json_peek(&j) != -1)
        return COAPSEC_ERR_FORMAT;
    return 0;
}
