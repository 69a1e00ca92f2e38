#!/usr/bin/env bash
# A tuning profile against the built-in defaults (docs/isa-levels.md, docs/tuning.md): every bundled model,
# per sample and in blocks of 64, `rtn bench --backend tuned` with the profile and with --no-profile,
# interleaved; prints the median ns/sample of each and defaults / tuned (above 1: the profile is faster; the
# ISA-level target is that it never falls below 0.98).
#   scripts/bench_tuned.sh BUILD PROFILE [MODEL...]
#   ROUNDS (default 5) rounds of SECONDS_PER_RUN (default 1) per model, block and configuration; BLOCKS
#   (default "1 64"). Under RTN_MAX_ISA both sides see the limited CPU (make the profile under it too).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$1 profile=$2
shift 2
[ -f "$profile" ] || { echo "bench_tuned: no profile $profile (make one with rtn-tune)" >&2; exit 2; }
models=("$@")
[ ${#models[@]} -gt 0 ] || models=("$root"/suites/models/*)
rounds=${ROUNDS:-5} seconds=${SECONDS_PER_RUN:-1} blocks=${BLOCKS:-1 64}

# shellcheck source=scripts/interleaved_bench.sh
. "$root/scripts/interleaved_bench.sh"
# One measurement of each: ns/sample of the tuned dispatch without and with the profile.
default_ns() { rtn_bench_ns "$build/tools/rtn/rtn" "$1" "$2" --no-profile; }
tuned_ns() { rtn_bench_ns "$build/tools/rtn/rtn" "$1" "$2" --profile "$profile"; }

# The profile must be in use: one made on another machine or build (or RTN_MAX_ISA) is ignored.
if ! "$build/tools/rtn/rtn" info "${models[0]}" --profile "$profile" 2>&1 | grep -q '^profile: .* entries, created'; then
  echo "bench_tuned: $profile is not used by this build here:" >&2
  "$build/tools/rtn/rtn" info "${models[0]}" --profile "$profile" 2>&1 | grep -E '^(rtn: warning|profile:)' >&2
  exit 2
fi
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p')${RTN_MAX_ISA:+, RTN_MAX_ISA=$RTN_MAX_ISA}; $rounds rounds of ${seconds}s, interleaved; medians"
printf '%-28s %5s %14s %14s %9s\n' model block "defaults ns/s" "tuned ns/s" "speed-up"
interleave default_ns tuned_ns first/second "${models[@]}"
