/*
 * endpoint/psk.c - the endpoint's pre-shared keys: the server's identity
 * table, default key, identity hint and lookup callback (used by the DTLS
 * engine through cs_psk_lookup), the client's per-destination credentials,
 * and the compact record of an authenticated identity per session.
 */
#define _GNU_SOURCE /* struct mmsghdr in ep_int.h */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/lpindex.h"
#include "crypto/crypto.h"
#include "endpoint/ep_int.h"

static int valid(const uint8_t *id, size_t idlen, const uint8_t *key, size_t keylen) {
    return id && key && idlen >= 1 && idlen <= COAPSEC_DTLS_PSK_ID_MAX && keylen >= 1 &&
           keylen <= COAPSEC_DTLS_PSK_KEY_MAX;
}

static void warn_short(coapsec_endpoint *ep, size_t keylen, const char *what) {
    if (keylen < COAPSEC_ENDPOINT_PSK_MIN_WARN)
        cs_ep_log(ep, COAPSEC_LOG_WARN,
                  "%s PSK is only %zu bytes: TS-0008 wants keys that resist brute-force and "
                  "dictionary attacks (use >= %d random bytes)",
                  what, keylen, COAPSEC_ENDPOINT_PSK_MIN_WARN);
}

static void set_ent(cs_psk_ent *e, const uint8_t *id, size_t idlen, const uint8_t *key,
                    size_t keylen) {
    cs_wipe(e, sizeof *e);
    memcpy(e->id, id, idlen);
    e->idlen = (uint8_t)idlen;
    memcpy(e->key, key, keylen);
    e->keylen = (uint8_t)keylen;
    e->last_slot = CS_NONE;
}

int coapsec_endpoint_add_psk(coapsec_endpoint *ep, const uint8_t *id, size_t idlen,
                             const uint8_t *key, size_t keylen) {
    if (!ep || !valid(id, idlen, key, keylen))
        return COAPSEC_ERR_INVAL;
    size_t i = 0;
    while (i < ep->npsk && !(ep->psk[i].idlen == idlen && memcmp(ep->psk[i].id, id, idlen) == 0))
        i++;
    if (i == ep->npsk) {
        if (ep->npsk == COAPSEC_ENDPOINT_MAX_PSK)
            return COAPSEC_ERR_NOMEM;
        ep->npsk++;
    }
    set_ent(&ep->psk[i], id, idlen, key, keylen);
    warn_short(ep, keylen, "server");
    return 0;
}

int coapsec_endpoint_set_default_psk(coapsec_endpoint *ep, const uint8_t *key, size_t keylen) {
    if (!ep || (key && (keylen == 0 || keylen > COAPSEC_DTLS_PSK_KEY_MAX)))
        return COAPSEC_ERR_INVAL;
    cs_wipe(ep->psk_default, sizeof ep->psk_default);
    ep->psk_default_len = 0;
    if (key) {
        memcpy(ep->psk_default, key, keylen);
        ep->psk_default_len = keylen;
        warn_short(ep, keylen, "default server");
    }
    return 0;
}

int coapsec_endpoint_set_psk_hint(coapsec_endpoint *ep, const uint8_t *hint, size_t len) {
    if (!ep || (len && !hint) || len > sizeof ep->psk_hint)
        return COAPSEC_ERR_INVAL;
    if (len)
        memcpy(ep->psk_hint, hint, len);
    ep->dcfg.psk_hint = len ? ep->psk_hint : NULL;
    ep->dcfg.psk_hint_len = len;
    return 0;
}

void coapsec_endpoint_set_psk_lookup(coapsec_endpoint *ep,
                                     int (*lookup)(void *user, const uint8_t *id, size_t idlen,
                                                   uint8_t *key, size_t *keylen),
                                     void *user) {
    if (!ep)
        return;
    ep->psk_lookup = lookup;
    ep->psk_lookup_user = user;
}

static int find_id(const coapsec_endpoint *ep, const uint8_t *id, size_t idlen) {
    for (size_t i = 0; i < ep->npsk; i++)
        if (ep->psk[i].idlen == idlen && cs_ct_memcmp(ep->psk[i].id, id, idlen) == 0)
            return (int)i;
    return -1;
}

