/*
 * evloop.h — the main thread's event loop: file descriptors on epoll plus
 * one-shot and periodic timers on a monotonic millisecond clock.
 *
 * What it is
 * ----------
 * A loop owns one epoll instance. Callers register an fd with the events
 * they want (EVLOOP_READ/EVLOOP_WRITE) and a callback; the loop calls it
 * with the events that fired (plus EVLOOP_ERROR for EPOLLERR/EPOLLHUP).
 * Timers are caller-owned structs (no allocation per timer): start one
 * with a delay and an optional period, stop it any time.
 *
 * Invariants
 * ----------
 *  - Any callback may add, modify or remove any fd and start or stop any
 *    timer, including its own; an fd removed during a dispatch round gets
 *    no further callbacks in that round, even if its number is reused.
 *  - A timer (re)started during a timer dispatch round fires at the
 *    earliest in the next round, so a zero-delay timer cannot spin the
 *    loop inside one evloop_run_once().
 *  - Time comes from a clock function (default: CLOCK_MONOTONIC in ms);
 *    tests install a virtual clock with evloop_set_clock() and call
 *    evloop_run_once(loop, 0) to drive timers deterministically.
 *
 * Threads
 * -------
 * Main thread only: a loop and everything registered on it belong to the
 * thread that runs it. evloop_stop() is for callbacks; it is not
 * async-signal-safe (a signal handler sets a flag that a periodic timer
 * checks, or writes to a self-pipe registered as an fd).
 */
#ifndef VSWITCH_LIB_EVLOOP_H
#define VSWITCH_LIB_EVLOOP_H

#include <stdbool.h>
#include <stdint.h>

#define EVLOOP_READ  0x1u
#define EVLOOP_WRITE 0x2u
#define EVLOOP_ERROR 0x4u       /* delivered only: EPOLLERR or EPOLLHUP */

struct evloop;

typedef void evloop_fd_cb(int fd, uint32_t events, void *aux);
typedef void evloop_timer_cb(void *aux);
typedef int64_t evloop_clock_fn(void *aux);

/* A timer; embed it in the object it belongs to. Zero-initialise (or call
 * evloop_timer_init) before first use. Fields are private. */
struct evloop_timer {
    struct evloop_timer *prev, *next;   /* in the loop's list while armed */
    int64_t deadline_ms;
    int64_t period_ms;                  /* 0 for one-shot */
    uint64_t armed_round;               /* dispatch round it was armed in */
    evloop_timer_cb *cb;
    void *aux;
    bool armed;
};

/* Creates a loop; NULL on failure (errno set). */
struct evloop *evloop_create(void);
/* Destroys 'loop'. Registered fds are not closed; armed timers are
 * disarmed (their structs stay with their owners). */
void evloop_destroy(struct evloop *loop);

/* Registers 'fd' for 'events'. 0, -EEXIST if already registered, -errno. */
int evloop_fd_add(struct evloop *loop, int fd, uint32_t events,
                  evloop_fd_cb *cb, void *aux);
/* Changes the events wanted for 'fd'. 0, -ENOENT, -errno. */
int evloop_fd_modify(struct evloop *loop, int fd, uint32_t events);
/* Unregisters 'fd' (call before closing it). 0 or -ENOENT. */
int evloop_fd_remove(struct evloop *loop, int fd);

void evloop_timer_init(struct evloop_timer *timer);
/* Arms 'timer' to call cb(aux) 'delay_ms' from now and then every
 * 'period_ms' (0: once). Re-arms if already armed. */
void evloop_timer_start(struct evloop *loop, struct evloop_timer *timer,
                        int64_t delay_ms, int64_t period_ms,
                        evloop_timer_cb *cb, void *aux);
/* Disarms 'timer'; harmless if it is not armed. */
void evloop_timer_stop(struct evloop *loop, struct evloop_timer *timer);
bool evloop_timer_armed(const struct evloop_timer *timer);

/* The loop's notion of now (ms, monotonic or the installed clock). */
int64_t evloop_now(const struct evloop *loop);
/* Replaces the clock (NULL restores the monotonic clock). */
void evloop_set_clock(struct evloop *loop, evloop_clock_fn *fn, void *aux);

/* Waits at most 'timeout_ms' (-1: until an fd or timer is ready; the wait
 * is also cut short by the next timer deadline), then dispatches ready fds
 * and expired timers. Returns the number of callbacks made, or -errno. */
int evloop_run_once(struct evloop *loop, int timeout_ms);
/* Runs until evloop_stop(). 0 or -errno from epoll. */
int evloop_run(struct evloop *loop);
void evloop_stop(struct evloop *loop);

#endif
