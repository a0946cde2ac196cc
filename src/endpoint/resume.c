/*
 * endpoint/resume.c - DTLS session resumption and heartbeat for the
 * endpoint. Server side: ticket keys (RFC 5077, rotated every
 * CS_RS_ROTATE_MS, the previous key still accepted) and a session-ID cache
 * of resume_entries entries; the engine rechecks a resumed session's
 * identity against the endpoint's current credentials (psk_lookup: the PSK
 * table, default key and lookup callback; rpk_trust/rpk_verify; certificate
 * expiry). Client side: the session of each destination, saved at
 * ESTABLISHED and offered by the next handshake to that address (after a
 * close, an eviction or an idle timeout), least recently used replaced.
 * Memory: allocated once in coapsec_endpoint_new (cs_rs.memory bytes); the
 * per-session coapsec_dtls_conn holds none of it.
 */
#define _GNU_SOURCE /* struct mmsghdr in ep_int.h */
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "endpoint/ep_int.h"

#define CS_RS_DEFAULT   64
#define CS_RS_ROTATE_MS (12u * 3600u * 1000u) /* ticket key: 12 h, previous kept 12 h more */

size_t cs_rs_footprint(const coapsec_endpoint_config *cfg) {
    if (cfg->no_resumption)
        return 0;
    size_t n = cfg->resume_entries ? cfg->resume_entries : CS_RS_DEFAULT;
    return n * (sizeof(coapsec_dtls_session) + sizeof(cs_rs_saved)) +
           coapsec_dtls_session_cache_index_len(n) * sizeof(uint32_t);
}

int cs_rs_init(coapsec_endpoint *ep, const coapsec_endpoint_config *cfg) {
    cs_rs *rs = &ep->rs;
    memset(rs, 0, sizeof *rs);
    if (cfg->dtls_heartbeat_ms) {
        ep->dcfg.heartbeat = COAPSEC_DTLS_HB_ALLOWED;
        ep->dcfg.heartbeat_interval_ms = cfg->dtls_heartbeat_ms;
    }
    if (cfg->no_resumption)
        return 0;
    uint32_t n = cfg->resume_entries ? cfg->resume_entries : CS_RS_DEFAULT;
    if (n > 65536)
        return COAPSEC_ERR_INVAL;
    size_t ilen = coapsec_dtls_session_cache_index_len(n);
    rs->cache_ent = calloc(n, sizeof *rs->cache_ent);
    rs->cache_index = calloc(ilen, sizeof *rs->cache_index);
    rs->saved = calloc(n, sizeof *rs->saved);
    if (!rs->cache_ent || !rs->cache_index || !rs->saved)
        return COAPSEC_ERR_NOMEM;
    rs->nsaved = n;
    rs->memory = cs_rs_footprint(cfg);
    /* indexed: a lookup costs the same whatever resume_entries is */
    int rc = coapsec_dtls_session_cache_init_indexed(&rs->cache, rs->cache_ent, n, rs->cache_index,
                                                     ilen);
    if (rc != 0)
        return rc;
    rc = coapsec_dtls_ticket_keys_init(&rs->tk, &ep->dcfg, CS_RS_ROTATE_MS, ep->now);
    if (rc != 0)
        return rc;
    ep->dcfg.tickets = &rs->tk;
    ep->dcfg.cache = &rs->cache;
    rs->enabled = 1;
    return 0;
}

void cs_rs_free(coapsec_endpoint *ep) {
    cs_rs *rs = &ep->rs;
    if (rs->cache_ent)
        cs_wipe(rs->cache_ent, sizeof *rs->cache_ent * rs->nsaved);
    if (rs->saved)
        cs_wipe(rs->saved, sizeof *rs->saved * rs->nsaved);
    free(rs->cache_ent);
    free(rs->cache_index);
    free(rs->saved);
    cs_wipe(&rs->tk, sizeof rs->tk);
    memset(rs, 0, sizeof *rs);
}

static cs_rs_saved *find(coapsec_endpoint *ep, const cs_sockaddr *dst) {
    cs_rs *rs = &ep->rs;
    for (uint32_t i = 0; i < rs->nsaved; i++)
        if (rs->saved[i].used && cs_sockaddr_eq(&rs->saved[i].dst, dst))
            return &rs->saved[i];
    return NULL;
}

void cs_rs_save(coapsec_endpoint *ep, uint32_t slot, const coapsec_dtls_session *s) {
    cs_rs *rs = &ep->rs;
    const cs_peer *p = cs_peers_get(&ep->peers, slot);
    if (!rs->enabled || !p || !s)
        return;
    cs_rs_saved *e = find(ep, &p->addr);
    for (uint32_t i = 0; !e && i < rs->nsaved; i++)
        if (!rs->saved[i].used)
            e = &rs->saved[i];
    if (!e) { /* full: replace the least recently used */
        e = &rs->saved[0];
        for (uint32_t i = 1; i < rs->nsaved; i++)
            if (rs->saved[i].last_used < e->last_used)
                e = &rs->saved[i];
    }
    e->used = 1;
    e->dst = p->addr;
    e->last_used = ep->now;
    e->sess = *s;
}

const coapsec_dtls_session *cs_rs_find(coapsec_endpoint *ep, const cs_sockaddr *dst) {
    cs_rs_saved *e = ep->rs.enabled ? find(ep, dst) : NULL;
    if (!e)
        return NULL;
    if (!coapsec_dtls_session_resumable(&e->sess, ep->now)) {
        cs_wipe(e, sizeof *e);
        return NULL;
    }
    e->last_used = ep->now;
    return &e->sess;
}

int coapsec_endpoint_forget_sessions(coapsec_endpoint *ep) {
    if (!ep)
        return COAPSEC_ERR_INVAL;
    cs_rs *rs = &ep->rs;
    if (rs->saved)
        cs_wipe(rs->saved, sizeof *rs->saved * rs->nsaved);
    coapsec_dtls_session_cache_clear(&rs->cache);
    return 0;
}
