/*
 * test_resource.c - the server's resource table and request checks: routing
 * by Uri-Path (RFC 7252 §5.10.1, §6.4), 4.04 (§5.9.2.5), 4.05 (§5.8,
 * §5.9.2.6), 4.02 for unrecognised critical options (§5.4.1), the fallback
 * handler, and /.well-known/core in CoRE Link Format (RFC 6690 §4, with the
 * §4.1 query filter).
 */
#include "harness.h"

#include <stdio.h>

static char last_path[COAPSEC_COAP_MAX_PATH];
static int n_calls;

static void h_echo_path(void *user, const coapsec_coap_req *req, coapsec_coap_response *resp) {
    n_calls++;
    snprintf(last_path, sizeof(last_path), "%s", req->path);
    assert_int_equal(strlen(req->path), req->path_len);
    coapsec_coap_resp_payload(resp, req->path, req->path_len);
    if (user != NULL)
        resp->msg.code = COAPSEC_CREATED;
}

static hpair *setup(void) {
    hpair *h = hpair_new(1, NULL);
    coapsec_coap_ctx *s = h->n[1].ctx;
    coapsec_coap_resource res[] = {
        {"", h_echo_path, NULL, NULL, 0},
        {"sensors/temp", h_echo_path, NULL, "rt=\"temperature-c\";if=\"sensor\";ct=0", 0},
        {"sensors/light", h_echo_path, NULL, "rt=\"light-lux core.s\";if=\"sensor\"", 0},
        {"time", h_echo_path, NULL, "rt=\"time\";ct=0", 1u << COAPSEC_GET},
    };
    for (size_t i = 0; i < sizeof(res) / sizeof(res[0]); i++)
        assert_int_equal(coapsec_coap_add_resource(s, &res[i]), 0);
    n_calls = 0;
    last_path[0] = 0;
    return h;
}

/* Send a CON request straight into the server; return the decoded reply. */
static void ask(hpair *h, uint8_t code, const char *path, const char *query, uint16_t extra_opt,
                coapsec_msg *reply) {
    static uint16_t mid = 100;
    hreq rq;
    coapsec_msg *m = h_req(&rq, COAPSEC_CON, code, path, NULL);
    m->mid = mid++;
    m->tkl = 1;
    m->token[0] = 0x42;
    if (query != NULL)
        assert_int_equal(coapsec_msg_add_opt(m, COAPSEC_OPT_URI_QUERY, query, strlen(query)), 0);
    if (extra_opt != 0)
        assert_int_equal(coapsec_msg_add_opt(m, extra_opt, "v", 1), 0);
    uint8_t buf[COAPSEC_MAX_PDU];
    size_t n = h_encode(m, buf, sizeof(buf));
    int before = h->nlog;
    assert_int_equal(coapsec_coap_recv(h->n[1].ctx, h_peer(h, 1, 0), buf, n, 0), 0);
    assert_int_equal(h->nlog, before + 1);
    h_log_msg(h, before, reply);
    assert_int_equal(reply->type, COAPSEC_ACK);
    assert_int_equal(reply->mid, m->mid);
    assert_int_equal(reply->tkl, 1);
    assert_int_equal(reply->token[0], 0x42);
}

static int payload_is(const coapsec_msg *m, const char *s) {
    return m->payload_len == strlen(s) && memcmp(m->payload, s, m->payload_len) == 0;
}

/* §6.4 / §5.10.1: Uri-Path segments joined with '/' select the resource. */
static void test_routing(void **state) {
    hpair *h = setup();
    coapsec_msg r;
    ask(h, COAPSEC_GET, "sensors/temp", NULL, 0, &r);
    assert_int_equal(r.code, COAPSEC_CONTENT);
    assert_true(payload_is(&r, "sensors/temp"));
    ask(h, COAPSEC_GET, NULL, NULL, 0, &r); /* no Uri-Path: the root */
    assert_int_equal(r.code, COAPSEC_CONTENT);
    assert_int_equal(r.payload_len, 0);
    assert_string_equal(last_path, "");
    /* default codes: 2.04 for POST/PUT, 2.02 for DELETE */
    ask(h, COAPSEC_PUT, "sensors/light", NULL, 0, &r);
    assert_int_equal(r.code, COAPSEC_CHANGED);
    ask(h, COAPSEC_DELETE, "sensors/light", NULL, 0, &r);
    assert_int_equal(r.code, COAPSEC_DELETED);
    assert_int_equal(n_calls, 4);
    hpair_free(h);
}

