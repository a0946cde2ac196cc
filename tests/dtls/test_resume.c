/*
 * test_resume.c - session resumption in the DTLS engine (src/dtls/resume.c
 * with the hooks in client.c, server.c, conn.c): the abbreviated handshake
 * of RFC 5246 §7.3 by session ID (server cache) and by RFC 5077 ticket, for
 * PSK and ECDHE_ECDSA (RPK and X.509), with the flights counted and the
 * handshake messages on the wire checked (no ClientKeyExchange, no
 * ServerKeyExchange, no Certificate, no CertificateVerify: no key exchange
 * and no signature ran), the PSK lookups counted; RFC 7627 §5.3 EMS rules;
 * expiry; ticket key rotation (previous key accepted, older refused); a
 * removed PSK identity, a changed key, a raw key no longer trusted and an
 * expired certificate cannot resume; the session-ID cache with its hash index
 * against the plain one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dtls/dtls_int.h"
#include "pair.h"
#include "pki.h"

/* What the pair harness does not record. */
static struct {
    coapsec_dtls_session saved; /* the client's session from ESTABLISHED */
    int have_saved;
    int resumed[2];       /* ESTABLISHED with resumed = 1, per node (0 client, 1 server) */
    int hs_types[2][256]; /* epoch-0 handshake messages sent, by type */
    int lookups;          /* server psk_lookup calls */
    int checks;           /* resume_check calls */
    int check_answer;     /* what resume_check answers */
    int64_t server_clock;
} g;

static void ev_hook(void *user, const coapsec_dtls_event *ev) {
    tnode *n = user;
    pair_event(user, ev);
    if (ev->type != COAPSEC_DTLS_EV_ESTABLISHED)
        return;
    if (ev->resumed)
        g.resumed[n->is_server]++;
    if (!n->is_server && ev->session) {
        g.saved = *ev->session;
        g.have_saved = 1;
    }
}

static int counting_lookup(void *user, const uint8_t *id, size_t idlen, uint8_t *key,
                           size_t *keylen) {
    g.lookups++;
    return pair_lookup(user, id, idlen, key, keylen);
}

static int check_cb(void *user, const coapsec_dtls_session_info *si) {
    (void)user;
    (void)si;
    g.checks++;
    return g.check_answer;
}

static int64_t server_clock(void *user) {
    (void)user;
    return g.server_clock;
}

/* Tally the plaintext handshake messages in every datagram sent. */
static size_t tally(tpair *p, tnode *from, uint8_t *d, size_t len, size_t cap) {
    (void)p;
    (void)cap;
    for (size_t pos = 0; pos + CS_REC_HDR <= len;) {
        size_t rl = cs_get16(d + pos + 11);
        if (pos + CS_REC_HDR + rl > len)
            break;
        if (d[pos] == CS_CT_HANDSHAKE && cs_get16(d + pos + 3) == 0 && rl >= CS_HS_HDR &&
            cs_get24(d + pos + CS_REC_HDR + 6) == 0)
            g.hs_types[from->is_server][d[pos + CS_REC_HDR]]++;
        pos += CS_REC_HDR + rl;
    }
    return len;
}

static void reset_counts(tpair *p) {
    memset(g.resumed, 0, sizeof g.resumed);
    memset(g.hs_types, 0, sizeof g.hs_types);
    g.lookups = 0;
    g.checks = 0;
    p->c.sent = p->s.sent = 0;
    p->c.established = p->s.established = p->c.failed = p->s.failed = 0;
}

static void setup(tpair *p, uint64_t seed) {
    memset(&g, 0, sizeof g);
    pair_init(p, seed);
    p->c.cfg.cb.event = ev_hook;
    p->s.cfg.cb.event = ev_hook;
    p->s.cfg.psk_lookup = counting_lookup;
    p->mangle = tally;
}

/* A new connection on the same network and configs: the client offers
 * g.saved (when resume) with the PSK credentials or the pki identity. */
