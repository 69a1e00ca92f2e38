"""The HTML dashboard: one self-contained file (matplotlib figures inlined as SVG, no script or style from
the network). Every data-bearing artist gets an id starting `rtn-data`, and every figure states how many
data points it draws (data-points), so that the page's own check (and the headless-browser test) can
tell a plot with data from an empty one."""
import html
import io
import itertools
import math
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter  # noqa: E402

from . import compare, results, specs, views  # noqa: E402

COLOURS = {"stl": "#7f7f7f", "eigen": "#1f77b4", "xsimd": "#2ca02c", "libtorch": "#d62728", "tuned": "#000000"}
MARKERS = {"stl": "s", "eigen": "^", "xsimd": "D", "libtorch": "x", "tuned": "o"}
_figure_counter = itertools.count()


def colour(name, index=0):
    return COLOURS.get(name, plt.get_cmap("tab10")(index % 10))


class Plot:
    """One figure and its count of data points."""

    def __init__(self, title, width=11.5, height=4.0, rows=1, columns=1, **kwargs):
        self.title = title
        self.top = 1.0  # the part of the figure the axes may use; below a figure legend
        self.points = 0
        self.series = 0
        self.figure, axes = plt.subplots(rows, columns, figsize=(width, height), squeeze=False, **kwargs)
        self.axes = axes.ravel().tolist()

    def mark(self, artist, points):
        """Tags an artist as data: the browser check finds it by its id."""
        self.series += 1
        if hasattr(artist, "patches"):  # bars: one element per bar
            for index, patch in enumerate(artist.patches):
                patch.set_gid(f"rtn-data-{self.series}-{index}")
        else:
            artist.set_gid(f"rtn-data-{self.series}")
        self.points += points

    def figure_legend(self):
        handles, labels = self.axes[0].get_legend_handles_labels()
        self.figure.legend(handles, labels, loc="upper center", fontsize=8, ncol=len(labels), frameon=False)
        self.top = 1 - 0.35 / self.figure.get_figheight()

    def svg(self):
        matplotlib.rcParams["svg.hashsalt"] = f"rtn-{next(_figure_counter)}"
        matplotlib.rcParams["svg.fonttype"] = "none"  # text as text: smaller, searchable
        buffer = io.StringIO()
        self.figure.tight_layout(rect=(0, 0, 1, self.top))
        self.figure.savefig(buffer, format="svg")
        plt.close(self.figure)
        text = buffer.getvalue()
        text = text[text.index("<svg"):]
        return (f'<figure class="plot" data-points="{self.points}" data-series="{self.series}">'
                f'<figcaption>{html.escape(self.title)}</figcaption>{text}</figure>')


def _log_axis(axis, suffix=""):
    """Plain numbers at 1, 2 and 5 times powers of ten: readable even within one decade."""
    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}{suffix}"))
    axis.set_minor_formatter(NullFormatter())