/* §5.9.2.5: 4.04 for an unknown path, unless a fallback handler takes it. */
static void test_not_found_and_fallback(void **state) {
    hpair *h = setup();
    coapsec_msg r;
    ask(h, COAPSEC_GET, "sensors", NULL, 0, &r);
    assert_int_equal(r.code, COAPSEC_NOT_FOUND);
    ask(h, COAPSEC_GET, "sensors/temp/x", NULL, 0, &r);
    assert_int_equal(r.code, COAPSEC_NOT_FOUND);
    assert_int_equal(n_calls, 0);
    int marker = 1;
    coapsec_coap_set_fallback(h->n[1].ctx, h_echo_path, &marker);
    ask(h, COAPSEC_PUT, "store/a/b", NULL, 0, &r);
    assert_int_equal(r.code, COAPSEC_CREATED);
    assert_true(payload_is(&r, "store/a/b"));
    assert_int_equal(n_calls, 1);
    /* removing a resource sends its path to the fallback */
    assert_int_equal(coapsec_coap_remove_resource(h->n[1].ctx, "time"), 0);
    assert_int_equal(coapsec_coap_remove_resource(h->n[1].ctx, "time"), COAPSEC_ERR_NOTFOUND);
    coapsec_coap_set_fallback(h->n[1].ctx, NULL, NULL);
    ask(h, COAPSEC_GET, "time", NULL, 0, &r);
    assert_int_equal(r.code, COAPSEC_NOT_FOUND);
    hpair_free(h);
}

/* §5.8 / §5.9.2.6: 4.05 for an unknown method code and for a method the
 * resource does not allow. */
static void test_method_not_allowed(void **state) {
    hpair *h = setup();
    coapsec_msg r;
    ask(h, COAPSEC_POST, "time", NULL, 0, &r);
    assert_int_equal(r.code, COAPSEC_METHOD_NOT_ALLOWED);
    ask(h, COAPSEC_CODE(0, 8), "sensors/temp", NULL, 0, &r); /* unassigned 0.08 */
    assert_int_equal(r.code, COAPSEC_METHOD_NOT_ALLOWED);
    ask(h, COAPSEC_CODE(0, 31), "sensors/temp", NULL, 0, &r);
    assert_int_equal(r.code, COAPSEC_METHOD_NOT_ALLOWED);
    ask(h, COAPSEC_POST, ".well-known/core", NULL, 0, &r);
    assert_int_equal(r.code, COAPSEC_METHOD_NOT_ALLOWED);
    assert_int_equal(n_calls, 0);
    ask(h, COAPSEC_GET, "time", NULL, 0, &r);
    assert_int_equal(r.code, COAPSEC_CONTENT);
    hpair_free(h);
}

/* §5.4.1: an unrecognised critical option in a CON request -> 4.02 with a
 * diagnostic payload (§5.5.2); an unrecognised elective option is ignored;
 * a NON with an unrecognised critical option is rejected (§4.3: RST). */
static void test_bad_option(void **state) {
    hpair *h = setup();
    coapsec_msg r;
    ask(h, COAPSEC_GET, "time", NULL, 2049, &r); /* odd: critical, unassigned */
    assert_int_equal(r.code, COAPSEC_BAD_OPTION);
    assert_true(r.payload_len > 0);
    char diag[64];
    snprintf(diag, sizeof(diag), "%.*s", (int)r.payload_len, (const char *)r.payload);
    assert_non_null(strstr(diag, "2049"));
    assert_int_equal(n_calls, 0);
    ask(h, COAPSEC_GET, "time", NULL, 2048, &r); /* even: elective */
    assert_int_equal(r.code, COAPSEC_CONTENT);
    assert_int_equal(n_calls, 1);
    /* NON */
    hreq rq;
    coapsec_msg *m = h_req(&rq, COAPSEC_NON, COAPSEC_GET, "time", NULL);
    m->mid = 0x5151;
    assert_int_equal(coapsec_msg_add_opt(m, 2049, "", 0), 0);
    uint8_t buf[64];
    size_t n = h_encode(m, buf, sizeof(buf));
    int before = h->nlog;
    assert_int_equal(coapsec_coap_recv(h->n[1].ctx, h_peer(h, 1, 0), buf, n, 0), 0);
    assert_int_equal(h->nlog, before + 1);
    const uint8_t rst[4] = {0x70, 0, 0x51, 0x51};
    assert_memory_equal(h->log[before].data, rst, 4);
    assert_int_equal(n_calls, 1);
    hpair_free(h);
}

