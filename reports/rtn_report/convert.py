"""`rtn-report convert`: one rtn results file (docs/results-format.md) from what the tools write:

  rtn-tune --results R,           rtn results files themselves (rtn-tune and rtn bench write them natively):
  rtn bench MODEL --results R     merged, their machine, build, run, measurements and models kept
  rtn-tune --results R (before)   {"format": "rtn-tune-results", "context": ..., "benchmarks": [...]}
  rtn bench MODEL --json          {"model": ..., "configurations": {...}} (stdout, or --json-file)
  rtn-kernel-benchmark --benchmark_format=json (or --benchmark_out=F --benchmark_out_format=json)
  rtn info MODEL --profile P      its text output: the dispatch decisions with their reasons
  valgrind --tool=callgrind ...   callgrind.out files of `rtn process`: instruction counts (docs/report.md)

rtn-tune and rtn bench record the machine, the build and the run (date, host, load average before and after);
rtn-kernel-benchmark the machine and build (rtn_machine, rtn_build) beside Google Benchmark's date, host and
load average at the start. What no tool records (the source revision, libtorch's package and its BLAS) and
what a tool left out is read from the machine the conversion runs on, unless --no-local.
"""
import json
import os
import re
import statistics

from . import callgrind, context, specs
from .results import FORMAT, VERSION

_NAME = re.compile(r"^(kernel|model)/(.+)/([A-Za-z0-9_.-]+)/block:(\d+)$")


class ConvertError(Exception):
    pass


def detect(path):
    """The format of a tool's output file: rtn-results, rtn-tune-results, rtn-bench, google-benchmark, rtn-info,
    callgrind."""
    try:
        with open(path, errors="replace") as file:
            head = file.read(4096)
    except OSError as error:
        raise ConvertError(f"cannot read {path}: {error.strerror}") from error
    if callgrind.looks_like(head):
        return "callgrind"
    if head.lstrip().startswith("model:"):
        return "rtn-info"
    try:
        with open(path) as file:
            document = json.load(file)
    except json.JSONDecodeError as error:
        raise ConvertError(f"{path}: neither JSON nor a callgrind or `rtn info` output ({error})") from error
    if isinstance(document, dict):
        if document.get("format") == "rtn-tune-results":
            return "rtn-tune-results"
        if document.get("format") == FORMAT:
            return FORMAT
        if "configurations" in document and "model" in document:
            return "rtn-bench"
        if "benchmarks" in document and "context" in document:
            return "google-benchmark"
    raise ConvertError(f"{path}: not an rtn results file, nor output of rtn-tune --results, rtn bench --json "
                       "or rtn-kernel-benchmark")


def _missing(value):
    return not value or value == "unknown"


def _gbench_caches(context_json):
    """Google Benchmark's context caches (rtn-tune writes them too) as the results format's caches."""
    caches = {}
    for cache in context_json.get("caches", []):
        name = {1: "l1d_bytes", 2: "l2_bytes", 3: "l3_bytes"}.get(cache.get("level"))
        if name and (cache.get("level") != 1 or cache.get("type") in ("Data", "Unified")):
            caches[name] = int(cache["size"])
    return caches


def _machine_from_section(machine, default_source, logical_processors=0, caches=None):
    """The machine section as the profile writes it (machine_to_json: rtn-tune, rtn bench, the kernel
    benchmark's rtn_machine) in the results format's names."""
    result = {
        "vendor": machine.get("vendor", "unknown"),
        "model_name": machine.get("model_name", ""),
        "microarchitecture": machine.get("microarchitecture", "unknown"),
        "isa": list(machine.get("isa", [])),
        "logical_processors": int(machine.get("logical_processors") or logical_processors or 0),
        "source": machine.get("source", default_source),
    }
    if machine.get("isa_limited_to"):
        result["isa_limited_to"] = machine["isa_limited_to"]
    own = {name: int(machine[key]) for name, key in (("l1d_bytes", "l1d_cache_bytes"), ("l2_bytes", "l2_cache_bytes"),
                                                       ("l3_bytes", "l3_cache_bytes")) if machine.get(key)}
    if own or caches:
        result["caches"] = own or caches
    return result