def realtime_figures(document, tool):
    """Real-time factor (at 48 kHz) per layer kind and shape, one figure per block size: each implementation,
    libtorch, and the tuned choice ringed."""
    rows = views.layer_rows(document, tool)
    figures = []
    for block in sorted({row["block"] for row in rows}):
        block_rows = [row for row in rows if row["block"] == block]
        kinds = list(dict.fromkeys(row["kind"] for row in block_rows))
        columns = min(3, len(kinds))
        grid_rows = math.ceil(len(kinds) / columns)
        plot = Plot(f"Real-time factor at 48 kHz per layer shape, block {block} ({tool}; log scale; "
                    f"ringed: the tuned choice)", height=2.9 * grid_rows + 0.6, rows=grid_rows, columns=columns)
        for axes, kind in zip(plot.axes, kinds):
            kind_rows = [row for row in block_rows if row["kind"] == kind]
            labels = [specs.label(row["subject"]) for row in kind_rows]
            implementations = sorted({i for row in kind_rows for i in row["medians"]}, key=views.implementation_order)
            for index, implementation in enumerate(implementations):
                xs = [x for x, row in enumerate(kind_rows) if implementation in row["medians"]]
                ys = [results.realtime_factor(kind_rows[x]["medians"][implementation]) for x in xs]
                (line,) = axes.plot(xs, ys, marker=MARKERS.get(implementation, "."), linestyle="-", linewidth=0.8,
                                    markersize=4, color=colour(implementation, index), label=implementation)
                plot.mark(line, len(xs))
            xs = [x for x, row in enumerate(kind_rows) if row["chosen"] in row["medians"]]
            ys = [results.realtime_factor(kind_rows[x]["medians"][kind_rows[x]["chosen"]]) for x in xs]
            if xs:
                (ring,) = axes.plot(xs, ys, marker="o", markersize=9, markerfacecolor="none", linestyle="none",
                                    color=COLOURS["tuned"], label="tuned choice")
                plot.mark(ring, len(xs))
            axes.set_yscale("log")
            _log_axis(axes.yaxis)
            axes.set_title(kind, fontsize=10)
            axes.set_xticks(range(len(labels)))
            axes.set_xticklabels(labels, rotation=40, ha="right", fontsize=7)
            axes.set_ylabel("× real time", fontsize=8)
            axes.grid(True, which="major", axis="y", alpha=0.3)
            axes.tick_params(axis="y", labelsize=7)
        for axes in plot.axes[len(kinds):]:
            axes.set_visible(False)
        plot.figure_legend()
        figures.append(plot.svg())
    return figures


def peak_figure(document, tool, peak_override=None):
    """Percentage of one core's peak FLOP rate, against the layer's FLOPs per sample."""
    peak, how = results.peak_gflops(document, peak_override)
    if not peak:
        return f"<p class='note'>Percentage of peak not shown: {html.escape(how)}.</p>"
    measurements = [m for m in views.layer_measurements(document, tool) if m.get("flops_per_sample")]
    if not measurements:
        return ""
    plot = Plot(f"Percentage of one core's peak ({peak:.1f} GFLOP/s: {how}) per layer shape ({tool})", height=4.2)
    axes = plot.axes[0]
    implementations = sorted({m["implementation"] for m in measurements}, key=views.implementation_order)
    blocks = sorted({m["block"] for m in measurements})
    block_markers = dict(zip(blocks, ["o", "s", "^", "D", "v", "P"]))
    for index, implementation in enumerate(implementations):
        for block in blocks:
            chosen = [m for m in measurements if m["implementation"] == implementation and m["block"] == block]
            if not chosen:
                continue
            xs = [m["flops_per_sample"] for m in chosen]
            ys = [m["flops_per_sample"] / results.median(m) / peak * 100 for m in chosen]
            (line,) = axes.plot(xs, ys, linestyle="none", marker=block_markers[block], markersize=4, alpha=0.8,
                                color=colour(implementation, index), label=f"{implementation}, block {block}")
            plot.mark(line, len(xs))
    axes.set_xscale("log")
    axes.set_yscale("log")
    _log_axis(axes.xaxis)
    _log_axis(axes.yaxis, "%")
    axes.set_xlabel("FLOPs per sample (layer cost)")
    axes.set_ylabel("% of peak")
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize=7, ncol=max(1, len(implementations)), loc="lower right")
    return plot.svg()


def model_figure(document):
    """Real-time factor of each model and implementation, per tool and block (log scale)."""
    rows = views.model_rows(document)
    if not rows:
        return ""
    plot = Plot("Real-time factor of each model (median; log scale)", height=max(3.0, 0.32 * len(rows) * 3 + 1))
    axes = plot.axes[0]
    implementations = sorted({i for row in rows for i in row["medians"]}, key=views.implementation_order)
    height = 0.8 / max(1, len(implementations))
    for index, implementation in enumerate(implementations):
        ys, widths = [], []
        for position, row in enumerate(rows):
            if implementation in row["medians"]:
                ys.append(position + (index - (len(implementations) - 1) / 2) * height)
                widths.append(results.realtime_factor(row["medians"][implementation], row["sample_rate"]))
        bars = axes.barh(ys, widths, height=height * 0.95, color=colour(implementation, index), label=implementation)
        plot.mark(bars, len(ys))
    axes.set_yticks(range(len(rows)))
    axes.set_yticklabels([f"{row['model']} · block {row['block']} · {row['tool']}" for row in rows], fontsize=8)
    axes.invert_yaxis()
    axes.set_xscale("log")
    _log_axis(axes.xaxis)
    axes.axvline(1, color="#d62728", linewidth=0.8)
    axes.set_xlabel("× real time (1 = just real time)")
    axes.grid(True, axis="x", alpha=0.3)
    axes.legend(fontsize=8, ncol=len(implementations), loc="lower right")
    return plot.svg()


