"""What the dashboard and the Markdown summary show, computed once from results documents: runs grouped
by machine and ordered by commit, the latest run of each machine, model and layer tables."""
import math
import statistics
from collections import OrderedDict

from . import results, specs

BACKEND_ORDER = ["tuned", "default", "stl", "eigen", "xsimd", "libtorch"]


def implementation_order(name):
    return (BACKEND_ORDER.index(name), name) if name in BACKEND_ORDER else (len(BACKEND_ORDER), name)


def by_machine(documents):
    """{machine key: [documents ordered by commit date, then run date]}."""
    groups = OrderedDict()
    for document in documents:
        groups.setdefault(results.machine_key(document), []).append(document)
    for runs in groups.values():
        runs.sort(key=lambda d: (d["build"].get("revision_date") or d["run"]["date"], d["run"]["date"]))
    return groups


def quartiles(samples):
    if len(samples) < 2:
        return samples[0], samples[0], samples[0]
    q = statistics.quantiles(samples, n=4, method="inclusive")
    return q[0], q[1], q[2]


def layer_measurements(document, tool=None):
    return [m for m in document["measurements"] if m["kind"] == "layer" and m["metric"] == "ns_per_sample"
            and (tool is None or m["tool"] == tool)]


def model_measurements(document, tool=None):
    return [m for m in document["measurements"] if m["kind"] == "model" and m["metric"] == "ns_per_sample"
            and (tool is None or m["tool"] == tool)]


def instruction_rows(document):
    """(implementations, [(model, block, {implementation: instructions per sample})]) of the callgrind
    counts (scripts/ci_instructions.sh), in the suite's order."""
    rows = OrderedDict()
    for m in document["measurements"]:
        if m["metric"] == "instructions_per_sample":
            rows.setdefault((m["subject"], m["block"]), {})[m["implementation"]] = m["samples"][0]
    implementations = sorted({i for counts in rows.values() for i in counts}, key=implementation_order)
    return implementations, [(subject, block, counts) for (subject, block), counts in rows.items()]


def tools_with(document, kind):
    return sorted({m["tool"] for m in document["measurements"] if m["kind"] == kind and m["metric"] == "ns_per_sample"})


def chosen_by_shape(measurements):
    """{(subject, block): implementation}: rtn-tune's choice, else the fastest median (for tools that do not
    choose, e.g. the kernel benchmark), libtorch never."""
    choice = {}
    for m in measurements:
        if m.get("chosen"):
            choice[(m["subject"], m["block"])] = m["implementation"]
    best = {}
    for m in measurements:
        shape = (m["subject"], m["block"])
        if shape in choice or m["implementation"] == "libtorch":
            continue
        if shape not in best or results.median(m) < results.median(best[shape]):
            best[shape] = m
    for shape, m in best.items():
        choice.setdefault(shape, m["implementation"])
    return choice


def model_rows(document):
    """One row per (tool, model, block): each implementation's median, the tuned RTF, latency, best single."""
    rows = OrderedDict()
    for m in model_measurements(document):
        row = rows.setdefault((m["tool"], m["subject"], m["block"]),
                              {"tool": m["tool"], "model": m["subject"], "block": m["block"], "medians": {},
                               "spread": {}, "latency": {}, "sample_rate": m.get("sample_rate", 48000.0)})
        median = results.median(m)
        row["medians"][m["implementation"]] = median
        low, _, high = quartiles(m["samples"])
        row["spread"][m["implementation"]] = (high - low) / median if median else 0
        if m.get("latency_ns"):
            row["latency"][m["implementation"]] = m["latency_ns"]
    for row in rows.values():
        singles = {k: v for k, v in row["medians"].items() if k not in ("tuned", "libtorch")}
        row["best_single"] = min(singles.items(), key=lambda item: item[1]) if singles else None
        reference = row["medians"].get("tuned") or (row["best_single"][1] if row["best_single"] else None)
        row["reference"] = "tuned" if "tuned" in row["medians"] else (row["best_single"][0] if row["best_single"] else None)
        row["realtime"] = results.realtime_factor(reference, row["sample_rate"]) if reference else math.nan
    return list(rows.values())


def layer_rows(document, tool):
    """{(subject, block): {implementation: median}} with the choice, ordered by kind, then cost."""
    measurements = layer_measurements(document, tool)
    choice = chosen_by_shape(measurements)
    rows = OrderedDict()
    for m in sorted(measurements, key=lambda m: (m.get("layer_kind", ""), m["block"], specs.size_of(m["subject"]),
                                                   m["subject"])):
        row = rows.setdefault((m["subject"], m["block"]), {"subject": m["subject"], "block": m["block"],
                                                            "kind": m.get("layer_kind", "?"), "medians": {},
                                                            "flops": m.get("flops_per_sample"),
                                                            "chosen": choice.get((m["subject"], m["block"]))})
        row["medians"][m["implementation"]] = results.median(m)
    return list(rows.values())


def history_series(runs):
    """{series name: [(run index, median, q1, q3)]} across the runs of one machine: every model's tuned (else
    each implementation's) time, and the geometric mean over layer shapes of the chosen implementation."""
    series = OrderedDict()
    for index, document in enumerate(runs):
        models = model_measurements(document)
        with_tuned = {(m["tool"], m["subject"], m["block"]) for m in models if m["implementation"] == "tuned"}
        for m in models:
            if (m["tool"], m["subject"], m["block"]) in with_tuned and m["implementation"] != "tuned":
                continue
            if m["implementation"] == "libtorch":
                continue
            name = f"{m['subject']} block {m['block']} ({m['implementation']}, {m['tool']})"
            q1, med, q3 = quartiles(m["samples"])
            series.setdefault(name, []).append((index, med, q1, q3))
        for tool in tools_with(document, "layer"):
            measurements = layer_measurements(document, tool)
            choice = chosen_by_shape(measurements)
            chosen = [results.median(m) for m in measurements
                      if choice.get((m["subject"], m["block"])) == m["implementation"]]
            if chosen:
                mean = math.exp(sum(math.log(v) for v in chosen) / len(chosen))
                series.setdefault(f"layers: geometric mean of the chosen ({tool}, {len(chosen)} shapes)", []).append(
                    (index, mean, mean, mean))
    return series
