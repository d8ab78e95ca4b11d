"""A restart of vswitchd restores bridges, ports, VLAN config, ofport numbers
and global settings from the config store, and traffic resumes."""
import signal

import pytest

from conftest import wait_for


def ports_of(vswitchd, bridge):
    return sorted(vswitchd.ctl("list-ports", bridge).stdout.split())


def port_summary(vswitchd):
    """{port: (type, ofport, tag)} from `show --json`, whatever its nesting."""
    found = {}

    def walk(node):
        if isinstance(node, dict):
            if "name" in node and "ofport" in node and "type" in node:
                found[node["name"]] = (node["type"], node["ofport"], node.get("tag"))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(vswitchd.ctl_json("show"))
    return found


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_restart_restores_config_and_traffic(vswitchd, netns, how):
    ns_a, if_a = netns.add("10.78.0.1/24")
    ns_b, if_b = netns.add("10.78.0.2/24")
    vswitchd.ctl("add-br", "br0")
    vswitchd.ctl("add-br", "br1")
    vswitchd.ctl("add-port", "br0", if_a, "--", "type=system", "ofport=7")
    vswitchd.ctl("add-port", "br0", if_b, "--", "type=system")
    vswitchd.ctl("add-port", "br1", "d1", "--", "type=dummy", "tag=42")
    vswitchd.ctl("set-global", "mac-aging-time=120", "pmd-max-sleep=200")
    ping = ["ping", "-c", "3", "-i", "0.2", "-W", "2", "10.78.0.2"]
    assert netns.exec(ns_a, *ping, check=False).returncode == 0

    before = port_summary(vswitchd)
    before_global = vswitchd.ctl_json("get-global")
    assert before[if_a][1] == 7

    vswitchd.stop(how)
    vswitchd.start()

    assert sorted(vswitchd.ctl("list-br").stdout.split()) == ["br0", "br1"]
    assert ports_of(vswitchd, "br0") == sorted([if_a, if_b])
    assert ports_of(vswitchd, "br1") == ["d1"]
    assert port_summary(vswitchd) == before
    after_global = vswitchd.ctl_json("get-global")
    for key in ("mac-aging-time", "pmd-max-sleep"):
        assert str(after_global[key]) == str(before_global[key])

    r = wait_for(lambda: netns.exec(ns_a, *ping, check=False).returncode == 0,
                 timeout=20, message="ping through the restarted switch")
    assert r


def test_corrupt_store_is_refused(vswitchd):
    vswitchd.ctl("add-br", "br0")
    vswitchd.stop()
    vswitchd.db.write_text('{"bridges": {"br0": ')
    d = vswitchd.factory(name="vswitchd-corrupt")
    d.start(wait=False)
    rc = d.proc.wait(timeout=30)
    assert rc != 0
    # The error names the file and the problem.
    assert f"config store {vswitchd.db} is corrupt" in d.log_tail()
    # The store was not overwritten.
    assert vswitchd.db.read_text() == '{"bridges": {"br0": '