static int extra_links(void *user, coapsec_peer_id peer, char *buf, size_t cap) {
    const char *s = "</store/x>;ct=42,</store/y>";
    size_t n = strlen(s);
    if (n > cap)
        return COAPSEC_ERR_NOBUF;
    memcpy(buf, s, n);
    return (int)n;
}

/* RFC 6690 §4: GET /.well-known/core lists the resources in link format
 * (ct=40), plus links supplied by the application. */
static void test_well_known(void **state) {
    hpair *h = setup();
    coapsec_msg r;
    ask(h, COAPSEC_GET, ".well-known/core", NULL, 0, &r);
    assert_int_equal(r.code, COAPSEC_CONTENT);
    const coapsec_opt *cf = coapsec_msg_find(&r, COAPSEC_OPT_CONTENT_FORMAT);
    assert_non_null(cf);
    uint32_t v = 0;
    assert_int_equal(coapsec_opt_uint(cf, &v), 0);
    assert_int_equal(v, COAPSEC_CF_LINK_FORMAT);
    const char *want = "</>,"
                       "</sensors/temp>;rt=\"temperature-c\";if=\"sensor\";ct=0,"
                       "</sensors/light>;rt=\"light-lux core.s\";if=\"sensor\","
                       "</time>;rt=\"time\";ct=0";
    assert_int_equal(r.payload_len, strlen(want));
    assert_memory_equal(r.payload, want, strlen(want));
    h->n[1].ctx->cb.well_known_links = extra_links;
    ask(h, COAPSEC_GET, ".well-known/core", NULL, 0, &r);
    char full[512];
    snprintf(full, sizeof(full), "%s,%s", want, "</store/x>;ct=42,</store/y>");
    assert_int_equal(r.payload_len, strlen(full));
    assert_memory_equal(r.payload, full, strlen(full));
    /* the public builder: exact size fits, one byte less does not */
    char out[512];
    coapsec_peer_id p = h_peer(h, 1, 0);
    int n = coapsec_coap_well_known(h->n[1].ctx, p, NULL, 0, out, strlen(full));
    assert_int_equal(n, (int)strlen(full));
    assert_int_equal(coapsec_coap_well_known(h->n[1].ctx, p, NULL, 0, out, strlen(full) - 1),
                     COAPSEC_ERR_NOBUF);
    hpair_free(h);
}

/* RFC 6690 §4.1: filtering by href, by a parameter value (any item of a
 * space-separated list), with a trailing '*' as a prefix match. */
static void test_well_known_filter(void **state) {
    hpair *h = setup();
    h->n[1].ctx->cb.well_known_links = extra_links;
    static const struct {
        const char *q, *want;
    } v[] = {
        {"rt=time", "</time>;rt=\"time\";ct=0"},
        {"rt=core.s", "</sensors/light>;rt=\"light-lux core.s\";if=\"sensor\""},
        {"rt=temp*", "</sensors/temp>;rt=\"temperature-c\";if=\"sensor\";ct=0"},
        {"href=/time", "</time>;rt=\"time\";ct=0"},
        {"href=/store/*", "</store/x>;ct=42,</store/y>"},
        {"ct=42", "</store/x>;ct=42"},
        {"if=sensor", "</sensors/temp>;rt=\"temperature-c\";if=\"sensor\";ct=0,"
                      "</sensors/light>;rt=\"light-lux core.s\";if=\"sensor\""},
        {"rt=nothing", ""},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        coapsec_msg r;
        ask(h, COAPSEC_GET, ".well-known/core", v[i].q, 0, &r);
        assert_int_equal(r.code, COAPSEC_CONTENT);
        if (r.payload_len != strlen(v[i].want) ||
            (r.payload_len > 0 && memcmp(r.payload, v[i].want, r.payload_len) != 0))
            fail_msg("query %s: got %.*s", v[i].q, (int)r.payload_len, (const char *)r.payload);
    }
    hpair_free(h);
}

