/*
 * dtls/resume.c - session resumption state (RFC 5246 §7.3, RFC 5077): the
 * resumable state of a session (master secret, suite, EMS flag, who the
 * peer is, expiry), RFC 5077 tickets sealed with AES-128-CCM-8 under a
 * rotating ticket key (current and previous accepted, older refused), the
 * server's caller-owned session-ID cache, and the server's decision whether
 * a ClientHello may resume a session: not expired, suite offered, the
 * extended_master_secret rules of RFC 7627 §5.3, and the identity still
 * acceptable (the PSK identity still configured with the same key, the raw
 * key still trusted, the certificate not expired).
 */
#include "common/lpindex.h"
#include "dtls/dtls_int.h"

#define TK_NAME  16
#define TK_NONCE 12
#define TK_FIXED 78 /* plaintext bytes besides the identity */
#define TK_VER   1

static void key_check(const uint8_t *psk, size_t len, uint8_t out[8]) {
    uint8_t h[32];
    cs_sha256(psk, len, h);
    memcpy(out, h, 8);
    cs_wipe(h, sizeof h);
}

void cs_session_from_hs(const coapsec_dtls_conn *c, coapsec_dtls_session *s, coapsec_tstamp now) {
    const coapsec_dtls_hs *hs = c->hs;
    memset(s, 0, sizeof *s);
    uint64_t life = c->cfg->session_lifetime_ms ? c->cfg->session_lifetime_ms
                                                : COAPSEC_DTLS_SESSION_LIFETIME_MS;
    if (c->role == CS_ROLE_CLIENT && hs->ticket_len && hs->ticket_hint_s &&
        (uint64_t)hs->ticket_hint_s * 1000 < life)
        life = (uint64_t)hs->ticket_hint_s * 1000;
    s->expiry = now + life;
    memcpy(s->master, hs->master, sizeof s->master);
    s->suite = c->suite;
    s->ems = (c->flags & CS_F_EMS) != 0;
    if (c->suite == COAPSEC_DTLS_PSK_AES_128_CCM_8) {
        s->peer_auth = COAPSEC_DTLS_AUTH_PSK;
        memcpy(s->id, hs->psk_id, hs->psk_id_len);
        s->id_len = hs->psk_id_len;
        if (hs->psk_len)
            key_check(hs->psk, hs->psk_len, s->key_check);
        else
            memcpy(s->key_check, hs->key_check, sizeof s->key_check);
    } else {
        s->peer_auth = hs->peer_auth;
        if (hs->have_peer_pub) {
            memcpy(s->id, hs->peer_pub, 65);
            size_t nl = hs->peer_auth == COAPSEC_DTLS_AUTH_X509 ? strlen(hs->peer_name) : 0;
            if (nl > sizeof s->id - 65)
                nl = sizeof s->id - 65;
            memcpy(s->id + 65, hs->peer_name, nl);
            s->id_len = (uint8_t)(65 + nl);
        }
        if (hs->peer_auth == COAPSEC_DTLS_AUTH_X509)
            s->cert_not_after = hs->cert_not_after;
    }
    memcpy(s->session_id, hs->session_id, hs->session_id_len);
    s->session_id_len = hs->session_id_len;
    if (c->role == CS_ROLE_CLIENT && hs->ticket_len <= sizeof s->ticket) {
        memcpy(s->ticket, hs->ticket, hs->ticket_len);
        s->ticket_len = hs->ticket_len;
    }
}

int coapsec_dtls_session_resumable(const coapsec_dtls_session *s, coapsec_tstamp now) {
    return s && (s->session_id_len || s->ticket_len) && now < s->expiry;
}

/* ---- tickets ---------------------------------------------------------------------- */

int coapsec_dtls_ticket_keys_rotate(coapsec_dtls_ticket_keys *tk, const coapsec_dtls_config *cfg,
                                    coapsec_tstamp now) {
    if (!tk)
        return COAPSEC_ERR_INVAL;
    uint8_t name[16], key[16];
    if (cs_cfg_random(cfg, name, sizeof name) != 0 || cs_cfg_random(cfg, key, sizeof key) != 0)
        return COAPSEC_ERR_CRYPTO;
    memcpy(tk->name[1], tk->name[0], 16);
    memcpy(tk->key[1], tk->key[0], 16);
    memcpy(tk->name[0], name, 16);
    memcpy(tk->key[0], key, 16);
    cs_wipe(key, sizeof key);
    tk->rotated_at = now;
    tk->have_prev = 1;
    return 0;
}

