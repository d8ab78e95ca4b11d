"""Issue #5: OpenFlow 1.3 conformance, end to end, with os-ken as the
controller.

One vswitchd (shared by the module to stay fast) with dummy ports p1..p4
(OpenFlow ports 1..4) in a fail-mode secure bridge connects to a
controller written in the test (ofclient.OFClient: os-ken's message
classes over TCP). Each case starts from an empty switch (no flows,
groups or meters, default SET_CONFIG, every port up), installs its flows
(and groups/meters) followed by a BARRIER, injects frames built with
scapy through `dummy-inject` and asserts exactly which frames come out of
which port (`dummy-capture`): every expected frame is compared byte for
byte with one scapy built itself, so header rewrites and the checksums
they imply are checked too, and no port may carry anything else.

The tables below are the cases: MATCH_CASES (one flow with the match
under test against a catch-all, a frame that must hit and one that must
miss), ACTION_CASES (flows + frames -> expected frames per port). Groups,
meters, PACKET_IN/PACKET_OUT, FLOW_REMOVED, statistics and a `system`
port on a veth in a namespace have their own tests after them.
"""
import collections
import subprocess
import time

import pytest
from scapy.contrib.mpls import MPLS
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import ICMPv6EchoRequest, ICMPv6ND_NS, IPv6
from scapy.layers.l2 import ARP, Dot1Q, Ether
from scapy.packet import Raw

from conftest import Vswitchd, wait_for
from ofclient import OFClient, Rpc, dummy_bridge, ofp, parser

DP = OFClient.dp
P1, P2, P3, P4 = 1, 2, 3, 4
PORTS = {"p1": P1, "p2": P2, "p3": P3, "p4": P4}
NAME = {v: k for k, v in PORTS.items()}
MAC_A = "02:00:00:00:00:0a"
MAC_B = "02:00:00:00:00:0b"
MAC_X = "02:00:00:00:00:99"
PAD = b"conformance-payload-" * 2        # frames stay > 60 bytes after pops
# OpenFlow 1.2's config flag, which vswitchd (like Open vSwitch) keeps
# honouring in 1.3; os-ken's 1.3 module does not define it.
OFPC_INVALID_TTL_TO_CONTROLLER = 1 << 2

# ---------------------------------------------------------------- frames


def udp(src_ip="10.0.0.1", dst_ip="10.0.0.2", sport=1000, dport=2000,
        dst=MAC_B, src=MAC_A, ttl=64, tos=0, vlan=None, pcp=0):
    l2 = Ether(src=src, dst=dst)
    if vlan is not None:
        l2 = l2 / Dot1Q(vlan=vlan, prio=pcp)
    return bytes(l2 / IP(src=src_ip, dst=dst_ip, ttl=ttl, tos=tos)
                 / UDP(sport=sport, dport=dport) / Raw(PAD))


def tcp(src_ip="10.0.0.1", dst_ip="10.0.0.2", sport=1000, dport=80,
        dst=MAC_B, src=MAC_A, tos=0):
    return bytes(Ether(src=src, dst=dst)
                 / IP(src=src_ip, dst=dst_ip, tos=tos)
                 / TCP(sport=sport, dport=dport, flags="S", seq=1)
                 / Raw(PAD))


def icmp(type_=8):
    return bytes(Ether(src=MAC_A, dst=MAC_B) / IP(src="10.0.0.1",
                 dst="10.0.0.2") / ICMP(type=type_) / Raw(PAD))


def arp(op=1, tpa="10.0.0.9"):
    return bytes(Ether(src=MAC_A, dst="ff:ff:ff:ff:ff:ff")
                 / ARP(op=op, hwsrc=MAC_A, psrc="10.0.0.1", pdst=tpa)
                 / Raw(PAD))


def ip6(src="2001:db8:1::1", dst="2001:db8:2::2", l4=None):
    l4 = l4 if l4 is not None else UDP(sport=1, dport=2)
    return bytes(Ether(src=MAC_A, dst=MAC_B) / IPv6(src=src, dst=dst)
                 / l4 / Raw(PAD))


def mpls(label, ttl=64, inner=None):
    inner = inner or udp()
    return bytes(Ether(src=MAC_A, dst=MAC_B, type=0x8847)
                 / MPLS(label=label, cos=0, s=1, ttl=ttl)) + inner[14:]


def checksums_valid(raw):
    """Every checksum scapy knows in 'raw' is what scapy computes."""
    pkt = Ether(raw)
    for layer in pkt.layers():
        lay = pkt.getlayer(layer)
        for field in ("chksum", "cksum"):
            if field in lay.fields:
                lay.fields[field] = None
    return bytes(pkt) == raw

# ---------------------------------------------------------------- messages


