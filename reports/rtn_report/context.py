"""The context that rtn's tools do not record themselves: host name, date, load average, the source
revision, libtorch's Debian package and the BLAS it resolves to, and a /proc/cpuinfo fallback for the
machine. Everything here reads the machine it runs on: call it on the machine that measured.
"""
import datetime
import os
import re
import socket
import subprocess


def now_utc():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def host_name():
    return socket.gethostname()


def load_average(path="/proc/loadavg"):
    """[1 min, 5 min, 15 min] or None."""
    try:
        with open(path) as file:
            return [float(value) for value in file.read().split()[:3]]
    except (OSError, ValueError):
        return None


def parse_load_average(text):
    """'0.52 0.61 0.70 ...' (as /proc/loadavg holds) -> [0.52, 0.61, 0.7]; None for '' or None."""
    if not text:
        return None
    values = re.split(r"[\s,]+", text.strip())[:3]
    if len(values) != 3:
        raise ValueError(f"a load average is three numbers, got '{text}'")
    return [float(value) for value in values]


def _run(command, cwd=None):
    try:
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def git_revision(directory):
    """(commit, ISO commit date) of the checkout holding `directory`; the commit gets -dirty when tracked
    files have changes. (None, None) outside a checkout."""
    commit = _run(["git", "rev-parse", "HEAD"], cwd=directory)
    if not commit:
        return None, None
    date = _run(["git", "log", "-1", "--format=%cI", "HEAD"], cwd=directory)
    if _run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=directory):
        commit += "-dirty"
    return commit, date


def _package_of(path):
    """'libblas3 3.11.0-2' for a file that a Debian package installed, else None."""
    owner = _run(["dpkg-query", "-S", path])
    if not owner:
        return None
    package = owner.split(":")[0].strip()
    version = _run(["dpkg-query", "-W", "-f=${Version}", package])
    return f"{package} {version}" if version else package


def blas():
    """Which BLAS libblas.so.3 resolves to (Debian's alternatives), with the package that provides it."""
    for directory in ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib"):
        link = os.path.join(directory, "libblas.so.3")
        if os.path.exists(link):
            target = os.path.realpath(link)
            package = _package_of(target)
            return f"{target}" + (f" ({package})" if package else "")
    return None


def libtorch():
    """The Debian libtorch package and version, if installed."""
    listing = _run(["dpkg-query", "-W", "-f=${Package} ${Version} ${Status}\\n", "libtorch*"])
    if not listing:
        return None
    for line in listing.splitlines():
        if line.endswith("install ok installed") and re.match(r"libtorch\d", line):
            return " ".join(line.split()[:2])
    return None


def cpuinfo_machine(path="/proc/cpuinfo"):
    """The machine section from /proc/cpuinfo (a fallback when no tool wrote one), or None."""
    try:
        with open(path) as file:
            text = file.read()
    except OSError:
        return None
    fields, processors = {}, 0
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if key == "processor":
            processors += 1
        if processors <= 1 and key and key not in fields:
            fields[key] = value
    vendors = {"AuthenticAMD": "AMD", "GenuineIntel": "Intel", "HygonGenuine": "Hygon"}
    flags = set(fields.get("flags", fields.get("Features", "")).split())
    isa_names = [("sse2", "sse2"), ("pni", "sse3"), ("ssse3", "ssse3"), ("sse4_1", "sse4.1"), ("sse4_2", "sse4.2"),
                 ("avx", "avx"), ("fma", "fma3"), ("f16c", "f16c"), ("avx2", "avx2"), ("avx512f", "avx512f"),
                 ("avx512cd", "avx512cd"), ("avx512dq", "avx512dq"), ("avx512bw", "avx512bw"),
                 ("avx512vl", "avx512vl"), ("avx512_vnni", "avx512vnni"), ("avx512_bf16", "avx512bf16"),
                 ("asimd", "neon")]
    machine = {
        "vendor": vendors.get(fields.get("vendor_id", ""), fields.get("vendor_id", "unknown")),
        "model_name": fields.get("model name", ""),
        "microarchitecture": f"family {fields.get('cpu family', '?')} model {fields.get('model', '?')}",
        "isa": [name for flag, name in isa_names if flag in flags],
        "logical_processors": processors,
        "source": "/proc/cpuinfo",
    }
    if "cpu MHz" in fields:
        try:
            machine["frequency_mhz"] = float(fields["cpu MHz"])
        except ValueError:
            pass
    return machine


def cpu_frequency_mhz():
    machine = cpuinfo_machine()
    return machine.get("frequency_mhz") if machine else None
