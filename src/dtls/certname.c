/*
 * dtls/certname.c - the peer's name for the application: a minimal, bounded
 * DER walk (X.690) over a leaf certificate (RFC 5280 §4.1) that finds the
 * first subjectAltName entry (dNSName, iPAddress or URI, §4.2.1.6) or else
 * the subject commonName. Only called on certificates the crypto module has
 * already parsed and verified; still checks every length, fails closed.
 * Also the leaf's notAfter (§4.1.2.5, for resumption) and the IP-literal
 * test used to decide whether SNI is sent.
 */
#include <arpa/inet.h>
#include <stdio.h>

#include "dtls/dtls_int.h"

typedef struct tlv {
    unsigned tag;
    const uint8_t *v;
    size_t len;
} tlv;

/* One TLV from r; false on any malformation (high tags, indefinite or
 * over-long lengths, truncation). */
static bool der_next(cs_rd *r, tlv *t) {
    unsigned tag = cs_rd_u8(r);
    unsigned l0 = cs_rd_u8(r);
    if (r->err || (tag & 0x1f) == 0x1f)
        return false;
    size_t len = l0;
    if (l0 & 0x80) {
        unsigned nb = l0 & 0x7f;
        if (nb == 0 || nb > 3)
            return false;
        len = 0;
        for (unsigned i = 0; i < nb; i++)
            len = len << 8 | cs_rd_u8(r);
    }
    const uint8_t *v = cs_rd_bytes(r, len);
    if (!v && len)
        return false;
    if (r->err)
        return false;
    t->tag = tag;
    t->v = v;
    t->len = len;
    return true;
}

static void copy_str(const uint8_t *p, size_t n, char *out, size_t cap) {
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < cap; i++)
        out[k++] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
    out[k] = 0;
}

static const uint8_t OID_SAN[] = {0x55, 0x1d, 0x11};
static const uint8_t OID_CN[] = {0x55, 0x04, 0x03};

static bool san_name(const uint8_t *p, size_t n, char *out, size_t cap) {
    cs_rd r, s;
    tlv seq, g;
    cs_rd_init(&r, p, n);
    if (!der_next(&r, &seq) || seq.tag != 0x30)
        return false;
    cs_rd_init(&s, seq.v, seq.len);
    while (s.left > 0 && der_next(&s, &g)) {
        if (g.tag == 0x82 || g.tag == 0x86) { /* dNSName, URI */
            copy_str(g.v, g.len, out, cap);
            return true;
        }
        if (g.tag == 0x87 && (g.len == 4 || g.len == 16)) {
            char buf[INET6_ADDRSTRLEN];
            if (!inet_ntop(g.len == 4 ? AF_INET : AF_INET6, g.v, buf, sizeof buf))
                return false;
            snprintf(out, cap, "%s", buf);
            return true;
        }
    }
    return false;
}

static bool subject_cn(const uint8_t *p, size_t n, char *out, size_t cap) {
    cs_rd r;
    tlv set;
    cs_rd_init(&r, p, n);
    while (r.left > 0 && der_next(&r, &set)) {
        cs_rd s;
        tlv atv;
        cs_rd_init(&s, set.v, set.len);
        while (s.left > 0 && der_next(&s, &atv)) {
            cs_rd a;
            tlv oid, val;
            cs_rd_init(&a, atv.v, atv.len);
            if (!der_next(&a, &oid) || !der_next(&a, &val))
                continue;
            if (oid.tag == 0x06 && oid.len == 3 && memcmp(oid.v, OID_CN, 3) == 0) {
                copy_str(val.v, val.len, out, cap);
                return true;
            }
        }
    }
    return false;
}

