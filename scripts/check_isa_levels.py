#!/usr/bin/env python3
"""Proves that no instruction above an ISA level is reachable from that level's kernels (docs/isa-levels.md).

    scripts/check_isa_levels.py --library librtn.a --baseline sse4 \
        --level sse4=rtn_isa_sse4.o --level avx2=rtn_isa_avx2.o --level avx512=rtn_isa_avx512.o
    scripts/check_isa_levels.py --library build-v3/tools/rtn/rtn --baseline avx2 \
        --allow-function fma_loop_avx512    # a program: no AVX-512 but where a CPU check guards it

A level's kernels can reach only (a) the code of its own object, (b) the symbols that object leaves undefined,
which the final link resolves to the library's baseline code or to system libraries. So it suffices that:
  1. each level object defines exactly one global symbol, its entry point rtn::isa_<level>::level_kernels(),
     and no weak or unique one: none of its inline functions or templates can be merged with another
     level's or the baseline's copy, in either direction, and no level calls into another;
  2. it runs no code when the library is loaded (no .init_array, .ctors, .preinit_array entries), where no
     CPU check protects it;
  3. its code has no instruction of a higher level: no VEX-encoded instruction (AVX, AVX2, FMA, BMI) in the
     sse4 object, no EVEX-encoded one (AVX-512) in the avx2 object;
  4. the library's other objects (the baseline code) have no instruction above the baseline level.
As a control that the check can fail, the avx2 object must hold VEX instructions and the avx512 object EVEX
ones (they were compiled for their levels). Exits non-zero, naming each violation.
"""
import argparse
import os
import re
import subprocess
import sys

LEVELS = ["sse4", "avx2", "avx512"]
# Legacy prefixes that may precede a VEX or EVEX instruction's first byte (segment and address size).
PREFIXES = {0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x67}
INSTRUCTION = re.compile(r"^\s*([0-9a-f]+):\t([0-9a-f ]+?)\s*\t(.*)$")
FUNCTION = re.compile(r"^[0-9a-f]+ <(.*)>:$")
MEMBER = re.compile(r"^(\S+):\s+file format ")


def run(*command):
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def encoding(raw_bytes):
    """'evex', 'vex' or '' for an instruction's bytes (in 64-bit mode 0x62 is always EVEX, 0xc4/0xc5 VEX)."""
    for byte in (int(b, 16) for b in raw_bytes.split()):
        if byte in PREFIXES:
            continue
        return {0x62: "evex", 0xC4: "vex", 0xC5: "vex"}.get(byte, "")
    return ""


def instructions_by_encoding(path):
    """{member: {'vex': [(function, text)], 'evex': [...]}} over the executable sections of an object file or
    of each member of an archive."""
    members = {}
    found = members.setdefault(os.path.basename(path), {"vex": [], "evex": []})
    function = "?"
    for line in run("objdump", "-d", "-w", path).splitlines():
        member = MEMBER.match(line)
        if member:
            found = members.setdefault(os.path.basename(member.group(1)), {"vex": [], "evex": []})
            continue
        heading = FUNCTION.match(line)
        if heading:
            function = heading.group(1)
            continue
        match = INSTRUCTION.match(line)
        if match:
            kind = encoding(match.group(2))
            if kind:
                found[kind].append((function, match.group(3).strip()))
    return members


def is_archive(path):
    with open(path, "rb") as file:
        return file.read(8) == b"!<arch>\n"


def level_rank(level):
    return LEVELS.index(level)


def forbidden_encodings(level):
    """The encodings above `level`: VEX and EVEX above sse4, EVEX above avx2."""
    return {"sse4": ["vex", "evex"], "avx2": ["evex"], "avx512": []}[level]


def defined_global_symbols(path):
    """(name, nm type) of every symbol that is defined and not local."""
    symbols = []
    for line in run("nm", path).splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] != "U" and (parts[1].isupper() or parts[1] in "uvw"):
            symbols.append((parts[2], parts[1]))
    return symbols