def fm(match, apply=None, table=0, prio=100, goto=None, write=None,
       clear=False, meta=None, meter=None, cookie=0, flags=0,
       idle=0, hard=0):
    """A FLOW_MOD ADD; instruction order follows the spec's execution
    order (meter, apply, clear, write, metadata, goto)."""
    inst = []
    if meter is not None:
        inst.append(parser.OFPInstructionMeter(meter, ofp.OFPIT_METER))
    if apply:
        inst.append(parser.OFPInstructionActions(ofp.OFPIT_APPLY_ACTIONS,
                                                 apply))
    if clear:
        inst.append(parser.OFPInstructionActions(ofp.OFPIT_CLEAR_ACTIONS,
                                                 []))
    if write:
        inst.append(parser.OFPInstructionActions(ofp.OFPIT_WRITE_ACTIONS,
                                                 write))
    if meta is not None:
        inst.append(parser.OFPInstructionWriteMetadata(*meta))
    if goto is not None:
        inst.append(parser.OFPInstructionGotoTable(goto))
    return parser.OFPFlowMod(
        DP, cookie=cookie, table_id=table, command=ofp.OFPFC_ADD,
        priority=prio, idle_timeout=idle, hard_timeout=hard,
        buffer_id=ofp.OFP_NO_BUFFER, out_port=ofp.OFPP_ANY,
        out_group=ofp.OFPG_ANY, flags=flags,
        match=parser.OFPMatch(**match), instructions=inst)


def out(port, max_len=0xffff):
    return parser.OFPActionOutput(port, max_len)


def setf(**kw):
    return parser.OFPActionSetField(**kw)


def group(gtype, gid, buckets):
    """buckets: [(actions, weight, watch_port)]"""
    return parser.OFPGroupMod(DP, ofp.OFPGC_ADD, gtype, gid, [
        parser.OFPBucket(weight=w, watch_port=wp, watch_group=ofp.OFPG_ANY,
                         actions=acts) for acts, w, wp in buckets])


PIN_DEFAULT = 1 << ofp.OFPR_NO_MATCH | 1 << ofp.OFPR_ACTION
PIN_ALL = PIN_DEFAULT | 1 << ofp.OFPR_INVALID_TTL


def set_async(packet_in_mask):
    """SET_ASYNC for the master/equal role ('packet_in_mask'); port status
    and flow removed as the spec's defaults."""
    return parser.OFPSetAsync(DP, [packet_in_mask, 0], [0x7, 0x7],
                              [0xf, 0])


def catch_all(port=P3):
    return fm({}, [out(port)], prio=1)

# ---------------------------------------------------------------- switch


class Switch:
    """The module's vswitchd, its control socket and controller."""

    def __init__(self, vswitchd, client):
        self.d = vswitchd
        self.c = client
        self.rpc = Rpc(vswitchd.sock)

    def send_all(self, msgs):
        xids = [self.c.send(m) for m in msgs]
        xids.append(self.c.barrier())
        for xid in xids:
            self.c.check_error(xid)

    def multipart(self, req, timeout=5):
        """Sends a multipart request; returns the body of every reply."""
        xid = self.c.send(req)
        body = []
        while True:
            rep = self.c.recv_until(
                lambda m: getattr(m, "xid", None) == xid
                and not isinstance(m, parser.OFPErrorMsg)
                or xid in self.c.errors, timeout=timeout)
            self.c.check_error(xid)
            body += rep.body if isinstance(rep.body, list) else [rep.body]
            if not rep.flags & ofp.OFPMPF_REPLY_MORE:
                return body

    def port_hw(self, port):
        desc = self.multipart(parser.OFPPortDescStatsRequest(DP, 0))
        return next(p.hw_addr for p in desc if p.port_no == port)

    def port_mod(self, port, config, mask):
        self.send_all([parser.OFPPortMod(DP, port, self.port_hw(port),
                                         config, mask, 0)])

    def reset(self):
        self.send_all([
            parser.OFPFlowMod(DP, table_id=ofp.OFPTT_ALL,
                              command=ofp.OFPFC_DELETE,
                              out_port=ofp.OFPP_ANY, out_group=ofp.OFPG_ANY,
                              match=parser.OFPMatch()),
            parser.OFPGroupMod(DP, ofp.OFPGC_DELETE, 0, ofp.OFPG_ALL, []),
            parser.OFPMeterMod(DP, ofp.OFPMC_DELETE, 0, ofp.OFPM_ALL, []),
            parser.OFPSetConfig(DP, ofp.OFPC_FRAG_NORMAL, 128),
            set_async(PIN_DEFAULT)])
        for port in PORTS.values():
            self.port_mod(port, 0, ofp.OFPPC_PORT_DOWN)
        time.sleep(0.05)
        self.drain()
        self.c.async_msgs.clear()

    def drain(self):
        return {p: self.rpc.capture(p) for p in PORTS}

    def inject(self, port, frames):
        assert self.rpc.inject(port, frames) == len(frames)

    def run(self, sends, expected_total, settle=0.15, timeout=5):
        """Injects (port, frame) pairs; collects every port's output
        until 'expected_total' frames came out, then 'settle' s more so
        that extra frames show. Returns {ofport: [bytes]}."""
        for port, frame in sends:
            self.inject(NAME[port], [frame])
        got = collections.defaultdict(list)
        deadline = time.monotonic() + timeout
        while (sum(map(len, got.values())) < expected_total
               and time.monotonic() < deadline):
            for name, frames in self.drain().items():
                got[PORTS[name]] += frames
            time.sleep(0.005)
        time.sleep(settle)
        for name, frames in self.drain().items():
            got[PORTS[name]] += frames
        return {p: f for p, f in got.items() if f}

    def packet_ins(self, n, timeout=5):
        got = [m for m in self.c.async_msgs
               if isinstance(m, parser.OFPPacketIn)]
        self.c.async_msgs = [m for m in self.c.async_msgs
                             if not isinstance(m, parser.OFPPacketIn)]
        while len(got) < n:
            got.append(self.c.recv_until(
                lambda m: isinstance(m, parser.OFPPacketIn),
                timeout=timeout))
        return got