int cs_cert_name(const uint8_t *der, size_t len, char *out, size_t cap) {
    if (!der || !out || cap == 0)
        return COAPSEC_ERR_INVAL;
    out[0] = 0;
    cs_rd r, tbs;
    tlv cert, t, f;
    cs_rd_init(&r, der, len);
    if (!der_next(&r, &cert) || cert.tag != 0x30)
        return COAPSEC_ERR_FORMAT;
    cs_rd_init(&r, cert.v, cert.len);
    if (!der_next(&r, &t) || t.tag != 0x30)
        return COAPSEC_ERR_FORMAT;
    cs_rd_init(&tbs, t.v, t.len);
    /* version [0]? serial, signature, issuer, validity, subject, spki, ... */
    tlv fields[6];
    int nf = 0;
    while (nf < 6 && tbs.left > 0 && der_next(&tbs, &f)) {
        if (nf == 0 && f.tag == 0xa0)
            continue;
        fields[nf++] = f;
    }
    if (nf < 6)
        return COAPSEC_ERR_FORMAT;
    const tlv *subject = &fields[4];
    /* Extensions: [3] { SEQUENCE OF Extension }. */
    while (tbs.left > 0 && der_next(&tbs, &f)) {
        if (f.tag != 0xa3)
            continue;
        cs_rd e;
        tlv exts, ext;
        cs_rd_init(&e, f.v, f.len);
        if (!der_next(&e, &exts) || exts.tag != 0x30)
            break;
        cs_rd_init(&e, exts.v, exts.len);
        while (e.left > 0 && der_next(&e, &ext)) {
            cs_rd x;
            tlv oid, v;
            cs_rd_init(&x, ext.v, ext.len);
            if (!der_next(&x, &oid) || oid.tag != 0x06 || oid.len != 3 ||
                memcmp(oid.v, OID_SAN, 3) != 0)
                continue;
            if (!der_next(&x, &v))
                break;
            if (v.tag == 0x01 && !der_next(&x, &v)) /* critical BOOLEAN */
                break;
            if (v.tag == 0x04 && san_name(v.v, v.len, out, cap))
                return 0;
        }
    }
    if (subject->tag == 0x30 && subject_cn(subject->v, subject->len, out, cap))
        return 0;
    return COAPSEC_ERR_NOTFOUND;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static bool digits(const uint8_t *p, size_t n, unsigned *out) {
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (unsigned)(p[i] - '0');
    }
    *out = v;
    return true;
}

/* RFC 5280 §4.1.2.5: UTCTime YYMMDDHHMMSSZ or GeneralizedTime YYYYMMDDHHMMSSZ. */
static bool der_time(const tlv *t, int64_t *out) {
    unsigned y, mo, d, h, mi, s;
    const uint8_t *p = t->v;
    size_t yl = t->tag == 0x17 ? 2 : t->tag == 0x18 ? 4 : 0;
    if (!yl || t->len != yl + 11 || p[t->len - 1] != 'Z' || !digits(p, yl, &y) ||
        !digits(p + yl, 2, &mo) || !digits(p + yl + 2, 2, &d) || !digits(p + yl + 4, 2, &h) ||
        !digits(p + yl + 6, 2, &mi) || !digits(p + yl + 8, 2, &s))
        return false;
    if (yl == 2)
        y += y >= 50 ? 1900 : 2000;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
        return false;
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
    return true;
}

int cs_cert_not_after(const uint8_t *der, size_t len, int64_t *out) {
    if (!der || !out)
        return COAPSEC_ERR_INVAL;
    cs_rd r, tbs;
    tlv cert, t, f, nb, na;
    cs_rd_init(&r, der, len);
    if (!der_next(&r, &cert) || cert.tag != 0x30)
        return COAPSEC_ERR_FORMAT;
    cs_rd_init(&r, cert.v, cert.len);
    if (!der_next(&r, &t) || t.tag != 0x30)
        return COAPSEC_ERR_FORMAT;
    cs_rd_init(&tbs, t.v, t.len);
    /* version [0]? serial, signature, issuer, validity */
    int nf = 0;
    while (tbs.left > 0 && der_next(&tbs, &f)) {
        if (nf == 0 && f.tag == 0xa0)
            continue;
        if (++nf == 4)
            break;
    }
    if (nf != 4 || f.tag != 0x30)
        return COAPSEC_ERR_FORMAT;
    cs_rd_init(&r, f.v, f.len);
    if (!der_next(&r, &nb) || !der_next(&r, &na) || !der_time(&na, out))
        return COAPSEC_ERR_FORMAT;
    return 0;
}

bool cs_is_ip_literal(const char *s) {
    if (!s || !*s)
        return false;
    char buf[64];
    size_t n = strlen(s);
    if (s[0] == '[' && n >= 2 && s[n - 1] == ']') {
        s++;
        n -= 2;
    }
    if (n == 0 || n >= sizeof buf)
        return false;
    memcpy(buf, s, n);
    buf[n] = 0;
    uint8_t a[16];
    return inet_pton(AF_INET, buf, a) == 1 || inet_pton(AF_INET6, buf, a) == 1;
}
