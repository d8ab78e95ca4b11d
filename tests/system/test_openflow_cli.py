"""vswitch-ctl's OpenFlow commands against a running vswitchd: every
bridge is an OpenFlow 1.3 switch reached through "<rundir>/<BR>.mgmt".

Flows, groups and meters are changed and dumped in ovs-ofctl's syntax and
output format; add-flows streams a 1000-flow file; fail modes and
controllers persist across restarts; trace shows the pipeline walk; and
frames injected into dummy ports are forwarded by the flows, leaving
megaflows that dump-dp-flows shows.
"""
import re
import time

from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

from conftest import wait_for

FRESH = re.compile(r"^ cookie=0x0, duration=[0-9.]+s, table=0, n_packets=0, "
                   r"n_bytes=0, priority=0 actions=NORMAL$")


def flows(vswitchd, br="br0", *filt):
    """dump-flows lines without the headings (one per reply part, as
    ovs-ofctl prints them)."""
    out = vswitchd.ctl("dump-flows", br, *filt).stdout.splitlines()
    assert out[0].startswith("OFPST_FLOW reply (OF1.3)"), out
    return [line for line in out if not line.startswith("OFPST_FLOW")]


def strip_stats(line):
    """A dump-flows line without its changing fields (as ovs tests do)."""
    return re.sub(r" (cookie=0x0|duration=[0-9.]+s|n_packets=\d+|"
                  r"n_bytes=\d+),", "", line).strip()


def frame(src="02:00:00:00:00:0a", dst="02:00:00:00:00:0b", dport=2):
    return bytes(Ether(src=src, dst=dst) / IP(src="10.0.0.1", dst="10.0.0.2")
                 / UDP(sport=1, dport=dport) / (b"x" * 32))


def test_fresh_bridge_has_the_normal_flow(vswitchd):
    vswitchd.ctl("add-br", "br0")
    lines = flows(vswitchd)
    assert len(lines) == 1 and FRESH.match(lines[0]), lines
    tables = vswitchd.ctl("dump-tables", "br0").stdout
    assert tables.startswith("OFPST_TABLE reply (OF1.3)")
    assert "table 0:\n    active=1, lookup=0, matched=0" in tables
    assert "tables 2...253: ditto" in tables


def test_add_mod_del_flows(vswitchd):
    vswitchd.ctl("add-br", "br0")
    vswitchd.ctl("set-fail-mode", "br0", "secure")
    assert flows(vswitchd) == []
    vswitchd.ctl("add-flow", "br0", "priority=10,ip,nw_dst=10.0.0.2,"
                 "actions=output:2")
    vswitchd.ctl("add-flow", "br0", "priority=20,ip,nw_dst=10.0.0.2,"
                 "actions=output:3")
    vswitchd.ctl("add-flow", "br0", "table=1,priority=5,actions=drop")
    assert [strip_stats(f) for f in flows(vswitchd)] == [
        "table=0, priority=20,ip,nw_dst=10.0.0.2 actions=output:3",
        "table=0, priority=10,ip,nw_dst=10.0.0.2 actions=output:2",
        "table=1, priority=5 actions=drop",
    ]
    assert [strip_stats(f) for f in flows(vswitchd, "br0", "table=1")] == [
        "table=1, priority=5 actions=drop"]

    # Non-strict modify: both table-0 flows match the filter.
    vswitchd.ctl("mod-flows", "br0", "ip,nw_dst=10.0.0.2,actions=output:4")
    assert [strip_stats(f) for f in flows(vswitchd, "br0", "table=0")] == [
        "table=0, priority=20,ip,nw_dst=10.0.0.2 actions=output:4",
        "table=0, priority=10,ip,nw_dst=10.0.0.2 actions=output:4",
    ]
    # Strict: only the exact match and priority.
    vswitchd.ctl("mod-flows", "br0", "priority=10,ip,nw_dst=10.0.0.2,"
                 "actions=output:5", "--strict")
    vswitchd.ctl("del-flows", "br0", "priority=20,ip,nw_dst=10.0.0.2",
                 "--strict")
    assert [strip_stats(f) for f in flows(vswitchd)] == [
        "table=0, priority=10,ip,nw_dst=10.0.0.2 actions=output:5",
        "table=1, priority=5 actions=drop",
    ]
    doc = vswitchd.ctl_json("dump-flows", "br0")
    assert [(f["table"], f["priority"], f["match"], f["actions"])
            for f in doc] == [(0, 10, "ip,nw_dst=10.0.0.2", "output:5"),
                              (1, 5, "", "drop")]
    vswitchd.ctl("del-flows", "br0")
    assert flows(vswitchd) == []


