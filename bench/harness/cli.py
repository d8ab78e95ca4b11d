"""Command line of the side-by-side benchmark (bench/run.py).

Runs every selected scenario for every contender, interleaved per repetition
(scenario by scenario: vswitch, OVS, [OVS EMC off], testpmd, then the next
scenario; then the next repetition), each contender started fresh for every
run and stopped and cleaned afterwards.  Prints an aligned table; with
``--out`` also writes a markdown report and a PNG chart.

``--quick``: vswitch only, the scenarios marked quick (three OpenFlow flow
files and a 10k flow_mod install), 1 repetition of a short window: a smoke
test for the test command.  Exit status 0 when every
runnable scenario gave a valid non-zero rate, 1 otherwise, 2 on a setup
error (missing binary, bad option).

Cleanup (processes, DPDK runtime files, private directories, the hugepage
reservation) also runs on errors, SIGTERM and Ctrl-C.
"""

import argparse
import datetime
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from . import contenders, measure, procs, report
from .pcaps import TrafficCache
from .procs import HarnessError
from .scenarios import RUN, SCENARIOS

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
ALL_CONTENDERS = ("vswitch", "ovs", "testpmd")


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="bench/run.py",
        description="Side-by-side forwarding benchmark: vswitch, Open "
                    "vSwitch 3.1 with DPDK and the testpmd I/O limit on "
                    "net_pcap -> net_null vdevs.")
    p.add_argument("--quick", action="store_true",
                   help="vswitch only, short windows, 1 repetition (CI)")
    p.add_argument("--build", default="build",
                   help="vswitch build directory (default: build)")
    p.add_argument("--reps", type=int, default=None,
                   help="repetitions per scenario and contender (default 3;"
                        " quick 1)")
    p.add_argument("--window", type=float, default=None,
                   help="measurement window in seconds (default 5; quick 2)")
    p.add_argument("--warmup", type=float, default=None,
                   help="warm-up seconds before the window (default 3; "
                        "quick 1)")
    p.add_argument("--scenarios", nargs="+", default=None, metavar="ID",
                   help="scenario ids or group numbers (default: all; see "
                        "--list)")
    p.add_argument("--contenders", nargs="+", choices=ALL_CONTENDERS,
                   default=None, help="default: all three (quick: vswitch)")
    p.add_argument("--no-emc-variant", action="store_true",
                   help="skip the OVS EMC-disabled runs of 100k-flow "
                        "scenarios")
    p.add_argument("--out", default=None,
                   help="write a markdown report here (e.g. bench/RESULTS.md)"
                        "; the chart goes to bench/results/chart.png")
    p.add_argument("--chart", default=None, help="chart path (with --out)")
    p.add_argument("--min-share", type=float, default=None,
                   help="minimum share of its core the forwarding thread "
                        "must get for a valid window (default 0.8; quick "
                        "0.5: a smoke test must not fail on a busy host)")
    p.add_argument("--tries", type=int, default=None,
                   help="windows tried before a run is marked invalid "
                        "(default 3; quick 5)")
    p.add_argument("--reruns", type=int, default=None,
                   help="rounds of fresh re-runs, at the end, of runs that "
                        "had no window with enough of the core (default 2; "
                        "quick 0)")
    p.add_argument("--time-budget", type=float, default=1e9,
                   metavar="MIN", help="start no re-run after MIN minutes")
    p.add_argument("--fwd-nice", type=int, default=-10,
                   help="nice value of every contender's forwarding thread "
                        "(default -10: on a shared host it keeps most of its "
                        "core without starving anyone; 0 to disable)")
    p.add_argument("--retry-wait", type=float, default=None,
                   help="seconds between a window too noisy and the next "
                        "try (default 2; quick 0.5)")
    p.add_argument("--cache-dir", default="/var/tmp/vswitch-bench",
                   help="where generated pcaps and flow files are kept")
    p.add_argument("--newflow-packets", type=int, default=4000000,
                   help="length of the new-flow pcap (each packet a new "
                        "flow)")
    p.add_argument("--keep", action="store_true",
                   help="keep the work directory (logs) after the run")
    p.add_argument("--list", action="store_true",
                   help="list the scenarios and exit")
    a = p.parse_args(argv)
    quick = a.quick
    a.reps = a.reps or (1 if quick else 3)
    a.window = a.window or (2.0 if quick else 5.0)
    a.warmup = a.warmup if a.warmup is not None else (1.0 if quick else 3.0)
    a.min_share = a.min_share if a.min_share is not None else \
        (0.5 if quick else 0.8)
    a.tries = a.tries or (5 if quick else 3)
    a.retry_wait = a.retry_wait if a.retry_wait is not None else \
        (0.5 if quick else 2.0)
    a.reruns = a.reruns if a.reruns is not None else (0 if quick else 2)
    a.contenders = a.contenders or (["vswitch"] if quick
                                    else list(ALL_CONTENDERS))
    return a


