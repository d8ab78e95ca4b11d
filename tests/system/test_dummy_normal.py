"""NORMAL forwarding end to end through vswitchd with `dummy` ports:
learning, flooding, MAC moves, ageing and VLAN isolation. Frames are
injected and captured through the control socket, so every check is exact.
"""
import time

import pytest
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Dot1Q, Ether

from conftest import wait_for

A = "02:00:00:00:00:0a"
B = "02:00:00:00:00:0b"
C = "02:00:00:00:00:0c"
BCAST = "ff:ff:ff:ff:ff:ff"
SETTLE = 0.5   # seconds to wait before asserting that nothing arrived


def frame(src, dst, vlan=None, pcp=0, payload=b"x" * 32):
    eth = Ether(src=src, dst=dst)
    if vlan is not None:
        eth = eth / Dot1Q(vlan=vlan, prio=pcp)
    return bytes(eth / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=1, dport=2)
                 / payload)


class Capture:
    """Accumulates what each dummy port transmitted."""

    def __init__(self, vswitchd, ports):
        self.vswitchd = vswitchd
        self.got = {p: [] for p in ports}

    def poll(self):
        for p in self.got:
            self.got[p] += [Ether(f) for f in self.vswitchd.capture(p)]

    def clear(self):
        self.poll()
        for p in self.got:
            self.got[p] = []

    def expect(self, receivers, count=1):
        """Waits until every port in 'receivers' got 'count' frames, then
        checks that no other port got any. Returns the frames by port."""
        def done():
            self.poll()
            return all(len(self.got[p]) >= count for p in receivers)
        wait_for(done, timeout=10, message=f"frames on {receivers}")
        time.sleep(SETTLE)
        self.poll()
        for p, frames in self.got.items():
            want = count if p in receivers else 0
            assert len(frames) == want, (
                f"port {p}: got {len(frames)} frames, expected {want}: "
                + "; ".join(f.summary() for f in frames))
        result = dict(self.got)
        for p in self.got:
            self.got[p] = []
        return result


@pytest.fixture
def bridge(vswitchd):
    vswitchd.ctl("add-br", "br0")
    return vswitchd


def test_learning_and_flooding(bridge):
    ports = ["d1", "d2", "d3"]
    for p in ports:
        bridge.ctl("add-port", "br0", p, "--", "type=dummy")
    cap = Capture(bridge, ports)

    # Unknown unicast floods to every port but the input.
    bridge.inject("d1", frame(A, B))
    cap.expect(["d2", "d3"])
    # The reply goes only where A was learned.
    bridge.inject("d2", frame(B, A))
    got = cap.expect(["d1"])
    assert got["d1"][0].src == B
    # Now both are known: unicast both ways.
    bridge.inject("d1", frame(A, B))
    cap.expect(["d2"])
    # Broadcast floods.
    bridge.inject("d3", frame(C, BCAST))
    cap.expect(["d1", "d2"])

    fdb = {(e["mac"], e["vlan"]): e["port"] for e in bridge.ctl_json("fdb-show", "br0")}
    assert fdb[(A, 0)] == "d1"
    assert fdb[(B, 0)] == "d2"
    assert fdb[(C, 0)] == "d3"
    human = bridge.ctl("fdb-show", "br0").stdout
    assert A in human and "d1" in human

    # A moves to d3: traffic to A follows it.
    bridge.inject("d3", frame(A, B))
    cap.expect(["d2"])
    bridge.inject("d2", frame(B, A))
    cap.expect(["d3"])

    # A frame to the MAC learned on its own input port goes nowhere.
    bridge.inject("d2", frame(C, B))
    cap.expect([])

    # Port stats count exactly what was injected and captured above.
    stats = {s["port"]: s for s in bridge.ctl_json("port-stats")}
    rx = {p: stats[p]["rx_packets"] for p in ports}
    tx = {p: stats[p]["tx_packets"] for p in ports}
    assert rx == {"d1": 2, "d2": 3, "d3": 2}
    assert tx == {"d1": 2, "d2": 4, "d3": 2}


def test_mac_ageing(bridge):
    for p in ("d1", "d2"):
        bridge.ctl("add-port", "br0", p, "--", "type=dummy")
    bridge.ctl("set-global", "mac-aging-time=2")
    cap = Capture(bridge, ["d1", "d2"])
    bridge.inject("d1", frame(A, BCAST))
    cap.expect(["d2"])
    assert any(e["mac"] == A for e in bridge.ctl_json("fdb-show", "br0"))
    wait_for(lambda: not any(e["mac"] == A
                             for e in bridge.ctl_json("fdb-show", "br0")),
             timeout=10, message="MAC entry to age out")
    # Once aged out, traffic to A floods again.
    bridge.inject("d2", frame(B, A))
    cap.expect(["d1"])


