"""Crash consistency of vswitchd's config store.

Starts vswitchd (--no-huge, temp --db, temp control socket, unique
--file-prefix), drives a stream of config-changing commands over the
control socket from a background thread and SIGKILLs the daemon at a
random moment, 20 times. After every kill:

  * the store file parses as JSON and equals either the state after the
    last acknowledged command ("old") or that state with the in-flight
    command applied ("new"); an acknowledged command is never lost;
  * a restarted vswitchd loads it (stale temp files from the interrupted
    write neither confuse it nor survive it) and reports exactly that
    configuration with every port up again.

Run: /usr/bin/python3 -m pytest tests/system/test_config_crash.py
Env: VSWITCH_BUILD (meson build dir, default /work/main/build);
     VSWITCHD to override the daemon binary (e.g. the fake-datapath build
     tests/unit/ctl/vswitchd-fakedp).
"""

import copy
import glob
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import pytest

BUILD = os.environ.get("VSWITCH_BUILD", "/work/main/build")
VSWITCHD = os.environ.get("VSWITCHD", os.path.join(BUILD, "ctl", "vswitchd"))
VSWITCH_CTL = os.path.join(BUILD, "ctl", "vswitch-ctl")
ITERATIONS = int(os.environ.get("CRASH_ITERATIONS", "20"))
START_TIMEOUT_S = 30

BRIDGES = ["br0", "br1", "br2"]
PORTS = ["p%d" % i for i in range(8)]


class RpcClient:
    """Minimal JSON-RPC client for the unixctl socket."""

    def __init__(self, path, timeout=10.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""
        self.next_id = 1

    def call(self, method, *params):
        req = {"jsonrpc": "2.0", "method": method, "params": list(params),
               "id": self.next_id}
        self.next_id += 1
        self.sock.sendall(json.dumps(req).encode() + b"\n")
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("daemon closed the connection")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        reply = json.loads(line)
        assert reply["id"] == req["id"]
        return reply

    def close(self):
        self.sock.close()


class Daemon:
    """One vswitchd process; always killed by the fixture's cleanup."""

    def __init__(self, workdir, prefix, db):
        self.workdir = workdir
        self.prefix = prefix
        self.db = db
        self.sock = os.path.join(workdir, "vswitchd.ctl")
        self.log = os.path.join(workdir, "vswitchd.log")
        self.proc = None

    def start(self):
        self.stderr = open(os.path.join(self.workdir, "stderr.txt"), "ab")
        self.proc = subprocess.Popen(
            [VSWITCHD, "--no-huge", "--file-prefix", self.prefix,
             "--db", self.db, "--unixctl", self.sock,
             "--log-file", self.log],
            stdout=self.stderr, stderr=self.stderr)
        deadline = time.time() + START_TIMEOUT_S
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(
                    "vswitchd exited with %d at start; log:\n%s"
                    % (self.proc.returncode, self.tail_log()))
            try:
                c = RpcClient(self.sock, timeout=5)
                reply = c.call("list-br")
                c.close()
                if "result" in reply:
                    return
            except (OSError, ConnectionError):
                pass
            time.sleep(0.05)
        raise AssertionError("vswitchd did not answer within %d s; log:\n%s"
                             % (START_TIMEOUT_S, self.tail_log()))

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)
        if self.proc:
            self.stderr.close()
        self.proc = None

    def stop(self):
        """Clean shutdown through 'exit'; falls back to SIGKILL."""
        if not self.proc:
            return
        try:
            c = RpcClient(self.sock, timeout=5)
            c.call("exit")
            c.close()
            self.proc.wait(timeout=20)
        except Exception:
            pass
        self.kill()

    def tail_log(self):
        try:
            with open(self.log) as f:
                return "".join(f.readlines()[-30:])
        except OSError:
            return "(no log)"


@pytest.fixture
def daemon():
    if not os.access(VSWITCHD, os.X_OK):
        pytest.skip("vswitchd not built at %s" % VSWITCHD)
    workdir = tempfile.mkdtemp(prefix="vswitch-crash-")
    prefix = "vswcrash%d" % os.getpid()
    d = Daemon(workdir, prefix, os.path.join(workdir, "conf.json"))
    try:
        yield d
    finally:
        d.kill()
        shutil.rmtree(workdir, ignore_errors=True)
        shutil.rmtree("/var/run/dpdk/" + prefix, ignore_errors=True)


# ---- a model of the commands' effect on the store --------------------------

def load_store(path):
    """The store as JSON, or the empty document if it was never written."""
    if not os.path.exists(path):
        return {"format": "vswitch-config", "version": 1, "global": {},
                "bridges": {}}
    with open(path) as f:
        return json.load(f)


