/*
 * timers.c - the engine's timer queue: a binary min-heap of exchange indices
 * ordered by their expiry, so the next deadline is O(1) and every insert,
 * update or removal O(log n).
 */
#include "engine.h"

static int before(const coapsec_coap_ctx *ctx, int a, int b) {
    return ctx->x[ctx->heap[a]].expiry < ctx->x[ctx->heap[b]].expiry;
}

static void swap(coapsec_coap_ctx *ctx, int a, int b) {
    int16_t t = ctx->heap[a];
    ctx->heap[a] = ctx->heap[b];
    ctx->heap[b] = t;
    ctx->x[ctx->heap[a]].heap_pos = (int16_t)a;
    ctx->x[ctx->heap[b]].heap_pos = (int16_t)b;
}

static void sift_up(coapsec_coap_ctx *ctx, int i) {
    while (i > 0) {
        int parent = (i - 1) / 2;
        if (!before(ctx, i, parent))
            break;
        swap(ctx, i, parent);
        i = parent;
    }
}

static void sift_down(coapsec_coap_ctx *ctx, int i) {
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < ctx->nheap && before(ctx, l, m))
            m = l;
        if (r < ctx->nheap && before(ctx, r, m))
            m = r;
        if (m == i)
            return;
        swap(ctx, i, m);
        i = m;
    }
}

void cs_timer_set(coapsec_coap_ctx *ctx, int xi, coapsec_tstamp t) {
    coapsec_coap_xchg_ *x = &ctx->x[xi];
    x->expiry = t;
    if (x->heap_pos < 0) {
        int i = ctx->nheap++;
        ctx->heap[i] = (int16_t)xi;
        x->heap_pos = (int16_t)i;
        sift_up(ctx, i);
        return;
    }
    sift_up(ctx, x->heap_pos);
    sift_down(ctx, x->heap_pos);
}

void cs_timer_del(coapsec_coap_ctx *ctx, int xi) {
    coapsec_coap_xchg_ *x = &ctx->x[xi];
    int i = x->heap_pos;
    if (i < 0)
        return;
    int last = --ctx->nheap;
    if (i != last) {
        swap(ctx, i, last);
        x->heap_pos = -1;
        sift_up(ctx, i);
        sift_down(ctx, i);
    }
    x->heap_pos = -1;
}

coapsec_tstamp coapsec_coap_expiry(const coapsec_coap_ctx *ctx) {
    return ctx->nheap > 0 ? ctx->x[ctx->heap[0]].expiry : COAPSEC_TSTAMP_NONE;
}

void coapsec_coap_handle_expiry(coapsec_coap_ctx *ctx, coapsec_tstamp now) {
    ctx->rx_now = now;
    while (ctx->nheap > 0 && ctx->x[ctx->heap[0]].expiry <= now) {
        int xi = ctx->heap[0];
        cs_timer_del(ctx, xi);
        cs_x_timer(ctx, xi, now);
    }
}
