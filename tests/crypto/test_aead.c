/*
 * test_aead.c - known-answer and tamper tests for src/crypto/aead.c:
 * AES-CCM against RFC 3610 §8 packet vectors #1-#3 (M = 8, L = 2) and
 * NIST SP 800-38C Appendix C examples 1-3 (C.3 has the RFC 6655 CCM_8
 * shape: 12-byte nonce, 8-byte tag), authentication failures, in-place
 * operation and per-thread context reuse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hex.h"
#include <pthread.h>

#include "coapsec/common.h"
#include "crypto/crypto.h"

/* Parses hex (spaces allowed) into out; returns the byte count. */

static int all_zero(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0)
            return 0;
    return 1;
}

struct ccm_vec {
    const char *name, *key, *nonce, *aad, *pt, *ct; /* ct includes the tag */
    size_t taglen;
};

/* RFC 3610 §8: the packet's first 8 octets are the cleartext header (AAD). */
static const struct ccm_vec vecs[] = {
    {"RFC 3610 §8 Packet Vector #1", "C0C1C2C3C4C5C6C7C8C9CACBCCCDCECF",
     "00000003020100A0A1A2A3A4A5", "0001020304050607",
     "08090A0B0C0D0E0F101112131415161718191A1B1C1D1E",
     "588C979A61C663D2F066D0C2C0F989806D5F6B61DAC38417E8D12CFDF926E0", 8},
    {"RFC 3610 §8 Packet Vector #2", "C0C1C2C3C4C5C6C7C8C9CACBCCCDCECF",
     "00000004030201A0A1A2A3A4A5", "0001020304050607",
     "08090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
     "72C91A36E135F8CF291CA894085C87E3CC15C439C9E43A3BA091D56E10400916", 8},
    {"RFC 3610 §8 Packet Vector #3", "C0C1C2C3C4C5C6C7C8C9CACBCCCDCECF",
     "00000005040302A0A1A2A3A4A5", "0001020304050607",
     "08090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F20",
     "51B1E5F44A197D1DA46B0F8E2D282AE871E838BB64DA8596574ADAA76FBD9FB0C5", 8},
    {"SP 800-38C C.1", "404142434445464748494a4b4c4d4e4f", "10111213141516", "0001020304050607",
     "20212223", "7162015b4dac255d", 4},
    {"SP 800-38C C.2", "404142434445464748494a4b4c4d4e4f", "1011121314151617",
     "000102030405060708090a0b0c0d0e0f", "202122232425262728292a2b2c2d2e2f",
     "d2a1f0e051ea5f62081a7792073d593d1fc64fbfaccd", 6},
    {"SP 800-38C C.3", "404142434445464748494a4b4c4d4e4f", "101112131415161718191a1b",
     "000102030405060708090a0b0c0d0e0f10111213", "202122232425262728292a2b2c2d2e2f3031323334353637",
     "e3b201a9f5b71a7a9b1ceaeccd97e70b6176aad9a4428aa5484392fbc1b09951", 8},
};

struct parsed {
    uint8_t key[32], nonce[16], aad[64], pt[64], ct[80];
    size_t keylen, noncelen, aadlen, ptlen, ctlen;
};

static void parse(const struct ccm_vec *v, struct parsed *p) {
    p->keylen = unhex(v->key, p->key, sizeof(p->key));
    p->noncelen = unhex(v->nonce, p->nonce, sizeof(p->nonce));
    p->aadlen = unhex(v->aad, p->aad, sizeof(p->aad));
    p->ptlen = unhex(v->pt, p->pt, sizeof(p->pt));
    p->ctlen = unhex(v->ct, p->ct, sizeof(p->ct));
    assert_int_equal(p->ctlen, p->ptlen + v->taglen);
}

/* RFC 3610 §8 / SP 800-38C App. C: seal gives the published ciphertext and
 * tag, open gives back the plaintext; both also in place. */