def entry_symbol(level):
    namespace = "isa_" + level
    return "_ZN3rtn%d%s13level_kernelsERKNS_20LevelImplementationsE" % (len(namespace), namespace)


def load_time_code(path):
    """Sections that make the loader run code, with a non-zero size."""
    sections = []
    for line in run("readelf", "-S", "-W", path).splitlines():
        match = re.search(r"\]\s+(\.(?:init_array|ctors|preinit_array)\S*)\s+\S+\s+\S+\s+\S+\s+([0-9a-f]+)", line)
        if match and int(match.group(2), 16) > 0:
            sections.append(match.group(1))
    return sections


def summary(items, limit=3):
    shown = "; ".join("%s in %s" % (text, run("c++filt", function).strip()) for function, text in items[:limit])
    return shown + (" (and %d more)" % (len(items) - limit) if len(items) > limit else "")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--library", required=True,
                        help="librtn.a (its level objects are recognised by name), or a program linked with it")
    parser.add_argument("--level", action="append", default=[], metavar="LEVEL=OBJECT", help="a level's object")
    parser.add_argument("--baseline", default="any", choices=LEVELS + ["any"],
                        help="the level the rest of the library was compiled for (any: not checked)")
    parser.add_argument("--allow-function", action="append", default=[], metavar="REGEX",
                        help="the baseline check skips functions whose (mangled) name this matches: code "
                             "for a higher level that only runs behind a run-time CPU check")
    args = parser.parse_args()
    allowed = [re.compile(pattern) for pattern in args.allow_function]

    failures = []
    levels = {}
    for item in args.level:
        level, _, path = item.partition("=")
        if level not in LEVELS or not os.path.isfile(path):
            parser.error("--level %s: expected LEVEL=OBJECT with LEVEL one of %s and an existing file" % (item, LEVELS))
        levels[level] = path

    for level, path in sorted(levels.items(), key=lambda item: level_rank(item[0])):
        symbols = defined_global_symbols(path)
        expected = [(entry_symbol(level), "T")]
        if symbols != expected:
            failures.append("%s: the global symbols must be exactly %s, found %s" % (path, expected, symbols[:10]))
        if load_time_code(path):
            failures.append("%s: runs code at load time (%s)" % (path, ", ".join(load_time_code(path))))
        found = instructions_by_encoding(path)[os.path.basename(path)]
        for kind in forbidden_encodings(level):
            if found[kind]:
                failures.append("%s: %d %s-encoded instructions above %s: %s" %
                                (path, len(found[kind]), kind.upper(), level, summary(found[kind])))
        control = {"avx2": "vex", "avx512": "evex"}.get(level)
        if control and not found[control]:
            failures.append("%s: no %s instruction at all: not compiled for %s?" % (path, control.upper(), level))
        print("%-7s %s: entry %s only; %d VEX, %d EVEX instructions" %
              (level, os.path.basename(path), entry_symbol(level), len(found["vex"]), len(found["evex"])))

    if args.baseline != "any":
        # The library's members other than the level objects (archive members are named by file name only).
        level_names = {os.path.basename(path) for path in levels.values()}
        counts = {"vex": 0, "evex": 0}
        members = {m: f for m, f in instructions_by_encoding(args.library).items() if m not in level_names}
        if is_archive(args.library):
            members.pop(os.path.basename(args.library), None)  # the archive's own heading, not a member
        for member, found in sorted(members.items()):
            for kind in counts:
                counts[kind] += len(found[kind])
            for kind in forbidden_encodings(args.baseline):
                found[kind] = [item for item in found[kind] if not any(p.search(item[0]) for p in allowed)]
                if found[kind]:
                    failures.append("%s (baseline %s): %d %s-encoded instructions: %s" %
                                    (member, args.baseline, len(found[kind]), kind.upper(), summary(found[kind])))
        print("baseline %s: %d objects; %d VEX, %d EVEX instructions" %
              (args.baseline, len(members), counts["vex"], counts["evex"]))

    for failure in failures:
        print("FAIL: " + failure, file=sys.stderr)
    if not failures:
        print("ISA levels: every level's code stays at or below its level")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
