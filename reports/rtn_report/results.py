"""rtn results files (docs/results-format.md): loading, validation against docs/rtn-results.schema.json,
and the few derived quantities every view needs (medians, the machine's key, real-time factors)."""
import json
import os
import statistics

FORMAT = "rtn-results"
VERSION = 2  # written; version 1 files (no per-round latencies) are still read
READABLE_VERSIONS = (1, 2)

SCHEMA_PATH = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "docs", "rtn-results.schema.json"))


class ResultsError(Exception):
    """A results file that cannot be used, with the file and the place in it."""


def schema():
    with open(SCHEMA_PATH) as file:
        return json.load(file)


def validate(document, name="results"):
    """Raises ResultsError naming the first place that breaks the schema. Needs python3-jsonschema."""
    import jsonschema  # Debian python3-jsonschema

    validator = jsonschema.Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(document), key=lambda error: list(error.absolute_path))
    if errors:
        error = errors[0]
        place = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path)
        raise ResultsError(f"{name}: {place.lstrip('.') or '(top level)'}: {error.message}")


def load(path):
    """A validated results document. Raises ResultsError."""
    try:
        with open(path) as file:
            document = json.load(file)
    except OSError as error:
        raise ResultsError(f"cannot read {path}: {error.strerror}") from error
    except json.JSONDecodeError as error:
        raise ResultsError(f"{path}: not JSON: {error}") from error
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ResultsError(f"{path}: not an rtn results file (\"format\": \"{FORMAT}\"); "
                           f"convert tool output with `rtn-report convert`")
    if document.get("version") not in READABLE_VERSIONS:
        raise ResultsError(f"{path}: results version {document.get('version')!r}, this rtn-report reads "
                           f"{' and '.join(str(v) for v in READABLE_VERSIONS)}")
    validate(document, path)
    document["_path"] = path
    return document


def save(document, path):
    validate(document, path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    temporary = path + ".tmp"
    with open(temporary, "w") as file:
        json.dump({k: v for k, v in document.items() if not k.startswith("_")}, file, indent=1)
        file.write("\n")
    os.replace(temporary, path)


def key(measurement):
    """What compare matches on: the same tool, metric and id (kind/subject/implementation/block)."""
    return (measurement["tool"], measurement["metric"], measurement["id"])


def median(measurement):
    return statistics.median(measurement["samples"])


def machine_key(document):
    """Names one machine across files: CPU model, micro-architecture and core count, and the ISA level a run
    was limited to (RTN_MAX_ISA), which makes it another machine as far as the kernels go."""
    machine = document["machine"]
    name = machine.get("model_name") or machine.get("vendor", "unknown")
    limited = f", limited to {machine['isa_limited_to']}" if machine.get("isa_limited_to") else ""
    return f"{name} ({machine.get('microarchitecture', '?')}, {machine.get('logical_processors', '?')} CPUs{limited})"


def revision_label(document):
    build = document["build"]
    revision = build.get("revision")
    return revision[:10] + ("-dirty" if revision.endswith("-dirty") else "") if revision else build.get("rtn_version", "?")


def realtime_factor(ns_per_sample, sample_rate=48000.0):
    return 1e9 / (ns_per_sample * sample_rate) if ns_per_sample > 0 else float("inf")


# Peak single-precision FLOPs per cycle of one core: SIMD lanes x 2 (FMA) x 2 FMA pipes. An estimate
# stated in the report (Zen 4 issues 2 x 256-bit FMAs per cycle even for AVX-512; most cores since
# Haswell have two FMA pipes); --peak-gflops overrides it.
def peak_flops_per_cycle(isa, microarchitecture=""):
    isa = set(isa)
    if "avx512f" in isa and not microarchitecture.startswith("zen4"):
        lanes = 16
    elif "avx2" in isa or "avx" in isa:
        lanes = 8
    else:
        lanes = 4  # SSE, NEON
    fma = 2 if ("fma3" in isa or "neon" in isa or "avx512f" in isa) else 1
    return lanes * fma * 2


def peak_gflops(document, override=None):
    """(peak GFLOP/s of one core, how it was obtained) or (None, why not)."""
    if override:
        return override, "given with --peak-gflops"
    machine = document["machine"]
    mhz = machine.get("frequency_mhz")
    if not mhz:
        return None, "the CPU frequency is not recorded"
    per_cycle = peak_flops_per_cycle(machine.get("isa", []), machine.get("microarchitecture", ""))
    return mhz / 1000 * per_cycle, f"{mhz:.0f} MHz × {per_cycle} FLOP/cycle (SIMD lanes × 2 for FMA × 2 pipes; an estimate)"