def test_vlan_isolation(bridge):
    bridge.ctl("add-port", "br0", "a10", "--", "type=dummy", "tag=10")
    bridge.ctl("add-port", "br0", "b10", "--", "type=dummy", "tag=10")
    bridge.ctl("add-port", "br0", "c20", "--", "type=dummy", "tag=20")
    bridge.ctl("add-port", "br0", "trunk", "--", "type=dummy", "trunks=10,20")
    cap = Capture(bridge, ["a10", "b10", "c20", "trunk"])

    # Broadcast in VLAN 10: the other access port untagged, the trunk tagged.
    bridge.inject("a10", frame(A, BCAST))
    got = cap.expect(["b10", "trunk"])
    assert Dot1Q not in got["b10"][0]
    assert got["trunk"][0][Dot1Q].vlan == 10

    # Tagged VLAN 20 from the trunk reaches only the VLAN-20 port, untagged.
    bridge.inject("trunk", frame(B, BCAST, vlan=20, pcp=5))
    got = cap.expect(["c20"])
    assert Dot1Q not in got["c20"][0]

    # A VLAN the trunk does not carry is dropped.
    bridge.inject("trunk", frame(B, BCAST, vlan=30))
    cap.expect([])

    # A tagged frame on an access port is dropped.
    bridge.inject("a10", frame(A, BCAST, vlan=20))
    cap.expect([])

    # A is known in VLAN 10 only: a frame to A in VLAN 20 floods in VLAN 20.
    bridge.inject("trunk", frame(C, A, vlan=20))
    cap.expect(["c20"])
    # ...and in VLAN 10 goes straight to a10, untagged (an access port).
    bridge.inject("trunk", frame(C, A, vlan=10, pcp=3))
    got = cap.expect(["a10"])
    assert Dot1Q not in got["a10"][0]

    # PCP is preserved trunk-to-trunk: add a second trunk.
    bridge.ctl("add-port", "br0", "trunk2", "--", "type=dummy")
    cap.got["trunk2"] = []
    bridge.inject("trunk", frame(C, BCAST, vlan=20, pcp=6))
    got = cap.expect(["c20", "trunk2"])
    assert got["trunk2"][0][Dot1Q].vlan == 20
    assert got["trunk2"][0][Dot1Q].prio == 6

    fdb = bridge.ctl_json("fdb-show", "br0")
    vlans_of_a = {e["vlan"] for e in fdb if e["mac"] == A}
    assert vlans_of_a == {10}


def test_port_vlan_reconfigure(bridge):
    bridge.ctl("add-port", "br0", "p1", "--", "type=dummy", "tag=10")
    bridge.ctl("add-port", "br0", "p2", "--", "type=dummy", "tag=20")
    cap = Capture(bridge, ["p1", "p2"])
    bridge.inject("p1", frame(A, BCAST))
    cap.expect([])
    bridge.ctl("set", "Port", "p2", "tag=10")
    bridge.inject("p1", frame(A, BCAST))
    cap.expect(["p2"])


def test_bad_cli_input(bridge):
    bad = [
        ("add-port", "br0", "x", "--", "type=dummy", "tag=5000"),
        ("add-port", "br0", "x", "--", "type=warp"),
        ("add-port", "br0", "x", "--", "type=dpdk", "options:dpdk-devargs=net_nonexistent0"),
        ("set-global", "pmd-cpu-mask=zz"),
        ("set-global", "no-such-key=1"),
        ("del-port", "nosuchport"),
        ("fdb-show", "nosuchbr"),
        ("dummy-inject", "nosuchport", "00"),
    ]
    for args in bad:
        r = bridge.ctl(*args, check=False)
        assert r.returncode != 0, f"{args} should fail"
        assert r.stderr.strip(), f"{args} gave no error message"
    # The daemon is still fine and holds no half-made port.
    ports = bridge.ctl("list-ports", "br0").stdout.split()
    assert "x" not in ports
    bridge.ctl("add-port", "br0", "d1", "--", "type=dummy")
    r = bridge.ctl("add-port", "br0", "d1", "--", "type=dummy", check=False)
    assert r.returncode != 0 and "d1" in r.stderr