def select_scenarios(a):
    if a.scenarios:
        chosen = []
        ids = {s.sid for s in SCENARIOS}
        for want in a.scenarios:
            if want not in ids and not want.isdigit():
                raise HarnessError(f"unknown scenario '{want}' (see --list)")
            chosen += [s for s in SCENARIOS if s.sid == want
                       or (want.isdigit() and s.group == int(want))]
        return [s for s in SCENARIOS if s in chosen]
    if a.quick:
        return [s for s in SCENARIOS if s.quick]
    return list(SCENARIOS)


# upcall-rate / upcall-burst of the "no upcall limit" vswitch variant: the
# largest values set-global accepts, far above what one core can translate.
UNLIMITED_RATE = 100000000


def plan(a, scenarios, factories):
    """[(scenario, [contender objects to run])], {(sid, label): reason}."""
    runs, skipped = [], {}
    for sc in scenarios:
        todo = []
        for name in a.contenders:
            support = sc.support[name]
            variants = factories[name](sc)
            for c in variants:
                if support == RUN:
                    todo.append(c)
                else:
                    skipped[(sc.sid, c.label)] = support
        runs.append((sc, todo))
    return runs, skipped


def _version(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True,
                             timeout=10).stdout
        return out.strip().splitlines()[0] if out.strip() else "?"
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def host_info(a):
    model, ncpu = measure.describe_host()
    git = _version(["git", "-C", TOP, "describe", "--always", "--dirty"])
    return {
        "date": datetime.datetime.now(datetime.timezone.utc)
                .strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": f"{model}, {ncpu} logical CPUs",
        "kernel": os.uname().release,
        "vswitch": _version([os.path.join(a.build, "ctl", "vswitchd"),
                             "--version"]) + f" (git {git})",
        "ovs": _version([contenders.Ovs.BIN, "--version"]),
        "dpdk": _version(["dpkg-query", "-W", "-f", "${Version}", "dpdk"]),
    }


