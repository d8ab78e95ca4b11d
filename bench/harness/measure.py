"""One measurement of one contender on one scenario.

Rate scenarios: after the warm-up, read the output port's tx counter and the
forwarding thread's on-CPU time (schedstat), sleep for the window, read both
again.  Mpps = packets / wall time; cycles per packet = on-CPU time x CPU
clock / packets; core share = on-CPU time / wall time.  A window in which the
forwarding thread had less than ``min_share`` of its core (the machine is
shared) is invalid and measured again, up to ``tries`` times.  Threads are
re-pinned before every window (daemons may start threads late).

New-flow scenario: the same window over two outputs: the new-flow output's
rate is the misses handled per second (each of its packets is a new flow),
the other is the established flow's forwarding rate.  The file is read
once, so the window is sampled and ends before the input port has read all
of it (see _newflow).

flow_mod scenario: the wall time of installing the flow file (the client
returns on the barrier reply); flow_mods per second, then memory.
"""

import os
import time
from dataclasses import dataclass, field

from . import procs
from .pcaps import count_packets
from .procs import HarnessError


# Datapath cache levels in lookup order (Open vSwitch 3.1's names): the
# in_port-only "simple match" cache, the exact-match cache, the signature
# match cache, the megaflow classifier, misses handled by an upcall, and
# misses whose upcall failed (the packet is dropped).
CACHE_LEVELS = ("simple", "emc", "smc", "megaflow", "upcall", "failed")


@dataclass
class Sample:
    contender: str             # label
    scenario: str
    rep: int
    valid: bool = False
    why: str = ""              # why invalid, or a note
    mpps: float = 0.0          # rate scenarios; newflow: misses (M/s)
    est_mpps: float = 0.0      # newflow: established flow
    est_alone_mpps: float = 0.0  # newflow: established flow before the
                                 # new-flow port was added
    cycles_per_pkt: float = 0.0
    share: float = 0.0         # forwarding thread's share of its core
    tries: int = 0
    cache: dict = field(default_factory=dict)   # hit shares (fractions)
    rss_kb: int = 0
    huge_kb: int = 0
    flow_mods_per_s: float = 0.0
    noisy: bool = False        # invalid only for lack of core share
    window: float = 0.0        # newflow: seconds measured (file lasted)


def _window(c, out_ports, window):
    """(packets per port, wall seconds, on-CPU seconds) over one window."""
    c.check_alive()
    before = [c.tx(p) for p in out_ports]
    t0 = time.monotonic()
    cpu0 = procs.schedstat_ns(c.main_pid, c.fwd_tid)
    time.sleep(window)
    cpu1 = procs.schedstat_ns(c.main_pid, c.fwd_tid)
    after = [c.tx(p) for p in out_ports]
    t1 = time.monotonic()
    # Counter reads take a few ms each; splitting them around the clock
    # reads keeps the two intervals the same length on average.
    wall = t1 - t0
    return [a - b for a, b in zip(after, before)], wall, (cpu1 - cpu0) / 1e9


def _cache_shares(raw):
    if not raw:
        return {}
    total = sum(raw.get(k, 0) for k in CACHE_LEVELS)
    if not total:
        return {}
    return {k: raw.get(k, 0) / total for k in CACHE_LEVELS}


def measure(c, sc, rep, opts, hz):
    """Starts contender 'c' on scenario 'sc', measures, stops it."""
    s = Sample(c.label, sc.sid, rep)
    try:
        if sc.kind == "newflow":
            once, first, s.est_alone_mpps = _newflow_start(c, sc)
        else:
            c.start(sc)
        c.pin()
        if sc.kind == "flowmod":
            quick_n = sc.quick_n if getattr(opts, "quick", False) else 0
            _flowmod(c, sc, s, quick_n or 100000)
        elif sc.kind == "newflow":
            _newflow(c, sc, s, opts, hz, once, first)
        else:
            _rate(c, sc, s, opts, hz)
        rss, huge = c.memory_kb()
        s.rss_kb, s.huge_kb = rss, huge
        if getattr(c, "static_fdb", False):
            s.why = "static fdb entry (learning frame lost)"
    except HarnessError as e:
        s.valid = False
        s.why = str(e).splitlines()[0]
        s.error = str(e)
    finally:
        c.stop()
    return s


def _rate(c, sc, s, opts, hz):
    time.sleep(opts.warmup)
    for attempt in range(1, opts.tries + 1):
        if attempt > 1:
            time.sleep(opts.retry_wait)     # noise on this host is bursty
        c.pin()
        c.cache_clear()
        (pkts,), wall, cpu = _window(c, [sc.out], opts.window)
        s.tries = attempt
        s.share = cpu / wall
        s.mpps = pkts / wall / 1e6
        s.cycles_per_pkt = cpu * hz / pkts if pkts else 0.0
        s.cache = _cache_shares(c.cache_stats())
        if pkts <= 0:
            s.valid, s.why = False, "no packets forwarded"
            return
        if _judge_share(s, opts, attempt):
            return


