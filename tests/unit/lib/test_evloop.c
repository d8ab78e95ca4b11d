/*
 * test_evloop.c — unit tests of lib/evloop: fd callbacks, removal during a
 * dispatch round, one-shot and periodic timers on a virtual clock, timer
 * re-arming from callbacks, run/stop. Single-threaded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <unistd.h>

#include "lib/evloop.h"

static int64_t fake_now;

static int64_t
fake_clock(void *aux)
{
    (void) aux;
    return fake_now;
}

/* ---- fds ---- */

struct fd_probe {
    int calls;
    uint32_t last_events;
    struct evloop *loop;
    int remove_fd;          /* fd to unregister from the callback, or -1 */
};

static void
probe_cb(int fd, uint32_t events, void *aux)
{
    struct fd_probe *p = aux;
    (void) fd;
    p->calls++;
    p->last_events = events;
    if (p->remove_fd >= 0) {
        evloop_fd_remove(p->loop, p->remove_fd);
    }
}

static void
test_fd_read_write(void **state)
{
    (void) state;
    struct evloop *loop = evloop_create();
    int fds[2];
    assert_int_equal(pipe(fds), 0);

    struct fd_probe rd = { .loop = loop, .remove_fd = -1 };
    struct fd_probe wr = { .loop = loop, .remove_fd = -1 };
    assert_int_equal(evloop_fd_add(loop, fds[0], EVLOOP_READ, probe_cb, &rd), 0);
    assert_int_equal(evloop_fd_add(loop, fds[0], EVLOOP_READ, probe_cb, &rd),
                     -EEXIST);
    assert_int_equal(evloop_fd_add(loop, fds[1], EVLOOP_WRITE, probe_cb, &wr), 0);

    /* The pipe is writable at once, not readable. */
    assert_int_equal(evloop_run_once(loop, 0), 1);
    assert_int_equal(wr.calls, 1);
    assert_true(wr.last_events & EVLOOP_WRITE);
    assert_int_equal(rd.calls, 0);

    /* Stop watching writability; write a byte: the reader fires. */
    assert_int_equal(evloop_fd_modify(loop, fds[1], 0), 0);
    assert_int_equal(write(fds[1], "x", 1), 1);
    assert_int_equal(evloop_run_once(loop, 100), 1);
    assert_int_equal(rd.calls, 1);
    assert_true(rd.last_events & EVLOOP_READ);
    assert_int_equal(wr.calls, 1);

    assert_int_equal(evloop_fd_remove(loop, fds[0]), 0);
    assert_int_equal(evloop_fd_remove(loop, fds[0]), -ENOENT);
    assert_int_equal(evloop_fd_modify(loop, fds[0], EVLOOP_READ), -ENOENT);
    assert_int_equal(evloop_run_once(loop, 0), 0);
    assert_int_equal(rd.calls, 1);

    /* Hang-up of the write end is delivered as an error/read event. */
    assert_int_equal(evloop_fd_add(loop, fds[0], EVLOOP_READ, probe_cb, &rd), 0);
    close(fds[1]);
    evloop_fd_remove(loop, fds[1]);
    assert_int_equal(evloop_run_once(loop, 100), 1);
    assert_true(rd.last_events & (EVLOOP_ERROR | EVLOOP_READ));

    evloop_fd_remove(loop, fds[0]);
    close(fds[0]);
    evloop_destroy(loop);
}

/* Two readable fds in the same round; whichever runs first removes the
 * other, which must then not be called. */
static void
test_fd_remove_during_dispatch(void **state)
{
    (void) state;
    struct evloop *loop = evloop_create();
    int a[2], b[2];
    assert_int_equal(pipe(a), 0);
    assert_int_equal(pipe(b), 0);

    struct fd_probe pa = { .loop = loop, .remove_fd = b[0] };
    struct fd_probe pb = { .loop = loop, .remove_fd = a[0] };
    assert_int_equal(evloop_fd_add(loop, a[0], EVLOOP_READ, probe_cb, &pa), 0);
    assert_int_equal(evloop_fd_add(loop, b[0], EVLOOP_READ, probe_cb, &pb), 0);
    assert_int_equal(write(a[1], "x", 1), 1);
    assert_int_equal(write(b[1], "x", 1), 1);

    assert_int_equal(evloop_run_once(loop, 100), 1);
    assert_int_equal(pa.calls + pb.calls, 1);

    for (int i = 0; i < 2; i++) {
        close(a[i]);
        close(b[i]);
    }
    evloop_destroy(loop);
}

/* ---- timers ---- */

struct timer_probe {
    int calls;
    int64_t fired_at[16];
    struct evloop *loop;
    struct evloop_timer *to_stop;   /* stopped from the callback */
    struct evloop_timer *self;
    int64_t rearm_delay;            /* >= 0: re-arm self with this delay */
};