static int restart(tpair *p, int resume, const tpki *k, const char *id, const char *key) {
    reset_counts(p);
    p->s.started = false;
    memset(&p->s.conn, 0, sizeof p->s.conn);
    coapsec_dtls_server_init(&p->s.srv, &p->s.cfg, p->net->now);
    coapsec_dtls_client_creds cr;
    memset(&cr, 0, sizeof cr);
    if (k) {
        cr.identity = &k->cli_id;
        cr.authority = "localhost";
    } else {
        cr.psk_id = (const uint8_t *)id;
        cr.psk_id_len = strlen(id);
        cr.psk = (const uint8_t *)key;
        cr.psk_len = strlen(key);
    }
    cr.resume = resume ? &g.saved : NULL;
    p->c.started = true;
    int rc = coapsec_dtls_client_start_ex(&p->c.conn, &p->c.cfg, &p->c, &p->c.hs, &cr, p->net->now);
    if (rc == 0)
        pair_run(p, p->net->now + 100000);
    return rc;
}

static int restart_psk(tpair *p, int resume) {
    return restart(p, resume, NULL, PAIR_ID, PAIR_KEY);
}

static void both_established(tpair *p) {
    assert_int_equal(p->c.established, 1);
    assert_int_equal(p->s.established, 1);
    assert_int_equal(p->c.failed + p->s.failed, 0);
}

/* Data both ways on the (resumed) session: the keys agree. */
static void data_both_ways(tpair *p) {
    assert_int_equal(coapsec_dtls_conn_send(&p->c.conn, (const uint8_t *)"ping", 4, p->net->now),
                     0);
    pair_run(p, p->net->now + 1000);
    assert_int_equal(p->s.app_len, 4);
    assert_memory_equal(p->s.app, "ping", 4);
    assert_int_equal(coapsec_dtls_conn_send(&p->s.conn, (const uint8_t *)"pong", 4, p->net->now),
                     0);
    pair_run(p, p->net->now + 1000);
    assert_int_equal(p->c.app_len, 4);
    assert_memory_equal(p->c.app, "pong", 4);
}

/* No key exchange and no signature in the abbreviated handshake. */
static void no_key_exchange(void) {
    for (int n = 0; n < 2; n++) {
        assert_int_equal(g.hs_types[n][CS_HT_CLIENT_KEY_EXCHANGE], 0);
        assert_int_equal(g.hs_types[n][CS_HT_SERVER_KEY_EXCHANGE], 0);
        assert_int_equal(g.hs_types[n][CS_HT_CERTIFICATE], 0);
        assert_int_equal(g.hs_types[n][CS_HT_CERTIFICATE_VERIFY], 0);
        assert_int_equal(g.hs_types[n][CS_HT_SERVER_HELLO_DONE], 0);
    }
}

/* RFC 5077 §3.1 (full handshake issuing a ticket) and §3.2 (resumption with
 * it); RFC 5246 §7.3 abbreviated handshake: one server flight, no key
 * exchange, no PSK lookup (identity rechecked through resume_check). */
