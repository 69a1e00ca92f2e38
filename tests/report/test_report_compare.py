"""`rtn-report compare` end to end: exit codes, what is listed, instruction counts."""
import copy
import json
import os
import re

import pytest
from conftest import DATA, make_results, run_report, write_json

from rtn_report import convert

TUNE = os.path.join(DATA, "rtn-tune-results.json")
BENCH = os.path.join(DATA, "rtn-bench-tiny-lstm-64.json")
CALLGRIND = os.path.join(DATA, "callgrind.out.true")


@pytest.fixture
def base():
    return convert.convert([TUNE, BENCH], local=False)


def scaled(document, id_, factor):
    changed = copy.deepcopy(document)
    for measurement in changed["measurements"]:
        if measurement["id"] == id_:
            measurement["samples"] = [v * factor for v in measurement["samples"]]
    return changed


def test_identical_results_pass(tmp_path, base):
    path = write_json(tmp_path / "base.json", base)
    result = run_report("compare", path, path, check=0)
    assert result.stdout.startswith("PASS: 0 regression(s)")


def test_a_planted_regression_fails_and_is_named(tmp_path, base):
    slow = scaled(base, "model/tiny-lstm/tuned/block:64", 1.3)
    markdown = tmp_path / "compare.md"
    verdicts = tmp_path / "verdicts.json"
    # the executable itself, as CI runs it
    result = run_report("compare", write_json(tmp_path / "base.json", base), write_json(tmp_path / "new.json", slow),
                        "--markdown", markdown, "--json", verdicts, check=1, in_process=False)
    assert result.stdout.startswith("FAIL: 1 regression(s)")
    section = result.stdout.split("Regressions")[1].split("\n\n")[0]
    assert "model/tiny-lstm/tuned/block:64 [rtn-bench]" in section and "+30.0%" in section
    assert "**FAIL**" in markdown.read_text()
    assert '"status": "regression"' in verdicts.read_text()


def test_a_regression_under_the_threshold_passes(tmp_path, base):
    slow = scaled(base, "model/tiny-lstm/tuned/block:64", 1.3)
    run_report("compare", write_json(tmp_path / "b.json", base), write_json(tmp_path / "n.json", slow),
               "--threshold", "40", check=0)


def test_improvements_and_unmatched_entries_never_fail(tmp_path, base):
    new = scaled(base, "model/tiny-lstm/stl/block:64", 0.5)
    gone = new["measurements"].pop(0)["id"]
    extra = copy.deepcopy(new["measurements"][0])
    extra["id"] = extra["id"].replace("block:", "block:9")
    new["measurements"].append(extra)
    result = run_report("compare", write_json(tmp_path / "b.json", base), write_json(tmp_path / "n.json", new), check=0)
    assert re.search(r"Improvements.*: 1\n.*\nmodel/tiny-lstm/stl/block:64", result.stdout)
    assert gone in result.stdout.split("Only in the base")[1]
    assert extra["id"] in result.stdout.split("Only in the new")[1]


def with_tail(document, id_, p99s):
    """`document` as rtn bench --results (version 2) writes it: each round's latency percentiles for `id_`."""
    changed = copy.deepcopy(document)
    changed["version"] = 2
    for measurement in changed["measurements"]:
        if measurement["id"] == id_:
            measurement["latency_ns_rounds"] = [{"p50": p / 2, "p99": p, "p99.9": p * 1.5, "max": p * 2}
                                                for p in p99s]
    return changed


def test_tail_latency_is_reported_and_gated_only_with_a_threshold(tmp_path, base):
    id_ = "model/tiny-lstm/tuned/block:64"
    base_p99 = [20000 + 37 * i for i in range(30)]
    old = write_json(tmp_path / "b.json", with_tail(base, id_, base_p99))
    new = write_json(tmp_path / "n.json", with_tail(base, id_, [p * 1.5 for p in base_p99]))
    # the same throughput, a tail 50% longer: listed, but it fails only when asked
    result = run_report("compare", old, new, check=0)
    assert result.stdout.startswith("PASS: 0 regression(s) (and 1 not gated)")
    assert f"{id_} [rtn-bench, p99 of one call] (not gated)" in result.stdout and "+50.0%" in result.stdout
    result = run_report("compare", old, new, "--latency-threshold", "20", check=1)
    assert result.stdout.startswith("FAIL: 1 regression(s)")
    assert f"{id_} [rtn-bench, p99 of one call]" in result.stdout.split("Regressions")[1]
    run_report("compare", old, new, "--latency-threshold", "60", check=0)
    # identical tails: no change; a version 1 base (no rounds): nothing to compare, no latency line
    assert "p99 of one call" not in run_report("compare", write_json(tmp_path / "v1.json", base), new,
                                               check=0).stdout
    result = run_report("compare", old, old, "--latency-threshold", "5", "--all", check=0)
    assert re.search(r"No significant change.*\n(.*\n)*.*p99 of one call", result.stdout)


