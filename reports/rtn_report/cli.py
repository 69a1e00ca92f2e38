"""rtn-report: results files, the HTML dashboard, the Markdown summary and the CI gate (docs/report.md).

  rtn-report RESULTS... -o report.html [--markdown summary.md] [--title T] [--peak-gflops G]
  rtn-report compare BASE NEW [--threshold PCT] [--alpha A] [--instructions-threshold PCT] [--latency-threshold PCT]
                              [--markdown OUT.md] [--json OUT.json] [--all]
  rtn-report convert TOOL_OUTPUT... -o RESULTS.json [--label L] [--suite S] [--load-before "a b c"]
                              [--load-after "a b c"] [--frames N] [--revision R] [--no-local]
  rtn-report validate RESULTS...

RESULTS are rtn results files (docs/results-format.md); the report and compare also take a tool's own
output (rtn-tune --results, rtn bench --json, Google Benchmark JSON) and convert it on the fly.
"""
import argparse
import json
import os
import sys

from . import callgrind, compare, context, convert, results

REPOSITORY = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))


def _error(message):
    print(f"rtn-report: error: {message}", file=sys.stderr)
    return compare.EXIT_ERROR


def run_convert(arguments):
    parser = argparse.ArgumentParser(prog="rtn-report convert",
                                     description="Convert tool outputs into one rtn results file.")
    parser.add_argument("inputs", nargs="+", help="rtn-tune --results, rtn bench --json, Google Benchmark JSON, "
                        "rtn info output, callgrind.out files")
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--label", help="names the run, e.g. the CI job")
    parser.add_argument("--suite", help="the suite that was run")
    parser.add_argument("--load-before", help="the load average before the run: '0.5 0.6 0.7' (/proc/loadavg); "
                        "default: the first tool's record, else Google Benchmark's")
    parser.add_argument("--load-after", help="the load average after the run; default: the last tool's record, "
                        "else now's (unless --no-local)")
    parser.add_argument("--frames", type=int, help="frames processed by the commands profiled with callgrind")
    parser.add_argument("--revision", help="the source revision (default: git of the source tree)")
    parser.add_argument("--host", help="the host name to record (default: this one's)")
    parser.add_argument("--source-dir", default=REPOSITORY, help="the checkout whose git revision to record")
    parser.add_argument("--no-local", action="store_true",
                        help="record nothing about this machine (converting files measured elsewhere)")
    options = parser.parse_args(arguments)
    try:
        load_before = context.parse_load_average(options.load_before)
        load_after = context.parse_load_average(options.load_after)
        document = convert.convert(options.inputs, frames=options.frames, local=not options.no_local,
                                   source_dir=options.source_dir, label=options.label, suite=options.suite,
                                   load_before=load_before, load_after=load_after, revision=options.revision,
                                   host=options.host)
        results.save(document, options.output)
    except (convert.ConvertError, results.ResultsError, callgrind.CallgrindError, ValueError) as error:
        return _error(error)
    print(f"rtn-report: {len(document['measurements'])} measurements from {len(options.inputs)} file(s) "
          f"written to {options.output}", file=sys.stderr)
    return 0


def run_validate(arguments):
    status = 0
    for path in arguments:
        try:
            document = results.load(path)
            print(f"{path}: valid rtn results version {document['version']}, "
                  f"{len(document['measurements'])} measurements")
        except results.ResultsError as error:
            print(f"rtn-report: {error}", file=sys.stderr)
            status = compare.EXIT_ERROR
    return status


def _is_callgrind(path):
    try:
        with open(path, errors="replace") as file:
            return callgrind.looks_like(file.read(4096))
    except OSError:
        return False


def _compare_callgrind(options):
    base, new = callgrind.parse(options.base), callgrind.parse(options.new)
    change, regressed, rows = callgrind.compare(base, new, options.instructions_threshold)
    lines = [f"{'FAIL' if regressed else 'PASS'}: instructions (Ir) {base.totals.get('Ir'):,} -> "
             f"{new.totals.get('Ir'):,} ({change * 100:+.2f}%, threshold {options.instructions_threshold:g}%)",
             f"base: {base.command}", f"new:  {new.command}"]
    if rows:
        lines.append("functions whose own instruction count changed most:")
        for name, old_count, new_count, difference in rows:
            lines.append(f"  {difference:+,d}  {old_count:,} -> {new_count:,}  {name}")
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if options.markdown:
        with open(options.markdown, "w") as file:
            file.write("## rtn instruction-count compare\n\n```\n" + text + "```\n")
    return compare.EXIT_REGRESSION if regressed else compare.EXIT_OK


