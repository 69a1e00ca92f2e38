"""Instruction counts from valgrind's callgrind (callgrind.out files, format version 1: see valgrind's
docs/callgrind-format). Counts of executed instructions do not depend on the machine's load, so they give
a deterministic comparison on shared CI machines (docs/report.md: run `rtn process` under callgrind on an
x86-64-v3 build; valgrind cannot execute AVX-512).

What is read: the `cmd:` line, the `events:` list, `summary:`/`totals:`, and the self cost of every
function (cost lines under `fn=`; the line after `calls=` is the callee's inclusive cost and is not
counted as the caller's own)."""
import os
import re
import shlex
import struct


class CallgrindError(Exception):
    pass


class Profile:
    def __init__(self):
        self.command = ""
        self.events = []
        self.totals = {}  # event -> count (summary/totals, else the sum of self costs)
        self.functions = {}  # function name -> {event: self count}


def looks_like(head):
    return head.startswith("# callgrind format") or bool(re.search(r"^creator: callgrind", head, re.M))


def _compressed_name(value, table):
    """'(12) name' defines id 12; '(12)' refers to it; 'name' is uncompressed."""
    match = re.match(r"^\((\d+)\)(?:\s+(.*))?$", value)
    if not match:
        return value
    number, name = match.groups()
    if name is not None:
        table[number] = name
        return name
    return table.get(number, f"({number})")


def parse(path):
    try:
        with open(path, errors="replace") as file:
            lines = file.read().splitlines()
    except OSError as error:
        raise CallgrindError(f"cannot read {path}: {error.strerror}") from error
    profile = Profile()
    positions = 1
    names = {}
    function = None
    after_calls = False
    summed = {}
    declared_totals = None
    for number, line in enumerate(lines, 1):
        if not line or line.startswith("#"):
            continue
        if line.startswith("cmd:"):
            profile.command = line[4:].strip()
        elif line.startswith("positions:"):
            positions = len(line.split(":", 1)[1].split())
        elif line.startswith("events:"):
            profile.events = line.split(":", 1)[1].split()
        elif line.startswith(("summary:", "totals:")):
            values = [int(v) for v in line.split(":", 1)[1].split()]
            declared_totals = dict(zip(profile.events, values))
        elif line.startswith("fn="):
            function = _compressed_name(line[3:].strip(), names)
            profile.functions.setdefault(function, {})
        elif line.startswith("calls="):
            after_calls = True
        elif re.match(r"^[0-9+*-]", line):
            if after_calls:  # the inclusive cost of the call just named: not this function's own
                after_calls = False
                continue
            tokens = line.split()
            try:
                values = [int(v) for v in tokens[positions:]]
            except ValueError as error:
                raise CallgrindError(f"{path}:{number}: bad cost line '{line}'") from error
            if function is None:
                raise CallgrindError(f"{path}:{number}: cost line before any fn=")
            own = profile.functions[function]
            for event, value in zip(profile.events, values):
                own[event] = own.get(event, 0) + value
                summed[event] = summed.get(event, 0) + value
        elif re.match(r"^(cfn|cfi|cfl|cob|ob|fl|fi|fe)=", line):
            key, value = line.split("=", 1)
            if key in ("cfn",):
                _compressed_name(value.strip(), names)  # defines names used later
            elif key in ("ob", "cob", "fl", "fi", "fe", "cfi", "cfl"):
                pass  # files and objects are not needed: functions carry the costs
        # other header lines (version, creator, pid, part, desc, thread) carry nothing we use
    if not profile.events:
        raise CallgrindError(f"{path}: no 'events:' line: not a callgrind output file")
    profile.totals = declared_totals or summed
    return profile


def _wav_frames(path):
    """Frames in a RIFF/WAVE file (any sample format), or None."""
    try:
        with open(path, "rb") as file:
            header = file.read(12)
            if len(header) < 12 or header[:4] not in (b"RIFF", b"RF64") or header[8:12] != b"WAVE":
                return None
            block_align = None
            while True:
                chunk = file.read(8)
                if len(chunk) < 8:
                    return None
                name, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
                if name == b"fmt ":
                    data = file.read(size)
                    block_align = struct.unpack("<H", data[12:14])[0]
                    if size % 2:
                        file.read(1)
                elif name == b"data":
                    return size // block_align if block_align else None
                else:
                    file.seek(size + (size % 2), 1)
    except (OSError, struct.error):
        return None


def identify(profile):
    """What a profiled `rtn process MODEL IN.wav OUT.wav [--block N] [--backend B]` measured: kind model,
    the model's file name as subject, the backend (else 'default' with --no-profile, the built-in choice,
    else 'tuned', a profile's), the block (default 256) and the frames of IN.wav when it is still there."""
    try:
        words = shlex.split(profile.command)
    except ValueError:
        words = profile.command.split()
    identity = {"kind": "model", "subject": "unknown", "implementation": "tuned", "block": 256, "frames": None}
    if "process" not in words:
        identity["subject"] = os.path.basename(words[0]) if words else "unknown"
        return identity
    rest = words[words.index("process") + 1:]
    positional = []
    i = 0
    while i < len(rest):
        word = rest[i]
        if word in ("--block", "--backend", "--profile", "--format") and i + 1 < len(rest):
            value = rest[i + 1]
            if word == "--block":
                identity["block"] = int(value)
            elif word == "--backend":
                identity["implementation"] = value
            i += 2
            continue
        if word == "--no-profile" and identity["implementation"] == "tuned":
            identity["implementation"] = "default"
        elif word.startswith("--block="):
            identity["block"] = int(word.split("=", 1)[1])
        elif word.startswith("--backend="):
            identity["implementation"] = word.split("=", 1)[1]
        elif not word.startswith("-"):
            positional.append(word)
        i += 1
    if positional:
        identity["subject"] = os.path.splitext(os.path.basename(positional[0]))[0]
    if len(positional) > 1:
        identity["frames"] = _wav_frames(positional[1])
    return identity


def compare(base, new, threshold_percent, event="Ir", top=10):
    """Deterministic: total `event` count change, and the functions whose own count changed most.
    Returns (change ratio - 1, regressed: bool, rows of (function, base, new, change))."""
    base_total, new_total = base.totals.get(event), new.totals.get(event)
    if not base_total or new_total is None:
        raise CallgrindError(f"no {event} totals to compare")
    change = new_total / base_total - 1
    rows = []
    for name in set(base.functions) | set(new.functions):
        old_count = base.functions.get(name, {}).get(event, 0)
        new_count = new.functions.get(name, {}).get(event, 0)
        if old_count != new_count:
            rows.append((name, old_count, new_count, new_count - old_count))
    rows.sort(key=lambda row: -abs(row[3]))
    return change, change * 100 > threshold_percent, rows[:top]