int cs_psk_lookup(void *user, const uint8_t *id, size_t idlen, uint8_t *key, size_t *keylen) {
    coapsec_endpoint *ep = user;
    int i = find_id(ep, id, idlen);
    if (i >= 0) {
        memcpy(key, ep->psk[i].key, ep->psk[i].keylen);
        *keylen = ep->psk[i].keylen;
        return 0;
    }
    /* Identities outside the table are kept inline in the session: bounded. */
    if (idlen > COAPSEC_ENDPOINT_PSK_ID_INLINE)
        return -1;
    if (ep->psk_lookup) {
        size_t kl = 0;
        if (ep->psk_lookup(ep->psk_lookup_user, id, idlen, key, &kl) == 0 && kl >= 1 &&
            kl <= COAPSEC_DTLS_PSK_KEY_MAX) {
            *keylen = kl;
            return 0;
        }
    }
    if (ep->psk_default_len) {
        memcpy(key, ep->psk_default, ep->psk_default_len);
        *keylen = ep->psk_default_len;
        return 0;
    }
    return -1;
}

int coapsec_endpoint_set_client_psk(coapsec_endpoint *ep, const char *authority, const uint8_t *id,
                                    size_t idlen, const uint8_t *key, size_t keylen) {
    if (!ep || !valid(id, idlen, key, keylen))
        return COAPSEC_ERR_INVAL;
    const char *a = authority ? authority : "";
    if (strlen(a) >= sizeof ep->cpsk[0].authority)
        return COAPSEC_ERR_INVAL;
    cs_cpsk_ent *slot = NULL;
    for (size_t i = 0; i < COAPSEC_ENDPOINT_MAX_CLIENT_PSK; i++) {
        cs_cpsk_ent *e = &ep->cpsk[i];
        if (e->used && strcmp(e->authority, a) == 0) {
            slot = e;
            break;
        }
        if (!e->used && !slot)
            slot = e;
    }
    if (!slot)
        return COAPSEC_ERR_NOMEM;
    slot->used = 1;
    snprintf(slot->authority, sizeof slot->authority, "%s", a);
    set_ent(&slot->psk, id, idlen, key, keylen);
    warn_short(ep, keylen, "client");
    return 0;
}

const cs_cpsk_ent *cs_psk_client_for(const coapsec_endpoint *ep, const char *host, uint16_t port) {
    char hp[300], bhp[300];
    snprintf(hp, sizeof hp, "%s:%u", host, (unsigned)port);
    snprintf(bhp, sizeof bhp, "[%s]:%u", host, (unsigned)port);
    const cs_cpsk_ent *byhost = NULL, *def = NULL;
    for (size_t i = 0; i < COAPSEC_ENDPOINT_MAX_CLIENT_PSK; i++) {
        const cs_cpsk_ent *e = &ep->cpsk[i];
        if (!e->used)
            continue;
        if (strcmp(e->authority, hp) == 0 || strcmp(e->authority, bhp) == 0)
            return e;
        if (strcmp(e->authority, host) == 0)
            byhost = e;
        else if (e->authority[0] == 0)
            def = e;
    }
    return byhost ? byhost : def;
}

/* The interned identities: entries that never move (slots refer to them by
 * number), a free list, and a hash index (open addressing, at most half
 * full, backward-shift deletion) so that interning an identity costs the
 * same with a million distinct identities as with one. The hash is keyed
 * with the peer table's random seed. */
static uint32_t pid_hash(const coapsec_endpoint *ep, const uint8_t *id, size_t len) {
    uint64_t h = cs_mix64(ep->peers.seed ^ len);
    for (size_t i = 0; i < len; i += 8) {
        uint64_t w = 0;
        memcpy(&w, id + i, len - i < 8 ? len - i : 8);
        h = cs_mix64(h ^ w);
    }
    return (uint32_t)h;
}

static void pid_idx_add(coapsec_endpoint *ep, uint32_t i) {
    uint32_t mask = ep->npid_idx - 1, h = pid_hash(ep, ep->pid[i].id, ep->pid[i].len) & mask;
    while (ep->pid_idx[h])
        h = (h + 1) & mask;
    ep->pid_idx[h] = i + 1;
}

/* Index slot of the entry in use equal to id, or npid_idx. */
static uint32_t pid_idx_find(const coapsec_endpoint *ep, const uint8_t *id, size_t len) {
    if (!ep->npid_idx)
        return 0;
    uint32_t mask = ep->npid_idx - 1;
    for (uint32_t h = pid_hash(ep, id, len) & mask; ep->pid_idx[h]; h = (h + 1) & mask) {
        const cs_pid_ent *e = &ep->pid[ep->pid_idx[h] - 1];
        if (e->len == len && memcmp(e->id, id, len) == 0)
            return h;
    }
    return ep->npid_idx;
}

