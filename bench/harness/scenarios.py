"""The benchmark scenarios, defined once for every contender.

A scenario names its ports (in OpenFlow port order), the traffic each input
port replays, the OpenFlow 1.3 rules that give the intended behaviour, and,
per contender, whether it can run it today:

* ``RUN``: run it with the rules (vswitch and Open vSwitch: fail-mode
  secure, the same flow file installed over OpenFlow 1.3) or the equivalent
  built-in behaviour (testpmd's io forwarding).
* ``pending: ...``: the contender cannot express the behaviour yet (e.g.
  vswitch before tunnels); reported as skipped.
* ``n/a: ...``: meaningless for the contender (testpmd has no flow table).

Port kinds: ``replay`` (net_pcap, rx_pcap with infinite_rx=1: the traffic),
``once`` (net_pcap, rx_pcap read once, for the new-flow stream), ``learn``
(net_pcap replaying one frame from the destination MAC once, so NORMAL learns
the destination there; its tx drops and counts), ``sink`` (net_null with
no-rx=1: the output, counts and frees).
"""

from dataclasses import dataclass, field

RUN = "run"
PENDING_TNL = "pending tunnels (VXLAN decap)"
PENDING_OVS_TNL = "pending: harness has no OVS VXLAN underlay config yet"
NA_NOFLOWS = "n/a: io forwarder has no flow table"


@dataclass
class Port:
    name: str
    ofport: int
    kind: str            # replay | once | learn | sink
    traffic: tuple = ()  # (TrafficCache method, arg) for replay/once


@dataclass
class Scenario:
    sid: str
    group: int
    title: str
    kind: str            # rate | newflow | flowmod
    ports: list
    rules: object        # list of ovs-ofctl lines, or a callable(cache)
    support: dict        # contender -> RUN | "pending: ..." | "n/a: ..."
    note: dict = field(default_factory=dict)   # contender -> label
    emc_variants: bool = False   # also run OVS with the EMC disabled
    out: str = "p2"      # port whose tx counter is the forwarding rate
    est_out: str = ""    # newflow: the established flow's output port
    quick: bool = False  # part of --quick
    quick_n: int = 0     # --quick: flows/packets to use instead (0: same)
    max_reps: int = 0    # cap on repetitions (0: --reps)
    ovs_bundle: bool = False   # also run OVS with ovs-ofctl --bundle


def _two_ports(traffic):
    return [Port("p1", 1, "replay", traffic), Port("p2", 2, "sink")]


def _dst32_rules(cache):
    del cache
    rules = ["priority=10,ip,nw_dst=10.1.%d.%d,actions=output:2"
             % (k >> 8, k & 255) for k in range(1000)]
    return rules + ["priority=0,actions=drop"]


SCENARIOS = []


def _add(*args, **kwargs):
    SCENARIOS.append(Scenario(*args, **kwargs))


for _n, _label in ((1, "1"), (1000, "1k"), (100000, "100k")):
    _add(f"fwd-{_label}", 1, f"in_port=1 -> output:2, {_label} flows", "rate",
         _two_ports(("udp_flows", _n)), ["in_port=1,actions=output:2"],
         {"vswitch": RUN, "ovs": RUN, "testpmd": RUN},
         emc_variants=_n >= 100000, quick=_n == 1)

for _n, _label in ((1000, "1k"), (100000, "100k")):
    _add(f"l4-{_label}", 2, f"ip,nw_proto=17,in_port=1 -> output:2, "
         f"{_label} flows", "rate", _two_ports(("udp_flows", _n)),
         ["ip,nw_proto=17,in_port=1,actions=output:2"],
         {"vswitch": RUN, "ovs": RUN, "testpmd": RUN},
         emc_variants=_n >= 100000, quick=_n == 1000)

_add("dst32-100k", 3, "1,000 /32 dst rules + drop, 100k flows", "rate",
     _two_ports(("udp_flows", 100000)), _dst32_rules,
     {"vswitch": RUN, "ovs": RUN, "testpmd": RUN}, emc_variants=True)

for _n, _label in ((1000, "1k"), (100000, "100k")):
    _add(f"normal-{_label}", 4, f"NORMAL (MAC learning), {_label} flows",
         "rate", [Port("p1", 1, "replay", ("udp_flows", _n)),
                  Port("p2", 2, "learn", ("learn_frame",))],
         ["actions=NORMAL"],
         {"vswitch": RUN, "ovs": RUN, "testpmd": RUN},
         note={"testpmd": "io forward p1 -> p2"},
         emc_variants=_n >= 100000, quick=_n == 1000)

_add("vxlan-1k", 5, "VXLAN decap, 1k inner flows", "rate",
     _two_ports(("vxlan_flows", 1000)), [],
     {"vswitch": PENDING_TNL, "ovs": PENDING_OVS_TNL, "testpmd": RUN},
     note={"testpmd": "io forward of the encapsulated frames"})

_add("newflow", 6, "new-flow setup (every packet a new flow) + 1 "
     "established flow", "newflow",
     [Port("p1", 1, "once", ("new_flows", None)), Port("p2", 2, "sink"),
      Port("p3", 3, "replay", ("udp_flows", 1)), Port("p4", 4, "sink")],
     ["priority=100,in_port=1,dl_src=02:00:00:00:00:01,actions=output:4",
      "priority=10,in_port=1,actions=output:2",
      "priority=10,in_port=3,actions=output:4"],
     {"vswitch": RUN, "ovs": RUN, "testpmd": NA_NOFLOWS},
     out="p2", est_out="p4")

_add("flowmod-100k", 7, "flow_mod rate: 100k flows over OpenFlow 1.3 + "
     "barrier", "flowmod", _two_ports(("udp_flows", 1)), [],
     {"vswitch": RUN, "ovs": RUN, "testpmd": NA_NOFLOWS},
     # Unbundled, OVS takes minutes for 100k flow_mods while a PMD runs:
     # one repetition per full run.  --quick installs 10k.
     max_reps=1, ovs_bundle=True, quick=True, quick_n=10000)


def by_id():
    return {s.sid: s for s in SCENARIOS}