def test_flow_timeouts(vswitchd):
    vswitchd.ctl("add-br", "br0")
    vswitchd.ctl("set-fail-mode", "br0", "secure")
    vswitchd.ctl("add-flow", "br0", "priority=3,hard_timeout=1,actions=drop")
    vswitchd.ctl("add-flow", "br0", "priority=4,idle_timeout=1,actions=drop")
    vswitchd.ctl("add-flow", "br0", "priority=5,actions=drop")
    assert len(flows(vswitchd)) == 3
    wait_for(lambda: [strip_stats(f) for f in flows(vswitchd)] == [
        "table=0, priority=5 actions=drop"], timeout=5,
        message="the flows with timeouts expired")


def test_flow_errors(vswitchd):
    vswitchd.ctl("add-br", "br0")
    r = vswitchd.ctl("add-flow", "br0", "nw_sorc=1,actions=drop", check=False)
    assert r.returncode == 1 and 'unknown field "nw_sorc"' in r.stderr
    # The switch refuses it: the error names the flow and the OpenFlow
    # error (254 tables: 0..253).
    r = vswitchd.ctl("add-flow", "br0", "table=254,actions=drop", check=False)
    assert r.returncode == 1
    assert ('the switch refused "table=254,actions=drop": '
            "FLOW_MOD_FAILED/BAD_TABLE_ID") in r.stderr
    r = vswitchd.ctl("add-flow", "br0", "actions=group:9", check=False)
    assert r.returncode == 1 and "actions=group:9" in r.stderr
    r = vswitchd.ctl("add-flow", "brX", "actions=drop", check=False)
    assert r.returncode == 1 and "unknown bridge 'brX'" in r.stderr
    r = vswitchd.ctl("add-flow", "br0", check=False)
    assert r.returncode == 1 and "(usage: add-flow BR FLOW)" in r.stderr
    r = vswitchd.ctl("del-flows", "br0", "--bogus", check=False)
    assert r.returncode == 1 and "unknown option '--bogus'" in r.stderr
    for cmd in ("add-flow", "add-flows", "mod-flows", "del-flows",
                "dump-flows", "dump-tables", "dump-ports", "dump-ports-desc",
                "add-group", "mod-group", "del-groups", "dump-groups",
                "dump-group-stats", "add-meter", "mod-meter", "del-meters",
                "dump-meters", "meter-stats", "dump-dp-flows",
                "pmd-perf-show", "trace", "set-controller", "del-controller",
                "get-controller", "set-fail-mode", "get-fail-mode",
                "del-fail-mode"):
        r = vswitchd.ctl(cmd, "--help")
        assert r.stdout.startswith(f"usage: vswitch-ctl [OPTIONS] {cmd}"), cmd


def test_add_flows_file(vswitchd, tmp_path):
    vswitchd.ctl("add-br", "br0")
    vswitchd.ctl("set-fail-mode", "br0", "secure")
    path = tmp_path / "flows.txt"
    lines = ["# 1000 flows, one per destination"]
    for i in range(1000):
        lines.append(f"priority=100,ip,nw_dst=10.1.{i // 256}.{i % 256},"
                     f"actions=output:{1 + i % 4}")
    path.write_text("\n".join(lines) + "\n")
    start = time.time()
    vswitchd.ctl("add-flows", "br0", path)
    elapsed = time.time() - start
    got = flows(vswitchd)
    assert len(got) == 1000
    assert "nw_dst=10.1.3.231 actions=output:4" in "\n".join(got)
    assert elapsed < 10, f"add-flows of 1000 flows took {elapsed:.1f}s"

    # A syntax error sends nothing and names the line.
    bad = tmp_path / "bad.txt"
    bad.write_text("ip,nw_dst=10.9.0.1,actions=drop\n"
                   "ip,nw_dst=10.9.0.2,actions=frobnicate\n")
    r = vswitchd.ctl("add-flows", "br0", bad, check=False)
    assert r.returncode == 1 and "line 2" in r.stderr, r.stderr
    assert "10.9.0.1" not in "\n".join(flows(vswitchd))

    # A flow the switch refuses is reported with its line; the others go
    # in (ovs-ofctl without bundles does the same).
    refused = tmp_path / "refused.txt"
    refused.write_text("ip,nw_dst=10.9.0.1,actions=drop\n\n"
                       "table=254,actions=drop\n")
    r = vswitchd.ctl("add-flows", "br0", refused, check=False)
    assert r.returncode == 1
    assert f"{refused}:3: the switch refused the flow: " \
           "FLOW_MOD_FAILED/BAD_TABLE_ID" in r.stderr, r.stderr
    assert "nw_dst=10.9.0.1 actions=drop" in "\n".join(flows(vswitchd))


