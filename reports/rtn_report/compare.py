"""`rtn-report compare BASE NEW`: which measurements got slower, with statistics.

Timings (ns per sample, every repetition): a one-sided Mann–Whitney U test (SciPy) over the repetitions
of each matched measurement, and a minimum effect size: the Hodges–Lehmann estimate of the ratio new/base
(the median of all pairwise ratios) must exceed the threshold. A regression is significant at `alpha`
*and* beyond the threshold; only regressions fail. Instruction counts (callgrind) are deterministic: the
change itself is compared with its own threshold.

Tail latency (rtn bench results of version 2, which keep each round's block latency percentiles): the p99
of one process() call, round by round, gets the same test. It is reported, and fails only with a latency
threshold (--latency-threshold): a shared machine's interrupts reach the tail far more than the median.

Exit status: 0 no significant regression, 1 at least one, 2 the inputs could not be compared.
"""
import math
import statistics
from dataclasses import dataclass, field

import numpy
from scipy.stats import mannwhitneyu

from . import results

DEFAULT_THRESHOLD_PERCENT = 10.0
# Google Benchmark's compare.py uses 0.05 too; the effect-size threshold, not alpha, is what keeps
# unchanged code from failing (tests/report/test_report_statistics.py).
DEFAULT_ALPHA = 0.05
DEFAULT_INSTRUCTIONS_THRESHOLD_PERCENT = 1.0
# With 4 repetitions a side the smallest one-sided U-test p-value is 1/70 ≈ 0.014 < alpha; with 3 it is
# 1/20 = 0.05, which can never be significant: fewer are reported as untested.
MIN_REPETITIONS = 4
# The second half of the minimum effect size: the probability that a new repetition is slower than a base
# one (Vargha and Delaney's A, U / (n m)) must be at least this; 0.71 is their "large" effect. It keeps a
# shift of the median caused by a few repetitions of a multi-modal (interrupted) distribution from failing.
DEFAULT_MIN_SUPERIORITY = 0.71

EXIT_OK, EXIT_REGRESSION, EXIT_ERROR = 0, 1, 2


@dataclass
class Verdict:
    """The comparison of one measurement. status: regression, improvement, slower, faster, unchanged,
    untested (too few repetitions), only-base, only-new."""
    key: tuple
    status: str
    base_median: float = math.nan
    new_median: float = math.nan
    change: float = math.nan  # the Hodges–Lehmann ratio new/base - 1 (instructions: the ratio - 1)
    p_slower: float = math.nan
    p_faster: float = math.nan
    superiority: float = math.nan  # P(a new repetition is slower than a base one): U / (n_base n_new)
    repetitions: tuple = (0, 0)
    notes: list = field(default_factory=list)
    gated: bool = True  # False: a regression is reported but does not fail (tail latency without a threshold)

    @property
    def fails(self):
        return self.status == "regression" and self.gated


def hodges_lehmann_ratio(base, new):
    """exp(median over all pairs of log(new_i) - log(base_j)): a robust estimate of new/base."""
    base_log = numpy.log(numpy.asarray(base, dtype=float))
    new_log = numpy.log(numpy.asarray(new, dtype=float))
    return float(numpy.exp(numpy.median(new_log[:, None] - base_log[None, :])))


def decide(base, new, threshold_percent=DEFAULT_THRESHOLD_PERCENT, alpha=DEFAULT_ALPHA,
           min_repetitions=MIN_REPETITIONS, key=("", "", ""), min_superiority=DEFAULT_MIN_SUPERIORITY):
    """Compares two sets of timings of the same measurement (lower is better)."""
    verdict = Verdict(key=key, status="unchanged", base_median=statistics.median(base),
                      new_median=statistics.median(new), repetitions=(len(base), len(new)))
    if min(verdict.base_median, verdict.new_median) <= 0:
        verdict.status = "untested"
        verdict.notes.append("a zero time")
        return verdict
    verdict.change = hodges_lehmann_ratio(base, new) - 1
    threshold = threshold_percent / 100
    if min(len(base), len(new)) < min_repetitions:
        verdict.status = "untested"
        verdict.notes.append(f"fewer than {min_repetitions} repetitions")
        return verdict
    # 'less': base is stochastically less than new, i.e. new is slower.
    slower = mannwhitneyu(base, new, alternative="less", method="auto")
    verdict.p_slower = float(slower.pvalue)
    verdict.p_faster = float(mannwhitneyu(base, new, alternative="greater", method="auto").pvalue)
    # U of 'less' counts pairs with base > new; the pairs where new is slower are the rest.
    verdict.superiority = 1 - float(slower.statistic) / (len(base) * len(new))
    if verdict.p_slower < alpha:
        large = verdict.change > threshold and verdict.superiority >= min_superiority
        verdict.status = "regression" if large else "slower"
    elif verdict.p_faster < alpha:
        large = verdict.change < -threshold and verdict.superiority <= 1 - min_superiority
        verdict.status = "improvement" if large else "faster"
    return verdict