@pytest.fixture(scope="module")
def switch(tmp_path_factory):
    d = Vswitchd(tmp_path_factory.mktemp("conformance")).start()
    try:
        dummy_bridge(d, list(PORTS))
        srv, port = OFClient.listen()
        d.ctl("set-controller", "br0", f"tcp:127.0.0.1:{port}")
        client = OFClient.accept(srv)
        srv.close()
        sw = Switch(d, client)
        yield sw
        sw.rpc.close()
        client.close()
    finally:
        d.stop()


@pytest.fixture
def sw(switch):
    switch.reset()
    return switch


def assert_outputs(got, expected):
    """got/expected: {ofport: [bytes]}; exact frames, in order, valid
    checksums, nothing anywhere else."""
    for port, frames in got.items():
        for f in frames:
            assert checksums_valid(f), f"bad checksum on p{port}: {f.hex()}"
    norm_got = {p: [bytes(f) for f in fs] for p, fs in got.items() if fs}
    norm_exp = {p: [bytes(f) for f in fs] for p, fs in expected.items()
                if fs}
    if norm_got != norm_exp:
        lines = []
        for p in sorted(set(norm_got) | set(norm_exp)):
            for f in norm_exp.get(p, []):
                lines.append(f"want p{p}: {Ether(f).summary()} {f.hex()}")
            for f in norm_got.get(p, []):
                lines.append(f"got  p{p}: {Ether(f).summary()} {f.hex()}")
        raise AssertionError("outputs differ:\n" + "\n".join(lines))

# ---------------------------------------------------------------- matches

# (name, match, (in_port, hit frame), (in_port, miss frame))
MATCH_CASES = [
    ("in_port", dict(in_port=P1), (P1, udp()), (P4, udp())),
    ("eth_dst_masked",
     dict(eth_dst=("01:00:00:00:00:00", "01:00:00:00:00:00")),
     (P1, udp(dst="01:00:5e:00:00:01")), (P1, udp(dst=MAC_B))),
    ("eth_src", dict(eth_src=MAC_A), (P1, udp()), (P1, udp(src=MAC_X))),
    ("eth_src_masked", dict(eth_src=("02:00:00:00:00:00",
                                     "ff:ff:ff:00:00:00")),
     (P1, udp(src="02:00:00:12:34:56")), (P1, udp(src="06:00:00:00:00:0a"))),
    ("eth_type", dict(eth_type=0x86dd), (P1, ip6()), (P1, udp())),
    ("vlan_vid_present", dict(vlan_vid=(0x1000, 0x1000)),
     (P1, udp(vlan=7)), (P1, udp())),
    ("vlan_vid_none", dict(vlan_vid=0x0000),
     (P1, udp()), (P1, udp(vlan=7))),
    ("vlan_vid_exact", dict(vlan_vid=0x1000 | 10),
     (P1, udp(vlan=10)), (P1, udp(vlan=11))),
    ("vlan_pcp", dict(vlan_vid=(0x1000, 0x1000), vlan_pcp=5),
     (P1, udp(vlan=10, pcp=5)), (P1, udp(vlan=10, pcp=4))),
    ("ip_dscp", dict(eth_type=0x0800, ip_dscp=46),
     (P1, udp(tos=46 << 2)), (P1, udp(tos=10 << 2))),
    ("ip_proto", dict(eth_type=0x0800, ip_proto=17),
     (P1, udp()), (P1, tcp())),
    ("ipv4_src_prefix", dict(eth_type=0x0800,
                             ipv4_src=("10.1.0.0", "255.255.0.0")),
     (P1, udp(src_ip="10.1.200.3")), (P1, udp(src_ip="10.2.0.3"))),
    ("ipv4_dst_prefix", dict(eth_type=0x0800,
                             ipv4_dst=("192.168.7.0", "255.255.255.0")),
     (P1, udp(dst_ip="192.168.7.77")), (P1, udp(dst_ip="192.168.8.77"))),
    ("tcp_dst", dict(eth_type=0x0800, ip_proto=6, tcp_dst=80),
     (P1, tcp(dport=80)), (P1, tcp(dport=81))),
    ("tcp_src", dict(eth_type=0x0800, ip_proto=6, tcp_src=5555),
     (P1, tcp(sport=5555)), (P1, tcp(sport=5556))),
    ("udp_src_dst", dict(eth_type=0x0800, ip_proto=17, udp_src=53,
                         udp_dst=2000),
     (P1, udp(sport=53)), (P1, udp(sport=54))),
    ("icmpv4_type", dict(eth_type=0x0800, ip_proto=1, icmpv4_type=8),
     (P1, icmp(8)), (P1, icmp(0))),
    ("arp_op_tpa", dict(eth_type=0x0806, arp_op=1, arp_tpa="10.0.0.9"),
     (P1, arp(1, "10.0.0.9")), (P1, arp(1, "10.0.0.8"))),
    ("arp_op_reply", dict(eth_type=0x0806, arp_op=2),
     (P1, arp(2)), (P1, arp(1))),
    ("ipv6_src_prefix", dict(eth_type=0x86dd,
                             ipv6_src=("2001:db8:1::", "ffff:ffff:ffff::")),
     (P1, ip6(src="2001:db8:1::77")), (P1, ip6(src="2001:db8:3::77"))),
    ("ipv6_dst", dict(eth_type=0x86dd, ipv6_dst="2001:db8:2::2"),
     (P1, ip6()), (P1, ip6(dst="2001:db8:2::3"))),
    ("icmpv6_type", dict(eth_type=0x86dd, ip_proto=58, icmpv6_type=135),
     (P1, ip6(dst="ff02::1:ff00:2", l4=ICMPv6ND_NS(tgt="2001:db8:2::2"))),
     (P1, ip6(l4=ICMPv6EchoRequest()))),
    ("mpls_label", dict(eth_type=0x8847, mpls_label=100),
     (P1, mpls(100)), (P1, mpls(101))),
]