def latency_figure(document):
    """Tail latency of one process() call per model (rtn bench), against the block's real-time deadline."""
    rows = [row for row in views.model_rows(document) if row["latency"]]
    if not rows:
        return ""
    columns = min(3, len(rows))
    grid_rows = math.ceil(len(rows) / columns)
    plot = Plot("Latency of one process() call: p50, p99, p99.9, max (µs, log scale); dashed: the block's "
                "duration at the model's sample rate", height=3.0 * grid_rows + 0.5, rows=grid_rows, columns=columns)
    quantiles = ["p50", "p99", "p99.9", "max"]
    for axes, row in zip(plot.axes, rows):
        implementations = sorted(row["latency"], key=views.implementation_order)
        width = 0.8 / len(implementations)
        for index, implementation in enumerate(implementations):
            latency = row["latency"][implementation]
            xs = [q + (index - (len(implementations) - 1) / 2) * width for q in range(len(quantiles))
                  if quantiles[q] in latency]
            ys = [latency[name] / 1000 for name in quantiles if name in latency]
            bars = axes.bar(xs, ys, width=width * 0.95, color=colour(implementation, index), label=implementation)
            plot.mark(bars, len(xs))
        deadline_us = row["block"] / row["sample_rate"] * 1e6
        axes.axhline(deadline_us, color="#d62728", linestyle="--", linewidth=0.9)
        axes.set_yscale("log")
        _log_axis(axes.yaxis)
        axes.set_xticks(range(len(quantiles)))
        axes.set_xticklabels(quantiles, fontsize=8)
        axes.set_title(f"{row['model']}, block {row['block']}", fontsize=10)
        axes.tick_params(axis="y", labelsize=7)
        axes.grid(True, axis="y", alpha=0.3)
    for axes in plot.axes[len(rows):]:
        axes.set_visible(False)
    plot.figure_legend()
    return plot.svg()


def history_figure(machine, runs):
    series = views.history_series(runs)
    if len(runs) < 2 or not series:
        return ""
    plot = Plot(f"History on {machine}: median ns per sample per commit (bars: interquartile range; log scale)",
                height=4.6)
    axes = plot.axes[0]
    for index, (name, points) in enumerate(series.items()):
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        errors = [[p[1] - p[2] for p in points], [p[3] - p[1] for p in points]]
        container = axes.errorbar(xs, ys, yerr=errors, marker="o", markersize=4, linewidth=1, capsize=2,
                                  color=plt.get_cmap("tab10")(index % 10), label=name)
        plot.mark(container.lines[0], len(xs))
    labels = [f"{results.revision_label(d)}\n{(d['build'].get('revision_date') or d['run']['date'])[:10]}" for d in runs]
    axes.set_xticks(range(len(runs)))
    axes.set_xticklabels(labels, fontsize=7)
    axes.set_yscale("log")
    _log_axis(axes.yaxis)
    axes.set_ylabel("ns per sample")
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return plot.svg()