static void
timer_probe_cb(void *aux)
{
    struct timer_probe *p = aux;
    if (p->calls < 16) {
        p->fired_at[p->calls] = evloop_now(p->loop);
    }
    p->calls++;
    if (p->to_stop) {
        evloop_timer_stop(p->loop, p->to_stop);
    }
    if (p->self && p->rearm_delay >= 0) {
        evloop_timer_start(p->loop, p->self, p->rearm_delay, 0,
                           timer_probe_cb, p);
    }
}

static void
test_timers_virtual_clock(void **state)
{
    (void) state;
    struct evloop *loop = evloop_create();
    evloop_set_clock(loop, fake_clock, NULL);
    fake_now = 1000;

    struct evloop_timer once, periodic;
    evloop_timer_init(&once);
    evloop_timer_init(&periodic);
    struct timer_probe po = { .loop = loop, .rearm_delay = -1 };
    struct timer_probe pp = { .loop = loop, .rearm_delay = -1 };

    evloop_timer_start(loop, &once, 50, 0, timer_probe_cb, &po);
    evloop_timer_start(loop, &periodic, 20, 20, timer_probe_cb, &pp);
    assert_true(evloop_timer_armed(&once));

    assert_int_equal(evloop_run_once(loop, 0), 0);
    fake_now = 1020;
    assert_int_equal(evloop_run_once(loop, 0), 1);
    assert_int_equal(pp.calls, 1);
    fake_now = 1040;
    evloop_run_once(loop, 0);
    fake_now = 1050;
    evloop_run_once(loop, 0);
    assert_int_equal(po.calls, 1);
    assert_int_equal(po.fired_at[0], 1050);
    assert_false(evloop_timer_armed(&once));
    assert_int_equal(pp.calls, 2);

    /* A long stall fires a periodic timer once, not once per period. */
    fake_now = 2000;
    assert_int_equal(evloop_run_once(loop, 0), 1);
    assert_int_equal(pp.calls, 3);
    fake_now = 2019;
    assert_int_equal(evloop_run_once(loop, 0), 0);
    fake_now = 2020;
    assert_int_equal(evloop_run_once(loop, 0), 1);

    evloop_timer_stop(loop, &periodic);
    evloop_timer_stop(loop, &periodic);     /* harmless twice */
    fake_now = 5000;
    assert_int_equal(evloop_run_once(loop, 0), 0);
    evloop_destroy(loop);
}

static void
test_timer_callbacks_modify_timers(void **state)
{
    (void) state;
    struct evloop *loop = evloop_create();
    evloop_set_clock(loop, fake_clock, NULL);
    fake_now = 0;

    /* 'a' fires first (earlier deadline) and stops 'b', due at the same
     * round: 'b' must not run. */
    struct evloop_timer a, b;
    evloop_timer_init(&a);
    evloop_timer_init(&b);
    struct timer_probe pa = { .loop = loop, .to_stop = &b, .rearm_delay = -1 };
    struct timer_probe pb = { .loop = loop, .rearm_delay = -1 };
    evloop_timer_start(loop, &a, 5, 0, timer_probe_cb, &pa);
    evloop_timer_start(loop, &b, 10, 0, timer_probe_cb, &pb);
    fake_now = 10;
    assert_int_equal(evloop_run_once(loop, 0), 1);
    assert_int_equal(pa.calls, 1);
    assert_int_equal(pb.calls, 0);

    /* A zero-delay timer re-arming itself runs once per round. */
    struct timer_probe pz = { .loop = loop, .self = &a, .rearm_delay = 0 };
    evloop_timer_start(loop, &a, 0, 0, timer_probe_cb, &pz);
    assert_int_equal(evloop_run_once(loop, 0), 1);
    assert_int_equal(evloop_run_once(loop, 0), 1);
    assert_int_equal(pz.calls, 2);
    evloop_timer_stop(loop, &a);

    /* Destroy with armed timers leaves them disarmed. */
    evloop_timer_start(loop, &b, 100, 0, timer_probe_cb, &pb);
    evloop_destroy(loop);
    assert_false(evloop_timer_armed(&b));
}

struct stopper {
    struct evloop *loop;
    int ticks;
};

static void
stop_after_three(void *aux)
{
    struct stopper *s = aux;
    if (++s->ticks == 3) {
        evloop_stop(s->loop);
    }
}

static void
test_run_and_stop_real_clock(void **state)
{
    (void) state;
    struct evloop *loop = evloop_create();
    struct evloop_timer t;
    evloop_timer_init(&t);
    struct stopper s = { .loop = loop };

    int64_t start = evloop_now(loop);
    evloop_timer_start(loop, &t, 5, 5, stop_after_three, &s);
    assert_int_equal(evloop_run(loop), 0);
    assert_int_equal(s.ticks, 3);
    assert_true(evloop_now(loop) - start >= 14);
    evloop_timer_stop(loop, &t);
    evloop_destroy(loop);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fd_read_write),
        cmocka_unit_test(test_fd_remove_during_dispatch),
        cmocka_unit_test(test_timers_virtual_clock),
        cmocka_unit_test(test_timer_callbacks_modify_timers),
        cmocka_unit_test(test_run_and_stop_real_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
