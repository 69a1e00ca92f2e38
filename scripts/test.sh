#!/usr/bin/env bash
# Sets up, builds and runs every test: scripts/test.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${RTN_BUILD_DIR:-$root/build}
"$root/scripts/setup.sh"
cd "$build_dir"
ctest --output-on-failure