def machines_figure(groups):
    """The latest run of each machine side by side: each model's tuned (else best) real-time factor."""
    latest = {machine: runs[-1] for machine, runs in groups.items()}
    table = {}
    for machine, document in latest.items():
        for row in views.model_rows(document):
            table.setdefault((row["model"], row["block"], row["tool"]), {})[machine] = row["realtime"]
    if not table:
        return ""
    keys = list(table)
    plot = Plot("Machines side by side: real-time factor of each model (tuned, else the best backend; log scale)",
                height=max(3.0, 0.35 * len(keys) * len(latest) + 1))
    axes = plot.axes[0]
    height = 0.8 / len(latest)
    for index, machine in enumerate(latest):
        ys = [k + (index - (len(latest) - 1) / 2) * height for k, key in enumerate(keys) if machine in table[key]]
        xs = [table[key][machine] for key in keys if machine in table[key]]
        bars = axes.barh(ys, xs, height=height * 0.95, color=plt.get_cmap("tab10")(index % 10), label=machine)
        plot.mark(bars, len(ys))
    axes.set_yticks(range(len(keys)))
    axes.set_yticklabels([f"{m} · block {b} · {t}" for m, b, t in keys], fontsize=8)
    axes.invert_yaxis()
    axes.set_xscale("log")
    _log_axis(axes.xaxis)
    axes.set_xlabel("× real time")
    axes.grid(True, axis="x", alpha=0.3)
    axes.legend(fontsize=7, loc="lower right")
    return plot.svg()


# ---- tables ----

def _table(header, rows, classes=""):
    head = "".join(f"<th>{html.escape(str(cell))}</th>" for cell in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in row) + "</tr>" for row in rows)
    return f'<table class="{classes}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _bytes(value):
    if not value:
        return "-"
    return f"{value // (1 << 20)} MiB" if value >= 1 << 20 else f"{value // 1024} KiB"


def context_table(documents):
    header = ["", *[os.path.basename(d.get("_path", f"run {i + 1}")) for i, d in enumerate(documents)]]

    def row(name, get):
        return [name, *[get(d) for d in documents]]

    def load(values):
        return " ".join(f"{v:.2f}" for v in values) if values else "-"

    rows = [
        row("date", lambda d: d["run"]["date"]),
        row("host", lambda d: d["run"]["host"]),
        row("label", lambda d: d["run"].get("label", "-")),
        row("load average before (1/5/15 min)", lambda d: load(d["run"].get("load_average_before"))),
        row("load average after", lambda d: load(d["run"].get("load_average_after"))),
        row("CPU", lambda d: f"{d['machine']['vendor']} {d['machine']['model_name']}"),
        row("micro-architecture", lambda d: d["machine"]["microarchitecture"]),
        row("logical CPUs", lambda d: d["machine"]["logical_processors"]),
        row("frequency", lambda d: f"{d['machine']['frequency_mhz']:.0f} MHz" if d["machine"].get("frequency_mhz") else "-"),
        row("ISA", lambda d: " ".join(d["machine"]["isa"]) or "-"),
        row("caches L1d / L2 / L3", lambda d: " / ".join(_bytes(d["machine"].get("caches", {}).get(k))
                                                           for k in ("l1d_bytes", "l2_bytes", "l3_bytes"))),
        row("rtn", lambda d: d["build"]["rtn_version"]),
        row("revision", lambda d: f"{d['build'].get('revision') or '-'} {d['build'].get('revision_date') or ''}"),
        row("compiler and flags", lambda d: f"{d['build'].get('compiler', '-')} {d['build'].get('flags', '')}"),
        row("Eigen / xsimd", lambda d: f"{d['build'].get('eigen_version', '-')} / {d['build'].get('xsimd_version', '-')}"),
        row("backends", lambda d: " ".join(d["build"].get("backends", [])) or "-"),
        row("libtorch", lambda d: d["build"].get("libtorch") or "-"),
        row("BLAS", lambda d: d["build"].get("blas") or "-"),
        row("sources", lambda d: ", ".join(f"{s['file']} ({s['format']})" for s in d["run"].get("sources", [])) or "-"),
        row("measurements", lambda d: len(d["measurements"])),
    ]
    return _table(header, rows, "context")


