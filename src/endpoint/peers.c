/*
 * endpoint/peers.c - the peer table declared in peers.h: open addressing with
 * linear probing (deletion by backward shift, no tombstones), a doubly linked
 * LRU list through the slots and a free list. All memory is allocated in
 * cs_peers_init; lookups, inserts and removals never allocate.
 */
#include "endpoint/peers.h"

#include <stdlib.h>
#include <string.h>

#include "common/lpindex.h"

static uint64_t load64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static uint32_t addr_hash(const cs_peer_table *t, const cs_sockaddr *a) {
    uint64_t h = t->seed;
    if (a->sa.sa_family == AF_INET6) {
        const uint8_t *ip = a->v6.sin6_addr.s6_addr;
        h = cs_mix64(h ^ load64(ip));
        h = cs_mix64(h ^ load64(ip + 8));
        h = cs_mix64(h ^ ((uint64_t)a->v6.sin6_port << 32) ^ a->v6.sin6_scope_id ^ (6ULL << 48));
    } else {
        h = cs_mix64(h ^ ((uint64_t)a->v4.sin_addr.s_addr << 16) ^ a->v4.sin_port ^ (4ULL << 48));
    }
    return (uint32_t)(h ^ (h >> 32));
}

int cs_sockaddr_eq(const cs_sockaddr *a, const cs_sockaddr *b) {
    if (a->sa.sa_family != b->sa.sa_family)
        return 0;
    if (a->sa.sa_family == AF_INET6)
        return a->v6.sin6_port == b->v6.sin6_port && a->v6.sin6_scope_id == b->v6.sin6_scope_id &&
               memcmp(&a->v6.sin6_addr, &b->v6.sin6_addr, sizeof a->v6.sin6_addr) == 0;
    if (a->sa.sa_family == AF_INET)
        return a->v4.sin_port == b->v4.sin_port && a->v4.sin_addr.s_addr == b->v4.sin_addr.s_addr;
    return 0;
}

socklen_t cs_sockaddr_len(const cs_sockaddr *a) {
    return a->sa.sa_family == AF_INET6 ? (socklen_t)sizeof a->v6 : (socklen_t)sizeof a->v4;
}

int cs_peers_init(cs_peer_table *t, uint32_t cap, uint64_t seed) {
    memset(t, 0, sizeof *t);
    if (cap == 0 || cap > (1u << 24))
        return COAPSEC_ERR_INVAL;
    uint32_t hcap = 4;
    while (hcap < 2 * cap)
        hcap <<= 1;
    t->peers = calloc(cap, sizeof *t->peers);
    t->index = calloc(hcap, sizeof *t->index);
    if (!t->peers || !t->index) {
        cs_peers_free(t);
        return COAPSEC_ERR_NOMEM;
    }
    t->cap = cap;
    t->hcap = hcap;
    t->seed = seed;
    t->lru_head = t->lru_tail = CS_PEER_NONE;
    for (uint32_t i = 0; i < cap; i++)
        t->peers[i].lru_next = i + 1 < cap ? i + 1 : CS_PEER_NONE;
    t->free_head = 0;
    return 0;
}

void cs_peers_free(cs_peer_table *t) {
    free(t->peers);
    free(t->index);
    memset(t, 0, sizeof *t);
}

uint32_t cs_peers_find(const cs_peer_table *t, const cs_sockaddr *a) {
    if (!t->index)
        return CS_PEER_NONE;
    uint32_t mask = t->hcap - 1;
    for (uint32_t b = addr_hash(t, a) & mask;; b = (b + 1) & mask) {
        uint32_t v = t->index[b];
        if (v == 0)
            return CS_PEER_NONE;
        if (cs_sockaddr_eq(&t->peers[v - 1].addr, a))
            return v - 1;
    }
}

