/*
 * test_block.c - block-wise transfers (RFC 7959) in the CoAP engine: the
 * Block option value codec for every SZX (§2.2), early negotiation (§2.4),
 * Block1 with 2.31 Continue and atomic handling (§2.5), 4.08 and 4.13
 * (§2.9.2, §2.9.3), a 1 MiB PUT then GET between two engines on a clean and
 * on a lossy network, a chain starting at a later Block2 number, and
 * transfers bound to one peer generation.
 */
#include "harness.h"

#define BIG (1024 * 1024)

static uint8_t *g_store; /* the server's resource */
static size_t g_store_len;
static int g_put_calls;   /* handler runs for PUT */
static size_t g_put_seen; /* body length the PUT handler saw */
static int g_get_calls;

static void h_store(void *user, const coapsec_coap_req *req, coapsec_coap_response *resp) {
    if (req->msg->code == COAPSEC_PUT) {
        g_put_calls++;
        g_put_seen = req->msg->payload_len;
        assert_null(coapsec_msg_find(req->msg, COAPSEC_OPT_BLOCK1));
        memcpy(g_store, req->msg->payload, req->msg->payload_len);
        g_store_len = req->msg->payload_len;
        resp->msg.code = COAPSEC_CHANGED;
        return;
    }
    g_get_calls++;
    coapsec_coap_resp_uint(resp, COAPSEC_OPT_CONTENT_FORMAT, COAPSEC_CF_OCTET_STREAM);
    coapsec_coap_resp_body(resp, g_store, g_store_len);
}

typedef struct bres {
    int calls, status;
    uint8_t code;
    size_t len;
    const uint8_t *payload;
    int has_block2;
    uint32_t size1;
} bres;

static void b_cb(void *user, int status, const coapsec_msg *resp, coapsec_peer_id peer) {
    bres *r = user;
    r->calls++;
    r->status = status;
    if (resp != NULL) {
        r->code = resp->code;
        r->len = resp->payload_len;
        r->payload = resp->payload;
        r->has_block2 = coapsec_msg_find(resp, COAPSEC_OPT_BLOCK2) != NULL;
        const coapsec_opt *s1 = coapsec_msg_find(resp, COAPSEC_OPT_SIZE1);
        r->size1 = 0;
        if (s1 != NULL)
            coapsec_opt_uint(s1, &r->size1);
    }
}

static uint8_t *g_b1mem;

static hpair *setup(uint64_t seed, const coapsec_coap_params *p, size_t b1cap) {
    hpair *h = hpair_new(seed, p);
    coapsec_coap_resource r = {"store", h_store, NULL, NULL, 0};
    assert_int_equal(coapsec_coap_add_resource(h->n[1].ctx, &r), 0);
    if (b1cap > 0)
        assert_int_equal(coapsec_coap_set_block1_buffers(h->n[1].ctx, g_b1mem, b1cap, 1), 0);
    g_put_calls = g_get_calls = 0;
    g_put_seen = 0;
    g_store_len = 0;
    return h;
}

static void fill(uint8_t *b, size_t n, uint64_t seed) {
    simrng r;
    simrng_seed(&r, seed);
    simrng_fill(&r, b, n);
}

static int setup_all(void **state) {
    g_store = malloc(BIG + 64);
    g_b1mem = malloc(BIG + 64);
    return g_store == NULL || g_b1mem == NULL;
}

static int teardown_all(void **state) {
    free(g_store);
    free(g_b1mem);
    return 0;
}

