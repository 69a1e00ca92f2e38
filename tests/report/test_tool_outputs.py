"""rtn-tune, rtn bench and rtn-kernel-benchmark record what the results format needs (docs/results-format.md):
every repetition, the machine, the build and the run (date, host, load average before and after; Google
Benchmark's JSON: the load at the start). rtn-tune and rtn bench write results files themselves, valid as
they are; converted with --no-local, nothing may come from the converting machine, so every field checked
here was written by the tool itself.

The tools run when CTest gives their paths (RTN_CLI, RTN_TUNE, RTN_KERNEL_BENCHMARK: the rtn_report_tests
test); the converter's reading of their sections is also tested on the fixtures, edited as today's tools
write them."""
import json
import os
import subprocess

import pytest
from conftest import DATA, ROOT

from rtn_report import convert, results

TINY_SUITE = os.path.join(ROOT, "tests", "data", "tiny-suite.json")
TINY_LSTM = os.path.join(ROOT, "tests", "data", "tiny-lstm.json")
TUNE = os.path.join(DATA, "rtn-tune-results.json")
BENCH = os.path.join(DATA, "rtn-bench-tiny-lstm-64.json")
INFO = os.path.join(DATA, "rtn-info-tiny-lstm-64.txt")


def tool(variable):
    path = os.environ.get(variable)
    if not path:
        pytest.skip(f"{variable} is not set (CTest's rtn_report_tests sets it)")
    return path


def run(*command):
    completed = subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=240,
                               env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert completed.returncode == 0, f"{command}: exit {completed.returncode}\n{completed.stderr[-3000:]}"
    return completed


def load_valid(path):
    """A results file as a tool wrote it, valid against the schema without conversion."""
    document = json.loads(path.read_text())
    results.validate(document, str(path))
    return document


def assert_complete(document, load_after=True):
    """The sections the issue asks for, as the tools wrote them."""
    results.validate(document)
    machine, build, run_section = document["machine"], document["build"], document["run"]
    assert machine["vendor"] not in ("", "unknown") and machine["model_name"]
    assert machine["microarchitecture"] not in ("", "unknown")
    assert "sse2" in machine["isa"] and machine["logical_processors"] >= 1
    assert machine["caches"]["l1d_bytes"] > 0 and machine["caches"]["l2_bytes"] > 0
    assert build["rtn_version"] != "unknown" and build["compiler"] and build["flags"]
    assert build["backends"] and "stl" in " ".join(build["backends"])
    assert run_section["date"].startswith("20") and run_section["host"] not in ("", "unknown")
    assert len(run_section["load_average_before"]) == 3
    if load_after:
        assert len(run_section["load_average_after"]) == 3


def test_rtn_tune_writes_a_results_file(tmp_path):
    rtn_tune = tool("RTN_TUNE")
    output = tmp_path / "tune.json"
    run(rtn_tune, TINY_SUITE, "--budget", "1", "--blocks", "64", "--replace", "--output", tmp_path / "profile.json",
        "--results", output)
    document = load_valid(output)
    assert_complete(document)
    assert document["run"]["commands"][0].startswith("rtn-tune ")
    profile = json.loads((tmp_path / "profile.json").read_text())
    layers = {entry["layer"] for entry in profile["entries"]}
    for layer in layers:  # every contender of every profiled shape, with all its repetitions
        measured = [m for m in document["measurements"] if m["subject"] == layer]
        assert {m["implementation"] for m in measured} >= {"stl"}
        assert sum(m["chosen"] for m in measured) == 1
        for measurement in measured:
            assert measurement["tool"] == "rtn-tune" and measurement["block"] == 64
            assert len(measurement["samples"]) >= 7 and min(measurement["samples"]) > 0
            assert measurement["calls_per_repetition"] > 0 and measurement["flops_per_sample"] > 0
            assert measurement["error"]["within_tolerance"]
    # the converter keeps it whole
    converted = convert.convert([str(output)], local=False)
    assert converted["measurements"] == document["measurements"] and converted["machine"] == document["machine"]