def _machine_from_tune(context_json):
    return _machine_from_section(context_json.get("machine", {}), "rtn-tune", context_json.get("num_cpus", 0),
                                 _gbench_caches(context_json))


def _build_from_section(build):
    """The build section as the profile writes it (build_to_json): its names are the results format's."""
    result = dict(build)
    result.setdefault("rtn_version", "unknown")
    return result


def _machine_from_description(text):
    """rtn bench writes MachineIdentity::describe(): 'AMD EPYC 9R14 96-Core Processor (zen4)'."""
    match = re.match(r"^(.*) \(([^()]*)\)$", text or "")
    name, uarch = (match.groups() if match else (text or "", "unknown"))
    vendor = "AMD" if "AMD" in name else "Intel" if "Intel" in name else "unknown"
    return {"vendor": vendor, "model_name": name, "microarchitecture": uarch, "isa": [], "logical_processors": 0,
            "source": "rtn bench description"}


def _build_from_description(text):
    """BuildIdentity::describe() (rtn info's "build:" line, rtn bench --json before it wrote the section):
    'rtn 0.1.0, GCC 12.2.0 -O3 -march=x86-64-v3, kernels 1a2b, ISA levels avx2, implementations stl xsimd'
    (older: '..., backends stl eigen xsimd')."""
    build = {"rtn_version": "unknown", "description": text or ""}
    parts = (text or "").split(", ")
    version = re.match(r"^rtn (\S+)$", parts[0])
    if not version:
        return build
    build["rtn_version"] = version.group(1)
    if len(parts) > 1:
        compiler, _, flags = parts[1].partition(" -")
        build["compiler"] = compiler
        if flags:
            build["flags"] = "-" + flags
    for part in parts[2:]:
        for prefix, key in (("kernels ", "kernel_sources"), ("ISA levels ", "isa_levels"),
                            ("implementations ", "backends"), ("backends ", "backends")):
            if part.startswith(prefix):
                value = part[len(prefix):]
                build[key] = value if key == "kernel_sources" else value.split()
    return build


def _measurement(kind, subject, implementation, block, tool, samples, metric="ns_per_sample"):
    measurement = {
        "id": f"{kind}/{subject}/{implementation}/block:{block}",
        "kind": kind,
        "subject": subject,
        "implementation": implementation,
        "block": int(block),
        "tool": tool,
        "metric": metric,
        "samples": samples,
    }
    if kind == "layer":
        layer_kind = specs.kind_of(subject)
        if layer_kind:
            measurement["layer_kind"] = layer_kind
        measurement["flops_per_sample"] = specs.flops_per_sample(subject)
    return measurement