def dispatch_tables(document):
    parts = []
    for model in document.get("models", []):
        if not model.get("dispatch"):
            continue
        profile = model.get("profile", {})
        profile_text = (f"profile {profile.get('path', '?')}" + ("" if profile.get("in_use", True)
                                                                 else f" (ignored: {profile.get('ignored', '?')})"))
        parts.append(f"<h4>{html.escape(model['name'])}, block {model['block']} "
                     f"<span class='note'>{html.escape(profile_text) if profile else ''}</span></h4>")
        parts.append(_table(["#", "layer", "parameters", "FLOPs/sample", "backend", "reason"],
                            [[d.get("index", i), d["layer"], d.get("parameters", "-") if d.get("parameters") is not None else "-",
                              f"{d['flops_per_sample']:.0f}" if d.get("flops_per_sample") is not None else "-",
                              d["backend"], d.get("reason") or "-"] for i, d in enumerate(model["dispatch"])]))
    return "".join(parts)


def model_table(document):
    rows = views.model_rows(document)
    if not rows:
        return ""
    implementations = sorted({i for row in rows for i in row["medians"]}, key=views.implementation_order)
    body = []
    for row in rows:
        cells = [row["model"], row["block"], row["tool"]]
        for implementation in implementations:
            median = row["medians"].get(implementation)
            cells.append("-" if median is None else f"{median:.4g} ({row['spread'][implementation] * 100:.1f}%)")
        tuned = row["medians"].get("tuned")
        best = row["best_single"]
        cells.append(f"{(tuned / best[1] - 1) * 100:+.1f}% ({best[0]})" if tuned and best else "-")
        cells.append(f"{row['realtime']:.0f}×")
        p99 = row["latency"].get(row["reference"], {}).get("p99") if row["reference"] else None
        cells.append(f"{p99 / 1000:.2f}" if p99 else "-")
        body.append(cells)
    return _table(["model", "block", "tool", *[f"{i} ns/sample (IQR/median)" for i in implementations],
                   "tuned vs best single", "real time", "p99 µs"], body, "numbers")


def instruction_table(document):
    implementations, rows = views.instruction_rows(document)
    if not rows:
        return ""
    body = [[model, block, *[f"{counts[i]:,.0f}" if i in counts else "-" for i in implementations]]
            for model, block, counts in rows]
    return _table(["model", "block", *[f"{i} instructions/sample" for i in implementations]], body, "numbers")


def verdict_table(verdicts):
    if not verdicts:
        return ""
    shown = [v for v in verdicts["verdicts"] if v["status"] != "unchanged"]
    failures = sum(v["status"] == "regression" for v in verdicts["verdicts"])
    rows = [[v["status"], v["id"], v["tool"], compare.format_value(v["base_median"], v["metric"]),
             compare.format_value(v["new_median"], v["metric"]),
             "-" if v["change"] is None else f"{v['change'] * 100:+.1f}%",
             "-" if v["p_slower"] is None else f"{v['p_slower']:.2g}"] for v in shown]
    head = (f"<p class='{'fail' if failures else 'pass'}'>{'FAIL' if failures else 'PASS'}: {failures} significant "
            f"regression(s) beyond {verdicts['threshold_percent']:g}% of {len(verdicts['verdicts'])} measurements "
            f"({html.escape(verdicts['base'])} → {html.escape(verdicts['new'])})</p>")
    return head + (_table(["status", "measurement", "tool", "base", "new", "change", "p(slower)"], rows, "numbers")
                   if rows else "")


CSS = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 0 auto; max-width: 1240px;
       padding: 12px 20px; color: #222; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; margin-top: 1.6em; }
