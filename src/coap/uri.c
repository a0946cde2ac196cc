/*
 * uri.c - coap:// and coaps:// URIs (RFC 7252 §6): parsing an absolute URI
 * into host, port, path segments and query items (§6.4, with RFC 3986
 * percent-decoding and dot-segment removal), turning a parsed URI into Uri-*
 * options, and composing a URI back from a message's Uri-* options (§6.5).
 */
#include "coapsec/msg.h"

#include <arpa/inet.h>
#include <string.h>

#include "common/hex.h"

#define CS_PORT_COAP     5683
#define CS_PORT_COAPS    5684
#define CS_URI_MAX_VALUE 255 /* Uri-Host/Uri-Path/Uri-Query max length (§5.10) */

/* ---- character classes (RFC 3986 §2) ------------------------------------- */

static int cs_is_alpha(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int cs_is_digit(int c) {
    return c >= '0' && c <= '9';
}

static int cs_is_unreserved(int c) {
    return cs_is_alpha(c) || cs_is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static int cs_is_subdelim(int c) {
    return c != 0 && strchr("!$&'()*+,;=", c) != NULL;
}

/* reg-name characters (besides pct-encoded) */
static int cs_is_regname(int c) {
    return cs_is_unreserved(c) || cs_is_subdelim(c);
}

/* pchar (besides pct-encoded) */
static int cs_is_pchar(int c) {
    return cs_is_unreserved(c) || cs_is_subdelim(c) || c == ':' || c == '@';
}

/* query characters (besides pct-encoded); '&' separates items */
static int cs_is_querychar(int c) {
    return cs_is_pchar(c) || c == '/' || c == '?';
}

static int cs_lower(int c) {
    return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

/*
 * Check and percent-decode s[0..n) into out (cap bytes). Literal characters
 * must satisfy ok(); with lower, literal characters are lowercased first (as
 * §6.4 step 5 does for the host). Returns the decoded length or -1.
 */
static long cs_decode(const char *s, size_t n, int (*ok)(int), int lower, char *out, size_t cap) {
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            if (n - i < 3)
                return -1;
            int hi = cs_hexval((unsigned char)s[i + 1]), lo = cs_hexval((unsigned char)s[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = hi << 4 | lo;
            i += 2;
        } else {
            if (!ok(c))
                return -1;
            if (lower)
                c = cs_lower(c);
        }
        if (o >= cap)
            return -1;
        out[o++] = (char)c;
    }
    return (long)o;
}

/* RFC 3986 IPv4address: four dec-octets without leading zeros. */
static int cs_is_ipv4(const char *s, size_t n) {
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (i >= n || s[i] != '.')
                return 0;
            i++;
        }
        size_t start = i;
        unsigned v = 0;
        while (i < n && cs_is_digit((unsigned char)s[i]) && i - start < 3)
            v = v * 10 + (unsigned)(s[i++] - '0');
        size_t len = i - start;
        if (len == 0 || v > 255 || (len > 1 && s[start] == '0'))
            return 0;
    }
    return i == n;
}

/* An IPv6address as RFC 3986/RFC 4291 text (no zone identifier). */
static int cs_is_ipv6(const char *s, size_t n) {
    char tmp[64];
    unsigned char bin[16];
    if (n == 0 || n >= sizeof tmp)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(cs_hexval((unsigned char)s[i]) >= 0 || s[i] == ':' || s[i] == '.'))
            return 0;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    return inet_pton(AF_INET6, tmp, bin) == 1;
}

static int cs_prefix_ci(const char *s, const char *prefix) {
    for (; *prefix; s++, prefix++)
        if (cs_lower((unsigned char)*s) != *prefix)
            return 0;
    return 1;
}

/* ---- parsing (§6.4) ------------------------------------------------------- */

/* Append a decoded, NUL-terminated piece to u->buf at *bp. */
static int cs_store(coapsec_uri *u, size_t *bp, const char *s, size_t n, int (*ok)(int),
                    const char **ptr, uint16_t *len) {
    size_t room = COAPSEC_URI_BUF - *bp;
    if (room < 1)
        return COAPSEC_ERR_URI;
    long d = cs_decode(s, n, ok, 0, u->buf + *bp, room - 1);
    if (d < 0 || d > CS_URI_MAX_VALUE)
        return COAPSEC_ERR_URI;
    *ptr = u->buf + *bp;
    *len = (uint16_t)d;
    u->buf[*bp + (size_t)d] = '\0';
    *bp += (size_t)d + 1;
    return 0;
}