int coapsec_dtls_ticket_keys_init(coapsec_dtls_ticket_keys *tk, const coapsec_dtls_config *cfg,
                                  uint32_t rotate_ms, coapsec_tstamp now) {
    if (!tk)
        return COAPSEC_ERR_INVAL;
    memset(tk, 0, sizeof *tk);
    tk->rotate_ms = rotate_ms;
    int rc = coapsec_dtls_ticket_keys_rotate(tk, cfg, now);
    tk->have_prev = 0;
    cs_wipe(tk->key[1], 16);
    return rc;
}

int cs_ticket_seal(coapsec_dtls_ticket_keys *tk, const coapsec_dtls_config *cfg,
                   const coapsec_dtls_session *s, uint8_t *out, size_t cap, size_t *len,
                   coapsec_tstamp now) {
    if (tk->rotate_ms && now - tk->rotated_at >= tk->rotate_ms) {
        if (coapsec_dtls_ticket_keys_rotate(tk, cfg, now) != 0)
            return COAPSEC_ERR_CRYPTO;
    }
    size_t ptlen = TK_FIXED + s->id_len;
    size_t total = TK_NAME + TK_NONCE + ptlen + CS_CCM8_TAG_LEN;
    if (total > cap)
        return COAPSEC_ERR_NOBUF;
    uint8_t pt[TK_FIXED + COAPSEC_DTLS_PSK_ID_MAX], *p = pt;
    *p++ = TK_VER;
    cs_put16(p, s->suite);
    p += 2;
    *p++ = s->ems;
    *p++ = s->peer_auth;
    for (int i = 0; i < 8; i++)
        *p++ = (uint8_t)(s->expiry >> (56 - 8 * i));
    for (int i = 0; i < 8; i++)
        *p++ = (uint8_t)((uint64_t)s->cert_not_after >> (56 - 8 * i));
    memcpy(p, s->key_check, 8);
    p += 8;
    memcpy(p, s->master, 48);
    p += 48;
    *p++ = s->id_len;
    memcpy(p, s->id, s->id_len);
    memcpy(out, tk->name[0], TK_NAME);
    if (cs_cfg_nonce(cfg, out + TK_NAME, TK_NONCE) != 0)
        return COAPSEC_ERR_CRYPTO;
    int rc =
        cs_ccm8_seal(tk->key[0], out + TK_NAME, out, TK_NAME, pt, ptlen, out + TK_NAME + TK_NONCE);
    cs_wipe(pt, sizeof pt);
    if (rc != 0)
        return COAPSEC_ERR_CRYPTO;
    *len = total;
    return 0;
}

int cs_ticket_open(const coapsec_dtls_ticket_keys *tk, const uint8_t *t, size_t n,
                   coapsec_dtls_session *s) {
    if (n < TK_NAME + TK_NONCE + TK_FIXED + CS_CCM8_TAG_LEN ||
        n > TK_NAME + TK_NONCE + TK_FIXED + COAPSEC_DTLS_PSK_ID_MAX + CS_CCM8_TAG_LEN)
        return COAPSEC_ERR_FORMAT;
    int k = -1;
    if (cs_ct_memcmp(t, tk->name[0], TK_NAME) == 0)
        k = 0;
    else if (tk->have_prev && cs_ct_memcmp(t, tk->name[1], TK_NAME) == 0)
        k = 1;
    if (k < 0)
        return COAPSEC_ERR_NOTFOUND; /* an older key, or not ours */
    uint8_t pt[TK_FIXED + COAPSEC_DTLS_PSK_ID_MAX];
    size_t ctlen = n - TK_NAME - TK_NONCE;
    if (cs_ccm8_open(tk->key[k], t + TK_NAME, t, TK_NAME, t + TK_NAME + TK_NONCE, ctlen, pt) != 0)
        return COAPSEC_ERR_DECRYPT;
    size_t ptlen = ctlen - CS_CCM8_TAG_LEN;
    const uint8_t *p = pt;
    int rc = COAPSEC_ERR_FORMAT;
    memset(s, 0, sizeof *s);
    if (p[0] != TK_VER || p[TK_FIXED - 1] != ptlen - TK_FIXED)
        goto out;
    p++;
    s->suite = cs_get16(p);
    p += 2;
    s->ems = *p++;
    s->peer_auth = *p++;
    for (int i = 0; i < 8; i++)
        s->expiry = s->expiry << 8 | *p++;
    uint64_t na = 0;
    for (int i = 0; i < 8; i++)
        na = na << 8 | *p++;
    s->cert_not_after = (int64_t)na;
    memcpy(s->key_check, p, 8);
    p += 8;
    memcpy(s->master, p, 48);
    p += 48;
    s->id_len = *p++;
    memcpy(s->id, p, s->id_len);
    rc = 0;
out:
    cs_wipe(pt, sizeof pt);
    return rc;
}