static void test_ticket_psk(void **state) {
    (void)state;
    tpair p;
    coapsec_dtls_ticket_keys tk;
    setup(&p, 1);
    assert_int_equal(coapsec_dtls_ticket_keys_init(&tk, &p.s.cfg, 0, 0), 0);
    p.s.cfg.tickets = &tk;
    p.s.cfg.resume_check = check_cb;
    assert_int_equal(restart_psk(&p, 0), 0);
    both_established(&p);
    assert_int_equal(g.resumed[0] + g.resumed[1], 0);
    assert_int_equal(g.lookups, 1); /* the full handshake looked the identity up */
    assert_int_equal(g.hs_types[0][CS_HT_CLIENT_KEY_EXCHANGE], 1);
    assert_int_equal(p.s.sent, 2); /* SH..SHD, then NST+CCS+Finished */
    assert_true(g.have_saved);
    assert_true(g.saved.ticket_len > 0);
    assert_int_equal(g.saved.session_id_len, 0); /* no cache: no session ID */
    assert_true(coapsec_dtls_session_resumable(&g.saved, p.net->now));

    assert_int_equal(restart_psk(&p, 1), 0);
    both_established(&p);
    assert_int_equal(g.resumed[0], 1);
    assert_int_equal(g.resumed[1], 1);
    no_key_exchange();
    assert_int_equal(g.lookups, 0);
    assert_int_equal(g.checks, 1);
    /* Flights: the client's ClientHello (twice: cookie) and CCS+Finished; the
     * server's one flight ServerHello NewSessionTicket CCS Finished. */
    assert_int_equal(p.c.sent, 3);
    assert_int_equal(p.s.sent, 1);
    assert_int_equal(g.hs_types[1][CS_HT_SERVER_HELLO], 1);
    assert_int_equal(g.hs_types[1][CS_HT_NEW_SESSION_TICKET], 1);
    assert_string_equal(p.s.psk_id, PAIR_ID); /* the identity comes from the ticket */
    assert_int_equal(p.s.ems, 1);
    data_both_ways(&p);
    /* The renewed ticket resumes again. */
    assert_int_equal(restart_psk(&p, 1), 0);
    assert_int_equal(g.resumed[1], 1);
    data_both_ways(&p);
    pair_free(&p);
}

/* RFC 5246 §7.4.1.3: resumption by session ID from the server's cache; the
 * engine's own identity check (psk_lookup, same key) without resume_check. */
static void test_session_id_psk(void **state) {
    (void)state;
    tpair p;
    coapsec_dtls_session ent[4];
    coapsec_dtls_session_cache sc;
    setup(&p, 2);
    coapsec_dtls_session_cache_init(&sc, ent, 4);
    p.s.cfg.cache = &sc;
    assert_int_equal(restart_psk(&p, 0), 0);
    both_established(&p);
    assert_int_equal(g.saved.session_id_len, 32);
    assert_int_equal(g.saved.ticket_len, 0);
    assert_int_equal(restart_psk(&p, 1), 0);
    both_established(&p);
    assert_int_equal(g.resumed[0] + g.resumed[1], 2);
    no_key_exchange();
    assert_int_equal(g.lookups, 1); /* the revalidation, no key exchange */
    assert_int_equal(p.s.sent, 1);
    data_both_ways(&p);
    /* A cleared cache: full handshake. */
    coapsec_dtls_session_cache_clear(&sc);
    assert_int_equal(restart_psk(&p, 1), 0);
    both_established(&p);
    assert_int_equal(g.resumed[0] + g.resumed[1], 0);
    assert_int_equal(g.hs_types[0][CS_HT_CLIENT_KEY_EXCHANGE], 1);
    pair_free(&p);
}

/* ECDHE_ECDSA (RFC 8422) with raw public keys (RFC 7250): resumption skips
 * Certificate, ServerKeyExchange, ClientKeyExchange and CertificateVerify -
 * no ECDH and no ECDSA ran; the peer's key is still reported. A raw key no
 * longer trusted cannot resume. */