@pytest.mark.parametrize("name,match,hit,miss", MATCH_CASES,
                         ids=[c[0] for c in MATCH_CASES])
def test_match(sw, name, match, hit, miss):
    sw.send_all([fm(match, [out(P2)], prio=100), catch_all(P3)])
    assert_outputs(sw.run([hit], 1), {P2: [hit[1]]})
    assert_outputs(sw.run([miss], 1), {P3: [miss[1]]})


def test_metadata_across_tables(sw):
    """write_metadata (masked) in table 0, goto 1; table 1 matches it."""
    sw.send_all([
        fm(dict(in_port=P1), meta=(0xab00, 0xff00), goto=1),
        fm(dict(in_port=P4), meta=(0x1200, 0xff00), goto=1),
        fm(dict(metadata=(0xab00, 0xff00)), [out(P2)], table=1),
        fm(dict(metadata=0x1200), [out(P3)], table=1),
    ])
    f = udp()
    assert_outputs(sw.run([(P1, f)], 1), {P2: [f]})
    assert_outputs(sw.run([(P4, f)], 1), {P3: [f]})

# ---------------------------------------------------------------- actions


def ttl_frame(ttl):
    return udp(ttl=ttl)


# (name, flows, sends [(in_port, frame)], expected {port: [frames]})
ACTION_CASES = [
    ("output", [fm(dict(in_port=P1), [out(P4)])],
     [(P1, udp())], {P4: [udp()]}),
    ("multiple_outputs", [fm(dict(in_port=P1), [out(P2), out(P3), out(P4)])],
     [(P1, udp())], {P2: [udp()], P3: [udp()], P4: [udp()]}),
    ("output_in_port_needs_in_port",
     [fm(dict(in_port=P1), [out(P1), out(ofp.OFPP_IN_PORT), out(P2)])],
     [(P1, udp())], {P1: [udp()], P2: [udp()]}),
    ("set_eth_dst", [fm(dict(in_port=P1), [setf(eth_dst=MAC_X), out(P2)])],
     [(P1, udp())], {P2: [udp(dst=MAC_X)]}),
    ("set_field_between_outputs",
     [fm(dict(in_port=P1), [out(P2), setf(eth_src=MAC_X), out(P3)])],
     [(P1, udp())], {P2: [udp()], P3: [udp(src=MAC_X)]}),
    ("set_ipv4_dst",
     [fm(dict(eth_type=0x0800), [setf(ipv4_dst="10.9.9.9"), out(P2)])],
     [(P1, tcp())], {P2: [tcp(dst_ip="10.9.9.9")]}),
    ("set_ipv4_dst_udp",
     [fm(dict(eth_type=0x0800), [setf(ipv4_dst="10.9.9.9"), out(P2)])],
     [(P1, udp())], {P2: [udp(dst_ip="10.9.9.9")]}),
    ("set_tcp_dst",
     [fm(dict(eth_type=0x0800, ip_proto=6), [setf(tcp_dst=8080), out(P2)])],
     [(P1, tcp())], {P2: [tcp(dport=8080)]}),
    ("set_ip_dscp",
     [fm(dict(eth_type=0x0800), [setf(ip_dscp=26), out(P2)])],
     [(P1, udp(tos=2))], {P2: [udp(tos=(26 << 2) | 2)]}),
    ("set_vlan_vid",
     [fm(dict(vlan_vid=0x1000 | 10), [setf(vlan_vid=0x1000 | 20), out(P2)])],
     [(P1, udp(vlan=10, pcp=3))], {P2: [udp(vlan=20, pcp=3)]}),
    ("push_vlan_set_vid",
     [fm(dict(in_port=P1), [parser.OFPActionPushVlan(0x8100),
                            setf(vlan_vid=0x1000 | 42), out(P2)])],
     [(P1, udp())], {P2: [udp(vlan=42)]}),
    ("pop_vlan",
     [fm(dict(vlan_vid=0x1000 | 42), [parser.OFPActionPopVlan(), out(P2)])],
     [(P1, udp(vlan=42, pcp=6))], {P2: [udp()]}),
    ("push_mpls_set_label",
     [fm(dict(eth_type=0x0800), [parser.OFPActionPushMpls(0x8847),
                                 setf(mpls_label=300), out(P2)])],
     [(P1, udp(ttl=33))], {P2: [mpls(300, ttl=33, inner=udp(ttl=33))]}),
    ("pop_mpls",
     [fm(dict(eth_type=0x8847, mpls_label=300),
         [parser.OFPActionPopMpls(0x0800), out(P2)])],
     [(P1, mpls(300))], {P2: [udp()]}),
    ("dec_nw_ttl",
     [fm(dict(eth_type=0x0800), [parser.OFPActionDecNwTtl(), out(P2)])],
     [(P1, ttl_frame(64))], {P2: [ttl_frame(63)]}),
    ("set_nw_ttl",
     [fm(dict(eth_type=0x0800), [parser.OFPActionSetNwTtl(5), out(P2)])],
     [(P1, ttl_frame(64))], {P2: [ttl_frame(5)]}),
    ("write_actions_then_goto",
     # Table 1's apply runs before the action set: p3 gets the original,
     # the action set (end of pipeline) rewrites and outputs to p2.
     [fm(dict(in_port=P1), write=[setf(eth_dst=MAC_X), out(P2)], goto=1),
      fm({}, [out(P3)], table=1)],
     [(P1, udp())], {P3: [udp()], P2: [udp(dst=MAC_X)]}),
    ("write_actions_overwrite_output",
     # A later write of the same action type replaces the earlier one.
     [fm(dict(in_port=P1), write=[out(P2)], goto=1),
      fm({}, write=[out(P4)], table=1)],
     [(P1, udp())], {P4: [udp()]}),
    ("clear_actions",
     [fm(dict(in_port=P1), write=[setf(eth_dst=MAC_X), out(P2)], goto=1),
      fm({}, clear=True, write=[out(P3)], table=1)],
     [(P1, udp())], {P3: [udp()]}),
    ("no_flow_drops", [fm(dict(in_port=P4), [out(P2)])],
     [(P1, udp())], {}),
    ("empty_actions_drop", [fm(dict(in_port=P1), [])],
     [(P1, udp())], {}),
]


