/*
 * util.h — small cross-cutting macros shared by every module.
 *
 * Header-only; safe from any thread.
 */
#ifndef VSWITCH_LIB_UTIL_H
#define VSWITCH_LIB_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#ifndef likely
#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif

#define CONTAINER_OF(ptr, type, member) \
    ((type *) (void *) ((char *) (ptr) - offsetof(type, member)))

#define ROUND_UP(x, y) ((((x) + (y) - 1) / (y)) * (y))
#define DIV_ROUND_UP(x, y) (((x) + (y) - 1) / (y))

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#define BUILD_ASSERT(expr) _Static_assert(expr, #expr)

#define UNUSED __attribute__((unused))
#define PRINTF_FORMAT(f, a) __attribute__((format(printf, f, a)))

#endif
