"""Issue #5: "a BARRIER_REPLY means done", end to end.

A controller written in the test (os-ken's OpenFlow 1.3 message classes
over a plain TCP socket that vswitchd connects to after `vswitch-ctl
set-controller br0 tcp:127.0.0.1:PORT`) changes where one flow goes, again
and again, under steady background traffic: either of that very flow
(its megaflow and exact-match cache entries stay hot), or of new
microflows of the same rules (workers translate misses while the changes
land). Each round:

    two FLOW_MODs (modify the flow's output, add a more specific flow
    with a higher priority, or delete that flow again; each time first to
    a decoy port, then to the target) -> BARRIER_REQUEST -> wait for
    BARRIER_REPLY -> inject one probe frame of the flow

and the probe must leave by the port the new flow table says, every time:
a stale megaflow or EMC entry, or a reply sent before the workers stopped
using the old actions, shows as a probe on the decoy or previous port.
The second FLOW_MOD of a round reaches the datapath while it is still
retiring the first (a grace period), so its revalidation is deferred and
only the BARRIER_REPLY tells when it is done: a controller that skips the
barrier sees probes on the decoy. Both kinds of change are covered: the
same megaflow mask (actions swapped in place) and a new mask (the old
megaflow must go).

The background frames are counted too: a change of output port never
drops a packet, so every one of them comes out exactly once.
"""
import time

import pytest

from conftest import wait_for
from ofclient import (OFClient, Pump, Rpc, Stream, dummy_bridge, header,
                      output, parser, ofp, require_ctl_commands, tagged,
                      with_sport)

ROUNDS = 400
RACING_ROUNDS = 300
MICROFLOWS = 4096           # distinct source ports of the racing misses
SENTINEL_SPORT = 7
PROBE = 0xffff
BG = 1
OUT_PORTS = ["p2", "p3", "p4"]


@pytest.fixture
def controller(vswitchd):
    """The bridge with ports p1..p4 and our controller connected to it."""
    require_ctl_commands(vswitchd, "set-controller", "set-fail-mode",
                         "dump-flows")
    ports = dummy_bridge(vswitchd, ["p1"] + OUT_PORTS)
    srv, port = OFClient.listen()
    vswitchd.ctl("set-controller", "br0", f"tcp:127.0.0.1:{port}")
    client = OFClient.accept(srv)
    srv.close()
    client.ports = ports
    yield client
    client.close()


def run_rounds(vswitchd, c, streams, probe_hdr, rounds=ROUNDS):
    """The rounds of the module comment, with 'streams' as background
    traffic and the probe of each round built on probe_hdr() (called just
    before the round's FLOW_MODs). Returns the pump (stopped) and the
    output port each probe had to take."""
    ofnum = c.ports
    udp_match = dict(in_port=ofnum["p1"], eth_type=0x0800, ip_proto=17,
                     ipv4_dst="10.0.0.2")
    base = parser.OFPMatch(in_port=ofnum["p1"], eth_type=0x0800,
                           ipv4_dst="10.0.0.2")
    # More specific (adds the UDP port): installing or deleting it changes
    # the megaflow's mask, not only its actions.
    override = parser.OFPMatch(udp_dst=2000, **udp_match)

    c.flow_mod(base, output(ofnum["p2"]), priority=100)
    c.check_error(c.barrier())

    probe = Stream(PROBE, "p1", b"", per_turn=0)
    pump = Pump(vswitchd.sock, list(streams) + [probe], OUT_PORTS)
    rpc = Rpc(vswitchd.sock)
    pump.start()
    try:
        # The flow is hot before the first change.
        wait_for(lambda: all(pump.received[s.sid] for s in streams),
                 timeout=10, message="background traffic flowing")

        base_port = ofnum["p2"]
        override_on = False
        expected = {}
        t0 = time.monotonic()
        for i in range(rounds):
            hdr = probe_hdr(pump)
            kind = i % 4
            target = ofnum[OUT_PORTS[i % 3]]
            decoy = ofnum[OUT_PORTS[(i + 1) % 3]]
            # Two changes back to back: the second arrives while the
            # datapath is still retiring the first, so only the barrier
            # says when it is in effect.
            if kind in (0, 2):          # move the flow: same mask
                mods = [c.flow_mod(base, output(port), priority=100,
                                   command=ofp.OFPFC_MODIFY_STRICT)
                        for port in (decoy, target)]
                base_port = target
            elif kind == 1:             # a new, more specific flow
                mods = [c.flow_mod(override, output(port), priority=200)
                        for port in (decoy, target)]
                override_on, override_port = True, target
            else:                       # and gone again
                mods = [c.flow_mod(override, output(decoy), priority=200,
                                   command=ofp.OFPFC_MODIFY_STRICT),
                        c.flow_mod(override, None, priority=200,
                                   command=ofp.OFPFC_DELETE_STRICT)]
                override_on = False
            barrier = c.barrier()
            for xid in mods + [barrier]:
                c.check_error(xid)
            want = override_port if override_on else base_port
            expected[i] = want

            assert pump.inject(rpc, "p1", [tagged(hdr, PROBE, i)]) == 1
            deadline = time.monotonic() + 5
            while (len(pump.received[PROBE]) <= i
                   and time.monotonic() < deadline):
                time.sleep(0.0005)
            assert len(pump.received[PROBE]) > i, (
                f"round {i}: probe never came out")
            seq, port = pump.received[PROBE][-1]
            assert seq == i and ofnum[port] == want, (
                f"round {i}: after BARRIER_REPLY the probe left by {port} "
                f"(ofport {ofnum[port]}), the flow table says {want}")
        pump.elapsed = time.monotonic() - t0
        pump.quiesce()
    finally:
        pump.stop()
        rpc.close()

    # Every probe exactly once, where the table said at its round.
    assert [s for s, _ in pump.received[PROBE]] == list(range(rounds))
    violations = [(s, p) for s, p in pump.received[PROBE]
                  if ofnum[p] != expected[s]]
    assert violations == []
    assert all(n == 0 for n in pump.untagged.values()), pump.untagged
    return pump