static int cs_parse_host(coapsec_uri *u, const char *h, size_t n) {
    if (n == 0)
        return COAPSEC_ERR_URI; /* §6.1: the host MUST NOT be empty */
    if (h[0] == '[') {
        if (n < 3 || h[n - 1] != ']' || !cs_is_ipv6(h + 1, n - 2))
            return COAPSEC_ERR_URI; /* also rejects IPvFuture and zone IDs */
        for (size_t i = 0; i < n - 2; i++)
            u->host[i] = (char)cs_lower((unsigned char)h[1 + i]);
        u->host[n - 2] = '\0';
        u->host_is_ip = 1;
        return 0;
    }
    long d = cs_decode(h, n, cs_is_regname, 1, u->host, sizeof u->host - 1);
    if (d <= 0 || memchr(u->host, '\0', (size_t)d) != NULL)
        return COAPSEC_ERR_URI;
    u->host[d] = '\0';
    u->host_is_ip = cs_is_ipv4(h, n);
    return 0;
}

static int cs_parse_port(coapsec_uri *u, const char *p, size_t n) {
    if (n == 0)
        return 0; /* §6.1: an empty port means the default */
    uint32_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!cs_is_digit((unsigned char)p[i]))
            return COAPSEC_ERR_URI;
        v = v * 10 + (uint32_t)(p[i] - '0');
        if (v > 65535)
            return COAPSEC_ERR_URI;
    }
    if (v == 0)
        return COAPSEC_ERR_URI; /* port 0 is not a reachable UDP port */
    u->port = (uint16_t)v;
    return 0;
}

/*
 * Path segments with RFC 3986 §5.2.4 dot-segment removal applied segment by
 * segment: "." is dropped, ".." drops the previous segment, and either one in
 * last position leaves an empty last segment ("/a/b/.." is "/a/").
 */
static int cs_parse_path(coapsec_uri *u, size_t *bp, const char *p, size_t n) {
    if (n == 0)
        return 0;
    /* p[0] == '/' here (path-abempty). */
    size_t i = 1;
    for (;;) {
        size_t start = i;
        while (i < n && p[i] != '/')
            i++;
        size_t len = i - start;
        int last = (i >= n);
        const char *s = p + start;
        if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.')) {
            if (len == 2 && u->nsegs > 0) {
                u->nsegs--;
                *bp = (size_t)(u->seg[u->nsegs] - u->buf);
            }
            s = p + start; /* an empty segment if this was the last one */
            len = 0;
            if (!last) {
                i++;
                continue;
            }
        }
        if (u->nsegs >= COAPSEC_URI_MAX_SEGS)
            return COAPSEC_ERR_URI;
        int rc = cs_store(u, bp, s, len, cs_is_pchar, &u->seg[u->nsegs], &u->seg_len[u->nsegs]);
        if (rc != 0)
            return rc;
        u->nsegs++;
        if (last)
            break;
        i++;
    }
    /* §6.4 step 8: a path of "/" gives no Uri-Path option. */
    if (u->nsegs == 1 && u->seg_len[0] == 0) {
        u->nsegs = 0;
        *bp = (size_t)(u->seg[0] - u->buf);
    }
    return 0;
}

static int cs_parse_query(coapsec_uri *u, size_t *bp, const char *q, size_t n) {
    size_t i = 0;
    for (;;) {
        size_t start = i;
        while (i < n && q[i] != '&')
            i++;
        if (u->nqueries >= COAPSEC_URI_MAX_SEGS)
            return COAPSEC_ERR_URI;
        int rc = cs_store(u, bp, q + start, i - start, cs_is_querychar, &u->query[u->nqueries],
                          &u->query_len[u->nqueries]);
        if (rc != 0)
            return rc;
        u->nqueries++;
        if (i >= n)
            return 0;
        i++;
    }
}