/* §2.2: NUM/M/SZX packing for every SZX 0..6; SZX 7 is reserved. */
static void test_option_codec(void **state) {
    for (uint8_t szx = 0; szx <= 6; szx++) {
        assert_int_equal(COAPSEC_BLOCK_SIZE(szx), (size_t)16 << szx);
        assert_int_equal(coapsec_block_szx(COAPSEC_BLOCK_SIZE(szx)), szx);
        const uint32_t nums[] = {0, 1, 15, 16, 4095, 4096, (1u << 20) - 1};
        for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
            for (uint8_t more = 0; more <= 1; more++) {
                coapsec_block b = {nums[i], more, szx}, d;
                uint32_t v;
                assert_int_equal(coapsec_block_encode(&b, &v), 0);
                assert_int_equal(v, nums[i] << 4 | (uint32_t)more << 3 | szx);
                uint8_t sc[4];
                coapsec_msg m;
                memset(&m, 0, sizeof m);
                assert_int_equal(coapsec_msg_add_uint(&m, COAPSEC_OPT_BLOCK2, v, sc), 0);
                /* 0-3 bytes: NUM of 4, 12 or 20 bits (§2.2) */
                size_t want = v == 0 ? 0 : v < 0x100 ? 1 : v < 0x10000 ? 2 : 3;
                assert_int_equal(m.opts[0].len, want);
                assert_int_equal(coapsec_block_decode(&m.opts[0], &d), 0);
                assert_int_equal(d.num, nums[i]);
                assert_int_equal(d.more, more);
                assert_int_equal(d.szx, szx);
            }
        }
    }
    assert_int_equal(coapsec_block_szx(1000), COAPSEC_ERR_INVAL);
    assert_int_equal(coapsec_block_szx(2048), COAPSEC_ERR_INVAL);
    coapsec_block bad = {1u << 20, 0, 0};
    uint32_t v;
    assert_int_equal(coapsec_block_encode(&bad, &v), COAPSEC_ERR_INVAL);
    bad.num = 0;
    bad.szx = 7;
    assert_int_equal(coapsec_block_encode(&bad, &v), COAPSEC_ERR_INVAL);
    uint8_t seven[1] = {0x0f}; /* NUM 0, M 1, SZX 7 */
    coapsec_opt o = {COAPSEC_OPT_BLOCK2, 1, seven};
    coapsec_block d;
    assert_int_equal(coapsec_block_decode(&o, &d), COAPSEC_ERR_UNSUPPORTED);
    uint8_t four[4] = {0, 0, 0, 0x16};
    coapsec_opt o4 = {COAPSEC_OPT_BLOCK2, 4, four};
    assert_int_equal(coapsec_block_decode(&o4, &d), COAPSEC_ERR_FORMAT);
}

/* §2.2: a request with SZX 7 is answered 4.00. */
static void test_szx7_bad_request(void **state) {
    hpair *h = setup(3, NULL, 0);
    hreq rq;
    coapsec_msg *m = h_req(&rq, COAPSEC_CON, COAPSEC_GET, "store", NULL);
    uint8_t sc[4];
    coapsec_msg_add_uint(m, COAPSEC_OPT_BLOCK2, 0x07, sc);
    bres res = {0};
    assert_true(coapsec_coap_request(h->n[0].ctx, h_peer(h, 0, 1), m, b_cb, &res, 0) >= 0);
    h_run(h, COAPSEC_TSTAMP_NONE - 1);
    assert_int_equal(res.calls, 1);
    assert_int_equal(res.code, COAPSEC_BAD_REQUEST);
    assert_int_equal(g_get_calls, 0);
    hpair_free(h);
}

/* §2.4: GET with early negotiation at every SZX; the body arrives whole and every
 * response block has the asked size. */
