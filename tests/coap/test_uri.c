/*
 * test_uri.c - tests for src/coap/uri.c: coap/coaps URI syntax (RFC 7252
 * §6.1/§6.2), the §6.3 equivalent URIs, decomposition into Uri-* options
 * (§6.4, incl. RFC 3986 percent-decoding and dot segments), composition
 * (§6.5) against the RFC 7252 Appendix B examples, and the size limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "coapsec/msg.h"

static coapsec_uri U; /* large; keep it off the stack */

static void parse_ok(const char *text) {
    int rc = coapsec_uri_parse(&U, text);
    if (rc != 0)
        fail_msg("parse failed (%d) for %s", rc, text);
}

static void parse_bad(const char *text) {
    int rc = coapsec_uri_parse(&U, text);
    if (rc != COAPSEC_ERR_URI)
        fail_msg("expected COAPSEC_ERR_URI, got %d for %s", rc, text);
}

/* Segments of U, as a NULL-terminated list of expected strings. */
static void expect_segs(const char *const *want) {
    size_t n = 0;
    while (want[n])
        n++;
    assert_int_equal(U.nsegs, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(U.seg_len[i], strlen(want[i]));
        assert_memory_equal(U.seg[i], want[i], U.seg_len[i]);
    }
}

static void expect_queries(const char *const *want) {
    size_t n = 0;
    while (want[n])
        n++;
    assert_int_equal(U.nqueries, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(U.query_len[i], strlen(want[i]));
        assert_memory_equal(U.query[i], want[i], U.query_len[i]);
    }
}

#define SEGS(...)    expect_segs((const char *const[]){__VA_ARGS__, NULL})
#define NOSEGS()     assert_int_equal(U.nsegs, 0)
#define QUERIES(...) expect_queries((const char *const[]){__VA_ARGS__, NULL})

/* §6.1: coap-URI = "coap:" "//" host [ ":" port ] path-abempty [ "?" query ] */
static void test_parse_basic(void **state) {
    (void)state;
    parse_ok("coap://example.com/temp");
    assert_int_equal(U.secure, 0);
    assert_string_equal(U.host, "example.com");
    assert_int_equal(U.host_is_ip, 0);
    assert_int_equal(U.port, 5683);
    SEGS("temp");
    assert_int_equal(U.nqueries, 0);
    parse_ok("coap://example.com");
    NOSEGS();
    assert_int_equal(U.nqueries, 0);
}

/* §6.1/§6.2: default ports 5683 and 5684; the scheme is case-insensitive. */
static void test_parse_default_ports(void **state) {
    (void)state;
    parse_ok("coaps://example.com/");
    assert_int_equal(U.secure, 1);
    assert_int_equal(U.port, 5684);
    parse_ok("COAPS://H/");
    assert_int_equal(U.secure, 1);
    assert_string_equal(U.host, "h");
    parse_ok("CoAp://h");
    assert_int_equal(U.secure, 0);
    assert_int_equal(U.port, 5683);
}

/* §6.1: the port is decimal; empty means the default; out of range fails. */
static void test_parse_port(void **state) {
    (void)state;
    parse_ok("coap://h:61616/x");
    assert_int_equal(U.port, 61616);
    SEGS("x");
    parse_ok("coaps://h:/");
    assert_int_equal(U.port, 5684);
    parse_ok("coap://h:65535");
    assert_int_equal(U.port, 65535);
    parse_ok("coap://h:00080?q");
    assert_int_equal(U.port, 80);
    QUERIES("q");
    parse_bad("coap://h:65536/");
    parse_bad("coap://h:0/");
    parse_bad("coap://h:12a/");
    parse_bad("coap://h:-1/");
    parse_bad("coap://h:1:2/");
    parse_bad("coap://h:99999999999999999999/");
}

/* Encode the Uri-* options of a parsed URI in a fixed GET header. */
static int uri_bytes(const char *text, uint8_t *out, size_t cap) {
    static uint8_t scratch[2];
    parse_ok(text);
    coapsec_msg m;
    memset(&m, 0, sizeof m);
    m.code = COAPSEC_GET;
    assert_int_equal(coapsec_uri_to_opts(&U, &m, 1, scratch), 0);
    return coapsec_msg_encode(&m, out, cap);
}

