/*
 * evloop.c — the main thread's epoll event loop with timers (see evloop.h).
 *
 * Fds live in a table indexed by fd number; each registration gets a fresh
 * generation that travels in epoll's user data, so an event that was
 * already fetched for an fd removed (or removed and re-added) by an
 * earlier callback in the same round is recognised as stale and skipped.
 * Timers are an unsorted intrusive list: the loop holds a handful (one or
 * two per OpenFlow connection), so a linear scan beats a heap on code size
 * and is not on any hot path.
 *
 * Main thread only.
 */
#include "lib/evloop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "lib/timeval.h"

/* Events fetched per epoll_wait: enough for a busy round, small enough for
 * the stack. */
#define EVLOOP_MAX_EVENTS 64

struct evloop_fd {
    evloop_fd_cb *cb;
    void *aux;
    uint32_t gen;               /* 0: not registered */
};

struct evloop {
    int epfd;
    struct evloop_fd *fds;
    size_t n_fds;               /* table size (max fd + 1 seen) */
    uint32_t next_gen;
    struct evloop_timer *timers;    /* armed timers, unsorted */
    uint64_t round;             /* timer dispatch rounds so far */
    evloop_clock_fn *clock;
    void *clock_aux;
    bool stop;
};

static int64_t
monotonic_clock(void *aux)
{
    (void) aux;
    return time_msec();
}

struct evloop *
evloop_create(void)
{
    struct evloop *loop = calloc(1, sizeof *loop);
    if (!loop) {
        return NULL;
    }
    loop->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (loop->epfd < 0) {
        int error = errno;
        free(loop);
        errno = error;
        return NULL;
    }
    loop->next_gen = 1;
    loop->clock = monotonic_clock;
    return loop;
}

void
evloop_destroy(struct evloop *loop)
{
    if (!loop) {
        return;
    }
    while (loop->timers) {
        evloop_timer_stop(loop, loop->timers);
    }
    close(loop->epfd);
    free(loop->fds);
    free(loop);
}

static uint32_t
to_epoll(uint32_t events)
{
    return (events & EVLOOP_READ ? EPOLLIN : 0)
           | (events & EVLOOP_WRITE ? EPOLLOUT : 0);
}

static struct evloop_fd *
lookup_fd(struct evloop *loop, int fd)
{
    if (fd < 0 || (size_t) fd >= loop->n_fds || !loop->fds[fd].gen) {
        return NULL;
    }
    return &loop->fds[fd];
}

int
evloop_fd_add(struct evloop *loop, int fd, uint32_t events,
              evloop_fd_cb *cb, void *aux)
{
    if (fd < 0 || !cb) {
        return -EINVAL;
    }
    if (lookup_fd(loop, fd)) {
        return -EEXIST;
    }
    if ((size_t) fd >= loop->n_fds) {
        size_t n = loop->n_fds ? loop->n_fds : 64;
        while (n <= (size_t) fd) {
            n *= 2;
        }
        struct evloop_fd *fds = realloc(loop->fds, n * sizeof *fds);
        if (!fds) {
            return -ENOMEM;
        }
        memset(fds + loop->n_fds, 0, (n - loop->n_fds) * sizeof *fds);
        loop->fds = fds;
        loop->n_fds = n;
    }
    uint32_t gen = loop->next_gen++;
    if (!loop->next_gen) {
        loop->next_gen = 1;     /* 0 means "free" */
    }
    struct epoll_event ev = {
        .events = to_epoll(events),
        .data.u64 = (uint64_t) gen << 32 | (uint32_t) fd,
    };
    if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        return -errno;
    }
    loop->fds[fd] = (struct evloop_fd) { .cb = cb, .aux = aux, .gen = gen };
    return 0;
}