class Converter:
    def __init__(self, local=True, source_dir=None):
        self.local = local
        self.source_dir = source_dir
        self.machine = None
        self.machine_rank = -1  # how structured the machine section is: tools' sections 3 > gbench 2 > text 0
        self.build = None
        self.build_rank = -1  # tools' build sections 1 > descriptions 0
        self.dates = []
        self.host = None
        self.runs = []  # each tool's run section: date, host, load average before and after
        self.sources = []
        self.commands = []
        self.measurements = []
        self.models = {}  # (name, block) -> model entry
        self.libtorch = None
        self.frequency_mhz = None
        self.gbench_load = None

    def _set_machine(self, machine, rank):
        """Merges machine descriptions: the more structured source wins field by field, the other fills
        what it lacks (core count, caches)."""
        if self.machine is None:
            self.machine, self.machine_rank = machine, rank
            return
        better, other = (machine, self.machine) if rank > self.machine_rank else (self.machine, machine)
        for name, value in other.items():
            if not _missing(value) and _missing(better.get(name)) and name != "source":
                better[name] = value
        self.machine, self.machine_rank = better, max(rank, self.machine_rank)

    def _set_build(self, build, rank):
        """The more structured build description wins; the other fills what it lacks."""
        if self.build is None:
            self.build, self.build_rank = build, rank
            return
        better, other = (build, self.build) if rank > self.build_rank else (self.build, build)
        self.build = {**other, **{k: v for k, v in better.items() if not _missing(v)}}
        self.build_rank = max(rank, self.build_rank)

    def _add_run(self, run):
        """A tool's own run section (rtn-tune, rtn bench): date, host, load average before and after."""
        if not isinstance(run, dict):
            return
        self.runs.append(run)
        if run.get("date"):
            self.dates.append(run["date"])
        if run.get("host") and not _missing(run["host"]):
            self.host = self.host or run["host"]

    def add(self, path, frames=None):
        kind = detect(path)
        self.sources.append({"file": os.path.basename(path), "format": kind})
        if kind == FORMAT:
            self._add_results(path)
        elif kind == "rtn-tune-results":
            self._add_tune(path)
        elif kind == "rtn-bench":
            self._add_bench(path)
        elif kind == "google-benchmark":
            self._add_gbench(path)
        elif kind == "rtn-info":
            self._add_info(path)
        elif kind == "callgrind":
            self._add_callgrind(path, frames)

    def _add_results(self, path):
        """A results file a tool wrote itself (rtn-tune, rtn bench): its sections are already the format's."""
        from . import results

        document = results.load(path)
        self._set_machine(dict(document["machine"]), 4)
        build = dict(document["build"])
        if build.get("libtorch"):
            self.libtorch = self.libtorch or build.pop("libtorch")
        self._set_build(build, 2)
        run = document["run"]
        self._add_run(run)
        self.commands.extend(run.get("commands", []))
        self.measurements.extend(document["measurements"])
        for model in document.get("models", []):
            self.models.setdefault((model["name"], model["block"]), {}).update(model)

    def _add_tune(self, path):
        with open(path) as file:
            document = json.load(file)
        if document.get("version") != 1:
            raise ConvertError(f"{path}: rtn-tune results version {document.get('version')!r}; this converter reads 1")
        context_json = document.get("context", {})
        self._set_machine(_machine_from_tune(context_json), 3)
        self._set_build(_build_from_section(context_json.get("build", {})), 1)
        tuner = context_json.get("tuner", {})
        if tuner.get("libtorch"):
            self.libtorch = tuner["libtorch"]
        if tuner.get("command"):
            self.commands.append(tuner["command"])
        if "run" in context_json:
            self._add_run(context_json["run"])
        elif context_json.get("date"):  # written before rtn-tune recorded its run
            self.dates.append(context_json["date"])
        runs = {}
        for run in document.get("benchmarks", []):
            if run.get("run_type", "iteration") != "iteration":
                continue
            runs.setdefault(run["name"], []).append(run)
        for name, repetitions in runs.items():
            repetitions.sort(key=lambda run: run.get("repetition_index", 0))
            first = repetitions[0]
            if first.get("time_unit", "ns") != "ns":
                raise ConvertError(f"{path}: {name}: time_unit {first.get('time_unit')!r}, expected ns")
            measurement = _measurement("layer", first["layer"], first["backend"], first["block"], "rtn-tune",
                                       [float(run["real_time"]) for run in repetitions])
            measurement["chosen"] = bool(first.get("chosen", False))
            if "calls_per_repetition" in first:
                measurement["calls_per_repetition"] = int(first["calls_per_repetition"])
            if "max_rel_error" in first:
                measurement["error"] = {"checked_against": first.get("checked_against", "?"),
                                        "max_abs": float(first.get("max_abs_error", 0)),
                                        "max_rel": float(first["max_rel_error"]),
                                        "within_tolerance": bool(first.get("within_tolerance", True))}
            self.measurements.append(measurement)

    def _add_bench(self, path):
        with open(path) as file:
            document = json.load(file)
        if isinstance(document.get("machine"), dict):
            self._set_machine(_machine_from_section(document["machine"], "rtn bench"), 3)
            self._set_build(_build_from_section(document.get("build", {})), 1)
        else:  # written before rtn bench recorded the sections: their descriptions
            self._set_machine(_machine_from_description(document.get("machine")), 0)
            self._set_build(_build_from_description(document.get("build")), 0)
        self._add_run(document.get("run"))
        self.commands.append(f"rtn bench {document.get('file', '')} --block {document['block']} --json")
        name, block = document["model"], int(document["block"])
        rate = float(document.get("sample_rate", 48000))
        model = self.models.setdefault((name, block), {"name": name, "block": block})
        model["file"] = document.get("file", "")
        model["sample_rate"] = rate
        if "profile" in document:
            model["profile"] = {k: v for k, v in document["profile"].items() if k in ("path", "in_use", "ignored")}
        for implementation, configuration in document["configurations"].items():
            measurement = _measurement("model", name, implementation, block, "rtn-bench",
                                       [float(v) for v in configuration["ns_per_sample_rounds"]])
            measurement["sample_rate"] = rate
            latency = configuration.get("latency_ns")
            if latency:
                measurement["latency_ns"] = {k: float(latency[k]) for k in ("p50", "p99", "p99.9", "max") if k in latency}
            if "blocks_timed" in configuration:
                measurement["blocks_timed"] = int(configuration["blocks_timed"])
            if "layers" in configuration:
                measurement["layers"] = list(configuration["layers"])
            if "max_abs_error_vs_libtorch" in configuration:
                error = configuration["max_abs_error_vs_libtorch"]
                measurement["error"] = {"checked_against": "libtorch",
                                        "max_abs": float(error) if error is not None else 1e30}
            if implementation == "tuned" and "dispatch" in configuration and "dispatch" not in model:
                model["dispatch"] = [{"index": i, "layer": layer["layer"], "backend": layer["backend"],
                                      "reason": layer.get("reason")}
                                     for i, layer in enumerate(configuration["dispatch"])]
            elif implementation == "tuned" and "layers" in configuration and "dispatch" not in model:
                model["dispatch"] = [{"index": i, "layer": "?", "backend": backend, "reason": None}
                                     for i, backend in enumerate(configuration["layers"])]
            self.measurements.append(measurement)

    def _add_gbench(self, path):
        with open(path) as file:
            document = json.load(file)
        context_json = document.get("context", {})
        machine = {"vendor": "unknown", "model_name": "", "microarchitecture": "unknown", "isa": [],
                   "logical_processors": int(context_json.get("num_cpus", 0)), "source": "Google Benchmark context"}
        caches = _machine_from_tune(context_json).get("caches")
        if caches:
            machine["caches"] = caches
        if context_json.get("mhz_per_cpu"):
            self.frequency_mhz = float(context_json["mhz_per_cpu"])
        self._set_machine(machine, 2)
        try:  # rtn-kernel-benchmark adds rtn's own descriptions (JSON strings) to the context
            if context_json.get("rtn_machine"):
                self._set_machine(_machine_from_section(json.loads(context_json["rtn_machine"]),
                                                        "rtn-kernel-benchmark", caches=caches), 3)
            if context_json.get("rtn_build"):
                self._set_build(_build_from_section(json.loads(context_json["rtn_build"])), 1)
        except (json.JSONDecodeError, AttributeError) as error:
            raise ConvertError(f"{path}: unreadable rtn_machine or rtn_build in the context ({error})") from error
        if context_json.get("date"):
            self.dates.append(context_json["date"])
        if context_json.get("host_name"):
            self.host = context_json["host_name"]
        if context_json.get("load_avg"):
            self.gbench_load = [float(v) for v in context_json["load_avg"][:3]]
        self.commands.append(context_json.get("executable", "rtn-kernel-benchmark") + " --benchmark_format=json")
        runs = {}
        for run in document.get("benchmarks", []):
            if run.get("run_type", "iteration") != "iteration" or run.get("error_occurred"):
                continue
            runs.setdefault(run.get("run_name", run["name"]), []).append(run)
        units = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
        for name, repetitions in runs.items():
            match = _NAME.match(name)
            if not match:
                continue
            kind, subject, implementation, block = match.groups()
            block = int(block)
            samples = []
            for run in sorted(repetitions, key=lambda run: run.get("repetition_index", 0)):
                # real_time (wall clock, as rtn-tune and rtn bench measure) is per iteration: one call of
                # `block` frames. (The time_per_frame counter is a rate, which Google Benchmark computes
                # from CPU time.)
                samples.append(float(run["real_time"]) * units[run.get("time_unit", "ns")] / block)
            measurement = _measurement("layer" if kind == "kernel" else "model", subject, implementation, block,
                                       "rtn-kernel-benchmark", samples)
            if kind == "model":
                measurement["sample_rate"] = 48000.0  # the kernel benchmark's models run at 48 kHz
            self.measurements.append(measurement)

    def _add_info(self, path):
        with open(path) as file:
            text = file.read()
        info = parse_info(text, path)
        model = self.models.setdefault((info["name"], info["block"]), {"name": info["name"], "block": info["block"]})
        model["dispatch"] = info["dispatch"]
        model["flops_per_sample"] = info["flops_per_sample"]
        model["parameters"] = info["parameters"]
        model.setdefault("file", info["file"])
        if info.get("build"):
            self._set_build(_build_from_description(info["build"]), 0)
        if info.get("sample_rate"):
            model.setdefault("sample_rate", info["sample_rate"])

    def _add_callgrind(self, path, frames):
        profile = callgrind.parse(path)
        identity = callgrind.identify(profile)
        if not frames:
            frames = identity.get("frames")
        if not frames:
            raise ConvertError(f"{path}: give --frames, the number of frames the profiled command processed")
        total = profile.totals.get("Ir")
        if total is None:
            raise ConvertError(f"{path}: no Ir (instructions) counted")
        measurement = _measurement(identity["kind"], identity["subject"], identity["implementation"],
                                   identity["block"], "callgrind", [total / frames], metric="instructions_per_sample")
        self.measurements.append(measurement)
        self.commands.append(profile.command or "callgrind")

    def result(self, label=None, suite=None, load_before=None, load_after=None, revision=None, host=None, date=None):
        if not self.measurements:
            raise ConvertError("no measurements in the inputs")
        machine = self.machine
        if self.local:
            local_machine = context.cpuinfo_machine()
            if local_machine and machine is None:
                machine = local_machine
            elif local_machine:
                for name, value in local_machine.items():
                    if _missing(machine.get(name)) and name != "source":
                        machine[name] = value
        if machine is None:
            raise ConvertError("no machine description in the inputs (convert on the machine that measured, "
                               "without --no-local, or include rtn-tune's results)")
        if self.frequency_mhz and not machine.get("frequency_mhz"):
            machine["frequency_mhz"] = self.frequency_mhz
        build = dict(self.build or {"rtn_version": "unknown"})
        if self.libtorch:
            build["libtorch"] = self.libtorch
        if revision:
            build["revision"] = revision
        elif self.local and self.source_dir:
            commit, commit_date = context.git_revision(self.source_dir)
            if commit:
                build["revision"], build["revision_date"] = commit, commit_date
        if self.local:
            build.setdefault("blas", context.blas())
            if not build.get("libtorch"):
                build["libtorch"] = context.libtorch()
            elif context.libtorch() and context.libtorch() not in build["libtorch"]:
                build["libtorch"] = f"{context.libtorch()}: {build['libtorch']}"
        # The load around the whole: before the first tool's run, after the last one's, unless given.
        runs = sorted(self.runs, key=lambda run: run.get("date") or "")
        if load_before is None:
            load_before = next((r["load_average_before"] for r in runs if r.get("load_average_before")),
                               self.gbench_load)
        if load_after is None:
            load_after = next((r["load_average_after"] for r in reversed(runs) if r.get("load_average_after")),
                              context.load_average() if self.local else None)
        run = {
            "date": date or (min(self.dates) if self.dates else context.now_utc()),
            "host": host or self.host or (context.host_name() if self.local else "unknown"),
            "load_average_before": load_before,
            "load_average_after": load_after,
            "commands": self.commands,
            "sources": self.sources,
        }
        if label:
            run["label"] = label
        if suite:
            run["suite"] = suite
        document = {"format": FORMAT, "version": VERSION, "run": run, "machine": machine,
                    "build": {k: v for k, v in build.items() if v is not None or k in ("revision", "libtorch", "blas")},
                    "measurements": self.measurements}
        if self.models:
            models = []
            for model in self.models.values():
                if "dispatch" in model:
                    tuned = next((m for m in self.measurements if m["kind"] == "model" and m["subject"] == model["name"]
                                  and m["block"] == model["block"] and m["implementation"] == "tuned"), None)
                    if tuned is not None and model.get("flops_per_sample"):
                        tuned["flops_per_sample"] = model["flops_per_sample"]
                models.append(model)
            document["models"] = models
        return document