static void test_rpk_resume_and_untrust(void **state) {
    (void)state;
    tpair p;
    tpki k;
    coapsec_dtls_ticket_keys tk;
    pki_init(&k);
    setup(&p, 3);
    pki_config(&k, &p, PKI_RPK);
    assert_int_equal(coapsec_dtls_ticket_keys_init(&tk, &p.s.cfg, 0, 0), 0);
    p.s.cfg.tickets = &tk;
    assert_int_equal(restart(&p, 0, &k, NULL, NULL), 0);
    both_established(&p);
    assert_int_equal(g.hs_types[1][CS_HT_SERVER_KEY_EXCHANGE], 1);
    assert_int_equal(restart(&p, 1, &k, NULL, NULL), 0);
    both_established(&p);
    assert_int_equal(g.resumed[0] + g.resumed[1], 2);
    no_key_exchange();
    assert_int_equal(p.s.peer_auth, COAPSEC_DTLS_AUTH_RPK);
    assert_memory_equal(p.s.peer_fp, k.cli_fp, 32);
    assert_memory_equal(p.c.peer_fp, k.srv_fp, 32);
    data_both_ways(&p);
    /* The server stops trusting the client's key: no resumption, and the
     * full handshake fails on the untrusted key. */
    static const uint8_t other[1][32] = {{1, 2, 3}};
    p.s.cfg.rpk_trust = other;
    assert_int_equal(restart(&p, 1, &k, NULL, NULL), 0);
    assert_int_equal(g.resumed[0] + g.resumed[1], 0);
    assert_int_equal(p.s.established, 0);
    assert_int_equal(p.s.failed, 1);
    pair_free(&p);
    pki_free(&k);
}

/* X.509: resumption by session ID while the client certificate is valid; once
 * the server's clock is past the leaf's notAfter the session cannot resume
 * (and the full handshake refuses the expired certificate). */
static void test_x509_expired_cannot_resume(void **state) {
    (void)state;
    tpair p;
    tpki k;
    coapsec_dtls_session ent[2];
    coapsec_dtls_session_cache sc;
    pki_init(&k);
    setup(&p, 4);
    pki_config(&k, &p, PKI_X509);
    coapsec_dtls_session_cache_init(&sc, ent, 2);
    p.s.cfg.cache = &sc;
    g.server_clock = PKI_NOW;
    p.s.cfg.wall_clock = server_clock;
    assert_int_equal(restart(&p, 0, &k, NULL, NULL), 0);
    both_established(&p);
    assert_int_equal(restart(&p, 1, &k, NULL, NULL), 0);
    both_established(&p);
    assert_int_equal(g.resumed[1], 1);
    no_key_exchange();
    assert_string_equal(p.s.peer_name, "coapsec-client");
    g.server_clock = PKI_NOW + 11 * PKI_YEAR; /* past notAfter (10 years) */
    assert_int_equal(restart(&p, 1, &k, NULL, NULL), 0);
    assert_int_equal(g.resumed[0] + g.resumed[1], 0);
    assert_int_equal(p.s.failed, 1);
    assert_int_equal(p.s.fail_alert, COAPSEC_DTLS_ALERT_CERTIFICATE_EXPIRED);
    pair_free(&p);
    pki_free(&k);
}

/* RFC 7627 §5.3: an EMS session offered without EMS aborts the handshake
 * (handshake_failure); a session without EMS offered with EMS gets a full
 * handshake (and EMS). */
static void test_ems_rules(void **state) {
    (void)state;
    tpair p;
    coapsec_dtls_ticket_keys tk;
    setup(&p, 5);
    assert_int_equal(coapsec_dtls_ticket_keys_init(&tk, &p.s.cfg, 0, 0), 0);
    p.s.cfg.tickets = &tk;
    assert_int_equal(restart_psk(&p, 0), 0);
    assert_int_equal(g.saved.ems, 1);
    /* A client that no longer sends EMS, told its session had none. */
    p.c.cfg.offer_ems = 0;
    g.saved.ems = 0;
    assert_int_equal(restart_psk(&p, 1), 0);
    assert_int_equal(p.s.failed, 1);
    assert_int_equal(p.s.fail_alert, COAPSEC_DTLS_ALERT_HANDSHAKE_FAILURE);
    assert_int_equal(p.c.failed, 1);
    assert_int_equal(g.resumed[0] + g.resumed[1], 0);
    /* The client refuses by itself to offer an EMS session without EMS. */
    g.saved.ems = 1;
    assert_int_equal(restart_psk(&p, 1), 0);
    both_established(&p);
    assert_int_equal(g.resumed[0] + g.resumed[1], 0);
    assert_int_equal(p.c.ems, 0);
    /* That session has no EMS; offered with EMS: full handshake, with EMS. */
    assert_int_equal(g.saved.ems, 0);
    p.c.cfg.offer_ems = 1;
    assert_int_equal(restart_psk(&p, 1), 0);
    both_established(&p);
    assert_int_equal(g.resumed[0] + g.resumed[1], 0);
    assert_int_equal(g.hs_types[0][CS_HT_CLIENT_KEY_EXCHANGE], 1);
    assert_int_equal(p.s.ems, 1);
    pair_free(&p);
}