/* ---- session-ID cache ----------------------------------------------------------------- */

/* The entries are a ring (the oldest replaced). The optional index is open
 * addressing with linear probing over entry numbers + 1, at most half full
 * (index_len >= 2 * cap), with deletion by backward shift (no tombstones).
 * Session IDs are the server's random bytes, so their first bytes hash them
 * well; a peer that offers made-up IDs only looks them up. */

void coapsec_dtls_session_cache_init(coapsec_dtls_session_cache *sc, coapsec_dtls_session *ent,
                                     size_t cap) {
    sc->ent = ent;
    sc->cap = ent ? cap : 0;
    sc->next = 0;
    sc->index = NULL;
    sc->index_len = 0;
    coapsec_dtls_session_cache_clear(sc);
}

size_t coapsec_dtls_session_cache_index_len(size_t cap) {
    size_t n = 2;
    while (n < 2 * cap && n < ((size_t)1 << 62))
        n <<= 1;
    return n;
}

int coapsec_dtls_session_cache_init_indexed(coapsec_dtls_session_cache *sc,
                                            coapsec_dtls_session *ent, size_t cap, uint32_t *index,
                                            size_t index_len) {
    coapsec_dtls_session_cache_init(sc, NULL, 0);
    if (!ent || !index || cap >= ((size_t)1 << 31) ||
        index_len < coapsec_dtls_session_cache_index_len(cap) || (index_len & (index_len - 1)))
        return COAPSEC_ERR_INVAL;
    sc->ent = ent;
    sc->cap = cap;
    sc->index = index;
    sc->index_len = index_len;
    coapsec_dtls_session_cache_clear(sc);
    return 0;
}

void coapsec_dtls_session_cache_clear(coapsec_dtls_session_cache *sc) {
    if (sc && sc->ent)
        cs_wipe(sc->ent, sizeof *sc->ent * sc->cap);
    if (sc && sc->index)
        memset(sc->index, 0, sizeof *sc->index * sc->index_len);
    if (sc)
        sc->next = 0;
}

static size_t sid_hash(const uint8_t *sid, size_t len) {
    uint64_t x = len;
    for (size_t i = 0; i < len && i < 8; i++)
        x = x << 8 ^ sid[i];
    return (size_t)cs_mix64(x);
}

static size_t entry_hash(const void *owner, uint32_t ei) {
    const coapsec_dtls_session *e = &((const coapsec_dtls_session_cache *)owner)->ent[ei];
    return sid_hash(e->session_id, e->session_id_len);
}

static bool sid_is(const coapsec_dtls_session *e, const uint8_t *sid, size_t len) {
    return e->session_id_len == len && !memcmp(e->session_id, sid, len);
}

/* Index slot holding the entry with this session ID, or index_len if none. */
static size_t index_pos(const coapsec_dtls_session_cache *sc, const uint8_t *sid, size_t len) {
    size_t mask = sc->index_len - 1;
    for (size_t h = sid_hash(sid, len) & mask;; h = (h + 1) & mask) {
        uint32_t v = sc->index[h];
        if (v == 0)
            return sc->index_len;
        if (sid_is(&sc->ent[v - 1], sid, len))
            return h;
    }
}

