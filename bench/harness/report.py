"""Summaries of the samples: the aligned terminal table, the markdown table
and the PNG bar chart.

Per scenario and contender: the median over valid repetitions with min-max,
the median cycles per packet and core share, the ratio to Open vSwitch (the
better of the EMC-on/EMC-off runs where both ran) and to the I/O limit
(testpmd), the datapath cache hit shares of the measured windows, and peak
memory (peak RSS + hugepages mapped, all processes of the contender).
Skipped contenders appear with their reason ("pending tunnels ...").
"""

import statistics

from .measure import CACHE_LEVELS

COLUMNS = ("scenario", "contender", "result", "min-max", "valid", "cyc/pkt",
           "core", "vs OVS", "vs I/O", "hits % sm/emc/smc/mf/up/fail",
           "peak RSS+huge")


class Row:
    def __init__(self, scenario, contender, samples=None, skipped=""):
        self.scenario = scenario
        self.contender = contender
        self.samples = samples or []
        self.skipped = skipped
        self.valid = [s for s in self.samples if s.valid]

    def median(self, attr):
        vals = [getattr(s, attr) for s in self.valid]
        return statistics.median(vals) if vals else None

    def span(self, attr):
        vals = [getattr(s, attr) for s in self.valid]
        return (min(vals), max(vals)) if vals else None

    @property
    def key(self):
        return "flow_mods_per_s" if self.scenario.kind == "flowmod" \
            else "mpps"


def build_rows(scenarios, samples, skipped):
    """skipped: {(sid, contender label): reason}; returns rows in order."""
    rows = []
    for sc in scenarios:
        labels = []
        for s in samples:
            if s.scenario == sc.sid and s.contender not in labels:
                labels.append(s.contender)
        for (sid, label), why in skipped.items():
            if sid == sc.sid and label not in labels:
                labels.append(label)
        for label in labels:
            rows.append(Row(sc, label,
                            [s for s in samples if s.scenario == sc.sid
                             and s.contender == label],
                            skipped.get((sc.sid, label), "")))
    return rows


def _fmt_rate(v, kind):
    if v is None:
        return "-"
    if kind == "flowmod":
        return f"{v / 1000:.1f}k"
    return f"{v:.2f}" if v < 100 else f"{v:.0f}"


def _cells(row, rows):
    sc = row.scenario
    if not row.samples:
        return [sc.sid, row.contender, row.skipped or "skipped"] + \
            [""] * (len(COLUMNS) - 3)
    med = row.median(row.key)
    span = row.span(row.key)
    if med is None:
        why = row.samples[-1].why or "invalid"
        return [sc.sid, row.contender, f"INVALID: {why}"] + \
            [""] * 2 + [f"0/{len(row.samples)}"] + [""] * (len(COLUMNS) - 6)
    unit = {"flowmod": " flow_mod/s", "newflow": " M miss/s"}.get(sc.kind,
                                                                " Mpps")
    result = _fmt_rate(med, sc.kind) + unit
    if sc.kind == "newflow":
        result += f", est. {row.median('est_mpps'):.2f} Mpps"
        alone = row.median("est_alone_mpps")
        if alone:
            result += (f" ({100 * row.median('est_mpps') / alone:.0f}% of "
                       f"{alone:.2f} alone)")
    minmax = f"{_fmt_rate(span[0], sc.kind)}-{_fmt_rate(span[1], sc.kind)}"

    def peer_median(prefix):
        meds = [r.median(r.key) for r in rows if r.scenario is sc
                and r.contender.startswith(prefix) and r.median(r.key)]
        return max(meds) if meds else None
    ovs = peer_median("OVS")
    io = peer_median("testpmd")
    vs_ovs = f"{med / ovs:.2f}x" if ovs else "-"
    vs_io = f"{med / io:.2f}x" if io and sc.kind == "rate" else "-"
    cyc = row.median("cycles_per_pkt")
    core = row.median("share")
    cache = "-"
    shares = [s.cache for s in row.valid if s.cache]
    if shares:
        last = shares[len(shares) // 2]
        cache = "/".join(f"{100 * last.get(k, 0):.0f}"
                         for k in CACHE_LEVELS)
    mem = [(s.rss_kb / 1024, s.huge_kb / 1024) for s in row.valid]
    peak = max(mem, key=sum) if mem else None
    return [sc.sid, row.contender, result,
            minmax, f"{len(row.valid)}/{len(row.samples)}",
            f"{cyc:.0f}" if cyc else "-",
            f"{100 * core:.0f}%" if core else "-", vs_ovs, vs_io, cache,
            f"{peak[0]:.0f}+{peak[1]:.0f} MiB" if peak else "-"]


NOTE_KEYS = {"vswitch": "vswitch", "OVS": "ovs", "testpmd": "testpmd"}


def table_cells(rows):
    out = []
    for row in rows:
        cells = _cells(row, rows)
        key = NOTE_KEYS.get(row.contender.split()[0])
        note = row.scenario.note.get(key, "") if key else ""
        if note and row.samples:
            cells[1] = f"{row.contender} ({note})"
        if any(s.why.startswith("static fdb") for s in row.valid):
            cells[1] += " [static fdb entry]"
        out.append(cells)
    return out


def text_table(rows):
    """An aligned plain-text table for the terminal."""
    cells = [list(COLUMNS)] + table_cells(rows)
    widths = [max(len(r[i]) for r in cells) for i in range(len(COLUMNS))]
    lines = []
    for n, r in enumerate(cells):
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths))
                     .rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(rows):
    cells = table_cells(rows)
    lines = ["| " + " | ".join(COLUMNS) + " |",
             "|" + "|".join("---" for _ in COLUMNS) + "|"]
    for r in cells:
        lines.append("| " + " | ".join(c.replace("|", "/") for c in r)
                     + " |")
    return "\n".join(lines)


