"""Issue #5: revalidation under steady traffic, end to end.

Two numbered streams enter dummy port p1 without pause: A (to 10.0.0.2,
the flow that is changed) and B (to 10.0.0.3, a flow no change touches).
While they flow, A's rule is changed so that A leaves by p3 instead of p2,
in four ways:

  * a FLOW_MOD from a controller with no barrier: the datapath must apply
    it within one revalidation round (500 ms by default);
  * `vswitch-ctl mod-flows`, which ends with a barrier: in effect when
    the command returns;
  * a new, more specific flow with a higher priority (and a barrier): the
    megaflow's mask changes, so the old megaflow (and any exact-match
    cache entry pointing at it) must stop being used;
  * no controller at all: a higher-priority flow reaches its hard
    timeout; once its FLOW_REMOVED is out, within one round.

Then, by sequence number:
  * every A frame handed to the switch after the deadline (the round, or
    the barrier) leaves by p3: none follows the old actions;
  * the switch-over is clean: no A frame leaves by p2 after one has left
    by p3 (the frames of one flow are forwarded in order by one worker,
    and actions are replaced atomically);
  * no frame of A or B is lost or duplicated (both flows stay below the
    upcall rate limit, so even A's new megaflow is installed without
    drops), and B keeps its order;
  * the revalidator credited B's packets to B's OpenFlow flow.
"""
import time

import pytest

from conftest import wait_for
from ofclient import (OFClient, Pump, Stream, dummy_bridge, header, output,
                      parser, ofp, require_ctl_commands)

A, B = 1, 2
REVALIDATE_S = 0.5      # the datapath's default revalidation round
# Slack for a loaded two-core host: one more round.
ROUND_DEADLINE_S = 2 * REVALIDATE_S


@pytest.fixture
def bridge(vswitchd):
    require_ctl_commands(vswitchd, "set-fail-mode", "add-flow", "mod-flows",
                         "dump-flows", "set-controller")
    ports = dummy_bridge(vswitchd, ["p1", "p2", "p3", "p4"])
    vswitchd.ctl("add-flow", "br0",
                 "priority=100,in_port=1,ip,nw_dst=10.0.0.2,actions=output:2")
    vswitchd.ctl("add-flow", "br0",
                 "priority=100,in_port=1,ip,nw_dst=10.0.0.3,actions=output:4")
    assert ports == {"p1": 1, "p2": 2, "p3": 3, "p4": 4}
    return vswitchd


# Each way of changing A's rule is a generator: what runs before the
# traffic starts, a yield, then the change itself, which returns at the
# moment from which no A frame may follow the old actions any more.

def change_by_flow_mod_without_barrier(vswitchd):
    """A controller's FLOW_MOD, no barrier: the deadline is one
    revalidation round after the switch has read it."""
    yield
    c = OFClient.connect(vswitchd.workdir / "br0.mgmt")
    try:
        c.flow_mod(parser.OFPMatch(in_port=1, eth_type=0x0800,
                                   ipv4_dst="10.0.0.2"),
                   output(3), priority=100, command=ofp.OFPFC_MODIFY_STRICT)
        c.echo()            # the switch has read (and applied) the FLOW_MOD
        time.sleep(ROUND_DEADLINE_S)
        assert not c.errors, c.errors
    finally:
        c.close()


def change_by_cli_mod_flows(vswitchd):
    """mod-flows ends with a barrier: done when it returns."""
    yield
    vswitchd.ctl("mod-flows", "br0",
                 "priority=100,in_port=1,ip,nw_dst=10.0.0.2,actions=output:3",
                 "--strict")


def change_by_more_specific_flow(vswitchd):
    """A new flow that also matches the UDP port: A's megaflow gets a new
    mask, so the old one must be removed, not patched. Barrier: done."""
    yield
    c = OFClient.connect(vswitchd.workdir / "br0.mgmt")
    try:
        xid = c.flow_mod(parser.OFPMatch(in_port=1, eth_type=0x0800,
                                         ip_proto=17, ipv4_dst="10.0.0.2",
                                         udp_dst=2000),
                         output(3), priority=200)
        c.check_error(c.barrier())
        c.check_error(xid)
    finally:
        c.close()