static void test_ccm_generic_vectors(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
        struct parsed p;
        uint8_t out[96], buf[96];
        parse(&vecs[i], &p);
        print_message("%s\n", vecs[i].name);
        assert_int_equal(cs_ccm_seal_generic(p.key, p.keylen, p.nonce, p.noncelen, vecs[i].taglen,
                                             p.aad, p.aadlen, p.pt, p.ptlen, out),
                         0);
        assert_memory_equal(out, p.ct, p.ctlen);
        memset(out, 0xEE, sizeof(out));
        assert_int_equal(cs_ccm_open_generic(p.key, p.keylen, p.nonce, p.noncelen, vecs[i].taglen,
                                             p.aad, p.aadlen, p.ct, p.ctlen, out),
                         0);
        assert_memory_equal(out, p.pt, p.ptlen);
        /* in place */
        memcpy(buf, p.pt, p.ptlen);
        assert_int_equal(cs_ccm_seal_generic(p.key, p.keylen, p.nonce, p.noncelen, vecs[i].taglen,
                                             p.aad, p.aadlen, buf, p.ptlen, buf),
                         0);
        assert_memory_equal(buf, p.ct, p.ctlen);
        assert_int_equal(cs_ccm_open_generic(p.key, p.keylen, p.nonce, p.noncelen, vecs[i].taglen,
                                             p.aad, p.aadlen, buf, p.ctlen, buf),
                         0);
        assert_memory_equal(buf, p.pt, p.ptlen);
        /* a flipped bit anywhere is caught, whatever the tag length */
        memcpy(buf, p.ct, p.ctlen);
        buf[p.ctlen - 1] ^= 0x80;
        memset(out, 0xEE, sizeof(out));
        assert_int_equal(cs_ccm_open_generic(p.key, p.keylen, p.nonce, p.noncelen, vecs[i].taglen,
                                             p.aad, p.aadlen, buf, p.ctlen, out),
                         COAPSEC_ERR_DECRYPT);
        assert_true(all_zero(out, p.ptlen));
    }
}

/* RFC 6655 §3 (CCM_8 = AES-128, 12-byte nonce, 8-byte tag): SP 800-38C C.3
 * through the fixed-shape entry points, including in place. */
static void test_ccm8_known_answer(void **state) {
    (void)state;
    struct parsed p;
    uint8_t out[80], buf[80];
    parse(&vecs[5], &p);
    assert_int_equal(p.noncelen, CS_CCM_NONCE_LEN);
    assert_int_equal(cs_ccm8_seal(p.key, p.nonce, p.aad, p.aadlen, p.pt, p.ptlen, out), 0);
    assert_memory_equal(out, p.ct, p.ctlen);
    assert_int_equal(cs_ccm8_open(p.key, p.nonce, p.aad, p.aadlen, p.ct, p.ctlen, out), 0);
    assert_memory_equal(out, p.pt, p.ptlen);
    memcpy(buf, p.pt, p.ptlen);
    assert_int_equal(cs_ccm8_seal(p.key, p.nonce, p.aad, p.aadlen, buf, p.ptlen, buf), 0);
    assert_memory_equal(buf, p.ct, p.ctlen);
    assert_int_equal(cs_ccm8_open(p.key, p.nonce, p.aad, p.aadlen, buf, p.ctlen, buf), 0);
    assert_memory_equal(buf, p.pt, p.ptlen);
}

/* RFC 3610 §2.5 / RFC 6655 §3: any change to ciphertext, tag, AAD or nonce
 * fails authentication; the output is zeroed (also in place); a good
 * record still opens after each failure (the reused context is clean). */