/* The table: argument checks and a finite size. */
static void test_table(void **state) {
    hpair *h = hpair_new(2, NULL);
    coapsec_coap_ctx *s = h->n[1].ctx;
    coapsec_coap_resource r = {"a", h_echo_path, NULL, NULL, 0};
    assert_int_equal(coapsec_coap_add_resource(s, &r), 0);
    assert_int_equal(coapsec_coap_add_resource(s, &r), COAPSEC_ERR_INVAL); /* duplicate */
    coapsec_coap_resource slash = {"/b", h_echo_path, NULL, NULL, 0};
    assert_int_equal(coapsec_coap_add_resource(s, &slash), COAPSEC_ERR_INVAL);
    coapsec_coap_resource nohandler = {"c", NULL, NULL, NULL, 0};
    assert_int_equal(coapsec_coap_add_resource(s, &nohandler), COAPSEC_ERR_INVAL);
    static char names[COAPSEC_COAP_MAX_RESOURCES][8];
    int rc = 0, i;
    for (i = 0; i < COAPSEC_COAP_MAX_RESOURCES && rc == 0; i++) {
        snprintf(names[i], sizeof(names[i]), "r%d", i);
        coapsec_coap_resource x = {names[i], h_echo_path, NULL, NULL, 0};
        rc = coapsec_coap_add_resource(s, &x);
    }
    assert_int_equal(rc, COAPSEC_ERR_NOMEM);
    assert_int_equal(i, COAPSEC_COAP_MAX_RESOURCES);
    hpair_free(h);
}

/* §5.2.1 over the simulated network, with the response helpers. */
static void h_opts(void *user, const coapsec_coap_req *req, coapsec_coap_response *resp) {
    assert_int_equal(coapsec_coap_resp_uint(resp, COAPSEC_OPT_MAX_AGE, 60), 0);
    assert_int_equal(coapsec_coap_resp_opt(resp, COAPSEC_OPT_ETAG, "\x01\x02", 2), 0);
    assert_int_equal(coapsec_coap_resp_payload(resp, "ok", 2), 0);
    /* scratch is finite */
    static uint8_t big[COAPSEC_MAX_PDU + 1];
    assert_int_equal(coapsec_coap_resp_payload(resp, big, sizeof(big)), COAPSEC_ERR_NOBUF);
}

static void test_response_helpers(void **state) {
    hpair *h = hpair_new(3, NULL);
    coapsec_coap_resource r = {"o", h_opts, NULL, NULL, 0};
    assert_int_equal(coapsec_coap_add_resource(h->n[1].ctx, &r), 0);
    hreq rq;
    hres res = {.net = h->net};
    assert_true(coapsec_coap_request(h->n[0].ctx, h_peer(h, 0, 1),
                                     h_req(&rq, COAPSEC_CON, COAPSEC_GET, "o", NULL), h_resp_cb,
                                     &res, 0) >= 0);
    h_run(h, COAPSEC_TSTAMP_NONE - 1);
    assert_int_equal(res.status, 0);
    assert_string_equal(res.payload, "ok");
    coapsec_msg m;
    h_log_msg(h, 1, &m);
    const coapsec_opt *ma = coapsec_msg_find(&m, COAPSEC_OPT_MAX_AGE);
    const coapsec_opt *et = coapsec_msg_find(&m, COAPSEC_OPT_ETAG);
    assert_non_null(ma);
    assert_non_null(et);
    uint32_t v;
    assert_int_equal(coapsec_opt_uint(ma, &v), 0);
    assert_int_equal(v, 60);
    assert_int_equal(et->len, 2);
    assert_memory_equal(et->val, "\x01\x02", 2);
    hpair_free(h);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_routing),
        cmocka_unit_test(test_not_found_and_fallback),
        cmocka_unit_test(test_method_not_allowed),
        cmocka_unit_test(test_bad_option),
        cmocka_unit_test(test_well_known),
        cmocka_unit_test(test_well_known_filter),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_response_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