@pytest.mark.parametrize("name,flows,sends,expected", ACTION_CASES,
                         ids=[c[0] for c in ACTION_CASES])
def test_action(sw, name, flows, sends, expected):
    sw.send_all(flows)
    total = sum(map(len, expected.values()))
    assert_outputs(sw.run(sends, total), expected)


def test_dec_ttl_to_controller_invalid_ttl(sw):
    """TTL 1 -> dec_nw_ttl: dropped; a PACKET_IN with reason INVALID_TTL
    only once SET_CONFIG sets OFPC_INVALID_TTL_TO_CONTROLLER (SET_ASYNC
    lets the reason through: OpenFlow 1.3 masks it by default)."""
    sw.send_all([set_async(PIN_ALL),
                 fm(dict(eth_type=0x0800),
                    [parser.OFPActionDecNwTtl(), out(P2)], cookie=0x77)])
    assert_outputs(sw.run([(P1, ttl_frame(1))], 0), {})
    sw.c.echo()
    assert not [m for m in sw.c.async_msgs
                if isinstance(m, parser.OFPPacketIn)], \
        "INVALID_TTL PACKET_IN without OFPC_INVALID_TTL_TO_CONTROLLER"
    sw.send_all([parser.OFPSetConfig(
        DP, OFPC_INVALID_TTL_TO_CONTROLLER, 0xffff)])
    f = ttl_frame(1)
    assert_outputs(sw.run([(P1, f)], 0), {})
    (pin,) = sw.packet_ins(1)
    assert pin.reason == ofp.OFPR_INVALID_TTL
    assert pin.cookie == 0x77 and pin.table_id == 0
    assert pin.match["in_port"] == P1
    assert pin.data == f and pin.total_len == len(f)
    # TTL 2 is still forwarded (decremented to 1).
    assert_outputs(sw.run([(P1, ttl_frame(2))], 1), {P2: [ttl_frame(1)]})