static void test_get_every_szx(void **state) {
    static uint8_t out[5000];
    for (int szx = 0; szx <= 6; szx++) {
        hpair *h = setup(10 + (uint64_t)szx, NULL, 0);
        g_store_len = 3000;
        fill(g_store, g_store_len, (uint64_t)szx);
        hreq rq;
        bres res = {0};
        coapsec_coap_xfer x = {szx, out, sizeof out, 0};
        assert_true(coapsec_coap_request_ex(h->n[0].ctx, h_peer(h, 0, 1),
                                            h_req(&rq, COAPSEC_CON, COAPSEC_GET, "store", NULL), &x,
                                            b_cb, &res, 0) >= 0);
        h_run(h, COAPSEC_TSTAMP_NONE - 1);
        assert_int_equal(res.calls, 1);
        assert_int_equal(res.status, 0);
        assert_int_equal(res.code, COAPSEC_CONTENT);
        assert_int_equal(res.len, 3000);
        assert_ptr_equal(res.payload, out);
        assert_memory_equal(out, g_store, 3000);
        assert_false(res.has_block2);
        size_t bs = COAPSEC_BLOCK_SIZE(szx);
        int nblocks = (int)((3000 + bs - 1) / bs);
        assert_int_equal(g_get_calls, nblocks);
        /* the first request carries Block2 NUM 0 with the asked SZX */
        coapsec_msg q;
        h_log_msg(h, 0, &q);
        const coapsec_opt *b2 = coapsec_msg_find(&q, COAPSEC_OPT_BLOCK2);
        assert_non_null(b2);
        coapsec_block b;
        assert_int_equal(coapsec_block_decode(b2, &b), 0);
        assert_int_equal(b.num, 0);
        assert_int_equal(b.szx, szx);
        if (h->nlog >= 2) {
            coapsec_msg a;
            h_log_msg(h, 1, &a);
            assert_int_equal(coapsec_block_decode(coapsec_msg_find(&a, COAPSEC_OPT_BLOCK2), &b), 0);
            assert_int_equal(b.szx, szx);
            assert_int_equal(a.payload_len, bs < 3000 ? bs : 3000);
            /* §4: Size2 with the first block */
            uint32_t s2 = 0;
            assert_int_equal(coapsec_opt_uint(coapsec_msg_find(&a, COAPSEC_OPT_SIZE2), &s2), 0);
            assert_int_equal(s2, 3000);
        }
        hpair_free(h);
    }
}

/* §2.5, §3.2: a 1 MiB PUT (Block1) then GET (Block2) arrive intact; the PUT
 * handler runs once, with the whole body. */
static void big_roundtrip(uint64_t seed, const coapsec_coap_params *p, double loss) {
    hpair *h = setup(seed, p, BIG);
    if (loss > 0) {
        simnet_link l = {loss, 0, 5, 20, 0};
        simnet_set_link(h->net, -1, -1, &l);
    }
    uint8_t *body = malloc(BIG);
    uint8_t *back = malloc(BIG + 16);
    assert_non_null(body);
    assert_non_null(back);
    fill(body, BIG, seed * 31 + 7);
    hreq rq;
    coapsec_msg *m = h_req(&rq, COAPSEC_CON, COAPSEC_PUT, "store", NULL);
    m->payload = body;
    m->payload_len = BIG;
    bres put = {0};
    assert_true(coapsec_coap_request(h->n[0].ctx, h_peer(h, 0, 1), m, b_cb, &put, 0) >= 0);
    h_run(h, COAPSEC_TSTAMP_NONE - 1);
    assert_int_equal(put.calls, 1);
    assert_int_equal(put.status, 0);
    assert_int_equal(put.code, COAPSEC_CHANGED);
    assert_int_equal(g_put_calls, 1);
    assert_int_equal(g_put_seen, BIG);
    assert_memory_equal(g_store, body, BIG);

    bres get = {0};
    coapsec_coap_xfer x = {-1, back, BIG + 16, 0};
    assert_true(coapsec_coap_request_ex(h->n[0].ctx, h_peer(h, 0, 1),
                                        h_req(&rq, COAPSEC_CON, COAPSEC_GET, "store", NULL), &x,
                                        b_cb, &get, h->net->now) >= 0);
    h_run(h, COAPSEC_TSTAMP_NONE - 1);
    assert_int_equal(get.calls, 1);
    assert_int_equal(get.status, 0);
    assert_int_equal(get.code, COAPSEC_CONTENT);
    assert_int_equal(get.len, BIG);
    assert_memory_equal(back, body, BIG);
    assert_true(h->n[0].ctx->stats.blocks_sent >= BIG / 1024);
    assert_true(h->n[1].ctx->stats.blocks_sent >= BIG / 1024);
    if (loss > 0)
        assert_true(h->n[0].ctx->stats.retransmissions > BIG / 1024 / 4);
    free(body);
    free(back);
    hpair_free(h);
}

static void test_1mib_clean(void **state) {
    big_roundtrip(42, NULL, 0);
}