/* Session lifetime: an expired session is not offered by the client, and a
 * server given an expired ticket anyway does a full handshake. */
static void test_expired_ticket(void **state) {
    (void)state;
    tpair p;
    coapsec_dtls_ticket_keys tk;
    setup(&p, 6);
    assert_int_equal(coapsec_dtls_ticket_keys_init(&tk, &p.s.cfg, 0, 0), 0);
    p.s.cfg.tickets = &tk;
    p.s.cfg.session_lifetime_ms = 5000; /* ticket_lifetime_hint: 5 s */
    assert_int_equal(restart_psk(&p, 0), 0);
    assert_true(g.saved.ticket_len > 0);
    assert_true(g.saved.expiry <= p.net->now + 5000);
    p.net->now += 6000;
    assert_false(coapsec_dtls_session_resumable(&g.saved, p.net->now));
    g.saved.expiry = COAPSEC_TSTAMP_NONE - 1; /* the client ignores the hint */
    assert_int_equal(restart_psk(&p, 1), 0);
    both_established(&p);
    assert_int_equal(g.resumed[0] + g.resumed[1], 0);
    assert_int_equal(g.hs_types[0][CS_HT_CLIENT_KEY_EXCHANGE], 1);
    pair_free(&p);
}

/* RFC 5077 §5.5 ticket key rotation: a ticket under the previous key is
 * accepted, one under the key before that is refused (full handshake); a
 * ticket with a flipped byte is refused too. */
static void test_ticket_key_rotation(void **state) {
    (void)state;
    tpair p;
    coapsec_dtls_ticket_keys tk;
    setup(&p, 7);
    assert_int_equal(coapsec_dtls_ticket_keys_init(&tk, &p.s.cfg, 0, 0), 0);
    p.s.cfg.tickets = &tk;
    assert_int_equal(restart_psk(&p, 0), 0);
    coapsec_dtls_session old = g.saved;
    assert_int_equal(coapsec_dtls_ticket_keys_rotate(&tk, &p.s.cfg, p.net->now), 0);
    assert_int_equal(restart_psk(&p, 1), 0); /* previous key: accepted */
    assert_int_equal(g.resumed[1], 1);
    assert_int_equal(coapsec_dtls_ticket_keys_rotate(&tk, &p.s.cfg, p.net->now), 0);
    g.saved = old; /* sealed two keys ago */
    assert_int_equal(restart_psk(&p, 1), 0);
    both_established(&p);
    assert_int_equal(g.resumed[0] + g.resumed[1], 0);
    /* The fresh ticket (current key), one byte changed: refused. */
    g.saved.ticket[40] ^= 1;
    assert_int_equal(restart_psk(&p, 1), 0);
    both_established(&p);
    assert_int_equal(g.resumed[0] + g.resumed[1], 0);
    /* Automatic rotation: after rotate_ms the next ticket uses a new key. */
    tk.rotate_ms = 1000;
    uint8_t name[16];
    memcpy(name, tk.name[0], 16);
    p.net->now += 2000;
    assert_int_equal(restart_psk(&p, 0), 0);
    assert_memory_not_equal(tk.name[0], name, 16);
    assert_memory_equal(tk.name[1], name, 16);
    pair_free(&p);
}

