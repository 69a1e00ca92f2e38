"""The instruction-count gate (scripts/ci_instructions.sh) after valgrind: its callgrind outputs converted
into results files and compared with `rtn-report`, as the script does, on real callgrind outputs of
`rtn process` (tests/report/data/callgrind, from the script's run); and the committed baseline covering
what the script measures."""
import json
import os
import re
import struct
import subprocess

import pytest
from conftest import DATA, ROOT, run_report

from rtn_report import results

CALLGRIND = os.path.join(DATA, "callgrind")
FRAMES = 4096  # the script's input
BASELINE = os.path.join(ROOT, "reports", "baseline", "instructions.json")
SCRIPT = os.path.join(ROOT, "scripts", "ci_instructions.sh")


def write_input(directory):
    """The profiled commands read out/instructions/input.wav (from the checkout's root): its frames are
    what the counts are divided by."""
    os.makedirs(directory / "out" / "instructions")
    data = b"\0" * (FRAMES * 2)
    (directory / "out" / "instructions" / "input.wav").write_bytes(
        b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt " +
        struct.pack("<IHHIIHH", 16, 1, 1, 48000, 48000 * 2, 2, 16) + b"data" + struct.pack("<I", len(data)) + data)


def scaled(text, factor):
    """A callgrind file whose every count is `factor` times the original (positions untouched)."""
    lines = []
    for line in text.splitlines():
        if line.startswith(("summary:", "totals:")):
            key, value = line.split(":")
            line = f"{key}: {round(int(value) * factor)}"
        elif re.match(r"^[0-9+*-]", line):
            position, *counts = line.split()
            line = " ".join([position] + [str(round(int(count) * factor)) for count in counts])
        lines.append(line)
    return "\n".join(lines) + "\n"


@pytest.fixture
def gate(tmp_path, monkeypatch):
    """Converts and compares like the script: returns run(new_factor_per_file) -> the compare result."""
    monkeypatch.chdir(tmp_path)
    write_input(tmp_path)
    names = sorted(os.listdir(CALLGRIND))

    def convert(directory, factors):
        directory.mkdir()
        for name in names:
            with open(os.path.join(CALLGRIND, name)) as file:
                (directory / name).write_text(scaled(file.read(), factors.get(name, 1.0)))
        output = tmp_path / f"{directory.name}.json"
        run_report("convert", *sorted(directory.iterdir()), "-o", output, check=0)
        return output

    base = convert(tmp_path / "base", {})

    def run(factors, threshold="1"):
        new = convert(tmp_path / f"new{len(list(tmp_path.glob('new*')))}", factors)
        return run_report("compare", base, new, "--instructions-threshold", threshold)

    return run


def test_callgrind_outputs_convert_to_counts_per_sample(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_input(tmp_path)
    paths = [os.path.join(CALLGRIND, name) for name in sorted(os.listdir(CALLGRIND))]
    run_report("convert", *paths, "-o", tmp_path / "r.json", check=0)
    document = results.load(str(tmp_path / "r.json"))
    counts = {m["id"]: m["samples"] for m in document["measurements"]}
    # totals: of each file / the input's frames; --no-profile is the built-in dispatch, "default"
    assert counts == {"model/conv_stack/xsimd/block:1": [pytest.approx(13595806 / FRAMES)],
                      "model/guitar_lstm/default/block:64": [pytest.approx(10061952 / FRAMES)]}
    assert {m["metric"] for m in document["measurements"]} == {"instructions_per_sample"}


def test_identical_counts_pass(gate):
    result = gate({})
    assert result.returncode == 0, result.stdout
    assert "0 regression(s)" in result.stdout and "2 unchanged" in result.stdout


def test_a_planted_five_percent_more_instructions_fails(gate):
    result = gate({"guitar_lstm.default.64.out": 1.05})
    assert result.returncode == 1, result.stdout
    regressions = result.stdout.split("Regressions")[1]
    assert "model/guitar_lstm/default/block:64 [callgrind, instructions]" in regressions and "+5.0%" in regressions
    assert "conv_stack" not in regressions


def test_changes_within_the_threshold_and_fewer_instructions_pass(gate):
    assert gate({"guitar_lstm.default.64.out": 1.005}).returncode == 0  # +0.5% < 1%
    assert gate({"guitar_lstm.default.64.out": 1.05}, threshold="6").returncode == 0
    result = gate({"conv_stack.xsimd.1.out": 0.9})
    assert result.returncode == 0 and "Improvements" in result.stdout


def test_the_baseline_covers_what_the_script_measures():
    """Every model and block of the suite the script runs, with each of its backends: a suite changed
    without refreshing the baseline fails here (refresh: scripts/ci_instructions.sh --refresh-baseline)."""
    document = results.load(BASELINE)
    with open(os.path.join(ROOT, "suites", "quick.json")) as file:
        suite = json.load(file)
    backends = re.search(r'RTN_INSTRUCTIONS_BACKENDS:-([^}]*)\}', open(SCRIPT).read()).group(1).split()
    expected = {f"model/{os.path.splitext(os.path.basename(model))[0]}/{backend}/block:{block}"
                for model in suite["models"] for block in suite["blocks"] for backend in backends}
    assert {m["id"] for m in document["measurements"]} == expected
    assert all(m["tool"] == "callgrind" and m["metric"] == "instructions_per_sample" and m["samples"][0] > 100
               for m in document["measurements"])


def test_the_script_refuses_unknown_arguments():
    completed = subprocess.run(["bash", SCRIPT, "--bogus"], capture_output=True, text=True, timeout=30)
    assert completed.returncode == 2 and "usage" in completed.stderr


def test_the_dashboard_and_summary_show_the_counts(tmp_path):
    result = run_report(BASELINE, "-o", tmp_path / "report.html", "--markdown", "-", check=0)
    assert "| model | block | default | stl | eigen | xsimd |" in result.stdout
    count = next(m["samples"][0] for m in results.load(BASELINE)["measurements"]
                 if m["id"] == "model/guitar_lstm/xsimd/block:64")
    assert f"| guitar_lstm | 64 | " in result.stdout and f"{count:,.0f}" in result.stdout
    page = (tmp_path / "report.html").read_text()
    assert "Instructions per sample (callgrind)" in page and f"{count:,.0f}" in page
