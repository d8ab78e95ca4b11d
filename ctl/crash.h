/*
 * crash.h — fatal-signal handler that prints a backtrace (libunwind) to
 * stderr and to the daemon's log file, then lets the signal kill the
 * process as it would have (so cores and exit statuses stay truthful).
 *
 * Install once from the main thread at start-up; the handler then runs on
 * whichever thread crashed, on an alternate stack where one was set up.
 */
#ifndef VSWITCH_CTL_CRASH_H
#define VSWITCH_CTL_CRASH_H

/* 'log_path' may be NULL; it is opened now, since open() after a crash
 * may be impossible. */
void ctl_crash_handler_install(const char *log_path);

#endif