/* A removed PSK identity cannot resume (nor handshake); a changed key for
 * the same identity cannot resume; resume_check refusing means a full
 * handshake. */
static void test_removed_identity(void **state) {
    (void)state;
    tpair p;
    coapsec_dtls_ticket_keys tk;
    setup(&p, 8);
    assert_int_equal(coapsec_dtls_ticket_keys_init(&tk, &p.s.cfg, 0, 0), 0);
    p.s.cfg.tickets = &tk;
    assert_int_equal(restart_psk(&p, 0), 0);
    coapsec_dtls_session first = g.saved;
    p.known_id = "someone_else"; /* the identity is removed */
    assert_int_equal(restart_psk(&p, 1), 0);
    assert_int_equal(g.resumed[0] + g.resumed[1], 0);
    assert_int_equal(p.s.failed, 1);
    assert_int_equal(p.s.fail_alert, COAPSEC_DTLS_ALERT_UNKNOWN_PSK_IDENTITY);
    /* Back, with another key: the ticket's key check no longer matches. */
    p.known_id = PAIR_ID;
    p.server_key = (const uint8_t *)"otherKey!";
    g.saved = first;
    assert_int_equal(restart_psk(&p, 1), 0);
    assert_int_equal(g.resumed[0] + g.resumed[1], 0);
    assert_int_equal(p.s.established, 0);
    /* The right key again, but the application's check says no. */
    p.server_key = (const uint8_t *)PAIR_KEY;
    p.s.cfg.resume_check = check_cb;
    g.check_answer = -1;
    g.saved = first;
    assert_int_equal(restart_psk(&p, 1), 0);
    both_established(&p);
    assert_int_equal(g.checks, 1);
    assert_int_equal(g.resumed[0] + g.resumed[1], 0);
    pair_free(&p);
}

/* The ticket format fails closed: truncated, over-long, wrong key name. */
static void test_ticket_open_rejects(void **state) {
    (void)state;
    coapsec_dtls_config cfg;
    coapsec_dtls_config_default(&cfg);
    coapsec_dtls_ticket_keys tk;
    assert_int_equal(coapsec_dtls_ticket_keys_init(&tk, &cfg, 0, 0), 0);
    coapsec_dtls_session s, o;
    memset(&s, 0, sizeof s);
    s.suite = COAPSEC_DTLS_PSK_AES_128_CCM_8;
    s.ems = 1;
    s.peer_auth = COAPSEC_DTLS_AUTH_PSK;
    s.expiry = 12345;
    s.id_len = 5;
    memcpy(s.id, "alice", 5);
    memset(s.master, 0x5a, 48);
    uint8_t t[COAPSEC_DTLS_TICKET_MAX];
    size_t tl = 0;
    assert_int_equal(cs_ticket_seal(&tk, &cfg, &s, t, sizeof t, &tl, 0), 0);
    assert_int_equal(cs_ticket_open(&tk, t, tl, &o), 0);
    assert_memory_equal(o.master, s.master, 48);
    assert_int_equal(o.expiry, 12345);
    assert_int_equal(o.id_len, 5);
    assert_memory_equal(o.id, "alice", 5);
    for (size_t n = 0; n < tl; n++)
        assert_int_not_equal(cs_ticket_open(&tk, t, n, &o), 0);
    t[0] ^= 0x80;
    assert_int_equal(cs_ticket_open(&tk, t, tl, &o), COAPSEC_ERR_NOTFOUND);
    t[0] ^= 0x80;
    t[tl - 1] ^= 1;
    assert_int_equal(cs_ticket_open(&tk, t, tl, &o), COAPSEC_ERR_DECRYPT);
    assert_int_equal(cs_ticket_seal(&tk, &cfg, &s, t, 50, &tl, 0), COAPSEC_ERR_NOBUF);
}