static size_t pid_entry_hash(const void *owner, uint32_t i) {
    const coapsec_endpoint *ep = owner;
    return pid_hash(ep, ep->pid[i].id, ep->pid[i].len);
}

static void pid_idx_del(coapsec_endpoint *ep, uint32_t pos) {
    cs_lp_del(ep->pid_idx, ep->npid_idx, pos, pid_entry_hash, ep);
}

/* Grow the pool (doubling, at most one entry per slot) and rebuild the index. */
static int pool_grow(coapsec_endpoint *ep) {
    if (ep->npid == 0)
        ep->pid_free = CS_NONE; /* the endpoint starts zeroed */
    uint32_t n = ep->npid ? 2 * ep->npid : 16;
    if (n > ep->peers.cap + COAPSEC_ENDPOINT_MAX_CLIENT_PSK)
        n = ep->peers.cap + COAPSEC_ENDPOINT_MAX_CLIENT_PSK;
    if (n <= ep->npid)
        return -1;
    uint32_t nidx = 16;
    while (nidx < 2 * n)
        nidx <<= 1;
    uint32_t *idx = calloc(nidx, sizeof *idx);
    cs_pid_ent *g = idx ? realloc(ep->pid, n * sizeof *g) : NULL;
    if (!g) {
        free(idx);
        return -1;
    }
    memset(g + ep->npid, 0, (n - ep->npid) * sizeof *g);
    for (uint32_t i = n; i-- > ep->npid;) { /* new entries onto the free list */
        g[i].next_free = ep->pid_free;
        ep->pid_free = i;
    }
    ep->pid = g;
    ep->npid = n;
    free(ep->pid_idx);
    ep->pid_idx = idx;
    ep->npid_idx = nidx;
    for (uint32_t i = 0; i < n; i++)
        if (g[i].refs)
            pid_idx_add(ep, i);
    return 0;
}

/* Interned identity equal to id (a new reference), growing the pool when
 * needed; -1 when out of memory. */
static int64_t pool_ref(coapsec_endpoint *ep, const uint8_t *id, size_t idlen) {
    uint32_t pos = pid_idx_find(ep, id, idlen);
    if (pos < ep->npid_idx) {
        cs_pid_ent *e = &ep->pid[ep->pid_idx[pos] - 1];
        e->refs++;
        return ep->pid_idx[pos] - 1;
    }
    if ((ep->npid == 0 || ep->pid_free == CS_NONE) && pool_grow(ep) != 0)
        return -1;
    uint32_t i = ep->pid_free;
    cs_pid_ent *e = &ep->pid[i];
    ep->pid_free = e->next_free;
    e->refs = 1;
    e->last_slot = CS_NONE;
    e->last_gen = 0;
    e->len = (uint8_t)idlen;
    memcpy(e->id, id, idlen);
    pid_idx_add(ep, i);
    return i;
}

void cs_psk_forget_id(coapsec_endpoint *ep, cs_slot_sec *sec) {
    if (sec->id_ref >= CS_ID_POOL) {
        uint32_t i = sec->id_ref - CS_ID_POOL;
        if (i < ep->npid && ep->pid[i].refs && --ep->pid[i].refs == 0) {
            uint32_t pos = pid_idx_find(ep, ep->pid[i].id, ep->pid[i].len);
            if (pos < ep->npid_idx)
                pid_idx_del(ep, pos);
            memset(&ep->pid[i], 0, sizeof ep->pid[i]);
            ep->pid[i].next_free = ep->pid_free;
            ep->pid_free = i;
        }
    } else if ((sec->id_ref & CS_ID_CLIENT) && ep->nclient_refs) {
        ep->nclient_refs--;
    }
    sec->id_ref = CS_ID_NONE;
}

void cs_psk_pool_free(coapsec_endpoint *ep) {
    if (ep->pid)
        cs_wipe(ep->pid, sizeof *ep->pid * ep->npid);
    free(ep->pid);
    free(ep->pid_idx);
    ep->pid = NULL;
    ep->pid_idx = NULL;
    ep->npid = ep->npid_idx = 0;
    ep->pid_free = CS_NONE;
}