int coapsec_uri_parse(coapsec_uri *u, const char *text) {
    if (u == NULL || text == NULL)
        return COAPSEC_ERR_INVAL;
    memset(u, 0, sizeof *u);
    const char *p;
    if (cs_prefix_ci(text, "coaps://")) {
        u->secure = 1;
        p = text + 8;
    } else if (cs_prefix_ci(text, "coap://")) {
        p = text + 7;
    } else {
        return COAPSEC_ERR_URI; /* relative reference or another scheme */
    }
    u->port = u->secure ? CS_PORT_COAPS : CS_PORT_COAP;
    if (strchr(p, '#') != NULL)
        return COAPSEC_ERR_URI; /* §6.4 step 4: no fragments */

    /* authority = host [ ":" port ] */
    size_t alen = strcspn(p, "/?");
    const char *colon = NULL;
    if (alen > 0 && p[0] == '[') {
        const char *close = memchr(p, ']', alen);
        if (close == NULL)
            return COAPSEC_ERR_URI;
        size_t hlen = (size_t)(close - p) + 1;
        if (hlen < alen) {
            if (p[hlen] != ':')
                return COAPSEC_ERR_URI;
            colon = p + hlen;
        }
    } else {
        colon = memchr(p, ':', alen);
    }
    size_t hlen = colon ? (size_t)(colon - p) : alen;
    int rc = cs_parse_host(u, p, hlen);
    if (rc == 0 && colon != NULL)
        rc = cs_parse_port(u, colon + 1, alen - hlen - 1);
    if (rc != 0)
        return rc;

    const char *path = p + alen;
    size_t plen = strcspn(path, "?");
    size_t bp = 0;
    rc = cs_parse_path(u, &bp, path, plen);
    if (rc == 0 && path[plen] == '?')
        rc = cs_parse_query(u, &bp, path + plen + 1, strlen(path + plen + 1));
    return rc;
}

/* ---- URI -> options ------------------------------------------------------- */

int coapsec_uri_to_opts(const coapsec_uri *u, coapsec_msg *m, int with_port, uint8_t scratch[2]) {
    if (u == NULL || m == NULL || scratch == NULL)
        return COAPSEC_ERR_INVAL;
    uint16_t defport = u->secure ? CS_PORT_COAPS : CS_PORT_COAP;
    int add_host = !u->host_is_ip;
    int add_port = with_port && u->port != defport;
    size_t need = (size_t)add_host + (size_t)add_port + u->nsegs + u->nqueries;
    if (u->nsegs > COAPSEC_URI_MAX_SEGS || u->nqueries > COAPSEC_URI_MAX_SEGS)
        return COAPSEC_ERR_INVAL;
    if (m->nopts > COAPSEC_MAX_OPTIONS || need > (size_t)(COAPSEC_MAX_OPTIONS - m->nopts))
        return COAPSEC_ERR_NOMEM; /* checked up front: nothing is added on failure */
    int rc = 0;
    if (add_host)
        rc = coapsec_msg_add_opt(m, COAPSEC_OPT_URI_HOST, u->host, strlen(u->host));
    if (rc == 0 && add_port) {
        size_t n = u->port > 0xff ? 2 : 1;
        if (n == 2) {
            scratch[0] = (uint8_t)(u->port >> 8);
            scratch[1] = (uint8_t)u->port;
        } else {
            scratch[0] = (uint8_t)u->port;
        }
        rc = coapsec_msg_add_opt(m, COAPSEC_OPT_URI_PORT, scratch, n);
    }
    for (uint8_t i = 0; rc == 0 && i < u->nsegs; i++)
        rc = coapsec_msg_add_opt(m, COAPSEC_OPT_URI_PATH, u->seg[i], u->seg_len[i]);
    for (uint8_t i = 0; rc == 0 && i < u->nqueries; i++)
        rc = coapsec_msg_add_opt(m, COAPSEC_OPT_URI_QUERY, u->query[i], u->query_len[i]);
    return rc;
}

/* ---- options -> URI (§6.5) ------------------------------------------------ */

typedef struct cs_writer {
    char *out;
    size_t cap;
    size_t len;
} cs_writer;

static void cs_put(cs_writer *w, char c) {
    if (w->len + 1 < w->cap)
        w->out[w->len] = c;
    w->len++;
}

static void cs_puts(cs_writer *w, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        cs_put(w, s[i]);
}