static void test_1mib_loss(void **state) {
    coapsec_coap_params p;
    coapsec_coap_params_default(&p);
    p.max_retransmit = 8;
    for (uint64_t seed = 100; seed < 110; seed++)
        big_roundtrip(seed, &p, 0.20);
}

/* §2.5: intermediate blocks get 2.31 Continue; the handler does not run until the
 * last block; the final response echoes Block1 with M = 0. */
static void test_atomic_block1(void **state) {
    hpair *h = setup(5, NULL, 4096);
    static uint8_t body[3000];
    fill(body, sizeof body, 5);
    hreq rq;
    coapsec_msg *m = h_req(&rq, COAPSEC_CON, COAPSEC_PUT, "store", NULL);
    m->payload = body;
    m->payload_len = sizeof body;
    bres res = {0};
    coapsec_coap_xfer x = {4, NULL, 0, 0}; /* 256-byte blocks: 12 of them */
    assert_true(coapsec_coap_request_ex(h->n[0].ctx, h_peer(h, 0, 1), m, &x, b_cb, &res, 0) >= 0);
    /* run until 11 blocks were answered: no handler call yet */
    for (int i = 0; i < 22; i++)
        assert_true(simnet_run(h->net, COAPSEC_TSTAMP_NONE - 1, 1) != 0);
    assert_int_equal(g_put_calls, 0);
    assert_int_equal(res.calls, 0);
    h_run(h, COAPSEC_TSTAMP_NONE - 1);
    assert_int_equal(g_put_calls, 1);
    assert_int_equal(g_put_seen, sizeof body);
    assert_memory_equal(g_store, body, sizeof body);
    assert_int_equal(res.code, COAPSEC_CHANGED);
    assert_int_equal(h->nlog, 24);
    for (int i = 0; i < 24; i += 2) {
        coapsec_msg q, a;
        coapsec_block bq, ba;
        h_log_msg(h, i, &q);
        h_log_msg(h, i + 1, &a);
        assert_int_equal(coapsec_block_decode(coapsec_msg_find(&q, COAPSEC_OPT_BLOCK1), &bq), 0);
        assert_int_equal(bq.num, (uint32_t)i / 2);
        assert_int_equal(bq.szx, 4);
        assert_int_equal(bq.more, i < 22);
        assert_int_equal(a.code, i < 22 ? COAPSEC_CONTINUE : COAPSEC_CHANGED);
        assert_int_equal(coapsec_block_decode(coapsec_msg_find(&a, COAPSEC_OPT_BLOCK1), &ba), 0);
        assert_int_equal(ba.num, bq.num);
        assert_int_equal(ba.more, bq.more);
        if (i == 0) { /* §4: Size1 announces the total */
            uint32_t s1 = 0;
            assert_int_equal(coapsec_opt_uint(coapsec_msg_find(&q, COAPSEC_OPT_SIZE1), &s1), 0);
            assert_int_equal(s1, sizeof body);
        }
    }
    hpair_free(h);
}

/* §2.5 (Figure 6 style): the server asks for smaller blocks in 2.31; the client
 * adopts them and numbers the next block by offset. */
static void test_server_smaller_blocks(void **state) {
    hpair *h = setup(6, NULL, 8192);
    assert_int_equal(coapsec_coap_set_block_szx(h->n[1].ctx, 4), 0);
    static uint8_t body[3000];
    fill(body, sizeof body, 6);
    hreq rq;
    coapsec_msg *m = h_req(&rq, COAPSEC_CON, COAPSEC_PUT, "store", NULL);
    m->payload = body;
    m->payload_len = sizeof body;
    bres res = {0};
    assert_true(coapsec_coap_request(h->n[0].ctx, h_peer(h, 0, 1), m, b_cb, &res, 0) >= 0);
    h_run(h, COAPSEC_TSTAMP_NONE - 1);
    assert_int_equal(res.code, COAPSEC_CHANGED);
    assert_int_equal(g_put_calls, 1);
    assert_memory_equal(g_store, body, sizeof body);
    coapsec_msg q;
    coapsec_block b;
    h_log_msg(h, 2, &q); /* second request: block 4 of 256 bytes = offset 1024 */
    assert_int_equal(coapsec_block_decode(coapsec_msg_find(&q, COAPSEC_OPT_BLOCK1), &b), 0);
    assert_int_equal(b.szx, 4);
    assert_int_equal(b.num, 4);
    hpair_free(h);
}