/* The server's session-ID cache with and without its hash index: the same
 * ring (the oldest entry replaced), so after any sequence of puts and removes
 * both must hold the same sessions. Session IDs share their first 8 bytes
 * in groups (one hash value per group: long probe runs, deletions inside
 * them). Bad index sizes are refused. */
#define SC_CAP 7
static void sid_of(unsigned n, uint8_t sid[32]) {
    memset(sid, 0xA5, 32);
    sid[0] = (uint8_t)(n % 3); /* 3 groups share everything the hash reads */
    sid[31] = (uint8_t)n;      /* 0..39: the ID space is larger than the cache */
}

static void test_session_cache_index(void **state) {
    (void)state;
    static coapsec_dtls_session lin_ent[SC_CAP], idx_ent[SC_CAP];
    uint32_t index[16];
    coapsec_dtls_session_cache lin, idx;
    assert_int_equal(coapsec_dtls_session_cache_index_len(SC_CAP), 16);
    assert_int_equal(coapsec_dtls_session_cache_init_indexed(&idx, idx_ent, SC_CAP, index, 8),
                     COAPSEC_ERR_INVAL); /* too small */
    assert_int_equal(coapsec_dtls_session_cache_init_indexed(&idx, idx_ent, SC_CAP, index, 15),
                     COAPSEC_ERR_INVAL);                       /* not a power of two */
    assert_null(cs_cache_find(&idx, (const uint8_t *)"x", 1)); /* refused: keeps nothing */
    coapsec_dtls_session_cache_init(&lin, lin_ent, SC_CAP);
    assert_int_equal(coapsec_dtls_session_cache_init_indexed(&idx, idx_ent, SC_CAP, index, 16), 0);
    uint32_t rnd = 12345;
    for (int op = 0; op < 4000; op++) {
        rnd = rnd * 1103515245u + 12345u;
        unsigned n = (rnd >> 16) % 40;
        coapsec_dtls_session s;
        memset(&s, 0, sizeof s);
        s.session_id_len = 32;
        sid_of(n, s.session_id);
        s.suite = (uint16_t)op; /* tells a replaced entry from the old one */
        if ((rnd >> 8) % 4 == 0) {
            cs_cache_remove(&lin, s.session_id, 32);
            cs_cache_remove(&idx, s.session_id, 32);
        } else {
            cs_cache_put(&lin, &s);
            cs_cache_put(&idx, &s);
        }
        for (unsigned k = 0; k < 40; k++) {
            uint8_t sid[32];
            sid_of(k, sid);
            const coapsec_dtls_session *a = cs_cache_find(&lin, sid, 32);
            const coapsec_dtls_session *b = cs_cache_find(&idx, sid, 32);
            assert_int_equal(a != NULL, b != NULL);
            if (a)
                assert_int_equal(a->suite, b->suite);
        }
    }
    /* at most half the index in use, and every used slot is a live entry */
    unsigned used = 0;
    for (unsigned i = 0; i < 16; i++)
        if (index[i]) {
            used++;
            assert_int_equal(idx_ent[index[i] - 1].session_id_len, 32);
        }
    assert_true(used <= SC_CAP);
    coapsec_dtls_session_cache_clear(&idx);
    for (unsigned i = 0; i < 16; i++)
        assert_int_equal(index[i], 0);
    uint8_t sid[32];
    sid_of(1, sid);
    assert_null(cs_cache_find(&idx, sid, 32));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ticket_psk),
        cmocka_unit_test(test_session_id_psk),
        cmocka_unit_test(test_session_cache_index),
        cmocka_unit_test(test_rpk_resume_and_untrust),
        cmocka_unit_test(test_x509_expired_cannot_resume),
        cmocka_unit_test(test_ems_rules),
        cmocka_unit_test(test_expired_ticket),
        cmocka_unit_test(test_ticket_key_rotation),
        cmocka_unit_test(test_removed_identity),
        cmocka_unit_test(test_ticket_open_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
