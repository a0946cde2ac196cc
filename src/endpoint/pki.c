/*
 * endpoint/pki.c - the endpoint's ECDSA credentials for
 * TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8: our identity (key and certificate
 * list), per-destination client identities, X.509 trust anchors, pinned raw
 * public keys (RFC 7250) or a trust callback, the verification flags, and
 * the wall clock the DTLS engine asks for certificate dates (CLOCK_REALTIME
 * is read here, on the I/O side, never in the engine). It also keeps the
 * validated identity of each secure peer slot for coapsec_endpoint_peer_auth():
 * a 4-byte reference per slot (CS_PKI_SLOT_BYTES). A PSK session's record is
 * derived from the PSK identity psk.c keeps (cs_slot_sec.id_ref); any other
 * identity (certificate name, key fingerprint) is interned in a table shared
 * by every slot that refers to it (reference counted, so many sessions of one
 * certificate cost one entry), grown on demand up to one entry per slot.
 */
#define _GNU_SOURCE /* struct mmsghdr in ep_int.h */
#include "endpoint/pki.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "endpoint/ep_int.h"

typedef struct cs_pki_peer {
    uint8_t kind; /* enum coapsec_dtls_peer_auth */
    uint8_t has_fp;
    uint16_t suite;
    char name[COAPSEC_ENDPOINT_PEER_NAME_MAX];
    uint8_t fp[32];
} cs_pki_peer;

typedef cs_pki_peer cs_pki_ient;

typedef struct cs_pki_id {
    uint8_t used;
    char authority[272]; /* client entries: "" = default */
    coapsec_dtls_identity id;
    uint8_t list[COAPSEC_ENDPOINT_CERT_LIST_MAX];
} cs_pki_id;

struct cs_pki {
    cs_pki_id own; /* server identity, and the client default */
    cs_pki_id cid[COAPSEC_ENDPOINT_MAX_CLIENT_ID];
    const coapsec_dtls_trust *trust;
    uint8_t rpk[COAPSEC_ENDPOINT_MAX_RPK_TRUST][32];
    size_t nrpk;
    int (*rpk_verify)(void *user, const uint8_t *spki, size_t len, const uint8_t sha256[32]);
    void *rpk_user;
    uint8_t require_client_auth, verify_name, no_clock, insecure;
    int64_t (*clock)(void *user);
    void *clock_user;
    cs_pki_peer ev; /* from the ESTABLISHED event being handled */
    uint32_t *ref;  /* per slot: CS_PKI_REF_* or CS_PKI_REF_TAB + index into tab */
    uint32_t npeer;
    cs_pki_ient *tab; /* interned identities */
    uint32_t *cnt;    /* references to each tab entry, 0 = free */
    uint32_t ntab, tabcap;
};

_Static_assert(sizeof(cs_pki_ient) + sizeof(uint32_t) == CS_PKI_ENTRY_BYTES, "pki.h figure");

/* cs_pki.ref values */
#define CS_PKI_REF_NONE 0u /* nothing recorded (an all-zero record) */
#define CS_PKI_REF_PSK  1u /* PSK: derived from cs_slot_sec.id_ref */
#define CS_PKI_REF_LOST 2u /* interning failed (out of memory): peer_auth fails closed */
#define CS_PKI_REF_TAB  3u

static int64_t realtime(void *user) {
    (void)user;
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec;
}

int cs_pki_init(coapsec_endpoint *ep) {
    struct cs_pki *k = calloc(1, sizeof *k);
    if (!k)
        return COAPSEC_ERR_NOMEM;
    k->npeer = ep->peers.cap;
    k->ref = calloc(k->npeer ? k->npeer : 1, sizeof *k->ref);
    if (!k->ref) {
        free(k);
        return COAPSEC_ERR_NOMEM;
    }
    k->require_client_auth = 1;
    k->verify_name = 1;
    ep->pki = k;
    cs_pki_refresh(ep);
    return 0;
}

void cs_pki_free(coapsec_endpoint *ep) {
    if (!ep->pki)
        return;
    free(ep->pki->ref);
    free(ep->pki->tab);
    free(ep->pki->cnt);
    free(ep->pki);
    ep->pki = NULL;
}

static int have_psk(const coapsec_endpoint *ep) {
    return ep->npsk > 0 || ep->psk_default_len > 0 || ep->psk_lookup != NULL;
}

