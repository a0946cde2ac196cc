/*
 * test_keys.c - the key schedule (src/dtls/keys.c): the PSK premaster secret
 * layout (RFC 4279 §2), the master secret with and without the extended
 * master secret (RFC 5246 §8.1, RFC 7627 §4), the key block split for an AEAD
 * suite (RFC 5246 §6.3: no MAC keys; client key, server key, client IV, server
 * IV; seed = server_random || client_random) and Finished labels (§7.4.9).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dtls/dtls_int.h"

/* RFC 4279 §2: uint16 N, N zero octets, uint16 N, the PSK. */
static void test_premaster(void **state) {
    (void)state;
    uint8_t out[4 + 2 * 64];
    size_t n = cs_psk_premaster((const uint8_t *)"secretPSK", 9, out);
    const uint8_t want[] = {0, 9, 0,   0,   0,   0,   0,   0,   0,   0,   0,
                            0, 9, 's', 'e', 'c', 'r', 'e', 't', 'P', 'S', 'K'};
    assert_int_equal(n, sizeof want);
    assert_memory_equal(out, want, sizeof want);
    uint8_t k64[64];
    memset(k64, 0xee, sizeof k64);
    assert_int_equal(cs_psk_premaster(k64, 64, out), 132);
}

static void rnd(uint8_t *b, size_t n, uint8_t s) {
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(s + i * 3);
}

/* §8.1 / RFC 7627 §4: the two derivations use their own label and seed. */
static void test_master_secret(void **state) {
    (void)state;
    uint8_t cr[32], sr[32], sh[32], pms[22], ms1[48], ms2[48], ref[48], seed[64];
    rnd(cr, 32, 1);
    rnd(sr, 32, 100);
    rnd(sh, 32, 200);
    size_t n = cs_psk_premaster((const uint8_t *)"secretPSK", 9, pms);
    assert_int_equal(cs_master_secret(pms, n, false, cr, sr, sh, ms1), 0);
    memcpy(seed, cr, 32);
    memcpy(seed + 32, sr, 32);
    assert_int_equal(cs_tls12_prf(pms, n, "master secret", seed, 64, ref, 48), 0);
    assert_memory_equal(ms1, ref, 48);
    assert_int_equal(cs_master_secret(pms, n, true, cr, sr, sh, ms2), 0);
    assert_int_equal(cs_tls12_prf(pms, n, "extended master secret", sh, 32, ref, 48), 0);
    assert_memory_equal(ms2, ref, 48);
    assert_memory_not_equal(ms1, ms2, 48);
}

/* §6.3: key_block = PRF(master, "key expansion", server_random || client_random). */
static void test_key_block(void **state) {
    (void)state;
    static coapsec_dtls_hs hs; /* the master secret is in the handshake object */
    coapsec_dtls_conn c;
    memset(&c, 0, sizeof c);
    c.hs = &hs;
    uint8_t cr[32], sr[32], seed[64], kb[40];
    rnd(hs.master, 48, 7);
    rnd(cr, 32, 1);
    rnd(sr, 32, 100);
    assert_int_equal(cs_key_block(&c, cr, sr), 0);
    memcpy(seed, sr, 32);
    memcpy(seed + 32, cr, 32);
    assert_int_equal(cs_tls12_prf(hs.master, 48, "key expansion", seed, 64, kb, 40), 0);
    assert_memory_equal(c.key[0], kb, 16);
    assert_memory_equal(c.key[1], kb + 16, 16);
    assert_memory_equal(c.iv[0], kb + 32, 4);
    assert_memory_equal(c.iv[1], kb + 36, 4);
}

/* §7.4.9: 12 bytes, "client finished" vs "server finished". */
static void test_finished(void **state) {
    (void)state;
    static coapsec_dtls_hs hs;
    coapsec_dtls_conn c;
    memset(&c, 0, sizeof c);
    c.hs = &hs;
    rnd(hs.master, 48, 9);
    uint8_t h[32], a[12], b[12], ref[12];
    rnd(h, 32, 50);
    assert_int_equal(cs_finished(&c, true, h, a), 0);
    assert_int_equal(cs_finished(&c, false, h, b), 0);
    assert_int_equal(cs_tls12_prf(hs.master, 48, "client finished", h, 32, ref, 12), 0);
    assert_memory_equal(a, ref, 12);
    assert_int_equal(cs_tls12_prf(hs.master, 48, "server finished", h, 32, ref, 12), 0);
    assert_memory_equal(b, ref, 12);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_premaster),
        cmocka_unit_test(test_master_secret),
        cmocka_unit_test(test_key_block),
        cmocka_unit_test(test_finished),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
