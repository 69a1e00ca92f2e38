#!/usr/bin/env bash
# rtn's compile-time API (StaticModel) against RTNeural's compile-time API, with one timing loop: the drivers
# that ../shared/bench/vs-rtneural.sh builds (rtneural_drv.cpp, one per RTNeural backend: EIGEN, XSIMD, STL)
# and rtn-static-model-driver, which times StaticModel the same way. Per sample; the median of ROUNDS (default
# 2) interleaved runs of SECONDS (default 0.5) each; ratio > 1: rtn's faster ops (xsimd or stl) beat RTNeural's
# fastest backend.
#   scripts/bench_static_vs_rtneural.sh BUILD_DIR RTNEURAL_DRIVER_DIR [WORKLOAD...]
# RTNEURAL_DRIVER_DIR: where vs-rtneural.sh put drv_EIGEN, drv_XSIMD and drv_STL (/tmp/rtneural-drv-*).
set -euo pipefail
build=$1 drivers=$2
shift 2
workloads=("$@")
[ ${#workloads[@]} -gt 0 ] || workloads=(lstm40model dense8 conv8 gru8 lstm8 dense16 conv16 gru16 lstm16
                                        dense32 conv32 gru32 lstm32 dense64 conv64 gru64 lstm64)
ours=$build/tools/kernel_benchmark/rtn-static-model-driver
[ -x "$ours" ] || { echo "no $ours: build the tools (RTN_BUILD_BENCHMARKS)" >&2; exit 2; }
for backend in EIGEN XSIMD STL; do
  [ -x "$drivers/drv_$backend" ] || { echo "no $drivers/drv_$backend: run ../shared/bench/vs-rtneural.sh first" >&2; exit 2; }
done
rounds=${ROUNDS:-2} seconds=${SECONDS_PER_RUN:-0.5}
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
time_of() { "$@" | awk '{print $2}'; }

echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'); per sample, ns; median of $rounds interleaved rounds of ${seconds}s"
printf '%-12s %14s %13s %11s %8s\n' workload "RTNeural best" "static xsimd" "static stl" ratio
for workload in "${workloads[@]}"; do
  theirs=() xsimd=() stl=()
  for ((round = 0; round < rounds; ++round)); do
    best=$(for backend in EIGEN XSIMD STL; do time_of "$drivers/drv_$backend" "$workload" "$seconds"; done | sort -g | head -1)
    theirs+=("$best")
    xsimd+=("$(time_of "$ours" xsimd "$workload" "$seconds")")
    stl+=("$(time_of "$ours" stl "$workload" "$seconds")")
  done
  t=$(median "${theirs[@]}") x=$(median "${xsimd[@]}") s=$(median "${stl[@]}")
  printf '%-12s %14.1f %13.1f %11.1f %8.2f\n' "$workload" "$t" "$x" "$s" \
    "$(awk -v t="$t" -v x="$x" -v s="$s" 'BEGIN {print t / (x < s ? x : s)}')"
done
