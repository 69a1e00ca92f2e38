#!/usr/bin/env python3
"""Prints a suite file's model paths (relative to the current directory) or its block sizes, one a line, for
the CI scripts (scripts/ci_perf.sh, scripts/ci_instructions.sh), which run what the suite names.

    scripts/suite_items.py suites/quick.json models|blocks
"""
import json
import os
import sys


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in ("models", "blocks"):
        sys.exit(__doc__.strip())
    path, what = sys.argv[1], sys.argv[2]
    with open(path) as file:
        suite = json.load(file)
    for item in suite.get(what, []):
        print(os.path.relpath(os.path.join(os.path.dirname(path), item)) if what == "models" else int(item))


if __name__ == "__main__":
    main()