static void index_add(coapsec_dtls_session_cache *sc, size_t ei) {
    const coapsec_dtls_session *e = &sc->ent[ei];
    size_t mask = sc->index_len - 1, h = sid_hash(e->session_id, e->session_id_len) & mask;
    while (sc->index[h] != 0)
        h = (h + 1) & mask;
    sc->index[h] = (uint32_t)(ei + 1);
}

static void index_del(coapsec_dtls_session_cache *sc, size_t pos) {
    cs_lp_del(sc->index, sc->index_len, pos, entry_hash, sc);
}

void cs_cache_put(coapsec_dtls_session_cache *sc, const coapsec_dtls_session *s) {
    if (!sc->cap || s->session_id_len == 0 || s->session_id_len > 32)
        return;
    coapsec_dtls_session *e =
        (coapsec_dtls_session *)cs_cache_find(sc, s->session_id, s->session_id_len);
    if (e) { /* the same session ID again: replaced in place */
        *e = *s;
        return;
    }
    size_t ei = sc->next;
    sc->next = (sc->next + 1) % sc->cap;
    e = &sc->ent[ei];
    if (sc->index && e->session_id_len) { /* the oldest entry leaves the index */
        size_t pos = index_pos(sc, e->session_id, e->session_id_len);
        if (pos < sc->index_len)
            index_del(sc, pos);
    }
    *e = *s;
    if (sc->index)
        index_add(sc, ei);
}

const coapsec_dtls_session *cs_cache_find(const coapsec_dtls_session_cache *sc, const uint8_t *sid,
                                          size_t len) {
    if (!sc || !sc->cap || len == 0 || len > 32)
        return NULL;
    if (sc->index) {
        size_t pos = index_pos(sc, sid, len);
        return pos < sc->index_len ? &sc->ent[sc->index[pos] - 1] : NULL;
    }
    for (size_t i = 0; i < sc->cap; i++)
        if (sid_is(&sc->ent[i], sid, len))
            return &sc->ent[i];
    return NULL;
}

void cs_cache_remove(coapsec_dtls_session_cache *sc, const uint8_t *sid, size_t len) {
    if (!sc || !sc->cap || len == 0 || len > 32)
        return;
    coapsec_dtls_session *e;
    if (sc->index) {
        size_t pos = index_pos(sc, sid, len);
        if (pos == sc->index_len)
            return;
        e = &sc->ent[sc->index[pos] - 1];
        index_del(sc, pos);
    } else {
        e = (coapsec_dtls_session *)cs_cache_find(sc, sid, len);
        if (!e)
            return;
    }
    cs_wipe(e, sizeof *e);
}

/* ---- the server's decision -------------------------------------------------------------- */

static bool offered(const cs_client_hello *ch, unsigned suite) {
    for (size_t i = 0; i + 1 < ch->suites_len; i += 2)
        if (cs_get16(ch->suites + i) == suite)
            return true;
    return false;
}

static bool identity_ok(const coapsec_dtls_config *cfg, const coapsec_dtls_session *s,
                        const uint8_t fp[32], const uint8_t *spki, size_t spki_len) {
    if (s->peer_auth == COAPSEC_DTLS_AUTH_PSK) {
        uint8_t key[COAPSEC_DTLS_PSK_KEY_MAX], kc[8];
        size_t keylen = 0;
        if (!cfg->psk_lookup || s->id_len == 0 ||
            cfg->psk_lookup(cfg->psk_user, s->id, s->id_len, key, &keylen) < 0 || keylen == 0 ||
            keylen > sizeof key)
            return false;
        key_check(key, keylen, kc);
        cs_wipe(key, sizeof key);
        return cs_ct_memcmp(kc, s->key_check, sizeof kc) == 0; /* same key as then */
    }
    if (s->peer_auth == COAPSEC_DTLS_AUTH_RPK) {
        for (size_t i = 0; i < cfg->rpk_trust_count; i++)
            if (cs_ct_memcmp(cfg->rpk_trust[i], fp, 32) == 0)
                return true;
        return cfg->rpk_verify && cfg->rpk_verify(cfg->rpk_user, spki, spki_len, fp) == 0;
    }
    if (s->peer_auth == COAPSEC_DTLS_AUTH_X509)
        return cfg->trust != NULL || cfg->insecure_no_verify;
    /* No client authentication then: only while none is required. */
    return s->peer_auth == COAPSEC_DTLS_AUTH_NONE && !cfg->require_client_auth;
}