def config_view(doc):
    """The part of the document commands change, order-insensitive."""
    return {"global": doc.get("global", {}), "bridges": doc["bridges"]}


def find_port(doc, name):
    for bname, bridge in doc["bridges"].items():
        if name in bridge["ports"]:
            return bname
    return None


def apply_command(doc, cmd):
    """Returns the document after 'cmd' succeeded (as vswitchd writes it)."""
    doc = copy.deepcopy(doc)
    method, args = cmd[0], cmd[1:]
    if method == "add-br":
        doc["bridges"][args[0]] = {"ports": {}}
    elif method == "del-br":
        del doc["bridges"][args[0]]
    elif method == "add-port":
        br, port = args[0], args[1]
        used = {p["ofport"] for p in doc["bridges"][br]["ports"].values()}
        ofport = next(n for n in range(1, 65280) if n not in used)
        entry = {"type": "system", "ofport": ofport, "options": {}}
        for kv in args[2:]:
            if kv == "--":
                continue
            key, value = kv.split("=", 1)
            entry[key] = int(value) if key == "tag" else value
        doc["bridges"][br]["ports"][port] = entry
    elif method == "del-port":
        del doc["bridges"][find_port(doc, args[0])]["ports"][args[0]]
    elif method == "set":
        port = doc["bridges"][find_port(doc, args[1])]["ports"][args[1]]
        key, value = args[2].split("=", 1)
        if value == "":
            port.pop(key, None)
        else:
            port[key] = int(value)
    elif method == "set-global":
        key, value = args[0].split("=", 1)
        doc["global"][key] = value
    else:
        raise ValueError(method)
    return doc


def next_command(doc, rng):
    """A random command that is valid in state 'doc'."""
    while True:
        choice = rng.random()
        free_bridges = [b for b in BRIDGES if b not in doc["bridges"]]
        bridges = list(doc["bridges"])
        used_ports = [p for p in PORTS if find_port(doc, p)]
        free_ports = [p for p in PORTS if not find_port(doc, p)]
        if choice < 0.15 and free_bridges:
            return ["add-br", rng.choice(free_bridges)]
        if choice < 0.22 and len(bridges) > 1:
            return ["del-br", rng.choice(bridges)]
        if choice < 0.55 and bridges and free_ports:
            cmd = ["add-port", rng.choice(bridges), rng.choice(free_ports),
                   "--", "type=dummy"]
            if rng.random() < 0.5:
                cmd.append("tag=%d" % rng.randint(1, 4094))
            return cmd
        if choice < 0.75 and used_ports:
            return ["del-port", rng.choice(used_ports)]
        if choice < 0.9 and used_ports:
            tag = rng.choice(["", str(rng.randint(0, 4095))])
            return ["set", "Port", rng.choice(used_ports), "tag=" + tag]
        if choice >= 0.9:
            return ["set-global", "mac-aging-time=%d" % rng.randint(1, 3600)]


class Driver(threading.Thread):
    """Issues commands back to back until the daemon dies, recording the
    store state after every acknowledged command."""

    def __init__(self, daemon, start_doc, rng):
        super().__init__(daemon=True)
        self.d = daemon
        self.acked_doc = start_doc     # state after the last acked command
        self.in_flight = None          # command sent, reply not yet seen
        self.rng = rng
        self.acked = 0
        self.failure = None

    def run(self):
        try:
            c = RpcClient(self.d.sock)
        except OSError:
            return
        try:
            while True:
                cmd = next_command(self.acked_doc, self.rng)
                self.in_flight = cmd
                reply = c.call(*cmd)
                if "error" in reply:
                    self.failure = "%s failed: %s" % (cmd, reply["error"])
                    return
                expected = apply_command(self.acked_doc, cmd)
                stored = load_store(self.d.db)
                if config_view(stored) != config_view(expected):
                    self.failure = ("store after %s is %s, expected %s"
                                    % (cmd, config_view(stored),
                                       config_view(expected)))
                    return
                self.acked_doc = expected
                self.in_flight = None
                self.acked += 1
        except (OSError, ConnectionError, json.JSONDecodeError):
            return      # the daemon was killed under us
        finally:
            c.close()


def check_daemon_matches(d, doc):
    """The running daemon reports exactly 'doc', with every port alive."""
    c = RpcClient(d.sock)
    try:
        show = c.call("show")["result"]
        got = {b["name"]: sorted((p["name"], p["ofport"], p.get("tag"))
                                 for p in b["ports"])
               for b in show["bridges"]}
        want = {b: sorted((p, v["ofport"], v.get("tag"))
                          for p, v in br["ports"].items())
                for b, br in doc["bridges"].items()}
        assert got == want
        for b in show["bridges"]:
            for p in b["ports"]:
                assert "error" not in p, "port %s: %s" % (p["name"],
                                                          p["error"])
        assert c.call("get-global")["result"] == doc["global"]
    finally:
        c.close()