def check_bench(document):
    assert_complete(document)
    tuned = next(m for m in document["measurements"] if m["implementation"] == "tuned")
    assert len(tuned["samples"]) == 30 and set(tuned["latency_ns"]) == {"p50", "p99", "p99.9", "max"}
    if "latency_ns_rounds" in tuned:  # rtn's own results (version 2): each round's percentiles, within the overall
        rounds = tuned["latency_ns_rounds"]
        assert document["version"] == 2 and len(rounds) == len(tuned["samples"])
        for latency in rounds:
            assert 0 < latency["p50"] <= latency["p99"] <= latency["p99.9"] <= latency["max"]
            assert latency["max"] <= tuned["latency_ns"]["max"]
        assert max(latency["max"] for latency in rounds) == tuned["latency_ns"]["max"]
    (model,) = document["models"]
    assert [d["reason"] for d in model["dispatch"]] == ["default (no profile)"] * len(model["dispatch"])
    assert model["dispatch"][0]["layer"].startswith("lstm(in=1,hidden=4")


def test_rtn_bench_records_machine_build_run_and_dispatch(tmp_path):
    rtn = tool("RTN_CLI")
    output, native = tmp_path / "bench.json", tmp_path / "bench-results.json"
    run(rtn, "bench", TINY_LSTM, "--no-profile", "--block", "64", "--seconds", "0.1", "--backend", "tuned,stl",
        "--json-file", output, "--results", native)
    check_bench(convert.convert([str(output)], local=False))
    document = load_valid(native)
    check_bench(document)
    assert {m["implementation"] for m in document["measurements"]} == {"tuned", "stl"}
    assert document["run"]["commands"] == [f"rtn bench {TINY_LSTM} --no-profile --block 64 --seconds 0.1 "
                                           f"--backend tuned,stl --json-file {output} --results {native}"]
    raw = json.loads(output.read_text())
    for measurement in document["measurements"]:  # the same rounds as --json gives
        assert measurement["samples"] == raw["configurations"][measurement["implementation"]]["ns_per_sample_rounds"]
    (model,) = document["models"]
    assert model["flops_per_sample"] == sum(d["flops_per_sample"] for d in model["dispatch"]) > 0


def test_results_files_of_several_tools_merge(tmp_path):
    """rtn-tune's and rtn bench's results files of one run into one: both tools' measurements, the load
    before the first and after the last."""
    rtn, rtn_tune = tool("RTN_CLI"), tool("RTN_TUNE")
    tune, bench = tmp_path / "tune.json", tmp_path / "bench.json"
    run(rtn_tune, TINY_SUITE, "--budget", "1", "--blocks", "64", "--replace", "--output", tmp_path / "profile.json",
        "--results", tune)
    run(rtn, "bench", TINY_LSTM, "--profile", tmp_path / "profile.json", "--block", "64", "--seconds", "0.1",
        "--backend", "tuned", "--results", bench)
    first, second = load_valid(tune), load_valid(bench)
    document = convert.convert([str(bench), str(tune)], local=False)
    results.validate(document)
    assert document["measurements"] == second["measurements"] + first["measurements"]
    assert document["run"]["load_average_before"] == first["run"]["load_average_before"]
    assert document["run"]["load_average_after"] == second["run"]["load_average_after"]
    assert document["run"]["commands"] == second["run"]["commands"] + first["run"]["commands"]
    assert [s["format"] for s in document["run"]["sources"]] == ["rtn-results", "rtn-results"]
    assert document["models"] == second["models"]


def test_rtn_kernel_benchmark_records_machine_build_and_the_load_at_start(tmp_path):
    kernel_benchmark = tool("RTN_KERNEL_BENCHMARK")
    output = tmp_path / "kernels.json"
    run(kernel_benchmark, "--benchmark_filter=^kernel/dense\\(in=8,out=8,bias=1\\)/stl/block:64$",
        "--benchmark_repetitions=3", "--benchmark_min_time=0.01", "--benchmark_format=json",
        f"--benchmark_out={output}")
    document = convert.convert([str(output)], local=False)
    # Google Benchmark writes its context before measuring: no load after (rtn-report convert --load-after).
    assert_complete(document, load_after=False)
    (measurement,) = document["measurements"]
    assert len(measurement["samples"]) == 3


def info_with_build(build_line, directory):
    """The rtn info fixture with the "build:" line today's rtn info prints."""
    with open(INFO) as file:
        text = file.read()
    text = text.replace("\nprofile:", f"\nbuild:        {build_line}\nprofile:", 1)
    path = directory / "info.txt"
    path.write_text(text)
    return str(path)


