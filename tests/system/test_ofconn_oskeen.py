"""Interoperability of the OpenFlow connection layer with os-ken.

A real controller (os-ken's osken-manager with a small probe app) listens
on a loopback port; tests/unit/ofconn/ofconn_testd (an of_connmgr over a
trivial bridge, built by meson) connects to it as a switch, over TCP and
over TLS with certificates generated here. The app checks, from the
controller's side:

  * HELLO negotiation (os-ken offers 1.3 only) and FEATURES_REPLY (dpid);
  * ROLE_REQUEST MASTER with generation 5 -> ROLE_REPLY, then a stale
    generation (4) -> ERROR ROLE_REQUEST_FAILED/STALE;
  * FLOW_MOD then BARRIER -> BARRIER_REPLY (the flow mod is completed by
    the test switch one loop turn later, so the barrier really waits);
  * DESC and PORT_DESC multipart replies parse;
  * PACKET_IN from the switch reaches the MASTER.

Run with Debian's python: /usr/bin/python3 -m pytest tests/system/test_ofconn_oskeen.py
Set OFCONN_TESTD to the test switch's path if it is not in a build dir.
Only 127.0.0.1 is used.
"""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

import os_ken.ofproto.ofproto_v1_3  # noqa: F401  (installed by setup.sh)

from conftest import BUILD

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _find_testd():
    """The test switch from the build under test (VSWITCH_BUILD, as set by
    scripts/test.sh), or OFCONN_TESTD."""
    env = os.environ.get("OFCONN_TESTD")
    if env:
        return env
    return str(BUILD / "tests" / "unit" / "ofconn" / "ofconn_testd")


TESTD = _find_testd()
OSKEN = shutil.which("osken-manager")


@pytest.fixture(autouse=True)
def _tools_present():
    # Missing tools are a broken build or install, not a reason to skip.
    assert os.access(TESTD, os.X_OK), f"{TESTD} not built"
    assert OSKEN, "osken-manager not installed (apt-get install python3-os-ken)"


APP = r'''
import json
import os

from os_ken.base import app_manager
from os_ken.controller import ofp_event
from os_ken.controller.handler import (CONFIG_DISPATCHER, MAIN_DISPATCHER,
                                       set_ev_cls)
from os_ken.ofproto import ofproto_v1_3

OUT = os.environ["OFCONN_RESULT"]


class OfconnProbe(app_manager.OSKenApp):
    OFP_VERSIONS = [ofproto_v1_3.OFP_VERSION]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.result = {"errors": [], "packet_ins": 0}

    def save(self):
        with open(OUT + ".tmp", "w") as f:
            json.dump(self.result, f)
        os.rename(OUT + ".tmp", OUT)

    @set_ev_cls(ofp_event.EventOFPSwitchFeatures, CONFIG_DISPATCHER)
    def features(self, ev):
        dp = ev.msg.datapath
        ofp, p = dp.ofproto, dp.ofproto_parser
        self.result["version"] = ev.msg.version
        self.result["dpid"] = ev.msg.datapath_id
        self.result["n_tables"] = ev.msg.n_tables
        dp.send_msg(p.OFPRoleRequest(dp, ofp.OFPCR_ROLE_MASTER, 5))
        req = p.OFPRoleRequest(dp, ofp.OFPCR_ROLE_MASTER, 4)   # stale
        dp.set_xid(req)
        self.result["stale_xid"] = req.xid
        dp.send_msg(req)
        actions = [p.OFPActionOutput(ofp.OFPP_CONTROLLER, ofp.OFPCML_NO_BUFFER)]
        inst = [p.OFPInstructionActions(ofp.OFPIT_APPLY_ACTIONS, actions)]
        dp.send_msg(p.OFPFlowMod(dp, priority=0, match=p.OFPMatch(),
                                 instructions=inst))
        barrier = p.OFPBarrierRequest(dp)
        dp.set_xid(barrier)
        self.result["barrier_xid"] = barrier.xid
        dp.send_msg(barrier)
        dp.send_msg(p.OFPDescStatsRequest(dp, 0))
        dp.send_msg(p.OFPPortDescStatsRequest(dp, 0))
        self.save()

    @set_ev_cls(ofp_event.EventOFPRoleReply, MAIN_DISPATCHER)
    def role_reply(self, ev):
        self.result["role"] = ev.msg.role
        self.result["generation_id"] = ev.msg.generation_id
        self.save()

    @set_ev_cls(ofp_event.EventOFPBarrierReply, MAIN_DISPATCHER)
    def barrier_reply(self, ev):
        self.result["barrier_reply_xid"] = ev.msg.xid
        self.save()

    @set_ev_cls(ofp_event.EventOFPDescStatsReply, MAIN_DISPATCHER)
    def desc_reply(self, ev):
        self.result["sw_desc"] = ev.msg.body.sw_desc.decode()
        self.save()

    @set_ev_cls(ofp_event.EventOFPPortDescStatsReply, MAIN_DISPATCHER)
    def port_desc_reply(self, ev):
        self.result["ports"] = [p.name.decode() for p in ev.msg.body]
        self.save()

    @set_ev_cls(ofp_event.EventOFPPacketIn, MAIN_DISPATCHER)
    def packet_in(self, ev):
        self.result["packet_ins"] += 1
        self.result["packet_in_port"] = ev.msg.match["in_port"]
        self.save()

    @set_ev_cls(ofp_event.EventOFPErrorMsg, [CONFIG_DISPATCHER, MAIN_DISPATCHER])
    def error(self, ev):
        self.result["errors"].append([ev.msg.xid, ev.msg.type, ev.msg.code])
        self.save()
'''


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True,
                   capture_output=True, timeout=60)