void cs_psk_remember_id(coapsec_endpoint *ep, cs_slot_sec *sec, const uint8_t *id, size_t idlen,
                        int client_idx) {
    cs_psk_forget_id(ep, sec);
    if (!id || idlen == 0)
        return;
    int i = client_idx < 0 ? find_id(ep, id, idlen) : -1;
    int64_t k = -1;
    if (i >= 0)
        sec->id_ref = (uint32_t)(1 + i) & 0x1FFFFFFFu;
    else if (idlen <= COAPSEC_ENDPOINT_PSK_ID_INLINE && (k = pool_ref(ep, id, idlen)) >= 0)
        sec->id_ref = (uint32_t)(CS_ID_POOL + k) & 0x1FFFFFFFu;
    else if (client_idx >= 0) {
        sec->id_ref = (uint32_t)(CS_ID_CLIENT | (unsigned)client_idx) & 0x1FFFFFFFu;
        ep->nclient_refs++;
    }
}

const uint8_t *cs_psk_id_of(const coapsec_endpoint *ep, const cs_slot_sec *sec, size_t *n) {
    *n = 0;
    if (sec->id_ref == CS_ID_NONE)
        return NULL;
    if (sec->id_ref >= CS_ID_POOL) {
        uint32_t i = sec->id_ref - CS_ID_POOL;
        if (i >= ep->npid)
            return NULL;
        *n = ep->pid[i].len;
        return ep->pid[i].id;
    }
    const cs_psk_ent *e = sec->id_ref & CS_ID_CLIENT ? &ep->cpsk[sec->id_ref & ~CS_ID_CLIENT].psk
                                                     : &ep->psk[sec->id_ref - 1];
    *n = e->idlen;
    return e->id;
}

void cs_psk_refs_of(const coapsec_endpoint *ep, const uint8_t *id, size_t idlen, uint32_t ref[2],
                    uint32_t slot[2], uint32_t gen[2]) {
    for (int k = 0; k < 2; k++) {
        ref[k] = CS_ID_NONE;
        slot[k] = CS_NONE;
        gen[k] = 0;
    }
    int i = find_id(ep, id, idlen);
    if (i >= 0) {
        ref[0] = (uint32_t)(1 + i);
        slot[0] = ep->psk[i].last_slot;
        gen[0] = ep->psk[i].last_gen;
    }
    uint32_t pos = idlen <= COAPSEC_ENDPOINT_PSK_ID_INLINE ? pid_idx_find(ep, id, idlen) : 0;
    if (pos < ep->npid_idx) {
        const cs_pid_ent *e = &ep->pid[ep->pid_idx[pos] - 1];
        ref[1] = CS_ID_POOL + (ep->pid_idx[pos] - 1);
        slot[1] = e->last_slot;
        gen[1] = e->last_gen;
    }
}

void cs_psk_note_established(coapsec_endpoint *ep, const cs_slot_sec *sec, uint32_t slot,
                             uint32_t gen) {
    uint32_t *ls = NULL, *lg = NULL;
    if (sec->id_ref >= CS_ID_POOL) {
        uint32_t i = sec->id_ref - CS_ID_POOL;
        if (i < ep->npid && ep->pid[i].refs) {
            ls = &ep->pid[i].last_slot;
            lg = &ep->pid[i].last_gen;
        }
    } else if (sec->id_ref != CS_ID_NONE && !(sec->id_ref & CS_ID_CLIENT) &&
               (size_t)sec->id_ref - 1 < ep->npsk) {
        ls = &ep->psk[sec->id_ref - 1].last_slot;
        lg = &ep->psk[sec->id_ref - 1].last_gen;
    }
    if (ls) {
        *ls = slot;
        *lg = gen;
    }
}

int coapsec_endpoint_peer_identity(const coapsec_endpoint *ep, coapsec_peer_id peer, uint8_t *buf,
                                   size_t *len) {
    if (!ep || !len)
        return COAPSEC_ERR_INVAL;
    const cs_peer *p = cs_peers_get(&ep->peers, peer.slot);
    if (!p || p->gen != peer.gen)
        return COAPSEC_ERR_NOTFOUND;
    const cs_slot_sec *sec = &ep->sec[peer.slot];
    size_t n;
    if (!sec->secure || sec->id_ref == CS_ID_NONE || !sec->coap_open)
        return COAPSEC_ERR_NOTFOUND;
    const uint8_t *id = cs_psk_id_of(ep, sec, &n);
    if (!id)
        return COAPSEC_ERR_NOTFOUND;
    if (!buf || *len < n) {
        *len = n;
        return COAPSEC_ERR_NOBUF;
    }
    memcpy(buf, id, n);
    *len = n;
    return 0;
}