def test_sigkill_during_config_writes(daemon):
    rng = random.Random(int(os.environ.get("CRASH_SEED", time.time())))
    daemon.start()
    doc = load_store(daemon.db)
    total_acked = 0
    saw_new = saw_old_with_inflight = 0
    for iteration in range(ITERATIONS):
        driver = Driver(daemon, doc, rng)
        driver.start()
        time.sleep(rng.uniform(0.05, 0.6))
        daemon.kill()
        driver.join(timeout=30)
        assert not driver.is_alive()
        assert driver.failure is None, driver.failure
        total_acked += driver.acked

        # The store must be whole: old or new state, nothing else.
        with open(daemon.db) as f:
            text = f.read()
        stored = json.loads(text)
        old = driver.acked_doc
        if driver.in_flight is None:
            assert config_view(stored) == config_view(old)
        else:
            new = apply_command(old, driver.in_flight)
            assert config_view(stored) in (config_view(old),
                                           config_view(new)), (
                "iteration %d: store %s is neither old %s nor new %s (%s)"
                % (iteration, config_view(stored), config_view(old),
                   config_view(new), driver.in_flight))
            if config_view(stored) == config_view(new):
                saw_new += 1
            else:
                saw_old_with_inflight += 1

        # Restart from whatever is on disk.
        daemon.start()
        leftovers = glob.glob(daemon.db + ".tmp.*")
        assert leftovers == [], "stale temp files survive a start: %s" % (
            leftovers,)
        check_daemon_matches(daemon, stored)
        doc = stored

    daemon.stop()
    assert total_acked > ITERATIONS, "too few commands ran to mean much"
    print("acked %d commands; interrupted commands found applied %d, "
          "not applied %d" % (total_acked, saw_new, saw_old_with_inflight))


def test_corrupt_store_refuses_to_start(daemon):
    with open(daemon.db, "w") as f:
        f.write('{"format": "vswitch-config", "bridges": {')
    proc = subprocess.run(
        [VSWITCHD, "--no-huge", "--file-prefix", daemon.prefix,
         "--db", daemon.db, "--unixctl", daemon.sock],
        capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "corrupt" in proc.stderr and daemon.db in proc.stderr
    with open(daemon.db) as f:       # left untouched for the operator
        assert f.read().startswith('{"format": "vswitch-config"')


def test_restart_keeps_ofports_and_cli_works(daemon):
    if not os.access(VSWITCH_CTL, os.X_OK):
        pytest.skip("vswitch-ctl not built at %s" % VSWITCH_CTL)
    daemon.start()
    env = dict(os.environ, VSWITCH_UNIXCTL=daemon.sock)

    def ctl(*args, ok=True):
        p = subprocess.run([VSWITCH_CTL, "--timeout=20"] + list(args),
                           capture_output=True, text=True, env=env,
                           timeout=60)
        if ok:
            assert p.returncode == 0, p.stderr
        return p

    ctl("add-br", "br0")
    ctl("add-port", "br0", "d1", "--", "type=dummy", "ofport=7")
    ctl("add-port", "br0", "d2", "--", "type=dummy", "tag=10")
    bad = ctl("add-port", "br0", "d1", "--", "type=dummy", ok=False)
    assert bad.returncode == 1
    assert "port 'd1' already exists on bridge 'br0'" in bad.stderr
    bad = ctl("add-port", "br0", "d3", "--", "type=dummy", "tag=5000",
              ok=False)
    assert bad.returncode == 1 and "bad VLAN 5000" in bad.stderr
    daemon.kill()
    daemon.start()
    show = json.loads(ctl("--json", "show").stdout)
    ports = {p["name"]: p for p in show["bridges"][0]["ports"]}
    assert ports["d1"]["ofport"] == 7
    assert ports["d2"]["ofport"] == 1
    assert ports["d2"]["tag"] == 10
    human = ctl("show").stdout
    assert "Bridge br0" in human and "tag: 10" in human
    daemon.stop()
    gone = ctl("list-br", ok=False)
    assert gone.returncode == 1 and "daemon not running" in gone.stderr


def test_second_daemon_on_same_store_is_refused(daemon):
    daemon.start()
    proc = subprocess.run(
        [VSWITCHD, "--no-huge", "--file-prefix", daemon.prefix + "b",
         "--db", daemon.db,
         "--unixctl", os.path.join(daemon.workdir, "other.ctl")],
        capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "in use by another vswitchd" in proc.stderr
    daemon.stop()
