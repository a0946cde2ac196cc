/*
 * endpoint/clock.h - the endpoint's only clock: CLOCK_MONOTONIC in
 * milliseconds, read once per loop iteration and passed to the sans-I/O cores
 * as coapsec_tstamp; and the same clock in microseconds, which only paces
 * the send batching (endpoint.c), never a protocol timer.
 */
#ifndef CS_ENDPOINT_CLOCK_H
#define CS_ENDPOINT_CLOCK_H

#include "coapsec/common.h"

coapsec_tstamp cs_clock_ms(void);
uint64_t cs_clock_us(void);

#endif /* CS_ENDPOINT_CLOCK_H */