def check_background(pump, stream, min_frames):
    """The load was real, and none of it was lost or duplicated while the
    flow moved around (moving a flow never drops a packet)."""
    got = [s for s, _ in pump.received[stream.sid]]
    assert len(stream.sent) >= min_frames, (
        f"only {len(stream.sent)} background frames in {pump.elapsed:.1f}s")
    assert len(got) == len(set(got)), "a background frame came out twice"
    assert set(got) == stream.sent, (
        f"{len(stream.sent - set(got))} of {len(stream.sent)} background "
        "frames lost")
    # Each output port carried background frames: the flow really moved
    # under load.
    assert {p for _, p in pump.received[stream.sid]} == set(OUT_PORTS)


def test_barrier_reply_means_done_under_load(vswitchd, controller):
    """Background traffic is the probe's own flow: its megaflow and EMC
    entries are hot when each change comes."""
    hdr = header(dst_ip="10.0.0.2", dport=2000)
    bg = Stream(BG, "p1", hdr, per_turn=32)
    pump = run_rounds(vswitchd, controller, [bg], lambda pump: hdr)
    check_background(pump, bg, 10 * ROUNDS)


def test_barrier_reply_covers_racing_misses(vswitchd, controller):
    """Background traffic is a stream of new microflows of the same rules
    (each its own UDP source port, which a drop rule for port 7 makes the
    pipeline look at), so workers translate misses while the FLOW_MODs
    land. Each round's probe repeats the key of the microflow injected
    last before the FLOW_MODs: the megaflow installed for it, perhaps
    translated from the old rules after the revalidation started, must
    not outlive the BARRIER_REPLY."""
    c = controller
    c.flow_mod(parser.OFPMatch(in_port=c.ports["p1"], eth_type=0x0800,
                               ip_proto=17, udp_src=SENTINEL_SPORT),
               [], priority=400)
    hdr = header(dst_ip="10.0.0.2", dport=2000)

    def microflow(seq):
        return with_sport(hdr, 1024 + seq % MICROFLOWS)
    misses = Stream(BG, "p1", hdr, per_turn=8, hdr_of=microflow)

    def probe_hdr(pump):
        return microflow(max(pump.next_seq(BG) - 1, 0))
    pump = run_rounds(vswitchd, c, [misses], probe_hdr,
                      rounds=RACING_ROUNDS)
    check_background(pump, misses, 4 * RACING_ROUNDS)