static void test_ccm8_tamper(void **state) {
    (void)state;
    struct parsed p;
    uint8_t out[80], buf[80];
    parse(&vecs[5], &p);
    for (size_t i = 0; i < p.ctlen; i++) {
        for (int bit = 0; bit < 8; bit += 7) {
            memcpy(buf, p.ct, p.ctlen);
            buf[i] ^= (uint8_t)(1u << bit);
            memset(out, 0xEE, sizeof(out));
            assert_int_equal(cs_ccm8_open(p.key, p.nonce, p.aad, p.aadlen, buf, p.ctlen, out),
                             COAPSEC_ERR_DECRYPT);
            assert_true(all_zero(out, p.ptlen));
            assert_int_equal(cs_ccm8_open(p.key, p.nonce, p.aad, p.aadlen, buf, p.ctlen, buf),
                             COAPSEC_ERR_DECRYPT);
            assert_true(all_zero(buf, p.ptlen));
            assert_int_equal(cs_ccm8_open(p.key, p.nonce, p.aad, p.aadlen, p.ct, p.ctlen, out), 0);
            assert_memory_equal(out, p.pt, p.ptlen);
        }
    }
    for (size_t i = 0; i < p.aadlen; i++) {
        uint8_t aad[64];
        memcpy(aad, p.aad, p.aadlen);
        aad[i] ^= 1;
        memset(out, 0xEE, sizeof(out));
        assert_int_equal(cs_ccm8_open(p.key, p.nonce, aad, p.aadlen, p.ct, p.ctlen, out),
                         COAPSEC_ERR_DECRYPT);
        assert_true(all_zero(out, p.ptlen));
    }
    /* AAD shortened or dropped */
    assert_int_equal(cs_ccm8_open(p.key, p.nonce, p.aad, p.aadlen - 1, p.ct, p.ctlen, out),
                     COAPSEC_ERR_DECRYPT);
    assert_int_equal(cs_ccm8_open(p.key, p.nonce, NULL, 0, p.ct, p.ctlen, out),
                     COAPSEC_ERR_DECRYPT);
    /* wrong nonce, wrong key */
    uint8_t nonce[12], key[16];
    memcpy(nonce, p.nonce, 12);
    nonce[11] ^= 1;
    assert_int_equal(cs_ccm8_open(p.key, nonce, p.aad, p.aadlen, p.ct, p.ctlen, out),
                     COAPSEC_ERR_DECRYPT);
    memcpy(key, p.key, 16);
    key[0] ^= 1;
    assert_int_equal(cs_ccm8_open(key, p.nonce, p.aad, p.aadlen, p.ct, p.ctlen, out),
                     COAPSEC_ERR_DECRYPT);
    /* truncated: one byte dropped, or shorter than a tag */
    assert_int_equal(cs_ccm8_open(p.key, p.nonce, p.aad, p.aadlen, p.ct, p.ctlen - 1, out),
                     COAPSEC_ERR_DECRYPT);
    assert_int_equal(cs_ccm8_open(p.key, p.nonce, p.aad, p.aadlen, p.ct, 7, out),
                     COAPSEC_ERR_DECRYPT);
    assert_int_equal(cs_ccm8_open(p.key, p.nonce, p.aad, p.aadlen, p.ct, 0, out),
                     COAPSEC_ERR_DECRYPT);
}

/* RFC 6347 §4.1.2: empty records (e.g. an empty application-data record)
 * carry only the 8-byte tag, which still authenticates the AAD. */
static void test_ccm8_empty_plaintext(void **state) {
    (void)state;
    uint8_t key[16], nonce[12], aad[13], tag[8], tag2[8], out[1];
    memset(key, 0x42, sizeof(key));
    memset(nonce, 0x07, sizeof(nonce));
    memset(aad, 0x17, sizeof(aad));
    assert_int_equal(cs_ccm8_seal(key, nonce, aad, sizeof(aad), NULL, 0, tag), 0);
    assert_int_equal(cs_ccm8_open(key, nonce, aad, sizeof(aad), tag, 8, out), 0);
    aad[0] ^= 1;
    assert_int_equal(cs_ccm8_seal(key, nonce, aad, sizeof(aad), NULL, 0, tag2), 0);
    assert_memory_not_equal(tag, tag2, 8);
    assert_int_equal(cs_ccm8_open(key, nonce, aad, sizeof(aad), tag, 8, out), COAPSEC_ERR_DECRYPT);
    aad[0] ^= 1;
    tag[3] ^= 4;
    assert_int_equal(cs_ccm8_open(key, nonce, aad, sizeof(aad), tag, 8, out), COAPSEC_ERR_DECRYPT);
}

/* A full-size record (RFC 6347 §4.1.1: up to 2^14 bytes) round-trips, and
 * the ciphertext differs from the plaintext. */
static void test_ccm8_large_record(void **state) {
    (void)state;
    static uint8_t pt[16384], buf[16384 + 8];
    uint8_t key[16] = {1, 2, 3}, nonce[12] = {9}, aad[13] = {23};
    for (size_t i = 0; i < sizeof(pt); i++)
        pt[i] = (uint8_t)(i * 7);
    memcpy(buf, pt, sizeof(pt));
    assert_int_equal(cs_ccm8_seal(key, nonce, aad, sizeof(aad), buf, sizeof(pt), buf), 0);
    assert_memory_not_equal(buf, pt, sizeof(pt));
    assert_int_equal(cs_ccm8_open(key, nonce, aad, sizeof(aad), buf, sizeof(buf), buf), 0);
    assert_memory_equal(buf, pt, sizeof(pt));
    buf[100] ^= 1;
    assert_int_equal(cs_ccm8_open(key, nonce, aad, sizeof(aad), buf, sizeof(buf), buf),
                     COAPSEC_ERR_DECRYPT);
}