/* §6.3: the three example URIs are equivalent: same options and values. */
static void test_equivalent_uris(void **state) {
    (void)state;
    static const char *const uris[] = {
        "coap://example.com:5683/~sensors/temp.xml",
        "coap://EXAMPLE.com/%7Esensors/temp.xml",
        "coap://EXAMPLE.com:/%7esensors/temp.xml",
    };
    /* Uri-Host "example.com", Uri-Path "~sensors", Uri-Path "temp.xml" */
    static const uint8_t want[] = {0x40, 0x01, 0x00, 0x00, 0x3b, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
                                   '.',  'c',  'o',  'm',  0x88, '~', 's', 'e', 'n', 's', 'o', 'r',
                                   's',  0x08, 't',  'e',  'm',  'p', '.', 'x', 'm', 'l'};
    for (size_t i = 0; i < 3; i++) {
        uint8_t out[64];
        int n = uri_bytes(uris[i], out, sizeof out);
        assert_int_equal(n, (int)sizeof want);
        assert_memory_equal(out, want, sizeof want);
    }
}

/* §6.1 / RFC 3986 §3.2.2: IPv6 literals in brackets (stored without them,
 * lowercased); no zone identifiers or IPvFuture. */
static void test_parse_ipv6(void **state) {
    (void)state;
    parse_ok("coap://[::1]/");
    assert_string_equal(U.host, "::1");
    assert_int_equal(U.host_is_ip, 1);
    assert_int_equal(U.port, 5683);
    NOSEGS();
    parse_ok("coaps://[2001:DB8::2:1]:61616/x");
    assert_string_equal(U.host, "2001:db8::2:1");
    assert_int_equal(U.port, 61616);
    SEGS("x");
    parse_ok("coap://[::ffff:192.0.2.1]");
    assert_int_equal(U.host_is_ip, 1);
    parse_bad("coap://[::1/");
    parse_bad("coap://[::g]/");
    parse_bad("coap://[]/");
    parse_bad("coap://[1:2:3:4:5:6:7:8:9]/");
    parse_bad("coap://[fe80::1%25eth0]/");
    parse_bad("coap://[v1.x]/");
    parse_bad("coap://[::1]x/");
    parse_bad("coap://::1/");
}

/* RFC 3986 §3.2.2: IPv4address is four dec-octets; anything else is a reg-name. */
static void test_parse_ipv4(void **state) {
    (void)state;
    parse_ok("coap://198.51.100.1:61616/");
    assert_string_equal(U.host, "198.51.100.1");
    assert_int_equal(U.host_is_ip, 1);
    parse_ok("coap://0.0.0.0/");
    assert_int_equal(U.host_is_ip, 1);
    static const char *const names[] = {"coap://256.1.1.1/", "coap://01.2.3.4/", "coap://1.2.3/",
                                        "coap://1.2.3.4.5/", "coap://1.2.3.4a/"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        parse_ok(names[i]);
        assert_int_equal(U.host_is_ip, 0);
    }
}

/* §6.4 step 5: host lowercased, then percent-decoded; never empty (§6.1). */
static void test_parse_host(void **state) {
    (void)state;
    parse_ok("coap://EXAMPLE.com");
    assert_string_equal(U.host, "example.com");
    parse_ok("coap://ex%41mple.COM");
    assert_string_equal(U.host, "exAmple.com");
    parse_ok("coap://a-b_c~d.!$&'()*+,;=/");
    assert_string_equal(U.host, "a-b_c~d.!$&'()*+,;=");
    parse_bad("coap://a%2/");
    parse_bad("coap://a%zz/");
    parse_bad("coap://a%00b/");
    parse_bad("coap:///path");
    parse_bad("coap://:5683/");
    parse_bad("coap://user@host/");
    parse_bad("coap://ho st/");
    char text[300];
    snprintf(text, sizeof text, "coap://%0255d/", 0);
    parse_ok(text);
    assert_int_equal(strlen(U.host), 255);
    snprintf(text, sizeof text, "coap://%0256d/", 0);
    parse_bad(text);
}

/* §6.4 step 8: an empty path or "/" gives no Uri-Path; otherwise one option
 * per segment, so a trailing "/" gives an empty last segment. */
