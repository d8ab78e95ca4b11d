"""Open vSwitch's own management tool, `ovs-ofctl -O OpenFlow13`, against a
vswitchd bridge: through a `ptcp:` controller target set with
`vswitch-ctl set-controller`, and through the bridge's management socket
"<rundir>/<BR>.mgmt" (as with Open vSwitch). Flows, ports, tables and
groups come back as ovs-ofctl expects, and the two tools agree.
"""
import re
import shutil
import socket

import pytest

from conftest import run, wait_for

OFCTL = shutil.which("ovs-ofctl")
pytestmark = pytest.mark.skipif(
    OFCTL is None, reason="ovs-ofctl not installed "
    "(apt-get install openvswitch-common)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def strip_stats(lines):
    return [re.sub(r" duration=[0-9.]+s,", "", line).strip()
            for line in lines]


@pytest.fixture
def switch(vswitchd):
    """br0 with two dummy ports and a ptcp: target ovs-ofctl connects to."""
    vswitchd.ctl("add-br", "br0")
    vswitchd.ctl("add-port", "br0", "p1", "--", "type=dummy")
    vswitchd.ctl("add-port", "br0", "p2", "--", "type=dummy")
    port = free_port()
    vswitchd.ctl("set-controller", "br0", f"ptcp:{port}:127.0.0.1")
    target = f"tcp:127.0.0.1:{port}"

    def listening():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False
    wait_for(listening, message=f"ptcp:{port} listening")
    vswitchd.target = target

    def ofctl(*args, check=True):
        r = run([OFCTL, "-O", "OpenFlow13", *args[:1], target, *args[1:]],
                check=False)
        if check:
            assert r.returncode == 0, f"ovs-ofctl {args}: {r.stderr}"
        return r
    vswitchd.ofctl = ofctl
    return vswitchd


def test_flows(switch):
    # A fresh standalone bridge shows what a fresh OVS bridge shows.
    out = switch.ofctl("dump-flows").stdout.splitlines()
    assert strip_stats(out[1:]) == [
        "cookie=0x0, table=0, n_packets=0, n_bytes=0, priority=0 "
        "actions=NORMAL"]
    switch.ofctl("add-flow", "priority=10,ip,nw_dst=10.0.0.2,actions=output:2")
    switch.ofctl("add-flow", "table=2,priority=7,tcp,tp_dst=80,"
                 "actions=set_field:10.0.0.9->ip_dst,output:1")
    switch.ofctl("add-flow", "priority=5,in_port=1,actions=goto_table:2")
    out = switch.ofctl("dump-flows").stdout.splitlines()
    assert out[0].startswith("OFPST_FLOW reply (OF1.3)")
    assert strip_stats(out[1:]) == [
        "cookie=0x0, table=0, n_packets=0, n_bytes=0, priority=10,ip,"
        "nw_dst=10.0.0.2 actions=output:2",
        "cookie=0x0, table=0, n_packets=0, n_bytes=0, priority=5,in_port=1 "
        "actions=goto_table:2",
        "cookie=0x0, table=0, n_packets=0, n_bytes=0, priority=0 "
        "actions=NORMAL",
        "cookie=0x0, table=2, n_packets=0, n_bytes=0, priority=7,tcp,"
        "tp_dst=80 actions=set_field:10.0.0.9->ip_dst,output:1",
    ]
    # vswitch-ctl prints the same lines.
    ours = switch.ctl("dump-flows", "br0").stdout.splitlines()
    assert strip_stats(ours[1:]) == strip_stats(out[1:])

    switch.ofctl("del-flows", "table=2")
    switch.ofctl("del-flows", "ip")
    out = switch.ofctl("dump-flows").stdout.splitlines()
    assert [line.split("priority=")[1] for line in out[1:]] == [
        "5,in_port=1 actions=goto_table:2", "0 actions=NORMAL"]
    switch.ofctl("del-flows")
    assert switch.ofctl("dump-flows").stdout.splitlines()[1:] == []
    # The switch's refusal reaches ovs-ofctl as an OpenFlow error.
    r = switch.ofctl("add-flow", "table=254,actions=drop", check=False)
    assert r.returncode != 0 and "OFPFMFC_BAD_TABLE_ID" in r.stderr


def test_ports_and_tables(switch):
    switch.inject("p1", bytes.fromhex("ffffffffffff0200000000aa0800")
                  + b"\x00" * 46)
    wait_for(lambda: "rx pkts=1," in switch.ofctl("dump-ports", "1").stdout,
             message="ovs-ofctl sees the received frame")
    out = switch.ofctl("dump-ports").stdout
    assert out.startswith("OFPST_PORT reply (OF1.3)")
    assert "2 ports" in out.splitlines()[0]
    assert re.search(r"port  1: rx pkts=1, bytes=\d+,", out), out
    desc = switch.ofctl("dump-ports-desc").stdout
    assert " 1(p1): addr:" in desc and " 2(p2): addr:" in desc
    tables = switch.ofctl("dump-tables").stdout
    assert tables.startswith("OFPST_TABLE reply (OF1.3)")
    assert "table 0:" in tables and "tables 2...253: ditto" in tables


def test_groups(switch):
    switch.ofctl("add-group", "group_id=1,type=all,bucket=output:1,"
                 "bucket=output:2")
    switch.ofctl("add-group", "group_id=5,type=indirect,bucket=output:2")
    out = switch.ofctl("dump-groups").stdout.splitlines()
    assert out[0].startswith("OFPST_GROUP_DESC reply (OF1.3)")
    assert sorted(line.strip() for line in out[1:]) == [
        "group_id=1,type=all,bucket=actions=output:1,bucket=actions=output:2",
        "group_id=5,type=indirect,bucket=actions=output:2",
    ]
    ours = switch.ctl("dump-groups", "br0").stdout.splitlines()
    assert sorted(ours[1:]) == sorted(out[1:])
    switch.ofctl("add-flow", "in_port=1,actions=group:5")
    switch.ofctl("del-groups", "group_id=5")
    assert "group:5" not in switch.ofctl("dump-flows").stdout


def test_management_socket(switch, tmp_path):
    """ovs-ofctl works against the bridge's punix: listener too."""
    mgmt = tmp_path / "br0.mgmt"
    assert mgmt.exists()
    switch.ctl("add-flow", "br0", "priority=9,arp,actions=drop")
    r = run([OFCTL, "-O", "OpenFlow13", "dump-flows", f"unix:{mgmt}"],
            check=False)
    assert r.returncode == 0, r.stderr
    assert "priority=9,arp actions=drop" in r.stdout
