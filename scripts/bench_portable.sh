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

# One measurement: ns/sample of the default dispatch.
measure() {
  "$1/tools/rtn/rtn" bench "$2" --no-profile --backend tuned --block "$3" --seconds "$seconds" --json 2>/dev/null |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["configurations"]["tuned"]["ns_per_sample"])'
}
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'); $rounds rounds of ${seconds}s, interleaved; medians"
printf '%-28s %5s %14s %14s %9s\n' model block "native ns/s" "portable ns/s" ratio
for model in "${models[@]}"; do
  for block in $blocks; do
    native_times=() portable_times=()
    for ((round = 0; round < rounds; ++round)); do
      native_times+=("$(measure "$native" "$model" "$block")")
      portable_times+=("$(measure "$portable" "$model" "$block")")
    done
    n=$(median "${native_times[@]}") p=$(median "${portable_times[@]}")
    printf '%-28s %5s %14.1f %14.1f %9.3f\n' "$(basename "$model")" "$block" "$n" "$p" "$(awk -v p="$p" -v n="$n" 'BEGIN {print p / n}')"
  done
done
