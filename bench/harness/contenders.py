"""The three contenders: vswitch, Open vSwitch with DPDK, and testpmd.

Each contender is started fresh for one scenario run in a private work
directory with its own DPDK ``--file-prefix`` and ``--no-pci``, given the
scenario's ports as the same vdevs (net_pcap for traffic, net_null for the
output), and stopped and cleaned (processes, /var/run/dpdk/<prefix>,
hugepage files, private directories) by ``stop()``, which is idempotent and
also runs on failure.

The interface the measurement code uses:

``start(scenario)``      bring the contender up with the scenario's ports
                         and behaviour (rules or NORMAL)
``pids`` / ``fwd_tid``   processes of the contender, its forwarding thread
``tx(port)`` / ``rx(port)``
                         a port's output / input counter (packets)
``cache_clear()`` / ``cache_stats()``
                         datapath cache hit counters, where the contender
                         has any (None otherwise)
``add_flows(path)``      install a flow file, returns when acknowledged
``before_once``          callback run just before a read-once port is added
``stop()``

Forwarding core 1, everything else core 0 (FWD_CPU/OTHER_CPU).
"""

import json
import os
import re
import shutil
import subprocess

from . import procs
from .procs import HarnessError

FWD_CPU = 1
OTHER_CPU = 0
N_MBUFS = 262144     # Open vSwitch's default shared mempool size; all use it
LEARN_MAC = "02:00:00:00:00:02"   # the destination of every traffic frame


def devargs(scenario, cache):
    """{port name: devargs} for the scenario; vdev names are per type."""
    n_pcap = n_null = 0
    out = {}
    for port in scenario.ports:
        if port.kind == "sink":
            out[port.name] = f"net_null{n_null},no-rx=1"
            n_null += 1
            continue
        method, *args = port.traffic
        path = getattr(cache, method)(*args)
        extra = ",infinite_rx=1" if port.kind == "replay" else ""
        out[port.name] = f"net_pcap{n_pcap},rx_pcap={path}{extra}"
        n_pcap += 1
    return out


def _learn_port(scenario):
    return next((p for p in scenario.ports if p.kind == "learn"), None)


def _add_order(scenario):
    """Ports in the order to add them: outputs first, traffic last."""
    rank = {"sink": 0, "learn": 1, "replay": 2, "once": 3}
    return sorted(scenario.ports, key=lambda p: rank[p.kind])


class Contender:
    name = "?"
    label = "?"

    def __init__(self, workdir, cache, tag):
        self.cache = cache
        self.dir = os.path.join(workdir, tag)
        self.prefix = f"vswbench-{tag}-{os.getpid()}"
        self.procs = []
        self.fwd_tid = None
        self.scenario = None
        self.fwd_nice = 0     # set by the caller (--fwd-nice)
        # Called once, just before a "once" port (read-once traffic) is
        # added, when every other port runs: the new-flow measurement
        # starts there, as such a file may be read within a second.
        self.before_once = None

    @property
    def pids(self):
        return [p.pid for p in self.procs if p.poll() is None]

    @property
    def main_pid(self):
        return self.procs[-1].pid

    def alive(self):
        return all(p.poll() is None for p in self.procs)

    def check_alive(self):
        for p in self.procs:
            if p.poll() is not None:
                raise HarnessError(
                    f"{self.label}: process {p.args[0]} exited with "
                    f"{p.returncode}; see {self.dir}")

    def pin(self):
        procs.pin_threads(self.pids, self.fwd_tid, FWD_CPU, OTHER_CPU,
                          self.fwd_nice)

    # Name prefix(es) of the forwarding thread.
    fwd_thread = (f"pmd-c{FWD_CPU:02d}",)

    def wait_fwd_thread(self, timeout=30):
        """Waits for the forwarding thread to exist; sets fwd_tid."""
        self._wait_fwd_thread(self.fwd_thread, timeout)

    def _wait_fwd_thread(self, prefix, timeout=30):
        def found():
            self.check_alive()
            self.fwd_tid = procs.find_thread(self.main_pid, prefix)
            return self.fwd_tid is not None
        procs.wait_for(found, timeout,
                       f"{self.label}'s forwarding thread {prefix}")

    def _before_port(self, port):
        if port.kind == "once" and self.before_once:
            self.before_once()

    def learned_ofport(self, mac):
        return None

    def _wait_learned(self, scenario, timeout=3.0):
        """True once the NORMAL scenario's destination MAC is learned on
        its learn port."""
        want = _learn_port(scenario).ofport
        try:
            procs.wait_for(lambda: self.learned_ofport(LEARN_MAC) == want,
                           timeout, "learning")
            return True
        except HarnessError:
            return False

    def cache_clear(self):
        pass

    def cache_stats(self):
        return None

    def memory_kb(self):
        return procs.memory_kb(self.pids)

    def add_flows(self, path):
        raise HarnessError(f"{self.label} cannot install flows")

    def flow_count(self):
        raise HarnessError(f"{self.label} cannot count its flows")

    def stop(self):
        for p in reversed(self.procs):
            procs.stop(p)
        self.procs = []
        procs.remove_dpdk_files(self.prefix)

    def _fresh_dir(self):
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)