# Issue #6's targets for vswitch: (what, applies to a row of this scenario,
# peer row prefix(es), required ratio).  "OVS" peers are every OVS variant
# of the scenario (EMC on and off, bundled or not), the better one counts.
def _targets():
    rate = lambda sc: sc.kind == "rate" and sc.group in (1, 2, 3, 4)
    # "100k-flow scenarios (2, 3, 4 with 100k flows)": not fwd-100k.
    big = lambda sc: rate(sc) and sc.group in (2, 3, 4) \
        and sc.sid.endswith("100k")
    return [
        ("throughput >= 1.5x OVS", rate, ("OVS",), 1.5),
        ("100k flows >= 2x OVS's better config", big, ("OVS",), 2.0),
        ("1 flow >= 60% of testpmd", lambda sc: sc.sid == "fwd-1",
         ("testpmd",), 0.6),
        ("flow_mods >= 3x ovs-ofctl add-flows",
         lambda sc: sc.kind == "flowmod", ("OVS 3.1",), 3.0),
    ]


def _newflow_target(rows):
    """Issue #6's new-flow target: misses handled per second >= 5x OVS's,
    with the established flow keeping >= 90 % of its rate alone (measured
    just before the new-flow port is added, same run)."""
    parts = []
    for row in rows:
        sc = row.scenario
        if sc.kind != "newflow" or not row.contender.startswith("vswitch"):
            continue
        mine = row.median(row.key)
        theirs = [r.median(r.key) for r in rows if r.scenario is sc
                  and r.contender.startswith("OVS") and r.median(r.key)]
        if mine is None or not theirs:
            parts.append(f"{sc.sid} not measured")
            continue
        ratio = mine / max(theirs)
        alone = row.median("est_alone_mpps")
        kept = row.median("est_mpps") / alone if alone else 0.0
        ok = ratio >= 5.0 and kept >= 0.9
        parts.append(f"{sc.sid} misses {ratio:.2f}x, established kept "
                     f"{100 * kept:.0f}% {'met' if ok else 'MISSED'}")
    return parts


def target_lines(rows):
    """Markdown bullet lines: vswitch's ratio against each of issue #6's
    targets, scenario by scenario, from the medians of 'rows'."""
    out = []
    for what, applies, peers, need in _targets():
        parts = []
        for row in rows:
            sc = row.scenario
            if not row.contender.startswith("vswitch") or not applies(sc):
                continue
            mine = row.median(row.key)
            # The flow_mod target compares with plain ovs-ofctl (one
            # flow_mod after another), the others with every variant.
            theirs = [r.median(r.key) for r in rows if r.scenario is sc
                      and any(r.contender.startswith(p) for p in peers)
                      and (sc.kind != "flowmod" or r.contender == peers[0])
                      and r.median(r.key)]
            if mine is None or not theirs:
                parts.append(f"{sc.sid} not measured")
                continue
            ratio = mine / max(theirs)
            parts.append(f"{sc.sid} {ratio:.2f}x "
                         f"{'met' if ratio >= need else 'MISSED'}")
        if any(not p.endswith("not measured") for p in parts):
            out.append(f"- {what}: " + ", ".join(parts))
    parts = _newflow_target(rows)
    if any(not p.endswith("not measured") for p in parts):
        out.append("- misses >= 5x OVS, established flow keeps >= 90%: "
                   + ", ".join(parts))
    return out


def chart(rows, path, title):
    """Grouped bar chart of median Mpps (min-max whiskers), log scale."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rate_rows = [r for r in rows if r.scenario.kind == "rate"]
    sids = []
    for r in rate_rows:
        if r.scenario.sid not in sids:
            sids.append(r.scenario.sid)
    labels = []
    for r in rate_rows:
        if r.contender not in labels:
            labels.append(r.contender)
    order = ("vswitch", "OVS 3.1", "OVS 3.1 (EMC off)", "testpmd io")
    labels.sort(key=lambda l: order.index(l) if l in order else len(order))
    palette = ("#d62728", "#1f77b4", "#7fb2e5", "#2ca02c", "#9467bd")
    width = 0.8 / max(1, len(labels))
    fig, ax = plt.subplots(figsize=(max(8, 1.3 * len(sids)) + 2, 5))
    for k, label in enumerate(labels):
        xs, ys, lo, hi, pend = [], [], [], [], []
        for i, sid in enumerate(sids):
            row = next((r for r in rate_rows if r.scenario.sid == sid
                        and r.contender == label), None)
            if row is None:
                continue
            x = i + (k - (len(labels) - 1) / 2) * width
            med = row.median("mpps")
            if med is None:
                pend.append((x, "pending" if row.skipped else "invalid"))
                continue
            lo_v, hi_v = row.span("mpps")
            xs.append(x)
            ys.append(med)
            lo.append(med - lo_v)
            hi.append(hi_v - med)
        color = palette[k % len(palette)]
        ax.bar(xs, ys, width, yerr=[lo, hi], capsize=2, label=label,
               color=color)
        for x, text in pend:
            ax.text(x, 0.12, text, rotation=90, ha="center", va="bottom",
                    fontsize=7, color=color)
    ax.set_yscale("log")
    ax.set_ylim(bottom=0.1)
    ax.set_xticks(range(len(sids)))
    ax.set_xticklabels(sids, rotation=20)
    ax.set_ylabel("Mpps (median, min-max), log scale")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.grid(axis="y", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