def _make_certs(d):
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-subj", "/CN=ca", "-keyout", "ca.key", "-out", "ca.crt", cwd=d)
    for name in ("switch", "ctl"):
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}",
                 "-keyout", f"{name}.key", "-out", f"{name}.csr", cwd=d)
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt",
                 "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
                 "-out", f"{name}.crt", cwd=d)


def _done(result):
    return (result.get("barrier_reply_xid") is not None
            and "sw_desc" in result and "ports" in result
            and result.get("packet_ins", 0) > 0 and result["errors"])


@pytest.mark.parametrize("transport", ["tcp", "ssl"])
def test_oskeen_controls_ofconn_switch(transport):
    work = tempfile.mkdtemp(prefix="ofconn_oskeen.")
    osken = testd = None
    try:
        app = os.path.join(work, "ofconn_probe.py")
        with open(app, "w") as f:
            f.write(APP)
        result_path = os.path.join(work, "result.json")
        port = _free_port()
        osken_args = [OSKEN, "--ofp-listen-host", "127.0.0.1"]
        testd_args = [TESTD, "--probe", "1000", "--packet-in-ms", "100",
                      "--dpid", "0x1234"]
        if transport == "ssl":
            _make_certs(work)
            osken_args += ["--ofp-ssl-listen-port", str(port),
                           "--ofp-tcp-listen-port", str(_free_port()),
                           "--ctl-privkey", os.path.join(work, "ctl.key"),
                           "--ctl-cert", os.path.join(work, "ctl.crt"),
                           "--ca-certs", os.path.join(work, "ca.crt")]
            testd_args += ["--ssl-ca", os.path.join(work, "ca.crt"),
                           "--ssl-cert", os.path.join(work, "switch.crt"),
                           "--ssl-key", os.path.join(work, "switch.key"),
                           "--controller", f"ssl:127.0.0.1:{port}"]
        else:
            osken_args += ["--ofp-tcp-listen-port", str(port)]
            testd_args += ["--controller", f"tcp:127.0.0.1:{port}"]
        osken_args.append(app)

        env = dict(os.environ, OFCONN_RESULT=result_path)
        osken = subprocess.Popen(osken_args, env=env, cwd=work,
                                 stdout=subprocess.DEVNULL,
                                 stderr=open(os.path.join(work, "osken.log"), "w"))
        # The switch retries with backoff (1 s -> 8 s) until os-ken listens.
        testd = subprocess.Popen(testd_args, stdout=subprocess.PIPE,
                                 stderr=open(os.path.join(work, "testd.log"), "w"),
                                 text=True)

        result = {}
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with open(result_path) as f:
                    result = json.load(f)
            except (OSError, ValueError):
                pass
            if _done(result):
                break
            time.sleep(0.1)

        testd.terminate()
        out, _ = testd.communicate(timeout=10)
        with open(os.path.join(work, "testd.log")) as f:
            testd_log = f.read()
        assert _done(result), (result, out, testd_log)

        assert result["version"] == 4
        assert result["dpid"] == 0x1234
        assert result["n_tables"] == 254
        assert result["role"] == 2            # MASTER
        assert result["generation_id"] == 5
        # The stale generation id earned ROLE_REQUEST_FAILED(11)/STALE(0).
        assert [result["stale_xid"], 11, 0] in result["errors"], result
        assert len(result["errors"]) == 1, result
        assert result["barrier_reply_xid"] == result["barrier_xid"]
        assert result["sw_desc"] == "ofconn_testd"
        assert result["ports"] == ["p1"]
        assert result["packet_in_port"] == 1

        # The switch saw it all, in order: the flow mod before the barrier
        # reply (its completion is what releases the barrier).
        assert "flow_mod" in out
        assert "multipart DESC" in out and "multipart PORT_DESC" in out
        assert "master" in out
        status = [l for l in out.splitlines() if l.startswith("status controller")]
        assert status and "state=active" in status[0] and "role=master" in status[0], out
        if transport == "ssl":
            assert "TLS" in testd_log
    finally:
        for proc in (testd, osken):
            if proc and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
        shutil.rmtree(work, ignore_errors=True)