def parse_info(text, path="rtn info"):
    """The model name, block, FLOPs and each layer's backend and reason from `rtn info` text output."""
    lines = text.splitlines()
    header = {}
    table_start = None
    for number, line in enumerate(lines):
        match = re.match(r"^([a-z ]+):\s+(.*)$", line)
        if match and table_start is None:
            header[match.group(1).strip()] = match.group(2).strip()
        if re.match(r"^#\s+layer\s+", line):
            table_start = number
            break
    if table_start is None or "model" not in header:
        raise ConvertError(f"{path}: not `rtn info` output (no layer table)")
    head = lines[table_start]
    columns = [m.start() for m in re.finditer(r"(?<!\S)\S", head)]
    names = head.split()

    def cells(line):
        # Right-aligned numbers end at their column's end; text columns start at their column's start.
        parts = re.split(r"\s{2,}", line.strip())
        return parts

    dispatch = []
    total_flops, total_parameters = None, None
    for line in lines[table_start + 1:]:
        if not line.strip():
            break
        parts = cells(line)
        if parts[0] == "total":
            total_parameters = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
            total_flops = float(parts[2]) if len(parts) > 2 else None
            continue
        # index, layer, parameters, flops, backend, reason (reason may hold single spaces)
        index_layer = parts[0].split(None, 1)
        if len(index_layer) == 2:
            parts = index_layer + parts[1:]
        if len(parts) < 5 or not parts[0].isdigit():
            raise ConvertError(f"{path}: cannot read the layer row '{line.strip()}'")
        dispatch.append({"index": int(parts[0]), "layer": parts[1], "parameters": int(parts[2]),
                         "flops_per_sample": float(parts[3]), "backend": parts[4],
                         "reason": parts[5] if len(parts) > 5 else None})
    del columns, names
    block_match = re.match(r"^(\d+)", header.get("block", "1"))
    rate_match = re.match(r"^([\d.]+)", header.get("sample rate", ""))
    return {"name": header["model"], "file": header.get("file", ""),
            "block": int(block_match.group(1)) if block_match else 1,
            "sample_rate": float(rate_match.group(1)) if rate_match else None,
            "dispatch": dispatch, "flops_per_sample": total_flops, "parameters": total_parameters,
            "build": header.get("build")}


def convert(paths, frames=None, local=True, source_dir=None, **run):
    converter = Converter(local=local, source_dir=source_dir)
    for path in paths:
        converter.add(path, frames=frames)
    return converter.result(**run)


def load_or_convert(path, **options):
    """An rtn results document from a results file or from one tool output file (converted without the
    local context)."""
    from . import results

    try:
        with open(path) as file:
            head = json.load(file)
        if isinstance(head, dict) and head.get("format") == FORMAT:
            return results.load(path)
    except (json.JSONDecodeError, UnicodeDecodeError):
        pass
    except OSError as error:
        raise ConvertError(f"cannot read {path}: {error.strerror}") from error
    document = convert([path], local=False, **options)
    document["_path"] = path
    return document