/* Inject a PUT block directly into the server; return the decoded answer. */
static void put_block(hpair *h, uint16_t mid, uint32_t num, int more, uint8_t szx,
                      size_t payload_len, coapsec_msg *ans, uint8_t *ansbuf) {
    static uint8_t data[1024];
    hreq rq;
    coapsec_msg *m = h_req(&rq, COAPSEC_CON, COAPSEC_PUT, "store", NULL);
    m->mid = mid;
    m->tkl = 1;
    m->token[0] = (uint8_t)mid;
    uint8_t sc[4];
    coapsec_block b = {num, (uint8_t)more, szx};
    uint32_t v;
    assert_int_equal(coapsec_block_encode(&b, &v), 0);
    coapsec_msg_add_uint(m, COAPSEC_OPT_BLOCK1, v, sc);
    m->payload = data;
    m->payload_len = payload_len;
    uint8_t buf[COAPSEC_MAX_PDU];
    size_t n = h_encode(m, buf, sizeof buf);
    int before = h->nlog;
    assert_int_equal(coapsec_coap_recv(h->n[1].ctx, h_peer(h, 1, 0), buf, n, h->net->now), 0);
    h_run(h, h->net->now); /* log the answer */
    assert_int_equal(h->nlog, before + 1);
    memcpy(ansbuf, h->log[before].data, h->log[before].len);
    assert_int_equal(coapsec_msg_decode(ans, ansbuf, h->log[before].len), 0);
}

/* §2.9.2: a block out of sequence gets 4.08 Request Entity Incomplete. */
static void test_408(void **state) {
    hpair *h = setup(7, NULL, 8192);
    coapsec_msg a;
    uint8_t ab[COAPSEC_MAX_PDU];
    put_block(h, 100, 2, 1, 6, 1024, &a, ab); /* no block 0 before */
    assert_int_equal(a.code, COAPSEC_REQUEST_ENTITY_INCOMPLETE);
    put_block(h, 101, 0, 1, 6, 1024, &a, ab);
    assert_int_equal(a.code, COAPSEC_CONTINUE);
    put_block(h, 102, 2, 1, 6, 1024, &a, ab); /* block 1 skipped */
    assert_int_equal(a.code, COAPSEC_REQUEST_ENTITY_INCOMPLETE);
    put_block(h, 103, 1, 0, 6, 10, &a, ab); /* the transfer was dropped */
    assert_int_equal(a.code, COAPSEC_REQUEST_ENTITY_INCOMPLETE);
    assert_int_equal(g_put_calls, 0);
    /* an intermediate block must be full size (§2.3) */
    put_block(h, 104, 0, 1, 6, 1000, &a, ab);
    assert_int_equal(a.code, COAPSEC_BAD_REQUEST);
    hpair_free(h);
}

/* §2.9.3: a body larger than the buffer gets 4.13 with Size1 = the maximum,
 * both when announced by Size1 and when the blocks run over. */
