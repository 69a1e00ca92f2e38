"""The Markdown summary for CI logs and pull-request comments: per machine, the models (tuned real-time
factor, tail latency, tuned vs the best single backend), how often each backend won a layer shape, the
history across commits, and the verdict of a compare."""
import math

from . import results, views


def _md_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(str(cell).replace("|", "\\|") for cell in row) + " |" for row in rows]
    return lines


def render(documents, verdicts=None):
    lines = ["# rtn performance summary", ""]
    if verdicts:
        failures = [v for v in verdicts["verdicts"] if v["status"] == "regression"]
        improvements = [v for v in verdicts["verdicts"] if v["status"] == "improvement"]
        lines.append(f"**{'FAIL' if failures else 'PASS'}** against the baseline: {len(failures)} significant "
                     f"regression(s) beyond {verdicts['threshold_percent']:g}%, {len(improvements)} improvement(s), "
                     f"{len(verdicts['verdicts'])} measurements.")
        for v in failures + improvements:
            change = "-" if v["change"] is None else f"{v['change'] * 100:+.1f}%"
            lines.append(f"- {v['status']}: `{v['id']}` ({v['tool']}) {change}, p = {v['p_slower']:.2g}"
                         if v["p_slower"] is not None else f"- {v['status']}: `{v['id']}` ({v['tool']}) {change}")
        lines.append("")
    for machine, runs in views.by_machine(documents).items():
        latest = runs[-1]
        build = latest["build"]
        lines += [f"## {machine}", "",
                  f"{results.revision_label(latest)} · {build.get('compiler', '?')} {build.get('flags', '')} · "
                  f"run {latest['run']['date']} on {latest['run']['host']}"
                  + (f" · load {latest['run']['load_average_before'][0]:.2f} before" if latest["run"].get("load_average_before") else "")
                  + (f", {latest['run']['load_average_after'][0]:.2f} after" if latest["run"].get("load_average_after") else ""),
                  ""]
        rows = views.model_rows(latest)
        if rows:
            table = []
            for row in rows:
                tuned = row["medians"].get("tuned")
                best = row["best_single"]
                reference = row["medians"].get(row["reference"]) if row["reference"] else None
                p99 = row["latency"].get(row["reference"], {}).get("p99") if row["reference"] else None
                table.append([row["model"], row["block"], row["tool"], row["reference"] or "-",
                              f"{reference:.4g}" if reference else "-", f"{row['realtime']:.0f}×",
                              f"{(tuned / best[1] - 1) * 100:+.1f}% ({best[0]})" if tuned and best else "-",
                              f"{row['medians']['libtorch'] / reference:.1f}×" if reference and "libtorch" in row["medians"] else "-",
                              f"{p99 / 1000:.2f}" if p99 else "-"])
            lines += _md_table(["model", "block", "tool", "config", "ns/sample", "real time", "tuned vs best single",
                                "libtorch slower by", "p99 µs"], table) + [""]
        implementations, counts = views.instruction_rows(latest)
        if counts:
            table = [[model, block, *[f"{c[i]:,.0f}" if i in c else "-" for i in implementations]]
                     for model, block, c in counts]
            lines += ["Instructions per sample (callgrind, deterministic):", ""]
            lines += _md_table(["model", "block", *implementations], table) + [""]
        for tool in views.tools_with(latest, "layer"):
            layer_rows = views.layer_rows(latest, tool)
            wins = {}
            for row in layer_rows:
                if row["chosen"]:
                    wins[row["chosen"]] = wins.get(row["chosen"], 0) + 1
            torch_ratios = [row["medians"]["libtorch"] / row["medians"][row["chosen"]] for row in layer_rows
                            if "libtorch" in row["medians"] and row["chosen"] in row["medians"]]
            text = (f"Layers ({tool}): {len(layer_rows)} shape/block pairs; chosen: "
                    + ", ".join(f"{name} {count}" for name, count in sorted(wins.items(), key=lambda item: -item[1])))
            if torch_ratios:
                mean = math.exp(sum(math.log(r) for r in torch_ratios) / len(torch_ratios))
                text += f"; the choice is {mean:.1f}× faster than libtorch (geometric mean)"
            lines += [text + ".", ""]
        if len(runs) > 1:
            series = views.history_series(runs)
            header = ["series"] + [results.revision_label(d) for d in runs]
            table = []
            for name, points in series.items():
                values = {p[0]: p[1] for p in points}
                table.append([name] + [f"{values[i]:.4g}" if i in values else "-" for i in range(len(runs))])
            lines += [f"History (median ns per sample, oldest first):", ""] + _md_table(header, table) + [""]
    return "\n".join(lines) + "\n"