def test_groups(vswitchd):
    vswitchd.ctl("add-br", "br0")
    for p in ("g1", "g2"):
        vswitchd.ctl("add-port", "br0", p, "--", "type=dummy")
    vswitchd.ctl("add-group", "br0",
                 "group_id=1,type=all,bucket=output:1,bucket=output:2")
    vswitchd.ctl("add-group", "br0",
                 "group_id=2,type=select,bucket=weight:5,output:1,"
                 "bucket=weight:7,output:2")
    out = vswitchd.ctl("dump-groups", "br0").stdout
    assert out.startswith("OFPST_GROUP_DESC reply (OF1.3)")
    assert " group_id=1,type=all,bucket=actions=output:1," \
           "bucket=actions=output:2" in out
    assert "group_id=2,type=select" in out and "weight:7" in out
    r = vswitchd.ctl("add-group", "br0", "group_id=1,type=all,bucket=output:1",
                     check=False)
    assert r.returncode == 1 and "GROUP_EXISTS" in r.stderr
    vswitchd.ctl("mod-group", "br0", "group_id=1,type=all,bucket=output:2")
    out = vswitchd.ctl("dump-groups", "br0").stdout
    assert " group_id=1,type=all,bucket=actions=output:2\n" in out
    vswitchd.ctl("add-flow", "br0", "in_port=1,actions=group:1")
    stats = vswitchd.ctl("dump-group-stats", "br0").stdout
    assert stats.startswith("OFPST_GROUP reply (OF1.3)")
    assert "group_id=1," in stats and "ref_count=1" in stats
    # Deleting a group deletes the flows that use it.
    vswitchd.ctl("del-groups", "br0", "group_id=1")
    assert "group:1" not in "\n".join(flows(vswitchd))
    vswitchd.ctl("del-groups", "br0")
    assert vswitchd.ctl("dump-groups", "br0").stdout.splitlines()[1:] == []


def test_meters(vswitchd):
    vswitchd.ctl("add-br", "br0")
    vswitchd.ctl("add-meter", "br0", "meter=1,kbps,burst,stats,"
                 "bands=type=drop,rate=1000,burst_size=100")
    vswitchd.ctl("add-meter", "br0", "meter=2,pktps,bands=type=drop,rate=10")
    out = vswitchd.ctl("dump-meters", "br0").stdout
    assert out.startswith("OFPST_METER_CONFIG reply (OF1.3)")
    assert "meter=1 kbps burst stats bands=\ntype=drop rate=1000 " \
           "burst_size=100" in out
    assert "meter=2 pktps bands=\ntype=drop rate=10" in out
    vswitchd.ctl("mod-meter", "br0", "meter=2,pktps,bands=type=drop,rate=20")
    assert "type=drop rate=20" in vswitchd.ctl("dump-meters", "br0").stdout
    vswitchd.ctl("add-flow", "br0", "in_port=1,actions=meter:1,output:2")
    assert "meter:1" in "\n".join(flows(vswitchd))
    stats = vswitchd.ctl("meter-stats", "br0").stdout
    assert stats.startswith("OFPST_METER reply (OF1.3)")
    assert "meter:1 flow_count:1" in stats
    r = vswitchd.ctl("add-meter", "br0", "meter=3,kbps", check=False)
    assert r.returncode == 1 and "meter=3,kbps" in r.stderr
    vswitchd.ctl("del-meters", "br0")
    assert vswitchd.ctl("dump-meters", "br0").stdout.splitlines()[1:] == []
    assert "meter:1" not in "\n".join(flows(vswitchd))


def test_ports(vswitchd):
    vswitchd.ctl("add-br", "br0")
    vswitchd.ctl("add-port", "br0", "pa", "--", "type=dummy", "ofport=7")
    desc = vswitchd.ctl("dump-ports-desc", "br0").stdout
    assert desc.startswith("OFPST_PORT_DESC reply (OF1.3)")
    assert " 7(pa): addr:" in desc
    vswitchd.inject("pa", frame())
    wait_for(lambda: "port  7: rx pkts=1," in
             vswitchd.ctl("dump-ports", "br0", "7").stdout,
             message="port 7 counted the frame")
    by_name = vswitchd.ctl("dump-ports", "br0", "pa").stdout
    assert "port  7: rx pkts=1," in by_name
    r = vswitchd.ctl("dump-ports", "br0", "nosuch", check=False)
    assert r.returncode == 1 and "no port 'nosuch'" in r.stderr