# ---------------------------------------------------------------- groups


def group_stats(sw, gid):
    (g,) = sw.multipart(parser.OFPGroupStatsRequest(DP, 0, gid))
    assert g.group_id == gid
    return g


def install_group_all(sw):
    sw.send_all([
        group(ofp.OFPGT_ALL, 1, [([out(P2)], 0, ofp.OFPP_ANY),
                                 ([setf(eth_dst=MAC_X), out(P3)], 0,
                                  ofp.OFPP_ANY)]),
        fm(dict(in_port=P1), [parser.OFPActionGroup(1)])])


def test_group_all(sw):
    install_group_all(sw)
    assert group_stats(sw, 1).ref_count == 1        # the one flow
    f = udp()
    assert_outputs(sw.run([(P1, f)], 2), {P2: [f], P3: [udp(dst=MAC_X)]})
    wait_for(lambda: group_stats(sw, 1).packet_count == 1, timeout=5,
             message="group packet_count 1")
    g = group_stats(sw, 1)
    assert g.byte_count == len(f)
    assert [b.packet_count for b in g.bucket_stats] == [1, 1]
    assert [b.byte_count for b in g.bucket_stats] == [len(f)] * 2


def test_group_ref_count_after_traffic(sw):
    install_group_all(sw)
    f = udp()
    assert_outputs(sw.run([(P1, f)], 2), {P2: [f], P3: [udp(dst=MAC_X)]})
    wait_for(lambda: group_stats(sw, 1).packet_count == 1, timeout=5,
             message="group packet_count 1")
    assert group_stats(sw, 1).ref_count == 1


def test_group_indirect(sw):
    sw.send_all([
        group(ofp.OFPGT_INDIRECT, 7, [([setf(ipv4_dst="10.7.7.7"), out(P4)],
                                       0, ofp.OFPP_ANY)]),
        fm(dict(eth_type=0x0800), [parser.OFPActionGroup(7)]),
        fm(dict(eth_type=0x86dd), [parser.OFPActionGroup(7)])])
    assert_outputs(sw.run([(P1, udp())], 1), {P4: [udp(dst_ip="10.7.7.7")]})


def test_group_select(sw):
    sw.send_all([
        group(ofp.OFPGT_SELECT, 2, [([out(p)], 1, ofp.OFPP_ANY)
                                    for p in (P2, P3, P4)]),
        fm(dict(in_port=P1), [parser.OFPActionGroup(2)])])
    # Different 5-tuples spread over the buckets, each exactly once.
    frames = [udp(sport=1000 + i, src_ip=f"10.0.{i}.1") for i in range(96)]
    got = sw.run([(P1, f) for f in frames], len(frames))
    assert sorted(f for fs in got.values() for f in fs) == sorted(frames)
    assert len(got) >= 2, f"all 96 flows on one bucket: {list(got)}"
    # One flow sticks to one bucket.
    got = sw.run([(P1, frames[5])] * 20, 20)
    assert len(got) == 1 and len(next(iter(got.values()))) == 20, got


def test_group_fast_failover(sw):
    sw.send_all([
        group(ofp.OFPGT_FF, 3, [([out(P2)], 0, P2), ([out(P3)], 0, P3)]),
        fm(dict(in_port=P1), [parser.OFPActionGroup(3)])])
    f = udp()
    assert_outputs(sw.run([(P1, f)], 1), {P2: [f]})
    sw.port_mod(P2, ofp.OFPPC_PORT_DOWN, ofp.OFPPC_PORT_DOWN)
    assert_outputs(sw.run([(P1, f)], 1), {P3: [f]})
    sw.port_mod(P2, 0, ofp.OFPPC_PORT_DOWN)
    assert_outputs(sw.run([(P1, f)], 1), {P2: [f]})

# ---------------------------------------------------------------- meters


def test_meter_pktps_drops_burst(sw):
    sw.send_all([
        parser.OFPMeterMod(DP, ofp.OFPMC_ADD,
                           ofp.OFPMF_PKTPS | ofp.OFPMF_BURST | ofp.OFPMF_STATS,
                           5, [parser.OFPMeterBandDrop(rate=10,
                                                       burst_size=10)]),
        fm(dict(in_port=P1), [out(P2)], meter=5)])
    burst = 200
    frames = [udp(sport=3000 + (i % 4)) for i in range(burst)]
    for i in range(0, burst, 50):
        sw.inject("p1", frames[i:i + 50])
    time.sleep(0.3)
    passed = len(sw.drain()["p2"])
    assert 1 <= passed <= 60, f"{passed} of {burst} frames passed the meter"

    def stats():
        (m,) = sw.multipart(parser.OFPMeterStatsRequest(DP, 0, 5))
        return m
    wait_for(lambda: stats().packet_in_count == burst, timeout=5,
             message="meter packet_in_count")
    m = stats()
    assert m.meter_id == 5 and m.flow_count == 1
    assert m.band_stats[0].packet_band_count == burst - passed

