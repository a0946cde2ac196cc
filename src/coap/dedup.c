/*
 * dedup.c - message deduplication (RFC 7252 §4.5): remembers the (peer,
 * Message ID) of every CON and NON received, for EXCHANGE_LIFETIME and
 * NON_LIFETIME respectively, together with the bytes sent in reply to a CON
 * (ACK, piggybacked response or RST) so a duplicate gets the same answer.
 * Entries live in a ring (oldest reused first) with a hash index.
 */
#include "engine.h"

#include <string.h>

static uint32_t bucket(coapsec_peer_id peer, uint16_t mid) {
    uint8_t k[2] = {(uint8_t)(mid >> 8), (uint8_t)mid};
    return cs_hash(peer, k, 2) & (COAPSEC_COAP_DHASH - 1);
}

static void unlink_entry(coapsec_coap_ctx *ctx, int di) {
    coapsec_coap_dedup_ *d = &ctx->d[di];
    int16_t *pp = &ctx->dhash[bucket(d->peer, d->mid)];
    while (*pp >= 0) {
        if (*pp == di) {
            *pp = d->next;
            break;
        }
        pp = &ctx->d[*pp].next;
    }
    d->used = 0;
    d->next = -1;
}

int cs_dedup_find(coapsec_coap_ctx *ctx, coapsec_peer_id peer, uint16_t mid, coapsec_tstamp now) {
    for (int di = ctx->dhash[bucket(peer, mid)]; di >= 0; di = ctx->d[di].next) {
        const coapsec_coap_dedup_ *d = &ctx->d[di];
        if (d->used && d->mid == mid && coapsec_peer_id_eq(d->peer, peer))
            return d->expires > now ? di : -1;
    }
    return -1;
}

int cs_dedup_add(coapsec_coap_ctx *ctx, coapsec_peer_id peer, uint16_t mid, uint8_t type,
                 coapsec_tstamp now) {
    int di = (int)ctx->dnext;
    ctx->dnext = (ctx->dnext + 1) % COAPSEC_COAP_DEDUP;
    coapsec_coap_dedup_ *d = &ctx->d[di];
    if (d->used) {
        if (d->expires > now)
            ctx->stats.dedup_evictions++;
        unlink_entry(ctx, di);
    }
    /* An expired entry for the same (peer, MID) may still be indexed. */
    for (int16_t *pp = &ctx->dhash[bucket(peer, mid)]; *pp >= 0;) {
        coapsec_coap_dedup_ *o = &ctx->d[*pp];
        if (o->mid == mid && coapsec_peer_id_eq(o->peer, peer)) {
            int16_t nx = o->next;
            o->used = 0;
            o->next = -1;
            *pp = nx;
        } else {
            pp = &o->next;
        }
    }
    d->peer = peer;
    d->mid = mid;
    d->type = type;
    d->used = 1;
    d->len = 0;
    d->expires = now + (type == COAPSEC_CON ? ctx->exchange_lifetime : ctx->non_lifetime);
    uint32_t b = bucket(peer, mid);
    d->next = ctx->dhash[b];
    ctx->dhash[b] = (int16_t)di;
    return di;
}

void cs_dedup_set_reply(coapsec_coap_ctx *ctx, int di, const uint8_t *buf, size_t len) {
    if (di < 0 || len > sizeof(ctx->d[di].reply))
        return;
    memcpy(ctx->d[di].reply, buf, len);
    ctx->d[di].len = (uint16_t)len;
}

void cs_dedup_drop_peer(coapsec_coap_ctx *ctx, coapsec_peer_id peer) {
    for (int di = 0; di < COAPSEC_COAP_DEDUP; di++) {
        if (ctx->d[di].used && coapsec_peer_id_eq(ctx->d[di].peer, peer))
            unlink_entry(ctx, di);
    }
}
