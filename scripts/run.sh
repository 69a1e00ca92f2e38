#!/usr/bin/env bash
# Sets up, builds and runs the main job: describes the bundled example model, benchmarks every
# kernel and the example models, tunes the bundled suite and benchmarks the tuned models, then writes the
# results file, the HTML dashboard and the Markdown summary (rtn-report) to out/.
#   scripts/run.sh                 the whole job (~5 minutes on 2 cores)
#   RTN_BENCH_FILTER=REGEX ...     benchmark only what matches
#   RTN_TUNE_BUDGET=S ...          rtn-tune's time budget (default 60 s)
#   RTN_BENCH_SECONDS=S ...        rtn bench's time per configuration (default 3 s)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${RTN_BUILD_DIR:-$root/build}
out=${RTN_OUT_DIR:-$root/out}
"$root/scripts/setup.sh"
mkdir -p "$out"

model="$root/suites/models/guitar_lstm.json"
echo; echo "== rtn info $model"
"$build_dir/tools/rtn/rtn" info "$model" | tee "$out/guitar_lstm.info.txt"

echo; echo "== kernel and model benchmarks (Google Benchmark) -> $out/benchmark.json"
"$build_dir/tools/kernel_benchmark/rtn-kernel-benchmark" \
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

# The tuner on the bundled suite, then each bundled model with that profile: tuned vs each backend vs libtorch.
echo; echo "== rtn-tune on the bundled suite -> $out/profile.json, $out/results.json"
"$build_dir/tools/tune/rtn-tune" "$root/suites/default.json" --replace --budget "${RTN_TUNE_BUDGET:-60}" \
  --output "$out/profile.json" --results "$out/results.json" | tee "$out/tune.txt"
echo; echo "== rtn bench on the bundled models with that profile -> $out/bench.txt"
: > "$out/bench.txt"
runs=()
for block in 64 1; do
  for model in guitar_lstm gru_2x16 conv_stack; do
    "$build_dir/tools/rtn/rtn" bench "$root/suites/models/$model.json" --profile "$out/profile.json" --block "$block" \
      --seconds "${RTN_BENCH_SECONDS:-3}" --results "$out/bench.$model.block$block.json" | tee -a "$out/bench.txt"
    runs+=("$out/bench.$model.block$block.json")
  done
done

# One results file (docs/results-format.md) from all of it, and the report a person opens.
echo; echo "== rtn-report -> $out/rtn-results.json, $out/report.html, $out/report.md"
"$root/reports/rtn-report" convert "$out/results.json" "$out/benchmark.json" "${runs[@]}" "$out/guitar_lstm.info.txt" \
  -o "$out/rtn-results.json"
"$root/reports/rtn-report" "$out/rtn-results.json" -o "$out/report.html" --markdown "$out/report.md"
cat "$out/report.md"
rm -f "${runs[@]}"
echo; echo "run: results in $out/ (report: $out/report.html)"
