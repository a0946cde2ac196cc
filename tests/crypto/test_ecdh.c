/*
 * test_ecdh.c - src/crypto/ecdh.c: P-256 ECDH against RFC 5903 §8.1,
 * agreement both ways with fresh keys (RFC 8422 §5.10), and rejection of
 * peer points that are off the curve, infinity, compressed or of the wrong
 * length (RFC 8422 §5.11, SEC 1 §3.2.2).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hex.h"

#include "coapsec/common.h"
#include "crypto/crypto.h"

static const char I_PRIV[] = "C88F01F510D9AC3F70A292DAA2316DE544E9AAB8AFE84049C62A9C57862D1433";
static const char I_PUB[] = "04DAD0B65394221CF9B051E1FECA5787D098DFE637FC90B9EF945D0C3772581180"
                            "5271A0461CDB8252D61F1C456FA3E59AB1F45B33ACCF5F58389E0577B8990BB3";
static const char R_PRIV[] = "C6EF9C5D78AE012A011164ACB397CE2088685D8F06BF9BE0B283AB46476BEE53";
static const char R_PUB[] = "04D12DFB5289C8D4F81208B70270398C342296970A0BCCB74C736FC7554494BF63"
                            "56FBF3CA366CC23E8157854C13C58D6AAC23F046ADA30F8353E74F33039872AB";
static const char SHARED[] = "D6840F6B42F6EDAFD13116E0E12565202FEF8E9ECE7DCE03812464D04B9442DE";

/* RFC 5903 §8.1: both sides derive the published x-coordinate. */
static void test_ecdh_rfc5903(void **state) {
    (void)state;
    uint8_t ipriv[32], ipub[65], rpriv[32], rpub[65], want[32], z[32];
    unhex(I_PRIV, ipriv, 32);
    unhex(I_PUB, ipub, 65);
    unhex(R_PRIV, rpriv, 32);
    unhex(R_PUB, rpub, 65);
    unhex(SHARED, want, 32);
    assert_int_equal(cs_ecdh_p256_derive(ipriv, rpub, 65, z), 0);
    assert_memory_equal(z, want, 32);
    assert_int_equal(cs_ecdh_p256_derive(rpriv, ipub, 65, z), 0);
    assert_memory_equal(z, want, 32);
}

/* RFC 8422 §5.10: fresh ephemeral keys agree both ways; keys differ. */
static void test_ecdh_fresh_agreement(void **state) {
    (void)state;
    uint8_t a[32], apub[65], b[32], bpub[65], z1[32], z2[32];
    assert_int_equal(cs_ecdh_p256_keygen(a, apub), 0);
    assert_int_equal(cs_ecdh_p256_keygen(b, bpub), 0);
    assert_int_equal(apub[0], 0x04);
    assert_memory_not_equal(a, b, 32);
    assert_int_equal(cs_ecdh_p256_derive(a, bpub, 65, z1), 0);
    assert_int_equal(cs_ecdh_p256_derive(b, apub, 65, z2), 0);
    assert_memory_equal(z1, z2, 32);
    /* the point handed out is the one for the scalar */
    cs_p256_key *k = NULL;
    uint8_t again[65];
    assert_int_equal(cs_p256_key_from_priv(&k, a), 0);
    assert_int_equal(cs_p256_key_public(k, again), 0);
    assert_memory_equal(again, apub, 65);
    cs_p256_key_free(k);
}

/* RFC 8422 §5.11 / SEC 1 §3.2.2: invalid peer points fail with
 * COAPSEC_ERR_AUTH and a zeroed secret. */
static void test_ecdh_rejects_bad_points(void **state) {
    (void)state;
    uint8_t priv[32], pub[65], bad[66], z[32];
    unhex(I_PRIV, priv, 32);
    unhex(R_PUB, pub, 65);
    /* off the curve: y changed by one bit */
    memcpy(bad, pub, 65);
    bad[64] ^= 1;
    memset(z, 0xEE, 32);
    assert_int_equal(cs_ecdh_p256_derive(priv, bad, 65, z), COAPSEC_ERR_AUTH);
    for (int i = 0; i < 32; i++)
        assert_int_equal(z[i], 0);
    /* infinity: the one-byte encoding, and 04 followed by zeros */
    uint8_t inf = 0x00;
    assert_int_equal(cs_ecdh_p256_derive(priv, &inf, 1, z), COAPSEC_ERR_AUTH);
    memset(bad, 0, sizeof(bad));
    bad[0] = 0x04;
    assert_int_equal(cs_ecdh_p256_derive(priv, bad, 65, z), COAPSEC_ERR_AUTH);
    /* compressed form of a valid point (02/03 || X) */
    memcpy(bad, pub, 33);
    bad[0] = (uint8_t)(0x02 | (pub[64] & 1));
    assert_int_equal(cs_ecdh_p256_derive(priv, bad, 33, z), COAPSEC_ERR_AUTH);
    /* a valid point with the wrong prefix, wrong lengths, NULL */
    memcpy(bad, pub, 65);
    bad[0] = 0x06;
    assert_int_equal(cs_ecdh_p256_derive(priv, bad, 65, z), COAPSEC_ERR_AUTH);
    memcpy(bad, pub, 65);
    bad[65] = 0;
    assert_int_equal(cs_ecdh_p256_derive(priv, bad, 66, z), COAPSEC_ERR_AUTH);
    assert_int_equal(cs_ecdh_p256_derive(priv, pub, 64, z), COAPSEC_ERR_AUTH);
    assert_int_equal(cs_ecdh_p256_derive(priv, NULL, 65, z), COAPSEC_ERR_AUTH);
    /* x >= p: coordinates must be field elements */
    memset(bad + 1, 0xFF, 32);
    assert_int_equal(cs_ecdh_p256_derive(priv, bad, 65, z), COAPSEC_ERR_AUTH);
    /* the good point still works */
    assert_int_equal(cs_ecdh_p256_derive(priv, pub, 65, z), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ecdh_rfc5903),
        cmocka_unit_test(test_ecdh_fresh_agreement),
        cmocka_unit_test(test_ecdh_rejects_bad_points),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