def write_markdown(a, info, rows, chart_rel):
    lines = [
        "# Side-by-side benchmark: latest full run",
        "",
        f"- **Date**: {info['date']}",
        f"- **Machine**: {info['cpu']} (KVM guest, shared and noisy), "
        f"kernel {info['kernel']}",
        f"- **vswitch**: {info['vswitch']}",
        f"- **Open vSwitch**: {info['ovs']} (Debian openvswitch-switch-dpdk)",
        f"- **DPDK** (Debian package): {info['dpdk']}",
        f"- **Settings**: {a.reps} repetitions, {a.warmup:g} s warm-up, "
        f"{a.window:g} s window, forwarding core 1, everything else core 0, "
        f"{contenders.N_MBUFS} mbufs each, valid window = forwarding thread "
        f"had >= {a.min_share:.0%} of its core",
        f"- **Command**: `/usr/bin/python3 bench/run.py "
        f"{' '.join(sys.argv[1:])}`",
        "",
        "See bench/README.md for how to read the columns.",
        "",
        report.markdown_table(rows),
        "",
        "Issue #6's targets (vswitch median / peer median):",
        "",
        *report.target_lines(rows),
        "",
        f"![chart]({chart_rel})",
        "",
    ]
    with open(a.out, "w") as f:
        f.write("\n".join(lines))


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    if a.list:
        for s in SCENARIOS:
            sup = ", ".join(f"{k}: {v}" for k, v in s.support.items())
            print(f"{s.group}  {s.sid:<13} {s.title}\n{'':17}{sup}")
        return 0
    if os.geteuid() != 0:
        print("bench/run.py: must run as root (DPDK hugepages, thread "
              "pinning)", file=sys.stderr)
        return 2

    def on_term(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)   # even if started with it ignored

    hp = procs.Hugepages()
    workdir = tempfile.mkdtemp(prefix="vswitch-bench-")
    current = None
    try:
        scenarios = select_scenarios(a)
        cache = TrafficCache(a.cache_dir, a.newflow_packets)
        n_mbufs = 131072 if a.quick else contenders.N_MBUFS
        if not a.quick:
            hp.ensure_free(measure.hugepages_needed(n_mbufs))
        build = os.path.abspath(a.build)
        made = {}

        def factory(name):
            def make(sc):
                if name == "vswitch":
                    key = ("vswitch",)
                    if key not in made:
                        made[key] = contenders.Vswitch(workdir, cache, build,
                                                       n_mbufs=n_mbufs)
                    out = [made[key]]
                    if sc.kind == "newflow" and not a.quick:
                        # vswitch's miss capacity without its default
                        # upcall rate limit, beside the default.
                        key = ("vswitch", "unlimited")
                        if key not in made:
                            made[key] = contenders.Vswitch(
                                workdir, cache, build, n_mbufs=n_mbufs,
                                settings=(f"upcall-rate={UNLIMITED_RATE}",
                                          f"upcall-burst={UNLIMITED_RATE}"),
                                label="vswitch (no upcall limit)")
                        out.append(made[key])
                    return out
                if name == "ovs":
                    out = []
                    variants = [(True, False)]
                    if sc.emc_variants and not a.no_emc_variant:
                        variants.append((False, False))
                    if sc.ovs_bundle:
                        variants.append((True, True))
                    for emc, bundle in variants:
                        key = ("ovs", emc, bundle)
                        if key not in made:
                            made[key] = contenders.Ovs(workdir, cache, emc,
                                                       bundle)
                        out.append(made[key])
                    return out
                key = ("testpmd",)
                if key not in made:
                    made[key] = contenders.Testpmd(workdir, cache, n_mbufs)
                return [made[key]]
            return make
        runs, skipped = plan(a, scenarios,
                             {n: factory(n) for n in ALL_CONTENDERS})
        for c in made.values():
            c.fwd_nice = a.fwd_nice
        hz = procs.cpu_hz()
        budget_end = time.monotonic() + 60 * a.time_budget
        total = sum(len(t) * min(a.reps, sc.max_reps or a.reps)
                    for sc, t in runs)
        samples, done = [], 0
        for rep in range(1, a.reps + 1):
            for sc, todo in runs:
                if sc.max_reps and rep > sc.max_reps:
                    continue
                for c in todo:
                    done += 1
                    current = c
                    s = measure.measure(c, sc, rep, a, hz)
                    current = None
                    samples.append(s)
                    if sc.kind == "flowmod":
                        what = f"{s.flow_mods_per_s / 1000:.1f}k flow_mod/s"
                    elif sc.kind == "newflow":
                        what = (f"{s.mpps:.3f} M miss/s, established "
                                f"{s.est_mpps:.2f} Mpps (alone "
                                f"{s.est_alone_mpps:.2f}) over "
                                f"{s.window:.2f} s")
                    else:
                        what = (f"{s.mpps:.2f} Mpps, {s.cycles_per_pkt:.0f} "
                                f"cyc/pkt")
                    state = "ok" if s.valid else f"INVALID: {s.why}"
                    if sc.kind != "flowmod":     # no forwarding measured
                        what += f", core {s.share:.0%}"
                    print(f"[{done}/{total}] rep {rep} {sc.sid:<13} "
                          f"{c.label:<18} {what}, {state}", file=sys.stderr,
                          flush=True)
                    if getattr(s, "error", None) and \
                            "\n" in s.error:
                        print("    " + s.error.replace("\n", "\n    "),
                              file=sys.stderr)
        # Runs that lost their core to other load get fresh starts at the
        # end, when the noise may have passed.
        for round_ in range(1, a.reruns + 1):
            noisy = [s for s in samples if not s.valid and s.noisy]
            if not noisy or time.monotonic() > budget_end:
                break
            print(f"bench: re-running {len(noisy)} noisy run(s), round "
                  f"{round_}/{a.reruns}", file=sys.stderr, flush=True)
            for old in noisy:
                if time.monotonic() > budget_end:
                    print("bench: --time-budget reached, no more re-runs",
                          file=sys.stderr)
                    break
                sc = next(x for x, _ in runs if x.sid == old.scenario)
                c = next(x for _, t in runs for x in t
                         if x.label == old.contender)
                current = c
                s = measure.measure(c, sc, old.rep, a, hz)
                current = None
                samples[samples.index(old)] = s
                print(f"  rerun {sc.sid:<13} {c.label:<18} {s.mpps:.2f} "
                      f"Mpps, core {s.share:.0%}, "
                      f"{'ok' if s.valid else 'INVALID: ' + s.why}",
                      file=sys.stderr, flush=True)
        rows = report.build_rows(scenarios, samples, skipped)
        print(report.text_table(rows))
        targets = report.target_lines(rows)
        if targets:
            print("\nissue #6 targets:\n" + "\n".join(targets))
        if a.out:
            chart_path = a.chart or os.path.join(TOP, "bench", "results",
                                                 "chart.png")
            os.makedirs(os.path.dirname(chart_path), exist_ok=True)
            info = host_info(a)
            report.chart(rows, chart_path,
                         f"vswitch vs OVS {info['ovs'].split()[-1]} vs "
                         f"testpmd io - {info['date']} - {info['cpu']}")
            write_markdown(a, info, rows, os.path.relpath(
                chart_path, os.path.dirname(os.path.abspath(a.out))))
            raw = os.path.join(os.path.dirname(chart_path), "samples.json")
            with open(raw, "w") as f:
                json.dump({"host": info, "samples": [
                    {k: v for k, v in vars(s).items()} for s in samples]},
                    f, indent=1)
            print(f"\nwrote {a.out}, {chart_path} and {raw}")
        bad = [s for s in samples if not s.valid]
        if a.quick and not samples:
            print("bench: quick mode ran nothing", file=sys.stderr)
            return 1
        if bad:
            print(f"\nbench: {len(bad)} of {len(samples)} runs invalid:",
                  file=sys.stderr)
            for s in bad:
                print(f"  {s.scenario} {s.contender} rep {s.rep}: {s.why}",
                      file=sys.stderr)
            return 1
        return 0
    except HarnessError as e:
        print(f"bench: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bench: interrupted, cleaning up", file=sys.stderr)
        return 130
    finally:
        if current is not None:
            current.stop()
        procs.kill_all()
        hp.restore()
        if a.keep:
            print(f"bench: work directory kept: {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
