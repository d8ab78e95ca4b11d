"""Fixtures for end-to-end tests: a private vswitchd per test and network
namespaces joined to it by veth pairs.

Every resource a test makes (daemon, namespaces, veth links, temp files) is
torn down at the end of the test, pass or fail. Names carry the pytest
process id so concurrent runs on one host cannot collide; leftovers of a
crashed run with the same prefix are removed at session start.

Traffic only ever flows between namespaces these fixtures create.
"""
import json
import os
import pathlib
import signal
import subprocess
import time
import uuid

import pytest

TOP = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("VSWITCH_BUILD", TOP / "build"))
NO_HUGE = os.environ.get("VSWITCH_NO_HUGE", "0") == "1"
NS_PREFIX = "vst"


def run(cmd, check=True, timeout=30, **kw):
    """Runs a command, returning CompletedProcess with text output."""
    return subprocess.run(cmd, check=check, timeout=timeout, text=True,
                          capture_output=True, **kw)


class Vswitchd:
    """One private vswitchd: its own db, control socket, log and EAL prefix."""

    def __init__(self, workdir: pathlib.Path, name="vswitchd"):
        self.workdir = workdir
        self.db = workdir / "conf.json"
        self.sock = workdir / "vswitchd.ctl"
        self.log = workdir / f"{name}.log"
        self.pidfile = workdir / "vswitchd.pid"
        self.prefix = f"vst{os.getpid()}{uuid.uuid4().hex[:6]}"
        self.proc = None

    def start(self, extra=(), wait=True):
        args = [str(BUILD / "ctl" / "vswitchd"), "--db", str(self.db),
                "--unixctl", str(self.sock), "--log-file", str(self.log),
                "--pidfile", str(self.pidfile), "--file-prefix", self.prefix]
        if NO_HUGE:
            args.append("--no-huge")
        args += list(extra)
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"vswitchd exited with {self.proc.returncode}:\n"
                                   + self.log_tail())
            if self.sock.exists() and self.ctl("version", check=False).returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError("vswitchd did not come up:\n" + self.log_tail())

    def log_tail(self, n=40):
        try:
            return "\n".join(self.log.read_text().splitlines()[-n:])
        except OSError:
            return "(no log)"

    def ctl(self, *args, check=True, timeout=30):
        """Runs vswitch-ctl against this daemon; returns CompletedProcess."""
        cmd = [str(BUILD / "ctl" / "vswitch-ctl"), f"--unixctl={self.sock}",
               *[str(a) for a in args]]
        r = run(cmd, check=False, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(f"vswitch-ctl {' '.join(map(str, args))} failed "
                                 f"({r.returncode}): {r.stderr.strip()}\n"
                                 f"vswitchd log:\n{self.log_tail()}")
        return r

    def ctl_json(self, *args):
        return json.loads(self.ctl("--json", *args).stdout)

    def inject(self, port, frame: bytes):
        self.ctl("dummy-inject", port, frame.hex())

    def capture(self, port, max_frames=1000):
        out = self.ctl("dummy-capture", port, "--max", max_frames).stdout
        return [bytes.fromhex(line.strip()) for line in out.splitlines()
                if line.strip()]

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def kill(self):
        self.stop(signal.SIGKILL)


@pytest.fixture
def vswitchd(tmp_path):
    """A running private vswitchd, stopped at the end of the test."""
    daemons = []

    def factory(**kw):
        d = Vswitchd(tmp_path, **kw)
        daemons.append(d)
        return d

    d = factory().start()
    d.factory = factory
    yield d
    for d in daemons:
        d.stop()


class Namespaces:
    """Network namespaces, each with eth0 veth'd to a host-side interface."""

    def __init__(self):
        self.names = []
        self.host_ifs = []
        self.tag = f"{os.getpid() % 100000}"

    def add(self, addr=None, addr6=None, mtu=None):
        idx = len(self.names)
        ns = f"{NS_PREFIX}{self.tag}n{idx}"
        host_if = f"{NS_PREFIX}{self.tag}h{idx}"
        run(["ip", "netns", "add", ns])
        self.names.append(ns)
        run(["ip", "link", "add", host_if, "type", "veth", "peer", "name",
             "eth0", "netns", ns])
        self.host_ifs.append(host_if)
        run(["ip", "link", "set", host_if, "up"])
        run(["ip", "-n", ns, "link", "set", "lo", "up"])
        run(["ip", "-n", ns, "link", "set", "eth0", "up"])
        # The switch sees frames as on the wire: no checksum left for an
        # offload engine to fill, no 64 KiB TSO super-frames (OVS asks the
        # same of veths on AF_XDP / AF_PACKET ports).
        run(["ip", "netns", "exec", ns, "ethtool", "-K", "eth0", "tx", "off",
             "tso", "off", "gso", "off"], check=False)
        if mtu:
            run(["ip", "link", "set", host_if, "mtu", str(mtu)])
            run(["ip", "-n", ns, "link", "set", "eth0", "mtu", str(mtu)])
        # Keep IPv6 autoconfiguration noise out unless a test asks for IPv6.
        if addr6 is None:
            run(["ip", "netns", "exec", ns, "sysctl", "-qw",
                 "net.ipv6.conf.all.disable_ipv6=1"])
        else:
            run(["ip", "-n", ns, "addr", "add", addr6, "dev", "eth0", "nodad"])
        if addr:
            run(["ip", "-n", ns, "addr", "add", addr, "dev", "eth0"])
        return ns, host_if

    def exec(self, ns, *cmd, check=True, timeout=60):
        return run(["ip", "netns", "exec", ns, *map(str, cmd)], check=check,
                   timeout=timeout)

    def popen(self, ns, *cmd, **kw):
        return subprocess.Popen(["ip", "netns", "exec", ns, *map(str, cmd)], **kw)

    def cleanup(self):
        for host_if in self.host_ifs:
            run(["ip", "link", "del", host_if], check=False)
        for ns in self.names:
            run(["ip", "netns", "pids", ns], check=False)
            pids = run(["ip", "netns", "pids", ns], check=False).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            run(["ip", "netns", "del", ns], check=False)


@pytest.fixture
def netns():
    n = Namespaces()
    try:
        yield n
    finally:
        n.cleanup()


def _remove_stale_namespaces():
    out = run(["ip", "netns", "list"], check=False).stdout
    for line in out.splitlines():
        name = line.split()[0] if line.split() else ""
        if name.startswith(NS_PREFIX) and name[len(NS_PREFIX):][:1].isdigit():
            run(["ip", "netns", "del", name], check=False)
    links = run(["ip", "-o", "link", "show"], check=False).stdout
    for line in links.splitlines():
        parts = line.split(":")
        if len(parts) > 1:
            name = parts[1].strip().split("@")[0]
            if name.startswith(NS_PREFIX) and name[len(NS_PREFIX):][:1].isdigit():
                run(["ip", "link", "del", name], check=False)


def pytest_sessionstart(session):
    if os.geteuid() != 0:
        raise pytest.UsageError("system tests need root (namespaces, DPDK)")
    _remove_stale_namespaces()


def wait_for(predicate, timeout=10.0, interval=0.1, message="condition"):
    """Polls 'predicate' until true; fails the test with 'message' after
    'timeout' seconds. Use for state that converges (learning, ageing)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")