def test_fail_mode_and_controllers_persist(vswitchd):
    vswitchd.ctl("add-br", "br0")
    assert vswitchd.ctl("get-fail-mode", "br0").stdout == ""
    r = vswitchd.ctl("set-controller", "br0", "tcp:10.0.0.300", check=False)
    assert r.returncode == 1 and "'tcp:10.0.0.300'" in r.stderr
    r = vswitchd.ctl("set-fail-mode", "br0", "open", check=False)
    assert r.returncode == 1 and "bad fail mode 'open'" in r.stderr
    vswitchd.ctl("set-fail-mode", "br0", "secure")
    assert flows(vswitchd) == []
    vswitchd.ctl("set-controller", "br0", "tcp:127.0.0.1:1", "ptcp:0:127.0.0.1")
    vswitchd.ctl("add-flow", "br0", "actions=drop")

    vswitchd.stop()
    vswitchd.start()
    assert vswitchd.ctl("get-fail-mode", "br0").stdout == "secure\n"
    assert vswitchd.ctl("get-controller", "br0").stdout.split() == [
        "tcp:127.0.0.1:1", "ptcp:0:127.0.0.1"]
    assert flows(vswitchd) == []        # flows are not persisted

    vswitchd.ctl("del-controller", "br0")
    vswitchd.ctl("del-fail-mode", "br0")
    lines = flows(vswitchd)
    assert len(lines) == 1 and FRESH.match(lines[0]), lines
    assert vswitchd.ctl("get-controller", "br0").stdout == ""


def test_trace(vswitchd):
    vswitchd.ctl("add-br", "br0")
    for p in ("t1", "t2"):
        vswitchd.ctl("add-port", "br0", p, "--", "type=dummy")
    vswitchd.ctl("set-fail-mode", "br0", "secure")
    vswitchd.ctl("add-flow", "br0", "in_port=1,ip,actions=goto_table:3")
    vswitchd.ctl("add-flow", "br0", "table=3,ip,nw_dst=10.0.0.2,"
                 "actions=mod_nw_tos:4,output:2")
    out = vswitchd.ctl("trace", "br0", "in_port=1,ip,nw_dst=10.0.0.2").stdout
    assert out.startswith("Flow: in_port=1")
    assert re.search(r"table 0:.*in_port=1", out), out
    assert re.search(r"table 3:.*nw_dst=10.0.0.2", out), out
    final = dict(line.split(": ", 1) for line in out.splitlines()
                 if line.startswith(("Megaflow:", "Datapath actions:")))
    assert "in_port=1" in final["Megaflow"]
    assert "nw_dst=10.0.0.2" in final["Megaflow"]
    assert final["Datapath actions"] != "drop"
    out = vswitchd.ctl("trace", "br0", "in_port=2,ip").stdout
    assert out.rstrip().endswith("Datapath actions: drop")
    r = vswitchd.ctl("trace", "br0", "ip", check=False)
    assert r.returncode == 1 and "needs in_port" in r.stderr


def test_traffic_follows_flows(vswitchd):
    vswitchd.ctl("add-br", "br0")
    for p in ("p1", "p2", "p3"):
        vswitchd.ctl("add-port", "br0", p, "--", "type=dummy")
    vswitchd.ctl("set-fail-mode", "br0", "secure")
    vswitchd.ctl("add-flow", "br0", "in_port=1,udp,tp_dst=2,actions=output:3")
    vswitchd.ctl("add-flow", "br0", "in_port=1,udp,tp_dst=9,actions=output:2")
    for _ in range(3):
        vswitchd.inject("p1", frame(dport=2))
    vswitchd.inject("p1", frame(dport=9))
    got3 = []
    wait_for(lambda: got3.extend(vswitchd.capture("p3")) or len(got3) >= 3,
             message="3 frames on p3")
    got2 = []
    wait_for(lambda: got2.extend(vswitchd.capture("p2")) or len(got2) >= 1,
             message="1 frame on p2")
    assert got3[0] == frame(dport=2) and got2[0] == frame(dport=9)

    dp = vswitchd.ctl_json("dump-dp-flows", "br0")
    assert dp and all(f["bridge"] == "br0" and f["in_port"] == 1 for f in dp)
    assert sum(f["packets"] for f in dp) == 4
    table = vswitchd.ctl("dump-dp-flows").stdout.splitlines()
    assert table[0].split() == ["BRIDGE", "PMD", "IN_PORT", "PACKETS",
                                "BYTES", "USED", "MATCH", "ACTIONS"]
    assert len(table) == 1 + len(dp)
    # OpenFlow counters follow (credited by revalidation).
    wait_for(lambda: "n_packets=3," in "\n".join(
        flows(vswitchd, "br0", "udp,tp_dst=2")), timeout=15,
        message="flow stats credited")
    perf = vswitchd.ctl("pmd-perf-show").stdout.splitlines()
    assert perf[0].split()[:3] == ["CORE", "PACKETS", "CYC/PKT"]

    # A changed flow takes effect on the megaflows already installed.
    vswitchd.ctl("mod-flows", "br0", "in_port=1,udp,tp_dst=2,actions=output:2")
    vswitchd.inject("p1", frame(dport=2))
    got2 = []
    wait_for(lambda: got2.extend(vswitchd.capture("p2")) or got2,
             message="modified flow forwards to p2")
    assert vswitchd.capture("p3") == []
