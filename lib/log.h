/*
 * log.h — leveled logging for the daemon and its modules.
 *
 * Lines go to stderr (and to a log file once vlog_set_file() is called),
 * prefixed with a wall-clock timestamp, the level and the module name:
 *   2026-11-21T10:00:00.123Z|INFO|dp|port p1 added
 * Any thread may log; a line is written with one write(2) so lines from
 * different threads never interleave. PMD threads must not log per packet:
 * use a rate limit (vlog_rate_limit) on anything a packet can trigger.
 */
#ifndef VSWITCH_LIB_LOG_H
#define VSWITCH_LIB_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include "util.h"

enum vlog_level { VLL_ERR, VLL_WARN, VLL_INFO, VLL_DBG };

void vlog_set_level(enum vlog_level);
int vlog_set_file(const char *path);   /* 0 or -errno */
bool vlog_is_enabled(enum vlog_level);
void vlog(enum vlog_level, const char *module, const char *fmt, ...)
    PRINTF_FORMAT(3, 4);

/* Token bucket so a flood of bad packets cannot flood the log. */
struct vlog_rate_limit {
    int64_t last_ms;
    unsigned int tokens;
    unsigned int burst;      /* max messages per interval */
    unsigned int interval_ms;
    unsigned int dropped;
};
#define VLOG_RATE_LIMIT_INIT(BURST, INTERVAL_MS) \
    { .last_ms = 0, .tokens = (BURST), .burst = (BURST), \
      .interval_ms = (INTERVAL_MS), .dropped = 0 }
bool vlog_should_drop(struct vlog_rate_limit *);

#define VLOG_ERR(MOD, ...)  vlog(VLL_ERR, MOD, __VA_ARGS__)
#define VLOG_WARN(MOD, ...) vlog(VLL_WARN, MOD, __VA_ARGS__)
#define VLOG_INFO(MOD, ...) vlog(VLL_INFO, MOD, __VA_ARGS__)
#define VLOG_DBG(MOD, ...) \
    do { if (vlog_is_enabled(VLL_DBG)) vlog(VLL_DBG, MOD, __VA_ARGS__); } while (0)
#define VLOG_RL(RL, LEVEL, MOD, ...) \
    do { if (!vlog_should_drop(RL)) vlog(LEVEL, MOD, __VA_ARGS__); } while (0)

#endif
