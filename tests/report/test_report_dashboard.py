"""The dashboard and the Markdown summary from fixture results: one machine, several commits, several
machines; then the HTML in a real headless browser (Debian's chromium): no console errors, every plot
present with its data points, readable at 1280 px."""
import copy
import html as html_module
import json
import os
import re
import shutil
import subprocess

import pytest
from conftest import DATA, run_report, write_json

from rtn_report import convert

TUNE = os.path.join(DATA, "rtn-tune-results.json")
BENCH = os.path.join(DATA, "rtn-bench-tiny-lstm-64.json")
INFO = os.path.join(DATA, "rtn-info-tiny-lstm-64.txt")
KERNELS = os.path.join(DATA, "kernel-benchmark.json")


def one_run():
    return convert.convert([TUNE, BENCH, INFO, KERNELS], local=False, revision="1111111aaaa")


def commits(count):
    """The same machine at `count` commits, each 5% slower than the one before."""
    runs = []
    for index in range(count):
        document = copy.deepcopy(one_run())
        document["build"]["revision"] = f"{index}{index}{index}abcdef0123"
        document["build"]["revision_date"] = f"2025-01-0{index + 1}T12:00:00Z"
        for measurement in document["measurements"]:
            measurement["samples"] = [v * 1.05 ** index for v in measurement["samples"]]
        runs.append(document)
    return runs


def other_machine():
    document = copy.deepcopy(one_run())
    document["machine"].update(vendor="AMD", model_name="AMD EPYC 9R14", microarchitecture="zen4")
    for measurement in document["measurements"]:
        measurement["samples"] = [v * 0.8 for v in measurement["samples"]]
    return document


def figures(page):
    return [(points, series, html_module.unescape(caption)) for points, series, caption in
            re.findall(r'<figure class="plot" data-points="(\d+)" data-series="(\d+)"><figcaption>([^<]*)<', page)]


def make(tmp_path, documents, *extra):
    paths = [write_json(tmp_path / f"run{i}.json", d) for i, d in enumerate(documents)]
    html, markdown = tmp_path / "report.html", tmp_path / "summary.md"
    run_report(*paths, "-o", html, "--markdown", markdown, *extra, check=0)
    return html.read_text(), markdown.read_text()


def test_one_machine(tmp_path):
    page, markdown = make(tmp_path, [one_run()])
    captions = [caption for _, _, caption in figures(page)]
    assert any(c.startswith("Real-time factor of each model") for c in captions)
    assert any(c.startswith("Latency of one process() call") for c in captions)
    assert sum(c.startswith("Real-time factor at 48 kHz per layer shape") for c in captions) == 4  # 2 tools x 2 blocks
    assert sum(c.startswith("Percentage of one core's peak") for c in captions) == 2
    assert all(int(points) > 0 for points, _, _ in figures(page))
    assert "profile: exact entry" in page  # dispatch decisions with their reasons
    assert "Machines side by side" not in page and "History" not in page
    assert "<script src" not in page and "http" not in page.split("<svg")[0]  # nothing from the network
    assert "| tiny-lstm | 64 | rtn-bench | tuned |" in markdown


@pytest.fixture(scope="module")
def combined(tmp_path_factory):
    """Three commits on one machine (given newest first) and a run on another machine: one report."""
    directory = tmp_path_factory.mktemp("combined")
    page, markdown = make(directory, commits(3)[::-1] + [other_machine()])
    return directory, page, markdown


def test_several_commits(combined):
    _, page, markdown = combined
    (history,) = [f for f in figures(page) if f[2].startswith("History")]
    assert int(history[0]) >= 3 * 3  # at least 3 series over 3 commits
    context = page.split("Machine, build and run")[1]
    order = [context.index(label) for label in ("000abcdef0", "111abcdef0", "222abcdef0")]
    assert order == sorted(order)  # sorted by commit date
    row = next(line for line in markdown.splitlines() if line.startswith("| tiny-lstm block 64 (tuned"))
    values = [float(v) for v in row.split("|")[2:5]]
    assert values[1] == pytest.approx(values[0] * 1.05, rel=1e-3) and values[2] == pytest.approx(values[0] * 1.05 ** 2, rel=1e-3)


def test_several_machines(combined):
    _, page, markdown = combined
    (machines,) = [f for f in figures(page) if f[2].startswith("Machines side by side")]
    assert int(machines[0]) == 2 * 3  # 3 models (bench + 2 kernel-benchmark blocks) on 2 machines
    assert "AMD EPYC 9R14 (zen4" in page and "Intel Xeon" in page
    assert markdown.count("\n## ") == 2


def test_compare_verdicts_are_shown(tmp_path):
    base = write_json(tmp_path / "base.json", one_run())
    slower = one_run()
    for measurement in slower["measurements"]:
        if measurement["id"] == "model/tiny-lstm/tuned/block:64":
            measurement["samples"] = [v * 1.5 for v in measurement["samples"]]
    new = write_json(tmp_path / "new.json", slower)
    run_report("compare", base, new, "--json", tmp_path / "verdicts.json", check=1)
    page, markdown = make(tmp_path, [slower], "--compare", tmp_path / "verdicts.json")
    assert "FAIL: 1 significant regression(s)" in page
    assert "**FAIL** against the baseline" in markdown and "`model/tiny-lstm/tuned/block:64`" in markdown


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def chromium(*arguments):
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--window-size=1280,2000", "--enable-logging=stderr", "--v=0", *arguments],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(CHROMIUM is None and os.environ.get("RTN_REQUIRE_BROWSER") != "1", reason="no chromium")
def test_in_a_headless_browser(combined):
    assert CHROMIUM, "chromium is required (scripts/setup.sh installs it)"
    tmp_path, page, _ = combined
    html = tmp_path / "report.html"
    result = chromium("--virtual-time-budget=10000", "--dump-dom", html.as_uri())
    match = re.search(r'<pre id="rtn-self-check">([^<]*)</pre>', result.stdout)
    assert match and match.group(1), f"the page's check did not run\n{result.stderr[-2000:]}"
    check = json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert len(check["plots"]) == len(figures(page)) >= 8
    for plot in check["plots"]:
        assert plot["ok"], plot
        assert plot["drawn"] >= plot["expected"] > 0 and plot["width"] > 600
    assert check["errors"] == []
    assert check["scrollWidth"] <= 1280, "the page scrolls sideways at 1280 px"
    console = [line for line in result.stderr.splitlines() if ":CONSOLE" in line]
    assert any("rtn-report self-check: ok" in line for line in console), result.stderr[-2000:]
    assert not [line for line in console if "self-check: ok" not in line], console
    screenshot = tmp_path / "dashboard.png"
    chromium(f"--screenshot={screenshot}", html.as_uri())
    assert screenshot.stat().st_size > 20000
    if os.environ.get("RTN_REPORT_SCREENSHOT"):
        shutil.copy(screenshot, os.environ["RTN_REPORT_SCREENSHOT"])
