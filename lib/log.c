#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <stdatomic.h>

#include "timeval.h"

static _Atomic int log_level = VLL_INFO;
static _Atomic int log_fd = -1;

static const char *const level_names[] = { "ERR", "WARN", "INFO", "DBG" };

void
vlog_set_level(enum vlog_level level)
{
    atomic_store(&log_level, level);
}

bool
vlog_is_enabled(enum vlog_level level)
{
    return (int) level <= atomic_load_explicit(&log_level, memory_order_relaxed);
}

int
vlog_set_file(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) {
        return -errno;
    }
    int old = atomic_exchange(&log_fd, fd);
    if (old >= 0) {
        close(old);
    }
    return 0;
}

void
vlog(enum vlog_level level, const char *module, const char *fmt, ...)
{
    if (!vlog_is_enabled(level)) {
        return;
    }
    char line[1024];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line,
                     "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ|%s|%s|",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
                     level_names[level], module);
    va_list args;
    va_start(args, fmt);
    int m = vsnprintf(line + n, sizeof line - n - 1, fmt, args);
    va_end(args);
    size_t len = n + (m < 0 ? 0 : MIN((size_t) m, sizeof line - n - 2));
    line[len++] = '\n';

    ssize_t w = write(STDERR_FILENO, line, len);
    int fd = atomic_load(&log_fd);
    if (fd >= 0) {
        w = write(fd, line, len);
    }
    (void) w;
}

bool
vlog_should_drop(struct vlog_rate_limit *rl)
{
    int64_t now = time_msec();
    if (now - rl->last_ms >= rl->interval_ms) {
        rl->last_ms = now;
        rl->tokens = rl->burst;
    }
    if (rl->tokens) {
        rl->tokens--;
        return false;
    }
    rl->dropped++;
    return true;
}