class Vswitch(Contender):
    """vswitchd from a build directory, driven with vswitch-ctl."""

    name = "vswitch"
    label = "vswitch"

    def __init__(self, workdir, cache, build, no_huge=False, n_mbufs=N_MBUFS,
                 settings=(), label=None):
        super().__init__(workdir, cache,
                         "vswitch" if not settings else "vswitch-tuned")
        # Extra set-global KEY=VALUE settings, and the label that says so.
        self.settings = list(settings)
        if label:
            self.label = label
        self.vswitchd = os.path.join(build, "ctl", "vswitchd")
        self.ctl_bin = os.path.join(build, "ctl", "vswitch-ctl")
        for b in (self.vswitchd, self.ctl_bin):
            if not os.access(b, os.X_OK):
                raise HarnessError(
                    f"{b} not found: build vswitch first "
                    f"(meson setup {build} && ninja -C {build})")
        self.no_huge = no_huge
        self.n_mbufs = n_mbufs

    def ctl(self, *args, json_out=False, timeout=60):
        """Runs vswitch-ctl; leading "--option" arguments are global
        options (e.g. "--timeout=900")."""
        cmd = [self.ctl_bin, f"--unixctl={self.sock}"]
        if json_out:
            cmd.append("--json")
        what = next(a for a in args if not a.startswith("--"))
        out = procs.run(cmd + list(args), timeout=timeout,
                        what=f"vswitch-ctl {what}")
        return json.loads(out) if json_out else out

    def start(self, scenario):
        self.scenario = scenario
        self._fresh_dir()
        self.sock = os.path.join(self.dir, "vswitchd.ctl")
        cmd = [self.vswitchd, "--db", os.path.join(self.dir, "conf.json"),
               "--unixctl", self.sock,
               "--log-file", os.path.join(self.dir, "vswitchd.log"),
               "--pidfile", os.path.join(self.dir, "vswitchd.pid"),
               "--file-prefix", self.prefix, "--n-mbufs", str(self.n_mbufs),
               "--eal-args", "--no-pci"]
        if self.no_huge:
            cmd.append("--no-huge")
        self.procs.append(procs.spawn(
            cmd, os.path.join(self.dir, "stdout.log")))

        def ready():
            self.check_alive()
            try:
                self.ctl("version", timeout=5)
                return True
            except HarnessError:
                return False
        procs.wait_for(ready, 60, "vswitchd's control socket")
        self.ctl("set-global", f"pmd-cpu-mask={1 << FWD_CPU:#x}",
                 "pmd-max-sleep=0", *self.settings)
        self.ctl("add-br", "br0")
        self._install_rules(scenario)
        dev = devargs(scenario, self.cache)
        for port in _add_order(scenario):
            self._before_port(port)
            self.ctl("add-port", "br0", port.name, "--", "type=dpdk",
                     f"ofport={port.ofport}",
                     f"options:dpdk-devargs={dev[port.name]}")
        self.wait_fwd_thread()
        self._check_ports()
        if _learn_port(scenario) and not self._wait_learned(scenario):
            raise HarnessError(f"vswitch did not learn {LEARN_MAC} on "
                               f"{_learn_port(scenario).name}")

    def learned_ofport(self, mac):
        for e in self.ctl("fdb-show", "br0", json_out=True):
            if e["mac"] == mac:
                return int(e["ofport"])
        return None

    def _install_rules(self, scenario):
        """Configured like Open vSwitch: fail-mode secure (no fallback
        NORMAL flow), every flow deleted, then the scenario's flow file
        installed with add-flows (OpenFlow 1.3, acknowledged by a
        barrier) before any port exists."""
        self.ctl("set-fail-mode", "br0", "secure")
        self.ctl("del-flows", "br0")
        rules = scenario.rules(self.cache) if callable(scenario.rules) \
            else scenario.rules
        if rules:
            path = os.path.join(self.dir, "flows.txt")
            with open(path, "w") as f:
                f.write("\n".join(rules) + "\n")
            self.add_flows(path)
        if self.flow_count() != len(rules):
            raise HarnessError(f"vswitch has {self.flow_count()} flows "
                               f"after add-flows, expected {len(rules)}")

    def add_flows(self, path):
        # vswitch-ctl sends every flow_mod, then a barrier, and returns on
        # the barrier reply (as ovs-ofctl).
        self.ctl("--timeout=900", "add-flows", "br0", path, timeout=900)

    def flow_count(self):
        # Table statistics rather than a dump: one small reply whatever the
        # number of flows ("tables 2...253: ditto" repeats a zero table).
        out = self.ctl("dump-tables", "br0")
        return sum(int(n) for n in re.findall(r"active=(\d+)", out))

    def cache_clear(self):
        self.ctl("pmd-stats-clear")

    def cache_stats(self):
        """vswitch's PMD counters on the harness's cache levels: "simple"
        is the port-only megaflow path (whole bursts, unparsed); no SMC; a
        miss is either translated (upcall) or dropped by the upcall rate
        limit (failed)."""
        stats = dict.fromkeys(("simple", "emc", "smc", "megaflow", "upcall",
                               "failed"), 0)
        for pmd in self.ctl("pmd-perf-show", json_out=True):
            stats["simple"] += int(pmd.get("simple_hits", 0))
            stats["emc"] += int(pmd["emc_hits"])
            stats["megaflow"] += int(pmd["megaflow_hits"])
            stats["upcall"] += int(pmd["upcalls_handled"])
            stats["failed"] += int(pmd["upcalls_dropped"])
        return stats

    def _check_ports(self):
        errors = [p for b in self.ctl("show", json_out=True)["bridges"]
                  for p in b["ports"] if p.get("error")]
        if errors:
            raise HarnessError(f"vswitch port error: {errors[0]['error']}")

    def tx(self, port):
        return int(self.ctl("port-stats", port, json_out=True)[0]
                   ["tx_packets"])

    def rx(self, port):
        return int(self.ctl("port-stats", port, json_out=True)[0]
                   ["rx_packets"])

    def memory_info(self):
        return self.ctl("memory-show", json_out=True)


