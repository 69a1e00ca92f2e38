#!/usr/bin/env bash
# Sets up, builds and runs every test: scripts/test.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${RTN_BUILD_DIR:-$root/build}
"$root/scripts/setup.sh"
"$root/scripts/setup_python.sh"  # the tensorflow-cpu venv of the Keras exporter tests
cd "$build_dir"
status=0
ctest --output-on-failure || status=$?
# CTest shows a passing test's output only in its log: repeat the exporter tests' pytest summaries.
echo "pytest summaries (tests/python, from the CTest log):"
grep -hE '^=+ .* in [0-9.]+s.* =+$' Testing/Temporary/LastTest.log || true
exit $status
