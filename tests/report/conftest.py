"""Shared helpers of the rtn-report tests: the package on the path, fixture paths, a results-document maker."""
import copy
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.path.join(os.path.dirname(__file__), "data")
sys.path.insert(0, os.path.join(ROOT, "reports"))
RTN_REPORT = os.path.join(ROOT, "reports", "rtn-report")

_BASE = {
    "format": "rtn-results",
    "version": 1,
    "run": {"date": "2025-01-01T00:00:00Z", "host": "ci", "load_average_before": [0.1, 0.2, 0.3],
            "load_average_after": [0.2, 0.2, 0.3]},
    "machine": {"vendor": "AMD", "model_name": "AMD EPYC 9R14", "microarchitecture": "zen4", "isa": ["avx2", "fma3"],
                "logical_processors": 2, "frequency_mhz": 3600.0},
    "build": {"rtn_version": "0.1.0", "revision": "aaaa", "compiler": "GCC 12.2.0", "flags": "-O3"},
    "measurements": [],
}


def make_results(measurements, **sections):
    """A valid results document holding `measurements`: {id-suffix: samples} or full measurement dicts."""
    document = copy.deepcopy(_BASE)
    for name, value in sections.items():
        document[name].update(value)
    for item in measurements:
        if isinstance(item, dict):
            document["measurements"].append(item)
            continue
        subject, implementation, block, samples = item
        kind = "model" if "(" not in subject else "layer"
        document["measurements"].append({
            "id": f"{kind}/{subject}/{implementation}/block:{block}", "kind": kind, "subject": subject,
            "implementation": implementation, "block": block, "tool": "rtn-bench" if kind == "model" else "rtn-tune",
            "metric": "ns_per_sample", "samples": [float(v) for v in samples]})
    return document


def write_json(path, document):
    with open(path, "w") as file:
        json.dump(document, file)
    return str(path)


class Result:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def run_report(*arguments, check=None, in_process=True):
    """Runs rtn-report: in this process (fast: SciPy and matplotlib load once), or as the executable."""
    if in_process:
        import contextlib
        import io

        from rtn_report import cli

        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main([str(a) for a in arguments])
            except SystemExit as exit_:  # argparse
                code = exit_.code
        result = Result(code, out.getvalue(), err.getvalue())
    else:
        completed = subprocess.run([sys.executable, RTN_REPORT, *map(str, arguments)], capture_output=True,
                                   text=True, timeout=120)
        result = Result(completed.returncode, completed.stdout, completed.stderr)
    if check is not None:
        assert result.returncode == check, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture
def data_dir():
    return DATA