static void test_parse_path_segments(void **state) {
    (void)state;
    parse_ok("coap://h");
    NOSEGS();
    parse_ok("coap://h/");
    NOSEGS();
    parse_ok("coap://h/a/");
    SEGS("a", "");
    parse_ok("coap://h//");
    SEGS("", "");
    parse_ok("coap://h/a//b");
    SEGS("a", "", "b");
    parse_ok("coap://h/.well-known/core");
    SEGS(".well-known", "core");
    parse_ok("coap://h/:@!$&'()*+,;=-._~");
    SEGS(":@!$&'()*+,;=-._~");
}

/* §6.4 step 2: reference resolution removes dot segments (RFC 3986 §5.2.4). */
static void test_parse_dot_segments(void **state) {
    (void)state;
    parse_ok("coap://h/a/./b/../c");
    SEGS("a", "c");
    parse_ok("coap://h/a/b/..");
    SEGS("a", "");
    parse_ok("coap://h/a/b/.");
    SEGS("a", "b", "");
    parse_ok("coap://h/..");
    NOSEGS();
    parse_ok("coap://h/../a");
    SEGS("a");
    parse_ok("coap://h/a/..");
    NOSEGS();
    parse_ok("coap://h/a/../../b/");
    SEGS("b", "");
    parse_ok("coap://h/.a/..b/...");
    SEGS(".a", "..b", "...");
    /* percent-encoded dots are data, not dot segments */
    parse_ok("coap://h/a/%2E%2E/%2e");
    SEGS("a", "..", ".");
}

/* §6.4 steps 8/9: percent-encodings in path and query become bytes. */
static void test_parse_percent_decoding(void **state) {
    (void)state;
    parse_ok("coap://h/a%20b/%2F/%7e/%25?x%3D1&y=%26&%C3%A9");
    SEGS("a b", "/", "~", "%");
    QUERIES("x=1", "y=&", "\xc3\xa9");
    parse_ok("coap://h/%00");
    assert_int_equal(U.nsegs, 1);
    assert_int_equal(U.seg_len[0], 1);
    assert_int_equal(U.seg[0][0], 0);
    parse_bad("coap://h/%G0");
    parse_bad("coap://h/%2");
    parse_bad("coap://h/%");
    parse_bad("coap://h/?a=%F");
}

/* §6.1/§6.4 step 9: the query is split at "&" into Uri-Query values. */
static void test_parse_query(void **state) {
    (void)state;
    parse_ok("coap://h/p?a=1&b=2");
    SEGS("p");
    QUERIES("a=1", "b=2");
    parse_ok("coap://h?x");
    NOSEGS();
    QUERIES("x");
    parse_ok("coap://h/?");
    QUERIES("");
    parse_ok("coap://h/?a&&b");
    QUERIES("a", "", "b");
    parse_ok("coap://h/?/x?y:@");
    QUERIES("/x?y:@");
}

/* §6.4 steps 1, 3, 4: relative references, other schemes and fragments fail;
 * characters outside the RFC 3986 grammar fail. */