void cs_pki_refresh(coapsec_endpoint *ep) {
    struct cs_pki *k = ep->pki;
    coapsec_dtls_config *d = &ep->dcfg;
    if (!k)
        return;
    d->server_identity = k->own.used ? &k->own.id : NULL;
    /* PSK is offered while PSK credentials exist, or when nothing else is
     * configured (unknown identities then get unknown_psk_identity). */
    d->psk_lookup = have_psk(ep) || !k->own.used ? cs_psk_lookup : NULL;
    d->psk_user = ep;
    d->trust = k->trust;
    d->rpk_trust = k->nrpk ? (const uint8_t(*)[32])k->rpk : NULL;
    d->rpk_trust_count = k->nrpk;
    d->rpk_verify = k->rpk_verify;
    d->rpk_user = k->rpk_user;
    d->require_client_auth = k->require_client_auth;
    d->verify_name = k->verify_name;
    d->no_clock = k->no_clock;
    d->wall_clock = k->clock ? k->clock : realtime;
    d->clock_user = k->clock ? k->clock_user : NULL;
    d->insecure_no_verify = k->insecure;
}

static int set_id(cs_pki_id *e, const coapsec_dtls_key *key, const uint8_t *list, size_t len) {
    if (list && len > sizeof e->list)
        return COAPSEC_ERR_NOBUF;
    if (list && (len < 3 || ((size_t)list[0] << 16 | (size_t)list[1] << 8 | list[2]) != len - 3))
        return COAPSEC_ERR_INVAL; /* not a TLS certificate_list */
    memset(&e->id, 0, sizeof e->id);
    e->id.key = key;
    if (list) {
        memcpy(e->list, list, len);
        e->id.cert_list = e->list;
        e->id.cert_list_len = len;
    }
    e->used = 1;
    return 0;
}

int coapsec_endpoint_set_identity(coapsec_endpoint *ep, const coapsec_dtls_key *key,
                                  const uint8_t *cert_list, size_t cert_list_len) {
    if (!ep || !ep->pki)
        return COAPSEC_ERR_INVAL;
    int rc = 0;
    if (!key)
        ep->pki->own.used = 0;
    else
        rc = set_id(&ep->pki->own, key, cert_list, cert_list_len);
    cs_pki_refresh(ep);
    return rc;
}

int coapsec_endpoint_set_client_identity(coapsec_endpoint *ep, const char *authority,
                                         const coapsec_dtls_key *key, const uint8_t *cert_list,
                                         size_t cert_list_len) {
    if (!ep || !ep->pki)
        return COAPSEC_ERR_INVAL;
    const char *a = authority ? authority : "";
    if (strlen(a) >= sizeof ep->pki->cid[0].authority)
        return COAPSEC_ERR_INVAL;
    cs_pki_id *slot = NULL;
    for (size_t i = 0; i < COAPSEC_ENDPOINT_MAX_CLIENT_ID; i++) {
        cs_pki_id *e = &ep->pki->cid[i];
        if (e->used && strcmp(e->authority, a) == 0) {
            slot = e;
            break;
        }
        if (!e->used && !slot)
            slot = e;
    }
    if (!key) {
        if (slot && slot->used && strcmp(slot->authority, a) == 0)
            slot->used = 0;
        return 0;
    }
    if (!slot)
        return COAPSEC_ERR_NOMEM;
    int rc = set_id(slot, key, cert_list, cert_list_len);
    if (rc == 0)
        snprintf(slot->authority, sizeof slot->authority, "%s", a);
    return rc;
}

int coapsec_endpoint_set_trust(coapsec_endpoint *ep, const coapsec_dtls_trust *trust) {
    if (!ep || !ep->pki)
        return COAPSEC_ERR_INVAL;
    ep->pki->trust = trust;
    cs_pki_refresh(ep);
    return 0;
}

int coapsec_endpoint_add_rpk_trust(coapsec_endpoint *ep, const uint8_t sha256[32]) {
    if (!ep || !ep->pki || !sha256)
        return COAPSEC_ERR_INVAL;
    struct cs_pki *k = ep->pki;
    for (size_t i = 0; i < k->nrpk; i++)
        if (memcmp(k->rpk[i], sha256, 32) == 0)
            return 0;
    if (k->nrpk == COAPSEC_ENDPOINT_MAX_RPK_TRUST)
        return COAPSEC_ERR_NOMEM;
    memcpy(k->rpk[k->nrpk++], sha256, 32);
    cs_pki_refresh(ep);
    return 0;
}

void coapsec_endpoint_set_rpk_verify(coapsec_endpoint *ep,
                                     int (*verify)(void *user, const uint8_t *spki, size_t len,
                                                   const uint8_t sha256[32]),
                                     void *user) {
    if (!ep || !ep->pki)
        return;
    ep->pki->rpk_verify = verify;
    ep->pki->rpk_user = user;
    cs_pki_refresh(ep);
}

void coapsec_endpoint_set_require_client_auth(coapsec_endpoint *ep, int on) {
    if (!ep || !ep->pki)
        return;
    ep->pki->require_client_auth = on != 0;
    cs_pki_refresh(ep);
}

void coapsec_endpoint_set_verify_name(coapsec_endpoint *ep, int on) {
    if (!ep || !ep->pki)
        return;
    ep->pki->verify_name = on != 0;
    cs_pki_refresh(ep);
}

