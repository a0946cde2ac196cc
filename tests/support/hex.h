/*
 * hex.h - hex strings to bytes for the tests' known-answer vectors.
 * Characters other than hex digits (spaces, colons, line breaks) are skipped.
 */
#ifndef COAPSEC_TEST_HEX_H
#define COAPSEC_TEST_HEX_H

#include <stddef.h>
#include <stdint.h>

/** Decode s into out; returns the byte count, or SIZE_MAX when s has an odd
 *  number of hex digits or does not fit in cap bytes. */
size_t th_unhex(const char *s, uint8_t *out, size_t cap);

#ifdef assert_true /* included after <cmocka.h>: a version that fails the test */
static inline size_t unhex(const char *s, uint8_t *out, size_t cap) {
    size_t n = th_unhex(s, out, cap);
    assert_true(n != SIZE_MAX);
    return n;
}
#endif

#endif /* COAPSEC_TEST_HEX_H */
