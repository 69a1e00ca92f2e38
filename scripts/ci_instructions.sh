#!/usr/bin/env bash
# The deterministic CI performance gate (docs/report.md, "Instruction counts"): counts the instructions
# each model of the quick suite executes per sample under valgrind's callgrind, compares them with the
# committed baseline, writes the dashboard and the Markdown summary, and exits with compare's status:
#   0 no count grew beyond the threshold, 1 at least one did, 2 could not build, run or compare.
# Unlike timings, instruction counts do not move with the load of a shared CI machine.
#
#   scripts/ci_instructions.sh                      run and compare with reports/baseline/instructions.json
#   scripts/ci_instructions.sh --refresh-baseline   run and make this run the baseline (commit the file)
#
# valgrind cannot execute AVX-512, so this configures and builds its own rtn for x86-64-v3 (AVX2 + FMA)
# with no run-time ISA levels (no AVX-512 code to dispatch to), and checks the program holds no AVX-512
# instruction before running it.
#
# Environment: RTN_INSTRUCTIONS_BUILD_DIR (default build-v3/), RTN_INSTRUCTIONS_OUT (default
# out/instructions), RTN_INSTRUCTIONS_BASELINE, RTN_INSTRUCTIONS_SUITE (whose "models" and "blocks" are run,
# default suites/quick.json), RTN_INSTRUCTIONS_BACKENDS (default "default stl eigen xsimd": "default" is the
# built-in dispatch without a profile, the others force one implementation for every layer),
# RTN_INSTRUCTIONS_THRESHOLD (percent, default 1), RTN_PERF_LABEL (names the run), RTN_JOBS (build jobs).
# With GITHUB_STEP_SUMMARY set (GitHub Actions), the verdict goes to the job's summary page too.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${RTN_INSTRUCTIONS_BUILD_DIR:-$root/build-v3}
out=${RTN_INSTRUCTIONS_OUT:-$root/out/instructions}
baseline=${RTN_INSTRUCTIONS_BASELINE:-$root/reports/baseline/instructions.json}
suite=${RTN_INSTRUCTIONS_SUITE:-$root/suites/quick.json}
backends=${RTN_INSTRUCTIONS_BACKENDS:-default stl eigen xsimd}
threshold=${RTN_INSTRUCTIONS_THRESHOLD:-1}
jobs=${RTN_JOBS:-2}
label=${RTN_PERF_LABEL:-$(hostname) $(date -u +%Y-%m-%dT%H:%MZ)}
report="$root/reports/rtn-report"
# Absolute: the profiled commands run from the checkout's root (below).
build=$(realpath -m "$build") out=$(realpath -m "$out") baseline=$(realpath -m "$baseline") suite=$(realpath -m "$suite")
# Counts are per sample and exact, so a short input suffices: 64 blocks of 64 (85 ms at 48 kHz). Longer
# ones cost time: valgrind emulates FMA instructions in software, about a microsecond each.
frames=4096
refresh=0
case "${1:-}" in
  --refresh-baseline) refresh=1 ;;
  "") ;;
  *) echo "usage: scripts/ci_instructions.sh [--refresh-baseline]" >&2; exit 2 ;;
esac
fail() { echo "ci_instructions: $*" >&2; exit 2; }

command -v valgrind > /dev/null || fail "valgrind is missing (Debian: apt-get install valgrind)"
mkdir -p "$build" "$out"
rm -rf "$out/callgrind"
mkdir -p "$out/callgrind"
start=$(date +%s)

echo "ci_instructions: building rtn for x86-64-v3 in $build"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DRTN_NATIVE=OFF -DRTN_ISA_LEVELS=none \
  -DCMAKE_CXX_FLAGS=-march=x86-64-v3 -DRTN_BUILD_TESTS=OFF -DRTN_BUILD_BENCHMARKS=OFF \
  -DRTN_CLI_WITH_TORCH=OFF -DRTN_INSTALL=OFF > "$build/configure.log" 2>&1 \
  || { cat "$build/configure.log" >&2; fail "configuring failed"; }
cmake --build "$build" -j "$jobs" --target rtn-cli > "$build/build.log" 2>&1 \
  || { tail -50 "$build/build.log" >&2; fail "building failed"; }
