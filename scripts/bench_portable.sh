#!/usr/bin/env bash
# The portable build against the native one (docs/isa-levels.md): every bundled model, with the built-in
# defaults (no profile), per sample and in blocks of 64, the two builds' `rtn bench` interleaved; prints
# the median ns/sample of each and portable / native (below 1.05 is the target).
#   scripts/bench_portable.sh NATIVE_BUILD PORTABLE_BUILD [MODEL...]
#   ROUNDS (default 5) rounds of SECONDS_PER_RUN (default 1) per model, block and build; BLOCKS (default "1 64").
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
native=$1 portable=$2
shift 2
models=("$@")
[ ${#models[@]} -gt 0 ] || models=("$root"/suites/models/*)
rounds=${ROUNDS:-5} seconds=${SECONDS_PER_RUN:-1} blocks=${BLOCKS:-1 64}

# shellcheck source=scripts/interleaved_bench.sh
. "$root/scripts/interleaved_bench.sh"
# One measurement of each build: ns/sample of the default dispatch.
native_ns() { rtn_bench_ns "$native/tools/rtn/rtn" "$1" "$2" --no-profile; }
portable_ns() { rtn_bench_ns "$portable/tools/rtn/rtn" "$1" "$2" --no-profile; }

echo "CPU: $(lscpu | sed -n 's/^Model name: *//p')${RTN_MAX_ISA:+, RTN_MAX_ISA=$RTN_MAX_ISA}; $rounds rounds of ${seconds}s, interleaved; medians"
printf '%-28s %5s %14s %14s %9s\n' model block "native ns/s" "portable ns/s" ratio
interleave native_ns portable_ns second/first "${models[@]}"