def test_tool_outputs_are_compared_directly(tmp_path):
    run_report("compare", BENCH, BENCH, check=0)


def test_different_machines_are_pointed_out(tmp_path, base):
    other = copy.deepcopy(base)
    other["machine"]["model_name"] = "Other CPU"
    result = run_report("compare", write_json(tmp_path / "b.json", base), write_json(tmp_path / "n.json", other),
                        check=0)
    assert "different machines" in result.stdout


def test_a_run_limited_by_rtn_max_isa_is_another_machine(tmp_path, base):
    limited = copy.deepcopy(base)
    limited["machine"]["isa_limited_to"] = "x86-64-v3"
    result = run_report("compare", write_json(tmp_path / "b.json", base), write_json(tmp_path / "n.json", limited),
                        check=0)
    assert "different machines" in result.stdout and "limited to x86-64-v3" in result.stdout


def test_the_isa_limit_of_a_tool_output_is_kept(tmp_path):
    with open(TUNE) as file:
        tune = json.load(file)
    tune["context"]["machine"]["isa_limited_to"] = "x86-64-v3"
    document = convert.convert([write_json(tmp_path / "tune.json", tune)], local=False)
    assert document["machine"]["isa_limited_to"] == "x86-64-v3"
    assert "isa_limited_to" not in convert.convert([TUNE], local=False)["machine"]


def test_unreadable_inputs_exit_2(tmp_path):
    result = run_report("compare", tmp_path / "missing.json", BENCH, check=2)
    assert "cannot read" in result.stderr
    (tmp_path / "bad.json").write_text("{")
    run_report("compare", tmp_path / "bad.json", BENCH, check=2)


def test_instruction_counts_in_results_files(tmp_path):
    def document(count):
        return make_results([{"id": "model/guitar_lstm/tuned/block:64", "kind": "model", "subject": "guitar_lstm",
                              "implementation": "tuned", "block": 64, "tool": "callgrind",
                              "metric": "instructions_per_sample", "samples": [count]}])

    base = write_json(tmp_path / "b.json", document(10000.0))
    run_report("compare", base, write_json(tmp_path / "same.json", document(10000.0)), check=0)
    run_report("compare", base, write_json(tmp_path / "small.json", document(10050.0)), check=0)
    result = run_report("compare", base, write_json(tmp_path / "more.json", document(10200.0)), check=1)
    assert "+2.0%" in result.stdout
    run_report("compare", base, tmp_path / "more.json", "--instructions-threshold", "5", check=0)


def test_callgrind_files_compared_directly(tmp_path):
    text = open(CALLGRIND).read()
    run_report("compare", CALLGRIND, CALLGRIND, check=0)
    # The new build spends twice the instructions in one function (its own cost lines doubled).
    lines, inside = [], False
    for line in text.splitlines():
        if line.startswith("fn="):
            inside = line.endswith(" do_lookup_x")
        elif inside and re.match(r"^[0-9+*-]", line) and not lines[-1].startswith("calls="):
            parts = line.split()
            line = " ".join(parts[:1] + [str(int(v) * 2) for v in parts[1:]])
        lines.append(line)
    text = "\n".join(lines).replace(": 127838", ": 149748")  # summary: and totals:
    new = tmp_path / "callgrind.out.new"
    new.write_text(text)
    result = run_report("compare", CALLGRIND, new, check=1)
    assert "+17.14%" in result.stdout and "+21,910" in result.stdout and "do_lookup_x" in result.stdout