rtn="$build/tools/rtn/rtn"
# valgrind stops with SIGILL at the first AVX-512 instruction: prove there is none to reach. (rtn bench's
# peak measurement has an AVX-512 loop behind a CPU check, which valgrind's CPUID answers with no AVX-512.)
python3 "$root/scripts/check_isa_levels.py" --library "$rtn" --baseline avx2 --allow-function fma_loop_avx512 \
  > "$out/isa-check.txt" 2>&1 \
  || { cat "$out/isa-check.txt" >&2; fail "$rtn holds AVX-512 instructions"; }

# The same input everywhere, bit for bit: 16-bit noise from a fixed linear congruential generator (the
# count of a data-dependent function such as libm's tanh depends on the values).
python3 - "$out/input.wav" "$frames" << 'EOF'
import struct, sys, wave
path, frames = sys.argv[1], int(sys.argv[2])
state, samples = 1, bytearray()
for _ in range(frames):
    state = (state * 1103515245 + 12345) % 2**31
    samples += struct.pack("<h", (state >> 15) % 16384 - 8192)  # about -18 dBFS
with wave.open(path, "wb") as file:
    file.setnchannels(1), file.setsampwidth(2), file.setframerate(48000), file.writeframes(bytes(samples))
EOF
[ -s "$out/input.wav" ] || fail "could not write $out/input.wav"

# Paths from the checkout's root in the profiled command lines, which the results file records.
cd "$root" || fail "cannot enter $root"
input=$(realpath --relative-to=. "$out/input.wav")
output=$(realpath --relative-to=. "$out/output.wav")
rtn=$(realpath --relative-to=. "$rtn")
models=$(python3 "$root/scripts/suite_items.py" "$suite" models) \
  && blocks=$(python3 "$root/scripts/suite_items.py" "$suite" blocks) || fail "cannot read $suite"
[ -n "$models" ] || fail "$suite names no models"

load_before=$(cat /proc/loadavg)
rm -f "$out"/info-*.txt
for model in $models; do
  name=$(basename "${model%.*}")
  for block in $blocks; do
    # The built-in dispatch with its reasons, for the results' models section.
    "$rtn" info "$model" --no-profile --block "$block" > "$out/info-$name-$block.txt" || fail "rtn info failed"
    for backend in $backends; do
      choice=(--backend "$backend")
      [ "$backend" = default ] && choice=(--no-profile)
      echo "ci_instructions: callgrind: $name, block $block, $backend"
      # Only the Model::process calls count (rtn process calls each from process_block, which callgrind can
      # follow whole: Model::process ends in a jump into the layers): not loading, libsndfile or valgrind's
      # start-up.
      valgrind --tool=callgrind --callgrind-out-file="$out/callgrind/$name.$backend.$block.out" \
        --toggle-collect='*process_block*' \
        "$rtn" process "$model" "$input" "$output" --block "$block" "${choice[@]}" --quiet \
        > "$out/callgrind/$name.$backend.$block.log" 2>&1 \
        || { cat "$out/callgrind/$name.$backend.$block.log" >&2; fail "valgrind failed on $name"; }
    done
  done
done

load_after=$(cat /proc/loadavg)
"$report" convert "$out"/callgrind/*.out "$out"/info-*.txt -o "$out/results.json" \
  --suite "$(realpath --relative-to=. "$suite")" --label "$label" --load-before "$load_before" \
  --load-after "$load_after" || exit 2
echo "ci_instructions: measured in $(( $(date +%s) - start )) s"

if [ "$refresh" = 1 ]; then
  mkdir -p "$(dirname "$baseline")"
  cp "$out/results.json" "$baseline"
  "$report" "$baseline" -o "$out/report.html" --markdown "$out/summary.md" || exit 2
  echo "ci_instructions: baseline refreshed: $baseline (commit it)"
  exit 0
fi

[ -f "$baseline" ] || fail "no baseline at $baseline: run scripts/ci_instructions.sh --refresh-baseline"
"$report" compare "$baseline" "$out/results.json" --instructions-threshold "$threshold" \
  --markdown "$out/compare.md" --json "$out/verdicts.json"
status=$?
[ "$status" -le 1 ] || exit "$status"
"$report" "$out/results.json" -o "$out/report.html" --markdown "$out/summary.md" --compare "$out/verdicts.json" \
  || exit 2
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  cat "$out/summary.md" "$out/compare.md" >> "$GITHUB_STEP_SUMMARY"
fi
echo "ci_instructions: dashboard $out/report.html, summary $out/summary.md, verdict $out/compare.md," \
  "callgrind files in $out/callgrind (exit $status)"
exit "$status"