int
evloop_fd_modify(struct evloop *loop, int fd, uint32_t events)
{
    struct evloop_fd *e = lookup_fd(loop, fd);
    if (!e) {
        return -ENOENT;
    }
    struct epoll_event ev = {
        .events = to_epoll(events),
        .data.u64 = (uint64_t) e->gen << 32 | (uint32_t) fd,
    };
    return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

int
evloop_fd_remove(struct evloop *loop, int fd)
{
    struct evloop_fd *e = lookup_fd(loop, fd);
    if (!e) {
        return -ENOENT;
    }
    /* The fd may already be closed by a careless caller; the table entry
     * must go regardless so stale events are skipped. */
    epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
    memset(e, 0, sizeof *e);
    return 0;
}

/* ---- timers ---- */

void
evloop_timer_init(struct evloop_timer *timer)
{
    memset(timer, 0, sizeof *timer);
}

bool
evloop_timer_armed(const struct evloop_timer *timer)
{
    return timer->armed;
}

void
evloop_timer_stop(struct evloop *loop, struct evloop_timer *timer)
{
    if (!timer->armed) {
        return;
    }
    if (timer->prev) {
        timer->prev->next = timer->next;
    } else {
        loop->timers = timer->next;
    }
    if (timer->next) {
        timer->next->prev = timer->prev;
    }
    timer->prev = timer->next = NULL;
    timer->armed = false;
}

static void
timer_link(struct evloop *loop, struct evloop_timer *timer)
{
    timer->prev = NULL;
    timer->next = loop->timers;
    if (loop->timers) {
        loop->timers->prev = timer;
    }
    loop->timers = timer;
    timer->armed = true;
    timer->armed_round = loop->round;
}

void
evloop_timer_start(struct evloop *loop, struct evloop_timer *timer,
                   int64_t delay_ms, int64_t period_ms,
                   evloop_timer_cb *cb, void *aux)
{
    evloop_timer_stop(loop, timer);
    timer->deadline_ms = evloop_now(loop) + (delay_ms > 0 ? delay_ms : 0);
    timer->period_ms = period_ms > 0 ? period_ms : 0;
    timer->cb = cb;
    timer->aux = aux;
    timer_link(loop, timer);
}

int64_t
evloop_now(const struct evloop *loop)
{
    return loop->clock(loop->clock_aux);
}

void
evloop_set_clock(struct evloop *loop, evloop_clock_fn *fn, void *aux)
{
    loop->clock = fn ? fn : monotonic_clock;
    loop->clock_aux = fn ? aux : NULL;
}

/* Milliseconds until the earliest deadline, or -1 with no timer armed. */
static int64_t
next_timer_wait(const struct evloop *loop, int64_t now)
{
    int64_t best = -1;
    for (const struct evloop_timer *t = loop->timers; t; t = t->next) {
        int64_t wait = t->deadline_ms > now ? t->deadline_ms - now : 0;
        if (best < 0 || wait < best) {
            best = wait;
        }
    }
    return best;
}

/* Fires every timer due at 'now' that was armed before this round. One
 * timer per scan because a callback may stop or start any other timer,
 * which invalidates a saved 'next' pointer. */
static int
run_timers(struct evloop *loop)
{
    int n = 0;
    int64_t now = evloop_now(loop);
    uint64_t round = ++loop->round;

    for (;;) {
        struct evloop_timer *due = NULL;
        for (struct evloop_timer *t = loop->timers; t; t = t->next) {
            if (t->armed_round < round && t->deadline_ms <= now
                && (!due || t->deadline_ms < due->deadline_ms)) {
                due = t;
            }
        }
        if (!due) {
            return n;
        }
        evloop_timer_stop(loop, due);
        if (due->period_ms) {
            /* Keep the cadence, but skip periods missed while blocked
             * rather than firing a burst of catch-up calls. */
            int64_t next = due->deadline_ms + due->period_ms;
            if (next <= now) {
                next = now + due->period_ms;
            }
            due->deadline_ms = next;
            timer_link(loop, due);
        }
        due->cb(due->aux);
        n++;
    }
}

int
evloop_run_once(struct evloop *loop, int timeout_ms)
{
    int64_t wait = next_timer_wait(loop, evloop_now(loop));
    if (wait >= 0 && (timeout_ms < 0 || wait < timeout_ms)) {
        timeout_ms = wait > INT32_MAX ? INT32_MAX : (int) wait;
    }

    struct epoll_event events[EVLOOP_MAX_EVENTS];
    int n_ready = epoll_wait(loop->epfd, events, EVLOOP_MAX_EVENTS,
                             timeout_ms);
    if (n_ready < 0) {
        if (errno != EINTR) {
            return -errno;
        }
        n_ready = 0;
    }

    int n_calls = 0;
    for (int i = 0; i < n_ready; i++) {
        int fd = (int) (uint32_t) events[i].data.u64;
        uint32_t gen = (uint32_t) (events[i].data.u64 >> 32);
        struct evloop_fd *e = lookup_fd(loop, fd);
        if (!e || e->gen != gen) {
            continue;           /* removed by an earlier callback */
        }
        uint32_t ev = events[i].events;
        uint32_t got = (ev & EPOLLIN ? EVLOOP_READ : 0)
                       | (ev & EPOLLOUT ? EVLOOP_WRITE : 0)
                       | (ev & (EPOLLERR | EPOLLHUP) ? EVLOOP_ERROR : 0);
        e->cb(fd, got, e->aux);
        n_calls++;
    }
    return n_calls + run_timers(loop);
}

int
evloop_run(struct evloop *loop)
{
    loop->stop = false;
    while (!loop->stop) {
        int n = evloop_run_once(loop, -1);
        if (n < 0) {
            return n;
        }
    }
    return 0;
}

void
evloop_stop(struct evloop *loop)
{
    loop->stop = true;
}