class Ovs(Contender):
    """Open vSwitch 3.1 (ovs-vswitchd-dpdk) with a private ovsdb-server,
    netdev datapath, fail-mode secure, OpenFlow 1.3."""

    name = "ovs"
    BIN = "/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk"
    SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"

    def __init__(self, workdir, cache, emc=True, bundle=False):
        tag = "ovs" + ("" if emc else "-noemc") + ("-bundle" if bundle else "")
        super().__init__(workdir, cache, tag)
        self.emc = emc
        self.bundle = bundle
        self.label = "OVS 3.1" + ("" if emc else " (EMC off)") + \
            (" (--bundle)" if bundle else "")
        if not os.access(self.BIN, os.X_OK):
            raise HarnessError("ovs-vswitchd-dpdk not found: apt-get install "
                               "openvswitch-switch-dpdk")
        for tool in ("ovsdb-tool", "ovsdb-server", "ovs-vsctl", "ovs-ofctl",
                     "ovs-appctl"):
            if not shutil.which(tool, path=os.environ.get("PATH", "")
                                + ":/usr/sbin:/sbin"):
                raise HarnessError(f"{tool} not found: apt-get install "
                                   "openvswitch-common openvswitch-switch")

    def _env(self):
        env = dict(os.environ)
        for var, sub in (("OVS_RUNDIR", "run"), ("OVS_DBDIR", "db"),
                         ("OVS_LOGDIR", "log"), ("OVS_SYSCONFDIR", "etc")):
            env[var] = os.path.join(self.dir, sub)
        env["PATH"] = env.get("PATH", "") + ":/usr/sbin:/sbin"
        return env

    def vsctl(self, *args, wait=True):
        db = "unix:" + os.path.join(self.dir, "run", "db.sock")
        cmd = ["ovs-vsctl", f"--db={db}", "--timeout=60"]
        if not wait:
            cmd.append("--no-wait")
        return procs.run(cmd + list(args), env=self._env(), what="ovs-vsctl")

    def ofctl(self, *args, timeout=120):
        return procs.run(["ovs-ofctl", "-O", "OpenFlow13"] + list(args),
                         env=self._env(), timeout=timeout, what="ovs-ofctl")

    def appctl(self, *args):
        ctl = os.path.join(self.dir, "run", "ovs-vswitchd.ctl")
        return procs.run(["ovs-appctl", "-t", ctl] + list(args),
                         env=self._env(), what="ovs-appctl")

    def start(self, scenario):
        self.scenario = scenario
        self._fresh_dir()
        for sub in ("run", "db", "log", "etc"):
            os.makedirs(os.path.join(self.dir, sub))
        env = self._env()
        run, db, log = (os.path.join(self.dir, s) for s in ("run", "db",
                                                             "log"))
        procs.run(["ovsdb-tool", "create", os.path.join(db, "conf.db"),
                   self.SCHEMA], env=env, what="ovsdb-tool create")
        self.procs.append(procs.spawn(
            ["ovsdb-server", os.path.join(db, "conf.db"),
             f"--remote=punix:{run}/db.sock",
             f"--pidfile={run}/ovsdb-server.pid",
             f"--unixctl={run}/ovsdb-server.ctl",
             f"--log-file={log}/ovsdb-server.log"],
            os.path.join(log, "ovsdb-server.out"), env=env))
        procs.wait_for(lambda: os.path.exists(f"{run}/db.sock")
                       or self.check_alive(), 20, "ovsdb-server's socket")
        other = {
            "dpdk-init": "true",
            "dpdk-lcore-mask": f"{1 << OTHER_CPU:#x}",
            "pmd-cpu-mask": f"{1 << FWD_CPU:#x}",
            "dpdk-extra": f'"--file-prefix={self.prefix} --no-pci"',
        }
        if not self.emc:
            other["emc-insert-inv-prob"] = "0"
        self.vsctl("init", "--", "set", "Open_vSwitch", ".",
                   *[f"other_config:{k}={v}" for k, v in other.items()],
                   wait=False)
        self.procs.append(procs.spawn(
            [self.BIN, f"unix:{run}/db.sock", f"--pidfile={run}/vswitchd.pid",
             f"--unixctl={run}/ovs-vswitchd.ctl",
             f"--log-file={log}/ovs-vswitchd.log"],
            os.path.join(log, "ovs-vswitchd.out"), env=env))
        self.vsctl("add-br", "br0", "--", "set", "bridge", "br0",
                   "datapath_type=netdev", "fail-mode=secure",
                   "protocols=OpenFlow13")
        rules = scenario.rules(self.cache) if callable(scenario.rules) \
            else scenario.rules
        if rules:
            path = os.path.join(self.dir, "flows.txt")
            with open(path, "w") as f:
                f.write("\n".join(rules) + "\n")
            self.ofctl("add-flows", "br0", path)
        dev = devargs(scenario, self.cache)
        for port in _add_order(scenario):
            self._before_port(port)
            self.vsctl("add-port", "br0", port.name, "--", "set", "Interface",
                       port.name, "type=dpdk",
                       f"options:dpdk-devargs={dev[port.name]}",
                       f"ofport_request={port.ofport}")
        self.wait_fwd_thread()
        for port in scenario.ports:
            err = self.vsctl("get", "Interface", port.name, "error").strip()
            if err not in ("[]", ""):
                raise HarnessError(f"OVS port {port.name}: {err}")
        learn = _learn_port(scenario)
        self.static_fdb = False
        if learn and not self._wait_learned(scenario):
            # The one learning frame can reach the PMD before ofproto knows
            # the port (the upcall fails: "xlate_key failed"); then give
            # OVS the same knowledge as a static entry.
            self.appctl("fdb/add", "br0", learn.name, "0", LEARN_MAC)
            self.static_fdb = True
            if not self._wait_learned(scenario):
                raise HarnessError(f"OVS did not learn {LEARN_MAC} on "
                                   f"{learn.name}, even with fdb/add")

    def learned_ofport(self, mac):
        for line in self.appctl("fdb/show", "br0").splitlines()[1:]:
            f = line.split()
            if len(f) >= 3 and f[2] == mac:
                return int(f[0]) if f[0].isdigit() else None
        return None

    def _port_counter(self, port, direction):
        ofport = next(p.ofport for p in self.scenario.ports if p.name == port)
        out = self.ofctl("dump-ports", "br0", str(ofport))
        m = re.search(direction + r" pkts=(\d+)", out)
        if not m:
            raise HarnessError(f"no {direction} counter in ovs-ofctl "
                               f"dump-ports: {out}")
        return int(m.group(1))

    def tx(self, port):
        return self._port_counter(port, "tx")

    def rx(self, port):
        return self._port_counter(port, "rx")

    def cache_clear(self):
        self.appctl("dpif-netdev/pmd-stats-clear")

    def cache_stats(self):
        out = self.appctl("dpif-netdev/pmd-stats-show")
        fields = {"simple": r"simple match hits: (\d+)",
                  "emc": r"emc hits: (\d+)", "smc": r"smc hits: (\d+)",
                  "megaflow": r"megaflow hits: (\d+)",
                  "upcall": r"miss with success upcall: (\d+)",
                  "failed": r"miss with failed upcall: (\d+)"}
        stats = {}
        for key, rx in fields.items():
            stats[key] = sum(int(v) for v in re.findall(rx, out))
        return stats

    def add_flows(self, path):
        # ovs-ofctl sends every flow_mod, then a barrier, and returns on the
        # barrier reply; with --bundle all of them go in one atomic bundle.
        args = ["--bundle"] if self.bundle else []
        self.ofctl(*args, "add-flows", "br0", path, timeout=900)

    def flow_count(self):
        out = self.ofctl("dump-aggregate", "br0")
        m = re.search(r"flow_count=(\d+)", out)
        return int(m.group(1)) if m else -1

    def stop(self):
        if self.procs and self.alive():
            try:
                procs.run(["ovs-appctl", "-t",
                           os.path.join(self.dir, "run", "ovs-vswitchd.ctl"),
                           "exit", "--cleanup"], env=self._env(), timeout=15)
                self.procs[-1].wait(10)
            except (HarnessError, subprocess.TimeoutExpired):
                pass
        super().stop()


