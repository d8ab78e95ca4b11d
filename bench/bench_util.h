/*
 * bench_util.h — what the micro-benchmarks (bench_*.c) share: a seeded
 * pseudo-random generator, a monotonic clock in seconds and the common
 * command line ("--quick": shorter runs, for CI).
 *
 * The generator is xorshift64* (Vigna): fast, good enough to spread keys
 * and deterministic, so that every run of a benchmark measures the same
 * data. Each benchmark is one program and seeds the generator once at the
 * start of main(), before drawing anything.
 *
 * Header-only; single-threaded (the generator's state is per program, not
 * per thread).
 */
#ifndef VSWITCH_BENCH_UTIL_H
#define VSWITCH_BENCH_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

static uint64_t bench_rng_state;

/* Starts the generator's sequence; 'seed' must not be 0. */
static inline void
bench_seed(uint64_t seed)
{
    bench_rng_state = seed;
}

/* The next pseudo-random 64-bit number. */
static inline uint64_t
bench_rnd(void)
{
    uint64_t x = bench_rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    bench_rng_state = x;
    return x * 0x2545f4914f6cdd1dULL;
}

/* Monotonic time in seconds, for timing a run. */
static inline double
bench_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

/* Whether the command line asks for a quick run (bench_x --quick). */
static inline bool
bench_quick(int argc, char **argv)
{
    return argc > 1 && !strcmp(argv[1], "--quick");
}

#endif