static void test_413(void **state) {
    hpair *h = setup(8, NULL, 2048);
    static uint8_t body[4096];
    hreq rq;
    coapsec_msg *m = h_req(&rq, COAPSEC_CON, COAPSEC_PUT, "store", NULL);
    m->payload = body;
    m->payload_len = sizeof body;
    bres res = {0};
    assert_true(coapsec_coap_request(h->n[0].ctx, h_peer(h, 0, 1), m, b_cb, &res, 0) >= 0);
    h_run(h, COAPSEC_TSTAMP_NONE - 1);
    assert_int_equal(res.calls, 1);
    assert_int_equal(res.code, COAPSEC_REQUEST_ENTITY_TOO_LARGE);
    assert_int_equal(res.size1, 2048);
    assert_int_equal(h->nlog, 2); /* stopped at the first block (Size1 announced 4096) */
    /* without Size1: the third block overflows */
    coapsec_msg a;
    uint8_t ab[COAPSEC_MAX_PDU];
    put_block(h, 200, 0, 1, 6, 1024, &a, ab);
    assert_int_equal(a.code, COAPSEC_CONTINUE);
    put_block(h, 201, 1, 1, 6, 1024, &a, ab);
    assert_int_equal(a.code, COAPSEC_CONTINUE);
    put_block(h, 202, 2, 0, 6, 1, &a, ab);
    assert_int_equal(a.code, COAPSEC_REQUEST_ENTITY_TOO_LARGE);
    uint32_t s1 = 0;
    assert_int_equal(coapsec_opt_uint(coapsec_msg_find(&a, COAPSEC_OPT_SIZE1), &s1), 0);
    assert_int_equal(s1, 2048);
    assert_int_equal(g_put_calls, 0);
    hpair_free(h);
}

/* Block2 response larger than the reassembly buffer fails with NOBUF; without a
 * buffer the first block is delivered as it is (Block2 M=1). */
static void test_block2_limits(void **state) {
    hpair *h = setup(9, NULL, 0);
    g_store_len = 5000;
    fill(g_store, g_store_len, 9);
    static uint8_t small[2048];
    hreq rq;
    bres res = {0};
    coapsec_coap_xfer x = {-1, small, sizeof small, 0};
    assert_true(coapsec_coap_request_ex(h->n[0].ctx, h_peer(h, 0, 1),
                                        h_req(&rq, COAPSEC_CON, COAPSEC_GET, "store", NULL), &x,
                                        b_cb, &res, 0) >= 0);
    h_run(h, COAPSEC_TSTAMP_NONE - 1);
    assert_int_equal(res.calls, 1);
    assert_int_equal(res.status, COAPSEC_ERR_NOBUF);
    bres r2 = {0};
    assert_true(coapsec_coap_request(h->n[0].ctx, h_peer(h, 0, 1),
                                     h_req(&rq, COAPSEC_CON, COAPSEC_GET, "store", NULL), b_cb, &r2,
                                     h->net->now) >= 0);
    h_run(h, COAPSEC_TSTAMP_NONE - 1);
    assert_int_equal(r2.calls, 1);
    assert_int_equal(r2.len, 1024);
    assert_true(r2.has_block2);
    hpair_free(h);
}

/* §2.4 with a later first block (libcoap -b NUM,SIZE): the chain starts at block
 * NUM of the asked size, later blocks are numbered from that offset, and the body
 * holds the resource from NUM * size on. A start past the end is answered 4.02
 * and delivered as is. */
static void test_start_block(void **state) {
    static uint8_t out[3000];
    hpair *h = setup(77, NULL, 0);
    g_store_len = 3000;
    fill(g_store, g_store_len, 77);
    hreq rq;
    bres res = {0};
    coapsec_coap_xfer x = {2, out, sizeof out, 5}; /* 64-byte blocks from block 5 (offset 320) */
    assert_true(coapsec_coap_request_ex(h->n[0].ctx, h_peer(h, 0, 1),
                                        h_req(&rq, COAPSEC_CON, COAPSEC_GET, "store", NULL), &x,
                                        b_cb, &res, 0) >= 0);
    h_run(h, COAPSEC_TSTAMP_NONE - 1);
    assert_int_equal(res.calls, 1);
    assert_int_equal(res.status, 0);
    assert_int_equal(res.code, COAPSEC_CONTENT);
    assert_int_equal(res.len, 3000 - 320);
    assert_memory_equal(out, g_store + 320, 3000 - 320);
    assert_int_equal(g_get_calls, (3000 - 320 + 63) / 64);
    coapsec_msg q;
    coapsec_block b;
    h_log_msg(h, 0, &q);
    assert_int_equal(coapsec_block_decode(coapsec_msg_find(&q, COAPSEC_OPT_BLOCK2), &b), 0);
    assert_int_equal(b.num, 5);
    assert_int_equal(b.szx, 2);
    h_log_msg(h, 2, &q);
    assert_int_equal(coapsec_block_decode(coapsec_msg_find(&q, COAPSEC_OPT_BLOCK2), &b), 0);
    assert_int_equal(b.num, 6);

    bres past = {0};
    coapsec_coap_xfer y = {2, out, sizeof out, 100}; /* offset 6400 > 3000 */
    assert_true(coapsec_coap_request_ex(h->n[0].ctx, h_peer(h, 0, 1),
                                        h_req(&rq, COAPSEC_CON, COAPSEC_GET, "store", NULL), &y,
                                        b_cb, &past, h->net->now) >= 0);
    h_run(h, COAPSEC_TSTAMP_NONE - 1);
    assert_int_equal(past.calls, 1);
    assert_int_equal(past.status, 0);
    assert_int_equal(past.code, COAPSEC_BAD_OPTION);
    coapsec_coap_xfer z = {2, out, sizeof out, 1u << 20};
    assert_int_equal(coapsec_coap_request_ex(h->n[0].ctx, h_peer(h, 0, 1),
                                             h_req(&rq, COAPSEC_CON, COAPSEC_GET, "store", NULL),
                                             &z, b_cb, &past, h->net->now),
                     COAPSEC_ERR_INVAL);
    hpair_free(h);
}

