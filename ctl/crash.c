/*
 * crash.c — backtrace on SIGSEGV/SIGABRT/SIGBUS/SIGFPE/SIGILL (see
 * crash.h).
 *
 * Async-signal safety: output is formatted by hand into a stack buffer and
 * written with write(2); no stdio, no malloc. libunwind's local unwinding
 * (unw_getcontext/unw_step) is designed to work from signal handlers;
 * unw_get_proc_name may read ELF symbol tables, which is as close to safe
 * as a symbolised backtrace gets, and we are dying anyway.
 *
 * Threads: installed by main; the handler runs on the faulting thread.
 */
#define UNW_LOCAL_ONLY
#include "ctl/crash.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libunwind.h>

#define CRASH_MAX_FRAMES 64
/* Room for the handler to run even when the crash was a stack overflow. */
#define CRASH_ALT_STACK_SIZE (64 * 1024)

static int crash_log_fd = -1;

static void
crash_write(const char *s, size_t len)
{
    ssize_t w = write(STDERR_FILENO, s, len);
    if (crash_log_fd >= 0) {
        w = write(crash_log_fd, s, len);
    }
    (void) w;
}

static void
crash_puts(const char *s)
{
    crash_write(s, strlen(s));
}

/* Appends 'v' in 'base' (10 or 16) to buf at *pos. */
static void
fmt_uint(char *buf, size_t size, size_t *pos, uint64_t v, unsigned int base)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v && n < (int) sizeof tmp);
    while (n > 0 && *pos + 1 < size) {
        buf[(*pos)++] = tmp[--n];
    }
}

static void
fmt_str(char *buf, size_t size, size_t *pos, const char *s)
{
    while (*s && *pos + 1 < size) {
        buf[(*pos)++] = *s++;
    }
}

static const char *
signal_name(int sig)
{
    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGABRT: return "SIGABRT";
    case SIGBUS:  return "SIGBUS";
    case SIGFPE:  return "SIGFPE";
    case SIGILL:  return "SIGILL";
    default:      return "signal";
    }
}

static void
crash_handler(int sig, siginfo_t *info, void *uctx)
{
    (void) uctx;
    char line[512];
    size_t pos = 0;
    fmt_str(line, sizeof line, &pos, "vswitchd: fatal ");
    fmt_str(line, sizeof line, &pos, signal_name(sig));
    fmt_str(line, sizeof line, &pos, " (fault address 0x");
    fmt_uint(line, sizeof line, &pos, (uintptr_t) info->si_addr, 16);
    fmt_str(line, sizeof line, &pos, ", thread ");
    fmt_uint(line, sizeof line, &pos, (uint64_t) gettid(), 10);
    fmt_str(line, sizeof line, &pos, "); backtrace:\n");
    crash_write(line, pos);

    unw_context_t ctx;
    unw_cursor_t cursor;
    if (unw_getcontext(&ctx) == 0 && unw_init_local(&cursor, &ctx) == 0) {
        for (int frame = 0; frame < CRASH_MAX_FRAMES
             && unw_step(&cursor) > 0; frame++) {
            unw_word_t ip = 0, off = 0;
            unw_get_reg(&cursor, UNW_REG_IP, &ip);
            char name[256];
            pos = 0;
            fmt_str(line, sizeof line, &pos, "  #");
            fmt_uint(line, sizeof line, &pos, frame, 10);
            fmt_str(line, sizeof line, &pos, " 0x");
            fmt_uint(line, sizeof line, &pos, ip, 16);
            if (unw_get_proc_name(&cursor, name, sizeof name, &off) == 0) {
                fmt_str(line, sizeof line, &pos, " ");
                fmt_str(line, sizeof line, &pos, name);
                fmt_str(line, sizeof line, &pos, "+0x");
                fmt_uint(line, sizeof line, &pos, off, 16);
            }
            fmt_str(line, sizeof line, &pos, "\n");
            crash_write(line, pos);
        }
    } else {
        crash_puts("  (backtrace unavailable)\n");
    }

    /* SA_RESETHAND restored the default action: die by the same signal. */
    raise(sig);
}

void
ctl_crash_handler_install(const char *log_path)
{
    if (log_path) {
        crash_log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND
                            | O_CLOEXEC, 0640);
    }
    static char alt_stack[CRASH_ALT_STACK_SIZE];
    stack_t ss = { .ss_sp = alt_stack, .ss_size = sizeof alt_stack };
    sigaltstack(&ss, NULL);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = crash_handler;
    sa.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    static const int sigs[] = { SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL };
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        sigaction(sigs[i], &sa, NULL);
    }
}