figure.plot { margin: 1em 0; } figure.plot svg { width: 100%; height: auto; }
figcaption { font-weight: 600; margin-bottom: 0.3em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; display: block; overflow-x: auto; max-width: 100%; }
td, th { border: 1px solid #ddd; padding: 2px 6px; text-align: left; vertical-align: top; }
table.numbers td { text-align: right; } table.numbers td:first-child { text-align: left; }
table.context td:first-child { font-weight: 600; white-space: nowrap; }
.note { color: #666; font-size: 0.9em; font-weight: normal; } .fail { color: #b00; font-weight: 700; }
.pass { color: #070; font-weight: 700; } #rtn-self-check { display: none; }
"""

# The page checks itself once loaded: every figure must hold an SVG with its data-bearing elements (ids
# rtn-data-*) and at least as many drawn points (markers, bars) as it states; errors are collected.
# The result goes into #rtn-self-check (read by tests/report/test_report_browser.py through --dump-dom)
# and to the console.
SCRIPT = """
window.rtnErrors = [];
window.addEventListener('error', function (e) { window.rtnErrors.push(String(e.message)); });
window.addEventListener('load', function () {
  var figures = document.querySelectorAll('figure.plot'), plots = [];
  for (var i = 0; i < figures.length; i++) {
    var f = figures[i], svg = f.querySelector('svg'), series = f.querySelectorAll('[id^="rtn-data"]'), drawn = 0;
    for (var s = 0; s < series.length; s++) drawn += series[s].querySelectorAll('use, path').length;
    var box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
    plots.push({caption: f.querySelector('figcaption').textContent, expected: +f.dataset.points,
                series: series.length, drawn: drawn, width: Math.round(box.width), height: Math.round(box.height),
                ok: !!svg && series.length > 0 && drawn >= +f.dataset.points && +f.dataset.points > 0 && box.width > 0});
  }
  var result = {plots: plots, errors: window.rtnErrors, viewport: window.innerWidth,
                scrollWidth: document.documentElement.scrollWidth};
  result.ok = plots.length > 0 && plots.every(function (p) { return p.ok; }) && result.errors.length === 0 &&
              result.scrollWidth <= result.viewport;
  document.getElementById('rtn-self-check').textContent = JSON.stringify(result);
  console.log('rtn-report self-check: ' + (result.ok ? 'ok' : 'FAILED') + ', ' + plots.length + ' plots');
});
"""


def render(documents, title="rtn performance", peak_override=None, verdicts=None):
    groups = views.by_machine(documents)
    parts = [f"<h1>{html.escape(title)}</h1>",
             f"<p class='note'>{len(documents)} results file(s) from {len(groups)} machine(s). Times are ns per "
             "sample (the median of the repetitions); the real-time factor is seconds of audio per second of "
             "computing (layers at 48 kHz). Generated by rtn-report (docs/report.md).</p>"]
    if verdicts:
        parts += ["<h2>Compared with the baseline</h2>", verdict_table(verdicts)]
    if len(groups) > 1:
        parts += ["<h2>Machines side by side</h2>", machines_figure(groups)]
    for machine, runs in groups.items():
        latest = runs[-1]
        heading = machine if len(runs) == 1 else f"{machine}: the latest of {len(runs)} runs ({results.revision_label(latest)})"
        parts.append(f"<h2>{html.escape(heading)}</h2>")
        if len(runs) > 1:
            parts += ["<h3>History across commits</h3>", history_figure(machine, runs)]
        if views.model_rows(latest):
            parts += ["<h3>Models</h3>", model_figure(latest), model_table(latest), latency_figure(latest)]
        instructions = instruction_table(latest)
        if instructions:
            build = latest["build"]
            parts += ["<h3>Instructions per sample (callgrind)</h3>",
                      f"<p class='note'>Executed instructions per frame inside Model::process under valgrind's "
                      f"callgrind, deterministic (scripts/ci_instructions.sh); build "
                      f"{html.escape(str(build.get('compiler', '?')))} {html.escape(str(build.get('flags', '')))}.</p>",
                      instructions]
        dispatch = dispatch_tables(latest)
        if dispatch:
            parts += ["<h3>Dispatch decisions</h3>", dispatch]
        for tool in views.tools_with(latest, "layer"):
            parts.append(f"<h3>Layers ({html.escape(tool)})</h3>")
            parts += realtime_figures(latest, tool)
            parts.append(peak_figure(latest, tool, peak_override))
    parts += ["<h2>Machine, build and run</h2>", context_table([d for runs in groups.values() for d in runs])]
    body = "\n".join(part for part in parts if part)
    return (f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{html.escape(title)}</title>"
            f"<style>{CSS}</style></head><body>\n{body}\n<pre id='rtn-self-check'></pre>"
            f"<script>{SCRIPT}</script></body></html>\n")