# ---------------------------------------------------------------- controller


def test_packet_in_no_match_truncated(sw):
    sw.send_all([fm({}, [out(ofp.OFPP_CONTROLLER, 64)], prio=0,
                    cookie=0xc0ffee)])
    f = udp() + b"\0" * 100
    sw.inject("p1", [f])
    (pin,) = sw.packet_ins(1)
    assert pin.reason == ofp.OFPR_NO_MATCH
    assert pin.table_id == 0 and pin.cookie == 0xc0ffee
    assert pin.match["in_port"] == P1
    assert "metadata" not in dict(pin.match.items())
    assert pin.total_len == len(f)
    assert pin.data == f[:64]
    assert pin.buffer_id == ofp.OFP_NO_BUFFER


def packet_in_from_table_3(sw, cookie):
    """write_metadata in table 0, output:CONTROLLER from table 3."""
    sw.send_all([
        fm(dict(in_port=P1), meta=(0x5a5a, 0xffff), goto=3),
        fm(dict(eth_type=0x0800), [out(ofp.OFPP_CONTROLLER,
                                       ofp.OFPCML_NO_BUFFER)],
           table=3, cookie=cookie)])
    f = udp()
    sw.inject("p1", [f])
    (pin,) = sw.packet_ins(1)
    return f, pin


def test_packet_in_action(sw):
    f, pin = packet_in_from_table_3(sw, 0x55)
    assert pin.reason == ofp.OFPR_ACTION
    assert pin.table_id == 3 and pin.cookie == 0x55
    assert pin.match["in_port"] == P1
    assert pin.data == f and pin.total_len == len(f)
    assert pin.buffer_id == ofp.OFP_NO_BUFFER


def test_packet_in_carries_metadata(sw):
    f, pin = packet_in_from_table_3(sw, 0x56)
    assert pin.table_id == 3 and pin.cookie == 0x56
    assert pin.match.get("metadata") == 0x5a5a, pin.match

def test_packet_out(sw):
    sw.send_all([fm(dict(in_port=P1), [setf(eth_dst=MAC_X), out(P2)])])
    f = udp()
    # Explicit output, from the controller.
    sw.send_all([parser.OFPPacketOut(DP, buffer_id=ofp.OFP_NO_BUFFER,
                                     in_port=ofp.OFPP_CONTROLLER,
                                     actions=[out(P3), out(P4)], data=f)])
    assert_outputs(sw.run([], 2), {P3: [f], P4: [f]})
    # OFPP_TABLE: through the flow table as if received on p1.
    sw.send_all([parser.OFPPacketOut(DP, buffer_id=ofp.OFP_NO_BUFFER,
                                     in_port=P1,
                                     actions=[out(ofp.OFPP_TABLE)], data=f)])
    assert_outputs(sw.run([], 1), {P2: [udp(dst=MAC_X)]})


def flow_counts(sw, table=0):
    """{cookie: (packet_count, byte_count)} of the flows in 'table'."""
    body = sw.multipart(parser.OFPFlowStatsRequest(
        DP, 0, table, ofp.OFPP_ANY, ofp.OFPG_ANY, 0, 0, parser.OFPMatch()))
    return {s.cookie: (s.packet_count, s.byte_count) for s in body}


def test_flow_removed_on_delete(sw):
    match = dict(in_port=P1, eth_type=0x0800)
    sw.send_all([fm(match, [out(P2)], prio=321, cookie=0xfeed,
                    flags=ofp.OFPFF_SEND_FLOW_REM)])
    f = udp()
    assert_outputs(sw.run([(P1, f)] * 3, 3), {P2: [f] * 3})
    # Datapath counters reach the flow table periodically; once flow
    # stats show the packets, FLOW_REMOVED must carry them too.
    wait_for(lambda: flow_counts(sw) == {0xfeed: (3, 3 * len(f))},
             timeout=5, message="flow stats of the flow to delete")
    sw.send_all([parser.OFPFlowMod(
        DP, table_id=0, command=ofp.OFPFC_DELETE_STRICT, priority=321,
        out_port=ofp.OFPP_ANY, out_group=ofp.OFPG_ANY,
        match=parser.OFPMatch(**match))])
    queued = [m for m in sw.c.async_msgs
              if isinstance(m, parser.OFPFlowRemoved)]
    rem = queued[0] if queued else sw.c.recv_until(
        lambda m: isinstance(m, parser.OFPFlowRemoved))
    assert rem.reason == ofp.OFPRR_DELETE
    assert rem.cookie == 0xfeed and rem.priority == 321
    assert rem.table_id == 0
    assert rem.match["in_port"] == P1 and rem.match["eth_type"] == 0x0800
    assert rem.packet_count == 3 and rem.byte_count == 3 * len(f)