static void lru_unlink(cs_peer_table *t, uint32_t slot) {
    cs_peer *p = &t->peers[slot];
    if (p->lru_prev != CS_PEER_NONE)
        t->peers[p->lru_prev].lru_next = p->lru_next;
    else
        t->lru_head = p->lru_next;
    if (p->lru_next != CS_PEER_NONE)
        t->peers[p->lru_next].lru_prev = p->lru_prev;
    else
        t->lru_tail = p->lru_prev;
    p->lru_prev = p->lru_next = CS_PEER_NONE;
}

static void lru_push_head(cs_peer_table *t, uint32_t slot) {
    cs_peer *p = &t->peers[slot];
    p->lru_prev = CS_PEER_NONE;
    p->lru_next = t->lru_head;
    if (t->lru_head != CS_PEER_NONE)
        t->peers[t->lru_head].lru_prev = slot;
    else
        t->lru_tail = slot;
    t->lru_head = slot;
}

uint32_t cs_peers_add(cs_peer_table *t, const cs_sockaddr *a, uint8_t sock, coapsec_tstamp now) {
    if (t->free_head == CS_PEER_NONE || !t->index)
        return CS_PEER_NONE;
    if (a->sa.sa_family != AF_INET && a->sa.sa_family != AF_INET6)
        return CS_PEER_NONE;
    uint32_t slot = t->free_head;
    cs_peer *p = &t->peers[slot];
    t->free_head = p->lru_next;

    uint32_t gen = p->gen + 1;
    memset(p, 0, sizeof *p);
    p->gen = gen;
    p->in_use = 1;
    p->sock = sock;
    p->last_rx = now;
    if (a->sa.sa_family == AF_INET6)
        p->addr.v6 = a->v6;
    else
        p->addr.v4 = a->v4;

    uint32_t mask = t->hcap - 1;
    uint32_t b = addr_hash(t, a) & mask;
    while (t->index[b] != 0)
        b = (b + 1) & mask;
    t->index[b] = slot + 1;
    lru_push_head(t, slot);
    t->count++;
    return slot;
}

void cs_peers_touch(cs_peer_table *t, uint32_t slot, coapsec_tstamp now) {
    if (slot >= t->cap || !t->peers[slot].in_use)
        return;
    t->peers[slot].last_rx = now;
    if (t->lru_head == slot)
        return;
    lru_unlink(t, slot);
    lru_push_head(t, slot);
}

uint32_t cs_peers_victim(const cs_peer_table *t, int (*busy)(void *user, uint32_t slot),
                         void *user) {
    for (uint32_t s = t->lru_tail; s != CS_PEER_NONE; s = t->peers[s].lru_prev)
        if (!busy || !busy(user, s))
            return s;
    return CS_PEER_NONE;
}

void cs_peers_bump_gen(cs_peer_table *t, uint32_t slot) {
    if (slot < t->cap && t->peers[slot].in_use)
        t->peers[slot].gen++;
}

static size_t slot_hash(const void *owner, uint32_t slot) {
    const cs_peer_table *t = owner;
    return addr_hash(t, &t->peers[slot].addr);
}

void cs_peers_remove(cs_peer_table *t, uint32_t slot) {
    if (slot >= t->cap || !t->peers[slot].in_use)
        return;
    uint32_t mask = t->hcap - 1;
    uint32_t b = addr_hash(t, &t->peers[slot].addr) & mask;
    while (t->index[b] != slot + 1)
        b = (b + 1) & mask;
    cs_lp_del(t->index, t->hcap, b, slot_hash, t); /* backward shift */

    lru_unlink(t, slot);
    cs_peer *p = &t->peers[slot];
    p->in_use = 0;
    p->gen++;
    p->lru_next = t->free_head;
    t->free_head = slot;
    t->count--;
}

cs_peer *cs_peers_get(const cs_peer_table *t, uint32_t slot) {
    if (!t->peers || slot >= t->cap || !t->peers[slot].in_use)
        return NULL;
    return &t->peers[slot];
}

coapsec_peer_id cs_peers_id(const cs_peer_table *t, uint32_t slot) {
    coapsec_peer_id id = {slot, slot < t->cap ? t->peers[slot].gen : 0};
    return id;
}
