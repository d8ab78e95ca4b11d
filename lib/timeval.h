/*
 * timeval.h — monotonic and wall clock readings in milliseconds.
 *
 * Timeout logic (MAC ageing, flow expiry, backoff) never reads the clock
 * itself: callers pass "now" in, so tests drive it with a virtual clock.
 * These readers are the one place the real clock enters. Any thread.
 */
#ifndef VSWITCH_LIB_TIMEVAL_H
#define VSWITCH_LIB_TIMEVAL_H

#include <stdint.h>
#include <time.h>

static inline int64_t
time_msec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline int64_t
time_usec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static inline int64_t
time_wall_msec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
