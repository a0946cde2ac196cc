/*
 * bench/histogram.c - a log-linear latency histogram (microseconds): exact
 * below 32, then 32 buckets per power of two (about 3 % resolution), so
 * percentiles cost no memory per sample.
 */
#include <string.h>

#include "lg.h"

static unsigned bucket_of(uint64_t v) {
    if (v < LG_HIST_SUB)
        return (unsigned)v;
    unsigned msb = 63u - (unsigned)__builtin_clzll(v); /* >= 5 */
    unsigned shift = msb - 5;                          /* keep the top 6 bits */
    unsigned idx = LG_HIST_SUB * (shift + 1) + (unsigned)((v >> shift) - LG_HIST_SUB);
    return idx < LG_HIST_BUCKETS ? idx : LG_HIST_BUCKETS - 1;
}

static uint64_t bucket_top(unsigned idx) {
    if (idx < LG_HIST_SUB)
        return idx;
    unsigned shift = idx / LG_HIST_SUB - 1;
    uint64_t base = (uint64_t)(LG_HIST_SUB + idx % LG_HIST_SUB) << shift;
    return base + ((uint64_t)1 << shift) - 1;
}

void lg_hist_reset(lg_hist *h) {
    memset(h, 0, sizeof *h);
}

void lg_hist_add(lg_hist *h, uint64_t v) {
    h->b[bucket_of(v)]++;
    h->count++;
    if (v > h->max)
        h->max = v;
}

uint64_t lg_hist_quantile(const lg_hist *h, double q) {
    if (h->count == 0)
        return 0;
    uint64_t want = (uint64_t)(q * (double)h->count);
    if (want >= h->count)
        want = h->count - 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < LG_HIST_BUCKETS; i++) {
        seen += h->b[i];
        if (seen > want) {
            uint64_t top = bucket_top(i);
            return top < h->max ? top : h->max;
        }
    }
    return h->max;
}