def run_compare(arguments):
    parser = argparse.ArgumentParser(
        prog="rtn-report compare",
        description="Compare two results: a one-sided Mann-Whitney U test per measurement and a minimum "
                    "effect size. Exit 0: no significant regression; 1: regression(s); 2: error.")
    parser.add_argument("base")
    parser.add_argument("new")
    parser.add_argument("--threshold", type=float, default=compare.DEFAULT_THRESHOLD_PERCENT, metavar="PCT",
                        help="the smallest slowdown that fails, in percent (default %(default)g)")
    parser.add_argument("--alpha", type=float, default=compare.DEFAULT_ALPHA,
                        help="significance level of the rank test (default %(default)g)")
    parser.add_argument("--instructions-threshold", type=float,
                        default=compare.DEFAULT_INSTRUCTIONS_THRESHOLD_PERCENT, metavar="PCT",
                        help="instruction counts: the smallest increase that fails (default %(default)g)")
    parser.add_argument("--latency-threshold", type=float, default=None, metavar="PCT",
                        help="tail latency (each round's p99 of one call, rtn bench results of version 2): the "
                             "smallest increase that fails; without it the tail is reported, never fails")
    parser.add_argument("--min-superiority", type=float, default=compare.DEFAULT_MIN_SUPERIORITY, metavar="A",
                        help="a regression also needs P(new repetition > base repetition) >= A "
                             "(default %(default)g, a large effect)")
    parser.add_argument("--min-repetitions", type=int, default=compare.MIN_REPETITIONS,
                        help="fewer repetitions on either side are reported, never tested (default %(default)d)")
    parser.add_argument("--markdown", metavar="PATH", help="also write the verdict as Markdown")
    parser.add_argument("--json", metavar="PATH", help="also write every verdict as JSON")
    parser.add_argument("--all", action="store_true", help="list unchanged measurements too")
    options = parser.parse_args(arguments)
    if not (0 < options.alpha < 1) or options.threshold < 0 or (options.latency_threshold or 0) < 0:
        return _error("--alpha must be in (0, 1), --threshold and --latency-threshold >= 0")
    try:
        if _is_callgrind(options.base) and _is_callgrind(options.new):
            return _compare_callgrind(options)
        base = convert.load_or_convert(options.base)
        new = convert.load_or_convert(options.new)
    except (convert.ConvertError, results.ResultsError, callgrind.CallgrindError) as error:
        return _error(error)
    verdicts = compare.compare_documents(base, new, options.threshold, options.alpha,
                                         options.instructions_threshold, options.min_repetitions,
                                         options.min_superiority, options.latency_threshold)
    notes = compare.context_notes(base, new)
    settings = (f"base {options.base} ({results.revision_label(base)}, {base['run']['date']}) vs "
                f"new {options.new} ({results.revision_label(new)}, {new['run']['date']}); one-sided Mann-Whitney U "
                f"at alpha {options.alpha:g}, fails beyond +{options.threshold:g}% (Hodges-Lehmann ratio) with "
                f"P(new>base) >= {options.min_superiority:g}; "
                f"instruction counts beyond +{options.instructions_threshold:g}%; "
                + (f"p99 latency beyond +{options.latency_threshold:g}%" if options.latency_threshold is not None
                   else "p99 latency reported, not gated"))
    sys.stdout.write(compare.render_text(verdicts, notes, settings, markdown=False, show_unchanged=options.all))
    if options.markdown:
        with open(options.markdown, "w") as file:
            file.write(compare.render_text(verdicts, notes, settings, markdown=True, show_unchanged=options.all))
    if options.json:
        with open(options.json, "w") as file:
            json.dump({"base": options.base, "new": options.new, "threshold_percent": options.threshold,
                       "alpha": options.alpha, "notes": notes, "verdicts": compare.verdicts_json(verdicts)},
                      file, indent=1)
    return compare.EXIT_REGRESSION if any(v.fails for v in verdicts) else compare.EXIT_OK


def run_report(arguments):
    parser = argparse.ArgumentParser(
        prog="rtn-report",
        description="A self-contained HTML dashboard (and a Markdown summary) from results files. "
                    "Other commands: rtn-report compare|convert|validate --help.")
    parser.add_argument("results", nargs="+", help="rtn results files (or tool outputs, converted on the fly)")
    parser.add_argument("-o", "--output", help="the HTML dashboard to write")
    parser.add_argument("--markdown", metavar="PATH", help="a Markdown summary for CI logs ('-': stdout)")
    parser.add_argument("--compare", metavar="VERDICTS.json", help="a `compare --json` output to show")
    parser.add_argument("--title", default="rtn performance")
    parser.add_argument("--peak-gflops", type=float, help="one core's peak GFLOP/s (default: estimated)")
    options = parser.parse_args(arguments)
    if not options.output and not options.markdown:
        return _error("give -o report.html and/or --markdown PATH")
    try:
        documents = [convert.load_or_convert(path) for path in options.results]
    except (convert.ConvertError, results.ResultsError) as error:
        return _error(error)
    verdicts = None
    if options.compare:
        with open(options.compare) as file:
            verdicts = json.load(file)
    from . import dashboard, summary  # matplotlib loads only when a report is made

    if options.output:
        html = dashboard.render(documents, title=options.title, peak_override=options.peak_gflops, verdicts=verdicts)
        with open(options.output, "w") as file:
            file.write(html)
        print(f"rtn-report: dashboard of {len(documents)} results file(s) written to {options.output}",
              file=sys.stderr)
    if options.markdown:
        text = summary.render(documents, verdicts=verdicts)
        if options.markdown == "-":
            sys.stdout.write(text)
        else:
            with open(options.markdown, "w") as file:
                file.write(text)
    return 0


def main(argv=None):
    arguments = list(sys.argv[1:] if argv is None else argv)
    commands = {"compare": run_compare, "convert": run_convert, "validate": run_validate}
    if arguments and arguments[0] in commands:
        return commands[arguments[0]](arguments[1:])
    return run_report(arguments)