def decide_instructions(base, new, threshold_percent=DEFAULT_INSTRUCTIONS_THRESHOLD_PERCENT, key=("", "", "")):
    """Instruction counts are deterministic: no test, the change is the verdict."""
    base_value, new_value = statistics.median(base), statistics.median(new)
    verdict = Verdict(key=key, status="unchanged", base_median=base_value, new_median=new_value,
                      repetitions=(len(base), len(new)))
    if base_value <= 0:
        verdict.status = "untested"
        return verdict
    verdict.change = new_value / base_value - 1
    if verdict.change * 100 > threshold_percent:
        verdict.status = "regression"
    elif verdict.change * 100 < -threshold_percent:
        verdict.status = "improvement"
    elif verdict.change != 0:
        verdict.status = "slower" if verdict.change > 0 else "faster"
    return verdict


LATENCY_METRIC = "p99_latency_ns"


def _p99_rounds(measurement):
    return [round_["p99"] for round_ in measurement.get("latency_ns_rounds", []) if "p99" in round_]


def compare_documents(base, new, threshold_percent=DEFAULT_THRESHOLD_PERCENT, alpha=DEFAULT_ALPHA,
                      instructions_threshold_percent=DEFAULT_INSTRUCTIONS_THRESHOLD_PERCENT,
                      min_repetitions=MIN_REPETITIONS, min_superiority=DEFAULT_MIN_SUPERIORITY,
                      latency_threshold_percent=None):
    """Verdicts for every measurement of either document, matched on (tool, metric, id); and for the p99
    block latency of those both sides timed round by round (gated only with latency_threshold_percent)."""
    base_by_key = {results.key(m): m for m in base["measurements"]}
    new_by_key = {results.key(m): m for m in new["measurements"]}
    verdicts = []
    for key_ in sorted(set(base_by_key) | set(new_by_key)):
        if key_ not in new_by_key:
            m = base_by_key[key_]
            verdicts.append(Verdict(key=key_, status="only-base", base_median=results.median(m)))
            continue
        if key_ not in base_by_key:
            m = new_by_key[key_]
            verdicts.append(Verdict(key=key_, status="only-new", new_median=results.median(m)))
            continue
        old_samples, new_samples = base_by_key[key_]["samples"], new_by_key[key_]["samples"]
        if key_[1] == "instructions_per_sample":
            verdicts.append(decide_instructions(old_samples, new_samples, instructions_threshold_percent, key_))
        else:
            verdicts.append(decide(old_samples, new_samples, threshold_percent, alpha, min_repetitions, key_,
                                   min_superiority))
        old_tail, new_tail = _p99_rounds(base_by_key[key_]), _p99_rounds(new_by_key[key_])
        if old_tail and new_tail:
            gated = latency_threshold_percent is not None
            verdict = decide(old_tail, new_tail, latency_threshold_percent if gated else threshold_percent, alpha,
                             min_repetitions, (key_[0], LATENCY_METRIC, key_[2]), min_superiority)
            verdict.gated = gated
            if verdict.status == "regression" and not gated:
                verdict.notes.append("tail latency is reported, not gated (--latency-threshold)")
            verdicts.append(verdict)
    return verdicts


def _times_anything(document):
    return any(m["metric"] == "ns_per_sample" for m in document["measurements"])


def context_notes(base, new):
    """Warnings about comparing across machines or builds. Machines and load are pointed out for timings
    only: instruction counts depend on the build and its libraries, not on the load, and on the CPU only
    through the library variants its features select (the same on every x86-64-v3 CPU)."""
    notes = []
    timed = _times_anything(base) and _times_anything(new)
    if timed and results.machine_key(base) != results.machine_key(new):
        notes.append(f"different machines: {results.machine_key(base)} vs {results.machine_key(new)}; "
                     "timings are not comparable across machines")
    for field_name in ("compiler", "flags"):
        if base["build"].get(field_name) != new["build"].get(field_name):
            notes.append(f"different build {field_name}: {base['build'].get(field_name)!r} vs "
                         f"{new['build'].get(field_name)!r}")
    for which, document in (("base", base), ("new", new)) if timed else ():
        for moment in ("before", "after"):
            load = document["run"].get(f"load_average_{moment}")
            processors = document["machine"].get("logical_processors") or 1
            if load and load[0] > processors * 0.75:
                notes.append(f"{which}: load average {load[0]:.2f} {moment} the run on {processors} CPUs: "
                             "the machine was busy")
    return notes


