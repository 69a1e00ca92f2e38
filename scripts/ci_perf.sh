#!/usr/bin/env bash
# The CI performance gate (docs/report.md): tunes the quick suite, benchmarks the bundled models with the
# profile, converts everything into one rtn results file, compares it with the committed baseline, writes
# the HTML dashboard and the Markdown summary, and exits with compare's status:
#   0 no significant regression, 1 significant regression(s) beyond the threshold, 2 could not compare.
#
#   scripts/ci_perf.sh                      run and compare with reports/baseline/quick.json
#   scripts/ci_perf.sh --refresh-baseline   run and make this run the baseline (commit the file)
#
# Environment: RTN_BUILD_DIR (default build/), RTN_PERF_OUT (default out/perf), RTN_PERF_BASELINE,
# RTN_PERF_BUDGET (rtn-tune seconds, default 20), RTN_PERF_SECONDS (rtn bench seconds per configuration,
# default 0.5), RTN_PERF_THRESHOLD (percent, default 10), RTN_PERF_LABEL (names the run, e.g. the CI job).
# With GITHUB_STEP_SUMMARY set (GitHub Actions), the Markdown goes to the job's summary page too.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${RTN_BUILD_DIR:-$root/build}
out=${RTN_PERF_OUT:-$root/out/perf}
baseline=${RTN_PERF_BASELINE:-$root/reports/baseline/quick.json}
budget=${RTN_PERF_BUDGET:-20}
seconds=${RTN_PERF_SECONDS:-0.5}
threshold=${RTN_PERF_THRESHOLD:-10}
label=${RTN_PERF_LABEL:-$(hostname) $(date -u +%Y-%m-%dT%H:%MZ)}
report="$root/reports/rtn-report"
refresh=0
case "${1:-}" in
  --refresh-baseline) refresh=1 ;;
  "") ;;
  *) echo "usage: scripts/ci_perf.sh [--refresh-baseline]" >&2; exit 2 ;;
esac

rtn="$build/tools/rtn/rtn"
tune="$build/tools/tune/rtn-tune"
for tool in "$rtn" "$tune"; do
  [ -x "$tool" ] || { echo "ci_perf: $tool is missing: build first (scripts/setup.sh)" >&2; exit 2; }
done
mkdir -p "$out"
rm -f "$out"/bench-*.json "$out"/info-*.txt
export OMP_NUM_THREADS=1
start=$(date +%s)

load_before=$(cat /proc/loadavg)
echo "ci_perf: tuning suites/quick.json (budget ${budget} s); load average $load_before"
"$tune" "$root/suites/quick.json" --budget "$budget" --replace --output "$out/profile.json" \
  --results "$out/tune.json" > "$out/tune.txt" 2> "$out/tune.log" \
  || { cat "$out/tune.log" >&2; echo "ci_perf: rtn-tune failed" >&2; exit 2; }
# The suite's models at its blocks, with the profile just made.
models=$(python3 "$root/scripts/suite_items.py" "$root/suites/quick.json" models) \
  && blocks=$(python3 "$root/scripts/suite_items.py" "$root/suites/quick.json" blocks) \
  || { echo "ci_perf: cannot read suites/quick.json" >&2; exit 2; }
for model in $models; do
  name=$(basename "${model%.*}")
  for block in $blocks; do
    echo "ci_perf: rtn bench $name, block $block"
    "$rtn" bench "$model" --profile "$out/profile.json" --block "$block" \
      --seconds "$seconds" --results "$out/bench-$name-$block.json" > "$out/bench-$name-$block.txt" \
      || { echo "ci_perf: rtn bench failed" >&2; exit 2; }
    "$rtn" info "$model" --profile "$out/profile.json" --block "$block" \
      > "$out/info-$name-$block.txt" || { echo "ci_perf: rtn info failed" >&2; exit 2; }
  done
done
load_after=$(cat /proc/loadavg)

"$report" convert "$out/tune.json" "$out"/bench-*.json "$out"/info-*.txt -o "$out/results.json" \
  --suite suites/quick.json --label "$label" --load-before "$load_before" --load-after "$load_after" || exit 2
echo "ci_perf: measured in $(( $(date +%s) - start )) s; load average after: $load_after"

if [ "$refresh" = 1 ]; then
  mkdir -p "$(dirname "$baseline")"
  cp "$out/results.json" "$baseline"
  "$report" "$baseline" -o "$out/report.html" --markdown "$out/summary.md" || exit 2
  echo "ci_perf: baseline refreshed: $baseline (commit it)"
  exit 0
fi

[ -f "$baseline" ] || { echo "ci_perf: no baseline at $baseline: run scripts/ci_perf.sh --refresh-baseline" >&2; exit 2; }
"$report" compare "$baseline" "$out/results.json" --threshold "$threshold" \
  --markdown "$out/compare.md" --json "$out/verdicts.json"
status=$?
[ "$status" -le 1 ] || exit "$status"
"$report" "$baseline" "$out/results.json" -o "$out/report.html" --markdown "$out/summary.md" \
  --compare "$out/verdicts.json" || exit 2
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  cat "$out/summary.md" "$out/compare.md" >> "$GITHUB_STEP_SUMMARY"
fi
echo "ci_perf: dashboard $out/report.html, summary $out/summary.md, verdict $out/compare.md (exit $status)"
exit "$status"