class Testpmd(Contender):
    """dpdk-testpmd --forward-mode=io: the I/O limit of the same ports."""

    name = "testpmd"
    label = "testpmd io"
    # DPDK 22.11 names worker lcores rte-worker-N (lcore-worker-N in
    # later releases).
    fwd_thread = (f"rte-worker-{FWD_CPU}", f"lcore-worker-{FWD_CPU}")
    BIN = "dpdk-testpmd"

    def __init__(self, workdir, cache, n_mbufs=N_MBUFS):
        super().__init__(workdir, cache, "testpmd")
        if not shutil.which(self.BIN):
            raise HarnessError("dpdk-testpmd not found: apt-get install dpdk")
        self.n_mbufs = n_mbufs

    def start(self, scenario):
        self.scenario = scenario
        self._fresh_dir()
        dev = devargs(scenario, self.cache)
        cmd = [self.BIN, "-l", f"{OTHER_CPU},{FWD_CPU}", "--main-lcore",
               str(OTHER_CPU), "--file-prefix", self.prefix, "--no-pci"]
        for port in scenario.ports:          # port ids follow this order
            cmd += ["--vdev", dev[port.name]]
        cmd += ["--", "--forward-mode=io", "--auto-start", "--nb-cores=1",
                f"--total-num-mbufs={self.n_mbufs}"]
        # testpmd exits when stdin closes: keep a pipe open until stop().
        self.procs.append(procs.spawn(cmd, os.path.join(self.dir,
                                                        "testpmd.log"),
                                      stdin=subprocess.PIPE))
        self.wait_fwd_thread(timeout=60)
        self.port_ids = {p.name: i for i, p in enumerate(scenario.ports)}
        sock = f"/var/run/dpdk/{self.prefix}/dpdk_telemetry.v2"
        procs.wait_for(lambda: os.path.exists(sock) or self.check_alive(),
                       30, "testpmd's telemetry socket")
        self.sock = sock

    def _telemetry(self, query):
        import socket
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            s.settimeout(5)
            s.connect(self.sock)
            s.recv(4096)                     # the greeting
            s.send(query.encode())
            return json.loads(s.recv(1 << 16))
        except OSError as e:
            raise HarnessError(f"testpmd telemetry {query}: {e}") from e
        finally:
            s.close()

    def tx(self, port):
        q = f"/ethdev/stats,{self.port_ids[port]}"
        return int(self._telemetry(q)["/ethdev/stats"]["opackets"])

    def stop(self):
        for p in self.procs:
            if p.stdin and not p.stdin.closed:
                try:
                    p.stdin.close()       # "Press enter to exit"
                    p.wait(10)
                except (OSError, subprocess.TimeoutExpired):
                    pass
        super().stop()