def _judge_share(s, opts, attempt):
    """Marks 's' valid when the forwarding thread had enough of its core in
    this window; returns True then (the caller stops retrying)."""
    if s.share >= opts.min_share:
        s.valid, s.why, s.noisy = True, "", False
        return True
    s.valid, s.noisy = False, True
    s.why = (f"forwarding thread had {s.share:.0%} of its core "
             f"(< {opts.min_share:.0%}) in {attempt} window(s)")
    return False


# New-flow scenario: the harness samples the counters this often and needs
# at least this much of a window before the file ran out.
NEWFLOW_STEP = 0.05
NEWFLOW_MIN_WINDOW = 0.2


def _newflow_snapshot(c, sc, once, read=None):
    """(time, fwd thread on-CPU s, new-flow tx, established tx, file packets
    read, cache counters); the clock is read between the counter reads."""
    new = c.tx(sc.out)
    cpu = procs.schedstat_ns(c.main_pid, c.fwd_tid) / 1e9
    t = time.monotonic()
    est = c.tx(sc.est_out)
    if read is None:
        read = c.rx(once)
    return t, cpu, new, est, read, c.cache_stats() or {}


# The established flow's rate on its own is measured over this long,
# just before the new-flow port is added.
NEWFLOW_ALONE_WINDOW = 1.0


def _newflow_start(c, sc):
    """Starts 'c', measures the established flow alone, and takes the first
    sample just before the new-flow port is added (every other port, the
    established flow's included, runs).  Returns (once port, first sample,
    established Mpps alone)."""
    once = next(p for p in sc.ports if p.kind == "once")
    first = []
    alone = []

    def before_once():
        c.wait_fwd_thread()
        c.pin()
        time.sleep(0.5)                 # past the first packets' misses
        e0, t0 = c.tx(sc.est_out), time.monotonic()
        time.sleep(NEWFLOW_ALONE_WINDOW)
        e1, t1 = c.tx(sc.est_out), time.monotonic()
        alone.append((e1 - e0) / (t1 - t0) / 1e6)
        c.cache_clear()
        first.append(_newflow_snapshot(c, sc, once.name, read=0))
    c.before_once = before_once
    try:
        c.start(sc)
    finally:
        c.before_once = None
    return once, first[0], alone[0]


def _newflow(c, sc, s, opts, hz, once, first):
    """A contender that drops misses cheaply (vswitch's upcall rate limit)
    reads the new-flow file at line rate and is through it in well under a
    second; one that blocks on its upcalls takes many seconds.  So the
    window starts when the new-flow port is added (no warm-up, for every
    contender), the counters are sampled every NEWFLOW_STEP, and the window
    ends at the last sample before the input port had read 99 % of the file
    (at most --window seconds)."""
    path = getattr(c.cache, once.traffic[0])(*once.traffic[1:])
    total = count_packets(path)
    snaps = [first]
    ran_out = False
    while not ran_out and snaps[-1][0] - first[0] < opts.window:
        c.check_alive()
        time.sleep(NEWFLOW_STEP)
        snap = _newflow_snapshot(c, sc, once.name)
        ran_out = snap[4] >= 0.99 * total
        if not ran_out:
            snaps.append(snap)
    (t0, cpu0, new0, est0, _, cache0), (t1, cpu1, new1, est1, _, cache1) = \
        first, snaps[-1]
    wall, cpu = t1 - t0, cpu1 - cpu0
    s.tries = 1
    s.window = wall
    if wall < NEWFLOW_MIN_WINDOW:
        s.valid = False
        s.why = (f"new-flow file ({total} packets) ran out within "
                 f"{wall + NEWFLOW_STEP:.2f} s: raise --newflow-packets")
        return
    new, est = new1 - new0, est1 - est0
    s.share = cpu / wall
    s.mpps = new / wall / 1e6
    s.est_mpps = est / wall / 1e6
    s.cycles_per_pkt = cpu * hz / (new + est) if new + est else 0.0
    s.cache = _cache_shares({k: cache1.get(k, 0) - cache0.get(k, 0)
                             for k in CACHE_LEVELS})
    if new <= 0:
        s.valid, s.why = False, "no new flows handled"
        return
    _judge_share(s, opts, 1)


def _flowmod(c, sc, s, n_flows):
    path = c.cache.flow_mods(n_flows)
    with open(path) as f:
        n = sum(1 for _ in f)
    t0 = time.monotonic()
    c.add_flows(path)
    elapsed = time.monotonic() - t0
    count = c.flow_count()
    s.tries = 1
    if count != n:
        s.valid, s.why = False, f"{count} flows installed, expected {n}"
        return
    s.flow_mods_per_s = n / elapsed
    s.valid = True


def hugepages_needed(n_mbufs):
    """Free 2 MiB pages to have before a full run: a contender's mempool
    (up to ~3 KiB per mbuf for OVS's MTU-sized buffers) plus 25 % for rings
    and tables, plus 512 MiB for whatever else runs on this shared host."""
    return int(n_mbufs * 3 * 1.25 / 2048) + 256


def describe_host():
    """(CPU model, logical CPUs) from lscpu's data in /proc/cpuinfo."""
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return model, os.cpu_count()
