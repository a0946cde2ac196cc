/* endpoint/clock.c - CLOCK_MONOTONIC in milliseconds and microseconds (see clock.h). */
#include "endpoint/clock.h"

#include <time.h>

coapsec_tstamp cs_clock_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (coapsec_tstamp)ts.tv_sec * 1000u + (coapsec_tstamp)(ts.tv_nsec / 1000000);
}

uint64_t cs_clock_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)(ts.tv_nsec / 1000);
}
