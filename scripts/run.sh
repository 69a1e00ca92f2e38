#!/usr/bin/env bash
# Sets up, builds and runs the main job: describes the bundled example model and benchmarks every
# kernel and the example models, writing results to out/.
#   scripts/run.sh                 the whole job (~2 minutes on 2 cores)
#   RTN_BENCH_FILTER=REGEX ...     benchmark only what matches
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${RTN_BUILD_DIR:-$root/build}
out=${RTN_OUT_DIR:-$root/out}
"$root/scripts/setup.sh"
mkdir -p "$out"

model="$root/suites/models/guitar_lstm.json"
echo; echo "== rtn info $model"
"$build_dir/engine/cli/rtn" info "$model" | tee "$out/guitar_lstm.info.txt"

echo; echo "== kernel and model benchmarks (Google Benchmark) -> $out/benchmark.json"
"$build_dir/tuner/rtn-kernel-benchmark" \
  --benchmark_filter="${RTN_BENCH_FILTER:-.}" \
  --benchmark_min_time="${RTN_BENCH_MIN_TIME:-0.05}" --benchmark_repetitions="${RTN_BENCH_REPETITIONS:-3}" \
  --benchmark_display_aggregates_only=true --benchmark_counters_tabular=true \
  --benchmark_out="$out/benchmark.json" --benchmark_out_format=json | tee "$out/benchmark.txt"
# Tables a person reads: whole models, then every kernel (median time per frame, spread, fastest backend).
{
  echo "# rtn benchmark"; echo
  echo "## Models"; echo
  python3 "$root/reports/benchmark_table.py" "$out/benchmark.json" --kind model
  echo; echo "## Kernels"; echo
  python3 "$root/reports/benchmark_table.py" "$out/benchmark.json" --kind kernel
} > "$out/benchmark.md"
cat "$out/benchmark.md"
echo; echo "run: results in $out/"
