"""Issue #5: a miss flood does not stall established flows, end to end.

An established flow E (p1 -> p2) runs steadily while a stream of unique
new flows F (p3 -> p4, each with its own UDP source port, which the
pipeline looks at) arrives in bursts far faster than the per-port upcall
limit (datapath.h: 100000 misses per second per port, the default, with
the bucket depth set to 1000 through set-global upcall-burst). pmd-perf-show's counters must then behave as documented:

  * every miss is either an upcall handled or one dropped by the limit:
    misses = upcalls_handled + upcalls_dropped, and each unique F frame
    is exactly one miss (E, cached, never misses);
  * the limit holds: handled <= depth + rate x elapsed, with the bucket
    full at the start. Measured over the flood's first burst (4000 frames
    injected at once, which the worker meets within milliseconds: a
    datapath without the limit would handle them all) and over the whole
    flood; whatever the bucket refused was dropped;
  * each handled miss installed one megaflow (the gauge "megaflows" grows
    by upcalls_handled: far below the 200000 limit, nothing is evicted)
    and forwarded its frame: F frames out of p4 = upcalls_handled;
    each dropped one went nowhere;
  * once the flood is over the bucket refills: a new flow is forwarded.

E is on its own port with its megaflow cached, and the limit is per port,
so nothing in the design drops its frames: it loses none, and frames it
sent during the flood came through.
"""
import time

import pytest

from conftest import wait_for
from ofclient import (Pump, Rpc, Stream, dummy_bridge, header, pmd_totals,
                      require_ctl_commands, tagged, with_sport)

E, F = 1, 2
UPCALL_RATE = 100000        # misses per second per port (datapath default)
UPCALL_BURST = 1000         # bucket depth (set below; the default is 4096)
FLOOD_CHUNK = 4000          # frames per injection: below the 4096 rx ring
FLOOD_CHUNKS = 6
FLOOD_GAP_S = 0.02          # between chunks: the flood lasts a while
SENTINEL_SPORT = 7          # the flow that makes the pipeline look at tp_src

FLOOD_HDR = header(src_mac="02:00:00:00:01:00", src_ip="10.1.0.1",
                   dst_ip="10.9.0.1", sport=0, dport=53)


def flood_frame(i):
    """F's frame i: source port 1024 + i (UDP checksum 0: no fix-up)."""
    return tagged(with_sport(FLOOD_HDR, 1024 + i), F, i)


def all_missed(rpc, before, n):
    """pmd-perf-show once the worker has counted 'n' more misses."""
    now = pmd_totals(rpc)
    return now if now["misses"] - before["misses"] >= n else None


@pytest.fixture
def bridge(vswitchd):
    require_ctl_commands(vswitchd, "set-fail-mode", "add-flow", "trace",
                         "pmd-perf-show", "dump-dp-flows")
    dummy_bridge(vswitchd, ["p1", "p2", "p3", "p4"])
    vswitchd.ctl("set-global", f"upcall-burst={UPCALL_BURST}")
    vswitchd.ctl("add-flow", "br0", "priority=100,in_port=1,actions=output:2")
    vswitchd.ctl("add-flow", "br0", "priority=100,in_port=3,actions=output:4")
    # Every F frame's megaflow must include its source port: unique flows.
    vswitchd.ctl("add-flow", "br0", f"priority=200,in_port=3,udp,"
                 f"tp_src={SENTINEL_SPORT},actions=drop")
    trace = vswitchd.ctl("trace", "br0",
                         "in_port=3,udp,nw_src=10.1.0.1,tp_src=1024").stdout
    assert "tp_src=1024" in trace.split("Megaflow:")[1].splitlines()[0], trace
    return vswitchd