def test_stats_reflect_traffic(sw):
    sw.send_all([fm(dict(in_port=P1), [out(P2)], cookie=0xa1),
                 fm(dict(in_port=P4), [], cookie=0xa2)])
    base = {s.port_no: s for s in
            sw.multipart(parser.OFPPortStatsRequest(DP, 0, ofp.OFPP_ANY))}
    tbase = sw.multipart(parser.OFPTableStatsRequest(DP, 0))[0]
    f = udp()
    assert_outputs(sw.run([(P1, f)] * 5 + [(P4, f)] * 2, 5), {P2: [f] * 5})

    wait_for(lambda: flow_counts(sw) == {0xa1: (5, 5 * len(f)),
                                         0xa2: (2, 2 * len(f))},
             timeout=5, message="flow stats of both flows")

    ports = {s.port_no: s for s in
             sw.multipart(parser.OFPPortStatsRequest(DP, 0, ofp.OFPP_ANY))}
    assert ports[P1].rx_packets - base[P1].rx_packets == 5
    assert ports[P4].rx_packets - base[P4].rx_packets == 2
    assert ports[P2].tx_packets - base[P2].tx_packets == 5
    assert ports[P3].tx_packets == base[P3].tx_packets

    t0 = sw.multipart(parser.OFPTableStatsRequest(DP, 0))[0]
    assert t0.table_id == 0 and t0.active_count == 2
    assert t0.lookup_count - tbase.lookup_count >= 7
    assert t0.matched_count - tbase.matched_count >= 7

def test_port_stats_bytes(sw):
    sw.send_all([fm(dict(in_port=P1), [out(P2)])])
    base = {s.port_no: s for s in
            sw.multipart(parser.OFPPortStatsRequest(DP, 0, ofp.OFPP_ANY))}
    f = udp()
    assert_outputs(sw.run([(P1, f)] * 4, 4), {P2: [f] * 4})
    ports = {s.port_no: s for s in
             sw.multipart(parser.OFPPortStatsRequest(DP, 0, ofp.OFPP_ANY))}
    assert ports[P1].rx_bytes - base[P1].rx_bytes == 4 * len(f)
    assert ports[P2].tx_bytes - base[P2].tx_bytes == 4 * len(f)


# ---------------------------------------------------------------- system port

NS_SCRIPT = r"""
import socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind(("eth0", 0)); s.settimeout(5)
want = bytes.fromhex(sys.argv[2])
print("ready", flush=True)
sys.stdin.readline()
s.send(bytes.fromhex(sys.argv[1]))
end = time.time() + 5
while time.time() < end:
    try:
        f = s.recv(2048)
    except socket.timeout:
        break
    if want in f:
        print(f.hex(), flush=True)
        break
else:
    print("none", flush=True)
"""


def test_system_port_on_veth(sw, netns):
    """A `system` port (AF_PACKET on a veth whose peer is in a namespace):
    frames from the namespace are matched on its in_port and rewritten,
    and frames from a dummy port reach the namespace rewritten."""
    ns, host_if = netns.add()
    sw.d.ctl("add-port", "br0", host_if, "--", "type=system", "ofport=9",
             "options:xdp-mode=af-packet")
    try:
        sw.send_all([
            fm(dict(in_port=9, eth_type=0x0800, ip_proto=17, udp_dst=4444),
               [setf(ipv4_dst="10.4.4.4"), out(P2)]),
            fm(dict(in_port=P1), [setf(eth_dst=MAC_X), out(9)])])
        from_ns = udp(dport=4444)
        marker = PAD + b"to-ns"
        to_ns = bytes(Ether(src=MAC_B, dst=MAC_A)
                      / IP(src="10.0.0.1", dst="10.0.0.2")
                      / UDP(sport=1000, dport=5555) / Raw(marker))
        proc = netns.popen(ns, "/usr/bin/python3", "-c", NS_SCRIPT,
                           from_ns.hex(), marker.hex(),
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           text=True)
        try:
            assert proc.stdout.readline().strip() == "ready"
            time.sleep(0.2)
            proc.stdin.write("go\n")
            proc.stdin.flush()
            got = sw.run([], 1, timeout=5)
            assert_outputs(got, {P2: [udp(dport=4444, dst_ip="10.4.4.4")]})
            sw.inject("p1", [to_ns])
            line = proc.stdout.readline().strip()
            proc.wait(timeout=10)
        finally:
            proc.kill()
        assert line != "none", "nothing reached the namespace"
        rewritten = bytes(Ether(src=MAC_B, dst=MAC_X))[:12] + to_ns[12:]
        assert bytes.fromhex(line) == rewritten
    finally:
        sw.d.ctl("del-port", "br0", host_if, check=False)
