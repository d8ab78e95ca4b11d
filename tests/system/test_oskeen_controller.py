"""A real OpenFlow controller drives a vswitchd bridge: os-ken running a
reactive learning switch with the behaviour of its sample app
simple_switch_13 (which Debian's python3-os-ken does not ship, so the
equivalent app is written here), connected with
`vswitch-ctl set-controller br0 tcp:127.0.0.1:N` on a fail-mode secure
bridge makes two namespaces, attached as `system` ports, ping each other:
the first packets go to the controller as PACKET_INs, it answers with
PACKET_OUTs and installs flows, and those flows show in dump-flows with
their counters.
"""
import os
import shutil
import socket
import subprocess
import time

import pytest

from conftest import wait_for

OSKEN = shutil.which("osken-manager")
pytestmark = pytest.mark.skipif(
    OSKEN is None, reason="osken-manager not installed (python3-os-ken)")


# The sample's behaviour: a table-miss entry sending whole packets to the
# controller; per datapath a MAC table learned from PACKET_INs; a known
# destination gets a priority-1 flow (in_port, eth_src, eth_dst) -> output,
# an unknown one is flooded; every PACKET_IN is answered by a PACKET_OUT.
LEARNING_SWITCH_APP = r"""
from os_ken.base import app_manager
from os_ken.controller import ofp_event
from os_ken.controller.handler import CONFIG_DISPATCHER, MAIN_DISPATCHER
from os_ken.controller.handler import set_ev_cls
from os_ken.lib.packet import ethernet, packet
from os_ken.ofproto import ofproto_v1_3


class LearningSwitch13(app_manager.OSKenApp):
    OFP_VERSIONS = [ofproto_v1_3.OFP_VERSION]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.macs = {}

    @staticmethod
    def install(dp, priority, match, actions):
        ofp, parser = dp.ofproto, dp.ofproto_parser
        inst = [parser.OFPInstructionActions(ofp.OFPIT_APPLY_ACTIONS,
                                             actions)]
        dp.send_msg(parser.OFPFlowMod(datapath=dp, priority=priority,
                                      match=match, instructions=inst))

    @set_ev_cls(ofp_event.EventOFPSwitchFeatures, CONFIG_DISPATCHER)
    def on_features(self, ev):
        dp = ev.msg.datapath
        ofp, parser = dp.ofproto, dp.ofproto_parser
        self.install(dp, 0, parser.OFPMatch(),
                     [parser.OFPActionOutput(ofp.OFPP_CONTROLLER,
                                             ofp.OFPCML_NO_BUFFER)])

    @set_ev_cls(ofp_event.EventOFPPacketIn, MAIN_DISPATCHER)
    def on_packet_in(self, ev):
        msg = ev.msg
        dp = msg.datapath
        ofp, parser = dp.ofproto, dp.ofproto_parser
        in_port = msg.match["in_port"]
        eth = packet.Packet(msg.data).get_protocols(ethernet.ethernet)[0]
        table = self.macs.setdefault(dp.id, {})
        table[eth.src] = in_port
        out_port = table.get(eth.dst, ofp.OFPP_FLOOD)
        actions = [parser.OFPActionOutput(out_port)]
        if out_port != ofp.OFPP_FLOOD:
            self.install(dp, 1, parser.OFPMatch(in_port=in_port,
                                                eth_dst=eth.dst,
                                                eth_src=eth.src), actions)
        dp.send_msg(parser.OFPPacketOut(datapath=dp,
                                        buffer_id=ofp.OFP_NO_BUFFER,
                                        in_port=in_port, actions=actions,
                                        data=msg.data))
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def osken(tmp_path):
    port = free_port()
    log = open(tmp_path / "osken.log", "w")
    app = tmp_path / "learning_switch_13.py"
    app.write_text(LEARNING_SWITCH_APP)
    proc = subprocess.Popen(
        [OSKEN, "--ofp-listen-host", "127.0.0.1", "--ofp-tcp-listen-port",
         str(port), str(app)],
        stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path,
        env=dict(os.environ, PYTHONUNBUFFERED="1"))

    def listening():
        if proc.poll() is not None:
            raise AssertionError("osken-manager exited:\n"
                                 + (tmp_path / "osken.log").read_text())
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False
    wait_for(listening, timeout=30, message="osken-manager listening")
    proc.port = port
    proc.log_path = tmp_path / "osken.log"
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()


def dump_flows(vswitchd):
    return vswitchd.ctl("dump-flows", "br0").stdout.splitlines()[1:]


def test_simple_switch_13_ping(vswitchd, netns, osken):
    ns_a, if_a = netns.add("10.78.0.1/24")
    ns_b, if_b = netns.add("10.78.0.2/24")
    vswitchd.ctl("add-br", "br0")
    vswitchd.ctl("set-fail-mode", "br0", "secure")
    for port in (if_a, if_b):
        vswitchd.ctl("add-port", "br0", port, "--", "type=system",
                     "options:xdp-mode=af-packet")
    assert dump_flows(vswitchd) == []       # secure: nothing forwards yet
    vswitchd.ctl("set-controller", "br0", f"tcp:127.0.0.1:{osken.port}")

    # simple_switch_13 installs its table-miss entry on connection.
    wait_for(lambda: any("priority=0 actions=CONTROLLER:65535" in f
                         for f in dump_flows(vswitchd)), timeout=30,
             message="the controller's table-miss flow\n"
             + "(osken log: %s)" % osken.log_path)

    ping = None
    deadline = time.time() + 30
    while time.time() < deadline:
        ping = netns.exec(ns_a, "ping", "-c", "3", "-i", "0.2", "-W", "2",
                          "10.78.0.2", check=False)
        if ping.returncode == 0:
            break
    assert ping.returncode == 0, (ping.stdout + ping.stderr + "\nosken:\n"
                                  + osken.log_path.read_text()[-3000:])
    ping = netns.exec(ns_b, "ping", "-c", "5", "-i", "0.2", "-W", "2",
                      "10.78.0.1")
    assert " 0% packet loss" in ping.stdout

    # The learned flows are ordinary OpenFlow flows of the bridge, and
    # packets are counted on them (forwarded by the datapath, not the
    # controller).
    def learned():
        flows = [f for f in dump_flows(vswitchd) if "priority=1," in f]
        return flows if len(flows) >= 2 else None
    flows = wait_for(learned, timeout=15, message="learned flows")
    text = "\n".join(flows)
    mac_a = netns.exec(ns_a, "cat", "/sys/class/net/eth0/address").stdout.strip()
    mac_b = netns.exec(ns_b, "cat", "/sys/class/net/eth0/address").stdout.strip()
    assert f"dl_dst={mac_a}" in text and f"dl_dst={mac_b}" in text, text
    wait_for(lambda: any("n_packets=0," not in f for f in
                         dump_flows(vswitchd) if "priority=1," in f),
             timeout=15, message="packets counted on the learned flows")
    status = vswitchd.ctl("get-controller", "br0").stdout.split()
    assert status == [f"tcp:127.0.0.1:{osken.port}"]