/* Copy bytes, percent-encoding (uppercase hex) every byte that ok() rejects. */
static void cs_put_encoded(cs_writer *w, const uint8_t *v, size_t n, int (*ok)(int)) {
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        if (v[i] < 0x80 && ok(v[i])) {
            cs_put(w, (char)v[i]);
        } else {
            cs_put(w, '%');
            cs_put(w, hex[v[i] >> 4]);
            cs_put(w, hex[v[i] & 0x0f]);
        }
    }
}

static int cs_is_none(int c) {
    (void)c;
    return 0;
}

static int cs_is_query_out(int c) {
    return c != '&' && cs_is_querychar(c);
}

int coapsec_uri_compose(const coapsec_msg *m, int secure, const char *host, uint16_t port,
                        char *out, size_t cap) {
    if (m == NULL || out == NULL || cap == 0)
        return COAPSEC_ERR_INVAL;
    cs_writer w = {out, cap, 0};
    const char *scheme = secure ? "coaps://" : "coap://";
    cs_puts(&w, scheme, strlen(scheme));

    const uint8_t *hv;
    size_t hn;
    const coapsec_opt *oh = coapsec_msg_find(m, COAPSEC_OPT_URI_HOST);
    if (oh != NULL) {
        hv = oh->val;
        hn = oh->len;
    } else {
        if (host == NULL)
            return COAPSEC_ERR_INVAL;
        hv = (const uint8_t *)host;
        hn = strlen(host);
    }
    if (hn == 0 || hv == NULL)
        return COAPSEC_ERR_INVAL;
    if (cs_is_ipv6((const char *)hv, hn)) {
        cs_put(&w, '[');
        cs_puts(&w, (const char *)hv, hn);
        cs_put(&w, ']');
    } else {
        /* An IPv4address or a reg-name: anything outside reg-name characters
         * (non-ASCII bytes, '%', ...) is percent-encoded. */
        cs_put_encoded(&w, hv, hn, cs_is_regname);
    }

    uint32_t p = port;
    const coapsec_opt *op = coapsec_msg_find(m, COAPSEC_OPT_URI_PORT);
    if (op != NULL && (coapsec_opt_uint(op, &p) != 0 || p > 65535))
        return COAPSEC_ERR_INVAL;
    if (p != (uint32_t)(secure ? CS_PORT_COAPS : CS_PORT_COAP)) {
        char digits[6];
        size_t nd = 0;
        do {
            digits[nd++] = (char)('0' + p % 10);
            p /= 10;
        } while (p != 0);
        cs_put(&w, ':');
        while (nd > 0)
            cs_put(&w, digits[--nd]);
    }

    int npath = 0, nquery = 0;
    for (uint16_t i = 0; i < m->nopts && i < COAPSEC_MAX_OPTIONS; i++) {
        const coapsec_opt *o = &m->opts[i];
        if (o->num != COAPSEC_OPT_URI_PATH)
            continue;
        if (o->val == NULL && o->len > 0)
            return COAPSEC_ERR_INVAL;
        cs_put(&w, '/');
        /* A segment "." or ".." that is data must not read as a dot segment
         * (RFC 3986 §5.2.4) when the URI is parsed again: encode its dots. */
        int dots = (o->len == 1 || o->len == 2) && o->val[0] == '.' && o->val[o->len - 1] == '.';
        cs_put_encoded(&w, o->val, o->len, dots ? cs_is_none : cs_is_pchar);
        npath++;
    }
    if (npath == 0)
        cs_put(&w, '/');
    for (uint16_t i = 0; i < m->nopts && i < COAPSEC_MAX_OPTIONS; i++) {
        const coapsec_opt *o = &m->opts[i];
        if (o->num != COAPSEC_OPT_URI_QUERY)
            continue;
        if (o->val == NULL && o->len > 0)
            return COAPSEC_ERR_INVAL;
        cs_put(&w, nquery++ == 0 ? '?' : '&');
        cs_put_encoded(&w, o->val, o->len, cs_is_query_out);
    }
    if (w.len + 1 > cap || w.len > 0x7fffffff) {
        out[0] = '\0';
        return COAPSEC_ERR_NOBUF;
    }
    out[w.len] = '\0';
    return (int)w.len;
}