/* RFC 3610 §2: M in {4,6,...,16}, L in {2..8} (nonce 15-L = 7..13 bytes);
 * AES keys of 16/24/32 bytes. Anything else is refused. */
static void test_ccm_bad_parameters(void **state) {
    (void)state;
    uint8_t key[32] = {0}, nonce[14] = {0}, pt[4] = {0}, out[32];
    assert_int_equal(cs_ccm_seal_generic(key, 16, nonce, 6, 8, NULL, 0, pt, 4, out),
                     COAPSEC_ERR_INVAL);
    assert_int_equal(cs_ccm_seal_generic(key, 16, nonce, 14, 8, NULL, 0, pt, 4, out),
                     COAPSEC_ERR_INVAL);
    assert_int_equal(cs_ccm_seal_generic(key, 16, nonce, 12, 5, NULL, 0, pt, 4, out),
                     COAPSEC_ERR_INVAL);
    assert_int_equal(cs_ccm_seal_generic(key, 16, nonce, 12, 2, NULL, 0, pt, 4, out),
                     COAPSEC_ERR_INVAL);
    assert_int_equal(cs_ccm_seal_generic(key, 16, nonce, 12, 18, NULL, 0, pt, 4, out),
                     COAPSEC_ERR_INVAL);
    assert_int_equal(cs_ccm_seal_generic(key, 20, nonce, 12, 8, NULL, 0, pt, 4, out),
                     COAPSEC_ERR_INVAL);
    /* L = 2 (13-byte nonce) cannot encode a 65536-byte message */
    static uint8_t big[65536 + 8];
    assert_int_equal(cs_ccm_seal_generic(key, 16, nonce, 13, 8, NULL, 0, big, 65536, big),
                     COAPSEC_ERR_INVAL);
    assert_int_equal(cs_ccm_seal_generic(key, 16, nonce, 13, 8, NULL, 0, big, 65535, big), 0);
    /* AES-256 works and differs from AES-128 under the same leading key bytes */
    uint8_t o128[12], o256[12];
    assert_int_equal(cs_ccm_seal_generic(key, 16, nonce, 12, 8, NULL, 0, pt, 4, o128), 0);
    assert_int_equal(cs_ccm_seal_generic(key, 32, nonce, 12, 8, NULL, 0, pt, 4, o256), 0);
    assert_memory_not_equal(o128, o256, sizeof(o128));
    assert_int_equal(cs_ccm_open_generic(key, 32, nonce, 12, 8, NULL, 0, o256, 12, out), 0);
    assert_memory_equal(out, pt, 4);
}

struct thread_arg {
    int ok;
};

static void *thread_body(void *argp) {
    struct thread_arg *arg = argp;
    struct parsed p;
    uint8_t out[80];
    parse(&vecs[5], &p);
    arg->ok = 1;
    for (int i = 0; i < 200; i++) {
        if (cs_ccm8_seal(p.key, p.nonce, p.aad, p.aadlen, p.pt, p.ptlen, out) != 0 ||
            memcmp(out, p.ct, p.ctlen) != 0)
            arg->ok = 0;
        out[0] ^= 1;
        if (cs_ccm8_open(p.key, p.nonce, p.aad, p.aadlen, out, p.ctlen, out) != COAPSEC_ERR_DECRYPT)
            arg->ok = 0;
        if (cs_ccm8_open(p.key, p.nonce, p.aad, p.aadlen, p.ct, p.ctlen, out) != 0 ||
            memcmp(out, p.pt, p.ptlen) != 0)
            arg->ok = 0;
    }
    return NULL;
}

/* The per-thread contexts do not interfere (and are freed at thread exit,
 * which the ASan build checks). */
static void test_ccm8_threads(void **state) {
    (void)state;
    pthread_t t[4];
    struct thread_arg a[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, thread_body, &a[i]), 0);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_true(a[i].ok);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ccm_generic_vectors), cmocka_unit_test(test_ccm8_known_answer),
        cmocka_unit_test(test_ccm8_tamper),         cmocka_unit_test(test_ccm8_empty_plaintext),
        cmocka_unit_test(test_ccm8_large_record),   cmocka_unit_test(test_ccm_bad_parameters),
        cmocka_unit_test(test_ccm8_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
