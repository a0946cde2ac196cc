/*
 * common/lpindex.h - the pieces shared by the hash indexes over entry arrays
 * (the peer table, the session-ID cache, the interned PSK identities): a
 * 64-bit mixer (splitmix64's finaliser) and deletion by backward shift from
 * an open-addressing index whose slots hold entry + 1 (0 = empty), probed
 * linearly, its length a power of two. Lookups stay with each index: they
 * compare keys of their own.
 */
#ifndef COAPSEC_COMMON_LPINDEX_H
#define COAPSEC_COMMON_LPINDEX_H

#include <stddef.h>
#include <stdint.h>

static inline uint64_t cs_mix64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

/* The hash of entry (before masking) as the index's owner computes it. */
typedef size_t (*cs_lp_hash_fn)(const void *owner, uint32_t entry);

/* Empty slot pos of idx (len slots), pulling later members of its probe run
 * back into it so that every remaining entry is still found from its home. */
static inline void cs_lp_del(uint32_t *idx, size_t len, size_t pos, cs_lp_hash_fn hash,
                             const void *owner) {
    size_t mask = len - 1, hole = pos;
    for (size_t j = (hole + 1) & mask; idx[j] != 0; j = (j + 1) & mask) {
        size_t home = hash(owner, idx[j] - 1) & mask;
        if (((j - home) & mask) >= ((j - hole) & mask)) { /* hole is on its probe path */
            idx[hole] = idx[j];
            hole = j;
        }
    }
    idx[hole] = 0;
}

#endif