/* Transfers are bound to the peer generation: closing it mid-transfer ends the
 * transfer with COAPSEC_ERR_CLOSED and nothing more is sent. */
static void test_generation(void **state) {
    hpair *h = setup(11, NULL, 8192);
    static uint8_t body[5000];
    hreq rq;
    coapsec_msg *m = h_req(&rq, COAPSEC_CON, COAPSEC_PUT, "store", NULL);
    m->payload = body;
    m->payload_len = sizeof body;
    bres res = {0};
    int hd = coapsec_coap_request(h->n[0].ctx, h_peer(h, 0, 1), m, b_cb, &res, 0);
    assert_true(hd >= 0);
    for (int i = 0; i < 4; i++)
        assert_true(simnet_run(h->net, COAPSEC_TSTAMP_NONE - 1, 1) != 0);
    int sent = h->nlog;
    assert_int_equal(coapsec_coap_peer_close(h->n[0].ctx, h_peer(h, 0, 1), h->net->now), 0);
    assert_int_equal(res.calls, 1);
    assert_int_equal(res.status, COAPSEC_ERR_CLOSED);
    h_run(h, COAPSEC_TSTAMP_NONE - 1);
    assert_true(h->nlog <= sent + 1); /* at most the answer already in flight */
    assert_int_equal(g_put_calls, 0);
    /* cancel of a transfer: no callback */
    h->n[0].gen[1] = 2;
    assert_int_equal(coapsec_coap_peer_open(h->n[0].ctx, h_peer(h, 0, 1)), 0);
    bres r2 = {0};
    hd = coapsec_coap_request(h->n[0].ctx, h_peer(h, 0, 1), m, b_cb, &r2, h->net->now);
    assert_true(hd >= 0);
    assert_int_equal(coapsec_coap_cancel(h->n[0].ctx, hd, h->net->now), 0);
    assert_int_equal(coapsec_coap_cancel(h->n[0].ctx, hd, h->net->now), COAPSEC_ERR_NOTFOUND);
    h_run(h, COAPSEC_TSTAMP_NONE - 1);
    assert_int_equal(r2.calls, 0);
    hpair_free(h);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_option_codec),
        cmocka_unit_test(test_szx7_bad_request),
        cmocka_unit_test(test_get_every_szx),
        cmocka_unit_test(test_1mib_clean),
        cmocka_unit_test(test_1mib_loss),
        cmocka_unit_test(test_atomic_block1),
        cmocka_unit_test(test_server_smaller_blocks),
        cmocka_unit_test(test_408),
        cmocka_unit_test(test_413),
        cmocka_unit_test(test_block2_limits),
        cmocka_unit_test(test_start_block),
        cmocka_unit_test(test_generation),
    };
    return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