void coapsec_endpoint_set_no_clock(coapsec_endpoint *ep, int on) {
    if (!ep || !ep->pki)
        return;
    ep->pki->no_clock = on != 0;
    cs_pki_refresh(ep);
}

void coapsec_endpoint_set_wall_clock(coapsec_endpoint *ep, int64_t (*clock)(void *user),
                                     void *user) {
    if (!ep || !ep->pki)
        return;
    ep->pki->clock = clock;
    ep->pki->clock_user = user;
    cs_pki_refresh(ep);
}

void coapsec_endpoint_set_insecure_no_verify(coapsec_endpoint *ep, int on) {
    if (!ep || !ep->pki)
        return;
    ep->pki->insecure = on != 0;
    if (on)
        cs_ep_log(ep, COAPSEC_LOG_WARN,
                  "INSECURE: peer keys and certificates are not verified (testing only)");
    cs_pki_refresh(ep);
}

/* ---- identities of established sessions ----------------------------------------------- */

static int printable(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i] < 0x20 || p[i] > 0x7e)
            return 0;
    return 1;
}

void cs_pki_event(coapsec_endpoint *ep, const coapsec_dtls_event *ev) {
    struct cs_pki *k = ep->pki;
    if (!k)
        return;
    cs_pki_peer *e = &k->ev;
    memset(e, 0, sizeof *e);
    e->suite = (uint16_t)ev->suite;
    if (ev->suite == COAPSEC_DTLS_PSK_AES_128_CCM_8) {
        e->kind = COAPSEC_DTLS_AUTH_PSK;
        if (ev->psk_id && ev->psk_id_len < sizeof e->name && printable(ev->psk_id, ev->psk_id_len))
            memcpy(e->name, ev->psk_id, ev->psk_id_len);
        return;
    }
    e->kind = (uint8_t)ev->peer_auth;
    if (ev->peer_name)
        snprintf(e->name, sizeof e->name, "%s", ev->peer_name);
    if (ev->peer_key_sha256 && ev->peer_auth != COAPSEC_DTLS_AUTH_NONE) {
        memcpy(e->fp, ev->peer_key_sha256, 32);
        e->has_fp = 1;
    }
}

/* The PSK identity psk.c recorded for slot (NULL, 0 when none). */
static const uint8_t *slot_psk_id(const coapsec_endpoint *ep, uint32_t slot, size_t *n) {
    return cs_psk_id_of(ep, &ep->sec[slot], n);
}

/* The record a PSK session of slot derives from its PSK identity. */
static void psk_record(const coapsec_endpoint *ep, uint32_t slot, cs_pki_peer *e) {
    size_t n;
    const uint8_t *id = slot_psk_id(ep, slot, &n);
    memset(e, 0, sizeof *e);
    e->kind = COAPSEC_DTLS_AUTH_PSK;
    e->suite = COAPSEC_DTLS_PSK_AES_128_CCM_8;
    if (id && n < sizeof e->name && printable(id, n))
        memcpy(e->name, id, n);
}

static void unref(struct cs_pki *k, uint32_t slot) {
    uint32_t r = k->ref[slot];
    k->ref[slot] = CS_PKI_REF_NONE;
    if (r >= CS_PKI_REF_TAB && r - CS_PKI_REF_TAB < k->ntab && k->cnt[r - CS_PKI_REF_TAB])
        k->cnt[r - CS_PKI_REF_TAB]--;
}

/* Index of e in the interned table (added, or shared), or -1 (no memory). */
static int64_t intern(struct cs_pki *k, const cs_pki_peer *e) {
    uint32_t free_i = UINT32_MAX;
    for (uint32_t i = 0; i < k->ntab; i++) {
        if (!k->cnt[i]) {
            if (free_i == UINT32_MAX)
                free_i = i;
        } else if (memcmp(&k->tab[i], e, sizeof *e) == 0) {
            k->cnt[i]++;
            return i;
        }
    }
    if (free_i == UINT32_MAX) {
        if (k->ntab == k->tabcap) {
            /* At most one entry per slot is ever referenced. */
            uint32_t ncap = k->tabcap ? 2 * k->tabcap : 8;
            if (ncap > k->npeer)
                ncap = k->npeer;
            if (ncap <= k->tabcap)
                return -1;
            cs_pki_ient *t = realloc(k->tab, ncap * sizeof *t);
            if (!t)
                return -1;
            k->tab = t;
            uint32_t *c = realloc(k->cnt, ncap * sizeof *c);
            if (!c)
                return -1;
            k->cnt = c;
            k->tabcap = ncap;
        }
        free_i = k->ntab++;
    }
    k->tab[free_i] = *e;
    k->cnt[free_i] = 1;
    return free_i;
}