static void test_parse_reject(void **state) {
    (void)state;
    static const char *const bad[] = {
        "",
        "/relative/path",
        "relative",
        "//h/path",
        "http://h/",
        "coaps+tcp://h/",
        "coap:h/x",
        "coap:/h/x",
        "coap://",
        "coap://h/#frag",
        "coap://h/a#",
        "coap://h#",
        "coap://h/?q#f",
        "coap://h/a b",
        "coap://h/<x>",
        "coap://h/\"",
        "coap://h/a\x01",
        "coap://h/\xc3\xa9",
        "coap://h/a\\b",
        "coap://h/?a b",
        "coap://h/?a[b]",
        "coap://h/[x]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        parse_bad(bad[i]);
    assert_int_equal(coapsec_uri_parse(&U, NULL), COAPSEC_ERR_INVAL);
    assert_int_equal(coapsec_uri_parse(NULL, "coap://h/"), COAPSEC_ERR_INVAL);
}

/* Limits: COAPSEC_URI_MAX_SEGS segments/queries, 255-byte values (§5.10),
 * COAPSEC_URI_BUF bytes of decoded text. */
static void test_parse_limits(void **state) {
    (void)state;
    char text[1200];
    strcpy(text, "coap://h");
    for (int i = 0; i < COAPSEC_URI_MAX_SEGS; i++)
        strcat(text, "/s");
    parse_ok(text);
    assert_int_equal(U.nsegs, COAPSEC_URI_MAX_SEGS);
    strcat(text, "/s");
    parse_bad(text);

    strcpy(text, "coap://h/?q");
    for (int i = 1; i < COAPSEC_URI_MAX_SEGS; i++)
        strcat(text, "&q");
    parse_ok(text);
    assert_int_equal(U.nqueries, COAPSEC_URI_MAX_SEGS);
    strcat(text, "&q");
    parse_bad(text);

    /* two 255-byte segments fill the 512-byte buffer exactly (with NULs) */
    char seg[256];
    memset(seg, 'a', 255);
    seg[255] = '\0';
    snprintf(text, sizeof text, "coap://h/%s/%s", seg, seg);
    parse_ok(text);
    assert_int_equal(U.seg_len[1], 255);
    strcat(text, "/");
    parse_bad(text);
    snprintf(text, sizeof text, "coap://h/%sa", seg);
    parse_bad(text); /* 256 bytes in one segment */
    snprintf(text, sizeof text, "coap://h/?%sa", seg);
    parse_bad(text);
    /* percent-encoding counts decoded bytes: 255 x "%41" is fine */
    strcpy(text, "coap://h/");
    for (int i = 0; i < 255; i++)
        strcat(text, "%41");
    parse_ok(text);
    assert_int_equal(U.seg_len[0], 255);
}

/* ---- §6.4 URI -> options -------------------------------------------------- */

static void expect_opt(const coapsec_opt *o, uint16_t num, const void *v, size_t len) {
    assert_int_equal(o->num, num);
    assert_int_equal(o->len, len);
    if (len)
        assert_memory_equal(o->val, v, len);
}

/* §6.4 steps 5-9: Uri-Host for reg-names only, Uri-Port only when asked and
 * not the default, then Uri-Path and Uri-Query in order. */
static void test_to_opts(void **state) {
    (void)state;
    uint8_t scratch[2];
    coapsec_msg m;
    parse_ok("coap://example.net:61616/.well-known/core?rt=x&if=y");
    memset(&m, 0, sizeof m);
    assert_int_equal(coapsec_msg_add_opt(&m, COAPSEC_OPT_ACCEPT, "\x32", 1), 0);
    assert_int_equal(coapsec_msg_add_opt(&m, COAPSEC_OPT_CONTENT_FORMAT, "", 0), 0);
    assert_int_equal(coapsec_uri_to_opts(&U, &m, 1, scratch), 0);
    assert_int_equal(m.nopts, 8);
    expect_opt(&m.opts[0], COAPSEC_OPT_URI_HOST, "example.net", 11);
    expect_opt(&m.opts[1], COAPSEC_OPT_URI_PORT, "\xf0\xb0", 2);
    expect_opt(&m.opts[2], COAPSEC_OPT_URI_PATH, ".well-known", 11);
    expect_opt(&m.opts[3], COAPSEC_OPT_URI_PATH, "core", 4);
    expect_opt(&m.opts[4], COAPSEC_OPT_CONTENT_FORMAT, "", 0);
    expect_opt(&m.opts[5], COAPSEC_OPT_URI_QUERY, "rt=x", 4);
    expect_opt(&m.opts[6], COAPSEC_OPT_URI_QUERY, "if=y", 4);
    expect_opt(&m.opts[7], COAPSEC_OPT_ACCEPT, "\x32", 1);

    memset(&m, 0, sizeof m);
    assert_int_equal(coapsec_uri_to_opts(&U, &m, 0, scratch), 0);
    assert_null(coapsec_msg_find(&m, COAPSEC_OPT_URI_PORT));
    assert_int_equal(m.nopts, 5);

    parse_ok("coap://example.net:5683/");
    memset(&m, 0, sizeof m);
    assert_int_equal(coapsec_uri_to_opts(&U, &m, 1, scratch), 0);
    assert_int_equal(m.nopts, 1); /* only Uri-Host */

    parse_ok("coaps://h:5683");
    memset(&m, 0, sizeof m);
    assert_int_equal(coapsec_uri_to_opts(&U, &m, 1, scratch), 0);
    expect_opt(coapsec_msg_find(&m, COAPSEC_OPT_URI_PORT), COAPSEC_OPT_URI_PORT, "\x16\x33", 2);

    parse_ok("coap://h:200");
    memset(&m, 0, sizeof m);
    assert_int_equal(coapsec_uri_to_opts(&U, &m, 1, scratch), 0);
    expect_opt(coapsec_msg_find(&m, COAPSEC_OPT_URI_PORT), COAPSEC_OPT_URI_PORT, "\xc8", 1);

    parse_ok("coap://[2001:db8::1]:61616/a?b");
    memset(&m, 0, sizeof m);
    assert_int_equal(coapsec_uri_to_opts(&U, &m, 0, scratch), 0);
    assert_null(coapsec_msg_find(&m, COAPSEC_OPT_URI_HOST));
    assert_int_equal(m.nopts, 2);
    parse_ok("coap://192.0.2.1/");
    memset(&m, 0, sizeof m);
    assert_int_equal(coapsec_uri_to_opts(&U, &m, 1, scratch), 0);
    assert_int_equal(m.nopts, 0);
}

/* A message without room for all the options: NOMEM, nothing added. */
static void test_to_opts_nomem(void **state) {
    (void)state;
    uint8_t scratch[2];
    coapsec_msg m;
    memset(&m, 0, sizeof m);
    while (m.nopts < COAPSEC_MAX_OPTIONS - 2)
        assert_int_equal(coapsec_msg_add_opt(&m, COAPSEC_OPT_ETAG, "e", 1), 0);
    parse_ok("coap://h/a/b");
    assert_int_equal(coapsec_uri_to_opts(&U, &m, 0, scratch), COAPSEC_ERR_NOMEM);
    assert_int_equal(m.nopts, COAPSEC_MAX_OPTIONS - 2);
    assert_null(coapsec_msg_find(&m, COAPSEC_OPT_URI_HOST));
    parse_ok("coap://h/a");
    assert_int_equal(coapsec_uri_to_opts(&U, &m, 0, scratch), 0);
    assert_int_equal(m.nopts, COAPSEC_MAX_OPTIONS);
}

/* ---- §6.5 options -> URI --------------------------------------------------- */

static const char *compose(const coapsec_msg *m, int secure, const char *host, uint16_t port) {
    static char out[512];
    int n = coapsec_uri_compose(m, secure, host, port, out, sizeof out);
    if (n < 0)
        fail_msg("compose failed: %d", n);
    assert_int_equal((size_t)n, strlen(out));
    return out;
}

/* RFC 7252 Appendix B: the URI examples. */
static void test_compose_appendix_b(void **state) {
    (void)state;
    coapsec_msg m;
    memset(&m, 0, sizeof m);
    m.code = COAPSEC_GET;
    assert_string_equal(compose(&m, 0, "2001:db8::2:1", 5683), "coap://[2001:db8::2:1]/");
    assert_int_equal(coapsec_msg_add_opt(&m, COAPSEC_OPT_URI_HOST, "example.net", 11), 0);
    assert_string_equal(compose(&m, 0, "2001:db8::2:1", 5683), "coap://example.net/");
    assert_int_equal(coapsec_msg_add_opt(&m, COAPSEC_OPT_URI_PATH, ".well-known", 11), 0);
    assert_int_equal(coapsec_msg_add_opt(&m, COAPSEC_OPT_URI_PATH, "core", 4), 0);
    assert_string_equal(compose(&m, 0, "2001:db8::2:1", 5683),
                        "coap://example.net/.well-known/core");

    memset(&m, 0, sizeof m);
    m.code = COAPSEC_GET;
    assert_int_equal(coapsec_msg_add_opt(&m, COAPSEC_OPT_URI_HOST, "xn--18j4d.example", 17), 0);
    assert_int_equal(coapsec_msg_add_opt(&m, COAPSEC_OPT_URI_PATH,
                                         "\xe3\x81\x93\xe3\x82\x93\xe3\x81\xab\xe3\x81\xa1\xe3"
                                         "\x81\xaf",
                                         15),
                     0);
    assert_string_equal(compose(&m, 0, "2001:db8::2:1", 5683),
                        "coap://xn--18j4d.example/%E3%81%93%E3%82%93%E3%81%AB%E3%81%A1%E3%81%AF");

    /* The last example. Appendix B prints the query part as "?%2F%2F&?%26";
     * §6.5 step 8 (normative) leaves "/" and "?" unencoded in a query and
     * encodes only "&", which is what is checked here. */
    memset(&m, 0, sizeof m);
    m.code = COAPSEC_GET;
    assert_int_equal(coapsec_msg_add_opt(&m, COAPSEC_OPT_URI_PATH, "", 0), 0);
    assert_int_equal(coapsec_msg_add_opt(&m, COAPSEC_OPT_URI_PATH, "/", 1), 0);
    assert_int_equal(coapsec_msg_add_opt(&m, COAPSEC_OPT_URI_PATH, "", 0), 0);
    assert_int_equal(coapsec_msg_add_opt(&m, COAPSEC_OPT_URI_PATH, "", 0), 0);
    assert_int_equal(coapsec_msg_add_opt(&m, COAPSEC_OPT_URI_QUERY, "//", 2), 0);
    assert_int_equal(coapsec_msg_add_opt(&m, COAPSEC_OPT_URI_QUERY, "?&", 2), 0);
    assert_string_equal(compose(&m, 0, "198.51.100.1", 61616),
                        "coap://198.51.100.1:61616//%2F//?//&?%26");
}

/* §6.5 steps 1, 4, 5: scheme, Uri-Port over the destination port, default
 * port elided. */
static void test_compose_ports(void **state) {
    (void)state;
    coapsec_msg m;
    memset(&m, 0, sizeof m);
    m.code = COAPSEC_GET;
    assert_string_equal(compose(&m, 1, "192.0.2.1", 5684), "coaps://192.0.2.1/");
    assert_string_equal(compose(&m, 1, "192.0.2.1", 5683), "coaps://192.0.2.1:5683/");
    assert_string_equal(compose(&m, 0, "::1", 1), "coap://[::1]:1/");
    assert_string_equal(compose(&m, 0, "::1", 65535), "coap://[::1]:65535/");
    assert_int_equal(coapsec_msg_add_opt(&m, COAPSEC_OPT_URI_PORT, "\x16\x34", 2), 0);
    assert_string_equal(compose(&m, 1, "192.0.2.1", 9999), "coaps://192.0.2.1/");
    assert_string_equal(compose(&m, 0, "192.0.2.1", 5683), "coap://192.0.2.1:5684/");
    coapsec_msg_del_opt(&m, COAPSEC_OPT_URI_PORT);
    assert_int_equal(coapsec_msg_add_opt(&m, COAPSEC_OPT_URI_PORT, "\x01\x00\x00", 3), 0);
    char out[64];
    assert_int_equal(coapsec_uri_compose(&m, 0, "h", 5683, out, sizeof out), COAPSEC_ERR_INVAL);
    memset(&m, 0, sizeof m);
    assert_int_equal(coapsec_uri_compose(&m, 0, NULL, 5683, out, sizeof out), COAPSEC_ERR_INVAL);
}

/* §6.5 steps 6 and 8: percent-encode (uppercase hex) what is not unreserved,
 * sub-delims, ":" or "@" (plus "/" and "?" in a query, minus "&"). */
static void test_compose_percent_encoding(void **state) {
    (void)state;
    coapsec_msg m;
    memset(&m, 0, sizeof m);
    m.code = COAPSEC_GET;
    assert_int_equal(coapsec_msg_add_opt(&m, COAPSEC_OPT_URI_PATH, "a b%#[]?/", 9), 0);
    assert_int_equal(coapsec_msg_add_opt(&m, COAPSEC_OPT_URI_PATH, ":@!$&'()*+,;=-._~", 17), 0);
    assert_int_equal(coapsec_msg_add_opt(&m, COAPSEC_OPT_URI_QUERY, "k=v&w/x?y#\x7f\xff", 12), 0);
    assert_string_equal(compose(&m, 0, "h", 5683),
                        "coap://h/a%20b%25%23%5B%5D%3F%2F/:@!$&'()*+,;=-._~"
                        "?k=v%26w/x?y%23%7F%FF");
    /* Uri-Path "." and ".." are data: encoded so they are not dot segments */
    coapsec_msg d;
    memset(&d, 0, sizeof d);
    assert_int_equal(coapsec_msg_add_opt(&d, COAPSEC_OPT_URI_PATH, "..", 2), 0);
    assert_int_equal(coapsec_msg_add_opt(&d, COAPSEC_OPT_URI_PATH, ".", 1), 0);
    assert_int_equal(coapsec_msg_add_opt(&d, COAPSEC_OPT_URI_PATH, "...", 3), 0);
    assert_string_equal(compose(&d, 0, "h", 5683), "coap://h/%2E%2E/%2E/...");
    /* a Uri-Host outside reg-name characters is percent-encoded too */
    coapsec_msg h;
    memset(&h, 0, sizeof h);
    assert_int_equal(coapsec_msg_add_opt(&h, COAPSEC_OPT_URI_HOST, "a b.%", 5), 0);
    assert_string_equal(compose(&h, 0, NULL, 5683), "coap://a%20b.%25/");
}

/* The output buffer: every capacity short of the URI and its NUL fails. */
static void test_compose_nobuf(void **state) {
    (void)state;
    coapsec_msg m;
    memset(&m, 0, sizeof m);
    assert_int_equal(coapsec_msg_add_opt(&m, COAPSEC_OPT_URI_PATH, "temp", 4), 0);
    const char *want = "coap://h/temp";
    char out[32];
    for (size_t cap = 1; cap <= strlen(want); cap++)
        assert_int_equal(coapsec_uri_compose(&m, 0, "h", 5683, out, cap), COAPSEC_ERR_NOBUF);
    assert_int_equal(coapsec_uri_compose(&m, 0, "h", 5683, out, strlen(want) + 1),
                     (int)strlen(want));
    assert_string_equal(out, want);
    assert_int_equal(coapsec_uri_compose(&m, 0, "h", 5683, out, 0), COAPSEC_ERR_INVAL);
}

/* §6.3/§6.5: parse -> options -> compose gives the normal form. */
static void test_roundtrip_normal_form(void **state) {
    (void)state;
    static const struct {
        const char *in, *host, *out;
        uint16_t port;
    } t[] = {
        {"coap://EXAMPLE.com:/%7esensors/temp.xml", "192.0.2.1",
         "coap://example.com/~sensors/temp.xml", 5683},
        {"coap://example.com:5683", "192.0.2.1", "coap://example.com/", 5683},
        {"coaps://[2001:DB8::1]:61616/a%20b/c/?x=%26&y", "2001:db8::1",
         "coaps://[2001:db8::1]:61616/a%20b/c/?x=%26&y", 61616},
        {"coap://h.example:1234/%2F?%3F", "192.0.2.1", "coap://h.example:1234/%2F??", 5683},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        uint8_t scratch[2];
        coapsec_msg m;
        memset(&m, 0, sizeof m);
        parse_ok(t[i].in);
        assert_int_equal(coapsec_uri_to_opts(&U, &m, 1, scratch), 0);
        assert_string_equal(compose(&m, U.secure, t[i].host, t[i].port), t[i].out);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_basic),        cmocka_unit_test(test_parse_default_ports),
        cmocka_unit_test(test_parse_port),         cmocka_unit_test(test_equivalent_uris),
        cmocka_unit_test(test_parse_ipv6),         cmocka_unit_test(test_parse_ipv4),
        cmocka_unit_test(test_parse_host),         cmocka_unit_test(test_parse_path_segments),
        cmocka_unit_test(test_parse_dot_segments), cmocka_unit_test(test_parse_percent_decoding),
        cmocka_unit_test(test_parse_query),        cmocka_unit_test(test_parse_reject),
        cmocka_unit_test(test_parse_limits),       cmocka_unit_test(test_to_opts),
        cmocka_unit_test(test_to_opts_nomem),      cmocka_unit_test(test_compose_appendix_b),
        cmocka_unit_test(test_compose_ports),      cmocka_unit_test(test_compose_percent_encoding),
        cmocka_unit_test(test_compose_nobuf),      cmocka_unit_test(test_roundtrip_normal_form),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
