"""The converter: real outputs of rtn-tune --results, rtn bench --json, rtn info and rtn-kernel-benchmark
(Google Benchmark JSON), and a callgrind file, into one results file valid against the schema."""
import copy
import json
import os

import pytest
from conftest import DATA, run_report

from rtn_report import callgrind, convert, results

TUNE = os.path.join(DATA, "rtn-tune-results.json")
BENCH = os.path.join(DATA, "rtn-bench-tiny-lstm-64.json")
INFO = os.path.join(DATA, "rtn-info-tiny-lstm-64.txt")
KERNELS = os.path.join(DATA, "kernel-benchmark.json")
CALLGRIND = os.path.join(DATA, "callgrind.out.true")


def test_detects_each_tool_output():
    assert [convert.detect(p) for p in (TUNE, BENCH, INFO, KERNELS, CALLGRIND)] == [
        "rtn-tune-results", "rtn-bench", "rtn-info", "google-benchmark", "callgrind"]


def test_rtn_tune_results_keep_every_repetition_and_the_context():
    document = convert.convert([TUNE], local=False)
    results.validate(document)
    with open(TUNE) as file:
        raw = json.load(file)
    name = "kernel/dense(in=8,out=8,bias=1)/eigen/block:64"
    expected = [run["real_time"] for run in raw["benchmarks"] if run["name"] == name]
    (measurement,) = [m for m in document["measurements"] if m["id"] == "layer/dense(in=8,out=8,bias=1)/eigen/block:64"]
    assert measurement["samples"] == expected and len(expected) > 5
    assert measurement["tool"] == "rtn-tune" and measurement["layer_kind"] == "dense"
    assert measurement["flops_per_sample"] == 2 * 8 * 8 + 8  # as LayerSpec::flops_per_frame
    assert measurement["error"]["checked_against"] == "libtorch"
    assert document["machine"]["isa"] == raw["context"]["machine"]["isa"]
    assert document["machine"]["caches"]["l1d_bytes"] == 49152
    assert document["build"]["compiler"] == raw["context"]["build"]["compiler"]
    assert "BLAS" in document["build"]["libtorch"]
    # every shape/block has exactly one chosen backend, never libtorch
    chosen = [m for m in document["measurements"] if m.get("chosen")]
    assert len(chosen) == len({(m["subject"], m["block"]) for m in document["measurements"]})
    assert all(m["implementation"] != "libtorch" for m in chosen)


def test_rtn_bench_and_info_give_models_latency_and_dispatch():
    document = convert.convert([BENCH, INFO], local=False)
    results.validate(document)
    tuned = next(m for m in document["measurements"] if m["id"] == "model/tiny-lstm/tuned/block:64")
    assert len(tuned["samples"]) == 30 and tuned["tool"] == "rtn-bench"
    assert set(tuned["latency_ns"]) == {"p50", "p99", "p99.9", "max"}
    assert tuned["flops_per_sample"] == 237
    (model,) = document["models"]
    assert [d["reason"] for d in model["dispatch"]] == ["profile: exact entry"] * 2
    assert model["dispatch"][0]["layer"] == "lstm(in=1,hidden=4,layers=1,bias=1)"
    assert document["machine"]["model_name"] == "Intel Xeon"  # from the description string
    assert document["build"]["rtn_version"] == "0.1.0"


def test_google_benchmark_repetitions_are_per_frame_wall_times():
    document = convert.convert([KERNELS], local=False)
    with open(KERNELS) as file:
        raw = json.load(file)
    run = next(r for r in raw["benchmarks"] if r["run_name"] == "model/guitar_lstm_40/xsimd/block:64"
               and r["run_type"] == "iteration")
    measurement = next(m for m in document["measurements"] if m["id"] == "model/guitar_lstm_40/xsimd/block:64")
    assert len(measurement["samples"]) == 5  # aggregates (mean, median, stddev, cv) are not repetitions
    assert measurement["samples"][0] == pytest.approx(run["real_time"] / 64)
    assert document["run"]["load_average_before"] == pytest.approx(raw["context"]["load_avg"])
    assert document["machine"]["frequency_mhz"] == 2100