void cs_pki_remember(coapsec_endpoint *ep, uint32_t slot, unsigned suite) {
    struct cs_pki *k = ep->pki;
    if (!k || slot >= k->npeer)
        return;
    unref(k, slot);
    cs_pki_peer e = k->ev; /* zero padding: memset in cs_pki_event, compared whole in intern() */
    e.suite = (uint16_t)suite;
    memset(&k->ev, 0, sizeof k->ev);
    cs_pki_peer d;
    psk_record(ep, slot, &d);
    cs_pki_peer none;
    memset(&none, 0, sizeof none);
    if (memcmp(&e, &none, sizeof e) == 0)
        return;
    if (memcmp(&e, &d, sizeof e) == 0) {
        k->ref[slot] = CS_PKI_REF_PSK;
        return;
    }
    int64_t i = intern(k, &e);
    k->ref[slot] = i < 0 ? CS_PKI_REF_LOST : CS_PKI_REF_TAB + (uint32_t)i;
}

int coapsec_endpoint_peer_auth(const coapsec_endpoint *ep, coapsec_peer_id peer,
                               coapsec_peer_auth *out) {
    if (!ep || !out || !ep->pki)
        return COAPSEC_ERR_INVAL;
    const cs_peer *p = cs_peers_get(&ep->peers, peer.slot);
    if (!p || p->gen != peer.gen || peer.slot >= ep->pki->npeer)
        return COAPSEC_ERR_NOTFOUND;
    const cs_slot_sec *sec = &ep->sec[peer.slot];
    if (!sec->secure || !sec->coap_open || sec->cur == CS_NONE)
        return COAPSEC_ERR_NOTFOUND;
    const struct cs_pki *k = ep->pki;
    uint32_t r = k->ref[peer.slot];
    cs_pki_peer rec;
    memset(&rec, 0, sizeof rec);
    if (r == CS_PKI_REF_LOST)
        return COAPSEC_ERR_NOMEM;
    if (r == CS_PKI_REF_PSK)
        psk_record(ep, peer.slot, &rec);
    else if (r >= CS_PKI_REF_TAB && r - CS_PKI_REF_TAB < k->ntab)
        rec = k->tab[r - CS_PKI_REF_TAB];
    const cs_pki_peer *e = &rec;
    memset(out, 0, sizeof *out);
    out->kind = e->kind;
    out->suite = e->suite;
    _Static_assert(sizeof out->name == sizeof e->name, "peer name sizes");
    memcpy(out->name, e->name, strnlen(e->name, sizeof e->name - 1)); /* out: zeroed */
    if (e->has_fp) {
        memcpy(out->sha256, e->fp, 32);
        out->has_sha256 = 1;
    }
    return 0;
}

/* ---- client credentials ------------------------------------------------------------------ */

static const cs_pki_id *client_id_for(const struct cs_pki *k, const char *host, uint16_t port) {
    char hp[300], bhp[300];
    snprintf(hp, sizeof hp, "%s:%u", host, (unsigned)port);
    snprintf(bhp, sizeof bhp, "[%s]:%u", host, (unsigned)port);
    const cs_pki_id *byhost = NULL, *def = NULL;
    for (size_t i = 0; i < COAPSEC_ENDPOINT_MAX_CLIENT_ID; i++) {
        const cs_pki_id *e = &k->cid[i];
        if (!e->used)
            continue;
        if (strcmp(e->authority, hp) == 0 || strcmp(e->authority, bhp) == 0)
            return e;
        if (strcmp(e->authority, host) == 0)
            byhost = e;
        else if (e->authority[0] == 0)
            def = e;
    }
    if (byhost)
        return byhost;
    if (def)
        return def;
    return k->own.used ? &k->own : NULL;
}

int cs_pki_client_creds(coapsec_endpoint *ep, const char *host, uint16_t port,
                        const struct cs_cpsk_ent *psk, coapsec_dtls_client_creds *cr) {
    struct cs_pki *k = ep->pki;
    memset(cr, 0, sizeof *cr);
    cs_pki_refresh(ep);
    if (psk) {
        cr->psk_id = psk->psk.id;
        cr->psk_id_len = psk->psk.idlen;
        cr->psk = psk->psk.key;
        cr->psk_len = psk->psk.keylen;
    }
    int ecdhe = k && (k->trust || k->nrpk || k->rpk_verify || k->insecure);
    if (ecdhe) {
        const cs_pki_id *id = client_id_for(k, host, port);
        cr->identity = id ? &id->id : NULL;
        cr->authority = host;
    }
    if (!psk && !ecdhe) {
        snprintf(ep->last_error, sizeof ep->last_error,
                 "no PSK and no trust anchors or raw public keys configured for %s port %u", host,
                 (unsigned)port);
        return COAPSEC_ERR_AUTH;
    }
    return 0;
}
