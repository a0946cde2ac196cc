/*
 * fuzz_codec.c - libFuzzer harness for the CoAP codec (src/coap/codec.c),
 * the option registry check and the URI parser. A datagram that decodes is
 * re-encoded and decoded again: the two decodes must agree, and re-encoding
 * must be stable. The first 200 bytes, as a NUL-terminated string, go to
 * coapsec_uri_parse; a URI that parses goes through to_opts and compose.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "coapsec/msg.h"

static void check_same(const coapsec_msg *a, const coapsec_msg *b) {
    if (a->type != b->type || a->code != b->code || a->mid != b->mid || a->tkl != b->tkl ||
        memcmp(a->token, b->token, a->tkl) != 0 || a->nopts != b->nopts ||
        a->payload_len != b->payload_len)
        abort();
    for (uint16_t i = 0; i < a->nopts; i++) {
        const coapsec_opt *x = &a->opts[i], *y = &b->opts[i];
        if (x->num != y->num || x->len != y->len || (x->len && memcmp(x->val, y->val, x->len)))
            abort();
    }
    if (a->payload_len && memcmp(a->payload, b->payload, a->payload_len) != 0)
        abort();
}

static void fuzz_uri(const uint8_t *data, size_t size) {
    static coapsec_uri u;
    char text[201];
    size_t n = size < 200 ? size : 200;
    memcpy(text, data, n);
    text[n] = '\0';
    if (coapsec_uri_parse(&u, text) != 0)
        return;
    coapsec_msg m;
    memset(&m, 0, sizeof m);
    m.code = COAPSEC_GET;
    uint8_t scratch[2];
    int rc = coapsec_uri_to_opts(&u, &m, 1, scratch);
    if (rc == COAPSEC_ERR_NOMEM)
        return; /* up to 2 x COAPSEC_URI_MAX_SEGS + 2 options may not fit */
    if (rc != 0)
        abort();
    char out[2048];
    int len = coapsec_uri_compose(&m, u.secure, u.host, u.port, out, sizeof out);
    if (len < 0 || strlen(out) != (size_t)len)
        abort();
    /* the composed URI parses to the same options */
    static coapsec_uri u2;
    if (coapsec_uri_parse(&u2, out) != 0)
        abort();
    coapsec_msg m2;
    memset(&m2, 0, sizeof m2);
    m2.code = COAPSEC_GET;
    if (coapsec_uri_to_opts(&u2, &m2, 1, scratch) != 0)
        abort();
    /* Same authority: the host compares case-insensitively (§6.4 step 5
     * lowercases before decoding, so "%41" stays "A"), and a reg-name that
     * decodes to an IP literal comes back as that literal without Uri-Host. */
    if (u.secure != u2.secure || u.port != u2.port || strlen(u.host) != strlen(u2.host))
        abort();
    for (size_t i = 0; u.host[i]; i++) {
        char a = u.host[i], b = u2.host[i];
        if (a >= 'A' && a <= 'Z')
            a = (char)(a - 'A' + 'a');
        if (b >= 'A' && b <= 'Z')
            b = (char)(b - 'A' + 'a');
        if (a != b)
            abort();
    }
    coapsec_msg_del_opt(&m, COAPSEC_OPT_URI_HOST);
    coapsec_msg_del_opt(&m2, COAPSEC_OPT_URI_HOST);
    check_same(&m, &m2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static uint8_t out[65536 + 1024];
    static uint8_t again[sizeof out];
    coapsec_msg m;
    if (coapsec_msg_decode(&m, data, size) == 0) {
        (void)coapsec_msg_bad_critical(&m);
        for (uint16_t i = 0; i < m.nopts; i++) {
            uint32_t v;
            (void)coapsec_opt_uint(&m.opts[i], &v);
            (void)coapsec_optdef_find(m.opts[i].num);
        }
        int n = coapsec_msg_encode(&m, out, sizeof out);
        if (n < 0 || (size_t)n > size)
            abort(); /* the shortest encoding is never longer than the input */
        coapsec_msg d;
        if (coapsec_msg_decode(&d, out, (size_t)n) != 0)
            abort();
        check_same(&m, &d);
        int n2 = coapsec_msg_encode(&d, again, sizeof again);
        if (n2 != n || memcmp(out, again, (size_t)n) != 0)
            abort();
    }
    fuzz_uri(data, size);
    return 0;
}