# ---- presentation ----

def format_value(value, metric):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if metric == "instructions_per_sample":
        return f"{value:,.0f} instr"
    return f"{value / 1000:.2f} µs" if value >= 1000 else f"{value:.3g} ns" if value < 100 else f"{value:.0f} ns"


def format_change(verdict):
    return "-" if math.isnan(verdict.change) else f"{verdict.change * 100:+.1f}%"


def format_p(value):
    return "-" if math.isnan(value) else f"{value:.2g}"


ORDER = ["regression", "improvement", "slower", "faster", "untested", "unchanged", "only-base", "only-new"]
TITLES = {
    "regression": "Regressions (significant and beyond the threshold: these fail)",
    "improvement": "Improvements (significant and beyond the threshold)",
    "slower": "Slower, significant but within the threshold or a small effect (P(new>base) < the minimum)",
    "faster": "Faster, significant but within the threshold or a small effect",
    "untested": "Not tested (too few repetitions)",
    "unchanged": "No significant change",
    "only-base": "Only in the base (not measured now)",
    "only-new": "Only in the new results (no baseline)",
}


def _name(verdict):
    tool, metric, id_ = verdict.key
    what = {"instructions_per_sample": ", instructions", LATENCY_METRIC: ", p99 of one call"}.get(metric, "")
    return f"{id_} [{tool}{what}]{'' if verdict.gated else ' (not gated)'}"


def render_text(verdicts, notes, settings, markdown=False, show_unchanged=False):
    lines = []
    counts = {status: sum(1 for v in verdicts if v.status == status) for status in ORDER}
    regressions = sum(1 for v in verdicts if v.fails)
    reported = counts["regression"] - regressions  # beyond the threshold, but not gated
    headline = (f"{'**' if markdown else ''}{'FAIL' if regressions else 'PASS'}{'**' if markdown else ''}: "
                f"{regressions} regression(s){f' (and {reported} not gated)' if reported else ''}, "
                f"{counts['improvement']} improvement(s), "
                f"{counts['slower'] + counts['faster']} small significant change(s), "
                f"{counts['unchanged']} unchanged, {counts['untested']} untested, "
                f"{counts['only-base'] + counts['only-new']} unmatched of {len(verdicts)} measurements")
    lines.append(("## rtn performance compare\n\n" if markdown else "") + headline)
    lines.append(settings)
    for note in notes:
        lines.append(("- " if markdown else "note: ") + note)
    for status in ORDER:
        chosen = [v for v in verdicts if v.status == status]
        if not chosen or (status == "unchanged" and not show_unchanged):
            continue
        chosen.sort(key=lambda v: -abs(v.change) if not math.isnan(v.change) else 0)
        lines.append("")
        lines.append(("### " if markdown else "") + f"{TITLES[status]}: {len(chosen)}")
        header = ["measurement", "base", "new", "change", "p(slower)", "P(new>base)", "reps"]
        rows = [[_name(v), format_value(v.base_median, v.key[1]), format_value(v.new_median, v.key[1]),
                 format_change(v), format_p(v.p_slower),
                 "-" if math.isnan(v.superiority) else f"{v.superiority:.2f}",
                 f"{v.repetitions[0]}/{v.repetitions[1]}"] for v in chosen]
        lines.extend(_table(header, rows, markdown))
    return "\n".join(lines) + "\n"


def _table(header, rows, markdown):
    if markdown:
        out = ["", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        out += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
        return out
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    out = ["  ".join(str(cell).ljust(width) if i == 0 else str(cell).rjust(width)
                     for i, (cell, width) in enumerate(zip(row, widths))).rstrip() for row in [header] + rows]
    return out


def verdicts_json(verdicts):
    def clean(value):
        return None if isinstance(value, float) and math.isnan(value) else value

    return [{"tool": v.key[0], "metric": v.key[1], "id": v.key[2], "status": v.status,
             "base_median": clean(v.base_median), "new_median": clean(v.new_median), "change": clean(v.change),
             "p_slower": clean(v.p_slower), "p_faster": clean(v.p_faster), "superiority": clean(v.superiority),
             "repetitions": list(v.repetitions), "gated": v.gated, "notes": v.notes} for v in verdicts]
