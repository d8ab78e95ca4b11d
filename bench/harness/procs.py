"""Process, thread and host helpers shared by the contenders.

* Every process the harness starts goes through ``spawn`` and is recorded, so
  ``kill_all`` can stop whatever is left on failure, exit or Ctrl-C.
* Threads are pinned with ``os.sched_setaffinity`` on their thread ids: the
  forwarding thread on the forwarding core, every other thread of the
  contender on the housekeeping core.
* ``schedstat_ns`` reads a thread's own on-CPU time (first field of
  /proc/PID/task/TID/schedstat), the basis of cycles per packet and of the
  "had at least 80 % of its core" validity check.
* ``Hugepages`` raises the 2 MiB hugepage reservation for a run and puts the
  previous value back afterwards.
"""

import glob
import os
import shutil
import signal
import subprocess
import time


class HarnessError(Exception):
    """A failure with a message meant for the user."""


_LIVE = []   # Popen objects started by spawn(), newest last


def spawn(cmd, log_path, env=None, stdin=subprocess.DEVNULL):
    """Starts 'cmd' in its own session, stdout+stderr to 'log_path'."""
    log = open(log_path, "ab")
    try:
        p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                             stdin=stdin, env=env, start_new_session=True)
    except FileNotFoundError as e:
        raise HarnessError(f"{cmd[0]} not found ({e})") from e
    finally:
        log.close()
    _LIVE.append(p)
    return p


def stop(p, timeout=10.0):
    """SIGTERM, then SIGKILL after 'timeout' seconds; idempotent."""
    if p.poll() is None:
        try:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait(5)
        except ProcessLookupError:
            pass
    if p in _LIVE:
        _LIVE.remove(p)


def kill_all():
    """Stops every process spawn() started that is still running."""
    for p in reversed(list(_LIVE)):
        stop(p, timeout=5.0)


def run(cmd, env=None, timeout=120, what=None):
    """Runs a short command; returns stdout; raises HarnessError on error."""
    try:
        r = subprocess.run(cmd, env=env, capture_output=True, text=True,
                           timeout=timeout)
    except FileNotFoundError as e:
        raise HarnessError(f"{cmd[0]} not found ({e})") from e
    except subprocess.TimeoutExpired as e:
        raise HarnessError(f"{what or cmd[0]} timed out after {timeout} s: "
                           f"{' '.join(cmd)}") from e
    if r.returncode != 0:
        raise HarnessError(f"{what or cmd[0]} failed (exit {r.returncode}): "
                           f"{' '.join(cmd)}\n{r.stderr.strip()}")
    return r.stdout


def wait_for(predicate, timeout, what):
    """Polls 'predicate' every 50 ms until true; HarnessError on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise HarnessError(f"timed out after {timeout:.0f} s waiting for {what}")


def threads(pid):
    """{tid: comm} of every thread of 'pid' (empty if it is gone)."""
    out = {}
    for task in glob.glob(f"/proc/{pid}/task/*"):
        try:
            with open(os.path.join(task, "comm")) as f:
                out[int(os.path.basename(task))] = f.read().strip()
        except OSError:
            pass
    return out


def find_thread(pid, prefixes):
    """The first thread of 'pid' whose name starts with one of
    'prefixes' (a string or a tuple)."""
    for tid, comm in threads(pid).items():
        if comm.startswith(prefixes):
            return tid
    return None


def pin_threads(pids, fwd_tid, fwd_cpu, other_cpu, fwd_nice=0):
    """Forwarding thread on fwd_cpu (at nice 'fwd_nice'), all other threads
    of 'pids' on other_cpu."""
    for pid in pids:
        for tid in threads(pid):
            try:
                os.sched_setaffinity(tid, {fwd_cpu} if tid == fwd_tid
                                     else {other_cpu})
                if tid == fwd_tid and fwd_nice:
                    os.setpriority(os.PRIO_PROCESS, tid, fwd_nice)
                    _autogroup_nice(pid, fwd_nice)
            except OSError:
                pass   # thread exited meanwhile


def _autogroup_nice(pid, nice):
    """With sched_autogroup, CFS first shares a CPU between sessions and
    applies a thread's nice only inside its session: the contender's own
    session (spawn() starts one) gets the same nice."""
    try:
        with open(f"/proc/{pid}/autogroup", "w") as f:
            f.write(str(nice))
    except OSError:
        pass   # no autogroup support: the thread's nice is enough


def schedstat_ns(pid, tid):
    """On-CPU nanoseconds of thread 'tid' so far."""
    with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
        return int(f.read().split()[0])


def memory_kb(pids):
    """(peak RSS, hugepages mapped) in KiB, summed over 'pids'."""
    rss = huge = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        rss += int(line.split()[1])
                    elif line.startswith("HugetlbPages:"):
                        huge += int(line.split()[1])
        except OSError:
            pass
    return rss, huge


def cpu_hz():
    """The CPU clock in Hz as the kernel reports it (KVM: the TSC rate)."""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("cpu MHz"):
                return float(line.split(":")[1]) * 1e6
    raise HarnessError("no 'cpu MHz' in /proc/cpuinfo")


def remove_dpdk_files(prefix):
    """Removes a DPDK file prefix's runtime directory and hugepage files."""
    shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)
    for path in glob.glob(f"/dev/hugepages/{prefix}map_*"):
        try:
            os.unlink(path)
        except OSError:
            pass


class Hugepages:
    """Raises the free 2 MiB hugepage count to 'want_free' pages; restore()
    writes the original nr_hugepages back."""

    PATH = "/sys/kernel/mm/hugepages/hugepages-2048kB/"

    def __init__(self):
        self.original = None

    @classmethod
    def read(cls, name):
        try:
            with open(cls.PATH + name) as f:
                return int(f.read())
        except OSError:
            return 0

    def ensure_free(self, want_free):
        free = self.read("free_hugepages")
        if free >= want_free:
            return free
        total = self.read("nr_hugepages")
        try:
            with open(self.PATH + "nr_hugepages", "w") as f:
                f.write(str(total + want_free - free))
            if self.original is None:
                self.original = total
        except OSError:
            pass
        return self.read("free_hugepages")

    def restore(self):
        if self.original is not None:
            try:
                with open(self.PATH + "nr_hugepages", "w") as f:
                    f.write(str(self.original))
            except OSError:
                pass
            self.original = None