int cs_resume_check(coapsec_dtls_conn *c, const coapsec_dtls_session *s, const cs_client_hello *ch,
                    const cs_exts *e, coapsec_tstamp now) {
    const coapsec_dtls_config *cfg = c->cfg;
    if (now >= s->expiry || !offered(ch, s->suite))
        return 1;
    if (s->suite == COAPSEC_DTLS_PSK_AES_128_CCM_8
            ? !cfg->psk_lookup
            : !(cfg->server_identity && cfg->server_identity->key))
        return 1;
    /* RFC 7627 §5.3: an EMS session is never resumed without EMS (abort);
     * a session without EMS is not resumed by an EMS ClientHello (full). */
    if (s->ems && !e->ems)
        return COAPSEC_ERR_HANDSHAKE;
    if (!s->ems && e->ems)
        return 1;
    if (s->ems && !cfg->offer_ems)
        return 1;
    /* An expired certificate cannot resume. */
    if (s->peer_auth == COAPSEC_DTLS_AUTH_X509 && !cfg->no_clock &&
        (!cfg->wall_clock || cfg->wall_clock(cfg->clock_user) > s->cert_not_after))
        return 1;
    uint8_t fp[32] = {0}, spki[CS_P256_SPKI_LEN];
    size_t spki_len = 0;
    if (s->peer_auth == COAPSEC_DTLS_AUTH_RPK || s->peer_auth == COAPSEC_DTLS_AUTH_X509) {
        if (s->id_len < 65)
            return 1;
        cs_p256_spki_wrap(s->id, spki); /* checked when the session was made */
        spki_len = sizeof spki;
        cs_spki_fingerprint(spki, spki_len, fp);
    }
    if (cfg->resume_check) {
        coapsec_dtls_session_info si;
        memset(&si, 0, sizeof si);
        si.suite = s->suite;
        si.ems = s->ems;
        si.peer_auth = s->peer_auth;
        if (s->peer_auth == COAPSEC_DTLS_AUTH_PSK) {
            si.psk_id = s->id;
            si.psk_id_len = s->id_len;
        }
        if (spki_len)
            si.peer_key_sha256 = fp;
        si.cert_not_after = s->cert_not_after;
        return cfg->resume_check(cfg->resume_user, &si) == 0 ? 0 : 1;
    }
    return identity_ok(cfg, s, fp, spki, spki_len) ? 0 : 1;
}

void cs_resume_load(coapsec_dtls_conn *c, const coapsec_dtls_session *s) {
    coapsec_dtls_hs *hs = c->hs;
    memcpy(hs->master, s->master, sizeof hs->master);
    c->suite = s->suite;
    hs->ems = s->ems;
    hs->peer_auth = s->peer_auth;
    hs->cert_not_after = s->cert_not_after;
    memcpy(hs->key_check, s->key_check, sizeof hs->key_check);
    if (s->peer_auth == COAPSEC_DTLS_AUTH_PSK) {
        if (c->role == CS_ROLE_SERVER) {
            memcpy(hs->psk_id, s->id, s->id_len);
            hs->psk_id_len = s->id_len;
        }
    } else if (s->id_len >= 65) {
        uint8_t spki[CS_P256_SPKI_LEN];
        memcpy(hs->peer_pub, s->id, 65);
        hs->have_peer_pub = 1;
        cs_p256_spki_wrap(hs->peer_pub, spki); /* checked when the session was made */
        cs_spki_fingerprint(spki, sizeof spki, hs->peer_fp);
        size_t nl = s->id_len - 65u;
        if (nl >= sizeof hs->peer_name)
            nl = sizeof hs->peer_name - 1;
        memcpy(hs->peer_name, s->id + 65, nl);
        hs->peer_name[nl] = 0;
    }
}