def test_miss_flood_spares_established_flow(bridge):
    e = Stream(E, "p1", header(dst_ip="10.0.0.2"), per_turn=16)
    f = Stream(F, "p3", b"", per_turn=0)       # injected by the test
    pump = Pump(bridge.sock, [e, f], ["p2", "p4"])
    rpc = Rpc(bridge.sock)
    pump.start()
    try:
        wait_for(lambda: len(pump.received[E]) > 500, timeout=20,
                 message="E flowing before the flood")
        before = pmd_totals(rpc)
        e_first = pump.next_seq(E)

        # One burst first, as fast as the port takes it: the worker sees
        # it within milliseconds, so the bucket decides.
        chunks = [[flood_frame(i) for i in range(c * FLOOD_CHUNK,
                                                 (c + 1) * FLOOD_CHUNK)]
                  for c in range(FLOOD_CHUNKS)]
        t_start = time.monotonic()
        taken = burst_taken = pump.inject(rpc, "p3", chunks[0])
        first = wait_for(lambda: all_missed(rpc, before, burst_taken),
                         timeout=10, interval=0.001,
                         message="the worker to take the first burst")
        t_burst = time.monotonic() - t_start
        # Then the rest, spread out, while E keeps flowing.
        for chunk in chunks[1:]:
            time.sleep(FLOOD_GAP_S)
            taken += pump.inject(rpc, "p3", chunk)
        e_last = pump.next_seq(E)
        pump.quiesce()
        after = wait_for(lambda: all_missed(rpc, before, taken), timeout=10,
                         message="the worker to count every flood frame")
        # Every flood frame was admitted or dropped before now.
        t_flood = time.monotonic() - t_start

        # The bucket refills: a new flow a moment later is forwarded.
        time.sleep(0.05)
        late = FLOOD_CHUNKS * FLOOD_CHUNK
        assert pump.inject(rpc, "p3", [flood_frame(late)]) == 1
        wait_for(lambda: any(s == late for s, _ in pump.received[F]),
                 timeout=5, message="a new flow after the flood")
        pump.quiesce()
    finally:
        pump.stop()
        rpc.close()

    d = {k: after[k] - before[k] for k in
         ("misses", "upcalls_handled", "upcalls_dropped", "packets")}
    got_f = [s for s, _ in pump.received[F] if s < late]
    info = (f"flood: {taken} frames taken, done in {t_flood * 1000:.0f} ms; "
            f"counters {d}; megaflows {before['megaflows']} -> "
            f"{after['megaflows']}; F out {len(got_f)}")

    # The counters' identities.
    assert d["misses"] == taken, info
    assert d["misses"] == d["upcalls_handled"] + d["upcalls_dropped"], info
    installed = after["megaflows"] - before["megaflows"]
    assert installed == d["upcalls_handled"], info
    assert after["megaflow_full"] == before["megaflow_full"], info
    assert len(got_f) == len(set(got_f)) == d["upcalls_handled"], info
    assert {p for _, p in pump.received[F]} == {"p4"}

    # The limit: never more than the bucket allows, over the first burst
    # (where it bites: the burst outruns depth + rate x its span unless the
    # host is very slow) and over the whole flood.
    handled = first["upcalls_handled"] - before["upcalls_handled"]
    dropped = first["upcalls_dropped"] - before["upcalls_dropped"]
    allowed = UPCALL_BURST + UPCALL_RATE * t_burst
    burst = (f"first burst: {burst_taken} frames, {handled} handled, "
             f"{dropped} dropped in {t_burst * 1000:.1f} ms")
    assert handled + dropped == burst_taken, burst
    assert handled <= allowed + 1, f"{burst}; allowed {allowed:.0f}"
    assert dropped >= burst_taken - allowed - 1, burst
    allowed = UPCALL_BURST + UPCALL_RATE * t_flood
    assert d["upcalls_handled"] <= allowed + 1, (
        f"{info}; allowed {allowed:.0f}")

    # E: nothing lost, order kept, and it kept flowing during the flood.
    got_e = [s for s, _ in pump.received[E]]
    assert got_e == sorted(e.sent), (
        f"E lost {len(e.sent) - len(set(got_e))} of {len(e.sent)} frames; "
        + info)
    during = set(range(e_first, e_last)) & e.sent
    assert len(during) >= 100, "E hardly ran during the flood: " + info
    assert {p for _, p in pump.received[E]} == {"p2"}
    assert all(n == 0 for n in pump.untagged.values()), pump.untagged

    # The flood's megaflows are what dump-dp-flows lists on port 3.
    flows = bridge.ctl_json("dump-dp-flows", "br0")
    on_p3 = [fl for fl in flows if fl["in_port"] == 3]
    assert len(on_p3) == d["upcalls_handled"] + 1, info
    assert any(fl["in_port"] == 1 for fl in flows)