def today(bench_or_tune):
    """A fixture edited as today's tools write it: the profile's machine and build sections and a run."""
    with open(TUNE) as file:
        sections = json.load(file)["context"]
    machine = dict(sections["machine"], l1d_cache_bytes=49152, l2_cache_bytes=2097152, l3_cache_bytes=0,
                   logical_processors=2, isa_level="x86-64-v4")
    run_section = {"date": "2026-01-02T03:04:05Z", "host": "ci-runner-7", "load_average_before": [0.5, 0.4, 0.3],
                   "load_average_after": [0.7, 0.5, 0.3]}
    with open(bench_or_tune) as file:
        document = json.load(file)
    if "configurations" in document:
        document.update(machine=machine, build=sections["build"], run=run_section)
        document["configurations"]["tuned"]["dispatch"] = [
            {"layer": "lstm(in=1,hidden=4,layers=1,bias=1)", "backend": "xsimd", "reason": "profile: exact entry"},
            {"layer": "dense(in=4,out=1,bias=1)", "backend": "stl", "reason": "profile: nearest shape x"}]
    else:
        document["context"].update(machine=machine, host_name="ci-runner-7", run=run_section)
    return document


def test_the_tools_sections_are_read_without_local_guesses(tmp_path):
    path = tmp_path / "bench.json"
    path.write_text(json.dumps(today(BENCH)))
    document = convert.convert([str(path)], local=False)
    results.validate(document)
    assert document["run"]["host"] == "ci-runner-7" and document["run"]["date"] == "2026-01-02T03:04:05Z"
    assert document["run"]["load_average_before"] == [0.5, 0.4, 0.3]
    assert document["run"]["load_average_after"] == [0.7, 0.5, 0.3]
    assert document["machine"]["isa"][-1] == "avx512bf16" and document["machine"]["logical_processors"] == 2
    assert document["machine"]["caches"] == {"l1d_bytes": 49152, "l2_bytes": 2097152}
    assert document["build"]["flags"] == "-O3 -DNDEBUG -march=native"
    assert [d["reason"] for d in document["models"][0]["dispatch"]] == ["profile: exact entry",
                                                                        "profile: nearest shape x"]


def test_the_load_spans_every_tool_of_a_run(tmp_path):
    """rtn-tune then rtn bench: the load before the first and after the last, unless given."""
    tune = today(TUNE)
    bench = today(BENCH)
    bench["run"] = dict(bench["run"], date="2026-01-02T03:09:00Z", load_average_before=[1.0, 1.0, 1.0],
                        load_average_after=[2.0, 2.0, 2.0])
    paths = [tmp_path / "tune.json", tmp_path / "bench.json"]
    for path, document in zip(paths, (tune, bench)):
        path.write_text(json.dumps(document))
    document = convert.convert([str(p) for p in reversed(paths)], local=False)
    assert document["run"]["load_average_before"] == [0.5, 0.4, 0.3]
    assert document["run"]["load_average_after"] == [2.0, 2.0, 2.0]
    assert document["run"]["date"] == "2026-01-02T03:04:05Z"
    given = convert.convert([str(p) for p in paths], local=False, load_before=[9.0, 9.0, 9.0])
    assert given["run"]["load_average_before"] == [9.0, 9.0, 9.0]


def test_build_descriptions_of_rtn_info_and_older_files(tmp_path):
    """rtn info's "build:" line and rtn bench's JSON before it wrote the section: BuildIdentity::describe()."""
    older = convert.convert([INFO, BENCH], local=False)
    assert older["build"]["compiler"] == "GCC 12.2.0" and older["build"]["flags"] == "-O3 -DNDEBUG -march=native"
    assert older["build"]["backends"] == ["stl", "eigen", "xsimd"]
    text = ("rtn 0.1.0, GCC 12.2.0 -O3 -DNDEBUG -march=x86-64-v3, kernels 1a2b3c, ISA levels avx2 avx512, "
            "implementations stl eigen xsimd.avx2")
    assert convert._build_from_description(text) == {
        "rtn_version": "0.1.0", "compiler": "GCC 12.2.0", "flags": "-O3 -DNDEBUG -march=x86-64-v3",
        "kernel_sources": "1a2b3c", "isa_levels": ["avx2", "avx512"], "backends": ["stl", "eigen", "xsimd.avx2"],
        "description": text}
    # rtn info's line (the instruction-count gate's only build record) before an older description
    document = convert.convert([info_with_build(text, tmp_path), BENCH], local=False)
    assert document["build"]["flags"] == "-O3 -DNDEBUG -march=x86-64-v3" and document["build"]["isa_levels"]
