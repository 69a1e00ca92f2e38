#!/usr/bin/env python3
"""Markdown tables from rtn-kernel-benchmark's JSON output (--benchmark_out=FILE --benchmark_out_format=json,
with --benchmark_repetitions >= 2 so that medians and spreads exist).

    reports/benchmark_table.py out/benchmark.json [--kind model|kernel] [--filter REGEX]

One row per benchmarked shape and block size, one column per backend: the median time per frame over
the repetitions, its spread (half the range of the repetitions, as % of the median) and, for models,
the real-time factor at 48 kHz. Only the standard library is needed.
"""
import argparse
import json
import re
import statistics
import sys
from collections import defaultdict

BACKENDS = ("stl", "eigen", "xsimd")


def parse_name(name):
    """'model/guitar_lstm_40/xsimd/block:1' -> ('model', 'guitar_lstm_40', 'xsimd', 1)"""
    match = re.fullmatch(r"(kernel|model)/(.+)/(stl|eigen|xsimd)/block:(\d+)", name)
    if not match:
        return None
    kind, subject, backend, block = match.groups()
    return kind, subject, backend, int(block)


def collect(document, kind, pattern):
    """{(subject, block): {backend: [seconds per frame, one per repetition]}}"""
    runs = defaultdict(lambda: defaultdict(list))
    for run in document.get("benchmarks", []):
        if run.get("run_type") != "iteration" or run.get("error_occurred"):
            continue
        parsed = parse_name(run.get("run_name", run["name"]))
        if not parsed or parsed[0] != kind or not re.search(pattern, parsed[1]):
            continue
        _, subject, backend, block = parsed
        runs[(subject, block)][backend].append(run["time_per_frame"])
    return runs


def format_time(seconds):
    nanoseconds = seconds * 1e9
    return f"{nanoseconds / 1000:.2f} µs" if nanoseconds >= 1000 else f"{nanoseconds:.0f} ns"


def cell(samples, with_realtime):
    median = statistics.median(samples)
    spread = (max(samples) - min(samples)) / 2 / median * 100
    text = f"{format_time(median)} ±{spread:.0f}%"
    if with_realtime:
        text += f" ({1 / (median * 48000):.0f}×)"
    return text


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", help="Google Benchmark JSON written by rtn-kernel-benchmark")
    parser.add_argument("--kind", choices=("model", "kernel"), default="model")
    parser.add_argument("--filter", default=".", help="regular expression on the model or layer")
    arguments = parser.parse_args()
    try:
        with open(arguments.results) as file:
            document = json.load(file)
    except (OSError, json.JSONDecodeError) as error:
        sys.exit(f"benchmark_table: cannot read {arguments.results}: {error}")

    runs = collect(document, arguments.kind, arguments.filter)
    if not runs:
        sys.exit(f"benchmark_table: no {arguments.kind} benchmarks in {arguments.results}")
    backends = [b for b in BACKENDS if any(b in per_backend for per_backend in runs.values())]
    title = "model" if arguments.kind == "model" else "layer"
    with_realtime = arguments.kind == "model"
    print(f"| {title} | block | " + " | ".join(backends) + " | fastest |")
    print("|---|---:|" + "---:|" * len(backends) + "---|")
    for (subject, block), per_backend in runs.items():
        medians = {b: statistics.median(per_backend[b]) for b in backends if per_backend.get(b)}
        fastest = min(medians, key=medians.get)
        cells = [cell(per_backend[b], with_realtime) if per_backend.get(b) else "–" for b in backends]
        print(f"| {subject} | {block} | " + " | ".join(cells) + f" | {fastest} |")
    context = document.get("context", {})
    print(f"\n{context.get('host_name', '?')}: {context.get('num_cpus', '?')} CPUs at "
          f"{context.get('mhz_per_cpu', '?')} MHz, {context.get('date', '')}; "
          f"times per frame: median of {len(next(iter(next(iter(runs.values())).values())))} repetitions "
          f"± half their range; (N×) = real-time factor at 48 kHz.")


if __name__ == "__main__":
    main()