def change_by_hard_timeout(vswitchd):
    """No one acts: a flow sending A to p2 over a lower-priority one to p3
    reaches its hard timeout. The switch revalidates when it expires
    flows; the deadline is one round after the FLOW_REMOVED that its
    controller gets (service connections such as br0.mgmt get no
    asynchronous messages, as in Open vSwitch)."""
    vswitchd.ctl("mod-flows", "br0",
                 "priority=100,in_port=1,ip,nw_dst=10.0.0.2,actions=output:3",
                 "--strict")
    srv, port = OFClient.listen()
    vswitchd.ctl("set-controller", "br0", f"tcp:127.0.0.1:{port}")
    c = OFClient.accept(srv)
    srv.close()
    try:
        xid = c.flow_mod(parser.OFPMatch(in_port=1, eth_type=0x0800,
                                         ipv4_dst="10.0.0.2"),
                         output(2), priority=300, hard_timeout=2,
                         flags=ofp.OFPFF_SEND_FLOW_REM)
        c.check_error(c.barrier())
        c.check_error(xid)
        yield
        removed = c.recv_until(
            lambda m: isinstance(m, parser.OFPFlowRemoved), timeout=10)
        assert removed.reason == ofp.OFPRR_HARD_TIMEOUT, removed
        assert removed.priority == 300, removed
        time.sleep(ROUND_DEADLINE_S)
    finally:
        c.close()


@pytest.mark.parametrize("way", [change_by_flow_mod_without_barrier,
                                 change_by_cli_mod_flows,
                                 change_by_more_specific_flow,
                                 change_by_hard_timeout],
                         ids=["flow-mod-one-round", "mod-flows-barrier",
                              "new-mask-barrier", "hard-timeout-one-round"])
def test_change_under_steady_traffic(bridge, way):
    change = way(bridge)
    next(change)                # what comes before the traffic
    a = Stream(A, "p1", header(dst_ip="10.0.0.2", dport=2000), per_turn=16)
    b = Stream(B, "p1", header(dst_ip="10.0.0.3", dport=2000), per_turn=16)
    pump = Pump(bridge.sock, [a, b], ["p2", "p3", "p4"])
    pump.start()
    try:
        wait_for(lambda: len(pump.received[A]) > 1000, timeout=20,
                 message="A flowing before the change")
        next(change, None)      # the change, up to its deadline
        deadline_seq = pump.next_seq(A)
        # Keep going long enough that plenty of frames follow the deadline.
        target = deadline_seq + 2000
        wait_for(lambda: pump.next_seq(A) > target, timeout=20,
                 message="traffic after the change")
        pump.quiesce()
    finally:
        pump.stop()

    got_a = pump.received[A]
    late_old = [s for s, p in got_a if s >= deadline_seq and p != "p3"]
    assert late_old == [], (
        f"{len(late_old)} A frames sent after the change was due still "
        f"followed the old actions (first seq {late_old[:5]}, deadline "
        f"seq {deadline_seq})")
    on_old = [s for s, p in got_a if p == "p2"]
    on_new = [s for s, p in got_a if p == "p3"]
    assert on_old and on_new, "the change happened outside the traffic"
    assert max(on_old) < min(on_new), (
        "A went back to the old port after the switch-over: "
        f"old up to {max(on_old)}, new from {min(on_new)}")
    assert {p for _, p in got_a} <= {"p2", "p3"}

    # Nothing lost or duplicated; B untouched and in order.
    seqs_a = [s for s, _ in got_a]
    assert len(seqs_a) == len(set(seqs_a)) and set(seqs_a) == a.sent, (
        f"A: {len(a.sent - set(seqs_a))} lost, "
        f"{len(seqs_a) - len(set(seqs_a))} duplicated of {len(a.sent)}")
    got_b = pump.received[B]
    assert {p for _, p in got_b} == {"p4"}
    assert [s for s, _ in got_b] == sorted(b.sent), (
        f"B: {len(b.sent) - len(got_b)} of {len(b.sent)} lost or reordered")
    assert all(n == 0 for n in pump.untagged.values()), pump.untagged

    # The revalidator credits megaflow stats to the OpenFlow flows.
    def b_flow_packets():
        for f in bridge.ctl_json("dump-flows", "br0"):
            if f["match"].endswith("nw_dst=10.0.0.3"):
                return f["n_packets"]
        raise AssertionError("B's flow is gone")
    wait_for(lambda: b_flow_packets() == len(b.sent), timeout=5,
             message=f"B's flow to count {len(b.sent)} packets")