def test_all_together_with_local_context(tmp_path):
    output = tmp_path / "results.json"
    run_report("convert", TUNE, BENCH, INFO, KERNELS, "-o", output, "--label", "test", "--load-before", "1 2 3",
               check=0)
    document = results.load(str(output))
    assert document["run"]["load_average_before"] == [1, 2, 3]
    assert len(document["run"]["load_average_after"]) == 3  # read from /proc/loadavg
    assert document["run"]["host"] and document["run"]["label"] == "test"
    assert {s["format"] for s in document["run"]["sources"]} == {"rtn-tune-results", "rtn-bench", "rtn-info",
                                                                 "google-benchmark"}
    assert document["build"]["revision"]  # git of this checkout
    assert document["machine"]["isa"]


def test_schema_rejects_what_is_wrong(tmp_path):
    document = convert.convert([BENCH], local=False)
    broken = copy.deepcopy(document)
    broken["measurements"][0]["samples"] = []
    with pytest.raises(results.ResultsError, match=r"measurements\[0\]\.samples"):
        results.validate(broken)
    broken = copy.deepcopy(document)
    broken["measurements"][1]["block"] = 0
    with pytest.raises(results.ResultsError, match=r"measurements\[1\]\.block"):
        results.validate(broken)
    broken = copy.deepcopy(document)
    broken["version"] = 3
    path = tmp_path / "v3.json"
    path.write_text(json.dumps(broken))
    result = run_report("validate", path, check=2)
    assert "version 3" in result.stderr and "reads 1 and 2" in result.stderr
    # a version 1 file (before latency_ns_rounds) is still read; a round's latency must be the four percentiles
    old = copy.deepcopy(document)
    old["version"] = 1
    path = tmp_path / "v1.json"
    path.write_text(json.dumps(old))
    run_report("validate", path, check=0)
    broken = copy.deepcopy(document)
    broken["measurements"][0]["latency_ns_rounds"] = [{"p50": 1.0, "p95": 2.0}]
    with pytest.raises(results.ResultsError, match=r"measurements\[0\]\.latency_ns_rounds\[0\]"):
        results.validate(broken)


def test_unknown_input_is_refused(tmp_path):
    path = tmp_path / "other.json"
    path.write_text('{"something": 1}')
    result = run_report("convert", path, "-o", tmp_path / "out.json", check=2)
    assert "not an rtn results file, nor output of rtn-tune" in result.stderr


def test_callgrind_file_is_read_exactly():
    profile = callgrind.parse(CALLGRIND)
    assert profile.events == ["Ir"] and profile.totals["Ir"] == 127838
    assert sum(f.get("Ir", 0) for f in profile.functions.values()) == 127838  # self costs add up to the total
    assert profile.command == "/bin/true"


def test_callgrind_of_rtn_process_is_identified(tmp_path):
    wav = tmp_path / "in.wav"
    frames = 4800
    import struct
    data = b"\0" * (frames * 4)
    wav.write_bytes(b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt " +
                    struct.pack("<IHHIIHH", 16, 3, 1, 48000, 48000 * 4, 4, 32) + b"data" +
                    struct.pack("<I", len(data)) + data)
    text = open(CALLGRIND).read().replace("cmd:  /bin/true",
                                          f"cmd:  build/tools/rtn/rtn process suites/models/guitar_lstm.json {wav} "
                                          f"{tmp_path}/out.wav --block 64 --backend xsimd")
    path = tmp_path / "callgrind.out.1"
    path.write_text(text)
    converter = convert.Converter(local=False)
    converter.add(str(path))
    converter.machine = {"vendor": "x", "model_name": "x", "microarchitecture": "x", "isa": [], "logical_processors": 1}
    document = converter.result()
    (measurement,) = document["measurements"]
    assert measurement["id"] == "model/guitar_lstm/xsimd/block:64"
    assert measurement["metric"] == "instructions_per_sample" and measurement["tool"] == "callgrind"
    assert measurement["samples"] == [pytest.approx(127838 / frames)]
